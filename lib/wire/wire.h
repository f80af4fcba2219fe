/*
 * wire.h - wire formats: byte-order accessors, header sizes and field
 * offsets for Ethernet, ARP, IPv4, ICMP and UDP, and the Internet checksum
 * (RFC 1071).  Protocol code reads and writes headers only through these.
 */
#ifndef US_WIRE_H
#define US_WIRE_H

#include <stdint.h>
#include <string.h>

struct us_pkt;

static inline uint16_t
us_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
us_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
us_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
us_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* Ethernet II */
#define US_ETH_ALEN	6
#define US_ETH_HLEN	14
#define US_ETH_DST	0
#define US_ETH_SRC	6
#define US_ETH_TYPE	12
#define US_ETHERTYPE_IPV4	0x0800
#define US_ETHERTYPE_ARP	0x0806
#define US_ETHERTYPE_VLAN	0x8100
#define US_ETHERTYPE_IPV6	0x86dd

/* ARP for IPv4 over Ethernet (RFC 826) */
#define US_ARP_LEN	28
#define US_ARP_HTYPE	0
#define US_ARP_PTYPE	2
#define US_ARP_HLEN	4
#define US_ARP_PLEN	5
#define US_ARP_OP	6
#define US_ARP_SHA	8
#define US_ARP_SPA	14
#define US_ARP_THA	18
#define US_ARP_TPA	24
#define US_ARP_REQUEST	1
#define US_ARP_REPLY	2

/* IPv4 (RFC 791) */
#define US_IP4_HLEN	20
#define US_IP4_VHL	0
#define US_IP4_TOS	1
#define US_IP4_LEN	2
#define US_IP4_ID	4
#define US_IP4_FRAG	6
#define US_IP4_TTL	8
#define US_IP4_PROTO	9
#define US_IP4_SUM	10
#define US_IP4_SRC	12
#define US_IP4_DST	16
#define US_IP4_RF	0x8000	/* reserved fragment flag: must be zero */
#define US_IP4_DF	0x4000
#define US_IP4_MF	0x2000
#define US_IP4_OFFMASK	0x1fff
#define US_IP4_MAXPACKET	65535
#define US_IP4_BCAST	0xffffffffu

#define US_IPPROTO_ICMP	1
#define US_IPPROTO_TCP	6
#define US_IPPROTO_UDP	17

/* ICMP (RFC 792) */
#define US_ICMP_HLEN	8
#define US_ICMP_TYPE	0
#define US_ICMP_CODE	1
#define US_ICMP_SUM	2
#define US_ICMP_ECHOREPLY	0
#define US_ICMP_UNREACH		3
#define US_ICMP_SOURCEQUENCH	4
#define US_ICMP_ECHO		8
#define US_ICMP_TIMXCEED	11
#define US_ICMP_PARAMPROB	12
#define US_ICMP_UNREACH_NET	0
#define US_ICMP_UNREACH_HOST	1
#define US_ICMP_UNREACH_PROTOCOL	2
#define US_ICMP_UNREACH_PORT	3
#define US_ICMP_UNREACH_NEEDFRAG	4

/* UDP (RFC 768) */
#define US_UDP_HLEN	8
#define US_UDP_SPORT	0
#define US_UDP_DPORT	2
#define US_UDP_LEN	4
#define US_UDP_SUM	6

static inline int
us_eth_is_bcast(const uint8_t *mac)
{
	static const uint8_t b[US_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return memcmp(mac, b, US_ETH_ALEN) == 0;
}

static inline int
us_ip4_is_multicast(uint32_t a)
{
	return (a >> 28) == 0xe;
}

/* One's-complement sum of len bytes added to sum (not folded). */
uint64_t us_cksum_add(uint64_t sum, const void *data, size_t len);
/* The version of the bulk sum in use ("avx2", "neon", "generic"); tests pick one by name. */
const char *us_cksum_impl(void);
/* Uses that version if this CPU has it: 0, or -1. */
int us_cksum_use(const char *name);
/* Folds a sum to 16 bits and complements it: the value for a checksum field. */
uint16_t us_cksum_fold(uint64_t sum);

/*
 * The checksum field of an option-less IPv4 header (its own field zero),
 * or 0 from us_cksum_fold when checking one with the field in place: five
 * 32-bit words summed in the host's order (RFC 1071 2(B)), then folded.
 */
static inline uint16_t
us_cksum_hdr20(const uint8_t *h)
{
	uint32_t w[5];
	uint64_t s;

	memcpy(w, h, sizeof(w));
	s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = (uint16_t)(s << 8 | s >> 8);
#endif
	return (uint16_t)~s;
}
/* Sum over len bytes of a chain from off; handles odd-length buffers. */
uint64_t us_cksum_chain(uint64_t sum, const struct us_pkt *pkt, uint32_t off, uint32_t len);
/* The IPv4 pseudo-header sum (RFC 768, RFC 9293 3.1). */
uint64_t us_cksum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);

/*
 * Checks an IPv4 header at p with caplen bytes available.  Returns the
 * header length, or a negative US_IP4E_* reason.
 */
enum {
	US_IP4E_SHORT = -1,	/* fewer bytes than a header */
	US_IP4E_VERSION = -2,	/* version is not 4 */
	US_IP4E_HLEN = -3,	/* IHL below 5 or past the data */
	US_IP4E_LEN = -4,	/* total length below IHL or past the data */
	US_IP4E_SUM = -5,	/* header checksum */
	US_IP4E_OPT = -6,	/* malformed options */
};
int us_ip4_hdr_check(const uint8_t *p, uint32_t caplen);

#endif /* US_WIRE_H */
