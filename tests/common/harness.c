/*
 * harness.c - fixtures for unit and protocol tests (see harness.h).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

const uint8_t t_mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const uint8_t t_mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };
const struct us_in6 t_ip6_a = { { 0xfd, [15] = 1 } };
const struct us_in6 t_ip6_b = { { 0xfd, [15] = 2 } };
const struct us_in6 t_ll6_a = { { 0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 1 } };
const struct us_in6 t_ll6_b = { { 0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 2 } };

static void
count_event(struct us_stack *st, struct us_sock *s)
{
	(void)s;
	((struct t_node *)st->hooks.arg)->events++;
}

static void
node_init(struct t_node *n, uint32_t ip, const struct us_in6 *ip6, struct us_drv *end,
	  const char *fault, uint32_t pool_size)
{
	struct us_config c;

	memset(n, 0, sizeof(*n));
	memset(&c, 0, sizeof(c));
	strcpy(c.iface, "loop");
	strcpy(c.driver, "loop");
	c.ip4 = ip;
	c.plen = 24;
	if (ip6 != NULL) {
		c.ip6_mode = US_CFG_IP6_STATIC;
		c.ip6 = *ip6;
		c.ip6_plen = 64;
	}
	c.pool_size = pool_size;
	c.max_sockets = 1024;
	n->pool = us_pool_create(pool_size, 2048 + 128, 128);
	cr_assert_not_null(n->pool);
	end->pool = n->pool;
	n->end = end;
	if (fault != NULL) {
		struct us_fault_cfg fc;
		char err[128];

		cr_assert_eq(us_fault_parse(fault, &fc, err, sizeof(err)), 0, "fault spec: %s", err);
		n->end = us_fault_wrap(end, &fc);
		cr_assert_not_null(n->end);
	}
	n->st = us_stack_create(&c, n->end, n->pool, 0);
	cr_assert_not_null(n->st);
	n->st->hooks.sock_event = count_event;
	n->st->hooks.arg = n;
}

void
t_node_init(struct t_node *n, uint32_t ip, const uint8_t mac[6], uint32_t mtu,
	    struct us_drv *end, const char *fault, uint32_t pool_size)
{
	(void)mac;
	(void)mtu;
	node_init(n, ip, NULL, end, fault, pool_size);
}

#if US_HAVE_IPV6
/* Are all of the stack's addresses past DAD? */
static int
dad_done(const struct us_stack *st)
{
	int i;

	for (i = 0; i < US_IP6_NADDR; i++)
		if (st->ip6.addr[i].state == US_IP6A_TENTATIVE)
			return 0;
	return 1;
}

void
t_node_init6(struct t_node *n, uint32_t ip, const struct us_in6 *ip6, const uint8_t mac[6],
	     uint32_t mtu, struct us_drv *end, const char *fault, uint32_t pool_size)
{
	(void)mac;
	(void)mtu;
	node_init(n, ip, ip6, end, fault, pool_size);
	cr_assert(n->st->ip6.enabled);
}
#endif

void
t_stack_destroy(struct us_stack *st)
{
	struct us_leak l;

	/* Buffers are the caller's to count: a frame in flight is the sender's. */
	us_stack_destroy(st, &l);
	cr_assert_eq(l.tcbs, 0, "%u TCP control blocks leaked", l.tcbs);
	cr_assert_eq(l.socks, 0, "%u sockets leaked", l.socks);
	cr_assert_eq(l.charges, 0, "%u ring-frame charges to the pool leaked", l.charges);
}

uint32_t
t_node_fini(struct t_node *n)
{
	uint32_t leaked;

	t_stack_destroy(n->st);
	leaked = n->pool->n - n->pool->avail;
	if (leaked == 0)
		us_pool_destroy(n->pool);
	return leaked;
}

/* The stack (IPv6 on if ip6) and the test's end of its link. */
static void
one_init(struct t_one *t, int ip6)
{
	struct us_drv *end;

	memset(t, 0, sizeof(*t));
	t->ppool = us_pool_create(1024, 2048 + 128, 128);
	cr_assert_not_null(t->ppool);
	end = us_loop_open(NULL, t_mac_b, 1500);
	t->peer = us_loop_open(t->ppool, t_mac_a, 1500);
	us_loop_connect(end, t->peer);
	node_init(&t->n, T_IP_B, ip6 ? T_IP6_B : NULL, end, NULL, 512);
	/* The start-up announcement is not part of any test. */
	t_one_drain(t);
}

void
t_one_init(struct t_one *t)
{
	one_init(t, 0);
}

