//! The streaming pass of `mpdissect report`: every packet of every file
//! through one core dissector (tables of `--capacity` entries, the memory of
//! [`crate::conns::Memory`]), folding what leaves the tables into
//! [`Agg`] as soon as a connection and all its subflows are gone.
//!
//! This module owns the attribution of packets to connections and the
//! per-connection measurements. It must not parse packet bytes: everything
//! comes from the dissector's [`Dissection`], its events and the
//! connection/subflow state it hands back (folded per frame by a `Fold`).
//!
//! # Memory
//!
//! Besides the dissector's tables, the pass keeps one small accumulator per
//! subflow still in the subflow table (indexed by its slot) and one record
//! per connection still in the connection table or with a subflow still in
//! the subflow table (hashed by serial); both are bounded by `--capacity`.
//! What grows with the trace is the output itself: one value per connection
//! or subflow for the CDFs, the distinct client addresses, and the per-port
//! counters.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use mptcp_dissect::addr::AddrClass;
use mptcp_dissect::dissector::{Dissection, DissectorView, Event, FallbackReason, Gone};
use mptcp_dissect::flow::table::SlotId;
use mptcp_dissect::flow::{ConnEnd, Connection, Direction, FlowKey, Role, Subflow, SubflowKind};
use mptcp_dissect::wire::frame::{LinkType, Transport};
use mptcp_dissect::wire::mptcp::MpCapable;

use crate::capture;
use crate::conns::{tcp_check, Analysis, Memory};
use crate::Error;
use mptcp_dissect::analysis::{MirrorEvidence, MpFailMatch, StripEvidence};
use mptcp_dissect::wire::tcp::TcpFlags;

/// Aggregates over the whole trace (what the report is computed from).
#[derive(Debug, Default, Clone)]
pub struct Agg {
    /// Files read, in order.
    pub files: Vec<PathBuf>,
    /// Why a file ended early, or was not read (its packets before the
    /// error are counted).
    pub errors: Vec<String>,
    /// Things the reader of the report should know (files overlapping in
    /// time, frames of a link type the dissector does not read).
    pub warnings: Vec<String>,
    /// Frames read.
    pub frames: u64,
    /// Frames of a link type the dissector does not read (skipped).
    pub unsupported_link: u64,
    /// Earliest and latest capture time (seconds since the epoch).
    pub first_ts: Option<f64>,
    /// Latest capture time.
    pub last_ts: Option<f64>,
    /// TCP segments, `[IPv4, IPv6]`.
    pub tcp_pkts: [u64; 2],
    /// IP bytes (IP + TCP headers + payload, on-wire length) of TCP
    /// segments, `[IPv4, IPv6]`.
    pub tcp_bytes: [u64; 2],
    /// Segments of subflows of MPTCP connections, `[IPv4, IPv6]`.
    pub mptcp_pkts: [u64; 2],
    /// Their IP bytes.
    pub mptcp_bytes: [u64; 2],
    /// MPTCP connections (server key seen).
    pub conns: u64,
    /// MPTCP packets by server port (the initial subflow's listener port).
    pub port_pkts: BTreeMap<u16, u64>,
    /// MPTCP connections by server port.
    pub port_conns: BTreeMap<u16, u64>,
    /// Distinct client addresses (the connection's client side of every
    /// subflow, attempted or established).
    pub clients: BTreeSet<IpAddr>,

