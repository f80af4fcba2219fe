#!/usr/bin/env bash
# test_udp_echo: UDP between the Linux kernel and usock, both ways.
#  - kernel clients (nc -u, socat) to usock-testsrv's echo on port 7: the
#    echo equals what was sent, including an 8000-byte datagram that
#    travels in fragments both ways;
#  - a kernel UDP socket connected to usock's closed port 1 gets
#    ECONNREFUSED (usock sent ICMP port unreachable), and usock counts it;
#  - usock as the client (lab-udp-client) against a kernel socat echo
#    server: small, fragmented and 65507-byte datagrams all come back
#    intact; against a port with no server it fails with ECONNREFUSED.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
CLIENT=$BUILD/tests/lab/lab-udp-client
[ -x "$CLIENT" ] || die "$CLIENT is built"
lab_make
srv_start

# --- kernel clients to usock's echo --------------------------------------------
msg="hello from the kernel via nc, run $$"
out=$(printf '%s\n' "$msg" | kx timeout 10 nc -u -w1 "$LAB_UIP" 7)
check_eq "nc -u: port 7 echoes the line" "$out" "$msg"

msg="hello from the kernel via socat, run $$"
out=$(printf '%s\n' "$msg" | kx timeout 10 socat -t1 - "UDP:$LAB_UIP:7")
check_eq "socat: port 7 echoes the line" "$out" "$msg"

head -c 8000 /dev/urandom >"$LAB_TMP/big.in"
kx timeout 10 socat -t1 -b 65536 - "UDP:$LAB_UIP:7" <"$LAB_TMP/big.in" >"$LAB_TMP/big.out"
check "socat: an 8000-byte datagram (fragmented both ways) echoes byte for byte" \
  cmp "$LAB_TMP/big.in" "$LAB_TMP/big.out"

check_eq "Udp rx: three datagrams" "$(ctr_or_fail Udp rx)" 3
check_eq "Udp tx: three echoes" "$(ctr_or_fail Udp tx)" 3
check_eq "Udp rx_badsum" "$(ctr_or_fail Udp rx_badsum)" 0
check_eq "Ip rx_reassembled: the 8000-byte datagram" "$(ctr_or_fail Ip rx_reassembled)" 1

# --- a closed port: ICMP port unreachable -------------------------------------
noport0=$(ctr Udp rx_noport) && unreach0=$(ctr Icmp tx_unreach) ||
  die "counters Udp rx_noport, Icmp tx_unreach readable"
out=$(kx timeout 10 /usr/bin/python3 - "$LAB_UIP" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 1))
s.send(b"anyone on port 1?")
try:
    s.recv(2048)
    print("got an answer from port 1")
except ConnectionRefusedError:
    print("ECONNREFUSED")
except socket.timeout:
    print("timed out")
EOF
)
check_eq "kernel UDP socket to usock port 1 gets ECONNREFUSED" "$out" ECONNREFUSED
check_eq "Udp rx_noport counts the datagram" "$(ctr_or_fail Udp rx_noport)" $((noport0 + 1))
check_eq "Icmp tx_unreach counts the port unreachable" "$(ctr_or_fail Icmp tx_unreach)" \
  $((unreach0 + 1))

srv_stop

# --- usock as the client, the kernel's socat as the echo server ---------------
port=9007
bg ip netns exec "$LAB_K" timeout 60 socat -T 10 -b 65536 "UDP-LISTEN:$port,fork,reuseaddr" PIPE
wait_until 5 udp_listening "$LAB_K" "$port" || die "kernel socat echo listens on UDP $port"

uclient() {
  ux env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" \
    timeout 30 "$CLIENT" "$@" 2>&1
}
for spec in "200 64" "100 1472" "50 1473" "20 8000" "3 65507"; do
  set -- $spec
  out=$(uclient "$LAB_KIP" "$port" "$1" "$2" 3)
  check_grep "usock client: $1 datagrams of $2 bytes echoed intact by kernel socat" \
    "^lab-udp-client: $1/$1 datagrams of $2 bytes echoed intact" "$out"
done

# The client must be able to fail: no server on this port.
out=$(uclient "$LAB_KIP" $((port + 1)) 5 100 3)
rc=$?
check_eq "usock client to a port with no server exits 1" "$rc" 1
check_grep "usock client to a port with no server reports ECONNREFUSED" \
  "echo of #0: Connection refused" "$out"

lab_finish
