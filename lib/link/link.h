/*
 * link.h - the link layer: Ethernet II framing and ARP (RFC 826).
 */
#ifndef US_LINK_H
#define US_LINK_H

#include <stdint.h>

struct us_stack;
struct us_pkt;

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
/* Sends a gratuitous ARP request announcing our address. */
void us_arp_announce(struct us_stack *st);
/* Copies the MAC of ip if known and usable; returns 0 or -ENOENT. */
int us_arp_lookup(const struct us_stack *st, uint32_t ip, uint8_t mac[6]);

#endif /* US_LINK_H */
