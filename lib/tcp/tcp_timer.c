/*
 * tcp_timer.c - what each TCP timer does when it fires: retransmission
 * with exponential backoff and a bounded number of tries (RFC 6298 5,
 * RFC 1122 4.2.3.5), zero-window probes (RFC 9293 3.8.6.1), keepalive
 * (RFC 1122 4.2.3.6), TIME_WAIT and FIN_WAIT_2 expiry, and delayed ACKs.
 */
#include <errno.h>

#include "../core/stack.h"
#include "../sock/sock.h"
#include "tcp.h"

#define TCP_MAXRXTSHIFT		15	/* retransmissions before ETIMEDOUT (Linux tcp_retries2) */
#define TCP_SYN_RETRIES		6	/* SYNs before ETIMEDOUT (Linux tcp_syn_retries) */
#define TCP_SYNACK_RETRIES	5	/* SYN-ACKs before a half-open connection goes */
#define TCP_RTO_MAX_NS		(120ull * 1000000000ull)
#define TCP_PERSIST_MAX_NS	(60ull * 1000000000ull)

static uint64_t
backoff(const struct us_tcb *tp)
{
	uint64_t t = (uint64_t)tp->t_rto * 1000 << (tp->t_rxtshift > 20 ? 20 : tp->t_rxtshift);

	return t > TCP_RTO_MAX_NS ? TCP_RTO_MAX_NS : t;
}

static void
rexmt_timeout(struct us_stack *st, struct us_tcb *tp)
{
	/*
	 * Nothing outstanding: no segment was lost, output found no buffer
	 * (us_tcp_output armed the timer).  Try again, without backoff and
	 * without counting towards the retransmission limit: the pool is
	 * ours, and refills when the application reads or the peer
	 * acknowledges.  A failure arms the timer again.
	 */
	if (tp->state >= US_TCPS_ESTABLISHED && tp->snd_una == tp->snd_max) {
		st->stats->tcp.tx_nobuf_retry++;
		us_tcp_output(st, tp);
		return;
	}
	st->stats->tcp.rexmt_timeout++;
	if (tp->state == US_TCPS_SYN_RECEIVED && tp->t_listener != NULL &&
	    ++tp->t_synretries > TCP_SYNACK_RETRIES) {
		/* The client never completed the handshake: forget it quietly. */
		tp->t_listener->syn_len--;
		us_tcp_discard(st, tp->so);
		return;
	}
	if (tp->state == US_TCPS_SYN_SENT && ++tp->t_synretries > TCP_SYN_RETRIES) {
		st->stats->tcp.conn_timeout++;
		us_tcp_drop(st, tp, tp->t_softerror ? tp->t_softerror : ETIMEDOUT);
		return;
	}
	if (tp->state >= US_TCPS_ESTABLISHED && ++tp->t_rxtshift > TCP_MAXRXTSHIFT) {
		st->stats->tcp.conn_timeout++;
		us_tcp_drop(st, tp, tp->t_softerror ? tp->t_softerror : ETIMEDOUT);
		return;
	}
	if (tp->state < US_TCPS_ESTABLISHED)
		tp->t_rxtshift++;
	/* RFC 5681 3.1 (5): one segment, threshold from the flight; leave fast recovery. */
	if (tp->state >= US_TCPS_ESTABLISHED) {
		tp->cc->timeout(tp, st->now);
		tp->snd_cwnd = tp->t_maxseg;
		tp->t_flags &= ~US_TF_FASTRECOVERY;
		tp->t_dupacks = 0;
		tp->snd_recover = tp->snd_max;
		/*
		 * Going back from snd_una skips what the peer SACKed (RFC 6675 5.1);
		 * but a receiver may renege on SACKs (RFC 2018 8), so from the second
		 * timeout on the scoreboard is forgotten and everything goes again.
		 */
		if (tp->t_rxtshift > 1) {
			tp->t_nsack = 0;
			us_tcp_sack_put(st, tp, 0);
		}
		tp->t_sack_hi = tp->snd_una;
	}
	tp->t_rttime = 0;	/* Karn's rule */
	tp->snd_nxt = tp->state < US_TCPS_ESTABLISHED ? tp->iss : tp->snd_una;
	us_tcp_timer_set(st, tp, US_TCPT_REXMT, st->now + backoff(tp));
	us_tcp_output(st, tp);
}

static void
persist_timeout(struct us_stack *st, struct us_tcb *tp)
{
	uint64_t t;

	us_tcp_probe(st, tp, 0);
	if (tp->t_rxtshift < TCP_MAXRXTSHIFT)
		tp->t_rxtshift++;
	t = backoff(tp);
	if (t > TCP_PERSIST_MAX_NS)
		t = TCP_PERSIST_MAX_NS;
	if (t < 200000000ull)
		t = 200000000ull;
	us_tcp_timer_set(st, tp, US_TCPT_PERSIST, st->now + t);
}

static void
keep_timeout(struct us_stack *st, struct us_tcb *tp)
{
	uint64_t idle_ns, now_s = st->now / 1000000000ull;

	if (!(tp->t_flags & US_TF_KEEPALIVE) || tp->state < US_TCPS_ESTABLISHED ||
	    tp->state > US_TCPS_CLOSE_WAIT)
		return;
	idle_ns = (now_s - tp->t_rcvtime_s) * 1000000000ull;
	if (idle_ns + 1000000000ull <= (uint64_t)tp->t_keepidle * 1000000000ull &&
	    tp->t_keepcnt == 0) {
		us_tcp_timer_set(st, tp, US_TCPT_KEEP,
				 st->now + (uint64_t)tp->t_keepidle * 1000000000ull - idle_ns);
		return;
	}
	if (tp->t_keepcnt >= tp->t_keepmax) {
		st->stats->tcp.conn_keepdrop++;
		us_tcp_drop(st, tp, ETIMEDOUT);
		return;
	}
	tp->t_keepcnt++;
	us_tcp_probe(st, tp, 1);
	us_tcp_timer_set(st, tp, US_TCPT_KEEP,
			 st->now + (uint64_t)tp->t_keepintvl * 1000000000ull);
}

void us_tcp_timer_fire(struct us_stack *st, struct us_tcb *tp, int which);

void
us_tcp_timer_fire(struct us_stack *st, struct us_tcb *tp, int which)
{
	switch (which) {
	case US_TCPT_REXMT:
		rexmt_timeout(st, tp);
		break;
	case US_TCPT_PERSIST:
		persist_timeout(st, tp);
		break;
	case US_TCPT_KEEP:
		keep_timeout(st, tp);
		break;
	case US_TCPT_2MSL:
		/* TIME_WAIT over, or a closed socket's FIN_WAIT_2 gave up on the peer. */
		st->stats->tcp.conn_closed += tp->state == US_TCPS_TIME_WAIT;
		us_tcp_set_state(st, tp, US_TCPS_CLOSED);
		us_tcp_drop(st, tp, 0);
		break;
	case US_TCPT_DELACK:
		if (tp->t_flags & US_TF_DELACK) {
			tp->t_flags |= US_TF_ACKNOW;
			us_tcp_output(st, tp);
		}
		break;
	}
}
