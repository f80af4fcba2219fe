/*
 * capture.c - a driver that wraps any driver and writes every frame it
 * receives and sends to a pcap file (USOCK_PCAP), readable by tcpdump -r
 * and Wireshark.  Frames are written whole: headers prepended in headroom
 * are already in place when tx_burst sees them.  The file records what the
 * stack sent and received: it wraps the fault wrapper, so frames that
 * wrapper then drops appear in it, and a frame the link refuses appears too
 * (counted as tx_err).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../driver.h"

struct capture {
	struct us_drv drv;	/* first: what the stack sees */
	FILE *f;		/* the pcap file */
	int64_t to_real;	/* add to stack time to get wall-clock ns */
};

static void
put_rec(struct capture *c, const struct us_pkt *p, uint64_t now)
{
	uint32_t hdr[4];
	uint64_t t = (uint64_t)((int64_t)now + c->to_real);
	uint32_t len = us_pkt_chain_len(p);

	/* Nanosecond-resolution pcap record header: host byte order, as the magic says. */
	hdr[0] = (uint32_t)(t / 1000000000u);
	hdr[1] = (uint32_t)(t % 1000000000u);
	hdr[2] = len;
	hdr[3] = len;
	fwrite(hdr, sizeof(hdr), 1, c->f);
	for (; p != NULL; p = p->next)
		fwrite(us_pkt_data(p), 1, p->len, c->f);
}

static void
capture_close(struct us_drv *d)
{
	struct capture *c = (struct capture *)d;

	fclose(c->f);
	us_drv_close(d->inner);
	free(c);
}

static uint16_t
capture_rx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct capture *c = (struct capture *)d;
	uint16_t k = d->inner->ops->rx_burst(d->inner, pkts, n, now), i;

	for (i = 0; i < k; i++)
		put_rec(c, pkts[i], now);
	if (k > 0)
		fflush(c->f);
	return k;
}

static uint16_t
capture_tx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct capture *c = (struct capture *)d;
	uint16_t i;

	/* Written before sending: after tx_burst the frames belong to the link. */
	for (i = 0; i < n; i++)
		put_rec(c, pkts[i], now);
	if (n > 0)
		fflush(c->f);
	return d->inner->ops->tx_burst(d->inner, pkts, n, now);
}

static uint64_t
capture_deadline(const struct us_drv *d)
{
	return d->inner->ops->next_deadline(d->inner);
}

static const struct us_drv_ops capture_ops = {
	.name = "capture",
	.close = capture_close,
	.rx_burst = capture_rx,
	.tx_burst = capture_tx,
	.next_deadline = capture_deadline,
};

struct us_drv *
us_capture_wrap(struct us_drv *inner, const char *path, char *errbuf, size_t errlen)
{
	struct capture *c;
	struct timespec rt, mono;
	uint32_t gh[6];

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	c->f = fopen(path, "wb");
	if (c->f == NULL) {
		snprintf(errbuf, errlen, "cannot create \"%s\": %s", path, strerror(errno));
		free(c);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	c->to_real = ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 + (rt.tv_nsec - mono.tv_nsec);
	gh[0] = 0xa1b23c4d;	/* pcap, nanosecond timestamps */
	gh[2] = 0;		/* thiszone */
	gh[3] = 0;		/* sigfigs */
	gh[4] = 65535;		/* snaplen */
	gh[5] = 1;		/* LINKTYPE_ETHERNET */
	{
		/* Version 2.4: two 16-bit fields in host order. */
		uint16_t v[2] = { 2, 4 };

		memcpy(&gh[1], v, sizeof(v));
	}
	fwrite(gh, sizeof(gh), 1, c->f);
	fflush(c->f);
	us_drv_init(&c->drv, &capture_ops, inner->pool);
	memcpy(c->drv.mac, inner->mac, 6);
	c->drv.mtu = inner->mtu;
	c->drv.offload = inner->offload;
	c->drv.fd = inner->fd;
	c->drv.inner = inner;
	c->drv.stats = inner->stats;
	return &c->drv;
}
