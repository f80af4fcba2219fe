/*
 * neigh.h - the neighbour cache mechanics ARP (arp.c) and IPv6 neighbour
 * discovery (nd6.c) share: an open-addressed table searched over a few
 * slots from the address's hash, the victim when they are all taken, and
 * the bounded queue of packets waiting for a link address.  Each protocol
 * keeps its entry type, its hash, its states, timers, messages and
 * counters; its entries begin with struct us_neigh (core/stack.h) and
 * have their address, the key, right after it.
 */
#ifndef US_NEIGH_H
#define US_NEIGH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../core/stack.h"
#include "link.h"

#define US_NEIGH_FREE		0	/* slot unused */
#define US_NEIGH_INCOMPLETE	1	/* resolving: never taken for another address */
#define US_NEIGH_PROBE_SLOTS	8	/* slots an address may live in */
#define US_NEIGH_PEND_PER_ENTRY	64	/* packets waiting per address: a 64 KiB datagram in fragments */
#define US_NEIGH_PEND_TOTAL	256	/* packets waiting in all, per table */

_Static_assert(US_ARP_FREE == US_NEIGH_FREE && US_ND_FREE == US_NEIGH_FREE &&
		   US_ARP_INCOMPLETE == US_NEIGH_INCOMPLETE &&
		   US_ND_INCOMPLETE == US_NEIGH_INCOMPLETE,
	       "neigh.c reads the protocols' FREE and INCOMPLETE states");
_Static_assert(offsetof(struct us_arp_entry, ip) == sizeof(struct us_neigh) &&
		   offsetof(struct us_nd_entry, ip) == sizeof(struct us_neigh),
	       "an entry's address follows its struct us_neigh");
_Static_assert(US_NEIGH_PEND_PER_ENTRY <= UINT8_MAX, "struct us_neigh counts npend in 8 bits");

/*
 * One protocol's table as us_neigh_new and us_neigh_clear see it, built
 * per call (US_NEIGH_TAB); the counts stay in struct us_arp and us_nd.
 */
struct us_neigh_tab {
	void *tab;		/* the entries */
	uint32_t size;		/* how many (power of two) */
	uint32_t esize;		/* bytes per entry */
	uint32_t keylen;	/* bytes of its address */
	uint32_t *npend;	/* packets waiting in the whole table */
	uint64_t *next_timer;	/* earliest timer of any entry */
	uint64_t *resolve_fail; /* the counter of waiting packets freed unsent */
};

/*
 * The struct us_neigh_tab of cache c (st->arp, st->nd: they name their
 * fields alike and their entries' address ip), counting in fail.
 */
#define US_NEIGH_TAB(c, fail)                                                                      \
	((struct us_neigh_tab){.tab = (c).tab,                                                     \
			       .size = (c).size,                                                   \
			       .esize = sizeof(*(c).tab),                                          \
			       .keylen = sizeof((c).tab->ip),                                      \
			       .npend = &(c).npend,                                                \
			       .next_timer = &(c).next_timer,                                      \
			       .resolve_fail = &(fail)})

/*
 * The entry whose keylen-byte address is key, searched from slot over
 * US_NEIGH_PROBE_SLOTS slots of tab (size entries of esize bytes), or
 * NULL.  Inline: every packet sent looks its next hop up.
 */
static inline struct us_neigh *
us_neigh_find(void *tab, uint32_t size, size_t esize, uint32_t slot, const void *key, size_t keylen)
{
	uint32_t i;

	for (i = 0; i < US_NEIGH_PROBE_SLOTS; i++) {
		struct us_neigh *n =
		    (struct us_neigh *)((char *)tab + esize * ((slot + i) & (size - 1)));

		if (n->state != US_NEIGH_FREE && memcmp(n + 1, key, keylen) == 0)
			return n;
	}
	return NULL;
}

/* Sets n's timer to when and lowers the table's earliest timer to it. */
static inline void
us_neigh_set_timer(uint64_t *next_timer, struct us_neigh *n, uint64_t when)
{
	n->timer = when;
	if (when < *next_timer)
		*next_timer = when;
}

/*
 * An entry for the address key, from slot: a free one, else the entry
 * due soonest that is not resolving, cleared.  The entry has its address
 * and is otherwise zero (state FREE: the caller sets it).  NULL when every
 * candidate slot is resolving.
 */
struct us_neigh *us_neigh_new(const struct us_neigh_tab *t, uint32_t slot, const void *key);
/* Frees what waited for n (counted in *t->resolve_fail) and zeroes the whole entry. */
void us_neigh_clear(const struct us_neigh_tab *t, struct us_neigh *n);
/* Clears every entry (at the end of the stack). */
void us_neigh_clear_all(const struct us_neigh_tab *t);
/*
 * Appends pkt to what waits for n, under the bounds per entry and per
 * table (*npend: the table's count), so that packets leave in the order
 * they were sent.  Consumes pkt.  Returns 0, or -ENOBUFS when the queue
 * was full and pkt freed.
 */
int us_neigh_enqueue(struct us_neigh *n, uint32_t *npend, struct us_pkt *pkt);
/*
 * Sends what waited for n to n->mac as type (an ethertype), in order
 * (*npend: the table's count); n's queue is empty after.
 */
void us_neigh_flush(struct us_stack *st, struct us_neigh *n, uint32_t *npend, uint16_t type);

#endif /* US_NEIGH_H */
