#!/usr/bin/env bash
# check.sh MPD_DPDK MPDISSECT FIXTURE...
# Runs the DPDK application on each fixture through the net_pcap vdev
# (--no-huge --no-pci) with 1 and with 2 worker lcores and compares its
# totals with those of `mpdissect conns` on the same capture.
set -euo pipefail
app=$1 cli=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
fail=0
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
    if [ "$got" = "$want" ]; then
      echo "OK   $b workers=$workers $got"
      echo "     steering: $cost"
    else
      echo "FAIL $b workers=$workers"; echo "  want $want"; echo "  got  $got"
      cat "build/$b.$workers.err"; fail=1
    fi
  done
done
[ "$fail" = 0 ] && echo "DPDK totals equal mpdissect conns on every fixture (1 and 2 workers)"
exit "$fail"
