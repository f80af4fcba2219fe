/*
 * DHCPv4 client (lib/ip/dhcp.c, RFC 2131, RFC 2132, RFC 5227): the test
 * plays the server on the other end of the link.  DISCOVER and its
 * backoff, OFFER -> REQUEST, ACK -> ARP probes -> bound (address, mask,
 * router, DNS), conflicts and DECLINE, renewing from T1 and rebinding from
 * T2, expiry, NAK, RELEASE at exit, what an unbound stack accepts, and the
 * reply parser against vectors and 20000 random and mutated messages.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usock.h"
#include "lib/ip/dhcp.h"
#include "tests/common/harness.h"

#define IP_S	T_IP_A		/* 198.18.0.1: the DHCP server */
#define IP_Y	T_IP_B		/* 198.18.0.2: the address it leases */
#define IP_C	0xc6120007u	/* 198.18.0.7: another host */
#define IP_R	0xc61200feu	/* 198.18.0.254: the lease's router */
#define IP_DNS1	0xc6120035u	/* 198.18.0.53 */
#define IP_DNS2	0xc6130035u	/* 198.19.0.53 */
#define BCAST	0xffffffffu

#define COOKIE	0x63825363u

static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x07 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero6[6];

struct fx {
	struct t_one t;
	struct us_stack *st;		/* the client */
	struct us_dhcp_stats *ds;	/* its DHCP counters */
};

static void
fx_init(struct fx *x)
{
	t_one_init_dhcp(&x->t);
	x->st = x->t.n.st;
	x->ds = &x->st->stats->dhcp;
	cr_assert_eq(x->st->ip4, 0);
	cr_assert_eq(x->st->dhcp.state, US_DHCP_OFF);
}

static void
fx_fini(struct fx *x)
{
	t_one_fini(&x->t);
}

/* A client message as it left: its frame's headers checked, BOOTP fields and options. */
struct req {
	uint8_t eth_dst[6];	/* Ethernet destination */
	uint32_t src, dst;	/* IPv4 addresses */
	uint32_t len;		/* BOOTP message length */
	uint8_t m[1500];	/* the message */
	uint32_t xid;
	uint16_t flags;
	uint32_t ciaddr;
	uint8_t type;		/* option 53 */
	const uint8_t *opt[256];	/* each option's value in m, NULL: absent */
	uint8_t olen[256];	/* its length */
};

/*
 * Checks that frame f (n bytes) is a client message: Ethernet from us,
 * IPv4 with a good header, UDP 68 -> 67 with a valid checksum, a
 * BOOTREQUEST of at least 300 bytes (RFC 1542) from our MAC with the magic
 * cookie, well-formed options ending in END, each at most once.
 */
static void
parse_req(const uint8_t *f, uint32_t n, struct req *r)
{
	const uint8_t *ip = f + US_ETH_HLEN, *u = ip + US_IP4_HLEN;
	uint32_t tlen, ulen, i;
	int end = 0;

	memset(r, 0, sizeof(*r));
	cr_assert_geq(n, US_ETH_HLEN + US_IP4_HLEN + US_UDP_HLEN + 240, "frame of %u bytes", n);
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_IPV4, "not IPv4");
	cr_assert_eq(memcmp(f + US_ETH_SRC, t_mac_b, 6), 0, "Ethernet source");
	memcpy(r->eth_dst, f + US_ETH_DST, 6);
	cr_assert_eq(us_ip4_hdr_check(ip, n - US_ETH_HLEN), US_IP4_HLEN, "IP header");
	cr_assert_eq(ip[US_IP4_PROTO], US_IPPROTO_UDP);
	r->src = us_get32(ip + US_IP4_SRC);
	r->dst = us_get32(ip + US_IP4_DST);
	tlen = us_get16(ip + US_IP4_LEN);
	ulen = tlen - US_IP4_HLEN;
	cr_assert_eq(us_get16(u + US_UDP_SPORT), 68, "UDP source port");
	cr_assert_eq(us_get16(u + US_UDP_DPORT), 67, "UDP destination port");
	cr_assert_eq(us_get16(u + US_UDP_LEN), ulen, "UDP length");
	cr_assert_neq(us_get16(u + US_UDP_SUM), 0, "no UDP checksum");
	cr_assert_eq(us_cksum_fold(us_cksum_add(us_cksum_pseudo4(r->src, r->dst, US_IPPROTO_UDP,
								  ulen),
						 u, ulen)),
		     0, "UDP checksum");
	r->len = ulen - US_UDP_HLEN;
	cr_assert_geq(r->len, 300, "BOOTP message of %u bytes", r->len);
	cr_assert_leq(r->len, sizeof(r->m));
	memcpy(r->m, u + US_UDP_HLEN, r->len);
	cr_assert_eq(r->m[0], 1, "op BOOTREQUEST");
	cr_assert_eq(r->m[1], 1, "htype Ethernet");
	cr_assert_eq(r->m[2], 6, "hlen");
	cr_assert_eq(r->m[3], 0, "hops");
	r->xid = us_get32(r->m + 4);
	cr_assert_eq(us_get16(r->m + 8), 0, "secs");
	r->flags = us_get16(r->m + 10);
	r->ciaddr = us_get32(r->m + 12);
	cr_assert_eq(us_get32(r->m + 16), 0, "yiaddr");
	cr_assert_eq(us_get32(r->m + 20), 0, "siaddr");
	cr_assert_eq(us_get32(r->m + 24), 0, "giaddr");
	cr_assert_eq(memcmp(r->m + 28, t_mac_b, 6), 0, "chaddr");
	for (i = 34; i < 236; i++)
		cr_assert_eq(r->m[i], 0, "chaddr padding, sname, file: byte %u", i);
	cr_assert_eq(us_get32(r->m + 236), COOKIE, "magic cookie");
	for (i = 240; i < r->len;) {
		uint8_t code = r->m[i];

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255) {
			end = 1;
			break;
		}
		cr_assert_leq(i + 2, r->len, "option %u cut", code);
		cr_assert_leq(i + 2 + r->m[i + 1], r->len, "option %u runs past the end", code);
		cr_assert_null(r->opt[code], "option %u twice", code);
		r->opt[code] = r->m + i + 2;
		r->olen[code] = r->m[i + 1];
		i += 2u + r->m[i + 1];
	}
	cr_assert(end, "no END option");
	cr_assert_not_null(r->opt[53], "no message type");
	cr_assert_eq(r->olen[53], 1);
	r->type = r->opt[53][0];
	/* Option 61: hardware type 1 and our MAC, in every message. */
	cr_assert_not_null(r->opt[61], "no client identifier");
	cr_assert_eq(r->olen[61], 7);
	cr_assert_eq(r->opt[61][0], 1);
	cr_assert_eq(memcmp(r->opt[61] + 1, t_mac_b, 6), 0);
}

/* The value of a 4-byte option. */
static uint32_t
opt32(const struct req *r, uint8_t code)
{
	cr_assert_not_null(r->opt[code], "option %u missing", code);
	cr_assert_eq(r->olen[code], 4, "option %u length", code);
	return us_get32(r->opt[code]);
}

/* Does option 55 ask for code? */
static int
prl_has(const struct req *r, uint8_t code)
{
	uint8_t i;

	for (i = 0; i < r->olen[55]; i++)
		if (r->opt[55][i] == code)
			return 1;
	return 0;
}

static void inject_arp(struct fx *x, uint16_t op, const uint8_t *sha, uint32_t spa,
		       const uint8_t *tha, uint32_t tpa);

/*
 * Takes the next frame; fails if there is none or it is not a client
 * message of type.  ARP requests for the server on the way are answered,
 * as the server's host would (a unicast to it may need one).
 */
static void
take_msg(struct fx *x, uint8_t type, struct req *r)
{
	uint8_t f[2048];
	uint32_t n;

	for (;;) {
		n = t_one_take(&x->t, f, sizeof(f));
		cr_assert_gt(n, 0, "no frame (expected DHCP type %u)", type);
		if (us_get16(f + US_ETH_TYPE) != US_ETHERTYPE_ARP)
			break;
		cr_assert_eq(us_get16(f + US_ETH_HLEN + US_ARP_OP), US_ARP_REQUEST,
			     "ARP, expected DHCP type %u", type);
		cr_assert_eq(us_get32(f + US_ETH_HLEN + US_ARP_TPA), IP_S,
			     "ARP, expected DHCP type %u", type);
		inject_arp(x, US_ARP_REPLY, t_mac_a, IP_S, t_mac_b,
			   us_get32(f + US_ETH_HLEN + US_ARP_SPA));
	}
	parse_req(f, n, r);
	cr_assert_eq(r->type, type, "DHCP message type %u, expected %u", r->type, type);
}

