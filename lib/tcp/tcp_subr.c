/*
 * tcp_subr.c - TCP plumbing: control blocks, the connection and listener
 * tables (O(1) lookup by 4-tuple), the timer heap that gives the stack its
 * next deadline, initial sequence numbers (RFC 6528), option parsing
 * (RFC 9293 3.1, RFC 7323, RFC 2018) and the RTO estimator (RFC 6298).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "usock.h"
#include "../core/stack.h"
#include "../core/table.h"
#include "../ip/ip6.h"
#include "../sock/sock.h"
#include "../wire/wire.h"
#include "tcp.h"

#define US_TCP_RTO_INIT_US	1000000u	/* RFC 6298 2.1: 1 s before any sample */
#define US_TCP_RTO_MIN_US	200000u		/* Linux's floor; RFC 6298 allows below 1 s */
#define US_TCP_RTO_MAX_US	120000000u	/* RFC 6298 2.5: at least 60 s */

/* SipHash-2-4 (Aumasson, Bernstein): a keyed hash, so ISNs and cookies cannot be predicted. */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                          \
	do {                                                                              \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                 \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                    \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                    \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                 \
	} while (0)

uint64_t
us_siphash(const uint8_t key[16], const uint64_t *words, int n)
{
	uint64_t k0, k1, v0, v1, v2, v3, m;
	int i;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v0 = k0 ^ 0x736f6d6570736575ull;
	v1 = k1 ^ 0x646f72616e646f6dull;
	v2 = k0 ^ 0x6c7967656e657261ull;
	v3 = k1 ^ 0x7465646279746573ull;
	for (i = 0; i < n; i++) {
		m = words[i];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)(n * 8) << 56;
	v3 ^= m;
	SIPROUND;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* An IPv6 address folded to 32 bits, for the bucket hash only. */
static uint32_t
fold6(const struct us_in6 *a)
{
	return us_get32(a->b) ^ us_get32(a->b + 4) ^ us_get32(a->b + 8) ^ us_get32(a->b + 12);
}

static uint32_t
conn_hash(const struct us_stack *st, const struct us_tcp_ends *e)
{
	uint32_t laddr = e->v6 ? fold6(&e->laddr6) : e->laddr;
	uint32_t faddr = e->v6 ? fold6(&e->faddr6) : e->faddr;
	uint64_t salt;
	uint64_t h;

	memcpy(&salt, st->tcp.isn_key + 8, 8);
	/* Salted so a remote host cannot aim many connections at one bucket. */
	h = ((uint64_t)faddr << 32 | (uint64_t)e->fport << 16 | e->lport) ^ salt;
	h ^= (uint64_t)laddr * 0x9e3779b97f4a7c15ull;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h & (st->tcp.nhash - 1);
}

/*
 * The timestamp secret from the kernel's boot ID, so that every usock
 * process of this boot gives a peer the same, ever-growing TSval clock
 * (as Linux's per-boot secret does).  A new process may then reuse a
 * 4-tuple its predecessor left in the peer's TIME_WAIT (RFC 6191), which
 * random offsets would refuse half the time.  Left random if unreadable.
 */
static void
boot_key(uint8_t key[16])
{
	char id[64];
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	int i = 0, j;

	if (f == NULL)
		return;
	if (fgets(id, sizeof(id), f) != NULL) {
		uint8_t k[16];

		for (j = 0; id[j] != '\0' && i < 32; j++) {
			char c = id[j];
			int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

			if (v < 0)
				continue;
			k[i / 2] = (uint8_t)(i % 2 ? k[i / 2] | v : v << 4);
			i++;
		}
		if (i == 32)
			memcpy(key, k, 16);
	}
	fclose(f);
}

/*
 * The words the keyed hashes (ISN, timestamp offset, cookies) take: both
 * addresses, then the ports when ports is set.  Returns how many.
 */
static int
ends_words(const struct us_tcp_ends *e, int ports, uint64_t w[5])
{
	int n;

	if (e->v6) {
		memcpy(&w[0], e->laddr6.b, 8);
		memcpy(&w[1], e->laddr6.b + 8, 8);
		memcpy(&w[2], e->faddr6.b, 8);
		memcpy(&w[3], e->faddr6.b + 8, 8);
		n = 4;
	} else {
		w[0] = (uint64_t)e->laddr << 32 | e->faddr;
		n = 1;
	}
	if (ports)
		w[n++] = (uint64_t)e->lport << 16 | e->fport;
	return n;
}

uint32_t
us_tcp_ts_offset(const struct us_stack *st, const struct us_tcp_ends *e)
{
	uint64_t w[5];
	int n = ends_words(e, 0, w);

	return (uint32_t)us_siphash(st->tcp.ts_key, w, n);
}

uint32_t
us_tcp_cookie_words(const struct us_tcp_ends *e, uint64_t w[5])
{
	return (uint32_t)ends_words(e, 1, w);
}

void
us_tcp_ends_sock(const struct us_sock *so, struct us_tcp_ends *e)
{
	e->v6 = (so->flags & US_SO_V6) != 0;
	e->lport = so->lport;
	e->fport = so->fport;
	e->laddr = so->laddr;
	e->faddr = so->faddr;
	if (e->v6) {
		e->laddr6 = so->laddr6;
		e->faddr6 = so->faddr6;
	}
}

void
us_tcp_ends_pkt(const struct us_pkt *pkt, uint16_t dport, uint16_t sport, struct us_tcp_ends *e)
{
	e->v6 = (pkt->flags & US_PKT_IP6) != 0;
	e->lport = dport;
	e->fport = sport;
	if (e->v6) {
		e->laddr = e->faddr = 0;
		e->laddr6 = pkt->ip6_dst;
		e->faddr6 = pkt->ip6_src;
	} else {
		e->laddr = pkt->ip_dst;
		e->faddr = pkt->ip_src;
	}
}

uint16_t
us_tcp_our_mss(const struct us_stack *st, const struct us_sock *so)
{
	if (so->flags & US_SO_V6)
		return (uint16_t)(us_ip6_path_mtu(st, &so->faddr6) - US_IP6_HLEN - US_TCP_HLEN);
	return (uint16_t)(st->mtu - US_IP4_HLEN - US_TCP_HLEN);
}

/* The tables' sizes at start, and the least they shrink back to (tables_fit). */
#define NHASH_MIN	1024
#define HEAP_MIN	1024

static void tables_fit(struct us_stack *st);

int
us_tcp_init(struct us_stack *st)
{
	uint32_t i;

	st->tcp.nhash = NHASH_MIN;
	st->tcp.hash = us_table_resize(NULL, 0, st->tcp.nhash * sizeof(*st->tcp.hash));
	st->tcp.nlhash = 256;
	st->tcp.lhash = calloc(st->tcp.nlhash, sizeof(*st->tcp.lhash));
	st->tcp.heapcap = HEAP_MIN;
	st->tcp.heap = us_table_resize(NULL, 0, st->tcp.heapcap * sizeof(*st->tcp.heap));
	if (st->tcp.hash == NULL || st->tcp.lhash == NULL || st->tcp.heap == NULL)
		return -ENOMEM;
	for (i = 0; i < 16; i++) {
		st->tcp.isn_key[i] = (uint8_t)us_stack_rand(st);
		st->tcp.cookie_key[i] = (uint8_t)us_stack_rand(st);
		st->tcp.ts_key[i] = (uint8_t)us_stack_rand(st);
	}
	boot_key(st->tcp.ts_key);
	st->tcp.next_eph = (uint16_t)(49152 + us_stack_rand(st) % 16384);
	st->tcp.default_cc = &us_tcp_cubic;
	return 0;
}

void
us_tcp_fini(struct us_stack *st)
{
	uint32_t i;

	/* What is left are connections the application let go of (TIME_WAIT, closing). */
	if (st->tcp.hash != NULL)
		for (i = 0; i < st->tcp.nhash; i++)
			while (st->tcp.hash[i] != NULL)
				us_tcp_orphan_free(st, st->tcp.hash[i]);
	while (st->tcp.nheap > 0)
		us_tcp_orphan_free(st, st->tcp.heap[0]);
	us_tcp_sack_fini(st);
	us_table_resize(st->tcp.hash, st->tcp.nhash * sizeof(*st->tcp.hash), 0);
	free(st->tcp.lhash);
	us_table_resize(st->tcp.heap, st->tcp.heapcap * sizeof(*st->tcp.heap), 0);
	st->tcp.hash = NULL;
	st->tcp.lhash = NULL;
	st->tcp.heap = NULL;
}

/* --- timer heap: earliest deadline first, keyed on each tcb's nearest timer --- */

/*
 * Deadlines are 32-bit milliseconds compared as serial numbers (RFC 1982
 * style), which holds while all pending deadlines lie within 24 days of
 * each other; the longest timer is a 9-hour keepalive.
 */
#define MS_LT(a, b)	((int32_t)((a) - (b)) < 0)

static uint32_t
ms_ceil(uint64_t ns)
{
	uint32_t ms = (uint32_t)((ns + 999999) / 1000000);

	return ms != 0 ? ms : 1;	/* 0 means off */
}

/* The tcb's earliest deadline (0: none). */
static uint32_t
tcb_key(const struct us_tcb *tp)
{
	uint32_t k = 0;
	int i;

	for (i = 0; i < US_TCPT_NTIMERS; i++)
		if (tp->t_timer[i] != 0 && (k == 0 || MS_LT(tp->t_timer[i], k)))
			k = tp->t_timer[i];
	return k;
}

static int
key_lt(const struct us_tcb *a, const struct us_tcb *b)
{
	return MS_LT(tcb_key(a), tcb_key(b));
}

static void
heap_swap(struct us_tcp *t, uint32_t a, uint32_t b)
{
	struct us_tcb *x = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->heap[a]->t_heap = a;
	t->heap[b]->t_heap = b;
}

static void
heap_up(struct us_tcp *t, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!key_lt(t->heap[i], t->heap[p]))
			break;
		heap_swap(t, p, i);
		i = p;
	}
}

