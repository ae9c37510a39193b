#![no_main]

// The oracle (invariants and all) lives in core, so that
// core/tests/fuzz_replay.rs replays the corpus through it on stable.
libfuzzer_sys::fuzz_target!(|data: &[u8]| mptcp_dissect::fuzzing::mptcp_option(data));
