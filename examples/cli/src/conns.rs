//! `mpdissect conns`: one JSON object per MPTCP connection.
//!
//! This module owns the per-connection report. It runs every packet through
//! the core's dissector — over `Vec`-allocated table memory through
//! [`DissectorView`], as a C caller would over its own memory — and turns
//! connection and subflow state into JSON. It must not interpret packet
//! bytes itself: everything comes from the dissector's state and events.
//! ADD_ADDR lists are accumulated from events, so they are complete even past
//! the core's bounded per-connection set; connections and subflows removed
//! from the tables during the run are kept from the removal callback.
//!
//! Middlebox analysis (DSS mapping verdicts, TCP checksum errors, mirroring
//! and stripping evidence, MP_FAIL correlation) is accumulated from the
//! dissector's events (all mapping verdicts are requested), so it survives
//! eviction too. TCP checksums are verified (captures are assumed to be
//! taken without offload; a capture taken on a sender with TSO/GSO has
//! partial checksums in every segment and shows up as
//! `tcp_checksum_errors` on every segment, while DSS verdicts are still
//! given from the mappings). The check is made where each packet is read
//! ([`tcp_check`], on the capture's reader thread for a large file) and
//! given to the dissector ([`DissectorView::dissect_checked`]): the same
//! verdicts as its own verifying path, off the thread that dissects.
//! Handshakes that never became a connection
//! (mirrored, stripped) and TCP connections that never offered MPTCP are
//! reported as objects with `"id": null`.
//!
//! TCP-timestamp RTT samples are read from the dissector's per-subflow
//! analysis state after every packet of the subflow (the only packets that
//! change them), so the last reading survives the subflow's removal (the
//! removal callback carries the subflow, not its analysis entry).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use mptcp_dissect::analysis::MpFailMatch;
use mptcp_dissect::analysis::{
    ConnAnalysis, DssVerdict, MiddleboxVerdict, MirrorEvidence, StripEvidence, SubflowAnalysis,
    UnverifiableReason,
};
use mptcp_dissect::dissector::{
    DissectorConfig, DissectorState, DissectorView, Event, Gone, TcpCheck,
};
use mptcp_dissect::flow::{
    ConnEnd, Connection, FlowKey, FlowTableView, HmacVerdict, Role, Slot, SlotId, Subflow,
    SubflowEnd, SubflowKind, TableState, TsRtt,
};
use mptcp_dissect::wire::frame::{parse_frame, LinkType};
use mptcp_dissect::wire::mptcp::Version;
use mptcp_dissect::wire::tcp::TcpFlags;
use serde_json::{json, Value};

use crate::capture::{self, Packet};
use crate::Error;

/// The TCP checksum check of `packet` that the dissector's verifying path
/// would make ([`TcpCheck::of_frame`]), for [`capture::open_with`]: the
/// capture's reader thread makes it, the dissector takes it.
pub fn tcp_check(packet: &Packet<'_>) -> Option<TcpCheck> {
    let link = LinkType::from_pcap(packet.linktype)?;
    TcpCheck::of_frame(&parse_frame(packet.data, link).ok()?)
}

/// What the report knows about one connection.
#[derive(Default)]
pub struct Record {
    /// Latest state (from the table, or the removal callback).
    pub conn: Option<Connection>,
    /// Subflows by slot bits (latest state).
    pub subflows: BTreeMap<u64, (FlowKey, Subflow)>,
    /// ADD_ADDR advertisements (non-echo), in order.
    pub add_addr: Vec<Value>,
    /// Middlebox analysis, from events.
    pub an: Analysis,
    /// TCP-timestamp RTT samples by subflow slot bits (last reading).
    pub ts: BTreeMap<u64, TsRtt>,
}

/// Middlebox analysis of one connection (or handshake), from events.
#[derive(Debug, Default, Clone)]
pub struct Analysis {
    /// Mapping verdicts: valid, invalid, unverifiable, not negotiated.
    pub valid: u64,
    /// Invalid mappings.
    pub invalid: u64,
    /// Unverifiable mappings (not counting not negotiated).
    pub unverifiable: u64,
    /// Mappings without checksum (not negotiated).
    pub not_negotiated: u64,
    /// Unverifiable reasons.
    pub reasons: BTreeMap<&'static str, u64>,
    /// DSNs of invalid mappings.
    pub invalid_dsns: Vec<u64>,
    /// Invalid mappings all of whose segments had a verified TCP checksum.
    pub invalid_tcp_verified: u64,
    /// MP_FAIL DSNs and their correlation.
    pub mp_fail: Vec<(u64, Option<MpFailMatch>)>,
    /// Segments with a bad TCP checksum.
    pub tcp_checksum_errors: u64,
    /// Mirroring evidence.
    pub mirror: MirrorEvidence,
    /// Stripping evidence.
    pub strip: StripEvidence,
    /// An infinite mapping was seen.
    pub infinite: bool,
    /// Third-ACK key mismatches.
    pub key_mismatch: u64,
}

