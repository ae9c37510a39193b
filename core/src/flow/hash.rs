//! The flow tables' keyed hash: a seeded folded-multiply hash.
//!
//! This module owns turning a key's bytes and the table's 128-bit seed into
//! the 64-bit hash that places the key in the index. It must not know what a
//! key means, and it is not a MAC: nothing outside a table's index may rely
//! on it.
//!
//! # Construction
//!
//! The input is cut into 16-byte blocks (the tail zero-padded, its length
//! mixed in). Block `i`, as two little-endian words `(a, b)`, gives
//! `fold(a ^ s0 ^ Cᵢ, b ^ s1)` where `fold(x, y)` is the 128-bit product
//! `x · y` with its halves XORed together, `s0, s1` come from the seed and
//! `Cᵢ` are fixed odd constants (so equal blocks at different positions do
//! not cancel). The block values are combined by rotate-and-XOR and the sum
//! goes through one last `fold` with a third seed word. This is the
//! structure of foldhash / wyhash; on a 36-byte [`FlowKey`] it costs three
//! independent multiplies plus one, against eight SipHash rounds in series.
//!
//! # Flooding resistance
//!
//! Every block is multiplied by seed material before anything else, so
//! without the seed an attacker cannot predict which keys share an index
//! position: the per-position collision sets of one seed are useless under
//! another (the `adversarial` test measures it: a key set that collides on
//! one known seed probes as any random set under a secret one). It is weaker
//! than SipHash — a keyed PRF — against an attacker who can *observe* many
//! hashes (for instance through timing) and solve for the seed; the tables
//! never expose hashes. Measured in `benches/benches/table.rs` and
//! `dissect.rs` (the third session's measurements, against SipHash-1-3, are
//! in `docs/performance-history.md`).
//!
//! [`FlowKey`]: super::key::FlowKey

use core::hash::Hasher;

/// Odd constants (digits of π) that make block positions distinct.
const POSITION: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

/// Odd constant of the finalisation.
const FINAL: u64 = 0x4528_21e6_38d0_1377;

