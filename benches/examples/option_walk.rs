//! Runs one option walk of `benches/options.rs` over the bench's option
//! areas, with no timing, for instruction counts (callgrind is
//! deterministic where wall time on a shared machine is not):
//!
//! ```sh
//! cargo build --release -p mptcp-dissect-benches --example option_walk
//! for p in 0 100; do valgrind --tool=callgrind --callgrind-out-file=cg.$p \
//!     target/release/examples/option_walk ours all $p; done
//! ```
//!
//! Instructions per pass = (total at 100 passes − total at 0) / 100.
//! Arguments: the walk (`ours`, `raw`, `view`, `view-fields`, `etherparse`, `etherparse+skip`,
//! `smoltcp`), the area set (`all` or `no-mptcp`), the number of passes.

use std::hint::black_box;

#[path = "../benches/common/option_walks.rs"]
#[allow(dead_code)]
mod walks;

use mptcp_dissect_benches::{all_captures, option_areas};
use walks::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let walk = args.next().unwrap_or_else(|| "ours".into());
    let set = args.next().unwrap_or_else(|| "all".into());
    let passes: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let mut areas = option_areas(&all_captures());
    if set == "no-mptcp" {
        areas.retain(|a| !has_mptcp(a));
    }
    let f: fn(&[Vec<u8>]) -> usize = match walk.as_str() {
        "ours" => ours,
        "raw" => ours_raw,
        "view" => ours_view,
        "view-fields" => ours_view_fields,
        "etherparse" => etherparse,
        "etherparse+skip" => etherparse_skip,
        "smoltcp" => smoltcp,
        w => panic!("unknown walk {w}"),
    };
    let mut n = 0;
    for _ in 0..passes {
        n += black_box(f)(black_box(&areas));
    }
    println!(
        "{walk} {set}: {} areas, {passes} passes, {n} options",
        areas.len()
    );
}
