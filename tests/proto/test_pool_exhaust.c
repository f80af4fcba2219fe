/*
 * Pool exhaustion (issue 10): two stacks on the loop link in virtual time,
 * each with a pool of 64 buffers (USOCK_POOL's minimum) and receiving into
 * its own pool as a NIC does (us_loop_copy_rx), so that a frame arriving
 * at an empty pool is dropped and counted.  The pools run dry by a reader
 * that does not read, by segments held out of order, by sends larger than
 * the pool, or by the test holding buffers itself; then: stream sends wait
 * (EAGAIN, not writable), datagram sends fail with ENOBUFS, frames that
 * find no buffer are counted (Driver rx_nobuf), nothing crashes; and once
 * the memory returns, every transfer finishes with its bytes intact, new
 * connections work, and teardown finds every buffer back in its pool.
 * Received data is kept only while the pool has more than its reserve
 * (us_pool_keep): beyond, it is dropped unacknowledged and counted
 * (Tcp rx_nomem, Udp rx_nomem).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"
#include "tests/common/tcp_helper.h"

#define TINY	64	/* buffers per stack: USOCK_POOL's minimum */
#define PORT	5001	/* b's listener */
#define APORT	5002	/* a's listener (b connects out) */
#define UPORT	7	/* b's UDP socket */
#define NCONN	8	/* connections at most */
#define CHUNK	16384	/* bytes per send or receive call */

/* One connection from a (client) to b (server), a sending only. */
struct conn {
	struct us_sock *c;	/* a's end */
	struct us_sock *s;	/* b's end, once accepted */
	uint64_t size;		/* bytes a sends */
	uint64_t sent;		/* bytes a queued */
	uint64_t rcvd;		/* bytes b read, all checked */
	uint64_t seed;		/* what the stream is made of */
	int shut;		/* a shut its side after the last byte */
	int eof;		/* b read the end of stream */
};

struct world {
	struct t_two t;		/* the stacks */
	struct us_sock *ls;	/* b's listener */
	struct conn k[NCONN];	/* the connections */
	int nk;			/* how many */
	int reading;		/* b's application reads */
	int stalled;		/* an a-side send returned -EAGAIN (pool or buffer full) */
	uint64_t allow;		/* a sends at most this many bytes on each connection for now */
	struct us_pkt *held;	/* buffers the test took from b's pool */
	uint32_t nheld;		/* how many */
	uint8_t buf[CHUNK];	/* scratch for sending */
	uint8_t want[CHUNK];	/* scratch for checking */
};

static struct world W;

