//! Rough throughput of the table (`cargo test --release --test table_bench
//! -- --ignored --nocapture`). Not a gate: numbers for tuning the hash and
//! the layout.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use mptcp_dissect::flow::{
    layout, EvictClass, EvictPolicy, FlowKey, FlowTableView, Slot, TableState,
};

fn key(i: u32) -> FlowKey {
    let a = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i >> 4)));
    let b = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    FlowKey::new(a, 1024 + (i & 15) as u16, b, 443).0
}

fn per_op(label: &str, n: u32, t: Instant) {
    let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
    println!("{label:<28} {ns:7.1} ns/op");
}

#[test]
#[ignore = "benchmark"]
fn bench_table() {
    for cap_log in [10u32, 16, 20] {
        let cap = 1usize << cap_log;
        let l = layout(cap).unwrap();
        let mut st = TableState::new();
        let mut slots: Vec<Slot<FlowKey, [u8; 64]>> = vec![Slot::new(); l.slots];
        let mut index = vec![0u32; l.index];
        let mut t = FlowTableView::new(&mut st, &mut slots, &mut index, [5; 16]).unwrap();
        let n = (cap as u32) / 10 * 9;
        println!(
            "capacity 2^{cap_log}, {n} entries, {} B/entry",
            l.bytes::<FlowKey, [u8; 64]>() / cap
        );

        let t0 = Instant::now();
        let mut ids = Vec::with_capacity(n as usize);
        for i in 0..n {
            let r = t.insert(
                key(i),
                [0; 64],
                EvictClass::Established,
                u64::from(i),
                EvictPolicy::Never,
            );
            ids.push(r.unwrap().id);
        }
        per_op("insert", n, t0);

        let t0 = Instant::now();
        for i in 0..n {
            black_box(t.find(black_box(&key(i.wrapping_mul(2_654_435_761) % n))));
        }
        per_op("find (hit, random order)", n, t0);

        let t0 = Instant::now();
        for i in n..2 * n {
            black_box(t.find(black_box(&key(i))));
        }
        per_op("find (miss)", n, t0);

        let t0 = Instant::now();
        for (i, id) in ids.iter().enumerate() {
            black_box(t.touch(*id, n as u64 + i as u64));
        }
        per_op("touch", n, t0);

        let t0 = Instant::now();
        for i in 0..n {
            let r = t.insert(
                key(n + i),
                [0; 64],
                EvictClass::Established,
                u64::from(2 * n + i),
                EvictPolicy::ANY,
            );
            black_box(r.ok());
        }
        per_op("insert evicting (full)", n, t0);
        println!("max probe {}", t.stats().max_probe);
    }
}

#[test]
#[ignore = "benchmark"]
fn bench_parts() {
    use std::hash::{Hash, Hasher};
    let n = 1_000_000u32;
    let t0 = Instant::now();
    for i in 0..n {
        black_box(key(black_box(i)));
    }
    per_op("FlowKey::new", n, t0);
    let keys: Vec<FlowKey> = (0..1024).map(key).collect();
    let t0 = Instant::now();
    for i in 0..n {
        let mut h = siphasher::sip::SipHasher13::new_with_keys(1, 2);
        black_box(&keys[(i & 1023) as usize]).hash(&mut h);
        black_box(h.finish());
    }
    per_op("SipHash-1-3 of a FlowKey", n, t0);
    let t0 = Instant::now();
    for i in 0..n {
        let mut h = mptcp_dissect::flow::hash::FoldHasher::new([1, 2]);
        black_box(&keys[(i & 1023) as usize]).hash(&mut h);
        black_box(h.finish());
    }
    per_op("FoldHasher of a FlowKey (the tables' hash)", n, t0);
}

#[test]
#[ignore = "benchmark"]
fn bench_baseline() {
    use std::hash::Hasher;
    let n = 1_000_000u32;
    let keys: Vec<[u8; 36]> = (0..1024u32)
        .map(|i| {
            let mut b = [0u8; 36];
            b[..4].copy_from_slice(&i.to_le_bytes());
            b
        })
        .collect();
    let t0 = Instant::now();
    for i in 0..n {
        let mut h = siphasher::sip::SipHasher13::new_with_keys(1, 2);
        h.write(black_box(&keys[(i & 1023) as usize]));
        black_box(h.finish());
    }
    per_op("SipHash-1-3 one write 36B", n, t0);
    let t0 = Instant::now();
    for i in 0..n {
        let k = black_box(&keys[(i & 1023) as usize]);
        let mut x = 0xcbf2_9ce4_8422_2325u64;
        for b in k {
            x = (x ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
        black_box(x);
    }
    per_op("FNV-1a 36B (baseline)", n, t0);
}
