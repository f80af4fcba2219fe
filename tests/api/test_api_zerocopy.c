/*
 * Zero-copy receive against the kernel on afpacket: usock_readinto copies
 * each delivered byte once (straight from the frame the driver filled),
 * usock_recv_borrow/usock_release deliver without a copy, and the
 * per-socket counters (usock_sockstats) say so.  A lent frame stays intact
 * while the ring comes round and a flood arrives, and the rules of the
 * loan hold: EBUSY for the other receive calls, EINVAL for a release of
 * more than was lent, data still valid after the peer's reset.
 */
#include "api_lab.h"

TestSuite(api_zerocopy, .init = lab_up);

static int
k_listen(uint16_t port)
{
	struct sockaddr_in a = sin4(LAB_KERNEL_IP, port);
	int one = 1, k = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(k, 0);
	setsockopt(k, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(k, SA(&a), sizeof(a)), 0);
	cr_assert_eq(listen(k, 4), 0);
	return k;
}

/* A connection: usock's end returned, the kernel's in *kc. */
static int
pair(uint16_t port, int *kc)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, port);
	int k = k_listen(port), s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);

	cr_assert_geq(s, 0);
	cr_assert_eq(usock_settimeout(s, 5.0), 0);
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	*kc = accept(k, NULL, NULL);
	cr_assert_geq(*kc, 0);
	close(k);
	return s;
}

static uint8_t pattern[1 << 20];

static void
fill_pattern(void)
{
	uint32_t x = 0x9e3779b9u;
	size_t i;

	for (i = 0; i < sizeof(pattern); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[i] = (uint8_t)(x >> 24);
	}
}

