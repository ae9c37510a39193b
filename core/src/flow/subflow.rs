//! Per-subflow state: the value stored in the subflow table
//! (`FlowTable<FlowKey, Subflow, S>`).
//!
//! This module owns what the dissector remembers about one TCP subflow
//! between packets: who opened it, how far the handshake got, its link to
//! an MPTCP connection, the MP_JOIN verification outcome, initial and
//! highest sequence numbers per direction, byte counts, the SYN time and
//! the handshake round-trip time. It must not parse bytes or decide
//! anything about connections: the dissector feeds it already-parsed values.
//!
//! # Directions
//!
//! A subflow's *client* is the endpoint that sent its SYN. "c2s" means from
//! that client to the other endpoint. For a join subflow this is the
//! subflow's initiator, which is not necessarily the connection's client.
//!
//! # Memory
//!
//! The value is packed into **64 bytes, alignment 4** (u64 quantities are
//! stored as two u32 halves, flags as bits), so that a subflow-table slot
//! (36-byte key + 64-byte value + 25 bytes of table bookkeeping, the
//! `Option` tag living in the state enum's niche) is **128 bytes**; with the
//! two index words, **136 bytes per subflow of capacity**. Pinned by a test.
//!
//! # Deviations from the design notes
//!
//! * **TCP-timestamp RTT samples are not in the slot.** One outstanding
//!   TSval and its time per direction plus min/sum/count need more bytes
//!   than the 128-byte slot has. The handshake RTT is kept here; timestamp
//!   RTT samples ([`TsRtt`](crate::flow::TsRtt), 48 bytes) live in the
//!   subflow's analysis side-array entry
//!   ([`SubflowAnalysis::ts_rtt`](crate::analysis::SubflowAnalysis::ts_rtt)).
//! * `bytes` counts every payload byte seen (retransmissions included);
//!   unique bytes are the advance of the highest sequence end.
//! * The handshake RTT is SYN → third ACK as seen by the capture point, or
//!   SYN → SYN/ACK while the third ACK has not been seen
//!   ([`Subflow::rtt_full`] tells which).

use crate::flow::{Direction, SlotId};

/// Handshake / teardown state of a subflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum SubflowState {
    /// SYN seen.
    SynSeen,
    /// SYN/ACK seen, third ACK not yet.
    SynAckSeen,
    /// Established: the third ACK (or data) seen; for a join, also the
    /// listener's ACK of that third ACK (or the initiator's data).
    Established,
    /// FIN seen from the client only.
    FinC2s,
    /// FIN seen from the server only.
    FinS2c,
    /// FIN seen in both directions.
    Closed,
    /// RST seen after the handshake completed.
    Reset,
    /// RST seen before the handshake completed (a refused SYN, a join the
    /// listener or initiator turned down): never established.
    ResetInHandshake,
    /// A join's third ACK seen, the listener's ACK of it not yet. RFC 8684
    /// §3.2 makes the third ACK of an MP_JOIN reliable: the initiator sends
    /// no data until the listener acknowledges it, and a listener that
    /// refuses the subflow at this point (Linux does, over its subflow
    /// limit) answers with a RST instead. The next segment from the
    /// listener that is neither a SYN nor a RST (or data from the
    /// initiator) establishes the subflow.
    ThirdAckSeen,
}

/// What kind of subflow this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SubflowKind {
    /// The initial subflow of a connection (MP_CAPABLE handshake).
    Initial,
    /// An additional subflow (MP_JOIN handshake).
    Join,
    /// Plain TCP: a subflow whose MP_CAPABLE was not answered (fallback).
    Plain,
}

/// Outcome of an HMAC check (MP_JOIN, ADD_ADDR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HmacVerdict {
    /// The HMAC matches the keys seen on the wire.
    Valid,
    /// The HMAC does not match.
    Invalid,
    /// Could not be checked (a key or nonce was not captured).
    Unverifiable,
}

