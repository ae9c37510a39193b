//! Mirroring and stripping verdicts from the handshake packets.
//!
//! This module owns what one subflow remembers of its SYN ([`Handshake`])
//! and the evidence bitsets ([`MirrorEvidence`], [`StripEvidence`]); the
//! per-connection [`MiddleboxVerdict`] is combined from them in
//! [`crate::analysis`]. It is passive: unlike the known mirroring checks
//! (active probes with a known key), it only compares a SYN/ACK with the
//! SYN it answers.
//!
//! # Evidence of mirroring (a middlebox copied the SYN's options back)
//!
//! * [`MirrorEvidence::V0_KEY_ECHO`]: a v0 SYN/ACK whose key equals the
//!   SYN's key. Mehani et al. (2015, addendum) found that most "MPTCP
//!   servers" of their scans were such mirrors and filtered them the same
//!   way ("the sender's key was different in the reply"). A genuine peer
//!   picks a random 64-bit key: an equal key by chance has probability 2⁻⁶⁴.
//! * [`MirrorEvidence::V1_KEYLESS`]: a v1 SYN/ACK MP_CAPABLE without a key
//!   (the 4-byte SYN form; a v1 SYN/ACK always carries the server's key).
//! * [`MirrorEvidence::JOIN_SYN_ECHO`]: a SYN/ACK carrying the MP_JOIN SYN
//!   form (12 bytes: token + nonce) or an MP_JOIN whose nonce equals the
//!   SYN's.
//! * [`MirrorEvidence::OPTIONS_ECHO`]: the SYN/ACK's whole option list is
//!   byte-identical to the SYN's (compared by length and a 32-bit FNV-1a
//!   digest); with timestamps this means the SYN's TSval came back as the
//!   SYN/ACK's own TSval — a genuine stack echoes it in TSecr. A genuine
//!   MPTCP SYN/ACK can never be identical (its MP_CAPABLE differs in length
//!   or key), so this has no false positive short of a digest collision
//!   (2⁻³² with equal lengths).
//!
//! # Evidence of stripping
//!
//! * [`StripEvidence::SYNACK`]: the SYN offered MP_CAPABLE, the SYN/ACK had
//!   none.
//! * [`StripEvidence::THIRD_ACK`]: the SYN/ACK had MP_CAPABLE (with a key)
//!   and the third ACK had none.
//! * [`StripEvidence::FIRST_DATA`]: a sender's first data on a v1
//!   connection had neither DSS nor MP_CAPABLE-with-data, and it had sent
//!   no mapping before.
//! * [`StripEvidence::JOIN_SYNACK`]: an MP_JOIN SYN answered without
//!   MP_JOIN.
//!
//! A client that receives a mirrored SYN/ACK falls back itself, so mirrored
//! handshakes also show [`StripEvidence::THIRD_ACK`]; the verdict puts
//! mirroring first.
//!
//! # Memory
//!
//! [`Handshake`] is 12 bytes: option digest, join token, option length,
//! SYN flags and the two evidence bytes.

/// Evidence that a middlebox mirrored the SYN's options (bitset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MirrorEvidence(pub u8);

