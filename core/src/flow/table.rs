//! A fixed-capacity, allocation-free hash table with class-aware LRU
//! eviction (exact, or within a stated grace period) and bounded-work
//! expiry.
//!
//! One implementation, two ways to hold the memory:
//!
//! * [`FlowTable<K, V, N>`] owns its storage (`N` a power of two, checked at
//!   compile time). `const fn new`, so it can live in a `static`.
//! * [`FlowTableView<'a, K, V>`] works over caller-provided memory (the C ABI
//!   carves a [`TableState`], a `[Slot<K, V>]` and a `[u32]` index out of one
//!   block; [`layout`] tells how long each must be). Like a zstd static
//!   context, the table is initialised in the caller's memory
//!   ([`FlowTableView::new`]), re-attached on every later call
//!   ([`FlowTableView::attach`]) and never freed.
//!
//! [`FlowTable::as_view`] borrows the owned table as a view; every mutating
//! algorithm is written once, on [`FlowTableView`].
//!
//! A view may also be given fewer slots than its capacity
//! ([`FlowTableView::new_partial`]): the capacity then comes from the index,
//! and a caller that allocates grows the slots with use (before an
//! insertion needs one past the end, see [`TableState::slots_used`]) and
//! re-attaches them ([`FlowTableView::attach_partial`]); the behaviour is
//! that of a table whose slots were all there from the start.
//!
//! # Structure
//!
//! * **Slab** `slots[N]`: an entry never moves, so its [`SlotId`] (slot index
//!   and generation) is a stable connection/subflow id. The generation is
//!   bumped on every removal, so a stale id is detected (modulo 2³² reuses of
//!   the same slot). Vacant slots form a LIFO free list through `next`; slots
//!   past a high-water mark have never been used and are not even read, so
//!   initialising a view costs one `memset` of the index.
//! * **Index** of `2N` `u32` (load factor ≤ ½), open addressing with linear
//!   probing and backward-shift deletion (no tombstones, so probe lengths do
//!   not degrade under churn). An entry is `tag | N | slot`: the low
//!   `log2 N` bits are the slot index, the rest are the top bits of the hash
//!   (a filter: a mismatching entry is skipped without touching its slot),
//!   with bit `log2 N` forced to 1 so that `0` means empty and a zeroed index
//!   is an empty one.
//! * **Keyed hash**: a seeded folded-multiply hash ([`super::hash`]) with the
//!   caller's 128-bit seed, so that remote peers cannot aim collisions at the
//!   table. The hash function is the one private fn `hash_key`; swap it there
//!   after benchmarking (it replaced SipHash-1-3: see
//!   `docs/performance-history.md`).
//! * **LRU**: one intrusive doubly-linked list per [`EvictClass`] (`prev` /
//!   `next` in each slot), oldest at the head. Eviction takes the head of
//!   the lowest non-empty class: O(1) and exact. Expiry walks the heads,
//!   stopping at the first entry of each class that has not timed out.
//!   With a grace period `G` ([`FlowTableView::set_lru_grace`]) an entry
//!   moves to its list's tail at most once per `G`-aligned period of use;
//!   eviction is then exact to within `G` and expiry at most `G` late (the
//!   bounds are stated there and checked by `core/tests/table_grace.rs`).
//!   Moving an entry writes its two neighbours' slots, which miss the cache
//!   in a large table under traffic in no particular order.
//!
//! # Memory
//!
//! Per entry of capacity: `size_of::<Slot<K, V>>()` + 8 bytes of index
//! (`2 × u32`). A slot is `K` + `V` + 1 byte (the `Option`'s tag) + 8
//! (`last_seen`) + 16 (`hash`, `prev`, `next`, `generation`) + 1 (class) +
//! 1 (grace period count), rounded up to the alignment. For
//! `Slot<FlowKey, [u8; 64]>` that is 36 + 64 + 1 + 8 + 16 + 1 + 1 = 127 →
//! **128 bytes** (two 64-byte lines),
//! so 136 bytes per entry with the index; pinned by a test. Plus one
//! [`TableState`] per table.
//!
//! # Time
//!
//! Time is a caller-provided monotonic `u64` (`now`, any unit, the same as
//! the timeouts'); the table never reads a clock. A `now` older than the
//! newest one seen is treated as the newest one seen, so every LRU list stays
//! sorted by `last_seen` (by the time of the last move to the tail, with a
//! grace period) and expiry stays exact (within the grace period).

use core::hash::{Hash, Hasher};

use super::hash::FoldHasher;

/// Largest capacity a table may have (2³⁰ entries).
pub const MAX_CAPACITY: usize = 1 << 30;

/// "No slot" in the LRU and free-list links.
const NIL: u32 = u32::MAX;
/// An empty index entry.
const EMPTY: u32 = 0;

/// Eviction class of an entry, lowest evicted first.
///
/// When the table is full, an insertion evicts the least recently used entry
/// of the lowest class present (if the [`EvictPolicy`] allows that class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum EvictClass {
    /// Closed (FIN/RST seen) or otherwise finished: evicted first.
    Closed = 0,
    /// Handshake not complete (SYN seen, no final ACK).
    Embryonic = 1,
    /// Established: evicted last.
    Established = 2,
}

impl EvictClass {
    /// Number of classes.
    pub const COUNT: usize = 3;
    /// Every class, lowest (evicted first) to highest.
    pub const ALL: [EvictClass; EvictClass::COUNT] = [
        EvictClass::Closed,
        EvictClass::Embryonic,
        EvictClass::Established,
    ];
}

/// One value per [`EvictClass`] (timeouts, counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PerClass<T> {
    /// Value for [`EvictClass::Closed`].
    pub closed: T,
    /// Value for [`EvictClass::Embryonic`].
    pub embryonic: T,
    /// Value for [`EvictClass::Established`].
    pub established: T,
}

impl<T> PerClass<T> {
    /// The value for `class`.
    pub const fn get(&self, class: EvictClass) -> &T {
        match class {
            EvictClass::Closed => &self.closed,
            EvictClass::Embryonic => &self.embryonic,
            EvictClass::Established => &self.established,
        }
    }

    /// The value for `class`, mutably.
    pub fn get_mut(&mut self, class: EvictClass) -> &mut T {
        match class {
            EvictClass::Closed => &mut self.closed,
            EvictClass::Embryonic => &mut self.embryonic,
            EvictClass::Established => &mut self.established,
        }
    }
}

impl<T: Copy> PerClass<T> {
    /// The same value for every class.
    pub const fn splat(v: T) -> Self {
        PerClass {
            closed: v,
            embryonic: v,
            established: v,
        }
    }
}

/// Stable id of a table entry: its slot index and the slot's generation.
///
/// The index is stable for the entry's whole life (callers may use it to
/// index side arrays of the table's capacity); the generation makes an id
/// stale once its entry is removed, so the table answers `None` instead of
/// returning another entry that reused the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SlotId {
    index: u32,
    generation: u32,
}

impl SlotId {
    /// Slot index, `< capacity`.
    pub const fn index(self) -> u32 {
        self.index
    }

    /// Generation of the slot when this id was handed out.
    pub const fn generation(self) -> u32 {
        self.generation
    }

    /// Packs the id as `generation << 32 | index` (for the C ABI).
    pub const fn to_bits(self) -> u64 {
        ((self.generation as u64) << 32) | self.index as u64
    }

    /// Inverse of [`SlotId::to_bits`]. Any value is accepted: an id that
    /// names no live entry is answered with `None` by the table.
    pub const fn from_bits(bits: u64) -> Self {
        SlotId {
            index: bits as u32,
            generation: (bits >> 32) as u32,
        }
    }
}

/// What an insertion into a full table may evict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EvictPolicy {
    /// Never evict: a full table rejects the insertion.
    Never,
    /// Evict the LRU entry of the lowest class present if that class is at
    /// most this one; reject otherwise (e.g. `UpTo(Embryonic)` lets a new SYN
    /// push out closed or half-open flows but never an established one).
    UpTo(EvictClass),
}

