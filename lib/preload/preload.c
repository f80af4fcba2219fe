/*
 * preload.c - libusock-preload.so: unmodified programs on usock.  Loaded
 * with LD_PRELOAD (apps/usock-run sets it), it takes the socket calls of
 * the C library: AF_INET and AF_INET6 stream and datagram sockets go to
 * usock, every other descriptor (files, pipes, AF_UNIX, AF_NETLINK, raw
 * and packet sockets) to the kernel through the C library's own functions (dlsym RTLD_NEXT).
 *
 * A usock socket is a real descriptor (an eventfd the stack makes
 * readable on the socket's events), so descriptor numbers never collide
 * with the kernel's and poll/select/epoll can mix both kinds: usock_poll
 * does it for poll and select; for epoll the socket's eventfd sits in the
 * kernel's epoll set under a tag, and epoll_wait turns a tagged wake-up
 * into the socket's real events and the caller's data.
 *
 * Which descriptors are usock's is kept here too (kind[]), so that a
 * read(2) of a file costs one array look-up, not the stack's lock.
 *
 * fork: the child has a copy of the parent's stack but not its service
 * thread, and the link is the parent's; the child's inherited usock
 * descriptors fail with EBADF (said once on stderr), new AF_INET/AF_INET6
 * sockets with ENETDOWN.  exec starts afresh (the eventfds are close-on-exec).
 */
/*
 * Both the plain and the 64-bit names (fcntl and fcntl64, sendfile and
 * sendfile64) are defined here: the headers must not rename one to the other.
 */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "usock.h"
#include "sock/api.h"

#define EXPORT		__attribute__((visibility("default")))
#define MAXFD		65536		/* descriptors tracked here; beyond, asked of the stack */
#define EP_TAG		(0xb5c0c0deull << 32)	/* epoll data of a usock socket's eventfd: tag | fd */
#define BOUNCE		65536		/* gather/scatter buffer of a datagram (sendmsg, recvmsg) */

enum kind { K_KERNEL = 0, K_USOCK = 1, K_INHERITED = 2 };

/* What the shim knows of a descriptor. */
static uint8_t kind[MAXFD];
/* A usock socket's registration in an epoll set (one set per socket). */
struct ep_reg {
	int epfd;		/* the set, -1: none */
	uint32_t events;	/* what the caller asked for (EPOLLIN, EPOLLET, ...) */
	epoll_data_t data;	/* what the caller gets back */
};
static struct ep_reg *epreg;	/* indexed by descriptor, made on the first epoll_ctl */
static pthread_mutex_t ep_mu = PTHREAD_MUTEX_INITIALIZER;
static int forked;		/* this process is a child after fork */

