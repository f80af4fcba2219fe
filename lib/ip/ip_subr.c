/*
 * ip_subr.c - what IPv4 and IPv6 share (see ip_subr.h): reassembly
 * slots under a byte limit, each datagram's fragments in offset order
 * with the rule that an overlap drops the whole datagram (RFC 5722; for
 * IPv4 overlaps are as sure a sign of an attack), gathering from iovs and
 * chains, and the ICMP error rate limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/stack.h"
#include "ip_subr.h"

/*
 * Fragments keep their offset in pkt->time while waiting (the field is
 * otherwise only the receive time, which reassembly does not need).
 */
#define FOFF(p) ((uint32_t)(p)->time)

#define REASS_MAX_FRAGS	128	/* fragments one datagram may use */

int
us_reass_tab_init(struct us_reass_tab *t, uint32_t n, uint32_t limit)
{
	t->slots = calloc(n, sizeof(*t->slots));
	if (t->slots == NULL)
		return -ENOMEM;
	t->n = n;
	t->limit = limit;
	t->bytes = 0;
	return 0;
}

void
us_reass_drop(struct us_reass_tab *t, struct us_reass *r)
{
	us_pkt_free(r->frags);
	t->bytes -= r->bytes;
	memset(r, 0, sizeof(*r));
}

void
us_reass_tab_fini(struct us_reass_tab *t)
{
	uint32_t i;

	if (t->slots == NULL)
		return;
	for (i = 0; i < t->n; i++)
		if (t->slots[i].used)
			us_reass_drop(t, &t->slots[i]);
	free(t->slots);
	t->slots = NULL;
}

/* The slot whose datagram is oldest, other than except; NULL if none. */
static struct us_reass *
oldest(struct us_reass_tab *t, const struct us_reass *except)
{
	struct us_reass *old = NULL;
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		struct us_reass *o = &t->slots[i];

		if (o->used && o != except && (old == NULL || o->expire < old->expire))
			old = o;
	}
	return old;
}

struct us_reass *
us_reass_get(struct us_reass_tab *t, const struct us_reass_key *key, uint64_t expire,
	     uint64_t *nomem)
{
	struct us_reass *r = NULL;
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		if (!t->slots[i].used) {
			if (r == NULL)
				r = &t->slots[i];
			continue;
		}
		if (memcmp(&t->slots[i].key, key, sizeof(*key)) == 0)
			return &t->slots[i];
	}
	if (r == NULL) {
		/* All slots busy: the oldest datagram is the likeliest to be lost already. */
		(*nomem)++;
		r = oldest(t, NULL);
		us_reass_drop(t, r);
	}
	r->key = *key;
	r->used = 1;
	r->expire = expire;
	return r;
}

/* What placing a fragment in its datagram's list found. */
enum verdict {
	FRAG_OK = 0,		/* fits at the place returned */
	FRAG_DUP,		/* an exact duplicate: drop this fragment alone */
	FRAG_BAD,		/* past the end the last fragment fixed: drop the datagram */
	FRAG_OVERLAP,		/* overlaps another differently: drop the datagram */
	FRAG_TOOMANY,		/* more fragments than allowed: drop the datagram */
};

/*
 * Finds where the fragment [off, off + len) goes in r (offset order).  A
 * last fragment sets r's have_last and total.  On FRAG_OK *at is where.
 */
static enum verdict
place(struct us_reass *r, uint32_t off, uint32_t len, int more, struct us_pkt ***at)
{
	uint32_t end = off + len;
	struct us_pkt **pp, *p;

	if (r->have_last && (end > r->total || (!more && end != r->total)))
		return FRAG_BAD;
	if (!more) {
		/* The last fragment fixes the length; nothing may lie beyond it. */
		for (p = r->frags; p != NULL; p = p->next)
			if (FOFF(p) + p->len > end)
				return FRAG_OVERLAP;
		r->have_last = 1;
		r->total = end;
	}
	for (pp = &r->frags; *pp != NULL && FOFF(*pp) < off; pp = &(*pp)->next)
		;
	/* Compare with the neighbours on both sides. */
	if (*pp != NULL && FOFF(*pp) == off && (*pp)->len == len)
		return FRAG_DUP;
	if (*pp != NULL && FOFF(*pp) < end)
		return FRAG_OVERLAP;
	for (p = r->frags; p != NULL && p != *pp; p = p->next)
		if (FOFF(p) + p->len > off)
			return FRAG_OVERLAP;
	if (r->nfrags >= REASS_MAX_FRAGS)
		return FRAG_TOOMANY;
	*at = pp;
	return FRAG_OK;
}

