#!/usr/bin/env bash
# tests/check-bench.sh BUILD_DIR: bench/compare's smoke mode, as CI runs it:
# one short round of every workload over the kernel and usock, then checks
# that the report, its JSON and the plots were written and that every run
# gave a figure.  The figures themselves are not judged (a benchmark, not a
# test).
set -u -o pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/usock-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT
bash bench/compare --smoke --build "$1" --out "$out" >/dev/null 2>"$out/stderr" || {
  echo "bench/compare --smoke failed:"; tr '\r' '\n' <"$out/stderr" | tail -5; exit 1; }
ok=1
for f in compare.md compare.json latency-cdf.png throughput.png; do
  [ -s "$out/$f" ] || { echo "missing: $f"; ok=0; }
done
grep -q '^| TCP bulk, client to server' "$out/compare.md" || { echo "compare.md has no table"; ok=0; }
if grep -q 'Runs that failed' "$out/compare.md"; then
  grep 'Runs that failed' "$out/compare.md"
  ok=0
fi
[ "$ok" = 1 ] && echo "bench/compare --smoke: compare.md, compare.json and the plots written"
[ "$ok" = 1 ]
