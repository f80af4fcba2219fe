/*
 * ARP (lib/link/arp.c, RFC 826, RFC 5227): replies for our address only,
 * what may create a cache entry, malformed messages counted by reason,
 * resolution with its retries and bounded waiting queue, aging to STALE
 * and the unicast probe, the gratuitous announcement and address conflicts.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"

#define IP_C 0xc6120007u	/* 198.18.0.7: a neighbour nobody answers for */
#define IP_D 0xc6120009u	/* 198.18.0.9: another host on the subnet */

static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x07 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero[6];

/*
 * Builds an Ethernet + ARP frame, padded to 60 bytes as a NIC would.
 * scapy: Ether(dst=eth_dst,src=sha)/ARP(op=op,hwsrc=sha,psrc=spa,hwdst=tha,pdst=tpa)
 */
static uint32_t
arp_frame(uint8_t *f, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha, uint32_t spa,
	  const uint8_t *tha, uint32_t tpa)
{
	uint8_t *a = f + US_ETH_HLEN;

	memset(f, 0, 60);
	memcpy(f + US_ETH_DST, eth_dst, 6);
	memcpy(f + US_ETH_SRC, sha, 6);
	us_put16(f + US_ETH_TYPE, US_ETHERTYPE_ARP);
	us_put16(a + US_ARP_HTYPE, 1);
	us_put16(a + US_ARP_PTYPE, US_ETHERTYPE_IPV4);
	a[US_ARP_HLEN] = 6;
	a[US_ARP_PLEN] = 4;
	us_put16(a + US_ARP_OP, op);
	memcpy(a + US_ARP_SHA, sha, 6);
	us_put32(a + US_ARP_SPA, spa);
	memcpy(a + US_ARP_THA, tha, 6);
	us_put32(a + US_ARP_TPA, tpa);
	return 60;
}

/* Checks that f (len bytes) is an ARP message from us with these fields. */
static void
check_arp(const uint8_t *f, uint32_t len, const uint8_t *eth_dst, uint16_t op, const uint8_t *tha,
	  uint32_t spa, uint32_t tpa)
{
	const uint8_t *a = f + US_ETH_HLEN;
	uint32_t i;

	cr_assert_eq(len, 60, "ARP frame of %u bytes", len);
	cr_assert_eq(memcmp(f + US_ETH_DST, eth_dst, 6), 0, "Ethernet destination");
	cr_assert_eq(memcmp(f + US_ETH_SRC, t_mac_b, 6), 0, "Ethernet source");
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_ARP);
	cr_assert_eq(us_get16(a + US_ARP_HTYPE), 1, "htype");
	cr_assert_eq(us_get16(a + US_ARP_PTYPE), US_ETHERTYPE_IPV4, "ptype");
	cr_assert_eq(a[US_ARP_HLEN], 6, "hlen");
	cr_assert_eq(a[US_ARP_PLEN], 4, "plen");
	cr_assert_eq(us_get16(a + US_ARP_OP), op, "opcode");
	cr_assert_eq(memcmp(a + US_ARP_SHA, t_mac_b, 6), 0, "sender MAC");
	cr_assert_eq(us_get32(a + US_ARP_SPA), spa, "sender IP");
	cr_assert_eq(memcmp(a + US_ARP_THA, tha, 6), 0, "target MAC");
	cr_assert_eq(us_get32(a + US_ARP_TPA), tpa, "target IP");
	for (i = US_ETH_HLEN + US_ARP_LEN; i < 60; i++)
		cr_assert_eq(f[i], 0, "pad byte %u", i);
}

static struct us_sock *
udp_sock(struct t_one *t, uint16_t port)
{
	int err = 0;
	struct us_sock *s = us_sock_create(t->n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);

	cr_assert_not_null(s, "socket: %d", err);
	cr_assert_eq(us_udp_bind(t->n.st, s, 0, port), 0);
	return s;
}

static int
known(struct t_one *t, uint32_t ip, uint8_t mac[6])
{
	uint8_t m[6];

	return us_arp_lookup(t->n.st, ip, mac != NULL ? mac : m) == 0;
}

