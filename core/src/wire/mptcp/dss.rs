//! DSS (subtype 2): data sequence signal — data ACK and data mapping.
//!
//! Owns the DSS grammar (identical in v0 and v1). The flags byte (byte 3)
//! is `reserved(3) F m M a A`; the length must be exactly
//!
//! ```text
//! 4 + (A ? (a ? 8 : 4) : 0) + (M ? (m ? 8 : 4) + 4 + 2 : 0)   [+ 2 if M]
//! ```
//!
//! where the optional final 2 bytes are the DSS checksum (present only when
//! checksums were negotiated, which this stateless layer cannot know, so
//! both sizes are accepted as Linux does). Every other length is
//! [`MptcpErrorReason::BadLength`](super::MptcpErrorReason::BadLength).
//! Like Linux, `a` without `A` and `m` without `M` do not change the
//! length; the raw flags byte is kept. Unlike Linux, which accepts "+2"
//! even without `M` and ignores those two bytes, a checksum is only
//! accepted after a mapping: without `M` there is no field to hold it, and
//! dropping bytes would break the byte-identical round trip.
//!
//! It must not validate the checksum or interpret the mapping (an infinite
//! mapping, data-level length 0, is a valid value here); that is the
//! analysis layer's job.

use super::{be_at, subtype, EmitError, Header, MptcpError, Writer};

/// A data-level acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DataAck {
    /// The acknowledged data sequence number (32 or 64 bits on the wire).
    pub value: u64,
    /// `true` when carried in 8 bytes (flag `a`).
    pub wide: bool,
}

/// A data sequence mapping.
///
/// `repr(C)`, small fields first and the DSN last (as [`Dss`] is
/// `repr(C)`): laid out this way the decoding option walk's result is
/// stored in fewer, wider pieces (callgrind: 501.7 K → 470.1 K
/// instructions per pass of the `options/all` bench).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(C)]
pub struct DssMapping {
    /// Subflow sequence number, relative to the subflow's initial sequence.
    pub ssn: u32,
    /// Data-level length (0 = infinite mapping).
    pub data_len: u16,
    /// DSS checksum, when present.
    pub checksum: Option<u16>,
    /// `true` when the DSN is carried in 8 bytes (flag `m`).
    pub dsn_wide: bool,
    /// Data sequence number (32 or 64 bits on the wire).
    pub dsn: u64,
}

/// A DSS option.
///
/// `repr(C)` in declaration order: see [`DssMapping`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(C)]
pub struct Dss {
    /// The raw flags byte (byte 3), reserved bits included.
    pub flags: u8,
    /// Low nibble of byte 2 (reserved; kept for round trips).
    pub reserved: u8,
    /// Data ACK (flag `A`).
    pub data_ack: Option<DataAck>,
    /// Data sequence mapping (flag `M`).
    pub mapping: Option<DssMapping>,
}

/// The length of a DSS option without checksum, by the low nibble of its
/// flags byte (`m M a A`): `4 + (A ? (a ? 8 : 4) : 0) + (M ? (m ? 14 : 10) :
/// 0)` (one table read instead of a dozen bit operations; the
/// `every_length_every_flag_combination` test checks it against the rule).
const EXPECTED_LEN: [u8; 16] = [4, 8, 4, 12, 14, 18, 14, 22, 4, 8, 4, 12, 18, 22, 18, 26];

/// [`EXPECTED_LEN`] for a flags byte.
#[inline(always)]
const fn expected_len(flags: u8) -> u8 {
    match EXPECTED_LEN.split_at_checked((flags & 0x0f) as usize) {
        Some((_, [e, ..])) => *e,
        _ => 0,
    }
}

/// Whether a DSS option of length `len` with flags byte `flags` ends with a
/// checksum: a mapping (`M`) and two bytes more than [`EXPECTED_LEN`] says.
#[inline(always)]
const fn has_checksum(flags: u8, len: u8) -> bool {
    let expected = expected_len(flags);
    (flags & Dss::FLAG_MAP != 0) & (len == expected.wrapping_add(2))
}

/// The lengths of [`check`]'s rule for flags byte `flags`: [`EXPECTED_LEN`],
/// or two more with a mapping. Also the view walk's length table
/// ([`super::lengths`]).
#[inline(always)]
pub(crate) const fn accepts_len(flags: u8, len: u8) -> bool {
    (len == expected_len(flags)) | has_checksum(flags, len)
}

