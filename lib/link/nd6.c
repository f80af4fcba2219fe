/*
 * nd6.c - IPv6 neighbour discovery for a host (RFC 4861): the neighbour
 * cache with its reachability states and bounded waiting queues, NS/NA,
 * router solicitation and the processing of advertisements, address
 * autoconfiguration and duplicate address detection (RFC 4862), and the
 * MLDv2 reports (RFC 3810) for our solicited-node groups.  IPv6 output asks
 * us_nd6_route/us_nd6_output for the next hop; icmp6.c hands ND and MLD
 * messages to us_nd6_input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/stack.h"
#include "../ip/ip6.h"
#include "../wire/wire.h"
#include "link.h"
#include "neigh.h"

#define NS_PER_S	1000000000ull
#define NS_PER_MS	1000000ull

/* RFC 4861 10: protocol constants of a host. */
#define ND_MAX_MCAST_SOLICIT	3	/* MAX_MULTICAST_SOLICIT */
#define ND_MAX_UCAST_SOLICIT	3	/* MAX_UNICAST_SOLICIT */
#define ND_REACHABLE_MS		30000u	/* REACHABLE_TIME */
#define ND_MAX_REACHABLE_MS	3600000u	/* MAX_REACHABLE_TIME (6.2.1): larger is bogus */
#define ND_RETRANS_NS		(1ull * NS_PER_S)	/* RETRANS_TIMER */
#define ND_DELAY_NS		(5ull * NS_PER_S)	/* DELAY_FIRST_PROBE_TIME */
#define ND_RS_DELAY_NS		(1ull * NS_PER_S)	/* MAX_RTR_SOLICITATION_DELAY */
#define ND_RS_INTERVAL_NS	(4ull * NS_PER_S)	/* RTR_SOLICITATION_INTERVAL */
#define ND_MAX_RS		3	/* MAX_RTR_SOLICITATIONS */
/* Ours: the RFC keeps STALE entries forever; like ARP we let unused ones go. */
#define ND_STALE_NS		(600ull * NS_PER_S)
/* RFC 4862 5.1: DupAddrDetectTransmits, and the random delay of 5.4.2. */
#define DAD_TRANSMITS		1
#define DAD_DELAY_NS		(1ull * NS_PER_S)
#define SLAAC_TWO_HOURS_NS	(7200ull * NS_PER_S)	/* RFC 4862 5.5.3(e) */
#define ND_INFINITY		0xffffffffu	/* a lifetime that never ends */
/* RFC 3810 9.1 and 9.11: Robustness Variable, Unsolicited Report Interval. */
#define MLD_ROBUSTNESS		2
#define MLD_UNSOL_NS		(1ull * NS_PER_S)

/* Message layouts after the 4-byte ICMPv6 type/code/checksum (RFC 4861 4). */
#define ND_RS_LEN		8	/* reserved, then options */
#define ND_RA_HLIM		4	/* Cur Hop Limit */
#define ND_RA_LIFETIME		6	/* Router Lifetime, s */
#define ND_RA_REACHABLE		8	/* Reachable Time, ms */
#define ND_RA_RETRANS		12	/* Retrans Timer, ms */
#define ND_RA_LEN		16
#define ND_NS_TARGET		8
#define ND_NS_LEN		24
#define ND_NA_FLAGS		4
#define ND_NA_R			0x80	/* Router */
#define ND_NA_S			0x40	/* Solicited */
#define ND_NA_O			0x20	/* Override */
#define ND_NA_TARGET		8
#define ND_NA_LEN		24
#define ND_RD_TARGET		8
#define ND_RD_DST		24
#define ND_RD_LEN		40
/* Option bodies (RFC 4861 4.6), from the option's type byte. */
#define ND_OPT_LLA_LEN		8
#define ND_OPT_PI_PLEN		2
#define ND_OPT_PI_FLAGS		3
#define ND_OPT_PI_L		0x80	/* on-link */
#define ND_OPT_PI_A		0x40	/* autonomous address configuration */
#define ND_OPT_PI_VALID		4
#define ND_OPT_PI_PREF		8
#define ND_OPT_PI_PREFIX	16
#define ND_OPT_PI_LEN		32
#define ND_OPT_MTU_VAL		4
#define ND_OPT_MTU_LEN		8
/* MLD (RFC 2710 3, RFC 3810 5). */
#define MLD_MAXRESP		4	/* Maximum Response Code */
#define MLD_ADDR		8	/* Multicast Address of a query */
#define MLD1_LEN		24	/* a version 1 query */
#define MLD2_QUERY_LEN		28	/* a version 2 query, no sources */
#define MLD2_NREC		6	/* Nr of Mcast Address Records of a report */
#define MLD2_REC_LEN		20	/* a record without sources */
#define MLD2_IS_EXCLUDE		2	/* MODE_IS_EXCLUDE: answers a query */
#define MLD2_TO_INCLUDE		3	/* CHANGE_TO_INCLUDE_MODE: leaving */
#define MLD2_TO_EXCLUDE		4	/* CHANGE_TO_EXCLUDE_MODE: joining */

static const struct us_in6 in6_unspec;
static const struct us_in6 all_nodes = { { 0xff, 0x02, [15] = 0x01 } };
static const struct us_in6 all_routers = { { 0xff, 0x02, [15] = 0x02 } };
static const struct us_in6 mld_routers = { { 0xff, 0x02, [15] = 0x16 } };

/* What opts_parse found among a message's options. */
struct nd_opts {
	const uint8_t *slla;	/* source link-layer address (6 bytes), or NULL */
	const uint8_t *tlla;	/* target link-layer address (6 bytes), or NULL */
	const uint8_t *mtu;	/* MTU option, from its type byte, or NULL */
};

static uint64_t
rand_ns(struct us_stack *st, uint64_t max)
{
	return max == 0 ? 0 : ((uint64_t)us_stack_rand(st) << 32 | us_stack_rand(st)) % max;
}

/* A lifetime in seconds from a message as an absolute deadline. */
static uint64_t
lifetime_end(uint64_t now, uint32_t s)
{
	return s == ND_INFINITY ? UINT64_MAX : now + (uint64_t)s * NS_PER_S;
}

/*
 * RFC 4861 6.3.2: ReachableTime is the base times a random 0.5..1.5, so
 * neighbours do not probe in step.
 */
static void
set_reachable(struct us_stack *st, uint32_t base_ms)
{
	uint64_t base = (uint64_t)base_ms * NS_PER_MS;

	st->nd.reachable_ns = base / 2 + ((base * us_stack_rand(st)) >> 32);
}

static int
is_solicited_group(const struct us_in6 *g)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	return memcmp(g->b, pfx, sizeof(pfx)) == 0;
}

