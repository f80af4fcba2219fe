/*
 * IPv6 neighbour discovery (lib/link/nd6.c, RFC 4861, RFC 4862, RFC 3810):
 * answers to solicitations byte by byte, resolution with its retries and
 * failure, the reachability states in virtual time, duplicate address
 * detection passing and failing, router advertisements (router, prefixes,
 * SLAAC, lifetimes), MLDv2 reports, and malformed messages counted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usock.h"
#include "lib/ip/ip6.h"
#include "tests/common/harness.h"

#define IN6(...) { { __VA_ARGS__ } }

/* The peer (a, t_mac_a) and the stack (b, t_mac_b, fd00::2/64 when static). */
static const struct us_in6 ll_a = IN6(0xfe, 0x80, [15] = 0x01);	/* fe80::1 */
static const struct us_in6 ll_b =
	IN6(0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 0x02);	/* fe80::ff:fe00:2 */
static const struct us_in6 addr_b = IN6(0xfd, 0x00, [15] = 0x02);	/* fd00::2 */
static const struct us_in6 addr_c = IN6(0xfd, 0x00, [15] = 0x07);	/* fd00::7: nobody */
static const struct us_in6 ll_c = IN6(0xfe, 0x80, [15] = 0x07);	/* fe80::7: another node */
static const struct us_in6 sn_b =
	IN6(0xff, 0x02, [11] = 0x01, [12] = 0xff, [15] = 0x02);	/* ff02::1:ff00:2 */
static const struct us_in6 all_nodes = IN6(0xff, 0x02, [15] = 0x01);
static const struct us_in6 all_routers = IN6(0xff, 0x02, [15] = 0x02);
static const struct us_in6 mld_routers = IN6(0xff, 0x02, [15] = 0x16);
static const struct us_in6 unspec;
/* 2001:db8:1::/64 advertised, and our SLAAC address in it (modified EUI-64 of t_mac_b). */
static const struct us_in6 pfx1 = IN6(0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01);
static const struct us_in6 slaac_b = IN6(0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, [11] = 0xff,
					 [12] = 0xfe, [15] = 0x02);
static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x07 };

/* ---- fixture: a stack with IPv6 on one end of a loop link ---- */

/* Like t_one_init, with USOCK_IPV6 set: mode US_CFG_IP6_STATIC (fd00::2/64) or _AUTO. */
static void
nd_init(struct t_one *t, int mode)
{
	struct us_drv *end;
	struct us_config c;
	struct t_node *n = &t->n;

	memset(t, 0, sizeof(*t));
	t->ppool = us_pool_create(1024, 2048 + 128, 128);
	cr_assert_not_null(t->ppool);
	end = us_loop_open(NULL, t_mac_b, 1500);
	t->peer = us_loop_open(t->ppool, t_mac_a, 1500);
	us_loop_connect(end, t->peer);
	memset(&c, 0, sizeof(c));
	strcpy(c.iface, "loop");
	strcpy(c.driver, "loop");
	c.ip4 = T_IP_B;
	c.plen = 24;
	c.pool_size = 512;
	c.max_sockets = 1024;
	c.ip6_mode = mode;
	if (mode == US_CFG_IP6_STATIC) {
		c.ip6 = addr_b;
		c.ip6_plen = 64;
	}
	n->pool = us_pool_create(512, 2048 + 128, 128);
	cr_assert_not_null(n->pool);
	end->pool = n->pool;
	n->end = end;
	n->st = us_stack_create(&c, end, n->pool, 0);
	cr_assert_not_null(n->st);
	cr_assert(n->st->ip6.enabled, "IPv6 on");
	/* What the runtime does once the link is up: DAD, RS, MLD. */
	us_ip6_start(n->st);
}

/* Advances virtual time by ns in steps of 10 ms, so timers fire when due. */
static void
run(struct t_one *t, uint64_t ns)
{
	uint64_t end = t->now + ns;

	while (t->now < end)
		t_one_advance(t, end - t->now < 10 * T_MS ? end - t->now : 10 * T_MS);
}

static struct us_ip6_addr *
addr_of(struct t_one *t, const struct us_in6 *a)
{
	return us_ip6_addr_find(t->n.st, a);
}

/* Brings the stack's addresses through DAD and drops what it sent. */
static void
nd_up(struct t_one *t, int mode)
{
	nd_init(t, mode);
	run(t, 2500 * T_MS);
	cr_assert_eq(addr_of(t, &ll_b)->state, US_IP6A_PREFERRED, "link-local after DAD");
	if (mode == US_CFG_IP6_STATIC)
		cr_assert_eq(addr_of(t, &addr_b)->state, US_IP6A_PREFERRED, "fd00::2 after DAD");
	t_one_drain(t);
}

/* The cache entry of ip, or NULL. */
static const struct us_nd_entry *
entry_of(struct t_one *t, const struct us_in6 *ip)
{
	uint32_t i;

	for (i = 0; i < t->n.st->nd.size; i++)
		if (t->n.st->nd.tab[i].state != US_ND_FREE && us_in6_eq(&t->n.st->nd.tab[i].ip, ip))
			return &t->n.st->nd.tab[i];
	return NULL;
}

static int
state_of(struct t_one *t, const struct us_in6 *ip)
{
	const struct us_nd_entry *e = entry_of(t, ip);

	return e != NULL ? e->state : US_ND_FREE;
}

/* ---- frames ---- */

/*
 * Builds Ethernet + IPv6 + the ICMPv6 message msg (checksum filled in).
 * The Ethernet destination is the group's MAC for multicast, ours otherwise.
 * scapy: Ether()/IPv6(src,dst,hlim)/ICMPv6...
 */
static uint32_t
icmp6_frame(uint8_t *f, const struct us_in6 *src, const struct us_in6 *dst, uint8_t hlim,
	    const uint8_t *msg, uint32_t len)
{
	uint8_t *ip = f + US_ETH_HLEN, *m = ip + US_IP6_HLEN;

	if (us_in6_is_multicast(dst))
		us_in6_mcast_mac(f, dst);
	else
		memcpy(f, t_mac_b, 6);
	memcpy(f + 6, t_mac_a, 6);
	us_put16(f + 12, US_ETHERTYPE_IPV6);
	us_put32(ip, 6u << 28);
	us_put16(ip + US_IP6_PLEN, (uint16_t)len);
	ip[US_IP6_NXT] = US_IPPROTO_ICMPV6;
	ip[US_IP6_HLIM] = hlim;
	memcpy(ip + US_IP6_SRC, src->b, 16);
	memcpy(ip + US_IP6_DST, dst->b, 16);
	memcpy(m, msg, len);
	us_put16(m + 2, 0);
	us_put16(m + 2, us_cksum_fold(us_cksum_add(us_cksum_pseudo6(src, dst, US_IPPROTO_ICMPV6, len),
						   m, len)));
	return US_ETH_HLEN + US_IP6_HLEN + len;
}

static void
inject6(struct t_one *t, const struct us_in6 *src, const struct us_in6 *dst, uint8_t hlim,
	const uint8_t *msg, uint32_t len)
{
	uint8_t f[1600];

	t_one_inject(t, f, icmp6_frame(f, src, dst, hlim, msg, len));
}

static uint32_t
put_lla(uint8_t *p, uint8_t type, const uint8_t *mac)
{
	p[0] = type;
	p[1] = 1;
	memcpy(p + 2, mac, 6);
	return 8;
}

/* scapy: ICMPv6ND_NS(tgt)/ICMPv6NDOptSrcLLAddr(lladdr) */
static uint32_t
ns_msg(uint8_t *m, const struct us_in6 *target, const uint8_t *slla)
{
	memset(m, 0, 24);
	m[0] = US_ICMP6_ND_NS;
	memcpy(m + 8, target->b, 16);
	return 24 + (slla != NULL ? put_lla(m + 24, US_ND_OPT_SLLA, slla) : 0);
}

