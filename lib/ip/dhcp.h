/*
 * dhcp.h - the DHCPv4 client (RFC 2131, options RFC 2132) that gives the
 * stack its IPv4 address when USOCK_IPV4=dhcp.  It runs inside the stack
 * like any protocol: its own timers, its messages over UDP port 68 straight
 * from us_udp_input, ARP probes of the offered address (RFC 5227).
 */
#ifndef US_DHCP_H
#define US_DHCP_H

#include <stdint.h>

#include "usock_build_config.h"
#include "../pkt/pkt.h"

struct us_stack;
struct us_pkt;

/* Client states (RFC 2131 4.4, Figure 5), and PROBING for the ARP check. */
#define US_DHCP_OFF		0	/* not configured by DHCP */
#define US_DHCP_INIT		1	/* about to send DHCPDISCOVER */
#define US_DHCP_SELECTING	2	/* DHCPDISCOVER sent, waiting for an offer */
#define US_DHCP_REQUESTING	3	/* DHCPREQUEST for an offer sent, waiting for ACK */
#define US_DHCP_PROBING		4	/* ACKed: checking with ARP that nobody has it */
#define US_DHCP_BOUND		5	/* the address is ours until T1 */
#define US_DHCP_RENEWING	6	/* past T1: asking our server */
#define US_DHCP_REBINDING	7	/* past T2: asking any server */
#define US_DHCP_DECLINED	8	/* the offer was in use: waiting before starting over */

#define US_DHCP_MAXDNS	4	/* DNS servers kept from option 6 */

/* What a server's message says (the fields the client uses). */
struct us_dhcp_msg {
	uint8_t type;		/* option 53: DHCPOFFER, DHCPACK, ... */
	uint8_t chaddr[6];	/* client hardware address */
	uint32_t xid;		/* transaction ID */
	uint32_t yiaddr;	/* "your" address, host order */
	uint32_t server;	/* option 54 server identifier, 0: none */
	uint32_t mask;		/* option 1, 0: none */
	uint32_t router;	/* option 3 (the first), 0: none */
	uint32_t lease;		/* option 51 seconds, 0: none */
	uint32_t t1;		/* option 58 seconds, 0: none */
	uint32_t t2;		/* option 59 seconds, 0: none */
	uint32_t dns[US_DHCP_MAXDNS];	/* option 6 */
	uint8_t ndns;		/* how many */
};

#define US_DHCP_DISCOVER	1
#define US_DHCP_OFFER		2
#define US_DHCP_REQUEST		3
#define US_DHCP_DECLINE		4
#define US_DHCP_ACK		5
#define US_DHCP_NAK		6
#define US_DHCP_RELEASE		7

#define US_DHCP_SERVER_PORT	67
#define US_DHCP_CLIENT_PORT	68

/*
 * Parses a BOOTREPLY (the UDP payload, len bytes): fixed fields, the magic
 * cookie, options (with option overload into file and sname, RFC 2132
 * 9.3).  Returns 0, or -1 for anything malformed or not a DHCP reply.
 */
int us_dhcp_parse(const uint8_t *p, uint32_t len, struct us_dhcp_msg *m);

#if US_HAVE_DHCP
/* Starts the client (USOCK_IPV4=dhcp): DHCPDISCOVER after a short random delay. */
void us_dhcp_start(struct us_stack *st);
/* At exit: releases a lease we hold (DHCPRELEASE, RFC 2131 4.4.6). */
void us_dhcp_stop(struct us_stack *st);
/* A datagram for UDP port 68 (data at its payload); consumes pkt. */
void us_dhcp_input(struct us_stack *st, struct us_pkt *pkt);
/* An ARP message seen while probing (sender and target protocol addresses, sender MAC). */
void us_dhcp_arp_seen(struct us_stack *st, uint32_t spa, uint32_t tpa, const uint8_t *sha);
void us_dhcp_timer(struct us_stack *st, uint64_t now);
uint64_t us_dhcp_deadline(const struct us_stack *st);
/* Is there an address to use (bound, renewing or rebinding)? */
int us_dhcp_has_lease(const struct us_stack *st);
#else
/*
 * A build without the client (-Ddhcp=false) refuses USOCK_IPV4=dhcp, so
 * the client never runs: its state stays US_DHCP_OFF and these do nothing.
 */
static inline void us_dhcp_start(struct us_stack *st) { (void)st; }
static inline void us_dhcp_stop(struct us_stack *st) { (void)st; }
static inline void us_dhcp_input(struct us_stack *st, struct us_pkt *pkt) { us_pkt_free(pkt); }
static inline void
us_dhcp_arp_seen(struct us_stack *st, uint32_t spa, uint32_t tpa, const uint8_t *sha)
{
}
static inline void us_dhcp_timer(struct us_stack *st, uint64_t now) { (void)st; }
static inline uint64_t us_dhcp_deadline(const struct us_stack *st) { return UINT64_MAX; }
static inline int us_dhcp_has_lease(const struct us_stack *st) { return 0; }
#endif

#endif /* US_DHCP_H */
