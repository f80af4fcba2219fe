/*
 * fuzz_frame_input.c - libFuzzer harness for the frame input path:
 * us_stack_input (Ethernet, ARP, IPv4, IPv6, ICMP, ICMPv6, neighbour
 * discovery, UDP, TCP, raw sockets) of a stack with open listeners,
 * established connections both ways over IPv4 and IPv6, UDP and raw
 * sockets.  The stack under test (b) is 198.18.0.2/24 and fd00::2/64; its
 * peer (a, 198.18.0.1 and fd00::1) is a second stack on the loop link that
 * made the connections with it and is then frozen: what b sends during
 * fuzzing is checked and dropped.
 *
 * Input: records of [flags][length, 16 bits big-endian][frame bytes]; a
 * length past the end takes what is left.  flags bits 0-3 pick how far
 * virtual time moves after the frame (step[] below), bit 4 asks the harness
 * to fill in the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum
 * before the stack sees the frame (so mutations get past the checksums).
 *
 * State persists across inputs and is rebuilt every USOCK_FUZZ_RESET
 * inputs (default 64: a rebuild costs some 6 ms under the sanitizers, 40
 * inputs' worth).  A crash file run alone starts from the rebuilt state;
 * one that needs its predecessors reproduces with the corpus replayed in
 * order.  Every rebuild tears the stacks down and aborts if a packet
 * buffer leaked.  Setup is deterministic (keys, IDs, ports and time are
 * fixed): USOCK_FUZZ_DUMP=1 prints b's connections, the sequence numbers
 * tests/data/fuzz/make_corpus.py builds its segments from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/stack.h"
#include "lib/ip/ip4.h"
#include "lib/ip/ip6.h"
#include "lib/link/link.h"
#include "lib/sock/sock.h"
#include "lib/tcp/tcp.h"
#include "lib/udp/udp.h"
#include "lib/wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS 1000000ull
#define S 1000000000ull
#define POOL 512	/* buffers per stack */
#define FIX_CKSUM 0x10	/* record flag: fill in the checksums */

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const struct us_in6 ip6_a = { { 0xfd, [15] = 1 } };
static const struct us_in6 ip6_b = { { 0xfd, [15] = 2 } };
#define IP_A 0xc6120001u
#define IP_B 0xc6120002u

/* How far time moves after a record, by its flags' low four bits. */
static const uint64_t step[16] = {
	0, 1 * MS, 10 * MS, 40 * MS, 100 * MS, 200 * MS, 500 * MS, 1 * S,
	2 * S, 5 * S, 10 * S, 31 * S, 61 * S, 0, 0, 0,
};

struct fx {
	int up;			/* set up */
	unsigned inputs;	/* since the last rebuild */
	uint64_t now;		/* virtual time */
	struct us_pool *pa, *pb;	/* their buffers */
	struct us_stack *a, *b;	/* the peer and the stack under test */
	struct us_sock *a_c4, *a_c6, *a_ls;	/* a: clients of b:80, listener on 8080 */
	struct us_sock *b_ls, *b_c4, *b_c6;	/* b: listener on 80, clients of a:8080 */
	struct us_sock *acc[4];	/* the connections both listeners accepted */
	struct us_sock *b_u4, *b_u6, *b_uc, *b_r1, *b_r2;	/* b: UDP and raw */
};

static struct fx fx;
static struct us_stats base;	/* b's counters after setup (USOCK_FUZZ_DUMP) */
static int dumping;		/* USOCK_FUZZ_DUMP set */
static unsigned reset_every = 64;

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "fuzz-frame-input: %s\n", what);
	abort();
}