/* Asserts that the stack has sent nothing. */
static void
expect_silence(struct fx *x)
{
	uint8_t f[2048];

	cr_assert_eq(t_one_take(&x->t, f, sizeof(f)), 0, "unexpected frame");
}

/* An ARP frame the stack sent: its fields. */
struct arp {
	uint8_t eth_dst[6];
	uint16_t op;
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa;
};

static void
take_arp(struct fx *x, struct arp *a)
{
	uint8_t f[2048];
	uint32_t n = t_one_take(&x->t, f, sizeof(f));
	const uint8_t *p = f + US_ETH_HLEN;

	cr_assert_gt(n, 0, "no frame (expected ARP)");
	cr_assert_eq(us_get16(f + US_ETH_TYPE), US_ETHERTYPE_ARP, "not ARP");
	cr_assert_eq(memcmp(f + US_ETH_SRC, t_mac_b, 6), 0, "Ethernet source");
	memcpy(a->eth_dst, f + US_ETH_DST, 6);
	cr_assert_eq(us_get16(p + US_ARP_HTYPE), 1);
	cr_assert_eq(us_get16(p + US_ARP_PTYPE), US_ETHERTYPE_IPV4);
	a->op = us_get16(p + US_ARP_OP);
	memcpy(a->sha, p + US_ARP_SHA, 6);
	memcpy(a->tha, p + US_ARP_THA, 6);
	a->spa = us_get32(p + US_ARP_SPA);
	a->tpa = us_get32(p + US_ARP_TPA);
	cr_assert_eq(memcmp(a->sha, t_mac_b, 6), 0, "sender MAC");
}

/* Checks an RFC 5227 2.1.1 probe for ip: a broadcast request, sender address 0. */
static void
take_probe(struct fx *x, uint32_t ip)
{
	struct arp a;

	take_arp(x, &a);
	cr_assert_eq(memcmp(a.eth_dst, bcast_mac, 6), 0, "probe not broadcast");
	cr_assert_eq(a.op, US_ARP_REQUEST);
	cr_assert_eq(a.spa, 0, "probe sender address");
	cr_assert_eq(memcmp(a.tha, zero6, 6), 0, "probe target MAC");
	cr_assert_eq(a.tpa, ip, "probe target address");
}

/*
 * Injects an ARP message from sha.
 * scapy: Ether(dst=ff:..:ff,src=sha)/ARP(op=op,hwsrc=sha,psrc=spa,pdst=tpa)
 */
static void
inject_arp(struct fx *x, uint16_t op, const uint8_t *sha, uint32_t spa, const uint8_t *tha,
	   uint32_t tpa)
{
	uint8_t f[60];
	uint8_t *a = f + US_ETH_HLEN;

	memset(f, 0, sizeof(f));
	memcpy(f + US_ETH_DST, op == US_ARP_REPLY ? t_mac_b : bcast_mac, 6);
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
	t_one_inject(&x->t, f, sizeof(f));
}

/* What a server's reply carries besides type and yiaddr. */
struct lease {
	uint32_t server;	/* option 54, 0: none */
	uint32_t lease;		/* option 51, 0: none */
	uint32_t t1, t2;	/* options 58, 59, 0: none */
	uint32_t mask;		/* option 1, 0: none */
	uint32_t router;	/* option 3, 0: none */
	uint32_t dns[5];	/* option 6 */
	int ndns;
};

static const struct lease lease_1000 = {
	.server = IP_S,
	.lease = 1000,
	.mask = 0xffffff00u,
	.router = IP_R,
	.dns = { IP_DNS1, IP_DNS2 },
	.ndns = 2,
};

static uint32_t
put_opt32(uint8_t *m, uint32_t n, uint8_t code, uint32_t v)
{
	m[n++] = code;
	m[n++] = 4;
	us_put32(m + n, v);
	return n + 4;
}

/*
 * A BOOTREPLY of type into m (at least 300 bytes of room); returns its
 * length, padded to 300 bytes.
 * scapy: BOOTP(op=2,xid=xid,yiaddr=yiaddr,siaddr=server,chaddr=chaddr)/
 *        DHCP(options=[("message-type",type),("server_id",..),("lease_time",..),
 *                      ("renewal_time",..),("rebinding_time",..),("subnet_mask",..),
 *                      ("router",..),("name_server",..),"end"])
 */
static uint32_t
bootreply(uint8_t *m, uint8_t type, uint32_t xid, const uint8_t *chaddr, uint32_t yiaddr,
	  const struct lease *l)
{
	uint32_t n = 240;
	int i;

	memset(m, 0, 300);
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	us_put32(m + 4, xid);
	us_put32(m + 16, yiaddr);
	us_put32(m + 20, l->server);
	memcpy(m + 28, chaddr, 6);
	us_put32(m + 236, COOKIE);
	m[n++] = 53;
	m[n++] = 1;
	m[n++] = type;
	if (l->server != 0)
		n = put_opt32(m, n, 54, l->server);
	if (l->lease != 0)
		n = put_opt32(m, n, 51, l->lease);
	if (l->t1 != 0)
		n = put_opt32(m, n, 58, l->t1);
	if (l->t2 != 0)
		n = put_opt32(m, n, 59, l->t2);
	if (l->mask != 0)
		n = put_opt32(m, n, 1, l->mask);
	if (l->router != 0)
		n = put_opt32(m, n, 3, l->router);
	if (l->ndns > 0) {
		m[n++] = 6;
		m[n++] = (uint8_t)(4 * l->ndns);
		for (i = 0; i < l->ndns; i++, n += 4)
			us_put32(m + n, l->dns[i]);
	}
	m[n++] = 255;
	return n < 300 ? 300 : n;
}

/* Sends a BOOTP message m from the server (IP_S:67) to dst:68; broadcast unless dst is ours. */
static void
inject_reply(struct fx *x, const uint8_t *m, uint32_t len, uint32_t dst)
{
	uint8_t f[2048];
	uint32_t n = t_build_udp(f, IP_S, dst, 67, 68, m, len);

	if (dst == BCAST)
		memcpy(f + US_ETH_DST, bcast_mac, 6);
	t_one_inject(&x->t, f, n);
}

/* The server's reply of type for xid, broadcast. */
static void
reply(struct fx *x, uint8_t type, uint32_t xid, uint32_t yiaddr, const struct lease *l)
{
	uint8_t m[1500];
	uint32_t n = bootreply(m, type, xid, t_mac_b, yiaddr, l);

	inject_reply(x, m, n, BCAST);
}

/* Runs virtual time to the DHCP client's next deadline. */
static void
run_to_dhcp(struct fx *x)
{
	uint64_t d = us_dhcp_deadline(x->st);

	cr_assert_neq(d, UINT64_MAX, "no DHCP timer");
	cr_assert_geq(d, x->t.now, "DHCP timer %llu ns in the past (tries %u)",
		      (unsigned long long)(x->t.now - d), x->st->dhcp.tries);
	t_one_advance(&x->t, d - x->t.now);
}

/* Starts the client: the first DISCOVER within 100 ms; returns it in r. */
static void
start(struct fx *x, struct req *r)
{
	us_stack_announce(x->st);
	expect_silence(x);
	cr_assert_eq(x->st->dhcp.state, US_DHCP_INIT);
	cr_assert_leq(us_dhcp_deadline(x->st), x->t.now + 100 * T_MS + 1);
	run_to_dhcp(x);
	take_msg(x, US_DHCP_DISCOVER, r);
	cr_assert_eq(x->st->dhcp.state, US_DHCP_SELECTING);
}

/*
 * Discover, offer IP_Y, request, ACK with l, the two probes: the stack is
 * bound.  Returns the time the REQUEST went (the lease's start).
 */
static uint64_t
bind_lease(struct fx *x, const struct lease *l)
{
	struct req r;
	uint64_t t_req;

	start(x, &r);
	reply(x, US_DHCP_OFFER, r.xid, IP_Y, l);
	take_msg(x, US_DHCP_REQUEST, &r);
	t_req = x->t.now;
	reply(x, US_DHCP_ACK, r.xid, IP_Y, l);
	take_probe(x, IP_Y);
	run_to_dhcp(x);
	take_probe(x, IP_Y);
	run_to_dhcp(x);
	cr_assert_eq(x->st->dhcp.state, US_DHCP_BOUND);
	cr_assert_eq(x->st->ip4, IP_Y);
	/* The gratuitous ARP. */
	cr_assert_eq(t_one_drain(&x->t), 1);
	return t_req;
}

/* ------------------------------------------------------------------ */
/* INIT and SELECTING */

