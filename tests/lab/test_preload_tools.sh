#!/usr/bin/env bash
# test_preload_tools: unmodified Debian programs on usock through
# usock-run (LD_PRELOAD of libusock-preload.so), the Linux kernel at the
# other end of the veth running the same programs unshimmed:
#  - nc (OpenBSD netcat) TCP, usock listening and usock connecting, 4 MiB
#    each way, SHA-256 compared;
#  - nc -u, a datagram each way;
#  - socat under usock as a TCP relay between a kernel client and a kernel
#    echo server (4 MiB there and back);
#  - the shim's calls one by one: lab-preload-probe, a plain C program,
#    tries dup/dup2/dup3, fcntl, ioctl, poll with a pipe, select, epoll
#    (level, edge, one-shot, EPOLLOUT, mixed with a pipe), writev/readv,
#    sendmsg/recvmsg and sendmmsg/recvmmsg against the kernel's echo;
#  - with --dns, getaddrinfo is usock's own resolver over the stack
#    (dnsmasq on the kernel side): getent and nc find a name;
#  - usock-run refuses bad options with a line naming the option.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
RUN=$BUILD/apps/usock-run
[ -x "$RUN" ] || die "$RUN is built"
[ -f "$BUILD/lib/libusock-preload.so" ] || die "$BUILD/lib/libusock-preload.so is built"
lab_make
UR=(ip netns exec "$LAB_U" "$RUN" --iface "$LAB_UIF" --ip "$LAB_UIP/$LAB_PLEN" --)
head -c 4194304 /dev/urandom >"$LAB_TMP/data"
sha=$(sha_of "$LAB_TMP/data")

# --- nc, TCP ------------------------------------------------------------------
# (no `timeout` in front: the PID stays nc's, which usock-stat -p knows; bg_wait bounds it)
bg "${UR[@]}" nc -4 -l "$LAB_UIP" 5000 >"$LAB_TMP/nc1.out" 2>"$LAB_TMP/nc1.err"
npid=$BG_PID
wait_until 10 "$STAT" -p "$npid" || die "nc -l under usock starts its stack"
sleep 0.3
kx timeout 30 nc -4 -N "$LAB_UIP" 5000 <"$LAB_TMP/data"
check_eq "nc: kernel client -> nc -l under usock exits 0" "$?" 0
bg_wait 30 "$npid"
check_eq "nc -l under usock exits 0" "$?" 0
check_eq "nc: kernel -> usock, 4 MiB, SHA-256 equal" "$(sha_of "$LAB_TMP/nc1.out")" "$sha"
check_eq "nc -l under usock: nothing on stderr" "$(cat "$LAB_TMP/nc1.err")" ""

bg ip netns exec "$LAB_K" timeout 30 nc -4 -l "$LAB_KIP" 5001 >"$LAB_TMP/nc2.out"
kpid=$BG_PID
wait_until 10 tcp_listening "$LAB_K" 5001 || die "kernel nc listens on 5001"
"${UR[@]}" timeout 30 nc -4 -N "$LAB_KIP" 5001 <"$LAB_TMP/data" 2>"$LAB_TMP/nc2.err"
check_eq "nc under usock -> kernel nc -l exits 0" "$?" 0
bg_wait 30 "$kpid"
check_eq "nc: usock -> kernel, 4 MiB, SHA-256 equal" "$(sha_of "$LAB_TMP/nc2.out")" "$sha"
check_eq "nc under usock: nothing on stderr" "$(cat "$LAB_TMP/nc2.err")" ""

# --- nc -u ---------------------------------------------------------------------
bg "${UR[@]}" nc -4 -u -l "$LAB_UIP" 5002 >"$LAB_TMP/u1.out"
upid=$BG_PID
wait_until 10 "$STAT" -p "$upid" || die "nc -u -l under usock starts its stack"
sleep 0.3
echo "a datagram from the kernel, run $$" | kx timeout 5 nc -4 -u -w1 "$LAB_UIP" 5002
sleep 0.5
bg_stop "$upid"
check_eq "nc -u -l under usock receives the kernel's datagram" "$(cat "$LAB_TMP/u1.out")" \
  "a datagram from the kernel, run $$"

bg ip netns exec "$LAB_K" timeout 10 nc -4 -u -l "$LAB_KIP" 5003 >"$LAB_TMP/u2.out"
kpid=$BG_PID
wait_until 10 udp_listening "$LAB_K" 5003 || die "kernel nc -u listens on 5003"
echo "a datagram from usock, run $$" | "${UR[@]}" timeout 5 nc -4 -u -w1 "$LAB_KIP" 5003
sleep 0.5
bg_stop "$kpid"
check_eq "nc -u under usock sends the kernel a datagram" "$(cat "$LAB_TMP/u2.out")" \
  "a datagram from usock, run $$"

