//! Per-connection state: the value stored in the connection table
//! (`FlowTable<u32, Connection, C>`, keyed by the **server's** (listener's)
//! token), and the token alias table (`FlowTable<u32, SlotId, C>`, client
//! token → connection) that makes a connection reachable from either
//! endpoint's token.
//!
//! This module owns what the dissector remembers about one MPTCP connection:
//! keys, tokens and IDSNs, the initial subflow's endpoints, subflow
//! counters, data-sequence state per direction, the bounded set of
//! advertised addresses and the signals seen (MP_PRIO, REMOVE_ADDR, MP_FAIL,
//! MP_FASTCLOSE, fallback). It must not parse bytes nor hash anything: the
//! dissector computes tokens and IDSNs (once, when a key is first learned)
//! and hands values in.
//!
//! # Directions
//!
//! Per-direction arrays are indexed by [`Role::index`]: `c2s` is from the
//! connection's client (the initiator of the initial subflow) to its server.
//!
//! # Memory
//!
//! [`Connection`] is 216 bytes (alignment 8), a connection-table slot
//! 256 bytes, an alias-table slot (`Slot<u32, SlotId>`) 64 bytes (48 of
//! fields, slots being cache-line aligned on hosts; 48 on bare metal);
//! with the index words (8 bytes per entry and table), **one connection of
//! capacity costs 256 + 8 + 64 + 8 = 336 bytes** (320 on bare metal).
//! Pinned by a test.
//!
//! # Deviations from the design notes
//!
//! * The advertised-address set holds [`ADDR_SLOTS`] = 2 entries (not 4) to
//!   keep the slot within 256 bytes; overflows are counted in
//!   [`Connection::addr_overflow`] and every advertisement is still reported
//!   as an event, so a caller that wants the full list (the CLI does) can
//!   accumulate it.
//! * No DATA_ACK per direction is kept (16 bytes the slot does not have;
//!   nothing reads it yet).
//! * There is no separate "last full DSN" per direction: the expansion
//!   reference is the highest DSN end seen (or the IDSN before any data),
//!   which is the same value for in-order data and closer to new data after
//!   a reinjection.

use core::net::{IpAddr, Ipv6Addr};

use crate::flow::subflow::{HmacVerdict, Role};
use crate::flow::{Direction, FlowKey};
use crate::wire::mptcp::Version;

/// Advertised addresses remembered per connection.
pub const ADDR_SLOTS: usize = 2;

/// Why a connection ended (or `Open` while it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConnEnd {
    /// Still open.
    Open,
    /// DATA_FIN seen in both directions.
    DataFin,
    /// MP_FASTCLOSE seen.
    Fastclose,
    /// Every subflow was reset.
    Rst,
    /// Every linked subflow ended, at least one by FIN both ways, without
    /// DATA_FIN both ways or MP_FASTCLOSE: a close at the TCP level only,
    /// as after a fallback to TCP (RFC 8684 §3.7).
    FinOnly,
    /// Removed from the table to make room.
    Evicted,
    /// Removed from the table after its idle timeout.
    Idle,
}

/// One advertised address (compact: IPv4 stored IPv4-mapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AddrEntry {
    ip: [u8; 16],
    port: u16,
    id: u8,
    /// bit 0: in use, bit 1: has port, bits 2-3: verdict, bit 4: sent by
    /// the server.
    meta: u8,
}

impl AddrEntry {
    const EMPTY: AddrEntry = AddrEntry {
        ip: [0; 16],
        port: 0,
        id: 0,
        meta: 0,
    };

    fn new(sender: Role, id: u8, ip: IpAddr, port: Option<u16>, hmac: HmacVerdict) -> Self {
        let bytes = match ip {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => v6.octets(),
        };
        let v: u8 = match hmac {
            HmacVerdict::Valid => 0,
            HmacVerdict::Invalid => 1,
            HmacVerdict::Unverifiable => 2,
        };
        AddrEntry {
            ip: bytes,
            port: port.unwrap_or(0),
            id,
            meta: 1
                | if port.is_some() { 2 } else { 0 }
                | (v << 2)
                | if sender == Role::S2c { 16 } else { 0 },
        }
    }

