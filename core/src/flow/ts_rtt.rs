//! TCP-timestamp RTT samples of one subflow: [`TsRtt`], a bounded
//! per-direction estimator kept (by the dissector) in the subflow's
//! [`SubflowAnalysis`](crate::analysis::SubflowAnalysis) side-array entry.
//!
//! This module owns the sampling rule and the running minimum / sum /
//! count. It must not parse bytes: the dissector hands it the TSval and
//! TSecr of the segment's Timestamps option (RFC 7323), already parsed by
//! [`wire::tcp_option`](crate::wire::tcp_option), with the segment's role
//! and the capture time.
//!
//! # Sampling rule
//!
//! Per subflow direction (the *sender* whose segments are timed, subflow
//! [`Role`]s), at most one sample is outstanding:
//!
//! * **Start.** A segment of `role` that consumes sequence space (payload,
//!   SYN or FIN) and carries a TSval is timed — its TSval and the capture
//!   time are remembered — if no sample of `role` is outstanding and the
//!   TSval is *after* the last timed TSval of `role` in 32-bit serial
//!   arithmetic (RFC 1982: `(a − b) as i32 > 0`, so the TSval may wrap).
//!   A retransmission carrying an already-timed TSval is therefore never
//!   re-timed (Karn-like), and segments sharing a TSval (one clock tick)
//!   are timed from the first of them.
//! * **Echo.** A segment of the other role with ACK set and a non-zero
//!   TSecr ends the outstanding sample: if TSecr equals its TSval the sample
//!   is `now − start`; if TSecr is after its TSval, the timed segment's echo
//!   was missed (lost, or overtaken) and the sample is dropped without a
//!   value; an earlier TSecr leaves it outstanding. TSecr is ignored on a
//!   SYN (no ACK: RFC 7323 says it is not valid) and when 0 (a stack with no
//!   TS.Recent yet); consequently a TSval of exactly 0 is never sampled.
//!
//! A sample measures the time from the capture point to the receiver and
//! back: at the client's host, the c2s samples are the path RTT and the s2c
//! samples the client's own ACK delay; in the middle of the path their sum
//! is the path RTT. Samples include the receiver's delayed-ACK time, as
//! every timestamp-based estimator does.
//!
//! # Deviations from the design notes
//!
//! * **Pure ACKs are not timed.** The echo of a pure ACK's TSval comes with
//!   the peer's next segment, whose timing is the peer's application's, not
//!   the network's (an idle peer would produce arbitrarily long samples).
//!   So a one-way bulk transfer has samples only in its data direction.
//! * **Missed echoes are dropped** (the "TSecr after" case above), otherwise
//!   one lost ACK would stop the sampling of its direction for good.
//!
//! # Time and wrap handling
//!
//! Times are kept on a **u32 microsecond clock**: `(now / 1000) as u32`
//! with `now` the dissector's nanosecond clock; a sample is the wrapping
//! difference, exact for any sample shorter than 2³² µs (71.6 minutes) —
//! longer "round trips" alias, and are not round trips anyway. The sum is
//! a u64 of microseconds (stored as two u32 halves to keep alignment 4),
//! which cannot saturate in practice: samples of one direction never
//! overlap in time, so the sum is at most the subflow's lifetime. The
//! sample count saturates at 2³⁰ − 1; the minimum is exact.
//!
//! # Memory
//!
//! **48 bytes, alignment 4**: per direction (24 bytes) the timed TSval, its
//! start time, the minimum, the count with two state bits, and the sum.
//! Pinned by a test.

use crate::flow::Role;

/// TCP-timestamp RTT statistics of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RttStats {
    /// Smallest sample, µs.
    pub min_us: u32,
    /// Mean of the samples, µs (rounded down).
    pub avg_us: u32,
    /// Number of samples (≥ 1).
    pub samples: u32,
}

mod bit {
    /// A sample is outstanding.
    pub const PENDING: u32 = 1 << 31;
    /// `tsval` holds a timed TSval.
    pub const STARTED: u32 = 1 << 30;
    /// The sample count.
    pub const COUNT: u32 = (1 << 30) - 1;
}

