/*
 * fuzz_dhcp_reply.c - libFuzzer harness for the DHCP reply parser
 * (us_dhcp_parse, lib/ip/dhcp.c): a BOOTREPLY as a UDP payload, options
 * and their overload into file and sname (RFC 2131, RFC 2132).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/ip/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct us_dhcp_msg m;

	/* The stack reads at most one 1500-byte datagram into its buffer. */
	if (size > 1500)
		return 0;
	if (us_dhcp_parse(data, (uint32_t)size, &m) == 0) {
		if (m.ndns > US_DHCP_MAXDNS)
			abort();
		if (m.type < US_DHCP_DISCOVER || m.type > US_DHCP_RELEASE)
			abort();
	}
	return 0;
}
