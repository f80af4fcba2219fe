/*
 * hotpath - two usock stacks over the in-memory loop link in one process,
 * no kernel involved: how fast the TCP path itself is.  Modes:
 *   bulk [MiB]      a sends to b; data segments per second, and (under
 *                   callgrind) instructions per received data segment
 *   rr [count]      64-byte request/response transactions per second
 *   conns [count]   opens count connections a -> b and keeps them idle:
 *                   heap bytes per established connection (both ends
 *                   counted separately), to check lookups stay O(1)
 * Virtual time: the clock only moves when both stacks are idle.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "usock.h"
#include "lib/core/stack.h"
#include "lib/sock/sock.h"
#include "lib/tcp/tcp.h"

#define IP_A 0xc6120001u
#define IP_B 0xc6120002u

struct node {
	struct us_stack *st;
	struct us_pool *pool;
};

static uint64_t now_ns;

static void
node_init(struct node *n, uint32_t ip, struct us_drv *end, uint32_t pool, uint32_t socks)
{
	struct us_config c;

	memset(&c, 0, sizeof(c));
	c.ip4 = ip;
	c.plen = 24;
	c.max_sockets = socks;
	n->pool = us_pool_create(pool, 2048 + 128, 128);
	end->pool = n->pool;
	n->st = us_stack_create(&c, end, n->pool, 0);
	if (n->pool == NULL || n->st == NULL) {
		fprintf(stderr, "hotpath: out of memory\n");
		exit(1);
	}
}

/*
 * b's work, in functions of its own so callgrind can count only them
 * (--toggle-collect=poll_b --toggle-collect=recv_b): the receiver's cost.
 */
__attribute__((noinline)) unsigned
poll_b(struct node *b)
{
	return us_stack_poll(b->st, now_ns, 256);
}

__attribute__((noinline)) ssize_t
recv_b(struct node *b, struct us_sock *s, void *buf, size_t len)
{
	return us_tcp_recv(b->st, s, buf, len, 0);
}

/* Runs both stacks until neither has anything to do now; jumps time to the next deadline. */
static void
run(struct node *a, struct node *b, int jump)
{
	for (;;) {
		unsigned got = us_stack_poll(a->st, now_ns, 256) + poll_b(b);
		uint64_t da, db, d;

		if (got > 0)
			continue;
		if (!jump)
			return;
		da = us_stack_next_deadline(a->st);
		db = us_stack_next_deadline(b->st);
		d = da < db ? da : db;
		if (d == UINT64_MAX || d <= now_ns)
			return;
		now_ns = d;
		return;
	}
}

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct us_sock *
tcp_sock(struct node *n)
{
	int err = 0;
	struct us_sock *s = us_sock_create(n->st, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);

	if (s == NULL) {
		fprintf(stderr, "hotpath: socket: %d\n", err);
		exit(1);
	}
	return s;
}

/* Connects a fresh socket of a to b's listener ls and accepts it. */
static void
open_pair(struct node *a, struct node *b, struct us_sock *ls, struct us_sock **ca,
	  struct us_sock **cb)
{
	int err = 0, i, rc;

