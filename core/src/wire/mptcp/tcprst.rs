//! MP_TCPRST (subtype 8, v1 only): why a subflow was reset.
//!
//! Owns the MP_TCPRST grammar of RFC 8684 section 3.6: exactly 4 bytes —
//! kind, length, subtype + flag nibble `U V W T`, reason code. Every other
//! length is [`MptcpErrorReason::BadLength`](super::MptcpErrorReason::BadLength),
//! as in Linux.
//!
//! It must not check that the segment carries RST (Linux ignores the
//! option otherwise; that needs the TCP header, which this layer does not
//! see). Unknown reason codes are kept as [`TcpRstReason::Unknown`].

use super::{be_at, subtype, EmitError, Header, MptcpError, Writer};

/// MP_TCPRST reason code (IANA "MPTCP MP_TCPRST Reason Codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TcpRstReason {
    /// 0x00: unspecified error.
    Unspecified,
    /// 0x01: MPTCP-specific error.
    MptcpSpecific,
    /// 0x02: lack of resources.
    LackOfResources,
    /// 0x03: administratively prohibited.
    AdministrativelyProhibited,
    /// 0x04: too much outstanding data.
    TooMuchOutstandingData,
    /// 0x05: unacceptable performance.
    UnacceptablePerformance,
    /// 0x06: middlebox interference.
    MiddleboxInterference,
    /// Any other code.
    Unknown(u8),
}

impl TcpRstReason {
    /// The reason for a wire code.
    pub const fn from_code(code: u8) -> Self {
        match code {
            0 => TcpRstReason::Unspecified,
            1 => TcpRstReason::MptcpSpecific,
            2 => TcpRstReason::LackOfResources,
            3 => TcpRstReason::AdministrativelyProhibited,
            4 => TcpRstReason::TooMuchOutstandingData,
            5 => TcpRstReason::UnacceptablePerformance,
            6 => TcpRstReason::MiddleboxInterference,
            c => TcpRstReason::Unknown(c),
        }
    }

    /// The wire code.
    pub const fn code(self) -> u8 {
        match self {
            TcpRstReason::Unspecified => 0,
            TcpRstReason::MptcpSpecific => 1,
            TcpRstReason::LackOfResources => 2,
            TcpRstReason::AdministrativelyProhibited => 3,
            TcpRstReason::TooMuchOutstandingData => 4,
            TcpRstReason::UnacceptablePerformance => 5,
            TcpRstReason::MiddleboxInterference => 6,
            TcpRstReason::Unknown(c) => c,
        }
    }
}

impl From<u8> for TcpRstReason {
    fn from(code: u8) -> Self {
        Self::from_code(code)
    }
}

/// The MP_TCPRST validation rule, shared by [`MpTcpRst::parse`] and
/// [`MpTcpRstView::new_checked`] (and the view walk): length
/// [`MpTcpRst::LEN`].
#[inline(always)]
pub(crate) fn check(h: &Header<'_>) -> Result<(), MptcpError> {
    if h.len == MpTcpRst::LEN {
        Ok(())
    } else {
        Err(h.bad_len())
    }
}

/// An MP_TCPRST option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpTcpRst {
    /// Flag nibble: U 0x08, V 0x04, W 0x02, T 0x01.
    pub flags: u8,
    /// Raw reason code (see [`MpTcpRst::reason_code`]).
    pub reason: u8,
}

impl MpTcpRst {
    /// Wire length.
    pub const LEN: u8 = 4;
    /// Flag U (unassigned).
    pub const FLAG_U: u8 = 0x08;
    /// Flag V (unassigned).
    pub const FLAG_V: u8 = 0x04;
    /// Flag W (unassigned).
    pub const FLAG_W: u8 = 0x02;
    /// Flag T: the error is transient.
    pub const FLAG_T: u8 = 0x01;

    /// Parses a whole MP_TCPRST option.
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let h = Header::check_subtype(opt, subtype::MP_TCPRST)?;
        check(&h)?;
        Ok(MpTcpRst {
            flags: h.nibble,
            reason: h.reader().u8()?,
        })
    }

    /// Bytes [`MpTcpRst::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        if self.flags > 0x0f {
            0
        } else {
            usize::from(Self::LEN)
        }
    }

    /// Writes the whole option; `flags` above a nibble is
    /// [`EmitError::Unrepresentable`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        if self.flags > 0x0f {
            return Err(EmitError::Unrepresentable);
        }
        let mut w = Writer::start(buf, Self::LEN, subtype::MP_TCPRST, self.flags)?;
        w.u8(self.reason)?;
        Ok(w.finish())
    }

    /// Flag U (unassigned).
    pub const fn flag_u(&self) -> bool {
        self.flags & Self::FLAG_U != 0
    }
    /// Flag V (unassigned).
    pub const fn flag_v(&self) -> bool {
        self.flags & Self::FLAG_V != 0
    }
    /// Flag W (unassigned).
    pub const fn flag_w(&self) -> bool {
        self.flags & Self::FLAG_W != 0
    }
    /// Flag T: the error is transient; the subflow may be retried.
    pub const fn transient(&self) -> bool {
        self.flags & Self::FLAG_T != 0
    }
    /// The decoded reason code.
    pub const fn reason_code(&self) -> TcpRstReason {
        TcpRstReason::from_code(self.reason)
    }
}

