/*
 * arp.c - ARP for IPv4 over Ethernet (RFC 826): the neighbour cache, the
 * bounded queue of packets waiting for an answer, replies for our own
 * address only, and a gratuitous announcement at start (RFC 5227 2.3).
 * Entries age as Linux's do: REACHABLE for a while, then STALE (still used,
 * refreshed by a unicast probe on next use), then gone if the probe fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/stack.h"
#include "../wire/wire.h"
#include "../ip/dhcp.h"
#include "link.h"
#include "neigh.h"

#define ARP_REACHABLE_NS	(30ull * 1000000000ull)	/* an answer stays fresh */
#define ARP_STALE_NS		(600ull * 1000000000ull)	/* an unused stale entry is kept */
#define ARP_RETRY_NS		(1000000000ull)	/* between requests */
#define ARP_TRIES		3	/* requests before giving up */

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint32_t
slot_of(const struct us_stack *st, uint32_t ip)
{
	/* Multiplicative hash: neighbours on one subnet differ in the low bits. */
	return (ip * 2654435761u) >> 8 & (st->arp.size - 1);
}

/* The ARP cache as neigh.c sees it. */
static struct us_neigh_tab
cache(struct us_stack *st)
{
	return US_NEIGH_TAB(st->arp, st->stats->arp.resolve_fail);
}

/* Inline: us_arp_output looks up every packet's next hop. */
static inline struct us_arp_entry *
find(const struct us_stack *st, uint32_t ip)
{
	return (struct us_arp_entry *)us_neigh_find(st->arp.tab, st->arp.size, sizeof(*st->arp.tab),
						    slot_of(st, ip), &ip, sizeof(ip));
}

/* Frees e and what waited for it (counted: the address did not resolve). */
static void
entry_clear(struct us_stack *st, struct us_arp_entry *e)
{
	struct us_neigh_tab t = cache(st);

	us_neigh_clear(&t, &e->n);
}

/*
 * A slot for a new address, holding it: a free one, else the stalest
 * entry not being resolved.  Returns NULL when all candidate slots are
 * resolving.
 */
static struct us_arp_entry *
slot_new(struct us_stack *st, uint32_t ip)
{
	struct us_neigh_tab t = cache(st);

	return (struct us_arp_entry *)us_neigh_new(&t, slot_of(st, ip), &ip);
}

static void
set_timer(struct us_stack *st, struct us_arp_entry *e, uint64_t when)
{
	us_neigh_set_timer(&st->arp.next_timer, &e->n, when);
}

int
us_arp_init(struct us_stack *st, uint32_t size)
{
	st->arp.tab = calloc(size, sizeof(*st->arp.tab));
	if (st->arp.tab == NULL)
		return -ENOMEM;
	st->arp.size = size;
	st->arp.npend = 0;
	st->arp.next_timer = UINT64_MAX;
	return 0;
}

void
us_arp_fini(struct us_stack *st)
{
	struct us_neigh_tab t;

	if (st->arp.tab == NULL)
		return;
	t = cache(st);
	us_neigh_clear_all(&t);
	free(st->arp.tab);
	st->arp.tab = NULL;
}

/* Builds and queues one ARP message; dst_mac NULL means broadcast. */
static void
send_arp(struct us_stack *st, uint16_t op, const uint8_t *dst_mac, const uint8_t *tha,
	 uint32_t spa, uint32_t tpa)
{
	struct us_pkt *pkt = us_pkt_alloc(st->pool);
	uint8_t *a;

	if (pkt == NULL) {
		st->stats->ip4.tx_nobuf++;
		return;
	}
	a = us_pkt_append(pkt, US_ARP_LEN);
	us_put16(a + US_ARP_HTYPE, 1);
	us_put16(a + US_ARP_PTYPE, US_ETHERTYPE_IPV4);
	a[US_ARP_HLEN] = 6;
	a[US_ARP_PLEN] = 4;
	us_put16(a + US_ARP_OP, op);
	memcpy(a + US_ARP_SHA, st->mac, 6);
	us_put32(a + US_ARP_SPA, spa);
	if (tha != NULL)
		memcpy(a + US_ARP_THA, tha, 6);
	else
		memset(a + US_ARP_THA, 0, 6);
	us_put32(a + US_ARP_TPA, tpa);
	us_eth_output(st, pkt, dst_mac != NULL ? dst_mac : bcast_mac, US_ETHERTYPE_ARP);
}

static void
send_request(struct us_stack *st, struct us_arp_entry *e, const uint8_t *unicast)
{
	st->stats->arp.tx_request++;
	send_arp(st, US_ARP_REQUEST, unicast, NULL, st->ip4, e->ip);
}

void
us_arp_probe(struct us_stack *st, uint32_t ip)
{
	/* RFC 5227 2.1.1: sender address zero, so no cache anywhere learns it yet. */
	send_arp(st, US_ARP_REQUEST, NULL, NULL, 0, ip);
}

void
us_arp_announce(struct us_stack *st)
{
	/* RFC 5227 2.3: a request with sender and target both our address. */
	st->stats->arp.tx_gratuitous++;
	send_arp(st, US_ARP_REQUEST, NULL, NULL, st->ip4, st->ip4);
}

/* Sends what waited for e, now that its MAC is known. */
static void
flush_pending(struct us_stack *st, struct us_arp_entry *e)
{
	us_neigh_flush(st, &e->n, &st->arp.npend, US_ETHERTYPE_IPV4);
}

