#!/usr/bin/env bash
# tests/lab/run.sh BUILD_DIR [TEST...] [--except TEST...] - runs every
# tests/lab/test_*.sh (or the TESTs named, or all but those after --except)
# against the
# programs in BUILD_DIR (each test makes its own namespaces, so it needs
# root), one after the other, each under a time limit.  Prints each test's
# result (and the log of a failed one), then "N passed, N failed"; exits
# non-zero if any failed.  Nothing is skipped: without root, or without the
# build, every test counts as failed.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
limit=${LAB_TEST_TIMEOUT:-120}  # seconds one test may take

tests=()
for t in "$here"/test_*.sh; do
  [ -e "$t" ] && tests+=("$t")
done
pass=0
fail=0

fail_all() {
  echo "lab: $1" >&2
  for t in "${tests[@]}"; do
    echo "FAIL $(basename "$t" .sh) (not run: $1)"
  done
  echo "0 passed, ${#tests[@]} failed"
  exit 1
}

if [ "${#tests[@]}" -eq 0 ]; then
  echo "lab: no tests in $here" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
[ $# -ge 1 ] || fail_all "usage: bash tests/lab/run.sh BUILD_DIR [TEST...] [--except TEST...]"
build_arg=$1
shift
# Named tests: these only, or (after --except) all but these.  A name that
# matches no script is an error, not a silent skip.
if [ $# -gt 0 ]; then
  except=0
  [ "$1" = --except ] && { except=1; shift; }
  declare -A named=()
  for n in "$@"; do
    [ -e "$here/$n.sh" ] || fail_all "no lab test $n (tests/lab/$n.sh)"
    named[$n]=1
  done
  picked=()
  for t in "${tests[@]}"; do
    n=$(basename "$t" .sh)
    if [ -n "${named[$n]:-}" ]; then [ "$except" -eq 0 ] && picked+=("$t")
    elif [ "$except" -eq 1 ]; then picked+=("$t"); fi
  done
  tests=("${picked[@]}")
fi
[ "$(id -u)" -eq 0 ] || fail_all "the lab tests need root (network namespaces, AF_PACKET); run as root"
build=$(cd "$build_arg" 2>/dev/null && pwd) || fail_all "no build directory $build_arg"
for p in apps/usock-testsrv apps/usock-stat apps/usock-ping apps/usock-cat apps/usock-http-get \
  apps/usock-echo-server apps/usock-run lib/libusock-preload.so tests/lab/lab-udp-client \
  tests/lab/lab-preload-probe tests/lab/lab-conn-soak; do
  [ -x "$build/$p" ] || fail_all "$build/$p is not built (ninja -C $build_arg)"
done
for tool in ip ethtool ping nc socat tcpdump timeout setsid ss dnsmasq /usr/bin/python3; do
  command -v "$tool" >/dev/null || fail_all "$tool is not installed (bash tests/deps.sh)"
done

logdir=$(mktemp -d /tmp/usock-lab-logs.XXXXXX)
start=$(date +%s)
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  t0=$(date +%s)
  timeout -k 10 "$limit" bash "$t" "$build" >"$logdir/$name.log" 2>&1
  rc=$?
  secs=$(($(date +%s) - t0))
  checks=$(grep -Ec '^(ok|FAIL) - ' "$logdir/$name.log")
  if [ "$rc" -eq 0 ]; then
    pass=$((pass + 1))
    echo "PASS $name ($checks checks, ${secs} s)"
  else
    fail=$((fail + 1))
    why="exit $rc"
    [ "$rc" -eq 124 ] && why="timed out after $limit s"
    echo "FAIL $name ($why, ${secs} s); its log:"
    sed 's/^/    /' "$logdir/$name.log"
  fi
done
rm -rf "$logdir"
echo "lab took $(($(date +%s) - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
