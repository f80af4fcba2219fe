/*
 * usock-testsrv - the test services on the usock stack, configured from
 * USOCK_*: UDP echo on port 7 (port 1 stays closed: ICMP port unreachable).
 * Runs until SIGTERM or SIGINT, then closes its sockets and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <usock.h>

static int sigpipe_fds[2] = { -1, -1 };

static void
on_signal(int sig)
{
	char c = (char)sig;

	(void)!write(sigpipe_fds[1], &c, 1);
}

static int
udp_server(uint16_t port)
{
	struct sockaddr_in sin;
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	if (s < 0) {
		fprintf(stderr, "usock-testsrv: socket: %s\n", strerror(errno));
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (usock_bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "usock-testsrv: bind UDP %u: %s\n", port, strerror(errno));
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
	static char buf[65536];
	struct sockaddr_in from;
	socklen_t flen;
	ssize_t n;

	for (;;) {
		flen = sizeof(from);
		n = usock_recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			break;
		if (usock_sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) < 0 &&
		    errno != ENOBUFS && errno != ECONNREFUSED)
			fprintf(stderr, "usock-testsrv: UDP echo: %s\n", strerror(errno));
	}
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct pollfd pf[2];
	int udp7;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: usock-testsrv\n"
		       "Serves on the usock stack configured by USOCK_IFACE, USOCK_IPV4, ...:\n"
		       "  UDP 7  echo\n"
		       "  port 1 closed (ICMP port unreachable)\n"
		       "Stops cleanly on SIGTERM or SIGINT.\n");
		return 0;
	}
	if (pipe(sigpipe_fds) != 0) {
		perror("usock-testsrv: pipe");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (usock_init(NULL) < 0) {
		fprintf(stderr, "usock-testsrv: the stack did not start (%s)\n", strerror(errno));
		return 1;
	}
	udp7 = udp_server(7);
	if (udp7 < 0)
		return 1;
	printf("usock-testsrv: serving UDP echo on port 7\n");
	fflush(stdout);
	pf[0].fd = udp7;
	pf[0].events = POLLIN;
	pf[1].fd = sigpipe_fds[0];
	pf[1].events = POLLIN;
	for (;;) {
		if (usock_poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "usock-testsrv: poll: %s\n", strerror(errno));
			break;
		}
		if (pf[1].revents & POLLIN)
			break;
		if (pf[0].revents & POLLIN)
			udp_echo(udp7);
	}
	usock_close(udp7);
	usock_fini();
	printf("usock-testsrv: stopped\n");
	return 0;
}
