/*
 * api_lab.h - the lab the public-API suites run in, built inside each
 * Criterion test process: a private network namespace with a veth pair,
 * kv0 (the kernel, 198.18.0.1/24) and uv0 (usock, 198.18.0.2/24, no
 * kernel address), offloads off.  The namespace goes away with the test
 * process.  Helpers here use kernel sockets as the peer and only the
 * public header on the usock side.  Needs root.
 */
#ifndef API_LAB_H
#define API_LAB_H

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <usock.h>

#define LAB_KERNEL_IP "198.18.0.1"   /* kv0, the kernel's end */
#define LAB_USOCK_IP "198.18.0.2"    /* uv0, the stack's own address */
#define LAB_BCAST_IP "198.18.0.255"  /* the /24's broadcast */
#define LAB_FOREIGN_IP "198.18.0.77" /* on the link, owned by nobody */

/* Asserts a call failed with -1 and exactly that errno. */
#define expect_fail(call, err)                                                                     \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long rc_ = (long long)(call);                                                 \
		int e_ = errno;                                                                    \
		cr_assert_eq(rc_, -1, "%s returned %lld, expected -1 (%s)", #call, rc_,            \
			     strerror(err));                                                       \
		cr_assert_eq(e_, (err), "%s: errno %d (%s), expected %d (%s)", #call, e_,          \
			     strerror(e_), (err), strerror(err));                                  \
	} while (0)

/* Asserts a call returned exactly want; shows errno when it did not. */
#define expect_ret(call, want)                                                                     \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long rc_ = (long long)(call);                                                 \
		int e_ = errno;                                                                    \
		cr_assert_eq(rc_, (long long)(want),                                               \
			     "%s returned %lld (errno %d: %s), expected %lld", #call, rc_, e_,     \
			     strerror(e_), (long long)(want));                                     \
	} while (0)

/* Makes the namespace and the veth pair, and points USOCK_* at uv0. */
static inline void
lab_up(void)
{
	int rc;

	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s (needs root)",
		     strerror(errno));
	rc = system("exec >/dev/null 2>&1; set -e;"
		    " ip link set lo up;"
		    " ip link add uv0 type veth peer name kv0;"
		    " sysctl -qw net.ipv6.conf.uv0.disable_ipv6=1;"
		    " sysctl -qw net.ipv6.conf.kv0.disable_ipv6=1;"
		    " ethtool -K uv0 tso off gso off gro off tx off rx off;"
		    " ethtool -K kv0 tso off gso off gro off tx off rx off;"
		    " ip addr add " LAB_KERNEL_IP "/24 dev kv0;"
		    " ip link set uv0 up;"
		    " ip link set kv0 up");
	cr_assert_eq(rc, 0, "lab setup (ip/ethtool/sysctl) failed: %d", rc);
	setenv("USOCK_IFACE", "uv0", 1);
	setenv("USOCK_IPV4", LAB_USOCK_IP "/24", 1);
	setenv("USOCK_DRIVER", "afpacket", 1);
	unsetenv("USOCK_SOCKETS");
	unsetenv("USOCK_GATEWAY");
	unsetenv("USOCK_PCAP");
	unsetenv("USOCK_FAULT");
	unsetenv("USOCK_MAC");
}

static inline struct sockaddr_in
sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1, "bad test address %s", ip);
	return a;
}

#define SA(p) ((struct sockaddr *)(p))

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A thread that writes one byte on a kernel descriptor after a pause. */
struct delayed_write {
	pthread_t thr; /* the writer */
	int fd;	       /* kernel descriptor to write to */
	int delay_ms;  /* wait before writing */
};

static inline void *
delayed_write_main(void *arg)
{
	struct delayed_write *w = arg;

	sleep_ms(w->delay_ms);
	(void)!write(w->fd, "w", 1);
	return NULL;
}

