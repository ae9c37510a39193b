//! Randomised insert/remove/touch/set_class/expire sequences checked against a
//! `std::collections::HashMap` model, on two tables in lockstep: an owned
//! `FlowTable` and a `FlowTableView` over heap memory with another seed.
//! Their results (ids included) must be identical: the seed moves entries in
//! the index, not in the slab.

use std::collections::HashMap;

use mptcp_dissect::flow::{
    layout, EvictClass, EvictPolicy, FlowTable, FlowTableView, InsertError, PerClass, Removed,
    Slot, SlotId, TableState, TableStats,
};
use proptest::prelude::*;

mod common;
use common::class;

const N: usize = 8;
type K = u16;
type V = u32;

#[derive(Debug, Clone)]
enum Op {
    Insert(K, EvictClass, Option<EvictClass>),
    Remove(K),
    RemoveStale(usize),
    Touch(K),
    SetClass(K, EvictClass),
    Advance(u64),
    Expire(PerClass<u64>, usize),
}

const FIXED_TIMEOUTS: PerClass<u64> = PerClass {
    closed: 5,
    embryonic: 12,
    established: 30,
};

fn op() -> impl Strategy<Value = Op> {
    // Keys from a range three times the capacity, so the table is often full.
    let key = 0..(3 * N as K);
    prop_oneof![
        6 => (key.clone(), class(), proptest::option::of(class()))
            .prop_map(|(k, c, p)| Op::Insert(k, c, p)),
        2 => key.clone().prop_map(Op::Remove),
        1 => (0usize..64).prop_map(Op::RemoveStale),
        3 => key.clone().prop_map(Op::Touch),
        2 => (key, class()).prop_map(|(k, c)| Op::SetClass(k, c)),
        3 => (0u64..20).prop_map(Op::Advance),
        1 => ((0u64..40, 0u64..40, 0u64..40), 0usize..6).prop_map(|((a, b, c), w)| {
            Op::Expire(PerClass { closed: a, embryonic: b, established: c }, w)
        }),
        // The same timeouts again and again, so that `expire_due`'s cached
        // bound is used (it is only kept for the timeouts it was made with).
        2 => (0usize..6).prop_map(|w| Op::Expire(FIXED_TIMEOUTS, w)),
    ]
}

#[derive(Debug, Clone, Copy)]
struct ModelEntry {
    value: V,
    class: EvictClass,
    last_seen: u64,
    /// Activity order (strictly increasing over all operations).
    seq: u64,
    id: SlotId,
}

#[derive(Default)]
struct Model {
    map: HashMap<K, ModelEntry>,
    seq: u64,
    now: u64,
    stale: Vec<SlotId>,
}

