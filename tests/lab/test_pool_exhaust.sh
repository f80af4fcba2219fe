#!/usr/bin/env bash
# test_pool_exhaust: usock-testsrv with the smallest packet pool
# (USOCK_POOL=64, 139 KiB) and receive ring (USOCK_RING=256) under load
# from the kernel, all at once:
#  - 2 connections each pushing 2 MiB through the TCP echo (port 7), the
#    kernel reading the echo back as it comes;
#  - 2 more pushing 512 KiB each through the echo but reading it back
#    slowly (a receive buffer of 8 KiB, 1 KiB every 2 ms);
#  - 2 connections each pushing 4 MiB into the discard service (port 9);
#  - a UDP flood of 20000 datagrams of 1400 bytes at the UDP echo.
# Then:
#  - the server is still running, and says nothing on stderr (no leak
#    report at its exit either; srv_stop);
#  - the counters show the pool ran dry: received data dropped for want
#    of buffers, unacknowledged (Tcp rx_nomem; Udp rx_nomem), or frames
#    the driver or the kernel's ring could not take (Driver rx_nobuf,
#    rx_kernel_drops);
#  - every echo has the SHA-256 of what was sent, and the discard service
#    took every byte (TCP sent again what was dropped), no connection was
#    reset or timed out;
#  - after the load a fresh connection echoes, and Pool available is back
#    to where it started;
#  - usock-cat, also with USOCK_POOL=64, sends 256 MiB to a kernel server
#    with blocking sends (usock_sendall), which wait for buffers (Tcp
#    snd_nobuf), not fail.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make
POOLENV=(USOCK_POOL=64 USOCK_RING=256)
srv_start "${POOLENV[@]}"

out=$(echo warm-up | kx timeout 10 nc -N "$LAB_UIP" 7)
check_eq "warm-up: echo works with a 64-buffer pool" "$out" warm-up
check_eq "Pool size is 64" "$(ctr_or_fail Pool size)" 64
pool_is() { [ "$(ctr Pool available)" -eq "$1" ]; }
wait_until 5 pool_is 64 || die "all 64 buffers free before the load" "$(ctr Pool available)"
declare -A c0 c1
specs=(Tcp:snd_nobuf Tcp:tx_nobuf Tcp:tx_nobuf_retry Tcp:rx_nomem Tcp:rx_ooo_drained
  Tcp:tx_rexmt Tcp:rx_data_bytes Tcp:conn_reset Tcp:conn_timeout Ip:tx_nobuf Pool:alloc_failed
  Driver:rx_nobuf Driver:rx_kernel_drops Udp:rx Udp:rx_nomem Udp:tx)
snap c0

# --- the load ----------------------------------------------------------------------
tcp_data $((2 * 1024 * 1024))
t0=$(now_ms)
epids=()
for i in 1 2; do
  bg_in "$TCP_DATA" ip netns exec "$LAB_K" socat -t 20 -b 65536 - "TCP:$LAB_UIP:7" \
    >"$LAB_TMP/echo$i.out"
  epids+=("$BG_PID")
done
head -c $((512 * 1024)) "$TCP_DATA" >"$LAB_TMP/slow.in"
slow_sha=$(sha_of "$LAB_TMP/slow.in")
# The slow readers: one thread writes everything, the other reads 1 KiB every 2 ms.
for i in 3 4; do
  bg ip netns exec "$LAB_K" timeout 25 /usr/bin/python3 -c '
import socket, sys, threading, time
data = open(sys.argv[2], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
s.connect((sys.argv[1], 7))
def feed():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=feed, daemon=True).start()
with open(sys.argv[3], "wb") as out:
    while True:
        b = s.recv(1024)
        if not b:
            break
        out.write(b)
        time.sleep(0.002)
' "$LAB_UIP" "$LAB_TMP/slow.in" "$LAB_TMP/echo$i.out"
  epids+=("$BG_PID")
done
head -c $((4 * 1024 * 1024)) /dev/urandom >"$LAB_TMP/discard.in"
dpids=()
for i in 1 2; do
  bg_in "$LAB_TMP/discard.in" ip netns exec "$LAB_K" socat -u - "TCP:$LAB_UIP:9"
  dpids+=("$BG_PID")
