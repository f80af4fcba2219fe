#!/usr/bin/env bash
# Fails if libusock.so exports any symbol not named usock_*: the library is
# loaded into programs we do not control, so nothing may leak.
set -euo pipefail
lib=${1:?usage: check-symbols.sh path/to/libusock.so}
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^usock_' || true)
if [ -n "$bad" ]; then
  echo "symbols outside usock_* exported by $lib:"; echo "$bad"; exit 1
fi
echo "$(nm -D --defined-only "$lib" | wc -l) exported symbols, all usock_*"
