/*
 * test_api_udp.c - the public API on UDP sockets against the Linux kernel
 * in a private namespace (api_lab.h): socket creation and descriptors,
 * bind and names, datagrams both ways (fragmented too), the read/write
 * family on datagrams, bad arguments, close, ICMP errors, connect,
 * getpeername and shutdown.  Only <usock.h> on the usock side.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "usock_build_config.h"
#include "api_lab.h"

TestSuite(api_socket, .init = lab_up);
TestSuite(api_bind, .init = lab_up);
TestSuite(api_udp_io, .init = lab_up);
TestSuite(api_args, .init = lab_up);
TestSuite(api_close, .init = lab_up);
TestSuite(api_udp_icmp, .init = lab_up);
TestSuite(api_connect, .init = lab_up);

/* ---- usock_socket ---- */

Test(api_socket, inet_dgram_with_protocol_0_or_udp_is_created)
{
	int a, b, c;

	a = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	cr_assert_geq(a, 0, "proto 0: %s", strerror(errno));
	b = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, USOCK_IPPROTO_UDP);
	cr_assert_geq(b, 0, "proto 17: %s", strerror(errno));
	/* The host's constants are the same numbers and work unchanged. */
	c = usock_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	cr_assert_geq(c, 0, "host constants: %s", strerror(errno));
	cr_assert_neq(a, b);
	cr_assert_neq(b, c);
	cr_assert_neq(a, c);
	expect_ret(usock_close(a), 0);
	expect_ret(usock_close(b), 0);
	expect_ret(usock_close(c), 0);
}

Test(api_socket, unknown_family_fails_with_eafnosupport)
{
	expect_fail(usock_socket(12345, USOCK_SOCK_DGRAM, 0), EAFNOSUPPORT);
	expect_fail(usock_socket(AF_UNIX, USOCK_SOCK_DGRAM, 0), EAFNOSUPPORT);
	expect_fail(usock_socket(-1, USOCK_SOCK_DGRAM, 0), EAFNOSUPPORT);
}

#if US_HAVE_IPV6
Test(api_socket, inet6_without_ipv6_reaches_ipv4_through_v4_mapped_addresses)
{
	int k = k_udp(0), s = usock_socket(USOCK_AF_INET6, USOCK_SOCK_DGRAM, 0);
	struct sockaddr_in6 to, v6;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[16];

	/* USOCK_IPV6 is unset here: no IPv6, but AF_INET6 sockets work for IPv4 peers. */
	cr_assert_geq(s, 0, "usock_socket(AF_INET6): %s", strerror(errno));
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_port = htons(k_port(k));
	cr_assert_eq(inet_pton(AF_INET6, "::ffff:" LAB_KERNEL_IP, &to.sin6_addr), 1);
	expect_ret(usock_sendto(s, "v4m", 3, 0, SA(&to), sizeof(to)), 3);
	cr_assert_eq(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 3);
	cr_assert_eq(memcmp(buf, "v4m", 3), 0);
	cr_assert_eq(from.sin_addr.s_addr, sin4(LAB_USOCK_IP, 0).sin_addr.s_addr);
	v6 = to;
	cr_assert_eq(inet_pton(AF_INET6, "fd00::1", &v6.sin6_addr), 1);
	expect_fail(usock_sendto(s, "v6", 2, 0, SA(&v6), sizeof(v6)), ENETUNREACH);
	expect_fail(usock_socket(USOCK_AF_INET6, USOCK_SOCK_RAW, 1), EAFNOSUPPORT);
	close(k);
	usock_close(s);
}
#else
Test(api_socket, inet6_fails_with_eafnosupport_in_a_build_without_ipv6)
{
	expect_fail(usock_socket(USOCK_AF_INET6, USOCK_SOCK_DGRAM, 0), EAFNOSUPPORT);
}
#endif
#if !US_HAVE_RAW
Test(api_socket, raw_fails_with_esocktnosupport_in_a_build_without_raw_sockets)
{
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_RAW, 1), ESOCKTNOSUPPORT);
}
#endif

Test(api_socket, unknown_type_fails_with_einval)
{
	expect_fail(usock_socket(USOCK_AF_INET, 99, 0), EINVAL);
	expect_fail(usock_socket(USOCK_AF_INET, 0, 0), EINVAL);
	expect_fail(usock_socket(USOCK_AF_INET, SOCK_SEQPACKET, 0), EINVAL);
}

Test(api_socket, dgram_with_tcp_protocol_fails_with_eprotonosupport)
{
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, USOCK_IPPROTO_TCP),
		    EPROTONOSUPPORT);
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 1), EPROTONOSUPPORT);
}

Test(api_socket, stream_with_udp_protocol_fails_with_eprotonosupport)
{
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, USOCK_IPPROTO_UDP),
		    EPROTONOSUPPORT);
}

Test(api_socket, sock_nonblock_flag_makes_recv_fail_at_once_with_eagain)
{
	char buf[16];
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM | SOCK_NONBLOCK, 0);
	double t0;

	cr_assert_geq(s, 0, "%s", strerror(errno));
	t0 = now_s();
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EAGAIN);
	cr_assert_lt(now_s() - t0, 1.0, "a non-blocking recv waited");
	/* And without the flag the same call blocks (here: until its timeout). */
	expect_ret(usock_close(s), 0);
	s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0, "%s", strerror(errno));
	expect_ret(usock_settimeout(s, 0.3), 0);
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), ETIMEDOUT);
}

