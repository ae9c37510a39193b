//! Link-type entry points: from a captured frame to the TCP segment.
//!
//! This module owns the pcap link types this crate reads ([`LinkType`]),
//! the small link headers that have no module of their own (Linux cooked
//! capture v1 and v2, PPP) and [`parse_frame`], which chains the views:
//! link → (VLAN) → IPv4 / IPv6 (+ extension headers) → TCP. The result,
//! [`Frame`], carries the addresses, the IP view, the TCP view and the
//! inputs of the TCP checksum pseudo-header.
//!
//! Outcomes: a malformed link or IP header is a [`FrameError`]; a frame
//! that is not IP at all (ARP, LLDP, …) is also an error, but one that
//! [`FrameError::is_not_ip`] recognises so callers can skip it quietly. An
//! IP packet that does not carry a TCP header is a [`Frame`] whose
//! [`Transport`] says why (non-first fragment, other protocol); an IP packet
//! whose TCP header is malformed is a frame with
//! [`Transport::MalformedTcp`], so the addresses stay available for the
//! report.
//!
//! [`parse_frame`] has a fast path for the layout of nearly every frame
//! on an Ethernet link: at most one VLAN tag, then IPv4 without options that
//! is not a fragment, or IPv6 whose first next header is TCP; the IP packet
//! whole in the capture and carrying a valid TCP header. It checks that
//! layout in one pass and builds the [`Frame`] directly. Anything else —
//! other link types, stacked tags, IP options, extension headers,
//! fragments, a capture cut by its snap length, any malformed header — takes
//! the general path. Both give the same result for every input: a property
//! test compares them on generated frames (common, tagged, with options,
//! extension headers, fragments, wrong lengths, cut, padded, mutated), and
//! the `frame` fuzzing oracle on every fuzz input.
//!
//! It must not keep state, allocate, reassemble fragments or verify
//! checksums.

use core::fmt;
use core::net::IpAddr;

use super::ethernet::{self, EthernetErrorReason, VlanTags};
use super::ipv4::{self, Ipv4ErrorReason, Ipv4Packet};
use super::ipv6::{self, Ipv6ErrorReason, Ipv6Packet};
use super::tcp::{self, TcpError, TcpPacket};

/// The link-layer framing of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LinkType {
    /// Ethernet II, with optional 802.1Q / 802.1ad tags.
    Ethernet,
    /// Raw IP; the version comes from the first nibble.
    RawIp,
    /// Raw IPv4.
    Ipv4,
    /// Raw IPv6.
    Ipv6,
    /// Linux cooked capture v1 (16-byte header).
    LinuxSll,
    /// Linux cooked capture v2 (20-byte header).
    LinuxSll2,
    /// PPP (RFC 1661), with or without the 0xff 0x03 address/control bytes.
    Ppp,
    /// BSD loopback (`LINKTYPE_NULL`): a 4-byte address family in the
    /// capturing host's byte order (either is read).
    Null,
    /// OpenBSD loopback (`LINKTYPE_LOOP`): the 4-byte address family in
    /// network byte order.
    Loop,
}

impl LinkType {
    /// The link type of a pcap / pcapng `LINKTYPE_*` value: 1 Ethernet,
    /// 101 (and the platform-dependent DLT values 12 and 14) raw IP, 228
    /// IPv4, 229 IPv6, 113 Linux SLL, 276 Linux SLL2, 9 PPP, 0 BSD
    /// loopback, 108 OpenBSD loopback.
    pub const fn from_pcap(linktype: u32) -> Option<LinkType> {
        match linktype {
            0 => Some(LinkType::Null),
            1 => Some(LinkType::Ethernet),
            9 => Some(LinkType::Ppp),
            12 | 14 | 101 => Some(LinkType::RawIp),
            113 => Some(LinkType::LinuxSll),
            228 => Some(LinkType::Ipv4),
            229 => Some(LinkType::Ipv6),
            276 => Some(LinkType::LinuxSll2),
            108 => Some(LinkType::Loop),
            _ => None,
        }
    }

    /// The canonical pcap `LINKTYPE_*` value.
    pub const fn to_pcap(self) -> u32 {
        match self {
            LinkType::Ethernet => 1,
            LinkType::Ppp => 9,
            LinkType::RawIp => 101,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll2 => 276,
            LinkType::Null => 0,
            LinkType::Loop => 108,
        }
    }

    /// Every link type, for exhaustive tests.
    pub const ALL: [LinkType; 9] = [
        LinkType::Ethernet,
        LinkType::RawIp,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Ppp,
        LinkType::Null,
        LinkType::Loop,
    ];
}

/// Linux cooked capture (SLL) v1 header.
pub mod sll {
    /// Header length.
    pub const HEADER_LEN: usize = 16;
    /// Offset of the protocol (EtherType) field.
    pub const PROTOCOL: usize = 14;
}

