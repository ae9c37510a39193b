//! Independent check of the TCP-timestamp RTT samples of `mpdissect conns`
//! (`ts_rtt_{min_ms,avg_ms,samples}_{c2s,s2c}` per subflow): tshark reads
//! the bytes (time, addresses, ports, flags, TCP length, TSval, TSecr) and
//! this file replays the documented rule (`mptcp_dissect::flow::ts_rtt`)
//! over tshark's fields with its own code — nothing of the core is used.
//!
//! Fixtures: the Linux captures (`fixtures/linux/`); connections with TCP
//! checksum errors are skipped (the engine ignores their options, tshark
//! does not verify checksums). tshark is required unless `MPD_NO_TSHARK=1`.

mod common;
use common::{conns_json, repo_root, tshark_available};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One TCP segment as tshark reads it.
struct Seg {
    ns: u64,
    src: String,
    dst: String,
    flags: u16,
    len: u32,
    ts: Option<(u32, u32)>,
}

/// Epoch time "s.fraction" as integer nanoseconds (no float rounding).
fn ns(s: &str) -> u64 {
    let (a, b) = s.split_once('.').unwrap_or((s, "0"));
    let frac: String = b.chars().chain("000000000".chars()).take(9).collect();
    a.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap()
}

/// tcp.stream → its segments, in capture order.
fn tshark(path: &Path) -> BTreeMap<String, Vec<Seg>> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-Y", "tcp", "-T", "fields", "-E", "occurrence=f"])
        .args(["-o", "tcp.relative_sequence_numbers:FALSE"])
        .args([
            "-e",
            "frame.time_epoch",
            "-e",
            "tcp.stream",
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
            "-e",
            "tcp.flags",
            "-e",
            "tcp.len",
            "-e",
            "tcp.options.timestamp.tsval",
            "-e",
            "tcp.options.timestamp.tsecr",
        ])
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed on {}", path.display());
    let mut m: BTreeMap<String, Vec<Seg>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 12 {
            continue;
        }
        let ip = |v4: &str, v6: &str| if v4.is_empty() { v6 } else { v4 }.to_string();
        let src = format!("{}|{}", ip(f[2], f[3]), f[4]);
        let dst = format!("{}|{}", ip(f[5], f[6]), f[7]);
        let flags = u16::from_str_radix(f[8].trim_start_matches("0x"), 16).unwrap();
        let ts = match (f[10].parse::<u32>(), f[11].parse::<u32>()) {
            (Ok(v), Ok(e)) => Some((v, e)),
            _ => None,
        };
        m.entry(f[1].to_string()).or_default().push(Seg {
            ns: ns(f[0]),
            src,
            dst,
            flags,
            len: f[9].parse().unwrap_or(0),
            ts,
        });
    }
    m
}

/// Expected (min µs, sum µs, count) per direction [c2s, s2c], replaying the
/// rule: time a new (serial-after) TSval of a segment with payload, SYN or
/// FIN when none is outstanding; an ACK segment of the other side with
/// TSecr == it ends the sample, a later non-zero TSecr drops it.
fn replay(segs: &[Seg], client: &str) -> [Option<(u64, u64, u64)>; 2] {
    const SYN: u16 = 0x02;
    const ACK: u16 = 0x10;
    const FIN: u16 = 0x01;
    // Per direction: (last timed TSval, start µs, pending, started).
    let mut st = [(0u32, 0u32, false, false); 2];
    let mut acc: [Option<(u64, u64, u64)>; 2] = [None, None];
    let start = segs
        .iter()
        .position(|s| s.flags & (SYN | ACK) == SYN && s.src == client);
    let Some(start) = start else {
        return acc;
    };
    for s in &segs[start..] {
        let Some((tsval, tsecr)) = s.ts else {
            continue;
        };
        let me = usize::from(s.src != client);
        let other = 1 - me;
        let now_us = (s.ns / 1000) as u32;
        if s.flags & ACK != 0 && tsecr != 0 && st[other].2 {
            if tsecr == st[other].0 {
                let sample = u64::from(now_us.wrapping_sub(st[other].1));
                let a = acc[other].get_or_insert((u64::MAX, 0, 0));
                a.0 = a.0.min(sample);
                a.1 += sample;
                a.2 += 1;
                st[other].2 = false;
            } else if (tsecr.wrapping_sub(st[other].0) as i32) > 0 {
                st[other].2 = false;
            }
        }
        let timed = s.len > 0 || s.flags & (SYN | FIN) != 0;
        let fresh = !st[me].3 || (tsval.wrapping_sub(st[me].0) as i32) > 0;
        if timed && !st[me].2 && fresh {
            st[me] = (tsval, now_us, true, true);
        }
    }
    acc
}

