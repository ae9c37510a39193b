//! (a) TCP option walk: `mptcp_dissect`'s iterator (every classic option
//! and every MPTCP sub-option fully decoded and validated) vs etherparse's
//! `TcpOptionsIterator` and smoltcp's `TcpOption::parse` loop, over the same
//! option areas: every TCP segment of every classic-pcap fixture.
//!
//! Two groups: `options/all` (every area) and `options/no-mptcp` (areas
//! without an MPTCP option). etherparse stops at the first option kind it
//! does not know (MPTCP is kind 30, so on `all` it walks only the options
//! before the MPTCP one); smoltcp yields MPTCP as `Unknown { kind, data }`
//! without decoding it. On `no-mptcp` all three walk every option.
//!
//! `etherparse+skip` restarts etherparse's iterator after each unknown
//! option (skipping it by its length byte): etherparse's raw walk of the
//! whole area, MPTCP framed but not decoded.
//!
//! `mptcp-dissect-raw` is our framing-only walk (`TcpOptions::next_raw`, what
//! the engine's scan starts from), the peer of `etherparse+skip`.
//!
//! `mptcp-dissect-view` is the zero-copy view walk (`TcpOptions::next_view`:
//! every option validated exactly as the decoding walk validates it, no
//! field read, each view black-boxed); `mptcp-dissect-view-fields` is the
//! same walk reading, for every MPTCP sub-option, every field accessor of
//! its view and, for every classic option, its value, all folded into the
//! black-boxed result: the "full decoding" peer of `mptcp-dissect`.
//!
//! The walks live in `common/option_walks.rs`, shared with the
//! `option_walk` example (callgrind instruction counts of the same code).
//!
//! `cargo bench -p mptcp-dissect-benches --bench options`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
#[path = "common/option_walks.rs"]
mod walks;

use mptcp_dissect_benches::{all_captures, option_areas};
use walks::*;

fn bench(c: &mut Criterion) {
    let all = option_areas(&all_captures());
    let plain: Vec<Vec<u8>> = all.iter().filter(|a| !has_mptcp(a)).cloned().collect();
    for (name, areas) in [("all", &all), ("no-mptcp", &plain)] {
        let bytes: usize = areas.iter().map(Vec::len).sum();
        eprintln!(
            "options/{name}: {} areas, {bytes} option bytes; options read: ours {}, \
             etherparse {}, etherparse+skip {}, smoltcp {}",
            areas.len(),
            ours(areas),
            etherparse(areas),
            etherparse_skip(areas),
            smoltcp(areas)
        );
        let mut g = c.benchmark_group(format!("options/{name}"));
        // One element = one segment's option area.
        g.throughput(Throughput::Elements(areas.len() as u64));
        g.bench_function("mptcp-dissect", |b| b.iter(|| ours(black_box(areas))));
        g.bench_function("mptcp-dissect-view", |b| {
            b.iter(|| ours_view(black_box(areas)))
        });
        g.bench_function("mptcp-dissect-view-fields", |b| {
            b.iter(|| ours_view_fields(black_box(areas)))
        });
        g.bench_function("mptcp-dissect-raw", |b| {
            b.iter(|| ours_raw(black_box(areas)))
        });
        g.bench_function("etherparse", |b| b.iter(|| etherparse(black_box(areas))));
        g.bench_function("etherparse+skip", |b| {
            b.iter(|| etherparse_skip(black_box(areas)))
        });
        g.bench_function("smoltcp", |b| b.iter(|| smoltcp(black_box(areas))));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
