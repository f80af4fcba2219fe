/*
 * The stream calls of the public API against the Linux kernel in a private
 * namespace: connect/accept both ways, blocking, non-blocking and timeout
 * modes (API.md: ETIMEDOUT after t seconds, EAGAIN at t == 0), no short
 * reads, readline, sendall, shutdown, and close as the seed says (queued
 * data goes, then FIN; unread data or SO_LINGER 0 resets).
 */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

#include "api_lab.h"

TestSuite(api_tcp, .init = lab_up);

/* A kernel listener on 198.18.0.1:port. */
static int
k_listen(uint16_t port)
{
	struct sockaddr_in a = sin4(LAB_KERNEL_IP, port);
	int one = 1, k = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(k, 0);
	setsockopt(k, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(k, SA(&a), sizeof(a)), 0, "kernel bind: %s", strerror(errno));
	cr_assert_eq(listen(k, 16), 0);
	return k;
}

/* usock connects to the kernel's port; returns the usock socket and the kernel's accepted end. */
static int
u_connect(uint16_t port, int *kconn)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, port);
	int k = k_listen(port), s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
	struct timeval tv = { 5, 0 };

	cr_assert_geq(s, 0, "usock_socket: %s", strerror(errno));
	cr_assert_eq(usock_settimeout(s, 5.0), 0);
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	*kconn = accept(k, NULL, NULL);
	cr_assert_geq(*kconn, 0, "kernel accept: %s", strerror(errno));
	setsockopt(*kconn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	close(k);
	return s;
}

/* A usock listener on port, with a 5 s timeout. */
static int
u_listen(uint16_t port, int backlog)
{
	struct sockaddr_in a = sin4("0.0.0.0", port);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);

	cr_assert_geq(s, 0);
	cr_assert_eq(usock_settimeout(s, 5.0), 0);
	expect_ret(usock_bind(s, SA(&a), sizeof(a)), 0);
	expect_ret(usock_listen(s, backlog), 0);
	return s;
}

/* The kernel connects to usock's port (blocking, 5 s). */
static int
k_connect(uint16_t port)
{
	struct sockaddr_in to = sin4(LAB_USOCK_IP, port);
	struct timeval tv = { 5, 0 };
	int k = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(k, 0);
	setsockopt(k, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(k, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(k, SA(&to), sizeof(to)), 0, "kernel connect: %s", strerror(errno));
	return k;
}

static void
k_read_exact(int k, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(k, (char *)buf + got, n - got, 0);

		cr_assert_gt(r, 0, "kernel recv: %zd %s", r, strerror(errno));
		got += (size_t)r;
	}
}

Test(api_tcp, connect_send_recv_with_the_kernel)
{
	int k, s = u_connect(7301, &k);
	char buf[16];
	struct sockaddr_in peer, me;
	socklen_t l = sizeof(peer);

	expect_ret(usock_send(s, "hello", 5, 0), 5);
	k_read_exact(k, buf, 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	cr_assert_eq(send(k, "world!", 6, 0), 6);
	expect_ret(usock_read(s, buf, 6), 6);
	cr_assert_eq(memcmp(buf, "world!", 6), 0);
	expect_ret(usock_getpeername(s, SA(&peer), &l), 0);
	cr_assert_eq(ntohs(peer.sin_port), 7301);
	l = sizeof(me);
	expect_ret(usock_getsockname(s, SA(&me), &l), 0);
	cr_assert_str_eq(inet_ntoa(me.sin_addr), LAB_USOCK_IP);
	expect_ret(usock_close(s), 0);
	expect_ret(recv(k, buf, sizeof(buf), 0), 0);	/* FIN */
	close(k);
}

/*
 * A blocking call hands its packets to the link before it sleeps: with the
 * service thread idle (no timers armed), a SYN left queued would go out only
 * when connect gave up.
 */
Test(api_tcp, connect_from_an_idle_stack_does_not_wait_for_its_timeout)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7310);
	int k = k_listen(7310), s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0), i;

	cr_assert_geq(s, 0);
	for (i = 0; i < 3; i++) {
		int c;

		sleep_ms(300);	/* long enough for the service thread to go to sleep */
		if (i > 0)
			s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
		cr_assert_eq(usock_settimeout(s, 2.0), 0);
		expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
		c = accept(k, NULL, NULL);
		cr_assert_geq(c, 0);
		close(c);
		usock_close(s);
	}
	close(k);
}