    /// Connections with at least one ADD_ADDR from the client.
    pub announcing_client: u64,
    /// … from the server.
    pub announcing_server: u64,
    /// … from either side.
    pub announcing_any: u64,
    /// Distinct advertised addresses (per connection, per sender, by
    /// `(id, address, port)`), by (sender: `client` | `server`, IP
    /// version, class). The paper's Table 2 is the client's.
    pub addr_classes: BTreeMap<(&'static str, u8, String), u64>,
    /// Distinct advertised addresses that carried a port.
    pub add_addr_with_port: u64,
    /// Non-echo ADD_ADDR options seen (retransmissions included).
    pub add_addr_options: u64,
    /// Most distinct addresses advertised in one connection, and its id.
    pub max_addrs: (u64, Option<u32>),

    /// Initial SYN → first MP_JOIN SYN, seconds (connections with a join).
    pub join_delays: Vec<f64>,
    /// Connections with at least one join attempt.
    pub conns_with_join: u64,
    /// Connections with a join from the initial subflow's client address.
    pub same_addr_any: u64,
    /// Connections whose every join comes from that address.
    pub same_addr_all: u64,
    /// Subflows whose backup flag was set (MP_JOIN B bit or MP_PRIO).
    pub backup_subflows: u64,
    /// Connections with such a subflow.
    pub backup_conns: u64,
    /// Connections with an MP_PRIO.
    pub mp_prio_conns: u64,
    /// MP_PRIO options seen.
    pub mp_prio_options: u64,
    /// Max − min handshake RTT over established subflows, ms (connections
    /// with ≥ 2 subflows with a handshake RTT).
    pub rtt_spreads: Vec<f64>,

    /// Subflows attempted per connection → connections.
    pub attempted_hist: BTreeMap<u64, u64>,
    /// Subflows established per connection → connections.
    pub established_hist: BTreeMap<u64, u64>,
    /// Payload bytes per connection (both directions, all subflows,
    /// retransmissions included).
    pub conn_bytes: Vec<u64>,
    /// Payload bytes per subflow (both directions).
    pub subflow_bytes: Vec<u64>,

    /// MP_FAIL options by (server port, IP version of the packet).
    pub mp_fail: BTreeMap<(u16, u8), u64>,
    /// Connections with an MP_FAIL.
    pub mp_fail_conns: u64,
    /// Connections that negotiated DSS checksums (C flag of either side).
    pub checksum_on: u64,
    /// Connections where both sides opted out.
    pub checksum_off: u64,
    /// Connections whose client's MP_CAPABLE SYN was seen.
    pub client_syns: u64,
    /// … of which the SYN did not ask for checksums (flag A clear): the
    /// paper's "about 5 %" (its server always asked).
    pub client_opted_out: u64,
    /// Fallback events by reason (all subflows, tracked connection or not).
    pub fallback_events: BTreeMap<&'static str, u64>,
    /// Connections marked as fallen back.
    pub fallback_conns: u64,

    /// Connections by termination (`data_fin`, `fastclose`, `rst_only`,
    /// `fin_only`, `open`, `evicted`).
    pub ends: BTreeMap<&'static str, u64>,

    /// Fraction of payload bytes on the initial subflow (connections with
    /// ≥ 2 established subflows and some payload).
    pub initial_fraction: Vec<f64>,
    /// Reinjected / payload bytes client → server (same population).
    pub reinjected_c2s: Vec<f64>,
    /// Reinjected / payload bytes server → client.
    pub reinjected_s2c: Vec<f64>,

    /// §3.4 DSS checksum validation, summed over connections (mapping
    /// verdicts, as `mpdissect conns` counts them).
    pub dss: Analysis,
    /// MP_FAIL options whose DSN our validator had flagged / had not /
    /// that answered the peer's MP_FAIL (`echo`).
    pub mp_fail_match: BTreeMap<&'static str, u64>,
    /// Middlebox verdicts: connections by verdict, plus handshakes that
    /// never became connections (mirrored, stripped) and TCP handshakes that
    /// never offered MPTCP (`plain_tcp`), as `mpdissect conns` reports them.
    pub verdicts: BTreeMap<&'static str, u64>,

    /// The dissector's counters at the end.
    pub stats: mptcp_dissect::dissector::DissectorStats,
}

/// FxHash (as in rustc): one rotate, xor and multiply per word. The keys
/// of the pass's maps are small integers the core hands out (connection
/// serials, slot ids), not chosen by whoever wrote the trace, so the
/// flooding resistance of the default SipHash buys nothing here.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A map with [`FxHasher`].
type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Values by subflow-table slot: one per slot index, valid for the slot's
/// generation only (a stale generation reads as absent and is replaced).
///
/// Equivalent to a map keyed by [`SlotId::to_bits`] as long as a slot's
/// old generation is never asked for once the slot holds a newer one,
/// which holds for subflows: the core reports a subflow [`Gone`] before
/// its slot is reused, and the pass drops its value there.
struct BySlot<T> {
    slots: Vec<Option<(u32, T)>>,
}

impl<T: Default> BySlot<T> {
    fn new() -> Self {
        BySlot { slots: Vec::new() }
    }

    /// The value of `id`, a default one if it has none.
    #[inline]
    fn entry(&mut self, id: SlotId) -> &mut T {
        let i = id.index() as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        let slot = &mut self.slots[i];
        if !matches!(slot, Some((g, _)) if *g == id.generation()) {
            *slot = Some((id.generation(), T::default()));
        }
        match slot {
            Some((_, v)) => v,
            None => unreachable!("set just above"),
        }
    }

