/*
 * tcp.h - TCP (RFC 9293): the control block, states, timers, and the calls
 * between the TCP files and the socket layer.  Variable names are the
 * RFC's (snd_una, rcv_nxt, ...); implementation fields start with t_.
 */
#ifndef US_TCP_H
#define US_TCP_H

#include <stdint.h>
#include <sys/types.h>

#include "../wire/wire.h"

struct us_stack;
struct us_pkt;
struct us_sock;
struct us_ep;
struct us_tcb;

/* States in RFC order: state >= US_TCPS_ESTABLISHED means synchronized. */
enum us_tcp_state {
	US_TCPS_CLOSED,
	US_TCPS_LISTEN,
	US_TCPS_SYN_SENT,
	US_TCPS_SYN_RECEIVED,
	US_TCPS_ESTABLISHED,
	US_TCPS_CLOSE_WAIT,
	US_TCPS_FIN_WAIT_1,
	US_TCPS_CLOSING,
	US_TCPS_LAST_ACK,
	US_TCPS_FIN_WAIT_2,
	US_TCPS_TIME_WAIT,
};
#define US_TCPS_HAVERCVDSYN(s)	((s) >= US_TCPS_SYN_RECEIVED)
#define US_TCPS_HAVERCVDFIN(s)	((s) == US_TCPS_CLOSE_WAIT || (s) == US_TCPS_CLOSING || \
				 (s) == US_TCPS_LAST_ACK || (s) == US_TCPS_TIME_WAIT)

/* Timers: absolute deadlines, one handler each (BSD t_timer[]). */
enum {
	US_TCPT_REXMT,		/* retransmission (RFC 6298) */
	US_TCPT_PERSIST,	/* zero-window probe (RFC 9293 3.8.6.1) */
	US_TCPT_KEEP,		/* keepalive, and connection-establishment limit */
	US_TCPT_2MSL,		/* TIME_WAIT, and FIN_WAIT_2 after close */
	US_TCPT_DELACK,		/* delayed ACK (RFC 1122 4.2.3.2) */
	US_TCPT_NTIMERS
};

/* Modular sequence-number comparisons (RFC 9293 3.4). */
#define SEQ_LT(a, b)	((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b)	((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)	((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b)	((int32_t)((a) - (b)) >= 0)
#define SEQ_MAX(a, b)	(SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b)	(SEQ_LT(a, b) ? (a) : (b))

/* Header flags. */
#define US_TH_FIN	0x01
#define US_TH_SYN	0x02
#define US_TH_RST	0x04
#define US_TH_PSH	0x08
#define US_TH_ACK	0x10
#define US_TH_URG	0x20
#define US_TH_ECE	0x40
#define US_TH_CWR	0x80

/* t_flags */
#define US_TF_ACKNOW	0x0001	/* send an ACK at the next output */
#define US_TF_DELACK	0x0002	/* an ACK is being delayed */
#define US_TF_NODELAY	0x0004	/* TCP_NODELAY: no Nagle */
#define US_TF_SENTFIN	0x0008	/* our FIN has been sent (snd_max covers it) */
#define US_TF_REQ_SCALE	0x0010	/* we offer window scaling */
#define US_TF_RCVD_SCALE	0x0020	/* the peer offered it too */
#define US_TF_REQ_TSTMP	0x0040	/* we offer timestamps */
#define US_TF_RCVD_TSTMP	0x0080	/* the peer offered them too */
#define US_TF_SACK_PERMIT	0x0100	/* both sides allow SACK */
#define US_TF_FASTRECOVERY	0x0200	/* in fast recovery */
#define US_TF_NEEDFIN	0x0400	/* the application closed: send FIN when data is out */
#define US_TF_KEEPALIVE	0x0800	/* SO_KEEPALIVE */
#define US_TF_RCVD_FIN	0x1000	/* the peer's FIN was accepted: end of stream */
#define US_TF_NOOPT	0x2000	/* send no options (tests, and SYN-retry fallback) */
#define US_TF_DETACHED	0x4000	/* the application let go: the tcb finishes on its own */
#define US_TF_WASFRECOV	0x8000	/* the last recovery ended; for undo checks */

