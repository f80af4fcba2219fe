/*
 * IPv4 fragments (lib/ip/ip4_frag.c and us_ip4_send, RFC 791 3.2, RFC 815):
 * reassembly in any order to the exact bytes, duplicates, overlaps (which
 * drop the datagram), bad lengths, the 65535-byte limit, the 30 s timeout,
 * bounded memory under a flood, and fragmentation on output.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"

#define FRAG 1480	/* payload of a full fragment at MTU 1500 */

struct fx {
	struct t_one t;
	struct us_sock *s;	/* UDP port 7 */
	struct us_stats *st;
};

static void
fx_init(struct fx *x)
{
	int err = 0;

	t_one_init(&x->t);
	t_one_learn_peer(&x->t);
	x->st = x->t.n.st->stats;
	x->s = us_sock_create(x->t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_not_null(x->s);
	cr_assert_eq(us_udp_bind(x->t.n.st, x->s, 0, 7), 0);
}

static void
fx_fini(struct fx *x)
{
	us_sock_close(x->t.n.st, x->s);
	t_one_fini(&x->t);
}

/* Buffers of the test's pool the stack still holds (fragments waiting). */
static uint32_t
held(const struct fx *x)
{
	return x->t.ppool->n - x->t.ppool->avail;
}

/* Fills data with a pattern that differs for every offset and datagram. */
static void
pattern(uint8_t *data, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + seed);
}

/* A whole UDP datagram (header + data) from .1:5000 to .2:dport with its checksum. */
static uint32_t
make_udp(uint8_t *u, uint16_t dport, const uint8_t *data, uint32_t dlen)
{
	uint16_t c;

	us_put16(u + US_UDP_SPORT, 5000);
	us_put16(u + US_UDP_DPORT, dport);
	us_put16(u + US_UDP_LEN, (uint16_t)(US_UDP_HLEN + dlen));
	us_put16(u + US_UDP_SUM, 0);
	memcpy(u + US_UDP_HLEN, data, dlen);
	c = us_cksum_fold(us_cksum_add(us_cksum_pseudo4(T_IP_A, T_IP_B, US_IPPROTO_UDP,
							US_UDP_HLEN + dlen),
				       u, US_UDP_HLEN + dlen));
	us_put16(u + US_UDP_SUM, c == 0 ? 0xffff : c);
	return US_UDP_HLEN + dlen;
}

/*
 * Injects len bytes at data as the fragment at byte offset off.
 * scapy: fragment(IP(src="198.18.0.1",dst="198.18.0.2",id=id)/UDP(...), fragsize=1480)[k]
 */
static void
send_raw(struct fx *x, uint16_t id, uint32_t off, const uint8_t *data, uint32_t len, int more)
{
	uint8_t f[2048];
	uint16_t frag = (uint16_t)((off >> 3) | (more ? US_IP4_MF : 0));

	cr_assert_eq(off & 7, 0);
	t_one_inject(&x->t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_UDP, id, frag, data, len));
}

/* Injects bytes [off, off+len) of the datagram dg as one fragment. */
static void
send_frag(struct fx *x, uint16_t id, const uint8_t *dg, uint32_t off, uint32_t len, int more)
{
	send_raw(x, id, off, dg + off, len, more);
}

/* Sends fragment k of dg cut in FRAG-byte pieces. */
static void
send_piece(struct fx *x, uint16_t id, const uint8_t *dg, uint32_t dglen, uint32_t k)
{
	uint32_t off = k * FRAG, len = dglen - off < FRAG ? dglen - off : FRAG;

	send_frag(x, id, dg, off, len, off + len < dglen);
}

static void
expect_datagram(struct fx *x, const uint8_t *data, uint32_t dlen)
{
	static uint8_t buf[65536];

	cr_assert_eq(us_udp_recv(x->t.n.st, x->s, buf, sizeof(buf), 0, NULL, NULL), dlen);
	cr_assert_eq(memcmp(buf, data, dlen), 0, "reassembled bytes differ");
}