/// How a subflow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SubflowEnd {
    /// Still open (no FIN in both directions, no RST).
    Open,
    /// FIN in both directions.
    Fin,
    /// RST.
    Rst,
}

/// Sender of a segment relative to a subflow's (or connection's) client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Role {
    /// From the client (initiator) to the server (listener).
    C2s,
    /// From the server to the client.
    S2c,
}

impl Role {
    /// The opposite role.
    #[must_use]
    pub const fn reversed(self) -> Role {
        match self {
            Role::C2s => Role::S2c,
            Role::S2c => Role::C2s,
        }
    }

    /// 0 for c2s, 1 for s2c (index of per-direction arrays).
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            Role::C2s => 0,
            Role::S2c => 1,
        }
    }
}

/// A u64 stored as two u32 halves so that the containing struct keeps
/// alignment 4 (see the module docs' memory budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct U64 {
    hi: u32,
    lo: u32,
}

impl U64 {
    const fn new(v: u64) -> Self {
        U64 {
            hi: (v >> 32) as u32,
            lo: v as u32,
        }
    }
    const fn get(self) -> u64 {
        ((self.hi as u64) << 32) | self.lo as u64
    }
}

mod bit {
    pub const CLIENT_REVERSE: u16 = 1 << 0;
    pub const LINKED: u16 = 1 << 1;
    pub const BACKUP: u16 = 1 << 2;
    pub const JOIN: u16 = 1 << 3;
    pub const MPCAP: u16 = 1 << 4;
    pub const V1: u16 = 1 << 5;
    pub const DSS_SEEN: u16 = 1 << 6;
    pub const LISTENER_IS_CONN_CLIENT: u16 = 1 << 7;
    pub const HMAC_SHIFT: u32 = 8;
    pub const HMAC_MASK: u16 = 0b11 << HMAC_SHIFT;
    pub const ISN_C2S: u16 = 1 << 10;
    pub const ISN_S2C: u16 = 1 << 11;
    pub const RTT_FULL: u16 = 1 << 12;
    pub const DATA_SEEN: u16 = 1 << 13;
    pub const HAS_CONN: u16 = 1 << 14;
    pub const AUX_KEY: u16 = 1 << 15;
}

/// The state of one subflow (see the [module docs](self)).
///
/// Fields are packed; read them through the accessor methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Subflow {
    conn_index: u32,
    conn_generation: u32,
    syn_ts: U64,
    bytes: [U64; 2],
    isn: [u32; 2],
    seq_hi: [u32; 2],
    rtt_us: u32,
    /// Join: `[initiator nonce, listener nonce]`. Initial v0 subflow before
    /// its connection exists: the client key from the SYN.
    aux: [u32; 2],
    state: SubflowState,
    /// Join: the initiator's address id. Initial subflow (whose address
    /// ids are 0): the MP_CAPABLE flags of its SYN.
    addr_id: u8,
    flags: u16,
}

impl Subflow {
    /// A new subflow whose SYN (from `client`) was seen at `now`.
    #[must_use]
    pub fn new(client: Direction, kind: SubflowKind, now: u64) -> Self {
        let mut s = Subflow {
            conn_index: 0,
            conn_generation: 0,
            syn_ts: U64::new(now),
            bytes: [U64::default(); 2],
            isn: [0; 2],
            seq_hi: [0; 2],
            rtt_us: 0,
            aux: [0; 2],
            state: SubflowState::SynSeen,
            addr_id: 0,
            flags: 0,
        };
        s.set(bit::CLIENT_REVERSE, client == Direction::Reverse);
        s.set_kind(kind);
        s
    }

    fn has(&self, b: u16) -> bool {
        self.flags & b != 0
    }

    fn set(&mut self, b: u16, on: bool) {
        if on {
            self.flags |= b;
        } else {
            self.flags &= !b;
        }
    }