/* The received segment, parsed once (CONVENTIONS 5). */
struct us_tcp_seg {
	uint32_t seq;		/* SEG.SEQ */
	uint32_t ack;		/* SEG.ACK */
	uint32_t wnd;		/* SEG.WND, unscaled */
	uint16_t up;		/* urgent pointer */
	uint8_t flags;		/* US_TH_* */
	uint32_t len;		/* SEG.LEN: data bytes (SYN and FIN not counted) */
	/* options */
	uint16_t mss;		/* MSS option, 0: none */
	int8_t wscale;		/* window scale, -1: none */
	uint8_t sack_ok;	/* SACK-permitted seen */
	uint8_t has_ts;		/* timestamps seen */
	uint8_t nsack;		/* SACK blocks */
	uint32_t tsval;		/* TSval */
	uint32_t tsecr;		/* TSecr */
	uint32_t sack[4][2];	/* SACK blocks: left, right */
};

/* Congestion control behind a small interface (RFC 5681 names). */
struct us_tcp_cc {
	const char *name;
	/* Connection start: initial cwnd and ssthresh set by the caller; private state reset. */
	void (*init)(struct us_tcb *tp);
	/* New data acknowledged outside recovery: grow cwnd. */
	void (*ack)(struct us_tcb *tp, uint32_t acked, uint64_t now);
	/* Loss detected by duplicate ACKs or SACK: set ssthresh (cwnd is set by the caller). */
	void (*loss)(struct us_tcb *tp, uint64_t now);
	/* Retransmission timeout. */
	void (*timeout)(struct us_tcb *tp, uint64_t now);
	/* Recovery ended. */
	void (*recovered)(struct us_tcb *tp, uint64_t now);
};

/* CUBIC's state (RFC 9438), kept in every tcb so modules can switch per socket. */
struct us_cubic {
	uint32_t epoch;		/* start of the current congestion avoidance epoch, ms of stack time; 0 none */
	uint32_t w_max;		/* cwnd before the last reduction, bytes */
	uint32_t w_est;		/* Reno-friendly estimate, bytes */
	uint32_t k_ms;		/* time to reach w_max, ms */
	uint32_t cwnd_epoch;	/* cwnd at epoch start */
};

/* The SACK scoreboard: ranges above snd_una the peer holds (RFC 6675). */
#define US_TCP_SACK_MAX 8
struct us_sackhole {
	uint32_t start;		/* first byte */
	uint32_t end;		/* one past the last */
};

/*
 * The SACK ranges of both directions, which a connection holds only while
 * there are holes (taken from the stack on the first, given back when the
 * last closes), so an idle connection does not carry them.
 */
struct us_tcp_sack {
	struct us_sackhole hole[US_TCP_SACK_MAX];	/* sender: ranges the peer holds, sorted */
	uint32_t rcv[4][2];	/* receiver: blocks to report, most recent first (RFC 2018 4) */
	struct us_tcp_sack *next;	/* in the stack's cache of free ones */
};

