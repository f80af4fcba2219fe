/*
 * UDP (lib/udp/udp.c, RFC 768, RFC 1122 4.1): input checks of length and
 * checksum, closed ports, the port table (conflicts, SO_REUSEADDR,
 * ephemeral ports, which socket gets a datagram), broadcast, the receive
 * buffer bound, recv truncation and peek, send errors and checksums.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"

struct fx {
	struct t_one t;
	struct us_stats *st;
};

static void
fx_init(struct fx *x)
{
	t_one_init(&x->t);
	t_one_learn_peer(&x->t);
	x->st = x->t.n.st->stats;
}

static void
fx_fini(struct fx *x)
{
	t_one_fini(&x->t);
}

static struct us_sock *
sock_new(struct fx *x)
{
	int err = 0;
	struct us_sock *s = us_sock_create(x->t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);

	cr_assert_not_null(s, "socket: %d", err);
	return s;
}

static struct us_sock *
sock_bound(struct fx *x, uint32_t addr, uint16_t port, uint16_t flags)
{
	struct us_sock *s = sock_new(x);

	s->flags |= flags;
	cr_assert_eq(us_udp_bind(x->t.n.st, s, addr, port), 0);
	return s;
}

static void
sock_close(struct fx *x, struct us_sock *s)
{
	us_sock_close(x->t.n.st, s);
}

static ssize_t
recv_from(struct fx *x, struct us_sock *s, void *buf, size_t len, uint32_t *from,
	  uint16_t *port)
{
	return us_udp_recv(x->t.n.st, s, buf, len, 0, from, port);
}

/*
 * A UDP datagram whose header fields the test sets itself: ulen and sum
 * as given (sum 0xffff+1 means "compute"), iplen bytes of UDP in IP.
 */
#define SUM_COMPUTE 0x10000u
static uint32_t
raw_udp(uint8_t *f, uint16_t sport, uint16_t dport, uint16_t ulen, uint32_t sum,
	const void *data, uint32_t dlen)
{
	uint8_t u[256];

	us_put16(u + US_UDP_SPORT, sport);
	us_put16(u + US_UDP_DPORT, dport);
	us_put16(u + US_UDP_LEN, ulen);
	us_put16(u + US_UDP_SUM, 0);
	memcpy(u + US_UDP_HLEN, data, dlen);
	if (sum == SUM_COMPUTE) {
		uint16_t c = us_cksum_fold(us_cksum_add(
			us_cksum_pseudo4(T_IP_A, T_IP_B, US_IPPROTO_UDP, ulen), u, ulen));

		sum = c == 0 ? 0xffff : c;
	}
	us_put16(u + US_UDP_SUM, (uint16_t)sum);
	return t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_UDP, 1, 0, u, US_UDP_HLEN + dlen);
}

/* scapy: IP(src="198.18.0.1",dst="198.18.0.2")/UDP(sport=5000,dport=7,chksum=<wrong>)/"hello" */
Test(udp, bad_checksum_is_rx_badsum)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[128], buf[16];
	uint32_t n;

	fx_init(&x);
	s = sock_bound(&x, 0, 7, 0);
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, "hello", 5);
	f[n - 1] ^= 0x01;	/* one data bit flipped after the sum was made */
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->udp.rx_badsum, 1);
	cr_assert_eq(x.st->udp.rx_delivered, 0);
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), -EAGAIN);
	cr_assert_eq(t_one_drain(&x.t), 0, "no ICMP for a corrupt datagram");
	sock_close(&x, s);
	fx_fini(&x);
}

/* RFC 768: a zero checksum means the sender computed none. */
Test(udp, zero_checksum_is_accepted)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[128], buf[16];

	fx_init(&x);
	s = sock_bound(&x, 0, 7, 0);
	t_one_inject(&x.t, f, raw_udp(f, 5000, 7, 8 + 5, 0, "hello", 5));
	cr_assert_eq(x.st->udp.rx_badsum, 0);
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	sock_close(&x, s);
	fx_fini(&x);
}

