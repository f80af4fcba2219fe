#!/usr/bin/env bash
# test_capture_pcap: USOCK_PCAP writes every frame usock receives and sends
# to a pcap file that tcpdump reads without complaint: the gratuitous ARP
# at start, the kernel's ARP request and usock's reply, each ICMP echo
# request and reply (a fragmented one too), the UDP echo both ways; as many
# records as usock's Ethernet counters say it received and sent, with
# wall-clock timestamps in order and inside the test's run.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make
cap=$LAB_TMP/usock.pcap
t_start=$(date +%s)
srv_start USOCK_PCAP="$cap"
umac=$(mac_of "$LAB_U" "$LAB_UIF")
kmac=$(mac_of "$LAB_K" "$LAB_KIF")

ping_ok "ping with capture on" 3
ping_ok "3000-byte ping with capture on" 1 -s 3000
msg="captured $$"
out=$(printf '%s\n' "$msg" | kx timeout 10 nc -u -w1 "$LAB_UIP" 7)
check_eq "UDP echo with capture on" "$out" "$msg"
# Nothing else crosses the link now (IPv6 is off, ARP entries are fresh).
erx=$(ctr Ethernet rx) && etx=$(ctr Ethernet tx) || die "counters Ethernet rx, tx readable"
frames=$((erx + etx))
srv_stop
t_end=$(date +%s)

check "the capture file exists and is not empty" test -s "$cap"
tcpdump -r "$cap" -n -tt -e >"$LAB_TMP/dump" 2>"$LAB_TMP/dump.err"
check_eq "tcpdump -r reads the file (exit status)" "$?" 0
check_eq "tcpdump -r has nothing to say but the file's type" \
  "$(grep -v '^reading from file .*, link-type EN10MB (Ethernet), snapshot length 65535$' \
    "$LAB_TMP/dump.err")" ""
dump=$(cat "$LAB_TMP/dump")
echo "# $(wc -l <"$LAB_TMP/dump") frames in the capture"

check_eq "one record per frame received and sent (Ethernet rx + tx)" \
  "$(wc -l <"$LAB_TMP/dump")" "$frames"
check_grep "usock's gratuitous ARP" \
  "^[0-9.]+ $umac > ff:ff:ff:ff:ff:ff, ethertype ARP .*Request who-has $LAB_UIP tell $LAB_UIP," "$dump"
check_grep "the kernel's ARP request" \
  "^[0-9.]+ $kmac > ff:ff:ff:ff:ff:ff, ethertype ARP .*Request who-has $LAB_UIP tell $LAB_KIP," "$dump"
check_grep "usock's ARP reply" \
  "^[0-9.]+ $umac > $kmac, ethertype ARP .*Reply $LAB_UIP is-at $umac," "$dump"
check_eq "ICMP echo requests: one per ping" \
  "$(grep -Ec "^[0-9.]+ $kmac > $umac, .* $LAB_KIP > $LAB_UIP: ICMP echo request," <<<"$dump")" 4
check_eq "ICMP echo replies: one per ping" \
  "$(grep -Ec "^[0-9.]+ $umac > $kmac, .* $LAB_UIP > $LAB_KIP: ICMP echo reply," <<<"$dump")" 4
check_grep "the 3000-byte reply's first fragment" \
  "$LAB_UIP > $LAB_KIP: ICMP echo reply, id [0-9]+, seq 1, length 1480" "$dump"
check_grep "the UDP datagram to port 7" \
  "$LAB_KIP\.[0-9]+ > $LAB_UIP\.7: UDP, length $((${#msg} + 1))" "$dump"
check_grep "the UDP echo from port 7" \
  "$LAB_UIP\.7 > $LAB_KIP\.[0-9]+: UDP, length $((${#msg} + 1))" "$dump"

# Timestamps: wall clock, inside the run, never going back.
ts=$(awk '{ print $1 }' "$LAB_TMP/dump")
check "timestamps never go back" awk 'NR > 1 && $1 < prev { exit 1 } { prev = $1 }' <<<"$ts"
first=$(head -1 <<<"$ts")
last=$(tail -1 <<<"$ts")
check "timestamps fall inside the run ($first..$last in $t_start..$t_end)" \
  awk -v a="$first" -v b="$last" -v s="$t_start" -v e="$t_end" \
  'BEGIN { exit !(a >= s - 1 && b <= e + 1) }'

lab_finish
