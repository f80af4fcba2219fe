/*
 * Two stacks over the loop link in virtual time: ARP resolution, ping-size
 * datagrams, fragmented datagrams, and UDP under seeded loss and
 * reordering with every datagram accounted for.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/common/harness.h"

struct rx_ctx {
	struct t_two *t;
	struct us_sock *s;
	uint32_t want;
	uint32_t got;
};

static int
has_arp(void *arg)
{
	struct t_two *t = arg;
	uint8_t mac[6];

	return us_arp_lookup(t->a.st, T_IP_B, mac) == 0;
}

static struct us_sock *
udp_sock(struct t_node *n, uint16_t port)
{
	int err = 0;
	struct us_sock *s = us_sock_create(n->st, 2, 2, 0, &err);

	cr_assert_not_null(s, "socket: %d", err);
	cr_assert_eq(us_udp_bind(n->st, s, 0, port), 0);
	return s;
}

Test(proto_udp, first_datagram_waits_for_arp_then_arrives)
{
	struct t_two t;
	struct us_sock *sa, *sb;
	char buf[64];
	uint32_t from;
	uint16_t fport;

	t_two_init(&t, NULL, NULL, 512);
	sa = udp_sock(&t.a, 5000);
	sb = udp_sock(&t.b, 7);
	cr_assert_eq(us_udp_send(t.a.st, sa, "hello", 5, T_IP_B, 7, 1), 5);
	t_two_run(&t, has_arp, &t, 5 * T_S);
	t_two_run(&t, NULL, NULL, 10 * T_MS);
	cr_assert_eq(us_udp_recv(t.b.st, sb, buf, sizeof(buf), 0, &from, &fport), 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	cr_assert_eq(from, T_IP_A);
	cr_assert_eq(fport, 5000);
	cr_assert_eq(t.a.st->stats->arp.tx_request, 1);
	cr_assert_eq(t.b.st->stats->arp.tx_reply, 1);
	us_sock_close(t.a.st, sa);
	us_sock_close(t.b.st, sb);
	t_two_fini(&t);
}

Test(proto_udp, datagram_of_60000_bytes_is_fragmented_and_reassembled)
{
	static uint8_t big[60000], back[65536];
	struct t_two t;
	struct us_sock *sa, *sb;
	unsigned i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 131 + 7);
	t_two_init(&t, NULL, NULL, 1024);
	sa = udp_sock(&t.a, 5000);
	sb = udp_sock(&t.b, 7);
	cr_assert_eq(us_udp_send(t.a.st, sa, big, sizeof(big), T_IP_B, 7, 1), sizeof(big));
	t_two_run(&t, NULL, NULL, 2 * T_S);
	cr_assert_eq(us_udp_recv(t.b.st, sb, back, sizeof(back), 0, NULL, NULL), sizeof(big));
	cr_assert_eq(memcmp(big, back, sizeof(big)), 0);
	cr_assert_eq(t.b.st->stats->ip4.rx_reassembled, 1);
	cr_assert_eq(t.a.st->stats->ip4.tx_frag, (60008 + 1479) / 1480);
	us_sock_close(t.a.st, sa);
	us_sock_close(t.b.st, sb);
	t_two_fini(&t);
}

static int
drain_rx(void *arg)
{
	struct rx_ctx *c = arg;
	char buf[2048];
	ssize_t n;

	while ((n = us_udp_recv(c->t->b.st, c->s, buf, sizeof(buf), 0, NULL, NULL)) > 0) {
		uint32_t seq;

		memcpy(&seq, buf, 4);
		cr_assert_lt(seq, c->want);
		c->got++;
	}
	return c->got >= c->want;
}

/*
 * 2000 datagrams through 5% loss, 2% duplication and 10% reordering: what
 * was sent equals what arrived plus what the wrapper dropped, and the
 * receiver's count agrees with the duplicates the wrapper made.
 */
