/*
 * ICMP (lib/ip/icmp.c, RFC 792, RFC 1122 3.2.2): echo replies of any size,
 * broadcast echoes ignored, destination unreachable with its quote under a
 * token-bucket rate limit, never about broadcasts, and errors from the
 * network handed to the connected UDP socket they concern.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"

struct fx {
	struct t_one t;
	struct us_stats *st;
};

static void
fx_init(struct fx *x)
{
	t_one_init(&x->t);
	t_one_learn_peer(&x->t);
	x->st = x->t.n.st->stats;
}

static void
fx_fini(struct fx *x)
{
	t_one_fini(&x->t);
}

static struct us_sock *
udp_sock(struct fx *x, uint16_t port)
{
	int err = 0;
	struct us_sock *s = us_sock_create(x->t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);

	cr_assert_not_null(s, "socket: %d", err);
	cr_assert_eq(us_udp_bind(x->t.n.st, s, 0, port), 0);
	return s;
}

/* An ICMP message: type, code, the 4-byte rest of header, data; returns its length. */
static uint32_t
icmp_msg(uint8_t *m, uint8_t type, uint8_t code, uint32_t rest, const void *data, uint32_t dlen)
{
	m[US_ICMP_TYPE] = type;
	m[US_ICMP_CODE] = code;
	us_put16(m + US_ICMP_SUM, 0);
	us_put32(m + 4, rest);
	memcpy(m + US_ICMP_HLEN, data, dlen);
	us_put16(m + US_ICMP_SUM, us_cksum_fold(us_cksum_add(0, m, US_ICMP_HLEN + dlen)));
	return US_ICMP_HLEN + dlen;
}

/* Checks the IPv4 header of a frame from us to the peer; returns the IP payload length. */
static uint32_t
check_ip_to_peer(const uint8_t *f, uint32_t n, uint8_t proto)
{
	const uint8_t *ip = f + US_ETH_HLEN;

	cr_assert_geq(n, US_ETH_HLEN + US_IP4_HLEN);
	cr_assert_eq(memcmp(f + US_ETH_DST, t_mac_a, 6), 0, "Ethernet destination");
	cr_assert_eq(memcmp(f + US_ETH_SRC, t_mac_b, 6), 0, "Ethernet source");
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_IPV4);
	cr_assert_eq(us_ip4_hdr_check(ip, n - US_ETH_HLEN), US_IP4_HLEN, "IP header");
	cr_assert_eq(ip[US_IP4_PROTO], proto);
	cr_assert_eq(us_get32(ip + US_IP4_SRC), T_IP_B);
	cr_assert_eq(us_get32(ip + US_IP4_DST), T_IP_A);
	return us_get16(ip + US_IP4_LEN) - US_IP4_HLEN;
}

/*
 * scapy: Ether()/IP(src="198.18.0.1",dst="198.18.0.2")/ICMP(type=8,id=0x1234,seq=7)/Raw(56 bytes)
 */
Test(icmp, echo_request_gets_a_reply_with_same_id_seq_payload_and_valid_checksum)
{
	struct fx x;
	uint8_t data[56], m[128], f[256];
	const uint8_t *r;
	uint32_t n, len, i;

	fx_init(&x);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x10 + i);
	len = icmp_msg(m, US_ICMP_ECHO, 0, 0x12340007u, data, sizeof(data));
	t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 55, 0, m, len));
	n = t_one_take(&x.t, f, sizeof(f));
	cr_assert_eq(check_ip_to_peer(f, n, US_IPPROTO_ICMP), len);
	r = f + US_ETH_HLEN + US_IP4_HLEN;
	cr_assert_eq(r[US_ICMP_TYPE], US_ICMP_ECHOREPLY);
	cr_assert_eq(r[US_ICMP_CODE], 0);
	cr_assert_eq(us_get16(r + 4), 0x1234, "identifier");
	cr_assert_eq(us_get16(r + 6), 7, "sequence");
	cr_assert_eq(memcmp(r + US_ICMP_HLEN, data, sizeof(data)), 0, "payload");
	cr_assert_eq(us_cksum_fold(us_cksum_add(0, r, len)), 0, "ICMP checksum");
	cr_assert_eq(t_one_take(&x.t, f, sizeof(f)), 0, "one reply");
	cr_assert_eq(x.st->icmp.rx_echo, 1);
	cr_assert_eq(x.st->icmp.tx_echoreply, 1);
	fx_fini(&x);
}

