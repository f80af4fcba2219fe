/*
 * cksum.c - the Internet checksum (RFC 1071) over flat buffers and packet
 * chains, and the IPv4 header check that every received datagram passes.
 */
#include <string.h>

#include "wire.h"
#include "../pkt/pkt.h"

uint64_t
us_cksum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0, w, x;

	/*
	 * RFC 1071 2(B): the sum is the same in either byte order once folded
	 * and swapped, so the bulk is summed 8 bytes at a time in the host's
	 * order (two 32-bit lanes into a 64-bit accumulator: no carry is lost
	 * for 2^32 words), then folded and put in network order.
	 */
#ifdef __SIZEOF_INT128__
	{
		/* 64-bit words with the carries kept in the high half: add, add-with-carry. */
		unsigned __int128 a128 = 0;

		while (len >= 32) {
			memcpy(&w, p, 8);
			a128 += w;
			memcpy(&x, p + 8, 8);
			a128 += x;
			memcpy(&w, p + 16, 8);
			a128 += w;
			memcpy(&x, p + 24, 8);
			a128 += x;
			p += 32;
			len -= 32;
		}
		/* Fold 128 -> 64 -> lanes of 32 into acc (end-around carries preserved). */
		w = (uint64_t)a128;
		x = (uint64_t)(a128 >> 64);
		acc += (w & 0xffffffffu) + (w >> 32) + (x & 0xffffffffu) + (x >> 32);
	}
#else
	while (len >= 32) {
		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		memcpy(&x, p + 8, 8);
		acc += (x & 0xffffffffu) + (x >> 32);
		memcpy(&w, p + 16, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		memcpy(&x, p + 24, 8);
		acc += (x & 0xffffffffu) + (x >> 32);
		p += 32;
		len -= 32;
	}
#endif
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
	if (us_cksum_fold(us_cksum_add(0, p, hlen)) != 0)
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
