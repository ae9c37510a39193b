//! Stateful oracle: sequences of packets into a tiny dissector.
//!
//! The fuzz input is read as a program of small operations (handshake steps,
//! joins with right or wrong HMACs, DSS mappings, address signalling,
//! teardown, time jumps, raw garbage), each turned into a packet with
//! [`crate::synth`]. A dissector of 8 subflows and 4 connections makes
//! eviction and expiry happen all the time, so deep states are reached.
//!
//! Invariants checked after every packet:
//! * the ids a [`Dissection`] returns resolve to live entries (the
//!   connection's serial matches), and the tables never hold more than their
//!   capacity;
//! * the same program run against a dissector keyed with another hash seed
//!   gives exactly the same dissections: placement in the index must not
//!   change behaviour (eviction is by class and age only);
//! * the packet counter counts every packet;
//! * TCP checksum verdicts computed outside the dissector and handed to
//!   `dissect_checked` give the same dissections and counters as the
//!   dissector's own verification;
//! * the same packets in bursts through `dissect_burst` (of 20, 3, 13 and 1
//!   frames in turn: longer and shorter than the burst pipeline's depth),
//!   frame after frame and through the prefetching pipeline, give exactly
//!   the dissections, events and counters of one `dissect_with` call each.

use core::net::{IpAddr, Ipv4Addr};

use crate::crypto;
use crate::dissector::{Dissection, Dissector, DissectorConfig, DissectorView, TcpCheck};
use crate::synth::{write_ip, Segment};
use crate::wire::frame::{parse_frame, LinkType};
use crate::wire::mptcp::{
    AddAddr, AddAddrForm, DataAck, Dss, DssMapping, MpCapable, MpFail, MpFastclose, MpJoin, MpPrio,
    MptcpOption, RemoveAddr, Version,
};
use crate::wire::tcp::TcpFlags;

const SUBFLOWS: usize = 8;
const CONNS: usize = 4;
type D = Dissector<SUBFLOWS, CONNS>;

/// Reads the program; yields zeros once the input is exhausted.
struct Prog<'a> {
    data: &'a [u8],
}

impl Prog<'_> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        (u64::from(self.u32()) << 32) | u64::from(self.u32())
    }
    fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
}

/// The cast: four clients, each with an initial flow and a join flow to the
/// server; keys are fixed per client so the oracle can compute right HMACs.
#[derive(Clone, Copy)]
struct Flow {
    client: IpAddr,
    cport: u16,
    server: IpAddr,
}

fn flow(f: u8) -> Flow {
    let c = f % 4;
    let join = f & 4 != 0;
    Flow {
        client: IpAddr::V4(Ipv4Addr::new(10, u8::from(join), 0, c + 1)),
        cport: 1000 + u16::from(c) + if join { 100 } else { 0 },
        server: IpAddr::V4(Ipv4Addr::new(10, 9, 0, 1 + u8::from(join))),
    }
}

fn client_key(f: u8) -> u64 {
    0x1111_0000_0000_0000 | u64::from(f % 4)
}

fn server_key(f: u8) -> u64 {
    0x2222_0000_0000_0000 | u64::from(f % 4)
}

/// Runs one program against `d`, writing each packet's dissection summary
/// through `out`.
/// Where a run's TCP checksum verdicts come from.
#[derive(Clone, Copy)]
enum Checks {
    /// `dissect`: computed by the dissector if its configuration says so.
    Computed,
    /// `dissect_checked` with [`TcpCheck::of_frame`], computed beside it.
    Given,
}

fn run(
    d: &mut D,
    data: &[u8],
    checks: Checks,
    mut out: impl FnMut(&DissectorView<'_>, &Dissection<'_>),
) -> u64 {
    program(data, |frame, link, now| {
        // Removals of this frame, within the documented bound (every
        // dissector here has the default expiry work).
        let mut gone = 0usize;
        let r = match checks {
            Checks::Computed => d.dissect_with(frame, link, now, |_| gone += 1),
            Checks::Given => {
                let check = parse_frame(frame, link)
                    .ok()
                    .and_then(|f| TcpCheck::of_frame(&f));
                d.dissect_checked(frame, link, now, check, |_| gone += 1)
            }
        };
        assert!(
            gone <= DissectorConfig::default().max_removals_per_frame(),
            "{gone} removals in one frame"
        );
        out(&d.view(), &r);
    })
}

/// Burst lengths [`run_bursts`] takes in turn.
const BURSTS: [usize; 4] = [20, 3, 13, 1];
const MAX_BURST: usize = 20;

