//! Transparent huge pages for the Rust-side owners of large tables (the
//! benches, the CLI): a vector allocated with the kernel's advice to back it
//! with 2 MiB pages.
//!
//! A table of 2²⁰ flows is hundreds of MiB; visited in random order, nearly
//! every lookup in 4 KiB pages also misses the TLB. C callers choose their
//! own memory (DPDK's is hugepage-backed); Rust callers that allocate with
//! `Vec` get whatever the system's default is — on Linux usually `madvise`,
//! which gives huge pages only to memory that asks for them.
//!
//! This module owns the one `unsafe` call that asking takes (`madvise`; the
//! core is `forbid(unsafe_code)`). It must not read, write or free memory:
//! the advice changes how the kernel backs the pages, never their contents.

/// The huge page size this module rounds to (x86-64 and AArch64 with 4 KiB
/// base pages). A region advised on other boundaries is rounded inwards
/// by the kernel's own page size, so a wrong guess only costs coverage.
pub const HUGE_PAGE: usize = 2 << 20;

/// `n` copies of `value` in a vector whose allocation (if at least
/// [`HUGE_PAGE`] bytes) was advised for transparent huge pages before it
/// was written, so that its first writes fault in huge pages where the
/// kernel has them. Otherwise the same as `vec![value; n]`; where the
/// advice is unsupported or refused (another OS, THP `never`, an old
/// kernel), exactly that.
#[must_use]
pub fn filled_vec<T: Clone>(n: usize, value: T) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(n);
    advise(v.spare_capacity_mut());
    v.resize(n, value);
    v
}

/// Asks the kernel to back the whole pages inside `region` with transparent
/// huge pages (`madvise(MADV_HUGEPAGE)` on Linux; nothing elsewhere).
/// Returns whether the advice was given and accepted. Regions smaller than
/// [`HUGE_PAGE`] are left alone (they cannot hold one).
pub fn advise<T>(region: &mut [core::mem::MaybeUninit<T>]) -> bool {
    let bytes = core::mem::size_of_val(region);
    if bytes < HUGE_PAGE {
        return false;
    }
    advise_range(region.as_mut_ptr().cast::<u8>(), bytes)
}

#[cfg(target_os = "linux")]
fn advise_range(p: *mut u8, bytes: usize) -> bool {
    // Whole 4 KiB pages inside the region only: madvise wants a
    // page-aligned start, and the kernel applies the advice to every page
    // the range touches.
    const PAGE: usize = 4096;
    let addr = p as usize;
    let Some(start) = addr.checked_next_multiple_of(PAGE) else {
        return false;
    };
    let end = addr.saturating_add(bytes) / PAGE * PAGE;
    if end <= start {
        return false;
    }
    let at = p.wrapping_add(start - addr);
    // SAFETY: `[start, end)` lies inside `region`, memory this process
    // owns through a live `&mut` borrow. MADV_HUGEPAGE is advice only: it
    // changes neither the mapping's contents nor its protection nor its
    // lifetime (unlike MADV_DONTNEED/FREE), so no Rust value is affected;
    // a failure (EINVAL where THP is not built in) leaves everything as it
    // was and is reported as `false`.
    let r = unsafe { libc::madvise(at.cast::<libc::c_void>(), end - start, libc::MADV_HUGEPAGE) };
    r == 0
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_: *mut u8, _: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::{advise, filled_vec, HUGE_PAGE};

    #[test]
    fn filled_like_vec_macro() {
        for n in [0, 1, 1000, HUGE_PAGE / 8 + 3] {
            let v = filled_vec(n, 0x5a5a_u64);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&x| x == 0x5a5a));
        }
        let v = filled_vec(3, String::from("x"));
        assert_eq!(v, ["x", "x", "x"]);
    }

    #[test]
    fn small_regions_are_left_alone() {
        let mut v: Vec<u8> = Vec::with_capacity(HUGE_PAGE - 1);
        assert!(!advise(v.spare_capacity_mut()));
        let mut e: Vec<u8> = Vec::new();
        assert!(!advise(e.spare_capacity_mut()));
    }

    /// On Linux with transparent huge pages built in and not `never`, the
    /// advice is accepted (the kernel may still find no free huge page at
    /// fault time, so that is not asserted).
    #[cfg(target_os = "linux")]
    #[test]
    fn linux_accepts_the_advice() {
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
        let mut v: Vec<u64> = Vec::with_capacity(2 * HUGE_PAGE / 8);
        let accepted = advise(v.spare_capacity_mut());
        match mode {
            Ok(m) if !m.contains("[never]") => assert!(accepted, "THP mode {m}"),
            _ => {}
        }
        v.resize(2 * HUGE_PAGE / 8, 7);
        assert!(v.iter().all(|&x| x == 7));
    }
}
