//! The wire layer: bytes in, typed and validated views out.
//!
//! This module owns the on-the-wire formats: link-layer framing
//! ([`frame`], [`ethernet`]), [`ipv4`], [`ipv6`], the [`tcp`] header, the
//! [`tcp_option`] iterator and every MPTCP sub-option ([`mptcp`]).
//!
//! It must not keep state between packets, allocate, or know anything about
//! connections: a view is a function of the bytes it is given, nothing more.
//! Every view follows the same contract: construct it with a length check
//! (`new_checked`), after which every accessor is infallible and panic-free.

pub mod ethernet;
pub mod frame;
pub mod ipv4;
pub mod ipv6;
pub mod mptcp;
pub mod tcp;
pub mod tcp_option;