impl EvictPolicy {
    /// Evict whatever is the lowest class present.
    pub const ANY: EvictPolicy = EvictPolicy::UpTo(EvictClass::Established);

    const fn allows(self, class: EvictClass) -> bool {
        match self {
            EvictPolicy::Never => false,
            EvictPolicy::UpTo(max) => class as u8 <= max as u8,
        }
    }
}

/// An entry taken out of the table by eviction or expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Removed<K, V> {
    /// The id the entry had (now stale).
    pub id: SlotId,
    /// Its class when removed.
    pub class: EvictClass,
    /// Its last activity time.
    pub last_seen: u64,
    /// Its key.
    pub key: K,
    /// Its value.
    pub value: V,
}

/// A successful insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Inserted<K, V> {
    /// Id of the new entry.
    pub id: SlotId,
    /// The entry evicted to make room, if the table was full.
    pub evicted: Option<Removed<K, V>>,
}

/// A failed insertion; the item is handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum InsertError<K, V> {
    /// The table is full and the [`EvictPolicy`] forbids evicting the lowest
    /// class present.
    Rejected(K, V),
    /// An entry with this key exists already (its id is given); nothing
    /// changed.
    Exists(SlotId, K, V),
}

/// Why a table could not be set up over caller memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TableError {
    /// The capacity (slot count) is zero or not a power of two.
    CapacityNotPowerOfTwo {
        /// The capacity asked for.
        capacity: usize,
    },
    /// The capacity exceeds [`MAX_CAPACITY`].
    CapacityTooLarge {
        /// The capacity asked for.
        capacity: usize,
    },
    /// The index slice is not `2 × capacity` long.
    IndexLen {
        /// Required length.
        expected: usize,
        /// Given length.
        actual: usize,
    },
    /// [`FlowTableView::attach`]: the state was not initialised for slices
    /// of these lengths (or, for [`FlowTableView::attach_partial`], the
    /// slots are fewer than the table has used).
    StateMismatch,
    /// [`FlowTableView::new_partial`]: more slots than the capacity the
    /// index is sized for.
    SlotsBeyondCapacity {
        /// The capacity (half the index length).
        capacity: usize,
        /// Slots given.
        slots: usize,
    },
}

/// Lengths of the caller-provided slices for a capacity (see [`layout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TableLayout {
    /// Length of the `[Slot<K, V>]` slice (= capacity).
    pub slots: usize,
    /// Length of the `[u32]` index slice (= 2 × capacity).
    pub index: usize,
}

impl TableLayout {
    /// Bytes of slot and index memory (not counting the [`TableState`]) for
    /// this layout with `Slot<K, V>`.
    pub const fn bytes<K, V>(&self) -> usize {
        self.slots
            .saturating_mul(core::mem::size_of::<Slot<K, V>>())
            .saturating_add(self.index.saturating_mul(core::mem::size_of::<u32>()))
    }
}

/// Slice lengths needed for a table of `capacity` entries: `capacity` slots
/// and `2 × capacity` index words. `capacity` must be a power of two in
/// `1..=MAX_CAPACITY`.
pub const fn layout(capacity: usize) -> Result<TableLayout, TableError> {
    if !capacity.is_power_of_two() {
        return Err(TableError::CapacityNotPowerOfTwo { capacity });
    }
    if capacity > MAX_CAPACITY {
        return Err(TableError::CapacityTooLarge { capacity });
    }
    Ok(TableLayout {
        slots: capacity,
        index: capacity.saturating_mul(2),
    })
}

/// Table counters. Invariant:
/// `inserts - removals - evictions(all classes) - expirations == len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TableStats {
    /// Successful insertions.
    pub inserts: u64,
    /// Entries removed by the caller ([`FlowTableView::remove`]).
    pub removals: u64,
    /// Entries evicted by insertions, by the class they had.
    pub evictions: PerClass<u64>,
    /// Insertions rejected because the table was full.
    pub rejected: u64,
    /// Entries removed by [`FlowTableView::expire`].
    pub expirations: u64,
    /// Current number of entries.
    pub len: u32,
    /// Longest probe sequence (index positions past the home position) any
    /// insertion needed; a successful lookup of any key present needs no
    /// more.
    pub max_probe: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Lru {
    /// Oldest entry.
    head: u32,
    /// Newest entry.
    tail: u32,
}

const LRU_EMPTY: Lru = Lru {
    head: NIL,
    tail: NIL,
};

/// Everything of a table that is not a slot or an index entry: capacity,
/// hash key, LRU heads, free list, clock, counters.
///
/// For a [`FlowTableView`] the caller keeps it (next to the slices) between
/// calls; create it with [`TableState::new`] and let
/// [`FlowTableView::new`] initialise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TableState {
    /// 0 until initialised.
    capacity: u32,
    /// Hash key (the seed as two little-endian `u64`).
    keys: [u64; 2],
    len: u32,
    /// Slots `>= used` have never held an entry.
    used: u32,
    free_head: u32,
    /// Newest `now` seen.
    clock: u64,
    lru: PerClass<Lru>,
    stats: TableStats,
    /// No entry can expire before this `now` under `due_timeouts` (0: not
    /// known, expiry may be due). See [`FlowTableView::expire_due`].
    due_at: u64,
    due_timeouts: PerClass<u64>,
    /// log2 of the LRU grace period; [`EXACT_LRU`]: none (exact LRU).
    grace_shift: u8,
}

/// `grace_shift` of a table without grace period: exact LRU.
const EXACT_LRU: u8 = u8::MAX;

impl Default for TableState {
    fn default() -> Self {
        Self::new()
    }
}

impl TableState {
    /// An uninitialised state, to be passed to [`FlowTableView::new`].
    pub const fn new() -> Self {
        Self::fresh(0, [0; 16])
    }

    /// How many slots, from the first, have ever held an entry: the only
    /// ones the table reads. A table over partial slot memory
    /// ([`FlowTableView::new_partial`]) needs more slots before its next
    /// insertion when this reaches their number (unless a removed entry's
    /// slot is free again).
    pub const fn slots_used(&self) -> usize {
        self.used as usize
    }

    const fn fresh(capacity: u32, seed: [u8; 16]) -> Self {
        let [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7] = seed;
        TableState {
            capacity,
            keys: [
                u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
                u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
            ],
            len: 0,
            used: 0,
            free_head: NIL,
            clock: 0,
            lru: PerClass::splat(LRU_EMPTY),
            stats: TableStats {
                inserts: 0,
                removals: 0,
                evictions: PerClass::splat(0),
                rejected: 0,
                expirations: 0,
                len: 0,
                max_probe: 0,
            },
            due_at: 0,
            due_timeouts: PerClass::splat(0),
            grace_shift: EXACT_LRU,
        }
    }

    /// Capacity (0 if not initialised).
    pub const fn capacity(&self) -> usize {
        self.capacity as usize
    }

    /// `true` when slot `s`, used at `now` (not older than the clock) in
    /// its current class, stays where it is in its list: the table has a
    /// grace period (`set_lru_grace`), the slot was moved to the tail in
    /// `now`'s period, and used less than a period ago (so the 8-bit period
    /// count cannot alias).
    #[inline]
    fn within_grace<K, V>(&self, s: &Slot<K, V>, now: u64) -> bool {
        let shift = self.grace_shift;
        shift != EXACT_LRU
            && s.epoch == epoch(now, shift)
            && now.wrapping_sub(s.last_seen) >> shift == 0
    }

    /// The LRU grace period in units of `now` (0: exact LRU).
    const fn lru_grace(&self) -> u64 {
        if self.grace_shift == EXACT_LRU {
            0
        } else {
            1 << self.grace_shift
        }
    }

    /// Mask of the slot-index bits of an index entry.
    const fn id_mask(&self) -> u32 {
        self.capacity.wrapping_sub(1)
    }

    /// Mask of an index position (index length − 1).
    const fn pos_mask(&self) -> usize {
        (self.capacity as usize).wrapping_mul(2).wrapping_sub(1)
    }
}

