/*
 * usock-testsrv - the test services on the usock stack, configured from
 * USOCK_*: TCP echo (7), discard (9) and a 100000-byte generator (19),
 * UDP echo (7); port 1 stays closed (RST, ICMP port unreachable).  With
 * USOCK_IPV6 set, each service is one dual-stack AF_INET6 socket, so it
 * answers over IPv4 and IPv6 alike.  One thread, non-blocking sockets, usock_poll.  Runs until SIGTERM or SIGINT,
 * then closes every connection gracefully and exits 0.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <unistd.h>

#include <usock.h>

#define GEN_BYTES	100000	/* what port 19 sends */
#define BUF_SIZE	65536

enum svc { SVC_ECHO, SVC_DISCARD, SVC_GEN };

struct conn {
	int fd;			/* the connection */
	enum svc svc;		/* what it gets */
	uint8_t *pend;		/* echo: bytes read but not yet written back */
	size_t npend;		/* how many */
	size_t pend_off;	/* how many of them went */
	uint32_t gen_sent;	/* generator: bytes sent */
	uint32_t gen_x;		/* generator: xorshift32 state */
	int eof;		/* the peer finished sending */
	int fin_sent;		/* generator: our FIN went */
};

static int sigpipe_fds[2] = { -1, -1 };
static struct conn *conns;
static size_t nconns, capconns;

static void
on_signal(int sig)
{
	char c = (char)sig;

	(void)!write(sigpipe_fds[1], &c, 1);
}

