/*
 * udp.c - UDP (RFC 768, RFC 1122 4.1.3).  Input checks length and checksum,
 * finds the socket (connected match first, then bound address, then
 * wildcard), and queues the datagram in the buffers it arrived in, so a
 * recv copies each byte once.  Closed ports answer with ICMP port
 * unreachable (rate limited in icmp.c).  Output builds the datagram and
 * lets IPv4 fragment it when it exceeds the MTU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usock.h"
#include "../core/stack.h"
#include "../ip/ip4.h"
#include "../sock/sock.h"
#include "../wire/wire.h"
#include "udp.h"

/* Bytes a queued datagram is charged: payload and a share for its bookkeeping. */

int
us_udp_init(struct us_stack *st, uint32_t nhash)
{
	st->udp.hash = calloc(nhash, sizeof(*st->udp.hash));
	if (st->udp.hash == NULL)
		return -ENOMEM;
	st->udp.nhash = nhash;
	st->udp.next_eph = (uint16_t)(US_PORT_EPH_LO +
				      us_stack_rand(st) % (US_PORT_EPH_HI - US_PORT_EPH_LO + 1));
	return 0;
}

void
us_udp_fini(struct us_stack *st)
{
	free(st->udp.hash);
	st->udp.hash = NULL;
}

static struct us_sock **
bucket(struct us_stack *st, uint16_t port)
{
	return &st->udp.hash[port & (st->udp.nhash - 1)];
}

/*
 * The best socket for a datagram: a connected socket matching the remote
 * end beats one bound to our address, which beats a wildcard.
 */
static struct us_sock *
lookup(struct us_stack *st, uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport)
{
	struct us_sock *s, *best = NULL;
	int best_score = -1;

	for (s = *bucket(st, lport); s != NULL; s = s->hnext) {
		int score = 0;

		if (s->lport != lport)
			continue;
		if (s->laddr != 0) {
			if (s->laddr != laddr)
				continue;
			score += 1;
		}
		if (s->flags & US_SO_CONNECTED) {
			if (s->faddr != faddr || s->fport != fport)
				continue;
			score += 2;
		}
		if (score > best_score) {
			best = s;
			best_score = score;
		}
	}
	return best;
}

static void
enqueue(struct us_stack *st, struct us_sock *s, struct us_pkt *pkt, uint32_t len)
{
	if (us_sock_dgram_enqueue(st, s, pkt, len) != 0)
		st->stats->udp.rx_qfull++;
	else
		st->stats->udp.rx_delivered++;
}

void
us_udp_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_udp_stats *us = &st->stats->udp;
	uint32_t len = us_pkt_chain_len(pkt), ulen;
	uint16_t sport, dport, sum;
	const uint8_t *h = us_pkt_data(pkt);
	struct us_sock *s;

	us->rx++;
	if (len < US_UDP_HLEN || pkt->len < US_UDP_HLEN) {
		us->rx_short++;
		goto drop;
	}
	sport = us_get16(h + US_UDP_SPORT);
	dport = us_get16(h + US_UDP_DPORT);
	ulen = us_get16(h + US_UDP_LEN);
	sum = us_get16(h + US_UDP_SUM);
	if (ulen < US_UDP_HLEN || ulen > len) {
		us->rx_badlen++;
		goto drop;
	}
	if (ulen < len) {
		/* Trailing bytes past the UDP length are not data: trim them off the chain. */
		struct us_pkt *p;
		uint32_t keep = ulen;

		for (p = pkt; p != NULL; p = p->next) {
			if (p->len > keep)
				p->len = keep;
			keep -= p->len;
		}
		len = ulen;
	}
	/* RFC 768: a zero checksum means the sender computed none. */
	if (sum != 0 && (pkt->flags & US_PKT_CSUM_OK) == 0 &&
	    us_cksum_fold(us_cksum_chain(us_cksum_pseudo4(pkt->ip_src, pkt->ip_dst,
							  US_IPPROTO_UDP, len),
					 pkt, 0, len)) != 0) {
		us->rx_badsum++;
		goto drop;
	}
	if (us_ip4_is_bcast(st, pkt->ip_dst)) {
		/* Every socket on the port gets its own copy of a broadcast. */
		struct us_sock *first = NULL;

		for (s = *bucket(st, dport); s != NULL; s = s->hnext) {
			struct us_pkt *c;

			/* As Linux and BSD: a broadcast goes to wildcard (or broadcast) bound sockets. */
			if (s->lport != dport || (s->laddr != 0 && s->laddr != pkt->ip_dst))
				continue;
			if ((s->flags & US_SO_CONNECTED) &&
			    (s->faddr != pkt->ip_src || s->fport != sport))
				continue;
			if (first == NULL) {
				first = s;
				continue;
			}
			c = us_pkt_copy(st->pool, pkt);
			if (c != NULL) {
				c->ip_src = pkt->ip_src;
				c->ip_dst = pkt->ip_dst;
				us_pkt_adj(c, US_UDP_HLEN);
				enqueue(st, s, c, len - US_UDP_HLEN);
			}
		}
		if (first == NULL) {
			us->rx_bcast_noport++;
			goto drop;
		}
		us_pkt_adj(pkt, US_UDP_HLEN);
		enqueue(st, first, pkt, len - US_UDP_HLEN);
		return;
	}
	s = lookup(st, pkt->ip_dst, dport, pkt->ip_src, sport);
	if (s == NULL) {
		us->rx_noport++;
		us_icmp_error(st, pkt, US_ICMP_UNREACH, US_ICMP_UNREACH_PORT);
		goto drop;
	}
	/* The source port rides along in the buffer just before the data. */
	us_pkt_adj(pkt, US_UDP_HLEN);
	enqueue(st, s, pkt, len - US_UDP_HLEN);
	return;
