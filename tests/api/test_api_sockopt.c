/*
 * test_api_sockopt.c - usock_setsockopt/usock_getsockopt on UDP sockets
 * against the Linux kernel in a private namespace (api_lab.h): options at
 * the seed's level (USOCK_SOL_SOCKET) and the host's, their effect on the
 * wire as the kernel sees it, and the error for each bad argument.
 */
#include <netinet/ip.h>
#include <sys/uio.h>

#include "api_lab.h"

TestSuite(api_sockopt, .init = lab_up);

static int
get_int(int s, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof(v);

	cr_assert_eq(usock_getsockopt(s, level, name, &v, &l), 0, "getsockopt(%d, %d): %s", level,
		     name, strerror(errno));
	cr_assert_eq(l, sizeof(int));
	return v;
}

static void
set_int(int s, int level, int name, int v)
{
	cr_assert_eq(usock_setsockopt(s, level, name, &v, sizeof(v)), 0,
		     "setsockopt(%d, %d, %d): %s", level, name, v, strerror(errno));
}

/* Two sockets with SO_REUSEADDR set at (level, name) both bind port; both get datagrams. */
static void
two_share_a_port(int level, int name, uint16_t port)
{
	struct sockaddr_in a = sin4("0.0.0.0", port);
	int s = u_udp(0), t = u_udp(0), u = u_udp(0);

	cr_assert_eq(get_int(s, level, name), 0, "SO_REUSEADDR is off by default");
	set_int(s, level, name, 1);
	set_int(t, level, name, 1);
	cr_assert_neq(get_int(s, level, name), 0);
	expect_ret(usock_bind(s, SA(&a), sizeof(a)), 0);
	expect_ret(usock_bind(t, SA(&a), sizeof(a)), 0);
	cr_assert_eq(u_port(s), port);
	cr_assert_eq(u_port(t), port);
	/* A third socket without the option is still refused. */
	expect_fail(usock_bind(u, SA(&a), sizeof(a)), EADDRINUSE);
	/* Turning it off again is seen by getsockopt. */
	set_int(u, level, name, 1);
	set_int(u, level, name, 0);
	cr_assert_eq(get_int(u, level, name), 0);
}

Test(api_sockopt, reuseaddr_at_the_seeds_level_lets_two_sockets_bind_one_port)
{
	two_share_a_port(USOCK_SOL_SOCKET, USOCK_SO_REUSEADDR, 6100);
}

Test(api_sockopt, reuseaddr_at_the_hosts_level_lets_two_sockets_bind_one_port)
{
	two_share_a_port(SOL_SOCKET, SO_REUSEADDR, 6101);
}

Test(api_sockopt, reuseaddr_set_at_one_level_reads_back_at_the_other)
{
	int s = u_udp(0);

	set_int(s, USOCK_SOL_SOCKET, USOCK_SO_REUSEADDR, 1);
	cr_assert_neq(get_int(s, SOL_SOCKET, SO_REUSEADDR), 0);
	set_int(s, SOL_SOCKET, SO_REUSEADDR, 0);
	cr_assert_eq(get_int(s, USOCK_SOL_SOCKET, USOCK_SO_REUSEADDR), 0);
}

Test(api_sockopt, reuseaddr_on_only_one_socket_still_fails_with_eaddrinuse)
{
	struct sockaddr_in a = sin4("0.0.0.0", 6102);
	int s = u_udp(0), t = u_udp(0);

	set_int(s, SOL_SOCKET, SO_REUSEADDR, 1);
	expect_ret(usock_bind(s, SA(&a), sizeof(a)), 0);
	expect_fail(usock_bind(t, SA(&a), sizeof(a)), EADDRINUSE);
}

Test(api_sockopt, broadcast_off_makes_sendto_broadcast_fail_with_eacces)
{
	struct sockaddr_in b = sin4(LAB_BCAST_IP, 7100), all = sin4("255.255.255.255", 7100);
	int s = u_udp(6103);

	cr_assert_eq(get_int(s, SOL_SOCKET, SO_BROADCAST), 0, "SO_BROADCAST is off by default");
	expect_fail(usock_sendto(s, "b", 1, 0, SA(&b), sizeof(b)), EACCES);
	expect_fail(usock_sendto(s, "b", 1, 0, SA(&all), sizeof(all)), EACCES);
	expect_fail(usock_connect(s, SA(&b), sizeof(b)), EACCES);
}

