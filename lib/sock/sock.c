/*
 * sock.c - socket objects inside a stack: creation with the family, type
 * and protocol checked, the list of all sockets, reference counting so a
 * close from one thread cannot free a socket another thread is using, and
 * the wake-up hook through which protocols report events.
 */
#include <errno.h>
#include <stdlib.h>

#include "usock.h"
#include "../core/stack.h"
#include "../pkt/pkt.h"
#include "../ip/ip4.h"
#include "../tcp/tcp.h"
#include "../udp/udp.h"
#include "sock.h"

struct us_sock *
us_sock_create(struct us_stack *st, int family, int type, int proto, int *err)
{
	struct us_sock *s;

	if (family != USOCK_AF_INET && family != USOCK_AF_INET6) {
		*err = -EAFNOSUPPORT;
		return NULL;
	}
	if (type != USOCK_SOCK_STREAM && type != USOCK_SOCK_DGRAM && type != USOCK_SOCK_RAW) {
		*err = -EINVAL;
		return NULL;
	}
	if (family == USOCK_AF_INET6) {
		/* IPv6 comes with its own issue; until then the family is not supported. */
		*err = -EAFNOSUPPORT;
		return NULL;
	}
	if (type == USOCK_SOCK_DGRAM) {
		if (proto != 0 && proto != USOCK_IPPROTO_UDP) {
			*err = -EPROTONOSUPPORT;
			return NULL;
		}
		proto = USOCK_IPPROTO_UDP;
	} else if (type == USOCK_SOCK_STREAM) {
		if (proto != 0 && proto != USOCK_IPPROTO_TCP) {
			*err = -EPROTONOSUPPORT;
			return NULL;
		}
		proto = USOCK_IPPROTO_TCP;
	} else if (proto <= 0 || proto > 255) {
		/* A raw socket names its protocol (Linux: 0 is refused the same way). */
		*err = -EPROTONOSUPPORT;
		return NULL;
	}
	if (st->nsocks >= st->cfg.max_sockets) {
		*err = -EMFILE;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	s->family = family;
	s->type = type;
	s->proto = proto;
	s->ttl = US_IP4_DEFTTL;
	s->rcvbuf = US_UDP_RCVBUF;
	s->sndbuf = US_UDP_SNDBUF;
	s->timeout = -1;
	s->fd = -1;
	s->refs = 1;
	s->linger = -1;
	s->want_in = 1;
	if (type == USOCK_SOCK_STREAM && (*err = us_tcp_attach(st, s)) != 0) {
		free(s);
		return NULL;
	}
	if (type == USOCK_SOCK_RAW)
		us_raw_attach(st, s);
	s->anext = st->socks;
	if (st->socks != NULL)
		st->socks->aprev = &s->anext;
	s->aprev = &st->socks;
	st->socks = s;
	st->nsocks++;
	st->stats->sock.opened++;
	return s;
}

void
us_sock_unlend(struct us_stack *st, struct us_sock *s)
{
	struct us_pkt *q = s->lent, *p;
	int parked;

	(void)st;
	if (q == NULL)
		return;
	for (p = q; p != NULL; p = p->next)
		p->flags &= ~US_PKT_PINNED;
	/* Still first in its queue, or set aside when its connection went (tcp_subr.c). */
	parked = us_sock_stream(s) ? s->tcb == NULL || s->tcb->rcv_head != q : s->rcv_head != q;
	s->lent = NULL;
	if (parked)
		us_pkt_free(q);
}

void
us_sock_close(struct us_stack *st, struct us_sock *s)
{
	if (s->flags & US_SO_CLOSED)
		return;
	s->flags |= US_SO_CLOSED;
	us_sock_unlend(st, s);
	if (s->type == USOCK_SOCK_DGRAM)
		us_udp_detach(st, s);
	else if (s->type == USOCK_SOCK_RAW)
		us_raw_detach(st, s);
	else
		us_tcp_close(st, s);
	if (!us_sock_stream(s)) {
		/* (A stream socket's queues are its connection's; the union holds a listener's.) */
		us_pkt_free_queue(s->rcv_head);
		s->rcv_head = s->rcv_tail = NULL;
		s->rcv_cc = 0;
	}
	*s->aprev = s->anext;
	if (s->anext != NULL)
		s->anext->aprev = s->aprev;
	st->nsocks--;
	st->stats->sock.closed++;
	us_sock_wakeup(st, s);
	us_sock_unref(st, s);
}

void
us_sock_unref(struct us_stack *st, struct us_sock *s)
{
	(void)st;
	if (--s->refs == 0)
		free(s);
}

unsigned
us_sock_events(const struct us_sock *s)
{
	unsigned ev = 0;

	if (s->flags & US_SO_CLOSED)
		return US_EV_HUP | US_EV_IN;
	if (s->so_error != 0)
		ev |= US_EV_ERR;
	if (us_sock_stream(s)) {
		const struct us_tcb *tp = s->tcb;

		if (us_tcp_readable(s) > 0 || (s->flags & US_SO_SHUT_RD) ||
		    (tp != NULL && (tp->t_flags & US_TF_RCVD_FIN)))
			ev |= US_EV_IN;
		if (us_tcp_writable(s) > 0)
			ev |= US_EV_OUT;
		/* poll(2): HUP once both directions are finished, or the connection died. */
		if (tp == NULL || (tp->state == US_TCPS_CLOSED && (s->flags & US_SO_CONNECTED)) ||
		    ((tp->t_flags & US_TF_RCVD_FIN) && (tp->t_flags & US_TF_NEEDFIN)))
			ev |= US_EV_HUP | US_EV_IN;
		return ev;
	}
	if (s->rcv_head != NULL || (s->flags & US_SO_SHUT_RD))
		ev |= US_EV_IN;
	if (!(s->flags & US_SO_SHUT_WR))
		ev |= US_EV_OUT;
	return ev;
}

void
us_sock_wakeup(struct us_stack *st, struct us_sock *s)
{
	if (st->hooks.sock_event != NULL)
		st->hooks.sock_event(st, s);
}
