//! TCP header view.
//!
//! This module owns the TCP header: ports, sequence and acknowledgment
//! numbers, data offset, flags ([`TcpFlags`]), window, checksum field,
//! urgent pointer, the raw options area and the payload. Options are decoded
//! by [`super::tcp_option::TcpOptions`].
//!
//! It must not keep state, allocate, verify the checksum (the pseudo-header
//! inputs come from [`super::frame`]) or interpret sequence numbers.

use core::fmt;
use core::ops::{BitAnd, BitOr, BitOrAssign};

use super::tcp_option::TcpOptions;

/// Byte ranges of the fixed TCP header.
pub mod field {
    /// A range of bytes within a header.
    pub type Field = core::ops::Range<usize>;
    /// Source port.
    pub const SRC_PORT: Field = 0..2;
    /// Destination port.
    pub const DST_PORT: Field = 2..4;
    /// Sequence number.
    pub const SEQ_NUM: Field = 4..8;
    /// Acknowledgment number.
    pub const ACK_NUM: Field = 8..12;
    /// Data offset (4 bits), reserved (3 bits), AE (1 bit), then the eight
    /// classic flags.
    pub const FLAGS: Field = 12..14;
    /// Window.
    pub const WIN_SIZE: Field = 14..16;
    /// Checksum.
    pub const CHECKSUM: Field = 16..18;
    /// Urgent pointer.
    pub const URGENT: Field = 18..20;
}

/// Length of the TCP header without options.
pub const HEADER_LEN: usize = field::URGENT.end;
/// Longest TCP header (data offset 15).
pub const MAX_HEADER_LEN: usize = 60;

/// The TCP control bits (RFC 9293, plus AE from RFC 9768 / NS of RFC 3540).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TcpFlags(u16);

impl TcpFlags {
    /// No flag set.
    pub const EMPTY: TcpFlags = TcpFlags(0);
    /// FIN.
    pub const FIN: TcpFlags = TcpFlags(0x001);
    /// SYN.
    pub const SYN: TcpFlags = TcpFlags(0x002);
    /// RST.
    pub const RST: TcpFlags = TcpFlags(0x004);
    /// PSH.
    pub const PSH: TcpFlags = TcpFlags(0x008);
    /// ACK.
    pub const ACK: TcpFlags = TcpFlags(0x010);
    /// URG.
    pub const URG: TcpFlags = TcpFlags(0x020);
    /// ECE.
    pub const ECE: TcpFlags = TcpFlags(0x040);
    /// CWR.
    pub const CWR: TcpFlags = TcpFlags(0x080);
    /// AE (accurate ECN; formerly NS, the ECN nonce of RFC 3540).
    pub const AE: TcpFlags = TcpFlags(0x100);
    /// NS: the old name of [`AE`](Self::AE).
    pub const NS: TcpFlags = Self::AE;
    /// Every flag.
    pub const ALL: TcpFlags = TcpFlags(0x1ff);