Test(udp, length_field_below_8_or_past_the_datagram_is_rx_badlen)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[128], buf[16];

	fx_init(&x);
	s = sock_bound(&x, 0, 7, 0);
	t_one_inject(&x.t, f, raw_udp(f, 5000, 7, 7, 0, "hello", 5));
	t_one_inject(&x.t, f, raw_udp(f, 5000, 7, 0, 0, "hello", 5));
	t_one_inject(&x.t, f, raw_udp(f, 5000, 7, 8 + 6, 0, "hello", 5));
	t_one_inject(&x.t, f, raw_udp(f, 5000, 7, 65535, 0, "hello", 5));
	cr_assert_eq(x.st->udp.rx_badlen, 4);
	cr_assert_eq(x.st->udp.rx_delivered, 0);
	/* Fewer bytes than a header at all. */
	t_one_inject(&x.t, f,
		     t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_UDP, 1, 0, "\x13\x88\0\x07", 4));
	cr_assert_eq(x.st->udp.rx_short, 1);
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), -EAGAIN);
	sock_close(&x, s);
	fx_fini(&x);
}

/*
 * An IP payload longer than the UDP length: the bytes past it are not
 * data (RFC 768), and the checksum covers only the UDP length.
 * scapy: IP()/UDP(sport=5000,dport=7,len=11)/"abc" + "XYZ"
 */
Test(udp, bytes_past_the_udp_length_are_trimmed)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[128], buf[16];

	fx_init(&x);
	s = sock_bound(&x, 0, 7, 0);
	t_one_inject(&x.t, f, raw_udp(f, 5000, 7, 8 + 3, SUM_COMPUTE, "abcXYZ", 6));
	cr_assert_eq(x.st->udp.rx_badsum, 0);
	cr_assert_eq(x.st->udp.rx_badlen, 0);
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), 3);
	cr_assert_eq(memcmp(buf, "abc", 3), 0);
	cr_assert_eq(s->rcv_cc, 0);
	sock_close(&x, s);
	fx_fini(&x);
}

Test(udp, no_socket_on_the_port_is_rx_noport_and_answered_with_icmp)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[128], r[128];
	uint32_t n;

	fx_init(&x);
	s = sock_bound(&x, 0, 7, 0);
	t_one_inject(&x.t, f, t_build_udp(f, T_IP_A, T_IP_B, 5000, 8, "x", 1));
	cr_assert_eq(x.st->udp.rx_noport, 1);
	n = t_one_take(&x.t, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(r[US_ETH_HLEN + US_IP4_PROTO], US_IPPROTO_ICMP);
	cr_assert_eq(r[US_ETH_HLEN + US_IP4_HLEN + US_ICMP_TYPE], US_ICMP_UNREACH);
	cr_assert_eq(r[US_ETH_HLEN + US_IP4_HLEN + US_ICMP_CODE], US_ICMP_UNREACH_PORT);
	cr_assert_eq(x.st->icmp.tx_unreach, 1);
	sock_close(&x, s);
	fx_fini(&x);
}

Test(udp, second_bind_to_a_used_port_is_eaddrinuse)
{
	struct fx x;
	struct us_sock *a, *b, *c;

	fx_init(&x);
	a = sock_bound(&x, 0, 7, 0);
	b = sock_new(&x);
	cr_assert_eq(us_udp_bind(x.t.n.st, b, 0, 7), -EADDRINUSE);
	/* Wildcard and our address overlap, whichever comes first. */
	cr_assert_eq(us_udp_bind(x.t.n.st, b, T_IP_B, 7), -EADDRINUSE);
	c = sock_bound(&x, T_IP_B, 8, 0);
	cr_assert_eq(us_udp_bind(x.t.n.st, b, 0, 8), -EADDRINUSE);
	/* A refused bind leaves the socket unbound; another port works. */
	cr_assert_eq(b->flags & US_SO_BOUND, 0);
	cr_assert_eq(us_udp_bind(x.t.n.st, b, 0, 9), 0);
	cr_assert_eq(us_udp_bind(x.t.n.st, b, 0, 10), -EINVAL, "already bound");
	/* Closing frees the port. */
	sock_close(&x, a);
	a = sock_bound(&x, 0, 7, 0);
	sock_close(&x, a);
	sock_close(&x, b);
	sock_close(&x, c);
	fx_fini(&x);
}

