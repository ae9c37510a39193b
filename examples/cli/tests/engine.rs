//! The core dissector on real captures, from a std test binary:
//!
//! * `dissect_allocates_nothing`: a counting `#[global_allocator]` proves
//!   that `Dissector::dissect` makes zero allocations over every frame of
//!   every fixture (the capture is read — which allocates — before counting
//!   starts; only the `dissect` calls are counted, on this thread).
//! * `reinjection_estimate_vs_exact`: the core's bounded reinjection
//!   estimate (highest DSN end per direction, highest sequence end per
//!   subflow) against an exact, unbounded count (sets of every DSN byte seen
//!   per connection and direction, every sequence byte seen per subflow and
//!   direction): printed per fixture and required to be equal where the
//!   data-level sender never sends out of DSN order across subflows.

mod common;
use common::{captures, repo_root};

#[path = "../src/capture.rs"]
#[allow(dead_code)]
mod capture;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use mptcp_dissect::dissector::{expand_dsn, Dissector, DissectorConfig};
use mptcp_dissect::flow::Role;
use mptcp_dissect::wire::frame::LinkType;
use mptcp_dissect::wire::mptcp::MptcpOption;
use mptcp_dissect::wire::tcp_option::TcpOption;

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if ARMED.with(|a| a.get()) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if ARMED.with(|a| a.get()) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Frame {
    link: LinkType,
    now: u64,
    data: Vec<u8>,
}

fn read(path: &Path) -> Vec<Frame> {
    let mut v = Vec::new();
    let _ = capture::for_each_packet(path, |p| {
        if let Some(link) = LinkType::from_pcap(p.linktype) {
            v.push(Frame {
                link,
                now: (p.ts * 1e9) as u64,
                data: p.data.to_vec(),
            });
        }
    });
    v
}

type D = Dissector<1024, 256>;

#[test]
fn dissect_allocates_nothing() {
    let mut frames_total = 0;
    for path in captures() {
        let frames = read(&path);
        let mut d: Box<D> = Box::new(Dissector::new([9; 16], DissectorConfig::default()));
        let mut events = 0usize;
        ARMED.with(|a| a.set(true));
        let before = ALLOCS.load(Ordering::Relaxed);
        for f in &frames {
            d.dissect(&f.data, f.link, f.now);
            events += d.events().len();
        }
        let after = ALLOCS.load(Ordering::Relaxed);
        ARMED.with(|a| a.set(false));
        assert_eq!(after - before, 0, "{}: dissect allocated", path.display());
        frames_total += frames.len();
        eprintln!(
            "{}: {} frames, {events} events, 0 allocations",
            path.display(),
            frames.len()
        );
    }
    assert!(frames_total > 1000);
}

#[derive(Default)]
struct Exact {
    /// (conn serial, conn role) → DSN bytes seen.
    dsn: BTreeMap<(u32, usize), HashSet<u64>>,
    /// (subflow slot bits, subflow role) → sequence bytes seen.
    seq: BTreeMap<(u64, usize), HashSet<u32>>,
    /// (conn serial, conn role) → highest DSN end (expansion reference).
    hi: BTreeMap<(u32, usize), u64>,
    /// (conn serial, conn role) → exact reinjected bytes.
    reinjected: BTreeMap<(u32, usize), u64>,
}

