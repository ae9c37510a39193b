//! Known-answer tests for `checksum`: RFC 1071 §3, real TCP segments (IPv4
//! and IPv6) and real MPTCP DSS checksums taken from the fixture captures
//! (the frame numbers are those of the capture files, as Wireshark shows
//! them).

use std::net::IpAddr;

use mptcp_dissect::checksum::{
    compute_tcp, dss_checksum, dss_checksum_valid, dss_pseudo_header, tcp_pseudo_header,
    verify_tcp, Checksum, TcpChecksum, IPPROTO_TCP,
};
use mptcp_dissect::crypto::key_hash;
use mptcp_dissect::wire::mptcp::Version;

/// A TCP segment (header + payload) as captured, with its IP addresses.
struct Seg {
    src: &'static str,
    dst: &'static str,
    hex: &'static str,
}

impl Seg {
    fn src(&self) -> IpAddr {
        self.src.parse().unwrap()
    }
    fn dst(&self) -> IpAddr {
        self.dst.parse().unwrap()
    }
    fn bytes(&self) -> Vec<u8> {
        (0..self.hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&self.hex[i..i + 2], 16).unwrap())
            .collect()
    }
    fn payload(&self) -> Vec<u8> {
        let b = self.bytes();
        let doff = usize::from(b[12] >> 4) * 4;
        b[doff..].to_vec()
    }
    /// The checksum carried by the segment's MPTCP DSS or MP_CAPABLE option
    /// (its last two bytes).
    fn mptcp_option_checksum(&self) -> u16 {
        let b = self.bytes();
        let doff = usize::from(b[12] >> 4) * 4;
        let mut i = 20;
        while i < doff {
            match b[i] {
                0 => break,
                1 => i += 1,
                kind => {
                    let len = usize::from(b[i + 1]);
                    if kind == 30 {
                        return u16::from_be_bytes([b[i + len - 2], b[i + len - 1]]);
                    }
                    i += len;
                }
            }
        }
        panic!("no MPTCP option")
    }
}

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

#[test]
fn rfc1071_section3_example() {
    let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    assert_eq!(Checksum::of(&bytes).fold(), 0xddf2);
    assert_eq!(Checksum::of(&bytes).finish(), 0x220d);
    // Every single split, and byte by byte.
    for k in 0..=bytes.len() {
        let (a, b) = bytes.split_at(k);
        let mut c = Checksum::of(a);
        c.add(b);
        assert_eq!(c.fold(), 0xddf2, "split at {k}");
        assert_eq!(Checksum::of(a).combine(Checksum::of(b)).fold(), 0xddf2);
    }
    let mut c = Checksum::new();
    for b in bytes {
        c.add(&[b]);
    }
    assert_eq!(c.fold(), 0xddf2);
    // The same through the field helpers.
    let mut c = Checksum::new();
    c.add_u16(0x0001);
    c.add_u32(0xf203_f4f5);
    c.add_u16(0xf6f7);
    assert_eq!(c.fold(), 0xddf2);
    let mut c = Checksum::new();
    c.add_u64(0x0001_f203_f4f5_f6f7);
    assert_eq!(c.fold(), 0xddf2);
    // Field helpers at an odd offset append big-endian bytes too.
    let mut c = Checksum::of(&[0x00]);
    c.add_u16(0x01f2);
    c.add_u32(0x03f4_f5f6);
    c.add(&[0xf7]);
    assert_eq!(c, Checksum::of(&bytes));
}

#[test]
fn zero_forms() {
    assert_eq!(Checksum::new().fold(), 0);
    assert_eq!(Checksum::of(&[0; 100]).fold(), 0);
    assert_eq!(Checksum::of(&[0xff; 100]).fold(), 0xffff);
    assert_eq!(Checksum::of(&[0x00, 0x01, 0xff, 0xfe]).fold(), 0xffff);
    assert!(Checksum::of(&[1, 2, 3]).is_odd());
    assert!(!Checksum::of(&[1, 2, 3])
        .combine(Checksum::of(&[4]))
        .is_odd());
}

