//! MPTCP (TCP option kind 30) sub-options, one file per sub-option.
//!
//! This module owns the grammar of every sub-option of RFC 6824 (v0) and
//! RFC 8684 (v1), with the length rules of the Linux kernel
//! (`net/mptcp/options.c`). Each sub-option type has
//! `parse(option) -> Result<Self, MptcpError>` over the **whole** option
//! (kind byte, length byte, subtype nibble, body) and
//! `emit(buf) -> Result<usize, EmitError>` writing the same bytes back.
//!
//! Round trips: every parser keeps reserved bits (in `flags`/`reserved`
//! fields), so `emit(parse(bytes)) == bytes` for every accepted input. In
//! the other direction `emit` either fails with
//! [`EmitError::Unrepresentable`] (and `buffer_len` is then 0) or writes
//! bytes that parse back to the same value — except that DSS derives its
//! `A a M m` flag bits from the fields present (see [`Dss::wire_flags`]).
//!
//! It must not keep state: where a sub-option's layout depends on the
//! protocol version and the option itself does not carry it (ADD_ADDR), the
//! version is inferred from the bytes as documented on that type.

pub mod add_addr;
pub mod capable;
pub mod dss;
pub mod experimental;
pub mod fail;
pub mod fastclose;
pub mod join;
mod lengths;
pub mod prio;
pub mod remove_addr;
pub mod tcprst;

pub use add_addr::{AddAddr, AddAddrForm, AddAddrView};
pub use capable::{MpCapable, MpCapableView};
pub use dss::{DataAck, Dss, DssMapping, DssView};
pub use experimental::MpExperimental;
pub use fail::{MpFail, MpFailView};
pub use fastclose::{MpFastclose, MpFastcloseView};
pub use join::{MpJoin, MpJoinForm, MpJoinView};
pub use prio::{MpPrio, MpPrioView};
pub use remove_addr::{RemoveAddr, RemoveAddrView};
pub use tcprst::{MpTcpRst, MpTcpRstView, TcpRstReason};

/// TCP option kind assigned to Multipath TCP.
pub const KIND_MPTCP: u8 = 30;

/// MPTCP protocol version, as carried in MP_CAPABLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Version {
    /// RFC 6824 (MPTCP v0).
    V0,
    /// RFC 8684 (MPTCP v1).
    V1,
}

impl Version {
    /// The version number as carried on the wire.
    pub const fn number(self) -> u8 {
        match self {
            Version::V0 => 0,
            Version::V1 => 1,
        }
    }
}

/// Sub-option subtype numbers (IANA "MPTCP Option Subtypes").
pub mod subtype {
    /// MP_CAPABLE.
    pub const MP_CAPABLE: u8 = 0x0;
    /// MP_JOIN.
    pub const MP_JOIN: u8 = 0x1;
    /// DSS (data sequence signal).
    pub const DSS: u8 = 0x2;
    /// ADD_ADDR.
    pub const ADD_ADDR: u8 = 0x3;
    /// REMOVE_ADDR.
    pub const REMOVE_ADDR: u8 = 0x4;
    /// MP_PRIO.
    pub const MP_PRIO: u8 = 0x5;
    /// MP_FAIL.
    pub const MP_FAIL: u8 = 0x6;
    /// MP_FASTCLOSE.
    pub const MP_FASTCLOSE: u8 = 0x7;
    /// MP_TCPRST (v1 only).
    pub const MP_TCPRST: u8 = 0x8;
    /// MP_EXPERIMENTAL (private use).
    pub const MP_EXPERIMENTAL: u8 = 0xf;
}

/// Why an MPTCP sub-option was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MptcpErrorReason {
    /// Fewer than the 3 bytes (kind, length, subtype) every sub-option needs.
    TooShort,
    /// The length byte does not equal the number of bytes given.
    LengthMismatch,
    /// The length is not one the sub-option allows (for its version).
    BadLength,
    /// MP_CAPABLE carries a version this crate does not know.
    UnsupportedVersion(u8),
    /// ADD_ADDR: the low nibble of the subtype byte is neither a v0 IPVer
    /// (4 or 6) nor a v1 flag nibble (0, or 1 = echo).
    BadIpVersion(u8),
    /// The first byte is not option kind 30.
    NotMptcp(u8),
    /// A sub-option type's `parse` was given an option of another subtype
    /// (the error's `subtype` field holds the subtype found).
    WrongSubtype,
}