Test(api_socket, descriptors_never_equal_a_kernel_descriptor_held_at_the_same_time)
{
	int kfd[8], ufd[8], more[8], p[2];
	int i, j, nk = 0;

	kfd[nk++] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	kfd[nk++] = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	kfd[nk++] = socket(AF_INET, SOCK_DGRAM, 0);
	kfd[nk++] = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(pipe(p), 0);
	kfd[nk++] = p[0];
	kfd[nk++] = p[1];
	for (i = 0; i < nk; i++)
		cr_assert_geq(kfd[i], 0);
	for (i = 0; i < 8; i++) {
		ufd[i] = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
		cr_assert_geq(ufd[i], 0, "%s", strerror(errno));
		for (j = 0; j < nk; j++)
			cr_assert_neq(ufd[i], kfd[j], "usock descriptor %d equals kernel fd",
				      ufd[i]);
		for (j = 0; j < i; j++)
			cr_assert_neq(ufd[i], ufd[j], "two usock sockets share descriptor %d",
				      ufd[i]);
	}
	/* Kernel descriptors opened afterwards, in the lowest free slots, miss them too. */
	close(kfd[0]);
	close(kfd[1]);
	for (i = 0; i < 8; i++) {
		more[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		cr_assert_geq(more[i], 0);
		for (j = 0; j < 8; j++)
			cr_assert_neq(more[i], ufd[j], "kernel fd %d equals a usock descriptor",
				      more[i]);
	}
	/* Each usock descriptor is live and still works as a socket. */
	for (i = 0; i < 8; i++)
		expect_ret(usock_close(ufd[i]), 0);
	for (i = 0; i < 8; i++)
		close(more[i]);
	for (i = 2; i < nk; i++)
		close(kfd[i]);
}

Test(api_socket, descriptor_is_a_kernel_eventfd_the_process_holds)
{
	char path[64], link[128];
	ssize_t n;
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	cr_assert_geq(s, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s);
	n = readlink(path, link, sizeof(link) - 1);
	cr_assert_gt(n, 0, "descriptor %d is not open in the kernel: %s", s, strerror(errno));
	link[n] = '\0';
	cr_assert_str_eq(link, "anon_inode:[eventfd]");
	expect_ret(usock_close(s), 0);
	/* After close the kernel descriptor is released too. */
	cr_assert_eq(readlink(path, link, sizeof(link) - 1), -1);
}

Test(api_socket, sockets_up_to_usock_sockets_then_emfile)
{
	int fd[8], i, extra;

	setenv("USOCK_SOCKETS", "8", 1);
	for (i = 0; i < 8; i++) {
		fd[i] = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
		cr_assert_geq(fd[i], 0, "socket %d of 8: %s", i, strerror(errno));
	}
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0), EMFILE);
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0), EMFILE);
	/* Closing one frees its slot. */
	expect_ret(usock_close(fd[3]), 0);
	extra = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	cr_assert_geq(extra, 0, "after a close: %s", strerror(errno));
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0), EMFILE);
	fd[3] = extra;
	for (i = 0; i < 8; i++)
		expect_ret(usock_close(fd[i]), 0);
}

/* ---- usock_bind / usock_getsockname ---- */

Test(api_bind, bind_any_address_reports_the_port_in_getsockname)
{
	struct sockaddr_in a = sin4("0.0.0.0", 4242), got;
	socklen_t l = sizeof(got);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	expect_ret(usock_bind(s, SA(&a), sizeof(a)), 0);
	memset(&got, 0xa5, sizeof(got));
	expect_ret(usock_getsockname(s, SA(&got), &l), 0);
	cr_assert_eq(l, sizeof(got));
	cr_assert_eq(got.sin_family, AF_INET);
	cr_assert_eq(ntohs(got.sin_port), 4242);
	cr_assert_eq(got.sin_addr.s_addr, htonl(INADDR_ANY));
}

Test(api_bind, bind_own_address_reports_it_in_getsockname)
{
	struct sockaddr_in a = sin4(LAB_USOCK_IP, 4243), got;
	socklen_t l = sizeof(got);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	expect_ret(usock_bind(s, SA(&a), sizeof(a)), 0);
	expect_ret(usock_getsockname(s, SA(&got), &l), 0);
	cr_assert_eq(ntohs(got.sin_port), 4243);
	cr_assert_eq(got.sin_addr.s_addr, a.sin_addr.s_addr);
}

Test(api_bind, getsockname_of_unbound_socket_is_any_port_0)
{
	struct sockaddr_in got;
	socklen_t l = sizeof(got);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	memset(&got, 0xa5, sizeof(got));
	expect_ret(usock_getsockname(s, SA(&got), &l), 0);
	cr_assert_eq(got.sin_family, AF_INET);
	cr_assert_eq(got.sin_port, 0);
	cr_assert_eq(got.sin_addr.s_addr, 0);
}

Test(api_bind, getsockname_with_short_length_truncates_and_reports_full_size)
{
	struct sockaddr_in a = sin4("0.0.0.0", 4244);
	unsigned char buf[sizeof(struct sockaddr_in)];
	socklen_t l = 4;
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	expect_ret(usock_bind(s, SA(&a), sizeof(a)), 0);
	memset(buf, 0xa5, sizeof(buf));
	expect_ret(usock_getsockname(s, SA(buf), &l), 0);
	cr_assert_eq(l, sizeof(struct sockaddr_in));
	/* Family and port are the first four bytes; nothing past them is written. */
	cr_assert_eq(buf[2], 4244 >> 8);
	cr_assert_eq(buf[3], 4244 & 0xff);
	cr_assert_eq(buf[4], 0xa5);
	expect_fail(usock_getsockname(s, NULL, &l), EINVAL);
	expect_fail(usock_getsockname(s, SA(buf), NULL), EINVAL);
}