/* A stack on a loop end, as the test harness makes one, its randomness fixed. */
static struct us_stack *
node(struct us_pool **pp, struct us_drv *end, uint32_t ip, const struct us_in6 *ip6,
     uint64_t seed)
{
	struct us_config c;
	struct us_stack *st;
	int i;

	memset(&c, 0, sizeof(c));
	strcpy(c.iface, "loop");
	strcpy(c.driver, "loop");
	c.ip4 = ip;
	c.plen = 24;
	c.ip6_mode = US_CFG_IP6_STATIC;
	c.ip6 = *ip6;
	c.ip6_plen = 64;
	c.pool_size = POOL;
	c.max_sockets = 64;
	*pp = us_pool_create(POOL, 2048 + 128, 128);
	if (*pp == NULL)
		die("no pool");
	end->pool = *pp;
	st = us_stack_create(&c, end, *pp, 0);
	if (st == NULL)
		die("no stack");
	/* The same keys, IDs and ports every run, so sequence numbers repeat. */
	st->rng = seed;
	for (i = 0; i < 16; i++) {
		st->tcp.isn_key[i] = (uint8_t)(seed + i);
		st->tcp.cookie_key[i] = (uint8_t)(seed + 3 * i);
		st->tcp.ts_key[i] = (uint8_t)(seed + 7 * i);
	}
	st->tcp.next_eph = 50100;
	st->udp.next_eph = 50200;
	st->ip.id = 1;
	st->ip6.id = 1;
	st->nd.reachable_ns = 30 * S;
	return st;
}

static struct us_sock *
sock(struct us_stack *st, int family, int type, int proto)
{
	int err = 0;
	struct us_sock *s = us_sock_create(st, family, type, proto, &err);

	if (s == NULL)
		die("socket");
	return s;
}

static struct us_ep
ep6(const struct us_in6 *a, uint16_t port)
{
	struct us_ep e = { .v6 = 1, .port = port };

	if (a != NULL)
		e.addr6 = *a;
	return e;
}

/*
 * A TCP client on st, bound to from (a fixed port, so sequence numbers
 * repeat from run to run) and connecting to to; run() completes the
 * handshake.
 */
static struct us_sock *
client(struct us_stack *st, int family, struct us_ep from, struct us_ep to, const char *what)
{
	struct us_sock *s = sock(st, family, USOCK_SOCK_STREAM, 0);

	if (us_tcp_bind_ep(st, s, &from) != 0)
		die(what);
	us_tcp_connect_ep(st, s, &to);
	return s;
}

/* Drops every frame b sent (they wait on a's end of the link), checking each. */
static void check_frame(const uint8_t *f, uint32_t len);

static void
drain_b(void)
{
	struct us_pkt *p[32];
	uint8_t buf[2048];
	uint16_t n, i;

	us_stack_flush(fx.b);
	while ((n = fx.a->drv->ops->rx_burst(fx.a->drv, p, 32, fx.now)) > 0)
		for (i = 0; i < n; i++) {
			uint32_t len = us_pkt_chain_read(p[i], 0, buf, sizeof(buf));

			check_frame(buf, len);
			us_pkt_free(p[i]);
		}
}

/* Runs both stacks until cond() or limit from now; idle periods jump to the next deadline. */
static int
run(int (*cond)(void), uint64_t limit)
{
	uint64_t end = fx.now + limit;

	for (;;) {
		unsigned got;

		if (cond != NULL && cond())
			return 1;
		got = us_stack_poll(fx.a, fx.now, 64);
		got += us_stack_poll(fx.b, fx.now, 64);
		if (got == 0) {
			uint64_t da = us_stack_next_deadline(fx.a), db = us_stack_next_deadline(fx.b);
			uint64_t d = da < db ? da : db;

			if (d == UINT64_MAX || d > end) {
				fx.now = end;
				us_stack_poll(fx.a, fx.now, 64);
				us_stack_poll(fx.b, fx.now, 64);
				return cond != NULL ? cond() : 0;
			}
			if (d > fx.now)
				fx.now = d;
		}
	}
}

static int
dad_done(void)
{
	int i;

	for (i = 0; i < US_IP6_NADDR; i++)
		if (fx.a->ip6.addr[i].state == US_IP6A_TENTATIVE ||
		    fx.b->ip6.addr[i].state == US_IP6A_TENTATIVE)
			return 0;
	return 1;
}

static int
all_established(void)
{
	return fx.a_c4->tcb->state == US_TCPS_ESTABLISHED &&
	       fx.a_c6->tcb->state == US_TCPS_ESTABLISHED &&
	       fx.b_c4->tcb->state == US_TCPS_ESTABLISHED &&
	       fx.b_c6->tcb->state == US_TCPS_ESTABLISHED && fx.b_ls->acc_len == 2 &&
	       fx.a_ls->acc_len == 2;
}