Test(link_arp, request_for_us_gets_a_reply_with_every_field_right)
{
	struct t_one t;
	uint8_t f[128], mac[6];
	uint32_t n;

	t_one_init(&t);
	t_one_inject(&t, f, arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, T_IP_A, zero, T_IP_B));
	n = t_one_take(&t, f, sizeof(f));
	check_arp(f, n, t_mac_a, US_ARP_REPLY, t_mac_a, T_IP_B, T_IP_A);
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0, "one reply only");
	cr_assert_eq(t.n.st->stats->arp.rx, 1);
	cr_assert_eq(t.n.st->stats->arp.rx_request, 1);
	cr_assert_eq(t.n.st->stats->arp.tx_reply, 1);
	/* RFC 826: the requester will talk to us, so we learn it. */
	cr_assert(known(&t, T_IP_A, mac));
	cr_assert_eq(memcmp(mac, t_mac_a, 6), 0);
	t_one_fini(&t);
}

Test(link_arp, request_for_another_host_is_not_answered)
{
	struct t_one t;
	uint8_t f[128];

	t_one_init(&t);
	t_one_inject(&t, f, arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, T_IP_A, zero, IP_D));
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0);
	cr_assert_eq(t.n.st->stats->arp.rx_notours, 1);
	cr_assert_eq(t.n.st->stats->arp.rx_request, 0);
	cr_assert_eq(t.n.st->stats->arp.tx_reply, 0);
	cr_assert(!known(&t, T_IP_A, NULL), "a request to someone else must not create an entry");
	t_one_fini(&t);
}

/*
 * A reply nobody asked for would let any host on the link plant an entry
 * (cache poisoning); like Linux with arp_accept=0, only a resolution in
 * progress or an existing entry takes it.
 */
Test(link_arp, reply_for_an_address_never_asked_creates_no_entry)
{
	struct t_one t;
	uint8_t f[128];

	t_one_init(&t);
	t_one_inject(&t, f, arp_frame(f, t_mac_b, US_ARP_REPLY, mac_c, IP_C, t_mac_b, T_IP_B));
	cr_assert_eq(t.n.st->stats->arp.rx_reply, 1);
	cr_assert(!known(&t, IP_C, NULL), "unsolicited reply created an entry");
	/* Gratuitous (sender = target) broadcast by a stranger: nothing either. */
	t_one_inject(&t, f, arp_frame(f, bcast, US_ARP_REQUEST, mac_c, IP_C, zero, IP_C));
	cr_assert(!known(&t, IP_C, NULL));
	cr_assert_eq(t_one_drain(&t), 0);
	t_one_fini(&t);
}

Test(link_arp, reply_updates_an_entry_we_already_have)
{
	static const uint8_t moved[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	struct t_one t;
	uint8_t f[128], mac[6];

	t_one_init(&t);
	t_one_learn_peer(&t);
	t_one_inject(&t, f, arp_frame(f, t_mac_b, US_ARP_REPLY, moved, T_IP_A, t_mac_b, T_IP_B));
	cr_assert(known(&t, T_IP_A, mac));
	cr_assert_eq(memcmp(mac, moved, 6), 0, "RFC 826 merge: the new MAC replaces the old");
	t_one_fini(&t);
}

Test(link_arp, malformed_messages_are_counted_by_reason_and_ignored)
{
	static const uint8_t mcast_mac[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	struct t_one t;
	uint8_t f[128];
	struct us_arp_stats *as;

	t_one_init(&t);
	as = &t.n.st->stats->arp;
	/* Hardware type 6 (IEEE 802) */
	arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, T_IP_A, zero, T_IP_B);
	us_put16(f + US_ETH_HLEN + US_ARP_HTYPE, 6);
	t_one_inject(&t, f, 60);
	cr_assert_eq(as->rx_bad, 1);
	/* Protocol type IPv6 */
	arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, T_IP_A, zero, T_IP_B);
	us_put16(f + US_ETH_HLEN + US_ARP_PTYPE, US_ETHERTYPE_IPV6);
	t_one_inject(&t, f, 60);
	cr_assert_eq(as->rx_bad, 2);
	/* Hardware address length 8 */
	arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, T_IP_A, zero, T_IP_B);
	f[US_ETH_HLEN + US_ARP_HLEN] = 8;
	t_one_inject(&t, f, 60);
	cr_assert_eq(as->rx_bad, 3);
	/* Protocol address length 16 */
	arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, T_IP_A, zero, T_IP_B);
	f[US_ETH_HLEN + US_ARP_PLEN] = 16;
	t_one_inject(&t, f, 60);
	cr_assert_eq(as->rx_bad, 4);
	/* A runt: 27 bytes of ARP after the Ethernet header */
	arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, T_IP_A, zero, T_IP_B);
	t_one_inject(&t, f, US_ETH_HLEN + US_ARP_LEN - 1);
	cr_assert_eq(as->rx_short, 1);
	/* Opcode 3 (RARP request) and 0 */
	arp_frame(f, bcast, 3, t_mac_a, T_IP_A, zero, T_IP_B);
	t_one_inject(&t, f, 60);
	arp_frame(f, bcast, 0, t_mac_a, T_IP_A, zero, T_IP_B);
	t_one_inject(&t, f, 60);
	cr_assert_eq(as->rx_badop, 2);
	/* Multicast sender MAC, multicast sender IP, broadcast sender IP */
	arp_frame(f, bcast, US_ARP_REQUEST, mcast_mac, T_IP_A, zero, T_IP_B);
	t_one_inject(&t, f, 60);
	arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, 0xe0000001u, zero, T_IP_B);
	t_one_inject(&t, f, 60);
	arp_frame(f, bcast, US_ARP_REQUEST, t_mac_a, 0xffffffffu, zero, T_IP_B);
	t_one_inject(&t, f, 60);
	cr_assert_eq(as->rx_badsrc, 3);
	cr_assert_eq(as->rx, 10);
	cr_assert_eq(as->rx_bad, 4);
	cr_assert_eq(as->rx_short, 1);
	cr_assert_eq(as->rx_badop, 2);
	cr_assert_eq(as->rx_request, 0);
	cr_assert_eq(as->tx_reply, 0);
	cr_assert_eq(t_one_drain(&t), 0, "no malformed request may be answered");
	cr_assert(!known(&t, T_IP_A, NULL));
	cr_assert(!known(&t, 0xe0000001u, NULL));
	t_one_fini(&t);
}