Test(api_bind, port_in_use_fails_with_eaddrinuse)
{
	struct sockaddr_in any = sin4("0.0.0.0", 5000), own = sin4(LAB_USOCK_IP, 5000);
	int a = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	int b = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	expect_ret(usock_bind(a, SA(&any), sizeof(any)), 0);
	expect_fail(usock_bind(b, SA(&any), sizeof(any)), EADDRINUSE);
	/* A specific address overlaps the wildcard on the same port. */
	expect_fail(usock_bind(b, SA(&own), sizeof(own)), EADDRINUSE);
	/* The failed binds left b unbound: another port works. */
	any.sin_port = htons(5001);
	expect_ret(usock_bind(b, SA(&any), sizeof(any)), 0);
	/* Once a closes, its port is free again. */
	expect_ret(usock_close(a), 0);
	a = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	expect_ret(usock_bind(a, SA(&own), sizeof(own)), 0);
}

Test(api_bind, address_not_ours_fails_with_eaddrnotavail)
{
	struct sockaddr_in k = sin4(LAB_KERNEL_IP, 5002), f = sin4("10.9.8.7", 5002);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	expect_fail(usock_bind(s, SA(&k), sizeof(k)), EADDRNOTAVAIL);
	expect_fail(usock_bind(s, SA(&f), sizeof(f)), EADDRNOTAVAIL);
	f = sin4(LAB_FOREIGN_IP, 5002);
	expect_fail(usock_bind(s, SA(&f), sizeof(f)), EADDRNOTAVAIL);
	/* Still unbound after the failures. */
	cr_assert_eq(u_port(s), 0);
}

Test(api_bind, second_bind_fails_with_einval)
{
	struct sockaddr_in a = sin4("0.0.0.0", 5003), b = sin4("0.0.0.0", 5004);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	expect_ret(usock_bind(s, SA(&a), sizeof(a)), 0);
	expect_fail(usock_bind(s, SA(&b), sizeof(b)), EINVAL);
	expect_fail(usock_bind(s, SA(&a), sizeof(a)), EINVAL);
	cr_assert_eq(u_port(s), 5003);
}

Test(api_bind, null_or_short_address_fails_with_einval)
{
	struct sockaddr_in a = sin4("0.0.0.0", 5005);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	expect_fail(usock_bind(s, NULL, sizeof(a)), EINVAL);
	expect_fail(usock_bind(s, SA(&a), 0), EINVAL);
	expect_fail(usock_bind(s, SA(&a), 8), EINVAL);
	expect_fail(usock_bind(s, SA(&a), sizeof(a) - 1), EINVAL);
	cr_assert_eq(u_port(s), 0);
}

Test(api_bind, inet6_address_fails_with_eafnosupport)
{
	struct sockaddr_in6 a6;
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons(5006);
	expect_fail(usock_bind(s, SA(&a6), sizeof(a6)), EAFNOSUPPORT);
}

Test(api_bind, bad_descriptor_fails_with_ebadf)
{
	struct sockaddr_in a = sin4("0.0.0.0", 5007);
	int p[2];

	expect_fail(usock_bind(-1, SA(&a), sizeof(a)), EBADF);
	expect_fail(usock_bind(INT32_MAX, SA(&a), sizeof(a)), EBADF);
	/* A kernel descriptor is not a usock socket. */
	cr_assert_eq(pipe(p), 0);
	expect_fail(usock_bind(p[0], SA(&a), sizeof(a)), EBADF);
	expect_fail(usock_bind(1, SA(&a), sizeof(a)), EBADF);
	close(p[0]);
	close(p[1]);
}

Test(api_bind, sendto_binds_an_ephemeral_port_the_kernel_sees)
{
	struct sockaddr_in to, got, from;
	socklen_t l = sizeof(got), fl = sizeof(from);
	char buf[16];
	int k = k_udp(0), s = u_udp(0);
	uint16_t eph;

	to = sin4(LAB_KERNEL_IP, k_port(k));
	cr_assert_eq(u_port(s), 0);
	expect_ret(usock_sendto(s, "ping", 4, 0, SA(&to), sizeof(to)), 4);
	expect_ret(usock_getsockname(s, SA(&got), &l), 0);
	eph = ntohs(got.sin_port);
	cr_assert_geq(eph, 49152);
	cr_assert_leq(eph, 65535);
	cr_assert_eq(got.sin_addr.s_addr, htonl(INADDR_ANY));
	expect_ret(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 4);
	cr_assert_eq(ntohs(from.sin_port), eph);
	/* A second datagram leaves from the same port. */
	expect_ret(usock_sendto(s, "pong", 4, 0, SA(&to), sizeof(to)), 4);
	expect_ret(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 4);
	cr_assert_eq(ntohs(from.sin_port), eph);
}

Test(api_bind, ephemeral_ports_of_several_sockets_differ)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 9);
	uint16_t p[6];
	int s[6], i, j;

	for (i = 0; i < 6; i++) {
		s[i] = u_udp(0);
		expect_ret(usock_connect(s[i], SA(&to), sizeof(to)), 0);
		p[i] = u_port(s[i]);
		cr_assert_geq(p[i], 49152);
		for (j = 0; j < i; j++)
			cr_assert_neq(p[i], p[j]);
	}
}

/* ---- datagrams with the kernel ---- */

