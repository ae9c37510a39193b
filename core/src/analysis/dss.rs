//! DSS checksum validation (RFC 8684 §3.3.1, RFC 6824 §3.3.1): one
//! [`DssDir`] per subflow direction follows the current DSS mapping in
//! subflow-sequence order and gives each mapping a [`DssVerdict`].
//!
//! This module owns the per-direction mapping state machine and nothing
//! else: the dissector parses the options, expands the 32-bit DSN, checks
//! the TCP checksum and hands in a [`DssSegment`]; what a verdict means for
//! the connection (events, counters, MP_FAIL correlation) is decided one
//! level up ([`crate::analysis`]).
//!
//! # Algorithm
//!
//! A mapping covers the subflow bytes `[ssn, ssn + n)` (relative sequence
//! numbers; `n` = data-level length, less one if the mapping carries the
//! DATA_FIN, which takes one octet of data-sequence space but no payload —
//! RFC 8684 §3.3). Payload bytes are summed in subflow order into a running
//! [`Checksum`] (odd offsets combine correctly); when the last byte arrives
//! the pseudo-header (64-bit DSN, relative SSN, length, zero) and the
//! carried checksum are folded in and compared (the receiver's rule,
//! [`dss_checksum_valid`]).
//!
//! * The same DSS repeated on every TSO/GSO segment of one mapping is the
//!   current mapping: only the payload is fed.
//! * Bytes already summed (a retransmission, or the overlapping part of a
//!   repacketised one) are skipped; a segment whose mapping lies wholly
//!   before the current one (a retransmission of an older mapping) is
//!   ignored.
//! * A segment that starts past the next expected byte (loss before the
//!   capture point, or reordering) makes the mapping
//!   [`Unverifiable(Gap)`](UnverifiableReason::Gap) at once; so does a new
//!   mapping arriving while the current one is incomplete. Bytes are never
//!   buffered, so a hole can only cost a verdict, never produce a false
//!   [`DssVerdict::Invalid`].
//! * A DATA_FIN-only mapping (length 1, no payload; Linux sends SSN 0) is
//!   checked at once over the pseudo-header alone, once per direction.
//! * An infinite mapping (length 0) ends validation for the direction.
//! * A mapping without a checksum field is
//!   [`NotNegotiated`](UnverifiableReason::NotNegotiated) (or
//!   [`MissingChecksum`](UnverifiableReason::MissingChecksum) when the
//!   handshake negotiated checksums).
//! * A segment cut by the capture's snap length makes its mapping
//!   [`Truncated`](UnverifiableReason::Truncated).
//!
//! # Memory
//!
//! [`DssDir`] is **24 bytes** (alignment 4): DSN as two u32 halves, start
//! and next relative SSN, length, carried checksum, running sum, status and
//! flag bits. Pinned by a test.

use crate::checksum::{dss_checksum_valid, dss_pseudo_header, Checksum};

/// Why a mapping could not be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UnverifiableReason {
    /// Bytes of the mapping were not captured (loss before the capture
    /// point, reordering, or the capture started mid-mapping).
    Gap,
    /// A segment of the mapping was cut by the capture's snap length.
    Truncated,
    /// Checksums were not negotiated: the DSS carries no checksum.
    NotNegotiated,
    /// Checksums were negotiated but this DSS carries none.
    MissingChecksum,
    /// An infinite mapping (fallback): there is nothing to check.
    InfiniteMapping,
    /// A new mapping overlapped the incomplete current one.
    OverlappingMapping,
    /// The mapping's DSN was carried in 4 bytes and the capture never
    /// showed its upper 32 bits (no IDSN — the v1 third ACK with the
    /// client's key was not captured — and no 8-byte DSN in that direction
    /// yet), so the 64-bit DSN the checksum covers is unknown (nineteenth
    /// session; before, the upper bits were taken as 0: a false
    /// `Invalid`).
    UnknownDsn,
}

/// The verdict on one DSS mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DssVerdict {
    /// The carried checksum matches the captured payload.
    Valid,
    /// It does not: the payload (or the mapping) was changed after the
    /// sender computed it.
    Invalid,
    /// Could not be checked, and why.
    Unverifiable(UnverifiableReason),
}

