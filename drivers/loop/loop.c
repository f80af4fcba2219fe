/*
 * loop.c - an in-memory link joining two stacks in one process.  Frames
 * move by pointer from one end's transmit to the other end's receive queue,
 * instantly; delay and loss come from wrapping an end in drivers/fault.
 * An end may instead receive into its own pool, as a NIC does (a copy per
 * frame; dropped and counted when that pool is empty).  Nothing here reads
 * a clock, so two stacks can run in virtual time.
 */
#include <stdlib.h>
#include <string.h>

#include "../driver.h"

#define LOOP_QLEN 8192	/* frames a receive queue holds before the link drops */

struct loop_end {
	struct us_drv drv;	/* first: the driver seen by the stack */
	struct loop_end *peer;	/* the other end */
	struct us_pkt *q[LOOP_QLEN];	/* frames waiting to be received */
	uint32_t head;		/* next to receive */
	uint32_t count;		/* frames queued */
	int copy_rx;		/* received frames are copied into this end's pool */
};

static void
loop_close(struct us_drv *d)
{
	struct loop_end *e = (struct loop_end *)d;

	while (e->count > 0) {
		us_pkt_free(e->q[e->head]);
		e->head = (e->head + 1) % LOOP_QLEN;
		e->count--;
	}
	if (e->peer != NULL)
		e->peer->peer = NULL;
	free(e);
}

static uint16_t
loop_rx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct loop_end *e = (struct loop_end *)d;
	uint16_t i;

	i = 0;
	while (i < n && e->count > 0) {
		struct us_pkt *p = e->q[e->head];

		e->head = (e->head + 1) % LOOP_QLEN;
		e->count--;
		if (e->copy_rx) {
			/* The sender's buffer goes back at once; ours holds the frame. */
			struct us_pkt *c = us_pkt_copy(d->pool, p);

			us_pkt_free(p);
			if (c == NULL) {
				d->stats->rx_nobuf++;
				continue;
			}
			p = c;
		}
		p->time = now;
		d->stats->rx_pkts++;
		d->stats->rx_bytes += p->len;
		pkts[i++] = p;
	}
	return i;
}

static uint16_t
loop_tx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct loop_end *e = (struct loop_end *)d;
	struct loop_end *p = e->peer;
	uint16_t i;

	(void)now;
	for (i = 0; i < n; i++) {
		if (p == NULL || p->count == LOOP_QLEN) {
			/* A cable to nowhere, or a full queue: the frame is lost on the wire. */
			d->stats->tx_err++;
			us_pkt_free(pkts[i]);
			continue;
		}
		d->stats->tx_pkts++;
		d->stats->tx_bytes += pkts[i]->len;
		p->q[(p->head + p->count) % LOOP_QLEN] = pkts[i];
		p->count++;
	}
	return n;
}

static uint64_t
loop_deadline(const struct us_drv *d)
{
	/*
	 * Frames waiting want receiving now: a caller running in virtual time
	 * (tests/common/harness.c) must not jump the clock past them to the
	 * next timer, as it would when a timer sent them (nothing received).
	 */
	return ((const struct loop_end *)d)->count > 0 ? 0 : UINT64_MAX;
}

static const struct us_drv_ops loop_ops = {
	.name = "loop",
	.close = loop_close,
	.rx_burst = loop_rx,
	.tx_burst = loop_tx,
	.next_deadline = loop_deadline,
};

struct us_drv *
us_loop_open(struct us_pool *pool, const uint8_t mac[6], uint32_t mtu)
{
	struct loop_end *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	us_drv_init(&e->drv, &loop_ops, pool);
	memcpy(e->drv.mac, mac, 6);
	e->drv.mtu = mtu;
	return &e->drv;
}

void
us_loop_connect(struct us_drv *a, struct us_drv *b)
{
	struct loop_end *ea = (struct loop_end *)a, *eb = (struct loop_end *)b;

	ea->peer = eb;
	eb->peer = ea;
}

void
us_loop_copy_rx(struct us_drv *d, int on)
{
	((struct loop_end *)d)->copy_rx = on;
}

uint32_t
us_loop_pending(const struct us_drv *d)
{
	return ((const struct loop_end *)d)->count;
}
