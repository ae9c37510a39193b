//! Differential test: every field `mpdissect dump` prints for an MPTCP option
//! is compared with tshark's own decode (`tcp.options.mptcp.*`, read from
//! PDML where each MPTCP option is its own `<proto name="mptcp">` element) on
//! every capture under `fixtures/` and on the public captures in
//! `../shared/captures/public/` when that folder is present.
//!
//! tshark is an independent implementation (Wireshark's C dissector); this
//! test needs it installed and fails without it, unless `MPD_NO_TSHARK=1` is
//! set on purpose. Every place where tshark's output is known to be wrong or
//! incomplete, and the test bends to it, is named in a `TSHARK:` comment.

mod common;
use common::{captures, tshark_available};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// One MPTCP option as tshark decoded it.
#[derive(Debug, Default)]
struct TsOpt {
    /// Field name → every `show` (or `value` for byte fields) in order.
    fields: BTreeMap<String, Vec<String>>,
}

impl TsOpt {
    fn all(&self, name: &str) -> &[String] {
        self.fields.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
    fn one(&self, name: &str) -> Option<&str> {
        self.all(name).first().map(String::as_str)
    }
}

/// One frame as tshark decoded it.
#[derive(Debug, Default)]
struct TsFrame {
    /// Its MPTCP options, in order.
    opts: Vec<TsOpt>,
    /// tshark's notes on kind-30 options whose length byte breaks the option
    /// framing (missing, below 2, or past the end of the options).
    bad_framing: usize,
}

type TsFrames = BTreeMap<u64, TsFrame>;

fn tshark_pdml(path: &Path) -> TsFrames {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        // Analysis off: we compare the options as they are on the wire.
        .args([
            "-o",
            "mptcp.analyze_mptcp:FALSE",
            "-o",
            "mptcp.relative_sequence_numbers:FALSE",
            "-o",
            "tcp.relative_sequence_numbers:FALSE",
            "-Y",
            "tcp.option_kind == 30 or tcp.option.len.invalid",
            "-T",
            "pdml",
        ])
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed on {}", path.display());
    let xml = String::from_utf8_lossy(&out.stdout);
    let doc = roxmltree::Document::parse(&xml).expect("tshark PDML parses");
    let mut frames = TsFrames::new();
    for packet in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("packet"))
    {
        let mut frame = 0u64;
        let mut f = TsFrame::default();
        for node in packet.descendants() {
            match node.attribute("name") {
                Some("frame.number") => {
                    frame = node.attribute("show").unwrap().parse().unwrap();
                }
                Some("tcp.option.len.invalid")
                    if node
                        .attribute("showname")
                        .is_some_and(|s| s.starts_with("MPTCP")) =>
                {
                    f.bad_framing += 1;
                }
                Some("mptcp") if node.has_tag_name("proto") => {
                    let mut o = TsOpt::default();
                    for fl in node.descendants().filter(|n| n.has_tag_name("field")) {
                        let Some(name) = fl.attribute("name") else {
                            continue;
                        };
                        let v = if matches!(name, "tcp.options.mptcp.sendhmac") {
                            fl.attribute("value")
                        } else {
                            fl.attribute("show")
                        };
                        if let Some(v) = v {
                            o.fields
                                .entry(name.to_string())
                                .or_default()
                                .push(v.to_string());
                        }
                    }
                    f.opts.push(o);
                }
                _ => {}
            }
        }
        frames.insert(frame, f);
    }
    frames
}

fn dump(path: &Path) -> BTreeMap<u64, Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_mpdissect"))
        .arg("dump")
        .arg(path)
        .output()
        .expect("run mpdissect");
    assert!(
        out.status.success(),
        "mpdissect dump failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("dump prints JSON lines");
            (v["frame"].as_u64().unwrap(), v)
        })
        .collect()
}

/// tshark prints integers in decimal or as 0x-hex depending on the field.
fn ts_int(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

struct Diff<'a> {
    file: &'a str,
    frame: u64,
    index: usize,
    mismatches: &'a mut Vec<String>,
    compared: &'a mut u64,
}

