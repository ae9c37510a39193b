//! Property tests for `checksum`: the incremental / combined sums equal a
//! naive big-endian 16-bit reference for any data and any split points,
//! odd ones included.

use mptcp_dissect::checksum::{dss_checksum, dss_pseudo_header, Checksum};
use proptest::prelude::*;

/// The naive reference: big-endian 16-bit words, odd tail padded with zero.
fn reference(bytes: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    for w in bytes.chunks(2) {
        sum += u64::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Data plus sorted cut points within it.
fn data_and_cuts() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    prop::collection::vec(any::<u8>(), 0..3000).prop_flat_map(|data| {
        let len = data.len();
        (
            Just(data),
            prop::collection::vec(0..=len, 0..8).prop_map(|mut cuts| {
                cuts.sort_unstable();
                cuts
            }),
        )
    })
}

fn pieces<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts {
        out.push(&data[start..c]);
        start = c;
    }
    out.push(&data[start..]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn whole_matches_reference(data in prop::collection::vec(any::<u8>(), 0..3000)) {
        let c = Checksum::of(&data);
        prop_assert_eq!(c.fold(), reference(&data));
        prop_assert_eq!(c.finish(), !reference(&data));
        prop_assert_eq!(c.is_odd(), data.len() % 2 == 1);
    }

    #[test]
    fn add_in_pieces_equals_add_at_once((data, cuts) in data_and_cuts()) {
        let mut inc = Checksum::new();
        for p in pieces(&data, &cuts) {
            inc.add(p);
        }
        let mut once = Checksum::new();
        once.add(&data);
        prop_assert_eq!(inc, once);
        prop_assert_eq!(inc.fold(), reference(&data));
    }

    #[test]
    fn combine_of_pieces_matches_reference((data, cuts) in data_and_cuts()) {
        let ps = pieces(&data, &cuts);
        // Left fold and right fold (associativity).
        let left = ps.iter().fold(Checksum::new(), |acc, p| acc.combine(Checksum::of(p)));
        let right = ps
            .iter()
            .rev()
            .fold(Checksum::new(), |acc, p| Checksum::of(p).combine(acc));
        prop_assert_eq!(left, right);
        prop_assert_eq!(left, Checksum::of(&data));
        prop_assert_eq!(left.fold(), reference(&data));
    }

    #[test]
    fn combine_is_associative(
        a in prop::collection::vec(any::<u8>(), 0..64),
        b in prop::collection::vec(any::<u8>(), 0..64),
        c in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let (x, y, z) = (Checksum::of(&a), Checksum::of(&b), Checksum::of(&c));
        prop_assert_eq!(x.combine(y).combine(z), x.combine(y.combine(z)));
        let all: Vec<u8> = a.iter().chain(&b).chain(&c).copied().collect();
        prop_assert_eq!(x.combine(y).combine(z).fold(), reference(&all));
    }

    #[test]
    fn field_helpers_append_big_endian_bytes(
        prefix in prop::collection::vec(any::<u8>(), 0..9),
        v16 in any::<u16>(),
        v32 in any::<u32>(),
        v64 in any::<u64>(),
    ) {
        let mut c = Checksum::of(&prefix);
        c.add_u16(v16);
        c.add_u32(v32);
        c.add_u64(v64);
        let mut bytes = prefix.clone();
        bytes.extend_from_slice(&v16.to_be_bytes());
        bytes.extend_from_slice(&v32.to_be_bytes());
        bytes.extend_from_slice(&v64.to_be_bytes());
        prop_assert_eq!(c, Checksum::of(&bytes));
    }

    #[test]
    fn dss_matches_reference(
        dsn in any::<u64>(),
        ssn in any::<u32>(),
        (payload, cuts) in data_and_cuts(),
    ) {
        let len = payload.len() as u16;
        let mut sum = Checksum::new();
        for p in pieces(&payload, &cuts) {
            sum.add(p);
        }
        let mut flat = Vec::new();
        flat.extend_from_slice(&dsn.to_be_bytes());
        flat.extend_from_slice(&ssn.to_be_bytes());
        flat.extend_from_slice(&len.to_be_bytes());
        flat.extend_from_slice(&[0, 0]);
        flat.extend_from_slice(&payload);
        prop_assert_eq!(dss_checksum(dss_pseudo_header(dsn, ssn, len), sum), !reference(&flat));
    }
}

/// Lengths around every path boundary of the bulk loop (scalar below 128
/// bytes, 32-byte vector chunks, 8-byte words, the zero-padded last word),
/// at every alignment of the slice start.
#[test]
fn boundaries_and_alignments() {
    let buf: Vec<u8> = (0..4200u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    for start in 0..16 {
        for len in (0..300).chain([1499, 1500, 1501, 4095, 4096, 4097, 4184]) {
            let s = &buf[start..start + len];
            assert_eq!(
                Checksum::of(s).fold(),
                reference(s),
                "start {start} len {len}"
            );
        }
    }
    let ones = vec![0xffu8; 3001];
    assert_eq!(Checksum::of(&ones).fold(), reference(&ones));
}

/// Past one internal block (1 MiB) the accumulators are reduced; check a
/// worst-case (all 0xff) and a mixed buffer across several blocks.
#[test]
fn multi_block_inputs() {
    let big = vec![0xffu8; (3 << 20) + 5];
    assert_eq!(Checksum::of(&big).fold(), reference(&big));
    let mixed: Vec<u8> = (0..(2u32 << 20) + 77)
        .map(|i| (i ^ (i >> 7)) as u8)
        .collect();
    assert_eq!(Checksum::of(&mixed).fold(), reference(&mixed));
    let (a, b) = mixed.split_at((1 << 20) + 1);
    assert_eq!(
        Checksum::of(a).combine(Checksum::of(b)),
        Checksum::of(&mixed)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The split verification gives `verify_tcp`'s verdict for any segment
    /// and split point (valid segments included: the checksum field is set
    /// with `compute_tcp` when `fix` is drawn), and the payload sum is the
    /// reference sum of the bytes after the split.
    #[test]
    fn verify_split_equals_verify(
        mut seg in prop::collection::vec(any::<u8>(), 0..1600),
        at in 0usize..1700,
        fix in any::<bool>(),
        v6 in any::<bool>(),
        a in any::<[u8; 16]>(),
        b in any::<[u8; 16]>(),
    ) {
        use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        use mptcp_dissect::checksum::{compute_tcp, verify_tcp, verify_tcp_payload_sum};
        let (src, dst) = if v6 {
            (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(b)))
        } else {
            (
                IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])),
                IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
            )
        };
        if fix && seg.len() >= 18 {
            let c = compute_tcp(src, dst, &seg);
            seg[16..18].copy_from_slice(&c.to_be_bytes());
        }
        let (verdict, payload) = verify_tcp_payload_sum(src, dst, &seg, at);
        prop_assert_eq!(verdict, verify_tcp(src, dst, &seg));
        let tail = seg.get(at..).unwrap_or(&[]);
        prop_assert_eq!(payload.fold(), reference(tail));
        prop_assert_eq!(payload.is_odd(), tail.len() % 2 == 1);
    }
}