/// One direction's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct TsDir {
    /// The last timed TSval (outstanding or answered).
    tsval: u32,
    /// When it was first seen, on the u32 µs clock.
    start_us: u32,
    /// Smallest sample, µs (meaningful when the count is non-zero).
    min_us: u32,
    /// Sample count and the `bit` flags.
    bits: u32,
    /// Sum of the samples, µs, as `[high, low]` halves.
    sum_us: [u32; 2],
}

impl TsDir {
    const fn new() -> Self {
        TsDir {
            tsval: 0,
            start_us: 0,
            min_us: 0,
            bits: 0,
            sum_us: [0; 2],
        }
    }

    fn count(&self) -> u32 {
        self.bits & bit::COUNT
    }

    fn sum(&self) -> u64 {
        (u64::from(self.sum_us[0]) << 32) | u64::from(self.sum_us[1])
    }

    fn record(&mut self, sample: u32) {
        let n = self.count();
        self.min_us = if n == 0 {
            sample
        } else {
            self.min_us.min(sample)
        };
        let sum = self.sum().saturating_add(u64::from(sample));
        self.sum_us = [(sum >> 32) as u32, sum as u32];
        let n = n.saturating_add(1).min(bit::COUNT);
        self.bits = (self.bits & !bit::COUNT) | n;
    }

    fn stats(&self) -> Option<RttStats> {
        let n = self.count();
        let avg = self.sum().checked_div(u64::from(n))?;
        Some(RttStats {
            min_us: self.min_us,
            avg_us: u32::try_from(avg).unwrap_or(u32::MAX),
            samples: n,
        })
    }
}

/// `a` after `b` in 32-bit serial arithmetic.
fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// TCP-timestamp RTT samples of one subflow, both directions (see the
/// [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TsRtt {
    dirs: [TsDir; 2],
}

/// One segment's timestamp information, for [`TsRtt::on_segment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TsSegment {
    /// Its sender (subflow roles).
    pub role: Role,
    /// The Timestamps option's TSval.
    pub tsval: u32,
    /// The Timestamps option's TSecr.
    pub tsecr: u32,
    /// ACK is set (TSecr is valid).
    pub ack: bool,
    /// It consumes sequence space (payload on the wire, SYN or FIN).
    pub timed: bool,
}

impl TsRtt {
    /// No samples.
    #[must_use]
    pub const fn new() -> Self {
        TsRtt {
            dirs: [TsDir::new(); 2],
        }
    }

    /// Feeds one segment carrying a Timestamps option, captured at `now`
    /// (nanoseconds); returns the sample it completed (for the direction
    /// opposite to its sender), in µs.
    pub fn on_segment(&mut self, seg: &TsSegment, now: u64) -> Option<u32> {
        let now_us = (now / 1000) as u32;
        let mut sample = None;
        if seg.ack && seg.tsecr != 0 {
            if let Some(d) = self.dirs.get_mut(seg.role.reversed().index()) {
                if d.bits & bit::PENDING != 0 {
                    if seg.tsecr == d.tsval {
                        let s = now_us.wrapping_sub(d.start_us);
                        d.record(s);
                        sample = Some(s);
                        d.bits &= !bit::PENDING;
                    } else if after(seg.tsecr, d.tsval) {
                        d.bits &= !bit::PENDING;
                    }
                }
            }
        }
        if seg.timed {
            if let Some(d) = self.dirs.get_mut(seg.role.index()) {
                let fresh = d.bits & bit::STARTED == 0 || after(seg.tsval, d.tsval);
                if d.bits & bit::PENDING == 0 && fresh {
                    d.tsval = seg.tsval;
                    d.start_us = now_us;
                    d.bits |= bit::PENDING | bit::STARTED;
                }
            }
        }
        sample
    }

