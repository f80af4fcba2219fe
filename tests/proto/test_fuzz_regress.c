/*
 * test_fuzz_regress.c - regressions the libFuzzer harnesses (tests/fuzz/)
 * found, each crash file's story told as a test (TCP with the hand-played
 * peer of tcp_helper); the crash files themselves stay in
 * tests/data/fuzz/<harness>/ for the corpus replay.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tests/common/harness.h"
#include "tests/common/tcp_helper.h"

static struct t_one T;
static struct t_peer P;

static void
setup(void)
{
	t_one_init(&T);
	t_one_advance(&T, 1000 * T_S);
	t_one_learn_peer(&T);
	memset(&P, 0, sizeof(P));
	P.t = &T;
	P.port = 40000;
	P.sport = 80;
	P.win = 65535;
	P.tsval = 1000;
}

static void
teardown(void)
{
	t_one_fini(&T);
}

TestSuite(tcp_fuzz_regress, .init = setup, .fini = teardown);

/*
 * crash-tcp-sack-beyond-mtu: with data from the peer out of order, every
 * segment carried SACK blocks on top of a full MSS of data (already less
 * the timestamps), and the frame came out 12 bytes over the MTU.  A full
 * segment now leaves the blocks out; pure ACKs still carry them.
 */
Test(tcp_fuzz_regress, segment_with_sack_blocks_stays_within_the_mtu)
{
	struct us_sock *ls, *c;
	struct t_seg s;
	uint8_t o[40], frame[2200], data[3000];
	uint32_t n = 0, got = 0;
	int err = 0, full = 0;

	ls = us_sock_create(T.n.st, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);
	cr_assert_not_null(ls);
	cr_assert_eq(us_tcp_bind(T.n.st, ls, 0, 80), 0);
	cr_assert_eq(us_tcp_listen(T.n.st, ls, 4), 0);
	/* The peer's SYN: MSS 1460, SACK permitted, timestamps. */
	t_opt_mss(o, &n, 1460);
	t_opt_sackok(o, &n);
	t_opt_ts(o, &n, P.tsval, 0);
	P.snd_nxt = 5000;
	t_peer_xmit(&P, P.snd_nxt, 0, US_TH_SYN, NULL, 0, o, n);
	P.snd_nxt++;
	cr_assert(t_peer_take(&P, &s));
	cr_assert_eq(s.flags, US_TH_SYN | US_TH_ACK);
	P.rcv_nxt = s.seq + 1;
	P.ts = 1;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_one_drain(&T);
	c = us_tcp_accept(T.n.st, ls, &err);
	cr_assert_not_null(c, "accept: %d", err);

	/* 100 bytes past a hole: the stack's duplicate ACK names them in a SACK block. */
	memset(data, 'o', 100);
	t_peer_xmit(&P, P.snd_nxt + 100, P.rcv_nxt, US_TH_ACK | US_TH_PSH, data, 100, NULL, 0);
	cr_assert(t_peer_take(&P, &s));
	cr_assert_eq(s.len, 0);
	cr_assert_eq(s.nsack, 1);

	/* Now the stack sends: no frame over 1514 bytes, whatever rides in it. */
	memset(data, 'd', sizeof(data));
	cr_assert_eq(us_tcp_send(T.n.st, c, data, sizeof(data), 0), (ssize_t)sizeof(data));
	t_one_advance(&T, 0);
	while ((n = t_one_take(&T, frame, sizeof(frame))) > 0) {
		cr_assert_leq(n, 14 + 1500, "a frame of %u bytes", n);
		cr_assert_eq(t_tcp_parse(frame, n, &s), 0);
		if (s.len == 1448) {
			full++;
			cr_assert_eq(s.nsack, 0, "blocks beside a full segment");
		}
		got += s.len;
	}
	cr_assert_geq(full, 1);
	cr_assert_gt(got, 0);
}

/*
 * fuzz-config crash-fault-delay-overflow, crash-fault-jitter-nan and
 * crash-fault-reorder-nan: a USOCK_FAULT duration too large for 64 bits of
 * nanoseconds, or a NaN duration or percentage, was converted anyway, which
 * C leaves undefined.  Each is refused like any bad value.
 */
Test(config_fuzz_regress, fault_values_out_of_range_or_nan_are_refused)
{
	static const char *bad[] = { "delay=1e30ms", "jitter=nan", "delay=inf", "delay=3601s" };
	struct us_fault_cfg fc;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(us_fault_parse(bad[i], &fc, err, sizeof(err)), -EINVAL, "%s", bad[i]);
		cr_assert_not_null(strstr(err, "bad duration"), "%s: %s", bad[i], err);
	}
	cr_assert_eq(us_fault_parse("reorder=nan", &fc, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "bad percentage"), "%s", err);
	cr_assert_eq(us_fault_parse("delay=3600s,jitter=2ms", &fc, err, sizeof(err)), 0);
	cr_assert_eq(fc.delay_ns, 3600000000000ull);
	cr_assert_eq(fc.jitter_ns, 2000000ull);
}
