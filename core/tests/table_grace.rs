//! The LRU grace period (`FlowTableView::set_lru_grace`) checked against the
//! bounds its documentation states, on random insert/remove/touch/set_class/
//! expire sequences. The model only knows when each entry was last used and
//! its class — not how the table orders its lists — so it checks the
//! promises, not the implementation:
//!
//! * the table holds exactly the model's keys and values;
//! * eviction takes the lowest class present, and an entry used less than
//!   `G` after that class's least recently used one;
//! * `expire` never removes an entry before its timeout, and once a walk
//!   completes, no entry is `G` or more past its timeout; `expire_due`
//!   says "nothing due" only while that holds too.
//!
//! Time advances by small steps and sometimes by exactly 256 periods, where
//! the 8-bit period count a slot keeps comes back to the same value.

use std::collections::HashMap;

use mptcp_dissect::flow::{
    EvictClass, EvictPolicy, FlowTable, FlowTableView, InsertError, PerClass, Slot, SlotId,
    TableState,
};
use proptest::prelude::*;

mod common;
use common::class;

const N: usize = 8;
/// The grace period of the tables under test (a power of two).
const G: u64 = 8;
type K = u16;
type V = u32;

#[derive(Debug, Clone)]
enum Op {
    Insert(K, EvictClass),
    Remove(K),
    Touch(K),
    SetClass(K, EvictClass),
    Advance(u64),
    Expire(PerClass<u64>, usize),
    /// `expire_due` with the fixed timeouts, then `expire` if it says so.
    ExpireIfDue(usize),
}

/// Timeouts used again and again, so that `expire_due`'s cached bound (kept
/// for the timeouts it was made with) is exercised.
const FIXED: PerClass<u64> = PerClass {
    closed: 6,
    embryonic: 17,
    established: 40,
};

fn op() -> impl Strategy<Value = Op> {
    let key = 0..(3 * N as K);
    prop_oneof![
        5 => (key.clone(), class()).prop_map(|(k, c)| Op::Insert(k, c)),
        1 => key.clone().prop_map(Op::Remove),
        3 => key.clone().prop_map(Op::Touch),
        // A few hot keys touched again and again, a step or two apart, so
        // that some entries stay busy for many periods.
        6 => (0 as K..3).prop_map(Op::Touch),
        1 => (key, class()).prop_map(|(k, c)| Op::SetClass(k, c)),
        6 => (0u64..(G / 2)).prop_map(Op::Advance),
        2 => (0u64..(2 * G)).prop_map(Op::Advance),
        // 256 periods: the slot's period count wraps to the same value.
        1 => Just(Op::Advance(256 * G)),
        2 => ((0u64..60, 0u64..60, 0u64..60), prop_oneof![0usize..6, Just(usize::MAX)])
            .prop_map(|((a, b, c), w)| {
                Op::Expire(PerClass { closed: a, embryonic: b, established: c }, w)
            }),
        3 => prop_oneof![0usize..6, Just(usize::MAX)].prop_map(Op::ExpireIfDue),
    ]
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    value: V,
    class: EvictClass,
    last_seen: u64,
    id: SlotId,
}