/// Runs one program against `d` in bursts through `dissect_burst` (no-op
/// prefetch), writing each packet's dissection summary through `out` with
/// the view as it is right after that packet.
fn run_bursts(
    d: &mut D,
    data: &[u8],
    mut out: impl FnMut(&DissectorView<'_>, &Dissection<'_>),
) -> u64 {
    let mut bufs = [[0u8; 1600]; MAX_BURST];
    let mut meta = [(0usize, LinkType::RawIp, 0u64); MAX_BURST];
    let (mut queued, mut bursts) = (0usize, 0usize);
    let mut flush =
        |d: &mut D, bufs: &[[u8; 1600]; MAX_BURST], meta: &[(usize, LinkType, u64)], n: usize| {
            let frames: [(&[u8], LinkType, u64); MAX_BURST] = core::array::from_fn(|i| {
                let (len, link, now) = meta.get(i).copied().unwrap_or((0, LinkType::RawIp, 0));
                (
                    bufs.get(i).and_then(|b| b.get(..len)).unwrap_or(&[]),
                    link,
                    now,
                )
            });
            d.view().dissect_burst(
                frames.get(..n).unwrap_or(&[]),
                |_| {},
                |_| {},
                |_, r, v| out(v, r),
            );
        };
    let packets = program(data, |frame, link, now| {
        if let (Some(b), Some(m)) = (bufs.get_mut(queued), meta.get_mut(queued)) {
            let n = frame.len().min(b.len());
            b[..n].copy_from_slice(&frame[..n]);
            *m = (n, link, now);
            queued += 1;
        }
        if queued == BURSTS[bursts % BURSTS.len()] {
            flush(d, &bufs, &meta, queued);
            queued = 0;
            bursts += 1;
        }
    });
    flush(d, &bufs, &meta, queued);
    packets
}

