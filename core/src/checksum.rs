//! Internet checksums: RFC 1071 one's-complement sums, the TCP checksum and
//! the MPTCP DSS checksum.
//!
//! This module owns:
//!
//! * the **16-bit one's-complement sum** of RFC 1071 over any byte string,
//!   computed incrementally: a [`Checksum`] is a small `Copy` value that can
//!   be fed segment after segment (any length, odd lengths too, split at any
//!   offset) or built from independent pieces and [`combined`](Checksum::combine)
//!   in stream order;
//! * the **TCP pseudo-header** sum for IPv4 (RFC 9293 §3.1) and IPv6
//!   (RFC 8200 §8.1) ([`tcp_pseudo_header`]) and the check of a whole TCP
//!   segment against it ([`verify_tcp`], [`compute_tcp`]);
//! * the **MPTCP DSS checksum** of RFC 8684 §3.3.1 (and RFC 6824 §3.3.1,
//!   which is the same): the one's-complement sum of the mapped payload and
//!   of a 16-byte pseudo-header made of the 64-bit data sequence number, the
//!   32-bit *relative* subflow sequence number, the 16-bit data-level length
//!   and a zero 16-bit checksum field ([`dss_pseudo_header`],
//!   [`dss_checksum`], [`dss_checksum_valid`]).
//!
//! It must not keep state beyond the [`Checksum`] value the caller holds,
//! allocate, or decide anything: which bytes belong to a DSS mapping, and
//! what a mismatch means, is the flow layer's business.
//!
//! # Byte order and parity
//!
//! All values are in network semantics: [`Checksum::fold`] returns the sum
//! of the big-endian 16-bit words of the data, exactly the number that sits
//! big-endian in a TCP or DSS checksum field. Internally the bulk loop sums
//! native-endian words and swaps once at the end, which RFC 1071 §2(B)
//! allows (the one's-complement sum is byte-order independent).
//!
//! A [`Checksum`] also remembers whether it covers an odd number of bytes,
//! so that data split at odd offsets combines correctly: bytes added after
//! an odd-length prefix fall in the low half of their 16-bit words, and
//! their sum is byte-swapped before it is added (RFC 1071 §2(B) again).
//! The `add_u16`/`add_u32`/`add_u64` helpers honour the parity as well:
//! they always mean "append these big-endian bytes".
//!
//! # Example
//!
//! ```
//! use mptcp_dissect::checksum::Checksum;
//!
//! // RFC 1071 §3: the sum of 00 01 f2 03 f4 f5 f6 f7 is 0xddf2 ...
//! let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
//! assert_eq!(Checksum::of(&bytes).fold(), 0xddf2);
//!
//! // ... whichever way the bytes are split, odd offsets included.
//! let (a, b) = bytes.split_at(3);
//! let mut c = Checksum::new();
//! c.add(a);
//! c.add(b);
//! assert_eq!(c.fold(), 0xddf2);
//! assert_eq!(Checksum::of(a).combine(Checksum::of(b)), c);
//! assert_eq!(c.finish(), !0xddf2);
//! ```
#![deny(clippy::arithmetic_side_effects)]

use core::net::IpAddr;

/// IP protocol number of TCP, for [`tcp_pseudo_header`].
pub const IPPROTO_TCP: u8 = 6;

/// Byte offset of the checksum field in a TCP header.
pub const TCP_CHECKSUM_OFFSET: usize = 16;

/// A running RFC 1071 one's-complement sum and the parity of the number of
/// bytes it covers.
///
/// The sum is kept folded to 16 bits, so equality is semantic: two values
/// are equal exactly when they cover byte strings with the same
/// one's-complement sum and the same length parity, however these strings
/// were split. (The one's-complement zero has two forms: `0x0000` only for
/// data that is all zero bytes, `0xffff` otherwise.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Checksum {
    /// One's-complement sum of the big-endian 16-bit words covered so far,
    /// an odd trailing byte taken as the high half of a word.
    sum: u16,
    /// Whether an odd number of bytes has been added.
    odd: bool,
}

