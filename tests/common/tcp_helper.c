/*
 * tcp_helper.c - hand-built TCP segments for the state tests (see
 * tcp_helper.h): options, checksums, and parsing of what the stack sent;
 * and the byte stream of the transfer tests.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tcp_helper.h"

void
t_opt_nop(uint8_t *o, uint32_t *n)
{
	o[(*n)++] = 1;
}

void
t_opt_mss(uint8_t *o, uint32_t *n, uint16_t mss)
{
	o[(*n)++] = 2;
	o[(*n)++] = 4;
	us_put16(o + *n, mss);
	*n += 2;
}

void
t_opt_ws(uint8_t *o, uint32_t *n, uint8_t shift)
{
	o[(*n)++] = 3;
	o[(*n)++] = 3;
	o[(*n)++] = shift;
}

void
t_opt_sackok(uint8_t *o, uint32_t *n)
{
	o[(*n)++] = 4;
	o[(*n)++] = 2;
}

void
t_opt_ts(uint8_t *o, uint32_t *n, uint32_t tsval, uint32_t tsecr)
{
	o[(*n)++] = 8;
	o[(*n)++] = 10;
	us_put32(o + *n, tsval);
	us_put32(o + *n + 4, tsecr);
	*n += 8;
}

void
t_opt_sack(uint8_t *o, uint32_t *n, const uint32_t (*blocks)[2], int nblocks)
{
	int i;

	o[(*n)++] = 5;
	o[(*n)++] = (uint8_t)(2 + 8 * nblocks);
	for (i = 0; i < nblocks; i++) {
		us_put32(o + *n, blocks[i][0]);
		us_put32(o + *n + 4, blocks[i][1]);
		*n += 8;
	}
}

uint32_t
t_tcp_frame(uint8_t *frame, const struct t_seg *s)
{
	uint8_t th[20 + 40 + 2048];
	uint32_t olen = (s->optlen + 3) & ~3u, hlen = 20 + olen;

	cr_assert_leq(olen, 40);
	cr_assert_leq(s->len, sizeof(s->data));
	memset(th, 0, hlen);
	us_put16(th, s->sport);
	us_put16(th + 2, s->dport);
	us_put32(th + 4, s->seq);
	us_put32(th + 8, s->ack);
	th[12] = (uint8_t)((hlen / 4) << 4);
	th[13] = s->flags;
	us_put16(th + 14, s->win);
	us_put16(th + 18, s->up);
	memcpy(th + 20, s->opt, s->optlen);
	memcpy(th + hlen, s->data, s->len);
	us_put16(th + 16, us_cksum_fold(us_cksum_add(us_cksum_pseudo4(s->src, s->dst,
								       US_IPPROTO_TCP,
								       hlen + s->len),
						      th, hlen + s->len)));
	return t_build_ip4(frame, s->src, s->dst, US_IPPROTO_TCP, 1, US_IP4_DF, th,
			   hlen + s->len);
}

void
t_tcp_fix_csum(uint8_t *frame, uint32_t len)
{
	uint8_t *ip = frame + US_ETH_HLEN, *th = ip + 20;
	uint32_t tlen = len - US_ETH_HLEN - 20;

	us_put16(th + 16, 0);
	us_put16(th + 16, us_cksum_fold(us_cksum_add(us_cksum_pseudo4(us_get32(ip + US_IP4_SRC),
								       us_get32(ip + US_IP4_DST),
								       US_IPPROTO_TCP, tlen),
						      th, tlen)));
}

int
t_tcp_parse(const uint8_t *f, uint32_t len, struct t_seg *s)
{
	const uint8_t *ip = f + US_ETH_HLEN, *th, *o;
	uint32_t ihl, tot, tlen, off, i;

	memset(s, 0, sizeof(*s));
	s->wscale = -1;
	if (len < US_ETH_HLEN + 20 || us_get16(f + 12) != US_ETHERTYPE_IPV4)
		return -1;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	tot = us_get16(ip + US_IP4_LEN);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl + 20 || US_ETH_HLEN + tot > len ||
	    ip[US_IP4_PROTO] != US_IPPROTO_TCP || us_cksum_fold(us_cksum_add(0, ip, ihl)) != 0)
		return -1;
	s->src = us_get32(ip + US_IP4_SRC);
	s->dst = us_get32(ip + US_IP4_DST);
	th = ip + ihl;
	tlen = tot - ihl;
	off = (uint32_t)(th[12] >> 4) * 4;
	if (off < 20 || off > tlen || tlen - off > sizeof(s->data))
		return -1;
	if (us_cksum_fold(us_cksum_add(us_cksum_pseudo4(s->src, s->dst, US_IPPROTO_TCP, tlen), th,
				       tlen)) != 0)
		return -1;
	s->sport = us_get16(th);
	s->dport = us_get16(th + 2);
	s->seq = us_get32(th + 4);
	s->ack = us_get32(th + 8);
	s->flags = th[13];
	s->win = us_get16(th + 14);
	s->up = us_get16(th + 18);
	s->optlen = off - 20;
	memcpy(s->opt, th + 20, s->optlen);
	s->len = tlen - off;
	memcpy(s->data, th + off, s->len);
	o = s->opt;
	for (i = 0; i < s->optlen;) {
		uint32_t olen;

		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= s->optlen || o[i + 1] < 2 || i + o[i + 1] > s->optlen)
			return -1;
		olen = o[i + 1];
		switch (o[i]) {
		case 2:
			s->mss = us_get16(o + i + 2);
			break;
		case 3:
			s->wscale = o[i + 2];
			break;
		case 4:
			s->sack_ok = 1;
			break;
		case 5:
			s->nsack = (int)(olen - 2) / 8;
			for (int k = 0; k < s->nsack && k < 4; k++) {
				s->sack[k][0] = us_get32(o + i + 2 + 8 * k);
				s->sack[k][1] = us_get32(o + i + 6 + 8 * k);
			}
			break;
		case 8:
			s->has_ts = 1;
			s->tsval = us_get32(o + i + 2);
			s->tsecr = us_get32(o + i + 6);
			break;
		default:
			break;
		}
		i += olen;
	}
	return 0;
}

void
t_peer_xmit(struct t_peer *p, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
	    uint32_t len, const uint8_t *extra, uint32_t extralen)
{
	static struct t_seg s;
	static uint8_t frame[2200];
	uint32_t n = 0;

	memset(&s, 0, sizeof(s));
	s.src = T_IP_A;
	s.dst = T_IP_B;
	s.sport = p->port;
	s.dport = p->sport;
	s.seq = seq;
	s.ack = (flags & US_TH_ACK) ? ack : 0;
	s.flags = flags;
	s.win = p->win;
	if (p->ts) {
		/* Linux's layout: NOP, NOP, timestamps. */
		t_opt_nop(s.opt, &n);
		t_opt_nop(s.opt, &n);
		t_opt_ts(s.opt, &n, p->tsval, (flags & US_TH_ACK) ? p->ts_recent : 0);
	}
	cr_assert_leq(n + extralen, 40);
	if (extralen > 0)
		memcpy(s.opt + n, extra, extralen);
	s.optlen = n + extralen;
	cr_assert_leq(len, sizeof(s.data));
	if (len > 0)
		memcpy(s.data, data, len);
	s.len = len;
	t_one_inject(p->t, frame, t_tcp_frame(frame, &s));
}

