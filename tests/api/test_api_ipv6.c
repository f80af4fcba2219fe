/*
 * AF_INET6 through the public API against the kernel's IPv6 on the next
 * veth: TCP both ways, UDP, dual-stack listening (IPv4 peers v4-mapped),
 * IPV6_V6ONLY, bind conflicts across the families, link-local peers,
 * ICMPv6 port unreachable reaching a kernel socket and one of ours, and
 * the sockaddr_in6 every call gives back.
 */
#include <net/if.h>
#include <netinet/in.h>

#include "api_lab.h"

#define K6 "fd00::1"	/* kv0's address */
#define U6 "fd00::2"	/* usock's (USOCK_IPV6) */

/* The API lab with IPv6 on kv0 (no DAD: the address is usable at once) and USOCK_IPV6 set. */
static void
lab_up6(void)
{
	int rc;

	lab_up();
	rc = system("exec >/dev/null 2>&1; set -e;"
		    " sysctl -qw net.ipv6.conf.kv0.disable_ipv6=0;"
		    " sysctl -qw net.ipv6.conf.kv0.accept_dad=0;"
		    " ip addr add " K6 "/64 dev kv0 nodad");
	cr_assert_eq(rc, 0, "IPv6 on kv0 failed: %d", rc);
	setenv("USOCK_IPV6", U6 "/64", 1);
	cr_assert_eq(usock_init(NULL), 0, "usock_init: %s", strerror(errno));
}

static void
lab_down6(void)
{
	usock_fini();
	unsetenv("USOCK_IPV6");
}

TestSuite(api_ipv6, .init = lab_up6, .fini = lab_down6, .timeout = 60);

static struct sockaddr_in6
sin6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET6, ip, &a.sin6_addr), 1, "bad test address %s", ip);
	return a;
}

static const char *
ntop6(const struct sockaddr_in6 *a, char *buf)
{
	return inet_ntop(AF_INET6, &a->sin6_addr, buf, INET6_ADDRSTRLEN);
}

/* A kernel socket of type on [ip]:port (port 0: any), 5 s receive timeout; listening if TCP. */
static int
k6_at(int type, const char *ip, uint16_t port)
{
	struct sockaddr_in6 a = sin6(ip, port);
	struct timeval tv = { 5, 0 };
	int one = 1, k = socket(AF_INET6, type | SOCK_CLOEXEC, 0);

	cr_assert_geq(k, 0);
	setsockopt(k, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(setsockopt(k, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	cr_assert_eq(bind(k, SA(&a), sizeof(a)), 0, "kernel bind [%s]:%u: %s", ip, port,
		     strerror(errno));
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(k, 8), 0);
	return k;
}

static uint16_t
k6_port(int k)
{
	struct sockaddr_in6 a;
	socklen_t l = sizeof(a);

	cr_assert_eq(getsockname(k, SA(&a), &l), 0);
	return ntohs(a.sin6_port);
}

/* A usock AF_INET6 socket, 5 s timeout, IPV6_V6ONLY as given (-1: left at the default). */
static int
u6(int type, int v6only)
{
	int s = usock_socket(USOCK_AF_INET6, type, 0);

	cr_assert_geq(s, 0, "usock_socket(AF_INET6): %s", strerror(errno));
	cr_assert_eq(usock_settimeout(s, 5.0), 0);
	if (v6only >= 0)
		expect_ret(usock_setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)),
			   0);
	return s;
}

/* Sends len patterned bytes on one side and checks every byte on the other. */
static void
stream_check(int from_usock, int us, int k, size_t len, unsigned seed)
{
	static uint8_t out[256 * 1024], in[256 * 1024];
	size_t got = 0;

	cr_assert_leq(len, sizeof(out));
	fill(out, len, seed);
	if (from_usock)
		expect_ret(usock_sendall(us, out, len), len);
	else
		cr_assert_eq(send(k, out, len, 0), (ssize_t)len);
	while (got < len) {
		ssize_t n = from_usock ? recv(k, in + got, len - got, 0)
				       : usock_recv(us, in + got, len - got, 0);

		cr_assert_gt(n, 0, "recv after %zu of %zu bytes: %s", got, len, strerror(errno));
		got += (size_t)n;
	}
	cr_assert_eq(memcmp(in, out, len), 0, "bytes differ");
}

