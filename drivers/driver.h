/*
 * driver.h - the one interface between the stack and a link: open, close,
 * rx_burst, tx_burst and a descriptor to sleep on.  Bursts follow DPDK:
 * rx_burst hands over the packets it returns; tx_burst consumes exactly the
 * first n it returns, and the caller still owns the rest.
 */
#ifndef US_DRIVER_H
#define US_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/pkt/pkt.h"

struct us_drv;
struct us_drv_stats;

struct us_drv_ops {
	const char *name;
	/* Releases everything the driver holds; the pool outlives it. */
	void (*close)(struct us_drv *d);
	/* Receives up to n frames into pkts; returns how many (ownership passes). */
	uint16_t (*rx_burst)(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now);
	/* Sends frames; consumes and returns the first k it took (k <= n). */
	uint16_t (*tx_burst)(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now);
	/*
	 * Earliest time the driver wants rx_burst called without new input
	 * (delay lines, a link polled without interrupts); UINT64_MAX: none.
	 */
	uint64_t (*next_deadline)(const struct us_drv *d);
	/* Optional: the pool the stack builds frames in, given once before any frame. */
	int (*set_pool)(struct us_drv *d, struct us_pool *pool);
};

/* us_drv.offload: what the link completes in frames the stack sends. */
#define US_DRV_TX_IP4_CSUM	0x1	/* the IPv4 header checksum */
#define US_DRV_TX_L4_CSUM	0x2	/* TCP and UDP checksums, from the pseudo-header sum */

/* Counters every driver keeps; usock-stat prints them. */
#define US_DRV_STATS(X)                                                                   \
	X(rx_pkts, "frames handed to the stack")                                          \
	X(rx_bytes, "their bytes")                                                        \
	X(tx_pkts, "frames sent")                                                         \
	X(tx_bytes, "their bytes")                                                        \
	X(rx_nobuf, "frames dropped: pool empty")                                         \
	X(rx_toobig, "frames dropped: above the MTU (GRO/GSO super-frames)")              \
	X(rx_csum_partial, "frames with the checksum left to the receiver")               \
	X(rx_copied, "frames copied out of the ring (ring pressure)")                     \
	X(rx_kernel_drops, "frames the kernel dropped before the ring")                   \
	X(tx_err, "frames the link refused")                                              \
	X(tx_copied, "frames copied into a driver buffer to be sent")                      \
	X(rx_csum_hw, "frames whose checksum the NIC verified")                            \
	X(port_rx_pkts, "port: frames received (DPDK's count)")                           \
	X(port_tx_pkts, "port: frames sent (DPDK's count)")                               \
	X(port_rx_missed, "port: frames the NIC dropped, its queue full")                 \
	X(port_rx_errors, "port: erroneous frames received")                              \
	X(port_tx_errors, "port: failed transmissions")                                   \
	X(port_rx_nombuf, "port: receive failures, no mbuf")                              \
	X(mbufs_in_use, "port: mbufs out of the pool now (descriptors, stack, queues)")   \
	X(mbufs_free, "port: mbufs in the pool now")                                       \
	X(port_link_up, "port: link up (1) or down (0)")                                  \
	X(port_link_mbps, "port: link speed, Mbit/s")                                     \
	X(rx_interrupts, "port: sleeps on the RX interrupt (1) or polls with sleeps (0)") \
	X(tx_zero_copy, "port: frames sent from the stack's buffers in place (1)")        \
	X(tx_csum_offload, "port: checksums the NIC fills in (1: IPv4, 2: TCP/UDP)")       \
	X(fault_lost, "fault wrapper: frames dropped")                                    \
	X(fault_toobig, "fault wrapper: frames dropped above its mtu")                    \
	X(fault_dup, "fault wrapper: frames duplicated")                                  \
	X(fault_reord, "fault wrapper: frames held back")                                 \
	X(fault_delayed, "fault wrapper: frames delayed")

#define US_DRV_DECL(name, desc) uint64_t name;
struct us_drv_stats {
	US_DRV_STATS(US_DRV_DECL)
};

