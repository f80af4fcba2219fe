/*
 * stats.h - every counter the stack keeps, one group per protocol.  The
 * lists are X-macros so the struct and the names usock-stat prints come
 * from one place.  Counters of drops are named for their reason.
 */
#ifndef US_STATS_H
#define US_STATS_H

#include <stdint.h>

#include "../../drivers/driver.h"

#define US_ETH_STATS(X)                                                                   \
	X(rx, "frames received")                                                          \
	X(rx_short, "dropped: shorter than an Ethernet header")                           \
	X(rx_notours, "dropped: addressed to another MAC")                                \
	X(rx_badtype, "dropped: unknown EtherType")                                       \
	X(tx, "frames sent")                                                              \
	X(tx_drop, "dropped on transmit: link queue full")

#define US_ARP_STATS(X)                                                                   \
	X(rx, "ARP messages received")                                                    \
	X(rx_short, "dropped: short")                                                     \
	X(rx_bad, "dropped: not Ethernet/IPv4 or bad lengths")                            \
	X(rx_badop, "dropped: unknown opcode")                                            \
	X(rx_badsrc, "dropped: bad sender address")                                       \
	X(rx_notours, "requests for other hosts")                                         \
	X(rx_request, "requests for us")                                                  \
	X(rx_reply, "replies received")                                                   \
	X(tx_request, "requests sent")                                                    \
	X(tx_reply, "replies sent")                                                       \
	X(tx_gratuitous, "gratuitous announcements sent")                                 \
	X(conflict, "another host claims our address")                                    \
	X(cache_full, "entries refused: cache full")                                      \
	X(queue_drop, "packets dropped: waiting queue full")                              \
	X(resolve_fail, "packets dropped: address did not resolve")

#define US_IP4_STATS(X)                                                                   \
	X(rx, "datagrams received")                                                       \
	X(rx_short, "dropped: shorter than a header")                                     \
	X(rx_badver, "dropped: version not 4")                                            \
	X(rx_badhlen, "dropped: bad header length")                                       \
	X(rx_badlen, "dropped: bad total length")                                         \
	X(rx_badsum, "dropped: bad header checksum")                                      \
	X(rx_badopt, "dropped: malformed options")                                        \
	X(rx_badflags, "dropped: reserved flag set")                                      \
	X(rx_badsrc, "dropped: broadcast or multicast source")                            \
	X(rx_notours, "dropped: not addressed to us")                                     \
	X(rx_unkproto, "dropped: unknown protocol")                                       \
	X(rx_delivered, "datagrams delivered to a protocol")                              \
	X(rx_frag, "fragments received")                                                  \
	X(rx_frag_bad, "fragments dropped: bad length or offset")                         \
	X(rx_frag_dup, "fragments dropped: duplicates")                                   \
	X(rx_frag_overlap, "datagrams dropped: overlapping fragments")                    \
	X(rx_frag_toobig, "datagrams dropped: reassembled above 65535 bytes")             \
	X(rx_frag_timeout, "datagrams dropped: reassembly timed out")                     \
	X(rx_frag_nomem, "datagrams dropped: reassembly memory limit")                    \
	X(rx_reassembled, "datagrams reassembled")                                        \
	X(rx_raw, "copies delivered to raw sockets")                                      \
	X(rx_raw_drop, "copies for raw sockets dropped: queue full or no buffer")         \
	X(tx, "datagrams sent")                                                           \
	X(tx_frag, "fragments sent")                                                      \
	X(tx_noroute, "dropped on send: no route")                                        \
	X(tx_nobuf, "dropped on send: no buffer")                                         \
	X(tx_toobig, "refused on send: too big with DF")                                 \
	X(tx_raw, "datagrams sent from raw sockets")

#define US_ICMP_STATS(X)                                                                  \
	X(rx, "messages received")                                                        \
	X(rx_short, "dropped: short")                                                     \
	X(rx_badsum, "dropped: bad checksum")                                             \
	X(rx_bcast_echo, "broadcast echo requests ignored")                               \
	X(rx_echo, "echo requests")                                                       \
	X(rx_echoreply, "echo replies")                                                   \
	X(rx_err, "errors received")                                                      \
	X(rx_err_bad, "errors dropped: quoted header bad")                                \
	X(rx_err_delivered, "errors delivered to a socket")                               \
	X(rx_other, "other types ignored")                                                \
	X(tx_echoreply, "echo replies sent")                                              \
	X(tx_unreach, "destination unreachable sent")                                     \
	X(tx_ratelimited, "errors not sent: rate limit")