impl Checksum {
    /// The sum of no bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self { sum: 0, odd: false }
    }

    /// The sum of `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            sum: sum_be(bytes),
            odd: bytes.len() & 1 == 1,
        }
    }

    /// A value standing for a byte string whose folded one's-complement sum
    /// is `sum` and whose length is odd when `odd` is set (e.g. a sum
    /// computed elsewhere, such as by hardware offload).
    #[must_use]
    pub const fn from_parts(sum: u16, odd: bool) -> Self {
        Self { sum, odd }
    }

    /// Appends `bytes` (any length, at any offset).
    #[inline]
    pub fn add(&mut self, bytes: &[u8]) {
        *self = self.combine(Self::of(bytes));
    }

    /// Appends the 2 big-endian bytes of `v` (a header field).
    #[inline]
    pub const fn add_u16(&mut self, v: u16) {
        self.sum = add16(self.sum, self.align(v));
    }

    /// Appends the 4 big-endian bytes of `v`.
    #[inline]
    pub const fn add_u32(&mut self, v: u32) {
        // Truncating casts take the two 16-bit halves.
        let s = add16((v >> 16) as u16, v as u16);
        self.sum = add16(self.sum, self.align(s));
    }

    /// Appends the 8 big-endian bytes of `v`.
    #[inline]
    pub const fn add_u64(&mut self, v: u64) {
        let s = add16(
            add16((v >> 48) as u16, (v >> 32) as u16),
            add16((v >> 16) as u16, v as u16),
        );
        self.sum = add16(self.sum, self.align(s));
    }

    /// The sum of `self`'s bytes followed by `other`'s.
    ///
    /// When `self` covers an odd number of bytes, `other`'s sum is
    /// byte-swapped first. Associative; commutative only when `self` has an
    /// even length.
    #[inline]
    #[must_use]
    pub const fn combine(self, other: Self) -> Self {
        Self {
            sum: add16(self.sum, self.align(other.sum)),
            odd: self.odd != other.odd,
        }
    }

    /// The 16-bit one's-complement sum (RFC 1071), an odd trailing byte
    /// padded with a zero byte.
    #[inline]
    #[must_use]
    pub const fn fold(self) -> u16 {
        self.sum
    }

    /// The checksum: the one's complement of [`fold`](Self::fold), i.e.
    /// the value to put in a checksum field whose bytes were summed as zero.
    #[inline]
    #[must_use]
    pub const fn finish(self) -> u16 {
        !self.sum
    }

    /// Whether an odd number of bytes has been added.
    #[inline]
    #[must_use]
    pub const fn is_odd(self) -> bool {
        self.odd
    }

    /// `v` as it contributes when appended at the current parity.
    #[inline]
    const fn align(self, v: u16) -> u16 {
        if self.odd {
            v.swap_bytes()
        } else {
            v
        }
    }
}

/// One's-complement addition of two 16-bit values (end-around carry).
///
/// Returns `0` only when both are `0`, so a folded sum is canonical.
#[inline]
const fn add16(a: u16, b: u16) -> u16 {
    let (s, carry) = a.overflowing_add(b);
    s.wrapping_add(carry as u16)
}

/// One's-complement addition of two 32-bit values.
#[inline]
const fn add32(a: u32, b: u32) -> u32 {
    let (s, carry) = a.overflowing_add(b);
    s.wrapping_add(carry as u32)
}

/// Bytes summed between two reductions of the bulk accumulators. Bounds
/// every accumulator well below overflow (see [`sum_ne`]).
const BLOCK: usize = 1 << 20;

/// The folded sum of `bytes` read as **native-endian** 16-bit words, an odd
/// trailing byte padded with a zero byte.
///
/// In each block of [`BLOCK`] bytes:
///
/// * the vector path adds each 16-bit word into one of 16 `u32` lanes, so a
///   lane gets at most `BLOCK / 32 = 2^15` words of at most `2^16 - 1`:
///   below `2^31`;
/// * the scalar path adds the two 32-bit halves of each 64-bit word into
///   one of 4 `u64` accumulators: at most `2^16` words per accumulator,
///   below `2^50`.
///
/// The block total (below `2^52`) is folded into a `u32` with end-around
/// carry, so no `wrapping_add` below ever wraps.
#[inline]
fn sum_ne(bytes: &[u8]) -> u16 {
    if bytes.len() <= BLOCK {
        let s = fold64_32(sum_block(bytes));
        return add16((s >> 16) as u16, s as u16);
    }
    let mut total: u32 = 0;
    for block in bytes.chunks(BLOCK) {
        total = add32(total, fold64_32(sum_block(block)));
    }
    add16((total >> 16) as u16, total as u16)
}

/// Folds a 64-bit partial sum to 32 bits with end-around carries.
#[inline]
const fn fold64_32(s: u64) -> u32 {
    add32((s >> 32) as u32, s as u32)
}

