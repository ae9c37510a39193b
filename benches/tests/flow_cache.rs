//! The `dissect` bench's baseline peer (`FlowCache`, etherparse's parser)
//! against the core's parser, flow keys and option framing, two
//! independent implementations: over every benched Linux capture, the same
//! flows with the same packet, payload byte and option counts; its
//! prefetching `burst` against frame-by-frame calls; a slot's overwrite
//! and last sequence number against a model.

use std::collections::HashMap;

use mptcp_dissect::flow::key::FlowKey;
use mptcp_dissect::wire::frame::{parse_frame, Transport};
use mptcp_dissect_benches::{core_options, linux_stories, Capture, FlowCache};

/// What the core makes of a TCP frame: its flow key, payload length,
/// options (`core_options`: the core's framing) and sequence number.
fn core_view(cap: &Capture, f: &[u8]) -> Option<(FlowKey, u32, u32, u32)> {
    let frame = parse_frame(f, cap.link()).ok()?;
    let Transport::Tcp(tcp) = frame.transport else {
        return None;
    };
    let (key, _) = FlowKey::new(frame.src(), tcp.src_port(), frame.dst(), tcp.dst_port());
    let options = core_options(tcp.options());
    Some((key, tcp.payload().len() as u32, options, tcp.seq_number()))
}

#[test]
fn same_flows_and_counts_as_the_core() {
    let caps = linux_stories();
    assert!(caps.len() >= 6);
    let mut checked = 0;
    let mut both_ways = 0;
    for cap in &caps {
        let mut cache = FlowCache::new(1 << 16);
        let mut core: HashMap<FlowKey, (u32, u32, u32)> = HashMap::new();
        let mut dirs: HashMap<FlowKey, [bool; 2]> = HashMap::new();
        for f in &cap.frames {
            let cached = cache.packet(f).is_some();
            let Some((key, payload, options, _)) = core_view(cap, f) else {
                assert!(
                    !cached,
                    "{}: etherparse took a frame the core does not parse as TCP",
                    cap.name
                );
                continue;
            };
            assert!(cached, "{}: a TCP frame etherparse rejects", cap.name);
            let e = core.entry(key).or_default();
            e.0 += 1;
            e.1 += payload;
            e.2 += options;
            let frame = parse_frame(f, cap.link()).unwrap();
            let Transport::Tcp(tcp) = frame.transport else {
                unreachable!()
            };
            let (_, dir) = FlowKey::new(frame.src(), tcp.src_port(), frame.dst(), tcp.dst_port());
            dirs.entry(key).or_default()
                [usize::from(dir == mptcp_dissect::flow::key::Direction::Reverse)] = true;
        }
        let mut theirs: Vec<(u32, u32, u32)> = cache
            .slots()
            .iter()
            .filter(|s| s.packets > 0)
            .map(|s| (s.packets, s.payload, s.options))
            .collect();
        let mut ours: Vec<(u32, u32, u32)> = core.values().copied().collect();
        theirs.sort_unstable();
        ours.sort_unstable();
        assert!(!ours.is_empty(), "{}: no TCP flow", cap.name);
        // Both directions of a flow in one slot: a slot per direction
        // would split the counts of every flow seen both ways.
        assert_eq!(theirs, ours, "{}", cap.name);
        checked += ours.len();
        both_ways += dirs.values().filter(|d| d[0] && d[1]).count();
    }
    assert!(checked >= 12, "{checked} flows");
    assert!(both_ways >= 12, "{both_ways} flows seen both ways");
}

#[test]
fn burst_equals_frame_by_frame() {
    let frames: Vec<Vec<u8>> = linux_stories().into_iter().flat_map(|c| c.frames).collect();
    // More than two 256-frame chunks.
    assert!(frames.len() > 600, "{}", frames.len());
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    // A small cache, so that flows collide and overwrite each other: the
    // order of updates matters and must be the same.
    let mut one = FlowCache::new(8);
    let mut each_one = Vec::new();
    for f in &frames {
        if let Some(s) = one.packet(f) {
            each_one.push(*s);
        }
    }
    assert!(each_one.len() > 500, "{}", each_one.len());
    // Bursts shorter than the 256-frame chunk, longer (several chunks and
    // a partial one), and all frames in one burst.
    for part in [100, 600, refs.len()] {
        let mut burst = FlowCache::new(8);
        let mut each_burst = Vec::new();
        let mut prefetched = 0;
        for chunk in refs.chunks(part) {
            burst.burst(chunk, |_| prefetched += 1, |s| each_burst.push(*s));
        }
        assert_eq!(each_one.len(), each_burst.len(), "bursts of {part}");
        assert!(
            each_one == each_burst,
            "bursts of {part}: per-frame slots differ"
        );
        assert_eq!(one.slots(), burst.slots(), "bursts of {part}");
        assert_eq!(prefetched, each_one.len(), "bursts of {part}");
    }
}

#[test]
fn one_slot_is_overwritten_by_each_new_flow() {
    // With a single slot, a flow's count is the run of its consecutive
    // frames, and the slot holds the last frame's sequence number.
    for cap in &linux_stories() {
        let mut cache = FlowCache::new(1);
        let mut last: Option<FlowKey> = None;
        let mut run = 0;
        for f in &cap.frames {
            let slot = cache.packet(f).copied();
            let Some((key, _, _, seq)) = core_view(cap, f) else {
                assert!(slot.is_none());
                continue;
            };
            run = if last == Some(key) { run + 1 } else { 1 };
            last = Some(key);
            let slot = slot.expect("a TCP frame");
            assert_eq!(slot.packets, run, "{}", cap.name);
            assert_eq!(slot.last_seq, seq, "{}", cap.name);
        }
    }
}

#[test]
fn core_parser_peer_equals_etherparse_peer() {
    // The two peers differ only in their parser: on every benched Linux
    // frame the same result (both in a small cache, so that any frame one
    // takes and the other does not changes later slots), frame by frame
    // and in bursts.
    let frames: Vec<Vec<u8>> = linux_stories().into_iter().flat_map(|c| c.frames).collect();
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let mut ether = FlowCache::new(8);
    let mut core = FlowCache::with_core_parser(8);
    let mut taken = 0;
    for f in &frames {
        let a = ether.packet(f).copied();
        let b = core.packet(f).copied();
        assert_eq!(a, b);
        taken += usize::from(a.is_some());
    }
    assert!(taken > 500, "{taken}");
    assert_eq!(ether.slots(), core.slots());
    let mut burst = FlowCache::with_core_parser(8);
    for chunk in refs.chunks(300) {
        burst.burst(chunk, |_| {}, |_| {});
    }
    assert_eq!(burst.slots(), core.slots());
}
