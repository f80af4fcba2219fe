/*
 * usock-perf - one benchmark program, two stacks: every workload runs over
 * the kernel's sockets or, with -u, over libusock, through the same code
 * (a table of calls picks the stack).  Run a server, then a client:
 *
 *   usock-perf -s [-p PORT] [-u]
 *   usock-perf -c HOST -t TEST [-p PORT] [-u] [-l SECONDS] [-n N] [-J]
 *
 * TEST is one of:
 *   tcp-up     TCP bulk, client to server (Gbit/s)
 *   tcp-down   TCP bulk, server to client (Gbit/s)
 *   tcp-rr     TCP ping-pong of 64-byte messages (RTT p50/p99/p99.9, us)
 *   udp-rr     UDP ping-pong of 64 bytes (the same figures)
 *   udp-pps    64-byte datagrams as fast as they go (packets/s the server got)
 *   tcp-crr    connect, 64-byte request and response, close (connections/s)
 *   idle       hold -n connections open (client heap+RSS bytes per connection;
 *              for the kernel also its slab growth per connection)
 *
 * Output is a one-line human summary, or with -J one JSON object.  The
 * server answers every client until killed; a TCP connection's first byte
 * says what it wants.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <usock.h>

#define MSG		64		/* request/response and datagram size */
#define BULK_CHUNK	(128 * 1024)
#define RR_MAX		2000000		/* RTT samples kept */

/* The calls, kernel or usock: the same signatures. */
struct stack {
	const char *name;
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
	int (*setsockopt)(int, int, int, const void *, socklen_t);
};

static int
k_close(int s)
{
	return close(s);
}

static const struct stack kernel = {
	"kernel", socket, k_close, bind, listen, accept, connect, send, recv, sendto, recvfrom,
	setsockopt,
};

static const struct stack usock = {
	"usock", usock_socket, usock_close, usock_bind, usock_listen, usock_accept, usock_connect,
	usock_send, usock_recv, usock_sendto, usock_recvfrom, usock_setsockopt,
};

