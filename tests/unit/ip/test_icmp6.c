/*
 * ICMPv6 (lib/ip/icmp6.c, RFC 4443): the checksum over the pseudo-header,
 * echo replies to the byte, errors from the network parsed through the
 * quoted header chain, neighbour discovery types handed to nd6.c, and
 * the errors we send: never about an error, a group or an unspecified
 * source, quoting up to 1280 bytes, under the token-bucket rate limit.
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
	t_one_init6(&x->t);
	t_one_learn_peer6(&x->t);
	x->st = x->t.n.st->stats;
	memset(&x->st->ip6, 0, sizeof(x->st->ip6));
	memset(&x->st->icmp6, 0, sizeof(x->st->icmp6));
	memset(&x->st->nd6, 0, sizeof(x->st->nd6));
}

static void
fx_fini(struct fx *x)
{
	t_one_fini(&x->t);
}

static const struct us_in6 all_nodes = { { 0xff, 0x02, [15] = 1 } };
static const struct us_in6 unspec;

static void
expect_nothing(struct fx *x)
{
	uint8_t f[2048];

	cr_assert_eq(t_one_take6(&x->t, f, sizeof(f)), 0, "the stack sent something");
}

/*
 * scapy: IPv6(src="fd00::1",dst="fd00::2")/ICMPv6EchoRequest(id=0x1234,seq=1,
 * data="usock-ping6"): checksum 0x0ea3; the reply from fd00::2 is 0x0da3.
 */
Test(icmp6, echo_request_gets_the_exact_reply)
{
	static const uint8_t req[] = { 128, 0, 0x0e, 0xa3, 0x12, 0x34, 0, 1,
				       'u', 's', 'o', 'c', 'k', '-', 'p', 'i', 'n', 'g', '6' };
	static const uint8_t rep[] = { 129, 0, 0x0d, 0xa3, 0x12, 0x34, 0, 1,
				       'u', 's', 'o', 'c', 'k', '-', 'p', 'i', 'n', 'g', '6' };
	uint8_t f[512];
	const uint8_t *ip = f + US_ETH_HLEN;
	struct fx x;

	fx_init(&x);
	t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, req,
					  sizeof(req)));
	cr_assert_eq(x.st->icmp6.rx_echo, 1);
	cr_assert_gt(t_one_take6(&x.t, f, sizeof(f)), 0, "no reply");
	cr_assert_eq(memcmp(f, t_mac_a, 6), 0);
	cr_assert_eq(memcmp(f + 6, t_mac_b, 6), 0);
	cr_assert_eq(us_get32(ip), 6u << 28);
	cr_assert_eq(us_get16(ip + US_IP6_PLEN), sizeof(rep));
	cr_assert_eq(ip[US_IP6_NXT], US_IPPROTO_ICMPV6);
	cr_assert_eq(ip[US_IP6_HLIM], 64);
	cr_assert_eq(memcmp(ip + US_IP6_SRC, T_IP6_B->b, 16), 0);
	cr_assert_eq(memcmp(ip + US_IP6_DST, T_IP6_A->b, 16), 0);
	cr_assert_eq(memcmp(ip + US_IP6_HLEN, rep, sizeof(rep)), 0, "reply bytes");
	cr_assert_eq(x.st->icmp6.tx_echoreply, 1);
	fx_fini(&x);
}

Test(icmp6, bad_checksum_and_short_messages_are_dropped)
{
	uint8_t m[64], f[256];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	n = t_icmp6_msg(m, T_IP6_A, T_IP6_B, US_ICMP6_ECHO, 0, 1, "abcd", 4);
	m[9] ^= 1;
	t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, m, n));
	cr_assert_eq(x.st->icmp6.rx_badsum, 1);
	/* A checksum right for another destination is wrong here: the pseudo-header counts. */
	n = t_icmp6_msg(m, T_IP6_A, T_LL6_B, US_ICMP6_ECHO, 0, 1, "abcd", 4);
	t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, m, n));
	cr_assert_eq(x.st->icmp6.rx_badsum, 2);
	t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, m, 5));
	cr_assert_eq(x.st->icmp6.rx_short, 1);
	expect_nothing(&x);
	cr_assert_eq(x.st->icmp6.rx_echo, 0);
	fx_fini(&x);
}

Test(icmp6, echo_replies_are_counted_and_unspecified_sources_get_no_reply)
{
	uint8_t m[64], f[256];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	n = t_icmp6_msg(m, T_IP6_A, T_IP6_B, US_ICMP6_ECHOREPLY, 0, 1, "abcd", 4);
	t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, m, n));
	cr_assert_eq(x.st->icmp6.rx_echoreply, 1);
	n = t_icmp6_msg(m, &unspec, T_IP6_B, US_ICMP6_ECHO, 0, 1, "abcd", 4);
	t_one_inject(&x.t, f, t_build_ip6(f, &unspec, T_IP6_B, US_IPPROTO_ICMPV6, m, n));
	cr_assert_eq(x.st->icmp6.rx_echo, 1);
	cr_assert_eq(x.st->icmp6.tx_echoreply, 0);
	expect_nothing(&x);
	fx_fini(&x);
}