# --- socat as a relay under usock -------------------------------------------------
bg ip netns exec "$LAB_K" timeout 60 socat TCP4-LISTEN:6001,reuseaddr,fork EXEC:cat
wait_until 10 tcp_listening "$LAB_K" 6001 || die "kernel echo server listens on 6001"
bg "${UR[@]}" socat TCP4-LISTEN:6000,bind="$LAB_UIP",reuseaddr TCP4:"$LAB_KIP":6001 \
  2>"$LAB_TMP/relay.err"
rpid=$BG_PID
wait_until 10 "$STAT" -p "$rpid" || die "socat under usock starts its stack"
sleep 0.3
kx timeout 30 socat -t5 - TCP4:"$LAB_UIP":6000 <"$LAB_TMP/data" >"$LAB_TMP/relay.out"
check_eq "socat relay under usock: 4 MiB there and back, SHA-256 equal" \
  "$(sha_of "$LAB_TMP/relay.out")" "$sha"
bg_wait 10 "$rpid"
check_eq "socat relay under usock exits 0" "$?" 0
check_eq "socat relay under usock: nothing on stderr" "$(cat "$LAB_TMP/relay.err")" ""

# --- the shim's calls one by one (lab-preload-probe, a plain C program) -------------
bg ip netns exec "$LAB_K" timeout 60 socat TCP4-LISTEN:7,reuseaddr,fork EXEC:cat
bg ip netns exec "$LAB_K" timeout 60 socat UDP4-RECVFROM:7,fork EXEC:cat
wait_until 10 tcp_listening "$LAB_K" 7 || die "kernel TCP echo listens on 7"
wait_until 10 udp_listening "$LAB_K" 7 || die "kernel UDP echo listens on 7"
out=$("${UR[@]}" timeout 60 "$BUILD/tests/lab/lab-preload-probe" "$LAB_KIP" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/#   probe: /'
check_eq "lab-preload-probe under usock: every call behaves (dup, fcntl, ioctl, poll, select, epoll, vectors)" "$rc" 0
check_grep "lab-preload-probe ran its checks" '^lab-preload-probe: [1-9][0-9]* passed, 0 failed' "$out"

# --- names through usock's resolver (--dns): getaddrinfo is usock's ---------------------
bg ip netns exec "$LAB_K" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
  --no-hosts --user=root --bind-interfaces --listen-address="$LAB_KIP" \
  --address=/web.usock.test/"$LAB_KIP" --pid-file=
wait_until 10 udp_listening "$LAB_K" 53 || die "dnsmasq answers on $LAB_KIP:53"
out=$(ip netns exec "$LAB_U" "$RUN" --iface "$LAB_UIF" --ip "$LAB_UIP/$LAB_PLEN" --dns "$LAB_KIP" -- \
  timeout 20 getent ahostsv4 web.usock.test 2>&1)
check_grep "getent ahostsv4 under usock-run --dns resolves through usock" "^$LAB_KIP +STREAM web.usock.test" "$out"
bg ip netns exec "$LAB_K" timeout 30 nc -4 -l "$LAB_KIP" 5004 >"$LAB_TMP/dns.out"
kpid=$BG_PID
wait_until 10 tcp_listening "$LAB_K" 5004 || die "kernel nc listens on 5004"
echo "by name, run $$" | ip netns exec "$LAB_U" "$RUN" --iface "$LAB_UIF" --ip "$LAB_UIP/$LAB_PLEN" \
  --dns "$LAB_KIP" -- timeout 20 nc -4 -N web.usock.test 5004
bg_wait 10 "$kpid"
check_eq "nc under usock-run --dns connects by name" "$(cat "$LAB_TMP/dns.out")" "by name, run $$"

# --- usock-run's own errors -----------------------------------------------------------
out=$("$RUN" --ip 198.18.0.2 --iface lo -- true 2>&1)
check_grep "usock-run --ip without a prefix names the option" '^usock-run: --ip 198.18.0.2 has no prefix length' "$out"
out=$("$RUN" --iface nosuch0 --ip 198.18.0.2/24 -- true 2>&1)
check_grep "usock-run --iface of no interface names it" '^usock-run: --iface nosuch0: no such interface' "$out"
out=$("$RUN" --bogus -- true 2>&1)
check_grep "usock-run with an unknown option says so" '^usock-run: unknown option --bogus' "$out"
check_grep "usock-run --help lists the options" '--dpdk-args' "$("$RUN" --help)"

lab_finish