/// One entry of the slab: the key, the value and the table's bookkeeping.
///
/// Opaque; callers only create vacant ones ([`Slot::new`]) to provide
/// memory for a [`FlowTableView`].
///
/// On targets with an operating system a slot is aligned to a 64-byte cache
/// line, so that a lookup touches whole lines only: the subflow slot (128
/// bytes) is two lines and the connection slot (256) four, where at the
/// 8-byte alignment of its fields an array from the allocator (16 bytes
/// past a line) made them three and five, one line more a packet than the
/// burst pipeline prefetches. The client-token slot grows from 48 to 64
/// bytes. Bare-metal targets (`target_os = "none"`: no data cache on a
/// Cortex-M4, RAM counted in KiB) keep the natural alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(not(target_os = "none"), repr(align(64)))]
pub struct Slot<K, V> {
    entry: Option<(K, V)>,
    last_seen: u64,
    /// Low 32 bits of the keyed hash (home position in the index).
    hash: u32,
    /// LRU links; `next` is the free-list link when vacant.
    prev: u32,
    next: u32,
    generation: u32,
    class: EvictClass,
    /// Low 8 bits of `now >> grace_shift` when the entry was last linked at
    /// its list's tail (see [`FlowTableView::set_lru_grace`]).
    epoch: u8,
}

impl<K, V> Slot<K, V> {
    /// A vacant slot.
    pub const VACANT: Self = Self::new();

    /// A vacant slot.
    pub const fn new() -> Self {
        Slot {
            entry: None,
            last_seen: 0,
            hash: 0,
            prev: 0,
            next: 0,
            generation: 0,
            class: EvictClass::Closed,
            epoch: 0,
        }
    }
}

impl<K, V> Default for Slot<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

/// The keyed hash ([`FoldHasher`]) with the table's 128-bit seed. The single
/// place to swap in another keyed hash.
#[inline]
fn hash_key<K: Hash + ?Sized>(keys: [u64; 2], key: &K) -> u64 {
    let mut h = FoldHasher::new(keys);
    key.hash(&mut h);
    h.finish()
}

/// The grace-period count of time `now` kept in a slot (any value when the
/// table has no grace period).
#[inline]
const fn epoch(now: u64, shift: u8) -> u8 {
    match now.checked_shr(shift as u32) {
        Some(e) => e as u8,
        None => 0,
    }
}

/// Index positions [`FlowTableView::slot_addr`] looks at, at most, for a
/// prefetch hint: a probe sequence is rarely longer at a load of one half
/// (2.5 positions on average for an absent key), and eight 4-byte entries
/// stay within one or two cache lines.
pub const SLOT_HINT_PROBES: usize = 8;

/// Index entry for a slot whose key hashed to `hash`.
const fn encode(hash: u64, slot: u32, id_mask: u32) -> u32 {
    let tag = (hash >> 32) as u32;
    (tag & !id_mask) | id_mask.wrapping_add(1) | (slot & id_mask)
}

enum Probe {
    /// The key is at index position `pos`, in slot `slot`.
    Found { pos: usize, slot: u32 },
    /// The key is absent; `pos` is the first empty position, `dist` positions
    /// past the home one.
    Vacant { pos: usize, dist: u32 },
}

/// Shared read-only logic over the three parts of a table.
struct Ro<'r, K, V> {
    st: &'r TableState,
    slots: &'r [Slot<K, V>],
    index: &'r [u32],
}

impl<'r, K: Hash + Eq, V> Ro<'r, K, V> {
    fn probe(&self, key: &K, hash: u64) -> Option<Probe> {
        let mask = self.st.pos_mask();
        let id_mask = self.st.id_mask();
        let mut pos = self.home(hash);
        let mut dist: u32 = 0;
        // The index is at most half full, so an empty position comes before
        // the index has been walked once; the bound only guards bad state.
        for _ in 0..self.index.len() {
            let e = self.index.get(pos).copied().unwrap_or(EMPTY);
            if e == EMPTY {
                return Some(Probe::Vacant { pos, dist });
            }
            let slot = e & id_mask;
            if encode(hash, slot, id_mask) == e {
                if let Some(Slot {
                    entry: Some((k, _)),
                    ..
                }) = self.slots.get(slot as usize)
                {
                    if k == key {
                        return Some(Probe::Found { pos, slot });
                    }
                }
            }
            pos = pos.wrapping_add(1) & mask;
            dist = dist.wrapping_add(1);
        }
        None
    }

    fn find(&self, key: &K) -> Option<SlotId> {
        self.find_hashed(key, hash_key(self.st.keys, key))
    }

    fn find_hashed(&self, key: &K, hash: u64) -> Option<SlotId> {
        match self.probe(key, hash)? {
            Probe::Found { slot, .. } => Some(SlotId {
                index: slot,
                generation: self.slots.get(slot as usize)?.generation,
            }),
            Probe::Vacant { .. } => None,
        }
    }

    fn index_position(&self, key: &K) -> Option<usize> {
        match self.probe(key, hash_key(self.st.keys, key))? {
            Probe::Found { pos, .. } => Some(pos),
            Probe::Vacant { .. } => None,
        }
    }
}

impl<'r, K, V> Ro<'r, K, V> {
    /// The slot [`FlowTableView::insert`] would evict now, if full.
    fn next_victim(&self) -> Option<u32> {
        if self.st.len < self.st.capacity {
            return None;
        }
        EvictClass::ALL
            .iter()
            .map(|&c| self.st.lru.get(c).head)
            .find(|&h| h != NIL)
    }

    /// The index position where a lookup of `hash` starts.
    fn home(&self, hash: u64) -> usize {
        (hash as usize) & self.st.pos_mask()
    }

    fn expire_due(&self, now: u64, timeouts: &PerClass<u64>) -> bool {
        let st = self.st;
        st.due_at == 0 || now.max(st.clock) >= st.due_at || *timeouts != st.due_timeouts
    }

    /// The slot of a live entry, if `id` names one.
    fn live(&self, id: SlotId) -> Option<&'r Slot<K, V>> {
        if id.index >= self.st.used {
            return None;
        }
        let s = self.slots.get(id.index as usize)?;
        (s.generation == id.generation && s.entry.is_some()).then_some(s)
    }

    fn entry(&self, id: SlotId) -> Option<(&'r K, &'r V)> {
        let (k, v) = self.live(id)?.entry.as_ref()?;
        Some((k, v))
    }

    fn stats(&self) -> TableStats {
        TableStats {
            len: self.st.len,
            ..self.st.stats
        }
    }

    fn iter(&self) -> impl Iterator<Item = (SlotId, &'r K, &'r V)> + 'r {
        self.iter_from(0)
    }

    /// The live entries in slots `start..` (in slot order), starting there
    /// without walking the slots before it.
    fn iter_from(&self, start: u32) -> impl Iterator<Item = (SlotId, &'r K, &'r V)> + 'r {
        let used = self.st.used as usize;
        self.slots
            .get(start as usize..used.min(self.slots.len()))
            .unwrap_or(&[])
            .iter()
            .zip(start..)
            .filter_map(|(s, index)| {
                let (k, v) = s.entry.as_ref()?;
                Some((
                    SlotId {
                        index,
                        generation: s.generation,
                    },
                    k,
                    v,
                ))
            })
    }

    fn lru_iter(&self, class: EvictClass) -> impl Iterator<Item = SlotId> + 'r {
        let slots = self.slots;
        let mut cur = self.st.lru.get(class).head;
        // Bounded by the capacity so that even a corrupted list terminates.
        (0..self.st.capacity).map_while(move |_| {
            let s = slots.get(cur as usize)?;
            let id = SlotId {
                index: cur,
                generation: s.generation,
            };
            cur = s.next;
            Some(id)
        })
    }
}

