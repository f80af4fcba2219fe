#!/usr/bin/env bash
# Fails if libusock-preload.so exports anything beyond the C library calls
# it takes (the global list of lib/preload/preload.map): no usock_*, no
# stack internals, nothing a preloaded program could trip over.
set -euo pipefail
lib=${1:?usage: check-preload-symbols.sh path/to/libusock-preload.so}
map=$(dirname "$0")/../lib/preload/preload.map
allowed=$(sed -n 's/^ *\([A-Za-z_0-9]*\);$/\1/p' "$map" | sort)
got=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort)
extra=$(comm -13 <(echo "$allowed") <(echo "$got"))
missing=$(comm -23 <(echo "$allowed") <(echo "$got"))
if [ -n "$extra" ] || [ -n "$missing" ]; then
  [ -n "$extra" ] && { echo "exported by $lib but not in preload.map:"; echo "$extra"; }
  [ -n "$missing" ] && { echo "in preload.map but not exported by $lib:"; echo "$missing"; }
  exit 1
fi
echo "$(echo "$got" | wc -l) exported symbols, exactly preload.map's"
