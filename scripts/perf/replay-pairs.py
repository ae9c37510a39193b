#!/usr/bin/env python3
"""Interleaved whole-process pairs of two `replay` builds: the per-packet
cost of `dissect` without the stream generator.

usage: replay-pairs.py BIN_A BIN_B LOG2 FRAMES MODE [PAIRS]

BIN_* are builds of the `replay` example
(`cargo build --release -p mptcp-dissect-benches --example replay`; copy
the binary to keep a build), LOG2 the table size, FRAMES the frames
dissected after the warm-up, MODE `frame`, `burst` or `burst-prefetch`.
Each pair runs A and B once each in alternating order; each run's time is
the one it prints for the frames after its warm-up (the warm-up of 2^20
flows alone takes ~13 s and varies by seconds), and a `gen` run of A
(the same frames generated, none dissected) is subtracted from both; with
REPLAY_PAIRS_OWN_GEN=1 in the environment each build's own `gen` run is
subtracted from it instead (for builds whose generator differs too, such
as a profile-guided build). Prints the median of the pairs' A/B ratios, its
quartiles, in how many pairs A was faster, and the median ns a frame of
each: the ratio within a pair is what a shared, noisy machine keeps.
"""
import os
import re
import statistics
import subprocess
import sys


def run(binary, log2, frames, mode):
    """Seconds the run spent on the frames after its warm-up (as it prints)."""
    p = subprocess.run([binary, log2, frames, mode], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=True)
    m = re.search(r" in ([0-9.]+) s after the warm-up", p.stderr)
    if not m:
        sys.exit(f"{binary}: no time in its output: {p.stderr!r}")
    return float(m.group(1))


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    a_bin, b_bin, log2, frames, mode = sys.argv[1:6]
    pairs = int(sys.argv[6]) if len(sys.argv) > 6 else 20
    ratios, a_ns, b_ns, a_faster = [], [], [], 0
    own_gen = os.environ.get("REPLAY_PAIRS_OWN_GEN") == "1"
    for i in range(pairs):
        base_a = run(a_bin, log2, frames, "gen")
        base_b = run(b_bin, log2, frames, "gen") if own_gen else base_a
        if i % 2 == 0:
            ta = run(a_bin, log2, frames, mode) - base_a
            tb = run(b_bin, log2, frames, mode) - base_b
        else:
            tb = run(b_bin, log2, frames, mode) - base_b
            ta = run(a_bin, log2, frames, mode) - base_a
        ratios.append(ta / tb)
        a_ns.append(ta / int(frames) * 1e9)
        b_ns.append(tb / int(frames) * 1e9)
        a_faster += ta < tb
        print(f"pair {i + 1}: A {a_ns[-1]:.1f} ns, B {b_ns[-1]:.1f} ns, A/B {ratios[-1]:.3f}", file=sys.stderr)
    q = statistics.quantiles(ratios, n=4)
    print(f"A/B median {statistics.median(ratios):.3f} (quartiles {q[0]:.3f}-{q[2]:.3f}), "
          f"A faster in {a_faster} of {pairs}; "
          f"A {statistics.median(a_ns):.1f} ns, B {statistics.median(b_ns):.1f} ns a frame (medians)")


if __name__ == "__main__":
    main()
