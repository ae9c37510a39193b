//! MPTCP key-derived values and HMACs, as pure functions.
//!
//! This module owns the cryptographic computations a passive observer needs
//! to check an MPTCP connection against itself:
//!
//! * the **token** and **initial data sequence number** (IDSN) derived from
//!   a key seen in MP_CAPABLE ([`key_hash`]; RFC 6824 §3.1 / RFC 8684 §3.1);
//! * the two **MP_JOIN HMACs**: the truncated one of the SYN/ACK
//!   ([`join_synack_hmac`]) and the 160-bit one of the third ACK
//!   ([`join_ack_hmac`]) (RFC 6824 §3.2 / RFC 8684 §3.2);
//! * the **ADD_ADDR HMAC** of MPTCP v1 ([`add_addr_hmac`],
//!   RFC 8684 §3.4.1), plus the full HMAC and the truncations used by
//!   early Linux development kernels ([`add_addr_hmac_full`],
//!   [`AddAddrTruncation`]) so that old captures can still be checked.
//!
//! It must not keep state, allocate, or decide anything: the flow layer
//! chooses which keys and nonces to feed in and what a mismatch means
//! (valid / invalid / unverifiable). It never reads a secret other than the
//! keys and nonces an endpoint itself put on the wire (MP_CAPABLE keys,
//! MP_JOIN random numbers): there is no way to pass it anything else.
//!
//! # The `hmac` feature
//!
//! The HMAC functions and [`AddAddrTruncation`] exist only with the crate's
//! `hmac` feature (on by default; it pulls in the `hmac` crate). Without
//! it the dissector does not verify MP_JOIN and ADD_ADDR HMACs (their
//! verdicts are `Unverifiable`; joins are still linked by token), which
//! saves a firmware image that code; [`key_hash`] (tokens, IDSNs) stays.
//!
//! # Byte order
//!
//! Every key (`u64`) and nonce (`u32`) is the value **as read from the
//! wire**, i.e. decoded big-endian. The functions re-encode them big-endian
//! before hashing, exactly as the Linux kernel does (`net/mptcp/crypto.c`,
//! `put_unaligned_be64` / `put_unaligned_be32`). Values extracted from a
//! digest (token, IDSN, truncated HMACs) are read big-endian from the digest
//! bytes, so they compare directly with the big-endian fields on the wire.
//!
//! # Algorithms
//!
//! | version | key hash | HMAC        |
//! |---------|----------|-------------|
//! | v0      | SHA-1    | HMAC-SHA1   |
//! | v1      | SHA-256  | HMAC-SHA256 |
//!
//! The HMAC key is always the concatenation of two 64-bit keys (16 bytes,
//! shorter than the hash block, so it is zero-padded as RFC 2104 says).

#[cfg(feature = "hmac")]
use core::net::IpAddr;

#[cfg(feature = "hmac")]
use hmac::digest::Key;
#[cfg(feature = "hmac")]
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::wire::mptcp::Version;

/// Length in bytes of the HMAC carried by the third ACK of MP_JOIN.
pub const JOIN_ACK_HMAC_LEN: usize = 20;

/// Length in bytes of a full HMAC-SHA256 output.
pub const SHA256_LEN: usize = 32;

/// The values derived from one endpoint's key (RFC 6824 §3.1,
/// RFC 8684 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KeyHash {
    /// The connection token: the most significant 32 bits of the hash of
    /// the key. The *peer* of the key's owner puts it in MP_JOIN SYNs.
    pub token: u32,
    /// The initial data sequence number of the data the key's owner sends:
    /// the least significant 64 bits of the hash of the key.
    pub idsn: u64,
}

