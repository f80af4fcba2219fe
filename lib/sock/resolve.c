/*
 * resolve.c - usock_getaddrinfo: numeric hosts (IPv4 and IPv6 text),
 * /etc/hosts, then DNS over the stack (dns.c), each result carrying the
 * seed's 5-tuple (family, type, proto, canonname, sockaddr).  Each result
 * is one allocation, so usock_freeaddrinfo walks the list and frees each.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "usock.h"
#include "usock_build_config.h"

/*
 * glibc's AI_IDN and AI_CANONIDN (getent sets them): accepted; names here
 * are ASCII already, so there is nothing to convert.
 */
#if defined(AI_IDN) && defined(AI_CANONIDN)
#define GNU_IDN_FLAGS	(AI_IDN | AI_CANONIDN)
#else
#define GNU_IDN_FLAGS	0
#endif
#include "dns.h"

struct ai_block {
	struct addrinfo ai;	/* first: what the caller sees */
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;			/* ai_addr points here */
	char name[256];		/* ai_canonname points here */
};


static int
parse_port(const char *port, int socktype, uint16_t *out)
{
	char *end;
	long v;

	if (port == NULL) {
		*out = 0;
		return 0;
	}
	v = strtol(port, &end, 10);
	if (*port != '\0' && *end == '\0') {
		if (v < 0 || v > 65535)
			return EAI_SERVICE;
		*out = (uint16_t)v;
		return 0;
	}
	{
		struct servent se, *r = NULL;
		char buf[1024];

		if (getservbyname_r(port, socktype == SOCK_DGRAM ? "udp" : "tcp", &se, buf,
				    sizeof(buf), &r) != 0 || r == NULL)
			return EAI_SERVICE;
		*out = ntohs((uint16_t)r->s_port);
	}
	return 0;
}

static int
numeric(const char *host, struct us_addr *a)
{
	if (inet_pton(AF_INET, host, a->bytes) == 1) {
		a->family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, host, a->bytes) == 1) {
		a->family = AF_INET6;
		return 1;
	}
	return 0;
}

/* Looks host up in /etc/hosts; fills up to max addresses and the canonical name. */
static int
from_hosts(const char *host, struct us_addr *out, int max, char *canon, size_t clen)
{
	char line[1024];
	FILE *f = fopen("/etc/hosts", "re");
	int n = 0;

	if (f == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		char *save = NULL, *tok, *hash = strchr(line, '#');
		char *first_name = NULL;
		struct us_addr a;
		int match = 0;

		if (hash != NULL)
			*hash = '\0';
		tok = strtok_r(line, " \t\r\n", &save);
		if (tok == NULL || !numeric(tok, &a))
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (first_name == NULL)
				first_name = tok;
			if (strcasecmp(tok, host) == 0)
				match = 1;
		}
		if (match) {
			if (n == 0 && first_name != NULL)
				snprintf(canon, clen, "%s", first_name);
			out[n++] = a;
		}
	}
	fclose(f);
	return n;
}

