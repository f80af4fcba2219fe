/*
 * sock.h - the socket object shared by the protocols and the API layer.
 * Protocol code fills its queues and errors; the API layer blocks, wakes
 * and copies.  The calls here never block: they return -EAGAIN instead.
 */
#ifndef US_SOCK_H
#define US_SOCK_H

#include <stdint.h>
#include <sys/types.h>

#include "usock.h"
#include "../wire/wire.h"

struct us_stack;
struct us_pkt;
struct us_tcb;

#define US_SO_BOUND		0x0001	/* has a local port */
#define US_SO_CONNECTED		0x0002	/* has a remote address */
#define US_SO_REUSEADDR		0x0004	/* SO_REUSEADDR */
#define US_SO_BROADCAST		0x0008	/* SO_BROADCAST */
#define US_SO_SHUT_RD		0x0010	/* shutdown(SHUT_RD) */
#define US_SO_SHUT_WR		0x0020	/* shutdown(SHUT_WR) */
#define US_SO_CLOSED		0x0040	/* closed by the application */
#define US_SO_LISTEN		0x0080	/* listening */
#define US_SO_ACCEPTED		0x0100	/* handed to the application by accept */
#define US_SO_HDRINCL		0x0200	/* raw: the caller writes the IPv4 header */
#define US_SO_REUSEPORT		0x0400	/* SO_REUSEPORT: kept and reported; the port is not shared */
#define US_SO_V6		0x0800	/* speaks IPv6: laddr6/faddr6 hold the addresses, not laddr/faddr */
#define US_SO_V6ONLY		0x1000	/* IPV6_V6ONLY: an AF_INET6 socket that takes no IPv4 */
#define US_SO_V4MAPPED		0x2000	/* an AF_INET6 wildcard speaking IPv4 to a v4-mapped peer for now */

/* Events a socket reports to whoever waits on it. */
#define US_EV_IN	0x1	/* data or end of stream to read */
#define US_EV_OUT	0x2	/* room to write */
#define US_EV_ERR	0x4	/* so_error set */
#define US_EV_HUP	0x8	/* closed both ways */

struct us_sock {
	struct us_sock *hnext;	/* next in the protocol's port hash chain */
	struct us_sock *anext;	/* next in the stack's list of all sockets */
	struct us_sock **aprev;	/* where this one is linked from */
	struct us_tcb *tcb;	/* stream sockets: the connection; NULL for other types */
	union {
		struct {	/* datagram sockets: received datagrams */
			struct us_pkt *rcv_head;	/* linked by qnext */
			struct us_pkt *rcv_tail;	/* last of them */
			uint32_t rcv_cc;	/* bytes charged to the receive buffer */
		};
		struct {	/* stream listeners */
			struct us_sock *acc_head;	/* connections ready to accept */
			struct us_sock *acc_tail;	/* the last of them */
			uint32_t acc_len;	/* how many */
			uint32_t syn_len;	/* half-open connections */
			int backlog;	/* most ready connections (listen()) */
		};
	};
	struct us_pkt *lent;	/* the buffer usock_recv_borrow lent out; NULL: none */
	uint64_t bytes_copied;	/* payload bytes copied to the application */
	uint64_t bytes_delivered;	/* payload bytes the application received */
	uint32_t laddr;		/* local address, host order (0: any) */
	uint32_t faddr;		/* remote address, host order */
	struct us_in6 laddr6;	/* IPv6 local address (US_SO_V6; unspecified: any) */
	struct us_in6 faddr6;	/* IPv6 remote address (US_SO_V6) */
	uint32_t rcvbuf;	/* SO_RCVBUF */
	uint32_t sndbuf;	/* SO_SNDBUF */
	float timeout;		/* settimeout: < 0 block, 0 non-blocking, > 0 seconds */
	int fd;			/* the descriptor the application holds */
	int refs;		/* references: the table's and each call in progress */
	int linger;		/* SO_LINGER seconds, -1: off */
	uint16_t flags;		/* US_SO_* */
	uint16_t lport;		/* local port, host order */
	uint16_t fport;		/* remote port, host order */
	int16_t so_error;	/* pending error (positive errno), 0: none */
	uint8_t type;		/* USOCK_SOCK_* */
	uint8_t proto;		/* IP protocol */
	uint8_t family;		/* AF_INET or AF_INET6, as created: the form of its sockaddrs */
	uint8_t ttl;		/* IP_TTL */
	uint8_t hlim;		/* IPV6_UNICAST_HOPS; 0: the default (a router's, else 64) */
	uint8_t tos;		/* IP_TOS */
	uint8_t ev_signalled : 1;	/* the descriptor was made readable (events reported) */
	uint8_t want_in : 1;	/* the descriptor signals readable data (default on) */
	uint8_t want_out : 1;	/* a poller waits for room to write: signal US_EV_OUT too */
	uint8_t ep_in : 1;	/* an epoll set (the shim) waits for input... */
	uint8_t ep_out : 1;	/* ...or output: the wants between polls */
	uint8_t ep_reg : 1;	/* in an epoll set (ep_in/ep_out apply) */
	uint8_t ep_edge : 1;	/* edge-triggered there: signal every event, not just the first */
	uint8_t fd_extra;	/* descriptors naming it besides fd (dup, in the shim) */
};

