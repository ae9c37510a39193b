//! MP_CAPABLE (subtype 0): the first-subflow handshake option.
//!
//! Owns the grammar of MP_CAPABLE for both protocol versions, which the
//! option carries itself (low nibble of byte 2):
//!
//! | length | v1 (RFC 8684)                          | v0 (RFC 6824)        |
//! |-------:|----------------------------------------|----------------------|
//! | 4      | SYN, no key                            | rejected             |
//! | 12     | SYN/ACK, sender key                    | SYN and SYN/ACK, key |
//! | 20     | third ACK, both keys                   | third ACK, both keys |
//! | 22     | first data: both keys + data-level len | rejected             |
//! | 24     | same + DSS checksum                    | rejected             |
//!
//! Any other length is [`MptcpErrorReason::BadLength`]; a version other
//! than 0 or 1 is [`MptcpErrorReason::UnsupportedVersion`] (stricter than
//! Linux, which tolerates a higher version on a 4-byte SYN: a dissector
//! cannot know such a version's layout).
//!
//! It must not interpret the handshake (which packet a length belongs on,
//! whether the flags are acceptable): the flags byte is kept raw, and
//! reserved bits survive a parse/emit round trip.

use super::{be_at, subtype, EmitError, Header, MptcpError, MptcpErrorReason, Version, Writer};

/// An MP_CAPABLE option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpCapable {
    /// Protocol version (low nibble of byte 2).
    pub version: Version,
    /// The raw flags byte (A B C D E F G H), reserved bits included.
    pub flags: u8,
    /// Option sender's key (absent on a v1 SYN).
    pub sender_key: Option<u64>,
    /// Option receiver's key (third ACK and first data only).
    pub receiver_key: Option<u64>,
    /// Data-level length of the first data (v1, lengths 22 and 24).
    pub data_len: Option<u16>,
    /// DSS checksum of the first data (v1, length 24).
    pub checksum: Option<u16>,
}

/// The MP_CAPABLE validation rule, shared by [`MpCapable::parse`] and
/// [`MpCapableView::new_checked`] (and the view walk): the version nibble
/// must be 0 or 1, the length one of the table's for that version.
#[inline(always)]
pub(crate) fn check(h: &Header<'_>) -> Result<Version, MptcpError> {
    let version = match h.nibble {
        0 => Version::V0,
        1 => Version::V1,
        v => return Err(h.err(MptcpErrorReason::UnsupportedVersion(v))),
    };
    if !accepts_len(h.nibble, h.len) {
        return Err(h.bad_len());
    }
    Ok(version)
}

/// The lengths of [`check`]'s rule for version nibble `nibble` (none for a
/// version other than 0 or 1); also the view walk's length table
/// ([`super::lengths`]).
#[inline(always)]
pub(crate) const fn accepts_len(nibble: u8, len: u8) -> bool {
    match nibble {
        0 => matches!(len, 12 | 20),
        1 => matches!(len, 4 | 12 | 20 | 22 | 24),
        _ => false,
    }
}

impl MpCapable {
    /// Flag A: checksum required.
    pub const FLAG_CHECKSUM: u8 = 0x80;
    /// Flag B: extensibility.
    pub const FLAG_EXTENSIBILITY: u8 = 0x40;
    /// Flag C: do not establish extra subflows to this address (v1).
    pub const FLAG_NO_EXTRA_SUBFLOWS: u8 = 0x20;
    /// Flag H: HMAC-SHA1 (v0) / HMAC-SHA256 (v1).
    pub const FLAG_HMAC_SHA: u8 = 0x01;

