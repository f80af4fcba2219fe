/*
 * IPv6 fragments (lib/ip/ip6_frag.c and us_ip6_send, RFC 8200 4.5):
 * reassembly in any order to the exact bytes, duplicates, overlaps (RFC
 * 5722: the whole datagram goes), lengths not a multiple of 8, the 65535
 * limit, the first fragment holding the header chain (RFC 7112), the 60 s
 * timeout with Time Exceeded, bounded memory, and fragmentation on output
 * at the path MTU, which Packet Too Big lowers (RFC 8201).  Echo requests
 * carry the data: the reply returns the reassembled bytes.
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
	memset(&x->st->ip6, 0, sizeof(x->st->ip6));
	memset(&x->st->icmp6, 0, sizeof(x->st->icmp6));
}

static void
fx_fini(struct fx *x)
{
	t_one_fini(&x->t);
}

/* Buffers of the test's pool the stack still holds (fragments waiting). */
static uint32_t
held(const struct fx *x)
{
	return x->t.ppool->n - x->t.ppool->avail;
}

static void
pattern(uint8_t *data, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + seed);
}

/* An echo request of dlen bytes (id 9, seq) from fd00::1 to fd00::2; returns its length. */
static uint32_t
make_echo(uint8_t *m, uint16_t seq, const uint8_t *data, uint32_t dlen)
{
	return t_icmp6_msg(m, T_IP6_A, T_IP6_B, US_ICMP6_ECHO, 0, 9u << 16 | seq, data, dlen);
}

/*
 * Injects bytes [off, off+len) of the datagram dg (Next Header nxt) as
 * one fragment of identification id.
 * scapy: fragment6(IPv6()/IPv6ExtHdrFragment(id=id)/ICMPv6EchoRequest(...), 1240)[k]
 */
static void
send_raw(struct fx *x, uint32_t id, uint32_t off, const uint8_t *bytes, uint32_t len, int more,
	 uint8_t nxt)
{
	uint8_t p[2048], f[2048];

	cr_assert_leq(len + 8, sizeof(p));
	p[0] = nxt;
	p[1] = 0;
	us_put16(p + 2, (uint16_t)(off | (more ? US_IP6_FRAG_MF : 0)));
	us_put32(p + 4, id);
	memcpy(p + 8, bytes, len);
	t_one_inject(&x->t, f, t_build_ip6(f, T_IP6_A, T_IP6_B, US_IPPROTO_FRAGMENT, p, len + 8));
}

static void
send_frag(struct fx *x, uint32_t id, const uint8_t *dg, uint32_t off, uint32_t len, int more,
	  uint8_t nxt)
{
	send_raw(x, id, off, dg + off, len, more, nxt);
}

#define PIECE 1232	/* a multiple of 8 */

static void
send_piece(struct fx *x, uint32_t id, const uint8_t *dg, uint32_t dglen, uint32_t k)
{
	uint32_t off = k * PIECE, len = dglen - off < PIECE ? dglen - off : PIECE;

	send_frag(x, id, dg, off, len, off + len < dglen, US_IPPROTO_ICMPV6);
}

/*
 * Takes the stack's next datagram to the peer, reassembling its
 * fragments (they leave in order); checks each frame fits mtu and each
 * piece but the last is a multiple of 8.  Returns the upper-layer bytes.
 */
static uint32_t
take_datagram(struct fx *x, uint8_t *out, uint32_t mtu, uint32_t *nfrags, uint32_t *idp)
{
	uint8_t f[2048];
	uint32_t total = 0, n, k = 0;

	for (;;) {
		const uint8_t *ip = f + US_ETH_HLEN;
		uint32_t plen;
		uint16_t offm;

		n = t_one_take6(&x->t, f, sizeof(f));
		cr_assert_gt(n, 0, "datagram incomplete after %u fragments", k);
		plen = us_get16(ip + US_IP6_PLEN);
		cr_assert_leq(US_IP6_HLEN + plen, mtu, "frame above the MTU");
		if (ip[US_IP6_NXT] != US_IPPROTO_FRAGMENT) {
			cr_assert_eq(k, 0);
			memcpy(out, ip + US_IP6_HLEN, plen);
			*nfrags = 0;
			return plen;
		}
		offm = us_get16(ip + US_IP6_HLEN + US_IP6_FRAG_OFF);
		if (k == 0 && idp != NULL)
			*idp = us_get32(ip + US_IP6_HLEN + US_IP6_FRAG_ID);
		cr_assert_eq(offm & US_IP6_FRAG_OFFMASK, total, "fragment out of order");
		memcpy(out + total, ip + US_IP6_HLEN + 8, plen - 8);
		total += plen - 8;
		k++;
		if (!(offm & US_IP6_FRAG_MF))
			break;
		cr_assert_eq((plen - 8) % 8, 0);
	}
	*nfrags = k;
	return total;
}

