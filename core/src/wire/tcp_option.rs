//! The TCP option iterator.
//!
//! This module owns the framing of the TCP options area (kind, length,
//! body) and the decoding of the classic options: EOL, NOP, MSS, window
//! scale, SACK-permitted, SACK, timestamps, TCP Fast Open, MD5 signature,
//! TCP-AO, the RFC 6994 experimental kinds 253/254 and MPTCP (kind 30, handed
//! whole to [`MptcpOption::parse`]).
//!
//! Three walks over the same framing, one validation:
//! * [`TcpOptions`] as an iterator: owned, decoded [`TcpOption`]s;
//! * [`TcpOptions::next_view`] / [`TcpOptions::views`]: zero-copy
//!   [`OptionView`]s, validated exactly as the decoding walk validates (same
//!   items, errors and end), fields read on access — MPTCP through the
//!   sub-option views of [`MptcpView`];
//! * [`TcpOptions::next_raw`]: framing only.
//!
//! Error policy (a bad option must not hide the good ones beside it):
//! * **structural** errors — the length byte is missing, below 2, or points
//!   past the end of the area — make the framing of everything after
//!   unknowable: the iterator yields the error and then ends;
//! * a **well-framed** option with a wrong length for its kind (MSS of
//!   length 5, say) or a malformed MPTCP sub-option yields an error and the
//!   iterator **continues** with the next option;
//! * EOL is yielded and ends the iteration.
//!
//! Each item consumes at least one byte or ends the iteration, so an area of
//! `n` bytes yields at most `n` items. [`TcpOptions::indexed`] pairs each
//! item with its offset in the options area; errors carry their own offset.
//!
//! It must not keep state across packets, allocate, or know what an option
//! means for the connection.

use core::fmt;

use super::mptcp::{self, be_at, MptcpError, MptcpOption, MptcpView};

/// TCP option kinds this crate names.
pub mod kind {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No operation.
    pub const NOP: u8 = 1;
    /// Maximum segment size.
    pub const MSS: u8 = 2;
    /// Window scale.
    pub const WINDOW_SCALE: u8 = 3;
    /// SACK permitted.
    pub const SACK_PERMITTED: u8 = 4;
    /// SACK.
    pub const SACK: u8 = 5;
    /// Timestamps.
    pub const TIMESTAMPS: u8 = 8;
    /// TCP MD5 signature (RFC 2385).
    pub const MD5: u8 = 19;
    /// TCP authentication option (RFC 5925).
    pub const TCP_AO: u8 = 29;
    /// Multipath TCP.
    pub const MPTCP: u8 = 30;
    /// TCP Fast Open (RFC 7413).
    pub const FAST_OPEN: u8 = 34;
    /// RFC 3692-style experiment 1 (RFC 6994 ExID).
    pub const EXPERIMENTAL_1: u8 = 253;
    /// RFC 3692-style experiment 2 (RFC 6994 ExID).
    pub const EXPERIMENTAL_2: u8 = 254;
}

/// Largest number of SACK blocks an option can hold (length 34).
pub const MAX_SACK_BLOCKS: usize = 4;
/// Largest TFO cookie (RFC 7413).
pub const MAX_TFO_COOKIE: usize = 16;
/// Smallest non-empty TFO cookie (RFC 7413).
pub const MIN_TFO_COOKIE: usize = 4;

/// The SACK blocks of a SACK option: 1 to 4 `(left, right)` edge pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SackBlocks<'a> {
    data: &'a [u8],
}

impl<'a> SackBlocks<'a> {
    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.data.len() / 8
    }

    /// Whether there is no block (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Block `i` as `(left edge, right edge)`.
    pub fn get(&self, i: usize) -> Option<(u32, u32)> {
        let at = i.checked_mul(8)?;
        match self.data.get(at..at.checked_add(8)?)? {
            &[a, b, c, d, e, f, g, h] => Some((
                u32::from_be_bytes([a, b, c, d]),
                u32::from_be_bytes([e, f, g, h]),
            )),
            _ => None,
        }
    }

    /// The blocks, in option order.
    pub fn iter(&self) -> SackIter<'a> {
        SackIter {
            blocks: *self,
            next: 0,
        }
    }

    /// The raw block bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }
}