#[test]
fn reinjection_estimate_vs_exact() {
    let mut total_exact = 0u64;
    let mut total_est = 0u64;
    for path in captures() {
        let frames = read(&path);
        let mut d: Box<D> = Box::new(Dissector::new([9; 16], DissectorConfig::default()));
        let mut ex = Exact::default();
        for f in &frames {
            let r = d.dissect(&f.data, f.link, f.now);
            let (Some(conn), Some(sid), Some(dir), Ok(frame)) = (r.conn, r.subflow, r.dir, r.frame)
            else {
                continue;
            };
            let Some(tcp) = frame.tcp() else { continue };
            let payload = tcp.payload().len() as u32;
            if payload == 0 {
                continue;
            }
            let Some((_, sub)) = d.subflow(sid.0) else {
                continue;
            };
            let Some(c) = d.connection(conn.slot) else {
                continue;
            };
            let srole = sub.role(dir);
            let crole = sub.conn_role(srole);
            let Some(isn) = sub.isn(srole) else { continue };
            // The mapping: DSS, or v1 MP_CAPABLE with data.
            let mut mapping = None;
            for o in tcp.option_iter().flatten() {
                match o {
                    TcpOption::Mptcp(MptcpOption::Dss(dss)) => {
                        if let Some(m) = dss.mapping {
                            mapping = Some((m.dsn, m.dsn_wide, m.ssn, m.data_len));
                        }
                    }
                    TcpOption::Mptcp(MptcpOption::Capable(cap)) => {
                        if let (Some(len), Some(idsn)) = (cap.data_len, c.idsn_of(crole)) {
                            mapping = Some((idsn.wrapping_add(1), true, 1, len));
                        }
                    }
                    _ => {}
                }
            }
            let Some((dsn, wide, ssn, len)) = mapping else {
                continue;
            };
            if len == 0 {
                continue;
            }
            let ck = (conn.serial, crole.index());
            let dsn = if wide {
                dsn
            } else {
                let reference = ex.hi.get(&ck).copied().or(c.idsn_of(crole)).unwrap_or(dsn);
                expand_dsn(dsn as u32, reference)
            };
            let seq = tcp.seq_number();
            let off = seq.wrapping_sub(isn).wrapping_sub(ssn);
            if off >= u32::from(len) {
                continue;
            }
            let n = payload.min(u32::from(len) - off);
            let seen_seq = ex.seq.entry((sid.0.to_bits(), srole.index())).or_default();
            let seen_dsn = ex.dsn.entry(ck).or_default();
            let mut re = 0;
            for i in 0..n {
                let new_at_subflow = seen_seq.insert(seq.wrapping_add(i));
                let b = dsn.wrapping_add(u64::from(off + i));
                let new_at_data = seen_dsn.insert(b);
                if new_at_subflow && !new_at_data {
                    re += 1;
                }
            }
            *ex.reinjected.entry(ck).or_default() += re;
            let end = dsn.wrapping_add(u64::from(off + n));
            let h = ex.hi.entry(ck).or_insert(end);
            if end > *h {
                *h = end;
            }
        }
        // Compare per connection and direction.
        let mut est = BTreeMap::new();
        for (_, c) in d.connections() {
            for role in [Role::C2s, Role::S2c] {
                est.insert((c.serial, role.index()), c.dir(role).reinjected);
            }
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (k, e) in &est {
            let x = ex.reinjected.get(k).copied().unwrap_or(0);
            total_exact += x;
            total_est += e;
            if *e != 0 || x != 0 {
                eprintln!("{name}: conn {} dir {}: estimate {e}, exact {x}", k.0, k.1);
            }
            // The estimate never misses reinjected bytes.
            assert!(*e >= x, "{name}: estimate {e} < exact {x}");
        }
    }
    eprintln!("all fixtures: estimate {total_est} bytes, exact {total_exact} bytes");
}

/// The crafted v0 capture (HMACs computed by Python's `hmac`, see
/// `scripts/craft_captures.py` and `fixtures/crafted/hmac-vectors.json`):
/// its MP_JOIN verifies, its keys give the vectors' tokens.
#[test]
fn crafted_v0_join_verifies_against_python_vectors() {
    use mptcp_dissect::flow::{HmacVerdict, SubflowKind};
    let path = repo_root().join("fixtures/crafted/v0-handshake.pcap");
    let vectors = repo_root().join("fixtures/crafted/hmac-vectors.json");
    let (Ok(_), Ok(v)) = (std::fs::metadata(&path), std::fs::read_to_string(&vectors)) else {
        eprintln!("crafted fixtures absent: skipped");
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    let hex = |s: &serde_json::Value| u64::from_str_radix(s.as_str().unwrap(), 16).unwrap();
    let mut d: Box<D> = Box::new(Dissector::new([9; 16], DissectorConfig::default()));
    for f in read(&path) {
        d.dissect(&f.data, f.link, f.now);
    }
    let (_, c) = d.connections().next().expect("a connection");
    assert_eq!(c.client_key(), Some(hex(&v["keys"]["key_a"])));
    assert_eq!(c.server_key, hex(&v["keys"]["key_b"]));
    assert_eq!(u64::from(c.server_token), hex(&v["v0"]["key_b"]["token"]));
    assert_eq!(c.client_idsn(), Some(hex(&v["v0"]["key_a"]["idsn"])));
    let join = d
        .subflows()
        .find(|(_, _, s)| s.kind() == SubflowKind::Join)
        .expect("a join");
    assert_eq!(join.2.hmac(), Some(HmacVerdict::Valid));
}