/* Expects the echo reply to the request m (mlen bytes), whole. */
static void
expect_reply(struct fx *x, const uint8_t *m, uint32_t mlen)
{
	static uint8_t out[70000];
	uint32_t nf, n = take_datagram(x, out, 1500, &nf, NULL);

	cr_assert_eq(n, mlen, "reply of %u bytes, want %u", n, mlen);
	cr_assert_eq(out[0], US_ICMP6_ECHOREPLY);
	cr_assert_eq(memcmp(out + 4, m + 4, mlen - 4), 0, "reassembled bytes differ");
}

static void
expect_nothing(struct fx *x)
{
	uint8_t f[2048];

	cr_assert_eq(t_one_take6(&x->t, f, sizeof(f)), 0, "the stack sent something");
}

Test(ip6_frag, in_order_fragments_deliver_the_exact_bytes)
{
	static uint8_t data[3000], m[3100];
	uint32_t n, k;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 1);
	n = make_echo(m, 1, data, sizeof(data));
	for (k = 0; k < 3; k++) {
		expect_nothing(&x);
		send_piece(&x, 100, m, n, k);
	}
	expect_reply(&x, m, n);
	cr_assert_eq(x.st->ip6.rx_frag, 3);
	cr_assert_eq(x.st->ip6.rx_reassembled, 1);
	cr_assert_eq(x.st->icmp6.rx_badsum, 0);
	cr_assert_eq(x.t.n.st->ip6.reass.bytes, 0);
	cr_assert_eq(held(&x), 0);
	fx_fini(&x);
}

Test(ip6_frag, reverse_and_shuffled_fragments_deliver_the_exact_bytes)
{
	static uint8_t data[6000], m[6100];
	uint32_t n;
	int k;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 2);
	n = make_echo(m, 2, data, sizeof(data));
	for (k = 4; k >= 0; k--)
		send_piece(&x, 101, m, n, (uint32_t)k);
	expect_reply(&x, m, n);
	pattern(data, sizeof(data), 3);
	n = make_echo(m, 3, data, sizeof(data));
	send_piece(&x, 102, m, n, 2);
	send_piece(&x, 102, m, n, 4);
	send_piece(&x, 102, m, n, 0);
	send_piece(&x, 102, m, n, 3);
	expect_nothing(&x);
	send_piece(&x, 102, m, n, 1);
	expect_reply(&x, m, n);
	cr_assert_eq(x.st->ip6.rx_reassembled, 2);
	fx_fini(&x);
}

Test(ip6_frag, exact_duplicate_is_dropped_alone_and_the_datagram_completes)
{
	static uint8_t data[3000], m[3100];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 6);
	n = make_echo(m, 4, data, sizeof(data));
	send_piece(&x, 300, m, n, 0);
	send_piece(&x, 300, m, n, 0);
	cr_assert_eq(x.st->ip6.rx_frag_dup, 1);
	cr_assert_eq(held(&x), 1, "the duplicate must be freed");
	send_piece(&x, 300, m, n, 2);
	send_piece(&x, 300, m, n, 2);
	cr_assert_eq(x.st->ip6.rx_frag_dup, 2);
	send_piece(&x, 300, m, n, 1);
	expect_reply(&x, m, n);
	cr_assert_eq(x.st->ip6.rx_frag_overlap, 0);
	fx_fini(&x);
}

Test(ip6_frag, overlapping_fragment_drops_the_whole_datagram)
{
	static uint8_t data[3000], m[3100];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 7);
	n = make_echo(m, 5, data, sizeof(data));
	send_piece(&x, 400, m, n, 0);
	send_piece(&x, 400, m, n, 2);
	/* RFC 5722: bytes 1224.. overlap the first fragment's last 8. */
	send_frag(&x, 400, m, PIECE - 8, PIECE, 1, US_IPPROTO_ICMPV6);
	cr_assert_eq(x.st->ip6.rx_frag_overlap, 1);
	cr_assert_eq(held(&x), 0, "every fragment of the datagram must go");
	cr_assert_eq(x.t.n.st->ip6.reass.bytes, 0);
	/* The missing piece alone does not complete anything now. */
	send_piece(&x, 400, m, n, 1);
	expect_nothing(&x);
	cr_assert_eq(x.st->ip6.rx_reassembled, 0);
	t_one_advance(&x.t, 61 * T_S);
	fx_fini(&x);
}

