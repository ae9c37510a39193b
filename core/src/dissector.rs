//! The one entry point: a captured frame in, a [`Dissection`] out.
//!
//! This module owns the stateful MPTCP engine: it parses each frame with
//! [`wire`](mod@crate::wire), finds or creates the subflow in the subflow table
//! and the connection in the connection table (by token), runs the
//! handshake, join, address, data-sequence and teardown logic, verifies the
//! key-derived values and HMACs with [`crypto`](mod@crate::crypto) and reports
//! what happened as a bounded list of [`Event`]s (kept in the state, read
//! with [`DissectorView::events`] until the next call). It must not allocate, read
//! a clock, panic, or do unbounded work per packet: every table operation is
//! O(1) (one keyed hash of the subflow key per packet, plus one per table
//! insertion or token lookup), expiry removes at most
//! [`DissectorConfig::expire_work`] entries per table and per packet, and
//! reads at most one that has not expired per eviction class (none
//! while the table's `expire_due` says nothing can be due), and
//! SHA/HMAC computations happen only when a key is first learned or an
//! HMAC is checked.
//!
//! # Memory
//!
//! [`Dissector<S, C>`] owns three tables: subflows (`S` slots of 128 bytes,
//! plus 8 index bytes: 136 bytes per subflow), connections (`C` slots of
//! 256 bytes, plus 8) and client-token aliases (`C` slots of 64 bytes on
//! hosts, 48 on bare metal, plus 8): 336 bytes per connection (320). [`DissectorView`] runs the same code over caller
//! memory (the three [`FlowTableView`]s and a [`DissectorState`]).
//!
//! With the middlebox analysis ([`crate::analysis`]: side arrays of
//! [`SubflowAnalysis`] (128 bytes, of which 48 are the TCP-timestamp RTT
//! samples) and [`ConnAnalysis`] (80 bytes) indexed by slot): **264 bytes
//! per subflow** and **416 bytes per connection** (400 on bare metal).
//! The owned [`Dissector`] always has them; a [`DissectorView`] has them
//! after [`DissectorView::with_analysis`].
//!
//! # Middlebox analysis
//!
//! Per segment of a linked subflow: the TCP checksum (IPv4/IPv6
//! pseudo-header) when [`DissectorConfig::verify_tcp_checksum`] is on, or
//! the verdict the caller gives ([`DissectorView::dissect_checked`] with a
//! [`TcpCheck`] made on another thread or by the NIC); the
//! DSS mapping state machine of the segment's direction
//! ([`crate::analysis::dss`]; one pass of the checksum over the payload);
//! an MP_FAIL is correlated with the last invalid mappings
//! ([`Event::MpFailMatched`]). Handshake segments feed the mirroring and
//! stripping evidence ([`crate::analysis::mirror`]; one FNV-1a pass over the
//! SYN's and the SYN/ACK's option area). Verdicts come out as
//! [`Event::Mapping`], [`Event::TcpChecksumBad`], [`Event::Mirrored`],
//! [`Event::Stripped`] and counters (per subflow, connection and global).
//! A segment with a bad TCP checksum brings no bytes to the DSS check, and
//! a DSS mapping only if that carries no checksum (its verdict, not
//! negotiated or missing, does not depend on the bytes), so it cannot cause
//! a false DSS failure. A 4-byte DSN whose upper half the capture never
//! showed (no IDSN, no 8-byte DSN yet in that direction) makes its mapping
//! unverifiable, not checked against a guess.
//!
//! Every segment of a tracked subflow (linked or not, fallback included)
//! carrying a Timestamps option feeds the subflow's TCP-timestamp RTT
//! samples ([`crate::flow::ts_rtt`]: one outstanding TSval per direction,
//! O(1)), except a segment with a bad TCP checksum, whose option bytes are
//! not trusted. Read them with [`DissectorView::subflow_ts_rtt`].
//!
//! # What is tracked
//!
//! A subflow entry is created for a SYN carrying MP_CAPABLE or MP_JOIN, and
//! for a non-SYN segment carrying an MP_CAPABLE with both keys (a third ACK
//! whose SYN was not captured). Other TCP segments without an entry are
//! counted as untracked. A connection is created when the server's key is
//! first known (SYN/ACK, or the third ACK if the SYN/ACK was missed), keyed
//! by the server's token; the client's token becomes an alias when the
//! client's key is known (v0 SYN or the third ACK).
//!
//! # MP_JOIN
//!
//! The SYN's token is looked up as a server token, then as a client token
//! (the join's listener is then the connection's client). Unknown → event
//! [`Event::JoinUnknownToken`] and the subflow stays unlinked. The SYN/ACK's
//! truncated HMAC and the third ACK's HMAC are checked when both keys are
//! known ([`HmacVerdict::Unverifiable`] otherwise). The subflow is linked
//! (event [`Event::SubflowJoined`]) at the SYN/ACK, or at the third ACK if
//! the SYN/ACK was not captured, unless the HMAC is invalid: then event
//! [`Event::JoinRejected`] and it is not (or no longer) linked.
//!
//! # ADD_ADDR
//!
//! A v1 non-echo ADD_ADDR is checked against HMAC(sender key, receiver
//! key); the legacy truncations of early Linux development kernels
//! ([`AddAddrTruncation`]) and the pre-2021 "port hashed as 0" variant also
//! count as [`HmacVerdict::Valid`] (they prove the sender knew both keys).
//! An echo, a v0 ADD_ADDR or one on a connection whose keys are not both
//! known is [`HmacVerdict::Unverifiable`]; echoes are reported but not added
//! to the connection's address set.
//!
//! # Data sequence numbers and reinjection
//!
//! A 32-bit DSN is expanded to the 64-bit value closest to the direction's
//! highest DSN end seen (the sender's IDSN before any data). The DATA_FIN's
//! DSN is `dsn + data_len - 1` (RFC 8684 §3.3.3).
//!
//! Reinjection is a **bounded approximation**: per direction the connection
//! keeps only its highest DSN end, per subflow only its highest sequence
//! end. A segment whose bytes are new at subflow level (not a TCP
//! retransmission) but whose DSN range lies below the connection's
//! high-water mark counts the overlap as reinjected. It over-counts data
//! sent out of order at data level across subflows that was never sent
//! before (a subflow sending DSN 100–200 after another sent 200–300 counts
//! 100 bytes); the CLI's test compares it with an exact count.
//!
//! # Fallback
//!
//! Event [`Event::Fallback`] for: an MP_CAPABLE SYN answered without
//! MP_CAPABLE (the subflow becomes plain TCP), an infinite mapping
//! (data-level length 0), or the first segment with payload of a subflow
//! of a v1 connection carrying neither DSS nor MP_CAPABLE-with-data.
//!
//! # Aging
//!
//! Both tables age entries by [`EvictClass`]: embryonic (handshake not
//! complete), established, closed (subflow: FIN both ways or RST;
//! connection: DATA_FIN both ways or MP_FASTCLOSE, final, or every linked
//! subflow ended, which a later join undoes: see
//! [`Connection::end_so_far`](crate::flow::Connection::end_so_far)),
//! with the idle timeouts of [`DissectorConfig`] (defaults: closed 10 s,
//! embryonic 30 s, established 2 h, in nanoseconds). Every removal (expiry,
//! eviction, or a subflow's ports reused by a new SYN) and every refused
//! insertion is counted and reported
//! ([`Event::Evicted`], [`Event::TableFull`]); [`DissectorView::dissect_with`]
//! also hands the removed value to a callback.

#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use core::net::IpAddr;

use crate::addr::{classify, AddrClass};
use crate::analysis::dss::{DssSegment, Finished, MappingIn};
use crate::analysis::mirror::SynAck;
use crate::analysis::{
    ConnAnalysis, DssVerdict, MiddleboxVerdict, MirrorEvidence, MpFailMatch, StripEvidence,
    SubflowAnalysis, UnverifiableReason,
};
use crate::checksum::{tcp_payload_sum_from_header, verify_tcp_payload_sum, Checksum, TcpChecksum};
use crate::crypto;
#[cfg(feature = "hmac")]
use crate::crypto::AddAddrTruncation;
use crate::flow::{
    ConnEnd, Connection, Direction, EvictClass, EvictPolicy, FlowKey, FlowTable, FlowTableView,
    HmacVerdict, InsertError, PerClass, Removed, Role, RttStats, SlotId, Subflow, SubflowEnd,
    SubflowKind, SubflowState, TsSegment,
};
use crate::wire::frame::{
    parse_frame, Frame, FrameError, FrameErrorReason, IpHeader, LinkType, Transport,
};
use crate::wire::mptcp::{
    subtype, AddAddr, AddAddrForm, DssView, MpCapable, MpFail, MpJoin, MpPrio, MpTcpRst,
    MptcpOption, RemoveAddr, TcpRstReason, Version,
};
use crate::wire::tcp::{TcpFlags, TcpPacket};
use crate::wire::tcp_option::kind as tcp_kind;

/// Frames [`DissectorView::dissect_burst`] looks ahead per prefetch stage
/// (4 measured best in `benches/benches/dissect.rs` against 8).
pub const BURST_AHEAD: usize = 4;

/// Events one `dissect` call can report; more are counted in
/// [`Events::dropped`].
pub const MAX_EVENTS: usize = 8;

const SECOND: u64 = 1_000_000_000;

/// Tunables of a [`Dissector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DissectorConfig {
    /// Idle timeout per class, in the unit of `now` (nanoseconds by
    /// convention). Defaults: closed 10 s, embryonic 30 s, established 2 h.
    ///
    /// They also set the subflow and connection tables' LRU grace period
    /// ([`DissectorConfig::lru_grace`]).
    pub timeouts: PerClass<u64>,
    /// What a new subflow may evict when the subflow table is full.
    pub subflow_policy: EvictPolicy,
    /// What a new connection may evict when the connection table is full.
    pub conn_policy: EvictPolicy,
    /// Entries removed by expiry at most, per table and per packet (default
    /// 2). The walk also reads the first entry of each eviction class that
    /// has not expired, without counting it: a fresh closed or embryonic
    /// entry does not keep the walk from the established ones.
    pub expire_work: usize,
    /// Check every TCP segment's checksum (IPv4/IPv6 pseudo-header). Off by
    /// default: devices with checksum offload see partial checksums. Turn
    /// it on for captures taken without offload (the CLI does). Part of the
    /// `analysis` feature: without it this flag has no effect.
    pub verify_tcp_checksum: bool,
    /// Report every DSS mapping verdict as an [`Event::Mapping`] (default:
    /// only invalid and unverifiable ones; valid and not-negotiated ones are
    /// only counted).
    pub dss_all_events: bool,
    /// Subflow-table capacity from which the burst calls
    /// ([`DissectorView::dissect_burst`] and the like) prefetch the memory
    /// the next evictions will touch: the least recently used subflow's and
    /// connection's slots, LRU successors and index clusters, and the
    /// connection's token-table entry. Default 2^15 (see
    /// [`EVICT_HINTS_FROM`]: from there on the victims, the coldest
    /// entries, are no longer in the CPU's own caches). Set it to about
    /// four times your CPU's per-core L2 size in subflows (128 bytes
    /// each), `0` to always prefetch, `usize::MAX` never. Results do not
    /// depend on it.
    pub evict_hints_from: usize,
    /// Subflow-table capacity from which the burst calls run their
    /// prefetching pipeline (flow hash, index entry, slot, LRU neighbours
    /// and connection a few frames ahead of the dissection). Below it a
    /// burst dissects frame after frame, prefetching only the headers of
    /// the frames ahead: tables that small stay in the CPU's caches, where
    /// the pipeline's bookkeeping costs more than its prefetches save.
    /// Default 2^14 (see [`BURST_PIPELINE_FROM`]); `0` always pipelines,
    /// `usize::MAX` never. Results do not depend on it.
    pub burst_pipeline_from: usize,
}

impl DissectorConfig {
    /// The most entries one dissected frame can remove from the tables, that
    /// is the most [`Gone`] callbacks one frame can make: the expiry work
    /// before it ([`DissectorConfig::expire_work`] entries removed from each
    /// of the subflow and connection tables),
    /// one subflow evicted for its new subflow and one connection evicted
    /// for its new connection (`2 × expire_work + 2`; saturating). A caller
    /// that stores removals in fixed memory (the C ABI's
    /// `mpd_dissect_burst_part`) stops a burst before a frame that could
    /// overflow it ([`DissectorView::dissect_burst_checked_while`]).
    #[must_use]
    pub const fn max_removals_per_frame(&self) -> usize {
        self.expire_work.saturating_mul(2).saturating_add(2)
    }

    /// The LRU grace period of the subflow and connection tables
    /// ([`FlowTableView::set_lru_grace`]): the largest power of two at most
    /// 1/16 of the shortest timeout (0, exact LRU, below 32 units). With the
    /// defaults it is 2²⁹ ns ≈ 0.54 s: an idle entry becomes due for expiry
    /// at most that much later than its timeout (≤ 5.4 % of the 10 s closed
    /// timeout; the expiry work per packet, [`DissectorConfig::expire_work`],
    /// bounds how fast due entries are then removed, as without it), and an
    /// evicted entry was used less than that after the least recently used
    /// one of its class. A subflow then moves in its LRU list about twice a
    /// second instead of on every packet. Applied whenever a
    /// [`DissectorView`] is made: changing the timeouts of a running
    /// dissector so that this value changes costs the next view one pass
    /// over the slots in use.
    #[must_use]
    pub const fn lru_grace(&self) -> u64 {
        let t = &self.timeouts;
        let mut min = t.closed;
        if t.embryonic < min {
            min = t.embryonic;
        }
        if t.established < min {
            min = t.established;
        }
        let g = min / 16;
        if g < 2 {
            0
        } else {
            1 << g.ilog2()
        }
    }
}

impl Default for DissectorConfig {
    fn default() -> Self {
        DissectorConfig {
            timeouts: PerClass {
                closed: 10 * SECOND,
                embryonic: 30 * SECOND,
                established: 2 * 3600 * SECOND,
            },
            subflow_policy: EvictPolicy::ANY,
            conn_policy: EvictPolicy::ANY,
            expire_work: 2,
            verify_tcp_checksum: false,
            dss_all_events: false,
            evict_hints_from: EVICT_HINTS_FROM,
            burst_pipeline_from: BURST_PIPELINE_FROM,
        }
    }
}

/// A TCP segment's checksum verdict obtained outside the dissector, for
/// [`DissectorView::dissect_checked`]: computed on another thread (the CLI
/// verifies on the thread that reads the capture, with [`TcpCheck::of_frame`])
/// or by a NIC's receive checksum offload ([`TcpCheck::verdict_only`],
/// [`TcpCheck::offload_valid`]).
///
/// The dissector uses it exactly as the check it computes itself when
/// [`DissectorConfig::verify_tcp_checksum`] is on: a bad checksum is counted
/// ([`DissectorStats::tcp_checksum_bad`], the analysis' error counts) and
/// reported ([`Event::TcpChecksumBad`]), and the segment brings its DSS
/// mapping but not its bytes, and no TCP-timestamp sample; a good one marks
/// the DSS mapping's segment TCP-verified, and its `payload_sum`, when
/// known, spares the DSS checksum a second pass over the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TcpCheck {
    /// The segment's TCP checksum is right.
    pub valid: bool,
    /// The one's-complement sum of the segment's payload (every byte after
    /// the TCP header), if known: it must then be
    /// [`Checksum::of`]`(payload)`, or DSS verdicts are wrong.
    pub payload_sum: Option<Checksum>,
}

impl TcpCheck {
    /// What the dissector's verifying path computes for `frame` (the same
    /// code): `None` where it checks nothing — not a TCP segment, a segment
    /// cut by the capture's snap length, an IP fragment. Runs anywhere the
    /// frame's bytes are, e.g. on the thread that reads the capture.
    #[must_use]
    pub fn of_frame(frame: &Frame<'_>) -> Option<TcpCheck> {
        match frame.transport {
            Transport::Tcp(tcp) if checkable(frame) => Some(Self::of_segment(frame, &tcp)),
            _ => None,
        }
    }

    /// The check of a segment of a [`checkable`] frame.
    #[inline]
    fn of_segment(frame: &Frame<'_>, tcp: &TcpPacket<&[u8]>) -> TcpCheck {
        let (verdict, sum) = verify_tcp_payload_sum(
            frame.src(),
            frame.dst(),
            frame.transport_bytes,
            tcp.header_len(),
        );
        Self::from_verified(verdict, sum)
    }

    /// The check from [`verify_tcp_payload_sum`]'s result (the segment's
    /// verdict and its payload's sum): [`TcpChecksum::Valid`] is valid,
    /// anything else is not.
    #[must_use]
    pub fn from_verified(verdict: TcpChecksum, payload_sum: Checksum) -> TcpCheck {
        TcpCheck {
            valid: verdict == TcpChecksum::Valid,
            payload_sum: Some(payload_sum),
        }
    }

    /// A verdict without the payload's sum: what a NIC that validated the
    /// TCP checksum on receive says (DPDK's `RTE_MBUF_F_RX_L4_CKSUM_GOOD` or
    /// `_BAD`). The DSS checksum then sums the payload itself; for a good
    /// segment, [`TcpCheck::offload_valid`] derives the sum from the header
    /// instead.
    #[must_use]
    pub const fn verdict_only(valid: bool) -> TcpCheck {
        TcpCheck {
            valid,
            payload_sum: None,
        }
    }

    /// A good verdict from a NIC, with the payload's sum derived from the
    /// pseudo-header and TCP header alone
    /// ([`tcp_payload_sum_from_header`]: no pass over the payload; `None`
    /// in the one case that arithmetic leaves open). `None` if `frame` is
    /// not a TCP segment the dissector would check ([`TcpCheck::of_frame`]).
    /// Only for a segment whose checksum is known to be right.
    #[must_use]
    pub fn offload_valid(frame: &Frame<'_>) -> Option<TcpCheck> {
        let Transport::Tcp(tcp) = frame.transport else {
            return None;
        };
        if !checkable(frame) {
            return None;
        }
        let (header, payload) = frame
            .transport_bytes
            .split_at_checked(tcp.header_len())
            .unwrap_or((frame.transport_bytes, &[]));
        let payload_len = u32::try_from(payload.len()).ok()?;
        Some(TcpCheck {
            valid: true,
            payload_sum: tcp_payload_sum_from_header(frame.src(), frame.dst(), header, payload_len),
        })
    }
}

/// A handshake whose server key is the client's own: a middlebox mirrored
/// the option (Mehani et al.), no server spoke MPTCP. The subflow is plain
/// TCP from here; no connection is made.
#[cold]
fn mirrored_key(sub: &mut Subflow, sid: SlotId, ev: &mut Events) {
    sub.set_kind(SubflowKind::Plain);
    ev.push(Event::Fallback {
        subflow: SubflowId(sid),
        conn: None,
        why: FallbackReason::MirroredKey,
    });
}

/// Whether the dissector checks the TCP checksum of `frame`'s segment: only
/// a whole (not cut by the snap length), unfragmented one whose final
/// destination is in its IP header (not behind an IPv6 routing header with
/// segments left: RFC 8200 §8.1 puts the final destination in the
/// pseudo-header; the chain is walked again only when there is one), and
/// whose length is known (not an IPv4 total length of 0).
#[inline]
fn checkable(frame: &Frame<'_>) -> bool {
    u32::try_from(frame.transport_bytes.len()).ok() == Some(frame.transport_len)
        && frame.fragment.is_none()
        && match frame.ip {
            IpHeader::V6(p) if frame.transport_offset > frame.ip_offset.saturating_add(40) => {
                !p.extensions().routed
            }
            // Total length 0 (segmentation offload): the length on the
            // wire is unknown, the capture may have cut the segment.
            IpHeader::V4(p) => p.total_len() != 0,
            IpHeader::V6(_) => true,
        }
}

/// Global counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DissectorStats {
    /// Frames given to `dissect`.
    pub packets: u64,
    /// Frames that are not IP (ARP, LLDP, …).
    pub not_ip: u64,
    /// Frames with a malformed link, IP or TCP header.
    pub malformed: u64,
    /// IP packets that carry no TCP header (other protocol, later fragment).
    pub non_tcp: u64,
    /// TCP segments.
    pub tcp: u64,
    /// TCP segments with at least one MPTCP option (well formed or not).
    pub mptcp: u64,
    /// Malformed TCP options (MPTCP or other).
    pub option_errors: u64,
    /// TCP segments of no tracked subflow.
    pub untracked: u64,
    /// Subflows created.
    pub subflows: u64,
    /// Connections created.
    pub connections: u64,
    /// Subflows removed by eviction / expiry.
    pub subflows_evicted: u64,
    /// Subflows removed after their idle timeout.
    pub subflows_expired: u64,
    /// Closed or reset subflows removed because a new SYN reused their
    /// 4-tuple (the SYN is then dissected as on free ports: `subflows`
    /// counts it again if it starts a new subflow).
    pub subflows_reused: u64,
    /// Connections removed by eviction.
    pub connections_evicted: u64,
    /// Connections removed after their idle timeout.
    pub connections_expired: u64,
    /// Insertions refused because a table was full.
    pub table_full: u64,
    /// MP_JOIN SYNs with an unknown token.
    pub join_unknown_token: u64,
    /// MP_JOINs rejected for an invalid HMAC.
    pub join_rejected: u64,
    /// Token collisions (new connection with a token already in use).
    pub token_collisions: u64,
    /// Events that did not fit a [`Dissection`].
    pub events_dropped: u64,
    /// DSS mappings whose checksum matched.
    pub dss_valid: u64,
    /// DSS mappings whose checksum did not match.
    pub dss_invalid: u64,
    /// DSS mappings that could not be checked (not counting
    /// `dss_not_negotiated`).
    pub dss_unverifiable: u64,
    /// DSS mappings of connections without checksums.
    pub dss_not_negotiated: u64,
    /// TCP segments whose checksum was wrong (when checked).
    pub tcp_checksum_bad: u64,
}

/// The dissector's state besides its tables (what a C caller keeps next to
/// the table memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DissectorState {
    /// Configuration.
    pub config: DissectorConfig,
    /// Counters.
    pub stats: DissectorStats,
    next_serial: u32,
    /// The events of the last `dissect` call (kept here, not returned by
    /// value: most packets have none, and copying the bounded list out of
    /// every call cost more than the rest of the result).
    events: Events,
}

impl Default for DissectorState {
    fn default() -> Self {
        DissectorState::new(DissectorConfig::default())
    }
}

impl DissectorState {
    /// A fresh state with `config`.
    #[must_use]
    pub const fn new(config: DissectorConfig) -> Self {
        DissectorState {
            config,
            stats: DissectorStats {
                packets: 0,
                not_ip: 0,
                malformed: 0,
                non_tcp: 0,
                tcp: 0,
                mptcp: 0,
                option_errors: 0,
                untracked: 0,
                subflows: 0,
                connections: 0,
                subflows_evicted: 0,
                subflows_expired: 0,
                subflows_reused: 0,
                connections_evicted: 0,
                connections_expired: 0,
                table_full: 0,
                join_unknown_token: 0,
                join_rejected: 0,
                token_collisions: 0,
                events_dropped: 0,
                dss_valid: 0,
                dss_invalid: 0,
                dss_unverifiable: 0,
                dss_not_negotiated: 0,
                tcp_checksum_bad: 0,
            },
            next_serial: 0,
            events: Events::new(),
        }
    }
}

/// A connection: its table slot and its public serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConnId {
    /// Slot in the connection table (stale once the connection is gone).
    pub slot: SlotId,
    /// Creation counter: the stable public id ([`Connection::serial`]).
    pub serial: u32,
}

/// A subflow: its slot in the subflow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SubflowId(pub SlotId);

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TableKind {
    /// The subflow table.
    Subflow,
    /// The connection table.
    Connection,
    /// The client-token alias table.
    Token,
}

/// Why an entry left a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RemovalCause {
    /// Evicted to make room for a new entry.
    Evicted,
    /// Idle for longer than its class's timeout.
    Idle,
    /// A subflow whose 4-tuple a new connection took: a SYN with another
    /// initial sequence number on a subflow that had closed or been reset
    /// (port reuse). The SYN is then dissected as on free ports: it starts
    /// a new subflow if it offers MPTCP and the table has room.
    Reused,
}

/// Why an MP_JOIN was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum JoinRejectReason {
    /// The SYN/ACK or third-ACK HMAC does not match the connection's keys.
    InvalidHmac,
}

/// Why a fallback to TCP was inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FallbackReason {
    /// The SYN/ACK of an MP_CAPABLE SYN carried no MP_CAPABLE.
    MpCapableNotEchoed,
    /// A DSS with an infinite mapping (data-level length 0).
    InfiniteMapping,
    /// A sender's first payload on a v1 connection carried no DSS while it
    /// had sent no mapping (RFC 8684 §3.7).
    DataWithoutDss,
    /// The SYN/ACK's MP_CAPABLE carried the SYN's own key: a middlebox
    /// mirrored the option it did not understand (Mehani et al.'s
    /// erratum), so the server never spoke MPTCP. No connection is made.
    MirroredKey,
}