/* The C library's own functions. */
#define REAL(ret, name, ...)                                                      \
	static ret (*real_##name)(__VA_ARGS__);                                    \
	static ret (*get_##name(void))(__VA_ARGS__)                                \
	{                                                                          \
		if (real_##name == NULL)                                           \
			real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
		return real_##name;                                                \
	}
REAL(int, socket, int, int, int)
REAL(int, bind, int, const struct sockaddr *, socklen_t)
REAL(int, listen, int, int)
REAL(int, accept, int, struct sockaddr *, socklen_t *)
REAL(int, accept4, int, struct sockaddr *, socklen_t *, int)
REAL(int, connect, int, const struct sockaddr *, socklen_t)
REAL(ssize_t, send, int, const void *, size_t, int)
REAL(ssize_t, recv, int, void *, size_t, int)
REAL(ssize_t, sendto, int, const void *, size_t, int, const struct sockaddr *, socklen_t)
REAL(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *)
REAL(ssize_t, sendmsg, int, const struct msghdr *, int)
REAL(ssize_t, recvmsg, int, struct msghdr *, int)
REAL(int, sendmmsg, int, struct mmsghdr *, unsigned int, int)
REAL(int, recvmmsg, int, struct mmsghdr *, unsigned int, int, struct timespec *)
REAL(ssize_t, read, int, void *, size_t)
REAL(ssize_t, write, int, const void *, size_t)
REAL(ssize_t, readv, int, const struct iovec *, int)
REAL(ssize_t, writev, int, const struct iovec *, int)
REAL(int, close, int)
REAL(int, shutdown, int, int)
REAL(int, setsockopt, int, int, int, const void *, socklen_t)
REAL(int, getsockopt, int, int, int, void *, socklen_t *)
REAL(int, getsockname, int, struct sockaddr *, socklen_t *)
REAL(int, getpeername, int, struct sockaddr *, socklen_t *)
REAL(int, fcntl, int, int, ...)
REAL(int, ioctl, int, unsigned long, ...)
REAL(int, dup, int)
REAL(int, dup2, int, int)
REAL(int, dup3, int, int, int)
REAL(int, poll, struct pollfd *, nfds_t, int)
REAL(int, ppoll, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)
REAL(int, select, int, fd_set *, fd_set *, fd_set *, struct timeval *)
REAL(int, pselect, int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *)
REAL(int, epoll_ctl, int, int, int, struct epoll_event *)
REAL(int, epoll_pwait, int, struct epoll_event *, int, int, const sigset_t *)
REAL(ssize_t, sendfile, int, int, off_t *, size_t)
REAL(int, close_range, unsigned int, unsigned int, int)
REAL(void, closefrom, int)
REAL(int, getaddrinfo, const char *, const char *, const struct addrinfo *, struct addrinfo **)
REAL(void, freeaddrinfo, struct addrinfo *)
REAL(struct hostent *, gethostbyname, const char *)

/* Says once per call name that something is not supported here. */
static void
unsupported(const char *what)
{
	static char said[16][48];
	static int nsaid;
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int i, seen = 0;

	pthread_mutex_lock(&mu);
	for (i = 0; i < nsaid; i++)
		if (strcmp(said[i], what) == 0)
			seen = 1;
	if (!seen && nsaid < 16)
		snprintf(said[nsaid++], sizeof(said[0]), "%s", what);
	pthread_mutex_unlock(&mu);
	if (!seen)
		fprintf(stderr, "usock-preload: %s is not supported on usock sockets\n", what);
}

static enum kind
kind_of(int fd)
{
	/* The stack starting up: its drivers' own sockets are the kernel's. */
	if (fd < 0 || us_api_starting())
		return K_KERNEL;
	if (fd < MAXFD)
		return (enum kind)__atomic_load_n(&kind[fd], __ATOMIC_RELAXED);
	return !forked && us_api_is_sock(fd) ? K_USOCK : K_KERNEL;
}

static void
set_kind(int fd, enum kind k)
{
	if (fd >= 0 && fd < MAXFD)
		__atomic_store_n(&kind[fd], (uint8_t)k, __ATOMIC_RELAXED);
}

/*
 * The descriptor is a usock socket of this process: 1.  A socket of the
 * parent after fork: -1 with EBADF (said once).  Anything else: 0.
 */
static int
ours(int fd, const char *call)
{
	switch (kind_of(fd)) {
	case K_USOCK:
		return 1;
	case K_INHERITED: {
		static int said;

		if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
			fprintf(stderr, "usock-preload: %s on descriptor %d, a usock socket of the "
				"parent process: after fork only the parent can use it\n", call, fd);
		errno = EBADF;
		return -1;
	}
	default:
		return 0;
	}
}

/* Every call on a usock descriptor goes through this: -1 returns with errno set. */
#define OURS(fd, call, kernel_call)                   \
	do {                                          \
		int o_ = ours(fd, call);              \
		if (o_ < 0)                           \
			return -1;                    \
		if (o_ == 0)                          \
			return kernel_call;           \
	} while (0)

static void
child_after_fork(void)
{
	int fd;

	/* A parent without a stack yet (a daemon forking at start): the child may start one. */
	if (!us_api_forget_after_fork())
		return;
	forked = 1;
	for (fd = 0; fd < MAXFD; fd++)
		if (kind[fd] == K_USOCK)
			kind[fd] = K_INHERITED;
}

__attribute__((constructor)) static void
preload_init(void)
{
	us_api_kernel_fds_only();
	pthread_atfork(NULL, NULL, child_after_fork);
}

/* --- sockets ------------------------------------------------------------------- */

EXPORT int
socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), fd;

	if ((domain != AF_INET && domain != AF_INET6) || (base != SOCK_STREAM && base != SOCK_DGRAM) ||
	    (protocol != 0 && protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) ||
	    us_api_starting())
		return get_socket()(domain, type, protocol);
	if (forked) {
		static int said;

		if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
			fprintf(stderr, "usock-preload: a new socket in a child after fork: the "
				"stack is the parent's; exec a program to get one of its own\n");
		errno = ENETDOWN;
		return -1;
	}
	fd = usock_socket(domain == AF_INET6 ? USOCK_AF_INET6 : USOCK_AF_INET, type & ~SOCK_CLOEXEC,
			  protocol);
	if (fd >= 0)
		set_kind(fd, K_USOCK);
	return fd;
}

EXPORT int
bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	OURS(fd, "bind", get_bind()(fd, addr, len));
	return usock_bind(fd, addr, len);
}

EXPORT int
listen(int fd, int backlog)
{
	OURS(fd, "listen", get_listen()(fd, backlog));
	return usock_listen(fd, backlog);
}