static const struct stack *S = &kernel;
static int json;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "usock-perf: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Exactly n bytes, or -1. */
static int
recv_all(int s, void *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = S->recv(s, (char *)b + got, n - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int
send_all(int s, const void *b, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = S->send(s, (const char *)b + done, n - done, MSG_NOSIGNAL);

		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* ---- server ---- */

static void *
serve_tcp(void *arg)
{
	int c = (int)(intptr_t)arg, one = 1;
	static __thread char b[BULK_CHUNK];
	char mode;

	S->setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (recv_all(c, &mode, 1) != 0)
		goto out;
	switch (mode) {
	case 'U':	/* the client sends: discard until it closes */
		while (S->recv(c, b, sizeof(b), 0) > 0)
			;
		break;
	case 'D':	/* the client receives: send until it closes */
		memset(b, 'd', sizeof(b));
		while (send_all(c, b, sizeof(b)) == 0)
			;
		break;
	case 'R':	/* ping-pong until the client closes */
		while (recv_all(c, b, MSG) == 0 && send_all(c, b, MSG) == 0)
			;
		break;
	case 'C':
		/*
		 * One request and response, then the server closes first, as an
		 * HTTP/1.0 server does: TIME_WAIT stays here, so a client making
		 * thousands of connections a second does not run out of ports.
		 */
		if (recv_all(c, b, MSG) == 0)
			send_all(c, b, MSG);
		break;
	case 'I':	/* held idle until the client closes */
		while (S->recv(c, b, sizeof(b), 0) > 0)
			;
		break;
	}
out:
	S->close(c);
	return NULL;
}

static void *
serve_udp(void *arg)
{
	int u = (int)(intptr_t)arg;
	uint64_t count = 0;
	char b[2048];

	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = S->recvfrom(u, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			continue;
		if (n == 1 && b[0] == 'Z') {
			count = 0;	/* a pps run starts */
		} else if (n == 1 && b[0] == '?') {
			/* The pps run's count, asked for at its end. */
			char r[32];
			int k = snprintf(r, sizeof(r), "%llu", (unsigned long long)count);

			S->sendto(u, r, (size_t)k, 0, (struct sockaddr *)&from, fl);
		} else if (n == 2 && b[0] == 'P') {
			count++;	/* pps: counted, not echoed */
		} else if (n > 2 && b[0] == 'P') {
			count++;
		} else {
			S->sendto(u, b, (size_t)n, 0, (struct sockaddr *)&from, fl);
		}
	}
	return NULL;
}

static _Noreturn void
server(uint16_t port)
{
	struct sockaddr_in a;
	pthread_t t;
	int l, u, one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	l = S->socket(AF_INET, SOCK_STREAM, 0);
	u = S->socket(AF_INET, SOCK_DGRAM, 0);
	if (l < 0 || u < 0)
		die("socket");
	S->setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (S->bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || S->listen(l, 4096) < 0)
		die("TCP listen");
	if (S->bind(u, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("UDP bind");
	pthread_create(&t, NULL, serve_udp, (void *)(intptr_t)u);
	pthread_detach(t);
	fprintf(stderr, "usock-perf: %s server on port %u\n", S->name, port);
	for (;;) {
		int c = S->accept(l, NULL, NULL);

		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve_tcp, (void *)(intptr_t)c) != 0) {
			S->close(c);
			continue;
		}
		pthread_detach(t);
	}
}

/* ---- client ---- */

static struct sockaddr_in peer;

static int
tcp_connect(char mode)
{
	int s = S->socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (s < 0)
		die("socket");
	S->setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (S->connect(s, (struct sockaddr *)&peer, sizeof(peer)) < 0)
		die("connect");
	if (send_all(s, &mode, 1) != 0)
		die("send");
	return s;
}

static void
report(const char *test, const char *unit, double value, const char *extra)
{
	if (json)
		printf("{\"stack\": \"%s\", \"test\": \"%s\", \"%s\": %.6g%s}\n", S->name, test, unit,
		       value, extra);
	else
		printf("%s %s: %.6g %s%s\n", S->name, test, value, unit, extra);
}

static void
bulk(int up, double secs)
{
	static char b[BULK_CHUNK];
	int s = tcp_connect(up ? 'U' : 'D');
	double t0 = now(), t;
	uint64_t bytes = 0;

	memset(b, 'u', sizeof(b));
	do {
		ssize_t n = up ? S->send(s, b, sizeof(b), MSG_NOSIGNAL) : S->recv(s, b, sizeof(b), 0);

		if (n <= 0)
			die(up ? "send" : "recv");
		bytes += (uint64_t)n;
		t = now();
	} while (t - t0 < secs);
	S->close(s);
	report(up ? "tcp-up" : "tcp-down", "gbit_s", (double)bytes * 8 / (t - t0) / 1e9, "");
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double *rtt;

static void
rr_report(const char *test, long n, double secs)
{
	char extra[512];
	int k = 0;
	long i;

	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_double);
	k = snprintf(extra, sizeof(extra), json ? ", \"p99_us\": %.3f, \"p999_us\": %.3f, "
						"\"transactions_s\": %.1f, \"cdf_us\": ["
					 : " (p99 %.3f us, p99.9 %.3f us, %.0f transactions/s)",
		     rtt[(long)(n * 0.99)], rtt[(long)(n * 0.999)], (double)n / secs);
	/* For the CDF plot: 100 evenly spaced quantiles. */
	for (i = 0; json && i <= 100 && k < (int)sizeof(extra) - 16; i++)
		k += snprintf(extra + k, sizeof(extra) - (size_t)k, "%s%.2f", i ? "," : "",
			      rtt[i == 100 ? n - 1 : (long)((double)n * (double)i / 100)]);
	if (json)
		snprintf(extra + k, sizeof(extra) - (size_t)k, "]");
	report(test, "p50_us", rtt[n / 2], extra);
}

static void
tcp_rr(double secs, long max)
{
	char b[MSG];
	int s = tcp_connect('R');
	double t0 = now(), t = t0;
	long n = 0;

	memset(b, 'r', sizeof(b));
	while (n < max && t - t0 < secs) {
		double a = now();

		if (send_all(s, b, MSG) != 0 || recv_all(s, b, MSG) != 0)
			die("ping-pong");
		t = now();
		rtt[n++] = (t - a) * 1e6;
	}
	S->close(s);
	rr_report("tcp-rr", n, t - t0);
}

static void
udp_rr(double secs, long max)
{
	char b[MSG];
	int u = S->socket(AF_INET, SOCK_DGRAM, 0);
	double t0 = now(), t = t0;
	long n = 0, lost = 0;

	if (u < 0 || S->connect(u, (struct sockaddr *)&peer, sizeof(peer)) < 0)
		die("UDP connect");
	memset(b, 'q', sizeof(b));
	while (n < max && t - t0 < secs) {
		double a = now();
		struct pollfd pf;

		if (S->send(u, b, MSG, 0) != MSG)
			die("UDP send");
		/* A lost datagram must not stall the run: 100 ms, then the next one. */
		pf.fd = u;
		pf.events = POLLIN;
		if ((S == &usock ? usock_poll(&pf, 1, 100) : poll(&pf, 1, 100)) <= 0 ||
		    S->recv(u, b, MSG, 0) != MSG) {
			lost++;
			t = now();
			continue;
		}
		t = now();
		rtt[n++] = (t - a) * 1e6;
	}
	S->close(u);
	if (lost > 0)
		fprintf(stderr, "usock-perf: udp-rr: %ld datagrams lost\n", lost);
	rr_report("udp-rr", n, t - t0);
}

static void
udp_pps(double secs)
{
	char b[MSG], r[32];
	int u = S->socket(AF_INET, SOCK_DGRAM, 0), i;
	double t0, t;
	uint64_t sent = 0;
	long got = -1;

	if (u < 0 || S->connect(u, (struct sockaddr *)&peer, sizeof(peer)) < 0)
		die("UDP connect");
	S->send(u, "Z", 1, 0);
	usleep(100000);
	memset(b, 'P', sizeof(b));
	t0 = now();
	do {
		if (S->send(u, b, sizeof(b), 0) == (ssize_t)sizeof(b))
			sent++;
		t = now();
	} while (t - t0 < secs);
	usleep(200000);	/* let the server finish counting */
	for (i = 0; i < 5 && got < 0; i++) {
		struct pollfd pf = { u, POLLIN, 0 };
		ssize_t n;

		S->send(u, "?", 1, 0);
		if ((S == &usock ? usock_poll(&pf, 1, 500) : poll(&pf, 1, 500)) > 0 &&
		    (n = S->recv(u, r, sizeof(r) - 1, 0)) > 0) {
			r[n] = '\0';
			got = atol(r);
		}
	}
	S->close(u);
	if (got < 0) {
		fprintf(stderr, "usock-perf: udp-pps: the server's count did not come\n");
		exit(1);
	}
	{
		char extra[128];

		snprintf(extra, sizeof(extra),
			 json ? ", \"sent_pps\": %.1f" : " (sent %.0f/s; the server got the figure)",
			 (double)sent / (t - t0));
		report("udp-pps", "pps", (double)got / (t - t0), extra);
	}
}

static void
tcp_crr(double secs)
{
	char b[MSG];
	double t0 = now(), t = t0;
	long n = 0;

	memset(b, 'c', sizeof(b));
	while (t - t0 < secs) {
		int s = tcp_connect('C');

		if (send_all(s, b, MSG) != 0 || recv_all(s, b, MSG) != 0)
			die("request");
		/* The server's FIN, then ours: this end does not wait in TIME_WAIT. */
		if (S->recv(s, b, 1, 0) != 0)
			die("end of the response");
		S->close(s);
		n++;
		t = now();
	}
	report("tcp-crr", "conn_s", (double)n / (t - t0), "");
}

/* Resident set size, bytes. */
static long
rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * sysconf(_SC_PAGESIZE);
}

/* The kernel's slab memory, bytes (/proc/meminfo Slab). */
static long
slab(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long kb = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb * 1024;
}

static void
idle(long n)
{
	int *fds = calloc((size_t)n, sizeof(int));
	long rss0, slab0, i;
	char extra[160];

	if (fds == NULL)
		die("calloc");
	/* Warm up: the stack, its pools and tables exist before the count starts. */
	S->close(tcp_connect('I'));
	usleep(200000);
	rss0 = rss();
	slab0 = slab();
	for (i = 0; i < n; i++)
		fds[i] = tcp_connect('I');
	usleep(500000);
	/* The CPU the process uses while they sit idle for 2 s (its service thread included). */
	{
		struct rusage r0, r1;
		double t0 = now(), cpu;

		getrusage(RUSAGE_SELF, &r0);
		sleep(2);
		getrusage(RUSAGE_SELF, &r1);
		cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
			       r0.ru_stime.tv_sec) +
		      (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
			       r0.ru_stime.tv_usec) / 1e6;
		snprintf(extra, sizeof(extra),
			 json ? ", \"connections\": %ld, \"kernel_slab_bytes_per_conn\": %.0f, "
				"\"idle_cpu_pct\": %.2f"
			      : " (%ld connections; kernel slab %.0f bytes per connection; %.2f%% of a "
				"core while idle)",
			 n, (double)(slab() - slab0) / (double)n, 100 * cpu / (now() - t0));
	}
	report("idle", "rss_bytes_per_conn", (double)(rss() - rss0) / (double)n, extra);
	for (i = 0; i < n; i++)
		S->close(fds[i]);
	free(fds);
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: usock-perf -s [-p PORT] [-u]\n"
		"       usock-perf -c HOST -t TEST [-p PORT] [-u] [-l SECONDS] [-n N] [-J]\n"
		"  -u  use the usock stack (configured by USOCK_*), not the kernel's\n"
		"  TEST: tcp-up tcp-down tcp-rr udp-rr udp-pps tcp-crr idle\n"
		"  -l  seconds per test (default 5); -n: idle connections, or most RTT samples\n"
		"  -J  one JSON object on stdout\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *host = NULL, *test = NULL;
	double secs = 5;
	long n = 1000;
	uint16_t port = 5201;
	int c, srv = 0;

	while ((c = getopt(argc, argv, "sc:t:p:ul:n:Jh")) != -1) {
		switch (c) {
		case 's': srv = 1; break;
		case 'c': host = optarg; break;
		case 't': test = optarg; break;
		case 'p': port = (uint16_t)atoi(optarg); break;
		case 'u': S = &usock; break;
		case 'l': secs = atof(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'J': json = 1; break;
		default: usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (srv)
		server(port);
	if (host == NULL || test == NULL || !(secs > 0) || n <= 0)
		usage();
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &peer.sin_addr) != 1) {
		fprintf(stderr, "usock-perf: %s is not an IPv4 address\n", host);
		return 2;
	}
	rtt = malloc(sizeof(*rtt) * RR_MAX);
	if (rtt == NULL)
		die("malloc");
	if (strcmp(test, "tcp-up") == 0)
		bulk(1, secs);
	else if (strcmp(test, "tcp-down") == 0)
		bulk(0, secs);
	else if (strcmp(test, "tcp-rr") == 0)
		tcp_rr(secs, n > 1000 ? (n < RR_MAX ? n : RR_MAX) : RR_MAX);
	else if (strcmp(test, "udp-rr") == 0)
		udp_rr(secs, RR_MAX);
	else if (strcmp(test, "udp-pps") == 0)
		udp_pps(secs);
	else if (strcmp(test, "tcp-crr") == 0)
		tcp_crr(secs);
	else if (strcmp(test, "idle") == 0)
		idle(n);
	else
		usage();
	if (S == &usock)
		usock_fini();
	return 0;
}