impl<'a> IntoIterator for SackBlocks<'a> {
    type Item = (u32, u32);
    type IntoIter = SackIter<'a>;
    fn into_iter(self) -> SackIter<'a> {
        self.iter()
    }
}

/// Iterator over the `(left, right)` edges of [`SackBlocks`].
#[derive(Debug, Clone)]
pub struct SackIter<'a> {
    blocks: SackBlocks<'a>,
    next: usize,
}

impl Iterator for SackIter<'_> {
    type Item = (u32, u32);
    fn next(&mut self) -> Option<(u32, u32)> {
        let block = self.blocks.get(self.next)?;
        self.next = self.next.saturating_add(1);
        Some(block)
    }
}

/// One decoded TCP option.
///
/// `repr(C, u8)`: a tag byte, then every variant's fields from offset 8. With
/// Rust's default layout the small fields (window shift, MSS, TSval) sat at
/// offsets 1–7, and the iterator's merge of its decode paths copied that
/// 7-byte piece with two overlapping 4-byte loads that could not be
/// forwarded from the narrower stores that had just written it: a
/// store-forwarding stall on most options, a third of the decoding walk's
/// time in `perf annotate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(C, u8)]
pub enum TcpOption<'a> {
    /// End of option list (kind 0); the iterator ends after it.
    Eol,
    /// No operation (kind 1).
    Nop,
    /// Maximum segment size (kind 2, length 4).
    Mss(u16),
    /// Window scale shift count (kind 3, length 3), as sent (not clamped).
    WindowScale(u8),
    /// SACK permitted (kind 4, length 2).
    SackPermitted,
    /// SACK blocks (kind 5, length 2 + 8n, n in 1..=4).
    Sack(SackBlocks<'a>),
    /// Timestamps (kind 8, length 10).
    Timestamps {
        /// TSval.
        tsval: u32,
        /// TSecr.
        tsecr: u32,
    },
    /// TCP Fast Open (kind 34): an empty cookie is a cookie request.
    FastOpen {
        /// The cookie (0 or 4..=16 bytes, even).
        cookie: &'a [u8],
    },
    /// TCP MD5 signature (kind 19, length 18).
    Md5 {
        /// The 16-byte digest.
        digest: [u8; 16],
    },
    /// TCP-AO (kind 29, length ≥ 4).
    TcpAo {
        /// KeyID.
        key_id: u8,
        /// RNextKeyID.
        rnext_key_id: u8,
        /// The MAC.
        mac: &'a [u8],
    },
    /// Multipath TCP (kind 30).
    Mptcp(MptcpOption<'a>),
    /// RFC 6994 experimental option (kind 253 or 254, length ≥ 4).
    Experimental {
        /// 253 or 254.
        kind: u8,
        /// The 16-bit experiment identifier.
        exid: u16,
        /// The bytes after the ExID.
        data: &'a [u8],
    },
    /// Any other kind, its body kept raw.
    Unknown {
        /// Option kind.
        kind: u8,
        /// The bytes after kind and length.
        data: &'a [u8],
    },
}

impl TcpOption<'_> {
    /// The option kind.
    pub fn kind(&self) -> u8 {
        match self {
            TcpOption::Eol => kind::EOL,
            TcpOption::Nop => kind::NOP,
            TcpOption::Mss(_) => kind::MSS,
            TcpOption::WindowScale(_) => kind::WINDOW_SCALE,
            TcpOption::SackPermitted => kind::SACK_PERMITTED,
            TcpOption::Sack(_) => kind::SACK,
            TcpOption::Timestamps { .. } => kind::TIMESTAMPS,
            TcpOption::FastOpen { .. } => kind::FAST_OPEN,
            TcpOption::Md5 { .. } => kind::MD5,
            TcpOption::TcpAo { .. } => kind::TCP_AO,
            TcpOption::Mptcp(_) => kind::MPTCP,
            TcpOption::Experimental { kind, .. } | TcpOption::Unknown { kind, .. } => *kind,
        }
    }
}

