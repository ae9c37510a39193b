//! The flow tables' hash seed: random for every run unless `--seed` gives
//! one. This module owns choosing it; it must not affect any result (the
//! tables' contents, and so every output, are the same under any seed).
//!
//! A seed known in advance lets anyone who can send packets past the
//! capture point pick addresses and ports whose hashes share one region of
//! the index: one long probe run that every lookup homed there walks (a
//! review measured lookups 77× slower at 2¹⁶ entries with the constant
//! seed the CLI used until the twenty-second session). `--seed` is for
//! reproducing a run exactly, timings included.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::OnceLock;

static SEED: OnceLock<[u8; 16]> = OnceLock::new();

/// Sets the run's seed (`None`: random). Only the first call counts.
pub fn set(seed: Option<[u8; 16]>) {
    let _ = SEED.set(seed.unwrap_or_else(random));
}

/// The run's seed (random if [`set`] was not called).
pub fn get() -> [u8; 16] {
    *SEED.get_or_init(random)
}

/// 16 unpredictable bytes: the standard library's `RandomState` keys come
/// from the operating system's random source, and its hasher (SipHash)
/// keyed with them turns two counters into two unpredictable words.
fn random() -> [u8; 16] {
    let state = RandomState::new();
    let mut out = [0u8; 16];
    for (i, chunk) in out.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&state.hash_one(i).to_le_bytes());
    }
    out
}

/// Parses `--seed`: exactly 32 hexadecimal digits.
pub fn parse(s: &str) -> Result<[u8; 16], String> {
    let b = s.as_bytes();
    if b.len() != 32 || !b.iter().all(u8::is_ascii_hexdigit) {
        return Err("must be 32 hexadecimal digits".into());
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let hex = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
        *o = u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_32_hex_digits_only() {
        let s = parse("000102030405060708090a0B0c0d0e0F").unwrap();
        assert_eq!(s, core::array::from_fn(|i| i as u8));
        for bad in [
            "",
            "00",
            "000102030405060708090a0b0c0d0e0",
            "000102030405060708090a0b0c0d0e0fff",
            "000102030405060708090a0b0c0d0e0g",
            "+00102030405060708090a0b0c0d0e0f",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn random_seeds_differ() {
        assert_ne!(random(), random());
    }
}
