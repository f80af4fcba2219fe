/*
 * dhcp.c - DHCPv4 client (RFC 2131, options RFC 2132).  INIT sends
 * DHCPDISCOVER, the first usable DHCPOFFER is requested, and a DHCPACK is
 * checked with ARP probes (RFC 5227 2.1) before the address is used: a
 * host that answers for it gets a DHCPDECLINE and the client starts over
 * after 10 s (RFC 2131 3.1.5).  A lease is renewed from T1 with unicast
 * requests to its server and rebound from T2 with broadcasts to any
 * server; when it runs out the address goes.  The router (unless
 * USOCK_GATEWAY) and DNS servers (unless USOCK_DNS) come from the lease.
 * At exit the lease is given back with DHCPRELEASE.
 *
 * Requests ask for broadcast replies (the BROADCAST flag): until bound the
 * stack has no address a unicast reply could reach.
 */
#include <string.h>

#include "../core/stack.h"
#include "../link/link.h"
#include "../wire/wire.h"
#include "dhcp.h"
#include "ip4.h"

/* BOOTP fixed fields (RFC 2131 2) and the options' magic cookie. */
#define BOOTP_OP	0
#define BOOTP_HTYPE	1
#define BOOTP_HLEN	2
#define BOOTP_XID	4
#define BOOTP_SECS	8
#define BOOTP_FLAGS	10
#define BOOTP_CIADDR	12
#define BOOTP_YIADDR	16
#define BOOTP_CHADDR	28
#define BOOTP_SNAME	44
#define BOOTP_FILE	108
#define BOOTP_COOKIE	236
#define BOOTP_OPTIONS	240
#define BOOTP_MINLEN	300	/* what BOOTP relays and old servers expect (RFC 1542 2.1) */
#define BOOTP_REQUEST	1
#define BOOTP_REPLY	2
#define BOOTP_BROADCAST	0x8000
#define DHCP_COOKIE	0x63825363u

/* Options (RFC 2132). */
#define OPT_PAD		0
#define OPT_MASK	1
#define OPT_ROUTER	3
#define OPT_DNS		6
#define OPT_REQIP	50
#define OPT_LEASE	51
#define OPT_OVERLOAD	52
#define OPT_TYPE	53
#define OPT_SERVER	54
#define OPT_PRL		55
#define OPT_MAXSIZE	57
#define OPT_T1		58
#define OPT_T2		59
#define OPT_CLIENTID	61
#define OPT_END		255

#define NS		1000000000ull
#define RETRY_NS	(4 * NS)	/* first retransmission (RFC 2131 4.1), doubling to 64 s */
#define RETRY_MAX_NS	(64 * NS)
#define REQUEST_TRIES	4	/* DHCPREQUESTs for an offer before starting over */
#define RENEW_MIN_NS	(60 * NS)	/* RFC 2131 4.4.5: retransmit no faster than this */
#define DECLINE_WAIT_NS	(10 * NS)	/* RFC 2131 3.1.5 */
/*
 * ARP check of the offer: two probes half a second apart, then half a
 * second more to hear an answer.  RFC 5227 2.1.1 spaces three probes 1-2 s
 * apart; embedded clients (busybox udhcpc) check for as little, and a
 * program's start waits for this.
 */
#define PROBE_NUM	2
#define PROBE_GAP_NS	(NS / 2)
#define LEASE_MIN_S	10	/* a shorter lease is taken as this long */

static uint64_t
jitter(struct us_stack *st, uint64_t ns)
{
	/* RFC 2131 4.1: randomised by -1 to +1 s; kept positive for short waits. */
	uint64_t r = us_stack_rand(st) % (2 * NS);

	return ns > NS ? ns - NS + r : ns + r / 2;
}