/// Why an option was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OptionErrorReason {
    /// Structural: the area ends after the kind byte. Iteration ends.
    MissingLength,
    /// Structural: the length byte is below 2. Iteration ends.
    LengthTooSmall(u8),
    /// Structural: the length runs past the end of the area. Iteration ends.
    LengthBeyondEnd {
        /// The length byte.
        len: u8,
        /// Bytes left in the area from the option's kind byte.
        available: usize,
    },
    /// The option is well framed but its length is wrong for its kind.
    /// Iteration continues.
    BadLength(u8),
    /// A well-framed MPTCP option whose content is malformed. Iteration
    /// continues.
    Mptcp(MptcpError),
}

impl OptionErrorReason {
    /// Whether this error ends the iteration (the framing is lost).
    pub const fn is_structural(&self) -> bool {
        matches!(
            self,
            OptionErrorReason::MissingLength
                | OptionErrorReason::LengthTooSmall(_)
                | OptionErrorReason::LengthBeyondEnd { .. }
        )
    }
}

/// A malformed option: its kind, its offset in the options area, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OptionError {
    /// The option kind byte.
    pub kind: u8,
    /// Offset of the option's kind byte within the options area.
    pub offset: usize,
    /// What is wrong.
    pub reason: OptionErrorReason,
}

impl fmt::Display for OptionErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            OptionErrorReason::MissingLength => f.write_str("length byte missing"),
            OptionErrorReason::LengthTooSmall(len) => write!(f, "length {len} below 2"),
            OptionErrorReason::LengthBeyondEnd { len, available } => {
                write!(f, "length {len} beyond the {available} bytes left")
            }
            OptionErrorReason::BadLength(len) => write!(f, "bad length {len} for this kind"),
            OptionErrorReason::Mptcp(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tcp option kind {} at offset {}: {}",
            self.kind, self.offset, self.reason
        )
    }
}

fn be16(data: &[u8]) -> Option<u16> {
    match data {
        &[a, b] => Some(u16::from_be_bytes([a, b])),
        _ => None,
    }
}

fn be32(data: &[u8]) -> Option<u32> {
    match data {
        &[a, b, c, d] => Some(u32::from_be_bytes([a, b, c, d])),
        _ => None,
    }
}

/// Decodes one well-framed option. `opt` is the whole option (kind and
/// length bytes included, `opt.len()` equal to the length byte, ≥ 2).
///
/// Always inlined, like [`RawOption::decode`]: returned through memory from
/// a call, the option was reloaded with loads wider than the stores that
/// wrote it (another store-forwarding stall).
#[inline(always)]
fn decode(kind_byte: u8, opt: &[u8]) -> Result<TcpOption<'_>, OptionErrorReason> {
    match kind_byte {
        kind::MPTCP => MptcpOption::parse(opt)
            .map(TcpOption::Mptcp)
            .map_err(OptionErrorReason::Mptcp),
        _ => decode_classic(kind_byte, opt),
    }
}

/// The length rule of the classic options with kinds 0..=34, as a table:
/// bit `b` of entry `kind` is set when a body (the bytes after kind and
/// length) of `b` bytes is valid for that kind, bit 63 standing for every
/// length from 63 up. MSS 2, window scale 1, SACK-permitted 0, SACK 8n (n
/// in 1..=4), timestamps 8, TFO 0 or an even 4..=16, MD5 16, TCP-AO at
/// least 2; any other kind any length (EOL, NOP and MPTCP are never looked
/// up). 280 bytes: a table over all 256 kinds (2 KiB) would be on the
/// firmware's path too. The `classic_rule_against_restatement` test
/// restates the rule as a `match`.
// Indexing in a constant's initializer: out of bounds would not compile.
#[allow(clippy::indexing_slicing)]
const CLASSIC_BODY_OK: [u64; 35] = {
    let mut t = [u64::MAX; 35];
    t[kind::MSS as usize] = 1 << 2;
    t[kind::WINDOW_SCALE as usize] = 1 << 1;
    t[kind::SACK_PERMITTED as usize] = 1;
    t[kind::SACK as usize] = 1 << 8 | 1 << 16 | 1 << 24 | 1 << 32;
    t[kind::TIMESTAMPS as usize] = 1 << 8;
    t[kind::FAST_OPEN as usize] =
        1 | 1 << 4 | 1 << 6 | 1 << 8 | 1 << 10 | 1 << 12 | 1 << 14 | 1 << 16;
    t[kind::MD5 as usize] = 1 << 16;
    t[kind::TCP_AO as usize] = !3;
    t
};

