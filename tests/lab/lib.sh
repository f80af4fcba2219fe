# tests/lab/lib.sh - shared helpers of the namespace lab tests, sourced by
# every tests/lab/test_*.sh (run as: bash test_x.sh BUILD_DIR).
#
# A lab is two network namespaces joined by a veth pair, offloads off:
#   $LAB_K (the Linux kernel, 198.18.0.1/24 on va) <-> $LAB_U (usock on vb,
#   198.18.0.2/24, an address the kernel there does not have).
# Names carry the test's PID, so concurrent runs never collide; an EXIT trap
# stops every process the test started (by its PID) and removes the
# namespaces, whatever way the test ends.  Addresses come from
# 198.18.0.0/15 only.
#
# Checks print "ok - what" or "FAIL - what: why"; lab_finish exits non-zero
# if any check failed or none ran.

set -u -o pipefail

LAB_NAME=$(basename "${0%.sh}")
LAB_KIP=198.18.0.1      # the kernel's address
LAB_UIP=198.18.0.2      # usock's address
LAB_PLEN=24
LAB_K=ulk$$             # kernel namespace
LAB_U=ulu$$             # usock namespace
LAB_KIF=va
LAB_UIF=vb
LAB_TMP=
LAB_BG=()               # PIDs of background processes to stop at exit
LAB_NS=()               # namespaces made
LAB_AT_EXIT=()          # commands (strings, eval'ed) the clean-up runs last
LAB_OK=0
LAB_FAILED=0
SRV_PID=                # the running usock-testsrv
SRV_OUT=                # its stdout file
SRV_ERR=                # its stderr file
SRV_N=0

# --- reporting -------------------------------------------------------------

pass() {
  LAB_OK=$((LAB_OK + 1))
  echo "ok - $1"
}

fail() {
  LAB_FAILED=$((LAB_FAILED + 1))
  echo "FAIL - $1${2:+: $2}"
}

# A setup step that must work for the rest of the test to mean anything.
die() {
  fail "$1" "${2:-}"
  echo "$LAB_NAME: cannot go on"
  exit 1
}

# check WHAT CMD...: passes when CMD exits 0.
check() {
  local what=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ]; then
    pass "$what"
  else
    fail "$what" "\`$*\` exited $rc${out:+; output: $(printf '%s' "$out" | tail -5)}"
  fi
  return "$rc"
}

# check_eq WHAT GOT WANT
check_eq() {
  if [ "$2" = "$3" ]; then
    pass "$1 ($2)"
  else
    fail "$1" "got '$2', want '$3'"
    return 1
  fi
}

# check_ge WHAT GOT MIN (integers)
check_ge() {
  if [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ]; then
    pass "$1 ($2 >= $3)"
  else
    fail "$1" "got '$2', want >= $3"
    return 1
  fi
}

# check_grep WHAT ERE TEXT: passes when TEXT has a line matching ERE.
check_grep() {
  # A here-string, not a pipe: grep -q stops early, and under pipefail a
  # writer cut off by SIGPIPE would turn a match into a failure.
  if grep -Eq -- "$2" <<<"$3"; then
    pass "$1"
  else
    fail "$1" "no line matches /$2/ in: $(printf '%s' "$3" | head -20)"
    return 1
  fi
}

# check_nogrep WHAT ERE TEXT: passes when no line of TEXT matches ERE.
check_nogrep() {
  if grep -Eq -- "$2" <<<"$3"; then
    fail "$1" "unexpected: $(printf '%s\n' "$3" | grep -E -- "$2" | head -5)"
    return 1
  else
    pass "$1"
  fi
}

lab_finish() {
  echo "$LAB_NAME: $LAB_OK checks passed, $LAB_FAILED failed"
  if [ "$LAB_FAILED" -ne 0 ] || [ "$LAB_OK" -eq 0 ]; then
    exit 1
  fi
  exit 0
}

# --- set-up and tear-down ----------------------------------------------------