Test(proto_udp, every_datagram_accounted_for_under_loss_dup_reorder)
{
	struct t_two t;
	struct us_sock *sa, *sb;
	struct rx_ctx c;
	char msg[512];
	uint32_t i;
	struct us_drv_stats *fs;

	t_two_init(&t, "loss=5,dup=2,reorder=10,seed=42", NULL, 4096);
	sa = udp_sock(&t.a, 5000);
	sb = udp_sock(&t.b, 7);
	/* Resolve first so the count is about the wrapper, not the ARP queue. */
	cr_assert_eq(us_udp_send(t.a.st, sa, "x", 1, T_IP_B, 7, 1), 1);
	for (i = 0; i < 20 && !has_arp(&t); i++)
		t_two_run(&t, has_arp, &t, 2 * T_S);
	cr_assert(has_arp(&t), "ARP never resolved through the faults");
	t_two_run(&t, NULL, NULL, 10 * T_MS);
	while (us_udp_recv(t.b.st, sb, msg, sizeof(msg), 0, NULL, NULL) > 0)
		;
	fs = t.a.st->stats == NULL ? NULL : &t.a.st->stats->drv;
	{
		uint64_t lost0 = fs->fault_lost, dup0 = fs->fault_dup;

		memset(&c, 0, sizeof(c));
		c.t = &t;
		c.s = sb;
		c.want = 2000;
		for (i = 0; i < 2000; i++) {
			memset(msg, (int)i, sizeof(msg));
			memcpy(msg, &i, 4);
			cr_assert_eq(us_udp_send(t.a.st, sa, msg, sizeof(msg), T_IP_B, 7, 1),
				     sizeof(msg));
			if (i % 32 == 31)
				t_two_run(&t, drain_rx, &c, 1 * T_MS);
		}
		c.want = UINT32_MAX;
		t_two_run(&t, drain_rx, &c, 1 * T_S);
		cr_assert_gt(fs->fault_lost - lost0, 0);
		cr_assert_gt(fs->fault_reord, 0);
		cr_assert_eq(c.got + (fs->fault_lost - lost0) - (fs->fault_dup - dup0), 2000,
			     "got %u lost %llu dup %llu", c.got,
			     (unsigned long long)(fs->fault_lost - lost0),
			     (unsigned long long)(fs->fault_dup - dup0));
		cr_assert_eq(t.b.st->stats->udp.rx_qfull, 0);
	}
	us_sock_close(t.a.st, sa);
	us_sock_close(t.b.st, sb);
	t_two_fini(&t);
}

/* Two stacks ping each other: a's echo request (built as ping does) gets b's reply. */
static int
got_reply(void *arg)
{
	struct t_two *t = arg;

	return t->a.st->stats->icmp.rx_echoreply > 0;
}

static void
send_ping(struct t_two *t, uint32_t size)
{
	static uint8_t msg[65507 + 8];
	struct us_iov iov = { msg, size + 8 };
	uint32_t i;

	memset(msg, 0, 8);
	msg[0] = US_ICMP_ECHO;
	us_put16(msg + 4, 0x1234);	/* identifier */
	us_put16(msg + 6, 1);		/* sequence */
	for (i = 0; i < size; i++)
		msg[8 + i] = (uint8_t)i;
	us_put16(msg + 2, us_cksum_fold(us_cksum_add(0, msg, size + 8)));
	cr_assert_eq(us_ip4_send(t->a.st, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 0, 64, 0, &iov, 1), 0);
}

Test(proto_icmp, ping_between_two_stacks_through_arp)
{
	struct t_two t;

	t_two_init(&t, NULL, NULL, 512);
	send_ping(&t, 56);
	cr_assert(t_two_run(&t, got_reply, &t, 5 * T_S), "no echo reply");
	cr_assert_eq(t.b.st->stats->icmp.rx_echo, 1);
	cr_assert_eq(t.b.st->stats->icmp.tx_echoreply, 1);
	cr_assert_eq(t.a.st->stats->arp.tx_request, 1);
	t_two_fini(&t);
}

Test(proto_icmp, ping_of_65507_bytes_under_reordering_is_reassembled_both_ways)
{
	struct t_two t;

	t_two_init(&t, "reorder=30,seed=3", "reorder=30,seed=4", 1024);
	send_ping(&t, 65507);
	cr_assert(t_two_run(&t, got_reply, &t, 10 * T_S), "no echo reply");
	cr_assert_eq(t.b.st->stats->ip4.rx_reassembled, 1);
	cr_assert_eq(t.a.st->stats->ip4.rx_reassembled, 1);
	cr_assert_eq(t.a.st->stats->icmp.rx_badsum, 0);
	cr_assert_gt(t.a.st->stats->drv.fault_reord + t.b.st->stats->drv.fault_reord, 0);
	t_two_fini(&t);
}