Test(ip6_frag, length_not_a_multiple_of_8_is_a_parameter_problem)
{
	static uint8_t data[3000], m[3100];
	uint8_t f[2048];
	uint32_t fl;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 8);
	cr_assert_gt(make_echo(m, 6, data, sizeof(data)), 1001);
	send_frag(&x, 500, m, 0, 1001, 1, US_IPPROTO_ICMPV6);
	cr_assert_eq(x.st->ip6.rx_frag_bad, 1);
	fl = t_one_take6(&x.t, f, sizeof(f));
	cr_assert_gt(fl, 0, "no parameter problem");
	cr_assert_eq(f[US_ETH_HLEN + US_IP6_HLEN], US_ICMP6_PARAMPROB);
	cr_assert_eq(f[US_ETH_HLEN + US_IP6_HLEN + 1], US_ICMP6_PARAM_HDR);
	/* RFC 8200 4.5: pointing at the Payload Length field. */
	cr_assert_eq(us_get32(f + US_ETH_HLEN + US_IP6_HLEN + 4), US_IP6_PLEN);
	cr_assert_eq(held(&x), 0);
	fx_fini(&x);
}

Test(ip6_frag, fragment_past_65535_bytes_is_refused)
{
	static uint8_t m[2048];
	uint8_t f[2048];
	struct fx x;

	fx_init(&x);
	memset(m, 0x5a, sizeof(m));
	/* Offset 65000 + 1000 bytes: the datagram would exceed the payload limit. */
	send_raw(&x, 600, 65000, m, 1000, 0, US_IPPROTO_ICMPV6);
	cr_assert_eq(x.st->ip6.rx_frag_toobig, 1);
	cr_assert_gt(t_one_take6(&x.t, f, sizeof(f)), 0, "no parameter problem");
	cr_assert_eq(f[US_ETH_HLEN + US_IP6_HLEN], US_ICMP6_PARAMPROB);
	/* Pointing at the Fragment Offset (the Fragment header right after the IPv6 one). */
	cr_assert_eq(us_get32(f + US_ETH_HLEN + US_IP6_HLEN + 4), US_IP6_HLEN + US_IP6_FRAG_OFF);
	cr_assert_eq(held(&x), 0);
	fx_fini(&x);
}

/* The next frame is a Parameter Problem code 3 (incomplete chain), pointer 0 (RFC 7112 5). */
static void
expect_chain_problem(struct fx *x)
{
	uint8_t f[2048];

	cr_assert_gt(t_one_take6(&x->t, f, sizeof(f)), 0, "no parameter problem");
	cr_assert_eq(f[US_ETH_HLEN + US_IP6_HLEN], US_ICMP6_PARAMPROB);
	cr_assert_eq(f[US_ETH_HLEN + US_IP6_HLEN + 1], US_ICMP6_PARAM_CHAIN);
	cr_assert_eq(us_get32(f + US_ETH_HLEN + US_IP6_HLEN + 4), 0);
}

Test(ip6_frag, first_fragment_without_the_whole_header_chain_is_dropped)
{
	/* A Destination Options header claiming 16 bytes, in a first fragment of 8. */
	uint8_t dg[16] = { US_IPPROTO_ICMPV6, 1, 1, 12 };
	struct fx x;

	fx_init(&x);
	send_frag(&x, 700, dg, 0, 8, 1, US_IPPROTO_DSTOPTS);
	cr_assert_eq(x.st->ip6.rx_frag_bad, 1);
	cr_assert_eq(held(&x), 0);
	expect_chain_problem(&x);
	/* An upper-layer header cut short counts as an incomplete chain too (RFC 7112 5). */
	t_one_advance(&x.t, 1000 * T_MS);	/* (past the error rate limit's refill) */
	send_frag(&x, 701, dg, 0, 8, 1, US_IPPROTO_TCP);
	cr_assert_eq(x.st->ip6.rx_frag_bad, 2);
	cr_assert_eq(held(&x), 0);
	expect_chain_problem(&x);
	expect_nothing(&x);
	fx_fini(&x);
}

