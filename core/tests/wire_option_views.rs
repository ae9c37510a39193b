//! The zero-copy view walk (`TcpOptions::next_view`, `OptionView`, the
//! MPTCP sub-option views) against the owned decoding walk and
//! `MptcpOption::parse`: the same items and errors in the same order, and
//! every accessor equal to the parsed field.

use mptcp_dissect::wire as w;
use mptcp_dissect::wire::mptcp::{DssView, MptcpView};
use mptcp_dissect::wire::tcp_option::{kind, OptionView, TcpOption, TcpOptions};
use proptest::prelude::*;

#[path = "../src/fuzzing/view_check.rs"]
#[allow(dead_code)]
mod view_check;

use view_check::{check_mptcp_bytes, check_view};

/// Walks `area` with `next` and with `next_view` side by side: the same
/// items and errors, the same positions, the same end; each view checked
/// against its item. Returns the number of items.
fn same_walk(area: &[u8]) -> usize {
    let mut owned = TcpOptions::new(area);
    let mut views = TcpOptions::new(area);
    let mut n = 0;
    loop {
        let (o, v) = (owned.next(), views.next_view());
        assert_eq!(owned.position(), views.position(), "position, {area:?}");
        match (&o, &v) {
            (None, None) => break,
            (Some(Ok(o)), Some(Ok(v))) => check_view(v, o),
            (Some(Err(a)), Some(Err(b))) => assert_eq!(a, b, "error, {area:?}"),
            _ => panic!("owned {o:?}, view {v:?}, area {area:?}"),
        }
        n += 1;
    }
    let all: Vec<_> = TcpOptions::new(area).views().collect();
    assert_eq!(all.len(), n, "views() length");
    n
}

/// Every subtype × low nibble of byte 2 × byte 3 (the DSS flags, the
/// MP_CAPABLE flags, the address id...) × length 0–40, the other bytes
/// distinct: the view walk agrees with the decoding walk, and the
/// sub-option views with the sub-option parsers, on every one.
#[test]
fn exhaustive_subtype_nibble_byte3_length() {
    let mut b = [0u8; 40];
    for (i, x) in b.iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    let mut accepted = [0usize; 16];
    for st in 0..16u8 {
        for nibble in 0..16u8 {
            for b3 in 0..=255u8 {
                for len in 0..=40usize {
                    let mut opt = b;
                    opt[..4].copy_from_slice(&[30, len as u8, st << 4 | nibble, b3]);
                    let opt = &opt[..len];
                    check_mptcp_bytes(opt);
                    if len >= 3 {
                        // The length byte one off: a length mismatch.
                        let mut bad = b;
                        bad[..4].copy_from_slice(&[30, len as u8 + 1, st << 4 | nibble, b3]);
                        check_mptcp_bytes(&bad[..len]);
                    }
                    same_walk(opt);
                    if matches!(TcpOptions::new(opt).next(), Some(Ok(_))) {
                        accepted[usize::from(st)] += 1;
                    }
                }
            }
        }
    }
    // Every known subtype has accepted forms (a test that could not fail
    // on them would show 0 here).
    assert!(accepted.iter().all(|&n| n > 0), "{accepted:?}");
}