#define US_IP6_STATS(X)                                                                   \
	X(rx, "datagrams received")                                                       \
	X(rx_short, "dropped: shorter than a header")                                     \
	X(rx_badver, "dropped: version not 6")                                            \
	X(rx_badlen, "dropped: payload length past the frame")                            \
	X(rx_badsrc, "dropped: multicast, loopback or v4-mapped address")                 \
	X(rx_notours, "dropped: not addressed to us")                                     \
	X(rx_badext, "dropped: malformed extension header")                               \
	X(rx_rthdr0, "dropped: routing header type 0 (RFC 5095)")                          \
	X(rx_unkext, "dropped: unknown option or header (parameter problem)")             \
	X(rx_unkproto, "dropped: unknown upper-layer protocol")                           \
	X(rx_nonext, "ended by No Next Header (nothing to deliver)")                      \
	X(rx_delivered, "datagrams delivered to a protocol")                              \
	X(rx_frag, "fragments received")                                                  \
	X(rx_frag_atomic, "atomic fragments (RFC 6946) delivered as they are")            \
	X(rx_frag_bad, "fragments dropped: bad length or offset")                         \
	X(rx_frag_dup, "fragments dropped: duplicates")                                   \
	X(rx_frag_overlap, "datagrams dropped: overlapping fragments (RFC 5722)")         \
	X(rx_frag_toobig, "datagrams dropped: reassembled above 65535 bytes")             \
	X(rx_frag_timeout, "datagrams dropped: reassembly timed out")                     \
	X(rx_frag_nomem, "datagrams dropped: reassembly memory limit")                    \
	X(rx_reassembled, "datagrams reassembled")                                        \
	X(tx, "datagrams sent")                                                           \
	X(tx_frag, "fragments sent")                                                      \
	X(tx_noroute, "dropped on send: no route")                                        \
	X(tx_nosrc, "dropped on send: no usable source address")                          \
	X(tx_nobuf, "dropped on send: no buffer")                                         \
	X(tx_toobig, "refused on send: above the path MTU")

#define US_ICMP6_STATS(X)                                                                 \
	X(rx, "messages received")                                                        \
	X(rx_short, "dropped: short")                                                     \
	X(rx_badsum, "dropped: bad checksum")                                             \
	X(rx_echo, "echo requests")                                                       \
	X(rx_echoreply, "echo replies")                                                   \
	X(rx_err, "errors received")                                                      \
	X(rx_err_bad, "errors dropped: quoted header bad")                                \
	X(rx_err_delivered, "errors delivered to a socket")                               \
	X(rx_pkttoobig, "packet too big received")                                        \
	X(rx_other, "other types ignored")                                                \
	X(tx_echoreply, "echo replies sent")                                              \
	X(tx_err, "errors sent")                                                          \
	X(tx_ratelimited, "errors not sent: rate limit")

#define US_ND6_STATS(X)                                                                   \
	X(rx_bad, "dropped: bad hop limit, code, length or options")                      \
	X(rx_ns, "neighbour solicitations received")                                      \
	X(rx_na, "neighbour advertisements received")                                     \
	X(rx_rs, "router solicitations ignored (we are a host)")                          \
	X(rx_ra, "router advertisements received")                                        \
	X(rx_redirect, "redirects received")                                              \
	X(rx_mld_query, "MLD queries received")                                           \
	X(tx_ns, "neighbour solicitations sent")                                          \
	X(tx_na, "neighbour advertisements sent")                                         \
	X(tx_rs, "router solicitations sent")                                             \
	X(tx_mld_report, "MLD reports sent")                                              \
	X(dad_ok, "addresses that passed DAD")                                            \
	X(dad_dup, "addresses found duplicate by DAD")                                    \
	X(slaac_addr, "addresses made from advertised prefixes")                          \
	X(cache_full, "entries refused: cache full")                                      \
	X(queue_drop, "packets dropped: waiting queue full")                              \
	X(resolve_fail, "packets dropped: address did not resolve")                       \
	X(conflict, "advertisements from another node for an address of ours")

