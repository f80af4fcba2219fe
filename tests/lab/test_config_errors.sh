#!/usr/bin/env bash
# test_config_errors: each bad or missing setting stops usock-testsrv at
# start with a non-zero exit and exactly one line on stderr, "usock: ...",
# that names the setting (and, where there is one, the fix); it never
# serves and leaves no counters file behind.  The same command with good
# settings serves, so the failures are the settings' doing.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make

# bad_setting WHAT ERE SETTINGS...: testsrv started with the lab's good
# USOCK_IFACE/USOCK_IPV4 overridden by SETTINGS (VAR=value, or -VAR to
# leave VAR unset) must fail as described, its one stderr line matching ERE.
n=0
bad_setting() {
  local what=$1 ere=$2 pid rc i lines line a k
  local -A val=([USOCK_IFACE]="$LAB_UIF" [USOCK_IPV4]="$LAB_UIP/$LAB_PLEN")
  local -a envs=()
  shift 2
  for a in "$@"; do
    case $a in
    -*) unset "val[${a#-}]" ;;
    *) val[${a%%=*}]=${a#*=} ;;
    esac
  done
  for k in "${!val[@]}"; do envs+=("$k=${val[$k]}"); done
  n=$((n + 1))
  ip netns exec "$LAB_U" env "${envs[@]}" \
    "$TESTSRV" >"$LAB_TMP/bad$n.out" 2>"$LAB_TMP/bad$n.err" &
  pid=$!
  for i in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    fail "$what: usock-testsrv stops" "still running after 10 s: $(cat "$LAB_TMP/bad$n.out")"
    return
  fi
  wait "$pid"
  rc=$?
  lines=$(wc -l <"$LAB_TMP/bad$n.err")
  line=$(head -1 "$LAB_TMP/bad$n.err")
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; then
    pass "$what: exits $rc"
  else
    fail "$what: exits non-zero (not by a signal)" "exit status $rc"
  fi
  check_eq "$what: exactly one line on stderr" "$lines" 1 ||
    sed 's/^/#   stderr: /' "$LAB_TMP/bad$n.err"
  check_grep "$what: the line is usock's and says /$ere/" "^usock: .*$ere" "$line"
  check_nogrep "$what: never served" 'serving' "$(cat "$LAB_TMP/bad$n.out")"
  check "$what: no counters file left behind" test ! -e "/dev/shm/usock.$pid"
}

# The good settings first: whatever fails below, fails for its setting.
srv_start
srv_stop

bad_setting "USOCK_IPV4 without a prefix" \
  "USOCK_IPV4=\"$LAB_UIP\" has no prefix length; use $LAB_UIP/24" USOCK_IPV4="$LAB_UIP"
bad_setting "USOCK_IPV4 with prefix /33" 'USOCK_IPV4="198\.18\.0\.2/33" .*prefix' \
  USOCK_IPV4="$LAB_UIP/33"
bad_setting "USOCK_IPV4 not an address" 'USOCK_IPV4="198\.18\.0\.300/24"' \
  USOCK_IPV4=198.18.0.300/24
bad_setting "USOCK_IPV4 missing" 'USOCK_IPV4 is not set' -USOCK_IPV4
bad_setting "USOCK_IFACE missing" 'USOCK_IFACE is not set' -USOCK_IFACE
bad_setting "USOCK_MAC too short" 'USOCK_MAC="02:00:00:00:00"' USOCK_MAC=02:00:00:00:00
bad_setting "USOCK_MAC not hex" 'USOCK_MAC="02:00:00:00:00:zz"' USOCK_MAC=02:00:00:00:00:zz
bad_setting "USOCK_MAC multicast" 'USOCK_MAC="01:00:5e:00:00:01" is not a unicast MAC' \
  USOCK_MAC=01:00:5e:00:00:01
bad_setting "USOCK_FAULT unknown key" 'USOCK_FAULT="bogus=1" .*unknown key' USOCK_FAULT=bogus=1
bad_setting "USOCK_FAULT percent above 100" 'USOCK_FAULT="loss=200" .*percentage' \
  USOCK_FAULT=loss=200
bad_setting "USOCK_FAULT bad duration" 'USOCK_FAULT="delay=soon" .*duration' \
  USOCK_FAULT=delay=soon
bad_setting "USOCK_GATEWAY off the subnet" 'USOCK_GATEWAY="198\.19\.0\.1" is not on the' \
  USOCK_GATEWAY=198.19.0.1
bad_setting "USOCK_IPV6 without a prefix" 'USOCK_IPV6="fd00::2" has no prefix length; use fd00::2/64' \
  USOCK_IPV6=fd00::2
bad_setting "USOCK_IPV6 with prefix /129" 'USOCK_IPV6="fd00::2/129" .*1 to 128' \
  USOCK_IPV6=fd00::2/129
bad_setting "USOCK_IPV6 multicast" 'USOCK_IPV6="ff02::1/64" is not a unicast address' \
  USOCK_IPV6=ff02::1/64
bad_setting "USOCK_GATEWAY6 without USOCK_IPV6" 'USOCK_GATEWAY6="fe80::1" needs IPv6 on' \
  USOCK_GATEWAY6=fe80::1
bad_setting "USOCK_POOL not a number" 'USOCK_POOL="lots" is not a number' USOCK_POOL=lots
bad_setting "USOCK_TCP_CC unknown" 'USOCK_TCP_CC="vegas"' USOCK_TCP_CC=vegas
bad_setting "USOCK_DRIVER unknown" 'USOCK_DRIVER=carrier-pigeon.*unknown driver' \
  USOCK_DRIVER=carrier-pigeon
bad_setting "USOCK_IFACE names no interface" \
  'USOCK_IFACE=nosuch0: no interface "nosuch0"' USOCK_IFACE=nosuch0

# The DPDK driver (in a build with it: the lab runs the full build).
bad_setting "USOCK_DRIVER=dpdk without USOCK_DPDK_ARGS" \
  'USOCK_DRIVER=dpdk: USOCK_DPDK_ARGS is not set; give DPDK.s EAL arguments' \
  USOCK_DRIVER=dpdk -USOCK_IFACE
bad_setting "USOCK_DPDK_ARGS with an unknown option" \
  "EAL did not start \\(Invalid argument: .*unrecognized option '--bogus'\\); check USOCK_DPDK_ARGS" \
  USOCK_DRIVER=dpdk "USOCK_DPDK_ARGS=--no-huge --bogus"
bad_setting "USOCK_DPDK_ARGS whose device does not probe" \
  'DPDK found no port \(.*No such device\); a port comes from' \
  USOCK_DRIVER=dpdk "USOCK_DPDK_ARGS=--no-huge -m 128 --no-pci --vdev=net_af_packet0,iface=nosuch0"
bad_setting "USOCK_DPDK_PORT beyond the ports" 'USOCK_DPDK_PORT=3: DPDK has 1 port \(0 to 0\)' \
  USOCK_DRIVER=dpdk USOCK_DPDK_PORT=3 \
  "USOCK_DPDK_ARGS=--no-huge -m 128 --no-pci --vdev=net_af_packet0,iface=$LAB_UIF"
bad_setting "USOCK_DPDK_MBUFS too few" 'USOCK_DPDK_MBUFS="10" is not a number from 1024' \
  USOCK_DRIVER=dpdk USOCK_DPDK_MBUFS=10 "USOCK_DPDK_ARGS=--no-huge"

lab_finish
