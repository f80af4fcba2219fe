#!/usr/bin/env bash
# test_udp_fault_10mb: 10 MiB of UDP echoed by usock through its fault
# wrapper (USOCK_FAULT: 2% loss, 1% duplication, 5% reordering on what usock
# sends), with every datagram accounted for.  A kernel-side client
# (udp_window.py) sends ~1000-byte numbered datagrams with a bounded window
# and checks each echo's bytes; then, with usock's counters taken before
# the server stops:
#   distinct echoes + fault_lost             == datagrams sent
#   echoes received                          == sent - fault_lost + fault_dup
# (fault counters as deltas over the transfer, during which usock must have
# sent nothing but the echoes, so the wrapper spoiled echoes only).
# LAB_FAULT_SEED replays another seed (default 7).
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
seed=${LAB_FAULT_SEED:-7}
total=$((10 * 1024 * 1024))
size=1000
sent_want=$(((total + size - 1) / size))
lab_make
srv_start USOCK_FAULT="loss=2,dup=1,reorder=5,seed=$seed"

# Warm up: both sides learn each other's MAC (a reply may be lost: keep
# pinging, bounded), then the kernel's entry is pinned so that no ARP
# traffic crosses the transfer.
check "warm-up: the kernel reaches usock through the faults" \
  wait_until 10 kx ping -n -c 1 -W 1 "$LAB_UIP"
umac=$(kx ip neigh show "$LAB_UIP" dev "$LAB_KIF" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
[ -n "$umac" ] || die "the kernel learned usock's MAC" "$(kx ip neigh show)"
kx ip neigh replace "$LAB_UIP" lladdr "$umac" dev "$LAB_KIF" nud permanent ||
  die "pin the kernel's ARP entry for usock"

declare -A c0 c1
specs=(Driver:fault_lost Driver:fault_dup Driver:fault_reord Driver:tx_err
  Driver:rx_kernel_drops Driver:rx_nobuf Ethernet:tx Ethernet:tx_drop Udp:rx Udp:tx
  Udp:tx_err Udp:rx_qfull Udp:rx_delivered Arp:queue_drop Arp:resolve_fail Ip:tx_nobuf)
kudp() { kx awk '/^Udp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp; }

snap c0
rcvbuf0=$(kudp)
out=$(kx timeout 50 /usr/bin/python3 "$(dirname "$0")/udp_window.py" \
  "$LAB_UIP" 7 "$total" "$size" 64 0.5 1 40)
rc=$?
rcvbuf1=$(kudp)
snap c1
echo "# client: $out"
echo "# usock: fault_lost +$(delta Driver:fault_lost) fault_dup +$(delta Driver:fault_dup)" \
  "fault_reord +$(delta Driver:fault_reord) udp rx +$(delta Udp:rx) udp tx +$(delta Udp:tx)" \
  "eth tx +$(delta Ethernet:tx)"
check_eq "the client ran to its end" "$rc" 0
declare -A r=()
for kv in $out; do r[${kv%%=*}]=${kv#*=}; done
for k in sent echoes unique corrupt unknown timedout seconds; do
  [ -n "${r[$k]:-}" ] || die "the client reports $k" "$out"
done

check_eq "client sent 10 MiB as $size-byte datagrams" "${r[sent]}" "$sent_want"
check_eq "client finished within its 40 s deadline" "${r[timedout]}" 0
check_eq "no echo had a byte wrong" "${r[corrupt]}" 0
check_eq "no echo of a datagram never sent" "${r[unknown]}" 0
check_eq "usock received every datagram (Udp rx)" "$(delta Udp:rx)" "$sent_want"
check_eq "usock queued every datagram to the echo socket" "$(delta Udp:rx_delivered)" \
  "$sent_want"
check_eq "usock echoed every datagram (Udp tx)" "$(delta Udp:tx)" "$sent_want"
check_eq "usock sent nothing but the echoes (Ethernet tx = Udp tx)" "$(delta Ethernet:tx)" \
  "$(delta Udp:tx)"
for k in Udp:rx_qfull Udp:tx_err Driver:tx_err Driver:rx_kernel_drops Driver:rx_nobuf \
  Ethernet:tx_drop Arp:queue_drop Arp:resolve_fail Ip:tx_nobuf; do
  check_eq "usock $k stayed put" "$(delta "$k")" 0
done
check_eq "kernel UDP RcvbufErrors stayed put" "$rcvbuf1" "$rcvbuf0"

lost=$(delta Driver:fault_lost)
dup=$(delta Driver:fault_dup)
check_ge "the wrapper lost echoes" "$lost" 1
check_ge "the wrapper duplicated echoes" "$dup" 1
check_ge "the wrapper reordered echoes" "$(delta Driver:fault_reord)" 1
check_eq "distinct echoes + fault_lost = sent" $((r[unique] + lost)) "${r[sent]}"
check_eq "echoes received = sent - fault_lost + fault_dup" "${r[echoes]}" \
  $((r[sent] - lost + dup))

srv_stop
lab_finish
