//! `mpdissect report --json` checked against counts computed independently
//! from tshark's own dissection (`-T fields`, with its MPTCP analysis on),
//! never against the tool's own output.
//!
//! For every fixture listed in [`FIXTURES`], tshark gives one row per TCP
//! frame; the test groups frames by `tcp.stream` and `mptcp.stream` and
//! recomputes the report's numbers with the paper's definitions:
//!
//! * an **MPTCP connection** is an `mptcp.stream` with an MP_CAPABLE SYN/ACK
//!   or a non-SYN MP_CAPABLE (third ACK) — a SYN answered without
//!   MP_CAPABLE is a fallback, not a connection; its packets are every
//!   frame of every `tcp.stream` tshark puts in it (tshark does not label
//!   the initial SYN with `mptcp.stream`, so a stream's label comes from any
//!   of its frames);
//! * bytes are `ip.len` / `ipv6.plen + 40` (on-wire IP length);
//! * the **client** of a subflow is the sender of its SYN; the **server
//!   port** of a connection is the destination port of its MP_CAPABLE SYN;
//! * a subflow is **attempted** if its SYN was captured and **established**
//!   if its SYN/ACK and then a non-SYN segment from the client were;
//! * the **join delay** is the first MP_JOIN SYN's time minus the initial
//!   SYN's; the **RTT spread** uses tshark's `tcp.analysis.initial_rtt`
//!   (SYN → ACK of the SYN/ACK, the same handshake RTT as ours);
//! * payload bytes are `tcp.len` sums (retransmissions included);
//! * ADD_ADDR: distinct `(sender, id, address, port)` per connection, echo
//!   bit 0 (v1) or no echo field (v0); classes by the hand table
//!   [`CLASS`];
//! * DATA_FIN both ways: a DSS with the F flag from each side; RST only:
//!   neither that nor MP_FASTCLOSE, and a RST on every subflow; checksum:
//!   the C flag (`checksumreq.flags`) on a SYN or SYN/ACK MP_CAPABLE.
//!
//! tshark is required unless `MPD_NO_TSHARK=1`.

mod common;
use common::{repo_root, tshark_available};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Fixtures checked (relative to the repository root). The crafted
/// mirroring capture is left out: its verdicts belong to core issue 4.
const FIXTURES: &[&str] = &[
    "fixtures/linux/merged-report.pcapng",
    "fixtures/linux/v1-addaddr-v4v6.pcap",
    "fixtures/linux/v1-addaddr-v4v6-snap96.pcap",
    "fixtures/linux/v1-csum-on.pcap",
    "fixtures/linux/v1-csum-off.pcap",
    "fixtures/linux/v1-csum-off-gso.pcap",
    "fixtures/linux/v1-fastclose.pcap",
    "fixtures/linux/v1-mpfail.pcap",
    "fixtures/linux/v1-ipv6.pcap",
    "fixtures/linux/v1-stripped.pcap",
    "fixtures/linux/v1-mixed.pcap",
    "fixtures/linux/v1-join-refused.pcap",
    "fixtures/linux/v1-fallback-fin.pcap",
    "fixtures/public/tcpdump_mptcp-v0.pcap",
    "fixtures/public/tcpdump_mptcp-v1.pcap",
    "fixtures/public/tcpdump_mptcp-fclose.pcap",
    "fixtures/public/tcpdump_mptcp-aa-v1.pcap",
    "fixtures/public/ptcpdump_mptcp.pcap",
    "fixtures/public/ptcpdump_tfo.pcap",
    "fixtures/public/merged-sll2-eth-raw.pcapng",
    "fixtures/crafted/v0-handshake.pcap",
    "fixtures/crafted/v1-split-mapping.pcap",
    "fixtures/crafted/v1-join-paths.pcap",
];

/// Hand classification of every address advertised in the fixtures
/// (RFC 1918, RFC 4193, RFC 5737).
const CLASS: &[(&str, &str)] = &[
    ("10.0.2.2", "private"),
    ("10.1.2.2", "private"),
    ("192.168.136.225", "private"),
    ("fd00:2::2", "unique_local"),
    ("203.0.113.2", "documentation"),
];

