/*
 * tcp_in.c - TCP input: checks a segment once (length, offset, checksum,
 * options), finds its connection (or listener), and processes it in the
 * order of RFC 9293 3.10.7: sequence number, RST, SYN, ACK, URG, data, FIN.
 * RFC 5961 hardens RST, SYN and ACK handling; RFC 7323 adds PAWS and RTT
 * from timestamps; RFC 5681/6582 (with the congestion module) drive loss
 * recovery; RFC 2018 SACK blocks are collected for the sender's scoreboard.
 */
#include <errno.h>
#include <string.h>

#include "usock.h"
#include "../core/stack.h"
#include "../ip/ip4.h"
#include "../ip/ip6.h"
#include "../sock/sock.h"
#include "../wire/wire.h"
#include "tcp.h"

#define TCP_DELACK_NS		40000000ull	/* Linux's delayed-ACK time; RFC 1122 allows 500 ms */
#define TCP_2MSL_NS		(60ull * 1000000000ull)	/* TIME_WAIT: 2 x 30 s MSL, as Linux */
#define TCP_FIN2_NS		(60ull * 1000000000ull)	/* FIN_WAIT_2 of a closed socket */
#define TCP_OOO_MAX		256	/* out-of-order segments held */
#define TCP_CHALLENGE_PER_S	100	/* RFC 5961 7: challenge ACKs per second */
#define TCP_OOW_ACK_MS		500	/* between ACKs to bare out-of-window ACKs (Linux) */
#define TCP_PAWS_IDLE_S		(24u * 24 * 3600)	/* RFC 7323 5.5: 24 days */

/* --- chain helpers: the payload of a segment may span buffers (IP fragments) --- */

/* Drops n bytes from the front of the chain (buffers may become empty). */
static void
chain_trim_front(struct us_pkt *p, uint32_t n)
{
	for (; p != NULL && n > 0; p = p->next) {
		uint32_t k = p->len < n ? p->len : n;

		us_pkt_adj(p, k);
		n -= k;
	}
}

/* Keeps only the first n bytes of the chain. */
static void
chain_trim_back(struct us_pkt *p, uint32_t n)
{
	for (; p != NULL; p = p->next) {
		if (p->len > n)
			p->len = n;
		n -= p->len;
	}
}

/* --- RFC 5961 7: challenge ACKs, rate limited --- */

static void
challenge_ack(struct us_stack *st, struct us_tcb *tp)
{
	uint32_t sec = (uint32_t)(st->now / 1000000000ull);

	/* One allowance for the whole stack, as Linux keeps, so many connections cannot multiply it. */
	if (st->tcp.challenge_at != sec) {
		st->tcp.challenge_at = sec;
		st->tcp.challenge = 0;
	}
	if (st->tcp.challenge >= TCP_CHALLENGE_PER_S) {
		st->stats->tcp.tx_challenge_limited++;
		return;
	}
	st->tcp.challenge++;
	st->stats->tcp.tx_challenge++;
	tp->t_flags |= US_TF_ACKNOW;
	us_tcp_output(st, tp);
}

/*
 * The duplicate ACK that answers an unacceptable segment (RFC 9293
 * 3.10.7.4, PAWS, an ACK of data never sent).  A bare ACK out of window
 * gets at most one answer per TCP_OOW_ACK_NS, as Linux does: two stacks
 * that disagree about the window would otherwise answer each other's
 * ACKs forever, and a forged stream would get one ACK each.  Data, SYN
 * and FIN are always answered: they are retransmissions whose ACK was
 * lost, or zero-window probes.
 */
static void
oow_ack(struct us_stack *st, struct us_tcb *tp, const struct us_tcp_seg *seg)
{
	uint32_t ms = (uint32_t)(st->now / 1000000ull);

	if (seg->len == 0 && !(seg->flags & (US_TH_SYN | US_TH_FIN))) {
		if (tp->t_oow_ms != 0 && ms - tp->t_oow_ms < TCP_OOW_ACK_MS) {
			st->stats->tcp.tx_oow_limited++;
			return;
		}
		tp->t_oow_ms = ms ? ms : 1;
	}
	tp->t_flags |= US_TF_ACKNOW;
	us_tcp_output(st, tp);
}

/* A reset for a segment that belongs to no connection (RFC 9293 3.10.7.1). */
static void
reset_for(struct us_stack *st, const struct us_pkt *pkt, uint16_t sport, uint16_t dport,
	  const struct us_tcp_seg *seg)
{
	struct us_tcp_ends e;

	if (seg->flags & US_TH_RST)
		return;
	us_tcp_ends_pkt(pkt, dport, sport, &e);
	if (seg->flags & US_TH_ACK)
		us_tcp_respond(st, NULL, &e, seg->ack, 0, US_TH_RST);
	else
		us_tcp_respond(st, NULL, &e, 0,
			       seg->seq + seg->len + ((seg->flags & US_TH_SYN) ? 1 : 0) +
				       ((seg->flags & US_TH_FIN) ? 1 : 0),
			       US_TH_RST | US_TH_ACK);
}

/* Options of a SYN (or SYN-ACK) decide what the connection uses (RFC 7323, 2018). */
static void
syn_options(struct us_stack *st, struct us_tcb *tp, const struct us_tcp_seg *seg)
{
	/* RFC 9293 3.7.1 and RFC 8200 5: the MSS to assume when the peer states none. */
	uint32_t mss = seg->mss != 0			      ? seg->mss
		       : tp->so != NULL && (tp->so->flags & US_SO_V6) ? 1220
								      : 536;

	(void)st;
	if (seg->wscale >= 0 && (tp->t_flags & US_TF_REQ_SCALE)) {
		tp->t_flags |= US_TF_RCVD_SCALE;
		tp->snd_wscale = (uint8_t)seg->wscale;
	} else {
		tp->t_flags &= ~(US_TF_REQ_SCALE | US_TF_RCVD_SCALE);
		tp->snd_wscale = 0;
		tp->rcv_wscale = 0;
	}
	if (seg->has_ts && (tp->t_flags & US_TF_REQ_TSTMP)) {
		tp->t_flags |= US_TF_RCVD_TSTMP;
		tp->ts_recent = seg->tsval;
		tp->ts_recent_age = (uint32_t)(st->now / 1000000000ull);
	} else {
		tp->t_flags &= ~(US_TF_REQ_TSTMP | US_TF_RCVD_TSTMP);
	}
	if (seg->sack_ok)
		tp->t_flags |= US_TF_SACK_PERMIT;
	else
		tp->t_flags &= ~US_TF_SACK_PERMIT;
	if (mss > tp->t_ourmss)
		mss = tp->t_ourmss;
	if (mss < 64)
		mss = 64;	/* a silly MSS would make a segment per byte */
	tp->t_maxseg = (uint16_t)mss;
	/* Timestamps ride in every segment: leave room for them. */
	if (tp->t_flags & US_TF_RCVD_TSTMP)
		tp->t_maxseg -= 12;
	/* RFC 5681 3.1 / RFC 6928: initial window of 10 segments. */
	tp->snd_cwnd = 10u * tp->t_maxseg;
	us_tcp_set_cc(tp, tp->cc);
}

/* Our window scale: the smallest shift that lets the buffer be advertised. */
static uint8_t
our_wscale(uint32_t rcvbuf)
{
	uint8_t ws = 0;

	while (ws < 14 && (65535u << ws) < rcvbuf)
		ws++;
	return ws;
}

/* --- passive open --- */

static struct us_sock *conn_sock(struct us_stack *st, struct us_sock *ls,
				 const struct us_pkt *pkt, uint16_t sport, uint16_t dport, int *err);
static void send_cookie(struct us_stack *st, struct us_sock *ls, struct us_pkt *pkt,
			uint16_t sport, uint16_t dport, const struct us_tcp_seg *seg);
static int to_accept_queue(struct us_stack *st, struct us_tcb *tp);
static void do_segment(struct us_stack *st, struct us_tcb *tp, struct us_pkt *pkt,
		       struct us_tcp_seg *seg);