/// The length rule of the classic options ([`CLASSIC_BODY_OK`], and the
/// experimental kinds 253 and 254: at least 2 bytes), shared by the
/// decoding walk ([`decode_classic`], which tests it first) and the view
/// walk ([`TcpOptions::next_view`]): whether a body of `body_len` bytes is
/// valid for `kind_byte`.
#[inline(always)]
pub(crate) fn classic_body_ok(kind_byte: u8, body_len: usize) -> bool {
    let bit = u32::try_from(body_len).map_or(63, |b| b.min(63));
    let mask = match CLASSIC_BODY_OK.get(usize::from(kind_byte)) {
        Some(&m) => m,
        None if matches!(kind_byte, kind::EXPERIMENTAL_1 | kind::EXPERIMENTAL_2) => !3,
        None => u64::MAX,
    };
    (mask >> bit) & 1 != 0
}

/// [`decode`] for every kind but MPTCP (which it would return as
/// [`TcpOption::Unknown`]).
///
/// Also the classic options' validation rule of the view walk
/// ([`TcpOptions::next_view`] keeps only whether it is `Ok`; inlined, the
/// field reads are dead code there): one rule for both walks.
#[inline(always)]
fn decode_classic(kind_byte: u8, opt: &[u8]) -> Result<TcpOption<'_>, OptionErrorReason> {
    let len = u8::try_from(opt.len()).unwrap_or(u8::MAX);
    let body = opt.get(2..).unwrap_or(&[]);
    let bad = OptionErrorReason::BadLength(len);
    if !classic_body_ok(kind_byte, body.len()) {
        return Err(bad);
    }
    match kind_byte {
        kind::MSS => be16(body).map(TcpOption::Mss).ok_or(bad),
        kind::WINDOW_SCALE => match body {
            &[shift] => Ok(TcpOption::WindowScale(shift)),
            _ => Err(bad),
        },
        kind::SACK_PERMITTED if body.is_empty() => Ok(TcpOption::SackPermitted),
        kind::SACK_PERMITTED => Err(bad),
        kind::SACK => {
            let n = body.len() / 8;
            if body.len() % 8 == 0 && (1..=MAX_SACK_BLOCKS).contains(&n) {
                Ok(TcpOption::Sack(SackBlocks { data: body }))
            } else {
                Err(bad)
            }
        }
        kind::TIMESTAMPS => match (body.get(..4), body.get(4..)) {
            (Some(a), Some(b)) if body.len() == 8 => Ok(TcpOption::Timestamps {
                tsval: be32(a).ok_or(bad)?,
                tsecr: be32(b).ok_or(bad)?,
            }),
            _ => Err(bad),
        },
        kind::FAST_OPEN => {
            let n = body.len();
            if n == 0 || ((MIN_TFO_COOKIE..=MAX_TFO_COOKIE).contains(&n) && n % 2 == 0) {
                Ok(TcpOption::FastOpen { cookie: body })
            } else {
                Err(bad)
            }
        }
        kind::MD5 => <[u8; 16]>::try_from(body)
            .map(|digest| TcpOption::Md5 { digest })
            .map_err(|_| bad),
        kind::TCP_AO => match body {
            &[key_id, rnext_key_id, ref mac @ ..] => Ok(TcpOption::TcpAo {
                key_id,
                rnext_key_id,
                mac,
            }),
            _ => Err(bad),
        },
        kind::EXPERIMENTAL_1 | kind::EXPERIMENTAL_2 => match body {
            &[a, b, ref data @ ..] => Ok(TcpOption::Experimental {
                kind: kind_byte,
                exid: u16::from_be_bytes([a, b]),
                data,
            }),
            _ => Err(bad),
        },
        _ => Ok(TcpOption::Unknown {
            kind: kind_byte,
            data: body,
        }),
    }
}

