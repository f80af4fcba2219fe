/*
 * IPv6 input (lib/ip/ip6.c, RFC 8200): the fixed header's checks, each
 * extension-header rule (Hop-by-Hop first only, the option actions of
 * 4.2, routing headers and RFC 5095, atomic fragments RFC 6946, No Next
 * Header, unknown Next Header), each malformed case counted under its
 * reason; group filtering at the link; source selection and RFC 5952
 * text.  Echo requests are the probe: a reply means delivered.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
	/* Start-up and learning the peer are not part of any test's counts. */
	memset(&x->st->eth, 0, sizeof(x->st->eth));
	memset(&x->st->ip6, 0, sizeof(x->st->ip6));
	memset(&x->st->icmp6, 0, sizeof(x->st->icmp6));
}

static void
fx_fini(struct fx *x)
{
	t_one_fini(&x->t);
}

static const struct us_in6 all_nodes = { { 0xff, 0x02, [15] = 1 } };

/*
 * A datagram from src to dst: the extension headers ext (first Next
 * Header first_nxt; their last Next Header must say 58), then an echo
 * request (id 7, seq, 16 bytes).  Returns the frame length.
 * scapy: Ether()/IPv6(src,dst)/<ext>/ICMPv6EchoRequest(id=7,seq=seq,data=...)
 */
static uint32_t
echo_frame(uint8_t *f, const struct us_in6 *src, const struct us_in6 *dst, uint8_t first_nxt,
	   const uint8_t *ext, uint32_t extlen, uint16_t seq)
{
	uint8_t p[512], data[16];
	uint32_t n;
	int i;

	for (i = 0; i < 16; i++)
		data[i] = (uint8_t)(0xa0 + i);
	if (extlen > 0)
		memcpy(p, ext, extlen);
	n = t_icmp6_msg(p + extlen, src, dst, US_ICMP6_ECHO, 0, 7u << 16 | seq, data, 16);
	return t_build_ip6(f, src, dst, first_nxt, p, extlen + n);
}

static void
inject(struct fx *x, const uint8_t *f, uint32_t n)
{
	t_one_inject(&x->t, f, n);
}

/* Expects an echo reply for seq from dst_expected's viewpoint; checks header and checksum. */
static void
expect_reply(struct fx *x, uint16_t seq, const struct us_in6 *from)
{
	uint8_t f[2048];
	const uint8_t *ip = f + US_ETH_HLEN, *m = ip + US_IP6_HLEN;
	struct us_in6 s, d;
	uint32_t n = t_one_take6(&x->t, f, sizeof(f)), plen;

	cr_assert_gt(n, 0, "no echo reply");
	cr_assert_eq(us_get16(f + 12), US_ETHERTYPE_IPV6);
	cr_assert_eq(memcmp(f, t_mac_a, 6), 0, "not to the peer's MAC");
	cr_assert_eq(ip[0] >> 4, 6);
	plen = us_get16(ip + US_IP6_PLEN);
	cr_assert_eq(plen, US_ICMP6_HLEN + 4 + 16 - 4);
	cr_assert_eq(ip[US_IP6_NXT], US_IPPROTO_ICMPV6);
	cr_assert_eq(ip[US_IP6_HLIM], 64);
	memcpy(s.b, ip + US_IP6_SRC, 16);
	memcpy(d.b, ip + US_IP6_DST, 16);
	cr_assert(us_in6_eq(&s, from), "reply from the wrong source");
	cr_assert(us_in6_is_unspec(&d) == 0);
	cr_assert_eq(m[0], US_ICMP6_ECHOREPLY);
	cr_assert_eq(m[1], 0);
	cr_assert_eq(us_get16(m + 4), 7);
	cr_assert_eq(us_get16(m + 6), seq);
	cr_assert_eq(m[8], 0xa0);
	cr_assert_eq(m[23], 0xaf);
	cr_assert_eq(us_cksum_fold(us_cksum_add(us_cksum_pseudo6(&s, &d, US_IPPROTO_ICMPV6, plen),
						m, plen)),
		     0, "bad reply checksum");
}

static void
expect_nothing(struct fx *x)
{
	uint8_t f[2048];

	cr_assert_eq(t_one_take6(&x->t, f, sizeof(f)), 0, "the stack answered");
}

