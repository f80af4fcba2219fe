#!/usr/bin/env bash
# test_soak_conns: LAB_SOAK_CONNS (default 5000; the full soak is 100000)
# TCP connections from the kernel to usock-testsrv's echo (port 7), all
# open at the same time, LAB_SOAK_BYTES (default 100) bytes echoed on
# each, then every one closed in order.  The kernel side is lab-conn-soak,
# one process per LAB_SOAK_PER connections (default: what the descriptor
# limit and one address's ports allow), each from its own address in
# 198.18.0.0/24.  The soak runs LAB_SOAK_ROUNDS times (default 2) on the
# same usock-testsrv; each round checks:
#  - usock accepted all N and held them all at once: Tcp conn_accepted rose
#    by N, Sockets opened - closed reached 4 listeners + N;
#  - every echo came back intact (the clients' count of verified
#    connections is N), and every connection closed in order;
#  - after the close: Sockets opened - closed back to the 4 listeners,
#    Pool available back to its start, usock-testsrv's descriptors back to
#    their start count (a socket's descriptor is a kernel eventfd while the
#    process has descriptors to spare, then a number above any kernel
#    descriptor: with N above RLIMIT_NOFILE both kinds are held).
# Memory: usock-testsrv's resident size at the start, at each round's peak
# and end is printed, and checked:
#  - back to its start level: the last round ends at most 1 MiB above the
#    start, whatever N (the TCP tables shrink back and malloc's free pages
#    are handed back once a surge is over, lib/tcp/tcp_subr.c tables_fit;
#    what stays is usock's descriptor table, sized for the most
#    descriptors, and pool buffers touched for the first time);
#  - reused: the last round peaks and ends at most 64 KiB +
#    LAB_SOAK_SLACK (default 16) bytes a connection above the first round
#    (a 40-byte leak a connection fails it).
# Under AddressSanitizer the resident size is ASan's (its quarantine holds
# freed memory, its shadow grows), not usock's: it is printed, not checked
# (CI runs this test on the build without sanitizers too).
# Then usock-testsrv stops cleanly.
# The clients hold one kernel descriptor a connection: the script raises
# RLIMIT_NOFILE to its hard limit (or lowers it to LAB_SOAK_NOFILE) and
# gives each client what fits.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
CLIENT=$BUILD/tests/lab/lab-conn-soak
[ -x "$CLIENT" ] || die "$CLIENT is built"
n=${LAB_SOAK_CONNS:-5000}
size=${LAB_SOAK_BYTES:-100}
rounds=${LAB_SOAK_ROUNDS:-2}
slack=${LAB_SOAK_SLACK:-16}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "LAB_SOAK_CONNS=$n is a count"
[[ "$rounds" =~ ^[1-9]$ ]] || die "LAB_SOAK_ROUNDS=$rounds is 1 to 9"
# Each phase's time limit (the clients' TIMEOUT), generous for a slow
# board.  It grows with N squared: usock_poll looks at every socket on each
# call, so each of N accepts costs O(N) (on 2 busy cores: 5000 connections
# open in about 0.6 s, 100,000 in about 65 s).
phase=$((30 + n / 500 + n * n / 20000000))

# --- descriptors: N split over the clients ------------------------------------
# LAB_SOAK_NOFILE lowers the limit for this run (usock-testsrv's too), so
# that N passes it: CI holds both kinds of descriptor that way.
if [ -n "${LAB_SOAK_NOFILE:-}" ]; then
  [[ "$LAB_SOAK_NOFILE" =~ ^[1-9][0-9]*$ ]] || die "LAB_SOAK_NOFILE=$LAB_SOAK_NOFILE is a count"
  ulimit -n "$LAB_SOAK_NOFILE" || die "RLIMIT_NOFILE lowered to LAB_SOAK_NOFILE=$LAB_SOAK_NOFILE"