/// Iterator over the options area of a TCP header.
///
/// Yields `Result<TcpOption, OptionError>`; see the [module docs](self)
/// for when it continues after an error and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpOptions<'a> {
    data: &'a [u8],
    /// Offset of the next option; `data.len()` once the walk has ended
    /// (after EOL, a structural error or the last option): there is no
    /// separate "done" flag to test on every step.
    pos: usize,
}

impl<'a> TcpOptions<'a> {
    /// Iterates over `options` (the bytes after the 20-byte TCP header, up
    /// to the data offset).
    pub const fn new(options: &'a [u8]) -> Self {
        TcpOptions {
            data: options,
            pos: 0,
        }
    }

    /// Iterates over `options` from offset `pos` on, as if the options
    /// before it had been read (`pos` must be where one of them ends; past
    /// the end, the walk is over). For a caller that recognised a prefix
    /// itself.
    pub(crate) const fn resume_at(options: &'a [u8], pos: usize) -> Self {
        TcpOptions {
            data: options,
            pos: if pos < options.len() {
                pos
            } else {
                options.len()
            },
        }
    }

    /// Offset within the options area of the next option to be read (the
    /// area's length once exhausted).
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// Pairs each item with the offset of its kind byte in the options area.
    pub fn indexed(self) -> IndexedOptions<'a> {
        IndexedOptions { inner: self }
    }
}

/// One framed option, not decoded: what [`TcpOptions::next_raw`] yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// The kind byte.
    pub kind: u8,
    /// The whole option: kind and length bytes included (one byte for EOL
    /// and NOP), `bytes.len()` equal to the length byte otherwise.
    pub bytes: &'a [u8],
    /// Offset of the kind byte within the options area.
    pub offset: usize,
}

impl<'a> RawOption<'a> {
    /// Decodes the option as [`TcpOptions`]' `next` does (an error carries
    /// this option's kind and offset).
    #[inline(always)]
    pub fn decode(&self) -> Result<TcpOption<'a>, OptionError> {
        match self.kind {
            kind::EOL => Ok(TcpOption::Eol),
            kind::NOP => Ok(TcpOption::Nop),
            k => decode(k, self.bytes).map_err(|reason| OptionError {
                kind: k,
                offset: self.offset,
                reason,
            }),
        }
    }
}