    /// Direction (relative to the table key) of the segments the client
    /// sends.
    #[must_use]
    pub fn client_dir(&self) -> Direction {
        if self.has(bit::CLIENT_REVERSE) {
            Direction::Reverse
        } else {
            Direction::Forward
        }
    }

    /// Role of a segment travelling in `dir` (relative to the table key).
    #[must_use]
    pub fn role(&self, dir: Direction) -> Role {
        if dir == self.client_dir() {
            Role::C2s
        } else {
            Role::S2c
        }
    }

    /// Handshake / teardown state.
    #[must_use]
    pub fn state(&self) -> SubflowState {
        self.state
    }

    /// Sets the state.
    pub fn set_state(&mut self, state: SubflowState) {
        self.state = state;
    }

    /// Kind of subflow.
    #[must_use]
    pub fn kind(&self) -> SubflowKind {
        if self.has(bit::JOIN) {
            SubflowKind::Join
        } else if self.has(bit::MPCAP) {
            SubflowKind::Initial
        } else {
            SubflowKind::Plain
        }
    }

    /// Sets the kind.
    pub fn set_kind(&mut self, kind: SubflowKind) {
        self.set(bit::JOIN, kind == SubflowKind::Join);
        self.set(bit::MPCAP, kind == SubflowKind::Initial);
    }

    /// `true` once the handshake completed (also after it closed); `false`
    /// for a subflow reset during its handshake.
    #[must_use]
    pub fn established(&self) -> bool {
        !matches!(
            self.state,
            SubflowState::SynSeen
                | SubflowState::SynAckSeen
                | SubflowState::ThirdAckSeen
                | SubflowState::ResetInHandshake
        )
    }

    /// How the subflow ended so far.
    #[must_use]
    pub fn end(&self) -> SubflowEnd {
        match self.state {
            SubflowState::Closed => SubflowEnd::Fin,
            SubflowState::Reset | SubflowState::ResetInHandshake => SubflowEnd::Rst,
            _ => SubflowEnd::Open,
        }
    }

    /// The connection this subflow is linked to. `None` for a plain subflow,
    /// a join with an unknown token, or a join rejected for its HMAC.
    /// The id may be stale if the connection was evicted.
    #[must_use]
    pub fn conn(&self) -> Option<SlotId> {
        self.has(bit::LINKED).then(|| self.conn_slot_raw())
    }

    /// The connection this subflow claims (linked or not; a rejected join
    /// keeps the connection its token named).
    #[must_use]
    pub fn claimed_conn(&self) -> Option<SlotId> {
        self.has(bit::HAS_CONN).then(|| self.conn_slot_raw())
    }

    fn conn_slot_raw(&self) -> SlotId {
        SlotId::from_bits((u64::from(self.conn_generation) << 32) | u64::from(self.conn_index))
    }

    /// Records the connection this subflow belongs to (`linked`: counted as
    /// one of its subflows).
    pub fn set_conn(&mut self, conn: SlotId, linked: bool) {
        self.conn_index = conn.index();
        self.conn_generation = conn.generation();
        self.set(bit::HAS_CONN, true);
        self.set(bit::LINKED, linked);
    }

    /// Unlinks the subflow (the claimed connection is kept).
    pub fn unlink(&mut self) {
        self.set(bit::LINKED, false);
    }

    /// MPTCP version of the handshake (`true` = v1).
    #[must_use]
    pub fn v1(&self) -> bool {
        self.has(bit::V1)
    }

    /// Records the MPTCP version of the handshake.
    pub fn set_v1(&mut self, v1: bool) {
        self.set(bit::V1, v1);
    }

    /// Backup flag (MP_JOIN or MP_PRIO).
    #[must_use]
    pub fn backup(&self) -> bool {
        self.has(bit::BACKUP)
    }

    /// Sets the backup flag.
    pub fn set_backup(&mut self, backup: bool) {
        self.set(bit::BACKUP, backup);
    }

