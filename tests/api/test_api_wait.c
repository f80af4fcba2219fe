/*
 * test_api_wait.c - the calls that wait, against the Linux kernel in a
 * private namespace (api_lab.h): usock_settimeout and usock_setblocking
 * on a recv, and usock_poll over usock sockets and kernel descriptors
 * together.  Durations are only checked loosely: never sooner than asked,
 * and not absurdly later.
 */
#include <math.h>
#include <signal.h>
#include <sys/resource.h>

#include "api_lab.h"

TestSuite(api_timeout, .init = lab_up);
TestSuite(api_poll, .init = lab_up);

/* ---- usock_settimeout / usock_setblocking ---- */

Test(api_timeout, positive_timeout_fails_recv_with_etimedout_after_that_long)
{
	char buf[8];
	int s = u_udp(6200);
	double t0, dt;

	expect_ret(usock_settimeout(s, 0.5), 0);
	t0 = now_s();
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), ETIMEDOUT);
	dt = now_s() - t0;
	cr_assert_geq(dt, 0.5, "gave up after %.3f s, before the 0.5 s timeout", dt);
	cr_assert_lt(dt, 2.5, "gave up after %.3f s for a 0.5 s timeout", dt);
}

Test(api_timeout, positive_timeout_applies_to_recvfrom_and_read_too)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[8];
	int s = u_udp(6201);
	double t0, dt;

	expect_ret(usock_settimeout(s, 0.3), 0);
	t0 = now_s();
	expect_fail(usock_recvfrom(s, buf, sizeof(buf), 0, SA(&from), &fl), ETIMEDOUT);
	expect_fail(usock_read(s, buf, sizeof(buf)), ETIMEDOUT);
	dt = now_s() - t0;
	cr_assert_geq(dt, 0.6, "two 0.3 s timeouts took %.3f s", dt);
	cr_assert_lt(dt, 4.6);
}

Test(api_timeout, positive_timeout_returns_data_that_arrives_in_time)
{
	struct delayed_send d;
	char buf[16];
	int k = k_udp(7202), s = u_udp(6202);

	expect_ret(usock_settimeout(s, 5.0), 0);
	delayed_send_start(&d, k, 6202, 200, "in time");
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 7);
	cr_assert_eq(memcmp(buf, "in time", 7), 0);
	delayed_send_join(&d);
}

Test(api_timeout, zero_timeout_fails_every_read_at_once_with_eagain)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[8];
	void *p = NULL;
	int s = u_udp(6203);
	double t0;

	expect_ret(usock_settimeout(s, 0), 0);
	t0 = now_s();
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EAGAIN);
	expect_fail(usock_recvfrom(s, buf, sizeof(buf), 0, SA(&from), &fl), EAGAIN);
	expect_fail(usock_read(s, buf, sizeof(buf)), EAGAIN);
	expect_fail(usock_readinto(s, buf, sizeof(buf)), EAGAIN);
	expect_fail(usock_readline(s, buf, sizeof(buf)), EAGAIN);
	expect_fail(usock_readall(s, &p), EAGAIN);
	cr_assert_lt(now_s() - t0, 1.0, "non-blocking calls waited");
}

Test(api_timeout, negative_timeout_blocks_until_data_arrives)
{
	struct delayed_send d;
	char buf[16];
	int k = k_udp(7204), s = u_udp(6204);
	double t0, dt;

	expect_ret(usock_settimeout(s, -1), 0);
	delayed_send_start(&d, k, 6204, 400, "late");
	t0 = now_s();
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 4);
	dt = now_s() - t0;
	cr_assert_eq(memcmp(buf, "late", 4), 0);
	cr_assert_geq(dt, 0.3, "returned after %.3f s, before the data was sent", dt);
	delayed_send_join(&d);
}

Test(api_timeout, setblocking_false_is_settimeout_0)
{
	char buf[8];
	int k = k_udp(7205), s = u_udp(6205);
	double t0;

	expect_ret(usock_setblocking(s, false), 0);
	t0 = now_s();
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EAGAIN);
	cr_assert_lt(now_s() - t0, 1.0);
	/* Non-blocking still returns what is there. */
	k_send_to_usock(k, "here", 4, 6205);
	for (t0 = now_s(); now_s() - t0 < 3.0;) {
		ssize_t n = usock_recv(s, buf, sizeof(buf), 0);

		if (n >= 0) {
			cr_assert_eq(n, 4);
			return;
		}
		cr_assert_eq(errno, EAGAIN);
		sleep_ms(10);
	}
	cr_assert_fail("the datagram never showed up on the non-blocking socket");
}