/* A kernel UDP socket bound to ip:port (port 0: any), with a 3 s receive timeout. */
static inline int
k_udp_at(const char *ip, uint16_t port)
{
	struct sockaddr_in a = sin4(ip, port);
	struct timeval tv = {3, 0};
	int k = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(k, 0, "kernel socket: %s", strerror(errno));
	cr_assert_eq(setsockopt(k, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	cr_assert_eq(bind(k, SA(&a), sizeof(a)), 0, "kernel bind %s:%u: %s", ip, port,
		     strerror(errno));
	return k;
}

static inline int
k_udp(uint16_t port)
{
	return k_udp_at(LAB_KERNEL_IP, port);
}

/* The port a kernel socket is bound to. */
static inline uint16_t
k_port(int k)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	cr_assert_eq(getsockname(k, SA(&a), &l), 0);
	return ntohs(a.sin_port);
}

/* The kernel socket sends len bytes to the usock address at port. */
static inline void
k_send_to_usock(int k, const void *buf, size_t len, uint16_t port)
{
	struct sockaddr_in to = sin4(LAB_USOCK_IP, port);

	cr_assert_eq(sendto(k, buf, len, 0, SA(&to), sizeof(to)), (ssize_t)len, "kernel sendto: %s",
		     strerror(errno));
}

/* A usock UDP socket; bound to port on any address unless port is 0. Timeout 3 s. */
static inline int
u_udp(uint16_t port)
{
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	cr_assert_geq(s, 0, "usock_socket: %s", strerror(errno));
	cr_assert_eq(usock_settimeout(s, 3.0), 0);
	if (port != 0) {
		struct sockaddr_in a = sin4("0.0.0.0", port);

		cr_assert_eq(usock_bind(s, SA(&a), sizeof(a)), 0, "usock_bind %u: %s", port,
			     strerror(errno));
	}
	return s;
}

/* The port a usock socket is bound to (0 if none). */
static inline uint16_t
u_port(int s)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	cr_assert_eq(usock_getsockname(s, SA(&a), &l), 0, "getsockname: %s", strerror(errno));
	return ntohs(a.sin_port);
}

/* Fills buf with a pattern that depends on seed, so a wrong byte shows. */
static inline void
fill(void *buf, size_t len, unsigned seed)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 8));
}

/* A counter of the kernel's ICMP MIB in this namespace (/proc/net/snmp), e.g. "OutDestUnreachs". */
static inline long
k_icmp_stat(const char *name)
{
	char names[1024], vals[1024], *sn = NULL, *sv = NULL, *n, *v;
	FILE *f = fopen("/proc/self/net/snmp", "re");
	long r = -1;

	cr_assert_not_null(f);
	while (fgets(names, sizeof(names), f) != NULL) {
		if (strncmp(names, "Icmp:", 5) != 0)
			continue;
		cr_assert_not_null(fgets(vals, sizeof(vals), f));
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(vals, " \n", &sv);
		while (n != NULL && v != NULL) {
			if (strcmp(n, name) == 0)
				r = atol(v);
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	cr_assert_geq(r, 0, "no Icmp counter %s", name);
	return r;
}

/* A kernel send from another thread, after a delay: something to block on. */
struct delayed_send {
	pthread_t thr; /* the sender */
	int k;	       /* the kernel socket */
	int delay_ms;  /* wait before sending */
	uint16_t port; /* the usock port to send to */
	char msg[64];  /* what to send (NUL-terminated, sent without the NUL) */
};

static inline void *
delayed_send_main(void *arg)
{
	struct delayed_send *d = arg;
	struct sockaddr_in to;

	sleep_ms(d->delay_ms);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(d->port);
	inet_pton(AF_INET, LAB_USOCK_IP, &to.sin_addr);
	(void)sendto(d->k, d->msg, strlen(d->msg), 0, SA(&to), sizeof(to));
	return NULL;
}

static inline void
delayed_send_start(struct delayed_send *d, int k, uint16_t port, int delay_ms, const char *msg)
{
	d->k = k;
	d->port = port;
	d->delay_ms = delay_ms;
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
	cr_assert_eq(pthread_create(&d->thr, NULL, delayed_send_main, d), 0);
}

static inline void
delayed_send_join(struct delayed_send *d)
{
	pthread_join(d->thr, NULL);
}

#endif /* API_LAB_H */