    /// Address id of the join's initiator (0 for the initial subflow).
    #[must_use]
    pub fn addr_id(&self) -> u8 {
        if self.kind() == SubflowKind::Join {
            self.addr_id
        } else {
            0
        }
    }

    /// Sets the join initiator's address id.
    pub fn set_addr_id(&mut self, id: u8) {
        self.addr_id = id;
    }

    /// The MP_CAPABLE flags of an initial subflow's SYN (`None` for a join
    /// or a plain subflow; 0 if the SYN was not seen: see
    /// [`Subflow::syn_seen`]). RFC 8684 §3.1: checksums are used if the
    /// SYN or the SYN/ACK asks for them (flag A).
    #[must_use]
    pub fn syn_capable_flags(&self) -> Option<u8> {
        (self.kind() == SubflowKind::Initial).then_some(self.addr_id)
    }

    /// Records the MP_CAPABLE flags of an initial subflow's SYN.
    pub fn set_syn_capable_flags(&mut self, flags: u8) {
        if self.kind() == SubflowKind::Initial {
            self.addr_id = flags;
        }
    }

    /// `true` if the join's listener is the connection's client (the join
    /// was initiated by the connection's server).
    #[must_use]
    pub fn listener_is_conn_client(&self) -> bool {
        self.has(bit::LISTENER_IS_CONN_CLIENT)
    }

    /// Sets [`Subflow::listener_is_conn_client`].
    pub fn set_listener_is_conn_client(&mut self, v: bool) {
        self.set(bit::LISTENER_IS_CONN_CLIENT, v);
    }

    /// Connection-level role of a segment with subflow-level role `role`.
    #[must_use]
    pub fn conn_role(&self, role: Role) -> Role {
        if self.listener_is_conn_client() {
            role.reversed()
        } else {
            role
        }
    }

    /// MP_JOIN HMAC verdict (`None`: not a join, or nothing checked yet).
    #[must_use]
    pub fn hmac(&self) -> Option<HmacVerdict> {
        match (self.flags & bit::HMAC_MASK) >> bit::HMAC_SHIFT {
            1 => Some(HmacVerdict::Valid),
            2 => Some(HmacVerdict::Invalid),
            3 => Some(HmacVerdict::Unverifiable),
            _ => None,
        }
    }

    /// Records an MP_JOIN HMAC verdict.
    pub fn set_hmac(&mut self, v: HmacVerdict) {
        let code: u16 = match v {
            HmacVerdict::Valid => 1,
            HmacVerdict::Invalid => 2,
            HmacVerdict::Unverifiable => 3,
        };
        self.flags = (self.flags & !bit::HMAC_MASK) | (code << bit::HMAC_SHIFT);
    }

    /// Join nonces `(initiator, listener)`.
    #[must_use]
    pub fn nonces(&self) -> (u32, u32) {
        let [a, b] = self.aux;
        (a, b)
    }

    /// Sets the initiator's nonce (MP_JOIN SYN).
    pub fn set_initiator_nonce(&mut self, n: u32) {
        let [_, l] = self.aux;
        self.aux = [n, l];
    }

    /// Sets the listener's nonce (MP_JOIN SYN/ACK).
    pub fn set_listener_nonce(&mut self, n: u32) {
        let [i, _] = self.aux;
        self.aux = [i, n];
    }

    /// Client key remembered from a v0 MP_CAPABLE SYN until the connection
    /// exists.
    #[must_use]
    pub fn syn_key(&self) -> Option<u64> {
        let [hi, lo] = self.aux;
        self.has(bit::AUX_KEY)
            .then(|| (u64::from(hi) << 32) | u64::from(lo))
    }

    /// Remembers the client key of a v0 MP_CAPABLE SYN.
    pub fn set_syn_key(&mut self, key: u64) {
        self.aux = [(key >> 32) as u32, key as u32];
        self.set(bit::AUX_KEY, true);
    }

    /// Time of the SYN (or of the first packet seen).
    #[must_use]
    pub fn syn_ts(&self) -> u64 {
        self.syn_ts.get()
    }

