//! Fuzzing oracle for the C ABI (feature `fuzzing`).
//!
//! The fuzz input is a small program of C-ABI calls: a dissector of a
//! fuzzer-chosen capacity is initialised in caller memory, then frames of
//! any bytes, length and link type are dissected, connections and subflows
//! are looked up by real and by forged ids, cursors walk the tables, removed
//! entries are read, the dissector is reset, and the entry points are called
//! with null, misaligned and too-small arguments.
//!
//! Invariants: every call returns one of the documented status codes;
//! `MPD_ERR_PANIC` (a panic caught at the boundary) and `MPD_ERR_POISONED`
//! never happen; the calls that must succeed do; an id a result returns can
//! be looked up; the analysis fields of a live entry's summary are
//! consistent (a known verdict, evidence bits within their sets, a verdict
//! that agrees with the evidence), and so are those of an entry read back
//! from the removal buffer (its last analysis state). The options of
//! [`mpd_dissector_init_ex`] come from the program (invalid ones must be
//! refused). Two mirror handles take the same frames: one in bursts
//! through [`mpd_dissect_burst_rx`] (frame after frame or through the
//! prefetching pipeline, as the options say; with the TCP checksum verdicts a NIC
//! would give when the first handle verifies checksums, else with none,
//! which is [`mpd_dissect_burst`]), one through [`mpd_dissect_rx`] with
//! those verdicts; their results must be the same. This module owns that oracle, and must not be linked into
//! a release build (it allocates the dissector's memory with `Vec`).
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used)]

use core::ffi::c_void;
use core::mem::MaybeUninit;

use crate::*;

/// Reads the program; zeros once the input is exhausted.
struct Prog<'a>(&'a [u8]);

impl<'a> Prog<'a> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        (u64::from(self.u32()) << 32) | u64::from(self.u32())
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

fn documented(s: mpd_status) -> mpd_status {
    assert!(
        (MPD_OK..=MPD_ERR_OVERLAP).contains(&s),
        "undocumented status {s}"
    );
    assert_ne!(s, MPD_ERR_PANIC, "a panic reached the boundary");
    assert_ne!(s, MPD_ERR_POISONED, "the handle was poisoned");
    s
}

const LINKTYPES: [u32; 10] = [1, 9, 12, 14, 101, 113, 228, 229, 276, 0xdead];

/// The analysis fields of a live connection's summary are consistent.
fn check_conn(c: &mpd_conn_summary) {
    assert!(
        (MPD_VERDICT_MPTCP..=MPD_VERDICT_FALLBACK_AFTER_FAIL).contains(&c.verdict),
        "verdict {}",
        c.verdict
    );
    assert!(c.mirror_evidence < 16 && c.strip_evidence < 16 && c.infinite_mapping <= 1);
    let want = if c.mirror_evidence != 0 {
        MPD_VERDICT_MIRRORED
    } else if c.strip_evidence != 0 {
        MPD_VERDICT_STRIPPED
    } else if c.mp_fail > 0 || c.infinite_mapping == 1 {
        MPD_VERDICT_FALLBACK_AFTER_FAIL
    } else {
        MPD_VERDICT_MPTCP
    };
    assert_eq!(c.verdict, want, "verdict vs evidence");
}

/// The analysis fields of a live subflow's summary are consistent.
fn check_subflow(s: &mpd_subflow_summary) {
    assert!((MPD_VERDICT_MPTCP..=MPD_VERDICT_STRIPPED).contains(&s.verdict));
    assert!(s.mirror_evidence < 16 && s.strip_evidence < 16);
}

/// 64 bytes at 64-byte alignment: test memory for a dissector (its slot
/// arrays are cache-line aligned, so `mpd_dissector_size` reports 64).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u64; 8]);

impl Line {
    const ZERO: Line = Line([0; 8]);
}

