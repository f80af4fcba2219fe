/*
 * runner.c - minicrit's main (see criterion/criterion.h): runs every
 * registered test in a forked process of its own, in suite then name
 * order, prints a line for each failure or crash and the counts, and exits
 * non-zero when any test did not pass.  Arguments: --filter GLOB (matched
 * against SUITE/NAME), --list, --verbose; Criterion's --jobs N and -jN are
 * taken and ignored: tests run one at a time.
 */
#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criterion/criterion.h"

static struct mc_test *tests;	/* registered by the Test() constructors */
static struct mc_suite *suites;	/* registered by TestSuite() */
static jmp_buf fail_jmp;	/* where a failed assertion returns to */
static int in_test;		/* fail_jmp is set */

void
mc_register_test(struct mc_test *t)
{
	t->next = tests;
	tests = t;
}

void
mc_register_suite(struct mc_suite *s)
{
	s->next = suites;
	suites = s;
}

void
mc_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
	if (fmt[0] != '\0' && fmt[1] != '\0') {
		fputs("  ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt + 1, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fflush(stderr);
	if (!in_test)
		exit(1);
	longjmp(fail_jmp, 1);
}

void
mc_log(const char *level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%s] ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
cmp_test(const void *a, const void *b)
{
	const struct mc_test *x = *(const struct mc_test *const *)a;
	const struct mc_test *y = *(const struct mc_test *const *)b;
	int c = strcmp(x->suite, y->suite);

	return c != 0 ? c : strcmp(x->name, y->name);
}

/* The test's .init/.fini/.timeout, or its suite's where it has none. */
static struct mc_opts
opts_of(const struct mc_test *t)
{
	struct mc_opts o = t->opts;
	const struct mc_suite *s;

	for (s = suites; s != NULL; s = s->next) {
		if (strcmp(s->name, t->suite) != 0)
			continue;
		if (o.init == NULL)
			o.init = s->opts.init;
		if (o.fini == NULL)
			o.fini = s->opts.fini;
		if (o.timeout <= 0)
			o.timeout = s->opts.timeout;
	}
	return o;
}

/* In the test's own process: init, body, fini; 0 when nothing failed. */
static int
run_one(const struct mc_test *t)
{
	struct mc_opts o = opts_of(t);
	volatile int failed = 0;

	if (o.timeout > 0)
		alarm((unsigned)o.timeout + 1);
	in_test = 1;
	if (setjmp(fail_jmp) == 0) {
		if (o.init != NULL)
			o.init();
		t->fn();
	} else {
		failed = 1;
	}
	if (o.fini != NULL) {
		if (setjmp(fail_jmp) == 0)
			o.fini();
		else
			failed = 1;
	}
	in_test = 0;
	fflush(stdout);
	fflush(stderr);
	return failed;
}

int
main(int argc, char **argv)
{
	const char *filter = NULL;
	int list = 0, verbose = 0;
	size_t n = 0, i;
	struct mc_test **v, *t;
	unsigned passed = 0, failed = 0, crashed = 0;
	char full[512];
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--jobs") == 0 && a + 1 < argc)
			a++;
		else if (strncmp(argv[a], "-j", 2) == 0 || strncmp(argv[a], "--jobs=", 7) == 0)
			continue;
		else if (strcmp(argv[a], "--filter") == 0 && a + 1 < argc)
			filter = argv[++a];
		else if (strncmp(argv[a], "--filter=", 9) == 0)
			filter = argv[a] + 9;
		else if (strcmp(argv[a], "--list") == 0 || strcmp(argv[a], "-l") == 0)
			list = 1;
		else if (strcmp(argv[a], "--verbose") == 0 || strcmp(argv[a], "-v") == 0)
			verbose = 1;
		else {
			fprintf(stderr, "usage: %s [--filter SUITE/NAME-GLOB] [--list] [--verbose] [--jobs N]\n",
			    argv[0]);
			return 2;
		}
	}

	for (t = tests; t != NULL; t = t->next)
		n++;
	v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL)
		return 2;
	n = 0;
	for (t = tests; t != NULL; t = t->next)
		v[n++] = t;
	qsort(v, n, sizeof(*v), cmp_test);

	for (i = 0; i < n; i++) {
		pid_t pid;
		int st;

		snprintf(full, sizeof(full), "%s/%s", v[i]->suite, v[i]->name);
		if (filter != NULL && fnmatch(filter, full, 0) != 0)
			continue;
		if (list) {
			printf("%s\n", full);
			continue;
		}
		if (verbose)
			fprintf(stderr, "[run ] %s\n", full);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0)
			exit(run_one(v[i]));
		while (waitpid(pid, &st, 0) < 0) {
			if (errno != EINTR) {
				perror("waitpid");
				return 2;
			}
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			passed++;
			if (verbose)
				fprintf(stderr, "[pass] %s\n", full);
		} else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
			crashed++;
			fprintf(stderr, "[TIMEOUT] %s\n", full);
		} else if (WIFSIGNALED(st)) {
			crashed++;
			fprintf(stderr, "[CRASH] %s: signal %d (%s)\n", full, WTERMSIG(st),
			    strsignal(WTERMSIG(st)));
		} else {
			failed++;
			fprintf(stderr, "[FAIL] %s\n", full);
		}
	}
	free(v);
	if (!list)
		fprintf(stderr, "minicrit: %u tests, %u passed, %u failed, %u crashed\n",
		    passed + failed + crashed, passed, failed, crashed);
	return failed + crashed == 0 ? 0 : 1;
}