/// A malformed MPTCP sub-option: which subtype, how long, and why.
///
/// Aligned to 8 bytes (size 8 instead of 4): inside
/// `Result<MptcpOption, MptcpError>` the error then sits at offset 8, after
/// the tag, instead of at offset 1 where the decoding walk's merge of its
/// MPTCP paths stored the tag and the error separately and reloaded them
/// as two overlapping 4-byte words (a store-forwarding stall, 15 % of the
/// walk's samples in `perf annotate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(align(8))]
pub struct MptcpError {
    /// Subtype nibble (0 when the option was too short to hold one).
    pub subtype: u8,
    /// The option's length byte (or the bytes available, if shorter).
    pub len: u8,
    /// What is wrong.
    pub reason: MptcpErrorReason,
}

/// Why a sub-option could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EmitError {
    /// The output buffer is smaller than [`MptcpOption::buffer_len`].
    BufferTooSmall {
        /// Bytes the option needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The value cannot be represented on the wire (e.g. a 32-bit DSN
    /// larger than `u32::MAX`, an empty or over-long REMOVE_ADDR list, an
    /// ADD_ADDR v0 form with an HMAC).
    Unrepresentable,
}

/// One decoded MPTCP sub-option.
///
/// `repr(C, u8)`, as [`TcpOption`](crate::wire::tcp_option::TcpOption): the
/// sub-option's struct starts at offset 8, laid out as it is on its own, so
/// building the enum from a sub-parser's result copies aligned words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(C, u8)]
pub enum MptcpOption<'a> {
    /// MP_CAPABLE.
    Capable(MpCapable),
    /// MP_JOIN (SYN, SYN/ACK or ACK form).
    Join(MpJoin),
    /// DSS.
    Dss(Dss),
    /// ADD_ADDR (v0 or v1 form).
    AddAddr(AddAddr),
    /// REMOVE_ADDR.
    RemoveAddr(RemoveAddr<'a>),
    /// MP_PRIO.
    Prio(MpPrio),
    /// MP_FAIL.
    Fail(MpFail),
    /// MP_FASTCLOSE.
    Fastclose(MpFastclose),
    /// MP_TCPRST.
    TcpRst(MpTcpRst),
    /// MP_EXPERIMENTAL.
    Experimental(MpExperimental<'a>),
    /// A subtype this crate does not know (9..=14), kept as raw bytes.
    Unknown {
        /// Subtype nibble.
        subtype: u8,
        /// The whole option, kind and length bytes included.
        raw: &'a [u8],
    },
}

/// The name of a subtype number, as used in error messages and traces
/// (`"MP_CAPABLE"`, `"DSS"`, ..., `"UNKNOWN"` for 9..=14 and anything larger).
pub const fn subtype_name(subtype: u8) -> &'static str {
    match subtype {
        subtype::MP_CAPABLE => "MP_CAPABLE",
        subtype::MP_JOIN => "MP_JOIN",
        subtype::DSS => "DSS",
        subtype::ADD_ADDR => "ADD_ADDR",
        subtype::REMOVE_ADDR => "REMOVE_ADDR",
        subtype::MP_PRIO => "MP_PRIO",
        subtype::MP_FAIL => "MP_FAIL",
        subtype::MP_FASTCLOSE => "MP_FASTCLOSE",
        subtype::MP_TCPRST => "MP_TCPRST",
        subtype::MP_EXPERIMENTAL => "MP_EXPERIMENTAL",
        _ => "UNKNOWN",
    }
}

impl MptcpError {
    /// An error for `subtype` with length `len` and `reason`.
    pub const fn new(subtype: u8, len: u8, reason: MptcpErrorReason) -> Self {
        MptcpError {
            subtype,
            len,
            reason,
        }
    }
}

impl core::fmt::Display for MptcpErrorReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            MptcpErrorReason::TooShort => f.write_str("too short"),
            MptcpErrorReason::LengthMismatch => {
                f.write_str("length byte does not match the option size")
            }
            MptcpErrorReason::BadLength => f.write_str("bad length"),
            MptcpErrorReason::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            MptcpErrorReason::BadIpVersion(v) => write!(f, "bad IP version/flags nibble {v}"),
            MptcpErrorReason::NotMptcp(k) => write!(f, "not an MPTCP option (kind {k})"),
            MptcpErrorReason::WrongSubtype => f.write_str("wrong subtype for this parser"),
        }
    }
}

impl core::fmt::Display for MptcpError {
    /// `MPTCP subtype 2 (DSS), length 9: bad length`.
    /// An option too short to hold a subtype says so instead of naming one.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.reason == MptcpErrorReason::TooShort {
            return write!(f, "MPTCP option, length {}: {}", self.len, self.reason);
        }
        write!(
            f,
            "MPTCP subtype {} ({}), length {}: {}",
            self.subtype,
            subtype_name(self.subtype),
            self.len,
            self.reason
        )
    }
}