/* Builds and sends one client message of type. */
static void
send_msg(struct us_stack *st, uint8_t type)
{
	struct us_dhcp *d = &st->dhcp;
	uint8_t m[BOOTP_MINLEN + 64], hdr[US_UDP_HLEN];
	struct us_iov iov[2];
	uint32_t n = BOOTP_OPTIONS, src = 0, dst = US_IP4_BCAST, ciaddr = 0, len;
	uint64_t sum;
	uint16_t c;

	memset(m, 0, sizeof(m));
	m[BOOTP_OP] = BOOTP_REQUEST;
	m[BOOTP_HTYPE] = 1;
	m[BOOTP_HLEN] = 6;
	us_put32(m + BOOTP_XID, d->xid);
	memcpy(m + BOOTP_CHADDR, st->mac, 6);
	us_put32(m + BOOTP_COOKIE, DHCP_COOKIE);
	m[n++] = OPT_TYPE;
	m[n++] = 1;
	m[n++] = type;
	m[n++] = OPT_CLIENTID;
	m[n++] = 7;
	m[n++] = 1;	/* hardware type: Ethernet */
	memcpy(m + n, st->mac, 6);
	n += 6;
	if (type == US_DHCP_RELEASE || (type == US_DHCP_REQUEST && (d->state == US_DHCP_RENEWING ||
								    d->state == US_DHCP_REBINDING)))
		/* A client with an address names it in ciaddr and sends from it (Table 4). */
		src = ciaddr = d->offer;
	if ((type == US_DHCP_REQUEST && d->state == US_DHCP_REQUESTING) ||
	    type == US_DHCP_DECLINE) {
		m[n++] = OPT_REQIP;
		m[n++] = 4;
		us_put32(m + n, d->offer);
		n += 4;
	}
	if ((type == US_DHCP_REQUEST && d->state == US_DHCP_REQUESTING) ||
	    type == US_DHCP_DECLINE || type == US_DHCP_RELEASE) {
		m[n++] = OPT_SERVER;
		m[n++] = 4;
		us_put32(m + n, d->server);
		n += 4;
	}
	if (type == US_DHCP_DISCOVER || type == US_DHCP_REQUEST) {
		static const uint8_t prl[] = { OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_LEASE, OPT_T1,
					       OPT_T2 };

		m[n++] = OPT_PRL;
		m[n++] = sizeof(prl);
		memcpy(m + n, prl, sizeof(prl));
		n += sizeof(prl);
		m[n++] = OPT_MAXSIZE;
		m[n++] = 2;
		us_put16(m + n, (uint16_t)(st->mtu < 576 ? 576 : st->mtu));
		n += 2;
	}
	m[n++] = OPT_END;
	len = n < BOOTP_MINLEN ? BOOTP_MINLEN : n;
	us_put32(m + BOOTP_CIADDR, ciaddr);
	/* Without an address a reply can only reach us as a broadcast. */
	if (ciaddr == 0)
		us_put16(m + BOOTP_FLAGS, BOOTP_BROADCAST);
	/* Renewing and releasing talk to our server; everything else is broadcast. */
	if (type == US_DHCP_RELEASE || (type == US_DHCP_REQUEST && d->state == US_DHCP_RENEWING))
		dst = d->server;

	us_put16(hdr + US_UDP_SPORT, US_DHCP_CLIENT_PORT);
	us_put16(hdr + US_UDP_DPORT, US_DHCP_SERVER_PORT);
	us_put16(hdr + US_UDP_LEN, (uint16_t)(len + US_UDP_HLEN));
	us_put16(hdr + US_UDP_SUM, 0);
	sum = us_cksum_pseudo4(src, dst, US_IPPROTO_UDP, len + US_UDP_HLEN);
	c = us_cksum_fold(us_cksum_add(us_cksum_add(sum, hdr, US_UDP_HLEN), m, len));
	us_put16(hdr + US_UDP_SUM, c == 0 ? 0xffff : c);
	iov[0].base = hdr;
	iov[0].len = US_UDP_HLEN;
	iov[1].base = m;
	iov[1].len = len;
	switch (type) {
	case US_DHCP_DISCOVER: st->stats->dhcp.tx_discover++; break;
	case US_DHCP_REQUEST:
		/* A lease counts from the request that got it (RFC 2131 4.4.1, 4.4.5). */
		d->req_at = st->now;
		st->stats->dhcp.tx_request++;
		break;
	case US_DHCP_DECLINE: st->stats->dhcp.tx_decline++; break;
	case US_DHCP_RELEASE: st->stats->dhcp.tx_release++; break;
	}
	(void)us_ip4_send(st, src, dst, US_IPPROTO_UDP, 0, US_IP4_DEFTTL, 0, iov, 2);
}