    /// Each flag with its conventional upper-case name, lowest bit first.
    pub const NAMED: [(TcpFlags, &'static str); 9] = [
        (Self::FIN, "FIN"),
        (Self::SYN, "SYN"),
        (Self::RST, "RST"),
        (Self::PSH, "PSH"),
        (Self::ACK, "ACK"),
        (Self::URG, "URG"),
        (Self::ECE, "ECE"),
        (Self::CWR, "CWR"),
        (Self::AE, "AE"),
    ];

    /// The flags from their 9-bit wire value; other bits are dropped.
    pub const fn from_bits_truncate(bits: u16) -> Self {
        TcpFlags(bits & Self::ALL.0)
    }

    /// The 9-bit wire value (AE is bit 8).
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set in `self`.
    pub const fn intersects(self, other: TcpFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self` with the flags of `other` added.
    pub const fn union(self, other: TcpFlags) -> Self {
        TcpFlags(self.0 | other.0)
    }
}

impl BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        self.union(rhs)
    }
}

impl BitOrAssign for TcpFlags {
    fn bitor_assign(&mut self, rhs: TcpFlags) {
        *self = self.union(rhs);
    }
}

impl BitAnd for TcpFlags {
    type Output = TcpFlags;
    fn bitand(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 & rhs.0)
    }
}

/// Why a TCP header was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TcpErrorReason {
    /// Fewer than 20 bytes.
    Truncated {
        /// Bytes available.
        available: usize,
    },
    /// Data offset below 5.
    DataOffsetTooSmall(u8),
    /// Data offset × 4 exceeds the segment.
    DataOffsetBeyondBuffer {
        /// Data offset field (32-bit words).
        data_offset: u8,
        /// Bytes available.
        available: usize,
    },
}

/// A malformed TCP header: offset from the start of the TCP header of the
/// offending field, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TcpError {
    /// Offset from the start of the TCP header.
    pub offset: usize,
    /// What is wrong.
    pub reason: TcpErrorReason,
}

impl fmt::Display for TcpErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TcpErrorReason::Truncated { available } => {
                write!(f, "truncated header ({available} of {HEADER_LEN} bytes)")
            }
            TcpErrorReason::DataOffsetTooSmall(d) => write!(f, "data offset {d} below 5"),
            TcpErrorReason::DataOffsetBeyondBuffer {
                data_offset,
                available,
            } => write!(
                f,
                "data offset {data_offset} beyond the {available} bytes available"
            ),
        }
    }
}

impl fmt::Display for TcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tcp: {} at offset {}", self.reason, self.offset)
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

/// A read-only view of a TCP segment (header and payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without checking it; accessors then return zeros and
    /// empty slices for bytes that are missing.
    pub const fn new_unchecked(buffer: T) -> Self {
        TcpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, TcpError> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the fixed header fits and that `20 <= data offset × 4 <=
    /// buffer`.
    pub fn check_len(&self) -> Result<(), TcpError> {
        let available = self.buffer.as_ref().len();
        if available < HEADER_LEN {
            return Err(TcpError {
                offset: available,
                reason: TcpErrorReason::Truncated { available },
            });
        }
        let data_offset = self.data_offset();
        if data_offset < 5 {
            return Err(TcpError {
                offset: field::FLAGS.start,
                reason: TcpErrorReason::DataOffsetTooSmall(data_offset),
            });
        }
        if self.header_len() > available {
            return Err(TcpError {
                offset: field::FLAGS.start,
                reason: TcpErrorReason::DataOffsetBeyondBuffer {
                    data_offset,
                    available,
                },
            });
        }
        Ok(())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), field::SRC_PORT.start)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), field::DST_PORT.start)
    }

    /// Sequence number.
    pub fn seq_number(&self) -> u32 {
        be32(self.buffer.as_ref(), field::SEQ_NUM.start)
    }

    /// Acknowledgment number (meaningful when ACK is set).
    pub fn ack_number(&self) -> u32 {
        be32(self.buffer.as_ref(), field::ACK_NUM.start)
    }

    /// Data offset field (header length in 32-bit words).
    pub fn data_offset(&self) -> u8 {
        (be16(self.buffer.as_ref(), field::FLAGS.start) >> 12) as u8
    }

    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.data_offset()) * 4
    }

    /// The three reserved bits between the data offset and AE.
    pub fn reserved(&self) -> u8 {
        ((be16(self.buffer.as_ref(), field::FLAGS.start) >> 9) & 0x7) as u8
    }

    /// The control bits.
    pub fn flags(&self) -> TcpFlags {
        TcpFlags::from_bits_truncate(be16(self.buffer.as_ref(), field::FLAGS.start))
    }

    /// Window (unscaled).
    pub fn window(&self) -> u16 {
        be16(self.buffer.as_ref(), field::WIN_SIZE.start)
    }

    /// Checksum field (not verified).
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// Urgent pointer.
    pub fn urgent(&self) -> u16 {
        be16(self.buffer.as_ref(), field::URGENT.start)
    }

    /// The raw options area (bytes 20 .. data offset × 4).
    pub fn options(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(HEADER_LEN..self.header_len())
            .unwrap_or(&[])
    }

    /// An iterator over the decoded options.
    pub fn option_iter(&self) -> TcpOptions<'_> {
        TcpOptions::new(self.options())
    }

    /// The payload (after the options).
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(self.header_len()..).unwrap_or(&[])
    }

    /// The whole segment (header and payload): the bytes the TCP checksum
    /// covers.
    pub fn segment(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Sequence space consumed by the segment: payload length, plus one
    /// for SYN and one for FIN.
    pub fn segment_len(&self) -> usize {
        let flags = self.flags();
        self.payload()
            .len()
            .saturating_add(usize::from(flags.contains(TcpFlags::SYN)))
            .saturating_add(usize::from(flags.contains(TcpFlags::FIN)))
    }
}
