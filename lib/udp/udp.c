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
#include "../ip/dhcp.h"
#include "../ip/ip4.h"
#include "../ip/ip6.h"
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
lookup(struct us_stack *st, const struct us_pkt *pkt, uint16_t lport, uint16_t fport)
{
	int v6 = (pkt->flags & US_PKT_IP6) != 0;
	struct us_sock *s, *best = NULL;
	int best_score = -1;

	for (s = *bucket(st, lport); s != NULL; s = s->hnext) {
		int score, m;

		if (s->lport != lport)
			continue;
		m = us_sock_local_match(s, v6, v6 ? 0 : pkt->ip_dst, &pkt->ip6_dst);
		if (m == 0)
			continue;
		score = m - 1;
		if (s->flags & US_SO_CONNECTED) {
			if (!us_sock_remote_eq(s, v6, v6 ? 0 : pkt->ip_src, &pkt->ip6_src, fport))
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
	int rc = us_sock_dgram_enqueue(st, s, pkt, len);

	if (rc == -ENOMEM)
		st->stats->udp.rx_nomem++;
	else if (rc != 0)
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
	if (pkt->flags & US_PKT_IP6) {
		/* RFC 8200 8.1: over IPv6 the checksum is mandatory; zero is refused. */
		if (sum == 0 ||
		    ((pkt->flags & US_PKT_CSUM_OK) == 0 &&
		     us_cksum_fold(us_cksum_chain(us_cksum_pseudo6(&pkt->ip6_src, &pkt->ip6_dst,
								   US_IPPROTO_UDP, len),
						  pkt, 0, len)) != 0)) {
			us->rx_badsum++;
			goto drop;
		}
		if (pkt->flags & US_PKT_MCAST) {
			/* We join no groups for applications: only ND's, which are not UDP's. */
			us->rx_bcast_noport++;
			goto drop;
		}
	} else if (sum != 0 && (pkt->flags & US_PKT_CSUM_OK) == 0 &&
		   us_cksum_fold(us_cksum_chain(us_cksum_pseudo4(pkt->ip_src, pkt->ip_dst,
								 US_IPPROTO_UDP, len),
						pkt, 0, len)) != 0) {
		/* RFC 768: a zero checksum means the sender computed none. */
		us->rx_badsum++;
		goto drop;
	}
	if (dport == US_DHCP_CLIENT_PORT && sport == US_DHCP_SERVER_PORT &&
	    st->dhcp.state != US_DHCP_OFF && !(pkt->flags & US_PKT_IP6)) {
		/* The stack's own DHCP client owns port 68 while it runs. */
		us_pkt_adj(pkt, US_UDP_HLEN);
		us_dhcp_input(st, pkt);
		return;
	}
	if (!(pkt->flags & US_PKT_IP6) && us_ip4_is_bcast(st, pkt->ip_dst)) {
		/* Every socket on the port gets its own copy of a broadcast. */
		struct us_sock *first = NULL;

		for (s = *bucket(st, dport); s != NULL; s = s->hnext) {
			struct us_pkt *c;

			/* As Linux and BSD: a broadcast goes to wildcard (or broadcast) bound sockets. */
			if (s->lport != dport || us_sock_local_match(s, 0, pkt->ip_dst, NULL) == 0)
				continue;
			if ((s->flags & US_SO_CONNECTED) &&
			    !us_sock_remote_eq(s, 0, pkt->ip_src, NULL, sport))
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
	s = lookup(st, pkt, dport, sport);
	if (s == NULL) {
		us->rx_noport++;
		if (pkt->flags & US_PKT_IP6)
			us_icmp6_error(st, pkt, US_ICMP6_UNREACH, US_ICMP6_UNREACH_PORT, 0);
		else
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

static int
ctlinput(struct us_stack *st, int err, int v6, uint32_t faddr, const struct us_in6 *faddr6,
	 uint16_t lport, uint16_t fport)
{
	struct us_sock *s;
	int n = 0;

	for (s = *bucket(st, lport); s != NULL; s = s->hnext) {
		if (s->lport != lport || !(s->flags & US_SO_CONNECTED) ||
		    !us_sock_remote_eq(s, v6, faddr, faddr6, fport))
			continue;
		s->so_error = err;
		us_sock_wakeup(st, s);
		n++;
	}
	return n;
}

int
us_udp_ctlinput(struct us_stack *st, int err, uint32_t faddr, uint16_t lport, uint16_t fport)
{
	return ctlinput(st, err, 0, faddr, NULL, lport, fport);
}

int
us_udp_ctlinput6(struct us_stack *st, int err, const struct us_in6 *faddr, uint16_t lport,
		 uint16_t fport)
{
	return ctlinput(st, err, 1, 0, faddr, lport, fport);
}

static int
port_busy(struct us_stack *st, struct us_sock *self, const struct us_ep *ep, uint16_t port)
{
	struct us_sock *s;

	for (s = *bucket(st, port); s != NULL; s = s->hnext) {
		if (s == self || s->lport != port)
			continue;
		if (!us_sock_bind_overlap(s, self, ep))
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
	struct us_ep ep = us_ep4(addr, port);

	return us_udp_bind_ep(st, s, &ep);
}

int
us_udp_bind_ep(struct us_stack *st, struct us_sock *s, const struct us_ep *ep)
{
	uint16_t port = ep->port;
	struct us_ep e;
	uint32_t tries;

	if (s->flags & US_SO_BOUND)
		return -EINVAL;
	if (ep->v6 ? !us_in6_is_unspec(&ep->addr6) && !us_ip6_is_ours(st, &ep->addr6)
		   : ep->addr != 0 && ep->addr != st->ip4 && !us_ip4_is_bcast(st, ep->addr))
		return -EADDRNOTAVAIL;
	if (port == 0) {
		/* RFC 6056 style: start at a random point, walk the range. */
		for (tries = 0; tries <= US_PORT_EPH_HI - US_PORT_EPH_LO; tries++) {
			uint16_t p = st->udp.next_eph;

			st->udp.next_eph = p == US_PORT_EPH_HI ? US_PORT_EPH_LO : p + 1;
			if (!port_busy(st, s, ep, p)) {
				port = p;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	} else if (port_busy(st, s, ep, port)) {
		return -EADDRINUSE;
	}
	e = *ep;
	e.port = port;
	us_sock_set_local(s, &e);
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
	struct us_ep ep = us_ep4(faddr, fport);

	return us_udp_connect_ep(st, s, &ep);
}

/*
 * Makes an AF_INET6 socket speak IPv4 to a v4-mapped peer: allowed while
 * it is unbound or bound to the wildcard, and not IPV6_V6ONLY.
 */
static int
use_v4(struct us_sock *s)
{
	if (!(s->flags & US_SO_V6))
		return 0;
	if ((s->flags & US_SO_V6ONLY) || !us_in6_is_unspec(&s->laddr6))
		return -ENETUNREACH;
	s->flags &= ~US_SO_V6;
	s->flags |= US_SO_V4MAPPED;
	return 0;
}

int
us_udp_connect_ep(struct us_stack *st, struct us_sock *s, const struct us_ep *ep)
{
	int rc;

	if (ep->port == 0 && (ep->v6 ? us_in6_is_unspec(&ep->addr6) : ep->addr == 0)) {
		/* connect() to AF_UNSPEC or 0.0.0.0:0 dissolves the association. */
		s->flags &= ~US_SO_CONNECTED;
		s->faddr = 0;
		memset(&s->faddr6, 0, sizeof(s->faddr6));
		s->fport = 0;
		if (s->flags & US_SO_V4MAPPED) {
			/* The wildcard it was bound to takes both families again (as Linux). */
			s->flags = (uint16_t)((s->flags & ~US_SO_V4MAPPED) | US_SO_V6);
			s->laddr = 0;
		}
		return 0;
	}
	if (ep->port == 0)
		return -EINVAL;
	if (ep->v6) {
		if (!(s->flags & US_SO_V6))
			return -EAFNOSUPPORT;
		if (us_in6_is_unspec(&ep->addr6))
			return -EINVAL;
	} else {
		if (us_ip4_is_bcast(st, ep->addr) && !(s->flags & US_SO_BROADCAST))
			return -EACCES;
		if ((rc = use_v4(s)) != 0)
			return rc;
	}
	if (!(s->flags & US_SO_BOUND)) {
		struct us_ep any = { .v6 = ep->v6 };

		if ((rc = us_udp_bind_ep(st, s, &any)) != 0)
			return rc;
	}
	us_sock_set_remote(s, ep);
	s->flags |= US_SO_CONNECTED;
	return 0;
}

ssize_t
us_udp_send(struct us_stack *st, struct us_sock *s, const void *buf, size_t len, uint32_t faddr,
	    uint16_t fport, int have_addr)
{
	struct us_ep ep = us_ep4(faddr, fport);

	return us_udp_send_ep(st, s, buf, len, have_addr ? &ep : NULL);
}

/* Fills the UDP header; its checksum too unless the link completes it (hw). */
static void
put_header(uint8_t *hdr, uint16_t sport, uint16_t dport, const void *buf, size_t len,
	   uint64_t pseudo, int hw)
{
	uint16_t c;

	us_put16(hdr + US_UDP_SPORT, sport);
	us_put16(hdr + US_UDP_DPORT, dport);
	us_put16(hdr + US_UDP_LEN, (uint16_t)(len + US_UDP_HLEN));
	us_put16(hdr + US_UDP_SUM, 0);
	if (hw) {
		/* The link sums the rest from the pseudo-header's sum (and sends zero as ones). */
		us_put16(hdr + US_UDP_SUM, (uint16_t)~us_cksum_fold(pseudo));
		return;
	}
	c = us_cksum_fold(us_cksum_add(us_cksum_add(pseudo, hdr, US_UDP_HLEN), buf, len));
	/* RFC 768: a computed zero is sent as all ones. */
	us_put16(hdr + US_UDP_SUM, c == 0 ? 0xffff : c);
}

ssize_t
us_udp_send_ep(struct us_stack *st, struct us_sock *s, const void *buf, size_t len,
	       const struct us_ep *to)
{
	uint8_t hdr[US_UDP_HLEN];
	struct us_iov iov[2];
	struct us_ep dst;
	uint32_t ulen = (uint32_t)len + US_UDP_HLEN;
	int rc, hw;

	if (s->so_error != 0) {
		rc = -s->so_error;
		s->so_error = 0;
		return rc;
	}
	if (s->flags & US_SO_SHUT_WR)
		return -EPIPE;
	if (to == NULL) {
		if (!(s->flags & US_SO_CONNECTED))
			return -EDESTADDRREQ;
		dst = us_sock_remote(s);
	} else if (to->port == 0) {
		return -EINVAL;
	} else {
		dst = *to;
	}
	/* The largest datagram: IPv4's total length counts its header, IPv6's payload length not. */
	if (len > (dst.v6 ? 0xffffu - US_UDP_HLEN : US_IP4_MAXPACKET - US_IP4_HLEN - US_UDP_HLEN))
		return -EMSGSIZE;
	if (len > s->sndbuf)
		return -EMSGSIZE;
	if (dst.v6) {
		if (!(s->flags & US_SO_V6))
			return -EAFNOSUPPORT;
		if (us_in6_is_unspec(&dst.addr6))
			return -ENETUNREACH;
	} else {
		if (us_ip4_is_bcast(st, dst.addr) && !(s->flags & US_SO_BROADCAST))
			return -EACCES;
		if (dst.addr == 0 || us_ip4_is_multicast(dst.addr))
			return -ENETUNREACH;
		if ((s->flags & US_SO_V6) &&
		    ((s->flags & US_SO_V6ONLY) || !us_in6_is_unspec(&s->laddr6)))
			return -ENETUNREACH;
	}
	if (!(s->flags & US_SO_BOUND)) {
		struct us_ep any = { .v6 = (s->flags & US_SO_V6) != 0 };

		if ((rc = us_udp_bind_ep(st, s, &any)) != 0)
			return rc;
	}
	iov[0].base = hdr;
	iov[0].len = US_UDP_HLEN;
	iov[1].base = buf;
	iov[1].len = (uint32_t)len;
	if (dst.v6) {
		struct us_in6 src = s->laddr6;

		if (us_in6_is_unspec(&src) && us_ip6_select_src(st, &dst.addr6, &src) != 0) {
			rc = -ENETUNREACH;	/* no address of ours reaches it (or IPv6 is off) */
			goto fail;
		}
		/* Checksums of IPv6 datagrams are summed here: the drivers offload IPv4's only. */
		put_header(hdr, s->lport, dst.port, buf, len,
			   us_cksum_pseudo6(&src, &dst.addr6, US_IPPROTO_UDP, ulen), 0);
		rc = us_ip6_send(st, &src, &dst.addr6, US_IPPROTO_UDP, s->tos,
				 s->hlim != 0 ? s->hlim : us_ip6_hlim(st), 0, iov, 2);
	} else {
		uint32_t src = s->laddr != 0 && !us_ip4_is_bcast(st, s->laddr) ? s->laddr : st->ip4;

		hw = us_ip4_l4_offload(st, ulen);
		put_header(hdr, s->lport, dst.port, buf, len,
			   us_cksum_pseudo4(src, dst.addr, US_IPPROTO_UDP, ulen), hw);
		rc = us_ip4_send(st, src, dst.addr, US_IPPROTO_UDP, s->tos, s->ttl,
				 hw ? US_IP4_SEND_L4HW : 0, iov, 2);
	}
fail:
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
	struct us_ep from;
	ssize_t n = us_udp_recv_ep(st, s, buf, len, peek, &from);

	if (n >= 0) {
		if (faddr != NULL)
			*faddr = from.addr;
		if (fport != NULL)
			*fport = from.port;
	}
	return n;
}

void
us_udp_from(const struct us_pkt *pkt, struct us_ep *from)
{
	memset(from, 0, sizeof(*from));
	from->port = us_udp_sport(pkt);
	if (pkt->flags & US_PKT_IP6) {
		from->v6 = 1;
		from->addr6 = pkt->ip6_src;
	} else {
		from->addr = pkt->ip_src;
	}
}

ssize_t
us_udp_recv_ep(struct us_stack *st, struct us_sock *s, void *buf, size_t len, int peek,
	       struct us_ep *from)
{
	int rc;
	struct us_pkt *pkt = us_sock_dgram_first(s, &rc);

	if (pkt == NULL)
		return rc;
	if (from != NULL)
		us_udp_from(pkt, from);
	return us_sock_dgram_read(st, s, buf, len, peek);
}

uint16_t
us_udp_sport(const struct us_pkt *pkt)
{
	/* The header is still in front of the queued payload. */
	return us_get16(us_pkt_data(pkt) - US_UDP_HLEN + US_UDP_SPORT);
}