/// Linux cooked capture v2 (SLL2) header.
pub mod sll2 {
    /// Header length.
    pub const HEADER_LEN: usize = 20;
    /// Offset of the protocol (EtherType) field.
    pub const PROTOCOL: usize = 0;
    /// Offset of the interface index.
    pub const IFINDEX: usize = 4;
}

/// PPP protocol numbers this crate reads.
pub mod ppp {
    /// IPv4.
    pub const IPV4: u16 = 0x0021;
    /// IPv6.
    pub const IPV6: u16 = 0x0057;
}

/// The BSD loopback header (`LINKTYPE_NULL`, `LINKTYPE_LOOP`).
pub mod null {
    /// Header length: the address family, 4 bytes.
    pub const HEADER_LEN: usize = 4;
    /// `AF_INET` on every system.
    pub const AF_INET: u32 = 2;
    /// `AF_INET6` as the BSDs, macOS and Linux number it (NetBSD / OpenBSD
    /// 24, FreeBSD 28, macOS 30, Linux 10), as libpcap and Wireshark read
    /// them.
    pub const AF_INET6: [u32; 4] = [24, 28, 30, 10];
}

/// The layer a [`FrameError`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Layer {
    /// The link header (Ethernet, VLAN, SLL, SLL2, PPP, loopback).
    Link,
    /// IPv4.
    Ipv4,
    /// IPv6 and its extension headers.
    Ipv6,
}

impl Layer {
    /// Lower-case name, for reports.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Link => "link",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv6 => "ipv6",
        }
    }
}

/// Why a frame could not be taken down to its IP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameErrorReason {
    /// The link header (SLL, SLL2, PPP) or the IP version byte is missing.
    LinkTruncated,
    /// Ethernet header or VLAN tags malformed.
    Ethernet(EthernetErrorReason),
    /// Not an IP frame: the EtherType (Ethernet, SLL, SLL2), PPP protocol
    /// or loopback address family (`u16::MAX` for one above it) carried.
    /// Not malformed — skip it quietly.
    NotIp(u16),
    /// Raw IP whose first nibble is neither 4 nor 6.
    UnknownIpVersion(u8),
    /// IPv4 header malformed.
    Ipv4(Ipv4ErrorReason),
    /// IPv6 header or extension chain malformed.
    Ipv6(Ipv6ErrorReason),
}

/// A frame that could not be taken down to its IP payload: where (offset
/// from the start of the frame) and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FrameError {
    /// Offset of the offending byte from the start of the frame.
    pub offset: usize,
    /// What is wrong.
    pub reason: FrameErrorReason,
}

impl FrameError {
    /// The layer the error comes from.
    pub const fn layer(&self) -> Layer {
        match self.reason {
            FrameErrorReason::LinkTruncated
            | FrameErrorReason::Ethernet(_)
            | FrameErrorReason::NotIp(_)
            | FrameErrorReason::UnknownIpVersion(_) => Layer::Link,
            FrameErrorReason::Ipv4(_) => Layer::Ipv4,
            FrameErrorReason::Ipv6(_) => Layer::Ipv6,
        }
    }

    /// Whether the frame is simply not IP (to be skipped, not reported).
    pub const fn is_not_ip(&self) -> bool {
        matches!(self.reason, FrameErrorReason::NotIp(_))
    }
}

impl fmt::Display for FrameErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameErrorReason::LinkTruncated => f.write_str("truncated link header"),
            FrameErrorReason::Ethernet(r) => r.fmt(f),
            FrameErrorReason::NotIp(p) => write!(f, "not IP (protocol {p:#06x})"),
            FrameErrorReason::UnknownIpVersion(v) => write!(f, "unknown IP version {v}"),
            FrameErrorReason::Ipv4(r) => r.fmt(f),
            FrameErrorReason::Ipv6(r) => r.fmt(f),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} at offset {}",
            self.layer().name(),
            self.reason,
            self.offset
        )
    }
}

/// The IP header of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IpHeader<'a> {
    /// IPv4, the view trimmed to the total length.
    V4(Ipv4Packet<&'a [u8]>),
    /// IPv6, the view trimmed to 40 + payload length.
    V6(Ipv6Packet<&'a [u8]>),
}

/// Fragmentation fields common to IPv4 and the IPv6 fragment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Fragment {
    /// Offset of this fragment in bytes.
    pub offset: u16,
    /// More fragments follow.
    pub more: bool,
    /// Identification (16 bits in IPv4, 32 in IPv6).
    pub ident: u32,
}

/// What the IP payload carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Transport<'a> {
    /// A TCP segment with a valid header (options not yet decoded).
    Tcp(TcpPacket<&'a [u8]>),
    /// Protocol TCP, but the header is malformed (offset relative to the
    /// TCP header, which starts at [`Frame::transport_offset`]).
    MalformedTcp(TcpError),
    /// A fragment other than the first: no transport header.
    NonFirstFragment,
    /// Another protocol (final next header for IPv6).
    Other {
        /// IP protocol number.
        protocol: u8,
    },
}