/// The read-only methods, shared by [`FlowTable`] and [`FlowTableView`].
macro_rules! read_methods {
    () => {
        /// Number of entries.
        pub fn len(&self) -> usize {
            self.ro().st.len as usize
        }

        /// `true` if there are no entries.
        pub fn is_empty(&self) -> bool {
            self.ro().st.len == 0
        }

        /// Maximum number of entries.
        pub fn capacity(&self) -> usize {
            self.ro().st.capacity()
        }

        /// The LRU grace period in units of `now` (0: exact LRU); see
        /// [`FlowTableView::set_lru_grace`].
        pub fn lru_grace(&self) -> u64 {
            self.ro().st.lru_grace()
        }

        /// Counters (with the current length).
        pub fn stats(&self) -> TableStats {
            self.ro().stats()
        }

        /// The keyed hash of `key` under this table's seed (what
        /// [`Self::index_addr`] and [`Self::slot_addr`] take).
        pub fn hash_of(&self, key: &K) -> u64
        where
            K: Hash,
        {
            hash_key(self.ro().st.keys, key)
        }

        /// Address of the index entry where a lookup of a key with this
        /// hash starts (no memory is read): a software-prefetch hint. The
        /// table never dereferences what it returns.
        pub fn index_addr(&self, hash: u64) -> *const u8 {
            let ro = self.ro();
            ro.index
                .get(ro.home(hash))
                .map_or(core::ptr::null(), |e| core::ptr::from_ref(e).cast())
        }

        /// Address of the slot a lookup of `hash` would most likely find,
        /// if any, and the slot's index: prefetch hints. Reads index entries
        /// only (call it once [`Self::index_addr`]'s line has arrived): the
        /// first of the positions from the home one on, up to the first
        /// empty one and at most [`SLOT_HINT_PROBES`] of them, whose hash tag
        /// is that of `hash` — not blindly the home entry, which at the
        /// index's load of up to one half names another key's slot for about
        /// a third of the lookups.
        pub fn slot_addr(&self, hash: u64) -> Option<(*const u8, u32)> {
            let ro = self.ro();
            let mask = ro.st.pos_mask();
            let id_mask = ro.st.id_mask();
            let mut pos = ro.home(hash);
            for _ in 0..SLOT_HINT_PROBES {
                let e = ro.index.get(pos).copied().unwrap_or(EMPTY);
                if e == EMPTY {
                    return None;
                }
                let slot = e & id_mask;
                if encode(hash, slot, id_mask) == e {
                    return ro
                        .slots
                        .get(slot as usize)
                        .map(|s| (core::ptr::from_ref(s).cast::<u8>(), slot));
                }
                pos = pos.wrapping_add(1) & mask;
            }
            None
        }

        /// Prefetch hints for refreshing slot `slot`'s LRU position at
        /// `now`: the addresses of its list neighbours' link fields (null
        /// when a touch at `now` would not move it, within the grace period
        /// of [`FlowTableView::set_lru_grace`]), and its value (if the slot
        /// is live). Reads the slot's links; never dereferences what it
        /// returns.
        pub fn touch_hints(&self, slot: u32, now: u64) -> ([*const u8; 2], Option<&V>) {
            let ro = self.ro();
            let Some(s) = ro.slots.get(slot as usize) else {
                return ([core::ptr::null(); 2], None);
            };
            let value = s.entry.as_ref().map(|(_, v)| v);
            if ro.st.within_grace(s, now.max(ro.st.clock)) {
                return ([core::ptr::null(); 2], value);
            }
            // `unlink` writes the previous entry's `next` and the next
            // entry's `prev`.
            let prev_next = ro
                .slots
                .get(s.prev as usize)
                .map(|n| core::ptr::from_ref(&n.next));
            let next_prev = ro
                .slots
                .get(s.next as usize)
                .map(|n| core::ptr::from_ref(&n.prev));
            let addr =
                |p: Option<*const u32>| p.map_or(core::ptr::null(), <*const u32>::cast::<u8>);
            ([addr(prev_next), addr(next_prev)], value)
        }

        /// The slot index of the entry the next insertion of a new key would
        /// evict, if the table is full now: the least recently used entry of
        /// the lowest class present (what [`FlowTableView::insert`] takes,
        /// whatever its policy allows). `None` when there is room. Reads
        /// the table state only: a prefetch hint, with
        /// [`Self::removal_hints`].
        pub fn next_victim(&self) -> Option<u32> {
            self.ro().next_victim()
        }

        /// Prefetch hints for removing slot `slot`'s entry (an eviction or
        /// [`FlowTableView::remove`]), in three levels that each read only
        /// what the level before asked for, so a caller that steps
        /// `level` 0, 1, 2 over successive packets finds each read in cache:
        ///
        /// 0. every line of the slot (nothing is read);
        /// 1. reads the slot: its LRU neighbours' link fields and its
        ///    home index entry;
        /// 2. reads the index from the home entry on (up to the first empty
        ///    position, at most `2 ×` [`SLOT_HINT_PROBES`]): the hash fields
        ///    of the slots of the entries after its own, which the backward
        ///    shift reads.
        ///
        /// Returns the slot's key and value (levels 1 and 2, if live), for
        /// hints about what its removal touches elsewhere. Never
        /// dereferences what it hands `prefetch`.
        pub fn removal_hints(
            &self,
            slot: u32,
            level: u8,
            mut prefetch: impl FnMut(*const u8),
        ) -> Option<(&K, &V)> {
            let ro = self.ro();
            let s = ro.slots.get(slot as usize)?;
            match level {
                0 => {
                    let p: *const u8 = core::ptr::from_ref(s).cast();
                    let lines = core::mem::size_of::<Slot<K, V>>().div_ceil(64);
                    for l in 0..lines {
                        prefetch(p.wrapping_add(l.wrapping_mul(64)));
                    }
                    None
                }
                1 => {
                    for n in [s.prev, s.next] {
                        if let Some(x) = ro.slots.get(n as usize) {
                            prefetch(core::ptr::from_ref(&x.prev).cast());
                        }
                    }
                    if let Some(e) = ro.index.get(ro.home(u64::from(s.hash))) {
                        prefetch(core::ptr::from_ref(e).cast());
                    }
                    s.entry.as_ref().map(|(k, v)| (k, v))
                }
                _ => {
                    let mask = ro.st.pos_mask();
                    let id_mask = ro.st.id_mask();
                    let mut pos = ro.home(u64::from(s.hash));
                    let mut after = false;
                    for _ in 0..2 * SLOT_HINT_PROBES {
                        let e = ro.index.get(pos).copied().unwrap_or(EMPTY);
                        if e == EMPTY {
                            break;
                        }
                        let i = e & id_mask;
                        if after {
                            if let Some(x) = ro.slots.get(i as usize) {
                                prefetch(core::ptr::from_ref(&x.hash).cast());
                            }
                        }
                        after |= i == slot;
                        pos = pos.wrapping_add(1) & mask;
                    }
                    s.entry.as_ref().map(|(k, v)| (k, v))
                }
            }
        }

        /// Address of slot `id`'s first byte (live or not): a prefetch hint.
        pub fn slot_ptr(&self, id: SlotId) -> *const u8 {
            self.ro()
                .slots
                .get(id.index as usize)
                .map_or(core::ptr::null(), |s| core::ptr::from_ref(s).cast())
        }

        /// `false` when `expire` at `now` with `timeouts` is known to remove
        /// nothing (no list head has reached its timeout since the last
        /// complete `expire` call, and no list gained a new head): callers on
        /// the per-packet path skip the call, and its walk, then. `true`
        /// means it may remove something (or the table cannot tell). With a
        /// grace period `G` ([`FlowTableView::set_lru_grace`]) `false` may
        /// also hold for less than `G` past an entry's timeout (a head that
        /// moves to the tail can leave behind one used earlier, by less than
        /// `G`): the same lateness `expire` itself allows.
        #[inline]
        pub fn expire_due(&self, now: u64, timeouts: &PerClass<u64>) -> bool {
            self.ro().expire_due(now, timeouts)
        }

        /// Id of the entry with this key.
        pub fn find(&self, key: &K) -> Option<SlotId>
        where
            K: Hash + Eq,
        {
            self.ro().find(key)
        }

        /// [`find`](Self::find) with the key's hash already computed by
        /// [`hash_of`](Self::hash_of) (a caller that hashed the key ahead,
        /// to prefetch, does not hash it twice). A wrong `hash` can only
        /// make the lookup miss, never return another key's entry.
        pub fn find_hashed(&self, key: &K, hash: u64) -> Option<SlotId>
        where
            K: Hash + Eq,
        {
            self.ro().find_hashed(key, hash)
        }

        /// Value of a live entry; `None` for a stale or out-of-range id.
        pub fn get(&self, id: SlotId) -> Option<&V> {
            self.ro().entry(id).map(|(_, v)| v)
        }

        /// Key of a live entry.
        pub fn key(&self, id: SlotId) -> Option<&K> {
            self.ro().entry(id).map(|(k, _)| k)
        }

        /// Key and value of a live entry.
        pub fn entry(&self, id: SlotId) -> Option<(&K, &V)> {
            self.ro().entry(id)
        }

        /// `true` if `id` names a live entry.
        pub fn contains(&self, id: SlotId) -> bool {
            self.ro().live(id).is_some()
        }

        /// Eviction class of a live entry.
        pub fn class(&self, id: SlotId) -> Option<EvictClass> {
            self.ro().live(id).map(|s| s.class)
        }

        /// Last activity time of a live entry (insertion, [`touch`], class
        /// change).
        ///
        /// [`touch`]: FlowTableView::touch
        pub fn last_seen(&self, id: SlotId) -> Option<u64> {
            self.ro().live(id).map(|s| s.last_seen)
        }

        /// Every live entry, in slot order.
        pub fn iter(&self) -> impl Iterator<Item = (SlotId, &K, &V)> + '_ {
            self.ro().iter()
        }

        /// [`iter`](Self::iter) from slot index `start` on: the entries whose
        /// [`SlotId::index`] is at least `start`, reached without walking
        /// the slots before it (a cursor that resumes an iteration).
        pub fn iter_from(&self, start: u32) -> impl Iterator<Item = (SlotId, &K, &V)> + '_ {
            self.ro().iter_from(start)
        }

        /// The entries of `class`, least recently used first (the order in
        /// which they would be evicted; with a grace period, ordered by
        /// their last move to the tail, see
        /// [`FlowTableView::set_lru_grace`]).
        pub fn lru_iter(&self, class: EvictClass) -> impl Iterator<Item = SlotId> + '_ {
            self.ro().lru_iter(class)
        }

        /// Position of `key`'s entry in the index (diagnostics: depends on the
        /// seed and on insertion history).
        pub fn index_position(&self, key: &K) -> Option<usize>
        where
            K: Hash + Eq,
        {
            self.ro().index_position(key)
        }
    };
}