Test(api_ipv6, tcp_connect_to_the_kernel_and_both_names)
{
	int k = k6_at(SOCK_STREAM, K6, 0), s = u6(USOCK_SOCK_STREAM, -1), a;
	struct sockaddr_in6 to = sin6(K6, k6_port(k)), name;
	socklen_t l = sizeof(name);
	char buf[INET6_ADDRSTRLEN];

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	a = accept(k, NULL, NULL);
	cr_assert_geq(a, 0, "kernel accept: %s", strerror(errno));
	expect_ret(usock_getsockname(s, SA(&name), &l), 0);
	cr_assert_eq(l, sizeof(name));
	cr_assert_eq(name.sin6_family, AF_INET6);
	cr_assert_str_eq(ntop6(&name, buf), U6);
	cr_assert_neq(name.sin6_port, 0);
	l = sizeof(name);
	expect_ret(usock_getpeername(s, SA(&name), &l), 0);
	cr_assert_str_eq(ntop6(&name, buf), K6);
	cr_assert_eq(ntohs(name.sin6_port), k6_port(k));
	stream_check(1, s, a, 200000, 1);
	stream_check(0, s, a, 200000, 2);
	close(a);
	close(k);
	expect_ret(usock_close(s), 0);
}

Test(api_ipv6, kernel_connects_to_a_v6_listener)
{
	int l6 = u6(USOCK_SOCK_STREAM, 1), c, k = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 at = sin6("::", 7007), to = sin6(U6, 7007), peer;
	socklen_t pl = sizeof(peer);
	char buf[INET6_ADDRSTRLEN];

	expect_ret(usock_bind(l6, SA(&at), sizeof(at)), 0);
	expect_ret(usock_listen(l6, 4), 0);
	cr_assert_eq(connect(k, SA(&to), sizeof(to)), 0, "kernel connect: %s", strerror(errno));
	c = usock_accept(l6, SA(&peer), &pl);
	cr_assert_geq(c, 0, "accept: %s", strerror(errno));
	cr_assert_eq(pl, sizeof(peer));
	cr_assert_eq(peer.sin6_family, AF_INET6);
	cr_assert_str_eq(ntop6(&peer, buf), K6);
	stream_check(0, c, k, 100000, 3);
	stream_check(1, c, k, 100000, 4);
	close(k);
	expect_ret(usock_close(c), 0);
	expect_ret(usock_close(l6), 0);
}

Test(api_ipv6, dual_stack_listener_takes_both_families)
{
	int l6 = u6(USOCK_SOCK_STREAM, 0), c4, c6;
	int k4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int k6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 at = sin6("::", 7008), to6 = sin6(U6, 7008), peer;
	struct sockaddr_in to4 = sin4(LAB_USOCK_IP, 7008);
	socklen_t pl = sizeof(peer);
	char buf[INET6_ADDRSTRLEN];

	expect_ret(usock_bind(l6, SA(&at), sizeof(at)), 0);
	expect_ret(usock_listen(l6, 4), 0);
	cr_assert_eq(connect(k4, SA(&to4), sizeof(to4)), 0, "v4 connect: %s", strerror(errno));
	c4 = usock_accept(l6, SA(&peer), &pl);
	cr_assert_geq(c4, 0, "accept v4: %s", strerror(errno));
	cr_assert_eq(peer.sin6_family, AF_INET6);
	cr_assert_str_eq(ntop6(&peer, buf), "::ffff:" LAB_KERNEL_IP, "v4 peer shown v4-mapped");
	pl = sizeof(peer);
	expect_ret(usock_getsockname(c4, SA(&peer), &pl), 0);
	cr_assert_str_eq(ntop6(&peer, buf), "::ffff:" LAB_USOCK_IP);
	cr_assert_eq(connect(k6, SA(&to6), sizeof(to6)), 0, "v6 connect: %s", strerror(errno));
	pl = sizeof(peer);
	c6 = usock_accept(l6, SA(&peer), &pl);
	cr_assert_geq(c6, 0, "accept v6: %s", strerror(errno));
	cr_assert_str_eq(ntop6(&peer, buf), K6);
	stream_check(1, c4, k4, 50000, 5);
	stream_check(1, c6, k6, 50000, 6);
	close(k4);
	close(k6);
	usock_close(c4);
	usock_close(c6);
	usock_close(l6);
}