impl MirrorEvidence {
    /// v0 SYN/ACK carrying the SYN's key.
    pub const V0_KEY_ECHO: MirrorEvidence = MirrorEvidence(1);
    /// v1 SYN/ACK MP_CAPABLE without a key.
    pub const V1_KEYLESS: MirrorEvidence = MirrorEvidence(2);
    /// SYN/ACK repeating the SYN's MP_JOIN (SYN form or same nonce).
    pub const JOIN_SYN_ECHO: MirrorEvidence = MirrorEvidence(4);
    /// SYN/ACK option list byte-identical to the SYN's.
    pub const OPTIONS_ECHO: MirrorEvidence = MirrorEvidence(8);
    /// Every kind, with its name (for reports).
    pub const ALL: [(MirrorEvidence, &'static str); 4] = [
        (Self::V0_KEY_ECHO, "v0_key_echo"),
        (Self::V1_KEYLESS, "v1_keyless_synack"),
        (Self::JOIN_SYN_ECHO, "join_syn_echo"),
        (Self::OPTIONS_ECHO, "options_echo"),
    ];

    /// No evidence.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Every bit of `other` is set.
    #[must_use]
    pub const fn contains(self, other: MirrorEvidence) -> bool {
        self.0 & other.0 == other.0
    }

    /// Union.
    #[must_use]
    pub const fn union(self, other: MirrorEvidence) -> MirrorEvidence {
        MirrorEvidence(self.0 | other.0)
    }
}

/// Evidence that a middlebox stripped MPTCP options (bitset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StripEvidence(pub u8);

impl StripEvidence {
    /// MP_CAPABLE SYN answered without MP_CAPABLE.
    pub const SYNACK: StripEvidence = StripEvidence(1);
    /// MP_CAPABLE SYN/ACK followed by a third ACK without it.
    pub const THIRD_ACK: StripEvidence = StripEvidence(2);
    /// A sender's first payload on a v1 connection without DSS or
    /// MP_CAPABLE data, and no mapping from it before.
    pub const FIRST_DATA: StripEvidence = StripEvidence(4);
    /// MP_JOIN SYN answered without MP_JOIN.
    pub const JOIN_SYNACK: StripEvidence = StripEvidence(8);
    /// Every kind, with its name (for reports).
    pub const ALL: [(StripEvidence, &'static str); 4] = [
        (Self::SYNACK, "synack_without_mp_capable"),
        (Self::THIRD_ACK, "third_ack_without_mp_capable"),
        (Self::FIRST_DATA, "first_data_without_dss"),
        (Self::JOIN_SYNACK, "join_synack_without_mp_join"),
    ];

    /// No evidence.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Every bit of `other` is set.
    #[must_use]
    pub const fn contains(self, other: StripEvidence) -> bool {
        self.0 & other.0 == other.0
    }

    /// Union.
    #[must_use]
    pub const fn union(self, other: StripEvidence) -> StripEvidence {
        StripEvidence(self.0 | other.0)
    }
}

/// The middlebox verdict of a connection (or of a handshake that never
/// became one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MiddleboxVerdict {
    /// MPTCP end to end, no interference seen.
    Mptcp,
    /// The SYN/ACK mirrored the SYN's options: the peer is not MPTCP.
    Mirrored(MirrorEvidence),
    /// MPTCP options were removed on the path.
    Stripped(StripEvidence),
    /// MPTCP was established, then fell back after MP_FAIL or an infinite
    /// mapping (e.g. a payload-rewriting middlebox).
    FallbackAfterFail,
    /// MPTCP was never offered.
    PlainTcp,
}

impl MiddleboxVerdict {
    /// The verdict's name in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            MiddleboxVerdict::Mptcp => "mptcp",
            MiddleboxVerdict::Mirrored(_) => "mirrored",
            MiddleboxVerdict::Stripped(_) => "stripped",
            MiddleboxVerdict::FallbackAfterFail => "fallback_after_fail",
            MiddleboxVerdict::PlainTcp => "plain_tcp",
        }
    }

    /// Combines the evidence: mirrored, then stripped, then fallback after
    /// a failure, else MPTCP.
    #[must_use]
    pub const fn from_evidence(
        mirror: MirrorEvidence,
        strip: StripEvidence,
        failed: bool,
    ) -> MiddleboxVerdict {
        if !mirror.is_empty() {
            MiddleboxVerdict::Mirrored(mirror)
        } else if !strip.is_empty() {
            MiddleboxVerdict::Stripped(strip)
        } else if failed {
            MiddleboxVerdict::FallbackAfterFail
        } else {
            MiddleboxVerdict::Mptcp
        }
    }
}

mod bit {
    pub const OFFERED_CAPABLE: u8 = 1;
    pub const OFFERED_JOIN: u8 = 2;
    pub const SYN_SEEN: u8 = 4;
    pub const SYNACK_CAPABLE: u8 = 8;
}

