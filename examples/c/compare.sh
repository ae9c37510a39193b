#!/usr/bin/env bash
# compare.sh C_PROGRAM MPDISSECT OUTDIR FIXTURE...
# Runs `mpd_conns` (C, libpcap) and `mpdissect conns` (Rust CLI) on every
# fixture and compares their JSON lines with compare.py. Fixtures libpcap
# cannot open (pcapng with interfaces of different link types) are listed
# as skipped, not silently passed. CAPACITY=N runs both with --capacity N
# (small tables: evictions and the removal path). Every line is compared,
# the handshake-only objects ("id": null: mirrored, stripped, plain TCP)
# included: there is no documented difference to allow for.
set -euo pipefail
prog=$1 cli=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
pass=0 fail=0 skip=0
for f in "$@"; do
  b=$(basename "$f")
  cap=()
  [ -n "${CAPACITY:-}" ] && cap=(--capacity "$CAPACITY")
  "$cli" conns "${cap[@]}" "$f" > "$out/$b.cli.jsonl"
  if ! "$prog" "${cap[@]}" "$f" > "$out/$b.c.jsonl" 2> "$out/$b.c.err"; then
    if grep -q "different\|unknown file format\|bad dump file" "$out/$b.c.err"; then
      echo "SKIP $b (libpcap: $(head -1 "$out/$b.c.err"))"; skip=$((skip + 1)); continue
    fi
    echo "FAIL $b: $(cat "$out/$b.c.err")"; fail=$((fail + 1)); continue
  fi
  n=$(grep -vc '"id":null' "$out/$b.cli.jsonl" || true)
  h=$(grep -c '"id":null' "$out/$b.cli.jsonl" || true)
  if python3 "$here/compare.py" "$out/$b.cli.jsonl" "$out/$b.c.jsonl"; then
    echo "OK   $b ($n connections, $h handshake-only objects)"; pass=$((pass + 1))
  else
    echo "FAIL $b"; fail=$((fail + 1))
  fi
done
echo "C example vs mpdissect conns: $pass equal, $fail different, $skip skipped"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