impl Analysis {
    /// Counts one mapping verdict.
    pub fn mapping(&mut self, dsn: u64, verdict: DssVerdict, tcp_verified: bool) {
        match verdict {
            DssVerdict::Valid => self.valid += 1,
            DssVerdict::Invalid => {
                self.invalid += 1;
                self.invalid_dsns.push(dsn);
                if tcp_verified {
                    self.invalid_tcp_verified += 1;
                }
            }
            DssVerdict::Unverifiable(UnverifiableReason::NotNegotiated) => self.not_negotiated += 1,
            DssVerdict::Unverifiable(r) => {
                self.unverifiable += 1;
                if r == UnverifiableReason::InfiniteMapping {
                    self.infinite = true;
                }
                *self.reasons.entry(reason_str(r)).or_default() += 1;
            }
        }
    }

    /// Counts the mappings of a subflow whose verdict was still open when
    /// it left the table or the trace ended (its last bytes never
    /// captured) as unverifiable, reason `incomplete`: every checksummed
    /// mapping seen gets one verdict.
    pub fn add_incomplete(&mut self, a: Option<&SubflowAnalysis>) {
        let n = u64::from(a.map_or(0, SubflowAnalysis::dss_pending));
        if n > 0 {
            self.unverifiable += n;
            *self.reasons.entry("incomplete").or_default() += n;
        }
    }

    /// Adds the mapping verdicts that are not events under
    /// [`Memory::quiet_dss_events`] (`valid`, `not_negotiated`) from a
    /// connection's analysis, once, when it leaves the table or the trace
    /// ends.
    pub fn add_quiet(&mut self, a: Option<&ConnAnalysis>) {
        if let Some(a) = a {
            self.valid += u64::from(a.counters.valid);
            self.not_negotiated += u64::from(a.counters.not_negotiated);
        }
    }

    /// The verdict (`mp_fail`: the connection saw MP_FAIL).
    pub fn verdict(&self, mp_fail: bool) -> MiddleboxVerdict {
        MiddleboxVerdict::from_evidence(self.mirror, self.strip, mp_fail || self.infinite)
    }
}

fn reason_str(r: UnverifiableReason) -> &'static str {
    match r {
        UnverifiableReason::Gap => "gap",
        UnverifiableReason::Truncated => "truncated",
        UnverifiableReason::NotNegotiated => "not_negotiated",
        UnverifiableReason::MissingChecksum => "missing_checksum",
        UnverifiableReason::InfiniteMapping => "infinite_mapping",
        UnverifiableReason::OverlappingMapping => "overlapping_mapping",
        UnverifiableReason::UnknownDsn => "unknown_dsn",
    }
}

/// A handshake that is not (yet) a connection: mirrored, stripped, or a
/// TCP connection that never offered MPTCP.
#[derive(Clone)]
pub struct Handshake {
    /// Client endpoint.
    pub client: SocketAddr,
    /// Server endpoint.
    pub server: SocketAddr,
    /// MPTCP was offered in the SYN.
    pub offered: bool,
    /// Analysis (evidence only).
    pub an: Analysis,
}

/// Slots each table starts with (or its capacity, if smaller).
const FIRST_SLOTS: usize = 1024;
/// Free slots each table keeps ahead of a frame: more than one frame can
/// take (a subflow, a connection, its token and an alias token).
const ROOM: usize = 8;