/* Is a in a state whose solicited-node group we listen to? */
static int
listening(const struct us_ip6_addr *a)
{
	return a->state == US_IP6A_TENTATIVE || a->state == US_IP6A_PREFERRED ||
	       a->state == US_IP6A_DEPRECATED;
}

/* Our link-local address once DAD passed, or NULL: ND and MLD messages come from it. */
static const struct us_ip6_addr *
linklocal(const struct us_stack *st)
{
	int i;

	for (i = 0; i < US_IP6_NADDR; i++) {
		const struct us_ip6_addr *a = &st->ip6.addr[i];

		if ((a->state == US_IP6A_PREFERRED || a->state == US_IP6A_DEPRECATED) &&
		    us_in6_is_linklocal(&a->addr))
			return a;
	}
	return NULL;
}

/* Our solicited-node groups, each once (a link-local and a SLAAC address share one). */
static int
our_groups(const struct us_stack *st, struct us_in6 g[US_IP6_NADDR])
{
	int i, j, n = 0;

	for (i = 0; i < US_IP6_NADDR; i++) {
		if (!listening(&st->ip6.addr[i]))
			continue;
		us_in6_solicited(&g[n], &st->ip6.addr[i].addr);
		for (j = 0; j < n && !us_in6_eq(&g[j], &g[n]); j++)
			;
		if (j == n)
			n++;
	}
	return n;
}

static int
our_group(const struct us_stack *st, const struct us_in6 *grp)
{
	struct us_in6 g[US_IP6_NADDR];
	int i, n = our_groups(st, g);

	for (i = 0; i < n; i++)
		if (us_in6_eq(&g[i], grp))
			return 1;
	return 0;
}

/*
 * Checks the options after a message's fixed part (RFC 4861 4.6): each
 * has a non-zero length and ends within the message.  Link-layer
 * addresses must be unicast: a multicast one would poison the cache.
 * Unknown options are skipped (4.6).  Returns 0 or -1.
 */
static int
opts_parse(const uint8_t *p, uint32_t len, struct nd_opts *o)
{
	memset(o, 0, sizeof(*o));
	while (len > 0) {
		uint32_t olen;

		if (len < 2)
			return -1;
		olen = p[1] * 8u;
		if (olen == 0 || olen > len)
			return -1;
		switch (p[0]) {
		case US_ND_OPT_SLLA:
		case US_ND_OPT_TLLA:
			if ((p[2] & 1) != 0)
				return -1;
			if (p[0] == US_ND_OPT_SLLA && o->slla == NULL)
				o->slla = p + 2;
			else if (p[0] == US_ND_OPT_TLLA && o->tlla == NULL)
				o->tlla = p + 2;
			break;
		case US_ND_OPT_MTU:
			/* 4.6.4: exactly one unit; another size is ignored, not fatal. */
			if (olen == ND_OPT_MTU_LEN && o->mtu == NULL)
				o->mtu = p;
			break;
		}
		p += olen;
		len -= olen;
	}
	return 0;
}

/* ---- the neighbour cache ---- */

static uint32_t
slot_of(const struct us_stack *st, const struct us_in6 *ip)
{
	/* Neighbours differ in the interface id: hash the low half, folding in the prefix. */
	uint32_t h = us_get32(ip->b + 12) ^ us_get32(ip->b + 8) * 31u ^ us_get32(ip->b + 4) ^
		     us_get32(ip->b);

	return (h * 2654435761u) >> 8 & (st->nd.size - 1);
}

/* The neighbour cache as neigh.c sees it. */
static struct us_neigh_tab
cache(struct us_stack *st)
{
	return US_NEIGH_TAB(st->nd, st->stats->nd6.resolve_fail);
}

static struct us_nd_entry *
find(const struct us_stack *st, const struct us_in6 *ip)
{
	if (st->nd.tab == NULL)
		return NULL;
	return (struct us_nd_entry *)us_neigh_find(st->nd.tab, st->nd.size, sizeof(*st->nd.tab),
						   slot_of(st, ip), ip, sizeof(*ip));
}

/* Frees e and what waited for it (counted: the address did not resolve). */
static void
entry_clear(struct us_stack *st, struct us_nd_entry *e)
{
	struct us_neigh_tab t = cache(st);

	us_neigh_clear(&t, &e->n);
}

/*
 * A slot for a new neighbour, holding its address: a free one, else the
 * entry due soonest that is not resolving.  NULL: all are resolving.
 */
static struct us_nd_entry *
slot_new(struct us_stack *st, const struct us_in6 *ip)
{
	struct us_neigh_tab t = cache(st);

	return (struct us_nd_entry *)us_neigh_new(&t, slot_of(st, ip), ip);
}

static void
set_timer(struct us_stack *st, struct us_nd_entry *e, uint64_t when)
{
	us_neigh_set_timer(&st->nd.next_timer, &e->n, when);
}

static void
to_reachable(struct us_stack *st, struct us_nd_entry *e)
{
	e->state = US_ND_REACHABLE;
	e->tries = 0;
	set_timer(st, e, st->now + st->nd.reachable_ns);
}

static void
to_stale(struct us_stack *st, struct us_nd_entry *e)
{
	e->state = US_ND_STALE;
	e->tries = 0;
	set_timer(st, e, st->now + ND_STALE_NS);
}

/* RFC 4861 7.3.3: sending through a STALE entry starts the wait for upper-layer hints. */
static void
to_delay(struct us_stack *st, struct us_nd_entry *e)
{
	e->state = US_ND_DELAY;
	e->tries = 0;
	set_timer(st, e, st->now + ND_DELAY_NS);
}

/* Sends what waited for e, now that its link address is known. */
static void
flush_pending(struct us_stack *st, struct us_nd_entry *e)
{
	if (e->n.pend == NULL)
		return;
	/* RFC 4861 7.3.3: sending through a STALE entry starts its DELAY. */
	if (e->state == US_ND_STALE)
		to_delay(st, e);
	us_neigh_flush(st, &e->n, &st->nd.npend, US_ETHERTYPE_IPV6);
}

/*
 * Records ip -> mac from a solicitation's or advertisement's source
 * link-layer address (RFC 4861 6.3.4, 7.2.3): a new entry, or a changed
 * address, is STALE (not confirmed reachable); an INCOMPLETE entry learns
 * it and sends what waited.  Returns the entry or NULL (cache full).
 */