/// What a subflow remembers of its handshake (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Handshake {
    opts_digest: u32,
    join_nonce: u32,
    opts_len: u8,
    bits: u8,
    /// Mirroring evidence found so far.
    pub mirror: MirrorEvidence,
    /// Stripping evidence found so far.
    pub strip: StripEvidence,
}

/// 32-bit FNV-1a (a digest of a SYN's option list; not adversarial).
#[must_use]
pub fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// What the SYN/ACK check looks at.
#[derive(Debug, Clone, Copy)]
pub struct SynAck<'o> {
    /// The SYN/ACK's option area.
    pub options: &'o [u8],
    /// Its MP_CAPABLE: (is v0, sender key).
    pub capable: Option<(bool, Option<u64>)>,
    /// Its MP_JOIN: (is the SYN form, nonce).
    pub join: Option<(bool, u32)>,
}

impl Handshake {
    /// A subflow whose SYN was not seen.
    #[must_use]
    pub const fn new() -> Self {
        Handshake {
            opts_digest: 0,
            join_nonce: 0,
            opts_len: 0,
            bits: 0,
            mirror: MirrorEvidence(0),
            strip: StripEvidence(0),
        }
    }

    /// Records the SYN: its option area, whether it offered MP_CAPABLE, and
    /// its MP_JOIN nonce.
    pub fn on_syn(&mut self, options: &[u8], capable: bool, join_nonce: Option<u32>) {
        self.opts_digest = fnv1a(options);
        self.opts_len = u8::try_from(options.len()).unwrap_or(u8::MAX);
        self.bits = bit::SYN_SEEN
            | if capable { bit::OFFERED_CAPABLE } else { 0 }
            | if join_nonce.is_some() {
                bit::OFFERED_JOIN
            } else {
                0
            };
        self.join_nonce = join_nonce.unwrap_or(0);
    }

    /// `true` if the SYN was seen and offered MP_CAPABLE.
    #[must_use]
    pub const fn offered_capable(&self) -> bool {
        self.bits & bit::OFFERED_CAPABLE != 0
    }

    /// Checks a SYN/ACK against the SYN (`syn_key`: the v0 SYN's key);
    /// returns the new evidence (mirroring, stripping).
    pub fn on_synack(
        &mut self,
        s: &SynAck<'_>,
        syn_key: Option<u64>,
    ) -> (MirrorEvidence, StripEvidence) {
        let mut m = MirrorEvidence(0);
        let mut st = StripEvidence(0);
        let syn_seen = self.bits & bit::SYN_SEEN != 0;
        match s.capable {
            Some((true, Some(k))) if syn_key == Some(k) => m = m.union(MirrorEvidence::V0_KEY_ECHO),
            Some((false, None)) => m = m.union(MirrorEvidence::V1_KEYLESS),
            _ => {}
        }
        if let Some((syn_form, nonce)) = s.join {
            let offered = self.bits & bit::OFFERED_JOIN != 0;
            if syn_form || (offered && nonce == self.join_nonce) {
                m = m.union(MirrorEvidence::JOIN_SYN_ECHO);
            }
        }
        if syn_seen
            && !s.options.is_empty()
            && usize::from(self.opts_len) == s.options.len()
            && fnv1a(s.options) == self.opts_digest
        {
            m = m.union(MirrorEvidence::OPTIONS_ECHO);
        }
        if s.capable.is_some_and(|(_, k)| k.is_some()) {
            self.bits |= bit::SYNACK_CAPABLE;
        }
        if syn_seen && self.offered_capable() && s.capable.is_none() {
            st = st.union(StripEvidence::SYNACK);
        }
        if syn_seen && self.bits & bit::OFFERED_JOIN != 0 && s.join.is_none() {
            st = st.union(StripEvidence::JOIN_SYNACK);
        }
        let new = (
            MirrorEvidence(m.0 & !self.mirror.0),
            StripEvidence(st.0 & !self.strip.0),
        );
        self.mirror = self.mirror.union(m);
        self.strip = self.strip.union(st);
        new
    }

