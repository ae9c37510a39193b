//! Middlebox-interference analysis: DSS checksum validation ([`dss`]),
//! mirroring and stripping verdicts ([`mirror`]), TCP checksum error
//! counts and the MP_FAIL correlation, plus the per-subflow TCP-timestamp
//! RTT samples ([`TsRtt`], whose rule lives in [`crate::flow::ts_rtt`]),
//! kept in side arrays next to the flow tables.
//!
//! This module owns the analysis state values and their bookkeeping: a
//! [`SubflowAnalysis`] per subflow slot and a [`ConnAnalysis`] per
//! connection slot, indexed by [`SlotId::index`](crate::flow::SlotId::index)
//! of the entry in its table. The dissector resets an entry when its slot
//! receives a new subflow or connection, feeds it, and turns what it
//! returns into events. It must not parse bytes nor touch the flow tables.
//!
//! # Why side arrays
//!
//! The subflow slot is full (a 64-byte value in a 128-byte slot, pinned)
//! and the connection slot has 40 spare bytes; per-direction DSS state
//! alone is 48 bytes per subflow. Side arrays keep the flow tables'
//! cache footprint for the callers that do not analyse (a
//! [`DissectorView`](crate::dissector::DissectorView) without analysis
//! memory simply skips it) and cost nothing in the hash path.
//!
//! # Memory
//!
//! * [`SubflowAnalysis`]: **128 bytes** = DSS state 2 × 24 + mapping
//!   counters 16 + TCP checksum errors 4 + handshake 12 + TCP-timestamp
//!   RTT samples 48 ([`TsRtt`]). A subflow of capacity costs 128 (slot) +
//!   8 (index) + 128 = **264 bytes**.
//! * [`ConnAnalysis`]: **80 bytes** (alignment 4) = counters 16 + TCP
//!   checksum errors 4 + MP_FAIL correlation 3 × 2 + evidence and flags 4 +
//!   the last [`INVALID_RING`] = 4 invalid mappings (DSN halves, length,
//!   direction) 4 × 12, + 2 padding. A connection of capacity costs 256 + 8
//!   (connection) + 64 + 8 (token alias; 48 on bare metal, whose slots are
//!   not cache-line aligned) + 80 = **416 bytes** (400).
//!
//! Pinned by a test.
//!
//! # MP_FAIL correlation
//!
//! An MP_FAIL carries the DSN of the mapping its sender could not verify,
//! in the data it *receives*. Its [`MpFailMatch`] is
//! [`Flagged`](MpFailMatch::Flagged) when one of the last [`INVALID_RING`]
//! invalid mappings of that direction contains the DSN,
//! [`Echo`](MpFailMatch::Echo) when the other endpoint already sent an
//! MP_FAIL on this connection (Linux answers an MP_FAIL with one carrying
//! its own current receive mapping, which is not a failure), and
//! [`NotFlagged`](MpFailMatch::NotFlagged) otherwise.

pub mod dss;
pub mod mirror;

pub use dss::{DssDir, DssVerdict, UnverifiableReason};
pub use mirror::{Handshake, MiddleboxVerdict, MirrorEvidence, StripEvidence};

use crate::flow::{Role, RttStats, TsRtt};

/// Invalid mappings remembered per connection for MP_FAIL correlation.
pub const INVALID_RING: usize = 4;

/// Mapping verdict counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DssCounters {
    /// Mappings whose checksum matched.
    pub valid: u32,
    /// Mappings whose checksum did not match.
    pub invalid: u32,
    /// Mappings that could not be checked (gap, truncation, missing
    /// checksum, overlap, infinite mapping), not counting `not_negotiated`.
    pub unverifiable: u32,
    /// Mappings without a checksum on a connection that did not negotiate
    /// checksums.
    pub not_negotiated: u32,
}

impl DssCounters {
    /// Counts one verdict.
    pub fn count(&mut self, v: DssVerdict) {
        let c = match v {
            DssVerdict::Valid => &mut self.valid,
            DssVerdict::Invalid => &mut self.invalid,
            DssVerdict::Unverifiable(UnverifiableReason::NotNegotiated) => &mut self.not_negotiated,
            DssVerdict::Unverifiable(_) => &mut self.unverifiable,
        };
        *c = c.saturating_add(1);
    }
}

/// Analysis state of one subflow (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SubflowAnalysis {
    /// DSS state per subflow direction, indexed by [`Role::index`]
    /// (subflow roles).
    pub dss: [DssDir; 2],
    /// Mapping verdicts on this subflow (both directions).
    pub counters: DssCounters,
    /// Segments whose TCP checksum was wrong (when checked).
    pub tcp_checksum_errors: u32,
    /// The handshake's mirroring/stripping evidence.
    pub handshake: Handshake,
    /// TCP-timestamp RTT samples, both directions.
    pub ts: TsRtt,
}

impl SubflowAnalysis {
    /// A fresh entry.
    #[must_use]
    pub const fn new() -> Self {
        SubflowAnalysis {
            dss: [DssDir::new(); 2],
            counters: DssCounters {
                valid: 0,
                invalid: 0,
                unverifiable: 0,
                not_negotiated: 0,
            },
            tcp_checksum_errors: 0,
            handshake: Handshake::new(),
            ts: TsRtt::new(),
        }
    }

    /// Directions (0–2) whose current DSS mapping still waits for its
    /// verdict (see [`DssDir::pending`]): once the subflow left the table,
    /// mappings whose last bytes were never captured.
    #[must_use]
    pub fn dss_pending(&self) -> u8 {
        self.dss
            .iter()
            .map(|d| u8::from(d.pending().is_some()))
            .sum()
    }

