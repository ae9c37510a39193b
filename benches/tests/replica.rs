//! The replicator must not change what the dissector sees: a replayed
//! session gives the same counters and the same events as its capture.

use mptcp_dissect::dissector::{Dissector, DissectorConfig, DissectorStats};
use mptcp_dissect_benches::{linux_stories, Story, Stream};

fn event_name(e: &impl std::fmt::Debug) -> String {
    let s = format!("{e:?}");
    s.split([' ', '(', '{']).next().unwrap_or("").to_string()
}

fn run(frames: impl Iterator<Item = Vec<u8>>, story: &Story) -> (DissectorStats, Vec<Vec<String>>) {
    let mut d: Box<Dissector<64, 32>> =
        Box::new(Dissector::new([3; 16], DissectorConfig::default()));
    let mut evs = Vec::new();
    for (i, f) in frames.enumerate() {
        d.dissect(&f, story.link, i as u64 * 1000);
        evs.push(d.events().iter().map(event_name).collect());
    }
    (d.stats(), evs)
}

#[test]
fn sessions_behave_like_their_capture() {
    let caps = linux_stories();
    assert!(caps.len() >= 6);
    for cap in &caps {
        let story = Story::new(cap);
        let orig = run(cap.frames.iter().cloned(), &story);
        for id in [0u32, 7, 1 << 14, (1 << 20) - 1, 123_456_789] {
            let s = story.session(id);
            let frames = (0..story.len()).map(|i| {
                let mut v = Vec::new();
                story.write_frame(i, &s, &mut v);
                v
            });
            let got = run(frames, &story);
            assert_eq!(got.0, orig.0, "{} session {id}: counters", story.name);
            assert_eq!(got.1, orig.1, "{} session {id}: events", story.name);
        }
        assert!(orig.0.subflows > 0, "{}", story.name);
        eprintln!("{}: {:?}", story.name, orig.0);
    }
}

#[test]
fn sessions_are_distinct_flows() {
    let caps = linux_stories();
    let stories: Vec<Story> = caps.iter().map(Story::new).collect();
    // Subflows created by each frame of each story, played alone.
    let created: Vec<Vec<u64>> = caps
        .iter()
        .map(|cap| {
            let mut d: Box<Dissector<64, 32>> =
                Box::new(Dissector::new([3; 16], DissectorConfig::default()));
            cap.frames
                .iter()
                .enumerate()
                .map(|(j, f)| {
                    let before = d.stats().subflows;
                    d.dissect(f, cap.link(), j as u64 * 1000);
                    d.stats().subflows - before
                })
                .collect()
        })
        .collect();
    // 64 concurrent sessions, 2000 packets: every subflow of every session
    // is its own (no collision, no rejected join, nothing evicted).
    let mut d: Box<Dissector<1024, 512>> =
        Box::new(Dissector::new([9; 16], DissectorConfig::default()));
    let mut s = Stream::new(&stories, 64);
    let mut buf = Vec::new();
    let mut expect = 0;
    for i in 0..2000 {
        let link = s.next_into(&mut buf);
        let (story, pos) = s.last;
        expect += created[story][pos];
        d.dissect(&buf, link, i * 100);
    }
    let st = d.stats();
    assert_eq!(st.subflows, expect);
    assert_eq!(st.token_collisions, 0);
    assert_eq!(st.join_rejected, 0);
    assert_eq!(st.join_unknown_token, 0);
    assert_eq!(st.subflows_evicted, 0);
}