Test(api_sockopt, broadcast_on_sends_to_the_subnet_broadcast_the_kernel_receives)
{
	struct sockaddr_in b = sin4(LAB_BCAST_IP, 7101), from;
	socklen_t fl = sizeof(from);
	char buf[32];
	int k = k_udp_at("0.0.0.0", 7101), s = u_udp(6104);

	set_int(s, SOL_SOCKET, SO_BROADCAST, 1);
	cr_assert_neq(get_int(s, SOL_SOCKET, SO_BROADCAST), 0);
	expect_ret(usock_sendto(s, "to everyone", 11, 0, SA(&b), sizeof(b)), 11);
	expect_ret(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 11);
	cr_assert_eq(memcmp(buf, "to everyone", 11), 0);
	cr_assert_eq(from.sin_addr.s_addr, sin4(LAB_USOCK_IP, 0).sin_addr.s_addr);
	cr_assert_eq(ntohs(from.sin_port), 6104);
	/* Off again: refused again. */
	set_int(s, SOL_SOCKET, SO_BROADCAST, 0);
	expect_fail(usock_sendto(s, "b", 1, 0, SA(&b), sizeof(b)), EACCES);
}

Test(api_sockopt, rcvbuf_and_sndbuf_read_back_as_linux_reports_them)
{
	static const int vals[] = {0, 1, 1000, 1500, 2000, 2304, 4608, 50000, 65536, 100000};
	int k = socket(AF_INET, SOCK_DGRAM, 0), s = u_udp(0);
	unsigned i;

	cr_assert_geq(k, 0);
	/* Defaults first: the kernel's UDP defaults in a fresh namespace. */
	cr_assert_eq(get_int(s, SOL_SOCKET, SO_RCVBUF), 212992);
	cr_assert_eq(get_int(s, SOL_SOCKET, SO_SNDBUF), 212992);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		int kv, opt;

		for (opt = 0; opt < 2; opt++) {
			int name = opt ? SO_SNDBUF : SO_RCVBUF;
			socklen_t l = sizeof(kv);

			cr_assert_eq(setsockopt(k, SOL_SOCKET, name, &vals[i], sizeof(int)), 0);
			cr_assert_eq(getsockopt(k, SOL_SOCKET, name, &kv, &l), 0);
			set_int(s, SOL_SOCKET, name, vals[i]);
			cr_assert_eq(get_int(s, SOL_SOCKET, name), kv,
				     "%s=%d: usock reports %d, Linux %d",
				     opt ? "SO_SNDBUF" : "SO_RCVBUF", vals[i],
				     get_int(s, SOL_SOCKET, name), kv);
		}
	}
	close(k);
}

Test(api_sockopt, small_rcvbuf_drops_datagrams_that_do_not_fit)
{
	char buf[1000];
	int k = k_udp(7102), s = u_udp(6105), i, got = 0;

	set_int(s, SOL_SOCKET, SO_RCVBUF, 1);
	memset(buf, 'r', sizeof(buf));
	for (i = 0; i < 20; i++)
		k_send_to_usock(k, buf, sizeof(buf), 6105);
	/* A marker after them on a second socket tells when the burst has been handled. */
	{
		int m = u_udp(6106);

		k_send_to_usock(k, "m", 1, 6106);
		expect_ret(usock_recv(m, buf, sizeof(buf), 0), 1);
	}
	expect_ret(usock_settimeout(s, 0), 0);
	while (usock_recv(s, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf))
		got++;
	cr_assert_eq(errno, EAGAIN);
	cr_assert_geq(got, 1, "a small buffer still takes one datagram");
	cr_assert_lt(got, 20, "SO_RCVBUF of 2304 bytes held %d datagrams of 1000", got);
}

Test(api_sockopt, so_error_reports_an_icmp_error_once_and_clears_it)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7103);
	struct pollfd pf = {.events = POLLIN};
	char buf[8];
	int s = u_udp(6107);

	cr_assert_eq(get_int(s, SOL_SOCKET, SO_ERROR), 0);
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(usock_send(s, "x", 1, 0), 1);
	pf.fd = s;
	expect_ret(usock_poll(&pf, 1, 3000), 1);
	cr_assert(pf.revents & POLLERR);
	cr_assert_eq(get_int(s, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	cr_assert_eq(get_int(s, SOL_SOCKET, SO_ERROR), 0, "SO_ERROR was not cleared by reading");
	/* Cleared for the data calls too, and for poll. */
	pf.revents = 0;
	expect_ret(usock_poll(&pf, 1, 0), 0);
	expect_ret(usock_settimeout(s, 0), 0);
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EAGAIN);
	/* SO_ERROR is read-only. */
	expect_fail(usock_setsockopt(s, SOL_SOCKET, SO_ERROR, &(int){0}, sizeof(int)), ENOPROTOOPT);
}

