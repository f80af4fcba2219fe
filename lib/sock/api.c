/*
 * api.c - the usock_* entry points: argument checks, descriptors (each
 * socket's descriptor is a kernel eventfd, so it can never equal another
 * kernel descriptor and poll(2) sees its readiness; once the process has
 * no descriptor left, a number above any the kernel can give), blocking
 * with the socket's timeout, and the one conversion from -E to errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "usock.h"
#include "../core/runtime.h"
#include "../core/table.h"
#include "../ip/ip4.h"
#include "../ip/ip6.h"
#include "../pkt/pkt.h"
#include "../tcp/tcp.h"
#include "../wire/wire.h"
#include "../udp/udp.h"
#include "api.h"
#include "sock.h"

#define KNOWN_TYPE_FLAGS (SOCK_NONBLOCK | SOCK_CLOEXEC)

static int
fail(int rc)
{
	errno = -rc;
	return -1;
}

/* The socket behind descriptor fd with a reference taken, lock held; NULL if none. */
static struct us_sock *
sock_get(int fd)
{
	struct us_sock *s;

	if ((s = us_rt_fd_sock(fd)) == NULL)
		return NULL;
	s->refs++;
	return s;
}

/* Enters the stack and looks up fd; on failure returns NULL with the lock released. */
static struct us_sock *
enter_sock(int fd, int *rc)
{
	struct us_sock *s;

	if (fd < 0) {
		*rc = -EBADF;
		return NULL;
	}
	*rc = us_rt_enter();
	if (*rc != 0)
		return NULL;
	s = sock_get(fd);
	if (s == NULL) {
		us_rt_leave();
		*rc = -EBADF;
	}
	return s;
}

static void
leave_sock(struct us_sock *s)
{
	us_sock_unref(us_rt.st, s);
	us_rt_leave();
}

/* When a blocking call on s gives up: UINT64_MAX never, 0 at once (non-blocking). */
static uint64_t
deadline_of(const struct us_sock *s, int flags)
{
	if ((flags & MSG_DONTWAIT) || s->timeout == 0)
		return 0;
	/* Past about 31 years (or infinity) is forever: the conversion below would overflow. */
	if (s->timeout < 0 || s->timeout >= 1e9)
		return UINT64_MAX;
	return us_clock_ns() + (uint64_t)((double)s->timeout * 1e9);
}

/*
 * Waits for s to change, or gives up: -EAGAIN when non-blocking, -ETIMEDOUT
 * after the timeout, -EBADF once another thread closed it.
 */
static int
block(struct us_sock *s, uint64_t deadline)
{
	int rc;

	if (deadline == 0)
		return -EAGAIN;
	if ((rc = us_rt_wait(deadline)) != 0)
		return rc == -EINTR ? -EINTR : -ETIMEDOUT;
	if (s->flags & US_SO_CLOSED)
		return -EBADF;
	return 0;
}

/*
 * Grows descriptor table *tab of *n entries (new ones empty) to hold entry
 * i, doubling from min, never past max entries.  0, -EMFILE (max), -ENOMEM.
 */
