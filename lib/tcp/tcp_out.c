/*
 * tcp_out.c - TCP output: decides what the connection may send now (SYN,
 * data within the lesser of the peer's and congestion windows, FIN, ACKs
 * and window updates), builds each segment with its options in a fresh
 * buffer, and hands it to IPv4.  Sender silly-window avoidance and Nagle
 * (RFC 9293 3.8.6.2.1, RFC 1122 4.2.3.4), receiver window updates
 * (RFC 1122 4.2.3.3), and the retransmission timer (RFC 6298 5).
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

#define US_TCP_MAXWIN	65535u
#define TCP_NOBUF_RETRY_NS	200000000ull	/* output that found no buffer tries again after this */

/*
 * A buffer for a segment, or NULL (counted).  Frames waiting for the
 * link's burst hold buffers the link gives back as soon as it takes them:
 * on an empty pool, send those first and try once more.
 */
static struct us_pkt *
seg_alloc(struct us_stack *st)
{
	struct us_pkt *pkt = us_pkt_alloc(st->pool);

	if (pkt == NULL && st->ntx > 0) {
		us_stack_flush(st);
		pkt = us_pkt_alloc(st->pool);
	}
	if (pkt == NULL)
		st->stats->tcp.tx_nobuf++;
	return pkt;
}

/*
 * Writes our options for a segment with these flags and len data bytes;
 * returns their length (multiple of 4).
 */
static uint32_t
put_options(struct us_stack *st, struct us_tcb *tp, uint8_t *o, uint8_t flags, uint32_t len)
{
	uint32_t n = 0;
	int syn = (flags & US_TH_SYN) != 0;
	int ts = tp != NULL && ((syn && (tp->t_flags & US_TF_REQ_TSTMP)) ||
				(!syn && (tp->t_flags & US_TF_RCVD_TSTMP)));

	if (tp == NULL || (tp->t_flags & US_TF_NOOPT))
		return 0;
	if (syn) {
		/* Linux's order, which middleboxes expect: MSS, SACK-permitted, TS, NOP, WS. */
		o[n++] = 2;
		o[n++] = 4;
		us_put16(o + n, tp->t_ourmss);
		n += 2;
		if (!(flags & US_TH_ACK) || (tp->t_flags & US_TF_SACK_PERMIT)) {
			o[n++] = 4;
			o[n++] = 2;
		} else if (ts) {
			o[n++] = 1;
			o[n++] = 1;
		}
		if (ts) {
			o[n++] = 8;
			o[n++] = 10;
			us_put32(o + n, us_tcp_ts_now(st, tp));
			us_put32(o + n + 4, (flags & US_TH_ACK) ? tp->ts_recent : 0);
			n += 8;
		} else if (!(flags & US_TH_ACK) || (tp->t_flags & US_TF_SACK_PERMIT)) {
			o[n++] = 1;
			o[n++] = 1;
		}
		if ((tp->t_flags & US_TF_REQ_SCALE) &&
		    (!(flags & US_TH_ACK) || (tp->t_flags & US_TF_RCVD_SCALE))) {
			o[n++] = 1;
			o[n++] = 3;
			o[n++] = 3;
			o[n++] = tp->rcv_wscale;
		}
		return n;
	}
	if (ts) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 8;
		o[n++] = 10;
		us_put32(o + n, us_tcp_ts_now(st, tp));
		us_put32(o + n + 4, tp->ts_recent);
		n += 8;
	}
	if ((tp->t_flags & US_TF_SACK_PERMIT) && tp->rcv_nsack > 0 && (flags & US_TH_ACK)) {
		/* RFC 2018 4: the most recent block first; three fit beside timestamps. */
		uint32_t k, max = ts ? 3 : 4;
		/*
		 * t_maxseg leaves room for timestamps only: a segment with data
		 * carries the blocks that still fit beside it, so that the frame
		 * stays within the MTU (Linux shortens the data instead).
		 */
		uint32_t fit = len + 12 <= tp->t_maxseg ? (tp->t_maxseg - len - 4) / 8 : 0;

		max = fit < max ? fit : max;
		max = tp->rcv_nsack < max ? tp->rcv_nsack : max;
		if (max == 0)
			return n;
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 5;
		o[n++] = (uint8_t)(2 + 8 * max);
		for (k = 0; k < max; k++) {
			us_put32(o + n, tp->sk->rcv[k][0]);
			us_put32(o + n + 4, tp->sk->rcv[k][1]);
			n += 8;
		}
	}
	return n;
}

