/*
 * config.c - the one place USOCK_* settings are read and checked.  Each
 * error is one line: the setting, its value, what is wrong and the fix.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usock.h"
#include "usock_build_config.h"
#include "config.h"

#define POOL_MIN	64		/* USOCK_POOL */
#define POOL_MAX	(1u << 22)
#define SOCKETS_MIN	1		/* USOCK_SOCKETS */
#define SOCKETS_MAX	(1u << 22)
#define DPDK_MBUFS_DEFAULT 8191		/* USOCK_DPDK_MBUFS: 2^n - 1 suits DPDK's rings */
#define DPDK_MBUFS_MIN	1024
#define DPDK_MBUFS_MAX	(1u << 20)

int
us_parse_ip4(const char *s, uint32_t *out)
{
	unsigned v[4];
	char tail;

	if (sscanf(s, "%u.%u.%u.%u%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4)
		return -EINVAL;
	if (v[0] > 255 || v[1] > 255 || v[2] > 255 || v[3] > 255)
		return -EINVAL;
	*out = v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
	return 0;
}

int
us_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

/* The value of a setting: the struct's field first, then the environment. */
static const char *
pick(const char *field, const char *env)
{
	const char *v = field;

	if (v == NULL)
		v = getenv(env);
	if (v != NULL && *v == '\0')
		v = NULL;
	return v;
}

/* USOCK_DNS: IPv4 servers separated by commas or spaces. */
static int
parse_dns(struct us_config *c, char *err, size_t errlen)
{
	char buf[sizeof(c->dns)], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", c->dns);
	c->ndns = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
		struct in_addr a;

		if (inet_pton(AF_INET, tok, &a) != 1) {
			snprintf(err, errlen, "usock: USOCK_DNS=%s: '%s' is not an IPv4 address; give "
				 "servers as addresses, e.g. USOCK_DNS=198.18.0.1,198.18.0.53", c->dns,
				 tok);
			return -EINVAL;
		}
		if (c->ndns == US_DNS_MAX) {
			snprintf(err, errlen, "usock: USOCK_DNS=%s names more than %d servers; keep %d",
				 c->dns, US_DNS_MAX, US_DNS_MAX);
			return -EINVAL;
		}
		c->dns4[c->ndns++] = ntohl(a.s_addr);
	}
	return 0;
}

static int
copy_str(char *dst, size_t n, const char *v, const char *name, char *err, size_t errlen)
{
	if (strlen(v) >= n) {
		snprintf(err, errlen, "usock: %s is longer than %zu characters; shorten it", name,
			 n - 1);
		return -EINVAL;
	}
	strcpy(dst, v);
	return 0;
}

static int
parse_uint(const char *v, const char *name, uint32_t lo, uint32_t hi, uint32_t *out, char *err,
	   size_t errlen)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (*v == '-' || *end != '\0' || errno != 0 || x < lo || x > hi) {
		snprintf(err, errlen, "usock: %s=\"%s\" is not a number from %u to %u; use e.g. %s=%u",
			 name, v, lo, hi, name, lo > 4096 ? lo : (hi < 4096 ? hi : 4096));
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

/* A number from struct usock_config (0: unset) checked against its variable's range. */
static int
check_field(uint32_t x, const char *field, const char *name, uint32_t lo, uint32_t hi, char *err,
	    size_t errlen)
{
	if (x == 0 || (x >= lo && x <= hi))
		return 0;
	snprintf(err, errlen, "usock: struct usock_config %s=%u (%s) is not a number from %u "
		 "to %u; use e.g. %u, or 0 for the default", field, x, name, lo, hi,
		 lo > 4096 ? lo : (hi < 4096 ? hi : 4096));
	return -EINVAL;
}

/*
 * Splits "addr/plen": the address into addr (n bytes), the length into
 * *plen, -1 unless it is all digits.  Returns 0, or -1 without a slash or
 * when the address is too long.
 */
static int
split_prefix(const char *v, char *addr, size_t n, long *plen)
{
	const char *slash = strchr(v, '/');
	char *end;

	if (slash == NULL || (size_t)(slash - v) >= n)
		return -1;
	memcpy(addr, v, (size_t)(slash - v));
	addr[slash - v] = '\0';
	*plen = strtol(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end != '\0')
		*plen = -1;
	return 0;
}

static int
parse_ipv4_setting(struct us_config *c, const char *v, char *err, size_t errlen)
{
	char addr[32];
	long plen;

	if (strcmp(v, "dhcp") == 0) {
		if (!US_HAVE_DHCP) {
			snprintf(err, errlen, "usock: USOCK_IPV4=dhcp: this build has no DHCP client "
				 "(-Ddhcp=false); give an address/prefix such as "
				 "USOCK_IPV4=198.18.0.2/24, or rebuild with -Ddhcp=true");
			return -EINVAL;
		}
		c->dhcp = 1;
		return 0;
	}
	if (strchr(v, '/') == NULL) {
		uint32_t a;

		if (us_parse_ip4(v, &a) == 0)
			snprintf(err, errlen, "usock: USOCK_IPV4=\"%s\" has no prefix length; use "
				 "%s/24", v, v);
		else
			snprintf(err, errlen, "usock: USOCK_IPV4=\"%s\" is neither an address/prefix "
				 "nor dhcp; use e.g. USOCK_IPV4=198.18.0.2/24 or USOCK_IPV4=dhcp", v);
		return -EINVAL;
	}
	if (split_prefix(v, addr, sizeof(addr), &plen) != 0 || us_parse_ip4(addr, &c->ip4) != 0)
		goto bad;
	if (plen < 1 || plen > 32) {
		snprintf(err, errlen, "usock: USOCK_IPV4=\"%s\" has a bad prefix length; use 1 to 32,"
			 " e.g. %s/24", v, addr);
		return -EINVAL;
	}
	c->plen = (uint8_t)plen;
	if (c->ip4 == 0 || (c->ip4 >> 24) == 127 || (c->ip4 >> 28) >= 0xe) {
		snprintf(err, errlen, "usock: USOCK_IPV4=\"%s\" is not a unicast address; use one "
			 "such as 198.18.0.2/24", v);
		return -EINVAL;
	}
	/*
	 * RFC 1122 3.2.1.3: host bits all ones are the subnet's broadcast and
	 * all zeros its network; neither is a host (the stack would take its
	 * own address for broadcast).  /31 (RFC 3021) and /32 have neither.
	 */
	if (plen <= 30) {
		uint32_t hostmask = 0xffffffffu >> plen, host = c->ip4 & hostmask;
		uint32_t ex = (c->ip4 & ~hostmask) | 2;

		if (host == 0 || host == hostmask) {
			snprintf(err, errlen, "usock: USOCK_IPV4=\"%s\" is the %s address of its "
				 "subnet, not a unicast host address; use one such as "
				 "%u.%u.%u.%u/%ld", v,
				 host == 0 ? "network" : "broadcast", ex >> 24, (ex >> 16) & 0xff,
				 (ex >> 8) & 0xff, ex & 0xff, plen);
			return -EINVAL;
		}
	}
	return 0;
bad:
	snprintf(err, errlen, "usock: USOCK_IPV4=\"%s\" is not an IPv4 address/prefix; use e.g. "
		 "198.18.0.2/24", v);
	return -EINVAL;
}

/* USOCK_IPV6: "auto", or "addr/plen" (RFC 4291 2.3 prefix notation). */
static int
parse_ipv6_setting(struct us_config *c, const char *v, char *err, size_t errlen)
{
	char addr[64];
	long plen;

	if (strcmp(v, "auto") == 0) {
		c->ip6_mode = US_CFG_IP6_AUTO;
		return 0;
	}
	if (strchr(v, '/') == NULL) {
		snprintf(err, errlen, "usock: USOCK_IPV6=\"%s\" has no prefix length; use %s/64, or "
			 "USOCK_IPV6=auto for addresses from router advertisements", v, v);
		return -EINVAL;
	}
	if (split_prefix(v, addr, sizeof(addr), &plen) != 0 ||
	    inet_pton(AF_INET6, addr, c->ip6.b) != 1)
		goto bad;
	if (plen < 1 || plen > 128) {
		snprintf(err, errlen, "usock: USOCK_IPV6=\"%s\" has a bad prefix length; use 1 to "
			 "128, e.g. %s/64", v, addr);
		return -EINVAL;
	}
	/* RFC 4291 2.5.2-2.7: only a unicast address names a host. */
	if (us_in6_is_unspec(&c->ip6) || us_in6_is_loopback(&c->ip6) ||
	    us_in6_is_multicast(&c->ip6) || us_in6_is_v4mapped(&c->ip6)) {
		snprintf(err, errlen, "usock: USOCK_IPV6=\"%s\" is not a unicast address; use one "
			 "such as fd00::2/64", v);
		return -EINVAL;
	}
	c->ip6_plen = (uint8_t)plen;
	c->ip6_mode = US_CFG_IP6_STATIC;
	return 0;
bad:
	snprintf(err, errlen, "usock: USOCK_IPV6=\"%s\" is not an IPv6 address/prefix; use e.g. "
		 "USOCK_IPV6=fd00::2/64, or USOCK_IPV6=auto", v);
	return -EINVAL;
}

/* USOCK_GATEWAY6: one unicast address; needs IPv6 on. */
static int
parse_gateway6(struct us_config *c, const char *v, char *err, size_t errlen)
{
	if (c->ip6_mode == US_CFG_IP6_OFF) {
		snprintf(err, errlen, "usock: USOCK_GATEWAY6=\"%s\" needs IPv6 on; set USOCK_IPV6 "
			 "too (e.g. USOCK_IPV6=auto)", v);
		return -EINVAL;
	}
	if (inet_pton(AF_INET6, v, c->gw6.b) != 1) {
		snprintf(err, errlen, "usock: USOCK_GATEWAY6=\"%s\" is not an IPv6 address; give the "
			 "router's address without a prefix length, e.g. USOCK_GATEWAY6=fe80::1", v);
		return -EINVAL;
	}
	if (us_in6_is_unspec(&c->gw6) || us_in6_is_loopback(&c->gw6) ||
	    us_in6_is_multicast(&c->gw6) || us_in6_is_v4mapped(&c->gw6)) {
		snprintf(err, errlen, "usock: USOCK_GATEWAY6=\"%s\" is not a unicast address; use "
			 "the router's, e.g. USOCK_GATEWAY6=fe80::1", v);
		return -EINVAL;
	}
	/* RFC 4861 8: a router is named by its link-local address, or one on our prefix. */
	if (!us_in6_is_linklocal(&c->gw6) &&
	    (c->ip6_mode != US_CFG_IP6_STATIC || !us_in6_prefix_eq(&c->gw6, &c->ip6, c->ip6_plen))) {
		snprintf(err, errlen, "usock: USOCK_GATEWAY6=\"%s\" is neither link-local nor on the "
			 "USOCK_IPV6 prefix; give the router's link-local address, e.g. fe80::1", v);
		return -EINVAL;
	}
	c->have_gw6 = 1;
	return 0;
}

int
us_config_load(struct us_config *c, const struct usock_config *uc, char *err, size_t errlen)
{
	static const struct usock_config none;
	const char *v;
	int rc;

	if (uc == NULL)
		uc = &none;
	memset(c, 0, sizeof(*c));

	v = pick(uc->driver, "USOCK_DRIVER");
	if ((rc = copy_str(c->driver, sizeof(c->driver), v != NULL ? v : "afpacket",
			   "USOCK_DRIVER", err, errlen)) != 0)
		return rc;

	v = pick(uc->iface, "USOCK_IFACE");
	if (v == NULL && strcmp(c->driver, "dpdk") != 0) {
		snprintf(err, errlen, "usock: USOCK_IFACE is not set; set it to the interface to "
			 "attach to, e.g. USOCK_IFACE=eth0");
		return -EINVAL;
	}
	if (v != NULL && (rc = copy_str(c->iface, sizeof(c->iface), v, "USOCK_IFACE", err,
					 errlen)) != 0)
		return rc;

	v = pick(uc->ipv4, "USOCK_IPV4");
	if (v == NULL) {
		snprintf(err, errlen, "usock: USOCK_IPV4 is not set; give the stack its own address, "
			 "e.g. USOCK_IPV4=198.18.0.2/24");
		return -EINVAL;
	}
	if ((rc = parse_ipv4_setting(c, v, err, errlen)) != 0)
		return rc;

	v = pick(uc->gateway, "USOCK_GATEWAY");
	if (v != NULL) {
		uint32_t mask = c->plen == 32 ? 0xffffffffu : ~(0xffffffffu >> c->plen);

		if (us_parse_ip4(v, &c->gw) != 0) {
			snprintf(err, errlen, "usock: USOCK_GATEWAY=\"%s\" is not an IPv4 address; use "
				 "e.g. USOCK_GATEWAY=198.18.0.1", v);
			return -EINVAL;
		}
		if (!c->dhcp && (c->gw & mask) != (c->ip4 & mask)) {
			snprintf(err, errlen, "usock: USOCK_GATEWAY=\"%s\" is not on the USOCK_IPV4 "
				 "subnet; give a gateway inside it", v);
			return -EINVAL;
		}
	}

	v = pick(uc->mac, "USOCK_MAC");
	if (v != NULL) {
		if (us_parse_mac(v, c->mac) != 0 || (c->mac[0] & 1) != 0) {
			snprintf(err, errlen, "usock: USOCK_MAC=\"%s\" is not a unicast MAC; use e.g. "
				 "USOCK_MAC=02:00:00:00:00:02", v);
			return -EINVAL;
		}
		c->have_mac = 1;
	}

	v = pick(uc->dpdk_args, "USOCK_DPDK_ARGS");
	if (v != NULL && (rc = copy_str(c->dpdk_args, sizeof(c->dpdk_args), v, "USOCK_DPDK_ARGS",
					 err, errlen)) != 0)
		return rc;
	{
		uint32_t port = 0, queue = 0, mbufs = DPDK_MBUFS_DEFAULT;

		if ((v = getenv("USOCK_DPDK_PORT")) != NULL && *v != '\0' &&
		    (rc = parse_uint(v, "USOCK_DPDK_PORT", 0, 1023, &port, err, errlen)) != 0)
			return rc;
		if ((v = getenv("USOCK_DPDK_QUEUE")) != NULL && *v != '\0' &&
		    (rc = parse_uint(v, "USOCK_DPDK_QUEUE", 0, 1023, &queue, err, errlen)) != 0)
			return rc;
		if ((v = getenv("USOCK_DPDK_MBUFS")) != NULL && *v != '\0' &&
		    (rc = parse_uint(v, "USOCK_DPDK_MBUFS", DPDK_MBUFS_MIN, DPDK_MBUFS_MAX, &mbufs,
				     err, errlen)) != 0)
			return rc;
		if ((v = getenv("USOCK_RING")) != NULL && *v != '\0') {
			/* Whole 128 KiB blocks of 2 KiB frames, and room past the read-ahead. */
			if ((rc = parse_uint(v, "USOCK_RING", 256, 32768, &c->ring_frames, err,
					     errlen)) != 0)
				return rc;
			if (c->ring_frames % 64 != 0) {
				snprintf(err, errlen, "usock: USOCK_RING=%s is not a multiple of 64 "
					 "frames (a 128 KiB ring block); use e.g. USOCK_RING=256", v);
				return -EINVAL;
			}
		}
		c->dpdk_port = (uint16_t)port;
		c->dpdk_queue = (uint16_t)queue;
		c->dpdk_mbufs = mbufs;
	}
	v = pick(uc->pcap_file, "USOCK_PCAP");
	if (v != NULL && (rc = copy_str(c->pcap_file, sizeof(c->pcap_file), v, "USOCK_PCAP", err,
					 errlen)) != 0)
		return rc;
	v = pick(uc->dns, "USOCK_DNS");
	if (v != NULL && (rc = copy_str(c->dns, sizeof(c->dns), v, "USOCK_DNS", err, errlen)) != 0)
		return rc;
	if (v != NULL && !US_HAVE_DNS) {
		snprintf(err, errlen, "usock: USOCK_DNS: this build has no DNS resolver (-Ddns=false); "
			 "unset USOCK_DNS (names then come from /etc/hosts), or rebuild with -Ddns=true");
		return -EINVAL;
	}
	if (v != NULL && (rc = parse_dns(c, err, errlen)) != 0)
		return rc;
	v = pick(uc->ipv6, "USOCK_IPV6");
	if (v != NULL && !US_HAVE_IPV6) {
		snprintf(err, errlen, "usock: USOCK_IPV6: this build has no IPv6 (-Dipv6=false); unset "
			 "USOCK_IPV6, or rebuild with -Dipv6=true");
		return -EINVAL;
	}
	if (v != NULL && ((rc = copy_str(c->ipv6, sizeof(c->ipv6), v, "USOCK_IPV6", err,
					 errlen)) != 0 ||
			  (rc = parse_ipv6_setting(c, v, err, errlen)) != 0))
		return rc;
	v = pick(NULL, "USOCK_GATEWAY6");
	if (v != NULL && (rc = parse_gateway6(c, v, err, errlen)) != 0)
		return rc;

	v = pick(NULL, "USOCK_TCP_CC");
	if (v != NULL) {
		if (strcmp(v, "cubic") != 0 && strcmp(v, "newreno") != 0 && strcmp(v, "reno") != 0) {
			snprintf(err, errlen, "usock: USOCK_TCP_CC=\"%s\" is not a congestion control "
				 "this build has; use cubic or newreno", v);
			return -EINVAL;
		}
		strcpy(c->tcp_cc, v);
	}

	v = pick(uc->fault, "USOCK_FAULT");
	if (v != NULL) {
		char why[160];

		if (us_fault_parse(v, &c->fault, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "usock: USOCK_FAULT=\"%s\" %s", v, why);
			return -EINVAL;
		}
		c->have_fault = 1;
	}

	/* The struct's numbers obey the same ranges as their variables. */
	if ((rc = check_field(uc->pool_size, "pool_size", "USOCK_POOL", POOL_MIN, POOL_MAX, err,
			      errlen)) != 0 ||
	    (rc = check_field(uc->max_sockets, "max_sockets", "USOCK_SOCKETS", SOCKETS_MIN,
			      SOCKETS_MAX, err, errlen)) != 0)
		return rc;
	c->pool_size = uc->pool_size;
	if (c->pool_size == 0) {
		c->pool_size = US_POOL_SIZE;
		if ((v = getenv("USOCK_POOL")) != NULL && *v != '\0' &&
		    (rc = parse_uint(v, "USOCK_POOL", POOL_MIN, POOL_MAX, &c->pool_size, err,
				     errlen)) != 0)
			return rc;
	}
	c->max_sockets = uc->max_sockets;
	if (c->max_sockets == 0) {
		c->max_sockets = US_SOCKET_MAX;
		if ((v = getenv("USOCK_SOCKETS")) != NULL && *v != '\0' &&
		    (rc = parse_uint(v, "USOCK_SOCKETS", SOCKETS_MIN, SOCKETS_MAX, &c->max_sockets,
				     err, errlen)) != 0)
			return rc;
	}
	c->busy_poll = uc->busy_poll;
	if (c->busy_poll == 0 && (v = getenv("USOCK_BUSY_POLL")) != NULL && *v != '\0') {
		uint32_t b;

		if ((rc = parse_uint(v, "USOCK_BUSY_POLL", 0, 1, &b, err, errlen)) != 0)
			return rc;
		c->busy_poll = (int)b;
	}
	return 0;
}
