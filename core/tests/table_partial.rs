//! Tables over partial slot memory (`FlowTableView::new_partial` /
//! `attach_partial`): grown by the caller just before an insertion would
//! need a slot past the end, they behave exactly like a table whose slots
//! were all there from the start — same results, ids, evictions, LRU order,
//! counters — under random insert/remove/touch/set_class/expire sequences.

use mptcp_dissect::flow::{
    layout, EvictClass, EvictPolicy, FlowTable, FlowTableView, InsertError, PerClass, Slot,
    TableError, TableState,
};
use proptest::prelude::*;

mod common;
use common::class;

const N: usize = 16;
type K = u16;
type V = u32;

#[derive(Debug, Clone)]
enum Op {
    Insert(K, EvictClass, Option<EvictClass>),
    Remove(K),
    Touch(K),
    SetClass(K, EvictClass),
    Advance(u64),
    Expire(PerClass<u64>, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..(3 * N as K);
    prop_oneof![
        6 => (key.clone(), class(), proptest::option::of(class()))
            .prop_map(|(k, c, p)| Op::Insert(k, c, p)),
        2 => key.clone().prop_map(Op::Remove),
        3 => key.clone().prop_map(Op::Touch),
        2 => (key, class()).prop_map(|(k, c)| Op::SetClass(k, c)),
        3 => (0u64..20).prop_map(Op::Advance),
        1 => ((0u64..40, 0u64..40, 0u64..40), 0usize..6).prop_map(|((a, b, c), w)| {
            Op::Expire(PerClass { closed: a, embryonic: b, established: c }, w)
        }),
    ]
}

fn run(ops: Vec<Op>, start: usize, steps: Vec<usize>) {
    let mut full: FlowTable<K, V, N> = FlowTable::new([0x33; 16]);
    let l = layout(N).unwrap();
    let mut st = TableState::new();
    let mut slots: Vec<Slot<K, V>> = vec![Slot::new(); start];
    let mut index = vec![0u32; l.index];
    FlowTableView::<K, V>::new_partial(&mut st, &mut slots, &mut index, [0x33; 16]).unwrap();
    let mut steps = steps.into_iter().cycle();
    let mut now = 0u64;
    let mut value: V = 0;
    for op in ops {
        if matches!(op, Op::Insert(..)) && st.slots_used() == slots.len() && slots.len() < N {
            // Grow by a random step, with vacant slots (as the reference
            // table's; other content only changes the generations of ids).
            let to = (slots.len() + steps.next().unwrap_or(1)).min(N);
            slots.resize(to, Slot::new());
        }
        let mut v = FlowTableView::attach_partial(&mut st, &mut slots, &mut index).unwrap();
        match op {
            Op::Insert(k, c, limit) => {
                value += 1;
                let policy = limit.map_or(EvictPolicy::Never, EvictPolicy::UpTo);
                assert_eq!(
                    full.insert(k, value, c, now, policy),
                    v.insert(k, value, c, now, policy)
                );
            }
            Op::Remove(k) => {
                let id = full.find(&k);
                assert_eq!(id, v.find(&k));
                if let Some(id) = id {
                    assert_eq!(full.remove(id), v.remove(id));
                }
            }
            Op::Touch(k) => {
                if let Some(id) = full.find(&k) {
                    assert_eq!(full.touch(id, now), v.touch(id, now));
                }
            }
            Op::SetClass(k, c) => {
                if let Some(id) = full.find(&k) {
                    assert_eq!(full.set_class(id, c, now), v.set_class(id, c, now));
                }
            }
            Op::Advance(d) => now += d,
            Op::Expire(t, w) => {
                let mut a = vec![];
                let mut b = vec![];
                let ra = full.expire(now, &t, w, |r| a.push(r));
                let rb = v.expire(now, &t, w, |r| b.push(r));
                assert_eq!((ra, a), (rb, b));
            }
        }
        assert_eq!(full.stats(), v.stats());
        for class in EvictClass::ALL {
            assert_eq!(
                full.lru_iter(class).collect::<Vec<_>>(),
                v.lru_iter(class).collect::<Vec<_>>()
            );
        }
        assert!(st.slots_used() <= slots.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn grown_on_demand_equals_full(
        ops in proptest::collection::vec(op(), 1..300),
        start in 0usize..=N,
        steps in proptest::collection::vec(1usize..5, 1..8),
    ) {
        run(ops, start, steps);
    }
}

/// Without growth, an insertion that needs a slot past the end is refused
/// as if the table were full and could not evict (no panic, nothing lost).
#[test]
fn no_slot_left_is_refused() {
    let l = layout(8).unwrap();
    let mut st = TableState::new();
    let mut slots: Vec<Slot<u32, u32>> = vec![Slot::new(); 2];
    let mut index = vec![0u32; l.index];
    let mut t = FlowTableView::new_partial(&mut st, &mut slots, &mut index, [1; 16]).unwrap();
    let a = t
        .insert(1, 10, EvictClass::Closed, 0, EvictPolicy::ANY)
        .unwrap()
        .id;
    t.insert(2, 20, EvictClass::Closed, 0, EvictPolicy::ANY)
        .unwrap();
    assert_eq!(
        t.insert(3, 30, EvictClass::Closed, 0, EvictPolicy::ANY),
        Err(InsertError::Rejected(3, 30))
    );
    // A removed entry's slot is free again: no growth needed.
    t.remove(a);
    assert!(t
        .insert(3, 30, EvictClass::Closed, 0, EvictPolicy::ANY)
        .is_ok());
    assert_eq!(
        t.insert(4, 40, EvictClass::Closed, 0, EvictPolicy::ANY),
        Err(InsertError::Rejected(4, 40))
    );
    assert_eq!(t.len(), 2);
    // The refusals took no slot: grown by one, the next entry gets it.
    assert_eq!(st.slots_used(), 2);
    slots.push(Slot::new());
    let mut t = FlowTableView::attach_partial(&mut st, &mut slots, &mut index).unwrap();
    let id = t
        .insert(4, 40, EvictClass::Closed, 0, EvictPolicy::ANY)
        .unwrap()
        .id;
    assert_eq!(id.index(), 2);
    assert_eq!(t.find(&4), Some(id));
}

#[test]
fn partial_length_checks() {
    let mut st = TableState::new();
    let mut slots: Vec<Slot<u32, u32>> = vec![Slot::new(); 9];
    let mut index = vec![0u32; 16];
    assert_eq!(
        FlowTableView::new_partial(&mut st, &mut slots, &mut index, [0; 16]).err(),
        Some(TableError::SlotsBeyondCapacity {
            capacity: 8,
            slots: 9
        })
    );
    let mut odd = vec![0u32; 12];
    assert_eq!(
        FlowTableView::new_partial(&mut st, &mut slots[..4], &mut odd, [0; 16]).err(),
        Some(TableError::CapacityNotPowerOfTwo { capacity: 6 })
    );
    let mut t = FlowTableView::new_partial(&mut st, &mut slots[..2], &mut index, [0; 16]).unwrap();
    t.insert(1, 1, EvictClass::Closed, 0, EvictPolicy::ANY)
        .unwrap();
    t.insert(2, 2, EvictClass::Closed, 0, EvictPolicy::ANY)
        .unwrap();
    // Fewer slots than used: refused.
    assert_eq!(
        FlowTableView::attach_partial(&mut st, &mut slots[..1], &mut index).err(),
        Some(TableError::StateMismatch)
    );
    assert!(FlowTableView::attach_partial(&mut st, &mut slots[..8], &mut index).is_ok());
    // An index of another length than the state's: the precise errors of
    // the full checks (the three-comparison check only accepts).
    let mut long = vec![0u32; 32];
    assert_eq!(
        FlowTableView::attach_partial(&mut st, &mut slots[..2], &mut long).err(),
        Some(TableError::StateMismatch)
    );
    assert_eq!(
        FlowTableView::attach_partial(&mut st, &mut slots[..2], &mut odd).err(),
        Some(TableError::CapacityNotPowerOfTwo { capacity: 6 })
    );
    // More slots than the capacity.
    assert_eq!(
        FlowTableView::attach_partial(&mut st, &mut slots[..9], &mut index).err(),
        Some(TableError::SlotsBeyondCapacity {
            capacity: 8,
            slots: 9
        })
    );
    // An uninitialised state.
    let mut fresh = TableState::new();
    assert_eq!(
        FlowTableView::attach_partial(&mut fresh, &mut slots[..2], &mut index).err(),
        Some(TableError::StateMismatch)
    );
}