static struct us_nd_entry *
learn(struct us_stack *st, const struct us_in6 *ip, const uint8_t *mac)
{
	struct us_nd_entry *e = find(st, ip);

	if (e == NULL) {
		e = slot_new(st, ip);
		if (e == NULL) {
			st->stats->nd6.cache_full++;
			return NULL;
		}
		memcpy(e->n.mac, mac, 6);
		to_stale(st, e);
		return e;
	}
	if (e->state == US_ND_INCOMPLETE || memcmp(e->n.mac, mac, 6) != 0) {
		memcpy(e->n.mac, mac, 6);
		to_stale(st, e);
		flush_pending(st, e);
	}
	return e;
}

/* ---- messages we send ---- */

/* A new message of len zeroed bytes; NULL (counted) without a buffer. */
static uint8_t *
msg_new(struct us_stack *st, struct us_pkt **pp, uint32_t len)
{
	struct us_pkt *pkt = us_pkt_alloc(st->pool);
	uint8_t *m = pkt != NULL ? us_pkt_append(pkt, len) : NULL;

	if (m == NULL) {
		if (pkt != NULL)
			us_pkt_free(pkt);
		st->stats->ip6.tx_nobuf++;
		*pp = NULL;
		return NULL;
	}
	memset(m, 0, len);
	*pp = pkt;
	return m;
}

static void
put_lla(uint8_t *p, uint8_t type, const uint8_t mac[6])
{
	p[0] = type;
	p[1] = ND_OPT_LLA_LEN / 8;
	memcpy(p + 2, mac, 6);
}

/*
 * Sends a neighbour solicitation for target to dst from src; src NULL is
 * DAD's unspecified source, which carries no source link-layer address
 * (RFC 4861 7.2.2, RFC 4862 5.4.2).
 */
static void
send_ns(struct us_stack *st, const struct us_in6 *target, const struct us_in6 *dst,
	const struct us_in6 *src)
{
	uint32_t len = ND_NS_LEN + (src != NULL ? ND_OPT_LLA_LEN : 0);
	struct us_pkt *pkt;
	uint8_t *m = msg_new(st, &pkt, len);

	if (m == NULL)
		return;
	m[0] = US_ICMP6_ND_NS;
	memcpy(m + ND_NS_TARGET, target->b, 16);
	if (src != NULL)
		put_lla(m + ND_NS_LEN, US_ND_OPT_SLLA, st->mac);
	st->stats->nd6.tx_ns++;
	/* A solicitation goes to its neighbour (or group) directly, whatever the prefixes say. */
	us_icmp6_output(st, pkt, src != NULL ? src : &in6_unspec, dst, 255, US_IP6_SEND_ONLINK);
}

/*
 * Solicits e's link address: multicast to its solicited-node group while
 * resolving, unicast to the cached address when probing (RFC 4861 7.2.2,
 * 7.3.3).  The source is that of a waiting packet if it is ours (the
 * neighbour then learns the address it will answer), else our best.
 */
static void
solicit(struct us_stack *st, struct us_nd_entry *e, int unicast)
{
	struct us_in6 src, dst;

	if (e->n.pend != NULL && e->n.pend->len >= US_IP6_HLEN) {
		memcpy(src.b, us_pkt_data(e->n.pend) + US_IP6_SRC, 16);
		if (!us_ip6_is_ours(st, &src) && us_ip6_select_src(st, &e->ip, &src) != 0)
			return;
	} else if (us_ip6_select_src(st, &e->ip, &src) != 0) {
		/* No usable address yet (DAD running): the retries will try again. */
		return;
	}
	if (unicast)
		dst = e->ip;
	else
		us_in6_solicited(&dst, &e->ip);
	send_ns(st, &e->ip, &dst, &src);
}

/* Advertises our address target to dst with flags, and our MAC (RFC 4861 7.2.4). */
static void
send_na(struct us_stack *st, const struct us_in6 *target, const struct us_in6 *dst, uint8_t flags)
{
	struct us_pkt *pkt;
	uint8_t *m = msg_new(st, &pkt, ND_NA_LEN + ND_OPT_LLA_LEN);

	if (m == NULL)
		return;
	m[0] = US_ICMP6_ND_NA;
	m[ND_NA_FLAGS] = flags;
	memcpy(m + ND_NA_TARGET, target->b, 16);
	put_lla(m + ND_NA_LEN, US_ND_OPT_TLLA, st->mac);
	st->stats->nd6.tx_na++;
	/*
	 * RFC 4861 7.2.4: back to the solicitation's source, which its hop
	 * limit of 255 proves is on the link, whatever our prefixes say.
	 */
	us_icmp6_output(st, pkt, target, dst, 255, US_IP6_SEND_ONLINK);
}

/*
 * Sends a router solicitation to all-routers (RFC 4861 6.3.7): from our
 * link-local address with our MAC, or from :: without it while the
 * link-local address is still tentative (4.1).
 */
static void
send_rs(struct us_stack *st)
{
	const struct us_ip6_addr *ll = linklocal(st);
	struct us_pkt *pkt;
	uint8_t *m = msg_new(st, &pkt, ND_RS_LEN + (ll != NULL ? ND_OPT_LLA_LEN : 0));

	if (m == NULL)
		return;
	m[0] = US_ICMP6_ND_RS;
	if (ll != NULL)
		put_lla(m + ND_RS_LEN, US_ND_OPT_SLLA, st->mac);
	st->stats->nd6.tx_rs++;
	us_icmp6_output(st, pkt, ll != NULL ? &ll->addr : &in6_unspec, &all_routers, 255, 0);
}

/*
 * Sends one MLDv2 report (RFC 3810 5.2) with a record of type rectype and
 * no sources for each of the n groups: to ff02::16 with hop limit 1 and a
 * Router Alert (5.2.13, 7.4), from our link-local address, or from :: while
 * it is tentative (RFC 4862 5.4.2 needs the join before DAD ends).
 */
static void
send_report(struct us_stack *st, uint8_t rectype, const struct us_in6 *g, int n)
{
	const struct us_ip6_addr *ll = linklocal(st);
	struct us_pkt *pkt;
	uint8_t *m;
	int i;

	if (n == 0)
		return;
	m = msg_new(st, &pkt, US_ICMP6_HLEN + (uint32_t)n * MLD2_REC_LEN);
	if (m == NULL)
		return;
	m[0] = US_ICMP6_MLD2_REPORT;
	us_put16(m + MLD2_NREC, (uint16_t)n);
	for (i = 0; i < n; i++) {
		uint8_t *r = m + US_ICMP6_HLEN + i * MLD2_REC_LEN;

		r[0] = rectype;
		memcpy(r + 4, g[i].b, 16);
	}
	st->stats->nd6.tx_mld_report++;
	us_icmp6_output(st, pkt, ll != NULL ? &ll->addr : &in6_unspec, &mld_routers, 1,
			US_IP6_SEND_RALERT);
}