/// A table over caller-provided memory; all the table logic lives here.
///
/// See the [module documentation](self) for the structure and
/// [`FlowTable`] for the owned variant.
#[derive(Debug)]
pub struct FlowTableView<'a, K, V> {
    st: &'a mut TableState,
    slots: &'a mut [Slot<K, V>],
    index: &'a mut [u32],
}

/// Result of one [`FlowTableView::expire`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Expired {
    /// Entries removed (≤ `max_work`).
    pub removed: usize,
    /// `true` if every class was checked up to its first live entry or the
    /// end of its list: nothing expired is left. `false` if `max_work` ran
    /// out first (an expired entry is left); call again.
    pub complete: bool,
}

fn check_lengths(slots: usize, index: usize) -> Result<u32, TableError> {
    let l = layout(slots)?;
    if index != l.index {
        return Err(TableError::IndexLen {
            expected: l.index,
            actual: index,
        });
    }
    u32::try_from(slots).map_err(|_| TableError::CapacityTooLarge { capacity: slots })
}

/// The capacity of a table over partial slots: half the index length.
fn partial_capacity(slots: usize, index: usize) -> Result<u32, TableError> {
    let capacity = index / 2;
    let l = layout(capacity)?;
    if index != l.index {
        return Err(TableError::IndexLen {
            expected: l.index,
            actual: index,
        });
    }
    if slots > capacity {
        return Err(TableError::SlotsBeyondCapacity { capacity, slots });
    }
    u32::try_from(capacity).map_err(|_| TableError::CapacityTooLarge { capacity })
}

impl<'a, K, V> FlowTableView<'a, K, V> {
    /// Initialises an empty table in caller memory: `slots.len()` is the
    /// capacity (a power of two ≤ [`MAX_CAPACITY`]), `index.len()` must be
    /// twice that (see [`layout`]). `state` is overwritten and `index` is
    /// zeroed; `slots` are not read (only the `used` prefix ever is), so
    /// their content does not matter. `seed` keys the hash: use 16 random
    /// bytes per table.
    pub fn new(
        state: &'a mut TableState,
        slots: &'a mut [Slot<K, V>],
        index: &'a mut [u32],
        seed: [u8; 16],
    ) -> Result<Self, TableError> {
        check_lengths(slots.len(), index.len())?;
        Self::new_partial(state, slots, index, seed)
    }

    /// Re-attaches to a table initialised earlier by
    /// [`FlowTableView::new`] over the same memory (for an ABI that cannot
    /// keep the view between calls). Nothing is reset.
    pub fn attach(
        state: &'a mut TableState,
        slots: &'a mut [Slot<K, V>],
        index: &'a mut [u32],
    ) -> Result<Self, TableError> {
        // The usual case (the C ABI attaches on every call): the lengths an
        // initialised state was validated with; anything else takes the
        // full checks and their precise error.
        let cap = state.capacity as usize;
        if cap == 0 || slots.len() != cap || index.len() != cap.wrapping_mul(2) {
            check_lengths(slots.len(), index.len())?;
        }
        Self::attach_partial(state, slots, index)
    }

    /// [`FlowTableView::new`] with the slot memory committed in part: the
    /// capacity is half the index length (a power of two, see [`layout`])
    /// and `slots` may be shorter, down to empty, so that a caller that
    /// allocates can grow them with use instead of writing all of them up
    /// front. Slots are taken in order; before an insertion finds none left
    /// ([`TableState::slots_used`] = `slots.len()`, below the capacity) the
    /// caller re-attaches longer slots with
    /// [`FlowTableView::attach_partial`], or the insertion is refused
    /// ([`InsertError::Rejected`]) as if the table were full and could not
    /// evict. Eviction starts at the capacity, as for [`FlowTableView::new`].
    pub fn new_partial(
        state: &'a mut TableState,
        slots: &'a mut [Slot<K, V>],
        index: &'a mut [u32],
        seed: [u8; 16],
    ) -> Result<Self, TableError> {
        let capacity = partial_capacity(slots.len(), index.len())?;
        *state = TableState::fresh(capacity, seed);
        index.fill(EMPTY);
        Ok(FlowTableView {
            st: state,
            slots,
            index,
        })
    }

    /// Re-attaches to a table made by [`FlowTableView::new_partial`] (or
    /// [`FlowTableView::new`]) over the same index and the same slots,
    /// possibly extended (their first [`TableState::slots_used`] unchanged;
    /// add vacant ones, [`Slot::new`] — any other content is never taken
    /// for an entry, it only seeds the generation of the ids later handed
    /// out for those slots). Nothing is reset.
    pub fn attach_partial(
        state: &'a mut TableState,
        slots: &'a mut [Slot<K, V>],
        index: &'a mut [u32],
    ) -> Result<Self, TableError> {
        // The usual case, checked against the state alone: its capacity was
        // validated when it was initialised (0 until then), so these
        // lengths are the ones `partial_capacity` accepts for it. A caller
        // that re-attaches for every packet pays three comparisons.
        let cap = state.capacity as usize;
        let fits = cap != 0
            && index.len() == cap.wrapping_mul(2)
            && slots.len() <= cap
            && slots.len() >= state.slots_used();
        if !fits {
            // The precise error.
            let capacity = partial_capacity(slots.len(), index.len())?;
            if state.capacity != capacity || slots.len() < state.slots_used() {
                return Err(TableError::StateMismatch);
            }
        }
        Ok(FlowTableView {
            st: state,
            slots,
            index,
        })
    }