EXPORT int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int c;

	OURS(fd, "accept4", get_accept4()(fd, addr, len, flags));
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	c = usock_accept(fd, addr, len);
	if (c < 0)
		return -1;
	set_kind(c, K_USOCK);
	/* As Linux: the new socket does not inherit O_NONBLOCK from the listener. */
	usock_setblocking(c, !(flags & SOCK_NONBLOCK));
	return c;
}

EXPORT int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	OURS(fd, "accept", get_accept()(fd, addr, len));
	return accept4(fd, addr, len, 0);
}

EXPORT int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int rc;

	OURS(fd, "connect", get_connect()(fd, addr, len));
	rc = usock_connect(fd, addr, len);
	/* A non-blocking connect under way is EINPROGRESS, as the kernel's. */
	if (rc < 0 && errno == EAGAIN)
		errno = EINPROGRESS;
	return rc;
}

/* EPIPE raises SIGPIPE unless MSG_NOSIGNAL, as the kernel does. */
static ssize_t
sent(ssize_t n, int flags)
{
	if (n < 0 && errno == EPIPE && !(flags & MSG_NOSIGNAL)) {
		raise(SIGPIPE);
		errno = EPIPE;
	}
	return n;
}

EXPORT ssize_t
sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
	OURS(fd, "sendto", get_sendto()(fd, buf, len, flags, to, tolen));
	return sent(us_api_send(fd, buf, len, flags & ~MSG_NOSIGNAL, to, tolen), flags);
}

EXPORT ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	OURS(fd, "send", get_send()(fd, buf, len, flags));
	return sent(us_api_send(fd, buf, len, flags & ~MSG_NOSIGNAL, NULL, 0), flags);
}

EXPORT ssize_t
recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
	OURS(fd, "recvfrom", get_recvfrom()(fd, buf, len, flags, from, fromlen));
	return usock_recvfrom(fd, buf, len, flags, from, fromlen);
}

EXPORT ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	OURS(fd, "recv", get_recv()(fd, buf, len, flags));
	return usock_recv(fd, buf, len, flags);
}

EXPORT ssize_t
read(int fd, void *buf, size_t len)
{
	OURS(fd, "read", get_read()(fd, buf, len));
	return usock_recv(fd, buf, len, 0);
}

EXPORT ssize_t
write(int fd, const void *buf, size_t len)
{
	OURS(fd, "write", get_write()(fd, buf, len));
	return sent(us_api_send(fd, buf, len, 0, NULL, 0), 0);
}

/* The C library's fortified variants (_FORTIFY_SOURCE) of the same calls. */
EXPORT ssize_t
__read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		abort();
	return read(fd, buf, len);
}

EXPORT ssize_t
__recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		abort();
	return recv(fd, buf, len, flags);
}

EXPORT ssize_t
__recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags, struct sockaddr *from,
	       socklen_t *fromlen)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

static size_t
iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/*
 * Sends an iovec: a stream piece by piece (stopping at the first short
 * send), a datagram gathered into one.
 */
