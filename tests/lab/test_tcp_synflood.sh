#!/usr/bin/env bash
# test_tcp_synflood: usock-testsrv under attack while a kernel client (socat)
# pushes 64 MiB through its TCP echo (port 7), paced so that the transfer
# spans the attack:
#  - 20000 spoofed SYNs to port 7 from random sources in 198.18.0.3-254
#    (nobody answers usock's ARP for them), sent with scapy on the
#    kernel's veth (tcp_flood.py);
#  - then 5000 RSTs and 5000 ACKs with random sequence (and acknowledgment)
#    numbers at the transfer's own 4-tuple, learned with `ss -tn`;
#  - then 5000 ICMP errors (port and host unreachable, fragmentation
#    needed, time exceeded, parameter problem) quoting the transfer's
#    segments with random sequence numbers.
# Then:
#  - the transfer ends normally, the echo has the SHA-256 of what was sent;
#  - half-open connections stayed bounded during the flood (the listener
#    keeps at most 2 x backlog + 16 = 272 half-open; lib/tcp/tcp_in.c) and
#    the SYN queue overflowed (Tcp listen_overflow, or syncookie_sent once
#    SYN cookies answer the overflow);
#  - no RST was taken (conn_reset 0): every one of the blind RSTs was
#    refused (rx_rst_bad, with the frames the ring dropped as the only
#    slack) and every blind ACK too (rx_oowin, or rx_ackfuture or a
#    challenge ACK for the rare one that falls in the window; likewise);
#  - every ICMP error reached the connection and was weighed: ignored as
#    not quoting data in flight (Tcp rx_icmp_oow) or, rarely, taken as a
#    soft error (rx_icmp_err); the MSS was not lowered (pmtu_lowered 0);
#  - usock-testsrv's resident memory grew by at most 64 MiB over the attack;
#  - a fresh connection right after the flood, to the flooded port and to
#    another, echoes; and so does one after the half-open ones are gone;
#  - within 75 s of the flood (5 SYN-ACK retries back off over 63 s, as
#    Linux's) every half-open connection is reclaimed: Sockets opened -
#    closed is back to the 4 listeners and the Pool has all its buffers
#    available again.
# LAB_FLOOD_SEED replays another seed (default 11).
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
FLOOD=$(dirname "$0")/tcp_flood.py
seed=${LAB_FLOOD_SEED:-11}
nsyn=20000
nrst=5000
nicmp=5000
lab_make
srv_start

umac=$(mac_of "$LAB_U" "$LAB_UIF")
kmac=$(mac_of "$LAB_K" "$LAB_KIF")
[ -n "$umac" ] && [ -n "$kmac" ] || die "MACs of $LAB_UIF and $LAB_KIF"

# Warm up (ARP both ways), then note the idle state to come back to.
out=$(echo warm-up | kx timeout 10 nc -N "$LAB_UIP" 7)
check_eq "warm-up: echo works before the attack" "$out" warm-up
live() { echo $(($(ctr Sockets opened) - $(ctr Sockets closed))); }
live_is() { [ "$(live)" -eq "$1" ]; }
wait_until 5 live_is 4 || die "only the 4 listeners before the attack" "$(live) sockets"
pool0=$(ctr Pool available) || die "counter Pool available readable"
declare -A c0 c1
specs=(Tcp:conn_accepted Tcp:listen_overflow Tcp:syncookie_sent Tcp:conn_reset Tcp:rx_rst
  Tcp:rx_rst_bad Tcp:rx_oowin Tcp:rx_ackfuture Tcp:tx_challenge Tcp:tx_challenge_limited
  Tcp:tx_ack Tcp:tx_rst Tcp:rx_icmp_err Tcp:rx_icmp_oow Tcp:pmtu_lowered Icmp:rx_err
  Driver:rx_kernel_drops Arp:queue_drop Arp:resolve_fail)
rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$SRV_PID"/status; }
snap c0
rss0=$(rss_kb)

# --- the paced transfer -----------------------------------------------------------
tcp_data $((64 * 1024 * 1024))
# 1 MiB every 50 ms; before the last 8 MiB, wait (30 s at most) for the
# attack to be over, so that the connection lives through all of it.
bg ip netns exec "$LAB_K" bash -c '
  for i in $(seq 0 63); do
    if [ "$i" -eq 56 ]; then
      for j in $(seq 300); do [ -e "$2/flood.done" ] && break; sleep 0.1; done
    fi
    dd if="$1" bs=1M skip="$i" count=1 status=none || exit 1
    sleep 0.05
  done | socat -t 30 -b 65536 - "TCP:$3:7" >"$2/echo.out"' \
  feed "$TCP_DATA" "$LAB_TMP" "$LAB_UIP"
cpid=$BG_PID
t0=$(now_ms)

# The transfer's 4-tuple, from the kernel's side.
sport_of() {
  kx ss -Htn state established "( dst $LAB_UIP:7 )" |
    awk '{ n = split($3, a, ":"); print a[n]; exit }'
}
established() { [ -n "$(sport_of)" ]; }
wait_until 10 established || die "the transfer's connection is established" \
  "$(kx ss -tan)"
sport=$(sport_of)
echo "# the transfer: $LAB_KIP:$sport -> $LAB_UIP:7"

# --- the attack -------------------------------------------------------------------
out=$(kx timeout 60 /usr/bin/python3 "$FLOOD" "$LAB_KIF" "$kmac" "$umac" "$LAB_UIP" 7 \
  syn "$nsyn" "$seed" 2>&1)
check_grep "scapy sent $nsyn spoofed SYNs" "^sent=$nsyn " "$out"
echo "# SYN flood: $out"
out=$(kx timeout 60 /usr/bin/python3 "$FLOOD" "$LAB_KIF" "$kmac" "$umac" "$LAB_UIP" 7 \
  rstack "$nrst" "$((seed + 1))" "$LAB_KIP" "$sport" 2>&1)
check_grep "scapy sent $nrst blind RSTs and $nrst blind ACKs" "^sent=$((2 * nrst)) " "$out"
echo "# RST/ACK flood: $out"
out=$(kx timeout 60 /usr/bin/python3 "$FLOOD" "$LAB_KIF" "$kmac" "$umac" "$LAB_UIP" 7 \
  icmp "$nicmp" "$((seed + 2))" "$LAB_KIP" "$sport" 2>&1)
check_grep "scapy sent $nicmp ICMP errors about the transfer" "^sent=$nicmp " "$out"
echo "# ICMP error flood: $out"
# The counters of the attack, and how many half-open connections it left,
# once usock has taken in the last frames and its driver has read the
# kernel's ring-drop count again (it does once a second).
sleep 2
snap c1
flood_live=$(live)
rss1=$(rss_kb)
flood_end=$(now_ms)
touch "$LAB_TMP/flood.done"

# --- the transfer survived ----------------------------------------------------------
bg_wait 60 "$cpid"
rc=$?
echo "# the transfer took $(($(now_ms) - t0)) ms"
check_eq "the transfer's socat exited 0" "$rc" 0
check_eq "the transfer: all 64 MiB echoed" "$(stat -c %s "$LAB_TMP/echo.out")" \
  "$TCP_BYTES"
check_eq "the transfer: echo has the same SHA-256" "$(sha_of "$LAB_TMP/echo.out")" "$TCP_SHA"
rm -f "$LAB_TMP/echo.out"

# --- what the counters say ----------------------------------------------------------------
echo "# during the attack: $(for k in "${specs[@]}"; do printf '%s +%s ' "$k" "$(delta "$k")"; done)"
drops=$(delta Driver:rx_kernel_drops)
check_ge "the SYN queue overflowed (listen_overflow + syncookie_sent)" \
  $(($(delta Tcp:listen_overflow) + $(delta Tcp:syncookie_sent))) 1
