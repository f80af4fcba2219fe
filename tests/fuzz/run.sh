#!/usr/bin/env bash
# Replays each harness's seed corpus (tests/data/fuzz/<harness>/, past crashes
# included), then fuzzes each harness for SECONDS_PER_HARNESS seconds on a
# scratch copy of its corpus (the seeds stay read-only), and prints each
# one's executions/s, coverage (cov, ft) and corpus size.  Fails on any
# crash, leak, timeout or out-of-memory; what libFuzzer saved is kept under
# the scratch directory it names.
# FUZZ_TIMEOUT (default 10) is the seconds one input may take: a loaded
# machine (a long run beside other work) needs more, or it reports hangs
# that are not there.  Harnesses run FUZZ_JOBS (default: the CPUs) at a
# time; naming harnesses after the seconds runs only those.
#   bash tests/fuzz/run.sh BUILD_DIR SECONDS_PER_HARNESS [HARNESS...]
set -uo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS_PER_HARNESS [HARNESS...]" >&2
  exit 2
fi
build=$1 secs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
seeds=$top/tests/data/fuzz
scratch=$(mktemp -d /tmp/usock-fuzz.XXXXXX)
harnesses=(fuzz-frame-input fuzz-tcp-options fuzz-dns-reply fuzz-dhcp-reply fuzz-config)
[ $# -gt 0 ] && harnesses=("$@")
# Inputs longer than a harness reads are wasted work.
declare -A maxlen=([fuzz-frame-input]=8192 [fuzz-tcp-options]=64 [fuzz-dns-reply]=1024
                   [fuzz-dhcp-reply]=1500 [fuzz-config]=1024)
tmo=${FUZZ_TIMEOUT:-10}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
fail=0
summary=()
# Harnesses fuzz side by side, FUZZ_JOBS at a time (default: the CPUs).
njobs=${FUZZ_JOBS:-$(nproc)}

# fuzz_one HARNESS: replays its seeds, then fuzzes it; writes what it found
# to $scratch/HARNESS/result (a summary line) and exits non-zero on a failure.
fuzz_one() {
  local h=$1 exe=$build/tests/fuzz/$1 work=$scratch/$1 rc done_line execs rate cov ft corp
  mkdir -p "$work/corpus" "$work/artifacts"
  if [ ! -x "$exe" ]; then
    echo "--- $h: not built (is $build set up with -Dfuzz=true?)" >"$work/result"
    return 1
  fi
  # 1. Every seed and every past crash, once.
  if ! "$exe" "$seeds/$h" -runs=0 -rss_limit_mb=2048 -timeout="$tmo" \
      -artifact_prefix="$work/artifacts/" >"$work/replay.log" 2>&1; then
    { echo "--- $h: replaying $seeds/$h FAILED:"; tail -n 40 "$work/replay.log"; } >"$work/result"
    return 1
  fi
  # 2. Fuzz on a copy; new inputs go to the copy only.
  cp "$seeds/$h"/* "$work/corpus/"
  "$exe" "$work/corpus" -max_total_time="$secs" -rss_limit_mb=2048 -timeout="$tmo" \
    -max_len="${maxlen[$h]}" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" >"$work/fuzz.log" 2>&1
  rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/fuzz.log" | tail -n 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$done_line")
  if [ "$rc" -ne 0 ] || ls "$work/artifacts" | grep -q . ; then
    {
      echo "--- $h: FAILED (libFuzzer exit $rc); artifacts in $work/artifacts:"
      ls "$work/artifacts"
      grep -E 'ERROR|SUMMARY|runtime error|leaked' "$work/fuzz.log" | head -n 20
      tail -n 60 "$work/fuzz.log"
    } >"$work/result"
    return 1
  fi
  printf '%-17s %9s execs %7s exec/s  cov %5s  ft %6s  corpus %s\n' "$h" \
    "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" >"$work/result"
}

pids=()
for h in "${harnesses[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$njobs" ]; do
    wait -n
  done
  fuzz_one "$h" &
  pids+=($!)
done
for i in "${!harnesses[@]}"; do
  h=${harnesses[$i]}
  if wait "${pids[$i]}"; then
    summary+=("$(cat "$scratch/$h/result")")
  else
    cat "$scratch/$h/result"
    summary+=("$(printf '%-17s FAILED' "$h")")
    fail=1
  fi
done

echo "=== fuzzing, ${secs} s per harness"
printf '%s\n' "${summary[@]}"
if [ "$fail" -eq 0 ]; then
  rm -rf "$scratch"
else
  echo "(logs and artifacts kept in $scratch)"
fi
exit "$fail"