/* scapy: ICMPv6ND_NA(R,S,O,tgt)/ICMPv6NDOptDstLLAddr(lladdr) */
static uint32_t
na_msg(uint8_t *m, const struct us_in6 *target, uint8_t flags, const uint8_t *tlla)
{
	memset(m, 0, 24);
	m[0] = US_ICMP6_ND_NA;
	m[4] = flags;
	memcpy(m + 8, target->b, 16);
	return 24 + (tlla != NULL ? put_lla(m + 24, US_ND_OPT_TLLA, tlla) : 0);
}

#define NA_R 0x80
#define NA_S 0x40
#define NA_O 0x20

/*
 * scapy: ICMPv6ND_RA(chlim,routerlifetime,reachabletime,retranstimer)
 *        /ICMPv6NDOptSrcLLAddr/ICMPv6NDOptMTU/ICMPv6NDOptPrefixInfo
 * A prefix option only when pfx is not NULL; mtu 0: none.
 */
static uint32_t
ra_msg(uint8_t *m, uint8_t hlim, uint16_t lifetime, uint32_t reach_ms, uint32_t retrans_ms,
       uint32_t mtu, const struct us_in6 *pfx, uint8_t plen, uint8_t flags, uint32_t valid,
       uint32_t pref)
{
	uint32_t len = 16;

	memset(m, 0, 16);
	m[0] = US_ICMP6_ND_RA;
	m[4] = hlim;
	us_put16(m + 6, lifetime);
	us_put32(m + 8, reach_ms);
	us_put32(m + 12, retrans_ms);
	len += put_lla(m + len, US_ND_OPT_SLLA, t_mac_a);
	if (mtu != 0) {
		memset(m + len, 0, 8);
		m[len] = US_ND_OPT_MTU;
		m[len + 1] = 1;
		us_put32(m + len + 4, mtu);
		len += 8;
	}
	if (pfx != NULL) {
		uint8_t *p = m + len;

		memset(p, 0, 32);
		p[0] = US_ND_OPT_PREFIX;
		p[1] = 4;
		p[2] = plen;
		p[3] = flags;
		us_put32(p + 4, valid);
		us_put32(p + 8, pref);
		memcpy(p + 16, pfx->b, 16);
		len += 32;
	}
	return len;
}

/* One frame we took apart: IPv6 fields and the ICMPv6 message. */
struct f6 {
	const uint8_t *eth;	/* Ethernet header */
	struct us_in6 src, dst;	/* IPv6 addresses */
	uint8_t hlim;		/* hop limit */
	int ralert;		/* a Hop-by-Hop header with Router Alert 0 came first */
	const uint8_t *m;	/* ICMPv6 message */
	uint32_t len;		/* its length */
};

/* Parses an ICMPv6 frame from the stack and checks its checksum; 0 if it is not one. */
static int
parse6(const uint8_t *f, uint32_t n, struct f6 *p)
{
	const uint8_t *ip = f + US_ETH_HLEN;
	uint32_t plen, off = US_IP6_HLEN;
	uint8_t nxt;

	if (n < US_ETH_HLEN + US_IP6_HLEN || us_get16(f + 12) != US_ETHERTYPE_IPV6)
		return 0;
	memset(p, 0, sizeof(*p));
	p->eth = f;
	cr_assert_eq(ip[0] >> 4, 6, "version");
	plen = us_get16(ip + US_IP6_PLEN);
	cr_assert_leq(US_ETH_HLEN + US_IP6_HLEN + plen, n, "payload length within the frame");
	memcpy(p->src.b, ip + US_IP6_SRC, 16);
	memcpy(p->dst.b, ip + US_IP6_DST, 16);
	p->hlim = ip[US_IP6_HLIM];
	nxt = ip[US_IP6_NXT];
	if (nxt == US_IPPROTO_HOPOPTS) {
		const uint8_t *h = ip + off;

		/* RFC 2711: option 5, length 2, value 0 (MLD); then padding to 8 bytes. */
		p->ralert = h[1] == 0 && h[2] == 5 && h[3] == 2 && h[4] == 0 && h[5] == 0;
		nxt = h[0];
		off += 8 + h[1] * 8u;
	}
	if (nxt != US_IPPROTO_ICMPV6)
		return 0;
	p->m = ip + off;
	p->len = US_IP6_HLEN + plen - off;
	cr_assert_eq(us_cksum_fold(us_cksum_add(
			     us_cksum_pseudo6(&p->src, &p->dst, US_IPPROTO_ICMPV6, p->len), p->m, p->len)),
		     0, "ICMPv6 checksum of type %u", p->m[0]);
	return 1;
}

/* Takes frames until an ICMPv6 message of type; returns 1 (into f, p) or 0. */
static int
take6(struct t_one *t, uint8_t type, uint8_t *f, struct f6 *p)
{
	uint32_t n;

	while ((n = t_one_take(t, f, 2048)) > 0)
		if (parse6(f, n, p) && p->m[0] == type)
			return 1;
	return 0;
}

/* Counts the frames of ICMPv6 type waiting, dropping everything. */
static int
count6(struct t_one *t, uint8_t type)
{
	uint8_t f[2048];
	struct f6 p;
	int c = 0;

	while (take6(t, type, f, &p))
		c++;
	return c;
}

/* An IPv6 datagram from fd00::2 to dst in a packet of the stack's pool, for us_nd6_output. */
static struct us_pkt *
datagram(struct t_one *t, const struct us_in6 *src, const struct us_in6 *dst, uint8_t tag)
{
	struct us_pkt *p = us_pkt_alloc(t->n.st->pool);
	uint8_t *ip;

	cr_assert_not_null(p);
	ip = us_pkt_append(p, US_IP6_HLEN + 8);
	cr_assert_not_null(ip);
	memset(ip, 0, US_IP6_HLEN + 8);
	us_put32(ip, 6u << 28);
	us_put16(ip + US_IP6_PLEN, 8);
	ip[US_IP6_NXT] = US_IPPROTO_NONE;
	ip[US_IP6_HLIM] = 64;
	memcpy(ip + US_IP6_SRC, src->b, 16);
	memcpy(ip + US_IP6_DST, dst->b, 16);
	ip[US_IP6_HLEN] = tag;
	return p;
}

/* Takes the next non-ICMPv6 IPv6 frame (a datagram we queued); returns its tag or -1. */
static int
take_datagram(struct t_one *t, uint8_t *mac)
{
	uint8_t f[2048];
	uint32_t n;

	while ((n = t_one_take(t, f, sizeof(f))) > 0) {
		if (us_get16(f + 12) != US_ETHERTYPE_IPV6 ||
		    f[US_ETH_HLEN + US_IP6_NXT] != US_IPPROTO_NONE)
			continue;
		memcpy(mac, f, 6);
		return f[US_ETH_HLEN + US_IP6_HLEN];
	}
	return -1;
}

/* ---- neighbour solicitation and advertisement ---- */

