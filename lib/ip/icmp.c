/*
 * icmp.c - ICMP for IPv4 (RFC 792, RFC 1122 3.2.2): echo replies of any
 * size (the request may arrive in fragments; the reply leaves in them),
 * destination-unreachable errors under a token-bucket rate limit, and
 * errors from the network handed to the socket they concern.
 */
#include <errno.h>
#include <string.h>

#include "../core/stack.h"
#include "../tcp/tcp.h"
#include "../udp/udp.h"
#include "../wire/wire.h"
#include "ip4.h"
#include "ip_subr.h"

static void
echo_reply(struct us_stack *st, struct us_pkt *pkt, uint32_t len)
{
	struct us_iov iov[US_IP4_MAXIOV];
	uint8_t hdr[US_ICMP_HLEN];
	uint64_t sum;
	int n, rc;

	/* The reply is the request with its type changed: the checksum can be patched... */
	us_pkt_chain_read(pkt, 0, hdr, US_ICMP_HLEN);
	hdr[US_ICMP_TYPE] = US_ICMP_ECHOREPLY;
	hdr[US_ICMP_CODE] = 0;
	us_put16(hdr + US_ICMP_SUM, 0);
	/* ...but recomputing over the chain is simpler to trust and rare enough. */
	sum = us_cksum_add(0, hdr, US_ICMP_HLEN);
	sum = us_cksum_chain(sum, pkt, US_ICMP_HLEN, len - US_ICMP_HLEN);
	us_put16(hdr + US_ICMP_SUM, us_cksum_fold(sum));
	iov[0].base = hdr;
	iov[0].len = US_ICMP_HLEN;
	n = us_iov_from_chain(iov + 1, US_IP4_MAXIOV - 1, pkt, US_ICMP_HLEN);
	if (n < 0)
		return;
	n++;
	rc = us_ip4_send(st, st->ip4, pkt->ip_src, US_IPPROTO_ICMP, pkt->ip_tos, US_IP4_DEFTTL, 0,
			 iov, n);
	if (rc == 0)
		st->stats->icmp.tx_echoreply++;
}

/* An error from the network: find the socket the quoted datagram came from. */
static void
error_input(struct us_stack *st, struct us_pkt *pkt, uint32_t len, uint8_t type, uint8_t code)
{
	uint8_t q[US_ICMP_HLEN + 60 + 8];
	uint32_t qlen = len < sizeof(q) ? len : sizeof(q), ihl;
	const uint8_t *ip;
	int err;

	st->stats->icmp.rx_err++;
	us_pkt_chain_read(pkt, 0, q, qlen);
	ip = q + US_ICMP_HLEN;
	/* RFC 792: the quote is the IP header and at least 8 bytes of its payload. */
	if (qlen < US_ICMP_HLEN + US_IP4_HLEN + 8 || (ip[0] >> 4) != 4) {
		st->stats->icmp.rx_err_bad++;
		return;
	}
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	if (ihl < US_IP4_HLEN || US_ICMP_HLEN + ihl + 8 > qlen ||
	    us_get32(ip + US_IP4_SRC) != st->ip4) {
		st->stats->icmp.rx_err_bad++;
		return;
	}
	switch (type) {
	case US_ICMP_UNREACH:
		switch (code) {
		case US_ICMP_UNREACH_PORT:
			err = ECONNREFUSED;
			break;
		case US_ICMP_UNREACH_PROTOCOL:
			err = ENOPROTOOPT;
			break;
		case US_ICMP_UNREACH_NEEDFRAG:
			err = EMSGSIZE;
			break;
		case US_ICMP_UNREACH_NET:
			err = ENETUNREACH;
			break;
		default:
			err = EHOSTUNREACH;
			break;
		}
		break;
	case US_ICMP_TIMXCEED:
		err = EHOSTUNREACH;
		break;
	case US_ICMP_PARAMPROB:
		err = EPROTO;
		break;
	default:
		/* Source quench is deprecated (RFC 6633): ignore it. */
		return;
	}
	if (ip[US_IP4_PROTO] == US_IPPROTO_TCP) {
		/* The quote holds the ports and the sequence number (RFC 5927 4.1). */
		if (us_tcp_ctlinput(st, err, us_get32(ip + US_IP4_DST), us_get16(ip + ihl),
				    us_get16(ip + ihl + 2), us_get32(ip + ihl + 4), us_get16(q + 6)))
			st->stats->icmp.rx_err_delivered++;
		return;
	}
	if (ip[US_IP4_PROTO] == US_IPPROTO_UDP &&
	    us_udp_ctlinput(st, err, us_get32(ip + US_IP4_DST), us_get16(ip + ihl),
			    us_get16(ip + ihl + 2)) > 0)
		st->stats->icmp.rx_err_delivered++;
}

