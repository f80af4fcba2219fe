/*
 * IPv4 input (lib/ip/ip4.c, RFC 791, RFC 1122 3.2.1): every malformed
 * header is dropped and counted by its reason before anything reads it;
 * datagrams not for us are dropped; an unknown protocol is answered with
 * a rate-limited protocol unreachable; link padding is trimmed; broadcast
 * destinations are accepted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"

#define PROTO_UNKNOWN 253	/* RFC 3692 experimental: no stack implements it */

struct fx {
	struct t_one t;
	struct us_sock *s;	/* UDP port 7, wildcard */
	struct us_stats *st;	/* the stack's counters */
};

static void
fx_init(struct fx *x)
{
	int err = 0;

	t_one_init(&x->t);
	t_one_learn_peer(&x->t);
	x->st = x->t.n.st->stats;
	x->s = us_sock_create(x->t.n.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_not_null(x->s);
	cr_assert_eq(us_udp_bind(x->t.n.st, x->s, 0, 7), 0);
}

static void
fx_fini(struct fx *x)
{
	us_sock_close(x->t.n.st, x->s);
	t_one_fini(&x->t);
}

/* Recomputes the header checksum over the header length the frame claims. */
static void
ip_resum(uint8_t *f)
{
	uint8_t *ip = f + US_ETH_HLEN;
	uint32_t hlen = (uint32_t)(ip[0] & 0xf) * 4;

	if (hlen < US_IP4_HLEN)
		hlen = US_IP4_HLEN;
	us_put16(ip + US_IP4_SUM, 0);
	us_put16(ip + US_IP4_SUM, us_cksum_fold(us_cksum_add(0, ip, hlen)));
}

/* scapy: Ether()/IP(src="198.18.0.1",dst="198.18.0.2",id=1)/UDP(sport=5000,dport=7)/"ping" */
static uint32_t
good_udp(uint8_t *f)
{
	return t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, "ping", 4);
}

/* Injects the frame and checks it was dropped by IP: nothing delivered, nothing sent. */
static void
inject_dropped(struct fx *x, const uint8_t *f, uint32_t len, const char *what)
{
	uint64_t rx = x->st->ip4.rx, del = x->st->ip4.rx_delivered, urx = x->st->udp.rx;
	char buf[64];

	t_one_inject(&x->t, f, len);
	cr_assert_eq(x->st->ip4.rx, rx + 1, "%s: not seen by IP", what);
	cr_assert_eq(x->st->ip4.rx_delivered, del, "%s: delivered", what);
	cr_assert_eq(x->st->udp.rx, urx, "%s: reached UDP", what);
	cr_assert_eq(us_udp_recv(x->t.n.st, x->s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN,
		     "%s: queued to the socket", what);
	cr_assert_eq(t_one_drain(&x->t), 0, "%s: answered", what);
}

Test(ip4_input, well_formed_datagram_is_delivered)
{
	struct fx x;
	uint8_t f[128], buf[16];
	uint32_t from;
	uint16_t port;

	fx_init(&x);
	t_one_inject(&x.t, f, good_udp(f));
	cr_assert_eq(x.st->ip4.rx, 1);
	cr_assert_eq(x.st->ip4.rx_delivered, 1);
	cr_assert_eq(us_udp_recv(x.t.n.st, x.s, buf, sizeof(buf), 0, &from, &port), 4);
	cr_assert_eq(memcmp(buf, "ping", 4), 0);
	cr_assert_eq(from, T_IP_A);
	cr_assert_eq(port, 5000);
	fx_fini(&x);
}

Test(ip4_input, packet_shorter_than_a_header_is_rx_short)
{
	struct fx x;
	uint8_t f[128];
	uint32_t len;

	fx_init(&x);
	good_udp(f);
	for (len = US_ETH_HLEN; len < US_ETH_HLEN + US_IP4_HLEN; len++)
		inject_dropped(&x, f, len, "short");
	cr_assert_eq(x.st->ip4.rx_short, US_IP4_HLEN);
	fx_fini(&x);
}

/* scapy: IP(version=6)/UDP() in an IPv4 EtherType, and version 0 */
Test(ip4_input, version_other_than_4_is_rx_badver)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = good_udp(f);
	f[US_ETH_HLEN] = 0x65;
	ip_resum(f);
	inject_dropped(&x, f, n, "version 6");
	f[US_ETH_HLEN] = 0x05;
	ip_resum(f);
	inject_dropped(&x, f, n, "version 0");
	cr_assert_eq(x.st->ip4.rx_badver, 2);
	fx_fini(&x);
}