static int
fdtab_grow(struct us_sock ***tab, uint32_t *n, uint32_t i, uint32_t min, uint32_t max)
{
	uint32_t m = *n ? *n : min;
	struct us_sock **t;

	if (i < *n)
		return 0;
	if (i >= max)
		return -EMFILE;
	while (m <= i)
		m = m > max / 2 ? max : m * 2;
	t = us_table_resize(*tab, *n * sizeof(*t), m * sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	*tab = t;
	*n = m;
	return 0;
}

static int
fd_put(struct us_sock *s, int efd)
{
	int rc = fdtab_grow(&us_rt.fdtab, &us_rt.nfd, (uint32_t)efd, 64, (uint32_t)INT_MAX);

	if (rc != 0)
		return rc;
	us_rt.fdtab[efd] = s;
	s->fd = efd;
	return 0;
}

/*
 * A descriptor that is not an eventfd, for when the process has none left
 * (the descriptor limit is hard and lower than the sockets it serves):
 * the lowest free number from us_rt.vbase up.  -EMFILE when there is none.
 */
static int
virtual_put(struct us_sock *s)
{
	uint32_t i;
	int rc;

	if (us_rt.kernel_fds_only || us_rt.vbase == INT_MAX)
		return -EMFILE;
	for (i = us_rt.vfree; i < us_rt.nvt && us_rt.vtab[i] != NULL; i++)
		;
	rc = fdtab_grow(&us_rt.vtab, &us_rt.nvt, i, 1024, (uint32_t)(INT_MAX - us_rt.vbase));
	if (rc != 0)
		return rc;
	us_rt.vtab[i] = s;
	us_rt.vfree = i + 1;
	us_rt.nvused++;
	s->fd = us_rt.vbase + (int)i;
	return 0;
}

/* Gives new socket s its descriptor: an eventfd, else a virtual one.  0 or -E. */
static int
fd_new(struct us_sock *s)
{
	int efd, rc;

	/*
	 * The thread that makes sockets polls them: its wake-up eventfd is
	 * made now, while there may be a descriptor to spare for it.
	 */
	if (!us_rt.kernel_fds_only)
		(void)us_rt_waiter_fd();
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return errno == EMFILE || errno == ENFILE ? virtual_put(s) : -errno;
	if (us_rt_fd_virtual(efd)) {
		/* fs.nr_open was lowered below our numbers since the start: not one of ours. */
		us_sys_close(efd);
		return virtual_put(s);
	}
	if ((rc = fd_put(s, efd)) != 0)
		us_sys_close(efd);
	return rc;
}

/* Takes descriptor fd out of its table; a kernel one is closed by the caller. */
static void
fd_clear(int fd)
{
	if (us_rt_fd_virtual(fd)) {
		us_rt.vtab[fd - us_rt.vbase] = NULL;
		if ((uint32_t)(fd - us_rt.vbase) < us_rt.vfree)
			us_rt.vfree = (uint32_t)(fd - us_rt.vbase);
		/* A surge is over: its table goes (a server's memory returns to its start). */
		if (--us_rt.nvused == 0) {
			us_table_resize(us_rt.vtab, us_rt.nvt * sizeof(*us_rt.vtab), 0);
			us_rt.vtab = NULL;
			us_rt.nvt = 0;
			us_rt.vfree = 0;
		}
	} else {
		us_rt.fdtab[fd] = NULL;
	}
}

int
usock_socket(int af, int type, int proto)
{
	int base = type & ~KNOWN_TYPE_FLAGS, rc, efd;
	struct us_sock *s;

	if (af != USOCK_AF_INET && af != USOCK_AF_INET6)
		return fail(-EAFNOSUPPORT);
	if (base != USOCK_SOCK_STREAM && base != USOCK_SOCK_DGRAM && base != USOCK_SOCK_RAW)
		return fail(-EINVAL);
	if (proto < 0)
		return fail(-EINVAL);
	if ((rc = us_rt_enter()) != 0)
		return fail(rc);
	s = us_sock_create(us_rt.st, af, base, proto, &rc);
	if (s == NULL) {
		us_rt_leave();
		return fail(rc);
	}
	if ((rc = fd_new(s)) != 0) {
		us_sock_close(us_rt.st, s);
		us_rt_leave();
		return fail(rc);
	}
	efd = s->fd;
	if (type & SOCK_NONBLOCK)
		s->timeout = 0;
	/* Writable from the start: poll(2) on the descriptor reports readiness changes only. */
	us_rt_leave();
	return efd;
}

/*
 * Descriptor fd goes from the table when another descriptor still names
 * its socket (dup): 1, the socket lives on under the others (signalled
 * through one of them).  0 when fd is its only descriptor: nothing done.
 */
static int
drop_extra_fd(struct us_sock *s, int fd)
{
	uint32_t i;

	if (s->fd_extra == 0)
		return 0;
	us_rt.fdtab[fd] = NULL;
	s->fd_extra--;
	if (s->fd == fd)
		for (i = 0; i < us_rt.nfd; i++)
			if (us_rt.fdtab[i] == s) {
				s->fd = (int)i;
				break;
			}
	us_sock_unref(us_rt.st, s);	/* the table's reference of fd */
	return 1;
}

int
usock_close(int fd)
{
	struct us_sock *s;
	int rc, kernel;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (drop_extra_fd(s, fd)) {
		leave_sock(s);
		us_sys_close(fd);
		return 0;
	}
	fd_clear(fd);
	s->fd = -1;
	us_sock_close(us_rt.st, s);
	if (s->linger > 0 && s->timeout != 0) {
		/*
		 * SO_LINGER with a time: close waits (that long at most) until
		 * the peer has acknowledged everything, our FIN included.
		 */
		uint64_t deadline = us_clock_ns() + (uint64_t)s->linger * 1000000000ull;

		while (s->tcb != NULL && s->tcb->state != US_TCPS_CLOSED &&
		       s->tcb->snd_una != s->tcb->snd_max && us_rt_wait(deadline) == 0)
			;
	}
	kernel = !us_rt_fd_virtual(fd);
	leave_sock(s);
	if (kernel)
		us_sys_close(fd);
	return 0;
}

/*
 * Checks a socket address from the caller for socket s; fills ep.  An
 * AF_INET6 socket takes v4-mapped addresses (and, as Linux's connect and
 * sendto do, AF_INET ones) as IPv4; an AF_INET socket takes only AF_INET.
 */
static int
ep_in(const struct us_sock *s, const struct sockaddr *sa, socklen_t len, struct us_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (sa == NULL || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (len < (socklen_t)sizeof(*sin))
			return -EINVAL;
		ep->addr = ntohl(sin->sin_addr.s_addr);
		ep->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && s->family == USOCK_AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		/* RFC 2133's form without sin6_scope_id (24 bytes) is still accepted, as Linux. */
		if (len < (socklen_t)offsetof(struct sockaddr_in6, sin6_scope_id))
			return -EINVAL;
		memcpy(ep->addr6.b, &sin6->sin6_addr, 16);
		ep->port = ntohs(sin6->sin6_port);
		if (us_in6_is_v4mapped(&ep->addr6)) {
			ep->addr = us_in6_v4(&ep->addr6);
			memset(&ep->addr6, 0, sizeof(ep->addr6));
		} else {
			ep->v6 = 1;
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

/*
 * Fills a caller's sockaddr with ep in s's family (an AF_INET6 socket
 * shows IPv4 ends v4-mapped), truncating to *len and reporting the full size.
 */
static int
ep_out(const struct us_sock *s, struct sockaddr *sa, socklen_t *len, const struct us_ep *ep)
{
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u;
	socklen_t n;

	if (sa == NULL || len == NULL)
		return -EINVAL;
	if ((int)*len < 0)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	if (s->family == USOCK_AF_INET6) {
		struct us_in6 a = ep->addr6;

		if (!ep->v6)
			us_in6_from_v4(&a, ep->addr);
		if (!ep->v6 && ep->addr == 0)
			memset(&a, 0, sizeof(a));	/* the wildcard is "::", not "::ffff:0.0.0.0" */
		u.sin6.sin6_family = AF_INET6;
		u.sin6.sin6_port = htons(ep->port);
		memcpy(&u.sin6.sin6_addr, a.b, 16);
		n = sizeof(u.sin6);
	} else {
		u.sin.sin_family = AF_INET;
		u.sin.sin_addr.s_addr = htonl(ep->addr);
		u.sin.sin_port = htons(ep->port);
		n = sizeof(u.sin);
	}
	memcpy(sa, &u, *len < n ? *len : n);
	*len = n;
	return 0;
}

int
usock_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct us_sock *s;
	struct us_ep ep;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	rc = ep_in(s, addr, len, &ep);
	if (rc == 0 && s->family == USOCK_AF_INET6 && addr->sa_family != AF_INET6)
		/* bind(2) on an AF_INET6 socket takes only sockaddr_in6 (Linux checks the size first). */
		rc = len < (socklen_t)offsetof(struct sockaddr_in6, sin6_scope_id) ? -EINVAL
										      : -EAFNOSUPPORT;
	else if (rc == 0 && !ep.v6 && (s->flags & US_SO_V6ONLY))
		rc = -EINVAL;	/* v4-mapped, but IPv4 is off for this socket (as Linux) */
	if (rc == 0)
		rc = us_sock_stream(s)			? us_tcp_bind_ep(us_rt.st, s, &ep)
		     : s->type == USOCK_SOCK_RAW	? us_raw_bind(us_rt.st, s, ep.addr)
							: us_udp_bind_ep(us_rt.st, s, &ep);
	leave_sock(s);
	return rc != 0 ? fail(rc) : 0;
}

int
usock_listen(int fd, int backlog)
{
	struct us_sock *s;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	/* Only stream sockets listen; a datagram socket has no connections to queue. */
	rc = us_sock_stream(s) ? us_tcp_listen(us_rt.st, s, backlog) : -EOPNOTSUPP;
	leave_sock(s);
	return rc != 0 ? fail(rc) : 0;
}

int
usock_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct us_sock *s, *c = NULL;
	uint64_t deadline;
	int rc, efd;

	if (addr != NULL && len == NULL)
		return fail(-EINVAL);
	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (!us_sock_stream(s)) {
		leave_sock(s);
		return fail(-EOPNOTSUPP);
	}
	deadline = deadline_of(s, 0);
	for (;;) {
		c = us_tcp_accept(us_rt.st, s, &rc);
		if (c != NULL || rc != -EAGAIN)
			break;
		if ((rc = block(s, deadline)) != 0)
			break;
	}
	if (c == NULL) {
		leave_sock(s);
		return fail(rc);
	}
	if ((rc = fd_new(c)) != 0) {
		us_sock_close(us_rt.st, c);
		leave_sock(s);
		return fail(rc == -EMFILE || rc == -ENFILE ? rc : -ENOBUFS);
	}
	efd = c->fd;
	/* The new socket inherits blocking mode, as on BSD. */
	c->timeout = s->timeout;
	if (us_sock_events(c) & (US_EV_IN | US_EV_ERR | US_EV_HUP))
		us_sock_wakeup(us_rt.st, c);
	if (addr != NULL) {
		struct us_ep peer = us_sock_remote(c);

		ep_out(c, addr, len, &peer);
	}
	leave_sock(s);
	return efd;
}

/* Waits for an active open to finish: 0 once established, else its error. */
static int
connect_wait(struct us_sock *s, uint64_t deadline)
{
	int rc;

	for (;;) {
		struct us_tcb *tp = s->tcb;

		if (tp == NULL || tp->state == US_TCPS_CLOSED) {
			rc = s->so_error ? -s->so_error : -ECONNREFUSED;
			s->so_error = 0;
			return rc;
		}
		if (tp->state >= US_TCPS_ESTABLISHED)
			return 0;
		if ((rc = block(s, deadline)) != 0)
			return rc == -EAGAIN ? -EINPROGRESS : rc;
	}
}

int
usock_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct us_sock *s;
	struct us_ep ep;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	memset(&ep, 0, sizeof(ep));
	if (addr != NULL && len >= (socklen_t)sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC &&
	    !us_sock_stream(s))
		rc = 0;	/* AF_UNSPEC: dissolve the association */
	else
		rc = ep_in(s, addr, len, &ep);
	/* As Linux's TCP over IPv6: a sockaddr_in's 16 bytes are too short a sockaddr_in6. */
	if (rc == 0 && us_sock_stream(s) && s->family == USOCK_AF_INET6 &&
	    len < (socklen_t)offsetof(struct sockaddr_in6, sin6_scope_id))
		rc = -EINVAL;
	if (rc == 0 && s->type == USOCK_SOCK_RAW) {
		rc = us_raw_connect(us_rt.st, s, ep.addr);
	} else if (rc == 0 && us_sock_stream(s)) {
		rc = us_tcp_connect_ep(us_rt.st, s, &ep);
		if (rc == -EINPROGRESS)
			rc = connect_wait(s, deadline_of(s, 0));
		else if (rc == -EALREADY && s->timeout != 0)
			rc = connect_wait(s, deadline_of(s, 0));
	} else if (rc == 0) {
		rc = us_udp_connect_ep(us_rt.st, s, &ep);
	}
	leave_sock(s);
	return rc != 0 ? fail(rc) : 0;
}

/*
 * Stream send: queues what fits, waiting for room as the socket's mode
 * allows.  all: keep going until everything is queued (sendall, write).
 * Returns bytes queued, or -E when nothing was.
 */
static ssize_t
tcp_send(struct us_sock *s, const uint8_t *buf, size_t len, int flags, int all)
{
	uint64_t deadline = deadline_of(s, flags);
	size_t done = 0;
	ssize_t n;
	int rc;

	for (;;) {
		n = len > done ? us_tcp_send(us_rt.st, s, buf + done, len - done,
					     (flags & MSG_MORE) != 0)
			       : 0;
		if (n > 0)
			done += (size_t)n;
		if (done == len || (n > 0 && !all))
			return (ssize_t)done;
		if (n < 0 && n != -EAGAIN && n != -ENOBUFS)
			return done > 0 ? (ssize_t)done : n;
		if (n == -ENOBUFS && deadline == 0)
			return done > 0 ? (ssize_t)done : n;
		if ((rc = block(s, deadline)) != 0) {
			/* Non-blocking: what went; a timeout in sendall is a failure. */
			if ((rc == -EAGAIN || rc == -EINTR) && done > 0)
				return (ssize_t)done;	/* interrupted after some went: what went */
			if (rc == -ETIMEDOUT && done > 0 && !all)
				return (ssize_t)done;
			return rc;
		}
	}
}

static ssize_t
do_send(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	socklen_t tolen, int all)
{
	struct us_sock *s;
	struct us_ep ep;
	ssize_t n;
	int rc;

	if (buf == NULL && len > 0)
		return fail(-EINVAL);
	if (len > SSIZE_MAX)
		return fail(-EINVAL);
	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (flags & MSG_OOB) {
		leave_sock(s);
		return fail(-EOPNOTSUPP);
	}
	if (us_sock_stream(s)) {
		/* A stream ignores the address; never connected, it is EPIPE, as Linux. */
		if (to != NULL && s->tcb != NULL && s->tcb->state < US_TCPS_SYN_SENT)
			n = -EPIPE;
		else
			n = tcp_send(s, buf, len, flags, all);
		leave_sock(s);
		return n < 0 ? fail((int)n) : n;
	}
	if (to != NULL && (rc = ep_in(s, to, tolen, &ep)) != 0) {
		leave_sock(s);
		return fail(rc);
	}
	if (s->type == USOCK_SOCK_RAW)
		n = us_raw_send(us_rt.st, s, buf, len, to != NULL ? ep.addr : 0, to != NULL);
	else
		n = us_udp_send_ep(us_rt.st, s, buf, len, to != NULL ? &ep : NULL);
	leave_sock(s);
	return n < 0 ? fail((int)n) : n;
}

ssize_t
usock_send(int fd, const void *buf, size_t len, int flags)
{
	return do_send(fd, buf, len, flags, NULL, 0, 0);
}

ssize_t
usock_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	     socklen_t tolen)
{
	return do_send(fd, buf, len, flags, to, tolen, 0);
}

