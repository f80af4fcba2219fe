/*
 * usock_getaddrinfo's DNS over the usock stack, against dnsmasq serving
 * lab.test on the kernel's side of the namespace: A and AAAA, CNAME chains
 * with AI_CANONNAME, NXDOMAIN and no-data answers, a truncated answer asked
 * again over TCP, a dead first server skipped after its timeout, a closed
 * port, and the hints.
 */
#include <netdb.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "api_lab.h"

static pid_t dnsmasq_pid;
static char hosts_file[64];

/* dnsmasq on 198.18.0.1:53, answering for lab.test only; it dies with the test. */
static void
dns_up(void)
{
	FILE *f;
	int i;

	lab_up();
	snprintf(hosts_file, sizeof(hosts_file), "/tmp/usock-dns-hosts.%d", (int)getpid());
	f = fopen(hosts_file, "w");
	cr_assert_not_null(f);
	fprintf(f, "198.18.0.10 www.lab.test\n198.18.0.11 www.lab.test\n");
	/* Forty addresses: 16 bytes each do not fit 512 (RFC 1035 4.2.1), so UDP truncates. */
	for (i = 1; i <= 40; i++)
		fprintf(f, "198.18.1.%d big.lab.test\n", i);
	fclose(f);
	dnsmasq_pid = fork();
	cr_assert_geq(dnsmasq_pid, 0);
	if (dnsmasq_pid == 0) {
		char addn[128];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(addn, sizeof(addn), "--addn-hosts=%s", hosts_file);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execlp("dnsmasq", "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
		       "--no-resolv", "--no-hosts", "--user=root", "--bind-interfaces",
		       "--listen-address=" LAB_KERNEL_IP, "--local=/lab.test/", addn,
		       "--cname=alias.lab.test,www.lab.test", "--cname=alias2.lab.test,alias.lab.test",
		       "--host-record=v6.lab.test,fd00::10", "--pid-file=", (char *)NULL);
		_exit(127);
	}
	/* Ready once its TCP port takes a connection (bounded: 5 s). */
	for (i = 0; i < 100; i++) {
		struct sockaddr_in a = sin4(LAB_KERNEL_IP, 53);
		int k = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

		ok = connect(k, SA(&a), sizeof(a)) == 0;
		close(k);
		if (ok)
			break;
		cr_assert_eq(waitpid(dnsmasq_pid, NULL, WNOHANG), 0, "dnsmasq exited (is it installed?)");
		sleep_ms(50);
	}
	cr_assert_lt(i, 100, "dnsmasq did not start listening");
	setenv("USOCK_DNS", LAB_KERNEL_IP, 1);
}

static void
dns_down(void)
{
	if (dnsmasq_pid > 0) {
		kill(dnsmasq_pid, SIGKILL);
		waitpid(dnsmasq_pid, NULL, 0);
	}
	unlink(hosts_file);
}

TestSuite(api_dns, .init = dns_up, .fini = dns_down);

static const char *
addr_text(const struct addrinfo *ai, char *buf, size_t len)
{
	if (ai->ai_family == AF_INET)
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr, buf,
				 (socklen_t)len);
	return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, buf,
			 (socklen_t)len);
}

Test(api_dns, a_records_come_back_as_the_seeds_5_tuples)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res, *ai;
	char b[64];
	int n = 0, rc;

	rc = usock_getaddrinfo("www.lab.test", "80", &hints, &res);
	cr_assert_eq(rc, 0, "getaddrinfo: %s", gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next, n++) {
		cr_assert_eq(ai->ai_family, AF_INET);
		cr_assert_eq(ai->ai_socktype, SOCK_STREAM);
		cr_assert_eq(ai->ai_protocol, IPPROTO_TCP);
		cr_assert_eq(ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port), 80);
		addr_text(ai, b, sizeof(b));
		cr_assert(strcmp(b, "198.18.0.10") == 0 || strcmp(b, "198.18.0.11") == 0, "%s", b);
	}
	cr_assert_eq(n, 2, "both addresses");
	usock_freeaddrinfo(res);
}