static void
passive_open(struct us_stack *st, struct us_sock *ls, struct us_pkt *pkt, uint16_t sport,
	     uint16_t dport, const struct us_tcp_seg *seg)
{
	struct us_sock *so;
	struct us_tcb *tp;
	struct us_tcp_ends e;
	int err = 0;
	uint32_t cap = ls->backlog > 0 ? (uint32_t)ls->backlog : 1;

	/* The seed: once the queue of not-yet-accepted connections is full, refuse. */
	if (ls->acc_len >= cap) {
		st->stats->tcp.listen_overflow++;
		reset_for(st, pkt, sport, dport, seg);
		return;
	}
	/*
	 * Too many half-open connections (a SYN flood, most likely): answer
	 * with a SYN cookie and keep no state, so real clients still get in.
	 */
	if (ls->syn_len >= 2 * cap + 16 ||
	    (so = conn_sock(st, ls, pkt, sport, dport, &err)) == NULL) {
		send_cookie(st, ls, pkt, sport, dport, seg);
		return;
	}
	tp = so->tcb;
	tp->t_listener = ls;
	ls->syn_len++;
	tp->rcv_wscale = our_wscale(so->rcvbuf);
	syn_options(st, tp, seg);
	tp->irs = seg->seq;
	tp->rcv_nxt = seg->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	us_tcp_ends_sock(so, &e);
	tp->iss = us_tcp_iss(st, &e);
	tp->ts_offset = us_tcp_ts_offset(st, &e);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	/*
	 * RFC 6582 3.2 step 1: "recover" starts at the ISS.  Left at 0 it sits
	 * half the sequence space away for half of all ISSs, and the stale-
	 * recovery check then refuses every fast retransmit.
	 */
	tp->snd_recover = tp->iss;
	tp->snd_wnd = seg->wnd;
	tp->max_sndwnd = seg->wnd;
	tp->snd_wl1 = seg->seq;
	tp->t_rcvtime_s = (uint32_t)(st->now / 1000000000ull);
	us_tcp_set_state(st, tp, US_TCPS_SYN_RECEIVED);
	st->stats->tcp.conn_accepted++;
	if (us_tcp_hash_insert(st, tp) != 0) {
		ls->syn_len--;
		us_tcp_discard(st, so);
		return;
	}
	tp->t_flags |= US_TF_ACKNOW;
	us_tcp_output(st, tp);
}

/*
 * A socket for a new connection of listener ls, with the listener's
 * options; NULL when the socket table is full.
 */
static struct us_sock *
conn_sock(struct us_stack *st, struct us_sock *ls, const struct us_pkt *pkt, uint16_t sport,
	  uint16_t dport, int *err)
{
	struct us_sock *so;
	struct us_tcb *tp;

	/* The listener's family: an AF_INET6 listener names IPv4 peers v4-mapped. */
	so = us_sock_create(st, ls->family, USOCK_SOCK_STREAM, USOCK_IPPROTO_TCP, err);
	if (so == NULL)
		return NULL;
	if (pkt->flags & US_PKT_IP6) {
		so->laddr6 = pkt->ip6_dst;
		so->faddr6 = pkt->ip6_src;
	} else {
		so->flags &= ~US_SO_V6;
		so->laddr = pkt->ip_dst;
		so->faddr = pkt->ip_src;
	}
	so->lport = dport;
	so->fport = sport;
	so->flags |= US_SO_BOUND | US_SO_CONNECTED |
		     (ls->flags & (US_SO_REUSEADDR | US_SO_V6ONLY));
	so->tcb->t_ourmss = us_tcp_our_mss(st, so);
	so->rcvbuf = ls->rcvbuf;
	so->sndbuf = ls->sndbuf;
	so->ttl = ls->ttl;
	so->hlim = ls->hlim;
	so->tos = ls->tos;
	so->linger = ls->linger;
	/*
	 * us_sock_create has attached the tcb, with its reference on the
	 * socket; a second attach would orphan that tcb and keep the socket
	 * alive forever.
	 */
	tp = so->tcb;
	if (ls->tcb != NULL) {
		tp->t_flags |= ls->tcb->t_flags & (US_TF_NODELAY | US_TF_KEEPALIVE);
		tp->t_keepidle = ls->tcb->t_keepidle;
		tp->t_keepintvl = ls->tcb->t_keepintvl;
		tp->t_keepmax = ls->tcb->t_keepmax;
		tp->cc = ls->tcb->cc;
	}
	return so;
}

/*
 * RFC 4987 3.6: a SYN-ACK whose sequence number is a cookie, built from a
 * control block on the C stack that is never linked anywhere.
 */
static void
send_cookie(struct us_stack *st, struct us_sock *ls, struct us_pkt *pkt, uint16_t sport,
	    uint16_t dport, const struct us_tcp_seg *seg)
{
	struct us_sock so;
	struct us_tcb tp;
	struct us_tcp_ends e;

	memset(&so, 0, sizeof(so));
	memset(&tp, 0, sizeof(tp));
	us_tcp_ends_pkt(pkt, dport, sport, &e);
	if (e.v6) {
		so.flags = US_SO_V6;
		so.laddr6 = e.laddr6;
		so.faddr6 = e.faddr6;
	} else {
		so.laddr = e.laddr;
		so.faddr = e.faddr;
	}
	so.lport = dport;
	so.fport = sport;
	so.rcvbuf = ls->rcvbuf;
	so.ttl = ls->ttl;
	so.hlim = ls->hlim;
	so.tos = ls->tos;
	tp.so = &so;
	tp.t_heap = UINT32_MAX;
	tp.t_ourmss = us_tcp_our_mss(st, &so);
	tp.t_flags = US_TF_REQ_SCALE | US_TF_REQ_TSTMP;
	tp.rcv_wscale = our_wscale(ls->rcvbuf);
	tp.ts_offset = us_tcp_ts_offset(st, &e);
	tp.cc = &us_tcp_newreno;
	syn_options(st, &tp, seg);
	tp.irs = seg->seq;
	tp.rcv_nxt = seg->seq + 1;
	tp.rcv_adv = tp.rcv_nxt;
	tp.iss = us_tcp_cookie_make(st, &e, seg->seq, seg->mss != 0 ? seg->mss : e.v6 ? 1220 : 536,
				    (tp.t_flags & US_TF_RCVD_SCALE) ? seg->wscale : -1,
				    (tp.t_flags & US_TF_SACK_PERMIT) != 0,
				    (tp.t_flags & US_TF_RCVD_TSTMP) != 0);
	tp.snd_una = tp.snd_nxt = tp.snd_max = tp.iss;
	tp.state = US_TCPS_SYN_RECEIVED;
	/* A running timer stops output from arming one on this unlinked block. */
	tp.t_timer[US_TCPT_REXMT] = 1;
	st->stats->tcp.syncookie_sent++;
	us_tcp_output(st, &tp);
}

/*
 * The ACK that completes a cookie handshake: rebuild the connection from
 * the cookie and queue it for accept.  Consumes pkt when it returns 1.
 */
static int
cookie_open(struct us_stack *st, struct us_sock *ls, struct us_pkt *pkt, uint16_t sport,
	    uint16_t dport, struct us_tcp_seg *seg)
{
	struct us_tcp_seg opts;
	struct us_tcp_ends e;
	struct us_sock *so;
	struct us_tcb *tp;
	uint32_t cap = ls->backlog > 0 ? (uint32_t)ls->backlog : 1;
	int err = 0;

	us_tcp_ends_pkt(pkt, dport, sport, &e);
	if (us_tcp_cookie_check(st, &e, seg->seq - 1, seg->ack - 1, &opts) != 0) {
		st->stats->tcp.syncookie_bad++;
		return 0;
	}
	if (ls->acc_len >= cap || (so = conn_sock(st, ls, pkt, sport, dport, &err)) == NULL) {
		st->stats->tcp.listen_overflow++;
		return 0;
	}
	tp = so->tcb;
	tp->rcv_wscale = our_wscale(so->rcvbuf);
	/* Our timestamps continue the cookie SYN-ACK's clock, or the peer's PAWS drops us. */
	tp->ts_offset = us_tcp_ts_offset(st, &e);
	opts.tsval = seg->tsval;
	opts.has_ts = opts.has_ts && seg->has_ts;
	syn_options(st, tp, &opts);
	tp->irs = seg->seq - 1;
	tp->rcv_nxt = seg->seq;
	/* The window the cookie SYN-ACK offered (unscaled, as in any SYN). */
	tp->rcv_adv = tp->rcv_nxt + (us_tcp_rcv_space(tp) < 65535 ? us_tcp_rcv_space(tp) : 65535);
	tp->iss = seg->ack - 1;
	tp->snd_una = tp->snd_nxt = tp->snd_max = seg->ack;
	tp->snd_recover = tp->iss;
	tp->snd_wnd = seg->wnd << tp->snd_wscale;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = seg->seq;
	tp->snd_wl2 = seg->ack;
	tp->t_rcvtime_s = (uint32_t)(st->now / 1000000000ull);
	if (us_tcp_hash_insert(st, tp) != 0) {
		us_tcp_discard(st, so);
		return 0;
	}
	us_tcp_set_state(st, tp, US_TCPS_ESTABLISHED);
	st->stats->tcp.conn_accepted++;
	st->stats->tcp.syncookie_ok++;
	tp->t_listener = ls;
	ls->syn_len++;	/* to_accept_queue takes it back */
	if (to_accept_queue(st, tp) != 0) {
		us_tcp_discard(st, so);
		return 0;
	}
	/* The ACK may carry data: let the state machine take it from here. */
	do_segment(st, tp, pkt, seg);
	return 1;
}