check_ge "half-open connections were made (conn_accepted)" "$(delta Tcp:conn_accepted)" 1
# 4 listeners, the transfer, at most 272 half-open.
if [ "$flood_live" -le $((4 + 1 + 272)) ]; then
  pass "half-open connections stayed bounded ($flood_live sockets <= 4 + 1 + 272)"
else
  fail "half-open connections stayed bounded" "$flood_live sockets > 4 + 1 + 272"
fi
check_eq "no connection was reset (conn_reset)" "$(delta Tcp:conn_reset)" 0
check_ge "every ICMP error was received (Icmp rx_err + ring drops >= $nicmp)" \
  $(($(delta Icmp:rx_err) + drops)) "$nicmp"
check_ge "every ICMP error was weighed by the connection (Tcp rx_icmp_oow + rx_icmp_err + ring drops >= $nicmp)" \
  $(($(delta Tcp:rx_icmp_oow) + $(delta Tcp:rx_icmp_err) + drops)) "$nicmp"
check_eq "no ICMP error lowered the MSS (pmtu_lowered)" "$(delta Tcp:pmtu_lowered)" 0
echo "# usock-testsrv resident: $rss0 KiB before the attack, $rss1 KiB after it"
check_ge "resident memory grew by at most 64 MiB over the attack ($((rss1 - rss0)) KiB)" \
  $((64 * 1024)) $((rss1 - rss0))
check_eq "no RST was accepted (rx_rst)" "$(delta Tcp:rx_rst)" 0
check_ge "every blind RST was refused (rx_rst_bad + ring drops >= $nrst)" \
  $(($(delta Tcp:rx_rst_bad) + drops)) "$nrst"
# A blind ACK is out of window (rx_oowin), or, in window by chance (about
# 1 in 16000 with a 256 KiB window), acknowledges what was never sent
# (rx_ackfuture) or is far below snd_una (a challenge ACK, RFC 5961 5.2).
check_ge "every blind ACK was refused (rx_oowin + rx_ackfuture + tx_challenge[_limited] + ring drops >= $nrst)" \
  $(($(delta Tcp:rx_oowin) + $(delta Tcp:rx_ackfuture) + $(delta Tcp:tx_challenge) + \
    $(delta Tcp:tx_challenge_limited) + drops)) "$nrst"

# --- fresh connections ---------------------------------------------------------------
out=$(echo "after the flood, port 7" | kx timeout 10 nc -v -N "$LAB_UIP" 7 2>&1)
check_grep "a fresh connection to the flooded port 7 echoes right after the flood" \
  "^after the flood, port 7$" "$out"
b0=$(ctr Tcp rx_data_bytes)
out=$(head -c 100000 /dev/zero | kx timeout 10 nc -v -N "$LAB_UIP" 9 2>&1)
check_eq "a fresh connection to port 9 (discard) takes 100000 bytes right after the flood" \
  $(($(ctr Tcp rx_data_bytes) - b0)) 100000

# --- the half-open connections go --------------------------------------------------------
pool_is() { [ "$(ctr Pool available)" -eq "$1" ]; }
reclaimed() { live_is 4 && pool_is "$pool0"; }
wait_until 75 reclaimed
echo "# $(($(now_ms) - flood_end)) ms after the flood: $(live) sockets," \
  "Pool available $(ctr Pool available) (was $pool0)"
check_eq "half-open connections reclaimed: Sockets opened - closed back to the 4 listeners" \
  "$(live)" 4
check_eq "Pool available back to its start" "$(ctr Pool available)" "$pool0"
out=$(echo "after the reclaim" | kx timeout 10 nc -N "$LAB_UIP" 7)
check_eq "a fresh connection to port 7 echoes after the reclaim" "$out" "after the reclaim"

srv_stop
lab_finish
