/*
 * stack.c - one stack instance: bring-up and tear-down of the protocol
 * modules, the receive poll, transmit batching, and timers by deadline
 * (no periodic tick: the owner sleeps until us_stack_next_deadline()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usock_build_config.h"
#include "../ip/dhcp.h"
#include "../ip/ip4.h"
#include "../ip/ip6.h"
#include "../link/link.h"
#include "../sock/sock.h"
#include "../udp/udp.h"
#include "../wire/wire.h"
#include "stack.h"

uint32_t
us_stack_rand(struct us_stack *st)
{
	/* xorshift64*: ports and IDs need to be unpredictable, not secret. */
	uint64_t x = st->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->rng = x;
	return (uint32_t)((x * 2685821657736338717ull) >> 32);
}

void
us_stack_set_stats(struct us_stack *st, struct us_stats *stats)
{
	struct us_drv *d;

	st->stats = stats;
	for (d = st->drv; d != NULL; d = d->inner)
		d->stats = &stats->drv;
}

/* IPv6's state when USOCK_IPV6 turns it on (a build without IPv6 refuses the setting). */
static int
ip6_init(struct us_stack *st)
{
#if US_HAVE_IPV6
	if (st->cfg.ip6_mode != US_CFG_IP6_OFF &&
	    (us_nd6_init(st, US_ARP_TABLE_SIZE) != 0 || us_ip6_init(st) != 0))
		return -ENOMEM;
#endif
	return 0;
}

static void
ip6_fini(struct us_stack *st)
{
#if US_HAVE_IPV6
	if (st->cfg.ip6_mode != US_CFG_IP6_OFF) {
		us_ip6_fini(st);
		us_nd6_fini(st);
	}
#endif
}

struct us_stack *
us_stack_create(const struct us_config *cfg, struct us_drv *drv, struct us_pool *pool,
		uint64_t now)
{
	struct us_stack *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->cfg = *cfg;
	st->drv = drv;
	st->pool = pool;
	st->now = now;
	st->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)cfg->ip4 << 16) ^ now ^ (uintptr_t)st;
	if (st->rng == 0)
		st->rng = 1;
	memcpy(st->mac, cfg->have_mac ? cfg->mac : drv->mac, 6);
	st->ip4 = cfg->ip4;
	st->mask = cfg->plen == 0 ? 0 : ~(0xffffffffu >> cfg->plen);
	if (cfg->plen == 32)
		st->mask = 0xffffffffu;
	st->gw = cfg->gw;
	st->mtu = drv->mtu;
	us_stack_set_stats(st, &st->own_stats);
	st->stats->pool.size = pool->n;
	if (us_arp_init(st, US_ARP_TABLE_SIZE) != 0 || us_ip4_init(st, US_REASS_MAX) != 0 ||
	    us_udp_init(st, 1024) != 0 || us_tcp_init(st) != 0 || ip6_init(st) != 0) {
		us_tcp_fini(st);
		us_arp_fini(st);
		us_ip4_fini(st);
		us_udp_fini(st);
		ip6_fini(st);
		free(st);
		return NULL;
	}
	/* USOCK_GATEWAY6: a default router that never expires (RFC 4861 6.3.4 aside). */
	if (cfg->have_gw6) {
		st->nd.router = cfg->gw6;
		st->nd.router_until = UINT64_MAX;
	}
	if (cfg->tcp_cc[0] != '\0' && us_tcp_cc_find(cfg->tcp_cc) != NULL)
		st->tcp.default_cc = us_tcp_cc_find(cfg->tcp_cc);
	st->icmp.tokens = 50;
	st->icmp.tokens_at = now;
	return st;
}

