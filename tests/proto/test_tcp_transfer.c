/*
 * TCP bulk transfers between two stacks on the loop link in virtual time
 * (t_two): 1, 8 and 64 MiB each way at once (and some one way only), with
 * NewReno and CUBIC, clean and through seeded loss, duplication and
 * reordering on one or both directions, with and without TCP options,
 * over IPv4 and over IPv6 (fd00::1 to fd00::2, dual-stack sockets).
 * Every byte is a function of its offset, so the receiver checks that each
 * arrives once and in order; the transfer must end within a bound of
 * virtual time, both ends must see the end of stream, and no buffer may
 * leak.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"
#include "tests/common/tcp_helper.h"

#define PORT	5001
#define MiB	(1024ull * 1024)
#define POOL	4096	/* buffers per stack */
#define CHUNK	65536	/* bytes per send or receive call */

/* transfer() flags */
#define X_LOSSLESS	0x1	/* nothing is lost: nothing may be retransmitted */
#define X_ONEWAY	0x2	/* only a sends (b's ACKs are pure ACKs) */
#define X_NOOPT		0x4	/* a offers no options: no SACK, timestamps, window scale; MSS 536 */
#define X_IPV6		0x8	/* over IPv6: AF_INET6 sockets on both stacks */

/* One end of the connection and its stream in each direction. */
struct end {
	struct t_node *n;	/* its stack */
	struct us_sock *so;	/* its connected socket */
	uint64_t sent;		/* bytes the application queued */
	uint64_t rcvd;		/* bytes the application read, all checked */
	uint64_t seed;		/* what this end's stream is made of */
	int shut;		/* shutdown(SHUT_WR) done after the last byte */
	int eof;		/* the peer's end of stream was read */
	int err;		/* an unexpected error from a call, 0: none */
};

struct xfer {
	struct t_two t;		/* the stacks */
	struct end e[2];	/* a (client), b (server) */
	uint64_t size;		/* bytes a sends */
	uint64_t bsize;		/* bytes b sends */
	uint8_t buf[CHUNK];	/* scratch for sending */
	uint8_t want[CHUNK];	/* scratch for checking */
	uint8_t got[CHUNK];	/* what was read */
};

/* The application at one end: queue what fits, read and check what came. */
static void
app(struct xfer *x, struct end *me, struct end *peer)
{
	struct us_stack *st = me->n->st;
	ssize_t r;

	uint64_t size = me == &x->e[0] ? x->size : x->bsize;
	uint64_t psize = me == &x->e[0] ? x->bsize : x->size;

	if (me->so == NULL || me->err != 0)
		return;
	while (me->sent < size) {
		uint32_t room = us_tcp_writable(me->so), n;

		if (room == 0)
			break;
		n = room < CHUNK ? room : CHUNK;
		if (n > size - me->sent)
			n = (uint32_t)(size - me->sent);
		t_pattern(x->buf, me->sent, n, me->seed);
		r = us_tcp_send(st, me->so, x->buf, n, 0);
		if (r == -EAGAIN || r == -ENOBUFS)
			break;
		if (r <= 0) {
			me->err = (int)-r;
			return;
		}
		me->sent += (uint64_t)r;
	}
	if (me->sent == size && !me->shut) {
		cr_assert_eq(us_tcp_shutdown(st, me->so, 1), 0);
		me->shut = 1;
	}
	while (!me->eof) {
		r = us_tcp_recv(st, me->so, x->got, sizeof(x->got), 0);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			me->err = (int)-r;
			return;
		}
		if (r == 0) {
			me->eof = 1;
			break;
		}
		cr_assert_leq(me->rcvd + (uint64_t)r, psize, "more bytes than were sent");
		t_pattern(x->want, me->rcvd, (uint32_t)r, peer->seed);
		if (memcmp(x->got, x->want, (size_t)r) != 0) {
			ssize_t i = 0;

			while (x->got[i] == x->want[i])
				i++;
			cr_assert_fail("stream byte %llu is wrong: 0x%02x, expected 0x%02x",
				       (unsigned long long)(me->rcvd + (uint64_t)i), x->got[i],
				       x->want[i]);
		}
		me->rcvd += (uint64_t)r;
	}
}