/// The DSS validation rule, shared by [`Dss::parse`] and
/// [`DssView::new_checked`] (and the view walk): the flags byte must be
/// there and the length must be [`EXPECTED_LEN`] for its flags, or two more
/// with a mapping (the checksum). Returns the flags byte and whether the
/// checksum is present.
#[inline(always)]
pub(crate) fn check(h: &Header<'_>) -> Result<(u8, bool), MptcpError> {
    let Some(&flags) = h.body.first() else {
        return Err(h.bad_len());
    };
    if !accepts_len(flags, h.len) {
        return Err(h.bad_len());
    }
    Ok((flags, has_checksum(flags, h.len)))
}

impl Dss {
    /// Flag F: DATA_FIN.
    pub const FLAG_DATA_FIN: u8 = 0x10;
    /// Flag m: the DSN is 8 bytes.
    pub const FLAG_DSN64: u8 = 0x08;
    /// Flag M: a mapping is present.
    pub const FLAG_MAP: u8 = 0x04;
    /// Flag a: the data ACK is 8 bytes.
    pub const FLAG_ACK64: u8 = 0x02;
    /// Flag A: a data ACK is present.
    pub const FLAG_ACK: u8 = 0x01;

    /// Parses a whole DSS option.
    ///
    /// Branch-light, as every DSS form is common on the wire: the expected
    /// length comes from a table indexed by the flag bits, is checked with
    /// one test (checksum or not), and the fields are then taken from three
    /// 8-byte big-endian reads at offsets computed from the flags, each in
    /// bounds for every accepted length of 8 or more:
    /// * the data ACK from bytes 4..12 (64-bit) or the low half of bytes
    ///   0..8 (32-bit);
    /// * the mapping from the end of the option: the last 8 bytes hold the
    ///   subflow sequence number, the data-level length and the checksum
    ///   (shifted by 16 bits when there is no checksum); the DSN is in the
    ///   8 bytes that end 6 bytes (8 with a checksum) before the end (its
    ///   low half when 32-bit).
    ///
    /// An absent field's read is done anyway and discarded. Only options
    /// shorter than 8 bytes (length 4: no ACK, no mapping) take a separate
    /// path. The compiler still branches on the mapping's presence (flag
    /// `M`) to build the `Option`; `core::hint::select_unpredictable` would
    /// remove that branch but needs Rust 1.88 (the MSRV is 1.85), and did
    /// not change the measured walk time.
    #[inline]
    pub fn parse(opt: &[u8]) -> Result<Self, MptcpError> {
        let h = Header::check_subtype(opt, subtype::DSS)?;
        let (flags, has_csum) = check(&h)?;
        let a = flags & Self::FLAG_ACK;
        let a64 = (flags >> 1) & a;
        let m = (flags >> 2) & 1;
        let m64 = (flags >> 3) & m;
        let len = opt.len();
        let be64 = |at: usize| {
            opt.get(at..)
                .and_then(<[u8]>::first_chunk::<8>)
                .map(|b| u64::from_be_bytes(*b))
        };
        // With len >= 8 (every form but the bare length 4) all three reads
        // succeed: `len - 14 - csum` saturates to 0 only when there is no
        // mapping, whose DSN read is then discarded.
        let csum = usize::from(has_csum) << 1;
        let reads = (
            be64(usize::from(a64) << 2),
            be64(len.saturating_sub(csum.wrapping_add(14))),
            be64(len.wrapping_sub(8)),
        );
        let (Some(ack), Some(dsn), Some(tail)) = reads else {
            return Ok(Dss {
                flags,
                reserved: h.nibble,
                data_ack: None,
                mapping: None,
            });
        };
        let low32 = |v: u64, wide: u8| v & (u64::from(wide).wrapping_neg() | 0xffff_ffff);
        // ssn, data_len, checksum (or ssn, data_len) at the end.
        let tail = tail.wrapping_shl(if has_csum { 0 } else { 16 });
        Ok(Dss {
            flags,
            reserved: h.nibble,
            data_ack: (a != 0).then_some(DataAck {
                value: low32(ack, a64),
                wide: a64 != 0,
            }),
            mapping: (m != 0).then_some(DssMapping {
                dsn: low32(dsn, m64),
                dsn_wide: m64 != 0,
                ssn: (tail >> 32) as u32,
                data_len: (tail >> 16) as u16,
                checksum: has_csum.then_some(tail as u16),
            }),
        })
    }

