/*
 * Every call misused, against the Linux kernel as the referee: each case
 * runs the same calls on a kernel socket and on a usock socket and wants
 * the same result and errno (the kernel's own address and ports for the
 * kernel, usock's for usock).  The only differences are the ones API.md
 * makes: a bad pointer is EINVAL for usock where the kernel says EFAULT.
 * Calls that exist only in usock are walked through their misuse after.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "api_lab.h"

TestSuite(api_misuse, .init = lab_up);

/* The calls a case may make, kernel or usock. */
struct api {
	const char *name;
	const char *own_ip;	/* an address of this side */
	int (*socket)(int, int, int);
	int (*close)(int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	int (*shutdown)(int, int);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
};

static ssize_t
k_send(int s, const void *b, size_t n, int f)
{
	return send(s, b, n, f | MSG_NOSIGNAL);	/* usock raises no SIGPIPE */
}

static ssize_t
k_sendto(int s, const void *b, size_t n, int f, const struct sockaddr *a, socklen_t l)
{
	return sendto(s, b, n, f | MSG_NOSIGNAL, a, l);
}

static int
k_socket(int af, int type, int proto)
{
	int s = socket(af, type, proto);
	struct timeval tv = { 2, 0 };

	if (s >= 0)
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

static int
u_socket(int af, int type, int proto)
{
	int s = usock_socket(af, type, proto);

	if (s >= 0)
		usock_settimeout(s, 2.0);
	return s;
}

static const struct api kernel = {
	"kernel", LAB_KERNEL_IP, k_socket, close, bind, listen, accept, connect, k_send, recv,
	k_sendto, recvfrom, shutdown, getsockname, getpeername, setsockopt, getsockopt,
};

static const struct api us = {
	"usock", LAB_USOCK_IP, u_socket, usock_close, usock_bind, usock_listen, usock_accept,
	usock_connect, usock_send, usock_recv, usock_sendto, usock_recvfrom, usock_shutdown,
	usock_getsockname, usock_getpeername, usock_setsockopt, usock_getsockopt,
};

/* What the last call of a case gave. */
struct res {
	long rc;
	int err;
};

#define LAST(call)                                                                                 \
	do {                                                                                       \
		errno = 0;                                                                         \
		r.rc = (long)(call);                                                               \
		r.err = r.rc < 0 ? errno : 0;                                                      \
	} while (0)

static struct sockaddr_in
addr(const char *ip, uint16_t port)
{
	return sin4(ip, port);
}

/* A TCP listener of this side on port; the kernel's serves as every side's peer. */
static int
listener(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(a->own_ip, port);
	int one = 1, s = a->socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(s, 0);
	a->setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(a->bind(s, SA(&sa), sizeof(sa)), 0, "%s bind: %s", a->name, strerror(errno));
	cr_assert_eq(a->listen(s, 4), 0);
	return s;
}

typedef struct res (*case_fn)(const struct api *a, uint16_t port);

static struct res
c_close_bad(const struct api *a, uint16_t port)
{
	struct res r;

	(void)port;
	LAST(a->close(-1));
	return r;
}

static struct res
c_close_twice(const struct api *a, uint16_t port)
{
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	a->close(s);
	LAST(a->close(s));
	return r;
}

static struct res
c_socket_family(const struct api *a, uint16_t port)
{
	struct res r;

	(void)port;
	LAST(a->socket(99, SOCK_DGRAM, 0));
	return r;
}

static struct res
c_socket_type(const struct api *a, uint16_t port)
{
	struct res r;

	(void)port;
	LAST(a->socket(AF_INET, 99, 0));
	return r;
}

static struct res
c_socket_proto(const struct api *a, uint16_t port)
{
	struct res r;

	(void)port;
	LAST(a->socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
	return r;
}

static struct res
c_bind_short(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(a->own_ip, port);
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	LAST(a->bind(s, SA(&sa), 8));
	a->close(s);
	return r;
}

static struct res
c_bind_family(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(a->own_ip, port);
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	sa.sin_family = AF_UNIX;
	LAST(a->bind(s, SA(&sa), sizeof(sa)));
	a->close(s);
	return r;
}

static struct res
c_bind_twice(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(a->own_ip, port), sb = addr(a->own_ip, port + 1);
	struct res r;
	int s = a->socket(AF_INET, SOCK_STREAM, 0);

	a->bind(s, SA(&sa), sizeof(sa));
	LAST(a->bind(s, SA(&sb), sizeof(sb)));
	a->close(s);
	return r;
}

static struct res
c_bind_not_ours(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_FOREIGN_IP, port);
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	LAST(a->bind(s, SA(&sa), sizeof(sa)));
	a->close(s);
	return r;
}

static struct res
c_bind_in_use(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(a->own_ip, port);
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0), t = a->socket(AF_INET, SOCK_DGRAM, 0);

	a->bind(s, SA(&sa), sizeof(sa));
	LAST(a->bind(t, SA(&sa), sizeof(sa)));
	a->close(s);
	a->close(t);
	return r;
}

static struct res
c_listen_udp(const struct api *a, uint16_t port)
{
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	LAST(a->listen(s, 1));
	a->close(s);
	return r;
}

static struct res
c_accept_udp(const struct api *a, uint16_t port)
{
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	LAST(a->accept(s, NULL, NULL));
	a->close(s);
	return r;
}

static struct res
c_accept_not_listening(const struct api *a, uint16_t port)
{
	struct res r;
	int s = a->socket(AF_INET, SOCK_STREAM, 0);

	(void)port;
	LAST(a->accept(s, NULL, NULL));
	a->close(s);
	return r;
}

static struct res
c_connect_short(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_KERNEL_IP, port);
	struct res r;
	int s = a->socket(AF_INET, SOCK_STREAM, 0);