static void
dump(void)
{
	struct us_sock *s;

	for (s = fx.b->socks; s != NULL; s = s->anext) {
		struct us_tcb *tp = s->tcb;

		if (tp == NULL || s == fx.b_ls)
			continue;
		fprintf(stderr,
			"b %s port %u <- %u: state %d snd_una %u snd_nxt %u rcv_nxt %u "
			"ts_recent %u tsval %u wnd %u\n",
			(s->flags & US_SO_V6) ? "v6" : "v4", s->lport, s->fport, tp->state,
			tp->snd_una, tp->snd_nxt, tp->rcv_nxt, tp->ts_recent,
			us_tcp_ts_now(fx.b, tp), us_tcp_rcv_space(tp));
	}
}

static void
setup(void)
{
	struct us_drv *ea = us_loop_open(NULL, mac_a, 1500);
	struct us_drv *eb = us_loop_open(NULL, mac_b, 1500);
	struct us_ep any6 = ep6(NULL, 80);
	struct us_sock *s;
	static const char hello[100] = "hello";
	static char bulk[3000];
	int err, i;

	memset(&fx, 0, sizeof(fx));
	if (ea == NULL || eb == NULL)
		die("no loop link");
	us_loop_connect(ea, eb);
	fx.a = node(&fx.pa, ea, IP_A, &ip6_a, 0x1111);
	fx.b = node(&fx.pb, eb, IP_B, &ip6_b, 0x2222);
	us_ip6_start(fx.a);
	us_ip6_start(fx.b);
	if (!run(dad_done, 10 * S))
		die("DAD did not finish");

	/* b listens on 80 (both families); a on 8080. */
	fx.b_ls = sock(fx.b, USOCK_AF_INET6, USOCK_SOCK_STREAM, 0);
	fx.a_ls = sock(fx.a, USOCK_AF_INET6, USOCK_SOCK_STREAM, 0);
	if (us_tcp_bind_ep(fx.b, fx.b_ls, &any6) != 0 || us_tcp_listen(fx.b, fx.b_ls, 8) != 0)
		die("listen b");
	any6.port = 8080;
	if (us_tcp_bind_ep(fx.a, fx.a_ls, &any6) != 0 || us_tcp_listen(fx.a, fx.a_ls, 8) != 0)
		die("listen a");
	/* a 40000 -> b 80 over IPv4, a 40001 -> b 80 over IPv6, and b to a the same way. */
	fx.a_c4 = client(fx.a, USOCK_AF_INET, us_ep4(0, 40000), us_ep4(IP_B, 80), "bind a_c4");
	fx.a_c6 = client(fx.a, USOCK_AF_INET6, ep6(NULL, 40001), ep6(&ip6_b, 80), "bind a_c6");
	fx.b_c4 = client(fx.b, USOCK_AF_INET, us_ep4(0, 50000), us_ep4(IP_A, 8080), "bind b_c4");
	fx.b_c6 = client(fx.b, USOCK_AF_INET6, ep6(NULL, 50001), ep6(&ip6_a, 8080), "bind b_c6");
	if (!run(all_established, 10 * S))
		die("connections did not establish");
	for (i = 0; i < 2; i++) {
		fx.acc[i] = us_tcp_accept(fx.b, fx.b_ls, &err);
		fx.acc[2 + i] = us_tcp_accept(fx.a, fx.a_ls, &err);
		if (fx.acc[i] == NULL || fx.acc[2 + i] == NULL)
			die("accept");
	}
	/* Data both ways, left unread: b has bytes queued to read, a too. */
	us_tcp_send(fx.a, fx.a_c4, hello, sizeof(hello), 0);
	us_tcp_send(fx.a, fx.a_c6, hello, sizeof(hello), 0);
	us_tcp_send(fx.b, fx.b_c4, hello, sizeof(hello), 0);

	/* b's datagram sockets: UDP 53 (IPv4), 5353 (both), 5300 connected to a:53; raw ICMP and 253. */
	{
		struct us_ep e = us_ep4(0, 53), to = us_ep4(IP_A, 53);

		fx.b_u4 = sock(fx.b, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
		if (us_udp_bind_ep(fx.b, fx.b_u4, &e) != 0)
			die("bind u4");
		e = ep6(NULL, 5353);
		fx.b_u6 = sock(fx.b, USOCK_AF_INET6, USOCK_SOCK_DGRAM, 0);
		if (us_udp_bind_ep(fx.b, fx.b_u6, &e) != 0)
			die("bind u6");
		e = us_ep4(0, 5300);
		fx.b_uc = sock(fx.b, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0);
		if (us_udp_bind_ep(fx.b, fx.b_uc, &e) != 0 || us_udp_connect_ep(fx.b, fx.b_uc, &to) != 0)
			die("connect uc");
#if US_HAVE_RAW
		fx.b_r1 = sock(fx.b, USOCK_AF_INET, USOCK_SOCK_RAW, 1);
		fx.b_r2 = sock(fx.b, USOCK_AF_INET, USOCK_SOCK_RAW, 253);
#endif
	}
	run(NULL, 2 * S);
	/* Bounded receive queues, so a long run cannot hold the whole pool. */
	for (s = fx.b->socks; s != NULL; s = s->anext)
		s->rcvbuf = 32768;
	/* In flight from b, unacknowledged when a freezes: ACKs and SACKs have work. */
	for (i = 0; i < (int)sizeof(bulk); i++)
		bulk[i] = (char)i;
	us_tcp_send(fx.b, fx.acc[0], bulk, sizeof(bulk), 0);
	us_tcp_send(fx.b, fx.acc[1], bulk, sizeof(bulk), 0);
	us_stack_poll(fx.b, fx.now, 64);
	drain_b();
	dumping = getenv("USOCK_FUZZ_DUMP") != NULL;
	if (dumping)
		dump();
	base = *fx.b->stats;
	fx.up = 1;
}

/* The counters of b that moved since setup, by name. */
#define DIFF(g, n)                                                                        \
	if (fx.b->stats->g.n != base.g.n)                                                 \
		fprintf(stderr, "  %s.%s +%llu\n", #g, #n,                               \
			(unsigned long long)(fx.b->stats->g.n - base.g.n));
#define D_ETH(n, d) DIFF(eth, n)
#define D_ARP(n, d) DIFF(arp, n)
#define D_IP4(n, d) DIFF(ip4, n)
#define D_ICMP(n, d) DIFF(icmp, n)
#define D_IP6(n, d) DIFF(ip6, n)
#define D_ICMP6(n, d) DIFF(icmp6, n)
#define D_ND6(n, d) DIFF(nd6, n)
#define D_UDP(n, d) DIFF(udp, n)
#define D_TCP(n, d) DIFF(tcp, n)

static void
dump_counters(void)
{
	fprintf(stderr, "b's counters that moved:\n");
	US_ETH_STATS(D_ETH)
	US_ARP_STATS(D_ARP)
	US_IP4_STATS(D_IP4)
	US_ICMP_STATS(D_ICMP)
	US_IP6_STATS(D_IP6)
	US_ICMP6_STATS(D_ICMP6)
	US_ND6_STATS(D_ND6)
	US_UDP_STATS(D_UDP)
	US_TCP_STATS(D_TCP)
}

static void
teardown(void)
{
	struct us_leak ka, kb;
	uint32_t la, lb;

	drain_b();
	if (dumping)
		dump_counters();
	us_stack_destroy(fx.a, &ka);
	us_stack_destroy(fx.b, &kb);
	la = fx.pa->n - fx.pa->avail;
	lb = fx.pb->n - fx.pb->avail;
	if (la + lb + ka.tcbs + kb.tcbs + ka.socks + kb.socks + ka.charges + kb.charges != 0) {
		fprintf(stderr, "fuzz-frame-input: leaked: buffers a %u b %u, control blocks a %u b %u, "
			"sockets a %u b %u, ring-frame charges a %u b %u\n", la, lb, ka.tcbs, kb.tcbs,
			ka.socks, kb.socks, ka.charges, kb.charges);
		abort();
	}
	us_pool_destroy(fx.pa);
	us_pool_destroy(fx.pb);
	fx.up = 0;
}

/* The L4 checksum field's offset for proto, and how short the header may be; -1: none. */
static int
l4_sum_at(uint8_t proto, uint32_t *min)
{
	switch (proto) {
	case US_IPPROTO_TCP:
		*min = 20;
		return 16;
	case US_IPPROTO_UDP:
		*min = 8;
		return 6;
	case US_IPPROTO_ICMP:
	case US_IPPROTO_ICMPV6:
		*min = 4;
		return 2;
	default:
		return -1;
	}
}

/* Does the IPv6 header chain before the upper layer (at off) hold a fragment header? */
static int
has_frag6(const uint8_t *ip, uint32_t off)
{
	uint32_t o = US_IP6_HLEN;
	uint8_t nxt = ip[US_IP6_NXT];

	/* The header at o is of type nxt; us_ip6_upper found them all in bounds. */
	while (o < off) {
		uint32_t hlen = ((uint32_t)ip[o + 1] + 1) * 8;

		if (nxt == US_IPPROTO_FRAGMENT)
			return 1;
		nxt = ip[o];
		o += hlen;
	}
	return 0;
}

/* Fills in the checksums of an unfragmented IPv4 or IPv6 datagram in frame f. */
static void
fix_cksums(uint8_t *f, uint32_t len)
{
	uint8_t *ip = f + US_ETH_HLEN, *l4, proto;
	uint32_t l = len - US_ETH_HLEN, l4len, min;
	uint64_t sum = 0;
	uint16_t c;
	int at;

	if (len < US_ETH_HLEN)
		return;
	if (us_get16(f + 12) == US_ETHERTYPE_IPV4) {
		uint32_t ihl, tot;

		if (l < 20 || (ihl = (ip[0] & 0xfu) * 4u) < 20 || ihl > l)
			return;
		us_put16(ip + US_IP4_SUM, 0);
		us_put16(ip + US_IP4_SUM, us_cksum_fold(us_cksum_add(0, ip, ihl)));
		tot = us_get16(ip + US_IP4_LEN);
		if (tot < ihl || tot > l || (us_get16(ip + US_IP4_FRAG) & 0x3fff) != 0)
			return;
		proto = ip[US_IP4_PROTO];
		l4 = ip + ihl;
		l4len = tot - ihl;
		if (proto != US_IPPROTO_ICMP)
			sum = us_cksum_pseudo4(us_get32(ip + US_IP4_SRC), us_get32(ip + US_IP4_DST),
					       proto, l4len);
	} else if (us_get16(f + 12) == US_ETHERTYPE_IPV6) {
		struct us_in6 src, dst;
		uint32_t plen;
		int off;

		if (l < US_IP6_HLEN || (plen = us_get16(ip + US_IP6_PLEN)) + US_IP6_HLEN > l)
			return;
		off = us_ip6_upper(ip, US_IP6_HLEN + plen, &proto);
		if (off < 0 || (uint32_t)off > US_IP6_HLEN + plen || proto == US_IPPROTO_ICMP ||
		    has_frag6(ip, (uint32_t)off))
			return;
		memcpy(src.b, ip + US_IP6_SRC, 16);
		memcpy(dst.b, ip + US_IP6_DST, 16);
		l4 = ip + off;
		l4len = US_IP6_HLEN + plen - (uint32_t)off;
		sum = us_cksum_pseudo6(&src, &dst, proto, l4len);
	} else {
		return;
	}
	at = l4_sum_at(proto, &min);
	if (at < 0 || l4len < min)
		return;
	us_put16(l4 + at, 0);
	c = us_cksum_fold(us_cksum_add(sum, l4, l4len));
	/* RFC 768: UDP sends a computed zero as all ones. */
	us_put16(l4 + at, c == 0 && proto == US_IPPROTO_UDP ? 0xffff : c);
}

/* What b sends must be well formed: lengths within the frame, checksums right. */
static void
check_frame(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + US_ETH_HLEN, *l4;
	uint32_t l = len - US_ETH_HLEN, l4len, min;
	uint64_t sum = 0;
	uint8_t proto;

	if (len < US_ETH_HLEN || len > US_ETH_HLEN + 1500) {
		fprintf(stderr, "fuzz-frame-input: %u bytes:", len);
		for (uint32_t i = 0; i < len && i < 80; i++)
			fprintf(stderr, " %02x", f[i]);
		fprintf(stderr, "\n");
		die("sent a frame of a bad size");
	}
	if (us_get16(f + 12) == US_ETHERTYPE_IPV4) {
		uint32_t ihl, tot;

		if (l < 20 || (ip[0] >> 4) != 4 || (ihl = (ip[0] & 0xfu) * 4u) < 20 ||
		    (tot = us_get16(ip + US_IP4_LEN)) < ihl || tot > l)
			die("sent an IPv4 header whose lengths are wrong");
		if (us_cksum_fold(us_cksum_add(0, ip, ihl)) != 0)
			die("sent an IPv4 header with a bad checksum");
		if ((us_get16(ip + US_IP4_FRAG) & 0x3fff) != 0)
			return;
		proto = ip[US_IP4_PROTO];
		l4 = ip + ihl;
		l4len = tot - ihl;
		if (proto != US_IPPROTO_ICMP)
			sum = us_cksum_pseudo4(us_get32(ip + US_IP4_SRC), us_get32(ip + US_IP4_DST),
					       proto, l4len);
	} else if (us_get16(f + 12) == US_ETHERTYPE_IPV6) {
		struct us_in6 src, dst;
		uint32_t plen;
		int off;

		if (l < US_IP6_HLEN || (ip[0] >> 4) != 6 ||
		    (plen = us_get16(ip + US_IP6_PLEN)) + US_IP6_HLEN > l)
			die("sent an IPv6 header whose length is wrong");
		off = us_ip6_upper(ip, US_IP6_HLEN + plen, &proto);
		if (off < 0)
			return;	/* a later fragment */
		memcpy(src.b, ip + US_IP6_SRC, 16);
		memcpy(dst.b, ip + US_IP6_DST, 16);
		if ((uint32_t)off > US_IP6_HLEN + plen)
			die("sent IPv6 extension headers past the payload");
		/* Extension headers (MLD's hop-by-hop, fragments): the lengths were all. */
		if (ip[US_IP6_NXT] != proto)
			return;
		l4 = ip + off;
		l4len = US_IP6_HLEN + plen - (uint32_t)off;
		sum = us_cksum_pseudo6(&src, &dst, proto, l4len);
	} else {
		return;
	}
	if (l4_sum_at(proto, &min) < 0)
		return;
	if (l4len < min)
		die("sent a transport header cut short");
	if (us_cksum_fold(us_cksum_add(sum, l4, l4len)) != 0)
		die("sent a datagram with a bad transport checksum");
}

static void
inject(uint8_t flags, const uint8_t *frame, uint32_t len)
{
	struct us_pkt *p = us_pkt_alloc(fx.pb);

	if (p != NULL) {
		if (len > us_pkt_tailroom(p))
			len = us_pkt_tailroom(p);
		memcpy(us_pkt_append(p, len), frame, len);
		if (flags & FIX_CKSUM)
			fix_cksums(us_pkt_data(p), len);
		p->time = fx.now;
		us_stack_input(fx.b, p);
	}
	fx.now += step[flags & 0xf];
	us_stack_poll(fx.b, fx.now, 64);
	drain_b();
}

/* At exit (the end of a run or a replay), the last stacks are checked for leaks too. */
static void
at_exit(void)
{
	if (fx.up)
		teardown();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	size_t off = 0;

	if (!once) {
		const char *r = getenv("USOCK_FUZZ_RESET");

		if (r != NULL && atoi(r) > 0)
			reset_every = (unsigned)atoi(r);
		atexit(at_exit);
		once = 1;
	}
	if (!fx.up)
		setup();
	while (size - off >= 3) {
		uint8_t flags = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		inject(flags, data + off, (uint32_t)len);
		off += len;
	}
	if (++fx.inputs >= reset_every)
		teardown();
	return 0;
}
