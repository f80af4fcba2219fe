#!/usr/bin/env bash
# test_preload_servers: unmodified Debian servers and clients on usock
# through usock-run, against the same programs on the Linux kernel at the
# other end of the veth; every run bounded in time and count:
#  - nginx under usock (master_process off, sendfile on) serving files of
#    0 B, 1 KiB, 1 MiB and LAB_HTTP_MAX bytes (default 100 MB) to the
#    kernel's curl, SHA-256 equal; and curl under usock fetching the same
#    files from the kernel's nginx;
#  - wrk on the kernel side against nginx under usock (3 s, 10
#    connections): requests done, no socket errors, no non-2xx answers;
#  - iperf3 server and client under usock: TCP both directions (-R) and
#    UDP, 2 s each, throughput printed;
#  - sockperf ping-pong and throughput (TCP and UDP), usock server with the
#    kernel's client and the other way round, no message lost;
#  - redis-server under usock: redis-benchmark (-n 20000) without errors,
#    redis-cli SET then GET from the kernel side; and daemonized (it forks
#    before its first socket, so the child starts its own stack).
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
RUN=$BUILD/apps/usock-run
[ -x "$RUN" ] || die "$RUN is built"
for tool in nginx curl wrk iperf3 sockperf redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || die "$tool is installed (bash tests/deps.sh)"
done
lab_make
max=${LAB_HTTP_MAX:-100000000}
UR=(ip netns exec "$LAB_U" "$RUN" --iface "$LAB_UIF" --ip "$LAB_UIP/$LAB_PLEN" --)
# started_under_usock PID: its stack is up (its counters file is there), then a moment to bind.
started_under_usock() {
  wait_until 10 "$STAT" -p "$1" || return 1
  sleep 0.5
}

# --- nginx and curl ------------------------------------------------------------
www=$LAB_TMP/www
mkdir -p "$www" "$LAB_TMP/ngx"
: >"$www/f0"
head -c 1024 /dev/urandom >"$www/f1k"
head -c 1048576 /dev/urandom >"$www/f1m"
head -c "$max" /dev/urandom >"$www/fmax"
ngx_conf() { # ngx_conf ADDR:PORT FILE
  cat >"$2" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid $LAB_TMP/ngx/$(basename "$2").pid;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $LAB_TMP/ngx;
  proxy_temp_path $LAB_TMP/ngx;
  fastcgi_temp_path $LAB_TMP/ngx;
  uwsgi_temp_path $LAB_TMP/ngx;
  scgi_temp_path $LAB_TMP/ngx;
  sendfile on;
  server { listen $1; root $www; }
}
EOF
}
ngx_conf "$LAB_UIP:8080" "$LAB_TMP/u.conf"
ngx_conf "$LAB_KIP:8081" "$LAB_TMP/k.conf"
bg "${UR[@]}" nginx -c "$LAB_TMP/u.conf" -e stderr 2>"$LAB_TMP/ngx-u.err"
upid=$BG_PID
started_under_usock "$upid" || die "nginx under usock starts" "$(cat "$LAB_TMP/ngx-u.err")"
bg ip netns exec "$LAB_K" nginx -c "$LAB_TMP/k.conf" -e stderr
wait_until 10 tcp_listening "$LAB_K" 8081 || die "the kernel's nginx listens on 8081"
secs=$((20 + max / 10000000))
# (one usock process at a time on the lab's address: two stacks there would answer each other's peers)
for f in f0 f1k f1m fmax; do
  rm -f "$LAB_TMP/got"
  code=$(kx timeout "$secs" curl -sS -o "$LAB_TMP/got" -w '%{http_code}' "http://$LAB_UIP:8080/$f")
  check_eq "kernel curl <- nginx under usock: $f ($(stat -c %s "$www/$f") bytes), HTTP $code, SHA-256 equal" \
    "$code $(sha_of "$LAB_TMP/got")" "200 $(sha_of "$www/$f")"
done
out=$(kx timeout 30 wrk -t1 -c10 -d3s "http://$LAB_UIP:8080/f1k" 2>&1)
printf '%s\n' "$out" | sed 's/^/#   wrk: /'
reqs=$(printf '%s\n' "$out" | sed -n 's/^ *\([0-9]*\) requests in .*/\1/p')
check_ge "wrk against nginx under usock: requests answered" "${reqs:-0}" 1000
check_nogrep "wrk: no socket errors and no non-2xx answers" 'Socket errors|Non-2xx' "$out"
bg_stop "$upid"
check_eq "nginx under usock: nothing on stderr" "$(cat "$LAB_TMP/ngx-u.err")" ""
for f in f0 f1k f1m fmax; do
  rm -f "$LAB_TMP/got"
  code=$("${UR[@]}" timeout "$secs" curl -sS -o "$LAB_TMP/got" -w '%{http_code}' "http://$LAB_KIP:8081/$f")
  check_eq "curl under usock <- kernel nginx: $f, HTTP $code, SHA-256 equal" \
    "$code $(sha_of "$LAB_TMP/got")" "200 $(sha_of "$www/$f")"
done

