/*
 * test_api_resolve.c - usock_getaddrinfo/usock_freeaddrinfo: numeric
 * hosts, /etc/hosts, hints, services, the EAI_* codes, and a result used
 * as it is for usock_socket and usock_sendto to the kernel (api_lab.h).
 * Every result list is freed: the sanitizer build checks for leaks.
 */
#include "api_lab.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define API_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define API_ASAN 1
#endif

TestSuite(api_resolve, .init = lab_up);

#ifdef API_ASAN
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static int
count(const struct addrinfo *ai)
{
	int n = 0;

	for (; ai != NULL; ai = ai->ai_next)
		n++;
	return n;
}

static struct addrinfo
hints_of(int family, int socktype, int flags)
{
	struct addrinfo h;

	memset(&h, 0, sizeof(h));
	h.ai_family = family;
	h.ai_socktype = socktype;
	h.ai_flags = flags;
	return h;
}

Test(api_resolve, numeric_ipv4_gives_a_stream_and_a_datagram_result_with_the_port)
{
	struct addrinfo *res = NULL, *ai;
	const struct sockaddr_in *sin;
	int seen_stream = 0, seen_dgram = 0;

	expect_ret(usock_getaddrinfo("198.18.0.1", "53", NULL, &res), 0);
	cr_assert_not_null(res);
	cr_assert_eq(count(res), 2);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		cr_assert_eq(ai->ai_family, AF_INET);
		cr_assert_eq(ai->ai_addrlen, sizeof(struct sockaddr_in));
		cr_assert_null(ai->ai_canonname, "canonname without AI_CANONNAME");
		sin = (const struct sockaddr_in *)ai->ai_addr;
		cr_assert_eq(sin->sin_family, AF_INET);
		cr_assert_eq(ntohs(sin->sin_port), 53);
		cr_assert_eq(sin->sin_addr.s_addr, sin4("198.18.0.1", 0).sin_addr.s_addr);
		if (ai->ai_socktype == SOCK_STREAM) {
			cr_assert_eq(ai->ai_protocol, IPPROTO_TCP);
			seen_stream++;
		} else {
			cr_assert_eq(ai->ai_socktype, SOCK_DGRAM);
			cr_assert_eq(ai->ai_protocol, IPPROTO_UDP);
			seen_dgram++;
		}
	}
	cr_assert_eq(seen_stream, 1);
	cr_assert_eq(seen_dgram, 1);
	usock_freeaddrinfo(res);
}

Test(api_resolve, numeric_ipv6_gives_inet6_results)
{
	struct addrinfo h = hints_of(AF_UNSPEC, SOCK_DGRAM, 0), *res = NULL;
	const struct sockaddr_in6 *sin6;
	struct in6_addr want;

	cr_assert_eq(inet_pton(AF_INET6, "fd00::1:2", &want), 1);
	expect_ret(usock_getaddrinfo("fd00::1:2", "8080", &h, &res), 0);
	cr_assert_eq(count(res), 1);
	cr_assert_eq(res->ai_family, AF_INET6);
	cr_assert_eq(res->ai_socktype, SOCK_DGRAM);
	cr_assert_eq(res->ai_protocol, IPPROTO_UDP);
	cr_assert_eq(res->ai_addrlen, sizeof(struct sockaddr_in6));
	sin6 = (const struct sockaddr_in6 *)res->ai_addr;
	cr_assert_eq(sin6->sin6_family, AF_INET6);
	cr_assert_eq(ntohs(sin6->sin6_port), 8080);
	cr_assert_eq(memcmp(&sin6->sin6_addr, &want, sizeof(want)), 0);
	usock_freeaddrinfo(res);
}