Test(ip4_input, header_length_below_5_words_is_rx_badhlen)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = good_udp(f);
	f[US_ETH_HLEN] = 0x44;
	ip_resum(f);
	inject_dropped(&x, f, n, "ihl 4");
	f[US_ETH_HLEN] = 0x40;
	ip_resum(f);
	inject_dropped(&x, f, n, "ihl 0");
	cr_assert_eq(x.st->ip4.rx_badhlen, 2);
	fx_fini(&x);
}

/* IHL 15 (60 bytes) in a frame with only 32 bytes of IP */
Test(ip4_input, header_length_past_the_data_is_rx_badhlen)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = good_udp(f);
	f[US_ETH_HLEN] = 0x4f;
	ip_resum(f);
	inject_dropped(&x, f, n, "ihl 15");
	cr_assert_eq(x.st->ip4.rx_badhlen, 1);
	fx_fini(&x);
}

Test(ip4_input, total_length_below_the_header_is_rx_badlen)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = good_udp(f);
	us_put16(f + US_ETH_HLEN + US_IP4_LEN, 19);
	ip_resum(f);
	inject_dropped(&x, f, n, "tlen 19");
	us_put16(f + US_ETH_HLEN + US_IP4_LEN, 0);
	ip_resum(f);
	inject_dropped(&x, f, n, "tlen 0");
	cr_assert_eq(x.st->ip4.rx_badlen, 2);
	fx_fini(&x);
}

Test(ip4_input, total_length_past_the_frame_is_rx_badlen)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = good_udp(f);	/* 32 bytes of IP */
	us_put16(f + US_ETH_HLEN + US_IP4_LEN, 33);
	ip_resum(f);
	inject_dropped(&x, f, n, "tlen 33");
	us_put16(f + US_ETH_HLEN + US_IP4_LEN, 65535);
	ip_resum(f);
	inject_dropped(&x, f, n, "tlen 65535");
	cr_assert_eq(x.st->ip4.rx_badlen, 2);
	fx_fini(&x);
}

Test(ip4_input, bad_header_checksum_is_rx_badsum)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = good_udp(f);
	f[US_ETH_HLEN + US_IP4_SUM + 1] ^= 0x01;
	inject_dropped(&x, f, n, "checksum off by one");
	good_udp(f);
	f[US_ETH_HLEN + US_IP4_TTL]--;	/* a router that forgot the checksum */
	inject_dropped(&x, f, n, "ttl changed");
	cr_assert_eq(x.st->ip4.rx_badsum, 2);
	fx_fini(&x);
}

/*
 * A datagram with a 24-byte header: options opt (4 bytes) then UDP "ping".
 * scapy: IP(options=[IPOption(opt)])/UDP(sport=5000,dport=7)/"ping"
 */
static uint32_t
udp_with_options(uint8_t *f, const uint8_t opt[4])
{
	uint8_t tmp[128];
	uint32_t n = good_udp(tmp);

	memcpy(f, tmp, US_ETH_HLEN + US_IP4_HLEN);
	memcpy(f + US_ETH_HLEN + US_IP4_HLEN, opt, 4);
	memcpy(f + US_ETH_HLEN + US_IP4_HLEN + 4, tmp + US_ETH_HLEN + US_IP4_HLEN,
	       n - US_ETH_HLEN - US_IP4_HLEN);
	f[US_ETH_HLEN] = 0x46;
	us_put16(f + US_ETH_HLEN + US_IP4_LEN, (uint16_t)(n - US_ETH_HLEN + 4));
	ip_resum(f);
	return n + 4;
}

