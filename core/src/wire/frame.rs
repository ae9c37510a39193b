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
//! It must not keep state, allocate, reassemble fragments or verify
//! checksums.

use core::fmt;
use core::net::IpAddr;

use super::ethernet::{self, EthernetErrorReason, VlanTags};
use super::ipv4::{self, Ipv4ErrorReason, Ipv4Packet};
use super::ipv6::{self, Ipv6ErrorReason, Ipv6Packet};
use super::tcp::{TcpError, TcpPacket};

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
}

impl LinkType {
    /// The link type of a pcap / pcapng `LINKTYPE_*` value: 1 Ethernet,
    /// 101 (and the platform-dependent DLT values 12 and 14) raw IP, 228
    /// IPv4, 229 IPv6, 113 Linux SLL, 276 Linux SLL2, 9 PPP.
    pub const fn from_pcap(linktype: u32) -> Option<LinkType> {
        match linktype {
            1 => Some(LinkType::Ethernet),
            9 => Some(LinkType::Ppp),
            12 | 14 | 101 => Some(LinkType::RawIp),
            113 => Some(LinkType::LinuxSll),
            228 => Some(LinkType::Ipv4),
            229 => Some(LinkType::Ipv6),
            276 => Some(LinkType::LinuxSll2),
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
        }
    }

    /// Every link type, for exhaustive tests.
    pub const ALL: [LinkType; 7] = [
        LinkType::Ethernet,
        LinkType::RawIp,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Ppp,
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

/// The layer a [`FrameError`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Layer {
    /// The link header (Ethernet, VLAN, SLL, SLL2, PPP).
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
    /// Not an IP frame: the EtherType (Ethernet, SLL, SLL2) or PPP protocol
    /// carried. Not malformed — skip it quietly.
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
    /// Destination address (the final one; a routing header is not
    /// followed).
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
    /// extension headers; the captured length for an IPv6 jumbogram).
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
    pub fn src(&self) -> IpAddr {
        match self.ip {
            IpHeader::V4(p) => IpAddr::V4(p.src_addr()),
            IpHeader::V6(p) => IpAddr::V6(p.src_addr()),
        }
    }

    /// Destination address.
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
/// Link padding after the IP packet is dropped. A capture cut by its snap
/// length inside the IP packet is dissected as far as its bytes go: the IP
/// header must be whole, the TCP header too (else
/// [`Transport::MalformedTcp`]), and [`Frame::transport_len`] keeps the
/// on-wire length while [`Frame::transport_bytes`] holds what was captured.
pub fn parse_frame<'a>(data: &'a [u8], link: LinkType) -> Result<Frame<'a>, FrameError> {
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
            let chain = pkt.extensions();
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