/// Memory for a [`DissectorView`] of up to `cap` subflows and connections.
///
/// The slot and analysis arrays grow with use ([`Memory::make_room`], a
/// doubling up to the capacity, before each frame) instead of being written
/// in full up front: at the report's default capacity that is 46 MB of
/// page faults and writes, more than most captures ever use. The indexes
/// are allocated in full (a few MB, `calloc`ed).
pub struct Memory {
    cap: usize,
    st: DissectorState,
    sub_st: TableState,
    subs: Vec<Slot<FlowKey, Subflow>>,
    sub_idx: Vec<u32>,
    conn_st: TableState,
    conns: Vec<Slot<u32, Connection>>,
    conn_idx: Vec<u32>,
    tok_st: TableState,
    toks: Vec<Slot<u32, SlotId>>,
    tok_idx: Vec<u32>,
    sub_an: Vec<SubflowAnalysis>,
    conn_an: Vec<ConnAnalysis>,
}

/// `v` grown to keep [`ROOM`] slots past `used`, by doubling, at most to
/// `cap`.
fn grow<T: Clone>(v: &mut Vec<T>, used: usize, cap: usize, fill: T) {
    if used.saturating_add(ROOM) > v.len() && v.len() < cap {
        let to = (v.len() * 2).max(used + ROOM).min(cap);
        v.resize(to, fill);
    }
}

impl Memory {
    /// Tables of `cap` entries each (rounded up to a power of two), empty
    /// until [`Memory::init`].
    pub fn new(cap: usize) -> Memory {
        let cap = cap.max(1).next_power_of_two();
        let first = cap.min(FIRST_SLOTS);
        Memory {
            cap,
            st: DissectorState::new(DissectorConfig {
                // The passes give the check (`tcp_check`); a caller that
                // does not gets it computed.
                verify_tcp_checksum: true,
                dss_all_events: true,
                ..DissectorConfig::default()
            }),
            sub_st: TableState::new(),
            subs: vec![Slot::new(); first],
            sub_idx: vec![0; 2 * cap],
            conn_st: TableState::new(),
            conns: vec![Slot::new(); first],
            conn_idx: vec![0; 2 * cap],
            tok_st: TableState::new(),
            toks: vec![Slot::new(); first],
            tok_idx: vec![0; 2 * cap],
            sub_an: vec![SubflowAnalysis::new(); first],
            conn_an: vec![ConnAnalysis::new(); first],
        }
    }

    /// Only the DSS mapping verdicts other than `valid` and
    /// `not_negotiated` become events from now on
    /// ([`DissectorConfig::dss_all_events`] off): a caller that takes those
    /// two counts from each connection's [`ConnAnalysis::counters`] (when
    /// it leaves the table, or at the end) saves an event a mapping.
    pub fn quiet_dss_events(&mut self) {
        self.st.config.dss_all_events = false;
    }

    /// Initialises the tables, keyed with `seed`.
    pub fn init(&mut self, seed: [u8; 16]) {
        let mut s2 = seed;
        s2[0] ^= 1;
        let mut s3 = seed;
        s3[0] ^= 2;
        FlowTableView::new_partial(&mut self.sub_st, &mut self.subs, &mut self.sub_idx, seed)
            .expect("power-of-two capacity");
        FlowTableView::new_partial(&mut self.conn_st, &mut self.conns, &mut self.conn_idx, s2)
            .expect("power-of-two capacity");
        FlowTableView::new_partial(&mut self.tok_st, &mut self.toks, &mut self.tok_idx, s3)
            .expect("power-of-two capacity");
    }

    /// Grows the slot (and analysis) arrays that are close to full, so that
    /// the next frame finds free slots; call it before each frame.
    #[inline]
    pub fn make_room(&mut self) {
        // The usual case, one comparison per table: room enough already
        // (the analysis arrays grow with their table's slots).
        if self.sub_st.slots_used() + ROOM <= self.subs.len()
            && self.conn_st.slots_used() + ROOM <= self.conns.len()
            && self.tok_st.slots_used() + ROOM <= self.toks.len()
        {
            return;
        }
        self.grow_all();
    }

    #[cold]
    #[inline(never)]
    fn grow_all(&mut self) {
        let cap = self.cap;
        let su = self.sub_st.slots_used();
        grow(&mut self.subs, su, cap, Slot::new());
        grow(&mut self.sub_an, su, cap, SubflowAnalysis::new());
        let cu = self.conn_st.slots_used();
        grow(&mut self.conns, cu, cap, Slot::new());
        grow(&mut self.conn_an, cu, cap, ConnAnalysis::new());
        grow(&mut self.toks, self.tok_st.slots_used(), cap, Slot::new());
    }

