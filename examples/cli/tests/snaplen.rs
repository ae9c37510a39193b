//! A capture cut by its snap length (96 bytes per frame, as header-only
//! traces are) must give the same per-subflow payload byte counts as the
//! whole capture, for every subflow whose TCP headers were captured whole:
//! sequence space and byte counts come from the IP length, not from the
//! captured bytes.

mod common;
use common::repo_root;

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

/// (src, sport, dst, dport) → (bytes_c2s, bytes_s2c) over every connection.
fn subflow_bytes(file: &str) -> BTreeMap<(String, u64, String, u64), (u64, u64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_mpdissect"))
        .arg("conns")
        .arg(repo_root().join(file))
        .output()
        .expect("run mpdissect");
    assert!(out.status.success());
    let mut m = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let c: Value = serde_json::from_str(line).unwrap();
        for s in c["subflows"].as_array().into_iter().flatten() {
            m.insert(
                (
                    s["src"].as_str().unwrap().to_string(),
                    s["sport"].as_u64().unwrap(),
                    s["dst"].as_str().unwrap().to_string(),
                    s["dport"].as_u64().unwrap(),
                ),
                (
                    s["bytes_c2s"].as_u64().unwrap(),
                    s["bytes_s2c"].as_u64().unwrap(),
                ),
            );
        }
    }
    m
}

#[test]
fn snap_length_cut_capture_counts_the_same_bytes() {
    let whole = subflow_bytes("fixtures/linux/v1-addaddr-v4v6.pcap");
    let cut = subflow_bytes("fixtures/linux/v1-addaddr-v4v6-snap96.pcap");
    assert!(!cut.is_empty());
    let mut compared = 0;
    for (k, v) in &cut {
        assert_eq!(whole.get(k), Some(v), "subflow {k:?}");
        compared += 1;
    }
    // The IPv4 subflows keep whole TCP headers at 96 bytes; one of them
    // carries the 60 kB of data.
    assert!(compared >= 2, "{cut:?}");
    assert!(cut.values().any(|&(a, b)| a + b == 60_000), "{cut:?}");
}
