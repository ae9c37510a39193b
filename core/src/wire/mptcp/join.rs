//! MP_JOIN (subtype 1): adding a subflow to an existing connection.
//!
//! Owns the three MP_JOIN forms, told apart by length alone, identical in
//! v0 (RFC 6824) and v1 (RFC 8684) and matching Linux's exact-size checks:
//!
//! | length | form    | body after the subtype byte                       |
//! |-------:|---------|---------------------------------------------------|
//! | 12     | SYN     | address id, receiver's token (32), nonce (32)     |
//! | 16     | SYN/ACK | address id, truncated HMAC (64), nonce (32)       |
//! | 24     | ACK     | reserved byte, HMAC (160)                         |
//!
//! Every other length is [`MptcpErrorReason::BadLength`](super::MptcpErrorReason::BadLength).
//!
//! It must not verify tokens or HMACs (that needs connection state) and
//! must not drop reserved bits: the flag nibble (backup bit 0x01 plus
//! reserved bits) and, for the ACK form, the reserved byte are kept so a
//! parse/emit round trip is byte-identical.

use super::{be_at, subtype, EmitError, Header, MptcpError, Writer};

/// Which MP_JOIN form an option is (told apart by its length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MpJoinForm {
    /// Initial SYN (length 12).
    Syn,
    /// Responding SYN/ACK (length 16).
    SynAck,
    /// Third ACK (length 24).
    Ack,
}

impl MpJoinForm {
    /// The form of an MP_JOIN of length `len` (`None`: no form has it).
    pub const fn from_len(len: u8) -> Option<Self> {
        match len {
            12 => Some(MpJoinForm::Syn),
            16 => Some(MpJoinForm::SynAck),
            24 => Some(MpJoinForm::Ack),
            _ => None,
        }
    }
}

/// The MP_JOIN validation rule, shared by [`MpJoin::parse`] and
/// [`MpJoinView::new_checked`] (and the view walk): the length must be one
/// of the three forms'.
#[inline(always)]
pub(crate) fn check(h: &Header<'_>) -> Result<MpJoinForm, MptcpError> {
    MpJoinForm::from_len(h.len).ok_or(h.bad_len())
}

/// An MP_JOIN option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MpJoin {
    /// Initial SYN (length 12).
    Syn {
        /// Low nibble of byte 2 (backup bit 0x01 and reserved bits).
        flags: u8,
        /// Backup bit (`flags & 0x01`).
        backup: bool,
        /// Sender's address id.
        addr_id: u8,
        /// Receiver's token.
        token: u32,
        /// Sender's random number.
        nonce: u32,
    },
    /// Responding SYN/ACK (length 16).
    SynAck {
        /// Low nibble of byte 2 (backup bit 0x01 and reserved bits).
        flags: u8,
        /// Backup bit (`flags & 0x01`).
        backup: bool,
        /// Sender's address id.
        addr_id: u8,
        /// Leftmost 64 bits of the sender's HMAC.
        trunc_hmac: u64,
        /// Sender's random number.
        nonce: u32,
    },
    /// Third ACK (length 24).
    Ack {
        /// Low nibble of byte 2 (reserved; kept for round trips).
        flags: u8,
        /// Byte 3 (reserved; kept for round trips).
        reserved: u8,
        /// Sender's full 160-bit HMAC.
        hmac: [u8; 20],
    },
}

impl MpJoin {
    /// Backup bit in the flag nibble.
    pub const FLAG_BACKUP: u8 = 0x01;

    /// The ACK form with zero reserved bits.
    pub const fn ack(hmac: [u8; 20]) -> Self {
        MpJoin::Ack {
            flags: 0,
            reserved: 0,
            hmac,
        }
    }