/* Retransmission delay for the next message of an exchange (RFC 2131 4.1). */
static uint64_t
backoff(struct us_stack *st)
{
	uint64_t ns = RETRY_NS << (st->dhcp.tries > 4 ? 4 : st->dhcp.tries - 1);

	return jitter(st, ns > RETRY_MAX_NS ? RETRY_MAX_NS : ns);
}

/* Drops the leased address: the stack has none until the next lease. */
static void
unbind(struct us_stack *st)
{
	if (st->ip4 == st->dhcp.offer) {
		st->ip4 = 0;
		st->mask = 0;
		if (st->cfg.gw == 0)
			st->gw = 0;
	}
}

/* Back to INIT: a new exchange, after delay. */
static void
restart(struct us_stack *st, uint64_t delay)
{
	struct us_dhcp *d = &st->dhcp;

	unbind(st);
	d->state = US_DHCP_INIT;
	d->tries = 0;
	d->offer = 0;
	d->server = 0;
	d->timer = st->now + delay;
}

void
us_dhcp_start(struct us_stack *st)
{
	st->dhcp.xid = us_stack_rand(st);
	/* RFC 2131 4.4.1 suggests 1 to 10 s against boot storms; one process needs little. */
	restart(st, 1 + us_stack_rand(st) % (NS / 10));
}

int
us_dhcp_has_lease(const struct us_stack *st)
{
	return st->dhcp.state == US_DHCP_BOUND || st->dhcp.state == US_DHCP_RENEWING ||
	       st->dhcp.state == US_DHCP_REBINDING;
}

/* The netmask of a lease without option 1: the address's class (RFC 1122 3.3.1.3's default). */
static uint32_t
class_mask(uint32_t a)
{
	return (a >> 31) == 0 ? 0xff000000u : (a >> 30) == 2 ? 0xffff0000u : 0xffffff00u;
}

/* The lease in d is checked: the address becomes the stack's. */
static void
bind(struct us_stack *st)
{
	struct us_dhcp *d = &st->dhcp;
	int i, fresh = st->ip4 != d->offer;

	st->ip4 = d->offer;
	st->mask = d->mask;
	if (st->cfg.gw == 0)
		st->gw = d->router != 0 && (d->router & d->mask) == (d->offer & d->mask) ? d->router
											: 0;
	/* USOCK_DNS, when given, stays: the user's word beats the server's. */
	if (st->cfg.dns[0] == '\0') {
		for (i = 0; i < d->ndns && i < US_DNS_MAX; i++)
			st->cfg.dns4[i] = d->dns[i];
		st->cfg.ndns = i;
	}
	d->state = US_DHCP_BOUND;
	d->tries = 0;
	d->timer = d->start + (uint64_t)d->t1_s * NS;
	if (fresh)
		st->stats->dhcp.bound++;
	/* RFC 5227 2.3: announce a new address, so neighbours drop stale entries for it. */
	if (fresh)
		us_arp_announce(st);
}

