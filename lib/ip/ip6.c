/*
 * ip6.c - IPv6 input and output (RFC 8200), our addresses (RFC 4291,
 * RFC 4862) and source selection (RFC 6724, reduced).  Input checks the
 * fixed header, walks the extension headers with bounds checks (4.1-4.6),
 * sends fragments to ip6_frag.c and hands the upper-layer header up with
 * the fields in the packet.  Output picks a source, asks neighbour
 * discovery for the next hop, and fragments above the path MTU (4.5,
 * RFC 8201, RFC 7739).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usock_build_config.h"
#include "../core/stack.h"
#include "../link/link.h"
#include "../tcp/tcp.h"
#include "../udp/udp.h"
#include "../wire/wire.h"
#include "ip6.h"
#include "ip_subr.h"

#define PMTU_EXPIRE_NS	(600ull * 1000000000ull)	/* RFC 8201 4: retry after 10 min */

/* Hop-by-Hop and Destination option types (RFC 8200 4.2, RFC 2711). */
#define OPT_PAD1	0
#define OPT_PADN	1
#define OPT_RALERT	5
#define OPT_RALERT_LEN	2

static const struct us_in6 all_nodes = { { 0xff, 0x02, [15] = 1 } };

/* The modified EUI-64 interface identifier of a MAC (RFC 4291 2.5.1, appendix A). */
static void
linklocal_from_mac(struct us_in6 *a, const uint8_t mac[6])
{
	memset(a->b, 0, 16);
	a->b[0] = 0xfe;
	a->b[1] = 0x80;
	a->b[8] = mac[0] ^ 0x02;	/* the universal/local bit, inverted */
	a->b[9] = mac[1];
	a->b[10] = mac[2];
	a->b[11] = 0xff;
	a->b[12] = 0xfe;
	a->b[13] = mac[3];
	a->b[14] = mac[4];
	a->b[15] = mac[5];
}

/* Puts an address in a slot: link-local in [0], others after it.  NULL when full. */
static struct us_ip6_addr *
slot_new(struct us_stack *st, const struct us_in6 *a, uint8_t plen, int autoconf, uint8_t state)
{
	struct us_ip6_addr *s = NULL;
	int i;

	if (us_in6_is_linklocal(a) && st->ip6.addr[0].state == US_IP6A_FREE) {
		s = &st->ip6.addr[0];
	} else {
		for (i = 1; i < US_IP6_NADDR && s == NULL; i++)
			if (st->ip6.addr[i].state == US_IP6A_FREE)
				s = &st->ip6.addr[i];
	}
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->addr = *a;
	s->plen = plen;
	s->autoconf = (uint8_t)(autoconf != 0);
	s->state = state;
	s->preferred = UINT64_MAX;
	s->valid = UINT64_MAX;
	return s;
}

int
us_ip6_init(struct us_stack *st)
{
	struct us_in6 ll;

	st->ip6.enabled = st->cfg.ip6_mode != US_CFG_IP6_OFF;
	st->ip6.slaac = st->cfg.ip6_mode == US_CFG_IP6_AUTO;
	st->ip6.id = us_stack_rand(st);
	st->ip6.tokens = US_ICMP_BURST;
	st->ip6.tokens_at = st->now;
	/*
	 * The addresses wait tentative until us_ip6_start: DAD needs the link
	 * up (RFC 4862 5.4), and us_nd6_start runs it on every one of them.
	 */
	linklocal_from_mac(&ll, st->mac);
	slot_new(st, &ll, 64, 0, US_IP6A_TENTATIVE);
	if (st->cfg.ip6_mode == US_CFG_IP6_STATIC)
		slot_new(st, &st->cfg.ip6, st->cfg.ip6_plen, 0, US_IP6A_TENTATIVE);
	/* Like IPv4: a few datagrams of 64 KiB at once. */
	return us_ip6_reass_init(st, US_REASS_MAX, 4 * 65536);
}

void
us_ip6_fini(struct us_stack *st)
{
	us_ip6_reass_fini(st);
}

void
us_ip6_start(struct us_stack *st)
{
	if (!st->ip6.enabled)
		return;
	us_nd6_start(st);
	us_stack_flush(st);
}