    /// Parses a whole MP_JOIN option.
    #[inline]
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let h = Header::check_subtype(opt, subtype::MP_JOIN)?;
        let form = check(&h)?;
        let flags = h.nibble;
        let backup = flags & Self::FLAG_BACKUP != 0;
        let mut r = h.reader();
        match form {
            MpJoinForm::Syn => Ok(MpJoin::Syn {
                flags,
                backup,
                addr_id: r.u8()?,
                token: r.u32()?,
                nonce: r.u32()?,
            }),
            MpJoinForm::SynAck => Ok(MpJoin::SynAck {
                flags,
                backup,
                addr_id: r.u8()?,
                trunc_hmac: r.u64()?,
                nonce: r.u32()?,
            }),
            MpJoinForm::Ack => Ok(MpJoin::Ack {
                flags,
                reserved: r.u8()?,
                hmac: r.array()?,
            }),
        }
    }

    /// The form's length (12, 16 or 24).
    const fn wire_len(&self) -> u8 {
        match self {
            MpJoin::Syn { .. } => 12,
            MpJoin::SynAck { .. } => 16,
            MpJoin::Ack { .. } => 24,
        }
    }

    /// The flag nibble to write, or `None` if `flags` does not fit in a
    /// nibble or `backup` disagrees with `flags & 0x01`.
    const fn wire_flags(&self) -> Option<u8> {
        let flags = match *self {
            MpJoin::Syn { flags, backup, .. } | MpJoin::SynAck { flags, backup, .. } => {
                if (flags & Self::FLAG_BACKUP != 0) != backup {
                    return None;
                }
                flags
            }
            MpJoin::Ack { flags, .. } => flags,
        };
        if flags > 0x0f {
            None
        } else {
            Some(flags)
        }
    }

    /// Bytes [`MpJoin::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        match self.wire_flags() {
            Some(_) => usize::from(self.wire_len()),
            None => 0,
        }
    }

    /// Writes the whole option.
    ///
    /// [`EmitError::Unrepresentable`] if `flags` does not fit in a nibble or
    /// `backup` disagrees with `flags & 0x01`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let flags = self.wire_flags().ok_or(EmitError::Unrepresentable)?;
        let mut w = Writer::start(buf, self.wire_len(), subtype::MP_JOIN, flags)?;
        match *self {
            MpJoin::Syn {
                addr_id,
                token,
                nonce,
                ..
            } => {
                w.u8(addr_id)?;
                w.u32(token)?;
                w.u32(nonce)?;
            }
            MpJoin::SynAck {
                addr_id,
                trunc_hmac,
                nonce,
                ..
            } => {
                w.u8(addr_id)?;
                w.u64(trunc_hmac)?;
                w.u32(nonce)?;
            }
            MpJoin::Ack { reserved, hmac, .. } => {
                w.u8(reserved)?;
                w.bytes(&hmac)?;
            }
        }
        Ok(w.finish())
    }

    /// The backup bit (always `false` for the ACK form).
    pub const fn backup(&self) -> bool {
        match self {
            MpJoin::Syn { backup, .. } | MpJoin::SynAck { backup, .. } => *backup,
            MpJoin::Ack { .. } => false,
        }
    }

    /// The address id (SYN and SYN/ACK forms).
    pub const fn addr_id(&self) -> Option<u8> {
        match self {
            MpJoin::Syn { addr_id, .. } | MpJoin::SynAck { addr_id, .. } => Some(*addr_id),
            MpJoin::Ack { .. } => None,
        }
    }
}

/// A validated MP_JOIN option, read in place.
///
/// Accepts exactly what [`MpJoin::parse`] accepts (the same rule) and every
/// accessor equals the corresponding field of its result (`None` where the
/// form has no such field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpJoinView<'a> {
    opt: &'a [u8],
}

