//! (b) Full `dissect` per packet (link, IP, TCP, every option decoded,
//! subflow and connection lookup/creation, state machine, DSS mapping and
//! checksum tracking, HMAC checks on joins, expiry work) on the real-traffic
//! mix of `fixtures/linux/`, replayed as many concurrent, distinct sessions
//! (see `mptcp_dissect_benches::Stream`) with subflow tables of 2¹⁰, 2¹⁶ and
//! 2²⁰ flows.
//!
//! `slots = flows / 4` sessions are in flight, interleaved packet by packet,
//! each restarting as a new session (new addresses and keys) when its
//! capture ends. The warm-up (`mptcp_dissect_benches::warm_up`) runs until
//! the subflow table is full and evicting, so every size is timed in steady
//! state: closed and finished flows are evicted, and the line printed after
//! each size's run shows subflows created ≈ evicted. (Until the seventh
//! session the warm-up was `4 × flows` packets: the 2²⁰ table was then half
//! empty, its sessions all mid-capture, and nothing was evicted during the
//! run.) Packets are
//! generated in bursts of 256 outside the timed region; only `dissect` is
//! timed. `now` advances 100 ns a packet.
//!
//! Two ways through the same stream, in the same run: `dissect/flows/N`
//! calls `dissect` frame by frame; `dissect/burst_flows/N` hands each burst
//! of 256 to `dissect_burst` with the CPU's prefetch instruction
//! (`mptcp_dissect_ffi::prefetch::prefetch`), so that table misses of frames
//! 4 and 8 places ahead overlap with the current frame's work.
//!
//! Then the same two with the sessions interleaved in a random order
//! (`dissect/random_flows/N`, `dissect/random_burst_flows/N`;
//! `Stream::set_order`): round robin touches the sessions in a fixed cycle,
//! so the entries next to a flow in the table's LRU lists are the flows
//! touched just before and after it, still in cache; a random order takes
//! that away, as real traffic would. `DISSECT_BENCH_ORDER=rr` or `random`
//! runs one of the two orders only.
//!
//! The tables are the core's only (no analysis side arrays: no DSS
//! checksum validation, verdicts or TS RTT), as on the firmware image,
//! unless `DISSECT_BENCH_ANALYSIS=1` adds the side arrays (as a C-ABI
//! dissector always has them: per-subflow TS RTT and DSS mapping state,
//! per-connection verdicts; TCP checksums still not verified), in
//! transparent huge pages as a DPDK caller's memory would be
//! (`mptcp_dissect_benches::table_vec`; `BENCH_HUGE_PAGES=0` for 4 KiB
//! pages).
//!
//! `dissect_verify/*` (2¹⁰ flows, bursts, with the analysis side arrays):
//! where the TCP checksum verdict comes from. `own`: the dissector verifies
//! every segment (`verify_tcp_checksum`, a pass over each payload); `nic`:
//! `dissect_burst_checked` with the verdicts a NIC's receive offload would
//! hand over (made outside the timed region: `offload_valid` for a right
//! checksum, whose payload sum comes from the header, `verdict_only(false)`
//! for a wrong one), as `mpd_dissect_burst_rx` does with DPDK's `ol_flags`;
//! `off`: no verification at all (the peer both are measured against).
//! Each frame's TCP checksum is set right before (outside the timed region):
//! the replayed stream rewrites addresses, keys and sequence numbers but
//! not the TCP checksum, and a segment with a bad checksum skips the DSS
//! work.
//!
//! `cargo bench -p mptcp-dissect-benches --bench dissect`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mptcp_dissect::dissector::{ChecksumBy, DissectorConfig, DissectorView, TcpCheck};
use mptcp_dissect::wire::frame::{parse_frame, LinkType};
use mptcp_dissect_benches::{linux_stories, warm_up, DissectorMem, FlowCache, Story, Stream};
use mptcp_dissect_ffi::prefetch::prefetch;

/// Packets generated per timed burst: 256 frames (≈ 200 KiB) stay in L2, as a
/// NIC burst written by DMA into the last-level cache would be close to.
const BATCH: usize = 256;

/// One timed burst through `dissect_burst` with the CPU's prefetch.
fn timed_burst(d: &mut DissectorView<'_>, batch: &[(&[u8], LinkType, u64)]) {
    d.dissect_burst(
        black_box(batch),
        prefetch,
        |_| {},
        |_, r, e| {
            black_box((r, e.events().len()));
        },
    );
}