/* A connection of a listener finished its handshake: queue it for accept. */
static int
to_accept_queue(struct us_stack *st, struct us_tcb *tp)
{
	struct us_sock *ls = tp->t_listener, *so = tp->so;
	uint32_t cap;

	if (ls == NULL)
		return 0;
	ls->syn_len--;
	cap = ls->backlog > 0 ? (uint32_t)ls->backlog : 1;
	if (ls->acc_len >= cap) {
		st->stats->tcp.listen_overflow++;
		tp->t_listener = NULL;
		return -1;
	}
	tp->t_qnext = NULL;
	if (ls->acc_tail != NULL)
		ls->acc_tail->tcb->t_qnext = so;
	else
		ls->acc_head = so;
	ls->acc_tail = so;
	ls->acc_len++;
	us_sock_wakeup(st, ls);
	return 0;
}

/* --- ACK processing helpers --- */

/* Removes acked bytes from the front of the send buffer. */
static void
sndbuf_drop(struct us_tcb *tp, uint32_t n)
{
	if (n > tp->snd_cc)
		n = tp->snd_cc;
	tp->snd_cc -= n;
	tp->snd_off += n;
	while (tp->snd_head != NULL && tp->snd_off >= tp->snd_head->len) {
		struct us_pkt *p = tp->snd_head;

		tp->snd_off -= p->len;
		tp->snd_head = p->next;
		p->next = NULL;
		us_pkt_free(p);
	}
	if (tp->snd_head == NULL) {
		tp->snd_tail = NULL;
		tp->snd_off = 0;
	}
}

/*
 * Fast retransmit (RFC 5681 3.2, RFC 6582 3.2): snd_una's segment goes once
 * at once.  With SACK, RFC 6675 5 then: cwnd = ssthresh, and whatever else
 * goes is what cwnd - pipe allows; without, NewReno's cwnd = ssthresh +
 * 3 SMSS, inflated by each further duplicate.
 */
static void
enter_recovery(struct us_stack *st, struct us_tcb *tp)
{
	uint32_t len = tp->snd_max - tp->snd_una;

	st->stats->tcp.fast_rexmt++;
	tp->cc->loss(tp, st->now);
	tp->snd_recover = tp->snd_max;
	tp->t_flags |= US_TF_FASTRECOVERY;
	tp->t_sack_hi = tp->snd_una;
	tp->t_rttime = 0;	/* Karn: no sample across a retransmission */
	us_tcp_timer_set(st, tp, US_TCPT_REXMT,
			 st->now + ((uint64_t)tp->t_rto << tp->t_rxtshift) * 1000);
	if (tp->t_nsack > 0 && SEQ_LT(tp->sk->hole[0].start, tp->snd_una + len))
		len = tp->sk->hole[0].start - tp->snd_una;
	us_tcp_rexmit(st, tp, tp->snd_una, len < tp->t_maxseg ? len : tp->t_maxseg);
	if (tp->t_flags & US_TF_SACK_PERMIT) {
		tp->snd_cwnd = tp->snd_ssthresh;
		us_tcp_output(st, tp);
	} else {
		tp->snd_cwnd = tp->snd_ssthresh + 3u * tp->t_maxseg;
	}
}

/*
 * Processes an acceptable ACK; owin is the send window before this segment
 * updated it.  Returns 1 when the connection was freed.
 */