/// Something that happened on this packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// A connection was created (server key learned).
    NewConnection {
        /// The connection.
        conn: ConnId,
    },
    /// A join subflow was linked to its connection.
    SubflowJoined {
        /// The connection.
        conn: ConnId,
        /// The subflow.
        subflow: SubflowId,
        /// The HMAC verdict so far.
        hmac: HmacVerdict,
    },
    /// A join subflow was refused (and not linked).
    JoinRejected {
        /// The connection its token named.
        conn: ConnId,
        /// The subflow.
        subflow: SubflowId,
        /// Why.
        reason: JoinRejectReason,
    },
    /// An MP_JOIN SYN named a token no tracked connection has.
    JoinUnknownToken {
        /// The (unlinked) subflow.
        subflow: SubflowId,
        /// The token.
        token: u32,
    },
    /// ADD_ADDR.
    AddrAdvertised {
        /// The connection.
        conn: ConnId,
        /// Which side sent it.
        sender: Role,
        /// Address id.
        addr_id: u8,
        /// Address.
        ip: IpAddr,
        /// Port, if present.
        port: Option<u16>,
        /// Class of the address.
        class: AddrClass,
        /// HMAC verdict.
        hmac: HmacVerdict,
        /// `true` for an echo.
        echo: bool,
    },
    /// REMOVE_ADDR (one event per id).
    AddrRemoved {
        /// The connection.
        conn: ConnId,
        /// Who sent it (connection roles): the host whose id it is.
        sender: Role,
        /// The removed id.
        addr_id: u8,
    },
    /// MP_PRIO.
    PriorityChanged {
        /// The connection.
        conn: ConnId,
        /// The subflow it was sent on.
        subflow: SubflowId,
        /// New backup flag.
        backup: bool,
        /// The v0 form's address id.
        addr_id: Option<u8>,
    },
    /// First DATA_FIN of a direction.
    DataFin {
        /// The connection.
        conn: ConnId,
        /// Its sender.
        sender: Role,
        /// DSN of the DATA_FIN.
        dsn: u64,
    },
    /// First MP_FASTCLOSE of a connection.
    Fastclose {
        /// The connection.
        conn: ConnId,
    },
    /// MP_FAIL.
    MpFail {
        /// The connection.
        conn: ConnId,
        /// Its DSN.
        dsn: u64,
    },
    /// MP_TCPRST.
    TcpRst {
        /// The subflow.
        subflow: SubflowId,
        /// The reason code.
        reason: TcpRstReason,
    },
    /// Fallback to regular TCP.
    Fallback {
        /// The subflow.
        subflow: SubflowId,
        /// The connection, if known.
        conn: Option<ConnId>,
        /// Why.
        why: FallbackReason,
    },
    /// The third ACK's keys differ from those seen before (the first seen
    /// are kept).
    KeyMismatch {
        /// The connection.
        conn: ConnId,
    },
    /// A new connection's token is already used by another connection
    /// (the existing one is kept, the new one is not created/aliased).
    TokenCollision {
        /// The token.
        token: u32,
    },
    /// A subflow closed.
    SubflowClosed {
        /// The subflow.
        subflow: SubflowId,
        /// FIN both ways or RST.
        end: SubflowEnd,
    },
    /// An entry left a table (see [`DissectorView::dissect_with`] for its
    /// value).
    Evicted {
        /// Which table.
        what: TableKind,
        /// Its class then.
        class: EvictClass,
        /// Its (now stale) slot id.
        id: SlotId,
        /// The public id of a connection (0 for a subflow).
        serial: u32,
        /// Eviction, expiry or (a subflow) port reuse.
        cause: RemovalCause,
    },
    /// An insertion was refused: the table is full and the policy forbids
    /// evicting.
    TableFull {
        /// Which table.
        which: TableKind,
    },
    /// A DSS mapping got its checksum verdict (invalid and unverifiable
    /// ones always; valid and not-negotiated ones with
    /// [`DissectorConfig::dss_all_events`]).
    Mapping {
        /// The connection.
        conn: ConnId,
        /// The subflow it was sent on.
        subflow: SubflowId,
        /// Its sender at connection level.
        sender: Role,
        /// Its 64-bit DSN.
        dsn: u64,
        /// Its data-level length.
        data_len: u16,
        /// The verdict.
        verdict: DssVerdict,
        /// Every segment of it had a verified TCP checksum: for an invalid
        /// mapping, "TCP checksum valid, DSS checksum invalid" (a
        /// payload-rewriting middlebox).
        tcp_verified: bool,
    },
    /// A segment of a tracked subflow had a wrong TCP checksum (with
    /// [`DissectorConfig::verify_tcp_checksum`]); its payload does not go
    /// to the DSS check, nor its DSS mapping if that carries a checksum
    /// (either would make a false DSS failure: the receiver dropped the
    /// segment, options included). A mapping without a checksum is still
    /// reported (not negotiated, missing).
    TcpChecksumBad {
        /// The subflow.
        subflow: SubflowId,
    },
    /// A SYN/ACK mirrored its SYN's options (new evidence only).
    Mirrored {
        /// The subflow.
        subflow: SubflowId,
        /// Its connection, if one was created.
        conn: Option<ConnId>,
        /// The new evidence.
        evidence: MirrorEvidence,
    },
    /// MPTCP options were stripped on the path (new evidence only).
    Stripped {
        /// The subflow.
        subflow: SubflowId,
        /// Its connection, if any.
        conn: Option<ConnId>,
        /// The new evidence.
        evidence: StripEvidence,
    },
    /// An MP_FAIL correlated with the DSS validator (follows
    /// [`Event::MpFail`]).
    MpFailMatched {
        /// The connection.
        conn: ConnId,
        /// The MP_FAIL's DSN.
        dsn: u64,
        /// Whether a flagged mapping contains it.
        result: MpFailMatch,
    },
}

/// The bounded list of events of one packet.
///
/// Equality compares the events held (and `dropped`), not the storage
/// beyond them.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Events {
    items: [Option<Event>; MAX_EVENTS],
    len: u8,
    /// Events that did not fit.
    pub dropped: u16,
}

impl PartialEq for Events {
    fn eq(&self, other: &Events) -> bool {
        self.dropped == other.dropped && self.iter().eq(other.iter())
    }
}

impl Eq for Events {}

impl Events {
    fn clear(&mut self) {
        self.len = 0;
        self.dropped = 0;
    }

    const fn new() -> Self {
        Events {
            items: [None; MAX_EVENTS],
            len: 0,
            dropped: 0,
        }
    }

    /// Makes `self` equal to `other`, copying only the events `other` holds.
    fn copy_used(&mut self, other: &Events) {
        let n = usize::from(other.len);
        // No copy call at all for the common packet without events.
        if n > 0 {
            if let (Some(dst), Some(src)) = (self.items.get_mut(..n), other.items.get(..n)) {
                dst.copy_from_slice(src);
            }
        }
        self.len = other.len;
        self.dropped = other.dropped;
    }

    fn push(&mut self, e: Event) {
        match self.items.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = Some(e);
                self.len = self.len.saturating_add(1);
            }
            None => self.dropped = self.dropped.saturating_add(1),
        }
    }

    /// Number of events kept.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// `true` if there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The events, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Event> + '_ {
        self.items
            .get(..usize::from(self.len))
            .unwrap_or(&[])
            .iter()
            .flatten()
    }
}

/// The TCP header fields the engine used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Segment {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Payload length.
    pub payload_len: u32,
    /// At least one MPTCP option (well formed or not).
    pub mptcp: bool,
    /// Malformed options.
    pub option_errors: u8,
}

/// The result of one [`DissectorView::dissect`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dissection<'f> {
    /// The parsed frame, or why it could not be parsed.
    pub frame: Result<Frame<'f>, FrameError>,
    /// The TCP summary, for a TCP segment.
    pub segment: Option<Segment>,
    /// The connection the segment belongs to.
    pub conn: Option<ConnId>,
    /// The subflow the segment belongs to.
    pub subflow: Option<SubflowId>,
    /// The segment's direction relative to the subflow's key.
    pub dir: Option<Direction>,
    /// Its sender at connection level (at subflow level when unlinked).
    pub role: Option<Role>,
}

impl<'f> Dissection<'f> {
    /// The result for `frame` before the engine has seen it: nothing but
    /// the frame filled in.
    #[inline(always)]
    const fn of(frame: Result<Frame<'f>, FrameError>) -> Self {
        Dissection {
            frame,
            segment: None,
            conn: None,
            subflow: None,
            dir: None,
            role: None,
        }
    }
}

/// What the engine fills in for a TCP segment: the [`Dissection`] fields
/// other than the frame (kept apart: the result's frame is borrowed while
/// they are filled in, and copied in at the end).
#[derive(Default)]
struct Summary {
    segment: Option<Segment>,
    conn: Option<ConnId>,
    subflow: Option<SubflowId>,
    dir: Option<Direction>,
    role: Option<Role>,
}

/// An entry that left a table during a `dissect_with` call, with its last
/// state and, when the dissector has analysis memory for its slot, its last
/// analysis state (what [`DissectorView::subflow_analysis`] /
/// [`DissectorView::conn_analysis`] gave right before it left): a flow
/// exporter gets a flow's DSS verdicts and middlebox evidence when it is
/// evicted or expires, not only while it is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Gone {
    /// A subflow.
    Subflow {
        /// Its id.
        id: SubflowId,
        /// Its key.
        key: FlowKey,
        /// Its last state.
        subflow: Subflow,
        /// Why it left.
        cause: RemovalCause,
        /// Its last analysis state (`None` without analysis memory for its
        /// slot).
        analysis: Option<SubflowAnalysis>,
    },
    /// A connection.
    Connection {
        /// Its id.
        id: ConnId,
        /// Its last state, [`Connection::end`] set to `Evicted` / `Idle`.
        conn: Connection,
        /// Why it left.
        cause: RemovalCause,
        /// Its last analysis state (`None` without analysis memory for its
        /// slot); [`ConnAnalysis::verdict`] of it (with
        /// `conn.mp_fail > 0`) is its final middlebox verdict.
        analysis: Option<ConnAnalysis>,
    },
}

/// The MPTCP options of one segment (first of each kind).
#[derive(Default)]
struct Opts<'f> {
    capable: Option<MpCapable>,
    join: Option<MpJoin>,
    /// The first DSS, validated, read in place (the one sub-option of
    /// nearly every segment: no copy into a `Dss`).
    dss: Option<DssView<'f>>,
    add_addr: Option<AddAddr>,
    remove: Option<RemoveAddr<'f>>,
    prio: Option<MpPrio>,
    fail: Option<MpFail>,
    /// MP_FASTCLOSE's receiver key.
    fastclose: Option<u64>,
    tcprst: Option<MpTcpRst>,
    /// The Timestamps option (TSval, TSecr).
    ts: Option<(u32, u32)>,
    mptcp: bool,
    errors: u8,
}

/// Fills `o` (fresh) with the options of `tcp` (in place: `Opts` is large
/// enough that returning it by value showed in profiles).
#[inline]
fn scan<'f>(tcp: &TcpPacket<&'f [u8]>, o: &mut Opts<'f>) {
    let bytes: &'f [u8] = (*tcp).into_inner();
    let area = bytes
        .get(crate::wire::tcp::HEADER_LEN..tcp.header_len())
        .unwrap_or(&[]);
    // Framing only here; each option is decoded by the one parser its kind
    // needs (the same results and errors as `TcpOptions`' full decode, without
    // building a `TcpOption` for every NOP).
    // Linux's segments start with NOP, NOP, Timestamps: taken at once (two
    // NOPs and a well-formed TSval/TSecr, exactly what the walk would take).
    let mut it = match area {
        &[1, 1, tcp_kind::TIMESTAMPS, 10, a0, a1, a2, a3, b0, b1, b2, b3, ..] => {
            o.ts = Some((
                u32::from_be_bytes([a0, a1, a2, a3]),
                u32::from_be_bytes([b0, b1, b2, b3]),
            ));
            crate::wire::tcp_option::TcpOptions::resume_at(area, 12)
        }
        _ => crate::wire::tcp_option::TcpOptions::new(area),
    };
    while let Some(item) = it.next_raw() {
        let raw = match item {
            Ok(raw) => raw,
            Err(e) => {
                o.errors = o.errors.saturating_add(1);
                if e.kind == crate::wire::mptcp::KIND_MPTCP {
                    o.mptcp = true;
                }
                continue;
            }
        };
        match raw.kind {
            tcp_kind::NOP | tcp_kind::EOL => {}
            tcp_kind::MPTCP => {
                o.mptcp = true;
                let ok = if raw.bytes.get(2).map(|b| b >> 4) == Some(subtype::DSS) {
                    DssView::new_checked(raw.bytes).map(|v| {
                        o.dss.get_or_insert(v);
                    })
                } else {
                    MptcpOption::parse(raw.bytes).map(|m| o.take(m))
                };
                if ok.is_err() {
                    o.errors = o.errors.saturating_add(1);
                }
            }
            tcp_kind::TIMESTAMPS => match raw.bytes {
                &[_, 10, a0, a1, a2, a3, b0, b1, b2, b3] => {
                    o.ts.get_or_insert((
                        u32::from_be_bytes([a0, a1, a2, a3]),
                        u32::from_be_bytes([b0, b1, b2, b3]),
                    ));
                }
                _ => o.errors = o.errors.saturating_add(1),
            },
            // The other classic options: only whether they are well formed
            // (the length rule both walks share; nothing is read from them).
            _ => {
                let body = raw.bytes.len().saturating_sub(2);
                if !crate::wire::tcp_option::classic_body_ok(raw.kind, body) {
                    o.errors = o.errors.saturating_add(1);
                }
            }
        }
    }
}

impl<'f> Opts<'f> {
    /// Keeps the first option of each kind.
    #[inline]
    fn take(&mut self, m: MptcpOption<'f>) {
        match m {
            MptcpOption::Capable(c) => {
                self.capable.get_or_insert(c);
            }
            MptcpOption::Join(j) => {
                self.join.get_or_insert(j);
            }
            // Never here: `scan` validates DSS as a view, not through
            // `MptcpOption::parse`.
            MptcpOption::Dss(_) => {}
            MptcpOption::AddAddr(a) => {
                self.add_addr.get_or_insert(a);
            }
            MptcpOption::RemoveAddr(r) => {
                self.remove.get_or_insert(r);
            }
            MptcpOption::Prio(p) => {
                self.prio.get_or_insert(p);
            }
            MptcpOption::Fail(f) => {
                self.fail.get_or_insert(f);
            }
            MptcpOption::Fastclose(f) => self.fastclose = Some(f.receiver_key),
            MptcpOption::TcpRst(r) => {
                self.tcprst.get_or_insert(r);
            }
            MptcpOption::Experimental(_) | MptcpOption::Unknown { .. } => {}
        }
    }
}

/// Hands `prefetch` the address of every 64-byte cache line `value` touches
/// (an analysis entry: 128 or 80 bytes at 8-byte alignment, so two or three
/// lines, where the first address alone brought in one).
#[inline]
fn prefetch_lines<T>(value: &T, prefetch: &mut impl FnMut(*const u8)) {
    const LINE: usize = 64;
    let p: *const u8 = core::ptr::from_ref(value).cast();
    let at = p as usize;
    let end = at.saturating_add(core::mem::size_of::<T>().saturating_sub(1));
    let lines = (end / LINE).saturating_sub(at / LINE);
    for line in 0..=lines {
        prefetch(p.wrapping_add(line.saturating_mul(LINE)));
    }
}

/// The 64-bit value closest to `reference` whose low 32 bits are `low`.
#[must_use]
pub fn expand_dsn(low: u32, reference: u64) -> u64 {
    let d = low.wrapping_sub(reference as u32) as i32;
    reference.wrapping_add_signed(i64::from(d))
}

/// `a` after `b` in 64-bit serial arithmetic.
fn after64(a: u64, b: u64) -> bool {
    (a.wrapping_sub(b) as i64) > 0
}

fn conn_id(slot: SlotId, c: &Connection) -> ConnId {
    ConnId {
        slot,
        serial: c.serial,
    }
}

fn sub_class(s: &Subflow) -> EvictClass {
    match s.state() {
        SubflowState::SynSeen | SubflowState::SynAckSeen | SubflowState::ThirdAckSeen => {
            EvictClass::Embryonic
        }
        SubflowState::Closed | SubflowState::Reset | SubflowState::ResetInHandshake => {
            EvictClass::Closed
        }
        SubflowState::Established | SubflowState::FinC2s | SubflowState::FinS2c => {
            EvictClass::Established
        }
    }
}

/// Whether a RST from `role` (sequence number `seq`, acknowledgment `ack`
/// if it has the ACK flag) ends a subflow still in its handshake: one that
/// its receiver would accept (RFC 9293 §3.10.7). The answer to a SYN must
/// acknowledge it; any other RST must lie within 64 KiB of its sender's
/// first byte. An ISN the capture did not show accepts any. A RST the
/// receiver would ignore (a stray, a late one of an earlier connection on
/// the ports) must not end a handshake that goes on.
fn handshake_rst_acceptable(sub: &Subflow, role: Role, seq: u32, ack: Option<u32>) -> bool {
    let first_byte = |r: Role| sub.isn(r).map(|isn| isn.wrapping_add(1));
    if sub.state() == SubflowState::SynSeen && role == Role::S2c {
        return match (first_byte(Role::C2s), ack) {
            (Some(want), Some(ack)) => ack == want,
            (Some(_), None) => false,
            (None, _) => true,
        };
    }
    first_byte(role).is_none_or(|first| seq.wrapping_sub(first) < 1 << 16)
}

fn conn_class(c: &Connection) -> EvictClass {
    if c.end_so_far() != ConnEnd::Open {
        EvictClass::Closed
    } else if c.subflows_established > 0 {
        EvictClass::Established
    } else {
        EvictClass::Embryonic
    }
}

/// The analysis side arrays as the dissector sees them: themselves with the
/// `analysis` feature (default), empty without it, so that every analysis
/// block (DSS validation, mirroring/stripping evidence, TCP-timestamp RTT)
/// folds away and a firmware image that does not want them does not carry
/// their code.
#[inline(always)]
fn gate<T>(side: &mut [T]) -> &mut [T] {
    if cfg!(feature = "analysis") {
        side
    } else {
        &mut []
    }
}

/// [`gate`] for reading.
#[inline(always)]
fn gate_ref<T>(side: &[T]) -> &[T] {
    if cfg!(feature = "analysis") {
        side
    } else {
        &[]
    }
}

/// A dissector over caller-provided table memory; all the engine logic
/// lives here (the owned [`Dissector`] borrows itself as one).
#[derive(Debug)]
pub struct DissectorView<'a> {
    st: &'a mut DissectorState,
    subflows: FlowTableView<'a, FlowKey, Subflow>,
    conns: FlowTableView<'a, u32, Connection>,
    tokens: FlowTableView<'a, u32, SlotId>,
    sub_an: &'a mut [SubflowAnalysis],
    conn_an: &'a mut [ConnAnalysis],
}

/// A TCP frame's flow: its subflow key, its direction relative to the key
/// and the key's subflow-table hash.
type Flow = (FlowKey, Direction, u64);

/// One frame in flight in the burst pipeline, built where it stays: the
/// result is parsed into `out` by stage 1 and completed there by the
/// dissection, so nothing of it is copied between the stages (moving
/// 200-byte entries through the ring cost store-forwarding stalls: wide
/// loads of what the parser had just written with narrow stores).
#[derive(Clone, Copy)]
struct InFlight<'f> {
    /// The result: the frame parsed by stage 1, the rest by the dissection.
    out: Dissection<'f>,
    /// Its flow, from stage 1 (`None`: not TCP).
    flow: Option<Flow>,
    /// Its subflow slot, from stage 2 (`None`: not TCP, or no entry yet).
    slot: Option<u32>,
}

impl InFlight<'_> {
    /// A ring entry before its frame is parsed into it.
    const VACANT: Self = InFlight {
        out: Dissection::of(Err(FrameError {
            offset: 0,
            reason: FrameErrorReason::LinkTruncated,
        })),
        flow: None,
        slot: None,
    };
}

/// Default [`DissectorConfig::evict_hints_from`]. The victim of an
/// eviction is the least recently used entry, the coldest memory of the
/// table: once the tables outgrow the core's L2 it comes from L3 or DRAM,
/// one miss after the other inside the insertion. On the machine this was
/// measured on (1 MiB of L2 a core, 32 MiB of L3), the same build with the
/// hints on against off, in bursts: 1.10× at 2^20 subflows, 1.044× at
/// 2^18, 1.065× at 2^17, 1.020× and 1.028× at 2^16, 1.029× at 2^15,
/// within noise at 2^14 (1.021×, faster in 7 pairs of 10).
pub const EVICT_HINTS_FROM: usize = 1 << 15;

/// Default [`DissectorConfig::burst_pipeline_from`]. On the machine it was
/// measured on (1 MiB of L2 a core, 32 MiB of L3) a burst through the
/// pipeline cost 1.3× frame-by-frame dissection at 2^10 subflows and 1.1×
/// at 2^12, broke even at 2^14 and was 2.5× faster at 2^16.
pub const BURST_PIPELINE_FROM: usize = 1 << 14;

/// Hands `prefetch` the first two cache lines (its headers) of the burst's
/// frame [`BURST_AHEAD`] places after frame `i`, if there is one.
#[inline(always)]
fn prefetch_headers_ahead(
    frames: &[(&[u8], LinkType, u64)],
    i: usize,
    prefetch: &mut impl FnMut(*const u8),
) {
    if let Some(&(data, _, _)) = frames.get(i.saturating_add(BURST_AHEAD)) {
        prefetch(data.as_ptr());
        prefetch(data.as_ptr().wrapping_add(64));
    }
}

/// How far the burst pipeline has prefetched the next evictions (see
/// [`DissectorView::hint_evictions`]): per table, the victim slot being
/// prefetched and the next level of its removal hints
/// ([`FlowTableView::removal_hints`]; 3: done), and how far the
/// connection victim's client-token entry is.
#[derive(Clone, Copy)]
struct EvictAhead {
    sub: (u32, u8),
    conn: (u32, u8),
    token: TokenAhead,
}

impl EvictAhead {
    /// Nothing prefetched yet.
    const NONE: Self = EvictAhead {
        sub: (u32::MAX, 0),
        conn: (u32::MAX, 0),
        token: TokenAhead::Idle,
    };
}

/// How far the connection victim's client-token entry (which `gone_conn`
/// removes from the token table) has been prefetched.
#[derive(Clone, Copy)]
enum TokenAhead {
    /// Not started: the connection's slot has not been read yet.
    Idle,
    /// The token's home index entry is prefetched (with the token's
    /// `hash`); next, find its slot there.
    Index { hash: u64 },
    /// Its `slot` is found and its level-0 removal hints prefetched; next,
    /// the hints of `level` (1 and 2).
    Removal { slot: u32, level: u8 },
    /// All prefetched, or the connection has no client token.
    Done,
}

/// Where a frame's TCP checksum verdict comes from, per frame of
/// [`DissectorView::dissect_burst_checked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ChecksumBy {
    /// The dissector's own check, made if
    /// [`DissectorConfig::verify_tcp_checksum`] is on: the frame is
    /// dissected as by [`DissectorView::dissect_with`].
    Dissector,
    /// The caller's (`None`: not checked): the frame is dissected as by
    /// [`DissectorView::dissect_checked`].
    Caller(Option<TcpCheck>),
}

/// Per-packet context passed between the steps of `dissect_with`.
struct Pkt {
    now: u64,
    sid: SlotId,
    role: Role,
    seq: u32,
    ack: u32,
    payload: u32,
    /// The segment has the RST flag.
    rst: bool,
}

impl<'a> DissectorView<'a> {
    /// A dissector over three initialised (or attached) tables and a state.
    ///
    /// Inlined, so that a caller that attaches a view per packet (the CLI,
    /// whose tables grow between packets) pays for the fields it changes
    /// only.
    #[inline]
    pub fn new(
        state: &'a mut DissectorState,
        mut subflows: FlowTableView<'a, FlowKey, Subflow>,
        mut conns: FlowTableView<'a, u32, Connection>,
        tokens: FlowTableView<'a, u32, SlotId>,
    ) -> Self {
        let grace = state.config.lru_grace();
        subflows.set_lru_grace(grace);
        conns.set_lru_grace(grace);
        DissectorView {
            st: state,
            subflows,
            conns,
            tokens,
            sub_an: &mut [],
            conn_an: &mut [],
        }
    }

    /// Adds the analysis side arrays (DSS validation, mirroring/stripping,
    /// TCP checksum counts): one [`SubflowAnalysis`] per subflow slot and
    /// one [`ConnAnalysis`] per connection slot, indexed by
    /// [`SlotId::index`]. Entries are reset when their slot gets a new
    /// entry; their initial content does not matter. Slots beyond a short
    /// slice are not analysed (no DSS verdicts, no handshake evidence);
    /// without this call nothing is.
    #[must_use]
    #[inline]
    pub fn with_analysis(
        mut self,
        subflows: &'a mut [SubflowAnalysis],
        conns: &'a mut [ConnAnalysis],
    ) -> Self {
        self.sub_an = subflows;
        self.conn_an = conns;
        self
    }

    /// The analysis state of a live subflow.
    #[must_use]
    pub fn subflow_analysis(&self, id: SlotId) -> Option<&SubflowAnalysis> {
        if !self.subflows.contains(id) {
            return None;
        }
        gate_ref(&self.sub_an[..]).get(id.index() as usize)
    }

    /// The analysis state of a live connection.
    #[must_use]
    pub fn conn_analysis(&self, id: SlotId) -> Option<&ConnAnalysis> {
        if !self.conns.contains(id) {
            return None;
        }
        gate_ref(&self.conn_an[..]).get(id.index() as usize)
    }

    /// The TCP-timestamp RTT samples of a live subflow's segments sent by
    /// `role` (subflow roles: the sender whose segments were timed); `None`
    /// without analysis memory or samples. See [`crate::flow::ts_rtt`].
    #[must_use]
    pub fn subflow_ts_rtt(&self, id: SlotId, role: Role) -> Option<RttStats> {
        self.subflow_analysis(id)?.ts_rtt(role)
    }

    /// The middlebox verdict of a live connection.
    #[must_use]
    pub fn verdict(&self, id: SlotId) -> Option<MiddleboxVerdict> {
        let c = self.conns.get(id)?;
        let a = self.conn_analysis(id)?;
        Some(a.verdict(c.mp_fail > 0))
    }

    /// The middlebox verdict of a live subflow's own handshake (useful for
    /// handshakes that never became a connection: mirrored, stripped).
    #[must_use]
    pub fn subflow_verdict(&self, id: SlotId) -> Option<MiddleboxVerdict> {
        let h = self.subflow_analysis(id)?.handshake;
        Some(MiddleboxVerdict::from_evidence(h.mirror, h.strip, false))
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> DissectorStats {
        self.st.stats
    }

    /// A live connection.
    #[must_use]
    pub fn connection(&self, id: SlotId) -> Option<&Connection> {
        self.conns.get(id)
    }

    /// A live subflow and its key.
    #[must_use]
    pub fn subflow(&self, id: SlotId) -> Option<(&FlowKey, &Subflow)> {
        self.subflows.entry(id)
    }

    /// Every live connection.
    pub fn connections(&self) -> impl Iterator<Item = (ConnId, &Connection)> + '_ {
        self.conns.iter().map(|(id, _, c)| (conn_id(id, c), c))
    }