/// Turns one program into packets: `emit(frame, link type, now)` for each.
/// Returns how many. What it emits depends on the program only, never on
/// a dissector, so every run of a program sees the same packets.
fn program(data: &[u8], mut emit: impl FnMut(&[u8], LinkType, u64)) -> u64 {
    let mut p = Prog { data };
    let mut now: u64 = 1_000_000_000;
    // Last nonces seen per flow: (initiator, listener).
    let mut nonces = [(0u32, 0u32); 8];
    let mut packets = 0u64;
    let mut buf = [0u8; 1600];
    let payload = [0x5au8; 1500];
    while !p.data.is_empty() {
        let op = p.u8();
        let f = p.u8() % 8;
        let fl = flow(f);
        let v = if p.bool() { Version::V1 } else { Version::V0 };
        let to_server = op & 0x80 == 0;
        let (src, sport, dst, dport) = if to_server {
            (fl.client, fl.cport, fl.server, 80)
        } else {
            (fl.server, 80, fl.client, fl.cport)
        };
        let mut seg = Segment::new(src, sport, dst, dport);
        seg.seq = p.u32();
        seg.ack = p.u32();
        seg.flags = TcpFlags::ACK;
        if p.bool() {
            seg.timestamps = Some((p.u32(), p.u32()));
        }
        let (ck, sk) = (client_key(f), server_key(f));
        let mut opts: [MptcpOption<'_>; 1] = [MptcpOption::Fail(MpFail::new(0))];
        let ids = [p.u8(), p.u8()];
        let mut raw = false;
        match op & 0x0f {
            0 => {
                seg.flags = TcpFlags::SYN;
                opts[0] = capable(v, (v == Version::V0).then_some(ck), None);
            }
            1 => {
                seg.flags = TcpFlags::SYN | TcpFlags::ACK;
                opts[0] = capable(v, Some(sk), None);
            }
            2 => {
                let wrong = p.bool();
                opts[0] = capable(v, Some(if wrong { p.u64() } else { ck }), Some(sk));
            }
            3 | 14 => {
                let len = if op & 0x0f == 14 { 0 } else { p.u16() % 1500 };
                let n = usize::from(p.u16() % 1500);
                seg.payload = payload.get(..n).unwrap_or(&[]);
                opts[0] = MptcpOption::Dss(Dss {
                    flags: if p.bool() { Dss::FLAG_DATA_FIN } else { 0 },
                    reserved: 0,
                    data_ack: p.bool().then(|| DataAck {
                        value: u64::from(p.u32()),
                        wide: false,
                    }),
                    mapping: Some(DssMapping {
                        dsn: if p.bool() {
                            p.u64()
                        } else {
                            u64::from(p.u32())
                        },
                        dsn_wide: true,
                        ssn: p.u32(),
                        data_len: len,
                        checksum: p.bool().then(|| p.u16()),
                    }),
                });
            }
            4 => {
                seg.flags = TcpFlags::SYN;
                let initiator_nonce = p.u32();
                nonces[usize::from(f)].0 = initiator_nonce;
                let token = if p.bool() {
                    crypto::key_hash(v, sk).token
                } else {
                    p.u32()
                };
                opts[0] = MptcpOption::Join(MpJoin::Syn {
                    flags: 0,
                    backup: p.bool(),
                    addr_id: ids[0],
                    token,
                    nonce: initiator_nonce,
                });
            }
            5 => {
                seg.flags = TcpFlags::SYN | TcpFlags::ACK;
                let listener_nonce = p.u32();
                let n = &mut nonces[usize::from(f)];
                n.1 = listener_nonce;
                let trunc_hmac = if p.bool() {
                    crypto::join_synack_hmac(v, sk, ck, listener_nonce, n.0)
                } else {
                    p.u64()
                };
                opts[0] = MptcpOption::Join(MpJoin::SynAck {
                    flags: 0,
                    backup: false,
                    addr_id: ids[0],
                    trunc_hmac,
                    nonce: listener_nonce,
                });
            }
            6 => {
                let (a, b) = nonces[usize::from(f)];
                let mut hmac = crypto::join_ack_hmac(v, ck, sk, a, b);
                if p.bool() {
                    hmac[0] ^= 1;
                }
                opts[0] = MptcpOption::Join(MpJoin::ack(hmac));
            }
            7 => {
                let ip = IpAddr::V4(Ipv4Addr::from(p.u32()));
                let port = p.bool().then(|| p.u16());
                let (sender, receiver) = if to_server { (ck, sk) } else { (sk, ck) };
                let hmac = if p.bool() {
                    crypto::add_addr_hmac(sender, receiver, ids[0], ip, port)
                } else {
                    p.u64()
                };
                opts[0] = MptcpOption::AddAddr(AddAddr {
                    form: AddAddrForm::V1 { echo: false },
                    addr_id: ids[0],
                    ip,
                    port,
                    hmac: Some(hmac),
                });
            }
            8 => opts[0] = MptcpOption::RemoveAddr(RemoveAddr::new(&ids)),
            9 => {
                let backup = p.bool();
                opts[0] = MptcpOption::Prio(MpPrio {
                    flags: u8::from(backup),
                    backup,
                    addr_id: None,
                });
            }
            10 => {
                seg.flags = TcpFlags::RST;
                opts[0] = MptcpOption::Fastclose(MpFastclose::new(if to_server { sk } else { ck }));
            }
            11 => opts[0] = MptcpOption::Fail(MpFail::new(p.u64())),
            12 => {
                seg.flags = if p.bool() {
                    TcpFlags::FIN | TcpFlags::ACK
                } else {
                    TcpFlags::RST
                };
            }
            13 => {
                // Time passes (up to ~49 days in ms): idle entries expire.
                now = now.saturating_add(u64::from(p.u32()).saturating_mul(1_000_000));
                continue;
            }
            _ => raw = true,
        }
        now = now.saturating_add(u64::from(p.u16()) * 1_000);
        let n = if raw {
            let len = usize::from(p.u8());
            let take = p.data.get(..len).unwrap_or(p.data);
            p.data = p.data.get(take.len()..).unwrap_or(&[]);
            let n = take.len().min(buf.len());
            buf[..n].copy_from_slice(&take[..n]);
            n
        } else {
            let with_opts = !matches!(op & 0x0f, 12);
            if with_opts {
                seg.mptcp = &opts;
            }
            match write_ip(&seg, &mut buf) {
                Some(n) => {
                    if op & 0x40 != 0 {
                        corrupt_tcp_checksum(&mut buf[..n]);
                    }
                    n
                }
                None => continue,
            }
        };
        let link = if raw {
            LinkType::ALL[usize::from(op >> 4) % LinkType::ALL.len()]
        } else {
            LinkType::RawIp
        };
        emit(&buf[..n], link, now);
        packets += 1;
    }
    packets
}

/// Flips the TCP checksum field of a raw IP packet written by `write_ip`
/// (IPv4 header of its IHL, or a 40-byte IPv6 header): a segment a
/// verifying dissector must count as bad.
fn corrupt_tcp_checksum(packet: &mut [u8]) {
    let ip_len = match packet.first() {
        Some(&b) if b >> 4 == 4 => usize::from(b & 0x0f) * 4,
        _ => 40,
    };
    if let Some(c) = packet.get_mut(ip_len + 16) {
        *c ^= 0x5a;
    }
}

fn capable(v: Version, sender: Option<u64>, receiver: Option<u64>) -> MptcpOption<'static> {
    MptcpOption::Capable(MpCapable {
        version: v,
        flags: MpCapable::FLAG_HMAC_SHA,
        sender_key: sender,
        receiver_key: receiver,
        data_len: None,
        checksum: None,
    })
}