struct us_tcb {
	/* links */
	struct us_sock *so;	/* the socket */
	struct us_tcb *t_hnext;	/* next in the connection hash chain */
	struct us_sock *t_listener;	/* the listener for a connection not yet accepted */
	struct us_sock *t_qnext;	/* next in the listener's queue */
	const struct us_tcp_cc *cc;	/* congestion control module */
	struct us_tcp_sack *sk;	/* SACK ranges (sk->hole: t_nsack, sk->rcv: rcv_nsack); NULL: none */
	/* queues */
	struct us_pkt *snd_head;	/* send buffer from snd_una: chain of payload buffers */
	struct us_pkt *snd_tail;	/* its last buffer */
	struct us_pkt *rcv_head;	/* in-order data not yet read, by qnext */
	struct us_pkt *rcv_tail;	/* its last buffer */
	struct us_pkt *ooo;	/* out-of-order segments, sorted by sequence (pkt->time) */
	/* timers */
	uint32_t t_timer[US_TCPT_NTIMERS];	/* deadlines, ms of stack time (serial); 0: off */
	struct us_cubic cubic;	/* CUBIC's state */
	uint32_t snd_cc;	/* bytes in the send buffer */
	uint32_t snd_off;	/* bytes of snd_head already acknowledged */
	uint32_t rcv_cc;	/* bytes in rcv queue */
	uint32_t ooo_cc;	/* out-of-order bytes held */
	uint32_t t_heap;	/* index in the stack's timer heap; UINT32_MAX: absent */
	/* send sequence space (RFC 9293 3.3.1) */
	uint32_t iss;		/* initial send sequence number */
	uint32_t snd_una;	/* oldest unacknowledged */
	uint32_t snd_nxt;	/* next to send */
	uint32_t snd_max;	/* highest sent */
	uint32_t snd_wnd;	/* peer's window, scaled */
	uint32_t snd_wl1;	/* SEG.SEQ of the last window update */
	uint32_t snd_wl2;	/* SEG.ACK of the last window update */
	uint32_t max_sndwnd;	/* largest window the peer offered (receiver SWS, RFC 9293 3.8.6.2.1) */
	/* receive sequence space */
	uint32_t irs;		/* initial receive sequence number */
	uint32_t rcv_nxt;	/* next expected */
	uint32_t rcv_adv;	/* right edge we advertised */
	uint32_t rcv_up;	/* urgent pointer */
	uint32_t last_ack_sent;	/* rcv_nxt in our last ACK (RFC 7323 4.3) */
	/* timestamps (RFC 7323) */
	uint32_t ts_recent;	/* TSval to echo */
	uint32_t ts_recent_age;	/* when ts_recent was set, seconds of stack time */
	uint32_t ts_offset;	/* random per-connection offset of our TSval */
	/* round-trip time (RFC 6298), microseconds */
	uint32_t t_srtt;	/* smoothed RTT, us; 0: no sample yet */
	uint32_t t_rttvar;	/* RTT variance, us */
	uint32_t t_rto;		/* retransmission timeout, us */
	uint32_t t_rtseq;	/* sequence being timed (no timestamps) */
	uint32_t t_rttime;	/* when it was sent, us of stack time (low bits); 0: none timed */
	/* congestion control (RFC 5681, 6582, 6675) */
	uint32_t snd_cwnd;	/* congestion window, bytes */
	uint32_t snd_ssthresh;	/* slow-start threshold, bytes */
	uint32_t snd_recover;	/* highest sent when recovery began (NewReno "recover") */
	uint32_t t_bytes_acked;	/* appropriate byte counting in avoidance (RFC 3465) */
	uint32_t t_sack_hi;	/* HighRxt: highest byte retransmitted in this SACK recovery */
	uint32_t t_rxt_mark;	/* snd_max when the latest retransmission went */
	uint32_t t_oow_ms;	/* ms of stack time of the last ACK to a bare out-of-window ACK */
	uint32_t t_rcvtime_s;	/* last segment received, seconds of stack time */
	uint16_t t_flags;	/* US_TF_* */
	uint16_t t_maxseg;	/* MSS we send: min(peer's MSS, our MTU) */
	uint16_t t_ourmss;	/* MSS we announce */
	uint16_t ooo_n;		/* out-of-order segments held */
	/* keepalive settings (seconds; Linux's limits fit) */
	uint16_t t_keepidle;	/* idle before the first probe */
	uint16_t t_keepintvl;	/* between probes */
	uint8_t t_keepmax;	/* probes before giving up */
	uint8_t t_keepcnt;	/* keepalive probes unanswered */
	uint8_t state;		/* US_TCPS_* */
	uint8_t t_rxtshift;	/* retransmissions of the current segment */
	uint8_t t_dupacks;	/* consecutive duplicate ACKs */
	uint8_t snd_wscale;	/* peer's window shift (we shift SEG.WND by it) */
	uint8_t rcv_wscale;	/* our window shift */
	uint8_t t_nsack;	/* ranges in the scoreboard (sk->hole) */
	uint8_t rcv_nsack;	/* out-of-order blocks to report (sk->rcv) */
	uint8_t t_synretries;	/* SYN (or SYN-ACK) transmissions */
	uint8_t t_softerror;	/* ICMP error kept for a timeout report (errno) */
	uint8_t t_sndwait;	/* a send found the pool at its reserve: not writable until it refills */
};

/* Stack-wide TCP state. */
struct us_tcp {
	struct us_tcb **hash;	/* connections by 4-tuple */
	uint32_t nhash;		/* buckets (power of two) */
	uint32_t nconn;		/* connections in the hash */
	uint32_t ntcb;		/* control blocks allocated, in the hash or not */
	struct us_sock **lhash;	/* listeners by port */
	uint32_t nlhash;	/* buckets */
	struct us_tcb **heap;	/* timer heap: earliest deadline first */
	uint32_t nheap;		/* entries */
	uint32_t heapcap;	/* capacity */
	uint8_t isn_key[16];	/* RFC 6528 secret */
	uint8_t ts_key[16];	/* timestamp offsets' secret: the same for every process of a boot */
	uint8_t cookie_key[16];	/* SYN cookie secret */
	uint16_t next_eph;	/* next ephemeral port to try */
	const struct us_tcp_cc *default_cc;	/* for new connections */
	struct us_tcp_sack *sk_free;	/* SACK arrays given back, for reuse */
	uint32_t challenge;	/* challenge ACKs sent this second, all connections (RFC 5961 7) */
	uint32_t challenge_at;	/* that second */
	uint32_t sk_nfree;	/* how many */
	uint8_t trim;		/* the tables shrank: give memory back once the last connection goes */
	uint8_t sndwait;	/* some tcb has t_sndwait: us_tcp_nobuf_wake has work */
};

