//! Property tests: no input makes the wire layer panic, and the option
//! iterator always terminates.

use mptcp_dissect::wire::frame::{parse_frame, LinkType, Transport};
use mptcp_dissect::wire::tcp_option::TcpOptions;
use proptest::prelude::*;

fn link_type() -> impl Strategy<Value = LinkType> {
    proptest::sample::select(LinkType::ALL.to_vec())
}

/// Bytes biased toward plausible headers, so the deep layers get exercised.
fn frame_bytes() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x45],
        vec![0x60],
        vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45],
        vec![
            2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0, 1, 0x86, 0xdd, 0x60,
        ],
        vec![0xff, 0x03, 0x00, 0x21, 0x45],
        vec![
            0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x60,
        ],
    ];
    (
        proptest::sample::select(prefixes),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(mut p, rest)| {
            p.extend(rest);
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn parse_frame_never_panics(data in frame_bytes(), link in link_type()) {
        if let Ok(f) = parse_frame(&data, link) {
            let _ = (f.src(), f.dst(), f.pseudo_header(), f.ip_version());
            prop_assert!(f.transport_offset <= data.len());
            if let Transport::Tcp(t) = f.transport {
                let _ = (t.src_port(), t.dst_port(), t.seq_number(), t.ack_number(), t.flags());
                prop_assert!(t.header_len() >= 20);
                prop_assert!(t.payload().len() + t.header_len() == t.segment().len());
                let n = t.option_iter().count();
                prop_assert!(n <= t.options().len() + 1);
            }
        } else if let Err(e) = parse_frame(&data, link) {
            let _ = e.to_string();
        }
    }

    #[test]
    fn parse_frame_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..128), link in link_type()) {
        let _ = parse_frame(&data, link);
    }

    #[test]
    fn option_iterator_terminates(data in proptest::collection::vec(any::<u8>(), 0..60)) {
        let mut it = TcpOptions::new(&data);
        let mut n = 0usize;
        while let Some(item) = it.next() {
            n += 1;
            prop_assert!(n <= data.len() + 1, "too many items");
            if let Err(e) = item {
                prop_assert!(e.offset < data.len());
                let _ = e.to_string();
                if e.reason.is_structural() {
                    prop_assert!(it.next().is_none());
                    break;
                }
            }
        }
        prop_assert!(it.next().is_none());
    }

    #[test]
    fn option_offsets_increase(data in proptest::collection::vec(any::<u8>(), 0..60)) {
        let mut last = None;
        for (off, _) in TcpOptions::new(&data).indexed() {
            prop_assert!(off < data.len());
            if let Some(l) = last { prop_assert!(off > l); }
            last = Some(off);
        }
    }
}
