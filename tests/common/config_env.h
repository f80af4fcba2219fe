/*
 * config_env.h - the environment side of the configuration tests: the
 * unit suite (tests/unit/core/test_config.c) and the configuration fuzzer
 * (tests/fuzz/fuzz_config.c) both start from an environment without any
 * USOCK_* setting.  Header-only, so the fuzzer (built without the test
 * harness) takes it too.
 */
#ifndef US_TEST_CONFIG_ENV_H
#define US_TEST_CONFIG_ENV_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Unsets every USOCK_* variable of the environment (the caller's shell's
 * would otherwise leak into what is tested).  Names of 256 characters or
 * more are left alone.
 */
static inline void
t_clear_usock_env(void)
{
	char name[256];
	int again = 1;

	while (again) {
		char **e;

		again = 0;
		for (e = environ; *e != NULL; e++) {
			const char *eq = strchr(*e, '=');
			size_t n = eq != NULL ? (size_t)(eq - *e) : strlen(*e);

			if (strncmp(*e, "USOCK_", 6) == 0 && n < sizeof(name)) {
				memcpy(name, *e, n);
				name[n] = '\0';
				unsetenv(name);
				again = 1;	/* environ changed under us: start over */
				break;
			}
		}
	}
}

#endif /* US_TEST_CONFIG_ENV_H */