impl core::fmt::Display for EmitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            EmitError::BufferTooSmall { needed, available } => {
                write!(f, "buffer too small: need {needed} bytes, have {available}")
            }
            EmitError::Unrepresentable => f.write_str("value cannot be represented on the wire"),
        }
    }
}

/// The validated first three bytes of a sub-option, shared by every parser.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header<'a> {
    /// Subtype nibble (high nibble of byte 2).
    pub(crate) subtype: u8,
    /// The length byte (equal to the option's size).
    pub(crate) len: u8,
    /// Low nibble of byte 2.
    pub(crate) nibble: u8,
    /// Everything after byte 2.
    pub(crate) body: &'a [u8],
}

impl<'a> Header<'a> {
    /// Checks kind 30, at least 3 bytes and length byte == `opt.len()`.
    #[inline]
    pub(crate) fn check(opt: &'a [u8]) -> Result<Self, MptcpError> {
        let avail = u8::try_from(opt.len()).unwrap_or(u8::MAX);
        let Some((&[kind, len, b2], body)) = opt.split_first_chunk::<3>() else {
            let reason = match opt.first() {
                Some(&k) if k != KIND_MPTCP => MptcpErrorReason::NotMptcp(k),
                _ => MptcpErrorReason::TooShort,
            };
            return Err(MptcpError::new(0, avail, reason));
        };
        let subtype = b2 >> 4;
        if kind != KIND_MPTCP {
            return Err(MptcpError::new(
                subtype,
                len,
                MptcpErrorReason::NotMptcp(kind),
            ));
        }
        if usize::from(len) != opt.len() {
            return Err(MptcpError::new(
                subtype,
                len,
                MptcpErrorReason::LengthMismatch,
            ));
        }
        Ok(Header {
            subtype,
            len,
            nibble: b2 & 0x0f,
            body,
        })
    }

    /// Like [`Header::check`], and the subtype must be `expected`.
    #[inline]
    pub(crate) fn check_subtype(opt: &'a [u8], expected: u8) -> Result<Self, MptcpError> {
        let h = Self::check(opt)?;
        if h.subtype != expected {
            return Err(h.err(MptcpErrorReason::WrongSubtype));
        }
        Ok(h)
    }

    /// An error about this option.
    pub(crate) const fn err(&self, reason: MptcpErrorReason) -> MptcpError {
        MptcpError::new(self.subtype, self.len, reason)
    }

    /// A [`MptcpErrorReason::BadLength`] error about this option.
    pub(crate) const fn bad_len(&self) -> MptcpError {
        self.err(MptcpErrorReason::BadLength)
    }

    /// A reader over the body, whose reads fail with `BadLength`.
    pub(crate) const fn reader(&self) -> Reader<'a> {
        Reader {
            rest: self.body,
            err: self.bad_len(),
        }
    }
}

/// Big-endian cursor over an already length-checked body. A read past the
/// end (impossible once the length was validated) is a `BadLength` error,
/// never a panic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    err: MptcpError,
}

// The readers are inlined: each returns a small `Result` that, through
// memory, was reloaded wider than it was stored (a store-forwarding stall
// in every sub-option parser).
impl<'a> Reader<'a> {
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], MptcpError> {
        let (head, rest) = self.rest.split_first_chunk::<N>().ok_or(self.err)?;
        self.rest = rest;
        Ok(*head)
    }
    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, MptcpError> {
        self.array::<1>().map(|[b]| b)
    }
    #[inline]
    pub(crate) fn u16(&mut self) -> Result<u16, MptcpError> {
        self.array().map(u16::from_be_bytes)
    }
    #[inline]
    pub(crate) fn u32(&mut self) -> Result<u32, MptcpError> {
        self.array().map(u32::from_be_bytes)
    }
    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64, MptcpError> {
        self.array().map(u64::from_be_bytes)
    }
}

/// The `N` bytes at offset `at` of a validated option, for the views'
/// accessors. Zeros if they are not all there, which validation excludes
/// (an accessor never panics, whatever bytes its view was given).
#[inline(always)]
pub(crate) fn be_at<const N: usize>(opt: &[u8], at: usize) -> [u8; N] {
    match opt.get(at..).and_then(<[u8]>::first_chunk::<N>) {
        Some(b) => *b,
        None => [0; N],
    }
}

