//! Tests of `parse_frame` for every link type, plus non-IP, fragments and
//! malformed TCP.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mptcp_dissect::wire::frame::{
    parse_frame, FrameErrorReason, IpHeader, Layer, LinkType, Transport,
};
use mptcp_dissect::wire::ipv4::Ipv4ErrorReason;
use mptcp_dissect::wire::tcp::TcpFlags;
use mptcp_dissect::wire::tcp_option::TcpOption;

/// SYN 1234 -> 80, seq 7, MSS 1460, payload "hi".
fn tcp_segment() -> Vec<u8> {
    let mut t = vec![
        0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 7, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    ];
    t.extend_from_slice(&[2, 4, 0x05, 0xb4]);
    t.extend_from_slice(b"hi");
    t
}

fn ipv4(proto: u8, frag: u16, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut b = vec![0x45, 0];
    b.extend_from_slice(&total.to_be_bytes());
    b.extend_from_slice(&[0, 1]);
    b.extend_from_slice(&frag.to_be_bytes());
    b.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    b.extend_from_slice(payload);
    b
}

fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0x60, 0, 0, 0];
    b.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    b.extend_from_slice(&[next, 64]);
    b.extend_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets());
    b.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
    b.extend_from_slice(payload);
    b
}

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    b.extend_from_slice(&ethertype.to_be_bytes());
    b.extend_from_slice(payload);
    b
}

