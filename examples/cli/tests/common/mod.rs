//! What the CLI's integration tests share: where the captures are, and
//! whether tshark (the differential oracle) is there.
//!
//! Each test binary includes this with `mod common;` and uses what it needs.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's top directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("pcap" | "pcapng")
        ) {
            out.push(p);
        }
    }
}

/// Every capture under `fixtures/`, plus those of `../shared/captures/public/`
/// (when present) that are not already copied into `fixtures/public/` — the
/// GPL ones are read from there, never committed.
pub fn captures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(&repo_root().join("fixtures"), &mut out);
    let ours: BTreeSet<_> = out
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_owned())
        .collect();
    let mut shared = Vec::new();
    walk(&repo_root().join("../shared/captures/public"), &mut shared);
    out.extend(
        shared
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| !ours.contains(n))),
    );
    out.sort();
    out
}

/// Whether to run the tshark differential: tshark must be installed (the
/// test fails otherwise), unless `MPD_NO_TSHARK=1` skips it on purpose.
pub fn tshark_available() -> bool {
    if std::env::var("MPD_NO_TSHARK").as_deref() == Ok("1") {
        eprintln!("MPD_NO_TSHARK=1: tshark differential test skipped on purpose");
        return false;
    }
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "tshark is required for the differential tests (apt-get install tshark), \
         or set MPD_NO_TSHARK=1 to skip them on purpose"
    );
    true
}

/// The connection objects `mpdissect conns` prints for `path` (handshake-only
/// objects — mirrored, stripped, plain TCP — have no id and are left out).
pub fn conns_json(path: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_mpdissect"))
        .arg("conns")
        .arg(path)
        .output()
        .expect("run mpdissect");
    assert!(out.status.success(), "{}: conns failed", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
        .filter(|v| !v["id"].is_null())
        .collect()
}
