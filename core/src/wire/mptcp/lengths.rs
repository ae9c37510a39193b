//! The view walk's length table: which lengths each MPTCP sub-option
//! accepts, as one bit mask per (subtype, selector) pair.
//!
//! This module owns the table and its lookup, nothing else. The rules stay
//! in the sub-options' files (each file's `accepts_len`, which its `check`
//! applies too); the table is built from them at compile time. Every
//! sub-option's length rule depends on the length and at most one more
//! nibble — the *selector*: the version nibble (MP_CAPABLE), the low nibble
//! of byte 2 (ADD_ADDR), or the low nibble of the flags byte (DSS) — so
//! validating a framed option is one table read and one bit test, with no
//! branch on the subtype. On the wire the subtypes alternate from option to
//! option (MP_CAPABLE, MP_JOIN, DSS, ADD_ADDR in one handshake), and a
//! `match` on the subtype compiled to an indirect jump the CPU mispredicted.
//!
//! It must not decide an error: when the bit is clear the caller runs the
//! sub-option's own `check`, which names the error. The
//! `table_agrees_with_every_rule` test compares the table with the rules on
//! every subtype, byte 2, flags byte and length.

use super::{
    add_addr, capable, dss, prio, remove_addr, reserved12_u64, subtype, MpJoinForm, MpTcpRst,
};

/// Bit `min(len, 31)` of an entry is set when that length is accepted. No
/// known sub-option of a fixed length is 31 bytes or longer (the longest,
/// ADD_ADDR with an IPv6 address, a port and an HMAC, is 30); REMOVE_ADDR
/// and the unknown subtypes accept every length from some length up, so
/// bit 31 stands for "31 or more" exactly.
const LONG: u8 = 31;

/// Whether subtype `st` accepts length `len` with selector `sel` (see the
/// module docs): the sub-options' own rules.
const fn accepts(st: u8, sel: u8, len: u8) -> bool {
    match st {
        subtype::MP_CAPABLE => capable::accepts_len(sel, len),
        subtype::MP_JOIN => MpJoinForm::from_len(len).is_some(),
        subtype::DSS => dss::accepts_len(sel, len),
        subtype::ADD_ADDR => add_addr::accepts_len(sel, len),
        subtype::REMOVE_ADDR => remove_addr::accepts_len(len),
        subtype::MP_PRIO => prio::accepts_len(len),
        subtype::MP_FAIL | subtype::MP_FASTCLOSE => len == reserved12_u64::LEN,
        subtype::MP_TCPRST => len == MpTcpRst::LEN,
        // MP_EXPERIMENTAL and the unassigned subtypes: any length.
        _ => true,
    }
}

/// The mask of entry `i` (subtype in the high nibble, selector in the low).
const fn entry(i: u8) -> u32 {
    let mut mask = 0;
    let mut len = 0;
    while len <= LONG {
        if accepts(i >> 4, i & 0x0f, len) {
            mask |= 1 << len;
        }
        len = len.wrapping_add(1);
    }
    mask
}

/// The table: 256 entries of 32 bits (1 KiB), indexed by `subtype << 4 |
/// selector`.
static TABLE: [u32; 256] = {
    let mut t = [0; 256];
    let mut rest: &mut [u32] = &mut t;
    let mut i: u8 = 0;
    while let [slot, tail @ ..] = rest {
        *slot = entry(i);
        i = i.wrapping_add(1);
        rest = tail;
    }
    t
};

/// Whether a framed MPTCP option whose byte 2 is `b2`, whose byte 3 (0 when
/// there is none) is `b3` and whose length is `len` passes its
/// sub-option's length rule.
#[inline(always)]
pub(crate) fn accepted(b2: u8, b3: u8, len: u8) -> bool {
    let st = b2 >> 4;
    let sel = if st == subtype::DSS { b3 } else { b2 } & 0x0f;
    let mask = TABLE.get(usize::from(st << 4 | sel)).copied().unwrap_or(0);
    (mask >> len.min(LONG)) & 1 != 0
}

#[cfg(test)]
mod tests {
    use super::super::{validate_header, Header};
    use super::*;

    /// Every subtype, byte 2, flags byte and length 3..=255: the table
    /// accepts exactly what the sub-options' `check`s accept.
    #[test]
    fn table_agrees_with_every_rule() {
        let mut b = [0u8; 256];
        for b3 in 0..=255u8 {
            b[0] = b3;
            for b2 in 0..=255u8 {
                for len in 3..=255u8 {
                    let h = Header {
                        subtype: b2 >> 4,
                        len,
                        nibble: b2 & 0x0f,
                        body: &b[..usize::from(len) - 3],
                    };
                    let by_rule = validate_header(h).is_ok();
                    // A length-3 option has no byte 3.
                    let b3 = if len > 3 { b3 } else { 0 };
                    assert_eq!(
                        accepted(b2, b3, len),
                        by_rule,
                        "byte 2 {b2:#04x}, byte 3 {b3:#04x}, length {len}"
                    );
                }
            }
        }
    }

    /// Spot checks of entries against the RFCs' lengths, independent of
    /// the rules the table is built from.
    #[test]
    fn known_entries() {
        // MP_CAPABLE v1: 4, 12, 20, 22, 24; v0: 12, 20; version 2: none.
        assert_eq!(TABLE[0x01], 1 << 4 | 1 << 12 | 1 << 20 | 1 << 22 | 1 << 24);
        assert_eq!(TABLE[0x00], 1 << 12 | 1 << 20);
        assert_eq!(TABLE[0x02], 0);
        // MP_JOIN: 12, 16, 24 whatever the nibble.
        assert!(TABLE[0x10..0x20]
            .iter()
            .all(|&m| m == 1 << 12 | 1 << 16 | 1 << 24));
        // DSS flags A a M m = 1 1 1 1: 4 + 8 + 14 = 26, 28 with a checksum;
        // flags 0: 4 only.
        assert_eq!(TABLE[0x2f], 1 << 26 | 1 << 28);
        assert_eq!(TABLE[0x20], 1 << 4);
        // ADD_ADDR v1 without echo: IPv4 16/18, IPv6 28/30 (with HMAC).
        assert_eq!(TABLE[0x30], 1 << 16 | 1 << 18 | 1 << 28 | 1 << 30);
        // REMOVE_ADDR: 4 and longer (3 + n ids, n >= 1).
        assert_eq!(TABLE[0x40], !0xf);
        // Unassigned and experimental: all.
        assert_eq!(TABLE[0x90], u32::MAX);
        assert_eq!(TABLE[0xf3], u32::MAX);
    }
}
