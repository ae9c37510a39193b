#!/usr/bin/env bash
# check.sh MPD_DPDK MPDISSECT FIXTURE...
# Runs the DPDK application on each fixture through the net_pcap vdev
# (--no-huge --no-pci) with 1 and with 2 worker lcores and compares its
# totals with those of `mpdissect conns` on the same capture, and checks
# the dispatcher's pins against the workers' live join subflows; then one
# run with one-entry tables, where evicted joins' pins must go.
set -euo pipefail
app=$1 cli=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
fail=0
# field NAME JSON: a counter of the steering line (empty if absent).
field() { { grep -o "\"$1\":[0-9]*" <<< "$2" || true; } | cut -d: -f2; }
pins_consistent() {
  local um dm pl jl
  um=$(field pin_unmatched "$1") dm=$(field dir_misses "$1")
  pl=$(field pins_live "$1") jl=$(field joins_live "$1")
  [ -n "$um" ] && [ "$um" -le "$dm" ] && [ $((pl + um)) = "$jl" ] && echo 1 || echo 0
}
# Lcores 0..N float over the machine's CPUs (CI runners may have only 2).
cpus="0-$(( $(nproc) - 1 ))"
for f in "$@"; do
  b=$(basename "$f")
  want=$("$cli" conns "$f" | python3 "$here/totals.py")
  for workers in 1 2; do
    got=$("$app" --no-huge --no-pci -m 512 --lcores "(0-$workers)@($cpus)" --file-prefix "mpd$$" \
            --log-level=lib.eal:error --vdev="net_pcap0,rx_pcap=$f" -- \
            2> "build/$b.$workers.err" | tail -1)
    cost=$(grep '^{"workers"' "build/$b.$workers.err" || true)
    # Every live join subflow is pinned to its worker unless none of its
    # join SYNs found the token (then it was hashed), and every pin is a
    # live join subflow's: pin_unmatched <= dir_misses and
    # pins_live + pin_unmatched == joins_live.
    pins_ok=$(pins_consistent "$cost")
    if [ "$got" = "$want" ] && [ "$pins_ok" = 1 ]; then
      echo "OK   $b workers=$workers $got"
      echo "     steering: $cost"
    else
      echo "FAIL $b workers=$workers"; echo "  want $want"; echo "  got  $got"
      echo "  steering $cost"
      cat "build/$b.$workers.err"; fail=1
    fi
  done
done
# The pins' removal path end to end: with one-entry tables a worker evicts
# a join subflow, sends its flow hash back, and the dispatcher must drop
# that pin (unpinned >= 1, none lost) and keep the live join's.
# (Totals are not compared: the CLI's tables are not that small.)
f=$(for x in "$@"; do case $x in */v1-addaddr-v4v6.pcap) echo "$x";; esac; done)
if [ -n "$f" ]; then
  "$app" --no-huge --no-pci -m 512 --lcores "(0-2)@($cpus)" --file-prefix "mpd$$" \
    --log-level=lib.eal:error --vdev="net_pcap0,rx_pcap=$f" -- --capacity 1 \
    > /dev/null 2> build/evict.err || true
  cost=$(grep '^{"workers"' build/evict.err || true)
  if [ "$(pins_consistent "$cost")" = 1 ] && [ "$(field unpinned "$cost")" -ge 1 ] &&
     [ "$(field unpin_lost "$cost")" = 0 ]; then
    echo "OK   pins removed on eviction (capacity 1, workers=2): $cost"
  else
    echo "FAIL pins on eviction (capacity 1, workers=2)"; cat build/evict.err; fail=1
  fi
fi
# Capture times from the port: a capture long enough for the closed and
# idle timeouts (60 copies of the Linux fixtures, 39 k frames, 60 s; the
# CLI reads the capture's times, so must the app). With the worker's TSC
# time instead, a review found 7 connections where the CLI finds 420.
# The copies reuse keys, so tokens repeat across connections: with 2
# workers a join must go to its token's newest owner, not to an older
# connection's worker whose directory entry is still there (3 of 420 joins
# went wrong before the dispatcher waited for MP_CAPABLE frames).
big="build/big60.pcap"
if "$here/../../scripts/perf/big-capture.sh" "$big" 60 > /dev/null 2>&1; then
  want=$("$cli" conns "$big" | python3 "$here/totals.py" 2>/dev/null)
  for workers in 1 2; do
    got=$("$app" --no-huge --no-pci -m 512 --lcores "(0-$workers)@($cpus)" --file-prefix "mpd$$" \
            --log-level=lib.eal:error --vdev="net_pcap0,rx_pcap=$big" -- \
            2> build/big60.err | tail -1)
    if [ "$got" = "$want" ]; then
      echo "OK   60-copy capture (capture times, reused tokens), workers=$workers $got"
      echo "     steering: $(grep '^{"workers"' build/big60.err || true)"
    else
      echo "FAIL 60-copy capture (capture times, reused tokens), workers=$workers"
      echo "  want $want"; echo "  got  $got"
      tail -3 build/big60.err; fail=1
    fi
  done
  rm -f "$big"
else
  echo "FAIL big-capture.sh"; fail=1
fi
[ "$fail" = 0 ] && echo "DPDK totals equal mpdissect conns on every fixture (1 and 2 workers)"
exit "$fail"
