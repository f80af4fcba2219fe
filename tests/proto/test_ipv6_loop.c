/*
 * Two stacks with IPv6 over the loop link in virtual time: the first
 * datagram waits for neighbour discovery, datagrams above the MTU travel
 * in fragments both ways, a dual-stack listener takes an IPv4 client, and
 * a Packet Too Big lowers a connection's MSS and its path MTU, after which
 * a transfer still delivers every byte.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"

#define MiB (1024u * 1024)

static struct us_sock *
sock6(struct t_node *n, int type)
{
	int err = 0;
	struct us_sock *s = us_sock_create(n->st, USOCK_AF_INET6, type, 0, &err);

	cr_assert_not_null(s, "socket: %d", err);
	return s;
}

static struct us_ep
ep6(const struct us_in6 *a, uint16_t port)
{
	struct us_ep e = { .v6 = 1, .port = port };

	if (a != NULL)
		e.addr6 = *a;
	return e;
}

static int
knows_b(void *arg)
{
	struct t_two *t = arg;
	uint8_t mac[6];

	return us_nd6_lookup(t->a.st, T_IP6_B, mac) == 0 && memcmp(mac, t_mac_b, 6) == 0;
}

struct rx {
	struct t_two *t;
	struct us_sock *s;
	uint8_t *buf;
	uint32_t cap;
	ssize_t n;
	struct us_ep from;
};

static int
got_datagram(void *arg)
{
	struct rx *r = arg;

	r->n = us_udp_recv_ep(r->t->b.st, r->s, r->buf, r->cap, 0, &r->from);
	return r->n != -EAGAIN;
}

Test(ipv6_loop, first_datagram_waits_for_neighbour_discovery_then_arrives)
{
	struct t_two t;
	struct us_sock *sa, *sb;
	struct us_ep any_a = ep6(NULL, 5000), any_b = ep6(NULL, 7), to = ep6(T_IP6_B, 7);
	uint8_t buf[64];
	struct rx r = { &t, NULL, buf, sizeof(buf), 0, { 0 } };

	t_two_init6(&t, NULL, NULL, 512);
	sa = sock6(&t.a, USOCK_SOCK_DGRAM);
	sb = sock6(&t.b, USOCK_SOCK_DGRAM);
	cr_assert_eq(us_udp_bind_ep(t.a.st, sa, &any_a), 0);
	cr_assert_eq(us_udp_bind_ep(t.b.st, sb, &any_b), 0);
	r.s = sb;
	cr_assert_eq(us_udp_send_ep(t.a.st, sa, "hello6", 6, &to), 6);
	cr_assert(t_two_run(&t, knows_b, &t, 5 * T_S), "a never learnt b's MAC");
	cr_assert(t_two_run(&t, got_datagram, &r, 1 * T_S), "the datagram never arrived");
	cr_assert_eq(r.n, 6);
	cr_assert_eq(memcmp(buf, "hello6", 6), 0);
	cr_assert(r.from.v6);
	cr_assert(us_in6_eq(&r.from.addr6, T_IP6_A));
	cr_assert_eq(r.from.port, 5000);
	cr_assert_geq(t.a.st->stats->nd6.tx_ns, 1);
	cr_assert_geq(t.b.st->stats->nd6.tx_na, 1);
	cr_assert_eq(t.a.st->stats->nd6.resolve_fail, 0);
	us_sock_close(t.a.st, sa);
	us_sock_close(t.b.st, sb);
	t_two_fini(&t);
}

Test(ipv6_loop, datagrams_above_the_mtu_travel_in_fragments)
{
	static uint8_t out[30000], in[30000];
	struct t_two t;
	struct us_sock *sa, *sb;
	struct us_ep any_a = ep6(NULL, 5001), any_b = ep6(NULL, 7), to = ep6(T_IP6_B, 7);
	struct rx r = { &t, NULL, in, sizeof(in), 0, { 0 } };
	uint32_t i;

	t_two_init6(&t, NULL, NULL, 1024);
	sa = sock6(&t.a, USOCK_SOCK_DGRAM);
	sb = sock6(&t.b, USOCK_SOCK_DGRAM);
	cr_assert_eq(us_udp_bind_ep(t.a.st, sa, &any_a), 0);
	cr_assert_eq(us_udp_bind_ep(t.b.st, sb, &any_b), 0);
	r.s = sb;
	for (i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + (i >> 9));
	cr_assert_eq(us_udp_send_ep(t.a.st, sa, out, sizeof(out), &to), (ssize_t)sizeof(out));
	cr_assert(t_two_run(&t, got_datagram, &r, 5 * T_S), "the datagram never arrived");
	cr_assert_eq(r.n, (ssize_t)sizeof(out));
	cr_assert_eq(memcmp(in, out, sizeof(out)), 0);
	/* 30008 bytes of UDP in pieces of at most 1448 (1500 - 40 - 8, a multiple of 8). */
	cr_assert_eq(t.a.st->stats->ip6.tx_frag, 21);
	cr_assert_eq(t.b.st->stats->ip6.rx_reassembled, 1);
	cr_assert_eq(t.b.st->stats->ip6.rx_frag, 21);
	us_sock_close(t.a.st, sa);
	us_sock_close(t.b.st, sb);
	t_two_fini(&t);
}