/*
 * The first datagram to an unknown neighbour sends one broadcast request
 * and waits; requests repeat at 1 s, 2 s; at 3 s the address is given up
 * and what waited is dropped as resolve_fail.
 */
Test(link_arp, unknown_neighbour_is_asked_three_times_one_second_apart_then_given_up)
{
	struct t_one t;
	struct us_sock *s;
	uint8_t f[128];
	uint32_t n;
	int k;

	t_one_init(&t);
	s = udp_sock(&t, 5000);
	cr_assert_eq(us_udp_send(t.n.st, s, "a", 1, IP_C, 9, 1), 1);
	cr_assert_eq(us_udp_send(t.n.st, s, "b", 1, IP_C, 9, 1), 1);
	n = t_one_take(&t, f, sizeof(f));
	check_arp(f, n, bcast, US_ARP_REQUEST, zero, T_IP_B, IP_C);
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0, "two datagrams, still one request");
	for (k = 1; k <= 2; k++) {
		t_one_advance(&t, T_S - 1);
		cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0, "retry %d came early", k);
		t_one_advance(&t, 1);
		n = t_one_take(&t, f, sizeof(f));
		check_arp(f, n, bcast, US_ARP_REQUEST, zero, T_IP_B, IP_C);
		cr_assert_eq(t.now, (uint64_t)k * T_S);
		cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0);
	}
	cr_assert_eq(t.n.st->stats->arp.tx_request, 3);
	t_one_advance(&t, T_S - 1);
	cr_assert_eq(t.n.st->stats->arp.resolve_fail, 0);
	t_one_advance(&t, 1);
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0, "no fourth request");
	cr_assert_eq(t.n.st->stats->arp.tx_request, 3);
	cr_assert_eq(t.n.st->stats->arp.resolve_fail, 2);
	cr_assert_eq(t.n.st->arp.npend, 0);
	cr_assert_eq(t.n.st->pool->avail, t.n.st->pool->n, "dropped datagrams must be freed");
	cr_assert_eq(t.n.st->arp.next_timer, UINT64_MAX, "no ARP timer left");
	/* Much later, a new datagram starts a new resolution. */
	t_one_advance(&t, 10 * T_S);
	cr_assert_eq(us_udp_send(t.n.st, s, "c", 1, IP_C, 9, 1), 1);
	n = t_one_take(&t, f, sizeof(f));
	check_arp(f, n, bcast, US_ARP_REQUEST, zero, T_IP_B, IP_C);
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}

