/*
 * ip_subr.h - what IPv4 and IPv6 share: the reassembly table and one
 * datagram's fragment list (RFC 815 holes, RFC 5722 overlap rule),
 * gathering a datagram from an iov or a chain, and the ICMP error token
 * bucket.
 */
#ifndef US_IP_SUBR_H
#define US_IP_SUBR_H

#include <stdint.h>

#include "ip4.h"

struct us_pkt;

struct us_reass;
struct us_reass_key;
struct us_reass_tab;

/* Where us_reass_add counts the fragments it drops, by reason. */
struct us_reass_count {
	uint64_t *dup;		/* exact duplicates (dropped alone) */
	uint64_t *bad;		/* inconsistent with the datagram's end (it goes) */
	uint64_t *overlap;	/* overlapping another fragment (the datagram goes, RFC 5722) */
	uint64_t *nomem;	/* over the fragment or byte limit */
};

/* Sets up n empty slots under a byte limit.  0 or -ENOMEM. */
int us_reass_tab_init(struct us_reass_tab *t, uint32_t n, uint32_t limit);
/* Frees every waiting fragment and the slots. */
void us_reass_tab_fini(struct us_reass_tab *t);
/*
 * The slot of the datagram key names, or a new one expiring at expire;
 * when every slot is busy the oldest datagram goes (counted in *nomem).
 */
struct us_reass *us_reass_get(struct us_reass_tab *t, const struct us_reass_key *key,
			      uint64_t expire, uint64_t *nomem);
/* Frees r's fragments and the slot. */
void us_reass_drop(struct us_reass_tab *t, struct us_reass *r);
/*
 * Adds the fragment in pkt (data: its payload, at byte offset off; more:
 * its more-fragments flag) to the datagram of slot r; consumes pkt.
 * Returns the whole datagram as a chain, the slot freed, once no hole is
 * left; else NULL (held, or dropped and counted in c).
 */
struct us_pkt *us_reass_add(struct us_reass_tab *t, struct us_reass *r, struct us_pkt *pkt,
			    uint32_t off, int more, uint64_t now, const struct us_reass_count *c);
/* Does r hold its first fragment (offset 0)?  Then it is r->frags. */
int us_reass_have_first(const struct us_reass *r);
/* A slot whose datagram has timed out by now, or NULL. */
struct us_reass *us_reass_expired(struct us_reass_tab *t, uint64_t now);
/* The earliest timeout of the table; UINT64_MAX if it is empty. */
uint64_t us_reass_deadline(const struct us_reass_tab *t);

/* Copies len bytes from the iov at (*vi, *vo) to dst, advancing the cursor. */
void us_iov_copy(uint8_t *dst, const struct us_iov *iov, int *vi, uint32_t *vo, uint32_t len);
/*
 * Points iov[0..max) at the bytes of a chain from skip on; borrows pkt.
 * Returns the entries used, or -1 when the chain has more pieces than max.
 */
int us_iov_from_chain(struct us_iov *iov, int max, const struct us_pkt *pkt, uint32_t skip);

#define US_ICMP_RATE_PER_S	100	/* ICMP errors sent per second, sustained */
#define US_ICMP_BURST		50	/* and in a burst */

/*
 * RFC 1812 4.3.2.8, RFC 4443 2.4(f): may one more error go now?  A token
 * bucket (tokens, filled at *at) shared by all destinations; takes a
 * token when it says yes.
 */
int us_icmp_rate_ok(uint64_t now, uint64_t *at, uint32_t *tokens);

#endif /* US_IP_SUBR_H */
