//! `dissect_burst` (and `dissect_burst_checked_while`, cut short anywhere
//! and resumed) is `dissect_with` frame after frame: the same
//! dissections, events, removed entries and counters, on every fixture
//! capture and on a replayed stream that overfills a small table (so that
//! eviction and expiry happen inside bursts), with the CPU prefetch and with
//! a no-op, with the eviction prefetch on; the prefetch hints name table
//! memory once flows exist. Both ways a burst can run are checked: the
//! prefetching pipeline and, below `DissectorConfig::burst_pipeline_from`,
//! frame after frame.

use mptcp_dissect::dissector::{ChecksumBy, Dissector, DissectorConfig, Event, Gone};
use mptcp_dissect::wire::frame::LinkType;
use mptcp_dissect_benches::{all_captures, linux_stories, Story, Stream};

type D = Dissector<64, 32>;

#[derive(Debug, PartialEq)]
struct Out {
    dissections: Vec<String>,
    events: Vec<Vec<Event>>,
    gone: Vec<String>,
}

/// How a burst runs.
#[derive(Debug, Clone, Copy)]
enum Way {
    /// The prefetching pipeline, with the eviction prefetch.
    Pipeline,
    /// Frame after frame (a table below `burst_pipeline_from`).
    InTurn,
}

/// A fresh dissector (the same seed for every path; its bursts run `way`)
/// and an empty record of what it gives.
fn fresh(way: Way) -> (Box<D>, Out) {
    // Pipeline: on at any size, with the eviction prefetch, as for a table
    // too large for the caches (the defaults leave both off for a table
    // this small): the hints only read.
    let config = match way {
        Way::Pipeline => DissectorConfig {
            evict_hints_from: 0,
            burst_pipeline_from: 0,
            ..DissectorConfig::default()
        },
        Way::InTurn => DissectorConfig {
            burst_pipeline_from: usize::MAX,
            ..DissectorConfig::default()
        },
    };
    let d = Box::new(Dissector::new([4; 16], config));
    let out = Out {
        dissections: Vec::new(),
        events: Vec::new(),
        gone: Vec::new(),
    };
    (d, out)
}

/// A chunk of owned frames as a burst's `(bytes, link, now)` entries.
fn borrowed(chunk: &[(Vec<u8>, LinkType, u64)]) -> Vec<(&[u8], LinkType, u64)> {
    chunk
        .iter()
        .map(|(f, l, n)| (f.as_slice(), *l, *n))
        .collect()
}

fn sequential(frames: &[(Vec<u8>, LinkType, u64)]) -> (Out, String) {
    let (mut d, mut out) = fresh(Way::InTurn);
    for (f, link, now) in frames {
        let mut gone = Vec::new();
        let r = d.dissect_with(f, *link, *now, |g: Gone| gone.push(format!("{g:?}")));
        out.dissections.push(format!("{r:?}"));
        out.events.push(d.events().iter().copied().collect());
        out.gone.extend(gone);
    }
    (out, format!("{:?}", d.stats()))
}

fn burst(
    frames: &[(Vec<u8>, LinkType, u64)],
    way: Way,
    size: usize,
    real: bool,
) -> (Out, String, usize) {
    let (mut d, mut out) = fresh(way);
    let mut hints = 0usize;
    for chunk in frames.chunks(size) {
        let batch = borrowed(chunk);
        let mut gone = Vec::new();
        let mut v = d.view();
        let mut seen = 0usize;
        v.dissect_burst(
            &batch,
            |p| {
                if !p.is_null() {
                    hints += 1;
                }
                if real {
                    mptcp_dissect_ffi::prefetch::prefetch(p);
                }
            },
            |g| gone.push(format!("{g:?}")),
            |i, r, v| {
                assert_eq!(i, seen, "frames in order");
                seen += 1;
                out.dissections.push(format!("{r:?}"));
                out.events.push(v.events().iter().copied().collect());
            },
        );
        assert_eq!(seen, batch.len());
        out.gone.extend(gone);
    }
    (out, format!("{:?}", d.stats()), hints)
}