/* t_two_run condition: drives both applications; true when both streams ended. */
static int
pump(void *arg)
{
	struct xfer *x = arg;

	app(x, &x->e[0], &x->e[1]);
	app(x, &x->e[1], &x->e[0]);
	cr_assert_eq(x->e[0].err, 0, "a: error %d at %llu sent, %llu read", x->e[0].err,
		     (unsigned long long)x->e[0].sent, (unsigned long long)x->e[0].rcvd);
	cr_assert_eq(x->e[1].err, 0, "b: error %d at %llu sent, %llu read", x->e[1].err,
		     (unsigned long long)x->e[1].sent, (unsigned long long)x->e[1].rcvd);
	return x->e[0].eof && x->e[1].eof;
}

struct conn_wait {
	struct xfer *x;
	struct us_sock *ls;
};

static int
connected(void *arg)
{
	struct conn_wait *w = arg;
	int err = 0;

	if (w->x->e[1].so == NULL)
		w->x->e[1].so = us_tcp_accept(w->x->t.b.st, w->ls, &err);
	return w->x->e[1].so != NULL && w->x->e[0].so->tcb != NULL &&
	       w->x->e[0].so->tcb->state == US_TCPS_ESTABLISHED;
}

static int
all_gone(void *arg)
{
	struct xfer *x = arg;

	return x->t.a.st->tcp.nconn == 0 && x->t.b.st->tcp.nconn == 0;
}

/*
 * Transfers size bytes each way (from a only with X_ONEWAY) with congestion control
 * cc, the fault specs on a's and b's link ends (NULL: none), within limit
 * of virtual time; then both close and every connection must finish.
 * flags: X_*.
 */