done
# The UDP flood: bounded in datagrams and in time; prints how many echoes came back.
udp=$(kx timeout 20 /usr/bin/python3 - "$LAB_UIP" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.connect((sys.argv[1], 7))
s.setblocking(False)
sent = back = 0
for i in range(20000):
    try:
        s.send(bytes([i & 255]) * 1400)
        sent += 1
    except BlockingIOError:
        pass
    try:
        while True:
            s.recv(65536)
            back += 1
    except BlockingIOError:
        pass
end = time.time() + 2
while time.time() < end:
    try:
        s.recv(65536)
        back += 1
    except BlockingIOError:
        time.sleep(0.01)
print(f"sent={sent} back={back}")
EOF
)
echo "# UDP flood: $udp"
check_grep "the UDP flood went out" "^sent=[1-9]" "$udp"
for i in 1 2 3 4; do
  bg_wait 25 "${epids[$((i - 1))]}"
  check_eq "echo $i: socat exited 0" "$?" 0
done
for i in 1 2; do
  bg_wait 10 "${dpids[$((i - 1))]}"
  check_eq "discard $i: socat exited 0" "$?" 0
done
echo "# the load took $(($(now_ms) - t0)) ms"
check "usock-testsrv survived the load" kill -0 "$SRV_PID"

# --- what arrived -------------------------------------------------------------------
for i in 1 2; do
  check_eq "echo $i: all 2 MiB came back" "$(stat -c %s "$LAB_TMP/echo$i.out")" "$TCP_BYTES"
  check_eq "echo $i: SHA-256 equal" "$(sha_of "$LAB_TMP/echo$i.out")" "$TCP_SHA"
done
for i in 3 4; do
  check_eq "echo $i (slow reader): all 512 KiB came back" "$(stat -c %s "$LAB_TMP/echo$i.out")" \
    $((512 * 1024))
  check_eq "echo $i (slow reader): SHA-256 equal" "$(sha_of "$LAB_TMP/echo$i.out")" "$slow_sha"
done
# The discard service reads to the end before it closes; wait (bounded) for the last bytes.
total=$((2 * TCP_BYTES + 2 * 512 * 1024 + 2 * 4 * 1024 * 1024))
want=$((c0[Tcp:rx_data_bytes] + total))
got_all() { [ "$(ctr Tcp rx_data_bytes)" -ge "$want" ]; }
wait_until 10 got_all
snap c1
check_eq "the services received every byte (2 x 2 MiB + 2 x 512 KiB echoed, 2 x 4 MiB discarded)" \
  "$(delta Tcp:rx_data_bytes)" "$total"
echo "# under load: $(for k in "${specs[@]}"; do printf '%s +%s ' "$k" "$(delta "$k")"; done)"
check_ge "received data was dropped for want of buffers (Tcp rx_nomem)" "$(delta Tcp:rx_nomem)" 1
check_ge "frames or data were dropped for want of buffers (Driver rx_nobuf + rx_kernel_drops + Tcp rx_nomem + Udp rx_nomem)" \
  $(($(delta Driver:rx_nobuf) + $(delta Driver:rx_kernel_drops) + $(delta Tcp:rx_nomem) + \
    $(delta Udp:rx_nomem))) 1
check_eq "no connection was reset" "$(delta Tcp:conn_reset)" 0
check_eq "no connection timed out" "$(delta Tcp:conn_timeout)" 0
check_ge "UDP datagrams were taken in" "$(delta Udp:rx)" 1

# --- after the load ---------------------------------------------------------------
out=$(echo "after the load" | kx timeout 10 nc -N "$LAB_UIP" 7)
check_eq "a fresh connection echoes after the load" "$out" "after the load"
wait_until 10 pool_is 64
check_eq "Pool available back to its start" "$(ctr_or_fail Pool available)" 64

srv_stop

# --- blocking sends with a 64-buffer pool -------------------------------------------
# (usock-testsrv is gone: two usock stacks on one address would answer each other's peers.)
# 256 MiB: seconds long, so that usock-stat (slow to start under ASan)
# snapshots usock-cat's counters while it sends; 32 MiB took 0.5 s, at
# times over before the first snapshot.
tcp_data $((256 * 1024 * 1024))
tcp_xfer uc2k 5021 120 "${POOLENV[@]}"
nobuf=$(ctr_in "$XFER_STAT" Tcp snd_nobuf) || nobuf=NA
check_ge "usock-cat's sends waited for the pool (Tcp snd_nobuf)" "$nobuf" 1

lab_finish
