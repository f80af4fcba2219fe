/*
 * raw.c - raw IPv4 sockets (SOCK_RAW), as Linux's raw(7) defines them:
 * each socket of protocol P receives a copy of every datagram of protocol
 * P addressed to the stack (header included, after reassembly, alongside
 * the stack's own handling), filtered by the address it is bound and
 * connected to; what it sends gets an IPv4 header from the stack, or
 * carries its own with IP_HDRINCL (protocol 255 always does), in which
 * the stack fills in the length and checksum, and the source and ID when
 * zero.
 */
#include <errno.h>
#include <string.h>

#include "../core/stack.h"
#include "../sock/sock.h"
#include "../wire/wire.h"
#include "ip4.h"

#define US_IPPROTO_RAW	255	/* send-only: every datagram carries its own header */

int
us_raw_attach(struct us_stack *st, struct us_sock *s)
{
	if (s->proto == US_IPPROTO_RAW)
		s->flags |= US_SO_HDRINCL;
	s->hnext = st->raw;
	st->raw = s;
	return 0;
}

void
us_raw_detach(struct us_stack *st, struct us_sock *s)
{
	struct us_sock **pp;

	for (pp = &st->raw; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			s->hnext = NULL;
			return;
		}
}

int
us_raw_bind(struct us_stack *st, struct us_sock *s, uint32_t addr)
{
	/* Only an address of ours (or any); raw sockets have no ports. */
	if (addr != 0 && addr != st->ip4 && !us_ip4_is_bcast(st, addr))
		return -EADDRNOTAVAIL;
	s->laddr = addr;
	s->flags |= US_SO_BOUND;
	return 0;
}

int
us_raw_connect(struct us_stack *st, struct us_sock *s, uint32_t faddr)
{
	(void)st;
	if (faddr == 0) {
		/* AF_UNSPEC or 0.0.0.0: dissolve the association. */
		s->faddr = 0;
		s->flags &= ~US_SO_CONNECTED;
		return 0;
	}
	s->faddr = faddr;
	s->flags |= US_SO_CONNECTED;
	return 0;
}

/* The datagram in pkt (data at its payload) as a raw socket sees it: a copy with its header. */
static struct us_pkt *
copy_with_header(struct us_stack *st, const struct us_pkt *pkt, uint32_t plen)
{
	struct us_pkt *c = us_pkt_copy(st->pool, pkt);
	const uint8_t *oh = us_pkt_data(pkt) - pkt->l3_len;
	uint8_t *h;

	if (c == NULL)
		return NULL;
	h = us_pkt_prepend(c, pkt->l3_len);
	if (h == NULL || pkt->off < pkt->l3_len) {
		us_pkt_free(c);
		return NULL;
	}
	/*
	 * The header as it arrived, but describing the whole datagram: after
	 * reassembly it is the first fragment's, so its length and fragment
	 * fields are made those of the reassembled datagram.
	 */
	memcpy(h, oh, pkt->l3_len);
	us_put16(h + US_IP4_LEN, (uint16_t)(pkt->l3_len + plen));
	us_put16(h + US_IP4_FRAG, us_get16(h + US_IP4_FRAG) & ~(US_IP4_MF | US_IP4_OFFMASK));
	us_put16(h + US_IP4_SUM, 0);
	us_put16(h + US_IP4_SUM, us_cksum_fold(us_cksum_add(0, h, pkt->l3_len)));
	c->ip_src = pkt->ip_src;
	c->ip_dst = pkt->ip_dst;
	c->ip_proto = pkt->ip_proto;
	c->ip_tos = pkt->ip_tos;
	c->ip_ttl = pkt->ip_ttl;
	c->l3_len = pkt->l3_len;
	return c;
}

