#!/usr/bin/env bash
# test_dpdk: usock on the DPDK driver (USOCK_DRIVER=dpdk) against the Linux
# kernel, through DPDK's net_af_packet virtual device on the veth (no NIC
# here, no hugepages: --no-huge).
#  - usock-testsrv on DPDK: the port's link is up, frames are sent from
#    the stack's buffers in place (tx_zero_copy); the kernel pings it
#    (small and full-size frames), its UDP echo returns a line and a
#    1472-byte datagram, its TCP echo returns 4 MiB, chargen gives 100000 bytes;
#    after every connection has closed the mbuf pool is back to its level
#    at start (no mbuf leaked), and the server exits 0 with nothing on stderr;
#  - with USOCK_MAC, the port goes promiscuous and the kernel learns that MAC;
#  - bulk TCP with usock-cat on DPDK, each way and in both roles
#    (LAB_DPDK_BYTES, default 256 MiB), SHA-256 compared, no bad checksum,
#    no reset; the receiving usock-cat copied each delivered byte once
#    (Sockets bytes_copied = bytes_delivered) and the driver copied no frame
#    out of an mbuf (Driver rx_copied 0): one copy per byte in all;
#  - a DPDK port that does not exist stops usock with one line naming
#    USOCK_DPDK_PORT.
# Fragments are not tried here: net_af_packet's socket joins a fanout group
# with PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles IPv4 fragments
# before DPDK sees them and a datagram above the PMD's frame size arrives
# cut short (usock counts it as Driver rx_toobig).  test_dpdk_memif sends
# fragmented datagrams between two usock processes instead.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
[ -x "$BUILD/apps/usock-cat" ] || die "$BUILD/apps/usock-cat is built"
bytes=${LAB_DPDK_BYTES:-268435456}
[[ "$bytes" =~ ^[0-9]+$ ]] && [ "$bytes" -gt 0 ] || die "LAB_DPDK_BYTES=$bytes is a byte count"
limit=$((20 + bytes / 10485760))
lab_make
DARGS="--no-huge -m 512 --no-pci --vdev=net_af_packet0,iface=$LAB_UIF"
DPDK=(USOCK_DRIVER=dpdk "USOCK_DPDK_ARGS=$DARGS")

# --- the test server on DPDK --------------------------------------------------
srv_start "${DPDK[@]}"
wait_until 5 ctr Driver port_link_up || die "the DPDK port counters appear"
check_eq "the DPDK port's link is up" "$(ctr_or_fail Driver port_link_up)" 1
check_eq "sent frames go from the stack's buffers in place" "$(ctr_or_fail Driver tx_zero_copy)" 1
mb0=$(ctr_or_fail Driver mbufs_in_use)
echo "# mbufs in use at start: $mb0 (of $(ctr_or_fail Driver mbufs_free) free)"

ping_ok "ping over DPDK" 5
ping_ok "1472-byte ping over DPDK (full-size frames)" 3 -s 1472

msg="hello over DPDK, run $$"
out=$(printf '%s\n' "$msg" | kx timeout 10 socat -t1 - "UDP:$LAB_UIP:7")
check_eq "UDP echo returns the line" "$out" "$msg"
head -c 1472 /dev/urandom >"$LAB_TMP/big.in"
kx timeout 10 socat -t1 -b 65536 - "UDP:$LAB_UIP:7" <"$LAB_TMP/big.in" >"$LAB_TMP/big.out"
check "UDP echo returns a 1472-byte datagram byte for byte" cmp "$LAB_TMP/big.in" "$LAB_TMP/big.out"

head -c 4194304 /dev/urandom >"$LAB_TMP/echo.in"
kx timeout 30 socat -t5 - "TCP:$LAB_UIP:7" <"$LAB_TMP/echo.in" >"$LAB_TMP/echo.out"
check "TCP echo returns 4 MiB byte for byte" cmp "$LAB_TMP/echo.in" "$LAB_TMP/echo.out"
check_eq "chargen (port 19) gives 100000 bytes" \
  "$(kx timeout 30 socat -u "TCP:$LAB_UIP:19" - | wc -c)" 100000
