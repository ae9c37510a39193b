#!/usr/bin/env bash
# The project's test command (README, CI): installs what the tests need on a
# fresh Debian machine, then runs every test of the workspace.
#
# The tshark differential tests need tshark; they fail (not skip) without it,
# unless MPD_NO_TSHARK=1 is set on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tshark >/dev/null 2>&1 && [ "${MPD_NO_TSHARK:-0}" != 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark >/dev/null
  else
    echo "tshark is missing: sudo apt-get install tshark (or MPD_NO_TSHARK=1 to skip the differential tests)" >&2
    exit 1
  fi
fi

cargo test --workspace --all-targets "$@"
# Tests behind the `fuzzing` feature: the committed fuzz corpus and
# regressions through the oracles, and the adversarial-load tests (which
# build their packets with `synth`).
cargo test -p mptcp-dissect --features fuzzing --test fuzz_replay --test adversarial --lib "$@"
cargo test -p mptcp-dissect-ffi --features fuzzing --test fuzz_replay "$@"
cargo test --workspace --doc