Test(udp, reuseaddr_on_both_sockets_lets_them_share_a_port)
{
	struct fx x;
	struct us_sock *a, *b, *c, *d;

	fx_init(&x);
	a = sock_bound(&x, 0, 7, US_SO_REUSEADDR);
	b = sock_bound(&x, 0, 7, US_SO_REUSEADDR);
	c = sock_bound(&x, T_IP_B, 7, US_SO_REUSEADDR);
	/* Only when both ask for it. */
	d = sock_new(&x);
	cr_assert_eq(us_udp_bind(x.t.n.st, d, 0, 7), -EADDRINUSE);
	sock_close(&x, d);
	d = sock_bound(&x, 0, 8, 0);
	{
		struct us_sock *e = sock_new(&x);

		e->flags |= US_SO_REUSEADDR;
		cr_assert_eq(us_udp_bind(x.t.n.st, e, 0, 8), -EADDRINUSE);
		sock_close(&x, e);
	}
	sock_close(&x, a);
	sock_close(&x, b);
	sock_close(&x, c);
	sock_close(&x, d);
	fx_fini(&x);
}

Test(udp, bind_to_an_address_not_ours_is_eaddrnotavail)
{
	struct fx x;
	struct us_sock *s;

	fx_init(&x);
	s = sock_new(&x);
	cr_assert_eq(us_udp_bind(x.t.n.st, s, 0xc6120009u, 7), -EADDRNOTAVAIL);
	cr_assert_eq(us_udp_bind(x.t.n.st, s, 0x0a000002u, 7), -EADDRNOTAVAIL);
	cr_assert_eq(us_udp_bind(x.t.n.st, s, 0x7f000001u, 7), -EADDRNOTAVAIL);
	cr_assert_eq(s->flags & US_SO_BOUND, 0);
	cr_assert_eq(us_udp_bind(x.t.n.st, s, T_IP_B, 7), 0);
	sock_close(&x, s);
	fx_fini(&x);
}

/* RFC 6335: ephemeral ports come from 49152-65535, and no two sockets share one. */
Test(udp, ephemeral_ports_are_in_49152_65535_and_distinct)
{
	static uint8_t used[65536];
	struct us_sock *s[300];
	struct fx x;
	int i;

	fx_init(&x);
	for (i = 0; i < 300; i++) {
		s[i] = sock_bound(&x, 0, 0, 0);
		cr_assert_geq(s[i]->lport, US_PORT_EPH_LO);
		cr_assert_leq(s[i]->lport, US_PORT_EPH_HI);
		cr_assert_eq(used[s[i]->lport], 0, "port %u handed out twice", s[i]->lport);
		used[s[i]->lport] = 1;
	}
	/* connect() and send() on an unbound socket pick one too. */
	{
		struct us_sock *c = sock_new(&x), *d = sock_new(&x);

		cr_assert_eq(us_udp_connect(x.t.n.st, c, T_IP_A, 53), 0);
		cr_assert_geq(c->lport, US_PORT_EPH_LO);
		cr_assert_eq(used[c->lport], 0);
		used[c->lport] = 1;
		cr_assert_eq(us_udp_send(x.t.n.st, d, "x", 1, T_IP_A, 53, 1), 1);
		cr_assert(d->flags & US_SO_BOUND);
		cr_assert_geq(d->lport, US_PORT_EPH_LO);
		cr_assert_eq(used[d->lport], 0);
		sock_close(&x, c);
		sock_close(&x, d);
	}
	for (i = 0; i < 300; i++)
		sock_close(&x, s[i]);
	fx_fini(&x);
}

/* Sends "tag" from .1:sport to .2:7 and returns which of the sockets got it (-1: none). */
static int
who_gets(struct fx *x, uint16_t sport, struct us_sock **s, int ns)
{
	uint8_t f[128], buf[16];
	int i, got = -1;

	t_one_inject(&x->t, f, t_build_udp(f, T_IP_A, T_IP_B, sport, 7, "tag", 3));
	for (i = 0; i < ns; i++) {
		if (s[i] == NULL)
			continue;
		if (recv_from(x, s[i], buf, sizeof(buf), NULL, NULL) == 3) {
			cr_assert_eq(got, -1, "delivered to two sockets");
			got = i;
		}
	}
	return got;
}