static void
heap_down(struct us_tcp *t, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->nheap && key_lt(t->heap[l], t->heap[m]))
			m = l;
		if (r < t->nheap && key_lt(t->heap[r], t->heap[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(t, i, m);
		i = m;
	}
}

static void
heap_remove(struct us_tcp *t, struct us_tcb *tp)
{
	uint32_t i = tp->t_heap;

	if (i == UINT32_MAX)
		return;
	t->nheap--;
	if (i != t->nheap) {
		t->heap[i] = t->heap[t->nheap];
		t->heap[i]->t_heap = i;
		heap_down(t, i);
		heap_up(t, i);
	}
	tp->t_heap = UINT32_MAX;
}

void
us_tcp_timer_set(struct us_stack *st, struct us_tcb *tp, int which, uint64_t when)
{
	struct us_tcp *t = &st->tcp;

	tp->t_timer[which] = when != 0 ? ms_ceil(when) : 0;
	if (tcb_key(tp) == 0) {
		heap_remove(t, tp);
		return;
	}
	if (tp->t_heap == UINT32_MAX) {
		if (t->nheap == t->heapcap) {
			struct us_tcb **h = us_table_resize(t->heap, t->heapcap * sizeof(*h),
							    2 * t->heapcap * sizeof(*h));

			if (h == NULL) {
				/* Cannot track the timer: better to fail the connection than hang it. */
				tp->t_timer[which] = 0;
				return;
			}
			t->heap = h;
			t->heapcap *= 2;
		}
		tp->t_heap = t->nheap;
		t->heap[t->nheap++] = tp;
		heap_up(t, tp->t_heap);
		return;
	}
	heap_up(t, tp->t_heap);
	heap_down(t, tp->t_heap);
}

/* A deadline in ns, from its milliseconds and the stack's clock. */
static uint64_t
ms_to_ns(const struct us_stack *st, uint32_t ms)
{
	uint64_t now_ms = st->now / 1000000;
	int32_t d = (int32_t)(ms - (uint32_t)now_ms);

	return d <= 0 ? st->now : (now_ms + (uint64_t)d) * 1000000;
}

uint64_t
us_tcp_timer_when(const struct us_stack *st, const struct us_tcb *tp, int which)
{
	return tp->t_timer[which] != 0 ? ms_to_ns(st, tp->t_timer[which]) : 0;
}

uint64_t
us_tcp_next_deadline(const struct us_stack *st)
{
	return st->tcp.nheap > 0 ? ms_to_ns(st, tcb_key(st->tcp.heap[0])) : UINT64_MAX;
}

/* Runs every TCP timer due by now (handlers in tcp_timer.c). */
void us_tcp_timer_fire(struct us_stack *st, struct us_tcb *tp, int which);

void
us_tcp_timers(struct us_stack *st, uint64_t now)
{
	uint32_t now_ms = (uint32_t)(now / 1000000);

	while (st->tcp.nheap > 0) {
		struct us_tcb *tp = st->tcp.heap[0];
		int i, which = -1;

		for (i = 0; i < US_TCPT_NTIMERS; i++)
			if (tp->t_timer[i] != 0 && !MS_LT(now_ms, tp->t_timer[i]) &&
			    (which < 0 || MS_LT(tp->t_timer[i], tp->t_timer[which])))
				which = i;
		if (which < 0)
			break;
		us_tcp_timer_set(st, tp, which, 0);
		us_tcp_timer_fire(st, tp, which);
	}
	tables_fit(st);
}

/* --- control blocks and tables --- */

struct us_tcb *
us_tcb_new(struct us_stack *st, struct us_sock *so)
{
	struct us_tcb *tp = calloc(1, sizeof(*tp));

	if (tp == NULL)
		return NULL;
	st->tcp.ntcb++;
	tp->so = so;
	tp->state = US_TCPS_CLOSED;
	tp->t_heap = UINT32_MAX;
	tp->t_rto = US_TCP_RTO_INIT_US;
	tp->t_ourmss = (uint16_t)(st->mtu - 40);
	tp->t_maxseg = 536;	/* RFC 9293 3.7.1: until the peer says otherwise */
	tp->t_flags = US_TF_REQ_SCALE | US_TF_REQ_TSTMP;
	tp->t_keepidle = 7200;
	tp->t_keepintvl = 75;
	tp->t_keepmax = 9;
	tp->snd_ssthresh = UINT32_MAX;
	tp->cc = st->tcp.default_cc;
	tp->ts_offset = us_stack_rand(st);
	return tp;
}

void
us_tcb_free(struct us_stack *st, struct us_tcb *tp)
{
	int i;

	for (i = 0; i < US_TCPT_NTIMERS; i++)
		tp->t_timer[i] = 0;
	heap_remove(&st->tcp, tp);
	us_tcp_hash_remove(st, tp);
	/* A segment lent to the application stays with its socket until given back. */
	if (tp->so != NULL && tp->so->lent != NULL && tp->so->lent == tp->rcv_head) {
		tp->rcv_head = tp->rcv_head->qnext;
		tp->so->lent->qnext = NULL;
	}
	us_pkt_free_queue(tp->rcv_head);
	us_pkt_free_queue(tp->ooo);
	us_pkt_free(tp->snd_head);
	us_tcp_sack_put(st, tp, 1);
	if (tp->so != NULL)
		tp->so->tcb = NULL;
	st->tcp.ntcb--;
	free(tp);
}

void
us_tcp_orphan_free(struct us_stack *st, struct us_tcb *tp)
{
	struct us_sock *so = tp->so;

	us_tcb_free(st, tp);
	if (so != NULL)
		us_sock_unref(st, so);
}

uint32_t
us_tcp_usnow(const struct us_stack *st)
{
	uint32_t us = (uint32_t)(st->now / 1000);

	return us != 0 ? us : 1;
}

static const char *const state_names[] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT",
	"FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT",
};