Test(link_nd6, solicitation_for_our_address_gets_an_advertisement_with_every_field_right)
{
	struct t_one t;
	uint8_t m[64], f[2048], mac[6];
	static const uint8_t want[32] = {
		136, 0, 0, 0, 0x60, 0, 0, 0,	/* NA, checksum, S|O */
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,	/* target fd00::2 */
		2, 1, 0x02, 0, 0, 0, 0, 0x02,	/* TLLA: our MAC */
	};
	struct f6 p;

	nd_up(&t, US_CFG_IP6_STATIC);
	inject6(&t, &ll_a, &sn_b, 255, m, ns_msg(m, &addr_b, t_mac_a));
	cr_assert(take6(&t, US_ICMP6_ND_NA, f, &p), "an advertisement");
	cr_assert_eq(memcmp(p.eth, t_mac_a, 6), 0, "to the solicitor's MAC (from its SLLA)");
	cr_assert_eq(memcmp(p.eth + 6, t_mac_b, 6), 0);
	cr_assert(us_in6_eq(&p.src, &addr_b), "from the target");
	cr_assert(us_in6_eq(&p.dst, &ll_a), "to the solicitor");
	cr_assert_eq(p.hlim, 255);
	cr_assert_eq(p.len, 32);
	cr_assert_eq(memcmp(p.m + 4, want + 4, 28), 0, "NA body");
	cr_assert_eq(p.m[0], want[0]);
	cr_assert_eq(p.m[1], 0, "code");
	cr_assert_eq(t.n.st->stats->nd6.rx_ns, 1);
	cr_assert_eq(t.n.st->stats->nd6.tx_na, 1);
	/* 7.2.3: the solicitor is learnt STALE (not confirmed), then DELAY as we answered it. */
	cr_assert_eq(us_nd6_lookup(t.n.st, &ll_a, mac), 0);
	cr_assert_eq(memcmp(mac, t_mac_a, 6), 0);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_DELAY);
	t_one_fini(&t);
}

Test(link_nd6, solicitation_for_the_link_local_address_is_answered_from_it)
{
	struct t_one t;
	uint8_t m[64], f[2048];
	struct f6 p;

	nd_up(&t, US_CFG_IP6_STATIC);
	inject6(&t, &ll_a, &sn_b, 255, m, ns_msg(m, &ll_b, t_mac_a));
	cr_assert(take6(&t, US_ICMP6_ND_NA, f, &p));
	cr_assert(us_in6_eq(&p.src, &ll_b));
	cr_assert(us_in6_eq(&p.dst, &ll_a));
	cr_assert_eq(memcmp(p.m + 8, ll_b.b, 16), 0, "target");
	t_one_fini(&t);
}

Test(link_nd6, solicitation_from_unspecified_for_our_address_is_defended_to_all_nodes)
{
	struct t_one t;
	uint8_t m[64], f[2048];
	struct f6 p;

	nd_up(&t, US_CFG_IP6_STATIC);
	inject6(&t, &unspec, &sn_b, 255, m, ns_msg(m, &addr_b, NULL));
	cr_assert(take6(&t, US_ICMP6_ND_NA, f, &p));
	cr_assert(us_in6_eq(&p.dst, &all_nodes), "RFC 4861 7.2.4: to all-nodes");
	cr_assert_eq(memcmp(p.eth, "\x33\x33\x00\x00\x00\x01", 6), 0, "all-nodes MAC");
	cr_assert_eq(p.m[4], NA_O, "not solicited, override");
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_PREFERRED, "ours stays ours");
	cr_assert_eq(t.n.st->stats->nd6.dad_dup, 0);
	t_one_fini(&t);
}

Test(link_nd6, solicitation_for_another_address_is_not_answered_and_learns_nothing)
{
	struct t_one t;
	uint8_t m[64];

	nd_up(&t, US_CFG_IP6_STATIC);
	inject6(&t, &ll_a, &sn_b, 255, m, ns_msg(m, &addr_c, t_mac_a));
	cr_assert_eq(count6(&t, US_ICMP6_ND_NA), 0);
	cr_assert_eq(t.n.st->stats->nd6.rx_ns, 1);
	cr_assert_null(entry_of(&t, &ll_a));
	t_one_fini(&t);
}

/* Each malformed message is counted under rx_bad, answered by nothing, and teaches nothing. */
Test(link_nd6, malformed_messages_are_counted_and_ignored)
{
	struct t_one t;
	uint8_t m[256];
	uint32_t len;
	uint64_t bad = 0;
	struct us_nd6_stats *s;

	nd_up(&t, US_CFG_IP6_STATIC);
	s = &t.n.st->stats->nd6;
#define BAD(src, dst, hlim, len)                                                          \
	do {                                                                              \
		inject6(&t, src, dst, hlim, m, len);                                      \
		cr_assert_eq(s->rx_bad, ++bad, "line %d not counted", __LINE__);          \
	} while (0)
	/* NS: hop limit not 255 (it crossed a router). */
	BAD(&ll_a, &sn_b, 254, ns_msg(m, &addr_b, t_mac_a));
	/* NS: code not 0. */
	len = ns_msg(m, &addr_b, t_mac_a);
	m[1] = 1;
	BAD(&ll_a, &sn_b, 255, len);
	/* NS: shorter than 24 bytes. */
	ns_msg(m, &addr_b, NULL);
	BAD(&ll_a, &sn_b, 255, 20);
	/* NS: multicast target. */
	BAD(&ll_a, &sn_b, 255, ns_msg(m, &all_nodes, t_mac_a));
	/* NS: an option of length 0. */
	len = ns_msg(m, &addr_b, t_mac_a);
	m[25] = 0;
	BAD(&ll_a, &sn_b, 255, len);
	/* NS: an option running past the message. */
	len = ns_msg(m, &addr_b, t_mac_a);
	m[25] = 2;
	BAD(&ll_a, &sn_b, 255, len);
	/* NS: a truncated option header. */
	len = ns_msg(m, &addr_b, NULL);
	m[len] = 1;
	BAD(&ll_a, &sn_b, 255, len + 1);
	/* NS from :: with a source link-layer address. */
	BAD(&unspec, &sn_b, 255, ns_msg(m, &addr_b, t_mac_a));
	/* NS from :: to a unicast destination. */
	BAD(&unspec, &addr_b, 255, ns_msg(m, &addr_b, NULL));
	/* NS with a multicast MAC as its source link-layer address. */
	BAD(&ll_a, &sn_b, 255, ns_msg(m, &addr_b, (const uint8_t *)"\x33\x33\0\0\0\1"));
	/* NA: solicited, yet multicast. */
	BAD(&ll_a, &all_nodes, 255, na_msg(m, &addr_c, NA_S | NA_O, t_mac_a));
	/* NA: multicast target, short, bad hop limit. */
	BAD(&ll_a, &ll_b, 255, na_msg(m, &all_nodes, NA_S, t_mac_a));
	na_msg(m, &addr_c, NA_S, NULL);
	BAD(&ll_a, &ll_b, 255, 16);
	BAD(&ll_a, &ll_b, 64, na_msg(m, &addr_c, NA_S, t_mac_a));
	/* RA: not from a link-local address, short, bad option, bad hop limit. */
	BAD(&addr_c, &all_nodes, 255, ra_msg(m, 64, 1800, 0, 0, 0, NULL, 0, 0, 0, 0));
	ra_msg(m, 64, 1800, 0, 0, 0, NULL, 0, 0, 0, 0);
	BAD(&ll_a, &all_nodes, 255, 12);
	len = ra_msg(m, 64, 1800, 0, 0, 0, NULL, 0, 0, 0, 0);
	m[17] = 0;
	BAD(&ll_a, &all_nodes, 255, len);
	BAD(&ll_a, &all_nodes, 1, ra_msg(m, 64, 1800, 0, 0, 0, NULL, 0, 0, 0, 0));
	/* Redirect from something that is not our router. */
	memset(m, 0, 40);
	m[0] = US_ICMP6_ND_REDIRECT;
	memcpy(m + 8, ll_a.b, 16);
	memcpy(m + 24, addr_c.b, 16);
	BAD(&ll_a, &ll_b, 255, 40);
	/* MLD query with hop limit 64 (RFC 3810 6.2), or shorter than a version 1 query. */
	memset(m, 0, 28);
	m[0] = US_ICMP6_MLD_QUERY;
	BAD(&ll_a, &all_nodes, 64, 28);
	BAD(&ll_a, &all_nodes, 1, 20);
	/* A bare header of every ND type with hop limit 255 but too short. */
	memset(m, 0, 8);
	m[0] = US_ICMP6_ND_NS;
	BAD(&ll_a, &sn_b, 255, 8);
	m[0] = US_ICMP6_ND_NA;
	BAD(&ll_a, &sn_b, 255, 8);
	m[0] = US_ICMP6_ND_RA;
	BAD(&ll_a, &all_nodes, 255, 8);
	m[0] = US_ICMP6_ND_REDIRECT;
	BAD(&ll_a, &ll_b, 255, 8);
#undef BAD
	cr_assert_eq(count6(&t, US_ICMP6_ND_NA), 0, "nothing answered");
	cr_assert_null(entry_of(&t, &ll_a), "nothing learnt");
	cr_assert_eq(s->rx_ra, 0);
	cr_assert(us_in6_is_unspec(&t.n.st->nd.router), "no router from a bad RA");
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_PREFERRED);
	t_one_fini(&t);
}