    /// Who advertised it (connection roles): address ids are each host's
    /// own, so the client's id 1 and the server's id 1 are two addresses.
    #[must_use]
    pub fn sender(&self) -> Role {
        if self.meta & 16 != 0 {
            Role::S2c
        } else {
            Role::C2s
        }
    }

    /// `true` if the entry holds `sender`'s address id `id`.
    fn holds(&self, sender: Role, id: u8) -> bool {
        self.in_use() && self.id == id && self.sender() == sender
    }

    /// `true` if the entry holds an address.
    #[must_use]
    pub fn in_use(&self) -> bool {
        self.meta & 1 != 0
    }

    /// Address id.
    #[must_use]
    pub fn id(&self) -> u8 {
        self.id
    }

    /// The address (IPv4 if stored IPv4-mapped).
    #[must_use]
    pub fn ip(&self) -> IpAddr {
        let v6 = Ipv6Addr::from(self.ip);
        match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        }
    }

    /// The port, if the option carried one.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        (self.meta & 2 != 0).then_some(self.port)
    }

    /// HMAC verdict of the advertisement.
    #[must_use]
    pub fn hmac(&self) -> HmacVerdict {
        match (self.meta >> 2) & 3 {
            0 => HmacVerdict::Valid,
            1 => HmacVerdict::Invalid,
            _ => HmacVerdict::Unverifiable,
        }
    }
}

/// Data-level state of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DataDir {
    /// Highest DSN end (`dsn + len`) seen; meaningful when
    /// [`Connection::has_dsn`].
    pub dsn_hi: u64,
    /// DSN of the DATA_FIN; meaningful when [`Connection::data_fin`].
    pub data_fin_dsn: u64,
    /// Bytes counted as reinjected (bounded approximation, see the
    /// dissector docs).
    pub reinjected: u64,
}

/// The state of one MPTCP connection (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Connection {
    /// Client key, if seen (0 otherwise; see [`Connection::client_key`]).
    client_key_raw: u64,
    /// Server key (always known: a connection is created when it is).
    pub server_key: u64,
    /// IDSN of the client's data (valid with the client key).
    client_idsn_raw: u64,
    /// IDSN of the server's data.
    pub server_idsn: u64,
    first_join_ts_raw: u64,
    /// Data-level state per direction, indexed by [`Role::index`].
    pub data: [DataDir; 2],
    /// DSN of the last MP_FAIL (valid when [`Connection::mp_fail`] > 0).
    pub mp_fail_dsn: u64,
    /// The initial subflow's key.
    pub initial: FlowKey,
    /// Direction (relative to [`Connection::initial`]) of the client's
    /// segments on the initial subflow.
    pub client_dir: Direction,
    /// MPTCP version.
    pub version: Version,
    /// How the connection ended, once that is final: DATA_FIN both ways
    /// or MP_FASTCLOSE, whichever came first, or (set when it leaves the
    /// table) every subflow reset, eviction or idleness; `Open` before.
    /// [`Connection::end_so_far`] is what to report.
    pub end: ConnEnd,
    /// DSS checksums negotiated (C flag of either side).
    pub checksum: bool,
    /// Fallback to TCP was seen (infinite mapping, data without DSS).
    pub fallback: bool,
    /// MP_FASTCLOSE seen.
    pub fastclose: bool,
    /// Client token (valid with the client key).
    client_token_raw: u32,
    /// Server token (the table key).
    pub server_token: u32,
    /// Creation counter: the public connection id (wraps after 2³²
    /// connections).
    pub serial: u32,
    /// Subflows linked (initial + joins accepted).
    pub subflows_linked: u16,
    /// Linked subflows that completed their handshake.
    pub subflows_established: u16,
    /// Linked subflows reset.
    pub subflows_reset: u16,
    /// Linked subflows closed by FIN both ways.
    pub subflows_closed: u16,
    /// MP_JOIN attempts rejected for an invalid HMAC.
    pub joins_rejected: u16,
    /// REMOVE_ADDR ids seen.
    pub remove_addr: u16,
    /// MP_PRIO options seen.
    pub mp_prio: u16,
    /// MP_FAIL options seen.
    pub mp_fail: u16,
    /// ADD_ADDR advertisements that did not fit [`Connection::addrs`].
    pub addr_overflow: u16,
    /// Advertised addresses (bounded set, see [`ADDR_SLOTS`]).
    pub addrs: [AddrEntry; ADDR_SLOTS],
    has_client_key: bool,
    has_first_join: bool,
    /// Bits: 1 c2s has DSN, 2 c2s DATA_FIN, 4 s2c has DSN, 8 s2c DATA_FIN,
    /// 16 c2s 8-byte DSN seen, 32 s2c 8-byte DSN seen.
    dflags: u8,
}

