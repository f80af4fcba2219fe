/*
 * ip4.h - IPv4 (RFC 791, RFC 1122 3.2), its fragments, and ICMP (RFC 792).
 */
#ifndef US_IP4_H
#define US_IP4_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "usock_build_config.h"

struct us_stack;
struct us_pkt;
struct us_sock;

/* One piece of a datagram to send. */
struct us_iov {
	const void *base;	/* bytes */
	uint32_t len;		/* how many */
};

#define US_IP4_DEFTTL	64
#define US_IP4_MAXIOV	132	/* pieces in one us_ip4_send: a reassembled chain of the most fragments reassembly takes, and a header */

int us_ip4_init(struct us_stack *st, uint32_t nreass);
void us_ip4_fini(struct us_stack *st);

/* Checks, reassembles and dispatches one datagram (data at the IP header); consumes pkt. */
void us_ip4_input(struct us_stack *st, struct us_pkt *pkt);

/*
 * Sends the L4 datagram in pkt (one buffer, fits the MTU) from src to dst.
 * Consumes pkt.  Returns 0, -ENETUNREACH or -ENOBUFS.
 */
int us_ip4_output(struct us_stack *st, struct us_pkt *pkt, uint32_t src, uint32_t dst,
		  uint8_t proto, uint8_t tos, uint8_t ttl);

/* us_ip4_send options. */
#define US_IP4_SEND_DF		0x1	/* never fragment: -EMSGSIZE above the MTU */
#define US_IP4_SEND_L4HW	0x2	/* the link completes the L4 checksum (one fragment only) */

/*
 * Sends the datagram gathered from iov, fragmenting it when it exceeds
 * the MTU (unless US_IP4_SEND_DF).  Borrows iov.  Returns 0, -EMSGSIZE
 * (too big, or DF and above the MTU), -ENETUNREACH or -ENOBUFS.
 */
int us_ip4_send(struct us_stack *st, uint32_t src, uint32_t dst, uint8_t proto, uint8_t tos,
		uint8_t ttl, unsigned opts, const struct us_iov *iov, int niov);

/* Does the link complete the L4 checksum of a datagram of len bytes (IP header excluded)? */
int us_ip4_l4_offload(const struct us_stack *st, uint32_t len);

/*
 * Sends a complete datagram the caller built (data at its IPv4 header,
 * checksum filled in, one buffer within the MTU), to the destination in
 * the header.  Consumes pkt.  Returns 0, -ENETUNREACH or -ENOBUFS.
 */
int us_ip4_output_raw(struct us_stack *st, struct us_pkt *pkt);

/* Raw sockets (raw.c). */
#if US_HAVE_RAW
int us_raw_attach(struct us_stack *st, struct us_sock *s);
void us_raw_detach(struct us_stack *st, struct us_sock *s);
int us_raw_bind(struct us_stack *st, struct us_sock *s, uint32_t addr);
int us_raw_connect(struct us_stack *st, struct us_sock *s, uint32_t faddr);
/* Gives each matching raw socket a copy (data at the payload); borrows pkt.  Returns the matches. */
int us_raw_input(struct us_stack *st, const struct us_pkt *pkt);
ssize_t us_raw_send(struct us_stack *st, struct us_sock *s, const void *buf, size_t len,
		    uint32_t faddr, int have_addr);
ssize_t us_raw_recv(struct us_stack *st, struct us_sock *s, void *buf, size_t len, int peek,
		    uint32_t *faddr);
#else
/*
 * A build without raw sockets (-Draw=false): us_sock_create refuses
 * USOCK_SOCK_RAW, so no socket reaches these and none ever takes a copy.
 */
static inline int us_raw_attach(struct us_stack *st, struct us_sock *s) { return 0; }
static inline void us_raw_detach(struct us_stack *st, struct us_sock *s) {}
static inline int us_raw_bind(struct us_stack *st, struct us_sock *s, uint32_t a) { return -EINVAL; }
static inline int us_raw_connect(struct us_stack *st, struct us_sock *s, uint32_t a) { return -EINVAL; }
static inline int us_raw_input(struct us_stack *st, const struct us_pkt *pkt) { return 0; }
static inline ssize_t
us_raw_send(struct us_stack *st, struct us_sock *s, const void *buf, size_t len, uint32_t faddr,
	    int have_addr)
{
	return -EINVAL;
}
static inline ssize_t
us_raw_recv(struct us_stack *st, struct us_sock *s, void *buf, size_t len, int peek,
	    uint32_t *faddr)
{
	return -EINVAL;
}
#endif

/* Fragment reassembly (ip4_frag.c). */
int us_ip4_reass_init(struct us_stack *st, uint32_t nslots, uint32_t limit);
void us_ip4_reass_fini(struct us_stack *st);
/*
 * Adds a fragment (data at its payload, header fields in pkt).  Consumes
 * pkt; returns the whole datagram as a chain once complete, else NULL.
 */
struct us_pkt *us_ip4_reass(struct us_stack *st, struct us_pkt *pkt, uint16_t id,
			    uint16_t frag);
void us_ip4_reass_timer(struct us_stack *st, uint64_t now);
uint64_t us_ip4_reass_deadline(const struct us_stack *st);

/* ICMP (icmp.c). */
/* Handles one message (data at the ICMP header, chain); consumes pkt. */
void us_icmp_input(struct us_stack *st, struct us_pkt *pkt);
/*
 * Sends an ICMP error about the datagram in orig (data at its L4 header,
 * the IP header l3_len bytes before it), rate limited.  Borrows orig.
 */
void us_icmp_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type, uint8_t code);

#endif /* US_IP4_H */