/// Payloads: random bytes, all zero bytes, or random bytes whose sum is the
/// one's-complement zero `0xffff` (the case the header cannot settle).
fn payloads() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..1600),
        (0usize..1600).prop_map(|n| vec![0; n]),
        prop::collection::vec(any::<u8>(), 1..800).prop_map(|mut p| {
            if p.len() % 2 == 1 {
                p.push(0);
            }
            let w = !reference(&p);
            p.extend_from_slice(&w.to_be_bytes());
            p
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The payload sum derived from the header of a segment with a right
    /// checksum is `Checksum::of(payload)`; it is unknown only when that
    /// sum is one of the two forms of zero and the payload is not empty.
    #[test]
    fn payload_sum_from_a_valid_header(
        mut header in prop::collection::vec(any::<u8>(), 18..61),
        payload in payloads(),
        v6 in any::<bool>(),
        a in any::<[u8; 16]>(),
        b in any::<[u8; 16]>(),
    ) {
        use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        use mptcp_dissect::checksum::{
            compute_tcp, tcp_payload_sum_from_header, verify_tcp, TcpChecksum,
        };
        let (src, dst) = if v6 {
            (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(b)))
        } else {
            (
                IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])),
                IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
            )
        };
        let seg = [&header[..], &payload[..]].concat();
        let c = compute_tcp(src, dst, &seg);
        header[16..18].copy_from_slice(&c.to_be_bytes());
        let seg = [&header[..], &payload[..]].concat();
        prop_assert_eq!(verify_tcp(src, dst, &seg), TcpChecksum::Valid);
        let want = Checksum::of(&payload);
        match tcp_payload_sum_from_header(src, dst, &header, payload.len() as u32) {
            Some(got) => prop_assert_eq!(got, want),
            None => prop_assert!(
                !payload.is_empty() && matches!(want.fold(), 0 | 0xffff),
                "unknown for {:?}", want
            ),
        }
    }
}