/* The window to advertise now, before scaling; never moves the right edge left. */
static uint32_t
rcv_window(struct us_tcb *tp)
{
	uint32_t win = us_tcp_rcv_space(tp), maxwin = US_TCP_MAXWIN << tp->rcv_wscale;

	/* RFC 1122 4.2.3.3: hold back a window too small to be worth using. */
	if (win < tp->so->rcvbuf / 4 && win < tp->t_maxseg)
		win = 0;
	if (win > maxwin)
		win = maxwin;
	if (SEQ_GT(tp->rcv_adv, tp->rcv_nxt) && win < tp->rcv_adv - tp->rcv_nxt)
		win = tp->rcv_adv - tp->rcv_nxt;	/* RFC 9293 3.8.6.2.2: do not shrink */
	return win;
}

/*
 * The checksum of a segment of len bytes at th, or, when the link completes
 * it, the pseudo-header sum the link starts from.
 */
static void
put_sum(struct us_stack *st, struct us_pkt *pkt, uint8_t *th, uint32_t len,
	const struct us_tcp_ends *e)
{
	uint64_t ph;

	if (e->v6) {
		/* Summed here: the drivers offload IPv4's checksums only. */
		ph = us_cksum_pseudo6(&e->laddr6, &e->faddr6, US_IPPROTO_TCP, len);
		us_put16(th + 16, 0);
		us_put16(th + 16, us_cksum_fold(us_cksum_add(ph, th, len)));
		return;
	}
	ph = us_cksum_pseudo4(e->laddr, e->faddr, US_IPPROTO_TCP, len);
	if (us_ip4_l4_offload(st, len)) {
		us_put16(th + 16, (uint16_t)~us_cksum_fold(ph));
		pkt->flags |= US_PKT_TX_L4_CSUM;
		return;
	}
	us_put16(th + 16, 0);
	us_put16(th + 16, us_cksum_fold(us_cksum_add(ph, th, len)));
}

/* Hands a finished segment to IP of e's family (hlim 0: IPv6's default hop limit). */
static int
ip_output(struct us_stack *st, struct us_pkt *pkt, const struct us_tcp_ends *e, uint8_t tos,
	  uint8_t ttl, uint8_t hlim)
{
	if (e->v6)
		return us_ip6_output(st, pkt, &e->laddr6, &e->faddr6, US_IPPROTO_TCP, tos,
				     hlim != 0 ? hlim : us_ip6_hlim(st), 0);
	return us_ip4_output(st, pkt, e->laddr, e->faddr, US_IPPROTO_TCP, tos, ttl);
}

/*
 * Builds and sends one segment: seq, len data bytes from the send buffer
 * (offset seq - snd_una), flags.  Returns 0, or -ENOBUFS/-ENETUNREACH.
 */
static int
send_segment(struct us_stack *st, struct us_tcb *tp, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct us_sock *so = tp->so;
	struct us_pkt *pkt = seg_alloc(st);
	struct us_tcp_ends e;
	uint32_t hlen, win;
	uint8_t *th;
	int rc;

	if (pkt == NULL)
		return -ENOBUFS;
	us_tcp_ends_sock(so, &e);
	th = us_pkt_append(pkt, US_TCP_HLEN);
	hlen = US_TCP_HLEN + put_options(st, tp, th + US_TCP_HLEN, flags, len);
	us_pkt_append(pkt, hlen - US_TCP_HLEN);
	if (len > 0) {
		uint8_t *d = us_pkt_append(pkt, len);

		if (d == NULL) {
			us_pkt_free(pkt);
			st->stats->tcp.tx_nobuf++;
			return -ENOBUFS;
		}
		us_pkt_chain_read(tp->snd_head, tp->snd_off + (seq - tp->snd_una), d, len);
	}
	us_put16(th, so->lport);
	us_put16(th + 2, so->fport);
	us_put32(th + 4, seq);
	us_put32(th + 8, (flags & US_TH_ACK) ? tp->rcv_nxt : 0);
	th[12] = (uint8_t)((hlen / 4) << 4);
	th[13] = flags;
	win = rcv_window(tp);
	/* RFC 7323 2.2: the window in a SYN is never scaled. */
	us_put16(th + 14, (uint16_t)((flags & US_TH_SYN) ? (win > US_TCP_MAXWIN ? US_TCP_MAXWIN : win)
						      : win >> tp->rcv_wscale));
	us_put16(th + 18, 0);
	put_sum(st, pkt, th, hlen + len, &e);
	if (flags & US_TH_ACK) {
		tp->last_ack_sent = tp->rcv_nxt;
		if (!(flags & US_TH_SYN) || tp->state >= US_TCPS_SYN_RECEIVED) {
			uint32_t adv = tp->rcv_nxt + ((flags & US_TH_SYN) ? (win > US_TCP_MAXWIN ?
									   US_TCP_MAXWIN : win)
								  : (win >> tp->rcv_wscale)
									    << tp->rcv_wscale);

			if (SEQ_GT(adv, tp->rcv_adv))
				tp->rcv_adv = adv;
		}
		tp->t_flags &= ~(US_TF_ACKNOW | US_TF_DELACK);
		if (tp->t_timer[US_TCPT_DELACK] != 0)
			us_tcp_timer_set(st, tp, US_TCPT_DELACK, 0);
	}
	st->stats->tcp.tx++;
	if (len == 0 && !(flags & (US_TH_SYN | US_TH_FIN | US_TH_RST)))
		st->stats->tcp.tx_ack++;
	rc = ip_output(st, pkt, &e, so->tos, so->ttl, so->hlim);
	return rc;
}