	LAST(a->connect(s, SA(&sa), 8));
	a->close(s);
	return r;
}

static struct res
c_connect_twice(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_KERNEL_IP, port);
	struct res r;
	int l = listener(&kernel, port), s = a->socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(a->connect(s, SA(&sa), sizeof(sa)), 0, "%s connect: %s", a->name,
		     strerror(errno));
	LAST(a->connect(s, SA(&sa), sizeof(sa)));
	a->close(s);
	close(l);
	return r;
}

static struct res
c_connect_listening(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_KERNEL_IP, port + 1);
	struct res r;
	int l = listener(a, port);

	LAST(a->connect(l, SA(&sa), sizeof(sa)));
	a->close(l);
	return r;
}

static struct res
c_listen_connected(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_KERNEL_IP, port);
	struct res r;
	int l = listener(&kernel, port), s = a->socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(a->connect(s, SA(&sa), sizeof(sa)), 0);
	LAST(a->listen(s, 1));
	a->close(s);
	close(l);
	return r;
}

static struct res
c_send_unconnected_tcp(const struct api *a, uint16_t port)
{
	struct res r;
	int s = a->socket(AF_INET, SOCK_STREAM, 0);

	(void)port;
	LAST(a->send(s, "x", 1, 0));
	a->close(s);
	return r;
}

static struct res
c_recv_unconnected_tcp(const struct api *a, uint16_t port)
{
	struct res r;
	char b[4];
	int s = a->socket(AF_INET, SOCK_STREAM, 0);

	(void)port;
	LAST(a->recv(s, b, sizeof(b), 0));
	a->close(s);
	return r;
}

static struct res
c_recv_udp_dontwait(const struct api *a, uint16_t port)
{
	struct res r;
	char b[4];
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	LAST(a->recv(s, b, sizeof(b), MSG_DONTWAIT));
	a->close(s);
	return r;
}

static struct res
c_send_udp_unconnected(const struct api *a, uint16_t port)
{
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	LAST(a->send(s, "x", 1, 0));
	a->close(s);
	return r;
}

static struct res
c_sendto_inet6(const struct api *a, uint16_t port)
{
	struct sockaddr_in6 s6;
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(port);
	LAST(a->sendto(s, "x", 1, 0, SA(&s6), sizeof(s6)));
	a->close(s);
	return r;
}

