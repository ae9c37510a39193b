//! IPv4 header view.
//!
//! This module owns the IPv4 header: IHL and header options, total length
//! (the payload is trimmed to it, so link-layer padding never reaches TCP),
//! protocol, addresses, fragmentation fields and the header checksum field.
//!
//! It must not keep state, allocate, reassemble fragments or verify the
//! header checksum (the accessor only reads it).

use core::fmt;
use core::net::Ipv4Addr;

/// Byte ranges of the fixed IPv4 header.
pub mod field {
    /// A range of bytes within a header.
    pub type Field = core::ops::Range<usize>;
    /// Version (high nibble) and IHL (low nibble).
    pub const VER_IHL: usize = 0;
    /// DSCP (6 bits) and ECN (2 bits).
    pub const DSCP_ECN: usize = 1;
    /// Total length.
    pub const LENGTH: Field = 2..4;
    /// Identification.
    pub const IDENT: Field = 4..6;
    /// Flags (3 bits) and fragment offset (13 bits, in 8-byte units).
    pub const FLG_OFF: Field = 6..8;
    /// Time to live.
    pub const TTL: usize = 8;
    /// Protocol of the payload.
    pub const PROTOCOL: usize = 9;
    /// Header checksum.
    pub const CHECKSUM: Field = 10..12;
    /// Source address.
    pub const SRC_ADDR: Field = 12..16;
    /// Destination address.
    pub const DST_ADDR: Field = 16..20;
}

/// Length of the IPv4 header without options.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// IP protocol numbers this crate names.
pub mod protocol {
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
}

/// Why an IPv4 header was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Ipv4ErrorReason {
    /// Fewer than 20 bytes.
    Truncated {
        /// Bytes available.
        available: usize,
    },
    /// The version nibble is not 4.
    BadVersion(u8),
    /// IHL below 5.
    BadIhl(u8),
    /// IHL × 4 exceeds the buffer.
    IhlBeyondBuffer {
        /// IHL field value.
        ihl: u8,
        /// Bytes available.
        available: usize,
    },
    /// Total length smaller than the header (IHL × 4).
    TotalLengthTooSmall {
        /// Total length field.
        total_len: u16,
        /// Header length in bytes.
        header_len: u8,
    },
    /// Total length larger than the buffer (e.g. a capture snap length).
    TotalLengthBeyondBuffer {
        /// Total length field.
        total_len: u16,
        /// Bytes available.
        available: usize,
    },
}

/// A malformed IPv4 header: offset of the offending field within the IPv4
/// header, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv4Error {
    /// Offset of the offending field from the start of the IPv4 header.
    pub offset: usize,
    /// What is wrong.
    pub reason: Ipv4ErrorReason,
}

impl fmt::Display for Ipv4ErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Ipv4ErrorReason::Truncated { available } => {
                write!(f, "truncated header ({available} of {HEADER_LEN} bytes)")
            }
            Ipv4ErrorReason::BadVersion(v) => write!(f, "version {v} is not 4"),
            Ipv4ErrorReason::BadIhl(ihl) => write!(f, "IHL {ihl} below 5"),
            Ipv4ErrorReason::IhlBeyondBuffer { ihl, available } => {
                write!(f, "IHL {ihl} beyond the {available} bytes available")
            }
            Ipv4ErrorReason::TotalLengthTooSmall {
                total_len,
                header_len,
            } => write!(
                f,
                "total length {total_len} smaller than header length {header_len}"
            ),
            Ipv4ErrorReason::TotalLengthBeyondBuffer {
                total_len,
                available,
            } => write!(
                f,
                "total length {total_len} beyond the {available} bytes available"
            ),
        }
    }
}

impl fmt::Display for Ipv4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ipv4: {} at offset {}", self.reason, self.offset)
    }
}

