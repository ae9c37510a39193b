//! Replays the committed fuzz inputs through the fuzzing oracles on stable.
//!
//! Every file of `fuzz/corpus/<target>/` (the seed / minimized corpus) and
//! of `fuzz/regressions/<target>/` (inputs that once crashed a target) goes
//! through `mptcp_dissect::fuzzing::<target>`, the same function the
//! cargo-fuzz target calls. Run with
//! `cargo test -p mptcp-dissect --features fuzzing --test fuzz_replay`
//! (`scripts/test.sh` does).
#![cfg(feature = "fuzzing")]

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use mptcp_dissect::fuzzing;

/// An oracle: panics when an invariant breaks.
type Oracle = fn(&[u8]);

/// The targets, by directory name.
const TARGETS: [(&str, Oracle); 4] = [
    ("tcp_options", fuzzing::tcp_options),
    ("mptcp_option", fuzzing::mptcp_option),
    ("frame", fuzzing::frame),
    ("stateful", fuzzing::stateful),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The regular files of `dir`, sorted (none if it does not exist).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// Runs every input of `<kind>/<target>/`; returns how many ran and the
/// failures (path and panic message).
fn replay(kind: &str) -> (usize, Vec<String>) {
    let mut ran = 0;
    let mut failures = Vec::new();
    for (name, oracle) in TARGETS {
        for path in inputs(&fuzz_dir().join(kind).join(name)) {
            let data = fs::read(&path).expect("readable input");
            ran += 1;
            if let Err(e) = panic::catch_unwind(|| oracle(&data)) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {msg}", path.display()));
            }
        }
    }
    (ran, failures)
}

#[test]
fn corpus() {
    let (ran, failures) = replay("corpus");
    assert!(ran > 0, "no corpus under {}", fuzz_dir().display());
    assert!(
        failures.is_empty(),
        "{} of {ran} corpus inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn regressions() {
    let (ran, failures) = replay("regressions");
    assert!(
        failures.is_empty(),
        "{} of {ran} regression inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Targets whose oracle lives in another crate, which replays them
/// (`c_abi`: ffi/tests/fuzz_replay.rs; `capture`: the CLI's unit test
/// `the_capture_fuzz_corpus_reads_the_same_every_way`).
const ELSEWHERE: [&str; 2] = ["c_abi", "capture"];

/// Directories under corpus/ and regressions/ must name a target, so an
/// input is never silently skipped.
#[test]
fn no_unknown_target_dirs() {
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = fs::read_dir(fuzz_dir().join(kind)) else {
            continue;
        };
        for e in entries {
            let e = e.expect("readable directory entry");
            if e.path().is_dir() {
                let name = e.file_name().to_string_lossy().into_owned();
                assert!(
                    TARGETS.iter().any(|(t, _)| *t == name) || ELSEWHERE.contains(&name.as_str()),
                    "fuzz/{kind}/{name} is not a fuzz target"
                );
            }
        }
    }
}