static struct res
c_sendto_oob_udp(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_KERNEL_IP, port);
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	LAST(a->sendto(s, "x", 1, MSG_OOB, SA(&sa), sizeof(sa)));
	a->close(s);
	return r;
}

static struct res
c_shutdown_unconnected(const struct api *a, uint16_t port)
{
	struct res r;
	int s = a->socket(AF_INET, SOCK_STREAM, 0);

	(void)port;
	LAST(a->shutdown(s, SHUT_WR));
	a->close(s);
	return r;
}

static struct res
c_shutdown_bad_how(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_KERNEL_IP, port);
	struct res r;
	int s = a->socket(AF_INET, SOCK_DGRAM, 0);

	a->connect(s, SA(&sa), sizeof(sa));
	LAST(a->shutdown(s, 7));
	a->close(s);
	return r;
}

static struct res
c_send_after_shut_wr(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_KERNEL_IP, port);
	struct res r;
	int l = listener(&kernel, port), s = a->socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(a->connect(s, SA(&sa), sizeof(sa)), 0);
	a->shutdown(s, SHUT_WR);
	LAST(a->send(s, "x", 1, 0));
	a->close(s);
	close(l);
	return r;
}

static struct res
c_getpeername_unconnected(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof(sa);
	struct res r;
	int s = a->socket(AF_INET, SOCK_STREAM, 0);

	(void)port;
	LAST(a->getpeername(s, SA(&sa), &l));
	a->close(s);
	return r;
}

static struct res
c_getsockname_bad(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof(sa);
	struct res r;

	(void)port;
	LAST(a->getsockname(-1, SA(&sa), &l));
	return r;
}

static struct res
c_setsockopt_unknown(const struct api *a, uint16_t port)
{
	struct res r;
	int v = 1, s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	LAST(a->setsockopt(s, SOL_SOCKET, 12345, &v, sizeof(v)));
	a->close(s);
	return r;
}

static struct res
c_setsockopt_short(const struct api *a, uint16_t port)
{
	struct res r;
	int v = 1, s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	LAST(a->setsockopt(s, IPPROTO_IP, IP_TTL, &v, 2));
	a->close(s);
	return r;
}