/* Reports every group we listen to with one record type. */
static void
report_groups(struct us_stack *st, uint8_t rectype)
{
	struct us_in6 g[US_IP6_NADDR];

	send_report(st, rectype, g, our_groups(st, g));
}

/*
 * We joined a group (an address was added): RFC 3810 6.1 sends a state
 * change report at once and repeats it Robustness - 1 times, here 1 s
 * apart; each lists every group, so one repetition schedule covers all.
 */
static void
mld_joined(struct us_stack *st)
{
	report_groups(st, MLD2_TO_EXCLUDE);
	st->nd.mld_left = MLD_ROBUSTNESS - 1;
	st->nd.mld_timer = st->now + MLD_UNSOL_NS;
}

/* ---- duplicate address detection (RFC 4862 5.4) ---- */

/* Makes a tentative and schedules its first DAD solicitation, without MLD. */
static void
dad_arm(struct us_stack *st, struct us_ip6_addr *a)
{
	a->state = US_IP6A_TENTATIVE;
	a->dad_left = DAD_TRANSMITS;
	/* 5.4.2: a random delay first, so nodes started together do not collide. */
	a->dad_timer = st->now + 1 + rand_ns(st, DAD_DELAY_NS);
}

void
us_nd6_dad_start(struct us_stack *st, struct us_ip6_addr *a)
{
	dad_arm(st, a);
	/* 5.4.2: join the address's solicited-node group before soliciting. */
	mld_joined(st);
}

/*
 * Another node has a (RFC 4862 5.4.5): never use it, and say so once,
 * naming the setting to change.  A duplicate link-local address stops
 * IPv6 on the interface (and the other addresses' DAD): ND and MLD speak
 * from it.
 */
static void
dad_fail(struct us_stack *st, struct us_ip6_addr *a)
{
	char buf[48];
	int i;

	a->state = US_IP6A_DUPLICATE;
	a->dad_left = 0;
	a->dad_timer = 0;
	st->stats->nd6.dad_dup++;
	us_in6_ntop(&a->addr, buf);
	if (us_in6_is_linklocal(&a->addr)) {
		fprintf(stderr,
			"usock: IPv6 link-local address %s is already in use on the link "
			"(duplicate address detection); IPv6 is off; set another USOCK_MAC\n",
			buf);
		st->ip6.enabled = 0;
		for (i = 0; i < US_IP6_NADDR; i++)
			st->ip6.addr[i].dad_timer = 0;
		st->nd.rs_left = 0;
		st->nd.rs_timer = 0;
		st->nd.mld_left = 0;
		st->nd.mld_timer = 0;
	} else if (a->autoconf) {
		fprintf(stderr,
			"usock: IPv6 address %s (from a router's prefix) is already in use on the "
			"link (duplicate address detection); set another USOCK_MAC or a USOCK_IPV6 "
			"address\n",
			buf);
	} else {
		fprintf(stderr,
			"usock: IPv6 address %s is already in use on the link (duplicate address "
			"detection); choose another USOCK_IPV6\n",
			buf);
	}
}

/* One step of DAD for a, due now: the next solicitation, or success. */
static void
dad_timer(struct us_stack *st, struct us_ip6_addr *a, uint64_t now)
{
	struct us_in6 g;

	if (a->dad_left > 0) {
		/* 5.4.2: from ::, to the solicited-node group, RetransTimer apart. */
		us_in6_solicited(&g, &a->addr);
		send_ns(st, &a->addr, &g, NULL);
		a->dad_left--;
		a->dad_timer = now + st->nd.retrans_ns;
		return;
	}
	/* 5.4: RetransTimer after the last solicitation nobody objected: it is ours. */
	a->dad_timer = 0;
	a->state = a->autoconf && a->preferred <= now ? US_IP6A_DEPRECATED : US_IP6A_PREFERRED;
	st->stats->nd6.dad_ok++;
}

/* ---- input ---- */

/* RFC 4861 7.1.1 validation, 7.2.3 processing; RFC 4862 5.4.3 during DAD. */
static int
ns_input(struct us_stack *st, struct us_pkt *pkt, const uint8_t *m, uint32_t len)
{
	int unspec = us_in6_is_unspec(&pkt->ip6_src);
	struct us_ip6_addr *a;
	struct us_in6 target;
	struct nd_opts o;

	if (len < ND_NS_LEN || opts_parse(m + ND_NS_LEN, len - ND_NS_LEN, &o) != 0)
		return -1;
	memcpy(target.b, m + ND_NS_TARGET, 16);
	if (us_in6_is_multicast(&target))
		return -1;
	/* Only DAD comes from ::, and it goes to the solicited-node group without our MAC. */
	if (unspec && (!is_solicited_group(&pkt->ip6_dst) || o.slla != NULL))
		return -1;
	st->stats->nd6.rx_ns++;
	a = us_ip6_addr_find(st, &target);
	if (a == NULL || a->state == US_IP6A_DUPLICATE)
		return 0;	/* not ours: a host answers for its own addresses only */
	if (a->state == US_IP6A_TENTATIVE) {
		/*
		 * RFC 4862 5.4.3: from :: it is another node's DAD for the
		 * same address, so ours is a duplicate.  From a real source
		 * someone resolves an address we may not use yet: stay quiet.
		 */
		if (unspec)
			dad_fail(st, a);
		return 0;
	}
	if (unspec) {
		/* 7.2.4: defend against another node's DAD: to all-nodes, not solicited. */
		send_na(st, &target, &all_nodes, ND_NA_O);
		return 0;
	}
	/* 7.2.3: the sender is about to talk to us: remember its MAC for the answer. */
	if (o.slla != NULL)
		learn(st, &pkt->ip6_src, o.slla);
	/* We own no anycast address, so every answer overrides (7.2.4). */
	send_na(st, &target, &pkt->ip6_src, ND_NA_S | ND_NA_O);
	return 0;
}

