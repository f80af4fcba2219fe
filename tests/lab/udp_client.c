/*
 * udp_client.c - lab-udp-client: usock as a UDP client.  Sends COUNT
 * datagrams of SIZE bytes to an echo server at DEST:PORT, one at a time,
 * and checks that each comes back whole, from DEST:PORT, within TIMEOUT
 * seconds.  Each datagram carries its sequence number and a pattern made
 * from it, so a stale, corrupt or foreign echo is told apart.  The socket
 * is connected, so an ICMP error from the server's host (port unreachable)
 * ends the run with its errno rather than a timeout.
 *
 * usage: lab-udp-client DEST PORT COUNT SIZE TIMEOUT
 * The stack is configured from USOCK_* as usual.  Prints one result line;
 * exits 0 only if every datagram was echoed correctly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <usock.h>

#define MAXSIZE 65507 /* largest UDP payload over IPv4 */

static uint8_t txbuf[MAXSIZE], rxbuf[MAXSIZE + 1];

/* Byte i of datagram seq: the sequence number first, then a pattern from both. */
static void
fill(uint8_t *b, size_t size, uint32_t seq)
{
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = (uint8_t)(seq * 131u + i * 7u + (i >> 8));
	for (i = 0; i < 4 && i < size; i++)
		b[i] = (uint8_t)(seq >> (24 - 8 * i));
}

static uint32_t
seq_of(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < 4 && i < n; i++)
		s = s << 8 | b[i];
	return s;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
arg_ulong(const char *s, const char *what, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || *out < lo || *out > hi) {
		fprintf(stderr, "lab-udp-client: %s \"%s\" is not a number from %lu to %lu\n", what,
			s, lo, hi);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dst, from;
	unsigned long port, count, size, i;
	unsigned long ok = 0, stale = 0;
	double timeout, t0, deadline;
	char *end;
	int s;

	if (argc != 6) {
		fprintf(stderr,
			"usage: lab-udp-client DEST PORT COUNT SIZE TIMEOUT\n"
			"  sends COUNT datagrams of SIZE bytes (4..%d) to the UDP echo server\n"
			"  DEST:PORT over usock, one at a time, waiting up to TIMEOUT seconds\n"
			"  for each echo; exits 0 only if all came back intact.\n",
			MAXSIZE);
		return 2;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "lab-udp-client: DEST \"%s\" is not an IPv4 address\n", argv[1]);
		return 2;
	}
	if (arg_ulong(argv[2], "PORT", 1, 65535, &port) != 0 ||
	    arg_ulong(argv[3], "COUNT", 1, 1000000, &count) != 0 ||
	    arg_ulong(argv[4], "SIZE", 4, MAXSIZE, &size) != 0)
		return 2;
	timeout = strtod(argv[5], &end);
	if (*argv[5] == '\0' || *end != '\0' || !(timeout > 0 && timeout <= 3600)) {
		fprintf(stderr, "lab-udp-client: TIMEOUT \"%s\" is not seconds in (0, 3600]\n",
			argv[5]);
		return 2;
	}
	dst.sin_port = htons((uint16_t)port);

	s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	if (s < 0) {
		fprintf(stderr, "lab-udp-client: usock_socket: %s\n", strerror(errno));
		return 1;
	}
	if (usock_connect(s, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		fprintf(stderr, "lab-udp-client: usock_connect: %s\n", strerror(errno));
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < count; i++) {
		uint32_t seq = (uint32_t)i;

		fill(txbuf, size, seq);
		if (usock_send(s, txbuf, size, 0) != (ssize_t)size) {
			fprintf(stderr, "lab-udp-client: send #%lu: %s\n", i, strerror(errno));
			break;
		}
		deadline = now_s() + timeout;
		for (;;) {
			socklen_t fl = sizeof(from);
			double left = deadline - now_s();
			ssize_t n;

			if (left <= 0) {
				errno = ETIMEDOUT;
				n = -1;
			} else {
				usock_settimeout(s, left);
				n = usock_recvfrom(s, rxbuf, sizeof(rxbuf), 0,
						   (struct sockaddr *)&from, &fl);
			}
			if (n < 0) {
				fprintf(stderr, "lab-udp-client: echo of #%lu: %s\n", i,
					strerror(errno));
				goto out;
			}
			if (from.sin_addr.s_addr != dst.sin_addr.s_addr ||
			    from.sin_port != dst.sin_port) {
				fprintf(stderr,
					"lab-udp-client: datagram from %s:%u, not the server\n",
					inet_ntoa(from.sin_addr), ntohs(from.sin_port));
				goto out;
			}
			if ((size_t)n >= 4 && seq_of(rxbuf, (size_t)n) < seq) {
				/* An earlier datagram's echo, late or duplicated. */
				stale++;
				continue;
			}
			if ((size_t)n != size || memcmp(rxbuf, txbuf, size) != 0) {
				fprintf(stderr,
					"lab-udp-client: echo of #%lu is wrong (%zd bytes, want "
					"%lu)\n",
					i, n, size);
				goto out;
			}
			ok++;
			break;
		}
	}
out:
	printf("lab-udp-client: %lu/%lu datagrams of %lu bytes echoed intact by %s:%lu "
	       "(%lu stale echoes) in %.3f s\n",
	       ok, count, size, argv[1], port, stale, now_s() - t0);
	usock_close(s);
	usock_fini();
	return ok == count ? 0 : 1;
}