/// The token and IDSN derived from `key` (SHA-1 for v0, SHA-256 for v1).
///
/// `key` is the 64-bit key as carried in MP_CAPABLE. It is hashed as its 8
/// big-endian bytes; the token is the first 4 bytes of the digest read
/// big-endian, the IDSN the last 8 bytes read big-endian.
pub fn key_hash(version: Version, key: u64) -> KeyHash {
    let input = key.to_be_bytes();
    match version {
        Version::V0 => {
            let digest = Sha1::digest(input);
            KeyHash {
                token: be_u32(digest.iter()),
                idsn: be_u64(digest.iter().skip(20 - 8)),
            }
        }
        Version::V1 => {
            let digest = Sha256::digest(input);
            KeyHash {
                token: be_u32(digest.iter()),
                idsn: be_u64(digest.iter().skip(SHA256_LEN - 8)),
            }
        }
    }
}

#[cfg(feature = "hmac")]
/// The truncated HMAC carried by the SYN/ACK of MP_JOIN ("HMAC-B").
///
/// The SYN/ACK is sent by the **listener** (the host receiving the new
/// subflow, "Host B"). Per RFC 6824 / RFC 8684 §3.2:
///
/// `HMAC(Key = (listener_key || initiator_key), Msg = (listener_nonce || initiator_nonce))`
///
/// — the listener's key and nonce come first. The result is the leftmost
/// (most significant) 64 bits of the HMAC, read big-endian, to compare with
/// the 64-bit truncated HMAC field of the SYN/ACK. HMAC-SHA1 for v0,
/// HMAC-SHA256 for v1.
///
/// * `listener_key`: the MP_CAPABLE key of the listener's side of the
///   connection (Key-B).
/// * `initiator_key`: the MP_CAPABLE key of the initiator's side (Key-A).
/// * `listener_nonce`: the random number of the MP_JOIN SYN/ACK (R-B).
/// * `initiator_nonce`: the random number of the MP_JOIN SYN (R-A).
pub fn join_synack_hmac(
    version: Version,
    listener_key: u64,
    initiator_key: u64,
    listener_nonce: u32,
    initiator_nonce: u32,
) -> u64 {
    let msg = nonces(listener_nonce, initiator_nonce);
    match version {
        Version::V0 => be_u64(hmac_sha1(listener_key, initiator_key, &msg).iter()),
        Version::V1 => be_u64(hmac_sha256(listener_key, initiator_key, &[&msg]).iter()),
    }
}

#[cfg(feature = "hmac")]
/// The HMAC carried by the third ACK of MP_JOIN ("HMAC-A").
///
/// The third ACK is sent by the **initiator** of the subflow ("Host A").
/// Per RFC 6824 / RFC 8684 §3.2:
///
/// `HMAC(Key = (initiator_key || listener_key), Msg = (initiator_nonce || listener_nonce))`
///
/// — the initiator's key and nonce come first. The result is the 160-bit
/// field of the ACK: the whole HMAC-SHA1 output for v0, the leftmost 160
/// bits of HMAC-SHA256 for v1.
///
/// * `initiator_key`: Key-A; `listener_key`: Key-B (see
///   [`join_synack_hmac`]).
/// * `initiator_nonce`: R-A (MP_JOIN SYN); `listener_nonce`: R-B (MP_JOIN
///   SYN/ACK).
pub fn join_ack_hmac(
    version: Version,
    initiator_key: u64,
    listener_key: u64,
    initiator_nonce: u32,
    listener_nonce: u32,
) -> [u8; JOIN_ACK_HMAC_LEN] {
    let msg = nonces(initiator_nonce, listener_nonce);
    let mut out = [0u8; JOIN_ACK_HMAC_LEN];
    match version {
        Version::V0 => copy_prefix(&mut out, &hmac_sha1(initiator_key, listener_key, &msg)),
        Version::V1 => copy_prefix(&mut out, &hmac_sha256(initiator_key, listener_key, &[&msg])),
    }
    out
}