Test(ip6_frag, fragmentable_part_headers_are_walked_after_reassembly)
{
	static uint8_t data[2000], dg[2200];
	uint32_t n;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 9);
	/* The fragmentable part opens with an empty Destination Options header. */
	dg[0] = US_IPPROTO_ICMPV6;
	dg[1] = 0;
	dg[2] = 1;
	dg[3] = 4;
	memset(dg + 4, 0, 4);
	n = 8 + make_echo(dg + 8, 7, data, sizeof(data));
	send_frag(&x, 800, dg, 0, PIECE, 1, US_IPPROTO_DSTOPTS);
	send_frag(&x, 800, dg, PIECE, n - PIECE, 0, US_IPPROTO_DSTOPTS);
	expect_reply(&x, dg + 8, n - 8);
	fx_fini(&x);
}

Test(ip6_frag, timeout_frees_and_reports_time_exceeded_when_the_first_came)
{
	static uint8_t data[3000], m[3100];
	uint8_t f[2048];
	const uint8_t *ip = f + US_ETH_HLEN;
	uint32_t n;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 10);
	n = make_echo(m, 8, data, sizeof(data));
	send_piece(&x, 900, m, n, 0);
	send_piece(&x, 900, m, n, 2);
	cr_assert_eq(held(&x), 2);
	t_one_advance(&x.t, 59 * T_S);
	expect_nothing(&x);
	t_one_advance(&x.t, 2 * T_S);
	cr_assert_eq(x.st->ip6.rx_frag_timeout, 1);
	cr_assert_eq(held(&x), 0);
	cr_assert_gt(t_one_take6(&x.t, f, sizeof(f)), 0, "no time exceeded");
	cr_assert_eq(ip[US_IP6_HLEN], US_ICMP6_TIMXCEED);
	cr_assert_eq(ip[US_IP6_HLEN + 1], US_ICMP6_TIMXCEED_REASS);
	/* The quote is the first fragment: its IPv6 header, its Fragment header (offset 0). */
	cr_assert_eq(ip[US_IP6_HLEN + 8 + US_IP6_NXT], US_IPPROTO_FRAGMENT);
	cr_assert_eq(us_get32(ip + US_IP6_HLEN + 8 + US_IP6_HLEN + US_IP6_FRAG_ID), 900);
	/* RFC 4443 2.4(c): as much as fits in 1280 bytes. */
	cr_assert_eq(us_get16(ip + US_IP6_PLEN), US_IP6_MINMTU - US_IP6_HLEN);
	/* Without the first fragment, the timeout is silent. */
	send_piece(&x, 901, m, n, 1);
	t_one_advance(&x.t, 61 * T_S);
	cr_assert_eq(x.st->ip6.rx_frag_timeout, 2);
	expect_nothing(&x);
	cr_assert_eq(held(&x), 0);
	fx_fini(&x);
}

Test(ip6_frag, a_flood_of_partial_datagrams_stays_within_the_slots)
{
	static uint8_t data[3000], m[3100];
	uint32_t n, i;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 11);
	n = make_echo(m, 9, data, sizeof(data));
	for (i = 0; i < 200; i++)
		send_piece(&x, 1000 + i, m, n, 0);
	cr_assert_leq(held(&x), x.t.n.st->ip6.reass.n);
	cr_assert_geq(x.st->ip6.rx_frag_nomem, 200 - x.t.n.st->ip6.reass.n);
	cr_assert_leq(x.t.n.st->ip6.reass.bytes, x.t.n.st->ip6.reass.limit);
	/* The newest datagram still completes. */
	send_piece(&x, 1199, m, n, 1);
	send_piece(&x, 1199, m, n, 2);
	expect_reply(&x, m, n);
	t_one_advance(&x.t, 61 * T_S);
	t_one_drain(&x.t);
	cr_assert_eq(held(&x), 0);
	fx_fini(&x);
}

/* Sends len bytes of pattern as a UDP-numbered datagram; returns us_ip6_send's result. */
static int
send_out(struct fx *x, const uint8_t *data, uint32_t len, unsigned opts)
{
	struct us_iov iov[2] = { { data, 100 }, { data + 100, len - 100 } };

	return us_ip6_send(x->t.n.st, NULL, T_IP6_A, US_IPPROTO_UDP, 0, 64, opts, iov, 2);
}

