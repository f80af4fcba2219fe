/*
 * dpdk.c - a NIC queue polled through DPDK: no kernel on the packet path.
 *
 * Receive is zero copy: a received mbuf becomes a us_pkt header (from a
 * header-only pool of our own) that points into the mbuf's buffer and frees
 * the mbuf back to DPDK when the stack lets go of it.  When the stack keeps
 * many frames (socket queues) and the mbuf pool runs low, new frames are
 * copied into stack buffers instead, so the NIC never starves (rx_copied).
 *
 * Transmit is zero copy too: the stack builds frames in its own pool, whose
 * memory is registered with DPDK (rte_extmem_register, and DMA-mapped for a
 * real device), and each frame goes to rte_eth_tx_burst as an mbuf header
 * with the frame's buffer attached as an external buffer; DPDK's free of
 * that mbuf drops the stack's reference.  A frame that came from the NIC (an
 * echo reply written over its request) goes back out as its own mbuf.  Only
 * where zero copy cannot work (IOVA as physical addresses: the pool is not
 * physically contiguous) are frames copied into mbufs (tx_copied).
 *
 * Polling suits a board: while frames flow the service thread polls without
 * sleeping; as the link goes quiet it sleeps longer between polls (up to
 * IDLE_SLEEP_MAX), or sleeps on the queue's RX interrupt where the PMD has
 * one, so an idle process costs well under 1% of a core.
 *
 * DPDK's EAL is once per process: it is started at the first open and kept
 * for later ones (it cannot be started twice), and the port is stopped, not
 * closed, at close so that a later open can start it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include "../driver.h"

#define BURST		32
#define RX_DESC		1024
#define TX_DESC		1024
#define MBUF_CACHE	128
#define LOW_WATER_DIV	8		/* copy frames out when fewer than 1/8 of mbufs are free */
#define HDR_POOL_MIN	4096		/* headers for frames held in place */
#define SPIN_NS		2000000ull	/* keep polling this long after the last frame */
#define IDLE_SLEEP_MIN	50000ull	/* then sleep this long between polls... */
#define IDLE_SLEEP_MAX	5000000ull	/* ...doubling up to this */
#define INTR_SLEEP_MAX	100000000ull	/* with the RX interrupt armed, poll anyway after this */
#define STATS_EVERY_NS	200000000ull	/* read the port's counters this often */
#define MAX_EAL_ARGS	64

struct dpdk {
	struct us_drv drv;	/* first: what the stack sees */
	uint16_t port;		/* DPDK port id */
	uint16_t queue;		/* the RX and TX queue used */
	struct rte_mempool *mp;	/* received frames */
	struct rte_mempool *attach;	/* mbuf headers for sent frames (external buffers) */
	struct us_pool *hdrs;	/* us_pkt headers for mbufs held in place */
	struct us_pool *stack_pool;	/* the stack's pool: sent zero copy when registered */
	void *reg_addr;		/* its registered memory (page-aligned span) */
	size_t reg_len;
	int tx_zero_copy;	/* stack buffers are attached, not copied */
	int iova_va;		/* IOVA is the virtual address */
	uint32_t low_water;	/* free mbufs below which frames are copied out */
	uint64_t tx_ol;		/* TX offloads enabled on the port */
	int rx_csum;		/* the port reports L4 checksum status */
	int intr_fd;		/* RX interrupt descriptor, -1: none */
	int intr_eventfd;	/* it is an eventfd to drain after a wake-up */
	int intr_armed;		/* 1: interrupt enabled, 2: sleeping on a level descriptor */
	int intr_ok;		/* the port was started with RX interrupts asked for */
	uint64_t last_rx;	/* time of the last frame */
	uint64_t last_poll;	/* time of the last rx_burst */
	uint64_t next_stats;	/* when to read the port's counters */
	struct rte_eth_stats base;	/* port counters at open (a reopened port keeps counting) */
	int link_up;		/* last link status read */
	uint32_t link_mbps;	/* and speed */
};

/* The EAL: started once per process (DPDK allows no second rte_eal_init). */
static int eal_state;		/* 0: not tried, 1: up, -1: failed */
static char eal_args_used[512];
static char *eal_log;		/* what the EAL wrote while starting, until the first open ends */

/* The first open after the EAL started ends: what the EAL wrote is shown (warnings). */
static void
eal_log_flush(int show)
{
	if (show && eal_log != NULL && eal_log[0] != '\0')
		fputs(eal_log, stderr);
	free(eal_log);
	eal_log = NULL;
}

/* Frees the mbuf a received frame points into. */
static void
mbuf_free_cb(struct us_pkt *pkt, void *arg)
{
	(void)pkt;
	rte_pktmbuf_free_seg(arg);
}

/* DPDK's free of a sent mbuf: the stack's reference to the buffer goes. */
static void
extbuf_free_cb(void *addr, void *opaque)
{
	(void)addr;
	us_pkt_unref(opaque);
}

/* Is fd an eventfd (to be drained before sleeping) rather than a device queue? */
static int
is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strstr(target, "eventfd") != NULL;
}