#[cfg(feature = "hmac")]
/// The full HMAC-SHA256 behind the ADD_ADDR truncated HMAC (MPTCP v1 only).
///
/// Per RFC 8684 §3.4.1 and the Linux kernel (`add_addr_generate_hmac` in
/// `net/mptcp/options.c`):
///
/// `HMAC-SHA256(Key = (sender_key || receiver_key), Msg = (addr_id || ip || port))`
///
/// * `sender_key`: the MP_CAPABLE key of the host that **sends** the
///   ADD_ADDR; `receiver_key`: the key of its peer.
/// * `ip`: 4 bytes for IPv4, 16 for IPv6, in network order.
/// * `port`: always 2 big-endian bytes; `None` (no port in the option)
///   hashes as port 0, as the RFC and the kernel both do.
///
/// Linux kernels from before the port fix of March 2021 ("mptcp: fix
/// ADD_ADDR HMAC in case port is specified", fixing 22fb85ffaefb) hashed
/// port 0 even when the option carried a port: to check those, pass `None`.
pub fn add_addr_hmac_full(
    sender_key: u64,
    receiver_key: u64,
    addr_id: u8,
    ip: IpAddr,
    port: Option<u16>,
) -> [u8; SHA256_LEN] {
    let id = [addr_id];
    let port = port.unwrap_or(0).to_be_bytes();
    match ip {
        IpAddr::V4(v4) => hmac_sha256(sender_key, receiver_key, &[&id, &v4.octets(), &port]),
        IpAddr::V6(v6) => hmac_sha256(sender_key, receiver_key, &[&id, &v6.octets(), &port]),
    }
}

#[cfg(feature = "hmac")]
/// The truncated HMAC of a v1 ADD_ADDR, as RFC 8684 §3.4.1 and every
/// released Linux kernel compute it: the **rightmost** 64 bits of
/// [`add_addr_hmac_full`], read big-endian.
///
/// Argument meanings are those of [`add_addr_hmac_full`]; in particular
/// `sender_key` is the key of the endpoint that sent the ADD_ADDR.
pub fn add_addr_hmac(
    sender_key: u64,
    receiver_key: u64,
    addr_id: u8,
    ip: IpAddr,
    port: Option<u16>,
) -> u64 {
    AddAddrTruncation::Rfc8684.apply(&add_addr_hmac_full(
        sender_key,
        receiver_key,
        addr_id,
        ip,
        port,
    ))
}

#[cfg(feature = "hmac")]
/// Which 64 bits of the ADD_ADDR HMAC-SHA256 an implementation put on the
/// wire.
///
/// Only [`Rfc8684`](Self::Rfc8684) is correct. The other two were put on
/// the wire by Linux development trees of early 2020, before commit
/// 12555a2d97e5 ("mptcp: use rightmost 64 bits in ADD_ADDR HMAC") and then
/// before "mptcp: use untruncated hash in ADD_ADDR HMAC" (May 2020), which
/// explains the RFC's ambiguity: the rightmost 64 bits are those of the
/// whole 256-bit HMAC, not of its leftmost 160 bits. Captures from those
/// kernels exist (tcpdump's `mptcp-aa-v1.pcap` is
/// [`LinuxDevLeftmost`](Self::LinuxDevLeftmost)), so the flow layer may
/// try every truncation and report a legacy match as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddAddrTruncation {
    /// The rightmost 64 bits of the full 256-bit HMAC (bytes 24..32).
    Rfc8684,
    /// The leftmost 64 bits (bytes 0..8): early Linux development kernels.
    LinuxDevLeftmost,
    /// The rightmost 64 bits of the leftmost 160 bits (bytes 12..20): Linux
    /// development kernels between the two fixes.
    LinuxDevRightmostOf160,
}

#[cfg(feature = "hmac")]
impl AddAddrTruncation {
    /// Every truncation, the correct one first.
    pub const ALL: [AddAddrTruncation; 3] = [
        AddAddrTruncation::Rfc8684,
        AddAddrTruncation::LinuxDevLeftmost,
        AddAddrTruncation::LinuxDevRightmostOf160,
    ];

    /// The 64-bit value (big-endian) this truncation takes from `full`.
    pub fn apply(self, full: &[u8; SHA256_LEN]) -> u64 {
        let skip = match self {
            AddAddrTruncation::Rfc8684 => SHA256_LEN - 8,
            AddAddrTruncation::LinuxDevLeftmost => 0,
            AddAddrTruncation::LinuxDevRightmostOf160 => JOIN_ACK_HMAC_LEN - 8,
        };
        be_u64(full.iter().skip(skip))
    }
}