/*
 * A 20008-byte echo request (20000 bytes of data) arrives in 14
 * fragments; the reply is as big, so it leaves in 14 fragments too.
 * scapy: fragment(IP(dst="198.18.0.2",id=900)/ICMP(id=0x4242,seq=1)/Raw(20000 bytes), 1480)
 */
Test(icmp, reply_to_a_reassembled_20000_byte_echo_leaves_in_fragments)
{
	static uint8_t data[20000], m[20008], back[20008];
	struct fx x;
	uint8_t f[2048];
	uint32_t len, off, i, nfrag = 0, got = 0;
	uint16_t id = 0;
	int last_seen = 0;

	fx_init(&x);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + (i >> 9));
	len = icmp_msg(m, US_ICMP_ECHO, 0, 0x42420001u, data, sizeof(data));
	for (off = 0; off < len; off += 1480) {
		uint32_t fl = len - off < 1480 ? len - off : 1480;
		uint16_t frag = (uint16_t)(off / 8) | (off + fl < len ? US_IP4_MF : 0);

		t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 900, frag,
						   m + off, fl));
	}
	cr_assert_eq(x.st->ip4.rx_reassembled, 1);
	cr_assert_eq(x.st->icmp.rx_echo, 1);
	cr_assert_eq(x.st->icmp.tx_echoreply, 1);
	for (;;) {
		uint32_t n = t_one_take(&x.t, f, sizeof(f)), plen, fo;
		const uint8_t *ip = f + US_ETH_HLEN;
		uint16_t fr;

		if (n == 0)
			break;
		plen = check_ip_to_peer(f, n, US_IPPROTO_ICMP);
		fr = us_get16(ip + US_IP4_FRAG);
		fo = (uint32_t)(fr & US_IP4_OFFMASK) * 8;
		if (nfrag == 0)
			id = us_get16(ip + US_IP4_ID);
		cr_assert_eq(us_get16(ip + US_IP4_ID), id);
		cr_assert_eq(fo, got, "fragments in order without holes");
		cr_assert_leq(fo + plen, sizeof(back));
		if (fr & US_IP4_MF)
			cr_assert_eq(plen % 8, 0);
		else
			last_seen = 1;
		memcpy(back + fo, ip + US_IP4_HLEN, plen);
		got += plen;
		nfrag++;
	}
	cr_assert(last_seen);
	cr_assert_eq(nfrag, 14);
	cr_assert_eq(got, len);
	cr_assert_eq(back[US_ICMP_TYPE], US_ICMP_ECHOREPLY);
	cr_assert_eq(us_get16(back + 4), 0x4242);
	cr_assert_eq(us_get16(back + 6), 1);
	cr_assert_eq(memcmp(back + US_ICMP_HLEN, data, sizeof(data)), 0);
	cr_assert_eq(us_cksum_fold(us_cksum_add(0, back, len)), 0, "ICMP checksum of the reply");
	cr_assert_eq(x.st->ip4.tx_frag, 14);
	fx_fini(&x);
}

/* Like Linux's icmp_echo_ignore_broadcasts: no smurf amplifier. */
Test(icmp, echo_to_a_broadcast_address_is_ignored)
{
	struct fx x;
	uint8_t m[64], f[128];
	uint32_t len, n;

	fx_init(&x);
	len = icmp_msg(m, US_ICMP_ECHO, 0, 0x00010001u, "smurf", 5);
	n = t_build_ip4(f, T_IP_A, 0xc61200ffu, US_IPPROTO_ICMP, 1, 0, m, len);
	memset(f, 0xff, 6);
	t_one_inject(&x.t, f, n);
	n = t_build_ip4(f, T_IP_A, 0xffffffffu, US_IPPROTO_ICMP, 2, 0, m, len);
	memset(f, 0xff, 6);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->icmp.rx_bcast_echo, 2);
	cr_assert_eq(x.st->icmp.rx_echo, 0);
	cr_assert_eq(x.st->icmp.tx_echoreply, 0);
	cr_assert_eq(t_one_drain(&x.t), 0);
	fx_fini(&x);
}

