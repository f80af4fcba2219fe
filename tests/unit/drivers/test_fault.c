/*
 * The fault wrapper (drivers/fault): seeded loss that replays exactly,
 * loss/duplication/reordering at about the configured rates, delay that
 * releases a frame exactly at its time (and says when through
 * next_deadline), faults on receive, and nothing leaked on close.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "drivers/driver.h"
#include "lib/wire/wire.h"

#define US 1000ull
#define MS 1000000ull

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* Two loop ends; a is wrapped by the fault driver f; frames sent on f arrive at b. */
struct link {
	struct us_pool *pool;
	struct us_drv *a;	/* inner end */
	struct us_drv *f;	/* a wrapped */
	struct us_drv *b;	/* the other end */
};

static void
link_open(struct link *l, const char *spec)
{
	struct us_fault_cfg cfg;
	char err[160];

	l->pool = us_pool_create(4096, 256, 64);
	cr_assert_not_null(l->pool);
	l->a = us_loop_open(l->pool, mac_a, 1500);
	l->b = us_loop_open(l->pool, mac_b, 1500);
	us_loop_connect(l->a, l->b);
	cr_assert_eq(us_fault_parse(spec, &cfg, err, sizeof(err)), 0, "%s: %s", spec, err);
	l->f = us_fault_wrap(l->a, &cfg);
	cr_assert_not_null(l->f);
}

/* Closes everything and checks every buffer came back. */
static void
link_close(struct link *l)
{
	us_drv_close(l->f);	/* closes a too */
	us_drv_close(l->b);
	cr_assert_eq(l->pool->avail, l->pool->n, "%u buffers leaked",
		     l->pool->n - l->pool->avail);
	us_pool_destroy(l->pool);
}

static struct us_pkt *
frame(struct link *l, uint32_t seq)
{
	struct us_pkt *p = us_pkt_alloc(l->pool);
	uint8_t *d;

	cr_assert_not_null(p);
	cr_assert_not_null(us_pkt_append(p, 60));
	d = us_pkt_data(p);
	memset(d, 0, 60);
	us_put32(d, seq);
	return p;
}

/* Sends one frame through f at now. */
static void
send_one(struct link *l, uint32_t seq, uint64_t now)
{
	struct us_pkt *p = frame(l, seq);

	cr_assert_eq(l->f->ops->tx_burst(l->f, &p, 1, now), 1, "tx_burst must consume");
}

/* Receives everything waiting at b; calls seen(seq) for each, returns how many. */
static uint32_t
drain_b(struct link *l, uint64_t now, void (*seen)(uint32_t seq, void *arg), void *arg)
{
	struct us_pkt *p[32];
	uint32_t total = 0;
	uint16_t n, i;

	do {
		n = l->b->ops->rx_burst(l->b, p, 32, now);
		for (i = 0; i < n; i++) {
			if (seen != NULL)
				seen(us_get32(us_pkt_data(p[i])), arg);
			us_pkt_free(p[i]);
		}
		total += n;
	} while (n == 32);
	return total;
}

static void
mark(uint32_t seq, void *arg)
{
	((uint8_t *)arg)[seq] = 1;
}

/* Which of 2000 frames arrive through spec, as a 0/1 map. */
static void
arrivals(const char *spec, uint8_t *got, uint64_t *lost)
{
	struct link l;
	uint32_t i;

	memset(got, 0, 2000);
	link_open(&l, spec);
	for (i = 0; i < 2000; i++) {
		send_one(&l, i, i * 10 * US);
		drain_b(&l, i * 10 * US, mark, got);
	}
	*lost = l.f->stats->fault_lost;
	link_close(&l);
}

Test(drv_fault, same_seed_gives_the_same_losses)
{
	static uint8_t g1[2000], g2[2000], g3[2000];
	uint64_t lost1, lost2, lost3;
	uint32_t i, missing = 0;

	arrivals("loss=30,seed=7", g1, &lost1);
	arrivals("loss=30,seed=7", g2, &lost2);
	arrivals("loss=30,seed=8", g3, &lost3);
	cr_assert_eq(memcmp(g1, g2, sizeof(g1)), 0, "same seed, different losses");
	cr_assert_eq(lost1, lost2);
	cr_assert_neq(memcmp(g1, g3, sizeof(g1)), 0, "another seed, same losses");
	for (i = 0; i < 2000; i++)
		missing += g1[i] == 0;
	cr_assert_eq(missing, lost1, "every missing frame is counted fault_lost");
	cr_assert_gt(lost1, 0);
}