/*
 * The socket connected to the sender beats one bound to our address,
 * which beats a wildcard -- whatever order they were bound in.
 */
Test(udp, lookup_prefers_connected_then_specific_address_then_wildcard)
{
	struct fx x;
	struct us_sock *s[3];	/* connected, specific, wildcard */

	fx_init(&x);
	s[0] = sock_bound(&x, 0, 7, US_SO_REUSEADDR);
	cr_assert_eq(us_udp_connect(x.t.n.st, s[0], T_IP_A, 5000), 0);
	s[1] = sock_bound(&x, T_IP_B, 7, US_SO_REUSEADDR);
	s[2] = sock_bound(&x, 0, 7, US_SO_REUSEADDR);
	cr_assert_eq(who_gets(&x, 5000, s, 3), 0);
	cr_assert_eq(who_gets(&x, 5001, s, 3), 1);
	sock_close(&x, s[1]);
	s[1] = NULL;
	cr_assert_eq(who_gets(&x, 5001, s, 3), 2);
	cr_assert_eq(who_gets(&x, 5000, s, 3), 0);
	sock_close(&x, s[0]);
	s[0] = NULL;
	cr_assert_eq(who_gets(&x, 5000, s, 3), 2);
	sock_close(&x, s[2]);
	fx_fini(&x);
}

Test(udp, lookup_order_does_not_depend_on_bind_order)
{
	struct fx x;
	struct us_sock *s[3];	/* connected, specific, wildcard: bound in reverse */

	fx_init(&x);
	s[2] = sock_bound(&x, 0, 7, US_SO_REUSEADDR);
	s[1] = sock_bound(&x, T_IP_B, 7, US_SO_REUSEADDR);
	s[0] = sock_bound(&x, 0, 7, US_SO_REUSEADDR);
	cr_assert_eq(us_udp_connect(x.t.n.st, s[0], T_IP_A, 5000), 0);
	cr_assert_eq(who_gets(&x, 5000, s, 3), 0);
	cr_assert_eq(who_gets(&x, 5001, s, 3), 1);
	sock_close(&x, s[0]);
	sock_close(&x, s[1]);
	sock_close(&x, s[2]);
	fx_fini(&x);
}

/* scapy: Ether(dst="ff:ff:ff:ff:ff:ff")/IP(dst="198.18.0.255")/UDP(sport=5000,dport=9)/"all" */
Test(udp, broadcast_is_delivered_to_every_socket_on_the_port)
{
	struct fx x;
	struct us_sock *a, *b, *c, *other, *conn;
	struct us_sock *all[3];
	uint8_t f[128], buf[16];
	uint32_t n, from;
	uint16_t port;
	int i;

	fx_init(&x);
	a = sock_bound(&x, 0, 9, US_SO_REUSEADDR);
	b = sock_bound(&x, 0, 9, US_SO_REUSEADDR);
	c = sock_bound(&x, 0, 9, US_SO_REUSEADDR);
	conn = sock_bound(&x, 0, 9, US_SO_REUSEADDR);
	cr_assert_eq(us_udp_connect(x.t.n.st, conn, 0xc6120009u, 5000), 0);
	other = sock_bound(&x, 0, 10, 0);
	all[0] = a;
	all[1] = b;
	all[2] = c;
	n = t_build_udp(f, T_IP_A, 0xc61200ffu, 5000, 9, "all", 3);
	memset(f, 0xff, 6);
	t_one_inject(&x.t, f, n);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(recv_from(&x, all[i], buf, sizeof(buf), &from, &port), 3,
			     "socket %d", i);
		cr_assert_eq(memcmp(buf, "all", 3), 0);
		cr_assert_eq(from, T_IP_A);
		cr_assert_eq(port, 5000);
	}
	cr_assert_eq(recv_from(&x, conn, buf, sizeof(buf), NULL, NULL), -EAGAIN,
		     "connected to another peer");
	cr_assert_eq(recv_from(&x, other, buf, sizeof(buf), NULL, NULL), -EAGAIN);
	cr_assert_eq(x.st->udp.rx_delivered, 3);
	cr_assert_eq(t_one_drain(&x.t), 0);
	sock_close(&x, a);
	sock_close(&x, b);
	sock_close(&x, c);
	sock_close(&x, conn);
	sock_close(&x, other);
	fx_fini(&x);
}

