#![cfg(feature = "hmac")]
//! Test vectors for `mptcp_dissect::crypto`.
//!
//! Three independent sources:
//!
//! 1. **Real captures** (`/work/shared/captures/public/`, see `SOURCES.tsv`):
//!    tokens and IDSNs as computed by Wireshark (`mptcp.expected_token`,
//!    `mptcp.expected_idsn`), MP_JOIN HMACs and an ADD_ADDR HMAC as put on
//!    the wire by Linux kernels.
//! 2. **Python** `hashlib` / `hmac` one-liners (quoted above each vector).
//! 3. The HMAC-SHA256 self-test vectors of Linux `net/mptcp/crypto.c`
//!    (`CONFIG_MPTCP_HMAC_TEST`): there the 16-character ASCII "key" is
//!    `key1 || key2` and the 8-character ASCII "msg" is `nonce1 || nonce2`.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mptcp_dissect::crypto::{
    add_addr_hmac, add_addr_hmac_full, join_ack_hmac, join_synack_hmac, key_hash,
    AddAddrTruncation, KeyHash,
};
use mptcp_dissect::wire::mptcp::Version;

fn hex<const N: usize>(s: &str) -> [u8; N] {
    assert_eq!(s.len(), 2 * N, "hex length");
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex digit");
    }
    out
}

// ---------------------------------------------------------------------------
// 1a. Tokens and IDSNs from real captures.
//
// Obtained with
//   tshark -r <capture> -T fields -e frame.number -e tcp.options.mptcp.sendkey \
//     -e mptcp.expected_token -e mptcp.expected_idsn -Y 'tcp.options.mptcp.sendkey'
// (version from `-e tcp.options.mptcp.version`).
// ---------------------------------------------------------------------------

/// (capture, frame, version, key, token, idsn)
const KEY_VECTORS: &[(&str, u32, Version, u64, u32, u64)] = &[
    // Linux 5.x upstream, MPTCP v1.
    (
        "tcpdump_mptcp-v1.pcap",
        2,
        Version::V1,
        3001306557161771836,
        2740809090,
        11713449205243392241,
    ),
    (
        "tcpdump_mptcp-v1.pcap",
        3,
        Version::V1,
        2295531734017261039,
        597671344,
        14413541604287230029,
    ),
    // Upstream dev kernel 2020, MPTCP v1 (the ADD_ADDR capture's keys).
    (
        "tcpdump_mptcp-aa-v1.pcap",
        4,
        Version::V1,
        8339282239122616011,
        1597986193,
        12148165319181844525,
    ),
    (
        "tcpdump_mptcp-aa-v1.pcap",
        5,
        Version::V1,
        10307750418878507713,
        773504493,
        17186763219675866564,
    ),
    // Linux out-of-tree MPTCP v0 (2013).
    (
        "tcpdump_mptcp-v0.pcap",
        1,
        Version::V0,
        11285646634205721522,
        2945910507,
        10975753215851282121,
    ),
    (
        "tcpdump_mptcp-v0.pcap",
        2,
        Version::V0,
        10843866842831127890,
        3833528642,
        16464867208451421327,
    ),
    (
        "tcpdump_mptcp-fclose.pcap",
        3,
        Version::V0,
        11194187519776155303,
        3554470991,
        7512766147283988405,
    ),
    (
        "tcpdump_mptcp-fclose.pcap",
        4,
        Version::V0,
        14989582283654746948,
        528961146,
        8158535551756803168,
    ),
    // ns-3 DCE Linux MPTCP v0.
    (
        "pymptcpanalyzer_iperf-mptcp-0-0.pcap",
        5,
        Version::V0,
        15630232866698755056,
        176983692,
        9485794687403768073,
    ),
    (
        "pymptcpanalyzer_iperf-mptcp-0-0.pcap",
        6,
        Version::V0,
        15504481981035106882,
        809210772,
        15754397863267795546,
    ),
];

#[test]
fn key_hash_matches_wireshark_on_real_captures() {
    for &(capture, frame, version, key, token, idsn) in KEY_VECTORS {
        assert_eq!(
            key_hash(version, key),
            KeyHash { token, idsn },
            "{capture} frame {frame}"
        );
    }
}

// 1b. The same token is what the peer's MP_JOIN SYN carries: in
// tcpdump_mptcp-v0.pcap frame 8 (MP_JOIN SYN to 10.1.2.2:22) the receiver
// token is 3833528642 = token(key of 10.1.1.2:22, frame 2).
#[test]
fn join_syn_token_is_listener_key_token() {
    assert_eq!(
        key_hash(Version::V0, 10843866842831127890).token,
        3833528642
    );
    // pymptcpanalyzer_iperf-mptcp-0-0.pcap frames 24/26/27: token 809210772
    // = token(key of the server 10.2.0.1:5001, frame 6).
    assert_eq!(key_hash(Version::V0, 15504481981035106882).token, 809210772);
}