Test(api_tcp, accept_fills_the_peer_address_and_inherits_the_mode)
{
	int ls = u_listen(7302, 4), k = k_connect(7302), c;
	struct sockaddr_in from, kme;
	socklen_t l = sizeof(from), kl = sizeof(kme);
	char buf[8];

	c = usock_accept(ls, SA(&from), &l);
	cr_assert_geq(c, 0, "accept: %s", strerror(errno));
	cr_assert_eq(l, sizeof(from));
	getsockname(k, SA(&kme), &kl);
	cr_assert_eq(from.sin_port, kme.sin_port);
	cr_assert_str_eq(inet_ntoa(from.sin_addr), LAB_KERNEL_IP);
	cr_assert_eq(send(k, "ping", 4, 0), 4);
	expect_ret(usock_recv(c, buf, sizeof(buf), 0), 4);
	expect_ret(usock_write(c, "pong", 4), 4);
	k_read_exact(k, buf, 4);
	cr_assert_eq(memcmp(buf, "pong", 4), 0);
	usock_close(c);
	usock_close(ls);
	close(k);
}

Test(api_tcp, nonblocking_calls_say_eagain_and_einprogress)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7303);
	int kl = k_listen(7303), ls = u_listen(7304, 4), s, k;
	char buf[8];

	s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
	expect_ret(usock_setblocking(s, false), 0);
	expect_fail(usock_connect(s, SA(&to), sizeof(to)), EINPROGRESS);
	k = accept(kl, NULL, NULL);
	cr_assert_geq(k, 0);
	/* The handshake finishes on its own; recv has nothing yet. */
	for (int i = 0; i < 100; i++) {
		struct pollfd pf = { .fd = s, .events = POLLOUT };

		if (usock_poll(&pf, 1, 50) == 1 && (pf.revents & POLLOUT))
			break;
	}
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EAGAIN);
	expect_ret(usock_setblocking(ls, false), 0);
	expect_fail(usock_accept(ls, NULL, NULL), EAGAIN);
	usock_close(s);
	usock_close(ls);
	close(k);
	close(kl);
}

Test(api_tcp, timeouts_give_etimedout_after_about_t_seconds)
{
	int k, s = u_connect(7305, &k), ls = u_listen(7306, 4);
	char buf[8];
	double t0;

	expect_ret(usock_settimeout(s, 0.5), 0);
	t0 = now_s();
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), ETIMEDOUT);
	cr_assert_geq(now_s() - t0, 0.45);
	cr_assert_lt(now_s() - t0, 3.0);
	expect_ret(usock_settimeout(ls, 0.3), 0);
	t0 = now_s();
	expect_fail(usock_accept(ls, NULL, NULL), ETIMEDOUT);
	cr_assert_geq(now_s() - t0, 0.25);
	usock_close(s);
	usock_close(ls);
	close(k);
}

Test(api_tcp, connect_to_a_closed_port_is_refused_and_to_nobody_times_out)
{
	struct sockaddr_in closed = sin4(LAB_KERNEL_IP, 7399), nobody = sin4(LAB_FOREIGN_IP, 7);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);

	expect_fail(usock_connect(s, SA(&closed), sizeof(closed)), ECONNREFUSED);
	usock_close(s);
	s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
	expect_ret(usock_settimeout(s, 1.0), 0);
	expect_fail(usock_connect(s, SA(&nobody), sizeof(nobody)), ETIMEDOUT);
	usock_close(s);
}