impl Connection {
    /// A connection first learned from its server key.
    #[must_use]
    pub fn new(
        version: Version,
        serial: u32,
        initial: FlowKey,
        client_dir: Direction,
        server_key: u64,
        server_token: u32,
        server_idsn: u64,
    ) -> Self {
        Connection {
            client_key_raw: 0,
            server_key,
            client_idsn_raw: 0,
            server_idsn,
            first_join_ts_raw: 0,
            data: [DataDir::default(); 2],
            mp_fail_dsn: 0,
            initial,
            client_dir,
            version,
            end: ConnEnd::Open,
            checksum: false,
            fallback: false,
            fastclose: false,
            client_token_raw: 0,
            server_token,
            serial,
            subflows_linked: 0,
            subflows_established: 0,
            subflows_reset: 0,
            subflows_closed: 0,
            joins_rejected: 0,
            remove_addr: 0,
            mp_prio: 0,
            mp_fail: 0,
            addr_overflow: 0,
            addrs: [AddrEntry::EMPTY; ADDR_SLOTS],
            has_client_key: false,
            has_first_join: false,
            dflags: 0,
        }
    }

    /// Time of the first MP_JOIN SYN that named this connection.
    #[must_use]
    pub fn first_join_ts(&self) -> Option<u64> {
        self.has_first_join.then_some(self.first_join_ts_raw)
    }

    /// Records a join SYN time (only the first one is kept).
    pub fn note_join_syn(&mut self, now: u64) {
        if !self.has_first_join {
            self.has_first_join = true;
            self.first_join_ts_raw = now;
        }
    }

    fn dbit(role: Role, fin: bool) -> u8 {
        let base = match role {
            Role::C2s => 1,
            Role::S2c => 4,
        };
        if fin {
            base << 1
        } else {
            base
        }
    }

    /// Whether the upper 32 bits of `role`'s DSNs are known: its IDSN is
    /// (from the keys), or an 8-byte DSN was seen in that direction. A
    /// 4-byte DSN expands to the value nearest the last DSN seen (or the
    /// IDSN); without either it is a guess.
    #[must_use]
    pub fn dsn_upper_known(&self, role: Role) -> bool {
        self.idsn_of(role).is_some() || self.dflags & Self::wide_bit(role) != 0
    }

    /// Records an 8-byte DSN of `role`'s direction. When the upper bits were
    /// unknown until now, the last DSN seen (a guess from 4-byte DSNs) is
    /// replaced with this one.
    pub fn note_wide_dsn(&mut self, role: Role, dsn: u64) {
        if !self.dsn_upper_known(role) && self.has_dsn(role) {
            self.dir_mut(role).dsn_hi = dsn;
        }
        self.dflags |= Self::wide_bit(role);
    }

    fn wide_bit(role: Role) -> u8 {
        match role {
            Role::C2s => 16,
            Role::S2c => 32,
        }
    }

    /// `true` once a DSN was seen in `role`'s direction.
    #[must_use]
    pub fn has_dsn(&self, role: Role) -> bool {
        self.dflags & Self::dbit(role, false) != 0
    }

    /// Records a DSN range end in `role`'s direction (keeps the highest).
    pub fn note_dsn_end(&mut self, role: Role, end: u64) {
        let had = self.has_dsn(role);
        self.dflags |= Self::dbit(role, false);
        let d = self.dir_mut(role);
        if !had || (end.wrapping_sub(d.dsn_hi) as i64) > 0 {
            d.dsn_hi = end;
        }
    }