/// What is compared between the two runs: everything a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    conn: Option<(u32, u32)>,
    subflow: Option<u32>,
    events: usize,
    dropped: u16,
    digest: u64,
}

fn seen(d: &DissectorView<'_>, r: &Dissection<'_>) -> Seen {
    let events = d.events();
    // Events are compared through their Debug text, hashed (FNV-1a), so no
    // allocation is needed.
    struct Fnv(u64);
    impl core::fmt::Write for Fnv {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            for b in s.bytes() {
                self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
            Ok(())
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for e in events.iter() {
        let _ = core::fmt::write(&mut h, format_args!("{e:?};"));
    }
    Seen {
        conn: r.conn.map(|c| (c.slot.index(), c.serial)),
        subflow: r.subflow.map(|s| s.0.index()),
        events: events.len(),
        dropped: events.dropped,
        digest: h.0,
    }
}

fn check(d: &DissectorView<'_>, r: &Dissection<'_>) {
    if let Some(c) = r.conn {
        let conn = d
            .connection(c.slot)
            .expect("a returned connection id is live");
        assert_eq!(conn.serial, c.serial, "connection serial");
    }
    if let Some(s) = r.subflow {
        assert!(d.subflow(s.0).is_some(), "a returned subflow id is live");
    }
    assert!(d.connections().count() <= CONNS);
    assert!(d.subflows().count() <= SUBFLOWS);
}

/// A run's consumer that checks each packet's dissection and compares what
/// a caller sees with `log` (a reference run's), counting packets in `n`;
/// a difference fails with `what`.
fn against<'l>(
    log: &'l [Option<Seen>],
    n: &'l mut usize,
    what: &'static str,
) -> impl FnMut(&DissectorView<'_>, &Dissection<'_>) + 'l {
    move |d, r| {
        check(d, r);
        if let Some(Some(expected)) = log.get(*n) {
            assert_eq!(&seen(d, r), expected, "packet {}: {what}", *n);
        }
        *n += 1;
    }
}

/// Oracle for the stateful engine: see the module documentation.
pub fn stateful(data: &[u8]) {
    let mut a = D::new([0xa5; 16], DissectorConfig::default());
    let mut b = D::new([0x3c; 16], DissectorConfig::default());
    // Record run A's dissections (bounded: the first 4096 packets).
    let mut log = [None::<Seen>; 4096];
    let mut i = 0usize;
    let packets = run(&mut a, data, Checks::Computed, |d, r| {
        check(d, r);
        if let Some(slot) = log.get_mut(i) {
            *slot = Some(seen(d, r));
        }
        i += 1;
    });
    assert_eq!(a.stats().packets, packets, "packet counter");
    let mut j = 0usize;
    run(
        &mut b,
        data,
        Checks::Computed,
        against(&log, &mut j, "another hash seed changed the outcome"),
    );
    assert_eq!(i, j);
    // The same packets in bursts: the same dissections, events, counters;
    // frame after frame (the default for a table this small) and through
    // the prefetching pipeline with the eviction hints.
    let pipeline = DissectorConfig {
        burst_pipeline_from: 0,
        evict_hints_from: 0,
        ..DissectorConfig::default()
    };
    for (config, what) in [
        (DissectorConfig::default(), "a burst changed the outcome"),
        (pipeline, "a pipelined burst changed the outcome"),
    ] {
        let mut e = D::new([0xa5; 16], config);
        let mut n = 0usize;
        run_bursts(&mut e, data, against(&log, &mut n, what));
        assert_eq!(i, n);
        assert_eq!(e.stats(), a.stats(), "counters after bursts");
    }
    // TCP checksums verified by the dissector, and the same verdicts made
    // outside and handed in: the same dissections and counters.
    let verify = DissectorConfig {
        verify_tcp_checksum: true,
        ..DissectorConfig::default()
    };
    let mut c = D::new([0xa5; 16], verify);
    let mut k = 0usize;
    run(&mut c, data, Checks::Computed, |d, r| {
        if let Some(slot) = log.get_mut(k) {
            *slot = Some(seen(d, r));
        }
        k += 1;
    });
    let mut g = D::new([0xa5; 16], DissectorConfig::default());
    let mut m = 0usize;
    run(
        &mut g,
        data,
        Checks::Given,
        against(
            &log,
            &mut m,
            "a checksum verdict handed in differs from the computed one",
        ),
    );
    assert_eq!(k, m);
    assert_eq!(
        c.stats(),
        g.stats(),
        "counters with given checksum verdicts"
    );
}