    /// Parses a whole MP_CAPABLE option (kind, length, subtype/version, ...).
    #[inline]
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let h = Header::check_subtype(opt, subtype::MP_CAPABLE)?;
        let version = check(&h)?;
        let mut r = h.reader();
        let flags = r.u8()?;
        let sender_key = if h.len >= 12 { Some(r.u64()?) } else { None };
        let receiver_key = if h.len >= 20 { Some(r.u64()?) } else { None };
        let data_len = if h.len >= 22 { Some(r.u16()?) } else { None };
        let checksum = if h.len >= 24 { Some(r.u16()?) } else { None };
        Ok(MpCapable {
            version,
            flags,
            sender_key,
            receiver_key,
            data_len,
            checksum,
        })
    }

    /// Wire length implied by which fields are present, or `None` when the
    /// combination has no encoding (receiver key without sender key,
    /// checksum without data length, data length without both keys, a v0
    /// option without a key or with data length).
    fn wire_len(&self) -> Option<u8> {
        let len = match (
            self.sender_key.is_some(),
            self.receiver_key.is_some(),
            self.data_len.is_some(),
            self.checksum.is_some(),
        ) {
            (false, false, false, false) => 4,
            (true, false, false, false) => 12,
            (true, true, false, false) => 20,
            (true, true, true, false) => 22,
            (true, true, true, true) => 24,
            _ => return None,
        };
        match (self.version, len) {
            (Version::V0, 12 | 20) | (Version::V1, _) => Some(len),
            _ => None,
        }
    }

    /// Bytes [`MpCapable::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        self.wire_len().map_or(0, usize::from)
    }

    /// Writes the whole option; the length follows from the fields present.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let len = self.wire_len().ok_or(EmitError::Unrepresentable)?;
        let mut w = Writer::start(buf, len, subtype::MP_CAPABLE, self.version.number())?;
        w.u8(self.flags)?;
        for v in [self.sender_key, self.receiver_key].into_iter().flatten() {
            w.u64(v)?;
        }
        for v in [self.data_len, self.checksum].into_iter().flatten() {
            w.u16(v)?;
        }
        Ok(w.finish())
    }

    /// Flag A: the sender requires DSS checksums.
    pub const fn checksum_required(&self) -> bool {
        self.flags & Self::FLAG_CHECKSUM != 0
    }

    /// Flag B: extensibility (must be 0 in both versions).
    pub const fn extensibility(&self) -> bool {
        self.flags & Self::FLAG_EXTENSIBILITY != 0
    }

    /// Flag C: the sender will not accept extra subflows to its address
    /// (v1; reserved in v0).
    pub const fn no_extra_subflows(&self) -> bool {
        self.flags & Self::FLAG_NO_EXTRA_SUBFLOWS != 0
    }

    /// Flag H: HMAC-SHA1 (v0) or HMAC-SHA256 (v1) is used.
    pub const fn hmac_sha(&self) -> bool {
        self.flags & Self::FLAG_HMAC_SHA != 0
    }
}

/// A validated MP_CAPABLE option, read in place.
///
/// Accepts exactly what [`MpCapable::parse`] accepts (the same rule) and
/// every accessor equals the corresponding field of its result. The
/// fields present follow from the length (see the module docs' table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpCapableView<'a> {
    opt: &'a [u8],
}