/* ---- resolution ---- */

Test(link_nd6, unknown_neighbour_is_solicited_and_the_waiting_packets_follow_the_answer)
{
	struct t_one t;
	uint8_t m[64], f[2048], mac[6];
	static const struct us_in6 sn_a = IN6(0xff, 0x02, [11] = 0x01, [12] = 0xff, [15] = 0x01);
	struct f6 p;

	nd_up(&t, US_CFG_IP6_STATIC);
	cr_assert_eq(us_nd6_output(t.n.st, datagram(&t, &ll_b, &ll_a, 1), &ll_a), 0);
	cr_assert_eq(us_nd6_output(t.n.st, datagram(&t, &ll_b, &ll_a, 2), &ll_a), 0);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_INCOMPLETE);
	cr_assert(take6(&t, US_ICMP6_ND_NS, f, &p), "a solicitation");
	cr_assert(us_in6_eq(&p.dst, &sn_a), "to fe80::1's solicited-node group");
	cr_assert_eq(memcmp(p.eth, "\x33\x33\xff\x00\x00\x01", 6), 0);
	cr_assert(us_in6_eq(&p.src, &ll_b), "from the waiting packet's source");
	cr_assert_eq(p.hlim, 255);
	cr_assert_eq(p.len, 32);
	cr_assert_eq(memcmp(p.m + 8, ll_a.b, 16), 0, "target");
	cr_assert_eq(p.m[24], US_ND_OPT_SLLA);
	cr_assert_eq(p.m[25], 1);
	cr_assert_eq(memcmp(p.m + 26, t_mac_b, 6), 0, "our MAC");
	cr_assert_eq(take_datagram(&t, mac), -1, "packets wait");
	/* The solicited answer: REACHABLE, and both packets leave in order. */
	inject6(&t, &ll_a, &ll_b, 255, m, na_msg(m, &ll_a, NA_S | NA_O, t_mac_a));
	cr_assert_eq(state_of(&t, &ll_a), US_ND_REACHABLE);
	cr_assert_eq(take_datagram(&t, mac), 1);
	cr_assert_eq(memcmp(mac, t_mac_a, 6), 0);
	cr_assert_eq(take_datagram(&t, mac), 2);
	cr_assert_eq(t.n.st->nd.npend, 0);
	/* Next packet goes straight out. */
	cr_assert_eq(us_nd6_output(t.n.st, datagram(&t, &ll_b, &ll_a, 3), &ll_a), 0);
	cr_assert_eq(take_datagram(&t, mac), 3);
	cr_assert_eq(t.n.st->stats->nd6.tx_ns, 2 + 1, "two for DAD, one to resolve");
	t_one_fini(&t);
}

Test(link_nd6, resolution_gives_up_after_three_solicitations_and_counts_the_drops)
{
	struct t_one t;

	nd_up(&t, US_CFG_IP6_STATIC);
	us_nd6_output(t.n.st, datagram(&t, &addr_b, &addr_c, 1), &addr_c);
	us_nd6_output(t.n.st, datagram(&t, &addr_b, &addr_c, 2), &addr_c);
	cr_assert_eq(count6(&t, US_ICMP6_ND_NS), 1);
	run(&t, 1000 * T_MS);
	cr_assert_eq(count6(&t, US_ICMP6_ND_NS), 1, "second after RetransTimer");
	run(&t, 1000 * T_MS);
	cr_assert_eq(count6(&t, US_ICMP6_ND_NS), 1, "third");
	cr_assert_eq(state_of(&t, &addr_c), US_ND_INCOMPLETE);
	cr_assert_eq(t.n.st->stats->nd6.resolve_fail, 0);
	run(&t, 1000 * T_MS);
	cr_assert_eq(count6(&t, US_ICMP6_ND_NS), 0, "no fourth");
	cr_assert_eq(state_of(&t, &addr_c), US_ND_FREE);
	cr_assert_eq(t.n.st->stats->nd6.resolve_fail, 2);
	cr_assert_eq(t.n.st->stats->nd6.tx_ns, 2 + 3, "two for DAD, three to resolve");
	cr_assert_eq(t.n.st->nd.npend, 0);
	t_one_fini(&t);
}

Test(link_nd6, waiting_queue_is_bounded_per_neighbour)
{
	struct t_one t;
	int i, rc = 0;

	nd_up(&t, US_CFG_IP6_STATIC);
	for (i = 0; i < 70 && rc == 0; i++)
		rc = us_nd6_output(t.n.st, datagram(&t, &addr_b, &addr_c, (uint8_t)i), &addr_c);
	cr_assert_eq(rc, -ENOBUFS);
	cr_assert_eq(i, 65, "64 wait, the 65th is refused");
	cr_assert_eq(t.n.st->stats->nd6.queue_drop, 1);
	t_one_fini(&t);
}

Test(link_nd6, multicast_goes_out_without_resolution)
{
	struct t_one t;
	uint8_t mac[6];

	nd_up(&t, US_CFG_IP6_STATIC);
	cr_assert_eq(us_nd6_output(t.n.st, datagram(&t, &ll_b, &all_nodes, 9), &all_nodes), 0);
	cr_assert_eq(take_datagram(&t, mac), 9);
	cr_assert_eq(memcmp(mac, "\x33\x33\x00\x00\x00\x01", 6), 0);
	cr_assert_eq(t.n.st->stats->nd6.tx_ns, 2, "DAD's only");
	t_one_fini(&t);
}

/* Resolves ll_a with a solicited advertisement; leaves it REACHABLE. */
static void
resolve_a(struct t_one *t)
{
	uint8_t m[64], mac[6];

	us_nd6_output(t->n.st, datagram(t, &ll_b, &ll_a, 0), &ll_a);
	inject6(t, &ll_a, &ll_b, 255, m, na_msg(m, &ll_a, NA_S | NA_O, t_mac_a));
	cr_assert_eq(take_datagram(t, mac), 0);
	t_one_drain(t);
	cr_assert_eq(state_of(t, &ll_a), US_ND_REACHABLE);
}

/* ---- reachability (RFC 4861 7.3) ---- */

Test(link_nd6, reachable_goes_stale_then_delay_on_use_then_probes_unicast_then_is_gone)
{
	struct t_one t;
	uint8_t f[2048], mac[6];
	struct f6 p;
	int i;

	nd_up(&t, US_CFG_IP6_STATIC);
	resolve_a(&t);
	/* ReachableTime is 15..45 s. */
	cr_assert_geq(t.n.st->nd.reachable_ns, 15 * T_S);
	cr_assert_leq(t.n.st->nd.reachable_ns, 45 * T_S);
	run(&t, t.n.st->nd.reachable_ns + 10 * T_MS);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_STALE);
	t_one_drain(&t);
	/* Used while stale: sent at once, DELAY. */
	us_nd6_output(t.n.st, datagram(&t, &ll_b, &ll_a, 5), &ll_a);
	cr_assert_eq(take_datagram(&t, mac), 5);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_DELAY);
	run(&t, 4900 * T_MS);
	cr_assert_eq(count6(&t, US_ICMP6_ND_NS), 0, "no probe during DELAY");
	run(&t, 200 * T_MS);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_PROBE);
	for (i = 0; i < 3; i++) {
		cr_assert(take6(&t, US_ICMP6_ND_NS, f, &p), "probe %d", i + 1);
		cr_assert(us_in6_eq(&p.dst, &ll_a), "unicast to the neighbour");
		cr_assert_eq(memcmp(p.eth, t_mac_a, 6), 0, "to its cached MAC");
		run(&t, 1000 * T_MS);
	}
	cr_assert_eq(count6(&t, US_ICMP6_ND_NS), 0);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_FREE, "three unanswered probes: gone");
	cr_assert_eq(us_nd6_lookup(t.n.st, &ll_a, mac), -ENOENT);
	t_one_fini(&t);
}

