/*
 * ip4.c - IPv4 input and output (RFC 791, RFC 1122 3.2.1).  Input checks
 * every header field before anything else reads it, accepts datagrams for
 * our address and for broadcast, sends fragments to reassembly, and hands
 * the payload up with the header fields in the packet.  Output routes (on
 * link or through the gateway), fragments when needed, and asks ARP.
 */
#include <errno.h>
#include <string.h>

#include "../core/stack.h"
#include "../link/link.h"
#include "../udp/udp.h"
#include "../wire/wire.h"
#include "ip4.h"
#include "ip_subr.h"

int
us_ip4_init(struct us_stack *st, uint32_t nreass)
{
	st->ip.id = (uint16_t)us_stack_rand(st);
	/* Enough for a few 64 KiB datagrams at once, never more than a quarter of the pool. */
	return us_ip4_reass_init(st, nreass, 4 * 65536);
}

void
us_ip4_fini(struct us_stack *st)
{
	us_ip4_reass_fini(st);
}

static void
deliver(struct us_stack *st, struct us_pkt *pkt)
{
	/* Raw sockets see the datagram before its protocol takes (and may reuse) it. */
	int raw = st->raw != NULL ? us_raw_input(st, pkt) : 0;

	switch (pkt->ip_proto) {
	case US_IPPROTO_UDP:
		st->stats->ip4.rx_delivered++;
		us_udp_input(st, pkt);
		return;
	case US_IPPROTO_ICMP:
		st->stats->ip4.rx_delivered++;
		us_icmp_input(st, pkt);
		return;
	case US_IPPROTO_TCP:
		st->stats->ip4.rx_delivered++;
		us_tcp_input(st, pkt);
		return;
	default:
		if (raw > 0) {
			/* A raw socket speaks this protocol: the stack does not (as Linux). */
			st->stats->ip4.rx_delivered++;
			us_pkt_free(pkt);
			return;
		}
		/* RFC 1122 3.2.2.1: protocol unreachable, but never about a broadcast. */
		st->stats->ip4.rx_unkproto++;
		if (!us_ip4_is_bcast(st, pkt->ip_dst))
			us_icmp_error(st, pkt, US_ICMP_UNREACH, US_ICMP_UNREACH_PROTOCOL);
		us_pkt_free(pkt);
		return;
	}
}

void
us_ip4_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_ip4_stats *is = &st->stats->ip4;
	const uint8_t *h = us_pkt_data(pkt);
	uint16_t frag, id;
	uint32_t tlen;
	int hlen;

	is->rx++;
	hlen = us_ip4_hdr_check(h, pkt->len);
	switch (hlen) {
	case US_IP4E_SHORT:
		is->rx_short++;
		goto drop;
	case US_IP4E_VERSION:
		is->rx_badver++;
		goto drop;
	case US_IP4E_HLEN:
		is->rx_badhlen++;
		goto drop;
	case US_IP4E_LEN:
		is->rx_badlen++;
		goto drop;
	case US_IP4E_SUM:
		is->rx_badsum++;
		goto drop;
	case US_IP4E_OPT:
		is->rx_badopt++;
		goto drop;
	default:
		break;
	}
	pkt->ip_src = us_get32(h + US_IP4_SRC);
	pkt->ip_dst = us_get32(h + US_IP4_DST);
	pkt->ip_proto = h[US_IP4_PROTO];
	pkt->ip_tos = h[US_IP4_TOS];
	pkt->ip_ttl = h[US_IP4_TTL];
	pkt->l3_len = (uint16_t)hlen;
	frag = us_get16(h + US_IP4_FRAG);
	id = us_get16(h + US_IP4_ID);
	tlen = us_get16(h + US_IP4_LEN);

	/* RFC 1122 3.2.1.3: a broadcast or multicast source is never valid. */
	if (us_ip4_is_bcast(st, pkt->ip_src) || us_ip4_is_multicast(pkt->ip_src)) {
		is->rx_badsrc++;
		goto drop;
	}
	if ((pkt->ip_dst != st->ip4 || st->ip4 == 0) && !us_ip4_is_bcast(st, pkt->ip_dst)) {
		/* (Until DHCP gives us an address, only broadcasts are ours.) */
		is->rx_notours++;
		goto drop;
	}
	if ((frag & US_IP4_RF) != 0) {
		/* RFC 791: the reserved flag must be zero. */
		is->rx_badflags++;
		goto drop;
	}
	/* Drop the link's padding, then the header: data starts at the payload. */
	pkt->len = tlen;
	us_pkt_adj(pkt, (uint32_t)hlen);
	if ((frag & (US_IP4_MF | US_IP4_OFFMASK)) != 0) {
		is->rx_frag++;
		pkt = us_ip4_reass(st, pkt, id, frag);
		if (pkt == NULL)
			return;
		is->rx_reassembled++;
	}
	deliver(st, pkt);
	return;
