/*
 * ip6.h - IPv6 (RFC 8200): our addresses, input with its extension
 * headers, output and fragments, and ICMPv6 (RFC 4443).  Neighbour
 * discovery, which IPv6 output asks, is in link.h.
 */
#ifndef US_IP6_H
#define US_IP6_H

#include <stdint.h>

#include <errno.h>

#include "usock_build_config.h"
#include "../pkt/pkt.h"
#include "../wire/wire.h"
#include "ip4.h"

struct us_stack;
struct us_pkt;

/* Address states (RFC 4862 5.5). */
#define US_IP6A_FREE		0	/* slot unused */
#define US_IP6A_TENTATIVE	1	/* duplicate address detection running: not used yet */
#define US_IP6A_PREFERRED	2	/* in use */
#define US_IP6A_DEPRECATED	3	/* preferred lifetime over: kept for what uses it */
#define US_IP6A_DUPLICATE	4	/* another node has it: never used */

/* us_ip6_output/us_ip6_send options. */
#define US_IP6_SEND_L4HW	0x1	/* the link completes the L4 checksum */
#define US_IP6_SEND_RALERT	0x2	/* a Hop-by-Hop Router Alert option (MLD, RFC 2711) */
#define US_IP6_SEND_NOFRAG	0x4	/* never fragment: -EMSGSIZE above the path MTU */
#define US_IP6_SEND_ONLINK	0x10	/* dst is a neighbour: no routing (ND's own unicasts, RFC 4861 7.2.4) */
#define US_IP6_SEND_SRC_UNSPEC	0x8	/* send from :: as given, no source selection (DAD, RFC 4862 5.4.2) */

int us_ip6_init(struct us_stack *st);
void us_ip6_fini(struct us_stack *st);
/* Starts IPv6 on a running link: link-local and configured addresses, DAD, RS, MLD. */
void us_ip6_start(struct us_stack *st);

/* Checks, walks extension headers, reassembles and dispatches one datagram; consumes pkt. */
void us_ip6_input(struct us_stack *st, struct us_pkt *pkt);


/* Our slot holding a in any state, or NULL. */
struct us_ip6_addr *us_ip6_addr_find(struct us_stack *st, const struct us_in6 *a);
/* Adds an address (DAD starts at once unless dad is 0); returns the slot or NULL when full. */
struct us_ip6_addr *us_ip6_addr_add(struct us_stack *st, const struct us_in6 *a, uint8_t plen,
				    int autoconf, int dad);
/* Is a a multicast group we listen to (all-nodes, our solicited-node groups)? */
int us_ip6_in_group(const struct us_stack *st, const struct us_in6 *g);
/* Lowers the path MTU towards dst (Packet Too Big); never below 1280. */
void us_ip6_pmtu_update(struct us_stack *st, const struct us_in6 *dst, uint32_t mtu);
/*
 * Walks the header chain of the datagram whose first len bytes are at ip
 * (lengths only, no options).  Returns the offset of the upper-layer
 * header and its protocol in *proto, or -1 if the chain runs past len or
 * the datagram is a later fragment (no upper-layer header in it).
 */
int us_ip6_upper(const uint8_t *ip, uint32_t len, uint8_t *proto);
/* Formats a (RFC 5952) into buf (at least 46 bytes); returns buf. */
char *us_in6_ntop(const struct us_in6 *a, char *buf);

void us_ip6_timer(struct us_stack *st, uint64_t now);
uint64_t us_ip6_deadline(const struct us_stack *st);

/* Fragment reassembly (ip6_frag.c). */
int us_ip6_reass_init(struct us_stack *st, uint32_t nslots, uint32_t limit);
void us_ip6_reass_fini(struct us_stack *st);
/*
 * Adds a fragment: data at the fragment header, the unfragmentable part
 * (unfrag bytes, its last Next Header pointing at the fragment header)
 * before it, addresses in pkt.  Consumes pkt; returns the whole datagram
 * once complete as a chain, else NULL: data just after the first
 * fragment's Fragment header, l3_len the bytes from the IPv6 header to
 * there, ip_proto the Fragment header's Next Header (further extension
 * headers, if any, are still to be walked).
 */
struct us_pkt *us_ip6_reass(struct us_stack *st, struct us_pkt *pkt, uint32_t unfrag);
void us_ip6_reass_timer(struct us_stack *st, uint64_t now);
uint64_t us_ip6_reass_deadline(const struct us_stack *st);

