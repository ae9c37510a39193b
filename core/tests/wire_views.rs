//! Byte-array tests of the Ethernet, IPv4, IPv6 and TCP views.

use core::net::{Ipv4Addr, Ipv6Addr};

use mptcp_dissect::wire::ethernet::{EthernetErrorReason, EthernetFrame, MAX_VLAN_TAGS};
use mptcp_dissect::wire::ipv4::{Ipv4ErrorReason, Ipv4Packet};
use mptcp_dissect::wire::ipv6::{self, Ipv6ErrorReason, Ipv6Packet};
use mptcp_dissect::wire::tcp::{TcpErrorReason, TcpFlags, TcpPacket};

// ---------------------------------------------------------------- Ethernet

const ETH_UNTAGGED: [u8; 16] = [
    0x02, 0, 0, 0, 0, 0x01, // dst
    0x02, 0, 0, 0, 0, 0x02, // src
    0x08, 0x00, // IPv4
    0x45, 0x00, // payload
];

#[test]
fn ethernet_untagged() {
    let f = EthernetFrame::new_checked(&ETH_UNTAGGED[..]).unwrap();
    assert_eq!(f.dst_addr(), [2, 0, 0, 0, 0, 1]);
    assert_eq!(f.src_addr(), [2, 0, 0, 0, 0, 2]);
    assert_eq!(f.ethertype(), 0x0800);
    assert_eq!(f.outer_ethertype(), 0x0800);
    assert!(f.vlan_tags().is_empty());
    assert_eq!(f.payload_offset(), 14);
    assert_eq!(f.payload(), &[0x45, 0x00]);
}

#[test]
fn ethernet_every_truncation() {
    for n in 0..14 {
        let err = EthernetFrame::new_checked(&ETH_UNTAGGED[..n]).unwrap_err();
        assert_eq!(err.reason, EthernetErrorReason::Truncated, "len {n}");
    }
    // The header alone (no payload) is fine.
    assert!(EthernetFrame::new_checked(&ETH_UNTAGGED[..14]).is_ok());
}

#[test]
fn ethernet_single_vlan() {
    let mut b = ETH_UNTAGGED[..12].to_vec();
    b.extend_from_slice(&[0x81, 0x00, 0xa0, 0x64, 0x86, 0xdd, 0x60]);
    let f = EthernetFrame::new_checked(&b[..]).unwrap();
    let tags = f.vlan_tags();
    assert_eq!(tags.len(), 1);
    let t = tags.as_slice()[0];
    assert_eq!((t.tpid, t.pcp, t.dei, t.vid), (0x8100, 5, false, 100));
    assert_eq!(tags.outer_vid(), Some(100));
    assert_eq!(f.ethertype(), 0x86dd);
    assert_eq!(f.payload_offset(), 18);
    assert_eq!(f.payload(), &[0x60]);
    for n in 12..18 {
        assert_eq!(
            EthernetFrame::new_checked(&b[..n]).unwrap_err().reason,
            EthernetErrorReason::Truncated
        );
    }
}

#[test]
fn ethernet_double_vlan_qinq_and_legacy() {
    for outer in [0x88a8u16, 0x9100] {
        let mut b = ETH_UNTAGGED[..12].to_vec();
        b.extend_from_slice(&outer.to_be_bytes());
        b.extend_from_slice(&[0x10, 0x0a]); // DEI set, vid 10
        b.extend_from_slice(&[0x81, 0x00, 0x00, 0x14]); // vid 20
        b.extend_from_slice(&[0x08, 0x00]);
        let f = EthernetFrame::new_checked(&b[..]).unwrap();
        let tags = f.vlan_tags();
        assert_eq!(tags.len(), 2);
        assert_eq!(tags.as_slice()[0].tpid, outer);
        assert!(tags.as_slice()[0].dei);
        assert_eq!(tags.outer_vid(), Some(10));
        assert_eq!(tags.inner_vid(), Some(20));
        assert_eq!(f.ethertype(), 0x0800);
        assert_eq!(f.payload_offset(), 22);
    }
}