void
us_tcp_set_state(struct us_stack *st, struct us_tcb *tp, int state)
{
	static int trace = -1;

	if (trace < 0)
		trace = getenv("USOCK_TCP_TRACE") != NULL;
	if (trace)
		fprintf(stderr, "usock: %llu.%03llu tcp %u -> %u:%u %s -> %s\n",
			(unsigned long long)(st->now / 1000000000ull),
			(unsigned long long)(st->now / 1000000ull % 1000), tp->so ? tp->so->lport : 0,
			tp->so ? tp->so->faddr & 0xff : 0, tp->so ? tp->so->fport : 0,
			state_names[tp->state], state_names[state]);
	if (state == US_TCPS_ESTABLISHED && tp->state < US_TCPS_ESTABLISHED)
		st->stats->tcp.conn_established++;
	tp->state = (uint8_t)state;
}

/* Moves every connection to a table of n buckets. */
static void
rehash(struct us_stack *st, uint32_t n)
{
	struct us_tcb **old = st->tcp.hash, **h = us_table_resize(NULL, 0, n * sizeof(*h));
	uint32_t oldn = st->tcp.nhash, i;

	if (h == NULL)
		return;	/* longer chains, still correct */
	st->tcp.hash = h;
	st->tcp.nhash = n;
	for (i = 0; i < oldn; i++) {
		struct us_tcb *tp = old[i];

		while (tp != NULL) {
			struct us_tcb *next = tp->t_hnext;
			struct us_tcp_ends e;
			uint32_t b;

			us_tcp_ends_sock(tp->so, &e);
			b = conn_hash(st, &e);

			tp->t_hnext = h[b];
			h[b] = tp;
			tp = next;
		}
	}
	us_table_resize(old, oldn * sizeof(*old), 0);
}