drop:
	us_pkt_free(pkt);
}

/* The next hop for dst, or 0 when there is no route. */
static uint32_t
route(const struct us_stack *st, uint32_t dst)
{
	if (us_ip4_onlink(st, dst) || dst == 0xffffffffu)
		return dst;
	return st->gw;
}

/* Writes an option-less header; its checksum too unless the link fills it in (hw). */
static void
put_header(uint8_t *h, uint32_t len, uint16_t id, uint16_t frag, uint8_t ttl, uint8_t proto,
	   uint8_t tos, uint32_t src, uint32_t dst, int hw)
{
	h[US_IP4_VHL] = 0x45;
	h[US_IP4_TOS] = tos;
	us_put16(h + US_IP4_LEN, (uint16_t)len);
	us_put16(h + US_IP4_ID, id);
	us_put16(h + US_IP4_FRAG, frag);
	h[US_IP4_TTL] = ttl;
	h[US_IP4_PROTO] = proto;
	us_put16(h + US_IP4_SUM, 0);
	us_put32(h + US_IP4_SRC, src);
	us_put32(h + US_IP4_DST, dst);
	if (!hw)
		us_put16(h + US_IP4_SUM, us_cksum_hdr20(h));
}

/* Marks pkt for the link to fill in its IPv4 header checksum, if the link can. */
static int
hw_ip_sum(const struct us_stack *st, struct us_pkt *pkt)
{
	if (!(st->drv->offload & US_DRV_TX_IP4_CSUM))
		return 0;
	pkt->flags |= US_PKT_TX_IP4_CSUM;
	return 1;
}

int
us_ip4_l4_offload(const struct us_stack *st, uint32_t len)
{
	return (st->drv->offload & US_DRV_TX_L4_CSUM) && len + US_IP4_HLEN <= st->mtu;
}

/* Hands a finished IP packet to the link: broadcast, or via ARP.  Consumes pkt. */
static int
to_link(struct us_stack *st, struct us_pkt *pkt, uint32_t dst, uint32_t nexthop)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	st->stats->ip4.tx++;
	if (us_ip4_is_bcast(st, dst)) {
		us_eth_output(st, pkt, bcast, US_ETHERTYPE_IPV4);
		return 0;
	}
	/*
	 * A packet that finds ARP's waiting queue full is dropped there and
	 * counted (queue_drop), as a congested link loses it: the sender is
	 * not told, as Linux's unresolved-neighbour queue does not tell.
	 */
	(void)us_arp_output(st, pkt, nexthop);
	return 0;
}