// ---------------------------------------------------------------------------
// 1c. MP_JOIN HMACs from real v0 captures.
//
//   tshark -r <capture> -T fields -e frame.number -e tcp.options.mptcp.recvtok \
//     -e tcp.options.mptcp.sendtrunchmac -e tcp.options.mptcp.sendrand \
//     -e tcp.options.mptcp.sendhmac -Y 'tcp.options.mptcp.subtype == 1'
// ---------------------------------------------------------------------------

#[test]
fn join_hmacs_match_tcpdump_v0_capture() {
    // tcpdump_mptcp-v0.pcap: initiator 10.1.1.2 side (key frame 1), listener
    // 10.1.1.2:22 side (key frame 2); subflow 10.2.1.2:41221 -> 10.1.2.2:22.
    let initiator_key = 11285646634205721522;
    let listener_key = 10843866842831127890;
    let initiator_nonce = 459692568; // frame 8, SYN
    let listener_nonce = 866904533; // frame 9, SYN/ACK
    assert_eq!(
        join_synack_hmac(
            Version::V0,
            listener_key,
            initiator_key,
            listener_nonce,
            initiator_nonce
        ),
        6536553503648313405 // frame 9
    );
    assert_eq!(
        join_ack_hmac(
            Version::V0,
            initiator_key,
            listener_key,
            initiator_nonce,
            listener_nonce
        ),
        hex::<20>("cb7b87f5e5f0502f43b535fb70ef6607df2e6c7a") // frame 10
    );
}

#[test]
fn join_hmacs_match_pymptcpanalyzer_v0_capture() {
    // pymptcpanalyzer_iperf-mptcp-0-0.pcap: client 10.1.0.1 (key frame 5),
    // server 10.2.0.1 (key frame 6); subflow 10.1.0.1:49078 -> 10.2.1.1:5001.
    let initiator_key = 15630232866698755056;
    let listener_key = 15504481981035106882;
    let initiator_nonce = 2910429252; // frame 26, SYN
    let listener_nonce = 2696637541; // frame 57, SYN/ACK
    assert_eq!(
        join_synack_hmac(
            Version::V0,
            listener_key,
            initiator_key,
            listener_nonce,
            initiator_nonce
        ),
        7061322843868767095 // frame 57
    );
    assert_eq!(
        join_ack_hmac(
            Version::V0,
            initiator_key,
            listener_key,
            initiator_nonce,
            listener_nonce
        ),
        hex::<20>("825aadbb1222dd68b5352bf31ff13fe7f3d1e499") // frame 62
    );
}

// ---------------------------------------------------------------------------
// 1d. ADD_ADDR HMAC from a real v1 capture.
//
// tcpdump_mptcp-aa-v1.pcap frame 13: ADD_ADDR sent by 192.168.125.165:55555
// (the listener, whose key 8339282239122616011 is in frame 4's SYN/ACK) to
// 192.168.125.212 (key 10307750418878507713, frame 5), address id 1,
// 192.168.136.225, no port, truncated HMAC 7392984743117484396.
//
// That capture comes from a 2020 Linux development kernel which put the
// *leftmost* 64 bits on the wire, not the rightmost as RFC 8684 says:
//   python3 -c "import hmac,hashlib,struct;d=hmac.new(struct.pack('>QQ',
//     8339282239122616011,10307750418878507713),bytes([1,192,168,136,225,0,0]),
//     hashlib.sha256).digest();print(int.from_bytes(d[:8],'big'),
//     int.from_bytes(d[-8:],'big'))"
//   -> 7392984743117484396 16204044656920382501
// With the keys swapped, or without the two zero port bytes, no 64-bit
// window of the HMAC matches.
// ---------------------------------------------------------------------------

#[test]
fn add_addr_hmac_matches_tcpdump_aa_v1_capture() {
    let sender_key = 8339282239122616011;
    let receiver_key = 10307750418878507713;
    let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 136, 225));
    let full = add_addr_hmac_full(sender_key, receiver_key, 1, ip, None);
    assert_eq!(
        AddAddrTruncation::LinuxDevLeftmost.apply(&full),
        7392984743117484396
    );
    // The RFC truncation of the same HMAC (what a current kernel would send).
    assert_eq!(
        add_addr_hmac(sender_key, receiver_key, 1, ip, None),
        16204044656920382501
    );
    // Key order matters: the receiver's key first does not verify.
    let swapped = add_addr_hmac_full(receiver_key, sender_key, 1, ip, None);
    assert!(AddAddrTruncation::ALL
        .iter()
        .all(|t| t.apply(&swapped) != 7392984743117484396));
}