Test(api_dns, a_cname_chain_ends_at_the_canonical_name)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_CANONNAME }, *res;
	int rc = usock_getaddrinfo("alias2.lab.test", "53", &hints, &res);

	cr_assert_eq(rc, 0, "getaddrinfo: %s", gai_strerror(rc));
	cr_assert_not_null(res->ai_canonname);
	cr_assert_str_eq(res->ai_canonname, "www.lab.test");
	cr_assert_eq(res->ai_protocol, IPPROTO_UDP);
	usock_freeaddrinfo(res);
}

Test(api_dns, aaaa_records_and_both_families)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *res;
	char b[64];
	int rc = usock_getaddrinfo("v6.lab.test", NULL, &hints, &res);

	cr_assert_eq(rc, 0, "getaddrinfo: %s", gai_strerror(rc));
	cr_assert_eq(res->ai_family, AF_INET6);
	cr_assert_str_eq(addr_text(res, b, sizeof(b)), "fd00::10");
	cr_assert_null(res->ai_next);
	usock_freeaddrinfo(res);
	/* AF_UNSPEC asks for both; www has only A records. */
	hints.ai_family = AF_UNSPEC;
	rc = usock_getaddrinfo("www.lab.test", NULL, &hints, &res);
	cr_assert_eq(rc, 0, "getaddrinfo: %s", gai_strerror(rc));
	cr_assert_eq(res->ai_family, AF_INET);
	usock_freeaddrinfo(res);
}

Test(api_dns, missing_names_and_missing_types_have_their_codes)
{
	struct addrinfo hints = { .ai_family = AF_INET }, *res = (void *)1;

	cr_assert_eq(usock_getaddrinfo("nosuch.lab.test", NULL, &hints, &res), EAI_NONAME);
	cr_assert_null(res);
	hints.ai_family = AF_INET6;
	cr_assert_eq(usock_getaddrinfo("www.lab.test", NULL, &hints, &res), EAI_NODATA);
	cr_assert_eq(usock_getaddrinfo("a..b.lab.test", NULL, &hints, &res), EAI_NONAME);
	/* RFC 6761 6.4: never asked, even of a server that would answer. */
	cr_assert_eq(usock_getaddrinfo("host.invalid", NULL, &hints, &res), EAI_NONAME);
	cr_assert_eq(usock_getaddrinfo("INVALID.", NULL, &hints, &res), EAI_NONAME);
	hints.ai_flags = AI_NUMERICHOST;
	cr_assert_eq(usock_getaddrinfo("www.lab.test", NULL, &hints, &res), EAI_NONAME,
		     "AI_NUMERICHOST never asks DNS");
}

Test(api_dns, a_truncated_answer_is_asked_again_over_tcp)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res, *ai;
	int n = 0, rc = usock_getaddrinfo("big.lab.test", NULL, &hints, &res);

	cr_assert_eq(rc, 0, "getaddrinfo: %s", gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	/* All forty: at most 30 fit the 512 bytes of UDP. */
	cr_assert_eq(n, 40, "%d addresses", n);
	usock_freeaddrinfo(res);
}

Test(api_dns, a_dead_first_server_is_skipped_after_its_timeout)
{
	struct addrinfo hints = { .ai_family = AF_INET }, *res;
	double t0;
	int rc;

	setenv("USOCK_DNS", LAB_FOREIGN_IP "," LAB_KERNEL_IP, 1);
	t0 = now_s();
	rc = usock_getaddrinfo("www.lab.test", NULL, &hints, &res);
	cr_assert_eq(rc, 0, "getaddrinfo: %s", gai_strerror(rc));
	cr_assert_geq(now_s() - t0, 1.5, "the first server had its timeout");
	usock_freeaddrinfo(res);
}

Test(api_dns, a_closed_port_fails_at_once_with_eai_again)
{
	struct addrinfo hints = { .ai_family = AF_INET }, *res;
	double t0;

	kill(dnsmasq_pid, SIGKILL);
	waitpid(dnsmasq_pid, NULL, 0);
	dnsmasq_pid = 0;
	t0 = now_s();
	cr_assert_eq(usock_getaddrinfo("www.lab.test", NULL, &hints, &res), EAI_AGAIN);
	cr_assert_lt(now_s() - t0, 1.5, "port unreachable ends each try at once");
}
