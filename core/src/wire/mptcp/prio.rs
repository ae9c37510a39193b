//! MP_PRIO (subtype 5): changing a subflow's backup priority.
//!
//! Owns the MP_PRIO grammar. Lengths: 3 (v1, RFC 8684, and v0 without an
//! address id) or 4 (v0, RFC 6824, with the address id whose priority
//! changes). Every other length is
//! [`MptcpErrorReason::BadLength`](super::MptcpErrorReason::BadLength).
//! (Linux, being v1-only, accepts only 3.)
//!
//! It must not drop the reserved bits of the flag nibble (kept in `flags`).

use super::{be_at, subtype, EmitError, Header, MptcpError, Writer};

/// The MP_PRIO validation rule, shared by [`MpPrio::parse`] and
/// [`MpPrioView::new_checked`] (and the view walk): length 3, or 4 with an
/// address id (returns whether there is one).
#[inline(always)]
pub(crate) fn check(h: &Header<'_>) -> Result<bool, MptcpError> {
    if accepts_len(h.len) {
        Ok(h.len == 4)
    } else {
        Err(h.bad_len())
    }
}

/// The lengths of [`check`]'s rule: 3, or 4 with an address id. Also the
/// view walk's length table ([`super::lengths`]).
#[inline(always)]
pub(crate) const fn accepts_len(len: u8) -> bool {
    matches!(len, 3 | 4)
}

/// An MP_PRIO option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpPrio {
    /// Low nibble of byte 2 (backup bit 0x01 and reserved bits).
    pub flags: u8,
    /// Backup bit (`flags & 0x01`).
    pub backup: bool,
    /// Address id (v0 length-4 form only).
    pub addr_id: Option<u8>,
}

impl MpPrio {
    /// Backup bit in the flag nibble.
    pub const FLAG_BACKUP: u8 = 0x01;

    /// Parses a whole MP_PRIO option.
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let h = Header::check_subtype(opt, subtype::MP_PRIO)?;
        let addr_id = if check(&h)? {
            Some(h.reader().u8()?)
        } else {
            None
        };
        Ok(MpPrio {
            flags: h.nibble,
            backup: h.nibble & Self::FLAG_BACKUP != 0,
            addr_id,
        })
    }

    /// Wire length, or `None` if `flags` does not fit in a nibble or
    /// disagrees with `backup`.
    const fn wire_len(&self) -> Option<u8> {
        if self.flags > 0x0f || (self.flags & Self::FLAG_BACKUP != 0) != self.backup {
            None
        } else if self.addr_id.is_some() {
            Some(4)
        } else {
            Some(3)
        }
    }

    /// Bytes [`MpPrio::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        self.wire_len().map_or(0, usize::from)
    }

    /// Writes the whole option. [`EmitError::Unrepresentable`] if `flags`
    /// does not fit in a nibble or disagrees with `backup`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let len = self.wire_len().ok_or(EmitError::Unrepresentable)?;
        let mut w = Writer::start(buf, len, subtype::MP_PRIO, self.flags)?;
        if let Some(id) = self.addr_id {
            w.u8(id)?;
        }
        Ok(w.finish())
    }
}

/// A validated MP_PRIO option, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpPrioView<'a> {
    opt: &'a [u8],
}

impl<'a> MpPrioView<'a> {
    /// Validates a whole MP_PRIO option as [`MpPrio::parse`] does.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        check(&Header::check_subtype(opt, subtype::MP_PRIO)?)?;
        Ok(MpPrioView { opt })
    }

    /// A view of an option the caller has validated with [`check`].
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        MpPrioView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// Low nibble of byte 2 (backup bit 0x01 and reserved bits).
    #[inline]
    pub fn flags(&self) -> u8 {
        let [b] = be_at(self.opt, 2);
        b & 0x0f
    }

    /// Backup bit.
    #[inline]
    pub fn backup(&self) -> bool {
        self.flags() & MpPrio::FLAG_BACKUP != 0
    }

    /// Address id (v0 length-4 form only).
    #[inline]
    pub fn addr_id(&self) -> Option<u8> {
        self.opt.get(3).copied()
    }

    /// The owned [`MpPrio`] (what [`MpPrio::parse`] returns).
    #[inline]
    pub fn decode(&self) -> MpPrio {
        MpPrio {
            flags: self.flags(),
            backup: self.backup(),
            addr_id: self.addr_id(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::MptcpErrorReason;
    use super::*;

    fn roundtrip(bytes: &[u8]) -> MpPrio {
        let a = MpPrio::parse(bytes).unwrap();
        let mut buf = [0u8; 8];
        let n = a.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], bytes);
        assert_eq!(a.buffer_len(), n);
        a
    }

    #[test]
    fn forms() {
        // RFC 8684 Figure 11 / RFC 6824 Figure 11.
        let p = roundtrip(&[30, 3, 0x51]);
        assert_eq!(
            p,
            MpPrio {
                flags: 1,
                backup: true,
                addr_id: None
            }
        );
        let p = roundtrip(&[30, 3, 0x50]);
        assert!(!p.backup);
        let p = roundtrip(&[30, 4, 0x51, 7]);
        assert_eq!(
            p,
            MpPrio {
                flags: 1,
                backup: true,
                addr_id: Some(7)
            }
        );
        let p = roundtrip(&[30, 4, 0x5e, 2]);
        assert_eq!((p.flags, p.backup, p.addr_id), (0xe, false, Some(2)));
    }

    #[test]
    fn every_length() {
        for len in 0..=40usize {
            let mut b = [0u8; 40];
            b[..3.min(len)].copy_from_slice(&[30, len as u8, 0x51][..3.min(len)]);
            let r = MpPrio::parse(&b[..len]);
            match len {
                3 | 4 => assert!(r.is_ok()),
                0..=2 => assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort),
                _ => assert_eq!(
                    r.unwrap_err(),
                    MptcpError::new(5, len as u8, MptcpErrorReason::BadLength)
                ),
            }
        }
    }

    #[test]
    fn unrepresentable() {
        let mut buf = [0u8; 8];
        let p = MpPrio {
            flags: 0,
            backup: true,
            addr_id: None,
        };
        assert_eq!(p.emit(&mut buf), Err(EmitError::Unrepresentable));
        let p = MpPrio {
            flags: 0x11,
            backup: true,
            addr_id: None,
        };
        assert_eq!(p.emit(&mut buf), Err(EmitError::Unrepresentable));
    }
}