# --- iperf3 -----------------------------------------------------------------------
ip_run() { # ip_run WHERE ARGS...: a bounded iperf3 client run; prints its summary
  local where=$1
  shift
  if [ "$where" = usock ]; then
    "${UR[@]}" timeout 30 iperf3 -c "$LAB_KIP" -t 2 "$@" 2>&1
  else
    kx timeout 30 iperf3 -c "$LAB_UIP" -t 2 "$@" 2>&1
  fi
}
for side in server client; do
  for mode in "" "-R" "-u -b 200M"; do
    if [ $side = server ]; then
      bg "${UR[@]}" iperf3 -s -1 -B "$LAB_UIP"
      spid=$BG_PID
      started_under_usock "$spid" || die "iperf3 -s under usock starts"
      out=$(ip_run kernel $mode)
    else
      bg ip netns exec "$LAB_K" iperf3 -s -1 -B "$LAB_KIP"
      spid=$BG_PID
      wait_until 10 tcp_listening "$LAB_K" 5201 || die "the kernel's iperf3 -s listens"
      out=$(ip_run usock $mode)
    fi
    rc=$?
    bg_wait 10 "$spid" >/dev/null
    what="iperf3 ${mode:-TCP} with the $side under usock"
    echo "# $what: $(printf '%s\n' "$out" | grep -E 'receiver$' | tail -1 | sed 's/  */ /g')"
    check_eq "$what exits 0" "$rc" 0
    check_grep "$what reports its receiver" 'receiver$' "$out"
  done
done

# --- sockperf ------------------------------------------------------------------------
for proto in tcp udp; do
  pflag=$([ $proto = tcp ] && echo --tcp)
  # UDP throughput at a bounded rate: flat out, the receiver's overflow can also drop
  # the run's closing messages, and the client then waits for them.
  rate=$([ $proto = udp ] && echo --mps=50000)
  bg "${UR[@]}" sockperf server -i "$LAB_UIP" -p 11111 $pflag
  spid=$BG_PID
  started_under_usock "$spid" || die "sockperf server under usock starts"
  for t in ping-pong throughput; do
    out=$(kx timeout 30 sockperf $t -i "$LAB_UIP" -p 11111 $pflag $([ $t = throughput ] && echo $rate) -t 2 2>&1)
    echo "# sockperf $t $proto, kernel client -> usock server: $(printf '%s\n' "$out" | grep -E 'Summary' | head -2 | tr '\n' ' ')"
    check_grep "sockperf $t $proto to the usock server: a summary" 'Summary: (Latency|Message Rate)' "$out"
    [ $t = ping-pong ] && check_grep "sockperf ping-pong $proto to the usock server: nothing lost" \
      '# dropped messages = 0;' "$out"
  done
  bg_stop "$spid"
  bg ip netns exec "$LAB_K" sockperf server -i "$LAB_KIP" -p 11112 $pflag
  spid=$BG_PID
  sleep 1
  for t in ping-pong throughput; do
    out=$("${UR[@]}" timeout 30 sockperf $t -i "$LAB_KIP" -p 11112 $pflag $([ $t = throughput ] && echo $rate) -t 2 2>&1)
    echo "# sockperf $t $proto, usock client -> kernel server: $(printf '%s\n' "$out" | grep -E 'Summary' | head -2 | tr '\n' ' ')"
    check_grep "sockperf $t $proto from usock: a summary" 'Summary: (Latency|Message Rate)' "$out"
    [ $t = ping-pong ] && check_grep "sockperf ping-pong $proto from usock: nothing lost" \
      '# dropped messages = 0;' "$out"
  done
  bg_stop "$spid"
done

# --- redis -----------------------------------------------------------------------------
bg "${UR[@]}" redis-server --bind "$LAB_UIP" --port 6379 --save "" --appendonly no \
  --protected-mode no --loglevel warning
rpid=$BG_PID
started_under_usock "$rpid" || die "redis-server under usock starts"
out=$(kx timeout 60 redis-benchmark -h "$LAB_UIP" -p 6379 -n 20000 -q -t set,get,incr,lpush,lpop 2>&1 |
  tr '\r' '\n' | grep -E 'requests per second|rror')
printf '%s\n' "$out" | sed 's/^/#   redis-benchmark: /'
check_eq "redis-benchmark against redis under usock: five tests done" \
  "$(printf '%s\n' "$out" | grep -c 'requests per second')" 5
check_nogrep "redis-benchmark: no errors" 'rror' "$out"
check_eq "redis-cli SET" "$(kx timeout 10 redis-cli -h "$LAB_UIP" set usock-key "run $$")" OK
check_eq "redis-cli GET" "$(kx timeout 10 redis-cli -h "$LAB_UIP" get usock-key)" "run $$"
bg_stop "$rpid"

# A daemon forks before its first socket (redis --daemonize yes): the child's stack is its own.
"${UR[@]}" redis-server --bind "$LAB_UIP" --port 6380 --save "" --appendonly no \
  --protected-mode no --loglevel warning --daemonize yes --pidfile "$LAB_TMP/redis.pid" \
  --logfile "$LAB_TMP/redis.log"
wait_until 10 test -s "$LAB_TMP/redis.pid" || die "redis-server --daemonize yes under usock writes its pidfile"
dpid=$(cat "$LAB_TMP/redis.pid")
LAB_BG+=("$dpid")
pong() { [ "$(kx timeout 5 redis-cli -h "$LAB_UIP" -p 6380 ping 2>/dev/null)" = PONG ]; }
wait_until 10 pong
check_eq "redis-server --daemonize yes under usock (forked before its first socket) answers" \
  "$(kx timeout 5 redis-cli -h "$LAB_UIP" -p 6380 ping)" PONG
kill -TERM "$dpid" 2>/dev/null

lab_finish
