/*
 * Opening drivers by name (drivers/registry.c): an unknown name lists the
 * drivers, and USOCK_DRIVER=dpdk says what is missing in one line, in a
 * build without DPDK (how to get it) and in one with it (the EAL
 * arguments, before DPDK is started).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "drivers/driver.h"
#include "usock_build_config.h"

static char errbuf[512];

static struct us_drv *
open_named(const char *name, const char *dpdk_args)
{
	struct us_drv_opts o;

	memset(&o, 0, sizeof(o));
	o.iface = "lo";
	o.dpdk_args = dpdk_args;
	o.dpdk_mbufs = 8191;
	memset(errbuf, 0, sizeof(errbuf));
	return us_drv_open(name, &o, NULL, errbuf, sizeof(errbuf));
}

Test(drivers_registry, unknown_driver_lists_the_known_ones)
{
	cr_assert_null(open_named("netmap", ""));
	cr_assert_not_null(strstr(errbuf, "unknown driver \"netmap\""), "%s", errbuf);
	cr_assert_not_null(strstr(errbuf, "afpacket, afpacket-v3, pcap or dpdk"), "%s", errbuf);
}

Test(drivers_registry, dpdk_says_what_is_missing_in_one_line)
{
	cr_assert_null(open_named("dpdk", ""));
	cr_assert_null(strchr(errbuf, '\n'), "one line: %s", errbuf);
#if US_HAVE_DPDK
	cr_assert_not_null(strstr(errbuf, "USOCK_DPDK_ARGS is not set"), "%s", errbuf);
	cr_assert_not_null(strstr(errbuf, "--vdev=net_af_packet0,iface="), "an example: %s", errbuf);
#else
	cr_assert_not_null(strstr(errbuf, "this build has no DPDK driver"), "%s", errbuf);
	cr_assert_not_null(strstr(errbuf, "libdpdk-dev"), "how to get one: %s", errbuf);
	cr_assert_not_null(strstr(errbuf, "-Ddpdk=enabled"), "how to get one: %s", errbuf);
#endif
}
