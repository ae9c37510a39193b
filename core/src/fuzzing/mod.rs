//! Fuzzing oracles: pure functions over untrusted bytes that drive the wire
//! parsers and **assert** what their documentation promises.
//!
//! The targets in `fuzz/fuzz_targets/` are one-line calls into this module,
//! and `tests/fuzz_replay.rs` replays the committed corpus and regression
//! inputs through the very same functions on stable Rust, so an input
//! libFuzzer once found is a `cargo test` case forever.
//!
//! * [`tcp_options`] — the options area of a TCP header;
//! * [`mptcp_option`] — one whole kind-30 option, then the same bytes as
//!   field values for [`mptcp_roundtrip_structured`];
//! * [`frame`] — a captured frame, its first byte choosing the link type
//!   from [`LinkType::ALL`]; the options of a TCP segment found in it go on
//!   through [`tcp_options`].
//!
//! Beyond "never panics", the oracles check: the option iterator yields at
//! most one item per byte, terminates, reports strictly increasing offsets
//! inside the area and ends right after EOL or a structural error; every
//! decoded option restates its own bytes; every accepted MPTCP option
//! re-emits byte-identically and its length obeys an independent
//! restatement of the RFC/Linux length table; `emit` of any value either
//! fails as `Unrepresentable` (with `buffer_len` 0) or writes exactly
//! `buffer_len` bytes that parse back to the same value; the offsets and
//! slices of a [`Frame`] lie inside the frame, in order, without link
//! padding.
//!
//! Compiled with the `fuzzing` feature only; `no_std` and allocation-free
//! like the rest of the crate (it builds for `thumbv7em-none-eabihf`).

// An oracle exists to panic when the code under test breaks a promise, so
// the crate-wide denials (which keep the *parsers* panic-free) do not apply
// here: `assert!`, indexing into slices whose bounds were just asserted,
// and `unwrap` with a message are exactly how an oracle reports a bug; an
// arithmetic overflow in an oracle is a panic too (the fuzzer runs with
// debug assertions), which is what it should be.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use core::fmt::{self, Write as _};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire as w;
use crate::wire::frame::{parse_frame, Frame, FrameErrorReason, IpHeader, LinkType, Transport};
use crate::wire::ipv4::{self, Ipv4Packet};
use crate::wire::ipv6::{self, Ipv6Packet};
use crate::wire::mptcp::{
    subtype, subtype_name, AddAddr, AddAddrForm, DataAck, Dss, DssMapping, EmitError, MpCapable,
    MpExperimental, MpFail, MpFastclose, MpJoin, MpPrio, MpTcpRst, MptcpError, MptcpErrorReason,
    MptcpOption, RemoveAddr, Version, KIND_MPTCP,
};
use crate::wire::tcp::{self, TcpPacket};
use crate::wire::tcp_option::{
    kind, OptionError, OptionErrorReason, TcpOption, TcpOptions, MAX_SACK_BLOCKS,
};

mod view_check;

pub use view_check::{check_mptcp_bytes, check_mptcp_view, check_view};

/// Largest option: the length byte is a `u8`.
const MAX_OPTION: usize = u8::MAX as usize;
/// Filler written to emit buffers to catch writes past the reported size.
const POISON: u8 = 0xa5;

/// A `fmt::Write` that counts bytes, to run `Display`/`Debug` without
/// allocating.
struct Sink(usize);