/*
 * Once a surge of connections is over, gives back what the tables grew for
 * it, so that the memory returns (they double at 2 connections a bucket
 * and halve below 1 in 4: no flapping).  Called between events, never from
 * inside a walk of the table.
 */
static void
tables_fit(struct us_stack *st)
{
	struct us_tcp *t = &st->tcp;
	uint32_t n = t->nhash;
	int shrank = 0;

	while (n > NHASH_MIN && t->nconn < n / 4)
		n /= 2;
	if (n != t->nhash) {
		rehash(st, n);
		shrank = 1;
	}
	n = t->heapcap;
	while (n > HEAP_MIN && t->nheap < n / 4)
		n /= 2;
	if (n != t->heapcap) {
		struct us_tcb **h = us_table_resize(t->heap, t->heapcap * sizeof(*h), n * sizeof(*h));

		if (h != NULL) {
			t->heap = h;
			t->heapcap = n;
		}
		shrank = 1;
	}
	/*
	 * The connections' memory, freed, stays with malloc, which returns
	 * only what lies above its highest block in use.  After a surge (when
	 * the tables shrink, and when its last connection goes) hand the free
	 * pages back.  glibc only; rare, so its cost does not matter.
	 */
	if (shrank)
		t->trim = 1;
#ifdef __GLIBC__
	if (shrank || (t->trim && t->nconn == 0))
		malloc_trim(0);
#endif
	if (t->nconn == 0)
		t->trim = 0;
}