Test(api_udp_io, sendto_reaches_kernel_with_our_address_and_port)
{
	struct sockaddr_in to, from;
	socklen_t fl = sizeof(from);
	char buf[64];
	int k = k_udp(7001), s = u_udp(6001);

	to = sin4(LAB_KERNEL_IP, 7001);
	expect_ret(usock_sendto(s, "hello kernel", 12, 0, SA(&to), sizeof(to)), 12);
	expect_ret(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 12);
	cr_assert_eq(memcmp(buf, "hello kernel", 12), 0);
	cr_assert_eq(from.sin_addr.s_addr, sin4(LAB_USOCK_IP, 0).sin_addr.s_addr);
	cr_assert_eq(ntohs(from.sin_port), 6001);
}

Test(api_udp_io, kernel_datagram_is_received_with_its_source)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[64];
	int k = k_udp(7002), s = u_udp(6002);

	k_send_to_usock(k, "hello usock", 11, 6002);
	memset(&from, 0, sizeof(from));
	expect_ret(usock_recvfrom(s, buf, sizeof(buf), 0, SA(&from), &fl), 11);
	cr_assert_eq(memcmp(buf, "hello usock", 11), 0);
	cr_assert_eq(fl, sizeof(from));
	cr_assert_eq(from.sin_family, AF_INET);
	cr_assert_eq(from.sin_addr.s_addr, sin4(LAB_KERNEL_IP, 0).sin_addr.s_addr);
	cr_assert_eq(ntohs(from.sin_port), 7002);
}

Test(api_udp_io, datagrams_keep_their_boundaries_and_order)
{
	char buf[64];
	int k = k_udp(7003), s = u_udp(6003), i;

	for (i = 0; i < 5; i++) {
		char m[16];

		snprintf(m, sizeof(m), "dgram-%d", i);
		k_send_to_usock(k, m, strlen(m), 6003);
	}
	for (i = 0; i < 5; i++) {
		char m[16];

		snprintf(m, sizeof(m), "dgram-%d", i);
		expect_ret(usock_recv(s, buf, sizeof(buf), 0), (ssize_t)strlen(m));
		cr_assert_eq(memcmp(buf, m, strlen(m)), 0);
	}
}

Test(api_udp_io, empty_datagram_goes_both_ways)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7004);
	char buf[8];
	int k = k_udp(7004), s = u_udp(6004);

	expect_ret(usock_sendto(s, NULL, 0, 0, SA(&to), sizeof(to)), 0);
	expect_ret(recv(k, buf, sizeof(buf), 0), 0);
	k_send_to_usock(k, "", 0, 6004);
	k_send_to_usock(k, "next", 4, 6004);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 0);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 4);
}

Test(api_udp_io, connect_then_send_and_recv)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7005), from;
	socklen_t fl = sizeof(from);
	char buf[64];
	int k = k_udp(7005), s = u_udp(0);
	uint16_t port;

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	port = u_port(s);
	cr_assert_geq(port, 49152, "connect binds an ephemeral port");
	expect_ret(usock_send(s, "abc", 3, 0), 3);
	expect_ret(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 3);
	cr_assert_eq(ntohs(from.sin_port), port);
	expect_ret(sendto(k, "reply", 5, 0, SA(&from), fl), 5);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 5);
	cr_assert_eq(memcmp(buf, "reply", 5), 0);
}

Test(api_udp_io, connected_socket_ignores_datagrams_from_other_sources)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7006), from;
	socklen_t fl = sizeof(from);
	char buf[64];
	int k = k_udp(7006), other = k_udp(7007), s = u_udp(6006);

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	k_send_to_usock(other, "stranger", 8, 6006);
	k_send_to_usock(k, "peer", 4, 6006);
	expect_ret(usock_recvfrom(s, buf, sizeof(buf), 0, SA(&from), &fl), 4);
	cr_assert_eq(memcmp(buf, "peer", 4), 0);
	cr_assert_eq(ntohs(from.sin_port), 7006);
	expect_ret(usock_settimeout(s, 0), 0);
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EAGAIN);
}

Test(api_udp_io, send_on_unconnected_socket_fails_with_edestaddrreq)
{
	int s = u_udp(6007);

	expect_fail(usock_send(s, "x", 1, 0), EDESTADDRREQ);
	expect_fail(usock_write(s, "x", 1), EDESTADDRREQ);
	expect_fail(usock_sendall(s, "x", 1), EDESTADDRREQ);
}

Test(api_udp_io, sendto_port_0_fails_with_einval)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 0);
	int s = u_udp(6008);

	expect_fail(usock_sendto(s, "x", 1, 0, SA(&to), sizeof(to)), EINVAL);
}

Test(api_udp_io, recv_into_short_buffer_truncates_and_drops_the_rest)
{
	char big[100], buf[100];
	int k = k_udp(7009), s = u_udp(6009);

	fill(big, sizeof(big), 1);
	k_send_to_usock(k, big, sizeof(big), 6009);
	k_send_to_usock(k, "second", 6, 6009);
	memset(buf, 0, sizeof(buf));
	expect_ret(usock_recv(s, buf, 10, 0), 10);
	cr_assert_eq(memcmp(buf, big, 10), 0);
	cr_assert_eq(buf[10], 0, "wrote past the buffer size");
	/* The other 90 bytes are gone with their datagram. */
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 6);
	cr_assert_eq(memcmp(buf, "second", 6), 0);
}

Test(api_udp_io, msg_peek_leaves_the_datagram_queued)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[64];
	int k = k_udp(7010), s = u_udp(6010);

	k_send_to_usock(k, "peekaboo", 8, 6010);
	k_send_to_usock(k, "after", 5, 6010);
	expect_ret(usock_recvfrom(s, buf, sizeof(buf), MSG_PEEK, SA(&from), &fl), 8);
	cr_assert_eq(memcmp(buf, "peekaboo", 8), 0);
	cr_assert_eq(ntohs(from.sin_port), 7010);
	expect_ret(usock_recv(s, buf, 4, MSG_PEEK), 4);
	cr_assert_eq(memcmp(buf, "peek", 4), 0);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 8);
	cr_assert_eq(memcmp(buf, "peekaboo", 8), 0);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 5);
	cr_assert_eq(memcmp(buf, "after", 5), 0);
}