struct us_drv {
	const struct us_drv_ops *ops;
	uint8_t mac[6];		/* link address: filled at open */
	uint32_t mtu;		/* largest IP packet: filled at open */
	uint32_t offload;	/* US_DRV_TX_*: filled at open (wrappers copy the inner's) */
	int fd;			/* readable when frames wait (-1: none; poll by time) */
	struct us_pool *pool;	/* where received frames are allocated */
	struct us_drv_stats *stats;	/* counters (points into the stack's stats) */
	struct us_drv_stats own_stats;	/* used until the stack points stats elsewhere */
	struct us_drv *inner;	/* wrappers: the wrapped driver */
};

/* Common set-up every driver open does. */
static inline void
us_drv_init(struct us_drv *d, const struct us_drv_ops *ops, struct us_pool *pool)
{
	d->ops = ops;
	d->pool = pool;
	d->fd = -1;
	d->mtu = 1500;
	d->offload = 0;
	d->stats = &d->own_stats;
	d->inner = NULL;
}

/* The descriptor to sleep on: the innermost driver's (it may change while open: dpdk). */
static inline int
us_drv_fd(const struct us_drv *d)
{
	while (d->inner != NULL)
		d = d->inner;
	return d->fd;
}

static inline void
us_drv_close(struct us_drv *d)
{
	if (d != NULL)
		d->ops->close(d);
}

/* What opening a driver needs besides its name (from struct us_config). */
struct us_drv_opts {
	const char *iface;	/* USOCK_IFACE (afpacket, pcap) */
	int promisc;		/* receive frames for other MACs too (the stack uses its own) */
	int allmulti;		/* receive every multicast frame (IPv6: the stack picks its groups) */
	uint32_t ring_frames;	/* USOCK_RING: afpacket's receive ring in frames; 0: its default */
	const char *dpdk_args;	/* USOCK_DPDK_ARGS: DPDK's EAL arguments */
	uint16_t dpdk_port;	/* USOCK_DPDK_PORT */
	uint16_t dpdk_queue;	/* USOCK_DPDK_QUEUE */
	uint32_t dpdk_mbufs;	/* USOCK_DPDK_MBUFS */
};

/* Opens the driver of that name.  Returns NULL with the reason in errbuf. */
struct us_drv *us_drv_open(const char *name, const struct us_drv_opts *o, struct us_pool *pool,
			   char *errbuf, size_t errlen);

/* In-memory link between two stacks (drivers/loop). */
struct us_drv *us_loop_open(struct us_pool *pool, const uint8_t mac[6], uint32_t mtu);
/* Joins two loop ends; frames sent on one arrive on the other. */
void us_loop_connect(struct us_drv *a, struct us_drv *b);
/*
 * on: frames received on this loop end are copied into its own pool (a
 * NIC's receive), not handed over in the sender's buffers; a frame that
 * finds the pool empty is dropped and counted (rx_nobuf).
 */
void us_loop_copy_rx(struct us_drv *d, int on);
/* Frames waiting to be received on a loop end. */
uint32_t us_loop_pending(const struct us_drv *d);

/* Fault injection around inner (drivers/fault). */
struct us_fault_cfg {
	uint32_t loss_ppm;	/* drop probability, parts per million */
	uint32_t dup_ppm;	/* duplicate probability */
	uint32_t reorder_ppm;	/* probability a frame is held back behind the next */
	uint64_t delay_ns;	/* fixed extra delay */
	uint64_t jitter_ns;	/* random extra delay up to this */
	uint64_t seed;		/* PRNG seed: same seed, same faults */
	int rx;			/* apply on receive too (default: transmit only) */
	uint32_t mtu;		/* drop frames whose packet exceeds this (a narrower hop); 0: none */
};
/* Parses "loss=2,dup=1,reorder=5,delay=1ms,jitter=1ms,seed=7,rx=1,mtu=1280" (percent). */
int us_fault_parse(const char *spec, struct us_fault_cfg *cfg, char *errbuf, size_t errlen);
struct us_drv *us_fault_wrap(struct us_drv *inner, const struct us_fault_cfg *cfg);

/* Capture of every frame into a pcap file (drivers/capture). */
struct us_drv *us_capture_wrap(struct us_drv *inner, const char *path, char *errbuf,
			       size_t errlen);

#endif /* US_DRIVER_H */
