#![no_main]

//! The CLI's capture reader: its in-place walk (each of a few buffer
//! sizes, on this thread and through a reader thread, and through a reader
//! that returns 7 bytes a call) against pcap-parser's streaming reader
//! alone, over any bytes. The oracle is the CLI's own
//! `capture::differential::read_all` (this file includes the CLI's
//! src/capture.rs; cargo-fuzz builds with `--cfg fuzzing`, which compiles
//! that module), so that the CLI's unit tests replay this target's corpus
//! through it on stable.

#[path = "../../examples/cli/src/capture.rs"]
#[allow(dead_code)]
mod capture;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (_packets, _result) = capture::differential::read_all(data);
});