    fn ro(&self) -> Ro<'_, K, V> {
        Ro {
            st: self.st,
            slots: self.slots,
            index: self.index,
        }
    }

    read_methods!();

    /// Removes every entry (dropping them) and re-keys the hash with `seed`.
    /// Ids handed out before stay stale.
    pub fn reset(&mut self, seed: [u8; 16]) {
        let used = self.st.used as usize;
        for s in self.slots.iter_mut().take(used) {
            if s.entry.take().is_some() {
                s.generation = s.generation.wrapping_add(1);
            }
        }
        // Slots are allocated from `used` = 0 again; they keep their bumped
        // generations, so old ids stay stale. The grace period is a setting
        // and survives.
        let capacity = self.st.capacity;
        let grace_shift = self.st.grace_shift;
        *self.st = TableState::fresh(capacity, seed);
        self.st.grace_shift = grace_shift;
        self.index.fill(EMPTY);
    }

    /// Sets the LRU grace period to `grace` units of `now`, rounded down to
    /// a power of two (`0` or `1`: none, exact LRU — the default).
    ///
    /// With a grace period `G`, touching an entry (or [`set_class`] to its
    /// current class) only records the time, without moving it to the tail
    /// of its list, if it was moved there less than `G` ago, in the same
    /// `G`-aligned period. Each list is then ordered by when its entries were
    /// last moved to the tail, and every entry was used less than `G` after
    /// that. A busy flow costs one list move per period instead of one per
    /// packet — the two or three writes to its neighbours' slots that miss
    /// the cache in a large table. What it costs, stated as bounds:
    ///
    /// * an evicted entry was last used less than `G` after the least
    ///   recently used entry of its class;
    /// * [`FlowTableView::expire`] still never removes an entry before its
    ///   timeout; a walk that completes leaves no entry `G` or more past
    ///   its timeout (the walk stops at the first entry that has not timed
    ///   out, and the entries after it were all used less than `G` before
    ///   it at worst), and [`FlowTableView::expire_due`] is late by less
    ///   than `G` too. A walk cut short by its work limit leaves the rest
    ///   for later calls, as without a grace period;
    /// * [`FlowTableView::lru_iter`] yields the entries in that list order.
    ///
    /// The periods are counted modulo 256 in each slot; an entry idle for
    /// `G` or more is always moved, so the count cannot alias.
    ///
    /// Setting the period it already has costs one comparison (the
    /// dissector sets it whenever a view is made). Changing it while the
    /// table holds entries marks every entry to be moved on its next touch
    /// (a pass over the slots in use); the bounds then hold for an entry
    /// from that move on.
    ///
    /// [`set_class`]: FlowTableView::set_class
    pub fn set_lru_grace(&mut self, grace: u64) {
        let shift = match grace {
            0 | 1 => EXACT_LRU,
            g => g.ilog2() as u8,
        };
        if shift == self.st.grace_shift {
            return;
        }
        self.st.grace_shift = shift;
        // Half the period count away from now's: no touch matches it before
        // the entry has been idle for 128 periods, when it moves anyway.
        let stale = epoch(self.st.clock, shift).wrapping_add(128);
        let used = self.st.used as usize;
        for s in self.slots.iter_mut().take(used) {
            s.epoch = stale;
        }
    }

    /// Value of a live entry, mutably.
    pub fn get_mut(&mut self, id: SlotId) -> Option<&mut V> {
        let s = self.live_mut(id)?;
        s.entry.as_mut().map(|(_, v)| v)
    }

    fn live_mut(&mut self, id: SlotId) -> Option<&mut Slot<K, V>> {
        if id.index >= self.st.used {
            return None;
        }
        let s = self.slots.get_mut(id.index as usize)?;
        (s.generation == id.generation && s.entry.is_some()).then_some(s)
    }

    fn advance_clock(&mut self, now: u64) -> u64 {
        self.st.clock = self.st.clock.max(now);
        self.st.clock
    }

    /// Appends slot `i` at the tail (newest end) of `class`'s list.
    fn link_tail(&mut self, i: u32, class: EvictClass) {
        let lru = self.st.lru.get_mut(class);
        let tail = lru.tail;
        if tail == NIL && self.st.due_at != 0 {
            // A new head: its deadline may come before the cached bound.
            let due = self.slots.get(i as usize).map_or(0, |s| {
                s.last_seen
                    .saturating_add(*self.st.due_timeouts.get(class))
                    .saturating_add(1)
            });
            self.st.due_at = self.st.due_at.min(due);
        }
        let lru = self.st.lru.get_mut(class);
        let shift = self.st.grace_shift;
        if let Some(s) = self.slots.get_mut(i as usize) {
            s.prev = tail;
            s.next = NIL;
            s.epoch = epoch(s.last_seen, shift);
        }
        match self.slots.get_mut(tail as usize) {
            Some(t) if tail != NIL => t.next = i,
            _ => lru.head = i,
        }
        lru.tail = i;
    }

    /// Takes slot `i` out of `class`'s list.
    fn unlink(&mut self, i: u32, class: EvictClass) {
        let Some(s) = self.slots.get(i as usize) else {
            return;
        };
        let (prev, next) = (s.prev, s.next);
        let lru = self.st.lru.get_mut(class);
        match self.slots.get_mut(prev as usize) {
            Some(p) if prev != NIL => p.next = next,
            _ => lru.head = next,
        }
        match self.slots.get_mut(next as usize) {
            Some(n) if next != NIL => n.prev = prev,
            _ => lru.tail = prev,
        }
    }

    /// A slot for a new entry: the free list first, then never-used slots.
    fn alloc(&mut self) -> Option<u32> {
        if self.st.free_head != NIL {
            let i = self.st.free_head;
            self.st.free_head = self.slots.get(i as usize)?.next;
            Some(i)
        } else if self.st.used < self.st.capacity && (self.st.used as usize) < self.slots.len() {
            let i = self.st.used;
            self.st.used = i.wrapping_add(1);
            Some(i)
        } else {
            None
        }
    }

    /// Removes the live entry in slot `i` from the LRU, the index and the
    /// slab. The caller updates the counter of the reason.
    fn remove_slot(&mut self, i: u32) -> Option<Removed<K, V>> {
        let s = self.slots.get_mut(i as usize)?;
        let (key, value) = s.entry.take()?;
        let removed_id = SlotId {
            index: i,
            generation: s.generation,
        };
        let (class, last_seen, hash) = (s.class, s.last_seen, s.hash);
        s.generation = s.generation.wrapping_add(1);
        self.unlink(i, class);
        if let Some(s) = self.slots.get_mut(i as usize) {
            s.next = self.st.free_head;
            s.prev = NIL;
        }
        self.st.free_head = i;
        self.st.len = self.st.len.wrapping_sub(1);
        self.index_delete(hash, i);
        Some(Removed {
            id: removed_id,
            class,
            last_seen,
            key,
            value,
        })
    }

    /// Deletes slot `slot`'s entry from the index (the key hashed to `hash`)
    /// by backward shift: every later entry of the cluster that may move
    /// closer to its home position does, so no tombstone is needed.
    fn index_delete(&mut self, hash: u32, slot: u32) {
        let mask = self.st.pos_mask();
        let id_mask = self.st.id_mask();
        let mut pos = (hash as usize) & mask;
        let mut found = None;
        for _ in 0..self.index.len() {
            match self.index.get(pos).copied() {
                None | Some(EMPTY) => break,
                Some(e) if e & id_mask == slot => {
                    found = Some(pos);
                    break;
                }
                Some(_) => pos = pos.wrapping_add(1) & mask,
            }
        }
        let Some(mut hole) = found else { return };
        if let Some(e) = self.index.get_mut(hole) {
            *e = EMPTY;
        }
        let mut j = hole;
        for _ in 0..self.index.len() {
            j = j.wrapping_add(1) & mask;
            let e = match self.index.get(j).copied() {
                None | Some(EMPTY) => return,
                Some(e) => e,
            };
            let home = self
                .slots
                .get((e & id_mask) as usize)
                .map_or(j, |s| (s.hash as usize) & mask);
            // The entry at `j` may fill the hole iff the hole lies
            // (cyclically) between its home and `j`.
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                if let Some(h) = self.index.get_mut(hole) {
                    *h = e;
                }
                if let Some(x) = self.index.get_mut(j) {
                    *x = EMPTY;
                }
                hole = j;
            }
        }
    }

    /// Inserts `key → value` with eviction class `class`, at time `now`.
    ///
    /// If the table is full, the least recently used entry of the lowest
    /// class present is evicted and returned in [`Inserted::evicted`] —
    /// if `policy` allows that class; otherwise the item comes back in
    /// [`InsertError::Rejected`]. An existing key is never replaced:
    /// [`InsertError::Exists`] returns the item and the existing id.
    pub fn insert(
        &mut self,
        key: K,
        value: V,
        class: EvictClass,
        now: u64,
        policy: EvictPolicy,
    ) -> Result<Inserted<K, V>, InsertError<K, V>>
    where
        K: Hash + Eq,
    {
        let hash = hash_key(self.st.keys, &key);
        let mut probe = self.ro().probe(&key, hash);
        if let Some(Probe::Found { slot, .. }) = probe {
            let generation = self.slots.get(slot as usize).map_or(0, |s| s.generation);
            return Err(InsertError::Exists(
                SlotId {
                    index: slot,
                    generation,
                },
                key,
                value,
            ));
        }
        let mut evicted = None;
        if self.st.len >= self.st.capacity {
            let victim = EvictClass::ALL
                .iter()
                .map(|&c| (c, self.st.lru.get(c).head))
                .find(|&(_, head)| head != NIL)
                .filter(|&(c, _)| policy.allows(c));
            let Some((c, head)) = victim else {
                self.st.stats.rejected = self.st.stats.rejected.wrapping_add(1);
                return Err(InsertError::Rejected(key, value));
            };
            evicted = self.remove_slot(head);
            let n = self.st.stats.evictions.get_mut(c);
            *n = n.wrapping_add(1);
            // Backward shift may have emptied an earlier position.
            probe = self.ro().probe(&key, hash);
        }
        let (Some(Probe::Vacant { pos, dist }), Some(i)) = (probe, self.alloc()) else {
            // Unreachable with a consistent state (len < capacity and the
            // index at most half full); kept panic-free.
            self.st.stats.rejected = self.st.stats.rejected.wrapping_add(1);
            return Err(InsertError::Rejected(key, value));
        };
        let now = self.advance_clock(now);
        let Some(s) = self.slots.get_mut(i as usize) else {
            return Err(InsertError::Rejected(key, value));
        };
        s.entry = Some((key, value));
        s.last_seen = now;
        s.hash = hash as u32;
        s.class = class;
        let id = SlotId {
            index: i,
            generation: s.generation,
        };
        self.link_tail(i, class);
        let id_mask = self.st.id_mask();
        if let Some(e) = self.index.get_mut(pos) {
            *e = encode(hash, i, id_mask);
        }
        self.st.len = self.st.len.wrapping_add(1);
        let stats = &mut self.st.stats;
        stats.inserts = stats.inserts.wrapping_add(1);
        stats.max_probe = stats.max_probe.max(dist);
        Ok(Inserted { id, evicted })
    }

    /// Removes a live entry and returns it; `None` for a stale id.
    pub fn remove(&mut self, id: SlotId) -> Option<(K, V)> {
        self.take(id).map(|r| (r.key, r.value))
    }

    /// Removes a live entry and returns it with its class and last activity
    /// time (as an eviction or expiry reports it); `None` for a stale id.
    pub fn take(&mut self, id: SlotId) -> Option<Removed<K, V>> {
        self.live_mut(id)?;
        let r = self.remove_slot(id.index)?;
        self.st.stats.removals = self.st.stats.removals.wrapping_add(1);
        Some(r)
    }

    /// Marks a live entry used at `now`: it becomes the most recently used
    /// of its class. Returns `false` for a stale id.
    pub fn touch(&mut self, id: SlotId, now: u64) -> bool {
        let Some(s) = self.live_mut(id) else {
            return false;
        };
        let class = s.class;
        self.mark(id.index, class, class, now);
        true
    }

    /// Moves a live entry to eviction class `class` (which may be its
    /// current one); this counts as activity at `now` (the entry becomes the
    /// most recently used of its new class, which keeps every list sorted by
    /// time). Returns `false` for a stale id.
    pub fn set_class(&mut self, id: SlotId, class: EvictClass, now: u64) -> bool {
        let Some(s) = self.live_mut(id) else {
            return false;
        };
        let old = s.class;
        self.mark(id.index, old, class, now);
        true
    }

    /// Slot `i` (live, in `old`'s list) used at `now`, in class `class`.
    fn mark(&mut self, i: u32, old: EvictClass, class: EvictClass, now: u64) {
        let now = self.advance_clock(now);
        let shift = self.st.grace_shift;
        let Some(s) = self.slots.get_mut(i as usize) else {
            return;
        };
        let lazy = old == class && self.st.within_grace(s, now);
        s.class = class;
        s.last_seen = now;
        if lazy {
            return;
        }
        // Already the newest of its class (a burst of one flow's packets):
        // the list stays as it is, which is where a move would put it. A
        // later `last_seen` on the tail only moves a deadline later, so the
        // cached `due_at` bound stays sound.
        if old != class || self.st.lru.get(class).tail != i {
            self.unlink(i, old);
            self.link_tail(i, class);
        } else if let Some(s) = self.slots.get_mut(i as usize) {
            s.epoch = epoch(now, shift);
        }
    }

    /// Removes entries idle for longer than their class's timeout
    /// (`now - last_seen > timeouts[class]`), oldest first, at most
    /// `max_work` of them (besides, it reads each class's first entry that
    /// has not expired: at most one per class); each removed entry is
    /// passed to `on_expired`. Classes are visited lowest first; within a
    /// class the walk stops at the first entry that has not expired. With a grace
    /// period `G` ([`FlowTableView::set_lru_grace`]) an expired entry may
    /// wait behind one that has not, at most `G` past its timeout.
    pub fn expire(
        &mut self,
        now: u64,
        timeouts: &PerClass<u64>,
        max_work: usize,
        mut on_expired: impl FnMut(Removed<K, V>),
    ) -> Expired {
        let now = self.advance_clock(now);
        let mut out = Expired {
            removed: 0,
            complete: true,
        };
        'classes: for class in EvictClass::ALL {
            let timeout = *timeouts.get(class);
            loop {
                let head = self.st.lru.get(class).head;
                let Some(s) = self.slots.get(head as usize) else {
                    break;
                };
                // A head that has not timed out ends its class's walk free
                // of charge: the budget pays for removals. Charging it (as
                // until the twenty-second session) let the fresh heads of
                // the closed and embryonic lists, which a busy link always
                // has, spend a budget of 2 on every walk: the established
                // list was never reached, idle flows never expired, and
                // every walk was incomplete (so `expire_due` never skipped
                // one).
                if now.saturating_sub(s.last_seen) <= timeout {
                    break;
                }
                if out.removed >= max_work {
                    out.complete = false;
                    break 'classes;
                }
                let Some(r) = self.remove_slot(head) else {
                    break;
                };
                self.st.stats.expirations = self.st.stats.expirations.wrapping_add(1);
                out.removed = out.removed.wrapping_add(1);
                on_expired(r);
            }
        }
        // Every list now starts with an entry that has not timed out (or is
        // empty): nothing can expire before the earliest head's deadline.
        // Heads only get later (lists are sorted by `last_seen`, the clock
        // never goes back); `link_tail` lowers the bound to a new head's
        // deadline when an empty list gains one. With a grace period, lists
        // are sorted by the last move to the tail instead, and every entry's
        // `last_seen` is in the period of that move: a later head was used
        // less than `G` before this one at worst, so the bound is late by
        // less than `G` (as `expire` may be; see `set_lru_grace`).
        self.st.due_at = 0;
        if out.complete {
            let mut due = u64::MAX;
            for class in EvictClass::ALL {
                let head = self.st.lru.get(class).head;
                if let Some(s) = self.slots.get(head as usize) {
                    let d = s
                        .last_seen
                        .saturating_add(*timeouts.get(class))
                        .saturating_add(1);
                    due = due.min(d);
                }
            }
            self.st.due_at = due;
            self.st.due_timeouts = *timeouts;
        }
        out
    }
}