Test(ip6_frag, output_above_the_mtu_is_fragmented_in_8_byte_pieces)
{
	static uint8_t data[4000], out[8000];
	uint32_t nf, id1 = 0, id2 = 0;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 12);
	cr_assert_eq(send_out(&x, data, sizeof(data), 0), 0);
	cr_assert_eq(take_datagram(&x, out, 1500, &nf, &id1), sizeof(data));
	cr_assert_eq(memcmp(out, data, sizeof(data)), 0);
	/* (1500 - 40 - 8) rounded down to 8: 1448, 1448, 1104. */
	cr_assert_eq(nf, 3);
	cr_assert_eq(x.st->ip6.tx_frag, 3);
	/* RFC 7739: each datagram a fresh, unpredictable identification. */
	cr_assert_eq(send_out(&x, data, sizeof(data), 0), 0);
	cr_assert_eq(take_datagram(&x, out, 1500, &nf, &id2), sizeof(data));
	cr_assert_neq(id1, id2);
	cr_assert_neq(id2, id1 + 1);
	/* Exactly the MTU goes whole. */
	cr_assert_eq(send_out(&x, data, 1500 - US_IP6_HLEN, 0), 0);
	cr_assert_eq(take_datagram(&x, out, 1500, &nf, NULL), 1500 - US_IP6_HLEN);
	cr_assert_eq(nf, 0);
	fx_fini(&x);
}

Test(ip6_frag, nofrag_above_the_mtu_is_refused)
{
	static uint8_t data[4000];
	struct fx x;

	fx_init(&x);
	cr_assert_eq(send_out(&x, data, 1461, US_IP6_SEND_NOFRAG), -EMSGSIZE);
	cr_assert_eq(x.st->ip6.tx_toobig, 1);
	expect_nothing(&x);
	fx_fini(&x);
}

/* A Packet Too Big from a router quoting a datagram of ours to the peer. */
static void
packet_too_big(struct fx *x, uint32_t mtu)
{
	static const struct us_in6 router = { { 0xfd, [14] = 0xaa, [15] = 1 } };
	uint8_t q[US_IP6_HLEN + 8], m[128], f[256];
	uint32_t n;

	memset(q, 0, sizeof(q));
	us_put32(q, 6u << 28);
	us_put16(q + US_IP6_PLEN, 1400);
	q[US_IP6_NXT] = US_IPPROTO_UDP;
	q[US_IP6_HLIM] = 64;
	memcpy(q + US_IP6_SRC, T_IP6_B->b, 16);
	memcpy(q + US_IP6_DST, T_IP6_A->b, 16);
	us_put16(q + US_IP6_HLEN, 5000);
	us_put16(q + US_IP6_HLEN + 2, 53);
	n = t_icmp6_msg(m, &router, T_IP6_B, US_ICMP6_PKTTOOBIG, 0, mtu, q, sizeof(q));
	t_one_inject(&x->t, f, t_build_ip6(f, &router, T_IP6_B, US_IPPROTO_ICMPV6, m, n));
}

Test(ip6_frag, packet_too_big_lowers_the_path_mtu_for_ten_minutes)
{
	static uint8_t data[4000], out[8000];
	uint32_t nf;
	struct fx x;

	fx_init(&x);
	pattern(data, sizeof(data), 13);
	packet_too_big(&x, 1400);
	cr_assert_eq(x.st->icmp6.rx_pkttoobig, 1);
	cr_assert_eq(us_ip6_path_mtu(x.t.n.st, T_IP6_A), 1400);
	cr_assert_eq(send_out(&x, data, 1400, 0), 0);
	cr_assert_eq(take_datagram(&x, out, 1400, &nf, NULL), 1400);
	cr_assert_eq(nf, 2);
	cr_assert_eq(memcmp(out, data, 1400), 0);
	/* RFC 8201 4: never below 1280, never raised by a report. */
	packet_too_big(&x, 500);
	cr_assert_eq(us_ip6_path_mtu(x.t.n.st, T_IP6_A), US_IP6_MINMTU);
	packet_too_big(&x, 1450);
	cr_assert_eq(us_ip6_path_mtu(x.t.n.st, T_IP6_A), US_IP6_MINMTU);
	cr_assert_eq(us_ip6_path_mtu(x.t.n.st, T_LL6_A), 1500, "other destinations keep theirs");
	t_one_advance(&x.t, 601 * T_S);
	cr_assert_eq(us_ip6_path_mtu(x.t.n.st, T_IP6_A), 1500);
	t_one_drain(&x.t);
	fx_fini(&x);
}