Test(api_ipv6, v6only_listener_refuses_ipv4_and_shares_the_port_with_af_inet)
{
	int l6 = u6(USOCK_SOCK_STREAM, 1), l4 = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
	int k4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), v = -1;
	struct sockaddr_in6 at = sin6("::", 7009);
	struct sockaddr_in at4 = sin4("0.0.0.0", 7009), to4 = sin4(LAB_USOCK_IP, 7009);
	socklen_t vl = sizeof(v);

	expect_ret(usock_getsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl), 0);
	cr_assert_eq(v, 1);
	expect_ret(usock_bind(l6, SA(&at), sizeof(at)), 0);
	expect_ret(usock_listen(l6, 4), 0);
	/* Nothing takes IPv4 on 7009 yet: the kernel's connect is reset. */
	cr_assert_eq(connect(k4, SA(&to4), sizeof(to4)), -1);
	cr_assert_eq(errno, ECONNREFUSED, "v4 connect: %s", strerror(errno));
	close(k4);
	/* IPV6_V6ONLY left IPv4 free for an AF_INET socket on the same port. */
	expect_ret(usock_bind(l4, SA(&at4), sizeof(at4)), 0);
	expect_ret(usock_listen(l4, 4), 0);
	k4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(k4, SA(&to4), sizeof(to4)), 0, "v4 connect: %s", strerror(errno));
	v = usock_accept(l4, NULL, NULL);
	cr_assert_geq(v, 0);
	close(k4);
	usock_close(v);
	usock_close(l4);
	usock_close(l6);
}

Test(api_ipv6, bind_conflicts_across_families)
{
	int a4 = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0), d = u6(USOCK_SOCK_DGRAM, 0);
	int o = u6(USOCK_SOCK_DGRAM, 1), m = u6(USOCK_SOCK_DGRAM, -1), one = 1;
	struct sockaddr_in at4 = sin4("0.0.0.0", 7010);
	struct sockaddr_in6 any = sin6("::", 7010), mapped = sin6("::ffff:" LAB_USOCK_IP, 7011);
	struct sockaddr_in6 foreign = sin6("fd00::77", 7012);

	expect_ret(usock_bind(a4, SA(&at4), sizeof(at4)), 0);
	/* A dual-stack wildcard would take IPv4 on a port an AF_INET socket has. */
	expect_fail(usock_bind(d, SA(&any), sizeof(any)), EADDRINUSE);
	expect_ret(usock_bind(o, SA(&any), sizeof(any)), 0);
	/* IPV6_V6ONLY is fixed once bound. */
	expect_fail(usock_setsockopt(o, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), EINVAL);
	/* v4-mapped binds speak IPv4: our IPv4 address is fine, on a V6ONLY socket not. */
	expect_ret(usock_bind(m, SA(&mapped), sizeof(mapped)), 0);
	expect_fail(usock_bind(d, SA(&foreign), sizeof(foreign)), EADDRNOTAVAIL);
	/*
	 * An AF_INET socket takes no sockaddr_in6, an AF_INET6 socket's bind no
	 * sockaddr_in (as Linux: too short, EINVAL; long enough, EAFNOSUPPORT).
	 */
	at4.sin_port = htons(7013);
	expect_fail(usock_bind(d, SA(&at4), sizeof(at4)), EINVAL);
	{
		struct sockaddr_in6 big;

		memset(&big, 0, sizeof(big));
		memcpy(&big, &at4, sizeof(at4));
		expect_fail(usock_bind(d, SA(&big), sizeof(big)), EAFNOSUPPORT);
	}
	usock_close(a4);
	a4 = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	any.sin6_port = htons(7014);
	expect_fail(usock_bind(a4, SA(&any), sizeof(any)), EAFNOSUPPORT);
	/* A raw socket stays IPv4's. */
	expect_fail(usock_socket(USOCK_AF_INET6, USOCK_SOCK_RAW, 58), EAFNOSUPPORT);
	/* IPv6 options belong to AF_INET6 sockets. */
	expect_fail(usock_setsockopt(a4, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)),
		    ENOPROTOOPT);
	usock_close(a4);
	usock_close(d);
	usock_close(o);
	usock_close(m);
}

