#![no_main]

// Packet sequences into a tiny dissector; the oracle lives in core
// (mptcp_dissect::fuzzing::stateful) so the corpus replays on stable.
libfuzzer_sys::fuzz_target!(|data: &[u8]| mptcp_dissect::fuzzing::stateful(data));