Test(ip4_input, malformed_options_are_rx_badopt)
{
	static const uint8_t zero_len[4] = { 0x07, 0x00, 0x04, 0x00 };	/* RR, length 0 */
	static const uint8_t one_len[4] = { 0x07, 0x01, 0x04, 0x00 };	/* RR, length 1 */
	static const uint8_t past[4] = { 0x07, 0x0b, 0x04, 0x00 };	/* RR, 11 bytes in 4 */
	static const uint8_t no_len[4] = { 0x01, 0x01, 0x01, 0x83 };	/* LSRR, no length */
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = udp_with_options(f, zero_len);
	inject_dropped(&x, f, n, "option length 0");
	n = udp_with_options(f, one_len);
	inject_dropped(&x, f, n, "option length 1");
	n = udp_with_options(f, past);
	inject_dropped(&x, f, n, "option past the header");
	n = udp_with_options(f, no_len);
	inject_dropped(&x, f, n, "option cut before its length");
	cr_assert_eq(x.st->ip4.rx_badopt, 4);
	fx_fini(&x);
}

Test(ip4_input, well_formed_options_are_skipped_and_the_payload_delivered)
{
	static const uint8_t nops[4] = { 0x01, 0x01, 0x01, 0x00 };	/* NOP NOP NOP EOL */
	static const uint8_t rr[4] = { 0x07, 0x03, 0x04, 0x00 };	/* empty RR, then EOL */
	struct fx x;
	uint8_t f[128], buf[16];

	fx_init(&x);
	t_one_inject(&x.t, f, udp_with_options(f, nops));
	t_one_inject(&x.t, f, udp_with_options(f, rr));
	cr_assert_eq(x.st->ip4.rx_badopt, 0);
	cr_assert_eq(x.st->udp.rx_badsum, 0);
	cr_assert_eq(us_udp_recv(x.t.n.st, x.s, buf, sizeof(buf), 0, NULL, NULL), 4);
	cr_assert_eq(memcmp(buf, "ping", 4), 0);
	cr_assert_eq(us_udp_recv(x.t.n.st, x.s, buf, sizeof(buf), 0, NULL, NULL), 4);
	cr_assert_eq(memcmp(buf, "ping", 4), 0);
	fx_fini(&x);
}

/* RFC 791 3.1: flag bit 0 is reserved and must be zero (the "evil bit", RFC 3514). */
Test(ip4_input, reserved_flag_set_is_rx_badflags)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = good_udp(f);
	us_put16(f + US_ETH_HLEN + US_IP4_FRAG, US_IP4_RF);
	ip_resum(f);
	inject_dropped(&x, f, n, "RF");
	us_put16(f + US_ETH_HLEN + US_IP4_FRAG, US_IP4_RF | US_IP4_DF);
	ip_resum(f);
	inject_dropped(&x, f, n, "RF|DF");
	cr_assert_eq(x.st->ip4.rx_badflags, 2);
	cr_assert_eq(x.st->ip4.rx_badlen, 0, "not a length problem");
	cr_assert_eq(x.st->ip4.rx_frag, 0);
	/* DF alone is fine. */
	us_put16(f + US_ETH_HLEN + US_IP4_FRAG, US_IP4_DF);
	ip_resum(f);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->udp.rx_delivered, 1);
	fx_fini(&x);
}

/* RFC 1122 3.2.1.3: a broadcast or multicast source address is never valid. */
Test(ip4_input, broadcast_or_multicast_source_is_rx_badsrc)
{
	static const uint32_t bad[] = { 0xc61200ffu, 0xffffffffu, 0xe0000001u, 0xefffffffu };
	struct fx x;
	uint8_t f[128];
	unsigned i;

	fx_init(&x);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t n = t_build_udp(f, bad[i], T_IP_B, 5000, 7, "ping", 4);

		inject_dropped(&x, f, n, "bad source");
	}
	cr_assert_eq(x.st->ip4.rx_badsrc, 4);
	fx_fini(&x);
}