struct us_ip6_addr *
us_ip6_addr_find(struct us_stack *st, const struct us_in6 *a)
{
	int i;

	for (i = 0; i < US_IP6_NADDR; i++)
		if (st->ip6.addr[i].state != US_IP6A_FREE && us_in6_eq(&st->ip6.addr[i].addr, a))
			return &st->ip6.addr[i];
	return NULL;
}

struct us_ip6_addr *
us_ip6_addr_add(struct us_stack *st, const struct us_in6 *a, uint8_t plen, int autoconf, int dad)
{
	struct us_ip6_addr *s = us_ip6_addr_find(st, a);

	if (s != NULL)
		return s;
	s = slot_new(st, a, plen, autoconf, dad ? US_IP6A_TENTATIVE : US_IP6A_PREFERRED);
	if (s != NULL && dad)
		us_nd6_dad_start(st, s);
	return s;
}

/* Usable as a source or destination: past DAD, lifetime left. */
static int
usable(const struct us_ip6_addr *s)
{
	return s->state == US_IP6A_PREFERRED || s->state == US_IP6A_DEPRECATED;
}

int
us_ip6_is_ours(const struct us_stack *st, const struct us_in6 *a)
{
	int i;

	for (i = 0; i < US_IP6_NADDR; i++)
		if (usable(&st->ip6.addr[i]) && us_in6_eq(&st->ip6.addr[i].addr, a))
			return 1;
	return 0;
}

int
us_ip6_in_group(const struct us_stack *st, const struct us_in6 *g)
{
	struct us_in6 sn;
	int i;

	if (!st->ip6.enabled || !us_in6_is_multicast(g))
		return 0;
	if (us_in6_eq(g, &all_nodes))
		return 1;
	/*
	 * RFC 4862 5.4.2: the solicited-node group of a tentative address is
	 * joined too, so that another node's DAD for it reaches us.
	 */
	for (i = 0; i < US_IP6_NADDR; i++) {
		const struct us_ip6_addr *s = &st->ip6.addr[i];

		if (s->state == US_IP6A_FREE || s->state == US_IP6A_DUPLICATE)
			continue;
		us_in6_solicited(&sn, &s->addr);
		if (us_in6_eq(g, &sn))
			return 1;
	}
	return 0;
}

/* Leading bits a and b share (RFC 6724 2.2 CommonPrefixLen, over the whole address). */
static unsigned
common_bits(const struct us_in6 *a, const struct us_in6 *b)
{
	unsigned n = 0, i;

	for (i = 0; i < 16; i++) {
		uint8_t x = a->b[i] ^ b->b[i];

		if (x != 0)
			return n + (unsigned)__builtin_clz(x) - 24;
		n += 8;
	}
	return n;
}

int
us_ip6_select_src(const struct us_stack *st, const struct us_in6 *dst, struct us_in6 *src)
{
	const struct us_ip6_addr *best = NULL;
	unsigned best_bits = 0;
	int i;

	/*
	 * RFC 6724 5 rule 2 (appropriate scope): a link-local destination, or a
	 * multicast group of link-local scope or less, is answered from our
	 * link-local address.
	 */
	if (us_in6_is_linklocal(dst) || (us_in6_is_multicast(dst) && (dst->b[1] & 0x0f) <= 2)) {
		if (!usable(&st->ip6.addr[0]))
			return -EADDRNOTAVAIL;
		*src = st->ip6.addr[0].addr;
		return 0;
	}
	/* Rule 3 (avoid deprecated), then rule 8 (longest matching prefix). */
	for (i = 1; i < US_IP6_NADDR; i++) {
		const struct us_ip6_addr *s = &st->ip6.addr[i];
		unsigned bits;

		if (s->state != US_IP6A_PREFERRED)
			continue;
		bits = common_bits(&s->addr, dst);
		if (best == NULL || bits > best_bits) {
			best = s;
			best_bits = bits;
		}
	}
	for (i = 1; best == NULL && i < US_IP6_NADDR; i++)
		if (usable(&st->ip6.addr[i]))
			best = &st->ip6.addr[i];
	/* No global address yet: the link-local one still reaches on-link peers. */
	if (best == NULL && usable(&st->ip6.addr[0]))
		best = &st->ip6.addr[0];
	if (best == NULL)
		return -EADDRNOTAVAIL;
	*src = best->addr;
	return 0;
}

uint8_t
us_ip6_hlim(const struct us_stack *st)
{
	/* RFC 4861 6.3.4: a router's Cur Hop Limit, when it gave one. */
	return st->nd.cur_hlim != 0 ? st->nd.cur_hlim : US_IP6_DEFHLIM;
}