Test(dhcp, discover_is_a_broadcast_bootrequest_with_xid_chaddr_flag_and_options)
{
	struct fx x;
	struct req r;

	fx_init(&x);
	/* Nothing before the client is started. */
	t_one_advance(&x.t, 5 * T_S);
	expect_silence(&x);
	start(&x, &r);
	cr_assert_eq(memcmp(r.eth_dst, bcast_mac, 6), 0, "Ethernet broadcast");
	cr_assert_eq(r.src, 0, "from 0.0.0.0");
	cr_assert_eq(r.dst, BCAST, "to 255.255.255.255");
	cr_assert_eq(r.xid, x.st->dhcp.xid);
	cr_assert_eq(r.flags, 0x8000, "BROADCAST flag");
	cr_assert_eq(r.ciaddr, 0);
	cr_assert_eq(r.olen[53], 1);
	cr_assert_eq(r.type, US_DHCP_DISCOVER);
	cr_assert_not_null(r.opt[55], "no parameter request list");
	cr_assert(prl_has(&r, 1) && prl_has(&r, 3) && prl_has(&r, 6) && prl_has(&r, 51) &&
		  prl_has(&r, 58) && prl_has(&r, 59));
	cr_assert_null(r.opt[50], "requested address in a DISCOVER");
	cr_assert_null(r.opt[54], "server identifier in a DISCOVER");
	cr_assert_eq(x.ds->tx_discover, 1);
	cr_assert_eq(x.ds->tx_request, 0);
	cr_assert_eq(x.st->ip4, 0);
	cr_assert(!us_dhcp_has_lease(x.st));
	fx_fini(&x);
}

Test(dhcp, discover_is_retransmitted_with_doubling_backoff_up_to_64_s)
{
	/* RFC 2131 4.1: 4 s, 8 s, 16 s ... up to 64 s, each randomised by +-1 s. */
	static const uint64_t base[] = { 4, 8, 16, 32, 64, 64, 64 };
	struct fx x;
	struct req r, r2;
	uint64_t last;
	unsigned i;

	fx_init(&x);
	start(&x, &r);
	last = x.t.now;
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		uint64_t d = us_dhcp_deadline(x.st) - last;

		cr_assert_geq(d, (base[i] - 1) * T_S, "retransmission %u after %llu ns", i + 1,
			      (unsigned long long)d);
		cr_assert_lt(d, (base[i] + 1) * T_S, "retransmission %u after %llu ns", i + 1,
			     (unsigned long long)d);
		/* Not a moment early. */
		t_one_advance(&x.t, d - 1);
		expect_silence(&x);
		t_one_advance(&x.t, 1);
		take_msg(&x, US_DHCP_DISCOVER, &r2);
		cr_assert_eq(r2.xid, r.xid, "a retransmission keeps its xid");
		cr_assert_eq(r2.flags, 0x8000);
		cr_assert_eq(r2.src, 0);
		cr_assert_eq(r2.dst, BCAST);
		expect_silence(&x);
		last = x.t.now;
	}
	cr_assert_eq(x.ds->tx_discover, 1 + sizeof(base) / sizeof(base[0]));
	fx_fini(&x);
}

Test(dhcp, discover_backoff_stays_at_64_s_for_hours_without_a_server)
{
	struct fx x;
	struct req r;
	uint64_t last;
	unsigned i;

	fx_init(&x);
	start(&x, &r);
	last = x.t.now;
	/* More retransmissions than an 8-bit counter holds. */
	for (i = 1; i <= 600; i++) {
		run_to_dhcp(&x);
		take_msg(&x, US_DHCP_DISCOVER, &r);
		if (i >= 5)
			cr_assert_geq(x.t.now - last, 63 * T_S, "retransmission %u after %llu ms", i,
				      (unsigned long long)((x.t.now - last) / T_MS));
		cr_assert_lt(x.t.now - last, 65 * T_S);
		last = x.t.now;
	}
	cr_assert_eq(x.ds->tx_discover, 601);
	fx_fini(&x);
}

Test(dhcp, offer_gets_a_request_with_options_50_and_54_and_the_same_xid)
{
	struct fx x;
	struct req d, r;

	fx_init(&x);
	start(&x, &d);
	t_one_advance(&x.t, 300 * T_MS);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	expect_silence(&x);
	cr_assert_eq(memcmp(r.eth_dst, bcast_mac, 6), 0);
	cr_assert_eq(r.src, 0, "still from 0.0.0.0");
	cr_assert_eq(r.dst, BCAST, "broadcast: every server sees the choice");
	cr_assert_eq(r.xid, d.xid);
	cr_assert_eq(r.flags, 0x8000);
	cr_assert_eq(r.ciaddr, 0, "RFC 2131 4.3.2: ciaddr zero in SELECTING");
	cr_assert_eq(opt32(&r, 50), IP_Y);
	cr_assert_eq(opt32(&r, 54), IP_S);
	cr_assert_not_null(r.opt[55]);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_REQUESTING);
	cr_assert_eq(x.ds->rx_offer, 1);
	cr_assert_eq(x.ds->tx_request, 1);
	cr_assert_eq(x.ds->rx_other, 0);
	cr_assert_eq(x.st->ip4, 0, "an offer is not an address");
	fx_fini(&x);
}

Test(dhcp, offer_for_another_xid_or_chaddr_is_ignored)
{
	struct fx x;
	struct req d, r;
	uint8_t m[1500];
	uint32_t n;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid + 1, IP_Y, &lease_1000);
	expect_silence(&x);
	cr_assert_eq(x.ds->rx_other, 1);
	n = bootreply(m, US_DHCP_OFFER, d.xid, mac_c, IP_Y, &lease_1000);
	inject_reply(&x, m, n, BCAST);
	expect_silence(&x);
	cr_assert_eq(x.ds->rx_other, 2);
	cr_assert_eq(x.ds->rx_offer, 0);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_SELECTING);
	/* An offer without a server identifier (RFC 2131 Table 3: MUST) is no use either. */
	{
		struct lease l = lease_1000;

		l.server = 0;
		reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &l);
		expect_silence(&x);
		cr_assert_eq(x.ds->rx_other, 3);
		cr_assert_eq(x.st->dhcp.state, US_DHCP_SELECTING);
	}
	/* The right one still works. */
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	cr_assert_eq(x.ds->rx_other, 3);
	fx_fini(&x);
}

Test(dhcp, second_offer_while_requesting_is_ignored)
{
	struct fx x;
	struct req d, r;
	struct lease other = lease_1000;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	other.server = 0xc6120003u;
	reply(&x, US_DHCP_OFFER, d.xid, IP_C, &other);
	expect_silence(&x);
	cr_assert_eq(x.ds->rx_offer, 2);
	cr_assert_eq(x.ds->rx_other, 1);
	cr_assert_eq(x.ds->tx_request, 1);
	cr_assert_eq(x.st->dhcp.offer, IP_Y);
	cr_assert_eq(x.st->dhcp.server, IP_S);
	/* An ACK from the other server for its address is not ours either. */
	reply(&x, US_DHCP_ACK, d.xid, IP_C, &other);
	expect_silence(&x);
	cr_assert_eq(x.ds->rx_other, 2);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_REQUESTING);
	/* The first server's ACK goes on to the probe. */
	reply(&x, US_DHCP_ACK, d.xid, IP_Y, &lease_1000);
	take_probe(&x, IP_Y);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_PROBING);
	fx_fini(&x);
}

Test(dhcp, unanswered_request_is_retransmitted_then_the_client_starts_over)
{
	struct fx x;
	struct req d, r;
	unsigned i;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	for (i = 0; i < 3; i++) {
		run_to_dhcp(&x);
		take_msg(&x, US_DHCP_REQUEST, &r);
		cr_assert_eq(r.xid, d.xid);
		cr_assert_eq(opt32(&r, 50), IP_Y);
		cr_assert_eq(opt32(&r, 54), IP_S);
	}
	cr_assert_eq(x.ds->tx_request, 4);
	run_to_dhcp(&x);
	expect_silence(&x);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_INIT);
	run_to_dhcp(&x);
	take_msg(&x, US_DHCP_DISCOVER, &r);
	cr_assert_neq(r.xid, d.xid, "a new exchange, a new xid");
	cr_assert_null(r.opt[50]);
	fx_fini(&x);
}

/* ------------------------------------------------------------------ */
/* ACK, the ARP check (RFC 5227), BOUND */