impl<'a> TcpOptions<'a> {
    /// The next option, framed but not decoded: the same sequence as the
    /// iterator's, with the same structural errors and the same end (after
    /// EOL or a structural error). For callers that decode only the kinds
    /// they need (the dissector's hot path); [`RawOption::decode`] gives
    /// what `next` would have.
    #[inline]
    pub fn next_raw(&mut self) -> Option<Result<RawOption<'a>, OptionError>> {
        let start = self.pos;
        let rest = self.data.get(start..)?;
        let &kind_byte = rest.first()?;
        let single = |bytes| RawOption {
            kind: kind_byte,
            bytes,
            offset: start,
        };
        match kind_byte {
            kind::EOL => {
                self.pos = self.data.len();
                Some(Ok(single(rest.get(..1).unwrap_or(&[]))))
            }
            kind::NOP => {
                self.pos = start.wrapping_add(1);
                Some(Ok(single(rest.get(..1).unwrap_or(&[]))))
            }
            _ => Some(self.frame(kind_byte, start, rest).map(|opt| RawOption {
                kind: kind_byte,
                bytes: opt,
                offset: start,
            })),
        }
    }

    /// Frames the option of kind `kind_byte` (neither EOL nor NOP) at
    /// `start`, `rest` being the area from `start` on: the whole option,
    /// the position moved past it; or a structural error, the walk ended.
    #[inline(always)]
    fn frame(
        &mut self,
        kind_byte: u8,
        start: usize,
        rest: &'a [u8],
    ) -> Result<&'a [u8], OptionError> {
        let err = |reason| OptionError {
            kind: kind_byte,
            offset: start,
            reason,
        };
        let reason = match rest.get(1) {
            None => OptionErrorReason::MissingLength,
            Some(&len) if len < 2 => OptionErrorReason::LengthTooSmall(len),
            Some(&len) => match rest.get(..usize::from(len)) {
                Some(opt) => {
                    self.pos = start.wrapping_add(usize::from(len));
                    return Ok(opt);
                }
                None => OptionErrorReason::LengthBeyondEnd {
                    len,
                    available: rest.len(),
                },
            },
        };
        self.pos = self.data.len();
        Err(err(reason))
    }

    /// The iterator's step for an option of any kind but EOL, NOP and
    /// MPTCP at `start` (`rest`: the area from `start` on). Inlined like
    /// the rest of `next`: a call here returns its 64-byte result through
    /// memory, and with that one path merging through memory the whole
    /// result was copied with loads wider than its stores on every option
    /// (a store-forwarding stall: the walk took three times as long).
    #[inline(always)]
    fn next_classic(
        &mut self,
        kind_byte: u8,
        start: usize,
        rest: &'a [u8],
    ) -> Result<TcpOption<'a>, OptionError> {
        let opt = self.frame(kind_byte, start, rest)?;
        decode_classic(kind_byte, opt).map_err(|reason| OptionError {
            kind: kind_byte,
            offset: start,
            reason,
        })
    }
}

/// One validated TCP option, read in place: what
/// [`TcpOptions::next_view`] yields.
///
/// Small (the option's bytes, its offset, its kind and, for MPTCP, its
/// subtype); the walk that yields it applies exactly the owned walk's
/// validation, so for every area the views and errors come in the same
/// sequence as [`TcpOptions`]' items, and [`OptionView::decode`] equals the
/// owned item. Fields are read on access: [`OptionView::mss`] and its
/// siblings for the classic options, [`OptionView::mptcp`] for the MPTCP
/// sub-option views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OptionView<'a> {
    bytes: &'a [u8],
    offset: usize,
    kind: u8,
    /// The MPTCP subtype (0 for other kinds).
    subtype: u8,
}

impl<'a> OptionView<'a> {
    /// The kind byte.
    #[inline]
    pub const fn kind(&self) -> u8 {
        self.kind
    }

    /// The whole option: kind and length bytes included (one byte for EOL
    /// and NOP).
    #[inline]
    pub const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Offset of the kind byte within the options area.
    #[inline]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The bytes after kind and length (empty for EOL and NOP).
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.bytes.get(2..).unwrap_or(&[])
    }

    /// The MPTCP subtype, for an MPTCP option.
    #[inline]
    pub const fn mptcp_subtype(&self) -> Option<u8> {
        if self.kind == kind::MPTCP {
            Some(self.subtype)
        } else {
            None
        }
    }

    /// The MPTCP sub-option's view, for an MPTCP option.
    #[inline]
    pub const fn mptcp(&self) -> Option<MptcpView<'a>> {
        if self.kind == kind::MPTCP {
            Some(MptcpView::new_unchecked(self.bytes, self.subtype))
        } else {
            None
        }
    }

    /// The MSS, for an MSS option.
    #[inline]
    pub fn mss(&self) -> Option<u16> {
        (self.kind == kind::MSS).then(|| u16::from_be_bytes(be_at(self.bytes, 2)))
    }

    /// The shift count as sent, for a window scale option.
    #[inline]
    pub fn window_scale(&self) -> Option<u8> {
        let [shift] = be_at(self.bytes, 2);
        (self.kind == kind::WINDOW_SCALE).then_some(shift)
    }

    /// `(TSval, TSecr)`, for a timestamps option.
    #[inline]
    pub fn timestamps(&self) -> Option<(u32, u32)> {
        (self.kind == kind::TIMESTAMPS).then(|| {
            (
                u32::from_be_bytes(be_at(self.bytes, 2)),
                u32::from_be_bytes(be_at(self.bytes, 6)),
            )
        })
    }

    /// The blocks, for a SACK option.
    #[inline]
    pub fn sack(&self) -> Option<SackBlocks<'a>> {
        (self.kind == kind::SACK).then(|| SackBlocks { data: self.data() })
    }

    /// The owned option, as [`TcpOptions`]' `next` returns it: built from
    /// the views (the MPTCP sub-option views' `decode`, the classic
    /// fields read without further checks). Never an error for a view the
    /// walk yielded; a `Result` so that no path can panic.
    #[inline]
    pub fn decode(&self) -> Result<TcpOption<'a>, OptionError> {
        match self.kind {
            kind::EOL => Ok(TcpOption::Eol),
            kind::NOP => Ok(TcpOption::Nop),
            kind::MPTCP => Ok(TcpOption::Mptcp(
                MptcpView::new_unchecked(self.bytes, self.subtype).decode(),
            )),
            k => decode_classic(k, self.bytes).map_err(|reason| OptionError {
                kind: k,
                offset: self.offset,
                reason,
            }),
        }
    }
}