/// A table owning its storage: `N` slots (a power of two ≤ [`MAX_CAPACITY`],
/// checked at compile time) and a `2N`-entry index.
///
/// Every method forwards to the [`FlowTableView`] returned by
/// [`FlowTable::as_view`], where the logic and its documentation live.
///
/// ```
/// use mptcp_dissect::flow::{EvictClass, EvictPolicy, FlowTable};
///
/// let mut t: FlowTable<u32, &str, 4> = FlowTable::new([7; 16]);
/// let id = t.insert(1, "one", EvictClass::Embryonic, 0, EvictPolicy::Never).unwrap().id;
/// assert_eq!(t.find(&1), Some(id));
/// assert_eq!(t.get(id), Some(&"one"));
/// ```
///
/// A capacity that is not a power of two does not compile:
///
/// ```compile_fail
/// use mptcp_dissect::flow::FlowTable;
///
/// let t: FlowTable<u32, u32, 3> = FlowTable::new([0; 16]);
/// ```
///
/// `Clone` but deliberately not `Copy` (an accidental copy of a large table
/// would be a silent multi-megabyte `memcpy`) nor `PartialEq` (two tables
/// with the same entries differ in layout when their seeds or histories
/// differ).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FlowTable<K, V, const N: usize> {
    st: TableState,
    slots: [Slot<K, V>; N],
    /// `2N` index words, as `N` pairs so that no `2 * N` const expression is
    /// needed.
    index: [[u32; 2]; N],
}