/* Takes the lease an ACK carries (times from when its REQUEST went). */
static void
take_lease(struct us_dhcp *d, const struct us_dhcp_msg *m)
{
	uint32_t lease = m->lease != 0 ? m->lease : 3600;

	if (lease < LEASE_MIN_S)
		lease = LEASE_MIN_S;
	d->lease_s = lease;
	/* RFC 2131 4.4.5 defaults: T1 half the lease, T2 seven eighths; kept in order. */
	d->t1_s = m->t1 != 0 && m->t1 < lease ? m->t1 : lease / 2;
	/* (In 64 bits: lease / 8 * 7 would make T2 of a 100 s lease 84 s, not 87.) */
	d->t2_s = m->t2 != 0 && m->t2 < lease && m->t2 > d->t1_s ? m->t2
								  : (uint32_t)((uint64_t)lease * 7 / 8);
	if (d->t2_s <= d->t1_s)
		d->t2_s = d->t1_s + (lease - d->t1_s) / 2;
	d->mask = m->mask != 0 ? m->mask : class_mask(m->yiaddr);
	d->router = m->router;
	memcpy(d->dns, m->dns, sizeof(d->dns));
	d->ndns = m->ndns;
}

/* Walks one options area; returns 0, or -1 when it runs past its end. */
static int
parse_options(const uint8_t *o, uint32_t len, struct us_dhcp_msg *m, uint8_t *overload, int *end)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t code = o[i], l;
		const uint8_t *v;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END) {
			*end = 1;
			return 0;
		}
		if (i + 2 > len || i + 2 + o[i + 1] > len)
			return -1;
		l = o[i + 1];
		v = o + i + 2;
		switch (code) {
		case OPT_TYPE:
			if (l == 1)
				m->type = v[0];
			break;
		case OPT_MASK:
			if (l == 4)
				m->mask = us_get32(v);
			break;
		case OPT_ROUTER:
			if (l >= 4 && m->router == 0)
				m->router = us_get32(v);
			break;
		case OPT_DNS: {
			uint32_t k;

			for (k = 0; k + 4 <= l && m->ndns < US_DHCP_MAXDNS; k += 4)
				m->dns[m->ndns++] = us_get32(v + k);
			break;
		}
		case OPT_LEASE:
			if (l == 4)
				m->lease = us_get32(v);
			break;
		case OPT_T1:
			if (l == 4)
				m->t1 = us_get32(v);
			break;
		case OPT_T2:
			if (l == 4)
				m->t2 = us_get32(v);
			break;
		case OPT_SERVER:
			if (l == 4)
				m->server = us_get32(v);
			break;
		case OPT_OVERLOAD:
			if (l == 1 && overload != NULL)
				*overload = v[0];
			break;
		default:
			break;
		}
		i += 2u + l;
	}
	return 0;
}

int
us_dhcp_parse(const uint8_t *p, uint32_t len, struct us_dhcp_msg *m)
{
	uint8_t overload = 0;
	int end = 0;

	memset(m, 0, sizeof(*m));
	if (len < BOOTP_OPTIONS || p[BOOTP_OP] != BOOTP_REPLY || p[BOOTP_HTYPE] != 1 ||
	    p[BOOTP_HLEN] != 6 || us_get32(p + BOOTP_COOKIE) != DHCP_COOKIE)
		return -1;
	m->xid = us_get32(p + BOOTP_XID);
	m->yiaddr = us_get32(p + BOOTP_YIADDR);
	memcpy(m->chaddr, p + BOOTP_CHADDR, 6);
	if (parse_options(p + BOOTP_OPTIONS, len - BOOTP_OPTIONS, m, &overload, &end) != 0 || !end)
		return -1;	/* RFC 2131 4.1: the options end with END */
	/* RFC 2132 9.3: more options in file (1), sname (2), or both (3), in that order. */
	end = 0;
	if ((overload & 1) && (parse_options(p + BOOTP_FILE, 128, m, NULL, &end) != 0 || !end))
		return -1;
	end = 0;
	if ((overload & 2) && (parse_options(p + BOOTP_SNAME, 64, m, NULL, &end) != 0 || !end))
		return -1;
	if (m->type < US_DHCP_DISCOVER || m->type > US_DHCP_RELEASE)
		return -1;
	return 0;
}

/* A usable unicast address for us: not 0, loopback, multicast or broadcast. */
static int
unicast(uint32_t a)
{
	return a != 0 && (a >> 24) != 127 && (a >> 24) != 0 && (a >> 28) < 0xe;
}