/// Cursor writing a sub-option into a caller buffer. Created with the
/// total size checked, so writes cannot run out; if one did it would be a
/// `BufferTooSmall` error, never a panic.
#[derive(Debug)]
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    /// Checks `buf` holds `len` bytes and writes kind, length and the
    /// subtype byte (`subtype << 4 | nibble`).
    pub(crate) fn start(
        buf: &'b mut [u8],
        len: u8,
        subtype: u8,
        nibble: u8,
    ) -> Result<Self, EmitError> {
        let needed = usize::from(len);
        if buf.len() < needed {
            return Err(EmitError::BufferTooSmall {
                needed,
                available: buf.len(),
            });
        }
        let mut w = Writer { buf, pos: 0 };
        w.bytes(&[KIND_MPTCP, len, (subtype << 4) | (nibble & 0x0f)])?;
        Ok(w)
    }
    pub(crate) fn bytes(&mut self, src: &[u8]) -> Result<(), EmitError> {
        let end = self.pos.saturating_add(src.len());
        let available = self.buf.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(EmitError::BufferTooSmall {
                needed: end,
                available,
            })?;
        dst.copy_from_slice(src);
        self.pos = end;
        Ok(())
    }
    pub(crate) fn u8(&mut self, v: u8) -> Result<(), EmitError> {
        self.bytes(&[v])
    }
    pub(crate) fn u16(&mut self, v: u16) -> Result<(), EmitError> {
        self.bytes(&v.to_be_bytes())
    }
    pub(crate) fn u32(&mut self, v: u32) -> Result<(), EmitError> {
        self.bytes(&v.to_be_bytes())
    }
    pub(crate) fn u64(&mut self, v: u64) -> Result<(), EmitError> {
        self.bytes(&v.to_be_bytes())
    }
    /// Bytes written so far.
    pub(crate) const fn finish(self) -> usize {
        self.pos
    }
}

/// Copies an already-encoded option into `buf` (MP_EXPERIMENTAL, unknown).
pub(crate) fn emit_raw(raw: &[u8], buf: &mut [u8]) -> Result<usize, EmitError> {
    let available = buf.len();
    let dst = buf.get_mut(..raw.len()).ok_or(EmitError::BufferTooSmall {
        needed: raw.len(),
        available,
    })?;
    dst.copy_from_slice(raw);
    Ok(raw.len())
}

impl<'a> MptcpOption<'a> {
    /// Parses one whole MPTCP option (kind 30, length, subtype, body).
    ///
    /// Checks kind == 30 ([`MptcpErrorReason::NotMptcp`]), at least 3 bytes
    /// ([`MptcpErrorReason::TooShort`]) and length byte == `opt.len()`
    /// ([`MptcpErrorReason::LengthMismatch`]), then hands the option to the
    /// sub-option's own parser. Subtypes 9..=14 are returned as
    /// [`MptcpOption::Unknown`].
    #[inline]
    pub fn parse(opt: &'a [u8]) -> Result<MptcpOption<'a>, MptcpError> {
        let h = Header::check(opt)?;
        Ok(match h.subtype {
            subtype::MP_CAPABLE => MptcpOption::Capable(MpCapable::parse(opt)?),
            subtype::MP_JOIN => MptcpOption::Join(MpJoin::parse(opt)?),
            subtype::DSS => MptcpOption::Dss(Dss::parse(opt)?),
            subtype::ADD_ADDR => MptcpOption::AddAddr(AddAddr::parse(opt)?),
            subtype::REMOVE_ADDR => MptcpOption::RemoveAddr(RemoveAddr::parse(opt)?),
            subtype::MP_PRIO => MptcpOption::Prio(MpPrio::parse(opt)?),
            subtype::MP_FAIL => MptcpOption::Fail(MpFail::parse(opt)?),
            subtype::MP_FASTCLOSE => MptcpOption::Fastclose(MpFastclose::parse(opt)?),
            subtype::MP_TCPRST => MptcpOption::TcpRst(MpTcpRst::parse(opt)?),
            subtype::MP_EXPERIMENTAL => MptcpOption::Experimental(MpExperimental::parse(opt)?),
            st => MptcpOption::Unknown {
                subtype: st,
                raw: opt,
            },
        })
    }

    /// The subtype number of this option.
    pub const fn subtype(&self) -> u8 {
        match self {
            MptcpOption::Capable(_) => subtype::MP_CAPABLE,
            MptcpOption::Join(_) => subtype::MP_JOIN,
            MptcpOption::Dss(_) => subtype::DSS,
            MptcpOption::AddAddr(_) => subtype::ADD_ADDR,
            MptcpOption::RemoveAddr(_) => subtype::REMOVE_ADDR,
            MptcpOption::Prio(_) => subtype::MP_PRIO,
            MptcpOption::Fail(_) => subtype::MP_FAIL,
            MptcpOption::Fastclose(_) => subtype::MP_FASTCLOSE,
            MptcpOption::TcpRst(_) => subtype::MP_TCPRST,
            MptcpOption::Experimental(_) => subtype::MP_EXPERIMENTAL,
            MptcpOption::Unknown { subtype, .. } => *subtype,
        }
    }

    /// The sub-option's name: `"MP_CAPABLE"`, `"MP_JOIN"`, `"DSS"`,
    /// `"ADD_ADDR"`, `"REMOVE_ADDR"`, `"MP_PRIO"`, `"MP_FAIL"`,
    /// `"MP_FASTCLOSE"`, `"MP_TCPRST"`, `"MP_EXPERIMENTAL"` or `"UNKNOWN"`.
    pub const fn name(&self) -> &'static str {
        match self {
            MptcpOption::Unknown { .. } => "UNKNOWN",
            _ => subtype_name(self.subtype()),
        }
    }

