/*
 * Raw sockets (SOCK_RAW) against the Linux kernel in a private namespace,
 * as raw(7) defines them: a raw ICMP socket pings the kernel and reads the
 * reply with its IPv4 header; it also sees the kernel's pings that the
 * stack answers; IP_HDRINCL (and protocol 255) send a datagram the caller
 * built, with the stack filling in the source, ID, length and checksum;
 * an unknown protocol goes to the raw socket that asked for it; and every
 * misuse gets its errno.
 */
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>

#include "api_lab.h"

TestSuite(api_raw, .init = lab_up);

static uint16_t
csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* An ICMP echo request with id, seq and n payload bytes; returns its length. */
static size_t
echo_request(uint8_t *m, uint16_t id, uint16_t seq, size_t n)
{
	size_t i;

	memset(m, 0, 8);
	m[0] = ICMP_ECHO;
	m[4] = (uint8_t)(id >> 8);
	m[5] = (uint8_t)id;
	m[6] = (uint8_t)(seq >> 8);
	m[7] = (uint8_t)seq;
	for (i = 0; i < n; i++)
		m[8 + i] = (uint8_t)(i * 7 + seq);
	memcpy(m + 2, &(uint16_t){ csum(m, 8 + n) }, 2);
	return 8 + n;
}

static int
raw_sock(int proto)
{
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_RAW, proto);

	cr_assert_geq(s, 0, "usock_socket(SOCK_RAW, %d): %s", proto, strerror(errno));
	cr_assert_eq(usock_settimeout(s, 3.0), 0);
	return s;
}

Test(api_raw, an_icmp_socket_pings_the_kernel_and_reads_the_reply_with_its_header)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 0), from;
	socklen_t fl = sizeof(from);
	uint8_t req[128], rep[256];
	size_t n = echo_request(req, 0x4242, 7, 56);
	int s = raw_sock(IPPROTO_ICMP);
	ssize_t r;

	expect_ret(usock_sendto(s, req, n, 0, SA(&to), sizeof(to)), n);
	r = usock_recvfrom(s, rep, sizeof(rep), 0, SA(&from), &fl);
	cr_assert_eq(r, (ssize_t)(20 + n), "recvfrom: %zd (%s)", r, strerror(errno));
	cr_assert_str_eq(inet_ntoa(from.sin_addr), LAB_KERNEL_IP);
	cr_assert_eq(from.sin_port, 0, "raw sockets have no ports");
	/* The IPv4 header as it arrived: ours, from the kernel, valid. */
	cr_assert_eq(rep[0], 0x45);
	cr_assert_eq(rep[9], IPPROTO_ICMP);
	cr_assert_eq((rep[2] << 8 | rep[3]), (int)(20 + n), "total length");
	cr_assert_eq(csum(rep, 20), 0, "header checksum");
	cr_assert_eq(memcmp(rep + 12, &to.sin_addr, 4), 0, "source: the kernel");
	/* Then the echo reply with our id, sequence and data. */
	cr_assert_eq(rep[20], ICMP_ECHOREPLY);
	cr_assert_eq(memcmp(rep + 24, req + 4, n - 4), 0, "id, sequence and data come back");
	cr_assert_eq(csum(rep + 20, n), 0, "ICMP checksum");
	usock_close(s);
}

Test(api_raw, an_icmp_socket_sees_the_kernels_pings_that_the_stack_answers)
{
	uint8_t m[256];
	int s = raw_sock(IPPROTO_ICMP), rc;
	ssize_t r;

	/* ping(8) in this namespace: the stack answers it, the raw socket gets a copy. */
	rc = system("ping -n -q -c 1 -W 3 -s 100 " LAB_USOCK_IP " >/dev/null 2>&1");
	cr_assert_eq(rc, 0, "the kernel's ping got its reply from the stack");
	r = usock_recv(s, m, sizeof(m), 0);
	cr_assert_eq(r, 20 + 8 + 100, "the request with its header: %zd (%s)", r, strerror(errno));
	cr_assert_eq(m[20], ICMP_ECHO);
	usock_close(s);
}