#[test]
fn ethernet_too_many_tags() {
    let mut b = ETH_UNTAGGED[..12].to_vec();
    for _ in 0..MAX_VLAN_TAGS {
        b.extend_from_slice(&[0x81, 0x00, 0x00, 0x01]);
    }
    b.extend_from_slice(&[0x08, 0x00]);
    assert_eq!(
        EthernetFrame::new_checked(&b[..])
            .unwrap()
            .vlan_tags()
            .len(),
        MAX_VLAN_TAGS
    );
    let mut deeper = ETH_UNTAGGED[..12].to_vec();
    for _ in 0..=MAX_VLAN_TAGS {
        deeper.extend_from_slice(&[0x81, 0x00, 0x00, 0x01]);
    }
    deeper.extend_from_slice(&[0x08, 0x00]);
    let err = EthernetFrame::new_checked(&deeper[..]).unwrap_err();
    assert_eq!(err.reason, EthernetErrorReason::TooManyVlanTags);
    assert_eq!(err.offset, 12 + 4 * MAX_VLAN_TAGS);
}

// -------------------------------------------------------------------- IPv4

/// IPv4 with 4 bytes of options (IHL 6), total length 28, MF clear, TCP.
const IPV4_OPTS: [u8; 30] = [
    0x46, 0x00, 0x00, 0x1c, // ver/ihl, tos, total length 28
    0x12, 0x34, 0x40, 0x00, // ident, DF
    0x40, 0x06, 0xab, 0xcd, // ttl, proto TCP, checksum
    10, 0, 0, 1, // src
    192, 168, 1, 2, // dst
    0x01, 0x01, 0x01, 0x00, // options (NOP NOP NOP EOL)
    0xde, 0xad, 0xbe, 0xef, // payload
    0xff, 0xff, // link padding
];

#[test]
fn ipv4_fields() {
    let p = Ipv4Packet::new_checked(&IPV4_OPTS[..]).unwrap();
    assert_eq!(p.version(), 4);
    assert_eq!(p.ihl(), 6);
    assert_eq!(p.header_len(), 24);
    assert_eq!(p.total_len(), 28);
    assert_eq!(p.ident(), 0x1234);
    assert!(p.dont_frag());
    assert!(!p.more_frags());
    assert_eq!(p.frag_offset(), 0);
    assert!(!p.is_fragment());
    assert_eq!(p.ttl(), 64);
    assert_eq!(p.protocol(), 6);
    assert_eq!(p.checksum(), 0xabcd);
    assert_eq!(p.src_addr(), Ipv4Addr::new(10, 0, 0, 1));
    assert_eq!(p.dst_addr(), Ipv4Addr::new(192, 168, 1, 2));
    assert_eq!(p.options(), &[1, 1, 1, 0]);
    assert_eq!(p.payload(), &[0xde, 0xad, 0xbe, 0xef], "padding trimmed");
}

#[test]
fn ipv4_every_truncation() {
    for n in 0..28 {
        assert!(Ipv4Packet::new_checked(&IPV4_OPTS[..n]).is_err(), "len {n}");
    }
    let e = Ipv4Packet::new_checked(&IPV4_OPTS[..19]).unwrap_err();
    assert_eq!(e.reason, Ipv4ErrorReason::Truncated { available: 19 });
    let e = Ipv4Packet::new_checked(&IPV4_OPTS[..22]).unwrap_err();
    assert_eq!(
        e.reason,
        Ipv4ErrorReason::IhlBeyondBuffer {
            ihl: 6,
            available: 22
        }
    );
    let e = Ipv4Packet::new_checked(&IPV4_OPTS[..27]).unwrap_err();
    assert_eq!(
        e.reason,
        Ipv4ErrorReason::TotalLengthBeyondBuffer {
            total_len: 28,
            available: 27
        }
    );
    assert_eq!(e.offset, 2);
    assert!(Ipv4Packet::new_checked(&IPV4_OPTS[..28]).is_ok());
}