ssize_t
usock_sendall(int fd, const void *buf, size_t len)
{
	ssize_t n = do_send(fd, buf, len, 0, NULL, 0, 1);

	/* Everything or an error: a partial sendall is a failure (the seed's contract). */
	if (n >= 0 && (size_t)n != len) {
		errno = EAGAIN;
		return -1;
	}
	return n;
}

ssize_t
usock_write(int fd, const void *buf, size_t len)
{
	return do_send(fd, buf, len, 0, NULL, 0, 1);
}

/*
 * Receives into buf: one datagram, or stream bytes.  mode 0: whatever is
 * there (recv); 1: no short reads (read, readinto, MSG_WAITALL).
 */
static ssize_t
do_recv(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen,
	int full)
{
	struct us_sock *s;
	uint64_t deadline;
	struct us_ep ep;
	size_t done = 0;
	ssize_t n;
	int rc;

	if (buf == NULL && len > 0)
		return fail(-EINVAL);
	if (len > SSIZE_MAX)
		return fail(-EINVAL);
	if (from != NULL && fromlen == NULL)
		return fail(-EINVAL);
	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (flags & MSG_OOB) {
		leave_sock(s);
		return fail(-EOPNOTSUPP);
	}
	if (s->lent != NULL) {
		/* Bytes lent by usock_recv_borrow come first: give them back (usock_release). */
		leave_sock(s);
		return fail(-EBUSY);
	}
	deadline = deadline_of(s, flags);
	if (flags & MSG_WAITALL)
		full = 1;
	for (;;) {
		if (us_sock_stream(s)) {
			n = us_tcp_recv(us_rt.st, s, (uint8_t *)buf + done, len - done,
					(flags & MSG_PEEK) != 0);
			if (n > 0) {
				done += (size_t)n;
				if (!full || done == len || (flags & MSG_PEEK)) {
					n = (ssize_t)done;
					break;
				}
				continue;
			}
			if (n == 0 || n != -EAGAIN) {
				/* End of stream or an error: report what was read first. */
				if (done > 0)
					n = (ssize_t)done;
				break;
			}
		} else {
			memset(&ep, 0, sizeof(ep));
			n = s->type == USOCK_SOCK_RAW
				    ? us_raw_recv(us_rt.st, s, buf, len, (flags & MSG_PEEK) != 0,
						  &ep.addr)
				    : us_udp_recv_ep(us_rt.st, s, buf, len, (flags & MSG_PEEK) != 0,
						     &ep);
			if (n != -EAGAIN)
				break;
		}
		if ((rc = block(s, deadline)) != 0) {
			n = done > 0 ? (ssize_t)done : rc;
			break;
		}
	}
	if (n >= 0 && from != NULL) {
		if (us_sock_stream(s))
			ep = us_sock_remote(s);
		ep_out(s, from, fromlen, &ep);
	}
	leave_sock(s);
	return n < 0 ? fail((int)n) : n;
}