extern const struct us_tcp_cc us_tcp_newreno;
extern const struct us_tcp_cc us_tcp_cubic;

/*
 * A connection's addresses and ports, either family: what lookups, the
 * hash, the ISN and cookies, and segments sent outside a connection use.
 */
struct us_tcp_ends {
	uint8_t v6;		/* laddr6/faddr6 apply; else laddr/faddr */
	uint16_t lport;		/* host order */
	uint16_t fport;
	uint32_t laddr;		/* IPv4, host order */
	uint32_t faddr;
	struct us_in6 laddr6;	/* IPv6 */
	struct us_in6 faddr6;
};

/* tcp_subr.c */
/* The ends of a socket's connection. */
void us_tcp_ends_sock(const struct us_sock *so, struct us_tcp_ends *e);
/* The ends a received segment belongs to, seen from our side. */
void us_tcp_ends_pkt(const struct us_pkt *pkt, uint16_t dport, uint16_t sport,
		     struct us_tcp_ends *e);
/* The MSS we announce to the socket's peer: the (path) MTU less the headers. */
uint16_t us_tcp_our_mss(const struct us_stack *st, const struct us_sock *so);
/* The words a cookie's keyed hash takes for e (addresses and ports); returns how many (<= 5). */
uint32_t us_tcp_cookie_words(const struct us_tcp_ends *e, uint64_t w[5]);
int us_tcp_init(struct us_stack *st);
void us_tcp_fini(struct us_stack *st);
struct us_tcb *us_tcb_new(struct us_stack *st, struct us_sock *so);
/* Frees the tcb and its queues; unlinks it from the tables. */
void us_tcb_free(struct us_stack *st, struct us_tcb *tp);
/* Frees the tcb and drops its reference on the socket (which the application closed). */
void us_tcp_orphan_free(struct us_stack *st, struct us_tcb *tp);
uint64_t us_siphash(const uint8_t key[16], const uint64_t *words, int n);
/* RFC 7323 5.4: the TSval offset for a pair of hosts. */
uint32_t us_tcp_ts_offset(const struct us_stack *st, const struct us_tcp_ends *e);
/* Stack time in microseconds, never 0 (0 means "not timing"); wraps after 71 minutes. */
uint32_t us_tcp_usnow(const struct us_stack *st);
void us_tcp_set_state(struct us_stack *st, struct us_tcb *tp, int state);
int us_tcp_hash_insert(struct us_stack *st, struct us_tcb *tp);
void us_tcp_hash_remove(struct us_stack *st, struct us_tcb *tp);
struct us_tcb *us_tcp_lookup(struct us_stack *st, const struct us_tcp_ends *e);
/* The listener for e's local end: one bound to its address beats a wildcard. */
struct us_sock *us_tcp_lookup_listener(struct us_stack *st, const struct us_tcp_ends *e);
/* Connections still exchanging segments (not TIME_WAIT or CLOSED). */
uint32_t us_tcp_active(const struct us_stack *st);
uint32_t us_tcp_iss(struct us_stack *st, const struct us_tcp_ends *e);
/*
 * Arms (when > 0, ns of stack time) or stops (0) a timer and keeps the heap
 * in order.  Deadlines are kept in whole milliseconds, rounded up: a timer
 * never fires early, and at most 1 ms late.
 */
