#!/usr/bin/env bash
# test_zerocopy: copies per delivered byte on afpacket, kernel -> usock, as
# the counters count them.  The same data twice into `usock-cat -l`:
# receiving with usock_recv, then with -z (usock_recv_borrow/usock_release,
# stdout written straight from the frames).  Each must arrive whole
# (SHA-256), and the receiving socket's counters (their last copy, at most
# 50 ms before usock-cat ended: see stat_follow) must show the bytes
# delivered so far copied once by recv and never by borrow (Sockets
# bytes_copied / bytes_delivered).  The driver's own copies (frames moved
# out of the ring because the stack still held them when the ring came
# round, Driver rx_copied) are printed beside them.  LAB_ZC_BYTES sets the
# size (default 64 MiB).
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
[ -x "$BUILD/apps/usock-cat" ] || die "$BUILD/apps/usock-cat is built"
bytes=${LAB_ZC_BYTES:-67108864}
[[ "$bytes" =~ ^[0-9]+$ ]] && [ "$bytes" -gt 0 ] || die "LAB_ZC_BYTES=$bytes is a byte count"
limit=$((20 + bytes / 10485760))
lab_make
tcp_data "$bytes"
echo "# $bytes bytes, sha256 $TCP_SHA"

c() { ctr_in "$XFER_STAT" "$1" "$2" || echo NA; }

port=5301
for mode in recv borrow; do
  XFER_UCAT_ARGS=
  [ "$mode" = borrow ] && XFER_UCAT_ARGS=-z
  tcp_xfer k2us "$port" "$limit" USOCK_DRIVER=afpacket
  del=$(c Sockets bytes_delivered)
  cop=$(c Sockets bytes_copied)
  rxp=$(c Driver rx_pkts)
  rxc=$(c Driver rx_copied)
  echo "# $mode: Sockets bytes_delivered $del bytes_copied $cop; Driver rx_pkts $rxp rx_copied $rxc"
  if [[ "$del$cop$rxp$rxc" =~ ^[0-9]+$ ]] && [ "$del" -gt 0 ] && [ "$rxp" -gt 0 ]; then
    echo "# $mode: $(awk -v c="$cop" -v d="$del" 'BEGIN { printf "%.3f", c / d }') copies per" \
      "delivered byte into the application; the driver moved" \
      "$(awk -v c="$rxc" -v p="$rxp" 'BEGIN { printf "%.2f", 100 * c / p }')% of the frames out of its ring"
  fi
  check_ge "$mode: the counters saw most of the transfer (Sockets bytes_delivered)" "$del" \
    $((bytes / 2))
  if [ "$mode" = recv ]; then
    check_eq "recv: each delivered byte copied once (Sockets bytes_copied)" "$cop" "$del"
  else
    check_eq "borrow: no byte copied (Sockets bytes_copied)" "$cop" 0
  fi
  port=$((port + 1))
done
XFER_UCAT_ARGS=

lab_finish
