/*
 * dns.c - a stub resolver over the usock stack (RFC 1035, RFC 2181,
 * RFC 1123 6.1.3.2): a recursive query for A or AAAA to each server of
 * USOCK_DNS in turn (or of /etc/resolv.conf), over UDP from a fresh
 * random ID and port, repeated after a timeout; a truncated answer is
 * asked again over TCP; the answer's CNAME chain is followed from the
 * name asked to the addresses at its end.  It runs in the caller's
 * thread on the public socket calls, as libc's resolver runs on the
 * kernel's.  The parser never trusts a length or a compression pointer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "usock.h"
#include "../core/runtime.h"
#include "dns.h"

#define DNS_HLEN	12
#define DNS_UDP_MAX	512	/* RFC 1035 4.2.1: no EDNS, so answers over UDP fit 512 bytes */
#define DNS_TIMEOUT_S	2.0	/* per try */
#define DNS_ROUNDS	2	/* tries of every server */
#define DNS_NAME_MAX	255	/* wire form; 253 characters of text */
#define DNS_RR_MAX	64	/* answer records looked at */
#define DNS_CHAIN_MAX	16	/* CNAMEs followed */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
us_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	size_t nl = strlen(name), o = DNS_HLEN, i = 0;

	if (nl > 0 && name[nl - 1] == '.')
		nl--;	/* the root's dot is implied */
	if (nl == 0 || nl > 253 || cap < DNS_HLEN + nl + 2 + 4)
		return -1;
	memset(buf, 0, DNS_HLEN);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01;	/* RD: recursion desired */
	buf[5] = 1;	/* one question */
	while (i < nl) {
		size_t j = i;

		while (j < nl && name[j] != '.')
			j++;
		if (j == i || j - i > 63)
			return -1;	/* an empty label, or one over 63 bytes */
		buf[o++] = (uint8_t)(j - i);
		memcpy(buf + o, name + i, j - i);
		o += j - i;
		i = j + 1;
	}
	buf[o++] = 0;
	buf[o++] = (uint8_t)(qtype >> 8);
	buf[o++] = (uint8_t)qtype;
	buf[o++] = 0;
	buf[o++] = 1;	/* class IN */
	return (int)o;
}

/*
 * Reads the (possibly compressed) name at *off into out as dotted text,
 * lower case, no final dot; moves *off past it.  -1 when malformed: a
 * label or name too long, a pointer out of the message or in a loop.
 */
static int
read_name(const uint8_t *msg, size_t len, size_t *off, char *out)
{
	size_t o = *off, n = 0;
	int jumped = 0, hops = 0;

	for (;;) {
		uint8_t l;

		if (o >= len)
			return -1;
		l = msg[o];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (o + 1 >= len || ++hops > 64)
				return -1;
			to = (size_t)(l & 0x3f) << 8 | msg[o + 1];
			if (!jumped)
				*off = o + 2;
			jumped = 1;
			if (to >= len)
				return -1;
			o = to;
			continue;
		}
		if (l & 0xc0)
			return -1;	/* the obsolete label types */
		if (l == 0) {
			if (!jumped)
				*off = o + 1;
			break;
		}
		if (o + 1 + l > len || n + l + 1 > DNS_NAME_MAX)
			return -1;
		if (n > 0)
			out[n++] = '.';
		for (size_t k = 0; k < l; k++) {
			char c = (char)msg[o + 1 + k];

			out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		o += 1 + l;
	}
	out[n] = '\0';
	return 0;
}

/* name as the answer spells it: lower case, no final dot. */
static void
norm_name(const char *name, char *out)
{
	size_t n = strlen(name), i;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n > DNS_NAME_MAX - 1)
		n = DNS_NAME_MAX - 1;
	for (i = 0; i < n; i++)
		out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	out[n] = '\0';
}

/* An answer record, read once: owner, type, and where its data is. */
struct dns_rr {
	char owner[DNS_NAME_MAX + 1];
	char target[DNS_NAME_MAX + 1];	/* a CNAME's */
	uint16_t type;
	uint16_t rdlen;
	size_t rdoff;
};

static enum us_dns_result parse_answers(const uint8_t *msg, size_t len, size_t off, unsigned an,
					char *want, uint16_t qtype, struct dns_rr *rr,
					struct us_addr *out, int max, int *n, char *canon,
					size_t clen);

enum us_dns_result
us_dns_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name, uint16_t qtype,
	     struct us_addr *out, int max, int *n, char *canon, size_t clen)
{
	struct dns_rr *rr;
	char want[DNS_NAME_MAX + 1], qname[DNS_NAME_MAX + 1];
	enum us_dns_result r;
	size_t off = DNS_HLEN;
	unsigned qd, an;