/* ICMPv6 (icmp6.c). */
/* Handles one message (data at the ICMPv6 header, chain); consumes pkt. */
void us_icmp6_input(struct us_stack *st, struct us_pkt *pkt);
/*
 * Sends an ICMPv6 message whose header and body are in pkt (checksum field
 * anything; it is filled in here).  src NULL picks ours; an unspecified
 * src is sent as :: (DAD).  Consumes pkt.  Returns what us_ip6_output does.
 */
int us_icmp6_output(struct us_stack *st, struct us_pkt *pkt, const struct us_in6 *src,
		    const struct us_in6 *dst, uint8_t hlim, unsigned opts);

/* What TCP, UDP and the socket layer ask of IPv6. */
#if US_HAVE_IPV6
/*
 * Sends the L4 datagram in pkt (one buffer, within the path MTU) from src
 * to dst; src NULL or unspecified picks ours (RFC 6724) unless
 * US_IP6_SEND_SRC_UNSPEC.  Consumes pkt.  Returns 0, -ENETUNREACH,
 * -EADDRNOTAVAIL or -ENOBUFS.
 */
int us_ip6_output(struct us_stack *st, struct us_pkt *pkt, const struct us_in6 *src,
		  const struct us_in6 *dst, uint8_t proto, uint8_t tclass, uint8_t hlim,
		  unsigned opts);
/*
 * Sends the datagram gathered from iov, fragmenting it above the path MTU
 * (RFC 8200 4.5).  Borrows iov.  Returns 0, -EMSGSIZE, -ENETUNREACH,
 * -EADDRNOTAVAIL or -ENOBUFS.
 */
int us_ip6_send(struct us_stack *st, const struct us_in6 *src, const struct us_in6 *dst,
		uint8_t proto, uint8_t tclass, uint8_t hlim, unsigned opts,
		const struct us_iov *iov, int niov);
/* Our source address for talking to dst (RFC 6724 5, reduced); -EADDRNOTAVAIL if none. */
int us_ip6_select_src(const struct us_stack *st, const struct us_in6 *dst, struct us_in6 *src);
/* Is a one of our usable unicast addresses (not tentative or duplicate)? */
int us_ip6_is_ours(const struct us_stack *st, const struct us_in6 *a);
/* The path MTU towards dst. */
uint32_t us_ip6_path_mtu(const struct us_stack *st, const struct us_in6 *dst);
/* The hop limit for unicast we originate. */
uint8_t us_ip6_hlim(const struct us_stack *st);
/*
 * Sends an ICMPv6 error about the datagram in orig (data at its upper-layer
 * header, the IPv6 header l3_len bytes before it), rate limited, never
 * about an error or a multicast (RFC 4443 2.4(e)) unless allowed.  Borrows orig.
 */
void us_icmp6_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type, uint8_t code,
		    uint32_t param);
#else
/*
 * A build without IPv6 (-Dipv6=false) has no AF_INET6 socket and takes in
 * no IPv6 frame, so these are only reached with nothing to do: no address
 * of ours, no route, nothing sent.
 */
static inline int
us_ip6_output(struct us_stack *st, struct us_pkt *pkt, const struct us_in6 *src,
	      const struct us_in6 *dst, uint8_t proto, uint8_t tclass, uint8_t hlim, unsigned opts)
{
	us_pkt_free(pkt);
	return -ENETUNREACH;
}

static inline int
us_ip6_send(struct us_stack *st, const struct us_in6 *src, const struct us_in6 *dst,
	    uint8_t proto, uint8_t tclass, uint8_t hlim, unsigned opts, const struct us_iov *iov,
	    int niov)
{
	return -ENETUNREACH;
}

static inline int
us_ip6_select_src(const struct us_stack *st, const struct us_in6 *dst, struct us_in6 *src)
{
	return -EADDRNOTAVAIL;
}

static inline int
us_ip6_is_ours(const struct us_stack *st, const struct us_in6 *a)
{
	return 0;
}

static inline uint32_t
us_ip6_path_mtu(const struct us_stack *st, const struct us_in6 *dst)
{
	return US_IP6_MINMTU;
}

static inline uint8_t
us_ip6_hlim(const struct us_stack *st)
{
	return US_IP6_DEFHLIM;
}

static inline void
us_icmp6_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type, uint8_t code,
	       uint32_t param)
{
}
#endif /* US_HAVE_IPV6 */

#endif /* US_IP6_H */
