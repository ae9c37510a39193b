//! Transparent huge pages for the Rust-side owners of large tables (the
//! benches; the CLI's tables are small and grow, and do not use it): a
//! vector allocated with the kernel's advice to back it with 2 MiB pages.
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

/// The huge page size this module lays memory out for (x86-64, and AArch64
/// with 4 KiB base pages). Where the kernel's huge pages are another size,
/// [`HugeSlice`]'s layout only costs coverage: the advice itself is given
/// on whole base pages (`sysconf(_SC_PAGESIZE)`), whatever their size.
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

/// `n` copies of a value in huge-page-advised memory laid out so that every
/// 2 MiB page the elements touch lies wholly inside the advised allocation
/// and can be a huge page. A vector's own allocation starts wherever the
/// allocator put it (with glibc, 16 bytes past a 4 KiB page), so only its
/// 2 MiB-aligned middle can be huge: 6 of the 10 pages a 19 MiB bench table
/// spans, none of a 512 KiB index. Here the elements start less than one
/// element past a [`HUGE_PAGE`] boundary and the allocation runs on to the
/// boundary after their end: at most `2 × HUGE_PAGE` + one element more
/// memory. Dereferences to the `n` elements. (Not `Clone`: a clone would be
/// a new allocation, neither advised nor laid out.)
#[derive(Debug)]
pub struct HugeSlice<T> {
    buf: Vec<T>,
    at: usize,
    len: usize,
}

/// Element arrays smaller than this are plain vectors in [`HugeSlice`]
/// (the padding would cost more than the TLB entries save).
pub const HUGE_SLICE_MIN: usize = HUGE_PAGE / 4;

impl<T: Clone> HugeSlice<T> {
    /// `n` copies of `value` (see the type's documentation); a plain
    /// vector below [`HUGE_SLICE_MIN`] bytes.
    #[must_use]
    pub fn filled(n: usize, value: T) -> Self {
        let size = core::mem::size_of::<T>();
        let bytes = n.saturating_mul(size);
        if size == 0 || bytes < HUGE_SLICE_MIN {
            return HugeSlice::from(filled_vec(n, value));
        }
        // One huge page (and an element) before the elements, one after.
        let pad = (2 * HUGE_PAGE).div_ceil(size) + 1;
        let total = n.saturating_add(pad);
        let mut buf: Vec<T> = Vec::with_capacity(total);
        advise(buf.spare_capacity_mut());
        let addr = buf.as_ptr() as usize;
        let gap = addr.next_multiple_of(HUGE_PAGE) - addr;
        let at = gap.div_ceil(size);
        buf.resize(total, value);
        HugeSlice { buf, at, len: n }
    }
}

/// A vector as it is: no advice, no alignment (for comparisons).
impl<T> From<Vec<T>> for HugeSlice<T> {
    fn from(buf: Vec<T>) -> Self {
        let len = buf.len();
        HugeSlice { buf, at: 0, len }
    }
}

impl<T> core::ops::Deref for HugeSlice<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.buf.get(self.at..self.at + self.len).unwrap_or(&[])
    }
}

impl<T> core::ops::DerefMut for HugeSlice<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        let (at, len) = (self.at, self.len);
        self.buf.get_mut(at..at + len).unwrap_or(&mut [])
    }
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
    // Whole base pages inside the region only: madvise rejects a start
    // that is not page-aligned (EINVAL), and applies the advice to every
    // page the range touches.
    // SAFETY: sysconf reads a configuration value; no memory is involved.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let Some(page) = usize::try_from(page).ok().filter(|p| p.is_power_of_two()) else {
        return false;
    };
    let addr = p as usize;
    let Some(start) = addr.checked_next_multiple_of(page) else {
        return false;
    };
    let end = addr.saturating_add(bytes) / page * page;
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
    fn huge_slice_covers_whole_huge_pages() {
        use super::{HugeSlice, HUGE_SLICE_MIN};
        // 128-byte elements (a subflow slot's size) and a 3-byte one.
        #[derive(Clone, PartialEq, Debug)]
        struct E([u64; 16]);
        fn check<T>(h: &HugeSlice<T>, n: usize) {
            let size = core::mem::size_of::<T>();
            assert_eq!(h.len(), n);
            let start = h.as_ptr() as usize;
            let first = start / HUGE_PAGE * HUGE_PAGE;
            let last = (start + n * size).next_multiple_of(HUGE_PAGE);
            // Starts less than an element past a huge page boundary …
            assert!(start - first < size, "start {start:#x}");
            // … and every huge page it touches is inside the allocation.
            let alloc = h.buf.as_ptr() as usize;
            assert!(alloc <= first);
            assert!(alloc + h.buf.len() * size >= last);
        }
        for n in [HUGE_PAGE / 128, 3 * HUGE_PAGE / 128 + 7] {
            let mut h = HugeSlice::filled(n, E([9; 16]));
            check(&h, n);
            assert!(h.iter().all(|e| *e == E([9; 16])));
            h[n - 1] = E([1; 16]);
            assert_eq!(h.last(), Some(&E([1; 16])));
        }
        let odd = HugeSlice::filled(HUGE_PAGE / 3 + 5, [1u8; 3]);
        check(&odd, HUGE_PAGE / 3 + 5);
        assert!(odd.iter().all(|e| *e == [1; 3]));
        // Small: a plain vector.
        let s = HugeSlice::filled(HUGE_SLICE_MIN / 4 - 1, 3u32);
        assert_eq!(s.buf.len(), HUGE_SLICE_MIN / 4 - 1);
        assert!(s.iter().all(|&x| x == 3));
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