Test(icmp6, neighbour_discovery_types_go_to_nd6_after_the_checksum)
{
	uint8_t body[4] = { 0 }, m[64], f[256];
	uint32_t n, before;
	struct fx x;

	fx_init(&x);
	n = t_build_icmp6(f, T_LL6_A, &all_nodes, US_ICMP6_ND_RS, 0, body, sizeof(body));
	f[US_ETH_HLEN + US_IP6_HLIM] = 255;
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->nd6.rx_rs + x.st->nd6.rx_bad, 1);
	cr_assert_eq(x.st->icmp6.rx_other, 0);
	/* With a bad checksum nd6 never sees it. */
	before = (uint32_t)(x.st->nd6.rx_rs + x.st->nd6.rx_bad);
	n = t_icmp6_msg(m, T_LL6_A, &all_nodes, US_ICMP6_ND_RS, 0, 0, NULL, 0);
	m[2] ^= 0x40;
	n = t_build_ip6(f, T_LL6_A, &all_nodes, US_IPPROTO_ICMPV6, m, n);
	f[US_ETH_HLEN + US_IP6_HLIM] = 255;
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->icmp6.rx_badsum, 1);
	cr_assert_eq(x.st->nd6.rx_rs + x.st->nd6.rx_bad, before);
	/* Unknown informational types are counted and dropped (RFC 4443 2.4(b)). */
	n = t_icmp6_msg(m, T_IP6_A, T_IP6_B, 200, 0, 0, NULL, 0);
	t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, m, n));
	cr_assert_eq(x.st->icmp6.rx_other, 1);
	fx_fini(&x);
}

/*
 * An error (type, code) from the peer quoting a datagram from qsrc to the
 * peer: nxt first, the headers ext, then sport 5000, dport 80 and 4 more bytes.
 */
static void
error_in(struct fx *x, uint8_t type, uint8_t code, uint32_t rest, const struct us_in6 *qsrc,
	 uint8_t nxt, const uint8_t *ext, uint32_t extlen, uint32_t qcut)
{
	uint8_t q[256], m[320], f[512];
	uint32_t n, qlen = US_IP6_HLEN + extlen + 8;

	memset(q, 0, sizeof(q));
	us_put32(q, 6u << 28);
	us_put16(q + US_IP6_PLEN, 100);
	q[US_IP6_NXT] = nxt;
	q[US_IP6_HLIM] = 64;
	memcpy(q + US_IP6_SRC, qsrc->b, 16);
	memcpy(q + US_IP6_DST, T_IP6_A->b, 16);
	if (extlen > 0)
		memcpy(q + US_IP6_HLEN, ext, extlen);
	us_put16(q + US_IP6_HLEN + extlen, 5000);
	us_put16(q + US_IP6_HLEN + extlen + 2, 80);
	us_put32(q + US_IP6_HLEN + extlen + 4, 0x01020304);
	if (qcut != 0)
		qlen = qcut;
	n = t_icmp6_msg(m, T_IP6_A, T_IP6_B, type, code, rest, q, qlen);
	t_one_inject(&x->t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, m, n));
}

