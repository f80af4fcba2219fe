/*
 * The stack's teardown (lib/core/stack.c, us_stack_destroy): with
 * everything closed it frees all and reports nothing; a packet buffer, a
 * TCP control block or a socket that was lost on the way is counted and
 * reported, which is what every test's teardown (tests/common/harness.c)
 * and the runtime at exit rely on to find leaks.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "usock.h"
#include "lib/pkt/pkt.h"
#include "lib/sock/sock.h"
#include "lib/tcp/tcp.h"
#include "tests/common/harness.h"

Test(stack, teardown_after_use_reports_no_leak)
{
	struct t_one t;
	struct us_leak l = { 1, 1, 1, 1 };
	int err = 0;
	struct us_sock *s;

	t_one_init(&t);
	s = us_sock_create(t.n.st, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(s, "socket: %d", err);
	us_sock_close(t.n.st, s);
	/* A socket left open is the stack's to close at teardown: not a leak. */
	s = us_sock_create(t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_not_null(s, "socket: %d", err);
	t_one_drain(&t);
	cr_assert_eq(us_stack_destroy(t.n.st, &l), 0);
	cr_assert_eq(l.bufs + l.tcbs + l.socks + l.charges, 0, "bufs %u tcbs %u socks %u charges %u",
		     l.bufs, l.tcbs, l.socks, l.charges);
	us_drv_close(t.peer);
	cr_assert_eq(us_pool_destroy(t.n.pool), 0);
	cr_assert_eq(us_pool_destroy(t.ppool), 0);
}

Test(stack, teardown_reports_what_was_lost)
{
	struct t_one t;
	struct us_leak l;
	struct us_pkt *p, *q;
	struct us_tcb *tp;
	struct us_sock *s;
	int err = 0;

	t_one_init(&t);
	t_one_drain(&t);
	/*
	 * A buffer nobody frees, a control block in no table, a socket with a
	 * stray reference, a ring frame's charge to the pool never given back.
	 */
	p = us_pkt_alloc(t.n.pool);
	cr_assert_not_null(p);
	q = us_pkt_alloc(t.n.pool);
	cr_assert_not_null(q);
	q->flags |= US_PKT_RING;
	cr_assert(us_pool_keep(t.n.pool, q));
	us_pkt_free(q);	/* a pool buffer: nothing gives its charge back */
	tp = us_tcb_new(t.n.st, NULL);
	cr_assert_not_null(tp);
	s = us_sock_create(t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_not_null(s, "socket: %d", err);
	s->refs++;
	us_sock_close(t.n.st, s);
	cr_assert_eq(us_stack_destroy(t.n.st, &l), -EBUSY);
	cr_assert_eq(l.bufs, 1);
	cr_assert_eq(l.tcbs, 1);
	cr_assert_eq(l.socks, 1);
	cr_assert_eq(l.charges, 1);
	/* What the test lost, given back by hand so that the test itself leaks nothing. */
	free(tp);
	free(s);
	us_pkt_free(p);
	us_drv_close(t.peer);
	cr_assert_eq(us_pool_destroy(t.n.pool), 0);
	cr_assert_eq(us_pool_destroy(t.ppool), 0);
}

/*
 * lib/tcp/tcp_subr.c tables_fit: the connection table doubles as
 * connections come, and once they are gone it shrinks back to its start
 * size (a surge must not keep its memory).
 */
Test(stack, tcp_table_shrinks_back_after_a_surge)
{
	enum { N = 5000 };
	struct t_one t;
	struct us_sock **s = calloc(N, sizeof(*s));
	struct us_stack *st;
	uint32_t i, nhash0, grown;
	int err = 0;

	cr_assert_not_null(s);
	t_one_init(&t);
	st = t.n.st;
	st->cfg.max_sockets = N + 16;
	nhash0 = st->tcp.nhash;
	for (i = 0; i < N; i++) {
		struct us_ep l = us_ep4(T_IP_B, 7), r = us_ep4(T_IP_A, (uint16_t)(1024 + i));

		s[i] = us_sock_create(st, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);
		cr_assert_not_null(s[i], "socket %u: %d", i, err);
		us_sock_set_local(s[i], &l);
		us_sock_set_remote(s[i], &r);
		cr_assert_eq(us_tcp_hash_insert(st, s[i]->tcb), 0);
	}
	grown = st->tcp.nhash;
	cr_assert_geq(grown, N / 2, "the table grew with the connections: %u buckets", grown);
	us_tcp_timers(st, st->now);
	cr_assert_eq(st->tcp.nhash, grown, "no shrinking while the connections are there");
	for (i = 0; i < N / 2; i++)
		us_sock_close(st, s[i]);
	us_tcp_timers(st, st->now);
	cr_assert_eq(st->tcp.nhash, grown, "half gone: not below 1 in 4, the table keeps its size");
	for (; i < N; i++)
		us_sock_close(st, s[i]);
	cr_assert_eq(st->tcp.nconn, 0);
	us_tcp_timers(st, st->now);
	cr_assert_eq(st->tcp.nhash, nhash0, "all gone: back to %u buckets, not %u", nhash0,
		     st->tcp.nhash);
	free(s);
	t_one_fini(&t);
}
