/*
 * ip4_frag.c - IPv4 reassembly (RFC 791 3.2, RFC 815).  Fragments wait in
 * a few slots, sorted by offset, under a byte limit and a 30 s timeout.
 * A fragment that overlaps another differently drops the whole datagram
 * (overlaps are only ever attacks, as RFC 5722 says for IPv6); an exact
 * duplicate is dropped alone.  Fragments that would reassemble above
 * 65535 bytes are dropped (the "ping of death").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/stack.h"
#include "../wire/wire.h"
#include "ip4.h"

#define REASS_TIMEOUT_NS	(30ull * 1000000000ull)
#define REASS_MAX_FRAGS		128	/* fragments one datagram may use */

int
us_ip4_reass_init(struct us_stack *st, uint32_t nslots, uint32_t limit)
{
	st->ip.reass = calloc(nslots, sizeof(*st->ip.reass));
	if (st->ip.reass == NULL)
		return -ENOMEM;
	st->ip.nreass = nslots;
	st->ip.reass_limit = limit;
	st->ip.reass_bytes = 0;
	return 0;
}

static void
slot_free(struct us_stack *st, struct us_reass *r)
{
	us_pkt_free(r->frags);
	st->ip.reass_bytes -= r->bytes;
	memset(r, 0, sizeof(*r));
}

void
us_ip4_reass_fini(struct us_stack *st)
{
	uint32_t i;

	if (st->ip.reass == NULL)
		return;
	for (i = 0; i < st->ip.nreass; i++)
		if (st->ip.reass[i].proto != 0)
			slot_free(st, &st->ip.reass[i]);
	free(st->ip.reass);
	st->ip.reass = NULL;
}

/* The slot for this datagram, a new one, or NULL (counted) when none can be had. */
static struct us_reass *
slot_get(struct us_stack *st, const struct us_pkt *pkt, uint16_t id)
{
	struct us_reass *free_slot = NULL, *oldest = NULL;
	uint32_t i;

	for (i = 0; i < st->ip.nreass; i++) {
		struct us_reass *r = &st->ip.reass[i];

		if (r->proto == 0) {
			if (free_slot == NULL)
				free_slot = r;
			continue;
		}
		if (r->id == id && r->src == pkt->ip_src && r->dst == pkt->ip_dst &&
		    r->proto == pkt->ip_proto)
			return r;
		if (oldest == NULL || r->expire < oldest->expire)
			oldest = r;
	}
	if (free_slot == NULL) {
		/* All slots busy: the oldest datagram is the likeliest to be lost already. */
		st->stats->ip4.rx_frag_nomem++;
		slot_free(st, oldest);
		free_slot = oldest;
	}
	free_slot->src = pkt->ip_src;
	free_slot->dst = pkt->ip_dst;
	free_slot->id = id;
	free_slot->proto = pkt->ip_proto;
	free_slot->expire = st->now + REASS_TIMEOUT_NS;
	return free_slot;
}

/*
 * Fragments keep their offset in pkt->time while waiting (the field is
 * otherwise only the receive time, which reassembly does not need).
 */
#define FOFF(p) ((uint32_t)(p)->time)

struct us_pkt *
us_ip4_reass(struct us_stack *st, struct us_pkt *pkt, uint16_t id, uint16_t frag)
{
	struct us_ip4_stats *is = &st->stats->ip4;
	uint32_t off = (uint32_t)(frag & US_IP4_OFFMASK) * 8;
	uint32_t len = pkt->len, end = off + len;
	int more = (frag & US_IP4_MF) != 0;
	struct us_pkt **pp, *p, *head;
	struct us_reass *r;

	/* RFC 791: every fragment but the last carries a multiple of 8 bytes. */
	if (len == 0 || (more && (len & 7) != 0)) {
		is->rx_frag_bad++;
		goto drop;
	}
	if (end + pkt->l3_len > US_IP4_MAXPACKET) {
		is->rx_frag_toobig++;
		goto drop;
	}
	r = slot_get(st, pkt, id);
	/* A chain of separate buffers: a fragment held by a driver must not be borrowed forever. */
	if (pkt->next != NULL) {
		is->rx_frag_bad++;
		goto drop;
	}
	if (r->have_last && (end > r->total || (!more && end != r->total))) {
		is->rx_frag_bad++;
		goto drop_all;
	}
	if (!more) {
		/* The last fragment fixes the length; nothing may lie beyond it. */
		for (p = r->frags; p != NULL; p = p->next)
			if (FOFF(p) + p->len > end) {
				is->rx_frag_overlap++;
				goto drop_all;
			}
		r->have_last = 1;
		r->total = end;
	}
	for (pp = &r->frags; *pp != NULL && FOFF(*pp) < off; pp = &(*pp)->next)
		;
	/* Compare with the neighbours on both sides. */
	if (*pp != NULL && FOFF(*pp) == off && (*pp)->len == len) {
		is->rx_frag_dup++;
		goto drop;
	}
	if ((*pp != NULL && FOFF(*pp) < end)) {
		is->rx_frag_overlap++;
		goto drop_all;
	}
	for (p = r->frags; p != NULL && p != *pp; p = p->next)
		if (FOFF(p) + p->len > off) {
			is->rx_frag_overlap++;
			goto drop_all;
		}
	if (r->nfrags >= REASS_MAX_FRAGS) {
		is->rx_frag_nomem++;
		goto drop_all;
	}
	while (st->ip.reass_bytes + len > st->ip.reass_limit) {
		/* Over the memory limit: give up on the oldest other datagram, or this one. */
		struct us_reass *old = NULL;
		uint32_t i;

		for (i = 0; i < st->ip.nreass; i++) {
			struct us_reass *o = &st->ip.reass[i];

			if (o->proto != 0 && o != r && (old == NULL || o->expire < old->expire))
				old = o;
		}
		is->rx_frag_nomem++;
		if (old == NULL)
			goto drop_all;
		slot_free(st, old);
	}
	pkt->time = off;
	pkt->next = *pp;
	*pp = pkt;
	r->nfrags++;
	r->bytes += len;
	st->ip.reass_bytes += len;
	if (!r->have_last || r->bytes != r->total)
		return NULL;
	/* Complete: no overlaps were admitted, so equal byte count means no holes. */
	head = r->frags;
	r->frags = NULL;
	st->ip.reass_bytes -= r->bytes;
	memset(r, 0, sizeof(*r));
	for (p = head; p != NULL; p = p->next)
		p->time = st->now;
	return head;
drop_all:
	slot_free(st, r);
drop:
	us_pkt_free(pkt);
	return NULL;
}

void
us_ip4_reass_timer(struct us_stack *st, uint64_t now)
{
	uint32_t i;

	for (i = 0; i < st->ip.nreass; i++) {
		struct us_reass *r = &st->ip.reass[i];

		if (r->proto != 0 && r->expire <= now) {
			st->stats->ip4.rx_frag_timeout++;
			slot_free(st, r);
		}
	}
}

uint64_t
us_ip4_reass_deadline(const struct us_stack *st)
{
	uint64_t t = UINT64_MAX;
	uint32_t i;

	for (i = 0; i < st->ip.nreass; i++)
		if (st->ip.reass[i].proto != 0 && st->ip.reass[i].expire < t)
			t = st->ip.reass[i].expire;
	return t;
}