static ssize_t
send_iov(int fd, const struct iovec *iov, int n, int flags, const struct sockaddr *to,
	 socklen_t tolen)
{
	size_t total = iov_total(iov, n), done = 0, off = 0;
	ssize_t r;
	char *b;
	int i;

	if (n < 0 || n > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (us_api_stream(fd) == 1) {
		for (i = 0; i < n; i++) {
			if (iov[i].iov_len == 0)
				continue;
			/* MSG_MORE but on the last piece: Nagle must not hold the tail apart. */
			r = us_api_send(fd, iov[i].iov_base, iov[i].iov_len,
					flags | (i + 1 < n ? MSG_MORE : 0), NULL, 0);
			if (r < 0)
				return done > 0 ? (ssize_t)done : -1;
			done += (size_t)r;
			if ((size_t)r < iov[i].iov_len)
				break;
		}
		return (ssize_t)done;
	}
	if (total > BOUNCE) {
		errno = EMSGSIZE;
		return -1;
	}
	b = malloc(total > 0 ? total : 1);
	if (b == NULL) {
		errno = ENOBUFS;
		return -1;
	}
	for (i = 0; i < n; i++) {
		memcpy(b + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	r = us_api_send(fd, b, total, flags, to, tolen);
	free(b);
	return r;
}

/* Receives into an iovec: a stream up to its total, a datagram scattered. */
static ssize_t
recv_iov(int fd, const struct iovec *iov, int n, int flags, struct sockaddr *from,
	 socklen_t *fromlen, int *truncated)
{
	size_t total = iov_total(iov, n), off = 0;
	ssize_t r;
	char *b;
	int i;

	*truncated = 0;
	if (n < 0 || n > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* One piece of a stream: straight in (a datagram takes the bounce, for MSG_TRUNC). */
	if (n == 1 && us_api_stream(fd) == 1)
		return usock_recvfrom(fd, iov[0].iov_base, iov[0].iov_len, flags, from, fromlen);
	b = malloc(BOUNCE);
	if (b == NULL) {
		errno = ENOBUFS;
		return -1;
	}
	r = usock_recvfrom(fd, b, us_api_stream(fd) == 1 && total < BOUNCE ? total : BOUNCE, flags,
			   from, fromlen);
	if (r > 0) {
		if ((size_t)r > total) {
			*truncated = 1;
			r = (ssize_t)total;
		}
		for (i = 0; i < n && off < (size_t)r; i++) {
			size_t k = iov[i].iov_len < (size_t)r - off ? iov[i].iov_len : (size_t)r - off;

			memcpy(iov[i].iov_base, b + off, k);
			off += k;
		}
	}
	free(b);
	return r;
}

EXPORT ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	int t;

	OURS(fd, "readv", get_readv()(fd, iov, n));
	return recv_iov(fd, iov, n, 0, NULL, NULL, &t);
}

EXPORT ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	OURS(fd, "writev", get_writev()(fd, iov, n));
	return sent(send_iov(fd, iov, n, 0, NULL, 0), 0);
}

EXPORT ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
	OURS(fd, "sendmsg", get_sendmsg()(fd, m, flags));
	if (m->msg_controllen != 0)
		unsupported("sendmsg with control messages (ignored)");
	return sent(send_iov(fd, m->msg_iov, (int)m->msg_iovlen, flags & ~MSG_NOSIGNAL,
			     m->msg_name, m->msg_namelen), flags);
}

EXPORT ssize_t
recvmsg(int fd, struct msghdr *m, int flags)
{
	int trunc;
	ssize_t r;

	OURS(fd, "recvmsg", get_recvmsg()(fd, m, flags));
	r = recv_iov(fd, m->msg_iov, (int)m->msg_iovlen, flags, m->msg_name,
		     m->msg_name != NULL ? &m->msg_namelen : NULL, &trunc);
	m->msg_controllen = 0;
	m->msg_flags = trunc ? MSG_TRUNC : 0;
	return r;
}

EXPORT int
sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	unsigned i;

	OURS(fd, "sendmmsg", get_sendmmsg()(fd, v, n, flags));
	for (i = 0; i < n; i++) {
		ssize_t r = sendmsg(fd, &v[i].msg_hdr, flags);

		if (r < 0)
			return i > 0 ? (int)i : -1;
		v[i].msg_len = (unsigned)r;
	}
	return (int)n;
}

EXPORT int
recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout)
{
	unsigned i;

	OURS(fd, "recvmmsg", get_recvmmsg()(fd, v, n, flags, timeout));
	if (timeout != NULL)
		unsupported("recvmmsg's timeout (ignored)");
	for (i = 0; i < n; i++) {
		/* MSG_WAITFORONE: only the first may wait. */
		int f = (i > 0 && (flags & MSG_WAITFORONE)) ? (flags | MSG_DONTWAIT) : flags;
		ssize_t r = recvmsg(fd, &v[i].msg_hdr, f & ~MSG_WAITFORONE);

		if (r < 0)
			return i > 0 ? (int)i : -1;
		v[i].msg_len = (unsigned)r;
	}
	return (int)n;
}

EXPORT int
shutdown(int fd, int how)
{
	OURS(fd, "shutdown", get_shutdown()(fd, how));
	return usock_shutdown(fd, how);
}

EXPORT int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	OURS(fd, "setsockopt", get_setsockopt()(fd, level, name, val, len));
	return usock_setsockopt(fd, level, name, val, len);
}

EXPORT int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	OURS(fd, "getsockopt", get_getsockopt()(fd, level, name, val, len));
	return usock_getsockopt(fd, level, name, val, len);
}

EXPORT int
getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	OURS(fd, "getsockname", get_getsockname()(fd, addr, len));
	return usock_getsockname(fd, addr, len);
}

EXPORT int
getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	OURS(fd, "getpeername", get_getpeername()(fd, addr, len));
	return usock_getpeername(fd, addr, len);
}

/* --- descriptors ------------------------------------------------------------------- */

/*
 * Forgets fd's epoll registration, taking it out of its set first: the set
 * keeps an item while any descriptor of the eventfd is open (a dup).
 */
static void
ep_forget(int fd)
{
	int epfd = -1;

	pthread_mutex_lock(&ep_mu);
	if (epreg != NULL && fd >= 0 && fd < MAXFD) {
		epfd = epreg[fd].epfd;
		epreg[fd].epfd = -1;
	}
	pthread_mutex_unlock(&ep_mu);
	if (epfd >= 0)
		(void)get_epoll_ctl()(epfd, EPOLL_CTL_DEL, fd, NULL);
}