Test(api_sockopt, so_type_is_sock_dgram)
{
	int s = u_udp(0);

	cr_assert_eq(get_int(s, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	expect_fail(usock_setsockopt(s, SOL_SOCKET, SO_TYPE, &(int){1}, sizeof(int)), ENOPROTOOPT);
}

/* Receives one datagram on k and returns the IP TTL and TOS it arrived with. */
static void
k_recv_ttl_tos(int k, int *ttl, int *tos)
{
	union {
		char buf[256];
		struct cmsghdr align;
	} cbuf;
	char data[64];
	struct iovec iov = {data, sizeof(data)};
	struct msghdr mh;
	struct cmsghdr *c;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	*ttl = *tos = -1;
	cr_assert_geq(recvmsg(k, &mh, 0), 0, "kernel recvmsg: %s", strerror(errno));
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
			memcpy(ttl, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			*tos = *(unsigned char *)CMSG_DATA(c);
	}
	cr_assert_neq(*ttl, -1, "no IP_TTL control message");
	cr_assert_neq(*tos, -1, "no IP_TOS control message");
}

Test(api_sockopt, ip_ttl_round_trips_and_is_the_ttl_the_kernel_receives)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7104);
	int k = k_udp(7104), s = u_udp(6108), ttl, tos;

	cr_assert_eq(setsockopt(k, IPPROTO_IP, IP_RECVTTL, &(int){1}, sizeof(int)), 0);
	cr_assert_eq(setsockopt(k, IPPROTO_IP, IP_RECVTOS, &(int){1}, sizeof(int)), 0);
	cr_assert_eq(get_int(s, IPPROTO_IP, IP_TTL), 64, "default TTL");
	expect_ret(usock_sendto(s, "d", 1, 0, SA(&to), sizeof(to)), 1);
	k_recv_ttl_tos(k, &ttl, &tos);
	cr_assert_eq(ttl, 64);
	set_int(s, IPPROTO_IP, IP_TTL, 7);
	cr_assert_eq(get_int(s, IPPROTO_IP, IP_TTL), 7);
	expect_ret(usock_sendto(s, "t", 1, 0, SA(&to), sizeof(to)), 1);
	k_recv_ttl_tos(k, &ttl, &tos);
	cr_assert_eq(ttl, 7);
	/* As Linux: -1 restores the default; 0 and above 255 are refused. */
	set_int(s, IPPROTO_IP, IP_TTL, -1);
	cr_assert_eq(get_int(s, IPPROTO_IP, IP_TTL), 64);
	expect_fail(usock_setsockopt(s, IPPROTO_IP, IP_TTL, &(int){0}, sizeof(int)), EINVAL);
	expect_fail(usock_setsockopt(s, IPPROTO_IP, IP_TTL, &(int){256}, sizeof(int)), EINVAL);
	cr_assert_eq(get_int(s, IPPROTO_IP, IP_TTL), 64);
	/* A one-byte value is taken too (the seed's bytes value; Linux does the same). */
	expect_ret(usock_setsockopt(s, IPPROTO_IP, IP_TTL, &(unsigned char){9}, 1), 0);
	cr_assert_eq(get_int(s, IPPROTO_IP, IP_TTL), 9);
}