/* Keeps the MAC an ACK came from, if known (pkt_mac[6] says so). */
static int
ack_mac(const uint8_t *pkt_mac, uint8_t *out)
{
	if (!pkt_mac[6])
		return 0;
	memcpy(out, pkt_mac, 6);
	return 1;
}

static void
start_probe(struct us_stack *st)
{
	struct us_dhcp *d = &st->dhcp;

	d->state = US_DHCP_PROBING;
	d->probes = 1;
	st->stats->dhcp.tx_arp_probe++;
	us_arp_probe(st, d->offer);
	d->timer = st->now + PROBE_GAP_NS;
}

void
us_dhcp_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_dhcp *d = &st->dhcp;
	uint8_t buf[1500], pkt_mac[7] = { 0 };
	struct us_dhcp_msg m;
	uint32_t len = us_pkt_chain_read(pkt, 0, buf, sizeof(buf));

	/* The sender's MAC, still in the buffer ahead of the headers (pkt_mac[6]: found). */
	if (pkt->off >= (uint32_t)US_UDP_HLEN + pkt->l3_len + US_ETH_HLEN) {
		memcpy(pkt_mac, us_pkt_data(pkt) - US_UDP_HLEN - pkt->l3_len - US_ETH_HLEN + US_ETH_SRC,
		       6);
		pkt_mac[6] = 1;
	}
	us_pkt_free(pkt);
	if (us_dhcp_parse(buf, len, &m) != 0) {
		st->stats->dhcp.rx_bad++;
		return;
	}
	if (m.xid != d->xid || memcmp(m.chaddr, st->mac, 6) != 0) {
		st->stats->dhcp.rx_other++;	/* another client's, or an old exchange's */
		return;
	}
	switch (m.type) {
	case US_DHCP_OFFER:
		st->stats->dhcp.rx_offer++;
		if (d->state != US_DHCP_SELECTING || !unicast(m.yiaddr) || m.server == 0) {
			st->stats->dhcp.rx_other++;
			return;
		}
		/* The first usable offer (RFC 2131 4.4.1 lets the client choose). */
		d->offer = m.yiaddr;
		d->server = m.server;
		d->state = US_DHCP_REQUESTING;
		d->tries = 1;
		send_msg(st, US_DHCP_REQUEST);
		d->timer = st->now + backoff(st);
		return;
	case US_DHCP_ACK:
		st->stats->dhcp.rx_ack++;
		if ((d->state != US_DHCP_REQUESTING && d->state != US_DHCP_RENEWING &&
		     d->state != US_DHCP_REBINDING) ||
		    m.yiaddr != d->offer || (m.server != 0 && d->state != US_DHCP_REBINDING &&
					     m.server != d->server)) {
			st->stats->dhcp.rx_other++;
			return;
		}
		if (m.server != 0)
			d->server = m.server;
		take_lease(d, &m);
		d->start = d->req_at;
		d->have_server_mac = ack_mac(pkt_mac, d->server_mac);
		if (d->state == US_DHCP_REQUESTING) {
			start_probe(st);
			return;
		}
		st->stats->dhcp.renewed++;
		bind(st);
		return;
	case US_DHCP_NAK:
		st->stats->dhcp.rx_nak++;
		if (d->state != US_DHCP_REQUESTING && d->state != US_DHCP_RENEWING &&
		    d->state != US_DHCP_REBINDING) {
			st->stats->dhcp.rx_other++;
			return;
		}
		/* RFC 2131 3.1.4: the address is not ours (any more): start over. */
		d->xid = us_stack_rand(st);
		restart(st, 1);
		return;
	default:
		st->stats->dhcp.rx_other++;
		return;
	}
}

