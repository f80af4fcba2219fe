/*
 * usock.h - the libusock API: a userspace TCP/UDP/IP stack behind the
 * MicroPython usocket calls, rendered in C (see API.md).  This is the only
 * installed header; names and constant values are a fixed contract.
 */
#ifndef USOCK_H
#define USOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netdb.h>
#include <poll.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define USOCK_API __attribute__((visibility("default")))
#else
#define USOCK_API
#endif

/* The seed's constants. */
#define USOCK_AF_INET		2
#define USOCK_AF_INET6		10
#define USOCK_SOCK_STREAM	1
#define USOCK_SOCK_DGRAM	2
#define USOCK_SOCK_RAW		3
#define USOCK_SO_REUSEADDR	4	/* at level USOCK_SOL_SOCKET */
#define USOCK_IPPROTO_TCP	6
#define USOCK_IPPROTO_UDP	17
#define USOCK_SOL_SOCKET	0xfff
#define USOCK_SOMAXCONN		128

/*
 * Configuration for usock_init().  Every field left zero (or NULL) takes
 * its value from the USOCK_* environment variable of the same meaning, and
 * then from the built-in default.  Strings use the environment's syntax.
 */
struct usock_config {
	const char *iface;	/* USOCK_IFACE: Linux interface to attach to */
	const char *driver;	/* USOCK_DRIVER: afpacket, pcap, dpdk */
	const char *ipv4;	/* USOCK_IPV4: "a.b.c.d/len" */
	const char *gateway;	/* USOCK_GATEWAY: default IPv4 gateway */
	const char *ipv6;	/* USOCK_IPV6 */
	const char *dns;	/* USOCK_DNS: comma separated servers */
	const char *mac;	/* USOCK_MAC: "02:00:00:00:00:02" */
	const char *dpdk_args;	/* USOCK_DPDK_ARGS */
	const char *pcap_file;	/* USOCK_PCAP: capture every frame here */
	const char *fault;	/* USOCK_FAULT: "loss=2,dup=1,reorder=5,delay=1ms,seed=7" */
	unsigned pool_size;	/* USOCK_POOL: packet buffers */
	unsigned max_sockets;	/* USOCK_SOCKETS: socket table size */
	int busy_poll;		/* USOCK_BUSY_POLL: 1 spins, 0 sleeps when idle */
};

USOCK_API int usock_init(const struct usock_config *cfg);
USOCK_API void usock_fini(void);

USOCK_API int usock_socket(int af, int type, int proto);
USOCK_API int usock_getaddrinfo(const char *host, const char *port,
				const struct addrinfo *hints, struct addrinfo **res);
USOCK_API void usock_freeaddrinfo(struct addrinfo *res);
USOCK_API int usock_close(int s);
USOCK_API int usock_bind(int s, const struct sockaddr *addr, socklen_t len);
USOCK_API int usock_listen(int s, int backlog);
USOCK_API int usock_accept(int s, struct sockaddr *addr, socklen_t *len);
USOCK_API int usock_connect(int s, const struct sockaddr *addr, socklen_t len);
USOCK_API ssize_t usock_send(int s, const void *buf, size_t len, int flags);
USOCK_API ssize_t usock_sendall(int s, const void *buf, size_t len);
USOCK_API ssize_t usock_recv(int s, void *buf, size_t bufsize, int flags);
USOCK_API ssize_t usock_sendto(int s, const void *buf, size_t len, int flags,
			       const struct sockaddr *to, socklen_t tolen);
USOCK_API ssize_t usock_recvfrom(int s, void *buf, size_t bufsize, int flags,
				 struct sockaddr *from, socklen_t *fromlen);
USOCK_API int usock_setsockopt(int s, int level, int optname, const void *value,
			       socklen_t len);
USOCK_API int usock_getsockopt(int s, int level, int optname, void *value, socklen_t *len);
USOCK_API int usock_settimeout(int s, double seconds);
USOCK_API int usock_setblocking(int s, bool flag);
USOCK_API ssize_t usock_read(int s, void *buf, size_t size);
USOCK_API ssize_t usock_readall(int s, void **bufp);
USOCK_API ssize_t usock_readinto(int s, void *buf, size_t nbytes);
USOCK_API ssize_t usock_readline(int s, void *buf, size_t size);
USOCK_API ssize_t usock_write(int s, const void *buf, size_t len);
USOCK_API int usock_shutdown(int s, int how);
USOCK_API int usock_getsockname(int s, struct sockaddr *addr, socklen_t *len);
USOCK_API int usock_getpeername(int s, struct sockaddr *addr, socklen_t *len);
USOCK_API int usock_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/*
 * Extensions to API.md.
 *
 * Zero-copy receive: usock_recv_borrow lends the next received bytes in
 * place, in the buffer the driver filled: *data points at them and the
 * return value is their count (for a stream, the next segment's bytes; for
 * a datagram socket, the next datagram, or its first piece when it came in
 * fragments), 0 at the end of a stream, or -1 with errno as usock_recv
 * (EAGAIN, ETIMEDOUT per the timeout, ...).  from/fromlen (may be NULL)
 * receive the sender's address.  The bytes stay valid, and stay queued,
 * until usock_release ends the loan, consuming n of them (n at most the
 * count lent; a datagram goes whole, whatever n; the rest of a stream's
 * bytes stay queued for the next call); borrowing again before the
 * release lends the same bytes.  While bytes are lent, the other receive calls on
 * the socket fail with EBUSY, and the stack does not move them (on
 * afpacket they pin a ring frame: release promptly).  Closing the socket
 * ends the loan.
 */
USOCK_API ssize_t usock_recv_borrow(int s, const void **data, struct sockaddr *from,
				    socklen_t *fromlen);
USOCK_API int usock_release(int s, size_t n);

/* A socket's own counters: what reached the application, and how much of it by a copy. */
struct usock_sockstats {
	uint64_t bytes_delivered;	/* payload bytes handed to the application, copied or lent */
	uint64_t bytes_copied;		/* of them, bytes the stack copied into its buffers */
};
USOCK_API int usock_sockstats(int s, struct usock_sockstats *out);

#ifdef __cplusplus
}
#endif

#endif /* USOCK_H */