struct order {
	uint32_t next_max;	/* highest sequence seen + 1 */
	uint32_t late;		/* frames that arrived after a later one */
	uint32_t n;		/* frames seen */
};

static void
track(uint32_t seq, void *arg)
{
	struct order *o = arg;

	o->n++;
	if (seq + 1 < o->next_max)
		o->late++;
	else if (seq + 1 > o->next_max)
		o->next_max = seq + 1;
}

#define N 100000u

/* Sends N frames 100 us apart through spec; fills o and returns the stats. */
static struct us_drv_stats
run(const char *spec, struct order *o)
{
	struct us_drv_stats s;
	struct link l;
	uint64_t now = 0;
	uint32_t i;

	memset(o, 0, sizeof(*o));
	link_open(&l, spec);
	for (i = 0; i < N; i++) {
		now = (uint64_t)i * 100 * US;
		send_one(&l, i, now);
		drain_b(&l, now, track, o);
	}
	/* Let anything held back go, as an idle stack's poll does. */
	now += 10 * MS;
	l.f->ops->tx_burst(l.f, NULL, 0, now);
	drain_b(&l, now, track, o);
	s = *l.f->stats;
	link_close(&l);
	return s;
}

Test(drv_fault, loss_rate_is_about_as_configured)
{
	struct order o;
	struct us_drv_stats s = run("loss=10,seed=1", &o);

	cr_assert_geq(s.fault_lost, N / 10 - N / 100, "lost %llu", (unsigned long long)s.fault_lost);
	cr_assert_leq(s.fault_lost, N / 10 + N / 100, "lost %llu", (unsigned long long)s.fault_lost);
	cr_assert_eq(o.n + s.fault_lost, N);
	cr_assert_eq(s.fault_dup, 0);
	cr_assert_eq(o.late, 0, "loss alone must not reorder");
}

Test(drv_fault, duplication_rate_is_about_as_configured)
{
	struct order o;
	struct us_drv_stats s = run("dup=5,seed=2", &o);

	cr_assert_geq(s.fault_dup, N / 20 - N / 100, "dup %llu", (unsigned long long)s.fault_dup);
	cr_assert_leq(s.fault_dup, N / 20 + N / 100, "dup %llu", (unsigned long long)s.fault_dup);
	cr_assert_eq(o.n, N + s.fault_dup);
	cr_assert_eq(s.fault_lost, 0);
}

/*
 * A reordered frame is held 1 ms, so the frames sent in the next 1 ms
 * (10 of them here) overtake it: it arrives late, once.
 */
Test(drv_fault, reorder_rate_is_about_as_configured_and_frames_arrive_late)
{
	struct order o;
	struct us_drv_stats s = run("reorder=10,seed=3", &o);

	cr_assert_geq(s.fault_reord, N / 10 - N / 100, "reord %llu",
		      (unsigned long long)s.fault_reord);
	cr_assert_leq(s.fault_reord, N / 10 + N / 100, "reord %llu",
		      (unsigned long long)s.fault_reord);
	cr_assert_eq(o.n, N, "reordering loses nothing");
	cr_assert_leq(o.late, s.fault_reord);
	cr_assert_geq(o.late, s.fault_reord * 8 / 10, "late %u of %llu held", o.late,
		      (unsigned long long)s.fault_reord);
}

Test(drv_fault, all_three_together_account_for_every_frame)
{
	struct order o;
	struct us_drv_stats s = run("loss=5,dup=3,reorder=7,seed=4", &o);

	cr_assert_eq(o.n + s.fault_lost, N + s.fault_dup);
	cr_assert_gt(s.fault_lost, N / 25);
	cr_assert_gt(s.fault_dup, N / 50);
	cr_assert_gt(o.late, 0);
}

