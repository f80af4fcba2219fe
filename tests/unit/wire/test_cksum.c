/*
 * The Internet checksum (RFC 1071) over flat buffers and chains, and the
 * IPv4 header check.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/common/harness.h"

/* RFC 1071 4.1's example: the sum of 00 01 f2 03 f4 f5 f6 f7 folds to 0xddf2. */
Test(wire_cksum, rfc1071_example_sums_to_ddf2)
{
	const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	cr_assert_eq(us_cksum_fold(us_cksum_add(0, d, sizeof(d))), (uint16_t)~0xddf2);
}

Test(wire_cksum, odd_length_pads_last_byte_with_zero)
{
	const uint8_t a[] = { 0x12, 0x34, 0x56 };
	const uint8_t b[] = { 0x12, 0x34, 0x56, 0x00 };

	cr_assert_eq(us_cksum_fold(us_cksum_add(0, a, 3)), us_cksum_fold(us_cksum_add(0, b, 4)));
}

Test(wire_cksum, chain_with_odd_split_equals_flat_sum)
{
	struct us_pool *pool = us_pool_create(8, 256, 16);
	uint8_t flat[301];
	struct us_pkt *p1, *p2, *p3;
	unsigned i;

	for (i = 0; i < sizeof(flat); i++)
		flat[i] = (uint8_t)(i * 7 + 3);
	p1 = us_pkt_alloc(pool);
	p2 = us_pkt_alloc(pool);
	p3 = us_pkt_alloc(pool);
	memcpy(us_pkt_append(p1, 101), flat, 101);
	memcpy(us_pkt_append(p2, 99), flat + 101, 99);
	memcpy(us_pkt_append(p3, 101), flat + 200, 101);
	p1->next = p2;
	p2->next = p3;
	cr_assert_eq(us_cksum_fold(us_cksum_chain(0, p1, 0, 301)),
		     us_cksum_fold(us_cksum_add(0, flat, 301)));
	/* From an odd offset, over part of the chain. */
	cr_assert_eq(us_cksum_fold(us_cksum_chain(0, p1, 7, 250)),
		     us_cksum_fold(us_cksum_add(0, flat + 7, 250)));
	us_pkt_free(p1);
	cr_assert_eq(us_pool_destroy(pool), 0);
}

static void
good_header(uint8_t *h)
{
	memset(h, 0, 20);
	h[0] = 0x45;
	us_put16(h + 2, 20);
	h[8] = 64;
	h[9] = 17;
	us_put32(h + 12, T_IP_A);
	us_put32(h + 16, T_IP_B);
	us_put16(h + 10, us_cksum_fold(us_cksum_add(0, h, 20)));
}

Test(wire_ip4, good_header_passes_and_returns_its_length)
{
	uint8_t h[20];

	good_header(h);
	cr_assert_eq(us_ip4_hdr_check(h, 20), 20);
}

Test(wire_ip4, each_malformation_has_its_own_reason)
{
	uint8_t h[40];

	good_header(h);
	cr_assert_eq(us_ip4_hdr_check(h, 19), US_IP4E_SHORT);
	h[0] = 0x65;
	cr_assert_eq(us_ip4_hdr_check(h, 20), US_IP4E_VERSION);
	h[0] = 0x44;
	cr_assert_eq(us_ip4_hdr_check(h, 20), US_IP4E_HLEN);
	h[0] = 0x46;	/* 24-byte header in 20 bytes */
	cr_assert_eq(us_ip4_hdr_check(h, 20), US_IP4E_HLEN);
	good_header(h);
	us_put16(h + 2, 19);
	cr_assert_eq(us_ip4_hdr_check(h, 20), US_IP4E_LEN);
	us_put16(h + 2, 21);
	cr_assert_eq(us_ip4_hdr_check(h, 20), US_IP4E_LEN);
	good_header(h);
	h[8] ^= 1;
	cr_assert_eq(us_ip4_hdr_check(h, 20), US_IP4E_SUM);
}

Test(wire_ip4, option_with_length_past_header_is_malformed)
{
	uint8_t h[24];

	good_header(h);
	h[0] = 0x46;
	us_put16(h + 2, 24);
	h[20] = 0x07;	/* record route */
	h[21] = 12;	/* runs past the 24-byte header */
	h[22] = 4;
	h[23] = 0;
	us_put16(h + 10, 0);
	us_put16(h + 10, us_cksum_fold(us_cksum_add(0, h, 24)));
	cr_assert_eq(us_ip4_hdr_check(h, 24), US_IP4E_OPT);
	/* A zero option length would loop forever if trusted. */
	h[21] = 0;
	us_put16(h + 10, 0);
	us_put16(h + 10, us_cksum_fold(us_cksum_add(0, h, 24)));
	cr_assert_eq(us_ip4_hdr_check(h, 24), US_IP4E_OPT);
	/* NOPs and end-of-list are fine. */
	h[20] = 1;
	h[21] = 1;
	h[22] = 0;
	us_put16(h + 10, 0);
	us_put16(h + 10, us_cksum_fold(us_cksum_add(0, h, 24)));
	cr_assert_eq(us_ip4_hdr_check(h, 24), 24);
}