Test(api_tcp, read_has_no_short_reads_and_readline_stops_at_newline)
{
	int k, s = u_connect(7307, &k);
	char buf[64];

	cr_assert_eq(send(k, "ab", 2, 0), 2);
	sleep_ms(50);
	cr_assert_eq(send(k, "cd\nsecond line\nrest", 19, 0), 19);
	expect_ret(usock_read(s, buf, 4), 4);
	cr_assert_eq(memcmp(buf, "abcd", 4), 0);
	expect_ret(usock_readline(s, buf, sizeof(buf)), 1);
	cr_assert_eq(buf[0], '\n');
	expect_ret(usock_readline(s, buf, sizeof(buf)), 12);
	cr_assert_eq(memcmp(buf, "second line\n", 12), 0);
	shutdown(k, SHUT_WR);
	/* At the end of the stream a read returns what there is, then 0. */
	expect_ret(usock_read(s, buf, sizeof(buf)), 4);
	cr_assert_eq(memcmp(buf, "rest", 4), 0);
	expect_ret(usock_read(s, buf, sizeof(buf)), 0);
	expect_ret(usock_readline(s, buf, sizeof(buf)), 0);
	usock_close(s);
	close(k);
}

static uint8_t big[8 << 20], back[8 << 20];
static int reader_fd;

static void *
reader(void *arg)
{
	(void)arg;
	k_read_exact(reader_fd, back, sizeof(back));
	return NULL;
}

Test(api_tcp, sendall_of_8_mib_arrives_whole_and_readall_reads_to_the_end)
{
	int k, s = u_connect(7308, &k);
	void *all = NULL;
	pthread_t thr;
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 2654435761u >> 24);
	/* The kernel reads while usock sends: sendall blocks on a full window, not forever. */
	reader_fd = k;
	expect_ret(usock_settimeout(s, 30.0), 0);
	cr_assert_eq(pthread_create(&thr, NULL, reader, NULL), 0);
	expect_ret(usock_sendall(s, big, sizeof(big)), (long long)sizeof(big));
	pthread_join(thr, NULL);
	cr_assert_eq(memcmp(big, back, sizeof(big)), 0);
	cr_assert_eq(send(k, big, 100000, 0), 100000);
	shutdown(k, SHUT_WR);
	expect_ret(usock_readall(s, &all), 100000);
	cr_assert_eq(memcmp(all, big, 100000), 0);
	free(all);
	usock_close(s);
	close(k);
}

Test(api_tcp, shutdown_write_sends_fin_and_reading_goes_on)
{
	int k, s = u_connect(7309, &k);
	char buf[8];

	expect_ret(usock_shutdown(s, SHUT_WR), 0);
	expect_ret(recv(k, buf, sizeof(buf), 0), 0);
	expect_fail(usock_send(s, "x", 1, 0), EPIPE);
	cr_assert_eq(send(k, "late", 4, 0), 4);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 4);
	expect_fail(usock_shutdown(s, 7), EINVAL);
	usock_close(s);
	close(k);
}

