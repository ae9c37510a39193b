//! The CPU's software-prefetch instruction, for
//! [`DissectorView::dissect_burst`](mptcp_dissect::dissector::DissectorView::dissect_burst).
//!
//! This module owns the one `unsafe` the burst pipeline needs: the core is
//! `forbid(unsafe_code)` and only computes the addresses. It must not read
//! or write memory.

/// Asks the CPU to bring the cache line holding `p` into all cache levels
/// (`prefetcht0` on x86-64; nothing on other architectures, where the burst
/// pipeline then runs as plain sequential dissection). Never faults, never
/// reads or writes memory as far as the program can observe, whatever `p`
/// is (null, dangling or unmapped).
#[inline(always)]
pub fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint: it does not dereference `p` in the
    // language's sense, cannot fault (an invalid address is ignored by the
    // CPU) and has no effect on memory contents; SSE is part of the x86-64
    // baseline, so the instruction exists on every x86-64 CPU.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn any_address_is_harmless() {
        let v = [7u8; 64];
        prefetch(v.as_ptr());
        prefetch(core::ptr::null());
        prefetch(usize::MAX as *const u8);
        prefetch(0x10 as *const u8);
        assert_eq!(v, [7u8; 64]);
    }
}
