#!/usr/bin/env bash
# test_usock_ping: usock pings the Linux kernel with apps/usock-ping (a raw
# ICMP socket on the stack): every request gets its reply, including
# 4000-byte pings that travel in fragments both ways; a ping to an address
# nobody owns gets nothing and exits 1; the output is ping(8)'s.  The
# counters show the raw socket's traffic (Ip tx_raw, rx_raw).
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
PING=$BUILD/apps/usock-ping
[ -x "$PING" ] || die "$PING is built"
lab_make

uping() {
  ip netns exec "$LAB_U" env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" \
    timeout 20 "$PING" "$@"
}

out=$LAB_TMP/ping.out
uping -c 3 -i 0.2 "$LAB_KIP" >"$out" 2>&1
rc=$?
check_eq "usock-ping -c 3 $LAB_KIP exits 0" "$rc" 0
check_eq "three replies, one per sequence number" \
  "$(grep -c "^64 bytes from $LAB_KIP: icmp_seq=[123] ttl=64 time=" "$out")" 3
check_grep "ping(8)'s summary" "^3 packets transmitted, 3 received, 0% packet loss" "$(cat "$out")"
check_grep "round-trip times" "^rtt min/avg/max/mdev = " "$(cat "$out")"

uping -c 2 -i 0.2 -s 4000 "$LAB_KIP" >"$out" 2>&1
rc=$?
check_eq "usock-ping -s 4000 (fragments both ways) exits 0" "$rc" 0
check_eq "two 4008-byte replies, reassembled" \
  "$(grep -c "^4008 bytes from $LAB_KIP: icmp_seq=[12] " "$out")" 2

uping -c 2 -i 0.2 -W 1 198.18.0.77 >"$out" 2>&1
rc=$?
check_eq "a ping to an address nobody owns exits 1" "$rc" 1
check_grep "and says so" "^2 packets transmitted, 0 received, 100% packet loss" "$(cat "$out")"

# The counters of a longer run, read while it runs.
ip netns exec "$LAB_U" env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" \
  timeout 20 "$PING" -c 6 -i 0.3 "$LAB_KIP" >"$out" 2>&1 &
ppid=$!
ctrs=$LAB_TMP/ping.ctr
for i in $(seq 40); do
  sleep 0.1
  pid=$(pgrep -n -f "usock-ping -c 6" || true)
  [ -n "$pid" ] && "$STAT" -p "$pid" -a >"$ctrs" 2>/dev/null &&
    [ "$(ctr_in "$ctrs" Ip tx_raw || echo 0)" -ge 3 ] && break
done
wait "$ppid"
check_ge "Ip tx_raw: requests left through the raw socket" "$(ctr_in "$ctrs" Ip tx_raw || echo NA)" 3
check_ge "Ip rx_raw: replies reached it" "$(ctr_in "$ctrs" Ip rx_raw || echo NA)" 2
check_eq "Ip rx_raw_drop" "$(ctr_in "$ctrs" Ip rx_raw_drop || echo NA)" 0

lab_finish