/* Expects a Parameter Problem (code, pointer) quoting our datagram's header. */
static void
expect_param_problem(struct fx *x, uint8_t code, uint32_t ptr, const uint8_t *orig)
{
	uint8_t f[2048];
	const uint8_t *ip = f + US_ETH_HLEN, *m = ip + US_IP6_HLEN;
	uint32_t n = t_one_take6(&x->t, f, sizeof(f)), plen;
	struct us_in6 s, d;

	cr_assert_gt(n, 0, "no parameter problem");
	plen = us_get16(ip + US_IP6_PLEN);
	memcpy(s.b, ip + US_IP6_SRC, 16);
	memcpy(d.b, ip + US_IP6_DST, 16);
	cr_assert(us_in6_eq(&d, T_IP6_A));
	cr_assert_eq(m[0], US_ICMP6_PARAMPROB);
	cr_assert_eq(m[1], code, "code %u", m[1]);
	cr_assert_eq(us_get32(m + 4), ptr, "pointer %u, want %u", us_get32(m + 4), ptr);
	cr_assert_eq(memcmp(m + 8, orig + US_ETH_HLEN, US_IP6_HLEN), 0, "quote");
	cr_assert_eq(us_cksum_fold(us_cksum_add(us_cksum_pseudo6(&s, &d, US_IPPROTO_ICMPV6, plen),
						m, plen)),
		     0);
	cr_assert_eq(x->st->icmp6.tx_err, 1);
}

Test(ip6_input, plain_echo_request_is_answered)
{
	uint8_t f[512];
	struct fx x;

	fx_init(&x);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, NULL, 0, 1));
	expect_reply(&x, 1, T_IP6_B);
	cr_assert_eq(x.st->ip6.rx_delivered, 1);
	cr_assert_eq(x.st->icmp6.rx_echo, 1);
	cr_assert_eq(x.st->icmp6.tx_echoreply, 1);
	fx_fini(&x);
}

Test(ip6_input, short_bad_version_and_bad_length_are_counted)
{
	uint8_t f[512];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	n = echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, NULL, 0, 1);
	inject(&x, f, US_ETH_HLEN + 39);
	cr_assert_eq(x.st->ip6.rx_short, 1);
	f[US_ETH_HLEN] = 0x45;
	inject(&x, f, n);
	cr_assert_eq(x.st->ip6.rx_badver, 1);
	f[US_ETH_HLEN] = 0x60;
	us_put16(f + US_ETH_HLEN + US_IP6_PLEN, (uint16_t)(n - US_ETH_HLEN - US_IP6_HLEN + 1));
	inject(&x, f, n);
	cr_assert_eq(x.st->ip6.rx_badlen, 1);
	expect_nothing(&x);
	cr_assert_eq(x.st->ip6.rx_delivered, 0);
	fx_fini(&x);
}

Test(ip6_input, link_padding_after_the_payload_is_ignored)
{
	uint8_t f[512];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	n = echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, NULL, 0, 2);
	memset(f + n, 0xee, 30);
	inject(&x, f, n + 30);
	/* The reply's length and checksum prove the padding was not taken as data. */
	expect_reply(&x, 2, T_IP6_B);
	fx_fini(&x);
}

Test(ip6_input, multicast_and_loopback_sources_are_dropped)
{
	static const struct us_in6 lo = { { [15] = 1 } };
	uint8_t f[512];
	struct fx x;

	fx_init(&x);
	inject(&x, f, echo_frame(f, &all_nodes, T_IP6_B, US_IPPROTO_ICMPV6, NULL, 0, 1));
	inject(&x, f, echo_frame(f, &lo, T_IP6_B, US_IPPROTO_ICMPV6, NULL, 0, 1));
	cr_assert_eq(x.st->ip6.rx_badsrc, 2);
	expect_nothing(&x);
	fx_fini(&x);
}

