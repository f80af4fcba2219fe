/*
 * conn_soak.c - lab-conn-soak: the kernel side of the connection soak
 * (test_soak_conns.sh).  Opens COUNT TCP connections from SRC to an echo
 * server at DEST:PORT, sends SIZE bytes on each and checks that the same
 * bytes come back, and holds every one open; once all are, says so and
 * waits for the file GO to appear, then closes each in order (our FIN, the
 * server's FIN, close).  Plain kernel sockets, non-blocking, one epoll
 * set; at most WINDOW connections between their connect and their echo,
 * so the server's accept queue is not overrun; a connect refused or reset
 * before its echo (the server's queue was full) is tried again after a pause.
 *
 * usage: lab-conn-soak SRC DEST PORT COUNT SIZE WINDOW TIMEOUT GO
 * Prints "verified N ..." (all open, echoed and still held; then waits for
 * GO) and "closed N ...", or "failed: why"; exits 0 only if all COUNT
 * connections were opened, echoed intact, held and closed in order.
 * TIMEOUT (seconds) bounds each of the three phases.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CLOSE_WINDOW	256	/* connections waiting for the server's FIN */
#define RETRY_MS	10	/* pause before a refused connect is tried again */
#define MAX_TRIES	200	/* connects per connection before giving up */
#define MAX_SIZE	65536

enum cstate { C_IDLE, C_CONNECTING, C_ECHO, C_VERIFIED, C_CLOSING, C_CLOSED };

struct conn {
	int fd;			/* the socket, -1 when none */
	uint8_t state;		/* enum cstate */
	uint8_t tries;		/* connects so far */
	uint32_t got;		/* echo bytes read and checked */
	uint64_t retry_at;	/* C_IDLE after a refusal or reset: not before this (ms) */
};

static struct conn *conns;
static unsigned long count, size;
static struct sockaddr_in src, dst;
static int ep;
static uint8_t iobuf[MAX_SIZE];

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Byte j of what connection i sends: its number first, then a pattern from both. */
static uint8_t
byte_of(unsigned long i, unsigned long j)
{
	if (j < 4)
		return (uint8_t)(i >> (24 - 8 * j));
	return (uint8_t)(i * 131u + j * 7u + (j >> 8));
}

static int
arg_ulong(const char *s, const char *what, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || *out < lo || *out > hi) {
		fprintf(stderr, "lab-conn-soak: %s \"%s\" is not a number from %lu to %lu\n", what,
			s, lo, hi);
		return -1;
	}
	return 0;
}

static int
watch(unsigned long i, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = i };

	return epoll_ctl(ep, op, conns[i].fd, &ev);
}

/* Starts connection i's handshake; -1 (errno set) on a local failure. */
static int
start_connect(unsigned long i)
{
	struct conn *c = &conns[i];
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	/* The port is picked at connect, per 4-tuple, not per address at bind. */
	(void)setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) ||
	    watch(i, EPOLL_CTL_ADD, EPOLLOUT) != 0) {
		int e = errno;

		close(c->fd);
		c->fd = -1;
		errno = e;
		return -1;
	}
	c->state = C_CONNECTING;
	c->tries++;
	return 0;
}

/* Sends connection i's SIZE bytes (they fit in an empty socket buffer). */
static int
send_data(unsigned long i)
{
	struct conn *c = &conns[i];
	unsigned long j;
	ssize_t w;

	for (j = 0; j < size; j++)
		iobuf[j] = byte_of(i, j);
	w = send(c->fd, iobuf, size, MSG_NOSIGNAL);
	if (w != (ssize_t)size) {
		if (w < 0 && (errno == ECONNRESET || errno == EPIPE))
			return 1;	/* reset already: tried again */
		printf("failed: send on connection %lu: %s\n", i,
		       w < 0 ? strerror(errno) : "short write");
		return -1;
	}
	c->state = C_ECHO;
	c->got = 0;
	return watch(i, EPOLL_CTL_MOD, EPOLLIN) == 0 ? 0 : -1;
}

/*
 * Reads what connection i has: 2 once all SIZE bytes came back equal, 0
 * not yet, 1 reset (to be tried again), -1 wrong.
 */
