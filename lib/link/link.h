/*
 * link.h - the link layer: Ethernet II framing, ARP (RFC 826) and IPv6
 * neighbour discovery (RFC 4861).
 */
#ifndef US_LINK_H
#define US_LINK_H

#include <stdint.h>

struct us_stack;
struct us_pkt;
struct us_in6;
struct us_ip6_addr;

#define US_ARP_FREE		0	/* slot unused */
#define US_ARP_INCOMPLETE	1	/* request sent, no answer yet */
#define US_ARP_REACHABLE	2	/* answer fresh */
#define US_ARP_STALE		3	/* answer old: used, refreshed on next use */
#define US_ARP_PROBE		4	/* refreshing a stale entry */

/* Parses one received frame and hands it up; consumes pkt. */
void us_eth_input(struct us_stack *st, struct us_pkt *pkt);
/* Prepends an Ethernet header and queues the frame; consumes pkt. */
void us_eth_output(struct us_stack *st, struct us_pkt *pkt, const uint8_t dst[6],
		   uint16_t type);

int us_arp_init(struct us_stack *st, uint32_t size);
void us_arp_fini(struct us_stack *st);
/* Handles one ARP message (data at the ARP header); consumes pkt. */
void us_arp_input(struct us_stack *st, struct us_pkt *pkt);
/*
 * Sends an IPv4 packet to the neighbour nexthop, resolving it first if
 * needed (the packet waits in a bounded queue).  Consumes pkt.  Returns 0,
 * or -ENOBUFS when the packet was dropped.
 */
int us_arp_output(struct us_stack *st, struct us_pkt *pkt, uint32_t nexthop);
void us_arp_timer(struct us_stack *st, uint64_t now);
/* Records ip -> mac as just learnt (DHCP: its server's, from the ACK, for the release). */
void us_arp_note(struct us_stack *st, uint32_t ip, const uint8_t mac[6]);
/* Sends an ARP probe for ip (RFC 5227 2.1.1: our sender address zero). */
void us_arp_probe(struct us_stack *st, uint32_t ip);
/* Sends a gratuitous ARP request announcing our address. */
void us_arp_announce(struct us_stack *st);
/* Copies the MAC of ip if known and usable; returns 0 or -ENOENT. */
int us_arp_lookup(const struct us_stack *st, uint32_t ip, uint8_t mac[6]);

/* IPv6 neighbour cache states (RFC 4861 7.3.2). */
#define US_ND_FREE		0	/* slot unused */
#define US_ND_INCOMPLETE	1	/* solicitation sent, no answer yet */
#define US_ND_REACHABLE		2	/* confirmed recently */
#define US_ND_STALE		3	/* not confirmed lately: used, checked on next use */
#define US_ND_DELAY		4	/* used while stale: waiting for upper-layer hints */
#define US_ND_PROBE		5	/* unicast solicitations to confirm */

/*
 * Neighbour discovery (nd6.c, RFC 4861), address autoconfiguration and
 * duplicate address detection (RFC 4862), and the MLDv2 reports (RFC 3810)
 * for our solicited-node groups.
 */
int us_nd6_init(struct us_stack *st, uint32_t size);
void us_nd6_fini(struct us_stack *st);
/* Starts DAD on our addresses, router solicitation (SLAAC) and MLD reports. */
void us_nd6_start(struct us_stack *st);
/* Handles an ND or MLD message (data at the ICMPv6 header, checksum checked); consumes pkt. */
void us_nd6_input(struct us_stack *st, struct us_pkt *pkt);
/*
 * Sends an IPv6 packet (data at the IPv6 header) to the neighbour nexthop,
 * resolving it first if needed, or to a multicast group.  Consumes pkt.
 * Returns 0, or -ENOBUFS when the packet was dropped.
 */
int us_nd6_output(struct us_stack *st, struct us_pkt *pkt, const struct us_in6 *nexthop);
/* The next hop towards dst: itself on link, else the default router; -ENETUNREACH. */
int us_nd6_route(const struct us_stack *st, const struct us_in6 *dst, struct us_in6 *nexthop);
/* Starts DAD for one address (us_ip6_addr_add calls it). */
void us_nd6_dad_start(struct us_stack *st, struct us_ip6_addr *a);
/* Upper-layer reachability confirmation (RFC 4861 7.3.1): TCP saw new data acked. */
void us_nd6_confirm(struct us_stack *st, const struct us_in6 *neighbour);
/* Copies the MAC of ip if known and usable; returns 0 or -ENOENT. */
int us_nd6_lookup(const struct us_stack *st, const struct us_in6 *ip, uint8_t mac[6]);
void us_nd6_timer(struct us_stack *st, uint64_t now);
uint64_t us_nd6_deadline(const struct us_stack *st);

#endif /* US_LINK_H */
