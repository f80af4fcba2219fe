/*
 * The capture wrapper (drivers/capture, USOCK_PCAP): a valid pcap file
 * (nanosecond magic, Ethernet link type) with one record per frame sent
 * and received, holding the exact bytes, chains written whole, and
 * timestamps that follow the stack's clock.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "lib/wire/wire.h"

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct rec {
	uint32_t sec, nsec, incl, orig;
	const uint8_t *data;
};

/* Reads the whole file; returns its bytes (malloc'd) and length. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Splits a pcap file into records after checking its global header; returns how many. */
static unsigned
parse_pcap(const uint8_t *b, size_t len, struct rec *r, unsigned max)
{
	uint32_t gh[6];
	uint16_t ver[2];
	size_t off = 24;
	unsigned n = 0;

	cr_assert_geq(len, 24, "no global header");
	memcpy(gh, b, sizeof(gh));
	memcpy(ver, b + 4, sizeof(ver));
	cr_assert_eq(gh[0], 0xa1b23c4du, "magic %08x: not nanosecond pcap in host order", gh[0]);
	cr_assert_eq(ver[0], 2, "major version");
	cr_assert_eq(ver[1], 4, "minor version");
	cr_assert_eq(gh[2], 0, "thiszone");
	cr_assert_eq(gh[3], 0, "sigfigs");
	cr_assert_geq(gh[4], 1514, "snaplen %u below a full frame", gh[4]);
	cr_assert_eq(gh[5], 1, "LINKTYPE_ETHERNET");
	while (off < len) {
		uint32_t h[4];

		cr_assert_lt(n, max);
		cr_assert_geq(len - off, 16, "truncated record header");
		memcpy(h, b + off, 16);
		r[n].sec = h[0];
		r[n].nsec = h[1];
		r[n].incl = h[2];
		r[n].orig = h[3];
		cr_assert_lt(r[n].nsec, 1000000000u, "nanoseconds field out of range");
		cr_assert_leq(r[n].incl, r[n].orig);
		cr_assert_geq(len - off - 16, r[n].incl, "truncated record data");
		r[n].data = b + off + 16;
		off += 16 + r[n].incl;
		n++;
	}
	return n;
}

static uint64_t
rec_ns(const struct rec *r)
{
	return (uint64_t)r->sec * 1000000000ull + r->nsec;
}

/* The capture file of the current test, removed after it whether it passed or not. */
static char cap_path[64];

static void
remove_capture(void)
{
	if (cap_path[0] != '\0')
		unlink(cap_path);
}

TestSuite(drv_capture, .fini = remove_capture);

struct cap {
	const char *path;
	struct us_pool *pool;
	struct us_drv *a, *c, *b;	/* loop end a wrapped by capture c; b the other end */
};

static void
cap_open(struct cap *k)
{
	char err[256];
	int fd;

	strcpy(cap_path, "/tmp/usock-test-capture-XXXXXX");
	fd = mkstemp(cap_path);
	k->path = cap_path;
	cr_assert_geq(fd, 0);
	close(fd);
	k->pool = us_pool_create(64, 2048, 64);
	k->a = us_loop_open(k->pool, mac_a, 1500);
	k->b = us_loop_open(k->pool, mac_b, 1500);
	us_loop_connect(k->a, k->b);
	k->c = us_capture_wrap(k->a, k->path, err, sizeof(err));
	cr_assert_not_null(k->c, "%s", err);
	cr_assert_eq(k->c->mtu, 1500);
	cr_assert_eq(memcmp(k->c->mac, mac_a, 6), 0);
}

static struct us_pkt *
frame(struct cap *k, uint32_t len, uint8_t seed)
{
	struct us_pkt *p = us_pkt_alloc(k->pool);
	uint8_t *d = us_pkt_append(p, len);
	uint32_t i;

	for (i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + i * 7);
	return p;
}

/*
 * Three frames out (at 1 s, 1.5 s, 1.5 s) and two in (at 2 s): five
 * records in that order with the exact bytes, 0.5 s apart where the
 * stack's clock says so.
 */