Test(api_timeout, setblocking_true_is_settimeout_minus_1)
{
	struct delayed_send d;
	char buf[16];
	int k = k_udp(7206), s = u_udp(6206);

	/* A short timeout first: setblocking(true) must replace it with "forever". */
	expect_ret(usock_settimeout(s, 0.2), 0);
	expect_ret(usock_setblocking(s, true), 0);
	delayed_send_start(&d, k, 6206, 700, "patience");
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 8);
	cr_assert_eq(memcmp(buf, "patience", 8), 0);
	delayed_send_join(&d);
}

Test(api_timeout, infinite_or_huge_timeout_blocks_until_data_arrives)
{
	static const double forever[] = {INFINITY, 1e300, 1e12};
	struct delayed_send d;
	char buf[16];
	int k = k_udp(7207), s = u_udp(6207);
	unsigned i;

	for (i = 0; i < sizeof(forever) / sizeof(forever[0]); i++) {
		expect_ret(usock_settimeout(s, forever[i]), 0);
		delayed_send_start(&d, k, 6207, 200, "eventually");
		expect_ret(usock_recv(s, buf, sizeof(buf), 0), 10);
		delayed_send_join(&d);
	}
}

Test(api_timeout, nan_timeout_fails_with_einval_and_changes_nothing)
{
	char buf[8];
	int s = u_udp(6208);
	double t0;

	expect_ret(usock_settimeout(s, 0), 0);
	expect_fail(usock_settimeout(s, NAN), EINVAL);
	t0 = now_s();
	expect_fail(usock_recv(s, buf, sizeof(buf), 0), EAGAIN);
	cr_assert_lt(now_s() - t0, 1.0, "NaN changed the socket's mode");
	expect_fail(usock_settimeout(-1, 1.0), EBADF);
	expect_fail(usock_setblocking(-1, true), EBADF);
}

/* ---- usock_poll ---- */

Test(api_poll, timeout_0_returns_0_when_nothing_is_ready)
{
	struct pollfd pf[2];
	int p[2], s = u_udp(6220);
	double t0;

	cr_assert_eq(pipe(p), 0);
	pf[0] = (struct pollfd){.fd = s, .events = POLLIN, .revents = 0x7777};
	pf[1] = (struct pollfd){.fd = p[0], .events = POLLIN, .revents = 0x7777};
	t0 = now_s();
	expect_ret(usock_poll(pf, 2, 0), 0);
	cr_assert_lt(now_s() - t0, 1.0);
	cr_assert_eq(pf[0].revents, 0);
	cr_assert_eq(pf[1].revents, 0);
}

Test(api_poll, timeout_elapses_with_nothing_ready)
{
	struct pollfd pf[2];
	int p[2], s = u_udp(6221);
	double t0, dt;

	cr_assert_eq(pipe(p), 0);
	pf[0] = (struct pollfd){.fd = s, .events = POLLIN};
	pf[1] = (struct pollfd){.fd = p[0], .events = POLLIN};
	t0 = now_s();
	expect_ret(usock_poll(pf, 2, 300), 0);
	dt = now_s() - t0;
	cr_assert_geq(dt, 0.3, "returned after %.3f s of a 300 ms timeout", dt);
	cr_assert_lt(dt, 2.3);
}

Test(api_poll, pollin_on_a_usock_socket_is_set_when_the_kernel_sends)
{
	struct delayed_send d;
	struct pollfd pf[2];
	char buf[16];
	int p[2], k = k_udp(7222), s = u_udp(6222);
	double t0, dt;

	cr_assert_eq(pipe(p), 0);
	pf[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
	pf[1] = (struct pollfd){.fd = s, .events = POLLIN};
	delayed_send_start(&d, k, 6222, 300, "wake");
	t0 = now_s();
	expect_ret(usock_poll(pf, 2, 5000), 1);
	dt = now_s() - t0;
	cr_assert_eq(pf[0].revents, 0);
	cr_assert_eq(pf[1].revents, POLLIN);
	cr_assert_geq(dt, 0.2, "poll returned after %.3f s, before the datagram was sent", dt);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 4);
	delayed_send_join(&d);
	/* Read: not ready any more. */
	expect_ret(usock_poll(pf, 2, 0), 0);
	cr_assert_eq(pf[1].revents, 0);
}

Test(api_poll, pollout_on_udp_is_always_ready)
{
	struct pollfd pf = {.events = POLLOUT};
	int s = u_udp(6223);

	pf.fd = s;
	expect_ret(usock_poll(&pf, 1, 0), 1);
	cr_assert_eq(pf.revents, POLLOUT);
	pf.events = POLLIN | POLLOUT;
	expect_ret(usock_poll(&pf, 1, -1), 1);
	cr_assert_eq(pf.revents, POLLOUT, "POLLIN reported with nothing to read");
	/* An unbound socket can send too. */
	pf.fd = u_udp(0);
	pf.events = POLLOUT;
	expect_ret(usock_poll(&pf, 1, 1000), 1);
	cr_assert_eq(pf.revents, POLLOUT);
}

