/*
 * tcp_usr.c - the user side of TCP (RFC 9293 3.10.1-3.10.6): open, listen,
 * accept, send, receive, shutdown and close on a stream socket.  Nothing
 * here blocks: "not yet" is -EAGAIN (or -EINPROGRESS for connect), and the
 * API layer waits and retries.
 */
#include <errno.h>
#include <string.h>

#include "usock.h"
#include "../core/stack.h"
#include "../ip/ip4.h"
#include "../ip/ip6.h"
#include "../sock/sock.h"
#include "../wire/wire.h"
#include "tcp.h"

#define TCP_SNDBUF	(256u * 1024)	/* default SO_SNDBUF */
#define TCP_RCVBUF	(256u * 1024)	/* default SO_RCVBUF */
#define TCP_BACKLOG_MAX	4096

int
us_tcp_attach(struct us_stack *st, struct us_sock *so)
{
	struct us_tcb *tp = us_tcb_new(st, so);

	if (tp == NULL)
		return -ENOMEM;
	so->tcb = tp;
	so->refs++;	/* the connection keeps its socket until it is done */
	if (so->rcvbuf < TCP_RCVBUF && so->rcvbuf == 212992)
		so->rcvbuf = TCP_RCVBUF;
	if (so->sndbuf == 212992)
		so->sndbuf = TCP_SNDBUF;
	/*
	 * A default receive buffer no larger than half of what received data
	 * may take of the pool (us_pool_keep): a peer filling the window then
	 * finds room, instead of losing segments every round trip to a small
	 * pool and backing off.  Only small pools (USOCK_POOL under about 430)
	 * lower it; SO_RCVBUF still sets any size.
	 */
	if (so->rcvbuf == TCP_RCVBUF) {
		uint32_t n = st->pool->n, keep = n > 3 * us_pool_base(st->pool) ?
							   n - 3 * us_pool_base(st->pool) : 1;
		uint64_t cap = (uint64_t)(keep / 2 > 4 ? keep / 2 : 4) * (st->mtu - 52);

		if (cap < so->rcvbuf)
			so->rcvbuf = (uint32_t)cap;
	}
	return 0;
}

/* True if port (with addr) is taken by another TCP socket as bind(2) sees it. */
static int
port_busy(struct us_stack *st, struct us_sock *self, const struct us_ep *ep, uint16_t port)
{
	struct us_sock *s;

	for (s = st->socks; s != NULL; s = s->anext) {
		if (s == self || s->proto != USOCK_IPPROTO_TCP || !(s->flags & US_SO_BOUND) ||
		    s->lport != port)
			continue;
		if (!us_sock_bind_overlap(s, self, ep))
			continue;
		/* SO_REUSEADDR on both: allowed unless the other is listening (as Linux). */
		if ((s->flags & US_SO_REUSEADDR) && (self->flags & US_SO_REUSEADDR) &&
		    !(s->flags & US_SO_LISTEN))
			continue;
		return 1;
	}
	return 0;
}

int
us_tcp_bind(struct us_stack *st, struct us_sock *so, uint32_t addr, uint16_t port)
{
	struct us_ep ep = us_ep4(addr, port);

	return us_tcp_bind_ep(st, so, &ep);
}