static int
read_echo(unsigned long i)
{
	struct conn *c = &conns[i];
	ssize_t r, j;

	r = recv(c->fd, iobuf, sizeof(iobuf), 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r < 0 && errno == ECONNRESET && c->got == 0)
		return 1;
	if (r <= 0) {
		printf("failed: echo on connection %lu: %s after %u bytes\n", i,
		       r == 0 ? "end of stream" : strerror(errno), c->got);
		return -1;
	}
	if (c->got + (unsigned long)r > size) {
		printf("failed: echo on connection %lu: %lu bytes, sent %lu\n", i,
		       c->got + (unsigned long)r, size);
		return -1;
	}
	for (j = 0; j < r; j++)
		if (iobuf[j] != byte_of(i, c->got + (unsigned long)j)) {
			printf("failed: echo on connection %lu: byte %lu differs\n", i,
			       c->got + (unsigned long)j);
			return -1;
		}
	c->got += (uint32_t)r;
	return c->got == size ? 2 : 0;
}

/*
 * Phase 1: every connection opened, its echo checked, and held, at most
 * window of them in between (connecting or waiting for the echo), so that
 * with the server's accept queue larger than all the clients' windows it
 * never overflows.  A refused connect (RST to the SYN: the queue was full
 * anyway) or a reset before any echo (the handshake's ACK found it full)
 * is tried again after a pause.  Returns 0, or -1 after saying why.
 */
static int
open_all(uint64_t deadline, unsigned long window, unsigned long *refused, unsigned long *reset)
{
	unsigned long next = 0, done = 0, inflight = 0, i, *retry, rhead = 0, rtail = 0;
	struct epoll_event evs[256];
	int n, k, rc;

	/* Connections to try again wait here, oldest first (each is in it once at most). */
	retry = calloc(count, sizeof(*retry));
	if (retry == NULL) {
		printf("failed: %s\n", strerror(errno));
		return -1;
	}
	while (done < count) {
		uint64_t t = now_ms();

		if (t >= deadline) {
			printf("failed: %lu of %lu open and echoed when the time ran out "
			       "(%lu in flight)\n",
			       done, count, inflight);
			goto fail;
		}
		/* Those to try again first, once their pause is over, then new ones. */
		while (rhead != rtail && inflight < window &&
		       conns[retry[rhead % count]].retry_at <= t) {
			i = retry[rhead++ % count];
			if (start_connect(i) != 0) {
				printf("failed: connection %lu: %s\n", i, strerror(errno));
				goto fail;
			}
			inflight++;
		}
		while (next < count && inflight < window) {
			if (start_connect(next) != 0) {
				printf("failed: connection %lu: %s\n", next, strerror(errno));
				goto fail;
			}
			next++;
			inflight++;
		}
		n = epoll_wait(ep, evs, 256, 5);
		if (n < 0 && errno != EINTR) {
			printf("failed: epoll_wait: %s\n", strerror(errno));
			goto fail;
		}
		for (k = 0; k < n; k++) {
			struct conn *c;
			socklen_t len = sizeof(int);
			int err = 0;

			i = (unsigned long)evs[k].data.u64;
			c = &conns[i];
			rc = 0;
			if (c->state == C_CONNECTING) {
				if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
					err = errno;
				if (err == 0) {
					/* Sent (0), reset already (1: as 2 here), or failed. */
					rc = send_data(i);
					if (rc == 1)
						rc = 2;
				} else if (err == ECONNREFUSED)
					rc = 1;
				else if (err == ECONNRESET)
					rc = 2;
				else
					rc = -1;
				if (rc < 0 && err != 0)
					printf("failed: connection %lu: %s\n", i, strerror(err));
			} else if (c->state == C_ECHO) {
				rc = read_echo(i);
				if (rc == 2) {
					/* Verified: from now on only an error would show. */
					(void)watch(i, EPOLL_CTL_MOD, 0);
					c->state = C_VERIFIED;
					done++;
					inflight--;
					continue;
				}
				if (rc == 1)
					rc = 2;
			} else {
				/* A held connection must not change while it waits. */
				printf("failed: held connection %lu: events %#x\n", i,
				       evs[k].events);
				rc = -1;
			}
			if (rc < 0)
				goto fail;
			if (rc == 0)
				continue;
			/* 1: refused, 2: reset: close, and try again after the pause. */
			close(c->fd);
			c->fd = -1;
			inflight--;
			if (c->tries >= MAX_TRIES) {
				printf("failed: connection %lu: refused or reset %u times\n", i,
				       c->tries);
				goto fail;
			}
			(*(rc == 1 ? refused : reset))++;
			c->state = C_IDLE;
			c->retry_at = now_ms() + RETRY_MS;
			retry[rtail++ % count] = i;
		}
	}
	free(retry);
	return 0;
fail:
	free(retry);
	return -1;
}