char *
us_in6_ntop(const struct us_in6 *a, char *buf)
{
	int best = -1, bestlen = 0, run = -1, i;
	char *p = buf;

	/* RFC 5952 5: an IPv4-mapped address ends in dotted decimal. */
	if (us_in6_is_v4mapped(a)) {
		sprintf(buf, "::ffff:%u.%u.%u.%u", a->b[12], a->b[13], a->b[14], a->b[15]);
		return buf;
	}
	/* RFC 5952 4.2: the longest run of two or more zero groups, the first if tied. */
	for (i = 0; i <= 8; i++) {
		int zero = i < 8 && a->b[2 * i] == 0 && a->b[2 * i + 1] == 0;

		if (zero && run < 0)
			run = i;
		if (!zero && run >= 0) {
			if (i - run > bestlen && i - run >= 2) {
				best = run;
				bestlen = i - run;
			}
			run = -1;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			if (i == 0)
				*p++ = ':';
			i += bestlen - 1;
			continue;
		}
		/* RFC 5952 4.1, 4.3: no leading zeros, lower case. */
		p += sprintf(p, "%x", (unsigned)us_get16(a->b + 2 * i));
		if (i < 7)
			*p++ = ':';
	}
	*p = '\0';
	return buf;
}

uint32_t
us_ip6_path_mtu(const struct us_stack *st, const struct us_in6 *dst)
{
	/* RFC 4861 4.6.4: a router's MTU option may lower the link's for IPv6. */
	uint32_t link = st->nd.mtu != 0 && st->nd.mtu < st->mtu ? st->nd.mtu : st->mtu;
	int i;

	for (i = 0; i < US_IP6_NPMTU; i++) {
		const struct us_pmtu6 *m = &st->ip6.pmtu[i];

		if (m->mtu != 0 && m->expire > st->now && us_in6_eq(&m->dst, dst))
			return m->mtu < link ? m->mtu : link;
	}
	return link;
}

void
us_ip6_pmtu_update(struct us_stack *st, const struct us_in6 *dst, uint32_t mtu)
{
	struct us_pmtu6 *slot = NULL;
	int i;

	/* RFC 8201 4: never below the minimum link MTU, and a report never raises it. */
	if (mtu < US_IP6_MINMTU)
		mtu = US_IP6_MINMTU;
	if (mtu >= us_ip6_path_mtu(st, dst))
		return;
	for (i = 0; i < US_IP6_NPMTU; i++) {
		struct us_pmtu6 *m = &st->ip6.pmtu[i];

		if (m->mtu != 0 && us_in6_eq(&m->dst, dst)) {
			slot = m;
			break;
		}
		/* A free or stale slot, else the one closest to expiry. */
		if (slot == NULL || m->mtu == 0 || m->expire <= st->now ||
		    (slot->mtu != 0 && slot->expire > st->now && m->expire < slot->expire))
			slot = m;
	}
	slot->dst = *dst;
	slot->mtu = mtu;
	/* RFC 8201 4: after 10 minutes try the link's MTU again. */
	slot->expire = st->now + PMTU_EXPIRE_NS;
}

void
us_ip6_timer(struct us_stack *st, uint64_t now)
{
	int i;

	if (!st->ip6.enabled)
		return;
	us_ip6_reass_timer(st, now);
	/*
	 * Path MTUs are checked for age where they are read; this only frees
	 * the slots.  Address lifetimes are nd6.c's (with their MLD reports).
	 */
	for (i = 0; i < US_IP6_NPMTU; i++)
		if (st->ip6.pmtu[i].mtu != 0 && st->ip6.pmtu[i].expire <= now)
			st->ip6.pmtu[i].mtu = 0;
}

uint64_t
us_ip6_deadline(const struct us_stack *st)
{
	if (!st->ip6.enabled)
		return UINT64_MAX;
	return us_ip6_reass_deadline(st);
}