Test(api_udp_io, datagram_of_60000_bytes_goes_to_the_kernel_fragmented)
{
	static uint8_t big[60000], back[65536];
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7011);
	int k = k_udp(7011), s = u_udp(6011);

	fill(big, sizeof(big), 2);
	expect_ret(usock_sendto(s, big, sizeof(big), 0, SA(&to), sizeof(to)), sizeof(big));
	expect_ret(recv(k, back, sizeof(back), 0), sizeof(big));
	cr_assert_eq(memcmp(big, back, sizeof(big)), 0);
}

Test(api_udp_io, datagram_of_60000_bytes_comes_from_the_kernel_fragmented)
{
	static uint8_t big[60000], back[65536];
	int k = k_udp(7012), s = u_udp(6012);

	fill(big, sizeof(big), 3);
	k_send_to_usock(k, big, sizeof(big), 6012);
	expect_ret(usock_recv(s, back, sizeof(back), 0), sizeof(big));
	cr_assert_eq(memcmp(big, back, sizeof(big)), 0);
}

Test(api_udp_io, datagram_too_big_for_ip_fails_with_emsgsize)
{
	static uint8_t big[65536];
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7013);
	int s = u_udp(6013);

	/* 65535 - 20 (IP) - 8 (UDP) is the largest; one more does not fit. */
	expect_fail(usock_sendto(s, big, 65508, 0, SA(&to), sizeof(to)), EMSGSIZE);
}

Test(api_udp_io, write_and_sendall_send_one_datagram_each)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7014);
	char buf[64];
	int k = k_udp(7014), s = u_udp(6014);

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(usock_write(s, "written", 7), 7);
	expect_ret(usock_sendall(s, "all of it", 9), 9);
	expect_ret(recv(k, buf, sizeof(buf), 0), 7);
	cr_assert_eq(memcmp(buf, "written", 7), 0);
	expect_ret(recv(k, buf, sizeof(buf), 0), 9);
	cr_assert_eq(memcmp(buf, "all of it", 9), 0);
}

Test(api_udp_io, read_readinto_readline_each_take_one_datagram)
{
	char buf[64];
	int k = k_udp(7015), s = u_udp(6015);

	k_send_to_usock(k, "one", 3, 6015);
	k_send_to_usock(k, "two", 3, 6015);
	k_send_to_usock(k, "ab\ncd", 5, 6015);
	k_send_to_usock(k, "truncated", 9, 6015);
	/* A datagram shorter than the size is returned as it is: no waiting for more. */
	memset(buf, 0, sizeof(buf));
	expect_ret(usock_read(s, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "one");
	memset(buf, 0, sizeof(buf));
	expect_ret(usock_readinto(s, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "two");
	/* On a datagram socket a "line" is the whole datagram. */
	memset(buf, 0, sizeof(buf));
	expect_ret(usock_readline(s, buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "ab\ncd");
	memset(buf, 0, sizeof(buf));
	expect_ret(usock_read(s, buf, 5), 5);
	cr_assert_str_eq(buf, "trunc");
}

Test(api_udp_io, readall_returns_the_datagram_in_a_buffer_the_caller_frees)
{
	void *p = NULL;
	int k = k_udp(7016), s = u_udp(6016);

	k_send_to_usock(k, "everything", 10, 6016);
	expect_ret(usock_readall(s, &p), 10);
	cr_assert_not_null(p);
	cr_assert_eq(memcmp(p, "everything", 10), 0);
	free(p);
	/* On failure nothing is allocated and the pointer is left alone. */
	p = NULL;
	expect_ret(usock_settimeout(s, 0), 0);
	expect_fail(usock_readall(s, &p), EAGAIN);
	cr_assert_null(p);
	expect_fail(usock_readall(s, NULL), EINVAL);
}

Test(api_udp_io, msg_dontwait_does_not_block_a_blocking_socket)
{
	char buf[8];
	int s = u_udp(6017);
	double t0;

	expect_ret(usock_setblocking(s, true), 0);
	t0 = now_s();
	expect_fail(usock_recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	cr_assert_lt(now_s() - t0, 1.0);
}

/* ---- bad arguments ---- */

Test(api_args, null_buffer_with_length_fails_with_einval)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7020), from;
	socklen_t fl = sizeof(from);
	int s = u_udp(6020);

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_fail(usock_send(s, NULL, 1, 0), EINVAL);
	expect_fail(usock_sendto(s, NULL, 5, 0, SA(&to), sizeof(to)), EINVAL);
	expect_fail(usock_recv(s, NULL, 1, 0), EINVAL);
	expect_fail(usock_recvfrom(s, NULL, 5, 0, SA(&from), &fl), EINVAL);
	expect_fail(usock_sendall(s, NULL, 1), EINVAL);
	expect_fail(usock_write(s, NULL, 1), EINVAL);
	expect_fail(usock_read(s, NULL, 1), EINVAL);
	expect_fail(usock_readinto(s, NULL, 1), EINVAL);
	expect_fail(usock_readline(s, NULL, 1), EINVAL);
}

Test(api_args, length_of_size_max_fails_with_einval)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7021), from;
	socklen_t fl = sizeof(from);
	char buf[16];
	int s = u_udp(6021);

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_fail(usock_send(s, buf, (size_t)-1, 0), EINVAL);
	expect_fail(usock_sendto(s, buf, (size_t)-1, 0, SA(&to), sizeof(to)), EINVAL);
	expect_fail(usock_recv(s, buf, (size_t)-1, 0), EINVAL);
	expect_fail(usock_recvfrom(s, buf, (size_t)-1, 0, SA(&from), &fl), EINVAL);
	expect_fail(usock_sendall(s, buf, (size_t)-1), EINVAL);
	expect_fail(usock_write(s, buf, (size_t)-1), EINVAL);
	expect_fail(usock_read(s, buf, (size_t)-1), EINVAL);
	expect_fail(usock_readinto(s, buf, (size_t)-1), EINVAL);
	expect_fail(usock_readline(s, buf, (size_t)-1), EINVAL);
}