Test(dhcp, ack_is_checked_with_two_probes_then_the_lease_configures_the_stack)
{
	struct fx x;
	struct req d, r;
	struct arp a;
	uint64_t t_ack;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	t_one_advance(&x.t, 10 * T_MS);
	reply(&x, US_DHCP_ACK, d.xid, IP_Y, &lease_1000);
	t_ack = x.t.now;
	take_probe(&x, IP_Y);
	expect_silence(&x);
	cr_assert_eq(x.ds->rx_ack, 1);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_PROBING);
	cr_assert_eq(x.st->ip4, 0, "not ours before the check");
	cr_assert(!us_dhcp_has_lease(x.st));
	/* The second probe half a second later. */
	t_one_advance(&x.t, 500 * T_MS - 1);
	expect_silence(&x);
	t_one_advance(&x.t, 1);
	take_probe(&x, IP_Y);
	cr_assert_eq(x.ds->tx_arp_probe, 2);
	cr_assert_eq(x.st->ip4, 0);
	/* Half a second of silence more: bound. */
	t_one_advance(&x.t, 500 * T_MS - 1);
	expect_silence(&x);
	cr_assert_eq(x.st->ip4, 0);
	t_one_advance(&x.t, 1);
	cr_assert_eq(x.t.now - t_ack, 1 * T_S);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_BOUND);
	cr_assert(us_dhcp_has_lease(x.st));
	cr_assert_eq(x.st->ip4, IP_Y);
	cr_assert_eq(x.st->mask, 0xffffff00u);
	cr_assert_eq(x.st->gw, IP_R);
	cr_assert_eq(x.st->cfg.ndns, 2);
	cr_assert_eq(x.st->cfg.dns4[0], IP_DNS1);
	cr_assert_eq(x.st->cfg.dns4[1], IP_DNS2);
	cr_assert_eq(x.ds->bound, 1);
	cr_assert_eq(x.ds->renewed, 0);
	/* RFC 5227 2.3: the announcement, sender and target our new address. */
	take_arp(&x, &a);
	cr_assert_eq(memcmp(a.eth_dst, bcast_mac, 6), 0);
	cr_assert_eq(a.op, US_ARP_REQUEST);
	cr_assert_eq(a.spa, IP_Y);
	cr_assert_eq(a.tpa, IP_Y);
	expect_silence(&x);
	cr_assert_eq(x.st->stats->arp.tx_gratuitous, 1);
	/* Now the stack answers ARP for the address. */
	inject_arp(&x, US_ARP_REQUEST, t_mac_a, IP_S, zero6, IP_Y);
	take_arp(&x, &a);
	cr_assert_eq(a.op, US_ARP_REPLY);
	cr_assert_eq(a.spa, IP_Y);
	cr_assert_eq(a.tpa, IP_S);
	fx_fini(&x);
}

Test(dhcp, lease_without_mask_or_router_gets_the_class_mask_and_no_gateway)
{
	struct fx x;
	struct lease l = { .server = IP_S, .lease = 1000 };

	fx_init(&x);
	bind_lease(&x, &l);
	/* 198.18.0.2 is class C. */
	cr_assert_eq(x.st->mask, 0xffffff00u);
	cr_assert_eq(x.st->gw, 0);
	cr_assert_eq(x.st->cfg.ndns, 0);
	fx_fini(&x);
}

Test(dhcp, router_off_the_leased_subnet_is_not_used)
{
	struct fx x;
	struct lease l = lease_1000;

	l.router = 0x0a000001u;
	fx_init(&x);
	bind_lease(&x, &l);
	cr_assert_eq(x.st->gw, 0);
	fx_fini(&x);
}

Test(dhcp, usock_dns_and_usock_gateway_given_beat_the_lease)
{
	struct fx x;

	fx_init(&x);
	strcpy(x.st->cfg.dns, "192.0.2.53");
	x.st->cfg.dns4[0] = 0xc0000235u;
	x.st->cfg.ndns = 1;
	x.st->cfg.gw = 0xc61200fdu;
	x.st->gw = 0xc61200fdu;
	bind_lease(&x, &lease_1000);
	cr_assert_eq(x.st->ip4, IP_Y);
	cr_assert_eq(x.st->cfg.ndns, 1);
	cr_assert_eq(x.st->cfg.dns4[0], 0xc0000235u);
	cr_assert_eq(x.st->cfg.dns4[1], 0);
	cr_assert_eq(x.st->gw, 0xc61200fdu);
	fx_fini(&x);
}

Test(dhcp, arp_reply_for_the_offer_while_probing_declines_it_and_discovers_10_s_later)
{
	struct fx x;
	struct req d, r;
	uint64_t t_decl;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	reply(&x, US_DHCP_ACK, d.xid, IP_Y, &lease_1000);
	take_probe(&x, IP_Y);
	t_one_advance(&x.t, 100 * T_MS);
	/* Another host has the address. */
	inject_arp(&x, US_ARP_REPLY, mac_c, IP_Y, t_mac_b, 0);
	t_decl = x.t.now;
	take_msg(&x, US_DHCP_DECLINE, &r);
	expect_silence(&x);
	cr_assert_eq(memcmp(r.eth_dst, bcast_mac, 6), 0);
	cr_assert_eq(r.src, 0);
	cr_assert_eq(r.dst, BCAST);
	cr_assert_eq(r.ciaddr, 0, "RFC 2131 Table 5: ciaddr 0 in DHCPDECLINE");
	cr_assert_eq(r.xid, d.xid);
	cr_assert_eq(opt32(&r, 50), IP_Y);
	cr_assert_eq(opt32(&r, 54), IP_S);
	cr_assert_null(r.opt[55], "RFC 2131 Table 5: no parameter list in DHCPDECLINE");
	cr_assert_null(r.opt[57]);
	cr_assert_eq(x.ds->conflict, 1);
	cr_assert_eq(x.ds->tx_decline, 1);
	cr_assert_eq(x.ds->bound, 0);
	cr_assert_eq(x.st->ip4, 0);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_INIT);
	/* RFC 2131 3.1.5: at least ten seconds before trying again. */
	cr_assert_eq(us_dhcp_deadline(x.st), t_decl + 10 * T_S);
	t_one_advance(&x.t, 10 * T_S - 1);
	expect_silence(&x);
	cr_assert_eq(x.st->ip4, 0);
	t_one_advance(&x.t, 1);
	take_msg(&x, US_DHCP_DISCOVER, &r);
	cr_assert_neq(r.xid, d.xid);
	cr_assert_eq(x.ds->tx_discover, 2);
	/* A late ACK of the old exchange changes nothing. */
	reply(&x, US_DHCP_ACK, d.xid, IP_Y, &lease_1000);
	expect_silence(&x);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_SELECTING);
	fx_fini(&x);
}

Test(dhcp, probe_from_another_host_for_the_offer_is_a_conflict)
{
	struct fx x;
	struct req d, r;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	reply(&x, US_DHCP_ACK, d.xid, IP_Y, &lease_1000);
	take_probe(&x, IP_Y);
	/* ARP about other addresses, and our own probe heard back, are no conflict. */
	inject_arp(&x, US_ARP_REQUEST, mac_c, IP_C, zero6, IP_S);
	inject_arp(&x, US_ARP_REQUEST, mac_c, 0, zero6, IP_S);
	inject_arp(&x, US_ARP_REQUEST, t_mac_b, 0, zero6, IP_Y);
	expect_silence(&x);
	cr_assert_eq(x.ds->conflict, 0);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_PROBING);
	/* RFC 5227 2.1.1: another host probing for it at the same time. */
	inject_arp(&x, US_ARP_REQUEST, mac_c, 0, zero6, IP_Y);
	take_msg(&x, US_DHCP_DECLINE, &r);
	cr_assert_eq(opt32(&r, 50), IP_Y);
	cr_assert_eq(opt32(&r, 54), IP_S);
	cr_assert_eq(x.ds->conflict, 1);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_INIT);
	/* Nothing more comes of the probe: no binding at the old probe deadline. */
	t_one_advance(&x.t, 2 * T_S);
	expect_silence(&x);
	cr_assert_eq(x.st->ip4, 0);
	cr_assert_eq(x.ds->bound, 0);
	fx_fini(&x);
}

/* ------------------------------------------------------------------ */
/* RENEWING, REBINDING, expiry (RFC 2131 4.4.5) */

