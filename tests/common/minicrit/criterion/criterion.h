/*
 * minicrit: the part of Criterion's API that the unit and loop suites use
 * (Test, TestSuite with .init/.fini, cr_assert*, cr_log_info), for the
 * cross-builds of tests/cross/.  Debian builds no Criterion for armhf or
 * s390x, and Criterion's sandbox re-executes the test binary, which
 * qemu-user cannot follow without binfmt_misc.  As with Criterion, every
 * test runs in a process of its own (a fork), so a test's state and
 * crashes stay its own.  Selected by the cross file's
 * `usock_criterion = 'minicrit'` property (tests/meson.build).
 */
#ifndef US_MINICRIT_H
#define US_MINICRIT_H

/*
 * As installed Criterion is: a system header, so comparisons such as
 * cr_assert_leq(u16, 65535) draw no -Wtype-limits.
 */
#pragma GCC system_header

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mc_opts {
	void (*init)(void);	/* runs before the test, in its process */
	void (*fini)(void);	/* runs after it, also after a failed assertion */
	double timeout;		/* seconds; > 0: the test is killed (SIGALRM) after it */
};

struct mc_test {
	const char *suite;	/* Test()'s first argument */
	const char *name;	/* its second */
	void (*fn)(void);	/* the body */
	struct mc_opts opts;	/* the test's own .init/.fini, over the suite's */
	struct mc_test *next;	/* registration list */
};

struct mc_suite {
	const char *name;	/* TestSuite()'s first argument */
	struct mc_opts opts;	/* .init/.fini of every test in it */
	struct mc_suite *next;	/* registration list */
};

void mc_register_test(struct mc_test *t);
void mc_register_suite(struct mc_suite *s);
/* Reports a failed assertion and ends the test (its .fini still runs). */
void mc_fail(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));
void mc_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define Test(suite, name, ...)						\
	static void mc_fn_##suite##_##name(void);			\
	static struct mc_test mc_t_##suite##_##name = {			\
		#suite, #name, mc_fn_##suite##_##name,			\
		{ __VA_ARGS__ }, NULL					\
	};								\
	__attribute__((constructor)) static void			\
	mc_reg_##suite##_##name(void)					\
	{								\
		mc_register_test(&mc_t_##suite##_##name);		\
	}								\
	static void mc_fn_##suite##_##name(void)

#define TestSuite(suite, ...)						\
	static struct mc_suite mc_s_##suite = {				\
		#suite, { __VA_ARGS__ }, NULL				\
	};								\
	__attribute__((constructor)) static void			\
	mc_sreg_##suite(void)						\
	{								\
		mc_register_suite(&mc_s_##suite);			\
	}								\
	_Static_assert(1, #suite)

/*
 * The optional message is a format string literal and its arguments, as in
 * Criterion; "\t" in front of it makes an absent one an empty format.
 */
#define mc_check(cond, expr, ...)					\
	do {								\
		if (!(cond))						\
			mc_fail(__FILE__, __LINE__, expr, "\t" __VA_ARGS__); \
	} while (0)

#define cr_assert(c, ...)		mc_check((c), #c, __VA_ARGS__)
#define cr_assert_not(c, ...)		mc_check(!(c), "!(" #c ")", __VA_ARGS__)
#define cr_assert_null(p, ...)		mc_check((p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...)	mc_check((p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_eq(a, b, ...)		mc_check((a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...)	mc_check((a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...)		mc_check((a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...)	mc_check((a) <= (b), #a " <= " #b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...)		mc_check((a) > (b), #a " > " #b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...)	mc_check((a) >= (b), #a " >= " #b, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...)					\
	mc_check(strcmp((a), (b)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_assert_fail(...)		mc_fail(__FILE__, __LINE__, "failure", "\t" __VA_ARGS__)
#define cr_log_info(...)		mc_log("info", __VA_ARGS__)
#define cr_log_warn(...)		mc_log("warn", __VA_ARGS__)
#define cr_log_error(...)		mc_log("error", __VA_ARGS__)

#endif
