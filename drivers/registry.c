/*
 * registry.c - opens a driver by the name USOCK_DRIVER gives, and says
 * clearly when this build lacks it.
 */
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "usock_build_config.h"

struct us_drv *us_afpacket_open(const char *iface, struct us_pool *pool, int promisc,
				int allmulti, int ring_v3, uint32_t ring_frames, char *errbuf,
				size_t errlen);
#if US_HAVE_PCAP
struct us_drv *us_pcap_open(const char *iface, struct us_pool *pool, int promisc,
			    char *errbuf, size_t errlen);
#endif
#if US_HAVE_DPDK
struct us_drv *us_dpdk_open(const struct us_drv_opts *o, struct us_pool *pool, char *errbuf,
			    size_t errlen);
#endif

struct us_drv *
us_drv_open(const char *name, const struct us_drv_opts *o, struct us_pool *pool, char *errbuf,
	    size_t errlen)
{
	if (strcmp(name, "afpacket") == 0)
		return us_afpacket_open(o->iface, pool, o->promisc, o->allmulti, 0, o->ring_frames,
					errbuf, errlen);
	if (strcmp(name, "afpacket-v3") == 0)
		return us_afpacket_open(o->iface, pool, o->promisc, o->allmulti, 1, 0, errbuf,
					errlen);
	if (strcmp(name, "pcap") == 0) {
#if US_HAVE_PCAP
		/* libpcap has no all-multicast switch: promiscuous covers it. */
		return us_pcap_open(o->iface, pool, o->promisc || o->allmulti, errbuf, errlen);
#else
		snprintf(errbuf, errlen, "this build has no pcap driver; install libpcap-dev and "
			 "rebuild (meson setup -Dpcap=enabled), or use USOCK_DRIVER=afpacket");
		return NULL;
#endif
	}
	if (strcmp(name, "dpdk") == 0) {
#if US_HAVE_DPDK
		return us_dpdk_open(o, pool, errbuf, errlen);
#else
		snprintf(errbuf, errlen, "this build has no DPDK driver; install libdpdk-dev (and "
			 "pkg-config) and rebuild (meson setup -Ddpdk=enabled), or use "
			 "USOCK_DRIVER=afpacket");
		return NULL;
#endif
	}
	snprintf(errbuf, errlen, "unknown driver \"%s\"; use afpacket, afpacket-v3, pcap or dpdk",
		 name);
	return NULL;
}