    /// Every live subflow.
    pub fn subflows(&self) -> impl Iterator<Item = (SubflowId, &FlowKey, &Subflow)> + '_ {
        self.subflows.iter().map(|(id, k, s)| (SubflowId(id), k, s))
    }

    /// The live connections in slots `start..`, in slot order (a resumable
    /// cursor: `start` is one past the last [`SlotId::index`] seen), without
    /// walking the slots before `start`.
    pub fn connections_from(&self, start: u32) -> impl Iterator<Item = (ConnId, &Connection)> + '_ {
        self.conns
            .iter_from(start)
            .map(|(id, _, c)| (conn_id(id, c), c))
    }

    /// The live subflows in slots `start..`, as
    /// [`connections_from`](Self::connections_from).
    pub fn subflows_from(
        &self,
        start: u32,
    ) -> impl Iterator<Item = (SubflowId, &FlowKey, &Subflow)> + '_ {
        self.subflows
            .iter_from(start)
            .map(|(id, k, s)| (SubflowId(id), k, s))
    }

    /// Dissects one frame captured at `now` (monotonic, nanoseconds by
    /// convention); entries removed from the tables are dropped (their
    /// removal is still reported as [`Event::Evicted`]).
    #[inline]
    pub fn dissect<'f>(&mut self, frame: &'f [u8], link: LinkType, now: u64) -> Dissection<'f> {
        self.dissect_with(frame, link, now, |_| {})
    }

    /// [`DissectorView::dissect`], handing every entry removed from a table
    /// (eviction or expiry) to `on_gone`.
    #[inline]
    pub fn dissect_with<'f>(
        &mut self,
        data: &'f [u8],
        link: LinkType,
        now: u64,
        on_gone: impl FnMut(Gone),
    ) -> Dissection<'f> {
        self.dissect_checking(data, link, now, |_| ChecksumBy::Dissector, on_gone)
    }

    /// [`DissectorView::dissect_with`] with the frame's TCP checksum checked
    /// by the caller: `check` stands for the check
    /// [`DissectorConfig::verify_tcp_checksum`] makes the dissector compute
    /// ([`TcpCheck::of_frame`]), whatever that flag says. It is used where
    /// the dissector would check — a whole, unfragmented TCP segment (with
    /// the `analysis` feature) — and ignored elsewhere; `None` means not
    /// checked. Given `TcpCheck::of_frame` of the same frame, the result, the
    /// events, the callbacks and every counter are exactly those of
    /// `dissect_with` with the flag on: the check can be made on another
    /// thread, or come from a NIC ([`TcpCheck::verdict_only`]).
    #[inline]
    pub fn dissect_checked<'f>(
        &mut self,
        data: &'f [u8],
        link: LinkType,
        now: u64,
        check: Option<TcpCheck>,
        on_gone: impl FnMut(Gone),
    ) -> Dissection<'f> {
        self.dissect_checking(data, link, now, |_| ChecksumBy::Caller(check), on_gone)
    }

    /// The general form of [`DissectorView::dissect_with`] and
    /// [`DissectorView::dissect_checked`]: `check` is handed the parsed
    /// frame (if it parses) and says where its TCP checksum verdict comes
    /// from, as per frame of [`DissectorView::dissect_burst_checked`] — for
    /// a verdict that needs the frame, such as a NIC's "good" with the
    /// payload sum derived from the header ([`TcpCheck::offload_valid`]),
    /// without parsing the frame twice.
    #[inline]
    pub fn dissect_checking<'f>(
        &mut self,
        data: &'f [u8],
        link: LinkType,
        now: u64,
        check: impl FnOnce(&Frame<'f>) -> ChecksumBy,
        mut on_gone: impl FnMut(Gone),
    ) -> Dissection<'f> {
        // Parsed straight into the result, where the frame stays: moved in
        // afterwards, it was a 136-byte copy a packet whose wide loads
        // waited on the parser's narrow stores.
        let mut out = Dissection::of(parse_frame(data, link));
        let by = match &out.frame {
            Ok(f) => check(f),
            Err(_) => ChecksumBy::Dissector,
        };
        self.dissect_into(&mut out, now, &mut on_gone, None, by);
        out
    }

    /// The body of [`DissectorView::dissect_with`] after `parse_frame`,
    /// for `out` fresh from [`Dissection::of`] (its frame parsed, nothing
    /// else filled in); `pre` is the flow key, direction and subflow-table
    /// hash of a TCP frame when the burst pipeline computed them already;
    /// `verify` says where the TCP checksum verdict comes from.
    #[inline]
    fn dissect_into<'f>(
        &mut self,
        out: &mut Dissection<'f>,
        now: u64,
        mut on_gone: impl FnMut(Gone),
        pre: Option<&Flow>,
        verify: ChecksumBy,
    ) {
        let stats = &mut self.st.stats;
        stats.packets = stats.packets.wrapping_add(1);
        self.st.events.clear();
        let mut sum = Summary::default();
        match &out.frame {
            Err(e) => {
                if e.is_not_ip() {
                    stats.not_ip = stats.not_ip.wrapping_add(1);
                } else {
                    stats.malformed = stats.malformed.wrapping_add(1);
                }
            }
            Ok(f) => match f.transport {
                Transport::Tcp(tcp) => {
                    stats.tcp = stats.tcp.wrapping_add(1);
                    let mut events = Events::new();
                    self.expire(now, &mut events, &mut on_gone);
                    // The verdict is taken before `segment` (which the
                    // verifying and the given paths share).
                    // The configuration flag is read first: with verification
                    // off (the common case) nothing else is looked at.
                    let check = match verify {
                        _ if !cfg!(feature = "analysis") => None,
                        ChecksumBy::Dissector if !self.st.config.verify_tcp_checksum => None,
                        _ if !checkable(f) => None,
                        ChecksumBy::Dissector => Some(TcpCheck::of_segment(f, &tcp)),
                        ChecksumBy::Caller(check) => check,
                    };
                    self.segment(
                        f,
                        &tcp,
                        now,
                        &mut sum,
                        &mut events,
                        &mut on_gone,
                        pre,
                        check,
                    );
                    let stats = &mut self.st.stats;
                    stats.events_dropped =
                        stats.events_dropped.wrapping_add(u64::from(events.dropped));
                    self.st.events.copy_used(&events);
                }
                Transport::MalformedTcp(_) => {
                    stats.malformed = stats.malformed.wrapping_add(1);
                }
                _ => {
                    stats.non_tcp = stats.non_tcp.wrapping_add(1);
                }
            },
        }
        out.segment = sum.segment;
        out.conn = sum.conn;
        out.subflow = sum.subflow;
        out.dir = sum.dir;
        out.role = sum.role;
    }

    /// Stage 1 of the burst pipeline, for a parsed frame: writes its flow
    /// (key, direction, subflow-table hash; `None` if not TCP) to `flow`,
    /// in the pipeline's ring where the dissection reads it, and returns
    /// the address of its home index entry (null if not TCP; nothing is
    /// read there).
    #[inline]
    fn hint_index(&self, frame: &Frame<'_>, flow: &mut Option<Flow>) -> *const u8 {
        let Transport::Tcp(tcp) = frame.transport else {
            *flow = None;
            return core::ptr::null();
        };
        let (key, dir) = FlowKey::new(frame.src(), tcp.src_port(), frame.dst(), tcp.dst_port());
        let h = self.subflows.hash_of(&key);
        *flow = Some((key, dir, h));
        self.subflows.index_addr(h)
    }

    /// Stage 2: reads the index entries from the home one on (prefetched by
    /// stage 1; up to `SLOT_HINT_PROBES`, possibly into the next line) and
    /// gives the addresses of the slot whose hash tag matches (both lines)
    /// and of every line of that slot's analysis entry.
    /// Returns the slot index, for stage 3.
    fn hint_slot(&self, hash: u64, mut prefetch: impl FnMut(*const u8)) -> Option<u32> {
        let (p, i) = self.subflows.slot_addr(hash)?;
        prefetch(p);
        prefetch(p.wrapping_add(64));
        if let Some(a) = gate_ref(self.sub_an).get(i as usize) {
            prefetch_lines(a, &mut prefetch);
        }
        Some(i)
    }

    /// Stage 3: reads the subflow slot (prefetched by stage 2) and gives
    /// the addresses its LRU refresh will write (its list neighbours) and
    /// those of its connection's slot and analysis entry.
    fn hint_conn(&self, i: u32, now: u64, mut prefetch: impl FnMut(*const u8)) {
        let (links, sub) = self.subflows.touch_hints(i, now);
        // Null hints (no move within the grace period) are skipped, not
        // prefetched: a prefetch of an unmapped address is dropped by the
        // CPU only after a page walk that no TLB entry can shortcut.
        for p in links.into_iter().filter(|p| !p.is_null()) {
            prefetch(p);
        }
        if let Some(c) = sub.and_then(Subflow::claimed_conn) {
            let p = self.conns.slot_ptr(c);
            if !p.is_null() {
                // The first and last of the slot's four lines: all that a
                // segment touches but at handshakes and address signals (the
                // layout tests `per_segment_fields_in_prefetched_lines` and
                // `connection_slot_bookkeeping_in_prefetched_lines`). The
                // middle two would only take memory bandwidth and miss
                // buffers from the frames around (1 M flows: 152 -> 141 ns
                // a packet in one criterion run each).
                for line in [0, 192] {
                    prefetch(p.wrapping_add(line));
                }
            }
            if let Some(a) = gate_ref(self.conn_an).get(c.index() as usize) {
                prefetch_lines(a, &mut prefetch);
            }
        }
    }

    /// Eviction hints, one level a call and table: an insertion into a full
    /// table removes its least recently used entry, whose slot, LRU
    /// neighbours, index cluster (and for a connection, its client token's
    /// entry in the token table, which `gone_conn` removes) are the coldest
    /// memory there is: with 2^20 flows, each a miss to DRAM, taken one
    /// after the other. The victim changes only when an insertion takes
    /// it, so walking its removal's memory one level a packet has it in
    /// cache long before the insertion comes.
    fn hint_evictions(&self, ahead: &mut EvictAhead, mut prefetch: impl FnMut(*const u8)) {
        if let Some(v) = self.subflows.next_victim() {
            if ahead.sub.0 != v {
                ahead.sub = (v, 0);
            }
            if ahead.sub.1 < 3 {
                self.subflows.removal_hints(v, ahead.sub.1, &mut prefetch);
                ahead.sub.1 = ahead.sub.1.wrapping_add(1);
            }
        }
        let Some(v) = self.conns.next_victim() else {
            return;
        };
        if ahead.conn.0 != v {
            ahead.conn = (v, 0);
            ahead.token = TokenAhead::Idle;
        }
        if ahead.conn.1 < 3 {
            let entry = self.conns.removal_hints(v, ahead.conn.1, &mut prefetch);
            if ahead.conn.1 == 1 {
                // The token chain starts with the slot's read (level 1).
                ahead.token = match entry.and_then(|(_, c)| c.client_token()) {
                    Some(t) => {
                        let hash = self.tokens.hash_of(&t);
                        let p = self.tokens.index_addr(hash);
                        if !p.is_null() {
                            prefetch(p);
                        }
                        TokenAhead::Index { hash }
                    }
                    None => TokenAhead::Done,
                };
            }
            ahead.conn.1 = ahead.conn.1.wrapping_add(1);
            return;
        }
        ahead.token = match ahead.token {
            TokenAhead::Index { hash } => match self.tokens.slot_addr(hash) {
                Some((_, slot)) => {
                    self.tokens.removal_hints(slot, 0, &mut prefetch);
                    TokenAhead::Removal { slot, level: 1 }
                }
                None => TokenAhead::Done,
            },
            TokenAhead::Removal { slot, level } => {
                self.tokens.removal_hints(slot, level, &mut prefetch);
                if level < 2 {
                    TokenAhead::Removal {
                        slot,
                        level: level.wrapping_add(1),
                    }
                } else {
                    TokenAhead::Done
                }
            }
            other => other,
        };
    }

    /// Dissects a burst of `(frame, link type, now)` in order, exactly as
    /// that many [`DissectorView::dissect_with`] calls would, calling
    /// `each(i, &dissection, &view)` after frame `i` (the view as it is right
    /// after that frame: its [`DissectorView::events`], connections and
    /// counters). `prefetch` is handed the addresses of memory that frames
    /// ahead will read — frame headers 4 × [`BURST_AHEAD`] places ahead, home
    /// index entries 3 ×, subflow slots and analysis entries 2 ×, LRU
    /// neighbours and connection slots (their first and last lines) 1 ×,
    /// and with 2^15 subflows or more the memory the next evictions will
    /// touch — so that their cache misses overlap with the work on the
    /// current frame (like DPDK's bulk hash lookup). Below
    /// [`DissectorConfig::burst_pipeline_from`] subflows (default 2^14) the
    /// tables stay cached and a burst skips that pipeline: it dissects
    /// frame after frame and prefetches only the headers of the frame
    /// [`BURST_AHEAD`] places ahead.
    ///
    /// The core has no prefetch instruction of its own (it has no `unsafe`):
    /// the caller supplies one — the C ABI's `mpd_dissect_burst` uses the
    /// CPU's (`prefetcht0` on x86-64) — or a no-op, which makes this plain
    /// sequential dissection. The addresses are only hints: `prefetch` must
    /// not dereference them.
    pub fn dissect_burst<'f>(
        &mut self,
        frames: &[(&'f [u8], LinkType, u64)],
        prefetch: impl FnMut(*const u8),
        on_gone: impl FnMut(Gone),
        mut each: impl FnMut(usize, &Dissection<'f>, &DissectorView<'a>),
    ) {
        self.burst(
            frames,
            |_, _| ChecksumBy::Dissector,
            prefetch,
            on_gone,
            |i, d, v| {
                each(i, d, v);
                true
            },
        );
    }

    /// [`DissectorView::dissect_burst`] with each frame's TCP checksum
    /// verdict chosen by the caller: `check(i, &frame)` is asked, right
    /// before frame `i` (parsed once, by the pipeline) is dissected, where
    /// its verdict comes from — [`ChecksumBy::Dissector`] dissects it as
    /// [`DissectorView::dissect_with`] does, [`ChecksumBy::Caller`] as
    /// [`DissectorView::dissect_checked`] does (e.g. a NIC's verdict,
    /// [`TcpCheck::offload_valid`] of the frame). It is not asked for a
    /// frame that did not parse. Results, events, callbacks and counters
    /// are those of that many single calls.
    pub fn dissect_burst_checked<'f>(
        &mut self,
        frames: &[(&'f [u8], LinkType, u64)],
        check: impl FnMut(usize, &Frame<'f>) -> ChecksumBy,
        prefetch: impl FnMut(*const u8),
        on_gone: impl FnMut(Gone),
        mut each: impl FnMut(usize, &Dissection<'f>, &DissectorView<'a>),
    ) {
        self.burst(frames, check, prefetch, on_gone, |i, d, v| {
            each(i, d, v);
            true
        });
    }

    /// [`DissectorView::dissect_burst_checked`] that can stop early: after
    /// frame `i`, `each` says whether to go on. Returns how many frames were
    /// dissected: `frames.len()`, or `i + 1` for the first `i` whose `each`
    /// returned `false` (the frames after it were at most parsed and their
    /// memory prefetched: nothing about them was recorded, so a later call
    /// can dissect them). For a caller that keeps each burst's removals in
    /// fixed memory: it stops while it still has room for
    /// [`DissectorConfig::max_removals_per_frame`] more.
    pub fn dissect_burst_checked_while<'f>(
        &mut self,
        frames: &[(&'f [u8], LinkType, u64)],
        check: impl FnMut(usize, &Frame<'f>) -> ChecksumBy,
        prefetch: impl FnMut(*const u8),
        on_gone: impl FnMut(Gone),
        each: impl FnMut(usize, &Dissection<'f>, &DissectorView<'a>) -> bool,
    ) -> usize {
        self.burst(frames, check, prefetch, on_gone, each)
    }

    /// The burst pipeline of [`DissectorView::dissect_burst`],
    /// [`DissectorView::dissect_burst_checked`] and
    /// [`DissectorView::dissect_burst_checked_while`]; returns the frames
    /// dissected.
    #[inline]
    fn burst<'f>(
        &mut self,
        frames: &[(&'f [u8], LinkType, u64)],
        mut check: impl FnMut(usize, &Frame<'f>) -> ChecksumBy,
        mut prefetch: impl FnMut(*const u8),
        mut on_gone: impl FnMut(Gone),
        mut each: impl FnMut(usize, &Dissection<'f>, &DissectorView<'a>) -> bool,
    ) -> usize {
        if self.subflows.capacity() < self.st.config.burst_pipeline_from {
            return self.burst_in_turn(frames, check, prefetch, on_gone, each);
        }
        // The frames in flight, each in the ring entry where stage 1
        // parses it and the dissection completes it (see `InFlight`).
        const RING: usize = 4 * BURST_AHEAD;
        let mut ring = [InFlight::VACANT; RING];
        let mut evict = EvictAhead::NONE;
        let evict_hints = self.subflows.capacity() >= self.st.config.evict_hints_from;
        let n = frames.len();
        let total = n.saturating_add(3 * BURST_AHEAD);
        for step in 0..total {
            // Stage 0: the headers of the frame stage 1 parses BURST_AHEAD
            // steps later.
            prefetch_headers_ahead(frames, step, &mut prefetch);
            // Stage 1: parse, flow key and hash, home index entry.
            if let (Some(&(data, link, _)), Some(e)) = (frames.get(step), ring.get_mut(step % RING))
            {
                e.out = Dissection::of(parse_frame(data, link));
                e.slot = None;
                let p = match &e.out.frame {
                    Ok(f) => self.hint_index(f, &mut e.flow),
                    Err(_) => {
                        e.flow = None;
                        core::ptr::null()
                    }
                };
                if !p.is_null() {
                    prefetch(p);
                }
            }
            let ahead = |d: usize| step.checked_sub(d).filter(|&k| k < n);
            // Stage 2: the subflow slot.
            if let Some(e) = ahead(BURST_AHEAD).and_then(|k| ring.get_mut(k % RING)) {
                if let Some((_, _, h)) = e.flow {
                    e.slot = self.hint_slot(h, &mut prefetch);
                }
            }
            // Stage 3: LRU neighbours and the connection slot.
            if let Some(k) = ahead(2 * BURST_AHEAD) {
                if let (Some(&InFlight { slot: Some(i), .. }), Some(&(_, _, now))) =
                    (ring.get(k % RING), frames.get(k))
                {
                    self.hint_conn(i, now, &mut prefetch);
                }
            }
            // The next evictions' memory, one level a step (one level
            // every BURST_AHEAD steps was too slow: victims come in
            // clusters), for tables too large for the CPU's caches.
            if evict_hints {
                self.hint_evictions(&mut evict, &mut prefetch);
            }
            // Stage 4: the dissection, into the entry stage 1 filled
            // 3 × BURST_AHEAD steps ago (the ring is longer).
            if let Some(k) = step.checked_sub(3 * BURST_AHEAD) {
                if let (Some(&(_, _, now)), Some(e)) = (frames.get(k), ring.get_mut(k % RING)) {
                    let by = match &e.out.frame {
                        Ok(f) => check(k, f),
                        Err(_) => ChecksumBy::Dissector,
                    };
                    self.dissect_into(&mut e.out, now, &mut on_gone, e.flow.as_ref(), by);
                    if !each(k, &e.out, self) {
                        return k.saturating_add(1);
                    }
                }
            }
        }
        n
    }

    /// A burst below [`DissectorConfig::burst_pipeline_from`]: each frame
    /// parsed and dissected in turn, with the headers of the frame
    /// [`BURST_AHEAD`] places ahead prefetched (they may come from a NIC's
    /// ring, not the cache).
    #[inline]
    fn burst_in_turn<'f>(
        &mut self,
        frames: &[(&'f [u8], LinkType, u64)],
        mut check: impl FnMut(usize, &Frame<'f>) -> ChecksumBy,
        mut prefetch: impl FnMut(*const u8),
        mut on_gone: impl FnMut(Gone),
        mut each: impl FnMut(usize, &Dissection<'f>, &DissectorView<'a>) -> bool,
    ) -> usize {
        for (k, &(data, link, now)) in frames.iter().enumerate() {
            prefetch_headers_ahead(frames, k, &mut prefetch);
            let mut out = Dissection::of(parse_frame(data, link));
            let by = match &out.frame {
                Ok(f) => check(k, f),
                Err(_) => ChecksumBy::Dissector,
            };
            self.dissect_into(&mut out, now, &mut on_gone, None, by);
            if !each(k, &out, self) {
                return k.saturating_add(1);
            }
        }
        frames.len()
    }

    /// The events of the last [`DissectorView::dissect`] /
    /// [`DissectorView::dissect_with`] call (empty before the first one and
    /// after a frame that is not a TCP segment).
    #[must_use]
    pub fn events(&self) -> &Events {
        &self.st.events
    }

    /// Expiry work before a segment. `expire_due` is false when the walk
    /// would only find heads that have not timed out (to within the LRU
    /// grace period, [`DissectorConfig::lru_grace`]): most packets skip it,
    /// with the check inlined and no call.
    #[inline(always)]
    fn expire(&mut self, now: u64, ev: &mut Events, on_gone: &mut impl FnMut(Gone)) {
        let timeouts = &self.st.config.timeouts;
        if self.subflows.expire_due(now, timeouts) || self.conns.expire_due(now, timeouts) {
            self.expire_walk(now, ev, on_gone);
        }
    }

    #[inline(never)]
    fn expire_walk(&mut self, now: u64, ev: &mut Events, on_gone: &mut impl FnMut(Gone)) {
        let work = self.st.config.expire_work;
        let timeouts = self.st.config.timeouts;
        let stats = &mut self.st.stats;
        if self.subflows.expire_due(now, &timeouts) {
            let an = gate_ref(self.sub_an);
            self.subflows.expire(now, &timeouts, work, |r| {
                stats.subflows_expired = stats.subflows_expired.wrapping_add(1);
                gone_subflow(r, RemovalCause::Idle, an, ev, on_gone);
            });
        }
        if self.conns.expire_due(now, &timeouts) {
            let tokens = &mut self.tokens;
            let an = gate_ref(self.conn_an);
            self.conns.expire(now, &timeouts, work, |r| {
                stats.connections_expired = stats.connections_expired.wrapping_add(1);
                gone_conn(r, RemovalCause::Idle, an, tokens, ev, on_gone);
            });
        }
    }

    /// Port reuse: a SYN (no ACK) from `dir` with sequence number `seq` on
    /// subflow `id`, which has closed or been reset, and is not its own SYN
    /// again (the same client, the same ISN), starts a new subflow: the old
    /// one is removed and reported (cause [`RemovalCause::Reused`]).
    /// Returns whether it was.
    #[cold]
    #[inline(never)]
    fn reuse(
        &mut self,
        id: SlotId,
        dir: Direction,
        seq: u32,
        ev: &mut Events,
        on_gone: &mut impl FnMut(Gone),
    ) -> bool {
        let Some(old) = self.subflows.get(id) else {
            return false;
        };
        let ended = matches!(
            old.state(),
            SubflowState::Closed | SubflowState::Reset | SubflowState::ResetInHandshake
        );
        let own_syn = old.role(dir) == Role::C2s && old.isn(Role::C2s) == Some(seq);
        if !ended || own_syn {
            return false;
        }
        let Some(r) = self.subflows.take(id) else {
            return false;
        };
        let stats = &mut self.st.stats;
        stats.subflows_reused = stats.subflows_reused.wrapping_add(1);
        gone_subflow(r, RemovalCause::Reused, self.sub_an, ev, on_gone);
        true
    }

    // Private hot path: its inputs are passed apart rather than bundled in
    // a struct built per packet.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn segment(
        &mut self,
        frame: &Frame<'_>,
        tcp: &TcpPacket<&[u8]>,
        now: u64,
        out: &mut Summary,
        ev: &mut Events,
        on_gone: &mut impl FnMut(Gone),
        pre: Option<&Flow>,
        check: Option<TcpCheck>,
    ) {
        let mut opts = Opts::default();
        scan(tcp, &mut opts);
        let flags = tcp.flags();
        // On-wire payload length: a capture cut by its snap length still
        // moved the whole segment through sequence space.
        let payload = frame
            .transport_len
            .saturating_sub(u32::try_from(tcp.header_len()).unwrap_or(u32::MAX));
        out.segment = Some(Segment {
            src_port: tcp.src_port(),
            dst_port: tcp.dst_port(),
            seq: tcp.seq_number(),
            ack: tcp.ack_number(),
            flags,
            payload_len: payload,
            mptcp: opts.mptcp,
            option_errors: opts.errors,
        });
        let opt_area: &[u8] = (*tcp)
            .into_inner()
            .get(crate::wire::tcp::HEADER_LEN..tcp.header_len())
            .unwrap_or(&[]);
        let header_len = u32::try_from(tcp.header_len()).unwrap_or(u32::MAX);
        let wire_payload = frame.transport_len.saturating_sub(header_len);
        // The TCP checksum verdict (only of a whole, unfragmented segment);
        // the payload's sum comes with it, for the DSS checksum over the
        // same bytes.
        let tcp_ok = check.map(|c| c.valid);
        let payload_sum = check.and_then(|c| c.payload_sum);
        let stats = &mut self.st.stats;
        if tcp_ok == Some(false) {
            stats.tcp_checksum_bad = stats.tcp_checksum_bad.wrapping_add(1);
        }
        if opts.mptcp {
            stats.mptcp = stats.mptcp.wrapping_add(1);
        }
        stats.option_errors = stats.option_errors.wrapping_add(u64::from(opts.errors));
        let (key, dir, hash) = match pre {
            Some(&flow) => flow,
            None => {
                let (key, dir) =
                    FlowKey::new(frame.src(), tcp.src_port(), frame.dst(), tcp.dst_port());
                (key, dir, self.subflows.hash_of(&key))
            }
        };
        out.dir = Some(dir);
        let syn = flags.contains(TcpFlags::SYN);
        let ackf = flags.contains(TcpFlags::ACK);
        let mut found = self.subflows.find_hashed(&key, hash);
        if let (Some(id), true) = (found, syn && !ackf) {
            if self.reuse(id, dir, tcp.seq_number(), ev, on_gone) {
                found = None;
            }
        }
        let (sid, created) = match found {
            Some(id) => (id, false),
            None => {
                let both_keys = opts
                    .capable
                    .is_some_and(|c| c.sender_key.is_some() && c.receiver_key.is_some());
                let create = if syn && !ackf {
                    opts.capable.is_some() || matches!(opts.join, Some(MpJoin::Syn { .. }))
                } else {
                    !syn && both_keys
                };
                if !create {
                    let stats = &mut self.st.stats;
                    stats.untracked = stats.untracked.wrapping_add(1);
                    return;
                }
                let kind = if opts.join.is_some() {
                    SubflowKind::Join
                } else {
                    SubflowKind::Initial
                };
                let mut sub = Subflow::new(dir, kind, now);
                let class = if syn {
                    EvictClass::Embryonic
                } else {
                    // Third ACK without its SYN: the ISNs are implied by it;
                    // no handshake RTT can be measured.
                    sub.set_isn(Role::C2s, tcp.seq_number().wrapping_sub(1));
                    sub.set_isn(Role::S2c, tcp.ack_number().wrapping_sub(1));
                    sub.set_state(SubflowState::SynAckSeen);
                    sub.set_syn_unseen();
                    EvictClass::Embryonic
                };
                let policy = self.st.config.subflow_policy;
                match self.subflows.insert(key, sub, class, now, policy) {
                    Ok(ins) => {
                        let stats = &mut self.st.stats;
                        stats.subflows = stats.subflows.wrapping_add(1);
                        if let Some(r) = ins.evicted {
                            stats.subflows_evicted = stats.subflows_evicted.wrapping_add(1);
                            gone_subflow(r, RemovalCause::Evicted, self.sub_an, ev, on_gone);
                        }
                        (ins.id, true)
                    }
                    Err(InsertError::Exists(id, _, _)) => (id, false),
                    Err(InsertError::Rejected(..)) => {
                        let stats = &mut self.st.stats;
                        stats.table_full = stats.table_full.wrapping_add(1);
                        stats.untracked = stats.untracked.wrapping_add(1);
                        ev.push(Event::TableFull {
                            which: TableKind::Subflow,
                        });
                        return;
                    }
                }
            }
        };
        let Some(mut sub) = self.subflows.get(sid).copied() else {
            return;
        };
        let role = sub.role(dir);
        let p = Pkt {
            now,
            sid,
            role,
            seq: tcp.seq_number(),
            ack: tcp.ack_number(),
            payload,
            rst: flags.contains(TcpFlags::RST),
        };
        out.subflow = Some(SubflowId(sid));
        out.role = Some(role);
        let ai = sid.index() as usize;
        if created {
            if let Some(a) = gate(self.sub_an).get_mut(ai) {
                *a = SubflowAnalysis::new();
            }
        }
        let mut new_mirror = MirrorEvidence(0);
        let mut new_strip = StripEvidence(0);

        // The connection this subflow claims (stale ids read as none).
        let mut cid = sub.claimed_conn().filter(|&c| self.conns.contains(c));

        // --- Handshake ---
        if syn && !ackf {
            // A SYN with another ISN on a subflow past its SYN (a stray or
            // spoofed segment; port reuse of an ended one started a new
            // subflow above) must not move its sequence space.
            if role == Role::C2s && sub.state() == SubflowState::SynSeen {
                sub.set_isn(Role::C2s, p.seq);
            }
            if created {
                if let Some(a) = gate(self.sub_an).get_mut(ai) {
                    let nonce = match opts.join {
                        Some(MpJoin::Syn { nonce, .. }) => Some(nonce),
                        _ => None,
                    };
                    a.handshake.on_syn(opt_area, opts.capable.is_some(), nonce);
                }
                self.on_syn(&mut sub, &opts, &p, ev);
            }
        } else if syn && ackf {
            // The first SYN/ACK only: a retransmission adds nothing, and a
            // stray one (another ISN, other options) on a subflow past its
            // handshake must neither move its sequence space nor be taken
            // for a stripped MP_CAPABLE.
            if role == Role::S2c && sub.state() == SubflowState::SynSeen {
                sub.set_isn(Role::S2c, p.seq);
                sub.set_state(SubflowState::SynAckSeen);
                sub.set_rtt(now, false);
                if let Some(a) = gate(self.sub_an).get_mut(ai) {
                    let sa = SynAck {
                        options: opt_area,
                        capable: opts
                            .capable
                            .map(|c| (c.version == Version::V0, c.sender_key)),
                        join: match opts.join {
                            Some(MpJoin::Syn { nonce, .. }) => Some((true, nonce)),
                            Some(MpJoin::SynAck { nonce, .. }) => Some((false, nonce)),
                            _ => None,
                        },
                    };
                    let (m, st) = a.handshake.on_synack(&sa, sub.syn_key());
                    new_mirror = new_mirror.union(m);
                    new_strip = new_strip.union(st);
                }
                match sub.kind() {
                    SubflowKind::Initial => match opts.capable {
                        // The client's own key back: mirrored, not an
                        // MPTCP server (the mirror analysis has the
                        // evidence); plain TCP from here, no connection.
                        Some(c) if c.sender_key.is_some() && c.sender_key == sub.syn_key() => {
                            mirrored_key(&mut sub, sid, ev);
                        }
                        Some(c) => {
                            sub.set_v1(c.version == Version::V1);
                            if cid.is_none() {
                                if let Some(server_key) = c.sender_key {
                                    let client_key = sub.syn_key();
                                    self.create_conn(
                                        key, &mut sub, c, server_key, client_key, &p, ev, on_gone,
                                    );
                                }
                            }
                        }
                        None => {
                            sub.set_kind(SubflowKind::Plain);
                            ev.push(Event::Fallback {
                                subflow: SubflowId(sid),
                                conn: None,
                                why: FallbackReason::MpCapableNotEchoed,
                            });
                        }
                    },
                    SubflowKind::Join => {
                        if let (
                            Some(MpJoin::SynAck {
                                trunc_hmac, nonce, ..
                            }),
                            Some(c),
                        ) = (opts.join, cid)
                        {
                            sub.set_listener_nonce(nonce);
                            self.join_synack(&mut sub, c, trunc_hmac, &p, ev);
                        }
                    }
                    SubflowKind::Plain => {}
                }
            }
        } else if ackf
            && role == Role::C2s
            && matches!(
                sub.state(),
                SubflowState::SynSeen | SubflowState::SynAckSeen
            )
            && !flags.contains(TcpFlags::RST)
        {
            let synack_seen = sub.state() == SubflowState::SynAckSeen;
            // A join waits for the listener's ACK of its third ACK, unless
            // the initiator already sends data (the third ACK was not
            // captured, or was acknowledged out of sight).
            let waits = sub.kind() == SubflowKind::Join && p.payload == 0;
            sub.set_state(if waits {
                SubflowState::ThirdAckSeen
            } else {
                SubflowState::Established
            });
            sub.set_rtt(now, true);
            if sub.isn(Role::S2c).is_none() {
                sub.set_isn(Role::S2c, p.ack.wrapping_sub(1));
            }
            if sub.kind() == SubflowKind::Initial {
                if let Some(a) = gate(self.sub_an).get_mut(ai) {
                    new_strip = new_strip.union(a.handshake.on_third_ack(opts.capable.is_some()));
                }
                if let Some(c) = opts.capable {
                    sub.set_v1(c.version == Version::V1);
                    if let (Some(ck), Some(sk)) = (c.sender_key, c.receiver_key) {
                        match cid {
                            // The client's own key as the server's (the
                            // SYN/ACK not captured): mirrored, as at the
                            // SYN/ACK.
                            None if ck == sk => mirrored_key(&mut sub, sid, ev),
                            None => {
                                cid = self.create_conn(
                                    key,
                                    &mut sub,
                                    c,
                                    sk,
                                    Some(ck),
                                    &p,
                                    ev,
                                    on_gone,
                                );
                            }
                            Some(id) => self.check_keys(id, ck, sk, ev),
                        }
                    }
                }
            }
            if sub.kind() == SubflowKind::Join {
                if let (Some(MpJoin::Ack { hmac, .. }), Some(c)) = (opts.join, cid) {
                    self.join_ack(&mut sub, c, &hmac, synack_seen, &p, ev);
                }
            }
            if !waits {
                if let Some(c) = sub.conn().and_then(|c| self.conns.get_mut(c)) {
                    c.subflows_established = c.subflows_established.saturating_add(1);
                }
            }
        } else if sub.state() == SubflowState::ThirdAckSeen
            && !flags.contains(TcpFlags::RST)
            && (role == Role::S2c || p.payload > 0 || flags.contains(TcpFlags::FIN))
        {
            // The listener acknowledged the join's third ACK (or the
            // initiator sends data or closes, so it did: the listener's
            // ACK was not captured).
            sub.set_state(SubflowState::Established);
            if let Some(c) = sub.conn().and_then(|c| self.conns.get_mut(c)) {
                c.subflows_established = c.subflows_established.saturating_add(1);
            }
        }

        // --- Segment accounting ---
        let (new_start, new_end) = if sub.isn(role).is_some() && !syn {
            sub.record_segment(role, p.seq, p.payload)
        } else {
            (0, 0)
        };

        // --- Connection-level signals ---
        let linked = sub.conn().filter(|&c| self.conns.contains(c));
        let mut sig = Signals::default();
        if let Some(c) = linked {
            sig = self.conn_signals(&mut sub, c, &opts, &p, (new_start, new_end), ev);
        }

        // --- Analysis: TCP checksum, DSS validation, MP_FAIL correlation ---
        if tcp_ok == Some(false) {
            if let Some(a) = gate(self.sub_an).get_mut(ai) {
                a.tcp_checksum_errors = a.tcp_checksum_errors.saturating_add(1);
            }
            if let Some(ca) = linked.and_then(|c| gate(self.conn_an).get_mut(c.index() as usize)) {
                ca.tcp_checksum_errors = ca.tcp_checksum_errors.saturating_add(1);
            }
            ev.push(Event::TcpChecksumBad {
                subflow: SubflowId(sid),
            });
        }
        if let (Some((tsval, tsecr)), false) = (opts.ts, tcp_ok == Some(false)) {
            if let Some(a) = gate(self.sub_an).get_mut(ai) {
                let fin = flags.contains(TcpFlags::FIN);
                a.ts.on_segment(
                    &TsSegment {
                        role,
                        tsval,
                        tsecr,
                        ack: ackf,
                        timed: wire_payload > 0 || syn || fin,
                    },
                    now,
                );
            }
        }
        if sig.data_without_dss {
            if let Some(a) = gate(self.sub_an).get_mut(ai) {
                new_strip = new_strip.union(a.handshake.add_strip(StripEvidence::FIRST_DATA));
            }
        }
        // DSS mapping validation, for a subflow with analysis memory (none:
        // nothing to build or report).
        // A segment with a bad TCP checksum brings no bytes (the receiver
        // drops it; its retransmission fills in), and only a mapping that
        // carries no checksum, whose verdict (not negotiated, missing)
        // does not depend on the bytes: a mapping with a checksum could
        // carry a corrupted checksum, length or DSN, which the intact
        // retransmission would then be checked against — a false
        // `Invalid` (found by review in the nineteenth session).
        let bad = tcp_ok == Some(false);
        let feed = !bad || sig.mapping.is_some_and(|m| m.checksum.is_none());
        let dss_dir = match (linked, sub.isn(role), syn, feed) {
            (Some(c), Some(isn), false, true) => gate(self.sub_an)
                .get_mut(ai)
                .and_then(|a| a.dss.get_mut(role.index()))
                .map(|d| (c, isn, d)),
            _ => None,
        };
        if let Some((c, isn, d)) = dss_dir {
            let seg = DssSegment {
                rel_seq: p.seq.wrapping_sub(isn),
                payload: if bad { &[] } else { tcp.payload() },
                payload_sum: if bad { None } else { payload_sum },
                wire_len: if bad { 0 } else { wire_payload },
                mapping: sig.mapping,
                negotiated: sig.negotiated,
                tcp_verified: tcp_ok == Some(true),
            };
            let done = d.on_segment(&seg);
            for f in done.into_iter().flatten() {
                self.mapping_verdict(ai, c, sub.conn_role(role), sid, f, ev);
            }
        }
        if let (Some(c), Some(dsn)) = (linked, sig.fail) {
            let crole = sub.conn_role(role);
            let id = self.conns.get(c).map(|conn| conn_id(c, conn));
            if let (Some(ca), Some(id)) = (gate(self.conn_an).get_mut(c.index() as usize), id) {
                let result = ca.on_mp_fail(crole, dsn);
                ev.push(Event::MpFailMatched {
                    conn: id,
                    dsn,
                    result,
                });
            }
        }
        if let Some(r) = opts.tcprst {
            ev.push(Event::TcpRst {
                subflow: SubflowId(sid),
                reason: r.reason_code(),
            });
        }

        // --- Teardown ---
        if flags.contains(TcpFlags::RST) {
            // A RST after FIN both ways (Linux answers late data so)
            // changes nothing: the subflow already closed.
            let next = match sub.state() {
                SubflowState::Reset | SubflowState::ResetInHandshake | SubflowState::Closed => None,
                SubflowState::SynSeen | SubflowState::SynAckSeen | SubflowState::ThirdAckSeen => {
                    handshake_rst_acceptable(&sub, role, p.seq, ackf.then_some(p.ack))
                        .then_some(SubflowState::ResetInHandshake)
                }
                SubflowState::Established | SubflowState::FinC2s | SubflowState::FinS2c => {
                    Some(SubflowState::Reset)
                }
            };
            if let Some(n) = next {
                sub.set_state(n);
                ev.push(Event::SubflowClosed {
                    subflow: SubflowId(sid),
                    end: SubflowEnd::Rst,
                });
                if let Some(c) = linked.and_then(|c| self.conns.get_mut(c)) {
                    c.subflows_reset = c.subflows_reset.saturating_add(1);
                }
            }
        } else if flags.contains(TcpFlags::FIN) {
            let next = match (sub.state(), role) {
                (SubflowState::FinS2c, Role::C2s) | (SubflowState::FinC2s, Role::S2c) => {
                    Some(SubflowState::Closed)
                }
                (SubflowState::Established, Role::C2s) => Some(SubflowState::FinC2s),
                (SubflowState::Established, Role::S2c) => Some(SubflowState::FinS2c),
                // A FIN before the handshake completed (a SYN carrying FIN,
                // a listener closing in SYN-RECEIVED) is not recorded: the
                // subflow stays in its handshake, not established.
                (
                    SubflowState::SynSeen
                    | SubflowState::SynAckSeen
                    | SubflowState::ThirdAckSeen
                    | SubflowState::Closed
                    | SubflowState::Reset
                    | SubflowState::ResetInHandshake
                    | SubflowState::FinC2s
                    | SubflowState::FinS2c,
                    _,
                ) => None,
            };
            if let Some(n) = next {
                sub.set_state(n);
                if n == SubflowState::Closed {
                    ev.push(Event::SubflowClosed {
                        subflow: SubflowId(sid),
                        end: SubflowEnd::Fin,
                    });
                    if let Some(c) = linked.and_then(|c| self.conns.get_mut(c)) {
                        c.subflows_closed = c.subflows_closed.saturating_add(1);
                    }
                }
            }
        }

        // --- Middlebox evidence (after a connection may have been created) ---
        if !new_mirror.is_empty() || !new_strip.is_empty() {
            let c = sub.conn().filter(|&c| self.conns.contains(c));
            let id = c.and_then(|c| self.conns.get(c).map(|conn| conn_id(c, conn)));
            if let Some(ca) = c.and_then(|c| gate(self.conn_an).get_mut(c.index() as usize)) {
                ca.mirror = ca.mirror.union(new_mirror);
                ca.strip = ca.strip.union(new_strip);
            }
            if !new_mirror.is_empty() {
                ev.push(Event::Mirrored {
                    subflow: SubflowId(sid),
                    conn: id,
                    evidence: new_mirror,
                });
            }
            if !new_strip.is_empty() {
                ev.push(Event::Stripped {
                    subflow: SubflowId(sid),
                    conn: id,
                    evidence: new_strip,
                });
            }
        }

        // --- Write back, classes ---
        if let Some(s) = self.subflows.get_mut(sid) {
            *s = sub;
        }
        // One call, one liveness check: a new class or the same one (touch).
        self.subflows.set_class(sid, sub_class(&sub), now);
        // A join unlinked by this segment (its HMAC failed) may have ended
        // the connection (every other subflow closed): its class follows,
        // without counting the join's segment as the connection's activity.
        if let (None, Some(c)) = (sub.conn(), cid) {
            if let Some(class) = self.conns.get(c).map(conn_class) {
                if self.conns.class(c) != Some(class) {
                    self.conns.set_class(c, class, now);
                }
            }
        }
        if let Some(c) = sub.conn() {
            if let Some(conn) = self.conns.get_mut(c) {
                // DATA_FIN both ways and MP_FASTCLOSE are final; every
                // subflow reset is not (a join may still link).
                if conn.end == ConnEnd::Open
                    && matches!(conn.current_end(), ConnEnd::DataFin | ConnEnd::Fastclose)
                {
                    conn.end = conn.current_end();
                }
                let class = conn_class(conn);
                out.conn = Some(conn_id(c, conn));
                out.role = Some(sub.conn_role(role));
                self.conns.set_class(c, class, now);
            }
        }
    }

    fn on_syn(&mut self, sub: &mut Subflow, opts: &Opts<'_>, p: &Pkt, ev: &mut Events) {
        if let Some(c) = opts.capable {
            sub.set_v1(c.version == Version::V1);
            sub.set_syn_capable_flags(c.flags);
            if c.version == Version::V0 {
                if let Some(k) = c.sender_key {
                    sub.set_syn_key(k);
                }
            }
        }
        if let Some(MpJoin::Syn {
            backup,
            addr_id,
            token,
            nonce,
            ..
        }) = opts.join
        {
            sub.set_initiator_nonce(nonce);
            sub.set_addr_id(addr_id);
            sub.set_backup(backup);
            let (found, listener_is_client) = match self.conns.find(&token) {
                Some(c) => (Some(c), false),
                None => (
                    self.tokens
                        .find(&token)
                        .and_then(|a| self.tokens.get(a).copied())
                        .filter(|&c| self.conns.contains(c)),
                    true,
                ),
            };
            match found {
                Some(c) => {
                    sub.set_conn(c, false);
                    sub.set_listener_is_conn_client(listener_is_client);
                    if let Some(conn) = self.conns.get_mut(c) {
                        sub.set_v1(conn.version == Version::V1);
                        conn.note_join_syn(p.now);
                    }
                }
                None => {
                    let stats = &mut self.st.stats;
                    stats.join_unknown_token = stats.join_unknown_token.wrapping_add(1);
                    ev.push(Event::JoinUnknownToken {
                        subflow: SubflowId(p.sid),
                        token,
                    });
                }
            }
        }
    }

    /// `(initiator key, listener key)` of a join on connection `conn`.
    fn join_keys(sub: &Subflow, conn: &Connection) -> Option<(u64, u64)> {
        let (init, listen) = if sub.listener_is_conn_client() {
            (Some(conn.server_key), conn.client_key())
        } else {
            (conn.client_key(), Some(conn.server_key))
        };
        Some((init?, listen?))
    }

    fn join_synack(&mut self, sub: &mut Subflow, c: SlotId, trunc: u64, p: &Pkt, ev: &mut Events) {
        let Some(conn) = self.conns.get(c) else {
            return;
        };
        let (ni, nl) = sub.nonces();
        let verdict = match Self::join_keys(sub, conn) {
            Some((ki, kl)) => verify::join_synack(conn.version, kl, ki, nl, ni, trunc),
            None => HmacVerdict::Unverifiable,
        };
        self.join_verdict(sub, c, verdict, p, ev);
    }

    fn join_ack(
        &mut self,
        sub: &mut Subflow,
        c: SlotId,
        hmac: &[u8; 20],
        synack_seen: bool,
        p: &Pkt,
        ev: &mut Events,
    ) {
        let Some(conn) = self.conns.get(c) else {
            return;
        };
        let (ni, nl) = sub.nonces();
        // The listener's nonce is known only if the SYN/ACK was seen.
        let verdict = match (Self::join_keys(sub, conn), synack_seen) {
            (Some((ki, kl)), true) => verify::join_ack(conn.version, ki, kl, ni, nl, hmac),
            _ => HmacVerdict::Unverifiable,
        };
        // Combine with the SYN/ACK's verdict: invalid wins, then valid.
        let combined = match (sub.hmac(), verdict) {
            (Some(HmacVerdict::Invalid), _) | (_, HmacVerdict::Invalid) => HmacVerdict::Invalid,
            (Some(HmacVerdict::Valid), _) | (_, HmacVerdict::Valid) => HmacVerdict::Valid,
            _ => HmacVerdict::Unverifiable,
        };
        self.join_verdict(sub, c, combined, p, ev);
    }

    /// Applies a join HMAC verdict: link (first time) or reject.
    fn join_verdict(
        &mut self,
        sub: &mut Subflow,
        c: SlotId,
        v: HmacVerdict,
        p: &Pkt,
        ev: &mut Events,
    ) {
        let was_linked = sub.conn().is_some();
        let was_rejected = sub.hmac() == Some(HmacVerdict::Invalid);
        sub.set_hmac(v);
        let Some(conn) = self.conns.get_mut(c) else {
            return;
        };
        let id = conn_id(c, conn);
        if v == HmacVerdict::Invalid {
            if was_linked {
                sub.unlink();
                conn.subflows_linked = conn.subflows_linked.saturating_sub(1);
            }
            if !was_rejected {
                conn.joins_rejected = conn.joins_rejected.saturating_add(1);
                let stats = &mut self.st.stats;
                stats.join_rejected = stats.join_rejected.wrapping_add(1);
                ev.push(Event::JoinRejected {
                    conn: id,
                    subflow: SubflowId(p.sid),
                    reason: JoinRejectReason::InvalidHmac,
                });
            }
        } else if !was_linked && !was_rejected {
            sub.set_conn(c, true);
            conn.subflows_linked = conn.subflows_linked.saturating_add(1);
            ev.push(Event::SubflowJoined {
                conn: id,
                subflow: SubflowId(p.sid),
                hmac: v,
            });
        }
    }

    /// Links a re-created initial subflow back to its connection `c` (see
    /// [`Self::create_conn`]). The connection still counts the subflow as
    /// linked (a removal does not uncount it), so no count changes.
    #[cold]
    #[inline(never)]
    fn relink_initial(
        &mut self,
        c: SlotId,
        sub: &mut Subflow,
        server_key: u64,
        client_key: Option<u64>,
        ev: &mut Events,
    ) -> SlotId {
        sub.set_conn(c, true);
        if let Some(ck) = client_key {
            self.check_keys(c, ck, server_key, ev);
        }
        c
    }

    fn check_keys(&mut self, c: SlotId, client_key: u64, server_key: u64, ev: &mut Events) {
        let Some(conn) = self.conns.get(c) else {
            return;
        };
        let id = conn_id(c, conn);
        let mut mismatch = conn.server_key != server_key;
        match conn.client_key() {
            Some(k) => mismatch |= k != client_key,
            None => {
                let version = conn.version;
                let kh = crypto::key_hash(version, client_key);
                if self.alias(c, kh.token, ev) {
                    if let Some(conn) = self.conns.get_mut(c) {
                        conn.set_client_key(client_key, kh.token, kh.idsn);
                    }
                }
            }
        }
        if mismatch {
            ev.push(Event::KeyMismatch { conn: id });
        }
    }

    /// Makes `token` (a client token) an alias of connection `c`; `false`
    /// (and an event) on a collision.
    fn alias(&mut self, c: SlotId, token: u32, ev: &mut Events) -> bool {
        let collides = self.conns.find(&token).is_some_and(|x| x != c);
        if !collides {
            match self
                .tokens
                .insert(token, c, EvictClass::Established, 0, EvictPolicy::ANY)
            {
                Ok(ins) => {
                    // The alias table is as large as the connection table
                    // and aliases leave with their connection, so this only
                    // drops aliases of connections already gone.
                    let _ = ins.evicted;
                    return true;
                }
                Err(InsertError::Exists(a, _, _)) => {
                    let stale = self.tokens.get(a).is_some_and(|&x| !self.conns.contains(x));
                    if stale {
                        if let Some(v) = self.tokens.get_mut(a) {
                            *v = c;
                        }
                        return true;
                    }
                    if self.tokens.get(a) == Some(&c) {
                        return true;
                    }
                }
                Err(InsertError::Rejected(..)) => {}
            }
        }
        let stats = &mut self.st.stats;
        stats.token_collisions = stats.token_collisions.wrapping_add(1);
        ev.push(Event::TokenCollision { token });
        false
    }

    #[allow(clippy::too_many_arguments)]
    fn create_conn(
        &mut self,
        key: FlowKey,
        sub: &mut Subflow,
        cap: MpCapable,
        server_key: u64,
        client_key: Option<u64>,
        p: &Pkt,
        ev: &mut Events,
        on_gone: &mut impl FnMut(Gone),
    ) -> Option<SlotId> {
        let version = cap.version;
        let kh = crypto::key_hash(version, server_key);
        // Its own connection: the initial subflow left the table (evicted
        // between its SYN/ACK and third ACK, say) while the connection
        // stayed, and its third ACK (or a retransmitted SYN and SYN/ACK)
        // made it again. Not a collision: the subflow is linked back.
        if let Some(x) = self.conns.find(&kh.token) {
            // Only while nothing was counted for the old subflow (no
            // established, reset or closed subflow; still open), and in
            // the same direction: a later connection reusing the ports and
            // keys (a capture merged with itself), or a subflow evicted
            // after it was counted established, stays a collision.
            let same = self.conns.get(x).is_some_and(|c| {
                c.server_key == server_key
                    && c.initial == key
                    && c.client_dir == sub.client_dir()
                    && c.subflows_established == 0
                    && c.subflows_reset == 0
                    && c.subflows_closed == 0
                    && c.end_so_far() == ConnEnd::Open
            });
            if same {
                return Some(self.relink_initial(x, sub, server_key, client_key, ev));
            }
        }
        if self.conns.find(&kh.token).is_some()
            || self
                .tokens
                .find(&kh.token)
                .is_some_and(|a| self.tokens.get(a).is_some_and(|&x| self.conns.contains(x)))
        {
            let stats = &mut self.st.stats;
            stats.token_collisions = stats.token_collisions.wrapping_add(1);
            ev.push(Event::TokenCollision { token: kh.token });
            return None;
        }
        let serial = self.st.next_serial;
        let client_dir = sub.client_dir();
        let mut conn = Connection::new(
            version, serial, key, client_dir, server_key, kh.token, kh.idsn,
        );
        // Checksums if the SYN or the SYN/ACK (or the third ACK, when it
        // creates the connection) asks for them (RFC 8684 §3.1).
        let syn_asked = sub
            .syn_capable_flags()
            .is_some_and(|f| f & MpCapable::FLAG_CHECKSUM != 0);
        conn.checksum = cap.checksum_required() || syn_asked;
        conn.subflows_linked = 1;
        let policy = self.st.config.conn_policy;
        let id = match self
            .conns
            .insert(kh.token, conn, EvictClass::Embryonic, p.now, policy)
        {
            Ok(ins) => {
                if let Some(r) = ins.evicted {
                    let stats = &mut self.st.stats;
                    stats.connections_evicted = stats.connections_evicted.wrapping_add(1);
                    gone_conn(
                        r,
                        RemovalCause::Evicted,
                        self.conn_an,
                        &mut self.tokens,
                        ev,
                        on_gone,
                    );
                }
                ins.id
            }
            Err(_) => {
                let stats = &mut self.st.stats;
                stats.table_full = stats.table_full.wrapping_add(1);
                ev.push(Event::TableFull {
                    which: TableKind::Connection,
                });
                return None;
            }
        };
        self.st.next_serial = serial.wrapping_add(1);
        if let Some(a) = gate(self.conn_an).get_mut(id.index() as usize) {
            *a = ConnAnalysis::new();
        }
        let stats = &mut self.st.stats;
        stats.connections = stats.connections.wrapping_add(1);
        sub.set_conn(id, true);
        ev.push(Event::NewConnection {
            conn: ConnId { slot: id, serial },
        });
        if let Some(ck) = client_key {
            let ckh = crypto::key_hash(version, ck);
            if self.alias(id, ckh.token, ev) {
                if let Some(c) = self.conns.get_mut(id) {
                    c.set_client_key(ck, ckh.token, ckh.idsn);
                }
            }
        }
        Some(id)
    }

    fn conn_signals(
        &mut self,
        sub: &mut Subflow,
        c: SlotId,
        opts: &Opts<'_>,
        p: &Pkt,
        new: (u32, u32),
        ev: &mut Events,
    ) -> Signals {
        let mut sig = Signals::default();
        let crole = sub.conn_role(p.role);
        let isn = sub.isn(p.role);
        let Some(conn) = self.conns.get_mut(c) else {
            return sig;
        };
        let id = conn_id(c, conn);
        let sid = SubflowId(p.sid);
        if let Some(cap) = opts.capable {
            conn.checksum |= cap.checksum_required();
            // v1 MP_CAPABLE with data: DSN = IDSN + 1, subflow seq 1.
            if let (Some(len), Role::C2s) = (cap.data_len, crole) {
                sub.set_dss_seen();
                if let Some(idsn) = conn.idsn_of(crole) {
                    map_segment(conn, crole, idsn.wrapping_add(1), 1, len, isn, p, new);
                    sig.mapping = Some(MappingIn {
                        dsn: idsn.wrapping_add(1),
                        ssn: 1,
                        data_len: len,
                        checksum: cap.checksum,
                        data_fin: false,
                        dsn_known: true,
                    });
                }
            }
        }
        if let Some(dss) = opts.dss {
            sub.set_dss_seen();
            if let Some(m) = dss.mapping() {
                let (dsn, dsn_known) = if m.dsn_wide {
                    conn.note_wide_dsn(crole, m.dsn);
                    (m.dsn, true)
                } else {
                    let reference = if conn.has_dsn(crole) {
                        conn.dir(crole).dsn_hi
                    } else {
                        conn.idsn_of(crole).unwrap_or(m.dsn)
                    };
                    (
                        expand_dsn(m.dsn as u32, reference),
                        conn.dsn_upper_known(crole),
                    )
                };
                sig.mapping = Some(MappingIn {
                    dsn,
                    ssn: m.ssn,
                    data_len: m.data_len,
                    checksum: m.checksum,
                    data_fin: dss.data_fin(),
                    dsn_known,
                });
                if m.data_len == 0 {
                    if !conn.fallback {
                        conn.fallback = true;
                        ev.push(Event::Fallback {
                            subflow: sid,
                            conn: Some(id),
                            why: FallbackReason::InfiniteMapping,
                        });
                    }
                } else {
                    map_segment(conn, crole, dsn, m.ssn, m.data_len, isn, p, new);
                }
                if dss.data_fin() {
                    let fin = dsn
                        .wrapping_add(u64::from(m.data_len))
                        .wrapping_sub(u64::from(m.data_len > 0));
                    if conn.set_data_fin(crole, fin) {
                        ev.push(Event::DataFin {
                            conn: id,
                            sender: crole,
                            dsn: fin,
                        });
                    }
                }
            }
        }
        // RFC 8684 §3.7: a sender's first data without a DSS, when it never
        // sent a mapping on the connection, means the connection fell back
        // to TCP (a middlebox stripped the option, or the sender fell
        // back). Per direction: the other end's data, or DSS options that
        // only acknowledge, do not vouch for this sender.
        if p.payload > 0 && !sub.data_seen() {
            sub.set_data_seen();
        }
        // First data: new sequence space from the sender's first byte (not
        // a keepalive or window probe, which resends a byte, nor a RST).
        let first_from_sender = !p.rst
            && new.0 != new.1
            && sub
                .isn(p.role)
                .is_some_and(|isn| new.0 == isn.wrapping_add(1));
        if first_from_sender {
            let has_data_cap = opts.capable.is_some_and(|c| c.data_len.is_some());
            if conn.version == Version::V1
                && opts.dss.is_none()
                && !has_data_cap
                && !conn.has_dsn(crole)
                && !conn.fallback
            {
                conn.fallback = true;
                sig.data_without_dss = true;
                ev.push(Event::Fallback {
                    subflow: sid,
                    conn: Some(id),
                    why: FallbackReason::DataWithoutDss,
                });
            }
        }
        if let Some(a) = opts.add_addr {
            let echo = a.echo();
            let hmac = match (
                a.form,
                a.hmac,
                conn.key_of(crole),
                conn.key_of(crole.reversed()),
            ) {
                (AddAddrForm::V1 { echo: false }, Some(h), Some(ks), Some(kr)) => {
                    verify::add_addr(ks, kr, &a, h)
                }
                _ => HmacVerdict::Unverifiable,
            };
            if !echo {
                conn.add_addr(crole, a.addr_id, a.ip, a.port, hmac);
            }
            ev.push(Event::AddrAdvertised {
                conn: id,
                sender: crole,
                addr_id: a.addr_id,
                ip: a.ip,
                port: a.port,
                class: classify(a.ip),
                hmac,
                echo,
            });
        }
        if let Some(r) = opts.remove {
            for &aid in r.ids {
                conn.remove_addr(crole, aid);
                ev.push(Event::AddrRemoved {
                    conn: id,
                    sender: crole,
                    addr_id: aid,
                });
            }
        }
        if let Some(pr) = opts.prio {
            conn.mp_prio = conn.mp_prio.saturating_add(1);
            // v1 (and v0 without an id): applies to this subflow. The v0
            // form names one of the *sender's* address ids (RFC 6824
            // §3.3.8; the multipath-tcp.org kernel matches it against the
            // receiver's remote id). This subflow is updated when that is
            // its sender's id here: the initiator's id from its MP_JOIN
            // SYN, or 0 on the initial subflow. The listener's id on a
            // join is not kept, so its AddrID form changes nothing here;
            // other subflows of the address are not searched (bounded
            // work).
            let sender_id = if p.role == Role::C2s {
                Some(sub.addr_id())
            } else if sub.kind() == SubflowKind::Join {
                None
            } else {
                Some(0)
            };
            if pr.addr_id.is_none_or(|a| Some(a) == sender_id) {
                sub.set_backup(pr.backup);
            }
            ev.push(Event::PriorityChanged {
                conn: id,
                subflow: sid,
                backup: pr.backup,
                addr_id: pr.addr_id,
            });
        }
        if let Some(f) = opts.fail {
            conn.mp_fail = conn.mp_fail.saturating_add(1);
            conn.mp_fail_dsn = f.dsn;
            sig.fail = Some(f.dsn);
            ev.push(Event::MpFail {
                conn: id,
                dsn: f.dsn,
            });
        }
        // RFC 8684 §3.5: the receiver acts on an MP_FASTCLOSE only if it
        // carries the receiver's key (a v1 client key the capture never
        // showed accepts any); one with another key is ignored, as Linux
        // ignores it.
        if let Some(key) = opts.fastclose {
            let receiver_key = conn.key_of(crole.reversed());
            if !conn.fastclose && receiver_key.is_none_or(|k| k == key) {
                conn.fastclose = true;
                ev.push(Event::Fastclose { conn: id });
            }
        }
        sig.negotiated = conn.checksum;
        sig
    }

    /// Counts a mapping verdict and reports it.
    fn mapping_verdict(
        &mut self,
        ai: usize,
        c: SlotId,
        crole: Role,
        sid: SlotId,
        f: Finished,
        ev: &mut Events,
    ) {
        if let Some(a) = gate(self.sub_an).get_mut(ai) {
            a.counters.count(f.verdict);
        }
        let stats = &mut self.st.stats;
        let quiet = match f.verdict {
            DssVerdict::Valid => {
                stats.dss_valid = stats.dss_valid.wrapping_add(1);
                true
            }
            DssVerdict::Invalid => {
                stats.dss_invalid = stats.dss_invalid.wrapping_add(1);
                false
            }
            DssVerdict::Unverifiable(UnverifiableReason::NotNegotiated) => {
                stats.dss_not_negotiated = stats.dss_not_negotiated.wrapping_add(1);
                true
            }
            DssVerdict::Unverifiable(_) => {
                stats.dss_unverifiable = stats.dss_unverifiable.wrapping_add(1);
                false
            }
        };
        let Some(conn) = self.conns.get(c) else {
            return;
        };
        let id = conn_id(c, conn);
        if let Some(ca) = gate(self.conn_an).get_mut(c.index() as usize) {
            ca.counters.count(f.verdict);
            match f.verdict {
                DssVerdict::Invalid => ca.note_invalid(crole, f.dsn, f.data_len),
                DssVerdict::Unverifiable(UnverifiableReason::InfiniteMapping) => {
                    ca.note_infinite();
                }
                _ => {}
            }
        }
        if !quiet || self.st.config.dss_all_events {
            ev.push(Event::Mapping {
                conn: id,
                subflow: SubflowId(sid),
                sender: crole,
                dsn: f.dsn,
                data_len: f.data_len,
                verdict: f.verdict,
                tcp_verified: f.tcp_verified,
            });
        }
    }
}

/// What `conn_signals` hands to the analysis.
#[derive(Default)]
struct Signals {
    /// The segment's mapping (DSS or MP_CAPABLE with data), DSN expanded.
    mapping: Option<MappingIn>,
    /// Checksums negotiated on the connection.
    negotiated: bool,
    /// A sender's first payload without DSS, no mapping from it before
    /// (fallback inferred).
    data_without_dss: bool,
    /// An MP_FAIL's DSN.
    fail: Option<u64>,
}

/// DSN-level accounting of one segment covered (at least at its start) by
/// the mapping `dsn`/`ssn`/`len`: reinjection estimate and high-water mark.
#[allow(clippy::too_many_arguments)]
fn map_segment(
    conn: &mut Connection,
    crole: Role,
    dsn: u64,
    ssn: u32,
    len: u16,
    isn: Option<u32>,
    p: &Pkt,
    (new_start, new_end): (u32, u32),
) {
    let Some(isn) = isn else { return };
    if p.payload == 0 {
        return;
    }
    let off = p.seq.wrapping_sub(isn).wrapping_sub(ssn);
    let len = u32::from(len);
    if off >= len {
        return;
    }
    let seg_len = p.payload.min(len.wrapping_sub(off));
    let seg_dsn = dsn.wrapping_add(u64::from(off));
    let seg_end = seg_dsn.wrapping_add(u64::from(seg_len));
    // The new (not retransmitted) part of the segment, clipped to the
    // mapping.
    let new_off = new_start.wrapping_sub(p.seq).min(seg_len);
    let new_len = new_end
        .wrapping_sub(new_start)
        .min(seg_len.saturating_sub(new_off));
    if new_len > 0 && conn.has_dsn(crole) {
        let ns = seg_dsn.wrapping_add(u64::from(new_off));
        let ne = ns.wrapping_add(u64::from(new_len));
        let hi = conn.dir(crole).dsn_hi;
        let overlap = if !after64(ne, hi) {
            u64::from(new_len)
        } else if after64(hi, ns) {
            hi.wrapping_sub(ns)
        } else {
            0
        };
        let d = conn.dir_mut(crole);
        d.reinjected = d.reinjected.wrapping_add(overlap);
    }
    conn.note_dsn_end(crole, seg_end);
}

/// The HMAC checks (MP_JOIN SYN/ACK and third ACK, ADD_ADDR): `Valid` or
/// `Invalid` against the HMAC the keys and nonces seen give; without the
/// `hmac` feature nothing is computed and every verdict is `Unverifiable`.
#[cfg(feature = "hmac")]
mod verify {
    use super::{crypto, AddAddr, AddAddrTruncation, HmacVerdict, Version};

    fn verdict(ok: bool) -> HmacVerdict {
        if ok {
            HmacVerdict::Valid
        } else {
            HmacVerdict::Invalid
        }
    }

    /// The SYN/ACK's truncated HMAC (`trunc`).
    pub(super) fn join_synack(
        v: Version,
        listener_key: u64,
        initiator_key: u64,
        listener_nonce: u32,
        initiator_nonce: u32,
        trunc: u64,
    ) -> HmacVerdict {
        let h = crypto::join_synack_hmac(
            v,
            listener_key,
            initiator_key,
            listener_nonce,
            initiator_nonce,
        );
        verdict(h == trunc)
    }

    /// The third ACK's 160-bit HMAC.
    pub(super) fn join_ack(
        v: Version,
        initiator_key: u64,
        listener_key: u64,
        initiator_nonce: u32,
        listener_nonce: u32,
        hmac: &[u8; 20],
    ) -> HmacVerdict {
        let h = crypto::join_ack_hmac(
            v,
            initiator_key,
            listener_key,
            initiator_nonce,
            listener_nonce,
        );
        verdict(h == *hmac)
    }

    /// An ADD_ADDR's truncated HMAC `h`, with and without its port and in
    /// every truncation Linux kernels used.
    pub(super) fn add_addr(sender_key: u64, receiver_key: u64, a: &AddAddr, h: u64) -> HmacVerdict {
        let mut ports = [Some(a.port), None]
            .into_iter()
            .take(if a.port.is_some() { 2 } else { 1 });
        verdict(ports.any(|port| {
            let port = port.flatten();
            let full = crypto::add_addr_hmac_full(sender_key, receiver_key, a.addr_id, a.ip, port);
            AddAddrTruncation::ALL.iter().any(|t| t.apply(&full) == h)
        }))
    }
}

/// [`verify`] without the `hmac` feature: nothing is computed.
#[cfg(not(feature = "hmac"))]
mod verify {
    use super::{AddAddr, HmacVerdict, Version};

    pub(super) fn join_synack(_: Version, _: u64, _: u64, _: u32, _: u32, _: u64) -> HmacVerdict {
        HmacVerdict::Unverifiable
    }

    pub(super) fn join_ack(
        _: Version,
        _: u64,
        _: u64,
        _: u32,
        _: u32,
        _: &[u8; 20],
    ) -> HmacVerdict {
        HmacVerdict::Unverifiable
    }

    pub(super) fn add_addr(_: u64, _: u64, _: &AddAddr, _: u64) -> HmacVerdict {
        HmacVerdict::Unverifiable
    }
}

/// Reports a removed subflow; `an` is the analysis memory, whose entry for
/// the slot still holds the removed subflow's (a new entry's is reset only
/// after this).
fn gone_subflow(
    r: Removed<FlowKey, Subflow>,
    cause: RemovalCause,
    an: &[SubflowAnalysis],
    ev: &mut Events,
    on_gone: &mut impl FnMut(Gone),
) {
    ev.push(Event::Evicted {
        what: TableKind::Subflow,
        class: r.class,
        id: r.id,
        serial: 0,
        cause,
    });
    on_gone(Gone::Subflow {
        id: SubflowId(r.id),
        key: r.key,
        subflow: r.value,
        cause,
        analysis: gate_ref(an).get(r.id.index() as usize).copied(),
    });
}

/// Reports a removed connection (see [`gone_subflow`] for `an`).
fn gone_conn(
    r: Removed<u32, Connection>,
    cause: RemovalCause,
    an: &[ConnAnalysis],
    tokens: &mut FlowTableView<'_, u32, SlotId>,
    ev: &mut Events,
    on_gone: &mut impl FnMut(Gone),
) {
    let mut conn = r.value;
    if let Some(t) = conn.client_token() {
        if let Some(a) = tokens.find(&t) {
            if tokens.get(a) == Some(&r.id) {
                tokens.remove(a);
            }
        }
    }
    // A connection that had ended (DATA_FIN both ways, fastclose, every
    // subflow reset) keeps that end when it is removed; only one still open
    // ends by eviction or idleness.
    if conn.end == ConnEnd::Open {
        conn.end = match (conn.current_end(), cause) {
            (ConnEnd::Open, RemovalCause::Evicted) => ConnEnd::Evicted,
            (ConnEnd::Open, RemovalCause::Idle) => ConnEnd::Idle,
            (ended, _) => ended,
        };
    }
    ev.push(Event::Evicted {
        what: TableKind::Connection,
        class: r.class,
        id: r.id,
        serial: conn.serial,
        cause,
    });
    on_gone(Gone::Connection {
        id: conn_id(r.id, &conn),
        conn,
        cause,
        analysis: gate_ref(an).get(r.id.index() as usize).copied(),
    });
}

/// The dissector with its tables inline: `S` subflows and `C` connections
/// (powers of two). Every method borrows it as a [`DissectorView`].
///
/// Large (see the module docs for bytes per entry): put it in a `static` or
/// on the heap of a host program, not on a small stack.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dissector<const S: usize, const C: usize> {
    st: DissectorState,
    subflows: FlowTable<FlowKey, Subflow, S>,
    conns: FlowTable<u32, Connection, C>,
    tokens: FlowTable<u32, SlotId, C>,
    sub_an: [SubflowAnalysis; S],
    conn_an: [ConnAnalysis; C],
}

/// Per-table seeds derived from the caller's one seed.
fn seeds(seed: [u8; 16]) -> [[u8; 16]; 3] {
    let mut out = [seed; 3];
    for (i, s) in out.iter_mut().enumerate() {
        if let Some(b) = s.get_mut(15) {
            *b ^= i as u8;
        }
        if let Some(b) = s.get_mut(0) {
            *b = b.wrapping_add(0x5a_u8.wrapping_mul(i as u8));
        }
    }
    out
}

impl<const S: usize, const C: usize> Dissector<S, C> {
    /// An empty dissector keyed with `seed` (16 random bytes).
    #[must_use]
    pub fn new(seed: [u8; 16], config: DissectorConfig) -> Self {
        let [a, b, c] = seeds(seed);
        Dissector {
            st: DissectorState::new(config),
            subflows: FlowTable::new(a),
            conns: FlowTable::new(b),
            tokens: FlowTable::new(c),
            sub_an: [SubflowAnalysis::new(); S],
            conn_an: [ConnAnalysis::new(); C],
        }
    }

    /// The dissector as a view (no copy).
    pub fn view(&mut self) -> DissectorView<'_> {
        DissectorView::new(
            &mut self.st,
            self.subflows.as_view(),
            self.conns.as_view(),
            self.tokens.as_view(),
        )
        .with_analysis(&mut self.sub_an, &mut self.conn_an)
    }

    /// See [`DissectorView::dissect`].
    pub fn dissect<'f>(&mut self, frame: &'f [u8], link: LinkType, now: u64) -> Dissection<'f> {
        self.view().dissect(frame, link, now)
    }

    /// See [`DissectorView::subflow_analysis`].
    #[must_use]
    pub fn subflow_analysis(&self, id: SlotId) -> Option<&SubflowAnalysis> {
        self.subflows.get(id)?;
        gate_ref(&self.sub_an[..]).get(id.index() as usize)
    }

    /// See [`DissectorView::subflow_ts_rtt`].
    #[must_use]
    pub fn subflow_ts_rtt(&self, id: SlotId, role: Role) -> Option<RttStats> {
        self.subflow_analysis(id)?.ts_rtt(role)
    }

    /// See [`DissectorView::conn_analysis`].
    #[must_use]
    pub fn conn_analysis(&self, id: SlotId) -> Option<&ConnAnalysis> {
        self.conns.get(id)?;
        gate_ref(&self.conn_an[..]).get(id.index() as usize)
    }

    /// See [`DissectorView::verdict`].
    #[must_use]
    pub fn verdict(&self, id: SlotId) -> Option<MiddleboxVerdict> {
        let c = self.conns.get(id)?;
        Some(self.conn_analysis(id)?.verdict(c.mp_fail > 0))
    }

    /// See [`DissectorView::subflow_verdict`].
    #[must_use]
    pub fn subflow_verdict(&self, id: SlotId) -> Option<MiddleboxVerdict> {
        let h = self.subflow_analysis(id)?.handshake;
        Some(MiddleboxVerdict::from_evidence(h.mirror, h.strip, false))
    }

    /// See [`DissectorView::dissect_with`].
    pub fn dissect_with<'f>(
        &mut self,
        frame: &'f [u8],
        link: LinkType,
        now: u64,
        on_gone: impl FnMut(Gone),
    ) -> Dissection<'f> {
        self.view().dissect_with(frame, link, now, on_gone)
    }

    /// See [`DissectorView::dissect_checked`].
    pub fn dissect_checked<'f>(
        &mut self,
        frame: &'f [u8],
        link: LinkType,
        now: u64,
        check: Option<TcpCheck>,
        on_gone: impl FnMut(Gone),
    ) -> Dissection<'f> {
        self.view()
            .dissect_checked(frame, link, now, check, on_gone)
    }

    /// The events of the last `dissect` / `dissect_with` call (see
    /// [`DissectorView::events`]).
    #[must_use]
    pub fn events(&self) -> &Events {
        &self.st.events
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> DissectorStats {
        self.st.stats
    }

    /// A live connection.
    #[must_use]
    pub fn connection(&self, id: SlotId) -> Option<&Connection> {
        self.conns.get(id)
    }

    /// A live subflow and its key.
    #[must_use]
    pub fn subflow(&self, id: SlotId) -> Option<(&FlowKey, &Subflow)> {
        self.subflows.entry(id)
    }

    /// Every live connection.
    pub fn connections(&self) -> impl Iterator<Item = (ConnId, &Connection)> + '_ {
        self.conns.iter().map(|(id, _, c)| (conn_id(id, c), c))
    }

    /// Every live subflow.
    pub fn subflows(&self) -> impl Iterator<Item = (SubflowId, &FlowKey, &Subflow)> + '_ {
        self.subflows.iter().map(|(id, k, s)| (SubflowId(id), k, s))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::wire::mptcp::Dss;
    #[cfg(feature = "analysis")]
    use crate::wire::mptcp::MpFail;
    use crate::wire::mptcp::{DssMapping, MpFastclose};
    use core::net::Ipv4Addr;

    const A: [u8; 4] = [10, 0, 0, 1];
    const B: [u8; 4] = [10, 0, 0, 2];
    const A2: [u8; 4] = [10, 0, 1, 1];
    const KA: u64 = 0x0123_4567_89ab_cdef;
    const KB: u64 = 0xfedc_ba98_7654_3210;
    const MS: u64 = 1_000_000;

    type D = Dissector<8, 4>;

    fn dis() -> D {
        Dissector::new([3; 16], DissectorConfig::default())
    }

    /// A raw IPv4/TCP packet with MPTCP options and `payload` zero bytes.
    #[allow(clippy::too_many_arguments)]
    fn pkt(
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
        opts: &[MptcpOption<'_>],
        payload: usize,
    ) -> Vec<u8> {
        let mut o = Vec::new();
        for m in opts {
            let mut b = [0u8; 40];
            let n = m.emit(&mut b).unwrap();
            o.extend_from_slice(&b[..n]);
        }
        while o.len() % 4 != 0 {
            o.push(1);
        }
        let tcp_len = 20 + o.len();
        let total = 20 + tcp_len + payload;
        let mut p = Vec::new();
        p.extend_from_slice(&[
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
        ]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ack.to_be_bytes());
        p.push(((tcp_len / 4) as u8) << 4);
        p.push(flags.bits() as u8);
        p.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(&o);
        p.resize(total, 0);
        p
    }

    fn cap(v: Version, sk: Option<u64>, rk: Option<u64>) -> MptcpOption<'static> {
        MptcpOption::Capable(MpCapable {
            version: v,
            flags: MpCapable::FLAG_HMAC_SHA,
            sender_key: sk,
            receiver_key: rk,
            data_len: None,
            checksum: None,
        })
    }

    fn dss(dsn: u64, wide: bool, ssn: u32, len: u16, fin: bool) -> MptcpOption<'static> {
        MptcpOption::Dss(Dss {
            flags: if fin { Dss::FLAG_DATA_FIN } else { 0 },
            reserved: 0,
            data_ack: None,
            mapping: Some(DssMapping {
                dsn,
                dsn_wide: wide,
                ssn,
                data_len: len,
                checksum: None,
            }),
        })
    }

    const SYN: TcpFlags = TcpFlags::SYN;
    const ACK: TcpFlags = TcpFlags::ACK;
    fn synack() -> TcpFlags {
        TcpFlags::SYN | TcpFlags::ACK
    }

    struct R {
        events: Events,
        conn: Option<ConnId>,
        subflow: Option<SubflowId>,
        role: Option<Role>,
    }

    /// The v1 MP_CAPABLE SYN A:1000 → B:80 (ISN 100, no key).
    fn syn_v1() -> Vec<u8> {
        pkt(
            A,
            1000,
            B,
            80,
            100,
            0,
            SYN,
            &[cap(Version::V1, None, None)],
            0,
        )
    }

    /// The MP_CAPABLE SYN/ACK B:80 → A:1000 of version `v` answering a SYN
    /// of ISN 100 (ISN 500, key KB).
    fn synack_pkt(v: Version) -> Vec<u8> {
        pkt(
            B,
            80,
            A,
            1000,
            500,
            101,
            synack(),
            &[cap(v, Some(KB), None)],
            0,
        )
    }

    /// The third ACK A:1000 → B:80 of [`handshake`], both keys in its
    /// MP_CAPABLE.
    fn third_ack(v: Version) -> Vec<u8> {
        pkt(
            A,
            1000,
            B,
            80,
            101,
            501,
            ACK,
            &[cap(v, Some(KA), Some(KB))],
            0,
        )
    }

    fn go(d: &mut D, p: Vec<u8>, now: u64) -> R {
        let r = d.dissect(&p, LinkType::Ipv4, now);
        R {
            events: *d.events(),
            conn: r.conn,
            subflow: r.subflow,
            role: r.role,
        }
    }

    fn events(d: &R) -> Vec<Event> {
        d.events.iter().copied().collect()
    }

    /// Runs the v1 (or v0) handshake A:1000 → B:80; returns the connection.
    fn handshake(d: &mut D, v: Version) -> ConnId {
        let syn_opt = match v {
            Version::V1 => cap(v, None, None),
            Version::V0 => cap(v, Some(KA), None),
        };
        let r = go(d, pkt(A, 1000, B, 80, 100, 0, SYN, &[syn_opt], 0), 0);
        assert!(r.subflow.is_some() && r.conn.is_none());
        let r = go(d, synack_pkt(v), MS);
        let conn = r.conn.unwrap();
        assert!(matches!(events(&r)[..], [Event::NewConnection { conn: c }] if c == conn));
        let r = go(d, third_ack(v), 2 * MS);
        assert_eq!(r.conn, Some(conn));
        assert!(r.events.is_empty(), "{:?}", events(&r));
        conn
    }

    fn check_keys(d: &D, conn: ConnId, v: Version) {
        let c = d.connection(conn.slot).unwrap();
        let ka = crypto::key_hash(v, KA);
        let kb = crypto::key_hash(v, KB);
        assert_eq!(c.version, v);
        assert_eq!(c.client_key(), Some(KA));
        assert_eq!(c.server_key, KB);
        assert_eq!(c.client_token(), Some(ka.token));
        assert_eq!(c.server_token, kb.token);
        assert_eq!(c.client_idsn(), Some(ka.idsn));
        assert_eq!(c.server_idsn, kb.idsn);
        let ((ci, cp), (si, sp)) = c.endpoints();
        assert_eq!(
            (ci, cp, si, sp),
            (IpAddr::V4(A.into()), 1000, IpAddr::V4(B.into()), 80)
        );
        assert_eq!(c.subflows_established, 1);
    }

    #[test]
    fn handshake_v1() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        check_keys(d, conn, Version::V1);
        let (_, s) = d.subflows().map(|(_, k, s)| (k, *s)).next().unwrap();
        assert_eq!(s.rtt_us(), Some(2000));
        assert!(s.rtt_full());
    }

    #[test]
    fn handshake_v0() {
        let d = &mut dis();
        let conn = handshake(d, Version::V0);
        check_keys(d, conn, Version::V0);
    }

    #[test]
    fn key_mismatch_keeps_first() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let r = go(
            d,
            pkt(
                A,
                1000,
                B,
                80,
                101,
                501,
                ACK,
                &[cap(Version::V1, Some(KA ^ 1), Some(KB))],
                0,
            ),
            3 * MS,
        );
        // Not the third ACK any more: keys are checked only then.
        assert!(r.events.is_empty());
        let _ = conn;
        // A second connection whose third ACK is the first thing seen, then a
        // mismatching repeat is not re-checked either; the key stays.
        assert_eq!(d.connection(conn.slot).unwrap().client_key(), Some(KA));
    }

    fn join(
        d: &mut D,
        token: u32,
        synack_hmac: Option<u64>,
        ack_hmac: Option<[u8; 20]>,
    ) -> Vec<Event> {
        let mut ev = Vec::new();
        let (ra, rb) = (0x1122_3344, 0x5566_7788);
        let j = MptcpOption::Join(MpJoin::Syn {
            flags: 0,
            backup: false,
            addr_id: 1,
            token,
            nonce: ra,
        });
        let r = go(d, pkt(A2, 2000, B, 80, 7000, 0, SYN, &[j], 0), 10 * MS);
        ev.extend(events(&r));
        if let Some(h) = synack_hmac {
            let j = MptcpOption::Join(MpJoin::SynAck {
                flags: 0,
                backup: false,
                addr_id: 0,
                trunc_hmac: h,
                nonce: rb,
            });
            let r = go(
                d,
                pkt(B, 80, A2, 2000, 9000, 7001, synack(), &[j], 0),
                11 * MS,
            );
            ev.extend(events(&r));
        }
        if let Some(h) = ack_hmac {
            let j = MptcpOption::Join(MpJoin::ack(h));
            let r = go(d, pkt(A2, 2000, B, 80, 7001, 9001, ACK, &[j], 0), 12 * MS);
            ev.extend(events(&r));
        }
        ev
    }

    #[cfg(feature = "hmac")]
    fn good_hmacs(v: Version) -> (u64, [u8; 20]) {
        let (ra, rb) = (0x1122_3344, 0x5566_7788);
        (
            crypto::join_synack_hmac(v, KB, KA, rb, ra),
            crypto::join_ack_hmac(v, KA, KB, ra, rb),
        )
    }

    /// A join to the connection of `handshake(d, v)` with a valid SYN/ACK
    /// HMAC and a third ACK carrying `ack` (none: no third ACK).
    #[cfg(feature = "hmac")]
    fn valid_join(d: &mut D, v: Version, ack: Option<ThirdAck>) -> Vec<Event> {
        let (s, a) = good_hmacs(v);
        let hmac = ack.map(|k| match k {
            ThirdAck::Valid => a,
            ThirdAck::Invalid => [0; 20],
        });
        join(d, crypto::key_hash(v, KB).token, Some(s), hmac)
    }

    /// The third ACK's HMAC in [`valid_join`].
    #[cfg(feature = "hmac")]
    #[derive(Clone, Copy)]
    enum ThirdAck {
        Valid,
        Invalid,
    }

    /// The (only) join subflow.
    #[cfg(feature = "hmac")]
    fn joined(d: &D) -> Subflow {
        *d.subflows()
            .find(|(_, _, s)| s.kind() == SubflowKind::Join)
            .unwrap()
            .2
    }

    /// A join refused after its third ACK (the listener over its subflow
    /// limit answers with a RST, as Linux does) was attempted, never
    /// established; one whose initiator sends data was.
    #[cfg(feature = "hmac")]
    #[test]
    fn a_join_is_established_by_the_listeners_ack_of_its_third_ack() {
        for v in [Version::V0, Version::V1] {
            let d = &mut dis();
            let conn = handshake(d, v);
            valid_join(d, v, Some(ThirdAck::Valid));
            let rst = TcpFlags::RST;
            go(d, pkt(B, 80, A2, 2000, 9001, 0, rst, &[], 0), 13 * MS);
            assert_eq!(joined(d).state(), SubflowState::ResetInHandshake);
            assert!(!joined(d).established());
            assert_eq!(joined(d).end(), SubflowEnd::Rst);
            let c = d.connection(conn.slot).unwrap();
            assert_eq!((c.subflows_linked, c.subflows_established), (2, 1));

            // A retransmitted third ACK leaves it waiting; data from the
            // initiator establishes it.
            let d = &mut dis();
            let conn = handshake(d, v);
            valid_join(d, v, Some(ThirdAck::Valid));
            let j = MptcpOption::Join(MpJoin::ack(good_hmacs(v).1));
            go(d, pkt(A2, 2000, B, 80, 7001, 9001, ACK, &[j], 0), 13 * MS);
            assert_eq!(joined(d).state(), SubflowState::ThirdAckSeen);
            let m = dss(1, true, 1, 10, false);
            go(d, pkt(A2, 2000, B, 80, 7001, 9001, ACK, &[m], 10), 14 * MS);
            assert_eq!(joined(d).state(), SubflowState::Established);
            let c = d.connection(conn.slot).unwrap();
            assert_eq!((c.subflows_linked, c.subflows_established), (2, 2));
        }
    }

    /// A:1000 → B:80 SYN with `syn` (at 0), B's SYN/ACK with `synack` (at
    /// 1 ms); the SYN/ACK's result.
    fn syn_and_synack(d: &mut D, syn: MptcpOption<'_>, synack_opt: MptcpOption<'_>) -> R {
        go(d, pkt(A, 1000, B, 80, 100, 0, SYN, &[syn], 0), 0);
        go(
            d,
            pkt(B, 80, A, 1000, 500, 101, synack(), &[synack_opt], 0),
            MS,
        )
    }

    /// RFC 8684 §3.1: checksums are used if either side asks. A client
    /// SYN with flag A and a server SYN/ACK without (the third ACK not
    /// captured) negotiate them; neither asking does not. The SYN's flags
    /// stay readable on the initial subflow, whose address id reads 0.
    #[test]
    fn the_syns_checksum_flag_counts() {
        let capf = |v, sk, flags| {
            MptcpOption::Capable(MpCapable {
                version: v,
                flags,
                sender_key: sk,
                receiver_key: None,
                data_len: None,
                checksum: None,
            })
        };
        let (on, off) = (
            MpCapable::FLAG_HMAC_SHA | MpCapable::FLAG_CHECKSUM,
            MpCapable::FLAG_HMAC_SHA,
        );
        for (syn, want) in [(on, true), (off, false)] {
            let d = &mut dis();
            let v = Version::V0;
            let r = syn_and_synack(d, capf(v, Some(KA), syn), capf(v, Some(KB), off));
            assert_eq!(d.connection(r.conn.unwrap().slot).unwrap().checksum, want);
            let s = d.subflows().next().unwrap().2;
            assert_eq!((s.syn_capable_flags(), s.addr_id()), (Some(syn), 0));
        }
    }

    /// A connection picked up at its third ACK (SYN and SYN/ACK not
    /// captured) has no handshake RTT: it was 1 µs, the third ACK timed
    /// against itself.
    #[test]
    fn a_third_ack_without_its_syn_gives_no_rtt() {
        let d = &mut dis();
        let third = cap(Version::V1, Some(KA), Some(KB));
        let r = go(d, pkt(A, 1000, B, 80, 101, 501, ACK, &[third], 0), 50 * MS);
        assert!(r.conn.is_some());
        let s = d.subflows().next().unwrap().2;
        assert_eq!((s.rtt_us(), s.syn_seen()), (None, false));
        assert_eq!(s.state(), SubflowState::Established);
        // A normal handshake keeps its RTT.
        let d = &mut dis();
        handshake(d, Version::V1);
        let s = d.subflows().next().unwrap().2;
        assert!(s.syn_seen() && s.rtt_us().is_some());
    }

    /// RFC 8200 §8.1: behind a routing header with segments left the
    /// pseudo-header takes the final destination, which the IPv6 header
    /// does not hold: such a segment's checksum is not checked (it was,
    /// against the wrong address, and found bad).
    #[test]
    fn a_routed_ipv6_segments_checksum_is_not_checked() {
        let ip6 = |left: u8| {
            let mut tcp = vec![0u8; 20];
            tcp[..4].copy_from_slice(&[0x04, 0xd2, 0, 80]);
            tcp[12] = 0x50;
            tcp[13] = 0x10;
            let mut srh = vec![6, 2, 4, left, 0, 0, 0, 0];
            srh.extend_from_slice(&[
                0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99,
            ]);
            srh.extend_from_slice(&tcp);
            let mut p = vec![0x60, 0, 0, 0, 0, srh.len() as u8, 43, 64];
            p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
            p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
            p.extend_from_slice(&srh);
            p
        };
        let routed = ip6(1);
        let f = parse_frame(&routed, LinkType::Ipv6).unwrap();
        assert!(f.tcp().is_some());
        assert_eq!(TcpCheck::of_frame(&f), None);
        let arrived = ip6(0);
        let f = parse_frame(&arrived, LinkType::Ipv6).unwrap();
        assert!(TcpCheck::of_frame(&f).is_some());
    }

    /// An IPv4 segment of total length 0 (segmentation offload) has no
    /// known length: the capture may have cut it, so its checksum is not
    /// checked (a cut one always failed).
    #[test]
    fn an_ipv4_total_length_of_0_is_not_checked() {
        let mut p = pkt(A, 1000, B, 80, 101, 501, ACK, &[], 100);
        let whole = parse_frame(&p, LinkType::Ipv4).unwrap();
        assert!(TcpCheck::of_frame(&whole).is_some());
        p[2..4].copy_from_slice(&[0, 0]);
        p.truncate(60);
        let f = parse_frame(&p, LinkType::Ipv4).unwrap();
        assert!(f.tcp().is_some());
        assert_eq!(TcpCheck::of_frame(&f), None);
    }

    /// A v0 SYN/ACK carrying the SYN's own key is a middlebox mirroring
    /// the option (Mehani et al.): no connection, at the SYN/ACK or at the
    /// third ACK that echoes the key pair; the subflow is plain TCP.
    #[test]
    fn a_mirrored_key_makes_no_connection() {
        let d = &mut dis();
        let v0 = Version::V0;
        let r = syn_and_synack(d, cap(v0, Some(KA), None), cap(v0, Some(KA), None));
        assert!(r.conn.is_none());
        assert!(events(&r).contains(&Event::Fallback {
            subflow: r.subflow.unwrap(),
            conn: None,
            why: FallbackReason::MirroredKey,
        }));
        let third = cap(v0, Some(KA), Some(KA));
        let r = go(d, pkt(A, 1000, B, 80, 101, 501, ACK, &[third], 0), 2 * MS);
        assert!(r.conn.is_none());
        assert_eq!(d.connections().count(), 0);
        assert_eq!(only_sub(d).1, SubflowState::Established);
        assert_eq!(d.subflows().next().unwrap().2.kind(), SubflowKind::Plain);
        // The SYN/ACK not captured: the third ACK's key pair alone says so.
        let d = &mut dis();
        go(
            d,
            pkt(A, 1000, B, 80, 100, 0, SYN, &[cap(v0, Some(KA), None)], 0),
            0,
        );
        let r = go(d, pkt(A, 1000, B, 80, 101, 501, ACK, &[third], 0), 2 * MS);
        assert!(r.conn.is_none());
        assert!(events(&r).contains(&Event::Fallback {
            subflow: r.subflow.unwrap(),
            conn: None,
            why: FallbackReason::MirroredKey,
        }));
        assert_eq!(d.connections().count(), 0);
    }

    /// A v0 MP_PRIO's AddrID names one of its sender's addresses: the
    /// join's initiator (address id 1) marks the join as backup with id 1;
    /// the listener's id 1 or the initiator's id 0 leave it alone; the
    /// v1 form (no id) applies to the subflow it is sent on.
    #[cfg(feature = "hmac")]
    #[test]
    fn a_v0_mp_prio_names_its_senders_address() {
        let prio = |backup, addr_id| {
            MptcpOption::Prio(MpPrio {
                flags: u8::from(backup),
                backup,
                addr_id,
            })
        };
        let v = Version::V0;
        let d = &mut dis();
        handshake(d, v);
        valid_join(d, v, Some(ThirdAck::Valid));
        go(d, pkt(B, 80, A2, 2000, 9001, 7001, ACK, &[], 0), 13 * MS);
        assert_eq!(joined(d).state(), SubflowState::Established);
        assert!(!joined(d).backup());
        let to_initiator = |o| pkt(B, 80, A2, 2000, 9001, 7001, ACK, &[o], 0);
        let to_listener = |o| pkt(A2, 2000, B, 80, 7001, 9001, ACK, &[o], 0);
        go(d, to_initiator(prio(true, Some(1))), 14 * MS);
        assert!(!joined(d).backup(), "the listener's id 1 is not known");
        go(d, to_listener(prio(true, Some(0))), 15 * MS);
        assert!(!joined(d).backup(), "id 0 is another of the initiator's");
        go(d, to_listener(prio(true, Some(1))), 16 * MS);
        assert!(joined(d).backup());
        go(d, to_initiator(prio(false, None)), 17 * MS);
        assert!(!joined(d).backup());
    }

    /// A join whose first segment after the SYN/ACK carries data (its
    /// third ACK not captured) is established at once.
    #[cfg(feature = "hmac")]
    #[test]
    fn a_join_sending_data_first_is_established() {
        let v = Version::V1;
        let d = &mut dis();
        let conn = handshake(d, v);
        valid_join(d, v, None);
        let m = dss(1, true, 1, 10, false);
        go(d, pkt(A2, 2000, B, 80, 7001, 9001, ACK, &[m], 10), 12 * MS);
        assert_eq!(joined(d).state(), SubflowState::Established);
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.subflows_linked, c.subflows_established), (2, 2));
    }

    /// A join whose third ACK fails its HMAC is unlinked; if every other
    /// subflow had closed, the connection's class follows at once.
    #[cfg(feature = "hmac")]
    #[test]
    fn an_unlinked_join_updates_its_connections_class() {
        let v = Version::V1;
        let d = &mut dis();
        let conn = handshake(d, v);
        close_both_ways(d);
        valid_join(d, v, Some(ThirdAck::Invalid));
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.subflows_linked, c.end_so_far()), (1, ConnEnd::FinOnly));
        assert_eq!(d.conns.class(conn.slot), Some(EvictClass::Closed));
    }

    /// A join whose initiator closes right after its third ACK (the
    /// listener's ACK not captured) is established and closes.
    #[cfg(feature = "hmac")]
    #[test]
    fn a_join_closed_after_its_third_ack_closes() {
        let v = Version::V1;
        let d = &mut dis();
        let conn = handshake(d, v);
        close_both_ways(d);
        valid_join(d, v, Some(ThirdAck::Valid));
        let fin = TcpFlags::FIN | ACK;
        go(d, pkt(A2, 2000, B, 80, 7001, 9001, fin, &[], 0), 13 * MS);
        go(d, pkt(B, 80, A2, 2000, 9001, 7002, fin, &[], 0), 14 * MS);
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.subflows_linked, c.subflows_established), (2, 2));
        assert_eq!((c.subflows_closed, c.end_so_far()), (2, ConnEnd::FinOnly));
    }

    #[cfg(feature = "hmac")]
    #[test]
    fn join_links_by_token() {
        for v in [Version::V0, Version::V1] {
            let d = &mut dis();
            let conn = handshake(d, v);
            let (s, a) = good_hmacs(v);
            let token = crypto::key_hash(v, KB).token;
            let ev = join(d, token, Some(s), Some(a));
            assert!(
                matches!(ev[..], [Event::SubflowJoined { conn: c, hmac: HmacVerdict::Valid, .. }] if c == conn),
                "{ev:?}"
            );
            // Linked, but established only once the listener acknowledges
            // the third ACK (RFC 8684 §3.2).
            let c = d.connection(conn.slot).unwrap();
            assert_eq!((c.subflows_linked, c.subflows_established), (2, 1));
            assert_eq!(joined(d).state(), SubflowState::ThirdAckSeen);
            assert!(!joined(d).established());
            let r = go(d, pkt(B, 80, A2, 2000, 9001, 7001, ACK, &[], 0), 13 * MS);
            assert!(r.events.is_empty());
            let c = d.connection(conn.slot).unwrap();
            assert_eq!((c.subflows_linked, c.subflows_established), (2, 2));
            assert_eq!(c.first_join_ts(), Some(10 * MS));
            assert_eq!(joined(d).state(), SubflowState::Established);
            assert_eq!(joined(d).hmac(), Some(HmacVerdict::Valid));
            assert_eq!(joined(d).conn(), Some(conn.slot));
        }
    }

    #[cfg(feature = "hmac")]
    #[test]
    fn join_by_client_token_reversed_roles() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        // The server (B) opens a subflow to the client, naming the client's
        // token: the listener is the connection's client.
        let token = crypto::key_hash(Version::V1, KA).token;
        let j = MptcpOption::Join(MpJoin::Syn {
            flags: 1,
            backup: true,
            addr_id: 3,
            token,
            nonce: 1,
        });
        let r = go(d, pkt(B, 81, A, 1001, 1, 0, SYN, &[j], 0), 5 * MS);
        assert!(r.events.is_empty());
        let h = crypto::join_synack_hmac(Version::V1, KA, KB, 2, 1);
        let j = MptcpOption::Join(MpJoin::SynAck {
            flags: 0,
            backup: false,
            addr_id: 0,
            trunc_hmac: h,
            nonce: 2,
        });
        let r = go(d, pkt(A, 1001, B, 81, 1, 2, synack(), &[j], 0), 6 * MS);
        assert!(
            matches!(events(&r)[..], [Event::SubflowJoined { conn: c, hmac: HmacVerdict::Valid, .. }] if c == conn)
        );
        // Connection-level role of the join initiator (B) is s2c.
        assert_eq!(r.role, Some(Role::C2s));
    }

    #[test]
    fn join_unknown_token() {
        let d = &mut dis();
        handshake(d, Version::V1);
        let ev = join(d, 0xdead_beef, Some(1), Some([0; 20]));
        assert!(
            matches!(
                ev[..],
                [Event::JoinUnknownToken {
                    token: 0xdead_beef,
                    ..
                }]
            ),
            "{ev:?}"
        );
        let s = d
            .subflows()
            .find(|(_, _, s)| s.kind() == SubflowKind::Join)
            .unwrap()
            .2;
        assert_eq!(s.conn(), None);
        assert_eq!(d.stats().join_unknown_token, 1);
    }

    #[cfg(feature = "hmac")]
    #[test]
    fn spoofed_join_rejected() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let (s, a) = good_hmacs(Version::V1);
        let token = crypto::key_hash(Version::V1, KB).token;
        // Wrong SYN/ACK HMAC (one bit flipped).
        let ev = join(d, token, Some(s ^ 1), Some(a));
        assert!(
            matches!(ev[..], [Event::JoinRejected { conn: c, reason: JoinRejectReason::InvalidHmac, .. }] if c == conn),
            "{ev:?}"
        );
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.subflows_linked, c.joins_rejected), (1, 1));
        let j = d
            .subflows()
            .find(|(_, _, s)| s.kind() == SubflowKind::Join)
            .unwrap()
            .2;
        assert_eq!(j.conn(), None);
        assert_eq!(j.hmac(), Some(HmacVerdict::Invalid));

        // Good SYN/ACK, spoofed third ACK: linked, then unlinked.
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let mut bad = a;
        bad[19] ^= 0x80;
        let ev = join(d, token, Some(s), Some(bad));
        assert!(
            matches!(
                ev[..],
                [Event::SubflowJoined { .. }, Event::JoinRejected { .. }]
            ),
            "{ev:?}"
        );
        assert_eq!(d.connection(conn.slot).unwrap().subflows_linked, 1);
    }

    #[cfg(feature = "hmac")]
    #[test]
    fn join_without_synack_unverifiable() {
        let d = &mut dis();
        handshake(d, Version::V1);
        let (_, a) = good_hmacs(Version::V1);
        let token = crypto::key_hash(Version::V1, KB).token;
        let ev = join(d, token, None, Some(a));
        assert!(
            matches!(
                ev[..],
                [Event::SubflowJoined {
                    hmac: HmacVerdict::Unverifiable,
                    ..
                }]
            ),
            "{ev:?}"
        );
    }

    fn add_addr(d: &mut D, hmac: u64) -> Vec<Event> {
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 1, 2));
        let o = MptcpOption::AddAddr(AddAddr {
            form: AddAddrForm::V1 { echo: false },
            addr_id: 4,
            ip,
            port: None,
            hmac: Some(hmac),
        });
        let r = go(d, pkt(B, 80, A, 1000, 501, 101, ACK, &[o], 0), 3 * MS);
        events(&r)
    }

    /// Without the `hmac` feature no HMAC is computed: a join with any
    /// HMACs (all-zero here, wrong for these keys) is linked by its token,
    /// unverified, and an ADD_ADDR's HMAC is not judged.
    #[cfg(not(feature = "hmac"))]
    #[test]
    fn without_hmac_joins_link_unverified() {
        for v in [Version::V0, Version::V1] {
            let d = &mut dis();
            let conn = handshake(d, v);
            let token = crypto::key_hash(v, KB).token;
            let ev = join(d, token, Some(0), Some([0; 20]));
            assert!(
                matches!(ev[..], [Event::SubflowJoined { conn: c, hmac: HmacVerdict::Unverifiable, .. }] if c == conn),
                "{ev:?}"
            );
            // Established once the listener acknowledges the third ACK.
            let c = d.connection(conn.slot).unwrap();
            assert_eq!((c.subflows_linked, c.subflows_established), (2, 1));
            go(d, pkt(B, 80, A2, 2000, 9001, 7001, ACK, &[], 0), 13 * MS);
            let c = d.connection(conn.slot).unwrap();
            assert_eq!((c.subflows_linked, c.subflows_established), (2, 2));
            assert_eq!(c.joins_rejected, 0);
        }
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let ev = add_addr(d, 0);
        assert!(
            matches!(ev[..], [Event::AddrAdvertised { conn: c, addr_id: 4, hmac: HmacVerdict::Unverifiable, .. }] if c == conn),
            "{ev:?}"
        );
    }

    #[cfg(feature = "hmac")]
    #[test]
    fn add_addr_hmac_checked() {
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 1, 2));
        let good = crypto::add_addr_hmac(KB, KA, 4, ip, None);
        for (h, want) in [
            (good, HmacVerdict::Valid),
            (good ^ (1 << 40), HmacVerdict::Invalid),
        ] {
            let d = &mut dis();
            let conn = handshake(d, Version::V1);
            let ev = add_addr(d, h);
            assert!(
                matches!(ev[..], [Event::AddrAdvertised { conn: c, addr_id: 4, hmac, echo: false, class: AddrClass::Private, sender: Role::S2c, .. }] if c == conn && hmac == want),
                "{ev:?}"
            );
            let a = *d.connection(conn.slot).unwrap().addrs().next().unwrap();
            assert_eq!((a.id(), a.ip(), a.hmac()), (4, ip, want));
        }
    }

    #[test]
    fn dsn_expansion_wrap_data_fin_reinjection() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let idsn = crypto::key_hash(Version::V1, KA).idsn;
        // A 64-bit mapping just below a 32-bit boundary.
        let base = (idsn & !0xffff_ffff) | 0xffff_fff0;
        let r = go(
            d,
            pkt(
                A,
                1000,
                B,
                80,
                101,
                501,
                ACK,
                &[dss(base, true, 1, 100, false)],
                100,
            ),
            3 * MS,
        );
        assert!(r.events.is_empty(), "{:?}", events(&r));
        // The next one with a 32-bit DSN past the wrap.
        let next = base + 100;
        let r = go(
            d,
            pkt(
                A,
                1000,
                B,
                80,
                201,
                501,
                ACK,
                &[dss(next & 0xffff_ffff, false, 101, 50, true)],
                50,
            ),
            4 * MS,
        );
        let fin = next + 49;
        assert!(
            matches!(events(&r)[..], [Event::DataFin { sender: Role::C2s, dsn, .. }] if dsn == fin),
            "{:?}",
            events(&r)
        );
        let c = d.connection(conn.slot).unwrap();
        assert_eq!(c.dir(Role::C2s).dsn_hi, next + 50);
        assert_eq!(c.data_fin(Role::C2s), Some(fin));
        assert_eq!(c.dir(Role::C2s).reinjected, 0);
        // A TCP retransmission is not a reinjection.
        go(
            d,
            pkt(
                A,
                1000,
                B,
                80,
                101,
                501,
                ACK,
                &[dss(base, true, 1, 100, false)],
                100,
            ),
            5 * MS,
        );
        assert_eq!(
            d.connection(conn.slot).unwrap().dir(Role::C2s).reinjected,
            0
        );
        // The same DSN range sent as new bytes on the subflow: reinjected.
        go(
            d,
            pkt(
                A,
                1000,
                B,
                80,
                251,
                501,
                ACK,
                &[dss(base + 20, true, 151, 30, false)],
                30,
            ),
            6 * MS,
        );
        assert_eq!(
            d.connection(conn.slot).unwrap().dir(Role::C2s).reinjected,
            30
        );
        // Server DATA_FIN too → end data_fin, class closed.
        let sidsn = crypto::key_hash(Version::V1, KB).idsn;
        let r = go(
            d,
            pkt(
                B,
                80,
                A,
                1000,
                501,
                301,
                ACK,
                &[dss(sidsn + 1, true, 0, 1, true)],
                0,
            ),
            7 * MS,
        );
        assert!(matches!(
            events(&r)[..],
            [Event::DataFin {
                sender: Role::S2c,
                ..
            }]
        ));
        let c = d.connection(conn.slot).unwrap();
        assert_eq!(c.end, ConnEnd::DataFin);
        assert_eq!(d.conns.class(conn.slot), Some(EvictClass::Closed));
        assert_eq!(expand_dsn(5, 0xffff_fff0), 0x1_0000_0005);
        assert_eq!(expand_dsn(0xffff_fff0, 0x1_0000_0005), 0xffff_fff0);
    }

    #[test]
    fn fastclose_and_both_directions() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        go(
            d,
            pkt(
                A,
                1000,
                B,
                80,
                101,
                501,
                ACK,
                &[dss(1, true, 1, 10, false)],
                10,
            ),
            3 * MS,
        );
        let r = go(
            d,
            pkt(
                B,
                80,
                A,
                1000,
                501,
                111,
                ACK,
                &[dss(1, true, 1, 20, false)],
                20,
            ),
            3 * MS,
        );
        assert_eq!(r.role, Some(Role::S2c));
        assert_eq!(r.conn, Some(conn));
        let (_, s) = d.subflows().map(|(_, k, s)| (k, *s)).next().unwrap();
        assert_eq!((s.bytes(Role::C2s), s.bytes(Role::S2c)), (10, 20));
        let fc = MptcpOption::Fastclose(MpFastclose::new(KB));
        let r = go(d, pkt(A, 1000, B, 80, 111, 521, ACK, &[fc], 0), 4 * MS);
        assert!(matches!(events(&r)[..], [Event::Fastclose { conn: c }] if c == conn));
        let r = go(
            d,
            pkt(B, 80, A, 1000, 521, 0, TcpFlags::RST, &[], 0),
            5 * MS,
        );
        assert!(matches!(
            events(&r)[..],
            [Event::SubflowClosed {
                end: SubflowEnd::Rst,
                ..
            }]
        ));
        let c = d.connection(conn.slot).unwrap();
        assert_eq!(c.end, ConnEnd::Fastclose);
        assert_eq!(d.conns.class(conn.slot), Some(EvictClass::Closed));
    }

    /// DATA_FIN both ways on the v1 handshake's subflow, at 3 and 4 ms
    /// (each takes one octet of data sequence space).
    fn data_fin_both_ways(d: &mut D) {
        let fin_c = [dss(1000, true, 1, 1, true)];
        go(d, pkt(A, 1000, B, 80, 101, 501, ACK, &fin_c, 0), 3 * MS);
        let fin_s = [dss(2000, true, 1, 1, true)];
        go(d, pkt(B, 80, A, 1000, 501, 102, ACK, &fin_s, 0), 4 * MS);
    }

    #[test]
    fn subflows_closed_by_tcp_fins_alone_end_the_connection_fin_only() {
        // FIN both ways, no DATA_FIN (a connection that fell back to TCP
        // closes so): FinOnly, not open; a RST afterwards changes nothing.
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        close_both_ways(d);
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.subflows_closed, c.end_so_far()), (1, ConnEnd::FinOnly));
        assert_eq!(d.conns.class(conn.slot), Some(EvictClass::Closed));
        let r = go(
            d,
            pkt(A, 1000, B, 80, 102, 502, TcpFlags::RST, &[], 0),
            5 * MS,
        );
        assert!(r.events.is_empty(), "{:?}", events(&r));
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.subflows_reset, c.end_so_far()), (0, ConnEnd::FinOnly));
        // It is final when the connection leaves the table.
        let mut gone = Vec::new();
        for i in 0..4 {
            let stray = pkt(A, 9, B, 9, 0, 0, ACK, &[], 0);
            d.dissect_with(&stray, LinkType::Ipv4, 100 * 1_000 * MS + i, |g| {
                gone.push(g)
            });
        }
        assert!(
            gone.iter().any(
                |g| matches!(g, Gone::Connection { conn, .. } if conn.end == ConnEnd::FinOnly)
            ),
            "{gone:?}"
        );
    }

    #[test]
    fn a_keepalive_probe_or_a_rst_is_not_first_data_without_dss() {
        // A 1-byte keepalive (sequence number = ISN: no new bytes) and a
        // RST with payload from the server, which has sent no data yet: no
        // fallback. Its real first data without DSS is one.
        let d = &mut dis();
        handshake(d, Version::V1);
        let r = go(d, pkt(B, 80, A, 1000, 500, 101, ACK, &[], 1), 3 * MS);
        assert!(r.events.is_empty(), "{:?}", events(&r));
        let rst = TcpFlags::RST | ACK;
        let r = go(d, pkt(B, 80, A, 1000, 501, 101, rst, &[], 5), 4 * MS);
        assert!(
            !events(&r)
                .iter()
                .any(|e| matches!(e, Event::Fallback { .. })),
            "{:?}",
            events(&r)
        );
        let d = &mut dis();
        let conn2 = handshake(d, Version::V1);
        go(d, pkt(B, 80, A, 1000, 500, 101, ACK, &[], 1), 3 * MS);
        let r = go(d, pkt(B, 80, A, 1000, 501, 101, ACK, &[], 10), 4 * MS);
        assert!(
            matches!(
                events(&r)[..],
                [Event::Fallback { conn: Some(c), why: FallbackReason::DataWithoutDss, .. }, ..]
                    if c == conn2
            ),
            "{:?}",
            events(&r)
        );
        assert!(d.connection(conn2.slot).unwrap().fallback);
    }

    #[test]
    fn a_fastclose_with_another_key_is_ignored() {
        // RFC 8684 §3.5: the receiver checks the key; Linux ignores one
        // that is not its own.
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let wrong = MptcpOption::Fastclose(MpFastclose::new(0xdead_beef));
        let r = go(d, pkt(A, 1000, B, 80, 101, 501, ACK, &[wrong], 0), 3 * MS);
        assert!(r.events.is_empty(), "{:?}", events(&r));
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.fastclose, c.end_so_far()), (false, ConnEnd::Open));
        // The server's, to the client: the client's key.
        let right = MptcpOption::Fastclose(MpFastclose::new(KA));
        let r = go(d, pkt(B, 80, A, 1000, 501, 101, ACK, &[right], 0), 4 * MS);
        assert!(matches!(events(&r)[..], [Event::Fastclose { conn: c }] if c == conn));
        assert_eq!(
            d.connection(conn.slot).unwrap().end_so_far(),
            ConnEnd::Fastclose
        );
    }

    #[test]
    fn the_first_final_end_stays_and_a_reset_is_not_final() {
        // DATA_FIN both ways, then MP_FASTCLOSE (Linux sends one at close
        // with unread data): the end is DATA_FIN, in every output.
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        data_fin_both_ways(d);
        assert_eq!(
            d.connection(conn.slot).unwrap().end_so_far(),
            ConnEnd::DataFin
        );
        let fc = MptcpOption::Fastclose(MpFastclose::new(KB));
        go(
            d,
            pkt(A, 1000, B, 80, 101, 501, TcpFlags::RST, &[fc], 0),
            5 * MS,
        );
        let c = d.connection(conn.slot).unwrap();
        assert_eq!(
            (c.end, c.end_so_far()),
            (ConnEnd::DataFin, ConnEnd::DataFin)
        );

        // The only subflow reset: Rst so far (closed class), until a join
        // links and the connection goes on.
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        go(
            d,
            pkt(B, 80, A, 1000, 501, 0, TcpFlags::RST, &[], 0),
            3 * MS,
        );
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.end, c.end_so_far()), (ConnEnd::Open, ConnEnd::Rst));
        assert_eq!(d.conns.class(conn.slot), Some(EvictClass::Closed));
        #[cfg(feature = "hmac")]
        {
            valid_join(d, Version::V1, Some(ThirdAck::Valid));
            let c = d.connection(conn.slot).unwrap();
            assert_eq!(c.end_so_far(), ConnEnd::Open);
            assert_eq!(d.conns.class(conn.slot), Some(EvictClass::Established));
        }
    }

    /// An MP_CAPABLE SYN from `A:port` to `B:80`.
    fn syn(port: u16) -> Vec<u8> {
        pkt(
            A,
            port,
            B,
            80,
            1,
            0,
            SYN,
            &[cap(Version::V1, None, None)],
            0,
        )
    }

    /// A busy link always has a fresh closed and a fresh embryonic subflow;
    /// an idle established connection must still expire after its 2 h
    /// (the expiry budget had gone on those two fresh heads every packet).
    #[test]
    fn idle_established_flows_expire_beside_fresh_ones() {
        const S: u64 = 1_000_000_000;
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let rst = TcpFlags::RST;
        go(d, syn(3000), 3 * MS);
        go(d, pkt(B, 80, A, 3000, 0, 2, rst | ACK, &[], 0), 4 * MS);
        let mut now = S;
        while now < 3 * 3600 * S {
            go(d, syn(2000), now);
            go(d, pkt(B, 80, A, 3000, 0, 2, rst | ACK, &[], 0), now);
            now += S;
        }
        assert!(d.connection(conn.slot).is_none(), "connection still there");
        let st = d.stats();
        assert_eq!((st.subflows_expired, st.connections_expired), (1, 1));
        assert_eq!(d.subflows().count(), 2);
    }

    /// The initial subflow evicted between its SYN/ACK and its third ACK
    /// (a SYN flood), its connection still there: the third ACK, which
    /// makes the subflow again, links it back to that connection (it had
    /// counted a token collision with it and left the connection without
    /// its subflow).
    #[test]
    fn initial_subflow_made_again_links_back() {
        let d = &mut dis();
        go(d, syn_v1(), 0);
        let conn = go(d, synack_pkt(Version::V1), MS).conn.unwrap();
        for port in 0..8u16 {
            go(d, syn(2000 + port), 2 * MS + u64::from(port));
        }
        assert_eq!(d.stats().subflows_evicted, 1);
        assert!(d.connection(conn.slot).is_some());
        let third = third_ack(Version::V1);
        let r = go(d, third, 3 * MS);
        assert_eq!(d.stats().token_collisions, 0);
        assert_eq!(r.conn, Some(conn));
        assert!(
            !events(&r).iter().any(|e| matches!(
                e,
                Event::NewConnection { .. } | Event::TokenCollision { .. }
            )),
            "{:?}",
            events(&r)
        );
        check_keys(d, conn, Version::V1);
        let c = d.connection(conn.slot).unwrap();
        assert_eq!((c.subflows_linked, c.subflows_established), (1, 1));
        assert_eq!(d.stats().connections, 1);
    }

    /// What is not linked back: a new connection on the same ports and
    /// keys after the first was reset (a capture merged with itself), and
    /// an MP_CAPABLE segment in the other direction. Each stays a token
    /// collision, and the old connection's counts do not move.
    #[test]
    fn counted_or_reused_initial_subflows_are_not_linked_back() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        go(
            d,
            pkt(A, 1000, B, 80, 101, 501, TcpFlags::RST, &[], 0),
            3 * MS,
        );
        let syn2 = pkt(
            A,
            1000,
            B,
            80,
            5000,
            0,
            SYN,
            &[cap(Version::V1, None, None)],
            0,
        );
        go(d, syn2, 4 * MS);
        let synack2 = pkt(
            B,
            80,
            A,
            1000,
            700,
            5001,
            synack(),
            &[cap(Version::V1, Some(KB), None)],
            0,
        );
        let r = go(d, synack2, 5 * MS);
        assert_ne!(r.conn, Some(conn));
        assert_eq!(d.stats().token_collisions, 1);
        let c = d.connection(conn.slot).unwrap();
        assert_eq!(
            (c.subflows_linked, c.subflows_established, c.subflows_reset),
            (1, 1, 1)
        );
        // Evicted before its third ACK, then the server's segment with both
        // keys (the other direction): not the initial subflow's role.
        let d = &mut dis();
        go(d, syn_v1(), 0);
        let conn = go(d, synack_pkt(Version::V1), MS).conn.unwrap();
        for port in 0..8u16 {
            go(d, syn(2000 + port), 2 * MS + u64::from(port));
        }
        let reverse = pkt(
            B,
            80,
            A,
            1000,
            501,
            101,
            ACK,
            &[cap(Version::V1, Some(KB), Some(KA))],
            0,
        );
        let r = go(d, reverse, 3 * MS);
        assert_ne!(r.conn, Some(conn));
        assert_eq!(d.connection(conn.slot).unwrap().subflows_established, 0);
    }

    /// The only subflow's id, state, `established()` and eviction class.
    fn only_sub(d: &D) -> (SlotId, SubflowState, bool, Option<EvictClass>) {
        let mut it = d.subflows();
        let (id, _, s) = it.next().unwrap();
        assert!(it.next().is_none());
        (id.0, s.state(), s.established(), d.subflows.class(id.0))
    }

    #[test]
    fn a_syn_answered_by_rst_is_never_established() {
        let d = &mut dis();
        go(d, syn_v1(), 0);
        let rst = TcpFlags::RST | ACK;
        let r = go(d, pkt(B, 80, A, 1000, 0, 101, rst, &[], 0), MS);
        assert!(matches!(
            events(&r)[..],
            [Event::SubflowClosed {
                end: SubflowEnd::Rst,
                ..
            }]
        ));
        let (id, state, est, class) = only_sub(d);
        assert_eq!(state, SubflowState::ResetInHandshake);
        assert!(!est);
        assert_eq!(class, Some(EvictClass::Closed));
        assert_eq!(d.subflow(id).unwrap().1.end(), SubflowEnd::Rst);
        // A stray ACK from the client afterwards establishes nothing, and a
        // second RST reports nothing.
        go(d, pkt(A, 1000, B, 80, 101, 1, ACK, &[], 0), 2 * MS);
        let r = go(d, pkt(B, 80, A, 1000, 1, 0, TcpFlags::RST, &[], 0), 3 * MS);
        assert!(r.events.is_empty());
        assert_eq!(only_sub(d).1, SubflowState::ResetInHandshake);
    }

    #[test]
    fn a_rst_the_client_would_ignore_does_not_end_the_handshake() {
        // RFC 9293 §3.10.7.3: in SYN-SENT a RST without ACK, or whose ACK
        // does not acknowledge the SYN, is ignored; the handshake goes on.
        let d = &mut dis();
        go(d, syn_v1(), 0);
        let rst = TcpFlags::RST;
        let r = go(d, pkt(B, 80, A, 1000, 0, 0, rst, &[], 0), MS / 4);
        assert!(r.events.is_empty(), "{:?}", events(&r));
        let r = go(d, pkt(B, 80, A, 1000, 0, 7, rst | ACK, &[], 0), MS / 2);
        assert!(r.events.is_empty(), "{:?}", events(&r));
        assert_eq!(only_sub(d).1, SubflowState::SynSeen);
        let r = go(d, synack_pkt(Version::V1), MS);
        let conn = r.conn.unwrap();
        // After the SYN/ACK, a RST far outside the client's window (a late
        // one of an earlier connection) neither.
        let r = go(
            d,
            pkt(A, 1000, B, 80, 0x8000_0000, 0, rst, &[], 0),
            MS * 3 / 2,
        );
        assert!(r.events.is_empty(), "{:?}", events(&r));
        let keys = [cap(Version::V1, Some(KA), Some(KB))];
        go(d, pkt(A, 1000, B, 80, 101, 501, ACK, &keys, 0), 2 * MS);
        let (_, state, est, _) = only_sub(d);
        assert_eq!((state, est), (SubflowState::Established, true));
        assert_eq!(d.connection(conn.slot).unwrap().subflows_established, 1);
    }

    #[test]
    fn a_client_rst_after_the_synack_is_never_established() {
        let d = &mut dis();
        go(d, syn_v1(), 0);
        go(d, synack_pkt(Version::V1), MS);
        // As Linux sends it (RST with ACK): the ACK does not complete the
        // handshake.
        let rst = TcpFlags::RST | ACK;
        go(d, pkt(A, 1000, B, 80, 101, 501, rst, &[], 0), 2 * MS);
        let (_, state, est, _) = only_sub(d);
        assert_eq!((state, est), (SubflowState::ResetInHandshake, false));
    }

    #[test]
    fn a_rst_after_the_handshake_is_a_reset_of_an_established_subflow() {
        let d = &mut dis();
        handshake(d, Version::V1);
        go(
            d,
            pkt(B, 80, A, 1000, 501, 0, TcpFlags::RST, &[], 0),
            3 * MS,
        );
        let (_, state, est, class) = only_sub(d);
        assert_eq!((state, est), (SubflowState::Reset, true));
        assert_eq!(class, Some(EvictClass::Closed));
    }

    #[test]
    fn a_fin_before_the_handshake_completes_does_not_establish() {
        // A SYN that also carries FIN.
        let d = &mut dis();
        let synfin = SYN | TcpFlags::FIN;
        let r = go(
            d,
            pkt(
                A,
                1000,
                B,
                80,
                100,
                0,
                synfin,
                &[cap(Version::V1, None, None)],
                0,
            ),
            0,
        );
        assert!(r.events.is_empty());
        let (_, state, est, class) = only_sub(d);
        assert_eq!((state, est), (SubflowState::SynSeen, false));
        assert_eq!(class, Some(EvictClass::Embryonic));

        // A SYN/ACK carrying FIN (a listener closing in SYN-RECEIVED): the
        // subflow waits for its third ACK, which still establishes it, and
        // later FINs both ways close it.
        let d = &mut dis();
        go(d, syn_v1(), 0);
        let fin_synack = synack() | TcpFlags::FIN;
        let caps = [cap(Version::V1, Some(KB), None)];
        go(d, pkt(B, 80, A, 1000, 500, 101, fin_synack, &caps, 0), MS);
        let (_, state, est, class) = only_sub(d);
        assert_eq!((state, est), (SubflowState::SynAckSeen, false));
        assert_eq!(class, Some(EvictClass::Embryonic));
        go(d, pkt(A, 1000, B, 80, 101, 502, ACK, &[], 0), 2 * MS);
        assert_eq!(only_sub(d).1, SubflowState::Established);
        let fin = TcpFlags::FIN | ACK;
        go(d, pkt(A, 1000, B, 80, 101, 502, fin, &[], 0), 3 * MS);
        assert_eq!(only_sub(d).1, SubflowState::FinC2s);
        let r = go(d, pkt(B, 80, A, 1000, 501, 102, fin, &[], 0), 4 * MS);
        assert!(matches!(
            events(&r)[..],
            [Event::SubflowClosed {
                end: SubflowEnd::Fin,
                ..
            }]
        ));
        assert_eq!(only_sub(d).1, SubflowState::Closed);
    }

    /// Closes the v1 handshake's subflow A:1000 ↔ B:80 with FINs both ways.
    fn close_both_ways(d: &mut D) {
        let fin = TcpFlags::FIN | ACK;
        go(d, pkt(A, 1000, B, 80, 101, 501, fin, &[], 0), 3 * MS);
        go(d, pkt(B, 80, A, 1000, 501, 102, fin, &[], 0), 4 * MS);
        assert_eq!(only_sub(d).1, SubflowState::Closed);
    }

    #[test]
    fn a_new_syn_on_a_closed_subflows_ports_starts_a_new_subflow() {
        const KB2: u64 = 0x1111_2222_3333_4444;
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        close_both_ways(d);
        let (old, ..) = only_sub(d);

        // The same SYN again (ISN 100): a late copy, not a new subflow.
        let r = go(d, syn_v1(), 5 * MS);
        assert!(r.events.is_empty(), "{:?}", events(&r));
        assert_eq!(only_sub(d).0, old);

        // Port reuse: a SYN with another ISN.
        let syn2 = pkt(
            A,
            1000,
            B,
            80,
            7000,
            0,
            SYN,
            &[cap(Version::V1, None, None)],
            0,
        );
        let r = go(d, syn2, 6 * MS);
        assert!(
            matches!(
                events(&r)[..],
                [Event::Evicted {
                    what: TableKind::Subflow,
                    class: EvictClass::Closed,
                    id,
                    cause: RemovalCause::Reused,
                    ..
                }] if id == old
            ),
            "{:?}",
            events(&r)
        );
        let (new, state, est, _) = only_sub(d);
        assert_ne!(new, old);
        assert_eq!(r.subflow, Some(SubflowId(new)));
        assert_eq!((state, est), (SubflowState::SynSeen, false));
        let st = d.stats();
        assert_eq!((st.subflows, st.subflows_reused), (2, 1));

        // Its handshake makes a second connection.
        let caps = [cap(Version::V1, Some(KB2), None)];
        let r = go(
            d,
            pkt(B, 80, A, 1000, 9000, 7001, synack(), &caps, 0),
            7 * MS,
        );
        let conn2 = r.conn.unwrap();
        assert_ne!(conn2, conn);
        assert!(matches!(events(&r)[..], [Event::NewConnection { conn: c }] if c == conn2));
        let caps = [cap(Version::V1, Some(KA), Some(KB2))];
        go(d, pkt(A, 1000, B, 80, 7001, 9001, ACK, &caps, 0), 8 * MS);
        assert_eq!(only_sub(d).1, SubflowState::Established);
        let c2 = d.connection(conn2.slot).unwrap();
        assert_eq!((c2.server_key, c2.subflows_established), (KB2, 1));
        assert_eq!(d.stats().connections, 2);
    }

    #[test]
    fn a_plain_syn_reusing_ended_ports_only_removes_the_old_subflow() {
        let d = &mut dis();
        handshake(d, Version::V1);
        close_both_ways(d);
        let untracked = d.stats().untracked;
        let r = go(d, pkt(A, 1000, B, 80, 7000, 0, SYN, &[], 0), 5 * MS);
        assert!(matches!(
            events(&r)[..],
            [Event::Evicted {
                cause: RemovalCause::Reused,
                ..
            }]
        ));
        assert_eq!(r.subflow, None);
        assert_eq!(d.subflows().count(), 0);
        let st = d.stats();
        assert_eq!((st.subflows, st.subflows_reused), (1, 1));
        assert_eq!(st.untracked, untracked + 1);
    }

    #[test]
    fn a_syn_from_the_other_end_reuses_a_reset_subflows_ports() {
        let d = &mut dis();
        handshake(d, Version::V1);
        go(
            d,
            pkt(B, 80, A, 1000, 501, 0, TcpFlags::RST, &[], 0),
            3 * MS,
        );
        let (old, ..) = only_sub(d);
        // B:80 now connects to A:1000: the reverse direction's SYN.
        let syn = pkt(
            B,
            80,
            A,
            1000,
            100,
            0,
            SYN,
            &[cap(Version::V1, None, None)],
            0,
        );
        let r = go(d, syn, 4 * MS);
        assert!(matches!(
            events(&r)[..],
            [Event::Evicted {
                cause: RemovalCause::Reused,
                ..
            }]
        ));
        let (new, state, ..) = only_sub(d);
        assert_ne!(new, old);
        assert_eq!(state, SubflowState::SynSeen);
        assert_eq!(r.role, Some(Role::C2s));
        // A SYN on a live subflow's ports is no reuse.
        let d = &mut dis();
        handshake(d, Version::V1);
        let (live, ..) = only_sub(d);
        let syn2 = pkt(
            A,
            1000,
            B,
            80,
            7000,
            0,
            SYN,
            &[cap(Version::V1, None, None)],
            0,
        );
        let r = go(d, syn2, 3 * MS);
        assert!(r.events.is_empty());
        assert_eq!(only_sub(d).0, live);
        assert_eq!(d.stats().subflows_reused, 0);
        // Nor does it move the subflow's sequence space; a stray SYN/ACK
        // neither.
        let bad_synack = pkt(B, 80, A, 1000, 9999, 101, synack(), &[], 0);
        let r = go(d, bad_synack, 4 * MS);
        assert!(r.events.is_empty(), "{:?}", events(&r));
        let s = *d.subflow(live).unwrap().1;
        assert_eq!((s.isn(Role::C2s), s.isn(Role::S2c)), (Some(100), Some(500)));
        assert_eq!((s.seq_hi(Role::C2s), s.seq_hi(Role::S2c)), (101, 501));
    }

    #[test]
    fn eviction_order_and_idle_expiry() {
        // 8 subflow slots: fill with SYNs, close one, then a 9th SYN evicts
        // the closed one first, and the next the oldest embryonic one.
        let d = &mut dis();
        for port in 0..8u16 {
            go(d, syn(port), u64::from(port) * MS);
        }
        let r = go(
            d,
            pkt(B, 80, A, 5, 1, 2, TcpFlags::RST | TcpFlags::ACK, &[], 0),
            9 * MS,
        );
        assert!(matches!(events(&r)[..], [Event::SubflowClosed { .. }]));
        let r = go(d, syn(100), 10 * MS);
        assert!(
            matches!(
                events(&r)[..],
                [Event::Evicted {
                    what: TableKind::Subflow,
                    class: EvictClass::Closed,
                    cause: RemovalCause::Evicted,
                    ..
                }]
            ),
            "{:?}",
            events(&r)
        );
        let mut gone = Vec::new();
        d.dissect_with(&syn(101), LinkType::Ipv4, 11 * MS, |g| gone.push(g));
        assert!(
            matches!(gone[..], [Gone::Subflow { key, cause: RemovalCause::Evicted, .. }] if key.first().1 == 0 || key.second().1 == 0),
            "{gone:?}"
        );
        assert_eq!(d.stats().subflows_evicted, 2);
        // Idle expiry: embryonic after 30 s, bounded work per packet.
        let mut n = 0;
        for i in 0..8 {
            let r = go(d, pkt(A, 9, B, 9, 0, 0, ACK, &[], 0), 31 * 1_000 * MS + i);
            n += r
                .events
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        Event::Evicted {
                            cause: RemovalCause::Idle,
                            ..
                        }
                    )
                })
                .count();
        }
        assert_eq!(n, 8);
        assert_eq!(d.subflows().count(), 0);
    }

    /// The eviction hints of a burst walk, one level a call, the subflow
    /// victim's and the connection victim's removals and then the
    /// connection's client-token entry, in that order: exactly the
    /// addresses the tables' own hints give for those entries. (Level 2,
    /// the index cluster after an entry, is often empty in tables this
    /// small; `table_basic` checks that level on its own.)
    #[test]
    fn eviction_hints_reach_the_victims_token_entry() {
        let mut d = dis();
        // Eight handshakes: both tables full (8 subflows, 4 connections).
        for i in 0..8u16 {
            let (ka, kb) = (KA.wrapping_add(u64::from(i)), KB.wrapping_add(u64::from(i)));
            let port = 1000 + i;
            let t = u64::from(i) * 10 * MS;
            go(
                &mut d,
                pkt(
                    A,
                    port,
                    B,
                    80,
                    100,
                    0,
                    SYN,
                    &[cap(Version::V1, None, None)],
                    0,
                ),
                t,
            );
            go(
                &mut d,
                pkt(
                    B,
                    80,
                    A,
                    port,
                    500,
                    101,
                    synack(),
                    &[cap(Version::V1, Some(kb), None)],
                    0,
                ),
                t + MS,
            );
            go(
                &mut d,
                pkt(
                    A,
                    port,
                    B,
                    80,
                    101,
                    501,
                    ACK,
                    &[cap(Version::V1, Some(ka), Some(kb))],
                    0,
                ),
                t + 2 * MS,
            );
        }
        assert_eq!(d.connections().count(), 4, "the connection table is full");
        assert_eq!(d.subflows().count(), 8, "the subflow table is full");
        let v = d.view();
        let (sv, cv) = (
            v.subflows.next_victim().unwrap(),
            v.conns.next_victim().unwrap(),
        );
        let mut want = Vec::new();
        let mut token = None;
        for level in 0..3 {
            v.subflows.removal_hints(sv, level, |p| want.push(p));
            let entry = v.conns.removal_hints(cv, level, |p| want.push(p));
            if level == 1 {
                let t = entry
                    .and_then(|(_, c)| c.client_token())
                    .expect("client token");
                let hash = v.tokens.hash_of(&t);
                want.push(v.tokens.index_addr(hash));
                token = Some(v.tokens.slot_addr(hash).expect("token entry").1);
            }
        }
        for level in 0..3 {
            v.tokens
                .removal_hints(token.unwrap(), level, |p| want.push(p));
        }
        let mut got = Vec::new();
        let mut ahead = EvictAhead::NONE;
        for _ in 0..12 {
            v.hint_evictions(&mut ahead, |p| got.push(p));
        }
        assert!(matches!(ahead.token, TokenAhead::Done));
        assert_eq!(got, want);
    }

    /// `prefetch_lines` names each cache line a value touches once, at
    /// every offset of the value within a line.
    #[test]
    fn prefetch_lines_covers_every_line() {
        #[repr(C, align(64))]
        struct Lines([u8; 512]);
        let buf = Lines([0; 512]);
        for size in [1usize, 63, 64, 80, 128] {
            for off in 0..64 {
                let v: &[u8] = &buf.0[off..off + size];
                let mut got = std::vec::Vec::new();
                match size {
                    1 => prefetch_lines(<&[u8; 1]>::try_from(v).unwrap(), &mut |p| got.push(p)),
                    63 => prefetch_lines(<&[u8; 63]>::try_from(v).unwrap(), &mut |p| got.push(p)),
                    64 => prefetch_lines(<&[u8; 64]>::try_from(v).unwrap(), &mut |p| got.push(p)),
                    80 => prefetch_lines(<&[u8; 80]>::try_from(v).unwrap(), &mut |p| got.push(p)),
                    _ => prefetch_lines(<&[u8; 128]>::try_from(v).unwrap(), &mut |p| got.push(p)),
                }
                let lines: std::vec::Vec<usize> = got.iter().map(|&p| p as usize / 64).collect();
                let base = buf.0.as_ptr() as usize / 64;
                let want: std::vec::Vec<usize> = (off / 64..=(off + size - 1) / 64)
                    .map(|l| base + l)
                    .collect();
                assert_eq!(lines, want, "size {size} offset {off}");
            }
        }
    }

    /// The default config's LRU grace period (2²⁹ ns) reaches the tables: a
    /// subflow touched again within the period of its insertion stays the
    /// eviction victim; touched in the next period, it moves and the next
    /// oldest goes.
    #[test]
    fn lru_grace_from_config() {
        assert_eq!(DissectorConfig::default().lru_grace(), 1 << 29);
        let tiny = DissectorConfig {
            timeouts: PerClass::splat(31),
            ..DissectorConfig::default()
        };
        assert_eq!(tiny.lru_grace(), 0);
        for (again, victim) in [(8 * MS, 0u16), (540 * MS, 1)] {
            let d = &mut dis();
            for port in 0..8u16 {
                go(d, syn(port), u64::from(port) * MS);
            }
            // The SYN of port 0 again (a retransmission).
            go(d, syn(0), again);
            let mut gone = Vec::new();
            d.dissect_with(&syn(100), LinkType::Ipv4, again + MS, |g| gone.push(g));
            assert!(
                matches!(gone[..], [Gone::Subflow { key, cause: RemovalCause::Evicted, .. }]
                    if key.first().1 == victim || key.second().1 == victim),
                "touched at {again} ns: {gone:?}"
            );
        }
    }

    #[test]
    fn an_ended_connection_keeps_its_end_when_it_expires() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        data_fin_both_ways(d);
        assert_eq!(
            d.connection(conn.slot).unwrap().current_end(),
            ConnEnd::DataFin
        );
        let mut gone = Vec::new();
        for i in 0..4 {
            d.dissect_with(
                &pkt(A, 9, B, 9, 0, 0, ACK, &[], 0),
                LinkType::Ipv4,
                7201 * 1_000 * MS + i,
                |g| gone.push(g),
            );
        }
        let end = gone.iter().find_map(|g| match g {
            Gone::Connection { conn, .. } => Some(conn.end),
            _ => None,
        });
        assert_eq!(end, Some(ConnEnd::DataFin), "not Idle: it had ended");
    }

    #[test]
    fn connection_idle_and_eviction_reported() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let mut gone = Vec::new();
        // Established timeout is 2 h.
        for i in 0..4 {
            d.dissect_with(
                &pkt(A, 9, B, 9, 0, 0, ACK, &[], 0),
                LinkType::Ipv4,
                7201 * 1_000 * MS + i,
                |g| gone.push(g),
            );
        }
        let c = gone.iter().find_map(|g| match g {
            Gone::Connection { id, conn, .. } => Some((*id, *conn)),
            _ => None,
        });
        let (id, c) = c.unwrap();
        assert_eq!(id, conn);
        assert_eq!(c.end, ConnEnd::Idle);
        assert_eq!(d.connections().count(), 0);
        // Its alias token left with it.
        assert!(d.tokens.is_empty());
    }

    #[cfg(feature = "analysis")]
    fn csum_dss(dsn: u64, ssn: u32, len: u16, csum: u16) -> MptcpOption<'static> {
        MptcpOption::Dss(Dss {
            flags: 0,
            reserved: 0,
            data_ack: None,
            mapping: Some(DssMapping {
                dsn,
                dsn_wide: true,
                ssn,
                data_len: len,
                checksum: Some(csum),
            }),
        })
    }

    /// Needs the analysis layer (side arrays, checksums, evidence).
    #[cfg(feature = "analysis")]
    #[test]
    fn dss_checksums_through_the_engine() {
        use crate::analysis::{DssVerdict, MiddleboxVerdict, MpFailMatch};
        use crate::checksum::{dss_checksum, dss_pseudo_header, Checksum};
        let mut d = Dissector::<8, 4>::new(
            [3; 16],
            DissectorConfig {
                dss_all_events: true,
                ..DissectorConfig::default()
            },
        );
        let conn = handshake(&mut d, Version::V1);
        let idsn = crypto::key_hash(Version::V1, KA).idsn;
        let good = dss_checksum(dss_pseudo_header(idsn + 1, 1, 300), Checksum::of(&[0; 300]));
        // A 300-byte mapping over two segments (DSS repeated), valid.
        let opt = csum_dss(idsn + 1, 1, 300, good);
        let r = go(
            &mut d,
            pkt(A, 1000, B, 80, 101, 501, ACK, &[opt], 200),
            3 * MS,
        );
        assert!(events(&r).is_empty(), "{:?}", events(&r));
        let r = go(
            &mut d,
            pkt(A, 1000, B, 80, 301, 501, ACK, &[opt], 100),
            4 * MS,
        );
        assert!(matches!(
            events(&r)[..],
            [Event::Mapping { dsn, verdict: DssVerdict::Valid, sender: Role::C2s, .. }] if dsn == idsn + 1
        ));
        // Next mapping with a wrong checksum → invalid, then the server's
        // MP_FAIL naming it is matched.
        let opt = csum_dss(idsn + 301, 301, 100, good);
        let r = go(
            &mut d,
            pkt(A, 1000, B, 80, 401, 501, ACK, &[opt], 100),
            5 * MS,
        );
        assert!(matches!(
            events(&r)[..],
            [Event::Mapping { verdict: DssVerdict::Invalid, dsn, .. }] if dsn == idsn + 301
        ));
        let fail = MptcpOption::Fail(MpFail {
            dsn: idsn + 301,
            reserved: 0,
        });
        let r = go(
            &mut d,
            pkt(B, 80, A, 1000, 501, 501, ACK, &[fail], 0),
            6 * MS,
        );
        assert!(events(&r).contains(&Event::MpFailMatched {
            conn,
            dsn: idsn + 301,
            result: MpFailMatch::Flagged
        }));
        let a = d.conn_analysis(conn.slot).unwrap();
        assert_eq!((a.counters.valid, a.counters.invalid), (1, 1));
        assert_eq!(
            d.verdict(conn.slot),
            Some(MiddleboxVerdict::FallbackAfterFail)
        );
        let st = d.stats();
        assert_eq!((st.dss_valid, st.dss_invalid), (1, 1));
    }

    /// Needs the analysis layer (side arrays, checksums, evidence).
    #[cfg(feature = "analysis")]
    #[test]
    fn tcp_checksum_bad_segment_not_summed() {
        use crate::analysis::DssVerdict;
        use crate::checksum::{dss_checksum, dss_pseudo_header, Checksum};
        let mut d = Dissector::<8, 4>::new(
            [3; 16],
            DissectorConfig {
                verify_tcp_checksum: true,
                ..DissectorConfig::default()
            },
        );
        // The test packets carry a zero TCP checksum: every one is bad.
        let conn = handshake_lenient(&mut d);
        let idsn = crypto::key_hash(Version::V1, KA).idsn;
        let good = dss_checksum(dss_pseudo_header(idsn + 1, 1, 100), Checksum::of(&[0; 100]));
        let opt = csum_dss(idsn + 1, 1, 100, good);
        let r = go(
            &mut d,
            pkt(A, 1000, B, 80, 101, 501, ACK, &[opt], 100),
            3 * MS,
        );
        assert_eq!(
            events(&r),
            [Event::TcpChecksumBad {
                subflow: r.subflow.unwrap()
            }]
        );
        assert!(!events(&r).iter().any(|e| matches!(
            e,
            Event::Mapping {
                verdict: DssVerdict::Invalid,
                ..
            }
        )));
        // The SYN came before the connection existed: 3 on the connection,
        // 4 on the subflow.
        assert_eq!(d.conn_analysis(conn.slot).unwrap().tcp_checksum_errors, 3);
        let sa = d.subflow_analysis(r.subflow.unwrap().0).unwrap();
        assert_eq!(sa.tcp_checksum_errors, 4);
        assert_eq!(d.stats().dss_valid + d.stats().dss_invalid, 0);
    }

    /// A segment whose TCP checksum is bad (here its DSS checksum field was
    /// corrupted in flight) brings nothing to the DSS check, not even its
    /// mapping: its intact retransmission is `Valid` (it was checked
    /// against the corrupted checksum until the nineteenth session, a
    /// false `Invalid`). The same for a bad segment whose carried
    /// data-level length reads 0 (it would have ended the direction's
    /// checks as an infinite mapping). Expected checksum 0x74ee computed
    /// outside the crate (Python, RFC 1071 over the 64-bit DSN
    /// 0x5707_62cd_38be_9819, SSN 1, length 100, then 100 zero bytes).
    #[cfg(feature = "analysis")]
    #[test]
    fn a_bad_segments_dss_option_is_not_trusted() {
        use crate::analysis::DssVerdict;
        let idsn = crypto::key_hash(Version::V1, KA).idsn;
        assert_eq!(idsn.wrapping_add(1), 0x5707_62cd_38be_9819);
        for bad_option in [
            csum_dss(idsn + 1, 1, 100, 0x74ee ^ 0x0001),
            csum_dss(idsn + 1, 1, 0, 0x74ee),
        ] {
            let mut d = D::new(
                [3; 16],
                DissectorConfig {
                    verify_tcp_checksum: true,
                    dss_all_events: true,
                    ..DissectorConfig::default()
                },
            );
            handshake_lenient(&mut d);
            let mut bad = fix_tcp(pkt(A, 1000, B, 80, 101, 501, ACK, &[bad_option], 100));
            bad[36] ^= 0x55;
            let before = d.stats().tcp_checksum_bad;
            let r1 = go(&mut d, bad, 3 * MS);
            assert_eq!(d.stats().tcp_checksum_bad, before + 1);
            assert!(
                !events(&r1)
                    .iter()
                    .any(|e| matches!(e, Event::Mapping { .. })),
                "{:?}",
                events(&r1)
            );
            let good = csum_dss(idsn + 1, 1, 100, 0x74ee);
            let r2 = go(
                &mut d,
                fix_tcp(pkt(A, 1000, B, 80, 101, 501, ACK, &[good], 100)),
                4 * MS,
            );
            let verdicts: Vec<DssVerdict> = events(&r2)
                .iter()
                .filter_map(|e| match e {
                    Event::Mapping { verdict, .. } => Some(*verdict),
                    _ => None,
                })
                .collect();
            assert_eq!(verdicts, [DssVerdict::Valid], "{:?}", events(&r2));
        }
    }

    /// A DSS with a 4-byte DSN and a checksum.
    #[cfg(feature = "analysis")]
    fn csum_dss32(dsn: u64, ssn: u32, len: u16, csum: u16) -> MptcpOption<'static> {
        MptcpOption::Dss(Dss {
            flags: 0,
            reserved: 0,
            data_ack: None,
            mapping: Some(DssMapping {
                dsn: dsn & 0xffff_ffff,
                dsn_wide: false,
                ssn,
                data_len: len,
                checksum: Some(csum),
            }),
        })
    }

    /// The mapping verdicts among `r`'s events.
    #[cfg(feature = "analysis")]
    fn mapping_verdicts(r: &R) -> Vec<crate::analysis::DssVerdict> {
        events(r)
            .iter()
            .filter_map(|e| match e {
                Event::Mapping { verdict, .. } => Some(*verdict),
                _ => None,
            })
            .collect()
    }

    /// A 4-byte DSN is checked over the 64-bit DSN, whose upper half comes
    /// from the IDSN or an 8-byte DSN. With the v1 third ACK (the client's
    /// key) missing from the capture, the client's IDSN is unknown: the
    /// mapping is `Unverifiable(UnknownDsn)` (until the nineteenth session
    /// the upper half was taken as 0: a false `Invalid`); once an 8-byte
    /// DSN has shown the upper half, the next 4-byte ones are checked
    /// (`Valid`). With the whole handshake the first one is `Valid`.
    /// Expected checksums computed outside the crate (Python, RFC 1071):
    /// 100 zero bytes at DSN IDSN + k, SSN k: 0x74ee (k = 1), 0x7426
    /// (101), 0x735e (201), IDSN = 0x5707_62cd_38be_9818.
    #[cfg(feature = "analysis")]
    #[test]
    fn a_4_byte_dsn_without_its_upper_half_is_not_checked() {
        use crate::analysis::{DssVerdict, UnverifiableReason};
        let idsn = crypto::key_hash(Version::V1, KA).idsn;
        assert_eq!(idsn, 0x5707_62cd_38be_9818);
        let config = DissectorConfig {
            dss_all_events: true,
            ..DissectorConfig::default()
        };
        let data = |d: &mut D, k: u32, opt: MptcpOption<'static>, now: u64| {
            go(d, pkt(A, 1000, B, 80, 100 + k, 501, ACK, &[opt], 100), now)
        };
        // Without the third ACK.
        let mut d = D::new([3; 16], config);
        syn_synack_lenient(&mut d);
        let r = data(&mut d, 1, csum_dss32(idsn + 1, 1, 100, 0x74ee), 3 * MS);
        assert_eq!(
            mapping_verdicts(&r),
            [DssVerdict::Unverifiable(UnverifiableReason::UnknownDsn)]
        );
        let r = data(&mut d, 101, csum_dss(idsn + 101, 101, 100, 0x7426), 4 * MS);
        assert_eq!(mapping_verdicts(&r), [DssVerdict::Valid]);
        let r = data(
            &mut d,
            201,
            csum_dss32(idsn + 201, 201, 100, 0x735e),
            5 * MS,
        );
        assert_eq!(mapping_verdicts(&r), [DssVerdict::Valid]);
        // With the whole handshake.
        let mut d = D::new([3; 16], config);
        handshake(&mut d, Version::V1);
        let r = data(&mut d, 1, csum_dss32(idsn + 1, 1, 100, 0x74ee), 3 * MS);
        assert_eq!(mapping_verdicts(&r), [DssVerdict::Valid]);
    }

    /// A late copy of the SYN or SYN/ACK (reordered, duplicated) does not
    /// rewind the highest sequence end past the data already seen (until
    /// the nineteenth session it did, and the data's retransmissions then
    /// counted as new).
    #[test]
    fn a_late_syn_copy_keeps_the_sequence_high_water_mark() {
        let mut d = dis();
        handshake(&mut d, Version::V1);
        let r = go(&mut d, pkt(A, 1000, B, 80, 101, 501, ACK, &[], 100), 3 * MS);
        let sid = r.subflow.unwrap();
        let r = go(&mut d, pkt(B, 80, A, 1000, 501, 201, ACK, &[], 50), 3 * MS);
        assert_eq!(r.subflow, Some(sid));
        let hi = |d: &D| {
            let s = d.subflow(sid.0).unwrap().1;
            (s.seq_hi(Role::C2s), s.seq_hi(Role::S2c))
        };
        assert_eq!(hi(&d), (201, 551));
        let syn = syn_v1();
        go(&mut d, syn, 4 * MS);
        let synack = synack_pkt(Version::V1);
        go(&mut d, synack, 4 * MS);
        assert_eq!(hi(&d), (201, 551));
    }

    #[cfg(feature = "analysis")]
    /// The v1 SYN and SYN/ACK (A:1000 → B:80, keys of B only) without
    /// asserting on events; returns the connection they made.
    fn syn_synack_lenient(d: &mut D) -> ConnId {
        go(d, syn_v1(), 0);
        let r = go(d, synack_pkt(Version::V1), MS);
        r.conn.unwrap()
    }

    #[cfg(feature = "analysis")]
    /// The v1 handshake without asserting on events (TCP checksum events
    /// are expected); returns the connection.
    fn handshake_lenient(d: &mut D) -> ConnId {
        let conn = syn_synack_lenient(d);
        go(d, third_ack(Version::V1), 2 * MS);
        conn
    }

    /// Needs the analysis layer (side arrays, checksums, evidence).
    #[cfg(feature = "analysis")]
    #[test]
    fn mirrored_and_stripped_synacks() {
        use crate::analysis::{MiddleboxVerdict, MirrorEvidence, StripEvidence};
        let mut d = dis();
        go(
            &mut d,
            pkt(
                A,
                1001,
                B,
                80,
                100,
                0,
                SYN,
                &[cap(Version::V1, None, None)],
                0,
            ),
            0,
        );
        // A keyless v1 SYN/ACK (its option list is the SYN's, byte for
        // byte): a mirror.
        let both = MirrorEvidence::V1_KEYLESS.union(MirrorEvidence::OPTIONS_ECHO);
        let r = go(
            &mut d,
            pkt(
                B,
                80,
                A,
                1001,
                500,
                101,
                synack(),
                &[cap(Version::V1, None, None)],
                0,
            ),
            MS,
        );
        let sid = r.subflow.unwrap();
        assert!(events(&r).contains(&Event::Mirrored {
            subflow: sid,
            conn: None,
            evidence: both
        }));
        assert_eq!(
            d.subflow_verdict(sid.0),
            Some(MiddleboxVerdict::Mirrored(both))
        );
        // A SYN/ACK without MP_CAPABLE: stripped.
        go(
            &mut d,
            pkt(
                A,
                1002,
                B,
                80,
                100,
                0,
                SYN,
                &[cap(Version::V1, None, None)],
                0,
            ),
            0,
        );
        let r = go(&mut d, pkt(B, 80, A, 1002, 500, 101, synack(), &[], 0), MS);
        let sid = r.subflow.unwrap();
        assert!(events(&r).contains(&Event::Stripped {
            subflow: sid,
            conn: None,
            evidence: StripEvidence::SYNACK
        }));
        // A genuine handshake: no evidence.
        let mut d = dis();
        let conn = handshake(&mut d, Version::V0);
        assert_eq!(d.verdict(conn.slot), Some(MiddleboxVerdict::Mptcp));
    }

    #[cfg(feature = "analysis")]
    /// `p` (from [`pkt`]) with NOP NOP Timestamps inserted first.
    fn with_ts(mut p: Vec<u8>, tsval: u32, tsecr: u32) -> Vec<u8> {
        let mut o = std::vec![1, 1, 8, 10];
        o.extend_from_slice(&tsval.to_be_bytes());
        o.extend_from_slice(&tsecr.to_be_bytes());
        p.splice(40..40, o);
        let total = p.len();
        p[2] = (total >> 8) as u8;
        p[3] = total as u8;
        p[32] += 3 << 4;
        p
    }

    /// Needs the analysis layer (side arrays, checksums, evidence).
    #[cfg(feature = "analysis")]
    #[test]
    fn ts_rtt_samples_through_the_engine() {
        let d = &mut dis();
        // Handshake with timestamps: SYN TSval 100 at 0, SYN/ACK echoes it
        // at 1 ms (c2s sample 1 ms), third ACK echoes the SYN/ACK's 7000 at
        // 2 ms (s2c sample 1 ms).
        let p = syn_v1();
        let r = go(d, with_ts(p, 100, 0), 0);
        let sid = r.subflow.unwrap().0;
        let o = [cap(Version::V1, Some(KB), None)];
        go(
            d,
            with_ts(pkt(B, 80, A, 1000, 500, 101, synack(), &o, 0), 7000, 100),
            MS,
        );
        let o = [cap(Version::V1, Some(KA), Some(KB))];
        go(
            d,
            with_ts(pkt(A, 1000, B, 80, 101, 501, ACK, &o, 0), 101, 7000),
            2 * MS,
        );
        let one = |min_us, avg_us, samples| {
            Some(RttStats {
                min_us,
                avg_us,
                samples,
            })
        };
        assert_eq!(d.subflow_ts_rtt(sid, Role::C2s), one(1000, 1000, 1));
        assert_eq!(d.subflow_ts_rtt(sid, Role::S2c), one(1000, 1000, 1));
        // Data A→B TSval 200 at 10 ms, B's ACK echoes it at 15 ms: 5 ms.
        let data =
            |seq, tsval, tsecr| with_ts(pkt(A, 1000, B, 80, seq, 501, ACK, &[], 100), tsval, tsecr);
        let ack =
            |ackn, tsval, tsecr| with_ts(pkt(B, 80, A, 1000, 501, ackn, ACK, &[], 0), tsval, tsecr);
        go(d, data(101, 200, 7000), 10 * MS);
        go(d, ack(201, 7010, 200), 15 * MS);
        assert_eq!(d.subflow_ts_rtt(sid, Role::C2s), one(1000, 3000, 2));
        // Retransmission with the same TSval at 20 ms, echoed at 21 ms: not
        // a sample.
        go(d, data(101, 200, 7010), 20 * MS);
        go(d, ack(201, 7020, 200), 21 * MS);
        assert_eq!(d.subflow_ts_rtt(sid, Role::C2s), one(1000, 3000, 2));
        // B's pure ACKs were not timed.
        assert_eq!(d.subflow_ts_rtt(sid, Role::S2c), one(1000, 1000, 1));
        // New TSval: 3 ms.
        go(d, data(201, 230, 7020), 30 * MS);
        go(d, ack(301, 7030, 230), 33 * MS);
        assert_eq!(d.subflow_ts_rtt(sid, Role::C2s), one(1000, 3000, 3));
        assert_eq!(
            d.subflow_analysis(sid).unwrap().ts_rtt(Role::C2s),
            one(1000, 3000, 3)
        );
    }

    #[test]
    fn no_timestamps_no_samples() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let sid = d.subflows().next().unwrap().0 .0;
        go(d, pkt(A, 1000, B, 80, 101, 501, ACK, &[], 100), 3 * MS);
        go(d, pkt(B, 80, A, 1000, 501, 201, ACK, &[], 0), 4 * MS);
        assert!(d.connection(conn.slot).is_some());
        assert_eq!(d.subflow_ts_rtt(sid, Role::C2s), None);
        assert_eq!(d.subflow_ts_rtt(sid, Role::S2c), None);
    }

    #[test]
    fn malformed_and_untracked_counted() {
        let d = &mut dis();
        let r = d.dissect(&[0x45, 0, 0], LinkType::Ipv4, 0);
        assert!(r.frame.is_err());
        go(d, pkt(A, 1, B, 2, 0, 0, ACK, &[], 5), 0);
        let s = d.stats();
        assert_eq!((s.packets, s.malformed, s.tcp, s.untracked), (2, 1, 1, 1));
    }

    #[cfg(feature = "analysis")]
    /// `p` (a raw IPv4 packet from `pkt`) with a right TCP checksum.
    fn fix_tcp(mut p: Vec<u8>) -> Vec<u8> {
        let (src, dst) = (Ipv4Addr::from(A), Ipv4Addr::from(B));
        let (src, dst) = if p[12..16] == A {
            (src, dst)
        } else {
            (dst, src)
        };
        let c = crate::checksum::compute_tcp(src.into(), dst.into(), &p[20..]);
        p[36..38].copy_from_slice(&c.to_be_bytes());
        p
    }

    #[cfg(feature = "analysis")]
    /// What one dissector call left: the dissection, its events, the
    /// removed entries, then (after the run) the counters and the analysis
    /// of every live subflow and connection.
    fn trace(
        frames: &[Vec<u8>],
        verify: bool,
        call: impl Fn(&mut D, &[u8], &mut Vec<Gone>) -> std::string::String,
    ) -> Vec<std::string::String> {
        use std::format;
        let mut d = Dissector::<8, 4>::new(
            [3; 16],
            DissectorConfig {
                verify_tcp_checksum: verify,
                dss_all_events: true,
                ..DissectorConfig::default()
            },
        );
        let mut out = Vec::new();
        for f in frames {
            let mut gone = Vec::new();
            let r = call(&mut d, f, &mut gone);
            out.push(format!("{r} {:?} {gone:?}", d.events()));
        }
        out.push(format!("{:?}", d.stats()));
        for (id, _, s) in d.subflows() {
            out.push(format!("{s:?} {:?}", d.subflow_analysis(id.0)));
        }
        for (id, c) in d.connections() {
            out.push(format!("{c:?} {:?}", d.conn_analysis(id.slot)));
        }
        out
    }

    /// Needs the analysis layer (side arrays, checksums, evidence).
    #[cfg(feature = "analysis")]
    #[test]
    fn a_given_tcp_check_is_the_verifying_path() {
        use crate::checksum::{dss_checksum, dss_pseudo_header, Checksum};
        use std::format;
        let idsn = crypto::key_hash(Version::V1, KA).idsn;
        let good = dss_checksum(dss_pseudo_header(idsn + 1, 1, 300), Checksum::of(&[0; 300]));
        let syn = syn_v1();
        let synack = synack_pkt(Version::V1);
        let third = third_ack(Version::V1);
        let first = pkt(
            A,
            1000,
            B,
            80,
            101,
            501,
            ACK,
            &[csum_dss(idsn + 1, 1, 300, good)],
            200,
        );
        let second = pkt(
            A,
            1000,
            B,
            80,
            301,
            501,
            ACK,
            &[csum_dss(idsn + 1, 1, 300, good)],
            100,
        );
        let wrong = pkt(
            A,
            1000,
            B,
            80,
            401,
            501,
            ACK,
            &[csum_dss(idsn + 301, 301, 100, good)],
            100,
        );
        // Cut by a snap length: not checked, whatever is given.
        let mut cut = fix_tcp(pkt(A, 1000, B, 80, 501, 501, ACK, &[], 100));
        cut.truncate(cut.len() - 10);
        // Right TCP checksums, except on `second` (the mapping is then
        // unverifiable, its bytes missing) and on a retransmission of it.
        let frames = [
            fix_tcp(syn),
            fix_tcp(synack),
            fix_tcp(third),
            fix_tcp(first),
            second.clone(),
            fix_tcp(second),
            fix_tcp(wrong),
            cut,
            std::vec![0x45, 0, 0],
        ];
        let verifying = trace(&frames, true, |d, f, g| {
            format!("{:?}", d.dissect_with(f, LinkType::Ipv4, 7, |x| g.push(x)))
        });
        let given = |how: fn(&Frame<'_>) -> Option<TcpCheck>, flag| {
            trace(&frames, flag, move |d, f, g| {
                let check = parse_frame(f, LinkType::Ipv4).ok().and_then(|fr| how(&fr));
                format!(
                    "{:?}",
                    d.dissect_checked(f, LinkType::Ipv4, 7, check, |x| g.push(x))
                )
            })
        };
        // The same check computed outside, whatever the flag says.
        assert_eq!(given(TcpCheck::of_frame, false), verifying);
        assert_eq!(given(TcpCheck::of_frame, true), verifying);
        // A NIC's verdict without the sum, or with the sum derived from the
        // header: the same (the DSS checksum sums the payload itself).
        let nic = |f: &Frame<'_>| TcpCheck::of_frame(f).map(|c| TcpCheck::verdict_only(c.valid));
        assert_eq!(given(nic, false), verifying);
        let nic_sum = |f: &Frame<'_>| match TcpCheck::of_frame(f) {
            Some(c) if c.valid => TcpCheck::offload_valid(f),
            other => other,
        };
        assert_eq!(given(nic_sum, false), verifying);
        // Not checked: the path without verification.
        let unchecked = trace(&frames, false, |d, f, g| {
            format!("{:?}", d.dissect_with(f, LinkType::Ipv4, 7, |x| g.push(x)))
        });
        assert_ne!(unchecked, verifying);
        assert_eq!(given(|_| None, true), unchecked);
        // A verdict given for a frame the dissector does not check is
        // ignored.
        let all_bad =
            |f: &Frame<'_>| Some(TcpCheck::of_frame(f).unwrap_or(TcpCheck::verdict_only(false)));
        assert_eq!(given(all_bad, false), verifying);
    }

    /// `events()` holds the last call's events only: a packet with none, or
    /// a frame that is not a TCP segment, leaves it empty, and a shorter
    /// list does not show the tail of a longer earlier one.
    #[test]
    fn events_are_those_of_the_last_call() {
        let d = &mut dis();
        let conn = handshake(d, Version::V1);
        let fast = MptcpOption::Fastclose(crate::wire::mptcp::MpFastclose {
            receiver_key: KB,
            reserved: 0,
        });
        let r = go(d, pkt(A, 1000, B, 80, 100, 200, ACK, &[fast], 0), 3);
        assert!(matches!(events(&r)[..], [Event::Fastclose { conn: c }] if c == conn));
        assert_eq!(d.events().len(), 1);
        let r = d.dissect(&[0x45, 0, 0], LinkType::Ipv4, 4);
        assert!(r.frame.is_err());
        assert!(d.events().is_empty());
        assert_eq!(d.events().iter().count(), 0);
        d.dissect(
            &pkt(A, 1000, B, 80, 100, 200, ACK, &[], 0),
            LinkType::Ipv4,
            5,
        );
        assert!(d.events().is_empty());
    }
}