Test(api_tcp, close_with_unread_data_resets_and_linger_zero_resets)
{
	int k, s = u_connect(7310, &k), k2, s2;
	struct linger lg = { 1, 0 };
	char buf[8];

	cr_assert_eq(send(k, "unread", 6, 0), 6);
	sleep_ms(100);
	expect_ret(usock_close(s), 0);
	/* As Linux: unread data lost means the peer must hear a reset, not a FIN. */
	errno = 0;
	cr_assert_eq(recv(k, buf, sizeof(buf), 0), -1);
	cr_assert_eq(errno, ECONNRESET, "kernel recv: %s", strerror(errno));
	close(k);
	s2 = u_connect(7311, &k2);
	expect_ret(usock_setsockopt(s2, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	expect_ret(usock_close(s2), 0);
	errno = 0;
	cr_assert_eq(recv(k2, buf, sizeof(buf), 0), -1);
	cr_assert_eq(errno, ECONNRESET);
	close(k2);
}

Test(api_tcp, peer_reset_is_reported_as_econnreset)
{
	int k, s = u_connect(7312, &k);
	struct linger lg = { 1, 0 };
	char buf[8];

	setsockopt(k, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(k);	/* the kernel sends RST */
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), ECONNRESET);
	usock_close(s);
}

Test(api_tcp, backlog_full_refuses_new_connections)
{
	struct sockaddr_in to = sin4(LAB_USOCK_IP, 7313);
	int ls = u_listen(7313, 1), k1 = k_connect(7313), k2, rc;

	sleep_ms(100);
	k2 = socket(AF_INET, SOCK_STREAM, 0);
	rc = connect(k2, SA(&to), sizeof(to));
	cr_assert_eq(rc, -1, "a second connection got in with backlog 1");
	cr_assert_eq(errno, ECONNREFUSED, "kernel connect: %s", strerror(errno));
	close(k1);
	close(k2);
	usock_close(ls);
}

Test(api_tcp, socket_options_of_tcp)
{
	int k, s = u_connect(7314, &k), v = 1;
	socklen_t l = sizeof(v);
	char cc[16];

	expect_ret(usock_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
	v = 0;
	expect_ret(usock_getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &l), 0);
	cr_assert_eq(v, 1);
	v = 30;
	expect_ret(usock_setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)), 0);
	v = 1;
	expect_ret(usock_setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), 0);
	expect_ret(usock_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "newreno", 7), 0);
	l = sizeof(cc);
	expect_ret(usock_getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, cc, &l), 0);
	cr_assert_str_eq(cc, "newreno");
	expect_fail(usock_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "vegas", 5), ENOENT);
	usock_close(s);
	close(k);
}

/*
 * A socket twice in one poll set, once for input and once for output (as
 * OpenBSD nc polls): the output entry must still wake the poll when a full
 * send buffer drains.  The second entry once overwrote the first's wish.
 */
struct drain {
	int fd;
	size_t want, got;
};

static void *
drain_main(void *arg)
{
	static char sink[65536];
	struct drain *d = arg;
	ssize_t n;

	sleep_ms(200);	/* after the poll below has gone to sleep */
	while (d->got < d->want && (n = read(d->fd, sink, sizeof(sink))) > 0)
		d->got += (size_t)n;
	return NULL;
}

Test(api_tcp, poll_with_the_socket_twice_wakes_for_output_when_room_frees)
{
	static char chunk[65536];
	struct pollfd pf[2];
	struct drain d = { 0 };
	pthread_t t;
	double t0, dt;
	int kc, s = u_connect(7311, &kc), r;

	expect_ret(usock_setblocking(s, false), 0);
	/*
	 * Fill usock's send buffer and the kernel's receive buffer (it reads
	 * nothing yet): until a round after a pause queues nothing more.
	 */
	for (int round = 0; round < 100; round++) {
		size_t before = d.want;

		while ((r = (int)usock_send(s, chunk, sizeof(chunk), 0)) > 0)
			d.want += (size_t)r;
		cr_assert_eq(errno, EAGAIN);
		if (round > 0 && d.want == before)
			break;
		sleep_ms(100);
	}
	/* nc's order: the output entry first, then the input one. */
	pf[0] = (struct pollfd){ .fd = s, .events = POLLOUT };
	pf[1] = (struct pollfd){ .fd = s, .events = POLLIN };
	expect_ret(usock_poll(pf, 2, 0), 0);
	d.fd = kc;
	cr_assert_eq(pthread_create(&t, NULL, drain_main, &d), 0);
	t0 = now_s();
	r = usock_poll(pf, 2, 5000);
	dt = now_s() - t0;
	cr_assert_geq(r, 1, "poll: %d (%s)", r, strerror(errno));
	/* Woken by the room, not by its own 5 s timeout (after which it looks again). */
	cr_assert_lt(dt, 2.5, "poll returned after %.3f s: the output entry did not wake it", dt);
	cr_assert(pf[0].revents & POLLOUT, "revents of the output entry: %#x", pf[0].revents);
	cr_assert_eq(pf[1].revents, 0);
	pthread_join(t, NULL);
	usock_close(s);
	close(kc);
}