Test(api_args, recvfrom_with_address_but_null_length_fails_with_einval)
{
	struct sockaddr_in from;
	char buf[16];
	int k = k_udp(7022), s = u_udp(6022);

	k_send_to_usock(k, "kept", 4, 6022);
	expect_fail(usock_recvfrom(s, buf, sizeof(buf), 0, SA(&from), NULL), EINVAL);
	/* The datagram was not consumed by the failed call. */
	expect_ret(usock_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), 4);
}

Test(api_args, recvfrom_with_short_address_length_truncates_and_reports_full_size)
{
	unsigned char from[sizeof(struct sockaddr_in)];
	socklen_t fl = 4;
	char buf[16];
	int k = k_udp(7026), s = u_udp(6026);

	k_send_to_usock(k, "short", 5, 6026);
	memset(from, 0xa5, sizeof(from));
	expect_ret(usock_recvfrom(s, buf, sizeof(buf), 0, SA(from), &fl), 5);
	cr_assert_eq(fl, sizeof(struct sockaddr_in));
	cr_assert_eq(from[2], 7026 >> 8);
	cr_assert_eq(from[3], 7026 & 0xff);
	cr_assert_eq(from[4], 0xa5, "wrote past the length given");
}

Test(api_args, sendto_with_null_or_short_or_inet6_destination_fails)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7023);
	struct sockaddr_in6 to6;
	int s = u_udp(6023);

	memset(&to6, 0, sizeof(to6));
	to6.sin6_family = AF_INET6;
	to6.sin6_port = htons(7023);
	expect_fail(usock_sendto(s, "x", 1, 0, SA(&to), 8), EINVAL);
	expect_fail(usock_sendto(s, "x", 1, 0, SA(&to6), sizeof(to6)), EAFNOSUPPORT);
	/* A NULL destination is a send: this socket has no peer. */
	expect_fail(usock_sendto(s, "x", 1, 0, NULL, 0), EDESTADDRREQ);
}

Test(api_args, msg_oob_on_a_datagram_socket_fails_with_eopnotsupp)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7024);
	char buf[4];
	int s = u_udp(6024);

	expect_fail(usock_sendto(s, "x", 1, MSG_OOB, SA(&to), sizeof(to)), EOPNOTSUPP);
	expect_fail(usock_recv(s, buf, sizeof(buf), MSG_OOB), EOPNOTSUPP);
}

Test(api_args, listen_and_accept_on_a_datagram_socket_fail_with_eopnotsupp)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	int s = u_udp(6025);

	expect_fail(usock_listen(s, USOCK_SOMAXCONN), EOPNOTSUPP);
	expect_fail(usock_accept(s, SA(&a), &l), EOPNOTSUPP);
	expect_fail(usock_listen(-1, 1), EBADF);
	expect_fail(usock_accept(-1, SA(&a), &l), EBADF);
}

/* ---- usock_close ---- */

Test(api_close, every_call_on_a_closed_socket_fails_with_ebadf)
{
	struct sockaddr_in a = sin4("0.0.0.0", 6030), to = sin4(LAB_KERNEL_IP, 7030);
	socklen_t l = sizeof(a);
	char buf[16];
	void *p = NULL;
	int v = 1, s = u_udp(0);

	expect_ret(usock_close(s), 0);
	expect_fail(usock_close(s), EBADF);
	expect_fail(usock_bind(s, SA(&a), sizeof(a)), EBADF);
	expect_fail(usock_connect(s, SA(&to), sizeof(to)), EBADF);
	expect_fail(usock_listen(s, 1), EBADF);
	expect_fail(usock_accept(s, SA(&a), &l), EBADF);
	expect_fail(usock_send(s, "x", 1, 0), EBADF);
	expect_fail(usock_sendto(s, "x", 1, 0, SA(&to), sizeof(to)), EBADF);
	expect_fail(usock_sendall(s, "x", 1), EBADF);
	expect_fail(usock_write(s, "x", 1), EBADF);
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EBADF);
	expect_fail(usock_recvfrom(s, buf, sizeof(buf), 0, SA(&a), &l), EBADF);
	expect_fail(usock_read(s, buf, sizeof(buf)), EBADF);
	expect_fail(usock_readinto(s, buf, sizeof(buf)), EBADF);
	expect_fail(usock_readline(s, buf, sizeof(buf)), EBADF);
	expect_fail(usock_readall(s, &p), EBADF);
	cr_assert_null(p);
	expect_fail(usock_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EBADF);
	l = sizeof(v);
	expect_fail(usock_getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &l), EBADF);
	expect_fail(usock_settimeout(s, 1.0), EBADF);
	expect_fail(usock_setblocking(s, false), EBADF);
	expect_fail(usock_shutdown(s, SHUT_RDWR), EBADF);
	l = sizeof(a);
	expect_fail(usock_getsockname(s, SA(&a), &l), EBADF);
	expect_fail(usock_getpeername(s, SA(&a), &l), EBADF);
}