static void
expect_nothing(struct fx *x)
{
	uint8_t buf[16];

	cr_assert_eq(us_udp_recv(x->t.n.st, x->s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
}

Test(ip4_frag, in_order_fragments_deliver_the_exact_bytes)
{
	static uint8_t data[4000], dg[4008];
	struct fx x;
	uint32_t n, k;

	fx_init(&x);
	pattern(data, sizeof(data), 1);
	n = make_udp(dg, 7, data, sizeof(data));
	for (k = 0; k < 3; k++) {
		expect_nothing(&x);
		send_piece(&x, 100, dg, n, k);
	}
	expect_datagram(&x, data, sizeof(data));
	cr_assert_eq(x.st->ip4.rx_frag, 3);
	cr_assert_eq(x.st->ip4.rx_reassembled, 1);
	cr_assert_eq(x.st->udp.rx_badsum, 0);
	cr_assert_eq(x.t.n.st->ip.reass.bytes, 0);
	fx_fini(&x);
}

Test(ip4_frag, reverse_order_fragments_deliver_the_exact_bytes)
{
	static uint8_t data[6000], dg[6008];
	struct fx x;
	uint32_t n;
	int k;

	fx_init(&x);
	pattern(data, sizeof(data), 2);
	n = make_udp(dg, 7, data, sizeof(data));
	for (k = 4; k >= 0; k--)
		send_piece(&x, 101, dg, n, (uint32_t)k);
	expect_datagram(&x, data, sizeof(data));
	/* And shuffled: middle, last, first, then the rest. */
	pattern(data, sizeof(data), 3);
	n = make_udp(dg, 7, data, sizeof(data));
	send_piece(&x, 102, dg, n, 2);
	send_piece(&x, 102, dg, n, 4);
	send_piece(&x, 102, dg, n, 0);
	send_piece(&x, 102, dg, n, 3);
	expect_nothing(&x);
	send_piece(&x, 102, dg, n, 1);
	expect_datagram(&x, data, sizeof(data));
	cr_assert_eq(x.st->ip4.rx_reassembled, 2);
	fx_fini(&x);
}

Test(ip4_frag, fragments_of_interleaved_datagrams_are_kept_apart)
{
	static uint8_t d1[3000], d2[3000], g1[3008], g2[3008];
	struct fx x;
	uint32_t n;

	fx_init(&x);
	pattern(d1, sizeof(d1), 4);
	pattern(d2, sizeof(d2), 5);
	n = make_udp(g1, 7, d1, sizeof(d1));
	make_udp(g2, 7, d2, sizeof(d2));
	send_piece(&x, 200, g1, n, 0);
	send_piece(&x, 201, g2, n, 1);
	send_piece(&x, 201, g2, n, 0);
	send_piece(&x, 200, g1, n, 2);
	send_piece(&x, 201, g2, n, 2);
	send_piece(&x, 200, g1, n, 1);
	expect_datagram(&x, d2, sizeof(d2));
	expect_datagram(&x, d1, sizeof(d1));
	fx_fini(&x);
}

Test(ip4_frag, exact_duplicate_is_dropped_alone_and_the_datagram_completes)
{
	static uint8_t data[4000], dg[4008];
	struct fx x;
	uint32_t n;

	fx_init(&x);
	pattern(data, sizeof(data), 6);
	n = make_udp(dg, 7, data, sizeof(data));
	send_piece(&x, 300, dg, n, 0);
	send_piece(&x, 300, dg, n, 0);
	cr_assert_eq(x.st->ip4.rx_frag_dup, 1);
	cr_assert_eq(held(&x), 1, "the duplicate must be freed");
	send_piece(&x, 300, dg, n, 2);
	send_piece(&x, 300, dg, n, 2);	/* the last one, twice */
	cr_assert_eq(x.st->ip4.rx_frag_dup, 2);
	send_piece(&x, 300, dg, n, 1);
	expect_datagram(&x, data, sizeof(data));
	expect_nothing(&x);
	cr_assert_eq(x.st->ip4.rx_frag_overlap, 0);
	cr_assert_eq(x.st->ip4.rx_reassembled, 1);
	fx_fini(&x);
}

/*
 * Overlaps are never produced by a correct sender; they are how
 * reassembly attacks (teardrop, firewall evasion) work, so the whole
 * datagram goes, as RFC 5722 requires for IPv6.
 */
Test(ip4_frag, overlapping_fragment_drops_the_whole_datagram)
{
	static uint8_t data[4000], dg[4008];
	struct fx x;
	uint32_t n;

	fx_init(&x);
	pattern(data, sizeof(data), 7);
	n = make_udp(dg, 7, data, sizeof(data));
	/* Overlaps the one before it by 8 bytes. */
	send_frag(&x, 400, dg, 0, FRAG, 1);
	send_frag(&x, 400, dg, FRAG - 8, FRAG, 1);
	cr_assert_eq(x.st->ip4.rx_frag_overlap, 1);
	cr_assert_eq(held(&x), 0, "everything of the datagram must be freed");
	/* Overlaps the one after it. */
	send_frag(&x, 401, dg, FRAG, FRAG, 1);
	send_frag(&x, 401, dg, 8, FRAG, 1);
	cr_assert_eq(x.st->ip4.rx_frag_overlap, 2);
	cr_assert_eq(held(&x), 0);
	/* Lies inside another (same start, shorter: not a duplicate). */
	send_frag(&x, 402, dg, 0, FRAG, 1);
	send_frag(&x, 402, dg, 0, 800, 1);
	cr_assert_eq(x.st->ip4.rx_frag_overlap, 3);
	cr_assert_eq(held(&x), 0);
	/* A last fragment that ends before data already held (no direct overlap). */
	send_frag(&x, 403, dg, 2 * FRAG, 1000, 1);
	send_frag(&x, 403, dg, FRAG, 800, 0);
	cr_assert_eq(x.st->ip4.rx_frag_overlap, 4);
	cr_assert_eq(held(&x), 0);
	/* And data arriving beyond a last fragment already held. */
	send_frag(&x, 404, dg, FRAG, 800, 0);
	send_frag(&x, 404, dg, 2 * FRAG, 1000, 1);
	cr_assert_eq(x.st->ip4.rx_frag_bad, 1, "beyond the end fixed by the last fragment");
	cr_assert_eq(held(&x), 0);
	cr_assert_eq(x.st->ip4.rx_frag, 10);
	/* The rest of datagram 400 still arriving never completes it. */
	send_piece(&x, 400, dg, n, 1);
	send_piece(&x, 400, dg, n, 2);
	expect_nothing(&x);
	cr_assert_eq(x.st->ip4.rx_reassembled, 0);
	t_one_advance(&x.t, 30 * T_S);
	cr_assert_eq(held(&x), 0);
	fx_fini(&x);
}

/* RFC 791: every fragment but the last carries a multiple of 8 bytes. */
Test(ip4_frag, non_last_fragment_not_a_multiple_of_8_is_rx_frag_bad)
{
	static uint8_t data[4000], dg[4008];
	struct fx x;
	uint32_t n;

	fx_init(&x);
	pattern(data, sizeof(data), 8);
	n = make_udp(dg, 7, data, sizeof(data));
	send_frag(&x, 500, dg, 0, 1001, 1);
	cr_assert_eq(x.st->ip4.rx_frag_bad, 1);
	send_frag(&x, 500, dg, 0, 0, 1);	/* and an empty one */
	cr_assert_eq(x.st->ip4.rx_frag_bad, 2);
	cr_assert_eq(held(&x), 0);
	/* An odd length is fine on the last fragment. */
	send_piece(&x, 501, dg, n, 0);
	send_piece(&x, 501, dg, n, 1);
	send_piece(&x, 501, dg, n, 2);
	expect_datagram(&x, data, sizeof(data));
	cr_assert_eq(x.st->ip4.rx_frag_bad, 2);
	fx_fini(&x);
}

/*
 * The "ping of death": the largest offset (8191 * 8 = 65528) with 16
 * bytes would reassemble to 65564 bytes.
 * scapy: IP(id=600,frag=8191)/Raw(b"A"*16)
 */
Test(ip4_frag, fragment_ending_past_65535_is_rx_frag_toobig)
{
	static uint8_t junk[2048];
	struct fx x;

	fx_init(&x);
	memset(junk, 'A', sizeof(junk));
	send_raw(&x, 600, 65528, junk, 16, 0);
	cr_assert_eq(x.st->ip4.rx_frag_toobig, 1);
	send_raw(&x, 601, 64000, junk, 1520, 1);	/* 65520 + 20 > 65535 */
	cr_assert_eq(x.st->ip4.rx_frag_toobig, 2);
	cr_assert_eq(held(&x), 0);
	/* Exactly 65535 with the header is allowed. */
	send_raw(&x, 602, 65512, junk, 3, 0);
	cr_assert_eq(x.st->ip4.rx_frag_toobig, 2);
	cr_assert_eq(held(&x), 1);
	t_one_advance(&x.t, 30 * T_S);
	cr_assert_eq(held(&x), 0);
	fx_fini(&x);
}

Test(ip4_frag, incomplete_datagram_is_freed_after_30_s)
{
	static uint8_t data[4000], dg[4008];
	struct fx x;
	uint32_t n;

	fx_init(&x);
	pattern(data, sizeof(data), 9);
	n = make_udp(dg, 7, data, sizeof(data));
	send_piece(&x, 700, dg, n, 0);
	send_piece(&x, 700, dg, n, 2);
	cr_assert_eq(held(&x), 2);
	cr_assert_eq(us_ip4_reass_deadline(x.t.n.st), 30 * T_S);
	t_one_advance(&x.t, 30 * T_S - 1);
	cr_assert_eq(x.st->ip4.rx_frag_timeout, 0);
	cr_assert_eq(held(&x), 2);
	t_one_advance(&x.t, 1);
	cr_assert_eq(x.st->ip4.rx_frag_timeout, 1);
	cr_assert_eq(held(&x), 0);
	cr_assert_eq(x.t.n.st->ip.reass.bytes, 0);
	cr_assert_eq(us_ip4_reass_deadline(x.t.n.st), UINT64_MAX);
	/* The missing piece alone now starts a new datagram, which never completes. */
	send_piece(&x, 700, dg, n, 1);
	expect_nothing(&x);
	cr_assert_eq(held(&x), 1);
	fx_fini(&x);
}

static uint32_t
slots_used(const struct fx *x)
{
	uint32_t i, used = 0;

	for (i = 0; i < x->t.n.st->ip.reass.n; i++)
		used += x->t.n.st->ip.reass.slots[i].used;
	return used;
}

/* 40 datagrams of which only the first fragment ever comes: more than the slots. */
Test(ip4_frag, more_datagrams_than_slots_evicts_the_oldest_and_stays_bounded)
{
	static uint8_t data[4000], dg[4008];
	struct fx x;
	uint32_t n, i, nslots;

	fx_init(&x);
	nslots = x.t.n.st->ip.reass.n;
	pattern(data, sizeof(data), 10);
	n = make_udp(dg, 7, data, sizeof(data));
	for (i = 0; i < nslots + 24; i++) {
		send_piece(&x, (uint16_t)(1000 + i), dg, n, 0);
		cr_assert_leq(slots_used(&x), nslots);
		cr_assert_leq(held(&x), nslots);
	}
	cr_assert_eq(x.st->ip4.rx_frag_nomem, 24);
	/* A fresh datagram still reassembles. */
	pattern(data, sizeof(data), 11);
	n = make_udp(dg, 7, data, sizeof(data));
	send_piece(&x, 2000, dg, n, 2);
	send_piece(&x, 2000, dg, n, 1);
	send_piece(&x, 2000, dg, n, 0);
	expect_datagram(&x, data, sizeof(data));
	fx_fini(&x);
}

/*
 * 12 datagrams of 30 full fragments each, none ever complete: 532800
 * bytes against a 262144-byte limit.  Memory held stays under the limit
 * and a complete datagram afterwards is not starved.
 */
Test(ip4_frag, flood_beyond_the_byte_limit_stays_bounded_and_fresh_datagram_completes)
{
	static uint8_t junk[FRAG], data[4000], dg[4008];
	struct fx x;
	uint32_t i, k, n, limit, max_held;

	fx_init(&x);
	limit = x.t.n.st->ip.reass.limit;
	max_held = limit / FRAG + 1;
	memset(junk, 0x5a, sizeof(junk));
	for (i = 0; i < 12; i++)
		for (k = 0; k < 30; k++) {
			send_raw(&x, (uint16_t)(3000 + i), k * FRAG, junk, FRAG, 1);
			cr_assert_leq(x.t.n.st->ip.reass.bytes, limit);
			cr_assert_leq(held(&x), max_held, "%u buffers held", held(&x));
		}
	cr_assert_gt(x.st->ip4.rx_frag_nomem, 0);
	cr_assert_gt(held(&x), 0);
	pattern(data, sizeof(data), 12);
	n = make_udp(dg, 7, data, sizeof(data));
	send_piece(&x, 4000, dg, n, 0);
	send_piece(&x, 4000, dg, n, 1);
	send_piece(&x, 4000, dg, n, 2);
	expect_datagram(&x, data, sizeof(data));
	t_one_advance(&x.t, 31 * T_S);
	cr_assert_eq(held(&x), 0);
	cr_assert_eq(x.t.n.st->ip.reass.bytes, 0);
	fx_fini(&x);
}

/*
 * The tiny-fragment attack: one datagram in 8-byte pieces.  Past 128
 * pieces the datagram is given up (rx_frag_nomem) and its buffers freed,
 * rather than holding a buffer per 8 bytes.
 */
Test(ip4_frag, datagram_in_more_than_128_pieces_is_dropped)
{
	static uint8_t junk[8];
	struct fx x;
	uint32_t k;

	fx_init(&x);
	memset(junk, 0x11, sizeof(junk));
	for (k = 0; k < 128; k++)
		send_raw(&x, 4100, k * 8, junk, 8, 1);
	cr_assert_eq(held(&x), 128);
	cr_assert_eq(x.st->ip4.rx_frag_nomem, 0);
	send_raw(&x, 4100, 128 * 8, junk, 8, 1);
	cr_assert_eq(x.st->ip4.rx_frag_nomem, 1);
	cr_assert_eq(held(&x), 0);
	cr_assert_eq(x.t.n.st->ip.reass.bytes, 0);
	fx_fini(&x);
}

/*
 * On a link of MTU 1006 a fragment has room for 986 bytes, but every
 * fragment but the last must carry a multiple of 8: 984.
 */
Test(ip4_frag, fragments_are_cut_at_8_byte_boundaries_below_an_odd_mtu)
{
	static uint8_t data[2000];
	struct fx x;
	struct us_sock *s;
	uint8_t f[2048];
	int err = 0;

	fx_init(&x);
	x.t.n.st->mtu = 1006;
	s = us_sock_create(x.t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_eq(us_udp_bind(x.t.n.st, s, 0, 6000), 0);
	cr_assert_eq(us_udp_send(x.t.n.st, s, data, sizeof(data), T_IP_A, 9, 1), sizeof(data));
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), US_ETH_HLEN + US_IP4_HLEN + 984);
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_FRAG), US_IP4_MF | 0);
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), US_ETH_HLEN + US_IP4_HLEN + 984);
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_FRAG), US_IP4_MF | (984 / 8));
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), US_ETH_HLEN + US_IP4_HLEN + 40);
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_FRAG), 2 * 984 / 8);
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), 0);
	us_sock_close(x.t.n.st, s);
	fx_fini(&x);
}

