//! ADD_ADDR (subtype 3): advertising an additional address.
//!
//! Owns both ADD_ADDR layouts. The option does not carry the protocol
//! version, so the form is **inferred from the low nibble of byte 2**:
//!
//! * `4` or `6` — v0 (RFC 6824): the nibble is IPVer. Lengths: IPv4 8,
//!   IPv4+port 10, IPv6 20, IPv6+port 22. An IPVer that disagrees with the
//!   length is [`MptcpErrorReason::BadLength`].
//! * `0` or `1` — v1 (RFC 8684): the nibble is `0000 E`, `E` = echo.
//!   Echo lengths: 8 / 10 / 20 / 22 (IPv4, IPv4+port, IPv6, IPv6+port).
//!   Non-echo lengths: 16 / 18 / 28 / 30 — the same plus the 8-byte
//!   truncated HMAC at the end.
//! * anything else — [`MptcpErrorReason::BadIpVersion`].
//!
//! A v0 option could only collide with a v1 one if v1 used nibble 4 or 6,
//! which it never does (its reserved bits are zero), so the inference is
//! unambiguous for well-formed traffic. Following Linux
//! (`mptcp_parse_option`), the size set is chosen by the echo bit: an echo
//! with an HMAC-sized length (16/18/28/30) and a non-echo without the HMAC
//! (8/10/20/22) are both `BadLength`.
//!
//! It must not verify the HMAC or classify the address (that is
//! `crate::addr`'s and the analysis layer's job).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{be_at, subtype, EmitError, Header, MptcpError, MptcpErrorReason, Writer};

/// Which ADD_ADDR layout an option uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddAddrForm {
    /// RFC 6824 layout (IPVer nibble, no HMAC).
    V0,
    /// RFC 8684 layout.
    V1 {
        /// Echo bit: this option echoes the peer's advertisement (no HMAC).
        echo: bool,
    },
}

/// An ADD_ADDR option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AddAddr {
    /// Layout (inferred from byte 2's low nibble, see the module docs).
    pub form: AddAddrForm,
    /// Address id.
    pub addr_id: u8,
    /// The advertised address.
    pub ip: IpAddr,
    /// Port, when present.
    pub port: Option<u16>,
    /// Truncated (rightmost 64 bits) HMAC: v1 non-echo only.
    pub hmac: Option<u64>,
}

/// What an ADD_ADDR's nibble and length say is in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// The form.
    pub(crate) form: AddAddrForm,
    /// The address is IPv6.
    pub(crate) v6: bool,
    /// A port follows the address.
    pub(crate) port: bool,
    /// A truncated HMAC ends the option.
    pub(crate) hmac: bool,
}

/// The ADD_ADDR rule: the layout of an option whose byte 2 has low nibble
/// `nibble` and whose length is `len`, or why there is none.
#[inline(always)]
const fn layout(nibble: u8, len: u8) -> Result<Layout, MptcpErrorReason> {
    // (form, is the address IPv6, is there a port, is there an HMAC)
    let (form, v6, port, hmac) = match (nibble, len) {
        (4, 8 | 10) => (AddAddrForm::V0, false, len == 10, false),
        (6, 20 | 22) => (AddAddrForm::V0, true, len == 22, false),
        (1, 8 | 10) => (AddAddrForm::V1 { echo: true }, false, len == 10, false),
        (1, 20 | 22) => (AddAddrForm::V1 { echo: true }, true, len == 22, false),
        (0, 16 | 18) => (AddAddrForm::V1 { echo: false }, false, len == 18, true),
        (0, 28 | 30) => (AddAddrForm::V1 { echo: false }, true, len == 30, true),
        (0 | 1 | 4 | 6, _) => return Err(MptcpErrorReason::BadLength),
        (n, _) => return Err(MptcpErrorReason::BadIpVersion(n)),
    };
    Ok(Layout {
        form,
        v6,
        port,
        hmac,
    })
}