impl Diff<'_> {
    fn fail(&mut self, what: String) {
        self.mismatches.push(format!(
            "{} frame {} option {}: {what}",
            self.file, self.frame, self.index
        ));
    }

    /// Our integer field `key` against tshark field `field`.
    fn int(&mut self, ours: &Value, key: &str, ts: &TsOpt, field: &str) {
        self.int_map(ours, key, ts, field, |v| v);
    }

    fn int_map(&mut self, ours: &Value, key: &str, ts: &TsOpt, field: &str, f: fn(u64) -> u64) {
        *self.compared += 1;
        let mine = ours.get(key).and_then(Value::as_u64);
        let theirs = ts.one(field).and_then(ts_int).map(f);
        if mine != theirs {
            self.fail(format!("{key}={mine:?} but tshark {field}={theirs:?}"));
        }
    }

    fn boolean(&mut self, ours: &Value, key: &str, ts: &TsOpt, field: &str) {
        *self.compared += 1;
        let mine = ours.get(key).and_then(Value::as_bool);
        let theirs = ts.one(field).and_then(ts_int).map(|v| v != 0);
        if mine != theirs {
            self.fail(format!("{key}={mine:?} but tshark {field}={theirs:?}"));
        }
    }

    fn text(&mut self, mine: Option<String>, what: &str, theirs: Option<String>) {
        *self.compared += 1;
        if mine != theirs {
            self.fail(format!("{what}: ours {mine:?}, tshark {theirs:?}"));
        }
    }
}