drop:
	us_pkt_free(pkt);
}

int
us_udp_ctlinput(struct us_stack *st, int err, uint32_t faddr, uint16_t lport, uint16_t fport)
{
	struct us_sock *s;
	int n = 0;

	for (s = *bucket(st, lport); s != NULL; s = s->hnext) {
		if (s->lport != lport || !(s->flags & US_SO_CONNECTED) || s->faddr != faddr ||
		    s->fport != fport)
			continue;
		s->so_error = err;
		us_sock_wakeup(st, s);
		n++;
	}
	return n;
}

static int
port_busy(struct us_stack *st, struct us_sock *self, uint32_t addr, uint16_t port)
{
	struct us_sock *s;

	for (s = *bucket(st, port); s != NULL; s = s->hnext) {
		if (s == self || s->lport != port)
			continue;
		if (s->laddr != 0 && addr != 0 && s->laddr != addr)
			continue;
		/* SO_REUSEADDR on both lets several sockets share a port (for broadcast). */
		if ((s->flags & US_SO_REUSEADDR) && (self->flags & US_SO_REUSEADDR))
			continue;
		return 1;
	}
	return 0;
}

int
us_udp_bind(struct us_stack *st, struct us_sock *s, uint32_t addr, uint16_t port)
{
	uint32_t tries;

	if (s->flags & US_SO_BOUND)
		return -EINVAL;
	if (addr != 0 && addr != st->ip4 && !us_ip4_is_bcast(st, addr))
		return -EADDRNOTAVAIL;
	if (port == 0) {
		/* RFC 6056 style: start at a random point, walk the range. */
		for (tries = 0; tries <= US_PORT_EPH_HI - US_PORT_EPH_LO; tries++) {
			uint16_t p = st->udp.next_eph;

			st->udp.next_eph = p == US_PORT_EPH_HI ? US_PORT_EPH_LO : p + 1;
			if (!port_busy(st, s, addr, p)) {
				port = p;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	} else if (port_busy(st, s, addr, port)) {
		return -EADDRINUSE;
	}
	s->laddr = addr;
	s->lport = port;
	s->flags |= US_SO_BOUND;
	s->hnext = *bucket(st, port);
	*bucket(st, port) = s;
	return 0;
}

void
us_udp_detach(struct us_stack *st, struct us_sock *s)
{
	struct us_sock **pp;

	if (!(s->flags & US_SO_BOUND))
		return;
	for (pp = bucket(st, s->lport); *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	s->hnext = NULL;
	s->flags &= ~US_SO_BOUND;
}

int
us_udp_connect(struct us_stack *st, struct us_sock *s, uint32_t faddr, uint16_t fport)
{
	int rc;

	if (faddr == 0 && fport == 0) {
		/* connect() to AF_UNSPEC or 0.0.0.0:0 dissolves the association. */
		s->flags &= ~US_SO_CONNECTED;
		s->faddr = 0;
		s->fport = 0;
		return 0;
	}
	if (fport == 0)
		return -EINVAL;
	if (us_ip4_is_bcast(st, faddr) && !(s->flags & US_SO_BROADCAST))
		return -EACCES;
	if (!(s->flags & US_SO_BOUND) && (rc = us_udp_bind(st, s, 0, 0)) != 0)
		return rc;
	s->faddr = faddr;
	s->fport = fport;
	s->flags |= US_SO_CONNECTED;
	return 0;
}

ssize_t
us_udp_send(struct us_stack *st, struct us_sock *s, const void *buf, size_t len, uint32_t faddr,
	    uint16_t fport, int have_addr)
{
	uint8_t hdr[US_UDP_HLEN];
	struct us_iov iov[2];
	uint64_t sum;
	uint16_t c;
	uint32_t src;
	unsigned opts = 0;
	int rc;

	if (s->so_error != 0) {
		rc = -s->so_error;
		s->so_error = 0;
		return rc;
	}
	if (s->flags & US_SO_SHUT_WR)
		return -EPIPE;
	if (!have_addr) {
		if (!(s->flags & US_SO_CONNECTED))
			return -EDESTADDRREQ;
		faddr = s->faddr;
		fport = s->fport;
	} else if (fport == 0) {
		return -EINVAL;
	}
	if (len > US_IP4_MAXPACKET - US_IP4_HLEN - US_UDP_HLEN)
		return -EMSGSIZE;
	if (len > s->sndbuf)
		return -EMSGSIZE;
	if (us_ip4_is_bcast(st, faddr) && !(s->flags & US_SO_BROADCAST))
		return -EACCES;
	if (faddr == 0 || us_ip4_is_multicast(faddr))
		return -ENETUNREACH;
	if (!(s->flags & US_SO_BOUND) && (rc = us_udp_bind(st, s, 0, 0)) != 0)
		return rc;
	src = s->laddr != 0 && !us_ip4_is_bcast(st, s->laddr) ? s->laddr : st->ip4;
	us_put16(hdr + US_UDP_SPORT, s->lport);
	us_put16(hdr + US_UDP_DPORT, fport);
	us_put16(hdr + US_UDP_LEN, (uint16_t)(len + US_UDP_HLEN));
	us_put16(hdr + US_UDP_SUM, 0);
	sum = us_cksum_pseudo4(src, faddr, US_IPPROTO_UDP, (uint32_t)len + US_UDP_HLEN);
	if (us_ip4_l4_offload(st, (uint32_t)len + US_UDP_HLEN)) {
		/* The link sums the rest from the pseudo-header's sum (and sends zero as ones). */
		us_put16(hdr + US_UDP_SUM, (uint16_t)~us_cksum_fold(sum));
		opts = US_IP4_SEND_L4HW;
	} else {
		sum = us_cksum_add(us_cksum_add(sum, hdr, US_UDP_HLEN), buf, len);
		c = us_cksum_fold(sum);
		/* RFC 768: a computed zero is sent as all ones. */
		us_put16(hdr + US_UDP_SUM, c == 0 ? 0xffff : c);
	}
	iov[0].base = hdr;
	iov[0].len = US_UDP_HLEN;
	iov[1].base = buf;
	iov[1].len = (uint32_t)len;
	rc = us_ip4_send(st, src, faddr, US_IPPROTO_UDP, s->tos, s->ttl, opts, iov, 2);
	if (rc != 0) {
		st->stats->udp.tx_err++;
		return rc;
	}
	st->stats->udp.tx++;
	return (ssize_t)len;
}

ssize_t
us_udp_recv(struct us_stack *st, struct us_sock *s, void *buf, size_t len, int peek,
	    uint32_t *faddr, uint16_t *fport)
{
	int rc;
	struct us_pkt *pkt = us_sock_dgram_first(s, &rc);

	if (pkt == NULL)
		return rc;
	if (faddr != NULL)
		*faddr = pkt->ip_src;
	if (fport != NULL)
		*fport = us_udp_sport(pkt);
	return us_sock_dgram_read(st, s, buf, len, peek);
}

uint16_t
us_udp_sport(const struct us_pkt *pkt)
{
	/* The header is still in front of the queued payload. */
	return us_get16(us_pkt_data(pkt) - US_UDP_HLEN + US_UDP_SPORT);
}
