//! Rust-side tests of the C ABI: status numbers are pinned, every argument
//! check answers with a status, and no entry point allocates (a counting
//! global allocator wraps the system one).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::CStr;
use std::ptr::{null, null_mut};

use mptcp_dissect_ffi::*;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded contract.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded contract.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

const SEED: [u8; 16] = *b"0123456789abcdef";

/// Classic pcap records (link type, frames with microsecond `now` in ns).
fn read_pcap(path: &str) -> (u32, Vec<(u64, Vec<u8>)>) {
    let b = std::fs::read(path).unwrap();
    let magic = u32::from_le_bytes(b[0..4].try_into().unwrap());
    assert!(magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d, "{path}");
    let nanos = magic == 0xa1b2_3c4d;
    let link = u32::from_le_bytes(b[20..24].try_into().unwrap());
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= b.len() {
        let sec = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as u64;
        let frac = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as u64;
        let incl = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        let now = sec * 1_000_000_000 + if nanos { frac } else { frac * 1000 };
        out.push((now, b[at + 16..at + 16 + incl].to_vec()));
        at += 16 + incl;
    }
    (link, out)
}

/// 64 bytes at 64-byte alignment: test memory for a dissector (its slot
/// arrays are cache-line aligned, so `mpd_dissector_size` reports 64).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u64; 8]);

impl Line {
    const ZERO: Line = Line([0; 8]);
}

/// Aligned memory for a dissector of `cap`.
struct Mem {
    buf: Vec<Line>,
    h: *mut mpd_dissector,
}

fn new_dissector(cap: u32) -> Mem {
    let (mut size, mut align) = (0usize, 0usize);
    // SAFETY: valid out pointers.
    assert_eq!(
        unsafe { mpd_dissector_size(cap, &mut size, &mut align) },
        MPD_OK
    );
    assert!(align <= 64, "test buffer is line-aligned; align {align}");
    let mut buf = vec![Line::ZERO; size.div_ceil(64)];
    let mut h = null_mut();
    // SAFETY: buffer of `size` bytes, aligned to 64 ≥ align.
    let s =
        unsafe { mpd_dissector_init(buf.as_mut_ptr().cast(), size, cap, SEED.as_ptr(), &mut h) };
    assert_eq!(s, MPD_OK);
    Mem { buf, h }
}

fn zero_result() -> mpd_result {
    // SAFETY: mpd_result is plain integers: all-zero is valid.
    unsafe { std::mem::zeroed() }
}

#[test]
fn status_numbers_are_pinned() {
    let pinned = [
        (MPD_OK, 0, "MPD_OK"),
        (MPD_ERR_NULL, 1, "MPD_ERR_NULL"),
        (MPD_ERR_MISALIGNED, 2, "MPD_ERR_MISALIGNED"),
        (MPD_ERR_TOO_SMALL, 3, "MPD_ERR_TOO_SMALL"),
        (MPD_ERR_BAD_CAPACITY, 4, "MPD_ERR_BAD_CAPACITY"),
        (MPD_ERR_BAD_LINKTYPE, 5, "MPD_ERR_BAD_LINKTYPE"),
        (MPD_ERR_NOT_FOUND, 6, "MPD_ERR_NOT_FOUND"),
        (MPD_ERR_PANIC, 7, "MPD_ERR_PANIC"),
        (MPD_ERR_BAD_HANDLE, 8, "MPD_ERR_BAD_HANDLE"),
        (MPD_ERR_POISONED, 9, "MPD_ERR_POISONED"),
        (MPD_ERR_BAD_LENGTH, 10, "MPD_ERR_BAD_LENGTH"),
        (MPD_ERR_BAD_OPTIONS, 11, "MPD_ERR_BAD_OPTIONS"),
        (MPD_ERR_BAD_RX_CSUM, 12, "MPD_ERR_BAD_RX_CSUM"),
        (MPD_ERR_OVERLAP, 13, "MPD_ERR_OVERLAP"),
    ];
    for (c, n, name) in pinned {
        assert_eq!(c, n, "{name}");
        // SAFETY: static NUL-terminated string.
        let s = unsafe { CStr::from_ptr(mpd_status_str(c)) };
        assert_eq!(s.to_str().unwrap(), name);
    }
    // SAFETY: as above.
    let s = unsafe { CStr::from_ptr(mpd_status_str(14)) };
    assert_eq!(s.to_str().unwrap(), "MPD_ERR_UNKNOWN");
    // SAFETY: as above.
    let s = unsafe { CStr::from_ptr(mpd_status_str(-1)) };
    assert_eq!(s.to_str().unwrap(), "MPD_ERR_UNKNOWN");
}

#[test]
fn event_and_kind_numbers_are_pinned() {
    assert_eq!(
        [
            MPD_EVENT_NEW_CONNECTION,
            MPD_EVENT_SUBFLOW_JOINED,
            MPD_EVENT_JOIN_REJECTED,
            MPD_EVENT_JOIN_UNKNOWN_TOKEN,
            MPD_EVENT_ADDR_ADVERTISED,
            MPD_EVENT_ADDR_REMOVED,
            MPD_EVENT_PRIORITY_CHANGED,
            MPD_EVENT_DATA_FIN,
            MPD_EVENT_FASTCLOSE,
            MPD_EVENT_MP_FAIL,
            MPD_EVENT_TCP_RST,
            MPD_EVENT_FALLBACK,
            MPD_EVENT_KEY_MISMATCH,
            MPD_EVENT_TOKEN_COLLISION,
            MPD_EVENT_SUBFLOW_CLOSED,
            MPD_EVENT_EVICTED,
            MPD_EVENT_TABLE_FULL,
            MPD_EVENT_MAPPING,
            MPD_EVENT_TCP_CHECKSUM_BAD,
            MPD_EVENT_MIRRORED,
            MPD_EVENT_STRIPPED,
            MPD_EVENT_MP_FAIL_MATCHED,
        ],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]
    );
    assert_eq!(MPD_ABI_VERSION, 4);
    assert_eq!(mpd_abi_version(), MPD_ABI_VERSION);
    assert_eq!(
        [MPD_CAUSE_EVICTED, MPD_CAUSE_IDLE, MPD_CAUSE_REUSED],
        [1, 2, 3]
    );
    assert_eq!(
        [
            MPD_KIND_NOT_IP,
            MPD_KIND_MALFORMED,
            MPD_KIND_NON_TCP,
            MPD_KIND_TCP,
            MPD_KIND_MPTCP
        ],
        [1, 2, 3, 4, 5]
    );
}

#[test]
fn sizes_grow_linearly_and_bad_capacities_are_refused() {
    let size = |cap| {
        let (mut s, mut a) = (0, 0);
        // SAFETY: valid out pointers.
        let st = unsafe { mpd_dissector_size(cap, &mut s, &mut a) };
        (st, s, a)
    };
    for cap in [0, 3, 6, 1000, (1 << 30) + 1, 1 << 31, u32::MAX] {
        assert_eq!(size(cap).0, MPD_ERR_BAD_CAPACITY, "{cap}");
    }
    let (st, s1k, a) = size(1024);
    assert_eq!(st, MPD_OK);
    assert!(a.is_power_of_two());
    let (_, s2k, _) = size(2048);
    let per_entry = (s2k - s1k) / 1024;
    // Subflow slot 128 + connection slot 256 + token slot 64 (slots are
    // cache-line aligned on hosts) + 3 × 8 index bytes + the analysis side
    // arrays (subflow 128 with its TCP-timestamp RTT state, connection 80):
    // README's number.
    assert_eq!(per_entry, 680);
    assert_eq!(a, 64, "slot arrays start on cache lines");
    println!("bytes per capacity entry: {per_entry}; 1024 → {s1k}");
    // SAFETY: null out pointers are reported.
    assert_eq!(
        unsafe { mpd_dissector_size(8, null_mut(), &mut 0) },
        MPD_ERR_NULL
    );
    // SAFETY: as above.
    assert_eq!(
        unsafe { mpd_dissector_size(8, &mut 0, null_mut()) },
        MPD_ERR_NULL
    );
}

#[test]
fn init_checks_every_argument() {
    let (mut size, mut align) = (0usize, 0usize);
    // SAFETY: valid out pointers.
    unsafe { mpd_dissector_size(16, &mut size, &mut align) };
    let mut buf = vec![Line::ZERO; size / 64 + 2];
    let base: *mut u8 = buf.as_mut_ptr().cast();
    let mut h = null_mut();
    // SAFETY: every pointer below is either null or valid for its length.
    unsafe {
        assert_eq!(
            mpd_dissector_init(null_mut(), size, 16, SEED.as_ptr(), &mut h),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissector_init(base.cast(), size, 16, null(), &mut h),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissector_init(base.cast(), size, 16, SEED.as_ptr(), null_mut()),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissector_init(base.add(1).cast(), size, 16, SEED.as_ptr(), &mut h),
            MPD_ERR_MISALIGNED
        );
        assert_eq!(
            mpd_dissector_init(base.cast(), size - 1, 16, SEED.as_ptr(), &mut h),
            MPD_ERR_TOO_SMALL
        );
        assert_eq!(
            mpd_dissector_init(base.cast(), size, 12, SEED.as_ptr(), &mut h),
            MPD_ERR_BAD_CAPACITY
        );
        assert!(h.is_null());
        assert_eq!(
            mpd_dissector_init(base.cast(), size, 16, SEED.as_ptr(), &mut h),
            MPD_OK
        );
        assert_eq!(h.cast::<u8>(), base);
    }
}