#[test]
fn pseudo_header_layouts() {
    // IPv4: src, dst, zero, protocol, 16-bit length.
    let v4 = tcp_pseudo_header(
        "10.0.1.1".parse().unwrap(),
        "10.0.1.2".parse().unwrap(),
        IPPROTO_TCP,
        52,
    );
    let bytes = [10, 0, 1, 1, 10, 0, 1, 2, 0, 6, 0, 52];
    assert_eq!(v4, Checksum::of(&bytes));
    // IPv6: src, dst, 32-bit length, 3 zero bytes, next header.
    let src: std::net::Ipv6Addr = "fd00:1::1".parse().unwrap();
    let dst: std::net::Ipv6Addr = "fd00:1::2".parse().unwrap();
    let v6 = tcp_pseudo_header(src.into(), dst.into(), IPPROTO_TCP, 0x0001_0234);
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&src.octets());
    bytes.extend_from_slice(&dst.octets());
    bytes.extend_from_slice(&0x0001_0234u32.to_be_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 6]);
    assert_eq!(v6, Checksum::of(&bytes));
}

const TCP_SEGMENTS: &[(&str, &Seg)] = &[
    ("v1-csum-on #3", &V1_CSUM_ON_F3),
    ("v1-csum-on #4", &V1_CSUM_ON_F4),
    ("v1-csum-on #5", &V1_CSUM_ON_F5),
    ("v1-csum-on #12", &V1_CSUM_ON_F12),
    ("v1-csum-on #13", &V1_CSUM_ON_F13),
    ("v1-mpfail #6", &V1_MPFAIL_F6),
    ("v1-mpfail #10", &V1_MPFAIL_F10),
    ("fclose #6", &FCLOSE_F6),
    ("fclose #8", &FCLOSE_F8),
    ("v1-ipv6 #2", &V1_IPV6_F2),
    ("v1-ipv6 #5", &V1_IPV6_F5),
];

#[test]
fn real_tcp_segments_verify() {
    for (name, seg) in TCP_SEGMENTS {
        let bytes = seg.bytes();
        let found = u16::from_be_bytes([bytes[16], bytes[17]]);
        assert_eq!(
            verify_tcp(seg.src(), seg.dst(), &bytes),
            TcpChecksum::Valid,
            "{name}"
        );
        // compute_tcp ignores the field, whatever it holds.
        assert_eq!(compute_tcp(seg.src(), seg.dst(), &bytes), found, "{name}");
        let mut zeroed = bytes.clone();
        zeroed[16] = 0;
        zeroed[17] = 0;
        assert_eq!(compute_tcp(seg.src(), seg.dst(), &zeroed), found, "{name}");
        // Any flipped byte (header or payload) is caught.
        for pos in [0, 13, 19, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[pos] ^= 0x20;
            match verify_tcp(seg.src(), seg.dst(), &bad) {
                TcpChecksum::Invalid { found: f, expected } => {
                    assert_eq!(f, found, "{name} @{pos}");
                    assert_eq!(expected, compute_tcp(seg.src(), seg.dst(), &bad));
                    assert_ne!(expected, found);
                }
                other => panic!("{name} @{pos}: {other:?}"),
            }
        }
        // Swapped addresses are caught too (for a non-symmetric sum).
        assert_ne!(
            verify_tcp(seg.src(), "192.0.2.1".parse().unwrap(), &bytes),
            TcpChecksum::Valid
        );
    }
}

#[test]
fn short_segment_has_no_checksum() {
    let a: IpAddr = "10.0.0.1".parse().unwrap();
    assert_eq!(verify_tcp(a, a, &[0; 17]), TcpChecksum::Truncated);
    assert_eq!(verify_tcp(a, a, &[]), TcpChecksum::Truncated);
    let _ = compute_tcp(a, a, &[1, 2, 3]);
}

