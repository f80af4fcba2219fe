#!/usr/bin/env bash
# test_tcp_bulk: bulk TCP between the Linux kernel and usock, each way and in
# both roles, every transfer SHA-256-compared with the data sent (tcp_xfer
# in lib.sh):
#  - kernel client -> usock server: kernel `socat -u FILE TCP:...` into
#    `usock-cat -l PORT > file`;
#  - usock server -> kernel client: `usock-cat -l PORT < file` into kernel
#    `socat -u TCP:... -`;
#  - usock client -> kernel server: `usock-cat 198.18.0.1 PORT < file` into
#    kernel `socat -u TCP-LISTEN:PORT -`;
#  - kernel server -> usock client: kernel `socat -u FILE TCP-LISTEN:PORT`
#    into `usock-cat 198.18.0.1 PORT > file`;
#  - the first of them again with USOCK_DRIVER=afpacket-v3.
# Both ends exit 0, usock-cat prints nothing on stderr but its "listening"
# line, and its counters show no segment with a bad checksum and no reset.  LAB_TCP_BYTES sets the size (default 256 MiB;
# 1073741824 for the 1 GiB of the issue); the time each transfer took is
# printed, never asserted.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
[ -x "$BUILD/apps/usock-cat" ] || die "$BUILD/apps/usock-cat is built"
bytes=${LAB_TCP_BYTES:-268435456}
[[ "$bytes" =~ ^[0-9]+$ ]] && [ "$bytes" -gt 0 ] || die "LAB_TCP_BYTES=$bytes is a byte count"
# Bound per transfer: 20 s plus 1 s per 10 MiB (a floor of 10 MiB/s).
limit=$((20 + bytes / 10485760))
lab_make
tcp_data "$bytes"
echo "# $bytes bytes, sha256 $TCP_SHA, at most $limit s per transfer"

# clean: what usock-cat's last counters must show on a clean veth with
# offloads off (no segment with a bad checksum, no reset); the recovery
# counters are only noted (a lost tail may take a timeout: no fault).
c() { ctr_in "$XFER_STAT" "$1" "$2" || echo NA; }
clean() {
  check_eq "$XFER_WHAT: no TCP segment with a bad checksum" "$(c Tcp rx_badsum)" 0
  check_eq "$XFER_WHAT: no connection reset" "$(c Tcp conn_reset)" 0
  echo "# usock: tx_rexmt $(c Tcp tx_rexmt) rexmt_timeout $(c Tcp rexmt_timeout)" \
    "fast_rexmt $(c Tcp fast_rexmt) rx_ooo $(c Tcp rx_ooo)" \
    "rx_kernel_drops $(c Driver rx_kernel_drops) rx_copied $(c Driver rx_copied)" \
    "Pool alloc_failed $(c Pool alloc_failed)"
}

port=5001
for kind in k2us us2k uc2k k2uc; do
  tcp_xfer "$kind" "$port" "$limit"
  clean
  port=$((port + 1))
done
tcp_xfer k2us "$port" "$limit" USOCK_DRIVER=afpacket-v3
clean
check_grep "the afpacket-v3 run used afpacket-v3" '^usock pid [0-9]+ on vb \(afpacket-v3\)' \
  "$(cat "$XFER_STAT")"

lab_finish
