#![no_main]

// Programs of C-ABI calls; the oracle (and every unsafe block) lives in
// ffi/src/fuzzing.rs so the corpus replays on stable (ffi/tests/fuzz_replay.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mptcp_dissect_ffi::fuzzing::c_abi(data));