/// The 128-bit product of `x` and `y`, halves XORed.
#[inline(always)]
const fn fold(x: u64, y: u64) -> u64 {
    let p = (x as u128).wrapping_mul(y as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Little-endian word of the first 8 bytes (`bytes.len() >= 8`).
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    bytes
        .first_chunk::<8>()
        .map_or(0, |w| u64::from_le_bytes(*w))
}

/// Little-endian word of the last 8 bytes (`bytes.len() >= 8`).
#[inline(always)]
fn last_word(bytes: &[u8]) -> u64 {
    bytes
        .last_chunk::<8>()
        .map_or(0, |w| u64::from_le_bytes(*w))
}

/// Little-endian `u32` of the first / last 4 bytes (`bytes.len() >= 4`).
#[inline(always)]
fn half_words(bytes: &[u8]) -> (u64, u64) {
    let first = bytes
        .first_chunk::<4>()
        .map_or(0, |w| u32::from_le_bytes(*w));
    let last = bytes
        .last_chunk::<4>()
        .map_or(0, |w| u32::from_le_bytes(*w));
    (u64::from(first), u64::from(last))
}

/// The two words of a tail of 0 to 15 bytes, read as wyhash does (with
/// overlapping loads, no byte loop); the length is mixed in by the caller.
#[inline(always)]
fn tail_words(t: &[u8]) -> (u64, u64) {
    match t.len() {
        8.. => (word(t), last_word(t)),
        4..=7 => half_words(t),
        0 => (0, 0),
        n => {
            let b = |i: usize| u64::from(t.get(i).copied().unwrap_or(0));
            ((b(0) << 16) | (b(n >> 1) << 8) | b(n.wrapping_sub(1)), 0)
        }
    }
}

/// A [`Hasher`] keyed with a table's seed (see the module docs).
///
/// Every `write` is absorbed in 16-byte blocks; integer writes go through
/// `write` with their little-endian bytes, so a key should hash itself in as
/// few writes as it can (a [`FlowKey`](super::key::FlowKey) makes one).
#[derive(Debug, Clone)]
pub struct FoldHasher {
    s0: u64,
    s1: u64,
    acc: u64,
    blocks: usize,
}

impl FoldHasher {
    /// A hasher keyed with the table's two seed words.
    #[inline(always)]
    #[must_use]
    pub const fn new(keys: [u64; 2]) -> Self {
        let [s0, s1] = keys;
        FoldHasher {
            s0,
            s1,
            acc: 0,
            blocks: 0,
        }
    }

    #[inline(always)]
    fn block(&mut self, a: u64, b: u64) {
        let c = match POSITION.get(self.blocks & 3) {
            Some(&c) => c,
            None => 0,
        };
        let v = fold(a ^ self.s0 ^ c, b ^ self.s1);
        self.acc = self.acc.rotate_left(23) ^ v;
        self.blocks = self.blocks.wrapping_add(1);
    }
}

impl Hasher for FoldHasher {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((blk, tail)) = rest.split_first_chunk::<16>() {
            let (a, b) = blk.split_at(8);
            self.block(word(a), word(b));
            rest = tail;
        }
        let (a, b) = tail_words(rest);
        // The tail's length (0..=15) goes into `b`'s top byte, which the tail
        // words leave for it only when the tail is shorter than 8 bytes;
        // longer tails differ by their overlapping loads and length alike.
        self.block(a, b ^ ((rest.len() as u64) << 56));
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        fold(self.acc ^ self.s1.rotate_left(32), self.s0 ^ FINAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(keys: [u64; 2], bytes: &[u8]) -> u64 {
        let mut s = FoldHasher::new(keys);
        s.write(bytes);
        s.finish()
    }

    /// `fold` checked against the schoolbook 128-bit product computed in
    /// 32-bit halves (independent of `u128` multiplication).
    #[test]
    fn fold_is_the_folded_product() {
        fn reference(x: u64, y: u64) -> u64 {
            let (x0, x1) = (x & 0xffff_ffff, x >> 32);
            let (y0, y1) = (y & 0xffff_ffff, y >> 32);
            let p00 = x0 * y0;
            let p01 = x0 * y1;
            let p10 = x1 * y0;
            let p11 = x1 * y1;
            let mid = (p00 >> 32) + (p01 & 0xffff_ffff) + (p10 & 0xffff_ffff);
            let lo = (p00 & 0xffff_ffff) | (mid << 32);
            let hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
            lo ^ hi
        }
        let vals = [
            0,
            1,
            3,
            u64::MAX,
            0x8000_0000_0000_0000,
            0x1234_5678_9abc_def0,
        ];
        for &x in &vals {
            for &y in &vals {
                assert_eq!(fold(x, y), reference(x, y), "{x:#x} * {y:#x}");
            }
        }
    }

    #[test]
    fn seed_length_and_position_matter() {
        let k = [0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210];
        let key = [7u8; 36];
        assert_eq!(h(k, &key), h(k, &key));
        assert_ne!(h(k, &key), h([k[0] ^ 1, k[1]], &key));
        assert_ne!(h(k, &key), h([k[0], k[1] ^ 1], &key));
        assert_ne!(h(k, b"x"), h(k, b"x\0"));
        assert_ne!(h(k, b""), h(k, b"\0"));
        // Swapping two equal-length blocks changes the hash.
        let mut swapped = [0u8; 32];
        swapped[..16].fill(1);
        let mut orig = [0u8; 32];
        orig[16..].fill(1);
        assert_ne!(h(k, &orig), h(k, &swapped));
    }

    /// Every input bit flips about half of the output bits on average
    /// (avalanche), over the 36-byte key size the tables hash.
    #[test]
    fn avalanche_on_flow_key_sized_input() {
        let k = [0x9e37_79b9_7f4a_7c15, 0xbf58_476d_1ce4_e5b9];
        let mut key = [0u8; 36];
        for (i, b) in key.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        let base = h(k, &key);
        let mut total = 0u32;
        let mut worst = 64u32;
        for bit in 0..36 * 8 {
            let mut m = key;
            m[bit / 8] ^= 1 << (bit % 8);
            let d = (h(k, &m) ^ base).count_ones();
            total += d;
            worst = worst.min(d);
        }
        let mean = f64::from(total) / f64::from(36 * 8);
        assert!((28.0..36.0).contains(&mean), "mean flipped bits {mean}");
        assert!(worst >= 12, "a bit flip changed only {worst} output bits");
    }
}
