/*
 * wire.h - wire formats: byte-order accessors, header sizes and field
 * offsets for Ethernet, ARP, IPv4, IPv6, ICMP, ICMPv6 and UDP, and the Internet checksum
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

/* TCP (RFC 9293): the fixed header */
#define US_TCP_HLEN	20

/* UDP (RFC 768) */
#define US_UDP_HLEN	8
#define US_UDP_SPORT	0
#define US_UDP_DPORT	2
#define US_UDP_LEN	4
#define US_UDP_SUM	6

/* IPv6 (RFC 8200) */
#define US_IP6_HLEN	40
#define US_IP6_VTCFL	0	/* version 4 bits, traffic class 8, flow label 20 */
#define US_IP6_PLEN	4	/* payload length */
#define US_IP6_NXT	6	/* next header */
#define US_IP6_HLIM	7	/* hop limit */
#define US_IP6_SRC	8
#define US_IP6_DST	24
#define US_IP6_MINMTU	1280	/* RFC 8200 5: every link carries this */
#define US_IP6_DEFHLIM	64
/* Extension headers and upper layers by Next Header value. */
#define US_IPPROTO_HOPOPTS	0
#define US_IPPROTO_ROUTING	43
#define US_IPPROTO_FRAGMENT	44
#define US_IPPROTO_ICMPV6	58
#define US_IPPROTO_NONE		59
#define US_IPPROTO_DSTOPTS	60
/* Fragment header (RFC 8200 4.5): next, reserved, offset|res|M, identification. */
#define US_IP6_FRAG_LEN		8
#define US_IP6_FRAG_OFF		2
#define US_IP6_FRAG_ID		4
#define US_IP6_FRAG_MF		0x0001
#define US_IP6_FRAG_OFFMASK	0xfff8

/* ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861), MLDv2 (RFC 3810) */
#define US_ICMP6_HLEN	8
#define US_ICMP6_UNREACH	1
#define US_ICMP6_PKTTOOBIG	2
#define US_ICMP6_TIMXCEED	3
#define US_ICMP6_PARAMPROB	4
#define US_ICMP6_ECHO		128
#define US_ICMP6_ECHOREPLY	129
#define US_ICMP6_MLD_QUERY	130
#define US_ICMP6_MLD_REPORT	131
#define US_ICMP6_MLD_DONE	132
#define US_ICMP6_ND_RS		133
#define US_ICMP6_ND_RA		134
#define US_ICMP6_ND_NS		135
#define US_ICMP6_ND_NA		136
#define US_ICMP6_ND_REDIRECT	137
#define US_ICMP6_MLD2_REPORT	143
#define US_ICMP6_UNREACH_NOROUTE	0
#define US_ICMP6_UNREACH_ADDR	3
#define US_ICMP6_UNREACH_PORT	4
#define US_ICMP6_TIMXCEED_REASS	1
#define US_ICMP6_PARAM_HDR	0	/* erroneous header field */
#define US_ICMP6_PARAM_NXT	1	/* unrecognized Next Header */
#define US_ICMP6_PARAM_OPT	2	/* unrecognized option */
#define US_ICMP6_PARAM_CHAIN	3	/* first fragment lacks the header chain (RFC 7112) */
/* ND options (RFC 4861 4.6), in units of 8 bytes */
#define US_ND_OPT_SLLA		1	/* source link-layer address */
#define US_ND_OPT_TLLA		2	/* target link-layer address */
#define US_ND_OPT_PREFIX	3	/* prefix information */
#define US_ND_OPT_MTU		5

/* An IPv6 address, in network byte order as on the wire. */
struct us_in6 {
	uint8_t b[16];
};

static inline int
us_in6_eq(const struct us_in6 *a, const struct us_in6 *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

static inline int
us_in6_is_unspec(const struct us_in6 *a)
{
	static const struct us_in6 z;

	return us_in6_eq(a, &z);
}

static inline int
us_in6_is_multicast(const struct us_in6 *a)
{
	return a->b[0] == 0xff;
}

static inline int
us_in6_is_linklocal(const struct us_in6 *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

static inline int
us_in6_is_loopback(const struct us_in6 *a)
{
	static const struct us_in6 lo = { { [15] = 1 } };

	return us_in6_eq(a, &lo);
}

/* ::ffff:a.b.c.d (RFC 4291 2.5.5.2): how an AF_INET6 socket names an IPv4 peer. */
static inline int
us_in6_is_v4mapped(const struct us_in6 *a)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a->b, pfx, 12) == 0;
}

static inline uint32_t
us_in6_v4(const struct us_in6 *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
	       a->b[15];
}

static inline void
us_in6_from_v4(struct us_in6 *a, uint32_t v4)
{
	memset(a->b, 0, 10);
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = v4 >> 24;
	a->b[13] = (v4 >> 16) & 0xff;
	a->b[14] = (v4 >> 8) & 0xff;
	a->b[15] = v4 & 0xff;
}

/* The solicited-node multicast group of a (RFC 4291 2.7.1): ff02::1:ffXX:XXXX. */
static inline void
us_in6_solicited(struct us_in6 *g, const struct us_in6 *a)
{
	memset(g->b, 0, 16);
	g->b[0] = 0xff;
	g->b[1] = 0x02;
	g->b[11] = 0x01;
	g->b[12] = 0xff;
	memcpy(g->b + 13, a->b + 13, 3);
}

/* The Ethernet address of an IPv6 multicast group (RFC 2464 7): 33:33 and its low 32 bits. */
static inline void
us_in6_mcast_mac(uint8_t mac[6], const struct us_in6 *g)
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, g->b + 12, 4);
}

/* Does a share its first plen bits with p? */
static inline int
us_in6_prefix_eq(const struct us_in6 *a, const struct us_in6 *p, unsigned plen)
{
	unsigned n = plen / 8, r = plen % 8;

	if (plen > 128 || memcmp(a->b, p->b, n) != 0)
		return 0;
	return r == 0 || ((a->b[n] ^ p->b[n]) & (uint8_t)(0xff << (8 - r))) == 0;
}

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
/* The IPv6 pseudo-header sum (RFC 8200 8.1). */
uint64_t us_cksum_pseudo6(const struct us_in6 *src, const struct us_in6 *dst, uint8_t proto,
			  uint32_t len);

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