const FIELDS: &[&str] = &[
    "frame.time_epoch",
    "ip.len",
    "ipv6.plen",
    "ip.src",
    "ipv6.src",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.stream",
    "mptcp.stream",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.reset",
    "tcp.len",
    "tcp.options.mptcp.subtype",
    "tcp.options.mptcp.echo",
    "tcp.options.mptcp.ipv4",
    "tcp.options.mptcp.ipv6",
    "tcp.options.mptcp.port",
    "tcp.options.mptcp.addrid",
    "tcp.options.mptcp.checksumreq.flags",
    "tcp.options.mptcp.datafin.flag",
    "tcp.analysis.initial_rtt",
    "tcp.options.mptcp.recvkey",
    "frame.cap_len",
    "frame.len",
    "tcp.flags.fin",
    "tcp.options.mptcp.backup.flag",
];

#[derive(Debug, Clone, Default)]
struct Row {
    ts: f64,
    v6: bool,
    ip_len: u64,
    src: String,
    sport: u16,
    dport: u16,
    stream: u64,
    mstream: Option<u64>,
    syn: bool,
    ack: bool,
    rst: bool,
    fin: bool,
    tcp_len: u64,
    subtypes: Vec<u8>,
    echo: Vec<String>,
    addr: Vec<String>,
    port: Option<String>,
    addr_id: Vec<String>,
    csum: bool,
    data_fin: bool,
    initial_rtt: Option<f64>,
    recvkey: bool,
    /// The snap length cut the frame.
    cut: bool,
    /// An MP_JOIN or MP_PRIO backup flag set.
    backup: bool,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn flag(s: &str) -> bool {
    list(s).iter().any(|x| x == "1" || x == "True")
}

fn tshark_rows(path: &Path) -> Vec<Row> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args([
            "-o",
            "mptcp.analyze_mptcp:TRUE",
            "-Y",
            "tcp",
            "-T",
            "fields",
        ])
        .args([
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
            "-E",
            "separator=\t",
        ]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(out.status.success(), "tshark failed on {}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let g = |i: usize| c.get(i).copied().unwrap_or("");
            let first = |i: usize| list(g(i)).into_iter().next();
            let v6 = first(1).is_none();
            Row {
                ts: g(0).parse().unwrap(),
                v6,
                ip_len: if v6 {
                    first(2).map_or(0, |p| p.parse::<u64>().unwrap() + 40)
                } else {
                    first(1).unwrap().parse().unwrap()
                },
                src: first(if v6 { 4 } else { 3 }).unwrap_or_default(),
                sport: g(5).parse().unwrap(),
                dport: g(6).parse().unwrap(),
                stream: g(7).parse().unwrap(),
                mstream: first(8).map(|s| s.parse().unwrap()),
                syn: flag(g(9)),
                ack: flag(g(10)),
                rst: flag(g(11)),
                fin: flag(g(25)),
                tcp_len: g(12).parse().unwrap_or(0),
                subtypes: list(g(13)).iter().map(|s| s.parse().unwrap()).collect(),
                echo: list(g(14)),
                addr: [list(g(15)), list(g(16))].concat(),
                port: first(17),
                addr_id: list(g(18)),
                csum: flag(g(19)),
                data_fin: flag(g(20)),
                initial_rtt: first(21).map(|s| s.parse().unwrap()),
                recvkey: first(22).is_some(),
                cut: g(23) != g(24),
                backup: flag(g(26)),
            }
        })
        .collect()
}