/* A 5 ms delay: the frame appears at exactly +5 ms, and next_deadline says so. */
Test(drv_fault, delay_releases_frames_only_at_their_time)
{
	struct link l;

	link_open(&l, "delay=5ms");
	cr_assert_eq(l.f->ops->next_deadline(l.f), UINT64_MAX);
	send_one(&l, 1, 0);
	send_one(&l, 2, 1 * MS);
	send_one(&l, 3, 2 * MS);
	cr_assert_eq(l.f->stats->fault_delayed, 3);
	cr_assert_eq(l.f->ops->next_deadline(l.f), 5 * MS);
	l.f->ops->tx_burst(l.f, NULL, 0, 5 * MS - 1);
	cr_assert_eq(drain_b(&l, 5 * MS - 1, NULL, NULL), 0, "released early");
	l.f->ops->tx_burst(l.f, NULL, 0, 5 * MS);
	cr_assert_eq(drain_b(&l, 5 * MS, NULL, NULL), 1);
	cr_assert_eq(l.f->ops->next_deadline(l.f), 6 * MS);
	/* Receiving on the wrapped end also releases what is due. */
	{
		struct us_pkt *p[4];

		cr_assert_eq(l.f->ops->rx_burst(l.f, p, 4, 6 * MS), 0);
	}
	cr_assert_eq(drain_b(&l, 6 * MS, NULL, NULL), 1);
	cr_assert_eq(l.f->ops->next_deadline(l.f), 7 * MS);
	l.f->ops->tx_burst(l.f, NULL, 0, 100 * MS);
	cr_assert_eq(drain_b(&l, 100 * MS, NULL, NULL), 1);
	cr_assert_eq(l.f->ops->next_deadline(l.f), UINT64_MAX);
	link_close(&l);
}

/* Jitter adds 0 to 2 ms on top of a 1 ms delay: every frame lands inside [1, 3] ms. */
Test(drv_fault, jitter_stays_within_its_bound)
{
	struct link l;
	uint64_t t, first = UINT64_MAX;
	uint32_t i, got = 0;

	link_open(&l, "delay=1ms,jitter=2ms,seed=5");
	for (i = 0; i < 100; i++)
		send_one(&l, i, 0);
	for (t = 0; t <= 4 * MS; t += 10 * US) {
		uint32_t n;

		l.f->ops->tx_burst(l.f, NULL, 0, t);
		n = drain_b(&l, t, NULL, NULL);
		if (n > 0 && first == UINT64_MAX)
			first = t;
		if (n > 0)
			cr_assert_leq(t, 3 * MS, "frame released at %llu ns",
				      (unsigned long long)t);
		got += n;
	}
	cr_assert_eq(got, 100);
	cr_assert_geq(first, 1 * MS);
	cr_assert_lt(first, 3 * MS, "100 frames all at the far end of the jitter");
	link_close(&l);
}

/* rx=1 spoils what arrives on the wrapped end; by default only what it sends. */
Test(drv_fault, rx_flag_applies_faults_on_receive)
{
	struct link l;
	struct us_pkt *p[8];
	int i;

	link_open(&l, "loss=100");
	for (i = 0; i < 4; i++) {
		struct us_pkt *q = frame(&l, (uint32_t)i);

		cr_assert_eq(l.b->ops->tx_burst(l.b, &q, 1, 0), 1);
	}
	cr_assert_eq(l.f->ops->rx_burst(l.f, p, 8, 0), 4, "without rx=1 receive is untouched");
	for (i = 0; i < 4; i++)
		us_pkt_free(p[i]);
	send_one(&l, 9, 0);
	cr_assert_eq(drain_b(&l, 0, NULL, NULL), 0, "loss=100 on transmit");
	link_close(&l);

	link_open(&l, "loss=100,rx=1");
	for (i = 0; i < 4; i++) {
		struct us_pkt *q = frame(&l, (uint32_t)i);

		cr_assert_eq(l.b->ops->tx_burst(l.b, &q, 1, 0), 1);
	}
	cr_assert_eq(l.f->ops->rx_burst(l.f, p, 8, 0), 0);
	cr_assert_eq(l.f->stats->fault_lost, 4);
	link_close(&l);
}

Test(drv_fault, closing_frees_frames_still_held)
{
	struct link l;
	int i;

	link_open(&l, "delay=1s,dup=50,seed=6");
	for (i = 0; i < 100; i++)
		send_one(&l, (uint32_t)i, 0);
	cr_assert_lt(l.pool->avail, l.pool->n - 100);
	link_close(&l);	/* asserts nothing leaked */
}
