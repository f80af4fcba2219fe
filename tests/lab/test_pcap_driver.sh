#!/usr/bin/env bash
# test_pcap_driver: USOCK_DRIVER=pcap (libpcap live capture and inject).
# In a build with the pcap driver, usock on it answers pings (fragmented
# ones too) and echoes UDP, and usock-stat names the driver.  In a build
# without it, asking for it stops testsrv with the one line that says so.
# The driver opens libpcap when asked for (libusock does not link it): with
# the library hidden (a private mount namespace binds /dev/null over it),
# usock-testsrv on the pcap driver stops with one line that names the
# setting and the fix, and on afpacket it still serves.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make
conf=$BUILD/usock_build_config.h
[ -r "$conf" ] || die "$conf exists"

# refused WHAT SAYS PATTERN RUNNER...: usock-testsrv started through RUNNER
# (a command line that ends with the environment) stops by itself, non-zero,
# with one line on stderr that matches PATTERN.
refused() {
  local what=$1 says=$2 pattern=$3 rc
  shift 3
  "$@" timeout 10 "$TESTSRV" >"$LAB_TMP/out" 2>"$LAB_TMP/err"
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ]; then
    pass "$what: testsrv exits $rc"
  else
    fail "$what: testsrv exits non-zero by itself" "exit status $rc"
  fi
  check_eq "$what: one line on stderr" "$(wc -l <"$LAB_TMP/err")" 1
  check_grep "$what: the line $says" "$pattern" "$(cat "$LAB_TMP/err")"
}

if grep -Eq '^#define US_HAVE_PCAP 1$' "$conf"; then
  echo "# this build has the pcap driver"
  srv_start USOCK_DRIVER=pcap
  check_grep "usock-stat names the pcap driver" "^usock pid $SRV_PID on $LAB_UIF \(pcap\)" \
    "$("$STAT" -p "$SRV_PID")"
  ping_ok "ping over pcap" 3
  ping_ok "8000-byte ping over pcap (fragmented both ways)" 2 -s 8000
  ping_ok "65507-byte ping over pcap" 1 -s 65507
  msg="over libpcap, run $$"
  out=$(printf '%s\n' "$msg" | kx timeout 10 nc -u -w1 "$LAB_UIP" 7)
  check_eq "nc -u: UDP echo over pcap" "$out" "$msg"
  head -c 8000 /dev/urandom >"$LAB_TMP/big.in"
  kx timeout 10 socat -t1 -b 65536 - "UDP:$LAB_UIP:7" <"$LAB_TMP/big.in" >"$LAB_TMP/big.out"
  check "socat: an 8000-byte datagram echoes byte for byte over pcap" \
    cmp "$LAB_TMP/big.in" "$LAB_TMP/big.out"
  check_eq "Icmp tx_echoreply" "$(ctr_or_fail Icmp tx_echoreply)" 6
  check_eq "Udp tx" "$(ctr_or_fail Udp tx)" 2
  check_eq "Driver tx_err" "$(ctr_or_fail Driver tx_err)" 0
  check_eq "Driver rx_nobuf" "$(ctr_or_fail Driver rx_nobuf)" 0
  srv_stop

  check "libusock does not link libpcap (the driver opens it)" \
    bash -c "! readelf -d '$BUILD/lib/libusock.so' | grep -q 'NEEDED.*libpcap'"
  # hidden CMD...: CMD in usock's namespace with every libpcap file hidden.
  hidden() {
    ip netns exec "$LAB_U" unshare -m bash -c '
      for f in /lib/*/libpcap.so* /usr/lib/*/libpcap.so* /usr/lib/libpcap.so* /usr/local/lib/libpcap.so*; do
        [ -e "$f" ] && mount --bind /dev/null "$f"
      done
      exec "$@"' hidden "$@"
  }
  refused "libpcap hidden, USOCK_DRIVER=pcap" "names the setting and the fix" \
    '^usock: USOCK_DRIVER=pcap .*libpcap is not installed.*USOCK_DRIVER=afpacket' \
    hidden env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" USOCK_DRIVER=pcap
  hidden env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" USOCK_DRIVER=afpacket \
    timeout 10 "$TESTSRV" >"$LAB_TMP/out2" 2>"$LAB_TMP/err2" &
  hpid=$!
  out=
  for ((i = 0; i < 25; i++)); do
    out=$(echo hidden | kx timeout 2 nc -N "$LAB_UIP" 7 2>/dev/null) && [ -n "$out" ] && break
    sleep 0.2
  done
  kill -INT "$hpid" 2>/dev/null
  wait "$hpid"
  check_eq "libpcap hidden: usock-testsrv on afpacket echoes" "$out" hidden
  check_eq "libpcap hidden: nothing on its stderr" "$(cat "$LAB_TMP/err2")" ""
elif grep -Eq '^#define US_HAVE_PCAP 0$' "$conf"; then
  echo "# this build has no pcap driver"
  refused "USOCK_DRIVER=pcap" "says this build has no pcap driver" \
    '^usock: USOCK_DRIVER=pcap .*this build has no pcap driver' \
    ip netns exec "$LAB_U" env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" USOCK_DRIVER=pcap
else
  die "$conf says whether the build has pcap (US_HAVE_PCAP)"
fi

lab_finish
