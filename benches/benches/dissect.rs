//! (b) Full `dissect` per packet (link, IP, TCP, every option decoded,
//! subflow and connection lookup/creation, state machine, DSS mapping and
//! checksum tracking, HMAC checks on joins, expiry work) on the real-traffic
//! mix of `fixtures/linux/`, replayed as many concurrent, distinct sessions
//! (see `mptcp_dissect_benches::Stream`) with subflow tables of 2¹⁰, 2¹⁶ and
//! 2²⁰ flows.
//!
//! `slots = flows / 4` sessions are in flight, interleaved packet by packet,
//! each restarting as a new session (new addresses and keys) when its
//! capture ends, so the table stays full and churns (closed and finished
//! flows are evicted). Packets are generated in bursts of 256 outside the
//! timed region; only `dissect` is timed. `now` advances 100 ns a packet.
//!
//! Two ways through the same stream, in the same run: `dissect/flows/N`
//! calls `dissect` frame by frame; `dissect_burst/flows/N` hands each burst
//! of 256 to `dissect_burst` with the CPU's prefetch instruction
//! (`mptcp_dissect_ffi::prefetch::prefetch`), so that table misses of frames
//! 4 and 8 places ahead overlap with the current frame's work.
//!
//! The tables are the core's only (no analysis side arrays: no DSS
//! checksum validation, verdicts or TS RTT), as on the firmware image.
//!
//! `cargo bench -p mptcp-dissect-benches --bench dissect`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mptcp_dissect::wire::frame::LinkType;
use mptcp_dissect_benches::{linux_stories, DissectorMem, Story, Stream};
use mptcp_dissect_ffi::prefetch::prefetch;

/// Packets generated per timed burst: 256 frames (≈ 200 KiB) stay in L2, as a
/// NIC burst written by DMA into the last-level cache would be close to.
const BATCH: usize = 256;

fn bench(c: &mut Criterion) {
    let stories: Vec<Story> = linux_stories().iter().map(Story::new).collect();
    let mut g = c.benchmark_group("dissect");
    g.throughput(Throughput::Elements(1));
    let sizes: &[u32] = match std::env::var("DISSECT_BENCH_SIZES") {
        Ok(s) => Box::leak(
            s.split(',')
                .map(|x| x.trim().parse().expect("log2 sizes"))
                .collect::<Vec<u32>>()
                .into_boxed_slice(),
        ),
        // `cargo test --all-targets` runs benches once, unoptimised and
        // without `--bench`: a smoke run of the smallest table only.
        Err(_) if !std::env::args().any(|a| a == "--bench") => &[10],
        Err(_) => &[10, 16, 20],
    };
    for &log2 in sizes {
        let flows = 1usize << log2;
        let mut mem = DissectorMem::new(flows, flows / 2);
        let table_mb = mem.bytes() as f64 / (1 << 20) as f64;
        let mut d = mem.view();
        let mut stream = Stream::new(&stories, (flows / 4).max(stories.len()));
        let mut bufs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(2048)).collect();
        let mut links = vec![LinkType::Ethernet; BATCH];
        let mut now = 0u64;
        // Warm up until the subflow table has filled and churned once.
        while stream.packets < 4 * flows as u64 {
            for (buf, link) in bufs.iter_mut().zip(links.iter_mut()) {
                *link = stream.next_into(buf);
            }
            for (buf, &link) in bufs.iter().zip(&links) {
                now += 100;
                black_box(d.dissect(buf, link, now));
            }
        }
        let st0 = d.stats();
        for burst in [false, true] {
            let name = if burst { "burst_flows" } else { "flows" };
            g.bench_function(BenchmarkId::new(name, flows), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    let mut left = iters as usize;
                    while left > 0 {
                        let n = left.min(BATCH);
                        for (buf, link) in bufs.iter_mut().zip(links.iter_mut()).take(n) {
                            *link = stream.next_into(buf);
                        }
                        if burst {
                            let mut batch: Vec<(&[u8], LinkType, u64)> = Vec::with_capacity(BATCH);
                            for (buf, &link) in bufs.iter().zip(&links).take(n) {
                                now += 100;
                                batch.push((buf, link, now));
                            }
                            let t = Instant::now();
                            d.dissect_burst(
                                black_box(&batch),
                                prefetch,
                                |_| {},
                                |_, r, e| {
                                    black_box((r, e.events().len()));
                                },
                            );
                            total += t.elapsed();
                        } else {
                            let t = Instant::now();
                            for (buf, &link) in bufs.iter().zip(&links).take(n) {
                                now += 100;
                                black_box(d.dissect(black_box(buf), link, now));
                            }
                            total += t.elapsed();
                        }
                        left -= n;
                    }
                    total
                })
            });
        }
        let st = d.stats();
        let pk = (st.packets - st0.packets).max(1) as f64;
        eprintln!(
            "dissect/flows/{flows}: tables {table_mb:.0} MiB; during the run: {} packets, \
             {:.1}% MPTCP, {:.2}% untracked, {} subflows created, {} evicted, {} expired, \
             {} table-full, {} join rejected",
            st.packets - st0.packets,
            100.0 * (st.mptcp - st0.mptcp) as f64 / pk,
            100.0 * (st.untracked - st0.untracked) as f64 / pk,
            st.subflows - st0.subflows,
            st.subflows_evicted - st0.subflows_evicted,
            st.subflows_expired - st0.subflows_expired,
            st.table_full - st0.table_full,
            st.join_rejected - st0.join_rejected,
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