Test(api_close, close_frees_the_port)
{
	struct sockaddr_in a = sin4("0.0.0.0", 6031);
	int s = u_udp(6031), t = u_udp(0);

	expect_fail(usock_bind(t, SA(&a), sizeof(a)), EADDRINUSE);
	expect_ret(usock_close(s), 0);
	expect_ret(usock_bind(t, SA(&a), sizeof(a)), 0);
}

Test(api_close, closed_port_answers_the_kernel_with_port_unreachable)
{
	char buf[8];
	int k = k_udp(7032), s = u_udp(6032);
	struct sockaddr_in to = sin4(LAB_USOCK_IP, 6032);

	expect_ret(connect(k, SA(&to), sizeof(to)), 0);
	expect_ret(usock_close(s), 0);
	expect_ret(send(k, "x", 1, 0), 1);
	/* The kernel's connected socket reports the ICMP error from usock. */
	expect_fail(recv(k, buf, sizeof(buf), 0), ECONNREFUSED);
}

struct blocked_recv {
	int s;	    /* the socket to read */
	ssize_t rc; /* what usock_recv returned */
	int err;    /* errno after it */
	int done;   /* set when it returned */
};

static void *
blocked_recv_main(void *arg)
{
	struct blocked_recv *b = arg;
	char buf[16];

	b->rc = usock_recv(b->s, buf, sizeof(buf), 0);
	b->err = errno;
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

Test(api_close, close_from_another_thread_ends_a_blocked_recv_with_ebadf)
{
	struct blocked_recv b = {.rc = 99};
	struct timespec dl;
	pthread_t thr;

	b.s = u_udp(6033);
	expect_ret(usock_settimeout(b.s, -1), 0);
	cr_assert_eq(pthread_create(&thr, NULL, blocked_recv_main, &b), 0);
	sleep_ms(300);
	cr_assert_eq(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST), 0, "recv did not block");
	expect_ret(usock_close(b.s), 0);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	cr_assert_eq(pthread_timedjoin_np(thr, NULL, &dl), 0,
		     "a recv blocked in another thread did not return after close");
	cr_assert_eq(b.rc, -1);
	cr_assert_eq(b.err, EBADF, "errno %d (%s)", b.err, strerror(b.err));
}

/* ---- ICMP errors from the kernel ---- */

Test(api_udp_icmp, port_unreachable_fails_the_next_recv_with_econnrefused)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7040);
	char buf[8];
	int s = u_udp(6040);

	/* Nothing listens on the kernel's 7040: it answers ICMP port unreachable. */
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(usock_send(s, "x", 1, 0), 1);
	expect_ret(usock_settimeout(s, 3.0), 0);
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), ECONNREFUSED);
	/* Reported once: the error is cleared. */
	expect_ret(usock_settimeout(s, 0), 0);
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EAGAIN);
}

Test(api_udp_icmp, port_unreachable_fails_the_next_send_with_econnrefused)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7041);
	struct pollfd pf;
	int s = u_udp(6041);

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(usock_send(s, "x", 1, 0), 1);
	/* Wait for the error to arrive: poll reports it as POLLERR. */
	pf.fd = s;
	pf.events = POLLIN;
	pf.revents = 0;
	expect_ret(usock_poll(&pf, 1, 3000), 1);
	cr_assert(pf.revents & POLLERR, "revents 0x%x", pf.revents);
	expect_fail(usock_send(s, "y", 1, 0), ECONNREFUSED);
	/* Reported once; the next send goes out again. */
	expect_ret(usock_send(s, "z", 1, 0), 1);
}

Test(api_udp_icmp, unconnected_socket_does_not_report_port_unreachable)
{
	struct sockaddr_in closed = sin4(LAB_KERNEL_IP, 7042), open = sin4(LAB_KERNEL_IP, 7043);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[16];
	int k = k_udp(7043), s = u_udp(6042);
	long unreach = k_icmp_stat("OutDestUnreachs");

	expect_ret(usock_sendto(s, "x", 1, 0, SA(&closed), sizeof(closed)), 1);
	expect_ret(usock_sendto(s, "y", 1, 0, SA(&open), sizeof(open)), 1);
	/*
	 * The kernel handled "x" (and sent its ICMP) before it received "y",
	 * so the ICMP reached us before this reply.  As on Linux, an
	 * unconnected socket is not told.
	 */
	expect_ret(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 1);
	cr_assert_eq(k_icmp_stat("OutDestUnreachs"), unreach + 1, "the kernel sent no ICMP");
	expect_ret(sendto(k, "reply", 5, 0, SA(&from), fl), 5);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 5);
	cr_assert_eq(memcmp(buf, "reply", 5), 0);
}

/* ---- connect, getpeername, shutdown ---- */

Test(api_connect, getpeername_fails_with_enotconn_before_connect_and_reports_the_peer_after)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7050), got;
	socklen_t l = sizeof(got);
	int s = u_udp(0);

	expect_fail(usock_getpeername(s, SA(&got), &l), ENOTCONN);
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	memset(&got, 0, sizeof(got));
	l = sizeof(got);
	expect_ret(usock_getpeername(s, SA(&got), &l), 0);
	cr_assert_eq(l, sizeof(got));
	cr_assert_eq(got.sin_family, AF_INET);
	cr_assert_eq(got.sin_addr.s_addr, to.sin_addr.s_addr);
	cr_assert_eq(got.sin_port, to.sin_port);
	expect_fail(usock_getpeername(s, NULL, &l), EINVAL);
	expect_fail(usock_getpeername(-1, SA(&got), &l), EBADF);
}