#[test]
fn ipv4_bad_version_ihl_total_length() {
    let mut b = IPV4_OPTS;
    b[0] = 0x66;
    assert_eq!(
        Ipv4Packet::new_checked(&b[..]).unwrap_err().reason,
        Ipv4ErrorReason::BadVersion(6)
    );
    for ihl in 0..5u8 {
        let mut b = IPV4_OPTS;
        b[0] = 0x40 | ihl;
        let e = Ipv4Packet::new_checked(&b[..]).unwrap_err();
        assert_eq!(e.reason, Ipv4ErrorReason::BadIhl(ihl));
        assert_eq!(e.offset, 0);
    }
    let mut b = IPV4_OPTS;
    b[3] = 23; // total length below IHL*4 = 24
    assert_eq!(
        Ipv4Packet::new_checked(&b[..]).unwrap_err().reason,
        Ipv4ErrorReason::TotalLengthTooSmall {
            total_len: 23,
            header_len: 24
        }
    );
    b[3] = 24; // exactly the header: empty payload
    assert_eq!(
        Ipv4Packet::new_checked(&b[..]).unwrap().payload(),
        &[] as &[u8]
    );
}

#[test]
fn ipv4_fragments() {
    let mut b = IPV4_OPTS;
    b[6] = 0x20; // MF, offset 0
    b[7] = 0x00;
    let p = Ipv4Packet::new_checked(&b[..]).unwrap();
    assert!(p.more_frags() && p.is_fragment() && !p.is_non_first_fragment());
    b[6] = 0x00;
    b[7] = 0x03; // offset 3*8 = 24
    let p = Ipv4Packet::new_checked(&b[..]).unwrap();
    assert_eq!(p.frag_offset(), 24);
    assert!(p.is_non_first_fragment());
}

// -------------------------------------------------------------------- IPv6

fn ipv6_header(next_header: u8, payload_len: u16) -> Vec<u8> {
    let mut b = vec![0x60, 0x12, 0x34, 0x56];
    b.extend_from_slice(&payload_len.to_be_bytes());
    b.push(next_header);
    b.push(64);
    b.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    b.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
    b
}

#[test]
fn ipv6_fields_and_padding() {
    let mut b = ipv6_header(6, 4);
    b.extend_from_slice(&[1, 2, 3, 4, 0xff, 0xff]);
    let p = Ipv6Packet::new_checked(&b[..]).unwrap();
    assert_eq!(p.version(), 6);
    assert_eq!(p.traffic_class(), 0x01);
    assert_eq!(p.flow_label(), 0x2_3456);
    assert_eq!(p.payload_len(), 4);
    assert_eq!(p.next_header(), 6);
    assert_eq!(p.hop_limit(), 64);
    assert_eq!(p.src_addr(), "2001:db8::1".parse::<Ipv6Addr>().unwrap());
    assert_eq!(p.dst_addr(), "2001:db8::2".parse::<Ipv6Addr>().unwrap());
    assert_eq!(p.payload(), &[1, 2, 3, 4]);
    let chain = p.extensions();
    assert_eq!(
        (chain.next_header, chain.transport_offset, chain.count),
        (6, 40, 0)
    );
    assert_eq!(p.transport_payload(), &[1, 2, 3, 4]);
}

#[test]
fn ipv6_every_truncation() {
    let mut b = ipv6_header(6, 4);
    b.extend_from_slice(&[1, 2, 3, 4]);
    for n in 0..44 {
        let e = Ipv6Packet::new_checked(&b[..n]).unwrap_err();
        if n < 40 {
            assert_eq!(e.reason, Ipv6ErrorReason::Truncated { available: n });
        } else {
            assert_eq!(
                e.reason,
                Ipv6ErrorReason::PayloadLengthBeyondBuffer {
                    payload_len: 4,
                    available: n - 40
                }
            );
            assert_eq!(e.offset, 4);
        }
    }
    let mut bad = b.clone();
    bad[0] = 0x40;
    assert_eq!(
        Ipv6Packet::new_checked(&bad[..]).unwrap_err().reason,
        Ipv6ErrorReason::BadVersion(4)
    );
}