Test(udp, sending_to_broadcast_needs_so_broadcast)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	s = sock_bound(&x, 0, 6000, 0);
	cr_assert_eq(us_udp_send(x.t.n.st, s, "b", 1, 0xc61200ffu, 9, 1), -EACCES);
	cr_assert_eq(us_udp_send(x.t.n.st, s, "b", 1, 0xffffffffu, 9, 1), -EACCES);
	cr_assert_eq(us_udp_connect(x.t.n.st, s, 0xffffffffu, 9), -EACCES);
	cr_assert_eq(t_one_drain(&x.t), 0);
	s->flags |= US_SO_BROADCAST;
	cr_assert_eq(us_udp_send(x.t.n.st, s, "b", 1, 0xc61200ffu, 9, 1), 1);
	n = t_one_take(&x.t, f, sizeof(f));
	cr_assert_eq(n, 60);
	cr_assert(us_eth_is_bcast(f + US_ETH_DST));
	cr_assert_eq(us_get32(f + US_ETH_HLEN + US_IP4_DST), 0xc61200ffu);
	cr_assert_eq(us_get32(f + US_ETH_HLEN + US_IP4_SRC), T_IP_B);
	cr_assert_eq(us_udp_send(x.t.n.st, s, "b", 1, 0xffffffffu, 9, 1), 1);
	n = t_one_take(&x.t, f, sizeof(f));
	cr_assert(us_eth_is_bcast(f + US_ETH_DST));
	cr_assert_eq(us_get32(f + US_ETH_HLEN + US_IP4_DST), 0xffffffffu);
	cr_assert_eq(x.st->arp.tx_request, 0, "broadcast needs no ARP");
	sock_close(&x, s);
	fx_fini(&x);
}

/*
 * Each queued datagram is charged its length plus 256 bytes; with a
 * receive buffer of 4 * (100 + 256) bytes the fifth 100-byte datagram
 * does not fit, and a recv makes room again.
 */
Test(udp, receive_buffer_is_bounded_and_recv_frees_space)
{
	struct fx x;
	struct us_sock *s;
	uint8_t data[100], f[256], buf[128];
	uint32_t n;
	int i;

	fx_init(&x);
	s = sock_bound(&x, 0, 7, 0);
	s->rcvbuf = 4 * (100 + 256);
	for (i = 0; i < 5; i++) {
		memset(data, 'a' + i, sizeof(data));
		n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, data, sizeof(data));
		t_one_inject(&x.t, f, n);
	}
	cr_assert_eq(x.st->udp.rx_delivered, 4);
	cr_assert_eq(x.st->udp.rx_qfull, 1);
	cr_assert_eq(s->rcv_cc, s->rcvbuf);
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), 100);
	cr_assert_eq(buf[0], 'a');
	cr_assert_eq(s->rcv_cc, 3 * (100 + 256));
	memset(data, 'z', sizeof(data));
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, data, sizeof(data));
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->udp.rx_qfull, 1, "room was made");
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->udp.rx_qfull, 2);
	for (i = 0; i < 4; i++)
		cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), 100);
	cr_assert_eq(buf[0], 'z', "the dropped one was the fifth, not an earlier one");
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), -EAGAIN);
	cr_assert_eq(s->rcv_cc, 0);
	cr_assert_eq(x.t.ppool->avail, x.t.ppool->n, "received buffers are freed");
	sock_close(&x, s);
	fx_fini(&x);
}

