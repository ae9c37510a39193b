//! The report as readable text tables (the default output).
//!
//! This module owns layout and wording only; every number is read from the
//! JSON document of [`super::model::build`].

use std::fmt::Write as _;

use serde_json::Value;

/// Server ports listed in the text (by packets); JSON and CSV have all.
const TOP_PORTS: usize = 10;

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// `12.5%`, or `–` for a share of nothing.
fn pct(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "–".into(), |f| format!("{:.1}%", f * 100.0))
}

/// Human bytes: `1.23 MiB`.
fn bytes(n: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut f = n as f64;
    let mut i = 0;
    while f >= 1024.0 && i < U.len() - 1 {
        f /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{f:.2} {}", U[i])
    }
}

fn num(v: &Value, prec: usize) -> String {
    v.as_f64()
        .map_or_else(|| "–".into(), |f| format!("{f:.prec$}"))
}

fn heading(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}\n{}", "─".repeat(title.chars().count()));
}

/// Renders `r` (from [`super::model::build`]).
pub fn render(r: &Value) -> String {
    let mut o = String::new();
    let t = &r["table1"];
    let _ = writeln!(
        o,
        "mpdissect report — the analyses of Hesmans et al., \"A First Look at Real \
         Multipath TCP Traffic\" (TMA 2015)"
    );
    for f in r["files"].as_array().into_iter().flatten() {
        let _ = writeln!(o, "trace: {}", f.as_str().unwrap_or(""));
    }
    for e in r["errors"].as_array().into_iter().flatten() {
        let _ = writeln!(
            o,
            "INCOMPLETE: {} (the report covers the packets before it)",
            e.as_str().unwrap_or("")
        );
    }
    for w in r["warnings"].as_array().into_iter().flatten() {
        let _ = writeln!(o, "warning: {}", w.as_str().unwrap_or(""));
    }

    heading(&mut o, "Table 1 — dataset");
    let p = &t["collection_period"];
    if p.is_null() {
        let _ = writeln!(o, "collection period     (no packets)");
    } else {
        let _ = writeln!(
            o,
            "collection period     {} – {} ({} s)",
            p["first_utc"].as_str().unwrap_or(""),
            p["last_utc"].as_str().unwrap_or(""),
            num(&p["seconds"], 3)
        );
    }
    let _ = write!(o, "frames read           {}", u(&t["frames"]));
    let skipped = u(&t["frames_unsupported_link"]);
    if skipped > 0 {
        let _ = write!(o, " ({skipped} of an unsupported link type, skipped)");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "\n{:<22}{:>12}{:>12}{:>12}", "", "total", "IPv4", "IPv6");
    for (label, k, what) in [
        ("All TCP packets", "all_tcp", "packets"),
        ("All TCP bytes", "all_tcp", "bytes"),
        ("MPTCP packets", "mptcp", "packets"),
        ("MPTCP bytes", "mptcp", "bytes"),
    ] {
        let v = &t[k][what];
        let f = |x: &Value| {
            if what == "bytes" {
                bytes(u(x))
            } else {
                u(x).to_string()
            }
        };
        let _ = writeln!(
            o,
            "{label:<22}{:>12}{:>12}{:>12}",
            f(&v["total"]),
            f(&v["ipv4"]),
            f(&v["ipv6"])
        );
    }
    let _ = writeln!(
        o,
        "(bytes: IP packets as on the wire, IP and TCP headers included)"
    );
    let _ = writeln!(o, "\nMPTCP connections     {}", u(&t["mptcp_connections"]));
    let _ = writeln!(
        o,
        "\n{:<12}{:>12}{:>10}{:>14}{:>10}",
        "server port", "packets", "share", "connections", "share"
    );
    let ports = t["server_ports"].as_array().cloned().unwrap_or_default();
    for row in ports.iter().take(TOP_PORTS) {
        let _ = writeln!(
            o,
            "{:<12}{:>12}{:>10}{:>14}{:>10}",
            u(&row["port"]),
            u(&row["packets"]),
            pct(&row["packet_share"]),
            u(&row["connections"]),
            pct(&row["connection_share"])
        );
    }
    if ports.len() > TOP_PORTS {
        let _ = writeln!(
            o,
            "… {} more ports (all of them in --json and --csv)",
            ports.len() - TOP_PORTS
        );
    }
    let c = &t["clients"];
    let _ = writeln!(
        o,
        "\nclient addresses      {} ({} IPv4 in {} /24 prefixes, {} IPv6 in {} /48 prefixes)",
        u(&c["addresses"]),
        u(&c["ipv4"]),
        u(&c["ipv4_prefixes_24"]),
        u(&c["ipv6"]),
        u(&c["ipv6_prefixes_48"])
    );

    let a = &r["addresses"];
    heading(&mut o, "§3.1 — advertised addresses (ADD_ADDR)");
    let _ = writeln!(
        o,
        "connections announcing ≥ 1 address   {} of {} ({}); by the client {}, by the server {}",
        u(&a["announcing_any"]),
        u(&a["connections"]),
        pct(&a["announcing_any_share"]),
        u(&a["announcing_client"]),
        u(&a["announcing_server"])
    );
    let _ = writeln!(
        o,
        "ADD_ADDR options {} (retransmissions included); distinct addresses {} \
         (per connection and sender)",
        u(&a["add_addr_options"]),
        u(&a["distinct_advertised"])
    );
    let classes = a["classes"].as_array().cloned().unwrap_or_default();
    if !classes.is_empty() {
        let _ = writeln!(
            o,
            "\n{:<8}{:<6}{:<18}{:>8}{:>16}",
            "sender", "IP", "class", "count", "share of IPvX"
        );
        for row in &classes {
            let _ = writeln!(
                o,
                "{:<8}IPv{:<3}{:<18}{:>8}{:>16}",
                row["sender"].as_str().unwrap_or(""),
                u(&row["ip_version"]),
                row["class"].as_str().unwrap_or(""),
                u(&row["count"]),
                pct(&row["share_of_version"])
            );
        }
        let _ = writeln!(
            o,
            "  (Table 2 is the client rows; shares are of the sender's addresses of that IP version)"
        );
    }
    let _ = writeln!(
        o,
        "ADD_ADDR with a port  {}\nmost addresses announced by one connection  {}{}",
        u(&a["with_port"]),
        u(&a["max_per_connection"]),
        a["max_connection_id"]
            .as_u64()
            .map_or(String::new(), |id| format!(" (connection {id})"))
    );

    let s = &r["subflow_setup"];
    heading(&mut o, "§3.2 — subflow establishment");
    let jd = &s["join_delay"];
    let _ = writeln!(
        o,
        "connections with an MP_JOIN          {}",
        u(&s["connections_with_join"])
    );
    let _ = writeln!(
        o,
        "initial SYN → first MP_JOIN SYN (Fig. 1, {} connections): < 100 ms {} ({}), \
         < 1 s {} ({}), max {} s",
        u(&jd["count"]),
        u(&jd["under_100ms"]),
        pct(&jd["under_100ms_share"]),
        u(&jd["under_1s"]),
        pct(&jd["under_1s_share"]),
        num(&jd["max_s"], 6)
    );
    let sa = &s["same_address"];
    let _ = writeln!(
        o,
        "joins between the initial subflow's two addresses: all joins {} ({} of connections \
         with a join; n-subflow path manager), some join {}",
        u(&sa["all"]),
        pct(&sa["all_share"]),
        u(&sa["any"])
    );
    let _ = writeln!(
        o,
        "backup subflows {} in {} connections; MP_PRIO {} options in {} connections",
        u(&s["backup"]["subflows"]),
        u(&s["backup"]["connections"]),
        u(&s["mp_prio"]["options"]),
        u(&s["mp_prio"]["connections"])
    );
    let rs = &s["rtt_spread"];
    let _ = writeln!(
        o,
        "RTT spread, max − min subflow RTT (Fig. 2, {} connections with ≥ 2 RTTs): \
         0 ms {} ({}), ≤ 10 ms {} ({}), > 50 ms {} ({}), max {} ms",
        u(&rs["count"]),
        u(&rs["zero"]),
        pct(&rs["zero_share"]),
        u(&rs["le_10ms"]),
        pct(&rs["le_10ms_share"]),
        u(&rs["gt_50ms"]),
        pct(&rs["gt_50ms_share"]),
        num(&rs["max_ms"], 3)
    );
    let _ = writeln!(
        o,
        "  (per-subflow RTT is the handshake RTT, SYN → third ACK at the capture point; \
         the paper used tcptrace's average RTT — our TCP-timestamp samples, per direction, \
         are in `mpdissect conns`)"
    );

    let f = &r["subflows"];
    heading(&mut o, "§3.3 — subflows per connection and bytes");
    let _ = writeln!(
        o,
        "{} connections: {} subflows attempted, {} established",
        u(&f["connections"]),
        u(&f["attempted_total"]),
        u(&f["established_total"])
    );
    let _ = writeln!(
        o,
        "\n{:<10}{:>12}{:>10}{:>14}{:>10}  (Fig. 3)",
        "subflows", "attempted", "share", "established", "share"
    );
    let rows = |k: &str| -> Vec<(u64, Value, Value)> {
        f[k].as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    u(&r["subflows"]),
                    r["connections"].clone(),
                    r["share"].clone(),
                )
            })
            .collect()
    };
    let (at, es) = (rows("attempted"), rows("established"));
    let mut ks: Vec<u64> = at.iter().chain(es.iter()).map(|r| r.0).collect();
    ks.sort_unstable();
    ks.dedup();
    for k in ks {
        let get = |v: &[(u64, Value, Value)]| {
            v.iter()
                .find(|r| r.0 == k)
                .map_or((0, Value::Null), |r| (u(&r.1), r.2.clone()))
        };
        let (an, ash) = get(&at);
        let (en, esh) = get(&es);
        let _ = writeln!(
            o,
            "{k:<10}{an:>12}{:>10}{en:>14}{:>10}",
            pct(&ash),
            pct(&esh)
        );
    }
    for (label, k) in [
        ("payload per connection", "bytes_per_connection"),
        ("payload per subflow   ", "bytes_per_subflow"),
    ] {
        let b = &f[k];
        let _ = writeln!(
            o,
            "{label} (Fig. 4): n {}, median {}, max {}, total {}",
            u(&b["count"]),
            bytes(b["median"].as_f64().unwrap_or(0.0) as u64),
            bytes(b["max"].as_f64().unwrap_or(0.0) as u64),
            bytes(u(&b["total"]))
        );
    }

    let m = &r["middleboxes"];
    heading(&mut o, "§3.4 — middleboxes");
    let mf = &m["mp_fail"];
    let _ = writeln!(
        o,
        "MP_FAIL options {} in {} connections",
        u(&mf["options"]),
        u(&mf["connections"])
    );
    for row in mf["by_port"].as_array().into_iter().flatten() {
        let _ = writeln!(
            o,
            "  server port {:<6} IPv{}  {}",
            u(&row["port"]),
            u(&row["ip_version"]),
            u(&row["count"])
        );
    }
    let dc = &m["dss_checksum"];
    let _ = writeln!(
        o,
        "DSS checksum negotiated {}, opted out by both sides {} ({}); clients not asking \
         for it {} of {} SYNs ({})",
        u(&dc["negotiated"]),
        u(&dc["opted_out"]),
        pct(&dc["opted_out_share"]),
        u(&dc["client_opted_out"]),
        u(&dc["client_syns"]),
        pct(&dc["client_opted_out_share"])
    );
    let fb = &m["fallback"];
    let ev: Vec<String> = fb["events"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k} {}", u(v)))
        .collect();
    let _ = writeln!(
        o,
        "fallback to TCP: {} connections; events: {}",
        u(&fb["connections"]),
        if ev.is_empty() {
            "none".into()
        } else {
            ev.join(", ")
        }
    );
    let dv = &m["dss_validation"];
    let _ = writeln!(
        o,
        "DSS mappings: {} valid, {} invalid ({} of them with a valid TCP checksum), \
         {} unverifiable, {} without checksum (not negotiated); verified share {}",
        u(&dv["valid"]),
        u(&dv["invalid"]),
        u(&dv["invalid_with_valid_tcp_checksum"]),
        u(&dv["unverifiable"]),
        u(&dv["not_negotiated"]),
        dv["verified_share"]
            .as_f64()
            .map_or("-".into(), |x| format!("{:.1} %", 100.0 * x)),
    );
    let mf: Vec<String> = dv["mp_fail_match"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| v.as_u64() != Some(0))
        .map(|(k, v)| format!("{k} {}", u(v)))
        .collect();
    if !mf.is_empty() {
        let _ = writeln!(o, "MP_FAIL vs our validator: {}", mf.join(", "));
    }
    let vd: Vec<String> = m["verdicts"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k} {}", u(v)))
        .collect();
    let _ = writeln!(o, "middlebox verdicts: {}", vd.join(", "));

    let e = &r["termination"];
    heading(&mut o, "§3.5 — termination");
    for (label, k) in [
        ("DATA_FIN both ways", "data_fin"),
        ("MP_FASTCLOSE", "fastclose"),
        ("RST only", "rst_only"),
        ("TCP FINs only", "fin_only"),
        ("still open", "open"),
    ] {
        let _ = writeln!(
            o,
            "{label:<20}{:>8}{:>10}",
            u(&e[k]),
            pct(&e[&format!("{k}_share")])
        );
    }
    if u(&e["evicted"]) > 0 {
        let _ = writeln!(
            o,
            "{:<20}{:>8}  (removed from a full table; raise --capacity)",
            "evicted",
            u(&e["evicted"])
        );
    }
    let _ = writeln!(
        o,
        "  (TCP FINs only: every subflow ended, some by FINs, without a DATA_FIN each way)"
    );

    let d = &r["data"];
    heading(&mut o, "§3.6 — data distribution");
    let fi = &d["initial_subflow_fraction"];
    let _ = writeln!(
        o,
        "fraction of payload on the initial subflow (Fig. 5, {} connections with ≥ 2 \
         established subflows): < 50% {} ({}), > 99% {}",
        u(&fi["count"]),
        u(&fi["under_half"]),
        pct(&fi["under_half_share"]),
        u(&fi["over_99pct"])
    );
    for (label, k) in [
        ("client → server", "reinjected_c2s"),
        ("server → client", "reinjected_s2c"),
    ] {
        let x = &d[k];
        let _ = writeln!(
            o,
            "reinjected fraction {label} (Fig. 6, {} connections): none {} ({}), \
             < 2% {} ({}), max {}",
            u(&x["count"]),
            u(&x["none"]),
            pct(&x["none_share"]),
            u(&x["under_2pct"]),
            pct(&x["under_2pct_share"]),
            pct(&x["max"])
        );
    }
    let _ = writeln!(
        o,
        "  (reinjection is the core's bounded estimate: an upper bound, see core/src/dissector.rs)"
    );

    let s = &r["dissector"];
    heading(&mut o, "dissector");
    let _ = writeln!(
        o,
        "{} packets, {} TCP, {} with MPTCP options, {} untracked; {} subflows, {} connections; \
         evicted {} subflows / {} connections; {} joins with an unknown token",
        u(&s["packets"]),
        u(&s["tcp"]),
        u(&s["mptcp_segments"]),
        u(&s["untracked"]),
        u(&s["subflows"]),
        u(&s["connections"]),
        u(&s["subflows_evicted"]),
        u(&s["connections_evicted"]),
        u(&s["join_unknown_token"])
    );
    if u(&s["subflows_reused"]) > 0 {
        let _ = writeln!(
            o,
            "{} ended subflows removed by a new SYN on their ports (port reuse)",
            u(&s["subflows_reused"])
        );
    }
    o
}
