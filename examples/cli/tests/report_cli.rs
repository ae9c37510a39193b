//! `mpdissect report` as a command: the bundled default, several files,
//! errors, and that every section is present in text, JSON, CSV and SVG.
//! Expected counts are the frame counts of fixtures/README.md.

mod common;
use common::repo_root;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(p: &str) -> PathBuf {
    repo_root().join("fixtures").join(p)
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpdissect"))
        .arg("report")
        .args(args)
        .output()
        .expect("run mpdissect")
}

fn json(args: &[&std::ffi::OsStr]) -> Value {
    let mut a: Vec<&std::ffi::OsStr> = vec!["--json".as_ref()];
    a.extend_from_slice(args);
    let out = run(&a);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn no_argument_reads_the_bundled_capture() {
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "Table 1 — dataset",
        "§3.1 — advertised addresses",
        "§3.2 — subflow establishment",
        "§3.3 — subflows per connection",
        "§3.4 — middleboxes",
        "§3.5 — termination",
        "§3.6 — data distribution",
    ] {
        assert!(text.contains(heading), "missing {heading}:\n{text}");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("merged-report.pcapng"));
}

#[test]
fn several_files_are_one_trace() {
    let a = fixture("linux/v1-csum-on.pcap");
    let b = fixture("linux/v1-ipv6.pcap");
    let r = json(&[a.as_ref(), b.as_ref()]);
    // 122 + 89 frames, one connection each.
    assert_eq!(r["table1"]["frames"], 211);
    assert_eq!(r["table1"]["mptcp_connections"], 2);
    assert_eq!(r["files"].as_array().unwrap().len(), 2);
    // v1-ipv6 is IPv6 only, v1-csum-on IPv4 only.
    assert_eq!(r["table1"]["all_tcp"]["packets"]["ipv4"], 122);
    assert_eq!(r["table1"]["all_tcp"]["packets"]["ipv6"], 89);
}

#[test]
fn a_refused_join_is_attempted_not_established() {
    // Hand count (fixtures/README.md): frames 8-10 are the join's SYN,
    // SYN/ACK and third ACK, frame 11 the server's RST; the initial
    // subflow is established.
    let r = json(&[fixture("linux/v1-join-refused.pcap").as_ref()]);
    let one = |k: &str| {
        let h = r["subflows"][k].as_array().unwrap();
        assert_eq!(h.len(), 1, "{k}: {h:?}");
        (h[0]["subflows"].as_u64(), h[0]["connections"].as_u64())
    };
    assert_eq!(one("attempted"), (Some(2), Some(1)));
    assert_eq!(one("established"), (Some(1), Some(1)));
}

#[test]
fn a_mapping_whose_tail_was_not_captured_is_unverifiable() {
    // Hand count (scripts/craft_captures.py): mapping 1 (200 bytes) in two
    // segments, its checksum computed by the script: valid; mapping 2 only
    // its first 100 bytes: incomplete when the trace ends. Then the same
    // followed by a later capture (years later: the first subflow expires
    // and leaves the table with its mapping still open), whose 20 mappings
    // are valid (README, DSS checksums).
    let split = fixture("crafted/v1-split-mapping.pcap");
    let later = fixture("linux/v1-csum-on.pcap");
    for (files, valid) in [(vec![split.clone()], 1), (vec![split, later], 21)] {
        let args: Vec<&std::ffi::OsStr> = files.iter().map(|f| f.as_os_str()).collect();
        let r = json(&args);
        let dv = &r["middleboxes"]["dss_validation"];
        assert_eq!(dv["valid"], valid, "{dv}");
        assert_eq!(dv["invalid"], 0, "{dv}");
        assert_eq!(dv["unverifiable"], 1, "{dv}");
        assert_eq!(dv["unverifiable_reasons"]["incomplete"], 1, "{dv}");
    }
}

#[test]
fn a_connection_that_fell_back_and_closed_with_tcp_fins() {
    // Hand count (fixtures/README.md): the server's three data segments
    // (frames 10, 12, 14) lost their MPTCP option to nft, so its first data
    // came without a DSS (fallback, RFC 8684 §3.7: stripped); FINs both
    // ways (frames 16, 17) and no DATA_FIN: a TCP-level close.
    let r = json(&[fixture("linux/v1-fallback-fin.pcap").as_ref()]);
    let t = &r["termination"];
    assert_eq!(
        (t["fin_only"].as_u64(), t["data_fin"].as_u64()),
        (Some(1), Some(0))
    );
    let m = &r["middleboxes"];
    assert_eq!(m["fallback"]["events"]["data_without_dss"], 1, "{m}");
    assert_eq!(m["verdicts"]["stripped"], 1, "{m}");
}

#[test]
fn pcapng_with_three_link_types() {
    // 26 frames on SLL2, SLL and raw-IP interfaces.
    let r = json(&[fixture("public/merged-sll2-eth-raw.pcapng").as_ref()]);
    assert_eq!(r["table1"]["frames"], 26);
    assert_eq!(r["dissector"]["malformed"], 0);
}

