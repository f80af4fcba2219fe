/*
 * stack.h - struct us_stack: one instance of the whole stack.  Protocol
 * code gets the stack and the time as arguments and keeps no other state,
 * so two stacks can share a process and a test can drive virtual time.
 */
#ifndef US_STACK_H
#define US_STACK_H

#include <stdint.h>

#include "../../drivers/driver.h"
#include "../pkt/pkt.h"
#include "config.h"
#include "stats.h"
#include "../tcp/tcp.h"

struct us_sock;
struct us_stack;

#define US_TX_BURST	64

/*
 * What a neighbour cache entry, ARP's or ND's, holds for the code both
 * share (lib/link/neigh.c).  An entry begins with it, and has its address
 * (the key) right after it.
 */
struct us_neigh {
	uint8_t state;		/* the protocol's US_ARP_* or US_ND_*; 0: slot free, 1: resolving */
	uint8_t npend;		/* packets waiting */
	uint8_t mac[6];		/* link address, once resolved */
	uint64_t timer;		/* next retry or state change */
	struct us_pkt *pend;	/* packets waiting for the address, by qnext */
};

/* One ARP cache entry (RFC 826, with Linux-like aging). */
struct us_arp_entry {
	union {
		struct us_neigh n;	/* state, MAC (valid past INCOMPLETE), timer, waiting packets */
		uint8_t state;		/* n.state: US_ARP_* */
	};
	uint32_t ip;		/* protocol address, host order */
	uint8_t tries;		/* requests sent in this resolution */
};

struct us_arp {
	struct us_arp_entry *tab;	/* the cache, open addressing */
	uint32_t size;		/* entries (power of two) */
	uint32_t npend;		/* packets waiting across all entries */
	uint64_t next_timer;	/* earliest timer of any entry */
};

/* What names a datagram under reassembly; zeroed before it is filled, so memcmp compares. */
struct us_reass_key {
	union {
		struct {
			uint32_t src;	/* source */
			uint32_t dst;	/* destination */
			uint16_t id;	/* identification */
			uint8_t proto;	/* protocol */
		} v4;		/* RFC 791 3.2 */
		struct {
			struct us_in6 src;	/* source */
			struct us_in6 dst;	/* destination */
			uint32_t id;	/* identification */
		} v6;		/* RFC 8200 4.5 */
	};
};

/* One datagram under reassembly, IPv4 or IPv6 (lib/ip/ip_subr.c keeps the tables). */
struct us_reass {
	struct us_reass_key key;	/* which datagram */
	uint8_t used;		/* slot in use */
	uint8_t have_last;	/* the fragment without more-fragments arrived */
	uint8_t nxt;		/* IPv6: Next Header of the first fragment's fragmentable part */
	uint16_t unfrag_len;	/* IPv6: bytes of the first fragment's unfragmentable part */
	uint32_t total;		/* payload length once have_last */
	uint32_t bytes;		/* payload bytes held */
	uint32_t nfrags;	/* fragments held */
	uint64_t expire;	/* timeout */
	struct us_pkt *frags;	/* fragments in offset order, linked by next */
};

/* The datagrams one IP version is reassembling, under a byte limit. */
struct us_reass_tab {
	struct us_reass *slots;	/* reassembly slots */
	uint32_t n;		/* slots */
	uint32_t bytes;		/* payload bytes held in all slots */
	uint32_t limit;		/* most payload bytes held at once */
};

struct us_ip4 {
	struct us_reass_tab reass;	/* datagrams under reassembly */
	uint16_t id;		/* next identification */
};

struct us_icmp {
	uint64_t tokens_at;	/* when the bucket was last filled */
	uint32_t tokens;	/* error messages allowed now */
};

/* One of our IPv6 addresses (RFC 4862). */
struct us_ip6_addr {
	struct us_in6 addr;	/* the address */
	uint8_t plen;		/* its prefix length (on-link prefix) */
	uint8_t state;		/* US_IP6A_*; FREE: slot unused */
	uint8_t autoconf;	/* made by SLAAC from a router's prefix */
	uint8_t dad_left;	/* DAD solicitations still to send */
	uint64_t dad_timer;	/* next DAD solicitation, or the end of DAD; 0: none */
	uint64_t preferred;	/* end of the preferred lifetime (UINT64_MAX: forever) */
	uint64_t valid;		/* end of the valid lifetime (UINT64_MAX: forever) */
};