int
us_tcp_rexmit(struct us_stack *st, struct us_tcb *tp, uint32_t seq, uint32_t len)
{
	uint32_t data_end = tp->snd_una + tp->snd_cc, hole_end = seq + len;
	uint8_t flags = US_TH_ACK;
	int rc;

	if (!SEQ_LT(seq, data_end))
		len = 0;
	else if (SEQ_GT(seq + len, data_end))
		len = data_end - seq;
	/* The FIN sits one past the last byte, and goes again with it. */
	if ((tp->t_flags & US_TF_SENTFIN) && seq + len == data_end && SEQ_GT(tp->snd_max, data_end))
		flags |= US_TH_FIN;
	if (len == 0 && !(flags & US_TH_FIN)) {
		/* Nothing there to send (cannot happen with a sane scoreboard): move past it. */
		if (SEQ_GT(hole_end, tp->t_sack_hi))
			tp->t_sack_hi = hole_end;
		return 0;
	}
	rc = send_segment(st, tp, seq, len, flags);
	if (rc == -ENOBUFS)
		return rc;
	st->stats->tcp.tx_rexmt++;
	st->stats->tcp.tx_rexmt_bytes += len;
	seq += len + ((flags & US_TH_FIN) ? 1 : 0);
	if (SEQ_GT(seq, tp->t_sack_hi))
		tp->t_sack_hi = seq;
	tp->t_rxt_mark = tp->snd_max;
	if (tp->t_timer[US_TCPT_REXMT] == 0)
		us_tcp_timer_set(st, tp, US_TCPT_REXMT,
				 st->now + ((uint64_t)tp->t_rto << tp->t_rxtshift) * 1000);
	return 0;
}

/*
 * RFC 6675 5 (C): in SACK recovery, while cwnd - pipe leaves a segment,
 * retransmit a lost hole (NextSeg rule 1) before anything new.  Returns 1
 * when one went, 0 when new data may follow in *room bytes, -E on error.
 */
static int
sack_recovery_send(struct us_stack *st, struct us_tcb *tp, uint32_t *room)
{
	uint32_t pipe = us_tcp_pipe(tp), seq, len;
	int rc;

	*room = tp->snd_cwnd > pipe ? tp->snd_cwnd - pipe : 0;
	if (*room < tp->t_maxseg || !us_tcp_sack_nextseg(tp, 0, &seq, &len))
		return 0;
	st->stats->tcp.sack_rexmt++;
	rc = us_tcp_rexmit(st, tp, seq, len);
	return rc < 0 ? rc : 1;
}

