#!/usr/bin/env bash
# Builds the large capture of the README's whole-process comparison (#6):
# COPIES copies of fixtures/linux/merged-report.pcapng (649 frames, 7 MPTCP
# connections, all to server port 5000), copy i shifted by 60*i seconds
# (editcap -t) and its server port rewritten to 10000+i (tcprewrite
# --portmap) so that the copies are distinct conversations, concatenated
# (mergecap -a) into one classic pcap. 500 copies: 324,500 frames, 230 MB.
#
#   scripts/perf/big-capture.sh [OUT [COPIES]]     (default big2.pcap 500)
#
# Needs editcap and mergecap (Debian: tshark) and tcprewrite (tcpreplay);
# installs them with apt when run as root and they are missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-big2.pcap}")
copies=${2:-500}
src=$top/fixtures/linux/merged-report.pcapng

need=()
command -v editcap >/dev/null || need+=(tshark)
command -v tcprewrite >/dev/null || need+=(tcpreplay)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export src work
# One copy: shift, convert to classic pcap, then move the server port.
one() {
  editcap -F pcap -t $((60 * $1)) "$src" "$work/t$1.pcap" 2>/dev/null
  tcprewrite --portmap=5000:$((10000 + $1)) --infile="$work/t$1.pcap" --outfile="$work/p$1.pcap"
  rm "$work/t$1.pcap"
}
export -f one
seq 0 $((copies - 1)) | xargs -P "$(nproc)" -I{} bash -c 'one {}'
mergecap -a -F pcap -w "$out" $(seq -f "$work/p%g.pcap" 0 $((copies - 1)))
echo "$out: $copies copies, $(capinfos -c -M "$out" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}') frames"
