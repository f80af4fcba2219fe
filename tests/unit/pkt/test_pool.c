/*
 * Packet buffers and their pools (lib/pkt): allocation and exhaustion,
 * reference counts, chains, the headroom/tailroom bounds of prepend, adj
 * and append, copies, driver-owned frames with a free callback, and
 * header-only pools.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/pkt/pkt.h"

Test(pkt_pool, alloc_until_empty_counts_each_refusal_in_fail)
{
	struct us_pool *pool = us_pool_create(4, 256, 32);
	struct us_pkt *p[4];
	int i;

	cr_assert_not_null(pool);
	cr_assert_eq(pool->n, 4);
	cr_assert_eq(pool->avail, 4);
	for (i = 0; i < 4; i++) {
		p[i] = us_pkt_alloc(pool);
		cr_assert_not_null(p[i]);
		cr_assert_eq(pool->avail, 3u - (unsigned)i);
	}
	cr_assert_null(us_pkt_alloc(pool));
	cr_assert_null(us_pkt_alloc(pool));
	cr_assert_eq(pool->stats.alloc, 4);
	cr_assert_eq(pool->stats.fail, 2);
	/* Every buffer is distinct and lies inside the pool's memory. */
	for (i = 0; i < 4; i++) {
		int j;

		for (j = 0; j < i; j++)
			cr_assert_neq(p[i]->buf, p[j]->buf);
		cr_assert_geq(p[i]->buf, pool->mem);
		cr_assert_leq(p[i]->buf + 256, pool->mem + 4 * 256);
	}
	cr_assert_eq(us_pool_destroy(pool), -EBUSY, "destroy with buffers out must refuse");
	for (i = 0; i < 4; i++)
		us_pkt_free(p[i]);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, free_returns_the_buffer_and_alloc_resets_it)
{
	struct us_pool *pool = us_pool_create(1, 256, 32);
	struct us_pkt *p, *q;

	p = us_pkt_alloc(pool);
	cr_assert_eq(p->refcnt, 1);
	cr_assert_eq(p->off, 32);
	cr_assert_eq(p->len, 0);
	cr_assert_eq(p->cap, 256);
	cr_assert_eq(us_pkt_tailroom(p), 256 - 32);
	memset(us_pkt_append(p, 10), 0xab, 10);
	us_pkt_prepend(p, 4);
	p->flags = 0xffff;
	p->qnext = p;	/* a stale queue link that alloc must clear */
	us_pkt_free(p);
	cr_assert_eq(pool->avail, 1);
	q = us_pkt_alloc(pool);
	cr_assert_eq(q, p, "a one-buffer pool hands the same buffer back");
	cr_assert_eq(q->off, 32);
	cr_assert_eq(q->len, 0);
	cr_assert_eq(q->flags, 0);
	cr_assert_eq(q->refcnt, 1);
	cr_assert_null(q->next);
	cr_assert_null(q->qnext);
	cr_assert_null(q->free_cb);
	us_pkt_free(q);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, extra_reference_keeps_the_buffer_until_the_last_free)
{
	struct us_pool *pool = us_pool_create(2, 256, 32);
	struct us_pkt *p = us_pkt_alloc(pool);

	p->refcnt++;
	us_pkt_free(p);
	cr_assert_eq(pool->avail, 1, "first of two references must not free");
	cr_assert_eq(p->refcnt, 1);
	us_pkt_free(p);
	cr_assert_eq(pool->avail, 2);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, freeing_a_chain_returns_every_buffer_of_it)
{
	struct us_pool *pool = us_pool_create(8, 256, 32);
	struct us_pkt *a = us_pkt_alloc(pool), *b = us_pkt_alloc(pool), *c = us_pkt_alloc(pool);

	a->next = b;
	b->next = c;
	memcpy(us_pkt_append(a, 3), "abc", 3);
	memcpy(us_pkt_append(b, 2), "de", 2);
	memcpy(us_pkt_append(c, 4), "fghi", 4);
	cr_assert_eq(us_pkt_chain_len(a), 9);
	cr_assert_eq(pool->avail, 5);
	us_pkt_free(a);
	cr_assert_eq(pool->avail, 8);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, free_queue_frees_every_datagram_and_its_chain)
{
	struct us_pool *pool = us_pool_create(8, 256, 32);
	struct us_pkt *d1 = us_pkt_alloc(pool), *d1b = us_pkt_alloc(pool);
	struct us_pkt *d2 = us_pkt_alloc(pool), *d3 = us_pkt_alloc(pool);

	d1->next = d1b;
	d1->qnext = d2;
	d2->qnext = d3;
	us_pkt_free_queue(d1);
	cr_assert_eq(pool->avail, 8);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, chain_read_crosses_buffers_from_any_offset)
{
	struct us_pool *pool = us_pool_create(8, 256, 32);
	struct us_pkt *a = us_pkt_alloc(pool), *b = us_pkt_alloc(pool), *c = us_pkt_alloc(pool);
	char out[16];

	a->next = b;
	b->next = c;
	memcpy(us_pkt_append(a, 3), "abc", 3);
	memcpy(us_pkt_append(b, 2), "de", 2);
	memcpy(us_pkt_append(c, 4), "fghi", 4);
	memset(out, 0, sizeof(out));
	cr_assert_eq(us_pkt_chain_read(a, 2, out, 5), 5);
	cr_assert_str_eq(out, "cdefg");
	memset(out, 0, sizeof(out));
	/* Asking past the end copies only what is there. */
	cr_assert_eq(us_pkt_chain_read(a, 6, out, 10), 3);
	cr_assert_str_eq(out, "ghi");
	cr_assert_eq(us_pkt_chain_read(a, 9, out, 10), 0);
	us_pkt_free(a);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, prepend_stops_at_the_start_of_the_buffer)
{
	struct us_pool *pool = us_pool_create(1, 256, 32);
	struct us_pkt *p = us_pkt_alloc(pool);
	uint8_t *start = p->buf + 32;

	cr_assert_eq(us_pkt_prepend(p, 20), start - 20);
	cr_assert_eq(p->len, 20);
	cr_assert_eq(us_pkt_prepend(p, 12), p->buf);
	cr_assert_eq(p->off, 0);
	cr_assert_eq(p->len, 32);
	cr_assert_null(us_pkt_prepend(p, 1), "no headroom left");
	cr_assert_eq(p->off, 0, "a refused prepend changes nothing");
	cr_assert_eq(p->len, 32);
	us_pkt_free(p);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, adj_refuses_more_than_the_data)
{
	struct us_pool *pool = us_pool_create(1, 256, 32);
	struct us_pkt *p = us_pkt_alloc(pool);

	us_pkt_append(p, 10);
	cr_assert_eq(us_pkt_adj(p, 4), p->buf + 36);
	cr_assert_eq(p->len, 6);
	cr_assert_null(us_pkt_adj(p, 7));
	cr_assert_eq(p->len, 6, "a refused adj changes nothing");
	cr_assert_eq(p->off, 36);
	cr_assert_eq(us_pkt_adj(p, 6), p->buf + 42);
	cr_assert_eq(p->len, 0);
	us_pkt_free(p);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, append_stops_at_the_end_of_the_buffer)
{
	struct us_pool *pool = us_pool_create(1, 256, 32);
	struct us_pkt *p = us_pkt_alloc(pool);

	cr_assert_eq(us_pkt_append(p, 200), p->buf + 32);
	cr_assert_eq(us_pkt_tailroom(p), 24);
	cr_assert_null(us_pkt_append(p, 25));
	cr_assert_eq(p->len, 200, "a refused append changes nothing");
	cr_assert_eq(us_pkt_append(p, 24), p->buf + 232);
	cr_assert_eq(us_pkt_tailroom(p), 0);
	cr_assert_eq(p->len, 224);
	cr_assert_null(us_pkt_append(p, 1));
	us_pkt_free(p);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

Test(pkt_pool, pool_rejects_headroom_not_below_buffer_size_and_zero_buffers)
{
	cr_assert_null(us_pool_create(4, 64, 64));
	cr_assert_null(us_pool_create(4, 64, 100));
	cr_assert_null(us_pool_create(0, 64, 0));
}

Test(pkt_pool, copy_duplicates_a_chain_with_its_bytes_headroom_flags_and_time)
{
	struct us_pool *src = us_pool_create(4, 256, 32);
	struct us_pool *dst = us_pool_create(4, 512, 64);
	struct us_pkt *a = us_pkt_alloc(src), *b = us_pkt_alloc(src), *c;
	char out[16];

	a->next = b;
	memcpy(us_pkt_append(a, 5), "hello", 5);
	memcpy(us_pkt_append(b, 6), " world", 6);
	us_pkt_adj(a, 1);	/* off 33: odd headroom must survive */
	a->flags = 0x3;
	a->time = 12345;
	c = us_pkt_copy(dst, a);
	cr_assert_not_null(c);
	cr_assert_eq(c->pool, dst);
	cr_assert_not_null(c->next);
	cr_assert_null(c->next->next);
	cr_assert_eq(c->off, 33);
	cr_assert_eq(c->len, 4);
	cr_assert_eq(c->next->len, 6);
	cr_assert_eq(c->flags, 0x3);
	cr_assert_eq(c->time, 12345);
	cr_assert_eq(c->refcnt, 1);
	memset(out, 0, sizeof(out));
	us_pkt_chain_read(c, 0, out, sizeof(out));
	cr_assert_str_eq(out, "ello world");
	/* The copy is independent: changing one leaves the other alone. */
	us_pkt_data(c)[0] = 'E';
	cr_assert_eq(us_pkt_data(a)[0], 'e');
	us_pkt_free(a);
	us_pkt_free(c);
	cr_assert_eq(us_pool_destroy(src), 0);
	cr_assert_eq(us_pool_destroy(dst), 0);
}

Test(pkt_pool, copy_that_runs_out_of_buffers_returns_null_and_keeps_none)
{
	struct us_pool *src = us_pool_create(4, 256, 32);
	struct us_pool *dst = us_pool_create(2, 256, 32);
	struct us_pkt *a = us_pkt_alloc(src), *b = us_pkt_alloc(src), *c = us_pkt_alloc(src);

	a->next = b;
	b->next = c;
	us_pkt_append(a, 10);
	us_pkt_append(b, 10);
	us_pkt_append(c, 10);
	cr_assert_null(us_pkt_copy(dst, a));
	cr_assert_eq(dst->avail, 2, "the partial copy must be given back");
	cr_assert_eq(dst->stats.fail, 1);
	us_pkt_free(a);
	cr_assert_eq(us_pool_destroy(src), 0);
	cr_assert_eq(us_pool_destroy(dst), 0);
}

Test(pkt_pool, copy_into_buffers_too_small_fails_cleanly)
{
	struct us_pool *src = us_pool_create(1, 2048, 128);
	struct us_pool *dst = us_pool_create(4, 256, 32);
	struct us_pkt *a = us_pkt_alloc(src), *c;

	us_pkt_append(a, 1000);
	cr_assert_null(us_pkt_copy(dst, a));
	cr_assert_eq(dst->avail, 4);
	/* Data that fits the buffer but not at the original offset moves down. */
	us_pkt_adj(a, 800);	/* off 928, len 200 */
	c = us_pkt_copy(dst, a);
	cr_assert_not_null(c);
	cr_assert_eq(c->len, 200);
	cr_assert_eq(c->off + c->len, c->cap);
	cr_assert_eq(memcmp(us_pkt_data(c), us_pkt_data(a), 200), 0);
	us_pkt_free(c);
	us_pkt_free(a);
	cr_assert_eq(us_pool_destroy(src), 0);
	cr_assert_eq(us_pool_destroy(dst), 0);
}

struct cb_log {
	int calls;
	struct us_pkt *last;
};

static void
count_free(struct us_pkt *pkt, void *arg)
{
	struct cb_log *l = arg;

	l->calls++;
	l->last = pkt;
}

Test(pkt_pool, driver_free_callback_runs_once_at_the_last_reference)
{
	static uint8_t ring[2][128];
	struct us_pool *hdrs = us_pool_create(2, 0, 0);
	struct cb_log log = { 0, NULL };
	struct us_pkt *p = us_pkt_alloc(hdrs), *q = us_pkt_alloc(hdrs);

	/* What a driver does with a frame it lends: point at its ring slot. */
	p->buf = ring[0];
	p->cap = sizeof(ring[0]);
	p->off = 0;
	p->len = 60;
	p->free_cb = count_free;
	p->free_arg = &log;
	q->buf = ring[1];
	q->cap = sizeof(ring[1]);
	q->off = 0;
	q->len = 60;
	q->free_cb = count_free;
	q->free_arg = &log;
	p->refcnt++;
	us_pkt_free(p);
	cr_assert_eq(log.calls, 0, "a reference is still out");
	us_pkt_free(p);
	cr_assert_eq(log.calls, 1);
	cr_assert_eq(log.last, p);
	/* Chained frames each get their callback. */
	p = us_pkt_alloc(hdrs);
	p->buf = ring[0];
	p->cap = sizeof(ring[0]);
	p->free_cb = count_free;
	p->free_arg = &log;
	p->next = q;
	us_pkt_free(p);
	cr_assert_eq(log.calls, 3);
	cr_assert_eq(log.last, q);
	/* A reused header does not remember the callback. */
	p = us_pkt_alloc(hdrs);
	cr_assert_null(p->free_cb);
	us_pkt_free(p);
	cr_assert_eq(log.calls, 3);
	cr_assert_eq(us_pool_destroy(hdrs), 0);
}

Test(pkt_pool, copy_of_a_driver_frame_does_not_inherit_its_callback)
{
	static uint8_t ring[128];
	struct us_pool *hdrs = us_pool_create(1, 0, 0);
	struct us_pool *pool = us_pool_create(1, 256, 32);
	struct cb_log log = { 0, NULL };
	struct us_pkt *p = us_pkt_alloc(hdrs), *c;

	memset(ring, 0x5a, sizeof(ring));
	p->buf = ring;
	p->cap = sizeof(ring);
	p->off = 0;
	p->len = 64;
	p->free_cb = count_free;
	p->free_arg = &log;
	c = us_pkt_copy(pool, p);
	cr_assert_not_null(c);
	cr_assert_null(c->free_cb);
	cr_assert_eq(memcmp(us_pkt_data(c), ring, 64), 0);
	us_pkt_free(c);
	cr_assert_eq(log.calls, 0);
	us_pkt_free(p);
	cr_assert_eq(log.calls, 1);
	cr_assert_eq(us_pool_destroy(hdrs), 0);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

/*
 * A header-only pool (bufsize 0) holds no memory of its own: a header
 * comes out with no buffer, so nothing can be appended until the driver
 * attaches one -- also after a header was used and freed, when the old
 * pointer is into a ring slot the driver has taken back.
 */
Test(pkt_pool, header_only_pool_hands_out_headers_without_a_buffer)
{
	static uint8_t ring[128];
	struct us_pool *hdrs = us_pool_create(1, 0, 0);
	struct us_pkt *p;

	cr_assert_not_null(hdrs);
	cr_assert_null(hdrs->mem);
	p = us_pkt_alloc(hdrs);
	cr_assert_not_null(p);
	cr_assert_null(p->buf);
	cr_assert_eq(p->cap, 0);
	cr_assert_null(us_pkt_append(p, 1));
	p->buf = ring;
	p->cap = sizeof(ring);
	p->off = 0;
	p->len = 60;
	us_pkt_free(p);
	p = us_pkt_alloc(hdrs);
	cr_assert_null(p->buf, "a reused header still points at the old ring slot");
	cr_assert_eq(p->cap, 0);
	cr_assert_eq(p->len, 0);
	cr_assert_null(us_pkt_append(p, 1));
	cr_assert_null(us_pkt_alloc(hdrs));
	cr_assert_eq(hdrs->stats.fail, 1);
	us_pkt_free(p);
	cr_assert_eq(us_pool_destroy(hdrs), 0);
}

/*
 * Received data is kept only while the pool can spare it (us_pool_keep):
 * a buffer already taken from the pool while 8 (base) + 8 more are free
 * beyond those promised; a ring frame lent in place (US_PKT_RING) only
 * with one more, which it is charged (promised) until freed.  Sends leave
 * base + promised (us_pool_reserve).
 */
Test(pkt_pool, keep_charges_ring_frames_and_refuses_past_the_reserve)
{
	struct us_pool *pool = us_pool_create(64, 256, 0), *hdrs = us_pool_create(4, 0, 0);
	struct us_pkt *held[64], *f, *g, *c;
	uint32_t i, n = 0;

	cr_assert(pool != NULL && hdrs != NULL);
	cr_assert_eq(us_pool_base(pool), 8);
	cr_assert_eq(us_pool_reserve(pool), 8);
	/* A ring frame while 17 are free: kept and charged; the reserve grows by one. */
	while (pool->avail > 17)
		held[n++] = us_pkt_alloc(pool);
	f = us_pkt_alloc(hdrs);
	f->flags |= US_PKT_RING;
	cr_assert(us_pool_keep(pool, f));
	cr_assert(f->flags & US_PKT_CHARGED);
	cr_assert_eq(pool->promised, 1);
	cr_assert_eq(us_pool_reserve(pool), 9);
	/* Kept again (a queue after reassembly): not charged twice. */
	cr_assert(us_pool_keep(pool, f));
	cr_assert_eq(pool->promised, 1);
	/* Another ring frame needs 8 + 1 + 8 + 1 = 18 free: refused, not charged. */
	g = us_pkt_alloc(hdrs);
	g->flags |= US_PKT_RING;
	cr_assert_not(us_pool_keep(pool, g));
	cr_assert_eq(g->flags & US_PKT_CHARGED, 0);
	cr_assert_eq(pool->promised, 1);
	/* A pool copy with 17 free: needs 8 + 1 + 8 = 17, kept, nothing charged. */
	c = us_pkt_alloc(pool);
	cr_assert_eq(pool->avail, 16);
	cr_assert_not(us_pool_keep(pool, c), "kept below base + promised + base");
	us_pkt_free(c);
	c = held[--n];
	us_pkt_free(c);
	c = us_pkt_alloc(pool);
	cr_assert_eq(pool->avail, 17);
	cr_assert(us_pool_keep(pool, c));
	cr_assert_eq(pool->promised, 1);
	/* The frame's driver lets go of it: the charge goes. */
	us_pool_uncharge(pool, f);
	cr_assert_eq(pool->promised, 0);
	cr_assert_eq(f->flags & US_PKT_CHARGED, 0);
	us_pool_uncharge(pool, f);
	cr_assert_eq(pool->promised, 0, "uncharged twice");
	us_pkt_free(f);
	us_pkt_free(g);
	us_pkt_free(c);
	for (i = 0; i < n; i++)
		us_pkt_free(held[i]);
	cr_assert_eq(us_pool_destroy(hdrs), 0);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

/*
 * A copy of a ring frame is a pool buffer: it keeps what the flags say of
 * its data, not what they say of the frame's buffer, so keeping it charges
 * nothing.  (The fault wrapper's duplicates were copies marked as ring
 * frames: each kept one charged the pool for good, and after 500 MB of a
 * faulty transfer the reserve had grown to the whole pool, so that no
 * received segment was kept.)
 */
Test(pkt_pool, copy_of_a_ring_frame_is_a_plain_buffer_that_keeping_does_not_charge)
{
	static uint8_t ring[128];
	struct us_pool *hdrs = us_pool_create(1, 0, 0);
	struct us_pool *pool = us_pool_create(64, 256, 32);
	struct us_pkt *p = us_pkt_alloc(hdrs), *c;

	p->buf = ring;
	p->cap = sizeof(ring);
	p->off = 0;
	p->len = 64;
	p->flags = US_PKT_RING | US_PKT_PINNED | US_PKT_CSUM_OK | US_PKT_BCAST;
	cr_assert(us_pool_keep(pool, p));
	cr_assert(p->flags & US_PKT_CHARGED);
	cr_assert_eq(pool->promised, 1);
	c = us_pkt_copy(pool, p);
	cr_assert_not_null(c);
	cr_assert_eq(c->flags, US_PKT_CSUM_OK | US_PKT_BCAST, "flags of the copy: %#x", c->flags);
	cr_assert(us_pool_keep(pool, c));
	cr_assert_eq(pool->promised, 1, "the copy was charged");
	us_pkt_free(c);
	us_pool_uncharge(pool, p);
	cr_assert_eq(pool->promised, 0);
	us_pkt_free(p);
	cr_assert_eq(us_pool_destroy(hdrs), 0);
	cr_assert_eq(us_pool_destroy(pool), 0);
}