#define US_DHCP_STATS(X)                                                                  \
	X(tx_discover, "DHCPDISCOVER sent")                                               \
	X(tx_request, "DHCPREQUEST sent")                                                 \
	X(tx_decline, "DHCPDECLINE sent (the offered address was in use)")                \
	X(tx_release, "DHCPRELEASE sent")                                                 \
	X(tx_arp_probe, "ARP probes of an offered address")                               \
	X(rx_offer, "DHCPOFFER received")                                                 \
	X(rx_ack, "DHCPACK received")                                                     \
	X(rx_nak, "DHCPNAK received")                                                     \
	X(rx_bad, "dropped: malformed or not a reply")                                    \
	X(rx_other, "ignored: another transaction, client or state")                      \
	X(bound, "leases taken (a new address)")                                          \
	X(renewed, "leases extended (renewing or rebinding)")                             \
	X(expired, "leases that ran out (address dropped)")                               \
	X(conflict, "offered addresses another host answered for")

#define US_UDP_STATS(X)                                                                   \
	X(rx, "datagrams received")                                                       \
	X(rx_short, "dropped: short")                                                     \
	X(rx_badlen, "dropped: bad length")                                               \
	X(rx_badsum, "dropped: bad checksum")                                             \
	X(rx_noport, "dropped: no socket on port")                                        \
	X(rx_bcast_noport, "broadcasts dropped: no socket on port")                       \
	X(rx_qfull, "dropped: socket receive buffer full")                                \
	X(rx_nomem, "dropped: pool at its reserve")                                       \
	X(rx_delivered, "datagrams queued to sockets")                                    \
	X(tx, "datagrams sent")                                                           \
	X(tx_err, "send failed")

#define US_TCP_STATS(X)                                                                   \
	X(rx, "segments received")                                                        \
	X(rx_short, "dropped: shorter than a header")                                     \
	X(rx_badoff, "dropped: bad data offset")                                          \
	X(rx_badsum, "dropped: bad checksum")                                             \
	X(rx_badopt, "dropped: malformed options")                                        \
	X(rx_badflags, "dropped: impossible flag combinations")                           \
	X(rx_noconn, "segments for no connection (answered with RST)")                    \
	X(rx_oowin, "segments outside the window (answered with ACK)")                    \
	X(rx_paws, "segments dropped by PAWS")                                            \
	X(rx_dupdata, "segments with only old data")                                      \
	X(rx_ooo, "segments queued out of order")                                         \
	X(rx_ooo_drop, "out-of-order segments dropped: queue full")                       \
	X(rx_ooo_drained, "out-of-order segments given back: pool short on receive")      \
	X(rx_rcvfull, "data dropped: receive buffer full")                                \
	X(rx_nomem, "data segments dropped: pool at its reserve")                         \
	X(rx_dupack, "duplicate ACKs")                                                    \
	X(rx_ackfuture, "ACKs for data not sent (answered with ACK)")                     \
	X(rx_rst, "resets accepted")                                                      \
	X(rx_rst_bad, "resets ignored: not exactly in sequence")                          \
	X(rx_syn_inwin, "SYNs in window on a synchronized connection")                    \
	X(rx_data_bytes, "in-order data bytes received")                                  \
	X(tx, "segments sent")                                                            \
	X(tx_data_bytes, "data bytes sent (first transmission)")                          \
	X(tx_rexmt, "segments retransmitted")                                             \
	X(tx_rexmt_bytes, "data bytes retransmitted")                                     \
	X(tx_ack, "pure ACKs sent")                                                       \
	X(tx_delack, "ACKs delayed")                                                      \
	X(tx_rst, "resets sent")                                                          \
	X(tx_challenge, "challenge ACKs sent (RFC 5961)")                                 \
	X(tx_challenge_limited, "challenge ACKs not sent: rate limit")                   \
	X(tx_oow_limited, "ACKs to out-of-window ACKs not sent: rate limit")              \
	X(tx_probe, "zero-window probes sent")                                            \
	X(tx_keepalive, "keepalive probes sent")                                          \
	X(tx_nobuf, "segments not sent: no buffer")                                       \
	X(tx_nobuf_retry, "sends tried again after a want of buffers")                    \
	X(snd_nobuf, "sends held up: pool at its reserve")                                \
	X(rexmt_timeout, "retransmission timeouts")                                       \
	X(fast_rexmt, "fast retransmits")                                                 \
	X(sack_rexmt, "retransmissions chosen by SACK")                                   \
	X(rexmt_lost, "retransmissions found lost (later data SACKed)")                   \
	X(pmtu_lowered, "MSS lowered by ICMP fragmentation-needed")                       \
	X(rx_icmp_err, "ICMP errors taken by a connection")                               \
	X(rx_icmp_oow, "ICMP errors ignored: quoted sequence not in flight")              \
	X(conn_attempt, "active opens")                                                   \
	X(conn_accepted, "passive opens")                                                 \
	X(conn_established, "connections established")                                    \
	X(conn_closed, "connections closed")                                              \
	X(conn_reset, "connections reset by the peer")                                    \
	X(conn_timeout, "connections dropped: retransmission limit")                      \
	X(conn_keepdrop, "connections dropped: keepalive unanswered")                     \
	X(listen_overflow, "connections refused: accept queue full")                      \
	X(syncookie_sent, "SYN cookies sent")                                             \
	X(syncookie_ok, "connections from valid SYN cookies")                             \
	X(syncookie_bad, "ACKs with invalid SYN cookies")                                 \
	X(timewait_reused, "TIME_WAIT connections reused by a new SYN")