Test(icmp, bad_checksum_is_rx_badsum_and_short_message_rx_short)
{
	struct fx x;
	uint8_t m[64], f[128];
	uint32_t len;

	fx_init(&x);
	len = icmp_msg(m, US_ICMP_ECHO, 0, 0x00010001u, "data", 4);
	m[US_ICMP_HLEN] ^= 0x20;
	t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 3, 0, m, len));
	cr_assert_eq(x.st->icmp.rx_badsum, 1);
	t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 4, 0, m, 7));
	cr_assert_eq(x.st->icmp.rx_short, 1);
	cr_assert_eq(x.st->icmp.rx, 2);
	cr_assert_eq(x.st->icmp.rx_echo, 0);
	cr_assert_eq(t_one_drain(&x.t), 0);
	fx_fini(&x);
}

Test(icmp, echo_replies_and_other_types_are_counted_not_answered)
{
	struct fx x;
	uint8_t m[64], f[128];
	uint32_t len;

	fx_init(&x);
	len = icmp_msg(m, US_ICMP_ECHOREPLY, 0, 0x00010001u, "pong", 4);
	t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 5, 0, m, len));
	len = icmp_msg(m, 13, 0, 0, "timestamp req", 12);	/* RFC 792 timestamp */
	t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 6, 0, m, len));
	cr_assert_eq(x.st->icmp.rx_echoreply, 1);
	cr_assert_eq(x.st->icmp.rx_other, 1);
	cr_assert_eq(t_one_drain(&x.t), 0);
	fx_fini(&x);
}

/* Checks a destination unreachable from us: code, and that it quotes q (qlen bytes). */
static void
check_unreach(const uint8_t *f, uint32_t n, uint8_t code, const uint8_t *q, uint32_t qlen)
{
	const uint8_t *r = f + US_ETH_HLEN + US_IP4_HLEN;

	cr_assert_eq(check_ip_to_peer(f, n, US_IPPROTO_ICMP), US_ICMP_HLEN + qlen);
	cr_assert_eq(r[US_ICMP_TYPE], US_ICMP_UNREACH);
	cr_assert_eq(r[US_ICMP_CODE], code);
	cr_assert_eq(us_get32(r + 4), 0, "unused");
	cr_assert_eq(us_cksum_fold(us_cksum_add(0, r, US_ICMP_HLEN + qlen)), 0, "ICMP checksum");
	cr_assert_eq(memcmp(r + US_ICMP_HLEN, q, qlen), 0, "quote");
}

/*
 * RFC 792 / RFC 1122 3.2.2: the error quotes the datagram's IP header
 * and the first 8 bytes of its data -- here the UDP header, with the ports
 * the sender needs to find its socket.
 * scapy: IP(src="198.18.0.1",dst="198.18.0.2")/UDP(sport=5000,dport=9999)/Raw(100 bytes)
 */
Test(icmp, udp_to_a_closed_port_gets_port_unreachable_quoting_header_and_8_bytes)
{
	struct fx x;
	uint8_t data[100], f[256], r[256];
	uint32_t n;

	fx_init(&x);
	memset(data, 'u', sizeof(data));
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 9999, data, sizeof(data));
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->udp.rx_noport, 1);
	n = t_one_take(&x.t, r, sizeof(r));
	check_unreach(r, n, US_ICMP_UNREACH_PORT, f + US_ETH_HLEN, US_IP4_HLEN + 8);
	cr_assert_eq(x.st->icmp.tx_unreach, 1);
	cr_assert_eq(t_one_take(&x.t, r, sizeof(r)), 0);
	fx_fini(&x);
}