/// Bursts cut short: `dissect_burst_checked_while` is told to stop after
/// every frame whose index in the stream is 3 mod 7, and the rest of the
/// burst goes to the next call. It must return the frames it dissected and
/// leave the others for that call, which then gives what one call gives.
fn burst_while(frames: &[(Vec<u8>, LinkType, u64)], way: Way, size: usize) -> (Out, String) {
    let (mut d, mut out) = fresh(way);
    let mut index = 0usize;
    for chunk in frames.chunks(size) {
        let batch = borrowed(chunk);
        let mut at = 0;
        while at < batch.len() {
            let rest = &batch[at..];
            let mut gone = Vec::new();
            let mut v = d.view();
            let mut seen = 0usize;
            let stop = (0..rest.len()).find(|i| (index + i) % 7 == 3);
            let done = v.dissect_burst_checked_while(
                rest,
                |_, _| ChecksumBy::Dissector,
                |_| {},
                |g| gone.push(format!("{g:?}")),
                |i, r, v| {
                    assert_eq!(i, seen, "frames in order");
                    seen += 1;
                    out.dissections.push(format!("{r:?}"));
                    out.events.push(v.events().iter().copied().collect());
                    (index + i) % 7 != 3
                },
            );
            assert_eq!(done, seen, "returns the frames dissected");
            assert_eq!(done, stop.map_or(rest.len(), |i| i + 1), "stops where told");
            out.gone.extend(gone);
            at += done;
            index += done;
        }
    }
    (out, format!("{:?}", d.stats()))
}

fn check(name: &str, frames: &[(Vec<u8>, LinkType, u64)]) -> usize {
    let (want, want_stats) = sequential(frames);
    let mut hints = 0;
    for way in [Way::Pipeline, Way::InTurn] {
        for size in [1, 3, 32, 256] {
            for real in [false, true] {
                let (got, stats, h) = burst(frames, way, size, real);
                let at = format!("{name}: {way:?} burst {size}");
                assert_eq!(got.dissections, want.dissections, "{at}");
                assert_eq!(got.events, want.events, "{at} events");
                assert_eq!(got.gone, want.gone, "{at} removed");
                assert_eq!(stats, want_stats, "{at} counters");
                if let Way::Pipeline = way {
                    hints = hints.max(h);
                }
            }
            let (got, stats) = burst_while(frames, way, size);
            let at = format!("{name}: {way:?} bursts of {size} cut short");
            assert_eq!(got, want, "{at}");
            assert_eq!(stats, want_stats, "{at}, counters");
        }
    }
    hints
}

#[test]
fn bursts_equal_sequential_on_every_capture() {
    let caps = all_captures();
    assert!(caps.len() > 20);
    let mut hinted = 0;
    for cap in &caps {
        let link = cap.link();
        let frames: Vec<_> = cap
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), link, i as u64 * 1_000_000))
            .collect();
        if check(&cap.name, &frames) > 0 {
            hinted += 1;
        }
    }
    // Every capture with a tracked flow gets hints past the first packets.
    assert!(
        hinted > caps.len() / 2,
        "{hinted} of {} captures hinted",
        caps.len()
    );
}

#[test]
fn bursts_equal_sequential_under_churn() {
    let stories: Vec<Story> = linux_stories().iter().map(Story::new).collect();
    // 200 concurrent sessions into a 64-subflow table: constant eviction;
    // 10 ms a frame, so embryonic and closed entries also expire.
    let mut stream = Stream::new(&stories, 200);
    let mut frames = Vec::new();
    let mut buf = Vec::new();
    for i in 0..8_000u64 {
        let link = stream.next_into(&mut buf);
        frames.push((buf.clone(), link, i * 10_000_000));
    }
    let (seq, _) = sequential(&frames);
    assert!(!seq.gone.is_empty(), "the stream must evict");
    check("churn", &frames);
}