#[test]
fn calls_check_handles_and_pointers() {
    let m = new_dissector(16);
    let mut r = zero_result();
    let frame = [0u8; 60];
    // Junk handles: the check reads their first 16 bytes only (until the
    // header became `repr(C)` it read the magic 5120 bytes in, past both).
    let mut junk = [0u64; 64];
    let mut junk16 = [0u64; 2];
    // SAFETY: every pointer below is null, junk of at least 16 bytes, or
    // valid.
    unsafe {
        assert_eq!(
            mpd_dissect(null_mut(), frame.as_ptr(), 60, 1, 0, &mut r),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect(
                m.h.cast::<u8>().add(1).cast(),
                frame.as_ptr(),
                60,
                1,
                0,
                &mut r
            ),
            MPD_ERR_MISALIGNED
        );
        assert_eq!(
            mpd_dissect(junk.as_mut_ptr().cast(), frame.as_ptr(), 60, 1, 0, &mut r),
            MPD_ERR_BAD_HANDLE
        );
        assert_eq!(
            mpd_dissect(junk16.as_mut_ptr().cast(), frame.as_ptr(), 60, 1, 0, &mut r),
            MPD_ERR_BAD_HANDLE
        );
        assert_eq!(
            mpd_stats_get(junk16.as_ptr().cast(), &mut mpd_stats::default()),
            MPD_ERR_BAD_HANDLE
        );
        assert_eq!(
            mpd_reset(junk16.as_mut_ptr().cast(), SEED.as_ptr()),
            MPD_ERR_BAD_HANDLE
        );
        // An initialised block copied to an address aligned for its header
        // (8) but not for the block (64): refused before its slot arrays
        // are touched.
        let (mut size, mut align) = (0usize, 0usize);
        assert_eq!(mpd_dissector_size(16, &mut size, &mut align), MPD_OK);
        let mut copy = vec![Line::ZERO; size.div_ceil(64) + 1];
        let at = copy.as_mut_ptr().cast::<u8>().add(8);
        core::ptr::copy_nonoverlapping(m.h.cast::<u8>(), at, size);
        assert_eq!(
            mpd_dissect(at.cast(), frame.as_ptr(), 60, 1, 0, &mut r),
            MPD_ERR_MISALIGNED
        );
        assert_eq!(mpd_dissect(m.h, null(), 60, 1, 0, &mut r), MPD_ERR_NULL);
        assert_eq!(mpd_dissect(m.h, null(), 0, 1, 0, &mut r), MPD_OK);
        assert_eq!(r.kind, MPD_KIND_MALFORMED);
        assert_eq!(
            mpd_dissect(m.h, frame.as_ptr(), 60, 1, 0, null_mut()),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect(m.h, frame.as_ptr(), 60, 9999, 0, &mut r),
            MPD_ERR_BAD_LINKTYPE
        );
        assert_eq!(
            mpd_dissect(m.h, frame.as_ptr(), usize::MAX, 1, 0, &mut r),
            MPD_ERR_BAD_LENGTH
        );
        let mut c = mpd_conn_summary::default();
        assert_eq!(mpd_conn_get(m.h, 0, &mut c), MPD_ERR_NOT_FOUND);
        assert_eq!(mpd_conn_get(m.h, 12345, &mut c), MPD_ERR_NOT_FOUND);
        assert_eq!(mpd_conn_get(m.h, 1, null_mut()), MPD_ERR_NULL);
        assert_eq!(mpd_conn_get(null(), 1, &mut c), MPD_ERR_NULL);
        let mut s = mpd_subflow_summary::default();
        assert_eq!(mpd_subflow_get(m.h, 1, &mut s), MPD_ERR_NOT_FOUND);
        let mut cur = 0u32;
        assert_eq!(mpd_conn_next(m.h, &mut cur, &mut c), MPD_ERR_NOT_FOUND);
        assert_eq!(mpd_conn_next(m.h, null_mut(), &mut c), MPD_ERR_NULL);
        assert_eq!(mpd_subflow_next(m.h, &mut cur, &mut s), MPD_ERR_NOT_FOUND);
        let mut rm = mpd_removed::default();
        assert_eq!(mpd_removed_get(m.h, 0, &mut rm), MPD_ERR_NOT_FOUND);
        let mut st = mpd_stats::default();
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 1);
        assert_eq!(mpd_stats_get(m.h, null_mut()), MPD_ERR_NULL);
        assert_eq!(mpd_reset(m.h, null()), MPD_ERR_NULL);
        assert_eq!(mpd_reset(null_mut(), SEED.as_ptr()), MPD_ERR_NULL);
        assert_eq!(mpd_reset(m.h, SEED.as_ptr()), MPD_OK);
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 0);
        let mut p = mpd_peek_info::default();
        assert_eq!(
            mpd_peek(frame.as_ptr(), 60, 1, null(), &mut p),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_peek(frame.as_ptr(), 60, 77, SEED.as_ptr(), &mut p),
            MPD_ERR_BAD_LINKTYPE
        );
        assert_eq!(
            mpd_peek(frame.as_ptr(), 60, 1, SEED.as_ptr(), &mut p),
            MPD_OK
        );
        assert_eq!(p.is_tcp, 0);
    }
    drop(m.buf);
}

/// A block initialised by another build is refused, not misread: its magic
/// (the block's first 8 bytes) encodes the ABI version and the layout.
/// The magic every build used until ABI 4, `"mpdissc2"`, and this build's
/// with another ABI version (its fourth byte) are both `MPD_ERR_BAD_HANDLE`;
/// the block's own magic restored, it works again.
#[test]
fn a_block_of_another_build_is_refused() {
    let m = new_dissector(16);
    let magic = m.h.cast::<[u8; 8]>();
    let mut st = mpd_stats::default();
    // SAFETY: `m.h` is a live block; its first 8 bytes are written through
    // the raw pointer only while no call runs.
    unsafe {
        let own = magic.read();
        assert_eq!(own[..3], *b"mpd", "readable tag");
        assert_eq!(u32::from(own[3]), MPD_ABI_VERSION);
        for other in [
            *b"mpdissc2",
            [own[0], own[1], own[2], 3, own[4], own[5], own[6], own[7]],
        ] {
            magic.write(other);
            assert_eq!(mpd_stats_get(m.h, &mut st), MPD_ERR_BAD_HANDLE, "{other:?}");
            assert_eq!(
                mpd_reset(m.h, SEED.as_ptr()),
                MPD_ERR_BAD_HANDLE,
                "{other:?}"
            );
        }
        magic.write(own);
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
    }
}

/// A pointer that is not a handle is refused after reading its first 16
/// bytes, even when nothing readable follows them: 16 zero bytes at the end
/// of a readable page, before 64 KiB of `PROT_NONE`, given to every entry
/// point that takes a handle. (Before the header was `repr(C)`, the magic
/// was read 5120 bytes in: a segmentation fault here.)
#[test]
#[cfg(target_os = "linux")]
#[cfg_attr(miri, ignore = "mmap / mprotect")]
fn a_non_handle_is_read_for_16_bytes_only() {
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap();
    let guard = 64 << 10;
    // SAFETY: a fresh anonymous private mapping; checked below.
    let map = unsafe {
        libc::mmap(
            null_mut(),
            page + guard,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED);
    let base = map.cast::<u8>();
    // SAFETY: the last `guard` bytes of the mapping just made.
    let rc = unsafe { libc::mprotect(base.add(page).cast(), guard, libc::PROT_NONE) };
    assert_eq!(rc, 0);
    // SAFETY: the last 16 bytes of the readable page (zeroed by mmap).
    let h = unsafe { base.add(page - 16) }.cast::<mpd_dissector>();
    let frame = [0u8; 60];
    let mut r = zero_result();
    let (mut c, mut s) = (mpd_conn_summary::default(), mpd_subflow_summary::default());
    let (mut rm, mut st, mut cur) = (mpd_removed::default(), mpd_stats::default(), 0u32);
    let mut out = [zero_result(); 1];
    let fr = mpd_frame {
        data: frame.as_ptr(),
        len: frame.len(),
        now: 0,
    };
    let mut done = 0usize;
    // SAFETY: `h` points to 16 readable bytes, all a handle check reads;
    // every other pointer is valid.
    unsafe {
        let statuses = [
            mpd_dissect(h, frame.as_ptr(), 60, 1, 0, &mut r),
            mpd_dissect_rx(h, frame.as_ptr(), 60, 1, 0, 0, &mut r),
            mpd_dissect_burst(h, &fr, 1, 1, out.as_mut_ptr()),
            mpd_dissect_burst_rx(h, &fr, 1, 1, null(), out.as_mut_ptr()),
            mpd_dissect_burst_part(h, &fr, 1, 1, null(), out.as_mut_ptr(), &mut done),
            mpd_removed_get(h, 0, &mut rm),
            mpd_conn_get(h, 1, &mut c),
            mpd_subflow_get(h, 1, &mut s),
            mpd_conn_next(h, &mut cur, &mut c),
            mpd_subflow_next(h, &mut cur, &mut s),
            mpd_stats_get(h, &mut st),
            mpd_reset(h, SEED.as_ptr()),
        ];
        assert_eq!(statuses, [MPD_ERR_BAD_HANDLE; 12]);
        assert_eq!(libc::munmap(map, page + guard), 0);
    }
}

/// Runs a fixture through the ABI; returns (connections seen in events,
/// joins linked) and checks that nothing allocated.
/// Connections and joins the dissector reported, and the frames `mpd_peek`
/// flagged as carrying MP_CAPABLE and as MP_JOIN SYNs.
fn run_fixture(path: &str) -> (u64, u64, u64, u64) {
    let (link, frames) = read_pcap(path);
    let (mut capable, mut join_syns) = (0, 0);
    let m = new_dissector(64);
    let mut r = zero_result();
    let mut conns = 0;
    let mut joins = 0;
    let mut c = mpd_conn_summary::default();
    let mut s = mpd_subflow_summary::default();
    let mut st = mpd_stats::default();
    let mut rm = mpd_removed::default();
    let mut p = mpd_peek_info::default();
    let before = allocs();
    for (now, f) in &frames {
        // SAFETY: valid handle, frame and out pointers.
        unsafe {
            assert_eq!(
                mpd_peek(f.as_ptr(), f.len(), link, SEED.as_ptr(), &mut p),
                MPD_OK
            );
            capable += u64::from(p.has_capable);
            join_syns += u64::from(p.is_join_syn);
            assert_eq!(p._pad, 0);
            assert_eq!(
                mpd_dissect(m.h, f.as_ptr(), f.len(), link, *now, &mut r),
                MPD_OK
            );
            for e in &r.events[..r.n_events as usize] {
                match e.kind {
                    MPD_EVENT_NEW_CONNECTION => {
                        conns += 1;
                        // Over stale bytes: the padding is written too.
                        std::ptr::write_bytes(&mut c, 0xa5, 1);
                        assert_eq!(mpd_conn_get(m.h, e.conn_id, &mut c), MPD_OK);
                        assert_eq!(c._pad0, [0; 4]);
                        assert_eq!(c.serial, e.conn_serial);
                        assert_eq!(c.server_token, e.token);
                    }
                    MPD_EVENT_SUBFLOW_JOINED => {
                        joins += 1;
                        assert_eq!(mpd_subflow_get(m.h, e.subflow_id, &mut s), MPD_OK);
                        assert_eq!(s.conn_id, e.conn_id);
                    }
                    _ => {}
                }
            }
            for i in 0..r.n_removed {
                std::ptr::write_bytes(&mut rm, 0xa5, 1);
                assert_eq!(mpd_removed_get(m.h, i, &mut rm), MPD_OK);
                assert_eq!((rm._pad, rm.conn._pad0, rm.conn._pad), ([0; 3], [0; 4], 0));
            }
            assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        }
    }
    let mut cur = 0;
    let mut n = 0;
    // SAFETY: valid pointers.
    while unsafe { mpd_conn_next(m.h, &mut cur, &mut c) } == MPD_OK {
        n += 1;
    }
    cur = 0;
    // SAFETY: valid pointers.
    while unsafe { mpd_subflow_next(m.h, &mut cur, &mut s) } == MPD_OK {}
    assert_eq!(allocs(), before, "{path}: the C ABI allocated");
    assert!(n <= conns);
    assert_eq!(st.packets, frames.len() as u64);
    assert_eq!(st.connections, conns);
    (conns, joins, capable, join_syns)
}

#[test]
fn fixtures_run_without_allocating() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    let (c, j, _, _) = run_fixture(&format!("{root}linux/v1-csum-on.pcap"));
    assert!(c >= 1 && j >= 1, "{c} {j}");
    // `mpd_peek`'s MP_CAPABLE and MP_JOIN SYN flags, against tshark 4.4's
    // counts (`tcp.options.mptcp.subtype == 0`, and `== 1` with SYN and
    // without ACK). In `malformed.pcap` tshark counts one of each, but both
    // are invalid (an MP_CAPABLE of length 4, an MP_JOIN SYN of length 13),
    // options the dissector rejects, so they flag nothing.
    for (f, capable, join_syns) in [
        ("linux/v1-csum-on.pcap", 5, 1),
        ("linux/v1-addaddr-v4v6.pcap", 3, 2),
        ("linux/v1-fastclose.pcap", 5, 1),
        ("linux/v1-mpfail.pcap", 4, 0),
        ("crafted/v0-handshake.pcap", 3, 1),
        ("crafted/malformed.pcap", 0, 0),
        ("public/tcpdump_mptcp-v1.pcap", 4, 0),
    ] {
        let (_, _, c, j) = run_fixture(&format!("{root}{f}"));
        assert_eq!(
            (c, j),
            (capable, join_syns),
            "{f}: MP_CAPABLE frames, join SYNs"
        );
    }
}