impl<'a> TcpOptions<'a> {
    /// The next option as a validated view: the same sequence of options
    /// and errors as the iterator's `next` (the same validation: framing,
    /// the classic options' length table, and each MPTCP sub-option's own rule, which its
    /// `parse` applies too), the same end, but no field read and nothing
    /// built beyond a 32-byte view.
    #[inline(always)]
    pub fn next_view(&mut self) -> Option<Result<OptionView<'a>, OptionError>> {
        let start = self.pos;
        let rest = self.data.get(start..)?;
        let &kind_byte = rest.first()?;
        let view = |bytes, subtype| OptionView {
            bytes,
            offset: start,
            kind: kind_byte,
            subtype,
        };
        // The two kinds of (almost) every Linux segment first, each with a
        // constant step: the next option's position then depends on a
        // branch the CPU predicts, not on the length byte's load (the walk
        // is bound by that chain of loads otherwise).
        match kind_byte {
            kind::NOP => {
                self.pos = start.wrapping_add(1);
                return Some(Ok(view(rest.get(..1).unwrap_or(&[]), 0)));
            }
            kind::TIMESTAMPS => {
                if let Some(opt @ [_, 10, ..]) = rest.get(..10) {
                    self.pos = start.wrapping_add(10);
                    return Some(Ok(view(opt, 0)));
                }
            }
            kind::EOL => {
                // EOL ends the walk.
                self.pos = self.data.len();
                return Some(Ok(view(rest.get(..1).unwrap_or(&[]), 0)));
            }
            _ => {}
        }
        // Framing, as `frame` does (its structural errors out of line).
        let Some(opt) = rest
            .get(1)
            .filter(|&&len| len >= 2)
            .and_then(|&len| rest.get(..usize::from(len)))
        else {
            self.pos = self.data.len();
            return Some(Err(structural(kind_byte, start, rest)));
        };
        let len = u8::try_from(opt.len()).unwrap_or(u8::MAX);
        self.pos = start.wrapping_add(usize::from(len));
        let err = |reason| OptionError {
            kind: kind_byte,
            offset: start,
            reason,
        };
        Some(if kind_byte == kind::MPTCP {
            match mptcp::validate_framed(opt) {
                Ok(st) => Ok(view(opt, st)),
                Err(e) => Err(err(OptionErrorReason::Mptcp(e))),
            }
        } else if classic_body_ok(kind_byte, usize::from(len).wrapping_sub(2)) {
            Ok(view(opt, 0))
        } else {
            Err(err(OptionErrorReason::BadLength(len)))
        })
    }

    /// The view walk as an iterator ([`TcpOptions::next_view`]).
    pub fn views(self) -> OptionViews<'a> {
        OptionViews { inner: self }
    }
}

