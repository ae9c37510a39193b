//! Replays the committed `c_abi` fuzz inputs (`fuzz/corpus/c_abi/`,
//! `fuzz/regressions/c_abi/`) through the C-ABI oracle on stable:
//! `cargo test -p mptcp-dissect-ffi --features fuzzing --test fuzz_replay`.
#![cfg(feature = "fuzzing")]

use std::path::Path;

#[test]
fn c_abi_corpus() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut ran = 0;
    for kind in ["corpus", "regressions"] {
        let Ok(rd) = std::fs::read_dir(fuzz.join(kind).join("c_abi")) else {
            continue;
        };
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).expect("readable input");
            mptcp_dissect_ffi::fuzzing::c_abi(&data);
            ran += 1;
        }
    }
    assert!(ran > 0, "no c_abi corpus found");
}