/// Each extension header kind in front of TCP.
#[test]
fn ipv6_each_extension_header() {
    // (type, header bytes)
    let cases: [(u8, Vec<u8>); 5] = [
        (0, vec![6, 0, 1, 4, 0, 0, 0, 0]),  // hop-by-hop, PadN
        (43, vec![6, 0, 0, 0, 0, 0, 0, 0]), // routing, 0 segments left
        (60, vec![6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), // dest opts, 16 bytes
        (44, vec![6, 0, 0x00, 0x01, 0, 0, 0, 7]), // fragment offset 0, M=1
        (51, vec![6, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]), // AH, (1+2)*4 = 12 bytes
    ];
    for (ty, ext) in cases {
        let mut b = ipv6_header(ty, (ext.len() + 2) as u16);
        b.extend_from_slice(&ext);
        b.extend_from_slice(&[0xaa, 0xbb]);
        let p = Ipv6Packet::new_checked(&b[..]).unwrap();
        let chain = p.extensions();
        assert_eq!(chain.next_header, 6, "type {ty}");
        assert_eq!(chain.count, 1);
        assert_eq!(chain.transport_offset, 40 + ext.len());
        assert_eq!(p.transport_payload(), &[0xaa, 0xbb]);
        if ty == 44 {
            let f = chain.fragment.unwrap();
            assert_eq!((f.offset, f.more, f.ident), (0, true, 7));
            assert!(!chain.is_non_first_fragment());
        }
        // Cut inside the extension header: truncated, at offset 40.
        let mut cut = ipv6_header(ty, (ext.len() - 1) as u16);
        cut.extend_from_slice(&ext[..ext.len() - 1]);
        let e = Ipv6Packet::new_checked(&cut[..]).unwrap_err();
        assert_eq!(
            e.reason,
            Ipv6ErrorReason::ExtensionHeaderTruncated { header: ty }
        );
        assert_eq!(e.offset, 40);
    }
}

#[test]
fn ipv6_chain_of_several() {
    // HBH -> DestOpts -> Routing -> Fragment -> TCP
    let mut ext = vec![60, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[43, 0, 1, 4, 0, 0, 0, 0]);
    ext.extend_from_slice(&[44, 0, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 9]);
    let mut b = ipv6_header(0, ext.len() as u16);
    b.extend_from_slice(&ext);
    let chain = Ipv6Packet::new_checked(&b[..]).unwrap().extensions();
    assert_eq!(
        (chain.next_header, chain.count, chain.transport_offset),
        (6, 4, 72)
    );
}

#[test]
fn ipv6_non_first_fragment_stops_walk() {
    let mut b = ipv6_header(44, 12);
    b.extend_from_slice(&[6, 0, 0x05, 0x00, 0, 0, 0, 1]); // offset 0x500 & !7 = 1280
    b.extend_from_slice(&[1, 2, 3, 4]);
    let chain = Ipv6Packet::new_checked(&b[..]).unwrap().extensions();
    assert!(chain.is_non_first_fragment());
    assert_eq!(chain.fragment.unwrap().offset, 1280);
    assert_eq!(chain.transport_offset, 48);
}

#[test]
fn ipv6_esp_and_no_next_end_the_walk() {
    for nh in [ipv6::next_header::ESP, ipv6::next_header::NO_NEXT, 17] {
        let mut b = ipv6_header(nh, 8);
        b.extend_from_slice(&[0; 8]);
        let chain = Ipv6Packet::new_checked(&b[..]).unwrap().extensions();
        assert_eq!((chain.next_header, chain.transport_offset), (nh, 40));
    }
}

#[test]
fn ipv6_chain_bound() {
    let n = ipv6::MAX_EXTENSION_HEADERS + 1;
    let mut ext = Vec::new();
    for i in 0..n {
        let next = if i + 1 == n { 6 } else { 60 };
        ext.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
    }
    let mut b = ipv6_header(60, ext.len() as u16);
    b.extend_from_slice(&ext);
    let e = Ipv6Packet::new_checked(&b[..]).unwrap_err();
    assert_eq!(e.reason, Ipv6ErrorReason::TooManyExtensionHeaders);
    assert_eq!(e.offset, 40 + 8 * ipv6::MAX_EXTENSION_HEADERS);
    // One fewer is fine.
    let mut b = ipv6_header(60, (ext.len() - 8) as u16);
    b.extend_from_slice(&ext[8..]);
    assert!(Ipv6Packet::new_checked(&b[..]).is_ok());
}

// --------------------------------------------------------------------- TCP

/// TCP: ports 443 -> 51000, data offset 6 (4 option bytes), SYN|ACK|ECE|AE.
const TCP_SEG: [u8; 27] = [
    0x01, 0xbb, 0xc7, 0x38, // ports
    0x00, 0x00, 0x00, 0x64, // seq 100
    0x00, 0x00, 0x01, 0x2c, // ack 300
    0x61, 0x52, // data offset 6, AE, flags ECE|ACK|SYN
    0xff, 0xff, // window
    0x12, 0x34, // checksum
    0x00, 0x07, // urgent
    0x02, 0x04, 0x05, 0xb4, // MSS 1460
    b'a', b'b', b'c', // payload
];

#[test]
fn tcp_fields() {
    let t = TcpPacket::new_checked(&TCP_SEG[..]).unwrap();
    assert_eq!(t.src_port(), 443);
    assert_eq!(t.dst_port(), 51000);
    assert_eq!(t.seq_number(), 100);
    assert_eq!(t.ack_number(), 300);
    assert_eq!(t.data_offset(), 6);
    assert_eq!(t.header_len(), 24);
    assert_eq!(t.reserved(), 0);
    let f = t.flags();
    assert!(f.contains(TcpFlags::SYN | TcpFlags::ACK));
    assert!(f.contains(TcpFlags::ECE));
    assert!(f.contains(TcpFlags::AE) && f.contains(TcpFlags::NS));
    assert!(!f.intersects(TcpFlags::FIN | TcpFlags::RST | TcpFlags::PSH | TcpFlags::URG));
    assert!(!f.contains(TcpFlags::CWR));
    assert_eq!(f.bits(), 0x152);
    assert_eq!(t.window(), 0xffff);
    assert_eq!(t.checksum(), 0x1234);
    assert_eq!(t.urgent(), 7);
    assert_eq!(t.options(), &[2, 4, 5, 0xb4]);
    assert_eq!(t.payload(), b"abc");
    assert_eq!(t.segment_len(), 4, "payload + SYN");
    assert_eq!(t.option_iter().count(), 1);
}

#[test]
fn tcp_every_truncation() {
    for n in 0..24 {
        let e = TcpPacket::new_checked(&TCP_SEG[..n]).unwrap_err();
        if n < 20 {
            assert_eq!(e.reason, TcpErrorReason::Truncated { available: n });
        } else {
            assert_eq!(
                e.reason,
                TcpErrorReason::DataOffsetBeyondBuffer {
                    data_offset: 6,
                    available: n
                }
            );
            assert_eq!(e.offset, 12);
        }
    }
    let t = TcpPacket::new_checked(&TCP_SEG[..24]).unwrap();
    assert!(t.payload().is_empty());
}

#[test]
fn tcp_bad_data_offset() {
    for d in 0..5u8 {
        let mut b = TCP_SEG;
        b[12] = d << 4;
        let e = TcpPacket::new_checked(&b[..]).unwrap_err();
        assert_eq!(e.reason, TcpErrorReason::DataOffsetTooSmall(d));
        assert_eq!(e.offset, 12);
    }
    let mut b = TCP_SEG;
    b[12] = 0xf0; // 60 bytes > 27
    assert_eq!(
        TcpPacket::new_checked(&b[..]).unwrap_err().reason,
        TcpErrorReason::DataOffsetBeyondBuffer {
            data_offset: 15,
            available: 27
        }
    );
}

#[test]
fn tcp_flags_type() {
    let all = TcpFlags::NAMED
        .iter()
        .fold(TcpFlags::EMPTY, |acc, (f, _)| acc | *f);
    assert_eq!(all, TcpFlags::ALL);
    assert_eq!(TcpFlags::from_bits_truncate(0xffff), TcpFlags::ALL);
    assert!(TcpFlags::EMPTY.is_empty());
    assert_eq!(
        (TcpFlags::SYN | TcpFlags::ACK) & TcpFlags::ACK,
        TcpFlags::ACK
    );
    let mut f = TcpFlags::FIN;
    f |= TcpFlags::PSH;
    assert_eq!(f.bits(), 0x009);
}

#[test]
fn unchecked_views_never_panic_on_empty() {
    let e: &[u8] = &[];
    let t = TcpPacket::new_unchecked(e);
    assert_eq!(
        (
            t.src_port(),
            t.seq_number(),
            t.payload().len(),
            t.options().len()
        ),
        (0, 0, 0, 0)
    );
    let p = Ipv4Packet::new_unchecked(e);
    assert_eq!((p.total_len(), p.payload().len()), (0, 0));
    let p6 = Ipv6Packet::new_unchecked(e);
    assert_eq!(p6.transport_payload().len(), 0);
    let f = EthernetFrame::new_unchecked(e);
    assert_eq!(f.payload().len(), 0);
}
