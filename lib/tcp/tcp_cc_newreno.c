/*
 * tcp_cc_newreno.c - Reno congestion control (RFC 5681) with the NewReno
 * recovery of RFC 6582 (done in tcp_in.c) and appropriate byte counting
 * (RFC 3465, L = 2 segments).
 */
#include <stddef.h>

#include "tcp.h"

static uint32_t
half_flight(const struct us_tcb *tp)
{
	uint32_t flight = tp->snd_max - tp->snd_una, h = flight / 2;

	/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
	return h > 2u * tp->t_maxseg ? h : 2u * tp->t_maxseg;
}

static void
newreno_init(struct us_tcb *tp)
{
	tp->t_bytes_acked = 0;
}

void
us_tcp_reno_ack(struct us_tcb *tp, uint32_t acked)
{
	if (tp->snd_cwnd < tp->snd_ssthresh) {
		/* Slow start: grow by what was acknowledged, at most 2 segments per ACK. */
		tp->snd_cwnd += acked < 2u * tp->t_maxseg ? acked : 2u * tp->t_maxseg;
		return;
	}
	/* Congestion avoidance: one segment per window of acknowledged bytes. */
	tp->t_bytes_acked += acked;
	if (tp->t_bytes_acked >= tp->snd_cwnd) {
		tp->t_bytes_acked -= tp->snd_cwnd;
		tp->snd_cwnd += tp->t_maxseg;
	}
}

static void
newreno_ack(struct us_tcb *tp, uint32_t acked, uint64_t now)
{
	(void)now;
	us_tcp_reno_ack(tp, acked);
}

static void
newreno_loss(struct us_tcb *tp, uint64_t now)
{
	(void)now;
	tp->snd_ssthresh = half_flight(tp);
	tp->t_bytes_acked = 0;
}

static void
newreno_timeout(struct us_tcb *tp, uint64_t now)
{
	(void)now;
	tp->snd_ssthresh = half_flight(tp);
	tp->t_bytes_acked = 0;
}

const struct us_tcp_cc us_tcp_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.ack = newreno_ack,
	.loss = newreno_loss,
	.timeout = newreno_timeout,
	.recovered = NULL,
};