    /// The flags byte [`Dss::emit`] writes: `A`, `M` from the presence of
    /// the ACK and the mapping, `a`, `m` from their widths (or from `flags`
    /// when that part is absent), `F` and the reserved bits from `flags`.
    pub const fn wire_flags(&self) -> u8 {
        let mut f = self.flags & !(Self::FLAG_ACK | Self::FLAG_MAP);
        if let Some(a) = self.data_ack {
            f = (f & !Self::FLAG_ACK64) | Self::FLAG_ACK;
            if a.wide {
                f |= Self::FLAG_ACK64;
            }
        }
        if let Some(m) = self.mapping {
            f = (f & !Self::FLAG_DSN64) | Self::FLAG_MAP;
            if m.dsn_wide {
                f |= Self::FLAG_DSN64;
            }
        }
        f
    }

    /// Wire length, or `None` if a 32-bit field holds a value above
    /// `u32::MAX` or `reserved` does not fit in a nibble.
    fn wire_len(&self) -> Option<u8> {
        let mut len = 4u8;
        if self.reserved > 0x0f {
            return None;
        }
        if let Some(a) = self.data_ack {
            if !a.wide && a.value > u64::from(u32::MAX) {
                return None;
            }
            len = len.wrapping_add(if a.wide { 8 } else { 4 }); // at most 28 in all
        }
        if let Some(m) = self.mapping {
            if !m.dsn_wide && m.dsn > u64::from(u32::MAX) {
                return None;
            }
            len = len.wrapping_add(if m.dsn_wide { 14 } else { 10 });
            if m.checksum.is_some() {
                len = len.wrapping_add(2);
            }
        }
        Some(len)
    }

    /// Bytes [`Dss::emit`] writes (0 if the value is unrepresentable).
    pub fn buffer_len(&self) -> usize {
        self.wire_len().map_or(0, usize::from)
    }

    /// Writes the whole option with the flags byte of [`Dss::wire_flags`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let len = self.wire_len().ok_or(EmitError::Unrepresentable)?;
        let mut w = Writer::start(buf, len, subtype::DSS, self.reserved)?;
        w.u8(self.wire_flags())?;
        if let Some(a) = self.data_ack {
            if a.wide {
                w.u64(a.value)?;
            } else {
                w.u32(u32::try_from(a.value).map_err(|_| EmitError::Unrepresentable)?)?;
            }
        }
        if let Some(m) = self.mapping {
            if m.dsn_wide {
                w.u64(m.dsn)?;
            } else {
                w.u32(u32::try_from(m.dsn).map_err(|_| EmitError::Unrepresentable)?)?;
            }
            w.u32(m.ssn)?;
            w.u16(m.data_len)?;
            if let Some(c) = m.checksum {
                w.u16(c)?;
            }
        }
        Ok(w.finish())
    }

    /// Flag F: DATA_FIN.
    pub const fn data_fin(&self) -> bool {
        self.flags & Self::FLAG_DATA_FIN != 0
    }
}

/// `v`, or its low 32 bits when `wide` is 0.
#[inline(always)]
fn low32(v: u64, wide: u8) -> u64 {
    v & (u64::from(wide).wrapping_neg() | 0xffff_ffff)
}

/// A validated DSS option, read in place: each accessor reads its field
/// from the option's bytes at an offset computed from the flags byte.
///
/// Accepts exactly the options [`Dss::parse`] accepts (the same rule,
/// one function both call), and every accessor equals the corresponding field of
/// `Dss::parse`'s result (tests: every flags byte × length 0–40, proptest,
/// the fuzz oracle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DssView<'a> {
    opt: &'a [u8],
}

