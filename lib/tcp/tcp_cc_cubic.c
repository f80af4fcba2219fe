/*
 * tcp_cc_cubic.c - CUBIC congestion control (RFC 9438): after a loss the
 * window grows along a cubic curve centred on the window where the loss
 * happened, never slower than Reno would (the Reno-friendly region).
 * Slow start is Reno's.
 */
#include <math.h>
#include <stddef.h>

#include "tcp.h"

#define CUBIC_C		0.4	/* RFC 9438 4.2 */
#define CUBIC_BETA	0.7	/* RFC 9438 4.6 */

static void
cubic_init(struct us_tcb *tp)
{
	tp->cubic.epoch = 0;
	tp->cubic.w_max = 0;
	tp->t_bytes_acked = 0;
}

static void
cubic_ack(struct us_tcb *tp, uint32_t acked, uint64_t now)
{
	struct us_cubic *c = &tp->cubic;
	double mss = tp->t_maxseg, t, target, w_cubic, cwnd_seg, rtt_s;

	if (tp->snd_cwnd < tp->snd_ssthresh) {
		us_tcp_reno_ack(tp, acked);
		return;
	}
	cwnd_seg = tp->snd_cwnd / mss;
	if (c->epoch == 0) {
		/* RFC 9438 4.2: a new congestion-avoidance epoch. */
		c->epoch = (uint32_t)(now / 1000000) | 1;	/* ms; 0 means none */
		c->cwnd_epoch = tp->snd_cwnd;
		c->w_est = tp->snd_cwnd;
		if (c->w_max <= tp->snd_cwnd) {
			c->k_ms = 0;
			c->w_max = tp->snd_cwnd;
		} else {
			c->k_ms = (uint32_t)(cbrt((c->w_max - tp->snd_cwnd) / mss / CUBIC_C) * 1000);
		}
	}
	rtt_s = tp->t_srtt != 0 ? tp->t_srtt / 1e6 : 0.1;
	t = (double)((uint32_t)(now / 1000000) - c->epoch) / 1e3;
	/* W_cubic(t + RTT): where the window should be one round trip from now (4.4). */
	w_cubic = CUBIC_C * pow(t + rtt_s - c->k_ms / 1000.0, 3) + c->w_max / mss;
	target = w_cubic;
	if (target < cwnd_seg)
		target = cwnd_seg;
	if (target > 1.5 * cwnd_seg)
		target = 1.5 * cwnd_seg;
	/* Reno-friendly estimate (4.3): alpha = 3 (1 - beta) / (1 + beta). */
	c->w_est += (uint32_t)(3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) * acked * mss /
			       tp->snd_cwnd);
	if (w_cubic * mss < c->w_est) {
		us_tcp_reno_ack(tp, acked);
		if (tp->snd_cwnd < c->w_est)
			tp->snd_cwnd = c->w_est;
		return;
	}
	/* Concave/convex region: grow by (target - cwnd) / cwnd per acknowledged segment. */
	tp->t_bytes_acked += (uint32_t)((target - cwnd_seg) / cwnd_seg * acked);
	if (tp->t_bytes_acked >= tp->t_maxseg) {
		uint32_t inc = tp->t_bytes_acked / tp->t_maxseg;

		tp->snd_cwnd += inc * tp->t_maxseg;
		tp->t_bytes_acked -= inc * tp->t_maxseg;
	}
}

static void
cubic_reduce(struct us_tcb *tp)
{
	struct us_cubic *c = &tp->cubic;
	uint32_t cwnd = tp->snd_cwnd, flight = tp->snd_max - tp->snd_una;

	/* RFC 9438 4.7 fast convergence: release bandwidth to newer flows. */
	if (cwnd < c->w_max)
		c->w_max = (uint32_t)(cwnd * (1 + CUBIC_BETA) / 2);
	else
		c->w_max = cwnd;
	if (flight < cwnd)
		cwnd = flight;
	tp->snd_ssthresh = (uint32_t)(cwnd * CUBIC_BETA);
	if (tp->snd_ssthresh < 2u * tp->t_maxseg)
		tp->snd_ssthresh = 2u * tp->t_maxseg;
	c->epoch = 0;
	tp->t_bytes_acked = 0;
}

static void
cubic_loss(struct us_tcb *tp, uint64_t now)
{
	(void)now;
	cubic_reduce(tp);
}

static void
cubic_timeout(struct us_tcb *tp, uint64_t now)
{
	(void)now;
	cubic_reduce(tp);
}

const struct us_tcp_cc us_tcp_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.ack = cubic_ack,
	.loss = cubic_loss,
	.timeout = cubic_timeout,
	.recovered = NULL,
};
