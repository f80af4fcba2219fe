/*
 * neigh.c - the neighbour cache mechanics ARP (arp.c, RFC 826) and IPv6
 * neighbour discovery (nd6.c, RFC 4861 7.3) share: the choice of a slot
 * for a new address, clearing an entry, and the bounded queue of packets
 * that wait, on output, for a neighbour's link address.
 */
#include <errno.h>
#include <string.h>

#include "neigh.h"

static struct us_neigh *
at(const struct us_neigh_tab *t, uint32_t i)
{
	return (struct us_neigh *)((char *)t->tab + (size_t)t->esize * (i & (t->size - 1)));
}

struct us_neigh *
us_neigh_new(const struct us_neigh_tab *t, uint32_t slot, const void *key)
{
	struct us_neigh *n = NULL, *victim = NULL;
	uint32_t i;

	for (i = 0; i < US_NEIGH_PROBE_SLOTS; i++) {
		struct us_neigh *e = at(t, slot + i);

		if (e->state == US_NEIGH_FREE) {
			n = e;
			break;
		}
		/* An address being resolved keeps its slot: packets wait on it. */
		if (e->state == US_NEIGH_INCOMPLETE)
			continue;
		if (victim == NULL || e->timer < victim->timer)
			victim = e;
	}
	if (n == NULL) {
		if (victim == NULL)
			return NULL;
		us_neigh_clear(t, victim);
		n = victim;
	}
	memcpy(n + 1, key, t->keylen);
	return n;
}

void
us_neigh_clear(const struct us_neigh_tab *t, struct us_neigh *n)
{
	struct us_pkt *q = n->pend;

	while (q != NULL) {
		struct us_pkt *next = q->qnext;

		(*t->resolve_fail)++;
		q->qnext = NULL;
		us_pkt_free(q);
		(*t->npend)--;
		q = next;
	}
	memset(n, 0, t->esize);
}

void
us_neigh_clear_all(const struct us_neigh_tab *t)
{
	uint32_t i;

	for (i = 0; i < t->size; i++)
		us_neigh_clear(t, at(t, i));
}

int
us_neigh_enqueue(struct us_neigh *n, uint32_t *npend, struct us_pkt *pkt)
{
	struct us_pkt **pp;

	if (n->npend >= US_NEIGH_PEND_PER_ENTRY || *npend >= US_NEIGH_PEND_TOTAL) {
		us_pkt_free(pkt);
		return -ENOBUFS;
	}
	for (pp = &n->pend; *pp != NULL; pp = &(*pp)->qnext)
		;
	pkt->qnext = NULL;
	*pp = pkt;
	n->npend++;
	(*npend)++;
	return 0;
}

void
us_neigh_flush(struct us_stack *st, struct us_neigh *n, uint32_t *npend, uint16_t type)
{
	struct us_pkt *q = n->pend;

	n->pend = NULL;
	n->npend = 0;
	while (q != NULL) {
		struct us_pkt *next = q->qnext;

		q->qnext = NULL;
		(*npend)--;
		us_eth_output(st, q, n->mac, type);
		q = next;
	}
}