/*
 * A 5 s usock_poll over pf, woken when the kernel writes a byte on k 300
 * ms in: one entry ready, long before the timeout.
 */
static void
poll_woken_by_byte(struct pollfd *pf, nfds_t n, int k)
{
	struct delayed_write lb = { .fd = k, .delay_ms = 300 };
	pthread_t t;
	double t0, dt;
	int rc;

	cr_assert_eq(pthread_create(&t, NULL, delayed_write_main, &lb), 0);
	t0 = now_s();
	rc = usock_poll(pf, n, 5000);
	dt = now_s() - t0;
	pthread_join(t, NULL);
	cr_assert_eq(rc, 1, "poll: %d (%s)", rc, strerror(errno));
	cr_assert_lt(dt, 2.5, "poll returned after %.3f s: the event did not wake it", dt);
}

/* The number no kernel descriptor reaches: fs.nr_open, every descriptor limit's ceiling. */
static long
nr_open(void)
{
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	long v = 0;

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%ld", &v), 1);
	fclose(f);
	return v;
}

/* A thread that polls one descriptor for input, 5 s at most. */
struct poll_job {
	int fd;
	int rc;
	short revents;
	double took;
};

static void *
poll_job_main(void *arg)
{
	struct poll_job *j = arg;
	struct pollfd pf = { .fd = j->fd, .events = POLLIN };
	double t0 = now_s();

	j->rc = usock_poll(&pf, 1, 5000);
	j->took = now_s() - t0;
	j->revents = pf.revents;
	return NULL;
}

/*
 * Once the process has no descriptor left (a server whose RLIMIT_NOFILE is
 * hard and low), sockets still open and accept, with descriptors numbered
 * from fs.nr_open up: above any the kernel can give, so still never equal
 * to a kernel descriptor.  Every call works on them (options too).
 * usock_poll sees their events mixed with kernel ones: it sleeps on the
 * thread's own eventfd, made when the thread made its first socket, or, in
 * a thread that has none and cannot make one, looks again every
 * millisecond.  The numbers are freed on close and used again; with
 * descriptors to spare again, sockets are eventfds again.
 */