Test(dhcp, t1_sends_a_unicast_request_with_ciaddr_and_the_ack_renews_the_lease)
{
	struct fx x;
	struct req r;
	struct arp a;
	struct lease l2 = lease_1000;
	uint64_t t0, t_ren;
	uint32_t old_xid;

	fx_init(&x);
	t0 = bind_lease(&x, &lease_1000);
	old_xid = x.st->dhcp.xid;
	cr_assert_eq(us_dhcp_deadline(x.st), t0 + 500 * T_S, "T1 = lease / 2");
	t_one_advance(&x.t, t0 + 500 * T_S - 1 - x.t.now);
	expect_silence(&x);
	t_one_advance(&x.t, 1);
	/* The server's MAC first: the request is unicast. */
	take_arp(&x, &a);
	cr_assert_eq(a.op, US_ARP_REQUEST);
	cr_assert_eq(a.spa, IP_Y);
	cr_assert_eq(a.tpa, IP_S);
	inject_arp(&x, US_ARP_REPLY, t_mac_a, IP_S, t_mac_b, IP_Y);
	take_msg(&x, US_DHCP_REQUEST, &r);
	t_ren = x.t.now;
	expect_silence(&x);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_RENEWING);
	cr_assert_eq(memcmp(r.eth_dst, t_mac_a, 6), 0, "to the server's MAC");
	cr_assert_eq(r.src, IP_Y, "from our address");
	cr_assert_eq(r.dst, IP_S, "to the server");
	cr_assert_eq(r.ciaddr, IP_Y);
	cr_assert_eq(r.flags, 0, "no BROADCAST flag with an address");
	cr_assert_null(r.opt[50], "RFC 2131 4.3.2: no requested address when renewing");
	cr_assert_null(r.opt[54], "RFC 2131 4.3.2: no server identifier when renewing");
	cr_assert_neq(r.xid, old_xid);
	cr_assert_eq(x.st->ip4, IP_Y, "the address stays while renewing");
	/* The ACK (unicast to our address) extends the lease. */
	l2.lease = 2000;
	{
		uint8_t m[1500];
		uint32_t n = bootreply(m, US_DHCP_ACK, r.xid, t_mac_b, IP_Y, &l2);

		t_one_advance(&x.t, 50 * T_MS);
		inject_reply(&x, m, n, IP_Y);
	}
	expect_silence(&x);
	cr_assert_eq(x.ds->rx_ack, 2);
	cr_assert_eq(x.ds->renewed, 1);
	cr_assert_eq(x.ds->bound, 1, "the same address: no new binding");
	cr_assert_eq(x.st->stats->arp.tx_gratuitous, 1, "no new announcement");
	cr_assert_eq(x.st->dhcp.state, US_DHCP_BOUND);
	cr_assert_eq(x.st->ip4, IP_Y);
	cr_assert_eq(x.st->dhcp.lease_s, 2000);
	/* The new lease counts from its request. */
	cr_assert_eq(us_dhcp_deadline(x.st), t_ren + 1000 * T_S);
	run_to_dhcp(&x);
	take_msg(&x, US_DHCP_REQUEST, &r);
	cr_assert_eq(r.dst, IP_S);
	fx_fini(&x);
}

/* Runs the client to its next deadline; returns the time and the message it sent then. */
static uint64_t
next_msg(struct fx *x, uint8_t type, struct req *r)
{
	run_to_dhcp(x);
	take_msg(x, type, r);
	expect_silence(x);
	return x->t.now;
}

Test(dhcp, without_answers_t2_rebinds_by_broadcast_and_the_lease_end_drops_the_address)
{
	struct fx x;
	struct req r;
	uint64_t t0, t, prev;
	unsigned nrenew = 0, nrebind = 0;

	fx_init(&x);
	t0 = bind_lease(&x, &lease_1000);
	t_one_learn_peer(&x.t);
	/* T1: unicast requests until T2, no faster than one a minute (RFC 2131 4.4.5). */
	t = next_msg(&x, US_DHCP_REQUEST, &r);
	cr_assert_eq(t, t0 + 500 * T_S);
	for (;;) {
		cr_assert_eq(r.src, IP_Y);
		cr_assert_eq(r.ciaddr, IP_Y);
		cr_assert_eq(r.flags, 0);
		cr_assert_null(r.opt[50]);
		cr_assert_null(r.opt[54]);
		if (r.dst == BCAST)
			break;
		cr_assert_eq(r.dst, IP_S);
		cr_assert_eq(memcmp(r.eth_dst, t_mac_a, 6), 0);
		cr_assert_eq(x.st->dhcp.state, US_DHCP_RENEWING);
		cr_assert_eq(x.st->ip4, IP_Y);
		nrenew++;
		prev = t;
		t = next_msg(&x, US_DHCP_REQUEST, &r);
		if (r.dst != BCAST)
			cr_assert_geq(t - prev, 60 * T_S);
	}
	cr_assert_geq(nrenew, 2);
	/* T2 = 7/8 lease: broadcast with ciaddr. */
	cr_assert_eq(t, t0 + 875 * T_S);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_REBINDING);
	cr_assert_eq(memcmp(r.eth_dst, bcast_mac, 6), 0);
	for (;;) {
		cr_assert_eq(r.dst, BCAST);
		cr_assert_eq(r.src, IP_Y);
		cr_assert_eq(r.ciaddr, IP_Y);
		cr_assert_eq(x.st->ip4, IP_Y, "the address stays while rebinding");
		nrebind++;
		prev = t;
		if (us_dhcp_deadline(x.st) >= t0 + 1000 * T_S)
			break;
		t = next_msg(&x, US_DHCP_REQUEST, &r);
	}
	cr_assert_geq(nrebind, 2);
	/* The lease's end: the address goes, the counter says why, DISCOVER again. */
	cr_assert_eq(us_dhcp_deadline(x.st), t0 + 1000 * T_S);
	t_one_advance(&x.t, t0 + 1000 * T_S - 1 - x.t.now);
	cr_assert_eq(x.st->ip4, IP_Y);
	cr_assert_eq(x.ds->expired, 0);
	t_one_advance(&x.t, 1);
	cr_assert_eq(x.st->ip4, 0);
	cr_assert_eq(x.st->mask, 0);
	cr_assert_eq(x.st->gw, 0);
	cr_assert_eq(x.ds->expired, 1);
	cr_assert(!us_dhcp_has_lease(x.st));
	cr_assert_eq(x.st->dhcp.state, US_DHCP_INIT);
	t = next_msg(&x, US_DHCP_DISCOVER, &r);
	cr_assert_eq(r.src, 0);
	cr_assert_eq(r.ciaddr, 0);
	cr_assert_eq(r.flags, 0x8000);
	cr_assert_eq(x.ds->renewed, 0);
	fx_fini(&x);
}

Test(dhcp, ack_while_rebinding_from_any_server_renews)
{
	struct fx x;
	struct req r;
	struct lease l = lease_1000;
	uint64_t t0;

	fx_init(&x);
	t0 = bind_lease(&x, &lease_1000);
	t_one_learn_peer(&x.t);
	t_one_advance(&x.t, t0 + 875 * T_S - x.t.now);
	/* The renewals (unicast) went meanwhile; the last message is the broadcast. */
	while (t_one_take(&x.t, r.m, sizeof(r.m)) > 0)
		;
	cr_assert_eq(x.st->dhcp.state, US_DHCP_REBINDING);
	l.server = 0xc6120003u;
	reply(&x, US_DHCP_ACK, x.st->dhcp.xid, IP_Y, &l);
	cr_assert_eq(x.ds->renewed, 1);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_BOUND);
	cr_assert_eq(x.st->dhcp.server, 0xc6120003u, "the new server's lease now");
	cr_assert_eq(x.st->ip4, IP_Y);
	fx_fini(&x);
}

Test(dhcp, options_58_and_59_set_t1_and_t2)
{
	struct fx x;
	struct req r;
	struct lease l = lease_1000;
	uint64_t t0;

	l.t1 = 100;
	l.t2 = 300;
	fx_init(&x);
	t0 = bind_lease(&x, &l);
	t_one_learn_peer(&x.t);
	cr_assert_eq(next_msg(&x, US_DHCP_REQUEST, &r), t0 + 100 * T_S);
	cr_assert_eq(r.dst, IP_S);
	while (r.dst != BCAST)
		next_msg(&x, US_DHCP_REQUEST, &r);
	cr_assert_eq(x.t.now, t0 + 300 * T_S);
	fx_fini(&x);
}

Test(dhcp, t1_and_t2_default_to_half_and_seven_eighths_of_the_lease)
{
	struct fx x;
	struct req r;
	struct lease l = lease_1000;
	uint64_t t0;

	/* 100 s: T1 50 s, T2 87.5 s (whole seconds: 87). */
	l.lease = 100;
	fx_init(&x);
	t0 = bind_lease(&x, &l);
	t_one_learn_peer(&x.t);
	cr_assert_eq(x.st->dhcp.t1_s, 50);
	cr_assert_eq(x.st->dhcp.t2_s, 87);
	cr_assert_eq(next_msg(&x, US_DHCP_REQUEST, &r), t0 + 50 * T_S);
	cr_assert_eq(r.dst, IP_S);
	while (r.dst != BCAST)
		next_msg(&x, US_DHCP_REQUEST, &r);
	cr_assert_eq(x.t.now, t0 + 87 * T_S);
	fx_fini(&x);
}