/// Every live connection's and subflow's summary, by id.
fn live_summaries(
    h: *const mpd_dissector,
) -> (
    std::collections::HashMap<u64, mpd_conn_summary>,
    std::collections::HashMap<u64, mpd_subflow_summary>,
) {
    let (mut conns, mut subs) = (
        std::collections::HashMap::new(),
        std::collections::HashMap::new(),
    );
    let (mut cur, mut c, mut sf) = (
        0u32,
        mpd_conn_summary::default(),
        mpd_subflow_summary::default(),
    );
    // SAFETY: valid handle, cursor and outs.
    while unsafe { mpd_conn_next(h, &mut cur, &mut c) } == MPD_OK {
        conns.insert(c.id, c);
    }
    cur = 0;
    // SAFETY: as above.
    while unsafe { mpd_subflow_next(h, &mut cur, &mut sf) } == MPD_OK {
        subs.insert(sf.id, sf);
    }
    (conns, subs)
}

/// An entry read back with `mpd_removed_get` is the summary it had right
/// before the call that removed it — verdict, evidence and analysis
/// counters included — with a connection's `end` set by its removal. Small
/// tables over captures with DSS verdicts, mirroring and stripping (entries
/// with analysis are evicted), then frames hours later until every entry
/// has expired.
#[test]
fn removed_entries_keep_their_analysis() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    let (mut with_dss, mut with_verdict, mut subflows) = (0, 0, 0);
    for f in [
        "linux/v1-csum-on.pcap",
        "linux/v1-addaddr-v4v6.pcap",
        "linux/v1-stripped.pcap",
        "crafted/v1-mirrored.pcap",
        "public/tcpdump_mptcp-v1.pcap",
    ] {
        let (link, frames) = read_pcap(&format!("{root}{f}"));
        for cap in [1u32, 2] {
            let m = new_dissector(cap);
            let mut r = zero_result();
            let mut rm = mpd_removed::default();
            // The capture, then its last frame again, hours later, until
            // every entry has expired (a few per call).
            let (end, last) = frames.last().map(|(t, fr)| (*t, fr.clone())).unwrap();
            let later = (1..=64u64).map(|k| (end + k * 3 * 3_600_000_000_000, last.clone()));
            let all: Vec<(u64, Vec<u8>)> = frames.iter().cloned().chain(later).collect();
            for (i, (now, fr)) in all.iter().enumerate() {
                let (conns, subs) = live_summaries(m.h);
                // SAFETY: valid pointers.
                unsafe {
                    assert_eq!(
                        mpd_dissect(m.h, fr.as_ptr(), fr.len(), link, *now, &mut r),
                        MPD_OK
                    );
                }
                for k in 0..r.n_removed {
                    // SAFETY: valid pointers.
                    assert_eq!(unsafe { mpd_removed_get(m.h, k, &mut rm) }, MPD_OK);
                    if rm.table == MPD_TABLE_CONNECTION {
                        let mut before = conns[&rm.conn.id];
                        before.end = rm.conn.end;
                        assert_eq!(
                            rm.conn, before,
                            "{f} cap {cap} frame {i}: removed connection"
                        );
                        with_dss += usize::from(rm.conn.dss_valid > 0);
                        with_verdict += usize::from(rm.conn.verdict != MPD_VERDICT_UNKNOWN);
                    } else {
                        assert_eq!(
                            rm.subflow, subs[&rm.subflow.id],
                            "{f} cap {cap} frame {i}: removed subflow"
                        );
                        subflows += 1;
                    }
                }
            }
            let (conns, subs) = live_summaries(m.h);
            assert!(
                conns.is_empty() && subs.is_empty(),
                "{f} cap {cap}: not all expired"
            );
        }
    }
    assert!(
        with_dss > 0 && with_verdict > 0 && subflows > 0,
        "{with_dss} {with_verdict} {subflows}"
    );
}

#[test]
fn small_table_reports_removals() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    let (link, frames) = read_pcap(&format!("{root}linux/v1-addaddr-v4v6.pcap"));
    let m = new_dissector(1);
    let mut r = zero_result();
    let mut rm = mpd_removed::default();
    let mut removed = 0;
    for (now, f) in &frames {
        // SAFETY: valid pointers.
        unsafe {
            assert_eq!(
                mpd_dissect(m.h, f.as_ptr(), f.len(), link, *now, &mut r),
                MPD_OK
            );
            for i in 0..r.n_removed {
                assert_eq!(mpd_removed_get(m.h, i, &mut rm), MPD_OK);
                assert!(rm.table == MPD_TABLE_SUBFLOW || rm.table == MPD_TABLE_CONNECTION);
                removed += 1;
            }
            assert_eq!(
                mpd_removed_get(m.h, r.n_removed, &mut rm),
                MPD_ERR_NOT_FOUND
            );
        }
    }
    assert!(removed > 0);
}

fn cstr(p: *const std::ffi::c_char) -> &'static str {
    // SAFETY: the library returns static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap()
}

#[test]
fn analysis_numbers_are_pinned() {
    use mptcp_dissect::analysis::{MirrorEvidence, StripEvidence};
    assert_eq!(
        [MPD_DSS_VALID, MPD_DSS_INVALID, MPD_DSS_UNVERIFIABLE],
        [1, 2, 3]
    );
    assert_eq!(
        [
            MPD_DSS_REASON_GAP,
            MPD_DSS_REASON_TRUNCATED,
            MPD_DSS_REASON_NOT_NEGOTIATED,
            MPD_DSS_REASON_MISSING_CHECKSUM,
            MPD_DSS_REASON_INFINITE_MAPPING,
            MPD_DSS_REASON_OVERLAPPING_MAPPING,
            MPD_DSS_REASON_UNKNOWN_DSN,
        ],
        [1, 2, 3, 4, 5, 6, 7]
    );
    let reasons = [
        "gap",
        "truncated",
        "not_negotiated",
        "missing_checksum",
        "infinite_mapping",
        "overlapping_mapping",
        "unknown_dsn",
    ];
    for (i, n) in reasons.iter().enumerate() {
        assert_eq!(cstr(mpd_dss_reason_str(i as u8 + 1)), *n);
    }
    assert_eq!(cstr(mpd_dss_reason_str(0)), "unknown");
    assert_eq!(cstr(mpd_dss_reason_str(8)), "unknown");
    assert_eq!(
        [
            MPD_VERDICT_UNKNOWN,
            MPD_VERDICT_MPTCP,
            MPD_VERDICT_MIRRORED,
            MPD_VERDICT_STRIPPED,
            MPD_VERDICT_FALLBACK_AFTER_FAIL,
            MPD_VERDICT_PLAIN_TCP,
        ],
        [0, 1, 2, 3, 4, 5]
    );
    let verdicts = [
        "unknown",
        "mptcp",
        "mirrored",
        "stripped",
        "fallback_after_fail",
        "plain_tcp",
        "unknown",
    ];
    for (i, n) in verdicts.iter().enumerate() {
        assert_eq!(cstr(mpd_verdict_str(i as u8)), *n);
    }
    // Evidence bits are the core's, names as `mpdissect conns` prints them.
    let mirror = [
        MPD_MIRROR_V0_KEY_ECHO,
        MPD_MIRROR_V1_KEYLESS,
        MPD_MIRROR_JOIN_SYN_ECHO,
        MPD_MIRROR_OPTIONS_ECHO,
    ];
    assert_eq!(mirror, [1, 2, 4, 8]);
    for (b, (e, name)) in mirror.iter().zip(MirrorEvidence::ALL) {
        assert_eq!(*b, e.0);
        assert_eq!(cstr(mpd_mirror_evidence_str(*b)), name);
    }
    let strip = [
        MPD_STRIP_SYNACK,
        MPD_STRIP_THIRD_ACK,
        MPD_STRIP_FIRST_DATA,
        MPD_STRIP_JOIN_SYNACK,
    ];
    assert_eq!(strip, [1, 2, 4, 8]);
    for (b, (e, name)) in strip.iter().zip(StripEvidence::ALL) {
        assert_eq!(*b, e.0);
        assert_eq!(cstr(mpd_strip_evidence_str(*b)), name);
    }
    assert_eq!(cstr(mpd_mirror_evidence_str(3)), "unknown");
    assert_eq!(cstr(mpd_strip_evidence_str(0)), "unknown");
    assert_eq!(
        [
            MPD_MP_FAIL_FLAGGED,
            MPD_MP_FAIL_NOT_FLAGGED,
            MPD_MP_FAIL_ECHO
        ],
        [1, 2, 3]
    );
}

#[test]
fn struct_layouts_are_pinned() {
    use std::mem::{align_of, size_of};
    assert_eq!(
        (size_of::<mpd_endpoint>(), align_of::<mpd_endpoint>()),
        (20, 2)
    );
    assert_eq!((size_of::<mpd_event>(), align_of::<mpd_event>()), (80, 8));
    assert_eq!(size_of::<mpd_result>(), 56 + 8 * 80 + 40);
    assert_eq!(size_of::<mpd_conn_summary>(), 192);
    assert_eq!(size_of::<mpd_subflow_summary>(), 144);
    assert_eq!(size_of::<mpd_stats>(), 25 * 8);
    assert_eq!(
        (size_of::<mpd_options>(), align_of::<mpd_options>()),
        (8, 1)
    );
}

/// The size of the field `f` picks.
fn field_size<T, F>(_f: impl Fn(&T) -> &F) -> usize {
    std::mem::size_of::<F>()
}

/// Asserts that the fields, listed in declaration order, follow each other
/// without a gap and fill the struct: no implicit padding, whose bytes a
/// by-value write would fill with whatever was on the library's stack.
macro_rules! no_padding {
    ($t:ty, [$($f:ident),+ $(,)?]) => {{
        let mut at = 0usize;
        $(
            assert_eq!(
                std::mem::offset_of!($t, $f),
                at,
                "{}: padding before {}",
                stringify!($t),
                stringify!($f)
            );
            at += field_size(|v: &$t| &v.$f);
        )+
        assert_eq!(at, std::mem::size_of::<$t>(), "{}: padding at the end", stringify!($t));
    }};
}