impl fmt::Write for Sink {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

/// Renders `v` with `Display` and `Debug`; both must succeed, and the
/// `Display` text must not be empty.
fn render<T: fmt::Display + fmt::Debug>(v: &T) {
    let mut s = Sink(0);
    write!(s, "{v}").expect("Display must not fail");
    assert!(s.0 > 0, "empty Display for {v:?}");
    write!(s, "{v:?}").expect("Debug must not fail");
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

// ---------------------------------------------------------------------------
// TCP options
// ---------------------------------------------------------------------------

/// Whether the length of a well-framed option of a kind this crate decodes
/// is valid, restated from the RFCs independently of `tcp_option::decode`
/// (`None`: a kind decoded raw, any length ≥ 2 is fine).
fn classic_len_ok(kind_byte: u8, len: usize) -> Option<bool> {
    Some(match kind_byte {
        kind::MSS => len == 4,
        kind::WINDOW_SCALE => len == 3,
        kind::SACK_PERMITTED => len == 2,
        kind::SACK => len >= 10 && (len - 2) % 8 == 0 && (len - 2) / 8 <= MAX_SACK_BLOCKS,
        kind::TIMESTAMPS => len == 10,
        kind::FAST_OPEN => len == 2 || ((6..=18).contains(&len) && len % 2 == 0),
        kind::MD5 => len == 18,
        kind::TCP_AO | kind::EXPERIMENTAL_1 | kind::EXPERIMENTAL_2 => len >= 4,
        _ => return None,
    })
}

/// A decoded option (other than EOL and NOP) must restate its raw bytes.
fn check_decoded(opt: &TcpOption<'_>, raw: &[u8]) {
    assert_eq!(raw[0], opt.kind(), "kind of {opt:?}");
    let body = &raw[2..];
    match *opt {
        TcpOption::Eol | TcpOption::Nop => panic!("{opt:?} framed as kind/length"),
        TcpOption::Mss(v) => assert_eq!(body, v.to_be_bytes()),
        TcpOption::WindowScale(s) => assert_eq!(body, [s]),
        TcpOption::SackPermitted => assert!(body.is_empty()),
        TcpOption::Sack(blocks) => {
            assert_eq!(blocks.as_bytes(), body);
            assert_eq!(blocks.len(), body.len() / 8);
            assert!(!blocks.is_empty());
            let mut n = 0;
            for (i, (l, r)) in blocks.iter().enumerate() {
                assert_eq!(l, be32(&body[i * 8..]));
                assert_eq!(r, be32(&body[i * 8 + 4..]));
                n += 1;
            }
            assert_eq!(n, blocks.len());
            assert_eq!(blocks.get(blocks.len()), None);
        }
        TcpOption::Timestamps { tsval, tsecr } => {
            assert_eq!(body.len(), 8);
            assert_eq!((tsval, tsecr), (be32(body), be32(&body[4..])));
        }
        TcpOption::FastOpen { cookie } => assert_eq!(cookie, body),
        TcpOption::Md5 { digest } => assert_eq!(&digest[..], body),
        TcpOption::TcpAo {
            key_id,
            rnext_key_id,
            mac,
        } => assert_eq!((key_id, rnext_key_id, mac), (body[0], body[1], &body[2..])),
        TcpOption::Experimental {
            kind: k,
            exid,
            data,
        } => {
            assert!(k == kind::EXPERIMENTAL_1 || k == kind::EXPERIMENTAL_2);
            assert_eq!((exid, data), (be16(body), &body[2..]));
        }
        TcpOption::Unknown { kind: k, data } => {
            assert_eq!(data, body);
            assert!(
                classic_len_ok(k, raw.len()).is_none() && k != KIND_MPTCP,
                "kind {k} is decoded by this crate, not Unknown"
            );
        }
        TcpOption::Mptcp(ref m) => check_mptcp_accepted(m, raw),
    }
    if let Some(ok) = classic_len_ok(raw[0], raw.len()) {
        assert!(ok, "kind {} accepted with length {}", raw[0], raw.len());
    }
}

/// A rejected option: the error must describe the bytes at its offset.
fn check_option_error(e: &OptionError, area: &[u8], at: usize, next: usize) {
    render(e);
    assert_eq!(e.offset, at, "error offset");
    assert_eq!(e.kind, area[at], "error kind");
    let left = area.len() - at;
    match e.reason {
        OptionErrorReason::MissingLength => assert_eq!(left, 1),
        OptionErrorReason::LengthTooSmall(l) => {
            assert!(left >= 2 && area[at + 1] == l && l < 2);
        }
        OptionErrorReason::LengthBeyondEnd { len, available } => {
            assert!(left >= 2 && area[at + 1] == len);
            assert_eq!(available, left);
            assert!(usize::from(len) > left && len >= 2);
        }
        OptionErrorReason::BadLength(l) => {
            let raw = &area[at..next];
            assert_eq!(usize::from(l), raw.len());
            assert_eq!(raw[1], l);
            assert_eq!(
                classic_len_ok(e.kind, raw.len()),
                Some(false),
                "BadLength for kind {} length {l}",
                e.kind
            );
        }
        OptionErrorReason::Mptcp(m) => {
            let raw = &area[at..next];
            assert_eq!(e.kind, KIND_MPTCP);
            assert_eq!(usize::from(raw[1]), raw.len());
            assert_eq!(MptcpOption::parse(raw), Err(m));
            check_mptcp_rejected(&m, raw);
        }
    }
    if e.reason.is_structural() {
        assert_eq!(next, area.len(), "a structural error must end the area");
    }
}

/// Oracle for the TCP option iterator over an options area (the bytes
/// after the 20-byte TCP header).
///
/// Asserts: at most `area.len()` items, then `None` for good (fused);
/// `size_hint` bounds the count; offsets strictly increase and stay inside
/// the area; [`TcpOptions::indexed`] agrees with
/// [`TcpOptions::position`]; nothing follows EOL or a structural error; a
/// non-structural error skips exactly its length byte's worth; every
/// decoded option and every error restates its bytes (see
/// `check_decoded`); every MPTCP option goes through [`mptcp_option`]'s
/// checks.
pub fn tcp_options(area: &[u8]) {
    let n = area.len();
    let mut it = TcpOptions::new(area);
    let mut indexed = TcpOptions::new(area).indexed();
    let mut raw_it = TcpOptions::new(area);
    let mut view_it = TcpOptions::new(area);
    let mut views = TcpOptions::new(area).views();
    let (_, upper) = it.size_hint();
    let upper = upper.expect("size_hint has an upper bound");
    assert!(upper <= n, "size_hint {upper} above the area length {n}");
    let mut items = 0usize;
    let mut prev: Option<usize> = None;
    let mut must_end = false;
    let mut ended = false;
    // One more round than items are possible, to see the final `None`.
    for _ in 0..=n {
        let at = it.position();
        let Some(item) = it.next() else {
            ended = true;
            break;
        };
        assert!(!must_end, "item {item:?} after EOL or a structural error");
        items += 1;
        assert!(items <= n, "{items} items from {n} bytes");
        assert!(items <= upper, "more items than size_hint promised");
        assert!(at < n, "item at offset {at} outside the {n}-byte area");
        if let Some(p) = prev {
            assert!(at > p, "offset {at} not after {p}");
        }
        prev = Some(at);
        assert_eq!(indexed.next(), Some((at, item)), "indexed disagrees");
        let next = it.position();
        // The framing-only walk frames the same option the same way.
        match raw_it.next_raw() {
            Some(Ok(r)) => {
                // EOL is one byte, though it ends the walk (position = end).
                let end = if r.kind == kind::EOL { at + 1 } else { next };
                assert_eq!((r.offset, r.kind, r.bytes), (at, area[at], &area[at..end]));
                assert_eq!(r.decode(), item, "raw decode disagrees");
            }
            Some(Err(e)) => assert_eq!(Err(e), item, "raw structural error disagrees"),
            None => panic!("next_raw ended before the iterator"),
        }
        // The view walk: the same items (the same validation), each view's
        // accessors equal to the decoded item's fields.
        let view = view_it
            .next_view()
            .expect("next_view ended before the iterator");
        assert_eq!(views.next(), Some(view), "views() disagrees with next_view");
        assert_eq!(view_it.position(), next, "view walk position");
        match (&view, &item) {
            (Ok(v), Ok(o)) => {
                let end = if v.kind() == kind::EOL { at + 1 } else { next };
                assert_eq!((v.offset(), v.bytes()), (at, &area[at..end]), "view bytes");
                check_view(v, o);
            }
            (Err(ve), Err(e)) => assert_eq!(ve, e, "view walk error disagrees"),
            _ => panic!("view walk {view:?}, decoding walk {item:?}"),
        }
        assert!(next > at && next <= n, "position {at} -> {next} of {n}");
        match item {
            Ok(TcpOption::Eol) => {
                assert_eq!(area[at], kind::EOL);
                assert_eq!(next, n, "EOL must consume the rest");
                must_end = true;
            }
            Ok(TcpOption::Nop) => {
                assert_eq!(area[at], kind::NOP);
                assert_eq!(next, at + 1);
            }
            Ok(opt) => {
                let raw = &area[at..next];
                assert!(raw.len() >= 2 && usize::from(raw[1]) == raw.len());
                check_decoded(&opt, raw);
            }
            Err(e) => {
                check_option_error(&e, area, at, next);
                if e.reason.is_structural() {
                    must_end = true;
                } else {
                    assert_eq!(next, at + usize::from(area[at + 1]));
                }
            }
        }
        if !must_end {
            let (_, up) = it.size_hint();
            assert_eq!(up, Some(n - next), "size_hint after {at}");
        }
    }
    assert!(ended, "iterator did not end within {n} items");
    assert_eq!(it.position(), n, "position once exhausted");
    assert_eq!(it.size_hint(), (0, Some(0)));
    assert_eq!(it.next(), None, "not fused");
    assert_eq!(indexed.next(), None, "indexed has more items");
    assert_eq!(indexed.next(), None, "indexed not fused");
    assert!(raw_it.next_raw().is_none(), "next_raw has more items");
    assert!(view_it.next_view().is_none(), "next_view has more items");
    assert_eq!(views.next(), None, "views() has more items");
}

// ---------------------------------------------------------------------------
// MPTCP options
// ---------------------------------------------------------------------------

/// Independent restatement of the length/version table of the sub-option
/// module docs (RFC 8684 / RFC 6824 as those docs apply them) for a
/// well-framed option: kind 30, length byte == size ≥ 3.
fn spec_accepts(raw: &[u8]) -> bool {
    let len = raw.len();
    let nibble = raw[2] & 0x0f;
    match raw[2] >> 4 {
        subtype::MP_CAPABLE => match nibble {
            0 => matches!(len, 12 | 20),
            1 => matches!(len, 4 | 12 | 20 | 22 | 24),
            _ => false,
        },
        subtype::MP_JOIN => matches!(len, 12 | 16 | 24),
        subtype::DSS => {
            let Some(&f) = raw.get(3) else {
                return false;
            };
            let mut want = 4;
            if f & 0x01 != 0 {
                want += if f & 0x02 != 0 { 8 } else { 4 };
            }
            let map = f & 0x04 != 0;
            if map {
                want += if f & 0x08 != 0 { 8 } else { 4 } + 4 + 2;
            }
            len == want || (map && len == want + 2)
        }
        subtype::ADD_ADDR => matches!(
            (nibble, len),
            (4, 8 | 10) | (6, 20 | 22) | (1, 8 | 10 | 20 | 22) | (0, 16 | 18 | 28 | 30)
        ),
        // 3 + n ids, n >= 1 (RFC 8684 §3.4.2; no upper bound but the
        // one-byte length).
        subtype::REMOVE_ADDR => len >= 4,
        subtype::MP_PRIO => matches!(len, 3 | 4),
        subtype::MP_FAIL | subtype::MP_FASTCLOSE => len == 12,
        subtype::MP_TCPRST => len == 4,
        _ => true,
    }
}

/// A typed sub-option parser, its value dropped.
type TypedParse = fn(&[u8]) -> Result<(), MptcpError>;

/// The typed parser of `st` (None for 9..=14).
fn typed_parse(st: u8) -> Option<TypedParse> {
    Some(match st {
        subtype::MP_CAPABLE => |b| MpCapable::parse(b).map(drop),
        subtype::MP_JOIN => |b| MpJoin::parse(b).map(drop),
        subtype::DSS => |b| Dss::parse(b).map(drop),
        subtype::ADD_ADDR => |b| AddAddr::parse(b).map(drop),
        subtype::REMOVE_ADDR => |b| RemoveAddr::parse(b).map(drop),
        subtype::MP_PRIO => |b| MpPrio::parse(b).map(drop),
        subtype::MP_FAIL => |b| MpFail::parse(b).map(drop),
        subtype::MP_FASTCLOSE => |b| MpFastclose::parse(b).map(drop),
        subtype::MP_TCPRST => |b| MpTcpRst::parse(b).map(drop),
        subtype::MP_EXPERIMENTAL => |b| MpExperimental::parse(b).map(drop),
        _ => return None,
    })
}

/// Subtypes with a typed parser.
const TYPED: [u8; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 15];

/// Emits `opt` into a poisoned buffer; returns the buffer and the result.
fn emit_poisoned(opt: &MptcpOption<'_>) -> ([u8; MAX_OPTION + 1], Result<usize, EmitError>) {
    let mut buf = [POISON; MAX_OPTION + 1];
    let r = opt.emit(&mut buf);
    if let Ok(n) = r {
        assert!(
            buf[n..].iter().all(|&b| b == POISON),
            "emit wrote past the {n} bytes it reported"
        );
    }
    (buf, r)
}

/// A too-small buffer must fail cleanly, naming the size needed.
fn check_short_buffer(opt: &MptcpOption<'_>, n: usize) {
    let mut buf = [POISON; MAX_OPTION];
    let short = &mut buf[..n - 1];
    assert_eq!(
        opt.emit(short),
        Err(EmitError::BufferTooSmall {
            needed: n,
            available: n - 1
        }),
        "emit of {opt:?} into {} bytes",
        n - 1
    );
}

/// An option `MptcpOption::parse` accepted from `raw`.
fn check_mptcp_accepted(opt: &MptcpOption<'_>, raw: &[u8]) {
    let n = raw.len();
    assert!((3..=MAX_OPTION).contains(&n), "accepted {n} bytes");
    assert_eq!((raw[0], usize::from(raw[1])), (KIND_MPTCP, n));
    let st = raw[2] >> 4;
    assert_eq!(opt.subtype(), st);
    match opt {
        MptcpOption::Unknown { subtype: s, raw: r } => {
            assert!((9..=14).contains(s), "Unknown with subtype {s}");
            assert_eq!(*r, raw);
            assert_eq!(opt.name(), "UNKNOWN");
        }
        _ => assert_eq!(opt.name(), subtype_name(st)),
    }
    assert!(
        spec_accepts(raw),
        "accepted against the length table: {raw:02x?}"
    );

    // emit(parse(b)) == b, into exactly buffer_len bytes.
    assert_eq!(opt.buffer_len(), n, "buffer_len of {opt:?}");
    let (buf, r) = emit_poisoned(opt);
    assert_eq!(r, Ok(n), "emit of {opt:?}");
    assert_eq!(&buf[..n], raw, "emit(parse(b)) != b");
    check_short_buffer(opt, n);
    // Deterministic, and the typed parser agrees with the dispatcher.
    assert_eq!(MptcpOption::parse(raw).as_ref(), Ok(opt));
    match *opt {
        MptcpOption::Capable(c) => {
            assert_eq!(MpCapable::parse(raw), Ok(c));
            assert_eq!(c.version.number(), raw[2] & 0x0f);
            assert_eq!(c.flags, raw[3]);
        }
        MptcpOption::Join(j) => {
            assert_eq!(MpJoin::parse(raw), Ok(j));
            if let MpJoin::Syn { flags, backup, .. } | MpJoin::SynAck { flags, backup, .. } = j {
                assert_eq!((flags, backup), (raw[2] & 0x0f, raw[2] & 1 != 0));
            }
        }
        MptcpOption::Dss(d) => {
            assert_eq!(Dss::parse(raw), Ok(d));
            assert_eq!((d.flags, d.wire_flags()), (raw[3], raw[3]));
            assert_eq!(d.data_fin(), raw[3] & Dss::FLAG_DATA_FIN != 0);
        }
        MptcpOption::AddAddr(a) => {
            assert_eq!(AddAddr::parse(raw), Ok(a));
            assert_eq!(a.echo(), matches!(a.form, AddAddrForm::V1 { echo: true }));
            assert_eq!(a.hmac.is_some(), a.form == AddAddrForm::V1 { echo: false });
        }
        MptcpOption::RemoveAddr(r) => {
            assert_eq!(RemoveAddr::parse(raw), Ok(r));
            assert_eq!(r.ids, &raw[3..]);
        }
        MptcpOption::Prio(p) => {
            assert_eq!(MpPrio::parse(raw), Ok(p));
            assert_eq!((p.flags, p.backup), (raw[2] & 0x0f, raw[2] & 1 != 0));
        }
        MptcpOption::Fail(f) => assert_eq!(MpFail::parse(raw), Ok(f)),
        MptcpOption::Fastclose(f) => assert_eq!(MpFastclose::parse(raw), Ok(f)),
        MptcpOption::TcpRst(t) => {
            assert_eq!(MpTcpRst::parse(raw), Ok(t));
            assert_eq!(t.reason_code().code(), t.reason);
        }
        MptcpOption::Experimental(x) => {
            assert_eq!(MpExperimental::parse(raw), Ok(x));
            assert_eq!(x.payload(), &raw[2..]);
        }
        MptcpOption::Unknown { .. } => {}
    }
    // Every other typed parser refuses the option as the wrong subtype.
    for other in TYPED.into_iter().filter(|&t| t != st) {
        let e = typed_parse(other).unwrap()(raw).expect_err("typed parser of another subtype");
        assert_eq!(
            (e.reason, e.subtype, e.len),
            (MptcpErrorReason::WrongSubtype, st, raw[1])
        );
    }
}

/// An option `MptcpOption::parse` rejected: the error must describe `raw`.
fn check_mptcp_rejected(e: &MptcpError, raw: &[u8]) {
    render(e);
    if raw.len() < 3 {
        assert_eq!((e.subtype, usize::from(e.len)), (0, raw.len()));
        match e.reason {
            MptcpErrorReason::TooShort => assert!(raw.first().is_none_or(|&k| k == KIND_MPTCP)),
            MptcpErrorReason::NotMptcp(k) => assert!(raw[0] == k && k != KIND_MPTCP),
            r => panic!("{r:?} for a {}-byte option", raw.len()),
        }
    } else {
        let st = raw[2] >> 4;
        let nibble = raw[2] & 0x0f;
        assert_eq!((e.subtype, e.len), (st, raw[1]), "error fields");
        let framed = raw[0] == KIND_MPTCP && usize::from(raw[1]) == raw.len();
        match e.reason {
            MptcpErrorReason::NotMptcp(k) => assert!(raw[0] == k && k != KIND_MPTCP),
            MptcpErrorReason::LengthMismatch => {
                assert!(raw[0] == KIND_MPTCP && usize::from(raw[1]) != raw.len());
            }
            MptcpErrorReason::BadLength => {
                assert!(framed && typed_parse(st).is_some() && st != subtype::MP_EXPERIMENTAL);
                assert!(
                    !spec_accepts(raw),
                    "BadLength for an allowed length: {raw:02x?}"
                );
            }
            MptcpErrorReason::UnsupportedVersion(v) => {
                assert!(framed && st == subtype::MP_CAPABLE && v == nibble && v > 1);
            }
            MptcpErrorReason::BadIpVersion(v) => {
                assert!(framed && st == subtype::ADD_ADDR && v == nibble);
                assert!(!matches!(v, 0 | 1 | 4 | 6));
            }
            r @ (MptcpErrorReason::TooShort | MptcpErrorReason::WrongSubtype) => {
                panic!("{r:?} for {raw:02x?}")
            }
        }
        if framed {
            assert!(!spec_accepts(raw), "rejected an allowed option: {raw:02x?}");
        }
    }
    // The typed parser of the subtype found fails the same way.
    let st = raw.get(2).map_or(0, |b| b >> 4);
    if let Some(p) = typed_parse(st) {
        assert_eq!(p(raw), Err(*e), "typed parser of subtype {st}");
    }
}

/// Oracle for one whole MPTCP option (kind, length, subtype, body).
///
/// Accepted: the length obeys the table of the sub-option docs;
/// `buffer_len` is the size; `emit` writes the same bytes and nothing past
/// them, and fails with `BufferTooSmall` one byte short; the typed parser
/// agrees; every other typed parser says `WrongSubtype`. Rejected: the
/// error's subtype, length and reason describe the bytes. Then the same
/// bytes are read as field values by [`mptcp_roundtrip_structured`].
pub fn mptcp_option(data: &[u8]) {
    match MptcpOption::parse(data) {
        Ok(opt) => check_mptcp_accepted(&opt, data),
        Err(e) => check_mptcp_rejected(&e, data),
    }
    check_mptcp_bytes(data);
    mptcp_roundtrip_structured(data);
}

/// Field values read from fuzz bytes; zeros once the bytes run out.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let take = N.min(self.rest.len());
        out[..take].copy_from_slice(&self.rest[..take]);
        self.rest = &self.rest[take..];
        out
    }
    fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }
    fn bool(&mut self) -> bool {
        self.u8() & 1 != 0
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.array())
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }
    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.array())
    }
    /// A `u64` that is often small (fits 32 bits), sometimes not.
    fn seq(&mut self) -> u64 {
        if self.bool() {
            u64::from(self.u32())
        } else {
            self.u64()
        }
    }
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.bool() {
            Some(f(self))
        } else {
            None
        }
    }
    fn slice(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = tail;
        head
    }
    fn rest(&mut self) -> &'a [u8] {
        self.slice(self.rest.len())
    }
}

