//! Tests of the TCP option iterator: each kind, error policy, offsets.

use mptcp_dissect::wire::tcp_option::{OptionError, OptionErrorReason, TcpOption, TcpOptions};

fn collect(bytes: &[u8]) -> Vec<Result<TcpOption<'_>, OptionError>> {
    TcpOptions::new(bytes).collect()
}

#[test]
fn each_kind() {
    let bytes: &[u8] = &[
        1, // NOP
        2, 4, 0x05, 0xb4, // MSS 1460
        3, 3, 7, // WS 7
        4, 2, // SACK permitted
        5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, // SACK 2 blocks
        8, 10, 0, 0, 0, 5, 0, 0, 0, 6, // TS
        34, 2, // TFO cookie request
        34, 10, 1, 2, 3, 4, 5, 6, 7, 8, // TFO 8-byte cookie
        19, 18, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // MD5
        29, 7, 3, 4, 0xa, 0xb, 0xc, // TCP-AO, 3-byte MAC
        253, 6, 0xf9, 0x89, 0xaa, 0xbb, // experimental
        254, 4, 0x12, 0x34, // experimental, no data
        99, 3, 0x42, // unknown
        0,    // EOL
        2, 4, 0, 0, // after EOL: not read
    ];
    let items = collect(bytes);
    let ok: Vec<TcpOption<'_>> = items.into_iter().map(Result::unwrap).collect();
    assert_eq!(ok.len(), 14, "nothing after EOL");
    assert_eq!(ok[0], TcpOption::Nop);
    assert_eq!(ok[1], TcpOption::Mss(1460));
    assert_eq!(ok[2], TcpOption::WindowScale(7));
    assert_eq!(ok[3], TcpOption::SackPermitted);
    match ok[4] {
        TcpOption::Sack(blocks) => {
            assert_eq!(blocks.len(), 2);
            assert_eq!(blocks.iter().collect::<Vec<_>>(), vec![(1, 2), (3, 4)]);
            assert_eq!(blocks.get(2), None);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ok[5], TcpOption::Timestamps { tsval: 5, tsecr: 6 });
    assert_eq!(ok[6], TcpOption::FastOpen { cookie: &[] });
    assert_eq!(
        ok[7],
        TcpOption::FastOpen {
            cookie: &[1, 2, 3, 4, 5, 6, 7, 8]
        }
    );
    let mut digest = [0u8; 16];
    for (i, d) in digest.iter_mut().enumerate() {
        *d = i as u8;
    }
    assert_eq!(ok[8], TcpOption::Md5 { digest });
    assert_eq!(
        ok[9],
        TcpOption::TcpAo {
            key_id: 3,
            rnext_key_id: 4,
            mac: &[0xa, 0xb, 0xc]
        }
    );
    assert_eq!(
        ok[10],
        TcpOption::Experimental {
            kind: 253,
            exid: 0xf989,
            data: &[0xaa, 0xbb]
        }
    );
    assert_eq!(
        ok[11],
        TcpOption::Experimental {
            kind: 254,
            exid: 0x1234,
            data: &[]
        }
    );
    assert_eq!(
        ok[12],
        TcpOption::Unknown {
            kind: 99,
            data: &[0x42]
        }
    );
    assert_eq!(ok[13], TcpOption::Eol);
    assert_eq!(ok[13].kind(), 0);
    assert_eq!(ok[1].kind(), 2);
    assert_eq!(ok[12].kind(), 99);
}

#[test]
fn sack_block_counts() {
    for n in 1..=4usize {
        let mut b = vec![5, (2 + 8 * n) as u8];
        b.extend(std::iter::repeat_n(0, 8 * n));
        match collect(&b).as_slice() {
            [Ok(TcpOption::Sack(s))] => assert_eq!(s.len(), n),
            other => panic!("{n}: {other:?}"),
        }
    }
    for len in [2u8, 3, 9, 11, 17, 42] {
        let mut b = vec![5, len];
        b.extend(std::iter::repeat_n(0, usize::from(len) - 2));
        let items = collect(&b);
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].unwrap_err().reason,
            OptionErrorReason::BadLength(len)
        );
    }
}

#[test]
fn tfo_cookie_lengths() {
    for cookie in 0..=18usize {
        let mut b = vec![34, (2 + cookie) as u8];
        b.extend(std::iter::repeat_n(0x77, cookie));
        let ok = cookie == 0 || ((4..=16).contains(&cookie) && cookie % 2 == 0);
        assert_eq!(collect(&b)[0].is_ok(), ok, "cookie {cookie}");
    }
}

