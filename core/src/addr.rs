//! The class of an IP address: is it one a host should advertise?
//!
//! This module owns [`classify`], which maps an address to an [`AddrClass`]
//! following the IANA IPv4 and IPv6 Special-Purpose Address Registries
//! (RFC 6890 and its updates) and the categories Hesmans et al. report for
//! addresses seen in ADD_ADDR ("A first look at real Multipath TCP
//! traffic", TMA 2015, §3.1 / Table 2: IPv4 and IPv6 link-local, IPv6
//! documentation, IPv4-compatible IPv6, 6to4).
//!
//! It must not keep state, allocate, or decide policy: whether a class
//! should be advertised is for the analysis layer.
//!
//! # Precedence where blocks overlap
//!
//! The most specific block wins; the checks run in this order.
//!
//! IPv4:
//! 1. `0.0.0.0/32` → [`Unspecified`](AddrClass::Unspecified); the rest of
//!    `0.0.0.0/8` ("this network") → [`Reserved`](AddrClass::Reserved).
//! 2. `255.255.255.255/32` → [`Broadcast`](AddrClass::Broadcast), before
//!    `240.0.0.0/4` → [`Reserved`](AddrClass::Reserved).
//! 3. `127/8` loopback, `10/8`, `172.16/12`, `192.168/16` private,
//!    `100.64/10` shared, `169.254/16` link-local, `192.0.2/24`,
//!    `198.51.100/24`, `203.0.113/24` documentation, `198.18/15`
//!    benchmarking, `224/4` multicast (these do not overlap).
//! 4. `192.0.0/24` (IETF protocol assignments) and `192.88.99/24` (the
//!    deprecated 6to4 relay anycast, RFC 7526) → reserved.
//! 5. Everything else → [`Global`](AddrClass::Global).
//!
//! IPv6:
//! 1. `::/128` unspecified, `::1/128` loopback.
//! 2. `::ffff:0:0/96` → [`Ipv4Mapped`](AddrClass::Ipv4Mapped); the rest of
//!    `::/96` → [`Ipv4Compatible`](AddrClass::Ipv4Compatible) (deprecated
//!    by RFC 4291, seen in the wild by Hesmans et al.).
//! 3. Inside `2001::/23`: `2001::/32` → [`Teredo`](AddrClass::Teredo),
//!    `2001:2::/48` → [`Benchmarking`](AddrClass::Benchmarking),
//!    `2001:10::/28` (deprecated ORCHID) → reserved; the other IETF
//!    protocol assignments there (`2001:1::1`, AMT, AS112, ORCHIDv2…) are
//!    globally reachable → global.
//! 4. `2001:db8::/32` and `3fff::/20` (RFC 9637) → documentation,
//!    `2002::/16` → [`SixToFour`](AddrClass::SixToFour), `fc00::/7` →
//!    unique local, `fe80::/10` → link-local, `ff00::/8` → multicast.
//! 5. `64:ff9b::/96` (NAT64 well-known prefix) → global.
//! 6. Anything else outside `2000::/3` (global unicast) → reserved: this
//!    covers `100::/64` (discard-only), `64:ff9b:1::/48` (local-use NAT64),
//!    `fec0::/10` (deprecated site-local) and unassigned space.
//! 7. Everything else → global.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The class of an IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddrClass {
    /// `0.0.0.0`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918: `10/8`, `172.16/12`, `192.168/16`.
    Private,
    /// RFC 6598 shared address space (carrier-grade NAT): `100.64/10`.
    Shared,
    /// `169.254/16`, `fe80::/10`.
    LinkLocal,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`,
    /// `3fff::/20`.
    Documentation,
    /// `198.18/15`, `2001:2::/48`.
    Benchmarking,
    /// IPv4-compatible IPv6 `::a.b.c.d` (excluding `::` and `::1`).
    Ipv4Compatible,
    /// IPv4-mapped IPv6 `::ffff:0:0/96`.
    Ipv4Mapped,
    /// 6to4 `2002::/16`.
    SixToFour,
    /// Teredo `2001::/32`.
    Teredo,
    /// Unique local `fc00::/7`.
    UniqueLocal,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// Limited broadcast `255.255.255.255`.
    Broadcast,
    /// Other special-purpose or unassigned blocks (see the module docs).
    Reserved,
    /// Anything else: a globally routable unicast address.
    Global,
}

impl AddrClass {
    /// Every class, in declaration order.
    pub const ALL: [AddrClass; 16] = [
        AddrClass::Unspecified,
        AddrClass::Loopback,
        AddrClass::Private,
        AddrClass::Shared,
        AddrClass::LinkLocal,
        AddrClass::Documentation,
        AddrClass::Benchmarking,
        AddrClass::Ipv4Compatible,
        AddrClass::Ipv4Mapped,
        AddrClass::SixToFour,
        AddrClass::Teredo,
        AddrClass::UniqueLocal,
        AddrClass::Multicast,
        AddrClass::Broadcast,
        AddrClass::Reserved,
        AddrClass::Global,
    ];

    /// snake_case name, as used in JSON output.
    pub const fn name(self) -> &'static str {
        match self {
            AddrClass::Unspecified => "unspecified",
            AddrClass::Loopback => "loopback",
            AddrClass::Private => "private",
            AddrClass::Shared => "shared",
            AddrClass::LinkLocal => "link_local",
            AddrClass::Documentation => "documentation",
            AddrClass::Benchmarking => "benchmarking",
            AddrClass::Ipv4Compatible => "ipv4_compatible",
            AddrClass::Ipv4Mapped => "ipv4_mapped",
            AddrClass::SixToFour => "six_to_four",
            AddrClass::Teredo => "teredo",
            AddrClass::UniqueLocal => "unique_local",
            AddrClass::Multicast => "multicast",
            AddrClass::Broadcast => "broadcast",
            AddrClass::Reserved => "reserved",
            AddrClass::Global => "global",
        }
    }

    /// Whether the class is [`Global`](AddrClass::Global).
    pub const fn is_global(self) -> bool {
        matches!(self, AddrClass::Global)
    }
}

impl fmt::Display for AddrClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the top `len` bits of `addr` equal those of `prefix`.
const fn in_prefix(addr: u128, prefix: u128, len: u32) -> bool {
    if len == 0 {
        return true;
    }
    // `len` is at most 128 for every prefix in this file.
    let shift = 128u32.saturating_sub(len);
    addr.wrapping_shr(shift) == prefix.wrapping_shr(shift)
}

const fn in_prefix4(addr: u32, prefix: u32, len: u32) -> bool {
    if len == 0 {
        return true;
    }
    let shift = 32u32.saturating_sub(len);
    addr.wrapping_shr(shift) == prefix.wrapping_shr(shift)
}

const fn v4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// Classifies an IPv4 address (see the module docs for precedence).
pub fn classify_v4(ip: Ipv4Addr) -> AddrClass {
    let a = ip.to_bits();
    let is = |p: u32, l: u32| in_prefix4(a, p, l);
    if a == 0 {
        AddrClass::Unspecified
    } else if a == u32::MAX {
        AddrClass::Broadcast
    } else if is(v4(127, 0, 0, 0), 8) {
        AddrClass::Loopback
    } else if is(v4(10, 0, 0, 0), 8) || is(v4(172, 16, 0, 0), 12) || is(v4(192, 168, 0, 0), 16) {
        AddrClass::Private
    } else if is(v4(100, 64, 0, 0), 10) {
        AddrClass::Shared
    } else if is(v4(169, 254, 0, 0), 16) {
        AddrClass::LinkLocal
    } else if is(v4(192, 0, 2, 0), 24) || is(v4(198, 51, 100, 0), 24) || is(v4(203, 0, 113, 0), 24)
    {
        AddrClass::Documentation
    } else if is(v4(198, 18, 0, 0), 15) {
        AddrClass::Benchmarking
    } else if is(v4(224, 0, 0, 0), 4) {
        AddrClass::Multicast
    } else if is(0, 8)
        || is(v4(240, 0, 0, 0), 4)
        || is(v4(192, 0, 0, 0), 24)
        || is(v4(192, 88, 99, 0), 24)
    {
        AddrClass::Reserved
    } else {
        AddrClass::Global
    }
}

/// Classifies an IPv6 address (see the module docs for precedence).
pub fn classify_v6(ip: Ipv6Addr) -> AddrClass {
    let a = ip.to_bits();
    let is = |p: u128, l: u32| in_prefix(a, p, l);
    if a == 0 {
        AddrClass::Unspecified
    } else if a == 1 {
        AddrClass::Loopback
    } else if is(0xffff_0000_0000, 96) {
        AddrClass::Ipv4Mapped
    } else if is(0, 96) {
        AddrClass::Ipv4Compatible
    } else if is(0x2001_0000 << 96, 32) {
        AddrClass::Teredo
    } else if is(0x2001_0002_0000 << 80, 48) {
        AddrClass::Benchmarking
    } else if is(0x2001_0010 << 96, 28) {
        AddrClass::Reserved
    } else if is(0x2001_0db8 << 96, 32) || is(0x3fff << 112, 20) {
        AddrClass::Documentation
    } else if is(0x2002 << 112, 16) {
        AddrClass::SixToFour
    } else if is(0xfc00 << 112, 7) {
        AddrClass::UniqueLocal
    } else if is(0xfe80 << 112, 10) {
        AddrClass::LinkLocal
    } else if is(0xff00 << 112, 8) {
        AddrClass::Multicast
    } else if is(0x0064_ff9b << 96, 96) {
        AddrClass::Global
    } else if !is(0x2000 << 112, 3) {
        AddrClass::Reserved
    } else {
        AddrClass::Global
    }
}

/// Classifies an address (see the module docs for precedence).
pub fn classify(ip: IpAddr) -> AddrClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}
