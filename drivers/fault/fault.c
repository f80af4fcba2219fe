/*
 * fault.c - a driver that wraps any driver and spoils its traffic on
 * purpose: seeded loss, duplication, reordering and delay.  The same seed
 * gives the same faults, so a failing protocol test can be replayed.  Lab
 * tests set it from USOCK_FAULT since this kernel has no netem.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../driver.h"

#define REORDER_HOLD_NS 1000000ull	/* a reordered frame waits 1 ms for others to pass */

struct line {
	struct us_pkt *head;	/* frames sorted by release time (pkt->time) */
	uint32_t n;		/* frames held */
};

struct fault {
	struct us_drv drv;	/* first: what the stack sees */
	struct us_fault_cfg cfg;	/* what to spoil */
	uint64_t rng;		/* xorshift64* state */
	struct line txl;	/* delayed outgoing frames */
	struct line rxl;	/* delayed incoming frames */
};

#define LINE_MAX 65536	/* frames held back at most; past it they go undelayed */

static uint32_t
rnd_ppm(struct fault *f)
{
	uint64_t x = f->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return (uint32_t)((x * 2685821657736338717ull) >> 32) % 1000000u;
}

static void
line_put(struct line *l, struct us_pkt *p, uint64_t when)
{
	struct us_pkt **pp = &l->head;

	p->time = when;
	/* Keep release order; equal times stay in arrival order. */
	while (*pp != NULL && (*pp)->time <= when)
		pp = &(*pp)->qnext;
	p->qnext = *pp;
	*pp = p;
	l->n++;
}

static struct us_pkt *
line_take(struct line *l, uint64_t now)
{
	struct us_pkt *p = l->head;

	if (p == NULL || p->time > now)
		return NULL;
	l->head = p->qnext;
	p->qnext = NULL;
	l->n--;
	return p;
}

static void
line_free(struct line *l)
{
	us_pkt_free_queue(l->head);
	l->head = NULL;
	l->n = 0;
}

/*
 * Decides the fate of one frame: lost (freed), or put in the line with its
 * release time, perhaps twice.
 */
static void
spoil(struct fault *f, struct line *l, struct us_pkt *p, uint64_t now)
{
	uint64_t when = now + f->cfg.delay_ns;
	struct us_drv_stats *s = f->drv.stats;

	/* A narrower hop further on: a bigger packet goes no further (nor says so). */
	if (f->cfg.mtu != 0 && us_pkt_chain_len(p) > f->cfg.mtu + 14) {
		s->fault_toobig++;
		us_pkt_free(p);
		return;
	}
	if (f->cfg.loss_ppm != 0 && rnd_ppm(f) < f->cfg.loss_ppm) {
		s->fault_lost++;
		us_pkt_free(p);
		return;
	}
	if (f->cfg.jitter_ns != 0)
		when += (uint64_t)rnd_ppm(f) * f->cfg.jitter_ns / 1000000u;
	if (f->cfg.dup_ppm != 0 && rnd_ppm(f) < f->cfg.dup_ppm && l->n < LINE_MAX) {
		struct us_pkt *c = us_pkt_copy(f->drv.pool, p);

		if (c != NULL) {
			s->fault_dup++;
			line_put(l, c, when);
		}
	}
	if (f->cfg.reorder_ppm != 0 && rnd_ppm(f) < f->cfg.reorder_ppm) {
		s->fault_reord++;
		when += REORDER_HOLD_NS;
	}
	if (when > now)
		s->fault_delayed++;
	line_put(l, p, when);
}

static void
fault_close(struct us_drv *d)
{
	struct fault *f = (struct fault *)d;

	line_free(&f->txl);
	line_free(&f->rxl);
	us_drv_close(d->inner);
	free(f);
}

/* Sends what the transmit line releases by now; frames the link refuses are dropped. */
static void
tx_release(struct fault *f, uint64_t now)
{
	struct us_pkt *burst[64];
	uint16_t n = 0, k;
	struct us_pkt *p;

	for (;;) {
		p = line_take(&f->txl, now);
		if (p != NULL)
			burst[n++] = p;
		if (n == 64 || (p == NULL && n > 0)) {
			k = f->drv.inner->ops->tx_burst(f->drv.inner, burst, n, now);
			for (; k < n; k++) {
				f->drv.stats->tx_err++;
				us_pkt_free(burst[k]);
			}
			n = 0;
		}
		if (p == NULL)
			break;
	}
}

static uint16_t
fault_tx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct fault *f = (struct fault *)d;
	uint16_t i;

	for (i = 0; i < n; i++)
		spoil(f, &f->txl, pkts[i], now);
	tx_release(f, now);
	return n;
}