/// Builds an arbitrary (possibly unrepresentable) option from `data`.
fn structured(data: &[u8]) -> MptcpOption<'_> {
    let mut f = Fields { rest: data };
    match f.u8() % 11 {
        0 => MptcpOption::Capable(MpCapable {
            version: if f.bool() { Version::V1 } else { Version::V0 },
            flags: f.u8(),
            sender_key: f.opt(Fields::u64),
            receiver_key: f.opt(Fields::u64),
            data_len: f.opt(Fields::u16),
            checksum: f.opt(Fields::u16),
        }),
        1 => MptcpOption::Join(match f.u8() % 3 {
            0 => MpJoin::Syn {
                flags: f.u8(),
                backup: f.bool(),
                addr_id: f.u8(),
                token: f.u32(),
                nonce: f.u32(),
            },
            1 => MpJoin::SynAck {
                flags: f.u8(),
                backup: f.bool(),
                addr_id: f.u8(),
                trunc_hmac: f.u64(),
                nonce: f.u32(),
            },
            _ => MpJoin::Ack {
                flags: f.u8(),
                reserved: f.u8(),
                hmac: f.array(),
            },
        }),
        2 => MptcpOption::Dss(Dss {
            flags: f.u8(),
            reserved: f.u8(),
            data_ack: f.opt(|f| DataAck {
                value: f.seq(),
                wide: f.bool(),
            }),
            mapping: f.opt(|f| DssMapping {
                dsn: f.seq(),
                dsn_wide: f.bool(),
                ssn: f.u32(),
                data_len: f.u16(),
                checksum: f.opt(Fields::u16),
            }),
        }),
        3 => MptcpOption::AddAddr(AddAddr {
            form: match f.u8() % 3 {
                0 => AddAddrForm::V0,
                1 => AddAddrForm::V1 { echo: true },
                _ => AddAddrForm::V1 { echo: false },
            },
            addr_id: f.u8(),
            ip: if f.bool() {
                IpAddr::V6(Ipv6Addr::from(f.array::<16>()))
            } else {
                IpAddr::V4(Ipv4Addr::from(f.array::<4>()))
            },
            port: f.opt(Fields::u16),
            hmac: f.opt(Fields::u64),
        }),
        4 => {
            let reserved = f.u8();
            let n = usize::from(f.u8() % 11);
            MptcpOption::RemoveAddr(RemoveAddr {
                ids: f.slice(n),
                reserved,
            })
        }
        5 => MptcpOption::Prio(MpPrio {
            flags: f.u8(),
            backup: f.bool(),
            addr_id: f.opt(Fields::u8),
        }),
        6 => MptcpOption::Fail(MpFail {
            dsn: f.u64(),
            reserved: f.u16(),
        }),
        7 => MptcpOption::Fastclose(MpFastclose {
            receiver_key: f.u64(),
            reserved: f.u16(),
        }),
        8 => MptcpOption::TcpRst(MpTcpRst {
            flags: f.u8(),
            reason: f.u8(),
        }),
        9 => MptcpOption::Experimental(MpExperimental { raw: f.rest() }),
        _ => MptcpOption::Unknown {
            subtype: f.u8(),
            raw: f.rest(),
        },
    }
}