/* RFC 4861 7.1.2 validation, 7.2.5 processing; RFC 4862 5.4.4 during DAD. */
static int
na_input(struct us_stack *st, struct us_pkt *pkt, const uint8_t *m, uint32_t len)
{
	struct us_nd_entry *e;
	struct us_ip6_addr *a;
	struct us_in6 target;
	struct nd_opts o;
	uint8_t flags;
	int differ, was_router;

	if (len < ND_NA_LEN || opts_parse(m + ND_NA_LEN, len - ND_NA_LEN, &o) != 0)
		return -1;
	memcpy(target.b, m + ND_NA_TARGET, 16);
	flags = m[ND_NA_FLAGS];
	if (us_in6_is_multicast(&target))
		return -1;
	/* A solicited advertisement answers one node: it is never multicast. */
	if (us_in6_is_multicast(&pkt->ip6_dst) && (flags & ND_NA_S) != 0)
		return -1;
	st->stats->nd6.rx_na++;
	a = us_ip6_addr_find(st, &target);
	if (a != NULL && a->state != US_IP6A_DUPLICATE) {
		/* RFC 4862 5.4.4: someone has the address we are testing. */
		if (a->state == US_IP6A_TENTATIVE)
			dad_fail(st, a);
		else
			st->stats->nd6.conflict++;	/* 5.4.4: DAD is over; counted for the operator */
		return 0;
	}
	e = find(st, &target);
	if (e == NULL)
		return 0;	/* 7.2.5: nobody asked; an advertisement creates no entry */
	if (e->state == US_ND_INCOMPLETE) {
		/* 7.2.5: without the address it says nothing we can use. */
		if (o.tlla == NULL)
			return 0;
		memcpy(e->n.mac, o.tlla, 6);
		e->router = (flags & ND_NA_R) != 0;
		if ((flags & ND_NA_S) != 0)
			to_reachable(st, e);
		else
			to_stale(st, e);
		flush_pending(st, e);
		return 0;
	}
	differ = o.tlla != NULL && memcmp(o.tlla, e->n.mac, 6) != 0;
	if ((flags & ND_NA_O) == 0 && differ) {
		/*
		 * 7.2.5: without Override another address does not replace
		 * ours (an anycast responder, a proxy), but it makes a
		 * reachable entry doubtful.
		 */
		if (e->state == US_ND_REACHABLE)
			to_stale(st, e);
		return 0;
	}
	if (differ)
		memcpy(e->n.mac, o.tlla, 6);
	if ((flags & ND_NA_S) != 0)
		to_reachable(st, e);
	else if (differ)
		to_stale(st, e);
	was_router = e->router;
	e->router = (flags & ND_NA_R) != 0;
	/* 7.2.5: a router that became a host is no default router (a configured one stays). */
	if (was_router && !e->router && us_in6_eq(&st->nd.router, &target) &&
	    st->nd.router_until != UINT64_MAX) {
		memset(&st->nd.router, 0, sizeof(st->nd.router));
		st->nd.router_until = 0;
	}
	return 0;
}

/* An advertised on-link prefix (RFC 4861 6.3.4): kept for its valid lifetime. */
static void
onlink_update(struct us_stack *st, const struct us_in6 *prefix, uint8_t plen, uint32_t valid)
{
	struct us_nd_prefix *free_slot = NULL;
	int i;

	for (i = 0; i < US_ND_NPREFIX; i++) {
		struct us_nd_prefix *p = &st->nd.prefix[i];

		if (p->plen == plen && us_in6_prefix_eq(prefix, &p->prefix, plen)) {
			/* A zero lifetime withdraws it at once. */
			if (valid == 0)
				p->plen = 0;
			else
				p->valid = lifetime_end(st->now, valid);
			return;
		}
		if (free_slot == NULL && (p->plen == 0 || p->valid <= st->now))
			free_slot = p;
	}
	/* No room: the prefix stays off-link and its traffic goes via the router. */
	if (valid == 0 || free_slot == NULL)
		return;
	free_slot->prefix = *prefix;
	free_slot->plen = plen;
	free_slot->valid = lifetime_end(st->now, valid);
}

/* Our modified EUI-64 interface identifier (RFC 4291 2.5.1, appendix A) after prefix. */
static void
make_slaac_addr(const struct us_stack *st, const struct us_in6 *prefix, struct us_in6 *a)
{
	memcpy(a->b, prefix->b, 8);
	a->b[8] = st->mac[0] ^ 0x02;	/* the universal/local bit, inverted */
	a->b[9] = st->mac[1];
	a->b[10] = st->mac[2];
	a->b[11] = 0xff;
	a->b[12] = 0xfe;
	memcpy(a->b + 13, st->mac + 3, 3);
}

/* An autonomous prefix (RFC 4862 5.5.3): make or refresh our address in it. */
static void
slaac_update(struct us_stack *st, const struct us_in6 *prefix, uint8_t plen, uint32_t valid,
	     uint32_t pref)
{
	struct us_ip6_addr *a;
	struct us_in6 addr;
	uint64_t remaining, lt;

	/* (d): prefix and our 64-bit interface id must make 128 bits. */
	if (plen != 64)
		return;
	/* (c): a preferred lifetime past the valid one is inconsistent. */
	if (pref > valid)
		return;
	make_slaac_addr(st, prefix, &addr);
	a = us_ip6_addr_find(st, &addr);
	if (a == NULL) {
		/* (d): a new address needs a valid lifetime. */
		if (valid == 0)
			return;
		a = us_ip6_addr_add(st, &addr, 64, 1, 1);
		if (a == NULL)
			return;	/* all address slots in use */
		a->preferred = lifetime_end(st->now, pref);
		a->valid = lifetime_end(st->now, valid);
		st->stats->nd6.slaac_addr++;
		return;
	}
	/* A configured address of that value keeps its lifetimes; a duplicate stays dead. */
	if (!a->autoconf || a->state == US_IP6A_DUPLICATE)
		return;
	/* (e): the preferred lifetime is reset to the advertised one. */
	a->preferred = lifetime_end(st->now, pref);
	if (a->state == US_IP6A_DEPRECATED && a->preferred > st->now)
		a->state = US_IP6A_PREFERRED;
	else if (a->state == US_IP6A_PREFERRED && a->preferred <= st->now)
		a->state = US_IP6A_DEPRECATED;
	/*
	 * (e), the two-hour rule: an unauthenticated advertisement may
	 * lengthen the valid lifetime, or shorten it to no less than two
	 * hours, so a forged one cannot kill our address at once.
	 */
	if (a->valid == UINT64_MAX)
		remaining = UINT64_MAX;
	else
		remaining = a->valid > st->now ? a->valid - st->now : 0;
	lt = valid == ND_INFINITY ? UINT64_MAX : (uint64_t)valid * NS_PER_S;
	if (lt > SLAAC_TWO_HOURS_NS || lt > remaining)
		a->valid = lifetime_end(st->now, valid);
	else if (remaining > SLAAC_TWO_HOURS_NS)
		a->valid = st->now + SLAAC_TWO_HOURS_NS;
}