impl<'a> MpCapableView<'a> {
    /// Validates a whole MP_CAPABLE option as [`MpCapable::parse`] does.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        check(&Header::check_subtype(opt, subtype::MP_CAPABLE)?)?;
        Ok(MpCapableView { opt })
    }

    /// A view of an option the caller has validated with [`check`].
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        MpCapableView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// Protocol version (low nibble of byte 2).
    #[inline]
    pub fn version(&self) -> Version {
        let [b] = be_at(self.opt, 2);
        if b & 0x0f == 1 {
            Version::V1
        } else {
            Version::V0
        }
    }

    /// The raw flags byte (byte 3).
    #[inline]
    pub fn flags(&self) -> u8 {
        let [b] = be_at(self.opt, 3);
        b
    }

    /// Option sender's key (lengths 12 and up).
    #[inline]
    pub fn sender_key(&self) -> Option<u64> {
        (self.opt.len() >= 12).then(|| u64::from_be_bytes(be_at(self.opt, 4)))
    }

    /// Option receiver's key (lengths 20 and up).
    #[inline]
    pub fn receiver_key(&self) -> Option<u64> {
        (self.opt.len() >= 20).then(|| u64::from_be_bytes(be_at(self.opt, 12)))
    }

    /// Data-level length of the first data (lengths 22 and 24).
    #[inline]
    pub fn data_len(&self) -> Option<u16> {
        (self.opt.len() >= 22).then(|| u16::from_be_bytes(be_at(self.opt, 20)))
    }

    /// DSS checksum of the first data (length 24).
    #[inline]
    pub fn checksum(&self) -> Option<u16> {
        (self.opt.len() >= 24).then(|| u16::from_be_bytes(be_at(self.opt, 22)))
    }

    /// The owned [`MpCapable`] (what [`MpCapable::parse`] returns).
    #[inline]
    pub fn decode(&self) -> MpCapable {
        MpCapable {
            version: self.version(),
            flags: self.flags(),
            sender_key: self.sender_key(),
            receiver_key: self.receiver_key(),
            data_len: self.data_len(),
            checksum: self.checksum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real bytes: v1 from the upstream-Linux ptcpdump capture, v0 from
    // tcpdump's mptcp-fclose.pcap (decoded "capable v0 flags [AH] csum").
    const V1_SYN: [u8; 4] = [0x1e, 0x04, 0x01, 0x01];
    const V1_SYNACK: [u8; 12] = [
        0x1e, 0x0c, 0x01, 0x01, 0xe3, 0x56, 0xa8, 0xf2, 0x52, 0xe4, 0x19, 0x76,
    ];
    const V1_ACK: [u8; 20] = [
        0x1e, 0x14, 0x01, 0x01, 0xfe, 0x7b, 0x93, 0xdc, 0x89, 0x4d, 0xcb, 0x73, 0xe3, 0x56, 0xa8,
        0xf2, 0x52, 0xe4, 0x19, 0x76,
    ];
    const V1_DATA: [u8; 22] = [
        0x1e, 0x16, 0x01, 0x01, 0xfe, 0x7b, 0x93, 0xdc, 0x89, 0x4d, 0xcb, 0x73, 0xe3, 0x56, 0xa8,
        0xf2, 0x52, 0xe4, 0x19, 0x76, 0x00, 0x05,
    ];
    // Hand-built from RFC 8684 Figure 4: A and H set, checksum 0xbeef.
    const V1_DATA_CSUM: [u8; 24] = [
        0x1e, 0x18, 0x01, 0x81, 0xfe, 0x7b, 0x93, 0xdc, 0x89, 0x4d, 0xcb, 0x73, 0xe3, 0x56, 0xa8,
        0xf2, 0x52, 0xe4, 0x19, 0x76, 0x00, 0x05, 0xbe, 0xef,
    ];
    const V0_SYN: [u8; 12] = [
        0x1e, 0x0c, 0x00, 0x81, 0x9b, 0x59, 0xbe, 0x3d, 0x69, 0x5e, 0x66, 0xa7,
    ];
    const V0_ACK: [u8; 20] = [
        0x1e, 0x14, 0x00, 0x81, 0x9b, 0x59, 0xbe, 0x3d, 0x69, 0x5e, 0x66, 0xa7, 0xd0, 0x05, 0xb1,
        0xab, 0x34, 0xba, 0xd3, 0x44,
    ];

    fn roundtrip(bytes: &[u8]) -> MpCapable {
        let c = MpCapable::parse(bytes).unwrap();
        let mut buf = [0u8; 40];
        let n = c.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], bytes);
        assert_eq!(c.buffer_len(), bytes.len());
        c
    }

    #[test]
    fn v1_forms() {
        let c = roundtrip(&V1_SYN);
        assert_eq!(c.version, Version::V1);
        assert_eq!(c.flags, 0x01);
        assert!(c.hmac_sha() && !c.checksum_required() && !c.extensibility());
        assert!(!c.no_extra_subflows());
        assert_eq!((c.sender_key, c.receiver_key), (None, None));

        let c = roundtrip(&V1_SYNACK);
        assert_eq!(c.sender_key, Some(0xe356_a8f2_52e4_1976));
        assert_eq!(c.receiver_key, None);

        let c = roundtrip(&V1_ACK);
        assert_eq!(c.sender_key, Some(0xfe7b_93dc_894d_cb73));
        assert_eq!(c.receiver_key, Some(0xe356_a8f2_52e4_1976));
        assert_eq!(c.data_len, None);

        let c = roundtrip(&V1_DATA);
        assert_eq!(c.data_len, Some(5));
        assert_eq!(c.checksum, None);

        let c = roundtrip(&V1_DATA_CSUM);
        assert!(c.checksum_required());
        assert_eq!(c.data_len, Some(5));
        assert_eq!(c.checksum, Some(0xbeef));
    }

    #[test]
    fn v0_forms() {
        let c = roundtrip(&V0_SYN);
        assert_eq!(c.version, Version::V0);
        assert_eq!(c.flags, 0x81);
        assert!(c.checksum_required() && c.hmac_sha());
        assert_eq!(c.sender_key, Some(0x9b59_be3d_695e_66a7));
        let c = roundtrip(&V0_ACK);
        assert_eq!(c.sender_key, Some(0x9b59_be3d_695e_66a7));
        assert_eq!(c.receiver_key, Some(0xd005_b1ab_34ba_d344));
    }

    #[test]
    fn every_length_per_version() {
        for (ver, allowed) in [(0u8, &[12usize, 20][..]), (1, &[4, 12, 20, 22, 24][..])] {
            for len in 0..=40usize {
                let mut b = [0u8; 40];
                b[..3.min(len)].copy_from_slice(&[30, len as u8, ver][..3.min(len)]);
                let r = MpCapable::parse(&b[..len]);
                if allowed.contains(&len) {
                    assert!(r.is_ok(), "v{ver} len {len}");
                } else if len < 3 {
                    assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort);
                } else {
                    assert_eq!(
                        r.unwrap_err(),
                        MptcpError::new(0, len as u8, MptcpErrorReason::BadLength),
                        "v{ver} len {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn unsupported_version() {
        for v in 2..=15u8 {
            let e = MpCapable::parse(&[30, 4, v, 1]).unwrap_err();
            assert_eq!(
                e,
                MptcpError::new(0, 4, MptcpErrorReason::UnsupportedVersion(v))
            );
        }
    }

    #[test]
    fn wrong_subtype() {
        let e = MpCapable::parse(&[30, 4, 0x21, 0]).unwrap_err();
        assert_eq!(e, MptcpError::new(2, 4, MptcpErrorReason::WrongSubtype));
    }

    #[test]
    fn unrepresentable() {
        let base = MpCapable::parse(&V1_DATA_CSUM).unwrap();
        let mut buf = [0u8; 40];
        for bad in [
            MpCapable {
                sender_key: None,
                ..base
            },
            MpCapable {
                receiver_key: None,
                ..base
            },
            MpCapable {
                data_len: None,
                ..base
            },
            MpCapable {
                version: Version::V0,
                ..base
            },
            MpCapable {
                version: Version::V0,
                checksum: None,
                ..base
            },
            MpCapable {
                version: Version::V0,
                sender_key: None,
                receiver_key: None,
                data_len: None,
                checksum: None,
                ..base
            },
        ] {
            assert_eq!(bad.emit(&mut buf), Err(EmitError::Unrepresentable));
            assert_eq!(bad.buffer_len(), 0);
        }
        assert_eq!(
            base.emit(&mut buf[..23]),
            Err(EmitError::BufferTooSmall {
                needed: 24,
                available: 23
            })
        );
    }
}