void us_tcp_timer_set(struct us_stack *st, struct us_tcb *tp, int which, uint64_t when);
/* A timer's deadline in ns of stack time; 0: off. */
uint64_t us_tcp_timer_when(const struct us_stack *st, const struct us_tcb *tp, int which);
uint64_t us_tcp_next_deadline(const struct us_stack *st);
/* The connection failed or was reset: report err to the application, free when detached. */
void us_tcp_drop(struct us_stack *st, struct us_tcb *tp, int err);
/* Our timestamp clock: milliseconds, offset per connection. */
uint32_t us_tcp_ts_now(const struct us_stack *st, const struct us_tcb *tp);
/* Parses TCP options; returns 0 or -1 when malformed. */
int us_tcp_opt_parse(const uint8_t *opt, uint32_t len, int syn, struct us_tcp_seg *seg);
/* The window we can offer now, unscaled bytes. */
uint32_t us_tcp_rcv_space(const struct us_tcb *tp);
/* Updates the RTO from one RTT sample (us). */
void us_tcp_rtt_update(struct us_tcb *tp, uint32_t rtt_us);
void us_tcp_set_cc(struct us_tcb *tp, const struct us_tcp_cc *cc);
const struct us_tcp_cc *us_tcp_cc_find(const char *name);

/* tcp_out.c */
/* Sends whatever the state, windows and queues allow.  Returns 0 or -E. */
int us_tcp_output(struct us_stack *st, struct us_tcb *tp);
/* Sends a bare segment outside any connection (RST, challenge ACK, SYN-ACK for cookies). */
void us_tcp_respond(struct us_stack *st, struct us_tcb *tp, const struct us_tcp_ends *e,
		    uint32_t seq, uint32_t ack, uint8_t flags);
/* us_tcp_respond to the peer of so. */
void us_tcp_respond_sock(struct us_stack *st, struct us_tcb *tp, const struct us_sock *so,
			 uint32_t seq, uint32_t ack, uint8_t flags);
/* Sends a bare ACK now (header prediction's every-second-segment ACK). */
void us_tcp_ack_now(struct us_stack *st, struct us_tcb *tp);
/* Sends a keepalive or zero-window probe. */
void us_tcp_probe(struct us_stack *st, struct us_tcb *tp, int keepalive);

/* tcp_out.c: one retransmission of [seq, seq + len) (with the FIN if it ends there). */
int us_tcp_rexmit(struct us_stack *st, struct us_tcb *tp, uint32_t seq, uint32_t len);

/* tcp_sack.c (RFC 6675) */
/* Merges the peer's SACK blocks into the scoreboard; forgets what snd_una passed. */
void us_tcp_sack_update(struct us_stack *st, struct us_tcb *tp, const struct us_tcp_seg *seg);
/* The SACK arrays for a new range: tp->sk, taken if needed; NULL when none is to be had. */
struct us_tcp_sack *us_tcp_sack_get(struct us_stack *st, struct us_tcb *tp);
/* Gives the arrays back once neither direction has a range (force: always). */
void us_tcp_sack_put(struct us_stack *st, struct us_tcb *tp, int force);
/* Frees the stack's cache of SACK arrays. */
void us_tcp_sack_fini(struct us_stack *st);
/* Bytes the scoreboard says the peer holds above snd_una. */
uint32_t us_tcp_sacked(const struct us_tcb *tp);
/* Un-SACKed bytes in [snd_una, x). */
uint32_t us_tcp_unsacked_below(const struct us_tcb *tp, uint32_t x);
/* IsLost(seq). */
int us_tcp_sack_lost(const struct us_tcb *tp, uint32_t seq);
/* SetPipe: bytes still in the network, by the scoreboard. */
uint32_t us_tcp_pipe(const struct us_tcb *tp);
/* NextSeg rule 1 (rule3 = 0) or rule 3 (rule3 = 1): a hole to retransmit.  1 or 0. */
int us_tcp_sack_nextseg(const struct us_tcb *tp, int rule3, uint32_t *seq, uint32_t *len);
/* Retransmissions found lost: rewinds HighRxt so they go again.  1 if so. */
int us_tcp_sack_rexmt_lost(struct us_tcb *tp);
/* Moves snd_nxt past SACKed ranges; returns the bytes until the next one (UINT32_MAX: none). */
uint32_t us_tcp_sack_skip(struct us_tcb *tp);

/* tcp_in.c */
/* Handles one segment (data at the TCP header, chain); consumes pkt. */
void us_tcp_input(struct us_stack *st, struct us_pkt *pkt);
/* The pool ran short on receive: frees every out-of-order segment held, of every connection. */
void us_tcp_drain(struct us_stack *st);
/* An ICMP error about a segment we sent.  Returns 1 if a connection heard it. */
int us_tcp_ctlinput(struct us_stack *st, int err, uint32_t faddr, uint16_t lport,
		    uint16_t fport, uint32_t seq, uint16_t mtu);