Test(drv_capture, writes_one_record_per_frame_in_and_out_with_the_exact_bytes)
{
	static const uint32_t lens[5] = { 60, 1514, 342, 60, 98 };
	static const uint64_t when[5] = { 1000000000ull, 1500000000ull, 1500000000ull,
					  2000000000ull, 2000000000ull };
	uint8_t want[5][1514];
	struct rec r[8];
	struct cap k;
	struct us_pkt *p[4];
	uint8_t *file;
	size_t flen;
	unsigned i, n;

	cap_open(&k);
	for (i = 0; i < 5; i++) {
		struct us_pkt *q = frame(&k, lens[i], (uint8_t)(i * 40));

		memcpy(want[i], us_pkt_data(q), lens[i]);
		if (i < 3) {
			cr_assert_eq(k.c->ops->tx_burst(k.c, &q, 1, when[i]), 1);
		} else {
			cr_assert_eq(k.b->ops->tx_burst(k.b, &q, 1, when[i]), 1);
		}
	}
	cr_assert_eq(k.c->ops->rx_burst(k.c, p, 4, when[3]), 2);
	us_pkt_free(p[0]);
	us_pkt_free(p[1]);
	/* The frames sent went through to the other end. */
	cr_assert_eq(k.b->ops->rx_burst(k.b, p, 4, when[3]), 3);
	for (i = 0; i < 3; i++)
		us_pkt_free(p[i]);
	us_drv_close(k.c);
	us_drv_close(k.b);
	cr_assert_eq(us_pool_destroy(k.pool), 0);
	file = slurp(k.path, &flen);
	n = parse_pcap(file, flen, r, 8);
	cr_assert_eq(n, 5);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(r[i].incl, lens[i], "record %u length", i);
		cr_assert_eq(r[i].orig, lens[i]);
		cr_assert_eq(memcmp(r[i].data, want[i], lens[i]), 0, "record %u bytes", i);
	}
	cr_assert_eq(rec_ns(&r[1]) - rec_ns(&r[0]), 500000000ull);
	cr_assert_eq(rec_ns(&r[2]), rec_ns(&r[1]));
	cr_assert_eq(rec_ns(&r[3]) - rec_ns(&r[0]), 1000000000ull);
	free(file);
}

Test(drv_capture, a_chain_is_written_as_one_whole_frame)
{
	struct rec r[4];
	struct cap k;
	struct us_pkt *h, *t, *p;
	uint8_t want[300], *file;
	size_t flen;

	cap_open(&k);
	h = frame(&k, 100, 1);
	t = frame(&k, 200, 2);
	memcpy(want, us_pkt_data(h), 100);
	memcpy(want + 100, us_pkt_data(t), 200);
	h->next = t;
	cr_assert_eq(k.c->ops->tx_burst(k.c, &h, 1, 0), 1);
	cr_assert_eq(k.b->ops->rx_burst(k.b, &p, 1, 0), 1);
	us_pkt_free(p);
	us_drv_close(k.c);
	us_drv_close(k.b);
	cr_assert_eq(us_pool_destroy(k.pool), 0);
	file = slurp(k.path, &flen);
	cr_assert_eq(parse_pcap(file, flen, r, 4), 1);
	cr_assert_eq(r[0].incl, 300);
	cr_assert_eq(memcmp(r[0].data, want, 300), 0);
	free(file);
}

Test(drv_capture, empty_capture_is_a_valid_file_with_only_the_header)
{
	struct rec r[1];
	struct cap k;
	uint8_t *file;
	size_t flen;

	cap_open(&k);
	/* An empty burst, as the idle poll makes, writes nothing. */
	cr_assert_eq(k.c->ops->tx_burst(k.c, NULL, 0, 0), 0);
	cr_assert_eq(k.c->ops->next_deadline(k.c), UINT64_MAX);
	us_drv_close(k.c);
	us_drv_close(k.b);
	cr_assert_eq(us_pool_destroy(k.pool), 0);
	file = slurp(k.path, &flen);
	cr_assert_eq(flen, 24);
	cr_assert_eq(parse_pcap(file, flen, r, 1), 0);
	free(file);
}

Test(drv_capture, unwritable_path_is_refused_with_the_reason)
{
	struct us_pool *pool = us_pool_create(4, 256, 32);
	struct us_drv *a = us_loop_open(pool, mac_a, 1500);
	char err[256] = "";

	cr_assert_null(us_capture_wrap(a, "/nonexistent-dir/x.pcap", err, sizeof(err)));
	cr_assert_not_null(strstr(err, "/nonexistent-dir/x.pcap"), "%s", err);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
	us_drv_close(a);
	cr_assert_eq(us_pool_destroy(pool), 0);
}