#if US_HAVE_IPV6
void
t_one_init6(struct t_one *t)
{
	int i;

	one_init(t, 1);
	us_ip6_start(t->n.st);
	/* DAD (RFC 4862 5.4): a random delay, a solicitation, a second of silence. */
	for (i = 0; i < 100 && !dad_done(t->n.st); i++) {
		t_one_drain(t);
		t_one_advance(t, 100 * T_MS);
	}
	cr_assert(dad_done(t->n.st), "DAD did not finish");
	cr_assert(us_ip6_is_ours(t->n.st, T_IP6_B));
	cr_assert(us_ip6_is_ours(t->n.st, T_LL6_B));
	t_one_drain(t);
}
#endif

void
t_one_init_dhcp(struct t_one *t)
{
	struct us_stack *st;

	one_init(t, 0);
	/* What us_stack_create makes of USOCK_IPV4=dhcp: no address, no prefix. */
	st = t->n.st;
	st->cfg.dhcp = 1;
	st->cfg.ip4 = 0;
	st->cfg.plen = 0;
	st->ip4 = 0;
	st->mask = 0;
}

void
t_one_fini(struct t_one *t)
{
	uint32_t leaked;

	t_one_drain(t);
	t_stack_destroy(t->n.st);
	us_drv_close(t->peer);
	leaked = t->n.pool->n - t->n.pool->avail;
	if (leaked == 0)
		us_pool_destroy(t->n.pool);
	cr_assert_eq(leaked, 0, "%u packet buffers leaked", leaked);
	cr_assert_eq(us_pool_destroy(t->ppool), 0, "test pool buffers leaked");
}

void
t_one_inject(struct t_one *t, const void *frame, uint32_t len)
{
	struct us_pkt *p = us_pkt_alloc(t->ppool);

	cr_assert_not_null(p);
	cr_assert_leq(len, us_pkt_tailroom(p));
	memcpy(us_pkt_append(p, len), frame, len);
	cr_assert_eq(t->peer->ops->tx_burst(t->peer, &p, 1, t->now), 1);
	us_stack_poll(t->n.st, t->now, 64);
}

uint32_t
t_one_take(struct t_one *t, void *buf, uint32_t size)
{
	struct us_pkt *p;
	uint32_t n;

	us_stack_flush(t->n.st);
	if (t->peer->ops->rx_burst(t->peer, &p, 1, t->now) == 0)
		return 0;
	n = us_pkt_chain_read(p, 0, buf, size);
	us_pkt_free(p);
	return n;
}

uint32_t
t_one_drain(struct t_one *t)
{
	uint8_t buf[2048];
	uint32_t n = 0;

	while (t_one_take(t, buf, sizeof(buf)) > 0)
		n++;
	return n;
}

void
t_one_advance(struct t_one *t, uint64_t ns)
{
	t->now += ns;
	us_stack_poll(t->n.st, t->now, 64);
}

void
t_one_learn_peer(struct t_one *t)
{
	uint8_t f[64];

	/* An ARP request from the peer for our address teaches us its MAC. */
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, t_mac_a, 6);
	us_put16(f + 12, US_ETHERTYPE_ARP);
	us_put16(f + 14 + US_ARP_HTYPE, 1);
	us_put16(f + 14 + US_ARP_PTYPE, US_ETHERTYPE_IPV4);
	f[14 + US_ARP_HLEN] = 6;
	f[14 + US_ARP_PLEN] = 4;
	us_put16(f + 14 + US_ARP_OP, US_ARP_REQUEST);
	memcpy(f + 14 + US_ARP_SHA, t_mac_a, 6);
	us_put32(f + 14 + US_ARP_SPA, T_IP_A);
	us_put32(f + 14 + US_ARP_TPA, T_IP_B);
	t_one_inject(t, f, 60);
	t_one_drain(t);
}

/* A UDP header and data at u, its checksum over the pseudo-header sum given. */
static void
udp_fill(uint8_t *u, uint16_t sport, uint16_t dport, const void *data, uint32_t dlen,
	 uint64_t pseudo)
{
	uint16_t c;

	us_put16(u, sport);
	us_put16(u + 2, dport);
	us_put16(u + 4, (uint16_t)(8 + dlen));
	us_put16(u + 6, 0);
	memcpy(u + 8, data, dlen);
	c = us_cksum_fold(us_cksum_add(pseudo, u, 8 + dlen));
	/* RFC 768, RFC 8200 8.1: a zero checksum is sent as all ones. */
	us_put16(u + 6, c == 0 ? 0xffff : c);
}