Test(api_tcp, sockets_past_the_descriptor_limit_have_numbers_no_kernel_descriptor_can_have)
{
	enum { N = 24, M = 512 };
	long base = nr_open();
	int ls = u_listen(7321, N), k[N], c[N], d[M], pipefd[2], u, rc;
	struct pollfd pf[N + 1 + M];
	struct rlimit rl0, rl;
	pthread_t t;
	char buf[8];
	struct poll_job job;
	int one = 1, v;
	socklen_t vl = sizeof(v);

	for (int i = 0; i < N; i++)
		k[i] = k_connect(7321);
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	/* No descriptor left: the limit is the highest one open plus one. */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl0), 0);
	u = dup(0);
	cr_assert_geq(u, 0);
	close(u);
	rl = rl0;
	rl.rlim_cur = (rlim_t)u;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	expect_fail(dup(0), EMFILE);

	for (int i = 0; i < N; i++) {
		c[i] = usock_accept(ls, NULL, NULL);
		cr_assert_geq(c[i], base, "accept %d past the limit: %d (%s), want >= %ld", i, c[i],
			      strerror(errno), base);
		for (int j = 0; j < i; j++)
			cr_assert_neq(c[i], c[j]);
		expect_ret(usock_setblocking(c[i], false), 0);
	}
	u = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	cr_assert_geq(u, base, "socket past the limit: %d (%s)", u, strerror(errno));
	expect_fail(fcntl(u, F_GETFD), EBADF);	/* not the kernel's */
	/* More than the limit, polled in one set (the kernel's poll refuses that many). */
	cr_assert_lt(rl.rlim_cur, M);
	for (int i = 0; i < M; i++) {
		d[i] = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
		cr_assert_geq(d[i], base);
		pf[N + 1 + i] = (struct pollfd){ .fd = d[i], .events = POLLIN };
	}

	/* Nothing to read: poll says so at once. */
	for (int i = 0; i < N; i++)
		pf[i] = (struct pollfd){ .fd = c[i], .events = POLLIN };
	pf[N] = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	expect_ret(usock_poll(pf, N + 1 + M, 0), 0);
	/* A byte on connection 17 in 300 ms wakes a poll that would wait 5 s. */
	poll_woken_by_byte(pf, N + 1 + M, k[17]);
	for (int i = 0; i < N + 1 + M; i++)
		cr_assert_eq(pf[i].revents, i == 17 ? POLLIN : 0, "entry %d: revents %#x", i,
			     pf[i].revents);
	expect_ret(usock_recv(c[17], buf, sizeof(buf), 0), 1);
	/* A kernel descriptor in the same set wakes it too. */
	poll_woken_by_byte(pf, N + 1 + M, pipefd[1]);
	cr_assert_eq(pf[N].revents, POLLIN);

	/* Data both ways on every one. */
	for (int i = 0; i < N; i++) {
		struct sockaddr_in me;
		socklen_t l = sizeof(me);

		cr_assert_eq(send(k[i], "ab", 2, 0), 2);
		for (int tries = 0; tries < 500 && usock_recv(c[i], buf, 2, MSG_PEEK) < 2; tries++)
			sleep_ms(10);
		expect_ret(usock_read(c[i], buf, 2), 2);
		cr_assert_eq(memcmp(buf, "ab", 2), 0);
		expect_ret(usock_write(c[i], "cd", 2), 2);
		k_read_exact(k[i], buf, 2);
		cr_assert_eq(memcmp(buf, "cd", 2), 0);
		expect_ret(usock_getsockname(c[i], SA(&me), &l), 0);
		cr_assert_eq(ntohs(me.sin_port), 7321);
	}
	expect_ret(usock_setsockopt(c[2], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	expect_ret(usock_getsockopt(c[2], IPPROTO_TCP, TCP_NODELAY, &v, &vl), 0);
	cr_assert_eq(v, 1);
	/* A thread with no wake-up eventfd (none to spare) is still woken, within ms. */
	job = (struct poll_job){ .fd = c[3] };
	cr_assert_eq(pthread_create(&t, NULL, poll_job_main, &job), 0);
	sleep_ms(300);
	cr_assert_eq(send(k[3], "z", 1, 0), 1);
	pthread_join(t, NULL);
	cr_assert_eq(job.rc, 1, "poll in a new thread: %d", job.rc);
	cr_assert_eq(job.revents, POLLIN);
	cr_assert(job.took > 0.2 && job.took < 2.5, "poll in a new thread took %.3f s", job.took);
	expect_ret(usock_recv(c[3], buf, sizeof(buf), 0), 1);

	/* Closed: gone (EBADF), and the number is used again. */
	expect_ret(usock_close(c[5]), 0);
	expect_fail(usock_close(c[5]), EBADF);
	expect_fail(usock_recv(c[5], buf, 1, 0), EBADF);
	rc = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	cr_assert_eq(rc, c[5], "the freed number %d again: %d", c[5], rc);
	expect_ret(usock_close(rc), 0);
	for (int i = 0; i < N; i++) {
		if (i != 5)
			expect_ret(usock_close(c[i]), 0);
		/* The kernel sees our FIN. */
		cr_assert_eq(read(k[i], buf, 1), 0);
		close(k[i]);
	}
	expect_ret(usock_close(u), 0);
	for (int i = 0; i < M; i++)
		expect_ret(usock_close(d[i]), 0);
	/* Descriptors to spare again: an eventfd again. */
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl0), 0);
	u = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	cr_assert(u >= 0 && u < base, "socket with descriptors to spare: %d", u);
	cr_assert_eq(fcntl(u, F_GETFD), FD_CLOEXEC);
	usock_close(u);
	usock_close(ls);
	close(pipefd[0]);
	close(pipefd[1]);
}
