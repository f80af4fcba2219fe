/*
 * dns.h - the stub resolver behind usock_getaddrinfo: DNS (RFC 1035) over
 * the usock stack itself, UDP first and TCP when an answer is truncated.
 */
#ifndef US_DNS_H
#define US_DNS_H

#include <stddef.h>
#include <stdint.h>

/* One address of a name. */
struct us_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* the address, network order */
};

#define US_DNS_PORT	53
#define US_DNS_TYPE_A	1
#define US_DNS_TYPE_CNAME	5
#define US_DNS_TYPE_AAAA	28

/* What an answer says. */
enum us_dns_result {
	US_DNS_OK,		/* addresses (at least one) */
	US_DNS_NODATA,		/* the name exists, without addresses of that type */
	US_DNS_NXDOMAIN,	/* no such name */
	US_DNS_TRUNC,		/* truncated: ask again over TCP */
	US_DNS_SERVER,		/* the server could not answer (SERVFAIL, REFUSED, ...): ask another */
	US_DNS_BAD,		/* not an answer to this question, or malformed */
};

/* Writes a recursive query for name and qtype; returns its length, or -1 (bad name, no room). */
int us_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);

/*
 * Reads the answer msg to the query (id, name, qtype): appends the
 * addresses at the end of the CNAME chain to out (*n of max used), and
 * the chain's last name to canon.  Never reads outside msg.
 */
enum us_dns_result us_dns_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
				uint16_t qtype, struct us_addr *out, int max, int *n, char *canon,
				size_t clen);

/*
 * Looks name up with the servers of USOCK_DNS (or /etc/resolv.conf):
 * addresses of family (AF_INET, AF_INET6, or AF_UNSPEC for both) into out.
 * Returns 0 or an EAI_* code (errno set for EAI_SYSTEM).
 */
int us_dns_lookup(const char *name, int family, struct us_addr *out, int max, int *n, char *canon,
		  size_t clen);

#endif /* US_DNS_H */