/// A DSS mapping as the dissector hands it in (DSN already expanded to 64
/// bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MappingIn {
    /// 64-bit data sequence number.
    pub dsn: u64,
    /// Relative subflow sequence number, as carried.
    pub ssn: u32,
    /// Data-level length (0 = infinite mapping), counting a DATA_FIN.
    pub data_len: u16,
    /// The carried checksum, if the option has the field.
    pub checksum: Option<u16>,
    /// The DSS's DATA_FIN flag.
    pub data_fin: bool,
    /// Whether `dsn`'s upper 32 bits are known (an 8-byte DSN, or a 4-byte
    /// one expanded from a known IDSN or DSN); `false` makes the mapping's
    /// verdict `Unverifiable(UnknownDsn)` wherever it would be checked.
    pub dsn_known: bool,
}

/// One segment's input to a [`DssDir`].
#[derive(Debug, Clone, Copy)]
pub struct DssSegment<'p> {
    /// Sequence number relative to the direction's ISN.
    pub rel_seq: u32,
    /// The captured payload.
    pub payload: &'p [u8],
    /// The sum of all of `payload`, when the caller has it already (from
    /// verifying the TCP checksum); used instead of re-reading the bytes
    /// when the mapping takes the whole captured payload. Must be
    /// `Checksum::of(payload)` if given.
    pub payload_sum: Option<Checksum>,
    /// The payload length on the wire (> `payload.len()` when cut).
    pub wire_len: u32,
    /// The mapping the segment's DSS (or MP_CAPABLE with data) carries.
    pub mapping: Option<MappingIn>,
    /// Checksums were negotiated on the connection.
    pub negotiated: bool,
    /// The segment's TCP checksum was verified (not merely not checked).
    pub tcp_verified: bool,
}

/// A mapping that got its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Finished {
    /// Its DSN.
    pub dsn: u64,
    /// Its data-level length.
    pub data_len: u16,
    /// The verdict.
    pub verdict: DssVerdict,
    /// Every segment summed into it had a verified TCP checksum ("TCP
    /// checksum valid, DSS checksum invalid" is then a statement).
    pub tcp_verified: bool,
}

/// Up to two verdicts produced by one segment (the mapping it replaced and
/// its own).
pub type Verdicts = [Option<Finished>; 2];

mod status {
    pub const IDLE: u8 = 0;
    pub const ACTIVE: u8 = 1;
    pub const DONE: u8 = 2;
    pub const INFINITE: u8 = 3;
}

mod bit {
    pub const ODD: u8 = 1;
    pub const FIN: u8 = 2;
    pub const HAS_CSUM: u8 = 4;
    pub const TCP_VERIFIED: u8 = 8;
    pub const FIN_CHECKED: u8 = 16;
    pub const DSN_UNKNOWN: u8 = 32;
}

/// Mapping-validation state of one subflow direction (see the
/// [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DssDir {
    dsn: [u32; 2],
    ssn: u32,
    next: u32,
    data_len: u16,
    carried: u16,
    sum: u16,
    status: u8,
    bits: u8,
}

