//! Middlebox-interference analysis on real and crafted captures, through
//! `mpdissect conns`:
//!
//! * clean Linux transfers with DSS checksums on (and the public v0 ones):
//!   zero invalid mappings; the share of mappings verified is printed;
//! * `v1-mpfail.pcap` (nft rewrote one payload byte): every DSN of the
//!   kernel's MP_FAIL is among our invalid mappings, flagged as such, the
//!   server's MP_FAIL echo is recognised, and exactly one mapping (the
//!   rewritten one) is invalid;
//! * checksums off: every mapping is `not_negotiated`;
//! * `reset tcp option mptcp` on the SYN/ACK: verdict `stripped`;
//! * a lossy path (random nft drops): no false failure;
//! * crafted mirroring middleboxes: `mirrored` with the right evidence;
//!   genuine v0/v1 handshakes: no evidence.
//!
//! * capture loss and reordering (frames deleted or swapped in memory, as
//!   when tcpdump drops packets or a multi-queue capture reorders them):
//!   mappings become unverifiable, never invalid.
//!
//! No tshark needed: tshark does not show the DSS checksum.

#[path = "../src/capture.rs"]
#[allow(dead_code)]
mod capture;

use std::path::{Path, PathBuf};
use std::process::Command;

use mptcp_dissect::analysis::DssVerdict;
use mptcp_dissect::dissector::{Dissector, DissectorConfig, DissectorStats, Event};
use mptcp_dissect::wire::frame::LinkType;
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn conns(rel: &str) -> Vec<Value> {
    let path = repo_root().join(rel);
    let out = Command::new(env!("CARGO_BIN_EXE_mpdissect"))
        .arg("conns")
        .arg(&path)
        .output()
        .expect("run mpdissect");
    assert!(out.status.success(), "{rel}: conns failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn connections(v: &[Value]) -> Vec<&Value> {
    v.iter().filter(|c| !c["id"].is_null()).collect()
}

fn dss(c: &Value, k: &str) -> u64 {
    c["dss"][k].as_u64().unwrap()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// Checks a clean checksum-on capture; returns (verified, total) mappings.
fn clean(rel: &str) -> (u64, u64) {
    let v = conns(rel);
    let cs = connections(&v);
    assert!(!cs.is_empty(), "{rel}: no connection");
    let (mut verified, mut total) = (0, 0);
    for c in cs {
        assert_eq!(dss(c, "invalid"), 0, "{rel}: false DSS failure: {c}");
        assert_eq!(c["invalid_dsns"].as_array().unwrap().len(), 0);
        assert_eq!(dss(c, "not_negotiated"), 0, "{rel}");
        assert_eq!(c["verdict"], "mptcp", "{rel}");
        verified += dss(c, "valid");
        total += dss(c, "valid") + dss(c, "unverifiable");
    }
    println!(
        "{rel}: {verified}/{total} mappings verified ({:.1}%), 0 invalid",
        100.0 * verified as f64 / total.max(1) as f64
    );
    assert!(verified > 0, "{rel}: nothing verified");
    (verified, total)
}

#[test]
fn clean_checksum_on_captures_have_no_false_failures() {
    let (v, t) = clean("fixtures/linux/v1-csum-on.pcap");
    assert_eq!(v, t, "every mapping of a clean, complete capture verifies");
    // The same beside plain TCP (on the MPTCP server's port and on another).
    let (v, t) = clean("fixtures/linux/v1-mixed.pcap");
    assert_eq!(v, t);
    let (v, t) = clean("fixtures/public/tcpdump_mptcp-v0.pcap");
    assert_eq!(v, t);
    clean("fixtures/public/tcpdump_mptcp-fclose.pcap");
    // TCP checksums of these captures are all valid (no offload).
    for rel in [
        "fixtures/linux/v1-csum-on.pcap",
        "fixtures/public/tcpdump_mptcp-v0.pcap",
    ] {
        for c in conns(rel) {
            assert_eq!(c["tcp_checksum_errors"], 0, "{rel}");
        }
    }
}

#[test]
fn lossy_path_has_no_false_failures() {
    let (v, t) = clean("fixtures/linux/v1-lossy.pcap");
    assert!(v <= t);
}

#[test]
fn mp_fail_matches_flagged_mapping() {
    let v = conns("fixtures/linux/v1-mpfail.pcap");
    let cs = connections(&v);
    assert_eq!(cs.len(), 1);
    let c = cs[0];
    let invalid: Vec<u64> = c["invalid_dsns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect();
    let fails: Vec<u64> = c["mp_fail_dsns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect();
    let matches = strs(&c["mp_fail_match"]);
    println!("v1-mpfail: invalid {invalid:?}, MP_FAIL {fails:?} {matches:?}");
    // Exactly the rewritten mapping (the 2nd s2c burst, DSN from frames
    // 28-42 of the capture) is invalid, with valid TCP checksums.
    assert_eq!(invalid, [12446508948090702481]);
    assert_eq!(c["invalid_tcp_verified"], 1);
    assert_eq!(dss(c, "invalid"), 1);
    assert!(dss(c, "valid") >= 5);
    // The client's MP_FAIL names it; the server's answer is an echo.
    assert_eq!(fails.len(), 2);
    assert_eq!(matches, ["flagged", "echo"]);
    for (d, m) in fails.iter().zip(&matches) {
        if *m != "echo" {
            assert!(invalid.contains(d), "MP_FAIL DSN {d} not flagged");
        }
    }
    assert_eq!(c["verdict"], "fallback_after_fail");
}

#[test]
fn checksums_off_reported_as_not_negotiated() {
    for rel in [
        "fixtures/linux/v1-csum-off.pcap",
        "fixtures/linux/v1-csum-off-gso.pcap",
    ] {
        let v = conns(rel);
        for c in connections(&v) {
            assert_eq!(c["checksum"], false);
            assert!(dss(c, "not_negotiated") > 0, "{rel}");
            assert_eq!(dss(c, "valid") + dss(c, "invalid"), 0, "{rel}");
            assert_eq!(c["verdict"], "mptcp");
        }
    }
    // The GSO capture, taken on the sender with offloads on, carries
    // partial TCP checksums: every segment is counted, nothing else changes.
    let v = conns("fixtures/linux/v1-csum-off-gso.pcap");
    let bad: u64 = v
        .iter()
        .map(|c| c["tcp_checksum_errors"].as_u64().unwrap())
        .sum();
    assert_eq!(bad, 46, "every frame of the GSO capture");
    for c in conns("fixtures/linux/v1-csum-off.pcap") {
        assert_eq!(c["tcp_checksum_errors"], 0);
    }
}

#[test]
fn stripped_synack() {
    let v = conns("fixtures/linux/v1-stripped.pcap");
    assert!(connections(&v).is_empty());
    let hs: Vec<&Value> = v.iter().filter(|c| c["verdict"] == "stripped").collect();
    assert_eq!(hs.len(), 1, "{v:?}");
    assert_eq!(
        strs(&hs[0]["strip_evidence"]),
        ["synack_without_mp_capable"]
    );
    assert_eq!(hs[0]["client"], "10.0.1.1:42078");
}

#[test]
fn mirrored_handshakes() {
    let v = conns("fixtures/crafted/v1-mirrored.pcap");
    let by_port = |p: u16| -> &Value {
        v.iter()
            .find(|c| c["client"].as_str().unwrap().ends_with(&format!(":{p}")))
            .unwrap_or_else(|| panic!("no object for client port {p}: {v:?}"))
    };
    // (a) v0 SYN/ACK with the client's own key.
    let a = by_port(41000);
    assert_eq!(a["verdict"], "mirrored");
    // Not an MPTCP connection (Mehani et al.): a handshake without one.
    assert!(a["id"].is_null(), "{a}");
    assert_eq!(strs(&a["mirror_evidence"]), ["v0_key_echo"]);
    // (b) v1 SYN/ACK with a keyless MP_CAPABLE.
    let b = by_port(41001);
    assert_eq!(b["verdict"], "mirrored");
    assert_eq!(strs(&b["mirror_evidence"]), ["v1_keyless_synack"]);
    // (c) SYN/ACK repeating the SYN's MP_JOIN.
    let c = by_port(41002);
    assert_eq!(c["verdict"], "mirrored");
    assert_eq!(strs(&c["mirror_evidence"]), ["join_syn_echo"]);
    // (d) whole option list echoed (same TSval): the keyless MP_CAPABLE
    // comes with it.
    let d = by_port(41003);
    assert_eq!(d["verdict"], "mirrored");
    assert_eq!(
        strs(&d["mirror_evidence"]),
        ["v1_keyless_synack", "options_echo"]
    );
    assert_eq!(v.len(), 4);
}

#[test]
fn genuine_handshakes_have_no_evidence() {
    for rel in [
        "fixtures/linux/v1-csum-on.pcap",
        "fixtures/linux/v1-csum-off.pcap",
        "fixtures/linux/v1-addaddr-v4v6.pcap",
        "fixtures/linux/v1-ipv6.pcap",
        "fixtures/linux/v1-fastclose.pcap",
        "fixtures/public/tcpdump_mptcp-v0.pcap",
        "fixtures/public/tcpdump_mptcp-v1.pcap",
        "fixtures/public/ptcpdump_mptcp.pcap",
        "fixtures/crafted/v0-handshake.pcap",
    ] {
        let v = conns(rel);
        assert!(!v.is_empty(), "{rel}");
        for c in &v {
            assert!(!c["id"].is_null(), "{rel}: handshake-only object {c}");
            assert!(strs(&c["mirror_evidence"]).is_empty(), "{rel}: {c}");
            assert!(strs(&c["strip_evidence"]).is_empty(), "{rel}: {c}");
            assert_eq!(c["key_mismatch"], 0, "{rel}");
        }
    }
    // Genuine v1 and v0 connections: mptcp.
    for rel in [
        "fixtures/linux/v1-csum-on.pcap",
        "fixtures/public/tcpdump_mptcp-v0.pcap",
    ] {
        for c in conns(rel) {
            assert_eq!(c["verdict"], "mptcp", "{rel}");
        }
    }
    // The crafted v0 connection is genuine but carries an MP_FAIL (whose
    // DSN names no flagged mapping: the crafted data verified).
    let v = conns("fixtures/crafted/v0-handshake.pcap");
    assert_eq!(v[0]["verdict"], "fallback_after_fail");
    assert_eq!(strs(&v[0]["mp_fail_match"]), ["not_flagged"]);
    assert_eq!(dss(&v[0], "valid"), 1);
}

struct Frame {
    link: LinkType,
    now: u64,
    data: Vec<u8>,
}

fn read(rel: &str) -> Vec<Frame> {
    let mut v = Vec::new();
    capture::for_each_packet(&repo_root().join(rel), |p| {
        if let Some(link) = LinkType::from_pcap(p.linktype) {
            v.push(Frame {
                link,
                now: (p.ts * 1e9) as u64,
                data: p.data.to_vec(),
            });
        }
    })
    .expect("read capture");
    v
}

/// Dissects `frames`; returns the stats and the DSNs of invalid mappings.
fn run(frames: &[&Frame]) -> (DissectorStats, Vec<u64>) {
    let mut d: Box<Dissector<256, 64>> = Box::new(Dissector::new(
        [7; 16],
        DissectorConfig {
            verify_tcp_checksum: true,
            ..DissectorConfig::default()
        },
    ));
    let mut invalid = Vec::new();
    for f in frames {
        d.dissect(&f.data, f.link, f.now);
        for e in d.events().iter() {
            if let Event::Mapping {
                dsn,
                verdict: DssVerdict::Invalid,
                ..
            } = *e
            {
                invalid.push(dsn);
            }
        }
    }
    (d.stats(), invalid)
}

#[test]
fn capture_loss_and_reordering_make_no_false_failures() {
    // (capture, DSNs allowed to be invalid, mappings span several segments)
    for (rel, allowed, multi) in [
        ("fixtures/linux/v1-csum-on.pcap", &[][..], true),
        ("fixtures/linux/v1-lossy.pcap", &[][..], true),
        // SSH: one segment per mapping, so a lost frame loses whole
        // mappings and leaves no gap.
        ("fixtures/public/tcpdump_mptcp-v0.pcap", &[][..], false),
        (
            "fixtures/linux/v1-mpfail.pcap",
            &[12446508948090702481_u64][..],
            true,
        ),
    ] {
        let frames = read(rel);
        let all: Vec<&Frame> = frames.iter().collect();
        let (full, inv) = run(&all);
        assert!(inv.iter().all(|d| allowed.contains(d)), "{rel}: {inv:?}");
        for period in [3, 5, 7, 11] {
            // Every period-th frame (after the handshakes) lost.
            let lost: Vec<&Frame> = frames
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 8 || i % period != 0)
                .map(|(_, f)| f)
                .collect();
            let (st, inv) = run(&lost);
            assert!(
                inv.iter().all(|d| allowed.contains(d)),
                "{rel} lost/{period}: {inv:?}"
            );
            if multi {
                assert!(st.dss_unverifiable > 0, "{rel} lost/{period}: no gap seen");
            }
            // Adjacent frames swapped.
            let mut swapped = all.clone();
            for i in (8..swapped.len().saturating_sub(1)).step_by(period) {
                swapped.swap(i, i + 1);
            }
            let (st2, inv) = run(&swapped);
            assert!(
                inv.iter().all(|d| allowed.contains(d)),
                "{rel} swapped/{period}: {inv:?}"
            );
            println!(
                "{rel}: full {}/{} valid; lost 1/{period}: {} valid {} unverifiable; \
                 swapped: {} valid {} unverifiable; 0 false invalid",
                full.dss_valid,
                full.dss_valid + full.dss_unverifiable,
                st.dss_valid,
                st.dss_unverifiable,
                st2.dss_valid,
                st2.dss_unverifiable
            );
        }
    }
}
