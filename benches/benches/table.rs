//! (d) Flow table under churn, with the dissector's real slot type
//! (`FlowKey` → `Subflow`), at 2¹⁰, 2¹⁶ and 2²⁰ entries, the table full:
//!
//! * `find_hit`: look up a random present key;
//! * `find_miss`: look up a random absent key;
//! * `churn`: insert a new key into the full table, evicting the LRU entry
//!   (insert + evict = one element), then look up and touch a random live
//!   key.
//!
//! Keys are IPv4 5-tuples, precomputed; lookups follow a precomputed random
//! order (so consecutive lookups hit unrelated cache lines).
//!
//! `cargo bench -p mptcp-dissect-benches --bench table`

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mptcp_dissect::flow::{Direction, EvictClass, EvictPolicy, FlowKey, Subflow, SubflowKind};
use mptcp_dissect_benches::TableMem;

fn key(i: u32) -> FlowKey {
    let a = Ipv4Addr::from(0x0a00_0000 | (i >> 8));
    let b = Ipv4Addr::from(0xc633_6400 | (i & 0xff));
    FlowKey::from((a, 32768 + (i as u16 & 0x3fff), b, 443))
}

/// A permutation-ish random sequence of `n` indices below `m`.
fn random_indices(n: usize, m: u32, mut s: u64) -> Vec<u32> {
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % u64::from(m)) as u32
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("table");
    g.throughput(Throughput::Elements(1));
    let sub = Subflow::new(Direction::Forward, SubflowKind::Initial, 0);
    // `cargo test --all-targets` runs benches once, unoptimised and without
    // `--bench`: a smoke run of the smallest table only.
    let sizes: &[u32] = if std::env::args().any(|a| a == "--bench") {
        &[10, 16, 20]
    } else {
        &[10]
    };
    for &log2 in sizes {
        let n = 1u32 << log2;
        let mut mem: TableMem<FlowKey, Subflow> = TableMem::new(n as usize, [7; 16]);
        // Keys 0..2n: the table holds a sliding window of n of them.
        let keys: Vec<FlowKey> = (0..2 * n).map(key).collect();
        let mut t = mem.view();
        for (i, k) in keys.iter().take(n as usize).enumerate() {
            t.insert(
                *k,
                sub,
                EvictClass::Established,
                i as u64,
                EvictPolicy::Never,
            )
            .expect("room");
        }
        let order = random_indices(1 << 16, n, 0x9e37_79b9_7f4a_7c15);
        let mut i = 0usize;
        g.bench_function(BenchmarkId::new("find_hit", n), |b| {
            b.iter(|| {
                i = (i + 1) & 0xffff;
                let k = &keys[order[i] as usize];
                black_box(t.find(black_box(k)))
            })
        });
        g.bench_function(BenchmarkId::new("find_miss", n), |b| {
            b.iter(|| {
                i = (i + 1) & 0xffff;
                let k = &keys[(n + order[i]) as usize];
                black_box(t.find(black_box(k)))
            })
        });
        // Churn: inserting key j (j >= n) evicts key j - n, the LRU entry.
        let mut next = n;
        let mut now = u64::from(n);
        g.bench_function(BenchmarkId::new("churn", n), |b| {
            b.iter(|| {
                let j = next % (2 * n);
                next = next.wrapping_add(1);
                now += 1;
                let ins = t.insert(
                    keys[j as usize],
                    sub,
                    EvictClass::Established,
                    now,
                    EvictPolicy::ANY,
                );
                black_box(&ins);
                // A live key: one of the last n inserted.
                i = (i + 1) & 0xffff;
                let live = (next.wrapping_sub(1 + order[i]) % (2 * n)) as usize;
                if let Some(id) = t.find(&keys[live]) {
                    t.touch(id, now);
                }
            })
        });
        assert_eq!(t.len(), n as usize);
        // Restore nothing: the next size gets its own table.
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