    /// The samples of the segments sent by `role` (subflow roles), if any.
    #[must_use]
    pub fn stats(&self, role: Role) -> Option<RttStats> {
        self.dirs.get(role.index())?.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn seg(role: Role, tsval: u32, tsecr: u32, timed: bool) -> TsSegment {
        TsSegment {
            role,
            tsval,
            tsecr,
            ack: true,
            timed,
        }
    }

    #[test]
    fn size() {
        assert_eq!(core::mem::size_of::<TsRtt>(), 48);
        assert_eq!(core::mem::align_of::<TsRtt>(), 4);
    }

    #[test]
    fn one_sample() {
        let mut t = TsRtt::new();
        assert_eq!(t.on_segment(&seg(Role::C2s, 100, 7, true), 0), None);
        // An echo of something else: still outstanding.
        assert_eq!(t.on_segment(&seg(Role::S2c, 8, 99, false), MS), None);
        assert_eq!(
            t.on_segment(&seg(Role::S2c, 8, 100, false), 5 * MS),
            Some(5000)
        );
        let s = t.stats(Role::C2s).unwrap();
        assert_eq!((s.min_us, s.avg_us, s.samples), (5000, 5000, 1));
        assert_eq!(t.stats(Role::S2c), None);
        // A second echo of the same TSval is not a sample.
        assert_eq!(t.on_segment(&seg(Role::S2c, 8, 100, false), 9 * MS), None);
    }

    #[test]
    fn retransmission_and_pure_acks_not_timed() {
        let mut t = TsRtt::new();
        t.on_segment(&seg(Role::C2s, 100, 7, true), 0);
        t.on_segment(&seg(Role::S2c, 8, 100, false), 2 * MS);
        // Retransmission with the same TSval: not re-timed.
        t.on_segment(&seg(Role::C2s, 100, 8, true), 10 * MS);
        assert_eq!(t.on_segment(&seg(Role::S2c, 9, 100, false), 11 * MS), None);
        // An older TSval neither.
        t.on_segment(&seg(Role::C2s, 99, 8, true), 12 * MS);
        assert_eq!(t.on_segment(&seg(Role::S2c, 9, 99, false), 13 * MS), None);
        // A pure ACK is not timed.
        t.on_segment(&seg(Role::C2s, 150, 9, false), 14 * MS);
        assert_eq!(t.on_segment(&seg(Role::S2c, 9, 150, false), 15 * MS), None);
        assert_eq!(t.stats(Role::C2s).unwrap().samples, 1);
    }

    #[test]
    fn min_avg_wrap_and_missed_echo() {
        let mut t = TsRtt::new();
        // TSvals across the 32-bit wrap; clock across the u32 µs wrap.
        let base = u64::from(u32::MAX) * 1000 - 3 * MS;
        let mut ts = u32::MAX - 1;
        for (i, rtt) in [4u64, 2, 9].into_iter().enumerate() {
            let t0 = base + i as u64 * 20 * MS;
            t.on_segment(&seg(Role::S2c, ts, 1, true), t0);
            // Same TSval again (one tick): not a new start.
            t.on_segment(&seg(Role::S2c, ts, 1, true), t0 + MS / 2);
            let got = t.on_segment(&seg(Role::C2s, 1, ts, false), t0 + rtt * MS);
            assert_eq!(got, Some(rtt as u32 * 1000));
            ts = ts.wrapping_add(3); // skips 0 (never sampled)
        }
        let s = t.stats(Role::S2c).unwrap();
        assert_eq!((s.min_us, s.avg_us, s.samples), (2000, 5000, 3));
        // A missed echo: the later TSecr drops the sample, timing resumes.
        t.on_segment(&seg(Role::S2c, ts, 1, true), 0);
        let later = ts.wrapping_add(1);
        assert_eq!(t.on_segment(&seg(Role::C2s, 1, later, false), MS), None);
        t.on_segment(&seg(Role::S2c, later.wrapping_add(1), 1, true), 2 * MS);
        let got = t.on_segment(&seg(Role::C2s, 1, later.wrapping_add(1), false), 3 * MS);
        assert_eq!(got, Some(1000));
        assert_eq!(t.stats(Role::S2c).unwrap().samples, 4);
    }

    #[test]
    fn syn_tsecr_and_zero_ignored() {
        let mut t = TsRtt::new();
        t.on_segment(&seg(Role::C2s, 500, 0, true), 0);
        // A SYN from the other side echoing by accident: no ACK, ignored.
        let mut s = seg(Role::S2c, 0, 500, true);
        s.ack = false;
        assert_eq!(t.on_segment(&s, MS), None);
        // TSecr 0 is not an echo (and does not drop the sample).
        assert_eq!(t.on_segment(&seg(Role::S2c, 1, 0, false), 2 * MS), None);
        assert_eq!(
            t.on_segment(&seg(Role::S2c, 1, 500, false), 3 * MS),
            Some(3000)
        );
    }
}
