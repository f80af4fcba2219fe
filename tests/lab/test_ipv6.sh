#!/usr/bin/env bash
# test_ipv6: usock's IPv6 against the Linux kernel's on the veth (fd00::/64):
#  - usock-testsrv with USOCK_IPV6=fd00::2/64: duplicate address detection
#    passes for its link-local and its address, the kernel pings both
#    (ping -6, also 3000-byte echoes fragmented both ways), TCP echo,
#    generator and UDP echo over IPv6 with nc -6, a closed port refused,
#    and the same services still over IPv4 (one dual-stack socket each);
#  - the neighbour cache both ways (the kernel learns usock's MAC from its
#    advertisement), MLD reports for our solicited-node groups;
#  - DAD conflict: the kernel holds fd00::2 already; usock says so on
#    stderr in one line, counts it, and leaves the address to the kernel;
#  - SLAAC: radvd in the kernel's namespace advertises fd00:5::/64 and is
#    the default router; with USOCK_IPV6=auto usock makes
#    fd00:5::<EUI-64> (the kernel pings it) and reaches an address behind
#    the router.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
for tool in nc socat radvd ping; do
  command -v "$tool" >/dev/null || die "$tool is installed (bash tests/deps.sh)"
done
lab_make
lab_ipv6

# eui64 MAC: the modified EUI-64 interface identifier (RFC 4291 2.5.1) as four groups.
eui64() {
  local IFS=: m
  read -r -a m <<<"$1"
  printf '%x:%x:%x:%x' $(((0x${m[0]} ^ 2) << 8 | 0x${m[1]})) $((0x${m[2]} << 8 | 0xff)) \
    $((0xfe << 8 | 0x${m[3]})) $((0x${m[4]} << 8 | 0x${m[5]}))
}
umac=$(mac_of "$LAB_U" "$LAB_UIF")
ULL=fe80::$(eui64 "$umac")

# --- a static address ------------------------------------------------------------
srv_start USOCK_IPV6="$LAB_U6/64"
check_grep "usock-testsrv says it serves over IPv6 too" 'over IPv4 and IPv6' "$(cat "$SRV_OUT")"
for i in $(seq 100); do
  [ "$(ctr Nd6 dad_ok)" -ge 2 ] 2>/dev/null && break
  sleep 0.05
done
check_eq "DAD passed for the link-local address and $LAB_U6" "$(ctr_or_fail Nd6 dad_ok)" 2
check_eq "no duplicate found" "$(ctr_or_fail Nd6 dad_dup)" 0
check_ge "MLD reports sent for our solicited-node groups" "$(ctr_or_fail Nd6 tx_mld_report)" 1

out=$(kx timeout 30 ping -6 -n -c 5 -i 0.2 -W 3 "$LAB_U6" 2>&1)
check_grep "ping -6 $LAB_U6: 5 sent, 5 received" '^5 packets transmitted, 5 received' "$out"
check_nogrep "ping -6: replies intact" 'wrong data|DUP!|truncated' "$out"
out=$(kx timeout 30 ping -6 -n -c 3 -i 0.2 -W 3 -s 3000 "$LAB_U6" 2>&1)
check_grep "ping -6 -s 3000 (fragmented both ways): 3 sent, 3 received" \
  '^3 packets transmitted, 3 received' "$out"
check_ge "usock reassembled the kernel's fragments" "$(ctr_or_fail Ip6 rx_reassembled)" 3
check_ge "usock fragmented its replies" "$(ctr_or_fail Ip6 tx_frag)" 6
out=$(kx timeout 30 ping -6 -n -c 3 -i 0.2 -W 3 "$ULL%$LAB_KIF" 2>&1)
check_grep "ping -6 usock's link-local $ULL: 3 sent, 3 received" \
  '^3 packets transmitted, 3 received' "$out"
check_grep "the kernel's neighbour cache has usock's MAC" "lladdr $umac" \
  "$(kx ip -6 neigh show "$LAB_U6" dev "$LAB_KIF")"
check_ge "usock answered neighbour solicitations" "$(ctr_or_fail Nd6 tx_na)" 1

msg="hello over IPv6 $$"
got=$(printf '%s\n' "$msg" | kx timeout 10 nc -6 -N "$LAB_U6" 7)
check_eq "nc -6: TCP echo over IPv6" "$got" "$msg"
n=$(kx timeout 10 nc -6 -d "$LAB_U6" 19 </dev/null | wc -c)
check_eq "nc -6: the generator's 100000 bytes over IPv6" "$n" 100000
got=$(printf 'udp6 %s' "$$" | kx timeout 5 nc -6 -u -w 1 "$LAB_U6" 7)
check_eq "nc -6 -u: UDP echo over IPv6" "$got" "udp6 $$"
rst=$(ctr_or_fail Tcp rx_noconn)
out=$(kx timeout 5 nc -6 -v -z -w 3 "$LAB_U6" 1 2>&1)
check_grep "a closed IPv6 port is refused (not timed out)" 'refused' "$out"
check_ge "usock answered it with a reset" "$(ctr_or_fail Tcp rx_noconn)" $((rst + 1))
got=$(printf '%s\n' "$msg" | kx timeout 10 nc -4 -N "$LAB_UIP" 7)
check_eq "the same echo socket still serves IPv4 (dual stack)" "$got" "$msg"
check_eq "no IPv6 checksum errors" "$(ctr_or_fail Icmp6 rx_badsum)/$(ctr_or_fail Tcp rx_badsum)/$(ctr_or_fail Udp rx_badsum)" "0/0/0"
srv_stop