impl<K, V, const N: usize> FlowTable<K, V, N> {
    /// An empty table keyed with `seed` (use 16 random bytes; see
    /// [`FlowTable::reset`] to re-key a `static` table at boot).
    pub const fn new(seed: [u8; 16]) -> Self {
        const {
            assert!(
                N.is_power_of_two() && N <= MAX_CAPACITY,
                "FlowTable capacity N must be a power of two in 1..=2^30"
            );
        }
        FlowTable {
            st: TableState::fresh(N as u32, seed),
            slots: [const { Slot::new() }; N],
            index: [[EMPTY; 2]; N],
        }
    }

    /// The table as a [`FlowTableView`] (no copy).
    pub fn as_view(&mut self) -> FlowTableView<'_, K, V> {
        FlowTableView {
            st: &mut self.st,
            slots: &mut self.slots,
            index: self.index.as_flattened_mut(),
        }
    }

    fn ro(&self) -> Ro<'_, K, V> {
        Ro {
            st: &self.st,
            slots: &self.slots,
            index: self.index.as_flattened(),
        }
    }

    read_methods!();

    /// See [`FlowTableView::insert`].
    pub fn insert(
        &mut self,
        key: K,
        value: V,
        class: EvictClass,
        now: u64,
        policy: EvictPolicy,
    ) -> Result<Inserted<K, V>, InsertError<K, V>>
    where
        K: Hash + Eq,
    {
        self.as_view().insert(key, value, class, now, policy)
    }

    /// See [`FlowTableView::remove`].
    pub fn remove(&mut self, id: SlotId) -> Option<(K, V)> {
        self.as_view().remove(id)
    }

    /// See [`FlowTableView::take`].
    pub fn take(&mut self, id: SlotId) -> Option<Removed<K, V>> {
        self.as_view().take(id)
    }

    /// See [`FlowTableView::get_mut`].
    pub fn get_mut(&mut self, id: SlotId) -> Option<&mut V> {
        let i = id.index as usize;
        // Re-borrow from `self` (a view's borrow cannot outlive the view).
        self.as_view().live_mut(id)?;
        self.slots.get_mut(i)?.entry.as_mut().map(|(_, v)| v)
    }

    /// See [`FlowTableView::touch`].
    pub fn touch(&mut self, id: SlotId, now: u64) -> bool {
        self.as_view().touch(id, now)
    }

    /// See [`FlowTableView::set_class`].
    pub fn set_class(&mut self, id: SlotId, class: EvictClass, now: u64) -> bool {
        self.as_view().set_class(id, class, now)
    }

    /// See [`FlowTableView::set_lru_grace`].
    pub fn set_lru_grace(&mut self, grace: u64) {
        self.as_view().set_lru_grace(grace);
    }

    /// See [`FlowTableView::expire`].
    pub fn expire(
        &mut self,
        now: u64,
        timeouts: &PerClass<u64>,
        max_work: usize,
        on_expired: impl FnMut(Removed<K, V>),
    ) -> Expired {
        self.as_view().expire(now, timeouts, max_work, on_expired)
    }

    /// See [`FlowTableView::reset`].
    pub fn reset(&mut self, seed: [u8; 16]) {
        self.as_view().reset(seed)
    }
}

impl<K, V, const N: usize> Default for FlowTable<K, V, N> {
    /// An empty table with an all-zero seed: call [`FlowTable::reset`] with a
    /// random seed before exposing it to traffic.
    fn default() -> Self {
        Self::new([0; 16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::FlowKey;

    /// The bookkeeping every lookup and LRU refresh reads or writes lies
    /// in the first or the last cache line of a connection's 256-byte slot,
    /// the two lines the burst pipeline prefetches (the key and the
    /// connection's own fields: `per_segment_fields_in_prefetched_lines`).
    #[test]
    fn connection_slot_bookkeeping_in_prefetched_lines() {
        use core::mem::offset_of;
        type S = Slot<u32, crate::flow::Connection>;
        for (name, o, size) in [
            ("last_seen", offset_of!(S, last_seen), 8),
            ("hash", offset_of!(S, hash), 4),
            ("prev", offset_of!(S, prev), 4),
            ("next", offset_of!(S, next), 4),
            ("generation", offset_of!(S, generation), 4),
            ("class", offset_of!(S, class), 1),
            ("epoch", offset_of!(S, epoch), 1),
        ] {
            assert!(
                o + size <= 64 || o >= 192,
                "{name} at bytes {o}..{} of the slot: not in a prefetched line",
                o + size
            );
        }
    }

    #[test]
    fn slot_sizes() {
        assert_eq!(core::mem::size_of::<Slot<FlowKey, [u8; 64]>>(), 128);
        assert_eq!(core::mem::size_of::<Slot<FlowKey, ()>>(), 64);
        // 40 bytes of fields; a cache line on hosts (`repr(align(64))`).
        assert_eq!(core::mem::size_of::<Slot<u32, u32>>(), 64);
        assert_eq!(core::mem::align_of::<Slot<u32, u32>>(), 64);
        assert_eq!(
            layout(1024).unwrap().bytes::<FlowKey, [u8; 64]>(),
            1024 * (128 + 8)
        );
    }

    #[test]
    fn encode_never_empty() {
        for cap in [1u32, 2, 1 << 10, 1 << 30] {
            let m = cap - 1;
            for h in [0u64, u64::MAX, 0xffff_ffff_0000_0000] {
                for s in [0, m] {
                    let e = encode(h, s, m);
                    assert_ne!(e, EMPTY);
                    assert_eq!(e & m, s);
                }
            }
        }
    }

    #[test]
    fn layout_checks() {
        assert_eq!(
            layout(0),
            Err(TableError::CapacityNotPowerOfTwo { capacity: 0 })
        );
        assert_eq!(
            layout(6),
            Err(TableError::CapacityNotPowerOfTwo { capacity: 6 })
        );
        assert_eq!(
            layout(1 << 31),
            Err(TableError::CapacityTooLarge { capacity: 1 << 31 })
        );
        assert_eq!(
            layout(8),
            Ok(TableLayout {
                slots: 8,
                index: 16
            })
        );
    }
}
