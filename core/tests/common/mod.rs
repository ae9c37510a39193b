//! Proptest strategies shared by the flow-table tests.

use mptcp_dissect::flow::EvictClass;
use proptest::prelude::*;

/// Any eviction class, evenly.
pub fn class() -> impl Strategy<Value = EvictClass> {
    prop_oneof![
        Just(EvictClass::Closed),
        Just(EvictClass::Embryonic),
        Just(EvictClass::Established)
    ]
}