static int
ack_input(struct us_stack *st, struct us_tcb *tp, const struct us_tcp_seg *seg, uint32_t owin)
{
	struct us_sock *so = tp->so;
	uint32_t acked, sacked0 = us_tcp_sacked(tp);
	int sack = (tp->t_flags & US_TF_SACK_PERMIT) != 0;

	if (seg->nsack > 0 && sack)
		us_tcp_sack_update(st, tp, seg);
	if (SEQ_LEQ(seg->ack, tp->snd_una)) {
		/*
		 * RFC 5681 2: a duplicate ACK carries no data and leaves the window
		 * as it was (owin: snd_wnd already holds this segment's window).
		 * Outstanding data means data being timed (BSD): the answers to
		 * zero-window probes, with only the probe byte out, are no loss.
		 * With SACK, RFC 6675 2 instead: an ACK is a duplicate when it
		 * SACKs something new, even carrying data or a new window (the
		 * peer's ACKs ride on its data in a two-way transfer); an ACK of a
		 * duplicated segment, or a duplicated ACK, says nothing of loss.
		 */
		if (seg->ack == tp->snd_una && tp->snd_max != tp->snd_una &&
		    tp->t_timer[US_TCPT_REXMT] != 0 &&
		    (sack ? us_tcp_sacked(tp) > sacked0
			     : seg->len == 0 && !(seg->flags & (US_TH_SYN | US_TH_FIN)) &&
				       (seg->wnd << tp->snd_wscale) == owin)) {
			st->stats->tcp.rx_dupack++;
			tp->t_dupacks++;
			if (tp->t_flags & US_TF_FASTRECOVERY) {
				if (sack) {
					/* RFC 6675 5 (C): the scoreboard says what left. */
					if (us_tcp_sack_rexmt_lost(tp))
						st->stats->tcp.rexmt_lost++;
				} else {
					/* Each duplicate means a segment left the network. */
					tp->snd_cwnd += tp->t_maxseg;
				}
				us_tcp_output(st, tp);
			} else if (tp->t_dupacks == 3 ||
				   /*
				    * RFC 6675 4 IsLost(snd_una): more than (DupThresh - 1)
				    * * SMSS bytes SACKed above it, so a small flight with
				    * fewer than 3 duplicates still recovers without an RTO.
				    */
				   (sack && us_tcp_sack_lost(tp, tp->snd_una) && tp->t_dupacks < 3)) {
				/* RFC 6582 3.2 step 2: only if this is not a stale recovery. */
				if (SEQ_GT(seg->ack - 1, tp->snd_recover) ||
				    tp->snd_recover == tp->snd_una ||
				    SEQ_GEQ(tp->snd_una, tp->snd_recover)) {
					tp->t_dupacks = 3;
					enter_recovery(st, tp);
				}
			} else if (tp->t_dupacks < 3 && tp->snd_nxt == tp->snd_max) {
				/*
				 * RFC 5681 3.2 (1), RFC 3042 Limited Transmit: one new
				 * segment for each of the first two duplicates, the flight
				 * at most cwnd + 2 SMSS and cwnd itself unchanged, so a
				 * small window still gets the duplicates fast retransmit
				 * needs instead of waiting for the RTO.
				 */
				uint32_t ocwnd = tp->snd_cwnd;

				tp->snd_cwnd += tp->t_dupacks * tp->t_maxseg;
				us_tcp_output(st, tp);
				tp->snd_cwnd = ocwnd;
			}
		}
		return 0;
	}
	acked = seg->ack - tp->snd_una;
	/* RTT: from the echoed timestamp, or the one timed segment (RFC 7323 4, RFC 6298). */
	if ((tp->t_flags & US_TF_RCVD_TSTMP) && seg->has_ts && seg->tsecr != 0) {
		uint32_t ms = us_tcp_ts_now(st, tp) - seg->tsecr;

		if (ms < 600000)
			us_tcp_rtt_update(tp, ms * 1000 + 500);
	} else if (tp->t_rttime != 0 && SEQ_GT(seg->ack, tp->t_rtseq)) {
		us_tcp_rtt_update(tp, us_tcp_usnow(st) - tp->t_rttime);
		tp->t_rttime = 0;
	}
	if (tp->t_flags & US_TF_FASTRECOVERY) {
		if (SEQ_GEQ(seg->ack, tp->snd_recover)) {
			/* RFC 6582 3.2 step 3: full ACK ends recovery. */
			uint32_t fl = tp->snd_max - seg->ack;

			tp->t_flags &= ~US_TF_FASTRECOVERY;
			tp->snd_cwnd = tp->snd_ssthresh < fl + tp->t_maxseg
					       ? tp->snd_ssthresh : fl + tp->t_maxseg;
			if (tp->snd_cwnd < 2u * tp->t_maxseg)
				tp->snd_cwnd = 2u * tp->t_maxseg;
			if (tp->cc->recovered != NULL)
				tp->cc->recovered(tp, st->now);
			tp->t_dupacks = 0;
		} else {
			tp->snd_una = seg->ack;
			sndbuf_drop(tp, acked);
			us_tcp_timer_set(st, tp, US_TCPT_REXMT,
					 st->now + (uint64_t)tp->t_rto * 1000);
			if (sack) {
				/* RFC 6675 5 (C): a partial ACK is one more ACK in recovery. */
				us_tcp_sack_update(st, tp, seg);
				if (us_tcp_sack_rexmt_lost(tp))
					st->stats->tcp.rexmt_lost++;
			} else {
				/* RFC 6582 3.2 step 5: the next segment is lost too; deflate. */
				uint32_t len = tp->snd_max - tp->snd_una;

				us_tcp_rexmit(st, tp, tp->snd_una,
					      len < tp->t_maxseg ? len : tp->t_maxseg);
				tp->snd_cwnd = tp->snd_cwnd > acked ? tp->snd_cwnd - acked : 0;
				tp->snd_cwnd += tp->t_maxseg;
			}
			goto acked_done;
		}
	} else {
		tp->t_dupacks = 0;
		tp->cc->ack(tp, acked, st->now);
	}
	/* The FIN takes a sequence number but no buffer byte. */
	{
		uint32_t data = acked;

		if (tp->snd_una == tp->iss)
			data--;	/* our SYN */
		if ((tp->t_flags & US_TF_SENTFIN) && seg->ack == tp->snd_max && data > tp->snd_cc)
			data = tp->snd_cc;
		tp->snd_una = seg->ack;
		sndbuf_drop(tp, data);
	}
acked_done:
	if (SEQ_LT(tp->snd_nxt, tp->snd_una))
		tp->snd_nxt = tp->snd_una;
	tp->t_rxtshift = tp->t_srtt != 0 ? 0 : tp->t_rxtshift;
	tp->t_softerror = 0;
	/* RFC 6298 5.2/5.3: stop the timer when all is acknowledged, else restart it. */
	if (tp->snd_una == tp->snd_max)
		us_tcp_timer_set(st, tp, US_TCPT_REXMT, 0);
	else
		us_tcp_timer_set(st, tp, US_TCPT_REXMT,
				 st->now + ((uint64_t)tp->t_rto << tp->t_rxtshift) * 1000);
	if (tp->t_nsack > 0) {
		us_tcp_sack_update(st, tp, seg);
		us_tcp_sack_put(st, tp, 0);
	}
	us_sock_wakeup(st, so);
	/* Our FIN acknowledged? */
	if ((tp->t_flags & US_TF_SENTFIN) && tp->snd_una == tp->snd_max) {
		switch (tp->state) {
		case US_TCPS_FIN_WAIT_1:
			us_tcp_set_state(st, tp, US_TCPS_FIN_WAIT_2);
			/* A closed socket will never read: do not wait for the peer forever. */
			if (tp->t_flags & US_TF_DETACHED)
				us_tcp_timer_set(st, tp, US_TCPT_2MSL, st->now + TCP_FIN2_NS);
			break;
		case US_TCPS_CLOSING:
			us_tcp_set_state(st, tp, US_TCPS_TIME_WAIT);
			us_tcp_timer_set(st, tp, US_TCPT_REXMT, 0);
			us_tcp_timer_set(st, tp, US_TCPT_2MSL, st->now + TCP_2MSL_NS);
			break;
		case US_TCPS_LAST_ACK:
			st->stats->tcp.conn_closed++;
			us_tcp_set_state(st, tp, US_TCPS_CLOSED);
			us_tcp_drop(st, tp, 0);
			return 1;
		}
	}
	return 0;
}

/* --- data --- */

/* Appends an in-order payload chain to the receive queue; consumes it. */
static void
rcvq_append(struct us_tcb *tp, struct us_pkt *pkt, uint32_t len)
{
	pkt->qnext = NULL;
	if (tp->rcv_tail != NULL)
		tp->rcv_tail->qnext = pkt;
	else
		tp->rcv_head = pkt;
	tp->rcv_tail = pkt;
	tp->rcv_cc += len;
}

/* The SACK blocks we report: the out-of-order ranges, newest first (RFC 2018 4). */
static void
rcv_sack_note(struct us_stack *st, struct us_tcb *tp, uint32_t s, uint32_t e)
{
	int i, j;

	if (us_tcp_sack_get(st, tp) == NULL)
		return;	/* the peer learns of the holes from the duplicate ACKs alone */
	for (i = 0, j = 0; i < tp->rcv_nsack; i++) {
		uint32_t bs = tp->sk->rcv[i][0], be = tp->sk->rcv[i][1];

		if (SEQ_LEQ(be, tp->rcv_nxt))
			continue;	/* now in order */
		if (SEQ_LEQ(bs, e) && SEQ_GEQ(be, s)) {
			s = SEQ_MIN(s, bs);	/* merges into the new block */
			e = SEQ_MAX(e, be);
			continue;
		}
		tp->sk->rcv[j][0] = bs;
		tp->sk->rcv[j][1] = be;
		j++;
	}
	if (SEQ_GT(e, tp->rcv_nxt)) {
		if (j == 4)
			j = 3;
		memmove(&tp->sk->rcv[1], &tp->sk->rcv[0], (size_t)j * sizeof(tp->sk->rcv[0]));
		tp->sk->rcv[0][0] = SEQ_MAX(s, tp->rcv_nxt);
		tp->sk->rcv[0][1] = e;
		j++;
	}
	tp->rcv_nsack = (uint8_t)j;
}

static void
rcv_sack_prune(struct us_stack *st, struct us_tcb *tp)
{
	int i, j;

	for (i = 0, j = 0; i < tp->rcv_nsack; i++)
		if (SEQ_GT(tp->sk->rcv[i][1], tp->rcv_nxt)) {
			tp->sk->rcv[j][0] = SEQ_MAX(tp->sk->rcv[i][0], tp->rcv_nxt);
			tp->sk->rcv[j][1] = tp->sk->rcv[i][1];
			j++;
		}
	tp->rcv_nsack = (uint8_t)j;
	us_tcp_sack_put(st, tp, 0);
}

/*
 * Holds an out-of-order segment (sequence in pkt->time), dropping overlap
 * with what is already held.  Consumes pkt.  Returns 1 if kept.
 */