#[cfg(feature = "hmac")]
/// `R1 || R2`, both big-endian.
fn nonces(first: u32, second: u32) -> [u8; 8] {
    let mut msg = [0u8; 8];
    let parts = first.to_be_bytes().into_iter().chain(second.to_be_bytes());
    for (dst, src) in msg.iter_mut().zip(parts) {
        *dst = src;
    }
    msg
}

#[cfg(feature = "hmac")]
/// The HMAC key block: `key1 || key2` (big-endian) zero-padded to the
/// 64-byte block of SHA-1 / SHA-256, which RFC 2104 makes equivalent to the
/// 16-byte key itself.
fn key_block<K: Default + AsMut<[u8]>>(key1: u64, key2: u64) -> K {
    let mut block = K::default();
    let bytes = key1.to_be_bytes().into_iter().chain(key2.to_be_bytes());
    for (dst, src) in block.as_mut().iter_mut().zip(bytes) {
        *dst = src;
    }
    block
}

#[cfg(feature = "hmac")]
/// HMAC-SHA1 keyed with `key1 || key2` over `msg`.
fn hmac_sha1(key1: u64, key2: u64, msg: &[u8]) -> [u8; 20] {
    let key: Key<Hmac<Sha1>> = key_block(key1, key2);
    let mut mac = <Hmac<Sha1> as KeyInit>::new(&key);
    mac.update(msg);
    let mut out = [0u8; 20];
    copy_prefix(&mut out, &mac.finalize().into_bytes());
    out
}

#[cfg(feature = "hmac")]
/// HMAC-SHA256 keyed with `key1 || key2` over the concatenation of `parts`.
fn hmac_sha256(key1: u64, key2: u64, parts: &[&[u8]]) -> [u8; SHA256_LEN] {
    let key: Key<Hmac<Sha256>> = key_block(key1, key2);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&key);
    for part in parts {
        mac.update(part);
    }
    let mut out = [0u8; SHA256_LEN];
    copy_prefix(&mut out, &mac.finalize().into_bytes());
    out
}

#[cfg(feature = "hmac")]
/// Fill `out` with the first `out.len()` bytes of `src`.
fn copy_prefix(out: &mut [u8], src: &[u8]) {
    for (dst, s) in out.iter_mut().zip(src) {
        *dst = *s;
    }
}

/// The first 4 bytes of `bytes`, big-endian.
fn be_u32<'a>(bytes: impl Iterator<Item = &'a u8>) -> u32 {
    bytes
        .take(4)
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

/// The first 8 bytes of `bytes`, big-endian.
fn be_u64<'a>(bytes: impl Iterator<Item = &'a u8>) -> u64 {
    bytes
        .take(8)
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

#[cfg(all(test, feature = "hmac"))]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_big_endian() {
        assert_eq!(nonces(0x0102_0304, 0x0506_0708), [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn key_block_is_zero_padded() {
        let k: Key<Hmac<Sha256>> = key_block(0x0102_0304_0506_0708, 0x090a_0b0c_0d0e_0f10);
        assert_eq!(k.len(), 64);
        assert_eq!(
            &k[..16],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
        );
        assert!(k[16..].iter().all(|&b| b == 0));
    }

    #[test]
    fn truncations_pick_the_documented_bytes() {
        let mut full = [0u8; SHA256_LEN];
        for (i, b) in full.iter_mut().enumerate() {
            *b = i as u8;
        }
        assert_eq!(
            AddAddrTruncation::Rfc8684.apply(&full),
            0x1819_1a1b_1c1d_1e1f
        );
        assert_eq!(
            AddAddrTruncation::LinuxDevLeftmost.apply(&full),
            0x0001_0203_0405_0607
        );
        assert_eq!(
            AddAddrTruncation::LinuxDevRightmostOf160.apply(&full),
            0x0c0d_0e0f_1011_1213
        );
    }
}
