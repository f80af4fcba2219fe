/*
 * cksum.c - the Internet checksum (RFC 1071) over flat buffers and packet
 * chains, and the IPv4 header check that every received datagram passes.
 */
#include <string.h>

#include "wire.h"
#include "../pkt/pkt.h"

/*
 * The bulk of a sum: nblk whole 64-byte blocks as 16-bit words in the
 * host's order, unfolded.  RFC 1071 2(B): the sum is the same in either
 * byte order once folded and swapped, so no word is swapped here.  A
 * version for any CPU, and vector ones where the CPU has them (the
 * checksum is most of the cost of receiving a segment), chosen once.
 */
static uint64_t
bulk_generic(const uint8_t *p, size_t nblk)
{
	uint64_t acc = 0, w;
	size_t i;

#ifdef __SIZEOF_INT128__
	/* 64-bit words with the carries kept in the high half: add, add-with-carry. */
	unsigned __int128 a128 = 0;
	uint64_t x;

	for (; nblk > 0; nblk--, p += 64) {
		for (i = 0; i < 64; i += 16) {
			memcpy(&w, p + i, 8);
			a128 += w;
			memcpy(&x, p + i + 8, 8);
			a128 += x;
		}
	}
	w = (uint64_t)a128;
	x = (uint64_t)(a128 >> 64);
	acc = (w & 0xffffffffu) + (w >> 32) + (x & 0xffffffffu) + (x >> 32);
#else
	/* Two 32-bit lanes into a 64-bit accumulator: no carry is lost for 2^32 words. */
	for (; nblk > 0; nblk--, p += 64) {
		for (i = 0; i < 64; i += 8) {
			memcpy(&w, p + i, 8);
			acc += (w & 0xffffffffu) + (w >> 32);
		}
	}
#endif
	return acc;
}

/*
 * Vector lanes of 32 bits take 16-bit words; a lane gets two words per
 * block, so 4096 blocks (256 KiB) cannot carry out of it.
 */
#define VEC_CHUNK 4096

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2"))) static uint64_t
bulk_avx2(const uint8_t *p, size_t nblk)
{
	uint64_t acc = 0;

	while (nblk > 0) {
		size_t n = nblk < VEC_CHUNK ? nblk : VEC_CHUNK;
		__m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
		uint32_t lane[8];
		int i;

		nblk -= n;
		/* Eight words widened to eight 32-bit lanes per instruction, then added. */
		for (; n > 0; n--, p += 64) {
			a0 = _mm256_add_epi32(a0, _mm256_cvtepu16_epi32(
							  _mm_loadu_si128((const __m128i *)p)));
			a1 = _mm256_add_epi32(a1, _mm256_cvtepu16_epi32(
							  _mm_loadu_si128((const __m128i *)(p + 16))));
			a0 = _mm256_add_epi32(a0, _mm256_cvtepu16_epi32(
							  _mm_loadu_si128((const __m128i *)(p + 32))));
			a1 = _mm256_add_epi32(a1, _mm256_cvtepu16_epi32(
							  _mm_loadu_si128((const __m128i *)(p + 48))));
		}
		_mm256_storeu_si256((__m256i *)lane, a0);
		for (i = 0; i < 8; i++)
			acc += lane[i];
		_mm256_storeu_si256((__m256i *)lane, a1);
		for (i = 0; i < 8; i++)
			acc += lane[i];
	}
	return acc;
}
#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

static uint64_t
bulk_neon(const uint8_t *p, size_t nblk)
{
	uint64_t acc = 0;

	while (nblk > 0) {
		size_t n = nblk < VEC_CHUNK ? nblk : VEC_CHUNK;
		uint32x4_t a0 = vdupq_n_u32(0), a1 = vdupq_n_u32(0);

		nblk -= n;
		/* Pairs of words added into 32-bit lanes, one instruction per 16 bytes. */
		for (; n > 0; n--, p += 64) {
			a0 = vpadalq_u16(a0, vreinterpretq_u16_u8(vld1q_u8(p)));
			a1 = vpadalq_u16(a1, vreinterpretq_u16_u8(vld1q_u8(p + 16)));
			a0 = vpadalq_u16(a0, vreinterpretq_u16_u8(vld1q_u8(p + 32)));
			a1 = vpadalq_u16(a1, vreinterpretq_u16_u8(vld1q_u8(p + 48)));
		}
		acc += vaddlvq_u32(a0) + vaddlvq_u32(a1);
	}
	return acc;
}
#endif