static int
ooo_insert(struct us_stack *st, struct us_tcb *tp, struct us_pkt *pkt, uint32_t seq,
	   uint32_t len, int fin)
{
	struct us_pkt **pp = &tp->ooo, *q;
	uint32_t end = seq + len;

	if (tp->ooo_n >= TCP_OOO_MAX) {
		st->stats->tcp.rx_ooo_drop++;
		us_pkt_free(pkt);
		return 0;
	}
	while (*pp != NULL && SEQ_LT((uint32_t)(*pp)->time, seq))
		pp = &(*pp)->qnext;
	/* Trim against the previous segment's end. */
	if (pp != &tp->ooo) {
		struct us_pkt *prev = tp->ooo;
		uint32_t pend;

		while (prev->qnext != *pp)
			prev = prev->qnext;
		pend = (uint32_t)prev->time + us_pkt_chain_len(prev);
		if (SEQ_GEQ(pend, end) && !fin) {
			us_pkt_free(pkt);
			return 0;
		}
		if (SEQ_GT(pend, seq)) {
			chain_trim_front(pkt, pend - seq);
			len -= pend - seq;
			seq = pend;
		}
	}
	/* Drop following segments this one covers; trim against the next. */
	while ((q = *pp) != NULL && SEQ_LEQ((uint32_t)q->time + us_pkt_chain_len(q), end)) {
		uint32_t qlen = us_pkt_chain_len(q);

		*pp = q->qnext;
		tp->ooo_cc -= qlen;
		tp->ooo_n--;
		if (q->flags & US_PKT_TCP_FIN)
			fin = 1;
		q->qnext = NULL;
		us_pkt_free(q);
	}
	if (q != NULL && SEQ_GT(end, (uint32_t)q->time)) {
		len = (uint32_t)q->time - seq;
		chain_trim_back(pkt, len);
		fin = 0;
	}
	pkt->time = seq;
	if (fin)
		pkt->flags |= US_PKT_TCP_FIN;
	else
		pkt->flags &= ~US_PKT_TCP_FIN;
	pkt->qnext = *pp;
	*pp = pkt;
	tp->ooo_cc += len;
	tp->ooo_n++;
	st->stats->tcp.rx_ooo++;
	return 1;
}

/* Moves held segments that are now in order to the receive queue; returns 1 if a FIN came. */
static int
ooo_pull(struct us_tcb *tp)
{
	struct us_pkt *q;
	int fin = 0;

	while ((q = tp->ooo) != NULL && SEQ_LEQ((uint32_t)q->time, tp->rcv_nxt)) {
		uint32_t qlen = us_pkt_chain_len(q), seq = (uint32_t)q->time;

		tp->ooo = q->qnext;
		tp->ooo_cc -= qlen;
		tp->ooo_n--;
		if (SEQ_LEQ(seq + qlen, tp->rcv_nxt) && !(q->flags & US_PKT_TCP_FIN)) {
			q->qnext = NULL;
			us_pkt_free(q);
			continue;
		}
		if (SEQ_LT(seq, tp->rcv_nxt)) {
			chain_trim_front(q, tp->rcv_nxt - seq);
			qlen -= tp->rcv_nxt - seq;
		}
		fin = (q->flags & US_PKT_TCP_FIN) != 0;
		tp->rcv_nxt += qlen;
		if (qlen > 0)
			rcvq_append(tp, q, qlen);
		else {
			q->qnext = NULL;
			us_pkt_free(q);
		}
		if (fin)
			break;
	}
	return fin;
}

/* RFC 9293 3.10.7.4 eighth: the peer's FIN. */
static void
fin_input(struct us_stack *st, struct us_tcb *tp)
{
	tp->rcv_nxt++;
	tp->t_flags |= US_TF_RCVD_FIN | US_TF_ACKNOW;
	switch (tp->state) {
	case US_TCPS_SYN_RECEIVED:
	case US_TCPS_ESTABLISHED:
		us_tcp_set_state(st, tp, US_TCPS_CLOSE_WAIT);
		break;
	case US_TCPS_FIN_WAIT_1:
		/* Simultaneous close: our FIN is not acknowledged yet. */
		us_tcp_set_state(st, tp, US_TCPS_CLOSING);
		break;
	case US_TCPS_FIN_WAIT_2:
		us_tcp_set_state(st, tp, US_TCPS_TIME_WAIT);
		us_tcp_timer_set(st, tp, US_TCPT_REXMT, 0);
		us_tcp_timer_set(st, tp, US_TCPT_PERSIST, 0);
		us_tcp_timer_set(st, tp, US_TCPT_KEEP, 0);
		us_tcp_timer_set(st, tp, US_TCPT_2MSL, st->now + TCP_2MSL_NS);
		break;
	default:
		break;
	}
	us_sock_wakeup(st, tp->so);
}

/* --- the state machine --- */

/* RFC 9293 3.10.7.3: SYN-SENT.  Consumes pkt. */
static void
syn_sent_input(struct us_stack *st, struct us_tcb *tp, struct us_pkt *pkt,
	       const struct us_tcp_seg *seg)
{
	struct us_sock *so = tp->so;

	if (seg->flags & US_TH_ACK) {
		/* First: an ACK of something we never sent is answered with a reset. */
		if (SEQ_LEQ(seg->ack, tp->iss) || SEQ_GT(seg->ack, tp->snd_max)) {
			if (!(seg->flags & US_TH_RST))
				us_tcp_respond_sock(st, NULL, so, seg->ack, 0, US_TH_RST);
			goto drop;
		}
	}
	if (seg->flags & US_TH_RST) {
		/* RFC 5961 3.2 leaves SYN-SENT as 9293 says: reset only with an acceptable ACK. */
		if (seg->flags & US_TH_ACK) {
			st->stats->tcp.rx_rst++;
			us_tcp_drop(st, tp, ECONNREFUSED);
		}
		goto drop;
	}
	if (!(seg->flags & US_TH_SYN))
		goto drop;
	syn_options(st, tp, seg);
	tp->irs = seg->seq;
	tp->rcv_nxt = seg->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	if (seg->flags & US_TH_ACK) {
		tp->snd_una = seg->ack;
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		/* The SYN-ACK's window is unscaled (RFC 7323 2.2). */
		tp->snd_wnd = seg->wnd;
		tp->max_sndwnd = tp->snd_wnd;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = seg->ack;
		if (tp->t_rttime != 0 && tp->t_rxtshift == 0)
			us_tcp_rtt_update(tp, us_tcp_usnow(st) - tp->t_rttime);
		tp->t_rttime = 0;
		tp->t_rxtshift = 0;
		us_tcp_timer_set(st, tp, US_TCPT_REXMT, 0);
		us_tcp_set_state(st, tp, US_TCPS_ESTABLISHED);
		if (tp->t_flags & US_TF_KEEPALIVE)
			us_tcp_timer_set(st, tp, US_TCPT_KEEP,
					 st->now + (uint64_t)tp->t_keepidle * 1000000000ull);
		tp->t_flags |= US_TF_ACKNOW;
		us_sock_wakeup(st, so);
		us_tcp_output(st, tp);
	} else {
		/* Simultaneous open (RFC 9293 3.5 figure 8): SYN-ACK with our same ISS. */
		tp->snd_wnd = seg->wnd;
		tp->max_sndwnd = seg->wnd;
		tp->snd_wl1 = seg->seq;
		us_tcp_set_state(st, tp, US_TCPS_SYN_RECEIVED);
		tp->snd_nxt = tp->iss;
		us_tcp_output(st, tp);
	}
drop:
	us_pkt_free(pkt);
}