/*
 * One end of a conversation as a sockaddr gives it, either family.  An
 * AF_INET6 socket's v4-mapped addresses (::ffff:a.b.c.d) arrive here as
 * IPv4 (v6 0): they travel as IPv4 on the wire.
 */
struct us_ep {
	uint8_t v6;		/* addr6 holds it; else addr */
	uint16_t port;		/* host order */
	uint32_t addr;		/* IPv4, host order (0: any) */
	struct us_in6 addr6;	/* IPv6 (unspecified: any) */
};

/* An IPv4 end. */
static inline struct us_ep
us_ep4(uint32_t addr, uint16_t port)
{
	struct us_ep e = { .v6 = 0, .port = port, .addr = addr };

	return e;
}

/*
 * How s, bound locally, takes traffic for our address (v6, addr or a6):
 * 2 bound to exactly it, 1 through a wildcard (an AF_INET6 wildcard takes
 * IPv4 too unless IPV6_V6ONLY), 0 not at all.
 */
int us_sock_local_match(const struct us_sock *s, int v6, uint32_t addr, const struct us_in6 *a6);
/* Is s's remote end exactly (v6, addr or a6, port)? */
int us_sock_remote_eq(const struct us_sock *s, int v6, uint32_t addr, const struct us_in6 *a6,
		      uint16_t port);
/* Would binding self to ep share an address with s's binding (the same port assumed)? */
int us_sock_bind_overlap(const struct us_sock *s, const struct us_sock *self,
			 const struct us_ep *ep);
/* Records ep as s's local address (v4 or v6, as ep says). */
void us_sock_set_local(struct us_sock *s, const struct us_ep *ep);
/* Records ep as s's remote end. */
void us_sock_set_remote(struct us_sock *s, const struct us_ep *ep);
/* s's local and remote ends. */
struct us_ep us_sock_local(const struct us_sock *s);
struct us_ep us_sock_remote(const struct us_sock *s);

/* A stream (TCP) socket; raw sockets of protocol 6 are not. */
static inline int
us_sock_stream(const struct us_sock *s)
{
	return s->type == USOCK_SOCK_STREAM;
}

/* Creates a socket of that kind; returns it or NULL with *err set (-E). */
struct us_sock *us_sock_create(struct us_stack *st, int family, int type, int proto, int *err);
/* Closes s: unbinds, frees queued data, drops the table's reference. */
void us_sock_close(struct us_stack *st, struct us_sock *s);
/*
 * The receive queue of datagram and raw sockets.  Enqueue consumes pkt
 * (data at what the application reads, len bytes): 0, or -ENOBUFS when
 * the socket is full or shut for reading, -ENOMEM when the pool is at its
 * reserve (pkt dropped).
 */
int us_sock_dgram_enqueue(struct us_stack *st, struct us_sock *s, struct us_pkt *pkt,
			  uint32_t len);
/* The first queued datagram; NULL with *rc the pending error, 0 (shut) or -EAGAIN. */
struct us_pkt *us_sock_dgram_first(struct us_sock *s, int *rc);
/* Copies the first into buf (truncating), counts the copy, drops it unless peeking. */
ssize_t us_sock_dgram_read(struct us_stack *st, struct us_sock *s, void *buf, size_t len,
			   int peek);
/* Drops the first queued datagram. */
void us_sock_dgram_drop(struct us_stack *st, struct us_sock *s);
/*
 * Ends a loan of received data (usock_recv_borrow): the buffers are no
 * longer pinned, and are freed if their queue let go of them meanwhile.
 */
void us_sock_unlend(struct us_stack *st, struct us_sock *s);
/* Drops a reference; frees at zero. */
void us_sock_unref(struct us_stack *st, struct us_sock *s);
/* Tells waiters that s changed (data, error, room). */
void us_sock_wakeup(struct us_stack *st, struct us_sock *s);
/* The events ready on s now (US_EV_*). */
unsigned us_sock_events(const struct us_sock *s);

#endif /* US_SOCK_H */