#define US_SOCK_STATS(X)                                                                  \
	X(opened, "sockets opened")                                                       \
	X(closed, "sockets closed")                                                       \
	X(bytes_copied, "payload bytes copied to applications")                           \
	X(bytes_delivered, "payload bytes delivered to applications")

#define US_DECL(name, desc) uint64_t name;

struct us_eth_stats { US_ETH_STATS(US_DECL) };
struct us_arp_stats { US_ARP_STATS(US_DECL) };
struct us_ip4_stats { US_IP4_STATS(US_DECL) };
struct us_icmp_stats { US_ICMP_STATS(US_DECL) };
struct us_ip6_stats { US_IP6_STATS(US_DECL) };
struct us_icmp6_stats { US_ICMP6_STATS(US_DECL) };
struct us_nd6_stats { US_ND6_STATS(US_DECL) };
struct us_dhcp_stats { US_DHCP_STATS(US_DECL) };
struct us_udp_stats { US_UDP_STATS(US_DECL) };
struct us_tcp_stats { US_TCP_STATS(US_DECL) };
struct us_sock_stats { US_SOCK_STATS(US_DECL) };

struct us_pool_gauge {
	uint64_t size;		/* buffers in the pool */
	uint64_t avail;		/* buffers free (updated each poll) */
	uint64_t fail;		/* allocations refused */
};

struct us_stats {
	struct us_drv_stats drv;	/* the driver's counters */
	struct us_eth_stats eth;	/* Ethernet */
	struct us_arp_stats arp;	/* ARP */
	struct us_ip4_stats ip4;	/* IPv4 */
	struct us_icmp_stats icmp;	/* ICMP */
	struct us_ip6_stats ip6;	/* IPv6 */
	struct us_icmp6_stats icmp6;	/* ICMPv6 */
	struct us_nd6_stats nd6;	/* neighbour discovery, MLD */
	struct us_dhcp_stats dhcp;	/* DHCPv4 client */
	struct us_udp_stats udp;	/* UDP */
	struct us_tcp_stats tcp;	/* TCP */
	struct us_sock_stats sock;	/* sockets */
	struct us_pool_gauge pool;	/* packet pool */
};

/*
 * The file /dev/shm/usock.<pid> that usock-stat reads: a header, then the
 * counters.  The version changes whenever struct us_stats does.
 */
#define US_STATS_MAGIC 0x75736f636bu	/* "usock" */
#define US_STATS_VERSION 11

struct us_stats_file {
	uint64_t magic;		/* US_STATS_MAGIC */
	uint32_t version;	/* US_STATS_VERSION */
	uint32_t size;		/* sizeof(struct us_stats_file) */
	int32_t pid;		/* the process */
	char iface[32];		/* its interface */
	char driver[16];	/* its driver */
	uint32_t ip4;		/* its IPv4 address, host order */
	uint8_t plen;		/* prefix length */
	uint8_t mac[6];		/* its MAC */
	struct us_stats s;	/* the counters */
};

#endif /* US_STATS_H */