static void
transfer(const struct us_tcp_cc *cc, const char *fault_a, const char *fault_b, uint64_t size,
	 uint64_t limit, int flags)
{
	static struct xfer x;
	struct conn_wait w;
	struct us_sock *ls;
	struct us_ep any = { .v6 = (flags & X_IPV6) != 0, .port = PORT };
	struct us_ep to = us_ep4(T_IP_B, PORT);
	uint64_t t0;
	int err = 0, i, fam;

	memset(&x, 0, sizeof(x));
	x.size = size;
	x.bsize = (flags & X_ONEWAY) ? 0 : size;
#if US_HAVE_IPV6
	if (flags & X_IPV6)
		t_two_init6(&x.t, fault_a, fault_b, POOL);
	else
#endif
		t_two_init(&x.t, fault_a, fault_b, POOL);
	x.e[0].n = &x.t.a;
	x.e[1].n = &x.t.b;
	x.e[0].seed = 0xa11ce;
	x.e[1].seed = 0xb0b;

	fam = (flags & X_IPV6) ? USOCK_AF_INET6 : USOCK_AF_INET;
	ls = us_sock_create(x.t.b.st, fam, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(ls);
	cr_assert_eq(us_tcp_bind_ep(x.t.b.st, ls, &any), 0);
	cr_assert_eq(us_tcp_listen(x.t.b.st, ls, 8), 0);
	us_tcp_set_cc(ls->tcb, cc);
	x.e[0].so = us_sock_create(x.t.a.st, fam, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(x.e[0].so);
	us_tcp_set_cc(x.e[0].so->tcb, cc);
	if (flags & X_NOOPT)
		x.e[0].so->tcb->t_flags |= US_TF_NOOPT;
	if (flags & X_IPV6) {
		to.v6 = 1;
		to.addr6 = *T_IP6_B;
	}
	cr_assert_eq(us_tcp_connect_ep(x.t.a.st, x.e[0].so, &to), -EINPROGRESS);
	w.x = &x;
	w.ls = ls;
	cr_assert(t_two_run(&x.t, connected, &w, 60 * T_S), "no connection within 60 s");
	cr_assert_eq(x.e[0].so->tcb->cc, cc);
	cr_assert_eq(x.e[1].so->tcb->cc, cc);

	t0 = x.t.now;
	cr_assert(t_two_run(&x.t, pump, &x, limit),
		  "not done in %.1f s of virtual time: a sent %llu read %llu, b sent %llu read %llu",
		  limit / 1e9, (unsigned long long)x.e[0].sent, (unsigned long long)x.e[0].rcvd,
		  (unsigned long long)x.e[1].sent, (unsigned long long)x.e[1].rcvd);
	for (i = 0; i < 2; i++) {
		struct us_tcp_stats *ts = &x.e[i].n->st->stats->tcp;

		cr_log_info("%s %s/%s %llu MiB: %.3f s virtual; %c: rexmt %llu (%llu bytes), "
			    "timeouts %llu, fast %llu, sack %llu, dupacks %llu, dupdata %llu, ooo %llu",
			    cc->name, fault_a ? fault_a : "-", fault_b ? fault_b : "-",
			    (unsigned long long)(size / MiB), (x.t.now - t0) / 1e9, "ab"[i],
			    (unsigned long long)ts->tx_rexmt, (unsigned long long)ts->tx_rexmt_bytes,
			    (unsigned long long)ts->rexmt_timeout, (unsigned long long)ts->fast_rexmt,
			    (unsigned long long)ts->sack_rexmt, (unsigned long long)ts->rx_dupack,
			    (unsigned long long)ts->rx_dupdata, (unsigned long long)ts->rx_ooo);
	}
	cr_assert_eq(x.e[0].sent, x.size);
	cr_assert_eq(x.e[1].sent, x.bsize);
	cr_assert_eq(x.e[1].rcvd, x.size, "every byte once");
	cr_assert_eq(x.e[0].rcvd, x.bsize, "every byte once");
	cr_assert(x.e[0].eof && x.e[1].eof);
	if (flags & X_NOOPT) {
		cr_assert_eq(x.e[0].so->tcb->t_flags & (US_TF_SACK_PERMIT | US_TF_RCVD_TSTMP |
							 US_TF_RCVD_SCALE), 0);
		/* Without an MSS option: RFC 9293's 536 over IPv4, 1220 over IPv6 (1280 - 60). */
		cr_assert_eq(x.e[1].so->tcb->t_maxseg, (flags & X_IPV6) ? 1220 : 536);
	}
	if (flags & X_IPV6) {
		/* It went over IPv6 end to end, with the MSS IPv6 headers leave (1500 - 60 - 12). */
		cr_assert(x.e[0].so->flags & US_SO_V6);
		cr_assert(x.e[1].so->flags & US_SO_V6);
		cr_assert_eq(x.t.a.st->stats->ip4.tx, 0);
		cr_assert_gt(x.t.a.st->stats->ip6.tx, 0);
		if (!(flags & X_NOOPT))
			cr_assert_eq(x.e[0].so->tcb->t_maxseg, 1428);
	}
	/* Each end read all the other sent: the counters agree. */
	cr_assert_eq(x.t.a.st->stats->tcp.tx_data_bytes, x.size);
	cr_assert_eq(x.t.b.st->stats->tcp.tx_data_bytes, x.bsize);
	cr_assert_eq(x.t.b.st->stats->tcp.rx_data_bytes, x.size);
	cr_assert_eq(x.t.a.st->stats->tcp.rx_data_bytes, x.bsize);
	cr_assert_eq(x.t.a.st->stats->tcp.conn_timeout + x.t.b.st->stats->tcp.conn_timeout, 0);
	if (flags & X_LOSSLESS) {
		/* Nothing lost (duplicates are no loss, RFC 6675 2): nothing is sent twice. */
		cr_assert_eq(x.t.a.st->stats->tcp.tx_rexmt, 0);
		cr_assert_eq(x.t.b.st->stats->tcp.tx_rexmt, 0);
	}

	/* Both close; FINs were exchanged, so the connections finish (TIME_WAIT included). */
	us_sock_close(x.t.a.st, x.e[0].so);
	us_sock_close(x.t.b.st, x.e[1].so);
	us_sock_close(x.t.b.st, ls);
	cr_assert(t_two_run(&x.t, all_gone, &x, 300 * T_S), "connections left: a %u, b %u",
		  x.t.a.st->tcp.nconn, x.t.b.st->tcp.nconn);
	cr_assert_eq(x.t.a.st->tcp.nheap + x.t.b.st->tcp.nheap, 0, "timers left");
	t_two_fini(&x.t);
}

#define NR (&us_tcp_newreno)
#define CU (&us_tcp_cubic)

/* --- clean link --- */

Test(tcp_transfer, newreno_1_mib_each_way_clean)
{
	transfer(NR, NULL, NULL, 1 * MiB, 1 * T_S, X_LOSSLESS);
}

Test(tcp_transfer, cubic_1_mib_each_way_clean)
{
	transfer(CU, NULL, NULL, 1 * MiB, 1 * T_S, X_LOSSLESS);
}

Test(tcp_transfer, newreno_8_mib_each_way_clean)
{
	transfer(NR, NULL, NULL, 8 * MiB, 1 * T_S, X_LOSSLESS);
}

Test(tcp_transfer, cubic_8_mib_each_way_clean)
{
	transfer(CU, NULL, NULL, 8 * MiB, 1 * T_S, X_LOSSLESS);
}

Test(tcp_transfer, newreno_64_mib_each_way_clean)
{
	transfer(NR, NULL, NULL, 64 * MiB, 1 * T_S, X_LOSSLESS);
}

Test(tcp_transfer, cubic_64_mib_each_way_clean)
{
	transfer(CU, NULL, NULL, 64 * MiB, 1 * T_S, X_LOSSLESS);
}

/* --- loss on a's transmissions (a's data, a's ACKs of b's data), 1 MiB --- */

Test(tcp_transfer, newreno_1_mib_loss_1_percent)
{
	transfer(NR, "loss=1,seed=11", NULL, 1 * MiB, 5 * T_S, 0);
}

Test(tcp_transfer, cubic_1_mib_loss_1_percent)
{
	transfer(CU, "loss=1,seed=11", NULL, 1 * MiB, 5 * T_S, 0);
}

Test(tcp_transfer, newreno_1_mib_loss_2_percent)
{
	transfer(NR, "loss=2,seed=12", NULL, 1 * MiB, 5 * T_S, 0);
}

Test(tcp_transfer, cubic_1_mib_loss_2_percent)
{
	transfer(CU, "loss=2,seed=12", NULL, 1 * MiB, 5 * T_S, 0);
}

Test(tcp_transfer, newreno_1_mib_loss_5_percent)
{
	transfer(NR, "loss=5,seed=15", NULL, 1 * MiB, 10 * T_S, 0);
}

Test(tcp_transfer, cubic_1_mib_loss_5_percent)
{
	transfer(CU, "loss=5,seed=15", NULL, 1 * MiB, 10 * T_S, 0);
}

Test(tcp_transfer, newreno_1_mib_loss_10_percent)
{
	transfer(NR, "loss=10,seed=20", NULL, 1 * MiB, 20 * T_S, 0);
}

Test(tcp_transfer, cubic_1_mib_loss_10_percent)
{
	transfer(CU, "loss=10,seed=20", NULL, 1 * MiB, 20 * T_S, 0);
}

/* --- both directions, duplication, reordering, received frames spoiled too --- */

Test(tcp_transfer, newreno_1_mib_loss_3_percent_both_directions)
{
	transfer(NR, "loss=3,seed=31", "loss=3,seed=32", 1 * MiB, 10 * T_S, 0);
}

Test(tcp_transfer, cubic_1_mib_loss_3_percent_both_directions)
{
	transfer(CU, "loss=3,seed=31", "loss=3,seed=32", 1 * MiB, 10 * T_S, 0);
}

Test(tcp_transfer, newreno_1_mib_duplication_5_percent_both_directions)
{
	transfer(NR, "dup=5,seed=41", "dup=5,seed=42", 1 * MiB, 1 * T_S, X_LOSSLESS);
}

Test(tcp_transfer, cubic_1_mib_duplication_5_percent_both_directions)
{
	transfer(CU, "dup=5,seed=41", "dup=5,seed=42", 1 * MiB, 1 * T_S, X_LOSSLESS);
}

Test(tcp_transfer, newreno_1_mib_reordering_10_percent_both_directions)
{
	transfer(NR, "reorder=10,seed=51", "reorder=10,seed=52", 1 * MiB, 10 * T_S, 0);
}

Test(tcp_transfer, cubic_1_mib_reordering_10_percent_both_directions)
{
	transfer(CU, "reorder=10,seed=51", "reorder=10,seed=52", 1 * MiB, 10 * T_S, 0);
}

Test(tcp_transfer, newreno_1_mib_received_frames_spoiled)
{
	transfer(NR, NULL, "loss=2,dup=2,reorder=5,rx=1,seed=61", 1 * MiB, 10 * T_S, 0);
}

Test(tcp_transfer, cubic_1_mib_received_frames_spoiled)
{
	transfer(CU, NULL, "loss=2,dup=2,reorder=5,rx=1,seed=61", 1 * MiB, 10 * T_S, 0);
}

Test(tcp_transfer, newreno_1_mib_everything_everywhere)
{
	transfer(NR, "loss=5,dup=3,reorder=10,rx=1,seed=71", "loss=5,dup=3,reorder=10,rx=1,seed=72",
		 1 * MiB, 60 * T_S, 0);
}

Test(tcp_transfer, cubic_1_mib_everything_everywhere)
{
	transfer(CU, "loss=5,dup=3,reorder=10,rx=1,seed=71", "loss=5,dup=3,reorder=10,rx=1,seed=72",
		 1 * MiB, 60 * T_S, 0);
}

/* --- the larger sizes through one lossy link --- */

Test(tcp_transfer, newreno_8_mib_loss_2_percent_and_reordering)
{
	transfer(NR, "loss=2,reorder=5,seed=81", "loss=1,seed=82", 8 * MiB, 20 * T_S, 0);
}

Test(tcp_transfer, cubic_8_mib_loss_2_percent_and_reordering)
{
	transfer(CU, "loss=2,reorder=5,seed=81", "loss=1,seed=82", 8 * MiB, 20 * T_S, 0);
}

Test(tcp_transfer, cubic_64_mib_loss_1_percent)
{
	transfer(CU, "loss=1,seed=91", "loss=1,seed=92", 64 * MiB, 30 * T_S, 0);
}

/* --- one way (pure ACKs back), and a peer without options (NewReno without SACK) --- */

Test(tcp_transfer, newreno_8_mib_one_way_loss_2_percent)
{
	transfer(NR, "loss=2,seed=101", "loss=2,seed=102", 8 * MiB, 20 * T_S, X_ONEWAY);
}

Test(tcp_transfer, cubic_8_mib_one_way_loss_2_percent)
{
	transfer(CU, "loss=2,seed=101", "loss=2,seed=102", 8 * MiB, 20 * T_S, X_ONEWAY);
}

Test(tcp_transfer, newreno_1_mib_each_way_without_options_clean)
{
	transfer(NR, NULL, NULL, 1 * MiB, 1 * T_S, X_LOSSLESS | X_NOOPT);
}

Test(tcp_transfer, newreno_1_mib_each_way_without_options_loss_3_percent)
{
	transfer(NR, "loss=3,seed=111", "loss=3,seed=112", 1 * MiB, 30 * T_S, X_NOOPT);
}

Test(tcp_transfer, cubic_1_mib_one_way_without_options_reordering_and_loss)
{
	transfer(CU, "loss=2,reorder=5,seed=121", "reorder=5,seed=122", 1 * MiB, 30 * T_S,
		 X_ONEWAY | X_NOOPT);
}

/* --- over IPv6 --- */
#if US_HAVE_IPV6

Test(tcp_transfer, cubic_8_mib_each_way_over_ipv6_clean)
{
	transfer(CU, NULL, NULL, 8 * MiB, 2 * T_S, X_LOSSLESS | X_IPV6);
}

Test(tcp_transfer, newreno_1_mib_over_ipv6_everything_everywhere)
{
	transfer(NR, "loss=5,dup=3,reorder=10,rx=1,seed=131", "loss=5,dup=3,reorder=10,rx=1,seed=132",
		 1 * MiB, 60 * T_S, X_IPV6);
}

Test(tcp_transfer, cubic_8_mib_over_ipv6_loss_2_percent_and_reordering)
{
	transfer(CU, "loss=2,reorder=5,seed=141", "loss=1,seed=142", 8 * MiB, 20 * T_S, X_IPV6);
}

Test(tcp_transfer, newreno_1_mib_over_ipv6_without_options)
{
	transfer(NR, NULL, NULL, 1 * MiB, 2 * T_S, X_LOSSLESS | X_NOOPT | X_IPV6);
}
#endif /* US_HAVE_IPV6 */