#if US_HAVE_IPV6
/* Is the frame (Ethernet) ICMPv6 neighbour discovery or MLD? */
static int
is_nd(const uint8_t *f, uint32_t len)
{
	uint8_t proto;
	int off;

	if (len < US_ETH_HLEN + US_IP6_HLEN || us_get16(f + 12) != US_ETHERTYPE_IPV6)
		return 0;
	off = us_ip6_upper(f + US_ETH_HLEN, len - US_ETH_HLEN, &proto);
	if (off < 0 || proto != US_IPPROTO_ICMPV6 || US_ETH_HLEN + (uint32_t)off >= len)
		return 0;
	return (f[US_ETH_HLEN + off] >= US_ICMP6_MLD_QUERY &&
		f[US_ETH_HLEN + off] <= US_ICMP6_ND_REDIRECT) ||
	       f[US_ETH_HLEN + off] == US_ICMP6_MLD2_REPORT;
}

uint32_t
t_one_take6(struct t_one *t, void *buf, uint32_t size)
{
	uint32_t n;

	while ((n = t_one_take(t, buf, size)) > 0)
		if (!is_nd(buf, n))
			return n;
	return 0;
}

/* A neighbour solicitation from src for target with the peer's MAC (RFC 4861 4.3). */
static void
solicit_from(struct t_one *t, const struct us_in6 *src, const struct us_in6 *target)
{
	uint8_t f[128], body[4 + 16 + 8];
	struct us_in6 g;

	memset(body, 0, sizeof(body));
	memcpy(body + 4, target->b, 16);
	body[20] = US_ND_OPT_SLLA;
	body[21] = 1;
	memcpy(body + 22, t_mac_a, 6);
	us_in6_solicited(&g, target);
	t_build_icmp6(f, src, &g, US_ICMP6_ND_NS, 0, body, sizeof(body));
	/* RFC 4861 7.1.1: neighbour discovery comes with hop limit 255. */
	f[US_ETH_HLEN + US_IP6_HLIM] = 255;
	t_one_inject(t, f, US_ETH_HLEN + US_IP6_HLEN + 4 + sizeof(body));
}

void
t_one_learn_peer6(struct t_one *t)
{
	solicit_from(t, T_IP6_A, T_IP6_B);
	solicit_from(t, T_LL6_A, T_LL6_B);
	t_one_drain(t);
}
#endif

uint32_t
t_build_ip6(uint8_t *f, const struct us_in6 *src, const struct us_in6 *dst, uint8_t nxt,
	    const void *payload, uint32_t plen)
{
	uint8_t *ip = f + US_ETH_HLEN;

	if (us_in6_is_multicast(dst))
		us_in6_mcast_mac(f, dst);
	else
		memcpy(f, t_mac_b, 6);
	memcpy(f + 6, t_mac_a, 6);
	us_put16(f + 12, US_ETHERTYPE_IPV6);
	us_put32(ip + US_IP6_VTCFL, 6u << 28);
	us_put16(ip + US_IP6_PLEN, (uint16_t)plen);
	ip[US_IP6_NXT] = nxt;
	ip[US_IP6_HLIM] = 64;
	memcpy(ip + US_IP6_SRC, src->b, 16);
	memcpy(ip + US_IP6_DST, dst->b, 16);
	if (plen > 0)
		memmove(ip + US_IP6_HLEN, payload, plen);
	return US_ETH_HLEN + US_IP6_HLEN + plen;
}

uint32_t
t_build_udp6(uint8_t *f, const struct us_in6 *src, const struct us_in6 *dst, uint16_t sport,
	     uint16_t dport, const void *data, uint32_t dlen)
{
	uint8_t u[2048];

	cr_assert_leq(dlen + 8, sizeof(u));
	udp_fill(u, sport, dport, data, dlen, us_cksum_pseudo6(src, dst, US_IPPROTO_UDP, 8 + dlen));
	return t_build_ip6(f, src, dst, US_IPPROTO_UDP, u, 8 + dlen);
}

uint32_t
t_build_icmp6(uint8_t *f, const struct us_in6 *src, const struct us_in6 *dst, uint8_t type,
	      uint8_t code, const void *body, uint32_t blen)
{
	uint8_t m[2048];

	cr_assert_leq(blen + 4, sizeof(m));
	m[0] = type;
	m[1] = code;
	us_put16(m + 2, 0);
	if (blen > 0)
		memcpy(m + 4, body, blen);
	us_put16(m + 2, us_cksum_fold(us_cksum_add(us_cksum_pseudo6(src, dst, US_IPPROTO_ICMPV6,
								    4 + blen),
						   m, 4 + blen)));
	return t_build_ip6(f, src, dst, US_IPPROTO_ICMPV6, m, 4 + blen);
}

uint32_t
t_icmp6_msg(uint8_t *m, const struct us_in6 *src, const struct us_in6 *dst, uint8_t type,
	    uint8_t code, uint32_t rest, const void *data, uint32_t dlen)
{
	uint32_t len = US_ICMP6_HLEN + dlen;

	m[0] = type;
	m[1] = code;
	us_put16(m + 2, 0);
	us_put32(m + 4, rest);
	if (dlen > 0)
		memmove(m + US_ICMP6_HLEN, data, dlen);
	us_put16(m + 2, us_cksum_fold(us_cksum_add(us_cksum_pseudo6(src, dst, US_IPPROTO_ICMPV6,
								    len),
						   m, len)));
	return len;
}

