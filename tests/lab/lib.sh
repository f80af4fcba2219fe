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
  [ -n "$LAB_TMP" ] && rm -rf "$LAB_TMP"
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