// ---------------------------------------------------------------------------
// 2. Python vectors (synthetic keys/nonces).
//   A = 0x0123456789abcdef (initiator), B = 0xfedcba9876543210 (listener),
//   R-A = 0x11223344, R-B = 0x55667788.
// ---------------------------------------------------------------------------

const KEY_A: u64 = 0x0123_4567_89ab_cdef;
const KEY_B: u64 = 0xfedc_ba98_7654_3210;
const R_A: u32 = 0x1122_3344;
const R_B: u32 = 0x5566_7788;

#[test]
fn key_hash_python_vectors() {
    // python3 -c "import hashlib,struct;d=hashlib.sha1(struct.pack('>Q',0x0123456789abcdef)).digest();print(hex(int.from_bytes(d[:4],'big')),hex(int.from_bytes(d[-8:],'big')))"
    // -> 0xca2eadb 0xe3df8ee121f10547
    assert_eq!(
        key_hash(Version::V0, KEY_A),
        KeyHash {
            token: 0x0ca2_eadb,
            idsn: 0xe3df_8ee1_21f1_0547
        }
    );
    // python3 -c "import hashlib,struct;d=hashlib.sha256(struct.pack('>Q',0x0123456789abcdef)).digest();print(hex(int.from_bytes(d[:4],'big')),hex(int.from_bytes(d[-8:],'big')))"
    // -> 0x55c53f5d 0x570762cd38be9818
    assert_eq!(
        key_hash(Version::V1, KEY_A),
        KeyHash {
            token: 0x55c5_3f5d,
            idsn: 0x5707_62cd_38be_9818
        }
    );
}

#[test]
fn join_v0_python_vectors() {
    // SYN/ACK (HMAC-B):
    // python3 -c "import hmac,hashlib,struct;print(hmac.new(struct.pack('>QQ',0xfedcba9876543210,0x0123456789abcdef),struct.pack('>II',0x55667788,0x11223344),hashlib.sha1).hexdigest())"
    // -> 49412f7213682cb10e646a6cf7c020034887a3eb
    assert_eq!(
        join_synack_hmac(Version::V0, KEY_B, KEY_A, R_B, R_A),
        0x4941_2f72_1368_2cb1
    );
    // ACK (HMAC-A):
    // python3 -c "import hmac,hashlib,struct;print(hmac.new(struct.pack('>QQ',0x0123456789abcdef,0xfedcba9876543210),struct.pack('>II',0x11223344,0x55667788),hashlib.sha1).hexdigest())"
    // -> 7120574de71020f0d199f170407bf80fb408fdc4
    assert_eq!(
        join_ack_hmac(Version::V0, KEY_A, KEY_B, R_A, R_B),
        hex::<20>("7120574de71020f0d199f170407bf80fb408fdc4")
    );
}

#[test]
fn join_v1_python_vectors() {
    // python3 -c "import hmac,hashlib,struct;print(hmac.new(struct.pack('>QQ',0xfedcba9876543210,0x0123456789abcdef),struct.pack('>II',0x55667788,0x11223344),hashlib.sha256).hexdigest())"
    // -> 0d44dc5f555121b7027f5508b30392de251c946ac377f517ba2194c06bc4d441
    assert_eq!(
        join_synack_hmac(Version::V1, KEY_B, KEY_A, R_B, R_A),
        0x0d44_dc5f_5551_21b7
    );
    // python3 -c "import hmac,hashlib,struct;print(hmac.new(struct.pack('>QQ',0x0123456789abcdef,0xfedcba9876543210),struct.pack('>II',0x11223344,0x55667788),hashlib.sha256).hexdigest())"
    // -> d8b5e46b7a782e79d3ecfd78307751df993e222b384c52754868f2561cf58998
    // (the ACK carries the leftmost 160 bits)
    assert_eq!(
        join_ack_hmac(Version::V1, KEY_A, KEY_B, R_A, R_B),
        hex::<20>("d8b5e46b7a782e79d3ecfd78307751df993e222b")
    );
}