static uint16_t
fault_rx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct fault *f = (struct fault *)d;
	uint16_t i, k = 0;
	struct us_pkt *p;

	tx_release(f, now);
	if (!f->cfg.rx)
		return d->inner->ops->rx_burst(d->inner, pkts, n, now);
	k = d->inner->ops->rx_burst(d->inner, pkts, n, now);
	for (i = 0; i < k; i++)
		spoil(f, &f->rxl, pkts[i], now);
	for (k = 0; k < n && (p = line_take(&f->rxl, now)) != NULL; k++)
		pkts[k] = p;
	return k;
}

static uint64_t
fault_deadline(const struct us_drv *d)
{
	const struct fault *f = (const struct fault *)d;
	uint64_t t = d->inner->ops->next_deadline(d->inner);

	if (f->txl.head != NULL && f->txl.head->time < t)
		t = f->txl.head->time;
	if (f->rxl.head != NULL && f->rxl.head->time < t)
		t = f->rxl.head->time;
	return t;
}

static const struct us_drv_ops fault_ops = {
	.name = "fault",
	.close = fault_close,
	.rx_burst = fault_rx,
	.tx_burst = fault_tx,
	.next_deadline = fault_deadline,
};

struct us_drv *
us_fault_wrap(struct us_drv *inner, const struct us_fault_cfg *cfg)
{
	struct fault *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	us_drv_init(&f->drv, &fault_ops, inner->pool);
	memcpy(f->drv.mac, inner->mac, 6);
	f->drv.mtu = inner->mtu;
	f->drv.offload = inner->offload;
	f->drv.fd = inner->fd;
	f->drv.inner = inner;
	f->drv.stats = inner->stats;
	f->cfg = *cfg;
	f->rng = cfg->seed != 0 ? cfg->seed : 0x9e3779b97f4a7c15ull;
	return &f->drv;
}

/* Parses a duration "5ms", "200us", "1s", "300ns" (no unit: ms). */
static int
parse_dur(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end), ns;

	if (end == s || v < 0)
		return -1;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		ns = v * 1e6;
	else if (strcmp(end, "us") == 0)
		ns = v * 1e3;
	else if (strcmp(end, "ns") == 0)
		ns = v;
	else if (strcmp(end, "s") == 0)
		ns = v * 1e9;
	else
		return -1;
	/* NaN, infinity, or past an hour: no link delays that (and no uint64_t holds some). */
	if (!(ns <= 3600e9))
		return -1;
	*out = (uint64_t)ns;
	return 0;
}

int
us_fault_parse(const char *spec, struct us_fault_cfg *cfg, char *errbuf, size_t errlen)
{
	char buf[256], *tok, *save = NULL;

	memset(cfg, 0, sizeof(*cfg));
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(errbuf, errlen, "is too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		double pct;

		if (eq == NULL) {
			snprintf(errbuf, errlen, "has \"%s\" without =value", tok);
			return -EINVAL;
		}
		*eq++ = '\0';
		if (strcmp(tok, "delay") == 0 || strcmp(tok, "jitter") == 0) {
			if (parse_dur(eq, strcmp(tok, "delay") == 0 ? &cfg->delay_ns
								     : &cfg->jitter_ns) != 0) {
				snprintf(errbuf, errlen, "has a bad duration \"%s\" for %s; use e.g. 2ms",
					 eq, tok);
				return -EINVAL;
			}
			continue;
		}
		if (strcmp(tok, "seed") == 0) {
			cfg->seed = strtoull(eq, &end, 0);
			if (*eq == '\0' || *end != '\0') {
				snprintf(errbuf, errlen, "has a bad seed \"%s\"; use a number", eq);
				return -EINVAL;
			}
			continue;
		}
		if (strcmp(tok, "rx") == 0) {
			cfg->rx = atoi(eq) != 0;
			continue;
		}
		if (strcmp(tok, "mtu") == 0) {
			unsigned long v = strtoul(eq, &end, 10);

			if (*eq == '\0' || *end != '\0' || v < 68 || v > 65535) {
				snprintf(errbuf, errlen, "has a bad mtu \"%s\"; use 68 to 65535 bytes", eq);
				return -EINVAL;
			}
			cfg->mtu = (uint32_t)v;
			continue;
		}
		pct = strtod(eq, &end);
		/* Written so that NaN fails too. */
		if (*eq == '\0' || *end != '\0' || !(pct >= 0 && pct <= 100)) {
			snprintf(errbuf, errlen, "has a bad percentage \"%s\" for %s; use 0 to 100",
				 eq, tok);
			return -EINVAL;
		}
		if (strcmp(tok, "loss") == 0)
			cfg->loss_ppm = (uint32_t)(pct * 10000);
		else if (strcmp(tok, "dup") == 0)
			cfg->dup_ppm = (uint32_t)(pct * 10000);
		else if (strcmp(tok, "reorder") == 0)
			cfg->reorder_ppm = (uint32_t)(pct * 10000);
		else {
			snprintf(errbuf, errlen,
				 "has unknown key \"%s\"; keys are loss, dup, reorder (percent), "
				 "delay, jitter, seed, rx, mtu", tok);
			return -EINVAL;
		}
	}
	return 0;
}
