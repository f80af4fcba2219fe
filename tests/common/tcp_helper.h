/*
 * tcp_helper.h - the test plays a TCP peer by hand: builds segments (with
 * options and a correct checksum) to inject into a t_one stack, and parses
 * the segments that stack sent so a test can assert every field.  Also the
 * byte stream the transfer tests send and check.
 */
#ifndef US_TEST_TCP_HELPER_H
#define US_TEST_TCP_HELPER_H

#include <stdint.h>

#include "harness.h"
#include "lib/tcp/tcp.h"

/* One TCP segment: filled by the test to build it, or by t_tcp_parse. */
struct t_seg {
	uint32_t src;		/* IPv4 source, host order */
	uint32_t dst;		/* IPv4 destination */
	uint16_t sport;		/* source port */
	uint16_t dport;		/* destination port */
	uint32_t seq;		/* SEG.SEQ */
	uint32_t ack;		/* SEG.ACK */
	uint8_t flags;		/* US_TH_* */
	uint16_t win;		/* window field, as on the wire */
	uint16_t up;		/* urgent pointer */
	uint8_t opt[40];	/* raw option bytes */
	uint32_t optlen;	/* their length */
	uint32_t len;		/* payload bytes */
	uint8_t data[2048];	/* payload */
	/* parsed options (t_tcp_parse only) */
	uint16_t mss;		/* MSS, 0: none */
	int wscale;		/* window shift, -1: none */
	int sack_ok;		/* SACK-permitted present */
	int has_ts;		/* timestamps present */
	uint32_t tsval;		/* TSval */
	uint32_t tsecr;		/* TSecr */
	int nsack;		/* SACK blocks */
	uint32_t sack[4][2];	/* left, right edges */
};

/* Option writers: each appends to o at *n and advances *n. */
void t_opt_nop(uint8_t *o, uint32_t *n);
void t_opt_mss(uint8_t *o, uint32_t *n, uint16_t mss);
void t_opt_ws(uint8_t *o, uint32_t *n, uint8_t shift);
void t_opt_sackok(uint8_t *o, uint32_t *n);
void t_opt_ts(uint8_t *o, uint32_t *n, uint32_t tsval, uint32_t tsecr);
void t_opt_sack(uint8_t *o, uint32_t *n, const uint32_t (*blocks)[2], int nblocks);

/*
 * Builds Ethernet + IPv4 + TCP from s (options padded to 4 bytes with
 * end-of-list) with a correct checksum; returns the frame length.
 */
uint32_t t_tcp_frame(uint8_t *frame, const struct t_seg *s);
/* Recomputes the TCP checksum of a frame built by t_tcp_frame (after the test edits it). */
void t_tcp_fix_csum(uint8_t *frame, uint32_t len);
/*
 * Parses an Ethernet + IPv4 + TCP frame a stack sent, checking the IP and
 * TCP checksums and the option syntax.  Returns 0, or -1 if it is not a
 * well-formed TCP segment.
 */
int t_tcp_parse(const uint8_t *frame, uint32_t len, struct t_seg *s);

/* The test's side of one connection with the stack of a t_one. */
struct t_peer {
	struct t_one *t;	/* the fixture */
	uint16_t port;		/* the peer's port (at 198.18.0.1) */
	uint16_t sport;		/* the stack's port (at 198.18.0.2) */
	uint32_t snd_nxt;	/* next sequence number the peer sends */
	uint32_t rcv_nxt;	/* next sequence number expected from the stack: the peer's ACK */
	uint16_t win;		/* window field the peer advertises */
	int ts;			/* put timestamps in every segment */
	uint32_t tsval;		/* the peer's timestamp clock */
	uint32_t ts_recent;	/* the stack's latest TSval, echoed */
};

/*
 * Sends a segment from the peer: seq, ack, flags and data as given, the
 * peer's window, its timestamp when p->ts, then extra options.
 */
void t_peer_xmit(struct t_peer *p, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
		 uint32_t len, const uint8_t *extra, uint32_t extralen);
/* Sends at snd_nxt acknowledging rcv_nxt; advances snd_nxt by the data, SYN and FIN. */
void t_peer_send(struct t_peer *p, uint8_t flags, const void *data, uint32_t len);
/*
 * Takes the next frame the stack sent and parses it as TCP (failing the
 * test on anything else); remembers its TSval.  Returns 1, or 0 if the
 * stack sent nothing.
 */
int t_peer_take(struct t_peer *p, struct t_seg *s);
/* Fails the test if the stack has sent anything. */
void t_peer_expect_none(struct t_peer *p, const char *why);

/*
 * Fills dst with bytes off .. off + n - 1 of the stream made from seed:
 * each byte is a function of its offset alone (a 64-bit mix of its 8-byte
 * word), so a receiver checks any range without keeping what was sent, and
 * no two windows of the stream look alike.
 */
void t_pattern(uint8_t *dst, uint64_t off, uint32_t n, uint64_t seed);

#endif /* US_TEST_TCP_HELPER_H */
