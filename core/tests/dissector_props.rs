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
