//! Criterion benchmarks for `mptcp-dissect`; see `benches/`.
//!
//! This crate has no code of its own: the benchmarks live in `benches/`.