/*
 * The queue's interrupt descriptor, looked up again now and then: a PMD
 * may make it only once its link is up and make a new one when a peer
 * comes back.  A port whose PMD has none once its link is up is polled
 * (with sleeps) from then on; ethdev's complaint about that is silenced.
 */
static void
refresh_intr(struct dpdk *d)
{
	int fd = -1, lvl;

	if (d->intr_ok && d->link_up) {
		lvl = rte_log_get_level(rte_eth_dev_logtype);
		rte_log_set_level(rte_eth_dev_logtype, RTE_LOG_CRIT);
		fd = rte_eth_dev_rx_intr_ctl_q_get_fd(d->port, d->queue);
		rte_log_set_level(rte_eth_dev_logtype, (uint32_t)lvl);
		if (fd < 0)
			d->intr_ok = 0;
	}
	if (fd < 0) {
		d->intr_fd = -1;
		d->intr_armed = 0;
	} else if (fd != d->intr_fd) {
		d->intr_fd = fd;
		d->intr_eventfd = is_eventfd(fd);
		d->intr_armed = 0;
		/* Emptied before each sleep: a read must never block. */
		if (d->intr_eventfd)
			(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	d->drv.fd = d->intr_fd;
}

static void
read_port_stats(struct dpdk *d)
{
	struct rte_eth_stats s;
	struct rte_eth_link link;
	struct us_drv_stats *st = d->drv.stats;

	if (rte_eth_stats_get(d->port, &s) != 0)
		return;
	st->port_rx_pkts = s.ipackets - d->base.ipackets;
	st->port_tx_pkts = s.opackets - d->base.opackets;
	st->port_rx_missed = s.imissed - d->base.imissed;
	st->port_rx_errors = s.ierrors - d->base.ierrors;
	st->port_tx_errors = s.oerrors - d->base.oerrors;
	st->port_rx_nombuf = s.rx_nombuf - d->base.rx_nombuf;
	st->mbufs_in_use = rte_mempool_in_use_count(d->mp);
	st->mbufs_free = rte_mempool_avail_count(d->mp);
	if (rte_eth_link_get_nowait(d->port, &link) == 0) {
		d->link_up = link.link_status;
		d->link_mbps = link.link_speed;
	}
	st->port_link_up = d->link_up;
	st->port_link_mbps = d->link_mbps;
	st->rx_interrupts = d->intr_fd >= 0;
	st->tx_zero_copy = (uint64_t)d->tx_zero_copy;
	st->tx_csum_offload = d->drv.offload;
}

/* A frame the stack must keep is copied out of its mbuf (the pool runs low). */
static struct us_pkt *
copy_out(struct dpdk *d, struct rte_mbuf *m)
{
	struct us_pkt *p = us_pkt_alloc(d->drv.pool);

	if (p == NULL)
		return NULL;
	if (m->pkt_len > p->cap - p->off) {
		us_pkt_free(p);
		return NULL;
	}
	rte_memcpy(us_pkt_data(p), rte_pktmbuf_mtod(m, void *), m->data_len);
	p->len = m->data_len;
	return p;
}

static uint16_t
dpdk_rx(struct us_drv *drv, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct dpdk *d = (struct dpdk *)drv;
	struct rte_mbuf *m[BURST];
	uint16_t k, i, got = 0;
	int low, rc;

	d->last_poll = now;
	if (d->intr_armed) {
		/* Awake again: the queue is polled, so the interrupt is off until the next sleep. */
		if (d->intr_armed == 1) {
			uint64_t v;

			rte_eth_dev_rx_intr_disable(d->port, d->queue);
			/* An eventfd that woke us stays readable until read. */
			if (d->intr_eventfd)
				(void)!read(d->intr_fd, &v, sizeof(v));
		}
		d->intr_armed = 0;
	}
	if (now >= d->next_stats) {
		read_port_stats(d);
		refresh_intr(d);
		d->next_stats = now + STATS_EVERY_NS;
	}
	if (n > BURST)
		n = BURST;
	k = rte_eth_rx_burst(d->port, d->queue, m, n);
	if (k == 0) {
		/*
		 * Quiet for a while: the service thread will sleep; let the RX
		 * interrupt wake it.  An eventfd is emptied first, or an old
		 * signal would wake it at once; a frame that lands between the
		 * poll and the arming waits for the next timed poll at worst.
		 */
		if (d->intr_fd >= 0 && now - d->last_rx >= SPIN_NS) {
			uint64_t v;

			refresh_intr(d);	/* the descriptor must still be the queue's */
			if (d->intr_fd < 0)
				return 0;
			if (d->intr_eventfd)
				(void)!read(d->intr_fd, &v, sizeof(v));
			/* -ENOTSUP: nothing to enable, the descriptor is the queue's (tap). */
			rc = rte_eth_dev_rx_intr_enable(d->port, d->queue);
			if (rc == 0 || rc == -ENOTSUP)
				d->intr_armed = rc == 0 ? 1 : 2;
			/* A frame that landed before the arming would wait: look once more. */
			k = d->intr_armed ? rte_eth_rx_burst(d->port, d->queue, m, n) : 0;
			if (k == 0)
				return 0;
			if (d->intr_armed == 1)
				rte_eth_dev_rx_intr_disable(d->port, d->queue);
			d->intr_armed = 0;
		} else {
			return 0;
		}
	}
	low = rte_mempool_avail_count(d->mp) < d->low_water;
	for (i = 0; i < k; i++) {
		struct rte_mbuf *mb = m[i];
		struct us_pkt *p = NULL;
		/*
		 * Trusted: a sum the port verified (GOOD), or data whose integrity
		 * it vouches for though the sum field is not filled in yet (NONE: a
		 * local sender's partial checksum, virtio).  Bad or unknown ones are
		 * checked again in software.
		 */
		uint64_t cs = mb->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
		int good = d->rx_csum && (cs == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
					  cs == RTE_MBUF_F_RX_L4_CKSUM_NONE);

		if (mb->nb_segs != 1 || mb->pkt_len > d->drv.mtu + RTE_ETHER_HDR_LEN + 4) {
			/* Scattered jumbo frames: the stack takes frames up to the MTU only. */
			d->drv.stats->rx_toobig++;
			rte_pktmbuf_free(mb);
			continue;
		}
		if (low) {
			p = copy_out(d, mb);
			if (p != NULL)
				d->drv.stats->rx_copied++;
			rte_pktmbuf_free(mb);
		} else if ((p = us_pkt_alloc(d->hdrs)) != NULL) {
			p->buf = mb->buf_addr;
			p->cap = mb->buf_len;
			p->off = mb->data_off;
			p->len = mb->data_len;
			p->free_cb = mbuf_free_cb;
			p->free_arg = mb;
		} else {
			rte_pktmbuf_free(mb);
		}
		if (p == NULL) {
			d->drv.stats->rx_nobuf++;
			continue;
		}
		if (good) {
			p->flags |= US_PKT_CSUM_OK;
			d->drv.stats->rx_csum_hw++;
		}
		p->time = now;
		d->last_rx = now;	/* frames taken, not dropped ones, keep the thread polling */
		d->drv.stats->rx_pkts++;
		d->drv.stats->rx_bytes += p->len;
		pkts[got++] = p;
	}
	return got;
}

/* Offload requests the stack left in the packet's flags, in DPDK's terms. */
static void
set_offloads(struct rte_mbuf *m, const struct us_pkt *p)
{
	const uint8_t *ip;

	if (!(p->flags & (US_PKT_TX_IP4_CSUM | US_PKT_TX_L4_CSUM)))
		return;
	ip = us_pkt_data(p) + RTE_ETHER_HDR_LEN;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = (ip[0] & 0x0f) * 4u;
	m->ol_flags |= RTE_MBUF_F_TX_IPV4;
	if (p->flags & US_PKT_TX_IP4_CSUM)
		m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	if (p->flags & US_PKT_TX_L4_CSUM)
		m->ol_flags |= ip[9] == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
}

/*
 * One buffer of a frame as an mbuf, consuming the caller's reference to
 * that buffer (not its chain), or NULL with the reference kept.
 */
static struct rte_mbuf *
seg_mbuf(struct dpdk *d, struct us_pkt *p)
{
	struct rte_mbuf *m;

	if (p->free_cb == mbuf_free_cb &&
	    rte_mbuf_refcnt_read((struct rte_mbuf *)p->free_arg) == 1) {
		/*
		 * A received frame going back out (an echo reply): its own mbuf,
		 * unless that is already on its way out (then it is copied below).
		 */
		m = p->free_arg;
		rte_mbuf_refcnt_update(m, 1);
		m->data_off = (uint16_t)p->off;
		m->data_len = (uint16_t)p->len;
		m->next = NULL;
		m->nb_segs = 1;
		m->ol_flags = 0;	/* its receive flags mean nothing to the port's transmit */
		us_pkt_unref(p);
		return m;
	}
	if (d->tx_zero_copy && p->pool == d->stack_pool) {
		struct rte_mbuf_ext_shared_info *sh;
		rte_iova_t iova;

		m = rte_pktmbuf_alloc(d->attach);
		if (m == NULL)
			return NULL;
		sh = rte_mbuf_to_priv(m);
		sh->free_cb = extbuf_free_cb;
		sh->fcb_opaque = p;
		rte_mbuf_ext_refcnt_set(sh, 1);
		iova = d->iova_va ? (rte_iova_t)(uintptr_t)p->buf : rte_mem_virt2iova(p->buf);
		rte_pktmbuf_attach_extbuf(m, p->buf, iova, (uint16_t)p->cap, sh);
		m->data_off = (uint16_t)p->off;
		m->data_len = (uint16_t)p->len;
		return m;	/* the reference now belongs to the mbuf */
	}
	m = rte_pktmbuf_alloc(d->mp);
	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_append(m, (uint16_t)p->len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	rte_memcpy(rte_pktmbuf_mtod(m, void *), us_pkt_data(p), p->len);
	d->drv.stats->tx_copied++;
	us_pkt_unref(p);
	return m;
}

/* A frame of several buffers copied into one mbuf, for a port that sends one; consumes pkt. */
static struct rte_mbuf *
linear_mbuf(struct dpdk *d, struct us_pkt *pkt)
{
	uint32_t len = us_pkt_chain_len(pkt);
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->mp);
	void *p;

	if (m == NULL)
		return NULL;
	if ((p = rte_pktmbuf_append(m, (uint16_t)len)) == NULL || len > UINT16_MAX) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	us_pkt_chain_read(pkt, 0, p, len);
	set_offloads(m, pkt);
	d->drv.stats->tx_copied++;
	us_pkt_free(pkt);
	return m;
}

/* A whole frame (a chain of buffers) as an mbuf chain; consumes pkt, or NULL and keeps it. */
static struct rte_mbuf *
frame_mbuf(struct dpdk *d, struct us_pkt *pkt)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	struct us_pkt *p, *next;
	uint32_t len = 0;
	uint16_t segs = 0;

	if (pkt->next != NULL && !(d->tx_ol & RTE_ETH_TX_OFFLOAD_MULTI_SEGS))
		return linear_mbuf(d, pkt);
	/* Take every buffer first, so a failure part-way leaves the frame whole. */
	for (p = pkt; p != NULL; p = p->next)
		p->refcnt++;
	for (p = pkt; p != NULL; p = next) {
		next = p->next;
		m = seg_mbuf(d, p);
		if (m == NULL) {
			/* Give back the extra references not yet handed to mbufs. */
			for (; p != NULL; p = p->next)
				us_pkt_unref(p);
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (head == NULL)
			head = m;
		else
			tail->next = m;
		tail = m;
		len += m->data_len;
		segs++;
	}
	head->nb_segs = segs;
	head->pkt_len = len;
	head->ol_flags &= ~(RTE_MBUF_F_TX_OFFLOAD_MASK);
	set_offloads(head, pkt);
	us_pkt_free(pkt);	/* the caller's references: the mbufs hold their own */
	return head;
}

static uint16_t
dpdk_tx(struct us_drv *drv, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct dpdk *d = (struct dpdk *)drv;
	struct rte_mbuf *m[BURST];
	uint32_t bytes[BURST];
	uint16_t done = 0;

	(void)now;
	/* Idle moments give a NIC's TX ring back its sent frames (the stack's buffers among them). */
	if (n == 0)
		(void)rte_eth_tx_done_cleanup(d->port, d->queue, 0);
	/* In bursts of BURST: the caller's burst may be longer. */
	while (done < n) {
		uint16_t k = 0, sent, i, want = n - done < BURST ? n - done : BURST;

		while (k < want) {
			bytes[k] = us_pkt_chain_len(pkts[done + k]);
			m[k] = frame_mbuf(d, pkts[done + k]);
			if (m[k] == NULL)
				break;	/* no mbuf: the rest stays with the caller */
			k++;
		}
		sent = rte_eth_tx_burst(d->port, d->queue, m, k);
		for (i = 0; i < sent; i++) {
			d->drv.stats->tx_pkts++;
			d->drv.stats->tx_bytes += bytes[i];
		}
		/* The port's queue is full: what it did not take is dropped, as a NIC drops. */
		for (i = sent; i < k; i++) {
			d->drv.stats->tx_err++;
			rte_pktmbuf_free(m[i]);
		}
		done += k;
		if (k < want)
			break;
	}
	return done;
}

static uint64_t
dpdk_deadline(const struct us_drv *drv)
{
	const struct dpdk *d = (const struct dpdk *)drv;
	uint64_t idle = d->last_poll - d->last_rx, sleep;

	if (d->last_poll < d->last_rx)
		idle = 0;
	if (idle < SPIN_NS)
		return d->last_poll;	/* traffic is flowing: poll again at once */
	/*
	 * Armed: the interrupt wakes the service thread.  A frame that slipped
	 * in between the last poll and the arming (a PMD with an event, not a
	 * level) is still seen within INTR_SLEEP_MAX.
	 */
	if (d->intr_armed)
		return d->last_poll + INTR_SLEEP_MAX;
	/* Sleep about a tenth of the time the link has been quiet, within the bounds. */
	sleep = idle / 10;
	if (sleep < IDLE_SLEEP_MIN)
		sleep = IDLE_SLEEP_MIN;
	if (sleep > IDLE_SLEEP_MAX)
		sleep = IDLE_SLEEP_MAX;
	return d->last_poll + sleep;
}

static void
dpdk_close(struct us_drv *drv)
{
	struct dpdk *d = (struct dpdk *)drv;

	if (d->intr_armed == 1)
		rte_eth_dev_rx_intr_disable(d->port, d->queue);
	/* Frames still in the port's queues return to their pools (and the stack's). */
	(void)rte_eth_tx_done_cleanup(d->port, d->queue, 0);
	rte_eth_dev_stop(d->port);
	if (d->reg_addr != NULL) {
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(d->port, &info) == 0)
			(void)rte_dev_dma_unmap(info.device, d->reg_addr,
						(uint64_t)(uintptr_t)d->reg_addr, d->reg_len);
		rte_extmem_unregister(d->reg_addr, d->reg_len);
	}
	/*
	 * The mbuf pools stay: a stopped port may still name them and DPDK has
	 * no way to forget a pool a queue was set up with; a reopen reuses them.
	 */
	if (d->hdrs != NULL && us_pool_destroy(d->hdrs) != 0)
		fprintf(stderr, "usock: dpdk: frames still held at close; their headers leak\n");
	free(d);
}

/*
 * The stack's pool, before any frame: its memory is registered with DPDK
 * so that sent frames can be handed over in place.
 */
static int
dpdk_set_pool(struct us_drv *drv, struct us_pool *pool)
{
	struct dpdk *d = (struct dpdk *)drv;
	struct rte_eth_dev_info info;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a, e;
	int rc;

	d->drv.pool = pool;
	d->stack_pool = pool;
	if (pool->mem == NULL || !d->iova_va)
		return 0;	/* copies: physical addresses of the pool are not contiguous */
	a = (uintptr_t)pool->mem & ~(uintptr_t)(pg - 1);
	e = ((uintptr_t)pool->mem + (size_t)pool->n * pool->bufsize + pg - 1) & ~(uintptr_t)(pg - 1);
	if (rte_extmem_register((void *)a, e - a, NULL, 0, pg) != 0 && rte_errno != EEXIST)
		return 0;
	d->reg_addr = (void *)a;
	d->reg_len = e - a;
	/* A real device DMAs from it: map it (virtual devices have nothing to map). */
	if (rte_eth_dev_info_get(d->port, &info) == 0) {
		rc = rte_dev_dma_map(info.device, d->reg_addr, (uint64_t)a, d->reg_len);
		if (rc != 0 && rte_errno != ENOTSUP && rte_errno != ENODEV && rc != -ENOTSUP) {
			rte_extmem_unregister(d->reg_addr, d->reg_len);
			d->reg_addr = NULL;
			return 0;
		}
	}
	d->tx_zero_copy = 1;
	return 0;
}

static const struct us_drv_ops dpdk_ops = {
	.name = "dpdk",
	.close = dpdk_close,
	.rx_burst = dpdk_rx,
	.tx_burst = dpdk_tx,
	.next_deadline = dpdk_deadline,
	.set_pool = dpdk_set_pool,
};

static int
has_arg(char **argv, int argc, const char *const *names)
{
	int i, j;

	for (i = 0; i < argc; i++)
		for (j = 0; names[j] != NULL; j++)
			if (strncmp(argv[i], names[j], strlen(names[j])) == 0)
				return 1;
	return 0;
}

/*
 * The EAL's reason for failing, from what it wrote: the first line that
 * is not its generic ending ("FATAL: ...", "Invalid 'command line'
 * arguments."), without its "EAL: " prefix; that ending if there is
 * nothing else.
 */
static const char *
eal_reason(const char *text, char *buf, size_t len)
{
	const char *p, *fallback = NULL, *fend = NULL;

	snprintf(buf, len, "no reason given");
	if (text == NULL)
		return buf;
	for (p = text; *p != '\0';) {
		const char *e = strchr(p, '\n'), *q = p;

		if (e == NULL)
			e = p + strlen(p);
		if (strncmp(q, "EAL: ", 5) == 0)
			q += 5;
		if (e > q) {
			if (strncmp(q, "FATAL: ", 7) != 0 &&
			    strncmp(q, "Invalid 'command line' arguments.", 33) != 0) {
				snprintf(buf, len, "%.*s", (int)(e - q), q);
				return buf;
			}
			if (fallback == NULL) {
				fallback = q;
				fend = e;
			}
		}
		p = *e != '\0' ? e + 1 : e;
	}
	if (fallback != NULL)
		snprintf(buf, len, "%.*s", (int)(fend - fallback), fallback);
	return buf;
}

/*
 * Starts the EAL with USOCK_DPDK_ARGS (split at spaces), adding what a
 * library inside someone else's program needs unless the user chose:
 * --in-memory or --no-shconf (no files shared with other DPDK processes), one lcore (no
 * worker threads), no telemetry socket, and warnings only in the log.
 * The calling thread's CPU affinity and signal mask survive: rte_eal_init
 * pins its caller to the main lcore, and the application's threads are not
 * ours to pin.
 */
static int
eal_start(const char *args, char *errbuf, size_t errlen)
{
	static const char *const prefix_opts[] = { "--file-prefix", "--in-memory", "--proc-type",
						    "--no-shconf", NULL };
	static const char *const nohuge_opts[] = { "--no-huge", NULL };
	static const char *const core_opts[] = { "-l", "-c", "--lcores", NULL };
	static const char *const tel_opts[] = { "--telemetry", "--no-telemetry", NULL };
	char buf[512], lcore[32], *argv[MAX_EAL_ARGS + 8], *tok, *save = NULL;
	int argc = 0, nuser = 0, i, rc, cpu = 0, saved_optind = optind;
	char *user[MAX_EAL_ARGS];
	cpu_set_t cpus;
	sigset_t all, old;
	char *logbuf = NULL, line[160];
	size_t loglen = 0;
	FILE *log;
	int saved_stdout, saved_stderr, devnull, err, have_cpus;
	static const char *const exit_opts[] = { "-h", "--help", "-v", NULL };

	if (eal_state == 1) {
		if (strcmp(args, eal_args_used) != 0) {
			snprintf(errbuf, errlen, "DPDK is already running in this process with "
				 "USOCK_DPDK_ARGS=\"%s\"; it cannot be started again with other "
				 "arguments", eal_args_used);
			return -1;
		}
		return 0;
	}
	if (eal_state == -1) {
		snprintf(errbuf, errlen, "DPDK failed to start earlier in this process");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (nuser == MAX_EAL_ARGS) {
			snprintf(errbuf, errlen, "USOCK_DPDK_ARGS has more than %d arguments",
				 MAX_EAL_ARGS);
			return -1;
		}
		user[nuser++] = tok;
	}
	/* The EAL would print and exit(0) for these: the application would just end. */
	for (i = 0; i < nuser; i++)
		for (int j = 0; exit_opts[j] != NULL; j++)
			if (strcmp(user[i], exit_opts[j]) == 0) {
				snprintf(errbuf, errlen, "USOCK_DPDK_ARGS: %s would make DPDK exit the "
					 "program; see dpdk-testpmd %s for the EAL's options", user[i],
					 user[i]);
				return -1;
			}
	argv[argc++] = "usock";
	/* --in-memory needs hugepages; without them, --no-shconf keeps the same privacy. */
	if (!has_arg(user, nuser, prefix_opts))
		argv[argc++] = has_arg(user, nuser, nohuge_opts) ? "--no-shconf" : "--in-memory";
	if (!has_arg(user, nuser, core_opts)) {
		if (pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0)
			for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &cpus); cpu++)
				;
		if (cpu == CPU_SETSIZE)
			cpu = 0;
		snprintf(lcore, sizeof(lcore), "-l%d", cpu);
		argv[argc++] = lcore;
	}
	if (!has_arg(user, nuser, tel_opts))
		argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level=warning";	/* the user's own levels, after it, still apply */
	for (i = 0; i < nuser; i++)
		argv[argc++] = user[i];
	argv[argc] = NULL;

	/*
	 * A bad argument makes the EAL print its whole usage on stdout, and
	 * getopt's complaint, an alert and its log on stderr: the
	 * application's output is not the place for them.  For the call,
	 * stdout goes to /dev/null and stderr and the log to a file; the file
	 * is replayed on success (warnings) and boiled down to one reason on
	 * failure.  Both are flushed first, so nothing of the application's
	 * is lost.
	 */
	log = tmpfile();
	fflush(stdout);
	fflush(stderr);
	saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (log != NULL) {
		rte_openlog_stream(log);
		if (saved_stderr >= 0)
			dup2(fileno(log), STDERR_FILENO);
	}
	if (saved_stdout >= 0 && devnull >= 0)
		dup2(devnull, STDOUT_FILENO);
	have_cpus = pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);	/* EAL threads inherit: signals stay ours */
	rc = rte_eal_init(argc, argv);
	err = rte_errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (have_cpus)
		pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	optind = saved_optind;	/* the EAL parses with getopt: the application may too */
	fflush(stdout);
	fflush(stderr);
	if (saved_stdout >= 0 && devnull >= 0)
		dup2(saved_stdout, STDOUT_FILENO);
	if (saved_stderr >= 0 && log != NULL)
		dup2(saved_stderr, STDERR_FILENO);
	if (saved_stdout >= 0)
		close(saved_stdout);
	if (saved_stderr >= 0)
		close(saved_stderr);
	if (devnull >= 0)
		close(devnull);
	if (log != NULL) {
		rte_openlog_stream(NULL);
		long end;

		fflush(log);
		end = ftell(log);
		loglen = end > 0 ? (size_t)end : 0;
		logbuf = malloc(loglen + 1);
		rewind(log);
		if (logbuf != NULL)
			logbuf[fread(logbuf, 1, loglen, log)] = '\0';
		fclose(log);
	}
	if (rc < 0) {
		eal_state = -1;
		snprintf(errbuf, errlen, "DPDK's EAL did not start (%s: %s); check "
			 "USOCK_DPDK_ARGS=\"%s\" (e.g. --no-huge -m 512 --no-pci "
			 "--vdev=net_af_packet0,iface=eth1)", rte_strerror(err),
			 eal_reason(logbuf, line, sizeof(line)), args);
		free(logbuf);
		return -1;
	}
	/* Shown when the port opens, or boiled down into the reason it does not. */
	eal_log = logbuf;
	eal_state = 1;
	snprintf(eal_args_used, sizeof(eal_args_used), "%s", args);
	return 0;
}