/// The lengths of [`layout`]'s rule for low nibble `nibble`: the view
/// walk's length table ([`super::lengths`]).
#[inline(always)]
pub(crate) const fn accepts_len(nibble: u8, len: u8) -> bool {
    layout(nibble, len).is_ok()
}

/// The ADD_ADDR validation rule, shared by [`AddAddr::parse`] and
/// [`AddAddrView::new_checked`] (and the view walk): [`layout`].
#[inline(always)]
pub(crate) fn check(h: &Header<'_>) -> Result<Layout, MptcpError> {
    match layout(h.nibble, h.len) {
        Ok(l) => Ok(l),
        Err(reason) => Err(h.err(reason)),
    }
}

impl AddAddr {
    /// Echo bit of the v1 flag nibble.
    pub const FLAG_ECHO: u8 = 0x01;

    /// Parses a whole ADD_ADDR option.
    #[inline]
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let h = Header::check_subtype(opt, subtype::ADD_ADDR)?;
        let Layout {
            form,
            v6,
            port,
            hmac,
        } = check(&h)?;
        let mut r = h.reader();
        let addr_id = r.u8()?;
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::from(r.array::<16>()?))
        } else {
            IpAddr::V4(Ipv4Addr::from(r.array::<4>()?))
        };
        let port = if port { Some(r.u16()?) } else { None };
        let hmac = if hmac { Some(r.u64()?) } else { None };
        Ok(AddAddr {
            form,
            addr_id,
            ip,
            port,
            hmac,
        })
    }

    /// The low nibble of byte 2 and the wire length, or `None` when the
    /// form and the HMAC disagree (v0 or echo with an HMAC, v1 non-echo
    /// without one).
    fn layout(&self) -> Option<(u8, u8)> {
        let mut len: u8 = match self.ip {
            IpAddr::V4(_) => 8,
            IpAddr::V6(_) => 20,
        };
        if self.port.is_some() {
            len = len.wrapping_add(2); // at most 30: no overflow
        }
        let nibble = match (self.form, self.hmac.is_some()) {
            (AddAddrForm::V0, false) => match self.ip {
                IpAddr::V4(_) => 4,
                IpAddr::V6(_) => 6,
            },
            (AddAddrForm::V1 { echo: true }, false) => Self::FLAG_ECHO,
            (AddAddrForm::V1 { echo: false }, true) => {
                len = len.wrapping_add(8);
                0
            }
            _ => return None,
        };
        Some((nibble, len))
    }

    /// Bytes [`AddAddr::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        self.layout().map_or(0, |(_, len)| usize::from(len))
    }

    /// Writes the whole option.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let (nibble, len) = self.layout().ok_or(EmitError::Unrepresentable)?;
        let mut w = Writer::start(buf, len, subtype::ADD_ADDR, nibble)?;
        w.u8(self.addr_id)?;
        match self.ip {
            IpAddr::V4(a) => w.bytes(&a.octets())?,
            IpAddr::V6(a) => w.bytes(&a.octets())?,
        }
        if let Some(p) = self.port {
            w.u16(p)?;
        }
        if let Some(m) = self.hmac {
            w.u64(m)?;
        }
        Ok(w.finish())
    }

    /// `true` for a v1 echo.
    pub const fn echo(&self) -> bool {
        matches!(self.form, AddAddrForm::V1 { echo: true })
    }
}

/// A validated ADD_ADDR option, read in place.
///
/// Accepts exactly what [`AddAddr::parse`] accepts (the same rule) and
/// every accessor equals the corresponding field of its result. The layout
/// (form, address family, port, HMAC) is worked out again from byte 2's
/// nibble and the length on each access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AddAddrView<'a> {
    opt: &'a [u8],
}