/// One real DSS (or MP_CAPABLE-with-data) mapping with its checksum.
struct Mapping {
    what: &'static str,
    dsn: u64,
    ssn: u32,
    data_len: u16,
    carried: u16,
    segments: &'static [&'static Seg],
}

fn mappings() -> Vec<Mapping> {
    vec![
        // Linux v1, checksums on: a 2000-byte mapping carried by two
        // segments (1424 + 576 bytes), the DSS option repeated in both.
        Mapping {
            what: "v1-csum-on #12+#13",
            dsn: 0x0bea_6c07_4b0c_c184,
            ssn: 2001,
            data_len: 2000,
            carried: 0x7c08,
            segments: &[&V1_CSUM_ON_F12, &V1_CSUM_ON_F13],
        },
        // MP_CAPABLE third ACK with data (RFC 8684 §3.1): the DSN is the
        // sender's IDSN + 1 and the relative SSN is 1.
        Mapping {
            what: "v1-csum-on #4+#5 (MP_CAPABLE with data)",
            dsn: key_hash(Version::V1, 0x963b_dcc5_6ee3_8f7d)
                .idsn
                .wrapping_add(1),
            ssn: 1,
            data_len: 2000,
            carried: 0x8daa,
            segments: &[&V1_CSUM_ON_F4, &V1_CSUM_ON_F5],
        },
        Mapping {
            what: "v1-mpfail #6",
            dsn: 0x49af_4a28_f333_5467,
            ssn: 1001,
            data_len: 1000,
            carried: 0x01af,
            segments: &[&V1_MPFAIL_F6],
        },
        // DATA_FIN alone: data_len 1 counts the DATA_FIN, SSN 0, no payload.
        Mapping {
            what: "v1-mpfail #10 (DATA_FIN)",
            dsn: 0x49af_4a28_f333_5c37,
            ssn: 0,
            data_len: 1,
            carried: 0x1cbc,
            segments: &[&V1_MPFAIL_F10],
        },
        // v0 (2013 out-of-tree kernel): 32-bit DSN on the wire; the
        // pseudo-header takes the 64-bit DSN, whose upper half comes from
        // the sender's IDSN (SHA-1 of its key, MP_CAPABLE of frame 3/4).
        Mapping {
            what: "fclose #6 (v0, 32-bit DSN 0xb1712fb6)",
            dsn: (key_hash(Version::V0, 0x9b59_be3d_695e_66a7).idsn & !0xffff_ffff) | 0xb171_2fb6,
            ssn: 1,
            data_len: 1,
            carried: 0x9e91,
            segments: &[&FCLOSE_F6],
        },
        Mapping {
            what: "fclose #8 (v0, 32-bit DSN 0xc9dc1c61)",
            dsn: (key_hash(Version::V0, 0xd005_b1ab_34ba_d344).idsn & !0xffff_ffff) | 0xc9dc_1c61,
            ssn: 1,
            data_len: 1,
            carried: 0x54ab,
            segments: &[&FCLOSE_F8],
        },
    ]
}