int
us_ip6_upper(const uint8_t *ip, uint32_t len, uint8_t *proto)
{
	uint32_t off = US_IP6_HLEN;
	uint8_t nxt;

	if (len < US_IP6_HLEN)
		return -1;
	nxt = ip[US_IP6_NXT];
	for (;;) {
		switch (nxt) {
		case US_IPPROTO_HOPOPTS:
		case US_IPPROTO_ROUTING:
		case US_IPPROTO_DSTOPTS:
			if (off + 2 > len)
				return -1;
			nxt = ip[off];
			off += ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		case US_IPPROTO_FRAGMENT:
			/* A later fragment holds no upper-layer header at all. */
			if (off + US_IP6_FRAG_LEN > len ||
			    (us_get16(ip + off + US_IP6_FRAG_OFF) & US_IP6_FRAG_OFFMASK) != 0)
				return -1;
			nxt = ip[off];
			off += US_IP6_FRAG_LEN;
			break;
		default:
			if (off > len)
				return -1;
			*proto = nxt;
			return (int)off;
		}
	}
}

/* A Parameter Problem about the datagram whose IPv6 header is at pkt's data. */
static void
param_problem(struct us_stack *st, struct us_pkt *pkt, uint8_t code, uint32_t ptr)
{
	pkt->l3_len = 0;
	us_icmp6_error(st, pkt, US_ICMP6_PARAMPROB, code, ptr);
}

/*
 * The options of a Hop-by-Hop or Destination Options header at off, hlen
 * bytes (RFC 8200 4.2).  Returns 0 to go on, -1 when the datagram was
 * refused (counted; the caller frees it).
 */
static int
options(struct us_stack *st, struct us_pkt *pkt, uint32_t off, uint32_t hlen)
{
	const uint8_t *h = us_pkt_data(pkt);
	uint32_t i = off + 2, end = off + hlen;

	while (i < end) {
		uint8_t type = h[i], olen;

		if (type == OPT_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > end || i + 2 + h[i + 1] > end) {
			st->stats->ip6.rx_badext++;
			return -1;
		}
		olen = h[i + 1];
		switch (type) {
		case OPT_PADN:
			break;
		case OPT_RALERT:
			/* RFC 2711 2.1: two bytes of value, nothing else. */
			if (olen != OPT_RALERT_LEN) {
				st->stats->ip6.rx_badext++;
				return -1;
			}
			break;
		default:
			/* RFC 8200 4.2: the two high bits of an unknown type say what to do. */
			switch (type >> 6) {
			case 0:		/* skip it */
				break;
			case 1:		/* discard quietly */
				st->stats->ip6.rx_unkext++;
				return -1;
			case 2:		/* discard and tell, even a multicast's source */
				st->stats->ip6.rx_unkext++;
				param_problem(st, pkt, US_ICMP6_PARAM_OPT, i);
				return -1;
			default:	/* discard, and tell unless it went to a group */
				st->stats->ip6.rx_unkext++;
				if (!us_in6_is_multicast(&pkt->ip6_dst))
					param_problem(st, pkt, US_ICMP6_PARAM_OPT, i);
				return -1;
			}
			break;
		}
		i += 2 + (uint32_t)olen;
	}
	return 0;
}

/* Hands the upper-layer header at off to its protocol; consumes pkt. */
static void
deliver(struct us_stack *st, struct us_pkt *pkt, uint32_t off, uint8_t nxt, uint32_t nxtoff)
{
	struct us_ip6_stats *is = &st->stats->ip6;

	switch (nxt) {
	case US_IPPROTO_TCP:
	case US_IPPROTO_UDP:
	case US_IPPROTO_ICMPV6:
		break;
	default:
		/* RFC 8200 4: an unrecognised Next Header is a Parameter Problem, code 1. */
		is->rx_unkproto++;
		param_problem(st, pkt, US_ICMP6_PARAM_NXT, nxtoff);
		us_pkt_free(pkt);
		return;
	}
	us_pkt_adj(pkt, off);
	pkt->l3_len = (uint16_t)off;
	pkt->ip_proto = nxt;
	is->rx_delivered++;
	if (nxt == US_IPPROTO_TCP)
		us_tcp_input(st, pkt);
	else if (nxt == US_IPPROTO_UDP)
		us_udp_input(st, pkt);
	else
		us_icmp6_input(st, pkt);
}