Test(api_ipv6, udp_both_ways_with_v6_sockaddrs)
{
	int k = k6_at(SOCK_DGRAM, K6, 0), s = u6(USOCK_SOCK_DGRAM, -1);
	struct sockaddr_in6 at = sin6("::", 7020), to = sin6(K6, k6_port(k)), from;
	struct sockaddr_in6 us = sin6(U6, 7020);
	socklen_t fl = sizeof(from);
	char buf[2048], txt[INET6_ADDRSTRLEN];
	uint8_t big[1400];

	expect_ret(usock_bind(s, SA(&at), sizeof(at)), 0);
	expect_ret(usock_sendto(s, "ping6", 5, 0, SA(&to), sizeof(to)), 5);
	cr_assert_eq(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 5, "kernel recv: %s",
		     strerror(errno));
	cr_assert_str_eq(ntop6(&from, txt), U6);
	cr_assert_eq(ntohs(from.sin6_port), 7020);
	fill(big, sizeof(big), 9);
	cr_assert_eq(sendto(k, big, sizeof(big), 0, SA(&us), sizeof(us)), (ssize_t)sizeof(big));
	fl = sizeof(from);
	expect_ret(usock_recvfrom(s, buf, sizeof(buf), 0, SA(&from), &fl), sizeof(big));
	cr_assert_eq(memcmp(buf, big, sizeof(big)), 0);
	cr_assert_eq(fl, sizeof(from));
	cr_assert_eq(from.sin6_family, AF_INET6);
	cr_assert_str_eq(ntop6(&from, txt), K6);
	cr_assert_eq(ntohs(from.sin6_port), k6_port(k));
	close(k);
	usock_close(s);
}

Test(api_ipv6, a_datagram_larger_than_the_mtu_is_fragmented_both_ways)
{
	int k = k6_at(SOCK_DGRAM, K6, 0), s = u6(USOCK_SOCK_DGRAM, -1);
	struct sockaddr_in6 at = sin6("::", 7021), to = sin6(K6, k6_port(k)), us = sin6(U6, 7021);
	static uint8_t out[20000], in[20000];

	expect_ret(usock_bind(s, SA(&at), sizeof(at)), 0);
	fill(out, sizeof(out), 11);
	expect_ret(usock_sendto(s, out, sizeof(out), 0, SA(&to), sizeof(to)), sizeof(out));
	cr_assert_eq(recv(k, in, sizeof(in), 0), (ssize_t)sizeof(out), "kernel recv: %s",
		     strerror(errno));
	cr_assert_eq(memcmp(in, out, sizeof(out)), 0);
	fill(out, sizeof(out), 12);
	cr_assert_eq(sendto(k, out, sizeof(out), 0, SA(&us), sizeof(us)), (ssize_t)sizeof(out));
	memset(in, 0, sizeof(in));
	expect_ret(usock_recv(s, in, sizeof(in), 0), sizeof(out));
	cr_assert_eq(memcmp(in, out, sizeof(out)), 0);
	close(k);
	usock_close(s);
}

