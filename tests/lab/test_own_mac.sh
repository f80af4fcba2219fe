#!/usr/bin/env bash
# test_own_mac: USOCK_MAC gives usock a MAC of its own, different from the
# interface's.  The driver puts the interface in promiscuous mode (and
# takes it out at exit); ARP answers with usock's MAC, which the kernel
# learns; pings and UDP echo work; frames usock sends carry its MAC; and a
# frame sent to the interface's own MAC is not for usock (counted, not
# answered).
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make
own=02:00:00:00:00:02
ifmac=02:00:00:00:00:bb
ip -n "$LAB_U" link set "$LAB_UIF" address "$ifmac" || die "MAC $ifmac on $LAB_UIF"
kmac=$(mac_of "$LAB_K" "$LAB_KIF")
promisc() { ip -n "$LAB_U" -d link show "$LAB_UIF" | sed -n 's/.* promiscuity \([0-9]*\) .*/\1/p'; }
check_eq "$LAB_UIF is not promiscuous before usock" "$(promisc)" 0

dump=$LAB_TMP/k.dump
bg ip netns exec "$LAB_K" timeout 60 tcpdump -l -n -e -i "$LAB_KIF" >"$dump" 2>"$LAB_TMP/tcpdump.err"
tcpdump_pid=$BG_PID
wait_until 10 grep -q "listening on $LAB_KIF" "$LAB_TMP/tcpdump.err" ||
  die "tcpdump listens on $LAB_KIF" "$(cat "$LAB_TMP/tcpdump.err")"

srv_start USOCK_MAC="$own"
check_grep "usock-stat shows usock's own MAC" "^usock pid $SRV_PID .*, $own\$" \
  "$("$STAT" -p "$SRV_PID")"
check_ge "$LAB_UIF is promiscuous while usock runs" "$(promisc)" 1

ping_ok "ping to usock's own MAC" 3
ping_ok "8000-byte ping to usock's own MAC" 2 -s 8000
msg="to $own, run $$"
out=$(printf '%s\n' "$msg" | kx timeout 10 nc -u -w1 "$LAB_UIP" 7)
check_eq "UDP echo with usock's own MAC" "$out" "$msg"
check_grep "the kernel's ARP cache has usock's own MAC" "^$LAB_UIP lladdr $own " \
  "$(kx ip neigh show "$LAB_UIP" dev "$LAB_KIF")"
d=$(cat "$dump")
check_grep "usock's ARP reply gives its own MAC" \
  "^[0-9:.]+ $own > $kmac, ethertype ARP .*Reply $LAB_UIP is-at $own," "$d"
check_grep "usock's echo replies come from its own MAC" \
  "^[0-9:.]+ $own > $kmac, ethertype IPv4 .*$LAB_UIP > $LAB_KIP: ICMP echo reply" "$d"
check_nogrep "nothing from usock carries the interface's MAC" "^[0-9:.]+ $ifmac > " "$d"
check_eq "Ethernet rx_notours so far" "$(ctr_or_fail Ethernet rx_notours)" 0

# Frames to the interface's MAC are not usock's, even though promiscuous
# mode passes them up.
kx ip neigh replace "$LAB_UIP" lladdr "$ifmac" dev "$LAB_KIF" nud permanent ||
  die "point the kernel's ARP entry at $ifmac"
out=$(kx timeout 30 ping -n -c 2 -i 0.2 -W 1 "$LAB_UIP" 2>&1)
check_grep "pings to the interface's MAC go unanswered" "^2 packets transmitted, 0 received" \
  "$out"
check_eq "Ethernet rx_notours counts them" "$(ctr_or_fail Ethernet rx_notours)" 2
kx ip neigh del "$LAB_UIP" dev "$LAB_KIF"
ping_ok "ping after the kernel asks ARP again" 1
check_eq "Icmp rx_echo: only the pings to usock's MAC" "$(ctr_or_fail Icmp rx_echo)" 6

srv_stop
bg_stop "$tcpdump_pid"
check_eq "$LAB_UIF is not promiscuous after usock" "$(promisc)" 0

lab_finish