Test(icmp, quote_of_a_datagram_with_options_holds_its_whole_header)
{
	struct fx x;
	uint8_t f[256], g[256], r[256];
	uint32_t n;

	fx_init(&x);
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 9999, "opt", 3);
	/* The same datagram with NOP NOP NOP EOL after the header. */
	memcpy(g, f, US_ETH_HLEN + US_IP4_HLEN);
	memcpy(g + US_ETH_HLEN + US_IP4_HLEN, "\x01\x01\x01\x00", 4);
	memcpy(g + US_ETH_HLEN + 24, f + US_ETH_HLEN + US_IP4_HLEN, n - US_ETH_HLEN - US_IP4_HLEN);
	g[US_ETH_HLEN] = 0x46;
	us_put16(g + US_ETH_HLEN + US_IP4_LEN, (uint16_t)(n - US_ETH_HLEN + 4));
	us_put16(g + US_ETH_HLEN + US_IP4_SUM, 0);
	us_put16(g + US_ETH_HLEN + US_IP4_SUM,
		 us_cksum_fold(us_cksum_add(0, g + US_ETH_HLEN, 24)));
	t_one_inject(&x.t, g, n + 4);
	n = t_one_take(&x.t, r, sizeof(r));
	check_unreach(r, n, US_ICMP_UNREACH_PORT, g + US_ETH_HLEN, 24 + 8);
	fx_fini(&x);
}

/*
 * RFC 1812 4.3.2.8-style token bucket: 50 errors at once, then 100 per
 * second.  Errors past the bucket are counted tx_ratelimited.
 */
Test(icmp, errors_are_limited_to_a_burst_of_50_then_100_per_second)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n, i;

	fx_init(&x);
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 9999, "x", 1);
	for (i = 0; i < 60; i++)
		t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->udp.rx_noport, 60);
	cr_assert_eq(x.st->icmp.tx_unreach, 50);
	cr_assert_eq(x.st->icmp.tx_ratelimited, 10);
	cr_assert_eq(t_one_drain(&x.t), 50);
	/* 10 ms earns one token. */
	t_one_advance(&x.t, 10 * T_MS);
	t_one_inject(&x.t, f, n);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->icmp.tx_unreach, 51);
	cr_assert_eq(x.st->icmp.tx_ratelimited, 11);
	/* A long quiet spell refills the bucket to 50, not more. */
	t_one_advance(&x.t, 10 * T_S);
	for (i = 0; i < 60; i++)
		t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->icmp.tx_unreach, 101);
	cr_assert_eq(x.st->icmp.tx_ratelimited, 21);
	fx_fini(&x);
}

/*
 * Under a steady overload the rate is 100 per second whatever the spacing
 * of the datagrams: here 5 every 15 ms for 1.5 s (333/s asked for) must
 * give 150 errors, not one per 15 ms.
 */
Test(icmp, sustained_error_rate_is_100_per_second_at_any_spacing)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n, i, k;
	uint64_t sent0;

	fx_init(&x);
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 9999, "x", 1);
	for (i = 0; i < 50; i++)
		t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->icmp.tx_unreach, 50, "the burst");
	sent0 = x.st->icmp.tx_unreach;
	for (i = 0; i < 100; i++) {
		t_one_advance(&x.t, 15 * T_MS);
		for (k = 0; k < 5; k++)
			t_one_inject(&x.t, f, n);
		t_one_drain(&x.t);
	}
	cr_assert_geq(x.st->icmp.tx_unreach - sent0, 149, "%llu errors in 1.5 s",
		      (unsigned long long)(x.st->icmp.tx_unreach - sent0));
	cr_assert_leq(x.st->icmp.tx_unreach - sent0, 151, "%llu errors in 1.5 s",
		      (unsigned long long)(x.st->icmp.tx_unreach - sent0));
	fx_fini(&x);
}

/* RFC 1122 3.2.2: no error about a datagram sent to a broadcast address, IP or link. */
Test(icmp, no_error_about_a_broadcast_datagram)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = t_build_udp(f, T_IP_A, 0xc61200ffu, 5000, 9999, "b", 1);
	memset(f, 0xff, 6);
	t_one_inject(&x.t, f, n);
	n = t_build_udp(f, T_IP_A, 0xffffffffu, 5000, 9999, "b", 1);
	memset(f, 0xff, 6);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->udp.rx_bcast_noport, 2);
	/* Our unicast address inside a link-layer broadcast frame. */
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 9999, "b", 1);
	memset(f, 0xff, 6);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->udp.rx_noport, 1);
	cr_assert_eq(x.st->icmp.tx_unreach, 0);
	cr_assert_eq(x.st->icmp.tx_ratelimited, 0);
	cr_assert_eq(t_one_drain(&x.t), 0);
	fx_fini(&x);
}