lab_cleanup() {
  local pid i
  trap - EXIT INT TERM
  if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
    kill -TERM "$SRV_PID" 2>/dev/null
  fi
  for pid in "${LAB_BG[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  done
  # Bounded wait for them to go, then no more asking.
  for i in $(seq 50); do
    local alive=0
    for pid in "${LAB_BG[@]}"; do
      kill -0 -- "-$pid" 2>/dev/null && alive=1
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null && alive=1
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${LAB_BG[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null
  done
  [ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null
  for i in "${LAB_NS[@]}"; do
    ip netns del "$i" 2>/dev/null
  done
  # LAB_KEEP=1 keeps the temporary directory (servers' output) for a post-mortem.
  [ -n "$LAB_TMP" ] && { [ -n "${LAB_KEEP:-}" ] && echo "# kept $LAB_TMP" || rm -rf "$LAB_TMP"; }
  for i in "${LAB_AT_EXIT[@]}"; do
    eval "$i"
  done
}

# lab_init BUILD_DIR: checks the environment and arms the clean-up.
lab_init() {
  local b=${1:-}
  trap lab_cleanup EXIT
  trap 'exit 130' INT TERM
  [ "$(id -u)" -eq 0 ] || die "running as root" "the lab needs root (namespaces, AF_PACKET)"
  [ -n "$b" ] || die "BUILD_DIR given" "usage: bash $0 BUILD_DIR"
  BUILD=$(cd "$b" 2>/dev/null && pwd) || die "BUILD_DIR $b exists"
  TESTSRV=$BUILD/apps/usock-testsrv
  STAT=$BUILD/apps/usock-stat
  [ -x "$TESTSRV" ] || die "$TESTSRV is built"
  [ -x "$STAT" ] || die "$STAT is built"
  LAB_TMP=$(mktemp -d "/tmp/usock-lab.$LAB_NAME.XXXXXX") || die "temporary directory"
  # Only what a test sets reaches usock: nothing from the caller's shell.
  unset $(compgen -e | grep '^USOCK_')
}

# Runs a command in the kernel's / usock's namespace.
kx() { ip netns exec "$LAB_K" "$@"; }
ux() { ip netns exec "$LAB_U" "$@"; }

# lab_make: the two namespaces and the veth, offloads off, IPv6 off.
lab_make() {
  ip netns add "$LAB_K" || die "namespace $LAB_K"
  LAB_NS+=("$LAB_K")
  ip netns add "$LAB_U" || die "namespace $LAB_U"
  LAB_NS+=("$LAB_U")
  ip link add "$LAB_KIF" netns "$LAB_K" type veth peer name "$LAB_UIF" netns "$LAB_U" ||
    die "veth pair"
  kx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
    die "IPv6 off in $LAB_K"
  ux sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
    die "IPv6 off in $LAB_U"
  ip -n "$LAB_K" addr add "$LAB_KIP/$LAB_PLEN" dev "$LAB_KIF" || die "address on $LAB_KIF"
  kx ethtool -K "$LAB_KIF" tso off gso off gro off tx off rx off >/dev/null ||
    die "offloads off on $LAB_KIF"
  ux ethtool -K "$LAB_UIF" tso off gso off gro off tx off rx off >/dev/null ||
    die "offloads off on $LAB_UIF"
  ip -n "$LAB_K" link set lo up
  ip -n "$LAB_U" link set lo up
  ip -n "$LAB_K" link set "$LAB_KIF" up || die "$LAB_KIF up"
  ip -n "$LAB_U" link set "$LAB_UIF" up || die "$LAB_UIF up"
}

# lab_ipv6: IPv6 on the kernel's end only: va gets fd00::1/64 (no DAD, so
# it is usable at once) and its link-local address; vb stays without IPv6
# in the kernel, so only usock answers there.  Sets LAB_K6 and LAB_U6.
LAB_K6=fd00::1
LAB_U6=fd00::2
lab_ipv6() {
  kx sysctl -qw "net.ipv6.conf.$LAB_KIF.disable_ipv6=0" "net.ipv6.conf.$LAB_KIF.accept_dad=0" ||
    die "IPv6 on $LAB_KIF"
  ip -n "$LAB_K" addr add "$LAB_K6/64" dev "$LAB_KIF" nodad || die "$LAB_K6 on $LAB_KIF"
}

# bg CMD...: starts CMD in the background in a session of its own and
# remembers it for the clean-up; BG_PID is its PID.
bg() {
  setsid "$@" &
  BG_PID=$!
  LAB_BG+=("$BG_PID")
}

# bg_stop PID: stops one background process (and its session), bounded.
bg_stop() {
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for i in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# wait_until SECONDS CMD...: runs CMD every 50 ms until it exits 0; returns
# non-zero once SECONDS have passed (bounded in time and in tries).
wait_until() {
  local secs=$1 i end
  shift
  end=$(($(date +%s%N) / 1000000 + secs * 1000))
  for ((i = 0; i < secs * 20 + 1; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    [ $(($(date +%s%N) / 1000000)) -ge "$end" ] && return 1
    sleep 0.05
  done
  return 1
}

# --- the usock test server ---------------------------------------------------

srv_ready() {
  kill -0 "$SRV_PID" 2>/dev/null &&
    grep -q '^usock-testsrv: serving' "$SRV_OUT" &&
    "$STAT" -p "$SRV_PID" >/dev/null 2>&1
}

srv_dead() { ! kill -0 "$SRV_PID" 2>/dev/null; }

# srv_start [VAR=value...]: starts usock-testsrv in $LAB_U on vb with
# 198.18.0.2/24 plus the given settings, and waits (10 s at most) until it
# serves: its "serving" line is out and usock-stat sees the process.
srv_start() {
  local i
  SRV_N=$((SRV_N + 1))
  SRV_OUT=$LAB_TMP/srv$SRV_N.out
  SRV_ERR=$LAB_TMP/srv$SRV_N.err
  ip netns exec "$LAB_U" env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" "$@" \
    "$TESTSRV" >"$SRV_OUT" 2>"$SRV_ERR" &
  SRV_PID=$!
  for i in $(seq 200); do
    srv_ready && break
    srv_dead && break
    sleep 0.05
  done
  if ! srv_ready; then
    die "usock-testsrv starts ($*)" "$(cat "$SRV_ERR" "$SRV_OUT" 2>/dev/null | tail -5)"
  fi
  pass "usock-testsrv (pid $SRV_PID) serves${*:+ with $*}"
}

# srv_stop: SIGTERM, then the exit status must be 0 (within 10 s) and the
# counters file gone.
srv_stop() {
  local pid=$SRV_PID rc i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid"
  for i in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    SRV_PID=
    fail "usock-testsrv stops on SIGTERM" "still running 10 s later; killed"
    return 1
  fi
  wait "$pid"
  rc=$?
  SRV_PID=
  check_eq "usock-testsrv exits 0 on SIGTERM" "$rc" 0
  check_grep "usock-testsrv says it stopped" 'usock-testsrv: stopped' "$(cat "$SRV_OUT")"
  if [ -e "/dev/shm/usock.$pid" ]; then
    fail "usock-testsrv removes /dev/shm/usock.$pid at exit"
  fi
  if [ -s "$SRV_ERR" ]; then
    fail "usock-testsrv wrote nothing on stderr" "$(head -5 "$SRV_ERR")"
  fi
  return 0
}

# --- counters ----------------------------------------------------------------

# ctr GROUP NAME [PID]: prints one counter of a running usock process, read
# from `usock-stat -p PID -a` (GROUP as usock-stat titles it: Driver,
# Ethernet, Arp, Ip, Icmp, Udp, Sockets, Pool).  Returns non-zero (and
# prints nothing) when the process or the counter is not there.
ctr() {
  local group=$1 name=$2 pid=${3:-$SRV_PID} out v
  out=$("$STAT" -p "$pid" -a 2>/dev/null) || return 1
  v=$(printf '%s\n' "$out" | awk -v g="$group:" -v n="$name" '
    /^[^ ]/ { ing = ($0 == g); next }
    ing && $1 == n && !found { print $2; found = 1 }
    END { if (!found) exit 1 }') || return 1
  [[ "$v" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$v"
}

# ctr_or_fail GROUP NAME: the counter, or "NA" (which no check accepts)
# with the reason on stderr.
ctr_or_fail() {
  local v
  if v=$(ctr "$1" "$2"); then
    printf '%s\n' "$v"
  else
    echo "# counter $1 $2: usock-stat -p $SRV_PID -a does not show it" >&2
    printf 'NA\n'
  fi
}

# snap ARRAY: every counter named in the test's own `specs` array
# ("Group:name", as ctr takes them) into the associative array ARRAY
# (declare -A c0 c1), keyed by spec.  A counter that cannot be read stops
# the test: a check on it could not mean anything.
snap() {
  local -n into=$1
  local spec
  for spec in "${specs[@]}"; do
    into[$spec]=$(ctr "${spec%%:*}" "${spec#*:}") || die "counter $spec readable"
  done
}

# delta SPEC: how far counter SPEC moved from snapshot c0 to snapshot c1.
delta() { echo $((c1[$1] - c0[$1])); }

# --- kernel-side helpers -----------------------------------------------------

# ping_ok WHAT COUNT [ping options...]: the kernel pings usock COUNT times
# and every echo must come back.
ping_ok() {
  local what=$1 count=$2 out
  shift 2
  out=$(kx timeout 60 ping -n -c "$count" -i 0.2 -W 3 "$@" "$LAB_UIP" 2>&1)
  check_grep "$what: $count sent, $count received" \
    "^$count packets transmitted, $count received" "$out"
  # ping compares each reply's data with what it sent.
  check_nogrep "$what: replies intact (no wrong data, DUP or truncation)" \
    'wrong data|DUP!|truncated' "$out"
}

# The kernel in $LAB_K has MAC in its ARP entry for usock.
kernel_knows() { [[ "$(kx ip neigh show "$LAB_UIP" dev "$LAB_KIF")" == *"lladdr $1 "* ]]; }

# The MAC of an interface in a namespace.
mac_of() { ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }

# UDP port PORT has a listener in namespace NS.
udp_listening() { [ -n "$(ip netns exec "$1" ss -Huln "sport = :$2")" ]; }

# --- TCP helpers -------------------------------------------------------------

# The command prefix that runs a usock program in $LAB_U on vb with
# 198.18.0.2/24; append VAR=value settings, then the program and its
# arguments.  An array, so that bg can start it too.
LAB_UENV=(ip netns exec "$LAB_U" env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN")

# TCP port PORT has a listener in namespace NS (for the kernel's servers).
tcp_listening() { [ -n "$(ip netns exec "$1" ss -Htln "sport = :$2")" ]; }

# now_ms: a monotonic-enough wall clock in milliseconds, for the "# took"
# notes (timing is reported, never asserted).
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# sha_of FILE: the SHA-256 of FILE, hex only.
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# stat_follow PID FILE: in the background, copies `usock-stat -p PID -a`
# into FILE every 0.05 s for as long as PID's counters are there (waiting
# 10 s at most for them to appear), so that the counters of a usock
# program that exits at the end of its work can be read afterwards: the
# last copy is at most 0.05 s older than the program's end.  BG_PID is the
# follower; it ends by itself when PID's counters go.
stat_follow() {
  bg bash -c 'for i in $(seq 200); do "$0" -p "$1" >/dev/null 2>&1 && break; sleep 0.05; done
    while "$0" -p "$1" -a >"$2.tmp" 2>/dev/null; do mv -f "$2.tmp" "$2"; sleep 0.05; done
    rm -f "$2.tmp"' "$STAT" "$1" "$2"
}

# ctr_in FILE GROUP NAME: one counter from a saved `usock-stat -a` output
# (as ctr reads a running process).  Returns non-zero (and prints nothing)
# when the counter is not there.
ctr_in() {
  local v
  v=$(awk -v g="$2:" -v n="$3" '
    /^[^ ]/ { ing = ($0 == g); next }
    ing && $1 == n && !found { print $2; found = 1 }
    END { if (!found) exit 1 }' "$1" 2>/dev/null) || return 1
  [[ "$v" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$v"
}

# kstat NAME: one counter of the kernel's TCP in $LAB_K from nstat
# (TcpRetransSegs, TcpExtTCPSACKRecovery, ...), absolute value; nstat's
# history is left alone (-s).
kstat() { kx nstat -saz "$1" | awk -v n="$1" '$1 == n { print $2; f = 1 } END { exit !f }'; }

# bg_wait SECONDS PID: waits for a process started with bg to end, at most
# SECONDS; returns its exit status, or 124 after stopping it (bg_stop) when
# it is still running then.  (Programs started with bg without `timeout`
# keep their PID through setsid, ip netns exec and env, so PID is also the
# one usock-stat -p knows.)
bg_wait() {
  local secs=$1 pid=$2 i
  for ((i = 0; i < secs * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    bg_stop "$pid"
    return 124
  fi
  wait "$pid"
}

# bg_in FILE CMD...: as bg, with standard input from FILE (bash gives a
# background command /dev/null as its input unless the command itself
# redirects it, so `bg CMD <FILE` would not do).
bg_in() {
  local in=$1
  shift
  setsid "$@" <"$in" &
  BG_PID=$!
  LAB_BG+=("$BG_PID")
}

# --- TCP transfers between the kernel and usock-cat ---------------------------

# tcp_data BYTES: makes TCP_DATA ($LAB_TMP/tcp.data), BYTES random bytes,
# and puts its SHA-256 in TCP_SHA.
tcp_data() {
  TCP_DATA=$LAB_TMP/tcp.data
  TCP_BYTES=$1
  head -c "$1" /dev/urandom >"$TCP_DATA" || die "generate $1 bytes of test data"
  TCP_SHA=$(sha_of "$TCP_DATA")
}

# tcp_xfer KIND PORT LIMIT [VAR=value...]: moves TCP_DATA over one TCP
# connection between the kernel (socat) and usock-cat (with the given
# settings), each end given LIMIT seconds, and checks it.  KIND:
#   k2us  kernel client -> usock server: `socat -u FILE TCP:...` into
#         `usock-cat -l PORT > file`
#   us2k  usock server -> kernel client: `usock-cat -l PORT < file` into
#         `socat -u TCP:... -`
#   uc2k  usock client -> kernel server: `usock-cat 198.18.0.1 PORT < file`
#         into `socat -u TCP-LISTEN:PORT -`
#   k2uc  kernel server -> usock client: `socat -u FILE TCP-LISTEN:PORT`
#         into `usock-cat 198.18.0.1 PORT > file`
# Checks: both ends exit 0, the receiver has TCP_BYTES bytes with TCP_SHA,
# usock-cat says nothing on stderr but its "listening" line.  Sets
# XFER_WHAT (the description), XFER_MS (the time from the connecting side's
# start to both ends' exit) and XFER_STAT (a file: usock-cat's last
# `usock-stat -a` before it ended; see stat_follow).
tcp_xfer() {
  local kind=$1 port=$2 limit=$3 ucat=$BUILD/apps/usock-cat
  local out=$LAB_TMP/xfer$2.out err=$LAB_TMP/xfer$2.err uin=/dev/null uout=/dev/null
  local upid kpid fpid t0 krc urc extra
  # XFER_FAM=6: over IPv6 (fd00::1 and fd00::2); usock-cat then needs USOCK_IPV6 among the settings.
  local kto="TCP:$LAB_UIP:$port" klisten="TCP-LISTEN:$port,reuseaddr" khost=$LAB_KIP
  if [ "${XFER_FAM:-4}" = 6 ]; then
    kto="TCP6:[$LAB_U6]:$port"
    klisten="TCP6-LISTEN:$port,reuseaddr"
    khost=$LAB_K6
  fi
  shift 3
  XFER_STAT=$LAB_TMP/xfer$port.stat
  rm -f "$out" "$XFER_STAT"
  case $kind in
  k2us) XFER_WHAT="kernel client -> usock server"; uout=$out ;;
  us2k) XFER_WHAT="usock server -> kernel client"; uin=$TCP_DATA ;;
  uc2k) XFER_WHAT="usock client -> kernel server"; uin=$TCP_DATA ;;
  k2uc) XFER_WHAT="kernel server -> usock client"; uout=$out ;;
  *) die "tcp_xfer: kind $kind" ;;
  esac
  [ $# -gt 0 ] && XFER_WHAT="$XFER_WHAT ($*)"
  case $kind in
  k2us | us2k)
    bg_in "$uin" "${LAB_UENV[@]}" "$@" "$ucat" ${XFER_UCAT_ARGS:-} -l "$port" >"$uout" 2>"$err"
    upid=$BG_PID
    stat_follow "$upid" "$XFER_STAT"
    fpid=$BG_PID
    wait_until 10 grep -q "listening on port $port" "$err" ||
      die "$XFER_WHAT: usock-cat -l $port listens" "$(cat "$err")"
    t0=$(now_ms)
    if [ "$kind" = k2us ]; then
      kx timeout "$limit" socat -u "OPEN:$TCP_DATA,rdonly" "$kto"
    else
      kx timeout "$limit" socat -u "$kto" - >"$out"
    fi
    krc=$?
    bg_wait "$limit" "$upid"
    urc=$?
    ;;
  uc2k | k2uc)
    if [ "$kind" = uc2k ]; then
      bg ip netns exec "$LAB_K" timeout "$limit" socat -u "$klisten" - >"$out"
    else
      bg ip netns exec "$LAB_K" timeout "$limit" socat -u "OPEN:$TCP_DATA,rdonly" "$klisten"
    fi
    kpid=$BG_PID
    wait_until 10 tcp_listening "$LAB_K" "$port" ||
      die "$XFER_WHAT: kernel socat listens on $port"
    t0=$(now_ms)
    bg_in "$uin" "${LAB_UENV[@]}" "$@" "$ucat" ${XFER_UCAT_ARGS:-} "$khost" "$port" >"$uout" 2>"$err"
    upid=$BG_PID
    stat_follow "$upid" "$XFER_STAT"
    fpid=$BG_PID
    bg_wait "$limit" "$upid"
    urc=$?
    bg_wait 10 "$kpid"
    krc=$?
    ;;
  esac
  XFER_MS=$(($(now_ms) - t0))
  [ "$XFER_MS" -gt 0 ] || XFER_MS=1
  echo "# $XFER_WHAT: $TCP_BYTES bytes in $((XFER_MS / 1000)).$(printf '%03d' $((XFER_MS % 1000))) s," \
    "$((TCP_BYTES * 8 / XFER_MS / 1000)) Mbit/s"
  check_eq "$XFER_WHAT: kernel socat exited 0" "$krc" 0
  check_eq "$XFER_WHAT: usock-cat exited 0" "$urc" 0
  check_eq "$XFER_WHAT: $TCP_BYTES bytes arrived" "$(stat -c %s "$out" 2>/dev/null)" "$TCP_BYTES"
  check_eq "$XFER_WHAT: SHA-256 equal" "$(sha_of "$out")" "$TCP_SHA"
  extra=$(grep -v '^usock-cat: listening on port' "$err")
  check_eq "$XFER_WHAT: usock-cat wrote nothing else on stderr" "$extra" ""
  # The follower has seen the end (it stops when the counters go).
  bg_wait 5 "$fpid"
  rm -f "$out"
}
