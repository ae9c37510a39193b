//! MPTCP (TCP option kind 30) sub-options, one file per sub-option.
//!
//! This module owns the grammar of every sub-option of RFC 6824 (v0) and
//! RFC 8684 (v1), with the length rules of the Linux kernel
//! (`net/mptcp/options.c`). Each sub-option type has
//! `parse(option) -> Result<Self, MptcpError>` over the **whole** option
//! (kind byte, length byte, subtype nibble, body) and
//! `emit(buf) -> Result<usize, EmitError>` writing the same bytes back.
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
pub mod prio;
pub mod remove_addr;
pub mod tcprst;

pub use add_addr::{AddAddr, AddAddrForm};
pub use capable::MpCapable;
pub use dss::{DataAck, Dss, DssMapping};
pub use experimental::MpExperimental;
pub use fail::MpFail;
pub use fastclose::MpFastclose;
pub use join::MpJoin;
pub use prio::MpPrio;
pub use remove_addr::RemoveAddr;
pub use tcprst::{MpTcpRst, TcpRstReason};

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
    /// ADD_ADDR v0 IPVer field is neither 4 nor 6.
    BadIpVersion(u8),
    /// The first byte is not option kind 30.
    NotMptcp(u8),
}

/// A malformed MPTCP sub-option: which subtype, how long, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
