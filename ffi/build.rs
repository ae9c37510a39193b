//! Build script of the C ABI: on Linux the shared library's SONAME carries
//! the ABI version, `libmptcp_dissect_ffi.so.<MPD_ABI_VERSION>`, so that a
//! program linked against the library of one ABI never loads one of
//! another (`examples/c`'s `make test` checks it with `readelf -d`). The
//! version is read from `src/lib.rs`, where cbindgen reads it too.

use std::env;
use std::fs;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/lib.rs");
    let src = fs::read_to_string("src/lib.rs").expect("read src/lib.rs");
    let abi: u32 = src
        .lines()
        .find_map(|l| {
            l.strip_prefix("pub const MPD_ABI_VERSION: u32 = ")?
                .strip_suffix(';')
        })
        .expect("src/lib.rs: `pub const MPD_ABI_VERSION: u32 = <n>;`")
        .parse()
        .expect("MPD_ABI_VERSION: a decimal literal");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmptcp_dissect_ffi.so.{abi}");
    }
}
