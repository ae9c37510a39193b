//! (a) TCP option walk: `mptcp_dissect`'s iterator (every classic option
//! and every MPTCP sub-option fully decoded and validated) vs etherparse's
//! `TcpOptionsIterator` and smoltcp's `TcpOption::parse` loop, over the same
//! option areas: every TCP segment of every classic-pcap fixture.
//!
//! Two groups: `options/all` (every area) and `options/no-mptcp` (areas
//! without an MPTCP option). etherparse stops at the first option kind it
//! does not know (MPTCP is kind 30, so on `all` it walks only the options
//! before the MPTCP one); smoltcp yields MPTCP as `Unknown { kind, data }`
//! without decoding it. On `no-mptcp` all three walk every option.
//!
//! `etherparse+skip` restarts etherparse's iterator after each unknown
//! option (skipping it by its length byte): etherparse's raw walk of the
//! whole area, MPTCP framed but not decoded.
//!
//! `mptcp-dissect-raw` is our framing-only walk (`TcpOptions::next_raw`, what
//! the engine's scan starts from), the peer of `etherparse+skip`.
//!
//! `cargo bench -p mptcp-dissect-benches --bench options`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mptcp_dissect::wire::tcp_option::TcpOptions;
use mptcp_dissect_benches::{all_captures, option_areas};

fn ours(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        for o in TcpOptions::new(a) {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

/// Framing only (`next_raw`): the same walk as etherparse's raw walk, no
/// option decoded.
fn ours_raw(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        let mut it = TcpOptions::new(a);
        while let Some(o) = it.next_raw() {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

fn etherparse(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        for o in etherparse::TcpOptionsIterator::from_slice(a) {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

/// etherparse's iterator restarted after each option kind it does not know
/// (skipped by its length byte, not decoded): a raw walk of the whole area.
fn etherparse_skip(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        let mut it = etherparse::TcpOptionsIterator::from_slice(a);
        loop {
            let before = it.rest();
            match it.next() {
                None => break,
                Some(Ok(e)) => {
                    n += 1;
                    black_box(e);
                }
                Some(Err(etherparse::TcpOptionReadError::UnknownId(_))) => {
                    match before.get(1).map(|&l| usize::from(l)) {
                        Some(l) if l >= 2 && l <= before.len() => {
                            n += 1;
                            black_box(&before[..l]);
                            it = etherparse::TcpOptionsIterator::from_slice(&before[l..]);
                        }
                        _ => break,
                    }
                }
                Some(Err(_)) => break,
            }
        }
    }
    n
}

fn smoltcp(areas: &[Vec<u8>]) -> usize {
    use smoltcp::wire::TcpOption;
    let mut n = 0;
    for a in areas {
        let mut rest: &[u8] = a;
        while let Ok((r, o)) = TcpOption::parse(rest) {
            n += 1;
            black_box(&o);
            if o == TcpOption::EndOfList {
                break;
            }
            rest = r;
            if rest.is_empty() {
                break;
            }
        }
    }
    n
}

fn has_mptcp(a: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&k) = a.get(i) {
        match k {
            0 => return false,
            1 => i += 1,
            30 => return true,
            _ => match a.get(i + 1) {
                Some(&l) if l >= 2 => i += usize::from(l),
                _ => return false,
            },
        }
    }
    false
}

fn bench(c: &mut Criterion) {
    let all = option_areas(&all_captures());
    let plain: Vec<Vec<u8>> = all.iter().filter(|a| !has_mptcp(a)).cloned().collect();
    for (name, areas) in [("all", &all), ("no-mptcp", &plain)] {
        let bytes: usize = areas.iter().map(Vec::len).sum();
        eprintln!(
            "options/{name}: {} areas, {bytes} option bytes; options read: ours {}, \
             etherparse {}, etherparse+skip {}, smoltcp {}",
            areas.len(),
            ours(areas),
            etherparse(areas),
            etherparse_skip(areas),
            smoltcp(areas)
        );
        let mut g = c.benchmark_group(format!("options/{name}"));
        // One element = one segment's option area.
        g.throughput(Throughput::Elements(areas.len() as u64));
        g.bench_function("mptcp-dissect", |b| b.iter(|| ours(black_box(areas))));
        g.bench_function("mptcp-dissect-raw", |b| {
            b.iter(|| ours_raw(black_box(areas)))
        });
        g.bench_function("etherparse", |b| b.iter(|| etherparse(black_box(areas))));
        g.bench_function("etherparse+skip", |b| {
            b.iter(|| etherparse_skip(black_box(areas)))
        });
        g.bench_function("smoltcp", |b| b.iter(|| smoltcp(black_box(areas))));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
