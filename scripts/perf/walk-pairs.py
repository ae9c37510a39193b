#!/usr/bin/env python3
"""Interleaved whole-process pairs of two option walks (the README's
option-walk wall-time comparison).

usage: walk-pairs.py BIN_A WALK_A BIN_B WALK_B [PAIRS [PASSES]]

BIN_* are builds of the `option_walk` example
(`cargo build --release -p mptcp-dissect-benches --example option_walk`;
two copies of the binary compare two builds), WALK_* its walk names
(`view`, `etherparse+skip`, ...). Each pair runs A and B once each over
the `all` areas, PASSES passes (default 30 000), in alternating order;
the start-up (a 0-pass run of A) is subtracted from both. Prints the
median of the pairs' A/B time ratios, its quartiles and in how many pairs
A was faster: the ratio within a pair is what a shared, noisy machine
keeps; absolute times drift between pairs.
"""
import statistics
import subprocess
import sys
import time


def run(binary, walk, passes):
    t = time.perf_counter()
    subprocess.run([binary, walk, "all", str(passes)], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    a_bin, a_walk, b_bin, b_walk = sys.argv[1:5]
    pairs = int(sys.argv[5]) if len(sys.argv) > 5 else 40
    passes = int(sys.argv[6]) if len(sys.argv) > 6 else 30000
    ratios, a_faster = [], 0
    for i in range(pairs):
        start = run(a_bin, a_walk, 0)
        if i % 2 == 0:
            ta = run(a_bin, a_walk, passes) - start
            tb = run(b_bin, b_walk, passes) - start
        else:
            tb = run(b_bin, b_walk, passes) - start
            ta = run(a_bin, a_walk, passes) - start
        ratios.append(ta / tb)
        a_faster += ta < tb
    q = statistics.quantiles(ratios, n=4)
    print(
        f"{a_walk} ({a_bin}) / {b_walk} ({b_bin}): median ratio {statistics.median(ratios):.3f} "
        f"(quartiles {q[0]:.3f}, {q[2]:.3f}), A faster in {a_faster} of {pairs}"
    )


if __name__ == "__main__":
    main()
