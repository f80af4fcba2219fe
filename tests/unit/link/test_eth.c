/*
 * Ethernet II (lib/link/eth.c): which frames the stack accepts (its own
 * MAC and broadcast), the drop counters for the others, dispatch on
 * EtherType, and the header and padding of frames it sends.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"

static struct us_sock *
udp_sock(struct t_one *t, uint16_t port)
{
	int err = 0;
	struct us_sock *s = us_sock_create(t->n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);

	cr_assert_not_null(s, "socket: %d", err);
	cr_assert_eq(us_udp_bind(t->n.st, s, 0, port), 0);
	return s;
}

/* scapy: Ether(dst="02:00:00:00:00:99")/IP(src="198.18.0.1",dst="198.18.0.2")/UDP(dport=7)/"hi" */
Test(link_eth, frame_for_another_mac_is_counted_rx_notours)
{
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	struct t_one t;
	struct us_sock *s;
	uint8_t f[128], buf[16];
	uint32_t n;

	t_one_init(&t);
	s = udp_sock(&t, 7);
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, "hi", 2);
	memcpy(f, other, 6);
	t_one_inject(&t, f, n);
	cr_assert_eq(t.n.st->stats->eth.rx, 1);
	cr_assert_eq(t.n.st->stats->eth.rx_notours, 1);
	cr_assert_eq(t.n.st->stats->ip4.rx, 0, "the frame must not reach IP");
	cr_assert_eq(us_udp_recv(t.n.st, s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	/* The same frame to our MAC is delivered. */
	memcpy(f, t_mac_b, 6);
	t_one_inject(&t, f, n);
	cr_assert_eq(t.n.st->stats->eth.rx_notours, 1);
	cr_assert_eq(us_udp_recv(t.n.st, s, buf, sizeof(buf), 0, NULL, NULL), 2);
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}

/* scapy: Ether(dst="01:00:5e:00:00:fb")/IP(dst="224.0.0.251")/UDP(dport=5353) (mDNS, not joined) */
Test(link_eth, multicast_frame_for_a_group_not_joined_is_rx_notours)
{
	static const uint8_t mdns[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	struct t_one t;
	uint8_t f[128];
	uint32_t n;

	t_one_init(&t);
	n = t_build_udp(f, T_IP_A, 0xe00000fbu, 5353, 5353, "q", 1);
	memcpy(f, mdns, 6);
	t_one_inject(&t, f, n);
	cr_assert_eq(t.n.st->stats->eth.rx_notours, 1);
	cr_assert_eq(t.n.st->stats->ip4.rx, 0);
	t_one_fini(&t);
}

Test(link_eth, frames_shorter_than_a_header_are_counted_rx_short)
{
	struct t_one t;
	uint8_t f[64];
	uint32_t len;

	t_one_init(&t);
	memset(f, 0, sizeof(f));
	memcpy(f, t_mac_b, 6);
	memcpy(f + 6, t_mac_a, 6);
	us_put16(f + 12, US_ETHERTYPE_IPV4);
	for (len = 0; len < US_ETH_HLEN; len++)
		t_one_inject(&t, f, len);
	cr_assert_eq(t.n.st->stats->eth.rx, US_ETH_HLEN);
	cr_assert_eq(t.n.st->stats->eth.rx_short, US_ETH_HLEN);
	cr_assert_eq(t.n.st->stats->ip4.rx, 0);
	/* Exactly a header is an Ethernet frame with an empty (short) IP packet. */
	t_one_inject(&t, f, US_ETH_HLEN);
	cr_assert_eq(t.n.st->stats->eth.rx_short, US_ETH_HLEN);
	cr_assert_eq(t.n.st->stats->ip4.rx_short, 1);
	cr_assert_eq(t_one_drain(&t), 0);
	t_one_fini(&t);
}

/* IPv6, 802.1Q and LLDP frames to our MAC: none is a type this stack speaks. */
Test(link_eth, unknown_ethertype_is_counted_rx_badtype)
{
	static const uint16_t types[] = { US_ETHERTYPE_IPV6, US_ETHERTYPE_VLAN, 0x88cc, 0x0000,
					  0x05dc };
	struct t_one t;
	uint8_t f[60];
	unsigned i;

	t_one_init(&t);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(f, 0, sizeof(f));
		memcpy(f, t_mac_b, 6);
		memcpy(f + 6, t_mac_a, 6);
		us_put16(f + 12, types[i]);
		t_one_inject(&t, f, sizeof(f));
		cr_assert_eq(t.n.st->stats->eth.rx_badtype, i + 1, "type %04x", types[i]);
	}
	cr_assert_eq(t.n.st->stats->eth.rx_notours, 0);
	cr_assert_eq(t.n.st->stats->ip4.rx, 0);
	cr_assert_eq(t.n.st->stats->arp.rx, 0);
	cr_assert_eq(t_one_drain(&t), 0);
	t_one_fini(&t);
}

Test(link_eth, broadcast_frame_is_accepted_and_marked)
{
	struct t_one t;
	struct us_sock *s;
	uint8_t f[128], buf[16];
	uint32_t n;

	t_one_init(&t);
	s = udp_sock(&t, 9);
	n = t_build_udp(f, T_IP_A, 0xc61200ffu, 5000, 9, "all", 3);
	memset(f, 0xff, 6);
	t_one_inject(&t, f, n);
	cr_assert_eq(t.n.st->stats->eth.rx_notours, 0);
	cr_assert_eq(t.n.st->stats->ip4.rx, 1);
	cr_assert_eq(us_udp_recv(t.n.st, s, buf, sizeof(buf), 0, NULL, NULL), 3);
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}

/*
 * A UDP datagram of 1 byte is 14 + 20 + 8 + 1 = 43 bytes of frame: it
 * leaves padded with zeros to the 60-byte minimum, from our MAC to the
 * neighbour's, with EtherType IPv4; a full-size one is not padded.
 */
Test(link_eth, sent_frames_carry_our_mac_and_are_padded_to_60_bytes)
{
	static uint8_t big[1472];
	struct t_one t;
	struct us_sock *s;
	uint8_t f[2048];
	uint32_t n, i;
	uint64_t tx0;

	t_one_init(&t);
	t_one_learn_peer(&t);
	tx0 = t.n.st->stats->eth.tx;
	s = udp_sock(&t, 5000);
	cr_assert_eq(us_udp_send(t.n.st, s, "x", 1, T_IP_A, 7, 1), 1);
	n = t_one_take(&t, f, sizeof(f));
	cr_assert_eq(n, 60);
	cr_assert_eq(memcmp(f + US_ETH_DST, t_mac_a, 6), 0);
	cr_assert_eq(memcmp(f + US_ETH_SRC, t_mac_b, 6), 0);
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_IPV4);
	cr_assert_eq(us_get16(f + US_ETH_HLEN + US_IP4_LEN), 29);
	for (i = 43; i < 60; i++)
		cr_assert_eq(f[i], 0, "pad byte %u is %02x", i, f[i]);
	cr_assert_eq(us_udp_send(t.n.st, s, big, sizeof(big), T_IP_A, 7, 1), sizeof(big));
	cr_assert_eq(t_one_take(&t, f, sizeof(f)), 14 + 1500);
	cr_assert_eq(t.n.st->stats->eth.tx - tx0, 2);
	us_sock_close(t.n.st, s);
	t_one_fini(&t);
}