/*
 * Sends a datagram from s to the peer's port dport and returns the ICMP error
 * the peer would send about it: its real IP header and first 8 bytes.
 * scapy: IP(src="198.18.0.1",dst="198.18.0.2")/ICMP(type=3,code=code)/<our datagram>[:28]
 */
static uint32_t
error_about(struct fx *x, struct us_sock *s, uint8_t *f, uint8_t type, uint8_t code,
	    uint16_t dport)
{
	uint8_t out[256], m[64];
	uint32_t n, len;

	cr_assert_eq(us_udp_send(x->t.n.st, s, "query", 5, T_IP_A, dport, 1), 5);
	n = t_one_take(&x->t, out, sizeof(out));
	cr_assert_gt(n, US_ETH_HLEN + US_IP4_HLEN + 8);
	len = icmp_msg(m, type, code, 0, out + US_ETH_HLEN, US_IP4_HLEN + 8);
	return t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 77, 0, m, len);
}

Test(icmp, port_unreachable_sets_econnrefused_on_the_connected_socket)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[256], buf[16];
	unsigned ev;

	fx_init(&x);
	s = udp_sock(&x, 6000);
	cr_assert_eq(us_udp_connect(x.t.n.st, s, T_IP_A, 53), 0);
	ev = x.t.n.events;
	t_one_inject(&x.t, f, error_about(&x, s, f, US_ICMP_UNREACH, US_ICMP_UNREACH_PORT, 53));
	cr_assert_eq(x.st->icmp.rx_err, 1);
	cr_assert_eq(x.st->icmp.rx_err_delivered, 1);
	cr_assert_eq(s->so_error, ECONNREFUSED);
	cr_assert_gt(x.t.n.events, ev, "the socket's waiters must be woken");
	cr_assert(us_sock_events(s) & US_EV_ERR);
	cr_assert_eq(us_udp_recv(x.t.n.st, s, buf, sizeof(buf), 0, NULL, NULL), -ECONNREFUSED);
	cr_assert_eq(s->so_error, 0, "reported once");
	cr_assert_eq(us_udp_recv(x.t.n.st, s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	us_sock_close(x.t.n.st, s);
	fx_fini(&x);
}

Test(icmp, other_unreachable_codes_map_to_their_errno)
{
	static const struct {
		uint8_t type, code;
		int err;
	} map[] = {
		{ US_ICMP_UNREACH, US_ICMP_UNREACH_NET, ENETUNREACH },
		{ US_ICMP_UNREACH, US_ICMP_UNREACH_HOST, EHOSTUNREACH },
		{ US_ICMP_UNREACH, US_ICMP_UNREACH_PROTOCOL, ENOPROTOOPT },
		{ US_ICMP_UNREACH, US_ICMP_UNREACH_NEEDFRAG, EMSGSIZE },
		{ US_ICMP_TIMXCEED, 0, EHOSTUNREACH },
		{ US_ICMP_PARAMPROB, 0, EPROTO },
	};
	struct fx x;
	struct us_sock *s;
	uint8_t f[256];
	unsigned i;

	fx_init(&x);
	s = udp_sock(&x, 6000);
	cr_assert_eq(us_udp_connect(x.t.n.st, s, T_IP_A, 53), 0);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		t_one_inject(&x.t, f, error_about(&x, s, f, map[i].type, map[i].code, 53));
		cr_assert_eq(s->so_error, map[i].err, "type %u code %u", map[i].type, map[i].code);
		s->so_error = 0;
	}
	/* Source quench is deprecated (RFC 6633): no error. */
	t_one_inject(&x.t, f, error_about(&x, s, f, US_ICMP_SOURCEQUENCH, 0, 53));
	cr_assert_eq(s->so_error, 0);
	us_sock_close(x.t.n.st, s);
	fx_fini(&x);
}