#[test]
fn real_dss_checksums() {
    for m in mappings() {
        for seg in m.segments {
            assert_eq!(seg.mptcp_option_checksum(), m.carried, "{}", m.what);
        }
        let pseudo = dss_pseudo_header(m.dsn, m.ssn, m.data_len);
        let mut payload = Checksum::new();
        let mut all = Vec::new();
        for seg in m.segments {
            payload.add(&seg.payload());
            all.extend(seg.payload());
        }
        assert_eq!(dss_checksum(pseudo, payload), m.carried, "{}", m.what);
        assert!(dss_checksum_valid(pseudo, payload, m.carried), "{}", m.what);
        // The same payload split at odd offsets.
        for cut in [1, 7, (all.len() / 3) | 1] {
            if cut > all.len() {
                continue;
            }
            let (a, b) = all.split_at(cut);
            let p = Checksum::of(a).combine(Checksum::of(b));
            assert_eq!(dss_checksum(pseudo, p), m.carried, "{} cut {cut}", m.what);
        }
        // A corrupted payload byte, a wrong SSN or DSN is caught.
        if !all.is_empty() {
            let mut bad = all.clone();
            bad[all.len() / 2] ^= 1;
            assert!(!dss_checksum_valid(pseudo, Checksum::of(&bad), m.carried));
        }
        let wrong_ssn = dss_pseudo_header(m.dsn, m.ssn.wrapping_add(1), m.data_len);
        assert!(!dss_checksum_valid(wrong_ssn, payload, m.carried));
        let wrong_dsn = dss_pseudo_header(m.dsn ^ (1 << 40), m.ssn, m.data_len);
        assert!(!dss_checksum_valid(wrong_dsn, payload, m.carried));
        // The reference agrees on pseudo-header + payload.
        let mut flat = Vec::new();
        flat.extend_from_slice(&m.dsn.to_be_bytes());
        flat.extend_from_slice(&m.ssn.to_be_bytes());
        flat.extend_from_slice(&m.data_len.to_be_bytes());
        flat.extend_from_slice(&[0, 0]);
        flat.extend_from_slice(&all);
        assert_eq!(!reference(&flat), m.carried, "{}", m.what);
    }
}

// ---------------------------------------------------------------------------
// Fixture bytes (TCP header + payload), extracted from the pcap files.
// ---------------------------------------------------------------------------

/// `fixtures/linux/v1-csum-on.pcap` frame 3: IPv4 10.0.1.1 -> 10.0.1.2, TCP segment of 52 bytes.
const V1_CSUM_ON_F3: Seg = Seg {
    src: "10.0.1.1",
    dst: "10.0.1.2",
    hex: concat!(
    "cb821388c63c16bc54098c27d010003f822c00000101080a26c1e4cd3f642b2f1e140181963bdcc56ee38f7de3c20da6",
    "56c8a2bb",
    ),
};

/// `fixtures/linux/v1-csum-on.pcap` frame 4: IPv4 10.0.1.1 -> 10.0.1.2, TCP segment of 1480 bytes.
const V1_CSUM_ON_F4: Seg = Seg {
    src: "10.0.1.1",
    dst: "10.0.1.2",
    hex: concat!(
    "cb821388c63c16bc54098c27e010003ff36a00000101080a26c1e4d33f642b2f1e180181963bdcc56ee38f7de3c20da6",
    "56c8a2bb07d08daa4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    "595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    "55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50",
    "5152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c",
    "4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    "535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    "595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    "55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50",
    "5152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c",
    "4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    "535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    ),
};

/// `fixtures/linux/v1-csum-on.pcap` frame 5: IPv4 10.0.1.1 -> 10.0.1.2, TCP segment of 632 bytes.
const V1_CSUM_ON_F5: Seg = Seg {
    src: "10.0.1.1",
    dst: "10.0.1.2",
    hex: concat!(
    "cb821388c63c1c4c54098c27e018003fcaa200000101080a26c1e4d33f642b2f1e180181963bdcc56ee38f7de3c20da6",
    "56c8a2bb07d08daa55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    "535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    "595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    "55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50",
    "5152535455565758",
    ),
};