Test(dhcp, t1_and_t2_out_of_order_or_past_the_lease_fall_back_to_defaults)
{
	struct fx x;
	struct lease l = lease_1000;

	l.t1 = 2000;
	l.t2 = 400;
	fx_init(&x);
	bind_lease(&x, &l);
	cr_assert_eq(x.st->dhcp.t1_s, 500);
	cr_assert_eq(x.st->dhcp.t2_s, 875);
	fx_fini(&x);
}

/* ------------------------------------------------------------------ */
/* NAK (RFC 2131 3.1.4, 4.4.4) */

Test(dhcp, nak_while_requesting_goes_back_to_init)
{
	struct fx x;
	struct req d, r;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	/* Another exchange's NAK is not ours. */
	reply(&x, US_DHCP_NAK, d.xid ^ 1, 0, &(struct lease){ .server = IP_S });
	cr_assert_eq(x.st->dhcp.state, US_DHCP_REQUESTING);
	cr_assert_eq(x.ds->rx_other, 1);
	reply(&x, US_DHCP_NAK, d.xid, 0, &(struct lease){ .server = IP_S });
	cr_assert_eq(x.ds->rx_nak, 1);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_INIT);
	cr_assert_eq(x.st->dhcp.offer, 0);
	cr_assert_eq(x.st->ip4, 0);
	next_msg(&x, US_DHCP_DISCOVER, &r);
	cr_assert_neq(r.xid, d.xid);
	fx_fini(&x);
}

Test(dhcp, nak_while_renewing_drops_the_address)
{
	struct fx x;
	struct req r;
	uint64_t t0;

	fx_init(&x);
	t0 = bind_lease(&x, &lease_1000);
	t_one_learn_peer(&x.t);
	cr_assert_eq(next_msg(&x, US_DHCP_REQUEST, &r), t0 + 500 * T_S);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_RENEWING);
	reply(&x, US_DHCP_NAK, r.xid, 0, &(struct lease){ .server = IP_S });
	cr_assert_eq(x.ds->rx_nak, 1);
	cr_assert_eq(x.st->ip4, 0);
	cr_assert_eq(x.st->mask, 0);
	cr_assert_eq(x.st->gw, 0);
	cr_assert(!us_dhcp_has_lease(x.st));
	next_msg(&x, US_DHCP_DISCOVER, &r);
	cr_assert_eq(r.src, 0);
	fx_fini(&x);
}

Test(dhcp, nak_while_selecting_is_ignored)
{
	struct fx x;
	struct req d;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_NAK, d.xid, 0, &(struct lease){ .server = IP_S });
	cr_assert_eq(x.st->dhcp.state, US_DHCP_SELECTING);
	cr_assert_eq(x.ds->rx_nak, 1);
	cr_assert_eq(x.ds->rx_other, 1);
	fx_fini(&x);
}

/* ------------------------------------------------------------------ */
/* RELEASE at exit (RFC 2131 4.4.6) */

Test(dhcp, destroying_a_bound_stack_releases_the_lease_to_its_server)
{
	struct fx x;
	struct req r;
	struct us_stats stats;
	struct us_pkt *p;
	uint8_t f[2048];
	uint32_t n, leaked;
	unsigned nframes = 0, nrel = 0;

	fx_init(&x);
	bind_lease(&x, &lease_1000);
	t_one_learn_peer(&x.t);
	/* The counters live in the stack: keep them where they outlive it. */
	stats = *x.st->stats;
	us_stack_set_stats(x.st, &stats);
	/* t_one_fini, keeping what the stack sends on its way out. */
	t_stack_destroy(x.st);
	while (x.t.peer->ops->rx_burst(x.t.peer, &p, 1, x.t.now) == 1) {
		n = us_pkt_chain_read(p, 0, f, sizeof(f));
		us_pkt_free(p);
		nframes++;
		if (us_get16(f + US_ETH_TYPE) != US_ETHERTYPE_IPV4)
			continue;
		parse_req(f, n, &r);
		cr_assert_eq(r.type, US_DHCP_RELEASE);
		nrel++;
	}
	us_drv_close(x.t.peer);
	leaked = x.t.n.pool->n - x.t.n.pool->avail;
	cr_assert_eq(leaked, 0, "%u packet buffers leaked", leaked);
	us_pool_destroy(x.t.n.pool);
	cr_assert_eq(us_pool_destroy(x.t.ppool), 0);
	cr_assert_eq(nframes, 1);
	cr_assert_eq(nrel, 1);
	cr_assert_eq(memcmp(r.eth_dst, t_mac_a, 6), 0);
	cr_assert_eq(r.src, IP_Y);
	cr_assert_eq(r.dst, IP_S, "unicast to the server");
	cr_assert_eq(r.ciaddr, IP_Y);
	cr_assert_eq(r.flags, 0);
	cr_assert_eq(opt32(&r, 54), IP_S);
	cr_assert_null(r.opt[50], "RFC 2131 Table 5: no requested address in DHCPRELEASE");
	cr_assert_null(r.opt[55]);
	cr_assert_null(r.opt[57]);
	cr_assert_eq(stats.dhcp.tx_release, 1);
}

Test(dhcp, destroying_an_unbound_stack_releases_nothing)
{
	struct fx x;
	struct req d, r;
	struct us_stats stats;

	fx_init(&x);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	stats = *x.st->stats;
	us_stack_set_stats(x.st, &stats);
	/* (t_one_fini drops what is sent; the counter tells.) */
	fx_fini(&x);
	cr_assert_eq(stats.dhcp.tx_release, 0);
}

/* ------------------------------------------------------------------ */
/* What an unbound stack accepts (lib/ip/ip4.c) */

Test(dhcp, unbound_stack_takes_broadcasts_only)
{
	struct fx x;
	struct req d, r;
	struct us_sock *s;
	int err = 0;
	uint8_t f[2048], m[1500];
	uint32_t n;

	fx_init(&x);
	s = us_sock_create(x.st, USOCK_AF_INET, USOCK_SOCK_DGRAM, 0, &err);
	cr_assert_not_null(s, "socket: %d", err);
	cr_assert_eq(us_udp_bind(x.st, s, 0, 5000), 0);
	start(&x, &d);
	reply(&x, US_DHCP_OFFER, d.xid, IP_Y, &lease_1000);
	take_msg(&x, US_DHCP_REQUEST, &r);
	/* To 0.0.0.0, and to the offered address: not ours yet. */
	n = t_build_udp(f, IP_S, 0, 6000, 5000, "zero", 4);
	t_one_inject(&x.t, f, n);
	n = t_build_udp(f, IP_S, IP_Y, 6000, 5000, "offer", 5);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->stats->ip4.rx_notours, 2);
	cr_assert_eq(x.st->stats->udp.rx, 1, "only the offer");
	cr_assert_eq(x.st->stats->udp.rx_delivered, 0);
	/* A server that answers by unicast to yiaddr is not heard before the address is ours. */
	n = bootreply(m, US_DHCP_ACK, d.xid, t_mac_b, IP_Y, &lease_1000);
	inject_reply(&x, m, n, IP_Y);
	cr_assert_eq(x.st->stats->ip4.rx_notours, 3);
	cr_assert_eq(x.ds->rx_ack, 0);
	cr_assert_eq(x.st->dhcp.state, US_DHCP_REQUESTING);
	/* A broadcast is. */
	n = t_build_udp(f, IP_S, BCAST, 6000, 5000, "bcast", 5);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->stats->udp.rx_delivered, 1);
	/* Probing: still not ours. */
	reply(&x, US_DHCP_ACK, d.xid, IP_Y, &lease_1000);
	take_probe(&x, IP_Y);
	n = t_build_udp(f, IP_S, IP_Y, 6000, 5000, "probe", 5);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->stats->ip4.rx_notours, 4);
	cr_assert_eq(x.st->stats->udp.rx_delivered, 1);
	/* Bound: it is. */
	run_to_dhcp(&x);
	run_to_dhcp(&x);
	cr_assert_eq(x.st->ip4, IP_Y);
	t_one_drain(&x.t);
	n = t_build_udp(f, IP_S, IP_Y, 6000, 5000, "bound", 5);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->stats->udp.rx_delivered, 2);
	n = t_build_udp(f, IP_S, 0, 6000, 5000, "zero", 4);
	t_one_inject(&x.t, f, n);
	cr_assert_eq(x.st->stats->ip4.rx_notours, 5);
	fx_fini(&x);
}