/// The oracle: see the module documentation.
pub fn c_abi(data: &[u8]) {
    let mut p = Prog(data);
    let capacity = 1u32 << (p.u8() % 6);
    let (mut size, mut align) = (0usize, 0usize);
    // SAFETY: both out pointers point at live locals.
    let s = unsafe { mpd_dissector_size(capacity, &mut size, &mut align) };
    assert_eq!(documented(s), MPD_OK);
    assert!(align <= 64 && size > 0, "size {size} align {align}");
    // Cache lines: 64-byte aligned, a spare one for the misaligned probe.
    let mut mem = vec![Line::ZERO; size / 64 + 2];
    let base = mem.as_mut_ptr().cast::<c_void>();
    let seed = [0x42u8; 16];
    let mut h: *mut mpd_dissector = core::ptr::null_mut();

    // Wrong arguments to init: each refused with its status, `h` untouched.
    // SAFETY: `base` is valid for `size + 64` bytes; seed and out are live.
    unsafe {
        let misaligned = base.cast::<u8>().add(1).cast::<c_void>();
        assert_eq!(
            mpd_dissector_init(misaligned, size, capacity, seed.as_ptr(), &mut h),
            MPD_ERR_MISALIGNED
        );
        assert_eq!(
            mpd_dissector_init(base, size - 1, capacity, seed.as_ptr(), &mut h),
            MPD_ERR_TOO_SMALL
        );
        assert_eq!(
            mpd_dissector_init(base, size, 3, seed.as_ptr(), &mut h),
            MPD_ERR_BAD_CAPACITY
        );
        assert_eq!(
            mpd_dissector_init(core::ptr::null_mut(), size, capacity, seed.as_ptr(), &mut h),
            MPD_ERR_NULL
        );
        assert!(h.is_null());
    }
    let flags = p.u8();
    // Bits 5-6: how bursts run (the default, which for these small tables
    // is frame after frame; the prefetching pipeline; never the pipeline;
    // a value outside the encoding); bit 7: the eviction prefetch always.
    let pipeline =
        [MPD_FROM_DEFAULT, MPD_FROM_ALWAYS, MPD_FROM_NEVER, 31][usize::from(flags >> 5) & 3];
    let opts = mpd_options {
        verify_tcp_checksum: flags & 3,
        dss_all_events: (flags >> 2) & 3,
        burst_pipeline_from: pipeline,
        evict_hints_from: if flags & 128 != 0 {
            MPD_FROM_ALWAYS
        } else {
            MPD_FROM_DEFAULT
        },
        _reserved: [0, 0, 0, (flags >> 4) & 1],
    };
    let valid = opts.verify_tcp_checksum <= 1
        && opts.dss_all_events <= 1
        && flags & 16 == 0
        && pipeline != 31;
    // SAFETY: `base` is valid for `size` bytes; seed, options and out are live.
    let s = unsafe { mpd_dissector_init_ex(base, size, capacity, seed.as_ptr(), &opts, &mut h) };
    if valid {
        assert_eq!(s, MPD_OK);
    } else {
        assert_eq!(s, MPD_ERR_BAD_OPTIONS);
        assert!(h.is_null());
        // SAFETY: as above; null options are the defaults.
        let s = unsafe {
            mpd_dissector_init_ex(
                base,
                size,
                capacity,
                seed.as_ptr(),
                core::ptr::null(),
                &mut h,
            )
        };
        assert_eq!(s, MPD_OK);
    }
    assert!(!h.is_null());

    // A mirror handle fed the same frames in bursts (flushed in runs of one
    // link type) through `mpd_dissect_burst_rx`, with the NIC verdicts of
    // the third handle below when the first one verifies checksums, else
    // with none (`mpd_dissect_burst`): every result must equal the
    // frame-by-frame one.
    let mut mem2 = vec![Line::ZERO; size / 64 + 2];
    let base2 = mem2.as_mut_ptr().cast::<c_void>();
    let mut h2: *mut mpd_dissector = core::ptr::null_mut();
    let opts2 = if valid {
        &opts as *const mpd_options
    } else {
        core::ptr::null()
    };
    // SAFETY: `base2` is valid for `size` bytes; seed, options and out are live.
    let s = unsafe { mpd_dissector_init_ex(base2, size, capacity, seed.as_ptr(), opts2, &mut h2) };
    assert_eq!(s, MPD_OK);
    // A third handle, TCP checksum verification off, fed every frame through
    // `mpd_dissect_rx` with the verdict a NIC would give (the core's own
    // check of the segment) when the first handle verifies, `UNKNOWN` when
    // it does not: every result must equal the first handle's.
    let mut mem3 = vec![Line::ZERO; size / 64 + 2];
    let base3 = mem3.as_mut_ptr().cast::<c_void>();
    let mut h3: *mut mpd_dissector = core::ptr::null_mut();
    let verifies = valid && opts.verify_tcp_checksum == 1;
    let opts3 = mpd_options {
        verify_tcp_checksum: 0,
        dss_all_events: if valid { opts.dss_all_events } else { 0 },
        ..mpd_options::default()
    };
    // SAFETY: `base3` is valid for `size` bytes; seed, options and out are live.
    let s = unsafe { mpd_dissector_init_ex(base3, size, capacity, seed.as_ptr(), &opts3, &mut h3) };
    assert_eq!(s, MPD_OK);
    let rx_verdict = |frame: &[u8], link: u32| -> u8 {
        let check = verifies
            .then(|| LinkType::from_pcap(link).and_then(|l| parse_frame(frame, l).ok()))
            .flatten()
            .and_then(|f| TcpCheck::of_frame(&f));
        match check {
            None => MPD_RX_CSUM_UNKNOWN,
            Some(c) if c.valid => MPD_RX_CSUM_GOOD,
            Some(_) => MPD_RX_CSUM_BAD,
        }
    };
    let mut pending: Vec<(u32, mpd_frame, mpd_result, u8)> = Vec::new();
    // Removals the bursts dropped (past MPD_MAX_REMOVED in one burst)
    // since the last reset.
    let overflow = core::cell::Cell::new(0u64);
    let part = core::cell::Cell::new(false);
    let flush = |pending: &mut Vec<(u32, mpd_frame, mpd_result, u8)>| {
        for run in pending.chunk_by(|a, b| a.0 == b.0) {
            let frames: Vec<mpd_frame> = run.iter().map(|x| x.1).collect();
            let verdicts: Vec<u8> = run.iter().map(|x| x.3).collect();
            let rx = if verifies {
                verdicts.as_ptr()
            } else {
                core::ptr::null()
            };
            let mut out = vec![mpd_result::ZERO; frames.len()];
            // Every other flush, in parts (`mpd_dissect_burst_part`): no
            // removal dropped, each part's results those of single calls.
            part.set(!part.get());
            if part.get() {
                let mut at = 0;
                while at < frames.len() {
                    let (fs, outs) = (&frames[at..], &mut out[at..]);
                    let mut done = 0;
                    // SAFETY: as for the whole burst below, from frame `at`
                    // on; `done` is writable.
                    let s = unsafe {
                        mpd_dissect_burst_part(
                            h2,
                            fs.as_ptr(),
                            fs.len(),
                            run[0].0,
                            if rx.is_null() {
                                rx
                            } else {
                                rx.wrapping_add(at)
                            },
                            outs.as_mut_ptr(),
                            &mut done,
                        )
                    };
                    assert_eq!(s, MPD_OK, "burst part refused frames mpd_dissect took");
                    assert!(done >= 1 && done <= fs.len(), "no progress: {done}");
                    let mut from = 0;
                    for (got, want) in outs[..done].iter_mut().zip(run[at..].iter().map(|x| x.2)) {
                        assert!(got.n_removed as usize <= MPD_MAX_REMOVED);
                        let n = got.n_removed - from;
                        from = got.n_removed;
                        got.n_removed = n;
                        assert_eq!(*got, want, "burst part result differs from mpd_dissect");
                    }
                    at += done;
                }
                continue;
            }
            // SAFETY: live handle; `frames` point into `data` (alive), `out`
            // holds one result per frame, `rx` (if not null) one verdict.
            let s = unsafe {
                mpd_dissect_burst_rx(
                    h2,
                    frames.as_ptr(),
                    frames.len(),
                    run[0].0,
                    rx,
                    out.as_mut_ptr(),
                )
            };
            assert_eq!(s, MPD_OK, "burst refused frames mpd_dissect took");
            // A burst keeps at most MPD_MAX_REMOVED removals in all (the
            // rest are counted in `removed_dropped`), so its cumulative
            // `n_removed` is the single calls' running total, capped.
            let mut total = 0u32;
            for (mut got, want) in out.into_iter().zip(run.iter().map(|x| x.2)) {
                total += want.n_removed;
                let kept = total.min(MPD_MAX_REMOVED as u32);
                assert_eq!(got.n_removed, kept, "burst's running count of removals");
                got.n_removed = want.n_removed;
                assert_eq!(got, want, "burst result differs from mpd_dissect");
            }
            overflow.set(overflow.get() + u64::from(total.saturating_sub(MPD_MAX_REMOVED as u32)));
        }
        pending.clear();
        // Both handles have now seen the same frames: the same counters,
        // but for the removals the bursts could not keep.
        let (mut st, mut st2) = (mpd_stats::default(), mpd_stats::default());
        // SAFETY: live handles, writable outs.
        unsafe {
            assert_eq!(mpd_stats_get(h, &mut st), MPD_OK);
            assert_eq!(mpd_stats_get(h2, &mut st2), MPD_OK);
        }
        assert_eq!(
            st2.removed_dropped,
            st.removed_dropped + overflow.get(),
            "burst handle's dropped removals"
        );
        st2.removed_dropped = st.removed_dropped;
        assert_eq!(st2, st, "counters differ after the bursts");
    };

    let mut now = 0u64;
    let mut last_conn = 0u64;
    let mut last_subflow = 0u64;
    while !p.0.is_empty() {
        match p.u8() % 8 {
            0..=2 => {
                let link = LINKTYPES[usize::from(p.u8()) % LINKTYPES.len()];
                let len = usize::from(p.u8()) * 4;
                let frame = p.bytes(len);
                now += u64::from(p.u32());
                let mut out = MaybeUninit::<mpd_result>::uninit();
                // SAFETY: `h` is a live handle over `mem`; `frame` is
                // readable for its length; `out` is writable.
                let s = unsafe {
                    mpd_dissect(h, frame.as_ptr(), frame.len(), link, now, out.as_mut_ptr())
                };
                let mut out3 = MaybeUninit::<mpd_result>::uninit();
                let v = rx_verdict(frame, link);
                // SAFETY: as above, on the third handle.
                let s3 = unsafe {
                    mpd_dissect_rx(
                        h3,
                        frame.as_ptr(),
                        frame.len(),
                        link,
                        now,
                        v,
                        out3.as_mut_ptr(),
                    )
                };
                assert_eq!(
                    s3, s,
                    "mpd_dissect_rx and mpd_dissect disagree on the status"
                );
                if documented(s) == MPD_OK {
                    // SAFETY: MPD_OK means `out` was written in full.
                    let r = unsafe { out.assume_init() };
                    // SAFETY: the same status: written in full as well.
                    let r3 = unsafe { out3.assume_init() };
                    assert_eq!(r3, r, "mpd_dissect_rx with verdict {v} differs");
                    let (mut st, mut st3) = (mpd_stats::default(), mpd_stats::default());
                    // SAFETY: live handles, writable outs.
                    unsafe {
                        assert_eq!(mpd_stats_get(h, &mut st), MPD_OK);
                        assert_eq!(mpd_stats_get(h3, &mut st3), MPD_OK);
                    }
                    assert_eq!(st3, st, "counters differ after mpd_dissect_rx");
                    let f = mpd_frame {
                        data: frame.as_ptr(),
                        len: frame.len(),
                        now,
                    };
                    pending.push((link, f, r, v));
                    if pending.len() >= 40 {
                        flush(&mut pending);
                    }
                    if r.conn_id != 0 {
                        last_conn = r.conn_id;
                        let mut c = mpd_conn_summary::default();
                        // SAFETY: live handle, writable out.
                        assert_eq!(
                            unsafe { mpd_conn_get(h, r.conn_id, &mut c) },
                            MPD_OK,
                            "fresh conn id"
                        );
                        check_conn(&c);
                    }
                    if r.subflow_id != 0 {
                        last_subflow = r.subflow_id;
                        let mut sf = mpd_subflow_summary::default();
                        // SAFETY: live handle, writable out.
                        assert_eq!(
                            unsafe { mpd_subflow_get(h, r.subflow_id, &mut sf) },
                            MPD_OK,
                            "fresh subflow id"
                        );
                        check_subflow(&sf);
                    }
                } else {
                    assert_eq!(s, MPD_ERR_BAD_LINKTYPE, "dissect refused a frame");
                }
            }
            3 => {
                let id = if p.u8() & 1 == 0 { last_conn } else { p.u64() };
                let mut c = mpd_conn_summary::default();
                let mut sf = mpd_subflow_summary::default();
                let sid = if p.u8() & 1 == 0 {
                    last_subflow
                } else {
                    p.u64()
                };
                // SAFETY: live handle, writable outs.
                unsafe {
                    documented(mpd_conn_get(h, id, &mut c));
                    documented(mpd_subflow_get(h, sid, &mut sf));
                }
            }
            4 => {
                let mut cursor = p.u32() % 64;
                let mut c = mpd_conn_summary::default();
                let mut sf = mpd_subflow_summary::default();
                // SAFETY: live handle, writable cursor and outs.
                unsafe {
                    for _ in 0..4 {
                        if documented(mpd_conn_next(h, &mut cursor, &mut c)) != MPD_OK {
                            break;
                        }
                        check_conn(&c);
                    }
                    cursor = 0;
                    if documented(mpd_subflow_next(h, &mut cursor, &mut sf)) == MPD_OK {
                        check_subflow(&sf);
                    }
                }
            }
            5 => {
                let mut st = mpd_stats::default();
                let mut rm = mpd_removed::default();
                // SAFETY: live handle, writable outs.
                unsafe {
                    assert_eq!(mpd_stats_get(h, &mut st), MPD_OK);
                    if documented(mpd_removed_get(h, u32::from(p.u8()), &mut rm)) == MPD_OK {
                        // Removed entries carry their last analysis, as
                        // consistent as a live entry's.
                        if rm.table == MPD_TABLE_CONNECTION {
                            check_conn(&rm.conn);
                            assert_eq!(rm.subflow, mpd_subflow_summary::default());
                        } else {
                            assert_eq!(rm.table, MPD_TABLE_SUBFLOW);
                            check_subflow(&rm.subflow);
                            assert_eq!(rm.conn, mpd_conn_summary::default());
                        }
                    }
                }
            }
            6 => {
                // Null and misaligned out pointers are refused, not written.
                let misaligned = unsafe {
                    // SAFETY: one byte into `mem`, still inside it.
                    base.cast::<u8>().add(1).cast::<mpd_result>()
                };
                // SAFETY: live handle; the pointers are refused before use.
                unsafe {
                    assert_eq!(
                        mpd_dissect(h, [0u8; 4].as_ptr(), 4, 1, now, core::ptr::null_mut()),
                        MPD_ERR_NULL
                    );
                    assert_eq!(
                        mpd_dissect(h, [0u8; 4].as_ptr(), 4, 1, now, misaligned),
                        MPD_ERR_MISALIGNED
                    );
                    assert_eq!(mpd_stats_get(h, core::ptr::null_mut()), MPD_ERR_NULL);
                    let mut r = MaybeUninit::<mpd_result>::uninit();
                    assert_eq!(
                        mpd_dissect(
                            core::ptr::null_mut(),
                            [0u8; 4].as_ptr(),
                            4,
                            1,
                            now,
                            r.as_mut_ptr()
                        ),
                        MPD_ERR_NULL
                    );
                }
            }
            _ => {
                let seed = [p.u8(); 16];
                flush(&mut pending);
                // SAFETY: live handles; the seed is 16 readable bytes.
                assert_eq!(unsafe { mpd_reset(h, seed.as_ptr()) }, MPD_OK);
                assert_eq!(unsafe { mpd_reset(h2, seed.as_ptr()) }, MPD_OK);
                assert_eq!(unsafe { mpd_reset(h3, seed.as_ptr()) }, MPD_OK);
                overflow.set(0);
                last_conn = 0;
                last_subflow = 0;
            }
        }
    }
    flush(&mut pending);
    drop(mem);
    drop(mem2);
    drop(mem3);
}
