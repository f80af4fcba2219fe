/*
 * usock-cat - netcat on the usock stack: connects to HOST PORT (or with -l
 * accepts one connection on PORT), copies standard input to the connection
 * and the connection to standard output, and half-closes when input ends.
 * One thread sends while the other receives, on the same socket.  With -z
 * it receives without a copy (usock_recv_borrow): stdout is written
 * straight from the frames the driver filled.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <usock.h>

static int conn = -1;
static int send_err;

static void *
sender(void *arg)
{
	static char buf[65536];
	ssize_t n;

	(void)arg;
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		if (usock_sendall(conn, buf, (size_t)n) < 0) {
			send_err = errno;
			return NULL;
		}
	}
	usock_shutdown(conn, SHUT_WR);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: usock-cat [-z] HOST PORT   connect, copy stdin out and the peer to stdout\n"
			"       usock-cat [-z] -l PORT     accept one connection on PORT, the same\n"
			"  HOST is an IPv4 or IPv6 address; with USOCK_IPV6 set, -l takes both\n"
			"  -z  receive in place (usock_recv_borrow), no copy into a buffer\n"
			"The stack is configured by USOCK_IFACE, USOCK_IPV4, ... (see README).\n");
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa = (const struct sockaddr *)&sin;
	socklen_t salen = sizeof(sin);
	const char *v6env = getenv("USOCK_IPV6");
	pthread_t thr;
	ssize_t n;
	int zero = argc > 1 && strcmp(argv[1], "-z") == 0;
	int listen_mode, s, family = USOCK_AF_INET;

	if (zero) {
		argc--;
		argv++;
	}
	listen_mode = argc == 3 && strcmp(argv[1], "-l") == 0;
	if (!listen_mode && argc != 3) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = sin.sin_port;
	if (listen_mode ? v6env != NULL && *v6env != '\0'
			: inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		/* An IPv6 peer, or a listener for both families ("::", v4-mapped for IPv4). */
		if (!listen_mode && inet_pton(AF_INET6, argv[1], &sin6.sin6_addr) != 1) {
			fprintf(stderr, "usock-cat: %s is not an IPv4 or IPv6 address\n", argv[1]);
			return 2;
		}
		family = USOCK_AF_INET6;
		sa = (const struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	}
	s = usock_socket(family, USOCK_SOCK_STREAM, 0);
	if (s < 0) {
		fprintf(stderr, "usock-cat: socket: %s\n", strerror(errno));
		return 1;
	}
	if (listen_mode) {
		int one = 1;

		usock_setsockopt(s, USOCK_SOL_SOCKET, USOCK_SO_REUSEADDR, &one, sizeof(one));
		if (usock_bind(s, sa, salen) < 0 ||
		    usock_listen(s, 1) < 0) {
			fprintf(stderr, "usock-cat: listen on %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		fprintf(stderr, "usock-cat: listening on port %s\n", argv[2]);
		conn = usock_accept(s, NULL, NULL);
		if (conn < 0) {
			fprintf(stderr, "usock-cat: accept: %s\n", strerror(errno));
			return 1;
		}
		usock_close(s);
	} else {
		if (usock_connect(s, sa, salen) < 0) {
			fprintf(stderr, "usock-cat: connect to %s:%s: %s\n", argv[1], argv[2],
				strerror(errno));
			return 1;
		}
		conn = s;
	}
	if (pthread_create(&thr, NULL, sender, NULL) != 0) {
		fprintf(stderr, "usock-cat: cannot start the sending thread\n");
		return 1;
	}
	for (;;) {
		const void *d = buf;
		size_t off = 0;

		n = zero ? usock_recv_borrow(conn, &d, NULL, NULL)
			 : usock_recv(conn, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		while (off < (size_t)n) {
			ssize_t w = write(1, (const char *)d + off, (size_t)n - off);

			if (w <= 0) {
				fprintf(stderr, "usock-cat: stdout: %s\n", strerror(errno));
				return 1;
			}
			off += (size_t)w;
		}
		if (zero && usock_release(conn, (size_t)n) < 0) {
			fprintf(stderr, "usock-cat: release: %s\n", strerror(errno));
			return 1;
		}
	}
	if (n < 0)
		fprintf(stderr, "usock-cat: receive: %s\n", strerror(errno));
	pthread_join(thr, NULL);
	if (send_err != 0)
		fprintf(stderr, "usock-cat: send: %s\n", strerror(send_err));
	usock_close(conn);
	usock_fini();
	return n < 0 || send_err != 0 ? 1 : 0;
}
