/*
 * eth.c - Ethernet II: the first and last step of every frame.  Input
 * checks the destination MAC (ours, broadcast, or an IPv6 group we are
 * in, RFC 2464 7) and dispatches on EtherType; output prepends the header
 * in the packet's headroom.
 */
#include "../core/stack.h"
#include "../ip/ip4.h"
#include "../ip/ip6.h"
#include "../wire/wire.h"
#include "link.h"

/*
 * Is the frame at h (len bytes) for an IPv6 group we are in?  The MAC
 * holds only the group's low 32 bits (RFC 2464 7), so the IPv6
 * destination decides, and must map to this MAC.
 */
static int
ip6_group_frame(const struct us_stack *st, const uint8_t *h, uint32_t len)
{
#if US_HAVE_IPV6
	struct us_in6 g;
	uint8_t mac[6];

	if (!st->ip6.enabled || h[US_ETH_DST] != 0x33 || h[US_ETH_DST + 1] != 0x33 ||
	    us_get16(h + US_ETH_TYPE) != US_ETHERTYPE_IPV6 || len < US_ETH_HLEN + US_IP6_HLEN)
		return 0;
	memcpy(g.b, h + US_ETH_HLEN + US_IP6_DST, 16);
	us_in6_mcast_mac(mac, &g);
	return memcmp(mac, h + US_ETH_DST, US_ETH_ALEN) == 0 && us_ip6_in_group(st, &g);
#else
	return 0;
#endif
}

void
us_eth_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_eth_stats *es = &st->stats->eth;
	const uint8_t *h = us_pkt_data(pkt);
	uint16_t type;

	es->rx++;
	if (pkt->len < US_ETH_HLEN) {
		es->rx_short++;
		goto drop;
	}
	if (us_eth_is_bcast(h + US_ETH_DST)) {
		pkt->flags |= US_PKT_BCAST;
	} else if (ip6_group_frame(st, h, pkt->len)) {
		pkt->flags |= US_PKT_MCAST;
	} else if (memcmp(h + US_ETH_DST, st->mac, US_ETH_ALEN) != 0) {
		/* Another host's unicast or a multicast group we have not joined. */
		es->rx_notours++;
		goto drop;
	}
	type = us_get16(h + US_ETH_TYPE);
	us_pkt_adj(pkt, US_ETH_HLEN);
	switch (type) {
	case US_ETHERTYPE_IPV4:
		us_ip4_input(st, pkt);
		return;
	case US_ETHERTYPE_ARP:
		us_arp_input(st, pkt);
		return;
#if US_HAVE_IPV6
	case US_ETHERTYPE_IPV6:
		/* With IPv6 off the EtherType is as unknown as any other. */
		if (!st->ip6.enabled) {
			es->rx_badtype++;
			goto drop;
		}
		us_ip6_input(st, pkt);
		return;
#endif
	default:
		es->rx_badtype++;
		goto drop;
	}
drop:
	us_pkt_free(pkt);
}

void
us_eth_output(struct us_stack *st, struct us_pkt *pkt, const uint8_t dst[6], uint16_t type)
{
	uint8_t *h = us_pkt_prepend(pkt, US_ETH_HLEN);

	if (h == NULL) {
		/* Every builder leaves headroom; reaching here is a bug, not a condition. */
		st->stats->eth.tx_drop++;
		us_pkt_free(pkt);
		return;
	}
	memcpy(h + US_ETH_DST, dst, US_ETH_ALEN);
	memcpy(h + US_ETH_SRC, st->mac, US_ETH_ALEN);
	us_put16(h + US_ETH_TYPE, type);
	/* The minimum frame is 60 bytes before the FCS; pad short ones with zeros. */
	if (pkt->len < 60 && pkt->next == NULL) {
		uint32_t pad = 60 - pkt->len;
		uint8_t *p = us_pkt_append(pkt, pad);

		if (p != NULL)
			memset(p, 0, pad);
	}
	st->stats->eth.tx++;
	us_stack_xmit(st, pkt);
}