impl<'a> DssView<'a> {
    /// Validates a whole DSS option as [`Dss::parse`] does (same errors).
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        check(&Header::check_subtype(opt, subtype::DSS)?)?;
        Ok(DssView { opt })
    }

    /// A view of an option the caller has validated with [`check`].
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8]) -> Self {
        DssView { opt }
    }

    /// The whole option, kind and length bytes included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.opt
    }

    /// The raw flags byte (byte 3), reserved bits included.
    #[inline]
    pub fn flags(&self) -> u8 {
        let [b] = be_at(self.opt, 3);
        b
    }

    /// Low nibble of byte 2 (reserved).
    #[inline]
    pub fn reserved(&self) -> u8 {
        let [b] = be_at(self.opt, 2);
        b & 0x0f
    }

    /// Flag F: DATA_FIN.
    #[inline]
    pub fn data_fin(&self) -> bool {
        self.flags() & Dss::FLAG_DATA_FIN != 0
    }

    /// The option's length (its length byte, once validated).
    #[inline(always)]
    fn len(&self) -> usize {
        self.opt.len()
    }

    /// The 8 bytes at `at`, big-endian (0 if not all there).
    #[inline(always)]
    fn window(&self, at: usize) -> u64 {
        u64::from_be_bytes(be_at(self.opt, at))
    }

    /// Whether the option ends with a checksum (the rule's test).
    #[inline(always)]
    fn csum(&self) -> bool {
        has_checksum(self.flags(), u8::try_from(self.len()).unwrap_or(u8::MAX))
    }

    /// The last 8 bytes, shifted so that the subflow sequence number is
    /// the high 32 bits, the data-level length the next 16 and the
    /// checksum (when present) the low 16: the windows of [`Dss::parse`].
    #[inline(always)]
    fn tail(&self) -> u64 {
        let t = self.window(self.len().wrapping_sub(8));
        if self.csum() {
            t
        } else {
            t << 16
        }
    }

    /// The data ACK (flag `A`), with its width (flag `a`): the 8 bytes
    /// from offset 4 when 64-bit, else the low half of bytes 0..8.
    #[inline]
    pub fn data_ack(&self) -> Option<DataAck> {
        let f = self.flags();
        let a = f & Dss::FLAG_ACK;
        let a64 = (f >> 1) & a;
        if a == 0 {
            return None;
        }
        let v = self.window(usize::from(a64) << 2);
        Some(DataAck {
            value: low32(v, a64),
            wide: a64 != 0,
        })
    }

    /// Whether a mapping is present (flag `M`).
    #[inline]
    pub fn has_mapping(&self) -> bool {
        self.flags() & Dss::FLAG_MAP != 0
    }

    /// Whether the DSN is carried in 8 bytes (flag `m` with `M`; `false`
    /// without a mapping).
    #[inline]
    pub fn dsn_wide(&self) -> bool {
        let f = self.flags();
        (f >> 3) & (f >> 2) & 1 != 0
    }

    /// The mapping's data sequence number (32 or 64 bits on the wire, see
    /// [`DssView::dsn_wide`]): the 8 bytes ending 6 bytes (8 with a
    /// checksum) before the end, or their low half.
    #[inline]
    pub fn dsn(&self) -> Option<u64> {
        if !self.has_mapping() {
            return None;
        }
        let back = if self.csum() { 16 } else { 14 };
        let v = self.window(self.len().wrapping_sub(back));
        Some(low32(v, u8::from(self.dsn_wide())))
    }

    /// The mapping's subflow sequence number.
    #[inline]
    pub fn ssn(&self) -> Option<u32> {
        self.has_mapping().then(|| (self.tail() >> 32) as u32)
    }

    /// The mapping's data-level length (0 = infinite mapping).
    #[inline]
    pub fn data_len(&self) -> Option<u16> {
        self.has_mapping().then(|| (self.tail() >> 16) as u16)
    }

    /// The DSS checksum, when the option carries one.
    #[inline]
    pub fn checksum(&self) -> Option<u16> {
        self.csum().then(|| self.tail() as u16)
    }

    /// The mapping, all its fields read.
    #[inline]
    pub fn mapping(&self) -> Option<DssMapping> {
        Some(DssMapping {
            ssn: self.ssn()?,
            data_len: self.data_len()?,
            checksum: self.checksum(),
            dsn_wide: self.dsn_wide(),
            dsn: self.dsn()?,
        })
    }

    /// The owned [`Dss`] (what [`Dss::parse`] returns for these bytes).
    #[inline]
    pub fn decode(&self) -> Dss {
        Dss {
            flags: self.flags(),
            reserved: self.reserved(),
            data_ack: self.data_ack(),
            mapping: self.mapping(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::MptcpErrorReason;
    use super::*;

    fn roundtrip(bytes: &[u8]) -> Dss {
        let d = Dss::parse(bytes).unwrap();
        let mut buf = [0u8; 40];
        let n = d.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], bytes);
        assert_eq!(d.buffer_len(), n);
        assert_eq!(d.wire_flags(), d.flags);
        d
    }

    fn ack(value: u64, wide: bool) -> Option<DataAck> {
        Some(DataAck { value, wide })
    }

    #[test]
    fn real_captures() {
        // ptcpdump_mptcp.pcap (upstream Linux v1): "dss ack" 32-bit.
        let d = roundtrip(&[0x1e, 0x08, 0x20, 0x01, 0xab, 0x76, 0x59, 0x99]);
        assert_eq!(d.data_ack, ack(0xab76_5999, false));
        assert_eq!(d.mapping, None);
        assert!(!d.data_fin());
        // 64-bit ack.
        let d = roundtrip(&[
            0x1e, 0x0c, 0x20, 0x03, 0x36, 0x02, 0xa5, 0x7d, 0x9b, 0x36, 0x46, 0xa0,
        ]);
        assert_eq!(d.data_ack, ack(0x3602_a57d_9b36_46a0, true));
        // tcpdump mptcp-fclose.pcap: "dss ack 3386645601 seq 2976985014
        // subseq 1 len 1 csum 0x9e91" (v0, checksums on).
        let d = roundtrip(&[
            0x1e, 0x14, 0x20, 0x05, 0xc9, 0xdc, 0x1c, 0x61, 0xb1, 0x71, 0x2f, 0xb6, 0x00, 0x00,
            0x00, 0x01, 0x00, 0x01, 0x9e, 0x91,
        ]);
        assert_eq!(d.data_ack, ack(3_386_645_601, false));
        assert_eq!(
            d.mapping,
            Some(DssMapping {
                dsn: 2_976_985_014,
                dsn_wide: false,
                ssn: 1,
                data_len: 1,
                checksum: Some(0x9e91)
            })
        );
        // tcpdump mptcp-v0.pcap: DATA_FIN with a 32-bit mapping + checksum.
        let d = roundtrip(&[
            0x1e, 0x14, 0x20, 0x15, 0xd1, 0xb9, 0x96, 0x01, 0xd5, 0x2a, 0xd2, 0xcb, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x01, 0x0a, 0x51,
        ]);
        assert!(d.data_fin());
        assert_eq!(d.mapping.unwrap().ssn, 0);
        assert_eq!(d.mapping.unwrap().checksum, Some(0x0a51));
        // ptcpdump: 32-bit ack, 64-bit DSN, no checksum (length 22).
        let d = roundtrip(&[
            0x1e, 0x16, 0x20, 0x0d, 0xab, 0x76, 0x59, 0x98, 0x36, 0x02, 0xa5, 0x7d, 0x9b, 0x36,
            0x46, 0xa0, 0x00, 0x00, 0x00, 0x06, 0x00, 0x04,
        ]);
        assert_eq!(d.data_ack, ack(0xab76_5998, false));
        assert_eq!(
            d.mapping,
            Some(DssMapping {
                dsn: 0x3602_a57d_9b36_46a0,
                dsn_wide: true,
                ssn: 6,
                data_len: 4,
                checksum: None
            })
        );
        // ptcpdump: same with DATA_FIN.
        let d = roundtrip(&[
            0x1e, 0x16, 0x20, 0x1d, 0xab, 0x76, 0x59, 0x98, 0x36, 0x02, 0xa5, 0x7d, 0x9b, 0x36,
            0x46, 0xa4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        ]);
        assert!(d.data_fin());
        // tcpdump mptcp-aa-v1.pcap: "dss ack 17186763219675866581 seq
        // 12148165319181844526 subseq 1 len 16" (length 26).
        let d = roundtrip(&[
            0x1e, 0x1a, 0x20, 0x0f, 0xee, 0x83, 0xa6, 0x16, 0xc3, 0x87, 0x65, 0xd5, 0xa8, 0x96,
            0xf3, 0xfe, 0x7a, 0x8d, 0xc0, 0x2e, 0x00, 0x00, 0x00, 0x01, 0x00, 0x10,
        ]);
        assert_eq!(d.data_ack, ack(17_186_763_219_675_866_581, true));
        let m = d.mapping.unwrap();
        assert_eq!(
            (m.dsn, m.ssn, m.data_len),
            (12_148_165_319_181_844_526, 1, 16)
        );
    }

    #[test]
    fn hand_built_forms() {
        // Bare DSS (no flags), length 4.
        let d = roundtrip(&[30, 4, 0x20, 0x00]);
        assert_eq!((d.data_ack, d.mapping), (None, None));
        // DATA_FIN alone.
        assert!(roundtrip(&[30, 4, 0x20, 0x10]).data_fin());
        // `a` without `A` and `m` without `M`: length 4, flags kept.
        let d = roundtrip(&[30, 4, 0x20, 0x0a]);
        assert_eq!((d.flags, d.data_ack, d.mapping), (0x0a, None, None));
        // Reserved bits in byte 2 and byte 3 are kept.
        let d = roundtrip(&[30, 8, 0x2f, 0xe1, 0, 0, 0, 1]);
        assert_eq!((d.reserved, d.flags), (0xf, 0xe1));
        // Mapping only, 32-bit DSN: length 14; with checksum 16.
        let d = roundtrip(&[30, 14, 0x20, 0x04, 0, 0, 0, 9, 0, 0, 0, 2, 0, 3]);
        let m = d.mapping.unwrap();
        assert_eq!(
            (m.dsn, m.dsn_wide, m.ssn, m.data_len, m.checksum),
            (9, false, 2, 3, None)
        );
        let d = roundtrip(&[30, 16, 0x20, 0x04, 0, 0, 0, 9, 0, 0, 0, 2, 0, 3, 0xab, 0xcd]);
        assert_eq!(d.mapping.unwrap().checksum, Some(0xabcd));
        // Mapping only, 64-bit DSN: 18; checksum: 20.
        let d = roundtrip(&[30, 18, 0x20, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 0, 3]);
        assert_eq!(d.mapping.unwrap().dsn, 0x0102_0304_0506_0708);
        roundtrip(&[
            30, 20, 0x20, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 0, 3, 0, 1,
        ]);
        // Infinite mapping (data_len 0), 64-bit ack and DSN, checksum: 28.
        let d = roundtrip(&[
            30, 28, 0x20, 0x0f, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
            0x12, 0x34,
        ]);
        let m = d.mapping.unwrap();
        assert_eq!(
            (m.dsn, m.ssn, m.data_len, m.checksum),
            (2, 0, 0, Some(0x1234))
        );
        // 64-bit ack, 32-bit mapping: 22; ack32 + map32 no csum: 18.
        roundtrip(&[
            30, 22, 0x20, 0x07, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 4,
        ]);
        roundtrip(&[30, 18, 0x20, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 4]);
    }

    /// The allowed lengths for a flags byte, computed from the RFC table.
    fn allowed(flags: u8) -> [usize; 2] {
        let ack = match flags & 3 {
            1 => 4,
            3 => 8,
            _ => 0,
        };
        let map = match flags & 0x0c {
            0x04 => 10,
            0x0c => 14,
            _ => 0,
        };
        let base = 4 + ack + map;
        [base, if map > 0 { base + 2 } else { base }]
    }

    /// The field-by-field reading `Dss::parse` had before it read three
    /// 8-byte windows at computed offsets: a cursor over the body, each
    /// field read only when its flag says it is there.
    fn parse_reference(opt: &[u8]) -> Result<Dss, MptcpError> {
        let h = Header::check_subtype(opt, subtype::DSS)?;
        let mut r = h.reader();
        let flags = r.u8()?;
        let (has_ack, ack64) = (flags & 1 != 0, flags & 2 != 0);
        let (has_map, dsn64) = (flags & 4 != 0, flags & 8 != 0);
        let mut expected = 4u8;
        if has_ack {
            expected += if ack64 { 8 } else { 4 };
        }
        if has_map {
            expected += if dsn64 { 14 } else { 10 };
        }
        let has_csum = if h.len == expected {
            false
        } else if has_map && h.len == expected + 2 {
            true
        } else {
            return Err(h.bad_len());
        };
        let data_ack = if has_ack {
            let value = if ack64 { r.u64()? } else { u64::from(r.u32()?) };
            Some(DataAck { value, wide: ack64 })
        } else {
            None
        };
        let mapping = if has_map {
            let dsn = if dsn64 { r.u64()? } else { u64::from(r.u32()?) };
            Some(DssMapping {
                dsn,
                dsn_wide: dsn64,
                ssn: r.u32()?,
                data_len: r.u16()?,
                checksum: if has_csum { Some(r.u16()?) } else { None },
            })
        } else {
            None
        };
        Ok(Dss {
            flags,
            reserved: h.nibble,
            data_ack,
            mapping,
        })
    }

    /// The windowed reads of `Dss::parse` against the field-by-field
    /// reference: every flags byte, every length up to 40, every reserved
    /// nibble, distinct bytes in every field position.
    #[test]
    fn windowed_reads_match_field_reads() {
        let mut b = [0u8; 40];
        for (i, x) in b.iter_mut().enumerate() {
            *x = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        for nibble in [0u8, 0x5, 0xf] {
            for flags in 0..=255u8 {
                for len in 0..=40usize {
                    b[..4].copy_from_slice(&[30, len as u8, 0x20 | nibble, flags]);
                    let opt = &b[..len];
                    assert_eq!(
                        Dss::parse(opt),
                        parse_reference(opt),
                        "flags {flags:#x} len {len} nibble {nibble}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_length_every_flag_combination() {
        for flags in 0..=0x1fu8 {
            let ok = allowed(flags);
            for len in 0..=40usize {
                let mut b = [0u8; 40];
                b[..4.min(len)].copy_from_slice(&[30, len as u8, 0x20, flags][..4.min(len)]);
                let r = Dss::parse(&b[..len]);
                if ok.contains(&len) {
                    assert!(r.is_ok(), "flags {flags:#x} len {len}");
                } else if len < 3 {
                    assert_eq!(r.unwrap_err().reason, MptcpErrorReason::TooShort);
                } else {
                    assert_eq!(
                        r.unwrap_err(),
                        MptcpError::new(2, len as u8, MptcpErrorReason::BadLength),
                        "flags {flags:#x} len {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn malformed_capture() {
        // tcpdump mptcp-dss-oobr.pcap: "mptcp 3 dss[bad opt]".
        assert_eq!(
            Dss::parse(&[0x1e, 0x03, 0x20]).unwrap_err(),
            MptcpError::new(2, 3, MptcpErrorReason::BadLength)
        );
    }

    #[test]
    fn emit_sets_flags_from_fields() {
        let d = Dss {
            flags: 0x10 | 0x0f,
            reserved: 0,
            data_ack: ack(5, false),
            mapping: None,
        };
        let mut buf = [0u8; 40];
        let n = d.emit(&mut buf).unwrap();
        // a cleared (ack is 32-bit), M cleared, m kept (no mapping).
        assert_eq!(&buf[..n], &[30, 8, 0x20, 0x19, 0, 0, 0, 5]);
    }

    #[test]
    fn unrepresentable() {
        let mut buf = [0u8; 40];
        let big = u64::from(u32::MAX) + 1;
        let d = Dss {
            flags: 0,
            reserved: 0,
            data_ack: ack(big, false),
            mapping: None,
        };
        assert_eq!(d.emit(&mut buf), Err(EmitError::Unrepresentable));
        assert_eq!(d.buffer_len(), 0);
        let d = Dss {
            flags: 0,
            reserved: 0,
            data_ack: None,
            mapping: Some(DssMapping {
                dsn: big,
                dsn_wide: false,
                ssn: 0,
                data_len: 0,
                checksum: None,
            }),
        };
        assert_eq!(d.emit(&mut buf), Err(EmitError::Unrepresentable));
        let d = Dss {
            flags: 0,
            reserved: 0x10,
            data_ack: None,
            mapping: None,
        };
        assert_eq!(d.emit(&mut buf), Err(EmitError::Unrepresentable));
    }
}