/* Like recv(2) without MSG_TRUNC: the rest of a long datagram is discarded. */
Test(udp, recv_into_a_short_buffer_truncates_and_discards_the_rest)
{
	struct fx x;
	struct us_sock *s;
	uint8_t data[100], f[256], buf[128];
	uint32_t i;

	fx_init(&x);
	s = sock_bound(&x, 0, 7, 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	t_one_inject(&x.t, f, t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, data, sizeof(data)));
	t_one_inject(&x.t, f, t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, "next", 4));
	memset(buf, 0xee, sizeof(buf));
	cr_assert_eq(recv_from(&x, s, buf, 10, NULL, NULL), 10);
	cr_assert_eq(memcmp(buf, data, 10), 0);
	cr_assert_eq(buf[10], 0xee, "wrote past the buffer given");
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), 4);
	cr_assert_eq(memcmp(buf, "next", 4), 0);
	cr_assert_eq(s->rcv_cc, 0);
	sock_close(&x, s);
	fx_fini(&x);
}

Test(udp, peek_leaves_the_datagram_queued)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[256], buf[16];
	uint32_t from;
	uint16_t port;

	fx_init(&x);
	s = sock_bound(&x, 0, 7, 0);
	t_one_inject(&x.t, f, t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, "peek!", 5));
	cr_assert_eq(us_udp_recv(x.t.n.st, s, buf, sizeof(buf), 1, &from, &port), 5);
	cr_assert_eq(memcmp(buf, "peek!", 5), 0);
	cr_assert_eq(from, T_IP_A);
	cr_assert_eq(port, 5000);
	cr_assert_eq(us_udp_recv(x.t.n.st, s, buf, 2, 1, NULL, NULL), 2);
	cr_assert(us_sock_events(s) & US_EV_IN);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), 5);
	cr_assert_eq(memcmp(buf, "peek!", 5), 0);
	cr_assert_eq(recv_from(&x, s, buf, sizeof(buf), NULL, NULL), -EAGAIN);
	cr_assert_eq(us_sock_events(s) & US_EV_IN, 0);
	sock_close(&x, s);
	fx_fini(&x);
}

Test(udp, send_errors_edestaddrreq_emsgsize_einval_enetunreach)
{
	static uint8_t big[65508];
	struct fx x;
	struct us_sock *s;

	fx_init(&x);
	s = sock_bound(&x, 0, 6000, 0);
	cr_assert_eq(us_udp_send(x.t.n.st, s, "x", 1, 0, 0, 0), -EDESTADDRREQ);
	cr_assert_eq(us_udp_send(x.t.n.st, s, big, sizeof(big), T_IP_A, 9, 1), -EMSGSIZE,
		     "65508 bytes do not fit an IPv4 datagram");
	s->sndbuf = 1000;
	cr_assert_eq(us_udp_send(x.t.n.st, s, big, 1001, T_IP_A, 9, 1), -EMSGSIZE,
		     "above SO_SNDBUF");
	s->sndbuf = US_UDP_SNDBUF;
	cr_assert_eq(us_udp_send(x.t.n.st, s, "x", 1, T_IP_A, 0, 1), -EINVAL);
	cr_assert_eq(us_udp_send(x.t.n.st, s, "x", 1, 0xe0000001u, 9, 1), -ENETUNREACH);
	cr_assert_eq(us_udp_send(x.t.n.st, s, "x", 1, 0x08080808u, 9, 1), -ENETUNREACH,
		     "off link and no gateway");
	cr_assert_eq(t_one_drain(&x.t), 0);
	cr_assert_eq(x.st->udp.tx, 0);
	/* The largest datagram goes, in 45 fragments. */
	cr_assert_eq(us_udp_send(x.t.n.st, s, big, 65507, T_IP_A, 9, 1), 65507);
	cr_assert_eq(t_one_drain(&x.t), 45);
	cr_assert_eq(x.st->udp.tx, 1);
	sock_close(&x, s);
	fx_fini(&x);
}

Test(udp, connected_socket_sends_without_an_address)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[128];

	fx_init(&x);
	s = sock_bound(&x, 0, 6000, 0);
	cr_assert_eq(us_udp_connect(x.t.n.st, s, T_IP_A, 53), 0);
	cr_assert_eq(us_udp_send(x.t.n.st, s, "q", 1, 0, 0, 0), 1);
	t_one_take(&x.t, f, sizeof(f));
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_HLEN + US_UDP_DPORT), 53);
	/* Dissolving the association brings EDESTADDRREQ back. */
	cr_assert_eq(us_udp_connect(x.t.n.st, s, 0, 0), 0);
	cr_assert_eq(us_udp_send(x.t.n.st, s, "q", 1, 0, 0, 0), -EDESTADDRREQ);
	sock_close(&x, s);
	fx_fini(&x);
}