impl Model {
    fn bump(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The entry eviction must take: LRU of the lowest class present.
    fn victim(&self) -> Option<(K, ModelEntry)> {
        self.map
            .iter()
            .min_by_key(|(_, e)| (e.class, e.seq))
            .map(|(k, e)| (*k, *e))
    }

    /// The entries `expire` must remove, in order, and whether it gets to
    /// the end (the budget counts removals only).
    fn expired(&self, timeouts: &PerClass<u64>, max_work: usize) -> (Vec<K>, bool) {
        let mut out = vec![];
        for class in EvictClass::ALL {
            let mut list: Vec<(K, ModelEntry)> = self
                .map
                .iter()
                .filter(|(_, e)| e.class == class)
                .map(|(k, e)| (*k, *e))
                .collect();
            list.sort_by_key(|(_, e)| e.seq);
            for (k, e) in list {
                if self.now - e.last_seen <= *timeouts.get(class) {
                    break;
                }
                if out.len() >= max_work {
                    return (out, false);
                }
                out.push(k);
            }
        }
        (out, true)
    }
}

fn check_stats(s: &TableStats, len: usize) {
    let ev = s.evictions.closed + s.evictions.embryonic + s.evictions.established;
    assert_eq!(s.inserts - s.removals - ev - s.expirations, s.len as u64);
    assert_eq!(s.len as usize, len);
}

fn run(ops: Vec<Op>) {
    let mut owned: FlowTable<K, V, N> = FlowTable::new([0x11; 16]);
    let l = layout(N).unwrap();
    let mut state = TableState::new();
    let mut slots: Vec<Slot<K, V>> = vec![Slot::new(); l.slots];
    let mut index = vec![0u32; l.index];
    let mut view = FlowTableView::new(&mut state, &mut slots, &mut index, [0x22; 16]).unwrap();
    let mut m = Model::default();
    let mut next_value: V = 0;

    for op in ops {
        match op {
            Op::Insert(k, class, limit) => {
                next_value += 1;
                let policy = limit.map_or(EvictPolicy::Never, EvictPolicy::UpTo);
                // The burst pipeline's eviction hint names the model's
                // victim (whatever the policy), and nothing with room left.
                let hint = (m.map.len() == N)
                    .then(|| m.victim().map(|(_, e)| e.id.index()))
                    .flatten();
                assert_eq!(owned.next_victim(), hint);
                assert_eq!(view.next_victim(), hint);
                let a = owned.insert(k, next_value, class, m.now, policy);
                let b = view.insert(k, next_value, class, m.now, policy);
                assert_eq!(a, b);
                if let Some(e) = m.map.get(&k) {
                    assert_eq!(a, Err(InsertError::Exists(e.id, k, next_value)));
                    continue;
                }
                let mut expect_evict = None;
                if m.map.len() == N {
                    let (vk, ve) = m.victim().unwrap();
                    if limit.is_none_or(|l| ve.class > l) {
                        assert_eq!(a, Err(InsertError::Rejected(k, next_value)));
                        continue;
                    }
                    expect_evict = Some(Removed {
                        id: ve.id,
                        class: ve.class,
                        last_seen: ve.last_seen,
                        key: vk,
                        value: ve.value,
                    });
                    m.map.remove(&vk);
                    m.stale.push(ve.id);
                }
                let ins = a.unwrap();
                assert_eq!(ins.evicted, expect_evict);
                // Never evicts a higher class while a lower one exists.
                if let Some(r) = ins.evicted {
                    assert!(m.map.values().all(|e| e.class >= r.class));
                }
                let seq = m.bump();
                let e = ModelEntry {
                    value: next_value,
                    class,
                    last_seen: m.now,
                    seq,
                    id: ins.id,
                };
                m.map.insert(k, e);
            }
            Op::Remove(k) => {
                let Some(e) = m.map.remove(&k) else {
                    assert_eq!(owned.find(&k), None);
                    assert_eq!(view.find(&k), None);
                    continue;
                };
                assert_eq!(owned.remove(e.id), Some((k, e.value)));
                assert_eq!(view.remove(e.id), Some((k, e.value)));
                m.stale.push(e.id);
            }
            Op::RemoveStale(i) => {
                if let Some(&id) = m.stale.get(i) {
                    assert_eq!(owned.remove(id), None);
                    assert_eq!(view.remove(id), None);
                    assert!(!owned.touch(id, m.now));
                    assert!(!view.set_class(id, EvictClass::Closed, m.now));
                }
            }
            Op::Touch(k) => {
                if let Some(id) = m.map.get(&k).map(|e| e.id) {
                    assert!(owned.touch(id, m.now));
                    assert!(view.touch(id, m.now));
                    let seq = m.bump();
                    let now = m.now;
                    let e = m.map.get_mut(&k).unwrap();
                    e.seq = seq;
                    e.last_seen = now;
                }
            }
            Op::SetClass(k, class) => {
                if let Some(id) = m.map.get(&k).map(|e| e.id) {
                    assert!(owned.set_class(id, class, m.now));
                    assert!(view.set_class(id, class, m.now));
                    let seq = m.bump();
                    let now = m.now;
                    let e = m.map.get_mut(&k).unwrap();
                    e.seq = seq;
                    e.last_seen = now;
                    e.class = class;
                }
            }
            Op::Advance(d) => m.now += d,
            Op::Expire(timeouts, max_work) => {
                let (want, complete) = m.expired(&timeouts, max_work);
                // `expire_due` is sound: when it says nothing is due, the
                // model (unlimited work) has nothing to expire.
                let (all, _) = m.expired(&timeouts, usize::MAX);
                for due in [
                    owned.expire_due(m.now, &timeouts),
                    view.expire_due(m.now, &timeouts),
                ] {
                    assert!(
                        due || all.is_empty(),
                        "expire_due false with {all:?} expired"
                    );
                }
                let mut got_a = vec![];
                let mut got_b = vec![];
                let ra = owned.expire(m.now, &timeouts, max_work, |r| got_a.push(r));
                let rb = view.expire(m.now, &timeouts, max_work, |r| got_b.push(r));
                assert_eq!(ra, rb);
                assert_eq!(got_a, got_b);
                assert_eq!(got_a.iter().map(|r| r.key).collect::<Vec<_>>(), want);
                assert_eq!((ra.removed, ra.complete), (want.len(), complete));
                for r in got_a {
                    let e = m.map.remove(&r.key).unwrap();
                    assert_eq!((r.id, r.value, r.class), (e.id, e.value, e.class));
                    assert!(m.now - r.last_seen > *timeouts.get(r.class));
                    m.stale.push(r.id);
                }
            }
        }

        // Invariants after every operation.
        let (all, _) = m.expired(&FIXED_TIMEOUTS, usize::MAX);
        assert!(
            owned.expire_due(m.now, &FIXED_TIMEOUTS) || all.is_empty(),
            "expire_due false with {all:?} expired"
        );
        assert!(owned.len() <= N);
        assert_eq!(owned.len(), m.map.len());
        assert_eq!(view.len(), m.map.len());
        // Equal counters, except the probe length, which depends on the seed.
        assert_eq!(
            TableStats {
                max_probe: 0,
                ..owned.stats()
            },
            TableStats {
                max_probe: 0,
                ..view.stats()
            }
        );
        check_stats(&owned.stats(), m.map.len());
        for (k, e) in &m.map {
            // Every remaining key is findable (backward-shift deletion).
            assert_eq!(owned.find(k), Some(e.id));
            assert_eq!(view.find(k), Some(e.id));
            assert_eq!(owned.entry(e.id), Some((k, &e.value)));
            assert_eq!(view.class(e.id), Some(e.class));
            assert_eq!(owned.last_seen(e.id), Some(e.last_seen));
        }
        assert_eq!(owned.iter().count(), m.map.len());
        // A cursor resumed at any slot index sees exactly the entries from
        // there on, in slot order, in both forms.
        let all: Vec<SlotId> = owned.iter().map(|(id, _, _)| id).collect();
        let mut ids: Vec<u32> = all.iter().map(|id| id.index()).collect();
        ids.sort_unstable();
        assert_eq!(all.iter().map(|id| id.index()).collect::<Vec<_>>(), ids);
        for start in [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 1 << 20] {
            let want: Vec<SlotId> = all
                .iter()
                .copied()
                .filter(|id| id.index() >= start)
                .collect();
            let got: Vec<SlotId> = owned.iter_from(start).map(|(id, _, _)| id).collect();
            assert_eq!(got, want, "owned, from {start}");
            let got: Vec<SlotId> = view.iter_from(start).map(|(id, _, _)| id).collect();
            assert_eq!(got, want, "view, from {start}");
        }
        // LRU lists are exactly the model's activity order per class.
        for class in EvictClass::ALL {
            let mut want: Vec<&ModelEntry> = m.map.values().filter(|e| e.class == class).collect();
            want.sort_by_key(|e| e.seq);
            let want: Vec<SlotId> = want.iter().map(|e| e.id).collect();
            assert_eq!(owned.lru_iter(class).collect::<Vec<_>>(), want);
            assert_eq!(view.lru_iter(class).collect::<Vec<_>>(), want);
        }
        for id in &m.stale {
            assert!(!owned.contains(*id));
            assert!(!view.contains(*id));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn table_matches_model(ops in proptest::collection::vec(op(), 1..300)) {
        run(ops);
    }
}

/// Absent keys colliding in the index must not be found, and removal in any
/// order keeps the rest findable (a denser, single-class workload).
#[test]
fn churn_keeps_all_keys_findable() {
    let mut t: FlowTable<u32, u32, 256> = FlowTable::new([3; 16]);
    let mut live: Vec<(u32, SlotId)> = vec![];
    let mut x: u32 = 0x1234_5678;
    for round in 0..20_000u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if live.len() < 256 && (x & 1 == 0 || live.is_empty()) {
            let k = x >> 8;
            if let Ok(i) = t.insert(k, round, EvictClass::Established, 0, EvictPolicy::Never) {
                live.push((k, i.id));
            }
        } else {
            let (k, id) = live.swap_remove((x >> 8) as usize % live.len());
            assert_eq!(t.remove(id).map(|(key, _)| key), Some(k));
        }
        if round % 1000 == 0 {
            for (k, id) in &live {
                assert_eq!(t.find(k), Some(*id));
            }
        }
    }
    assert_eq!(t.len(), live.len());
    assert!(t.stats().max_probe < 64, "{:?}", t.stats());
}
