//! IPv6 header view and the walk over its extension headers.
//!
//! This module owns the fixed IPv6 header (payload length — the payload is
//! trimmed to it, so link padding never reaches TCP —, next header,
//! addresses) and the walk over the extension headers that may precede TCP:
//! hop-by-hop options (0), routing (43), fragment (44), destination options
//! (60) and the authentication header (51). The walk is bounded by
//! [`MAX_EXTENSION_HEADERS`]; it stops at the first other next header
//! (ESP 50 is opaque and ends the walk, as does "no next header" 59) and at a
//! non-first fragment, whose payload carries no transport header.
//!
//! It must not keep state, allocate, reassemble fragments, or interpret
//! options inside the extension headers.

use core::fmt;
use core::net::Ipv6Addr;

/// Byte ranges of the fixed IPv6 header.
pub mod field {
    /// A range of bytes within a header.
    pub type Field = core::ops::Range<usize>;
    /// Version (4 bits), traffic class (8 bits), flow label (20 bits).
    pub const VER_TC_FLOW: Field = 0..4;
    /// Payload length.
    pub const LENGTH: Field = 4..6;
    /// Next header.
    pub const NXT_HDR: usize = 6;
    /// Hop limit.
    pub const HOP_LIMIT: usize = 7;
    /// Source address.
    pub const SRC_ADDR: Field = 8..24;
    /// Destination address.
    pub const DST_ADDR: Field = 24..40;
}

/// Length of the fixed IPv6 header.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// The longest chain of extension headers walked; a longer one is an error.
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// Next-header values relevant to the walk.
pub mod next_header {
    /// Hop-by-hop options.
    pub const HOP_BY_HOP: u8 = 0;
    /// TCP.
    pub const TCP: u8 = 6;
    /// Routing header.
    pub const ROUTING: u8 = 43;
    /// Fragment header.
    pub const FRAGMENT: u8 = 44;
    /// Encapsulating security payload (opaque: ends the walk).
    pub const ESP: u8 = 50;
    /// Authentication header.
    pub const AUTH: u8 = 51;
    /// No next header.
    pub const NO_NEXT: u8 = 59;
    /// Destination options.
    pub const DEST_OPTS: u8 = 60;
}

/// Length of the IPv6 fragment header.
pub const FRAGMENT_HEADER_LEN: usize = 8;

/// Why an IPv6 packet was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Ipv6ErrorReason {
    /// Fewer than 40 bytes.
    Truncated {
        /// Bytes available.
        available: usize,
    },
    /// The version nibble is not 6.
    BadVersion(u8),
    /// 40 + payload length is larger than the buffer.
    PayloadLengthBeyondBuffer {
        /// Payload length field.
        payload_len: u16,
        /// Bytes available after the fixed header.
        available: usize,
    },
    /// An extension header runs past the end of the payload.
    ExtensionHeaderTruncated {
        /// The extension header's own next-header type (0, 43, 44, 51, 60).
        header: u8,
    },
    /// More than [`MAX_EXTENSION_HEADERS`] extension headers.
    TooManyExtensionHeaders,
}

/// A malformed IPv6 packet: offset from the start of the IPv6 header of the
/// offending field or extension header, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6Error {
    /// Offset from the start of the IPv6 header.
    pub offset: usize,
    /// What is wrong.
    pub reason: Ipv6ErrorReason,
}

impl fmt::Display for Ipv6ErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Ipv6ErrorReason::Truncated { available } => {
                write!(f, "truncated header ({available} of {HEADER_LEN} bytes)")
            }
            Ipv6ErrorReason::BadVersion(v) => write!(f, "version {v} is not 6"),
            Ipv6ErrorReason::PayloadLengthBeyondBuffer {
                payload_len,
                available,
            } => write!(
                f,
                "payload length {payload_len} beyond the {available} bytes available"
            ),
            Ipv6ErrorReason::ExtensionHeaderTruncated { header } => {
                write!(f, "extension header {header} truncated")
            }
            Ipv6ErrorReason::TooManyExtensionHeaders => {
                write!(f, "more than {MAX_EXTENSION_HEADERS} extension headers")
            }
        }
    }
}