/// A validated MP_TCPRST option, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpTcpRstView<'a> {
    opt: &'a [u8],
}

impl<'a> MpTcpRstView<'a> {
    /// Validates a whole MP_TCPRST option as [`MpTcpRst::parse`] does.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        check(&Header::check_subtype(opt, subtype::MP_TCPRST)?)?;
        Ok(MpTcpRstView { opt })
    }

    /// A view of an option the caller has validated with [`check`].
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        MpTcpRstView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// Flag nibble: U 0x08, V 0x04, W 0x02, T 0x01.
    #[inline]
    pub fn flags(&self) -> u8 {
        let [b] = be_at(self.opt, 2);
        b & 0x0f
    }

    /// Raw reason code.
    #[inline]
    pub fn reason(&self) -> u8 {
        let [b] = be_at(self.opt, 3);
        b
    }

    /// Flag T: the error is transient.
    #[inline]
    pub fn transient(&self) -> bool {
        self.flags() & MpTcpRst::FLAG_T != 0
    }

    /// The decoded reason code.
    #[inline]
    pub fn reason_code(&self) -> TcpRstReason {
        TcpRstReason::from_code(self.reason())
    }

    /// The owned [`MpTcpRst`] (what [`MpTcpRst::parse`] returns).
    #[inline]
    pub fn decode(&self) -> MpTcpRst {
        MpTcpRst {
            flags: self.flags(),
            reason: self.reason(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::MptcpErrorReason;
    use super::*;

    fn roundtrip(bytes: &[u8]) -> MpTcpRst {
        let a = MpTcpRst::parse(bytes).unwrap();
        let mut buf = [0u8; 8];
        let n = a.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], bytes);
        assert_eq!(a.buffer_len(), n);
        a
    }

    #[test]
    fn real_captures() {
        // tcpdump mptcp-tcprst.pcap: "tcprst flags [none] reason
        // Unspecified error" and "tcprst flags [T] reason MPTCP-specific".
        let r = roundtrip(&[0x1e, 0x04, 0x80, 0x00]);
        assert_eq!(
            r,
            MpTcpRst {
                flags: 0,
                reason: 0
            }
        );
        assert_eq!(r.reason_code(), TcpRstReason::Unspecified);
        assert!(!r.transient());
        let r = roundtrip(&[0x1e, 0x04, 0x81, 0x01]);
        assert!(r.transient() && !r.flag_u() && !r.flag_v() && !r.flag_w());
        assert_eq!(r.reason_code(), TcpRstReason::MptcpSpecific);
    }

    #[test]
    fn flags_and_reasons() {
        let r = roundtrip(&[30, 4, 0x8e, 0x06]);
        assert!(r.flag_u() && r.flag_v() && r.flag_w() && !r.transient());
        assert_eq!(r.reason_code(), TcpRstReason::MiddleboxInterference);
        let names = [
            TcpRstReason::Unspecified,
            TcpRstReason::MptcpSpecific,
            TcpRstReason::LackOfResources,
            TcpRstReason::AdministrativelyProhibited,
            TcpRstReason::TooMuchOutstandingData,
            TcpRstReason::UnacceptablePerformance,
            TcpRstReason::MiddleboxInterference,
        ];
        for (code, want) in names.iter().enumerate() {
            assert_eq!(TcpRstReason::from(code as u8), *want);
        }
        for code in 0..=255u8 {
            assert_eq!(TcpRstReason::from_code(code).code(), code);
        }
        assert_eq!(TcpRstReason::from_code(7), TcpRstReason::Unknown(7));
    }

    #[test]
    fn every_length() {
        for len in 0..=40usize {
            let mut b = [0u8; 40];
            b[..3.min(len)].copy_from_slice(&[30, len as u8, 0x80][..3.min(len)]);
            let r = MpTcpRst::parse(&b[..len]);
            match len {
                4 => assert!(r.is_ok()),
                0..=2 => assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort),
                _ => assert_eq!(
                    r.unwrap_err(),
                    MptcpError::new(8, len as u8, MptcpErrorReason::BadLength)
                ),
            }
        }
    }

    #[test]
    fn unrepresentable() {
        let r = MpTcpRst {
            flags: 0x10,
            reason: 0,
        };
        assert_eq!(r.emit(&mut [0u8; 4]), Err(EmitError::Unrepresentable));
    }
}