impl<'a> MpJoinView<'a> {
    /// Validates a whole MP_JOIN option as [`MpJoin::parse`] does.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        check(&Header::check_subtype(opt, subtype::MP_JOIN)?)?;
        Ok(MpJoinView { opt })
    }

    /// A view of an option the caller has validated with [`check`].
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        MpJoinView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// The form, from the length (SYN for a length no form has, which
    /// validation excludes).
    #[inline]
    pub fn form(&self) -> MpJoinForm {
        let len = u8::try_from(self.opt.len()).unwrap_or(0);
        MpJoinForm::from_len(len).unwrap_or(MpJoinForm::Syn)
    }

    /// Low nibble of byte 2 (backup bit 0x01 and reserved bits).
    #[inline]
    pub fn flags(&self) -> u8 {
        let [b] = be_at(self.opt, 2);
        b & 0x0f
    }

    /// The backup bit (always `false` for the ACK form, as
    /// [`MpJoin::backup`]).
    #[inline]
    pub fn backup(&self) -> bool {
        self.form() != MpJoinForm::Ack && self.flags() & MpJoin::FLAG_BACKUP != 0
    }

    /// Sender's address id (SYN and SYN/ACK).
    #[inline]
    pub fn addr_id(&self) -> Option<u8> {
        let [b] = be_at(self.opt, 3);
        (self.form() != MpJoinForm::Ack).then_some(b)
    }

    /// Receiver's token (SYN).
    #[inline]
    pub fn token(&self) -> Option<u32> {
        (self.form() == MpJoinForm::Syn).then(|| u32::from_be_bytes(be_at(self.opt, 4)))
    }

    /// Sender's random number (SYN and SYN/ACK).
    #[inline]
    pub fn nonce(&self) -> Option<u32> {
        match self.form() {
            MpJoinForm::Syn => Some(u32::from_be_bytes(be_at(self.opt, 8))),
            MpJoinForm::SynAck => Some(u32::from_be_bytes(be_at(self.opt, 12))),
            MpJoinForm::Ack => None,
        }
    }

    /// Leftmost 64 bits of the sender's HMAC (SYN/ACK).
    #[inline]
    pub fn trunc_hmac(&self) -> Option<u64> {
        (self.form() == MpJoinForm::SynAck).then(|| u64::from_be_bytes(be_at(self.opt, 4)))
    }

    /// Sender's full 160-bit HMAC (ACK).
    #[inline]
    pub fn hmac(&self) -> Option<[u8; 20]> {
        (self.form() == MpJoinForm::Ack).then(|| be_at(self.opt, 4))
    }

    /// Byte 3, reserved (ACK).
    #[inline]
    pub fn reserved(&self) -> Option<u8> {
        let [b] = be_at(self.opt, 3);
        (self.form() == MpJoinForm::Ack).then_some(b)
    }

    /// The owned [`MpJoin`] (what [`MpJoin::parse`] returns).
    #[inline]
    pub fn decode(&self) -> MpJoin {
        let flags = self.flags();
        let backup = flags & MpJoin::FLAG_BACKUP != 0;
        let [_, _, _, b3] = be_at(self.opt, 0);
        match self.form() {
            MpJoinForm::Syn => MpJoin::Syn {
                flags,
                backup,
                addr_id: b3,
                token: u32::from_be_bytes(be_at(self.opt, 4)),
                nonce: u32::from_be_bytes(be_at(self.opt, 8)),
            },
            MpJoinForm::SynAck => MpJoin::SynAck {
                flags,
                backup,
                addr_id: b3,
                trunc_hmac: u64::from_be_bytes(be_at(self.opt, 4)),
                nonce: u32::from_be_bytes(be_at(self.opt, 12)),
            },
            MpJoinForm::Ack => MpJoin::Ack {
                flags,
                reserved: b3,
                hmac: be_at(self.opt, 4),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::MptcpErrorReason;
    use super::*;

    // Real bytes from tcpdump's mptcp-v0.pcap: "join id 0 token 0xe47f0142
    // nonce 0x1b665a18", "join id 1 hmac 0x5ab680c7884af03d nonce
    // 0x33abe9d5", "join hmac 0xcb7b87f5e5f0502f43b535fb70ef6607df2e6c7a".
    const SYN: [u8; 12] = [
        0x1e, 0x0c, 0x10, 0x00, 0xe4, 0x7f, 0x01, 0x42, 0x1b, 0x66, 0x5a, 0x18,
    ];
    const SYNACK: [u8; 16] = [
        0x1e, 0x10, 0x10, 0x01, 0x5a, 0xb6, 0x80, 0xc7, 0x88, 0x4a, 0xf0, 0x3d, 0x33, 0xab, 0xe9,
        0xd5,
    ];
    const ACK: [u8; 24] = [
        0x1e, 0x18, 0x10, 0x00, 0xcb, 0x7b, 0x87, 0xf5, 0xe5, 0xf0, 0x50, 0x2f, 0x43, 0xb5, 0x35,
        0xfb, 0x70, 0xef, 0x66, 0x07, 0xdf, 0x2e, 0x6c, 0x7a,
    ];
    // Hand-built: backup SYN, id 5; SYN/ACK with backup + a reserved bit.
    const SYN_BACKUP: [u8; 12] = [30, 12, 0x11, 5, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef];
    const SYNACK_RSV: [u8; 16] = [30, 16, 0x19, 7, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9];

    fn roundtrip(bytes: &[u8]) -> MpJoin {
        let j = MpJoin::parse(bytes).unwrap();
        let mut buf = [0u8; 40];
        let n = j.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], bytes);
        assert_eq!(j.buffer_len(), n);
        j
    }

    #[test]
    fn forms() {
        assert_eq!(
            roundtrip(&SYN),
            MpJoin::Syn {
                flags: 0,
                backup: false,
                addr_id: 0,
                token: 0xe47f_0142,
                nonce: 0x1b66_5a18
            }
        );
        assert_eq!(
            roundtrip(&SYNACK),
            MpJoin::SynAck {
                flags: 0,
                backup: false,
                addr_id: 1,
                trunc_hmac: 0x5ab6_80c7_884a_f03d,
                nonce: 0x33ab_e9d5
            }
        );
        let j = roundtrip(&ACK);
        assert_eq!(j, MpJoin::ack(ACK[4..].try_into().unwrap()));
        assert!(!j.backup());
        assert_eq!(j.addr_id(), None);
        assert_eq!(
            roundtrip(&SYN_BACKUP),
            MpJoin::Syn {
                flags: 1,
                backup: true,
                addr_id: 5,
                token: 1,
                nonce: 0xdead_beef
            }
        );
        let j = roundtrip(&SYNACK_RSV);
        assert!(j.backup());
        assert_eq!(j.addr_id(), Some(7));
        assert!(matches!(
            j,
            MpJoin::SynAck {
                flags: 9,
                nonce: 9,
                ..
            }
        ));
    }

    #[test]
    fn ack_reserved_kept() {
        let mut b = ACK;
        b[2] = 0x1f;
        b[3] = 0xa5;
        let j = roundtrip(&b);
        assert!(matches!(
            j,
            MpJoin::Ack {
                flags: 0xf,
                reserved: 0xa5,
                ..
            }
        ));
    }

    #[test]
    fn every_length() {
        for len in 0..=40usize {
            let mut b = [0u8; 40];
            b[..3.min(len)].copy_from_slice(&[30, len as u8, 0x10][..3.min(len)]);
            let r = MpJoin::parse(&b[..len]);
            match len {
                12 | 16 | 24 => assert!(r.is_ok()),
                0..=2 => assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort),
                _ => assert_eq!(
                    r.unwrap_err(),
                    MptcpError::new(1, len as u8, MptcpErrorReason::BadLength)
                ),
            }
        }
    }

    #[test]
    fn unrepresentable() {
        let mut buf = [0u8; 40];
        let bad = MpJoin::Syn {
            flags: 0,
            backup: true,
            addr_id: 0,
            token: 0,
            nonce: 0,
        };
        assert_eq!(bad.emit(&mut buf), Err(EmitError::Unrepresentable));
        let bad = MpJoin::Ack {
            flags: 0x10,
            reserved: 0,
            hmac: [0; 20],
        };
        assert_eq!(bad.emit(&mut buf), Err(EmitError::Unrepresentable));
        assert_eq!(
            MpJoin::ack([0; 20]).emit(&mut buf[..10]),
            Err(EmitError::BufferTooSmall {
                needed: 24,
                available: 10
            })
        );
    }
}