/// Every C struct's padding is an explicit field, zero when the library
/// writes the struct (`mpd_conn_summary` had 4 implicit bytes at offset 60,
/// before `client_key`; they are `_pad0` now, no other offset moved).
#[test]
#[rustfmt::skip]
fn c_structs_have_no_implicit_padding() {
    no_padding!(mpd_endpoint, [family, _pad, port, addr]);
    no_padding!(mpd_event, [
        kind, reason, conn_id, subflow_id, value, conn_serial, token, addr, role, hmac, addr_id,
        has_addr_id, has_port, addr_class, echo, backup, table, evict_class, dss_reason,
        tcp_verified, data_len, evidence, _pad
    ]);
    no_padding!(mpd_result, [
        kind, dir, role, option_errors, tcp_flags, src_port, dst_port, _pad, seq, ack, payload_len,
        conn_id, subflow_id, conn_serial, n_events, events_dropped, n_removed, events, src, dst
    ]);
    no_padding!(mpd_conn_summary, [
        id, serial, version, checksum, fallback, fastclose, end, has_client_key, has_data_fin_c2s,
        has_data_fin_s2c, client, server, _pad0, client_key, server_key, client_idsn, server_idsn,
        client_token, server_token, data_fin_c2s, data_fin_s2c, reinjected_c2s, reinjected_s2c,
        mp_fail_dsn, subflows_linked, subflows_established, subflows_reset, joins_rejected,
        remove_addr, mp_prio, mp_fail, addr_overflow, verdict, mirror_evidence, strip_evidence,
        infinite_mapping, dss_valid, dss_invalid, dss_unverifiable, dss_not_negotiated,
        tcp_checksum_errors, mp_fail_flagged, mp_fail_not_flagged, mp_fail_echo, _pad
    ]);
    no_padding!(mpd_subflow_summary, [
        id, conn_id, src, dst, syn_ts, bytes_c2s, bytes_s2c, rtt_us, linked, kind, state, end,
        established, backup, addr_id, hmac, has_rtt, verdict, mirror_evidence, strip_evidence,
        dss_valid, dss_invalid, dss_unverifiable, dss_not_negotiated, tcp_checksum_errors,
        ts_rtt_min_us, ts_rtt_avg_us, ts_rtt_samples, dss_pending, _pad
    ]);
    no_padding!(mpd_removed, [table, _pad, cause, conn, subflow]);
    no_padding!(mpd_stats, [
        packets, not_ip, malformed, non_tcp, tcp, mptcp, option_errors, untracked, subflows,
        connections, subflows_evicted, subflows_expired, connections_evicted, connections_expired,
        table_full, join_unknown_token, join_rejected, token_collisions, events_dropped,
        removed_dropped, dss_valid, dss_invalid, dss_unverifiable, dss_not_negotiated,
        tcp_checksum_bad
    ]);
    no_padding!(mpd_options, [
        verify_tcp_checksum, dss_all_events, burst_pipeline_from, evict_hints_from, _reserved
    ]);
    no_padding!(mpd_peek_info, [flow_hash, join_token, is_tcp, is_join_syn, has_capable, _pad]);
    no_padding!(mpd_frame, [data, len, now]);
    assert_eq!(std::mem::offset_of!(mpd_conn_summary, _pad0), 60);
    assert_eq!(std::mem::offset_of!(mpd_conn_summary, client_key), 64);
}

/// A dissector initialised with options.
fn new_dissector_ex(cap: u32, o: &mpd_options) -> Mem {
    let (mut size, mut align) = (0usize, 0usize);
    // SAFETY: valid out pointers.
    assert_eq!(
        unsafe { mpd_dissector_size(cap, &mut size, &mut align) },
        MPD_OK
    );
    let mut buf = vec![Line::ZERO; size.div_ceil(64)];
    let mut h = null_mut();
    // SAFETY: buffer of `size` bytes, aligned to 64 ≥ align.
    let s = unsafe {
        mpd_dissector_init_ex(buf.as_mut_ptr().cast(), size, cap, SEED.as_ptr(), o, &mut h)
    };
    assert_eq!(s, MPD_OK);
    Mem { buf, h }
}

#[test]
fn init_ex_checks_options() {
    let (mut size, mut align) = (0usize, 0usize);
    // SAFETY: valid out pointers.
    unsafe { mpd_dissector_size(16, &mut size, &mut align) };
    let mut buf = vec![Line::ZERO; size / 64 + 2];
    let base: *mut u8 = buf.as_mut_ptr().cast();
    let mut h = null_mut();
    let bad = [
        mpd_options {
            verify_tcp_checksum: 2,
            ..Default::default()
        },
        mpd_options {
            dss_all_events: 7,
            ..Default::default()
        },
        mpd_options {
            _reserved: [0, 0, 0, 1],
            ..Default::default()
        },
        mpd_options {
            burst_pipeline_from: 31,
            ..Default::default()
        },
        mpd_options {
            evict_hints_from: 0xfd,
            ..Default::default()
        },
    ];
    let opts_bytes = [0u8; 16];
    // SAFETY: every pointer below is null or valid.
    unsafe {
        for o in &bad {
            assert_eq!(
                mpd_dissector_init_ex(base.cast(), size, 16, SEED.as_ptr(), o, &mut h),
                MPD_ERR_BAD_OPTIONS
            );
        }
        // mpd_options has alignment 1: any address is aligned.
        assert_eq!(
            mpd_dissector_init_ex(
                base.cast(),
                size,
                16,
                SEED.as_ptr(),
                opts_bytes.as_ptr().add(1).cast(),
                &mut h
            ),
            MPD_OK
        );
        assert_eq!(
            mpd_dissector_init_ex(base.cast(), size, 16, SEED.as_ptr(), null(), &mut h),
            MPD_OK
        );
    }
}

/// Per fixture: the mapping events (with `dss_all_events`) sum to the
/// stats counters and to the live connections' summary counters, every
/// new event kind carries its documented fields.
#[test]
fn analysis_events_and_counters_agree() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    let mut total_mappings = 0;
    let mut verdicts_seen = 0u32;
    for f in [
        "linux/v1-csum-on.pcap",
        "linux/v1-csum-off.pcap",
        "linux/v1-mpfail.pcap",
        "crafted/v0-handshake.pcap",
        "public/tcpdump_mptcp-v1.pcap",
    ] {
        let (link, frames) = read_pcap(&format!("{root}{f}"));
        let o = mpd_options {
            verify_tcp_checksum: 1,
            dss_all_events: 1,
            ..Default::default()
        };
        let m = new_dissector_ex(4096, &o);
        let mut r = zero_result();
        let mut ev = [0u64; 4];
        let mut bad_tcp = 0u64;
        let before = allocs();
        for (now, fr) in &frames {
            // SAFETY: valid pointers.
            unsafe {
                assert_eq!(
                    mpd_dissect(m.h, fr.as_ptr(), fr.len(), link, *now, &mut r),
                    MPD_OK
                );
            }
            assert_eq!(r.events_dropped, 0, "{f}");
            if r.kind >= MPD_KIND_TCP {
                assert!(r.src.family == 4 || r.src.family == 6);
                assert_eq!(r.src.port, r.src_port);
                assert_eq!(r.dst.port, r.dst_port);
            }
            for e in &r.events[..r.n_events as usize] {
                match e.kind {
                    MPD_EVENT_MAPPING => {
                        assert!(e.conn_id != 0 && e.subflow_id != 0 && e.role != 0);
                        let i = match (e.reason, e.dss_reason) {
                            (MPD_DSS_VALID, 0) => 0,
                            (MPD_DSS_INVALID, 0) => 1,
                            (MPD_DSS_UNVERIFIABLE, MPD_DSS_REASON_NOT_NEGOTIATED) => 3,
                            (MPD_DSS_UNVERIFIABLE, 1..=6) => 2,
                            x => panic!("{f}: mapping {x:?}"),
                        };
                        ev[i] += 1;
                    }
                    MPD_EVENT_TCP_CHECKSUM_BAD => {
                        assert!(e.subflow_id != 0);
                        bad_tcp += 1;
                    }
                    MPD_EVENT_MIRRORED | MPD_EVENT_STRIPPED => {
                        assert!(e.subflow_id != 0 && e.evidence != 0 && e.evidence < 16);
                    }
                    MPD_EVENT_MP_FAIL_MATCHED => {
                        assert!(e.conn_id != 0 && (1..=3).contains(&e.reason));
                    }
                    _ => {}
                }
            }
        }
        let mut st = mpd_stats::default();
        let mut c = mpd_conn_summary::default();
        let mut s = mpd_subflow_summary::default();
        let mut sums = [0u64; 4];
        let mut sub_sums = [0u64; 4];
        // SAFETY: valid pointers.
        unsafe {
            assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
            let mut cur = 0;
            while mpd_conn_next(m.h, &mut cur, &mut c) == MPD_OK {
                assert_ne!(c.verdict, MPD_VERDICT_UNKNOWN, "{f}");
                verdicts_seen |= 1 << c.verdict;
                for (x, v) in sums.iter_mut().zip([
                    c.dss_valid,
                    c.dss_invalid,
                    c.dss_unverifiable,
                    c.dss_not_negotiated,
                ]) {
                    *x += u64::from(v);
                }
            }
            cur = 0;
            while mpd_subflow_next(m.h, &mut cur, &mut s) == MPD_OK {
                assert_ne!(s.verdict, MPD_VERDICT_UNKNOWN, "{f}");
                for (x, v) in sub_sums.iter_mut().zip([
                    s.dss_valid,
                    s.dss_invalid,
                    s.dss_unverifiable,
                    s.dss_not_negotiated,
                ]) {
                    *x += u64::from(v);
                }
            }
        }
        assert_eq!(allocs(), before, "{f}: the C ABI allocated");
        let stats = [
            st.dss_valid,
            st.dss_invalid,
            st.dss_unverifiable,
            st.dss_not_negotiated,
        ];
        assert_eq!(ev, stats, "{f}: events vs stats");
        // Nothing was evicted (capacity 4096): the live entries hold it all.
        assert_eq!(sums, stats, "{f}: connection summaries vs stats");
        assert_eq!(sub_sums, stats, "{f}: subflow summaries vs stats");
        assert_eq!(bad_tcp, st.tcp_checksum_bad, "{f}");
        total_mappings += ev.iter().sum::<u64>();
    }
    assert!(total_mappings > 0);
    assert_ne!(verdicts_seen & (1 << MPD_VERDICT_MPTCP), 0);
}

/// `mpd_dissect_burst` gives what `mpd_dissect` frame by frame gives: the
/// same results and, per frame, the same removed entries (burst sizes 1, 5,
/// 64 and 200 on capacity-1 and capacity-64 handles, so removals happen
/// inside bursts), with no allocation; and it checks its arguments first.
/// The `mpd_frame`s of captured frames (`(now, bytes)`), for the burst calls.
fn c_frames(frames: &[(u64, Vec<u8>)]) -> Vec<mpd_frame> {
    frames
        .iter()
        .map(|(now, fr)| mpd_frame {
            data: fr.as_ptr(),
            len: fr.len(),
            now: *now,
        })
        .collect()
}