/// Compare one decoded option (ours) with tshark's decode of the same bytes.
fn compare_option(d: &mut Diff<'_>, ours: &Value, ts: &TsOpt) {
    d.int(ours, "subtype", ts, "tcp.options.mptcp.subtype");
    d.int(ours, "len", ts, "tcp.option_len");
    if ours.get("error").is_some() || ours.get("truncated").is_some() {
        // We rejected it, or the capture's snap length cut it; tshark decodes
        // whatever it can of such an option (it has no length rules), so
        // only kind/length/subtype are compared.
        return;
    }
    let subtype = ours["subtype"].as_u64().unwrap();
    let len = ours["len"].as_u64().unwrap();
    match subtype {
        0 => {
            d.int(ours, "version", ts, "tcp.options.mptcp.version");
            d.int(ours, "flags", ts, "tcp.options.mptcp.flags");
            for (key, field) in [
                ("sender_key", "tcp.options.mptcp.sendkey"),
                ("receiver_key", "tcp.options.mptcp.recvkey"),
                ("data_len", "tcp.options.mptcp.datalvllen"),
            ] {
                d.int(ours, key, ts, field);
            }
            // TSHARK: 4.0 decodes the 24-byte MP_CAPABLE checksum into
            // tcp.options.mptcp.checksum, the 22-byte form has none.
            d.int(ours, "checksum", ts, "tcp.options.mptcp.checksum");
        }
        1 => match len {
            12 => {
                d.boolean(ours, "backup", ts, "tcp.options.mptcp.backup.flag");
                d.int(ours, "addr_id", ts, "tcp.options.mptcp.addrid");
                d.int(ours, "token", ts, "tcp.options.mptcp.recvtok");
                d.int(ours, "nonce", ts, "tcp.options.mptcp.sendrand");
            }
            16 => {
                d.boolean(ours, "backup", ts, "tcp.options.mptcp.backup.flag");
                d.int(ours, "addr_id", ts, "tcp.options.mptcp.addrid");
                d.int(ours, "trunc_hmac", ts, "tcp.options.mptcp.sendtrunchmac");
                d.int(ours, "nonce", ts, "tcp.options.mptcp.sendrand");
            }
            _ => {
                let mine = ours["hmac"].as_str().map(str::to_string);
                let theirs = ts.one("tcp.options.mptcp.sendhmac").map(str::to_string);
                d.text(mine, "hmac", theirs);
            }
        },
        2 => {
            d.int(ours, "flags", ts, "tcp.options.mptcp.flags");
            d.boolean(ours, "data_fin", ts, "tcp.options.mptcp.datafin.flag");
            if ours.get("data_ack").is_some() {
                d.int(ours, "data_ack", ts, "tcp.options.mptcp.rawdataack");
                d.int_map(
                    ours,
                    "data_ack_len",
                    ts,
                    "tcp.options.mptcp.dataack8.flag",
                    |f| {
                        if f != 0 {
                            8
                        } else {
                            4
                        }
                    },
                );
            } else {
                d.text(
                    None,
                    "data_ack",
                    ts.one("tcp.options.mptcp.rawdataack").map(str::to_string),
                );
            }
            if ours.get("dsn").is_some() {
                d.int(ours, "dsn", ts, "tcp.options.mptcp.rawdataseqno");
                d.int_map(ours, "dsn_len", ts, "tcp.options.mptcp.dseqn8.flag", |f| {
                    if f != 0 {
                        8
                    } else {
                        4
                    }
                });
                d.int(ours, "ssn", ts, "tcp.options.mptcp.subflowseqno");
                d.int(ours, "data_len", ts, "tcp.options.mptcp.datalvllen");
                // TSHARK: 4.0 never shows the DSS checksum (it skips the two
                // bytes), so `checksum` is checked against the option length
                // only: present exactly when the mapping is 2 bytes longer.
                let base = 4
                    + ours
                        .get("data_ack_len")
                        .and_then(Value::as_u64)
                        .unwrap_or(0)
                    + ours["dsn_len"].as_u64().unwrap()
                    + 6;
                let has = !ours["checksum"].is_null();
                d.text(
                    Some(has.to_string()),
                    "checksum presence",
                    Some((len == base + 2).to_string()),
                );
            } else {
                d.text(
                    None,
                    "dsn",
                    ts.one("tcp.options.mptcp.rawdataseqno").map(str::to_string),
                );
            }
        }
        3 => {
            if ours["version"].as_u64() == Some(0) {
                d.int_map(ours, "ip_version", ts, "tcp.options.mptcp.ipver", |v| v);
            } else {
                d.boolean(ours, "echo", ts, "tcp.options.mptcp.echo");
                d.int(ours, "trunc_hmac", ts, "tcp.options.mptcp.addaddrtrunchmac");
            }
            d.int(ours, "addr_id", ts, "tcp.options.mptcp.addrid");
            let theirs = ts
                .one("tcp.options.mptcp.ipv4")
                .or(ts.one("tcp.options.mptcp.ipv6"))
                .map(str::to_string);
            d.text(ours["ip"].as_str().map(str::to_string), "ip", theirs);
            d.int(ours, "port", ts, "tcp.options.mptcp.port");
        }
        4 => {
            let mine: Vec<u64> = ours["ids"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let theirs: Vec<u64> = ts
                .all("tcp.options.mptcp.addrid")
                .iter()
                .filter_map(|s| ts_int(s))
                .collect();
            d.text(
                Some(format!("{mine:?}")),
                "ids",
                Some(format!("{theirs:?}")),
            );
        }
        5 => {
            d.boolean(ours, "backup", ts, "tcp.options.mptcp.backup.flag");
            d.int(ours, "addr_id", ts, "tcp.options.mptcp.addrid");
        }
        6 => d.int(ours, "dsn", ts, "tcp.options.mptcp.rawdataseqno"),
        7 => d.int(ours, "receiver_key", ts, "tcp.options.mptcp.recvkey"),
        8 => {
            // TSHARK: 4.0 shows the whole third byte as MP_TCPRST "flags",
            // subtype nibble included (0x81 for T set); ours is the nibble.
            d.int_map(ours, "flags", ts, "tcp.options.mptcp.flags", |v| v & 0x0f);
            d.int(ours, "reason", ts, "tcp.options.mptcp.rst_reason");
        }
        _ => {}
    }
}

#[test]
fn dump_agrees_with_tshark_on_every_fixture() {
    if !tshark_available() {
        return;
    }
    let files = captures();
    assert!(files.len() >= 10, "expected the fixtures, found {files:?}");
    let mut mismatches = Vec::new();
    let mut compared = 0u64;
    let mut options = 0u64;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let ours = dump(path);
        let theirs = tshark_pdml(path);
        for (frame, ts_frame) in &theirs {
            let ts_opts = &ts_frame.opts;
            let Some(mine) = ours.get(frame) else {
                mismatches.push(format!(
                    "{name} frame {frame}: tshark sees MPTCP, dump printed nothing"
                ));
                continue;
            };
            // A kind-30 option whose length byte breaks the TCP option framing
            // is an `errors` entry for us and an expert note for tshark.
            let my_bad_framing = mine["errors"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .filter_map(Value::as_str)
                        .filter(|e| {
                            e.starts_with("tcp option kind 30 ")
                                && (e.contains("beyond")
                                    || e.contains("below 2")
                                    || e.contains("missing"))
                        })
                        .count()
                })
                .unwrap_or(0);
            if my_bad_framing != ts_frame.bad_framing {
                mismatches.push(format!(
                    "{name} frame {frame}: {my_bad_framing} badly framed MPTCP options, tshark {}",
                    ts_frame.bad_framing
                ));
            }
            let my_opts = mine["mptcp"].as_array().cloned().unwrap_or_default();
            if my_opts.len() != ts_opts.len() {
                mismatches.push(format!(
                    "{name} frame {frame}: {} MPTCP options, tshark {}",
                    my_opts.len(),
                    ts_opts.len()
                ));
                continue;
            }
            for (index, (m, t)) in my_opts.iter().zip(ts_opts).enumerate() {
                options += 1;
                let mut d = Diff {
                    file: &name,
                    frame: *frame,
                    index,
                    mismatches: &mut mismatches,
                    compared: &mut compared,
                };
                compare_option(&mut d, m, t);
            }
        }
        for frame in ours.keys() {
            if !theirs.contains_key(frame) {
                mismatches.push(format!(
                    "{name} frame {frame}: dump printed it, tshark sees no MPTCP"
                ));
            }
        }
    }
    eprintln!(
        "tshark differential: {} files, {options} MPTCP options, {compared} field comparisons, {} mismatches",
        files.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(options > 100, "too few options compared: {options}");
}