fn be16(data: &[u8], at: usize) -> u16 {
    match data.get(at..at.saturating_add(2)) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

fn addr(data: &[u8], range: field::Field) -> Ipv4Addr {
    match data.get(range) {
        Some(&[a, b, c, d]) => Ipv4Addr::new(a, b, c, d),
        _ => Ipv4Addr::UNSPECIFIED,
    }
}

/// A read-only view of an IPv4 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checking it; accessors then return zeros and
    /// empty slices for bytes that are missing.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, Ipv4Error> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the version, that `20 <= IHL × 4 <= buffer` and that
    /// `IHL × 4 <= total length <= buffer`.
    pub fn check_len(&self) -> Result<(), Ipv4Error> {
        let data = self.buffer.as_ref();
        let available = data.len();
        if available < HEADER_LEN {
            return Err(Ipv4Error {
                offset: available,
                reason: Ipv4ErrorReason::Truncated { available },
            });
        }
        let err = |offset, reason| Err(Ipv4Error { offset, reason });
        if self.version() != 4 {
            return err(field::VER_IHL, Ipv4ErrorReason::BadVersion(self.version()));
        }
        let ihl = self.ihl();
        if ihl < 5 {
            return err(field::VER_IHL, Ipv4ErrorReason::BadIhl(ihl));
        }
        let header_len = self.header_len();
        if usize::from(header_len) > available {
            return err(
                field::VER_IHL,
                Ipv4ErrorReason::IhlBeyondBuffer { ihl, available },
            );
        }
        let total_len = self.total_len();
        if total_len < u16::from(header_len) {
            return err(
                field::LENGTH.start,
                Ipv4ErrorReason::TotalLengthTooSmall {
                    total_len,
                    header_len,
                },
            );
        }
        if usize::from(total_len) > available {
            return err(
                field::LENGTH.start,
                Ipv4ErrorReason::TotalLengthBeyondBuffer {
                    total_len,
                    available,
                },
            );
        }
        Ok(())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    /// Version nibble (4 once checked).
    pub fn version(&self) -> u8 {
        self.byte(field::VER_IHL) >> 4
    }

    /// IHL field: header length in 32-bit words.
    pub fn ihl(&self) -> u8 {
        self.byte(field::VER_IHL) & 0x0f
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> u8 {
        // IHL is 4 bits: at most 60, no overflow.
        self.ihl().wrapping_mul(4)
    }

    /// DSCP (6 bits).
    pub fn dscp(&self) -> u8 {
        self.byte(field::DSCP_ECN) >> 2
    }

    /// ECN (2 bits).
    pub fn ecn(&self) -> u8 {
        self.byte(field::DSCP_ECN) & 0x03
    }

    /// Total length field.
    pub fn total_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH.start)
    }

    /// Identification field.
    pub fn ident(&self) -> u16 {
        be16(self.buffer.as_ref(), field::IDENT.start)
    }

    /// The DF (don't fragment) flag.
    pub fn dont_frag(&self) -> bool {
        be16(self.buffer.as_ref(), field::FLG_OFF.start) & 0x4000 != 0
    }

    /// The MF (more fragments) flag.
    pub fn more_frags(&self) -> bool {
        be16(self.buffer.as_ref(), field::FLG_OFF.start) & 0x2000 != 0
    }

    /// Fragment offset in bytes (the field × 8).
    pub fn frag_offset(&self) -> u16 {
        (be16(self.buffer.as_ref(), field::FLG_OFF.start) & 0x1fff) << 3
    }

    /// Whether this is a fragment other than the first (offset ≠ 0): its
    /// payload holds no transport header.
    pub fn is_non_first_fragment(&self) -> bool {
        self.frag_offset() != 0
    }

    /// Whether this is any fragment (MF set or offset ≠ 0).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.is_non_first_fragment()
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.byte(field::TTL)
    }

    /// Protocol of the payload (6 for TCP).
    pub fn protocol(&self) -> u8 {
        self.byte(field::PROTOCOL)
    }

    /// Header checksum field (not verified).
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        addr(self.buffer.as_ref(), field::SRC_ADDR)
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        addr(self.buffer.as_ref(), field::DST_ADDR)
    }

    /// The whole header, options included.
    pub fn header(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        data.get(..usize::from(self.header_len())).unwrap_or(data)
    }

    /// Header options (bytes 20 .. IHL × 4).
    pub fn options(&self) -> &[u8] {
        self.header().get(HEADER_LEN..).unwrap_or(&[])
    }

    /// Offset of the payload from the start of the header (IHL × 4).
    pub fn payload_offset(&self) -> usize {
        usize::from(self.header_len())
    }

    /// The payload, trimmed to the total length (link padding removed);
    /// to the end of the buffer for a total length of 0 (a capture under
    /// segmentation offload, whose length the header does not give).
    pub fn payload(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let end = match self.total_len() {
            0 => data.len(),
            n => usize::from(n).min(data.len()),
        };
        data.get(self.payload_offset()..end).unwrap_or(&[])
    }
}