static void *
k_send_all(void *arg)
{
	int k = *(int *)arg;
	size_t off = 0;

	while (off < sizeof(pattern)) {
		ssize_t n = send(k, pattern + off, sizeof(pattern) - off, 0);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(k, SHUT_WR);
	return NULL;
}

Test(api_zerocopy, readinto_copies_each_byte_once)
{
	static uint8_t got[1 << 20];
	struct usock_sockstats ss;
	pthread_t t;
	int k, s = pair(7401, &k);

	fill_pattern();
	pthread_create(&t, NULL, k_send_all, &k);
	expect_ret(usock_readinto(s, got, sizeof(got)), sizeof(got));
	pthread_join(t, NULL);
	cr_assert_eq(memcmp(got, pattern, sizeof(got)), 0);
	expect_ret(usock_sockstats(s, &ss), 0);
	cr_assert_eq(ss.bytes_delivered, sizeof(got));
	cr_assert_eq(ss.bytes_copied, sizeof(got), "one copy per delivered byte");
	cr_log_info("readinto: %.2f copies per delivered byte",
		    (double)ss.bytes_copied / (double)ss.bytes_delivered);
	close(k);
	usock_close(s);
}

Test(api_zerocopy, borrow_delivers_without_a_copy)
{
	struct usock_sockstats ss;
	size_t off = 0;
	pthread_t t;
	int k, s = pair(7402, &k), pieces = 0;

	fill_pattern();
	pthread_create(&t, NULL, k_send_all, &k);
	for (;;) {
		const void *d;
		ssize_t n = usock_recv_borrow(s, &d, NULL, NULL);

		cr_assert_geq(n, 0, "borrow: %s", strerror(errno));
		if (n == 0)
			break;
		cr_assert_leq(off + (size_t)n, sizeof(pattern));
		cr_assert_eq(memcmp(d, pattern + off, (size_t)n), 0, "bytes at %zu", off);
		off += (size_t)n;
		pieces++;
		expect_ret(usock_release(s, (size_t)n), 0);
	}
	pthread_join(t, NULL);
	cr_assert_eq(off, sizeof(pattern), "every byte, in order");
	expect_ret(usock_sockstats(s, &ss), 0);
	cr_assert_eq(ss.bytes_delivered, sizeof(pattern));
	cr_assert_eq(ss.bytes_copied, 0, "no copy");
	cr_log_info("borrow: %d pieces, %.2f copies per delivered byte", pieces,
		    (double)ss.bytes_copied / (double)ss.bytes_delivered);
	close(k);
	usock_close(s);
}

Test(api_zerocopy, the_rules_of_the_loan)
{
	const void *d, *d2;
	uint8_t b[64];
	int k, s = pair(7403, &k);
	ssize_t n;

	expect_fail(usock_release(s, 0), EINVAL);
	cr_assert_eq(send(k, "0123456789", 10, 0), 10);
	n = usock_recv_borrow(s, &d, NULL, NULL);
	cr_assert_eq(n, 10);
	cr_assert_eq(memcmp(d, "0123456789", 10), 0);
	/* Lent: the same bytes again; other receive calls wait their turn. */
	expect_ret(usock_recv_borrow(s, &d2, NULL, NULL), 10);
	cr_assert_eq(d2, d);
	expect_fail(usock_recv(s, b, sizeof(b), 0), EBUSY);
	expect_fail(usock_readline(s, b, sizeof(b)), EBUSY);
	expect_fail(usock_release(s, 11), EINVAL);
	/* Part of it back: the rest is there for the next call, borrowed or read. */
	expect_ret(usock_release(s, 4), 0);
	expect_ret(usock_recv_borrow(s, &d, NULL, NULL), 6);
	cr_assert_eq(memcmp(d, "456789", 6), 0);
	expect_ret(usock_release(s, 0), 0);
	expect_ret(usock_recv(s, b, sizeof(b), 0), 6);
	cr_assert_eq(memcmp(b, "456789", 6), 0);
	/* Non-blocking with nothing there: EAGAIN, and nothing is lent. */
	expect_ret(usock_settimeout(s, 0), 0);
	expect_fail(usock_recv_borrow(s, &d, NULL, NULL), EAGAIN);
	expect_fail(usock_release(s, 0), EINVAL);
	expect_fail(usock_recv_borrow(s, NULL, NULL, NULL), EINVAL);
	close(k);
	usock_close(s);
}

Test(api_zerocopy, lent_bytes_outlive_the_peers_reset)
{
	struct linger lg = { 1, 0 };
	const void *d;
	uint8_t b[16];
	int k, s = pair(7404, &k);

	cr_assert_eq(send(k, "kept", 4, 0), 4);
	expect_ret(usock_recv_borrow(s, &d, NULL, NULL), 4);
	/* The kernel resets the connection while the bytes are lent. */
	setsockopt(k, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(k);
	sleep_ms(200);
	cr_assert_eq(memcmp(d, "kept", 4), 0, "still there");
	expect_ret(usock_release(s, 4), 0);
	expect_fail(usock_recv(s, b, sizeof(b), 0), ECONNRESET);
	usock_close(s);
}

Test(api_zerocopy, a_datagram_is_lent_whole_with_its_sender)
{
	struct sockaddr_in a = sin4("0.0.0.0", 7405), to = sin4(LAB_USOCK_IP, 7405), from;
	socklen_t fl = sizeof(from);
	struct usock_sockstats ss;
	const void *d;
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0), k = k_udp(0);

	cr_assert_geq(s, 0);
	expect_ret(usock_bind(s, SA(&a), sizeof(a)), 0);
	expect_ret(usock_settimeout(s, 3.0), 0);
	cr_assert_eq(sendto(k, "first", 5, 0, SA(&to), sizeof(to)), 5);
	cr_assert_eq(sendto(k, "second", 6, 0, SA(&to), sizeof(to)), 6);
	expect_ret(usock_recv_borrow(s, &d, SA(&from), &fl), 5);
	cr_assert_eq(memcmp(d, "first", 5), 0);
	cr_assert_str_eq(inet_ntoa(from.sin_addr), LAB_KERNEL_IP);
	cr_assert_eq(ntohs(from.sin_port), k_port(k));
	/* Any n gives the whole datagram back. */
	expect_ret(usock_release(s, 1), 0);
	expect_ret(usock_recv_borrow(s, &d, NULL, NULL), 6);
	cr_assert_eq(memcmp(d, "second", 6), 0);
	expect_ret(usock_release(s, 6), 0);
	expect_ret(usock_sockstats(s, &ss), 0);
	cr_assert_eq(ss.bytes_delivered, 11);
	cr_assert_eq(ss.bytes_copied, 0);
	close(k);
	usock_close(s);
}

/*
 * Lent bytes stay put while 20000 frames go round the 2048-frame ring: a
 * frame lent in place is pinned (the driver neither moves nor reuses it;
 * the ring waits), one the driver had already moved out of the ring
 * stays where it was moved; either way the connection carries on.
 */
Test(api_zerocopy, a_lent_frame_survives_a_flood_round_the_ring)
{
	struct sockaddr_in to = sin4(LAB_USOCK_IP, 9);	/* nothing bound: every frame is dropped */
	static uint8_t snap[2048], got[8];
	const void *d;
	int k, s = pair(7406, &k), u = k_udp(0), i;
	char junk[1000];
	ssize_t n;

	memset(junk, 'j', sizeof(junk));
	cr_assert_eq(send(k, pattern, 1400, 0), 1400);
	n = usock_recv_borrow(s, &d, NULL, NULL);
	cr_assert_gt(n, 0);
	memcpy(snap, d, (size_t)n);
	for (i = 0; i < 20000; i++)
		(void)sendto(u, junk, sizeof(junk), MSG_DONTWAIT, SA(&to), sizeof(to));
	sleep_ms(300);
	cr_assert_eq(memcmp(d, snap, (size_t)n), 0, "the lent bytes are untouched");
	expect_ret(usock_release(s, (size_t)n), 0);
	/* The stream goes on, whole. */
	cr_assert_eq(send(k, "tail1234", 8, 0), 8);
	{
		uint8_t rest[1400];

		if (n < 1400)
			expect_ret(usock_read(s, rest, 1400 - (size_t)n), 1400 - n);
	}
	expect_ret(usock_read(s, got, 8), 8);
	cr_assert_eq(memcmp(got, "tail1234", 8), 0);
	close(u);
	close(k);
	usock_close(s);
}