Test(api_ipv6, port_unreachable_both_ways)
{
	int k = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), s = u6(USOCK_SOCK_DGRAM, -1);
	struct sockaddr_in6 closed_u = sin6(U6, 7999), closed_k = sin6(K6, 7998);
	struct timeval tv = { 5, 0 };
	char buf[16];

	/* The kernel's connected socket hears our ICMPv6 port unreachable. */
	cr_assert_eq(setsockopt(k, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	cr_assert_eq(connect(k, SA(&closed_u), sizeof(closed_u)), 0);
	cr_assert_eq(send(k, "x", 1, 0), 1);
	cr_assert_eq(recv(k, buf, sizeof(buf), 0), -1);
	cr_assert_eq(errno, ECONNREFUSED, "kernel: %s", strerror(errno));
	/* And ours hears the kernel's. */
	expect_ret(usock_connect(s, SA(&closed_k), sizeof(closed_k)), 0);
	expect_ret(usock_send(s, "y", 1, 0), 1);
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), ECONNREFUSED);
	close(k);
	usock_close(s);
}

Test(api_ipv6, tcp_to_the_kernels_link_local_address)
{
	int k = k6_at(SOCK_STREAM, "::", 0), s = u6(USOCK_SOCK_STREAM, -1), a;
	struct sockaddr_in6 to, name;
	socklen_t l = sizeof(name);
	char ll[INET6_ADDRSTRLEN] = "", cmd[256], buf[INET6_ADDRSTRLEN];
	FILE *f;

	/* kv0's fe80:: address, which the kernel made from its MAC. */
	snprintf(cmd, sizeof(cmd),
		 "ip -6 -o addr show dev kv0 scope link | awk '{print $4}' | cut -d/ -f1");
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(ll, sizeof(ll), f), "kv0 has no link-local address");
	pclose(f);
	ll[strcspn(ll, "\n")] = '\0';
	to = sin6(ll, k6_port(k));
	to.sin6_scope_id = if_nametoindex("kv0");
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	a = accept(k, NULL, NULL);
	cr_assert_geq(a, 0);
	expect_ret(usock_getsockname(s, SA(&name), &l), 0);
	/* Our own link-local address talks to a link-local peer (RFC 6724 rule 2). */
	cr_assert(IN6_IS_ADDR_LINKLOCAL(&name.sin6_addr), "source %s", ntop6(&name, buf));
	stream_check(1, s, a, 10000, 13);
	close(a);
	close(k);
	usock_close(s);
}

Test(api_ipv6, getaddrinfo_gives_v6_sockaddrs)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *res;
	struct sockaddr_in6 *a;
	char buf[INET6_ADDRSTRLEN];
	int s;

	cr_assert_eq(usock_getaddrinfo(K6, "80", &hints, &res), 0);
	cr_assert_eq(res->ai_family, AF_INET6);
	cr_assert_eq(res->ai_addrlen, sizeof(*a));
	a = (struct sockaddr_in6 *)res->ai_addr;
	cr_assert_str_eq(ntop6(a, buf), K6);
	cr_assert_eq(ntohs(a->sin6_port), 80);
	/* The result feeds socket/connect as it is: here, a closed port. */
	s = usock_socket(res->ai_family, res->ai_socktype, res->ai_protocol);
	cr_assert_geq(s, 0);
	usock_settimeout(s, 5.0);
	expect_fail(usock_connect(s, res->ai_addr, res->ai_addrlen), ECONNREFUSED);
	usock_close(s);
	usock_freeaddrinfo(res);
}

Test(api_ipv6, unreachable_destinations_fail_cleanly)
{
	int s = u6(USOCK_SOCK_STREAM, -1), d = u6(USOCK_SOCK_DGRAM, 1);
	struct sockaddr_in6 off = sin6("fd01::1", 80), mapped = sin6("::ffff:198.18.0.1", 9);

	/* No router advertised a default route: nothing off the link is reachable. */
	expect_fail(usock_connect(s, SA(&off), sizeof(off)), ENETUNREACH);
	/* A V6ONLY socket cannot reach an IPv4 peer through a v4-mapped address. */
	expect_fail(usock_sendto(d, "x", 1, 0, SA(&mapped), sizeof(mapped)), ENETUNREACH);
	usock_close(s);
	usock_close(d);
}
