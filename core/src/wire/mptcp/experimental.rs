//! MP_EXPERIMENTAL (subtype 15): private-use sub-option.
//!
//! Owns only the framing of subtype 15: any length of at least 3 bytes
//! (kind, length, subtype) is accepted, and the whole option is kept raw.
//!
//! It must not guess at the contents: there is no standard layout.

use super::{emit_raw, subtype, EmitError, Header, MptcpError};

/// An MP_EXPERIMENTAL option, kept raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpExperimental<'a> {
    /// The whole option, kind and length bytes included.
    pub raw: &'a [u8],
}

impl<'a> MpExperimental<'a> {
    /// Parses a whole MP_EXPERIMENTAL option (length >= 3).
    pub fn parse(opt: &'a [u8]) -> Result<Self, MptcpError> {
        Header::check_subtype(opt, subtype::MP_EXPERIMENTAL)?;
        Ok(MpExperimental { raw: opt })
    }

    /// Everything after the kind and length bytes (subtype byte included).
    pub fn payload(&self) -> &'a [u8] {
        self.raw.get(2..).unwrap_or(&[])
    }

    /// Bytes [`MpExperimental::emit`] writes (0 if `raw` is not a valid
    /// MP_EXPERIMENTAL option).
    pub fn buffer_len(&self) -> usize {
        if Self::parse(self.raw).is_ok() {
            self.raw.len()
        } else {
            0
        }
    }

    /// Writes `raw` back verbatim; [`EmitError::Unrepresentable`] if `raw`
    /// is not itself a valid MP_EXPERIMENTAL option.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        Self::parse(self.raw).map_err(|_| EmitError::Unrepresentable)?;
        emit_raw(self.raw, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::super::MptcpErrorReason;
    use super::*;

    #[test]
    fn forms() {
        for len in 0..=40usize {
            let mut b = [0xa5u8; 40];
            b[..3.min(len)].copy_from_slice(&[30, len as u8, 0xf3][..3.min(len)]);
            let r = MpExperimental::parse(&b[..len]);
            if len >= 3 {
                let e = r.unwrap();
                assert_eq!(e.raw, &b[..len]);
                assert_eq!(e.payload().len(), len - 2);
                let mut out = [0u8; 40];
                assert_eq!(e.emit(&mut out), Ok(len));
                assert_eq!(&out[..len], &b[..len]);
            } else {
                assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort);
            }
        }
    }

    #[test]
    fn rejects() {
        assert_eq!(
            MpExperimental::parse(&[30, 4, 0xf0]).unwrap_err(),
            MptcpError::new(15, 4, MptcpErrorReason::LengthMismatch)
        );
        let bad = MpExperimental {
            raw: &[30, 3, 0x20],
        };
        assert_eq!(bad.emit(&mut [0u8; 3]), Err(EmitError::Unrepresentable));
    }
}
