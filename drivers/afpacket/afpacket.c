/*
 * afpacket.c - the default driver: an AF_PACKET socket on a Linux interface,
 * beside the kernel's own stack.  Receive is a memory-mapped ring whose
 * frames reach the stack in place: TPACKET_V2 by default (the kernel wakes
 * us per frame, so latency is the link's), or TPACKET_V3 with
 * USOCK_DRIVER=afpacket-v3 (frames batched in blocks that the kernel hands
 * over when full or when its block timer fires: fewer wake-ups under load,
 * but a frame on a quiet link waits for the timer, which stalls TCP's ACK
 * clock).  A frame (V2) or block (V3) goes back to the kernel when the
 * stack frees what points into it.  Transmit is one sendmmsg per burst with
 * PACKET_QDISC_BYPASS.  Frames the kernel left with a partial checksum are
 * marked so the stack does not reject them, and super-frames above the MTU
 * (GRO/GSO) are counted and dropped.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../driver.h"

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define BLOCK_SIZE	(1u << 17)	/* 128 KiB per ring block */
#define BLOCK_NR	32		/* 4 MiB of ring */
#define FRAME_SIZE	2048
#define BLOCK_TOV_MS	1		/* the kernel hands over a partly filled block after this */
#define HDR_POOL	8192		/* frames that can be held in place at once */
#define V2_FRAMES	2048		/* TPACKET_V2 ring by default: 4 MiB of 2 KiB frames */
#define RX_AHEAD	128		/* V2: slots ahead of the kernel kept free of held frames */
#define TX_BURST	64

struct afp {
	struct us_drv drv;	/* first: what the stack sees */
	int fd;			/* the AF_PACKET socket */
	int ifindex;		/* the interface */
	uint8_t *ring;		/* the mapped receive ring */
	size_t ring_len;	/* its size */
	uint32_t cur;		/* block being read */
	uint32_t left;		/* frames of cur not read yet (0: cur not started) */
	struct tpacket3_hdr *next;	/* next frame in cur */
	uint32_t refs[BLOCK_NR];	/* frames of each block still held by the stack */
	uint8_t done[BLOCK_NR];	/* block read through; returns to the kernel at refs 0 */
	uint32_t held;		/* blocks read through but still referenced */
	struct us_pool *hdrs;	/* headers for frames held in place */
	uint64_t next_stats;	/* when to read the kernel's drop count again */
	int v2;			/* TPACKET_V2 ring (else V3) */
	uint32_t frame_size;	/* V2: bytes per frame */
	uint32_t nframes;	/* V2: frames in the ring */
	uint32_t fcur;		/* V2: next frame to read */
	uint32_t fheld;		/* V2: frames held by the stack */
	struct us_pkt **holder;	/* V2: the packet holding each frame, NULL if none */
};

static struct tpacket2_hdr *
frame(struct afp *a, uint32_t i)
{
	return (struct tpacket2_hdr *)(a->ring + (size_t)i * a->frame_size);
}