/// The inputs of the TCP/UDP checksum pseudo-header (RFC 9293 §3.1,
/// RFC 8200 §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PseudoHeader {
    /// Source address.
    pub src: IpAddr,
    /// Destination address: the IP header's. Behind an IPv6 routing
    /// header with segments left that is not the final destination, which
    /// the pseudo-header should hold (RFC 8200 §8.1); the dissector does
    /// not check such a segment's checksum (see
    /// [`ExtensionChain::routed`](crate::wire::ipv6::ExtensionChain::routed)).
    pub dst: IpAddr,
    /// Upper-layer protocol.
    pub protocol: u8,
    /// Upper-layer length: header and payload of the transport segment.
    pub length: u32,
}

/// A frame taken down to its transport layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Frame<'a> {
    /// The link type it was read as.
    pub link: LinkType,
    /// VLAN tags (empty except for Ethernet, SLL and SLL2 frames with tags).
    pub vlan: VlanTags,
    /// Offset of the IP header from the start of the frame.
    pub ip_offset: usize,
    /// The IP header view.
    pub ip: IpHeader<'a>,
    /// Offset of the transport header from the start of the frame.
    pub transport_offset: usize,
    /// Upper-layer protocol (IPv4 protocol or final IPv6 next header).
    pub protocol: u8,
    /// Fragmentation, if the packet is a fragment or has a fragment header.
    pub fragment: Option<Fragment>,
    /// The transport bytes (after IP options / extension headers), trimmed
    /// to the IP length: link padding is never included. Shorter than
    /// [`transport_len`](Self::transport_len) when the capture was cut by
    /// its snap length.
    pub transport_bytes: &'a [u8],
    /// Length of the transport segment on the wire, from the IP header
    /// (IPv4 total length or IPv6 payload length, less IP options and
    /// extension headers; the captured length for an IPv6 jumbogram or an
    /// IPv4 total length of 0). For a first fragment, the fragment's part
    /// of the segment: the rest is in fragments the dissector does not
    /// reassemble, so such a segment counts short in sequence space.
    pub transport_len: u32,
    /// What the transport bytes are.
    pub transport: Transport<'a>,
}

impl<'a> Frame<'a> {
    /// 4 or 6.
    pub fn ip_version(&self) -> u8 {
        match self.ip {
            IpHeader::V4(_) => 4,
            IpHeader::V6(_) => 6,
        }
    }

    /// Source address.
    #[inline]
    pub fn src(&self) -> IpAddr {
        match self.ip {
            IpHeader::V4(p) => IpAddr::V4(p.src_addr()),
            IpHeader::V6(p) => IpAddr::V6(p.src_addr()),
        }
    }

    /// Destination address.
    #[inline]
    pub fn dst(&self) -> IpAddr {
        match self.ip {
            IpHeader::V4(p) => IpAddr::V4(p.dst_addr()),
            IpHeader::V6(p) => IpAddr::V6(p.dst_addr()),
        }
    }

    /// The TCP view, if the frame carries a valid TCP header.
    pub fn tcp(&self) -> Option<TcpPacket<&'a [u8]>> {
        match self.transport {
            Transport::Tcp(t) => Some(t),
            _ => None,
        }
    }

    /// The pseudo-header inputs for the transport checksum.
    pub fn pseudo_header(&self) -> PseudoHeader {
        // The on-wire length, also for a capture cut by its snap length.
        PseudoHeader {
            src: self.src(),
            dst: self.dst(),
            protocol: self.protocol,
            length: self.transport_len,
        }
    }
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    match data.get(at..at.checked_add(2)?) {
        Some(&[a, b]) => Some(u16::from_be_bytes([a, b])),
        _ => None,
    }
}

const fn truncated(offset: usize) -> FrameError {
    FrameError {
        offset,
        reason: FrameErrorReason::LinkTruncated,
    }
}

fn tags_or_err(walk: (VlanTags, Option<ethernet::EthernetError>)) -> Result<VlanTags, FrameError> {
    match walk {
        (tags, None) => Ok(tags),
        (_, Some(e)) => Err(FrameError {
            offset: e.offset,
            reason: FrameErrorReason::Ethernet(e.reason),
        }),
    }
}

/// Which IP version the link says the payload is.
#[derive(Clone, Copy)]
enum Ip {
    V4,
    V6,
    /// From the first nibble.
    Sniff,
}

fn ip_from_ethertype(ethertype: u16) -> Option<Ip> {
    match ethertype {
        ethernet::ethertype::IPV4 => Some(Ip::V4),
        ethernet::ethertype::IPV6 => Some(Ip::V6),
        _ => None,
    }
}

