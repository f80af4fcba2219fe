/*
 * usock-echo-server - an example of the usock API: a TCP echo server on the
 * usock stack (usock_bind, usock_listen, usock_accept, then usock_recv and
 * usock_write in a thread per connection) that echoes until each peer
 * closes.  Stops on SIGINT or SIGTERM.
 *
 *	USOCK_IFACE=eth0 USOCK_IPV4=192.0.2.50/24 usock-echo-server 7007
 */
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <usock.h>

static void *
serve(void *arg)
{
	int c = (int)(intptr_t)arg;
	char buf[16384];
	ssize_t n;

	/* recv returns what is there; write does not return until all of it is queued. */
	while ((n = usock_recv(c, buf, sizeof(buf), 0)) > 0)
		if (usock_write(c, buf, (size_t)n) != n)
			break;
	usock_close(c);
	return NULL;
}

static void *
accept_loop(void *arg)
{
	int s = (int)(intptr_t)arg;

	for (;;) {
		pthread_t t;
		int c = usock_accept(s, NULL, NULL);

		if (c < 0) {
			if (errno == EBADF)
				return NULL;	/* the listener was closed: stopping */
			continue;
		}
		if (pthread_create(&t, NULL, serve, (void *)(intptr_t)c) != 0) {
			usock_close(c);
			continue;
		}
		pthread_detach(t);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a;
	pthread_t acc;
	sigset_t stop;
	int s, one = 1, sig;

	if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
		fprintf(stderr, "usage: usock-echo-server PORT\n"
				"The stack is configured by USOCK_IFACE, USOCK_IPV4, ... (see README).\n");
		return 2;
	}
	/* Signals go to a waiting thread; the others never see them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0);
	if (s < 0 || usock_setsockopt(s, USOCK_SOL_SOCKET, USOCK_SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    usock_bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || usock_listen(s, 16) < 0) {
		fprintf(stderr, "usock-echo-server: port %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fprintf(stderr, "usock-echo-server: echoing on port %s\n", argv[1]);
	if (pthread_create(&acc, NULL, accept_loop, (void *)(intptr_t)s) != 0) {
		fprintf(stderr, "usock-echo-server: cannot start a thread\n");
		return 1;
	}
	sigwait(&stop, &sig);
	/* Closing the listener ends the blocked accept (EBADF); fini closes the rest gracefully. */
	usock_close(s);
	pthread_join(acc, NULL);
	usock_fini();
	return 0;
}