ssize_t
usock_recv(int fd, void *buf, size_t bufsize, int flags)
{
	return do_recv(fd, buf, bufsize, flags, NULL, NULL, 0);
}

ssize_t
usock_recvfrom(int fd, void *buf, size_t bufsize, int flags, struct sockaddr *from,
	       socklen_t *fromlen)
{
	return do_recv(fd, buf, bufsize, flags, from, fromlen, 0);
}

ssize_t
usock_read(int fd, void *buf, size_t size)
{
	/* No short reads on a stream; on a datagram socket a read is one datagram. */
	return do_recv(fd, buf, size, 0, NULL, NULL, 1);
}

ssize_t
usock_readinto(int fd, void *buf, size_t nbytes)
{
	return do_recv(fd, buf, nbytes, 0, NULL, NULL, 1);
}

ssize_t
usock_readline(int fd, void *buf, size_t size)
{
	struct us_sock *s;
	uint8_t *b = buf;
	uint64_t deadline;
	size_t done = 0;
	ssize_t n = 0;
	int rc;

	if (buf == NULL && size > 0)
		return fail(-EINVAL);
	if (size > SSIZE_MAX)
		return fail(-EINVAL);
	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (!us_sock_stream(s)) {
		leave_sock(s);
		return do_recv(fd, buf, size, 0, NULL, NULL, 0);
	}
	if (s->lent != NULL) {
		leave_sock(s);
		return fail(-EBUSY);
	}
	deadline = deadline_of(s, 0);
	while (done < size) {
		uint8_t *nl;

		/* Look without taking, then take through the newline only. */
		n = us_tcp_recv(us_rt.st, s, b + done, size - done, 1);
		if (n > 0) {
			size_t want = (size_t)n;

			nl = memchr(b + done, '\n', (size_t)n);
			if (nl != NULL)
				want = (size_t)(nl - (b + done)) + 1;
			n = us_tcp_recv(us_rt.st, s, b + done, want, 0);
			done += (size_t)n;
			if (nl != NULL)
				break;
			continue;
		}
		if (n != -EAGAIN)
			break;
		if ((rc = block(s, deadline)) != 0) {
			n = rc;
			break;
		}
	}
	leave_sock(s);
	if (done > 0)
		return (ssize_t)done;
	return n < 0 ? fail((int)n) : 0;
}