void
us_ip6_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_ip6_stats *is = &st->stats->ip6;
	uint32_t off, nxtoff, hlen, plen;
	int reassembled = 0;
	const uint8_t *h;
	uint8_t nxt;

	is->rx++;
	h = us_pkt_data(pkt);
	if (pkt->len < US_IP6_HLEN) {
		is->rx_short++;
		goto drop;
	}
	if ((h[0] >> 4) != 6) {
		is->rx_badver++;
		goto drop;
	}
	plen = us_get16(h + US_IP6_PLEN);
	if (US_IP6_HLEN + plen > pkt->len || pkt->next != NULL) {
		is->rx_badlen++;
		goto drop;
	}
	/* Drop the link's padding: the payload length says where the datagram ends. */
	pkt->len = US_IP6_HLEN + plen;
	memcpy(pkt->ip6_src.b, h + US_IP6_SRC, 16);
	memcpy(pkt->ip6_dst.b, h + US_IP6_DST, 16);
	pkt->ip_tos = (uint8_t)(us_get32(h + US_IP6_VTCFL) >> 20);
	pkt->ip_ttl = h[US_IP6_HLIM];
	pkt->flags |= US_PKT_IP6;
	/*
	 * RFC 4291 2.7, 2.5.3: a group or the loopback address never sends.  A
	 * v4-mapped address never travels in IPv6 (RFC 4942 2.2): one would
	 * pose as an IPv4 peer, ::ffff:127.0.0.1 included, to dual-stack sockets.
	 */
	if (us_in6_is_multicast(&pkt->ip6_src) || us_in6_is_loopback(&pkt->ip6_src) ||
	    us_in6_is_v4mapped(&pkt->ip6_src) || us_in6_is_v4mapped(&pkt->ip6_dst)) {
		is->rx_badsrc++;
		goto drop;
	}
	if (us_in6_is_multicast(&pkt->ip6_dst)) {
		if (!us_ip6_in_group(st, &pkt->ip6_dst)) {
			is->rx_notours++;
			goto drop;
		}
		pkt->flags |= US_PKT_MCAST;
	} else if (!us_ip6_is_ours(st, &pkt->ip6_dst)) {
		/*
		 * RFC 4862 5.4: a tentative address receives nothing yet (DAD's
		 * solicitations come to its solicited-node group instead).
		 */
		is->rx_notours++;
		goto drop;
	}

	nxt = h[US_IP6_NXT];
	nxtoff = US_IP6_NXT;
	off = US_IP6_HLEN;
	for (;;) {
		h = us_pkt_data(pkt);
		switch (nxt) {
		case US_IPPROTO_HOPOPTS:
			/* RFC 8200 4.1: Hop-by-Hop Options only right after the IPv6 header. */
			if (off != US_IP6_HLEN) {
				is->rx_badext++;
				param_problem(st, pkt, US_ICMP6_PARAM_NXT, nxtoff);
				goto drop;
			}
			/* FALLTHROUGH */
		case US_IPPROTO_DSTOPTS:
			if (off + 2 > pkt->len || off + ((uint32_t)h[off + 1] + 1) * 8 > pkt->len) {
				is->rx_badext++;
				goto drop;
			}
			hlen = ((uint32_t)h[off + 1] + 1) * 8;
			if (options(st, pkt, off, hlen) != 0)
				goto drop;
			break;
		case US_IPPROTO_ROUTING:
			if (off + 4 > pkt->len || off + ((uint32_t)h[off + 1] + 1) * 8 > pkt->len) {
				is->rx_badext++;
				goto drop;
			}
			hlen = ((uint32_t)h[off + 1] + 1) * 8;
			/*
			 * RFC 8200 4.4: Segments Left 0 means the header is done
			 * with; we route nothing, so any other is refused.  RFC
			 * 5095 3: type 0 is treated as an unrecognised type.
			 */
			if (h[off + 3] == 0)
				break;
			if (h[off + 2] == 0)
				is->rx_rthdr0++;
			else
				is->rx_unkext++;
			if (!us_in6_is_multicast(&pkt->ip6_dst))
				param_problem(st, pkt, US_ICMP6_PARAM_HDR, off + 2);
			goto drop;
		case US_IPPROTO_FRAGMENT:
			if (off + US_IP6_FRAG_LEN > pkt->len || reassembled) {
				/* RFC 8200 4.1: one Fragment header at most. */
				is->rx_badext++;
				goto drop;
			}
			hlen = US_IP6_FRAG_LEN;
			if ((us_get16(h + off + US_IP6_FRAG_OFF) &
			     (US_IP6_FRAG_OFFMASK | US_IP6_FRAG_MF)) == 0) {
				/* RFC 6946 4: an atomic fragment is processed at once, on its own. */
				is->rx_frag_atomic++;
				break;
			}
			is->rx_frag++;
			us_pkt_adj(pkt, off);
			pkt = us_ip6_reass(st, pkt, off);
			if (pkt == NULL)
				return;
			is->rx_reassembled++;
			reassembled = 1;
			/* Back to the IPv6 header: the walk goes on after the Fragment header. */
			nxtoff = pkt->l3_len - US_IP6_FRAG_LEN;
			off = pkt->l3_len;
			nxt = pkt->ip_proto;
			us_pkt_prepend(pkt, off);
			continue;
		case US_IPPROTO_NONE:
			/* RFC 8200 4.7: nothing follows; not an error. */
			st->stats->ip6.rx_nonext++;
			goto drop;
		default:
			deliver(st, pkt, off, nxt, nxtoff);
			return;
		}
		nxtoff = off;
		nxt = h[off];
		off += hlen;
	}