/* Segment arrival in a synchronized state (or SYN-RECEIVED).  Consumes pkt. */
static void
do_segment(struct us_stack *st, struct us_tcb *tp, struct us_pkt *pkt, struct us_tcp_seg *seg)
{
	struct us_sock *so = tp->so;
	uint32_t rwnd, seglen, tlen;
	uint8_t flags = seg->flags;
	int fin;

	tp->t_rcvtime_s = (uint32_t)(st->now / 1000000000ull);
	tp->t_keepcnt = 0;
	if ((tp->t_flags & US_TF_KEEPALIVE) && tp->state >= US_TCPS_ESTABLISHED)
		us_tcp_timer_set(st, tp, US_TCPT_KEEP,
				 st->now + (uint64_t)tp->t_keepidle * 1000000000ull);

	/*
	 * Header prediction (Van Jacobson's, as in 4.4BSD): the next in-order
	 * data of a one-way transfer, acknowledging nothing new, changing no
	 * window, with no SACK news, passes every check below; take it here.
	 */
	if (tp->state == US_TCPS_ESTABLISHED &&
	    (flags & (US_TH_SYN | US_TH_FIN | US_TH_RST | US_TH_URG | US_TH_ACK)) == US_TH_ACK &&
	    seg->seq == tp->rcv_nxt && seg->ack == tp->snd_una && seg->len > 0 &&
	    seg->nsack == 0 && tp->ooo == NULL && tp->snd_nxt == tp->snd_max &&
	    (seg->wnd << tp->snd_wscale) == tp->snd_wnd &&
	    SEQ_GT(tp->rcv_adv, tp->rcv_nxt) && seg->len <= tp->rcv_adv - tp->rcv_nxt &&
	    !(tp->t_flags & (US_TF_RCVD_FIN | US_TF_FASTRECOVERY)) &&
	    (tp->t_flags & US_TF_RCVD_TSTMP ? seg->has_ts && (int32_t)(seg->tsval - tp->ts_recent) >= 0
					     : !seg->has_ts) &&
	    us_pool_keep(st->pool, pkt)) {
		if (seg->has_ts && tp->last_ack_sent == seg->seq) {
			tp->ts_recent = seg->tsval;
			tp->ts_recent_age = (uint32_t)(st->now / 1000000000ull);
		}
		tp->rcv_nxt += seg->len;
		st->stats->tcp.rx_data_bytes += seg->len;
		rcvq_append(tp, pkt, seg->len);
		us_sock_wakeup(st, so);
		/*
		 * Delayed ACK: at least every second full segment (RFC 5681 4.2).
		 * Nothing this segment did lets data of ours go (it acknowledged
		 * nothing and kept the window), so the ACK is all there is to send.
		 */
		if (tp->t_flags & US_TF_DELACK) {
			us_tcp_ack_now(st, tp);
		} else {
			tp->t_flags |= US_TF_DELACK;
			st->stats->tcp.tx_delack++;
			us_tcp_timer_set(st, tp, US_TCPT_DELACK, st->now + TCP_DELACK_NS);
		}
		return;
	}

	/* RFC 7323 5.3: PAWS, before the sequence check, never on a RST. */
	if (seg->has_ts && (tp->t_flags & US_TF_RCVD_TSTMP) && !(flags & US_TH_RST) &&
	    tp->ts_recent != 0 && (int32_t)(seg->tsval - tp->ts_recent) < 0) {
		if ((uint32_t)(st->now / 1000000000ull) - tp->ts_recent_age > TCP_PAWS_IDLE_S) {
			tp->ts_recent = 0;	/* too old to compare (RFC 7323 5.5) */
		} else {
			st->stats->tcp.rx_paws++;
			oow_ack(st, tp, seg);
			goto drop;
		}
	}

	/*
	 * SYN-RECEIVED and the peer's SYN again, at IRS.  With an ACK it is the
	 * SYN-ACK of a simultaneous open (RFC 9293 figure 8, line 6): the SYN is
	 * old and only the ACK is new, so trim the SYN as BSD does (the strict
	 * check below would refuse the segment and stall the open for an RTO).
	 * Without an ACK, our SYN-ACK was lost: send it again now, as Linux does.
	 */
	if (tp->state == US_TCPS_SYN_RECEIVED && (flags & US_TH_SYN) && seg->seq == tp->irs) {
		if (!(flags & US_TH_ACK)) {
			tp->snd_nxt = tp->iss;
			us_tcp_output(st, tp);
			goto drop;
		}
		flags &= ~US_TH_SYN;
		seg->seq++;
		/* Its window is unscaled (RFC 7323 2.2): put it in the unit the code below scales. */
		seg->wnd >>= tp->snd_wscale;
	}

	/* First: the sequence number (RFC 9293 3.10.7.4, the four acceptability cases). */
	rwnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	seglen = seg->len + ((flags & US_TH_SYN) ? 1 : 0) + ((flags & US_TH_FIN) ? 1 : 0);
	{
		int ok;

		if (seglen == 0)
			ok = rwnd == 0 ? seg->seq == tp->rcv_nxt
				       : SEQ_LEQ(tp->rcv_nxt, seg->seq) &&
						 SEQ_LT(seg->seq, tp->rcv_nxt + rwnd);
		else
			ok = rwnd != 0 &&
			     ((SEQ_LEQ(tp->rcv_nxt, seg->seq) &&
			       SEQ_LT(seg->seq, tp->rcv_nxt + rwnd)) ||
			      (SEQ_LEQ(tp->rcv_nxt, seg->seq + seglen - 1) &&
			       SEQ_LT(seg->seq + seglen - 1, tp->rcv_nxt + rwnd)));
		/* A zero window still takes in-order ACKs, RSTs and FINs without data. */
		if (!ok && rwnd == 0 && seg->seq == tp->rcv_nxt)
			ok = 1;
		if (!ok) {
			if (flags & US_TH_RST) {
				st->stats->tcp.rx_rst_bad++;
				goto drop;
			}
			if (seg->len > 0 && SEQ_LT(seg->seq + seg->len, tp->rcv_nxt + 1))
				st->stats->tcp.rx_dupdata++;
			else
				st->stats->tcp.rx_oowin++;
			/*
			 * RFC 9293 3.10.7.4 eighth, TIME-WAIT: what arrives is the peer's FIN
			 * again (our ACK was lost).  It is old, so it fails the check above,
			 * but it must still restart the 2 MSL wait, as BSD and Linux do.
			 */
			if (tp->state == US_TCPS_TIME_WAIT && (flags & US_TH_FIN))
				us_tcp_timer_set(st, tp, US_TCPT_2MSL, st->now + TCP_2MSL_NS);
			oow_ack(st, tp, seg);
			goto drop;
		}
	}

	/* Second: RST (RFC 5961 3.2: only an exact match resets; in window: challenge). */
	if (flags & US_TH_RST) {
		if (seg->seq != tp->rcv_nxt) {
			st->stats->tcp.rx_rst_bad++;
			challenge_ack(st, tp);
			goto drop;
		}
		st->stats->tcp.rx_rst++;
		if (tp->state == US_TCPS_SYN_RECEIVED && tp->t_listener != NULL) {
			/* From a passive open: the listener just forgets it. */
			tp->t_listener->syn_len--;
			us_pkt_free(pkt);
			us_tcp_discard(st, so);
			return;
		}
		if (tp->state < US_TCPS_CLOSING)
			st->stats->tcp.conn_reset++;
		us_tcp_drop(st, tp, tp->state == US_TCPS_SYN_RECEIVED ? ECONNREFUSED
				   : tp->state >= US_TCPS_CLOSING ? 0 : ECONNRESET);
		goto drop;
	}

	/* Trim what is outside the window now that it is known to overlap it. */
	if (SEQ_LT(seg->seq, tp->rcv_nxt)) {
		uint32_t dup = tp->rcv_nxt - seg->seq;

		if (flags & US_TH_SYN) {
			flags &= ~US_TH_SYN;
			seg->seq++;
			dup--;
		}
		if (dup >= seg->len) {
			if (dup > seg->len || !(flags & US_TH_FIN))
				flags &= ~US_TH_FIN;
			st->stats->tcp.rx_dupdata += seg->len > 0;
			chain_trim_front(pkt, seg->len);
			seg->seq += seg->len;
			seg->len = 0;
			tp->t_flags |= US_TF_ACKNOW;
		} else {
			chain_trim_front(pkt, dup);
			seg->seq += dup;
			seg->len -= dup;
		}
	}
	if (seg->len > 0 && SEQ_GT(seg->seq + seg->len, tp->rcv_nxt + rwnd)) {
		uint32_t over = seg->seq + seg->len - (tp->rcv_nxt + rwnd);

		if (over >= seg->len) {
			seg->len = 0;
			tp->t_flags |= US_TF_ACKNOW;
		} else {
			seg->len -= over;
		}
		chain_trim_back(pkt, seg->len);
		flags &= ~US_TH_FIN;
	}

	/* Fourth: a SYN on a synchronized connection (RFC 5961 4): challenge ACK. */
	if (flags & US_TH_SYN) {
		st->stats->tcp.rx_syn_inwin++;
		challenge_ack(st, tp);
		goto drop;
	}

	/* Fifth: the ACK field. */
	if (!(flags & US_TH_ACK))
		goto drop;
	if (tp->state == US_TCPS_SYN_RECEIVED) {
		if (SEQ_LEQ(seg->ack, tp->snd_una) || SEQ_GT(seg->ack, tp->snd_max)) {
			us_tcp_respond_sock(st, NULL, so, seg->ack,
				       0, US_TH_RST);
			goto drop;
		}
		tp->snd_wnd = seg->wnd << tp->snd_wscale;
		tp->max_sndwnd = tp->snd_wnd > tp->max_sndwnd ? tp->snd_wnd : tp->max_sndwnd;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = seg->ack;
		us_tcp_set_state(st, tp, US_TCPS_ESTABLISHED);
		us_tcp_timer_set(st, tp, US_TCPT_KEEP, 0);
		if (tp->t_flags & US_TF_KEEPALIVE)
			us_tcp_timer_set(st, tp, US_TCPT_KEEP,
					 st->now + (uint64_t)tp->t_keepidle * 1000000000ull);
		if (to_accept_queue(st, tp) != 0) {
			us_tcp_respond_sock(st, NULL, so, seg->ack,
				       0, US_TH_RST);
			us_pkt_free(pkt);
			us_tcp_discard(st, so);
			return;
		}
		us_sock_wakeup(st, so);
		/* The ACK of our SYN also counts below (RTT sample, window). */
	}
	/* RFC 5961 5.2: ACKs far below snd_una are blind injection attempts. */
	if (SEQ_LT(seg->ack, tp->snd_una - tp->max_sndwnd)) {
		challenge_ack(st, tp);
		goto drop;
	}
	if (SEQ_GT(seg->ack, tp->snd_max)) {
		st->stats->tcp.rx_ackfuture++;
		oow_ack(st, tp, seg);
		goto drop;
	}
	/* RFC 7323 4.3: remember the timestamp to echo, from in-order segments only. */
	if (seg->has_ts && (tp->t_flags & US_TF_RCVD_TSTMP) &&
	    SEQ_LEQ(seg->seq, tp->last_ack_sent) &&
	    SEQ_LT(tp->last_ack_sent, seg->seq + seg->len + ((flags & US_TH_FIN) ? 1 : 0) + 1)) {
		tp->ts_recent = seg->tsval;
		tp->ts_recent_age = (uint32_t)(st->now / 1000000000ull);
	}
	{
		uint32_t owin = tp->snd_wnd;

		/* Window update (RFC 9293 3.10.7.4 fifth, SND.WL1/WL2 rule). */
		if (SEQ_LT(tp->snd_wl1, seg->seq) ||
		    (tp->snd_wl1 == seg->seq && SEQ_LEQ(tp->snd_wl2, seg->ack))) {
			int dup_ok = seg->ack == tp->snd_una && seg->len == 0 &&
				     (seg->wnd << tp->snd_wscale) == tp->snd_wnd;

			if (!dup_ok || tp->snd_wnd != (seg->wnd << tp->snd_wscale)) {
				tp->snd_wnd = seg->wnd << tp->snd_wscale;
				tp->snd_wl1 = seg->seq;
				tp->snd_wl2 = seg->ack;
			}
			if (tp->snd_wnd > tp->max_sndwnd)
				tp->max_sndwnd = tp->snd_wnd;
		}
		if (ack_input(st, tp, seg, owin))
			goto drop_freed;
		if (tp->snd_wnd > 0 && owin == 0 && tp->t_timer[US_TCPT_PERSIST] != 0) {
			us_tcp_timer_set(st, tp, US_TCPT_PERSIST, 0);
			tp->t_rxtshift = 0;
		}
	}
	if (tp->state == US_TCPS_TIME_WAIT) {
		/* A retransmitted FIN: acknowledge it and restart the 2MSL wait. */
		if (flags & US_TH_FIN) {
			tp->t_flags |= US_TF_ACKNOW;
			us_tcp_timer_set(st, tp, US_TCPT_2MSL, st->now + TCP_2MSL_NS);
			us_tcp_output(st, tp);
		}
		goto drop;
	}

	/* Sixth: URG (RFC 6093: urgent data stays inline; we only track the pointer). */
	if ((flags & US_TH_URG) && seg->up != 0 && !(tp->t_flags & US_TF_RCVD_FIN)) {
		if (SEQ_GT(seg->seq + seg->up, tp->rcv_up))
			tp->rcv_up = seg->seq + seg->up;
	}

	/* Seventh: data, in the states that still take it. */
	fin = (flags & US_TH_FIN) != 0;
	tlen = seg->len;
	if (tlen > 0 || fin) {
		if (tp->state > US_TCPS_FIN_WAIT_2 || tp->state == US_TCPS_CLOSE_WAIT ||
		    tp->state == US_TCPS_CLOSING || tp->state == US_TCPS_LAST_ACK ||
		    (tp->t_flags & US_TF_RCVD_FIN)) {
			/* The peer already finished: anything more is a protocol error; ignore. */
			goto drop;
		}
		/*
		 * Data is kept only while the pool can spare its buffer
		 * (us_pool_keep).  Data in order is worth more than what waits
		 * out of order, which goes back first; otherwise this segment's
		 * data (and FIN) is dropped unacknowledged for the peer to send
		 * again, as Linux does when receive memory is short
		 * (tcp_data_queue after tcp_prune_queue).  Its ACK was taken
		 * above, so our send queue still drains; an ACK goes back to say
		 * where we are.
		 */
		if (tlen > 0 && !us_pool_keep(st->pool, pkt)) {
			if (SEQ_LEQ(seg->seq, tp->rcv_nxt))
				us_tcp_drain(st);
			if (!us_pool_keep(st->pool, pkt)) {
				st->stats->tcp.rx_nomem++;
				tp->t_flags |= US_TF_ACKNOW;
				us_tcp_output(st, tp);
				goto drop;
			}
		}
		if (seg->seq == tp->rcv_nxt && tp->ooo == NULL) {
			/* The common case: in order, nothing held back. */
			tp->rcv_nxt += tlen;
			st->stats->tcp.rx_data_bytes += tlen;
			if (tlen > 0) {
				/* Delayed ACK: at least every second full segment (RFC 5681 4.2). */
				if (tp->t_flags & US_TF_DELACK) {
					tp->t_flags |= US_TF_ACKNOW;
				} else {
					tp->t_flags |= US_TF_DELACK;
					st->stats->tcp.tx_delack++;
					us_tcp_timer_set(st, tp, US_TCPT_DELACK,
							 st->now + TCP_DELACK_NS);
				}
				rcvq_append(tp, pkt, tlen);
				pkt = NULL;
			}
			if (fin)
				fin_input(st, tp);
			else if (tlen > 0)
				us_sock_wakeup(st, so);
		} else {
			/* Out of order, or filling a gap: hold it, ACK at once (RFC 5681 4.2). */
			uint32_t seq = seg->seq;
			int got_fin;

			tp->t_flags |= US_TF_ACKNOW;
			if (tlen > 0 || fin) {
				if (SEQ_GT(seq, tp->rcv_nxt))
					rcv_sack_note(st, tp, seq, seq + tlen);
				ooo_insert(st, tp, pkt, seq, tlen, fin);
				pkt = NULL;
			}
			{
				uint32_t before = tp->rcv_nxt;

				got_fin = ooo_pull(tp);
				st->stats->tcp.rx_data_bytes += tp->rcv_nxt - before;
				if (tp->rcv_nxt != before)
					us_sock_wakeup(st, so);
			}
			rcv_sack_prune(st, tp);
			if (got_fin)
				fin_input(st, tp);
		}
	}
	us_tcp_output(st, tp);
drop:
	if (pkt != NULL)
		us_pkt_free(pkt);
	return;
drop_freed:
	if (pkt != NULL)
		us_pkt_free(pkt);
}

