//! The canonical, direction-free key of a TCP connection.
//!
//! A [`FlowKey`] names the two endpoints `(address, port)` of a TCP
//! connection in a fixed order — the *lower* endpoint first — so that a
//! segment from A to B and a segment from B to A produce the same key. The
//! [`Direction`] returned next to the key by [`FlowKey::new`] remembers which
//! way the segment went.
//!
//! Addresses are stored as 16 bytes: IPv6 as is, IPv4 as an IPv4-mapped IPv6
//! address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2). The whole key is one
//! 36 bytes (alignment 1, no padding), hashed without length prefixes.

use core::cmp::Ordering;
use core::hash::{Hash, Hasher};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Bytes of one endpoint inside a [`FlowKey`]: 16 address bytes, then the
/// port in network byte order.
const ENDPOINT_LEN: usize = 18;

/// Size in bytes of a [`FlowKey`].
pub const FLOW_KEY_LEN: usize = 2 * ENDPOINT_LEN;

/// Which way a segment travels relative to the endpoints of its [`FlowKey`].
///
/// The key stores the lower endpoint (compared as `(address bytes, port)`,
/// IPv4 in its IPv4-mapped form) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Direction {
    /// From the key's first (lower) endpoint to its second (higher) one.
    /// Also used when both endpoints are equal.
    Forward,
    /// From the key's second (higher) endpoint to its first (lower) one.
    Reverse,
}

impl Direction {
    /// The opposite direction.
    #[must_use]
    pub const fn reversed(self) -> Self {
        match self {
            Direction::Forward => Direction::Reverse,
            Direction::Reverse => Direction::Forward,
        }
    }
}

/// Canonical TCP 5-tuple (the protocol is implied): both endpoints, lower
/// one first, so that both directions of a connection give the same key.
///
/// Layout: `[addr_lo(16) | port_lo(2, big-endian) | addr_hi(16) | port_hi(2)]`,
/// 36 bytes, alignment 1, no padding. Byte-wise comparison of an 18-byte
/// endpoint equals comparison of `(address, port)`.
///
/// An IPv6 segment whose address is itself IPv4-mapped maps to the same key as
/// the IPv4 segment it mirrors (the same convention as
/// [`IpAddr::to_canonical`]).
#[derive(Debug, Clone, Copy, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FlowKey {
    /// `lo` endpoint then `hi` endpoint, one array so that hashing reads the
    /// key in place (no copy, no store-forwarding stall across two fields).
    bytes: [u8; FLOW_KEY_LEN],
}

/// One endpoint as stored in a key: 16 address bytes then a big-endian port.
type Endpoint = [u8; ENDPOINT_LEN];

/// An endpoint as `(address as a big-endian integer, port)`: integer
/// comparison of this pair is byte-wise comparison of the stored form, and
/// much cheaper.
fn endpoint_num(addr: IpAddr, port: u16) -> (u128, u16) {
    let a = match addr {
        // ::ffff:a.b.c.d
        IpAddr::V4(v4) => (0xffff_u128 << 32) | u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    };
    (a, port)
}

/// The 36 bytes of a key from its two endpoints (see [`endpoint_num`]).
///
/// Written as four 8-byte words and one 4-byte word, at the offsets where
/// the table's hash ([`FoldHasher`](super::hash::FoldHasher), 16-byte blocks
/// then a 4-byte tail) loads them: the hash is computed right after, and a
/// load that straddles two stores (an 18-byte endpoint written as 16 + 2
/// bytes) cannot take its value from the store buffer and waits for both
/// stores to reach the cache. Whole-word stores also let the compiler feed
/// the hash from registers when both are inlined together.
#[inline(always)]
fn encode((lo_addr, lo_port): (u128, u16), (hi_addr, hi_port): (u128, u16)) -> [u8; FLOW_KEY_LEN] {
    // Bytes 16..32 (`port_lo`, then the first 14 address bytes of `hi`) and
    // 32..36 (the last 2 address bytes of `hi`, then `port_hi`), as
    // big-endian integers.
    let mid = (u128::from(lo_port) << 112) | (hi_addr >> 16);
    let tail = (u32::from(hi_addr as u16) << 16) | u32::from(hi_port);
    let words = [
        (lo_addr >> 64) as u64,
        lo_addr as u64,
        (mid >> 64) as u64,
        mid as u64,
    ];
    let mut bytes = [0u8; FLOW_KEY_LEN];
    for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    if let Some(t) = bytes.last_chunk_mut::<4>() {
        *t = tail.to_be_bytes();
    }
    bytes
}