/* Phase 2: wait for the test to have looked at the server with everything open. */
static int
wait_go(const char *go, uint64_t deadline)
{
	struct epoll_event evs[16];
	struct stat sb;
	int n;

	while (stat(go, &sb) != 0) {
		if (now_ms() >= deadline) {
			printf("failed: %s did not appear in time\n", go);
			return -1;
		}
		/* Nothing may happen to a held connection meanwhile. */
		n = epoll_wait(ep, evs, 16, 10);
		if (n > 0) {
			printf("failed: held connection %lu: events %#x\n",
			       (unsigned long)evs[0].data.u64, evs[0].events);
			return -1;
		}
	}
	return 0;
}

/*
 * Phase 3: each connection closes in order: our FIN (shutdown), then the
 * server's (its echo service closes once it has read to the end), then close.
 */
static int
close_all(uint64_t deadline)
{
	unsigned long next = 0, done = 0, inflight = 0, i;
	struct epoll_event evs[256];
	int n, k;
	ssize_t r;

	while (done < count) {
		if (now_ms() >= deadline) {
			printf("failed: %lu of %lu closed when the time ran out\n", done, count);
			return -1;
		}
		for (; next < count && inflight < CLOSE_WINDOW; next++, inflight++) {
			if (shutdown(conns[next].fd, SHUT_WR) != 0 ||
			    watch(next, EPOLL_CTL_MOD, EPOLLIN) != 0) {
				printf("failed: shutdown of connection %lu: %s\n", next,
				       strerror(errno));
				return -1;
			}
			conns[next].state = C_CLOSING;
		}
		n = epoll_wait(ep, evs, 256, 5);
		if (n < 0 && errno != EINTR) {
			printf("failed: epoll_wait: %s\n", strerror(errno));
			return -1;
		}
		for (k = 0; k < n; k++) {
			i = (unsigned long)evs[k].data.u64;
			if (conns[i].state != C_CLOSING) {
				printf("failed: open connection %lu: events %#x\n", i, evs[k].events);
				return -1;
			}
			r = recv(conns[i].fd, iobuf, sizeof(iobuf), 0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r != 0) {
				printf("failed: closing connection %lu: %s\n", i,
				       r < 0 ? strerror(errno) : "data instead of the end");
				return -1;
			}
			close(conns[i].fd);
			conns[i].fd = -1;
			conns[i].state = C_CLOSED;
			done++;
			inflight--;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long port, timeout, window, refused = 0, reset = 0;
	uint64_t t0;

	if (argc != 9) {
		fprintf(stderr,
			"usage: lab-conn-soak SRC DEST PORT COUNT SIZE WINDOW TIMEOUT GO\n"
			"  opens COUNT TCP connections from SRC to the echo server DEST:PORT,\n"
			"  checks a SIZE-byte echo on each (WINDOW at a time) and holds them all,\n"
			"  waits for the file GO, then closes each in order; TIMEOUT seconds\n"
			"  bound each phase.\n");
		return 2;
	}
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.sin_family = dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
		fprintf(stderr, "lab-conn-soak: SRC and DEST are IPv4 addresses\n");
		return 2;
	}
	if (arg_ulong(argv[3], "PORT", 1, 65535, &port) != 0 ||
	    arg_ulong(argv[4], "COUNT", 1, 1000000, &count) != 0 ||
	    arg_ulong(argv[5], "SIZE", 4, MAX_SIZE, &size) != 0 ||
	    arg_ulong(argv[6], "WINDOW", 1, 100000, &window) != 0 ||
	    arg_ulong(argv[7], "TIMEOUT", 1, 86400, &timeout) != 0)
		return 2;
	dst.sin_port = htons((uint16_t)port);
	conns = calloc(count, sizeof(*conns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (conns == NULL || ep < 0) {
		perror("lab-conn-soak");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = now_ms();
	if (open_all(now_ms() + timeout * 1000, window, &refused, &reset) != 0)
		return 1;
	printf("verified %lu in %llu ms (tried again: %lu refused, %lu reset)\n", count,
	       (unsigned long long)(now_ms() - t0), refused, reset);
	if (wait_go(argv[8], now_ms() + timeout * 1000) != 0)
		return 1;
	t0 = now_ms();
	if (close_all(now_ms() + timeout * 1000) != 0)
		return 1;
	printf("closed %lu in %llu ms\n", count, (unsigned long long)(now_ms() - t0));
	return 0;
}
