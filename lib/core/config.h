/*
 * config.h - run-time settings: USOCK_* from the environment or struct
 * usock_config, parsed and checked in one place.
 */
#ifndef US_CONFIG_H
#define US_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../../drivers/driver.h"
#include "../wire/wire.h"

struct usock_config;

#define US_DNS_MAX	4	/* DNS servers USOCK_DNS may name */

/* USOCK_IPV6 modes. */
#define US_CFG_IP6_OFF		0	/* unset: no IPv6 */
#define US_CFG_IP6_AUTO		1	/* "auto": link-local, then SLAAC from advertisements */
#define US_CFG_IP6_STATIC	2	/* "addr/plen" (and the link-local) */

struct us_config {
	char iface[32];		/* USOCK_IFACE */
	char driver[16];	/* USOCK_DRIVER */
	int dhcp;		/* USOCK_IPV4=dhcp: the address comes from a DHCP server */
	uint32_t ip4;		/* USOCK_IPV4 address, host order (0 with dhcp) */
	uint8_t plen;		/* its prefix length */
	uint32_t gw;		/* USOCK_GATEWAY, 0: none */
	int have_mac;		/* USOCK_MAC given */
	uint8_t mac[6];		/* USOCK_MAC */
	char dpdk_args[512];	/* USOCK_DPDK_ARGS */
	uint16_t dpdk_port;	/* USOCK_DPDK_PORT */
	uint16_t dpdk_queue;	/* USOCK_DPDK_QUEUE */
	uint32_t dpdk_mbufs;	/* USOCK_DPDK_MBUFS */
	char pcap_file[256];	/* USOCK_PCAP, "" for none */
	int have_fault;		/* USOCK_FAULT given */
	struct us_fault_cfg fault;	/* USOCK_FAULT */
	uint32_t pool_size;	/* USOCK_POOL */
	uint32_t ring_frames;	/* USOCK_RING: afpacket's receive ring, frames; 0: the default */
	uint32_t max_sockets;	/* USOCK_SOCKETS */
	int busy_poll;		/* USOCK_BUSY_POLL */
	char dns[256];		/* USOCK_DNS as given */
	uint32_t dns4[US_DNS_MAX];	/* its servers, host order */
	int ndns;		/* how many */
	char ipv6[64];		/* USOCK_IPV6 as given */
	int ip6_mode;		/* US_CFG_IP6_*: what USOCK_IPV6 asks */
	struct us_in6 ip6;	/* its address (US_CFG_IP6_STATIC) */
	uint8_t ip6_plen;	/* its prefix length, 1 to 128 */
	int have_gw6;		/* USOCK_GATEWAY6 given */
	struct us_in6 gw6;	/* USOCK_GATEWAY6: default router */
	char tcp_cc[16];	/* USOCK_TCP_CC: cubic (default) or newreno */
};

/*
 * Fills c from uc (may be NULL), then the environment, then defaults.
 * Returns 0, or -EINVAL with one line in err naming the setting and the fix.
 */
int us_config_load(struct us_config *c, const struct usock_config *uc, char *err, size_t errlen);

/* Parses "a.b.c.d" into host order; returns 0 or -EINVAL. */
int us_parse_ip4(const char *s, uint32_t *out);
/* Parses "aa:bb:cc:dd:ee:ff"; returns 0 or -EINVAL. */
int us_parse_mac(const char *s, uint8_t mac[6]);

#endif /* US_CONFIG_H */
