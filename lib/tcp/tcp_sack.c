/*
 * tcp_sack.c - the sender's side of SACK (RFC 2018, RFC 6675): the
 * scoreboard of ranges the peer holds above snd_una, which of the holes
 * between them are lost (IsLost), how much data is still in the network
 * (pipe), and which hole to retransmit next (NextSeg).
 *
 * The scoreboard is a few ranges, not per-segment state, so the questions
 * are answered on byte ranges: IsLost is monotone (a lower byte has at least
 * as much SACKed above it), so "lost" is everything un-SACKed below one
 * edge, and the retransmitted bytes are everything un-SACKed below HighRxt
 * (t_sack_hi), as NextSeg retransmits holes in order.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/stack.h"

#include "tcp.h"

/* IsLost's DupThresh (RFC 6675 2): three segments' worth of SACKs above. */
#define DUPTHRESH 3

/* SACK arrays kept for reuse: enough for the connections recovering at once. */
#define SACK_CACHE 64

struct us_tcp_sack *
us_tcp_sack_get(struct us_stack *st, struct us_tcb *tp)
{
	struct us_tcp_sack *sk = tp->sk;

	if (sk != NULL)
		return sk;
	if ((sk = st->tcp.sk_free) != NULL) {
		st->tcp.sk_free = sk->next;
		st->tcp.sk_nfree--;
	} else if ((sk = malloc(sizeof(*sk))) == NULL) {
		return NULL;	/* no SACK ranges: recovery falls back to what ACKs say */
	}
	tp->sk = sk;
	return sk;
}

void
us_tcp_sack_put(struct us_stack *st, struct us_tcb *tp, int force)
{
	struct us_tcp_sack *sk = tp->sk;

	if (sk == NULL || (!force && (tp->t_nsack > 0 || tp->rcv_nsack > 0)))
		return;
	tp->sk = NULL;
	tp->t_nsack = 0;
	tp->rcv_nsack = 0;
	if (st->tcp.sk_nfree >= SACK_CACHE) {
		free(sk);
		return;
	}
	sk->next = st->tcp.sk_free;
	st->tcp.sk_free = sk;
	st->tcp.sk_nfree++;
}

void
us_tcp_sack_fini(struct us_stack *st)
{
	while (st->tcp.sk_free != NULL) {
		struct us_tcp_sack *sk = st->tcp.sk_free;

		st->tcp.sk_free = sk->next;
		free(sk);
	}
	st->tcp.sk_nfree = 0;
}

void
us_tcp_sack_update(struct us_stack *st, struct us_tcb *tp, const struct us_tcp_seg *seg)
{
	int i, j;

	/* Forget what snd_una passed. */
	for (i = 0, j = 0; i < tp->t_nsack; i++) {
		if (SEQ_LEQ(tp->sk->hole[i].end, tp->snd_una))
			continue;
		if (SEQ_LT(tp->sk->hole[i].start, tp->snd_una))
			tp->sk->hole[i].start = tp->snd_una;
		tp->sk->hole[j++] = tp->sk->hole[i];
	}
	tp->t_nsack = (uint8_t)j;
	for (i = 0; i < seg->nsack; i++) {
		uint32_t s = seg->sack[i][0], e = seg->sack[i][1];
		int k;

		/* RFC 2018 4: ignore blocks below snd_una or past what we sent (D-SACK too). */
		if (!SEQ_LT(s, e) || SEQ_LEQ(e, tp->snd_una) || SEQ_GT(e, tp->snd_max))
			continue;
		if (SEQ_LT(s, tp->snd_una))
			s = tp->snd_una;
		if (us_tcp_sack_get(st, tp) == NULL)
			return;
		/* Merge with overlapping or touching ranges, keep sorted. */
		for (k = 0; k < tp->t_nsack;) {
			struct us_sackhole *h = &tp->sk->hole[k];

			if (SEQ_LEQ(h->start, e) && SEQ_GEQ(h->end, s)) {
				s = SEQ_MIN(s, h->start);
				e = SEQ_MAX(e, h->end);
				memmove(h, h + 1, (size_t)(tp->t_nsack - k - 1) * sizeof(*h));
				tp->t_nsack--;
				continue;
			}
			k++;
		}
		if (tp->t_nsack == US_TCP_SACK_MAX)
			tp->t_nsack--;	/* drop the highest range: it is the least useful */
		for (k = tp->t_nsack; k > 0 && SEQ_GT(tp->sk->hole[k - 1].start, s); k--)
			tp->sk->hole[k] = tp->sk->hole[k - 1];
		tp->sk->hole[k].start = s;
		tp->sk->hole[k].end = e;
		tp->t_nsack++;
	}
}

uint32_t
us_tcp_sacked(const struct us_tcb *tp)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < tp->t_nsack; i++)
		n += tp->sk->hole[i].end - tp->sk->hole[i].start;
	return n;
}

