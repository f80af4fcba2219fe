/*
 * fuzz_tcp_options.c - libFuzzer harness for the TCP option parser
 * (us_tcp_opt_parse, lib/tcp/tcp_subr.c).  Input: one byte whose low bit
 * says SYN or not, then the option bytes (at most 40, as a header holds).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tcp/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct us_tcp_seg seg;
	uint8_t *opt;
	uint32_t len;
	int syn;

	if (size < 1)
		return 0;
	syn = data[0] & 1;
	len = (uint32_t)(size - 1 > 40 ? 40 : size - 1);
	/* A buffer of exactly the options' size, so any read past them is caught. */
	opt = malloc(len == 0 ? 1 : len);
	if (opt == NULL)
		return 0;
	memcpy(opt, data + 1, len);
	memset(&seg, 0xa5, sizeof(seg));
	if (us_tcp_opt_parse(opt, len, syn, &seg) == 0) {
		/* What the state machine relies on after a successful parse. */
		if (seg.nsack > 4 || seg.wscale > 14 || seg.wscale < -1)
			abort();
		if (!syn && (seg.mss != 0 || seg.wscale != -1 || seg.sack_ok))
			abort();
		/* Every SACK block takes 8 bytes after a 2-byte header (RFC 2018 3). */
		if (seg.nsack > 0 && len < 2u + 8u * seg.nsack)
			abort();
	}
	free(opt);
	return 0;
}