/// Parses the link header: VLAN tags, where IP starts, and which version.
fn parse_link(data: &[u8], link: LinkType) -> Result<(VlanTags, usize, Ip), FrameError> {
    let from_ethertype = |tags: VlanTags| match ip_from_ethertype(tags.ethertype()) {
        Some(ip) => Ok((tags, tags.payload_offset(), ip)),
        None => Err(FrameError {
            offset: tags.payload_offset(),
            reason: FrameErrorReason::NotIp(tags.ethertype()),
        }),
    };
    match link {
        LinkType::Ethernet => {
            let tags = tags_or_err(ethernet::walk_vlan_tags(
                data,
                ethernet::field::ETHERTYPE.start,
            ))?;
            from_ethertype(tags)
        }
        LinkType::LinuxSll => {
            let proto = be16(data, sll::PROTOCOL).ok_or(truncated(data.len()))?;
            let tags = tags_or_err(ethernet::vlan_tags_after(data, proto, sll::HEADER_LEN))?;
            from_ethertype(tags)
        }
        LinkType::LinuxSll2 => {
            if data.len() < sll2::HEADER_LEN {
                return Err(truncated(data.len()));
            }
            let proto = be16(data, sll2::PROTOCOL).ok_or(truncated(data.len()))?;
            let tags = tags_or_err(ethernet::vlan_tags_after(data, proto, sll2::HEADER_LEN))?;
            from_ethertype(tags)
        }
        LinkType::Ppp => {
            let mut at = 0usize;
            if data.get(..2) == Some(&[0xff, 0x03][..]) {
                at = 2;
            }
            let first = *data.get(at).ok_or(truncated(at))?;
            // Protocol-field compression: an odd first byte is a one-byte
            // protocol number (RFC 1661 §6.5).
            let (proto, len) = if first & 1 == 1 {
                (u16::from(first), 1)
            } else {
                (be16(data, at).ok_or(truncated(data.len()))?, 2)
            };
            let payload = at.saturating_add(len);
            let tags = VlanTags::default();
            match proto {
                ppp::IPV4 => Ok((tags, payload, Ip::V4)),
                ppp::IPV6 => Ok((tags, payload, Ip::V6)),
                _ => Err(FrameError {
                    offset: at,
                    reason: FrameErrorReason::NotIp(proto),
                }),
            }
        }
        LinkType::Null | LinkType::Loop => {
            let b: [u8; 4] = data
                .get(..null::HEADER_LEN)
                .and_then(|b| b.try_into().ok())
                .ok_or(truncated(data.len()))?;
            // NULL is in the capturing host's byte order: a family read
            // the other way round has its value in the upper half.
            let be = u32::from_be_bytes(b);
            let family = if link == LinkType::Null && be > 0xffff {
                u32::from_le_bytes(b)
            } else {
                be
            };
            let tags = VlanTags::default();
            match family {
                null::AF_INET => Ok((tags, null::HEADER_LEN, Ip::V4)),
                f if null::AF_INET6.contains(&f) => Ok((tags, null::HEADER_LEN, Ip::V6)),
                f => Err(FrameError {
                    offset: 0,
                    reason: FrameErrorReason::NotIp(u16::try_from(f).unwrap_or(u16::MAX)),
                }),
            }
        }
        LinkType::RawIp => Ok((VlanTags::default(), 0, Ip::Sniff)),
        LinkType::Ipv4 => Ok((VlanTags::default(), 0, Ip::V4)),
        LinkType::Ipv6 => Ok((VlanTags::default(), 0, Ip::V6)),
    }
}

fn tcp_or_malformed(bytes: &[u8]) -> Transport<'_> {
    match TcpPacket::new_checked(bytes) {
        Ok(t) => Transport::Tcp(t),
        Err(e) => Transport::MalformedTcp(e),
    }
}

/// Takes a captured frame of link type `link` down to its transport layer.
///
/// Link padding after the IP packet is dropped (except after an IPv4
/// packet of total length 0, a sender's capture under segmentation
/// offload, or an IPv6 jumbogram: both run to the end of the frame). A
/// capture cut by its snap
/// length inside the IP packet is dissected as far as its bytes go: the IP
/// header must be whole, the TCP header too (else
/// [`Transport::MalformedTcp`]), and [`Frame::transport_len`] keeps the
/// on-wire length while [`Frame::transport_bytes`] holds what was captured.
#[inline]
pub fn parse_frame(data: &[u8], link: LinkType) -> Result<Frame<'_>, FrameError> {
    match fast(data, link) {
        Some(frame) => Ok(frame),
        None => general(data, link),
    }
}