Test(api_resolve, hints_socktype_gives_only_that_type)
{
	struct addrinfo h = hints_of(AF_INET, SOCK_STREAM, 0), *res = NULL;

	expect_ret(usock_getaddrinfo("10.1.2.3", "80", &h, &res), 0);
	cr_assert_eq(count(res), 1);
	cr_assert_eq(res->ai_socktype, SOCK_STREAM);
	cr_assert_eq(res->ai_protocol, IPPROTO_TCP);
	usock_freeaddrinfo(res);
}

Test(api_resolve, hints_family_that_the_address_is_not_gives_no_result)
{
	struct addrinfo h4 = hints_of(AF_INET, 0, 0), h6 = hints_of(AF_INET6, 0, 0);
	struct addrinfo *res = (struct addrinfo *)&h4;
	int rc;

	/* glibc says EAI_ADDRFAMILY, musl EAI_NONAME: either, and no list. */
	rc = usock_getaddrinfo("::1", "80", &h4, &res);
	cr_assert(rc == EAI_NONAME || rc == EAI_ADDRFAMILY, "rc %d", rc);
	cr_assert_null(res);
	res = (struct addrinfo *)&h4;
	rc = usock_getaddrinfo("127.0.0.1", "80", &h6, &res);
	cr_assert(rc == EAI_NONAME || rc == EAI_ADDRFAMILY, "rc %d", rc);
	cr_assert_null(res);
}