fn decode_endpoint(e: &[u8; ENDPOINT_LEN]) -> (IpAddr, u16) {
    let [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, p0, p1] = *e;
    let v6 = Ipv6Addr::from([
        a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
    ]);
    let addr = match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    };
    (addr, u16::from_be_bytes([p0, p1]))
}

impl FlowKey {
    /// Builds the canonical key of a segment from `src:sport` to `dst:dport`
    /// and tells which way the segment goes relative to the key.
    ///
    /// `FlowKey::new(a, pa, b, pb)` and `FlowKey::new(b, pb, a, pa)` return the
    /// same key with opposite directions (unless both endpoints are equal,
    /// where both are [`Direction::Forward`]).
    #[must_use]
    pub fn new(src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> (FlowKey, Direction) {
        let s = endpoint_num(src, sport);
        let d = endpoint_num(dst, dport);
        let (lo, hi, dir) = match s.cmp(&d) {
            Ordering::Less | Ordering::Equal => (s, d, Direction::Forward),
            Ordering::Greater => (d, s, Direction::Reverse),
        };
        (
            FlowKey {
                bytes: encode(lo, hi),
            },
            dir,
        )
    }

    /// The key as its 36 raw bytes (layout in the type documentation).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; FLOW_KEY_LEN] {
        self.bytes
    }

    /// The two endpoints as stored.
    fn halves(&self) -> (&Endpoint, &Endpoint) {
        let (lo, hi) = self
            .bytes
            .split_first_chunk::<ENDPOINT_LEN>()
            .unwrap_or((&[0; ENDPOINT_LEN], &[]));
        let hi = hi
            .first_chunk::<ENDPOINT_LEN>()
            .unwrap_or(&[0; ENDPOINT_LEN]);
        (lo, hi)
    }

    /// The first (lower) endpoint: address (IPv4 if it is IPv4-mapped) and
    /// port.
    #[must_use]
    pub fn first(&self) -> (IpAddr, u16) {
        decode_endpoint(self.halves().0)
    }

    /// The second (higher) endpoint: address and port.
    #[must_use]
    pub fn second(&self) -> (IpAddr, u16) {
        decode_endpoint(self.halves().1)
    }

    /// `(source, destination)` endpoints of a segment travelling in `dir`.
    #[must_use]
    pub fn endpoints(&self, dir: Direction) -> ((IpAddr, u16), (IpAddr, u16)) {
        match dir {
            Direction::Forward => (self.first(), self.second()),
            Direction::Reverse => (self.second(), self.first()),
        }
    }

    /// `true` when both endpoints are IPv4 (IPv4-mapped in the key).
    #[must_use]
    pub fn is_ipv4(&self) -> bool {
        matches!(
            (self.first().0, self.second().0),
            (IpAddr::V4(_), IpAddr::V4(_))
        )
    }
}

impl FlowKey {
    /// The key as the words [`FlowKey::new`] stores (native byte order).
    #[inline(always)]
    fn words(&self) -> ([u64; 4], u32) {
        let w = |i: usize| {
            self.bytes
                .get(i..)
                .and_then(<[u8]>::first_chunk::<8>)
                .map_or(0, |c| u64::from_ne_bytes(*c))
        };
        let t = self
            .bytes
            .last_chunk::<4>()
            .map_or(0, |c| u32::from_ne_bytes(*c));
        ([w(0), w(8), w(16), w(24)], t)
    }
}

impl PartialEq for FlowKey {
    /// Byte equality, as the four 8-byte words and the 4-byte word the key
    /// is written as (not the derived 36-byte `memcmp` call, nor 16-byte
    /// loads: the table compares a key built just before, and a load that
    /// spans two of its stores waits for them to reach the cache, where
    /// same-sized loads are forwarded, or read from registers outright).
    #[inline]
    fn eq(&self, other: &FlowKey) -> bool {
        let ([a0, a1, a2, a3], at) = self.words();
        let ([b0, b1, b2, b3], bt) = other.words();
        ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3) | u64::from(at ^ bt)) == 0
    }
}

impl Hash for FlowKey {
    /// The 36 bytes in one `write`, with no length prefix: the key has a
    /// fixed size, so the prefixes the derived implementation adds are wasted
    /// work.
    fn hash<H: Hasher>(&self, state: &mut H) {
        // One write: hashers absorb whole blocks; two 18-byte writes cost
        // two padded tails.
        state.write(&self.bytes);
    }
}