/// `a` strictly before `b` in 32-bit serial arithmetic.
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl DssDir {
    /// A direction with no mapping yet.
    #[must_use]
    pub const fn new() -> Self {
        DssDir {
            dsn: [0; 2],
            ssn: 0,
            next: 0,
            data_len: 0,
            carried: 0,
            sum: 0,
            status: status::IDLE,
            bits: 0,
        }
    }

    fn dsn(&self) -> u64 {
        (u64::from(self.dsn[0]) << 32) | u64::from(self.dsn[1])
    }

    /// Payload bytes of the current mapping.
    fn payload_len(&self) -> u32 {
        u32::from(self.data_len).saturating_sub(u32::from(self.bits & bit::FIN != 0))
    }

    fn end(&self) -> u32 {
        self.ssn.wrapping_add(self.payload_len())
    }

    fn same(&self, m: &MappingIn) -> bool {
        self.status != status::IDLE
            && self.dsn() == m.dsn
            && self.ssn == m.ssn
            && self.data_len == m.data_len
    }

    /// A mapping whose verdict is still open: its DSN and length.
    #[must_use]
    pub fn pending(&self) -> Option<(u64, u16)> {
        (self.status == status::ACTIVE).then(|| (self.dsn(), self.data_len))
    }

    /// `true` once an infinite mapping was seen in this direction.
    #[must_use]
    pub fn infinite(&self) -> bool {
        self.status == status::INFINITE
    }

    fn finish(&mut self, verdict: DssVerdict) -> Finished {
        self.status = status::DONE;
        Finished {
            dsn: self.dsn(),
            data_len: self.data_len,
            verdict,
            tcp_verified: self.bits & bit::TCP_VERIFIED != 0,
        }
    }

    fn check(&mut self) -> Finished {
        if self.bits & bit::DSN_UNKNOWN != 0 {
            return self.finish(DssVerdict::Unverifiable(UnverifiableReason::UnknownDsn));
        }
        let pseudo = dss_pseudo_header(self.dsn(), self.ssn, self.data_len);
        let payload = Checksum::from_parts(self.sum, self.bits & bit::ODD != 0);
        let v = if dss_checksum_valid(pseudo, payload, self.carried) {
            DssVerdict::Valid
        } else {
            DssVerdict::Invalid
        };
        self.finish(v)
    }

    fn start(&mut self, m: &MappingIn, tcp_verified: bool) {
        let [hi, lo] = [(m.dsn >> 32) as u32, m.dsn as u32];
        self.dsn = [hi, lo];
        self.ssn = m.ssn;
        self.next = m.ssn;
        self.data_len = m.data_len;
        self.carried = m.checksum.unwrap_or(0);
        self.sum = 0;
        self.status = status::ACTIVE;
        let keep = self.bits & bit::FIN_CHECKED;
        self.bits = keep
            | if m.data_fin { bit::FIN } else { 0 }
            | if m.checksum.is_some() {
                bit::HAS_CSUM
            } else {
                0
            }
            | if tcp_verified { bit::TCP_VERIFIED } else { 0 }
            | if m.dsn_known { 0 } else { bit::DSN_UNKNOWN };
    }

    /// Feeds one segment; returns the verdicts it produced (at most two).
    ///
    /// Of a segment whose TCP checksum is known to be bad, feed no bytes
    /// and at most a mapping that carries no checksum (the caller reports
    /// the segment instead): its bytes, or a corrupted checksum, length or
    /// DSN in its mapping, would make a false failure.
    pub fn on_segment(&mut self, seg: &DssSegment<'_>) -> Verdicts {
        let mut out: Verdicts = [None, None];
        if self.status == status::INFINITE {
            return out;
        }
        let mut n = 0usize;
        let mut push = |f: Finished| {
            if let Some(slot) = out.get_mut(n) {
                *slot = Some(f);
                n = n.saturating_add(1);
            }
        };
        if let Some(m) = seg.mapping {
            if m.data_len == 0 {
                // Infinite mapping: the current one ends unverified.
                if self.status == status::ACTIVE {
                    push(self.finish(DssVerdict::Unverifiable(UnverifiableReason::Gap)));
                }
                self.dsn = [(m.dsn >> 32) as u32, m.dsn as u32];
                self.data_len = 0;
                let f = self.finish(DssVerdict::Unverifiable(
                    UnverifiableReason::InfiniteMapping,
                ));
                self.status = status::INFINITE;
                push(f);
                return out;
            }
            let fin_only = m.data_fin && m.data_len == 1;
            if fin_only {
                // DATA_FIN without payload (Linux: SSN 0): pseudo-header
                // only, once per direction; the data mapping is untouched.
                if self.bits & bit::FIN_CHECKED == 0 {
                    self.bits |= bit::FIN_CHECKED;
                    let mut d = DssDir::new();
                    d.start(&m, seg.tcp_verified);
                    push(match m.checksum {
                        Some(_) => d.check(),
                        None => d.finish(DssVerdict::Unverifiable(no_csum(seg.negotiated))),
                    });
                }
                if seg.payload.is_empty() && seg.wire_len == 0 {
                    return out;
                }
            } else if !self.same(&m) {
                let m_end = m
                    .ssn
                    .wrapping_add(u32::from(m.data_len))
                    .wrapping_sub(u32::from(m.data_fin));
                let old = self.status != status::IDLE && !before(self.ssn, m_end);
                if old {
                    // A retransmission of an earlier mapping: ignored.
                    return out;
                }
                if self.status == status::ACTIVE {
                    let why = if before(m.ssn, self.end()) {
                        UnverifiableReason::OverlappingMapping
                    } else {
                        UnverifiableReason::Gap
                    };
                    push(self.finish(DssVerdict::Unverifiable(why)));
                }
                self.start(&m, seg.tcp_verified);
                if m.checksum.is_none() {
                    push(self.finish(DssVerdict::Unverifiable(no_csum(seg.negotiated))));
                    return out;
                }
                if self.payload_len() == 0 {
                    push(self.check());
                    return out;
                }
            }
        }
        if self.status != status::ACTIVE || seg.wire_len == 0 {
            return out;
        }
        // Payload of the current mapping.
        let rel = seg.rel_seq;
        let seg_end = rel.wrapping_add(seg.wire_len);
        if !before(self.next, seg_end) {
            return out; // wholly retransmitted (or before the mapping)
        }
        if before(self.next, rel) {
            push(self.finish(DssVerdict::Unverifiable(UnverifiableReason::Gap)));
            return out;
        }
        if !before(rel, self.end()) {
            return out; // past the mapping (unmapped bytes)
        }
        let from = self.next.wrapping_sub(rel) as usize;
        let upto = if before(self.end(), seg_end) {
            self.end().wrapping_sub(rel) as usize
        } else {
            seg.wire_len as usize
        };
        let Some(bytes) = seg.payload.get(from..upto) else {
            push(self.finish(DssVerdict::Unverifiable(UnverifiableReason::Truncated)));
            return out;
        };
        let part = match seg.payload_sum {
            Some(sum) if from == 0 && bytes.len() == seg.payload.len() => sum,
            _ => Checksum::of(bytes),
        };
        let acc = Checksum::from_parts(self.sum, self.bits & bit::ODD != 0).combine(part);
        self.sum = acc.fold();
        self.bits = (self.bits & !bit::ODD) | if acc.is_odd() { bit::ODD } else { 0 };
        if !seg.tcp_verified {
            self.bits &= !bit::TCP_VERIFIED;
        }
        self.next = self
            .next
            .wrapping_add(u32::try_from(bytes.len()).unwrap_or(0));
        if self.next == self.end() {
            push(self.check());
        }
        out
    }
}

