#!/usr/bin/env python3
"""Metamorphic check of `mpdissect report --json` on N distinct copies of a
capture (big-capture.sh): every count must be N times the one copy's, but
the client addresses (the copies share them) and the per-connection maxima.

    check-copies.py ONE.json MANY.json N

The one copy's counts are checked against tshark and hand counts by the
report's tests; this checks that the large capture really holds N distinct
conversations and that the report adds them up.
"""
import json
import sys

# Integer fields that must stay as in one copy.
SAME = {
    ".schema",
    ".table1.clients.addresses",
    ".table1.clients.ipv4",
    ".table1.clients.ipv6",
    ".table1.clients.ipv4_prefixes_24",
    ".table1.clients.ipv6_prefixes_48",
    ".addresses.max_per_connection",
    ".addresses.max_connection_id",
}


def ints(doc, path=""):
    """Every integer leaf outside lists, by its dotted path."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from ints(value, f"{path}.{key}")
    elif isinstance(doc, int) and not isinstance(doc, bool):
        yield path, doc


def main():
    one_path, many_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    one = dict(ints(json.load(open(one_path))))
    many = dict(ints(json.load(open(many_path))))
    bad = []
    if set(one) != set(many):
        bad.append(f"fields differ: {sorted(set(one) ^ set(many))}")
    for path, value in one.items():
        want = value if path in SAME else n * value
        if path in many and many[path] != want:
            bad.append(f"{path}: {many[path]}, expected {want} (one copy: {value})")
    if one.get(".table1.frames", 0) == 0:
        bad.append("the one copy has no frames")
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        sys.exit(1)
    print(f"{len(one)} counts of {n} copies agree with one copy's (x{n}, {len(SAME)} unchanged)")


if __name__ == "__main__":
    main()