Test(api_raw, a_connected_socket_hears_only_its_peer)
{
	struct sockaddr_in other = sin4(LAB_FOREIGN_IP, 0), to = sin4(LAB_KERNEL_IP, 0);
	uint8_t req[64], rep[128];
	size_t n = echo_request(req, 0x77, 1, 16);
	int s = raw_sock(IPPROTO_ICMP), t = raw_sock(IPPROTO_ICMP);

	/* s listens to another host only; t sends the ping and must get the reply. */
	expect_ret(usock_connect(s, SA(&other), sizeof(other)), 0);
	expect_ret(usock_settimeout(s, 0.3), 0);
	expect_ret(usock_sendto(t, req, n, 0, SA(&to), sizeof(to)), n);
	expect_ret(usock_recv(t, rep, sizeof(rep), 0), 20 + n);
	expect_fail(usock_recv(s, rep, sizeof(rep), 0), ETIMEDOUT);
	/* Connected to the kernel, send() needs no address. */
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(usock_send(s, req, n, 0), n);
	expect_ret(usock_settimeout(s, 3.0), 0);
	expect_ret(usock_recv(s, rep, sizeof(rep), 0), 20 + n);
	cr_assert_eq(rep[20], ICMP_ECHOREPLY);
	usock_close(s);
	usock_close(t);
}

/* A UDP datagram to the kernel, IPv4 header and all, with the fields the stack fills left 0. */
static size_t
udp_by_hand(uint8_t *d, uint16_t dport, const char *text)
{
	size_t tl = strlen(text), n = 20 + 8 + tl;
	struct in_addr dst;

	memset(d, 0, n);
	d[0] = 0x45;
	d[8] = 64;
	d[9] = IPPROTO_UDP;
	inet_pton(AF_INET, LAB_KERNEL_IP, &dst);
	memcpy(d + 16, &dst, 4);
	d[20] = 0x30;	/* source port 12345 */
	d[21] = 0x39;
	d[22] = (uint8_t)(dport >> 8);
	d[23] = (uint8_t)dport;
	d[24] = (uint8_t)((8 + tl) >> 8);
	d[25] = (uint8_t)(8 + tl);
	/* UDP checksum 0: none (RFC 768), so the source address need not be known here. */
	memcpy(d + 28, text, tl);
	return n;
}

Test(api_raw, ip_hdrincl_and_protocol_255_send_the_callers_header)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 0), from;
	socklen_t fl = sizeof(from);
	int k = k_udp(9301), s = raw_sock(255), u = raw_sock(IPPROTO_UDP), one = 1, v = 0;
	socklen_t vl = sizeof(v);
	uint8_t d[128];
	char got[64];
	size_t n = udp_by_hand(d, 9301, "built by hand");

	/* Protocol 255 always carries its own header. */
	expect_ret(usock_getsockopt(s, IPPROTO_IP, IP_HDRINCL, &v, &vl), 0);
	cr_assert_eq(v, 1);
	expect_ret(usock_sendto(s, d, n, 0, SA(&to), sizeof(to)), n);
	cr_assert_eq(recvfrom(k, got, sizeof(got), 0, SA(&from), &fl), 13);
	cr_assert_eq(memcmp(got, "built by hand", 13), 0);
	cr_assert_str_eq(inet_ntoa(from.sin_addr), LAB_USOCK_IP, "the stack filled in the source");
	cr_assert_eq(ntohs(from.sin_port), 12345);
	/* A UDP raw socket sends with the stack's header until IP_HDRINCL is set. */
	expect_ret(usock_setsockopt(u, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)), 0);
	n = udp_by_hand(d, 9301, "again");
	expect_ret(usock_sendto(u, d, n, 0, SA(&to), sizeof(to)), n);
	cr_assert_eq(recv(k, got, sizeof(got), 0), 5);
	cr_assert_eq(memcmp(got, "again", 5), 0);
	/* A header shorter than 20 bytes, or not version 4, is refused. */
	expect_fail(usock_sendto(s, d, 12, 0, SA(&to), sizeof(to)), EINVAL);
	d[0] = 0x65;
	expect_fail(usock_sendto(s, d, n, 0, SA(&to), sizeof(to)), EINVAL);
	close(k);
	usock_close(s);
	usock_close(u);
}

