/*
 * Calls from several threads at once, on the same sockets, against the
 * kernel: a blocking recv in one thread while another sends on the same
 * TCP socket (the kernel echoes, so each side's bytes are checked), a
 * close from another thread ending a blocked accept, recv and connect with
 * EBADF, and threads each with their own connections at the same time.
 */
#include "api_lab.h"

TestSuite(api_threads, .init = lab_up);

#define ECHO_BYTES (4u << 20)

static uint8_t out[ECHO_BYTES], in[ECHO_BYTES];

/* The kernel's side: echoes everything back on connection k until EOF. */
static void *
k_echo(void *arg)
{
	int k = *(int *)arg;
	char b[16384];	/* each echo thread its own */
	ssize_t n;

	while ((n = recv(k, b, sizeof(b), 0)) > 0) {
		ssize_t off = 0;

		while (off < n) {
			ssize_t w = send(k, b + off, (size_t)(n - off), MSG_NOSIGNAL);

			if (w <= 0)
				return NULL;
			off += w;
		}
	}
	shutdown(k, SHUT_WR);
	return NULL;
}

struct job {
	int s;
	ssize_t rc;
	int err;
};

static void *
u_sender(void *arg)
{
	struct job *j = arg;

	errno = 0;
	j->rc = usock_sendall(j->s, out, sizeof(out));
	j->err = errno;
	usock_shutdown(j->s, SHUT_WR);
	return NULL;
}

static int
connected_pair(uint16_t port, int *kc)
{
	struct sockaddr_in a = sin4(LAB_KERNEL_IP, port);
	int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
	struct timeval tv = { 10, 0 };

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(l, SA(&a), sizeof(a)), 0);
	cr_assert_eq(listen(l, 4), 0);
	cr_assert_geq(s, 0);
	cr_assert_eq(usock_settimeout(s, 10.0), 0);
	expect_ret(usock_connect(s, SA(&a), sizeof(a)), 0);
	*kc = accept(l, NULL, NULL);
	cr_assert_geq(*kc, 0);
	setsockopt(*kc, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	close(l);
	return s;
}

Test(api_threads, one_thread_receives_while_another_sends_on_the_same_socket)
{
	pthread_t ke, us;
	struct job j;
	size_t i;
	int k;

	for (i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 131 + (i >> 12));
	j.s = connected_pair(7601, &k);
	pthread_create(&ke, NULL, k_echo, &k);
	pthread_create(&us, NULL, u_sender, &j);
	/* This thread reads the echo while the other is still sending. */
	expect_ret(usock_readinto(j.s, in, sizeof(in)), sizeof(in));
	pthread_join(us, NULL);
	pthread_join(ke, NULL);
	cr_assert_eq(j.rc, (ssize_t)sizeof(out), "sendall: %zd (%s)", j.rc, strerror(j.err));
	cr_assert_eq(memcmp(in, out, sizeof(in)), 0, "the echo is what was sent");
	expect_ret(usock_recv(j.s, in, 1, 0), 0);	/* then the end of the stream */
	close(k);
	usock_close(j.s);
}

struct blocked {
	int s;
	int what;	/* 0 accept, 1 recv, 2 connect */
	long rc;
	int err;
	int done;
};

static void *
blocked_main(void *arg)
{
	struct blocked *b = arg;
	struct sockaddr_in to = sin4(LAB_FOREIGN_IP, 80);
	char c;

	errno = 0;
	b->rc = b->what == 0 ? usock_accept(b->s, NULL, NULL)
		: b->what == 1 ? (long)usock_recv(b->s, &c, 1, 0)
			       : usock_connect(b->s, SA(&to), sizeof(to));
	b->err = errno;
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Blocks `what` in a thread, closes the socket here: the call must end with EBADF. */
static void
close_wakes(int s, int what)
{
	static const char *const names[] = { "accept", "recv", "connect" };
	struct blocked b = { .s = s, .what = what, .rc = 99 };
	struct timespec dl;
	pthread_t t;

	expect_ret(usock_settimeout(s, -1), 0);
	cr_assert_eq(pthread_create(&t, NULL, blocked_main, &b), 0);
	sleep_ms(300);
	cr_assert_eq(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST), 0, "%s did not block", names[what]);
	expect_ret(usock_close(s), 0);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	cr_assert_eq(pthread_timedjoin_np(t, NULL, &dl), 0, "a blocked %s outlived the close",
		     names[what]);
	cr_assert_eq(b.rc, -1, "%s returned %ld", names[what], b.rc);
	cr_assert_eq(b.err, EBADF, "%s: errno %d (%s)", names[what], b.err, strerror(b.err));
	/* And the descriptor is gone for every call. */
	expect_fail(usock_settimeout(s, 1.0), EBADF);
}