int
us_tcp_bind_ep(struct us_stack *st, struct us_sock *so, const struct us_ep *ep)
{
	uint16_t port = ep->port;
	struct us_ep e;
	uint32_t tries;

	if (so->flags & US_SO_BOUND)
		return -EINVAL;
	if (ep->v6 ? !us_in6_is_unspec(&ep->addr6) && !us_ip6_is_ours(st, &ep->addr6)
		   : ep->addr != 0 && ep->addr != st->ip4)
		return -EADDRNOTAVAIL;
	if (port == 0) {
		for (tries = 0; tries < 16384; tries++) {
			uint16_t p = st->tcp.next_eph;

			st->tcp.next_eph = p == 65535 ? 49152 : p + 1;
			if (!port_busy(st, so, ep, p)) {
				port = p;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	} else if (port_busy(st, so, ep, port)) {
		return -EADDRINUSE;
	}
	e = *ep;
	e.port = port;
	us_sock_set_local(so, &e);
	so->flags |= US_SO_BOUND;
	return 0;
}

/*
 * Would so listen where another listener does?  Any overlap of their
 * addresses counts, across the families too (a dual-stack "::" takes
 * 0.0.0.0's IPv4): as Linux refuses the second listen even when
 * SO_REUSEADDR let both bind.
 */
static int
listener_taken(struct us_stack *st, const struct us_sock *so)
{
	struct us_ep e = us_sock_local(so);
	struct us_sock *ls;

	for (ls = st->tcp.lhash[so->lport & (st->tcp.nlhash - 1)]; ls != NULL; ls = ls->hnext)
		if (ls->lport == so->lport && us_sock_bind_overlap(ls, so, &e))
			return 1;
	return 0;
}

int
us_tcp_listen(struct us_stack *st, struct us_sock *so, int backlog)
{
	struct us_tcb *tp = so->tcb;
	struct us_sock **b;
	int rc;

	/* The seed: a negative backlog counts as 0. */
	if (backlog < 0)
		backlog = 0;
	if (backlog > TCP_BACKLOG_MAX)
		backlog = TCP_BACKLOG_MAX;
	if (so->flags & US_SO_LISTEN) {
		so->backlog = backlog;
		return 0;
	}
	if (tp == NULL || tp->state != US_TCPS_CLOSED || (so->flags & US_SO_CONNECTED))
		return -EINVAL;
	if (!(so->flags & US_SO_BOUND)) {
		struct us_ep any = { .v6 = (so->flags & US_SO_V6) != 0 };

		if ((rc = us_tcp_bind_ep(st, so, &any)) != 0)
			return rc;
	}
	/* Two listeners on one port only through SO_REUSEADDR on a specific address: no. */
	if (listener_taken(st, so))
		return -EADDRINUSE;
	so->backlog = backlog;
	so->flags |= US_SO_LISTEN;
	us_tcp_set_state(st, tp, US_TCPS_LISTEN);
	b = &st->tcp.lhash[so->lport & (st->tcp.nlhash - 1)];
	so->hnext = *b;
	*b = so;
	return 0;
}

struct us_sock *
us_tcp_accept(struct us_stack *st, struct us_sock *so, int *err)
{
	struct us_sock *c = so->acc_head;

	(void)st;
	if (!(so->flags & US_SO_LISTEN)) {
		*err = -EINVAL;
		return NULL;
	}
	if (c == NULL) {
		*err = -EAGAIN;
		return NULL;
	}
	so->acc_head = c->tcb != NULL ? c->tcb->t_qnext : NULL;
	if (so->acc_head == NULL)
		so->acc_tail = NULL;
	so->acc_len--;
	if (c->tcb != NULL) {
		c->tcb->t_qnext = NULL;
		c->tcb->t_listener = NULL;
	}
	c->flags |= US_SO_ACCEPTED;
	return c;
}

int
us_tcp_connect(struct us_stack *st, struct us_sock *so, uint32_t faddr, uint16_t fport)
{
	struct us_ep ep = us_ep4(faddr, fport);

	return us_tcp_connect_ep(st, so, &ep);
}

/* Checks the peer and picks our address for it: 0 or the error connect returns. */
static int
set_ends(struct us_stack *st, struct us_sock *so, const struct us_ep *ep)
{
	if (ep->port == 0)
		return -EINVAL;
	if (ep->v6) {
		struct us_in6 src;

		if (!(so->flags & US_SO_V6))
			return -EAFNOSUPPORT;
		if (us_in6_is_unspec(&ep->addr6))
			return -EINVAL;
		if (us_in6_is_multicast(&ep->addr6))
			return -ENETUNREACH;
		if (us_in6_is_unspec(&so->laddr6)) {
			int rc = us_ip6_select_src(st, &ep->addr6, &src);

			if (rc != 0)
				return rc == -EADDRNOTAVAIL ? -ENETUNREACH : rc;
			so->laddr6 = src;
		}
		so->faddr6 = ep->addr6;
		so->fport = ep->port;
		return 0;
	}
	if (ep->addr == 0)
		return -EINVAL;
	if (us_ip4_is_multicast(ep->addr) || us_ip4_is_bcast(st, ep->addr))
		return -ENETUNREACH;
	if (!us_ip4_onlink(st, ep->addr) && st->gw == 0)
		return -ENETUNREACH;
	if (so->flags & US_SO_V6) {
		/* An AF_INET6 socket to a v4-mapped peer speaks IPv4 from here on. */
		if ((so->flags & US_SO_V6ONLY) || !us_in6_is_unspec(&so->laddr6))
			return -ENETUNREACH;
		so->flags &= ~US_SO_V6;
		so->laddr = 0;
	}
	so->faddr = ep->addr;
	so->fport = ep->port;
	if (so->laddr == 0)
		so->laddr = st->ip4;
	return 0;
}

/* Forgets the peer a failed connect recorded. */
static void
clear_ends(struct us_sock *so)
{
	so->faddr = 0;
	memset(&so->faddr6, 0, sizeof(so->faddr6));
	so->fport = 0;
}

int
us_tcp_connect_ep(struct us_stack *st, struct us_sock *so, const struct us_ep *ep)
{
	struct us_tcb *tp = so->tcb;
	struct us_tcp_ends e;
	uint32_t tries;
	int rc;

	if (tp == NULL)
		return so->so_error ? -so->so_error : -EBADF;
	switch (tp->state) {
	case US_TCPS_CLOSED:
		break;
	case US_TCPS_LISTEN:
		return -EISCONN;	/* as Linux */
	case US_TCPS_SYN_SENT:
	case US_TCPS_SYN_RECEIVED:
		return -EALREADY;
	default:
		return -EISCONN;
	}
	if (so->flags & US_SO_CONNECTED) {
		/* A connect that already failed: report its error once. */
		rc = so->so_error ? -so->so_error : -ECONNABORTED;
		so->so_error = 0;
		return rc;
	}
	if ((rc = set_ends(st, so, ep)) != 0) {
		clear_ends(so);
		return rc;
	}
	if (!(so->flags & US_SO_BOUND)) {
		/* An ephemeral port unique for this 4-tuple (RFC 6056 style walk). */
		us_tcp_ends_sock(so, &e);
		for (tries = 0; tries < 16384; tries++) {
			uint16_t p = st->tcp.next_eph;

			st->tcp.next_eph = p == 65535 ? 49152 : p + 1;
			e.lport = p;
			if (us_tcp_lookup(st, &e) == NULL && us_tcp_lookup_listener(st, &e) == NULL) {
				so->lport = p;
				break;
			}
		}
		if (so->lport == 0) {
			clear_ends(so);
			return -EADDRNOTAVAIL;
		}
		so->flags |= US_SO_BOUND;
	}
	rc = us_tcp_hash_insert(st, tp);
	if (rc != 0) {
		clear_ends(so);
		return -EADDRINUSE;
	}
	so->flags |= US_SO_CONNECTED;
	tp->rcv_wscale = 0;
	while (tp->rcv_wscale < 14 && (65535u << tp->rcv_wscale) < so->rcvbuf)
		tp->rcv_wscale++;
	us_tcp_ends_sock(so, &e);
	tp->t_ourmss = us_tcp_our_mss(st, so);
	tp->iss = us_tcp_iss(st, &e);
	tp->ts_offset = us_tcp_ts_offset(st, &e);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	/*
	 * RFC 6582 3.2 step 1: "recover" starts at the ISS.  Left at 0 it sits
	 * half the sequence space away for half of all ISSs, and the stale-
	 * recovery check then refuses every fast retransmit.
	 */
	tp->snd_recover = tp->iss;
	tp->t_flags |= US_TF_SACK_PERMIT;	/* offered; cleared if the peer does not */
	tp->t_rttime = us_tcp_usnow(st);
	tp->t_rtseq = tp->iss;
	us_tcp_set_state(st, tp, US_TCPS_SYN_SENT);
	st->stats->tcp.conn_attempt++;
	rc = us_tcp_output(st, tp);
	if (rc != 0 && rc != -ENOBUFS) {
		us_tcp_drop(st, tp, -rc);
		return rc;
	}
	return -EINPROGRESS;
}

ssize_t
us_tcp_send(struct us_stack *st, struct us_sock *so, const void *buf, size_t len, int more)
{
	struct us_tcb *tp = so->tcb;
	const uint8_t *src = buf;
	uint32_t room, done = 0;
	int rc;

	if (so->so_error != 0) {
		rc = -so->so_error;
		so->so_error = 0;
		return rc;
	}
	if (tp == NULL)
		return -EPIPE;
	if ((so->flags & US_SO_SHUT_WR) || (tp->t_flags & US_TF_NEEDFIN))
		return -EPIPE;
	switch (tp->state) {
	case US_TCPS_ESTABLISHED:
	case US_TCPS_CLOSE_WAIT:
		break;
	case US_TCPS_SYN_SENT:
	case US_TCPS_SYN_RECEIVED:
		return -EAGAIN;	/* as Linux: a send waits for the handshake */
	default:
		/* Never connected, listening, or closing: EPIPE, as Linux (sk_stream_wait_connect). */
		return -EPIPE;
	}
	room = so->sndbuf > tp->snd_cc ? so->sndbuf - tp->snd_cc : 0;
	if (room == 0)
		return -EAGAIN;
	if (len > room)
		len = room;
	while (done < len) {
		struct us_pkt *p = tp->snd_tail;
		uint32_t n;

		if (p == NULL || us_pkt_tailroom(p) == 0) {
			/*
			 * The last buffers of the pool are not for queueing: each
			 * segment sent, ACK and received frame needs one, and without
			 * them the send queues of a pool smaller than the send buffers
			 * could never go out nor be acknowledged (a deadlock).  Wait,
			 * as Linux's sk_stream_wait_memory, until the pool refills.
			 */
			if (st->pool->avail <= us_pool_reserve(st->pool) ||
			    (p = us_pkt_alloc(st->pool)) == NULL) {
				st->stats->tcp.snd_nobuf++;
				tp->t_sndwait = 1;
				st->tcp.sndwait = 1;
				break;
			}
			/* Payload only: segments are built in fresh buffers with their headers. */
			p->off = 0;
			if (tp->snd_tail != NULL)
				tp->snd_tail->next = p;
			else
				tp->snd_head = p;
			tp->snd_tail = p;
		}
		n = us_pkt_tailroom(p);
		if (n > len - done)
			n = (uint32_t)(len - done);
		memcpy(us_pkt_append(p, n), src + done, n);
		done += n;
		tp->snd_cc += n;
	}
	/* Out of buffers, a stream send waits as for room (Linux: EAGAIN, never ENOBUFS). */
	if (done == 0)
		return -EAGAIN;
	if (!more)
		us_tcp_output(st, tp);
	return (ssize_t)done;
}

/* What a receive finds when there is no data: 0 at the end, the error, or -EAGAIN. */
static int
recv_status(struct us_sock *so, int peek)
{
	struct us_tcb *tp = so->tcb;
	int rc;

	if (tp != NULL && (tp->t_flags & US_TF_RCVD_FIN))
		return 0;
	if (so->so_error != 0) {
		rc = -so->so_error;
		if (!peek)
			so->so_error = 0;
		return rc;
	}
	if (so->flags & US_SO_SHUT_RD)
		return 0;
	if (tp == NULL || tp->state == US_TCPS_CLOSED)
		return (so->flags & US_SO_CONNECTED) ? 0 : -ENOTCONN;
	if (tp->state == US_TCPS_LISTEN)
		return -ENOTCONN;
	return -EAGAIN;
}

void
us_tcp_consume(struct us_stack *st, struct us_sock *so, uint32_t n, int copied)
{
	struct us_tcb *tp = so->tcb;
	uint32_t left = n;
	struct us_pkt *q;

	while (left > 0 && (q = tp->rcv_head) != NULL) {
		struct us_pkt *p = q;

		while (p != NULL && left > 0) {
			uint32_t k = p->len < left ? p->len : left;

			us_pkt_adj(p, k);
			left -= k;
			if (p->len > 0)
				break;
			p = p->next;
		}
		if (us_pkt_chain_len(q) == 0) {
			tp->rcv_head = q->qnext;
			if (tp->rcv_head == NULL)
				tp->rcv_tail = NULL;
			q->qnext = NULL;
			us_pkt_free(q);
		}
	}
	tp->rcv_cc -= n;
	so->bytes_delivered += n;
	st->stats->sock.bytes_delivered += n;
	if (copied) {
		so->bytes_copied += n;
		st->stats->sock.bytes_copied += n;
	}
	/* Room opened: the window update goes out if it is worth it. */
	us_tcp_output(st, tp);
}

ssize_t
us_tcp_recv(struct us_stack *st, struct us_sock *so, void *buf, size_t len, int peek)
{
	struct us_tcb *tp = so->tcb;
	uint8_t *dst = buf;
	uint32_t done = 0;
	struct us_pkt *q;

	if (tp == NULL || tp->rcv_cc == 0)
		return recv_status(so, peek);
	if (len == 0)
		return 0;
	/* Copy straight from the buffers the driver filled: the only copy of each byte. */
	for (q = tp->rcv_head; q != NULL && done < len; q = q->qnext) {
		struct us_pkt *p;

		for (p = q; p != NULL && done < len; p = p->next) {
			uint32_t n = p->len < len - done ? p->len : (uint32_t)(len - done);

			memcpy(dst + done, us_pkt_data(p), n);
			done += n;
		}
	}
	if (!peek)
		us_tcp_consume(st, so, done, 1);
	return (ssize_t)done;
}

ssize_t
us_tcp_borrow(struct us_stack *st, struct us_sock *so, struct us_pkt **piece)
{
	struct us_tcb *tp = so->tcb;
	struct us_pkt *p;

	(void)st;
	if (tp == NULL || tp->rcv_cc == 0)
		return recv_status(so, 0);
	for (p = tp->rcv_head; p != NULL && p->len == 0; p = p->next)
		;
	if (p == NULL)
		return -EAGAIN;	/* cannot be: rcv_cc counts the head's bytes */
	*piece = p;
	return (ssize_t)p->len;
}

/* Our side is finished: FIN after the queued data (RFC 9293 3.10.4). */
static void
send_fin(struct us_stack *st, struct us_tcb *tp)
{
	if (tp->t_flags & US_TF_NEEDFIN)
		return;
	switch (tp->state) {
	case US_TCPS_SYN_RECEIVED:
	case US_TCPS_ESTABLISHED:
		tp->t_flags |= US_TF_NEEDFIN;
		us_tcp_set_state(st, tp, US_TCPS_FIN_WAIT_1);
		break;
	case US_TCPS_CLOSE_WAIT:
		tp->t_flags |= US_TF_NEEDFIN;
		us_tcp_set_state(st, tp, US_TCPS_LAST_ACK);
		break;
	default:
		return;
	}
	us_tcp_output(st, tp);
}

static void close_listener(struct us_stack *st, struct us_sock *so);

int
us_tcp_shutdown(struct us_stack *st, struct us_sock *so, int how)
{
	struct us_tcb *tp = so->tcb;

	if (tp != NULL && tp->state == US_TCPS_LISTEN) {
		/* As Linux: SHUT_RD stops listening (queued connections are reset); SHUT_WR does nothing. */
		if (how != 1) {
			close_listener(st, so);
			us_tcp_set_state(st, tp, US_TCPS_CLOSED);
			us_sock_wakeup(st, so);
		}
		return 0;
	}
	if (tp == NULL || tp->state < US_TCPS_SYN_RECEIVED)
		return -ENOTCONN;
	if (how != 1)	/* SHUT_RD or SHUT_RDWR */
		so->flags |= US_SO_SHUT_RD;
	if (how != 0) {	/* SHUT_WR or SHUT_RDWR */
		so->flags |= US_SO_SHUT_WR;
		send_fin(st, tp);
	}
	us_sock_wakeup(st, so);
	return 0;
}

void
us_tcp_discard(struct us_stack *st, struct us_sock *so)
{
	struct us_tcb *tp = so->tcb;

	if (tp != NULL) {
		tp->t_listener = NULL;
		tp->t_flags |= US_TF_DETACHED;
		us_tcp_drop(st, tp, 0);
	}
	us_sock_close(st, so);
}

/* Resets and frees a connection the application will never see (queued on a listener). */
static void
abort_embryo(struct us_stack *st, struct us_sock *c)
{
	struct us_tcb *tp = c->tcb;

	if (tp != NULL && tp->state >= US_TCPS_SYN_RECEIVED)
		us_tcp_respond_sock(st, tp, c, tp->snd_nxt, 0,
			       US_TH_RST);
	us_tcp_discard(st, c);
}

static void
close_listener(struct us_stack *st, struct us_sock *so)
{
	struct us_sock **pp, *c, *next;

	for (pp = &st->tcp.lhash[so->lport & (st->tcp.nlhash - 1)]; *pp != NULL;
	     pp = &(*pp)->hnext)
		if (*pp == so) {
			*pp = so->hnext;
			break;
		}
	so->hnext = NULL;
	so->flags &= ~US_SO_LISTEN;
	/* Completed connections nobody accepted, then the half-open ones. */
	for (c = so->acc_head; c != NULL; c = next) {
		next = c->tcb != NULL ? c->tcb->t_qnext : NULL;
		abort_embryo(st, c);
	}
	so->acc_head = so->acc_tail = NULL;
	so->acc_len = 0;
	for (c = st->socks; c != NULL; c = next) {
		next = c->anext;
		if (c->tcb != NULL && c->tcb->t_listener == so)
			abort_embryo(st, c);
	}
	so->syn_len = 0;
}

void
us_tcp_close(struct us_stack *st, struct us_sock *so)
{
	struct us_tcb *tp = so->tcb;

	if (tp == NULL)
		return;
	if (tp->t_listener != NULL) {
		/* Still on a listener's queue (stack teardown): it goes with a reset. */
		struct us_sock *ls = tp->t_listener, **pp;

		if (tp->state == US_TCPS_SYN_RECEIVED) {
			ls->syn_len--;
		} else {
			for (pp = &ls->acc_head; *pp != NULL; pp = &(*pp)->tcb->t_qnext)
				if (*pp == so) {
					*pp = tp->t_qnext;
					ls->acc_len--;
					break;
				}
			ls->acc_tail = NULL;
			for (pp = &ls->acc_head; *pp != NULL; pp = &(*pp)->tcb->t_qnext)
				ls->acc_tail = *pp;
		}
		tp->t_listener = NULL;
		tp->t_flags |= US_TF_DETACHED;
		us_tcp_drop(st, tp, 0);
		return;
	}
	if (so->flags & US_SO_LISTEN)
		close_listener(st, so);
	tp->t_flags |= US_TF_DETACHED;
	switch (tp->state) {
	case US_TCPS_CLOSED:
	case US_TCPS_LISTEN:
	case US_TCPS_SYN_SENT:
		us_tcp_drop(st, tp, 0);
		return;
	default:
		break;
	}
	/*
	 * Unread data, or SO_LINGER with zero time: abort with a reset (as
	 * Linux, RFC 2525 2.17), so the peer knows data was lost.
	 */
	if (tp->rcv_cc > 0 || so->linger == 0) {
		if (tp->state >= US_TCPS_SYN_RECEIVED && tp->state < US_TCPS_TIME_WAIT)
			us_tcp_respond_sock(st, tp, so, tp->snd_nxt, 0, US_TH_RST);
		us_tcp_drop(st, tp, 0);
		return;
	}
	send_fin(st, tp);
	if (tp->state == US_TCPS_FIN_WAIT_2)
		us_tcp_timer_set(st, tp, US_TCPT_2MSL, st->now + 60ull * 1000000000ull);
}

uint32_t
us_tcp_readable(const struct us_sock *so)
{
	const struct us_tcb *tp = so->tcb;

	if (so->flags & US_SO_LISTEN)
		return so->acc_len;
	return tp != NULL ? tp->rcv_cc : 0;
}

uint32_t
us_tcp_writable(const struct us_sock *so)
{
	const struct us_tcb *tp = so->tcb;

	if (tp == NULL || (tp->state != US_TCPS_ESTABLISHED && tp->state != US_TCPS_CLOSE_WAIT) ||
	    (tp->t_flags & US_TF_NEEDFIN))
		return 0;
	/* A writer the pool held up hears of it when the pool refills (us_tcp_nobuf_wake). */
	if (tp->t_sndwait)
		return 0;
	return so->sndbuf > tp->snd_cc ? so->sndbuf - tp->snd_cc : 0;
}

void
us_tcp_nobuf_wake(struct us_stack *st)
{
	uint32_t want = us_pool_reserve(st->pool) + us_pool_base(st->pool);
	struct us_sock *s;

	/* The reserve and as much again free, not one buffer: writers woken find room for a while. */
	if (want > st->pool->n)
		want = st->pool->n;
	if (!st->tcp.sndwait || st->pool->avail < want)
		return;
	st->tcp.sndwait = 0;
	for (s = st->socks; s != NULL; s = s->anext)
		if (s->tcb != NULL && s->tcb->t_sndwait) {
			s->tcb->t_sndwait = 0;
			us_sock_wakeup(st, s);
		}
}