struct pair {
	struct t_two *t;
	struct us_sock *ls;	/* b's listener */
	struct us_sock *c;	/* a's client */
	struct us_sock *s;	/* b's accepted socket */
};

static int
established(void *arg)
{
	struct pair *p = arg;
	int err = 0;

	if (p->s == NULL)
		p->s = us_tcp_accept(p->t->b.st, p->ls, &err);
	return p->s != NULL && p->c->tcb->state == US_TCPS_ESTABLISHED;
}

Test(ipv6_loop, a_dual_stack_listener_takes_an_ipv4_client)
{
	struct t_two t;
	struct pair p = { &t, NULL, NULL, NULL };
	struct us_ep any = ep6(NULL, 80);
	int err = 0;

	t_two_init6(&t, NULL, NULL, 512);
	p.ls = sock6(&t.b, USOCK_SOCK_STREAM);
	cr_assert_eq(us_tcp_bind_ep(t.b.st, p.ls, &any), 0);
	cr_assert_eq(us_tcp_listen(t.b.st, p.ls, 4), 0);
	p.c = us_sock_create(t.a.st, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(p.c);
	cr_assert_eq(us_tcp_connect(t.a.st, p.c, T_IP_B, 80), -EINPROGRESS);
	cr_assert(t_two_run(&t, established, &p, 5 * T_S), "no connection");
	/* The accepted socket is the listener's family but speaks IPv4. */
	cr_assert_eq(p.s->family, USOCK_AF_INET6);
	cr_assert_eq(p.s->flags & US_SO_V6, 0);
	cr_assert_eq(p.s->faddr, T_IP_A);
	cr_assert_gt(t.b.st->stats->ip4.rx_delivered, 0, "the handshake came over IPv4");
	us_sock_close(t.a.st, p.c);
	us_sock_close(t.b.st, p.s);
	us_sock_close(t.b.st, p.ls);
	t_two_run(&t, NULL, NULL, 130 * T_S);
	t_two_fini(&t);
}

/* Hands node n a frame as if its link delivered it. */
static void
deliver(struct t_node *n, const uint8_t *frame, uint32_t len)
{
	struct us_pkt *pkt = us_pkt_alloc(n->pool);

	cr_assert_not_null(pkt);
	memcpy(us_pkt_append(pkt, len), frame, len);
	us_stack_input(n->st, pkt);
}

struct bulk {
	struct pair *p;
	uint32_t sent, rcvd, size;
	int bad;
};

static int
pump(void *arg)
{
	struct bulk *b = arg;
	uint8_t buf[8192];
	ssize_t n;

	while (b->sent < b->size) {
		uint32_t k = b->size - b->sent < sizeof(buf) ? b->size - b->sent : sizeof(buf), i;

		for (i = 0; i < k; i++)
			buf[i] = (uint8_t)((b->sent + i) * 13);
		n = us_tcp_send(b->p->t->a.st, b->p->c, buf, k, 0);
		if (n <= 0)
			break;
		b->sent += (uint32_t)n;
	}
	while ((n = us_tcp_recv(b->p->t->b.st, b->p->s, buf, sizeof(buf), 0)) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++)
			b->bad |= buf[i] != (uint8_t)((b->rcvd + (uint32_t)i) * 13);
		b->rcvd += (uint32_t)n;
	}
	return b->rcvd == b->size;
}

/*
 * a's link drops packets above 1280 bytes (a narrower hop the stacks cannot
 * see), so a transfer moves only once a's MSS is lowered.  The client is
 * bound to from (a's global or link-local address): the error must find
 * the connection by the source it quotes, not by the one a would pick now.
 */