fn run(ops: Vec<Op>) {
    let mut owned: FlowTable<K, V, N> = FlowTable::new([0x31; 16]);
    owned.set_lru_grace(G);
    let l = mptcp_dissect::flow::layout(N).unwrap();
    let mut state = TableState::new();
    let mut slots: Vec<Slot<K, V>> = vec![Slot::new(); l.slots];
    let mut index = vec![0u32; l.index];
    let mut view = FlowTableView::new(&mut state, &mut slots, &mut index, [0x42; 16]).unwrap();
    // Not a power of two: rounded down to G.
    view.set_lru_grace(G + 3);
    assert_eq!(view.lru_grace(), G);
    assert_eq!(owned.lru_grace(), G);
    let mut m: HashMap<K, Entry> = HashMap::new();
    let mut now = 0u64;
    let mut next_value: V = 0;

    for op in ops {
        match op {
            Op::Insert(k, class) => {
                next_value += 1;
                let a = owned.insert(k, next_value, class, now, EvictPolicy::ANY);
                let b = view.insert(k, next_value, class, now, EvictPolicy::ANY);
                // The same operations on both tables: the same ids.
                assert_eq!(a, b);
                if let Some(e) = m.get(&k) {
                    assert_eq!(a, Err(InsertError::Exists(e.id, k, next_value)));
                    continue;
                }
                let ins = a.expect("ANY may always evict");
                if m.len() == N {
                    let r = ins.evicted.expect("a full table evicts");
                    let lowest = m.values().map(|e| e.class).min().unwrap();
                    assert_eq!(r.class, lowest, "evicted a higher class");
                    let oldest = m
                        .values()
                        .filter(|e| e.class == lowest)
                        .map(|e| e.last_seen)
                        .min()
                        .unwrap();
                    let e = m.remove(&r.key).expect("evicted a key the model has");
                    assert_eq!((r.value, r.last_seen, r.id), (e.value, e.last_seen, e.id));
                    assert!(
                        e.last_seen < oldest + G,
                        "evicted an entry used at {} while one of its class was last used at {oldest}",
                        e.last_seen
                    );
                } else {
                    assert_eq!(ins.evicted, None);
                }
                m.insert(
                    k,
                    Entry {
                        value: next_value,
                        class,
                        last_seen: now,
                        id: ins.id,
                    },
                );
            }
            Op::Remove(k) => {
                let expect = m.remove(&k).map(|e| (e.id, (k, e.value)));
                if let Some((id, kv)) = expect {
                    assert_eq!(owned.remove(id), Some(kv));
                    assert_eq!(view.remove(id), Some(kv));
                }
            }
            Op::Touch(k) => {
                if let Some(e) = m.get_mut(&k) {
                    assert!(owned.touch(e.id, now));
                    assert!(view.touch(e.id, now));
                    e.last_seen = now;
                }
            }
            Op::SetClass(k, class) => {
                if let Some(e) = m.get_mut(&k) {
                    assert!(owned.set_class(e.id, class, now));
                    assert!(view.set_class(e.id, class, now));
                    e.last_seen = now;
                    e.class = class;
                }
            }
            Op::Advance(d) => now += d,
            Op::ExpireIfDue(work) => {
                let due = owned.expire_due(now, &FIXED);
                assert_eq!(due, view.expire_due(now, &FIXED));
                if !due {
                    for (k, e) in &m {
                        assert!(
                            now - e.last_seen <= *FIXED.get(e.class) + G,
                            "expire_due: nothing due, but key {k} is {} past its timeout",
                            now - e.last_seen - *FIXED.get(e.class)
                        );
                    }
                    continue;
                }
                expire(&mut owned, &mut view, &mut m, now, FIXED, work);
            }
            Op::Expire(timeouts, work) => {
                expire(&mut owned, &mut view, &mut m, now, timeouts, work)
            }
        }
        assert_eq!(owned.len(), m.len());
        for (k, e) in &m {
            assert_eq!(owned.find(k), Some(e.id));
            assert_eq!(view.find(k), Some(e.id));
            assert_eq!(owned.get(e.id), Some(&e.value));
            assert_eq!(view.get(e.id), Some(&e.value));
        }
    }
}