drop:
	us_pkt_free(pkt);
}

/* Writes the IPv6 header (and a Router Alert Hop-by-Hop header) in front of pkt's data. */
static int
put_header(struct us_pkt *pkt, const struct us_in6 *src, const struct us_in6 *dst, uint8_t nxt,
	   uint8_t tclass, uint8_t hlim, int ralert)
{
	uint32_t plen = us_pkt_chain_len(pkt);
	uint8_t *h;

	if (ralert) {
		/* RFC 2711: Router Alert, value 0 (MLD, RFC 3810 5), and a PadN of 2. */
		h = us_pkt_prepend(pkt, 8);
		if (h == NULL)
			return -ENOBUFS;
		h[0] = nxt;
		h[1] = 0;
		h[2] = OPT_RALERT;
		h[3] = OPT_RALERT_LEN;
		h[4] = 0;
		h[5] = 0;
		h[6] = OPT_PADN;
		h[7] = 0;
		nxt = US_IPPROTO_HOPOPTS;
		plen += 8;
	}
	h = us_pkt_prepend(pkt, US_IP6_HLEN);
	if (h == NULL || plen > 0xffff)
		return -ENOBUFS;
	us_put32(h + US_IP6_VTCFL, 6u << 28 | (uint32_t)tclass << 20);
	us_put16(h + US_IP6_PLEN, (uint16_t)plen);
	h[US_IP6_NXT] = nxt;
	h[US_IP6_HLIM] = hlim;
	memcpy(h + US_IP6_SRC, src->b, 16);
	memcpy(h + US_IP6_DST, dst->b, 16);
	return 0;
}

/* The next hop and the source for dst; counted when there is none. */
static int
route(struct us_stack *st, const struct us_in6 *dst, const struct us_in6 **src,
      struct us_in6 *srcbuf, struct us_in6 *nexthop, unsigned opts)
{
	if (!st->ip6.enabled) {
		st->stats->ip6.tx_noroute++;
		return -ENETUNREACH;
	}
	if (us_in6_is_multicast(dst) || (opts & US_IP6_SEND_ONLINK))
		*nexthop = *dst;
	else if (us_nd6_route(st, dst, nexthop) != 0) {
		st->stats->ip6.tx_noroute++;
		return -ENETUNREACH;
	}
	if ((opts & US_IP6_SEND_SRC_UNSPEC) || (*src != NULL && !us_in6_is_unspec(*src)))
		return 0;
	if (us_ip6_select_src(st, dst, srcbuf) != 0) {
		st->stats->ip6.tx_nosrc++;
		return -EADDRNOTAVAIL;
	}
	*src = srcbuf;
	return 0;
}

/* Heads pkt with its headers and hands it to neighbour discovery; consumes pkt. */
static int
emit(struct us_stack *st, struct us_pkt *pkt, const struct us_in6 *src, const struct us_in6 *dst,
     const struct us_in6 *nexthop, uint8_t proto, uint8_t tclass, uint8_t hlim, unsigned opts)
{
	if (put_header(pkt, src, dst, proto, tclass, hlim, (opts & US_IP6_SEND_RALERT) != 0) != 0) {
		st->stats->ip6.tx_nobuf++;
		us_pkt_free(pkt);
		return -ENOBUFS;
	}
	st->stats->ip6.tx++;
	/* As IPv4 with ARP: a full waiting queue loses the packet, counted, and says nothing. */
	(void)us_nd6_output(st, pkt, nexthop);
	return 0;
}