impl fmt::Display for Ipv6Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ipv6: {} at offset {}", self.reason, self.offset)
    }
}

/// The fragment header, if the chain has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6Fragment {
    /// Fragment offset in bytes.
    pub offset: u16,
    /// The M (more fragments) flag.
    pub more: bool,
    /// Identification.
    pub ident: u32,
}

/// The outcome of walking the extension-header chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ExtensionChain {
    /// The next-header value after the last extension header walked (6 for
    /// TCP). For a non-first fragment, the fragment header's next header.
    pub next_header: u8,
    /// Offset of the transport header (or of the unwalked payload) from the
    /// start of the IPv6 header.
    pub transport_offset: usize,
    /// Number of extension headers walked.
    pub count: u8,
    /// The fragment header, if any.
    pub fragment: Option<Ipv6Fragment>,
    /// A routing header with segments left was walked: the IPv6 header's
    /// destination is not the packet's final one (RFC 8200 §8.1: the
    /// upper-layer checksum's pseudo-header uses the final destination).
    pub routed: bool,
}

impl ExtensionChain {
    /// Whether the walk stopped at a non-first fragment (no transport
    /// header follows).
    pub fn is_non_first_fragment(&self) -> bool {
        matches!(self.fragment, Some(f) if f.offset != 0)
    }
}