ssize_t
usock_readall(int fd, void **bufp)
{
	size_t cap = 4096, done = 0;
	uint8_t *b, *nb;
	ssize_t n;

	if (bufp == NULL)
		return fail(-EINVAL);
	b = malloc(cap);
	if (b == NULL)
		return fail(-ENOMEM);
	for (;;) {
		if (done == cap) {
			nb = realloc(b, cap * 2);
			if (nb == NULL) {
				free(b);
				return fail(-ENOMEM);
			}
			b = nb;
			cap *= 2;
		}
		n = do_recv(fd, b + done, cap - done, 0, NULL, NULL, 0);
		if (n < 0) {
			int e = errno;

			/* A datagram socket's "stream" is one datagram; so is a timeout's. */
			if (done > 0 && (e == EAGAIN || e == ETIMEDOUT))
				break;
			free(b);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
		if (done < cap) {
			/* Only a stream keeps going until its end. */
			int stream = 0;

			pthread_mutex_lock(&us_rt.mu);
			if (us_rt_fd_sock(fd) != NULL)
				stream = us_sock_stream(us_rt_fd_sock(fd));
			pthread_mutex_unlock(&us_rt.mu);
			if (!stream)
				break;
		}
	}
	*bufp = b;
	return (ssize_t)done;
}

int
usock_shutdown(int fd, int how)
{
	struct us_sock *s;
	int rc = 0;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		rc = -EINVAL;
	else if (us_sock_stream(s))
		rc = us_tcp_shutdown(us_rt.st, s, how);
	else if (!(s->flags & US_SO_CONNECTED))
		rc = -ENOTCONN;	/* as Linux for an unconnected datagram socket */
	else {
		if (how != SHUT_WR)
			s->flags |= US_SO_SHUT_RD;
		if (how != SHUT_RD)
			s->flags |= US_SO_SHUT_WR;
		us_sock_wakeup(us_rt.st, s);
	}
	leave_sock(s);
	return rc != 0 ? fail(rc) : 0;
}

int
usock_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct us_sock *s;
	struct us_ep ep;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	/* As Linux: once connected, a wildcard-bound socket shows the address it sends from. */
	ep = us_sock_local(s);
	if (s->flags & US_SO_CONNECTED) {
		if (!ep.v6 && ep.addr == 0)
			ep.addr = us_rt.st->ip4;
		else if (ep.v6 && us_in6_is_unspec(&ep.addr6))
			us_ip6_select_src(us_rt.st, &s->faddr6, &ep.addr6);
	}
	rc = ep_out(s, addr, len, &ep);
	leave_sock(s);
	return rc != 0 ? fail(rc) : 0;
}

