//! MP_FAIL (subtype 6): reporting a DSS checksum failure.
//!
//! Owns the MP_FAIL grammar (same in v0 and v1): exactly 12 bytes — kind,
//! length, subtype + 4 reserved bits, 1 reserved byte, then the 64-bit data
//! sequence number from which the checksum failed. Every other length is
//! [`MptcpErrorReason::BadLength`](super::MptcpErrorReason::BadLength),
//! as in Linux.
//!
//! It must not interpret the DSN (fallback and subflow reset are the
//! analysis layer's business); the 12 reserved bits are kept in `reserved`
//! so a parse/emit round trip is byte-identical.

use super::{reserved12_u64, subtype, EmitError, Header, MptcpError};

/// An MP_FAIL option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpFail {
    /// DSN where the checksum failed.
    pub dsn: u64,
    /// The 12 reserved bits: low nibble of byte 2 (bits 11..8) and byte 3.
    pub reserved: u16,
}

impl MpFail {
    /// Wire length.
    pub const LEN: u8 = reserved12_u64::LEN;

    /// An MP_FAIL with zero reserved bits.
    pub const fn new(dsn: u64) -> Self {
        MpFail { dsn, reserved: 0 }
    }

    /// Parses a whole MP_FAIL option.
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let (reserved, dsn) = reserved12_u64::parse(opt, subtype::MP_FAIL)?;
        Ok(MpFail { dsn, reserved })
    }

    /// Bytes [`MpFail::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        reserved12_u64::buffer_len(self.reserved)
    }

    /// Writes the whole option; `reserved` above 12 bits is
    /// [`EmitError::Unrepresentable`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        reserved12_u64::emit(buf, subtype::MP_FAIL, self.reserved, self.dsn)
    }
}

/// A validated MP_FAIL option, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpFailView<'a> {
    opt: &'a [u8],
}

impl<'a> MpFailView<'a> {
    /// Validates a whole MP_FAIL option as [`MpFail::parse`] does.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        reserved12_u64::check(&Header::check_subtype(opt, subtype::MP_FAIL)?)?;
        Ok(MpFailView { opt })
    }

    /// A view of an option the caller has validated.
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        MpFailView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// DSN where the checksum failed.
    #[inline]
    pub fn dsn(&self) -> u64 {
        reserved12_u64::value_at(self.opt)
    }

    /// The 12 reserved bits: low nibble of byte 2 (bits 11..8) and byte 3.
    #[inline]
    pub fn reserved(&self) -> u16 {
        reserved12_u64::reserved_at(self.opt)
    }

    /// The owned [`MpFail`] (what [`MpFail::parse`] returns).
    #[inline]
    pub fn decode(&self) -> MpFail {
        MpFail {
            dsn: self.dsn(),
            reserved: self.reserved(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::MptcpErrorReason;
    use super::*;

    #[test]
    fn forms() {
        // Hand-built from RFC 8684 Figure 16: DSN 0x0102030405060708.
        let b = [30, 12, 0x60, 0x00, 1, 2, 3, 4, 5, 6, 7, 8];
        let f = MpFail::parse(&b).unwrap();
        assert_eq!(f, MpFail::new(0x0102_0304_0506_0708));
        let mut buf = [0u8; 12];
        assert_eq!(f.emit(&mut buf), Ok(12));
        assert_eq!(buf, b);
        let b = [
            30, 12, 0x6f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
        ];
        let f = MpFail::parse(&b).unwrap();
        assert_eq!((f.dsn, f.reserved), (u64::MAX - 1, 0xfff));
        assert_eq!(f.emit(&mut buf), Ok(12));
        assert_eq!(buf, b);
    }

    #[test]
    fn every_length() {
        for len in 0..=40usize {
            let mut b = [0u8; 40];
            b[..3.min(len)].copy_from_slice(&[30, len as u8, 0x60][..3.min(len)]);
            let r = MpFail::parse(&b[..len]);
            match len {
                12 => assert!(r.is_ok()),
                0..=2 => assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort),
                _ => assert_eq!(
                    r.unwrap_err(),
                    MptcpError::new(6, len as u8, MptcpErrorReason::BadLength)
                ),
            }
        }
    }

    #[test]
    fn unrepresentable() {
        let f = MpFail {
            dsn: 0,
            reserved: 0xffff,
        };
        assert_eq!(f.emit(&mut [0u8; 12]), Err(EmitError::Unrepresentable));
    }
}
