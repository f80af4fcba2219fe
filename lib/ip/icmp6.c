/*
 * icmp6.c - ICMPv6 (RFC 4443): checksum over the pseudo-header, echo
 * replies (to group echoes too, from a unicast address of ours), errors
 * from the network handed to the socket they concern (Packet Too Big also
 * lowers the path MTU, RFC 8201), errors we send under RFC 4443 2.4's
 * rules and rate limit.  Neighbour discovery and MLD go to nd6.c.
 */
#include <errno.h>
#include <string.h>

#include "../core/stack.h"
#include "../link/link.h"
#include "../tcp/tcp.h"
#include "../udp/udp.h"
#include "../wire/wire.h"
#include "ip6.h"
#include "ip_subr.h"

/* RFC 4443 2.4(c): an error holds as much of the datagram as fits in the minimum MTU. */
#define QUOTE_MAX	(US_IP6_MINMTU - US_IP6_HLEN - US_ICMP6_HLEN)

/* Our address to answer a datagram sent from peer to dst: dst itself if it is ours. */
static int
answer_src(const struct us_stack *st, const struct us_in6 *dst, const struct us_in6 *peer,
	   struct us_in6 *src)
{
	if (!us_in6_is_multicast(dst) && us_ip6_is_ours(st, dst)) {
		*src = *dst;
		return 0;
	}
	return us_ip6_select_src(st, peer, src);
}

static void
echo_reply(struct us_stack *st, struct us_pkt *pkt, uint32_t len)
{
	struct us_iov iov[US_IP4_MAXIOV];
	uint8_t hdr[US_ICMP6_HLEN];
	struct us_in6 src;
	uint64_t sum;
	int n;

	/* RFC 4443 2.4(e.6): never to an unspecified source (groups never send). */
	if (us_in6_is_unspec(&pkt->ip6_src))
		return;
	/* RFC 4443 4.2: a group's echo is answered from a unicast address of ours. */
	if (answer_src(st, &pkt->ip6_dst, &pkt->ip6_src, &src) != 0)
		return;
	us_pkt_chain_read(pkt, 0, hdr, US_ICMP6_HLEN);
	hdr[US_ICMP_TYPE] = US_ICMP6_ECHOREPLY;
	hdr[US_ICMP_CODE] = 0;
	us_put16(hdr + US_ICMP_SUM, 0);
	/* The addresses may differ from the request's: recompute over everything. */
	sum = us_cksum_pseudo6(&src, &pkt->ip6_src, US_IPPROTO_ICMPV6, len);
	sum = us_cksum_add(sum, hdr, US_ICMP6_HLEN);
	sum = us_cksum_chain(sum, pkt, US_ICMP6_HLEN, len - US_ICMP6_HLEN);
	us_put16(hdr + US_ICMP_SUM, us_cksum_fold(sum));
	iov[0].base = hdr;
	iov[0].len = US_ICMP6_HLEN;
	n = us_iov_from_chain(iov + 1, US_IP4_MAXIOV - 1, pkt, US_ICMP6_HLEN);
	if (n < 0)
		return;
	if (us_ip6_send(st, &src, &pkt->ip6_src, US_IPPROTO_ICMPV6, pkt->ip_tos, us_ip6_hlim(st), 0,
			iov, n + 1) == 0)
		st->stats->icmp6.tx_echoreply++;
}

/*
 * The errno an error message means to a socket, and whether it is hard
 * (as Linux's icmpv6_err_convert): soft errors (no route, address
 * unreachable, time exceeded, too big) may pass; a datagram socket only
 * hears hard ones.
 */
static int
error_errno(uint8_t type, uint8_t code, int *hard)
{
	*hard = 0;
	switch (type) {
	case US_ICMP6_UNREACH:
		switch (code) {
		case US_ICMP6_UNREACH_NOROUTE:
			return ENETUNREACH;
		case US_ICMP6_UNREACH_PORT:
			*hard = 1;
			return ECONNREFUSED;
		case 1:	/* administratively prohibited */
		case 5:	/* source address failed ingress/egress policy */
		case 6:	/* reject route to destination */
			*hard = 1;
			return EACCES;
		default:
			return EHOSTUNREACH;
		}
	case US_ICMP6_PKTTOOBIG:
		return EMSGSIZE;
	case US_ICMP6_PARAMPROB:
		*hard = 1;
		return EPROTO;
	default:
		return EHOSTUNREACH;
	}
}