Test(link_arp, waiting_datagrams_leave_in_order_when_the_reply_arrives)
{
	struct t_one t;
	struct us_sock *s;
	uint8_t f[128];
	uint32_t n;
	int i;

	t_one_init(&t);
	s = udp_sock(&t, 5000);
	for (i = 0; i < 5; i++) {
		uint8_t b = (uint8_t)i;

		cr_assert_eq(us_udp_send(t.n.st, s, &b, 1, IP_C, 9, 1), 1);
	}
	cr_assert_gt(t_one_take(&t, f, sizeof(f)), 0);
	t_one_advance(&t, 300 * T_MS);
	t_one_inject(&t, f, arp_frame(f, t_mac_b, US_ARP_REPLY, mac_c, IP_C, t_mac_b, T_IP_B));
	for (i = 0; i < 5; i++) {
		n = t_one_take(&t, f, sizeof(f));
		cr_assert_eq(n, 60);
		cr_assert_eq(memcmp(f + US_ETH_DST, mac_c, 6), 0);
		cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_IPV4);
		cr_assert_eq(f[US_ETH_HLEN + 20 + 8], i, "datagram %d out of order", i);
	}
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0);
	cr_assert_eq(t.n.st->arp.npend, 0);
	/* Resolved: no more retries. */
	t_one_advance(&t, 5 * T_S);
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0);
	cr_assert_eq(t.n.st->stats->arp.tx_request, 1);
	cr_assert_eq(t.n.st->stats->arp.resolve_fail, 0);
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}

Test(link_arp, waiting_queue_holds_64_per_neighbour_and_drops_the_rest)
{
	struct t_one t;
	struct us_sock *s;
	uint8_t f[128];
	int i, ok = 0;

	t_one_init(&t);
	s = udp_sock(&t, 5000);
	for (i = 0; i < 70; i++) {
		ssize_t r = us_udp_send(t.n.st, s, "x", 1, IP_C, 9, 1);

		if (r == 1)
			ok++;
	}
	/* As Linux's unresolved queue: the sender is not told, the drop is counted. */
	cr_assert_eq(ok, 70);
	cr_assert_eq(t.n.st->stats->arp.queue_drop, 6);
	cr_assert_eq(t.n.st->arp.npend, 64);
	t_one_inject(&t, f, arp_frame(f, t_mac_b, US_ARP_REPLY, mac_c, IP_C, t_mac_b, T_IP_B));
	cr_assert_eq(t_one_drain(&t), 1 + 64, "the request and the 64 that waited");
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}

Test(link_arp, waiting_queue_holds_256_in_all_across_neighbours)
{
	struct t_one t;
	struct us_sock *s;
	int i, k;

	t_one_init(&t);
	s = udp_sock(&t, 5000);
	for (k = 0; k < 5; k++)
		for (i = 0; i < 64; i++)
			us_udp_send(t.n.st, s, "x", 1, 0xc6120010u + (uint32_t)k, 9, 1);
	cr_assert_eq(t.n.st->arp.npend, 256);
	cr_assert_eq(t.n.st->stats->arp.queue_drop, 64);
	cr_assert_eq(t.n.st->stats->arp.tx_request, 5);
	t_one_drain(&t);
	t_one_advance(&t, T_S);
	t_one_advance(&t, T_S);
	t_one_advance(&t, T_S);
	t_one_drain(&t);
	cr_assert_eq(t.n.st->stats->arp.resolve_fail, 256);
	cr_assert_eq(t.n.st->arp.npend, 0);
	cr_assert_eq(t.n.st->pool->avail, t.n.st->pool->n);
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}

/*
 * An answer is fresh for 30 s.  Used after that, the entry is STALE: the
 * datagram still goes to the known MAC, preceded by a unicast request to
 * that MAC; an answer makes it fresh again.
 */
