/*
 * The resolver's messages (RFC 1035 4): queries as the RFC lays them out,
 * and answers read through compression, CNAME chains, truncation and
 * every kind of damage, which must give US_DNS_BAD, never a read outside
 * the message.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>

#include "lib/sock/dns.h"

/* An answer under construction. */
struct msg {
	uint8_t b[1024];
	size_t n;
};

static void
put8(struct msg *m, uint8_t v)
{
	m->b[m->n++] = v;
}

static void
put16(struct msg *m, uint16_t v)
{
	put8(m, (uint8_t)(v >> 8));
	put8(m, (uint8_t)v);
}

/* A name in plain labels ("a.b" -> 1 a 1 b 0). */
static void
put_name(struct msg *m, const char *name)
{
	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);

		put8(m, (uint8_t)l);
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot != NULL);
	}
	put8(m, 0);
}

/* Header and question of an answer to (id, name, qtype) with an answers; flags2 is byte 3. */
static void
begin(struct msg *m, uint16_t id, const char *name, uint16_t qtype, uint16_t an, uint8_t flags2)
{
	memset(m, 0, sizeof(*m));
	put16(m, id);
	put8(m, 0x81);	/* QR, RD */
	put8(m, flags2);	/* RA and the rcode */
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	put_name(m, name);
	put16(m, qtype);
	put16(m, 1);
}

/* A record whose owner is a pointer to offset 12 (the question's name) or a plain name. */
static void
rr_a(struct msg *m, const char *owner, const char *ip)
{
	struct in_addr a;

	if (owner == NULL)
		put16(m, 0xc00c);
	else
		put_name(m, owner);
	put16(m, 1);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);	/* TTL */
	put16(m, 4);
	inet_pton(AF_INET, ip, &a);
	memcpy(m->b + m->n, &a, 4);
	m->n += 4;
}

static void
rr_cname(struct msg *m, const char *owner, const char *target)
{
	size_t at;

	if (owner == NULL)
		put16(m, 0xc00c);
	else
		put_name(m, owner);
	put16(m, 5);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	at = m->n;
	put16(m, 0);
	put_name(m, target);
	m->b[at] = (uint8_t)((m->n - at - 2) >> 8);
	m->b[at + 1] = (uint8_t)(m->n - at - 2);
}

static enum us_dns_result
parse(const struct msg *m, uint16_t id, const char *name, uint16_t qtype, struct us_addr *out,
      int *n, char *canon)
{
	*n = 0;
	return us_dns_parse(m->b, m->n, id, name, qtype, out, 8, n, canon, 256);
}

