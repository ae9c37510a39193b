#!/usr/bin/env bash
# The README's whole-process comparison (#6, #8 item 2): `mpdissect report`
# against tshark's MPTCP analysis (and mptcptrace, when built) on the large
# capture, all in one hyperfine run, then tshark's time over each program's.
#
#   scripts/perf/whole-process.sh [CAPTURE]    (default /dev/shm/big2.pcap)
#
# CAPTURE is built with big-capture.sh when missing; tmpfs keeps the page
# cache from being dropped under the run. Environment:
#   RUNS=5                 timed runs a program (one warm-up run before)
#   MPTCPTRACE=path        an mptcptrace binary, built outside the repository
#                          from the public multipath-tcp/mptcptrace sources
#   MPDISSECT=path         another mpdissect build to time in the same run
#                          (e.g. the previous session's), besides this tree's
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
capture=$(realpath -m "${1:-/dev/shm/big2.pcap}")
[ -f "$capture" ] || "$top/scripts/perf/big-capture.sh" "$capture"
if ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
  else
    echo "missing: sudo apt-get install hyperfine" >&2
    exit 1
  fi
fi
(cd "$top" && cargo build --release -q -p mpdissect)
target=$(cd "$top" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

cmds=("$target/release/mpdissect report --no-progress $capture")
[ -n "${MPDISSECT:-}" ] && cmds+=("$MPDISSECT report --no-progress $capture")
[ -n "${MPTCPTRACE:-}" ] && cmds+=("$MPTCPTRACE -f $capture")
cmds+=("tshark -r $capture -o mptcp.analyze_mptcp:TRUE -o mptcp.analyze_mappings:TRUE -q -z conv,tcp")

# mptcptrace writes its output files into the working directory.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json times.json "${cmds[@]}" >&2
python3 - times.json "$capture" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
tshark = runs[-1]
print(f"{'program (CAPTURE: ' + sys.argv[2] + ')':<64} {'mean ms':>9} {'min ms':>9} {'tshark/it':>10} {'min/min':>8}")
for r in runs:
    name = r["command"].replace(sys.argv[2], "CAPTURE")
    name = name if len(name) <= 64 else "..." + name[-61:]
    print(f"{name:<64} {r['mean'] * 1e3:9.1f} {r['min'] * 1e3:9.1f} "
          f"{tshark['mean'] / r['mean']:9.0f}x {tshark['min'] / r['min']:7.0f}x")
PY