int
us_ip4_output(struct us_stack *st, struct us_pkt *pkt, uint32_t src, uint32_t dst, uint8_t proto,
	      uint8_t tos, uint8_t ttl)
{
	uint32_t nexthop = route(st, dst);
	uint8_t *h;

	if (nexthop == 0) {
		st->stats->ip4.tx_noroute++;
		us_pkt_free(pkt);
		return -ENETUNREACH;
	}
	h = us_pkt_prepend(pkt, US_IP4_HLEN);
	if (h == NULL) {
		st->stats->ip4.tx_nobuf++;
		us_pkt_free(pkt);
		return -ENOBUFS;
	}
	/* RFC 6864: atomic datagrams may carry any ID; we still count up for captures. */
	put_header(h, pkt->len, st->ip.id++, US_IP4_DF, ttl, proto, tos, src, dst,
		   hw_ip_sum(st, pkt));
	return to_link(st, pkt, dst, nexthop);
}

int
us_ip4_output_raw(struct us_stack *st, struct us_pkt *pkt)
{
	uint32_t dst = us_get32(us_pkt_data(pkt) + US_IP4_DST), nexthop = route(st, dst);

	if (nexthop == 0) {
		st->stats->ip4.tx_noroute++;
		us_pkt_free(pkt);
		return -ENETUNREACH;
	}
	return to_link(st, pkt, dst, nexthop);
}

int
us_ip4_send(struct us_stack *st, uint32_t src, uint32_t dst, uint8_t proto, uint8_t tos,
	    uint8_t ttl, unsigned opts, const struct us_iov *iov, int niov)
{
	int df = (opts & US_IP4_SEND_DF) != 0;
	uint32_t total = 0, room, off, nexthop;
	uint16_t id;
	int i, vi = 0;
	uint32_t vo = 0;

	for (i = 0; i < niov; i++)
		total += iov[i].len;
	while (vi < niov && iov[vi].len == 0)
		vi++;
	if (total + US_IP4_HLEN > US_IP4_MAXPACKET) {
		st->stats->ip4.tx_toobig++;
		return -EMSGSIZE;
	}
	nexthop = route(st, dst);
	if (nexthop == 0) {
		st->stats->ip4.tx_noroute++;
		return -ENETUNREACH;
	}
	room = st->mtu - US_IP4_HLEN;
	if (total > room && df) {
		st->stats->ip4.tx_toobig++;
		return -EMSGSIZE;
	}
	if (total <= room) {
		struct us_pkt *pkt = us_pkt_alloc(st->pool);
		uint8_t *p;

		if (pkt == NULL || us_pkt_tailroom(pkt) < total) {
			if (pkt != NULL)
				us_pkt_free(pkt);
			st->stats->ip4.tx_nobuf++;
			return -ENOBUFS;
		}
		p = us_pkt_append(pkt, total);
		us_iov_copy(p, iov, &vi, &vo, total);
		if (opts & US_IP4_SEND_L4HW)
			pkt->flags |= US_PKT_TX_L4_CSUM;
		return us_ip4_output(st, pkt, src, dst, proto, tos, ttl);
	}
	/* RFC 791 3.2 fragmentation: every piece but the last a multiple of 8 bytes. */
	room &= ~7u;
	id = st->ip.id++;
	for (off = 0; off < total; off += room) {
		uint32_t n = total - off < room ? total - off : room;
		struct us_pkt *pkt = us_pkt_alloc(st->pool);
		uint16_t frag = (uint16_t)(off >> 3);
		uint8_t *h;
		int rc;

		if (pkt == NULL || us_pkt_tailroom(pkt) < n + US_IP4_HLEN) {
			if (pkt != NULL)
				us_pkt_free(pkt);
			st->stats->ip4.tx_nobuf++;
			return -ENOBUFS;
		}
		us_iov_copy(us_pkt_append(pkt, n), iov, &vi, &vo, n);
		if (off + n < total)
			frag |= US_IP4_MF;
		h = us_pkt_prepend(pkt, US_IP4_HLEN);
		put_header(h, n + US_IP4_HLEN, id, frag, ttl, proto, tos, src, dst,
			   hw_ip_sum(st, pkt));
		st->stats->ip4.tx_frag++;
		rc = to_link(st, pkt, dst, nexthop);
		if (rc != 0)
			return rc;
	}
	return 0;
}