/* Two stacks with tiny pools, each receiving into its own. */
static void
world_init(struct world *w)
{
	int err = 0;
	struct us_ep any = { .port = PORT };

	memset(w, 0, sizeof(*w));
	w->allow = UINT64_MAX;
	t_two_init(&w->t, NULL, NULL, TINY);
	us_loop_copy_rx(w->t.a.end, 1);
	us_loop_copy_rx(w->t.b.end, 1);
	w->ls = us_sock_create(w->t.b.st, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(w->ls);
	cr_assert_eq(us_tcp_bind_ep(w->t.b.st, w->ls, &any), 0);
	cr_assert_eq(us_tcp_listen(w->t.b.st, w->ls, 16), 0);
}

/*
 * Takes every free buffer of b's pool; returns how many.  Frames b sent
 * are b's buffers until a receives them (a copies them into its pool):
 * a takes them in first, so that none comes back to b behind the test.
 */
static uint32_t
hold_b(struct world *w)
{
	struct us_pkt *p;
	uint32_t n = 0;

	us_stack_flush(w->t.b.st);
	while (us_loop_pending(w->t.a.end) > 0)
		us_stack_poll(w->t.a.st, w->t.now, 64);

	while ((p = us_pkt_alloc(w->t.b.pool)) != NULL) {
		p->qnext = w->held;
		w->held = p;
		n++;
	}
	w->nheld += n;
	cr_assert_eq(w->t.b.pool->avail, 0);
	return n;
}

/* Gives back what hold_b took, but keep of them. */
static void
release_b(struct world *w, uint32_t keep)
{
	while (w->nheld > keep) {
		struct us_pkt *p = w->held;

		w->held = p->qnext;
		p->qnext = NULL;
		us_pkt_free(p);
		w->nheld--;
	}
}

/* Opens a connection from a to b that will carry size bytes; returns its index. */
static int
conn_open(struct world *w, uint64_t size)
{
	struct us_ep to = us_ep4(T_IP_B, PORT);
	struct conn *k = &w->k[w->nk];
	int err = 0;

	cr_assert_lt(w->nk, NCONN);
	k->c = us_sock_create(w->t.a.st, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(k->c);
	cr_assert_eq(us_tcp_connect_ep(w->t.a.st, k->c, &to), -EINPROGRESS);
	k->size = size;
	k->seed = 0x5eed0000u + (uint64_t)w->nk;
	return w->nk++;
}

/* b accepts what its listener has and pairs each with its a-side socket. */
static void
accept_all(struct world *w)
{
	struct us_sock *s;
	int err = 0, i;

	while ((s = us_tcp_accept(w->t.b.st, w->ls, &err)) != NULL) {
		for (i = 0; i < w->nk; i++)
			if (w->k[i].s == NULL && w->k[i].c->lport == s->fport)
				break;
		cr_assert_lt(i, w->nk, "b accepted a connection from port %u no one opened",
			     s->fport);
		w->k[i].s = s;
	}
}

/* a's side of connection k: queue what the stack takes, shut after the last byte. */
static void
app_send(struct world *w, struct conn *k)
{
	struct us_stack *st = w->t.a.st;
	ssize_t r;

	if (k->c->tcb == NULL || k->c->tcb->state < US_TCPS_ESTABLISHED)
		return;
	while (k->sent < k->size && k->sent < w->allow) {
		uint64_t end = k->size < w->allow ? k->size : w->allow;
		uint32_t n = end - k->sent < CHUNK ? (uint32_t)(end - k->sent) : CHUNK;

		t_pattern(w->buf, k->sent, n, k->seed);
		r = us_tcp_send(st, k->c, w->buf, n, 0);
		/* A stream send out of buffers waits like one out of room: never ENOBUFS. */
		cr_assert(r > 0 || r == -EAGAIN, "a: send returned %zd", r);
		if (r < 0) {
			w->stalled = 1;
			return;
		}
		k->sent += (uint64_t)r;
	}
	if (!k->shut && k->sent == k->size) {
		cr_assert_eq(us_tcp_shutdown(st, k->c, 1), 0);
		k->shut = 1;
	}
}

/* b's side of connection k: read and check everything there is. */
static void
app_recv(struct world *w, struct conn *k)
{
	static uint8_t got[CHUNK];
	ssize_t r;

	while (k->s != NULL && !k->eof) {
		r = us_tcp_recv(w->t.b.st, k->s, got, sizeof(got), 0);
		if (r == -EAGAIN)
			return;
		cr_assert_geq(r, 0, "b: recv returned %zd", r);
		if (r == 0) {
			k->eof = 1;
			return;
		}
		cr_assert_leq(k->rcvd + (uint64_t)r, k->size, "more bytes than were sent");
		t_pattern(w->want, k->rcvd, (uint32_t)r, k->seed);
		cr_assert(memcmp(got, w->want, (size_t)r) == 0, "stream bytes %llu.. are wrong",
			  (unsigned long long)k->rcvd);
		k->rcvd += (uint64_t)r;
	}
}

/* t_two_run condition: both applications; true when every stream was read to its end. */
static int
pump(void *arg)
{
	struct world *w = arg;
	int i, done = 1;

	accept_all(w);
	for (i = 0; i < w->nk; i++) {
		app_send(w, &w->k[i]);
		if (w->reading)
			app_recv(w, &w->k[i]);
		done &= w->k[i].eof;
	}
	return done;
}

/* t_two_run condition: every connection established, and accepted by b. */
static int
all_accepted(void *arg)
{
	struct world *w = arg;
	int i;

	accept_all(w);
	for (i = 0; i < w->nk; i++)
		if (w->k[i].s == NULL || w->k[i].c->tcb->state != US_TCPS_ESTABLISHED)
			return 0;
	return 1;
}

static int
all_gone(void *arg)
{
	struct world *w = arg;

	return w->t.a.st->tcp.nconn == 0 && w->t.b.st->tcp.nconn == 0;
}

/* Checks every stream arrived whole, closes everything, and tears down (leaks fail). */
static void
world_fini(struct world *w)
{
	int i;

	release_b(w, 0);
	for (i = 0; i < w->nk; i++) {
		cr_assert_eq(w->k[i].rcvd, w->k[i].size, "connection %d: %llu of %llu bytes", i,
			     (unsigned long long)w->k[i].rcvd, (unsigned long long)w->k[i].size);
		cr_assert(w->k[i].eof);
		us_sock_close(w->t.a.st, w->k[i].c);
		us_sock_close(w->t.b.st, w->k[i].s);
	}
	us_sock_close(w->t.b.st, w->ls);
	cr_assert(t_two_run(&w->t, all_gone, w, 300 * T_S), "connections left: a %u, b %u",
		  w->t.a.st->tcp.nconn, w->t.b.st->tcp.nconn);
	/* The pools are whole again (t_two_fini fails the test on any buffer missing). */
	cr_assert_eq(w->t.a.pool->avail, TINY);
	cr_assert_eq(w->t.b.pool->avail, TINY);
	t_two_fini(&w->t);
}

Test(pool_exhaust, bulk_transfers_through_pools_smaller_than_the_send_buffer_complete)
{
	struct world *w = &W;
	int i;

	/*
	 * 256 KiB send buffers over 64-buffer pools (139 KiB): the send queue
	 * alone could take the whole pool, leaving none for the segments that
	 * carry it (which once hung the transfer for good).
	 */
	world_init(w);
	w->reading = 1;
	for (i = 0; i < 2; i++)
		conn_open(w, 2 * 1024 * 1024);
	cr_assert(t_two_run(&w->t, all_accepted, w, 10 * T_S));
	cr_assert(t_two_run(&w->t, pump, w, 60 * T_S),
		  "not done in 60 s of virtual time: %llu and %llu of 2 MiB read",
		  (unsigned long long)w->k[0].rcvd, (unsigned long long)w->k[1].rcvd);
	/* The sends were held up at the reserve, and went on as buffers came back. */
	cr_assert_gt(w->t.a.st->stats->tcp.snd_nobuf, 0);
	cr_assert(w->stalled);
	cr_assert_eq(w->t.a.st->stats->tcp.conn_timeout + w->t.b.st->stats->tcp.conn_timeout, 0);
	world_fini(w);
}

Test(pool_exhaust, sends_on_a_dry_pool_wait_or_fail_with_enobufs_and_go_on_when_it_refills)
{
	struct world *w = &W;
	struct us_sock *u;
	struct conn *k;
	struct us_ep to = us_ep4(T_IP_A, 9);
	struct us_stack *b;
	uint64_t ev, nobuf;
	int err = 0, i;
	ssize_t r;

	world_init(w);
	b = w->t.b.st;
	i = conn_open(w, 0);
	cr_assert(t_two_run(&w->t, all_accepted, w, 10 * T_S));
	k = &w->k[i];
	u = us_sock_create(b, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_not_null(u);
	cr_assert_gt(us_tcp_writable(k->s), 0);
	cr_assert(us_sock_events(k->s) & US_EV_OUT);

	/* Dry: a stream send waits (EAGAIN), is not writable, and is counted. */
	hold_b(w);
	nobuf = b->stats->tcp.snd_nobuf;
	cr_assert_eq(us_tcp_send(b, k->s, "x", 1, 0), -EAGAIN);
	cr_assert_eq(b->stats->tcp.snd_nobuf, nobuf + 1);
	cr_assert_eq(us_tcp_writable(k->s), 0, "writable while the pool is dry");
	cr_assert_eq(us_sock_events(k->s) & US_EV_OUT, 0);
	/* A datagram fails at once with ENOBUFS, counted. */
	nobuf = b->stats->ip4.tx_nobuf;
	cr_assert_eq(us_udp_send_ep(b, u, "datagram", 8, &to), -ENOBUFS);
	cr_assert_eq(b->stats->ip4.tx_nobuf, nobuf + 1);
	/* One buffer back is still the reserve: nothing changes, nobody is woken. */
	release_b(w, w->nheld - 1);
	ev = w->t.b.events;
	t_two_run(&w->t, NULL, NULL, 100 * T_MS);
	cr_assert_eq(us_tcp_send(b, k->s, "x", 1, 0), -EAGAIN);
	cr_assert_eq(us_tcp_writable(k->s), 0);

	/* The pool refills: the writer hears of it, and its sends go on. */
	release_b(w, 0);
	t_two_run(&w->t, NULL, NULL, 1 * T_MS);
	cr_assert_gt(w->t.b.events, ev, "the waiting writer was not woken");
	cr_assert_gt(us_tcp_writable(k->s), 0);
	cr_assert(us_sock_events(k->s) & US_EV_OUT);
	cr_assert_eq(us_udp_send_ep(b, u, "datagram", 8, &to), 8);

	/*
	 * Data queued, then no buffer for its segment: nothing is outstanding,
	 * so no timer would ever send it.  The output retries on its own,
	 * without backoff, once buffers are back.
	 */
	cr_assert_eq(us_tcp_send(b, k->s, "0123456789", 10, 1), 10);	/* MSG_MORE: queued only */
	hold_b(w);
	nobuf = b->stats->tcp.tx_nobuf;
	cr_assert_eq(us_tcp_output(b, k->s->tcb), -ENOBUFS);
	cr_assert_gt(b->stats->tcp.tx_nobuf, nobuf);
	cr_assert_neq(k->s->tcb->t_timer[US_TCPT_REXMT], 0, "no retry armed");
	t_two_run(&w->t, NULL, NULL, 2 * T_S);
	cr_assert_eq(k->s->tcb->snd_una, k->s->tcb->snd_max, "sent without a buffer?");
	cr_assert_gt(b->stats->tcp.tx_nobuf_retry, 1, "the retry stopped while the pool was dry");
	release_b(w, 0);
	t_two_run(&w->t, NULL, NULL, 1 * T_S);
	{
		char got[16];

		cr_assert_eq(us_tcp_recv(w->t.a.st, k->c, got, sizeof(got), 0), 10);
		cr_assert_eq(memcmp(got, "0123456789", 10), 0);
	}
	cr_assert_eq(b->stats->tcp.rexmt_timeout, 0, "a want of buffers is no loss");
	cr_assert_eq(k->s->tcb->t_rxtshift, 0);
	cr_assert_eq(k->s->tcb->t_timer[US_TCPT_REXMT], 0);

	/* b ends its side too, so world_fini sees both streams end. */
	r = us_tcp_shutdown(b, k->s, 1);
	cr_assert_eq(r, 0);
	k->eof = 1;
	us_sock_close(b, u);
	world_fini(w);
}

Test(pool_exhaust, a_receiver_that_does_not_read_runs_dry_and_every_transfer_completes_once_it_does)
{
	struct world *w = &W;
	struct us_stack *a, *b;
	struct us_sock *ua, *ub;
	struct us_ep tob = us_ep4(T_IP_B, UPORT), toa = us_ep4(T_IP_A, 9);
	uint64_t drops, acks;
	char dg[32];
	int err = 0, i, late;

	world_init(w);
	a = w->t.a.st;
	b = w->t.b.st;
	ua = us_sock_create(a, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	ub = us_sock_create(b, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert(ua != NULL && ub != NULL);
	cr_assert_eq(us_udp_bind(b, ub, 0, UPORT), 0);
	/* Receive buffers far above the pool (SO_RCVBUF; the default is sized to it). */
	w->ls->rcvbuf = 256 * 1024;
	for (i = 0; i < 6; i++)
		conn_open(w, 256 * 1024);
	cr_assert(t_two_run(&w->t, all_accepted, w, 10 * T_S));

	/*
	 * a pushes 6 x 256 KiB at b, which does not read: b's pool runs down
	 * to where received data may no longer be kept (us_pool_keep), and
	 * the data that finds it there is dropped unacknowledged, counted;
	 * the ACKs it carries are still taken.
	 */
	t_two_run(&w->t, pump, w, 5 * T_S);
	cr_assert_leq(b->pool->avail, us_pool_reserve(b->pool) + us_pool_base(b->pool),
		      "b's pool never ran down to what received data may take: %u free",
		      b->pool->avail);
	cr_assert_gt(b->stats->tcp.rx_nomem, 0, "no data found b's pool at its reserve");
	cr_assert_gt(b->stats->tcp.rx_data_bytes, 0);
	cr_assert_lt(b->stats->tcp.rx_data_bytes, 6 * 256 * 1024);
	/* Whatever b received in order is waiting to be read: none of it was lost. */
	for (i = 0; i < w->nk; i++)
		cr_assert_eq(us_tcp_readable(w->k[i].s), w->k[i].s->tcb->rcv_nxt -
							     w->k[i].s->tcb->irs - 1);

	/* While dry (the test takes what is left): datagrams in and out, and a new connection. */
	hold_b(w);
	cr_assert_eq(us_udp_send_ep(b, ub, "from b", 6, &toa), -ENOBUFS);
	cr_assert_eq(us_udp_send_ep(a, ua, "lost", 4, &tob), 4);
	late = conn_open(w, 64 * 1024);
	drops = b->stats->drv.rx_nobuf;
	acks = b->stats->tcp.tx_nobuf;
	t_two_run(&w->t, pump, w, 2 * T_S);
	cr_assert_gt(b->stats->drv.rx_nobuf, drops, "frames arrived and were not counted");
	cr_assert_eq(us_udp_recv_ep(b, ub, dg, sizeof(dg), 0, NULL), -EAGAIN);
	cr_assert_eq(w->k[late].c->tcb->state, US_TCPS_SYN_SENT, "a SYN got through a dry pool");
	cr_assert_geq(b->stats->tcp.tx_nobuf, acks);
	cr_assert_eq(a->stats->tcp.conn_reset + b->stats->tcp.conn_reset, 0);

	/* b reads: its pool refills, the peer retransmits what was dropped, all arrives. */
	release_b(w, 0);
	w->reading = 1;
	cr_assert(t_two_run(&w->t, pump, w, 120 * T_S), "transfers not done in 120 s of virtual time");
	cr_assert_gt(a->stats->tcp.tx_rexmt, 0, "what b dropped was never sent again?");
	cr_assert_eq(a->stats->tcp.conn_timeout + b->stats->tcp.conn_timeout, 0);
	/* The connection tried while dry completed (pump read it), and so does a fresh one. */
	cr_assert_eq(w->k[late].rcvd, 64 * 1024);
	conn_open(w, 64 * 1024);
	cr_assert(t_two_run(&w->t, pump, w, 10 * T_S), "a connection after the recovery failed");
	/* Datagrams go both ways again. */
	cr_assert_eq(us_udp_send_ep(a, ua, "after", 5, &tob), 5);
	t_two_run(&w->t, NULL, NULL, 10 * T_MS);
	cr_assert_eq(us_udp_recv_ep(b, ub, dg, sizeof(dg), 0, NULL), 5);
	cr_assert_eq(memcmp(dg, "after", 5), 0);
	cr_assert_eq(us_udp_send_ep(b, ub, "from b", 6, &toa), 6);
	us_sock_close(a, ua);
	us_sock_close(b, ub);
	world_fini(w);
}

Test(pool_exhaust, segments_held_out_of_order_are_given_back_when_the_pool_runs_dry)
{
	struct world *w = &W;
	struct us_stack *b;
	int i;

	/*
	 * The first segment of every connection is dropped (the test holds
	 * b's pool), then what follows it fills b's pool out of order.  Held,
	 * those segments wait for a retransmission that finds no buffer, and
	 * b has nothing in order to read: a deadlock unless TCP gives them back.
	 */
	world_init(w);
	b = w->t.b.st;
	w->reading = 1;
	for (i = 0; i < NCONN; i++)
		conn_open(w, 10 * 1448);
	cr_assert(t_two_run(&w->t, all_accepted, w, 10 * T_S));
	hold_b(w);
	w->allow = 1448;
	t_two_run(&w->t, pump, w, 1 * T_MS);
	for (i = 0; i < NCONN; i++)
		cr_assert_eq(w->k[i].sent, 1448);
	cr_assert_eq(b->stats->tcp.rx_data_bytes, 0);
	cr_assert_gt(b->stats->drv.rx_nobuf, 0);
	cr_assert_eq(b->stats->tcp.rx_ooo_drained, 0);
	/*
	 * Nine full segments each behind the hole, 72, with most of b's pool
	 * still taken (as by other sockets' unread data): more than b holds.
	 */
	release_b(w, TINY - 24);
	w->allow = UINT64_MAX;
	cr_assert(t_two_run(&w->t, pump, w, 60 * T_S),
		  "not done in 60 s of virtual time (%llu out-of-order segments given back)",
		  (unsigned long long)b->stats->tcp.rx_ooo_drained);
	cr_assert_gt(b->stats->tcp.rx_ooo, 0);
	cr_assert_gt(b->stats->tcp.rx_ooo_drained, 0);
	cr_assert_eq(w->t.a.st->stats->tcp.conn_timeout, 0);
	world_fini(w);
}

Test(pool_exhaust, connections_opened_while_the_pool_is_dry_complete_once_it_refills)
{
	struct world *w = &W;
	struct us_sock *al, *as = NULL, *bc;
	struct us_ep any = { .port = APORT }, toa = us_ep4(T_IP_A, APORT);
	struct us_stack *a, *b;
	uint64_t nobuf, drops;
	char c;
	int err = 0, i;

	world_init(w);
	a = w->t.a.st;
	b = w->t.b.st;
	al = us_sock_create(a, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(al);
	cr_assert_eq(us_tcp_bind_ep(a, al, &any), 0);
	cr_assert_eq(us_tcp_listen(a, al, 4), 0);

	/*
	 * b dry: a's ARP request and SYN find no buffer at b (dropped and
	 * counted), and b's own SYN out finds none to be built in.
	 */
	hold_b(w);
	drops = b->stats->drv.rx_nobuf;
	nobuf = b->stats->tcp.tx_nobuf;
	i = conn_open(w, 1000);
	bc = us_sock_create(b, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(bc);
	cr_assert_eq(us_tcp_connect_ep(b, bc, &toa), -EINPROGRESS);
	cr_assert_gt(b->stats->tcp.tx_nobuf, nobuf);
	t_two_run(&w->t, pump, w, 2500 * T_MS);
	cr_assert_gt(b->stats->drv.rx_nobuf, drops);
	cr_assert_eq(w->k[i].c->tcb->state, US_TCPS_SYN_SENT);
	cr_assert_eq(bc->tcb->state, US_TCPS_SYN_SENT);
	cr_assert_eq(us_tcp_accept(a, al, &err), NULL);
	cr_assert_eq(b->stats->tcp.conn_accepted, 0);

	/*
	 * One buffer back: a frame can come in, but the answer (an ARP reply,
	 * a SYN-ACK) finds none.  Then all of them: the retransmissions
	 * connect both ways.
	 */
	release_b(w, w->nheld - 1);
	t_two_run(&w->t, pump, w, 3 * T_S);
	release_b(w, 0);
	w->reading = 1;
	cr_assert(t_two_run(&w->t, pump, w, 30 * T_S), "a -> b did not complete");
	cr_assert_gt(b->stats->tcp.tx_nobuf, nobuf);
	for (i = 0; i < 300 && as == NULL; i++) {
		t_two_run(&w->t, NULL, NULL, 100 * T_MS);
		as = us_tcp_accept(a, al, &err);
	}
	cr_assert_not_null(as, "b -> a did not connect");
	cr_assert_eq(bc->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(us_tcp_send(b, bc, "!", 1, 0), 1);
	t_two_run(&w->t, NULL, NULL, 100 * T_MS);
	cr_assert_eq(us_tcp_recv(a, as, &c, 1, 0), 1);
	cr_assert_eq(c, '!');
	us_sock_close(b, bc);
	us_sock_close(a, as);
	us_sock_close(a, al);
	world_fini(w);
}