Test(api_connect, getsockname_after_connect_reports_the_local_address_chosen)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7059), got;
	struct sockaddr unspec;
	socklen_t l = sizeof(got);
	int s = u_udp(6059);

	/* As Linux: a connected socket bound to the wildcard shows the address it sends from. */
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(usock_getsockname(s, SA(&got), &l), 0);
	cr_assert_eq(got.sin_addr.s_addr, sin4(LAB_USOCK_IP, 0).sin_addr.s_addr,
		     "getsockname after connect: %s", inet_ntoa(got.sin_addr));
	cr_assert_eq(ntohs(got.sin_port), 6059);
	/* Dissolved again: the wildcard it was bound to. */
	memset(&unspec, 0, sizeof(unspec));
	unspec.sa_family = AF_UNSPEC;
	expect_ret(usock_connect(s, &unspec, sizeof(unspec)), 0);
	l = sizeof(got);
	expect_ret(usock_getsockname(s, SA(&got), &l), 0);
	cr_assert_eq(got.sin_addr.s_addr, htonl(INADDR_ANY));
	cr_assert_eq(ntohs(got.sin_port), 6059);
}

Test(api_connect, sendto_on_a_connected_socket_goes_to_the_address_given)
{
	struct sockaddr_in a = sin4(LAB_KERNEL_IP, 7060), b = sin4(LAB_KERNEL_IP, 7061);
	char buf[8];
	int ka = k_udp(7060), kb = k_udp(7061), s = u_udp(6060);

	expect_ret(usock_connect(s, SA(&a), sizeof(a)), 0);
	expect_ret(usock_sendto(s, "to b", 4, 0, SA(&b), sizeof(b)), 4);
	expect_ret(recv(kb, buf, sizeof(buf), 0), 4);
	expect_ret(usock_send(s, "to a", 4, 0), 4);
	expect_ret(recv(ka, buf, sizeof(buf), 0), 4);
	cr_assert_eq(memcmp(buf, "to a", 4), 0);
}

Test(api_connect, connect_again_changes_the_peer)
{
	struct sockaddr_in a = sin4(LAB_KERNEL_IP, 7051), b = sin4(LAB_KERNEL_IP, 7052), got;
	socklen_t l = sizeof(got);
	char buf[8];
	int ka = k_udp(7051), kb = k_udp(7052), s = u_udp(0);

	expect_ret(usock_connect(s, SA(&a), sizeof(a)), 0);
	expect_ret(usock_connect(s, SA(&b), sizeof(b)), 0);
	expect_ret(usock_getpeername(s, SA(&got), &l), 0);
	cr_assert_eq(ntohs(got.sin_port), 7052);
	expect_ret(usock_send(s, "b", 1, 0), 1);
	expect_ret(recv(kb, buf, sizeof(buf), 0), 1);
	expect_ret(recv(ka, buf, sizeof(buf), MSG_DONTWAIT), -1);
}

Test(api_connect, connect_af_unspec_dissolves_the_association)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7053), got;
	struct sockaddr unspec;
	socklen_t l = sizeof(got);
	int s = u_udp(6053);

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	memset(&unspec, 0, sizeof(unspec));
	unspec.sa_family = AF_UNSPEC;
	expect_ret(usock_connect(s, &unspec, sizeof(unspec)), 0);
	expect_fail(usock_getpeername(s, SA(&got), &l), ENOTCONN);
	expect_fail(usock_send(s, "x", 1, 0), EDESTADDRREQ);
}

Test(api_connect, connect_with_bad_address_fails)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7054);
	struct sockaddr_in6 to6;
	int s = u_udp(0);

	memset(&to6, 0, sizeof(to6));
	to6.sin6_family = AF_INET6;
	expect_fail(usock_connect(s, NULL, sizeof(to)), EINVAL);
	expect_fail(usock_connect(s, SA(&to), 4), EINVAL);
	expect_fail(usock_connect(s, SA(&to6), sizeof(to6)), EAFNOSUPPORT);
	expect_fail(usock_connect(-1, SA(&to), sizeof(to)), EBADF);
}

Test(api_connect, shutdown_on_unconnected_socket_fails_with_enotconn)
{
	int s = u_udp(6055);

	expect_fail(usock_shutdown(s, SHUT_RD), ENOTCONN);
	expect_fail(usock_shutdown(s, SHUT_WR), ENOTCONN);
	expect_fail(usock_shutdown(s, SHUT_RDWR), ENOTCONN);
}

Test(api_connect, shutdown_with_bad_how_fails_with_einval)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7056);
	int s = u_udp(6056);

	expect_fail(usock_shutdown(s, 3), EINVAL);
	expect_fail(usock_shutdown(s, -1), EINVAL);
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_fail(usock_shutdown(s, 3), EINVAL);
	expect_fail(usock_shutdown(s, 42), EINVAL);
}

Test(api_connect, shutdown_wr_makes_send_fail_with_epipe)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7057);
	int s = u_udp(6057);

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(usock_shutdown(s, SHUT_WR), 0);
	expect_fail(usock_send(s, "x", 1, 0), EPIPE);
}

Test(api_connect, shutdown_rd_makes_recv_return_0_without_blocking)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7058);
	char buf[8];
	int s = u_udp(6058);
	double t0;

	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(usock_settimeout(s, -1), 0);
	expect_ret(usock_shutdown(s, SHUT_RD), 0);
	t0 = now_s();
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 0);
	cr_assert_lt(now_s() - t0, 1.0);
}