/// Every kind × length byte 0–42 in an area of 40 bytes (so some lengths
/// run past the end): same items, same errors, same end.
#[test]
fn exhaustive_kind_length() {
    let mut area = [0u8; 40];
    for (i, x) in area.iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(29).wrapping_add(5);
    }
    for k in 0..=255u8 {
        for len in 0..=42u8 {
            area[0] = k;
            area[1] = len;
            for cut in [0, 1, 2, 3, 10, 40] {
                same_walk(&area[..cut]);
            }
            // The option, then a NOP and a timestamps option after it.
            let l = usize::from(len).clamp(2, 28);
            let mut a2 = area;
            a2[l] = kind::NOP;
            a2[l + 1..l + 11].copy_from_slice(&[8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
            same_walk(&a2[..l + 11]);
        }
    }
}

/// The classic rule table restated as the decoder's old `match`.
#[test]
fn classic_rule_against_restatement() {
    fn rule(k: u8, body: usize) -> bool {
        match k {
            kind::MSS => body == 2,
            kind::WINDOW_SCALE => body == 1,
            kind::SACK_PERMITTED => body == 0,
            kind::SACK => body % 8 == 0 && (1..=4).contains(&(body / 8)),
            kind::TIMESTAMPS => body == 8,
            kind::FAST_OPEN => body == 0 || ((4..=16).contains(&body) && body % 2 == 0),
            kind::MD5 => body == 16,
            kind::TCP_AO | kind::EXPERIMENTAL_1 | kind::EXPERIMENTAL_2 => body >= 2,
            _ => true,
        }
    }
    let mut area = [0u8; 300];
    for k in 0..=255u8 {
        if matches!(k, kind::EOL | kind::NOP | kind::MPTCP) {
            continue;
        }
        for body in 0..=253usize {
            area[0] = k;
            area[1] = (body + 2) as u8;
            let v = TcpOptions::new(&area[..body + 2]).next_view().unwrap();
            assert_eq!(v.is_ok(), rule(k, body), "kind {k} body {body}");
        }
    }
}

#[test]
fn dss_accessors_by_hand() {
    // tcpdump mptcp-fclose.pcap: "dss ack 3386645601 seq 2976985014
    // subseq 1 len 1 csum 0x9e91".
    let opt = [
        0x1e, 0x14, 0x20, 0x05, 0xc9, 0xdc, 0x1c, 0x61, 0xb1, 0x71, 0x2f, 0xb6, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x9e, 0x91,
    ];
    let d = DssView::new_checked(&opt).unwrap();
    assert_eq!(
        d.data_ack().map(|a| (a.value, a.wide)),
        Some((3_386_645_601, false))
    );
    assert_eq!(d.dsn(), Some(2_976_985_014));
    assert!(!d.dsn_wide());
    assert_eq!(
        (d.ssn(), d.data_len(), d.checksum()),
        (Some(1), Some(1), Some(0x9e91))
    );
    // 64-bit ack and DSN, no checksum (tcpdump mptcp-aa-v1.pcap).
    let opt = [
        0x1e, 0x1a, 0x20, 0x0f, 0xee, 0x83, 0xa6, 0x16, 0xc3, 0x87, 0x65, 0xd5, 0xa8, 0x96, 0xf3,
        0xfe, 0x7a, 0x8d, 0xc0, 0x2e, 0x00, 0x00, 0x00, 0x01, 0x00, 0x10,
    ];
    let area: Vec<u8> = [&[1u8, 1][..], &opt].concat();
    let v: Vec<OptionView<'_>> = TcpOptions::new(&area).views().map(Result::unwrap).collect();
    assert_eq!(v.len(), 3);
    assert_eq!((v[2].offset(), v[2].mptcp_subtype()), (2, Some(2)));
    let Some(MptcpView::Dss(d)) = v[2].mptcp() else {
        panic!("not DSS")
    };
    assert_eq!(
        d.data_ack().map(|a| (a.value, a.wide)),
        Some((17_186_763_219_675_866_581, true))
    );
    assert_eq!(
        (d.dsn(), d.dsn_wide()),
        (Some(12_148_165_319_181_844_526), true)
    );
    assert_eq!(
        (d.ssn(), d.data_len(), d.checksum()),
        (Some(1), Some(16), None)
    );
    assert!(matches!(v[0].decode(), Ok(TcpOption::Nop)));
}

/// An option area of plausible options: each a kind from a small set
/// (MPTCP weighted), a length near the right ones, random bytes.
fn area_strategy() -> impl Strategy<Value = Vec<u8>> {
    let opt = (
        prop_oneof![
            4 => Just(30u8),
            1 => Just(0u8),
            2 => Just(1u8),
            1 => Just(2u8),
            1 => Just(3u8),
            1 => Just(4u8),
            1 => Just(5u8),
            2 => Just(8u8),
            1 => Just(34u8),
            1 => any::<u8>(),
        ],
        prop_oneof![
            3 => prop::sample::select(vec![3u8, 4, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]),
            1 => 0u8..=42,
        ],
        0u8..16,
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 40),
    )
        .prop_map(|(k, len, st, b3, rest)| {
            let mut o = vec![k, len, st << 4 | (rest[0] & 0x0f), b3];
            o.extend_from_slice(&rest);
            o.truncate(usize::from(len).max(1));
            o
        });
    prop::collection::vec(opt, 0..5).prop_map(|v| {
        let mut a: Vec<u8> = v.concat();
        a.truncate(60);
        a
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn view_walk_matches_decoding_walk(area in area_strategy()) {
        same_walk(&area);
    }

    #[test]
    fn view_walk_matches_on_any_bytes(area in prop::collection::vec(any::<u8>(), 0..48)) {
        same_walk(&area);
    }

    #[test]
    fn sub_option_views_match_parsers(
        st in 0u8..16, nibble in 0u8..16, flags in any::<u8>(),
        len in 0usize..=40, body in prop::collection::vec(any::<u8>(), 40),
    ) {
        let mut opt = body;
        opt[..4].copy_from_slice(&[30, len as u8, st << 4 | nibble, flags]);
        check_mptcp_bytes(&opt[..len]);
    }
}

// The comparator needs `w`; keep the import used if the module changes.
#[allow(unused_imports)]
use w::tcp_option::OptionError as _;