#[test]
fn add_addr_python_vectors() {
    // IPv4, no port (hashed as two zero bytes), sender = A:
    // python3 -c "import hmac,hashlib,struct,ipaddress;print(hmac.new(struct.pack('>QQ',0x0123456789abcdef,0xfedcba9876543210),bytes([5])+ipaddress.ip_address('198.51.100.7').packed+struct.pack('>H',0),hashlib.sha256).hexdigest())"
    // -> 3b4298e18597cd9ec04e64eaf465a21b3f32547fea733e72b67690c467c015fb
    let v4 = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
    assert_eq!(
        add_addr_hmac_full(KEY_A, KEY_B, 5, v4, None),
        hex::<32>("3b4298e18597cd9ec04e64eaf465a21b3f32547fea733e72b67690c467c015fb")
    );
    assert_eq!(
        add_addr_hmac(KEY_A, KEY_B, 5, v4, None),
        0xb676_90c4_67c0_15fb
    );
    // Port 0 and no port are the same message.
    assert_eq!(
        add_addr_hmac(KEY_A, KEY_B, 5, v4, Some(0)),
        0xb676_90c4_67c0_15fb
    );

    // IPv4, port 443:
    // python3 -c "import hmac,hashlib,struct,ipaddress;print(hmac.new(struct.pack('>QQ',0x0123456789abcdef,0xfedcba9876543210),bytes([5])+ipaddress.ip_address('198.51.100.7').packed+struct.pack('>H',443),hashlib.sha256).hexdigest())"
    // -> 783ecf9989805897f47e7042ecaff876cc4622c7477098bb8dda53849c5b2ac2
    assert_eq!(
        add_addr_hmac(KEY_A, KEY_B, 5, v4, Some(443)),
        0x8dda_5384_9c5b_2ac2
    );

    // IPv6, port 8080:
    // python3 -c "import hmac,hashlib,struct,ipaddress;print(hmac.new(struct.pack('>QQ',0x0123456789abcdef,0xfedcba9876543210),bytes([9])+ipaddress.ip_address('2001:db8::1').packed+struct.pack('>H',8080),hashlib.sha256).hexdigest())"
    // -> 589c54532e27ed8799cf1d5ce50ab7da330c6976a858c024c774448b4bb60a6a
    let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    let full = add_addr_hmac_full(KEY_A, KEY_B, 9, v6, Some(8080));
    assert_eq!(
        full,
        hex::<32>("589c54532e27ed8799cf1d5ce50ab7da330c6976a858c024c774448b4bb60a6a")
    );
    assert_eq!(
        add_addr_hmac(KEY_A, KEY_B, 9, v6, Some(8080)),
        0xc774_448b_4bb6_0a6a
    );
    assert_eq!(
        AddAddrTruncation::LinuxDevLeftmost.apply(&full),
        0x589c_5453_2e27_ed87
    );
    assert_eq!(
        AddAddrTruncation::LinuxDevRightmostOf160.apply(&full),
        0xe50a_b7da_330c_6976
    );
}

// ---------------------------------------------------------------------------
// 3. Linux net/mptcp/crypto.c self-test vectors (HMAC-SHA256, key1||key2 as
//    big-endian u64s, nonce1||nonce2 as big-endian u32s). Cross-checked with
//    python3 -c "import hmac,hashlib;print(hmac.new(b'0b0b0b0b0b0b0b0b',b'48692054',hashlib.sha256).hexdigest())"
// ---------------------------------------------------------------------------

fn be64(s: &[u8; 8]) -> u64 {
    u64::from_be_bytes(*s)
}
fn be32(s: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*s)
}

#[test]
fn kernel_selftest_vectors() {
    let cases: [(&[u8; 16], &[u8; 8], &str); 3] = [
        (
            b"0b0b0b0b0b0b0b0b",
            b"48692054",
            "8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa",
        ),
        (
            b"aaaaaaaaaaaaaaaa",
            b"dddddddd",
            "2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9",
        ),
        (
            b"0102030405060708",
            b"cdcdcdcd",
            "e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d",
        ),
    ];
    for (key, msg, result) in cases {
        let k1 = be64(key[..8].try_into().unwrap());
        let k2 = be64(key[8..].try_into().unwrap());
        let n1 = be32(msg[..4].try_into().unwrap());
        let n2 = be32(msg[4..].try_into().unwrap());
        let full = hex::<32>(result);
        // As the listener's SYN/ACK: key1 = listener key, nonce1 = R-B.
        assert_eq!(
            join_synack_hmac(Version::V1, k1, k2, n1, n2),
            u64::from_be_bytes(full[..8].try_into().unwrap())
        );
        // As the initiator's ACK: key1 = initiator key, nonce1 = R-A.
        assert_eq!(join_ack_hmac(Version::V1, k1, k2, n1, n2)[..], full[..20]);
    }
}

// ---------------------------------------------------------------------------
// Properties: argument roles are not interchangeable.
// ---------------------------------------------------------------------------

#[test]
fn roles_are_ordered() {
    for v in [Version::V0, Version::V1] {
        assert_ne!(
            join_synack_hmac(v, KEY_B, KEY_A, R_B, R_A),
            join_synack_hmac(v, KEY_A, KEY_B, R_A, R_B)
        );
        // The SYN/ACK truncated HMAC is the prefix of the HMAC the listener
        // would compute in the ACK position with its own key first.
        let as_ack = join_ack_hmac(v, KEY_B, KEY_A, R_B, R_A);
        assert_eq!(
            join_synack_hmac(v, KEY_B, KEY_A, R_B, R_A),
            u64::from_be_bytes(as_ack[..8].try_into().unwrap())
        );
    }
}