    /// Handshake RTT in microseconds, if measured: from the first SYN seen
    /// (see [`Subflow::syn_ts`]), as tshark's `tcp.analysis.initial_rtt`
    /// (which the report's tests compare with), so a retransmitted SYN's
    /// timeout is included; Karn's rule would take no sample there.
    #[must_use]
    pub fn rtt_us(&self) -> Option<u32> {
        (self.rtt_us != 0).then_some(self.rtt_us)
    }

    /// `true` when [`Subflow::rtt_us`] is SYN → third ACK, `false` when it is
    /// SYN → SYN/ACK.
    #[must_use]
    pub fn rtt_full(&self) -> bool {
        self.has(bit::RTT_FULL)
    }

    /// Marks a subflow picked up at its third ACK, its SYN not seen: no
    /// handshake RTT will be recorded ([`Subflow::rtt_us`] stays `None`)
    /// and [`Subflow::syn_ts`] is the third ACK's time, not a SYN's.
    pub fn set_syn_unseen(&mut self) {
        self.rtt_us = 0;
        self.set(bit::RTT_FULL, true);
    }

    /// `false` for a subflow picked up without its SYN (see
    /// [`Subflow::set_syn_unseen`]).
    #[must_use]
    pub fn syn_seen(&self) -> bool {
        !(self.rtt_full() && self.rtt_us == 0)
    }

    /// Records the handshake RTT measured at `now` (`full`: at the third
    /// ACK). A full measurement is never replaced by a partial one, and a
    /// subflow whose SYN was not seen gets none.
    pub fn set_rtt(&mut self, now: u64, full: bool) {
        if self.rtt_full() || (self.rtt_us != 0 && !full) {
            return;
        }
        let us = now.saturating_sub(self.syn_ts()) / 1000;
        self.rtt_us = u32::try_from(us).unwrap_or(u32::MAX).max(1);
        self.set(bit::RTT_FULL, full);
    }

    /// Initial sequence number sent by `role`, if its SYN was seen.
    #[must_use]
    pub fn isn(&self, role: Role) -> Option<u32> {
        let b = match role {
            Role::C2s => bit::ISN_C2S,
            Role::S2c => bit::ISN_S2C,
        };
        let v = self.isn.get(role.index()).copied().unwrap_or(0);
        self.has(b).then_some(v)
    }

    /// Records the initial sequence number of `role` (its SYN's sequence
    /// number); the highest sequence end starts just after it. The same ISN
    /// again (a retransmitted, duplicated or late SYN or SYN/ACK) changes
    /// nothing: it must not rewind the highest sequence end past data
    /// already seen (until the nineteenth session it did, and the data's
    /// retransmissions then counted as new).
    pub fn set_isn(&mut self, role: Role, isn: u32) {
        if self.isn(role) == Some(isn) {
            return;
        }
        let b = match role {
            Role::C2s => bit::ISN_C2S,
            Role::S2c => bit::ISN_S2C,
        };
        self.set(b, true);
        if let Some(x) = self.isn.get_mut(role.index()) {
            *x = isn;
        }
        if let Some(x) = self.seq_hi.get_mut(role.index()) {
            *x = isn.wrapping_add(1);
        }
    }

    /// Highest sequence end (`seq + payload length`) sent by `role`.
    #[must_use]
    pub fn seq_hi(&self, role: Role) -> u32 {
        self.seq_hi.get(role.index()).copied().unwrap_or(0)
    }

