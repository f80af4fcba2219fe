/*
 * pkt.c - fixed pools of packet buffers.  Everything is allocated once at
 * start; the per-packet path only pops and pushes a free list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

#define POOL_ALIGN	4096

struct us_pool *
us_pool_create(uint32_t n, uint32_t bufsize, uint32_t headroom)
{
	struct us_pool *pool;
	uint32_t i;

	if (n == 0 || (bufsize != 0 && headroom >= bufsize))
		return NULL;
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->hdrs = calloc(n, sizeof(*pool->hdrs));
	/* Page-aligned whole pages: a driver may register the buffers for DMA (dpdk). */
	if (bufsize != 0 && posix_memalign((void **)&pool->mem, POOL_ALIGN,
					   ((size_t)n * bufsize + POOL_ALIGN - 1) &
						   ~(size_t)(POOL_ALIGN - 1)) != 0)
		pool->mem = NULL;
	if (pool->hdrs == NULL || (bufsize != 0 && pool->mem == NULL)) {
		free(pool->hdrs);
		free(pool->mem);
		free(pool);
		return NULL;
	}
	pool->n = n;
	pool->bufsize = bufsize;
	pool->headroom = headroom;
	for (i = n; i-- > 0;) {
		struct us_pkt *p = &pool->hdrs[i];

		p->pool = pool;
		p->buf = bufsize != 0 ? pool->mem + (size_t)i * bufsize : NULL;
		p->cap = bufsize;
		p->next = pool->free;
		pool->free = p;
	}
	pool->avail = n;
	return pool;
}

int
us_pool_destroy(struct us_pool *pool)
{
	if (pool == NULL)
		return 0;
	if (pool->avail != pool->n)
		return -EBUSY;
	free(pool->hdrs);
	free(pool->mem);
	free(pool);
	return 0;
}

struct us_pkt *
us_pkt_alloc(struct us_pool *pool)
{
	struct us_pkt *p = pool->free;

	if (p == NULL) {
		pool->stats.fail++;
		return NULL;
	}
	pool->free = p->next;
	pool->avail--;
	pool->stats.alloc++;
	p->next = NULL;
	p->qnext = NULL;
	p->refcnt = 1;
	p->flags = 0;
	p->off = pool->headroom;
	p->len = 0;
	p->free_cb = NULL;
	p->free_arg = NULL;
	if (pool->bufsize != 0) {
		p->buf = pool->mem + (size_t)(p - pool->hdrs) * pool->bufsize;
		p->cap = pool->bufsize;
	} else {
		/* Header only: the last user's buffer (a ring slot) is no longer ours. */
		p->buf = NULL;
		p->cap = 0;
	}
	return p;
}

void
us_pkt_free(struct us_pkt *pkt)
{
	while (pkt != NULL) {
		struct us_pkt *next = pkt->next;

		us_pkt_unref(pkt);
		pkt = next;
	}
}

void
us_pkt_unref(struct us_pkt *pkt)
{
	if (--pkt->refcnt == 0) {
		struct us_pool *pool = pkt->pool;

		if (pkt->free_cb != NULL)
			pkt->free_cb(pkt, pkt->free_arg);
		pkt->free_cb = NULL;
		pkt->next = pool->free;
		pool->free = pkt;
		pool->avail++;
	}
}

void
us_pkt_free_queue(struct us_pkt *q)
{
	while (q != NULL) {
		struct us_pkt *n = q->qnext;

		q->qnext = NULL;
		us_pkt_free(q);
		q = n;
	}
}

uint32_t
us_pkt_chain_len(const struct us_pkt *pkt)
{
	uint32_t n = 0;

	for (; pkt != NULL; pkt = pkt->next)
		n += pkt->len;
	return n;
}

uint32_t
us_pkt_chain_read(const struct us_pkt *pkt, uint32_t off, void *dst, uint32_t len)
{
	uint8_t *d = dst;
	uint32_t done = 0;

	for (; pkt != NULL && done < len; pkt = pkt->next) {
		uint32_t n;

		if (off >= pkt->len) {
			off -= pkt->len;
			continue;
		}
		n = pkt->len - off;
		if (n > len - done)
			n = len - done;
		memcpy(d + done, us_pkt_data(pkt) + off, n);
		done += n;
		off = 0;
	}
	return done;
}

struct us_pkt *
us_pkt_copy(struct us_pool *pool, const struct us_pkt *pkt)
{
	struct us_pkt *head = NULL, **tail = &head;

	for (; pkt != NULL; pkt = pkt->next) {
		struct us_pkt *c = us_pkt_alloc(pool);

		if (c == NULL || c->cap < pkt->len) {
			if (c != NULL)
				us_pkt_free(c);
			us_pkt_free(head);
			return NULL;
		}
		/* Keep the original's headroom where it fits, so headers can still be prepended. */
		if (pkt->off + pkt->len <= c->cap)
			c->off = pkt->off;
		else
			c->off = c->cap - pkt->len;
		memcpy(us_pkt_data(c), us_pkt_data(pkt), pkt->len);
		c->len = pkt->len;
		/*
		 * The copy is a pool buffer: were it marked as a ring frame, the
		 * pool would be charged for it when kept and never given the
		 * charge back (no ring slot frees it), and the reserve would grow
		 * until no received data was kept at all.
		 */
		c->flags = pkt->flags & (uint16_t)~US_PKT_BUF_FLAGS;
		c->time = pkt->time;
		*tail = c;
		tail = &c->next;
	}
	return head;
}