int
usock_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct us_sock *s;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (!(s->flags & US_SO_CONNECTED) ||
	    (us_sock_stream(s) &&
	     (s->tcb == NULL || s->tcb->state < US_TCPS_ESTABLISHED)))
		rc = -ENOTCONN;
	else {
		struct us_ep ep = us_sock_remote(s);

		rc = ep_out(s, addr, len, &ep);
	}
	leave_sock(s);
	return rc != 0 ? fail(rc) : 0;
}

/* The piece of a lent datagram or segment the application sees: its first non-empty buffer. */
static struct us_pkt *
lent_piece(struct us_pkt *q)
{
	while (q != NULL && q->len == 0)
		q = q->next;
	return q;
}

ssize_t
usock_recv_borrow(int fd, const void **data, struct sockaddr *from, socklen_t *fromlen)
{
	struct us_sock *s;
	struct us_pkt *q = NULL, *p = NULL;
	uint64_t deadline;
	ssize_t n;
	int rc;

	if (data == NULL || (from != NULL && fromlen == NULL))
		return fail(-EINVAL);
	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	deadline = deadline_of(s, 0);
	for (;;) {
		if (s->lent != NULL) {
			/* Lent already: the same bytes again. */
			q = s->lent;
			p = lent_piece(q);
			n = p != NULL ? (ssize_t)p->len : 0;
			break;
		}
		if (us_sock_stream(s)) {
			n = us_tcp_borrow(us_rt.st, s, &p);
			if (n > 0)
				q = s->tcb->rcv_head;
		} else {
			int st_rc = 0;

			q = us_sock_dgram_first(s, &st_rc);
			p = lent_piece(q);
			n = q != NULL ? (p != NULL ? (ssize_t)p->len : 0) : st_rc;
		}
		if (n != -EAGAIN)
			break;
		if ((rc = block(s, deadline)) != 0) {
			n = rc;
			break;
		}
	}
	if (q != NULL) {
		struct us_pkt *b;

		/* Pinned: a driver that moves held frames (afpacket) leaves these in place. */
		for (b = q; b != NULL; b = b->next)
			b->flags |= US_PKT_PINNED;
		s->lent = q;
		*data = p != NULL ? us_pkt_data(p) : NULL;
		if (from != NULL) {
			struct us_ep ep = us_ep4(q->ip_src, 0);

			if (us_sock_stream(s))
				ep = us_sock_remote(s);
			else if (s->type == USOCK_SOCK_DGRAM)
				us_udp_from(q, &ep);
			ep_out(s, from, fromlen, &ep);
		}
	}
	leave_sock(s);
	return n < 0 ? fail((int)n) : n;
}

int
usock_release(int fd, size_t n)
{
	struct us_sock *s;
	struct us_pkt *q, *p;
	int rc = 0;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	q = s->lent;
	p = q != NULL ? lent_piece(q) : NULL;
	if (q == NULL || n > (p != NULL ? p->len : 0)) {
		leave_sock(s);
		return fail(-EINVAL);
	}
	if (us_sock_stream(s) && s->tcb != NULL && s->tcb->rcv_head == q) {
		us_sock_unlend(us_rt.st, s);
		if (n > 0)
			us_tcp_consume(us_rt.st, s, (uint32_t)n, 0);
	} else if (!us_sock_stream(s) && s->rcv_head == q) {
		/* A datagram goes whole. */
		uint32_t len = us_pkt_chain_len(q);

		us_sock_unlend(us_rt.st, s);
		us_sock_dgram_drop(us_rt.st, s);
		s->bytes_delivered += len;
		us_rt.st->stats->sock.bytes_delivered += len;
	} else {
		/* The connection went while the bytes were lent: they were the socket's alone. */
		us_sock_unlend(us_rt.st, s);
	}
	us_sock_wakeup(us_rt.st, s);
	leave_sock(s);
	return 0;
}

int
usock_sockstats(int fd, struct usock_sockstats *out)
{
	struct us_sock *s;
	int rc;

	if (out == NULL)
		return fail(-EINVAL);
	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	out->bytes_delivered = s->bytes_delivered;
	out->bytes_copied = s->bytes_copied;
	leave_sock(s);
	return 0;
}

int
usock_settimeout(int fd, double seconds)
{
	struct us_sock *s;
	int rc;

	if (isnan(seconds))
		return fail(-EINVAL);
	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	s->timeout = seconds < 0 ? -1.0f : (float)seconds;
	leave_sock(s);
	return 0;
}

int
usock_setblocking(int fd, bool flag)
{
	return usock_settimeout(fd, flag ? -1.0 : 0.0);
}