Test(api_threads, close_from_another_thread_ends_blocked_calls_with_ebadf)
{
	struct sockaddr_in a = sin4("0.0.0.0", 7602);
	int l = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0), k, s;

	/* accept */
	expect_ret(usock_bind(l, SA(&a), sizeof(a)), 0);
	expect_ret(usock_listen(l, 4), 0);
	close_wakes(l, 0);
	/* recv on a connection with nothing to read */
	s = connected_pair(7603, &k);
	close_wakes(s, 1);
	close(k);
	/* connect to an address nobody owns (the SYN goes unanswered) */
	s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
	close_wakes(s, 2);
}

struct conn_job {
	uint16_t port;
	int ok;
	int err;		/* errno where it stopped */
	const char *step;	/* the call that failed */
};

/* Each thread its own connection: 256 KiB out and back through the kernel's echo. */
static void *
own_connection(void *arg)
{
	static __thread uint8_t b[256 * 1024], r[256 * 1024];
	struct conn_job *j = arg;
	struct sockaddr_in a = sin4(LAB_KERNEL_IP, j->port);
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
	size_t i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i ^ j->port);
	usock_settimeout(s, 20.0);
	j->step = "socket";
	if (s < 0)
		goto out;
	j->step = "connect";
	if (usock_connect(s, SA(&a), sizeof(a)) != 0)
		goto out;
	j->step = "sendall";
	if (usock_sendall(s, b, sizeof(b)) != (ssize_t)sizeof(b))
		goto out;
	j->step = "shutdown";
	if (usock_shutdown(s, SHUT_WR) != 0)
		goto out;
	j->step = "readinto";
	if (usock_readinto(s, r, sizeof(r)) != (ssize_t)sizeof(r))
		goto out;
	j->step = "compare";
	if (memcmp(r, b, sizeof(b)) == 0)
		j->ok = 1;
out:
	j->err = errno;
	usock_close(s);
	return NULL;
}

struct k_server {
	int l;
	int n;
};

static void *
k_serve(void *arg)
{
	struct k_server *ks = arg;
	pthread_t t[8];
	int k[8], i;

	for (i = 0; i < ks->n; i++) {
		k[i] = accept(ks->l, NULL, NULL);
		if (k[i] < 0)
			break;
		pthread_create(&t[i], NULL, k_echo, &k[i]);
	}
	while (i-- > 0) {
		pthread_join(t[i], NULL);
		close(k[i]);
	}
	return NULL;
}

Test(api_threads, threads_with_their_own_connections_at_once)
{
	struct sockaddr_in a = sin4(LAB_KERNEL_IP, 7610);
	struct k_server ks = { .n = 4 };
	struct conn_job jobs[4];
	pthread_t t[4], srv;
	int one = 1, i;

	ks.l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(ks.l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(ks.l, SA(&a), sizeof(a)), 0);
	cr_assert_eq(listen(ks.l, 8), 0);
	pthread_create(&srv, NULL, k_serve, &ks);
	for (i = 0; i < 4; i++) {
		jobs[i].port = 7610;
		jobs[i].ok = 0;
		pthread_create(&t[i], NULL, own_connection, &jobs[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	pthread_join(srv, NULL);
	for (i = 0; i < 4; i++)
		cr_assert(jobs[i].ok, "thread %d: %s failed: %s", i, jobs[i].step,
			  strerror(jobs[i].err));
	close(ks.l);
}