int
us_tcp_hash_insert(struct us_stack *st, struct us_tcb *tp)
{
	struct us_tcp_ends e;
	uint32_t b;

	us_tcp_ends_sock(tp->so, &e);
	if (us_tcp_lookup(st, &e) != NULL)
		return -EADDRINUSE;
	if (st->tcp.nconn >= 2 * st->tcp.nhash)
		rehash(st, 2 * st->tcp.nhash);
	b = conn_hash(st, &e);
	tp->t_hnext = st->tcp.hash[b];
	st->tcp.hash[b] = tp;
	st->tcp.nconn++;
	return 0;
}

void
us_tcp_hash_remove(struct us_stack *st, struct us_tcb *tp)
{
	struct us_sock *so = tp->so;
	struct us_tcp_ends e;
	struct us_tcb **pp;

	/* Hashed connections have a remote port; a socket that never connected has none. */
	if (so == NULL || so->fport == 0)
		return;
	us_tcp_ends_sock(so, &e);
	for (pp = &st->tcp.hash[conn_hash(st, &e)]; *pp != NULL; pp = &(*pp)->t_hnext)
		if (*pp == tp) {
			*pp = tp->t_hnext;
			tp->t_hnext = NULL;
			st->tcp.nconn--;
			return;
		}
}

struct us_tcb *
us_tcp_lookup(struct us_stack *st, const struct us_tcp_ends *e)
{
	struct us_tcb *tp;

	for (tp = st->tcp.hash[conn_hash(st, e)]; tp != NULL; tp = tp->t_hnext) {
		struct us_sock *so = tp->so;

		if (so->lport != e->lport || so->fport != e->fport ||
		    !(so->flags & US_SO_V6) != !e->v6)
			continue;
		if (e->v6 ? us_in6_eq(&so->faddr6, &e->faddr6) && us_in6_eq(&so->laddr6, &e->laddr6)
			  : so->faddr == e->faddr && so->laddr == e->laddr)
			return tp;
	}
	return NULL;
}