void
t_peer_send(struct t_peer *p, uint8_t flags, const void *data, uint32_t len)
{
	t_peer_xmit(p, p->snd_nxt, p->rcv_nxt, flags, data, len, NULL, 0);
	p->snd_nxt += len + ((flags & US_TH_SYN) ? 1 : 0) + ((flags & US_TH_FIN) ? 1 : 0);
}

/* The peer is a real host: it answers the stack's ARP requests (the cache ages in long waits). */
static void
answer_arp(struct t_one *t, const uint8_t *req)
{
	uint8_t f[64];

	if (us_get16(req + 14 + US_ARP_OP) != US_ARP_REQUEST ||
	    us_get32(req + 14 + US_ARP_TPA) != T_IP_A)
		return;
	memset(f, 0, sizeof(f));
	memcpy(f, t_mac_b, 6);
	memcpy(f + 6, t_mac_a, 6);
	us_put16(f + 12, US_ETHERTYPE_ARP);
	us_put16(f + 14 + US_ARP_HTYPE, 1);
	us_put16(f + 14 + US_ARP_PTYPE, US_ETHERTYPE_IPV4);
	f[14 + US_ARP_HLEN] = 6;
	f[14 + US_ARP_PLEN] = 4;
	us_put16(f + 14 + US_ARP_OP, US_ARP_REPLY);
	memcpy(f + 14 + US_ARP_SHA, t_mac_a, 6);
	us_put32(f + 14 + US_ARP_SPA, T_IP_A);
	memcpy(f + 14 + US_ARP_THA, t_mac_b, 6);
	us_put32(f + 14 + US_ARP_TPA, T_IP_B);
	t_one_inject(t, f, 60);
}

int
t_peer_take(struct t_peer *p, struct t_seg *s)
{
	static uint8_t frame[2200];
	uint32_t n;

	for (;;) {
		n = t_one_take(p->t, frame, sizeof(frame));
		if (n == 0)
			return 0;
		if (n >= 14 + US_ARP_LEN && us_get16(frame + 12) == US_ETHERTYPE_ARP) {
			answer_arp(p->t, frame);
			continue;
		}
		break;
	}
	cr_assert_eq(t_tcp_parse(frame, n, s), 0, "the stack sent a frame that is not good TCP");
	cr_assert_eq(s->src, T_IP_B);
	cr_assert_eq(s->dst, T_IP_A);
	if (s->has_ts)
		p->ts_recent = s->tsval;
	return 1;
}

void
t_peer_expect_none(struct t_peer *p, const char *why)
{
	struct t_seg s;

	if (t_peer_take(p, &s))
		cr_assert_fail("%s: the stack sent seq %u ack %u flags 0x%02x len %u", why,
			       s.seq, s.ack, s.flags, s.len);
}

void
t_pattern(uint8_t *dst, uint64_t off, uint32_t n, uint64_t seed)
{
	uint64_t w = UINT64_MAX, v = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t o = off + i;

		if ((o >> 3) != w) {
			w = o >> 3;
			v = (w ^ seed) * 0x9e3779b97f4a7c15ull;
			v ^= v >> 29;
			v *= 0xbf58476d1ce4e5b9ull;
			v ^= v >> 32;
		}
		dst[i] = (uint8_t)(v >> (8 * (o & 7)));
	}
}