    /// Takes the value of `id` out, if it has one.
    fn remove(&mut self, id: SlotId) -> Option<T> {
        let slot = self.slots.get_mut(id.index() as usize)?;
        match slot {
            Some((g, _)) if *g == id.generation() => slot.take().map(|(_, v)| v),
            _ => None,
        }
    }
}

/// `x.round() as u64` (half away from zero, saturating), without the libm
/// call: `x - trunc(x)` is exact, and below 2^53 so is `trunc(x)` as u64.
#[inline]
fn round_u64(x: f64) -> u64 {
    // Every capture time in microseconds is below 2^53, where the
    // conversions through i64 (one instruction each way on x86-64, where
    // u64 takes several) give the same values.
    if (0.0..9_007_199_254_740_992.0).contains(&x) {
        let t = x as i64;
        let up = x - t as f64 >= 0.5;
        return t as u64 + u64::from(up);
    }
    let t = x as u64;
    if x - t as f64 >= 0.5 {
        t.saturating_add(1)
    } else {
        t
    }
}

/// What is known of one subflow still in the table.
#[derive(Default)]
struct SubAcc {
    serial: Option<u32>,
    pkts: u64,
    bytes: u64,
    /// On-wire payload bytes by [`Direction`] (relative to the key).
    payload: [u64; 2],
    /// Marked backup at some point (MP_JOIN or MP_PRIO), even if an
    /// MP_PRIO cleared it later.
    backup: bool,
}

/// One finished subflow of a connection.
struct SubDone {
    key: FlowKey,
    sub: Subflow,
    pkts: u64,
    bytes: u64,
    payload: [u64; 2],
    /// [`SubAcc::backup`], or backup at the end.
    backup: bool,
}

impl SubDone {
    /// On-wire payload bytes sent by the subflow-level `role`.
    fn sub_bytes(&self, role: Role) -> u64 {
        let client = usize::from(self.sub.client_dir() == Direction::Reverse);
        match role {
            Role::C2s => self.payload[client],
            Role::S2c => self.payload[1 - client],
        }
    }

    /// Both directions.
    fn total(&self) -> u64 {
        self.payload[0] + self.payload[1]
    }

    /// Sent in connection-level direction `role`.
    fn conn_bytes(&self, role: Role) -> u64 {
        // Subflow-level c2s carries connection-level conn_role(C2s).
        if self.sub.conn_role(Role::C2s) == role {
            self.sub_bytes(Role::C2s)
        } else {
            self.sub_bytes(Role::S2c)
        }
    }
}

/// One advertised address (distinct within its connection).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Adv {
    sender_client: bool,
    id: u8,
    ip: IpAddr,
    port: Option<u16>,
}

#[derive(Default)]
struct ConnRec {
    conn: Option<Connection>,
    gone: bool,
    slot: u64,
    live: u32,
    subflows: Vec<SubDone>,
    advs: BTreeMap<Adv, AddrClass>,
    /// IP version of each MP_FAIL packet.
    mp_fail: Vec<u8>,
    /// Middlebox analysis, from events.
    an: Analysis,
}

fn fallback_name(why: FallbackReason) -> &'static str {
    match why {
        FallbackReason::MpCapableNotEchoed => "mp_capable_not_echoed",
        FallbackReason::MirroredKey => "mirrored_key",
        FallbackReason::InfiniteMapping => "infinite_mapping",
        FallbackReason::DataWithoutDss => "data_without_dss",
    }
}

/// Bytes of packet records handed to [`Progress::advance`] at a time.
const PROGRESS_STEP: u64 = 1 << 20;

/// Progress reporting hook: told about the bytes of packet records read.
pub trait Progress {
    /// A new file of `len` bytes starts.
    fn file(&mut self, path: &Path, len: u64);
    /// About `n` more bytes of the current file were read.
    fn advance(&mut self, n: u64);
    /// The pass is over.
    fn finish(&mut self);
}

/// What the pass folds frame by frame, besides the dissector.
struct Fold {
    agg: Agg,
    /// Per subflow still in the table.
    subs: BySlot<SubAcc>,
    /// Per connection still in a table (or with a subflow still in one).
    recs: FxMap<u32, ConnRec>,
    /// Connection slot bits → serial, while the record exists (a record can
    /// outlive its slot, which may meanwhile hold a newer connection).
    serial_of: FxMap<u64, u32>,
    /// Handshakes that are not (yet) connections, by subflow slot bits:
    /// mirroring / stripping evidence.
    handshakes: FxMap<u64, (MirrorEvidence, StripEvidence)>,
    /// Plain-TCP SYNs by 4-tuple.
    plain: BTreeSet<(IpAddr, u16, IpAddr, u16)>,
}