struct us_sock *
us_tcp_lookup_listener(struct us_stack *st, const struct us_tcp_ends *e)
{
	struct us_sock *so, *wild = NULL;

	for (so = st->tcp.lhash[e->lport & (st->tcp.nlhash - 1)]; so != NULL; so = so->hnext) {
		int m;

		if (so->lport != e->lport)
			continue;
		m = us_sock_local_match(so, e->v6, e->laddr, &e->laddr6);
		if (m == 2)
			return so;
		if (m == 1 && (wild == NULL || (wild->flags & US_SO_V6)))
			wild = so;	/* for IPv4, an AF_INET wildcard beats a dual-stack one */
	}
	return wild;
}

uint32_t
us_tcp_active(const struct us_stack *st)
{
	uint32_t i, n = 0;

	for (i = 0; i < st->tcp.nhash; i++) {
		const struct us_tcb *tp;

		for (tp = st->tcp.hash[i]; tp != NULL; tp = tp->t_hnext)
			n += tp->state != US_TCPS_TIME_WAIT && tp->state != US_TCPS_CLOSED;
	}
	return n;
}

uint32_t
us_tcp_iss(struct us_stack *st, const struct us_tcp_ends *e)
{
	uint64_t w[5];
	int n = ends_words(e, 1, w);

	/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 us clock. */
	return (uint32_t)us_siphash(st->tcp.isn_key, w, n) + (uint32_t)(st->now / 4000);
}

uint32_t
us_tcp_ts_now(const struct us_stack *st, const struct us_tcb *tp)
{
	/* RFC 7323 5.4: a 1 ms clock, offset per connection so it reveals no uptime. */
	return (uint32_t)(st->now / 1000000u) + tp->ts_offset;
}

void
us_tcp_drop(struct us_stack *st, struct us_tcb *tp, int err)
{
	struct us_sock *so = tp->so;
	int i;

	if (tp->state >= US_TCPS_ESTABLISHED || tp->state == US_TCPS_SYN_RECEIVED)
		st->stats->tcp.conn_closed++;
	us_tcp_set_state(st, tp, US_TCPS_CLOSED);
	for (i = 0; i < US_TCPT_NTIMERS; i++)
		us_tcp_timer_set(st, tp, i, 0);
	us_tcp_hash_remove(st, tp);
	if (so == NULL || (tp->t_flags & US_TF_DETACHED)) {
		/* Nobody will read the error: the connection simply goes. */
		us_tcp_orphan_free(st, tp);
		return;
	}
	if (err != 0)
		so->so_error = err;
	/* Unsent data will never go; unread data stays readable. */
	us_pkt_free(tp->snd_head);
	tp->snd_head = tp->snd_tail = NULL;
	tp->snd_cc = 0;
	tp->snd_off = 0;
	us_sock_wakeup(st, so);
}

