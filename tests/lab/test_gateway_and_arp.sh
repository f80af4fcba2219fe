#!/usr/bin/env bash
# test_gateway_and_arp: ARP between usock and the kernel, and routing
# through usock's gateway.
#  - At start usock announces itself (gratuitous ARP request, sender and
#    target its own address, from its MAC to broadcast): tcpdump in the
#    kernel's namespace sees it, and the kernel (arp_accept=1) puts usock's
#    MAC in its ARP cache before any other traffic.
#  - The kernel holds the gateway 198.18.0.1 and a second, off-subnet
#    address 198.19.0.1: pings from 198.19.0.1 are answered through the
#    gateway (USOCK_GATEWAY=198.18.0.1).  Without USOCK_GATEWAY the same
#    pings go unanswered and usock counts each reply as having no route,
#    while on-subnet pings still work.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make
off_ip=198.19.0.1
kx sysctl -qw "net.ipv4.conf.$LAB_KIF.arp_accept=1" || die "arp_accept on $LAB_KIF"
ip -n "$LAB_K" addr add "$off_ip/24" dev "$LAB_KIF" || die "second address $off_ip on $LAB_KIF"
umac=$(mac_of "$LAB_U" "$LAB_UIF")
kmac=$(mac_of "$LAB_K" "$LAB_KIF")

dump=$LAB_TMP/arp.dump
bg ip netns exec "$LAB_K" timeout 60 tcpdump -l -n -e -i "$LAB_KIF" arp or icmp \
  >"$dump" 2>"$LAB_TMP/tcpdump.err"
tcpdump_pid=$BG_PID
wait_until 10 grep -q "listening on $LAB_KIF" "$LAB_TMP/tcpdump.err" ||
  die "tcpdump listens on $LAB_KIF" "$(cat "$LAB_TMP/tcpdump.err")"

# --- with a gateway -------------------------------------------------------------
srv_start USOCK_GATEWAY="$LAB_KIP"
garp="$umac > ff:ff:ff:ff:ff:ff, ethertype ARP .*Request who-has $LAB_UIP tell $LAB_UIP,"
check "tcpdump in the kernel's namespace sees usock's gratuitous ARP" \
  wait_until 5 grep -Eq "$garp" "$dump"
check_eq "Arp tx_gratuitous" "$(ctr_or_fail Arp tx_gratuitous)" 1
check "the kernel's ARP cache learns usock's MAC from the announcement alone" \
  wait_until 5 kernel_knows "$umac"
check_eq "the kernel sent usock nothing before that" "$(ctr_or_fail Ethernet rx)" 0

ping_ok "on-subnet ping (from $LAB_KIP)" 3
ping_ok "off-subnet ping (from $off_ip, answered via the gateway)" 3 -I "$off_ip"
check_grep "usock asked for the gateway's MAC (the kernel knew usock's already)" \
  "$umac > ff:ff:ff:ff:ff:ff, ethertype ARP .*Request who-has $LAB_KIP tell $LAB_UIP," \
  "$(cat "$dump")"
check_grep "the kernel answered it" \
  "$kmac > $umac, ethertype ARP .*Reply $LAB_KIP is-at $kmac," "$(cat "$dump")"
check_ge "Arp rx_reply" "$(ctr_or_fail Arp rx_reply)" 1
check_eq "Ip tx_noroute with a gateway" "$(ctr_or_fail Ip tx_noroute)" 0
check_eq "Icmp tx_echoreply: every ping answered" "$(ctr_or_fail Icmp tx_echoreply)" 6
check_grep "the off-subnet replies go to the gateway's MAC" \
  "$umac > $kmac, ethertype IPv4 .*$LAB_UIP > $off_ip: ICMP echo reply" "$(cat "$dump")"
check_grep "the kernel's ARP entry for usock is usable and right" \
  "^$LAB_UIP lladdr $umac (REACHABLE|STALE|DELAY|PROBE)" \
  "$(kx ip neigh show "$LAB_UIP" dev "$LAB_KIF")"
srv_stop

# --- without a gateway: off-subnet is unreachable ----------------------------
srv_start
ping_ok "on-subnet ping without a gateway" 2
out=$(kx timeout 30 ping -n -c 3 -i 0.2 -W 1 -I "$off_ip" "$LAB_UIP" 2>&1)
check_grep "off-subnet ping without a gateway goes unanswered" \
  "^3 packets transmitted, 0 received" "$out"
check_eq "Icmp rx_echo: usock got all five pings" "$(ctr_or_fail Icmp rx_echo)" 5
check_eq "Ip tx_noroute: each off-subnet reply had no route" "$(ctr_or_fail Ip tx_noroute)" 3
srv_stop
bg_stop "$tcpdump_pid"

lab_finish