void
us_dhcp_arp_seen(struct us_stack *st, uint32_t spa, uint32_t tpa, const uint8_t *sha)
{
	struct us_dhcp *d = &st->dhcp;

	if (d->state != US_DHCP_PROBING || memcmp(sha, st->mac, 6) == 0)
		return;
	/* RFC 5227 2.1.1: someone uses it, or probes for it at the same time. */
	if (spa == d->offer || (spa == 0 && tpa == d->offer)) {
		st->stats->dhcp.conflict++;
		send_msg(st, US_DHCP_DECLINE);
		d->xid = us_stack_rand(st);
		restart(st, DECLINE_WAIT_NS);
	}
}

void
us_dhcp_timer(struct us_stack *st, uint64_t now)
{
	struct us_dhcp *d = &st->dhcp;
	uint64_t t1, t2, end;

	if (d->state == US_DHCP_OFF || d->timer == 0 || now < d->timer)
		return;
	switch (d->state) {
	case US_DHCP_INIT:
	case US_DHCP_DECLINED:
		d->state = US_DHCP_SELECTING;
		d->tries = 1;
		send_msg(st, US_DHCP_DISCOVER);
		d->timer = now + backoff(st);
		return;
	case US_DHCP_SELECTING:
		/* Saturates: backoff() shifts by tries - 1, and a wrap to 0 would shift by -1. */
		if (d->tries < UINT8_MAX)
			d->tries++;
		send_msg(st, US_DHCP_DISCOVER);
		d->timer = now + backoff(st);
		return;
	case US_DHCP_REQUESTING:
		if (d->tries >= REQUEST_TRIES) {
			d->xid = us_stack_rand(st);
			restart(st, 1);
			return;
		}
		d->tries++;
		send_msg(st, US_DHCP_REQUEST);
		d->timer = now + backoff(st);
		return;
	case US_DHCP_PROBING:
		if (d->probes < PROBE_NUM) {
			d->probes++;
			st->stats->dhcp.tx_arp_probe++;
			us_arp_probe(st, d->offer);
			d->timer = now + PROBE_GAP_NS;
			return;
		}
		bind(st);
		return;
	default:
		break;
	}
	/* A lease: renew from T1, rebind from T2, drop it at its end (RFC 2131 4.4.5). */
	t1 = d->start + (uint64_t)d->t1_s * NS;
	t2 = d->start + (uint64_t)d->t2_s * NS;
	end = d->start + (uint64_t)d->lease_s * NS;
	if (now >= end) {
		st->stats->dhcp.expired++;
		d->xid = us_stack_rand(st);
		restart(st, 1);
		return;
	}
	if (now >= t2) {
		if (d->state != US_DHCP_REBINDING) {
			d->state = US_DHCP_REBINDING;
			d->tries = 0;
		}
	} else if (now >= t1 && d->state == US_DHCP_BOUND) {
		d->state = US_DHCP_RENEWING;
		d->tries = 0;
		d->xid = us_stack_rand(st);
	}
	d->tries++;
	send_msg(st, US_DHCP_REQUEST);
	{
		uint64_t lim = d->state == US_DHCP_RENEWING ? t2 : end;
		uint64_t half = (lim - now) / 2;

		d->timer = now + (half > RENEW_MIN_NS ? half : RENEW_MIN_NS);
		if (d->timer > lim)
			d->timer = lim;
	}
}

uint64_t
us_dhcp_deadline(const struct us_stack *st)
{
	return st->dhcp.state == US_DHCP_OFF || st->dhcp.timer == 0 ? UINT64_MAX : st->dhcp.timer;
}

void
us_dhcp_stop(struct us_stack *st)
{
	struct us_dhcp *d = &st->dhcp;

	if (us_dhcp_has_lease(st)) {
		uint8_t mac[6];

		/*
		 * At exit there is no time to resolve the server: if its entry
		 * aged out, the MAC its ACK came from stands in (on the link only;
		 * a relayed server is reached through the router).
		 */
		if (d->have_server_mac && us_ip4_onlink(st, d->server) &&
		    us_arp_lookup(st, d->server, mac) != 0)
			us_arp_note(st, d->server, d->server_mac);
		send_msg(st, US_DHCP_RELEASE);
		unbind(st);
	}
	d->state = US_DHCP_OFF;
	d->timer = 0;
}
