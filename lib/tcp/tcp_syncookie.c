/*
 * tcp_syncookie.c - SYN cookies (RFC 4987 3.6): when a listener's queue of
 * half-open connections is full, the SYN-ACK's sequence number carries
 * everything needed to build the connection from the client's ACK, so a
 * SYN flood holds no memory.  The 32 bits are:
 *   [31:28] time slot (64 s, mod 16)   [27:26] MSS index
 *   [25:22] window scale (15: none)    [21] SACK permitted
 *   [20]    timestamps                 [19:0] keyed hash of all of it
 * The hash covers the 4-tuple, the client's ISN, the slot and the option
 * bits, so a cookie cannot be forged or moved to another connection.
 */
#include <string.h>

#include "../core/stack.h"
#include "tcp.h"

#define COOKIE_SLOT_NS	(64ull * 1000000000ull)	/* a cookie is good for 2 slots */

/* MSS values a cookie can say, the largest first (Linux uses a similar table). */
static const uint16_t mss_table[4] = { 1460, 1220, 536, 256 };

static uint32_t
cookie_hash(const struct us_stack *st, const struct us_tcp_ends *e, uint32_t isn, uint32_t bits)
{
	uint64_t w[6];
	uint32_t n = us_tcp_cookie_words(e, w);

	w[n++] = (uint64_t)isn << 32 | bits;
	return (uint32_t)us_siphash(st->tcp.cookie_key, w, (int)n) & 0xfffff;
}

uint32_t
us_tcp_cookie_make(const struct us_stack *st, const struct us_tcp_ends *e, uint32_t isn,
		   uint16_t mss, int wscale, int sack, int ts)
{
	uint32_t slot = (uint32_t)(st->now / COOKIE_SLOT_NS) & 0xf, mi = 3, bits;

	/* The largest table entry the peer's MSS allows. */
	while (mi > 0 && mss_table[mi - 1] <= mss)
		mi--;
	bits = slot << 28 | mi << 26 | (uint32_t)(wscale < 0 ? 15 : wscale) << 22 |
	       (uint32_t)(sack != 0) << 21 | (uint32_t)(ts != 0) << 20;
	return bits | cookie_hash(st, e, isn, bits);
}

int
us_tcp_cookie_check(const struct us_stack *st, const struct us_tcp_ends *e, uint32_t isn,
		    uint32_t cookie, struct us_tcp_seg *opts)
{
	uint32_t bits = cookie & 0xfff00000u, now_slot = (uint32_t)(st->now / COOKIE_SLOT_NS);
	uint32_t age = (now_slot - (cookie >> 28)) & 0xf, ws;

	if (age > 1)
		return -1;	/* older than 64-128 s */
	if (cookie_hash(st, e, isn, bits) != (cookie & 0xfffff))
		return -1;
	memset(opts, 0, sizeof(*opts));
	opts->mss = mss_table[(cookie >> 26) & 3];
	ws = (cookie >> 22) & 0xf;
	opts->wscale = ws == 15 ? -1 : (int8_t)ws;
	opts->sack_ok = (cookie >> 21) & 1;
	opts->has_ts = (cookie >> 20) & 1;
	return 0;
}