/* usock_poll's working arrays, one set a thread, kept from call to call. */
struct poll_scratch {
	void *mem;
	size_t size;
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void
scratch_free(void *arg)
{
	struct poll_scratch *ps = arg;

	us_table_resize(ps->mem, ps->size, 0);
	free(ps);
}

static void
scratch_setup(void)
{
	pthread_key_create(&scratch_key, scratch_free);
}

/*
 * need bytes of this thread's scratch memory, or NULL.  A large set polled
 * over and over would otherwise cost a malloc and a free per call (and, at
 * thousands of descriptors, interleave its blocks with the connections'
 * and fragment the heap); the memory is resized to fit when the set
 * shrinks to a quarter of it, so that a surge's arrays go with it.
 */
static void *
poll_scratch(size_t need)
{
	struct poll_scratch *ps;
	size_t size = 4096;

	pthread_once(&scratch_once, scratch_setup);
	ps = pthread_getspecific(scratch_key);
	if (ps == NULL) {
		ps = calloc(1, sizeof(*ps));
		if (ps == NULL || pthread_setspecific(scratch_key, ps) != 0) {
			free(ps);
			return NULL;
		}
	}
	if (need <= ps->size && (need >= ps->size / 4 || ps->size <= size))
		return ps->mem;
	while (size < need)
		size *= 2;
	/* The old contents are not needed: freed first, not copied over. */
	ps->mem = us_table_resize(ps->mem, ps->size, 0);
	ps->size = 0;
	ps->mem = us_table_resize(NULL, 0, size);
	if (ps->mem != NULL)
		ps->size = size;
	return ps->mem;
}

int
usock_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX
					   : us_clock_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct pollfd small[17], *kp;
	nfds_t small_at[17], *at, i;
	int ready, rc;

	if (fds == NULL && n > 0)
		return fail(-EINVAL);
	if (n > (nfds_t)INT_MAX - 1)
		return fail(-EINVAL);
	/*
	 * What the kernel polls: the caller's kernel descriptors and our
	 * eventfds, then this thread's wake-up eventfd when the set has
	 * descriptors that are not eventfds (the kernel is not given those:
	 * past RLIMIT_NOFILE entries, ppoll fails with EINVAL).  at[j] is
	 * kp[j]'s entry in fds.
	 */
	kp = small;
	at = small_at;
	if (n >= 17) {
		kp = poll_scratch((n + 1) * (sizeof(*kp) + sizeof(*at)));
		if (kp == NULL)
			return fail(-ENOMEM);
		at = (nfds_t *)(kp + n + 1);
	}
	for (;;) {
		int wait_ms, k, nvirt = 0, armed = -1;
		nfds_t nk = 0;

		/* Our sockets first, under the lock: their state is the stack's, not the kernel's. */
		ready = 0;
		pthread_mutex_lock(&us_rt.mu);
		/* A socket may be in the set twice (nc: once for input, once for output). */
		for (i = 0; i < n; i++) {
			struct us_sock *s = us_rt_fd_sock(fds[i].fd);

			if (s != NULL) {
				s->want_in = 0;
				s->want_out = 0;
			}
		}
		for (i = 0; i < n; i++) {
			struct us_sock *s = us_rt_fd_sock(fds[i].fd);

			fds[i].revents = 0;
			if (s == NULL || !us_rt_fd_virtual(fds[i].fd)) {
				at[nk] = i;
				kp[nk] = fds[i];
				/* Sleep on the eventfd: it turns readable when anything changes. */
				if (s != NULL)
					kp[nk].events = POLLIN;
				nk++;
			} else {
				nvirt++;
			}
			if (s != NULL) {
				unsigned ev = us_sock_events(s);
				short re = 0;

				if ((ev & US_EV_IN) && (fds[i].events & (POLLIN | POLLRDNORM)))
					re |= fds[i].events & (POLLIN | POLLRDNORM);
				if ((ev & US_EV_OUT) && (fds[i].events & (POLLOUT | POLLWRNORM)))
					re |= fds[i].events & (POLLOUT | POLLWRNORM);
				if (ev & US_EV_ERR)
					re |= POLLERR;
				if (ev & US_EV_HUP)
					re |= POLLHUP;
				fds[i].revents = re;
				if (re != 0)
					ready++;
				/*
				 * The descriptor turns readable only on the events this
				 * caller wants, so an event it ignores cannot make it spin.
				 */
				s->want_in |= (fds[i].events & (POLLIN | POLLRDNORM)) != 0;
				s->want_out |= (fds[i].events & (POLLOUT | POLLWRNORM)) != 0;
			}
		}
		for (i = 0; i < n; i++) {
			struct us_sock *s = us_rt_fd_sock(fds[i].fd);

			if (s != NULL)
				us_rt_sync_fd(s);
		}
		if (ready > 0) {
			wait_ms = 0;
		} else if (deadline == UINT64_MAX) {
			wait_ms = -1;
		} else {
			uint64_t now = us_clock_ns();

			wait_ms = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
		}
		if (nvirt > 0 && wait_ms != 0) {
			armed = us_rt_arm();
			if (armed >= 0) {
				at[nk] = n;
				kp[nk++] = (struct pollfd){ .fd = armed, .events = POLLIN };
			}
			else if (wait_ms < 0 || wait_ms > 1)
				wait_ms = 1;	/* no wake-up eventfd to spare: look again each ms */
		}
		pthread_mutex_unlock(&us_rt.mu);
		k = us_sys_poll(kp, nk, wait_ms);
		rc = k < 0 ? -errno : 0;
		/* The table is the stack's: another thread may be growing it. */
		pthread_mutex_lock(&us_rt.mu);
		if (armed >= 0)
			us_rt_disarm();
		for (i = 0; k > 0 && i < nk; i++) {
			if (at[i] < n && kp[i].revents != 0 && us_rt_fd_sock(fds[at[i]].fd) == NULL) {
				fds[at[i]].revents = kp[i].revents;
				ready++;
			}
		}
		pthread_mutex_unlock(&us_rt.mu);
		if (rc < 0)
			goto out;
		if (ready > 0 || wait_ms == 0 || (deadline != UINT64_MAX && us_clock_ns() >= deadline)) {
			rc = ready;
			goto out;
		}
		/* Only our eventfds woke us: look at the sockets again. */
	}
out:
	/* Back to the default: readable on data, for poll(2) used directly. */
	pthread_mutex_lock(&us_rt.mu);
	for (i = 0; i < n; i++) {
		struct us_sock *s = us_rt_fd_sock(fds[i].fd);

		/* Back to what an epoll set wants between polls (the shim), else the default. */
		if (s != NULL) {
			int in = s->ep_reg ? s->ep_in : 1, out = s->ep_reg ? s->ep_out : 0;

			if (s->want_in != in || s->want_out != out) {
				s->want_in = in;
				s->want_out = out;
				us_rt_sync_fd(s);
			}
		}
	}
	pthread_mutex_unlock(&us_rt.mu);
	return rc < 0 ? fail(rc) : rc;
}