/* Records ip -> mac as fresh; creates the entry only when create is set. */
static void
learn(struct us_stack *st, uint32_t ip, const uint8_t *mac, int create)
{
	struct us_arp_entry *e = find(st, ip);

	if (e == NULL) {
		if (!create)
			return;
		e = slot_new(st, ip);
		if (e == NULL) {
			st->stats->arp.cache_full++;
			return;
		}
	}
	memcpy(e->n.mac, mac, 6);
	e->state = US_ARP_REACHABLE;
	e->tries = 0;
	set_timer(st, e, st->now + ARP_REACHABLE_NS);
	flush_pending(st, e);
}

void
us_arp_note(struct us_stack *st, uint32_t ip, const uint8_t mac[6])
{
	learn(st, ip, mac, 1);
}

void
us_arp_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_arp_stats *as = &st->stats->arp;
	const uint8_t *a = us_pkt_data(pkt);
	uint32_t spa, tpa;
	uint16_t op;

	as->rx++;
	if (pkt->len < US_ARP_LEN) {
		as->rx_short++;
		goto drop;
	}
	if (us_get16(a + US_ARP_HTYPE) != 1 || us_get16(a + US_ARP_PTYPE) != US_ETHERTYPE_IPV4 ||
	    a[US_ARP_HLEN] != 6 || a[US_ARP_PLEN] != 4) {
		as->rx_bad++;
		goto drop;
	}
	op = us_get16(a + US_ARP_OP);
	if (op != US_ARP_REQUEST && op != US_ARP_REPLY) {
		as->rx_badop++;
		goto drop;
	}
	spa = us_get32(a + US_ARP_SPA);
	tpa = us_get32(a + US_ARP_TPA);
	if ((a[US_ARP_SHA] & 1) != 0 || us_ip4_is_multicast(spa) || spa == 0xffffffffu) {
		/* A multicast sender MAC or address would poison the cache. */
		as->rx_badsrc++;
		goto drop;
	}
	if (st->dhcp.state == US_DHCP_PROBING)
		us_dhcp_arp_seen(st, spa, tpa, a + US_ARP_SHA);
	if (spa == st->ip4 && spa != 0) {
		if (memcmp(a + US_ARP_SHA, st->mac, 6) != 0)
			as->conflict++;
		goto drop;
	}
	/*
	 * RFC 826 "packet reception": update the sender if we know it; add
	 * it only for a request to us (we are about to talk back).  A reply
	 * we did not ask for adds nothing: an entry being resolved is found
	 * and updated, anything else would let any host plant an entry.
	 */
	if (spa != 0)
		learn(st, spa, a + US_ARP_SHA, op == US_ARP_REQUEST && tpa == st->ip4);
	if (op == US_ARP_REPLY) {
		as->rx_reply++;
		goto drop;
	}
	if (tpa != st->ip4 || st->ip4 == 0) {
		/* (Without an address yet, DHCP's, we answer for none.) */
		as->rx_notours++;
		goto drop;
	}
	as->rx_request++;
	as->tx_reply++;
	send_arp(st, US_ARP_REPLY, a + US_ARP_SHA, a + US_ARP_SHA, st->ip4, spa);
drop:
	us_pkt_free(pkt);
}

int
us_arp_output(struct us_stack *st, struct us_pkt *pkt, uint32_t nexthop)
{
	struct us_arp_entry *e = find(st, nexthop);

	if (e != NULL && e->state >= US_ARP_REACHABLE) {
		if (e->state == US_ARP_STALE) {
			/* Used while stale: confirm with a unicast request, keep sending. */
			e->state = US_ARP_PROBE;
			e->tries = 1;
			send_request(st, e, e->n.mac);
			set_timer(st, e, st->now + ARP_RETRY_NS);
		}
		us_eth_output(st, pkt, e->n.mac, US_ETHERTYPE_IPV4);
		return 0;
	}
	if (e == NULL) {
		e = slot_new(st, nexthop);
		if (e == NULL) {
			st->stats->arp.cache_full++;
			us_pkt_free(pkt);
			return -ENOBUFS;
		}
		e->state = US_ARP_INCOMPLETE;
		e->tries = 1;
		send_request(st, e, NULL);
		set_timer(st, e, st->now + ARP_RETRY_NS);
	}
	if (us_neigh_enqueue(&e->n, &st->arp.npend, pkt) != 0) {
		st->stats->arp.queue_drop++;
		return -ENOBUFS;
	}
	return 0;
}

void
us_arp_timer(struct us_stack *st, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	uint32_t i;

	if (now < st->arp.next_timer)
		return;
	for (i = 0; i < st->arp.size; i++) {
		struct us_arp_entry *e = &st->arp.tab[i];

		if (e->state == US_ARP_FREE)
			continue;
		if (e->n.timer <= now) {
			switch (e->state) {
			case US_ARP_INCOMPLETE:
			case US_ARP_PROBE:
				if (e->tries >= ARP_TRIES) {
					entry_clear(st, e);
					continue;
				}
				e->tries++;
				/* A probe of a stale entry asks the known MAC first, then everyone. */
				send_request(st, e, e->state == US_ARP_PROBE && e->tries == 2 ?
							    e->n.mac : NULL);
				e->n.timer = now + ARP_RETRY_NS;
				break;
			case US_ARP_REACHABLE:
				e->state = US_ARP_STALE;
				e->n.timer = now + ARP_STALE_NS;
				break;
			case US_ARP_STALE:
				entry_clear(st, e);
				continue;
			}
		}
		if (e->n.timer < next)
			next = e->n.timer;
	}
	st->arp.next_timer = next;
}

int
us_arp_lookup(const struct us_stack *st, uint32_t ip, uint8_t mac[6])
{
	const struct us_arp_entry *e = find(st, ip);

	if (e == NULL || e->state < US_ARP_REACHABLE)
		return -ENOENT;
	memcpy(mac, e->n.mac, 6);
	return 0;
}