Test(link_nd6, upper_layer_confirmation_in_delay_avoids_the_probe)
{
	struct t_one t;
	uint8_t mac[6];

	nd_up(&t, US_CFG_IP6_STATIC);
	resolve_a(&t);
	run(&t, t.n.st->nd.reachable_ns + 10 * T_MS);
	us_nd6_output(t.n.st, datagram(&t, &ll_b, &ll_a, 5), &ll_a);
	cr_assert_eq(take_datagram(&t, mac), 5);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_DELAY);
	us_nd6_confirm(t.n.st, &ll_a);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_REACHABLE);
	run(&t, 6 * T_S);
	cr_assert_eq(count6(&t, US_ICMP6_ND_NS), 0, "no probe");
	t_one_fini(&t);
}

Test(link_nd6, probe_answered_makes_the_entry_reachable_again)
{
	struct t_one t;
	uint8_t m[64], mac[6];

	nd_up(&t, US_CFG_IP6_STATIC);
	resolve_a(&t);
	run(&t, t.n.st->nd.reachable_ns + 10 * T_MS);
	us_nd6_output(t.n.st, datagram(&t, &ll_b, &ll_a, 5), &ll_a);
	cr_assert_eq(take_datagram(&t, mac), 5);
	run(&t, 5100 * T_MS);
	cr_assert_eq(state_of(&t, &ll_a), US_ND_PROBE);
	inject6(&t, &ll_a, &ll_b, 255, m, na_msg(m, &ll_a, NA_S, NULL));
	cr_assert_eq(state_of(&t, &ll_a), US_ND_REACHABLE, "solicited NA without TLLA confirms");
	t_one_fini(&t);
}

Test(link_nd6, advertisement_without_override_keeps_the_cached_address)
{
	struct t_one t;
	uint8_t m[64], mac[6];

	nd_up(&t, US_CFG_IP6_STATIC);
	resolve_a(&t);
	inject6(&t, &ll_a, &ll_b, 255, m, na_msg(m, &ll_a, NA_S, mac_c));
	cr_assert_eq(us_nd6_lookup(t.n.st, &ll_a, mac), 0);
	cr_assert_eq(memcmp(mac, t_mac_a, 6), 0, "not overridden");
	cr_assert_eq(state_of(&t, &ll_a), US_ND_STALE, "but doubtful now");
	/* With Override the new address wins; unsolicited makes it STALE. */
	inject6(&t, &ll_a, &all_nodes, 255, m, na_msg(m, &ll_a, NA_O, mac_c));
	cr_assert_eq(us_nd6_lookup(t.n.st, &ll_a, mac), 0);
	cr_assert_eq(memcmp(mac, mac_c, 6), 0, "overridden");
	cr_assert_eq(state_of(&t, &ll_a), US_ND_STALE);
	t_one_fini(&t);
}

Test(link_nd6, unsolicited_advertisement_creates_no_entry)
{
	struct t_one t;
	uint8_t m[64];

	nd_up(&t, US_CFG_IP6_STATIC);
	inject6(&t, &ll_a, &all_nodes, 255, m, na_msg(m, &ll_a, NA_O, t_mac_a));
	cr_assert_eq(t.n.st->stats->nd6.rx_na, 1);
	cr_assert_null(entry_of(&t, &ll_a));
	t_one_fini(&t);
}

/* ---- duplicate address detection (RFC 4862 5.4) ---- */

Test(link_nd6, dad_reports_the_group_solicits_from_unspecified_and_passes_after_a_second)
{
	struct t_one t;
	uint8_t f[2048];
	struct f6 p;
	int ns = 0, found_ll = 0, found_b = 0;
	uint64_t first_ns = 0;

	nd_init(&t, US_CFG_IP6_STATIC);
	cr_assert_eq(addr_of(&t, &ll_b)->state, US_IP6A_TENTATIVE);
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_TENTATIVE);
	cr_assert(!us_ip6_is_ours(t.n.st, &addr_b), "tentative is not usable");
	/* The MLD join comes at once, before any solicitation. */
	cr_assert(take6(&t, US_ICMP6_MLD2_REPORT, f, &p), "MLD report at start");
	cr_assert(us_in6_eq(&p.src, &unspec), "from :: while the link-local is tentative");
	while (t.now < 1100 * T_MS) {
		run(&t, 10 * T_MS);
		while (take6(&t, US_ICMP6_ND_NS, f, &p)) {
			ns++;
			if (first_ns == 0)
				first_ns = t.now;
			cr_assert(us_in6_is_unspec(&p.src), "DAD from ::");
			cr_assert(us_in6_eq(&p.dst, &sn_b), "to the solicited-node group");
			cr_assert_eq(p.hlim, 255);
			cr_assert_eq(p.len, 24, "no source link-layer option");
			found_ll |= memcmp(p.m + 8, ll_b.b, 16) == 0;
			found_b |= memcmp(p.m + 8, addr_b.b, 16) == 0;
		}
	}
	cr_assert_eq(ns, 2, "one solicitation per address (DupAddrDetectTransmits 1)");
	cr_assert(found_ll && found_b);
	cr_assert_leq(first_ns, 1010 * T_MS, "within the random delay");
	run(&t, 1000 * T_MS);
	cr_assert_eq(addr_of(&t, &ll_b)->state, US_IP6A_PREFERRED);
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_PREFERRED);
	cr_assert_eq(t.n.st->stats->nd6.dad_ok, 2);
	cr_assert(us_ip6_is_ours(t.n.st, &addr_b));
	t_one_fini(&t);
}

Test(link_nd6, dad_fails_when_another_node_solicits_the_same_address)
{
	struct t_one t;
	uint8_t m[64];

	nd_init(&t, US_CFG_IP6_STATIC);
	t_one_drain(&t);
	inject6(&t, &unspec, &sn_b, 255, m, ns_msg(m, &addr_b, NULL));
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_DUPLICATE);
	cr_assert_eq(t.n.st->stats->nd6.dad_dup, 1);
	cr_assert_eq(count6(&t, US_ICMP6_ND_NA), 0, "a tentative address is not defended");
	run(&t, 3 * T_S);
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_DUPLICATE, "and never used");
	cr_assert(!us_ip6_is_ours(t.n.st, &addr_b));
	cr_assert_eq(addr_of(&t, &ll_b)->state, US_IP6A_PREFERRED, "the link-local is unaffected");
	cr_assert_eq(t.n.st->stats->nd6.dad_ok, 1);
	cr_assert(t.n.st->ip6.enabled);
	t_one_fini(&t);
}

Test(link_nd6, dad_fails_when_another_node_advertises_the_address)
{
	struct t_one t;
	uint8_t m[64];

	nd_init(&t, US_CFG_IP6_STATIC);
	run(&t, 500 * T_MS);
	inject6(&t, &ll_c, &all_nodes, 255, m, na_msg(m, &addr_b, NA_O, mac_c));
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_DUPLICATE);
	cr_assert_eq(t.n.st->stats->nd6.dad_dup, 1);
	cr_assert_eq(t.n.st->stats->nd6.conflict, 0);
	t_one_fini(&t);
}