/* One neighbour cache entry (RFC 4861 7.3.2). */
struct us_nd_entry {
	union {
		struct us_neigh n;	/* state, link address (valid past INCOMPLETE), timer, waiting packets */
		uint8_t state;		/* n.state: US_ND_* */
	};
	struct us_in6 ip;	/* the neighbour */
	uint8_t tries;		/* solicitations sent in this state */
	uint8_t router;		/* IsRouter */
};

/* An on-link prefix a router advertised (RFC 4861 6.3.4). */
struct us_nd_prefix {
	struct us_in6 prefix;	/* the prefix */
	uint8_t plen;		/* its length; 0: slot free */
	uint64_t valid;		/* end of its on-link lifetime */
};

#define US_ND_NPREFIX	4	/* on-link prefixes kept from advertisements */

/* Neighbour discovery: the cache, the default router, the prefixes, MLD. */
struct us_nd {
	struct us_nd_entry *tab;	/* the cache, open addressing */
	uint32_t size;		/* entries (power of two) */
	uint32_t npend;		/* packets waiting across all entries */
	uint64_t next_timer;	/* earliest timer of any entry */
	struct us_in6 router;	/* default router (link-local); unspecified: none */
	uint64_t router_until;	/* end of its lifetime */
	struct us_nd_prefix prefix[US_ND_NPREFIX];	/* on-link prefixes */
	uint64_t reachable_ns;	/* ReachableTime (RFC 4861 6.3.2), randomised */
	uint64_t retrans_ns;	/* RetransTimer */
	uint8_t cur_hlim;	/* hop limit routers told us (0: default) */
	uint32_t mtu;		/* link MTU for IPv6 a router advertised (RFC 4861 4.6.4); 0: st->mtu */
	uint8_t rs_left;	/* router solicitations still to send */
	uint64_t rs_timer;	/* the next one; 0: none */
	uint64_t mld_timer;	/* next unsolicited MLD report, or a query's answer; 0: none */
	uint8_t mld_left;	/* unsolicited reports still to send */
};

/* A path MTU below the link's, learnt from Packet Too Big (RFC 8201). */
struct us_pmtu6 {
	struct us_in6 dst;	/* destination */
	uint32_t mtu;		/* its path MTU; 0: slot free */
	uint64_t expire;	/* when to try the link MTU again */
};

#define US_IP6_NADDR	4	/* link-local, configured, and SLAAC addresses */
#define US_IP6_NPMTU	8	/* destinations with a smaller path MTU */

struct us_ip6 {
	int enabled;		/* IPv6 is on (USOCK_IPV6 set) */
	int slaac;		/* USOCK_IPV6=auto: addresses from router advertisements */
	struct us_ip6_addr addr[US_IP6_NADDR];	/* [0] link-local */
	struct us_reass_tab reass;	/* datagrams under reassembly */
	uint32_t id;		/* next fragment identification */
	struct us_pmtu6 pmtu[US_IP6_NPMTU];	/* path MTUs */
	uint64_t tokens_at;	/* ICMPv6 error rate limit: last fill */
	uint32_t tokens;	/* errors allowed now */
};

struct us_udp {
	struct us_sock **hash;	/* bound sockets by local port */
	uint32_t nhash;		/* buckets (power of two) */
	uint16_t next_eph;	/* next ephemeral port to try */
};

/* The DHCPv4 client (dhcp.c); all addresses host order, times ns of stack time. */
struct us_dhcp {
	uint8_t state;		/* US_DHCP_* */
	uint8_t tries;		/* messages sent in this state */
	uint8_t probes;		/* ARP probes sent for the offer */
	uint32_t xid;		/* transaction ID of this exchange */
	uint32_t offer;		/* the address offered, then leased */
	uint32_t server;	/* its server's identifier */
	uint8_t server_mac[6];	/* the link address its ACK came from */
	uint8_t have_server_mac;	/* server_mac is known */
	uint32_t mask;		/* lease: netmask */
	uint32_t router;	/* lease: router, 0: none */
	uint32_t lease_s;	/* lease: seconds */
	uint32_t t1_s;		/* lease: renewal time, seconds */
	uint32_t t2_s;		/* lease: rebinding time, seconds */
	uint32_t dns[4];	/* lease: DNS servers */
	uint8_t ndns;		/* how many */
	uint64_t start;		/* when the lease began: its REQUEST went (RFC 2131 4.4.1) */
	uint64_t req_at;	/* when the last DHCPREQUEST went */
	uint64_t timer;		/* next event; 0: none */
};