fn report(path: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_mpdissect"))
        .args(["report", "--json"])
        .arg(path)
        .output()
        .expect("run mpdissect");
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[derive(Default)]
struct Sub {
    rows: Vec<Row>,
    mstream: Option<u64>,
}

impl Sub {
    fn syn(&self) -> Option<&Row> {
        self.rows.iter().find(|r| r.syn && !r.ack)
    }
    /// The SYN's sender (address and port: loopback captures have both
    /// ends on one address).
    fn client(&self) -> Option<(&str, u16)> {
        self.syn().map(|r| (r.src.as_str(), r.sport))
    }
    fn sent_by_client(&self, r: &Row) -> bool {
        self.client() == Some((r.src.as_str(), r.sport))
    }
    fn established(&self) -> bool {
        let Some(sa) = self.rows.iter().position(|r| r.syn && r.ack) else {
            return false;
        };
        // After the SYN/ACK, before any RST (from either end): the client's
        // first segment; for a join (its SYN carries MP_JOIN, subtype 1),
        // after that third ACK also the server's next segment, or client
        // data (RFC 8684 §3.2: the listener acknowledges the third ACK).
        let join = self.syn().is_some_and(|r| r.subtypes.contains(&1));
        let mut third_ack = false;
        for r in &self.rows[sa..] {
            if r.rst {
                return false;
            }
            if r.syn {
                continue;
            }
            if self.sent_by_client(r) {
                if !join || r.tcp_len > 0 {
                    return true;
                }
                third_ack = true;
            } else if third_ack {
                return true;
            }
        }
        false
    }
    fn bytes(&self) -> u64 {
        self.rows.iter().map(|r| r.tcp_len).sum()
    }
}

/// The expected numbers, as `(JSON pointer, value)`.
fn expected(rows: &[Row]) -> Vec<(String, Value)> {
    let mut subs: BTreeMap<u64, Sub> = BTreeMap::new();
    for r in rows {
        let s = subs.entry(r.stream).or_default();
        s.mstream = s.mstream.or(r.mstream);
        s.rows.push(r.clone());
    }
    // mptcp.stream → its tcp.streams.
    let mut conns: BTreeMap<u64, Vec<&Sub>> = BTreeMap::new();
    for s in subs.values() {
        if let Some(m) = s.mstream {
            conns.entry(m).or_default().push(s);
        }
    }
    conns.retain(|_, ss| {
        ss.iter().any(|s| {
            s.rows
                .iter()
                .any(|r| r.subtypes.contains(&0) && (r.syn && r.ack || !r.syn && r.recvkey))
        })
    });
    let mut e: Vec<(String, Value)> = Vec::new();
    let mut put = |k: &str, v: Value| e.push((k.to_owned(), v));

    let (mut tp, mut tb, mut mp, mut mb) = ([0u64; 2], [0u64; 2], [0u64; 2], [0u64; 2]);
    for r in rows {
        tp[usize::from(r.v6)] += 1;
        tb[usize::from(r.v6)] += r.ip_len;
    }
    for ss in conns.values() {
        for s in ss {
            for r in &s.rows {
                mp[usize::from(r.v6)] += 1;
                mb[usize::from(r.v6)] += r.ip_len;
            }
        }
    }
    for (k, a) in [
        ("/table1/all_tcp/packets", tp),
        ("/table1/all_tcp/bytes", tb),
        ("/table1/mptcp/packets", mp),
        ("/table1/mptcp/bytes", mb),
    ] {
        put(&format!("{k}/ipv4"), a[0].into());
        put(&format!("{k}/ipv6"), a[1].into());
    }
    let n = conns.len() as u64;
    put("/table1/mptcp_connections", n.into());
    // Plain TCP (the report's `plain_tcp` verdict): the streams with a SYN
    // that offered no MPTCP option, whole (a SYN the snap length cut may
    // have lost its MP_JOIN).
    let plain = subs
        .values()
        .filter(|s| {
            s.rows
                .iter()
                .any(|r| r.syn && !r.ack && !r.cut && r.subtypes.is_empty())
        })
        .count() as u64;
    put("/middleboxes/verdicts/plain_tcp", plain.into());

    // Initial subflow: the stream with the MP_CAPABLE SYN.
    let initial = |ss: &[&Sub]| -> Option<usize> {
        ss.iter()
            .position(|s| s.syn().is_some_and(|r| r.subtypes.contains(&0)))
    };
    let mut ports: BTreeMap<u16, (u64, u64)> = BTreeMap::new();
    let mut clients: BTreeSet<String> = BTreeSet::new();
    for ss in conns.values() {
        let i = initial(ss).expect("initial SYN captured in every checked fixture");
        let port = ss[i].syn().unwrap().dport;
        let p = ports.entry(port).or_default();
        p.1 += 1;
        for s in ss {
            p.0 += s.rows.len() as u64;
            clients.extend(s.client().map(|c| c.0.to_owned()));
        }
    }
    put(
        "/table1/server_ports",
        ports
            .iter()
            .map(|(k, (p, c))| format!("{k}:{p}:{c}"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .into(),
    );
    let v4: Vec<&String> = clients.iter().filter(|c| !c.contains(':')).collect();
    let v6: Vec<&String> = clients.iter().filter(|c| c.contains(':')).collect();
    let p24: BTreeSet<String> = v4
        .iter()
        .map(|a| a.rsplit_once('.').unwrap().0.to_owned())
        .collect();
    let p48: BTreeSet<[u16; 3]> = v6
        .iter()
        .map(|a| {
            let s = a.parse::<std::net::Ipv6Addr>().unwrap().segments();
            [s[0], s[1], s[2]]
        })
        .collect();
    put("/table1/clients/ipv4", (v4.len() as u64).into());
    put("/table1/clients/ipv6", (v6.len() as u64).into());
    put(
        "/table1/clients/ipv4_prefixes_24",
        (p24.len() as u64).into(),
    );
    put(
        "/table1/clients/ipv6_prefixes_48",
        (p48.len() as u64).into(),
    );

    // §3.1.
    let mut announcing = 0u64;
    let mut distinct = 0u64;
    let mut with_port = 0u64;
    let mut max_addrs = 0u64;
    let mut classes: BTreeMap<String, u64> = BTreeMap::new();
    for ss in conns.values() {
        let mut set = BTreeSet::new();
        for s in ss {
            for r in s.rows.iter().filter(|r| r.subtypes.contains(&3)) {
                if r.echo.first().is_some_and(|x| x == "1" || x == "True") {
                    continue;
                }
                let sender_client = s.sent_by_client(r);
                let addr = r.addr.first().cloned().unwrap_or_default();
                set.insert((
                    sender_client,
                    r.addr_id.first().cloned(),
                    addr,
                    r.port.clone(),
                ));
            }
        }
        announcing += u64::from(!set.is_empty());
        distinct += set.len() as u64;
        max_addrs = max_addrs.max(set.len() as u64);
        for (client, _, a, p) in &set {
            with_port += u64::from(p.is_some());
            let class = CLASS
                .iter()
                .find(|(ip, _)| ip == a)
                .unwrap_or_else(|| panic!("address {a} missing from CLASS"))
                .1;
            let v = if a.contains(':') { 6 } else { 4 };
            let sender = if *client { "client" } else { "server" };
            *classes.entry(format!("{sender}:{v}:{class}")).or_default() += 1;
        }
    }
    put("/addresses/announcing_any", announcing.into());
    put("/addresses/distinct_advertised", distinct.into());
    put("/addresses/with_port", with_port.into());
    put("/addresses/max_per_connection", max_addrs.into());
    put(
        "/addresses/classes",
        classes
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .into(),
    );

    // §3.2.
    let mut delays = Vec::new();
    let mut prio = 0u64;
    let mut spreads = Vec::new();
    let (mut same_any, mut same_all) = (0u64, 0u64);
    for ss in conns.values() {
        let i = initial(ss).unwrap();
        let t0 = ss[i].syn().unwrap().ts;
        // (SYN's source, SYN/ACK's source) of a subflow: its addresses.
        let pair = |s: &Sub| {
            let synack = s.rows.iter().find(|r| r.syn && r.ack);
            (
                s.syn().map(|r| r.src.clone()),
                synack.map(|r| r.src.clone()),
            )
        };
        let joins: Vec<&Sub> = ss
            .iter()
            .copied()
            .filter(|s| s.syn().is_some_and(|r| r.subtypes.contains(&1)))
            .collect();
        let same = joins.iter().filter(|j| pair(j) == pair(ss[i])).count();
        same_any += u64::from(same > 0);
        same_all += u64::from(same > 0 && same == joins.len());
        let first_join = ss
            .iter()
            .flat_map(|s| s.rows.iter())
            .filter(|r| r.syn && !r.ack && r.subtypes.contains(&1))
            .map(|r| r.ts)
            .reduce(f64::min);
        if let Some(j) = first_join {
            delays.push(j - t0);
        }
        prio += ss
            .iter()
            .flat_map(|s| s.rows.iter())
            .map(|r| r.subtypes.iter().filter(|t| **t == 5).count() as u64)
            .sum::<u64>();
        let rtts: Vec<f64> = ss
            .iter()
            .filter(|s| s.established())
            .filter_map(|s| s.rows.iter().find_map(|r| r.initial_rtt))
            .collect();
        if rtts.len() >= 2 {
            let max = rtts.iter().copied().fold(f64::MIN, f64::max);
            let min = rtts.iter().copied().fold(f64::MAX, f64::min);
            spreads.push((max - min) * 1000.0);
        }
    }
    put(
        "/subflow_setup/join_delay/count",
        (delays.len() as u64).into(),
    );
    put(
        "/subflow_setup/join_delay/under_100ms",
        (delays.iter().filter(|d| **d < 0.1).count() as u64).into(),
    );
    put(
        "/subflow_setup/join_delay/max_s~",
        delays.iter().copied().reduce(f64::max).into(),
    );
    put("/subflow_setup/mp_prio/options", prio.into());
    // Backup: the join's SYN asked for it, or an MP_PRIO set it on the
    // subflow, at any time.
    let (mut bk_subs, mut bk_conns) = (0u64, 0u64);
    for ss in conns.values() {
        let n = ss
            .iter()
            .filter(|s| {
                s.rows.iter().any(|r| {
                    r.backup
                        && (r.subtypes.contains(&5) || (r.syn && !r.ack && r.subtypes.contains(&1)))
                })
            })
            .count() as u64;
        bk_subs += n;
        bk_conns += u64::from(n > 0);
    }
    put("/subflow_setup/backup/subflows", bk_subs.into());
    put("/subflow_setup/backup/connections", bk_conns.into());
    put("/subflow_setup/same_address/any", same_any.into());
    put("/subflow_setup/same_address/all", same_all.into());
    put(
        "/subflow_setup/rtt_spread/count",
        (spreads.len() as u64).into(),
    );
    put(
        "/subflow_setup/rtt_spread/max_ms~",
        spreads.iter().copied().reduce(f64::max).into(),
    );

    // §3.3.
    let mut att: BTreeMap<u64, u64> = BTreeMap::new();
    let mut est: BTreeMap<u64, u64> = BTreeMap::new();
    let (mut sub_total, mut sub_max, mut conn_max) = (0u64, None::<u64>, None::<u64>);
    let mut sub_count = 0u64;
    for ss in conns.values() {
        *att.entry(ss.iter().filter(|s| s.syn().is_some()).count() as u64)
            .or_default() += 1;
        *est.entry(ss.iter().filter(|s| s.established()).count() as u64)
            .or_default() += 1;
        let total: u64 = ss.iter().map(|s| s.bytes()).sum();
        sub_total += total;
        conn_max = conn_max.max(Some(total));
        sub_max = sub_max.max(ss.iter().map(|s| s.bytes()).max());
        sub_count += ss.iter().filter(|s| s.established()).count() as u64;
    }
    let hist = |h: &BTreeMap<u64, u64>| -> Value {
        h.iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .into()
    };
    put("/subflows/attempted", hist(&att));
    put("/subflows/established", hist(&est));
    put("/subflows/bytes_per_subflow/total", sub_total.into());
    put("/subflows/bytes_per_subflow/count", sub_count.into());
    put("/subflows/bytes_per_connection/total", sub_total.into());
    put(
        "/subflows/bytes_per_subflow/max~",
        sub_max.map(|m| m as f64).into(),
    );
    put(
        "/subflows/bytes_per_connection/max~",
        conn_max.map(|m| m as f64).into(),
    );

    // §3.4.
    let mut fails: BTreeMap<String, u64> = BTreeMap::new();
    let mut csum = 0u64;
    for ss in conns.values() {
        let i = initial(ss).unwrap();
        let port = ss[i].syn().unwrap().dport;
        for r in ss.iter().flat_map(|s| s.rows.iter()) {
            for _ in r.subtypes.iter().filter(|t| **t == 6) {
                *fails
                    .entry(format!("{port}:{}", if r.v6 { 6 } else { 4 }))
                    .or_default() += 1;
            }
        }
        csum += u64::from(
            ss[i]
                .rows
                .iter()
                .any(|r| r.syn && r.subtypes.contains(&0) && r.csum),
        );
    }
    put("/middleboxes/mp_fail/by_port", hist_s(&fails));
    // The client's SYN alone: did it ask for checksums?
    let (mut syns, mut syn_off) = (0u64, 0u64);
    for ss in conns.values() {
        let i = initial(ss).unwrap();
        if let Some(r) = ss[i]
            .rows
            .iter()
            .find(|r| r.syn && !r.ack && r.subtypes.contains(&0))
        {
            syns += 1;
            syn_off += u64::from(!r.csum);
        }
    }
    put("/middleboxes/dss_checksum/client_syns", syns.into());
    put("/middleboxes/dss_checksum/client_opted_out", syn_off.into());
    put("/middleboxes/dss_checksum/negotiated", csum.into());
    put("/middleboxes/dss_checksum/opted_out", (n - csum).into());

    // §3.5: the first of MP_FASTCLOSE and DATA_FIN both ways (frame
    // times); else every subflow ended: all reset, or some closed by FIN
    // both ways (a TCP-level close only).
    let (mut df, mut fc, mut rst_only, mut fin_only) = (0u64, 0u64, 0u64, 0u64);
    for ss in conns.values() {
        // Joins are opened by the connection's client in these fixtures.
        let all = || ss.iter().flat_map(|s| s.rows.iter().map(move |r| (s, r)));
        let first = |f: &dyn Fn(&Sub, &Row) -> bool| {
            all()
                .filter(|(s, r)| f(s, r))
                .map(|(_, r)| r.ts)
                .reduce(f64::min)
        };
        let fast = first(&|_, r| r.subtypes.contains(&7));
        let from_c = first(&|s, r| r.data_fin && s.sent_by_client(r));
        let from_s = first(&|s, r| r.data_fin && !s.sent_by_client(r));
        let both_fins = from_c.zip(from_s).map(|(c, s)| c.max(s));
        match (fast, both_fins) {
            (Some(f), Some(b)) if b < f => df += 1,
            (Some(_), _) => fc += 1,
            (None, Some(_)) => df += 1,
            (None, None) => {
                // A subflow closed by FIN both ways before any RST, or
                // reset before that.
                let first_in = |s: &Sub, f: &dyn Fn(&Row) -> bool| {
                    s.rows
                        .iter()
                        .filter(|r| f(r))
                        .map(|r| r.ts)
                        .reduce(f64::min)
                };
                let closed_at = |s: &Sub| {
                    let c = first_in(s, &|r| r.fin && s.sent_by_client(r));
                    let v = first_in(s, &|r| r.fin && !s.sent_by_client(r));
                    c.zip(v).map(|(c, v)| c.max(v))
                };
                let closed = |s: &Sub| {
                    closed_at(s).is_some_and(|t| first_in(s, &|r| r.rst).is_none_or(|x| t < x))
                };
                let reset = |s: &Sub| !closed(s) && first_in(s, &|r| r.rst).is_some();
                if ss.iter().all(|s| reset(s) || closed(s)) {
                    if ss.iter().any(|s| closed(s)) {
                        fin_only += 1;
                    } else {
                        rst_only += 1;
                    }
                }
            }
        }
    }
    put("/termination/data_fin", df.into());
    put("/termination/fastclose", fc.into());
    put("/termination/rst_only", rst_only.into());
    put("/termination/fin_only", fin_only.into());

    // §3.6.
    let mut fr = Vec::new();
    for ss in conns.values() {
        let i = initial(ss).unwrap();
        let total: u64 = ss.iter().map(|s| s.bytes()).sum();
        if ss.iter().filter(|s| s.established()).count() >= 2 && total > 0 {
            fr.push(ss[i].bytes() as f64 / total as f64);
        }
    }
    put(
        "/data/initial_subflow_fraction/count",
        (fr.len() as u64).into(),
    );
    put(
        "/data/initial_subflow_fraction/under_half",
        (fr.iter().filter(|x| **x < 0.5).count() as u64).into(),
    );
    put(
        "/data/initial_subflow_fraction/over_99pct",
        (fr.iter().filter(|x| **x > 0.99).count() as u64).into(),
    );
    e
}

fn hist_s(h: &BTreeMap<String, u64>) -> Value {
    h.iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .into()
}

/// The report's value at `key`, in the shape [`expected`] uses.
fn actual(r: &Value, key: &str) -> Value {
    let k = key.trim_end_matches('~');
    match k {
        "/table1/server_ports" => r
            .pointer(k)
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .map(|p| format!("{}:{}:{}", p["port"], p["packets"], p["connections"]))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .into(),
        "/addresses/classes" => {
            let mut m: BTreeMap<String, u64> = BTreeMap::new();
            for c in r.pointer(k).and_then(Value::as_array).unwrap() {
                *m.entry(format!(
                    "{}:{}:{}",
                    c["sender"].as_str().unwrap(),
                    c["ip_version"],
                    c["class"].as_str().unwrap()
                ))
                .or_default() += c["count"].as_u64().unwrap();
            }
            hist_s(&m)
        }
        "/subflows/attempted" | "/subflows/established" => r
            .pointer(k)
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .map(|h| format!("{}:{}", h["subflows"], h["connections"]))
            .collect::<Vec<_>>()
            .into(),
        "/middleboxes/mp_fail/by_port" => {
            let mut m = BTreeMap::new();
            for c in r.pointer(k).and_then(Value::as_array).unwrap() {
                m.insert(
                    format!("{}:{}", c["port"], c["ip_version"]),
                    c["count"].as_u64().unwrap(),
                );
            }
            hist_s(&m)
        }
        _ => r.pointer(k).cloned().unwrap_or(Value::Null),
    }
}

fn agree(key: &str, want: &Value, got: &Value) -> bool {
    if key.ends_with('~') {
        // Times and ratios: tshark prints microseconds.
        match (want.as_f64(), got.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-5 * a.abs().max(1.0),
            _ => want.is_null() && got.is_null(),
        }
    } else {
        want == got
    }
}

#[test]
fn report_agrees_with_tshark_on_every_fixture() {
    if !tshark_available() {
        return;
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in FIXTURES {
        let path = repo_root().join(f);
        let rows = tshark_rows(&path);
        let r = report(&path);
        for (key, want) in expected(&rows) {
            let got = actual(&r, &key);
            checked += 1;
            if !agree(&key, &want, &got) {
                failures.push(format!("{f}: {key}: tshark {want}, report {got}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Hand counts from fixtures/README.md for the bundled capture (its parts
/// are listed there): 8 captures, the stripped one is not MPTCP.
#[test]
fn bundled_capture_hand_counts() {
    let r = report(&repo_root().join("fixtures/linux/merged-report.pcapng"));
    // 147+122+118+46+53+49+89+25 frames.
    assert_eq!(r["table1"]["frames"], 649);
    // One connection per file but v1-stripped.
    assert_eq!(r["table1"]["mptcp_connections"], 7);
    // v1-addaddr-v4v6: ADD_ADDR 10.0.2.2 and fd00:2::2 (plus echoes).
    assert_eq!(r["addresses"]["announcing_any"], 1);
    assert_eq!(r["addresses"]["distinct_advertised"], 2);
    // v1-mpfail: MP_FAIL + its echo on port 5000, IPv4.
    assert_eq!(r["middleboxes"]["mp_fail"]["options"], 2);
    // v1-fastclose.
    assert_eq!(r["termination"]["fastclose"], 1);
    // v1-addaddr-v4v6: one MP_PRIO (B=1).
    assert_eq!(r["subflow_setup"]["mp_prio"]["options"], 1);
    // v1-stripped: the SYN/ACK without MP_CAPABLE.
    assert_eq!(
        r["middleboxes"]["fallback"]["events"]["mp_capable_not_echoed"],
        1
    );
    // v1-mpfail: the nft rule rewrites one payload byte once
    // (scripts/gen-captures.sh), so exactly one mapping is invalid, and the
    // client's MP_FAIL names it; the server's MP_FAIL answers it (echo).
    let dv = &r["middleboxes"]["dss_validation"];
    assert_eq!(dv["invalid"], 1);
    assert_eq!(dv["invalid_with_valid_tcp_checksum"], 1);
    assert_eq!(dv["mp_fail_match"]["flagged"], 1);
    assert_eq!(dv["mp_fail_match"]["echo"], 1);
    assert_eq!(dv["mp_fail_match"]["not_flagged"], 0);
    // Verdicts: the stripped handshake; v1-mpfail fell back after MP_FAIL;
    // the six others are genuine MPTCP.
    let v = &r["middleboxes"]["verdicts"];
    assert_eq!(v["stripped"], 1);
    assert_eq!(v["fallback_after_fail"], 1);
    assert_eq!(v["mptcp"], 6);
    assert_eq!(v["mirrored"], 0);
}

/// Distinct mappings (stream, sender, DSN, length) among the options tshark
/// matches with `filter` — an independent count of what our validator must
/// give a verdict to.
fn tshark_mappings(path: &Path, filter: &str) -> usize {
    let out = std::process::Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-Y", filter, "-T", "fields", "-E", "occurrence=a"])
        .args(["-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src"])
        .args([
            "-e",
            "tcp.options.mptcp.rawdataseqno",
            "-e",
            "tcp.options.mptcp.datalvllen",
        ])
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rows: std::collections::BTreeSet<&str> = text.lines().collect();
    rows.len()
}

#[test]
fn dss_validation_counts_every_checksummed_mapping() {
    if !tshark_available() {
        return;
    }
    // Every mapping: DSS options with M set, and the MP_CAPABLE third ACK
    // that carries data (22 bytes, 24 with a checksum).
    let mappings_filter =
        "(tcp.options.mptcp.subtype == 2 && tcp.options.mptcp.dseqnpresent.flag == 1) \
                     || (tcp.options.mptcp.subtype == 0 && tcp.option_len >= 22)";
    for (file, csum) in [
        ("v1-csum-on.pcap", true),
        ("v1-mpfail.pcap", true),
        ("v1-lossy.pcap", true),
        ("v1-mixed.pcap", true),
        ("v1-csum-off.pcap", false),
    ] {
        let path = repo_root().join("fixtures/linux").join(file);
        let r = report(&path);
        let dv = &r["middleboxes"]["dss_validation"];
        let n = |k: &str| dv[k].as_u64().unwrap();
        let mappings = tshark_mappings(&path, mappings_filter);
        let checked = n("valid") + n("invalid") + n("unverifiable");
        if csum {
            assert_eq!(checked as usize, mappings, "{file}: {dv}");
            assert_eq!(n("not_negotiated"), 0, "{file}");
        } else {
            assert_eq!(checked, 0, "{file}");
            assert_eq!(n("not_negotiated") as usize, mappings, "{file}: {dv}");
        }
        // Clean traffic: no mapping fails.
        if file != "v1-mpfail.pcap" {
            assert_eq!(n("invalid"), 0, "{file}");
        }
    }
}