	if (len < DNS_HLEN || get16(msg) != id || !(msg[2] & 0x80) || ((msg[2] >> 3) & 0xf) != 0)
		return US_DNS_BAD;	/* not a response, not ours, or not a standard query's */
	switch (msg[3] & 0xf) {
	case 0:
		break;
	case 3:
		/* NXDOMAIN: only believed from an answer that names our question (below). */
		break;
	default:
		return US_DNS_SERVER;	/* FORMERR, SERVFAIL, NOTIMP, REFUSED: another server */
	}
	qd = get16(msg + 4);
	an = get16(msg + 6);
	if (qd != 1)
		return (msg[2] & 0x02) ? US_DNS_TRUNC : US_DNS_BAD;
	norm_name(name, want);
	if (read_name(msg, len, &off, qname) != 0 || off + 4 > len || strcmp(qname, want) != 0 ||
	    get16(msg + off) != qtype || get16(msg + off + 2) != 1)
		return US_DNS_BAD;	/* an answer to some other question */
	off += 4;
	if (msg[2] & 0x02)
		return US_DNS_TRUNC;	/* TC: the rest did not fit */
	if ((msg[3] & 0xf) == 3)
		return US_DNS_NXDOMAIN;
	rr = malloc(DNS_RR_MAX * sizeof(*rr));
	if (rr == NULL)
		return US_DNS_SERVER;
	r = parse_answers(msg, len, off, an, want, qtype, rr, out, max, n, canon, clen);
	free(rr);
	return r;
}

static enum us_dns_result
parse_answers(const uint8_t *msg, size_t len, size_t off, unsigned an, char *want, uint16_t qtype,
	      struct dns_rr *rr, struct us_addr *out, int max, int *n, char *canon, size_t clen)
{
	unsigned i, nrr = 0, hops;
	int found = 0;

	for (i = 0; i < an; i++) {
		uint16_t type, cls, rdlen;

		if (nrr == DNS_RR_MAX)
			break;
		if (read_name(msg, len, &off, rr[nrr].owner) != 0 || off + 10 > len)
			return US_DNS_BAD;
		type = get16(msg + off);
		cls = get16(msg + off + 2);
		rdlen = get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			return US_DNS_BAD;
		rr[nrr].type = type;
		rr[nrr].rdoff = off;
		rr[nrr].rdlen = rdlen;
		rr[nrr].target[0] = '\0';
		if (cls == 1 && type == US_DNS_TYPE_CNAME) {
			size_t t = off;

			if (read_name(msg, len, &t, rr[nrr].target) != 0 || t > off + rdlen)
				return US_DNS_BAD;
		}
		off += rdlen;
		if (cls == 1)
			nrr++;
	}
	/* From the name asked, through its CNAMEs, to the name that has the addresses. */
	for (hops = 0; hops < DNS_CHAIN_MAX; hops++) {
		for (i = 0; i < nrr; i++)
			if (rr[i].type == US_DNS_TYPE_CNAME && strcmp(rr[i].owner, want) == 0)
				break;
		if (i == nrr)
			break;
		snprintf(want, DNS_NAME_MAX + 1, "%s", rr[i].target);
	}
	if (canon != NULL && clen > 0)
		snprintf(canon, clen, "%s", want);
	for (i = 0; i < nrr; i++) {
		size_t alen = qtype == US_DNS_TYPE_A ? 4 : 16;

		if (rr[i].type != qtype || strcmp(rr[i].owner, want) != 0 || rr[i].rdlen != alen)
			continue;
		found = 1;
		if (*n < max) {
			out[*n].family = qtype == US_DNS_TYPE_A ? AF_INET : AF_INET6;
			memset(out[*n].bytes, 0, sizeof(out[*n].bytes));
			memcpy(out[*n].bytes, msg + rr[i].rdoff, alen);
			(*n)++;
		}
	}
	return found ? US_DNS_OK : US_DNS_NODATA;
}

/* The servers: USOCK_DNS, else the IPv4 nameservers of /etc/resolv.conf. */
static int
servers(uint32_t *sv, int max)
{
	char line[512];
	FILE *f;
	int n = 0, i, rc;

	if ((rc = us_rt_enter()) != 0)
		return rc;
	for (i = 0; i < us_rt.st->cfg.ndns && n < max; i++)
		sv[n++] = us_rt.st->cfg.dns4[i];
	us_rt_leave();
	if (n > 0 || (f = fopen("/etc/resolv.conf", "re")) == NULL)
		return n;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		char a[64];
		struct in_addr in;

		if (sscanf(line, " nameserver %63s", a) == 1 && inet_pton(AF_INET, a, &in) == 1)
			sv[n++] = ntohl(in.s_addr);
	}
	fclose(f);
	return n;
}

static struct sockaddr_in
server_addr(uint32_t ip)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(ip);
	sa.sin_port = htons(US_DNS_PORT);
	return sa;
}