/* Hooks the owner of a stack (the API layer, a test) sets. */
struct us_stack_hooks {
	void (*sock_event)(struct us_stack *st, struct us_sock *s);	/* s changed */
	void *arg;		/* the owner's */
};

struct us_stack {
	struct us_config cfg;	/* settings */
	uint8_t mac[6];		/* our link address */
	uint32_t ip4;		/* our address, host order */
	uint32_t mask;		/* its netmask */
	uint32_t gw;		/* default gateway, 0: none */
	uint32_t mtu;		/* link MTU */
	struct us_drv *drv;	/* the link */
	struct us_pool *pool;	/* packet buffers */
	struct us_stats *stats;	/* counters (shared memory when exported) */
	struct us_stats own_stats;	/* counters when not exported */
	struct us_arp arp;	/* ARP cache */
	struct us_ip4 ip;	/* IPv4 state */
	struct us_icmp icmp;	/* ICMP rate limit */
	struct us_ip6 ip6;	/* IPv6 state */
	struct us_nd nd;	/* IPv6 neighbour discovery */
	struct us_dhcp dhcp;	/* DHCPv4 client (USOCK_IPV4=dhcp) */
	struct us_udp udp;	/* UDP port table */
	struct us_tcp tcp;	/* TCP tables and timers */
	struct us_sock *raw;	/* raw sockets, by hnext */
	struct us_sock *socks;	/* every open socket */
	uint32_t nsocks;	/* how many */
	uint32_t nsockmem;	/* sockets not yet freed: open ones and closed ones still referenced */
	struct us_pkt *txb[US_TX_BURST];	/* frames waiting for tx_burst */
	uint16_t ntx;		/* how many */
	uint64_t now;		/* time of the current event, ns */
	uint64_t rng;		/* PRNG state for ports and IDs */
	struct us_stack_hooks hooks;	/* owner's callbacks */
};

/*
 * Creates a stack on an open driver (consumed: closed with the stack) and a
 * pool (borrowed).  cfg gives the addresses.  Returns NULL on ENOMEM.
 */
struct us_stack *us_stack_create(const struct us_config *cfg, struct us_drv *drv,
				 struct us_pool *pool, uint64_t now);
/* What a stack's teardown found still taken once everything was closed. */
struct us_leak {
	uint32_t bufs;		/* packet buffers not back in the pool */
	uint32_t tcbs;		/* TCP control blocks not freed */
	uint32_t socks;		/* sockets not freed */
	uint32_t charges;	/* ring frames' charges to the pool never given back (us_pool_keep) */
};

/*
 * Frees the stack: sockets, queued packets, the driver.  Returns -EBUSY if
 * anything leaked, and says what in *leak (when not NULL).
 */
int us_stack_destroy(struct us_stack *st, struct us_leak *leak);

/* Points the counters (and the driver's) at stats, e.g. shared memory. */
void us_stack_set_stats(struct us_stack *st, struct us_stats *stats);
/* Receives and processes up to budget frames, runs due timers, flushes; returns frames. */
unsigned us_stack_poll(struct us_stack *st, uint64_t now, unsigned budget);
/* Runs every timer due by now. */
void us_stack_timers(struct us_stack *st, uint64_t now);
/* The earliest time the stack needs to run without input; UINT64_MAX: never. */
uint64_t us_stack_next_deadline(const struct us_stack *st);
/* Processes one received frame; consumes it. */
void us_stack_input(struct us_stack *st, struct us_pkt *pkt);
/* Queues a finished frame for transmit; consumes it. */
void us_stack_xmit(struct us_stack *st, struct us_pkt *pkt);
/* Hands queued frames to the driver. */
void us_stack_flush(struct us_stack *st);
/* At start on a link: a gratuitous ARP for our address, or (USOCK_IPV4=dhcp) DHCP's first step. */
void us_stack_announce(struct us_stack *st);
/* A 32-bit random number from the stack's generator. */
uint32_t us_stack_rand(struct us_stack *st);

/* True if a is on our subnet. */
static inline int
us_ip4_onlink(const struct us_stack *st, uint32_t a)
{
	return (a & st->mask) == (st->ip4 & st->mask);
}

/* True if a is a broadcast address for us: limited, or our subnet's. */
static inline int
us_ip4_is_bcast(const struct us_stack *st, uint32_t a)
{
	return a == 0xffffffffu || (st->mask != 0xffffffffu && a == (st->ip4 | ~st->mask));
}

#endif /* US_STACK_H */
