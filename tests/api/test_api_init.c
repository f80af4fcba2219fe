/*
 * test_api_init.c - usock_init and usock_fini against the Linux kernel in
 * a private namespace (api_lab.h): explicit and implicit start, struct
 * usock_config over the environment, one stderr line per bad setting,
 * and a stack stopped and started again in the same process.
 */
#include <sys/mman.h>

#include "api_lab.h"

TestSuite(api_init, .init = lab_up);

/* What the library wrote to stderr while it was redirected. */
struct captured {
	char text[4096]; /* what was written, NUL-terminated */
	int lines;	 /* newlines in it */
};

static int saved_stderr = -1;
static int cap_fd = -1;

static void
capture_start(void)
{
	fflush(stderr);
	cap_fd = memfd_create("stderr", MFD_CLOEXEC);
	cr_assert_geq(cap_fd, 0);
	saved_stderr = dup(2);
	cr_assert_geq(saved_stderr, 0);
	cr_assert_eq(dup2(cap_fd, 2), 2);
}

static void
capture_end(struct captured *c)
{
	ssize_t n;
	char *p;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	n = pread(cap_fd, c->text, sizeof(c->text) - 1, 0);
	close(cap_fd);
	c->text[n > 0 ? n : 0] = '\0';
	c->lines = 0;
	for (p = c->text; *p != '\0'; p++)
		c->lines += *p == '\n';
}

/* The kernel gets a datagram from a fresh usock socket: the stack is up and working. */
static void
stack_works(uint16_t uport, uint16_t kport)
{
	struct sockaddr_in to = sin4(LAB_KERNEL_IP, kport), from;
	socklen_t fl = sizeof(from);
	char buf[16];
	int k = k_udp(kport), s = u_udp(uport);

	expect_ret(usock_sendto(s, "alive", 5, 0, SA(&to), sizeof(to)), 5);
	expect_ret(recvfrom(k, buf, sizeof(buf), 0, SA(&from), &fl), 5);
	cr_assert_eq(ntohs(from.sin_port), uport);
	expect_ret(sendto(k, "back", 4, 0, SA(&from), fl), 4);
	expect_ret(usock_recv(s, buf, sizeof(buf), 0), 4);
	expect_ret(usock_close(s), 0);
	close(k);
}

Test(api_init, init_from_the_environment_starts_the_stack)
{
	expect_ret(usock_init(NULL), 0);
	stack_works(6400, 7400);
}

Test(api_init, init_twice_fails_with_ealready)
{
	expect_ret(usock_init(NULL), 0);
	expect_fail(usock_init(NULL), EALREADY);
	stack_works(6401, 7401);
}

Test(api_init, init_after_an_implicit_start_fails_with_ealready)
{
	int s = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);

	cr_assert_geq(s, 0, "%s", strerror(errno));
	expect_fail(usock_init(NULL), EALREADY);
	expect_ret(usock_close(s), 0);
}

Test(api_init, bad_ipv4_in_config_fails_with_einval_and_one_stderr_line)
{
	static const char *bad[] = {"198.18.0.2", "300.1.2.3/24", "198.18.0.2/40", "junk/24",
				    "127.0.0.1/8"};
	struct usock_config cfg;
	struct captured c;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.ipv4 = bad[i];
		capture_start();
		errno = 0;
		int rc = usock_init(&cfg), e = errno;

		capture_end(&c);
		cr_assert_eq(rc, -1, "ipv4=%s was accepted", bad[i]);
		cr_assert_eq(e, EINVAL, "ipv4=%s: errno %d (%s)", bad[i], e, strerror(e));
		cr_assert_eq(c.lines, 1, "ipv4=%s: stderr said:\n%s", bad[i], c.text);
		cr_assert_not_null(strstr(c.text, "USOCK_IPV4"),
				   "the line does not name the setting: %s", c.text);
	}
	/* Nothing was left half started: the environment's settings still work. */
	expect_ret(usock_init(NULL), 0);
	stack_works(6402, 7402);
}