Test(link_arp, entry_goes_stale_after_30_s_and_a_use_sends_a_unicast_probe)
{
	struct t_one t;
	struct us_sock *s;
	uint8_t f[128];
	uint32_t n;

	t_one_init(&t);
	t_one_learn_peer(&t);
	s = udp_sock(&t, 5000);
	t_one_advance(&t, 30 * T_S - 1);
	cr_assert_eq(us_udp_send(t.n.st, s, "x", 1, T_IP_A, 9, 1), 1);
	n = t_one_take(&t, f, sizeof(f));
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_IPV4, "fresh entry: no probe");
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0);
	t_one_advance(&t, 1);
	cr_assert_eq(t.n.st->stats->arp.tx_request, 0, "aging alone sends nothing");
	cr_assert_eq(us_udp_send(t.n.st, s, "y", 1, T_IP_A, 9, 1), 1);
	n = t_one_take(&t, f, sizeof(f));
	check_arp(f, n, t_mac_a, US_ARP_REQUEST, zero, T_IP_B, T_IP_A);
	n = t_one_take(&t, f, sizeof(f));
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_IPV4, "the datagram still leaves");
	cr_assert_eq(memcmp(f + US_ETH_DST, t_mac_a, 6), 0);
	cr_assert_eq(f[US_ETH_HLEN + 28], 'y');
	/* A second use while probing sends no second probe. */
	cr_assert_eq(us_udp_send(t.n.st, s, "z", 1, T_IP_A, 9, 1), 1);
	n = t_one_take(&t, f, sizeof(f));
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_IPV4);
	cr_assert_eq(t.n.st->stats->arp.tx_request, 1);
	/* The peer answers: fresh again, no retries. */
	t_one_inject(&t, f, arp_frame(f, t_mac_b, US_ARP_REPLY, t_mac_a, T_IP_A, t_mac_b, T_IP_B));
	t_one_advance(&t, 5 * T_S);
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0);
	cr_assert_eq(t.n.st->stats->arp.tx_request, 1);
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}

/* An unanswered probe asks the known MAC again, then everyone, then forgets the entry. */
Test(link_arp, unanswered_probe_retries_unicast_then_broadcast_then_forgets)
{
	struct t_one t;
	struct us_sock *s;
	uint8_t f[128];
	uint32_t n;

	t_one_init(&t);
	t_one_learn_peer(&t);
	s = udp_sock(&t, 5000);
	t_one_advance(&t, 30 * T_S);
	cr_assert_eq(us_udp_send(t.n.st, s, "y", 1, T_IP_A, 9, 1), 1);
	cr_assert_eq(t_one_drain(&t), 2);
	t_one_advance(&t, T_S);
	n = t_one_take(&t, f, sizeof(f));
	check_arp(f, n, t_mac_a, US_ARP_REQUEST, zero, T_IP_B, T_IP_A);
	t_one_advance(&t, T_S);
	n = t_one_take(&t, f, sizeof(f));
	check_arp(f, n, bcast, US_ARP_REQUEST, zero, T_IP_B, T_IP_A);
	cr_assert(known(&t, T_IP_A, NULL), "still usable while probing");
	t_one_advance(&t, T_S);
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0);
	cr_assert(!known(&t, T_IP_A, NULL), "probe failed: entry must go");
	cr_assert_eq(t.n.st->stats->arp.tx_request, 3);
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}

/* RFC 5227 2.3: the announcement is a broadcast request with sender = target = our address. */
Test(link_arp, gratuitous_announcement_is_the_first_frame_of_a_fresh_stack)
{
	struct t_one t;
	uint8_t f[128];
	uint32_t n;

	t_one_init(&t);
	cr_assert_eq(t.n.st->stats->eth.tx, 0, "a fresh stack has sent nothing");
	us_stack_announce(t.n.st);
	n = t_one_take(&t, f, sizeof(f));
	check_arp(f, n, bcast, US_ARP_REQUEST, zero, T_IP_B, T_IP_B);
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 0);
	cr_assert_eq(t.n.st->stats->arp.tx_gratuitous, 1);
	cr_assert_eq(t.n.st->stats->arp.tx_request, 0);
	t_one_fini(&t);
}

Test(link_arp, another_mac_claiming_our_address_is_counted_as_a_conflict)
{
	struct t_one t;
	uint8_t f[128];

	t_one_init(&t);
	/* Its own announcement for our address ... */
	t_one_inject(&t, f, arp_frame(f, bcast, US_ARP_REQUEST, mac_c, T_IP_B, zero, T_IP_B));
	cr_assert_eq(t.n.st->stats->arp.conflict, 1);
	/* ... and a reply claiming it. */
	t_one_inject(&t, f, arp_frame(f, t_mac_b, US_ARP_REPLY, mac_c, T_IP_B, t_mac_b, T_IP_B));
	cr_assert_eq(t.n.st->stats->arp.conflict, 2);
	cr_assert(!known(&t, T_IP_B, NULL), "our own address must not enter the cache");
	cr_assert_eq(t_one_drain(&t), 0);
	/* Our own announcement heard back is not a conflict. */
	t_one_inject(&t, f, arp_frame(f, bcast, US_ARP_REQUEST, t_mac_b, T_IP_B, zero, T_IP_B));
	cr_assert_eq(t.n.st->stats->arp.conflict, 2);
	t_one_fini(&t);
}
