//! RFC 1071 checksum throughput: `mptcp_dissect::checksum` vs the
//! `internet-checksum` crate vs a naive 16-bit loop, on 64 B, 1500 B and
//! 9000 B cache-resident buffers.
//!
//! `cargo bench -p mptcp-dissect-benches --bench checksum -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mptcp_dissect::checksum::Checksum;

/// The obvious loop: big-endian 16-bit words into a `u32`, folded at the end.
fn naive(bytes: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    for w in bytes.chunks(2) {
        let hi = w.first().copied().unwrap_or(0);
        let lo = w.get(1).copied().unwrap_or(0);
        sum += u64::from(u16::from_be_bytes([hi, lo]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

fn ours(bytes: &[u8]) -> u16 {
    Checksum::of(bytes).fold()
}

fn theirs(bytes: &[u8]) -> u16 {
    // internet-checksum returns the complemented sum, big-endian bytes.
    !u16::from_be_bytes(internet_checksum::checksum(bytes))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("checksum");
    for len in [64usize, 1500, 9000] {
        // Deterministic, non-trivial content (no all-zero words).
        let buf: Vec<u8> = (0..len)
            .map(|i| (i.wrapping_mul(131).wrapping_add(7) % 251) as u8 ^ 0x5a)
            .collect();
        let expect = naive(&buf);
        assert_eq!(ours(&buf), expect, "ours disagrees with naive at {len}");
        assert_eq!(theirs(&buf), expect, "internet-checksum disagrees at {len}");

        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::new("mptcp-dissect", len), &buf, |b, x| {
            b.iter(|| ours(black_box(x)))
        });
        group.bench_with_input(BenchmarkId::new("internet-checksum", len), &buf, |b, x| {
            b.iter(|| theirs(black_box(x)))
        });
        group.bench_with_input(BenchmarkId::new("naive", len), &buf, |b, x| {
            b.iter(|| naive(black_box(x)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
