//! `mpdissect conns`: one JSON object per MPTCP connection.
//!
//! This module owns the per-connection report. It runs every packet through
//! the core's dissector — over `Vec`-allocated table memory through
//! [`DissectorView`], as a C caller would over its own memory — and turns
//! connection and subflow state into JSON. It must not interpret packet
//! bytes itself: everything comes from the dissector's state and events.
//! ADD_ADDR lists are accumulated from events, so they are complete even past
//! the core's bounded per-connection set; connections and subflows removed
//! from the tables during the run are kept from the removal callback.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use mptcp_dissect::dissector::{DissectorConfig, DissectorState, DissectorView, Event, Gone};
use mptcp_dissect::flow::{
    ConnEnd, Connection, FlowKey, FlowTableView, HmacVerdict, Role, Slot, SlotId, Subflow,
    SubflowEnd, SubflowKind, TableState,
};
use mptcp_dissect::wire::frame::LinkType;
use mptcp_dissect::wire::mptcp::Version;
use serde_json::{json, Value};

use crate::capture;
use crate::Error;

/// What the report knows about one connection.
#[derive(Default)]
pub struct Record {
    /// Latest state (from the table, or the removal callback).
    pub conn: Option<Connection>,
    /// Subflows by slot bits (latest state).
    pub subflows: BTreeMap<u64, (FlowKey, Subflow)>,
    /// ADD_ADDR advertisements (non-echo), in order.
    pub add_addr: Vec<Value>,
}

/// Memory for a [`DissectorView`] with `cap` subflows and connections.
pub struct Memory {
    st: DissectorState,
    sub_st: TableState,
    subs: Vec<Slot<FlowKey, Subflow>>,
    sub_idx: Vec<u32>,
    conn_st: TableState,
    conns: Vec<Slot<u32, Connection>>,
    conn_idx: Vec<u32>,
    tok_st: TableState,
    toks: Vec<Slot<u32, SlotId>>,
    tok_idx: Vec<u32>,
}

impl Memory {
    /// Allocates tables of `cap` entries each (rounded up to a power of two).
    pub fn new(cap: usize) -> Memory {
        let cap = cap.max(1).next_power_of_two();
        Memory {
            st: DissectorState::new(DissectorConfig::default()),
            sub_st: TableState::new(),
            subs: vec![Slot::new(); cap],
            sub_idx: vec![0; 2 * cap],
            conn_st: TableState::new(),
            conns: vec![Slot::new(); cap],
            conn_idx: vec![0; 2 * cap],
            tok_st: TableState::new(),
            toks: vec![Slot::new(); cap],
            tok_idx: vec![0; 2 * cap],
        }
    }

    /// Initialises the tables and returns the dissector over them.
    pub fn init(&mut self, seed: [u8; 16]) -> DissectorView<'_> {
        let mut s2 = seed;
        s2[0] ^= 1;
        let mut s3 = seed;
        s3[0] ^= 2;
        let subs = FlowTableView::new(&mut self.sub_st, &mut self.subs, &mut self.sub_idx, seed)
            .expect("power-of-two capacity");
        let conns = FlowTableView::new(&mut self.conn_st, &mut self.conns, &mut self.conn_idx, s2)
            .expect("power-of-two capacity");
        let toks = FlowTableView::new(&mut self.tok_st, &mut self.toks, &mut self.tok_idx, s3)
            .expect("power-of-two capacity");
        DissectorView::new(&mut self.st, subs, conns, toks)
    }
}

/// Runs the dissector over `path`; returns the records by connection id.
pub fn collect(path: &Path, capacity: usize) -> Result<BTreeMap<u32, Record>, Error> {
    let mut mem = Memory::new(capacity);
    let mut d = mem.init(*b"mpdissect-conns!");
    let mut recs: BTreeMap<u32, Record> = BTreeMap::new();
    // Connection slot bits → serial, for subflows that outlive the lookup.
    let mut serial_of: BTreeMap<u64, u32> = BTreeMap::new();
    let mut gone: Vec<Gone> = Vec::new();
    capture::for_each_packet(path, |pkt| {
        let Some(link) = LinkType::from_pcap(pkt.linktype) else {
            return;
        };
        let now = (pkt.ts * 1e9) as u64;
        let dis = d.dissect_with(pkt.data, link, now, |g| gone.push(g));
        for e in dis.events.iter() {
            match *e {
                Event::NewConnection { conn } => {
                    serial_of.insert(conn.slot.to_bits(), conn.serial);
                    recs.entry(conn.serial).or_default();
                }
                Event::AddrAdvertised {
                    conn,
                    addr_id,
                    ip,
                    port,
                    class,
                    hmac,
                    echo: false,
                    ..
                } => recs.entry(conn.serial).or_default().add_addr.push(json!({
                    "id": addr_id,
                    "ip": ip.to_string(),
                    "port": port,
                    "class": class.to_string(),
                    "hmac": hmac_str(Some(hmac)),
                })),
                _ => {}
            }
        }
        for g in gone.drain(..) {
            match g {
                Gone::Connection { id, conn, .. } => {
                    recs.entry(id.serial).or_default().conn = Some(conn);
                }
                Gone::Subflow {
                    id, key, subflow, ..
                } => {
                    if let Some(s) = subflow
                        .claimed_conn()
                        .and_then(|c| serial_of.get(&c.to_bits()))
                    {
                        recs.entry(*s)
                            .or_default()
                            .subflows
                            .insert(id.0.to_bits(), (key, subflow));
                    }
                }
            }
        }
    })?;
    for (id, c) in d.connections() {
        recs.entry(id.serial).or_default().conn = Some(*c);
    }
    for (id, key, s) in d.subflows() {
        if let Some(serial) = s.claimed_conn().and_then(|c| serial_of.get(&c.to_bits())) {
            recs.entry(*serial)
                .or_default()
                .subflows
                .insert(id.0.to_bits(), (*key, *s));
        }
    }
    Ok(recs)
}