EXPORT int
close(int fd)
{
	switch (kind_of(fd)) {
	case K_USOCK:
		set_kind(fd, K_KERNEL);
		ep_forget(fd);
		return usock_close(fd);
	case K_INHERITED:
		/* The parent's socket: only the descriptor is ours to close. */
		set_kind(fd, K_KERNEL);
		return get_close()(fd);
	default:
		return get_close()(fd);
	}
}

/* close_range and closefrom close usock sockets in their range the proper way first. */
static void
close_ours_in(unsigned first, unsigned last)
{
	unsigned fd;

	for (fd = first; fd <= last && fd < MAXFD; fd++)
		if (kind_of((int)fd) != K_KERNEL)
			close((int)fd);
}

EXPORT int
close_range(unsigned int first, unsigned int last, int flags)
{
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		close_ours_in(first, last);
	return get_close_range()(first, last, flags);
}

EXPORT void
closefrom(int lowfd)
{
	if (lowfd >= 0)
		close_ours_in((unsigned)lowfd, ~0u);
	get_closefrom()(lowfd);
}

/*
 * Duplicates a usock socket: the kernel duplicates its eventfd (so the
 * number is taken, and polls of either see the same events) and the new
 * number names the same socket; it closes with the last of them.
 */
static int
dup_sock(int fd, int newfd)
{
	if (us_api_dup(fd, newfd) != 0) {
		int e = errno;

		get_close()(newfd);
		errno = e;
		return -1;
	}
	set_kind(newfd, K_USOCK);
	return newfd;
}

EXPORT int
dup(int fd)
{
	int n;

	OURS(fd, "dup", get_dup()(fd));
	n = get_fcntl()(fd, F_DUPFD, 0);
	return n < 0 ? -1 : dup_sock(fd, n);
}

EXPORT int
dup3(int fd, int newfd, int flags)
{
	int o = ours(fd, "dup3"), n;

	if (o < 0)
		return -1;
	if (fd == newfd) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * The kernel replaces newfd atomically (no other thread can take the
	 * number in between); a usock socket that was there then leaves the
	 * table without its descriptor being closed a second time.
	 */
	{
		enum kind was = kind_of(newfd);

		n = get_dup3()(fd, newfd, flags);
		if (n < 0)
			return -1;
		if (was != K_KERNEL) {
			set_kind(newfd, K_KERNEL);
			if (was == K_USOCK) {
				ep_forget(newfd);
				us_api_forget_fd(newfd);
			}
		}
	}
	return o == 0 ? n : dup_sock(fd, n);
}

EXPORT int
dup2(int fd, int newfd)
{
	if (fd == newfd) {
		if (kind_of(fd) == K_USOCK)
			return fd;
		return get_dup2()(fd, newfd);
	}
	return dup3(fd, newfd, 0);
}

static int
fcntl_sock(int fd, int cmd, long arg)
{
	int nb;

	switch (cmd) {
	case F_GETFL:
		nb = us_api_nonblocking(fd);
		return nb < 0 ? -1 : O_RDWR | (nb ? O_NONBLOCK : 0);
	case F_SETFL:
		return usock_setblocking(fd, !(arg & O_NONBLOCK));
	case F_GETFD:
	case F_SETFD:
		return get_fcntl()(fd, cmd, arg);
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		int n = get_fcntl()(fd, cmd, arg);

		return n < 0 ? -1 : dup_sock(fd, n);
	}
	default:
		unsupported("this fcntl command");
		errno = EINVAL;
		return -1;
	}
}

EXPORT int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;
	int o;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	o = ours(fd, "fcntl");
	if (o < 0)
		return -1;
	if (o == 0)
		return get_fcntl()(fd, cmd, arg);
	return fcntl_sock(fd, cmd, arg);
}

EXPORT int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return fcntl(fd, cmd, arg);
}

EXPORT int
ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int o, n;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	o = ours(fd, "ioctl");
	if (o < 0)
		return -1;
	if (o == 0)
		return get_ioctl()(fd, req, arg);
	switch (req) {
	case FIONBIO:
		if (arg == NULL) {
			errno = EFAULT;
			return -1;
		}
		return usock_setblocking(fd, *(int *)arg == 0);
	case FIONREAD:
		if (arg == NULL) {
			errno = EFAULT;
			return -1;
		}
		if ((n = us_api_nread(fd)) < 0)
			return -1;
		*(int *)arg = n;
		return 0;
	default:
		unsupported("this ioctl request");
		errno = ENOTTY;
		return -1;
	}
}