impl From<(Ipv4Addr, u16, Ipv4Addr, u16)> for FlowKey {
    /// The key of an IPv4 segment `(src, sport, dst, dport)`; the direction
    /// is dropped.
    fn from((s, sp, d, dp): (Ipv4Addr, u16, Ipv4Addr, u16)) -> Self {
        FlowKey::new(IpAddr::V4(s), sp, IpAddr::V4(d), dp).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    #[test]
    fn size_is_36_align_1() {
        assert_eq!(core::mem::size_of::<FlowKey>(), 36);
        assert_eq!(core::mem::align_of::<FlowKey>(), 1);
    }

    #[test]
    fn both_directions_same_key() {
        let a = v4(10, 0, 0, 2);
        let b = v4(10, 0, 0, 1);
        let (k1, d1) = FlowKey::new(a, 40000, b, 443);
        let (k2, d2) = FlowKey::new(b, 443, a, 40000);
        assert_eq!(k1, k2);
        assert_eq!(d1, Direction::Reverse);
        assert_eq!(d2, Direction::Forward);
        assert_eq!(k1.first(), (b, 443));
        assert_eq!(k1.second(), (a, 40000));
        assert_eq!(k1.endpoints(d1), ((a, 40000), (b, 443)));
        assert!(k1.is_ipv4());
    }

    #[test]
    fn same_address_orders_by_port() {
        let a = v4(192, 0, 2, 1);
        let (k, d) = FlowKey::new(a, 2, a, 1);
        assert_eq!(d, Direction::Reverse);
        assert_eq!(k.first(), (a, 1));
        let (k2, d2) = FlowKey::new(a, 7, a, 7);
        assert_eq!(d2, Direction::Forward);
        assert_eq!(k2.first(), k2.second());
    }

    #[test]
    fn ipv6_round_trip() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::2".parse().unwrap();
        let (k, d) = FlowKey::new(b, 1, a, 2);
        assert_eq!(d, Direction::Reverse);
        assert_eq!(k.endpoints(d), ((b, 1), (a, 2)));
        assert!(!k.is_ipv4());
    }

    #[test]
    fn mixed_family_and_mapped() {
        let a = v4(1, 2, 3, 4);
        let mapped: IpAddr = "::ffff:1.2.3.4".parse().unwrap();
        let b: IpAddr = "2001:db8::2".parse().unwrap();
        // v4-mapped (::ffff:…) sorts below 2001:… so the IPv4 side is first.
        let (k, d) = FlowKey::new(b, 80, a, 80);
        assert_eq!(d, Direction::Reverse);
        assert_eq!(k.first(), (a, 80));
        assert_eq!(FlowKey::new(mapped, 80, b, 80).0, k);
        assert_eq!(
            FlowKey::from((Ipv4Addr::new(1, 2, 3, 4), 1, Ipv4Addr::new(1, 2, 3, 5), 2)),
            FlowKey::new(v4(1, 2, 3, 5), 2, a, 1).0
        );
    }

    /// The stored bytes are the documented layout, whatever the address
    /// family and whichever endpoint is lower.
    #[test]
    fn byte_layout() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: IpAddr = "2001:db8:ffff:fffe:fdfc:fbfa:f9f8:f7f6".parse().unwrap();
        let (k, d) = FlowKey::new(b, 0xabcd, a, 0x1234);
        assert_eq!(d, Direction::Reverse);
        let mut want = [0u8; FLOW_KEY_LEN];
        let IpAddr::V6(a6) = a else { unreachable!() };
        let IpAddr::V6(b6) = b else { unreachable!() };
        want[..16].copy_from_slice(&a6.octets());
        want[16..18].copy_from_slice(&[0x12, 0x34]);
        want[18..34].copy_from_slice(&b6.octets());
        want[34..].copy_from_slice(&[0xab, 0xcd]);
        assert_eq!(k.to_bytes(), want);
        let (k4, _) = FlowKey::new(v4(192, 0, 2, 1), 80, v4(10, 1, 2, 3), 0xfffe);
        let mut want4 = [0u8; FLOW_KEY_LEN];
        want4[10..12].copy_from_slice(&[0xff, 0xff]);
        want4[12..16].copy_from_slice(&[10, 1, 2, 3]);
        want4[16..18].copy_from_slice(&[0xff, 0xfe]);
        want4[28..30].copy_from_slice(&[0xff, 0xff]);
        want4[30..34].copy_from_slice(&[192, 0, 2, 1]);
        want4[34..].copy_from_slice(&[0, 80]);
        assert_eq!(k4.to_bytes(), want4);
    }
}