elif [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" != "$(ulimit -Hn)" ]; then
  ulimit -n "$(ulimit -Hn)" || die "RLIMIT_NOFILE soft limit raised to the hard one"
fi
lim=$(ulimit -n)
[ "$lim" = unlimited ] && lim=1000000
[ "$lim" -ge 1088 ] || die "RLIMIT_NOFILE at least 1088" "it is $lim"
# Per client: its descriptors, and at most 50000 of one address's ports.
per=${LAB_SOAK_PER:-$((lim - 64 < 50000 ? lim - 64 : 50000))}
nclients=$(((n + per - 1) / per))
# Each client of each round has an address of its own (198.18.0.11 up):
# the kernel keeps a round's ports in TIME-WAIT (it closes first).
[ $((10 + rounds * nclients)) -le 254 ] ||
  die "at most 244 clients ($rounds rounds of $nclients for N=$n, $per each)"
# Connections between connect and echo, all clients together: fewer than
# usock-testsrv's backlog (128), so its accept queue never overflows.
window=$((96 / nclients > 0 ? 96 / nclients : 1))

lab_make
for ((i = 0; i < rounds * nclients; i++)); do
  ip -n "$LAB_K" addr add "198.18.0.$((11 + i))/$LAB_PLEN" dev "$LAB_KIF" ||
    die "address 198.18.0.$((11 + i)) on $LAB_KIF"
done

srv_start USOCK_SOCKETS=$((n + 64))
spid=$SRV_PID
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$spid/status"; }
fds() { ls "/proc/$spid/fd" | wc -l; }
live() { echo $(($(ctr Sockets opened) - $(ctr Sockets closed))); }
live_is() { [ "$(live)" -eq "$1" ]; }
fds_is() { [ "$(fds)" -eq "$1" ]; }
pool_is() { [ "$(ctr Pool available)" -eq "$1" ]; }

# Warm up (ARP, the first connection's one-time allocations), then the
# start level that every round must come back to.
out=$(echo warm-up | kx timeout 10 nc -N "$LAB_UIP" 7)
check_eq "warm-up: echo works" "$out" warm-up
# usock learns every client address's MAC now, not with the first 96 SYNs
# of a round (its ARP queue keeps a few packets an address).
for ((i = 0; i < rounds * nclients; i++)); do
  kx ping -n -q -c 1 -W 5 -I "198.18.0.$((11 + i))" "$LAB_UIP" >/dev/null ||
    die "usock answers a ping from 198.18.0.$((11 + i))"
done
wait_until 5 live_is 4 || die "only the 4 listeners before the soak" "$(live) sockets"
pool0=$(ctr Pool available) || die "counter Pool available readable"
fds0=$(fds)
rss0=$(rss_kb)
echo "# start: $fds0 descriptors, resident $rss0 KiB, Pool available $pool0 of $(ctr Pool size);" \
  "$nclients client(s) of up to $per connections, $window in flight each"

# Every client of the round has verified its share, or one failed (or ended).
all_verified() {
  local i
  for ((i = 0; i < nclients; i++)); do
    grep -q '^verified' "$LAB_TMP/client$r.$i.out" || return 1
  done
}
any_failed() {
  local i
  for ((i = 0; i < nclients; i++)); do
    grep -q '^failed' "$LAB_TMP/client$r.$i.out" && return 0
    kill -0 "${pids[i]}" 2>/dev/null || return 0
  done
  return 1
}
verified_or_failed() { all_verified || any_failed; }
back() { live_is 4 && pool_is "$pool0" && fds_is "$fds0"; }
# sum WORD: the total of the number after WORD on the round's client lines.
sum() { cat "$LAB_TMP/client$r".*.out | awk -v w="$1" '$1 == w { s += $2 } END { print s + 0 }'; }

# Counters printed for each round (what the soak cost the stack).
notes=(Driver:rx_kernel_drops Driver:rx_nobuf Driver:tx_err Ethernet:tx_drop Arp:queue_drop
  Tcp:listen_overflow Tcp:tx_rexmt Tcp:rexmt_timeout)
# soak R: round R (1..rounds); sets rss_peak[R] and rss_end[R].
declare -a rss_peak rss_end
soak() {
  local r=$1 i k rc t0 t1 t2 acc0 nreset spec
  local -a pids=()
  local -A c0
  acc0=$(ctr Tcp conn_accepted) || die "counter Tcp conn_accepted readable"
  for spec in "${notes[@]}"; do
    c0[$spec]=$(ctr "${spec%%:*}" "${spec#*:}") || die "counter $spec readable"
  done
  t0=$(now_ms)
  for ((i = 0; i < nclients; i++)); do
    k=$((i < nclients - 1 ? per : n - per * (nclients - 1)))
    bg ip netns exec "$LAB_K" "$CLIENT" "198.18.0.$((11 + (r - 1) * nclients + i))" "$LAB_UIP" 7 \
      "$k" "$size" "$window" "$phase" "$LAB_TMP/go$r" >"$LAB_TMP/client$r.$i.out" 2>&1
    pids+=("$BG_PID")
  done
  wait_until $((phase + 10)) verified_or_failed
  t1=$(now_ms)
  for ((i = 0; i < nclients; i++)); do
    echo "# round $r client $i: $(tr '\n' ';' <"$LAB_TMP/client$r.$i.out")"
  done
  all_verified || die "round $r: every client opened and verified its connections" \
    "$(cat "$LAB_TMP/client$r".*.out | head -5)"
  check_eq "round $r: the echo on every connection came back intact (connections verified)" \
    "$(sum verified)" "$n"
  # All N held now: usock-testsrv at its peak.
  rss_peak[r]=$(rss_kb)
  echo "# round $r peak: $n open and echoed in $((t1 - t0)) ms; $(fds) descriptors," \
    "resident ${rss_peak[r]} KiB, $(live) sockets, Pool available $(ctr Pool available)"
  # A connection reset before its echo (the accept queue was full when the
  # handshake's ACK came) was accepted once before it was tried again.
  nreset=$(cat "$LAB_TMP/client$r".*.out | sed -n 's/^verified .* \([0-9]*\) reset)$/\1/p' |
    awk '{ s += $1 } END { print s + 0 }')
  check_eq "round $r: usock accepted N connections (Tcp conn_accepted, $nreset reset and tried again)" \
    $(($(ctr Tcp conn_accepted) - acc0)) $((n + nreset))
  check_eq "round $r: all N held at once: Sockets opened - closed = 4 listeners + N" "$(live)" $((n + 4))
  # Eventfds up to usock-testsrv's limit, the rest above any kernel descriptor.
  k=$(($(fds) - fds0))
  if [ "$n" -le $((lim - fds0 - 1)) ]; then
    check_eq "round $r: every one of the N sockets is an eventfd (descriptors to spare)" "$k" "$n"
  else
    check_eq "round $r: eventfds up to the descriptor limit ($lim), then numbers past it" \
      "$(( $(fds) >= lim - 1 ))" 1
  fi

  touch "$LAB_TMP/go$r"
  t1=$(now_ms)
  for ((i = 0; i < nclients; i++)); do
    bg_wait $((phase + 10)) "${pids[i]}"
    rc=$?
    [ "$rc" -eq 0 ] || fail "round $r: client $i exits 0" \
      "exit $rc: $(tail -2 "$LAB_TMP/client$r.$i.out")"
  done
  check_eq "round $r: every connection closed in order (our FIN, then the server's)" \
    "$(sum closed)" "$n"
  wait_until 20 back
  t2=$(now_ms)
  rss_end[r]=$(rss_kb)
  echo "# round $r end: closed in $((t2 - t1)) ms; $(fds) descriptors, resident ${rss_end[r]} KiB," \
    "$(live) sockets, Pool available $(ctr Pool available)"
  echo "# round $r counters: $(for spec in "${notes[@]}"; do
    printf '%s +%s ' "$spec" $(($(ctr "${spec%%:*}" "${spec#*:}") - c0[$spec]))
  done)"
  check_eq "round $r: Sockets opened - closed back to the 4 listeners" "$(live)" 4
  check_eq "round $r: Pool available back to its start" "$(ctr Pool available)" "$pool0"
  check_eq "round $r: usock-testsrv's descriptors back to their start count" "$(fds)" "$fds0"
}