    /// DSN of `role`'s DATA_FIN, if seen.
    #[must_use]
    pub fn data_fin(&self, role: Role) -> Option<u64> {
        (self.dflags & Self::dbit(role, true) != 0).then_some(self.dir(role).data_fin_dsn)
    }

    /// Records `role`'s DATA_FIN; `false` if one was already recorded.
    pub fn set_data_fin(&mut self, role: Role, dsn: u64) -> bool {
        if self.data_fin(role).is_some() {
            return false;
        }
        self.dflags |= Self::dbit(role, true);
        self.dir_mut(role).data_fin_dsn = dsn;
        true
    }

    /// Client key, if seen.
    #[must_use]
    pub fn client_key(&self) -> Option<u64> {
        self.has_client_key.then_some(self.client_key_raw)
    }

    /// Client token, if the client key was seen.
    #[must_use]
    pub fn client_token(&self) -> Option<u32> {
        self.has_client_key.then_some(self.client_token_raw)
    }

    /// IDSN of the client's data, if the client key was seen.
    #[must_use]
    pub fn client_idsn(&self) -> Option<u64> {
        self.has_client_key.then_some(self.client_idsn_raw)
    }

    /// Records the client key and its derived token and IDSN.
    pub fn set_client_key(&mut self, key: u64, token: u32, idsn: u64) {
        self.client_key_raw = key;
        self.client_token_raw = token;
        self.client_idsn_raw = idsn;
        self.has_client_key = true;
    }

    /// Key of the sender of a `role` segment (connection level).
    #[must_use]
    pub fn key_of(&self, role: Role) -> Option<u64> {
        match role {
            Role::C2s => self.client_key(),
            Role::S2c => Some(self.server_key),
        }
    }

    /// IDSN of `role`'s data.
    #[must_use]
    pub fn idsn_of(&self, role: Role) -> Option<u64> {
        match role {
            Role::C2s => self.client_idsn(),
            Role::S2c => Some(self.server_idsn),
        }
    }

    /// `(client, server)` endpoints of the initial subflow.
    #[must_use]
    pub fn endpoints(&self) -> ((IpAddr, u16), (IpAddr, u16)) {
        self.initial.endpoints(self.client_dir)
    }

    /// Data-level state of `role`'s direction.
    #[must_use]
    pub fn dir(&self, role: Role) -> &DataDir {
        let [c, s] = &self.data;
        match role {
            Role::C2s => c,
            Role::S2c => s,
        }
    }

    /// Data-level state of `role`'s direction, mutably.
    pub fn dir_mut(&mut self, role: Role) -> &mut DataDir {
        let [c, s] = &mut self.data;
        match role {
            Role::C2s => c,
            Role::S2c => s,
        }
    }

    /// Adds (or updates, by id) an advertised address; `false` if the set
    /// is full (counted in [`Connection::addr_overflow`]).
    pub fn add_addr(
        &mut self,
        sender: Role,
        id: u8,
        ip: IpAddr,
        port: Option<u16>,
        hmac: HmacVerdict,
    ) -> bool {
        let e = AddrEntry::new(sender, id, ip, port, hmac);
        if let Some(slot) = self.addrs.iter_mut().find(|a| a.holds(sender, id)) {
            *slot = e;
            return true;
        }
        if let Some(slot) = self.addrs.iter_mut().find(|a| !a.in_use()) {
            *slot = e;
            return true;
        }
        self.addr_overflow = self.addr_overflow.saturating_add(1);
        false
    }

    /// Removes the address with id `id` that `sender` advertised (a host
    /// removes its own ids; counted either way).
    pub fn remove_addr(&mut self, sender: Role, id: u8) {
        self.remove_addr = self.remove_addr.saturating_add(1);
        for a in self.addrs.iter_mut().filter(|a| a.holds(sender, id)) {
            *a = AddrEntry::EMPTY;
        }
    }

