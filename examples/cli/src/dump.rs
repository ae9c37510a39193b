//! `mpdissect dump`: one JSON object per TCP segment carrying option 30.
//!
//! This module owns the per-segment view of a capture. It only calls the
//! core's wire layer (no flow state): what it prints is what the bytes of
//! each packet say on their own.

use std::io::Write;
use std::path::Path;

use mptcp_dissect::wire::frame::{parse_frame, Frame, LinkType, Transport};
use mptcp_dissect::wire::mptcp::KIND_MPTCP;
use mptcp_dissect::wire::tcp::{TcpFlags, TcpPacket, HEADER_LEN as TCP_FIXED_HEADER};
use mptcp_dissect::wire::tcp_option::{TcpOption, TcpOptions};
use serde_json::{json, Map, Value};

use crate::capture::{self, Packet};
use crate::{json as js, Error};

/// Frames that were not printed, by why (reported on stderr at the end).
#[derive(Debug, Default)]
struct Skipped {
    unsupported_link: u64,
    malformed: u64,
}

/// Run `dump` over `path`, writing JSON lines to `out`.
pub fn run(path: &Path, all: bool, out: &mut impl Write) -> Result<(), Error> {
    let mut skipped = Skipped::default();
    let mut write_err: Option<std::io::Error> = None;
    let read = capture::for_each_packet(path, |pkt| {
        if write_err.is_some() {
            return;
        }
        if let Some(obj) = packet(&pkt, all, &mut skipped) {
            let line = serde_json::to_string(&obj).unwrap_or_default();
            if let Err(e) = writeln!(out, "{line}") {
                write_err = Some(e);
            }
        }
    });
    if let Some(e) = write_err {
        return Err(e.into());
    }
    if skipped.unsupported_link > 0 {
        eprintln!(
            "mpdissect: {} frames of an unsupported link type were skipped",
            skipped.unsupported_link
        );
    }
    if skipped.malformed > 0 && !all {
        eprintln!(
            "mpdissect: {} malformed frames not shown (use --all to see their errors)",
            skipped.malformed
        );
    }
    read.map(|_| ()).map_err(Error::from)
}

/// The JSON object for one packet, or `None` when it is not to be printed.
fn packet(pkt: &Packet<'_>, all: bool, skipped: &mut Skipped) -> Option<Value> {
    let Some(link) = LinkType::from_pcap(pkt.linktype) else {
        skipped.unsupported_link += 1;
        return None;
    };
    let mut obj = Map::new();
    obj.insert("frame".into(), json!(pkt.index));
    obj.insert("ts".into(), json!(pkt.ts));
    let frame = match parse_frame(pkt.data, link) {
        Ok(f) => f,
        Err(e) if e.is_not_ip() => return None,
        Err(e) => {
            skipped.malformed += 1;
            obj.insert("errors".into(), json!([e.to_string()]));
            return all.then_some(Value::Object(obj));
        }
    };
    obj.insert("src".into(), json!(frame.src().to_string()));
    obj.insert("dst".into(), json!(frame.dst().to_string()));
    match frame.transport {
        Transport::Tcp(tcp) => segment(&frame, &tcp, obj, all),
        // The capture's snap length cut the TCP header, not the sender: walk
        // the options that were captured (as tshark does).
        Transport::MalformedTcp(_)
            if frame.transport_bytes.len() >= TCP_FIXED_HEADER
                && frame.transport_bytes.len() < frame.transport_len as usize =>
        {
            let tcp = TcpPacket::new_unchecked(frame.transport_bytes);
            segment(&frame, &tcp, obj, all)
        }
        Transport::MalformedTcp(e) => {
            skipped.malformed += 1;
            obj.insert("errors".into(), json!([e.to_string()]));
            all.then_some(Value::Object(obj))
        }
        Transport::NonFirstFragment | Transport::Other { .. } => None,
    }
}

