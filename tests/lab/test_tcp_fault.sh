#!/usr/bin/env bash
# test_tcp_fault: the transfers of test_tcp_bulk (kernel <-> usock-cat, each
# way, both roles; tcp_xfer in lib.sh) through usock's fault wrapper with
# USOCK_FAULT="loss=2,dup=1,reorder=5,rx=1": 2% loss, 1% duplication and
# 5% reordering of the frames usock sends and of those it receives.  Each
# transfer must arrive whole (SHA-256 equal, both ends exit 0), and the
# counters must show what happened:
#  - the wrapper lost, duplicated and reordered frames (Driver fault_*);
#  - usock sending: usock retransmitted (Tcp tx_rexmt > 0) and recovered
#    without waiting for a timeout at least once (fast_rexmt or
#    sack_rexmt > 0);
#  - usock receiving: the kernel retransmitted (TcpRetransSegs in the
#    kernel's namespace rose) and usock queued segments out of order and
#    saw duplicates (Tcp rx_ooo, rx_dupdata > 0).
# LAB_TCP_FAULT_BYTES sets the size (default 32 MiB), LAB_FAULT_SEED the
# seed (default 7; transfer N uses seed+N).  Times are printed, never
# asserted.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
[ -x "$BUILD/apps/usock-cat" ] || die "$BUILD/apps/usock-cat is built"
bytes=${LAB_TCP_FAULT_BYTES:-33554432}
seed=${LAB_FAULT_SEED:-7}
[[ "$bytes" =~ ^[0-9]+$ ]] && [ "$bytes" -gt 0 ] ||
  die "LAB_TCP_FAULT_BYTES=$bytes is a byte count"
# Bound per transfer: 30 s plus 1 s per MiB (a floor of 1 MiB/s).
limit=$((30 + bytes / 1048576))
lab_make
tcp_data "$bytes"
echo "# $bytes bytes, sha256 $TCP_SHA, at most $limit s per transfer"

c() { ctr_in "$XFER_STAT" "$1" "$2" || echo NA; }
kretrans() { kstat TcpRetransSegs || echo NA; }

port=5101
for kind in k2us us2k uc2k k2uc; do
  k0=$(kretrans)
  tcp_xfer "$kind" "$port" "$limit" \
    USOCK_FAULT="loss=2,dup=1,reorder=5,rx=1,seed=$((seed + port - 5100))"
  k1=$(kretrans)
  echo "# usock: fault_lost $(c Driver fault_lost) fault_dup $(c Driver fault_dup)" \
    "fault_reord $(c Driver fault_reord); tx_rexmt $(c Tcp tx_rexmt)" \
    "rexmt_timeout $(c Tcp rexmt_timeout) fast_rexmt $(c Tcp fast_rexmt)" \
    "sack_rexmt $(c Tcp sack_rexmt) rexmt_lost $(c Tcp rexmt_lost) rx_ooo $(c Tcp rx_ooo) rx_dupdata $(c Tcp rx_dupdata);" \
    "kernel TcpRetransSegs +$((k1 - k0))"
  check_ge "$XFER_WHAT: the wrapper lost frames" "$(c Driver fault_lost)" 1
  check_ge "$XFER_WHAT: the wrapper duplicated frames" "$(c Driver fault_dup)" 1
  check_ge "$XFER_WHAT: the wrapper reordered frames" "$(c Driver fault_reord)" 1
  case $kind in
  us2k | uc2k)
    check_ge "$XFER_WHAT: usock retransmitted (Tcp tx_rexmt)" "$(c Tcp tx_rexmt)" 1
    fs=NA
    [[ "$(c Tcp fast_rexmt)$(c Tcp sack_rexmt)" =~ ^[0-9]+$ ]] &&
      fs=$(($(c Tcp fast_rexmt) + $(c Tcp sack_rexmt)))
    check_ge "$XFER_WHAT: usock recovered without a timeout (fast_rexmt + sack_rexmt)" \
      "$fs" 1
    ;;
  k2us | k2uc)
    check_ge "$XFER_WHAT: the kernel retransmitted (TcpRetransSegs)" $((k1 - k0)) 1
    check_ge "$XFER_WHAT: usock queued segments out of order (Tcp rx_ooo)" \
      "$(c Tcp rx_ooo)" 1
    check_ge "$XFER_WHAT: usock dropped duplicate data (Tcp rx_dupdata)" \
      "$(c Tcp rx_dupdata)" 1
    ;;
  esac
  port=$((port + 1))
done

lab_finish