/// The unfolded native-endian word sum of at most [`BLOCK`] bytes.
#[inline]
fn sum_block(block: &[u8]) -> u64 {
    // Short inputs: the lane set-up and reduction do not pay for themselves.
    #[cfg(target_pointer_width = "64")]
    if block.len() >= VECTOR_MIN {
        return sum_lanes(block);
    }
    sum_scalar(block)
}

/// Below this length [`sum_block`] uses the scalar loop.
#[cfg(target_pointer_width = "64")]
const VECTOR_MIN: usize = 128;

/// Bulk loop shaped for auto-vectorisation (SSE2 on any x86-64, NEON on
/// aarch64): 32 bytes per iteration, each native-endian 16-bit word widened
/// into its own `u32` lane.
#[cfg(target_pointer_width = "64")]
#[inline]
fn sum_lanes(block: &[u8]) -> u64 {
    let mut lanes = [0u32; 16];
    let mut chunks = block.chunks_exact(32);
    for chunk in &mut chunks {
        for (lane, word) in lanes.iter_mut().zip(chunk.chunks_exact(2)) {
            let w = <[u8; 2]>::try_from(word).map_or(0, u16::from_ne_bytes);
            *lane = lane.wrapping_add(u32::from(w));
        }
    }
    let mut s = sum_scalar(chunks.remainder());
    for lane in lanes {
        s = s.wrapping_add(u64::from(lane));
    }
    s
}

/// Scalar loop with four independent accumulators, 32 bytes per iteration:
/// each native-endian 64-bit word adds its two 32-bit halves (no carry
/// handling needed, see [`sum_ne`]). Then 8-byte words, then a zero-padded
/// last word.
#[inline]
fn sum_scalar(block: &[u8]) -> u64 {
    #[inline(always)]
    fn halves(w: &[u8]) -> u64 {
        let w = <[u8; 8]>::try_from(w).map_or(0, u64::from_ne_bytes);
        (w & 0xffff_ffff).wrapping_add(w >> 32)
    }
    let mut acc = [0u64; 4];
    let mut chunks = block.chunks_exact(32);
    for chunk in &mut chunks {
        for (a, w) in acc.iter_mut().zip(chunk.chunks_exact(8)) {
            *a = a.wrapping_add(halves(w));
        }
    }
    let [a0, a1, a2, a3] = acc;
    let mut s = a0.wrapping_add(a1).wrapping_add(a2.wrapping_add(a3));
    let mut words = chunks.remainder().chunks_exact(8);
    for w in &mut words {
        s = s.wrapping_add(halves(w));
    }
    let mut last = [0u8; 8];
    for (d, b) in last.iter_mut().zip(words.remainder()) {
        *d = *b;
    }
    s.wrapping_add(halves(&last))
}

/// The folded sum of `bytes` read as big-endian 16-bit words (network
/// semantics), an odd trailing byte padded with a zero byte.
#[inline]
fn sum_be(bytes: &[u8]) -> u16 {
    // RFC 1071 §2(B): the native-endian sum is the byte-swap of the
    // big-endian one on a little-endian machine.
    u16::from_be(sum_ne(bytes))
}

/// The one's-complement sum of the TCP pseudo-header (RFC 9293 §3.1 for
/// IPv4, RFC 8200 §8.1 for IPv6) for a segment of `length` bytes (TCP header
/// plus payload).
///
/// For IPv4 the length field is 16 bits wide: only `length & 0xffff` is
/// summed. Mixing an IPv4 and an IPv6 address never happens on the wire; if
/// it is asked for, the result is simply the sum of the fields given (with
/// the 32-bit length), and no panic.
#[must_use]
pub fn tcp_pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, length: u32) -> Checksum {
    let mut c = Checksum::new();
    let both_v4 = matches!((src, dst), (IpAddr::V4(_), IpAddr::V4(_)));
    for ip in [src, dst] {
        match ip {
            IpAddr::V4(a) => c.add_u32(a.to_bits()),
            IpAddr::V6(a) => {
                let bits = a.to_bits();
                c.add_u64((bits >> 64) as u64);
                c.add_u64(bits as u64);
            }
        }
    }
    if both_v4 {
        // zero, protocol, 16-bit TCP length
        c.add_u16(u16::from(protocol));
        c.add_u16(length as u16);
    } else {
        // 32-bit upper-layer length, 3 zero bytes, next header
        c.add_u32(length);
        c.add_u32(u32::from(protocol));
    }
    c
}