void
us_tcp_drain(struct us_stack *st)
{
	uint32_t i;
	struct us_tcb *tp;

	/*
	 * A frame was dropped, or data could not be kept, for want of a
	 * buffer.  Segments held out of order could be what holds the pool:
	 * each waits for the segment that fills its hole, which finds no
	 * buffer, and the application has nothing in order to read and free
	 * one -- a deadlock.  Give them all back (BSD's tcp_drain, Linux's
	 * tcp_prune_ofo_queue); the peer sends them again.  RFC 2018 8 allows
	 * dropping what SACK blocks reported: the sender forgets its
	 * scoreboard at its next timeout.
	 */
	for (i = 0; st->tcp.hash != NULL && i < st->tcp.nhash; i++)
		for (tp = st->tcp.hash[i]; tp != NULL; tp = tp->t_hnext) {
			if (tp->ooo == NULL)
				continue;
			st->stats->tcp.rx_ooo_drained += tp->ooo_n;
			us_pkt_free_queue(tp->ooo);
			tp->ooo = NULL;
			tp->ooo_cc = 0;
			tp->ooo_n = 0;
			/* Nothing is held above rcv_nxt now: no block to report. */
			tp->rcv_nsack = 0;
			us_tcp_sack_put(st, tp, 0);
		}
}

