/*
 * usock-ping - ping(8) on the usock stack, through a raw ICMP socket: sends
 * echo requests to HOST, matches the replies by identifier and sequence,
 * prints one line per reply and ping's summary.  Exits 0 when any reply
 * came, 1 when none did, 2 on a usage or setup error.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <usock.h>

#define ICMP_ECHOREPLY	0
#define ICMP_ECHO	8
#define MAXDATA		65507

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint16_t
cksum(const uint8_t *b, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: usock-ping [-c COUNT] [-i SECONDS] [-s SIZE] [-W SECONDS] [-t TTL] HOST\n"
		"  -c  stop after COUNT replies or requests (default: until interrupted)\n"
		"  -i  between requests (default 1)\n"
		"  -s  data bytes per request (default 56)\n"
		"  -W  how long to wait for the last reply (default 2)\n"
		"  -t  IP time to live\n"
		"The stack is configured by USOCK_IFACE, USOCK_IPV4, ... (see README).\n");
}

int
main(int argc, char **argv)
{
	static uint8_t req[8 + MAXDATA], rep[60 + 8 + MAXDATA];
	long count = -1, size = 56, sent = 0, got = 0;
	double interval = 1.0, wait_s = 2.0, tmin = INFINITY, tmax = 0, tsum = 0, tsum2 = 0, t0;
	struct addrinfo hints, *res = NULL;
	struct sockaddr_in to;
	uint16_t id = (uint16_t)getpid();
	int c, s, ttl = 0, rc;
	char host[INET_ADDRSTRLEN];

	while ((c = getopt(argc, argv, "c:i:s:W:t:h")) != -1) {
		switch (c) {
		case 'c': count = strtol(optarg, NULL, 10); break;
		case 'i': interval = strtod(optarg, NULL); break;
		case 's': size = strtol(optarg, NULL, 10); break;
		case 'W': wait_s = strtod(optarg, NULL); break;
		case 't': ttl = (int)strtol(optarg, NULL, 10); break;
		default: usage(); return 2;
		}
	}
	if (optind != argc - 1 || count == 0 || size < 0 || size > MAXDATA ||
	    !(interval >= 0.001) || !(wait_s > 0)) {
		usage();
		return 2;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	if ((rc = usock_getaddrinfo(argv[optind], NULL, &hints, &res)) != 0 || res == NULL) {
		fprintf(stderr, "usock-ping: %s: %s\n", argv[optind], gai_strerror(rc));
		return 2;
	}
	memcpy(&to, res->ai_addr, sizeof(to));
	usock_freeaddrinfo(res);
	inet_ntop(AF_INET, &to.sin_addr, host, sizeof(host));
	s = usock_socket(USOCK_AF_INET, USOCK_SOCK_RAW, 1 /* ICMP */);
	if (s < 0) {
		fprintf(stderr, "usock-ping: cannot open a raw ICMP socket: %s\n", strerror(errno));
		return 2;
	}
	if (ttl > 0 && usock_setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0) {
		fprintf(stderr, "usock-ping: -t %d: %s\n", ttl, strerror(errno));
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("PING %s (%s) %ld(%ld) bytes of data.\n", argv[optind], host, size, size + 28);
	fflush(stdout);
	t0 = now_ms();
	while (!stop) {
		double next, deadline;
		size_t n = 8 + (size_t)size;
		long i;

		/* Request number `sent`: the send time rides in the data when it fits. */
		memset(req, 0, 8);
		req[0] = ICMP_ECHO;
		req[4] = (uint8_t)(id >> 8);
		req[5] = (uint8_t)id;
		req[6] = (uint8_t)((sent + 1) >> 8);
		req[7] = (uint8_t)(sent + 1);
		for (i = 0; i < size; i++)
			req[8 + i] = (uint8_t)(0x10 + i);
		{
			double t = now_ms();

			if (size >= (long)sizeof(t))
				memcpy(req + 8, &t, sizeof(t));
		}
		{
			uint16_t sum = cksum(req, n);

			req[2] = (uint8_t)(sum >> 8);
			req[3] = (uint8_t)sum;
		}
		if (usock_sendto(s, req, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fprintf(stderr, "usock-ping: sendto: %s\n", strerror(errno));
			return 2;
		}
		sent++;
		next = now_ms() + interval * 1e3;
		deadline = count > 0 && sent >= count ? now_ms() + wait_s * 1e3 : next;
		/* Take replies until the next request is due (or the last one's wait is over). */
		while (!stop) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			double left = deadline - now_ms(), t;
			ssize_t r;
			size_t hl;
			uint16_t seq;

			if (left <= 0)
				break;
			usock_settimeout(s, left / 1e3);
			r = usock_recvfrom(s, rep, sizeof(rep), 0, (struct sockaddr *)&from, &fl);
			if (r < 0) {
				if (errno == ETIMEDOUT || errno == EAGAIN || errno == EINTR)
					continue;
				fprintf(stderr, "usock-ping: recvfrom: %s\n", strerror(errno));
				return 2;
			}
			hl = (size_t)(rep[0] & 0xf) * 4;
			if ((size_t)r < hl + 8 || rep[hl] != ICMP_ECHOREPLY ||
			    (rep[hl + 4] << 8 | rep[hl + 5]) != id)
				continue;	/* someone else's ICMP */
			seq = (uint16_t)(rep[hl + 6] << 8 | rep[hl + 7]);
			if (size >= (long)sizeof(t) && (size_t)r >= hl + 8 + sizeof(t)) {
				memcpy(&t, rep + hl + 8, sizeof(t));
				t = now_ms() - t;
			} else {
				t = NAN;
			}
			got++;
			if (!isnan(t)) {
				tmin = t < tmin ? t : tmin;
				tmax = t > tmax ? t : tmax;
				tsum += t;
				tsum2 += t * t;
			}
			printf("%zd bytes from %s: icmp_seq=%u ttl=%u", r - (ssize_t)hl,
			       inet_ntoa(from.sin_addr), seq, rep[8]);
			if (!isnan(t))
				printf(" time=%.3f ms", t);
			printf("\n");
			fflush(stdout);
			if (count > 0 && got >= count)
				stop = 1;
		}
		if (count > 0 && sent >= count)
			break;
	}
	printf("\n--- %s ping statistics ---\n", argv[optind]);
	printf("%ld packets transmitted, %ld received, %.0f%% packet loss, time %.0fms\n", sent,
	       got, sent > 0 ? 100.0 * (double)(sent - got) / (double)sent : 0.0, now_ms() - t0);
	if (got > 0 && tsum > 0) {
		double avg = tsum / (double)got;

		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", tmin, avg, tmax,
		       sqrt(fmax(tsum2 / (double)got - avg * avg, 0)));
	}
	usock_close(s);
	return got > 0 ? 0 : 1;
}