/// `fixtures/linux/v1-csum-on.pcap` frame 12: IPv4 10.0.1.1 -> 10.0.1.2, TCP segment of 1480 bytes.
const V1_CSUM_ON_F12: Seg = Seg {
    src: "10.0.1.1",
    dst: "10.0.1.2",
    hex: concat!(
    "cb821388c63c1e8c54098c27e010003fc6e200000101080a26c1e5063f642b351e18200deaf5f6940bea6c074b0cc184",
    "000007d107d07c08595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c",
    "4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    "535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    "595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    "55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50",
    "5152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c",
    "4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    "535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    "595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    "55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50",
    "5152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c",
    "4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    ),
};

/// `fixtures/linux/v1-csum-on.pcap` frame 13: IPv4 10.0.1.1 -> 10.0.1.2, TCP segment of 632 bytes.
const V1_CSUM_ON_F13: Seg = Seg {
    src: "10.0.1.1",
    dst: "10.0.1.2",
    hex: concat!(
    "cb821388c63c241c54098c27e018003fa82400000101080a26c1e5063f642b351e18200deaf5f6940bea6c074b0cc184",
    "000007d107d07c08535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    "595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    "55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50",
    "5152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c",
    "4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    "535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f50515253545556",
    ),
};

/// `fixtures/linux/v1-mpfail.pcap` frame 6: IPv4 10.0.1.1 -> 10.0.1.2, TCP segment of 1056 bytes.
const V1_MPFAIL_F6: Seg = Seg {
    src: "10.0.1.1",
    dst: "10.0.1.2",
    hex: concat!(
    "b6361388b042ebd0dfd84e4be018003ff41300000101080a9ac539e44c6ed0ff1e18200da0aaa38149af4a28f3335467",
    "000003e903e801af4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    "535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    "595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    "55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50",
    "5152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c",
    "4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152",
    "535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    ),
};

/// `fixtures/linux/v1-mpfail.pcap` frame 10: IPv4 10.0.1.1 -> 10.0.1.2, TCP segment of 56 bytes.
const V1_MPFAIL_F10: Seg = Seg {
    src: "10.0.1.1",
    dst: "10.0.1.2",
    hex: concat!(
    "b6361388b042f3a0dfd84e4be010003fef8c00000101080a9ac53a174c6ed1631e18201da0aaa38149af4a28f3335c37",
    "0000000000011cbc",
    ),
};

/// `fixtures/public/tcpdump_mptcp-fclose.pcap` frame 6: IPv4 10.1.1.2 -> 10.2.1.2, TCP segment of 53 bytes.
const FCLOSE_F6: Seg = Seg {
    src: "10.1.1.2",
    dst: "10.2.1.2",
    hex: concat!(
    "926707d270fdad53aafe9727d01800e5d6ed00000101080a00009556ffffa1ac1e142005c9dc1c61b1712fb600000001",
    "00019e9163",
    ),
};

/// `fixtures/public/tcpdump_mptcp-fclose.pcap` frame 8: IPv4 10.2.1.2 -> 10.1.1.2, TCP segment of 53 bytes.
const FCLOSE_F8: Seg = Seg {
    src: "10.2.1.2",
    dst: "10.1.1.2",
    hex: concat!(
    "07d29267aafe972770fdad54d01800e0207100000101080affffa212000095561e142005b1712fb7c9dc1c6100000001",
    "000154ab63",
    ),
};

/// `fixtures/linux/v1-ipv6.pcap` frame 2: IPv6 fd00:1::2 -> fd00:1::1, TCP segment of 52 bytes.
const V1_IPV6_F2: Seg = Seg {
    src: "fd00:1::2",
    dst: "fd00:1::1",
    hex: concat!(
    "1388d730bab3f464720ee3f5d012fb04653b0000020405a00402080ae77d5b5c1318976c0103030a1e0c010147b00e4b",
    "d59095e0",
    ),
};

/// `fixtures/linux/v1-ipv6.pcap` frame 5: IPv6 fd00:1::1 -> fd00:1::2, TCP segment of 652 bytes.
const V1_IPV6_F5: Seg = Seg {
    src: "fd00:1::1",
    dst: "fd00:1::2",
    hex: concat!(
    "d7301388720ee971bab3f465e01800400b8000000101080a1318976ce77d5b5c1e16010157142916f1f9df3d47b00e4b",
    "d59095e007d001014142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e",
    "4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a",
    "4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a414243444546",
    "4748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142",
    "434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    "595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f5051525354",
    "55565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50",
    "5152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c",
    "4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748",
    "494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a41424344",
    "45464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152535455565758595a",
    "4142434445464748494a4b4c4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f50515253545556",
    "5758595a4142434445464748494a4b4c4d4e4f505152535455565758",
    ),
};