/// The result of checking a TCP segment's checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TcpChecksum {
    /// The segment and pseudo-header sum to `0xffff`.
    Valid,
    /// They do not: `found` is the field as carried, `expected` what a
    /// correct sender would have put there.
    Invalid {
        /// The checksum field of the segment.
        found: u16,
        /// The checksum computed over the pseudo-header and the segment.
        expected: u16,
    },
    /// The segment is shorter than 18 bytes: it has no checksum field.
    Truncated,
}

/// Checks the checksum of a TCP `segment` (header and payload, as carried,
/// checksum field included) sent from `src` to `dst` (RFC 9293 §3.1).
///
/// Valid means the receiver's rule of RFC 1071: the one's-complement sum of
/// the pseudo-header and the whole segment is `0xffff`. A valid segment's
/// `found` may still differ from [`compute_tcp`] in the one case where
/// `0x0000` and `0xffff` both stand for the one's-complement zero.
#[must_use]
pub fn verify_tcp(src: IpAddr, dst: IpAddr, segment: &[u8]) -> TcpChecksum {
    match checksum_field(segment) {
        Some(found) => verdict(segment_sum(src, dst, segment), found),
        None => TcpChecksum::Truncated,
    }
}

/// [`verify_tcp`], also returning the sum of the segment's bytes from
/// `payload_at` on (none when `payload_at` is past its end): the segment is
/// summed once in two parts, so that a caller that needs the payload's sum
/// as well (the DSS checksum covers the same payload bytes) does not read
/// the payload twice.
#[must_use]
pub fn verify_tcp_payload_sum(
    src: IpAddr,
    dst: IpAddr,
    segment: &[u8],
    payload_at: usize,
) -> (TcpChecksum, Checksum) {
    let (head, payload) = segment.split_at(payload_at.min(segment.len()));
    let payload_sum = Checksum::of(payload);
    let Some(found) = checksum_field(segment) else {
        return (TcpChecksum::Truncated, payload_sum);
    };
    let total = pseudo_header_of(src, dst, segment)
        .combine(Checksum::of(head))
        .combine(payload_sum);
    (verdict(total, found), payload_sum)
}

/// The sum of the payload of a TCP segment whose checksum is known to be
/// valid (e.g. by a NIC's receive checksum offload), from its header alone:
/// `header` is the TCP header as carried (checksum field included) of a
/// segment from `src` to `dst` followed by `payload_len` payload bytes.
///
/// A valid segment's pseudo-header, header and payload sum to `0xffff`,
/// so the payload's sum is the one's-complement difference of `0xffff` and
/// the pseudo-header and header's sum. That difference leaves one case
/// open: `0x0000` stands both for a payload of zero bytes only and for one
/// whose words sum to the one's-complement zero `0xffff`; it is then `None`
/// (unless the payload is empty) and the caller sums the payload itself.
/// Given a segment whose checksum is not valid, the result is meaningless.
///
/// ```
/// use core::net::{IpAddr, Ipv4Addr};
/// use mptcp_dissect::checksum::{compute_tcp, tcp_payload_sum_from_header, Checksum};
///
/// let (src, dst) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
/// let mut segment = [0u8; 25];
/// segment[12] = 5 << 4; // data offset: 20-byte header
/// segment[20..].copy_from_slice(b"hello");
/// let csum = compute_tcp(src, dst, &segment);
/// segment[16..18].copy_from_slice(&csum.to_be_bytes());
/// let sum = tcp_payload_sum_from_header(src, dst, &segment[..20], 5);
/// assert_eq!(sum, Some(Checksum::of(b"hello")));
/// ```
#[must_use]
pub fn tcp_payload_sum_from_header(
    src: IpAddr,
    dst: IpAddr,
    header: &[u8],
    payload_len: u32,
) -> Option<Checksum> {
    let header_len = u32::try_from(header.len()).ok()?;
    let length = header_len.checked_add(payload_len)?;
    let head = tcp_pseudo_header(src, dst, IPPROTO_TCP, length).combine(Checksum::of(header));
    let odd = payload_len & 1 == 1;
    // `head.combine(payload)` folds to 0xffff: the payload's aligned sum is
    // the complement of the head's, up to the two forms of zero.
    let aligned = !head.fold();
    if payload_len == 0 {
        return Some(Checksum::new());
    }
    if aligned == 0 {
        return None;
    }
    Some(Checksum::from_parts(head.align(aligned), odd))
}

/// The checksum field of a TCP segment, if it is long enough to have one.
fn checksum_field(segment: &[u8]) -> Option<u16> {
    match segment.get(TCP_CHECKSUM_OFFSET..TCP_CHECKSUM_OFFSET.wrapping_add(2)) {
        Some(&[hi, lo]) => Some(u16::from_be_bytes([hi, lo])),
        _ => None,
    }
}

