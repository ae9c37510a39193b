//! REMOVE_ADDR (subtype 4): withdrawing advertised addresses.
//!
//! Owns the REMOVE_ADDR grammar (same in v0 and v1): length `3 + n`, one
//! address id per byte, `n >= 1` (RFC 8684 §3.4.2, RFC 6824 §3.4.2): every
//! length from 4 up is accepted (a TCP header has room for 37 ids), and
//! 0..=3 is rejected as
//! [`MptcpErrorReason::BadLength`](super::MptcpErrorReason::BadLength).
//! Linux sends at most 8 ids and ignores a REMOVE_ADDR with more
//! (`MPTCP_RM_IDS_MAX`); a passive dissector reports what the RFCs allow
//! (until the nineteenth session this file copied the Linux limit, and
//! called a legal option with 9 ids malformed).
//!
//! It must not copy the ids (it borrows them) nor drop the reserved low
//! nibble of byte 2, which is kept for byte-identical round trips.

use super::{be_at, subtype, EmitError, Header, MptcpError, Writer};

/// Most address ids one REMOVE_ADDR can carry: its one-byte length less
/// the 3-byte header (in a TCP header, whose options take at most 40
/// bytes, 37).
pub const MAX_IDS: usize = 252;

/// The REMOVE_ADDR validation rule, shared by [`RemoveAddr::parse`] and
/// [`RemoveAddrView::new_checked`] (and the view walk): at least one id.
#[inline(always)]
pub(crate) fn check(h: &Header<'_>) -> Result<(), MptcpError> {
    if accepts_len(h.len) {
        Ok(())
    } else {
        Err(h.bad_len())
    }
}

/// The lengths of [`check`]'s rule: 3 bytes of header and at least one
/// id. Also the view walk's length table ([`super::lengths`]).
#[inline(always)]
pub(crate) const fn accepts_len(len: u8) -> bool {
    len >= 4
}

/// A REMOVE_ADDR option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RemoveAddr<'a> {
    /// The removed address ids (at least one).
    pub ids: &'a [u8],
    /// Low nibble of byte 2 (reserved; kept for round trips).
    pub reserved: u8,
}

impl<'a> RemoveAddr<'a> {
    /// A REMOVE_ADDR for `ids` with zero reserved bits.
    pub const fn new(ids: &'a [u8]) -> Self {
        RemoveAddr { ids, reserved: 0 }
    }

    /// Parses a whole REMOVE_ADDR option.
    pub fn parse(opt: &'a [u8]) -> Result<Self, MptcpError> {
        let h = Header::check_subtype(opt, subtype::REMOVE_ADDR)?;
        check(&h)?;
        Ok(RemoveAddr {
            ids: h.body,
            reserved: h.nibble,
        })
    }

    fn wire_len(&self) -> Option<u8> {
        if (1..=MAX_IDS).contains(&self.ids.len()) && self.reserved <= 0x0f {
            u8::try_from(self.ids.len().saturating_add(3)).ok()
        } else {
            None
        }
    }

    /// Bytes [`RemoveAddr::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        self.wire_len().map_or(0, usize::from)
    }

    /// Writes the whole option; an empty or over-long (> [`MAX_IDS`]) id
    /// list is [`EmitError::Unrepresentable`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let len = self.wire_len().ok_or(EmitError::Unrepresentable)?;
        let mut w = Writer::start(buf, len, subtype::REMOVE_ADDR, self.reserved)?;
        w.bytes(self.ids)?;
        Ok(w.finish())
    }
}

/// A validated REMOVE_ADDR option, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RemoveAddrView<'a> {
    opt: &'a [u8],
}

impl<'a> RemoveAddrView<'a> {
    /// Validates a whole REMOVE_ADDR option as [`RemoveAddr::parse`] does.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        check(&Header::check_subtype(opt, subtype::REMOVE_ADDR)?)?;
        Ok(RemoveAddrView { opt })
    }

    /// A view of an option the caller has validated with [`check`].
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        RemoveAddrView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// The removed address ids (the bytes after byte 2).
    #[inline]
    pub fn ids(&self) -> &'a [u8] {
        self.opt.get(3..).unwrap_or(&[])
    }

    /// Low nibble of byte 2 (reserved).
    #[inline]
    pub fn reserved(&self) -> u8 {
        let [b] = be_at(self.opt, 2);
        b & 0x0f
    }

    /// The owned [`RemoveAddr`] (what [`RemoveAddr::parse`] returns).
    #[inline]
    pub fn decode(&self) -> RemoveAddr<'a> {
        RemoveAddr {
            ids: self.ids(),
            reserved: self.reserved(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::MptcpErrorReason;
    use super::*;

    fn roundtrip(bytes: &[u8]) -> RemoveAddr<'_> {
        let a = RemoveAddr::parse(bytes).unwrap();
        let mut buf = [0u8; 40];
        let n = a.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], bytes);
        assert_eq!(a.buffer_len(), n);
        a
    }

    #[test]
    fn forms() {
        // tcpdump mptcp-v0.pcap: "rem-addr id 0".
        assert_eq!(roundtrip(&[0x1e, 0x04, 0x40, 0x00]), RemoveAddr::new(&[0]));
        let a = roundtrip(&[30, 6, 0x40, 1, 2, 3]);
        assert_eq!(a.ids, &[1, 2, 3]);
        let a = roundtrip(&[30, 11, 0x4a, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((a.ids.len(), a.reserved), (8, 0xa));
        // Nine ids: more than Linux sends, as many as the RFCs allow.
        let a = roundtrip(&[30, 12, 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(a.ids, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // A whole 40-byte option area of one REMOVE_ADDR: 37 ids.
        let mut whole = [7u8; 40];
        whole[..3].copy_from_slice(&[30, 40, 0x40]);
        assert_eq!(roundtrip(&whole).ids.len(), 37);
    }

    #[test]
    fn every_length() {
        for len in 0..=40usize {
            let mut b = [0u8; 40];
            b[..3.min(len)].copy_from_slice(&[30, len as u8, 0x40][..3.min(len)]);
            let r = RemoveAddr::parse(&b[..len]);
            match len {
                4..=40 => assert_eq!(r.unwrap().ids.len(), len - 3),
                0..=2 => assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort),
                _ => assert_eq!(
                    r.unwrap_err(),
                    MptcpError::new(4, len as u8, MptcpErrorReason::BadLength)
                ),
            }
        }
    }

    #[test]
    fn unrepresentable() {
        let mut buf = [0u8; 40];
        assert_eq!(
            RemoveAddr::new(&[]).emit(&mut buf),
            Err(EmitError::Unrepresentable)
        );
        assert_eq!(
            RemoveAddr::new(&[0; 253]).emit(&mut [0u8; 300]),
            Err(EmitError::Unrepresentable)
        );
        // 252 ids: a length byte of 255, the longest there is.
        let mut big = [0u8; 255];
        assert_eq!(RemoveAddr::new(&[1; 252]).emit(&mut big), Ok(255));
        assert_eq!(big[1], 255);
        let r = RemoveAddr {
            ids: &[1],
            reserved: 0x10,
        };
        assert_eq!(r.emit(&mut buf), Err(EmitError::Unrepresentable));
    }
}