Test(link_nd6, solicitation_with_a_source_for_a_tentative_address_is_ignored)
{
	struct t_one t;
	uint8_t m[64];

	nd_init(&t, US_CFG_IP6_STATIC);
	t_one_drain(&t);
	inject6(&t, &ll_a, &sn_b, 255, m, ns_msg(m, &addr_b, t_mac_a));
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_TENTATIVE, "RFC 4862 5.4.3: not a duplicate");
	cr_assert_eq(count6(&t, US_ICMP6_ND_NA), 0, "nor answered");
	t_one_fini(&t);
}

Test(link_nd6, duplicate_link_local_address_turns_ipv6_off)
{
	struct t_one t;
	uint8_t m[64];

	nd_init(&t, US_CFG_IP6_STATIC);
	t_one_drain(&t);
	inject6(&t, &unspec, &sn_b, 255, m, ns_msg(m, &ll_b, NULL));
	cr_assert_eq(addr_of(&t, &ll_b)->state, US_IP6A_DUPLICATE);
	cr_assert(!t.n.st->ip6.enabled, "RFC 4862 5.4.5");
	run(&t, 10 * T_S);
	cr_assert_eq(count6(&t, US_ICMP6_ND_RS), 0, "no more solicitations");
	t_one_fini(&t);
}

Test(link_nd6, advertisement_for_an_address_in_use_is_a_counted_conflict)
{
	struct t_one t;
	uint8_t m[64];

	nd_up(&t, US_CFG_IP6_STATIC);
	inject6(&t, &ll_c, &all_nodes, 255, m, na_msg(m, &addr_b, NA_O, mac_c));
	cr_assert_eq(t.n.st->stats->nd6.conflict, 1);
	cr_assert_eq(addr_of(&t, &addr_b)->state, US_IP6A_PREFERRED);
	t_one_fini(&t);
}

/* ---- routers (RFC 4861 6.3), SLAAC (RFC 4862 5.5) ---- */

Test(link_nd6, router_solicitations_three_four_seconds_apart_stop_at_an_advertisement)
{
	struct t_one t;
	uint8_t f[2048], m[128];
	struct f6 p;
	uint64_t when[3];
	int n = 0;

	nd_init(&t, US_CFG_IP6_AUTO);
	while (t.now < 14 * T_S) {
		run(&t, 10 * T_MS);
		while (take6(&t, US_ICMP6_ND_RS, f, &p)) {
			cr_assert_lt(n, 3, "at most MAX_RTR_SOLICITATIONS");
			when[n++] = t.now;
			cr_assert(us_in6_eq(&p.dst, &all_routers));
			cr_assert_eq(p.hlim, 255);
			cr_assert_eq(memcmp(p.eth, "\x33\x33\x00\x00\x00\x02", 6), 0);
			if (us_in6_is_unspec(&p.src)) {
				cr_assert_eq(p.len, 8, "no SLLA from ::");
			} else {
				cr_assert(us_in6_eq(&p.src, &ll_b));
				cr_assert_eq(p.len, 16);
				cr_assert_eq(p.m[8], US_ND_OPT_SLLA);
				cr_assert_eq(memcmp(p.m + 10, t_mac_b, 6), 0);
			}
		}
	}
	cr_assert_eq(n, 3);
	cr_assert_leq(when[0], 1010 * T_MS);
	cr_assert_eq(when[1] - when[0], 4 * T_S);
	cr_assert_eq(when[2] - when[1], 4 * T_S);
	cr_assert_eq(t.n.st->stats->nd6.tx_rs, 3);
	t_one_fini(&t);

	/* An advertisement with a router lifetime ends the solicitations. */
	nd_init(&t, US_CFG_IP6_AUTO);
	run(&t, 1500 * T_MS);
	t_one_drain(&t);
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 1800, 0, 0, 0, NULL, 0, 0, 0, 0));
	run(&t, 10 * T_S);
	cr_assert_eq(count6(&t, US_ICMP6_ND_RS), 0);
	t_one_fini(&t);
}

Test(link_nd6, advertisement_sets_router_parameters_prefix_and_a_slaac_address)
{
	struct t_one t;
	uint8_t m[128], mac[6];
	struct us_in6 nh, dst_on = pfx1, dst_off = IN6(0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, [15] = 1);
	struct us_ip6_addr *a;
	struct us_stack *st;

	nd_up(&t, US_CFG_IP6_AUTO);
	st = t.n.st;
	cr_assert_eq(us_nd6_route(st, &dst_off, &nh), -ENETUNREACH, "no router yet (RFC 4943)");
	dst_on.b[15] = 5;
	inject6(&t, &ll_a, &all_nodes, 255, m,
		ra_msg(m, 32, 1800, 20000, 2000, 1400, &pfx1, 64, 0xc0, 3600, 1800));
	cr_assert_eq(st->stats->nd6.rx_ra, 1);
	cr_assert_eq(st->stats->nd6.rx_bad, 0);
	cr_assert(us_in6_eq(&st->nd.router, &ll_a));
	cr_assert_eq(st->nd.router_until, t.now + 1800 * T_S);
	cr_assert_eq(st->nd.cur_hlim, 32);
	cr_assert_eq(us_ip6_hlim(st), 32);
	cr_assert_eq(st->nd.retrans_ns, 2 * T_S);
	cr_assert_geq(st->nd.reachable_ns, 10 * T_S);
	cr_assert_leq(st->nd.reachable_ns, 30 * T_S);
	cr_assert_eq(st->nd.mtu, 1400);
	/* The router's MAC came with it. */
	cr_assert_eq(us_nd6_lookup(st, &ll_a, mac), 0);
	cr_assert_eq(memcmp(mac, t_mac_a, 6), 0);
	cr_assert(entry_of(&t, &ll_a)->router);
	/* On-link prefix, and the default route for the rest. */
	cr_assert_eq(us_nd6_route(st, &dst_on, &nh), 0);
	cr_assert(us_in6_eq(&nh, &dst_on), "on link: the destination itself");
	cr_assert_eq(us_nd6_route(st, &dst_off, &nh), 0);
	cr_assert(us_in6_eq(&nh, &ll_a), "off link: via the router");
	/* SLAAC: prefix + modified EUI-64, tentative, then preferred. */
	a = addr_of(&t, &slaac_b);
	cr_assert_not_null(a, "address made from the prefix");
	cr_assert(a->autoconf);
	cr_assert_eq(a->plen, 64);
	cr_assert_eq(a->state, US_IP6A_TENTATIVE);
	cr_assert_eq(st->stats->nd6.slaac_addr, 1);
	cr_assert_eq(a->valid, t.now + 3600 * T_S);
	cr_assert_eq(a->preferred, t.now + 1800 * T_S);
	run(&t, 3 * T_S);
	cr_assert_eq(a->state, US_IP6A_PREFERRED);
	/* The same advertisement again adds nothing. */
	inject6(&t, &ll_a, &all_nodes, 255, m,
		ra_msg(m, 32, 1800, 0, 0, 0, &pfx1, 64, 0xc0, 3600, 1800));
	cr_assert_eq(st->stats->nd6.slaac_addr, 1);
	t_one_fini(&t);
}

