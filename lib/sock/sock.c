/*
 * sock.c - socket objects inside a stack: creation with the family, type
 * and protocol checked, the list of all sockets, reference counting so a
 * close from one thread cannot free a socket another thread is using, and
 * the wake-up hook through which protocols report events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	if (!US_HAVE_IPV6 && family == USOCK_AF_INET6) {
		*err = -EAFNOSUPPORT;	/* built without IPv6 (-Dipv6=false) */
		return NULL;
	}
	if (!US_HAVE_RAW && type == USOCK_SOCK_RAW) {
		*err = -ESOCKTNOSUPPORT;	/* built without raw sockets (-Draw=false) */
		return NULL;
	}
	if (family == USOCK_AF_INET6 && type == USOCK_SOCK_RAW) {
		/* Raw sockets are IPv4's: the stack owns ICMPv6 and neighbour discovery. */
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
	if (family == USOCK_AF_INET6)
		s->flags |= US_SO_V6;	/* the wildcard "::" until bound or connected */
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
	st->nsockmem++;
	st->stats->sock.opened++;
	return s;
}

/* Bytes a queued datagram charges to the receive buffer: its data and the bookkeeping. */
#define DGRAM_CHARGE(len)	((len) + 256u)

int
us_sock_dgram_enqueue(struct us_stack *st, struct us_sock *s, struct us_pkt *pkt, uint32_t len)
{
	if ((s->flags & US_SO_SHUT_RD) || s->rcv_cc + DGRAM_CHARGE(len) > s->rcvbuf) {
		us_pkt_free(pkt);
		return -ENOBUFS;
	}
	/* A datagram waits for a slow reader only while the pool can spare it (us_pool_keep). */
	if (!us_pool_keep(st->pool, pkt)) {
		us_pkt_free(pkt);
		return -ENOMEM;
	}
	pkt->qnext = NULL;
	if (s->rcv_tail != NULL)
		s->rcv_tail->qnext = pkt;
	else
		s->rcv_head = pkt;
	s->rcv_tail = pkt;
	s->rcv_cc += DGRAM_CHARGE(len);
	us_sock_wakeup(st, s);
	return 0;
}

struct us_pkt *
us_sock_dgram_first(struct us_sock *s, int *rc)
{
	if (s->rcv_head != NULL)
		return s->rcv_head;
	if (s->so_error != 0) {
		*rc = -s->so_error;
		s->so_error = 0;
	} else {
		*rc = (s->flags & US_SO_SHUT_RD) ? 0 : -EAGAIN;
	}
	return NULL;
}

void
us_sock_dgram_drop(struct us_stack *st, struct us_sock *s)
{
	struct us_pkt *pkt = s->rcv_head;

	if (pkt == NULL)
		return;
	s->rcv_head = pkt->qnext;
	if (s->rcv_head == NULL)
		s->rcv_tail = NULL;
	s->rcv_cc -= DGRAM_CHARGE(us_pkt_chain_len(pkt));
	pkt->qnext = NULL;
	us_pkt_free(pkt);
	us_sock_wakeup(st, s);
}

ssize_t
us_sock_dgram_read(struct us_stack *st, struct us_sock *s, void *buf, size_t len, int peek)
{
	struct us_pkt *pkt = s->rcv_head;
	uint32_t dlen = us_pkt_chain_len(pkt), n = len < dlen ? (uint32_t)len : dlen;

	if (n > 0)
		us_pkt_chain_read(pkt, 0, buf, n);
	s->bytes_copied += n;
	s->bytes_delivered += n;
	st->stats->sock.bytes_copied += n;
	st->stats->sock.bytes_delivered += n;
	if (!peek)
		us_sock_dgram_drop(st, s);
	return n;
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
	if (--s->refs != 0)
		return;
	/* (No stack: the runtime's was destroyed, or is a forked parent's.) */
	if (st != NULL)
		st->nsockmem--;
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

int
us_sock_local_match(const struct us_sock *s, int v6, uint32_t addr, const struct us_in6 *a6)
{
	if (!(s->flags & US_SO_V6)) {
		if (v6)
			return 0;
		return s->laddr == 0 ? 1 : s->laddr == addr ? 2 : 0;
	}
	if (us_in6_is_unspec(&s->laddr6))
		return v6 || !(s->flags & US_SO_V6ONLY) ? 1 : 0;
	return v6 && us_in6_eq(&s->laddr6, a6) ? 2 : 0;
}

int
us_sock_remote_eq(const struct us_sock *s, int v6, uint32_t addr, const struct us_in6 *a6,
		  uint16_t port)
{
	if (s->fport != port || !(s->flags & US_SO_V6) != !v6)
		return 0;
	return v6 ? us_in6_eq(&s->faddr6, a6) : s->faddr == addr;
}

/*
 * What a binding covers in one family: 0 nothing, 1 every address, 2 the
 * one address given back in *a4 or *a6.
 */
static int
covers(int fam6, int v6, int v6only, uint32_t addr, const struct us_in6 *addr6, uint32_t *a4,
       const struct us_in6 **a6)
{
	if (!v6) {
		if (fam6)
			return 0;
		*a4 = addr;
		return addr == 0 ? 1 : 2;
	}
	if (us_in6_is_unspec(addr6))
		return fam6 || !v6only ? 1 : 0;
	if (!fam6)
		return 0;
	*a6 = addr6;
	return 2;
}

int
us_sock_bind_overlap(const struct us_sock *s, const struct us_sock *self, const struct us_ep *ep)
{
	int fam6;

	for (fam6 = 0; fam6 <= 1; fam6++) {
		uint32_t x4 = 0, y4 = 0;
		const struct us_in6 *x6 = NULL, *y6 = NULL;
		int x = covers(fam6, (s->flags & US_SO_V6) != 0, (s->flags & US_SO_V6ONLY) != 0,
			       s->laddr, &s->laddr6, &x4, &x6);
		int y = covers(fam6, ep->v6, (self->flags & US_SO_V6ONLY) != 0, ep->addr,
			       &ep->addr6, &y4, &y6);

		if (x == 0 || y == 0)
			continue;
		if (x == 1 || y == 1 || (fam6 ? us_in6_eq(x6, y6) : x4 == y4))
			return 1;
	}
	return 0;
}

void
us_sock_set_local(struct us_sock *s, const struct us_ep *ep)
{
	if (ep->v6) {
		s->flags |= US_SO_V6;
		s->laddr6 = ep->addr6;
		s->laddr = 0;
	} else {
		s->flags &= ~US_SO_V6;
		s->laddr = ep->addr;
		memset(&s->laddr6, 0, sizeof(s->laddr6));
	}
	s->lport = ep->port;
}

void
us_sock_set_remote(struct us_sock *s, const struct us_ep *ep)
{
	if (ep->v6)
		s->faddr6 = ep->addr6;
	else
		s->faddr = ep->addr;
	s->fport = ep->port;
}

struct us_ep
us_sock_local(const struct us_sock *s)
{
	struct us_ep e = { .v6 = (s->flags & US_SO_V6) != 0, .port = s->lport, .addr = s->laddr };

	if (e.v6)
		e.addr6 = s->laddr6;
	return e;
}

struct us_ep
us_sock_remote(const struct us_sock *s)
{
	struct us_ep e = { .v6 = (s->flags & US_SO_V6) != 0, .port = s->fport, .addr = s->faddr };

	if (e.v6)
		e.addr6 = s->faddr6;
	return e;
}
