/*
 * pkt.h - packet buffers and their fixed-size pools.  A us_pkt has headroom
 * so lower layers prepend headers in place, a reference count, and a free
 * callback for frames a driver owns (an AF_PACKET ring slot, a DPDK mbuf).
 */
#ifndef US_PKT_H
#define US_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "../wire/wire.h"

struct us_pkt;
struct us_pool;

typedef void us_pkt_free_cb(struct us_pkt *pkt, void *arg);

#define US_PKT_CSUM_OK	0x0001	/* L4 checksum already verified (or sender is local) */
#define US_PKT_BCAST	0x0002	/* arrived as link-layer broadcast */
#define US_PKT_TCP_FIN	0x0004	/* an out-of-order TCP segment that carried FIN */
#define US_PKT_PINNED	0x0008	/* lent to the application in place: a driver must not move it */
#define US_PKT_TX_IP4_CSUM 0x0010	/* the link fills in the IPv4 header checksum */
#define US_PKT_TX_L4_CSUM 0x0020	/* the link completes the TCP/UDP checksum (pseudo-header sum in it) */
#define US_PKT_IP6	0x0040	/* an IPv6 datagram: ip6_src/ip6_dst, not ip_src/ip_dst */
#define US_PKT_MCAST	0x0080	/* arrived for a multicast group (IPv6) */
#define US_PKT_RING	0x0100	/* data in a driver's ring slot that must be copied out before the ring comes round */
#define US_PKT_CHARGED	0x0200	/* a US_PKT_RING buffer kept: counted in its pool's promised (us_pool_keep) */
/* What a flag says of the buffer, not of the data in it: a copy has none of them. */
#define US_PKT_BUF_FLAGS (US_PKT_PINNED | US_PKT_RING | US_PKT_CHARGED)

struct us_pkt {
	struct us_pkt *next;	/* next buffer of the same datagram (fragments) */
	struct us_pkt *qnext;	/* next datagram in a queue */
	uint8_t *buf;		/* start of the buffer */
	uint32_t off;		/* first data byte, from buf */
	uint32_t len;		/* data bytes in this buffer */
	uint32_t cap;		/* buffer size */
	uint16_t refcnt;	/* references; freed at zero */
	uint16_t flags;		/* US_PKT_* */
	struct us_pool *pool;	/* where the header returns */
	us_pkt_free_cb *free_cb;	/* driver-owned data: called at last free */
	void *free_arg;		/* argument of free_cb */
	uint64_t time;		/* receive time, or release time in a delay line */
	/* Filled on input by the layers as they parse. */
	union {
		struct {
			uint32_t ip_src;	/* IPv4 source, host order */
			uint32_t ip_dst;	/* IPv4 destination, host order */
		};
		struct {
			struct us_in6 ip6_src;	/* IPv6 source (US_PKT_IP6) */
			struct us_in6 ip6_dst;	/* IPv6 destination */
		};
	};
	uint16_t l3_len;	/* IP header length of the first buffer (IPv6: with extension headers) */
	uint8_t ip_proto;	/* IP protocol (IPv6: the upper-layer Next Header) */
	uint8_t ip_tos;		/* IP type of service, IPv6 traffic class */
	uint8_t ip_ttl;		/* IP time to live, IPv6 hop limit */
};

struct us_pool_stats {
	uint64_t alloc;		/* successful allocations */
	uint64_t fail;		/* allocations refused: pool empty */
};

struct us_pool {
	struct us_pkt *free;	/* free list */
	uint32_t n;		/* buffers in the pool */
	uint32_t avail;		/* buffers on the free list */
	uint32_t bufsize;	/* bytes per buffer (0: headers only) */
	uint32_t headroom;	/* default data offset */
	uint32_t promised;	/* ring frames kept (US_PKT_CHARGED): each may need a buffer to be copied out */
	struct us_pkt *hdrs;	/* the headers, one block */
	uint8_t *mem;		/* the buffers, one block */
	struct us_pool_stats stats;
};

/* Returns a pool of n buffers of bufsize bytes each, or NULL (ENOMEM). */
struct us_pool *us_pool_create(uint32_t n, uint32_t bufsize, uint32_t headroom);
/* Frees the pool; every buffer must be back (returns -EBUSY otherwise, leaks). */
int us_pool_destroy(struct us_pool *pool);