static int
output(struct us_stack *st, struct us_tcb *tp)
{
	for (;;) {
		uint32_t off, avail, wnd, inflight, len = 0, data_end, room, seq, skip = UINT32_MAX;
		uint8_t flags = US_TH_ACK;
		int fin = 0, rc, sackrec = 0;

		if (tp->state == US_TCPS_CLOSED || tp->state == US_TCPS_LISTEN ||
		    tp->state == US_TCPS_TIME_WAIT) {
			if (tp->state == US_TCPS_TIME_WAIT && (tp->t_flags & US_TF_ACKNOW))
				return send_segment(st, tp, tp->snd_nxt, 0, US_TH_ACK);
			return 0;
		}
		/* The SYN goes first and alone (we send no data on a SYN). */
		if ((tp->state == US_TCPS_SYN_SENT || tp->state == US_TCPS_SYN_RECEIVED) &&
		    tp->snd_nxt == tp->iss) {
			flags = tp->state == US_TCPS_SYN_SENT ? US_TH_SYN : US_TH_SYN | US_TH_ACK;
			rc = send_segment(st, tp, tp->iss, 0, flags);
			tp->snd_nxt = tp->iss + 1;
			if (SEQ_GT(tp->snd_nxt, tp->snd_max))
				tp->snd_max = tp->snd_nxt;
			if (tp->t_timer[US_TCPT_REXMT] == 0)
				us_tcp_timer_set(st, tp, US_TCPT_REXMT,
						 st->now + ((uint64_t)tp->t_rto << tp->t_rxtshift) * 1000);
			return rc;
		}
		if (tp->state < US_TCPS_ESTABLISHED) {
			/* Waiting for the handshake: only a requested ACK goes out. */
			if (tp->t_flags & US_TF_ACKNOW)
				return send_segment(st, tp, tp->snd_nxt, 0, US_TH_ACK);
			return 0;
		}
		inflight = tp->snd_nxt - tp->snd_una;
		if ((tp->t_flags & (US_TF_FASTRECOVERY | US_TF_SACK_PERMIT)) ==
		    (US_TF_FASTRECOVERY | US_TF_SACK_PERMIT)) {
			/* The congestion window limits the pipe, not snd_nxt - snd_una. */
			sackrec = 1;
			rc = sack_recovery_send(st, tp, &room);
			if (rc < 0)
				return rc;
			if (rc > 0)
				continue;
		} else {
			uint32_t used;

			/*
			 * Going back after a timeout: what the peer SACKed need not go
			 * again, nor does it count against cwnd.
			 */
			if (tp->t_nsack > 0 && SEQ_LT(tp->snd_nxt, tp->snd_max)) {
				skip = us_tcp_sack_skip(tp);
				used = us_tcp_unsacked_below(tp, tp->snd_nxt);
			} else {
				used = tp->snd_nxt - tp->snd_una;
			}
			inflight = tp->snd_nxt - tp->snd_una;
			room = tp->snd_cwnd > used ? tp->snd_cwnd - used : 0;
		}
		off = tp->snd_nxt - tp->snd_una;
		avail = off <= tp->snd_cc ? tp->snd_cc - off : 0;
		wnd = tp->snd_wnd > inflight ? tp->snd_wnd - inflight : 0;
		len = wnd < room ? wnd : room;
		if (len > avail)
			len = avail;
		if (len > skip)
			len = skip;
		if (len > tp->t_maxseg)
			len = tp->t_maxseg;
		data_end = tp->snd_una + tp->snd_cc;
		if (len > 0 && len < tp->t_maxseg) {
			/*
			 * A short segment goes only if it is everything we have and Nagle
			 * allows (nothing unacknowledged, or TCP_NODELAY), or it fills half
			 * the largest window the peer offered (RFC 9293 3.8.6.2.1).
			 */
			int all = tp->snd_nxt + len == data_end;
			int idle = tp->snd_max == tp->snd_una || (tp->t_flags & US_TF_NODELAY);

			if (!((all && (idle || (tp->t_flags & US_TF_NEEDFIN))) ||
			      len >= tp->max_sndwnd / 2 || SEQ_LT(tp->snd_nxt, tp->snd_max)))
				len = 0;
		}
		/*
		 * FIN after the last byte, once the application closed its side:
		 * the first time, or again when retransmitting from below it.
		 */
		if ((tp->t_flags & US_TF_NEEDFIN) && tp->snd_nxt + len == data_end &&
		    (!(tp->t_flags & US_TF_SENTFIN) || SEQ_LT(tp->snd_nxt, tp->snd_max)))
			fin = 1;
		if (len == 0 && !fin) {
			uint32_t space = us_tcp_rcv_space(tp), adv_room;

			/* RFC 6675 NextSeg rule 3: nothing new to send, so a hole not yet lost. */
			if (sackrec && room >= tp->t_maxseg && us_tcp_sack_nextseg(tp, 1, &seq, &len)) {
				st->stats->tcp.sack_rexmt++;
				rc = us_tcp_rexmit(st, tp, seq, len);
				if (rc < 0)
					return rc;
				continue;
			}

			/*
			 * Only the window the header can carry counts: without window
			 * scaling a 256 KiB buffer still advertises 65535, and comparing
			 * the whole buffer would make every call send a "window update"
			 * (an ACK for every ACK, and ping-pong between two such stacks).
			 * Likewise only whole units of the scale (RFC 7323 2.3).
			 */
			if (space > US_TCP_MAXWIN << tp->rcv_wscale)
				space = US_TCP_MAXWIN << tp->rcv_wscale;
			space &= ~((1u << tp->rcv_wscale) - 1);
			/* A window update worth sending: two segments, or half the buffer. */
			adv_room = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
			if (space > adv_room && (space - adv_room >= 2u * tp->t_maxseg ||
						 space - adv_room >= tp->so->rcvbuf / 2) &&
			    !(tp->t_flags & US_TF_RCVD_FIN))
				tp->t_flags |= US_TF_ACKNOW;
			/*
			 * The window closed with data in flight: the peer refused what lies
			 * beyond it.  Pull snd_nxt back and probe (4.4BSD tcp_output), rather
			 * than retransmit into a closed window, which sends nothing and ends
			 * in ETIMEDOUT while the peer is still answering (RFC 1122 4.2.2.17:
			 * a zero window must be held open indefinitely).
			 */
			if (tp->snd_wnd == 0 && tp->snd_cc > 0 && SEQ_GT(tp->snd_nxt, tp->snd_una) &&
			    tp->t_timer[US_TCPT_PERSIST] == 0) {
				us_tcp_timer_set(st, tp, US_TCPT_REXMT, 0);
				tp->t_rxtshift = 0;
				tp->snd_nxt = tp->snd_una;
				avail = tp->snd_cc;
			}
			/*
			 * Data waits behind a closed window: probe it (RFC 9293 3.8.6.1).
			 * Armed before any ACK below goes, so an ACK to send cannot skip it.
			 */
			if (avail > 0 && tp->snd_wnd == 0 && tp->t_timer[US_TCPT_REXMT] == 0 &&
			    tp->t_timer[US_TCPT_PERSIST] == 0) {
				uint64_t t = (uint64_t)(tp->t_srtt ? tp->t_srtt + 4 * tp->t_rttvar
								  : 1000000u) * 1000;

				if (t < 200000000ull)
					t = 200000000ull;
				us_tcp_timer_set(st, tp, US_TCPT_PERSIST, st->now + t);
			}
			if (tp->t_flags & US_TF_ACKNOW) {
				rc = send_segment(st, tp, tp->snd_max, 0, US_TH_ACK);
				return rc;
			}
			return 0;
		}
		if (fin)
			flags |= US_TH_FIN;
		if (len > 0 && tp->snd_nxt + len == data_end)
			flags |= US_TH_PSH;
		rc = send_segment(st, tp, tp->snd_nxt, len, flags);
		if (rc == -ENOBUFS)
			return rc;
		if (SEQ_LT(tp->snd_nxt, tp->snd_max)) {
			st->stats->tcp.tx_rexmt++;
			st->stats->tcp.tx_rexmt_bytes += len;
		} else {
			st->stats->tcp.tx_data_bytes += len;
			/* Time one segment per round trip when timestamps do not (Karn). */
			if (tp->t_rttime == 0 && len > 0 && !(tp->t_flags & US_TF_RCVD_TSTMP)) {
				tp->t_rttime = us_tcp_usnow(st);
				tp->t_rtseq = tp->snd_nxt;
			}
		}
		tp->snd_nxt += len;
		if (fin) {
			tp->snd_nxt++;
			tp->t_flags |= US_TF_SENTFIN;
		}
		if (SEQ_GT(tp->snd_nxt, tp->snd_max))
			tp->snd_max = tp->snd_nxt;
		/* RFC 6298 5.1: start the timer when data goes out and it is not running. */
		if (tp->t_timer[US_TCPT_REXMT] == 0 && tp->snd_nxt != tp->snd_una) {
			if (tp->t_timer[US_TCPT_PERSIST] != 0)
				us_tcp_timer_set(st, tp, US_TCPT_PERSIST, 0);
			us_tcp_timer_set(st, tp, US_TCPT_REXMT,
					 st->now + ((uint64_t)tp->t_rto << tp->t_rxtshift) * 1000);
		}
		if (fin)
			return 0;
	}
}

