//! `Dissector::dissect` never panics: arbitrary bytes on every link type,
//! and arbitrary IPv4/TCP segments whose options area is arbitrary bytes
//! (so MPTCP sub-options reach the stateful engine), fed as a sequence into
//! one small dissector so that table eviction and expiry are exercised.

use mptcp_dissect::dissector::{Dissector, DissectorConfig};
use mptcp_dissect::wire::frame::LinkType;
use proptest::prelude::*;

fn segment(ports: (u16, u16), flags: u8, opts: &[u8], payload: usize) -> Vec<u8> {
    let mut o = opts.to_vec();
    o.truncate(40);
    while o.len() % 4 != 0 {
        o.push(1);
    }
    let tcp_len = 20 + o.len();
    let total = 20 + tcp_len + payload;
    let mut p = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0x40,
        0,
        64,
        6,
        0,
        0,
    ];
    p.extend_from_slice(&[10, 0, 0, (ports.0 % 3) as u8, 10, 0, 0, 9]);
    p.extend_from_slice(&ports.0.to_be_bytes());
    p.extend_from_slice(&ports.1.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
    p.push(((tcp_len / 4) as u8) << 4);
    p.push(flags);
    p.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(&o);
    p.resize(total, 0);
    p
}

proptest! {
    #[test]
    fn arbitrary_frames_never_panic(frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..20)) {
        let mut d: Dissector<4, 2> = Dissector::new([1; 16], DissectorConfig::default());
        for (i, f) in frames.iter().enumerate() {
            for link in LinkType::ALL {
                let _ = d.dissect(f, link, i as u64 * 1_000_000_000);
            }
        }
    }

    #[test]
    fn arbitrary_mptcp_segments_never_panic(
        segs in proptest::collection::vec(
            (0u16..6, 0u16..3, any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40), 0usize..100, 0u64..100),
            1..40,
        )
    ) {
        let mut d: Dissector<4, 2> = Dissector::new([2; 16], DissectorConfig::default());
        let mut now = 0u64;
        for (sp, dp, flags, mut opts, payload, dt) in segs {
            // Bias the options towards MPTCP: kind 30 with a plausible length.
            if opts.len() >= 2 {
                opts[0] = 30;
                opts[1] %= 32;
            }
            now += dt * 1_000_000_000;
            let p = segment((sp, dp + 80), flags, &opts, payload);
            let _ = d.dissect(&p, LinkType::Ipv4, now);
        }
        let s = d.stats();
        prop_assert!(d.connections().count() <= 2 && d.subflows().count() <= 4);
        prop_assert!(s.tcp <= s.packets);
    }
}

/// A mix of option bytes that reaches every branch of the dissector's
/// option scan: well-formed MPTCP and timestamps, bad lengths, structural
/// errors, EOL, NOP, other kinds.
fn option_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(vec![1u8]),
        Just(vec![0u8]),
        Just(vec![8u8, 10, 0, 0, 0, 1, 0, 0, 0, 2]),
        Just(vec![8u8, 9, 0, 0, 0, 1, 0, 0, 0]),
        Just(vec![30u8, 8, 0x20, 0x01, 0, 0, 0, 7]),
        Just(vec![30u8, 4, 0x20, 0x00]),
        Just(vec![30u8, 12, 0x00, 0x81, 1, 2, 3, 4, 5, 6, 7, 8]),
        Just(vec![2u8, 4, 5, 0xb4]),
        Just(vec![2u8, 5, 5, 0xb4, 0]),
        proptest::collection::vec(any::<u8>(), 1..12),
    ];
    proptest::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

proptest! {
    /// The engine's per-segment option summary (`Segment::option_errors`,
    /// `Segment::mptcp`) agrees with the public option iterator's full
    /// decode of the same bytes: the engine scans with `next_raw` and
    /// decodes only what it needs, which must not change what it reports.
    #[test]
    fn segment_option_summary_matches_the_iterator(opts in option_bytes()) {
        use mptcp_dissect::wire::tcp_option::{TcpOption, TcpOptions};
        let mut area = opts.clone();
        area.truncate(40);
        while area.len() % 4 != 0 {
            area.push(1);
        }
        let frame = segment((1000, 80), 0x10, &area, 0);
        let mut d: Dissector<4, 2> = Dissector::new([1; 16], DissectorConfig::default());
        let r = d.dissect(&frame, LinkType::RawIp, 0);
        let seg = r.segment.expect("a TCP segment");
        let items: Vec<_> = TcpOptions::new(&area).collect();
        let errors = items.iter().filter(|i| i.is_err()).count();
        let mptcp = items.iter().any(|i| match i {
            Ok(TcpOption::Mptcp(_)) => true,
            Ok(_) => false,
            Err(e) => e.kind == 30,
        });
        prop_assert_eq!(usize::from(seg.option_errors), errors);
        prop_assert_eq!(seg.mptcp, mptcp);
    }

    /// `next_raw` tiles the options area: each option starts where the
    /// previous one ended, at its `offset`, with the bytes its length byte
    /// says (one byte for EOL and NOP), and nothing follows EOL or a
    /// structural error.
    #[test]
    fn raw_options_tile_the_area(data in proptest::collection::vec(any::<u8>(), 0..60)) {
        use mptcp_dissect::wire::tcp_option::TcpOptions;
        let mut it = TcpOptions::new(&data);
        let mut at = 0usize;
        while let Some(item) = it.next_raw() {
            match item {
                Ok(raw) => {
                    prop_assert_eq!(raw.offset, at);
                    prop_assert_eq!(raw.kind, data[at]);
                    let len = if raw.kind <= 1 { 1 } else { usize::from(data[at + 1]) };
                    prop_assert_eq!(raw.bytes, &data[at..at + len]);
                    at += len;
                    if raw.kind == 0 {
                        prop_assert!(it.next_raw().is_none());
                        break;
                    }
                }
                Err(e) => {
                    prop_assert_eq!(e.offset, at);
                    prop_assert!(e.reason.is_structural());
                    prop_assert!(it.next_raw().is_none());
                    break;
                }
            }
        }
    }
}
