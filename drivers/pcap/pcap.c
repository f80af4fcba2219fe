/*
 * pcap.c - a driver over libpcap's live capture and inject, for systems
 * where AF_PACKET is not the right tool.  Built only when libpcap's header
 * is found; the library itself is opened when the driver is first asked
 * for, so that libusock runs where libpcap is not installed, and so that
 * every program the preload shim enters does not load it and what it
 * pulls in (libdbus, libsystemd, libgcrypt: libgpg-error's constructor
 * deadlocks with AddressSanitizer's start).  Frames are copied out of
 * libpcap's buffer into pool buffers.
 */
#include <dlfcn.h>
#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../driver.h"

#define PCAP_FRAME_MAX 9216	/* largest frame sent */

struct pcapdrv {
	struct us_drv drv;	/* first: what the stack sees */
	pcap_t *pc;		/* the live capture */
};

/* libpcap's calls, looked up once. */
static struct {
	pcap_t *(*create)(const char *, char *);
	int (*set_snaplen)(pcap_t *, int);
	int (*set_promisc)(pcap_t *, int);
	int (*set_immediate_mode)(pcap_t *, int);
	int (*activate)(pcap_t *);
	char *(*geterr)(pcap_t *);
	int (*setdirection)(pcap_t *, pcap_direction_t);
	int (*setnonblock)(pcap_t *, int, char *);
	int (*get_selectable_fd)(pcap_t *);
	int (*dispatch)(pcap_t *, int, pcap_handler, u_char *);
	int (*inject)(pcap_t *, const void *, size_t);
	void (*close)(pcap_t *);
} lp;
static char lp_err[160];	/* why libpcap could not be had, "" once it is */
static pthread_once_t lp_once = PTHREAD_ONCE_INIT;

static void
lp_load(void)
{
	/* Debian's name for it, then everyone else's. */
	static const char *const names[] = { "libpcap.so.0.8", "libpcap.so.1", "libpcap.so" };
	void *h = NULL;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && h == NULL; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(lp_err, sizeof(lp_err), "libpcap is not installed (%s); install it "
			 "(Debian: apt-get install libpcap0.8) or use USOCK_DRIVER=afpacket", dlerror());
		return;
	}
#define LP_SYM(f)								\
	do {									\
		*(void **)&lp.f = dlsym(h, "pcap_" #f);				\
		if (lp.f == NULL) {						\
			snprintf(lp_err, sizeof(lp_err), "libpcap has no pcap_" #f \
				 " (older than 1.5?)");				\
			return;							\
		}								\
	} while (0)
	LP_SYM(create);
	LP_SYM(set_snaplen);
	LP_SYM(set_promisc);
	LP_SYM(set_immediate_mode);
	LP_SYM(activate);
	LP_SYM(geterr);
	LP_SYM(setdirection);
	LP_SYM(setnonblock);
	LP_SYM(get_selectable_fd);
	LP_SYM(dispatch);
	LP_SYM(inject);
	LP_SYM(close);
#undef LP_SYM
	/* Kept open for the process's life: drivers may be opened again. */
}

struct rx_ctx {
	struct pcapdrv *pd;	/* the driver */
	struct us_pkt **pkts;	/* where frames go */
	uint16_t n;		/* room */
	uint16_t k;		/* frames so far */
	uint64_t now;		/* receive time */
};

static void
pcapdrv_close(struct us_drv *d)
{
	struct pcapdrv *pd = (struct pcapdrv *)d;

	if (pd->pc != NULL)
		lp.close(pd->pc);
	free(pd);
}

static void
on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct rx_ctx *c = (struct rx_ctx *)user;
	struct us_drv *d = &c->pd->drv;
	struct us_pkt *p;

	if (c->k == c->n)
		return;
	if (h->caplen != h->len || h->caplen > d->mtu + 18) {
		d->stats->rx_toobig++;
		return;
	}
	p = us_pkt_alloc(d->pool);
	if (p == NULL || us_pkt_tailroom(p) < h->caplen) {
		if (p != NULL)
			us_pkt_free(p);
		d->stats->rx_nobuf++;
		return;
	}
	memcpy(us_pkt_append(p, h->caplen), bytes, h->caplen);
	p->time = c->now;
	d->stats->rx_pkts++;
	d->stats->rx_bytes += p->len;
	c->pkts[c->k++] = p;
}

static uint16_t
pcapdrv_rx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct rx_ctx c = { (struct pcapdrv *)d, pkts, n, 0, now };

	(void)lp.dispatch(((struct pcapdrv *)d)->pc, n, on_frame, (u_char *)&c);
	return c.k;
}

static uint16_t
pcapdrv_tx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct pcapdrv *pd = (struct pcapdrv *)d;
	uint8_t flat[PCAP_FRAME_MAX];
	uint16_t i;

	(void)now;
	for (i = 0; i < n; i++) {
		uint32_t len = us_pkt_chain_read(pkts[i], 0, flat, sizeof(flat));

		if (lp.inject(pd->pc, flat, len) < 0) {
			d->stats->tx_err++;
		} else {
			d->stats->tx_pkts++;
			d->stats->tx_bytes += len;
		}
		us_pkt_free(pkts[i]);
	}
	return n;
}

static uint64_t
pcapdrv_deadline(const struct us_drv *d)
{
	(void)d;
	return UINT64_MAX;
}

static const struct us_drv_ops pcap_ops = {
	.name = "pcap",
	.close = pcapdrv_close,
	.rx_burst = pcapdrv_rx,
	.tx_burst = pcapdrv_tx,
	.next_deadline = pcapdrv_deadline,
};

struct us_drv *
us_pcap_open(const char *iface, struct us_pool *pool, int promisc, char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcapdrv *pd;
	struct ifreq ifr;
	int s;

	pthread_once(&lp_once, lp_load);
	if (lp_err[0] != '\0') {
		snprintf(errbuf, errlen, "%s", lp_err);
		return NULL;
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	us_drv_init(&pd->drv, &pcap_ops, pool);
	pd->pc = lp.create(iface, perr);
	if (pd->pc == NULL) {
		snprintf(errbuf, errlen, "libpcap: %s", perr);
		goto fail;
	}
	lp.set_snaplen(pd->pc, 65535);
	lp.set_promisc(pd->pc, promisc);
	lp.set_immediate_mode(pd->pc, 1);
	if (lp.activate(pd->pc) < 0) {
		snprintf(errbuf, errlen, "libpcap on \"%s\": %s", iface, lp.geterr(pd->pc));
		goto fail;
	}
	/* Only what arrives: our own injections must not come back as input. */
	(void)lp.setdirection(pd->pc, PCAP_D_IN);
	if (lp.setnonblock(pd->pc, 1, perr) < 0) {
		snprintf(errbuf, errlen, "libpcap: %s", perr);
		goto fail;
	}
	pd->drv.fd = lp.get_selectable_fd(pd->pc);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
		if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0)
			memcpy(pd->drv.mac, ifr.ifr_hwaddr.sa_data, 6);
		if (ioctl(s, SIOCGIFMTU, &ifr) == 0)
			pd->drv.mtu = (uint32_t)ifr.ifr_mtu;
		close(s);
	}
	if (pd->drv.mtu + 18 > PCAP_FRAME_MAX) {
		/* Frames are flattened into a fixed buffer before pcap_inject. */
		snprintf(errbuf, errlen, "interface MTU %u is above the %u this driver supports",
			 pd->drv.mtu, PCAP_FRAME_MAX - 18);
		goto fail;
	}
	return &pd->drv;
fail:
	pcapdrv_close(&pd->drv);
	return NULL;
}