    /// The dissector over the tables initialised by [`Memory::init`]
    /// (re-attached per frame: inlined, it costs a few length checks).
    #[inline(always)]
    pub fn view(&mut self) -> DissectorView<'_> {
        let attached = "tables initialised by Memory::init";
        let subs =
            FlowTableView::attach_partial(&mut self.sub_st, &mut self.subs, &mut self.sub_idx)
                .expect(attached);
        let conns =
            FlowTableView::attach_partial(&mut self.conn_st, &mut self.conns, &mut self.conn_idx)
                .expect(attached);
        let toks =
            FlowTableView::attach_partial(&mut self.tok_st, &mut self.toks, &mut self.tok_idx)
                .expect(attached);
        DissectorView::new(&mut self.st, subs, conns, toks)
            .with_analysis(&mut self.sub_an, &mut self.conn_an)
    }
}

/// Everything `conns` reports.
#[derive(Default)]
pub struct Report {
    /// Connections by id.
    pub conns: BTreeMap<u32, Record>,
    /// Handshakes without a connection, by subflow slot bits (MPTCP
    /// offered) or by 4-tuple (plain TCP).
    pub handshakes: BTreeMap<String, Handshake>,
    /// What ended the capture early (the records cover the packets before
    /// it).
    pub error: Option<capture::CaptureError>,
    /// Frames of a link type the dissector does not read (skipped).
    pub unsupported_link: u64,
}

/// Runs the dissector over `path`; returns the records by connection id.
#[allow(dead_code)] // kept for the report command
pub fn collect(path: &Path, capacity: usize) -> Result<BTreeMap<u32, Record>, Error> {
    let rep = collect_all(path, capacity)?;
    match rep.error {
        Some(e) => Err(e.into()),
        None => Ok(rep.conns),
    }
}

