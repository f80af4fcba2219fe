#!/usr/bin/env bash
# test_dhcp: usock's DHCPv4 client (USOCK_IPV4=dhcp) against dnsmasq as the
# server in the kernel's namespace (198.18.0.1):
#  - usock-testsrv gets an address from the pool (two ARP probes first),
#    dnsmasq records the lease, the kernel pings it and echoes TCP through
#    it; at exit the lease is released (DHCPRELEASE in dnsmasq's log);
#  - the lease's router and DNS server are used: usock-http-get fetches
#    http://svc.lab:8080/ by name (dnsmasq answers 198.19.0.1, an address
#    off the subnet, behind the router) and gets the file intact;
#  - renewal: with T1 = 3 s the lease is renewed (unicast DHCPREQUEST,
#    DHCPACK) and the address stays;
#  - the server goes away: past T1 and T2 the client keeps asking
#    (renewing, then rebinding) and keeps its address meanwhile;
#  - conflict: the only address in the pool is taken by the kernel; the ARP
#    probe finds it, the client declines it (DHCPDECLINE in dnsmasq's log)
#    and says in one line that it has no lease yet.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
for tool in dnsmasq nc python3; do
  command -v "$tool" >/dev/null || die "$tool is installed (bash tests/deps.sh)"
done
lab_make
LOG=$LAB_TMP/dnsmasq.log
# dns_start RANGE_START RANGE_END: dnsmasq as DHCP (2 min leases, T1 3 s, T2 6 s) and DNS server.
dns_start() {
  bg ip netns exec "$LAB_K" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
    --interface="$LAB_KIF" --bind-interfaces --no-ping --log-dhcp --log-queries --log-facility=- \
    --dhcp-range="$1,$2,255.255.255.0,2m" --dhcp-option=option:router,"$LAB_KIP" \
    --dhcp-option=option:dns-server,"$LAB_KIP" --dhcp-option=option:T1,3 \
    --dhcp-option=option:T2,6 --dhcp-leasefile="$LAB_TMP/leases" \
    --address=/svc.lab/198.19.0.1 --pid-file="$LAB_TMP/dnsmasq.pid" 2>>"$LOG"
  DNS_PID=$BG_PID
  wait_until 10 udp_listening "$LAB_K" 67 || die "dnsmasq serves DHCP" "$(tail -5 "$LOG")"
}
# usock's address, from usock-stat's header line of PID.
addr_of() { "$STAT" -p "$1" | sed -n '1s/.*), \([0-9.]*\)\/.*/\1/p'; }
umac=$(mac_of "$LAB_U" "$LAB_UIF")

# --- a lease, used, released --------------------------------------------------------
dns_start 198.18.0.50 198.18.0.60
t0=$(now_ms)
srv_start USOCK_IPV4=dhcp
echo "# usock-testsrv served $(($(now_ms) - t0)) ms after it started (DISCOVER to bound)"
a=$(addr_of "$SRV_PID")
check_grep "the address is from dnsmasq's pool ($a)" '^198\.18\.0\.(5[0-9]|60)$' "$a"
check_eq "one lease taken" "$(ctr_or_fail Dhcp bound)" 1
check_eq "two ARP probes of the offer first" "$(ctr_or_fail Dhcp tx_arp_probe)" 2
check_grep "dnsmasq acknowledged it to usock's MAC" "DHCPACK\\($LAB_KIF\\) $a $umac" "$(cat "$LOG")"
check_grep "dnsmasq's lease file has it" "$umac $a" "$(cat "$LAB_TMP/leases")"
out=$(kx timeout 20 ping -n -c 3 -i 0.2 -W 2 "$a" 2>&1)
check_grep "the kernel pings the leased address: 3 sent, 3 received" '^3 packets transmitted, 3 received' "$out"
got=$(printf 'lease %s\n' "$$" | kx timeout 10 nc -N "$a" 7)
check_eq "TCP echo at the leased address" "$got" "lease $$"
srv_stop
wait_until 5 grep -q "DHCPRELEASE($LAB_KIF) $a $umac" "$LOG"
check_grep "the lease was released at exit" "DHCPRELEASE\\($LAB_KIF\\) $a $umac" "$(cat "$LOG")"

