//! MP_FASTCLOSE (subtype 7): abrupt close of the whole connection.
//!
//! Owns the MP_FASTCLOSE grammar (same in v0 and v1): exactly 12 bytes —
//! kind, length, subtype + 4 reserved bits, 1 reserved byte, then the
//! option receiver's 64-bit key. Every other length is
//! [`MptcpErrorReason::BadLength`](super::MptcpErrorReason::BadLength),
//! as in Linux.
//!
//! It must not check the key against any connection (no state here); the
//! 12 reserved bits are kept in `reserved` so a parse/emit round trip is
//! byte-identical.

use super::{reserved12_u64, subtype, EmitError, Header, MptcpError};

/// An MP_FASTCLOSE option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpFastclose {
    /// Option receiver's key.
    pub receiver_key: u64,
    /// The 12 reserved bits: low nibble of byte 2 (bits 11..8) and byte 3.
    pub reserved: u16,
}

impl MpFastclose {
    /// Wire length.
    pub const LEN: u8 = reserved12_u64::LEN;

    /// An MP_FASTCLOSE with zero reserved bits.
    pub const fn new(receiver_key: u64) -> Self {
        MpFastclose {
            receiver_key,
            reserved: 0,
        }
    }

    /// Parses a whole MP_FASTCLOSE option.
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let (reserved, receiver_key) = reserved12_u64::parse(opt, subtype::MP_FASTCLOSE)?;
        Ok(MpFastclose {
            receiver_key,
            reserved,
        })
    }

    /// Bytes [`MpFastclose::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        reserved12_u64::buffer_len(self.reserved)
    }

    /// Writes the whole option; `reserved` above 12 bits is
    /// [`EmitError::Unrepresentable`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        reserved12_u64::emit(buf, subtype::MP_FASTCLOSE, self.reserved, self.receiver_key)
    }
}

/// A validated MP_FASTCLOSE option, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpFastcloseView<'a> {
    opt: &'a [u8],
}

impl<'a> MpFastcloseView<'a> {
    /// Validates a whole MP_FASTCLOSE option as [`MpFastclose::parse`] does.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        reserved12_u64::check(&Header::check_subtype(opt, subtype::MP_FASTCLOSE)?)?;
        Ok(MpFastcloseView { opt })
    }

    /// A view of an option the caller has validated.
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        MpFastcloseView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// Option receiver's key.
    #[inline]
    pub fn receiver_key(&self) -> u64 {
        reserved12_u64::value_at(self.opt)
    }

    /// The 12 reserved bits: low nibble of byte 2 (bits 11..8) and byte 3.
    #[inline]
    pub fn reserved(&self) -> u16 {
        reserved12_u64::reserved_at(self.opt)
    }

    /// The owned [`MpFastclose`] (what [`MpFastclose::parse`] returns).
    #[inline]
    pub fn decode(&self) -> MpFastclose {
        MpFastclose {
            receiver_key: self.receiver_key(),
            reserved: self.reserved(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::MptcpErrorReason;
    use super::*;

    #[test]
    fn real_capture() {
        // tcpdump mptcp-fclose.pcap: "fast-close key 0xd005b1ab34bad344".
        let b = [
            0x1e, 0x0c, 0x70, 0x00, 0xd0, 0x05, 0xb1, 0xab, 0x34, 0xba, 0xd3, 0x44,
        ];
        let f = MpFastclose::parse(&b).unwrap();
        assert_eq!(f, MpFastclose::new(0xd005_b1ab_34ba_d344));
        let mut buf = [0u8; 12];
        assert_eq!(f.emit(&mut buf), Ok(12));
        assert_eq!(buf, b);
        // Reserved bits kept.
        let b = [30, 12, 0x7a, 0xbc, 0, 0, 0, 0, 0, 0, 0, 1];
        let f = MpFastclose::parse(&b).unwrap();
        assert_eq!((f.receiver_key, f.reserved), (1, 0xabc));
        assert_eq!(f.emit(&mut buf), Ok(12));
        assert_eq!(buf, b);
    }

    #[test]
    fn every_length() {
        for len in 0..=40usize {
            let mut b = [0u8; 40];
            b[..3.min(len)].copy_from_slice(&[30, len as u8, 0x70][..3.min(len)]);
            let r = MpFastclose::parse(&b[..len]);
            match len {
                12 => assert!(r.is_ok()),
                0..=2 => assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort),
                _ => assert_eq!(
                    r.unwrap_err(),
                    MptcpError::new(7, len as u8, MptcpErrorReason::BadLength)
                ),
            }
        }
    }

    #[test]
    fn unrepresentable() {
        let f = MpFastclose {
            receiver_key: 0,
            reserved: 0x1000,
        };
        assert_eq!(f.emit(&mut [0u8; 12]), Err(EmitError::Unrepresentable));
        assert_eq!(
            MpFastclose::new(0).emit(&mut [0u8; 11]),
            Err(EmitError::BufferTooSmall {
                needed: 12,
                available: 11
            })
        );
    }
}