static int
server(int family, int type, uint16_t port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int one = 1, zero = 0, s = usock_socket(family, type, 0);
	const struct sockaddr *sa = (const struct sockaddr *)&sin;
	socklen_t salen = sizeof(sin);

	if (s < 0) {
		fprintf(stderr, "usock-testsrv: socket: %s\n", strerror(errno));
		return -1;
	}
	usock_setsockopt(s, USOCK_SOL_SOCKET, USOCK_SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (family == USOCK_AF_INET6) {
		/* Dual stack: "::" with IPV6_V6ONLY off takes IPv4 peers too, v4-mapped. */
		usock_setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		sa = (const struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	}
	if (usock_bind(s, sa, salen) < 0 ||
	    (type == USOCK_SOCK_STREAM && usock_listen(s, USOCK_SOMAXCONN) < 0)) {
		fprintf(stderr, "usock-testsrv: %s port %u: %s\n",
			type == USOCK_SOCK_STREAM ? "TCP" : "UDP", port, strerror(errno));
		usock_close(s);
		return -1;
	}
	usock_setblocking(s, false);
	return s;
}

/* Echoes every datagram waiting on s back to its sender. */
static void
udp_echo(int s)
{
	static char buf[BUF_SIZE];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;

	for (;;) {
		flen = sizeof(from);
		n = usock_recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			break;
		(void)usock_sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
	}
}

static void
accept_all(int ls, enum svc svc)
{
	int fd;

	while ((fd = usock_accept(ls, NULL, NULL)) >= 0) {
		struct conn *c;

		if (nconns == capconns) {
			size_t n = capconns ? capconns * 2 : 64;
			struct conn *t = realloc(conns, n * sizeof(*t));

			if (t == NULL) {
				usock_close(fd);
				return;
			}
			conns = t;
			capconns = n;
		}
		usock_setblocking(fd, false);
		c = &conns[nconns++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->svc = svc;
		c->gen_x = 0x9E3779B9u;
	}
}

/* Byte i of the generator: the top 8 bits after i+1 xorshift32 steps. */
static uint8_t
gen_byte(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return (uint8_t)(*x >> 24);
}

/* Serves one connection; returns 0 when it is finished (closed). */
static int
serve(struct conn *c)
{
	static uint8_t buf[BUF_SIZE];
	ssize_t n;

	if (c->svc == SVC_GEN && !c->fin_sent) {
		while (c->gen_sent < GEN_BYTES) {
			uint32_t k = GEN_BYTES - c->gen_sent, i, x = c->gen_x;

			if (k > sizeof(buf))
				k = sizeof(buf);
			for (i = 0; i < k; i++)
				buf[i] = gen_byte(&x);
			n = usock_send(c->fd, buf, k, 0);
			if (n <= 0)
				break;
			/* Keep the generator in step with what was actually taken. */
			for (i = 0; i < (uint32_t)n; i++)
				gen_byte(&c->gen_x);
			c->gen_sent += (uint32_t)n;
		}
		if (c->gen_sent == GEN_BYTES) {
			usock_shutdown(c->fd, SHUT_WR);
			c->fin_sent = 1;
		}
	}
	if (c->svc == SVC_ECHO && c->npend > c->pend_off) {
		n = usock_send(c->fd, c->pend + c->pend_off, c->npend - c->pend_off, 0);
		if (n > 0)
			c->pend_off += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			return 0;
		if (c->pend_off < c->npend)
			return 1;	/* wait for room before reading more */
	}
	while (!c->eof) {
		n = usock_recv(c->fd, buf, sizeof(buf), 0);
		if (n == 0) {
			c->eof = 1;
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			return 0;	/* reset or error: nothing more to do */
		}
		if (c->svc == SVC_ECHO) {
			ssize_t w = usock_send(c->fd, buf, (size_t)n, 0);

			if (w < 0)
				w = 0;
			if (w < n) {
				uint8_t *p = realloc(c->pend, (size_t)(n - w));

				if (p == NULL)
					return 0;
				memcpy(p, buf + w, (size_t)(n - w));
				c->pend = p;
				c->npend = (size_t)(n - w);
				c->pend_off = 0;
				return 1;
			}
		}
	}
	if (c->eof) {
		/* Echo finishes what it owes; the generator's FIN went already. */
		if (c->svc == SVC_ECHO && c->pend_off < c->npend)
			return 1;
		if (c->svc == SVC_GEN && !c->fin_sent)
			return 1;
		return 0;
	}
	return 1;
}

static void
conn_close(struct conn *c)
{
	usock_close(c->fd);
	free(c->pend);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct pollfd *pf = NULL;
	size_t cappf = 0, i;
	int udp7, tcp7, tcp9, tcp19, family;
	const char *ipv6;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: usock-testsrv\n"
		       "Serves on the usock stack configured by USOCK_IFACE, USOCK_IPV4, ...:\n"
		       "  TCP 7   echo until the peer closes\n"
		       "  TCP 9   discard until end of stream, then close\n"
		       "  TCP 19  send 100000 generated bytes, FIN, then discard until the peer closes\n"
		       "  UDP 7   echo\n"
		       "  port 1  closed (TCP RST, ICMP port unreachable)\n"
		       "With USOCK_IPV6 set, every service answers over IPv6 too.\n"
		       "Stops cleanly on SIGTERM or SIGINT.\n");
		return 0;
	}
#ifdef M_MMAP_THRESHOLD
	/*
	 * A fixed threshold: glibc's adapts, rising to the size of the largest
	 * mapped block freed (this server's connection array after a surge),
	 * after which the next surge's arrays come from the heap and its peak
	 * is higher than the first's.  The soak compares the two, for usock.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	if (pipe(sigpipe_fds) != 0) {
		perror("usock-testsrv: pipe");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* On failure the stack has printed the one line that names the setting. */
	if (usock_init(NULL) < 0)
		return 1;
	ipv6 = getenv("USOCK_IPV6");
	family = ipv6 != NULL && *ipv6 != '\0' ? USOCK_AF_INET6 : USOCK_AF_INET;
	udp7 = server(family, USOCK_SOCK_DGRAM, 7);
	tcp7 = server(family, USOCK_SOCK_STREAM, 7);
	tcp9 = server(family, USOCK_SOCK_STREAM, 9);
	tcp19 = server(family, USOCK_SOCK_STREAM, 19);
	if (udp7 < 0 || tcp7 < 0 || tcp9 < 0 || tcp19 < 0)
		return 1;
	printf("usock-testsrv: serving TCP 7 (echo), 9 (discard), 19 (100000 bytes), UDP 7 (echo)%s\n",
	       family == USOCK_AF_INET6 ? " over IPv4 and IPv6" : "");
	fflush(stdout);
	for (;;) {
		size_t n = 5 + nconns;

		if (n > cappf) {
			struct pollfd *t = realloc(pf, n * 2 * sizeof(*t));

			if (t == NULL)
				break;
			pf = t;
			cappf = n * 2;
		}
		pf[0] = (struct pollfd){ .fd = sigpipe_fds[0], .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = udp7, .events = POLLIN };
		pf[2] = (struct pollfd){ .fd = tcp7, .events = POLLIN };
		pf[3] = (struct pollfd){ .fd = tcp9, .events = POLLIN };
		pf[4] = (struct pollfd){ .fd = tcp19, .events = POLLIN };
		for (i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];
			short ev = POLLIN;

			if ((c->svc == SVC_ECHO && c->pend_off < c->npend) ||
			    (c->svc == SVC_GEN && !c->fin_sent))
				ev = POLLOUT;
			pf[5 + i] = (struct pollfd){ .fd = c->fd, .events = ev };
		}
		if (usock_poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "usock-testsrv: poll: %s\n", strerror(errno));
			break;
		}
		if (pf[0].revents & POLLIN)
			break;
		if (pf[1].revents)
			udp_echo(udp7);
		if (pf[2].revents)
			accept_all(tcp7, SVC_ECHO);
		if (pf[3].revents)
			accept_all(tcp9, SVC_DISCARD);
		if (pf[4].revents)
			accept_all(tcp19, SVC_GEN);
		for (i = 0; i < nconns && 5 + i < n; i++) {
			if (pf[5 + i].revents == 0)
				continue;
			if (!serve(&conns[i])) {
				conn_close(&conns[i]);
				conns[i] = conns[--nconns];
				/* The last connection takes the slot: polled with the rest, or accepted just now. */
				if (5 + nconns < n) {
					pf[5 + i] = pf[5 + nconns];
					n--;
				} else {
					pf[5 + i].revents = 0;
				}
				i--;
			}
		}
		/* New connections may have data already: serve them once now. */
		for (i = 0; i < nconns; i++)
			if (conns[i].gen_sent == 0 && conns[i].svc == SVC_GEN && !serve(&conns[i])) {
				conn_close(&conns[i]);
				conns[i] = conns[--nconns];
				i--;
			}
		/* A surge is over: give its arrays back (the soak test measures memory). */
		if (nconns == 0 && capconns > 64) {
			free(conns);
			conns = NULL;
			capconns = 0;
			free(pf);
			pf = NULL;
			cappf = 0;
		}
	}
	for (i = 0; i < nconns; i++)
		conn_close(&conns[i]);
	free(conns);
	free(pf);
	usock_close(udp7);
	usock_close(tcp7);
	usock_close(tcp9);
	usock_close(tcp19);
	usock_fini();
	printf("usock-testsrv: stopped\n");
	return 0;
}