    /// Checks the third ACK: stripped if the SYN/ACK had MP_CAPABLE with a
    /// key and this ACK has none. Returns the new evidence.
    pub fn on_third_ack(&mut self, has_capable: bool) -> StripEvidence {
        if self.bits & bit::SYNACK_CAPABLE != 0 && !has_capable {
            self.add_strip(StripEvidence::THIRD_ACK)
        } else {
            StripEvidence(0)
        }
    }

    /// Adds stripping evidence; returns the part that is new.
    pub fn add_strip(&mut self, e: StripEvidence) -> StripEvidence {
        let new = StripEvidence(e.0 & !self.strip.0);
        self.strip = self.strip.union(e);
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN_OPTS: [u8; 24] = [
        2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7, 30, 4, 0x10, 0x81,
    ];

    #[test]
    fn size() {
        assert_eq!(core::mem::size_of::<Handshake>(), 12);
    }

    #[test]
    fn genuine_v1_and_v0() {
        let mut h = Handshake::new();
        h.on_syn(&SYN_OPTS, true, None);
        let mut synack = SYN_OPTS;
        synack[8] = 9; // own TSval
        let e = h.on_synack(
            &SynAck {
                options: &synack,
                capable: Some((false, Some(7))),
                join: None,
            },
            None,
        );
        assert_eq!(e, (MirrorEvidence(0), StripEvidence(0)));
        assert_eq!(h.on_third_ack(true), StripEvidence(0));
        // v0: the server's key differs from the SYN's.
        let mut h = Handshake::new();
        h.on_syn(&SYN_OPTS, true, None);
        let e = h.on_synack(
            &SynAck {
                options: &synack,
                capable: Some((true, Some(8))),
                join: None,
            },
            Some(7),
        );
        assert!(e.0.is_empty() && e.1.is_empty());
    }

    #[test]
    fn mirror_kinds() {
        let mut h = Handshake::new();
        h.on_syn(&SYN_OPTS, true, None);
        let (m, _) = h.on_synack(
            &SynAck {
                options: &SYN_OPTS,
                capable: Some((false, None)),
                join: None,
            },
            None,
        );
        assert_eq!(
            m,
            MirrorEvidence::V1_KEYLESS.union(MirrorEvidence::OPTIONS_ECHO)
        );
        let mut h = Handshake::new();
        h.on_syn(&[1, 1], true, None);
        let (m, _) = h.on_synack(
            &SynAck {
                options: &[2, 2],
                capable: Some((true, Some(5))),
                join: None,
            },
            Some(5),
        );
        assert_eq!(m, MirrorEvidence::V0_KEY_ECHO);
        let mut h = Handshake::new();
        h.on_syn(&[1, 1], false, Some(0x1122_3344));
        let (m, _) = h.on_synack(
            &SynAck {
                options: &[2, 2],
                capable: None,
                join: Some((false, 0x1122_3344)),
            },
            None,
        );
        assert_eq!(m, MirrorEvidence::JOIN_SYN_ECHO);
        assert_eq!(
            MiddleboxVerdict::from_evidence(m, StripEvidence::THIRD_ACK, true),
            MiddleboxVerdict::Mirrored(m)
        );
    }

    #[test]
    fn stripped() {
        let mut h = Handshake::new();
        h.on_syn(&SYN_OPTS, true, None);
        let (_, s) = h.on_synack(
            &SynAck {
                options: &SYN_OPTS[..20],
                capable: None,
                join: None,
            },
            None,
        );
        assert_eq!(s, StripEvidence::SYNACK);
        let mut h = Handshake::new();
        h.on_syn(&SYN_OPTS, true, None);
        h.on_synack(
            &SynAck {
                options: &SYN_OPTS[..20],
                capable: Some((false, Some(1))),
                join: None,
            },
            None,
        );
        assert_eq!(h.on_third_ack(false), StripEvidence::THIRD_ACK);
        assert_eq!(h.on_third_ack(false), StripEvidence(0));
        assert_eq!(
            MiddleboxVerdict::from_evidence(MirrorEvidence(0), h.strip, false).name(),
            "stripped"
        );
    }
}