int
us_ip6_output(struct us_stack *st, struct us_pkt *pkt, const struct us_in6 *src,
	      const struct us_in6 *dst, uint8_t proto, uint8_t tclass, uint8_t hlim, unsigned opts)
{
	static const struct us_in6 unspec;
	struct us_in6 srcbuf, nexthop;
	int rc;

	rc = route(st, dst, &src, &srcbuf, &nexthop, opts);
	if (rc != 0) {
		us_pkt_free(pkt);
		return rc;
	}
	if (opts & US_IP6_SEND_L4HW)
		pkt->flags |= US_PKT_TX_L4_CSUM;
	return emit(st, pkt, src != NULL ? src : &unspec, dst, &nexthop, proto, tclass, hlim, opts);
}

int
us_ip6_send(struct us_stack *st, const struct us_in6 *src, const struct us_in6 *dst, uint8_t proto,
	    uint8_t tclass, uint8_t hlim, unsigned opts, const struct us_iov *iov, int niov)
{
	static const struct us_in6 unspec;
	uint32_t total = 0, hdr, mtu, room, off, vo = 0, id;
	struct us_in6 srcbuf, nexthop;
	int i, vi = 0, rc;

	for (i = 0; i < niov; i++)
		total += iov[i].len;
	while (vi < niov && iov[vi].len == 0)
		vi++;
	hdr = US_IP6_HLEN + ((opts & US_IP6_SEND_RALERT) ? 8 : 0);
	if (total + hdr - US_IP6_HLEN > 0xffff) {
		st->stats->ip6.tx_toobig++;
		return -EMSGSIZE;
	}
	rc = route(st, dst, &src, &srcbuf, &nexthop, opts);
	if (rc != 0)
		return rc;
	if (src == NULL)
		src = &unspec;
	mtu = us_ip6_path_mtu(st, dst);
	if (hdr + total <= mtu) {
		struct us_pkt *pkt = us_pkt_alloc(st->pool);

		if (pkt == NULL || us_pkt_tailroom(pkt) < total) {
			if (pkt != NULL)
				us_pkt_free(pkt);
			st->stats->ip6.tx_nobuf++;
			return -ENOBUFS;
		}
		us_iov_copy(us_pkt_append(pkt, total), iov, &vi, &vo, total);
		if (opts & US_IP6_SEND_L4HW)
			pkt->flags |= US_PKT_TX_L4_CSUM;
		return emit(st, pkt, src, dst, &nexthop, proto, tclass, hlim, opts);
	}
	if (opts & US_IP6_SEND_NOFRAG) {
		st->stats->ip6.tx_toobig++;
		return -EMSGSIZE;
	}
	/*
	 * RFC 8200 4.5: the unfragmentable part (the header, a Hop-by-Hop
	 * header) in every fragment, the rest in pieces of a multiple of 8
	 * bytes.  RFC 7739: an identification nobody can guess.
	 */
	room = (mtu - hdr - US_IP6_FRAG_LEN) & ~7u;
	id = us_stack_rand(st);
	for (off = 0; off < total; off += room) {
		uint32_t n = total - off < room ? total - off : room;
		struct us_pkt *pkt = us_pkt_alloc(st->pool);
		uint8_t *f;

		if (pkt == NULL || us_pkt_tailroom(pkt) < n) {
			if (pkt != NULL)
				us_pkt_free(pkt);
			st->stats->ip6.tx_nobuf++;
			return -ENOBUFS;
		}
		us_iov_copy(us_pkt_append(pkt, n), iov, &vi, &vo, n);
		f = us_pkt_prepend(pkt, US_IP6_FRAG_LEN);
		if (f == NULL) {
			us_pkt_free(pkt);
			st->stats->ip6.tx_nobuf++;
			return -ENOBUFS;
		}
		f[0] = proto;
		f[1] = 0;
		us_put16(f + US_IP6_FRAG_OFF,
			 (uint16_t)(off | (off + n < total ? US_IP6_FRAG_MF : 0)));
		us_put32(f + US_IP6_FRAG_ID, id);
		st->stats->ip6.tx_frag++;
		rc = emit(st, pkt, src, dst, &nexthop, US_IPPROTO_FRAGMENT, tclass, hlim, opts);
		if (rc != 0)
			return rc;
	}
	return 0;
}
