/*
 * fuzz_config.c - libFuzzer harness for the configuration parser
 * (us_config_load, lib/core/config.c): the input is split on NUL and
 * newline into NAME=VALUE settings put in the environment (a NAME without
 * the USOCK_ prefix gets it), then us_config_load(c, NULL, ...) reads
 * them, and they are unset again.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/config.h"
#include "tests/common/config_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXSET 32	/* settings one input may make */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int cleared;
	static char *names[MAXSET];
	struct us_config c;
	char err[256], *buf, *line, *next;
	int nset = 0, rc, i;

	/* The fuzzer's own USOCK_* settings, once, at the first input. */
	if (!cleared) {
		t_clear_usock_env();
		cleared = 1;
	}
	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = buf; line < buf + size && nset < MAXSET; line = next) {
		size_t len = strcspn(line, "\n"), pre;
		char *eq, *set;

		next = line + len + 1;
		line[len] = '\0';
		eq = strchr(line, '=');
		if (eq == NULL || eq == line || eq - line > 200)
			continue;
		/*
		 * putenv, not setenv: glibc keeps every string setenv ever made,
		 * which a long run would pile up; these are ours to free.
		 */
		pre = strncmp(line, "USOCK_", 6) == 0 ? 0 : 6;
		set = malloc(pre + strlen(line) + 1);
		if (set == NULL)
			break;
		memcpy(set, "USOCK_", pre);
		strcpy(set + pre, line);
		if (putenv(set) != 0) {
			free(set);
			continue;
		}
		names[nset++] = set;
	}
	memset(err, 0x5a, sizeof(err));
	rc = us_config_load(&c, NULL, err, sizeof(err));
	if (rc != 0 && (rc != -EINVAL || memchr(err, 0, sizeof(err)) == NULL || err[0] == '\0'))
		abort();	/* a refusal is -EINVAL with one line naming the setting */
	if (rc == 0) {
		if (c.plen > 32 || c.ndns < 0 || c.ndns > US_DNS_MAX ||
		    (c.ip6_mode == US_CFG_IP6_STATIC && (c.ip6_plen < 1 || c.ip6_plen > 128)) ||
		    memchr(c.iface, 0, sizeof(c.iface)) == NULL ||
		    memchr(c.driver, 0, sizeof(c.driver)) == NULL ||
		    memchr(c.dpdk_args, 0, sizeof(c.dpdk_args)) == NULL ||
		    memchr(c.pcap_file, 0, sizeof(c.pcap_file)) == NULL ||
		    memchr(c.dns, 0, sizeof(c.dns)) == NULL ||
		    memchr(c.ipv6, 0, sizeof(c.ipv6)) == NULL ||
		    memchr(c.tcp_cc, 0, sizeof(c.tcp_cc)) == NULL)
			abort();
	}
	for (i = 0; i < nset; i++) {
		char nm[256];
		size_t k = (size_t)(strchr(names[i], '=') - names[i]);

		/* (Cutting names[i] itself at '=' would hide it from unsetenv.) */
		memcpy(nm, names[i], k);
		nm[k] = '\0';
		unsetenv(nm);
		free(names[i]);
	}
	free(buf);
	return 0;
}