kx timeout 30 socat -u "OPEN:$LAB_TMP/echo.in,rdonly" "TCP:$LAB_UIP:9"
check_eq "discard (port 9) takes 4 MiB" "$?" 0
check_eq "no TCP segment with a bad checksum" "$(ctr_or_fail Tcp rx_badsum)" 0

# The counters are read every 200 ms; the connections close within a second.
[[ "$mb0" =~ ^[0-9]+$ ]] || die "Driver mbufs_in_use readable at start" "got '$mb0'"
mb_back() { [ "$(ctr Driver mbufs_in_use)" = "$mb0" ]; }
wait_until 10 mb_back
check_eq "every mbuf back in the pool once the connections closed" \
  "$(ctr_or_fail Driver mbufs_in_use)" "$mb0"
# The stack's own buffers went out in place (attached to mbufs): all back too.
pool_back() { [ "$(ctr Pool available)" = "$(ctr Pool size)" ]; }
wait_until 10 pool_back
check_eq "every stack buffer sent in place is back" "$(ctr_or_fail Pool available)" \
  "$(ctr_or_fail Pool size)"
srv_stop

# --- its own MAC (USOCK_MAC): the port goes promiscuous -------------------------
kx ip neigh flush dev "$LAB_KIF"
srv_start "${DPDK[@]}" USOCK_MAC=02:00:00:00:00:42
ping_ok "ping over DPDK with USOCK_MAC" 3
check "the kernel learnt usock's own MAC" kernel_knows 02:00:00:00:00:42
srv_stop

# --- bulk TCP against the kernel ------------------------------------------------
tcp_data "$bytes"
echo "# $bytes bytes, sha256 $TCP_SHA, at most $limit s per transfer"
c() { ctr_in "$XFER_STAT" "$1" "$2" || echo NA; }
port=5401
for kind in k2us us2k uc2k k2uc; do
  tcp_xfer "$kind" "$port" "$limit" "${DPDK[@]}"
  check_eq "$XFER_WHAT: no TCP segment with a bad checksum" "$(c Tcp rx_badsum)" 0
  check_eq "$XFER_WHAT: no connection reset" "$(c Tcp conn_reset)" 0
  check_grep "$XFER_WHAT: usock-cat ran on DPDK" '^usock pid [0-9]+ on .*\(dpdk\)' "$(cat "$XFER_STAT")"
  case $kind in
  k2us | k2uc)
    del=$(c Sockets bytes_delivered)
    cop=$(c Sockets bytes_copied)
    echo "# $XFER_WHAT: Sockets bytes_delivered $del bytes_copied $cop; Driver rx_pkts" \
      "$(c Driver rx_pkts) rx_copied $(c Driver rx_copied) tx_copied $(c Driver tx_copied)"
    check_ge "$XFER_WHAT: the counters saw most of the transfer" "$del" $((bytes / 2))
    check_eq "$XFER_WHAT: each delivered byte copied once, from the mbuf" "$cop" "$del"
    check_eq "$XFER_WHAT: no frame copied out of its mbuf" "$(c Driver rx_copied)" 0
    ;;
  esac
  port=$((port + 1))
done

# --- a bad port ---------------------------------------------------------------------
out=$("${LAB_UENV[@]}" "${DPDK[@]}" USOCK_DPDK_PORT=7 timeout 20 "$BUILD/apps/usock-cat" \
  "$LAB_KIP" 9 </dev/null 2>&1)
check_grep "a DPDK port that does not exist is named with the fix" \
  '^usock: USOCK_DRIVER=dpdk: USOCK_DPDK_PORT=7: DPDK has 1 port \(0 to 0\)' "$out"

lab_finish