int
us_raw_input(struct us_stack *st, const struct us_pkt *pkt)
{
	struct us_ip4_stats *is = &st->stats->ip4;
	uint32_t plen = us_pkt_chain_len(pkt);
	struct us_sock *s;
	int n = 0;

	for (s = st->raw; s != NULL; s = s->hnext) {
		struct us_pkt *c;
		uint32_t len = plen + pkt->l3_len;

		if (s->proto != pkt->ip_proto || (s->laddr != 0 && s->laddr != pkt->ip_dst) ||
		    ((s->flags & US_SO_CONNECTED) && s->faddr != pkt->ip_src))
			continue;
		n++;
		if ((s->flags & US_SO_SHUT_RD) || (c = copy_with_header(st, pkt, plen)) == NULL ||
		    us_sock_dgram_enqueue(st, s, c, len) != 0)
			is->rx_raw_drop++;
		else
			is->rx_raw++;
	}
	return n;
}

/* IP_HDRINCL: checks the caller's header and completes it (raw(7)). */
static int
send_hdrincl(struct us_stack *st, struct us_sock *s, const uint8_t *buf, size_t len,
	     uint32_t faddr)
{
	struct us_pkt *pkt;
	uint32_t hlen;
	uint8_t *h;

	if (len < US_IP4_HLEN || (buf[US_IP4_VHL] >> 4) != 4)
		return -EINVAL;
	hlen = (uint32_t)(buf[US_IP4_VHL] & 0xf) * 4;
	if (hlen < US_IP4_HLEN || hlen > len)
		return -EINVAL;
	/* The stack does not fragment a datagram the caller built. */
	if (len > st->mtu)
		return -EMSGSIZE;
	pkt = us_pkt_alloc(st->pool);
	if (pkt == NULL || (h = us_pkt_append(pkt, (uint32_t)len)) == NULL) {
		if (pkt != NULL)
			us_pkt_free(pkt);
		st->stats->ip4.tx_nobuf++;
		return -ENOBUFS;
	}
	memcpy(h, buf, len);
	us_put16(h + US_IP4_LEN, (uint16_t)len);
	if (us_get32(h + US_IP4_SRC) == 0)
		us_put32(h + US_IP4_SRC, s->laddr != 0 && !us_ip4_is_bcast(st, s->laddr) ? s->laddr
											: st->ip4);
	if (us_get16(h + US_IP4_ID) == 0)
		us_put16(h + US_IP4_ID, st->ip.id++);
	/* The header's destination is where it goes; the address given only routes when it is 0. */
	if (us_get32(h + US_IP4_DST) == 0)
		us_put32(h + US_IP4_DST, faddr);
	us_put16(h + US_IP4_SUM, 0);
	us_put16(h + US_IP4_SUM, us_cksum_fold(us_cksum_add(0, h, hlen)));
	return us_ip4_output_raw(st, pkt);
}

ssize_t
us_raw_send(struct us_stack *st, struct us_sock *s, const void *buf, size_t len, uint32_t faddr,
	    int have_addr)
{
	struct us_iov iov;
	uint32_t src;
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
	}
	if (len > s->sndbuf || len > US_IP4_MAXPACKET - US_IP4_HLEN)
		return -EMSGSIZE;
	if (us_ip4_is_bcast(st, faddr) && !(s->flags & US_SO_BROADCAST))
		return -EACCES;
	if (s->flags & US_SO_HDRINCL) {
		rc = send_hdrincl(st, s, buf, len, faddr);
	} else {
		if (faddr == 0 || us_ip4_is_multicast(faddr))
			return -ENETUNREACH;
		src = s->laddr != 0 && !us_ip4_is_bcast(st, s->laddr) ? s->laddr : st->ip4;
		iov.base = buf;
		iov.len = (uint32_t)len;
		rc = us_ip4_send(st, src, faddr, s->proto, s->tos, s->ttl, 0, &iov, 1);
	}
	if (rc != 0)
		return rc;
	st->stats->ip4.tx_raw++;
	return (ssize_t)len;
}

ssize_t
us_raw_recv(struct us_stack *st, struct us_sock *s, void *buf, size_t len, int peek,
	    uint32_t *faddr)
{
	int rc;
	struct us_pkt *pkt = us_sock_dgram_first(s, &rc);

	if (pkt == NULL)
		return rc;
	if (faddr != NULL)
		*faddr = pkt->ip_src;
	return us_sock_dgram_read(st, s, buf, len, peek);
}