/// What parsing an emitted value gives back: the value itself, except that
/// DSS writes the flags of [`Dss::wire_flags`].
fn normalized(opt: MptcpOption<'_>) -> MptcpOption<'_> {
    match opt {
        MptcpOption::Dss(d) => MptcpOption::Dss(Dss {
            flags: d.wire_flags(),
            ..d
        }),
        other => other,
    }
}

/// Oracle for `emit` on a value built from field bytes (first byte: the
/// sub-option, then its fields in declaration order, zeros when short).
///
/// `emit` either fails with [`EmitError::Unrepresentable`] and
/// `buffer_len` is 0, or writes exactly `buffer_len` bytes (nothing after)
/// that `parse` accepts and turns back into the same value (DSS flags
/// normalised), and which then pass all the checks of [`mptcp_option`].
pub fn mptcp_roundtrip_structured(data: &[u8]) {
    let value = structured(data);
    let len = value.buffer_len();
    let (buf, r) = emit_poisoned(&value);
    match r {
        Err(EmitError::Unrepresentable) => {
            assert_eq!(len, 0, "buffer_len {len} for unrepresentable {value:?}");
        }
        Err(e @ EmitError::BufferTooSmall { .. }) => {
            panic!("{e} with a {}-byte buffer for {value:?}", buf.len())
        }
        Ok(n) => {
            assert_eq!(
                n, len,
                "emit wrote {n} bytes, buffer_len says {len}: {value:?}"
            );
            let wire = &buf[..n];
            let back = MptcpOption::parse(wire)
                .unwrap_or_else(|e| panic!("{value:?} emitted as {wire:02x?}, rejected: {e}"));
            assert_eq!(
                back,
                normalized(value),
                "parse(emit(x)) != x for {wire:02x?}"
            );
            check_mptcp_accepted(&back, wire);
            check_short_buffer(&value, n);
        }
    }
}

// ---------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------

/// `part` must be the sub-slice `whole[at..at + part.len()]`, same memory.
fn assert_within(whole: &[u8], at: usize, part: &[u8], what: &str) {
    let end = at.checked_add(part.len()).expect("offset overflow");
    assert!(
        end <= whole.len(),
        "{what}: {at}+{} beyond the {}-byte frame",
        part.len(),
        whole.len()
    );
    if !part.is_empty() {
        assert!(
            core::ptr::eq(part.as_ptr(), whole[at..].as_ptr()),
            "{what} is not the frame's bytes at offset {at}"
        );
    }
}

fn check_frame(f: &Frame<'_>, data: &[u8], link: LinkType) {
    assert_eq!(f.link, link);
    // The link header: where IP starts.
    let tags = f.vlan.len() * 4;
    match link {
        LinkType::Ethernet => assert_eq!(f.ip_offset, 14 + tags),
        LinkType::LinuxSll => assert_eq!(f.ip_offset, 16 + tags),
        LinkType::LinuxSll2 => assert_eq!(f.ip_offset, 20 + tags),
        LinkType::Ppp => assert!(f.vlan.is_empty() && (1..=4).contains(&f.ip_offset)),
        LinkType::Null | LinkType::Loop => assert!(f.vlan.is_empty() && f.ip_offset == 4),
        LinkType::RawIp | LinkType::Ipv4 | LinkType::Ipv6 => {
            assert!(f.vlan.is_empty() && f.ip_offset == 0);
        }
    }
    assert_eq!(f.vlan.as_slice().len(), f.vlan.len());
    // The IP view: checked, inside the frame, ending where the transport
    // bytes end (no link padding).
    let (ip_bytes, ip_header_end) = match f.ip {
        IpHeader::V4(p) => {
            assert_eq!(f.ip_version(), 4);
            // Whole, or cut by the capture's snap length, or of total
            // length 0 (segmentation offload; and then it is all of the
            // frame after the link header).
            match Ipv4Packet::new_checked(p.into_inner()) {
                Ok(_) => assert_eq!(p.into_inner().len(), usize::from(p.total_len())),
                Err(e) => {
                    assert!(
                        matches!(
                            e.reason,
                            ipv4::Ipv4ErrorReason::TotalLengthBeyondBuffer { .. }
                                | ipv4::Ipv4ErrorReason::TotalLengthTooSmall { total_len: 0, .. }
                        ),
                        "v4 view unchecked: {e}"
                    );
                    assert_eq!(f.ip_offset + p.into_inner().len(), data.len());
                }
            }
            assert_eq!(f.protocol, p.protocol());
            assert_eq!(f.transport_bytes, p.payload());
            assert_eq!(f.fragment.is_some(), p.is_fragment(), "v4 fragment fields");
            (p.into_inner(), usize::from(p.header_len()))
        }
        IpHeader::V6(p) => {
            assert_eq!(f.ip_version(), 6);
            match Ipv6Packet::new_checked(p.into_inner()) {
                Ok(_) => {}
                Err(e) => {
                    assert!(
                        matches!(
                            e.reason,
                            ipv6::Ipv6ErrorReason::PayloadLengthBeyondBuffer { .. }
                        ),
                        "v6 view unchecked: {e}"
                    );
                    assert_eq!(f.ip_offset + p.into_inner().len(), data.len());
                }
            }
            let chain = p.extensions();
            assert_eq!(f.protocol, chain.next_header);
            assert_eq!(f.transport_bytes, p.transport_payload());
            (p.into_inner(), ipv6::HEADER_LEN)
        }
    };
    assert!(ip_bytes.len() >= ipv4::HEADER_LEN);
    assert_within(data, f.ip_offset, ip_bytes, "IP header view");
    assert!(f.transport_offset >= f.ip_offset + ip_header_end);
    assert_within(
        data,
        f.transport_offset,
        f.transport_bytes,
        "transport bytes",
    );
    assert_eq!(
        f.transport_offset + f.transport_bytes.len(),
        f.ip_offset + ip_bytes.len(),
        "transport bytes must end where the IP packet ends"
    );
    let ph = f.pseudo_header();
    assert_eq!((ph.src, ph.dst), (f.src(), f.dst()));
    assert_eq!(ph.protocol, f.protocol);
    // The pseudo-header has the on-wire length; what was captured is at
    // most that, and less only when the snap length cut the IP packet.
    assert_eq!(ph.length, f.transport_len);
    assert!(f.transport_bytes.len() <= f.transport_len as usize);
    // The transport.
    match f.transport {
        Transport::Tcp(t) => {
            assert_eq!(f.protocol, ipv4::protocol::TCP);
            assert!(f.fragment.is_none_or(|fr| fr.offset == 0));
            assert_eq!(f.tcp(), Some(t));
            assert_within(data, f.transport_offset, t.segment(), "TCP segment");
            assert_eq!(t.segment().len(), f.transport_bytes.len());
            let hl = t.header_len();
            assert!(hl >= tcp::HEADER_LEN && hl <= t.segment().len());
            assert_eq!(t.options().len(), hl - tcp::HEADER_LEN);
            assert_eq!(t.payload().len(), t.segment().len() - hl);
            assert!(TcpPacket::new_checked(t.segment()).is_ok());
            tcp_options(t.options());
        }
        Transport::MalformedTcp(e) => {
            assert_eq!(f.protocol, ipv4::protocol::TCP);
            assert!(f.tcp().is_none());
            assert!(
                e.offset <= f.transport_bytes.len(),
                "TCP error offset {}",
                e.offset
            );
            assert_eq!(TcpPacket::new_checked(f.transport_bytes), Err(e));
            render(&e);
        }
        Transport::NonFirstFragment => {
            assert!(f.fragment.is_some_and(|fr| fr.offset != 0));
        }
        Transport::Other { protocol } => {
            assert_eq!(protocol, f.protocol);
            assert_ne!(protocol, ipv4::protocol::TCP);
        }
    }
}

/// Largest frame [`check_padding_ignored`] copies (on the stack).
const PAD_MAX: usize = 2048;

/// Link padding after the IP packet must change nothing: the same frame
/// with trailing bytes parses to an equal [`Frame`] (not for an IPv6
/// jumbogram or an IPv4 packet of total length 0, which run to the end of
/// the frame).
fn check_padding_ignored(f: &Frame<'_>, data: &[u8], link: LinkType) {
    // A packet the snap length cut has no padding: extra bytes are more of it.
    if f.transport_bytes.len() < f.transport_len as usize {
        return;
    }
    match f.ip {
        IpHeader::V6(p)
            if p.payload_len() == 0 && p.next_header() == ipv6::next_header::HOP_BY_HOP =>
        {
            return
        }
        // Total length 0 (segmentation offload) runs to the end too.
        IpHeader::V4(p) if p.total_len() == 0 => return,
        _ => {}
    }
    let mut buf = [0u8; PAD_MAX];
    let pad = 1 + data.len() % 7;
    if data.len() + pad > PAD_MAX {
        return;
    }
    buf[..data.len()].copy_from_slice(data);
    buf[data.len()..data.len() + pad].fill(0x5a);
    let padded = parse_frame(&buf[..data.len() + pad], link);
    assert_eq!(
        padded.as_ref(),
        Ok(f),
        "{pad} bytes of link padding changed the parse"
    );
}

/// Oracle for [`parse_frame`]: `data[0]` picks the link type
/// (`LinkType::ALL[data[0] % LinkType::ALL.len()]`), the rest is the captured frame.
///
/// An error's offset is within the frame (or one past it, for "truncated
/// here") and renders; a [`Frame`]'s link, IP and transport offsets and
/// slices lie inside the frame, in order, the transport bytes ending where
/// the IP packet ends; the views are checked ones; a TCP segment's options
/// go through [`tcp_options`]; link padding changes nothing. Parsing is
/// deterministic, and the fast path, where it answers, answers what the
/// general path does.
pub fn frame(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let link = LinkType::ALL[usize::from(selector) % LinkType::ALL.len()];
    assert_eq!(LinkType::from_pcap(link.to_pcap()), Some(link));
    let parsed = parse_frame(rest, link);
    assert_eq!(parsed, parse_frame(rest, link), "not deterministic");
    let general = crate::wire::frame::general(rest, link);
    if let Some(fast) = crate::wire::frame::fast(rest, link) {
        assert_eq!(Ok(fast), general, "the fast path differs");
    }
    assert_eq!(parsed, general, "parse_frame differs from its general path");
    match parsed {
        Ok(f) => {
            check_frame(&f, rest, link);
            check_padding_ignored(&f, rest, link);
        }
        Err(e) => {
            render(&e);
            assert!(
                e.offset <= rest.len(),
                "error offset {} beyond the {}-byte frame",
                e.offset,
                rest.len()
            );
            assert_eq!(
                e.is_not_ip(),
                matches!(e.reason, FrameErrorReason::NotIp(_))
            );
            let _ = e.layer().name();
        }
    }
}

mod stateful;
pub use stateful::stateful;