Test(api_poll, kernel_descriptor_ready_alongside_a_usock_socket)
{
	struct pollfd pf[3];
	int p[2], k = k_udp(7224), s = u_udp(6224), t = u_udp(6225);
	char buf[8];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], "x", 1), 1);
	k_send_to_usock(k, "d", 1, 6224);
	/* Wait for the datagram with a plain recv(MSG_PEEK), so the poll below sees both. */
	expect_ret(usock_recv(s, buf, sizeof(buf), MSG_PEEK), 1);
	pf[0] = (struct pollfd){.fd = s, .events = POLLIN};
	pf[1] = (struct pollfd){.fd = p[0], .events = POLLIN};
	pf[2] = (struct pollfd){.fd = t, .events = POLLIN};
	expect_ret(usock_poll(pf, 3, 1000), 2);
	cr_assert_eq(pf[0].revents, POLLIN);
	cr_assert_eq(pf[1].revents, POLLIN);
	cr_assert_eq(pf[2].revents, 0);
}

Test(api_poll, a_kernel_descriptor_alone_wakes_the_poll)
{
	struct delayed_write w;
	struct pollfd pf[2];
	int p[2], s = u_udp(6226);
	double t0;

	cr_assert_eq(pipe(p), 0);
	pf[0] = (struct pollfd){.fd = s, .events = POLLIN};
	pf[1] = (struct pollfd){.fd = p[0], .events = POLLIN};
	w.fd = p[1];
	w.delay_ms = 200;
	cr_assert_eq(pthread_create(&w.thr, NULL, delayed_write_main, &w), 0);
	t0 = now_s();
	expect_ret(usock_poll(pf, 2, 5000), 1);
	cr_assert_lt(now_s() - t0, 4.0, "poll slept through the pipe write");
	cr_assert_eq(pf[0].revents, 0);
	cr_assert_eq(pf[1].revents, POLLIN);
	pthread_join(w.thr, NULL);
}

Test(api_poll, negative_descriptors_are_ignored)
{
	struct pollfd pf[2];
	int s = u_udp(6227);

	pf[0] = (struct pollfd){.fd = -1, .events = POLLIN, .revents = 0x7777};
	pf[1] = (struct pollfd){.fd = s, .events = POLLOUT};
	expect_ret(usock_poll(pf, 2, 0), 1);
	cr_assert_eq(pf[0].revents, 0);
	cr_assert_eq(pf[1].revents, POLLOUT);
}

Test(api_poll, closed_descriptor_reports_pollnval)
{
	struct pollfd pf = {.events = POLLIN};
	int s = u_udp(6228);

	expect_ret(usock_close(s), 0);
	pf.fd = s;
	expect_ret(usock_poll(&pf, 1, 0), 1);
	cr_assert_eq(pf.revents, POLLNVAL);
}

Test(api_poll, null_array_with_entries_fails_with_einval)
{
	expect_fail(usock_poll(NULL, 1, 0), EINVAL);
	expect_ret(usock_poll(NULL, 0, 0), 0);
}

Test(api_poll, more_entries_than_fit_on_the_stack)
{
	struct pollfd pf[40];
	int k = k_udp(7229), i, s[20], p[2];

	cr_assert_eq(pipe(p), 0);
	for (i = 0; i < 20; i++) {
		s[i] = u_udp((uint16_t)(6300 + i));
		pf[i] = (struct pollfd){.fd = s[i], .events = POLLIN};
	}
	for (i = 20; i < 40; i++)
		pf[i] = (struct pollfd){.fd = p[0], .events = POLLIN};
	k_send_to_usock(k, "17", 2, 6317);
	expect_ret(usock_poll(pf, 40, 3000), 1);
	for (i = 0; i < 40; i++)
		cr_assert_eq(pf[i].revents, i == 17 ? POLLIN : 0, "entry %d: 0x%x", i,
			     pf[i].revents);
}

Test(api_poll, kernel_poll_on_the_descriptor_sees_a_datagram_waiting)
{
	struct pollfd pf = {.events = POLLIN};
	char buf[8];
	int k = k_udp(7230), s = u_udp(6230);

	/* The descriptor is an eventfd the stack signals: poll(2)/epoll work on it directly. */
	pf.fd = s;
	expect_ret(poll(&pf, 1, 0), 0);
	k_send_to_usock(k, "e", 1, 6230);
	expect_ret(poll(&pf, 1, 3000), 1);
	cr_assert(pf.revents & POLLIN);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 1);
	expect_ret(poll(&pf, 1, 0), 0);
}

