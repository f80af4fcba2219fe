#!/usr/bin/env bash
# test_tcp_services: the kernel's TCP clients (nc, socat, curl) against
# usock-testsrv's TCP services:
#  - echo (7): a random 1 MiB payload comes back with the same SHA-256
#    through nc -N and socat; through curl's telnet:// a 1 MiB base64 text
#    payload (telnet gives 0xFF and CR NUL a meaning, so curl is not
#    8-bit clean) comes back whole (curl never half-closes: it is stopped
#    once the echo is in);
#  - discard (9): 10 MiB from nc -N and socat, 1 MiB of text from curl,
#    and Tcp rx_data_bytes rises by exactly that each time;
#  - generator (19): nc -d and socat get exactly the 100000 bytes of the
#    xorshift32 stream (computed here in python3), then usock's FIN; curl
#    ends at that FIN too;
#  - closed port 1: every client is refused, and each attempt adds exactly
#    one to Tcp rx_noconn and tx_rst;
#  - 200 sequential and 50 parallel short echo connections (nc -N), each
#    answered with its own bytes;
# and then no connection is left in the server: Sockets opened - closed is
# exactly the 4 listeners (UDP 7, TCP 7, 9, 19), every passive open became
# established, every connection closed except the generator ones, which
# wait in TIME_WAIT on usock's side (usock sent the first FIN), no
# connection was reset and the packet pool is full again.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
command -v curl >/dev/null || die "curl is installed" "apt-get install curl"
lab_make
srv_start

# size_ge FILE N: FILE has N bytes or more.
size_ge() { [ "$(stat -c %s "$1")" -ge "$2" ]; }

nconn=0         # connections made to the server
ngen=0          # of them, to the generator (usock closes first: TIME_WAIT)

# --- echo ------------------------------------------------------------------------
head -c 1048576 /dev/urandom >"$LAB_TMP/echo.in"
want=$(sha_of "$LAB_TMP/echo.in")

kx timeout 30 nc -N "$LAB_UIP" 7 <"$LAB_TMP/echo.in" >"$LAB_TMP/echo.nc"
check_eq "nc -N: echo of 1 MiB exits 0" "$?" 0
check_eq "nc -N: echo of 1 MiB has the same SHA-256" "$(sha_of "$LAB_TMP/echo.nc")" "$want"
nconn=$((nconn + 1))

# -t 10: wait up to 10 s for the echo's end once stdin is done (socat
# stops as soon as the server's FIN arrives).
kx timeout 30 socat -t 10 - "TCP:$LAB_UIP:7" <"$LAB_TMP/echo.in" >"$LAB_TMP/echo.socat"
check_eq "socat: echo of 1 MiB exits 0" "$?" 0
check_eq "socat: echo of 1 MiB has the same SHA-256" "$(sha_of "$LAB_TMP/echo.socat")" "$want"
nconn=$((nconn + 1))

# curl's telnet:// client sends stdin and prints what comes back, and
# only stops when the server closes; the echo server closes when the
# client does.  So: wait until the whole echo is in, then stop curl.
base64 -w 76 "$LAB_TMP/echo.in" | head -c 1048576 >"$LAB_TMP/echo.txt"
bg_in "$LAB_TMP/echo.txt" ip netns exec "$LAB_K" curl -s -N --max-time 30 \
  "telnet://$LAB_UIP:7" >"$LAB_TMP/echo.curl"
cpid=$BG_PID
check "curl telnet://: the 1 MiB text echo is all back within 20 s" \
  wait_until 20 size_ge "$LAB_TMP/echo.curl" 1048576
check "curl telnet://: still connected until stopped (no early error)" kill -0 "$cpid"
bg_stop "$cpid"
check "curl telnet://: echo of 1 MiB of text is byte for byte" \
  cmp "$LAB_TMP/echo.txt" "$LAB_TMP/echo.curl"
nconn=$((nconn + 1))
rm -f "$LAB_TMP"/echo.*

# --- discard -----------------------------------------------------------------------
dbytes=$((10 * 1024 * 1024))
head -c "$dbytes" /dev/urandom >"$LAB_TMP/discard.in"
rx_data() { ctr Tcp rx_data_bytes; }
rx_data_ge() { [ "$(rx_data)" -ge "$1" ]; }