/* SACKed bytes at or above seq. */
static uint32_t
sacked_above(const struct us_tcb *tp, uint32_t seq)
{
	uint32_t n = 0;
	int i;

	for (i = tp->t_nsack - 1; i >= 0 && SEQ_GT(tp->sk->hole[i].end, seq); i--)
		n += tp->sk->hole[i].end - SEQ_MAX(tp->sk->hole[i].start, seq);
	return n;
}

uint32_t
us_tcp_unsacked_below(const struct us_tcb *tp, uint32_t x)
{
	uint32_t n = x - tp->snd_una;
	int i;

	for (i = 0; i < tp->t_nsack && SEQ_LT(tp->sk->hole[i].start, x); i++)
		n -= SEQ_MIN(tp->sk->hole[i].end, x) - tp->sk->hole[i].start;
	return n;
}

/*
 * RFC 6675 IsLost, as an edge: every un-SACKed byte below it is lost.  A
 * byte is lost once DupThresh ranges, or more than (DupThresh - 1) * SMSS
 * bytes, are SACKed above it; snd_una when nothing is.
 */
static uint32_t
lost_edge(const struct us_tcb *tp)
{
	uint32_t sum = 0;
	int k;

	for (k = tp->t_nsack - 1; k >= 0; k--) {
		sum += tp->sk->hole[k].end - tp->sk->hole[k].start;
		if (sum > (DUPTHRESH - 1) * (uint32_t)tp->t_maxseg || tp->t_nsack - k >= DUPTHRESH)
			return tp->sk->hole[k].start;
	}
	return tp->snd_una;
}

int
us_tcp_sack_lost(const struct us_tcb *tp, uint32_t seq)
{
	return SEQ_LT(seq, lost_edge(tp));
}

uint32_t
us_tcp_pipe(const struct us_tcb *tp)
{
	uint32_t hrx = SEQ_GT(tp->t_sack_hi, tp->snd_una) ? tp->t_sack_hi : tp->snd_una;
	uint32_t le = lost_edge(tp);

	/*
	 * RFC 6675 SetPipe: each un-SACKed byte counts once unless lost, and
	 * once more if retransmitted; so the lost ones that went again count
	 * once and the ones not lost but retransmitted count twice.
	 */
	return tp->snd_max - tp->snd_una - us_tcp_sacked(tp) - us_tcp_unsacked_below(tp, le) +
	       us_tcp_unsacked_below(tp, SEQ_GT(hrx, tp->snd_max) ? tp->snd_max : hrx);
}

int
us_tcp_sack_nextseg(const struct us_tcb *tp, int rule3, uint32_t *seq, uint32_t *len)
{
	uint32_t s = SEQ_GT(tp->t_sack_hi, tp->snd_una) ? tp->t_sack_hi : tp->snd_una;
	uint32_t limit, end;
	int i;

	if (tp->t_nsack == 0)
		return 0;
	/*
	 * Rule 1: the first un-SACKed byte above HighRxt that IsLost.  Rule 3:
	 * failing that and new data, one below the highest SACKed byte.
	 */
	limit = rule3 ? tp->sk->hole[tp->t_nsack - 1].end : lost_edge(tp);
	for (i = 0; i < tp->t_nsack; i++) {
		if (SEQ_LEQ(tp->sk->hole[i].end, s))
			continue;
		if (SEQ_GT(tp->sk->hole[i].start, s))
			break;	/* s is in the hole below range i */
		s = tp->sk->hole[i].end;
	}
	if (!SEQ_LT(s, limit))
		return 0;
	end = i < tp->t_nsack ? tp->sk->hole[i].start : tp->snd_max;
	*seq = s;
	*len = end - s < tp->t_maxseg ? end - s : tp->t_maxseg;
	return 1;
}

int
us_tcp_sack_rexmt_lost(struct us_tcb *tp)
{
	/*
	 * Everything retransmitted went before t_rxt_mark; with DupThresh
	 * segments' worth sent after it SACKed, those retransmissions had their
	 * chance to arrive (barring reordering), and the holes below HighRxt are
	 * lost again.  Linux found these the same way before RACK; without it
	 * each one costs an RTO.
	 */
	if (!SEQ_GT(tp->t_sack_hi, tp->snd_una) ||
	    sacked_above(tp, tp->t_rxt_mark) <= (DUPTHRESH - 1) * (uint32_t)tp->t_maxseg)
		return 0;
	tp->t_sack_hi = tp->snd_una;
	tp->t_rxt_mark = tp->snd_max;
	return 1;
}

uint32_t
us_tcp_sack_skip(struct us_tcb *tp)
{
	int i;

	for (i = 0; i < tp->t_nsack; i++) {
		if (SEQ_LEQ(tp->sk->hole[i].end, tp->snd_nxt))
			continue;
		if (SEQ_LEQ(tp->sk->hole[i].start, tp->snd_nxt)) {
			tp->snd_nxt = tp->sk->hole[i].end;
			continue;
		}
		return tp->sk->hole[i].start - tp->snd_nxt;
	}
	return UINT32_MAX;
}