Test(ip6_input, other_destinations_and_groups_are_not_ours)
{
	static const struct us_in6 other = { { 0xfd, [15] = 9 } };
	static const struct us_in6 routers = { { 0xff, 0x02, [15] = 2 } };
	uint8_t f[512];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	inject(&x, f, echo_frame(f, T_IP6_A, &other, US_IPPROTO_ICMPV6, NULL, 0, 1));
	cr_assert_eq(x.st->ip6.rx_notours, 1);
	/* All-routers is no group of a host's: the link layer drops it. */
	inject(&x, f, echo_frame(f, T_IP6_A, &routers, US_IPPROTO_ICMPV6, NULL, 0, 1));
	cr_assert_eq(x.st->eth.rx_notours, 1);
	/* Sent to our MAC anyway, IPv6 still refuses the group. */
	n = echo_frame(f, T_IP6_A, &routers, US_IPPROTO_ICMPV6, NULL, 0, 1);
	memcpy(f, t_mac_b, 6);
	inject(&x, f, n);
	cr_assert_eq(x.st->ip6.rx_notours, 2);
	/* A 33:33 MAC that does not match the destination group is not ours either. */
	n = echo_frame(f, T_IP6_A, &all_nodes, US_IPPROTO_ICMPV6, NULL, 0, 1);
	f[5] = 0x02;
	inject(&x, f, n);
	cr_assert_eq(x.st->eth.rx_notours, 2);
	expect_nothing(&x);
	fx_fini(&x);
}

Test(ip6_input, echo_to_all_nodes_is_answered_from_a_unicast_address)
{
	uint8_t f[512];
	struct fx x;

	fx_init(&x);
	/* RFC 4443 4.2: a unicast address of ours, the one RFC 6724 picks for the asker. */
	inject(&x, f, echo_frame(f, T_IP6_A, &all_nodes, US_IPPROTO_ICMPV6, NULL, 0, 3));
	expect_reply(&x, 3, T_IP6_B);
	inject(&x, f, echo_frame(f, T_LL6_A, &all_nodes, US_IPPROTO_ICMPV6, NULL, 0, 4));
	expect_reply(&x, 4, T_LL6_B);
	fx_fini(&x);
}

Test(ip6_input, hop_by_hop_padding_and_router_alert_are_accepted)
{
	/* HBH: next 58, len 0, PadN(2 bytes of data)... then Router Alert, Pad1 x2. */
	uint8_t hbh[16] = { US_IPPROTO_ICMPV6, 1, 1, 2, 0, 0, 5, 2, 0, 0, 0, 1, 2, 0, 0 };
	uint8_t f[512];
	struct fx x;

	fx_init(&x);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_HOPOPTS, hbh, 16, 4));
	expect_reply(&x, 4, T_IP6_B);
	fx_fini(&x);
}

Test(ip6_input, hop_by_hop_after_another_header_is_a_parameter_problem)
{
	uint8_t ext[16] = { US_IPPROTO_HOPOPTS, 0, 1, 4, 0, 0, 0, 0,
			    US_IPPROTO_ICMPV6, 0, 1, 4, 0, 0, 0, 0 };
	uint8_t f[512];
	struct fx x;

	fx_init(&x);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, ext, 16, 5));
	cr_assert_eq(x.st->ip6.rx_badext, 1);
	/* Code 1, pointing at the Next Header byte that named it (the first option header's). */
	expect_param_problem(&x, US_ICMP6_PARAM_NXT, US_IP6_HLEN, f);
	fx_fini(&x);
}

/* A Destination Options header holding one option of type t (2 bytes of data). */
static void
opt_header(uint8_t *ext, uint8_t t)
{
	memset(ext, 0, 8);
	ext[0] = US_IPPROTO_ICMPV6;
	ext[1] = 0;
	ext[2] = t;
	ext[3] = 2;
	ext[6] = 1;	/* PadN, no data */
	ext[7] = 0;
}

Test(ip6_input, unknown_option_with_action_00_is_skipped)
{
	uint8_t ext[8], f[512];
	struct fx x;

	fx_init(&x);
	opt_header(ext, 0x1e);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, ext, 8, 6));
	expect_reply(&x, 6, T_IP6_B);
	cr_assert_eq(x.st->ip6.rx_unkext, 0);
	fx_fini(&x);
}

Test(ip6_input, unknown_option_with_action_01_is_dropped_quietly)
{
	uint8_t ext[8], f[512];
	struct fx x;

	fx_init(&x);
	opt_header(ext, 0x5e);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, ext, 8, 7));
	cr_assert_eq(x.st->ip6.rx_unkext, 1);
	expect_nothing(&x);
	fx_fini(&x);
}