impl<'a> AddAddrView<'a> {
    /// Validates a whole ADD_ADDR option as [`AddAddr::parse`] does.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        check(&Header::check_subtype(opt, subtype::ADD_ADDR)?)?;
        Ok(AddAddrView { opt })
    }

    /// A view of an option the caller has validated with [`check`].
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        AddAddrView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// The layout (a v0 IPv4 one for bytes validation would reject).
    #[inline(always)]
    fn layout(&self) -> Layout {
        let [_, _, b2] = be_at(self.opt, 0);
        let len = u8::try_from(self.opt.len()).unwrap_or(0);
        match layout(b2 & 0x0f, len) {
            Ok(l) => l,
            Err(_) => Layout {
                form: AddAddrForm::V0,
                v6: false,
                port: false,
                hmac: false,
            },
        }
    }

    /// Layout (inferred from byte 2's low nibble, see the module docs).
    #[inline]
    pub fn form(&self) -> AddAddrForm {
        self.layout().form
    }

    /// `true` for a v1 echo.
    #[inline]
    pub fn echo(&self) -> bool {
        matches!(self.form(), AddAddrForm::V1 { echo: true })
    }

    /// Address id.
    #[inline]
    pub fn addr_id(&self) -> u8 {
        let [b] = be_at(self.opt, 3);
        b
    }

    /// The advertised address.
    #[inline]
    pub fn ip(&self) -> IpAddr {
        if self.layout().v6 {
            IpAddr::V6(Ipv6Addr::from(be_at::<16>(self.opt, 4)))
        } else {
            IpAddr::V4(Ipv4Addr::from(be_at::<4>(self.opt, 4)))
        }
    }

    /// Port, when present.
    #[inline]
    pub fn port(&self) -> Option<u16> {
        let l = self.layout();
        let at = if l.v6 { 20 } else { 8 };
        l.port.then(|| u16::from_be_bytes(be_at(self.opt, at)))
    }

    /// Truncated HMAC (v1 non-echo only): the last 8 bytes.
    #[inline]
    pub fn hmac(&self) -> Option<u64> {
        let at = self.opt.len().wrapping_sub(8);
        self.layout()
            .hmac
            .then(|| u64::from_be_bytes(be_at(self.opt, at)))
    }

    /// The owned [`AddAddr`] (what [`AddAddr::parse`] returns).
    #[inline]
    pub fn decode(&self) -> AddAddr {
        AddAddr {
            form: self.form(),
            addr_id: self.addr_id(),
            ip: self.ip(),
            port: self.port(),
            hmac: self.hmac(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bytes: &[u8]) -> AddAddr {
        let a = AddAddr::parse(bytes).unwrap();
        let mut buf = [0u8; 40];
        let n = a.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], bytes);
        assert_eq!(a.buffer_len(), n);
        a
    }

    const V6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    ];

    fn v6_opt<const N: usize>(nibble: u8, tail: &[u8]) -> [u8; N] {
        let mut b = [0u8; N];
        b[..4].copy_from_slice(&[30, N as u8, 0x30 | nibble, 9]);
        b[4..20].copy_from_slice(&V6);
        b[20..].copy_from_slice(tail);
        b
    }

    #[test]
    fn real_captures() {
        // tcpdump mptcp-aa-echo.pcap: "add-addr v1 id 1 10.0.2.1 hmac
        // 0xf8295862f645df19" and "add-addr v1-echo id 1 10.0.2.1".
        let a = roundtrip(&[
            0x1e, 0x10, 0x30, 0x01, 0x0a, 0x00, 0x02, 0x01, 0xf8, 0x29, 0x58, 0x62, 0xf6, 0x45,
            0xdf, 0x19,
        ]);
        assert_eq!(
            a,
            AddAddr {
                form: AddAddrForm::V1 { echo: false },
                addr_id: 1,
                ip: IpAddr::V4(Ipv4Addr::new(10, 0, 2, 1)),
                port: None,
                hmac: Some(0xf829_5862_f645_df19)
            }
        );
        let a = roundtrip(&[0x1e, 0x08, 0x31, 0x01, 0x0a, 0x00, 0x02, 0x01]);
        assert!(a.echo());
        assert_eq!((a.addr_id, a.port, a.hmac), (1, None, None));
        // tcpdump mptcp-v0.pcap: "add-addr v0-ip4 id 1 10.1.2.2".
        let a = roundtrip(&[0x1e, 0x08, 0x34, 0x01, 0x0a, 0x01, 0x02, 0x02]);
        assert_eq!(a.form, AddAddrForm::V0);
        assert_eq!(a.ip, IpAddr::V4(Ipv4Addr::new(10, 1, 2, 2)));
        assert!(!a.echo());
    }

    #[test]
    fn hand_built_forms() {
        let v6 = IpAddr::V6(Ipv6Addr::from(V6));
        // v0 IPv4 + port.
        let a = roundtrip(&[30, 10, 0x34, 2, 192, 0, 2, 1, 0x1f, 0x90]);
        assert_eq!((a.form, a.port), (AddAddrForm::V0, Some(8080)));
        // v0 IPv6, IPv6 + port.
        let a = roundtrip(&v6_opt::<20>(6, &[]));
        assert_eq!(
            (a.form, a.addr_id, a.ip, a.port),
            (AddAddrForm::V0, 9, v6, None)
        );
        let a = roundtrip(&v6_opt::<22>(6, &[0, 80]));
        assert_eq!(a.port, Some(80));
        // v1 echo: IPv4 + port, IPv6, IPv6 + port.
        let a = roundtrip(&[30, 10, 0x31, 2, 192, 0, 2, 1, 0, 80]);
        assert_eq!((a.echo(), a.port), (true, Some(80)));
        let a = roundtrip(&v6_opt::<20>(1, &[]));
        assert_eq!((a.echo(), a.ip, a.hmac), (true, v6, None));
        let a = roundtrip(&v6_opt::<22>(1, &[0, 80]));
        assert_eq!((a.echo(), a.port), (true, Some(80)));
        // v1 with HMAC: IPv4 + port, IPv6, IPv6 + port.
        let a = roundtrip(&[30, 18, 0x30, 2, 192, 0, 2, 1, 0, 80, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((a.port, a.hmac), (Some(80), Some(0x0102_0304_0506_0708)));
        let a = roundtrip(&v6_opt::<28>(0, &[1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(
            (a.ip, a.port, a.hmac),
            (v6, None, Some(0x0102_0304_0506_0708))
        );
        let a = roundtrip(&v6_opt::<30>(0, &[0, 80, 1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!((a.port, a.hmac), (Some(80), Some(0x0102_0304_0506_0708)));
    }

    #[test]
    fn every_length_per_nibble() {
        for nibble in 0..=15u8 {
            let ok: &[usize] = match nibble {
                4 => &[8, 10],
                6 => &[20, 22],
                1 => &[8, 10, 20, 22],
                0 => &[16, 18, 28, 30],
                _ => &[],
            };
            for len in 0..=40usize {
                let mut b = [0u8; 40];
                b[..3.min(len)].copy_from_slice(&[30, len as u8, 0x30 | nibble][..3.min(len)]);
                let r = AddAddr::parse(&b[..len]);
                if ok.contains(&len) {
                    assert!(r.is_ok());
                } else if len < 3 {
                    assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort);
                } else {
                    let reason = if matches!(nibble, 0 | 1 | 4 | 6) {
                        MptcpErrorReason::BadLength
                    } else {
                        MptcpErrorReason::BadIpVersion(nibble)
                    };
                    assert_eq!(
                        r.unwrap_err(),
                        MptcpError::new(3, len as u8, reason),
                        "nibble {nibble} len {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn unrepresentable() {
        let mut buf = [0u8; 40];
        let base = AddAddr {
            form: AddAddrForm::V0,
            addr_id: 0,
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: None,
            hmac: Some(1),
        };
        assert_eq!(base.emit(&mut buf), Err(EmitError::Unrepresentable));
        let echo = AddAddr {
            form: AddAddrForm::V1 { echo: true },
            ..base
        };
        assert_eq!(echo.emit(&mut buf), Err(EmitError::Unrepresentable));
        let no_hmac = AddAddr {
            form: AddAddrForm::V1 { echo: false },
            hmac: None,
            ..base
        };
        assert_eq!(no_hmac.emit(&mut buf), Err(EmitError::Unrepresentable));
        assert_eq!(no_hmac.buffer_len(), 0);
    }
}