    /// The advertised addresses currently in the set.
    pub fn addrs(&self) -> impl Iterator<Item = &AddrEntry> + '_ {
        self.addrs.iter().filter(|a| a.in_use())
    }

    /// How the connection has ended so far, the one rule every output
    /// uses: the stored [`end`](Connection::end) once final, else every
    /// linked subflow reset ([`ConnEnd::Rst`]) or ended with at least one
    /// closed by FIN ([`ConnEnd::FinOnly`]), both of which a later join can
    /// still undo, else `Open`.
    #[must_use]
    pub fn end_so_far(&self) -> ConnEnd {
        match self.end {
            ConnEnd::Open => match self.current_end() {
                end @ (ConnEnd::Rst | ConnEnd::FinOnly) => end,
                _ => ConnEnd::Open,
            },
            end => end,
        }
    }

    /// The end implied by the signals seen, by precedence (fastclose, DATA_FIN
    /// both ways, every linked subflow ended; never `Evicted`/`Idle`),
    /// whatever came first: [`end_so_far`](Connection::end_so_far) keeps the
    /// first.
    #[must_use]
    pub fn current_end(&self) -> ConnEnd {
        if self.fastclose {
            ConnEnd::Fastclose
        } else if self.data_fin(Role::C2s).is_some() && self.data_fin(Role::S2c).is_some() {
            ConnEnd::DataFin
        } else if self.subflows_linked > 0
            && self.subflows_reset.saturating_add(self.subflows_closed) >= self.subflows_linked
        {
            if self.subflows_closed > 0 {
                ConnEnd::FinOnly
            } else {
                ConnEnd::Rst
            }
        } else {
            ConnEnd::Open
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Slot, SlotId};
    use core::net::Ipv4Addr;

    /// A subflow key for the tests' connections.
    fn key() -> FlowKey {
        FlowKey::new(
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            1,
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            2,
        )
        .0
    }

    #[test]
    fn size_pins() {
        assert_eq!(core::mem::size_of::<Connection>(), 216);
        assert_eq!(core::mem::size_of::<Slot<u32, Connection>>(), 256);
        // 48 bytes of fields, one cache line on hosts.
        assert_eq!(core::mem::size_of::<Slot<u32, SlotId>>(), 64);
    }

    /// The connection fields every MPTCP segment reads or writes (the DSN
    /// state, the end and class inputs, the id), and the slot's key, lie in the first and the
    /// last cache line of the connection's 256-byte slot: the burst
    /// pipeline's stage 3 prefetches only those two lines (a trace of every
    /// load and store into the connection slots, valgrind's lackey on the
    /// benchmark stream, put 98 % of them there; the two middle lines hold
    /// keys, tokens, addresses and the initial subflow's key, read at
    /// handshakes and address signals).
    #[test]
    fn per_segment_fields_in_prefetched_lines() {
        use crate::flow::{EvictClass, EvictPolicy, FlowTable};
        let k = key();
        let mut t = FlowTable::<u32, Connection, 4>::new([0; 16]);
        let c = Connection::new(Version::V1, 1, k, Direction::Forward, 0, 0, 0);
        let id = t
            .insert(7, c, EvictClass::Embryonic, 0, EvictPolicy::Never)
            .expect("room")
            .id;
        let slot = t.slot_ptr(id) as usize;
        let (table_key, c) = t.entry(id).expect("live");
        let at = |p: *const u8, size: usize| {
            let o = p as usize - slot;
            assert!(o + size <= 256, "inside the slot");
            (o, size)
        };
        let fields = [
            // The table's key, read by every lookup.
            ("key", at(core::ptr::from_ref(table_key).cast(), 4)),
            ("data", at((&raw const c.data).cast(), size_of_val(&c.data))),
            ("serial", at((&raw const c.serial).cast(), 4)),
            (
                "subflows_linked",
                at((&raw const c.subflows_linked).cast(), 2),
            ),
            (
                "subflows_established",
                at((&raw const c.subflows_established).cast(), 2),
            ),
            (
                "subflows_reset",
                at((&raw const c.subflows_reset).cast(), 2),
            ),
            ("dflags", at((&raw const c.dflags).cast(), 1)),
            ("end", at((&raw const c.end).cast(), 1)),
            ("client_dir", at((&raw const c.client_dir).cast(), 1)),
            ("version", at((&raw const c.version).cast(), 1)),
            ("checksum", at((&raw const c.checksum).cast(), 1)),
            ("fallback", at((&raw const c.fallback).cast(), 1)),
            ("fastclose", at((&raw const c.fastclose).cast(), 1)),
        ];
        for (name, (o, size)) in fields {
            assert!(
                o + size <= 64 || o >= 192,
                "{name} at bytes {o}..{} of the slot: not in a prefetched line",
                o + size
            );
        }
    }

    /// A client whose key was not captured: the upper half of its DSNs is
    /// known only once an 8-byte DSN shows it, and that DSN replaces the
    /// last one guessed from 4-byte DSNs (here the guess is "ahead" of the
    /// real DSN in wrapping order, so keeping the highest would keep it).
    #[test]
    fn an_8_byte_dsn_replaces_a_guessed_upper_half() {
        let mut c = Connection::new(Version::V1, 1, key(), Direction::Forward, 1, 2, 3);
        assert_eq!(c.client_idsn(), None);
        assert!(!c.dsn_upper_known(Role::C2s));
        assert!(c.dsn_upper_known(Role::S2c));
        c.note_dsn_end(Role::C2s, 0x3000_0100);
        let real = 0x9000_0000_3000_0200;
        c.note_wide_dsn(Role::C2s, real);
        assert!(c.dsn_upper_known(Role::C2s));
        c.note_dsn_end(Role::C2s, real + 100);
        assert_eq!(c.dir(Role::C2s).dsn_hi, real + 100);
        // Known from then on: a later 8-byte DSN is an ordinary one.
        c.note_wide_dsn(Role::C2s, real - 50);
        assert_eq!(c.dir(Role::C2s).dsn_hi, real + 100);
    }

    #[test]
    fn addr_set_bounded() {
        let k = key();
        let mut c = Connection::new(Version::V1, 1, k, Direction::Forward, 1, 2, 3);
        let ip = |d| IpAddr::V4(Ipv4Addr::new(10, 0, 1, d));
        let (cl, sv) = (Role::C2s, Role::S2c);
        assert!(c.add_addr(cl, 1, ip(1), None, HmacVerdict::Valid));
        assert!(c.add_addr(sv, 2, ip(2), Some(80), HmacVerdict::Invalid));
        assert!(!c.add_addr(cl, 3, ip(3), None, HmacVerdict::Valid));
        assert_eq!(c.addr_overflow, 1);
        // The server's id 1 is not the client's.
        c.remove_addr(sv, 1);
        assert_eq!(c.addrs().count(), 2);
        c.remove_addr(cl, 1);
        assert!(c.add_addr(sv, 3, ip(3), None, HmacVerdict::Unverifiable));
        let v: [(u8, Option<u16>, HmacVerdict); 2] = [
            (3, None, HmacVerdict::Unverifiable),
            (2, Some(80), HmacVerdict::Invalid),
        ];
        for (a, (id, port, h)) in c.addrs().zip(v) {
            assert_eq!((a.id(), a.port(), a.hmac(), a.sender()), (id, port, h, sv));
        }
        assert_eq!(c.addrs().nth(1).map(|a| a.ip()), Some(ip(2)));
        // Each host's id 2: two addresses; the same sender's id 2 again
        // replaces its own.
        let mut c = Connection::new(Version::V1, 1, k, Direction::Forward, 1, 2, 3);
        assert!(c.add_addr(sv, 2, ip(2), None, HmacVerdict::Valid));
        assert!(c.add_addr(cl, 2, ip(4), None, HmacVerdict::Valid));
        assert!(c.add_addr(cl, 2, ip(5), None, HmacVerdict::Valid));
        let mut got = c.addrs().map(|a| (a.sender(), a.ip()));
        assert_eq!(got.next(), Some((sv, ip(2))));
        assert_eq!(got.next(), Some((cl, ip(5))));
        assert_eq!(got.next(), None);
    }
}