#[test]
fn burst_equals_frame_by_frame() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    for f in [
        "linux/v1-addaddr-v4v6.pcap",
        "linux/v1-csum-on.pcap",
        "linux/v1-mpfail.pcap",
        "crafted/v0-handshake.pcap",
        "crafted/malformed.pcap",
    ] {
        let (link, frames) = read_pcap(&format!("{root}{f}"));
        for (cap, pipeline) in [
            (1u32, MPD_FROM_DEFAULT),
            (64, MPD_FROM_DEFAULT),
            (64, MPD_FROM_NEVER),
            (1, MPD_FROM_ALWAYS),
            (64, MPD_FROM_ALWAYS),
            (64, 6),
        ] {
            // Bursts frame after frame (the default for tables this small,
            // and `NEVER`), or through the prefetching pipeline with the
            // eviction prefetch (`ALWAYS`; 6: from 2^6 subflows).
            let opts = mpd_options {
                burst_pipeline_from: pipeline,
                evict_hints_from: pipeline,
                ..Default::default()
            };
            // Frame by frame: each result and the removals of its call.
            let m = new_dissector(cap);
            let mut want = Vec::new();
            let mut want_removed: Vec<Vec<mpd_removed>> = Vec::new();
            let mut r = zero_result();
            for (now, fr) in &frames {
                let mut rms = Vec::new();
                // SAFETY: valid handle, frame and out pointers.
                unsafe {
                    assert_eq!(
                        mpd_dissect(m.h, fr.as_ptr(), fr.len(), link, *now, &mut r),
                        MPD_OK
                    );
                    for i in 0..r.n_removed {
                        let mut rm = mpd_removed::default();
                        assert_eq!(mpd_removed_get(m.h, i, &mut rm), MPD_OK);
                        rms.push(rm);
                    }
                }
                want.push(r);
                want_removed.push(rms);
            }
            for size in [1usize, 5, 64, 200] {
                let m = new_dissector_ex(cap, &opts);
                let mut got = Vec::new();
                let mut got_removed: Vec<Vec<mpd_removed>> = Vec::new();
                for chunk in frames.chunks(size) {
                    let fs = c_frames(chunk);
                    let mut out = vec![zero_result(); fs.len()];
                    let before = allocs();
                    // SAFETY: valid handle; `fs` and `out` hold `len` entries.
                    let s = unsafe {
                        mpd_dissect_burst(m.h, fs.as_ptr(), fs.len(), link, out.as_mut_ptr())
                    };
                    assert_eq!(allocs(), before, "{f}: the burst allocated");
                    assert_eq!(s, MPD_OK);
                    let mut from = 0;
                    for mut r in out {
                        let mut rms = Vec::new();
                        for i in from..r.n_removed {
                            let mut rm = mpd_removed::default();
                            // SAFETY: valid pointers.
                            assert_eq!(unsafe { mpd_removed_get(m.h, i, &mut rm) }, MPD_OK);
                            rms.push(rm);
                        }
                        // Per-frame numbering, as `mpd_dissect` reports it.
                        let n = r.n_removed - from;
                        from = r.n_removed;
                        r.n_removed = n;
                        got.push(r);
                        got_removed.push(rms);
                    }
                }
                let at = format!("{f}: capacity {cap}, pipeline {pipeline}, bursts of {size}");
                assert_eq!(got, want, "{at}");
                assert_eq!(got_removed, want_removed, "{at}: removed");
            }
        }
    }
}

#[test]
fn burst_checks_its_arguments_first() {
    let m = new_dissector(8);
    let syn = [0x45u8; 40];
    let good = mpd_frame {
        data: syn.as_ptr(),
        len: syn.len(),
        now: 0,
    };
    let bad = mpd_frame {
        data: null(),
        len: 4,
        now: 0,
    };
    let mut out = [zero_result(); 2];
    let sentinel = out;
    // SAFETY: every pointer is valid or deliberately null; nothing is
    // dissected on error.
    unsafe {
        assert_eq!(
            mpd_dissect_burst(null_mut(), &good, 1, 1, out.as_mut_ptr()),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect_burst(m.h, null(), 1, 1, out.as_mut_ptr()),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect_burst(m.h, &good, 1, 1, null_mut()),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect_burst(m.h, [good, bad].as_ptr(), 2, 1, out.as_mut_ptr()),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect_burst(m.h, &good, 1, 9999, out.as_mut_ptr()),
            MPD_ERR_BAD_LINKTYPE
        );
        assert_eq!(out, sentinel, "nothing written on error");
        let mut st = mpd_stats::default();
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 0, "nothing dissected on error");
        assert_eq!(mpd_dissect_burst(m.h, null(), 0, 1, null_mut()), MPD_OK);
        assert_eq!(
            mpd_dissect_burst(m.h, [good, good].as_ptr(), 2, 101, out.as_mut_ptr()),
            MPD_OK
        );
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 2);
    }
}

/// The TCP checksum verdict of a frame as a NIC would give it
/// (`MPD_RX_CSUM_GOOD` / `_BAD`, from the core's check of the whole
/// segment); `MPD_RX_CSUM_UNKNOWN` for a frame that is not a whole,
/// unfragmented TCP segment.
fn nic_verdict(link: u32, frame: &[u8]) -> u8 {
    use mptcp_dissect::dissector::TcpCheck;
    use mptcp_dissect::wire::frame::{parse_frame, LinkType};
    let f = parse_frame(frame, LinkType::from_pcap(link).unwrap()).ok();
    match f.and_then(|f| TcpCheck::of_frame(&f)) {
        None => MPD_RX_CSUM_UNKNOWN,
        Some(c) if c.valid => MPD_RX_CSUM_GOOD,
        Some(_) => MPD_RX_CSUM_BAD,
    }
}

#[test]
fn rx_checksum_verdicts_equal_verification() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    let mut bad_seen = 0u64;
    let mut mappings_checked = 0u64;
    for f in [
        "linux/v1-csum-on.pcap",
        "linux/v1-csum-off.pcap",
        "linux/v1-mpfail.pcap",
        "linux/v1-addaddr-v4v6.pcap",
        "linux/v1-lossy.pcap",
        "crafted/v0-handshake.pcap",
        "crafted/malformed.pcap",
        "public/tcpdump_mptcp-v1.pcap",
    ] {
        let (link, frames) = read_pcap(&format!("{root}{f}"));
        let verify = mpd_options {
            verify_tcp_checksum: 1,
            dss_all_events: 1,
            ..Default::default()
        };
        let trust = mpd_options {
            verify_tcp_checksum: 0,
            dss_all_events: 1,
            ..Default::default()
        };
        // The dissector's own verification, the NIC's verdicts, and the
        // verdicts of a device that leaves the field unfilled (`INTACT`
        // for every right checksum: the DSS check sums the payload).
        let own = new_dissector_ex(4096, &verify);
        let nic = new_dissector_ex(4096, &trust);
        let intact = new_dissector_ex(4096, &trust);
        let (mut a, mut b, mut c) = (zero_result(), zero_result(), zero_result());
        for (i, (now, fr)) in frames.iter().enumerate() {
            let v = nic_verdict(link, fr);
            bad_seen += u64::from(v == MPD_RX_CSUM_BAD);
            let w = if v == MPD_RX_CSUM_GOOD {
                MPD_RX_CSUM_INTACT
            } else {
                v
            };
            // SAFETY: valid handles, frames and out pointers.
            unsafe {
                assert_eq!(
                    mpd_dissect(own.h, fr.as_ptr(), fr.len(), link, *now, &mut a),
                    MPD_OK
                );
                assert_eq!(
                    mpd_dissect_rx(nic.h, fr.as_ptr(), fr.len(), link, *now, v, &mut b),
                    MPD_OK
                );
                assert_eq!(
                    mpd_dissect_rx(intact.h, fr.as_ptr(), fr.len(), link, *now, w, &mut c),
                    MPD_OK
                );
            }
            assert_eq!(a, b, "{f} frame {i}: NIC verdict {v}");
            assert_eq!(a, c, "{f} frame {i}: verdict {w}");
            mappings_checked += u64::from(a.n_events);
        }
        let (mut sa, mut sb, mut sc) = (
            mpd_stats::default(),
            mpd_stats::default(),
            mpd_stats::default(),
        );
        // SAFETY: valid pointers.
        unsafe {
            assert_eq!(mpd_stats_get(own.h, &mut sa), MPD_OK);
            assert_eq!(mpd_stats_get(nic.h, &mut sb), MPD_OK);
            assert_eq!(mpd_stats_get(intact.h, &mut sc), MPD_OK);
        }
        assert_eq!(sa, sb, "{f}: counters");
        assert_eq!(sa, sc, "{f}: counters");
    }
    assert!(bad_seen > 0, "no fixture frame has a bad TCP checksum");
    assert!(mappings_checked > 0);
}

/// `mpd_dissect_burst_rx` in bursts of several sizes (crossing the
/// 64-frame chunks the C ABI hands to the core) gives each frame the result
/// `mpd_dissect_rx` gives it with the same receive state, and leaves the
/// same counters; the states mix every value (a NIC's verdicts, `INTACT` on
/// every other good frame, `UNKNOWN` on every fifth frame).
#[test]
fn burst_rx_equals_rx_frame_by_frame() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    let mut states = [0u64; 4];
    for f in [
        "linux/v1-csum-on.pcap",
        "linux/v1-mpfail.pcap",
        "linux/v1-lossy.pcap",
        "crafted/malformed.pcap",
        "public/tcpdump_mptcp-v1.pcap",
    ] {
        let (link, frames) = read_pcap(&format!("{root}{f}"));
        let rx: Vec<u8> = frames
            .iter()
            .enumerate()
            .map(|(i, (_, fr))| match nic_verdict(link, fr) {
                _ if i % 5 == 4 => MPD_RX_CSUM_UNKNOWN,
                MPD_RX_CSUM_GOOD if i % 2 == 1 => MPD_RX_CSUM_INTACT,
                v => v,
            })
            .collect();
        for &v in &rx {
            states[usize::from(v)] += 1;
        }
        for verify in [0u8, 1] {
            let o = mpd_options {
                verify_tcp_checksum: verify,
                dss_all_events: 1,
                ..Default::default()
            };
            let one = new_dissector_ex(4096, &o);
            let mut want = Vec::new();
            let mut r = zero_result();
            for ((now, fr), &v) in frames.iter().zip(&rx) {
                // SAFETY: valid handle, frame and out pointers.
                let s =
                    unsafe { mpd_dissect_rx(one.h, fr.as_ptr(), fr.len(), link, *now, v, &mut r) };
                assert_eq!(s, MPD_OK);
                want.push(r);
            }
            let mut want_st = mpd_stats::default();
            // SAFETY: valid pointers.
            assert_eq!(unsafe { mpd_stats_get(one.h, &mut want_st) }, MPD_OK);
            for size in [1usize, 7, 100] {
                let b = new_dissector_ex(4096, &o);
                let mut got = Vec::new();
                for (chunk, states) in frames.chunks(size).zip(rx.chunks(size)) {
                    let fs = c_frames(chunk);
                    let mut out = vec![zero_result(); fs.len()];
                    // SAFETY: valid handle; `fs`, `states` and `out` hold
                    // `len` entries.
                    let s = unsafe {
                        mpd_dissect_burst_rx(
                            b.h,
                            fs.as_ptr(),
                            fs.len(),
                            link,
                            states.as_ptr(),
                            out.as_mut_ptr(),
                        )
                    };
                    assert_eq!(s, MPD_OK);
                    let mut from = 0;
                    for mut r in out {
                        // Per-frame numbering, as `mpd_dissect_rx` reports it.
                        let n = r.n_removed - from;
                        from = r.n_removed;
                        r.n_removed = n;
                        got.push(r);
                    }
                }
                assert_eq!(got.len(), want.len());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(g, w, "{f}: verify {verify}, bursts of {size}, frame {i}");
                }
                let mut st = mpd_stats::default();
                // SAFETY: valid pointers.
                assert_eq!(unsafe { mpd_stats_get(b.h, &mut st) }, MPD_OK);
                assert_eq!(
                    st, want_st,
                    "{f}: verify {verify}, bursts of {size}: counters"
                );
            }
        }
    }
    assert!(
        states.iter().all(|&n| n > 0),
        "every state used: {states:?}"
    );
}