fn segment(
    frame: &Frame<'_>,
    tcp: &TcpPacket<&[u8]>,
    mut obj: Map<String, Value>,
    all: bool,
) -> Option<Value> {
    let captured = tcp.segment();
    // All of the options area that was captured (all of it unless the
    // capture's snap length cut the header).
    let cut = captured.len() < tcp.header_len();
    let options = captured
        .get(TCP_FIXED_HEADER..tcp.header_len().min(captured.len()))
        .unwrap_or(&[]);
    let mut mptcp = Vec::new();
    let mut errors = Vec::new();
    let mut has_mptcp = false;
    for (offset, item) in TcpOptions::new(options).indexed() {
        // The option's bytes as framed by its length byte (for lengths and
        // raw dumps); structural errors have no usable length.
        let declared = options.get(offset + 1).map_or(0, |&l| usize::from(l));
        let len = declared.min(options.len().saturating_sub(offset));
        let raw = options.get(offset..offset + len).unwrap_or(&[]);
        match item {
            Ok(TcpOption::Mptcp(opt)) => {
                has_mptcp = true;
                mptcp.push(js::option(&opt, len));
            }
            Ok(_) => {}
            // The last option runs past what was captured of a header the
            // snap length cut: not malformed, just not all there.
            Err(e) if cut && e.reason.is_structural() => {
                if e.kind == KIND_MPTCP {
                    has_mptcp = true;
                    mptcp.push(js::cut_option(raw, declared));
                }
                errors.push(format!(
                    "tcp option kind {} at offset {offset}: cut by the capture's snap length",
                    e.kind
                ));
            }
            Err(e) => {
                if e.kind == KIND_MPTCP {
                    has_mptcp = true;
                    if let mptcp_dissect::wire::tcp_option::OptionErrorReason::Mptcp(m) = e.reason {
                        mptcp.push(js::rejected_option(raw, &m));
                    }
                }
                errors.push(e.to_string());
            }
        }
    }
    if !has_mptcp && !all {
        return None;
    }
    obj.insert("sport".into(), json!(tcp.src_port()));
    obj.insert("dport".into(), json!(tcp.dst_port()));
    obj.insert("flags".into(), json!(flags_str(tcp.flags())));
    obj.insert("seq".into(), json!(tcp.seq_number()));
    obj.insert("ack".into(), json!(tcp.ack_number()));
    // On-wire payload length, also when the capture cut the segment short.
    let wire_payload = (frame.transport_len as usize).saturating_sub(tcp.header_len());
    obj.insert("payload_len".into(), json!(wire_payload));
    if frame.transport_bytes.len() < frame.transport_len as usize {
        obj.insert("truncated".into(), json!(true));
    }
    obj.insert("mptcp".into(), Value::Array(mptcp));
    obj.insert("errors".into(), json!(errors));
    Some(Value::Object(obj))
}

/// TCP flags as letters in a fixed order: F S R P U A E C N
/// (so SYN/ACK is "SA", FIN/ACK "FA", PSH/ACK "PA", RST/ACK "RA").
pub fn flags_str(flags: TcpFlags) -> String {
    const ORDER: [(TcpFlags, char); 9] = [
        (TcpFlags::FIN, 'F'),
        (TcpFlags::SYN, 'S'),
        (TcpFlags::RST, 'R'),
        (TcpFlags::PSH, 'P'),
        (TcpFlags::URG, 'U'),
        (TcpFlags::ACK, 'A'),
        (TcpFlags::ECE, 'E'),
        (TcpFlags::CWR, 'C'),
        (TcpFlags::AE, 'N'),
    ];
    ORDER
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .map(|&(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_strings_match_the_documented_examples() {
        let f = |bits| flags_str(TcpFlags::from_bits_truncate(bits));
        assert_eq!(f(0x002), "S");
        assert_eq!(f(0x012), "SA");
        assert_eq!(f(0x010), "A");
        assert_eq!(f(0x018), "PA");
        assert_eq!(f(0x011), "FA");
        assert_eq!(f(0x004), "R");
        assert_eq!(f(0x014), "RA");
        assert_eq!(f(0x000), "");
    }
}
