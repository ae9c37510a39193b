//! Address classification table tests, with block boundaries.

use core::net::IpAddr;

use mptcp_dissect::addr::{classify, AddrClass};
use AddrClass::*;

fn check(table: &[(&str, AddrClass)]) {
    for &(s, want) in table {
        let ip: IpAddr = s.parse().unwrap();
        assert_eq!(classify(ip), want, "{s}");
    }
}

#[test]
fn ipv4_table() {
    check(&[
        ("0.0.0.0", Unspecified),
        ("0.0.0.1", Reserved),
        ("0.255.255.255", Reserved),
        ("1.0.0.0", Global),
        ("9.255.255.255", Global),
        ("10.0.0.0", Private),
        ("10.255.255.255", Private),
        ("11.0.0.0", Global),
        ("100.63.255.255", Global),
        ("100.64.0.0", Shared),
        ("100.127.255.255", Shared),
        ("100.128.0.0", Global),
        ("126.255.255.255", Global),
        ("127.0.0.0", Loopback),
        ("127.255.255.255", Loopback),
        ("128.0.0.0", Global),
        ("169.253.255.255", Global),
        ("169.254.0.0", LinkLocal),
        ("169.254.255.255", LinkLocal),
        ("169.255.0.0", Global),
        ("172.15.255.255", Global),
        ("172.16.0.0", Private),
        ("172.31.255.255", Private),
        ("172.32.0.0", Global),
        ("192.0.0.0", Reserved),
        ("192.0.0.255", Reserved),
        ("192.0.1.255", Global),
        ("192.0.2.0", Documentation),
        ("192.0.2.255", Documentation),
        ("192.0.3.0", Global),
        ("192.88.99.1", Reserved),
        ("192.167.255.255", Global),
        ("192.168.0.0", Private),
        ("192.168.255.255", Private),
        ("192.169.0.0", Global),
        ("198.17.255.255", Global),
        ("198.18.0.0", Benchmarking),
        ("198.19.255.255", Benchmarking),
        ("198.20.0.0", Global),
        ("198.51.99.255", Global),
        ("198.51.100.0", Documentation),
        ("198.51.100.255", Documentation),
        ("198.51.101.0", Global),
        ("203.0.112.255", Global),
        ("203.0.113.0", Documentation),
        ("203.0.113.255", Documentation),
        ("203.0.114.0", Global),
        ("223.255.255.255", Global),
        ("224.0.0.0", Multicast),
        ("239.255.255.255", Multicast),
        ("240.0.0.0", Reserved),
        ("255.255.255.254", Reserved),
        ("255.255.255.255", Broadcast),
        ("8.8.8.8", Global),
    ]);
}

#[test]
fn ipv6_table() {
    check(&[
        ("::", Unspecified),
        ("::1", Loopback),
        ("::2", Ipv4Compatible),
        ("::192.0.2.1", Ipv4Compatible),
        ("::255.255.255.255", Ipv4Compatible),
        ("::1:0:0", Reserved), // ::/96 ends at ::ffff:ffff
        ("::fffe:ffff:ffff", Reserved),
        ("::ffff:0:0", Ipv4Mapped),
        ("::ffff:10.0.0.1", Ipv4Mapped),
        ("::ffff:255.255.255.255", Ipv4Mapped),
        ("::1:0:0:0", Reserved),
        ("64:ff9b::1.2.3.4", Global),
        ("64:ff9b:1::1", Reserved),
        ("100::", Reserved),
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
        ("2000::", Global),
        ("2001::", Teredo),
        ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", Teredo),
        ("2001:1::1", Global),
        ("2001:2::", Benchmarking),
        ("2001:2:0:ffff:ffff:ffff:ffff:ffff", Benchmarking),
        ("2001:2:1::", Global),
        ("2001:10::", Reserved),
        ("2001:1f:ffff::", Reserved),
        ("2001:20::", Global),
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", Global),
        ("2001:db8::", Documentation),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", Documentation),
        ("2001:db9::", Global),
        ("2002::", SixToFour),
        ("2002:c000:0201::1", SixToFour),
        ("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SixToFour),
        ("2003::", Global),
        ("2a00:1450::1", Global),
        ("3fff::", Documentation),
        ("3fff:0fff:ffff:ffff:ffff:ffff:ffff:ffff", Documentation),
        ("3fff:1000::", Global),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Global),
        ("4000::", Reserved),
        ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
        ("fc00::", UniqueLocal),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", UniqueLocal),
        ("fe00::", Reserved),
        ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
        ("fe80::", LinkLocal),
        ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", LinkLocal),
        ("fec0::", Reserved),
        ("ff00::", Multicast),
        ("ff02::1", Multicast),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Multicast),
    ]);
}

#[test]
fn names_are_snake_case_and_unique() {
    let names: Vec<&str> = AddrClass::ALL.iter().map(|c| c.name()).collect();
    for n in &names {
        assert!(
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{n}"
        );
    }
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len());
    assert_eq!(Private.name(), "private");
    assert_eq!(SixToFour.name(), "six_to_four");
    assert_eq!(Ipv4Compatible.to_string(), "ipv4_compatible");
    assert!(Global.is_global() && !Private.is_global());
}