Test(dns, a_query_is_laid_out_as_rfc_1035_says)
{
	static const uint8_t want[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w',
					'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };
	uint8_t q[300];

	cr_assert_eq(us_dns_query(q, sizeof(q), 0x1234, "www.example", 1), (int)sizeof(want));
	cr_assert_eq(memcmp(q, want, sizeof(want)), 0);
	/* The final dot is the root's, implied. */
	cr_assert_eq(us_dns_query(q, sizeof(q), 0x1234, "www.example.", 1), (int)sizeof(want));
	cr_assert_eq(memcmp(q, want, sizeof(want)), 0);
}

Test(dns, names_dns_cannot_carry_are_refused)
{
	char longlabel[80], longname[300];
	uint8_t q[600];

	memset(longlabel, 'a', 64);
	longlabel[64] = '\0';
	memset(longname, 'a', 254);
	for (int i = 10; i < 254; i += 10)
		longname[i] = '.';
	longname[254] = '\0';
	cr_assert_eq(us_dns_query(q, sizeof(q), 1, "", 1), -1);
	cr_assert_eq(us_dns_query(q, sizeof(q), 1, "a..b", 1), -1);
	cr_assert_eq(us_dns_query(q, sizeof(q), 1, ".a", 1), -1);
	cr_assert_eq(us_dns_query(q, sizeof(q), 1, longlabel, 1), -1, "a 64-byte label");
	cr_assert_eq(us_dns_query(q, sizeof(q), 1, longname, 1), -1, "a 254-character name");
	cr_assert_eq(us_dns_query(q, 20, 1, "www.example", 1), -1, "no room");
}

Test(dns, addresses_come_from_the_answer_matching_the_question)
{
	struct us_addr a[8];
	struct msg m;
	char canon[256];
	int n;

	begin(&m, 7, "www.lab.test", 1, 3, 0x80);
	rr_a(&m, NULL, "198.18.0.10");
	rr_a(&m, "other.lab.test", "198.18.0.99");	/* not the name asked */
	rr_a(&m, NULL, "198.18.0.11");
	cr_assert_eq(parse(&m, 7, "WWW.Lab.Test.", 1, a, &n, canon), US_DNS_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(a[0].family, AF_INET);
	cr_assert_eq(memcmp(a[0].bytes, "\xc6\x12\x00\x0a", 4), 0);
	cr_assert_eq(memcmp(a[1].bytes, "\xc6\x12\x00\x0b", 4), 0);
	cr_assert_str_eq(canon, "www.lab.test");
}

Test(dns, a_cname_chain_is_followed_to_its_end)
{
	struct us_addr a[8];
	struct msg m;
	char canon[256];
	int n;

	begin(&m, 9, "alias2.lab.test", 1, 3, 0x80);
	rr_cname(&m, NULL, "alias.lab.test");
	rr_cname(&m, "alias.lab.test", "www.lab.test");
	rr_a(&m, "www.lab.test", "198.18.0.10");
	cr_assert_eq(parse(&m, 9, "alias2.lab.test", 1, a, &n, canon), US_DNS_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(canon, "www.lab.test");
	/* A CNAME loop ends after a bounded number of hops, with nothing found. */
	begin(&m, 9, "loop.lab.test", 1, 2, 0x80);
	rr_cname(&m, NULL, "loop2.lab.test");
	rr_cname(&m, "loop2.lab.test", "loop.lab.test");
	cr_assert_eq(parse(&m, 9, "loop.lab.test", 1, a, &n, canon), US_DNS_NODATA);
}

Test(dns, rcodes_and_flags_say_what_to_do_next)
{
	struct us_addr a[8];
	struct msg m;
	char canon[256];
	int n;

	begin(&m, 5, "nx.lab.test", 1, 0, 0x83);
	cr_assert_eq(parse(&m, 5, "nx.lab.test", 1, a, &n, canon), US_DNS_NXDOMAIN);
	begin(&m, 5, "x.lab.test", 1, 0, 0x80);
	cr_assert_eq(parse(&m, 5, "x.lab.test", 1, a, &n, canon), US_DNS_NODATA);
	begin(&m, 5, "x.lab.test", 1, 0, 0x82);	/* SERVFAIL */
	cr_assert_eq(parse(&m, 5, "x.lab.test", 1, a, &n, canon), US_DNS_SERVER);
	begin(&m, 5, "x.lab.test", 1, 0, 0x85);	/* REFUSED */
	cr_assert_eq(parse(&m, 5, "x.lab.test", 1, a, &n, canon), US_DNS_SERVER);
	begin(&m, 5, "big.lab.test", 1, 0, 0x80);
	m.b[2] |= 0x02;	/* TC */
	cr_assert_eq(parse(&m, 5, "big.lab.test", 1, a, &n, canon), US_DNS_TRUNC);
	/* Another ID, another question, a query rather than a response: not ours. */
	begin(&m, 5, "x.lab.test", 1, 0, 0x80);
	cr_assert_eq(parse(&m, 6, "x.lab.test", 1, a, &n, canon), US_DNS_BAD);
	cr_assert_eq(parse(&m, 5, "y.lab.test", 1, a, &n, canon), US_DNS_BAD);
	cr_assert_eq(parse(&m, 5, "x.lab.test", 28, a, &n, canon), US_DNS_BAD);
	m.b[2] &= 0x7f;
	cr_assert_eq(parse(&m, 5, "x.lab.test", 1, a, &n, canon), US_DNS_BAD);
}

Test(dns, damaged_answers_are_refused_without_reading_outside_them)
{
	struct us_addr a[8];
	struct msg m, good;
	char canon[256];
	size_t cut;
	int n;

	begin(&good, 3, "www.lab.test", 1, 1, 0x80);
	rr_a(&good, NULL, "198.18.0.10");
	/* Every truncation of a good answer. */
	for (cut = 0; cut < good.n; cut++) {
		m = good;
		m.n = cut;
		cr_assert_neq(parse(&m, 3, "www.lab.test", 1, a, &n, canon), US_DNS_OK,
			      "cut at %zu", cut);
	}
	/* A pointer to itself, and one past the end. */
	m = good;
	m.b[m.n - 16] = 0xc0;
	m.b[m.n - 15] = (uint8_t)(m.n - 16);
	cr_assert_eq(parse(&m, 3, "www.lab.test", 1, a, &n, canon), US_DNS_BAD);
	m = good;
	m.b[m.n - 15] = 0xff;
	m.b[m.n - 16] = 0xcf;
	cr_assert_eq(parse(&m, 3, "www.lab.test", 1, a, &n, canon), US_DNS_BAD);
	/* A data length past the end, and an A record of the wrong size. */
	m = good;
	m.b[m.n - 5] = 200;
	cr_assert_eq(parse(&m, 3, "www.lab.test", 1, a, &n, canon), US_DNS_BAD);
	m = good;
	m.b[m.n - 5] = 3;
	m.n--;
	cr_assert_eq(parse(&m, 3, "www.lab.test", 1, a, &n, canon), US_DNS_NODATA);
	/* A label of the obsolete types. */
	m = good;
	m.b[12] = 0x41;
	cr_assert_eq(parse(&m, 3, "www.lab.test", 1, a, &n, canon), US_DNS_BAD);
	/* Random bytes after a valid header and question never read outside (ASan checks). */
	for (int k = 0; k < 2000; k++) {
		uint32_t x = (uint32_t)k * 2654435761u;

		m = good;
		for (size_t i = 30; i < m.n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			m.b[i] = (uint8_t)x;
		}
		(void)parse(&m, 3, "www.lab.test", 1, a, &n, canon);
		cr_assert_leq(n, 8);
	}
}
