//! The `dissect` bench's floor peer (`FlowCache`, etherparse's parser)
//! against the core's parser and flow keys, two independent
//! implementations: over every Linux capture, the same flows with the same
//! packet and payload byte counts.

use std::collections::HashMap;

use mptcp_dissect::flow::key::FlowKey;
use mptcp_dissect::wire::frame::{parse_frame, Transport};
use mptcp_dissect_benches::{linux_stories, FlowCache};

#[test]
fn same_flows_and_counts_as_the_core() {
    let caps = linux_stories();
    assert!(caps.len() >= 6);
    let mut checked = 0;
    for cap in &caps {
        let mut cache = FlowCache::new(1 << 16);
        let mut core: HashMap<FlowKey, (u32, u32)> = HashMap::new();
        for f in &cap.frames {
            let cached = cache.packet(f).is_some();
            let Ok(frame) = parse_frame(f, cap.link()) else {
                assert!(
                    !cached,
                    "{}: etherparse took a frame the core rejects",
                    cap.name
                );
                continue;
            };
            let Transport::Tcp(tcp) = frame.transport else {
                assert!(!cached, "{}: etherparse took a non-TCP frame", cap.name);
                continue;
            };
            assert!(cached, "{}: a TCP frame etherparse rejects", cap.name);
            let (key, _) = FlowKey::new(frame.src(), tcp.src_port(), frame.dst(), tcp.dst_port());
            let e = core.entry(key).or_default();
            e.0 += 1;
            e.1 += tcp.payload().len() as u32;
        }
        let mut theirs: Vec<(u32, u32)> = cache
            .slots()
            .iter()
            .filter(|s| s.packets > 0)
            .map(|s| (s.packets, s.payload))
            .collect();
        let mut ours: Vec<(u32, u32)> = core.values().copied().collect();
        theirs.sort_unstable();
        ours.sort_unstable();
        assert!(!ours.is_empty(), "{}: no TCP flow", cap.name);
        assert_eq!(theirs, ours, "{}", cap.name);
        checked += ours.len();
    }
    assert!(checked >= 12, "{checked} flows");
}

#[test]
fn both_directions_share_a_slot_and_options_are_counted() {
    let caps = linux_stories();
    let cap = &caps[0];
    let mut cache = FlowCache::new(1 << 16);
    let mut max_options = 0;
    for f in &cap.frames {
        if let Some(s) = cache.packet(f) {
            max_options = max_options.max(s.options);
        }
    }
    // A SYN carries MSS, SACK-permitted, timestamps, window scale and
    // MP_CAPABLE (plus NOPs): options were walked past the MPTCP one.
    assert!(max_options >= 5, "{max_options}");
    // A handshake's SYN and SYN/ACK (opposite directions) in one slot.
    assert!(cache.slots().iter().any(|s| s.packets >= 3));
}

#[test]
fn burst_equals_frame_by_frame() {
    let frames: Vec<Vec<u8>> = linux_stories().into_iter().flat_map(|c| c.frames).collect();
    // A small cache, so that flows collide and overwrite each other: the
    // order of updates matters and must be the same.
    let mut one = FlowCache::new(8);
    let mut each_one = Vec::new();
    for f in &frames {
        if let Some(s) = one.packet(f) {
            each_one.push(*s);
        }
    }
    let mut burst = FlowCache::new(8);
    let mut each_burst = Vec::new();
    let mut prefetched = 0;
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    // Bursts of 100 (not a multiple of the 256-frame chunk) and one of the rest.
    for part in refs.chunks(100) {
        burst.burst(part, |_| prefetched += 1, |s| each_burst.push(*s));
    }
    assert_eq!(each_one.len(), each_burst.len());
    assert!(each_one == each_burst, "per-frame slots differ");
    assert_eq!(one.slots(), burst.slots());
    assert_eq!(prefetched, each_one.len());
    assert!(each_one.len() > 500, "{}", each_one.len());
}
