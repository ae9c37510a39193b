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

use super::{subtype, EmitError, Header, MptcpError, Writer};

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
    pub const LEN: u8 = 12;

    /// An MP_FAIL with zero reserved bits.
    pub const fn new(dsn: u64) -> Self {
        MpFail { dsn, reserved: 0 }
    }

    /// Parses a whole MP_FAIL option.
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let h = Header::check_subtype(opt, subtype::MP_FAIL)?;
        if h.len != Self::LEN {
            return Err(h.bad_len());
        }
        let mut r = h.reader();
        let low = r.u8()?;
        Ok(MpFail {
            reserved: u16::from(h.nibble) << 8 | u16::from(low),
            dsn: r.u64()?,
        })
    }

    /// Bytes [`MpFail::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        if self.reserved > 0x0fff {
            0
        } else {
            usize::from(Self::LEN)
        }
    }

    /// Writes the whole option; `reserved` above 12 bits is
    /// [`EmitError::Unrepresentable`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        if self.reserved > 0x0fff {
            return Err(EmitError::Unrepresentable);
        }
        let [high, low] = self.reserved.to_be_bytes();
        let mut w = Writer::start(buf, Self::LEN, subtype::MP_FAIL, high)?;
        w.u8(low)?;
        w.u64(self.dsn)?;
        Ok(w.finish())
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