/// The fast path of [`parse_frame`] (see the module docs): `None` unless
/// the frame is Ethernet with at most one VLAN tag, then IPv4 with IHL 5,
/// MF clear and fragment offset 0, protocol TCP, or IPv6 with next header
/// TCP; the IP packet within the capture and its payload a TCP header with
/// `20 <= data offset × 4 <= segment`. Where it answers, it answers what
/// [`general`] does (the test `fast_path_is_general` and the `frame`
/// fuzzing oracle compare them).
#[inline(always)]
pub(crate) fn fast(data: &[u8], link: LinkType) -> Option<Frame<'_>> {
    if link != LinkType::Ethernet {
        return None;
    }
    let (&[.., t0, t1], rest) = data.split_first_chunk::<{ ethernet::HEADER_LEN }>()?;
    let outer = u16::from_be_bytes([t0, t1]);
    let (tag, count, ethertype, ip_offset, ip_data) = match outer {
        ethernet::ethertype::IPV4 | ethernet::ethertype::IPV6 => {
            let none = ethernet::VlanTag::default();
            (none, 0, outer, ethernet::HEADER_LEN, rest)
        }
        _ if ethernet::ethertype::is_vlan_tpid(outer) => {
            let (&[c0, c1, e0, e1], rest) =
                rest.split_first_chunk::<{ ethernet::VLAN_TAG_LEN }>()?;
            let tag = ethernet::VlanTag::from_tci(outer, u16::from_be_bytes([c0, c1]));
            const AT: usize = ethernet::HEADER_LEN + ethernet::VLAN_TAG_LEN;
            (tag, 1, u16::from_be_bytes([e0, e1]), AT, rest)
        }
        _ => return None,
    };
    // The IP packet, trimmed to its length.
    let (packet, v4) = match ethertype {
        ethernet::ethertype::IPV4 => {
            let &[ver_ihl, _, l0, l1, _, _, f0, f1, _, protocol, ..] =
                ip_data.first_chunk::<{ ipv4::HEADER_LEN }>()?;
            // No options, not a fragment (MF clear, offset 0), TCP.
            if ver_ihl != 0x45 || (f0 & 0x3f) | f1 != 0 || protocol != ipv4::protocol::TCP {
                return None;
            }
            (
                ip_data.get(..usize::from(u16::from_be_bytes([l0, l1])))?,
                true,
            )
        }
        ethernet::ethertype::IPV6 => {
            let &[ver, _, _, _, l0, l1, next, ..] =
                ip_data.first_chunk::<{ ipv6::HEADER_LEN }>()?;
            // TCP right after the fixed header (so not a jumbogram).
            if ver >> 4 != 6 || next != ipv6::next_header::TCP {
                return None;
            }
            let end = usize::from(u16::from_be_bytes([l0, l1])).wrapping_add(ipv6::HEADER_LEN);
            (ip_data.get(..end)?, false)
        }
        _ => return None,
    };
    let (ip, transport_at) = if v4 {
        (
            IpHeader::V4(Ipv4Packet::new_unchecked(packet)),
            ipv4::HEADER_LEN,
        )
    } else {
        (
            IpHeader::V6(Ipv6Packet::new_unchecked(packet)),
            ipv6::HEADER_LEN,
        )
    };
    let bytes = packet.get(transport_at..)?;
    // A whole TCP header: 20 <= data offset × 4 <= segment.
    let &[.., doff, _, _, _, _, _, _, _] = bytes.first_chunk::<{ tcp::HEADER_LEN }>()?;
    let header_len = usize::from(doff >> 4).wrapping_mul(4);
    if header_len < tcp::HEADER_LEN || header_len > bytes.len() {
        return None;
    }
    Some(Frame {
        link,
        vlan: VlanTags::at_most_one(tag, count, ethertype, ip_offset),
        ip_offset,
        ip,
        transport_offset: ip_offset.wrapping_add(transport_at),
        protocol: ipv4::protocol::TCP,
        fragment: None,
        transport_bytes: bytes,
        // At most 65 535 - 20 (IPv4) or 65 535 (IPv6).
        transport_len: bytes.len() as u32,
        transport: Transport::Tcp(TcpPacket::new_unchecked(bytes)),
    })
}