Test(link_nd6, prefixes_that_cannot_make_an_address_are_skipped)
{
	struct t_one t;
	uint8_t m[128];
	struct us_in6 ll_pfx = IN6(0xfe, 0x80);

	nd_up(&t, US_CFG_IP6_AUTO);
	/* Length 48, the link-local prefix, preferred above valid. */
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 0, &pfx1, 48, 0x40, 3600, 1800));
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 0, &ll_pfx, 64, 0xc0, 3600, 1800));
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 0, &pfx1, 64, 0x40, 100, 200));
	/* An MTU below 1280 or above the link's is ignored. */
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 1000, NULL, 0, 0, 0, 0));
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 9000, NULL, 0, 0, 0, 0));
	cr_assert_eq(t.n.st->stats->nd6.rx_ra, 5);
	cr_assert_eq(t.n.st->stats->nd6.slaac_addr, 0);
	cr_assert_eq(t.n.st->nd.mtu, 0);
	cr_assert(us_in6_is_unspec(&t.n.st->nd.router), "lifetime 0: not a default router");
	t_one_fini(&t);
}

Test(link_nd6, static_mode_does_not_autoconfigure)
{
	struct t_one t;
	uint8_t m[128];

	nd_up(&t, US_CFG_IP6_STATIC);
	inject6(&t, &ll_a, &all_nodes, 255, m,
		ra_msg(m, 0, 1800, 0, 0, 0, &pfx1, 64, 0xc0, 3600, 1800));
	cr_assert_null(addr_of(&t, &slaac_b));
	cr_assert(us_in6_eq(&t.n.st->nd.router, &ll_a), "the router is still used");
	t_one_fini(&t);
}

Test(link_nd6, lifetimes_deprecate_then_remove_the_address_and_end_router_and_prefix)
{
	struct t_one t;
	uint8_t m[128];
	struct us_in6 nh, dst_on = pfx1, dst_off = IN6(0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, [15] = 1);
	struct us_ip6_addr *a;

	nd_up(&t, US_CFG_IP6_AUTO);
	dst_on.b[15] = 5;
	inject6(&t, &ll_a, &all_nodes, 255, m,
		ra_msg(m, 0, 30, 0, 0, 0, &pfx1, 64, 0xc0, 60, 20));
	a = addr_of(&t, &slaac_b);
	cr_assert_not_null(a);
	run(&t, 3 * T_S);
	cr_assert_eq(a->state, US_IP6A_PREFERRED);
	cr_assert_leq(us_nd6_deadline(t.n.st), a->preferred);
	run(&t, 17 * T_S + 10 * T_MS);
	cr_assert_eq(a->state, US_IP6A_DEPRECATED, "preferred lifetime over");
	cr_assert(us_ip6_is_ours(t.n.st, &slaac_b), "still usable");
	run(&t, 10 * T_S);
	cr_assert_eq(us_nd6_route(t.n.st, &dst_off, &nh), -ENETUNREACH, "router lifetime over");
	cr_assert_eq(us_nd6_route(t.n.st, &dst_on, &nh), 0, "prefix still on link");
	t_one_drain(&t);
	run(&t, 30 * T_S);
	cr_assert_null(addr_of(&t, &slaac_b), "valid lifetime over: removed");
	cr_assert_eq(us_nd6_route(t.n.st, &dst_on, &nh), -ENETUNREACH, "prefix gone too");
	t_one_fini(&t);
}

Test(link_nd6, advertisement_cannot_cut_the_valid_lifetime_below_two_hours)
{
	struct t_one t;
	uint8_t m[128];
	struct us_ip6_addr *a;

	nd_up(&t, US_CFG_IP6_AUTO);
	inject6(&t, &ll_a, &all_nodes, 255, m,
		ra_msg(m, 0, 0, 0, 0, 0, &pfx1, 64, 0x40, 86400, 3600));
	a = addr_of(&t, &slaac_b);
	cr_assert_not_null(a);
	/* A forged 60 s: cut to two hours, not less. */
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 0, &pfx1, 64, 0x40, 60, 0));
	cr_assert_eq(a->valid, t.now + 7200 * T_S);
	cr_assert_eq(a->preferred, t.now, "preferred lifetime follows the advertisement");
	/* With two hours left, a shorter one is ignored... */
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 0, &pfx1, 64, 0x40, 60, 0));
	cr_assert_eq(a->valid, t.now + 7200 * T_S);
	/* ...and a longer one taken. */
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 0, &pfx1, 64, 0x40, 90000, 80));
	cr_assert_eq(a->valid, t.now + 90000 * T_S);
	cr_assert_eq(a->preferred, t.now + 80 * T_S);
	t_one_fini(&t);
}

Test(link_nd6, zero_router_lifetime_removes_the_router)
{
	struct t_one t;
	uint8_t m[128];

	nd_up(&t, US_CFG_IP6_AUTO);
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 1800, 0, 0, 0, NULL, 0, 0, 0, 0));
	cr_assert(us_in6_eq(&t.n.st->nd.router, &ll_a));
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0));
	cr_assert(us_in6_is_unspec(&t.n.st->nd.router));
	t_one_fini(&t);
}

Test(link_nd6, configured_gateway_is_not_replaced_by_advertisements)
{
	struct t_one t;
	uint8_t m[128];
	struct us_in6 nh, off = IN6(0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, [15] = 1);
	static const struct us_in6 gw = IN6(0xfe, 0x80, [15] = 0x09);

	nd_up(&t, US_CFG_IP6_STATIC);
	t.n.st->nd.router = gw;
	t.n.st->nd.router_until = UINT64_MAX;
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 1800, 0, 0, 0, NULL, 0, 0, 0, 0));
	cr_assert_eq(us_nd6_route(t.n.st, &off, &nh), 0);
	cr_assert(us_in6_eq(&nh, &gw));
	/* The configured prefix is on link. */
	off = addr_c;
	cr_assert_eq(us_nd6_route(t.n.st, &off, &nh), 0);
	cr_assert(us_in6_eq(&nh, &addr_c));
	t_one_fini(&t);
}

Test(link_nd6, redirect_from_our_router_is_counted_and_ignored)
{
	struct t_one t;
	uint8_t m[128];
	struct us_in6 nh, off = IN6(0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, [15] = 1);

	nd_up(&t, US_CFG_IP6_STATIC);
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 1800, 0, 0, 0, NULL, 0, 0, 0, 0));
	memset(m, 0, 40);
	m[0] = US_ICMP6_ND_REDIRECT;
	memcpy(m + 8, ll_b.b, 16);
	m[8 + 15] = 0x33;	/* a better router fe80::...33 */
	memcpy(m + 24, off.b, 16);
	inject6(&t, &ll_a, &ll_b, 255, m, 40);
	cr_assert_eq(t.n.st->stats->nd6.rx_redirect, 1);
	cr_assert_eq(t.n.st->stats->nd6.rx_bad, 0);
	cr_assert_eq(us_nd6_route(t.n.st, &off, &nh), 0);
	cr_assert(us_in6_eq(&nh, &ll_a), "no destination cache: still the default router");
	t_one_fini(&t);
}

/* ---- MLDv2 (RFC 3810) ---- */

static void
check_report(const struct f6 *p, uint8_t rectype)
{
	cr_assert(us_in6_eq(&p->dst, &mld_routers), "to ff02::16");
	cr_assert_eq(memcmp(p->eth, "\x33\x33\x00\x00\x00\x16", 6), 0);
	cr_assert_eq(p->hlim, 1, "hop limit 1");
	cr_assert(p->ralert, "Hop-by-Hop Router Alert");
	cr_assert_eq(p->m[1], 0, "code");
	/* fe80::ff:fe00:2 and fd00::2 share one group: one record, no ff02::1. */
	cr_assert_eq(us_get16(p->m + 6), 1, "records");
	cr_assert_eq(p->len, 8 + 20);
	cr_assert_eq(p->m[8], rectype, "record type");
	cr_assert_eq(p->m[9], 0, "aux data");
	cr_assert_eq(us_get16(p->m + 10), 0, "no sources");
	cr_assert_eq(memcmp(p->m + 12, sn_b.b, 16), 0, "our solicited-node group");
}

