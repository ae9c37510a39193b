#!/usr/bin/env python3
"""Totals of `mpdissect conns` JSON lines (stdin), as mpd_dpdk prints them."""
import json
import sys

t = dict.fromkeys(["connections", "subflows", "joins", "hmac_valid", "hmac_invalid",
                   "hmac_unverifiable", "add_addr", "remove_addr", "mp_prio", "mp_fail",
                   "fastclose", "checksum", "reinjected"], 0)
for line in sys.stdin:
    if not line.strip():
        continue
    c = json.loads(line)
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
print(json.dumps(t, separators=(",", ":")))