#[test]
fn burst_rx_checks_its_states_first() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    let (link, frames) = read_pcap(&format!("{root}linux/v1-csum-on.pcap"));
    let fs = c_frames(&frames[..3]);
    let m = new_dissector(64);
    let mut out = vec![zero_result(); 3];
    let sentinel = out.clone();
    let mut st = mpd_stats::default();
    // SAFETY: valid pointers; `fs`, the states and `out` hold 3 entries.
    unsafe {
        for bad in [4u8, 255] {
            let states = [MPD_RX_CSUM_GOOD, bad, MPD_RX_CSUM_GOOD];
            assert_eq!(
                mpd_dissect_burst_rx(m.h, fs.as_ptr(), 3, link, states.as_ptr(), out.as_mut_ptr()),
                MPD_ERR_BAD_RX_CSUM
            );
        }
        assert_eq!(out, sentinel, "nothing written on error");
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 0, "nothing dissected on a bad state");
        // A null state array is `mpd_dissect_burst`.
        assert_eq!(
            mpd_dissect_burst_rx(m.h, fs.as_ptr(), 3, link, null(), out.as_mut_ptr()),
            MPD_OK
        );
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 3);
    }
}

#[test]
fn rx_checksum_state_is_checked() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/");
    let (link, frames) = read_pcap(&format!("{root}linux/v1-csum-on.pcap"));
    let m = new_dissector(64);
    let (now, fr) = &frames[0];
    let mut r = zero_result();
    let mut st = mpd_stats::default();
    // SAFETY: valid pointers.
    unsafe {
        assert_eq!(
            mpd_dissect_rx(m.h, fr.as_ptr(), fr.len(), link, *now, 4, &mut r),
            MPD_ERR_BAD_RX_CSUM
        );
        assert_eq!(
            mpd_dissect_rx(m.h, fr.as_ptr(), fr.len(), link, *now, 255, &mut r),
            MPD_ERR_BAD_RX_CSUM
        );
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 0, "nothing is dissected on a bad state");
        assert_eq!(
            mpd_dissect_rx(null_mut(), fr.as_ptr(), fr.len(), link, *now, 1, &mut r),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect_rx(m.h, fr.as_ptr(), fr.len(), link, *now, 1, null_mut()),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect_rx(m.h, fr.as_ptr(), fr.len(), 9999, *now, 1, &mut r),
            MPD_ERR_BAD_LINKTYPE
        );
        assert_eq!(
            mpd_dissect_rx(m.h, fr.as_ptr(), fr.len(), link, *now, 1, &mut r),
            MPD_OK
        );
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 1);
    }
}

/// An Ethernet + IPv4 + TCP SYN offering MP_CAPABLE (v1) from
/// 10.0.0.1:`port` to 10.0.0.2:80: each one starts a new subflow.
fn mp_capable_syn(port: u16) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    // IPv4: 20 bytes of header, 24 of TCP (20 + the 4-byte MP_CAPABLE).
    f.extend_from_slice(&[0x45, 0, 0, 44, 0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend_from_slice(&port.to_be_bytes());
    f.extend_from_slice(&80u16.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]); // seq, ack
    f.extend_from_slice(&[6 << 4, 0x02, 0xff, 0xff, 0, 0, 0, 0]); // SYN
    f.extend_from_slice(&[30, 4, 0x01, 0x01]); // MP_CAPABLE v1, H flag
    f
}

/// A SYN refused with a RST, then a SYN with another ISN on the same
/// ports: the first subflow leaves the table as reused (state 8, reset in
/// its handshake, never established) and the second is a new subflow.
#[test]
fn a_reused_four_tuple_reports_the_old_subflow() {
    let m = new_dissector(64);
    let mut r = zero_result();
    let syn1 = mp_capable_syn(4000);
    let mut syn2 = mp_capable_syn(4000);
    syn2[14 + 24 + 3] = 9; // sequence number 9 instead of 1
    let mut rst = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    rst.extend_from_slice(&[0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0]);
    rst.extend_from_slice(&[10, 0, 0, 2, 10, 0, 0, 1]);
    rst.extend_from_slice(&80u16.to_be_bytes());
    rst.extend_from_slice(&4000u16.to_be_bytes());
    rst.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 2]); // seq 0, ack 2
    rst.extend_from_slice(&[5 << 4, 0x14, 0, 0, 0, 0, 0, 0]); // RST/ACK
    let mut s = mpd_subflow_summary::default();
    // SAFETY: live handle, frames and outs valid for the calls.
    unsafe {
        assert_eq!(
            mpd_dissect(m.h, syn1.as_ptr(), syn1.len(), 1, 1, &mut r),
            MPD_OK
        );
        let first = r.subflow_id;
        assert_ne!(first, 0);
        assert_eq!(
            mpd_dissect(m.h, rst.as_ptr(), rst.len(), 1, 2, &mut r),
            MPD_OK
        );
        assert_eq!(mpd_subflow_get(m.h, first, &mut s), MPD_OK);
        assert_eq!((s.state, s.established, s.end), (8, 0, MPD_SUBFLOW_RST));
        assert_eq!(r.n_removed, 0);
        assert_eq!(
            mpd_dissect(m.h, syn2.as_ptr(), syn2.len(), 1, 3, &mut r),
            MPD_OK
        );
        assert_eq!(r.n_removed, 1);
        let rm = removed_range(m.h, 0, 1)[0];
        assert_eq!((rm.table, rm.cause), (MPD_TABLE_SUBFLOW, MPD_CAUSE_REUSED));
        assert_eq!((rm.subflow.id, rm.subflow.state), (first, 8));
        assert_ne!(r.subflow_id, first);
        assert_eq!(mpd_subflow_get(m.h, r.subflow_id, &mut s), MPD_OK);
        assert_eq!(s.state, 1);
        assert_eq!(mpd_subflow_get(m.h, first, &mut s), MPD_ERR_NOT_FOUND);
    }
    drop(m.buf);
}

/// The removed entries `from .. to` of the last call on `h`.
fn removed_range(h: *mut mpd_dissector, from: u32, to: u32) -> Vec<mpd_removed> {
    (from..to)
        .map(|i| {
            let mut rm = mpd_removed::default();
            // SAFETY: live handle, writable out.
            assert_eq!(unsafe { mpd_removed_get(h, i, &mut rm) }, MPD_OK);
            rm
        })
        .collect()
}

/// A burst into a full table with a new flow in every frame makes a
/// removal per frame: `mpd_dissect_burst` keeps the first
/// `MPD_MAX_REMOVED` and counts the rest in `removed_dropped`, while
/// `mpd_dissect_burst_part` stops early enough to lose none. Called until
/// the burst is done, it gives exactly what `mpd_dissect` frame by frame
/// gives: results, removed entries, counters.
#[test]
fn burst_part_never_drops_a_removal() {
    let frames: Vec<(u64, Vec<u8>)> = (0..100u16)
        .map(|i| (u64::from(i) * 1000, mp_capable_syn(40000 + i)))
        .collect();
    // Frame by frame on a one-entry table: one removal a frame but the first.
    let single = new_dissector(1);
    let mut want = Vec::new();
    let mut want_removed = Vec::new();
    for (now, f) in &frames {
        let mut r = zero_result();
        // SAFETY: valid handle, frame and out pointers.
        let s = unsafe { mpd_dissect(single.h, f.as_ptr(), f.len(), 1, *now, &mut r) };
        assert_eq!(s, MPD_OK);
        want_removed.push(removed_range(single.h, 0, r.n_removed));
        want.push(r);
    }
    let total: u32 = want.iter().map(|r| r.n_removed).sum();
    assert_eq!(total, 99, "one subflow evicted a frame");
    let mut st_single = mpd_stats::default();
    // SAFETY: live handle, writable out.
    assert_eq!(unsafe { mpd_stats_get(single.h, &mut st_single) }, MPD_OK);
    assert_eq!(st_single.removed_dropped, 0);

    let fs = c_frames(&frames);
    // The whole burst at once: 16 kept, 83 dropped (and counted).
    let whole = new_dissector(1);
    let mut out = vec![zero_result(); fs.len()];
    // SAFETY: valid handle; `fs` and `out` hold `len` entries.
    let s = unsafe { mpd_dissect_burst(whole.h, fs.as_ptr(), fs.len(), 1, out.as_mut_ptr()) };
    assert_eq!(s, MPD_OK);
    assert_eq!(
        out.last().map(|r| r.n_removed),
        Some(MPD_MAX_REMOVED as u32)
    );
    let mut st = mpd_stats::default();
    // SAFETY: live handle, writable out.
    assert_eq!(unsafe { mpd_stats_get(whole.h, &mut st) }, MPD_OK);
    assert_eq!(
        st.removed_dropped,
        u64::from(total) - MPD_MAX_REMOVED as u64
    );

    // In parts: every removal kept, in order, with its frame.
    let part = new_dissector(1);
    let (mut got, mut got_removed) = (Vec::new(), Vec::new());
    let (mut at, mut calls) = (0, 0);
    while at < fs.len() {
        let rest = fs.get(at..).unwrap_or(&[]);
        let mut out = vec![zero_result(); rest.len()];
        let mut done = usize::MAX;
        let before = allocs();
        // SAFETY: valid handle; `rest` and `out` hold `len` entries; null
        // verdicts; `done` writable.
        let s = unsafe {
            mpd_dissect_burst_part(
                part.h,
                rest.as_ptr(),
                rest.len(),
                1,
                null(),
                out.as_mut_ptr(),
                &mut done,
            )
        };
        assert_eq!(allocs(), before, "the burst allocated");
        assert_eq!(s, MPD_OK);
        assert!(done >= 1 && done <= rest.len(), "progress: {done}");
        calls += 1;
        let mut from = 0;
        for mut r in out.into_iter().take(done) {
            got_removed.push(removed_range(part.h, from, r.n_removed));
            let n = r.n_removed - from;
            from = r.n_removed;
            r.n_removed = n;
            got.push(r);
        }
        assert!(from as usize <= MPD_MAX_REMOVED);
        at += done;
    }
    assert_eq!(got, want, "results in parts");
    assert_eq!(got_removed, want_removed, "removed entries in parts");
    // A call stops once fewer than 6 of the 16 entries are free, after 11
    // removals: 12 frames in the first call (its first frame evicts
    // nothing), 11 in each of the others.
    assert_eq!(calls, 9, "100 frames in calls of 12, then 11");
    // SAFETY: live handle, writable out.
    assert_eq!(unsafe { mpd_stats_get(part.h, &mut st) }, MPD_OK);
    assert_eq!(st, st_single, "the same counters, nothing dropped");

    // The stop also holds across the 64-frame chunks a burst is cut into:
    // 53 copies of one SYN (no removal), then new flows, the 11th of which
    // (frame 64, the last of the first chunk) leaves 5 entries free.
    let frames: Vec<(u64, Vec<u8>)> = (0..80u16)
        .map(|i| (u64::from(i), mp_capable_syn(50000 + i.saturating_sub(52))))
        .collect();
    let fs = c_frames(&frames);
    let m = new_dissector(1);
    let mut out = vec![zero_result(); fs.len()];
    let mut done = 0;
    // SAFETY: valid handle; `fs` and `out` hold `len` entries; `done`
    // writable.
    let s = unsafe {
        mpd_dissect_burst_part(
            m.h,
            fs.as_ptr(),
            fs.len(),
            1,
            null(),
            out.as_mut_ptr(),
            &mut done,
        )
    };
    assert_eq!(s, MPD_OK);
    assert_eq!(done, 64, "stopped at the end of the first chunk");
    assert_eq!(out.get(63).map(|r| r.n_removed), Some(11));
}

