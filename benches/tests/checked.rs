//! `dissect_checked` given the TCP check computed outside the dissector is
//! the verifying path (`dissect_with` with `verify_tcp_checksum`): the same
//! dissections, events, removed entries, counters and analysis state, on
//! every fixture capture — bad TCP checksums included (the GSO capture's
//! partial checksums) — and on a replayed stream that overfills a small
//! table. A NIC's verdict without the payload's sum, or with the sum
//! derived from the header, gives the same too. So does
//! `dissect_burst_checked` in bursts of several sizes, with the verdict
//! given, left to the dissector, or given for every other frame, both
//! frame after frame (the default for a table this small) and through the
//! prefetching pipeline.

use mptcp_dissect::dissector::{ChecksumBy, Dissector, DissectorConfig, Gone, TcpCheck};
use mptcp_dissect::wire::frame::{parse_frame, Frame, LinkType};
use mptcp_dissect_benches::{all_captures, linux_stories, Story, Stream};

type D = Dissector<64, 32>;

/// A way to check a frame's TCP checksum outside the dissector.
type Check = fn(&Frame<'_>) -> Option<TcpCheck>;

/// Where the verdict of frame `i` of a burst run comes from.
type By<'a> = &'a dyn Fn(usize, &Frame<'_>) -> ChecksumBy;

/// A dissector; `pipeline`: its bursts run the prefetching pipeline (with
/// the eviction hints), else frame after frame.
fn dissector(verify: bool, pipeline: bool) -> Box<D> {
    let (pipe, evict) = if pipeline {
        (0, 0)
    } else {
        (usize::MAX, usize::MAX)
    };
    Box::new(Dissector::new(
        [4; 16],
        DissectorConfig {
            verify_tcp_checksum: verify,
            dss_all_events: true,
            burst_pipeline_from: pipe,
            evict_hints_from: evict,
            ..DissectorConfig::default()
        },
    ))
}

/// What a run leaves after its frames: the counters and the live entries'
/// analysis.
fn tail(d: &D, out: &mut Vec<String>) {
    out.push(format!("{:?}", d.stats()));
    for (id, _, s) in d.subflows() {
        out.push(format!("{s:?} {:?}", d.subflow_analysis(id.0)));
    }
    for (id, c) in d.connections() {
        out.push(format!("{c:?} {:?}", d.conn_analysis(id.slot)));
    }
}

/// Everything a run leaves: per frame the dissection, its events and the
/// removed entries; then the counters and the live entries' analysis.
fn run(
    frames: &[(Vec<u8>, LinkType, u64)],
    verify: bool,
    check: Option<Check>,
) -> (Vec<String>, u64) {
    let mut d = dissector(verify, false);
    let mut out = Vec::new();
    for (f, link, now) in frames {
        let mut gone = Vec::new();
        let on_gone = |g: Gone| gone.push(format!("{g:?}"));
        let r = match check {
            None => d.dissect_with(f, *link, *now, on_gone),
            Some(how) => {
                let c = parse_frame(f, *link).ok().and_then(|fr| how(&fr));
                d.dissect_checked(f, *link, *now, c, on_gone)
            }
        };
        out.push(format!("{r:?} {:?} {gone:?}", d.events()));
    }
    tail(&d, &mut out);
    (out, d.stats().tcp_checksum_bad)
}

/// [`run`] through `dissect_burst_checked` in bursts of `size` (through the
/// prefetching pipeline if `pipeline`), the
/// verdict of frame `i` of the run chosen by `by(i, frame)`. Also checks
/// that `by` is asked once per frame that parses, in order, with that
/// frame.
fn run_burst(
    frames: &[(Vec<u8>, LinkType, u64)],
    verify: bool,
    pipeline: bool,
    size: usize,
    by: By<'_>,
) -> Vec<String> {
    let mut d = dissector(verify, pipeline);
    let mut out = Vec::new();
    for (c, chunk) in frames.chunks(size).enumerate() {
        let base = c * size;
        let batch: Vec<(&[u8], LinkType, u64)> = chunk
            .iter()
            .map(|(f, l, n)| (f.as_slice(), *l, *n))
            .collect();
        let gone = std::cell::RefCell::new(Vec::new());
        let mut asked = Vec::new();
        let mut v = d.view();
        v.dissect_burst_checked(
            &batch,
            |i, f| {
                let (data, link, _) = batch[i];
                assert_eq!(Ok(*f), parse_frame(data, link), "frame {i} handed to check");
                asked.push(i);
                by(base + i, f)
            },
            |_| {},
            |g| gone.borrow_mut().push(format!("{g:?}")),
            |i, r, v| {
                // The removals of this frame are the ones since the last.
                let g = gone.take();
                out.push(format!("{r:?} {:?} {g:?}", v.events()));
                assert_eq!(i + base, out.len() - 1, "in order");
            },
        );
        let parsed: Vec<usize> = (0..batch.len())
            .filter(|&i| parse_frame(batch[i].0, batch[i].1).is_ok())
            .collect();
        assert_eq!(asked, parsed, "check asked once per parsed frame, in order");
    }
    tail(&d, &mut out);
    out
}

fn nic(f: &Frame<'_>) -> Option<TcpCheck> {
    TcpCheck::of_frame(f).map(|c| TcpCheck::verdict_only(c.valid))
}

fn nic_sum(f: &Frame<'_>) -> Option<TcpCheck> {
    match TcpCheck::of_frame(f) {
        Some(c) if c.valid => TcpCheck::offload_valid(f),
        other => other,
    }
}

/// Checks the equivalences over `frames`; returns the bad TCP checksums.
fn check(name: &str, frames: &[(Vec<u8>, LinkType, u64)]) -> u64 {
    let (want, bad) = run(frames, true, None);
    let ways: [(&str, Check); 3] = [
        ("of_frame", TcpCheck::of_frame),
        ("verdict_only", nic),
        ("offload_valid", nic_sum),
    ];
    for (how, f) in ways {
        for flag in [false, true] {
            let (got, _) = run(frames, flag, Some(f));
            assert_eq!(got.len(), want.len(), "{name}: {how}, flag {flag}");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{name}: {how}, flag {flag}, line {i}");
            }
        }
    }
    for size in [1, 7, 64] {
        let given = |_: usize, f: &Frame<'_>| ChecksumBy::Caller(TcpCheck::of_frame(f));
        let nic_given = |_: usize, f: &Frame<'_>| ChecksumBy::Caller(nic_sum(f));
        let own = |_: usize, _: &Frame<'_>| ChecksumBy::Dissector;
        let mixed = |i: usize, f: &Frame<'_>| {
            if i % 2 == 0 {
                ChecksumBy::Dissector
            } else {
                ChecksumBy::Caller(nic(f))
            }
        };
        let ways: [(&str, bool, By<'_>); 4] = [
            ("burst of_frame", false, &given),
            ("burst offload_valid", false, &nic_given),
            ("burst dissector", true, &own),
            ("burst mixed", true, &mixed),
        ];
        for pipeline in [false, true] {
            for (how, flag, by) in ways {
                let got = run_burst(frames, flag, pipeline, size, by);
                let at = format!("{name}: {how}, pipeline {pipeline}, size {size}");
                assert_eq!(got.len(), want.len(), "{at}");
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(g, w, "{at}, line {i}");
                }
            }
            // Left to a dissector that does not verify: the unverified run.
            let off = run_burst(frames, false, pipeline, size, &own);
            assert_eq!(
                off,
                run(frames, false, None).0,
                "{name}: pipeline {pipeline}, size {size}"
            );
        }
    }
    // Not checked is another run (so the comparison above can fail).
    let (unchecked, none) = run(frames, true, Some(|_| None));
    assert_eq!(none, 0);
    if bad > 0 {
        assert_ne!(unchecked, want, "{name}");
    }
    bad
}

#[test]
fn given_check_equals_verifying_on_every_fixture() {
    let mut bad = 0;
    for cap in all_captures() {
        let link = cap.link();
        let frames: Vec<(Vec<u8>, LinkType, u64)> = cap
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), link, i as u64 * 1_000_000))
            .collect();
        bad += check(&cap.name, &frames);
    }
    // The GSO capture's partial checksums, at least.
    assert!(bad > 0, "no fixture has a bad TCP checksum");
}

#[test]
fn given_check_equals_verifying_with_eviction() {
    // Replayed sessions overfill the 64-subflow table; the replica keeps
    // the original TCP checksums, so rewritten frames have bad ones.
    let stories: Vec<Story> = linux_stories().iter().map(Story::new).collect();
    let mut stream = Stream::new(&stories, 96);
    let mut frames = Vec::new();
    for i in 0..6000u64 {
        let mut buf = Vec::new();
        let link = stream.next_into(&mut buf);
        frames.push((buf, link, i * 100_000));
    }
    assert!(check("replay", &frames) > 0);
}