static void
ptb(const struct us_in6 *from)
{
	struct t_two t;
	struct pair p = { &t, NULL, NULL, NULL };
	struct us_ep any = ep6(NULL, 80), to = ep6(T_IP6_B, 80), here = ep6(from, 0);
	struct bulk b = { &p, 0, 0, 1 * MiB, 0 };
	uint8_t quote[US_IP6_HLEN + 20], msg[256], frame[512];
	uint32_t mlen, flen;

	t_two_init6(&t, "mtu=1280", NULL, 2048);
	p.ls = sock6(&t.b, USOCK_SOCK_STREAM);
	cr_assert_eq(us_tcp_bind_ep(t.b.st, p.ls, &any), 0);
	cr_assert_eq(us_tcp_listen(t.b.st, p.ls, 4), 0);
	p.c = sock6(&t.a, USOCK_SOCK_STREAM);
	cr_assert_eq(us_tcp_bind_ep(t.a.st, p.c, &here), 0);
	cr_assert_eq(us_tcp_connect_ep(t.a.st, p.c, &to), -EINPROGRESS);
	cr_assert(t_two_run(&t, established, &p, 5 * T_S), "no connection");
	cr_assert_eq(p.c->tcb->t_maxseg, 1428);
	cr_assert_eq(us_ip6_path_mtu(t.a.st, T_IP6_B), 1500);

	/* A router on the way says 1280: the quoted segment is one of a's in flight. */
	memset(quote, 0, sizeof(quote));
	quote[0] = 0x60;
	us_put16(quote + US_IP6_PLEN, 20);
	quote[US_IP6_NXT] = US_IPPROTO_TCP;
	quote[US_IP6_HLIM] = 64;
	memcpy(quote + US_IP6_SRC, from->b, 16);
	memcpy(quote + US_IP6_DST, T_IP6_B->b, 16);
	us_put16(quote + US_IP6_HLEN, p.c->lport);
	us_put16(quote + US_IP6_HLEN + 2, 80);
	us_put32(quote + US_IP6_HLEN + 4, p.c->tcb->snd_una);
	mlen = t_icmp6_msg(msg, T_IP6_B, T_IP6_A, US_ICMP6_PKTTOOBIG, 0, 1280, quote, sizeof(quote));
	flen = t_build_ip6(frame, T_IP6_B, T_IP6_A, US_IPPROTO_ICMPV6, msg, mlen);
	memcpy(frame + US_ETH_SRC, t_mac_b, 6);
	memcpy(frame + US_ETH_DST, t_mac_a, 6);
	deliver(&t.a, frame, flen);

	cr_assert_eq(t.a.st->stats->icmp6.rx_pkttoobig, 1);
	cr_assert_eq(us_ip6_path_mtu(t.a.st, T_IP6_B), 1280);
	cr_assert_eq(t.a.st->stats->tcp.pmtu_lowered, 1);
	cr_assert_eq(p.c->tcb->t_maxseg, 1280 - 60 - 12);
	/* And the connection goes on at the smaller size, every byte in order. */
	cr_assert(t_two_run(&t, pump, &b, 10 * T_S), "only %u of %u bytes", b.rcvd, b.size);
	cr_assert_eq(b.bad, 0);
	us_sock_close(t.a.st, p.c);
	us_sock_close(t.b.st, p.s);
	us_sock_close(t.b.st, p.ls);
	t_two_run(&t, NULL, NULL, 130 * T_S);
	t_two_fini(&t);
}

Test(ipv6_loop, packet_too_big_lowers_the_mss_and_the_path_mtu)
{
	ptb(T_IP6_A);
}

Test(ipv6_loop, packet_too_big_finds_a_connection_from_a_source_not_picked_by_default)
{
	ptb(T_LL6_A);
}

Test(ipv6_loop, without_packet_too_big_nothing_passes_the_narrower_hop)
{
	struct t_two t;
	struct pair p = { &t, NULL, NULL, NULL };
	struct us_ep any = ep6(NULL, 80), to = ep6(T_IP6_B, 80);
	struct bulk b = { &p, 0, 0, 64 * 1024, 0 };

	/* The control for the tests above: full-size segments die at the narrow hop. */
	t_two_init6(&t, "mtu=1280", NULL, 2048);
	p.ls = sock6(&t.b, USOCK_SOCK_STREAM);
	cr_assert_eq(us_tcp_bind_ep(t.b.st, p.ls, &any), 0);
	cr_assert_eq(us_tcp_listen(t.b.st, p.ls, 4), 0);
	p.c = sock6(&t.a, USOCK_SOCK_STREAM);
	cr_assert_eq(us_tcp_connect_ep(t.a.st, p.c, &to), -EINPROGRESS);
	cr_assert(t_two_run(&t, established, &p, 5 * T_S), "no connection");
	cr_assert(!t_two_run(&t, pump, &b, 3 * T_S), "the data passed a hop too narrow for it");
	cr_assert_gt(t.a.st->stats->drv.fault_toobig, 0);
	us_sock_close(t.a.st, p.c);
	us_sock_close(t.b.st, p.s);
	us_sock_close(t.b.st, p.ls);
	t_two_run(&t, NULL, NULL, 300 * T_S);
	t_two_fini(&t);
}