Test(api_resolve, no_host_gives_the_wildcard_with_ai_passive_and_loopback_without)
{
	struct addrinfo h = hints_of(AF_INET, SOCK_DGRAM, AI_PASSIVE), *res = NULL;
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	expect_ret(usock_getaddrinfo(NULL, "9000", &h, &res), 0);
	cr_assert_eq(count(res), 1);
	sin = (const struct sockaddr_in *)res->ai_addr;
	cr_assert_eq(sin->sin_addr.s_addr, htonl(INADDR_ANY));
	cr_assert_eq(ntohs(sin->sin_port), 9000);
	usock_freeaddrinfo(res);

	h.ai_flags = 0;
	expect_ret(usock_getaddrinfo(NULL, "9000", &h, &res), 0);
	cr_assert_eq(count(res), 1);
	sin = (const struct sockaddr_in *)res->ai_addr;
	cr_assert_eq(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	usock_freeaddrinfo(res);

	h = hints_of(AF_INET6, SOCK_DGRAM, AI_PASSIVE);
	expect_ret(usock_getaddrinfo(NULL, "9000", &h, &res), 0);
	sin6 = (const struct sockaddr_in6 *)res->ai_addr;
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	usock_freeaddrinfo(res);
	h.ai_flags = 0;
	expect_ret(usock_getaddrinfo(NULL, "9000", &h, &res), 0);
	sin6 = (const struct sockaddr_in6 *)res->ai_addr;
	cr_assert(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	usock_freeaddrinfo(res);
}

Test(api_resolve, ai_numerichost_refuses_a_name_and_takes_an_address)
{
	struct addrinfo h = hints_of(AF_UNSPEC, SOCK_DGRAM, AI_NUMERICHOST), *res = NULL;

	expect_ret(usock_getaddrinfo("localhost", "80", &h, &res), EAI_NONAME);
	cr_assert_null(res);
	expect_ret(usock_getaddrinfo("127.0.0.1", "80", &h, &res), 0);
	cr_assert_eq(count(res), 1);
	usock_freeaddrinfo(res);
}

Test(api_resolve, ai_canonname_names_the_first_result)
{
	struct addrinfo h = hints_of(AF_INET, 0, AI_CANONNAME), *res = NULL;

	expect_ret(usock_getaddrinfo("localhost", NULL, &h, &res), 0);
	cr_assert_geq(count(res), 1);
	cr_assert_not_null(res->ai_canonname);
	cr_assert_str_eq(res->ai_canonname, "localhost");
	if (res->ai_next != NULL)
		cr_assert_null(res->ai_next->ai_canonname, "canonname beyond the first result");
	usock_freeaddrinfo(res);
	/* A numeric host is its own canonical name. */
	expect_ret(usock_getaddrinfo("198.18.0.1", NULL, &h, &res), 0);
	cr_assert_not_null(res->ai_canonname);
	cr_assert_str_eq(res->ai_canonname, "198.18.0.1");
	usock_freeaddrinfo(res);
	/* Without a host there is no name to give. */
	expect_ret(usock_getaddrinfo(NULL, "80", &h, &res), EAI_BADFLAGS);
	cr_assert_null(res);
}

Test(api_resolve, localhost_comes_from_etc_hosts)
{
	struct addrinfo h = hints_of(AF_INET, SOCK_DGRAM, 0), *res = NULL, *ai;
	int v4 = 0;

	expect_ret(usock_getaddrinfo("localhost", "7", &h, &res), 0);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->ai_addr;

		cr_assert_eq(ai->ai_family, AF_INET);
		if (sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			v4++;
	}
	cr_assert_geq(v4, 1, "localhost did not give 127.0.0.1");
	usock_freeaddrinfo(res);
	/* Host names are not case sensitive. */
	expect_ret(usock_getaddrinfo("LocalHost", "7", &h, &res), 0);
	cr_assert_geq(count(res), 1);
	usock_freeaddrinfo(res);
}

Test(api_resolve, unknown_name_fails_with_eai_noname)
{
	struct addrinfo *res = (struct addrinfo *)1;

	expect_ret(usock_getaddrinfo("no-such-host.invalid", "80", NULL, &res), EAI_NONAME);
	cr_assert_null(res);
	expect_ret(usock_getaddrinfo(NULL, NULL, NULL, &res), EAI_NONAME);
	cr_assert_null(res);
}

Test(api_resolve, bad_family_fails_with_eai_family)
{
	struct addrinfo h = hints_of(12345, 0, 0), *res = NULL;

	expect_ret(usock_getaddrinfo("127.0.0.1", "80", &h, &res), EAI_FAMILY);
	cr_assert_null(res);
	h.ai_family = AF_UNIX;
	expect_ret(usock_getaddrinfo("127.0.0.1", "80", &h, &res), EAI_FAMILY);
	cr_assert_null(res);
}

Test(api_resolve, bad_socktype_or_flags_fail_with_their_codes)
{
	struct addrinfo h = hints_of(AF_INET, 99, 0), *res = NULL;

	expect_ret(usock_getaddrinfo("127.0.0.1", "80", &h, &res), EAI_SOCKTYPE);
	cr_assert_null(res);
	h = hints_of(AF_INET, 0, 0x40000000);
	expect_ret(usock_getaddrinfo("127.0.0.1", "80", &h, &res), EAI_BADFLAGS);
	cr_assert_null(res);
}

Test(api_resolve, service_names_come_from_etc_services)
{
	struct addrinfo h = hints_of(AF_INET, SOCK_DGRAM, 0), *res = NULL, *ai;

	expect_ret(usock_getaddrinfo("127.0.0.1", "echo", &h, &res), 0);
	cr_assert_eq(count(res), 1);
	cr_assert_eq(ntohs(((const struct sockaddr_in *)res->ai_addr)->sin_port), 7);
	usock_freeaddrinfo(res);
	expect_ret(usock_getaddrinfo("127.0.0.1", "echo", NULL, &res), 0);
	cr_assert_eq(count(res), 2);
	for (ai = res; ai != NULL; ai = ai->ai_next)
		cr_assert_eq(ntohs(((const struct sockaddr_in *)ai->ai_addr)->sin_port), 7);
	usock_freeaddrinfo(res);
	expect_ret(usock_getaddrinfo("127.0.0.1", "domain", &h, &res), 0);
	cr_assert_eq(ntohs(((const struct sockaddr_in *)res->ai_addr)->sin_port), 53);
	usock_freeaddrinfo(res);
}

Test(api_resolve, bad_service_fails_with_eai_service_or_eai_noname)
{
	struct addrinfo h = hints_of(AF_INET, SOCK_DGRAM, 0), *res = NULL;

	expect_ret(usock_getaddrinfo("127.0.0.1", "no-such-service", &h, &res), EAI_SERVICE);
	cr_assert_null(res);
	expect_ret(usock_getaddrinfo("127.0.0.1", "70000", &h, &res), EAI_SERVICE);
	cr_assert_null(res);
	/* AI_NUMERICSERV refuses a name outright, as glibc does. */
	h.ai_flags = AI_NUMERICSERV;
	expect_ret(usock_getaddrinfo("127.0.0.1", "echo", &h, &res), EAI_NONAME);
	cr_assert_null(res);
	expect_ret(usock_getaddrinfo("127.0.0.1", "7", &h, &res), 0);
	usock_freeaddrinfo(res);
}

Test(api_resolve, null_result_pointer_is_refused_without_a_crash)
{
	errno = 0;
	expect_ret(usock_getaddrinfo("127.0.0.1", "80", NULL, NULL), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL);
	usock_freeaddrinfo(NULL);
}

Test(api_resolve, a_result_feeds_usock_socket_and_sendto_unchanged)
{
	struct addrinfo h = hints_of(AF_INET, SOCK_DGRAM, 0), *res = NULL;
	char buf[16];
	int k = k_udp(7300), s;

	expect_ret(usock_getaddrinfo(LAB_KERNEL_IP, "7300", &h, &res), 0);
	s = usock_socket(res->ai_family, res->ai_socktype, res->ai_protocol);
	cr_assert_geq(s, 0, "%s", strerror(errno));
	expect_ret(usock_sendto(s, "via gai", 7, 0, res->ai_addr, res->ai_addrlen), 7);
	expect_ret(recv(k, buf, sizeof(buf), 0), 7);
	cr_assert_eq(memcmp(buf, "via gai", 7), 0);
	usock_freeaddrinfo(res);
}

/* One of each kind of lookup, freed. */
static void
lookups(void)
{
	struct addrinfo h = hints_of(AF_UNSPEC, 0, AI_CANONNAME), *res;

	expect_ret(usock_getaddrinfo("localhost", "echo", &h, &res), 0);
	usock_freeaddrinfo(res);
	expect_ret(usock_getaddrinfo("198.18.0.1", "53", NULL, &res), 0);
	usock_freeaddrinfo(res);
	expect_ret(usock_getaddrinfo("fd00::1", NULL, NULL, &res), 0);
	usock_freeaddrinfo(res);
	h = hints_of(AF_UNSPEC, SOCK_DGRAM, AI_PASSIVE);
	expect_ret(usock_getaddrinfo(NULL, "domain", &h, &res), 0);
	usock_freeaddrinfo(res);
	/* Failures allocate nothing the caller must free. */
	expect_ret(usock_getaddrinfo("127.0.0.1", "no-such-service", NULL, &res), EAI_SERVICE);
	expect_ret(usock_getaddrinfo("no-such-host.invalid", NULL, NULL, &res), EAI_NONAME);
}

Test(api_resolve, freeaddrinfo_gives_back_every_byte)
{
	int i;

	/* The first round lets libc load and cache what it keeps (NSS, services). */
	lookups();
#ifdef API_ASAN
	/*
	 * Criterion ignores what LeakSanitizer reports when a test process
	 * exits, so the sanitizer build counts the heap here instead.
	 */
	size_t before = __sanitizer_get_current_allocated_bytes(), after;

	for (i = 0; i < 10; i++)
		lookups();
	after = __sanitizer_get_current_allocated_bytes();
	cr_assert_eq(after, before, "%zd bytes still allocated after 10 rounds of lookups",
		     (ssize_t)(after - before));
#else
	/* Without the sanitizer only the calls themselves are checked (CI runs both). */
	for (i = 0; i < 10; i++)
		lookups();
#endif
}