impl Fold {
    /// A connection or subflow left the tables.
    fn gone(&mut self, g: Gone) {
        match g {
            Gone::Connection {
                id, conn, analysis, ..
            } => {
                let r = self.recs.entry(id.serial).or_default();
                r.conn = Some(conn);
                r.an.add_quiet(analysis.as_ref());
                r.gone = true;
                if r.live == 0 {
                    finish(
                        &mut self.agg,
                        &mut self.recs,
                        &mut self.serial_of,
                        id.serial,
                    );
                }
            }
            Gone::Subflow {
                id,
                key,
                subflow,
                analysis,
                ..
            } => {
                let acc = self.subs.remove(id.0).unwrap_or_default();
                let serial = acc.serial.or_else(|| {
                    subflow
                        .claimed_conn()
                        .and_then(|c| self.serial_of.get(&c.to_bits()).copied())
                });
                let Some(s) = serial else { return };
                let r = self.recs.entry(s).or_default();
                if acc.serial.is_some() {
                    r.live = r.live.saturating_sub(1);
                }
                r.an.add_incomplete(analysis.as_ref());
                r.subflows.push(SubDone {
                    key,
                    sub: subflow,
                    pkts: acc.pkts,
                    bytes: acc.bytes,
                    payload: acc.payload,
                    backup: acc.backup || subflow.backup(),
                });
                if r.gone && r.live == 0 {
                    finish(&mut self.agg, &mut self.recs, &mut self.serial_of, s);
                }
            }
        }
    }

    /// After the dissection `dis` of a frame by `d`.
    #[inline]
    fn frame(&mut self, dis: &Dissection<'_>, d: &DissectorView<'_>) {
        let Ok(frame) = &dis.frame else { return };
        // A TCP header the snap length cut is still a TCP packet
        // (as tshark counts it), though the dissector cannot track it.
        if !matches!(
            frame.transport,
            Transport::Tcp(_) | Transport::MalformedTcp(_)
        ) {
            return;
        }
        let v = usize::from(frame.ip_version() == 6);
        let ip_len =
            (frame.transport_offset - frame.ip_offset) as u64 + u64::from(frame.transport_len);
        self.agg.tcp_pkts[v] += 1;
        self.agg.tcp_bytes[v] += ip_len;
        // Payload as on the wire (the IP length, not what was captured:
        // header-only traces like the paper's keep their sizes).
        let payload = match frame.transport {
            Transport::Tcp(t) => frame.transport_len.saturating_sub(t.header_len() as u32),
            _ => 0,
        };
        // A TCP SYN that offered no MPTCP: plain TCP (as `conns`).
        if let (None, Some(seg)) = (dis.subflow, &dis.segment) {
            if seg.flags.contains(TcpFlags::SYN) && !seg.flags.contains(TcpFlags::ACK) && !seg.mptcp
            {
                self.plain
                    .insert((frame.src(), seg.src_port, frame.dst(), seg.dst_port));
            }
        }
        for e in d.events().iter() {
            match *e {
                // A backup flag set by the join's SYN or an MP_PRIO.
                Event::SubflowJoined { subflow, .. } | Event::PriorityChanged { subflow, .. }
                    if d.subflow(subflow.0).is_some_and(|(_, s)| s.backup()) =>
                {
                    self.subs.entry(subflow.0).backup = true;
                }
                Event::Mapping {
                    conn,
                    dsn,
                    verdict,
                    tcp_verified,
                    ..
                } => {
                    self.recs
                        .entry(conn.serial)
                        .or_default()
                        .an
                        .mapping(dsn, verdict, tcp_verified)
                }
                Event::MpFailMatched { result, .. } => {
                    let name = match result {
                        MpFailMatch::Flagged => "flagged",
                        MpFailMatch::NotFlagged => "not_flagged",
                        MpFailMatch::Echo => "echo",
                    };
                    *self.agg.mp_fail_match.entry(name).or_default() += 1;
                }
                Event::Mirrored {
                    subflow,
                    conn,
                    evidence,
                } => match conn {
                    Some(c) => {
                        let an = &mut self.recs.entry(c.serial).or_default().an;
                        an.mirror = an.mirror.union(evidence);
                    }
                    None => {
                        let h = self.handshakes.entry(subflow.0.to_bits()).or_default();
                        h.0 = h.0.union(evidence);
                    }
                },
                Event::Stripped {
                    subflow,
                    conn,
                    evidence,
                } => match conn {
                    Some(c) => {
                        let an = &mut self.recs.entry(c.serial).or_default().an;
                        an.strip = an.strip.union(evidence);
                    }
                    None => {
                        let h = self.handshakes.entry(subflow.0.to_bits()).or_default();
                        h.1 = h.1.union(evidence);
                    }
                },
                Event::NewConnection { conn } => {
                    self.serial_of.insert(conn.slot.to_bits(), conn.serial);
                    self.recs.entry(conn.serial).or_default().slot = conn.slot.to_bits();
                }
                Event::AddrAdvertised {
                    conn,
                    sender,
                    addr_id,
                    ip,
                    port,
                    class,
                    echo: false,
                    ..
                } => {
                    self.agg.add_addr_options += 1;
                    let adv = Adv {
                        sender_client: sender == Role::C2s,
                        id: addr_id,
                        ip,
                        port,
                    };
                    self.recs
                        .entry(conn.serial)
                        .or_default()
                        .advs
                        .insert(adv, class);
                }
                Event::MpFail { conn, .. } => {
                    self.recs
                        .entry(conn.serial)
                        .or_default()
                        .mp_fail
                        .push(frame.ip_version());
                }
                Event::Fallback { why, .. } => {
                    *self
                        .agg
                        .fallback_events
                        .entry(fallback_name(why))
                        .or_default() += 1;
                }
                _ => {}
            }
        }
        if let Some(sid) = dis.subflow {
            let acc = self.subs.entry(sid.0);
            acc.pkts += 1;
            acc.bytes += ip_len;
            if let Some(dir) = dis.dir {
                acc.payload[usize::from(dir == Direction::Reverse)] += u64::from(payload);
            }
            if acc.serial.is_none() {
                let serial = dis.conn.map(|c| c.serial).or_else(|| {
                    d.subflow(sid.0)
                        .and_then(|(_, s)| s.claimed_conn())
                        .and_then(|c| self.serial_of.get(&c.to_bits()).copied())
                });
                if let Some(s) = serial {
                    acc.serial = Some(s);
                    self.recs.entry(s).or_default().live += 1;
                }
            }
        }
    }
}

