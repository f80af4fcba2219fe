#!/usr/bin/env bash
# test_dpdk_memif: two usock processes joined by a DPDK virtual link
# (net_memif: shared memory between the processes, no kernel interface and
# no kernel on the path), with hugepages (the other DPDK tests run without):
#  - TCP both ways between two usock-cat (LAB_MEMIF_BYTES, default 64 MiB),
#    SHA-256 compared, both exit 0;
#  - UDP: lab-udp-client against usock-testsrv's echo, datagrams of 1000,
#    8000 (fragmented both ways) and 65507 bytes all come back intact;
#  - usock-testsrv exits 0 with nothing unexpected on stderr.
# The memif PMD's own messages are kept out of stderr with
# --log-level=pmd.net.memif:critical: under --in-memory it reports that it
# has no multi-process channel, and a server reports its peer's going.
# One EAL line is allowed too: DPDK 22.11's memif, stopped after its peer
# has gone, frees its regions a second time ("EAL: Error: Invalid memory").
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
CAT=$BUILD/apps/usock-cat
CLIENT=$BUILD/tests/lab/lab-udp-client
[ -x "$CAT" ] || die "$CAT is built"
[ -x "$CLIENT" ] || die "$CLIENT is built"
bytes=${LAB_MEMIF_BYTES:-67108864}
[[ "$bytes" =~ ^[0-9]+$ ]] && [ "$bytes" -gt 0 ] || die "LAB_MEMIF_BYTES=$bytes is a byte count"
limit=$((20 + bytes / 10485760))
lab_make

# Hugepages for two processes of 256 MB each, given back at the end.
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ -w "$hp" ] || die "2 MB hugepages can be reserved ($hp)"
hp0=$(cat "$hp")
LAB_AT_EXIT+=("echo $hp0 >$hp")
echo $((hp0 + 300)) >"$hp" 2>/dev/null
[ "$(cat "$hp")" -ge $((hp0 + 256)) ] || die "reserve 256 hugepages of 2 MB" "got $(cat "$hp")"

sock=$LAB_TMP/memif.sock
SIP=198.18.4.1
CIP=198.18.4.2
side() { # side server|client IP: the settings of one end
  echo "USOCK_DRIVER=dpdk"
  echo "USOCK_IPV4=$2/24"
  echo "USOCK_DPDK_ARGS=-m 256 --no-pci --log-level=pmd.net.memif:critical --vdev=net_memif0,role=$1,socket=$sock"
}
mapfile -t SRV < <(side server "$SIP")
mapfile -t CLI < <(side client "$CIP")
U=(ip netns exec "$LAB_U" env)
# Lines a usock-cat may write on stderr: its "listening" line, and that the
# memif server's link is down until its client comes.
noise='^(usock-cat: listening on port|usock: dpdk port 0 \(net_memif\): link down|EAL: Error: Invalid memory$)'

tcp_data "$bytes"
echo "# $bytes bytes, sha256 $TCP_SHA"
n=0
for dir in client-to-server server-to-client; do
  n=$((n + 1))
  port=$((5500 + n))
  out=$LAB_TMP/memif$n.out
  if [ "$dir" = client-to-server ]; then
    bg "${U[@]}" "${SRV[@]}" "$CAT" -l "$port" >"$out" 2>"$LAB_TMP/s$n.err"
    spid=$BG_PID
    wait_until 15 grep -q "listening on port $port" "$LAB_TMP/s$n.err" ||
      die "$dir: usock-cat -l listens" "$(cat "$LAB_TMP/s$n.err")"
    t0=$(now_ms)
    bg_in "$TCP_DATA" "${U[@]}" "${CLI[@]}" "$CAT" "$SIP" "$port" >/dev/null 2>"$LAB_TMP/c$n.err"
    cpid=$BG_PID
  else
    bg_in "$TCP_DATA" "${U[@]}" "${SRV[@]}" "$CAT" -l "$port" >/dev/null 2>"$LAB_TMP/s$n.err"
    spid=$BG_PID
    wait_until 15 grep -q "listening on port $port" "$LAB_TMP/s$n.err" ||
      die "$dir: usock-cat -l listens" "$(cat "$LAB_TMP/s$n.err")"
    t0=$(now_ms)
    bg "${U[@]}" "${CLI[@]}" "$CAT" "$SIP" "$port" >"$out" 2>"$LAB_TMP/c$n.err"
    cpid=$BG_PID
  fi
  bg_wait "$limit" "$cpid"
  crc=$?
  bg_wait "$limit" "$spid"
  src=$?
  ms=$(($(now_ms) - t0))
  echo "# $dir: $bytes bytes in $ms ms, $((bytes * 8 / (ms > 0 ? ms : 1) / 1000)) Mbit/s"
  check_eq "$dir: the client exited 0" "$crc" 0
  check_eq "$dir: the server exited 0" "$src" 0
  check_eq "$dir: SHA-256 equal" "$(sha_of "$out")" "$TCP_SHA"
  check_eq "$dir: nothing else on the server's stderr" "$(grep -Ev "$noise" "$LAB_TMP/s$n.err")" ""
  check_eq "$dir: nothing on the client's stderr" "$(grep -Ev "$noise" "$LAB_TMP/c$n.err")" ""
  rm -f "$out"
done

# --- UDP, with fragments, usock to usock ------------------------------------------
SRV_N=$((SRV_N + 1))
SRV_OUT=$LAB_TMP/srv$SRV_N.out
SRV_ERR=$LAB_TMP/srv$SRV_N.err
"${U[@]}" "${SRV[@]}" "$TESTSRV" >"$SRV_OUT" 2>"$SRV_ERR" &
SRV_PID=$!
wait_until 15 srv_ready || die "usock-testsrv serves on memif" "$(cat "$SRV_ERR")"
for size in 1000 8000 65507; do
  out=$("${U[@]}" "${CLI[@]}" timeout 30 "$CLIENT" "$SIP" 7 20 "$size" 5 2>&1)
  check_grep "UDP: 20 datagrams of $size bytes echoed intact" '20/20 datagrams' "$out"
done
echo "# memif port: rx_interrupts $(ctr Driver rx_interrupts) tx_zero_copy $(ctr Driver tx_zero_copy)" \
  "tx_copied $(ctr Driver tx_copied) (IOVA as physical addresses: sent frames are copied)"
check_eq "Ip rx_reassembled: the fragmented datagrams" "$(ctr_or_fail Ip rx_reassembled)" 40
kill -TERM "$SRV_PID"
wait "$SRV_PID"
check_eq "usock-testsrv exits 0" "$?" 0
SRV_PID=
check_eq "usock-testsrv wrote nothing else on stderr" "$(grep -Ev "$noise" "$SRV_ERR")" ""

lab_finish
