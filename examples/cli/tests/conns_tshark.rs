//! Differential test of `mpdissect conns` against tshark's MPTCP analysis:
//!
//! * every key we report has the token and IDSN tshark computes for it
//!   (`mptcp.expected_token` / `mptcp.expected_idsn` on the frames carrying
//!   `tcp.options.mptcp.sendkey`), and every key tshark saw on a connection
//!   we report is one of ours;
//! * subflow grouping: the set of TCP 4-tuples of each of our connections
//!   equals the set of tcp.streams tshark puts in one `mptcp.stream`.
//!
//! Fixtures: `fixtures/**.pcap*` and `../shared/captures/public/` when
//! present (GPL captures are read from there, never copied). tshark is
//! required unless `MPD_NO_TSHARK=1`.

mod common;
use common::{captures, conns_json, tshark_available};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// A direction-free 4-tuple "a:p|b:q" (endpoints sorted).
fn tuple(a: &str, pa: &str, b: &str, pb: &str) -> String {
    let x = format!("{a}:{pa}");
    let y = format!("{b}:{pb}");
    if x <= y {
        format!("{x}|{y}")
    } else {
        format!("{y}|{x}")
    }
}

#[derive(Default)]
struct Ts {
    /// mptcp.stream → tcp.streams.
    groups: BTreeMap<String, BTreeSet<String>>,
    /// tcp.stream → 4-tuple.
    tuples: BTreeMap<String, String>,
    /// key → (token, idsn), from frames carrying a sender key.
    keys: BTreeMap<u64, (u32, u64)>,
    /// mptcp.stream → keys seen on it.
    stream_keys: BTreeMap<String, BTreeSet<u64>>,
}

fn tshark(path: &Path) -> Ts {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"])
        .args([
            "-e",
            "tcp.stream",
            "-e",
            "mptcp.stream",
            "-e",
            "mptcp.expected_token",
            "-e",
            "mptcp.expected_idsn",
            "-e",
            "tcp.options.mptcp.sendkey",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "tcp.srcport",
            "-e",
            "ip.dst",
            "-e",
            "ipv6.dst",
            "-e",
            "tcp.dstport",
            "-Y",
            "mptcp",
        ])
        .output()
        .expect("run tshark");
    let mut ts = Ts::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let g = |i: usize| f.get(i).copied().unwrap_or("");
        let (tcp_stream, mstream) = (g(0), g(1));
        if tcp_stream.is_empty() || mstream.is_empty() {
            continue;
        }
        let src = if g(5).is_empty() { g(6) } else { g(5) };
        let dst = if g(8).is_empty() { g(9) } else { g(8) };
        ts.tuples
            .entry(tcp_stream.to_string())
            .or_insert_with(|| tuple(src, g(7), dst, g(10)));
        ts.groups
            .entry(mstream.to_string())
            .or_default()
            .insert(tcp_stream.to_string());
        let key = g(4).split(',').next().and_then(|k| k.parse::<u64>().ok());
        let token = g(2).split(',').next().and_then(|k| k.parse::<u32>().ok());
        let idsn = g(3).split(',').next().and_then(|k| k.parse::<u64>().ok());
        // TSHARK: on a SYN/ACK that mirrors the SYN's own v0 key
        // (crafted/v1-mirrored.pcap frame 2) tshark 4.x shows
        // `mptcp.expected_token` 0 next to the right IDSN; keep the first
        // (non-zero) token seen for a key.
        if let (Some(k), Some(t), Some(i)) = (key, token, idsn) {
            if t == 0 {
                continue;
            }
            ts.keys.entry(k).or_insert((t, i));
            ts.stream_keys
                .entry(mstream.to_string())
                .or_default()
                .insert(k);
        }
    }
    ts
}

#[test]
fn tokens_idsns_and_grouping_match_tshark() {
    if !tshark_available() {
        return;
    }
    let (mut keys_checked, mut groups_checked, mut conns_total) = (0, 0, 0);
    let mut report = Vec::new();
    for path in captures() {
        let conns = conns_json(&path);
        let ts = tshark(&path);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // tcp 4-tuple → mptcp.stream
        let mut stream_of_tuple: BTreeMap<String, String> = BTreeMap::new();
        for (ms, tcps) in &ts.groups {
            for t in tcps {
                if let Some(tu) = ts.tuples.get(t) {
                    stream_of_tuple.insert(tu.clone(), ms.clone());
                }
            }
        }
        for c in &conns {
            conns_total += 1;
            let id = c["id"].as_u64().unwrap();
            // Keys → token/IDSN.
            let mut our_keys = BTreeSet::new();
            for side in ["client", "server"] {
                let Some(k) = c[format!("{side}_key")].as_u64() else {
                    continue;
                };
                our_keys.insert(k);
                let tok = c[format!("{side}_token")].as_u64().unwrap() as u32;
                let idsn = c[format!("{side}_idsn")].as_u64().unwrap();
                if let Some(&(tt, ti)) = ts.keys.get(&k) {
                    assert_eq!(
                        (tok, idsn),
                        (tt, ti),
                        "{name} conn {id} {side}: token/IDSN differ from tshark"
                    );
                    keys_checked += 1;
                }
            }
            // Grouping.
            let ours: BTreeSet<String> = c["subflows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    tuple(
                        s["src"].as_str().unwrap(),
                        &s["sport"].to_string(),
                        s["dst"].as_str().unwrap(),
                        &s["dport"].to_string(),
                    )
                })
                .collect();
            let streams: BTreeSet<&String> =
                ours.iter().filter_map(|t| stream_of_tuple.get(t)).collect();
            assert_eq!(
                streams.len(),
                1,
                "{name} conn {id}: our subflows {ours:?} span tshark mptcp.streams {streams:?}"
            );
            let ms = *streams.iter().next().unwrap();
            let theirs: BTreeSet<String> = ts.groups[ms]
                .iter()
                .filter_map(|t| ts.tuples.get(t).cloned())
                .collect();
            assert_eq!(
                ours, theirs,
                "{name} conn {id}: subflows differ from tshark mptcp.stream {ms}"
            );
            groups_checked += 1;
            // Every key tshark saw on this mptcp.stream is one of ours.
            if let Some(tk) = ts.stream_keys.get(ms) {
                for k in tk {
                    assert!(
                        our_keys.contains(k),
                        "{name} conn {id}: tshark key {k} on stream {ms} not ours"
                    );
                }
            }
        }
        // tshark streams with a key but no connection of ours: those whose
        // handshake is incomplete in the capture are expected; list them.
        let matched: usize = conns.len();
        report.push(format!(
            "{name}: ours {matched}, tshark mptcp.streams {} ({} with keys)",
            ts.groups.len(),
            ts.stream_keys.len()
        ));
    }
    for r in &report {
        eprintln!("{r}");
    }
    eprintln!("conns {conns_total}, keys matched {keys_checked}, groups matched {groups_checked}");
    assert!(keys_checked > 10 && groups_checked > 5);
}