/* CPU seconds the whole process (every thread) has used. */
static double
cpu_now(void)
{
	struct rusage r;

	cr_assert_eq(getrusage(RUSAGE_SELF, &r), 0);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

Test(api_poll, an_idle_poll_sleeps)
{
	struct pollfd pf = {.events = POLLIN};
	double cpu;

	pf.fd = u_udp(6233);
	cpu = cpu_now();
	expect_ret(usock_poll(&pf, 1, 1000), 0);
	cpu = cpu_now() - cpu;
	cr_assert_lt(cpu, 0.1, "a 1 s poll with nothing to report used %.3f s of CPU", cpu);
}

Test(api_poll, waiting_for_an_event_that_is_not_there_does_not_spin)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, 7231), us = sin4(LAB_USOCK_IP, 6231);
	struct pollfd pf = {.events = POLLOUT};
	double cpu;
	int k = k_udp(7231), s = u_udp(6231);
	char buf[4];

	/*
	 * Data waits (the descriptor is signalled) but the caller asks only for
	 * POLLOUT, which shutdown(SHUT_WR) took away: poll must sleep, not go round.
	 */
	expect_ret(usock_connect(s, SA(&to), sizeof(to)), 0);
	expect_ret(connect(k, SA(&us), sizeof(us)), 0);
	expect_ret(send(k, "d", 1, 0), 1);
	expect_ret(usock_recv(s, buf, sizeof(buf), MSG_PEEK), 1);
	expect_ret(usock_shutdown(s, SHUT_WR), 0);
	pf.fd = s;
	cpu = cpu_now();
	expect_ret(usock_poll(&pf, 1, 1000), 0);
	cpu = cpu_now() - cpu;
	cr_assert_lt(cpu, 0.1, "a 1 s poll with nothing to report used %.3f s of CPU", cpu);
}

struct grow {
	pthread_t thr; /* the creator */
	int fds[400];  /* what it created */
	int n;	       /* how many */
	int done;      /* set when finished */
};

static void *
grow_main(void *arg)
{
	struct grow *g = arg;

	for (g->n = 0; g->n < 400; g->n++) {
		g->fds[g->n] = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
		if (g->fds[g->n] < 0)
			break;
	}
	__atomic_store_n(&g->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

Test(api_poll, poll_in_one_thread_while_another_creates_sockets)
{
	static struct grow g;
	struct pollfd pf[2];
	int p[2], s = u_udp(6232), i, polls = 0;

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(pthread_create(&g.thr, NULL, grow_main, &g), 0);
	while (!__atomic_load_n(&g.done, __ATOMIC_SEQ_CST)) {
		pf[0] = (struct pollfd){.fd = s, .events = POLLIN};
		pf[1] = (struct pollfd){.fd = p[0], .events = POLLIN};
		expect_ret(usock_poll(pf, 2, 0), 0);
		polls++;
	}
	pthread_join(g.thr, NULL);
	cr_assert_eq(g.n, 400, "socket %d: %s", g.n, strerror(errno));
	cr_assert_gt(polls, 0);
	for (i = 0; i < g.n; i++)
		expect_ret(usock_close(g.fds[i]), 0);
}

/* ---- signals: a blocking call ends with EINTR as a kernel socket call would ---- */

static void
on_alarm(int sig)
{
	(void)sig;
}

static void
alarm_in_ms(int ms, int restart)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

Test(api_timeout, a_signal_without_sa_restart_interrupts_a_blocking_recv)
{
	char buf[16];
	int s = u_udp(6230);
	double t0 = now_s(), dt;

	cr_assert_eq(usock_settimeout(s, -1.0), 0);
	alarm_in_ms(200, 0);
	errno = 0;
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), -1);
	cr_assert_eq(errno, EINTR, "errno %s", strerror(errno));
	dt = now_s() - t0;
	cr_assert(dt >= 0.15 && dt < 2.0, "returned after %.3f s", dt);
	signal(SIGALRM, SIG_DFL);
}

Test(api_timeout, with_sa_restart_the_recv_goes_on_to_its_timeout)
{
	char buf[16];
	int s = u_udp(6231);
	double t0 = now_s(), dt;

	cr_assert_eq(usock_settimeout(s, 0.6), 0);
	alarm_in_ms(150, 1);
	errno = 0;
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), -1);
	cr_assert_eq(errno, ETIMEDOUT, "errno %s", strerror(errno));
	dt = now_s() - t0;
	cr_assert_geq(dt, 0.55, "gave up after %.3f s: the signal ended it", dt);
	signal(SIGALRM, SIG_DFL);
}
