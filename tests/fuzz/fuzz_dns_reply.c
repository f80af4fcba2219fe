/*
 * fuzz_dns_reply.c - libFuzzer harness for the DNS answer parser
 * (us_dns_parse, lib/sock/dns.c): names with compression, CNAME chains,
 * A and AAAA records.  Input: one control byte (bit 0: AAAA rather than A;
 * bits 1-3: room for 1-8 addresses; bits 4-7: size of the canonical name
 * buffer, 0 meaning the full 256), the question's name up to a NUL, then
 * the message; the query ID is taken from the message, so it always matches.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/sock/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct us_addr out[8];
	char name[256], *canon;
	const uint8_t *nul;
	uint8_t *msg;
	size_t nlen, mlen, clen;
	int max, n = 0, i;
	uint16_t qtype;
	enum us_dns_result r;

	if (size < 2)
		return 0;
	qtype = (data[0] & 1) ? US_DNS_TYPE_AAAA : US_DNS_TYPE_A;
	max = 1 + ((data[0] >> 1) & 7);
	clen = (data[0] >> 4) == 0 ? 256 : (size_t)(data[0] >> 4) * 8;
	nul = memchr(data + 1, 0, size - 1);
	if (nul == NULL)
		return 0;
	nlen = (size_t)(nul - (data + 1));
	if (nlen >= sizeof(name))
		return 0;
	memcpy(name, data + 1, nlen);
	name[nlen] = '\0';
	mlen = size - 1 - nlen - 1;
	/* Exact-size copies, so a read or write past either is caught. */
	msg = malloc(mlen == 0 ? 1 : mlen);
	canon = malloc(clen);
	if (msg == NULL || canon == NULL) {
		free(msg);
		free(canon);
		return 0;
	}
	memcpy(msg, nul + 1, mlen);
	memset(out, 0, sizeof(out));
	r = us_dns_parse(msg, mlen, mlen >= 2 ? (uint16_t)(msg[0] << 8 | msg[1]) : 0, name, qtype,
			 out, max, &n, canon, clen);
	if (n < 0 || n > max)
		abort();
	if (r == US_DNS_OK) {
		if (n == 0 || memchr(canon, 0, clen) == NULL)
			abort();
		for (i = 0; i < n; i++)
			if (out[i].family != (qtype == US_DNS_TYPE_A ? AF_INET : AF_INET6))
				abort();
	}
	free(msg);
	free(canon);
	return 0;
}