/// The receiver's verdict on a segment whose pseudo-header and bytes sum to
/// `total`, its checksum field holding `found`.
fn verdict(total: Checksum, found: u16) -> TcpChecksum {
    if total.fold() == 0xffff {
        TcpChecksum::Valid
    } else {
        TcpChecksum::Invalid {
            found,
            expected: without(total, found).finish(),
        }
    }
}

/// The TCP checksum of `segment` (header and payload) from `src` to `dst`,
/// computed as if its checksum field were zero, whatever it holds (so it can
/// be used to fill that field in a test fixture). A segment shorter than 18
/// bytes is summed as it is.
#[must_use]
pub fn compute_tcp(src: IpAddr, dst: IpAddr, segment: &[u8]) -> u16 {
    let total = segment_sum(src, dst, segment);
    match checksum_field(segment) {
        Some(found) => without(total, found).finish(),
        None => total.finish(),
    }
}

/// The pseudo-header of `segment` (its length included).
fn pseudo_header_of(src: IpAddr, dst: IpAddr, segment: &[u8]) -> Checksum {
    let length = u32::try_from(segment.len()).unwrap_or(u32::MAX);
    tcp_pseudo_header(src, dst, IPPROTO_TCP, length)
}

/// Pseudo-header plus segment.
fn segment_sum(src: IpAddr, dst: IpAddr, segment: &[u8]) -> Checksum {
    pseudo_header_of(src, dst, segment).combine(Checksum::of(segment))
}

/// `total` less a 16-bit field at an even offset (one's-complement
/// subtraction: adding the complement). `total` includes the non-zero TCP
/// protocol number, so it is never the one's-complement zero `0x0000` and
/// the result is the canonical sum of the rest.
fn without(total: Checksum, field: u16) -> Checksum {
    Checksum::from_parts(add16(total.fold(), !field), total.is_odd())
}

/// The sum of the 16-byte DSS checksum pseudo-header of RFC 8684 §3.3.1:
/// the 64-bit data sequence number `dsn` (the full 64-bit DSN even when the
/// option carries 32 bits), the 32-bit subflow sequence number relative to
/// the subflow's initial sequence number (the value carried in the DSS
/// option), the 16-bit data-level length as carried (counting a DATA_FIN),
/// and a 16-bit zero checksum field.
///
/// This matches Linux `__mptcp_make_csum()` (`net/mptcp/options.c`), which
/// `validate_data_csum()` (`net/mptcp/subflow.c`) uses on receive.
#[must_use]
pub const fn dss_pseudo_header(dsn: u64, ssn_relative: u32, data_len: u16) -> Checksum {
    let mut c = Checksum::new();
    c.add_u64(dsn);
    c.add_u32(ssn_relative);
    c.add_u16(data_len);
    c.add_u16(0);
    c
}

/// The DSS checksum: the one's complement of the sum of the pseudo-header
/// ([`dss_pseudo_header`]) and of the mapped payload (`payload_sum`: every
/// payload byte the mapping covers, in subflow order, possibly accumulated
/// across several segments).
///
/// ```
/// use mptcp_dissect::checksum::{dss_checksum, dss_checksum_valid, dss_pseudo_header, Checksum};
///
/// // A mapping of 5 bytes split over two segments at an odd offset.
/// let pseudo = dss_pseudo_header(0x0123_4567_89ab_cdef, 1, 5);
/// let mut payload = Checksum::new();
/// payload.add(b"hel");
/// payload.add(b"lo");
/// let carried = dss_checksum(pseudo, payload);
/// assert_eq!(carried, dss_checksum(pseudo, Checksum::of(b"hello")));
/// assert!(dss_checksum_valid(pseudo, payload, carried));
/// assert!(!dss_checksum_valid(pseudo, Checksum::of(b"hellO"), carried));
/// ```
#[must_use]
pub const fn dss_checksum(pseudo: Checksum, payload_sum: Checksum) -> u16 {
    pseudo.combine(payload_sum).finish()
}

/// Whether `carried`, the checksum of a DSS option, is right for this
/// pseudo-header and payload: the receiver's rule (pseudo-header with the
/// carried checksum, plus payload, sums to `0xffff`), as Linux checks it.
#[must_use]
pub const fn dss_checksum_valid(pseudo: Checksum, payload_sum: Checksum, carried: u16) -> bool {
    let mut p = pseudo;
    p.add_u16(carried);
    p.combine(payload_sum).fold() == 0xffff
}