/// Runs the dissector over `path`; returns connections and handshakes.
pub fn collect_all(path: &Path, capacity: usize) -> Result<Report, Error> {
    let mut handshakes: BTreeMap<String, Handshake> = BTreeMap::new();
    let mut tcp_bad_pending: BTreeMap<u64, u64> = BTreeMap::new();
    let mut mem = Memory::new(capacity);
    mem.init(crate::seed::get());
    let mut recs: BTreeMap<u32, Record> = BTreeMap::new();
    // Connection slot bits → serial, for subflows that outlive the lookup.
    let mut serial_of: BTreeMap<u64, u32> = BTreeMap::new();
    let mut gone: Vec<Gone> = Vec::new();
    // Subflow slot bits → its TCP-timestamp RTT samples (last reading).
    let mut ts_of: BTreeMap<u64, TsRtt> = BTreeMap::new();
    let mut unsupported_link = 0u64;
    let read = capture::open_with(path, tcp_check)?.for_each_prepared(|pkt, check| {
        let Some(link) = LinkType::from_pcap(pkt.linktype) else {
            unsupported_link += 1;
            return;
        };
        // `as` saturates (and takes a negative or NaN time to 0).
        let now = (pkt.ts * 1e9) as u64;
        mem.make_room();
        let mut d = mem.view();
        let dis = d.dissect_checked(pkt.data, link, now, check, |g| gone.push(g));
        if let Some(a) = dis.subflow.and_then(|s| d.subflow_analysis(s.0)) {
            ts_of.insert(dis.subflow.map_or(0, |s| s.0.to_bits()), a.ts);
        }
        // Endpoints of this segment's subflow as (client, server).
        let ends = match (&dis.frame, dis.segment) {
            (Ok(f), Some(seg)) => {
                let src = SocketAddr::new(f.src(), seg.src_port);
                let dst = SocketAddr::new(f.dst(), seg.dst_port);
                Some(if dis.role == Some(Role::S2c) {
                    (dst, src)
                } else {
                    (src, dst)
                })
            }
            _ => None,
        };
        // A TCP SYN that offered no MPTCP: plain TCP.
        if let (Some(seg), None, Some((c, s))) = (dis.segment, dis.subflow, ends) {
            if seg.flags.contains(TcpFlags::SYN) && !seg.flags.contains(TcpFlags::ACK) && !seg.mptcp
            {
                handshakes
                    .entry(format!("plain {c} {s}"))
                    .or_insert_with(|| Handshake {
                        client: c,
                        server: s,
                        offered: false,
                        an: Analysis::default(),
                    });
            }
        }
        if let (Some(c), Some(sid)) = (dis.conn, dis.subflow) {
            if let Some(n) = tcp_bad_pending.remove(&sid.0.to_bits()) {
                recs.entry(c.serial).or_default().an.tcp_checksum_errors += n;
            }
        }
        for e in d.events().iter() {
            match *e {
                Event::Mapping {
                    conn,
                    dsn,
                    verdict,
                    tcp_verified,
                    ..
                } => recs
                    .entry(conn.serial)
                    .or_default()
                    .an
                    .mapping(dsn, verdict, tcp_verified),
                Event::TcpChecksumBad { subflow } => match dis.conn {
                    Some(c) => recs.entry(c.serial).or_default().an.tcp_checksum_errors += 1,
                    // Before its connection exists (SYN, SYN/ACK): kept by
                    // subflow until it has one (or is a handshake only).
                    None => *tcp_bad_pending.entry(subflow.0.to_bits()).or_default() += 1,
                },
                Event::MpFail { conn, dsn } => {
                    recs.entry(conn.serial)
                        .or_default()
                        .an
                        .mp_fail
                        .push((dsn, None));
                }
                Event::MpFailMatched { conn, dsn, result } => {
                    let r = recs.entry(conn.serial).or_default();
                    if let Some(m) = r.an.mp_fail.iter_mut().rev().find(|m| m.0 == dsn) {
                        m.1 = Some(result);
                    }
                }
                Event::KeyMismatch { conn } => {
                    recs.entry(conn.serial).or_default().an.key_mismatch += 1;
                }
                Event::Mirrored {
                    subflow,
                    conn,
                    evidence,
                } => {
                    let an = match conn {
                        Some(c) => &mut recs.entry(c.serial).or_default().an,
                        None => &mut hs_entry(&mut handshakes, subflow.0.to_bits(), ends).an,
                    };
                    an.mirror = an.mirror.union(evidence);
                }
                Event::Stripped {
                    subflow,
                    conn,
                    evidence,
                } => {
                    let an = match conn {
                        Some(c) => &mut recs.entry(c.serial).or_default().an,
                        None => &mut hs_entry(&mut handshakes, subflow.0.to_bits(), ends).an,
                    };
                    an.strip = an.strip.union(evidence);
                }
                Event::NewConnection { conn } => {
                    serial_of.insert(conn.slot.to_bits(), conn.serial);
                    recs.entry(conn.serial).or_default();
                }
                Event::AddrAdvertised {
                    conn,
                    addr_id,
                    ip,
                    port,
                    class,
                    hmac,
                    echo: false,
                    ..
                } => recs.entry(conn.serial).or_default().add_addr.push(json!({
                    "id": addr_id,
                    "ip": ip.to_string(),
                    "port": port,
                    "class": class.to_string(),
                    "hmac": hmac_str(Some(hmac)),
                })),
                _ => {}
            }
        }
        for g in gone.drain(..) {
            match g {
                Gone::Connection { id, conn, .. } => {
                    recs.entry(id.serial).or_default().conn = Some(conn);
                }
                Gone::Subflow {
                    id,
                    key,
                    subflow,
                    analysis,
                    ..
                } => {
                    if let Some(s) = subflow
                        .claimed_conn()
                        .and_then(|c| serial_of.get(&c.to_bits()))
                    {
                        let r = recs.entry(*s).or_default();
                        r.subflows.insert(id.0.to_bits(), (key, subflow));
                        r.an.add_incomplete(analysis.as_ref());
                    }
                }
            }
        }
    });
    let d = mem.view();
    for (id, c) in d.connections() {
        recs.entry(id.serial).or_default().conn = Some(*c);
    }
    for (id, key, s) in d.subflows() {
        if let Some(serial) = s.claimed_conn().and_then(|c| serial_of.get(&c.to_bits())) {
            let r = recs.entry(*serial).or_default();
            r.subflows.insert(id.0.to_bits(), (*key, *s));
            r.an.add_incomplete(d.subflow_analysis(id.0));
        }
    }
    for r in recs.values_mut() {
        for bits in r.subflows.keys() {
            if let Some(t) = ts_of.get(bits) {
                r.ts.insert(*bits, *t);
            }
        }
    }
    for (sub, n) in tcp_bad_pending {
        if let Some(h) = handshakes.get_mut(&format!("subflow {sub}")) {
            h.an.tcp_checksum_errors += n;
        }
    }
    Ok(Report {
        conns: recs,
        handshakes,
        error: read.err(),
        unsupported_link,
    })
}