#[test]
fn ts_rtt_matches_tshark_replay() {
    if !tshark_available() {
        return;
    }
    let dir = repo_root().join("fixtures/linux");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    let mut compared = 0;
    let mut sampled = 0;
    let mut csum_on = false;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let streams = tshark(path);
        // 4-tuple "client>server" → tcp.stream.
        let mut by_tuple: BTreeMap<String, &Vec<Seg>> = BTreeMap::new();
        for segs in streams.values() {
            if let Some(syn) = segs.iter().find(|s| s.flags & 0x12 == 0x02) {
                by_tuple.insert(format!("{}>{}", syn.src, syn.dst), segs);
            }
        }
        for c in conns_json(path) {
            if c["tcp_checksum_errors"].as_u64() != Some(0) {
                continue;
            }
            for sf in c["subflows"].as_array().unwrap() {
                let client = format!("{}|{}", sf["src"].as_str().unwrap(), sf["sport"]);
                let server = format!("{}|{}", sf["dst"].as_str().unwrap(), sf["dport"]);
                let Some(segs) = by_tuple.get(&format!("{client}>{server}")) else {
                    continue;
                };
                let want = replay(segs, &client);
                for (i, dir) in ["c2s", "s2c"].into_iter().enumerate() {
                    let got_n = sf[format!("ts_rtt_samples_{dir}")].as_u64();
                    let got_min = sf[format!("ts_rtt_min_ms_{dir}")].as_f64();
                    let got_avg = sf[format!("ts_rtt_avg_ms_{dir}")].as_f64();
                    let what = format!("{name} {client}>{server} {dir}");
                    match want[i] {
                        None => assert_eq!(
                            (got_n, got_min, got_avg),
                            (None, None, None),
                            "{what}: samples where the replay has none"
                        ),
                        Some((min, sum, n)) => {
                            let avg = sum / n;
                            eprintln!(
                                "{what}: ours min {got_min:?} avg {got_avg:?} n {got_n:?}; \
                                 tshark replay min {} avg {} n {n}",
                                min as f64 / 1000.0,
                                avg as f64 / 1000.0
                            );
                            assert_eq!(got_n, Some(n), "{what}: sample count");
                            // Ours times packets from an f64 capture time
                            // (≈ 0.24 µs resolution at today's epoch): 1 µs.
                            let near = |g: Option<f64>, w: u64| {
                                g.is_some_and(|g| (g * 1000.0 - w as f64).abs() <= 1.01)
                            };
                            assert!(near(got_min, min), "{what}: min {got_min:?} vs {min} µs");
                            assert!(near(got_avg, avg), "{what}: avg {got_avg:?} vs {avg} µs");
                            sampled += 1;
                            csum_on |= name == "v1-csum-on.pcap";
                        }
                    }
                    compared += 1;
                }
            }
        }
    }
    eprintln!("{compared} subflow directions compared, {sampled} with samples");
    assert!(csum_on, "v1-csum-on.pcap has timestamp samples");
    assert!(sampled >= 4, "too few sampled directions: {sampled}");
}