Test(icmp6, errors_are_parsed_through_the_quoted_header_chain)
{
	uint8_t dst[8] = { US_IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0 };
	struct fx x;

	struct us_ep here = { .v6 = 1, .port = 5000 }, peer = { .v6 = 1, .port = 80 };
	struct us_sock *u;
	int err = 0;

	fx_init(&x);
	/* TCP behind a Destination Options header: the ports are found; no connection hears it. */
	error_in(&x, US_ICMP6_UNREACH, US_ICMP6_UNREACH_PORT, 0, T_IP6_B, US_IPPROTO_DSTOPTS, dst,
		 8, 0);
	cr_assert_eq(x.st->icmp6.rx_err, 1);
	cr_assert_eq(x.st->icmp6.rx_err_bad, 0);
	cr_assert_eq(x.st->icmp6.rx_err_delivered, 0);
	/* A connected UDP socket from 5000 to the peer's 80 hears hard errors only. */
	u = us_sock_create(x.t.n.st, USOCK_AF_INET6, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_not_null(u);
	peer.addr6 = *T_IP6_A;
	cr_assert_eq(us_udp_bind_ep(x.t.n.st, u, &here), 0);
	cr_assert_eq(us_udp_connect_ep(x.t.n.st, u, &peer), 0);
	error_in(&x, US_ICMP6_TIMXCEED, 0, 0, T_IP6_B, US_IPPROTO_UDP, NULL, 0, 0);
	cr_assert_eq(x.st->icmp6.rx_err, 2);
	cr_assert_eq(x.st->icmp6.rx_err_bad, 0);
	cr_assert_eq(x.st->icmp6.rx_err_delivered, 0, "time exceeded is soft");
	cr_assert_eq(u->so_error, 0);
	error_in(&x, US_ICMP6_UNREACH, US_ICMP6_UNREACH_PORT, 0, T_IP6_B, US_IPPROTO_UDP, NULL, 0,
		 0);
	cr_assert_eq(x.st->icmp6.rx_err_delivered, 1);
	cr_assert_eq(u->so_error, ECONNREFUSED);
	us_sock_close(x.t.n.st, u);
	/* Not from us: a forged or misdirected error. */
	error_in(&x, US_ICMP6_UNREACH, 0, 0, T_IP6_A, US_IPPROTO_UDP, NULL, 0, 0);
	cr_assert_eq(x.st->icmp6.rx_err_bad, 1);
	/* Cut before the ports, or inside the IPv6 header. */
	error_in(&x, US_ICMP6_UNREACH, 0, 0, T_IP6_B, US_IPPROTO_DSTOPTS, dst, 8,
		 US_IP6_HLEN + 8 + 4);
	cr_assert_eq(x.st->icmp6.rx_err_bad, 2);
	error_in(&x, US_ICMP6_PARAMPROB, 0, 0, T_IP6_B, US_IPPROTO_UDP, NULL, 0, 20);
	cr_assert_eq(x.st->icmp6.rx_err_bad, 3);
	cr_assert_eq(x.st->icmp6.rx_err, 6);
	expect_nothing(&x);
	fx_fini(&x);
}

Test(icmp6, packet_too_big_lowers_the_path_mtu)
{
	struct fx x;

	fx_init(&x);
	error_in(&x, US_ICMP6_PKTTOOBIG, 0, 1300, T_IP6_B, US_IPPROTO_TCP, NULL, 0, 0);
	cr_assert_eq(x.st->icmp6.rx_pkttoobig, 1);
	/* No connection from 5000 to 80: the path MTU is lowered, nobody else told. */
	cr_assert_eq(x.st->icmp6.rx_err_delivered, 0);
	cr_assert_eq(us_ip6_path_mtu(x.t.n.st, T_IP6_A), 1300);
	fx_fini(&x);
}

/* A datagram of an unknown protocol (253) from src to dst: answered with code 1 if at all. */
static void
unknown_proto(struct fx *x, const struct us_in6 *src, const struct us_in6 *dst)
{
	uint8_t data[16] = { 0 }, f[256];

	t_one_inject(&x->t, f, t_build_ip6(f, src, dst, 253, data, sizeof(data)));
}

Test(icmp6, no_error_about_a_group_or_an_unspecified_source)
{
	struct fx x;

	fx_init(&x);
	unknown_proto(&x, T_IP6_A, &all_nodes);
	unknown_proto(&x, &unspec, T_IP6_B);
	cr_assert_eq(x.st->ip6.rx_unkproto, 2);
	expect_nothing(&x);
	cr_assert_eq(x.st->icmp6.tx_err, 0);
	fx_fini(&x);
}

Test(icmp6, no_error_about_an_icmpv6_error)
{
	/* An unknown option (action 10: always report) before an ICMPv6 error, then an echo. */
	uint8_t ext[8] = { US_IPPROTO_ICMPV6, 0, 0x9e, 2, 0, 0, 1, 0 };
	uint8_t p[128], f[256];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	memcpy(p, ext, 8);
	n = t_icmp6_msg(p + 8, T_IP6_A, T_IP6_B, US_ICMP6_UNREACH, 4, 0, NULL, 0);
	t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, p, 8 + n));
	cr_assert_eq(x.st->ip6.rx_unkext, 1);
	expect_nothing(&x);
	n = t_icmp6_msg(p + 8, T_IP6_A, T_IP6_B, US_ICMP6_ECHO, 0, 0, NULL, 0);
	t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, p, 8 + n));
	cr_assert_eq(x.st->ip6.rx_unkext, 2);
	cr_assert_gt(t_one_take6(&x.t, f, sizeof(f)), 0, "an echo request is reported");
	cr_assert_eq(f[US_ETH_HLEN + US_IP6_HLEN], US_ICMP6_PARAMPROB);
	cr_assert_eq(x.st->icmp6.tx_err, 1);
	fx_fini(&x);
}