/* One Prefix Information option (RFC 4861 4.6.2), from its type byte. */
static void
prefix_input(struct us_stack *st, const uint8_t *p)
{
	uint8_t plen = p[ND_OPT_PI_PLEN], flags = p[ND_OPT_PI_FLAGS];
	uint32_t valid = us_get32(p + ND_OPT_PI_VALID), pref = us_get32(p + ND_OPT_PI_PREF);
	struct us_in6 prefix;
	unsigned i;

	/* A zero length would put the whole Internet on the link (and marks free slots). */
	if (plen == 0 || plen > 128)
		return;
	memcpy(prefix.b, p + ND_OPT_PI_PREFIX, 16);
	/* 6.3.4, RFC 4862 5.5.3(b): the link-local prefix is not the router's to give. */
	if (us_in6_is_linklocal(&prefix) || us_in6_is_multicast(&prefix))
		return;
	/* Bits past the length are to be ignored: clear them so prefixes compare exactly. */
	for (i = plen; i < 128; i++)
		prefix.b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	if ((flags & ND_OPT_PI_L) != 0)
		onlink_update(st, &prefix, plen, valid);
	if ((flags & ND_OPT_PI_A) != 0 && st->ip6.slaac)
		slaac_update(st, &prefix, plen, valid, pref);
}

/* RFC 4861 6.1.2 validation, 6.3.4 processing. */
static int
ra_input(struct us_stack *st, struct us_pkt *pkt, const uint8_t *m, uint32_t len)
{
	struct us_nd *nd = &st->nd;
	const struct us_in6 *src = &pkt->ip6_src;
	uint32_t reach, retrans, off;
	uint16_t lifetime;
	struct nd_opts o;

	/* Routers speak from their link-local address (6.1.2): anything else is off-link. */
	if (!us_in6_is_linklocal(src) || len < ND_RA_LEN ||
	    opts_parse(m + ND_RA_LEN, len - ND_RA_LEN, &o) != 0)
		return -1;
	st->stats->nd6.rx_ra++;
	/* 6.3.4: zero in any of these means "unspecified": keep what we have. */
	if (m[ND_RA_HLIM] != 0)
		nd->cur_hlim = m[ND_RA_HLIM];
	reach = us_get32(m + ND_RA_REACHABLE);
	if (reach != 0 && reach <= ND_MAX_REACHABLE_MS)
		set_reachable(st, reach);
	retrans = us_get32(m + ND_RA_RETRANS);
	if (retrans != 0)
		nd->retrans_ns = (uint64_t)retrans * NS_PER_MS;
	/*
	 * 6.3.4: the router lifetime says whether it is a default router.
	 * We keep one default router, not a list: a second router is
	 * taken only when the first one's lifetime ran out.  A configured
	 * gateway (router_until UINT64_MAX) is never replaced.
	 */
	lifetime = us_get16(m + ND_RA_LIFETIME);
	if (nd->router_until != UINT64_MAX) {
		if (lifetime != 0) {
			if (us_in6_is_unspec(&nd->router) || us_in6_eq(&nd->router, src) ||
			    nd->router_until <= st->now) {
				nd->router = *src;
				nd->router_until = st->now + (uint64_t)lifetime * NS_PER_S;
			}
			/* 6.3.7: a router answered: stop soliciting. */
			nd->rs_left = 0;
			nd->rs_timer = 0;
		} else if (us_in6_eq(&nd->router, src)) {
			memset(&nd->router, 0, sizeof(nd->router));
			nd->router_until = 0;
		}
	}
	if (o.slla != NULL) {
		struct us_nd_entry *e = learn(st, src, o.slla);

		if (e != NULL)
			e->router = 1;
	}
	/*
	 * 6.3.4: an MTU option within the link's limits sets the link MTU
	 * for IPv6 (st->nd.mtu; IPv4 keeps st->mtu).  Others are ignored.
	 */
	if (o.mtu != NULL) {
		uint32_t mtu = us_get32(o.mtu + ND_OPT_MTU_VAL);

		if (mtu >= US_IP6_MINMTU && mtu <= st->mtu)
			nd->mtu = mtu;
	}
	/* opts_parse checked every length: walk again for the prefixes. */
	for (off = ND_RA_LEN; off < len; off += m[off + 1] * 8u)
		if (m[off] == US_ND_OPT_PREFIX && m[off + 1] * 8u == ND_OPT_PI_LEN)
			prefix_input(st, m + off);
	return 0;
}

/*
 * RFC 4861 8.1 validation.  We keep no destination cache: every off-link
 * destination goes through the one default router, so there is nowhere
 * to record a better first hop for one destination.  A valid redirect is
 * counted and its content ignored, which 8.3 allows ("MAY").
 */
static int
redirect_input(struct us_stack *st, struct us_pkt *pkt, const uint8_t *m, uint32_t len)
{
	struct us_in6 target, dst, nh;
	struct nd_opts o;

	if (!us_in6_is_linklocal(&pkt->ip6_src) || len < ND_RD_LEN ||
	    opts_parse(m + ND_RD_LEN, len - ND_RD_LEN, &o) != 0)
		return -1;
	memcpy(target.b, m + ND_RD_TARGET, 16);
	memcpy(dst.b, m + ND_RD_DST, 16);
	if (us_in6_is_multicast(&dst))
		return -1;
	/* The better hop is a router (link-local) or the destination itself, on link. */
	if (!us_in6_is_linklocal(&target) && !us_in6_eq(&target, &dst))
		return -1;
	/* Only the first hop we use for dst may redirect us. */
	if (us_nd6_route(st, &dst, &nh) != 0 || !us_in6_eq(&nh, &pkt->ip6_src))
		return -1;
	st->stats->nd6.rx_redirect++;
	return 0;
}

/*
 * An MLD query (RFC 3810 5.1, 6.2; version 1 queries of RFC 2710 are
 * answered in version 2 as well): a general one, or one for a group of
 * ours, schedules a report after a random delay up to its maximum
 * response delay.  The Router Alert option is not checked here: the IPv6
 * layer does not pass it up.
 */
static int
mld_query_input(struct us_stack *st, struct us_pkt *pkt, const uint8_t *m, uint32_t len)
{
	struct us_nd *nd = &st->nd;
	struct us_in6 g;
	uint64_t maxresp, when;
	uint16_t code;

	/* 6.2 and 5.1: queries come from a link-local router, with hop limit 1. */
	if (!us_in6_is_linklocal(&pkt->ip6_src) || pkt->ip_ttl != 1 ||
	    (len != MLD1_LEN && len < MLD2_QUERY_LEN))
		return -1;
	st->stats->nd6.rx_mld_query++;
	memcpy(g.b, m + MLD_ADDR, 16);
	/* all-nodes is never reported (RFC 3810 6), nor a group we are not in. */
	if (!us_in6_is_unspec(&g) && !our_group(st, &g))
		return 0;
	code = us_get16(m + MLD_MAXRESP);
	/* 5.1.3: from 32768 the code is a floating-point value in ms. */
	if (len == MLD1_LEN || code < 32768)
		maxresp = code;
	else
		maxresp = (uint64_t)((code & 0x0fff) | 0x1000) << (((code >> 12) & 7) + 3);
	when = st->now + 1 + rand_ns(st, maxresp * NS_PER_MS);
	/* 6.2: an answer already due sooner covers this query too. */
	if (nd->mld_timer == 0 || when < nd->mld_timer)
		nd->mld_timer = when;
	return 0;
}