#[test]
fn burst_part_checks_its_arguments_first() {
    let m = new_dissector(8);
    let syn = mp_capable_syn(1234);
    let good = mpd_frame {
        data: syn.as_ptr(),
        len: syn.len(),
        now: 0,
    };
    let mut out = [zero_result(); 2];
    let mut done = [7usize; 2];
    let misaligned = done
        .as_mut_ptr()
        .cast::<u8>()
        .wrapping_add(1)
        .cast::<usize>();
    // SAFETY: every pointer is valid or deliberately null / misaligned;
    // nothing is dissected or written on error.
    unsafe {
        assert_eq!(
            mpd_dissect_burst_part(m.h, &good, 1, 1, null(), out.as_mut_ptr(), null_mut()),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect_burst_part(m.h, &good, 1, 1, null(), out.as_mut_ptr(), misaligned),
            MPD_ERR_MISALIGNED
        );
        assert_eq!(
            mpd_dissect_burst_part(
                null_mut(),
                &good,
                1,
                1,
                null(),
                out.as_mut_ptr(),
                &mut done[0]
            ),
            MPD_ERR_NULL
        );
        assert_eq!(
            mpd_dissect_burst_part(m.h, &good, 1, 9999, null(), out.as_mut_ptr(), &mut done[0]),
            MPD_ERR_BAD_LINKTYPE
        );
        assert_eq!(
            mpd_dissect_burst_part(
                m.h,
                &good,
                1,
                1,
                [9u8].as_ptr(),
                out.as_mut_ptr(),
                &mut done[0]
            ),
            MPD_ERR_BAD_RX_CSUM
        );
        assert_eq!(done, [7, 7], "done written only with MPD_OK");
        let mut st = mpd_stats::default();
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 0, "nothing dissected on error");
        assert_eq!(
            mpd_dissect_burst_part(m.h, null(), 0, 1, null(), null_mut(), &mut done[0]),
            MPD_OK
        );
        assert_eq!(done[0], 0);
        assert_eq!(
            mpd_dissect_burst_part(
                m.h,
                [good, good].as_ptr(),
                2,
                1,
                null(),
                out.as_mut_ptr(),
                &mut done[1]
            ),
            MPD_OK
        );
        assert_eq!(done[1], 2);
        assert_eq!(mpd_stats_get(m.h, &mut st), MPD_OK);
        assert_eq!(st.packets, 2);
    }
}

/// Removals are readable until the next dissecting call on the handle,
/// whatever that call returns: a failed `mpd_dissect` (bad link type, null
/// frame, null out), an empty burst, a failed burst and a burst part with
/// a null or misaligned `done` each leave none, so
/// a caller reading `mpd_removed_get` until `MPD_ERR_NOT_FOUND` after
/// every call never exports a removal twice.
#[test]
fn a_failed_or_empty_call_forgets_the_last_removals() {
    let m = new_dissector(1);
    let a = mp_capable_syn(40000);
    let b = mp_capable_syn(40001);
    // Each way of failing (or doing nothing), after a call that removed
    // the one flow of the one-entry table.
    type Call = fn(&Mem, &[u8]) -> mpd_status;
    let calls: [(&str, Call); 7] = [
        ("bad link type", |m, f| {
            let mut r = zero_result();
            // SAFETY: valid handle, frame and out pointers.
            unsafe { mpd_dissect(m.h, f.as_ptr(), f.len(), 0xdead, 0, &mut r) }
        }),
        ("null frame", |m, _| {
            let mut r = zero_result();
            // SAFETY: valid handle and out; a null frame of length 1 is
            // refused before any read.
            unsafe { mpd_dissect(m.h, std::ptr::null(), 1, 1, 0, &mut r) }
        }),
        ("null out", |m, f| {
            // SAFETY: valid handle and frame; a null out is refused.
            unsafe { mpd_dissect(m.h, f.as_ptr(), f.len(), 1, 0, std::ptr::null_mut()) }
        }),
        ("empty burst", |m, _| {
            // SAFETY: valid handle; nothing is read or written for n = 0.
            unsafe { mpd_dissect_burst(m.h, std::ptr::null(), 0, 1, std::ptr::null_mut()) }
        }),
        ("burst with a bad link type", |m, f| {
            let fr = mpd_frame {
                data: f.as_ptr(),
                len: f.len(),
                now: 0,
            };
            let mut r = zero_result();
            // SAFETY: valid handle, one readable frame, one writable result.
            unsafe { mpd_dissect_burst(m.h, &fr, 1, 0xdead, &mut r) }
        }),
        ("burst part with a null done", |m, f| {
            let fr = mpd_frame {
                data: f.as_ptr(),
                len: f.len(),
                now: 0,
            };
            let mut r = zero_result();
            // SAFETY: valid handle, frame and result; a null `done` is
            // refused.
            unsafe { mpd_dissect_burst_part(m.h, &fr, 1, 1, null(), &mut r, null_mut()) }
        }),
        ("burst part with a misaligned done", |m, f| {
            let fr = mpd_frame {
                data: f.as_ptr(),
                len: f.len(),
                now: 0,
            };
            let mut r = zero_result();
            let mut d = [0usize; 2];
            let done = d.as_mut_ptr().cast::<u8>().wrapping_add(1).cast::<usize>();
            // SAFETY: valid handle, frame and result; a misaligned `done`
            // is refused, never written.
            unsafe { mpd_dissect_burst_part(m.h, &fr, 1, 1, null(), &mut r, done) }
        }),
    ];
    for (i, (what, call)) in calls.iter().enumerate() {
        // Two new flows into a one-entry table: the second evicts the
        // first (times far apart, so the first has expired).
        let t = 1_000_000_000_000 * (i as u64 + 1);
        let mut r = zero_result();
        for (f, now) in [(&a, t), (&b, t + 400_000_000_000)] {
            // SAFETY: valid handle, frame and out pointers.
            let s = unsafe { mpd_dissect(m.h, f.as_ptr(), f.len(), 1, now, &mut r) };
            assert_eq!(s, MPD_OK);
        }
        assert!(r.n_removed > 0, "{what}: the setup removed nothing");
        let mut rm = mpd_removed::default();
        // SAFETY: live handle, writable out.
        assert_eq!(unsafe { mpd_removed_get(m.h, 0, &mut rm) }, MPD_OK);
        let s = call(&m, &a);
        assert_ne!(s == MPD_OK, *what != "empty burst", "{what}: status {s}");
        // SAFETY: as above.
        let after = unsafe { mpd_removed_get(m.h, 0, &mut rm) };
        assert_eq!(
            after, MPD_ERR_NOT_FOUND,
            "{what}: a removal is still readable"
        );
    }
}

/// A result buffer that shares bytes with what the call reads or owns is
/// refused with `MPD_ERR_OVERLAP`, before anything is dissected or
/// written: the frame dissected in place (the result over its bytes), the
/// result inside the handle's block, a burst's results over the frame
/// table, over a frame's bytes and over the receive verdicts. Results
/// right next to a frame, touching but not sharing a byte, are fine.
#[test]
fn a_result_over_its_inputs_is_refused() {
    let m = new_dissector(64);
    let syn = mp_capable_syn(40000);
    let rsize = std::mem::size_of::<mpd_result>();
    // One buffer for frames and results, aligned for `mpd_result`.
    let mut buf = vec![zero_result(); 8];
    let base = buf.as_mut_ptr().cast::<u8>();
    let stats = |m: &Mem| {
        let mut st = mpd_stats::default();
        // SAFETY: live handle, writable out.
        assert_eq!(unsafe { mpd_stats_get(m.h, &mut st) }, MPD_OK);
        st.packets
    };
    // SAFETY (whole block): `buf` holds 8 results; every pointer below is
    // inside it or the handle's block, readable and writable.
    unsafe {
        std::ptr::copy_nonoverlapping(syn.as_ptr(), base, syn.len());
        // In place: the result over the frame; then over its last byte only.
        let before: Vec<u8> = std::slice::from_raw_parts(base, rsize).to_vec();
        let out = base.cast::<mpd_result>();
        assert_eq!(
            mpd_dissect(m.h, base, syn.len(), 1, 1, out),
            MPD_ERR_OVERLAP
        );
        assert_eq!(
            std::slice::from_raw_parts(base, rsize),
            &before[..],
            "written"
        );
        let f = base.add(rsize - syn.len() + 1);
        std::ptr::copy(base, f, syn.len());
        assert_eq!(mpd_dissect(m.h, f, syn.len(), 1, 1, out), MPD_ERR_OVERLAP);
        // Touching: the frame ends where the result starts.
        let f = base.add(rsize - syn.len());
        std::ptr::copy(base, f, syn.len());
        let out1 = base.add(rsize).cast::<mpd_result>();
        assert_eq!(mpd_dissect(m.h, f, syn.len(), 1, 1, out1), MPD_OK);
        assert_eq!((*out1).kind, MPD_KIND_MPTCP);
        // The result inside the handle's own block (its first bytes).
        let inside = m.h.cast::<mpd_result>();
        assert_eq!(
            mpd_dissect(m.h, f, syn.len(), 1, 2, inside),
            MPD_ERR_OVERLAP
        );
        assert_eq!(stats(&m), 1, "a refused call dissected");

        // Bursts: frame table, frame bytes and verdicts in `frames_mem`,
        // results in `buf`, then moved over each input in turn.
        let frame_copy = syn.clone();
        let frames = [mpd_frame {
            data: frame_copy.as_ptr(),
            len: frame_copy.len(),
            now: 3,
        }; 2];
        let rx = [MPD_RX_CSUM_UNKNOWN; 2];
        let results = base.add(2 * rsize).cast::<mpd_result>();
        assert_eq!(
            mpd_dissect_burst_rx(m.h, frames.as_ptr(), 2, 1, rx.as_ptr(), results),
            MPD_OK
        );
        assert_eq!(stats(&m), 3);
        // Results over the frame table.
        let mut table = vec![zero_result(); 2];
        let t = table.as_mut_ptr();
        std::ptr::copy_nonoverlapping(
            frames.as_ptr().cast::<u8>(),
            t.cast::<u8>(),
            2 * std::mem::size_of::<mpd_frame>(),
        );
        let s = mpd_dissect_burst(m.h, t.cast::<mpd_frame>(), 2, 1, t);
        assert_eq!(s, MPD_ERR_OVERLAP, "results over the frame table");
        // Results over the second frame's bytes.
        let mut f2 = frames;
        f2[1].data = base.add(3 * rsize + 5);
        std::ptr::copy_nonoverlapping(syn.as_ptr(), base.add(3 * rsize + 5), syn.len());
        let s = mpd_dissect_burst(m.h, f2.as_ptr(), 2, 1, results);
        assert_eq!(s, MPD_ERR_OVERLAP, "results over a frame");
        // Results over the receive verdicts.
        let rxp = base.add(2 * rsize + 100);
        std::ptr::write_bytes(rxp, MPD_RX_CSUM_UNKNOWN, 2);
        let s = mpd_dissect_burst_rx(m.h, frames.as_ptr(), 2, 1, rxp, results);
        assert_eq!(s, MPD_ERR_OVERLAP, "results over the verdicts");
        // Results inside the handle's block.
        let s = mpd_dissect_burst(m.h, frames.as_ptr(), 2, 1, m.h.cast::<mpd_result>());
        assert_eq!(s, MPD_ERR_OVERLAP, "results inside the handle");
        assert_eq!(stats(&m), 3, "a refused burst dissected");
    }
}

