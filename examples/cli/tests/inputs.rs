//! What `mpdissect report` and `conns` make of awkward inputs: a file cut
//! short (the packets before the cut are reported, and the command fails),
//! files given out of time order or overlapping in time, BSD loopback
//! captures, a timestamp past the year 2500, `--capacity` out of range,
//! and a trace that starts after a connection's SYN.
//! Every expectation is another run of the tool on an equivalent input
//! (the same packets in order, on Ethernet, whole), not a number it
//! printed before.

mod common;
use common::repo_root;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(p: &str) -> PathBuf {
    repo_root().join("fixtures").join(p)
}

fn mpdissect(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpdissect"))
        .args(args)
        .output()
        .expect("run mpdissect")
}

fn report_json(files: &[&Path]) -> (Value, Output) {
    let mut a: Vec<&std::ffi::OsStr> = vec!["report".as_ref(), "--json".as_ref()];
    a.extend(files.iter().map(|f| f.as_os_str()));
    let out = mpdissect(&a);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (v, out)
}

/// A scratch file that removes itself.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str, bytes: &[u8]) -> Temp {
        let p = std::env::temp_dir().join(format!("mpd-inputs-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        Temp(p)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A pcap record: its 16-byte header and its data.
type Record = ([u8; 16], Vec<u8>);

/// The records of a little-endian microsecond pcap: (header, records).
fn records(f: &[u8]) -> (Vec<u8>, Vec<Record>) {
    assert_eq!(f[..4], [0xd4, 0xc3, 0xb2, 0xa1], "little-endian µs pcap");
    let (mut at, mut out) = (24, Vec::new());
    while at < f.len() {
        let h: [u8; 16] = f[at..at + 16].try_into().unwrap();
        let len = u32::from_le_bytes(h[8..12].try_into().unwrap()) as usize;
        out.push((h, f[at + 16..at + 16 + len].to_vec()));
        at += 16 + len;
    }
    (f[..24].to_vec(), out)
}

fn pcap(header: &[u8], recs: &[Record]) -> Vec<u8> {
    let mut f = header.to_vec();
    for (h, d) in recs {
        f.extend_from_slice(h);
        f.extend_from_slice(d);
    }
    f
}

/// `f` with every time moved by `secs`.
fn shifted(f: &[u8], secs: i64) -> Vec<u8> {
    let (header, mut recs) = records(f);
    for (h, _) in &mut recs {
        let t = i64::from(u32::from_le_bytes(h[..4].try_into().unwrap())) + secs;
        h[..4].copy_from_slice(&(t as u32).to_le_bytes());
    }
    pcap(&header, &recs)
}

/// The report without what names the files.
fn numbers(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("files");
    v
}

#[test]
fn a_file_cut_short_is_reported_up_to_the_cut_and_fails() {
    let whole = std::fs::read(fixture("linux/v1-csum-on.pcap")).unwrap();
    let (header, recs) = records(&whole);
    let keep = recs.len() - 1;
    // The last record cut 10 bytes short, as a killed tcpdump leaves it.
    let mut cut = pcap(&header, &recs);
    cut.truncate(cut.len() - 10);
    let cut = Temp::new("cut.pcap", &cut);
    // The same packets, without the cut one.
    let prefix = Temp::new("prefix.pcap", &pcap(&header, &recs[..keep]));
    let (got, out) = report_json(&[&cut.0]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("truncated") && err.contains("covers the packets read before"),
        "{err}"
    );
    let (want, ok) = report_json(&[&prefix.0]);
    assert!(ok.status.success());
    assert_eq!(got["errors"].as_array().unwrap().len(), 1);
    let mut got = numbers(got);
    got.as_object_mut().unwrap().remove("errors");
    let mut want = numbers(want);
    want.as_object_mut().unwrap().remove("errors");
    assert_eq!(got, want);
    assert_eq!(got["table1"]["frames"], keep);

    // A good file after it is read too.
    let other = fixture("linux/v1-ipv6.pcap");
    let (both, out) = report_json(&[&cut.0, &other]);
    assert_eq!(out.status.code(), Some(1));
    let (alone, _) = report_json(&[&other]);
    assert_eq!(
        both["table1"]["frames"].as_u64().unwrap(),
        keep as u64 + alone["table1"]["frames"].as_u64().unwrap()
    );

    // `conns` prints the connections read before the cut, then fails.
    let conns = |f: &Path| mpdissect(&["conns".as_ref(), f.as_os_str()]);
    let (got, want) = (conns(&cut.0), conns(&prefix.0));
    assert_eq!(got.status.code(), Some(1));
    assert!(want.status.success());
    assert!(!want.stdout.is_empty());
    assert_eq!(got.stdout, want.stdout);
    assert!(String::from_utf8_lossy(&got.stderr).contains("truncated"));
}

#[test]
fn files_are_read_in_time_order_and_overlaps_are_told() {
    let orig = std::fs::read(fixture("linux/v1-csum-on.pcap")).unwrap();
    // The same connection (same ports, keys and sequence numbers) a day
    // earlier: two connections, whatever the order on the command line.
    let earlier = Temp::new("earlier.pcap", &shifted(&orig, -86_400));
    let orig = fixture("linux/v1-csum-on.pcap");
    let (forward, out) = report_json(&[&earlier.0, &orig]);
    assert!(out.status.success());
    let (backward, out) = report_json(&[&orig, &earlier.0]);
    assert!(out.status.success());
    assert_eq!(forward["files"], backward["files"]);
    assert_eq!(forward, backward);
    let (one, _) = report_json(&[&orig]);
    let n = one["table1"]["mptcp_connections"].as_u64().unwrap();
    assert_eq!(forward["table1"]["mptcp_connections"], 2 * n);
    assert_eq!(forward["warnings"].as_array().unwrap().len(), 0);

    // Two files over the same time: read one after the other, with a
    // warning (stderr and JSON), not an error.
    let copy = Temp::new("copy.pcap", &std::fs::read(&orig).unwrap());
    let (v, out) = report_json(&[&orig, &copy.0]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("overlaps in time"), "{err}");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1);
}

/// An Ethernet pcap turned into a BSD loopback one (`LINKTYPE_NULL`, the
/// family in little-endian order, or `LINKTYPE_LOOP`, network order).
fn loopback(f: &[u8], linktype: u32) -> Vec<u8> {
    let (mut header, mut recs) = records(f);
    header[20..24].copy_from_slice(&linktype.to_le_bytes());
    for (h, d) in &mut recs {
        let family: u32 = match u16::from_be_bytes([d[12], d[13]]) {
            0x0800 => 2,
            0x86dd => 30,
            t => panic!("ethertype {t:#x}"),
        };
        let family = if linktype == 0 {
            family.to_le_bytes()
        } else {
            family.to_be_bytes()
        };
        let mut nd = family.to_vec();
        nd.extend_from_slice(&d[14..]);
        *d = nd;
        for at in [8, 12] {
            let n = u32::from_le_bytes(h[at..at + 4].try_into().unwrap()) - 10;
            h[at..at + 4].copy_from_slice(&n.to_le_bytes());
        }
    }
    pcap(&header, &recs)
}

#[test]
fn loopback_captures_report_as_their_ethernet_twins() {
    for name in ["linux/v1-csum-on.pcap", "linux/v1-ipv6.pcap"] {
        let eth = fixture(name);
        let (want, _) = report_json(&[&eth]);
        assert!(want["table1"]["mptcp_connections"].as_u64().unwrap() > 0);
        for linktype in [0, 108] {
            let lo = Temp::new(
                "lo.pcap",
                &loopback(&std::fs::read(&eth).unwrap(), linktype),
            );
            let (got, out) = report_json(&[&lo.0]);
            assert!(out.status.success(), "{name} {linktype}");
            assert_eq!(numbers(got), numbers(want.clone()), "{name} {linktype}");
        }
    }
}

#[test]
fn frames_of_an_unsupported_link_type_are_counted_and_told() {
    let f = std::fs::read(fixture("linux/v1-csum-on.pcap")).unwrap();
    let (mut header, recs) = records(&f);
    header[20..24].copy_from_slice(&147u32.to_le_bytes()); // LINKTYPE_USER0
    let user = Temp::new("user0.pcap", &pcap(&header, &recs));
    let (v, out) = report_json(&[&user.0]);
    assert!(out.status.success());
    assert_eq!(v["table1"]["frames_unsupported_link"], recs.len());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported link type"), "{err}");
    let out = mpdissect(&["conns".as_ref(), user.0.as_os_str()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported link type"));
}

#[test]
fn a_time_past_the_year_2500_does_not_break_the_pass() {
    // A pcapng with one Ethernet interface (microseconds) and the
    // fixture's first packet at 2^63 µs (year 292 000): the time is
    // reported as read, the dissector's clock saturates.
    let f = std::fs::read(fixture("linux/v1-csum-on.pcap")).unwrap();
    let (_, recs) = records(&f);
    let mut ng = Vec::new();
    let block = |ng: &mut Vec<u8>, kind: u32, body: &[u8]| {
        let len = 12 + body.len() as u32;
        ng.extend_from_slice(&kind.to_le_bytes());
        ng.extend_from_slice(&len.to_le_bytes());
        ng.extend_from_slice(body);
        ng.extend_from_slice(&len.to_le_bytes());
    };
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&[0xff; 8]);
    block(&mut ng, 0x0a0d_0d0a, &shb);
    block(&mut ng, 1, &[1, 0, 0, 0, 0, 0, 0, 0]);
    let data = &recs[0].1;
    let ts: u64 = 1 << 63;
    let mut epb = 0u32.to_le_bytes().to_vec();
    epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    epb.extend_from_slice(&(ts as u32).to_le_bytes());
    epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
    epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
    epb.extend_from_slice(data);
    epb.resize(epb.len().div_ceil(4) * 4, 0);
    block(&mut ng, 6, &epb);
    let far = Temp::new("far.pcapng", &ng);
    let (v, out) = report_json(&[&far.0]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(v["table1"]["frames"], 1);
    let first = v["table1"]["collection_period"]["first"].as_f64().unwrap();
    assert!((first - 9_223_372_036_854.776).abs() < 1e-2, "{first}");
    let out = mpdissect(&["conns".as_ref(), far.0.as_os_str()]);
    assert!(out.status.success());
}

#[test]
fn capacity_out_of_range_is_refused() {
    let f = fixture("linux/v1-csum-on.pcap");
    for cmd in ["report", "conns"] {
        for bad in ["0", "16777217", "18446744073709551615", "many"] {
            let out = mpdissect(&[
                cmd.as_ref(),
                "--capacity".as_ref(),
                bad.as_ref(),
                f.as_os_str(),
            ]);
            assert_eq!(out.status.code(), Some(2), "{cmd} {bad}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("--capacity"), "{err}");
        }
        let out = mpdissect(&[
            cmd.as_ref(),
            "--capacity".as_ref(),
            "1".as_ref(),
            f.as_os_str(),
        ]);
        assert!(out.status.success(), "{cmd}");
    }
}

/// A trace that starts after the initial subflow's SYN and SYN/ACK (the
/// capture began mid-handshake): the connection is picked up at its third
/// ACK, but it has no handshake RTT (tshark has no `initial_rtt` either)
/// and no SYN to time its first join from. Its join's RTT alone makes no
/// spread. Before, the third ACK's own time gave a 1 µs RTT.
#[test]
fn a_connection_picked_up_at_its_third_ack_has_no_handshake_times() {
    let f = std::fs::read(fixture("linux/v1-csum-on.pcap")).unwrap();
    let (header, recs) = records(&f);
    // Frames 1 and 2 are the initial SYN and SYN/ACK (flags at the TCP
    // header's byte 13, after 14 + 20 bytes of Ethernet and IPv4).
    assert_eq!(recs[0].1[14 + 20 + 13], 0x02);
    assert_eq!(recs[1].1[14 + 20 + 13], 0x12);
    let whole = fixture("linux/v1-csum-on.pcap");
    let (w, _) = report_json(&[&whole]);
    assert_eq!(w["subflow_setup"]["join_delay"]["count"], 1);
    assert_eq!(w["subflow_setup"]["rtt_spread"]["count"], 1);
    let late = Temp::new("late.pcap", &pcap(&header, &recs[2..]));
    let (v, out) = report_json(&[&late.0]);
    assert!(out.status.success());
    assert_eq!(v["table1"]["mptcp_connections"], 1);
    assert_eq!(v["subflow_setup"]["connections_with_join"], 1);
    assert_eq!(v["subflow_setup"]["join_delay"]["count"], 0);
    assert_eq!(v["subflow_setup"]["rtt_spread"]["count"], 0);
}

/// A pipe is read once: `report` does not probe it for its first time
/// (before, the probe ate the start of the stream and the pass found an
/// empty file).
#[test]
fn a_pipe_is_reported_like_its_file() {
    use std::io::Write;
    use std::process::Stdio;
    let f = fixture("linux/v1-mixed.pcap");
    let (want, _) = report_json(&[&f]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpdissect"))
        .args(["report", "--json", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(&f).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(numbers(got), numbers(want));
}

/// A file whose first packet cannot be read does not stop the others:
/// their report, the file's error, exit 1. Only when no file yields a
/// packet are the errors alone printed.
#[test]
fn a_file_damaged_in_its_first_packet_does_not_stop_the_others() {
    let whole = std::fs::read(fixture("linux/v1-csum-on.pcap")).unwrap();
    let cut = Temp::new("cut30.pcap", &whole[..30]);
    let good = fixture("linux/v1-ipv6.pcap");
    let (alone, _) = report_json(&[&good]);
    let (both, out) = report_json(&[&good, &cut.0]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(both["table1"]["frames"], alone["table1"]["frames"]);
    assert_eq!(both["errors"].as_array().unwrap().len(), 1);
    let out = mpdissect(&["report".as_ref(), cut.0.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));
}

/// One packet with a corrupt time far in the future: the dissector gets
/// the times as they are (a clamp froze every later packet at that time,
/// and their handshakes at 1 µs), and the report warns.
#[test]
fn a_corrupt_time_is_told_and_does_not_freeze_the_clock() {
    let f = std::fs::read(fixture("linux/v1-mixed.pcap")).unwrap();
    let (header, mut recs) = records(&f);
    let t = u32::from_le_bytes(recs[4].0[..4].try_into().unwrap()) + 100_000_000;
    recs[4].0[..4].copy_from_slice(&t.to_le_bytes());
    let odd = Temp::new("odd-time.pcap", &pcap(&header, &recs));
    let (want, _) = report_json(&[&fixture("linux/v1-mixed.pcap")]);
    let (got, out) = report_json(&[&odd.0]);
    assert!(out.status.success());
    assert_eq!(
        got["subflow_setup"]["rtt_spread"],
        want["subflow_setup"]["rtt_spread"]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("more than 1 s before"), "{err}");
}

/// The tables' hash seed is random for every run (`--seed` fixes it); no
/// output depends on it: `conns` on every capture, with tables large and
/// tiny (evicting), and `report` on all of them at once, under two fixed
/// seeds and a random one. A malformed `--seed` is refused.
#[test]
fn no_output_depends_on_the_hash_seed() {
    let seeds = [
        Some("000102030405060708090a0b0c0d0e0f"),
        Some("ffffffffffffffffffffffffffffffff"),
        None,
    ];
    let run = |args: &[&str], seed: Option<&str>| -> Vec<u8> {
        let mut a: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        if let Some(s) = seed {
            a.extend([std::ffi::OsStr::new("--seed"), std::ffi::OsStr::new(s)]);
        }
        let out = mpdissect(&a);
        [out.stdout, out.stderr].concat()
    };
    let files = common::captures();
    assert!(files.len() >= 20);
    let mut bytes = 0;
    for f in &files {
        let f = f.to_str().unwrap();
        for cap in ["4096", "2"] {
            let outs: Vec<_> = seeds
                .iter()
                .map(|&s| run(&["conns", "--capacity", cap, f], s))
                .collect();
            bytes += outs[0].len();
            assert!(outs.iter().all(|o| o == &outs[0]), "{f} --capacity {cap}");
        }
    }
    assert!(bytes > 10_000, "{bytes}");
    let mut args = vec!["report", "--json"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let outs: Vec<_> = seeds.iter().map(|&s| run(&args, s)).collect();
    assert!(
        outs[0].len() > 1000 && outs.iter().all(|o| o == &outs[0]),
        "report"
    );
    let out = mpdissect(&["conns".as_ref(), "--seed".as_ref(), "12".as_ref()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("32 hexadecimal digits"));
}