/// Runs the pass over `files` (one trace, in the order given).
pub fn collect(
    files: &[PathBuf],
    capacity: usize,
    progress: &mut dyn Progress,
) -> Result<Agg, Error> {
    // The first file starts being read (on a thread of its own) while the
    // tables are allocated and initialised.
    let mut first = files.first().map(|p| capture::open_with(p, tcp_check));
    let mut mem = Memory::new(capacity);
    // Valid and not-negotiated mappings are counted from each connection's
    // analysis (`Analysis::add_quiet`), not one event each.
    mem.quiet_dss_events();
    mem.init(crate::seed::get());
    let mut fold = Fold {
        agg: Agg {
            files: files.to_vec(),
            ..Agg::default()
        },
        subs: BySlot::new(),
        recs: FxMap::default(),
        serial_of: FxMap::default(),
        handshakes: FxMap::default(),
        plain: BTreeSet::new(),
    };
    // Earliest and latest capture time (capture times are never NaN).
    let (mut first_ts, mut last_ts) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut frames = 0;
    // Packets more than a second older than one read before them (their
    // times go to the dissector as they are).
    let mut backwards = 0u64;
    let (mut errors, mut unsupported_link) = (Vec::new(), 0u64);
    let mut warnings = Vec::new();
    for path in files {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        progress.file(path, len);
        let capture = match first.take() {
            Some(opened) => opened,
            None => capture::open_with(path, tcp_check),
        };
        let capture = match capture {
            Ok(c) => c,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        // Bytes read but not yet handed to `progress`.
        let mut unreported = 0;
        // The latest time of the files before this one.
        let (before, mut overlap) = (last_ts, 0.0f64);
        // TCP checksums are verified where the packets are read (on the
        // reader thread of a large file).
        let read = capture.for_each_prepared(|pkt, check| {
            frames += 1;
            unreported += pkt.data.len() as u64 + 16;
            if unreported >= PROGRESS_STEP {
                progress.advance(unreported);
                unreported = 0;
            }
            if pkt.ts < first_ts {
                first_ts = pkt.ts;
            }
            if pkt.ts > last_ts {
                last_ts = pkt.ts;
            } else if pkt.ts < last_ts - 1.0 {
                backwards += 1;
            }
            overlap = overlap.max(before - pkt.ts);
            let Some(link) = LinkType::from_pcap(pkt.linktype) else {
                unsupported_link += 1;
                return;
            };
            // Rounded to the microsecond: `ts` is an f64 (≈ 0.24 µs apart
            // at today's epoch), and pcap times are microseconds.
            let now = round_u64(pkt.ts * 1e6).saturating_mul(1000);
            mem.make_room();
            let mut d = mem.view();
            let dis = d.dissect_checked(pkt.data, link, now, check, |g| fold.gone(g));
            fold.frame(&dis, &d);
        });
        progress.advance(unreported);
        if let Err(e) = read {
            errors.push(e.to_string());
        }
        if overlap > 0.0 {
            warnings.push(format!(
                "{} overlaps in time the files before it (by {overlap:.6} s): files are \
                 read one after the other, so its earlier packets come late to the \
                 dissector; merge overlapping captures by time first (mergecap)",
                path.display()
            ));
        }
    }
    if backwards > 0 {
        warnings.push(format!(
            "{backwards} packets carry a time more than 1 s before a packet read earlier \
             (reordered or corrupt timestamps, or files overlapping in time): handshake \
             RTTs, delays and idle timeouts around them are unreliable"
        ));
    }
    if unsupported_link > 0 {
        warnings.push(format!(
            "{unsupported_link} frames of an unsupported link type were skipped"
        ));
    }
    let Fold {
        mut agg,
        mut subs,
        mut recs,
        mut serial_of,
        handshakes,
        plain,
    } = fold;
    agg.frames = frames;
    agg.errors = errors;
    agg.warnings = warnings;
    agg.unsupported_link = unsupported_link;
    if agg.frames > 0 {
        agg.first_ts = Some(first_ts);
        agg.last_ts = Some(last_ts);
    }
    // End of trace: what is still in the tables.
    let d = mem.view();
    for (id, key, s) in d.subflows() {
        let acc = subs.remove(id.0).unwrap_or_default();
        let serial = acc.serial.or_else(|| {
            s.claimed_conn()
                .and_then(|c| serial_of.get(&c.to_bits()).copied())
        });
        if let Some(serial) = serial {
            let r = recs.entry(serial).or_default();
            r.an.add_incomplete(d.subflow_analysis(id.0));
            r.subflows.push(SubDone {
                key: *key,
                sub: *s,
                pkts: acc.pkts,
                bytes: acc.bytes,
                payload: acc.payload,
                backup: acc.backup || s.backup(),
            });
        }
    }
    for (id, c) in d.connections() {
        let r = recs.entry(id.serial).or_default();
        r.conn = Some(*c);
        r.an.add_quiet(d.conn_analysis(id.slot));
    }
    agg.stats = d.stats();
    for (mirror, strip) in handshakes.into_values() {
        let v = Analysis {
            mirror,
            strip,
            ..Analysis::default()
        }
        .verdict(false);
        *agg.verdicts.entry(v.name()).or_default() += 1;
    }
    if !plain.is_empty() {
        agg.verdicts.insert("plain_tcp", plain.len() as u64);
    }
    let mut left: Vec<u32> = recs.keys().copied().collect();
    left.sort_unstable();
    for s in left {
        finish(&mut agg, &mut recs, &mut serial_of, s);
    }
    progress.finish();
    Ok(agg)
}

/// The connection-level (client, server) addresses of a subflow.
fn conn_ips(key: &FlowKey, s: &Subflow) -> (IpAddr, IpAddr) {
    let ((initiator, _), (listener, _)) = key.endpoints(s.client_dir());
    if s.listener_is_conn_client() {
        (listener, initiator)
    } else {
        (initiator, listener)
    }
}

/// Folds the record of connection `serial` into `agg` and drops it.
fn finish(
    agg: &mut Agg,
    recs: &mut FxMap<u32, ConnRec>,
    serial_of: &mut FxMap<u64, u32>,
    serial: u32,
) {
    let Some(mut r) = recs.remove(&serial) else {
        return;
    };
    serial_of.remove(&r.slot);
    let Some(c) = r.conn else {
        return;
    };
    r.subflows.sort_by_key(|s| s.sub.syn_ts());
    agg.conns += 1;
    // §3.4 middlebox analysis.
    let verdict = r.an.verdict(!r.mp_fail.is_empty());
    *agg.verdicts.entry(verdict.name()).or_default() += 1;
    let d = &mut agg.dss;
    d.valid += r.an.valid;
    d.invalid += r.an.invalid;
    d.unverifiable += r.an.unverifiable;
    d.not_negotiated += r.an.not_negotiated;
    d.invalid_tcp_verified += r.an.invalid_tcp_verified;
    for (k, n) in &r.an.reasons {
        *d.reasons.entry(k).or_default() += n;
    }
    let (_, (_, server_port)) = c.endpoints();
    *agg.port_conns.entry(server_port).or_default() += 1;
    for s in &r.subflows {
        let v = usize::from(!s.key.is_ipv4());
        agg.mptcp_pkts[v] += s.pkts;
        agg.mptcp_bytes[v] += s.bytes;
        *agg.port_pkts.entry(server_port).or_default() += s.pkts;
        agg.clients.insert(conn_ips(&s.key, &s.sub).0);
    }

    // §3.1 addresses.
    let by_client = r.advs.keys().any(|a| a.sender_client);
    let by_server = r.advs.keys().any(|a| !a.sender_client);
    agg.announcing_client += u64::from(by_client);
    agg.announcing_server += u64::from(by_server);
    agg.announcing_any += u64::from(by_client || by_server);
    for (a, class) in &r.advs {
        let v = if a.ip.is_ipv4() { 4 } else { 6 };
        let sender = if a.sender_client { "client" } else { "server" };
        *agg.addr_classes
            .entry((sender, v, class.to_string()))
            .or_default() += 1;
        agg.add_addr_with_port += u64::from(a.port.is_some());
    }
    let n = r.advs.len() as u64;
    if n > agg.max_addrs.0 {
        agg.max_addrs = (n, Some(serial));
    }

    // §3.2 subflow establishment.
    let initial = r
        .subflows
        .iter()
        .find(|s| s.sub.kind() == SubflowKind::Initial);
    let joins: Vec<&SubDone> = r
        .subflows
        .iter()
        .filter(|s| s.sub.kind() == SubflowKind::Join)
        .collect();
    if !joins.is_empty() || c.first_join_ts().is_some() {
        agg.conns_with_join += 1;
    }
    // From the initial SYN: not measured if that SYN was not captured.
    if let (Some(i), Some(j)) = (initial.filter(|i| i.sub.syn_seen()), c.first_join_ts()) {
        agg.join_delays
            .push(j.saturating_sub(i.sub.syn_ts()) as f64 / 1e9);
    }
    // Linux's n-subflow path manager opens its joins between the initial
    // subflow's two addresses (other ports); a join from the same client
    // address to another server address (learned by ADD_ADDR) is the
    // full mesh's.
    if let Some(i) = initial {
        let pair = conn_ips(&i.key, &i.sub);
        let same = joins
            .iter()
            .filter(|j| conn_ips(&j.key, &j.sub) == pair)
            .count();
        agg.same_addr_any += u64::from(same > 0);
        agg.same_addr_all += u64::from(same > 0 && same == joins.len());
    }
    let backups = r.subflows.iter().filter(|s| s.backup).count() as u64;
    agg.backup_subflows += backups;
    agg.backup_conns += u64::from(backups > 0);
    agg.mp_prio_conns += u64::from(c.mp_prio > 0);
    agg.mp_prio_options += u64::from(c.mp_prio);
    let rtts: Vec<f64> = r
        .subflows
        .iter()
        .filter(|s| s.sub.established())
        .filter_map(|s| s.sub.rtt_us())
        .map(|u| f64::from(u) / 1000.0)
        .collect();
    if rtts.len() >= 2 {
        let max = rtts.iter().copied().fold(f64::MIN, f64::max);
        let min = rtts.iter().copied().fold(f64::MAX, f64::min);
        agg.rtt_spreads.push(max - min);
    }

    // §3.3 subflows and bytes.
    let attempted = r.subflows.len() as u64;
    let established = r.subflows.iter().filter(|s| s.sub.established()).count() as u64;
    *agg.attempted_hist.entry(attempted).or_default() += 1;
    *agg.established_hist.entry(established).or_default() += 1;
    // Per subflow: the established ones (an attempt that never
    // established carries nothing and would only add zeros).
    let mut total = 0;
    for s in &r.subflows {
        let b = s.total();
        if s.sub.established() {
            agg.subflow_bytes.push(b);
        }
        total += b;
    }
    agg.conn_bytes.push(total);

    // §3.4 middleboxes.
    for v in &r.mp_fail {
        *agg.mp_fail.entry((server_port, *v)).or_default() += 1;
    }
    agg.mp_fail_conns += u64::from(!r.mp_fail.is_empty() || c.mp_fail > 0);
    if c.checksum {
        agg.checksum_on += 1;
    } else {
        agg.checksum_off += 1;
    }
    let syn_flags = initial
        .filter(|i| i.sub.syn_seen())
        .and_then(|i| i.sub.syn_capable_flags());
    if let Some(f) = syn_flags {
        agg.client_syns += 1;
        agg.client_opted_out += u64::from(f & MpCapable::FLAG_CHECKSUM == 0);
    }
    agg.fallback_conns += u64::from(c.fallback);

    // §3.5 termination.
    let end = match c.end_so_far() {
        ConnEnd::DataFin => "data_fin",
        ConnEnd::Fastclose => "fastclose",
        ConnEnd::Rst => "rst_only",
        ConnEnd::FinOnly => "fin_only",
        ConnEnd::Evicted => "evicted",
        ConnEnd::Open | ConnEnd::Idle => "open",
    };
    *agg.ends.entry(end).or_default() += 1;

    // §3.6 data distribution.
    if established >= 2 && total > 0 {
        if let Some(i) = initial {
            agg.initial_fraction.push(i.total() as f64 / total as f64);
        }
        for (role, out) in [
            (Role::C2s, &mut agg.reinjected_c2s),
            (Role::S2c, &mut agg.reinjected_s2c),
        ] {
            let sent: u64 = r.subflows.iter().map(|s| s.conn_bytes(role)).sum();
            if sent > 0 {
                out.push(c.dir(role).reinjected as f64 / sent as f64);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_u64_is_round_half_away_from_zero() {
        let cases: [(f64, u64); 12] = [
            (0.0, 0),
            (0.4999999999999999, 0),
            (0.5, 1),
            (1.5, 2),
            (2.5, 3),
            (1_795_290_583_506_267.0 + 0.25, 1_795_290_583_506_267),
            (1_795_290_583_506_267.5, 1_795_290_583_506_268),
            (-0.7, 0),
            (-3.5, 0),
            (9_007_199_254_740_993.0, 9_007_199_254_740_992),
            (f64::NAN, 0),
            (f64::INFINITY, u64::MAX),
        ];
        for (x, want) in cases {
            assert_eq!(round_u64(x), want, "{x}");
        }
        assert_eq!(round_u64(1e30), u64::MAX);
        // Both sides of the i64 fast path's bounds.
        for x in [
            4_503_599_627_370_495.5,
            9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            -0.0,
            -f64::MIN_POSITIVE,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(round_u64(x), x.round() as u64, "{x}");
        }
        // Against std's `round` on capture-like times (µs since the epoch)
        // and on halves and their neighbours.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ts = (x % 4_000_000_000) as f64 + (x >> 40) as f64 / 16_777_216.0;
            let us = ts * 1e6;
            assert_eq!(round_u64(us), us.round() as u64, "{us}");
            let half = (x % 1_000_000) as f64 + 0.5;
            for v in [
                half,
                f64::from_bits(half.to_bits() - 1),
                f64::from_bits(half.to_bits() + 1),
            ] {
                assert_eq!(round_u64(v), v.round() as u64, "{v}");
            }
        }
    }

    #[test]
    fn by_slot_keeps_one_generation_per_index() {
        let mut m: BySlot<u64> = BySlot::new();
        let a = SlotId::from_bits(3);
        let a2 = SlotId::from_bits((1 << 32) | 3);
        *m.entry(a) += 5;
        *m.entry(a) += 1;
        // Another generation of the same slot is a different key…
        assert_eq!(m.remove(a2), None);
        assert_eq!(*m.entry(SlotId::from_bits(0)), 0);
        assert_eq!(m.remove(a), Some(6));
        assert_eq!(m.remove(a), None);
        // …and replaces a stale value it finds.
        *m.entry(a) += 7;
        assert_eq!(*m.entry(a2), 0);
        assert_eq!(m.remove(a), None);
        assert_eq!(m.remove(SlotId::from_bits(1 << 40)), None);
    }

    #[test]
    fn fx_map_is_a_map() {
        let mut m: FxMap<u64, u64> = FxMap::default();
        for k in 0..10_000u64 {
            *m.entry(k << 32 | (k % 7)).or_default() += k;
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get(&(5 << 32 | 5)), Some(&5));
        let mut h = FxHasher::default();
        h.write(b"0123456789");
        let mut g = FxHasher::default();
        g.write(b"0123456788");
        assert_ne!(h.finish(), g.finish());
    }
}