/// Where an out pointer of type `T` shares bytes with the `size`-byte
/// block at `h` (its first byte, its middle, its last 8 bytes, and
/// straddling its start if `T` is larger than 8 bytes, else its first byte
/// again), and where it only touches it (ending where the block starts,
/// starting where it ends). All aligned for `T` (at most 8).
fn around_block<T>(h: *mut u8, size: usize) -> ([*mut T; 4], [*mut T; 2]) {
    let t = std::mem::size_of::<T>();
    let at = |p: *mut u8| p.cast::<T>();
    (
        [
            at(h),
            at(h.wrapping_add((size / 2) & !63)),
            at(h.wrapping_add(size - 8)),
            at(h.wrapping_sub(t.saturating_sub(8))),
        ],
        [at(h.wrapping_sub(t)), at(h.wrapping_add(size))],
    )
}

/// Every out pointer of every call on a handle, and the handle `out` of
/// `mpd_dissector_init`, is refused with `MPD_ERR_OVERLAP` when it shares
/// a byte with the dissector's block — before anything is written: the
/// block is byte for byte as it was, the removal buffer still reads the
/// same entry. (Before, only the dissecting calls checked: e.g.
/// `mpd_subflow_next(h, &cur, (mpd_subflow_summary *)h)` wrote a summary
/// over the removal buffer at the start of the block, and the next
/// `mpd_removed_get` read an invalid entry.) Out pointers that only touch
/// the block are fine.
#[test]
fn an_out_pointer_into_the_block_is_refused() {
    let (mut size, mut align) = (0usize, 0usize);
    // SAFETY: valid out pointers.
    assert_eq!(
        unsafe { mpd_dissector_size(1, &mut size, &mut align) },
        MPD_OK
    );
    // The block, with 8 spare lines on each side.
    let mut buf = vec![Line::ZERO; size / 64 + 16];
    let mem = buf.as_mut_ptr().wrapping_add(8).cast::<u8>();
    let mut h = null_mut();
    // SAFETY: `size` bytes at `mem`, 64-aligned, inside `buf`.
    let s = unsafe { mpd_dissector_init(mem.cast(), size, 1, SEED.as_ptr(), &mut h) };
    assert_eq!(s, MPD_OK);
    // Two new flows into the one-entry table: the second evicts the first,
    // one removal to read back; the second stays live.
    let (a, b) = (mp_capable_syn(40000), mp_capable_syn(40001));
    let mut r = zero_result();
    for (f, now) in [(&a, 1_000_000_000_000u64), (&b, 1_400_000_000_000)] {
        // SAFETY: valid handle, frame and out pointers.
        let s = unsafe { mpd_dissect(h, f.as_ptr(), f.len(), 1, now, &mut r) };
        assert_eq!(s, MPD_OK);
    }
    assert_eq!(r.n_removed, 1);
    let live = r.subflow_id;
    let mut rm0 = mpd_removed::default();
    // SAFETY: live handle, writable out.
    assert_eq!(unsafe { mpd_removed_get(h, 0, &mut rm0) }, MPD_OK);
    // The block's bytes (not under Miri: padding written by typed copies
    // is uninitialised there).
    let block = || -> Vec<u8> {
        if cfg!(miri) {
            Vec::new()
        } else {
            // SAFETY: the `size` bytes of the block, inside `buf`.
            unsafe { std::slice::from_raw_parts(mem, size) }.to_vec()
        }
    };
    let before = block();
    let unchanged = |what: &str| {
        assert!(block() == before, "{what}: the block was written");
        let mut rm = mpd_removed::default();
        // SAFETY: live handle, writable out.
        assert_eq!(unsafe { mpd_removed_get(h, 0, &mut rm) }, MPD_OK, "{what}");
        assert_eq!(rm, rm0, "{what}: the removal buffer changed");
    };
    let mut cur: u32;
    // SAFETY (whole block): `h` is live; every out pointer is inside `buf`
    // (the block or its spare lines), aligned and writable.
    unsafe {
        let (inside, touching) = around_block::<mpd_removed>(mem, size);
        for (i, p) in inside.into_iter().enumerate() {
            assert_eq!(mpd_removed_get(h, 0, p), MPD_ERR_OVERLAP, "removed {i}");
            unchanged("mpd_removed_get");
        }
        for p in touching {
            assert_eq!(mpd_removed_get(h, 0, p), MPD_OK);
        }
        let (inside, touching) = around_block::<mpd_subflow_summary>(mem, size);
        for (i, p) in inside.into_iter().enumerate() {
            assert_eq!(mpd_subflow_get(h, live, p), MPD_ERR_OVERLAP, "get {i}");
            unchanged("mpd_subflow_get");
            cur = 0;
            assert_eq!(
                mpd_subflow_next(h, &mut cur, p),
                MPD_ERR_OVERLAP,
                "next {i}"
            );
            assert_eq!(cur, 0, "the cursor was advanced");
            unchanged("mpd_subflow_next");
        }
        for p in touching {
            assert_eq!(mpd_subflow_get(h, live, p), MPD_OK);
            cur = 0;
            assert_eq!(mpd_subflow_next(h, &mut cur, p), MPD_OK);
        }
        let (inside, touching) = around_block::<mpd_conn_summary>(mem, size);
        for (i, p) in inside.into_iter().enumerate() {
            assert_eq!(mpd_conn_get(h, 1, p), MPD_ERR_OVERLAP, "conn get {i}");
            cur = 0;
            assert_eq!(
                mpd_conn_next(h, &mut cur, p),
                MPD_ERR_OVERLAP,
                "conn next {i}"
            );
            unchanged("mpd_conn_get / mpd_conn_next");
        }
        for p in touching {
            assert_eq!(mpd_conn_get(h, 1, p), MPD_ERR_NOT_FOUND);
        }
        let (inside, touching) = around_block::<mpd_stats>(mem, size);
        for (i, p) in inside.into_iter().enumerate() {
            assert_eq!(mpd_stats_get(h, p), MPD_ERR_OVERLAP, "stats {i}");
            unchanged("mpd_stats_get");
        }
        for p in touching {
            assert_eq!(mpd_stats_get(h, p), MPD_OK);
            assert_eq!((*p).packets, 2);
        }
        // The cursors: inside the block, or under the summary.
        let (inside, _) = around_block::<u32>(mem, size);
        let mut s = mpd_subflow_summary::default();
        let mut c = mpd_conn_summary::default();
        for (i, p) in inside.into_iter().take(3).enumerate() {
            assert_eq!(
                mpd_subflow_next(h, p, &mut s),
                MPD_ERR_OVERLAP,
                "cursor {i}"
            );
            assert_eq!(mpd_conn_next(h, p, &mut c), MPD_ERR_OVERLAP, "cursor {i}");
            unchanged("a cursor in the block");
        }
        let mut both = [mpd_subflow_summary::default(); 2];
        let under = std::ptr::addr_of_mut!(both[0].rtt_us);
        assert_eq!(
            mpd_subflow_next(h, under, both.as_mut_ptr()),
            MPD_ERR_OVERLAP
        );
        assert_eq!(both[0], mpd_subflow_summary::default(), "written");

        // `done` of a burst part: in the block, or over the results. A
        // refused call dissects nothing (but forgets the removals, as
        // every dissecting call on a valid handle: an empty burst first,
        // so that the block no longer changes).
        assert_eq!(mpd_dissect_burst(h, null(), 0, 1, null_mut()), MPD_OK);
        let before = block();
        let fr = mpd_frame {
            data: a.as_ptr(),
            len: a.len(),
            now: 1_500_000_000_000,
        };
        let (inside, _) = around_block::<usize>(mem, size);
        let mut out = [zero_result(); 1];
        for (i, p) in inside.into_iter().take(3).enumerate() {
            let s = mpd_dissect_burst_part(h, &fr, 1, 1, null(), out.as_mut_ptr(), p);
            assert_eq!(s, MPD_ERR_OVERLAP, "done {i}");
            assert!(block() == before, "done {i}: the block was written");
        }
        let over = std::ptr::addr_of_mut!(out[0].conn_id).cast::<usize>();
        let s = mpd_dissect_burst_part(h, &fr, 1, 1, null(), out.as_mut_ptr(), over);
        assert_eq!(s, MPD_ERR_OVERLAP, "done over the results");
        let mut st = mpd_stats::default();
        assert_eq!(mpd_stats_get(h, &mut st), MPD_OK);
        assert_eq!(st.packets, 2, "a refused burst dissected");
        let mut done = 0usize;
        let s = mpd_dissect_burst_part(h, &fr, 1, 1, null(), out.as_mut_ptr(), &mut done);
        assert_eq!((s, done), (MPD_OK, 1));
    }

    // The handle of `mpd_dissector_init` inside the memory it initialises
    // (first byte, middle, last 8 bytes) is refused before anything is
    // written; right after it, it is fine.
    let mut other = vec![Line::ZERO; size / 64 + 1];
    let mem = other.as_mut_ptr().cast::<u8>();
    let (inside, touching) = around_block::<*mut mpd_dissector>(mem, size);
    for (i, p) in inside.into_iter().take(3).enumerate() {
        // SAFETY: `size` bytes at `mem`, 64-aligned; `p` inside them.
        let s = unsafe { mpd_dissector_init(mem.cast(), size, 1, SEED.as_ptr(), p) };
        assert_eq!(s, MPD_ERR_OVERLAP, "init {i}");
        assert!(other.iter().all(|l| l.0 == [0; 8]), "init {i}: written");
    }
    // SAFETY: as above; `touching[1]` is the spare line after the block.
    let s = unsafe { mpd_dissector_init(mem.cast(), size, 1, SEED.as_ptr(), touching[1]) };
    assert_eq!(s, MPD_OK);
    // SAFETY: just written by the call.
    assert_eq!(unsafe { *touching[1] }.cast::<u8>(), mem);
    drop(buf);
}