int
us_tcp_opt_parse(const uint8_t *opt, uint32_t len, int syn, struct us_tcp_seg *seg)
{
	uint32_t i = 0;

	seg->mss = 0;
	seg->wscale = -1;
	seg->sack_ok = 0;
	seg->has_ts = 0;
	seg->nsack = 0;
	/* What nearly every segment carries: NOP, NOP, timestamps (RFC 7323 appendix A). */
	if (len == 12 && us_get32(opt) == 0x0101080au) {
		seg->has_ts = 1;
		seg->tsval = us_get32(opt + 4);
		seg->tsecr = us_get32(opt + 8);
		return 0;
	}
	while (i < len) {
		uint8_t kind = opt[i], olen;

		if (kind == 0)	/* end of option list */
			break;
		if (kind == 1) {	/* no-operation */
			i++;
			continue;
		}
		/* RFC 9293 3.1: every other option has a length covering kind and length. */
		if (i + 1 >= len)
			return -1;
		olen = opt[i + 1];
		if (olen < 2 || i + olen > len)
			return -1;
		switch (kind) {
		case 2:	/* MSS, only meaningful on SYN */
			if (olen != 4)
				return -1;
			if (syn)
				seg->mss = us_get16(opt + i + 2);
			break;
		case 3:	/* window scale, SYN only (RFC 7323 2.2) */
			if (olen != 3)
				return -1;
			if (syn)
				seg->wscale = (int8_t)(opt[i + 2] > 14 ? 14 : opt[i + 2]);
			break;
		case 4:	/* SACK permitted, SYN only */
			if (olen != 2)
				return -1;
			if (syn)
				seg->sack_ok = 1;
			break;
		case 5:	/* SACK blocks (RFC 2018 3) */
			if (olen < 10 || (olen - 2) % 8 != 0)
				return -1;
			{
				uint32_t k, n = (olen - 2u) / 8u;

				for (k = 0; k < n && k < 4; k++) {
					seg->sack[k][0] = us_get32(opt + i + 2 + 8 * k);
					seg->sack[k][1] = us_get32(opt + i + 6 + 8 * k);
				}
				seg->nsack = (uint8_t)(n < 4 ? n : 4);
			}
			break;
		case 8:	/* timestamps (RFC 7323 3) */
			if (olen != 10)
				return -1;
			seg->has_ts = 1;
			seg->tsval = us_get32(opt + i + 2);
			seg->tsecr = us_get32(opt + i + 6);
			break;
		default:
			/* Unknown options are skipped by their length (RFC 9293 3.2). */
			break;
		}
		i += olen;
	}
	return 0;
}

uint32_t
us_tcp_rcv_space(const struct us_tcb *tp)
{
	uint32_t used = tp->rcv_cc + tp->ooo_cc, buf = tp->so != NULL ? tp->so->rcvbuf : 65535;

	return used >= buf ? 0 : buf - used;
}

void
us_tcp_rtt_update(struct us_tcb *tp, uint32_t rtt)
{
	uint32_t rto;

	if (rtt == 0)
		rtt = 1;
	if (tp->t_srtt == 0) {
		/* RFC 6298 2.2: the first sample. */
		tp->t_srtt = rtt;
		tp->t_rttvar = rtt / 2;
	} else {
		/* RFC 6298 2.3: alpha 1/8, beta 1/4. */
		uint32_t delta = rtt > tp->t_srtt ? rtt - tp->t_srtt : tp->t_srtt - rtt;

		tp->t_rttvar = (3 * tp->t_rttvar + delta) / 4;
		tp->t_srtt = (7 * tp->t_srtt + rtt) / 8;
	}
	rto = tp->t_srtt + (4 * tp->t_rttvar > 1000 ? 4 * tp->t_rttvar : 1000);
	if (rto < US_TCP_RTO_MIN_US)
		rto = US_TCP_RTO_MIN_US;
	if (rto > US_TCP_RTO_MAX_US)
		rto = US_TCP_RTO_MAX_US;
	tp->t_rto = rto;
	/* Karn's backoff ends with a fresh sample (RFC 6298 5.7). */
	tp->t_rxtshift = 0;
}

void
us_tcp_set_cc(struct us_tcb *tp, const struct us_tcp_cc *cc)
{
	tp->cc = cc;
	memset(&tp->cubic, 0, sizeof(tp->cubic));
	if (cc->init != NULL)
		cc->init(tp);
}

const struct us_tcp_cc *
us_tcp_cc_find(const char *name)
{
	if (strcmp(name, "cubic") == 0)
		return &us_tcp_cubic;
	if (strcmp(name, "newreno") == 0 || strcmp(name, "reno") == 0)
		return &us_tcp_newreno;
	return NULL;
}
