//! JSON rendering of MPTCP sub-options, shared by every command that prints
//! them. The key names are a stable interface: later commands and the C ABI
//! reuse them.
//!
//! This module owns the names and encodings (integers in decimal, full HMACs
//! and raw bytes in lowercase hex). It must not decide anything about the
//! packet: it renders what the core decoded.

use mptcp_dissect::wire::mptcp::{
    subtype_name, AddAddrForm, MpJoin, MptcpError, MptcpErrorReason, MptcpOption,
};
use serde_json::{json, Map, Value};

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The JSON object for one decoded MPTCP option of `len` bytes.
pub fn option(opt: &MptcpOption<'_>, len: usize) -> Value {
    let mut m = Map::new();
    m.insert("subtype".into(), json!(opt.subtype()));
    m.insert("name".into(), json!(opt.name()));
    m.insert("len".into(), json!(len));
    let mut put = |k: &str, v: Value| {
        m.insert(k.into(), v);
    };
    match opt {
        MptcpOption::Capable(c) => {
            put("version", json!(c.version.number()));
            put("flags", json!(c.flags));
            put("checksum_required", json!(c.checksum_required()));
            if let Some(k) = c.sender_key {
                put("sender_key", json!(k));
            }
            if let Some(k) = c.receiver_key {
                put("receiver_key", json!(k));
            }
            if let Some(l) = c.data_len {
                put("data_len", json!(l));
            }
            if c.data_len.is_some() {
                put("checksum", json!(c.checksum));
            }
        }
        MptcpOption::Join(j) => match *j {
            MpJoin::Syn {
                flags,
                backup,
                addr_id,
                token,
                nonce,
            } => {
                put("form", json!("syn"));
                put("flags", json!(flags));
                put("backup", json!(backup));
                put("addr_id", json!(addr_id));
                put("token", json!(token));
                put("nonce", json!(nonce));
            }
            MpJoin::SynAck {
                flags,
                backup,
                addr_id,
                trunc_hmac,
                nonce,
            } => {
                put("form", json!("synack"));
                put("flags", json!(flags));
                put("backup", json!(backup));
                put("addr_id", json!(addr_id));
                put("trunc_hmac", json!(trunc_hmac));
                put("nonce", json!(nonce));
            }
            MpJoin::Ack { hmac, .. } => {
                put("form", json!("ack"));
                put("hmac", json!(hex(&hmac)));
            }
        },
        MptcpOption::Dss(d) => {
            put("flags", json!(d.flags));
            if let Some(a) = d.data_ack {
                put("data_ack", json!(a.value));
                put("data_ack_len", json!(if a.wide { 8 } else { 4 }));
            }
            if let Some(map) = d.mapping {
                put("dsn", json!(map.dsn));
                put("dsn_len", json!(if map.dsn_wide { 8 } else { 4 }));
                put("ssn", json!(map.ssn));
                put("data_len", json!(map.data_len));
                put("checksum", json!(map.checksum));
            }
            put("data_fin", json!(d.data_fin()));
        }
        MptcpOption::AddAddr(a) => {
            match a.form {
                AddAddrForm::V0 => {
                    put("version", json!(0));
                    put("ip_version", json!(if a.ip.is_ipv4() { 4 } else { 6 }));
                }
                AddAddrForm::V1 { echo } => {
                    put("version", json!(1));
                    put("echo", json!(echo));
                }
            }
            put("addr_id", json!(a.addr_id));
            put("ip", json!(a.ip.to_string()));
            put("port", json!(a.port));
            if let Some(h) = a.hmac {
                put("trunc_hmac", json!(h));
            }
        }
        MptcpOption::RemoveAddr(r) => put("ids", json!(r.ids)),
        MptcpOption::Prio(p) => {
            put("flags", json!(p.flags));
            put("backup", json!(p.backup));
            if let Some(id) = p.addr_id {
                put("addr_id", json!(id));
            }
        }
        MptcpOption::Fail(f) => put("dsn", json!(f.dsn)),
        MptcpOption::Fastclose(f) => put("receiver_key", json!(f.receiver_key)),
        MptcpOption::TcpRst(r) => {
            put("flags", json!(r.flags));
            put("reason", json!(r.reason));
        }
        MptcpOption::Experimental(e) => put("raw", json!(hex(e.raw))),
        MptcpOption::Unknown { raw, .. } => put("raw", json!(hex(raw))),
    }
    Value::Object(m)
}

/// The JSON object for a kind-30 option the core rejected: kind, length and
/// subtype as far as they are known, the raw bytes, and why.
pub fn rejected_option(raw: &[u8], err: &MptcpError) -> Value {
    // An option too short to hold the subtype nibble has no subtype.
    let subtype = (err.reason != MptcpErrorReason::TooShort).then_some(err.subtype);
    json!({
        "subtype": subtype,
        "name": subtype.map_or("UNKNOWN", subtype_name),
        "len": err.len,
        "raw": hex(raw),
        "error": err.to_string(),
    })
}