struct bulk_impl {
	const char *name;
	uint64_t (*fn)(const uint8_t *p, size_t nblk);
	int (*usable)(void);
};

static int
always(void)
{
	return 1;
}

#if defined(__x86_64__) && defined(__GNUC__)
static int
has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}
#endif

/* Best first. */
static const struct bulk_impl bulk_impls[] = {
#if defined(__x86_64__) && defined(__GNUC__)
	{ "avx2", bulk_avx2, has_avx2 },
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
	{ "neon", bulk_neon, always },
#endif
	{ "generic", bulk_generic, always },
};

/* The version in use: a property of the CPU, the same for every stack. */
static const struct bulk_impl *bulk = &bulk_impls[sizeof(bulk_impls) / sizeof(bulk_impls[0]) - 1];

__attribute__((constructor)) static void
bulk_pick(void)
{
	size_t i;

	for (i = 0; i < sizeof(bulk_impls) / sizeof(bulk_impls[0]); i++) {
		if (bulk_impls[i].usable()) {
			bulk = &bulk_impls[i];
			return;
		}
	}
}

const char *
us_cksum_impl(void)
{
	return bulk->name;
}

int
us_cksum_use(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(bulk_impls) / sizeof(bulk_impls[0]); i++) {
		if (strcmp(bulk_impls[i].name, name) == 0 && bulk_impls[i].usable()) {
			bulk = &bulk_impls[i];
			return 0;
		}
	}
	return -1;
}

uint64_t
us_cksum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0, w;

	if (len >= 64) {
		acc = bulk->fn(p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	if (acc != 0) {
		while (acc >> 16)
			acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		acc = (uint16_t)(acc << 8 | acc >> 8);
#endif
		sum += acc;
	}
	/* The tail in network order, 16 bits at a time. */
	while (len >= 2) {
		sum += us_get16(p);
		p += 2;
		len -= 2;
	}
	if (len == 1)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t
us_cksum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint64_t
us_cksum_chain(uint64_t sum, const struct us_pkt *pkt, uint32_t off, uint32_t len)
{
	int odd = 0;

	for (; pkt != NULL && len > 0; pkt = pkt->next) {
		const uint8_t *p;
		uint32_t n;

		if (off >= pkt->len) {
			off -= pkt->len;
			continue;
		}
		p = us_pkt_data(pkt) + off;
		n = pkt->len - off;
		if (n > len)
			n = len;
		off = 0;
		len -= n;
		if (odd) {
			/* The previous buffer ended mid-word: this byte is the low half. */
			sum += p[0];
			p++;
			n--;
			odd = 0;
		}
		sum = us_cksum_add(sum, p, n);
		if (n & 1)
			odd = 1;
	}
	return sum;
}

uint64_t
us_cksum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
	return (uint64_t)(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
	       len;
}

uint64_t
us_cksum_pseudo6(const struct us_in6 *src, const struct us_in6 *dst, uint8_t proto, uint32_t len)
{
	uint64_t s = us_cksum_add(0, src->b, 16);

	s = us_cksum_add(s, dst->b, 16);
	return s + (len >> 16) + (len & 0xffff) + proto;
}

int
us_ip4_hdr_check(const uint8_t *p, uint32_t caplen)
{
	uint32_t hlen, tlen, i;

	if (caplen < US_IP4_HLEN)
		return US_IP4E_SHORT;
	if ((p[US_IP4_VHL] >> 4) != 4)
		return US_IP4E_VERSION;
	hlen = (uint32_t)(p[US_IP4_VHL] & 0xf) * 4;
	if (hlen < US_IP4_HLEN || hlen > caplen)
		return US_IP4E_HLEN;
	tlen = us_get16(p + US_IP4_LEN);
	if (tlen < hlen || tlen > caplen)
		return US_IP4E_LEN;
	if ((hlen == US_IP4_HLEN ? us_cksum_hdr20(p) : us_cksum_fold(us_cksum_add(0, p, hlen))) != 0)
		return US_IP4E_SUM;
	/* RFC 791 3.1: walk the options so a bad length is caught, not trusted later. */
	for (i = US_IP4_HLEN; i < hlen;) {
		uint8_t type = p[i];

		if (type == 0)	/* end of option list */
			break;
		if (type == 1) {	/* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= hlen || p[i + 1] < 2 || i + p[i + 1] > hlen)
			return US_IP4E_OPT;
		i += p[i + 1];
	}
	return (int)hlen;
}
