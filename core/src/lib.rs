//! # mptcp-dissect
//!
//! A `no_std`, allocation-free Multipath TCP (RFC 8684 v1, RFC 6824 v0) dissector.
//!
//! Data flows one way: [`wire`] (bytes → typed, validated views; no state) →
//! flow tracking → analysis → the C ABI and the trace tool. This crate never
//! allocates, never reads a clock and never panics on any input: every
//! malformed thing becomes a typed, `Copy` error that names what and why.
//!
//! * [`wire`] — Ethernet/VLAN, raw IP, Linux SLL/SLL2, PPP, BSD loopback,
//!   IPv4, IPv6, TCP header views,
//!   the TCP option iterator and every MPTCP sub-option (parse **and** emit).
//! * [`addr`] — the class of an advertised address (RFC 6890 registries and
//!   the categories of Hesmans et al., Table 2).
//! * [`checksum`] — RFC 1071 one's-complement sums (incremental across
//!   segments split at any offset), the TCP checksum over the IPv4/IPv6
//!   pseudo-header, and the MPTCP DSS checksum (RFC 8684 §3.3.1).
//! * [`crypto`] — MPTCP key-derived values (token, IDSN) and HMACs (MP_JOIN,
//!   ADD_ADDR) as pure functions over keys and nonces seen on the wire.
//! * [`flow`] — bounded state: the direction-free connection key and the
//!   fixed-capacity flow table (stable generation-checked ids, class-aware
//!   LRU eviction, exact or within a grace period — the dissector sets
//!   one —, bounded-work expiry), and the subflow and
//!   connection values stored in it.
//! * [`dissector`] — the one entry point: [`dissector::Dissector`] /
//!   [`dissector::DissectorView`] turn a frame into a
//!   [`dissector::Dissection`] (parsed view, connection, subflow); the
//!   call's events are read with `events()` until the next call.
//! * `fuzzing` (feature `fuzzing`) — the fuzzing oracles: functions over
//!   untrusted bytes that run the wire parsers and assert their invariants
//!   (used by the cargo-fuzz targets in `fuzz/` and the corpus replay test).
//! * `synth` (feature `fuzzing`) — writes synthetic IP/TCP/MPTCP packets
//!   into caller memory, for tests, fuzz targets and benchmarks.
//!
//! Features: `analysis` (default: DSS checksum validation, middlebox
//! evidence, TCP-timestamp RTT), `hmac` (default: MP_JOIN and ADD_ADDR HMAC
//! verification; without it those verdicts are `Unverifiable`, joins are
//! still linked by token), `defmt`, `fuzzing` (implies `hmac`).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

pub mod addr;
pub mod analysis;
pub mod checksum;
pub mod crypto;
pub mod dissector;
pub mod flow;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
#[cfg(feature = "fuzzing")]
pub mod synth;
pub mod wire;