/* --- for the LD_PRELOAD shim (api.h) --------------------------------------- */

int
us_api_is_sock(int fd)
{
	int r;

	pthread_mutex_lock(&us_rt.mu);
	r = us_rt_fd_sock(fd) != NULL;
	pthread_mutex_unlock(&us_rt.mu);
	return r;
}

int
us_api_dup(int fd, int newfd)
{
	struct us_sock *s;
	int rc, keep;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (s->fd_extra == UINT8_MAX) {
		leave_sock(s);
		return fail(-EMFILE);
	}
	keep = s->fd;
	if ((rc = fd_put(s, newfd)) == 0) {
		s->fd = keep;	/* signalled through the first: the eventfd is one for all */
		s->fd_extra++;
		s->refs++;	/* the table's reference of newfd */
	}
	leave_sock(s);
	return rc != 0 ? fail(rc) : 0;
}

int
us_api_events(int fd)
{
	struct us_sock *s;
	unsigned ev;
	int rc, r = 0;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	ev = us_sock_events(s);
	if (ev & US_EV_IN)
		r |= EPOLLIN | EPOLLRDNORM;
	if (ev & US_EV_OUT)
		r |= EPOLLOUT | EPOLLWRNORM;
	if (ev & US_EV_ERR)
		r |= EPOLLERR;
	if (ev & US_EV_HUP)
		r |= EPOLLHUP;
	if ((s->flags & US_SO_SHUT_RD) || (us_sock_stream(s) && s->tcb != NULL &&
					     (s->tcb->t_flags & US_TF_RCVD_FIN)))
		r |= EPOLLRDHUP;
	/* Whoever asks sees the truth: a descriptor left readable by a past event is reset. */
	us_rt_sync_fd(s);
	leave_sock(s);
	return r;
}

int
us_api_interest(int fd, int in, int out)
{
	struct us_sock *s;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	s->ep_reg = 1;
	s->ep_in = in != 0;
	s->ep_out = out != 0;
	s->want_in = in != 0;
	s->want_out = out != 0;
	us_rt_sync_fd(s);
	leave_sock(s);
	return 0;
}

int
us_api_interest_default(int fd)
{
	struct us_sock *s;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	s->ep_reg = 0;
	s->ep_edge = 0;
	s->ep_in = 0;
	s->ep_out = 0;
	s->want_in = 1;
	s->want_out = 0;
	us_rt_sync_fd(s);
	leave_sock(s);
	return 0;
}

int
us_api_edge(int fd, int on)
{
	struct us_sock *s;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	s->ep_edge = on != 0;
	leave_sock(s);
	return 0;
}

void
us_api_kernel_fds_only(void)
{
	pthread_mutex_lock(&us_rt.mu);
	us_rt.kernel_fds_only = 1;
	pthread_mutex_unlock(&us_rt.mu);
}

int
us_api_starting(void)
{
	return us_rt_starting;
}

int
us_api_forget_fd(int fd)
{
	struct us_sock *s;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (!drop_extra_fd(s, fd)) {
		/* Its last descriptor: the socket closes (the number is already another file's). */
		fd_clear(fd);
		s->fd = -1;
		us_sock_close(us_rt.st, s);
	}
	leave_sock(s);
	return 0;
}

int
us_api_nread(int fd)
{
	struct us_sock *s;
	uint32_t n;
	int rc;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	if (us_sock_stream(s)) {
		n = us_tcp_readable(s);
	} else {
		/* Datagrams: the size of the next one, as Linux. */
		struct us_pkt *p = us_sock_dgram_first(s, &rc);

		n = p != NULL ? us_pkt_chain_len(p) : 0;
	}
	leave_sock(s);
	return n > INT_MAX ? INT_MAX : (int)n;
}

int
us_api_nonblocking(int fd)
{
	struct us_sock *s;
	int rc, r;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	r = s->timeout == 0;
	leave_sock(s);
	return r;
}

int
us_api_stream(int fd)
{
	struct us_sock *s;
	int rc, r;

	if ((s = enter_sock(fd, &rc)) == NULL)
		return fail(rc);
	r = us_sock_stream(s);
	leave_sock(s);
	return r;
}

ssize_t
us_api_send(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	    socklen_t tolen)
{
	return do_send(fd, buf, len, flags, to, tolen, 1);
}

int
us_api_forget_after_fork(void)
{
	return us_rt_forget_after_fork();
}