/* --- waiting ------------------------------------------------------------------------- */

static int
any_ours(const struct pollfd *fds, nfds_t n)
{
	nfds_t i;

	for (i = 0; i < n; i++)
		if (kind_of(fds[i].fd) != K_KERNEL)
			return 1;
	return 0;
}

EXPORT int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (!any_ours(fds, n))
		return get_poll()(fds, n, timeout);
	return usock_poll(fds, n, timeout);
}

EXPORT int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return poll(fds, n, timeout);
}

static int
ms_of(const struct timespec *ts)
{
	if (ts == NULL)
		return -1;
	if (ts->tv_sec > INT32_MAX / 1000 - 1)
		return INT32_MAX;
	return (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000);
}

/*
 * ppoll's and pselect's signal mask: set around the wait (keeping the old
 * one in *old), not atomically as the kernel's; a NULL mask changes
 * nothing.  errno survives.
 */
static void
mask_swap(const sigset_t *mask, sigset_t *old)
{
	int e = errno;

	if (mask != NULL)
		pthread_sigmask(SIG_SETMASK, mask, old);
	errno = e;
}

EXPORT int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	sigset_t old;
	int r;

	if (!any_ours(fds, n))
		return get_ppoll()(fds, n, ts, mask);
	mask_swap(mask, &old);
	r = usock_poll(fds, n, ms_of(ts));
	mask_swap(mask != NULL ? &old : NULL, NULL);
	return r;
}

/* select over poll: fd_sets in, pollfds through usock_poll, fd_sets out. */
static int
select_poll(int nfds, fd_set *r, fd_set *w, fd_set *x, int ms)
{
	struct pollfd *p;
	int i, k = 0, n, ready = 0;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	p = calloc((size_t)nfds + 1, sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < nfds; i++) {
		short ev = 0;

		if (r != NULL && FD_ISSET(i, r))
			ev |= POLLIN;
		if (w != NULL && FD_ISSET(i, w))
			ev |= POLLOUT;
		if (x != NULL && FD_ISSET(i, x))
			ev |= POLLPRI;
		if (ev != 0) {
			p[k].fd = i;
			p[k].events = ev;
			k++;
		}
	}
	n = usock_poll(p, (nfds_t)k, ms);
	if (n < 0) {
		free(p);
		return -1;
	}
	if (r != NULL)
		FD_ZERO(r);
	if (w != NULL)
		FD_ZERO(w);
	if (x != NULL)
		FD_ZERO(x);
	for (i = 0; i < k; i++) {
		short re = p[i].revents;

		if (re & POLLNVAL) {
			free(p);
			errno = EBADF;
			return -1;
		}
		/* As select: an error or hang-up makes the descriptor readable/writable. */
		if (r != NULL && (p[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) {
			FD_SET(p[i].fd, r);
			ready++;
		}
		if (w != NULL && (p[i].events & POLLOUT) && (re & (POLLOUT | POLLERR))) {
			FD_SET(p[i].fd, w);
			ready++;
		}
		if (x != NULL && (p[i].events & POLLPRI) && (re & POLLPRI)) {
			FD_SET(p[i].fd, x);
			ready++;
		}
	}
	free(p);
	return ready;
}

static int
any_ours_set(int nfds, fd_set *r, fd_set *w, fd_set *x)
{
	int i;

	for (i = 0; i < nfds && i < FD_SETSIZE; i++)
		if (kind_of(i) != K_KERNEL &&
		    ((r != NULL && FD_ISSET(i, r)) || (w != NULL && FD_ISSET(i, w)) ||
		     (x != NULL && FD_ISSET(i, x))))
			return 1;
	return 0;
}

EXPORT int
select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	int ms = -1;

	if (!any_ours_set(nfds, r, w, x))
		return get_select()(nfds, r, w, x, tv);
	if (tv != NULL)
		ms = (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000);
	return select_poll(nfds, r, w, x, ms);
}

EXPORT int
pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
	const sigset_t *mask)
{
	sigset_t old;
	int n;

	if (!any_ours_set(nfds, r, w, x))
		return get_pselect()(nfds, r, w, x, ts, mask);
	mask_swap(mask, &old);
	n = select_poll(nfds, r, w, x, ms_of(ts));
	mask_swap(mask != NULL ? &old : NULL, NULL);
	return n;
}

/* --- epoll --------------------------------------------------------------------------- */