/// A well-framed option with a bad fixed length yields an error and the
/// iterator continues with the next option.
#[test]
fn bad_fixed_lengths_continue() {
    let cases: &[(&[u8], u8)] = &[
        (&[2, 5, 0, 0, 0], 2),                                        // MSS len 5
        (&[2, 3, 0], 2),                                              // MSS len 3
        (&[3, 4, 0, 0], 3),                                           // WS len 4
        (&[4, 3, 0], 4),                                              // SACK-permitted len 3
        (&[8, 9, 0, 0, 0, 0, 0, 0, 0], 8),                            // TS len 9
        (&[19, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 19), // MD5 len 17
        (&[29, 3, 0], 29),                                            // TCP-AO len 3
        (&[253, 3, 0], 253), // experimental without full ExID
    ];
    for &(bad, kind) in cases {
        let mut b = vec![1];
        b.extend_from_slice(bad);
        b.extend_from_slice(&[2, 4, 0x05, 0xb4]);
        let items = collect(&b);
        assert_eq!(items.len(), 3, "kind {kind}: {items:?}");
        assert_eq!(items[0], Ok(TcpOption::Nop));
        let err = items[1].unwrap_err();
        assert_eq!(err.kind, kind);
        assert_eq!(err.offset, 1);
        assert_eq!(err.reason, OptionErrorReason::BadLength(bad[1]));
        assert!(!err.reason.is_structural());
        assert_eq!(items[2], Ok(TcpOption::Mss(1460)));
    }
}

#[test]
fn structural_errors_stop_with_offset() {
    // length byte missing
    let items = collect(&[1, 1, 2]);
    assert_eq!(items.len(), 3);
    let e = items[2].unwrap_err();
    assert_eq!(
        (e.kind, e.offset, e.reason),
        (2, 2, OptionErrorReason::MissingLength)
    );
    assert!(e.reason.is_structural());

    // length < 2 (0 and 1), followed by what would be a valid option
    for len in [0u8, 1] {
        let b = [1, 8, len, 2, 4, 0, 1];
        let items = collect(&b);
        assert_eq!(items.len(), 2);
        let e = items[1].unwrap_err();
        assert_eq!(
            (e.kind, e.offset, e.reason),
            (8, 1, OptionErrorReason::LengthTooSmall(len))
        );
    }

    // length beyond the end
    let items = collect(&[2, 4, 0, 1, 8, 10, 0, 0, 0]);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], Ok(TcpOption::Mss(1)));
    let e = items[1].unwrap_err();
    assert_eq!(
        (e.kind, e.offset, e.reason),
        (
            8,
            4,
            OptionErrorReason::LengthBeyondEnd {
                len: 10,
                available: 5
            }
        )
    );

    // the iterator stays ended
    let mut it = TcpOptions::new(&[30, 40, 0]);
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
    assert!(it.next().is_none());
}

#[test]
fn eol_stops() {
    let mut it = TcpOptions::new(&[0, 2, 4, 0, 1]);
    assert_eq!(it.next(), Some(Ok(TcpOption::Eol)));
    assert_eq!(it.next(), None);
    assert_eq!(collect(&[]).len(), 0);
    // NOP padding then EOL
    assert_eq!(collect(&[1, 1, 0, 0]).len(), 3);
}

#[test]
fn mptcp_bad_suboption_continues() {
    // A truncated MP_CAPABLE (length 3) beside valid options.
    let b = [
        1, 1, 30, 3, 0x00, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 4, 0x01, 0x81,
    ];
    let items: Vec<_> = TcpOptions::new(&b).indexed().collect();
    assert_eq!(items.len(), 5, "{items:?}");
    let (off, e) = items[2];
    let e = e.unwrap_err();
    assert_eq!((off, e.offset, e.kind), (2, 2, 30));
    assert!(matches!(e.reason, OptionErrorReason::Mptcp(_)));
    assert!(!e.reason.is_structural());
    assert_eq!(
        items[3],
        (5, Ok(TcpOption::Timestamps { tsval: 1, tsecr: 2 }))
    );
    // v1 MP_CAPABLE SYN (length 4) parses.
    assert_eq!(items[4].0, 15);
    assert!(
        matches!(items[4].1, Ok(TcpOption::Mptcp(_))),
        "{:?}",
        items[4]
    );
}

#[test]
fn indexed_offsets_and_position() {
    let b = [1, 2, 4, 0, 1, 3, 3, 1, 0];
    let offs: Vec<usize> = TcpOptions::new(&b).indexed().map(|(o, _)| o).collect();
    assert_eq!(offs, vec![0, 1, 5, 8]);
    let mut it = TcpOptions::new(&b);
    assert_eq!(it.position(), 0);
    it.next();
    assert_eq!(it.position(), 1);
    it.next();
    assert_eq!(it.position(), 5);
}

#[test]
fn error_display_names_kind_offset_reason() {
    let e = collect(&[1, 2, 5, 0, 0, 0])[1].unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("kind 2") && s.contains("offset 1") && s.contains("5"),
        "{s}"
    );
}