/// The structural error of the option of kind `kind_byte` at `start` that
/// [`TcpOptions::next_view`] could not frame (`rest`: the area from `start`
/// on): `frame`'s, from a scratch walk over `rest`. Out of line and taking
/// no `&mut` walk, so that the view walk's position stays in a register.
#[cold]
#[inline(never)]
fn structural(kind_byte: u8, start: usize, rest: &[u8]) -> OptionError {
    let mut probe = TcpOptions::new(rest);
    match probe.frame(kind_byte, 0, rest) {
        Err(e) => OptionError { offset: start, ..e },
        // Not reached: called only for an option `frame` cannot frame.
        Ok(_) => OptionError {
            kind: kind_byte,
            offset: start,
            reason: OptionErrorReason::MissingLength,
        },
    }
}

/// Iterator over the [`OptionView`]s of an options area: see
/// [`TcpOptions::next_view`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionViews<'a> {
    inner: TcpOptions<'a>,
}

impl<'a> OptionViews<'a> {
    /// Offset within the options area of the next option to be read.
    pub const fn position(&self) -> usize {
        self.inner.position()
    }
}

impl<'a> Iterator for OptionViews<'a> {
    type Item = Result<OptionView<'a>, OptionError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next_view()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl core::iter::FusedIterator for OptionViews<'_> {}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = Result<TcpOption<'a>, OptionError>;

    /// One dispatch on the kind byte (where `next_raw` followed by
    /// [`RawOption::decode`] tested EOL and NOP, then dispatched again on
    /// the kind), each arm framing and decoding its own kind: NOP, and a
    /// timestamps option that is exactly `8, 10` and its eight data bytes,
    /// with a single bounds test; MPTCP framed and handed to
    /// [`MptcpOption::parse`]; every other kind (and any other timestamps
    /// option) framed and decoded by the classic decoder. The same items
    /// and errors as [`TcpOptions::next_raw`] followed by
    /// [`RawOption::decode`]; the fuzz oracle checks that they agree.
    ///
    /// Always inlined: returned through memory, the option was reloaded
    /// with loads wider than the stores that wrote it.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let rest = self.data.get(start..)?;
        let &kind_byte = rest.first()?;
        let err = |reason| OptionError {
            kind: kind_byte,
            offset: start,
            reason,
        };
        Some(match kind_byte {
            kind::NOP => {
                self.pos = start.wrapping_add(1);
                Ok(TcpOption::Nop)
            }
            kind::TIMESTAMPS => match rest.first_chunk::<10>() {
                Some(&[_, 10, a0, a1, a2, a3, b0, b1, b2, b3]) => {
                    self.pos = start.wrapping_add(10);
                    Ok(TcpOption::Timestamps {
                        tsval: u32::from_be_bytes([a0, a1, a2, a3]),
                        tsecr: u32::from_be_bytes([b0, b1, b2, b3]),
                    })
                }
                _ => self.next_classic(kind_byte, start, rest),
            },
            kind::MPTCP => match self.frame(kind_byte, start, rest) {
                Ok(opt) => match MptcpOption::parse(opt) {
                    Ok(m) => Ok(TcpOption::Mptcp(m)),
                    Err(e) => Err(err(OptionErrorReason::Mptcp(e))),
                },
                Err(e) => Err(e),
            },
            kind::EOL => {
                self.pos = self.data.len();
                Ok(TcpOption::Eol)
            }
            _ => self.next_classic(kind_byte, start, rest),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.data.len().saturating_sub(self.pos)))
    }
}

impl core::iter::FusedIterator for TcpOptions<'_> {}

/// [`TcpOptions`] with the offset of each item in the options area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedOptions<'a> {
    inner: TcpOptions<'a>,
}

impl<'a> Iterator for IndexedOptions<'a> {
    type Item = (usize, Result<TcpOption<'a>, OptionError>);

    fn next(&mut self) -> Option<Self::Item> {
        let offset = self.inner.position();
        self.inner.next().map(|item| (offset, item))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl core::iter::FusedIterator for IndexedOptions<'_> {}