/* Makes room for len more bytes by dropping the oldest other datagrams.  0 or -1. */
static int
room(struct us_reass_tab *t, const struct us_reass *r, uint32_t len, uint64_t *nomem)
{
	while (t->bytes + len > t->limit) {
		/* Over the memory limit: give up on the oldest other datagram, or this one. */
		struct us_reass *old = oldest(t, r);

		(*nomem)++;
		if (old == NULL)
			return -1;
		us_reass_drop(t, old);
	}
	return 0;
}

/* Links pkt at the place found; returns the whole datagram once no hole is left. */
static struct us_pkt *
insert(struct us_reass_tab *t, struct us_reass *r, struct us_pkt **at, struct us_pkt *pkt,
       uint32_t off, uint64_t now)
{
	struct us_pkt *head, *p;

	pkt->time = off;
	pkt->next = *at;
	*at = pkt;
	r->nfrags++;
	r->bytes += pkt->len;
	t->bytes += pkt->len;
	if (!r->have_last || r->bytes != r->total)
		return NULL;
	/* Complete: no overlaps were admitted, so equal byte count means no holes. */
	head = r->frags;
	t->bytes -= r->bytes;
	memset(r, 0, sizeof(*r));
	for (p = head; p != NULL; p = p->next)
		p->time = now;
	return head;
}

struct us_pkt *
us_reass_add(struct us_reass_tab *t, struct us_reass *r, struct us_pkt *pkt, uint32_t off, int more,
	     uint64_t now, const struct us_reass_count *c)
{
	struct us_pkt **at;

	switch (place(r, off, pkt->len, more, &at)) {
	case FRAG_DUP:
		(*c->dup)++;
		us_pkt_free(pkt);
		return NULL;
	case FRAG_BAD:
		(*c->bad)++;
		goto drop_all;
	case FRAG_OVERLAP:
		(*c->overlap)++;
		goto drop_all;
	case FRAG_TOOMANY:
		(*c->nomem)++;
		goto drop_all;
	case FRAG_OK:
		break;
	}
	if (room(t, r, pkt->len, c->nomem) == 0)
		return insert(t, r, at, pkt, off, now);
drop_all:
	us_reass_drop(t, r);
	us_pkt_free(pkt);
	return NULL;
}

int
us_reass_have_first(const struct us_reass *r)
{
	return r->frags != NULL && FOFF(r->frags) == 0;
}

struct us_reass *
us_reass_expired(struct us_reass_tab *t, uint64_t now)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		if (t->slots[i].used && t->slots[i].expire <= now)
			return &t->slots[i];
	return NULL;
}

uint64_t
us_reass_deadline(const struct us_reass_tab *t)
{
	uint64_t d = UINT64_MAX;
	uint32_t i;

	for (i = 0; i < t->n; i++)
		if (t->slots[i].used && t->slots[i].expire < d)
			d = t->slots[i].expire;
	return d;
}

void
us_iov_copy(uint8_t *dst, const struct us_iov *iov, int *vi, uint32_t *vo, uint32_t len)
{
	while (len > 0) {
		uint32_t n = iov[*vi].len - *vo;

		if (n > len)
			n = len;
		memcpy(dst, (const uint8_t *)iov[*vi].base + *vo, n);
		dst += n;
		len -= n;
		*vo += n;
		if (*vo == iov[*vi].len) {
			(*vi)++;
			*vo = 0;
		}
	}
}

int
us_iov_from_chain(struct us_iov *iov, int max, const struct us_pkt *pkt, uint32_t skip)
{
	int n = 0;

	for (; pkt != NULL; pkt = pkt->next) {
		if (skip >= pkt->len) {
			skip -= pkt->len;
			continue;
		}
		if (n == max)
			return -1;
		iov[n].base = us_pkt_data(pkt) + skip;
		iov[n].len = pkt->len - skip;
		skip = 0;
		n++;
	}
	return n;
}

int
us_icmp_rate_ok(uint64_t now, uint64_t *at, uint32_t *tokens)
{
	uint64_t add = (now - *at) * US_ICMP_RATE_PER_S / 1000000000ull;

	if (add > 0) {
		if (add + *tokens >= US_ICMP_BURST) {
			*tokens = US_ICMP_BURST;
			*at = now;
		} else {
			/* Advance by the tokens' worth of time only: keep the part of a token earned. */
			*tokens += (uint32_t)add;
			*at += add * 1000000000ull / US_ICMP_RATE_PER_S;
		}
	}
	if (*tokens == 0)
		return 0;
	(*tokens)--;
	return 1;
}