int
us_stack_destroy(struct us_stack *st, struct us_leak *leak)
{
	struct us_leak l;

	if (leak == NULL)
		leak = &l;
	memset(leak, 0, sizeof(*leak));
	if (st == NULL)
		return 0;
	while (st->socks != NULL)
		us_sock_close(st, st->socks);
	/* Connections the application closed but that were still finishing. */
	us_tcp_fini(st);
	us_dhcp_stop(st);
	us_stack_flush(st);
	while (st->ntx > 0)
		us_pkt_free(st->txb[--st->ntx]);
	us_arp_fini(st);
	us_ip4_fini(st);
	ip6_fini(st);
	us_udp_fini(st);
	us_drv_close(st->drv);
	/* Everything was closed and freed above: what is left was lost on the way. */
	leak->bufs = st->pool->n - st->pool->avail;
	leak->tcbs = st->tcp.ntcb;
	leak->socks = st->nsockmem;
	/* Every ring frame is back with the closed driver: a charge left is never released. */
	leak->charges = st->pool->promised;
	free(st);
	return leak->bufs + leak->tcbs + leak->socks + leak->charges != 0 ? -EBUSY : 0;
}

void
us_stack_input(struct us_stack *st, struct us_pkt *pkt)
{
	us_eth_input(st, pkt);
}

void
us_stack_flush(struct us_stack *st)
{
	uint16_t k, n = st->ntx;

	if (n > 0) {
		k = st->drv->ops->tx_burst(st->drv, st->txb, n, st->now);
		/* The link took the first k; what it refused is lost like a full queue on a wire. */
		for (; k < n; k++) {
			st->stats->eth.tx_drop++;
			us_pkt_free(st->txb[k]);
		}
		st->ntx = 0;
	}
	/*
	 * Every call and every poll ends here, after whatever gave buffers
	 * back (frames sent, data acknowledged or read): writers a dry pool
	 * held up may go on.
	 */
	us_tcp_nobuf_wake(st);
}

void
us_stack_xmit(struct us_stack *st, struct us_pkt *pkt)
{
	if (st->ntx == US_TX_BURST)
		us_stack_flush(st);
	st->txb[st->ntx++] = pkt;
}

void
us_stack_timers(struct us_stack *st, uint64_t now)
{
	if (now > st->now)
		st->now = now;
	us_arp_timer(st, st->now);
	us_ip4_reass_timer(st, st->now);
	us_dhcp_timer(st, st->now);
#if US_HAVE_IPV6
	if (st->ip6.enabled) {
		us_ip6_timer(st, st->now);
		us_nd6_timer(st, st->now);
	}
#endif
	us_tcp_timers(st, st->now);
}

uint64_t
us_stack_next_deadline(const struct us_stack *st)
{
	uint64_t t = st->arp.next_timer, r = us_ip4_reass_deadline(st);

	if (r < t)
		t = r;
	r = us_dhcp_deadline(st);
	if (r < t)
		t = r;
#if US_HAVE_IPV6
	if (st->ip6.enabled) {
		r = us_ip6_deadline(st);
		if (r < t)
			t = r;
		r = us_nd6_deadline(st);
		if (r < t)
			t = r;
	}
#endif
	r = us_tcp_next_deadline(st);
	if (r < t)
		t = r;
	r = st->drv->ops->next_deadline(st->drv);
	return r < t ? r : t;
}

unsigned
us_stack_poll(struct us_stack *st, uint64_t now, unsigned budget)
{
	struct us_pkt *burst[32];
	uint64_t nobuf = st->stats->drv.rx_nobuf;
	unsigned done = 0;
	uint16_t n, i;

	if (now > st->now)
		st->now = now;
	while (done < budget) {
		n = st->drv->ops->rx_burst(st->drv, burst, 32, st->now);
		for (i = 0; i < n; i++)
			us_stack_input(st, burst[i]);
		done += n;
		if (n < 32)
			break;
	}
	/* The driver found the pool empty: reclaim what cannot be read yet (us_tcp_drain). */
	if (st->stats->drv.rx_nobuf != nobuf)
		us_tcp_drain(st);
	us_stack_timers(st, st->now);
	/* An empty burst still lets wrappers release frames whose delay ran out. */
	if (st->ntx == 0)
		st->drv->ops->tx_burst(st->drv, st->txb, 0, st->now);
	us_stack_flush(st);
	st->stats->pool.avail = st->pool->avail;
	st->stats->pool.fail = st->pool->stats.fail;
	return done;
}

void
us_stack_announce(struct us_stack *st)
{
	if (st->cfg.dhcp)
		us_dhcp_start(st);	/* no address to announce yet: DHCP finds one */
	else
		us_arp_announce(st);
	us_stack_flush(st);
}
