#!/usr/bin/env bash
# test_idle: what an idle usock costs, as a board cares: usock-testsrv with
# LAB_IDLE_CONNS (default 1000) open, idle TCP connections from the
# kernel, measured over LAB_IDLE_SECS (default 10) seconds:
#  - wake-ups: the context switches of all its threads (voluntary and not)
#    stay within a few per second: no periodic tick, no polling;
#  - CPU: utime + stime stay under 1% of a core;
#  - memory: its resident size at start and with the connections open is
#    printed, for the README's sizing figures (LAB_IDLE_ENV adds settings,
#    e.g. LAB_IDLE_ENV="USOCK_POOL=256 USOCK_RING=256").
# Then every connection closes and the stack ends with none left.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
command -v python3 >/dev/null || die "python3 is installed"
lab_make
n=${LAB_IDLE_CONNS:-1000}
secs=${LAB_IDLE_SECS:-10}

# switches PID: context switches of all the process's threads so far.
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { s += $2 } END { print s + 0 }'
}
# ticks PID: utime + stime of the process, in clock ticks.
ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }

# shellcheck disable=SC2086 # LAB_IDLE_ENV is a list of VAR=value words
srv_start USOCK_SOCKETS=$((n + 64)) ${LAB_IDLE_ENV:-}
echo "# usock-testsrv resident at start: $(rss_kb "$SRV_PID") KiB (pool: $(ctr_or_fail Pool size) buffers)"
# The kernel opens n connections to the discard service and holds them, idle.
cat >"$LAB_TMP/hold.py" <<'EOF'
import socket, sys, time
n, host, hold = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
conns = []
try:
    for i in range(n):
        # A full accept queue refuses (the seed's backlog rule): wait a little and retry.
        for attempt in range(200):
            try:
                conns.append(socket.create_connection((host, 9), timeout=10))
                break
            except ConnectionRefusedError:
                time.sleep(0.02)
        else:
            raise RuntimeError("connection %d refused 200 times" % i)
except Exception as e:
    print("failed", e, flush=True)
    sys.exit(1)
print("open", len(conns), flush=True)
time.sleep(hold)
for s in conns:
    s.close()
print("closed", flush=True)
EOF
bg ip netns exec "$LAB_K" python3 "$LAB_TMP/hold.py" "$n" "$LAB_UIP" $((secs + 20)) \
  >"$LAB_TMP/hold.out" 2>&1
hold=$BG_PID
wait_until 60 grep -Eq '^(open|failed)' "$LAB_TMP/hold.out"
grep -q '^open' "$LAB_TMP/hold.out" ||
  die "the kernel opens $n connections" "$(tail -3 "$LAB_TMP/hold.out")"
check_ge "usock accepted $n connections" "$(ctr_or_fail Tcp conn_accepted)" "$n"
sleep 1 # let the handshakes' last ACKs and delayed ACKs settle
echo "# usock-testsrv resident with $n connections: $(rss_kb "$SRV_PID") KiB"
s0=$(switches "$SRV_PID")
t0=$(ticks "$SRV_PID")
# (The count is live: accepting the connections took switches.)
check_ge "the context-switch count counts" "$s0" 1
rx0=$(ctr_or_fail Ethernet rx)
sleep "$secs"
s1=$(switches "$SRV_PID")
t1=$(ticks "$SRV_PID")
hz=$(getconf CLK_TCK)
wake=$((s1 - s0))
cpu_ms=$(((t1 - t0) * 1000 / hz))
echo "# idle with $n connections for $secs s: $wake wake-ups, $cpu_ms ms of CPU, $(($(ctr_or_fail Ethernet rx) - rx0)) frames in"
check_ge "at most 3 wake-ups a second ($wake in $secs s)" $((3 * secs)) "$wake"
check_ge "under 1% of a core ($cpu_ms ms in $secs s)" $((secs * 10)) "$cpu_ms"
bg_wait $((secs + 30)) "$hold"
check_grep "the kernel closed them" '^closed' "$(cat "$LAB_TMP/hold.out")"
for i in $(seq 200); do
  [ "$(ctr Sockets closed)" -ge "$n" ] 2>/dev/null && break
  sleep 0.05
done
check_ge "usock closed all $n" "$(ctr_or_fail Sockets closed)" "$n"
srv_stop

lab_finish