#[test]
fn unreadable_and_bad_files_are_clear_errors() {
    let missing = repo_root().join("fixtures/no-such-file.pcap");
    let out = run(&[missing.as_ref()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-file.pcap") && err.contains("cannot read"),
        "{err}"
    );
    let notcap = repo_root().join("fixtures/README.md");
    let out = run(&[notcap.as_ref()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("README.md") && err.contains("not a pcap"),
        "{err}"
    );
}

#[test]
fn csv_and_svg_for_every_table_and_figure() {
    let dir = std::env::temp_dir().join(format!("mpdissect-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (csv, svg) = (dir.join("csv"), dir.join("svg"));
    let out = run(&[
        "--csv".as_ref(),
        csv.as_ref(),
        "--plots".as_ref(),
        svg.as_ref(),
        fixture("linux/merged-report.pcapng").as_ref(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "table1_traffic.csv",
        "table1_summary.csv",
        "table1_server_ports.csv",
        "table2_address_classes.csv",
        "s3_1_addresses.csv",
        "s3_2_subflow_setup.csv",
        "s3_3_subflows.csv",
        "s3_4_middleboxes.csv",
        "s3_4_mp_fail_by_port.csv",
        "s3_5_termination.csv",
        "s3_6_data.csv",
        "fig1_join_delay.csv",
        "fig2_rtt_spread.csv",
        "fig3_subflows.csv",
        "fig4_bytes.csv",
        "fig5_initial_subflow_fraction.csv",
        "fig6_reinjection.csv",
    ] {
        let text =
            std::fs::read_to_string(csv.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut lines = text.lines();
        let cols = lines.next().unwrap().split(',').count();
        for l in lines {
            assert_eq!(l.split(',').count(), cols, "{name}: {l}");
        }
    }
    // Every key of a key,value file is the JSON path of its value.
    let doc = json(&[fixture("linux/merged-report.pcapng").as_ref()]);
    for (name, root) in [
        ("table1_summary.csv", "table1"),
        ("s3_1_addresses.csv", "addresses"),
        ("s3_2_subflow_setup.csv", "subflow_setup"),
        ("s3_3_subflows.csv", "subflows"),
        ("s3_4_middleboxes.csv", "middleboxes"),
        ("s3_5_termination.csv", "termination"),
        ("s3_6_data.csv", "data"),
        ("dissector.csv", "dissector"),
    ] {
        let text = std::fs::read_to_string(csv.join(name)).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("key,value"), "{name}");
        for l in lines {
            let (key, value) = l.split_once(',').unwrap();
            let v = key
                .split('.')
                .try_fold(&doc[root], |v, k| v.get(k))
                .unwrap_or_else(|| panic!("{name}: {key} is not in the JSON"));
            let shown = match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            assert_eq!(shown, value, "{name}: {key}");
        }
    }
    // 2 MP_FAIL (v1-mpfail) on port 5000 over IPv4.
    let fails = std::fs::read_to_string(csv.join("s3_4_mp_fail_by_port.csv")).unwrap();
    assert_eq!(fails, "port,ip_version,count\n5000,4,2\n");
    for name in [
        "fig1_join_delay.svg",
        "fig2_rtt_spread.svg",
        "fig3_subflows.svg",
        "fig4_bytes.svg",
        "fig5_initial_subflow_fraction.svg",
        "fig6_reinjection.svg",
    ] {
        let text =
            std::fs::read_to_string(svg.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(text.contains("Fig. "), "{name} has no title");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn empty_trace_reports_nothing_without_failing() {
    // v1-stripped: a fallback, no MPTCP connection; shares are null.
    let r = json(&[fixture("linux/v1-stripped.pcap").as_ref()]);
    assert_eq!(r["table1"]["mptcp_connections"], 0);
    assert!(r["termination"]["data_fin_share"].is_null());
    assert_eq!(r["table1"]["all_tcp"]["packets"]["ipv4"], 25);
}

/// Mehani et al.'s erratum: an "MPTCP server" whose SYN/ACK carries the
/// client's own key is a middlebox mirroring the option. The mirrored
/// fixture's four handshakes (fixtures/README.md) are all such mirrors:
/// no MPTCP connection, no MPTCP packet, four mirrored verdicts.
#[test]
fn mirrored_handshakes_are_not_mptcp_connections() {
    let r = json(&[fixture("crafted/v1-mirrored.pcap").as_ref()]);
    assert_eq!(r["middleboxes"]["verdicts"]["mirrored"], 4);
    assert_eq!(r["table1"]["mptcp_connections"], 0);
    assert_eq!(r["table1"]["mptcp"]["packets"]["total"], 0);
    assert_eq!(r["middleboxes"]["fallback"]["events"]["mirrored_key"], 1);
}