/* An error from the network: find the socket the quoted datagram came from. */
static void
error_input(struct us_stack *st, struct us_pkt *pkt, uint32_t len, uint8_t type, uint8_t code)
{
	struct us_icmp6_stats *cs = &st->stats->icmp6;
	uint8_t q[US_ICMP6_HLEN + 512];
	uint32_t qlen = len < sizeof(q) ? len : (uint32_t)sizeof(q), mtu = 0;
	struct us_in6 qsrc, qdst;
	const uint8_t *ip = q + US_ICMP6_HLEN;
	uint8_t proto;
	int l4, hard, err = error_errno(type, code, &hard);

	cs->rx_err++;
	if (type == US_ICMP6_PKTTOOBIG)
		cs->rx_pkttoobig++;
	us_pkt_chain_read(pkt, 0, q, qlen);
	/* The quote: our IPv6 header, its extension headers, and the ports after them. */
	if (qlen < US_ICMP6_HLEN + US_IP6_HLEN || (ip[0] >> 4) != 6) {
		cs->rx_err_bad++;
		return;
	}
	memcpy(qsrc.b, ip + US_IP6_SRC, 16);
	memcpy(qdst.b, ip + US_IP6_DST, 16);
	if (us_ip6_addr_find(st, &qsrc) == NULL) {
		cs->rx_err_bad++;
		return;
	}
	if (type == US_ICMP6_PKTTOOBIG) {
		/* RFC 8201 4: lower the path MTU (never below 1280), then tell the socket. */
		us_ip6_pmtu_update(st, &qdst, us_get32(q + 4));
		mtu = us_ip6_path_mtu(st, &qdst);
	}
	l4 = us_ip6_upper(ip, qlen - US_ICMP6_HLEN, &proto);
	/* The ports and TCP's sequence number: 8 bytes (a later fragment has none). */
	if (l4 < 0 || (uint32_t)l4 + 8 > qlen - US_ICMP6_HLEN) {
		cs->rx_err_bad++;
		return;
	}
	/* The quoted source is the address the socket sent from: its connection's key. */
	if (proto == US_IPPROTO_TCP) {
		if (us_tcp_ctlinput6(st, err, &qsrc, &qdst, us_get16(ip + l4), us_get16(ip + l4 + 2),
				     us_get32(ip + l4 + 4), mtu))
			cs->rx_err_delivered++;
		return;
	}
	if (proto == US_IPPROTO_UDP && hard &&
	    us_udp_ctlinput6(st, err, &qdst, us_get16(ip + l4), us_get16(ip + l4 + 2)) > 0)
		cs->rx_err_delivered++;
}

void
us_icmp6_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_icmp6_stats *cs = &st->stats->icmp6;
	uint32_t len = us_pkt_chain_len(pkt);
	uint8_t type, code;

	cs->rx++;
	if (len < US_ICMP6_HLEN || pkt->len < US_ICMP6_HLEN) {
		cs->rx_short++;
		goto drop;
	}
	/* RFC 4443 2.3: the checksum covers the pseudo-header too. */
	if (us_cksum_fold(us_cksum_chain(
		us_cksum_pseudo6(&pkt->ip6_src, &pkt->ip6_dst, US_IPPROTO_ICMPV6, len), pkt, 0,
		len)) != 0) {
		cs->rx_badsum++;
		goto drop;
	}
	type = us_pkt_data(pkt)[US_ICMP_TYPE];
	code = us_pkt_data(pkt)[US_ICMP_CODE];
	switch (type) {
	case US_ICMP6_ECHO:
		cs->rx_echo++;
		echo_reply(st, pkt, len);
		break;
	case US_ICMP6_ECHOREPLY:
		cs->rx_echoreply++;
		break;
	case US_ICMP6_UNREACH:
	case US_ICMP6_PKTTOOBIG:
	case US_ICMP6_TIMXCEED:
	case US_ICMP6_PARAMPROB:
		error_input(st, pkt, len, type, code);
		break;
	case US_ICMP6_MLD_QUERY:
	case US_ICMP6_MLD_REPORT:
	case US_ICMP6_MLD_DONE:
	case US_ICMP6_ND_RS:
	case US_ICMP6_ND_RA:
	case US_ICMP6_ND_NS:
	case US_ICMP6_ND_NA:
	case US_ICMP6_ND_REDIRECT:
	case US_ICMP6_MLD2_REPORT:
		us_nd6_input(st, pkt);
		return;
	default:
		/* RFC 4443 2.4(b): unknown informational messages are dropped. */
		cs->rx_other++;
		break;
	}
drop:
	us_pkt_free(pkt);
}

/* RFC 4443 2.4(e.1, e.2): is the quoted datagram (have bytes) an ICMPv6 error or a redirect? */
static int
is_error(const uint8_t *ip, uint32_t have)
{
	uint8_t proto;
	int off = us_ip6_upper(ip, have, &proto);

	if (off < 0 || (uint32_t)off >= have || proto != US_IPPROTO_ICMPV6)
		return 0;
	return ip[off] < 128 || ip[off] == US_ICMP6_ND_REDIRECT;
}