EXPORT int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct epoll_event kev;
	int o = ours(fd, "epoll_ctl"), rc;

	if (o <= 0)
		return o < 0 ? -1 : get_epoll_ctl()(epfd, op, fd, ev);
	if (op != EPOLL_CTL_DEL && ev == NULL) {
		errno = EFAULT;
		return -1;
	}
	if (fd >= MAXFD) {
		errno = ENOSPC;
		return -1;
	}
	pthread_mutex_lock(&ep_mu);
	if (epreg == NULL) {
		int i;

		epreg = malloc(MAXFD * sizeof(*epreg));
		if (epreg == NULL) {
			pthread_mutex_unlock(&ep_mu);
			errno = ENOMEM;
			return -1;
		}
		for (i = 0; i < MAXFD; i++)
			epreg[i].epfd = -1;
	}
	if (op == EPOLL_CTL_ADD && epreg[fd].epfd >= 0 && epreg[fd].epfd != epfd) {
		pthread_mutex_unlock(&ep_mu);
		unsupported("a socket in two epoll sets");
		errno = ENOSPC;
		return -1;
	}
	/*
	 * The eventfd sits in the set under a tag naming the socket, with the
	 * caller's EPOLLET (the stack then writes it on every event: each is a
	 * new edge) and EPOLLONESHOT (the kernel disarms it after one report).
	 */
	memset(&kev, 0, sizeof(kev));
	kev.events = EPOLLIN | (ev != NULL ? ev->events & (EPOLLET | EPOLLONESHOT) : 0);
	kev.data.u64 = EP_TAG | (uint64_t)fd;
	rc = get_epoll_ctl()(epfd, op, fd, &kev);
	if (rc == 0) {
		if (op == EPOLL_CTL_DEL) {
			epreg[fd].epfd = -1;
		} else {
			epreg[fd].epfd = epfd;
			epreg[fd].events = ev->events;
			epreg[fd].data = ev->data;
		}
	}
	pthread_mutex_unlock(&ep_mu);
	if (rc == 0) {
		if (op == EPOLL_CTL_DEL) {
			us_api_interest_default(fd);
		} else {
			us_api_edge(fd, (ev->events & EPOLLET) != 0);
			us_api_interest(fd, (ev->events & (EPOLLIN | EPOLLRDHUP)) != 0,
					(ev->events & EPOLLOUT) != 0);
		}
	}
	return rc;
}

/*
 * Turns the kernel's answer into the caller's: a tagged wake-up becomes
 * the socket's ready events (those asked for, and errors) with the
 * caller's data; one with none ready now is dropped.
 */
static int
ep_translate(int epfd, struct epoll_event *ev, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		int fd, re;
		uint32_t want;
		epoll_data_t data;

		fd = (int)(ev[i].data.u64 & 0xffffffffu);
		/* Ours only if the tag names a usock socket registered in this set. */
		if ((ev[i].data.u64 >> 32) != (EP_TAG >> 32) ||
		    fd < 0 || fd >= MAXFD || kind_of(fd) != K_USOCK) {
			ev[k++] = ev[i];
			continue;
		}
		pthread_mutex_lock(&ep_mu);
		if (epreg[fd].epfd != epfd) {
			pthread_mutex_unlock(&ep_mu);
			ev[k++] = ev[i];
			continue;
		}
		want = epreg[fd].events;
		data = epreg[fd].data;
		pthread_mutex_unlock(&ep_mu);
		re = us_api_events(fd);
		if (re < 0)
			continue;
		re &= (int)(want | EPOLLERR | EPOLLHUP);
		if (re == 0) {
			/* Nothing after all: a one-shot item the kernel just disarmed is armed again. */
			if (want & EPOLLONESHOT) {
				struct epoll_event kev = { .events = EPOLLIN | EPOLLONESHOT |
								     (want & EPOLLET),
							   .data.u64 = EP_TAG | (uint64_t)fd };

				(void)get_epoll_ctl()(epfd, EPOLL_CTL_MOD, fd, &kev);
			}
			continue;
		}
		if (want & EPOLLONESHOT) {
			/* Reported once: nothing more until the caller re-arms it (EPOLL_CTL_MOD). */
			pthread_mutex_lock(&ep_mu);
			epreg[fd].events = 0;
			pthread_mutex_unlock(&ep_mu);
			us_api_interest(fd, 0, 0);	/* its descriptor quiet until re-armed */
		}
		ev[k].events = (uint32_t)re;
		ev[k].data = data;
		k++;
	}
	return k;
}

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

EXPORT int
epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask)
{
	int64_t deadline = timeout > 0 ? now_ms() + timeout : 0;

	for (;;) {
		int n = get_epoll_pwait()(epfd, ev, max, timeout, mask), k;

		if (n <= 0 || epreg == NULL)
			return n;
		k = ep_translate(epfd, ev, n);
		/*
		 * Every wake-up was a socket with nothing ready after all (its
		 * descriptor is now reset): wait again for the time that is left.
		 */
		if (k > 0 || timeout == 0)
			return k;
		if (timeout > 0) {
			int64_t left = deadline - now_ms();

			timeout = left > 0 ? (int)left : 0;
		}
	}
}

