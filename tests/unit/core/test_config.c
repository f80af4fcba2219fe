/*
 * Run-time settings (lib/core/config.c): us_config_load from struct
 * usock_config and from USOCK_* in the environment.  Every error is one
 * line that names the setting and says how to fix it; good values land in
 * the right fields; a struct field beats the environment.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usock.h"
#include "usock_build_config.h"
#include "lib/core/config.h"
#include "tests/common/config_env.h"

/*
 * Each test starts from an environment without any USOCK_* setting but the
 * two every stack needs, so a test can spoil just one other.
 */
static void
base_env(void)
{
	t_clear_usock_env();
	setenv("USOCK_IFACE", "eth0", 1);
	setenv("USOCK_IPV4", "198.18.0.2/24", 1);
}

TestSuite(core_config, .init = base_env);

static char errbuf[512];

static int
load(struct us_config *c, const struct usock_config *uc)
{
	memset(errbuf, 0, sizeof(errbuf));
	return us_config_load(c, uc, errbuf, sizeof(errbuf));
}

/*
 * Loads and expects -EINVAL with one line starting "usock: " that contains
 * each of the given fragments (the setting's name, then the fix).
 */
static void
expect_error(const struct usock_config *uc, const char *what, const char *frag1,
	     const char *frag2)
{
	struct us_config c;

	cr_assert_eq(load(&c, uc), -EINVAL, "%s: accepted", what);
	cr_assert_eq(strncmp(errbuf, "usock: ", 7), 0, "%s: message \"%s\"", what, errbuf);
	cr_assert_null(strchr(errbuf, '\n'), "%s: message is not one line", what);
	cr_assert_not_null(strstr(errbuf, frag1), "%s: \"%s\" lacks \"%s\"", what, errbuf, frag1);
	if (frag2 != NULL)
		cr_assert_not_null(strstr(errbuf, frag2), "%s: \"%s\" lacks \"%s\"", what, errbuf,
				   frag2);
}

static void
expect_env_error(const char *var, const char *val, const char *frag1, const char *frag2)
{
	char what[256];

	snprintf(what, sizeof(what), "%s=%s", var, val);
	setenv(var, val, 1);
	expect_error(NULL, what, frag1, frag2);
}

Test(core_config, ipv4_without_prefix_says_to_add_slash_24)
{
	expect_env_error("USOCK_IPV4", "198.18.0.2", "USOCK_IPV4", "198.18.0.2/24");
	cr_assert_not_null(strstr(errbuf, "prefix"));
}