Test(ip6_input, unknown_option_with_action_10_is_reported_even_for_a_group)
{
	uint8_t ext[8], f[512];
	struct fx x;

	fx_init(&x);
	opt_header(ext, 0x9e);
	inject(&x, f, echo_frame(f, T_IP6_A, &all_nodes, US_IPPROTO_DSTOPTS, ext, 8, 8));
	cr_assert_eq(x.st->ip6.rx_unkext, 1);
	/* RFC 4443 2.4(e.3): code 2 may answer a group; the pointer is the option's type byte. */
	expect_param_problem(&x, US_ICMP6_PARAM_OPT, US_IP6_HLEN + 2, f);
	fx_fini(&x);
}

Test(ip6_input, unknown_option_with_action_11_is_reported_unless_for_a_group)
{
	uint8_t ext[8], f[512];
	struct fx x;

	fx_init(&x);
	opt_header(ext, 0xde);
	inject(&x, f, echo_frame(f, T_IP6_A, &all_nodes, US_IPPROTO_DSTOPTS, ext, 8, 9));
	cr_assert_eq(x.st->ip6.rx_unkext, 1);
	expect_nothing(&x);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_HOPOPTS, ext, 8, 9));
	cr_assert_eq(x.st->ip6.rx_unkext, 2);
	expect_param_problem(&x, US_ICMP6_PARAM_OPT, US_IP6_HLEN + 2, f);
	fx_fini(&x);
}

Test(ip6_input, malformed_options_and_lengths_are_counted_not_read_past)
{
	uint8_t ext[8], f[512];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	/* An option whose length runs past its header. */
	opt_header(ext, 0x1e);
	ext[3] = 9;
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, ext, 8, 1));
	cr_assert_eq(x.st->ip6.rx_badext, 1);
	/* Router Alert with 3 bytes of value (RFC 2711 says 2). */
	opt_header(ext, 5);
	ext[3] = 3;
	ext[6] = 0;
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_HOPOPTS, ext, 8, 1));
	cr_assert_eq(x.st->ip6.rx_badext, 2);
	/* A header whose length runs past the payload. */
	opt_header(ext, 0x1e);
	ext[1] = 40;
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, ext, 8, 1));
	cr_assert_eq(x.st->ip6.rx_badext, 3);
	/* One byte of payload where a header should be. */
	n = t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, ext, 1);
	inject(&x, f, n);
	cr_assert_eq(x.st->ip6.rx_badext, 4);
	n = t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_ROUTING, ext, 3);
	inject(&x, f, n);
	cr_assert_eq(x.st->ip6.rx_badext, 5);
	n = t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_FRAGMENT, ext, 7);
	inject(&x, f, n);
	cr_assert_eq(x.st->ip6.rx_badext, 6);
	expect_nothing(&x);
	cr_assert_eq(x.st->ip6.rx_delivered, 0);
	fx_fini(&x);
}

/* A routing header: type, segments left, one address. */
static void
rt_header(uint8_t *ext, uint8_t type, uint8_t left)
{
	memset(ext, 0, 24);
	ext[0] = US_IPPROTO_ICMPV6;
	ext[1] = 2;
	ext[2] = type;
	ext[3] = left;
	ext[8] = 0xfd;
	ext[23] = 9;
}

Test(ip6_input, routing_header_type_0_with_segments_left_is_refused)
{
	uint8_t ext[24], f[512];
	struct fx x;

	fx_init(&x);
	rt_header(ext, 0, 1);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_ROUTING, ext, 24, 1));
	cr_assert_eq(x.st->ip6.rx_rthdr0, 1);
	/* RFC 5095 3 as an unrecognised type: code 0 at the Routing Type. */
	expect_param_problem(&x, US_ICMP6_PARAM_HDR, US_IP6_HLEN + 2, f);
	fx_fini(&x);
}

Test(ip6_input, routing_headers_with_no_segments_left_are_ignored)
{
	uint8_t ext[24], f[512];
	struct fx x;

	fx_init(&x);
	/* RFC 8200 4.4 and RFC 5095 3: Segments Left 0 of any type, 0 included, is skipped. */
	rt_header(ext, 0, 0);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_ROUTING, ext, 24, 11));
	expect_reply(&x, 11, T_IP6_B);
	rt_header(ext, 4, 0);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_ROUTING, ext, 24, 12));
	expect_reply(&x, 12, T_IP6_B);
	cr_assert_eq(x.st->ip6.rx_rthdr0 + x.st->ip6.rx_unkext, 0);
	fx_fini(&x);
}