/* As Linux: an unconnected socket cannot tell which of its sends failed, so it is not told. */
Test(icmp, unconnected_socket_is_not_told)
{
	struct fx x;
	struct us_sock *s, *c;
	uint8_t f[256], buf[16];

	fx_init(&x);
	s = udp_sock(&x, 6001);
	t_one_inject(&x.t, f, error_about(&x, s, f, US_ICMP_UNREACH, US_ICMP_UNREACH_PORT, 53));
	cr_assert_eq(x.st->icmp.rx_err, 1);
	cr_assert_eq(x.st->icmp.rx_err_delivered, 0);
	cr_assert_eq(s->so_error, 0);
	cr_assert_eq(us_udp_recv(x.t.n.st, s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	/* Nor a connected socket whose peer is another port. */
	c = udp_sock(&x, 6002);
	cr_assert_eq(us_udp_connect(x.t.n.st, c, T_IP_A, 54), 0);
	t_one_inject(&x.t, f, error_about(&x, c, f, US_ICMP_UNREACH, US_ICMP_UNREACH_PORT, 54));
	cr_assert_eq(c->so_error, ECONNREFUSED);
	c->so_error = 0;
	{
		/* The same error rewritten as if about port 53. */
		uint8_t *q = f + US_ETH_HLEN + US_IP4_HLEN + US_ICMP_HLEN;
		uint8_t *ic = f + US_ETH_HLEN + US_IP4_HLEN;

		us_put16(q + US_IP4_HLEN + US_UDP_DPORT, 53);
		us_put16(ic + US_ICMP_SUM, 0);
		us_put16(ic + US_ICMP_SUM,
			 us_cksum_fold(us_cksum_add(0, ic, US_ICMP_HLEN + US_IP4_HLEN + 8)));
		t_one_inject(&x.t, f, US_ETH_HLEN + US_IP4_HLEN + US_ICMP_HLEN + US_IP4_HLEN + 8);
	}
	cr_assert_eq(c->so_error, 0);
	cr_assert_eq(x.st->icmp.rx_err_delivered, 1);
	us_sock_close(x.t.n.st, s);
	us_sock_close(x.t.n.st, c);
	fx_fini(&x);
}

Test(icmp, error_quoting_a_datagram_not_from_us_is_rx_err_bad)
{
	struct fx x;
	struct us_sock *s;
	uint8_t f[256], m[128], q[64];
	uint32_t len;

	fx_init(&x);
	s = udp_sock(&x, 6000);
	cr_assert_eq(us_udp_connect(x.t.n.st, s, T_IP_A, 53), 0);
	/* A quote whose source is another host, ports matching our socket. */
	t_build_udp(f, 0xc6120009u, T_IP_A, 6000, 53, "query", 5);
	memcpy(q, f + US_ETH_HLEN, US_IP4_HLEN + 8);
	len = icmp_msg(m, US_ICMP_UNREACH, US_ICMP_UNREACH_PORT, 0, q, US_IP4_HLEN + 8);
	t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 1, 0, m, len));
	cr_assert_eq(x.st->icmp.rx_err_bad, 1);
	/* A quote cut short: the IP header and 4 bytes. */
	t_build_udp(f, T_IP_B, T_IP_A, 6000, 53, "query", 5);
	memcpy(q, f + US_ETH_HLEN, US_IP4_HLEN + 8);
	len = icmp_msg(m, US_ICMP_UNREACH, US_ICMP_UNREACH_PORT, 0, q, US_IP4_HLEN + 4);
	t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 2, 0, m, len));
	cr_assert_eq(x.st->icmp.rx_err_bad, 2);
	/* A quote that is not IPv4. */
	q[0] = 0x65;
	len = icmp_msg(m, US_ICMP_UNREACH, US_ICMP_UNREACH_PORT, 0, q, US_IP4_HLEN + 8);
	t_one_inject(&x.t, f, t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 3, 0, m, len));
	cr_assert_eq(x.st->icmp.rx_err_bad, 3);
	cr_assert_eq(x.st->icmp.rx_err, 3);
	cr_assert_eq(x.st->icmp.rx_err_delivered, 0);
	cr_assert_eq(s->so_error, 0);
	us_sock_close(x.t.n.st, s);
	fx_fini(&x);
}