Test(core_config, ipv4_with_a_bad_prefix_length_names_the_valid_range)
{
	static const char *bad[] = { "198.18.0.2/33", "198.18.0.2/0", "198.18.0.2/",
				     "198.18.0.2/x", "198.18.0.2/24x", "198.18.0.2/-8" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_IPV4", bad[i], "USOCK_IPV4", "1 to 32");
}

Test(core_config, ipv4_that_is_not_an_address_gives_an_example)
{
	static const char *bad[] = { "198.18.0/24", "198.18.0.256/24", "a.b.c.d/24",
				     "198.18.0.2.7/24", "/24" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_IPV4", bad[i], "USOCK_IPV4", "198.18.0.2/24");
}

Test(core_config, ipv4_that_is_not_unicast_is_refused)
{
	static const char *bad[] = { "224.0.0.1/24", "239.1.2.3/8", "240.0.0.1/24",
				     "255.255.255.255/24", "0.0.0.0/24", "127.0.0.1/8" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_env_error("USOCK_IPV4", bad[i], "USOCK_IPV4", "198.18.0.2/24");
		cr_assert_not_null(strstr(errbuf, "unicast"), "%s: %s", bad[i], errbuf);
	}
}

/*
 * RFC 1122 3.2.1.3: the subnet's all-ones host is its broadcast address and
 * the all-zeros host names the network; neither can be a host's address
 * (the stack would treat its own address as broadcast).  /31 (RFC 3021)
 * and /32 have no such addresses.
 */
Test(core_config, ipv4_that_is_the_subnet_broadcast_or_network_is_refused)
{
	struct us_config c;

	expect_env_error("USOCK_IPV4", "198.18.0.255/24", "USOCK_IPV4", "unicast");
	expect_env_error("USOCK_IPV4", "198.18.0.0/24", "USOCK_IPV4", "unicast");
	expect_env_error("USOCK_IPV4", "10.255.255.255/8", "USOCK_IPV4", "unicast");
	setenv("USOCK_IPV4", "198.18.0.1/31", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	setenv("USOCK_IPV4", "198.18.0.0/31", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	setenv("USOCK_IPV4", "198.18.0.255/32", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	setenv("USOCK_IPV4", "198.18.0.255/23", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
}

#if US_HAVE_DHCP
Test(core_config, ipv4_dhcp_asks_for_an_address_and_keeps_a_gateway_off_any_subnet)
{
	struct us_config c;

	setenv("USOCK_IPV4", "dhcp", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.dhcp, 1);
	cr_assert_eq(c.ip4, 0);
	/* No subnet to check the gateway against until the lease comes. */
	setenv("USOCK_GATEWAY", "10.0.0.1", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.gw, 0x0a000001u);
	unsetenv("USOCK_GATEWAY");
	expect_env_error("USOCK_IPV4", "dhcp4", "USOCK_IPV4", "198.18.0.2/24");
}
#endif

Test(core_config, missing_iface_is_named_with_an_example)
{
	unsetenv("USOCK_IFACE");
	expect_error(NULL, "no USOCK_IFACE", "USOCK_IFACE", "USOCK_IFACE=eth0");
	cr_assert_not_null(strstr(errbuf, "not set"));
}

Test(core_config, dpdk_needs_no_iface)
{
	struct us_config c;

	unsetenv("USOCK_IFACE");
	setenv("USOCK_DRIVER", "dpdk", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_str_eq(c.driver, "dpdk");
	cr_assert_str_eq(c.iface, "");
}

Test(core_config, missing_ipv4_is_named_with_an_example)
{
	unsetenv("USOCK_IPV4");
	expect_error(NULL, "no USOCK_IPV4", "USOCK_IPV4", "USOCK_IPV4=198.18.0.2/24");
	/* An empty value is the same as none. */
	expect_env_error("USOCK_IPV4", "", "USOCK_IPV4", "not set");
}

Test(core_config, gateway_off_the_subnet_is_refused)
{
	expect_env_error("USOCK_GATEWAY", "10.0.0.1", "USOCK_GATEWAY", "subnet");
	expect_env_error("USOCK_GATEWAY", "198.18.1.1", "USOCK_GATEWAY", "subnet");
}

Test(core_config, gateway_that_is_not_an_address_gives_an_example)
{
	static const char *bad[] = { "198.18.0", "gateway", "198.18.0.300", "198.18.0.1/24" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_GATEWAY", bad[i], "USOCK_GATEWAY",
				 "USOCK_GATEWAY=198.18.0.1");
}

#if US_HAVE_DNS
Test(core_config, dns_servers_must_be_ipv4_addresses_and_few)
{
	struct us_config c;

	expect_env_error("USOCK_DNS", "198.18.0.1,dns.example", "USOCK_DNS",
			 "'dns.example' is not an IPv4 address");
	expect_env_error("USOCK_DNS", "fd00::53", "USOCK_DNS", "USOCK_DNS=198.18.0.1,198.18.0.53");
	expect_env_error("USOCK_DNS", "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5", "USOCK_DNS",
			 "more than 4");
	setenv("USOCK_DNS", " 198.18.0.1  198.18.0.53 ", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.ndns, 2);
	cr_assert_eq(c.dns4[1], 0xc6120035u);
}
#endif

Test(core_config, mac_that_does_not_parse_gives_an_example)
{
	static const char *bad[] = { "02:00:00:00:00", "02:00:00:00:00:02:03", "zz:00:00:00:00:02",
				     "02:00:00:00:00:100", "0200.0000.0002" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_MAC", bad[i], "USOCK_MAC", "USOCK_MAC=02:00:00:00:00:02");
}

Test(core_config, multicast_mac_is_refused)
{
	static const char *bad[] = { "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff",
				     "33:33:00:00:00:01" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_env_error("USOCK_MAC", bad[i], "USOCK_MAC", "USOCK_MAC=02:00:00:00:00:02");
		cr_assert_not_null(strstr(errbuf, "unicast"), "%s", errbuf);
	}
}

Test(core_config, fault_with_an_unknown_key_lists_the_keys)
{
	expect_env_error("USOCK_FAULT", "lose=5", "USOCK_FAULT", "lose");
	cr_assert_not_null(strstr(errbuf, "loss, dup, reorder"), "%s", errbuf);
}

Test(core_config, fault_with_a_bad_percentage_names_the_range)
{
	static const char *bad[] = { "loss=150", "loss=-1", "dup=abc", "reorder=", "loss=5%" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_FAULT", bad[i], "USOCK_FAULT", "0 to 100");
}

Test(core_config, fault_with_a_bad_duration_gives_an_example)
{
	static const char *bad[] = { "delay=5parsecs", "delay=abc", "jitter=-1ms", "delay=" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_FAULT", bad[i], "USOCK_FAULT", "2ms");
}

Test(core_config, fault_item_without_a_value_is_refused)
{
	expect_env_error("USOCK_FAULT", "loss", "USOCK_FAULT", "=value");
	expect_env_error("USOCK_FAULT", "seed=x", "USOCK_FAULT", "seed");
}

Test(core_config, pool_out_of_range_names_the_range_and_a_value)
{
	static const char *bad[] = { "63", "0", "-5", "abc", "4194305", "99999999999999999999",
				     "100x" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_env_error("USOCK_POOL", bad[i], "USOCK_POOL", "64 to 4194304");
		cr_assert_not_null(strstr(errbuf, "USOCK_POOL=4096"), "%s", errbuf);
	}
}

Test(core_config, dpdk_numbers_out_of_range_name_the_setting_and_range)
{
	expect_env_error("USOCK_DPDK_PORT", "1024", "USOCK_DPDK_PORT", "0 to 1023");
	expect_env_error("USOCK_DPDK_PORT", "eth0", "USOCK_DPDK_PORT", "0 to 1023");
	unsetenv("USOCK_DPDK_PORT");
	expect_env_error("USOCK_DPDK_QUEUE", "-1", "USOCK_DPDK_QUEUE", "0 to 1023");
	unsetenv("USOCK_DPDK_QUEUE");
	expect_env_error("USOCK_DPDK_MBUFS", "1023", "USOCK_DPDK_MBUFS", "1024 to 1048576");
	expect_env_error("USOCK_DPDK_MBUFS", "lots", "USOCK_DPDK_MBUFS", "1024 to 1048576");
}

Test(core_config, dpdk_settings_land_in_their_fields_and_have_defaults)
{
	struct us_config c;

	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.dpdk_port, 0);
	cr_assert_eq(c.dpdk_queue, 0);
	cr_assert_eq(c.dpdk_mbufs, 8191);
	setenv("USOCK_DPDK_PORT", "3", 1);
	setenv("USOCK_DPDK_QUEUE", "2", 1);
	setenv("USOCK_DPDK_MBUFS", "4095", 1);
	setenv("USOCK_DRIVER", "dpdk", 1);
	unsetenv("USOCK_IFACE");	/* a DPDK port needs no kernel interface name */
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.dpdk_port, 3);
	cr_assert_eq(c.dpdk_queue, 2);
	cr_assert_eq(c.dpdk_mbufs, 4095);
}

Test(core_config, sockets_out_of_range_names_the_range)
{
	static const char *bad[] = { "0", "-1", "many", "4194305" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_SOCKETS", bad[i], "USOCK_SOCKETS", "1 to 4194304");
}

Test(core_config, busy_poll_other_than_0_or_1_is_refused)
{
	static const char *bad[] = { "2", "yes", "-1", "1.0" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_BUSY_POLL", bad[i], "USOCK_BUSY_POLL", "0 to 1");
}

Test(core_config, long_iface_name_says_to_shorten_it)
{
	expect_env_error("USOCK_IFACE", "an-interface-name-far-too-long-for-linux", "USOCK_IFACE",
			 "shorten");
}

Test(core_config, good_environment_values_land_in_their_fields)
{
	struct us_config c;

	setenv("USOCK_IFACE", "veth0", 1);
	setenv("USOCK_DRIVER", "pcap", 1);
	setenv("USOCK_IPV4", "10.1.2.3/16", 1);
	setenv("USOCK_GATEWAY", "10.1.255.254", 1);
	setenv("USOCK_MAC", "02:aa:bb:cc:dd:0e", 1);
	setenv("USOCK_PCAP", "/tmp/x.pcap", 1);
	if (US_HAVE_DNS)
		setenv("USOCK_DNS", "1.1.1.1,8.8.8.8", 1);
	setenv("USOCK_FAULT", "loss=2,dup=1,reorder=5.5,delay=1ms,jitter=500us,seed=7,rx=1", 1);
	setenv("USOCK_POOL", "8192", 1);
	setenv("USOCK_SOCKETS", "64", 1);
	setenv("USOCK_BUSY_POLL", "1", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_str_eq(c.iface, "veth0");
	cr_assert_str_eq(c.driver, "pcap");
	cr_assert_eq(c.ip4, 0x0a010203u);
	cr_assert_eq(c.plen, 16);
	cr_assert_eq(c.gw, 0x0a01fffeu);
	cr_assert_eq(c.have_mac, 1);
	cr_assert_eq(memcmp(c.mac, "\x02\xaa\xbb\xcc\xdd\x0e", 6), 0);
	cr_assert_str_eq(c.pcap_file, "/tmp/x.pcap");
	if (US_HAVE_DNS) {
		cr_assert_str_eq(c.dns, "1.1.1.1,8.8.8.8");
		cr_assert_eq(c.ndns, 2);
		cr_assert_eq(c.dns4[0], 0x01010101u);
		cr_assert_eq(c.dns4[1], 0x08080808u);
	}
	cr_assert_eq(c.have_fault, 1);
	cr_assert_eq(c.fault.loss_ppm, 20000);
	cr_assert_eq(c.fault.dup_ppm, 10000);
	cr_assert_eq(c.fault.reorder_ppm, 55000);
	cr_assert_eq(c.fault.delay_ns, 1000000);
	cr_assert_eq(c.fault.jitter_ns, 500000);
	cr_assert_eq(c.fault.seed, 7);
	cr_assert_eq(c.fault.rx, 1);
	cr_assert_eq(c.pool_size, 8192);
	cr_assert_eq(c.max_sockets, 64);
	cr_assert_eq(c.busy_poll, 1);
}

Test(core_config, unset_values_take_the_defaults)
{
	struct us_config c;

	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_str_eq(c.driver, "afpacket");
	cr_assert_eq(c.ip4, 0xc6120002u);
	cr_assert_eq(c.plen, 24);
	cr_assert_eq(c.gw, 0);
	cr_assert_eq(c.have_mac, 0);
	cr_assert_eq(c.have_fault, 0);
	cr_assert_str_eq(c.pcap_file, "");
	cr_assert_eq(c.pool_size, US_POOL_SIZE);
	cr_assert_eq(c.max_sockets, US_SOCKET_MAX);
	cr_assert_eq(c.busy_poll, 0);
}

Test(core_config, fault_durations_accept_every_unit)
{
	struct us_config c;

	setenv("USOCK_FAULT", "delay=2s,jitter=300ns", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.fault.delay_ns, 2000000000ull);
	cr_assert_eq(c.fault.jitter_ns, 300);
	setenv("USOCK_FAULT", "delay=3,jitter=7us", 1);	/* no unit: ms */
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.fault.delay_ns, 3000000ull);
	cr_assert_eq(c.fault.jitter_ns, 7000);
}

Test(core_config, struct_fields_override_the_environment)
{
	struct usock_config uc;
	struct us_config c;

	setenv("USOCK_DRIVER", "pcap", 1);
	setenv("USOCK_GATEWAY", "198.18.0.1", 1);
	setenv("USOCK_MAC", "02:00:00:00:00:99", 1);
	setenv("USOCK_FAULT", "loss=50", 1);
	setenv("USOCK_POOL", "8192", 1);
	setenv("USOCK_SOCKETS", "64", 1);
	memset(&uc, 0, sizeof(uc));
	uc.iface = "eth7";
	uc.driver = "afpacket";
	uc.ipv4 = "10.0.0.2/8";
	uc.gateway = "10.0.0.1";
	uc.mac = "02:00:00:00:00:07";
	uc.fault = "dup=3";
	uc.pool_size = 128;
	uc.max_sockets = 16;
	uc.busy_poll = 1;
	cr_assert_eq(load(&c, &uc), 0, "%s", errbuf);
	cr_assert_str_eq(c.iface, "eth7");
	cr_assert_str_eq(c.driver, "afpacket");
	cr_assert_eq(c.ip4, 0x0a000002u);
	cr_assert_eq(c.plen, 8);
	cr_assert_eq(c.gw, 0x0a000001u);
	cr_assert_eq(c.mac[5], 0x07);
	cr_assert_eq(c.fault.loss_ppm, 0);
	cr_assert_eq(c.fault.dup_ppm, 30000);
	cr_assert_eq(c.pool_size, 128);
	cr_assert_eq(c.max_sockets, 16);
	cr_assert_eq(c.busy_poll, 1);
}

Test(core_config, struct_fields_alone_are_enough)
{
	struct usock_config uc;
	struct us_config c;

	t_clear_usock_env();
	memset(&uc, 0, sizeof(uc));
	uc.iface = "eth1";
	uc.ipv4 = "192.168.7.9/24";
	cr_assert_eq(load(&c, &uc), 0, "%s", errbuf);
	cr_assert_str_eq(c.iface, "eth1");
	cr_assert_eq(c.ip4, 0xc0a80709u);
}

Test(core_config, struct_field_errors_name_the_setting_too)
{
	struct usock_config uc;

	memset(&uc, 0, sizeof(uc));
	uc.ipv4 = "198.18.0.2";
	expect_error(&uc, "struct ipv4 without prefix", "USOCK_IPV4", "198.18.0.2/24");
	memset(&uc, 0, sizeof(uc));
	uc.mac = "01:00:00:00:00:01";
	expect_error(&uc, "struct multicast mac", "USOCK_MAC", "02:00:00:00:00:02");
	memset(&uc, 0, sizeof(uc));
	uc.fault = "loss=200";
	expect_error(&uc, "struct fault", "USOCK_FAULT", "0 to 100");
}

/*
 * The numbers in struct usock_config obey the same ranges as their
 * variables: a pool of 8 buffers or 5 million sockets is as wrong when
 * written in C as in the environment.
 */
Test(core_config, struct_numbers_out_of_range_are_refused_like_the_environment)
{
	struct usock_config uc;

	memset(&uc, 0, sizeof(uc));
	uc.pool_size = 8;
	expect_error(&uc, "struct pool_size 8", "USOCK_POOL", "64 to 4194304");
	memset(&uc, 0, sizeof(uc));
	uc.pool_size = (1u << 22) + 1;
	expect_error(&uc, "struct pool_size 4M+1", "USOCK_POOL", "64 to 4194304");
	memset(&uc, 0, sizeof(uc));
	uc.max_sockets = 5000000;
	expect_error(&uc, "struct max_sockets", "USOCK_SOCKETS", "1 to 4194304");
}

Test(core_config, ip_and_mac_parsers_reject_trailing_garbage)
{
	uint32_t a;
	uint8_t m[6];

	cr_assert_eq(us_parse_ip4("1.2.3.4", &a), 0);
	cr_assert_eq(a, 0x01020304u);
	cr_assert_eq(us_parse_ip4("1.2.3.4x", &a), -EINVAL);
	cr_assert_eq(us_parse_ip4("1.2.3.4 ", &a), -EINVAL);
	cr_assert_eq(us_parse_ip4("1.2.3", &a), -EINVAL);
	cr_assert_eq(us_parse_ip4("1.2.3.-1", &a), -EINVAL);
	cr_assert_eq(us_parse_mac("02:0a:0B:0c:0d:ff", m), 0);
	cr_assert_eq(memcmp(m, "\x02\x0a\x0b\x0c\x0d\xff", 6), 0);
	cr_assert_eq(us_parse_mac("02:0a:0b:0c:0d:ff:", m), -EINVAL);
	cr_assert_eq(us_parse_mac("02:0a:0b:0c:0d:-1", m), -EINVAL);
}

#if US_HAVE_IPV6
Test(core_config, ipv6_unset_or_empty_leaves_ipv6_off)
{
	struct us_config c;

	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.ip6_mode, US_CFG_IP6_OFF);
	setenv("USOCK_IPV6", "", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.ip6_mode, US_CFG_IP6_OFF);
}

Test(core_config, ipv6_auto_and_an_address_land_in_their_fields)
{
	static const struct us_in6 want = { { 0xfd, 0, [15] = 2 } };
	static const struct us_in6 gw = { { 0xfe, 0x80, [15] = 1 } };
	struct us_config c;

	setenv("USOCK_IPV6", "auto", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.ip6_mode, US_CFG_IP6_AUTO);
	setenv("USOCK_IPV6", "fd00::2/64", 1);
	setenv("USOCK_GATEWAY6", "fe80::1", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.ip6_mode, US_CFG_IP6_STATIC);
	cr_assert(us_in6_eq(&c.ip6, &want));
	cr_assert_eq(c.ip6_plen, 64);
	cr_assert_str_eq(c.ipv6, "fd00::2/64");
	cr_assert(c.have_gw6);
	cr_assert(us_in6_eq(&c.gw6, &gw));
	/* A router on our own prefix is fine too; plen 128 is a host route. */
	setenv("USOCK_IPV6", "2001:db8::2/128", 1);
	setenv("USOCK_GATEWAY6", "2001:db8::2", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.ip6_plen, 128);
}

Test(core_config, ipv6_without_prefix_says_to_add_slash_64)
{
	expect_env_error("USOCK_IPV6", "fd00::2", "USOCK_IPV6", "fd00::2/64");
	cr_assert_not_null(strstr(errbuf, "auto"));
}

Test(core_config, ipv6_with_a_bad_prefix_length_names_the_valid_range)
{
	static const char *bad[] = { "fd00::2/0", "fd00::2/129", "fd00::2/", "fd00::2/x",
				     "fd00::2/64x", "fd00::2/-8" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_IPV6", bad[i], "USOCK_IPV6", "1 to 128");
}

Test(core_config, ipv6_that_is_not_an_address_gives_an_example)
{
	static const char *bad[] = { "fd00::g/64", "198.18.0.2/24", "fd00:::2/64", "dhcp6/64" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_IPV6", bad[i], "USOCK_IPV6", "fd00::2/64");
}

Test(core_config, ipv6_that_is_not_unicast_is_refused)
{
	static const char *bad[] = { "::/64", "::1/128", "ff02::1/64", "::ffff:198.18.0.2/96" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_env_error("USOCK_IPV6", bad[i], "not a unicast", "fd00::2/64");
}

Test(core_config, gateway6_needs_ipv6_and_a_router_address)
{
	expect_env_error("USOCK_GATEWAY6", "fe80::1", "USOCK_GATEWAY6", "USOCK_IPV6");
	setenv("USOCK_IPV6", "fd00::2/64", 1);
	expect_env_error("USOCK_GATEWAY6", "fe80::1/64", "USOCK_GATEWAY6", "fe80::1");
	expect_env_error("USOCK_GATEWAY6", "router", "USOCK_GATEWAY6", "fe80::1");
	expect_env_error("USOCK_GATEWAY6", "ff02::2", "not a unicast", "fe80::1");
	/* Global and off our prefix: not a neighbour, so not a router we can use. */
	expect_env_error("USOCK_GATEWAY6", "2001:db8::1", "link-local", "fe80::1");
	setenv("USOCK_IPV6", "auto", 1);
	expect_env_error("USOCK_GATEWAY6", "fd00::1", "link-local", "fe80::1");
}

Test(core_config, ipv6_struct_field_overrides_the_environment)
{
	struct usock_config uc;
	struct us_config c;

	setenv("USOCK_IPV6", "fd00::9/64", 1);
	memset(&uc, 0, sizeof(uc));
	uc.ipv6 = "auto";
	cr_assert_eq(load(&c, &uc), 0, "%s", errbuf);
	cr_assert_eq(c.ip6_mode, US_CFG_IP6_AUTO);
	uc.ipv6 = "fd00::2";
	expect_error(&uc, "struct ipv6", "USOCK_IPV6", "fd00::2/64");
}
#endif

#if !US_HAVE_IPV6 || !US_HAVE_DHCP || !US_HAVE_DNS
/* A build without a part refuses its setting in one line that says how to rebuild. */
Test(core_config, settings_of_parts_left_out_of_the_build_name_the_option)
{

	if (!US_HAVE_IPV6) {
		expect_env_error("USOCK_IPV6", "fd00::2/64", "USOCK_IPV6", "-Dipv6=true");
		unsetenv("USOCK_IPV6");
	}
	if (!US_HAVE_DHCP) {
		expect_env_error("USOCK_IPV4", "dhcp", "USOCK_IPV4", "-Ddhcp=true");
		setenv("USOCK_IPV4", "198.18.0.2/24", 1);
	}
	if (!US_HAVE_DNS) {
		expect_env_error("USOCK_DNS", "198.18.0.1", "USOCK_DNS", "-Ddns=true");
		unsetenv("USOCK_DNS");
	}
}
#endif

Test(core_config, ring_is_whole_blocks_of_frames_within_limits)
{
	struct us_config c;

	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.ring_frames, 0, "the driver's default unless set");
	setenv("USOCK_RING", "256", 1);
	cr_assert_eq(load(&c, NULL), 0, "%s", errbuf);
	cr_assert_eq(c.ring_frames, 256);
	expect_env_error("USOCK_RING", "300", "USOCK_RING", "multiple of 64");
	expect_env_error("USOCK_RING", "128", "USOCK_RING", "256");
	expect_env_error("USOCK_RING", "65536", "USOCK_RING", "32768");
	unsetenv("USOCK_RING");
}
