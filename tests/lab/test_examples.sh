#!/usr/bin/env bash
# test_examples: the README's two example programs against the kernel.
#  - apps/usock-http-get fetches files from Python's http.server in the
#    kernel's namespace, by address and by a name dnsmasq resolves over the
#    usock stack: the body arrives whole (SHA-256), a 404 exits 1.
#  - apps/usock-echo-server echoes to nc and socat from the kernel's side,
#    two clients at once, and exits 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
GET=$BUILD/apps/usock-http-get
ECHO=$BUILD/apps/usock-echo-server
[ -x "$GET" ] || die "$GET is built"
[ -x "$ECHO" ] || die "$ECHO is built"
command -v dnsmasq >/dev/null || die "dnsmasq is installed" "bash tests/deps.sh"
lab_make

www=$LAB_TMP/www
mkdir -p "$www"
head -c 3000000 /dev/urandom >"$www/big.bin"
echo "hello from the kernel's web server" >"$www/index.html"
bg ip netns exec "$LAB_K" /usr/bin/python3 -m http.server 8080 --bind "$LAB_KIP" \
  --directory "$www" 2>/dev/null
wait_until 10 tcp_listening "$LAB_K" 8080 || die "http.server listens on 8080"
bg ip netns exec "$LAB_K" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
  --no-hosts --user=root --bind-interfaces --listen-address="$LAB_KIP" --local=/lab.test/ \
  --host-record=www.lab.test,"$LAB_KIP" --pid-file=
wait_until 10 tcp_listening "$LAB_K" 53 || die "dnsmasq listens on 53"

uget() {
  ip netns exec "$LAB_U" env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" \
    USOCK_DNS="$LAB_KIP" timeout 30 "$GET" "$@"
}

uget "http://$LAB_KIP:8080/big.bin" >"$LAB_TMP/got" 2>"$LAB_TMP/err"
check_eq "usock-http-get by address exits 0" "$?" 0
check_eq "the 3 MB body arrives whole" "$(sha_of "$LAB_TMP/got")" "$(sha_of "$www/big.bin")"
uget "http://www.lab.test:8080/index.html" >"$LAB_TMP/got" 2>"$LAB_TMP/err"
check_eq "usock-http-get by name (DNS over usock) exits 0" "$?" 0
check_eq "the page by name" "$(cat "$LAB_TMP/got")" "hello from the kernel's web server"
uget "http://$LAB_KIP:8080/nothing-here" >"$LAB_TMP/got" 2>"$LAB_TMP/err"
check_eq "a 404 exits 1" "$?" 1
check_grep "and says why" "HTTP status 404" "$(cat "$LAB_TMP/err")"
uget "http://nosuch.lab.test:8080/" >"$LAB_TMP/got" 2>"$LAB_TMP/err"
check_eq "an unknown name exits 1" "$?" 1

bg ip netns exec "$LAB_U" env USOCK_IFACE="$LAB_UIF" USOCK_IPV4="$LAB_UIP/$LAB_PLEN" \
  "$ECHO" 7007 2>/dev/null
epid=$BG_PID
wait_until 10 kx nc -z -w 1 "$LAB_UIP" 7007 || die "usock-echo-server answers on 7007"
check_eq "nc gets its line back" \
  "$(echo "hello over usock" | kx timeout 10 nc -N "$LAB_UIP" 7007)" "hello over usock"
head -c 1000000 /dev/urandom >"$LAB_TMP/mb"
kx timeout 20 socat -t 5 - "TCP:$LAB_UIP:7007" <"$LAB_TMP/mb" >"$LAB_TMP/echo1" &
p1=$!
kx timeout 20 socat -t 5 - "TCP:$LAB_UIP:7007" <"$LAB_TMP/mb" >"$LAB_TMP/echo2" &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
check_eq "two clients at once: both exit 0" "$r1$r2" "00"
check_eq "the first client's megabyte comes back" "$(sha_of "$LAB_TMP/echo1")" "$(sha_of "$LAB_TMP/mb")"
check_eq "the second's too" "$(sha_of "$LAB_TMP/echo2")" "$(sha_of "$LAB_TMP/mb")"
kill -TERM "$epid" 2>/dev/null
bg_wait 10 "$epid"
check_eq "usock-echo-server exits 0 on SIGTERM" "$?" 0

lab_finish
