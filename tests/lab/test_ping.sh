#!/usr/bin/env bash
# test_ping: the Linux kernel pings usock: 56-byte pings, 8000-byte pings
# (fragmented both ways: usock reassembles the request and fragments the
# reply) and the largest ping there is (65507 bytes of payload, a 65535-byte
# datagram in 45 fragments).  Every echo must come back, and usock's
# counters must agree: one echo request and one reply per ping, one
# reassembly per big ping, no fragment dropped.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make
srv_start

small=3 mid=3 big=2
ping_ok "56-byte ping" "$small"
ping_ok "8000-byte ping (fragmented both ways)" "$mid" -s 8000
ping_ok "65507-byte ping (largest IPv4 datagram)" "$big" -s 65507
pings=$((small + mid + big))

check_eq "Icmp rx_echo: one per ping" "$(ctr_or_fail Icmp rx_echo)" "$pings"
check_eq "Icmp tx_echoreply: one per ping" "$(ctr_or_fail Icmp tx_echoreply)" "$pings"
check_eq "Icmp rx_badsum" "$(ctr_or_fail Icmp rx_badsum)" 0
check_eq "Ip rx_reassembled: one per fragmented ping" "$(ctr_or_fail Ip rx_reassembled)" \
  $((mid + big))
# 8000 bytes of ICMP payload are 6 fragments of a 1500 MTU, 65507 are 45.
check_eq "Ip rx_frag: every fragment arrived" "$(ctr_or_fail Ip rx_frag)" \
  $((mid * 6 + big * 45))
check_eq "Ip tx_frag: the big replies left in fragments" "$(ctr_or_fail Ip tx_frag)" \
  $((mid * 6 + big * 45))
for c in rx_frag_bad rx_frag_dup rx_frag_overlap rx_frag_toobig rx_frag_timeout rx_frag_nomem \
  tx_nobuf tx_noroute; do
  check_eq "Ip $c" "$(ctr_or_fail Ip "$c")" 0
done
check_eq "Driver rx_toobig (no super-frames with offloads off)" \
  "$(ctr_or_fail Driver rx_toobig)" 0

srv_stop
lab_finish