/* The mbuf pool of the port, made once per process and name. */
static struct rte_mempool *
get_pool(const char *name, unsigned n, uint16_t priv, uint16_t room, int socket)
{
	struct rte_mempool *mp = rte_mempool_lookup(name);

	/* One made by an earlier open in this process: only if it is what is asked for now. */
	if (mp != NULL)
		return mp->size >= n && rte_pktmbuf_priv_size(mp) >= priv ? mp : NULL;
	return rte_pktmbuf_pool_create(name, n, MBUF_CACHE, priv, room, socket);
}

/* Configures and starts the port; with intr, asks for RX interrupts too. */
static int
port_start(struct dpdk *d, const struct rte_eth_dev_info *info, uint32_t mbufs, int intr,
	   char *errbuf, size_t errlen)
{
	struct rte_eth_conf conf;
	uint16_t nrxd = RX_DESC, ntxd = TX_DESC, nq = (uint16_t)(d->queue + 1), q;
	int socket = rte_eth_dev_socket_id(d->port), rc;

	if (socket < 0)
		socket = 0;
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = intr ? 1 : 0;
	if ((info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM) == RTE_ETH_RX_OFFLOAD_CHECKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM;
	d->rx_csum = (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_CHECKSUM) != 0;
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if ((info->tx_offload_capa & (RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) ==
	    (RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM))
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	d->tx_ol = conf.txmode.offloads;
	rc = rte_eth_dev_configure(d->port, nq, nq, &conf);
	if (rc != 0) {
		snprintf(errbuf, errlen, "port %u (%s): configuring %u queues failed: %s", d->port,
			 info->driver_name, nq, rte_strerror(-rc));
		return rc;
	}
	(void)rte_eth_dev_adjust_nb_rx_tx_desc(d->port, &nrxd, &ntxd);
	if (d->mp == NULL || d->attach == NULL) {
		char name[32];

		if (mbufs < (uint32_t)(nrxd + ntxd) * nq + 2u * BURST) {
			snprintf(errbuf, errlen, "USOCK_DPDK_MBUFS=%u is below what port %u's %u "
				 "receive and %u transmit descriptors (per queue, %u queues) hold; "
				 "raise it to at least %u", mbufs, d->port, nrxd, ntxd, nq,
				 (nrxd + ntxd) * nq + 2 * BURST);
			return -ENOBUFS;
		}
		snprintf(name, sizeof(name), "usock_rx%u", d->port);
		d->mp = get_pool(name, mbufs, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
		snprintf(name, sizeof(name), "usock_tx%u", d->port);
		d->attach = get_pool(name, mbufs,
				     RTE_ALIGN(sizeof(struct rte_mbuf_ext_shared_info),
					       RTE_MBUF_PRIV_ALIGN), 0, socket);
		if (d->mp == NULL || d->attach == NULL) {
			snprintf(errbuf, errlen, "cannot make a pool of %u mbufs (%s); lower "
				 "USOCK_DPDK_MBUFS or give DPDK more memory (-m in USOCK_DPDK_ARGS)",
				 mbufs, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(d->port, q, nrxd, (unsigned)socket, NULL, d->mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(d->port, q, ntxd, (unsigned)socket, NULL);
		if (rc != 0) {
			snprintf(errbuf, errlen, "port %u: setting up queue %u failed: %s", d->port, q,
				 rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(d->port);
	if (rc != 0) {
		snprintf(errbuf, errlen, "port %u (%s) did not start: %s", d->port, info->driver_name,
			 rte_strerror(-rc));
		return rc;
	}
	return 0;
}


static struct us_drv *
open_port(const struct us_drv_opts *o, struct us_pool *pool, char *errbuf, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	struct rte_eth_link link = { 0 };
	struct dpdk *d;
	uint16_t mtu = 1500, nports;
	int rc, i;

	if (o->dpdk_args[0] == '\0') {
		snprintf(errbuf, errlen, "USOCK_DPDK_ARGS is not set; give DPDK's EAL arguments, e.g. "
			 "USOCK_DPDK_ARGS=\"--no-huge -m 512 --no-pci "
			 "--vdev=net_af_packet0,iface=eth1\"");
		return NULL;
	}
	if (eal_start(o->dpdk_args, errbuf, errlen) != 0)
		return NULL;
	nports = rte_eth_dev_count_avail();
	if (nports == 0) {
		char why[160];

		snprintf(errbuf, errlen, "DPDK found no port (%s); a port comes from a NIC bound to "
			 "a DPDK driver (dpdk-devbind.py) or a --vdev in USOCK_DPDK_ARGS",
			 eal_log != NULL && eal_log[0] != '\0' ? eal_reason(eal_log, why, sizeof(why))
								: "none probed");
		eal_log_flush(0);
		return NULL;
	}
	if (!rte_eth_dev_is_valid_port(o->dpdk_port)) {
		snprintf(errbuf, errlen, "USOCK_DPDK_PORT=%u: DPDK has %u port%s (0 to %d); a port "
			 "comes from a bound NIC or a --vdev in USOCK_DPDK_ARGS", o->dpdk_port,
			 nports, nports == 1 ? "" : "s", (int)nports - 1);
		return NULL;
	}
	if ((rc = rte_eth_dev_info_get(o->dpdk_port, &info)) != 0) {
		snprintf(errbuf, errlen, "port %u: no device information: %s", o->dpdk_port,
			 rte_strerror(-rc));
		return NULL;
	}
	if (o->dpdk_queue >= info.max_rx_queues || o->dpdk_queue >= info.max_tx_queues) {
		snprintf(errbuf, errlen, "USOCK_DPDK_QUEUE=%u: port %u (%s) has queues 0 to %u",
			 o->dpdk_queue, o->dpdk_port, info.driver_name,
			 (info.max_rx_queues < info.max_tx_queues ? info.max_rx_queues
								   : info.max_tx_queues) - 1);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	us_drv_init(&d->drv, &dpdk_ops, pool);
	d->port = o->dpdk_port;
	d->queue = o->dpdk_queue;
	d->intr_fd = -1;
	d->iova_va = rte_eal_iova_mode() == RTE_IOVA_VA;
	/* A stopped port from an earlier open in this process keeps its pools. */
	{
		char name[32];

		snprintf(name, sizeof(name), "usock_rx%u", d->port);
		d->mp = rte_mempool_lookup(name);
		snprintf(name, sizeof(name), "usock_tx%u", d->port);
		d->attach = rte_mempool_lookup(name);
	}
	/* RX interrupts where the PMD has them; polling with sleeps otherwise. */
	rc = port_start(d, &info, o->dpdk_mbufs, 1, errbuf, errlen);
	if (rc == 0)
		d->intr_ok = 1;
	else if (rc != -ENOBUFS && rc != -ENOMEM)
		rc = port_start(d, &info, o->dpdk_mbufs, 0, errbuf, errlen);
	if (rc != 0)
		goto fail;
	d->low_water = o->dpdk_mbufs / LOW_WATER_DIV;
	if (o->promisc && rte_eth_promiscuous_enable(d->port) != 0)
		fprintf(stderr, "usock: dpdk port %u cannot be made promiscuous; frames for "
			"USOCK_MAC may not arrive\n", d->port);
	/* IPv6: the stack filters its groups itself; the port must pass them all. */
	if (o->allmulti && rte_eth_allmulticast_enable(d->port) != 0)
		fprintf(stderr, "usock: dpdk port %u cannot receive all multicast; IPv6 "
			"neighbour discovery may not work\n", d->port);
	rte_eth_macaddr_get(d->port, &mac);
	memcpy(d->drv.mac, mac.addr_bytes, 6);
	if (rte_eth_dev_get_mtu(d->port, &mtu) == 0)
		d->drv.mtu = mtu;
	if (d->drv.mtu + RTE_ETHER_HDR_LEN + 4 > RTE_MBUF_DEFAULT_DATAROOM) {
		snprintf(errbuf, errlen, "port %u MTU %u is above the %u bytes an mbuf holds; set "
			 "the MTU to 1500", d->port, d->drv.mtu, RTE_MBUF_DEFAULT_DATAROOM);
		rte_eth_dev_stop(d->port);
		goto fail;
	}
	d->drv.offload = 0;
	if (d->tx_ol & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		d->drv.offload |= US_DRV_TX_IP4_CSUM;
	if (d->tx_ol & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)
		d->drv.offload |= US_DRV_TX_L4_CSUM;
	d->hdrs = us_pool_create(o->dpdk_mbufs > HDR_POOL_MIN ? o->dpdk_mbufs : HDR_POOL_MIN, 0, 0);
	if (d->hdrs == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		rte_eth_dev_stop(d->port);
		goto fail;
	}
	/*
	 * Link status: a virtual link is up at once, a NIC may take seconds
	 * and a memif server's link waits for its client; wait a second, then
	 * say so and go on (frames sent meanwhile are lost, as on any link).
	 */
	for (i = 0; i < 20; i++) {
		if (rte_eth_link_get_nowait(d->port, &link) == 0 && link.link_status)
			break;
		usleep(50000);
	}
	if (!link.link_status)
		fprintf(stderr, "usock: dpdk port %u (%s): link down; using it when it comes up\n",
			d->port, info.driver_name);
	d->link_up = link.link_status;
	d->link_mbps = link.link_speed;
	refresh_intr(d);
	rte_eth_stats_reset(d->port);
	memset(&d->base, 0, sizeof(d->base));
	if (rte_eth_stats_get(d->port, &d->base) != 0)
		memset(&d->base, 0, sizeof(d->base));
	return &d->drv;
fail:
	free(d);
	return NULL;
}

struct us_drv *
us_dpdk_open(const struct us_drv_opts *o, struct us_pool *pool, char *errbuf, size_t errlen)
{
	struct us_drv *d = open_port(o, pool, errbuf, errlen);

	/* The EAL's start-up messages: shown with a working port, else the error says it all. */
	eal_log_flush(d != NULL);
	return d;
}