for ((r = 1; r <= rounds; r++)); do
  soak "$r"
done

# --- memory ---------------------------------------------------------------------
echo "# resident KiB: start $rss0; peak ${rss_peak[*]}; end ${rss_end[*]}"
echo "# kept after round 1: $((rss_end[1] - rss0)) KiB," \
  "$(((rss_end[1] - rss0) * 1024 / n)) bytes a connection"
# no_more WHAT GOT BASE MAX: GOT is at most MAX above BASE (KiB).
no_more() {
  if [ "$2" -le $(($3 + $4)) ]; then
    pass "$1 ($2 KiB, first round $3 KiB)"
  else
    fail "$1" "$2 KiB, $(($2 - $3)) KiB above the first round's $3 KiB (at most $4)"
  fi
}
if grep -q libasan <<<"$(ldd "$TESTSRV")"; then
  echo "# an AddressSanitizer build: resident sizes are ASan's, not checked"
else
  if [ "${rss_end[rounds]}" -le $((rss0 + 1024)) ]; then
    pass "memory back to its start level: ${rss_end[rounds]} KiB at the end, $rss0 KiB at the start (at most 1024 KiB above)"
  else
    fail "memory back to its start level" "${rss_end[rounds]} KiB at the end, $((rss_end[rounds] - rss0)) KiB above the start's $rss0 KiB (at most 1024)"
  fi
fi
if [ "$rounds" -ge 2 ] && ! grep -q libasan <<<"$(ldd "$TESTSRV")"; then
  max=$((64 + slack * n / 1024))
  no_more "memory is reused: the last round's peak at most $max KiB above the first's" \
    "${rss_peak[rounds]}" "${rss_peak[1]}" "$max"
  no_more "memory is reused: the last round ends at most $max KiB above the first" \
    "${rss_end[rounds]}" "${rss_end[1]}" "$max"
fi

srv_stop
lab_finish