static struct res
c_setsockopt_tcp_on_udp(const struct api *a, uint16_t port)
{
	struct res r;
	int v = 1, s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	LAST(a->setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
	a->close(s);
	return r;
}

static struct res
c_ttl_out_of_range(const struct api *a, uint16_t port)
{
	struct res r;
	int v = 256, s = a->socket(AF_INET, SOCK_DGRAM, 0);

	(void)port;
	LAST(a->setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	a->close(s);
	return r;
}

static struct res
c_getsockopt_error_clears(const struct api *a, uint16_t port)
{
	struct res r;
	int v = -1, s = a->socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t l = sizeof(v);

	(void)port;
	LAST(a->getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &l));
	r.rc = r.rc * 1000 + v;
	a->close(s);
	return r;
}

static struct res
c_sendto_unconnected_tcp(const struct api *a, uint16_t port)
{
	struct sockaddr_in sa = addr(LAB_KERNEL_IP, port);
	struct res r;
	int s = a->socket(AF_INET, SOCK_STREAM, 0);

	LAST(a->sendto(s, "x", 1, 0, SA(&sa), sizeof(sa)));
	a->close(s);
	return r;
}

static struct res
c_send_listener(const struct api *a, uint16_t port)
{
	struct res r;
	int l = listener(a, port);

	LAST(a->send(l, "x", 1, 0));
	a->close(l);
	return r;
}

static struct res
c_recv_listener(const struct api *a, uint16_t port)
{
	struct res r;
	char b[4];
	int l = listener(a, port);

	LAST(a->recv(l, b, sizeof(b), MSG_DONTWAIT));
	a->close(l);
	return r;
}

static struct res
c_shutdown_listener(const struct api *a, uint16_t port)
{
	struct res r;
	int l = listener(a, port);

	LAST(a->shutdown(l, SHUT_RDWR));
	a->close(l);
	return r;
}

static struct res
c_accept_after_shutdown(const struct api *a, uint16_t port)
{
	struct res r;
	int l = listener(a, port);

	a->shutdown(l, SHUT_RDWR);
	LAST(a->accept(l, NULL, NULL));
	a->close(l);
	return r;
}

static const struct {
	const char *what;
	case_fn fn;
} cases[] = {
	{ "close(-1)", c_close_bad },
	{ "close twice", c_close_twice },
	{ "socket of family 99", c_socket_family },
	{ "socket of type 99", c_socket_type },
	{ "datagram socket of protocol TCP", c_socket_proto },
	{ "bind with an 8-byte address", c_bind_short },
	{ "bind to an AF_UNIX address", c_bind_family },
	{ "bind a stream socket twice", c_bind_twice },
	{ "bind to an address not ours", c_bind_not_ours },
	{ "bind to a port in use", c_bind_in_use },
	{ "listen on a datagram socket", c_listen_udp },
	{ "accept on a datagram socket", c_accept_udp },
	{ "accept on a stream socket not listening", c_accept_not_listening },
	{ "connect with an 8-byte address", c_connect_short },
	{ "connect twice", c_connect_twice },
	{ "connect a listening socket", c_connect_listening },
	{ "listen on a connected socket", c_listen_connected },
	{ "send on a stream socket never connected", c_send_unconnected_tcp },
	{ "recv on a stream socket never connected", c_recv_unconnected_tcp },
	{ "recv MSG_DONTWAIT with nothing there", c_recv_udp_dontwait },
	{ "send on an unconnected datagram socket", c_send_udp_unconnected },
	{ "sendto an AF_INET6 address", c_sendto_inet6 },
	{ "sendto with MSG_OOB on a datagram socket", c_sendto_oob_udp },
	{ "shutdown a stream socket never connected", c_shutdown_unconnected },
	{ "shutdown with how 7", c_shutdown_bad_how },
	{ "send after shutdown(SHUT_WR)", c_send_after_shut_wr },
	{ "getpeername unconnected", c_getpeername_unconnected },
	{ "getsockname(-1)", c_getsockname_bad },
	{ "setsockopt of an unknown option", c_setsockopt_unknown },
	{ "setsockopt IP_TTL with 2 bytes", c_setsockopt_short },
	{ "setsockopt TCP_NODELAY on a datagram socket", c_setsockopt_tcp_on_udp },
	{ "setsockopt IP_TTL 256", c_ttl_out_of_range },
	{ "getsockopt SO_ERROR on a fresh socket", c_getsockopt_error_clears },
	{ "sendto an address on a stream never connected", c_sendto_unconnected_tcp },
	{ "send on a listening socket", c_send_listener },
	{ "recv on a listening socket", c_recv_listener },
	{ "shutdown a listening socket", c_shutdown_listener },
	{ "accept after shutting a listener down", c_accept_after_shutdown },
};

Test(api_misuse, every_misuse_fails_as_the_kernel_fails)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t port = (uint16_t)(7500 + 4 * i);
		struct res k = cases[i].fn(&kernel, port), u = cases[i].fn(&us, port);

		if (k.rc != u.rc || k.err != u.err) {
			cr_log_error("%s: kernel %ld (%s), usock %ld (%s)", cases[i].what, k.rc,
				     k.err ? strerror(k.err) : "-", u.rc, u.err ? strerror(u.err) : "-");
			bad++;
		}
	}
	cr_assert_eq(bad, 0, "%d of %zu cases differ from the kernel (see above)", bad,
		     sizeof(cases) / sizeof(cases[0]));
}