/*
 * An ICMPv6 error about a segment we sent from laddr to faddr (mtu: the
 * path MTU after a Packet Too Big).  Returns 1 if a connection heard it.
 */
int us_tcp_ctlinput6(struct us_stack *st, int err, const struct us_in6 *laddr,
		     const struct us_in6 *faddr, uint16_t lport, uint16_t fport, uint32_t seq,
		     uint32_t mtu);

/* tcp_syncookie.c (RFC 4987 3.6) */
/* The ISN for a SYN-ACK that keeps no state. */
uint32_t us_tcp_cookie_make(const struct us_stack *st, const struct us_tcp_ends *e, uint32_t isn,
			    uint16_t mss, int wscale, int sack, int ts);
/* Checks the cookie an ACK returns (ACK - 1); fills mss/wscale/sack_ok/has_ts.  0 or -1. */
int us_tcp_cookie_check(const struct us_stack *st, const struct us_tcp_ends *e, uint32_t isn,
			uint32_t cookie, struct us_tcp_seg *opts);

/* tcp_timer.c */
void us_tcp_timers(struct us_stack *st, uint64_t now);

/* tcp_usr.c: the calls the socket layer makes; none blocks (-EAGAIN instead). */
int us_tcp_attach(struct us_stack *st, struct us_sock *so);
int us_tcp_bind(struct us_stack *st, struct us_sock *so, uint32_t addr, uint16_t port);
/* The same for an end of either family. */
int us_tcp_bind_ep(struct us_stack *st, struct us_sock *so, const struct us_ep *ep);
int us_tcp_listen(struct us_stack *st, struct us_sock *so, int backlog);
/* Takes a finished connection off the listener's queue: returns it or NULL (-EAGAIN). */
struct us_sock *us_tcp_accept(struct us_stack *st, struct us_sock *so, int *err);
/* Starts (or checks on) an active open: 0 established, -EINPROGRESS, -EALREADY, or the error. */
int us_tcp_connect(struct us_stack *st, struct us_sock *so, uint32_t faddr, uint16_t fport);
/* The same for a peer of either family (a v4 one on an AF_INET6 socket makes it speak IPv4). */
int us_tcp_connect_ep(struct us_stack *st, struct us_sock *so, const struct us_ep *ep);
/*
 * Queues up to len bytes; returns bytes queued, -EAGAIN when the send
 * buffer is full or the pool at its reserve (us_pool_reserve), or -EPIPE etc.
 */
ssize_t us_tcp_send(struct us_stack *st, struct us_sock *so, const void *buf, size_t len,
		    int more);
/* Copies up to len bytes in order; 0 at end of stream; -EAGAIN when none yet. */
ssize_t us_tcp_recv(struct us_stack *st, struct us_sock *so, void *buf, size_t len, int peek);
/*
 * The first received bytes in place: *piece is the buffer holding them (in
 * the first queued segment); returns their count, or what us_tcp_recv
 * would (0 at end of stream, -EAGAIN, the error).
 */
ssize_t us_tcp_borrow(struct us_stack *st, struct us_sock *so, struct us_pkt **piece);
/* Drops the first n received bytes, which the application has (copied: 1 if by a copy). */
void us_tcp_consume(struct us_stack *st, struct us_sock *so, uint32_t n, int copied);
int us_tcp_shutdown(struct us_stack *st, struct us_sock *so, int how);
/* The application closed: graceful close, or RST with unread data / zero linger. */
void us_tcp_close(struct us_stack *st, struct us_sock *so);
/* Drops a connection the application never saw (half-open, unaccepted) and its socket. */
void us_tcp_discard(struct us_stack *st, struct us_sock *so);
/* Reno's window growth, shared by the congestion modules. */
void us_tcp_reno_ack(struct us_tcb *tp, uint32_t acked);
/* Bytes ready to read (for poll and FIONREAD). */
uint32_t us_tcp_readable(const struct us_sock *so);
/* Room in the send buffer; 0 while a send waits for the pool to refill. */
uint32_t us_tcp_writable(const struct us_sock *so);
/*
 * Once the pool has refilled (its reserve and as much again free), wakes
 * the sockets whose sends it refused, so blocked and polling writers go on.
 */
void us_tcp_nobuf_wake(struct us_stack *st);

#endif /* US_TCP_H */