void
us_icmp6_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type, uint8_t code,
	       uint32_t param)
{
	uint8_t hdr[US_ICMP6_HLEN], quote[QUOTE_MAX];
	struct us_in6 osrc, odst, src;
	struct us_iov iov[2];
	const uint8_t *ip;
	uint32_t qlen;
	uint64_t sum;

	if (!st->ip6.enabled || orig->off < orig->l3_len || orig->l3_len + orig->len < US_IP6_HLEN)
		return;
	ip = us_pkt_data(orig) - orig->l3_len;
	memcpy(osrc.b, ip + US_IP6_SRC, 16);
	memcpy(odst.b, ip + US_IP6_DST, 16);
	/* RFC 4443 2.4(e.6): the source must name one node. */
	if (us_in6_is_unspec(&osrc) || us_in6_is_multicast(&osrc))
		return;
	/*
	 * RFC 4443 2.4(e.3, e.4): nothing about a datagram sent to a group
	 * (or a link broadcast), except Packet Too Big and the Parameter
	 * Problem for an unknown option whose type asks for it.
	 */
	if ((us_in6_is_multicast(&odst) || (orig->flags & (US_PKT_MCAST | US_PKT_BCAST)) != 0) &&
	    type != US_ICMP6_PKTTOOBIG &&
	    !(type == US_ICMP6_PARAMPROB && code == US_ICMP6_PARAM_OPT))
		return;
	/* Quote the header chain in the first buffer, then whatever follows, up to 1232 bytes. */
	qlen = orig->l3_len < QUOTE_MAX ? orig->l3_len : QUOTE_MAX;
	memcpy(quote, ip, qlen);
	qlen += us_pkt_chain_read(orig, 0, quote + qlen, QUOTE_MAX - qlen);
	/* RFC 4443 2.4(e.1, e.2): never about an ICMPv6 error (or redirect), no loops. */
	if (is_error(quote, qlen))
		return;
	/* RFC 4443 2.4(f): a rate limit, counted. */
	if (!us_icmp_rate_ok(st->now, &st->ip6.tokens_at, &st->ip6.tokens)) {
		st->stats->icmp6.tx_ratelimited++;
		return;
	}
	if (answer_src(st, &odst, &osrc, &src) != 0)
		return;
	hdr[US_ICMP_TYPE] = type;
	hdr[US_ICMP_CODE] = code;
	us_put16(hdr + US_ICMP_SUM, 0);
	us_put32(hdr + 4, param);
	sum = us_cksum_pseudo6(&src, &osrc, US_IPPROTO_ICMPV6, US_ICMP6_HLEN + qlen);
	sum = us_cksum_add(us_cksum_add(sum, hdr, sizeof(hdr)), quote, qlen);
	us_put16(hdr + US_ICMP_SUM, us_cksum_fold(sum));
	iov[0].base = hdr;
	iov[0].len = sizeof(hdr);
	iov[1].base = quote;
	iov[1].len = qlen;
	if (us_ip6_send(st, &src, &osrc, US_IPPROTO_ICMPV6, 0, us_ip6_hlim(st), 0, iov, 2) == 0)
		st->stats->icmp6.tx_err++;
}

int
us_icmp6_output(struct us_stack *st, struct us_pkt *pkt, const struct us_in6 *src,
		const struct us_in6 *dst, uint8_t hlim, unsigned opts)
{
	uint32_t len = us_pkt_chain_len(pkt);
	struct us_in6 s;
	uint8_t *h = us_pkt_data(pkt);

	if (len < US_ICMP6_HLEN) {
		us_pkt_free(pkt);
		return -EINVAL;
	}
	if (src == NULL) {
		if (us_ip6_select_src(st, dst, &s) != 0) {
			st->stats->ip6.tx_nosrc++;
			us_pkt_free(pkt);
			return -EADDRNOTAVAIL;
		}
		src = &s;
	} else if (us_in6_is_unspec(src)) {
		/* RFC 4862 5.4.2, RFC 3810 5.2.13: DAD and early MLD speak from ::. */
		opts |= US_IP6_SEND_SRC_UNSPEC;
	}
	us_put16(h + US_ICMP_SUM, 0);
	us_put16(h + US_ICMP_SUM,
		 us_cksum_fold(us_cksum_chain(us_cksum_pseudo6(src, dst, US_IPPROTO_ICMPV6, len),
					      pkt, 0, len)));
	return us_ip6_output(st, pkt, src, dst, US_IPPROTO_ICMPV6, 0, hlim, opts);
}