    /// Records a segment of `len` payload bytes at `seq` from `role`;
    /// returns the bytes that were new at subflow level, as the range
    /// `[start, end)` of sequence numbers (empty for a retransmission).
    pub fn record_segment(&mut self, role: Role, seq: u32, len: u32) -> (u32, u32) {
        let i = role.index();
        if let Some(b) = self.bytes.get_mut(i) {
            *b = U64::new(b.get().wrapping_add(u64::from(len)));
        }
        let end = seq.wrapping_add(len);
        let Some(hi) = self.seq_hi.get_mut(i) else {
            return (end, end);
        };
        // Serial-number arithmetic (RFC 1982): `end` after `hi`?
        if (end.wrapping_sub(*hi) as i32) > 0 {
            let start = if (seq.wrapping_sub(*hi) as i32) > 0 {
                seq
            } else {
                *hi
            };
            *hi = end;
            (start, end)
        } else {
            (end, end)
        }
    }

    /// Payload bytes sent by `role` (retransmissions included).
    #[must_use]
    pub fn bytes(&self, role: Role) -> u64 {
        self.bytes.get(role.index()).map_or(0, |b| b.get())
    }

    /// `true` once a DSS (or an MP_CAPABLE with data) was seen.
    #[must_use]
    pub fn dss_seen(&self) -> bool {
        self.has(bit::DSS_SEEN)
    }

    /// Marks that a DSS was seen.
    pub fn set_dss_seen(&mut self) {
        self.set(bit::DSS_SEEN, true);
    }

    /// `true` once a segment with payload was seen.
    #[must_use]
    pub fn data_seen(&self) -> bool {
        self.has(bit::DATA_SEEN)
    }

    /// Marks that a segment with payload was seen.
    pub fn set_data_seen(&mut self) {
        self.set(bit::DATA_SEEN, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{FlowKey, Slot};

    #[test]
    fn size_pins() {
        assert_eq!(core::mem::size_of::<Subflow>(), 64);
        assert_eq!(core::mem::align_of::<Subflow>(), 4);
        assert_eq!(core::mem::size_of::<Slot<FlowKey, Subflow>>(), 128);
    }

    #[test]
    fn accessors_round_trip() {
        let mut s = Subflow::new(Direction::Reverse, SubflowKind::Join, 5_000_000);
        assert_eq!(s.client_dir(), Direction::Reverse);
        assert_eq!(s.role(Direction::Reverse), Role::C2s);
        assert_eq!(s.kind(), SubflowKind::Join);
        assert_eq!(s.hmac(), None);
        s.set_hmac(HmacVerdict::Unverifiable);
        assert_eq!(s.hmac(), Some(HmacVerdict::Unverifiable));
        s.set_hmac(HmacVerdict::Valid);
        assert_eq!(s.hmac(), Some(HmacVerdict::Valid));
        let id = SlotId::from_bits(0x0000_0007_0000_0003);
        assert_eq!(s.conn(), None);
        s.set_conn(id, true);
        assert_eq!(s.conn(), Some(id));
        s.unlink();
        assert_eq!(s.conn(), None);
        assert_eq!(s.claimed_conn(), Some(id));
        s.set_syn_key(0x0102_0304_0506_0708);
        assert_eq!(s.syn_key(), Some(0x0102_0304_0506_0708));
        s.set_rtt(5_000_000 + 1_500_000, false);
        assert_eq!(s.rtt_us(), Some(1500));
        s.set_rtt(5_000_000 + 3_000_000, true);
        assert_eq!(s.rtt_us(), Some(3000));
        s.set_rtt(5_000_000 + 9_000_000, false);
        assert_eq!(s.rtt_us(), Some(3000));
    }

    #[test]
    fn new_bytes_across_wrap() {
        let mut s = Subflow::new(Direction::Forward, SubflowKind::Initial, 0);
        s.set_isn(Role::C2s, u32::MAX - 10);
        assert_eq!(
            s.record_segment(Role::C2s, u32::MAX - 9, 20),
            (u32::MAX - 9, 10)
        );
        // Retransmission: nothing new.
        assert_eq!(s.record_segment(Role::C2s, u32::MAX - 9, 20), (10, 10));
        // Partial overlap.
        assert_eq!(s.record_segment(Role::C2s, 5, 10), (10, 15));
        assert_eq!(s.bytes(Role::C2s), 50);
    }
}