fn be16(data: &[u8], at: usize) -> u16 {
    match data.get(at..at.saturating_add(2)) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

fn be32(data: &[u8], at: usize) -> u32 {
    match data.get(at..at.saturating_add(4)) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Walks the extension headers of `packet` (the whole IPv6 packet, already
/// trimmed to 40 + payload length) starting with `first` as next header.
fn walk(packet: &[u8], first: u8) -> Result<ExtensionChain, Ipv6Error> {
    let mut chain = ExtensionChain {
        next_header: first,
        transport_offset: HEADER_LEN,
        count: 0,
        fragment: None,
        routed: false,
    };
    loop {
        let nh = chain.next_header;
        let at = chain.transport_offset;
        let len = match nh {
            next_header::HOP_BY_HOP | next_header::ROUTING | next_header::DEST_OPTS => packet
                .get(at.saturating_add(1))
                .map(|&l| usize::from(l).wrapping_add(1).wrapping_mul(8)),
            next_header::AUTH => packet
                .get(at.saturating_add(1))
                .map(|&l| usize::from(l).wrapping_add(2).wrapping_mul(4)),
            next_header::FRAGMENT => Some(FRAGMENT_HEADER_LEN),
            _ => return Ok(chain),
        };
        let truncated = Ipv6Error {
            offset: at,
            reason: Ipv6ErrorReason::ExtensionHeaderTruncated { header: nh },
        };
        let end = len.and_then(|l| at.checked_add(l)).ok_or(truncated)?;
        if end > packet.len() {
            return Err(truncated);
        }
        if usize::from(chain.count) >= MAX_EXTENSION_HEADERS {
            return Err(Ipv6Error {
                offset: at,
                reason: Ipv6ErrorReason::TooManyExtensionHeaders,
            });
        }
        chain.count = chain.count.saturating_add(1);
        if nh == next_header::ROUTING && packet.get(at.saturating_add(3)).is_some_and(|&l| l != 0) {
            chain.routed = true;
        }
        chain.next_header = packet.get(at).copied().unwrap_or(next_header::NO_NEXT);
        chain.transport_offset = end;
        if nh == next_header::FRAGMENT {
            let off_m = be16(packet, at.saturating_add(2));
            let frag = Ipv6Fragment {
                offset: off_m & 0xfff8,
                more: off_m & 1 != 0,
                ident: be32(packet, at.saturating_add(4)),
            };
            chain.fragment = Some(frag);
            if frag.offset != 0 {
                return Ok(chain);
            }
        }
    }
}

/// A read-only view of an IPv6 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps a buffer without checking it; accessors then return zeros and
    /// empty slices for bytes that are missing.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv6Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, Ipv6Error> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the version, that `40 + payload length <= buffer`, and that
    /// the extension-header chain is well framed and bounded.
    ///
    /// A payload length of 0 with a hop-by-hop header first (a jumbogram,
    /// or a Linux BIG TCP segment) is taken to extend to the end of the
    /// buffer.
    pub fn check_len(&self) -> Result<(), Ipv6Error> {
        let data = self.buffer.as_ref();
        let available = data.len();
        if available < HEADER_LEN {
            return Err(Ipv6Error {
                offset: available,
                reason: Ipv6ErrorReason::Truncated { available },
            });
        }
        if self.version() != 6 {
            return Err(Ipv6Error {
                offset: 0,
                reason: Ipv6ErrorReason::BadVersion(self.version()),
            });
        }
        let payload_len = self.payload_len();
        if usize::from(payload_len) > available.saturating_sub(HEADER_LEN) {
            return Err(Ipv6Error {
                offset: field::LENGTH.start,
                reason: Ipv6ErrorReason::PayloadLengthBeyondBuffer {
                    payload_len,
                    available: available.saturating_sub(HEADER_LEN),
                },
            });
        }
        walk(self.packet(), self.next_header()).map(|_| ())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    /// The packet trimmed to 40 + payload length.
    fn packet(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let payload_len = usize::from(self.payload_len());
        if payload_len == 0 && self.next_header() == next_header::HOP_BY_HOP {
            return data;
        }
        let end = HEADER_LEN.saturating_add(payload_len).min(data.len());
        data.get(..end).unwrap_or(data)
    }

    /// Version nibble (6 once checked).
    pub fn version(&self) -> u8 {
        self.byte(0) >> 4
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        ((be16(self.buffer.as_ref(), 0) >> 4) & 0xff) as u8
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        be32(self.buffer.as_ref(), 0) & 0x000f_ffff
    }

    /// Payload length field.
    pub fn payload_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH.start)
    }

    /// Next header of the fixed header (the first extension header or the
    /// transport protocol).
    pub fn next_header(&self) -> u8 {
        self.byte(field::NXT_HDR)
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.byte(field::HOP_LIMIT)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        match self.buffer.as_ref().get(field::SRC_ADDR) {
            Some(b) => <[u8; 16]>::try_from(b).map_or(Ipv6Addr::UNSPECIFIED, Ipv6Addr::from),
            None => Ipv6Addr::UNSPECIFIED,
        }
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        match self.buffer.as_ref().get(field::DST_ADDR) {
            Some(b) => <[u8; 16]>::try_from(b).map_or(Ipv6Addr::UNSPECIFIED, Ipv6Addr::from),
            None => Ipv6Addr::UNSPECIFIED,
        }
    }

    /// Walks the extension headers, or says why the chain is malformed or
    /// cut short (on an unchecked buffer: a capture cut by its snap
    /// length).
    pub fn try_extensions(&self) -> Result<ExtensionChain, Ipv6Error> {
        walk(self.packet(), self.next_header())
    }

    /// Walks the extension headers. After a successful
    /// [`check_len`](Self::check_len) this cannot fail; on an unchecked
    /// buffer a malformed chain yields `next_header` 59 (no next header)
    /// with the transport offset at the end of the packet.
    pub fn extensions(&self) -> ExtensionChain {
        let packet = self.packet();
        walk(packet, self.next_header()).unwrap_or(ExtensionChain {
            next_header: next_header::NO_NEXT,
            transport_offset: packet.len(),
            count: 0,
            fragment: None,
            routed: false,
        })
    }

    /// The payload after the fixed header (extension headers included),
    /// trimmed to the payload length.
    pub fn payload(&self) -> &[u8] {
        self.packet().get(HEADER_LEN..).unwrap_or(&[])
    }

    /// The bytes after the last extension header walked (the transport
    /// header, when [`ExtensionChain::next_header`] is 6), trimmed to the
    /// payload length.
    pub fn transport_payload(&self) -> &[u8] {
        let offset = self.extensions().transport_offset;
        self.packet().get(offset..).unwrap_or(&[])
    }
}