Test(link_nd6, mld_reports_our_group_twice_a_second_apart_at_start)
{
	struct t_one t;
	uint8_t f[2048];
	struct f6 p;

	nd_init(&t, US_CFG_IP6_STATIC);
	cr_assert(take6(&t, US_ICMP6_MLD2_REPORT, f, &p));
	check_report(&p, 4);
	cr_assert_eq(count6(&t, US_ICMP6_MLD2_REPORT), 0);
	run(&t, 990 * T_MS);
	cr_assert_eq(count6(&t, US_ICMP6_MLD2_REPORT), 0);
	run(&t, 20 * T_MS);
	cr_assert(take6(&t, US_ICMP6_MLD2_REPORT, f, &p), "the repetition");
	check_report(&p, 4);
	run(&t, 5 * T_S);
	cr_assert_eq(count6(&t, US_ICMP6_MLD2_REPORT), 0, "two in all");
	cr_assert_eq(t.n.st->stats->nd6.tx_mld_report, 2);
	t_one_fini(&t);
}

Test(link_nd6, mld_query_is_answered_within_its_maximum_response_delay)
{
	struct t_one t;
	uint8_t m[64], f[2048];
	struct f6 p;

	nd_up(&t, US_CFG_IP6_STATIC);
	/* scapy: ICMPv6MLQuery2(mrd=500) from fe80::1, hop limit 1 */
	memset(m, 0, 28);
	m[0] = US_ICMP6_MLD_QUERY;
	us_put16(m + 4, 500);
	inject6(&t, &ll_a, &all_nodes, 1, m, 28);
	cr_assert_eq(t.n.st->stats->nd6.rx_mld_query, 1);
	run(&t, 510 * T_MS);
	cr_assert(take6(&t, US_ICMP6_MLD2_REPORT, f, &p), "a report within 500 ms");
	check_report(&p, 2);
	cr_assert(us_in6_eq(&p.src, &ll_b), "from our link-local address");
	/*
	 * A query naming a group we are not in is not answered: sent to
	 * all-nodes so the link takes it, the group field decides.
	 */
	memcpy(m + 8, all_routers.b, 16);
	inject6(&t, &ll_a, &all_nodes, 1, m, 28);
	cr_assert_eq(t.n.st->stats->nd6.rx_mld_query, 2, "the query reached MLD");
	run(&t, 1 * T_S);
	cr_assert_eq(count6(&t, US_ICMP6_MLD2_REPORT), 0);
	t_one_fini(&t);
}

/* A SLAAC address shares its group with the link-local address (both end in our MAC). */
Test(link_nd6, expired_slaac_address_does_not_leave_the_group_the_link_local_needs)
{
	struct t_one t;
	uint8_t m[128], f[2048];
	struct f6 p;

	nd_up(&t, US_CFG_IP6_AUTO);
	inject6(&t, &ll_a, &all_nodes, 255, m, ra_msg(m, 0, 0, 0, 0, 0, &pfx1, 64, 0x40, 10, 5));
	run(&t, 12 * T_S);
	cr_assert_null(addr_of(&t, &slaac_b));
	/* The link-local address still needs the group: no leave. */
	while (take6(&t, US_ICMP6_MLD2_REPORT, f, &p))
		cr_assert_neq(p.m[8], 3, "no CHANGE_TO_INCLUDE while the group is in use");
	t_one_fini(&t);
}

Test(link_nd6, deadline_is_the_earliest_timer)
{
	struct t_one t;
	uint64_t d;

	nd_init(&t, US_CFG_IP6_STATIC);
	d = us_nd6_deadline(t.n.st);
	cr_assert_leq(d, addr_of(&t, &ll_b)->dad_timer);
	cr_assert_leq(d, 1001 * T_MS);
	cr_assert_leq(us_stack_next_deadline(t.n.st), d, "the stack sleeps no longer");
	run(&t, 3 * T_S);
	t_one_drain(&t);
	/* RS left: still a deadline until they are sent. */
	run(&t, 10 * T_S);
	cr_assert_eq(us_nd6_deadline(t.n.st), UINT64_MAX, "nothing to do");
	t_one_fini(&t);
}

/*
 * Random bodies behind every ND and MLD type, at every length up to 96
 * bytes, hop limits 1 and 255: nothing crashes, nothing leaks, and every
 * message is counted as received or as bad.
 */
Test(link_nd6, random_messages_never_crash_and_are_all_counted)
{
	static const uint8_t types[] = { US_ICMP6_MLD_QUERY, US_ICMP6_ND_RS, US_ICMP6_ND_RA,
					 US_ICMP6_ND_NS, US_ICMP6_ND_NA, US_ICMP6_ND_REDIRECT };
	struct t_one t;
	struct us_nd6_stats *s;
	uint64_t x = 0x243f6a8885a308d3ull, sent = 0, seen;
	uint8_t m[96];
	uint32_t len, i, k;

	nd_up(&t, US_CFG_IP6_AUTO);
	s = &t.n.st->stats->nd6;
	for (k = 0; k < 3000; k++) {
		uint8_t type = types[k % sizeof(types)];

		len = 8 + (k / sizeof(types)) % (sizeof(m) - 7);
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			m[i] = (uint8_t)x;
		}
		m[0] = type;
		m[1] = (k & 8) ? m[1] : 0;
		/* Options that mostly hold together, so the parsers get past the checks. */
		for (i = type == US_ICMP6_ND_RA ? 16 : type == US_ICMP6_ND_REDIRECT ? 40 : 24;
		     i + 1 < len && (k & 4); i += m[i + 1] * 8u) {
			m[i] = 1 + m[i] % 5;
			m[i + 1] = 1 + m[i + 1] % 4;
			m[i + 2] &= 0xfe;	/* a unicast MAC */
		}
		inject6(&t, (k & 1) ? &ll_a : &unspec, (k & 2) ? &all_nodes : &sn_b,
			(k & 16) ? 1 : 255, m, len);
		sent++;
		t_one_drain(&t);
	}
	run(&t, 60 * T_S);
	t_one_drain(&t);
	seen = s->rx_bad + s->rx_ns + s->rx_na + s->rx_rs + s->rx_ra + s->rx_redirect +
	       s->rx_mld_query;
	cr_assert_eq(seen, sent, "%lu of %lu counted", (unsigned long)seen, (unsigned long)sent);
	cr_assert_gt(s->rx_ra + s->rx_ns + s->rx_na, 0, "some got through the checks");
	t_one_fini(&t);
}

Test(link_nd6, cache_full_of_resolving_neighbours_refuses_and_counts_new_ones)
{
	struct t_one t;
	struct us_in6 ip = ll_a;
	uint32_t i, incomplete = 0;
	int rc, refused = 0;

	nd_up(&t, US_CFG_IP6_STATIC);
	/* Far more neighbours resolving than the cache holds. */
	for (i = 0; i < 3 * t.n.st->nd.size; i++) {
		ip.b[14] = (uint8_t)(i >> 8);
		ip.b[15] = (uint8_t)i;
		rc = us_nd6_output(t.n.st, datagram(&t, &ll_b, &ip, 0), &ip);
		refused += rc == -ENOBUFS;
		/* The solicitations sit in the stack's buffers until taken. */
		t_one_drain(&t);
	}
	for (i = 0; i < t.n.st->nd.size; i++)
		incomplete += t.n.st->nd.tab[i].state == US_ND_INCOMPLETE;
	cr_assert_gt(refused, 0);
	cr_assert_eq(t.n.st->stats->nd6.cache_full + t.n.st->stats->nd6.queue_drop,
		     (uint64_t)refused);
	cr_assert_leq(t.n.st->nd.npend, 256, "the total bound holds");
	cr_assert_gt(incomplete, 0);
	t_one_drain(&t);
	run(&t, 4 * T_S);
	cr_assert_eq(t.n.st->nd.npend, 0, "all given up and freed");
	t_one_fini(&t);
}