Test(dhcp, malformed_reply_on_port_68_is_rx_bad)
{
	struct fx x;
	struct req d;
	uint8_t m[1500];
	uint32_t n;

	fx_init(&x);
	start(&x, &d);
	n = bootreply(m, US_DHCP_OFFER, d.xid, t_mac_b, IP_Y, &lease_1000);
	us_put32(m + 236, 0x63825364u);
	inject_reply(&x, m, n, BCAST);
	cr_assert_eq(x.ds->rx_bad, 1);
	cr_assert_eq(x.ds->rx_offer, 0);
	expect_silence(&x);
	fx_fini(&x);
}

/* ------------------------------------------------------------------ */
/* us_dhcp_parse */

/* Parses a copy of m in a heap block of exactly len bytes, so any overread shows under ASan. */
static int
parse_exact(const uint8_t *m, uint32_t len, struct us_dhcp_msg *out)
{
	uint8_t *p = malloc(len > 0 ? len : 1);
	int rc;

	cr_assert_not_null(p);
	if (len > 0)
		memcpy(p, m, len);
	rc = us_dhcp_parse(p, len, out);
	free(p);
	return rc;
}

Test(dhcp_parse, ack_with_every_option_the_client_uses)
{
	uint8_t m[1500];
	struct us_dhcp_msg msg;
	struct lease l = lease_1000;
	uint32_t n;

	l.t1 = 400;
	l.t2 = 800;
	l.dns[2] = 0x01010101u;
	l.dns[3] = 0x02020202u;
	l.dns[4] = 0x03030303u;
	l.ndns = 5;
	n = bootreply(m, US_DHCP_ACK, 0x12345678u, t_mac_b, IP_Y, &l);
	cr_assert_eq(parse_exact(m, n, &msg), 0);
	cr_assert_eq(msg.type, US_DHCP_ACK);
	cr_assert_eq(msg.xid, 0x12345678u);
	cr_assert_eq(msg.yiaddr, IP_Y);
	cr_assert_eq(memcmp(msg.chaddr, t_mac_b, 6), 0);
	cr_assert_eq(msg.server, IP_S);
	cr_assert_eq(msg.lease, 1000);
	cr_assert_eq(msg.t1, 400);
	cr_assert_eq(msg.t2, 800);
	cr_assert_eq(msg.mask, 0xffffff00u);
	cr_assert_eq(msg.router, IP_R);
	cr_assert_eq(msg.ndns, 4, "at most US_DHCP_MAXDNS kept");
	cr_assert_eq(msg.dns[0], IP_DNS1);
	cr_assert_eq(msg.dns[1], IP_DNS2);
	cr_assert_eq(msg.dns[2], 0x01010101u);
	cr_assert_eq(msg.dns[3], 0x02020202u);
}

Test(dhcp_parse, minimal_reply_pads_and_several_routers)
{
	/* 240 fixed bytes, PADs, message type, two routers (the first counts), END: no padding to 300. */
	static const uint8_t opts[] = { 0, 0, 53, 1, 2, 3, 8, 198, 18, 0, 254, 198, 18, 0, 253,
					0, 255 };
	uint8_t m[300];
	struct us_dhcp_msg msg;

	memset(m, 0, sizeof(m));
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	us_put32(m + 236, COOKIE);
	memcpy(m + 240, opts, sizeof(opts));
	cr_assert_eq(parse_exact(m, 240 + sizeof(opts), &msg), 0);
	cr_assert_eq(msg.type, US_DHCP_OFFER);
	cr_assert_eq(msg.router, IP_R);
	cr_assert_eq(msg.server, 0);
	cr_assert_eq(msg.lease, 0);
	/* Options with lengths the client does not expect are skipped, not trusted. */
	{
		static const uint8_t odd[] = { 53, 1, 5, 51, 2, 0, 9, 1, 3, 255, 255, 255, 54, 5,
					       1, 2, 3, 4, 5, 58, 8, 0, 0, 0, 1, 0, 0, 0, 1, 255 };

		memcpy(m + 240, odd, sizeof(odd));
		cr_assert_eq(parse_exact(m, 240 + sizeof(odd), &msg), 0);
		cr_assert_eq(msg.type, US_DHCP_ACK);
		cr_assert_eq(msg.lease, 0);
		cr_assert_eq(msg.mask, 0);
		cr_assert_eq(msg.server, 0);
		cr_assert_eq(msg.t1, 0);
	}
}

/* A reply with type in its options area, overload, and the given file and sname areas. */
static uint32_t
overload_msg(uint8_t *m, uint8_t overload, const uint8_t *file, uint32_t flen, const uint8_t *sname,
	     uint32_t slen)
{
	uint32_t n = 240;

	memset(m, 0, 400);
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	us_put32(m + 4, 7);
	us_put32(m + 236, COOKIE);
	m[n++] = 53;
	m[n++] = 1;
	m[n++] = US_DHCP_OFFER;
	if (overload != 0) {
		m[n++] = 52;
		m[n++] = 1;
		m[n++] = overload;
	}
	m[n++] = 255;
	if (flen > 0)
		memcpy(m + 108, file, flen);
	if (slen > 0)
		memcpy(m + 44, sname, slen);
	return 300;
}

Test(dhcp_parse, option_overload_reads_file_then_sname)
{
	/* RFC 2132 9.3, RFC 2131 4.1: file holds options (1), sname (2), both (3), file first. */
	static const uint8_t file[] = { 54, 4, 198, 18, 0, 1, 51, 4, 0, 0, 1, 0, 3, 4, 198, 18, 0,
					254, 255 };
	static const uint8_t sname[] = { 1, 4, 255, 255, 255, 0, 3, 4, 198, 18, 0, 253, 255 };
	static const uint8_t text[] = "boot.example";
	uint8_t m[400];
	struct us_dhcp_msg msg;
	uint32_t n;

	n = overload_msg(m, 3, file, sizeof(file), sname, sizeof(sname));
	cr_assert_eq(parse_exact(m, n, &msg), 0);
	cr_assert_eq(msg.type, US_DHCP_OFFER);
	cr_assert_eq(msg.server, IP_S);
	cr_assert_eq(msg.lease, 256);
	cr_assert_eq(msg.mask, 0xffffff00u);
	cr_assert_eq(msg.router, IP_R, "file is read before sname");
	/* 1: only file; sname is a name, not options. */
	n = overload_msg(m, 1, file, sizeof(file), text, sizeof(text));
	cr_assert_eq(parse_exact(m, n, &msg), 0);
	cr_assert_eq(msg.server, IP_S);
	cr_assert_eq(msg.mask, 0);
	/* 2: only sname; file is a name. */
	n = overload_msg(m, 2, text, sizeof(text), sname, sizeof(sname));
	cr_assert_eq(parse_exact(m, n, &msg), 0);
	cr_assert_eq(msg.server, 0);
	cr_assert_eq(msg.mask, 0xffffff00u);
	cr_assert_eq(msg.router, 0xc61200fdu);
	/* No overload: option-like bytes in file and sname are not read. */
	n = overload_msg(m, 0, file, sizeof(file), sname, sizeof(sname));
	cr_assert_eq(parse_exact(m, n, &msg), 0);
	cr_assert_eq(msg.server, 0);
	cr_assert_eq(msg.mask, 0);
	/* Option 52 inside file does not overload again. */
	{
		static const uint8_t nested[] = { 52, 1, 2, 255 };

		n = overload_msg(m, 1, nested, sizeof(nested), sname, sizeof(sname));
		cr_assert_eq(parse_exact(m, n, &msg), 0);
		cr_assert_eq(msg.mask, 0);
	}
}