fn no_csum(negotiated: bool) -> UnverifiableReason {
    if negotiated {
        UnverifiableReason::MissingChecksum
    } else {
        UnverifiableReason::NotNegotiated
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use crate::checksum::dss_checksum;

    const DSN: u64 = 0xacba_e1f1_a0aa_ca91;

    fn data(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    fn csum(dsn: u64, ssn: u32, len: u16, payload: &[u8]) -> u16 {
        dss_checksum(dss_pseudo_header(dsn, ssn, len), Checksum::of(payload))
    }

    fn map(dsn: u64, ssn: u32, payload: &[u8], fin: bool) -> MappingIn {
        let len = payload.len() as u16 + u16::from(fin);
        MappingIn {
            dsn,
            ssn,
            data_len: len,
            checksum: Some(csum(dsn, ssn, len, payload)),
            data_fin: fin,
            dsn_known: true,
        }
    }

    /// A segment as the engine hands it over when it verified the TCP
    /// checksum: with the payload's sum (so every scenario below also runs
    /// the shared-sum path; `shared_sum_equals_own_sum` covers `None`).
    fn seg<'p>(rel: u32, payload: &'p [u8], m: Option<MappingIn>) -> DssSegment<'p> {
        DssSegment {
            rel_seq: rel,
            payload,
            payload_sum: Some(Checksum::of(payload)),
            wire_len: payload.len() as u32,
            mapping: m,
            negotiated: true,
            tcp_verified: true,
        }
    }

    fn verdicts(v: Verdicts) -> Vec<DssVerdict> {
        v.iter().flatten().map(|f| f.verdict).collect()
    }

    #[test]
    fn size() {
        assert_eq!(core::mem::size_of::<DssDir>(), 24);
        assert_eq!(core::mem::align_of::<DssDir>(), 4);
    }

    /// The given payload sum is what gets summed when the mapping takes the
    /// whole captured payload (a wrong one shows), and is ignored when it
    /// takes part of it.
    #[test]
    fn payload_sum_used_only_for_whole_payload() {
        let p = data(1000, 1);
        let wrong = Some(Checksum::of(&p[1..]));
        let mut d = DssDir::new();
        let s = DssSegment {
            payload_sum: wrong,
            ..seg(1, &p, Some(map(DSN, 1, &p, false)))
        };
        assert_eq!(verdicts(d.on_segment(&s)), [DssVerdict::Invalid]);
        // The mapping ends 10 bytes before the segment: only a part is used.
        let mut d = DssDir::new();
        let s = DssSegment {
            payload_sum: wrong,
            ..seg(1, &p, Some(map(DSN, 1, &p[..990], false)))
        };
        assert_eq!(verdicts(d.on_segment(&s)), [DssVerdict::Valid]);
        // A retransmission overlapping 500 already summed bytes.
        let mut d = DssDir::new();
        d.on_segment(&seg(1, &p[..500], Some(map(DSN, 1, &p, false))));
        let s = DssSegment {
            payload_sum: wrong,
            ..seg(1, &p, None)
        };
        assert_eq!(verdicts(d.on_segment(&s)), [DssVerdict::Valid]);
    }

    /// Random segmentations, retransmissions, mappings and cut captures:
    /// handing over the payload's sum never changes a verdict or the state.
    #[test]
    fn shared_sum_equals_own_sum() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n.max(1)
        };
        for round in 0..300u64 {
            let p = data(1 + rnd(5000) as usize, round as u8);
            let mut with = DssDir::new();
            let mut own = DssDir::new();
            let mut at = 0usize;
            let mut map_from = 0usize;
            while at < p.len() {
                let len = (1 + rnd(1600) as usize).min(p.len() - at);
                // Sometimes step back (retransmission), sometimes a new mapping.
                let start = at.saturating_sub(rnd(3) as usize * rnd(700) as usize);
                let end = start + len;
                let end = end.min(p.len());
                let m = if rnd(3) == 0 || start == map_from {
                    let m_end = (start + rnd(4000) as usize + 1).min(p.len());
                    map_from = start;
                    Some(map(
                        DSN + start as u64,
                        1 + start as u32,
                        &p[start..m_end],
                        false,
                    ))
                } else {
                    None
                };
                // Sometimes the capture is cut: wire length beyond the bytes.
                let cut = if rnd(8) == 0 {
                    rnd((end - start) as u64) as usize
                } else {
                    0
                };
                let bytes = &p[start..end - cut];
                let s_with = DssSegment {
                    wire_len: (end - start) as u32,
                    ..seg(1 + start as u32, bytes, m)
                };
                let s_own = DssSegment {
                    payload_sum: None,
                    ..s_with
                };
                assert_eq!(
                    with.on_segment(&s_with),
                    own.on_segment(&s_own),
                    "round {round}"
                );
                assert_eq!(with.pending(), own.pending());
                at = at.max(end);
            }
        }
    }

    #[test]
    fn single_segment_mapping() {
        let p = data(1000, 1);
        let mut d = DssDir::new();
        let v = d.on_segment(&seg(1, &p, Some(map(DSN, 1, &p, false))));
        assert_eq!(v[0].unwrap().dsn, DSN);
        assert_eq!(verdicts(v), [DssVerdict::Valid]);
        assert_eq!(d.pending(), None);
        // A corrupted byte → invalid.
        let mut q = p.clone();
        q[17] ^= 0x26;
        let mut d = DssDir::new();
        let v = d.on_segment(&seg(1, &q, Some(map(DSN, 1, &p, false))));
        assert_eq!(verdicts(v), [DssVerdict::Invalid]);
        assert!(v[0].unwrap().tcp_verified);
    }

    #[test]
    fn multi_segment_dss_on_first_only_odd_split() {
        let p = data(2501, 2);
        let m = map(DSN, 1001, &p, false);
        let mut d = DssDir::new();
        assert_eq!(verdicts(d.on_segment(&seg(1001, &p[..1001], Some(m)))), []);
        assert_eq!(d.pending(), Some((DSN, 2501)));
        assert_eq!(verdicts(d.on_segment(&seg(2002, &p[1001..2000], None))), []);
        assert_eq!(
            verdicts(d.on_segment(&seg(3001, &p[2000..], None))),
            [DssVerdict::Valid]
        );
    }

    #[test]
    fn gso_repeated_dss_and_exact_retransmission() {
        let p = data(4260, 3);
        let m = map(DSN, 1, &p, false);
        let mut d = DssDir::new();
        let mut got = Vec::new();
        for (i, c) in p.chunks(1420).enumerate() {
            let rel = 1 + (i * 1420) as u32;
            got.extend(verdicts(d.on_segment(&seg(rel, c, Some(m)))));
            // Exact retransmission of the same segment: ignored.
            got.extend(verdicts(d.on_segment(&seg(rel, c, Some(m)))));
        }
        assert_eq!(got, [DssVerdict::Valid]);
        // Retransmission after completion: still nothing.
        assert_eq!(verdicts(d.on_segment(&seg(1, &p[..1420], Some(m)))), []);
        // Next mapping, then a retransmission of the first one: ignored.
        let q = data(100, 9);
        let m2 = map(DSN + 4260, 4261, &q, false);
        assert_eq!(
            verdicts(d.on_segment(&seg(4261, &q, Some(m2)))),
            [DssVerdict::Valid]
        );
        assert_eq!(verdicts(d.on_segment(&seg(1, &p[..1420], Some(m)))), []);
    }

    #[test]
    fn overlapping_repacketised_retransmission() {
        let p = data(3000, 4);
        let m = map(DSN, 1, &p, false);
        let mut d = DssDir::new();
        d.on_segment(&seg(1, &p[..1000], Some(m)));
        // Retransmission covering 500..1500: the new half is used.
        d.on_segment(&seg(501, &p[500..1500], Some(m)));
        assert_eq!(
            verdicts(d.on_segment(&seg(1501, &p[1500..], Some(m)))),
            [DssVerdict::Valid]
        );
    }

    #[test]
    fn gap_is_unverifiable_never_invalid() {
        let p = data(3000, 5);
        let m = map(DSN, 1, &p, false);
        let mut d = DssDir::new();
        d.on_segment(&seg(1, &p[..1000], Some(m)));
        // Segment 1000..2000 lost before the capture point.
        let v = d.on_segment(&seg(2001, &p[2000..], Some(m)));
        assert_eq!(
            verdicts(v),
            [DssVerdict::Unverifiable(UnverifiableReason::Gap)]
        );
        // Its retransmission afterwards changes nothing.
        assert_eq!(
            verdicts(d.on_segment(&seg(1001, &p[1000..2000], Some(m)))),
            []
        );
        // A mapping whose first segment was missed.
        let mut d = DssDir::new();
        assert_eq!(
            verdicts(d.on_segment(&seg(1001, &p[1000..2000], Some(m)))),
            [DssVerdict::Unverifiable(UnverifiableReason::Gap)]
        );
        // A new mapping while the current is incomplete (tail lost).
        let mut d = DssDir::new();
        d.on_segment(&seg(1, &p[..1000], Some(m)));
        let q = data(10, 6);
        let v = d.on_segment(&seg(3001, &q, Some(map(DSN + 3000, 3001, &q, false))));
        assert_eq!(
            verdicts(v),
            [
                DssVerdict::Unverifiable(UnverifiableReason::Gap),
                DssVerdict::Valid
            ]
        );
    }

    #[test]
    fn truncated_segment() {
        let p = data(1000, 7);
        let mut d = DssDir::new();
        let mut s = seg(1, &p[..96], Some(map(DSN, 1, &p, false)));
        s.wire_len = 1000;
        assert_eq!(
            verdicts(d.on_segment(&s)),
            [DssVerdict::Unverifiable(UnverifiableReason::Truncated)]
        );
    }

    #[test]
    fn data_fin() {
        // DATA_FIN-only mapping, as Linux sends it: SSN 0, length 1, no
        // payload. The real vector (v1-mpfail frame 10) is in
        // tests/checksum_vectors.rs; this checks the state machine.
        let fin = map(DSN, 0, &[], true);
        assert_eq!(fin.data_len, 1);
        let mut d = DssDir::new();
        let p = data(1000, 8);
        d.on_segment(&seg(1, &p, Some(map(DSN - 1000, 1, &p, false))));
        assert_eq!(
            verdicts(d.on_segment(&seg(1001, &[], Some(fin)))),
            [DssVerdict::Valid]
        );
        // Retransmitted DATA_FIN: counted once.
        assert_eq!(verdicts(d.on_segment(&seg(1001, &[], Some(fin)))), []);
        // Wrong checksum on a DATA_FIN → invalid.
        let mut d = DssDir::new();
        let mut bad = fin;
        bad.checksum = Some(fin.checksum.unwrap() ^ 1);
        assert_eq!(
            verdicts(d.on_segment(&seg(1001, &[], Some(bad)))),
            [DssVerdict::Invalid]
        );
        // DATA_FIN on the last data mapping: length counts it, payload not.
        let mut d = DssDir::new();
        let m = map(DSN, 1, &p, true);
        assert_eq!(m.data_len, 1001);
        assert_eq!(
            verdicts(d.on_segment(&seg(1, &p, Some(m)))),
            [DssVerdict::Valid]
        );
    }

    #[test]
    fn infinite_mapping_ends_validation() {
        let p = data(100, 9);
        let mut d = DssDir::new();
        d.on_segment(&seg(1, &p[..50], Some(map(DSN, 1, &p, false))));
        let inf = MappingIn {
            dsn: DSN + 50,
            ssn: 51,
            data_len: 0,
            checksum: Some(0),
            data_fin: false,
            dsn_known: true,
        };
        assert_eq!(
            verdicts(d.on_segment(&seg(51, &p[50..], Some(inf)))),
            [
                DssVerdict::Unverifiable(UnverifiableReason::Gap),
                DssVerdict::Unverifiable(UnverifiableReason::InfiniteMapping)
            ]
        );
        assert!(d.infinite());
        assert_eq!(
            verdicts(d.on_segment(&seg(101, &p, Some(map(DSN + 100, 101, &p, false))))),
            []
        );
    }

    #[test]
    fn not_negotiated_once_per_mapping() {
        let p = data(2840, 10);
        let mut m = map(DSN, 1, &p, false);
        m.checksum = None;
        let mut d = DssDir::new();
        let mut s = seg(1, &p[..1420], Some(m));
        s.negotiated = false;
        assert_eq!(
            verdicts(d.on_segment(&s)),
            [DssVerdict::Unverifiable(UnverifiableReason::NotNegotiated)]
        );
        let mut s = seg(1421, &p[1420..], Some(m));
        s.negotiated = false;
        assert_eq!(verdicts(d.on_segment(&s)), []);
        // Negotiated but absent.
        let mut d = DssDir::new();
        assert_eq!(
            verdicts(d.on_segment(&seg(1, &p, Some(m)))),
            [DssVerdict::Unverifiable(
                UnverifiableReason::MissingChecksum
            )]
        );
    }

    #[test]
    fn tcp_unverified_segment_clears_flag() {
        let p = data(2000, 11);
        let m = map(DSN, 1, &p, false);
        let mut d = DssDir::new();
        d.on_segment(&seg(1, &p[..1000], Some(m)));
        let mut s = seg(1001, &p[1000..], None);
        s.tcp_verified = false;
        let v = d.on_segment(&s);
        assert_eq!(verdicts(v), [DssVerdict::Valid]);
        assert!(!v[0].unwrap().tcp_verified);
    }

    #[test]
    fn sequence_wrap() {
        let p = data(3000, 12);
        let ssn = u32::MAX - 999;
        let m = map(DSN, ssn, &p, false);
        let mut d = DssDir::new();
        d.on_segment(&seg(ssn, &p[..1500], Some(m)));
        assert_eq!(
            verdicts(d.on_segment(&seg(ssn.wrapping_add(1500), &p[1500..], None))),
            [DssVerdict::Valid]
        );
    }

    /// A mapping whose DSN's upper half is unknown is `Unverifiable`
    /// wherever it would be checked: a whole mapping, one split over two
    /// segments, and a DATA_FIN-only one; never `Valid` or `Invalid`.
    #[test]
    fn unknown_dsn_is_unverifiable() {
        let p = data(300, 5);
        let unknown = |m: MappingIn| MappingIn {
            dsn_known: false,
            ..m
        };
        let why = DssVerdict::Unverifiable(UnverifiableReason::UnknownDsn);
        let mut d = DssDir::new();
        let m = unknown(map(DSN, 1, &p, false));
        assert_eq!(verdicts(d.on_segment(&seg(1, &p, Some(m)))), [why]);
        let mut d = DssDir::new();
        let m = unknown(map(DSN, 1, &p, false));
        assert_eq!(verdicts(d.on_segment(&seg(1, &p[..100], Some(m)))), []);
        assert_eq!(verdicts(d.on_segment(&seg(101, &p[100..], None))), [why]);
        let mut d = DssDir::new();
        let fin = unknown(map(DSN, 0, &[], true));
        assert_eq!(verdicts(d.on_segment(&seg(301, &[], Some(fin)))), [why]);
    }
}
