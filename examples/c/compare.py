#!/usr/bin/env python3
"""Compare two `mpdissect conns`-style JSON-lines outputs.

Usage: compare.py EXPECTED ACTUAL
Equal means: same number of lines, and per line the same keys and values,
with IP addresses compared as addresses (textual IPv6 forms differ between
Rust and inet_ntop for IPv4-compatible addresses) and floats (syn_ts in
seconds, rtt_ms) to within 1 microsecond.
"""
import ipaddress
import json
import sys


def norm_ip(s):
    if s.startswith("["):  # "[v6]:port"
        host, port = s[1:].rsplit("]:", 1)
        return ("sock", ipaddress.ip_address(host), int(port))
    if s.count(":") == 1 and "." in s:  # "v4:port"
        host, port = s.rsplit(":", 1)
        return ("sock", ipaddress.ip_address(host), int(port))
    try:
        return ("ip", ipaddress.ip_address(s))
    except ValueError:
        return s


def same(a, b, path):
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if abs(a - b) <= 1e-6 * max(1.0, abs(a)) or abs(a - b) <= 1e-3:
                return []
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in same(x, y, f"{path}[{i}]")]
    if isinstance(a, str) and isinstance(b, str):
        return [] if norm_ip(a) == norm_ip(b) else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} != {b!r}"]


def main():
    exp = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    act = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    diffs = []
    if len(exp) != len(act):
        diffs.append(f"{len(exp)} connections != {len(act)}")
    for i, (a, b) in enumerate(zip(exp, act)):
        diffs += same(a, b, f"conn[{i}]")
    for d in diffs[:20]:
        print("  " + d)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