void
us_nd6_input(struct us_stack *st, struct us_pkt *pkt)
{
	const uint8_t *m = us_pkt_data(pkt);
	uint32_t len = pkt->len;
	int rc = 0;

	/*
	 * RFC 6980: ND messages must not be fragmented (a fragment could
	 * hide options from a filter); one buffer is also what the parsers
	 * read.  MLD messages are small enough to meet the same rule.
	 */
	if (pkt->next != NULL || len < US_ICMP6_HLEN) {
		rc = -1;
		goto out;
	}
	if (m[0] == US_ICMP6_MLD_QUERY) {
		rc = mld_query_input(st, pkt, m, len);
		goto out;
	}
	if (m[0] < US_ICMP6_ND_RS || m[0] > US_ICMP6_ND_REDIRECT)
		goto out;	/* other listeners' reports: a host ignores them (RFC 3810 6) */
	/*
	 * RFC 4861 6.1, 7.1, 8.1: hop limit 255 proves the sender is on our
	 * link (a router would have decremented it); code 0.
	 */
	if (pkt->ip_ttl != 255 || m[1] != 0) {
		rc = -1;
		goto out;
	}
	switch (m[0]) {
	case US_ICMP6_ND_RS:
		st->stats->nd6.rx_rs++;	/* 6.2.6: hosts ignore solicitations */
		break;
	case US_ICMP6_ND_RA:
		rc = ra_input(st, pkt, m, len);
		break;
	case US_ICMP6_ND_NS:
		rc = ns_input(st, pkt, m, len);
		break;
	case US_ICMP6_ND_NA:
		rc = na_input(st, pkt, m, len);
		break;
	case US_ICMP6_ND_REDIRECT:
		rc = redirect_input(st, pkt, m, len);
		break;
	}
out:
	if (rc != 0)
		st->stats->nd6.rx_bad++;
	us_pkt_free(pkt);
}

/* ---- output and routes ---- */

int
us_nd6_output(struct us_stack *st, struct us_pkt *pkt, const struct us_in6 *nexthop)
{
	struct us_nd_entry *e;
	uint8_t mac[6];
	int created = 0, rc;

	if (us_in6_is_multicast(nexthop)) {
		/* RFC 2464 7: a group's MAC is fixed; nothing to resolve. */
		us_in6_mcast_mac(mac, nexthop);
		us_eth_output(st, pkt, mac, US_ETHERTYPE_IPV6);
		return 0;
	}
	e = find(st, nexthop);
	if (e != NULL && e->state >= US_ND_REACHABLE) {
		if (e->state == US_ND_STALE)
			to_delay(st, e);
		us_eth_output(st, pkt, e->n.mac, US_ETHERTYPE_IPV6);
		return 0;
	}
	if (e == NULL) {
		e = slot_new(st, nexthop);
		if (e == NULL) {
			st->stats->nd6.cache_full++;
			us_pkt_free(pkt);
			return -ENOBUFS;
		}
		e->state = US_ND_INCOMPLETE;
		created = 1;
	}
	rc = us_neigh_enqueue(&e->n, &st->nd.npend, pkt);
	if (rc != 0)
		st->stats->nd6.queue_drop++;
	if (created) {
		/* 7.2.2: the first multicast solicitation, after queueing so its source is known. */
		e->tries = 1;
		set_timer(st, e, st->now + st->nd.retrans_ns);
		solicit(st, e, 0);
	}
	return rc;
}

int
us_nd6_route(const struct us_stack *st, const struct us_in6 *dst, struct us_in6 *nexthop)
{
	const struct us_nd *nd = &st->nd;
	int i;

	/* Multicast and link-local destinations are on the link by definition. */
	if (us_in6_is_multicast(dst) || us_in6_is_linklocal(dst))
		goto onlink;
	/*
	 * A configured address's prefix is on link, as with IPv4.  A SLAAC
	 * address's is not by itself (RFC 5942 4): only the L flag says so,
	 * and that is in nd->prefix.
	 */
	for (i = 0; i < US_IP6_NADDR; i++) {
		const struct us_ip6_addr *a = &st->ip6.addr[i];

		if (a->state != US_IP6A_FREE && a->state != US_IP6A_DUPLICATE && !a->autoconf &&
		    a->plen != 0 && us_in6_prefix_eq(dst, &a->addr, a->plen))
			goto onlink;
	}
	for (i = 0; i < US_ND_NPREFIX; i++) {
		const struct us_nd_prefix *p = &nd->prefix[i];

		if (p->plen != 0 && p->valid > st->now && us_in6_prefix_eq(dst, &p->prefix, p->plen))
			goto onlink;
	}
	/* RFC 4943: with no router a destination is unreachable, not assumed on link. */
	if (!us_in6_is_unspec(&nd->router) && nd->router_until > st->now) {
		*nexthop = nd->router;
		return 0;
	}
	return -ENETUNREACH;
onlink:
	*nexthop = *dst;
	return 0;
}

void
us_nd6_confirm(struct us_stack *st, const struct us_in6 *neighbour)
{
	struct us_nd_entry *e = find(st, neighbour);

	/* RFC 7.3.1: forward progress proves reachability; it teaches no address. */
	if (e != NULL && e->state >= US_ND_REACHABLE)
		to_reachable(st, e);
}

int
us_nd6_lookup(const struct us_stack *st, const struct us_in6 *ip, uint8_t mac[6])
{
	const struct us_nd_entry *e = find(st, ip);

	if (e == NULL || e->state < US_ND_REACHABLE)
		return -ENOENT;
	memcpy(mac, e->n.mac, 6);
	return 0;
}

/* ---- timers ---- */