# --- duplicate address detection ------------------------------------------------
ip -n "$LAB_K" addr add "$LAB_U6/64" dev "$LAB_KIF" nodad || die "$LAB_U6 on $LAB_KIF too"
srv_start USOCK_IPV6="$LAB_U6/64"
for i in $(seq 100); do
  [ "$(ctr Nd6 dad_dup)" -ge 1 ] 2>/dev/null && break
  sleep 0.05
done
check_eq "DAD found $LAB_U6 in use by the kernel" "$(ctr_or_fail Nd6 dad_dup)" 1
check_grep "usock said so in one line naming the address and the setting" \
  "IPv6 address $LAB_U6 is already in use.*USOCK_IPV6" "$(cat "$SRV_ERR")"
check_eq "one line on stderr" "$(wc -l <"$SRV_ERR")" 1
# The address stays the kernel's; usock's link-local passed its own DAD and still answers.
check_eq "usock's link-local passed DAD" "$(ctr_or_fail Nd6 dad_ok)" 1
out=$(kx timeout 10 ping -6 -n -c 2 -i 0.2 -W 2 "$ULL%$LAB_KIF" 2>&1)
check_grep "ping -6 usock's link-local still answered" '^2 packets transmitted, 2 received' "$out"
kill -TERM "$SRV_PID"
bg_wait 10 "$SRV_PID" >/dev/null 2>&1
SRV_PID=
ip -n "$LAB_K" addr del "$LAB_U6/64" dev "$LAB_KIF"

# --- SLAAC from radvd --------------------------------------------------------------
kx sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.lo.disable_ipv6=0 ||
  die "IPv6 forwarding in $LAB_K (radvd wants it)"
ip -n "$LAB_K" addr add fd00:5::1/64 dev "$LAB_KIF" nodad || die "the router's fd00:5::1 on $LAB_KIF"
ip -n "$LAB_K" addr add fd00:6::1/128 dev lo || die "fd00:6::1 behind the router"
cat >"$LAB_TMP/radvd.conf" <<EOF
interface $LAB_KIF {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  AdvDefaultLifetime 600;
  prefix fd00:5::/64 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 3600; AdvPreferredLifetime 1800; };
};
EOF
bg ip netns exec "$LAB_K" radvd -n -C "$LAB_TMP/radvd.conf" -p "$LAB_TMP/radvd.pid" -m stderr \
  2>"$LAB_TMP/radvd.err"
sleep 0.5
kill -0 "$BG_PID" 2>/dev/null || die "radvd runs" "$(cat "$LAB_TMP/radvd.err")"
srv_start USOCK_IPV6=auto
for i in $(seq 200); do
  [ "$(ctr Nd6 slaac_addr)" -ge 1 ] 2>/dev/null && [ "$(ctr Nd6 dad_ok)" -ge 2 ] 2>/dev/null && break
  sleep 0.05
done
check_ge "usock solicited a router" "$(ctr_or_fail Nd6 tx_rs)" 1
check_ge "usock took radvd's advertisement" "$(ctr_or_fail Nd6 rx_ra)" 1
check_eq "one address from the advertised prefix" "$(ctr_or_fail Nd6 slaac_addr)" 1
check_eq "DAD passed for it and the link-local" "$(ctr_or_fail Nd6 dad_ok)" 2
SL=fd00:5::$(eui64 "$umac")
out=$(kx timeout 30 ping -6 -n -c 3 -i 0.2 -W 3 "$SL" 2>&1)
check_grep "ping -6 the SLAAC address $SL: 3 sent, 3 received" '^3 packets transmitted, 3 received' "$out"
got=$(printf '%s\n' "$msg" | kx timeout 10 nc -6 -N "$SL" 7)
check_eq "nc -6 echo at the SLAAC address" "$got" "$msg"
srv_stop
# Through the advertised default router to an address that is not on the link.
bg ip netns exec "$LAB_K" timeout 20 socat -u TCP6-LISTEN:7100,reuseaddr - >"$LAB_TMP/routed.out"
kpid=$BG_PID
wait_until 10 tcp_listening "$LAB_K" 7100 || die "socat listens on 7100"
printf 'via the router %s\n' "$$" >"$LAB_TMP/routed.in"
"${LAB_UENV[@]}" USOCK_IPV6=auto timeout 20 "$BUILD/apps/usock-cat" fd00:6::1 7100 <"$LAB_TMP/routed.in" >/dev/null 2>"$LAB_TMP/routed.err"
rc=$?
bg_wait 10 "$kpid"
check_eq "usock-cat (USOCK_IPV6=auto) to fd00:6::1 through the default router: exit 0" "$rc" 0
check_eq "its bytes arrived" "$(cat "$LAB_TMP/routed.out")" "via the router $$"
check_eq "usock-cat said nothing on stderr" "$(cat "$LAB_TMP/routed.err")" ""

lab_finish