/* Recomputes the checksum of the datagram in frame f over the pseudo-header. */
static void
check_sent_udp(const uint8_t *f, uint32_t n, const void *data, uint32_t dlen)
{
	const uint8_t *ip = f + US_ETH_HLEN, *u = ip + US_IP4_HLEN;
	uint32_t ulen;

	cr_assert_eq(us_ip4_hdr_check(ip, n - US_ETH_HLEN), US_IP4_HLEN);
	cr_assert_eq(ip[US_IP4_PROTO], US_IPPROTO_UDP);
	ulen = us_get16(u + US_UDP_LEN);
	cr_assert_eq(ulen, US_UDP_HLEN + dlen);
	cr_assert_eq(us_get16(ip + US_IP4_LEN), US_IP4_HLEN + ulen);
	cr_assert_neq(us_get16(u + US_UDP_SUM), 0, "a checksum must be sent");
	cr_assert_eq(us_cksum_fold(us_cksum_add(us_cksum_pseudo4(us_get32(ip + US_IP4_SRC),
								 us_get32(ip + US_IP4_DST),
								 US_IPPROTO_UDP, ulen),
					       u, ulen)),
		     0, "UDP checksum of a %u-byte datagram", dlen);
	cr_assert_eq(memcmp(u + US_UDP_HLEN, data, dlen), 0);
}

Test(udp, sent_datagrams_carry_a_correct_checksum)
{
	struct fx x;
	struct us_sock *s;
	uint8_t data[1472], f[2048];
	uint32_t i, n;
	static const uint32_t lens[] = { 0, 1, 2, 3, 7, 100, 1471, 1472 };

	fx_init(&x);
	s = sock_bound(&x, 0, 6000, 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 29 + 3);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		cr_assert_eq(us_udp_send(x.t.n.st, s, data, lens[i], T_IP_A, 9, 1), lens[i]);
		n = t_one_take(&x.t, f, sizeof(f));
		check_sent_udp(f, n, data, lens[i]);
		cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_HLEN + US_UDP_SPORT), 6000);
		cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_HLEN + US_UDP_DPORT), 9);
	}
	sock_close(&x, s);
	fx_fini(&x);
}

/*
 * RFC 768: a computed checksum of zero is sent as all ones (zero means
 * "none").  The last two data bytes are chosen so the sum comes to zero.
 */
Test(udp, computed_zero_checksum_is_sent_as_ffff)
{
	struct fx x;
	struct us_sock *s;
	uint8_t data[6] = { 'z', 'e', 'r', 'o', 0, 0 }, f[128];
	uint64_t sum;
	uint16_t hdr[4], w;
	uint32_t n;

	fx_init(&x);
	s = sock_bound(&x, 0, 6000, 0);
	us_put16((uint8_t *)&hdr[0], 6000);
	us_put16((uint8_t *)&hdr[1], 9);
	us_put16((uint8_t *)&hdr[2], 8 + sizeof(data));
	hdr[3] = 0;
	sum = us_cksum_pseudo4(T_IP_B, T_IP_A, US_IPPROTO_UDP, 8 + sizeof(data));
	sum = us_cksum_add(us_cksum_add(sum, hdr, 8), data, sizeof(data));
	/* fold without complementing, then add the word that makes it 0xffff */
	w = (uint16_t)~us_cksum_fold(sum);
	us_put16(data + 4, (uint16_t)~w);
	cr_assert_eq(us_udp_send(x.t.n.st, s, data, sizeof(data), T_IP_A, 9, 1), sizeof(data));
	n = t_one_take(&x.t, f, sizeof(f));
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_HLEN + US_UDP_SUM), 0xffff);
	check_sent_udp(f, n, data, sizeof(data));
	sock_close(&x, s);
	fx_fini(&x);
}