# --- the lease's router and DNS server ---------------------------------------------------
ip -n "$LAB_K" addr add 198.19.0.1/32 dev lo || die "198.19.0.1 behind the router"
mkdir -p "$LAB_TMP/www"
head -c 300000 /dev/urandom >"$LAB_TMP/www/f"
bg ip netns exec "$LAB_K" timeout 60 python3 -m http.server 8080 --bind 198.19.0.1 \
  --directory "$LAB_TMP/www" >"$LAB_TMP/http.log" 2>&1
wait_until 10 tcp_listening "$LAB_K" 8080 || die "the kernel's http server listens"
"${LAB_UENV[@]}" USOCK_IPV4=dhcp timeout 30 "$BUILD/apps/usock-http-get" http://svc.lab:8080/f \
  >"$LAB_TMP/got" 2>"$LAB_TMP/get.err"
rc=$?
check_eq "usock-http-get http://svc.lab:8080/f (DNS and router from the lease): exit 0" "$rc" 0
check_eq "the file arrived intact" "$(sha_of "$LAB_TMP/got")" "$(sha_of "$LAB_TMP/www/f")"
check_grep "dnsmasq answered usock's query for svc.lab" 'query\[A\] svc\.lab' "$(cat "$LOG")"


# --- renewal, then the server goes away ------------------------------------------------
srv_start USOCK_IPV4=dhcp
a=$(addr_of "$SRV_PID")
for i in $(seq 160); do
  [ "$(ctr Dhcp renewed)" -ge 1 ] 2>/dev/null && break
  sleep 0.05
done
check_ge "the lease was renewed at T1" "$(ctr_or_fail Dhcp renewed)" 1
check_eq "the same address after renewing" "$(addr_of "$SRV_PID")" "$a"
bg_stop "$DNS_PID"
req=$(ctr_or_fail Dhcp tx_request)
# Past the next T1 (a unicast request, unanswered) and T2 (a broadcast one, unanswered).
sleep 7
check_ge "without a server the client kept asking (renewing, then rebinding)" \
  "$(ctr_or_fail Dhcp tx_request)" $((req + 2))
check_eq "no lease ran out yet" "$(ctr_or_fail Dhcp expired)" 0
out=$(kx timeout 20 ping -n -c 2 -i 0.2 -W 2 "$a" 2>&1)
check_grep "the address still answers while rebinding" '^2 packets transmitted, 2 received' "$out"
srv_stop

# --- the offer is in use: declined ---------------------------------------------------
: >"$LAB_TMP/leases"
ip -n "$LAB_K" addr add 198.18.0.70/32 dev "$LAB_KIF" || die "198.18.0.70 on the kernel's side"
dns_start 198.18.0.70 198.18.0.70
ip netns exec "$LAB_U" env USOCK_IFACE="$LAB_UIF" USOCK_IPV4=dhcp "$TESTSRV" \
  >"$LAB_TMP/c.out" 2>"$LAB_TMP/c.err" &
SRV_PID=$!
wait_until 15 grep -q 'no DHCP lease' "$LAB_TMP/c.err"
check_ge "the ARP probe found the kernel on the offered address" "$(ctr_or_fail Dhcp conflict)" 1
check_ge "the client declined it" "$(ctr_or_fail Dhcp tx_decline)" 1
check_grep "dnsmasq got the DHCPDECLINE" "DHCPDECLINE\\($LAB_KIF\\) 198\\.18\\.0\\.70 $umac" "$(cat "$LOG")"
check_eq "usock said in one line it has no lease yet" \
  "$(grep -c 'usock: USOCK_IPV4=dhcp: no DHCP lease on vb' "$LAB_TMP/c.err")" 1
check_eq "and nothing else on stderr" "$(wc -l <"$LAB_TMP/c.err")" 1
check_eq "it took no address" "$(addr_of "$SRV_PID")" "0.0.0.0"
kill -TERM "$SRV_PID"
bg_wait 10 "$SRV_PID" >/dev/null 2>&1
SRV_PID=

lab_finish