Test(icmp6, errors_are_rate_limited_by_a_token_bucket)
{
	uint32_t i, sent = 0;
	uint8_t f[2048];
	struct fx x;

	fx_init(&x);
	for (i = 0; i < 80; i++)
		unknown_proto(&x, T_IP6_A, T_IP6_B);
	while (t_one_take6(&x.t, f, sizeof(f)) > 0)
		sent++;
	/* A burst of 50, then nothing until tokens come back. */
	cr_assert_eq(sent, 50);
	cr_assert_eq(x.st->icmp6.tx_err, 50);
	cr_assert_eq(x.st->icmp6.tx_ratelimited, 30);
	/* 100 a second: after 100 ms, 10 more. */
	t_one_advance(&x.t, 100 * T_MS);
	t_one_drain(&x.t);
	for (i = 0; i < 20; i++)
		unknown_proto(&x, T_IP6_A, T_IP6_B);
	sent = 0;
	while (t_one_take6(&x.t, f, sizeof(f)) > 0)
		sent++;
	cr_assert_eq(sent, 10);
	cr_assert_eq(x.st->icmp6.tx_ratelimited, 40);
	fx_fini(&x);
}

Test(icmp6, error_quotes_as_much_as_fits_in_1280_bytes)
{
	static uint8_t data[3000];
	uint8_t f[2048], p[1300];
	const uint8_t *ip = f + US_ETH_HLEN;
	uint32_t off;
	struct fx x;

	fx_init(&x);
	memset(data, 0x3c, sizeof(data));
	/* A 3000-byte datagram of protocol 253 in fragments of 1232. */
	for (off = 0; off < sizeof(data); off += 1232) {
		uint32_t len = sizeof(data) - off < 1232 ? sizeof(data) - off : 1232;

		p[0] = 253;
		p[1] = 0;
		us_put16(p + 2, (uint16_t)(off | (off + len < sizeof(data) ? 1 : 0)));
		us_put32(p + 4, 77);
		memcpy(p + 8, data + off, len);
		t_one_inject(&x.t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_FRAGMENT, p,
						  len + 8));
	}
	cr_assert_eq(x.st->ip6.rx_reassembled, 1);
	cr_assert_eq(x.st->ip6.rx_unkproto, 1);
	cr_assert_gt(t_one_take6(&x.t, f, sizeof(f)), 0, "no parameter problem");
	cr_assert_eq(ip[US_IP6_HLEN], US_ICMP6_PARAMPROB);
	cr_assert_eq(ip[US_IP6_HLEN + 1], US_ICMP6_PARAM_NXT);
	/* The Fragment header's Next Header byte, right after the IPv6 header. */
	cr_assert_eq(us_get32(ip + US_IP6_HLEN + 4), US_IP6_HLEN);
	cr_assert_eq(us_get16(ip + US_IP6_PLEN), US_IP6_MINMTU - US_IP6_HLEN);
	cr_assert_eq(ip[US_IP6_HLEN + 8 + US_IP6_HLEN + 8], 0x3c);
	cr_assert_eq(ip[US_IP6_MINMTU - 1], 0x3c);
	fx_fini(&x);
}

Test(icmp6, output_fills_the_checksum_and_picks_the_source)
{
	struct us_pkt *pkt;
	uint8_t f[256], *m;
	const uint8_t *ip = f + US_ETH_HLEN;
	struct us_in6 s, d;
	uint32_t n;
	struct fx x;

	fx_init(&x);
	pkt = us_pkt_alloc(x.t.n.st->pool);
	cr_assert_not_null(pkt);
	m = us_pkt_append(pkt, 12);
	cr_assert_not_null(m);
	for (n = 0; n < 12; n++)
		m[n] = 0;
	m[0] = US_ICMP6_ECHO;
	us_put16(m + 2, 0xbeef);
	m[11] = 0x42;
	cr_assert_eq(us_icmp6_output(x.t.n.st, pkt, NULL, T_LL6_A, 64, 0), 0);
	n = t_one_take6(&x.t, f, sizeof(f));
	cr_assert_gt(n, 0);
	memcpy(s.b, ip + US_IP6_SRC, 16);
	memcpy(d.b, ip + US_IP6_DST, 16);
	cr_assert(us_in6_eq(&s, T_LL6_B), "link-local peer: link-local source");
	cr_assert(us_in6_eq(&d, T_LL6_A));
	cr_assert_eq(us_get16(ip + US_IP6_PLEN), 12);
	cr_assert_eq(us_cksum_fold(us_cksum_add(us_cksum_pseudo6(&s, &d, US_IPPROTO_ICMPV6, 12),
						ip + US_IP6_HLEN, 12)),
		     0, "checksum");
	fx_fini(&x);
}
