#!/usr/bin/env python3
"""Totals of `mpdissect conns` JSON lines (stdin), as mpd_dpdk prints them.

Connections only: the handshake-only objects ("id": null: mirrored,
stripped, plain TCP handshakes that never became a connection) are left
out, as mpd_dpdk does not count them. They are counted here and printed
to stderr, so leaving them out is visible, not silent.
"""
import json
import sys

t = dict.fromkeys(["connections", "subflows", "joins", "hmac_valid", "hmac_invalid",
                   "hmac_unverifiable", "add_addr", "remove_addr", "mp_prio", "mp_fail",
                   "fastclose", "checksum", "reinjected", "verdict_mptcp", "verdict_mirrored",
                   "verdict_stripped", "verdict_fallback_after_fail", "dss_valid", "dss_invalid",
                   "dss_unverifiable", "dss_not_negotiated"], 0)
handshakes = 0
for line in sys.stdin:
    if not line.strip():
        continue
    c = json.loads(line)
    if c["id"] is None:
        handshakes += 1
        continue
    t["connections"] += 1
    t["subflows"] += len(c["subflows"])
    for s in c["subflows"]:
        t["joins"] += s["join"]
        if s["hmac"]:
            t["hmac_" + s["hmac"]] += 1
    t["add_addr"] += len(c["add_addr"])
    t["remove_addr"] += c["remove_addr"]
    t["mp_prio"] += c["mp_prio"]
    t["mp_fail"] += c["mp_fail"]
    t["fastclose"] += c["fastclose"]
    t["checksum"] += c["checksum"]
    t["reinjected"] += c["reinjected_c2s"] + c["reinjected_s2c"]
    t["verdict_" + c["verdict"]] += 1
    for k in ("valid", "invalid", "unverifiable", "not_negotiated"):
        t["dss_" + k] += c["dss"][k]
if handshakes:
    print(f"totals.py: {handshakes} handshake-only objects not in the totals", file=sys.stderr)
print(json.dumps(t, separators=(",", ":")))
