/*
 * harness.c - fixtures for unit and protocol tests (see harness.h).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

const uint8_t t_mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const uint8_t t_mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static void
count_event(struct us_stack *st, struct us_sock *s)
{
	(void)s;
	((struct t_node *)st->hooks.arg)->events++;
}

void
t_node_init(struct t_node *n, uint32_t ip, const uint8_t mac[6], uint32_t mtu,
	    struct us_drv *end, const char *fault, uint32_t pool_size)
{
	struct us_config c;

	memset(n, 0, sizeof(*n));
	memset(&c, 0, sizeof(c));
	strcpy(c.iface, "loop");
	strcpy(c.driver, "loop");
	c.ip4 = ip;
	c.plen = 24;
	c.pool_size = pool_size;
	c.max_sockets = 1024;
	n->pool = us_pool_create(pool_size, 2048 + 128, 128);
	cr_assert_not_null(n->pool);
	end->pool = n->pool;
	(void)mac;
	(void)mtu;
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

uint32_t
t_node_fini(struct t_node *n)
{
	uint32_t leaked;

	us_stack_destroy(n->st);
	leaked = n->pool->n - n->pool->avail;
	if (leaked == 0)
		us_pool_destroy(n->pool);
	return leaked;
}

void
t_one_init(struct t_one *t)
{
	struct us_drv *end;

	memset(t, 0, sizeof(*t));
	t->ppool = us_pool_create(1024, 2048 + 128, 128);
	cr_assert_not_null(t->ppool);
	end = us_loop_open(NULL, t_mac_b, 1500);
	t->peer = us_loop_open(t->ppool, t_mac_a, 1500);
	us_loop_connect(end, t->peer);
	t_node_init(&t->n, T_IP_B, t_mac_b, 1500, end, NULL, 512);
	/* The start-up announcement is not part of any test. */
	t_one_drain(t);
}

void
t_one_fini(struct t_one *t)
{
	uint32_t leaked;

	t_one_drain(t);
	us_stack_destroy(t->n.st);
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
	uint64_t sum;
	uint16_t c;

	cr_assert_leq(dlen + 8, sizeof(u));
	us_put16(u, sport);
	us_put16(u + 2, dport);
	us_put16(u + 4, (uint16_t)(8 + dlen));
	us_put16(u + 6, 0);
	memcpy(u + 8, data, dlen);
	sum = us_cksum_add(us_cksum_pseudo4(src, dst, US_IPPROTO_UDP, 8 + dlen), u, 8 + dlen);
	c = us_cksum_fold(sum);
	us_put16(u + 6, c == 0 ? 0xffff : c);
	return t_build_ip4(f, src, dst, US_IPPROTO_UDP, 1, 0, u, 8 + dlen);
}

void
t_two_init(struct t_two *t, const char *fault_a, const char *fault_b, uint32_t pool_size)
{
	struct us_drv *ea = us_loop_open(NULL, t_mac_a, 1500);
	struct us_drv *eb = us_loop_open(NULL, t_mac_b, 1500);

	memset(t, 0, sizeof(*t));
	us_loop_connect(ea, eb);
	t_node_init(&t->a, T_IP_A, t_mac_a, 1500, ea, fault_a, pool_size);
	t_node_init(&t->b, T_IP_B, t_mac_b, 1500, eb, fault_b, pool_size);
}

void
t_two_fini(struct t_two *t)
{
	uint32_t la, lb;

	/* Both ends first: a frame in flight belongs to the sender's pool. */
	us_stack_destroy(t->a.st);
	us_stack_destroy(t->b.st);
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