Test(api_raw, without_hdrincl_the_stack_builds_the_header)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 0), from;
	socklen_t fl = sizeof(from);
	int k = k_udp(9302), u = raw_sock(IPPROTO_UDP), ttl = 17;
	uint8_t d[64];
	char got[16];

	/* The payload is the UDP header and data; the stack adds IPv4 with the socket's TTL. */
	memset(d, 0, 8);
	d[0] = 0x30;
	d[1] = 0x3a;	/* source port 12346 */
	d[2] = 9302 >> 8;
	d[3] = 9302 & 0xff;
	d[5] = 8 + 4;
	memcpy(d + 8, "data", 4);
	expect_ret(usock_setsockopt(u, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	expect_ret(usock_sendto(u, d, 12, 0, SA(&to), sizeof(to)), 12);
	cr_assert_eq(recvfrom(k, got, sizeof(got), 0, SA(&from), &fl), 4);
	cr_assert_eq(memcmp(got, "data", 4), 0);
	cr_assert_eq(ntohs(from.sin_port), 12346);
	close(k);
	usock_close(u);
}

Test(api_raw, an_unknown_protocol_goes_to_the_raw_socket_that_asked_for_it)
{
	struct sockaddr_in to = sin4(LAB_USOCK_IP, 0);
	int k = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, 253), s = raw_sock(253);
	int ki = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	struct timeval tv = { 0, 300000 };
	uint8_t m[128];
	ssize_t r;

	cr_assert_geq(k, 0);
	cr_assert_geq(ki, 0);
	setsockopt(ki, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert_eq(sendto(k, "experimental", 12, 0, SA(&to), sizeof(to)), 12);
	r = usock_recv(s, m, sizeof(m), 0);
	cr_assert_eq(r, 20 + 12, "%zd (%s)", r, strerror(errno));
	cr_assert_eq(m[9], 253);
	cr_assert_eq(memcmp(m + 20, "experimental", 12), 0);
	/* The stack leaves the protocol to the socket: no protocol-unreachable comes back. */
	cr_assert_lt(recv(ki, m, sizeof(m), 0), 0, "no ICMP error for a protocol a raw socket takes");
	close(k);
	close(ki);
	usock_close(s);
}

Test(api_raw, misuse_gets_the_errno_linux_gives)
{
	struct sockaddr_in foreign = sin4(LAB_FOREIGN_IP, 0), any = sin4("0.0.0.0", 0);
	uint8_t b[16] = { 0 };
	int s, u, one = 1;

	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_RAW, 0), EPROTONOSUPPORT);
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_RAW, 256), EPROTONOSUPPORT);
	expect_fail(usock_socket(USOCK_AF_INET, USOCK_SOCK_RAW, -1), EINVAL);	/* as Linux */
	s = raw_sock(IPPROTO_ICMP);
	expect_fail(usock_listen(s, 1), EOPNOTSUPP);
	expect_fail(usock_accept(s, NULL, NULL), EOPNOTSUPP);
	expect_fail(usock_send(s, b, sizeof(b), 0), EDESTADDRREQ);
	expect_fail(usock_bind(s, SA(&foreign), sizeof(foreign)), EADDRNOTAVAIL);
	expect_ret(usock_bind(s, SA(&any), sizeof(any)), 0);
	expect_fail(usock_getpeername(s, SA(&foreign), &(socklen_t){ sizeof(foreign) }), ENOTCONN);
	expect_ret(usock_settimeout(s, 0), 0);
	expect_fail(usock_recv(s, b, sizeof(b), 0), EAGAIN);
	/* IP_HDRINCL is for raw sockets only. */
	u = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	cr_assert_geq(u, 0);
	expect_fail(usock_setsockopt(u, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)), ENOPROTOOPT);
	usock_close(u);
	usock_close(s);
}