void
us_icmp_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_icmp_stats *cs = &st->stats->icmp;
	uint32_t len = us_pkt_chain_len(pkt);
	uint8_t type, code;

	cs->rx++;
	if (len < US_ICMP_HLEN || pkt->len < 2) {
		cs->rx_short++;
		goto drop;
	}
	if (us_cksum_fold(us_cksum_chain(0, pkt, 0, len)) != 0) {
		cs->rx_badsum++;
		goto drop;
	}
	type = us_pkt_data(pkt)[US_ICMP_TYPE];
	code = us_pkt_data(pkt)[US_ICMP_CODE];
	switch (type) {
	case US_ICMP_ECHO:
		/* Like Linux's icmp_echo_ignore_broadcasts: no smurf amplifier. */
		if (us_ip4_is_bcast(st, pkt->ip_dst)) {
			cs->rx_bcast_echo++;
			break;
		}
		cs->rx_echo++;
		echo_reply(st, pkt, len);
		break;
	case US_ICMP_ECHOREPLY:
		cs->rx_echoreply++;
		break;
	case US_ICMP_UNREACH:
	case US_ICMP_TIMXCEED:
	case US_ICMP_PARAMPROB:
	case US_ICMP_SOURCEQUENCH:
		error_input(st, pkt, len, type, code);
		break;
	default:
		cs->rx_other++;
		break;
	}
drop:
	us_pkt_free(pkt);
}

void
us_icmp_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type, uint8_t code)
{
	uint8_t hdr[US_ICMP_HLEN], quote[60 + 8];
	uint32_t qlen = orig->l3_len + 8, have;
	struct us_iov iov[2];
	const uint8_t *ip;
	uint64_t sum;

	/* RFC 1122 3.2.2: never about a broadcast or a non-first fragment. */
	if (us_ip4_is_bcast(st, orig->ip_dst) || (orig->flags & US_PKT_BCAST) != 0)
		return;
	if (orig->off < orig->l3_len)
		return;
	if (!us_icmp_rate_ok(st->now, &st->icmp.tokens_at, &st->icmp.tokens)) {
		st->stats->icmp.tx_ratelimited++;
		return;
	}
	ip = us_pkt_data(orig) - orig->l3_len;
	memcpy(quote, ip, orig->l3_len);
	have = us_pkt_chain_read(orig, 0, quote + orig->l3_len, 8);
	qlen = orig->l3_len + have;
	hdr[US_ICMP_TYPE] = type;
	hdr[US_ICMP_CODE] = code;
	us_put16(hdr + US_ICMP_SUM, 0);
	us_put32(hdr + 4, 0);
	sum = us_cksum_add(us_cksum_add(0, hdr, sizeof(hdr)), quote, qlen);
	us_put16(hdr + US_ICMP_SUM, us_cksum_fold(sum));
	iov[0].base = hdr;
	iov[0].len = sizeof(hdr);
	iov[1].base = quote;
	iov[1].len = qlen;
	if (us_ip4_send(st, st->ip4, orig->ip_src, US_IPPROTO_ICMP, 0, US_IP4_DEFTTL, 0, iov, 2) ==
	    0)
		st->stats->icmp.tx_unreach++;
}
