/*
 * ip4_frag.c - IPv4 reassembly (RFC 791 3.2, RFC 815).  Fragments wait in
 * a few slots, sorted by offset, under a byte limit and a 30 s timeout
 * (the table and list rules are ip_subr.c's, shared with IPv6).
 * A fragment that overlaps another differently drops the whole datagram
 * (overlaps are only ever attacks, as RFC 5722 says for IPv6); an exact
 * duplicate is dropped alone.  Fragments that would reassemble above
 * 65535 bytes are dropped (the "ping of death").
 */
#include <string.h>

#include "../core/stack.h"
#include "../wire/wire.h"
#include "ip4.h"
#include "ip_subr.h"

#define REASS_TIMEOUT_NS	(30ull * 1000000000ull)

int
us_ip4_reass_init(struct us_stack *st, uint32_t nslots, uint32_t limit)
{
	return us_reass_tab_init(&st->ip.reass, nslots, limit);
}

void
us_ip4_reass_fini(struct us_stack *st)
{
	us_reass_tab_fini(&st->ip.reass);
}

struct us_pkt *
us_ip4_reass(struct us_stack *st, struct us_pkt *pkt, uint16_t id, uint16_t frag)
{
	struct us_ip4_stats *is = &st->stats->ip4;
	uint32_t off = (uint32_t)(frag & US_IP4_OFFMASK) * 8;
	uint32_t len = pkt->len, end = off + len;
	int more = (frag & US_IP4_MF) != 0;
	const struct us_reass_count count = {&is->rx_frag_dup, &is->rx_frag_bad,
					     &is->rx_frag_overlap, &is->rx_frag_nomem};
	struct us_reass_key key;
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
	/* A chain of separate buffers: a fragment held by a driver must not be borrowed forever. */
	if (pkt->next != NULL) {
		is->rx_frag_bad++;
		goto drop;
	}
	/* A fragment waits for the others only while the pool can spare it (us_pool_keep). */
	if (!us_pool_keep(st->pool, pkt)) {
		is->rx_frag_nomem++;
		goto drop;
	}
	/* RFC 791 3.2: source, destination, protocol and identification name the datagram. */
	memset(&key, 0, sizeof(key));
	key.v4.src = pkt->ip_src;
	key.v4.dst = pkt->ip_dst;
	key.v4.id = id;
	key.v4.proto = pkt->ip_proto;
	r = us_reass_get(&st->ip.reass, &key, st->now + REASS_TIMEOUT_NS, &is->rx_frag_nomem);
	return us_reass_add(&st->ip.reass, r, pkt, off, more, st->now, &count);
drop:
	us_pkt_free(pkt);
	return NULL;
}

void
us_ip4_reass_timer(struct us_stack *st, uint64_t now)
{
	struct us_reass *r;

	while ((r = us_reass_expired(&st->ip.reass, now)) != NULL) {
		st->stats->ip4.rx_frag_timeout++;
		us_reass_drop(&st->ip.reass, r);
	}
}

uint64_t
us_ip4_reass_deadline(const struct us_stack *st)
{
	return us_reass_deadline(&st->ip.reass);
}