/*
 * A 4000-byte UDP send at MTU 1500 leaves as three fragments of 1480,
 * 1480 and 1048 bytes at offsets 0, 185 and 370 (in 8-byte units), MF on
 * all but the last, one ID, each header with a valid checksum; their
 * payloads put together are the UDP datagram with a valid checksum.
 */
Test(ip4_frag, udp_send_above_the_mtu_is_fragmented_correctly)
{
	static uint8_t data[4000], whole[4008];
	static const uint32_t lens[3] = { 1480, 1480, 1048 };
	struct fx x;
	struct us_sock *s;
	uint8_t f[2048];
	uint16_t id = 0;
	uint32_t k, n, off = 0;
	int err = 0;

	fx_init(&x);
	s = us_sock_create(x.t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_eq(us_udp_bind(x.t.n.st, s, 0, 6000), 0);
	pattern(data, sizeof(data), 13);
	cr_assert_eq(us_udp_send(x.t.n.st, s, data, sizeof(data), T_IP_A, 9, 1), sizeof(data));
	for (k = 0; k < 3; k++) {
		const uint8_t *ip = f + US_ETH_HLEN;
		uint16_t frag;

		n = t_one_take(&x.t, f, sizeof(f));
		cr_assert_eq(n, US_ETH_HLEN + US_IP4_HLEN + lens[k], "fragment %u: %u bytes", k, n);
		cr_assert_eq(memcmp(f + US_ETH_DST, t_mac_a, 6), 0);
		cr_assert_eq(us_ip4_hdr_check(ip, n - US_ETH_HLEN), US_IP4_HLEN,
			     "fragment %u: bad header", k);
		cr_assert_eq(us_get16(ip + US_IP4_LEN), US_IP4_HLEN + lens[k]);
		cr_assert_eq(ip[US_IP4_PROTO], US_IPPROTO_UDP);
		cr_assert_eq(us_get32(ip + US_IP4_SRC), T_IP_B);
		cr_assert_eq(us_get32(ip + US_IP4_DST), T_IP_A);
		frag = us_get16(ip + US_IP4_FRAG);
		if (k == 0)
			id = us_get16(ip + US_IP4_ID);
		cr_assert_eq(us_get16(ip + US_IP4_ID), id, "one ID for all fragments");
		cr_assert_eq(frag & US_IP4_OFFMASK, off / 8, "fragment %u offset", k);
		cr_assert_eq((frag & US_IP4_MF) != 0, k < 2, "fragment %u MF", k);
		cr_assert_eq(frag & (US_IP4_DF | US_IP4_RF), 0);
		if (k < 2)
			cr_assert_eq(lens[k] % 8, 0);
		memcpy(whole + off, ip + US_IP4_HLEN, lens[k]);
		off += lens[k];
	}
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), 0);
	cr_assert_eq(off, sizeof(whole));
	cr_assert_eq(us_get16(whole + US_UDP_SPORT), 6000);
	cr_assert_eq(us_get16(whole + US_UDP_DPORT), 9);
	cr_assert_eq(us_get16(whole + US_UDP_LEN), sizeof(whole));
	cr_assert_eq(us_cksum_fold(us_cksum_add(us_cksum_pseudo4(T_IP_B, T_IP_A, US_IPPROTO_UDP,
								 sizeof(whole)),
					       whole, sizeof(whole))),
		     0, "UDP checksum over the fragments");
	cr_assert_eq(memcmp(whole + US_UDP_HLEN, data, sizeof(data)), 0);
	cr_assert_eq(x.st->ip4.tx_frag, 3);
	us_sock_close(x.t.n.st, s);
	fx_fini(&x);
}

Test(ip4_frag, datagram_that_fits_the_mtu_is_not_fragmented_and_one_more_byte_is)
{
	static uint8_t data[1473];
	struct fx x;
	struct us_sock *s;
	uint8_t f[2048];
	int err = 0;

	fx_init(&x);
	s = us_sock_create(x.t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_eq(us_udp_bind(x.t.n.st, s, 0, 6000), 0);
	cr_assert_eq(us_udp_send(x.t.n.st, s, data, 1472, T_IP_A, 9, 1), 1472);
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), 1514);
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_FRAG), US_IP4_DF,
		     "whole datagram: DF, offset 0");
	cr_assert_eq(x.st->ip4.tx_frag, 0);
	cr_assert_eq(us_udp_send(x.t.n.st, s, data, 1473, T_IP_A, 9, 1), 1473);
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), 1514);
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_FRAG), US_IP4_MF);
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), 60, "1 byte + headers, padded");
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_FRAG), 1480 / 8);
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_LEN), 21);
	cr_assert_eq(x.st->ip4.tx_frag, 2);
	us_sock_close(x.t.n.st, s);
	fx_fini(&x);
}