fn hs_entry(
    handshakes: &mut BTreeMap<String, Handshake>,
    sub: u64,
    ends: Option<(SocketAddr, SocketAddr)>,
) -> &mut Handshake {
    let (c, s) = ends.unwrap_or((
        SocketAddr::from(([0, 0, 0, 0], 0)),
        SocketAddr::from(([0, 0, 0, 0], 0)),
    ));
    handshakes
        .entry(format!("subflow {sub}"))
        .or_insert_with(|| Handshake {
            client: c,
            server: s,
            offered: true,
            an: Analysis::default(),
        })
}

/// Run `conns` over `path`, writing one JSON line per connection to `out`.
pub fn run(path: &Path, capacity: usize, out: &mut impl Write) -> Result<(), Error> {
    let mut rep = collect_all(path, capacity)?;
    for (id, r) in &rep.conns {
        if let Some(v) = to_json(*id, r) {
            writeln!(out, "{}", serde_json::to_string(&v).unwrap_or_default())?;
        }
    }
    for h in rep.handshakes.values() {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&handshake_json(h)).unwrap_or_default()
        )?;
    }
    if rep.unsupported_link > 0 {
        eprintln!(
            "mpdissect: warning: {} frames of an unsupported link type were skipped",
            rep.unsupported_link
        );
    }
    // What was read is printed; an error that ended the capture early
    // still fails the command.
    match rep.error.take() {
        Some(e) => Err(Error::Incomplete(vec![e.to_string()])),
        None => Ok(()),
    }
}

/// The JSON object of a handshake without a connection.
pub fn handshake_json(h: &Handshake) -> Value {
    let verdict = if h.offered {
        h.an.verdict(false)
    } else {
        MiddleboxVerdict::PlainTcp
    };
    json!({
        "id": null,
        "client": h.client.to_string(),
        "server": h.server.to_string(),
        "verdict": verdict.name(),
        "mirror_evidence": mirror_names(h.an.mirror),
        "strip_evidence": strip_names(h.an.strip),
        "tcp_checksum_errors": h.an.tcp_checksum_errors,
    })
}

fn mirror_names(e: MirrorEvidence) -> Vec<&'static str> {
    MirrorEvidence::ALL
        .iter()
        .filter(|(b, _)| e.contains(*b))
        .map(|(_, n)| *n)
        .collect()
}

fn strip_names(e: StripEvidence) -> Vec<&'static str> {
    StripEvidence::ALL
        .iter()
        .filter(|(b, _)| e.contains(*b))
        .map(|(_, n)| *n)
        .collect()
}

fn fail_str(m: Option<MpFailMatch>) -> &'static str {
    match m {
        Some(MpFailMatch::Flagged) => "flagged",
        Some(MpFailMatch::NotFlagged) => "not_flagged",
        Some(MpFailMatch::Echo) => "echo",
        None => "unknown",
    }
}

fn hmac_str(h: Option<HmacVerdict>) -> Value {
    match h {
        Some(HmacVerdict::Valid) => json!("valid"),
        Some(HmacVerdict::Invalid) => json!("invalid"),
        Some(HmacVerdict::Unverifiable) => json!("unverifiable"),
        None => Value::Null,
    }
}

fn end_str(e: ConnEnd) -> &'static str {
    match e {
        ConnEnd::Open => "open",
        ConnEnd::DataFin => "data_fin",
        ConnEnd::Fastclose => "fastclose",
        ConnEnd::Rst => "rst",
        ConnEnd::FinOnly => "fin_only",
        ConnEnd::Evicted | ConnEnd::Idle => "evicted",
    }
}

fn sock(ep: (std::net::IpAddr, u16)) -> String {
    SocketAddr::from(ep).to_string()
}