    /// Bytes [`MptcpOption::emit`] writes (0 if the value cannot be
    /// represented on the wire, see each type's `buffer_len`).
    pub fn buffer_len(&self) -> usize {
        match self {
            MptcpOption::Capable(o) => o.buffer_len(),
            MptcpOption::Join(o) => o.buffer_len(),
            MptcpOption::Dss(o) => o.buffer_len(),
            MptcpOption::AddAddr(o) => o.buffer_len(),
            MptcpOption::RemoveAddr(o) => o.buffer_len(),
            MptcpOption::Prio(o) => o.buffer_len(),
            MptcpOption::Fail(o) => o.buffer_len(),
            MptcpOption::Fastclose(o) => o.buffer_len(),
            MptcpOption::TcpRst(o) => o.buffer_len(),
            MptcpOption::Experimental(o) => o.buffer_len(),
            MptcpOption::Unknown { subtype, raw } => {
                if Self::unknown_ok(*subtype, raw) {
                    raw.len()
                } else {
                    0
                }
            }
        }
    }

    /// Whether `raw` is a well-framed option of unknown subtype `subtype`.
    fn unknown_ok(subtype: u8, raw: &[u8]) -> bool {
        matches!(Header::check(raw), Ok(h) if h.subtype == subtype && (9..=14).contains(&subtype))
    }

    /// Writes the whole option (kind, length, subtype, body) to the start
    /// of `buf` and returns the number of bytes written.
    ///
    /// An `Unknown` option is written back verbatim; it must still look
    /// like one (kind 30, length byte == size, subtype 9..=14 matching
    /// `subtype`), else [`EmitError::Unrepresentable`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        match self {
            MptcpOption::Capable(o) => o.emit(buf),
            MptcpOption::Join(o) => o.emit(buf),
            MptcpOption::Dss(o) => o.emit(buf),
            MptcpOption::AddAddr(o) => o.emit(buf),
            MptcpOption::RemoveAddr(o) => o.emit(buf),
            MptcpOption::Prio(o) => o.emit(buf),
            MptcpOption::Fail(o) => o.emit(buf),
            MptcpOption::Fastclose(o) => o.emit(buf),
            MptcpOption::TcpRst(o) => o.emit(buf),
            MptcpOption::Experimental(o) => o.emit(buf),
            MptcpOption::Unknown { subtype, raw } => {
                if Self::unknown_ok(*subtype, raw) {
                    emit_raw(raw, buf)
                } else {
                    Err(EmitError::Unrepresentable)
                }
            }
        }
    }
}

/// Validates a whole MPTCP option exactly as [`MptcpOption::parse`] does
/// (the same errors), without reading its fields: the shared header check,
/// then each sub-option's own rule (the `check` function in its file, which
/// its `parse` applies too). Returns the subtype.
#[inline(always)]
pub(crate) fn validate(opt: &[u8]) -> Result<u8, MptcpError> {
    validate_header(Header::check(opt)?)
}

/// [`validate`] for an option the TCP option walk has framed: its kind
/// byte is 30 and its length byte equals `opt.len()`, so of
/// [`Header::check`]'s tests only the 3-byte minimum is left (the same
/// error as `check`'s for it). The fuzz oracle and the view tests check the
/// two agree on every framed option.
#[inline(always)]
pub(crate) fn validate_framed(opt: &[u8]) -> Result<u8, MptcpError> {
    let Some((&[_, len, b2], body)) = opt.split_first_chunk::<3>() else {
        let avail = u8::try_from(opt.len()).unwrap_or(u8::MAX);
        return Err(MptcpError::new(0, avail, MptcpErrorReason::TooShort));
    };
    // The length table first (no branch on the subtype); the sub-option's
    // own rule names the error.
    if lengths::accepted(b2, body.first().copied().unwrap_or(0), len) {
        Ok(b2 >> 4)
    } else {
        rule_error(len, b2, body)
    }
}