int
us_tcp_output(struct us_stack *st, struct us_tcb *tp)
{
	int rc = output(st, tp);

	/*
	 * No buffer for what had to go (data, FIN, an ACK): with nothing
	 * outstanding no timer would bring it back, and the connection would
	 * wait for a segment from the peer that may never come.  Try again
	 * later on the retransmission timer, which then finds nothing
	 * outstanding and does no backoff (tcp_timer.c), as Linux's resource
	 * probe; with data outstanding (or a closed window) the running timer
	 * does it.  The SYN states always have it running.
	 */
	if (rc == -ENOBUFS && tp->state >= US_TCPS_ESTABLISHED &&
	    tp->state != US_TCPS_TIME_WAIT && tp->t_timer[US_TCPT_REXMT] == 0 &&
	    tp->t_timer[US_TCPT_PERSIST] == 0)
		us_tcp_timer_set(st, tp, US_TCPT_REXMT, st->now + TCP_NOBUF_RETRY_NS);
	return rc;
}

void
us_tcp_respond(struct us_stack *st, struct us_tcb *tp, const struct us_tcp_ends *e, uint32_t seq,
	       uint32_t ack, uint8_t flags)
{
	struct us_pkt *pkt = seg_alloc(st);
	uint32_t hlen = US_TCP_HLEN;
	uint8_t *th;

	if (pkt == NULL)
		return;
	th = us_pkt_append(pkt, US_TCP_HLEN);
	if (tp != NULL && (tp->t_flags & US_TF_RCVD_TSTMP) && !(flags & US_TH_RST)) {
		uint8_t *o = us_pkt_append(pkt, 12);

		o[0] = 1;
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		us_put32(o + 4, us_tcp_ts_now(st, tp));
		us_put32(o + 8, tp->ts_recent);
		hlen += 12;
	}
	us_put16(th, e->lport);
	us_put16(th + 2, e->fport);
	us_put32(th + 4, seq);
	us_put32(th + 8, (flags & US_TH_ACK) ? ack : 0);
	th[12] = (uint8_t)((hlen / 4) << 4);
	th[13] = flags;
	us_put16(th + 14, tp != NULL && !(flags & US_TH_RST) ? (uint16_t)(rcv_window(tp) >>
									 tp->rcv_wscale)
							     : 0);
	us_put16(th + 18, 0);
	put_sum(st, pkt, th, hlen, e);
	st->stats->tcp.tx++;
	if (flags & US_TH_RST)
		st->stats->tcp.tx_rst++;
	ip_output(st, pkt, e, 0, US_IP4_DEFTTL, 0);
}

