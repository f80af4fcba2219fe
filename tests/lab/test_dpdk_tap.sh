#!/usr/bin/env bash
# test_dpdk_tap: the DPDK driver's offloads and RX interrupts, through
# DPDK's net_tap virtual device: usock on the DPDK side, the Linux kernel
# on the tap interface (dtap0, 198.18.5.1/24, in usock's namespace).  The
# tap PMD offers IPv4/TCP/UDP checksum offload on TX (it completes the sums
# itself) and reports checked sums on RX, and its queue descriptor serves
# as the RX interrupt.
#  - the port fills in checksums (Driver tx_csum_offload 3) and sleeps on
#    its RX interrupt (rx_interrupts 1);
#  - the kernel pings usock-testsrv, its UDP echo returns a 1472-byte
#    datagram, TCP echo returns 4 MiB: the kernel checks every checksum
#    usock left to the port, so a wrong pseudo-header sum would lose them;
#  - the NIC-verified sums are used (Driver rx_csum_hw > 0), and no segment
#    had a bad checksum;
#  - idle for 3 s, the server process wakes far less often than a timed
#    poll would (voluntary context switches, all threads, < 100 in 3 s) and
#    still answers a ping at once after it.
# The tap PMD's complaints about qdiscs this kernel lacks (multiq) are kept
# out of stderr with --log-level=pmd.net.tap:critical.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
ip netns add "$LAB_U" || die "namespace $LAB_U"
LAB_NS+=("$LAB_U")
ip -n "$LAB_U" link set lo up
ux sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
TIP=198.18.5.1
UIP=198.18.5.2
TAP=dtap$$
SRV_N=1
SRV_OUT=$LAB_TMP/srv.out
SRV_ERR=$LAB_TMP/srv.err
ip netns exec "$LAB_U" env USOCK_DRIVER=dpdk USOCK_IPV4="$UIP/24" \
  USOCK_DPDK_ARGS="--no-huge -m 256 --no-pci --log-level=pmd.net.tap:critical --vdev=net_tap0,iface=$TAP" \
  "$TESTSRV" >"$SRV_OUT" 2>"$SRV_ERR" &
SRV_PID=$!
wait_until 15 ip -n "$LAB_U" link show "$TAP" || die "the tap PMD makes $TAP" "$(cat "$SRV_ERR")"
ip -n "$LAB_U" addr add "$TIP/24" dev "$TAP" || die "address on $TAP"
ip -n "$LAB_U" link set "$TAP" up || die "$TAP up"
wait_until 15 srv_ready || die "usock-testsrv serves on the tap port" "$(cat "$SRV_ERR")"
wait_until 5 ctr Driver port_link_up || die "the DPDK port counters appear"

out=$(ux timeout 30 ping -n -c 3 -i 0.2 -W 3 "$UIP" 2>&1)
check_grep "ping over the tap port" '^3 packets transmitted, 3 received' "$out"
check_eq "the port fills in IPv4 and TCP/UDP checksums" "$(ctr_or_fail Driver tx_csum_offload)" 3
on_intr() { [ "$(ctr Driver rx_interrupts)" = 1 ]; }
wait_until 5 on_intr
check_eq "the port sleeps on its RX interrupt" "$(ctr_or_fail Driver rx_interrupts)" 1

head -c 1472 /dev/urandom >"$LAB_TMP/big.in"
ux timeout 10 socat -t1 -b 65536 - "UDP:$UIP:7" <"$LAB_TMP/big.in" >"$LAB_TMP/big.out"
check "UDP echo of a 1472-byte datagram, checksums by the port" cmp "$LAB_TMP/big.in" "$LAB_TMP/big.out"
head -c 4194304 /dev/urandom >"$LAB_TMP/echo.in"
ux timeout 30 socat -t5 - "TCP:$UIP:7" <"$LAB_TMP/echo.in" >"$LAB_TMP/echo.out"
check "TCP echo of 4 MiB, checksums by the port" cmp "$LAB_TMP/echo.in" "$LAB_TMP/echo.out"
hw=$(ctr_or_fail Driver rx_csum_hw)
check_ge "the port's verified receive checksums are used" "$hw" 1000
check_eq "no TCP segment with a bad checksum" "$(ctr_or_fail Tcp rx_badsum)" 0
check_eq "no UDP datagram with a bad checksum" "$(ctr_or_fail Udp rx_badsum)" 0

switches() { cat /proc/"$SRV_PID"/task/*/status | awk '/^voluntary_ctxt_switches/ { s += $2 } END { print s }'; }
sleep 1
w0=$(switches)
sleep 3
w1=$(switches)
[[ "$w0$w1" =~ ^[0-9]+$ ]] || die "the server's context switches readable" "got '$w0' and '$w1'"
echo "# idle 3 s: $((w1 - w0)) voluntary context switches (a 5 ms timed poll would make 600)"
check "idle on the interrupt: $((w1 - w0)) wake-ups in 3 s, fewer than 100" test $((w1 - w0)) -lt 100
out=$(ux timeout 30 ping -n -c 1 -W 1 "$UIP" 2>&1)
check_grep "after the idle spell a ping is answered within 1 s" '^1 packets transmitted, 1 received' "$out"

srv_stop
lab_finish
