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

/* RFC 1071 word by word, the reference the fast versions must match. */
static uint16_t
naive_cksum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Every version of the bulk sum this CPU has (vector ones included) agrees
 * with the reference: all lengths around the 64-byte blocks, every
 * alignment, and 3 MB of all-ones data, past the 2 MiB where a 32-bit
 * vector lane would carry out if the code let it.
 */
Test(wire_cksum, every_version_matches_the_reference)
{
	static const char *const impls[] = { "generic", "avx2", "neon" };
	static uint8_t buf[3000016];
	const char *dflt = us_cksum_impl();
	uint32_t x = 0x9e3779b9u;
	size_t i, len, off;
	int k, tried = 0;

	for (k = 0; k < 3; k++) {
		if (us_cksum_use(impls[k]) != 0)
			continue;
		tried++;
		for (i = 0; i < sizeof(buf); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (uint8_t)(x >> 24);
		}
		for (len = 0; len <= 300; len++)
			for (off = 0; off < 16; off++)
				cr_assert_eq(us_cksum_fold(us_cksum_add(0, buf + off, len)),
					     naive_cksum(buf + off, len), "%s: length %zu at offset %zu",
					     impls[k], len, off);
		for (len = 1400; len <= 66000; len += 4093)
			cr_assert_eq(us_cksum_fold(us_cksum_add(0, buf + 3, len)),
				     naive_cksum(buf + 3, len), "%s: length %zu", impls[k], len);
		memset(buf, 0xff, sizeof(buf));
		cr_assert_eq(us_cksum_fold(us_cksum_add(0, buf + 1, 3000000)),
			     naive_cksum(buf + 1, 3000000), "%s: 3 MB of 0xff", impls[k]);
		buf[77] = 0;
		cr_assert_eq(us_cksum_fold(us_cksum_add(0, buf, 3000016)),
			     naive_cksum(buf, 3000016), "%s: all ones but a byte", impls[k]);
	}
	cr_assert_geq(tried, 1);
	cr_assert_eq(us_cksum_use("no-such-version"), -1);
	cr_assert_eq(us_cksum_use(dflt), 0);
	cr_log_info("checksum versions on this CPU: %d; in use: %s", tried, dflt);
}

Test(wire_cksum, the_20_byte_header_sum_matches_the_general_one)
{
	uint8_t h[20];
	uint32_t x = 12345;
	int i, k;

	for (k = 0; k < 10000; k++) {
		for (i = 0; i < 20; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			h[i] = k < 10 ? 0xff : (uint8_t)x;
		}
		cr_assert_eq(us_cksum_hdr20(h), us_cksum_fold(us_cksum_add(0, h, 20)), "header %d", k);
	}
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