/// [`validate_header`] out of line: the error of a framed option (length
/// byte `len`, byte 2 `b2`, then `body`) the length table rejected.
#[cold]
#[inline(never)]
fn rule_error(len: u8, b2: u8, body: &[u8]) -> Result<u8, MptcpError> {
    validate_header(Header {
        subtype: b2 >> 4,
        len,
        nibble: b2 & 0x0f,
        body,
    })
}

/// Each sub-option's own rule on a checked header; the subtype.
#[inline(always)]
fn validate_header(h: Header<'_>) -> Result<u8, MptcpError> {
    match h.subtype {
        subtype::MP_CAPABLE => capable::check(&h).map(drop),
        subtype::MP_JOIN => join::check(&h).map(drop),
        subtype::DSS => dss::check(&h).map(drop),
        subtype::ADD_ADDR => add_addr::check(&h).map(drop),
        subtype::REMOVE_ADDR => remove_addr::check(&h),
        subtype::MP_PRIO => prio::check(&h).map(drop),
        subtype::MP_FAIL | subtype::MP_FASTCLOSE => reserved12_u64::check(&h),
        subtype::MP_TCPRST => tcprst::check(&h),
        _ => Ok(()),
    }?;
    Ok(h.subtype)
}

/// A validated MPTCP option, read in place: one view per sub-option.
///
/// What [`TcpOptions::next_view`](crate::wire::tcp_option::TcpOptions::next_view)
/// hands out for kind 30 through
/// [`OptionView::mptcp`](crate::wire::tcp_option::OptionView::mptcp).
/// Accepts exactly the options [`MptcpOption::parse`] accepts, with the
/// same errors; each sub-option view's accessors equal the fields of the
/// parsed value, and [`MptcpView::decode`] equals the parsed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MptcpView<'a> {
    /// MP_CAPABLE.
    Capable(MpCapableView<'a>),
    /// MP_JOIN.
    Join(MpJoinView<'a>),
    /// DSS.
    Dss(DssView<'a>),
    /// ADD_ADDR.
    AddAddr(AddAddrView<'a>),
    /// REMOVE_ADDR.
    RemoveAddr(RemoveAddrView<'a>),
    /// MP_PRIO.
    Prio(MpPrioView<'a>),
    /// MP_FAIL.
    Fail(MpFailView<'a>),
    /// MP_FASTCLOSE.
    Fastclose(MpFastcloseView<'a>),
    /// MP_TCPRST.
    TcpRst(MpTcpRstView<'a>),
    /// MP_EXPERIMENTAL (already a borrowed, raw value).
    Experimental(MpExperimental<'a>),
    /// A subtype this crate does not know (9..=14).
    Unknown {
        /// Subtype nibble.
        subtype: u8,
        /// The whole option, kind and length bytes included.
        raw: &'a [u8],
    },
}

impl<'a> MptcpView<'a> {
    /// Validates one whole MPTCP option as [`MptcpOption::parse`] does
    /// (the same errors) and returns its sub-option's view.
    #[inline]
    pub fn new_checked(opt: &'a [u8]) -> Result<Self, MptcpError> {
        let st = validate(opt)?;
        Ok(Self::new_unchecked(opt, st))
    }

    /// The view of `opt`, which [`validate`] accepted as subtype `st`.
    #[inline(always)]
    pub(crate) const fn new_unchecked(opt: &'a [u8], st: u8) -> Self {
        match st {
            subtype::MP_CAPABLE => MptcpView::Capable(MpCapableView::new_unchecked(opt)),
            subtype::MP_JOIN => MptcpView::Join(MpJoinView::new_unchecked(opt)),
            subtype::DSS => MptcpView::Dss(DssView::new_unchecked(opt)),
            subtype::ADD_ADDR => MptcpView::AddAddr(AddAddrView::new_unchecked(opt)),
            subtype::REMOVE_ADDR => MptcpView::RemoveAddr(RemoveAddrView::new_unchecked(opt)),
            subtype::MP_PRIO => MptcpView::Prio(MpPrioView::new_unchecked(opt)),
            subtype::MP_FAIL => MptcpView::Fail(MpFailView::new_unchecked(opt)),
            subtype::MP_FASTCLOSE => MptcpView::Fastclose(MpFastcloseView::new_unchecked(opt)),
            subtype::MP_TCPRST => MptcpView::TcpRst(MpTcpRstView::new_unchecked(opt)),
            subtype::MP_EXPERIMENTAL => MptcpView::Experimental(MpExperimental { raw: opt }),
            st => MptcpView::Unknown {
                subtype: st,
                raw: opt,
            },
        }
    }

    /// The subtype number.
    pub const fn subtype(&self) -> u8 {
        match self {
            MptcpView::Capable(_) => subtype::MP_CAPABLE,
            MptcpView::Join(_) => subtype::MP_JOIN,
            MptcpView::Dss(_) => subtype::DSS,
            MptcpView::AddAddr(_) => subtype::ADD_ADDR,
            MptcpView::RemoveAddr(_) => subtype::REMOVE_ADDR,
            MptcpView::Prio(_) => subtype::MP_PRIO,
            MptcpView::Fail(_) => subtype::MP_FAIL,
            MptcpView::Fastclose(_) => subtype::MP_FASTCLOSE,
            MptcpView::TcpRst(_) => subtype::MP_TCPRST,
            MptcpView::Experimental(_) => subtype::MP_EXPERIMENTAL,
            MptcpView::Unknown { subtype, .. } => *subtype,
        }
    }

    /// The owned [`MptcpOption`]: what [`MptcpOption::parse`] returns for
    /// these bytes, built from the views' accessors.
    #[inline]
    pub fn decode(&self) -> MptcpOption<'a> {
        match self {
            MptcpView::Capable(v) => MptcpOption::Capable(v.decode()),
            MptcpView::Join(v) => MptcpOption::Join(v.decode()),
            MptcpView::Dss(v) => MptcpOption::Dss(v.decode()),
            MptcpView::AddAddr(v) => MptcpOption::AddAddr(v.decode()),
            MptcpView::RemoveAddr(v) => MptcpOption::RemoveAddr(v.decode()),
            MptcpView::Prio(v) => MptcpOption::Prio(v.decode()),
            MptcpView::Fail(v) => MptcpOption::Fail(v.decode()),
            MptcpView::Fastclose(v) => MptcpOption::Fastclose(v.decode()),
            MptcpView::TcpRst(v) => MptcpOption::TcpRst(v.decode()),
            MptcpView::Experimental(v) => MptcpOption::Experimental(*v),
            MptcpView::Unknown { subtype, raw } => MptcpOption::Unknown {
                subtype: *subtype,
                raw,
            },
        }
    }
}

/// The layout MP_FAIL and MP_FASTCLOSE share: 12 reserved bits (the low
/// nibble of byte 2 and byte 3), then one 64-bit value; 12 bytes in all.
pub(crate) mod reserved12_u64 {
    use super::{be_at, EmitError, Header, MptcpError, Writer};

    /// Wire length.
    pub(crate) const LEN: u8 = 12;

    /// The validation rule of both sub-options, shared by their `parse`
    /// and their views: length [`LEN`].
    #[inline(always)]
    pub(crate) fn check(h: &Header<'_>) -> Result<(), MptcpError> {
        if h.len == LEN {
            Ok(())
        } else {
            Err(h.bad_len())
        }
    }

    /// The 12 reserved bits of a validated option, read in place.
    #[inline(always)]
    pub(crate) fn reserved_at(opt: &[u8]) -> u16 {
        let [_, _, b2, b3] = be_at(opt, 0);
        u16::from(b2 & 0x0f) << 8 | u16::from(b3)
    }

    /// The 64-bit value of a validated option, read in place.
    #[inline(always)]
    pub(crate) fn value_at(opt: &[u8]) -> u64 {
        u64::from_be_bytes(be_at(opt, 4))
    }

    /// `(reserved, value)` of a whole option of subtype `st`.
    pub(crate) fn parse(opt: &[u8], st: u8) -> Result<(u16, u64), MptcpError> {
        let h = Header::check_subtype(opt, st)?;
        check(&h)?;
        let mut r = h.reader();
        let low = r.u8()?;
        Ok((u16::from(h.nibble) << 8 | u16::from(low), r.u64()?))
    }

    /// Bytes [`emit`] writes: 0 when `reserved` does not fit 12 bits.
    pub(crate) fn buffer_len(reserved: u16) -> usize {
        if reserved > 0x0fff {
            0
        } else {
            usize::from(LEN)
        }
    }

    /// Writes the whole option; `reserved` above 12 bits is
    /// [`EmitError::Unrepresentable`].
    pub(crate) fn emit(
        buf: &mut [u8],
        st: u8,
        reserved: u16,
        value: u64,
    ) -> Result<usize, EmitError> {
        if reserved > 0x0fff {
            return Err(EmitError::Unrepresentable);
        }
        let [high, low] = reserved.to_be_bytes();
        let mut w = Writer::start(buf, LEN, st, high)?;
        w.u8(low)?;
        w.u64(value)?;
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn dispatch_names_and_subtypes() {
        let cases: [(&[u8], &str, u8); 12] = [
            (&[30, 4, 0x01, 0x01], "MP_CAPABLE", 0),
            (&[30, 12, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 2], "MP_JOIN", 1),
            (&[30, 8, 0x20, 0x01, 0, 0, 0, 1], "DSS", 2),
            (&[30, 8, 0x34, 1, 10, 1, 2, 2], "ADD_ADDR", 3),
            (&[30, 4, 0x40, 0], "REMOVE_ADDR", 4),
            (&[30, 3, 0x51], "MP_PRIO", 5),
            (&[30, 12, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 1], "MP_FAIL", 6),
            (
                &[30, 12, 0x70, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                "MP_FASTCLOSE",
                7,
            ),
            (&[30, 4, 0x81, 1], "MP_TCPRST", 8),
            (&[30, 5, 0xf0, 1, 2], "MP_EXPERIMENTAL", 15),
            (&[30, 3, 0x90], "UNKNOWN", 9),
            (&[30, 6, 0xe0, 1, 2, 3], "UNKNOWN", 14),
        ];
        for (bytes, name, st) in cases {
            let o = MptcpOption::parse(bytes).unwrap();
            assert_eq!(o.name(), name);
            assert_eq!(o.subtype(), st);
            assert_eq!(o.buffer_len(), bytes.len());
            let mut buf = [0u8; 40];
            assert_eq!(o.emit(&mut buf), Ok(bytes.len()));
            assert_eq!(&buf[..bytes.len()], bytes);
        }
        assert_eq!(
            MptcpOption::parse(&[30, 3, 0xa7]),
            Ok(MptcpOption::Unknown {
                subtype: 10,
                raw: &[30, 3, 0xa7]
            })
        );
    }

    #[test]
    fn framing_errors() {
        let e = |st, len, reason| Err(MptcpError::new(st, len, reason));
        assert_eq!(MptcpOption::parse(&[]), e(0, 0, MptcpErrorReason::TooShort));
        assert_eq!(
            MptcpOption::parse(&[30]),
            e(0, 1, MptcpErrorReason::TooShort)
        );
        assert_eq!(
            MptcpOption::parse(&[30, 2]),
            e(0, 2, MptcpErrorReason::TooShort)
        );
        assert_eq!(
            MptcpOption::parse(&[8, 10]),
            e(0, 2, MptcpErrorReason::NotMptcp(8))
        );
        assert_eq!(
            MptcpOption::parse(&[2, 4, 0x05, 0xb4]),
            e(0, 4, MptcpErrorReason::NotMptcp(2))
        );
        assert_eq!(
            MptcpOption::parse(&[30, 5, 0x20, 0]),
            e(2, 5, MptcpErrorReason::LengthMismatch)
        );
        assert_eq!(
            MptcpOption::parse(&[30, 3, 0x20, 0]),
            e(2, 3, MptcpErrorReason::LengthMismatch)
        );
        // The sub-option's own errors come through unchanged.
        assert_eq!(
            MptcpOption::parse(&[30, 9, 0x20, 0, 0, 0, 0, 0, 0]),
            e(2, 9, MptcpErrorReason::BadLength)
        );
    }

    #[test]
    fn display() {
        let err = MptcpError::new(2, 9, MptcpErrorReason::BadLength);
        assert_eq!(
            err.to_string(),
            "MPTCP subtype 2 (DSS), length 9: bad length"
        );
        let err = MptcpError::new(0, 4, MptcpErrorReason::UnsupportedVersion(3));
        assert_eq!(
            err.to_string(),
            "MPTCP subtype 0 (MP_CAPABLE), length 4: unsupported version 3"
        );
        let err = MptcpError::new(12, 3, MptcpErrorReason::NotMptcp(8));
        assert_eq!(
            err.to_string(),
            "MPTCP subtype 12 (UNKNOWN), length 3: not an MPTCP option (kind 8)"
        );
        assert_eq!(
            EmitError::BufferTooSmall {
                needed: 4,
                available: 2
            }
            .to_string(),
            "buffer too small: need 4 bytes, have 2"
        );
    }

    #[test]
    fn unknown_emit_validates() {
        let mut buf = [0u8; 8];
        for bad in [
            MptcpOption::Unknown {
                subtype: 9,
                raw: &[30, 4, 0x90],
            },
            MptcpOption::Unknown {
                subtype: 9,
                raw: &[30, 3, 0xa0],
            },
            MptcpOption::Unknown {
                subtype: 2,
                raw: &[30, 3, 0x20],
            },
        ] {
            assert_eq!(bad.emit(&mut buf), Err(EmitError::Unrepresentable));
            assert_eq!(bad.buffer_len(), 0);
        }
        let ok = MptcpOption::Unknown {
            subtype: 9,
            raw: &[30, 3, 0x90],
        };
        assert_eq!(
            ok.emit(&mut buf[..2]),
            Err(EmitError::BufferTooSmall {
                needed: 3,
                available: 2
            })
        );
    }
}