/* A bad pointer: EFAULT from the kernel, EINVAL from usock (API.md), never a crash. */
Test(api_misuse, bad_pointers_give_einval)
{
	struct sockaddr_in sa = sin4(LAB_KERNEL_IP, 9);
	int s = u_socket(AF_INET, SOCK_DGRAM, 0), t = u_socket(AF_INET, SOCK_STREAM, 0), v;
	socklen_t l = sizeof(sa);
	char b[8];

	expect_fail(usock_bind(s, NULL, sizeof(sa)), EINVAL);
	expect_fail(usock_connect(t, NULL, sizeof(sa)), EINVAL);
	expect_fail(usock_send(s, NULL, 10, 0), EINVAL);
	expect_fail(usock_sendto(s, NULL, 10, 0, SA(&sa), sizeof(sa)), EINVAL);
	expect_fail(usock_recv(s, NULL, 10, 0), EINVAL);
	expect_fail(usock_recvfrom(s, b, sizeof(b), 0, SA(&sa), NULL), EINVAL);
	expect_fail(usock_getsockname(s, NULL, &l), EINVAL);
	expect_fail(usock_getsockname(s, SA(&sa), NULL), EINVAL);
	expect_fail(usock_getsockopt(s, SOL_SOCKET, SO_TYPE, &v, NULL), EINVAL);
	expect_fail(usock_getsockopt(s, SOL_SOCKET, SO_TYPE, NULL, &l), EINVAL);
	expect_fail(usock_setsockopt(s, SOL_SOCKET, SO_BROADCAST, NULL, sizeof(int)), EINVAL);
	expect_fail(usock_accept(t, SA(&sa), NULL), EINVAL);
	usock_close(s);
	usock_close(t);
}

/* The calls the kernel does not have: their misuse, one errno each. */
Test(api_misuse, usocks_own_calls_refuse_bad_arguments)
{
	struct addrinfo *res;
	struct pollfd pf = { -1, POLLIN, 0 };
	void *p;
	char b[8];
	int s = u_socket(AF_INET, SOCK_DGRAM, 0), t = u_socket(AF_INET, SOCK_STREAM, 0);

	expect_fail(usock_sendall(-1, "x", 1), EBADF);
	expect_fail(usock_sendall(s, NULL, 1), EINVAL);
	expect_fail(usock_write(12345, "x", 1), EBADF);
	expect_fail(usock_read(-1, b, sizeof(b)), EBADF);
	expect_fail(usock_read(s, NULL, 4), EINVAL);
	expect_fail(usock_readinto(s, NULL, 4), EINVAL);
	expect_fail(usock_readinto(s, b, (size_t)-1), EINVAL);
	expect_fail(usock_readline(s, NULL, 4), EINVAL);
	expect_fail(usock_readline(-1, b, sizeof(b)), EBADF);
	expect_fail(usock_readall(s, NULL), EINVAL);
	expect_fail(usock_readall(-1, &p), EBADF);
	expect_fail(usock_settimeout(-1, 1.0), EBADF);
	expect_fail(usock_settimeout(s, 0.0 / 0.0), EINVAL);
	expect_fail(usock_setblocking(-1, true), EBADF);
	expect_fail(usock_poll(NULL, 1, 0), EINVAL);
	expect_ret(usock_poll(&pf, 1, 0), 0);
	expect_fail(usock_recv_borrow(-1, (const void **)&p, NULL, NULL), EBADF);
	expect_fail(usock_release(s, 0), EINVAL);
	expect_fail(usock_sockstats(-1, &(struct usock_sockstats){ 0 }), EBADF);
	expect_fail(usock_sockstats(s, NULL), EINVAL);
	expect_fail(usock_listen(-1, 1), EBADF);
	expect_fail(usock_shutdown(t, SHUT_RDWR), ENOTCONN);
	cr_assert_eq(usock_getaddrinfo(NULL, NULL, NULL, &res), EAI_NONAME);
	cr_assert_eq(usock_getaddrinfo("x", NULL, NULL, NULL), EAI_SYSTEM);
	/* A kernel descriptor is not a usock socket, even when it is open. */
	expect_fail(usock_send(0, "x", 1, 0), EBADF);
	expect_fail(usock_close(1), EBADF);
	usock_close(s);
	usock_close(t);
}
