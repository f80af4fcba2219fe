#!/usr/bin/env bash
# tests/check-footprint.sh BUILD_DIR [TRIPLET [LIMIT_BYTES]]: prints .text,
# .data and .bss of BUILD_DIR/lib/libusock.so, read with TRIPLET-size (a
# cross build's binutils; none: the host's size), and fails if their sum
# exceeds LIMIT_BYTES (default 122880, 120 KiB: the board goal for the
# minimal build with TCP, UDP, IPv4, IPv6, DNS and DHCP).
set -euo pipefail
dir=${1:?usage: check-footprint.sh BUILD_DIR [TRIPLET [LIMIT_BYTES]]}
size=${2:+$2-}size
limit=${3:-122880}
lib=$dir/lib/libusock.so
[ -f "$lib" ] || { echo "check-footprint: $lib is not built"; exit 1; }
command -v "$size" >/dev/null || { echo "check-footprint: $size is not installed"; exit 1; }
read -r text data bss < <("$size" -A "$lib" | awk '$1 == ".text" { t = $2 } $1 == ".data" { d = $2 }
  $1 == ".bss" { b = $2 } END { print t + 0, d + 0, b + 0 }')
total=$((text + data + bss))
echo "libusock.so${2:+ ($2)}: .text $text + .data $data + .bss $bss = $total bytes" \
  "($((total / 1024)) KiB; goal at most $((limit / 1024)) KiB)"
[ "$total" -gt 0 ] && [ "$total" -le "$limit" ]