Test(api_init, config_fields_win_over_the_environment)
{
	struct usock_config cfg;
	struct captured c;

	setenv("USOCK_IPV4", "not-an-address", 1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ipv4 = LAB_USOCK_IP "/24";
	capture_start();
	int rc = usock_init(&cfg);

	capture_end(&c);
	cr_assert_eq(rc, 0, "init: %s; stderr: %s", strerror(errno), c.text);
	cr_assert_eq(c.lines, 0, "stderr: %s", c.text);
	stack_works(6403, 7403);
}

Test(api_init, missing_interface_fails_with_one_stderr_line)
{
	struct usock_config cfg;
	struct captured c;

	unsetenv("USOCK_IFACE");
	capture_start();
	errno = 0;
	int rc = usock_init(NULL), e = errno;

	capture_end(&c);
	cr_assert_eq(rc, -1);
	cr_assert_eq(e, EINVAL, "errno %d (%s)", e, strerror(e));
	cr_assert_eq(c.lines, 1, "stderr said:\n%s", c.text);
	cr_assert_not_null(strstr(c.text, "USOCK_IFACE"), "%s", c.text);
	/* An interface that does not exist: the driver cannot open it. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.iface = "nosuchif9";
	capture_start();
	errno = 0;
	rc = usock_init(&cfg);
	e = errno;
	capture_end(&c);
	cr_assert_eq(rc, -1);
	cr_assert_eq(e, ENODEV, "errno %d (%s)", e, strerror(e));
	cr_assert_eq(c.lines, 1, "stderr said:\n%s", c.text);
}

Test(api_init, bad_environment_fails_implicit_calls_and_reports_once)
{
	struct captured c;
	int e1, e2, rc1, rc2;

	setenv("USOCK_IPV4", "198.18.0.2", 1);
	capture_start();
	errno = 0;
	rc1 = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	e1 = errno;
	errno = 0;
	rc2 = usock_socket(USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
	e2 = errno;
	capture_end(&c);
	cr_assert_eq(rc1, -1);
	cr_assert_eq(rc2, -1);
	cr_assert_eq(e1, ENETDOWN, "errno %d (%s)", e1, strerror(e1));
	cr_assert_eq(e2, ENETDOWN, "errno %d (%s)", e2, strerror(e2));
	cr_assert_eq(c.lines, 1, "stderr said:\n%s", c.text);
	cr_assert_not_null(strstr(c.text, "USOCK_IPV4"), "%s", c.text);
	/* An explicit init with good settings recovers. */
	setenv("USOCK_IPV4", LAB_USOCK_IP "/24", 1);
	expect_ret(usock_init(NULL), 0);
	stack_works(6404, 7404);
}

Test(api_init, fini_closes_every_socket_and_init_starts_again)
{
	char path[64], link[64];
	int s, t;

	expect_ret(usock_init(NULL), 0);
	s = u_udp(6405);
	t = u_udp(0);
	usock_fini();
	/* The descriptors' kernel halves are gone too. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s);
	cr_assert_eq(readlink(path, link, sizeof(link)), -1, "descriptor %d still open", s);
	expect_ret(usock_init(NULL), 0);
	expect_fail(usock_send(s, "x", 1, 0), EBADF);
	expect_fail(usock_close(t), EBADF);
	/* The old socket's port is free in the new stack. */
	stack_works(6405, 7405);
}

Test(api_init, calls_after_fini_start_the_stack_again_implicitly)
{
	expect_ret(usock_init(NULL), 0);
	stack_works(6406, 7406);
	usock_fini();
	usock_fini(); /* a second fini is harmless */
	stack_works(6406, 7407);
	expect_fail(usock_init(NULL), EALREADY);
}

Test(api_init, fini_before_any_start_is_harmless)
{
	usock_fini();
	stack_works(6407, 7408);
}