b0=$(rx_data) || die "counter Tcp rx_data_bytes readable"
kx timeout 30 nc -N "$LAB_UIP" 9 <"$LAB_TMP/discard.in" >"$LAB_TMP/discard.out"
check_eq "nc -N: 10 MiB to discard exits 0" "$?" 0
check_eq "nc -N: discard sends nothing back" "$(stat -c %s "$LAB_TMP/discard.out")" 0
check_eq "nc -N: Tcp rx_data_bytes rose by exactly 10 MiB" $(($(rx_data) - b0)) "$dbytes"
nconn=$((nconn + 1))

b0=$(rx_data)
kx timeout 30 socat -u "OPEN:$LAB_TMP/discard.in,rdonly" "TCP:$LAB_UIP:9"
check_eq "socat -u: 10 MiB to discard exits 0" "$?" 0
# socat -u does not wait for the server's side: count until all is in.
wait_until 10 rx_data_ge $((b0 + dbytes))
check_eq "socat -u: Tcp rx_data_bytes rose by exactly 10 MiB" $(($(rx_data) - b0)) "$dbytes"
nconn=$((nconn + 1))

# curl (telnet) doubles every 0xFF it sends: give it text; and only
# 1 MiB, as its telnet client sends at about 1 MB/s.
cbytes=1048576
base64 -w 76 "$LAB_TMP/discard.in" | head -c "$cbytes" >"$LAB_TMP/discard.txt"
b0=$(rx_data)
bg_in "$LAB_TMP/discard.txt" ip netns exec "$LAB_K" curl -s -N --max-time 30 \
  "telnet://$LAB_UIP:9" >"$LAB_TMP/discard.out"
cpid=$BG_PID
check "curl telnet://: 1 MiB of text reaches discard within 20 s" \
  wait_until 20 rx_data_ge $((b0 + cbytes))
bg_stop "$cpid"
check_eq "curl telnet://: Tcp rx_data_bytes rose by exactly 1 MiB" $(($(rx_data) - b0)) \
  "$cbytes"
check_eq "curl telnet://: discard sends nothing back" "$(stat -c %s "$LAB_TMP/discard.out")" 0
nconn=$((nconn + 1))
rm -f "$LAB_TMP"/discard.*

# --- closed port 1 -------------------------------------------------------------------
refused() {
  local what=$1 want=$2 out noconn0 rst0
  shift 2
  noconn0=$(ctr Tcp rx_noconn) && rst0=$(ctr Tcp tx_rst) ||
    die "counters Tcp rx_noconn, tx_rst readable"
  out=$(kx timeout 10 "$@" </dev/null 2>&1)
  check_grep "$what: port 1 refused" "$want" "$out"
  check_eq "$what: Tcp rx_noconn +1" "$(ctr_or_fail Tcp rx_noconn)" $((noconn0 + 1))
  check_eq "$what: Tcp tx_rst +1" "$(ctr_or_fail Tcp tx_rst)" $((rst0 + 1))
}
refused "nc" "port 1 \(tcp\) failed: Connection refused" nc -v -N "$LAB_UIP" 1
refused "socat" "Connection refused" socat - "TCP:$LAB_UIP:1"
refused "curl" "^exit 7$" sh -c "curl -s telnet://$LAB_UIP:1; echo exit \$?"

# --- many short connections ------------------------------------------------------------
# One shell in the kernel's namespace runs the clients (ip netns exec per
# client would cost more than the connections).
bg ip netns exec "$LAB_K" bash -c '
  for i in $(seq 200); do
    msg="sequential echo $i of run $2"
    out=$(printf "%s\n" "$msg" | timeout 10 nc -N "$1" 7)
    [ "$out" = "$msg" ] || echo "# sequential $i: got \"$out\""
  done' seq "$LAB_UIP" $$ >"$LAB_TMP/seq.log"
bg_wait 60 "$BG_PID"
check_eq "200 sequential nc -N echo connections ran" "$?" 0
check_eq "200 sequential nc -N echo connections, each echoed" "$(cat "$LAB_TMP/seq.log")" ""
nconn=$((nconn + 200))