	*ca = tcp_sock(a);
	rc = us_tcp_connect(a->st, *ca, IP_B, ls->lport);
	if (rc != -EINPROGRESS) {
		fprintf(stderr, "hotpath: connect: %d\n", rc);
		exit(1);
	}
	for (i = 0; i < 1000 && (*cb = us_tcp_accept(b->st, ls, &err)) == NULL; i++)
		run(a, b, 1);
	if (*cb == NULL) {
		fprintf(stderr, "hotpath: connection %d did not open\n", i);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "bulk";
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	struct us_drv *ea = us_loop_open(NULL, mac_a, 1500), *eb = us_loop_open(NULL, mac_b, 1500);
	long count = argc > 2 ? atol(argv[2]) : 0;
	struct node a, b;
	struct us_sock *ls, *ca, *cb;
	static uint8_t buf[1 << 16];
	double t0, t1;

	us_loop_connect(ea, eb);
	node_init(&a, IP_A, ea, strcmp(mode, "conns") == 0 ? 65536 : 8192,
		  strcmp(mode, "conns") == 0 ? (uint32_t)(count ? count : 100000) + 16 : 64);
	node_init(&b, IP_B, eb, strcmp(mode, "conns") == 0 ? 65536 : 8192,
		  strcmp(mode, "conns") == 0 ? (uint32_t)(count ? count : 100000) + 16 : 64);
	now_ns = 1000000000ull;
	ls = tcp_sock(&b);
	us_tcp_bind(b.st, ls, 0, 80);
	us_tcp_listen(b.st, ls, 4096);

	if (strcmp(mode, "bulk") == 0) {
		uint64_t total = (uint64_t)(count ? count : 256) << 20, sent = 0, got = 0;
		uint64_t segs0;

		open_pair(&a, &b, ls, &ca, &cb);
		memset(buf, 0x5a, sizeof(buf));
		segs0 = b.st->stats->tcp.rx;
		t0 = wall();
		while (got < total) {
			ssize_t n;

			while (sent < total &&
			       (n = us_tcp_send(a.st, ca, buf,
						total - sent < sizeof(buf) ? total - sent : sizeof(buf),
						0)) > 0)
				sent += (uint64_t)n;
			run(&a, &b, 0);
			while ((n = recv_b(&b, cb, buf, sizeof(buf))) > 0)
				got += (uint64_t)n;
			run(&a, &b, 1);
		}
		t1 = wall();
		printf("bulk: %llu MiB in %.3f s: %.2f Gbit/s, %.0f data segments/s, "
		       "%llu segments received by b (%llu data bytes each on average)\n",
		       (unsigned long long)(total >> 20), t1 - t0, total * 8 / (t1 - t0) / 1e9,
		       (b.st->stats->tcp.rx - segs0) / (t1 - t0),
		       (unsigned long long)(b.st->stats->tcp.rx - segs0),
		       (unsigned long long)(total / (b.st->stats->tcp.rx - segs0)));
		printf("segments_received=%llu acks_sent_by_b=%llu\n",
		       (unsigned long long)(b.st->stats->tcp.rx - segs0),
		       (unsigned long long)b.st->stats->tcp.tx_ack);
	} else if (strcmp(mode, "rr") == 0) {
		long i, n = count ? count : 100000;

		open_pair(&a, &b, ls, &ca, &cb);
		ca->tcb->t_flags |= US_TF_NODELAY;
		cb->tcb->t_flags |= US_TF_NODELAY;
		memset(buf, 1, 64);
		t0 = wall();
		for (i = 0; i < n; i++) {
			us_tcp_send(a.st, ca, buf, 64, 0);
			run(&a, &b, 0);
			while (us_tcp_recv(b.st, cb, buf, 64, 0) <= 0)
				run(&a, &b, 1);
			us_tcp_send(b.st, cb, buf, 64, 0);
			run(&a, &b, 0);
			while (us_tcp_recv(a.st, ca, buf, 64, 0) <= 0)
				run(&a, &b, 1);
		}
		t1 = wall();
		printf("rr: %ld transactions of 64 bytes in %.3f s: %.0f per second\n", n, t1 - t0,
		       n / (t1 - t0));
	} else if (strcmp(mode, "conns") == 0) {
		long i, n = count ? count : 100000;
		struct us_sock *lss[16];
		struct mallinfo2 m0, m1;
		int k, nls = (int)(n / 15000) + 1;

		/* 16384 ephemeral ports per destination: one listener port per 15000. */
		lss[0] = ls;
		for (k = 1; k < nls && k < 16; k++) {
			lss[k] = tcp_sock(&b);
			us_tcp_bind(b.st, lss[k], 0, (uint16_t)(80 + k));
			us_tcp_listen(b.st, lss[k], 4096);
		}
		m0 = mallinfo2();
		for (i = 0; i < n; i++)
			open_pair(&a, &b, lss[i % nls], &ca, &cb);
		run(&a, &b, 0);
		m1 = mallinfo2();
		printf("conns: %ld established connections (each counted at both ends), "
		       "heap %.0f bytes per connection end, %u in a's table, %u in b's\n",
		       n, (double)(m1.uordblks - m0.uordblks) / (2.0 * n), a.st->tcp.nconn,
		       b.st->tcp.nconn);
	} else {
		fprintf(stderr, "usage: hotpath bulk [MiB] | rr [count] | conns [count]\n");
		return 2;
	}
	return 0;
}
