//! The report as one JSON document with stable keys, computed from [`Agg`].
//!
//! This module owns the definitions of the derived numbers (shares, CDF
//! points, thresholds) so that text, CSV and SVG all show the same values:
//! they read this document. It must not read packets.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::{json, Value};

use super::collect::Agg;

/// Version of the JSON layout (bumped when a key changes meaning).
pub const SCHEMA: u32 = 1;

/// `a / b`, or `null` when `b` is 0.
pub fn share(a: u64, b: u64) -> Value {
    if b == 0 {
        Value::Null
    } else {
        json!(a as f64 / b as f64)
    }
}

/// Empirical CDF points `[x, F(x)]`, one per distinct value.
pub fn cdf(values: &[f64]) -> Vec<[f64; 2]> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mut out: Vec<[f64; 2]> = Vec::new();
    for (i, x) in v.iter().enumerate() {
        let y = (i + 1) as f64 / n;
        match out.last_mut() {
            Some(last) if last[0] == *x => last[1] = y,
            _ => out.push([*x, y]),
        }
    }
    out
}

fn count_where(v: &[f64], f: impl Fn(f64) -> bool) -> u64 {
    v.iter().filter(|x| f(**x)).count() as u64
}

fn median(v: &[f64]) -> Value {
    if v.is_empty() {
        return Value::Null;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    json!(s[(s.len() - 1) / 2])
}

fn max(v: &[f64]) -> Value {
    v.iter()
        .copied()
        .reduce(f64::max)
        .map_or(Value::Null, |m| json!(m))
}

fn split(total: [u64; 2]) -> Value {
    json!({"total": total[0] + total[1], "ipv4": total[0], "ipv6": total[1]})
}

/// `2014-11-17T08:00:00.123456Z` for a capture time.
pub fn utc(ts: f64) -> String {
    let secs = ts.floor() as i64;
    let micros = ((ts - secs as f64) * 1e6).round().min(999_999.0) as u32;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn prefixes(clients: &BTreeSet<IpAddr>) -> (u64, u64, usize, usize) {
    let mut v4 = BTreeSet::new();
    let mut v6 = BTreeSet::new();
    for ip in clients {
        match ip {
            IpAddr::V4(a) => {
                let o = a.octets();
                v4.insert([o[0], o[1], o[2]]);
            }
            IpAddr::V6(a) => {
                let s = a.segments();
                v6.insert([s[0], s[1], s[2]]);
            }
        }
    }
    let n4 = clients.iter().filter(|i| i.is_ipv4()).count() as u64;
    (n4, clients.len() as u64 - n4, v4.len(), v6.len())
}

/// The whole report.
pub fn build(a: &Agg) -> Value {
    // Every verdict, zero or not, in a fixed order.
    let verdicts: serde_json::Map<String, Value> = [
        "mptcp",
        "mirrored",
        "stripped",
        "fallback_after_fail",
        "plain_tcp",
    ]
    .iter()
    .map(|k| {
        (
            k.to_string(),
            json!(a.verdicts.get(k).copied().unwrap_or(0)),
        )
    })
    .collect();
    let conns = a.conns;
    let pkts_mp = a.mptcp_pkts[0] + a.mptcp_pkts[1];
    let ports: Vec<Value> = {
        let mut p: Vec<(u16, u64, u64)> = a
            .port_conns
            .iter()
            .map(|(port, c)| (*port, a.port_pkts.get(port).copied().unwrap_or(0), *c))
            .collect();
        p.sort_by(|x, y| y.1.cmp(&x.1).then(y.2.cmp(&x.2)).then(x.0.cmp(&y.0)));
        p.into_iter()
            .map(|(port, pk, c)| {
                json!({
                    "port": port,
                    "packets": pk,
                    "packet_share": share(pk, pkts_mp),
                    "connections": c,
                    "connection_share": share(c, conns),
                })
            })
            .collect()
    };
    let (c4, c6, p24, p48) = prefixes(&a.clients);
    let period = match (a.first_ts, a.last_ts) {
        (Some(f), Some(l)) => json!({
            "first": f, "last": l, "first_utc": utc(f), "last_utc": utc(l), "seconds": l - f,
        }),
        _ => Value::Null,
    };

    let distinct_adv: u64 = a.addr_classes.values().sum();
    // Shares within the sender's addresses of that IP version.
    let per_version = |sender: &str, v: u8| -> u64 {
        a.addr_classes
            .iter()
            .filter(|((s, iv, _), _)| *s == sender && *iv == v)
            .map(|(_, n)| n)
            .sum()
    };
    let classes: Vec<Value> = a
        .addr_classes
        .iter()
        .map(|((sender, v, class), n)| {
            json!({
                "sender": sender,
                "ip_version": v,
                "class": class,
                "count": n,
                "share_of_version": share(*n, per_version(sender, *v)),
            })
        })
        .collect();

    let jd = &a.join_delays;
    let rs = &a.rtt_spreads;
    let hist = |h: &std::collections::BTreeMap<u64, u64>| -> Vec<Value> {
        h.iter()
            .map(|(k, v)| json!({"subflows": k, "connections": v, "share": share(*v, conns)}))
            .collect()
    };
    let attempted_total: u64 = a.attempted_hist.iter().map(|(k, v)| k * v).sum();
    let established_total: u64 = a.established_hist.iter().map(|(k, v)| k * v).sum();
    let bytes = |v: &[u64]| -> Value {
        let f: Vec<f64> = v.iter().map(|x| *x as f64).collect();
        json!({
            "count": f.len(),
            "total": v.iter().sum::<u64>(),
            "median": median(&f),
            "max": max(&f),
            "cdf": cdf(&f),
        })
    };
    let mp_fail_total: u64 = a.mp_fail.values().sum();
    let reinj = |v: &[f64]| -> Value {
        let n = v.len() as u64;
        json!({
            "count": n,
            "none": count_where(v, |x| x == 0.0),
            "none_share": share(count_where(v, |x| x == 0.0), n),
            "under_2pct": count_where(v, |x| x < 0.02),
            "under_2pct_share": share(count_where(v, |x| x < 0.02), n),
            "max": max(v),
            "cdf": cdf(v),
        })
    };
    let ends = |k: &str| a.ends.get(k).copied().unwrap_or(0);
    let fi = &a.initial_fraction;
    let s = &a.stats;

    json!({
        "schema": SCHEMA,
        "files": a.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "errors": a.errors,
        "warnings": a.warnings,
        "table1": {
            "collection_period": period,
            "frames": a.frames,
            "frames_unsupported_link": a.unsupported_link,
            "all_tcp": {"packets": split(a.tcp_pkts), "bytes": split(a.tcp_bytes)},
            "mptcp": {"packets": split(a.mptcp_pkts), "bytes": split(a.mptcp_bytes)},
            "mptcp_connections": conns,
            "server_ports": ports,
            "clients": {
                "addresses": c4 + c6,
                "ipv4": c4,
                "ipv6": c6,
                "ipv4_prefixes_24": p24,
                "ipv6_prefixes_48": p48,
            },
        },
        "addresses": {
            "connections": conns,
            "announcing_any": a.announcing_any,
            "announcing_any_share": share(a.announcing_any, conns),
            "announcing_client": a.announcing_client,
            "announcing_server": a.announcing_server,
            "add_addr_options": a.add_addr_options,
            "distinct_advertised": distinct_adv,
            "classes": classes,
            "with_port": a.add_addr_with_port,
            "max_per_connection": a.max_addrs.0,
            "max_connection_id": a.max_addrs.1,
        },
        "subflow_setup": {
            "connections_with_join": a.conns_with_join,
            "join_delay": {
                "count": jd.len(),
                "under_100ms": count_where(jd, |x| x < 0.1),
                "under_100ms_share": share(count_where(jd, |x| x < 0.1), jd.len() as u64),
                "under_1s": count_where(jd, |x| x < 1.0),
                "under_1s_share": share(count_where(jd, |x| x < 1.0), jd.len() as u64),
                "max_s": max(jd),
                "cdf": cdf(jd),
            },
            "same_address": {
                "any": a.same_addr_any,
                "all": a.same_addr_all,
                "all_share": share(a.same_addr_all, a.conns_with_join),
            },
            "backup": {"subflows": a.backup_subflows, "connections": a.backup_conns},
            "mp_prio": {"connections": a.mp_prio_conns, "options": a.mp_prio_options},
            "rtt_spread": {
                "rtt": "handshake",
                "count": rs.len(),
                "zero": count_where(rs, |x| x == 0.0),
                "zero_share": share(count_where(rs, |x| x == 0.0), rs.len() as u64),
                "le_10ms": count_where(rs, |x| x <= 10.0),
                "le_10ms_share": share(count_where(rs, |x| x <= 10.0), rs.len() as u64),
                "gt_50ms": count_where(rs, |x| x > 50.0),
                "gt_50ms_share": share(count_where(rs, |x| x > 50.0), rs.len() as u64),
                "max_ms": max(rs),
                "cdf": cdf(rs),
            },
        },
        "subflows": {
            "connections": conns,
            "attempted_total": attempted_total,
            "established_total": established_total,
            "attempted": hist(&a.attempted_hist),
            "established": hist(&a.established_hist),
            "bytes_per_connection": bytes(&a.conn_bytes),
            "bytes_per_subflow": bytes(&a.subflow_bytes),
        },
        "middleboxes": {
            "mp_fail": {
                "options": mp_fail_total,
                "connections": a.mp_fail_conns,
                "by_port": a.mp_fail.iter().map(|((port, v), n)| json!({
                    "port": port, "ip_version": v, "count": n,
                })).collect::<Vec<_>>(),
            },
            "dss_checksum": {
                "negotiated": a.checksum_on,
                "opted_out": a.checksum_off,
                "opted_out_share": share(a.checksum_off, conns),
                "client_syns": a.client_syns,
                "client_opted_out": a.client_opted_out,
                "client_opted_out_share": share(a.client_opted_out, a.client_syns),
            },
            "fallback": {
                "connections": a.fallback_conns,
                "events": a.fallback_events,
            },
            "dss_validation": {
                "valid": a.dss.valid,
                "invalid": a.dss.invalid,
                "unverifiable": a.dss.unverifiable,
                "not_negotiated": a.dss.not_negotiated,
                // Of the mappings that carried a checksum, the share whose
                // checksum could be checked (valid or invalid).
                "verified_share": share(
                    a.dss.valid + a.dss.invalid,
                    a.dss.valid + a.dss.invalid + a.dss.unverifiable,
                ),
                "invalid_with_valid_tcp_checksum": a.dss.invalid_tcp_verified,
                "unverifiable_reasons": a.dss.reasons,
                // Every outcome, 0 if none (stable keys).
                "mp_fail_match": {
                    "flagged": a.mp_fail_match.get("flagged").copied().unwrap_or(0),
                    "not_flagged": a.mp_fail_match.get("not_flagged").copied().unwrap_or(0),
                    "echo": a.mp_fail_match.get("echo").copied().unwrap_or(0),
                },
            },
            "verdicts": verdicts,
        },
        "termination": {
            "connections": conns,
            "data_fin": ends("data_fin"),
            "data_fin_share": share(ends("data_fin"), conns),
            "fastclose": ends("fastclose"),
            "fastclose_share": share(ends("fastclose"), conns),
            "rst_only": ends("rst_only"),
            "rst_only_share": share(ends("rst_only"), conns),
            "fin_only": ends("fin_only"),
            "fin_only_share": share(ends("fin_only"), conns),
            "open": ends("open"),
            "open_share": share(ends("open"), conns),
            "evicted": ends("evicted"),
        },
        "data": {
            "initial_subflow_fraction": {
                "count": fi.len(),
                "under_half": count_where(fi, |x| x < 0.5),
                "under_half_share": share(count_where(fi, |x| x < 0.5), fi.len() as u64),
                "over_99pct": count_where(fi, |x| x > 0.99),
                "cdf": cdf(fi),
            },
            "reinjected_c2s": reinj(&a.reinjected_c2s),
            "reinjected_s2c": reinj(&a.reinjected_s2c),
        },
        "dissector": {
            "packets": s.packets,
            "tcp": s.tcp,
            "mptcp_segments": s.mptcp,
            "untracked": s.untracked,
            "malformed": s.malformed,
            "option_errors": s.option_errors,
            "subflows": s.subflows,
            "connections": s.connections,
            "subflows_evicted": s.subflows_evicted,
            "subflows_reused": s.subflows_reused,
            "connections_evicted": s.connections_evicted,
            "table_full": s.table_full,
            "join_unknown_token": s.join_unknown_token,
            "join_rejected": s.join_rejected,
            "events_dropped": s.events_dropped,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_merges_ties() {
        assert_eq!(
            cdf(&[2.0, 1.0, 2.0, 3.0]),
            vec![[1.0, 0.25], [2.0, 0.75], [3.0, 1.0]]
        );
        assert!(cdf(&[]).is_empty());
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0.0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(utc(1_416_182_400.5), "2014-11-17T00:00:00.500000Z");
        assert_eq!(utc(951_782_400.0), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn shares_of_nothing_are_null() {
        assert_eq!(share(1, 0), Value::Null);
        assert_eq!(share(1, 4), json!(0.25));
    }
}