Test(ip6_input, unknown_routing_type_with_segments_left_is_a_parameter_problem)
{
	uint8_t ext[24], f[512];
	struct fx x;

	fx_init(&x);
	rt_header(ext, 253, 2);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_ROUTING, ext, 24, 1));
	cr_assert_eq(x.st->ip6.rx_unkext, 1);
	expect_param_problem(&x, US_ICMP6_PARAM_HDR, US_IP6_HLEN + 2, f);
	fx_fini(&x);
}

Test(ip6_input, atomic_fragment_is_delivered_at_once)
{
	uint8_t ext[8] = { US_IPPROTO_ICMPV6, 0, 0, 0, 0x12, 0x34, 0x56, 0x78 };
	uint8_t f[512];
	struct fx x;

	fx_init(&x);
	inject(&x, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_FRAGMENT, ext, 8, 13));
	expect_reply(&x, 13, T_IP6_B);
	cr_assert_eq(x.st->ip6.rx_frag_atomic, 1);
	cr_assert_eq(x.st->ip6.rx_frag, 0);
	cr_assert_eq(x.t.n.st->ip6.reass.bytes, 0);
	fx_fini(&x);
}

Test(ip6_input, no_next_header_is_dropped_quietly)
{
	uint8_t ext[8] = { US_IPPROTO_NONE, 0, 1, 4, 0, 0, 0, 0 }, f[512];
	struct fx x;

	fx_init(&x);
	inject(&x, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_NONE, ext, 0));
	inject(&x, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_DSTOPTS, ext, 8));
	expect_nothing(&x);
	cr_assert_eq(x.st->ip6.rx, 2);
	cr_assert_eq(x.st->ip6.rx_nonext, 2);
	cr_assert_eq(x.st->ip6.rx_delivered + x.st->ip6.rx_unkproto + x.st->ip6.rx_badext, 0);
	fx_fini(&x);
}

Test(ip6_input, unknown_next_header_is_a_parameter_problem_code_1)
{
	uint8_t data[16] = { 1, 2, 3 }, f[512];
	struct fx x;

	fx_init(&x);
	inject(&x, f, t_build_ip6(f, T_IP6_A, T_IP6_B, 253, data, sizeof(data)));
	cr_assert_eq(x.st->ip6.rx_unkproto, 1);
	expect_param_problem(&x, US_ICMP6_PARAM_NXT, US_IP6_NXT, f);
	fx_fini(&x);
}

Test(ip6_input, random_extension_chains_never_crash_or_leak)
{
	static const uint8_t nxts[] = { US_IPPROTO_HOPOPTS, US_IPPROTO_ROUTING,
					US_IPPROTO_FRAGMENT, US_IPPROTO_DSTOPTS,
					US_IPPROTO_ICMPV6, US_IPPROTO_NONE, 253 };
	uint8_t ext[200], f[512];
	unsigned i, j, seed = 12345;
	struct fx x;

	fx_init(&x);
	for (i = 0; i < 3000; i++) {
		uint32_t len = (seed = seed * 1103515245u + 12345u) % sizeof(ext);

		for (j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			ext[j] = (uint8_t)(seed >> 16);
			/* Plausible Next Header and length bytes now and then. */
			if ((seed >> 8) % 4 == 0)
				ext[j] = nxts[(seed >> 20) % sizeof(nxts)];
			else if ((seed >> 8) % 4 == 1)
				ext[j] = (uint8_t)((seed >> 20) % 4);
		}
		inject(&x, f, t_build_ip6(f, T_IP6_A, T_IP6_B, nxts[i % sizeof(nxts)], ext, len));
		t_one_drain(&x.t);
	}
	cr_assert_eq(x.st->ip6.rx, 3000);
	/* Fragments held may wait; the timeout frees them, and fini checks for leaks. */
	t_one_advance(&x.t, 61 * T_S);
	t_one_drain(&x.t);
	cr_assert_eq(x.t.n.st->ip6.reass.bytes, 0);
	fx_fini(&x);
}

Test(ip6_input, ipv6_frames_are_unknown_when_ipv6_is_off)
{
	struct t_one t;
	uint8_t f[512];

	t_one_init(&t);
	t_one_inject(&t, f, echo_frame(f, T_IP6_A, T_IP6_B, US_IPPROTO_ICMPV6, NULL, 0, 1));
	cr_assert_eq(t.n.st->stats->eth.rx_badtype, 1);
	cr_assert_eq(t.n.st->stats->ip6.rx, 0);
	cr_assert_eq(t_one_drain(&t), 0);
	t_one_fini(&t);
}