/// The JSON object of one connection (`None` if its state was never seen).
pub fn to_json(id: u32, r: &Record) -> Option<Value> {
    let c = r.conn.as_ref()?;
    let (client, server) = c.endpoints();
    let subflows: Vec<Value> = r
        .subflows
        .iter()
        .map(|(bits, (key, s))| {
            let ((src, sport), (dst, dport)) = key.endpoints(s.client_dir());
            let ts = |role: Role| r.ts.get(bits).and_then(|t| t.stats(role));
            let (tc, tsc) = (ts(Role::C2s), ts(Role::S2c));
            let ms = |v: Option<u32>| v.map(|u| f64::from(u) / 1000.0);
            json!({
                "src": src.to_string(),
                "dst": dst.to_string(),
                "sport": sport,
                "dport": dport,
                "join": s.kind() == SubflowKind::Join,
                "backup": s.backup(),
                "addr_id": s.addr_id(),
                "syn_ts": s.syn_ts() as f64 / 1e9,
                "established": s.established(),
                "bytes_c2s": s.bytes(Role::C2s),
                "bytes_s2c": s.bytes(Role::S2c),
                "rtt_ms": s.rtt_us().map(|u| f64::from(u) / 1000.0),
                "ts_rtt_min_ms_c2s": ms(tc.map(|t| t.min_us)),
                "ts_rtt_avg_ms_c2s": ms(tc.map(|t| t.avg_us)),
                "ts_rtt_samples_c2s": tc.map(|t| t.samples),
                "ts_rtt_min_ms_s2c": ms(tsc.map(|t| t.min_us)),
                "ts_rtt_avg_ms_s2c": ms(tsc.map(|t| t.avg_us)),
                "ts_rtt_samples_s2c": tsc.map(|t| t.samples),
                "hmac": hmac_str(s.hmac()),
                "end": match s.end() {
                    SubflowEnd::Open => "open",
                    SubflowEnd::Fin => "fin",
                    SubflowEnd::Rst => "rst",
                },
            })
        })
        .collect();
    let end = c.end_so_far();
    Some(json!({
        "id": id,
        "version": match c.version { Version::V0 => 0, Version::V1 => 1 },
        "client": sock(client),
        "server": sock(server),
        "client_key": c.client_key(),
        "server_key": c.server_key,
        "client_token": c.client_token(),
        "server_token": c.server_token,
        "client_idsn": c.client_idsn(),
        "server_idsn": c.server_idsn,
        "checksum": c.checksum,
        "subflows": subflows,
        "add_addr": r.add_addr,
        "remove_addr": c.remove_addr,
        "mp_prio": c.mp_prio,
        "mp_fail": c.mp_fail,
        "fastclose": c.fastclose,
        "data_fin_c2s": c.data_fin(Role::C2s),
        "data_fin_s2c": c.data_fin(Role::S2c),
        "reinjected_c2s": c.dir(Role::C2s).reinjected,
        "reinjected_s2c": c.dir(Role::S2c).reinjected,
        "end": end_str(end),
        "verdict": r.an.verdict(c.mp_fail > 0).name(),
        "mirror_evidence": mirror_names(r.an.mirror),
        "strip_evidence": strip_names(r.an.strip),
        "dss": {
            "valid": r.an.valid,
            "invalid": r.an.invalid,
            "unverifiable": r.an.unverifiable,
            "not_negotiated": r.an.not_negotiated,
        },
        "dss_unverifiable_reasons": r.an.reasons,
        "invalid_dsns": r.an.invalid_dsns,
        "invalid_tcp_verified": r.an.invalid_tcp_verified,
        "mp_fail_dsns": r.an.mp_fail.iter().map(|m| m.0).collect::<Vec<_>>(),
        "mp_fail_match": r.an.mp_fail.iter().map(|m| fail_str(m.1)).collect::<Vec<_>>(),
        "tcp_checksum_errors": r.an.tcp_checksum_errors,
        "key_mismatch": r.an.key_mismatch,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arrays start small, grow by doubling to keep `ROOM` free slots,
    /// stop at the capacity, and the tables stay consistent across growth.
    #[test]
    fn tables_grow_with_use_up_to_the_capacity() {
        for cap in [8usize, 4096] {
            let mut mem = Memory::new(cap - 1);
            mem.init(*b"mpdissect-tests!");
            assert_eq!(mem.subs.len(), cap.min(FIRST_SLOTS));
            assert_eq!((mem.sub_idx.len(), mem.conn_idx.len()), (2 * cap, 2 * cap));
            for used in 0..cap + 5 {
                let used = used.min(cap);
                grow(&mut mem.subs, used, cap, Slot::new());
                assert!(mem.subs.len() <= cap);
                assert!(mem.subs.len() >= (used + ROOM).min(cap), "{used}");
            }
            assert_eq!(mem.subs.len(), cap);
            mem.make_room();
            let d = mem.view();
            assert_eq!(d.subflows().count(), 0);
            assert_eq!(d.connections().count(), 0);
        }
    }
}