for i in $(seq 50); do
  # 20 KB each: many segments of many connections in flight at once.
  { printf 'parallel %d of run %d\n' "$i" $$; head -c 15000 /dev/urandom | base64; } \
    >"$LAB_TMP/par$i.in"
done
bg ip netns exec "$LAB_K" bash -c '
  for i in $(seq 50); do
    timeout 30 nc -N "$1" 7 <"$2/par$i.in" >"$2/par$i.out" || echo "# parallel $i: nc failed" &
  done
  wait' par "$LAB_UIP" "$LAB_TMP" >"$LAB_TMP/par.log"
bg_wait 60 "$BG_PID"
check_eq "50 parallel nc -N echo connections ran" "$?" 0
bad=0
for i in $(seq 50); do
  cmp -s "$LAB_TMP/par$i.in" "$LAB_TMP/par$i.out" ||
    { bad=$((bad + 1)); echo "# parallel $i: echo differs"; }
done
check_eq "50 parallel nc -N echo connections, each echoed" "$(cat "$LAB_TMP/par.log")$bad" 0
nconn=$((nconn + 50))

# --- generator ---------------------------------------------------------------------
# Last before the final checks: usock closes these first, so they wait in
# TIME_WAIT (60 s) on its side, and must still be there for the count.
/usr/bin/python3 - "$LAB_TMP/gen.want" <<'EOF' || die "compute the generator's 100000 bytes"
import sys
x = 0x9E3779B9
out = bytearray()
for _ in range(100000):
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    out.append(x >> 24)
open(sys.argv[1], "wb").write(out)
EOF

kx timeout 30 nc -d "$LAB_UIP" 19 >"$LAB_TMP/gen.nc"
check_eq "nc -d: port 19 exits 0 at usock's FIN" "$?" 0
check "nc -d: port 19 sends exactly the 100000 generated bytes" \
  cmp "$LAB_TMP/gen.want" "$LAB_TMP/gen.nc"
nconn=$((nconn + 1))
ngen=$((ngen + 1))

kx timeout 30 socat -u "TCP:$LAB_UIP:19" - >"$LAB_TMP/gen.socat"
check_eq "socat -u: port 19 exits 0 at usock's FIN" "$?" 0
check "socat -u: port 19 sends exactly the 100000 generated bytes" \
  cmp "$LAB_TMP/gen.want" "$LAB_TMP/gen.socat"
nconn=$((nconn + 1))
ngen=$((ngen + 1))

# curl interprets the stream as telnet (0xFF starts a command), so only
# its ending is checked: it stops at usock's FIN, long before --max-time.
kx timeout 30 curl -s --max-time 20 "telnet://$LAB_UIP:19" </dev/null >/dev/null
check_eq "curl telnet://: port 19 exits 0 at usock's FIN" "$?" 0
nconn=$((nconn + 1))
ngen=$((ngen + 1))

# --- nothing left behind -------------------------------------------------------------------
live() { echo $(($(ctr Sockets opened) - $(ctr Sockets closed))); }
live_is() { [ "$(live)" -eq "$1" ]; }
wait_until 10 live_is 4
check_eq "Sockets opened - closed: only the 4 listeners left" "$(live)" 4
check_eq "Tcp conn_accepted: every connection made" "$(ctr_or_fail Tcp conn_accepted)" "$nconn"
check_eq "Tcp conn_established: every connection made" "$(ctr_or_fail Tcp conn_established)" \
  "$nconn"
check_eq "Tcp conn_closed: all but the $ngen generator ones in TIME_WAIT" \
  "$(ctr_or_fail Tcp conn_closed)" $((nconn - ngen))
check_eq "Tcp conn_reset: none" "$(ctr_or_fail Tcp conn_reset)" 0
check_eq "Tcp rx_badsum: none" "$(ctr_or_fail Tcp rx_badsum)" 0
check_eq "Pool available: all $(ctr_or_fail Pool size) buffers back" \
  "$(ctr_or_fail Pool available)" "$(ctr_or_fail Pool size)"

srv_stop
lab_finish