/* V2 free callback: the frame goes back to the kernel, and its charge to the pool (us_pool_keep). */
static void
frame2_free(struct us_pkt *pkt, void *arg)
{
	struct afp *a = arg;
	uint32_t i = (uint32_t)((pkt->buf - a->ring) / a->frame_size);

	us_pool_uncharge(a->drv.pool, pkt);
	a->fheld--;
	a->holder[i] = NULL;
	__atomic_store_n(&frame(a, i)->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/* Free callback of a packet moved out of the ring: its data lives in a pool buffer. */
static void
moved_free(struct us_pkt *pkt, void *arg)
{
	(void)pkt;
	us_pkt_free(arg);
}

/*
 * Copies the frame the stack holds in ring slot i to a pool buffer (the
 * packet keeps its offsets; only its buffer changes) and gives the slot
 * back to the kernel.  Returns 0, or -1 when no buffer is free.
 */
static int
move_out(struct afp *a, uint32_t i)
{
	struct us_pkt *p = a->holder[i], *q;

	/* Lent to the application in place (usock_recv_borrow): it stays until given back. */
	if (p->flags & US_PKT_PINNED)
		return -1;
	q = us_pkt_alloc(a->drv.pool);
	if (q == NULL || q->cap < p->cap) {
		if (q != NULL)
			us_pkt_free(q);
		return -1;
	}
	memcpy(q->buf, p->buf, p->cap);
	p->buf = q->buf;
	p->free_cb = moved_free;
	p->free_arg = q;
	/* The buffer the pool promised for it (us_pool_keep) is taken now. */
	us_pool_uncharge(a->drv.pool, p);
	p->flags &= (uint16_t)~US_PKT_RING;
	a->fheld--;
	a->holder[i] = NULL;
	a->drv.stats->rx_copied++;
	__atomic_store_n(&frame(a, i)->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	return 0;
}

/*
 * The kernel reports the socket readable while the frame it filled last is
 * not back in its hands (packet_poll looks at the previous frame).  A frame
 * the stack keeps (unread data in a socket) would make the service thread's
 * poll return at once forever; so when the ring is drained, that one frame
 * is copied to a pool buffer and returned.
 */
static void
unstick(struct afp *a)
{
	uint32_t i = (a->fcur + a->nframes - 1) % a->nframes;

	if (a->holder[i] != NULL)
		(void)move_out(a, i);
}

static struct tpacket_block_desc *
block(struct afp *a, uint32_t i)
{
	return (struct tpacket_block_desc *)(a->ring + (size_t)i * BLOCK_SIZE);
}

static void
block_release(struct afp *a, uint32_t b)
{
	a->done[b] = 0;
	__atomic_store_n(&block(a, b)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/* Free callback of a frame held in place: the block returns when its last frame does. */
static void
frame_free(struct us_pkt *pkt, void *arg)
{
	struct afp *a = arg;
	uint32_t b = (uint32_t)((pkt->buf - a->ring) / BLOCK_SIZE);

	if (--a->refs[b] == 0 && a->done[b]) {
		a->held--;
		block_release(a, b);
	}
}

static void
afp_close(struct us_drv *d)
{
	struct afp *a = (struct afp *)d;

	if (a->ring != NULL)
		munmap(a->ring, a->ring_len);
	if (a->fd >= 0)
		close(a->fd);
	/* Frames still held point into the unmapped ring: the stack frees them first. */
	us_pool_destroy(a->hdrs);
	free(a->holder);
	free(a);
}

/* A pool copy of a frame, for when it cannot stay in the ring; NULL (counted) if none. */
static struct us_pkt *
copy_frame(struct afp *a, const uint8_t *data, uint32_t len)
{
	struct us_pkt *p = us_pkt_alloc(a->drv.pool);

	if (p == NULL || us_pkt_tailroom(p) < len) {
		if (p != NULL)
			us_pkt_free(p);
		a->drv.stats->rx_nobuf++;
		return NULL;
	}
	memcpy(us_pkt_append(p, len), data, len);
	a->drv.stats->rx_copied++;
	return p;
}

static struct us_pkt *
take_frame(struct afp *a, struct tpacket3_hdr *h)
{
	uint8_t *data = (uint8_t *)h + h->tp_mac;
	uint32_t len = h->tp_snaplen;
	struct us_pkt *p = NULL;

	/*
	 * Hold the frame in place unless too many blocks are already held:
	 * a held block is one the kernel cannot fill, and a ring of held
	 * blocks stops receive for everyone.
	 */
	if (a->held < BLOCK_NR / 4)
		p = us_pkt_alloc(a->hdrs);
	if (p != NULL) {
		p->buf = data;
		p->off = 0;
		p->len = len;
		p->cap = len;
		p->free_cb = frame_free;
		p->free_arg = a;
		a->refs[a->cur]++;
		return p;
	}
	return copy_frame(a, data, len);
}

/* Adds the frames the kernel could not put in the ring (full) to our counters. */
static void
read_kernel_drops(struct afp *a, uint64_t now)
{
	struct tpacket_stats_v3 ks;
	socklen_t len = sizeof(ks);

	/* Once a second at most: the read is a syscall, and it resets the kernel's count. */
	if (now < a->next_stats)
		return;
	a->next_stats = now + 1000000000ull;
	if (getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) == 0)
		a->drv.stats->rx_kernel_drops += ks.tp_drops;
}

static uint16_t
afp_rx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct afp *a = (struct afp *)d;
	uint16_t k = 0;

	read_kernel_drops(a, now);

	while (k < n) {
		struct tpacket_block_desc *bd = block(a, a->cur);
		struct tpacket3_hdr *h;
		struct us_pkt *p;

		if (a->left == 0) {
			/*
			 * The ring came round to a block whose frames the stack still
			 * holds: its status still says USER but it is old.  Reading it
			 * again would hand out frames twice (and the kernel would write
			 * over them once returned).  Wait until it is released; the
			 * kernel waits there too.
			 */
			if (a->done[a->cur])
				break;
			if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
			     TP_STATUS_USER) == 0)
				break;
			a->left = bd->hdr.bh1.num_pkts;
			a->next = (struct tpacket3_hdr *)((uint8_t *)bd +
							  bd->hdr.bh1.offset_to_first_pkt);
			if (a->left == 0) {
				block_release(a, a->cur);
				a->cur = (a->cur + 1) % BLOCK_NR;
				continue;
			}
		}
		h = a->next;
		a->next = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
		a->left--;
		if (h->tp_snaplen > d->mtu + 18 ||
		    h->tp_snaplen != h->tp_len) {
			/* A GRO/GSO super-frame or a truncated one: never parse it as a frame. */
			d->stats->rx_toobig++;
		} else if ((p = take_frame(a, h)) != NULL) {
			if (h->tp_status & TP_STATUS_CSUMNOTREADY) {
				/* Sent by this host's kernel with the checksum left to hardware. */
				d->stats->rx_csum_partial++;
				p->flags |= US_PKT_CSUM_OK;
			}
			p->time = now;
			d->stats->rx_pkts++;
			d->stats->rx_bytes += p->len;
			pkts[k++] = p;
		}
		if (a->left == 0) {
			/* Block read through: back to the kernel now, or when its last frame is freed. */
			if (a->refs[a->cur] == 0) {
				block_release(a, a->cur);
			} else {
				a->done[a->cur] = 1;
				a->held++;
			}
			a->cur = (a->cur + 1) % BLOCK_NR;
		}
	}
	return k;
}

static uint16_t
afp_rx2(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct afp *a = (struct afp *)d;
	uint16_t k = 0;

	read_kernel_drops(a, now);
	while (k < n) {
		struct tpacket2_hdr *h = frame(a, a->fcur);
		uint32_t status;
		uint8_t *data;
		struct us_pkt *p = NULL;

		/*
		 * The ring came round to a frame the stack still holds (a segment
		 * kept out of order, unread data): its status still says USER, but
		 * it is old.  Read as new, it would be handed out twice and given
		 * back while the first holder still points into it, and the kernel
		 * would overwrite that data.  The kernel stops at this slot too
		 * (and drops what arrives) until it is back: move it out now.
		 */
		if (a->holder[a->fcur] != NULL && move_out(a, a->fcur) != 0) {
			d->stats->rx_nobuf++;
			break;
		}
		status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		if (!(status & TP_STATUS_USER))
			break;
		data = (uint8_t *)h + h->tp_mac;
		a->fcur = (a->fcur + 1) % a->nframes;
		if (h->tp_snaplen > d->mtu + 18 || h->tp_snaplen != h->tp_len) {
			d->stats->rx_toobig++;
			__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
			continue;
		}
		/*
		 * In place, unless a quarter of the ring is already held (then
		 * copy) -- or the pool is down to its reserve: the frame (an ACK,
		 * most likely) is still taken in; whether its data may stay is
		 * the stack's to say (us_pool_keep), and what does not is
		 * freed before the ring comes round.
		 */
		if (a->fheld < a->nframes / 4 || a->drv.pool->avail <= us_pool_reserve(a->drv.pool))
			p = us_pkt_alloc(a->hdrs);
		if (p != NULL) {
			p->buf = data;
			p->off = 0;
			p->len = h->tp_snaplen;
			p->cap = h->tp_snaplen;
			p->flags |= US_PKT_RING;
			p->free_cb = frame2_free;
			p->free_arg = a;
			a->fheld++;
			a->holder[(a->fcur + a->nframes - 1) % a->nframes] = p;
		} else {
			p = copy_frame(a, data, h->tp_snaplen);
			__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
			if (p == NULL)
				continue;
		}
		if (status & TP_STATUS_CSUMNOTREADY) {
			d->stats->rx_csum_partial++;
			p->flags |= US_PKT_CSUM_OK;
		}
		p->time = now;
		d->stats->rx_pkts++;
		d->stats->rx_bytes += p->len;
		pkts[k++] = p;
	}
	if (a->fheld > 0) {
		uint32_t j;

		/*
		 * The kernel stops at a slot we hold (and drops what arrives)
		 * instead of skipping it: keep the slots it fills next free, so
		 * a burst that arrives while we sleep is not lost.
		 */
		for (j = 0; j < RX_AHEAD; j++) {
			uint32_t i = (a->fcur + j) % a->nframes;

			if (a->holder[i] != NULL && move_out(a, i) != 0)
				break;
		}
		if (k == 0)
			unstick(a);
	}
	return k;
}

static uint16_t
afp_tx(struct us_drv *d, struct us_pkt **pkts, uint16_t n, uint64_t now)
{
	struct afp *a = (struct afp *)d;
	struct mmsghdr msgs[TX_BURST];
	struct iovec iov[TX_BURST * 4];
	uint16_t i, m = 0, sent = 0;
	unsigned vi = 0;
	int rc;

	(void)now;
	if (n > TX_BURST)
		n = TX_BURST;
	for (i = 0; i < n; i++) {
		struct us_pkt *p;
		unsigned first = vi;

		for (p = pkts[i]; p != NULL && vi - first < 4; p = p->next) {
			iov[vi].iov_base = us_pkt_data(p);
			iov[vi].iov_len = p->len;
			vi++;
		}
		memset(&msgs[m], 0, sizeof(msgs[m]));
		msgs[m].msg_hdr.msg_iov = &iov[first];
		msgs[m].msg_hdr.msg_iovlen = vi - first;
		m++;
	}
	while (sent < m) {
		rc = sendmmsg(a->fd, msgs + sent, m - sent, MSG_DONTWAIT);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		sent += (uint16_t)rc;
	}
	for (i = 0; i < sent; i++) {
		d->stats->tx_pkts++;
		d->stats->tx_bytes += us_pkt_chain_len(pkts[i]);
		us_pkt_free(pkts[i]);
	}
	return sent;
}

static uint64_t
afp_deadline(const struct us_drv *d)
{
	(void)d;
	return UINT64_MAX;
}

static const struct us_drv_ops afp_ops = {
	.name = "afpacket-v3",
	.close = afp_close,
	.rx_burst = afp_rx,
	.tx_burst = afp_tx,
	.next_deadline = afp_deadline,
};

static const struct us_drv_ops afp2_ops = {
	.name = "afpacket",
	.close = afp_close,
	.rx_burst = afp_rx2,
	.tx_burst = afp_tx,
	.next_deadline = afp_deadline,
};

/* Opens an AF_PACKET ring on iface.  Returns NULL with the reason in errbuf. */
struct us_drv *
us_afpacket_open(const char *iface, struct us_pool *pool, int promisc, int allmulti,
		 int ring_v3, uint32_t ring_frames, char *errbuf, size_t errlen)
{
	struct afp *a;
	struct ifreq ifr;
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	int v;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	us_drv_init(&a->drv, &afp_ops, pool);
	a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (a->fd < 0) {
		snprintf(errbuf, errlen, "cannot open an AF_PACKET socket: %s (run as root or "
			 "give the program CAP_NET_RAW)", strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	if (strlen(iface) >= sizeof(ifr.ifr_name)) {
		/* The precision bounds the output: 32-bit GCC warns that %s could pass INT_MAX. */
		snprintf(errbuf, errlen, "interface name \"%.64s\" is too long (at most %zu characters)",
			 iface, sizeof(ifr.ifr_name) - 1);
		goto fail;
	}
	strcpy(ifr.ifr_name, iface);
	if (ioctl(a->fd, SIOCGIFINDEX, &ifr) < 0) {
		snprintf(errbuf, errlen, "no interface \"%s\" (see ip link)", iface);
		goto fail;
	}
	a->ifindex = ifr.ifr_ifindex;
	if (ioctl(a->fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(a->drv.mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(a->fd, SIOCGIFMTU, &ifr) == 0)
		a->drv.mtu = (uint32_t)ifr.ifr_mtu;
	if (a->drv.mtu > FRAME_SIZE * 4) {
		snprintf(errbuf, errlen, "interface MTU %u is above the supported %u",
			 a->drv.mtu, FRAME_SIZE * 4);
		goto fail;
	}
	a->v2 = !ring_v3;
	v = a->v2 ? TPACKET_V2 : TPACKET_V3;
	if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		snprintf(errbuf, errlen, "TPACKET_V%d not supported: %s", a->v2 ? 2 : 3,
			 strerror(errno));
		goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = BLOCK_SIZE;
	if (a->v2) {
		/* A frame holds the header, the address and the largest frame the link passes. */
		a->frame_size = FRAME_SIZE;
		while (a->frame_size < a->drv.mtu + 18 + 128)
			a->frame_size *= 2;
		/* USOCK_RING: a whole number of blocks (config checks it), V2_FRAMES by default. */
		a->nframes = ring_frames != 0 ? ring_frames : V2_FRAMES;
		if (a->nframes % (BLOCK_SIZE / a->frame_size) != 0)
			a->nframes += BLOCK_SIZE / a->frame_size - a->nframes % (BLOCK_SIZE / a->frame_size);
		req.tp_frame_size = a->frame_size;
		req.tp_frame_nr = a->nframes;
		req.tp_block_nr = a->nframes / (BLOCK_SIZE / a->frame_size);
		a->drv.ops = &afp2_ops;
		a->holder = calloc(a->nframes, sizeof(*a->holder));
		if (a->holder == NULL) {
			snprintf(errbuf, errlen, "out of memory");
			goto fail;
		}
		a->ring_len = (size_t)a->frame_size * a->nframes;
	} else {
		req.tp_block_nr = BLOCK_NR;
		req.tp_frame_size = FRAME_SIZE;
		req.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR;
		req.tp_retire_blk_tov = BLOCK_TOV_MS;
		a->ring_len = (size_t)BLOCK_SIZE * BLOCK_NR;
	}
	if (setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		snprintf(errbuf, errlen, "cannot set up the receive ring: %s", strerror(errno));
		goto fail;
	}
	a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED,
		       a->fd, 0);
	if (a->ring == MAP_FAILED)
		a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	if (a->ring == MAP_FAILED) {
		a->ring = NULL;
		snprintf(errbuf, errlen, "cannot map the receive ring: %s", strerror(errno));
		goto fail;
	}
	/* Our own transmissions would otherwise come back on the ring. */
	v = 1;
	(void)setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &v, sizeof(v));
	v = 1;
	(void)setsockopt(a->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &v, sizeof(v));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = a->ifindex;
	if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(errbuf, errlen, "cannot bind to \"%s\": %s", iface, strerror(errno));
		goto fail;
	}
	if (promisc || allmulti) {
		struct packet_mreq mr;

		/*
		 * Our own MAC: the NIC must pass frames for an address it does
		 * not own.  IPv6 groups: it filters multicast by the groups the
		 * kernel joined, not ours.  Promiscuous covers both.
		 */
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = a->ifindex;
		mr.mr_type = promisc ? PACKET_MR_PROMISC : PACKET_MR_ALLMULTI;
		if (setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			snprintf(errbuf, errlen, "cannot set \"%s\" %s: %s", iface,
				 promisc ? "promiscuous" : "to receive all multicast", strerror(errno));
			goto fail;
		}
	}
	/* Headers for frames held in place: at most a quarter of a V2 ring is held (4 per frame). */
	a->hdrs = us_pool_create(a->v2 && a->nframes < HDR_POOL ? a->nframes : HDR_POOL, 0, 0);
	if (a->hdrs == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	a->drv.fd = a->fd;
	return &a->drv;
fail:
	afp_close(&a->drv);
	return NULL;
}
