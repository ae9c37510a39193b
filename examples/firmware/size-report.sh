#!/usr/bin/env bash
# Size report of the firmware image: section sizes, then .text attributed by
# symbol (after LTO, so a function inlined into another counts where it
# landed):
#   crypto    SHA-1, SHA-256, HMAC (mptcp_dissect::crypto, sha1, sha2, hmac,
#             digest, block_buffer): key hashes and MP_JOIN/ADD_ADDR HMACs
#   dissector every other mptcp_dissect symbol (incl. the tables' hash):
#             parsers, flow tables, checksums, the connection state machine
#             (and the defmt::Format impls of its types, if not inlined)
#   runtime   compiler_builtins (memcpy, 64-bit division…)
#   platform  everything else: HAL, W5500 driver, defmt, cortex-m-rt, main
# Fails if dissector + runtime (parser + table + checksum) exceeds the
# budget (default 24 KiB).
set -euo pipefail
elf=${1:?usage: size-report.sh ELF [budget-bytes]}
budget=${2:-24576}
size=llvm-size; nm=llvm-nm
command -v "$size" >/dev/null || size=$(ls ~/.rustup/toolchains/*/lib/rustlib/*/bin/llvm-size 2>/dev/null | head -1)
command -v "$nm" >/dev/null || nm=$(ls ~/.rustup/toolchains/*/lib/rustlib/*/bin/llvm-nm 2>/dev/null | head -1)
"$size" -A "$elf" | awk '$1 ~ /^\.(vector_table|text|rodata|data|bss|uninit)$/ {printf "%-14s %7d B\n", $1, $2}'
"$nm" --print-size --radix=d -C "$elf" | awk -v budget="$budget" '
  NF >= 4 && $3 ~ /^[tTwW]$/ {
    sz = $2 + 0; name = $4; for (i = 5; i <= NF; i++) name = name " " $i
    if (name ~ /mptcp_dissect(::|\.\.)crypto|(^|[^a-z_])(sha1|sha2|hmac|digest|block_buffer)(::|\.\.)/) c["crypto"] += sz
    else if (name ~ /mptcp_dissect(::|\.\.)/) c["dissector"] += sz
    else if (name ~ /compiler_builtins|^__aeabi/) c["runtime"] += sz
    else c["platform"] += sz
    total += sz
  }
  END {
    printf ".text by symbol: dissector %d B, runtime %d B, crypto (HMAC/SHA) %d B, platform %d B, total %d B\n",
      c["dissector"], c["runtime"], c["crypto"], c["platform"], total
    core = c["dissector"] + c["runtime"]
    printf "parser + table + checksum (dissector + runtime): %d B = %.1f KiB, budget %d B: %s\n",
      core, core / 1024, budget, (core <= budget ? "OK" : "OVER")
    exit (core <= budget ? 0 : 1)
  }'