fn assert_tcp_v4(f: &mptcp_dissect::wire::frame::Frame<'_>) {
    assert_eq!(f.ip_version(), 4);
    assert_eq!(f.src(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(f.dst(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
    assert_eq!(f.protocol, 6);
    let t = f.tcp().expect("tcp");
    assert_eq!((t.src_port(), t.dst_port(), t.seq_number()), (1234, 80, 7));
    assert!(t.flags().contains(TcpFlags::SYN));
    assert_eq!(t.payload(), b"hi");
    assert_eq!(t.option_iter().next(), Some(Ok(TcpOption::Mss(1460))));
    let ph = f.pseudo_header();
    assert_eq!((ph.protocol, ph.length), (6, 26));
    assert_eq!(ph.src, f.src());
}

#[test]
fn linktype_from_pcap() {
    for (n, l) in [
        (1, LinkType::Ethernet),
        (9, LinkType::Ppp),
        (12, LinkType::RawIp),
        (14, LinkType::RawIp),
        (101, LinkType::RawIp),
        (113, LinkType::LinuxSll),
        (228, LinkType::Ipv4),
        (229, LinkType::Ipv6),
        (276, LinkType::LinuxSll2),
        (0, LinkType::Null),
        (108, LinkType::Loop),
    ] {
        assert_eq!(LinkType::from_pcap(n), Some(l));
    }
    for l in LinkType::ALL {
        assert_eq!(LinkType::from_pcap(l.to_pcap()), Some(l));
    }
    assert_eq!(LinkType::from_pcap(2), None);
    assert_eq!(LinkType::from_pcap(127), None);
}

#[test]
fn ethernet_ipv4_tcp_with_padding() {
    let mut b = ethernet(0x0800, &ipv4(6, 0x4000, &tcp_segment()));
    b.extend_from_slice(&[0; 6]); // link padding
    let f = parse_frame(&b, LinkType::Ethernet).unwrap();
    assert_tcp_v4(&f);
    assert_eq!((f.ip_offset, f.transport_offset), (14, 34));
    assert!(f.fragment.is_none());
    assert!(f.vlan.is_empty());
    match f.ip {
        IpHeader::V4(p) => assert!(p.dont_frag()),
        IpHeader::V6(_) => panic!(),
    }
}

#[test]
fn ethernet_vlan_single_and_double() {
    let ip = ipv4(6, 0, &tcp_segment());
    let mut one = ethernet(0x8100, &[0x00, 0x2a, 0x08, 0x00]);
    one.extend_from_slice(&ip);
    let f = parse_frame(&one, LinkType::Ethernet).unwrap();
    assert_eq!(f.vlan.outer_vid(), Some(42));
    assert_eq!(f.ip_offset, 18);
    assert_tcp_v4(&f);

    let mut two = ethernet(0x88a8, &[0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x00]);
    two.extend_from_slice(&ip);
    let f = parse_frame(&two, LinkType::Ethernet).unwrap();
    let vids: Vec<u16> = f.vlan.as_slice().iter().map(|t| t.vid).collect();
    assert_eq!(vids, vec![100, 200]);
    assert_eq!(f.ip_offset, 22);
    assert_tcp_v4(&f);
}

#[test]
fn ethernet_ipv6_tcp() {
    let b = ethernet(0x86dd, &ipv6(6, &tcp_segment()));
    let f = parse_frame(&b, LinkType::Ethernet).unwrap();
    assert_eq!(f.ip_version(), 6);
    assert_eq!(f.src(), "fe80::1".parse::<IpAddr>().unwrap());
    assert_eq!(f.transport_offset, 54);
    assert_eq!(f.tcp().unwrap().payload(), b"hi");
    assert_eq!(f.pseudo_header().length, 26);
}

#[test]
fn ipv6_extension_then_tcp_and_non_first_fragment() {
    let mut p = vec![44, 0, 1, 4, 0, 0, 0, 0]; // HBH -> fragment
    p.extend_from_slice(&[6, 0, 0, 1, 0, 0, 0, 5]); // fragment offset 0, M
    p.extend_from_slice(&tcp_segment());
    let buf = ipv6(0, &p);
    let f = parse_frame(&buf, LinkType::Ipv6).unwrap();
    assert_eq!(f.transport_offset, 56);
    assert!(f.tcp().is_some());
    assert_eq!(f.fragment.unwrap().ident, 5);

    let mut p = vec![6, 0, 0, 0x10, 0, 0, 0, 5]; // offset 16
    p.extend_from_slice(&[1; 16]);
    let buf = ipv6(44, &p);
    let f = parse_frame(&buf, LinkType::RawIp).unwrap();
    assert_eq!(f.transport, Transport::NonFirstFragment);
    assert_eq!(f.fragment.unwrap().offset, 16);
}

#[test]
fn ipv4_fragments_and_other_protocols() {
    let seg = tcp_segment();
    // first fragment (MF, offset 0): TCP is dissected
    let buf = ipv4(6, 0x2000, &seg);
    let f = parse_frame(&buf, LinkType::Ipv4).unwrap();
    assert!(f.tcp().is_some());
    assert!(f.fragment.unwrap().more);
    // non-first fragment: not TCP even if the bytes look like it
    let buf = ipv4(6, 0x0003, &seg);
    let f = parse_frame(&buf, LinkType::Ipv4).unwrap();
    assert_eq!(f.transport, Transport::NonFirstFragment);
    assert_eq!(f.fragment.unwrap().offset, 24);
    // UDP
    let buf = ipv4(17, 0, &[0; 8]);
    let f = parse_frame(&buf, LinkType::RawIp).unwrap();
    assert_eq!(f.transport, Transport::Other { protocol: 17 });
}

#[test]
fn malformed_tcp_keeps_addresses() {
    let mut seg = tcp_segment();
    seg[12] = 0x30; // data offset 3
    let buf = ipv4(6, 0, &seg);
    let f = parse_frame(&buf, LinkType::Ipv4).unwrap();
    match f.transport {
        Transport::MalformedTcp(e) => assert_eq!(e.offset, 12),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.src(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
}

#[test]
fn sll_and_sll2() {
    let ip = ipv4(6, 0, &tcp_segment());
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    let f = parse_frame(&sll, LinkType::LinuxSll).unwrap();
    assert_eq!(f.ip_offset, 16);
    assert_tcp_v4(&f);

    let mut sll2 = vec![
        0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&ipv6(6, &tcp_segment()));
    let f = parse_frame(&sll2, LinkType::LinuxSll2).unwrap();
    assert_eq!((f.ip_version(), f.ip_offset), (6, 20));
    assert!(f.tcp().is_some());

    // SLL with a VLAN tag left in the packet
    let mut sll_vlan = vec![
        0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x81, 0x00, 0, 7, 0x08, 0x00,
    ];
    sll_vlan.extend_from_slice(&ip);
    let f = parse_frame(&sll_vlan, LinkType::LinuxSll).unwrap();
    assert_eq!((f.vlan.outer_vid(), f.ip_offset), (Some(7), 20));

    for n in 0..16 {
        let e = parse_frame(&sll[..n], LinkType::LinuxSll).unwrap_err();
        assert_eq!(e.layer(), Layer::Link, "{n}");
    }
    for n in 0..20 {
        assert_eq!(
            parse_frame(&sll2[..n], LinkType::LinuxSll2)
                .unwrap_err()
                .layer(),
            Layer::Link
        );
    }
}

#[test]
fn ppp_with_and_without_address_control() {
    let ip4 = ipv4(6, 0, &tcp_segment());
    let ip6 = ipv6(6, &tcp_segment());
    for (prefix, ip, version) in [
        (&[0xff, 0x03, 0x00, 0x21][..], &ip4, 4),
        (&[0x00, 0x21][..], &ip4, 4),
        (&[0x21][..], &ip4, 4), // protocol-field compression
        (&[0xff, 0x03, 0x00, 0x57][..], &ip6, 6),
        (&[0x00, 0x57][..], &ip6, 6),
    ] {
        let mut b = prefix.to_vec();
        b.extend_from_slice(ip);
        let f = parse_frame(&b, LinkType::Ppp).unwrap();
        assert_eq!((f.ip_version(), f.ip_offset), (version, prefix.len()));
        assert!(f.tcp().is_some());
    }
    let e = parse_frame(&[0xff, 0x03, 0xc0, 0x21, 1, 2], LinkType::Ppp).unwrap_err();
    assert!(e.is_not_ip());
    assert_eq!(e.reason, FrameErrorReason::NotIp(0xc021));
}

/// BSD loopback: the address family in the capturing host's byte order
/// (NULL, either order read) or in network order (LOOP); IPv6's family
/// number differs by system (24, 28, 30, 10), as in libpcap's table.
#[test]
fn loopback_families_in_either_byte_order() {
    let ip4 = ipv4(6, 0, &tcp_segment());
    let ip6 = ipv6(6, &tcp_segment());
    for (link, header, ip, version) in [
        (LinkType::Null, [2, 0, 0, 0], &ip4, 4),
        (LinkType::Null, [0, 0, 0, 2], &ip4, 4),
        (LinkType::Null, [24, 0, 0, 0], &ip6, 6),
        (LinkType::Null, [0, 0, 0, 28], &ip6, 6),
        (LinkType::Null, [30, 0, 0, 0], &ip6, 6),
        (LinkType::Null, [10, 0, 0, 0], &ip6, 6),
        (LinkType::Loop, [0, 0, 0, 2], &ip4, 4),
        (LinkType::Loop, [0, 0, 0, 30], &ip6, 6),
    ] {
        let mut b = header.to_vec();
        b.extend_from_slice(ip);
        let f = parse_frame(&b, link).unwrap();
        assert_eq!(
            (f.ip_version(), f.ip_offset),
            (version, 4),
            "{link:?} {header:?}"
        );
        assert!(f.tcp().is_some());
    }
    // LOOP is network order only; an unknown family is not IP, a short
    // header is truncated.
    let mut b = vec![2, 0, 0, 0];
    b.extend_from_slice(&ip4);
    assert!(parse_frame(&b, LinkType::Loop).unwrap_err().is_not_ip());
    let e = parse_frame(&[7, 0, 0, 0, 0x45], LinkType::Null).unwrap_err();
    assert_eq!(e.reason, FrameErrorReason::NotIp(7));
    let e = parse_frame(&[2, 0, 0], LinkType::Null).unwrap_err();
    assert!(!e.is_not_ip());
}

#[test]
fn raw_ip_sniffs_version() {
    let buf = ipv6(6, &tcp_segment());
    let f = parse_frame(&buf, LinkType::RawIp).unwrap();
    assert_eq!(f.ip_version(), 6);
    let e = parse_frame(&[0x50, 0, 0], LinkType::RawIp).unwrap_err();
    assert_eq!(e.reason, FrameErrorReason::UnknownIpVersion(5));
    assert!(!e.is_not_ip());
    assert!(parse_frame(&[], LinkType::RawIp).is_err());
    // linktype says IPv4 but bytes are v6: an IPv4 error
    let e = parse_frame(&ipv6(6, &[]), LinkType::Ipv4).unwrap_err();
    assert_eq!(e.layer(), Layer::Ipv4);
}

#[test]
fn non_ip_is_quiet() {
    let arp = ethernet(0x0806, &[0; 28]);
    let e = parse_frame(&arp, LinkType::Ethernet).unwrap_err();
    assert!(e.is_not_ip());
    assert_eq!(e.reason, FrameErrorReason::NotIp(0x0806));
}

#[test]
fn ip_errors_have_absolute_offsets() {
    let mut ip = ipv4(6, 0, &tcp_segment());
    ip[3] = 0x10; // total length 16, below the 20-byte header
    let b = ethernet(0x0800, &ip);
    let e = parse_frame(&b, LinkType::Ethernet).unwrap_err();
    assert_eq!(e.layer(), Layer::Ipv4);
    assert_eq!(e.offset, 14 + 2);
    assert!(matches!(
        e.reason,
        FrameErrorReason::Ipv4(Ipv4ErrorReason::TotalLengthTooSmall { .. })
    ));
    let s = e.to_string();
    assert!(s.starts_with("ipv4:") && s.contains("offset 16"), "{s}");
}

#[test]
fn every_truncation_of_an_ethernet_frame_is_an_error_or_short_tcp() {
    let b = ethernet(0x0800, &ipv4(6, 0, &tcp_segment()));
    // 14 Ethernet + 20 IPv4 + 24 TCP header + 2 payload.
    for n in 0..b.len() {
        let r = parse_frame(&b[..n], LinkType::Ethernet);
        match n {
            // Cut in the link or IP header: an error.
            0..34 => assert!(r.is_err(), "{n}"),
            // Cut in the TCP header: addresses kept, TCP malformed.
            34..58 => assert!(
                matches!(r, Ok(f) if matches!(f.transport, Transport::MalformedTcp(_))),
                "{n}"
            ),
            // Cut in the payload: a whole TCP header, a short payload.
            _ => assert!(
                matches!(r, Ok(f) if matches!(f.transport, Transport::Tcp(_))
                    && f.transport_len == 26
                    && f.transport_bytes.len() == n - 34),
                "{n}"
            ),
        }
    }
    assert!(parse_frame(&b, LinkType::Ethernet).is_ok());
}

#[test]
fn capture_cut_by_snap_length_keeps_headers_and_wire_length() {
    // IPv4: the last byte of the payload "hi" was not captured.
    let full = ipv4(6, 0, &tcp_segment());
    let cut = &full[..full.len() - 1];
    let f = parse_frame(cut, LinkType::Ipv4).expect("headers are whole");
    assert_eq!(f.transport_len, 26, "on-wire TCP length from the IP header");
    assert_eq!(f.transport_bytes.len(), 25);
    assert_eq!(f.pseudo_header().length, 26);
    let Transport::Tcp(t) = f.transport else {
        panic!("TCP header was captured whole: {:?}", f.transport)
    };
    assert_eq!(t.header_len(), 24);
    assert_eq!(t.payload(), b"h");

    // IPv6, same cut.
    let full = ipv6(6, &tcp_segment());
    let f = parse_frame(&full[..full.len() - 2], LinkType::Ipv6).expect("headers are whole");
    assert_eq!(f.transport_len, 26);
    assert_eq!(f.transport_bytes.len(), 24);
    assert!(matches!(f.transport, Transport::Tcp(_)));

    // Cut inside the TCP header: addresses stay, TCP is malformed.
    let full = ipv4(6, 0, &tcp_segment());
    let f = parse_frame(&full[..30], LinkType::Ipv4).expect("IP header is whole");
    assert!(matches!(f.transport, Transport::MalformedTcp(_)));
    assert_eq!(f.transport_len, 26);

    // Cut inside the IP header: an error.
    assert!(parse_frame(&full[..19], LinkType::Ipv4).is_err());
}

#[test]
fn whole_frames_have_equal_wire_and_captured_transport_lengths() {
    let full = ipv4(6, 0, &tcp_segment());
    let f = parse_frame(&full, LinkType::Ipv4).unwrap();
    assert_eq!(f.transport_len as usize, f.transport_bytes.len());
}

/// A routing header with segments left (here a segment routing header,
/// type 4, one segment to go) says the IPv6 header's destination is not
/// the final one; with none left, it is.
#[test]
fn a_routing_header_with_segments_left_is_routed() {
    for (left, routed) in [(1u8, true), (0, false)] {
        let mut srh = vec![6, 2, 4, left, 0, 0, 0, 0];
        srh.extend_from_slice(&"2001:db8::99".parse::<Ipv6Addr>().unwrap().octets());
        srh.extend_from_slice(&tcp_segment());
        let b = ipv6(43, &srh);
        let f = parse_frame(&b, LinkType::Ipv6).unwrap();
        assert!(f.tcp().is_some());
        let mptcp_dissect::wire::frame::IpHeader::V6(p) = f.ip else {
            panic!("IPv6");
        };
        assert_eq!(p.extensions().routed, routed, "segments left {left}");
    }
}

/// IPv4 total length 0 is a sender-side capture under segmentation
/// offload (or IPv4 BIG TCP): the packet runs to the end of the capture,
/// as Wireshark reads it. Any other too-small length is malformed.
#[test]
fn ipv4_total_length_zero_runs_to_the_end_of_the_capture() {
    let mut seg = tcp_segment();
    seg.extend_from_slice(&[7; 3000]);
    let mut ip = ipv4(6, 0x4000, &seg);
    ip[2..4].copy_from_slice(&[0, 0]);
    let frame = ethernet(0x0800, &ip);
    let f = parse_frame(&frame, LinkType::Ethernet).unwrap();
    assert_eq!(f.transport_len as usize, seg.len());
    assert_eq!(f.transport_bytes, &seg[..]);
    assert_eq!(f.tcp().unwrap().payload().len(), 2 + 3000);
    ip[2..4].copy_from_slice(&[0, 19]);
    assert!(parse_frame(&ethernet(0x0800, &ip), LinkType::Ethernet).is_err());
}

/// An IPv6 capture cut by its snap length inside an extension header is
/// truncated (the IP header must be whole, as for IPv4 options), not a
/// packet of protocol 59 with a made-up length.
#[test]
fn ipv6_cut_inside_an_extension_header_is_truncated() {
    let mut dst_opts = vec![6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    dst_opts.extend_from_slice(&tcp_segment());
    let b = ipv6(60, &dst_opts);
    assert!(parse_frame(&b, LinkType::Ipv6).unwrap().tcp().is_some());
    let e = parse_frame(&b[..50], LinkType::Ipv6).unwrap_err();
    assert!(
        matches!(
            e.reason,
            FrameErrorReason::Ipv6(
                mptcp_dissect::wire::ipv6::Ipv6ErrorReason::ExtensionHeaderTruncated { header: 60 }
            )
        ),
        "{e:?}"
    );
    assert_eq!(e.offset, 40);
    // Cut inside the TCP header after a whole chain: the TCP header is
    // malformed, the frame is not.
    let f = parse_frame(&b[..40 + 16 + 10], LinkType::Ipv6).unwrap();
    assert_eq!(f.protocol, 6);
    assert!(f.tcp().is_none());
}