/* One neighbour's timer, due now (RFC 4861 7.3.3 transitions). */
static void
entry_timer(struct us_stack *st, struct us_nd_entry *e, uint64_t now)
{
	switch (e->state) {
	case US_ND_INCOMPLETE:
		/* 7.2.2: MAX_MULTICAST_SOLICIT tries, then what waited is dropped. */
		if (e->tries >= ND_MAX_MCAST_SOLICIT) {
			entry_clear(st, e);
			return;
		}
		e->tries++;
		e->n.timer = now + st->nd.retrans_ns;
		solicit(st, e, 0);
		break;
	case US_ND_REACHABLE:
		to_stale(st, e);
		break;
	case US_ND_STALE:
		entry_clear(st, e);
		break;
	case US_ND_DELAY:
		/* No upper-layer confirmation arrived: probe the cached address. */
		e->state = US_ND_PROBE;
		e->tries = 1;
		e->n.timer = now + st->nd.retrans_ns;
		solicit(st, e, 1);
		break;
	case US_ND_PROBE:
		/* 7.3.3: MAX_UNICAST_SOLICIT unanswered probes: the neighbour is gone. */
		if (e->tries >= ND_MAX_UCAST_SOLICIT) {
			entry_clear(st, e);
			return;
		}
		e->tries++;
		e->n.timer = now + st->nd.retrans_ns;
		solicit(st, e, 1);
		break;
	}
}

/* SLAAC lifetimes (RFC 4862 5.5.4): deprecated when preferred ends, gone when valid does. */
static void
lifetime_timer(struct us_stack *st, struct us_ip6_addr *a, uint64_t now)
{
	struct us_in6 g;
	int i;

	if (a->valid <= now) {
		int listened = listening(a);

		us_in6_solicited(&g, &a->addr);
		memset(a, 0, sizeof(*a));
		/* RFC 3810 6.1: leave its group unless another address shares it. */
		for (i = 0; i < US_IP6_NADDR; i++) {
			struct us_in6 h;

			if (!listening(&st->ip6.addr[i]))
				continue;
			us_in6_solicited(&h, &st->ip6.addr[i].addr);
			if (us_in6_eq(&h, &g))
				return;
		}
		if (listened)
			send_report(st, MLD2_TO_INCLUDE, &g, 1);
		return;
	}
	if (a->state == US_IP6A_PREFERRED && a->preferred <= now)
		a->state = US_IP6A_DEPRECATED;
}

void
us_nd6_timer(struct us_stack *st, uint64_t now)
{
	struct us_nd *nd = &st->nd;
	int i;

	if (nd->tab != NULL && now >= nd->next_timer) {
		uint64_t next = UINT64_MAX;
		uint32_t j;

		/* Handlers may lower next_timer (set_timer); the scan recomputes it. */
		nd->next_timer = UINT64_MAX;
		for (j = 0; j < nd->size; j++) {
			struct us_nd_entry *e = &nd->tab[j];

			if (e->state != US_ND_FREE && e->n.timer <= now)
				entry_timer(st, e, now);
			if (e->state != US_ND_FREE && e->n.timer < next)
				next = e->n.timer;
		}
		if (next < nd->next_timer)
			nd->next_timer = next;
	}
	for (i = 0; i < US_IP6_NADDR; i++) {
		struct us_ip6_addr *a = &st->ip6.addr[i];

		if (a->state == US_IP6A_TENTATIVE && a->dad_timer != 0 && a->dad_timer <= now)
			dad_timer(st, a, now);
		if (a->autoconf && a->state != US_IP6A_FREE)
			lifetime_timer(st, a, now);
	}
	/* RFC 4861 6.3.7: up to MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL apart. */
	if (nd->rs_timer != 0 && nd->rs_timer <= now) {
		if (nd->rs_left > 0) {
			send_rs(st);
			nd->rs_left--;
		}
		nd->rs_timer = nd->rs_left > 0 ? now + ND_RS_INTERVAL_NS : 0;
	}
	if (nd->mld_timer != 0 && nd->mld_timer <= now) {
		if (nd->mld_left > 0) {
			/* The repetition of a state change report (RFC 3810 6.1). */
			report_groups(st, MLD2_TO_EXCLUDE);
			nd->mld_left--;
			nd->mld_timer = nd->mld_left > 0 ? now + MLD_UNSOL_NS : 0;
		} else {
			/* The answer to a query: current state (6.2). */
			report_groups(st, MLD2_IS_EXCLUDE);
			nd->mld_timer = 0;
		}
	}
}

uint64_t
us_nd6_deadline(const struct us_stack *st)
{
	const struct us_nd *nd = &st->nd;
	uint64_t t = nd->next_timer;
	int i;

	if (nd->rs_timer != 0 && nd->rs_timer < t)
		t = nd->rs_timer;
	if (nd->mld_timer != 0 && nd->mld_timer < t)
		t = nd->mld_timer;
	for (i = 0; i < US_IP6_NADDR; i++) {
		const struct us_ip6_addr *a = &st->ip6.addr[i];

		if (a->state == US_IP6A_TENTATIVE && a->dad_timer != 0 && a->dad_timer < t)
			t = a->dad_timer;
		if (!a->autoconf || a->state == US_IP6A_FREE)
			continue;
		if (a->valid < t)
			t = a->valid;
		if (a->state == US_IP6A_PREFERRED && a->preferred < t)
			t = a->preferred;
	}
	return t;
}

/* ---- life cycle ---- */

int
us_nd6_init(struct us_stack *st, uint32_t size)
{
	uint32_t n = 1;

	/* Open addressing masks the hash: round up to a power of two. */
	while (n < size)
		n <<= 1;
	st->nd.tab = calloc(n, sizeof(*st->nd.tab));
	if (st->nd.tab == NULL)
		return -ENOMEM;
	st->nd.size = n;
	st->nd.npend = 0;
	st->nd.next_timer = UINT64_MAX;
	st->nd.retrans_ns = ND_RETRANS_NS;
	set_reachable(st, ND_REACHABLE_MS);
	return 0;
}

void
us_nd6_fini(struct us_stack *st)
{
	struct us_neigh_tab t;

	if (st->nd.tab == NULL)
		return;
	t = cache(st);
	us_neigh_clear_all(&t);
	free(st->nd.tab);
	st->nd.tab = NULL;
}

void
us_nd6_start(struct us_stack *st)
{
	int i, armed = 0;

	if (!st->ip6.enabled)
		return;
	/* Addresses added before the link ran wait here for their DAD (RFC 4862 5.4). */
	for (i = 0; i < US_IP6_NADDR; i++) {
		struct us_ip6_addr *a = &st->ip6.addr[i];

		if (a->state == US_IP6A_TENTATIVE && a->dad_timer == 0) {
			dad_arm(st, a);
			armed = 1;
		}
	}
	if (armed)
		mld_joined(st);
	/*
	 * RFC 4861 6.3.7: solicit a router when we need its prefixes or
	 * have none configured, after a random delay so hosts started
	 * together do not answer in step.
	 */
	if (st->ip6.slaac || us_in6_is_unspec(&st->nd.router)) {
		st->nd.rs_left = ND_MAX_RS;
		st->nd.rs_timer = st->now + 1 + rand_ns(st, ND_RS_DELAY_NS);
	}
}
