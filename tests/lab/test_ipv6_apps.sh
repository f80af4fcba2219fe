#!/usr/bin/env bash
# test_ipv6_apps: bulk TCP and unmodified programs over IPv6 (fd00::/64)
# between usock and the Linux kernel:
#  - LAB_IPV6_BYTES (default 256 MiB) each way in all four roles (usock-cat
#    against socat, TCP6), SHA-256 equal, no checksum error, no reset;
#  - nginx under usock-run listening on [::]:8080 to the kernel's curl -6,
#    and curl -6 under usock-run from the kernel's nginx on [fd00::1];
#  - nc -6 under usock-run to the kernel's nc -6 -l.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
RUN=$BUILD/apps/usock-run
[ -x "$RUN" ] || die "$RUN is built"
for tool in nginx curl nc socat; do
  command -v "$tool" >/dev/null || die "$tool is installed (bash tests/deps.sh)"
done
lab_make
lab_ipv6
UR=(ip netns exec "$LAB_U" "$RUN" --iface "$LAB_UIF" --ip "$LAB_UIP/$LAB_PLEN" --ip6 "$LAB_U6/64" --)

# --- bulk TCP over IPv6 ---------------------------------------------------------
bytes=${LAB_IPV6_BYTES:-268435456}
tcp_data "$bytes"
XFER_FAM=6
limit=$((30 + bytes / 10000000))
port=7200
for kind in k2us us2k uc2k k2uc; do
  port=$((port + 1))
  tcp_xfer "$kind" "$port" "$limit" USOCK_IPV6="$LAB_U6/64"
  check_eq "$XFER_WHAT: no bad checksum, no reset" \
    "$(ctr_in "$XFER_STAT" Tcp rx_badsum)/$(ctr_in "$XFER_STAT" Tcp conn_reset)" "0/0"
  check_ge "$XFER_WHAT: it went over IPv6" "$(ctr_in "$XFER_STAT" Ip6 tx)" 1000
done
XFER_FAM=4

# --- nginx and curl -6 ------------------------------------------------------------
www=$LAB_TMP/www
mkdir -p "$www" "$LAB_TMP/ngx"
head -c 1048576 /dev/urandom >"$www/f1m"
head -c 20000000 /dev/urandom >"$www/f20m"
ngx_conf() { # ngx_conf LISTEN FILE
  cat >"$2" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid $LAB_TMP/ngx/$(basename "$2").pid;
events { worker_connections 128; }
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
ngx_conf "[::]:8080" "$LAB_TMP/u.conf"
ngx_conf "[$LAB_K6]:8081" "$LAB_TMP/k.conf"
bg "${UR[@]}" nginx -c "$LAB_TMP/u.conf" -e stderr 2>"$LAB_TMP/ngx-u.err"
upid=$BG_PID
wait_until 10 "$STAT" -p "$upid" || die "nginx under usock starts" "$(cat "$LAB_TMP/ngx-u.err")"
wait_until 10 kx curl -6 -sf -o /dev/null "http://[$LAB_U6]:8080/f1m" ||
  die "nginx under usock answers on [$LAB_U6]:8080" "$(cat "$LAB_TMP/ngx-u.err")"
for f in f1m f20m; do
  rm -f "$LAB_TMP/got"
  code=$(kx timeout 30 curl -6 -sS -o "$LAB_TMP/got" -w '%{http_code}' "http://[$LAB_U6]:8080/$f")
  check_eq "kernel curl -6 <- nginx under usock on [::]:8080: $f, HTTP $code, SHA-256 equal" \
    "$code $(sha_of "$LAB_TMP/got")" "200 $(sha_of "$www/$f")"
done
bg_stop "$upid"
check_eq "nginx under usock: nothing on stderr" "$(cat "$LAB_TMP/ngx-u.err")" ""
bg ip netns exec "$LAB_K" nginx -c "$LAB_TMP/k.conf" -e stderr
wait_until 10 tcp_listening "$LAB_K" 8081 || die "the kernel's nginx listens on [$LAB_K6]:8081"
for f in f1m f20m; do
  rm -f "$LAB_TMP/got"
  code=$("${UR[@]}" timeout 30 curl -6 -sS -o "$LAB_TMP/got" -w '%{http_code}' "http://[$LAB_K6]:8081/$f")
  check_eq "curl -6 under usock <- kernel nginx: $f, HTTP $code, SHA-256 equal" \
    "$code $(sha_of "$LAB_TMP/got")" "200 $(sha_of "$www/$f")"
done

# --- nc -6 under usock-run ---------------------------------------------------------
head -c 1000000 /dev/urandom >"$LAB_TMP/nc.in"
bg ip netns exec "$LAB_K" timeout 20 nc -6 -l -N "$LAB_K6" 7300 >"$LAB_TMP/nc.out"
kpid=$BG_PID
wait_until 10 tcp_listening "$LAB_K" 7300 || die "the kernel's nc -6 -l listens"
"${UR[@]}" timeout 20 nc -6 -N "$LAB_K6" 7300 <"$LAB_TMP/nc.in"
rc=$?
bg_wait 10 "$kpid"
check_eq "nc -6 under usock -> kernel nc -6 -l: exit 0" "$rc" 0
check_eq "nc -6: 1000000 bytes, SHA-256 equal" "$(sha_of "$LAB_TMP/nc.out")" "$(sha_of "$LAB_TMP/nc.in")"

lab_finish