void
us_tcp_input(struct us_stack *st, struct us_pkt *pkt)
{
	struct us_tcp_stats *ts = &st->stats->tcp;
	struct us_tcp_seg seg;
	const uint8_t *th = us_pkt_data(pkt);
	uint32_t len = us_pkt_chain_len(pkt), off;
	uint16_t sport, dport;
	struct us_tcp_ends e;
	struct us_tcb *tp;

	ts->rx++;
	if (len < US_TCP_HLEN || pkt->len < US_TCP_HLEN) {
		ts->rx_short++;
		goto drop;
	}
	off = (uint32_t)(th[12] >> 4) * 4;
	if (off < US_TCP_HLEN || off > len || off > pkt->len) {
		ts->rx_badoff++;
		goto drop;
	}
	if (!(pkt->flags & US_PKT_CSUM_OK) &&
	    us_cksum_fold(us_cksum_chain((pkt->flags & US_PKT_IP6)
						 ? us_cksum_pseudo6(&pkt->ip6_src, &pkt->ip6_dst,
								    US_IPPROTO_TCP, len)
						 : us_cksum_pseudo4(pkt->ip_src, pkt->ip_dst,
								    US_IPPROTO_TCP, len),
					 pkt, 0, len)) != 0) {
		ts->rx_badsum++;
		goto drop;
	}
	/* TCP is unicast only (RFC 9293 3.9.1.1 / RFC 1122 4.2.3.10). */
	if ((pkt->flags & (US_PKT_BCAST | US_PKT_MCAST)) ||
	    (!(pkt->flags & US_PKT_IP6) && us_ip4_is_bcast(st, pkt->ip_dst))) {
		ts->rx_badflags++;
		goto drop;
	}
	sport = us_get16(th);
	dport = us_get16(th + 2);
	seg.seq = us_get32(th + 4);
	seg.ack = us_get32(th + 8);
	seg.flags = th[13];
	seg.wnd = us_get16(th + 14);
	seg.up = us_get16(th + 18);
	seg.len = len - off;
	if (((seg.flags & US_TH_SYN) && (seg.flags & (US_TH_FIN | US_TH_RST))) ||
	    sport == 0 || dport == 0) {
		ts->rx_badflags++;
		goto drop;
	}
	if (us_tcp_opt_parse(th + US_TCP_HLEN, off - US_TCP_HLEN, (seg.flags & US_TH_SYN) != 0,
			     &seg) != 0) {
		ts->rx_badopt++;
		goto drop;
	}
	chain_trim_front(pkt, off);

	us_tcp_ends_pkt(pkt, dport, sport, &e);
	tp = us_tcp_lookup(st, &e);
	if (tp != NULL && tp->state == US_TCPS_TIME_WAIT && (seg.flags & US_TH_SYN) &&
	    !(seg.flags & US_TH_ACK)) {
		/*
		 * RFC 6191 / RFC 9293 3.6.1: a new SYN may reuse a TIME_WAIT pair if
		 * its sequence (or timestamp) is beyond the old connection's.
		 */
		int newer = SEQ_GT(seg.seq, tp->rcv_nxt) ||
			    (seg.has_ts && (tp->t_flags & US_TF_RCVD_TSTMP) &&
			     (int32_t)(seg.tsval - tp->ts_recent) > 0);

		if (newer && us_tcp_lookup_listener(st, &e) != NULL) {
			ts->timewait_reused++;
			us_tcp_orphan_free(st, tp);
			tp = NULL;
		}
	}
	if (tp == NULL) {
		struct us_sock *ls = us_tcp_lookup_listener(st, &e);

		if (ls != NULL && (seg.flags & (US_TH_SYN | US_TH_ACK | US_TH_RST)) == US_TH_SYN) {
			passive_open(st, ls, pkt, sport, dport, &seg);
			goto drop;
		}
		/* An ACK for no connection may complete a SYN-cookie handshake. */
		if (ls != NULL && (seg.flags & (US_TH_SYN | US_TH_ACK | US_TH_RST)) == US_TH_ACK &&
		    st->stats->tcp.syncookie_sent != 0 &&
		    cookie_open(st, ls, pkt, sport, dport, &seg))
			return;
		/* RFC 9293 3.10.7.1/2: CLOSED, or LISTEN without a SYN. */
		ts->rx_noconn++;
		reset_for(st, pkt, sport, dport, &seg);
		goto drop;
	}
	if (tp->state == US_TCPS_SYN_SENT) {
		syn_sent_input(st, tp, pkt, &seg);
		return;
	}
	do_segment(st, tp, pkt, &seg);
	return;
drop:
	us_pkt_free(pkt);
}

/*
 * An ICMP or ICMPv6 error about a segment of the connection e (mss: what
 * PTB allows).  Returns 1 if the connection took it.
 */
static int
ctlinput(struct us_stack *st, int err, const struct us_tcp_ends *e, uint32_t seq, uint32_t mss)
{
	struct us_tcb *tp = us_tcp_lookup(st, e);

	if (tp == NULL)
		return 0;
	/* RFC 5927: only believe errors that quote a sequence number we have in flight. */
	if (SEQ_LT(seq, tp->snd_una) || SEQ_GT(seq, tp->snd_max)) {
		st->stats->tcp.rx_icmp_oow++;
		return 0;
	}
	st->stats->tcp.rx_icmp_err++;
	if (err == EMSGSIZE) {
		/* RFC 1191, RFC 8201: lower the MSS to the next-hop MTU. */
		if (tp->t_flags & US_TF_RCVD_TSTMP)
			mss -= 12;
		if (mss >= 256 && mss < tp->t_maxseg) {
			st->stats->tcp.pmtu_lowered++;
			tp->t_maxseg = (uint16_t)mss;
			tp->snd_nxt = tp->snd_una;
			us_tcp_output(st, tp);
		}
		return 1;
	}
	if (tp->state == US_TCPS_SYN_SENT && (err == ECONNREFUSED || err == EHOSTUNREACH ||
					      err == ENETUNREACH || err == EACCES ||
					      err == EPROTO)) {
		/* RFC 1122 4.2.3.9: hard errors during connect end it. */
		us_tcp_drop(st, tp, err);
		return 1;
	}
	/* Soft error: kept, reported if the connection later times out. */
	tp->t_softerror = (uint8_t)err;
	return 1;
}

int
us_tcp_ctlinput(struct us_stack *st, int err, uint32_t faddr, uint16_t lport, uint16_t fport,
		uint32_t seq, uint16_t mtu)
{
	struct us_tcp_ends e = { .v6 = 0, .lport = lport, .fport = fport, .laddr = st->ip4,
				 .faddr = faddr };

	return ctlinput(st, err, &e, seq, mtu > 68 ? (uint32_t)mtu - US_IP4_HLEN - US_TCP_HLEN : 0);
}

int
us_tcp_ctlinput6(struct us_stack *st, int err, const struct us_in6 *laddr,
		 const struct us_in6 *faddr, uint16_t lport, uint16_t fport, uint32_t seq,
		 uint32_t mtu)
{
	struct us_tcp_ends e = { .v6 = 1, .lport = lport, .fport = fport, .laddr6 = *laddr,
				 .faddr6 = *faddr };
	uint32_t m = mtu < US_IP6_MINMTU ? US_IP6_MINMTU : mtu;

	return ctlinput(st, err, &e, seq, m - US_IP6_HLEN - US_TCP_HLEN);
}
