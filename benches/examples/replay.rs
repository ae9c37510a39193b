//! Replays the benchmark stream through `dissect` with no timing, for
//! instruction-count profiles (deterministic where wall time on a shared
//! machine is not):
//!
//! ```sh
//! cargo build --release -p mptcp-dissect-benches --example replay
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/replay 10 200000
//! callgrind_annotate --inclusive=yes cg.out | grep dissect
//! ```
//!
//! Arguments: log2 of the subflow-table size (default 10), frames to
//! dissect after the warm-up (default 200 000), `burst` to use
//! `dissect_burst` with a no-op prefetch (`burst-prefetch`: with the CPU's
//! prefetch, as the criterion bench; for `perf`, not callgrind, which does
//! not model it), `gen` to only generate the frames
//! after the warm-up (the cost to subtract from a whole-process time).
//! `REPLAY_PIPELINE_FROM=N` sets `DissectorConfig::burst_pipeline_from`
//! (e.g. `0` to run the burst pipeline on a small table),
//! `REPLAY_EVICT_HINTS_FROM=N` sets `DissectorConfig::evict_hints_from`,
//! and `REPLAY_RANDOM` shuffles the sessions' order.

use std::hint::black_box;

use mptcp_dissect::wire::frame::LinkType;
use mptcp_dissect_benches::{linux_stories, warm_up, DissectorMem, Story, Stream};

fn main() {
    let mut args = std::env::args().skip(1);
    let log2: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let frames: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let mode = args.next().unwrap_or_default();
    let gen_only = mode == "gen";
    let burst = mode.starts_with("burst");
    let cpu_prefetch = mode == "burst-prefetch";
    let stories: Vec<Story> = linux_stories().iter().map(Story::new).collect();
    let flows = 1usize << log2;
    let mut config = mptcp_dissect::dissector::DissectorConfig::default();
    if let Some(n) = std::env::var("REPLAY_PIPELINE_FROM")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        config.burst_pipeline_from = n;
    }
    if let Some(n) = std::env::var("REPLAY_EVICT_HINTS_FROM")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        config.evict_hints_from = n;
    }
    let mut mem = DissectorMem::with_config(flows, flows / 2, config, false);
    let mut d = mem.view();
    let sessions = (flows / 4).max(stories.len());
    let mut stream = if std::env::var_os("REPLAY_RANDOM").is_some() {
        Stream::shuffled(&stories, sessions, 0x9e37_79b9_7f4a_7c15)
    } else {
        Stream::new(&stories, sessions)
    };
    let mut bufs: Vec<Vec<u8>> = (0..256).map(|_| Vec::with_capacity(2048)).collect();
    let mut links = vec![LinkType::Ethernet; 256];
    let mut now = 0u64;
    let warm = warm_up(&mut d, &mut stream, &mut now, flows);
    let mut done = 0u64;
    let start = std::time::Instant::now();
    while done < frames {
        for (buf, link) in bufs.iter_mut().zip(links.iter_mut()) {
            *link = stream.next_into(buf);
        }
        if gen_only {
            black_box(&bufs);
            done += 256;
            continue;
        }
        if burst {
            let batch: Vec<(&[u8], LinkType, u64)> = bufs
                .iter()
                .zip(&links)
                .map(|(b, &l)| {
                    now += 100;
                    (b.as_slice(), l, now)
                })
                .collect();
            if cpu_prefetch {
                burst_through(&mut d, &batch, mptcp_dissect_ffi::prefetch::prefetch);
            } else {
                burst_through(&mut d, &batch, |_| {});
            }
        } else {
            for (buf, &link) in bufs.iter().zip(&links) {
                now += 100;
                black_box(d.dissect(buf, link, now));
            }
        }
        done += 256;
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "warm-up {warm} + {done} frames in {secs:.3} s after the warm-up ({:.1} ns a frame), {:?}; {} subflows live of {flows}; {} created, {} evicted",
        secs * 1e9 / done.max(1) as f64,
        d.stats().packets,
        d.subflows().count(),
        d.stats().subflows,
        d.stats().subflows_evicted
    );
}

/// One burst through `dissect_burst` with `prefetch` (a closure or
/// function item, inlined as in the criterion bench, not a pointer).
fn burst_through(
    d: &mut mptcp_dissect::dissector::DissectorView<'_>,
    batch: &[(&[u8], LinkType, u64)],
    prefetch: impl FnMut(*const u8),
) {
    d.dissect_burst(
        batch,
        prefetch,
        |_| {},
        |_, r, e| {
            black_box((r, e.events().len()));
        },
    );
}