void
us_tcp_respond_sock(struct us_stack *st, struct us_tcb *tp, const struct us_sock *so, uint32_t seq,
		    uint32_t ack, uint8_t flags)
{
	struct us_tcp_ends e;

	us_tcp_ends_sock(so, &e);
	us_tcp_respond(st, tp, &e, seq, ack, flags);
}

void
us_tcp_ack_now(struct us_stack *st, struct us_tcb *tp)
{
	send_segment(st, tp, tp->snd_max, 0, US_TH_ACK);
}

void
us_tcp_probe(struct us_stack *st, struct us_tcb *tp, int keepalive)
{
	if (keepalive) {
		/* RFC 9293 3.8.4: an old sequence number makes the peer answer with an ACK. */
		st->stats->tcp.tx_keepalive++;
		send_segment(st, tp, tp->snd_una - 1, 0, US_TH_ACK);
		return;
	}
	/*
	 * Zero-window probe: one byte beyond the window, if there is a byte to
	 * send.  The same byte at every probe (BSD's persist case): snd_nxt stays
	 * and only snd_max covers it, so a byte the peer refused is neither
	 * skipped nor followed by the next one, and when the window opens the
	 * data goes from the first byte the peer does not hold.
	 */
	st->stats->tcp.tx_probe++;
	if (tp->snd_cc > tp->snd_nxt - tp->snd_una) {
		send_segment(st, tp, tp->snd_nxt, 1, US_TH_ACK);
		if (SEQ_GT(tp->snd_nxt + 1, tp->snd_max))
			tp->snd_max = tp->snd_nxt + 1;
	} else {
		send_segment(st, tp, tp->snd_una - 1, 0, US_TH_ACK);
	}
}