int
usock_getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
		  struct addrinfo **res)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	struct addrinfo h;
	struct addrinfo *head = NULL, **tail = &head;
	struct us_addr addrs[64];
	char canon[256] = "";
	int naddr = 0, i, t, rc;
	uint16_t p;

	if (res == NULL) {
		errno = EINVAL;
		return EAI_SYSTEM;
	}
	*res = NULL;
	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	if (host == NULL && port == NULL)
		return EAI_NONAME;
	if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET && h.ai_family != AF_INET6)
		return EAI_FAMILY;
	if (h.ai_socktype != 0 && h.ai_socktype != SOCK_STREAM && h.ai_socktype != SOCK_DGRAM &&
	    h.ai_socktype != SOCK_RAW)
		return EAI_SOCKTYPE;
	if (h.ai_flags & ~(AI_PASSIVE | AI_NUMERICHOST | AI_CANONNAME | AI_NUMERICSERV |
			   AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL | GNU_IDN_FLAGS))
		return EAI_BADFLAGS;
	if ((h.ai_flags & AI_CANONNAME) && host == NULL)
		return EAI_BADFLAGS;
	if ((h.ai_flags & AI_NUMERICSERV) && port != NULL) {
		char *end;

		(void)strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0')
			return EAI_NONAME;
	}
	if (host == NULL) {
		/* No host: the wildcard to bind, or loopback to connect (RFC 3493 6.1). */
		struct us_addr a4 = { AF_INET, { 0 } }, a6 = { AF_INET6, { 0 } };

		if (!(h.ai_flags & AI_PASSIVE)) {
			a4.bytes[0] = 127;
			a4.bytes[3] = 1;
			a6.bytes[15] = 1;
		}
		if (h.ai_family != AF_INET6)
			addrs[naddr++] = a4;
		if (h.ai_family != AF_INET)
			addrs[naddr++] = a6;
	} else if (numeric(host, &addrs[0])) {
		naddr = 1;
		snprintf(canon, sizeof(canon), "%s", host);
	} else if (h.ai_flags & AI_NUMERICHOST) {
		return EAI_NONAME;
	} else {
		naddr = from_hosts(host, addrs, 64, canon, sizeof(canon));
#if US_HAVE_DNS
		if (naddr == 0 && (rc = us_dns_lookup(host, h.ai_family, addrs, 64, &naddr, canon,
						      sizeof(canon))) != 0)
			return rc;
#else
		/* Built without the resolver (-Ddns=false): numeric hosts and /etc/hosts only. */
		if (naddr == 0)
			return EAI_NONAME;
#endif
		if (canon[0] == '\0')
			snprintf(canon, sizeof(canon), "%s", host);
	}
	for (i = 0; i < naddr; i++) {
		if (h.ai_family != AF_UNSPEC && addrs[i].family != h.ai_family)
			continue;
		for (t = 0; t < 2; t++) {
			struct ai_block *b;
			int type = h.ai_socktype != 0 ? h.ai_socktype : types[t];

			if (h.ai_socktype != 0 && t > 0)
				break;
			rc = parse_port(port, type, &p);
			if (rc != 0) {
				usock_freeaddrinfo(head);
				return rc;
			}
			b = calloc(1, sizeof(*b));
			if (b == NULL) {
				usock_freeaddrinfo(head);
				return EAI_MEMORY;
			}
			b->ai.ai_family = addrs[i].family;
			b->ai.ai_socktype = type;
			b->ai.ai_protocol = h.ai_protocol != 0 ? h.ai_protocol
				: type == SOCK_STREAM ? IPPROTO_TCP
				: type == SOCK_DGRAM ? IPPROTO_UDP : 0;
			if (addrs[i].family == AF_INET) {
				b->sa.v4.sin_family = AF_INET;
				b->sa.v4.sin_port = htons(p);
				memcpy(&b->sa.v4.sin_addr, addrs[i].bytes, 4);
				b->ai.ai_addrlen = sizeof(b->sa.v4);
			} else {
				b->sa.v6.sin6_family = AF_INET6;
				b->sa.v6.sin6_port = htons(p);
				memcpy(&b->sa.v6.sin6_addr, addrs[i].bytes, 16);
				b->ai.ai_addrlen = sizeof(b->sa.v6);
			}
			b->ai.ai_addr = (struct sockaddr *)&b->sa;
			if ((h.ai_flags & AI_CANONNAME) && head == NULL) {
				snprintf(b->name, sizeof(b->name), "%s", canon);
				b->ai.ai_canonname = b->name;
			}
			*tail = &b->ai;
			tail = &b->ai.ai_next;
		}
	}
	if (head == NULL)
		return EAI_NONAME;
	*res = head;
	return 0;
}

void
usock_freeaddrinfo(struct addrinfo *res)
{
	while (res != NULL) {
		struct addrinfo *n = res->ai_next;

		free(res);
		res = n;
	}
}