/// One `expire` on both tables, checked against the model.
fn expire(
    owned: &mut FlowTable<K, V, N>,
    view: &mut FlowTableView<'_, K, V>,
    m: &mut HashMap<K, Entry>,
    now: u64,
    timeouts: PerClass<u64>,
    work: usize,
) {
    let mut gone_a = vec![];
    let mut gone_b = vec![];
    let ra = owned.expire(now, &timeouts, work, |r| gone_a.push(r));
    let rb = view.expire(now, &timeouts, work, |r| gone_b.push(r));
    assert_eq!(ra, rb);
    assert_eq!(gone_a, gone_b);
    for r in gone_a {
        let e = m.remove(&r.key).expect("expired a key the model has");
        assert_eq!((r.value, r.last_seen, r.id), (e.value, e.last_seen, e.id));
        assert!(
            now - e.last_seen > *timeouts.get(e.class),
            "expired before its timeout"
        );
    }
    if ra.complete {
        for (k, e) in m.iter() {
            assert!(
                now - e.last_seen <= *timeouts.get(e.class) + G,
                "key {k} left {} past its timeout after a complete walk",
                now - e.last_seen - *timeouts.get(e.class)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn grace_keeps_its_bounds(ops in proptest::collection::vec(op(), 1..300)) {
        run(ops);
    }
}

/// Inserts `k` into an established-class list at `now`; its id.
fn ins(t: &mut FlowTable<K, V, N>, k: K, now: u64) -> SlotId {
    t.insert(
        k,
        V::from(k) * 10,
        EvictClass::Established,
        now,
        EvictPolicy::ANY,
    )
    .unwrap()
    .id
}

/// Within the grace period a touch leaves the list order alone; after it,
/// the touched entry moves to the newest end. Exact LRU (the default) moves
/// it every time.
#[test]
fn touch_moves_once_a_period() {
    let order =
        |t: &FlowTable<K, V, N>| -> Vec<SlotId> { t.lru_iter(EvictClass::Established).collect() };
    for grace in [0, G] {
        let mut t: FlowTable<K, V, N> = FlowTable::new([7; 16]);
        t.set_lru_grace(grace);
        let a = ins(&mut t, 1, 0);
        let b = ins(&mut t, 2, 1);
        assert_eq!(order(&t), [a, b]);
        // Same period as `a`'s insertion (0..8).
        assert!(t.touch(a, 2));
        if grace == 0 {
            assert_eq!(order(&t), [b, a]);
            continue;
        }
        assert_eq!(order(&t), [a, b]);
        // The next period: moved.
        assert!(t.touch(a, G));
        assert_eq!(order(&t), [b, a]);
        // Touched again as the newest entry in a later period: it stays where
        // it is (already the newest), and counts as moved in that period.
        assert!(t.touch(a, 2 * G));
        let c = ins(&mut t, 3, 2 * G);
        assert!(t.touch(a, 2 * G + 1));
        assert_eq!(order(&t), [b, a, c]);
        // Exactly 256 periods after `b` was linked, and idle that long: the
        // period count matches but the entry is still moved.
        assert!(t.touch(b, 1 + 256 * G));
        assert_eq!(order(&t), [a, c, b]);
    }
}

/// Switching the grace period on while the table holds entries: each entry
/// moves on its first touch after the switch (its period count is stale),
/// then stays within the period.
#[test]
fn switching_grace_on_moves_each_entry_once() {
    let mut t: FlowTable<K, V, N> = FlowTable::new([9; 16]);
    let order =
        |t: &FlowTable<K, V, N>| -> Vec<SlotId> { t.lru_iter(EvictClass::Established).collect() };
    let a = ins(&mut t, 1, 0);
    let b = ins(&mut t, 2, 0);
    // Exact LRU so far, in period 0 of the grace to come; switching marks
    // both entries.
    t.set_lru_grace(G);
    assert!(t.touch(a, 1));
    assert_eq!(order(&t), [b, a]);
    assert!(t.touch(b, 2));
    assert_eq!(order(&t), [a, b]);
    // Both moved in period 0 since the switch: now they stay.
    assert!(t.touch(a, 3));
    assert_eq!(order(&t), [a, b]);
    // Setting the same period again changes nothing.
    t.set_lru_grace(G);
    assert!(t.touch(a, 4));
    assert_eq!(order(&t), [a, b]);
}

/// Shrinking the grace period while an entry sits in a late part of its
/// period: its next touch must move it (the reviewer's sequence; a stale
/// mark one period ahead instead of half the count away would match).
#[test]
fn shrinking_grace_moves_each_entry_once() {
    let mut t: FlowTable<K, V, N> = FlowTable::new([5; 16]);
    t.set_lru_grace(2 * G);
    let a = ins(&mut t, 1, 0);
    let b = ins(&mut t, 2, 1);
    // Within the 16-unit period: stays at the head.
    assert!(t.touch(a, 2 * G - 1));
    assert_eq!(
        t.lru_iter(EvictClass::Established).collect::<Vec<_>>(),
        [a, b]
    );
    t.set_lru_grace(G);
    assert!(t.touch(a, 2 * G));
    assert_eq!(
        t.lru_iter(EvictClass::Established).collect::<Vec<_>>(),
        [b, a]
    );
}