Test(ip4_input, datagram_for_another_address_is_rx_notours)
{
	static const uint32_t other[] = { 0xc6120009u, 0xc6120000u, 0x0a000002u, 0xe0000001u };
	struct fx x;
	uint8_t f[128];
	unsigned i;

	fx_init(&x);
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		uint32_t n = t_build_udp(f, T_IP_A, other[i], 5000, 7, "ping", 4);

		inject_dropped(&x, f, n, "not ours");
	}
	cr_assert_eq(x.st->ip4.rx_notours, 4);
	fx_fini(&x);
}

/* Checks an ICMP error frame from us to the peer: type, code and the quote. */
static void
check_icmp_error(const uint8_t *f, uint32_t n, uint8_t type, uint8_t code, const uint8_t *quote,
		 uint32_t qlen)
{
	const uint8_t *ip = f + US_ETH_HLEN, *ic;
	uint32_t tlen;

	cr_assert_geq(n, US_ETH_HLEN + US_IP4_HLEN + US_ICMP_HLEN);
	cr_assert_eq(memcmp(f + US_ETH_DST, t_mac_a, 6), 0);
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_IPV4);
	cr_assert_eq(us_ip4_hdr_check(ip, n - US_ETH_HLEN), US_IP4_HLEN);
	tlen = us_get16(ip + US_IP4_LEN);
	cr_assert_eq(tlen, US_IP4_HLEN + US_ICMP_HLEN + qlen);
	cr_assert_eq(ip[US_IP4_PROTO], US_IPPROTO_ICMP);
	cr_assert_eq(us_get32(ip + US_IP4_SRC), T_IP_B);
	cr_assert_eq(us_get32(ip + US_IP4_DST), T_IP_A);
	ic = ip + US_IP4_HLEN;
	cr_assert_eq(ic[US_ICMP_TYPE], type);
	cr_assert_eq(ic[US_ICMP_CODE], code);
	cr_assert_eq(us_get32(ic + 4), 0, "unused word must be zero");
	cr_assert_eq(us_cksum_fold(us_cksum_add(0, ic, tlen - US_IP4_HLEN)), 0, "ICMP checksum");
	cr_assert_eq(memcmp(ic + US_ICMP_HLEN, quote, qlen), 0, "quote");
}

/*
 * RFC 1122 3.2.2.1: a datagram for a protocol we lack is answered with
 * protocol unreachable quoting its header and 8 bytes, under the shared
 * error rate limit (a burst of 50).
 * scapy: IP(src="198.18.0.1",dst="198.18.0.2",proto=253)/"0123456789abcdef"
 */
Test(ip4_input, unknown_protocol_gets_a_rate_limited_protocol_unreachable)
{
	struct fx x;
	uint8_t f[128], r[256];
	uint32_t n, i;

	fx_init(&x);
	n = t_build_ip4(f, T_IP_A, T_IP_B, PROTO_UNKNOWN, 77, 0, "0123456789abcdef", 16);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->ip4.rx_unkproto, 1);
	cr_assert_eq(x.st->icmp.tx_unreach, 1);
	check_icmp_error(r, t_one_take(&x.t, r, sizeof(r)), US_ICMP_UNREACH,
			 US_ICMP_UNREACH_PROTOCOL, f + US_ETH_HLEN, US_IP4_HLEN + 8);
	for (i = 1; i < 60; i++)
		t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->ip4.rx_unkproto, 60);
	cr_assert_eq(x.st->icmp.tx_unreach, 50);
	cr_assert_eq(x.st->icmp.tx_ratelimited, 10);
	cr_assert_eq(t_one_drain(&x.t), 49);
	fx_fini(&x);
}