/// Run `conns` over `path`, writing one JSON line per connection to `out`.
pub fn run(path: &Path, capacity: usize, out: &mut impl Write) -> Result<(), Error> {
    let recs = collect(path, capacity)?;
    for (id, r) in &recs {
        if let Some(v) = to_json(*id, r) {
            writeln!(out, "{}", serde_json::to_string(&v).unwrap_or_default())?;
        }
    }
    Ok(())
}

fn hmac_str(h: Option<HmacVerdict>) -> Value {
    match h {
        Some(HmacVerdict::Valid) => json!("valid"),
        Some(HmacVerdict::Invalid) => json!("invalid"),
        Some(HmacVerdict::Unverifiable) => json!("unverifiable"),
        None => Value::Null,
    }
}

fn end_str(e: ConnEnd) -> &'static str {
    match e {
        ConnEnd::Open => "open",
        ConnEnd::DataFin => "data_fin",
        ConnEnd::Fastclose => "fastclose",
        ConnEnd::Rst => "rst",
        ConnEnd::Evicted | ConnEnd::Idle => "evicted",
    }
}

fn sock(ep: (std::net::IpAddr, u16)) -> String {
    SocketAddr::from(ep).to_string()
}

/// The JSON object of one connection (`None` if its state was never seen).
pub fn to_json(id: u32, r: &Record) -> Option<Value> {
    let c = r.conn.as_ref()?;
    let (client, server) = c.endpoints();
    let subflows: Vec<Value> = r
        .subflows
        .values()
        .map(|(key, s)| {
            let ((src, sport), (dst, dport)) = key.endpoints(s.client_dir());
            json!({
                "src": src.to_string(),
                "dst": dst.to_string(),
                "sport": sport,
                "dport": dport,
                "join": s.kind() == SubflowKind::Join,
                "backup": s.backup(),
                "addr_id": s.addr_id(),
                "syn_ts": s.syn_ts() as f64 / 1e9,
                "established": s.established(),
                "bytes_c2s": s.bytes(Role::C2s),
                "bytes_s2c": s.bytes(Role::S2c),
                "rtt_ms": s.rtt_us().map(|u| f64::from(u) / 1000.0),
                "hmac": hmac_str(s.hmac()),
                "end": match s.end() {
                    SubflowEnd::Open => "open",
                    SubflowEnd::Fin => "fin",
                    SubflowEnd::Rst => "rst",
                },
            })
        })
        .collect();
    let end = if c.end == ConnEnd::Open {
        c.current_end()
    } else {
        c.end
    };
    Some(json!({
        "id": id,
        "version": match c.version { Version::V0 => 0, Version::V1 => 1 },
        "client": sock(client),
        "server": sock(server),
        "client_key": c.client_key(),
        "server_key": c.server_key,
        "client_token": c.client_token(),
        "server_token": c.server_token,
        "client_idsn": c.client_idsn(),
        "server_idsn": c.server_idsn,
        "checksum": c.checksum,
        "subflows": subflows,
        "add_addr": r.add_addr,
        "remove_addr": c.remove_addr,
        "mp_prio": c.mp_prio,
        "mp_fail": c.mp_fail,
        "fastclose": c.fastclose,
        "data_fin_c2s": c.data_fin(Role::C2s),
        "data_fin_s2c": c.data_fin(Role::S2c),
        "reinjected_c2s": c.dir(Role::C2s).reinjected,
        "reinjected_s2c": c.dir(Role::S2c).reinjected,
        "end": end_str(end),
    }))
}