/// The bench name of a variant: `{prefix}flows`, `{prefix}burst_flows`,
/// `{prefix}random_flows`, `{prefix}random_burst_flows`.
fn variant(prefix: &str, random: bool, burst: bool) -> String {
    let order = if random { "random_" } else { "" };
    let way = if burst { "burst_" } else { "" };
    format!("{prefix}{order}{way}flows")
}

/// Criterion's `iters` packets in batches of at most [`BATCH`]: `batch(n)`
/// generates `n` packets and returns the time of its timed part.
fn batched(iters: u64, mut batch: impl FnMut(usize) -> Duration) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters as usize;
    while left > 0 {
        let n = left.min(BATCH);
        total += batch(n);
        left -= n;
    }
    total
}

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
    // Interleavings: round robin (`false`), random (`true`).
    let orders: &[bool] = match std::env::var("DISSECT_BENCH_ORDER").as_deref() {
        Ok("rr") => &[false],
        Ok("random") => &[true],
        _ => &[false, true],
    };
    for &log2 in sizes {
        let flows = 1usize << log2;
        // The analysis side arrays too (as every C-ABI dissector has them):
        // `DISSECT_BENCH_ANALYSIS=1`.
        let analysis = std::env::var_os("DISSECT_BENCH_ANALYSIS").is_some_and(|v| v == "1");
        let mut mem = DissectorMem::with_config(flows, flows / 2, Default::default(), analysis);
        let table_mb = mem.bytes() as f64 / (1 << 20) as f64;
        let mut d = mem.view();
        let mut stream = Stream::new(&stories, (flows / 4).max(stories.len()));
        let mut bufs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(2048)).collect();
        let mut links = vec![LinkType::Ethernet; BATCH];
        let mut now = 0u64;
        let warm = warm_up(&mut d, &mut stream, &mut now, flows);
        let st0 = d.stats();
        // Each order, frame by frame then in bursts.
        let variants: Vec<(bool, bool)> = orders
            .iter()
            .flat_map(|&o| [(o, false), (o, true)])
            .collect();
        for &(order, burst) in &variants {
            stream.set_order(order.then_some(0x9e37_79b9_7f4a_7c15));
            let name = variant("", order, burst);
            g.bench_function(BenchmarkId::new(name, flows), |b| {
                b.iter_custom(|iters| {
                    batched(iters, |n| {
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
                            timed_burst(&mut d, &batch);
                            t.elapsed()
                        } else {
                            let t = Instant::now();
                            for (buf, &link) in bufs.iter().zip(&links).take(n) {
                                now += 100;
                                black_box(d.dissect(black_box(buf), link, now));
                            }
                            t.elapsed()
                        }
                    })
                })
            });
        }
        // The baseline peer on the same stream: etherparse + a direct-mapped
        // flow cache of `flows` slots (`FlowCache`), frame by frame and in
        // bursts with the same prefetch; `peer_core_*`: the same peer with
        // the core's parser.
        let peers = [
            ("peer_", FlowCache::new(flows)),
            ("peer_core_", FlowCache::with_core_parser(flows)),
        ];
        for (prefix, mut cache) in peers {
            for &(order, burst) in &variants {
                stream.set_order(order.then_some(0x9e37_79b9_7f4a_7c15));
                let name = variant(prefix, order, burst);
                g.bench_function(BenchmarkId::new(name, flows), |b| {
                    b.iter_custom(|iters| {
                        batched(iters, |n| {
                            for buf in bufs.iter_mut().take(n) {
                                stream.next_into(buf);
                            }
                            if burst {
                                let frames: Vec<&[u8]> =
                                    bufs.iter().take(n).map(Vec::as_slice).collect();
                                let t = Instant::now();
                                cache.burst(black_box(&frames), prefetch, |s| {
                                    black_box(s.packets);
                                });
                                t.elapsed()
                            } else {
                                let t = Instant::now();
                                for buf in bufs.iter().take(n) {
                                    black_box(cache.packet(black_box(buf)).map(|s| s.packets));
                                }
                                t.elapsed()
                            }
                        })
                    })
                });
            }
        }
        let st = d.stats();
        let pk = (st.packets - st0.packets).max(1) as f64;
        eprintln!(
            "dissect/flows/{flows}: tables {table_mb:.0} MiB; warm-up {warm} packets; \
             during the run: {} packets, \
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

/// Rewrites the TCP checksum of a whole TCP segment in `frame` to the right
/// one (the replayed stream leaves it as captured, wrong for the rewritten
/// segment); true if it did.
fn fix_tcp_checksum(frame: &mut [u8], link: LinkType) -> bool {
    let Ok(f) = parse_frame(frame, link) else {
        return false;
    };
    if TcpCheck::of_frame(&f).is_none() {
        return false;
    }
    let (src, dst, at) = (f.src(), f.dst(), f.transport_offset);
    let end = at + f.transport_len as usize;
    let c = mptcp_dissect::checksum::compute_tcp(src, dst, &frame[at..end]);
    frame[at + 16..at + 18].copy_from_slice(&c.to_be_bytes());
    true
}

/// What a NIC's receive checksum offload would say of `frame`.
fn nic_verdict(frame: &[u8], link: LinkType) -> ChecksumBy {
    let Ok(f) = parse_frame(frame, link) else {
        return ChecksumBy::Dissector;
    };
    match TcpCheck::of_frame(&f) {
        Some(c) if c.valid => ChecksumBy::Caller(TcpCheck::offload_valid(&f)),
        Some(_) => ChecksumBy::Caller(Some(TcpCheck::verdict_only(false))),
        None => ChecksumBy::Dissector,
    }
}

fn bench_verify(c: &mut Criterion) {
    let stories: Vec<Story> = linux_stories().iter().map(Story::new).collect();
    let mut g = c.benchmark_group("dissect_verify");
    g.throughput(Throughput::Elements(1));
    let flows = 1usize << 10;
    for mode in ["own", "nic", "off"] {
        let config = DissectorConfig {
            verify_tcp_checksum: mode == "own",
            ..DissectorConfig::default()
        };
        let mut mem = DissectorMem::with_config(flows, flows / 2, config, true);
        let mut d = mem.view();
        // The same stream for each mode.
        let mut stream = Stream::new(&stories, (flows / 4).max(stories.len()));
        let mut bufs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(2048)).collect();
        let mut links = vec![LinkType::Ethernet; BATCH];
        let mut verdicts = vec![ChecksumBy::Dissector; BATCH];
        let mut now = 0u64;
        while stream.packets < 4 * flows as u64 {
            for (buf, link) in bufs.iter_mut().zip(links.iter_mut()) {
                *link = stream.next_into(buf);
                fix_tcp_checksum(buf, *link);
                now += 100;
                black_box(d.dissect(buf, *link, now));
            }
        }
        let mut bytes = 0usize;
        let mut frames = 0usize;
        g.bench_function(mode, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters as usize;
                while left > 0 {
                    let n = left.min(BATCH);
                    let mut batch: Vec<(&[u8], LinkType, u64)> = Vec::with_capacity(BATCH);
                    for ((buf, link), v) in bufs
                        .iter_mut()
                        .zip(links.iter_mut())
                        .zip(verdicts.iter_mut())
                        .take(n)
                    {
                        *link = stream.next_into(buf);
                        fix_tcp_checksum(buf, *link);
                        *v = nic_verdict(buf, *link);
                    }
                    for (buf, &link) in bufs.iter().zip(&links).take(n) {
                        now += 100;
                        bytes += buf.len();
                        batch.push((buf, link, now));
                    }
                    frames += n;
                    let t = Instant::now();
                    if mode == "nic" {
                        d.dissect_burst_checked(
                            black_box(&batch),
                            |i, _| verdicts[i],
                            prefetch,
                            |_| {},
                            |_, r, e| {
                                black_box((r, e.events().len()));
                            },
                        );
                    } else {
                        timed_burst(&mut d, &batch);
                    }
                    total += t.elapsed();
                    left -= n;
                }
                total
            })
        });
        let st = d.stats();
        eprintln!(
            "dissect_verify/{mode}: {} B a frame on average; {} TCP checksums bad, {} DSS mappings checked",
            bytes / frames.max(1),
            st.tcp_checksum_bad,
            st.dss_valid + st.dss_invalid,
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench, bench_verify
}
criterion_main!(benches);