/// The general path of [`parse_frame`]: every link type and layout.
pub(crate) fn general<'a>(data: &'a [u8], link: LinkType) -> Result<Frame<'a>, FrameError> {
    let (vlan, ip_offset, ip) = parse_link(data, link)?;
    let ip_data = data.get(ip_offset..).ok_or(truncated(data.len()))?;
    let ip = match ip {
        Ip::Sniff => match ip_data.first().map(|b| b >> 4) {
            Some(4) => Ip::V4,
            Some(6) => Ip::V6,
            Some(v) => {
                return Err(FrameError {
                    offset: ip_offset,
                    reason: FrameErrorReason::UnknownIpVersion(v),
                })
            }
            None => return Err(truncated(ip_offset)),
        },
        known => known,
    };
    let frame = |ip, transport_at: usize, protocol, fragment, bytes: &'a [u8], wire_end: usize| {
        let transport = match fragment {
            Some(Fragment { offset, .. }) if offset != 0 => Transport::NonFirstFragment,
            _ if protocol == ipv4::protocol::TCP => tcp_or_malformed(bytes),
            _ => Transport::Other { protocol },
        };
        Frame {
            link,
            vlan,
            ip_offset,
            ip,
            transport_offset: ip_offset.saturating_add(transport_at),
            protocol,
            fragment,
            transport_bytes: bytes,
            transport_len: u32::try_from(wire_end.saturating_sub(transport_at)).unwrap_or(u32::MAX),
            transport,
        }
    };
    match ip {
        Ip::V4 => {
            // A capture cut by its snap length inside the IP packet keeps
            // whatever headers it has; the frame says how long it was.
            let wire_end = match Ipv4Packet::new_checked(ip_data) {
                Ok(checked) => usize::from(checked.total_len()),
                Err(e) => match e.reason {
                    Ipv4ErrorReason::TotalLengthBeyondBuffer { total_len, .. } => {
                        usize::from(total_len)
                    }
                    // 0: a sender's capture under TCP segmentation offload
                    // (Wireshark: "reported as 0, presumed to be because of
                    // TSO") or an IPv4 BIG TCP segment: the packet extends
                    // to the end of the capture, as the IPv6 jumbogram does.
                    Ipv4ErrorReason::TotalLengthTooSmall { total_len: 0, .. } => ip_data.len(),
                    reason => {
                        return Err(FrameError {
                            offset: ip_offset.saturating_add(e.offset),
                            reason: FrameErrorReason::Ipv4(reason),
                        })
                    }
                },
            };
            let trimmed = ip_data.get(..wire_end).unwrap_or(ip_data);
            let pkt = Ipv4Packet::new_unchecked(trimmed);
            let protocol = pkt.protocol();
            let fragment = pkt.is_fragment().then(|| Fragment {
                offset: pkt.frag_offset(),
                more: pkt.more_frags(),
                ident: u32::from(pkt.ident()),
            });
            let bytes = trimmed.get(pkt.payload_offset()..).unwrap_or(&[]);
            Ok(frame(
                IpHeader::V4(pkt),
                pkt.payload_offset(),
                protocol,
                fragment,
                bytes,
                wire_end,
            ))
        }
        Ip::V6 => {
            let checked = match Ipv6Packet::new_checked(ip_data) {
                Ok(p) => p,
                // Cut by the snap length: keep the headers that are there.
                Err(e) if matches!(e.reason, Ipv6ErrorReason::PayloadLengthBeyondBuffer { .. }) => {
                    Ipv6Packet::new_unchecked(ip_data)
                }
                Err(e) => {
                    return Err(FrameError {
                        offset: ip_offset.saturating_add(e.offset),
                        reason: FrameErrorReason::Ipv6(e.reason),
                    })
                }
            };
            let jumbo = checked.payload_len() == 0
                && checked.next_header() == ipv6::next_header::HOP_BY_HOP;
            let wire_end = if jumbo {
                ip_data.len()
            } else {
                ipv6::HEADER_LEN.saturating_add(usize::from(checked.payload_len()))
            };
            let trimmed = ip_data.get(..wire_end).unwrap_or(ip_data);
            let pkt = Ipv6Packet::new_unchecked(trimmed);
            // A checked packet's chain is whole; a cut one's must be too
            // (the IP header, extension headers included, must be whole).
            let chain = pkt.try_extensions().map_err(|e| FrameError {
                offset: ip_offset.saturating_add(e.offset),
                reason: FrameErrorReason::Ipv6(e.reason),
            })?;
            let protocol = chain.next_header;
            let fragment = chain.fragment.map(|f| Fragment {
                offset: f.offset,
                more: f.more,
                ident: f.ident,
            });
            let bytes = trimmed.get(chain.transport_offset..).unwrap_or(&[]);
            Ok(frame(
                IpHeader::V6(pkt),
                chain.transport_offset,
                protocol,
                fragment,
                bytes,
                wire_end,
            ))
        }
        Ip::Sniff => Err(truncated(ip_offset)),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use proptest::prelude::*;

    use super::*;

    /// A TCP segment: data offset `doff`, `opts` option bytes (NOPs; the
    /// data offset need not match), then `payload`.
    fn tcp(doff: u8, opts: usize, payload: &[u8]) -> Vec<u8> {
        let mut t = vec![0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 2];
        t.extend_from_slice(&[doff << 4, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend(core::iter::repeat_n(1u8, opts));
        t.extend_from_slice(payload);
        t
    }

    fn ipv4(ihl: u8, frag: u16, protocol: u8, payload: &[u8]) -> Vec<u8> {
        let header = usize::from(ihl) * 4;
        let total = (header.max(20) + payload.len()) as u16;
        let mut b = vec![0x40 | ihl, 0];
        b.extend_from_slice(&total.to_be_bytes());
        b.extend_from_slice(&[0x12, 0x34]);
        b.extend_from_slice(&frag.to_be_bytes());
        b.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        b.resize(header.max(20), 1);
        b.extend_from_slice(payload);
        b
    }

    fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0x60, 0, 0, 0];
        b.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        b.extend_from_slice(&[next, 64]);
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        b.extend_from_slice(payload);
        b
    }

    fn ethernet(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        for &(tpid, tci) in tags {
            b.extend_from_slice(&tpid.to_be_bytes());
            b.extend_from_slice(&tci.to_be_bytes());
        }
        b.extend_from_slice(&ethertype.to_be_bytes());
        b.extend_from_slice(payload);
        b
    }

    /// Both paths agree on `data`; returns whether the fast path answered.
    fn same(data: &[u8], link: LinkType) -> bool {
        let general = general(data, link);
        let fast = fast(data, link);
        if let Some(f) = fast {
            assert_eq!(Ok(f), general, "fast path differs on {data:02x?}");
        }
        assert_eq!(parse_frame(data, link), general);
        fast.is_some()
    }

    #[test]
    fn fast_path_covers_the_common_layouts() {
        let seg = tcp(8, 12, b"payload");
        for tags in [
            &[][..],
            &[(0x8100, 0xe00a)],
            &[(0x88a8, 7)],
            &[(0x9100, 0x1fff)],
        ] {
            let v4 = ethernet(tags, 0x0800, &ipv4(5, 0x4000, 6, &seg));
            let v6 = ethernet(tags, 0x86dd, &ipv6(6, &seg));
            for data in [&v4, &v6] {
                assert!(same(data, LinkType::Ethernet), "{data:02x?}");
                // Link padding is dropped by both.
                let mut padded = data.clone();
                padded.extend_from_slice(&[0; 9]);
                assert!(same(&padded, LinkType::Ethernet));
                let f = parse_frame(&padded, LinkType::Ethernet).unwrap();
                assert_eq!(f.vlan.len(), tags.len());
                assert_eq!(f.tcp().unwrap().payload(), b"payload");
            }
        }
    }

    #[test]
    fn fast_path_defers_everything_else() {
        let seg = tcp(5, 0, b"x");
        let eth = |tags: &[(u16, u16)], ethertype, ip: &[u8]| ethernet(tags, ethertype, ip);
        let cases: Vec<(Vec<u8>, LinkType)> = vec![
            // Other link types.
            (ipv4(5, 0, 6, &seg), LinkType::RawIp),
            (ipv4(5, 0, 6, &seg), LinkType::Ipv4),
            // Two tags, not IP, IPv4 options, fragments, not TCP.
            (
                eth(&[(0x88a8, 1), (0x8100, 2)], 0x0800, &ipv4(5, 0, 6, &seg)),
                LinkType::Ethernet,
            ),
            (eth(&[], 0x0806, &ipv4(5, 0, 6, &seg)), LinkType::Ethernet),
            (eth(&[], 0x0800, &ipv4(6, 0, 6, &seg)), LinkType::Ethernet),
            (
                eth(&[], 0x0800, &ipv4(5, 0x2000, 6, &seg)),
                LinkType::Ethernet,
            ),
            (
                eth(&[], 0x0800, &ipv4(5, 0x0001, 6, &seg)),
                LinkType::Ethernet,
            ),
            (eth(&[], 0x0800, &ipv4(5, 0, 17, &seg)), LinkType::Ethernet),
            // Malformed TCP.
            (
                eth(&[], 0x0800, &ipv4(5, 0, 6, &tcp(4, 0, b""))),
                LinkType::Ethernet,
            ),
            (
                eth(&[], 0x0800, &ipv4(5, 0, 6, &tcp(15, 0, b""))),
                LinkType::Ethernet,
            ),
            (
                eth(&[], 0x0800, &ipv4(5, 0, 6, &seg[..19])),
                LinkType::Ethernet,
            ),
            // IPv6 extension headers, a version mismatch.
            (
                eth(
                    &[],
                    0x86dd,
                    &ipv6(60, &[[6, 0, 1, 4, 0, 0, 0, 0].as_slice(), &seg].concat()),
                ),
                LinkType::Ethernet,
            ),
            (eth(&[], 0x86dd, &ipv4(5, 0, 6, &seg)), LinkType::Ethernet),
        ];
        for (data, link) in &cases {
            assert!(!same(data, *link), "{data:02x?}");
        }
        // Cut by the snap length inside the TCP payload or header.
        let whole = ethernet(&[], 0x0800, &ipv4(5, 0, 6, &tcp(5, 0, b"abcdef")));
        for cut in 14..whole.len() {
            assert!(!same(&whole[..cut], LinkType::Ethernet));
        }
    }

    /// A VLAN TPID, mostly; else another EtherType, so that what follows
    /// is not a tag.
    fn tpid() -> impl Strategy<Value = u16> {
        prop_oneof![
            4 => Just(0x8100),
            1 => Just(0x88a8),
            1 => Just(0x9100),
            1 => prop::sample::select(vec![0x0800, 0x86dd, 0x0806, 0x8847]),
            1 => any::<u16>(),
        ]
    }

    /// How a length field is set: right, off by a little, or anything.
    fn length_fix() -> impl Strategy<Value = Option<i32>> {
        prop_oneof![6 => Just(None), 2 => (-45..45i32).prop_map(Some), 1 => (0..=0xffff).prop_map(|v: i32| Some(v + 0x10000))]
    }

    fn fix(len: usize, how: Option<i32>) -> u16 {
        match how {
            None => len as u16,
            Some(v) if v >= 0x10000 => (v - 0x10000) as u16,
            Some(d) => (len as i32 + d).clamp(0, 0xffff) as u16,
        }
    }

    /// An IPv4 packet (options, fragments, protocols, lengths) around `seg`.
    fn v4_packet() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![8 => Just(4u8), 1 => 0..16u8],
            prop_oneof![6 => Just(5u8), 1 => 0..16u8],
            prop_oneof![4 => Just(0u16), 2 => Just(0x4000), 1 => Just(0x2000), 1 => any::<u16>()],
            prop_oneof![6 => Just(6u8), 1 => any::<u8>()],
            length_fix(),
            tcp_segment(),
        )
            .prop_map(|(version, ihl, frag, protocol, len, seg)| {
                let mut p = ipv4(ihl, frag, protocol, &seg);
                p[0] = version << 4 | ihl;
                let total = fix(p.len(), len);
                p[2..4].copy_from_slice(&total.to_be_bytes());
                p
            })
    }

    /// An IPv6 packet (extension headers, jumbograms, lengths) around `seg`.
    fn v6_packet() -> impl Strategy<Value = Vec<u8>> {
        let ext = (
            prop::sample::select(vec![0u8, 43, 44, 51, 60, 59, 17]),
            0..3u8,
            any::<[u8; 6]>(),
        );
        (
            prop_oneof![8 => Just(6u8), 1 => 0..16u8],
            prop_oneof![3 => Just(vec![]), 1 => prop::collection::vec(ext, 1..4)],
            prop_oneof![6 => Just(6u8), 1 => any::<u8>()],
            length_fix(),
            tcp_segment(),
        )
            .prop_map(|(version, exts, last, len, seg)| {
                // The chain: each header names the next; its length byte
                // is small so that the walk usually stays in the packet.
                let mut body = Vec::new();
                let mut first = last;
                for (i, &(kind, hlen, fill)) in exts.iter().enumerate().rev() {
                    let next = if i + 1 == exts.len() {
                        last
                    } else {
                        exts[i + 1].0
                    };
                    let mut h = vec![next, hlen];
                    h.extend_from_slice(&fill);
                    let words = if kind == 51 {
                        usize::from(hlen) + 2
                    } else {
                        2 * (usize::from(hlen) + 1)
                    };
                    h.resize(words * 4, 0);
                    h.extend_from_slice(&body);
                    body = h;
                    first = kind;
                }
                body.extend_from_slice(&seg);
                let mut p = ipv6(first, &body);
                p[0] = version << 4;
                let payload = fix(p.len() - 40, len);
                p[4..6].copy_from_slice(&payload.to_be_bytes());
                p
            })
    }

    fn tcp_segment() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![8 => 5..=15u8, 1 => 0..5u8],
            0..44usize,
            prop::collection::vec(any::<u8>(), 0..48),
        )
            .prop_map(|(doff, opts, payload)| tcp(doff, opts, &payload))
    }

    /// Frames around the fast path's edges: mostly Ethernet with zero to
    /// a few tags, IPv4 or IPv6 (or another EtherType), then link padding,
    /// a snap-length cut or a mutated byte.
    fn frame() -> impl Strategy<Value = (Vec<u8>, LinkType)> {
        let tags = prop_oneof![
            4 => Just(vec![]),
            3 => prop::collection::vec((tpid(), any::<u16>()), 1..2),
            1 => prop::collection::vec((tpid(), any::<u16>()), 2..6),
        ];
        let link = prop_oneof![
            12 => Just(LinkType::Ethernet),
            1 => prop::sample::select(LinkType::ALL.to_vec()),
        ];
        let ip = prop_oneof![
            5 => v4_packet().prop_map(|p| (0x0800u16, p)),
            3 => v6_packet().prop_map(|p| (0x86ddu16, p)),
            1 => (any::<u16>(), prop_oneof![v4_packet(), v6_packet()]),
            1 => (Just(0x0800u16), v6_packet()),
        ];
        let damage = prop_oneof![
            6 => Just(None),
            2 => (0..16usize).prop_map(|n| Some((0, n, 0u8))),
            1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Some((1, i.index(1 << 16), b))),
            1 => any::<prop::sample::Index>().prop_map(|i| Some((2, i.index(1 << 16), 0))),
        ];
        (link, tags, ip, damage).prop_map(|(link, tags, (ethertype, packet), damage)| {
            let mut data = ethernet(&tags, ethertype, &packet);
            match damage {
                None => {}
                // Link padding.
                Some((0, n, _)) => data.extend(core::iter::repeat_n(0x5a, n)),
                // One byte changed.
                Some((1, i, b)) => {
                    let i = i % data.len();
                    data[i] = b;
                }
                // Cut by the snap length.
                Some((_, i, _)) => data.truncate(i % (data.len() + 1)),
            }
            (data, link)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Whatever the fast path answers, the general path answers too.
        #[test]
        fn fast_path_is_general((data, link) in frame()) {
            same(&data, link);
        }
    }
}