Test(api_sockopt, ip_tos_round_trips_and_is_the_tos_the_kernel_receives)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7105);
	int k = k_udp(7105), s = u_udp(6109), ttl, tos;

	cr_assert_eq(setsockopt(k, IPPROTO_IP, IP_RECVTTL, &(int){1}, sizeof(int)), 0);
	cr_assert_eq(setsockopt(k, IPPROTO_IP, IP_RECVTOS, &(int){1}, sizeof(int)), 0);
	cr_assert_eq(get_int(s, IPPROTO_IP, IP_TOS), 0, "default TOS");
	set_int(s, IPPROTO_IP, IP_TOS, 0xb8);
	cr_assert_eq(get_int(s, IPPROTO_IP, IP_TOS), 0xb8);
	expect_ret(usock_sendto(s, "q", 1, 0, SA(&to), sizeof(to)), 1);
	k_recv_ttl_tos(k, &ttl, &tos);
	cr_assert_eq(tos, 0xb8, "TOS on the wire 0x%x", tos);
	cr_assert_eq(ttl, 64);
	set_int(s, IPPROTO_IP, IP_TOS, 0x20);
	expect_ret(usock_sendto(s, "q", 1, 0, SA(&to), sizeof(to)), 1);
	k_recv_ttl_tos(k, &ttl, &tos);
	cr_assert_eq(tos, 0x20, "TOS on the wire 0x%x", tos);
}

Test(api_sockopt, unknown_option_or_level_fails_with_enoprotoopt)
{
	int v = 1, s = u_udp(0);
	socklen_t l = sizeof(v);

	expect_fail(usock_setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
	expect_fail(usock_setsockopt(s, USOCK_SOL_SOCKET, 0x7777, &v, sizeof(v)), ENOPROTOOPT);
	expect_fail(usock_setsockopt(s, IPPROTO_IP, 9999, &v, sizeof(v)), ENOPROTOOPT);
	expect_fail(usock_setsockopt(s, 12345, 1, &v, sizeof(v)), ENOPROTOOPT);
	expect_fail(usock_getsockopt(s, SOL_SOCKET, 9999, &v, &l), ENOPROTOOPT);
	expect_fail(usock_getsockopt(s, USOCK_SOL_SOCKET, 0x7777, &v, &l), ENOPROTOOPT);
	expect_fail(usock_getsockopt(s, IPPROTO_IP, 9999, &v, &l), ENOPROTOOPT);
	expect_fail(usock_getsockopt(s, 12345, 1, &v, &l), ENOPROTOOPT);
}

Test(api_sockopt, wrong_length_or_null_value_fails_with_einval)
{
	int v = 1, s = u_udp(0);
	socklen_t l;

	expect_fail(usock_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 0), EINVAL);
	expect_fail(usock_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
	expect_fail(usock_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 3), EINVAL);
	expect_fail(usock_setsockopt(s, IPPROTO_IP, IP_TTL, &v, 0), EINVAL);
	expect_fail(usock_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, NULL, sizeof(int)), EINVAL);
	cr_assert_eq(get_int(s, SOL_SOCKET, SO_REUSEADDR), 0, "a refused set changed the option");
	expect_fail(usock_getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, NULL), EINVAL);
	l = sizeof(v);
	expect_fail(usock_getsockopt(s, SOL_SOCKET, SO_REUSEADDR, NULL, &l), EINVAL);
	l = (socklen_t)-1;
	expect_fail(usock_getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &l), EINVAL);
}

Test(api_sockopt, an_int_inside_a_longer_value_is_taken_as_linux_does)
{
	long long big = 1;
	int s = u_udp(0);

	/* Linux reads the first int of a value longer than one (setsockopt(2) on SOL_SOCKET). */
	expect_ret(usock_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &big, sizeof(big)), 0);
	cr_assert_neq(get_int(s, SOL_SOCKET, SO_REUSEADDR), 0);
}

Test(api_sockopt, getsockopt_with_short_length_copies_the_first_bytes)
{
	unsigned char b[4] = {0xa5, 0xa5, 0xa5, 0xa5};
	socklen_t l = 1;
	int s = u_udp(0);

	expect_ret(usock_getsockopt(s, SOL_SOCKET, SO_TYPE, b, &l), 0);
	cr_assert_eq(l, 1);
	cr_assert_eq(b[0], SOCK_DGRAM);
	cr_assert_eq(b[1], 0xa5, "wrote past the length given");
}

Test(api_sockopt, options_on_a_bad_descriptor_fail_with_ebadf)
{
	int v = 1;
	socklen_t l = sizeof(v);

	expect_fail(usock_setsockopt(-1, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EBADF);
	expect_fail(usock_getsockopt(-1, SOL_SOCKET, SO_REUSEADDR, &v, &l), EBADF);
	expect_fail(usock_setsockopt(0, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EBADF);
	expect_fail(usock_getsockopt(0, SOL_SOCKET, SO_REUSEADDR, &v, &l), EBADF);
}
