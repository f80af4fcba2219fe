/*
 * ip6_frag.c - IPv6 reassembly (RFC 8200 4.5).  Fragments wait in a few
 * slots, in offset order (the list rules are ip_subr.c's, shared with
 * IPv4), under a byte limit and the 60 s timeout; a timeout with the
 * first fragment in hand is reported with Time Exceeded.  Overlaps drop
 * the whole datagram (RFC 5722), an exact duplicate is dropped alone, and
 * the first fragment must hold the whole header chain (RFC 7112).
 */
#include <string.h>

#include "../core/stack.h"
#include "../wire/wire.h"
#include "ip6.h"
#include "ip_subr.h"

#define REASS6_TIMEOUT_NS	(60ull * 1000000000ull)	/* RFC 8200 4.5 */

int
us_ip6_reass_init(struct us_stack *st, uint32_t nslots, uint32_t limit)
{
	return us_reass_tab_init(&st->ip6.reass, nslots, limit);
}

void
us_ip6_reass_fini(struct us_stack *st)
{
	us_reass_tab_fini(&st->ip6.reass);
}

/* Minimum header of the upper layers we know, so the first fragment holds it whole. */
static uint32_t
upper_min(uint8_t proto)
{
	switch (proto) {
	case US_IPPROTO_TCP:
		return US_TCP_HLEN;
	case US_IPPROTO_UDP:
		return US_UDP_HLEN;
	case US_IPPROTO_ICMPV6:
		return US_ICMP6_HLEN;
	default:
		return 0;
	}
}

/*
 * RFC 7112 5: does the first fragment (its Fragment header at data, the
 * IPv6 header unfrag bytes before) hold the whole header chain?
 */
static int
chain_whole(const struct us_pkt *pkt, uint32_t unfrag)
{
	const uint8_t *ip = us_pkt_data(pkt) - unfrag;
	uint32_t len = unfrag + pkt->len;
	uint8_t proto;
	int off = us_ip6_upper(ip, len, &proto);

	return off >= 0 && (uint32_t)off + upper_min(proto) <= len;
}

struct us_pkt *
us_ip6_reass(struct us_stack *st, struct us_pkt *pkt, uint32_t unfrag)
{
	struct us_ip6_stats *is = &st->stats->ip6;
	const uint8_t *f = us_pkt_data(pkt);
	uint32_t off, len, id;
	const struct us_reass_count count = {&is->rx_frag_dup, &is->rx_frag_bad,
					     &is->rx_frag_overlap, &is->rx_frag_nomem};
	struct us_reass_key key;
	struct us_pkt *head;
	struct us_reass *r;
	uint16_t offm;
	uint8_t nxt;
	int more;

	/* Error messages about this fragment quote from its IPv6 header. */
	pkt->l3_len = (uint16_t)unfrag;
	if (pkt->len < US_IP6_FRAG_LEN || pkt->next != NULL) {
		is->rx_frag_bad++;
		goto drop;
	}
	offm = us_get16(f + US_IP6_FRAG_OFF);
	off = offm & US_IP6_FRAG_OFFMASK;
	more = (offm & US_IP6_FRAG_MF) != 0;
	id = us_get32(f + US_IP6_FRAG_ID);
	len = pkt->len - US_IP6_FRAG_LEN;
	/*
	 * RFC 8200 4.5: a fragment with M set whose length is not a multiple
	 * of 8 is refused with a Parameter Problem at the Payload Length.
	 */
	if (more && (len & 7) != 0) {
		is->rx_frag_bad++;
		us_icmp6_error(st, pkt, US_ICMP6_PARAMPROB, US_ICMP6_PARAM_HDR, US_IP6_PLEN);
		goto drop;
	}
	if (len == 0) {
		is->rx_frag_bad++;
		goto drop;
	}
	/* RFC 8200 4.5: past 65535 bytes of payload, a Parameter Problem at the offset. */
	if (unfrag - US_IP6_HLEN + US_IP6_FRAG_LEN + off + len > 0xffff) {
		is->rx_frag_toobig++;
		us_icmp6_error(st, pkt, US_ICMP6_PARAMPROB, US_ICMP6_PARAM_HDR,
			       unfrag + US_IP6_FRAG_OFF);
		goto drop;
	}
	if (off == 0 && !chain_whole(pkt, unfrag)) {
		/* RFC 7112 5, RFC 8200 4.5: dropped, and a Parameter Problem code 3, pointer 0. */
		is->rx_frag_bad++;
		us_icmp6_error(st, pkt, US_ICMP6_PARAMPROB, US_ICMP6_PARAM_CHAIN, 0);
		goto drop;
	}
	/* A fragment waits for the others only while the pool can spare it (us_pool_keep). */
	if (!us_pool_keep(st->pool, pkt)) {
		is->rx_frag_nomem++;
		goto drop;
	}
	/* RFC 8200 4.5: source, destination and identification name the datagram. */
	memset(&key, 0, sizeof(key));
	key.v6.src = pkt->ip6_src;
	key.v6.dst = pkt->ip6_dst;
	key.v6.id = id;
	r = us_reass_get(&st->ip6.reass, &key, st->now + REASS6_TIMEOUT_NS, &is->rx_frag_nomem);
	if (off == 0 && !us_reass_have_first(r)) {
		/* RFC 8200 4.5: the first fragment's headers become the datagram's. */
		r->nxt = f[0];
		r->unfrag_len = (uint16_t)unfrag;
	}
	/* Kept now: the slot is emptied when the datagram completes. */
	nxt = r->nxt;
	unfrag = r->unfrag_len;
	us_pkt_adj(pkt, US_IP6_FRAG_LEN);
	pkt->l3_len = (uint16_t)(pkt->l3_len + US_IP6_FRAG_LEN);
	head = us_reass_add(&st->ip6.reass, r, pkt, off, more, st->now, &count);
	if (head == NULL)
		return NULL;
	/* The datagram goes on from the first fragment's headers. */
	head->ip_proto = nxt;
	head->l3_len = (uint16_t)(unfrag + US_IP6_FRAG_LEN);
	return head;
drop:
	us_pkt_free(pkt);
	return NULL;
}

void
us_ip6_reass_timer(struct us_stack *st, uint64_t now)
{
	struct us_reass *r;

	while ((r = us_reass_expired(&st->ip6.reass, now)) != NULL) {
		st->stats->ip6.rx_frag_timeout++;
		/* RFC 8200 4.5: Time Exceeded, code 1, only if the first fragment came. */
		if (us_reass_have_first(r)) {
			struct us_pkt *first = r->frags, *rest = first->next;

			/* Quote the first fragment alone: what follows it may have holes. */
			first->next = NULL;
			us_icmp6_error(st, first, US_ICMP6_TIMXCEED, US_ICMP6_TIMXCEED_REASS, 0);
			first->next = rest;
		}
		us_reass_drop(&st->ip6.reass, r);
	}
}

uint64_t
us_ip6_reass_deadline(const struct us_stack *st)
{
	return us_reass_deadline(&st->ip6.reass);
}