/*
 * The pool is shared by queues that wait on a peer or on the application
 * (TCP's send buffers, data received and not yet read) and by what lets
 * them drain (segments on their way out, ACKs, ARP, ICMP, frames being
 * received).  So that a pool smaller than the sockets' buffers cannot fill
 * with the first kind and stop the second -- a deadlock -- queues may only
 * grow while buffers are left over:
 *
 *  - us_pool_base: kept back from both kinds of queue, for what is on its
 *    way (8 buffers up to a pool of 128, then a sixteenth);
 *  - promised: one for each ring frame kept in place (US_PKT_CHARGED): the
 *    ring stops at such a frame when it comes round, until the driver
 *    copies it out, and a stopped ring takes in no ACK;
 *  - a send queue grows while more than base + promised are free
 *    (us_pool_reserve); received data is kept only while base more again
 *    are (us_pool_keep), so that an application that sends before it
 *    reads more (an echo) can always send.
 */
static inline uint32_t
us_pool_base(const struct us_pool *pool)
{
	uint32_t r = pool->n / 16;

	return r < 8 ? 8 : r;
}

/* Free buffers a send queue leaves in the pool. */
static inline uint32_t
us_pool_reserve(const struct us_pool *pool)
{
	return us_pool_base(pool) + pool->promised;
}

/*
 * May received data in pkt (a chain: ring frames lent in place, or
 * buffers already taken from pool) be kept for later: queued to a socket,
 * held out of order or for reassembly?  1: yes, and its ring frames are
 * now charged to the pool (released at their free or copy); 0: drop it,
 * the sender sends it again.
 */
static inline int
us_pool_keep(struct us_pool *pool, struct us_pkt *pkt)
{
	uint32_t need = 0;
	struct us_pkt *p;

	for (p = pkt; p != NULL; p = p->next)
		need += (p->flags & (US_PKT_RING | US_PKT_CHARGED)) == US_PKT_RING;
	if (pool->avail < us_pool_reserve(pool) + us_pool_base(pool) + need)
		return 0;
	for (p = pkt; p != NULL; p = p->next)
		if ((p->flags & (US_PKT_RING | US_PKT_CHARGED)) == US_PKT_RING) {
			p->flags |= US_PKT_CHARGED;
			pool->promised++;
		}
	return 1;
}

/* A driver's ring frame is freed or copied out: its charge (us_pool_keep) goes. */
static inline void
us_pool_uncharge(struct us_pool *pool, struct us_pkt *pkt)
{
	if (pkt->flags & US_PKT_CHARGED) {
		pkt->flags &= (uint16_t)~US_PKT_CHARGED;
		pool->promised--;
	}
}

/* Returns a new packet (refcnt 1, empty, data at headroom) or NULL. */
struct us_pkt *us_pkt_alloc(struct us_pool *pool);
/* Drops one reference of every buffer in the chain; consumes pkt. */
void us_pkt_free(struct us_pkt *pkt);
/* Drops one reference of this buffer only, not of the buffers chained after it. */
void us_pkt_unref(struct us_pkt *pkt);
/* Frees a queue linked by qnext; consumes. */
void us_pkt_free_queue(struct us_pkt *q);
/* Returns a copy of the whole chain in buffers of pool as one chain, or NULL. */
struct us_pkt *us_pkt_copy(struct us_pool *pool, const struct us_pkt *pkt);
/* Total data bytes of a chain. */
uint32_t us_pkt_chain_len(const struct us_pkt *pkt);
/* Copies len bytes at off of the chain into dst; returns bytes copied. */
uint32_t us_pkt_chain_read(const struct us_pkt *pkt, uint32_t off, void *dst, uint32_t len);

static inline uint8_t *
us_pkt_data(const struct us_pkt *pkt)
{
	return pkt->buf + pkt->off;
}

/* Makes room for n bytes before the data; returns the new start or NULL. */
static inline uint8_t *
us_pkt_prepend(struct us_pkt *pkt, uint32_t n)
{
	if (pkt->off < n)
		return NULL;
	pkt->off -= n;
	pkt->len += n;
	return pkt->buf + pkt->off;
}

/* Drops n bytes from the front; returns the new start or NULL if too short. */
static inline uint8_t *
us_pkt_adj(struct us_pkt *pkt, uint32_t n)
{
	if (pkt->len < n)
		return NULL;
	pkt->off += n;
	pkt->len -= n;
	return pkt->buf + pkt->off;
}

/* Room after the data. */
static inline uint32_t
us_pkt_tailroom(const struct us_pkt *pkt)
{
	return pkt->cap - pkt->off - pkt->len;
}

/* Appends n bytes; returns where they go or NULL without room. */
static inline uint8_t *
us_pkt_append(struct us_pkt *pkt, uint32_t n)
{
	uint8_t *p;

	if (us_pkt_tailroom(pkt) < n)
		return NULL;
	p = pkt->buf + pkt->off + pkt->len;
	pkt->len += n;
	return p;
}

#endif /* US_PKT_H */
