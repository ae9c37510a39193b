//! Bounded flow state: the canonical connection key and the fixed-capacity
//! table that tracks connections and subflows.
//!
//! This module owns *bounded* state and nothing else: every structure has a
//! capacity fixed when it is created, no operation allocates, reads a clock
//! (time is a caller-provided monotonic `u64`) or panics, and every
//! operation does bounded work. It must not parse bytes: keys are built from
//! already-parsed addresses and ports (the `wire` layer's job).
//!
//! * [`key`] — [`FlowKey`], the direction-free TCP 5-tuple, and
//!   [`Direction`].
//! * [`table`] — [`FlowTable`] / [`FlowTableView`], a keyed-hash table with
//!   stable, generation-checked [`SlotId`]s, exact class-aware LRU eviction
//!   ([`EvictClass`]) and bounded-work expiry.
//! * [`subflow`] — [`Subflow`], the per-subflow value of the subflow table.
//! * [`conn`] — [`Connection`], the per-connection value of the connection
//!   table (keyed by the server token) and of its client-token alias table.
//! * [`ts_rtt`] — [`TsRtt`], the TCP-timestamp RTT samples of one subflow
//!   (kept in the subflow's analysis side-array entry, not in its slot).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

pub mod conn;
pub mod hash;
pub mod key;
pub mod subflow;
pub mod table;
pub mod ts_rtt;

pub use conn::{AddrEntry, ConnEnd, Connection, DataDir, ADDR_SLOTS};
pub use key::{Direction, FlowKey, FLOW_KEY_LEN};
pub use subflow::{HmacVerdict, Role, Subflow, SubflowEnd, SubflowKind, SubflowState};
pub use table::{
    layout, EvictClass, EvictPolicy, Expired, FlowTable, FlowTableView, InsertError, Inserted,
    PerClass, Removed, Slot, SlotId, TableError, TableLayout, TableState, TableStats, MAX_CAPACITY,
};
pub use ts_rtt::{RttStats, TsRtt, TsSegment};