    /// TCP-timestamp RTT samples of the segments sent by `role` (subflow
    /// roles), timed from the capture point until the peer's echo; `None`
    /// without samples (see [`crate::flow::ts_rtt`] for the rule).
    #[must_use]
    pub fn ts_rtt(&self, role: Role) -> Option<RttStats> {
        self.ts.stats(role)
    }
}

/// How an MP_FAIL relates to the mappings the validator flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MpFailMatch {
    /// A mapping containing its DSN was found invalid.
    Flagged,
    /// No flagged mapping contains its DSN.
    NotFlagged,
    /// The answer to the other endpoint's MP_FAIL.
    Echo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct InvalidMapping {
    dsn: [u32; 2],
    len: u16,
    /// 1 + [`Role::index`] (0 = empty).
    dir: u8,
}

mod bit {
    pub const FAIL_C2S: u8 = 1;
    pub const FAIL_S2C: u8 = 2;
    pub const INFINITE: u8 = 4;
}

/// Analysis state of one connection (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConnAnalysis {
    /// Mapping verdicts on every subflow of the connection.
    pub counters: DssCounters,
    /// Segments of its subflows whose TCP checksum was wrong.
    pub tcp_checksum_errors: u32,
    /// MP_FAILs whose DSN is in a flagged mapping.
    pub mp_fail_flagged: u16,
    /// MP_FAILs whose DSN is in no flagged mapping (not echoes).
    pub mp_fail_not_flagged: u16,
    /// MP_FAIL echoes.
    pub mp_fail_echo: u16,
    /// Mirroring evidence of its subflows' handshakes.
    pub mirror: MirrorEvidence,
    /// Stripping evidence of its subflows.
    pub strip: StripEvidence,
    bits: u8,
    ring_next: u8,
    ring: [InvalidMapping; INVALID_RING],
}

impl ConnAnalysis {
    /// A fresh entry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers an invalid mapping of direction `role` (connection roles).
    pub fn note_invalid(&mut self, role: Role, dsn: u64, len: u16) {
        let i = usize::from(self.ring_next) % INVALID_RING;
        if let Some(e) = self.ring.get_mut(i) {
            *e = InvalidMapping {
                dsn: [(dsn >> 32) as u32, dsn as u32],
                len,
                dir: (role.index() as u8).saturating_add(1),
            };
        }
        self.ring_next = self.ring_next.wrapping_add(1);
    }

    /// Records an infinite mapping.
    pub fn note_infinite(&mut self) {
        self.bits |= bit::INFINITE;
    }

    /// `true` once an infinite mapping was seen.
    #[must_use]
    pub fn infinite_mapping(&self) -> bool {
        self.bits & bit::INFINITE != 0
    }

    /// Correlates an MP_FAIL sent by `sender` (connection roles) carrying
    /// `dsn`, and counts it.
    pub fn on_mp_fail(&mut self, sender: Role, dsn: u64) -> MpFailMatch {
        let data_dir = sender.reversed();
        let want = (data_dir.index() as u8).saturating_add(1);
        let flagged = self.ring.iter().any(|e| {
            let start = (u64::from(e.dsn[0]) << 32) | u64::from(e.dsn[1]);
            e.dir == want && dsn.wrapping_sub(start) < u64::from(e.len.max(1))
        });
        let (mine, other) = match sender {
            Role::C2s => (bit::FAIL_C2S, bit::FAIL_S2C),
            Role::S2c => (bit::FAIL_S2C, bit::FAIL_C2S),
        };
        let m = if flagged {
            self.mp_fail_flagged = self.mp_fail_flagged.saturating_add(1);
            MpFailMatch::Flagged
        } else if self.bits & other != 0 && self.bits & mine == 0 {
            self.mp_fail_echo = self.mp_fail_echo.saturating_add(1);
            MpFailMatch::Echo
        } else {
            self.mp_fail_not_flagged = self.mp_fail_not_flagged.saturating_add(1);
            MpFailMatch::NotFlagged
        };
        self.bits |= mine;
        m
    }

    /// The connection's verdict (`mp_fail`: MP_FAILs seen on it).
    #[must_use]
    pub fn verdict(&self, mp_fail: bool) -> MiddleboxVerdict {
        MiddleboxVerdict::from_evidence(self.mirror, self.strip, mp_fail || self.infinite_mapping())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(core::mem::size_of::<SubflowAnalysis>(), 128);
        assert_eq!(core::mem::size_of::<ConnAnalysis>(), 80);
    }

    #[test]
    fn mp_fail_correlation() {
        let mut c = ConnAnalysis::new();
        c.note_invalid(Role::S2c, 1000, 500);
        assert_eq!(c.on_mp_fail(Role::C2s, 1000), MpFailMatch::Flagged);
        assert_eq!(c.on_mp_fail(Role::S2c, 77), MpFailMatch::Echo);
        assert_eq!(c.on_mp_fail(Role::C2s, 1500), MpFailMatch::NotFlagged);
        assert_eq!(c.on_mp_fail(Role::C2s, 1499), MpFailMatch::Flagged);
        assert_eq!(
            (c.mp_fail_flagged, c.mp_fail_echo, c.mp_fail_not_flagged),
            (2, 1, 1)
        );
        // Ring: the oldest is forgotten after INVALID_RING more.
        for i in 0..INVALID_RING as u64 {
            c.note_invalid(Role::S2c, 10_000 + i * 100, 100);
        }
        assert_eq!(c.on_mp_fail(Role::C2s, 1000), MpFailMatch::NotFlagged);
        assert_eq!(c.verdict(true), MiddleboxVerdict::FallbackAfterFail);
    }
}