Test(ip6_addr, source_selection_follows_scope_and_longest_prefix)
{
	static const struct us_in6 ll_peer = { { 0xfe, 0x80, [15] = 7 } };
	static const struct us_in6 global_grp = { { 0xff, 0x0e, [15] = 7 } };
	static const struct us_in6 far = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	static const struct us_in6 other = { { 0xfd, 0x11, [15] = 2 } };
	struct us_in6 s;
	struct fx x;

	fx_init(&x);
	cr_assert_eq(us_ip6_select_src(x.t.n.st, &ll_peer, &s), 0);
	cr_assert(us_in6_eq(&s, T_LL6_B));
	cr_assert_eq(us_ip6_select_src(x.t.n.st, &all_nodes, &s), 0);
	cr_assert(us_in6_eq(&s, T_LL6_B));
	cr_assert_eq(us_ip6_select_src(x.t.n.st, &global_grp, &s), 0);
	cr_assert(us_in6_eq(&s, T_IP6_B));
	cr_assert_eq(us_ip6_select_src(x.t.n.st, &far, &s), 0);
	cr_assert(us_in6_eq(&s, T_IP6_B));
	/* With two globals the longer match wins. */
	cr_assert_not_null(us_ip6_addr_add(x.t.n.st, &other, 64, 0, 0));
	cr_assert_eq(us_ip6_select_src(x.t.n.st, &(struct us_in6){ { 0xfd, 0x11, [15] = 9 } },
				       &s),
		     0);
	cr_assert(us_in6_eq(&s, &other));
	cr_assert_eq(us_ip6_select_src(x.t.n.st, T_IP6_A, &s), 0);
	cr_assert(us_in6_eq(&s, T_IP6_B));
	/* A tentative address is neither ours nor a source. */
	x.t.n.st->ip6.addr[0].state = US_IP6A_TENTATIVE;
	cr_assert_eq(us_ip6_select_src(x.t.n.st, &ll_peer, &s), -EADDRNOTAVAIL);
	cr_assert_not(us_ip6_is_ours(x.t.n.st, T_LL6_B));
	x.t.n.st->ip6.addr[0].state = US_IP6A_PREFERRED;
	fx_fini(&x);
}

Test(ip6_addr, link_local_is_made_from_the_mac_by_modified_eui64)
{
	struct fx x;

	fx_init(&x);
	/* 02:00:00:00:00:02: the U/L bit flips, ff:fe goes in the middle. */
	cr_assert(us_in6_eq(&x.t.n.st->ip6.addr[0].addr, T_LL6_B));
	cr_assert_eq(x.t.n.st->ip6.addr[0].plen, 64);
	cr_assert(us_ip6_in_group(x.t.n.st, &all_nodes));
	fx_fini(&x);
}

Test(ip6_addr, ntop_follows_rfc_5952)
{
	static const struct {
		struct us_in6 a;
		const char *s;
	} v[] = {
		{ { { 0 } }, "::" },
		{ { { [15] = 1 } }, "::1" },
		{ { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } }, "2001:db8::1" },
		{ { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 } },
		  "2001:db8::1:0:0:1" },
		{ { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 } },
		  "2001:db8:0:1:1:1:1:1" },
		{ { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 } },
		  "2001:db8:0:0:1::" },
		{ { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 } },
		  "2001:db8::1:0:0:1" },
		{ { { 0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
		  "2001:db8:abcd::" },
		{ { { 0xfe, 0x80, [8] = 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55 } },
		  "fe80::211:22ff:fe33:4455" },
		{ { { 0xff, 0x02, [11] = 1, 0xff, 0x00, 0x00, 0x02 } }, "ff02::1:ff00:2" },
		{ { { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } }, "100::1" },
		{ { { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } }, "1::" },
		{ { { [10] = 0xff, [11] = 0xff, 198, 18, 0, 1 } }, "::ffff:198.18.0.1" },
	};
	char buf[64];
	unsigned i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_assert_str_eq(us_in6_ntop(&v[i].a, buf), v[i].s, "vector %u", i);
}
