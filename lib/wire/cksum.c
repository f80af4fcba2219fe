/*
 * cksum.c - the Internet checksum (RFC 1071) over flat buffers and packet
 * chains, and the IPv4 header check that every received datagram passes.
 */
#include "wire.h"
#include "../pkt/pkt.h"

uint64_t
us_cksum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	/* Big-endian 16-bit words; 32 bits at a time keeps the loop short. */
	while (len >= 4) {
		sum += us_get32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
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