Test(ip4_input, unknown_protocol_to_a_broadcast_address_gets_no_error)
{
	struct fx x;
	uint8_t f[128];
	uint32_t n;

	fx_init(&x);
	n = t_build_ip4(f, T_IP_A, 0xc61200ffu, PROTO_UNKNOWN, 1, 0, "abcdefgh", 8);
	memset(f, 0xff, 6);
	inject_dropped(&x, f, n, "directed broadcast");
	n = t_build_ip4(f, T_IP_A, 0xffffffffu, PROTO_UNKNOWN, 1, 0, "abcdefgh", 8);
	memset(f, 0xff, 6);
	inject_dropped(&x, f, n, "limited broadcast");
	cr_assert_eq(x.st->ip4.rx_unkproto, 2);
	cr_assert_eq(x.st->icmp.tx_unreach, 0);
	cr_assert_eq(x.st->icmp.tx_ratelimited, 0);
	fx_fini(&x);
}

/*
 * A 2-byte UDP datagram is a 44-byte frame; the NIC pads it to 60.  The
 * padding here is 0xaa, not zeros, so it would spoil the checksum or the
 * length if IP kept it.
 */
Test(ip4_input, ethernet_padding_is_trimmed_to_the_total_length)
{
	struct fx x;
	uint8_t f[128], buf[64];
	uint32_t n;

	fx_init(&x);
	n = t_build_udp(f, T_IP_A, T_IP_B, 5000, 7, "hi", 2);
	cr_assert_eq(n, 44);
	memset(f + n, 0xaa, 60 - n);
	t_one_inject(&x.t, f, 60);
	cr_assert_eq(x.st->udp.rx_badsum, 0);
	cr_assert_eq(x.st->udp.rx_badlen, 0);
	cr_assert_eq(us_udp_recv(x.t.n.st, x.s, buf, sizeof(buf), 0, NULL, NULL), 2);
	cr_assert_eq(memcmp(buf, "hi", 2), 0);
	fx_fini(&x);
}

/* The same for ICMP, which takes its length from IP: the echo reply carries 4 bytes, not 22. */
Test(ip4_input, ethernet_padding_is_not_echoed_back)
{
	struct fx x;
	uint8_t f[128], r[128], icmp[12];
	uint32_t n;

	fx_init(&x);
	memset(icmp, 0, sizeof(icmp));
	icmp[US_ICMP_TYPE] = US_ICMP_ECHO;
	us_put16(icmp + 4, 0x1234);
	us_put16(icmp + 6, 1);
	memcpy(icmp + 8, "abcd", 4);
	us_put16(icmp + US_ICMP_SUM, us_cksum_fold(us_cksum_add(0, icmp, sizeof(icmp))));
	n = t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 9, 0, icmp, sizeof(icmp));
	memset(f + n, 0xaa, 60 - n);
	t_one_inject(&x.t, f, 60);
	cr_assert_eq(x.st->icmp.rx_badsum, 0);
	n = t_one_take(&x.t, r, sizeof(r));
	cr_assert_eq(n, 60);
	cr_assert_eq(us_get16(r + US_ETH_HLEN + US_IP4_LEN), 20 + 12);
	cr_assert_eq(memcmp(r + US_ETH_HLEN + 20 + 8, "abcd", 4), 0);
	fx_fini(&x);
}

Test(ip4_input, directed_and_limited_broadcast_are_accepted)
{
	struct fx x;
	uint8_t f[128], buf[16];
	uint32_t n;

	fx_init(&x);
	n = t_build_udp(f, T_IP_A, 0xc61200ffu, 5000, 7, "dir", 3);
	memset(f, 0xff, 6);
	t_one_inject(&x.t, f, n);
	n = t_build_udp(f, T_IP_A, 0xffffffffu, 5000, 7, "lim", 3);
	memset(f, 0xff, 6);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->ip4.rx_notours, 0);
	cr_assert_eq(x.st->ip4.rx_delivered, 2);
	cr_assert_eq(us_udp_recv(x.t.n.st, x.s, buf, sizeof(buf), 0, NULL, NULL), 3);
	cr_assert_eq(memcmp(buf, "dir", 3), 0);
	cr_assert_eq(us_udp_recv(x.t.n.st, x.s, buf, sizeof(buf), 0, NULL, NULL), 3);
	cr_assert_eq(memcmp(buf, "lim", 3), 0);
	fx_fini(&x);
}
