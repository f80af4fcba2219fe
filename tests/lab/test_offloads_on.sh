#!/usr/bin/env bash
# test_offloads_on: usock beside a kernel that uses its offloads, as on a
# real board.  With transmit checksum offload on, the kernel's frames reach
# the AF_PACKET ring with the checksum still to be filled in
# (TP_STATUS_CSUMNOTREADY): usock must accept them, not drop them as bad.
# With TSO/GSO on as well, the kernel passes 64 KiB super-frames over the
# veth: usock must count and drop them (rx_toobig), never parse them as a
# frame, and keep serving.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make
kx ethtool -K "$LAB_KIF" tx on >/dev/null || die "checksum offload on $LAB_KIF"
srv_start

# UDP and TCP from the kernel with partial checksums.
dd if=/dev/urandom of="$LAB_TMP/udp.bin" bs=1000 count=1 status=none
kx timeout 5 socat -t1 - UDP:"$LAB_UIP":7 <"$LAB_TMP/udp.bin" >"$LAB_TMP/udp.out"
check "UDP echo with kernel checksum offload" cmp -s "$LAB_TMP/udp.bin" "$LAB_TMP/udp.out"
dd if=/dev/urandom of="$LAB_TMP/tcp.bin" bs=1M count=4 status=none
kx timeout 20 socat -t5 - TCP:"$LAB_UIP":7 <"$LAB_TMP/tcp.bin" >"$LAB_TMP/tcp.out"
check_eq "TCP echo of 4 MiB with kernel checksum offload (SHA-256)" \
  "$(sha_of "$LAB_TMP/tcp.out")" "$(sha_of "$LAB_TMP/tcp.bin")"
check_ge "Driver rx_csum_partial: frames arrived with checksums to fill" \
  "$(ctr_or_fail Driver rx_csum_partial)" 100
check_eq "Udp rx_badsum" "$(ctr_or_fail Udp rx_badsum)" 0
check_eq "Tcp rx_badsum" "$(ctr_or_fail Tcp rx_badsum)" 0

# Segmentation offload too: super-frames are counted and dropped.
kx ethtool -K "$LAB_KIF" tso on gso on sg on >/dev/null || die "TSO on $LAB_KIF"
head -c 4000000 /dev/zero | kx timeout 5 socat -u - TCP:"$LAB_UIP":9 2>/dev/null || true
check_ge "Driver rx_toobig: super-frames counted" "$(ctr_or_fail Driver rx_toobig)" 1
kx ethtool -K "$LAB_KIF" tso off gso off >/dev/null || die "TSO off again"
ping_ok "usock still answers after the super-frames" 3
kx timeout 10 socat -t2 - TCP:"$LAB_UIP":7 <"$LAB_TMP/udp.bin" >"$LAB_TMP/after.out"
check "TCP echo works again with TSO off" cmp -s "$LAB_TMP/udp.bin" "$LAB_TMP/after.out"

srv_stop
lab_finish
