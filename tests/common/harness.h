/*
 * harness.h - test fixtures: a stack on one end of a loop link whose other
 * end the test drives (inject frames, collect what the stack sent), and two
 * stacks joined by a loop link in virtual time, optionally through the
 * fault wrapper.  Teardown reports leaked buffers.
 */
#ifndef US_TEST_HARNESS_H
#define US_TEST_HARNESS_H

#include <stdint.h>

#include "lib/core/stack.h"
#include "lib/ip/ip4.h"
#include "lib/ip/ip6.h"
#include "lib/link/link.h"
#include "lib/sock/sock.h"
#include "lib/udp/udp.h"
#include "lib/wire/wire.h"

#define T_MS 1000000ull
#define T_S 1000000000ull

/* Addresses every test uses: 198.18.0.1 (a, or the test's peer) and .2 (b, the stack). */
#define T_IP_A 0xc6120001u
#define T_IP_B 0xc6120002u
extern const uint8_t t_mac_a[6];
extern const uint8_t t_mac_b[6];

/*
 * IPv6 (turned on by the *_init6 fixtures): fd00::1 (a, or the test's
 * peer) and fd00::2 (b, the stack), both /64, and their link-local
 * addresses from the MACs (fe80::ff:fe00:1 and fe80::ff:fe00:2).
 */
extern const struct us_in6 t_ip6_a, t_ip6_b, t_ll6_a, t_ll6_b;
#define T_IP6_A (&t_ip6_a)
#define T_IP6_B (&t_ip6_b)
#define T_LL6_A (&t_ll6_a)
#define T_LL6_B (&t_ll6_b)

struct t_node {
	struct us_stack *st;	/* the stack */
	struct us_pool *pool;	/* its buffers */
	struct us_drv *end;	/* its loop end (maybe wrapped) */
	unsigned events;	/* sock_event hook calls */
};

/* One stack (ip .2) and a bare loop end the test speaks through as .1. */
struct t_one {
	struct t_node n;	/* the stack under test */
	struct us_drv *peer;	/* the test's end of the link */
	struct us_pool *ppool;	/* buffers for frames the test builds */
	uint64_t now;		/* virtual time */
};

/* Brings up a stack; the fault spec (NULL: none) wraps the stack's end. */
void t_node_init(struct t_node *n, uint32_t ip, const uint8_t mac[6], uint32_t mtu,
		 struct us_drv *end_unwrapped, const char *fault, uint32_t pool_size);
#if US_HAVE_IPV6
/* The same with IPv6 on (ip6/64 and the link-local address), tentative until us_ip6_start and DAD. */
void t_node_init6(struct t_node *n, uint32_t ip, const struct us_in6 *ip6, const uint8_t mac[6],
		  uint32_t mtu, struct us_drv *end_unwrapped, const char *fault,
		  uint32_t pool_size);
#endif
/* Destroys the stack; returns the number of buffers not back in its pool. */
uint32_t t_node_fini(struct t_node *n);
/* Destroys st, asserting that no control block or socket leaked. */
void t_stack_destroy(struct us_stack *st);

void t_one_init(struct t_one *t);
#if US_HAVE_IPV6
/*
 * t_one_init with IPv6 on: the stack is fd00::2/64, its addresses past
 * DAD, and what it sent on the way (DAD, MLD, RS) drained.
 */
void t_one_init6(struct t_one *t);
#endif
/*
 * t_one_init for USOCK_IPV4=dhcp: the stack has no address (ip4 0, no
 * mask) and cfg.dhcp set; nothing is sent until the test calls
 * us_stack_announce, which starts the DHCP client.
 */
void t_one_init_dhcp(struct t_one *t);
/* Tears down and fails the test if any buffer leaked. */
void t_one_fini(struct t_one *t);
/* Hands a frame (bytes) to the stack under test and runs it. */
void t_one_inject(struct t_one *t, const void *frame, uint32_t len);
/* Takes the next frame the stack sent into buf; returns its length or 0 if none. */
uint32_t t_one_take(struct t_one *t, void *buf, uint32_t size);
/* Drops every frame the stack has sent so far; returns how many. */
uint32_t t_one_drain(struct t_one *t);
/* Advances virtual time and runs the stack's timers. */
void t_one_advance(struct t_one *t, uint64_t ns);
/* Teaches the stack the test peer's MAC, so sends need no ARP round trip. */
void t_one_learn_peer(struct t_one *t);
#if US_HAVE_IPV6
/* The same for IPv6: a neighbour solicitation from fd00::1 (and fe80::..:1) with its MAC. */
void t_one_learn_peer6(struct t_one *t);
#endif
#if US_HAVE_IPV6
/*
 * Takes the next frame the stack sent that is not neighbour discovery or
 * MLD (ICMPv6 types 130-137, 143), skipping those; 0 if none.
 */
uint32_t t_one_take6(struct t_one *t, void *buf, uint32_t size);
#endif

/* Builds Ethernet + IPv4 around payload into frame; returns the frame length. */
uint32_t t_build_ip4(uint8_t *frame, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
		     uint16_t frag, const void *payload, uint32_t plen);
/* Builds Ethernet + IPv4 + UDP with a correct checksum; returns the frame length. */
uint32_t t_build_udp(uint8_t *frame, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		     const void *data, uint32_t dlen);

/*
 * Builds Ethernet + IPv6 around payload (nxt: its Next Header) into frame,
 * hop limit 64; a multicast dst goes to its 33:33 MAC.  Returns the length.
 */
uint32_t t_build_ip6(uint8_t *frame, const struct us_in6 *src, const struct us_in6 *dst,
		     uint8_t nxt, const void *payload, uint32_t plen);
/* Builds Ethernet + IPv6 + UDP with a correct checksum; returns the frame length. */
uint32_t t_build_udp6(uint8_t *frame, const struct us_in6 *src, const struct us_in6 *dst,
		      uint16_t sport, uint16_t dport, const void *data, uint32_t dlen);
/* Builds Ethernet + IPv6 + ICMPv6 (type, code, body) with a correct checksum. */
uint32_t t_build_icmp6(uint8_t *frame, const struct us_in6 *src, const struct us_in6 *dst,
		       uint8_t type, uint8_t code, const void *body, uint32_t blen);

/*
 * An ICMPv6 message (type, code, the 4-byte rest of header, data) from
 * src to dst with its checksum into m; returns its length.
 */
uint32_t t_icmp6_msg(uint8_t *m, const struct us_in6 *src, const struct us_in6 *dst,
		     uint8_t type, uint8_t code, uint32_t rest, const void *data, uint32_t dlen);

/* Two stacks, a (.1) and b (.2), on one loop link in virtual time. */
struct t_two {
	struct t_node a;	/* 198.18.0.1 */
	struct t_node b;	/* 198.18.0.2 */
	uint64_t now;		/* virtual time */
};

void t_two_init(struct t_two *t, const char *fault_a, const char *fault_b, uint32_t pool_size);
#if US_HAVE_IPV6
/* The same with IPv6 on: a fd00::1/64, b fd00::2/64, both past DAD. */
void t_two_init6(struct t_two *t, const char *fault_a, const char *fault_b, uint32_t pool_size);
#endif
void t_two_fini(struct t_two *t);
/*
 * Runs both stacks until cond(arg) is true or virtual time passes limit_ns
 * from now; idle periods jump to the next deadline.  Returns 1 if cond held.
 */
int t_two_run(struct t_two *t, int (*cond)(void *arg), void *arg, uint64_t limit_ns);

#endif /* US_TEST_HARNESS_H */