/* The query over TCP (RFC 1035 4.2.2: a two-byte length first); the answer's length, or -1. */
static int
ask_tcp(uint32_t server, const uint8_t *q, int qlen, uint8_t *ans, size_t cap)
{
	struct sockaddr_in sa = server_addr(server);
	uint8_t pre[2] = { (uint8_t)(qlen >> 8), (uint8_t)qlen };
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_STREAM, 0), alen = -1;
	uint16_t n;

	if (s < 0)
		return -1;
	usock_settimeout(s, DNS_TIMEOUT_S);
	if (usock_connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    usock_sendall(s, pre, 2) == 2 && usock_sendall(s, q, (size_t)qlen) == qlen &&
	    usock_read(s, pre, 2) == 2) {
		n = get16(pre);
		if (n <= cap && usock_read(s, ans, n) == n)
			alen = n;
	}
	usock_close(s);
	return alen;
}

/* One question to the servers in turn, as resolv.conf's defaults do. */
static enum us_dns_result
ask(const uint32_t *sv, int nsv, const char *name, uint16_t qtype, struct us_addr *out, int max,
    int *n, char *canon, size_t clen)
{
	uint8_t q[DNS_HLEN + 256 + 4], *ans = malloc(65535);
	enum us_dns_result worst = US_DNS_SERVER;
	int round, k;

	if (ans == NULL)
		return US_DNS_SERVER;

	for (round = 0; round < DNS_ROUNDS; round++) {
		for (k = 0; k < nsv; k++) {
			struct sockaddr_in sa = server_addr(sv[k]);
			uint16_t id;
			int qlen, s;
			enum us_dns_result r = US_DNS_SERVER;

			if (getrandom(&id, sizeof(id), 0) != sizeof(id))
				id = (uint16_t)(uintptr_t)&id;
			qlen = us_dns_query(q, sizeof(q), id, name, qtype);
			if (qlen < 0) {
				free(ans);
				return US_DNS_NXDOMAIN;	/* a name DNS cannot carry */
			}
			s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
			if (s < 0) {
				free(ans);
				return US_DNS_SERVER;
			}
			/* Connected: only the server's datagrams come in (RFC 5452 9.1). */
			usock_settimeout(s, DNS_TIMEOUT_S);
			if (usock_connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			    usock_send(s, q, (size_t)qlen, 0) == qlen) {
				for (;;) {
					ssize_t got = usock_recv(s, ans, DNS_UDP_MAX, 0);

					if (got < 0)
						break;	/* timed out, or the port is closed */
					r = us_dns_parse(ans, (size_t)got, id, name, qtype, out, max,
							 n, canon, clen);
					if (r != US_DNS_BAD)
						break;
					/* Not the answer (a late one, a forgery): keep listening. */
					r = US_DNS_SERVER;
				}
			}
			usock_close(s);
			if (r == US_DNS_TRUNC) {
				int alen = ask_tcp(sv[k], q, qlen, ans, 65535);

				r = alen < 0 ? US_DNS_SERVER
					     : us_dns_parse(ans, (size_t)alen, id, name, qtype, out,
							    max, n, canon, clen);
				if (r == US_DNS_TRUNC || r == US_DNS_BAD)
					r = US_DNS_SERVER;
			}
			if (r == US_DNS_OK || r == US_DNS_NODATA || r == US_DNS_NXDOMAIN) {
				free(ans);
				return r;
			}
			worst = r;
		}
	}
	free(ans);
	return worst;
}

/* RFC 6761 6.4: "invalid" and the names under it never exist; no server is asked. */
static int
invalid_name(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return (n == 7 && strncasecmp(name, "invalid", 7) == 0) ||
	       (n > 8 && strncasecmp(name + n - 8, ".invalid", 8) == 0);
}

int
us_dns_lookup(const char *name, int family, struct us_addr *out, int max, int *n, char *canon,
	      size_t clen)
{
	uint32_t sv[8];
	int nsv;
	enum us_dns_result r4 = US_DNS_NODATA, r6 = US_DNS_NODATA;

	*n = 0;
	if (invalid_name(name))
		return EAI_NONAME;
	nsv = servers(sv, 8);
	if (nsv < 0) {
		errno = -nsv;
		return EAI_SYSTEM;
	}
	if (nsv == 0)
		return EAI_FAIL;	/* nowhere to ask: set USOCK_DNS */
	if (family != AF_INET6) {
		r4 = ask(sv, nsv, name, US_DNS_TYPE_A, out, max, n, canon, clen);
		if (r4 == US_DNS_NXDOMAIN)
			return EAI_NONAME;
	}
	if (family != AF_INET)
		r6 = ask(sv, nsv, name, US_DNS_TYPE_AAAA, out, max, n,
			 r4 == US_DNS_OK ? NULL : canon, clen);
	if (*n > 0)
		return 0;
	if (r4 == US_DNS_NXDOMAIN || r6 == US_DNS_NXDOMAIN)
		return EAI_NONAME;
	if (r4 == US_DNS_SERVER || r6 == US_DNS_SERVER)
		return EAI_AGAIN;
	return EAI_NODATA;
}