EXPORT int
epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	return epoll_pwait(epfd, ev, max, timeout, NULL);
}

/* --- sendfile ----------------------------------------------------------------------- */

EXPORT ssize_t
sendfile(int out, int in, off_t *offset, size_t count)
{
	char buf[16384];
	size_t done = 0;
	off_t pos = offset != NULL ? *offset : 0;

	OURS(out, "sendfile", get_sendfile()(out, in, offset, count));
	while (done < count) {
		size_t want = count - done < sizeof(buf) ? count - done : sizeof(buf);
		ssize_t r = offset != NULL ? pread(in, buf, want, pos) : get_read()(in, buf, want);
		ssize_t w;

		if (r <= 0) {
			if (r < 0 && done == 0)
				return -1;
			break;
		}
		w = us_api_send(out, buf, (size_t)r, 0, NULL, 0);
		if (w < 0) {
			if (done == 0)
				return sent(w, 0);
			break;
		}
		done += (size_t)w;
		pos += w;
		if (w < r) {
			/* The socket took part: the file position follows what was sent. */
			if (offset == NULL)
				lseek(in, (off_t)(w - r), SEEK_CUR);
			break;
		}
	}
	if (offset != NULL)
		*offset = pos;
	return (ssize_t)done;
}

EXPORT ssize_t
sendfile64(int out, int in, off64_t *offset, size_t count)
{
	off_t o;
	ssize_t r;

	if (offset == NULL)
		return sendfile(out, in, NULL, count);
	o = (off_t)*offset;
	r = sendfile(out, in, &o, count);
	*offset = o;
	return r;
}

/* --- names --------------------------------------------------------------------------- */

/* Lists usock_getaddrinfo gave out, so that freeaddrinfo frees them with the right hand. */
static struct ai_list {
	struct addrinfo *ai;
	struct ai_list *next;
} *our_ai;
static pthread_mutex_t ai_mu = PTHREAD_MUTEX_INITIALIZER;

static int
dns_over_usock(void)
{
	const char *v = getenv("USOCK_DNS");

	return v != NULL && *v != '\0' && !forked;
}

EXPORT int
getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
	    struct addrinfo **res)
{
	struct ai_list *l;
	int rc;

	/* Only with USOCK_DNS: otherwise the C library asks its resolver (over these sockets). */
	if (!dns_over_usock())
		return get_getaddrinfo()(host, port, hints, res);
	rc = usock_getaddrinfo(host, port, hints, res);
	if (rc != 0)
		return rc;
	l = malloc(sizeof(*l));
	if (l == NULL) {
		usock_freeaddrinfo(*res);
		return EAI_MEMORY;
	}
	pthread_mutex_lock(&ai_mu);
	l->ai = *res;
	l->next = our_ai;
	our_ai = l;
	pthread_mutex_unlock(&ai_mu);
	return 0;
}

EXPORT void
freeaddrinfo(struct addrinfo *ai)
{
	struct ai_list **p, *l = NULL;

	pthread_mutex_lock(&ai_mu);
	for (p = &our_ai; *p != NULL; p = &(*p)->next)
		if ((*p)->ai == ai) {
			l = *p;
			*p = l->next;
			break;
		}
	pthread_mutex_unlock(&ai_mu);
	if (l != NULL) {
		free(l);
		usock_freeaddrinfo(ai);
		return;
	}
	get_freeaddrinfo()(ai);
}

EXPORT struct hostent *
gethostbyname(const char *name)
{
	static __thread struct hostent h;
	static __thread struct in_addr addrs[16];
	static __thread char *list[17], hname[256];
	struct addrinfo hints, *res, *a;
	int i = 0;

	if (!dns_over_usock())
		return get_gethostbyname()(name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (usock_getaddrinfo(name, NULL, &hints, &res) != 0) {
		h_errno = HOST_NOT_FOUND;
		return NULL;
	}
	for (a = res; a != NULL && i < 16; a = a->ai_next)
		addrs[i++] = ((struct sockaddr_in *)a->ai_addr)->sin_addr;
	usock_freeaddrinfo(res);
	for (int k = 0; k < i; k++)
		list[k] = (char *)&addrs[k];
	list[i] = NULL;
	snprintf(hname, sizeof(hname), "%s", name);
	h.h_name = hname;
	h.h_aliases = list + i;	/* an empty list */
	h.h_addrtype = AF_INET;
	h.h_length = 4;
	h.h_addr_list = list;
	return &h;
}