uint32_t
t_build_ip4(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id, uint16_t frag,
	    const void *payload, uint32_t plen)
{
	uint8_t *ip = f + US_ETH_HLEN;

	memcpy(f, t_mac_b, 6);
	memcpy(f + 6, t_mac_a, 6);
	us_put16(f + 12, US_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	ip[1] = 0;
	us_put16(ip + US_IP4_LEN, (uint16_t)(20 + plen));
	us_put16(ip + US_IP4_ID, id);
	us_put16(ip + US_IP4_FRAG, frag);
	ip[US_IP4_TTL] = 64;
	ip[US_IP4_PROTO] = proto;
	us_put16(ip + US_IP4_SUM, 0);
	us_put32(ip + US_IP4_SRC, src);
	us_put32(ip + US_IP4_DST, dst);
	us_put16(ip + US_IP4_SUM, us_cksum_fold(us_cksum_add(0, ip, 20)));
	memcpy(ip + 20, payload, plen);
	return US_ETH_HLEN + 20 + plen;
}

uint32_t
t_build_udp(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	    const void *data, uint32_t dlen)
{
	uint8_t u[2048];

	cr_assert_leq(dlen + 8, sizeof(u));
	udp_fill(u, sport, dport, data, dlen, us_cksum_pseudo4(src, dst, US_IPPROTO_UDP, 8 + dlen));
	return t_build_ip4(f, src, dst, US_IPPROTO_UDP, 1, 0, u, 8 + dlen);
}

/* Two stacks on one loop link, with IPv6 on if ip6. */
static void
two_init(struct t_two *t, int ip6, const char *fault_a, const char *fault_b, uint32_t pool_size)
{
	struct us_drv *ea = us_loop_open(NULL, t_mac_a, 1500);
	struct us_drv *eb = us_loop_open(NULL, t_mac_b, 1500);

	memset(t, 0, sizeof(*t));
	us_loop_connect(ea, eb);
	node_init(&t->a, T_IP_A, ip6 ? T_IP6_A : NULL, ea, fault_a, pool_size);
	node_init(&t->b, T_IP_B, ip6 ? T_IP6_B : NULL, eb, fault_b, pool_size);
}

void
t_two_init(struct t_two *t, const char *fault_a, const char *fault_b, uint32_t pool_size)
{
	two_init(t, 0, fault_a, fault_b, pool_size);
}

#if US_HAVE_IPV6
static int
both_dad_done(void *arg)
{
	struct t_two *t = arg;

	return dad_done(t->a.st) && dad_done(t->b.st);
}

void
t_two_init6(struct t_two *t, const char *fault_a, const char *fault_b, uint32_t pool_size)
{
	two_init(t, 1, fault_a, fault_b, pool_size);
	us_ip6_start(t->a.st);
	us_ip6_start(t->b.st);
	cr_assert(t_two_run(t, both_dad_done, t, 10 * T_S), "DAD did not finish");
}
#endif

void
t_two_fini(struct t_two *t)
{
	uint32_t la, lb;

	/* Both ends first: a frame in flight belongs to the sender's pool. */
	t_stack_destroy(t->a.st);
	t_stack_destroy(t->b.st);
	la = t->a.pool->n - t->a.pool->avail;
	lb = t->b.pool->n - t->b.pool->avail;
	cr_assert_eq(la + lb, 0, "packet buffers leaked: a %u, b %u", la, lb);
	us_pool_destroy(t->a.pool);
	us_pool_destroy(t->b.pool);
}

int
t_two_run(struct t_two *t, int (*cond)(void *arg), void *arg, uint64_t limit_ns)
{
	uint64_t end = t->now + limit_ns;

	for (;;) {
		unsigned got;

		if (cond != NULL && cond(arg))
			return 1;
		got = us_stack_poll(t->a.st, t->now, 64);
		got += us_stack_poll(t->b.st, t->now, 64);
		if (cond != NULL && cond(arg))
			return 1;
		if (got == 0) {
			/* Idle: jump to whichever stack has work next. */
			uint64_t da = us_stack_next_deadline(t->a.st);
			uint64_t db = us_stack_next_deadline(t->b.st);
			uint64_t d = da < db ? da : db;

			if (d == UINT64_MAX || d > end) {
				t->now = end;
				us_stack_poll(t->a.st, t->now, 64);
				us_stack_poll(t->b.st, t->now, 64);
				return cond != NULL ? cond(arg) : 0;
			}
			if (d > t->now)
				t->now = d;
		}
	}
}
