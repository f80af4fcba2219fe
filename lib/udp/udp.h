/*
 * udp.h - UDP (RFC 768, RFC 1122 4.1): the port table and the datagram
 * calls the socket layer makes.
 */
#ifndef US_UDP_H
#define US_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct us_stack;
struct us_pkt;
struct us_sock;
struct us_in6;
struct us_ep;

#define US_UDP_RCVBUF	212992	/* default SO_RCVBUF, as Linux */
#define US_UDP_SNDBUF	212992	/* default SO_SNDBUF */
#define US_PORT_EPH_LO	49152	/* RFC 6335 dynamic ports */
#define US_PORT_EPH_HI	65535

int us_udp_init(struct us_stack *st, uint32_t nhash);
void us_udp_fini(struct us_stack *st);
/* Handles one datagram (data at the UDP header, chain); consumes pkt. */
void us_udp_input(struct us_stack *st, struct us_pkt *pkt);
/*
 * An ICMP error about a datagram we sent from lport to faddr:fport.
 * Returns the number of sockets told (connected ones only, as Linux).
 */
int us_udp_ctlinput(struct us_stack *st, int err, uint32_t faddr, uint16_t lport,
		    uint16_t fport);
/* The same for an ICMPv6 error about a datagram we sent to faddr. */
int us_udp_ctlinput6(struct us_stack *st, int err, const struct us_in6 *faddr, uint16_t lport,
		     uint16_t fport);

/* Binds s to addr:port (port 0: an ephemeral one).  0, -EADDRINUSE, -EADDRNOTAVAIL, -EINVAL. */
int us_udp_bind(struct us_stack *st, struct us_sock *s, uint32_t addr, uint16_t port);
/* The same for an end of either family. */
int us_udp_bind_ep(struct us_stack *st, struct us_sock *s, const struct us_ep *ep);
/* Connects to an end of either family (a v4 one on an AF_INET6 socket makes it speak IPv4). */
int us_udp_connect_ep(struct us_stack *st, struct us_sock *s, const struct us_ep *ep);
/* Sends to `to` (NULL: the connected peer); either family. */
ssize_t us_udp_send_ep(struct us_stack *st, struct us_sock *s, const void *buf, size_t len,
		       const struct us_ep *to);
/* Receives one datagram; *from (may be NULL) gets its sender. */
ssize_t us_udp_recv_ep(struct us_stack *st, struct us_sock *s, void *buf, size_t len, int peek,
		       struct us_ep *from);
/* The sender of a queued datagram (data at its payload). */
void us_udp_from(const struct us_pkt *pkt, struct us_ep *from);
/* Sets the default destination; faddr 0 dissolves the association. */
int us_udp_connect(struct us_stack *st, struct us_sock *s, uint32_t faddr, uint16_t fport);
/*
 * Sends one datagram to faddr:fport (faddr 0: the connected peer).
 * Returns len, or -EDESTADDRREQ, -EISCONN, -EMSGSIZE, -EACCES, -ENETUNREACH,
 * -ENOBUFS, or a pending error from ICMP.
 */
ssize_t us_udp_send(struct us_stack *st, struct us_sock *s, const void *buf, size_t len,
		    uint32_t faddr, uint16_t fport, int have_addr);
/*
 * Takes the next datagram: copies up to len bytes (the rest is discarded,
 * as recv(2) without MSG_TRUNC), fills the source.  Returns the bytes
 * copied, or -EAGAIN when empty, or a pending error.  peek leaves it queued.
 */
/* The source port of a queued datagram (data at its payload). */
uint16_t us_udp_sport(const struct us_pkt *pkt);
ssize_t us_udp_recv(struct us_stack *st, struct us_sock *s, void *buf, size_t len, int peek,
		    uint32_t *faddr, uint16_t *fport);
/* Removes s from the port table. */
void us_udp_detach(struct us_stack *st, struct us_sock *s);

#endif /* US_UDP_H */