Test(dhcp_parse, malformed_messages_are_refused)
{
	static const uint8_t file_ok[] = { 255 };
	static const uint8_t no_end[] = { 51, 4, 0, 0, 1, 0 };
	static const uint8_t past[] = { 51, 4, 0, 0, 1, 0, 3, 200, 1, 2 };
	uint8_t m[1500];
	struct us_dhcp_msg msg;
	uint32_t n, good;

	good = bootreply(m, US_DHCP_OFFER, 1, t_mac_b, IP_Y, &lease_1000);
	cr_assert_eq(parse_exact(m, good, &msg), 0);
	/* Short: less than the fixed part and the cookie; nothing at all. */
	cr_assert_eq(parse_exact(m, 239, &msg), -1);
	cr_assert_eq(parse_exact(m, 0, &msg), -1);
	/* Exactly the fixed part: no END. */
	cr_assert_eq(parse_exact(m, 240, &msg), -1);
	/* op BOOTREQUEST, htype 6 (IEEE 802), hlen 16, a bad cookie. */
	m[0] = 1;
	cr_assert_eq(parse_exact(m, good, &msg), -1);
	m[0] = 2;
	m[1] = 6;
	cr_assert_eq(parse_exact(m, good, &msg), -1);
	m[1] = 1;
	m[2] = 16;
	cr_assert_eq(parse_exact(m, good, &msg), -1);
	m[2] = 6;
	m[239] ^= 1;
	cr_assert_eq(parse_exact(m, good, &msg), -1);
	m[239] ^= 1;
	cr_assert_eq(parse_exact(m, good, &msg), 0);
	/* An option running past the end of the message. */
	memset(m + 240, 0, good - 240);
	m[240] = 53;
	m[241] = 1;
	m[242] = 2;
	m[243] = 51;
	m[244] = 4;
	cr_assert_eq(parse_exact(m, 246, &msg), -1, "length past the end");
	cr_assert_eq(parse_exact(m, 244, &msg), -1, "length byte missing");
	/* No END: the options area ends on padding, or on the last option. */
	cr_assert_eq(parse_exact(m, 300, &msg), -1, "PADs to the end, no END");
	cr_assert_eq(parse_exact(m, 243, &msg), -1, "last option then the end");
	m[243] = 255;
	cr_assert_eq(parse_exact(m, 300, &msg), 0);
	/* Unknown message types, none, or a type option of the wrong length. */
	m[242] = 8;
	cr_assert_eq(parse_exact(m, 300, &msg), -1, "type 8");
	m[242] = 0;
	cr_assert_eq(parse_exact(m, 300, &msg), -1, "type 0");
	m[242] = 2;
	m[241] = 2;
	m[243] = 0;
	m[244] = 255;
	cr_assert_eq(parse_exact(m, 300, &msg), -1, "type of 2 bytes");
	m[240] = 0;
	m[241] = 0;
	m[242] = 0;
	cr_assert_eq(parse_exact(m, 300, &msg), -1, "no type");
	m[240] = 53;
	m[241] = 1;
	m[242] = 2;
	m[243] = 255;
	cr_assert_eq(parse_exact(m, 300, &msg), 0);
	/* Overload areas without END, or with an option past their end. */
	n = overload_msg(m, 1, file_ok, sizeof(file_ok), NULL, 0);
	cr_assert_eq(parse_exact(m, n, &msg), 0);
	n = overload_msg(m, 1, no_end, sizeof(no_end), NULL, 0);
	cr_assert_eq(parse_exact(m, n, &msg), -1, "file without END");
	n = overload_msg(m, 2, NULL, 0, no_end, sizeof(no_end));
	cr_assert_eq(parse_exact(m, n, &msg), -1, "sname without END");
	n = overload_msg(m, 3, file_ok, sizeof(file_ok), no_end, sizeof(no_end));
	cr_assert_eq(parse_exact(m, n, &msg), -1, "sname without END (both)");
	n = overload_msg(m, 1, past, sizeof(past), NULL, 0);
	cr_assert_eq(parse_exact(m, n, &msg), -1, "option past the end of file");
	n = overload_msg(m, 2, NULL, 0, past, sizeof(past));
	cr_assert_eq(parse_exact(m, n, &msg), -1, "option past the end of sname");
	/* An option that fills file to its last byte, then no room for END. */
	{
		uint8_t full[128];

		memset(full, 0, sizeof(full));
		full[0] = 77;
		full[1] = 126;
		n = overload_msg(m, 1, full, sizeof(full), NULL, 0);
		cr_assert_eq(parse_exact(m, n, &msg), -1, "file full, no END");
		full[1] = 125;
		full[127] = 255;
		n = overload_msg(m, 1, full, sizeof(full), NULL, 0);
		cr_assert_eq(parse_exact(m, n, &msg), 0, "END in file's last byte");
	}
}

/* xorshift32: the fuzz loop's own seeded generator. */
static uint32_t
rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* One random or mutated message into m; returns its length (0 to 700). */
static uint32_t
fuzz_msg(uint32_t *s, uint8_t *m, const uint8_t *seed, uint32_t seedlen)
{
	uint32_t n, i, k, kind = rnd(s) % 4;

	if (kind == 0) {
		/* Pure noise, sometimes with a valid head so the options get walked. */
		n = rnd(s) % 700;
		for (i = 0; i < n; i++)
			m[i] = (uint8_t)rnd(s);
		if (n >= 240 && (rnd(s) & 1)) {
			m[0] = 2;
			m[1] = 1;
			m[2] = 6;
			us_put32(m + 236, COOKIE);
		}
		return n;
	}
	memcpy(m, seed, seedlen);
	n = seedlen;
	if (kind == 1) {
		/* A valid head, then random options: codes, lengths, overload values. */
		n = 240 + rnd(s) % 300;
		for (i = 240; i < n;) {
			uint32_t c = rnd(s) % 8;

			if (c == 0)
				m[i++] = (uint8_t)(rnd(s) % 2 ? 0 : 255);
			else if (c == 1 && i + 3 <= n) {
				m[i++] = 52;
				m[i++] = 1;
				m[i++] = (uint8_t)(rnd(s) % 4);
			} else if (c == 2 && i + 3 <= n) {
				m[i++] = 53;
				m[i++] = 1;
				m[i++] = (uint8_t)(rnd(s) % 9);
			} else {
				uint32_t l = rnd(s) % 12;

				m[i++] = (uint8_t)(rnd(s) % 64);
				if (i < n)
					m[i++] = (uint8_t)(rnd(s) % 3 == 0 ? rnd(s) : l);
				for (k = 0; k < l && i < n; k++)
					m[i++] = (uint8_t)rnd(s);
			}
		}
		/* file and sname: random option streams too. */
		for (i = 44; i < 236; i++)
			m[i] = (uint8_t)(rnd(s) % 5 == 0 ? 255 : rnd(s) % 60);
		return n;
	}
	/* Mutations of the good message: flips, stores, cuts. */
	k = 1 + rnd(s) % 8;
	for (i = 0; i < k; i++) {
		uint32_t at = rnd(s) % seedlen;

		switch (rnd(s) % 3) {
		case 0: m[at] ^= (uint8_t)(1u << (rnd(s) % 8)); break;
		case 1: m[at] = (uint8_t)rnd(s); break;
		default: m[at] = (uint8_t)(rnd(s) % 2 ? 0 : 255); break;
		}
	}
	if (kind == 3)
		n = rnd(s) % (seedlen + 1);
	return n;
}

Test(dhcp_parse, twenty_thousand_random_and_mutated_messages_return_0_or_minus_1)
{
	uint8_t seed[1500], m[1500];
	struct us_dhcp_msg msg;
	struct lease l = lease_1000;
	uint32_t s = 0x5eed1234u, seedlen, n, i, ok = 0, bad = 0;
	int rc;

	l.t1 = 400;
	l.t2 = 800;
	seedlen = bootreply(seed, US_DHCP_ACK, 0xabcdef01u, t_mac_b, IP_Y, &l);
	for (i = 0; i < 20000; i++) {
		n = fuzz_msg(&s, m, seed, seedlen);
		rc = parse_exact(m, n, &msg);
		cr_assert(rc == 0 || rc == -1, "message %u: %d", i, rc);
		if (rc == 0) {
			ok++;
			cr_assert(msg.type >= US_DHCP_DISCOVER && msg.type <= US_DHCP_RELEASE);
			cr_assert_leq(msg.ndns, US_DHCP_MAXDNS);
			cr_assert_geq(n, 240);
		} else {
			bad++;
		}
	}
	/* Both outcomes were exercised. */
	cr_assert_gt(ok, 1000, "only %u parsed", ok);
	cr_assert_gt(bad, 1000, "only %u refused", bad);
}

Test(dhcp, mutated_replies_through_the_stack_neither_crash_nor_leak)
{
	struct fx x;
	struct req d;
	uint8_t seed[1500], m[1500];
	uint32_t s = 0xfeedbeefu, seedlen, n, i;

	fx_init(&x);
	start(&x, &d);
	seedlen = bootreply(seed, US_DHCP_OFFER, d.xid, t_mac_b, IP_Y, &lease_1000);
	for (i = 0; i < 3000; i++) {
		/* Keep the seed's xid current as the client moves on. */
		us_put32(seed + 4, x.st->dhcp.xid);
		seed[242] = (uint8_t)(US_DHCP_OFFER + (i % 3 == 0 ? 3 : i % 3 == 1 ? 4 : 0));
		n = fuzz_msg(&s, m, seed, seedlen);
		if (n < 8)
			n = 8;
		inject_reply(&x, m, n, BCAST);
		t_one_drain(&x.t);
		if (i % 100 == 99)
			t_one_advance(&x.t, 700 * T_MS);
		t_one_drain(&x.t);
	}
	cr_assert_gt(x.ds->rx_bad, 0);
	cr_assert_eq(x.st->stats->udp.rx, 3000);
	fx_fini(&x);
}
