/*
 * TCP state by state against a peer the test plays by hand (t_one): for
 * each RFC 9293 state and mechanism, exactly which segments the stack
 * sends and when, in virtual time.  Grouped as CONVENTIONS 12 asks: per
 * state (open, established, close), then per mechanism (RFC 5961, PAWS,
 * persist, keepalive, retransmission, Nagle, malformed input).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "usock.h"
#include "tests/common/harness.h"
#include "tests/common/tcp_helper.h"

#define PEER_ISS	5000u	/* the peer's initial sequence number */
#define SMSS		1448u	/* the stack's segment size: 1460 less 12 for timestamps */

/* Options the peer puts in its SYN. */
#define O_MSS	0x1
#define O_SACK	0x2
#define O_TS	0x4
#define O_WS	0x8
#define O_ALL	(O_MSS | O_SACK | O_TS | O_WS)

static struct t_one T;
static struct t_peer P;
static struct us_stack *ST;

static void
setup(void)
{
	t_one_init(&T);
	/* Start the clock away from 0, which the stack's RTT timing reads as "none". */
	t_one_advance(&T, 1000 * T_S);
	t_one_learn_peer(&T);
	memset(&P, 0, sizeof(P));
	P.t = &T;
	P.port = 40000;
	P.win = 1024;	/* with shift 7: 128 KiB */
	P.tsval = 1000;
	ST = T.n.st;
}

static void
teardown(void)
{
	t_one_fini(&T);
}

TestSuite(tcp_state, .init = setup, .fini = teardown);

/* Moves virtual time to an absolute instant and runs the stack. */
static void
at(uint64_t when)
{
	cr_assert_geq(when, T.now);
	t_one_advance(&T, when - T.now);
}


/* The TCP tables' views of an IPv4 connection from the stack's side. */
static struct us_tcp_ends
ends4(uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport)
{
	struct us_tcp_ends e = { .v6 = 0, .lport = lport, .fport = fport, .laddr = laddr,
				 .faddr = faddr };

	return e;
}

static struct us_tcb *
lookup4(struct us_stack *st, uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport)
{
	struct us_tcp_ends e = ends4(laddr, lport, faddr, fport);

	return us_tcp_lookup(st, &e);
}

static uint32_t
ts_offset4(struct us_stack *st, uint32_t laddr, uint32_t faddr)
{
	struct us_tcp_ends e = ends4(laddr, 0, faddr, 0);

	return us_tcp_ts_offset(st, &e);
}

static struct us_tcb *
conn(void)
{
	return lookup4(ST, T_IP_B, P.sport, T_IP_A, P.port);
}

static struct us_sock *
new_sock(void)
{
	int err = 0;
	struct us_sock *so = us_sock_create(ST, USOCK_AF_INET, USOCK_SOCK_STREAM, 0, &err);

	cr_assert_not_null(so, "socket: %d", err);
	return so;
}

/* The peer's SYN options in Linux's order: MSS, SACK-permitted, TS, NOP, WS. */
static uint32_t
syn_opts(uint8_t *o, int which, uint32_t tsecr)
{
	uint32_t n = 0;

	if (which & O_MSS)
		t_opt_mss(o, &n, 1460);
	if (which & O_SACK) {
		t_opt_sackok(o, &n);
	} else if (which & O_TS) {
		t_opt_nop(o, &n);
		t_opt_nop(o, &n);
	}
	if (which & O_TS)
		t_opt_ts(o, &n, P.tsval, tsecr);
	if (which & O_WS) {
		t_opt_nop(o, &n);
		t_opt_ws(o, &n, 7);
	}
	return n;
}

/* The stack takes the next segment; the test fails if there is none. */
static void
take(struct t_seg *s, const char *what)
{
	cr_assert(t_peer_take(&P, s), "expected %s, the stack sent nothing", what);
}

/* Takes a pure ACK and checks it acknowledges ack. */
static void
take_ack(uint32_t ack, const char *what)
{
	struct t_seg s;

	take(&s, what);
	cr_assert_eq(s.flags, US_TH_ACK, "%s: flags 0x%02x", what, s.flags);
	cr_assert_eq(s.len, 0, "%s: %u data bytes", what, s.len);
	cr_assert_eq(s.ack, ack, "%s: ack %u, expected %u", what, s.ack, ack);
}

/* Sends the SYN-ACK for the stack's SYN s and completes the handshake. */
static void
answer_syn(struct us_sock *so, const struct t_seg *syn, int which)
{
	struct t_seg s;
	uint8_t o[40];
	uint32_t n;

	P.sport = syn->sport;
	P.rcv_nxt = syn->seq + 1;
	P.snd_nxt = PEER_ISS;
	n = syn_opts(o, which, syn->tsval);
	P.ts = 0;
	P.win = 65535;	/* never scaled in a SYN */
	t_peer_xmit(&P, P.snd_nxt, P.rcv_nxt, US_TH_SYN | US_TH_ACK, NULL, 0, o, n);
	P.snd_nxt++;
	P.ts = (which & O_TS) != 0;
	P.win = (which & O_WS) ? 1024 : 65535;
	take(&s, "the ACK of the SYN-ACK");
	cr_assert_eq(s.flags, US_TH_ACK);
	cr_assert_eq(s.seq, P.rcv_nxt);
	cr_assert_eq(s.ack, P.snd_nxt);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
}

/* Active open to the peer's port, answered at once. */
static struct us_sock *
active_open(int which)
{
	struct us_sock *so = new_sock();
	struct t_seg syn;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	cr_assert_eq(syn.flags, US_TH_SYN);
	answer_syn(so, &syn, which);
	/* Let the peer's first scaled window stand from here on. */
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "after the window update");
	return so;
}

static struct us_sock *
listener(int backlog)
{
	struct us_sock *ls = new_sock();

	cr_assert_eq(us_tcp_bind(ST, ls, 0, 80), 0);
	cr_assert_eq(us_tcp_listen(ST, ls, backlog), 0);
	return ls;
}

/* The peer's SYN to port 80; returns the stack's SYN-ACK in s. */
static void
peer_syn(int which, struct t_seg *s)
{
	uint8_t o[40];
	uint32_t n = syn_opts(o, which, 0);

	P.sport = 80;
	P.snd_nxt = PEER_ISS;
	P.ts = 0;
	P.win = 65535;
	t_peer_xmit(&P, P.snd_nxt, 0, US_TH_SYN, NULL, 0, o, n);
	P.snd_nxt++;
	take(s, "a SYN-ACK");
	cr_assert_eq(s->flags, US_TH_SYN | US_TH_ACK, "flags 0x%02x", s->flags);
	cr_assert_eq(s->ack, PEER_ISS + 1);
	P.rcv_nxt = s->seq + 1;
	P.ts = (which & O_TS) != 0;
	P.win = (which & O_WS) ? 1024 : 65535;
}

/*
 * After the final ACK of a passive open: the SYN-ACK could offer only
 * 65535 bytes (a SYN's window is never scaled), so with window scaling the
 * stack announces its whole buffer at once; without, nothing more.
 */
static void
expect_scaled_window_update(int which)
{
	struct t_seg s;

	if (which & O_WS) {
		take(&s, "the window update after the handshake");
		cr_assert_eq(s.flags, US_TH_ACK);
		cr_assert_eq(s.len, 0);
		cr_assert_eq(s.ack, P.snd_nxt);
		cr_assert_eq(s.win, 262144 >> 3);
	}
	t_peer_expect_none(&P, "after the final ACK of the handshake");
}

/* A full passive open on ls; returns the accepted socket. */
static struct us_sock *
passive_open(struct us_sock *ls, int which)
{
	struct t_seg s;
	struct us_sock *c;
	int err = 0;

	peer_syn(which, &s);
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	expect_scaled_window_update(which);
	c = us_tcp_accept(ST, ls, &err);
	cr_assert_not_null(c, "accept: %d", err);
	cr_assert_eq(c->tcb->state, US_TCPS_ESTABLISHED);
	return c;
}

/* Deterministic payload. */
static void
fill(uint8_t *b, uint32_t n, uint32_t off)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)((off + i) * 7 + 3);
}

/* ------------------------------------------------------------------ */
/* SYN-SENT: active open                                               */
/* ------------------------------------------------------------------ */

Test(tcp_state, active_open_sends_syn_with_mss_sackok_ts_ws_in_linux_order)
{
	struct us_sock *so = new_sock();
	struct t_seg s;
	static const uint8_t want[] = {
		2, 4, 0x05, 0xb4,	/* MSS 1460 */
		4, 2,			/* SACK permitted */
		8, 10,			/* timestamps: TSval then TSecr 0 */
	};

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, 40000), -EINPROGRESS);
	take(&s, "a SYN");
	cr_assert_eq(s.flags, US_TH_SYN);
	cr_assert_eq(s.ack, 0);
	cr_assert_eq(s.len, 0);
	cr_assert_eq(s.dport, 40000);
	cr_assert_geq(s.sport, 49152);
	cr_assert_eq(s.optlen, 20);
	cr_assert_eq(memcmp(s.opt, want, sizeof(want)), 0);
	cr_assert_eq(us_get32(s.opt + 12), 0, "TSecr of a SYN is 0");
	cr_assert_eq(s.opt[16], 1, "NOP before the window scale");
	cr_assert_eq(s.opt[17], 3);
	cr_assert_eq(s.opt[18], 3);
	/* 256 KiB of receive buffer needs a shift of 3 to be advertised. */
	cr_assert_eq(s.opt[19], 3);
	cr_assert_eq(s.win, 65535, "the window of a SYN is not scaled");
	cr_assert_eq(so->tcb->state, US_TCPS_SYN_SENT);
	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, 40000), -EALREADY);
	cr_assert_eq(ST->stats->tcp.conn_attempt, 1);
	t_peer_expect_none(&P, "after the SYN");
}

Test(tcp_state, syn_ack_establishes_and_is_acked_at_once)
{
	struct us_sock *so = new_sock();
	struct t_seg syn, s;
	uint8_t o[40];
	uint32_t n;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	P.sport = syn.sport;
	P.tsval = 777;
	n = syn_opts(o, O_ALL, syn.tsval);
	P.win = 65535;
	t_peer_xmit(&P, PEER_ISS, syn.seq + 1, US_TH_SYN | US_TH_ACK, NULL, 0, o, n);
	take(&s, "the ACK");
	cr_assert_eq(s.flags, US_TH_ACK);
	cr_assert_eq(s.seq, syn.seq + 1);
	cr_assert_eq(s.ack, PEER_ISS + 1);
	cr_assert(s.has_ts);
	cr_assert_eq(s.tsecr, 777, "the ACK echoes the SYN-ACK's TSval");
	/* Scaled by our shift 3: 256 KiB. */
	cr_assert_eq(s.win, 262144 >> 3);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(so->tcb->t_maxseg, SMSS);
	cr_assert_eq(so->tcb->snd_wscale, 7);
	cr_assert(so->tcb->t_flags & US_TF_SACK_PERMIT);
	cr_assert_eq(ST->stats->tcp.conn_established, 1);
	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EISCONN);
	t_peer_expect_none(&P, "after the handshake");
}

Test(tcp_state, syn_is_retransmitted_with_backoff_then_connect_times_out)
{
	struct us_sock *so = new_sock();
	struct t_seg syn, s;
	/* SYN retransmissions at 1, 3, 7, 15, 31, 63 s: RTO 1 s doubling, 6 retries (Linux). */
	static const uint64_t when[] = { 1, 3, 7, 15, 31, 63 };
	uint64_t t0;
	unsigned i;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	t0 = T.now;
	take(&syn, "a SYN");
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		at(t0 + when[i] * T_S - 1);
		t_peer_expect_none(&P, "before the SYN retransmission");
		at(t0 + when[i] * T_S);
		take(&s, "a retransmitted SYN");
		cr_assert_eq(s.flags, US_TH_SYN);
		cr_assert_eq(s.seq, syn.seq);
		cr_assert_eq(s.optlen, syn.optlen);
	}
	at(t0 + 127 * T_S - 1);
	t_peer_expect_none(&P, "before giving up");
	cr_assert_eq(so->tcb->state, US_TCPS_SYN_SENT);
	at(t0 + 127 * T_S);
	t_peer_expect_none(&P, "giving up sends nothing");
	cr_assert_eq(so->tcb->state, US_TCPS_CLOSED);
	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -ETIMEDOUT);
	cr_assert_eq(ST->stats->tcp.conn_timeout, 1);
	cr_assert_eq(ST->stats->tcp.rexmt_timeout, 7);
	cr_assert_null(lookup4(ST, T_IP_B, syn.sport, T_IP_A, P.port));
}

Test(tcp_state, rst_in_syn_sent_with_acceptable_ack_refuses_the_connection)
{
	struct us_sock *so = new_sock();
	struct t_seg syn;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	P.sport = syn.sport;
	t_peer_xmit(&P, 0, syn.seq + 1, US_TH_RST | US_TH_ACK, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "after the RST");
	cr_assert_eq(so->tcb->state, US_TCPS_CLOSED);
	cr_assert_eq(so->so_error, ECONNREFUSED);
	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -ECONNREFUSED);
	cr_assert_eq(ST->stats->tcp.rx_rst, 1);
	/* Nothing is retransmitted afterwards. */
	at(T.now + 200 * T_S);
	t_peer_expect_none(&P, "after the refusal");
}

Test(tcp_state, rst_in_syn_sent_without_ack_is_ignored)
{
	struct us_sock *so = new_sock();
	struct t_seg syn;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	P.sport = syn.sport;
	/* RFC 9293 3.10.7.3: a RST without an ACK cannot be tied to our SYN. */
	t_peer_xmit(&P, 0, 0, US_TH_RST, NULL, 0, NULL, 0);
	t_peer_xmit(&P, PEER_ISS, 0, US_TH_RST, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "after the RST");
	cr_assert_eq(so->tcb->state, US_TCPS_SYN_SENT);
	cr_assert_eq(so->so_error, 0);
	answer_syn(so, &syn, O_ALL);
}

Test(tcp_state, rst_in_syn_sent_with_unacceptable_ack_is_ignored)
{
	struct us_sock *so = new_sock();
	struct t_seg syn;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	P.sport = syn.sport;
	t_peer_xmit(&P, 0, syn.seq, US_TH_RST | US_TH_ACK, NULL, 0, NULL, 0);
	t_peer_xmit(&P, 0, syn.seq + 2, US_TH_RST | US_TH_ACK, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "a RST is never answered");
	cr_assert_eq(so->tcb->state, US_TCPS_SYN_SENT);
	answer_syn(so, &syn, O_ALL);
}

Test(tcp_state, ack_of_something_never_sent_in_syn_sent_gets_rst)
{
	struct us_sock *so = new_sock();
	struct t_seg syn, s;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	P.sport = syn.sport;
	t_peer_xmit(&P, PEER_ISS, syn.seq + 100, US_TH_ACK, NULL, 0, NULL, 0);
	take(&s, "a RST");
	cr_assert_eq(s.flags, US_TH_RST);
	cr_assert_eq(s.seq, syn.seq + 100, "<SEQ=SEG.ACK><CTL=RST>");
	cr_assert_eq(so->tcb->state, US_TCPS_SYN_SENT);
	answer_syn(so, &syn, O_ALL);
}

Test(tcp_state, simultaneous_open_goes_through_syn_received)
{
	struct us_sock *so = new_sock();
	struct t_seg syn, s;
	uint8_t o[40];
	uint32_t n;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	P.sport = syn.sport;
	/* RFC 9293 figure 8: the peer's own SYN crosses ours. */
	n = syn_opts(o, O_ALL, 0);
	P.win = 65535;
	t_peer_xmit(&P, PEER_ISS, 0, US_TH_SYN, NULL, 0, o, n);
	take(&s, "a SYN-ACK");
	cr_assert_eq(s.flags, US_TH_SYN | US_TH_ACK);
	cr_assert_eq(s.seq, syn.seq, "the same ISS");
	cr_assert_eq(s.ack, PEER_ISS + 1);
	cr_assert_eq(so->tcb->state, US_TCPS_SYN_RECEIVED);
	/* The peer's SYN-ACK: our SYN is acknowledged, theirs repeated. */
	n = syn_opts(o, O_ALL, s.tsval);
	t_peer_xmit(&P, PEER_ISS, syn.seq + 1, US_TH_SYN | US_TH_ACK, NULL, 0, o, n);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(so->tcb->snd_una, syn.seq + 1);
	cr_assert_eq(so->tcb->rcv_nxt, PEER_ISS + 1);
	cr_assert_eq(ST->stats->tcp.conn_established, 1);
	/* At most an ACK of the repeated SYN. */
	while (t_peer_take(&P, &s)) {
		cr_assert_eq(s.flags, US_TH_ACK);
		cr_assert_eq(s.ack, PEER_ISS + 1);
	}
	/* Nothing is retransmitted: the SYN was acknowledged. */
	at(T.now + 10 * T_S);
	t_peer_expect_none(&P, "once established");
}

/* ------------------------------------------------------------------ */
/* LISTEN, SYN-RECEIVED: passive open                                  */
/* ------------------------------------------------------------------ */

Test(tcp_state, syn_gets_syn_ack_and_final_ack_queues_connection_for_accept)
{
	struct us_sock *ls = listener(8), *c;
	struct t_seg s;
	int err = 0;
	static const uint8_t head[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10 };

	P.tsval = 4242;
	peer_syn(O_ALL, &s);
	cr_assert_eq(s.optlen, 20);
	cr_assert_eq(memcmp(s.opt, head, sizeof(head)), 0);
	cr_assert_eq(s.tsecr, 4242, "the SYN-ACK echoes the SYN's TSval");
	cr_assert_eq(s.opt[16], 1);
	cr_assert_eq(s.opt[17], 3);
	cr_assert_eq(s.opt[19], 3);
	cr_assert_eq(s.win, 65535);
	cr_assert_null(us_tcp_accept(ST, ls, &err));
	cr_assert_eq(err, -EAGAIN);
	cr_assert_eq(ls->syn_len, 1);
	cr_assert_eq(conn()->state, US_TCPS_SYN_RECEIVED);
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	expect_scaled_window_update(O_ALL);
	cr_assert_eq(ls->syn_len, 0);
	cr_assert_eq(ls->acc_len, 1);
	c = us_tcp_accept(ST, ls, &err);
	cr_assert_not_null(c);
	cr_assert_eq(c->faddr, T_IP_A);
	cr_assert_eq(c->fport, P.port);
	cr_assert_eq(c->lport, 80);
	cr_assert_eq(c->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(c->tcb->t_maxseg, SMSS);
	cr_assert_eq(ls->acc_len, 0);
	cr_assert_null(us_tcp_accept(ST, ls, &err));
	cr_assert_eq(ST->stats->tcp.conn_accepted, 1);
	cr_assert_eq(ST->stats->tcp.conn_established, 1);
}

Test(tcp_state, retransmitted_syn_in_syn_received_gets_the_syn_ack_again)
{
	struct t_seg s, r;
	uint8_t o[40];
	uint32_t n;

	listener(8);
	peer_syn(O_ALL, &s);
	/* Our SYN-ACK was lost: the peer's SYN comes again. */
	n = syn_opts(o, O_ALL, 0);
	P.ts = 0;
	P.win = 65535;
	t_peer_xmit(&P, PEER_ISS, 0, US_TH_SYN, NULL, 0, o, n);
	take(&r, "the SYN-ACK again, at once");
	cr_assert_eq(r.flags, US_TH_SYN | US_TH_ACK);
	cr_assert_eq(r.seq, s.seq);
	cr_assert_eq(r.ack, PEER_ISS + 1);
	cr_assert_eq(r.optlen, s.optlen);
	t_peer_expect_none(&P, "one SYN-ACK per SYN");
	cr_assert_eq(conn()->state, US_TCPS_SYN_RECEIVED);
}

Test(tcp_state, without_window_scaling_acks_are_not_answered)
{
	struct us_sock *ls = listener(8), *c;
	uint8_t d[100];

	/* The peer offers no window scale: the stack's 256 KiB shows as 65535. */
	c = passive_open(ls, O_MSS | O_SACK | O_TS);
	cr_assert_eq(c->tcb->rcv_wscale, 0);
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "an ACK is not answered");
	fill(d, sizeof(d), 0);
	t_peer_send(&P, US_TH_ACK, d, sizeof(d));
	t_peer_expect_none(&P, "the ACK of data is delayed");
	at(T.now + 40 * T_MS);
	take_ack(P.snd_nxt, "the delayed ACK");
	t_peer_expect_none(&P, "one ACK");
}

Test(tcp_state, syn_without_options_gets_syn_ack_with_mss_only)
{
	struct t_seg s;

	listener(8);
	peer_syn(O_MSS, &s);
	cr_assert_eq(s.mss, 1460);
	cr_assert_eq(s.sack_ok, 0);
	cr_assert_eq(s.has_ts, 0);
	cr_assert_eq(s.wscale, -1);
	cr_assert_eq(conn()->t_maxseg, 1460);
}

Test(tcp_state, full_backlog_answers_syn_with_rst_and_counts_listen_overflow)
{
	struct us_sock *ls = listener(1), *c;
	struct t_seg s;
	int err = 0;

	passive_open(ls, O_ALL);
	cr_assert_eq(us_tcp_accept(ST, ls, &err), NULL);
	/* passive_open accepted the first; fill the queue again without accepting. */
	P.port = 40001;
	peer_syn(O_ALL, &s);
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	expect_scaled_window_update(O_ALL);
	cr_assert_eq(ls->acc_len, 1);
	P.port = 40002;
	P.ts = 0;
	P.win = 65535;
	t_peer_xmit(&P, PEER_ISS, 0, US_TH_SYN, NULL, 0, NULL, 0);
	take(&s, "a RST");
	cr_assert_eq(s.flags, US_TH_RST | US_TH_ACK);
	cr_assert_eq(s.seq, 0);
	cr_assert_eq(s.ack, PEER_ISS + 1);
	cr_assert_eq(ST->stats->tcp.listen_overflow, 1);
	cr_assert_null(conn());
	/* Once the application accepts, the next SYN gets in. */
	c = us_tcp_accept(ST, ls, &err);
	cr_assert_not_null(c);
	P.port = 40003;
	peer_syn(O_ALL, &s);
}

Test(tcp_state, final_ack_when_the_queue_filled_meanwhile_gets_rst)
{
	struct us_sock *ls = listener(1);
	struct t_seg s1, s2, r;
	struct t_peer p1;

	/* Two SYNs while the queue is empty: both get a SYN-ACK. */
	peer_syn(O_ALL, &s1);
	p1 = P;
	P.port = 40001;
	peer_syn(O_ALL, &s2);
	cr_assert_eq(ls->syn_len, 2);
	/* The first completes and fills the queue; the second finds it full. */
	t_peer_send(&p1, US_TH_ACK, NULL, 0);
	expect_scaled_window_update(O_ALL);
	cr_assert_eq(ls->acc_len, 1);
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	take(&r, "a RST");
	cr_assert_eq(r.flags, US_TH_RST);
	cr_assert_eq(r.seq, s2.seq + 1, "<SEQ=SEG.ACK><CTL=RST>");
	t_peer_expect_none(&P, "only the RST");
	cr_assert_null(conn());
	cr_assert_eq(ls->acc_len, 1);
	cr_assert_eq(ls->syn_len, 0);
	cr_assert_eq(ST->stats->tcp.listen_overflow, 1);
}

Test(tcp_state, negative_backlog_counts_as_zero_which_allows_one_connection)
{
	struct us_sock *ls = listener(-5);
	struct t_seg s;

	cr_assert_eq(ls->backlog, 0);
	peer_syn(O_ALL, &s);
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	expect_scaled_window_update(O_ALL);
	cr_assert_eq(ls->acc_len, 1);
	P.port = 40001;
	P.win = 65535;
	t_peer_xmit(&P, PEER_ISS, 0, US_TH_SYN, NULL, 0, NULL, 0);
	take(&s, "a RST");
	cr_assert(s.flags & US_TH_RST);
	cr_assert_eq(ST->stats->tcp.listen_overflow, 1);
}

Test(tcp_state, syn_ack_is_retransmitted_then_half_open_connection_is_forgotten)
{
	struct us_sock *ls = listener(8);
	struct t_seg s, r;
	/* SYN-ACK retransmissions at 1, 3, 7, 15, 31 s; 5 retries as Linux. */
	static const uint64_t when[] = { 1, 3, 7, 15, 31 };
	uint64_t t0 = T.now;
	unsigned i;

	peer_syn(O_ALL, &s);
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		at(t0 + when[i] * T_S - 1);
		t_peer_expect_none(&P, "before the SYN-ACK retransmission");
		at(t0 + when[i] * T_S);
		take(&r, "a retransmitted SYN-ACK");
		cr_assert_eq(r.flags, US_TH_SYN | US_TH_ACK);
		cr_assert_eq(r.seq, s.seq);
	}
	at(t0 + 63 * T_S);
	t_peer_expect_none(&P, "the half-open connection goes quietly");
	cr_assert_null(conn());
	cr_assert_eq(ls->syn_len, 0);
}

Test(tcp_state, rst_in_syn_received_makes_the_listener_forget_the_connection)
{
	struct us_sock *ls = listener(8);
	struct t_seg s;
	int err;

	peer_syn(O_ALL, &s);
	t_peer_xmit(&P, PEER_ISS + 1, 0, US_TH_RST, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "after the RST");
	cr_assert_null(conn());
	cr_assert_eq(ls->syn_len, 0);
	cr_assert_null(us_tcp_accept(ST, ls, &err));
	cr_assert_eq(ST->stats->tcp.rx_rst, 1);
}

Test(tcp_state, segment_to_a_closed_port_gets_rst)
{
	struct t_seg s;

	P.sport = 81;
	t_peer_xmit(&P, PEER_ISS, 0, US_TH_SYN, NULL, 0, NULL, 0);
	take(&s, "a RST for the SYN");
	cr_assert_eq(s.flags, US_TH_RST | US_TH_ACK);
	cr_assert_eq(s.ack, PEER_ISS + 1);
	t_peer_xmit(&P, PEER_ISS, 1234, US_TH_ACK, "x", 1, NULL, 0);
	take(&s, "a RST for the ACK");
	cr_assert_eq(s.flags, US_TH_RST);
	cr_assert_eq(s.seq, 1234);
	t_peer_xmit(&P, PEER_ISS, 1234, US_TH_RST | US_TH_ACK, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "a RST is never answered");
	cr_assert_eq(ST->stats->tcp.rx_noconn, 3);
}

/* ------------------------------------------------------------------ */
/* ESTABLISHED: receiving data, delayed ACK, SACK                      */
/* ------------------------------------------------------------------ */

Test(tcp_state, in_order_data_is_acked_after_the_40_ms_delay)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[100], b[200];

	fill(d, sizeof(d), 0);
	t_peer_send(&P, US_TH_ACK | US_TH_PSH, d, sizeof(d));
	t_peer_expect_none(&P, "the ACK is delayed");
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 100);
	cr_assert_eq(memcmp(b, d, 100), 0);
	t_peer_expect_none(&P, "reading 100 bytes is no window update");
	at(T.now + 40 * T_MS - 1);
	t_peer_expect_none(&P, "before 40 ms");
	at(T.now + 1);
	take_ack(P.snd_nxt, "the delayed ACK");
	cr_assert_eq(ST->stats->tcp.tx_delack, 1);
	at(T.now + 10 * T_S);
	t_peer_expect_none(&P, "one ACK only");
}

Test(tcp_state, every_second_full_segment_is_acked_at_once)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[SMSS];
	int i;

	(void)so;
	fill(d, sizeof(d), 0);
	for (i = 0; i < 3; i++) {
		t_peer_send(&P, US_TH_ACK, d, SMSS);
		t_peer_expect_none(&P, "the first of two segments is not acked yet");
		t_peer_send(&P, US_TH_ACK, d, SMSS);
		take_ack(P.snd_nxt, "the ACK of two full segments");
		t_peer_expect_none(&P, "one ACK for two segments");
	}
	cr_assert_eq(so->tcb->rcv_cc, 6 * SMSS);
}

Test(tcp_state, out_of_order_data_gets_immediate_duplicate_ack_with_sack_blocks)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t base = P.snd_nxt;
	uint8_t d[1000], b[4000];
	struct t_seg s;

	fill(d, sizeof(d), 1000);
	/* Bytes 1000..1999 arrive before 0..999. */
	t_peer_xmit(&P, base + 1000, P.rcv_nxt, US_TH_ACK, d, 1000, NULL, 0);
	take(&s, "a duplicate ACK");
	cr_assert_eq(s.flags, US_TH_ACK);
	cr_assert_eq(s.ack, base);
	cr_assert_eq(s.nsack, 1);
	cr_assert_eq(s.sack[0][0], base + 1000);
	cr_assert_eq(s.sack[0][1], base + 2000);
	/* Timestamps first (NOP NOP TS), then NOP NOP SACK, as Linux lays them out. */
	cr_assert_eq(s.optlen, 12 + 12);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), -EAGAIN);
	cr_assert_eq(ST->stats->tcp.rx_ooo, 1);
	/* A second hole: the newest block is reported first (RFC 2018 4). */
	fill(d, sizeof(d), 3000);
	t_peer_xmit(&P, base + 3000, P.rcv_nxt, US_TH_ACK, d, 1000, NULL, 0);
	take(&s, "a second duplicate ACK");
	cr_assert_eq(s.ack, base);
	cr_assert_eq(s.nsack, 2);
	cr_assert_eq(s.sack[0][0], base + 3000);
	cr_assert_eq(s.sack[0][1], base + 4000);
	cr_assert_eq(s.sack[1][0], base + 1000);
	cr_assert_eq(s.sack[1][1], base + 2000);
	t_peer_expect_none(&P, "one ACK per segment");
}

Test(tcp_state, filling_the_gap_delivers_everything_and_acks_at_once)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t base = P.snd_nxt;
	uint8_t d[1000], b[5000], want[4000];
	struct t_seg s;
	int k;

	fill(want, sizeof(want), 0);
	for (k = 3; k >= 1; k -= 2) {
		t_peer_xmit(&P, base + 1000u * k, P.rcv_nxt, US_TH_ACK, want + 1000 * k, 1000,
			    NULL, 0);
		take(&s, "a duplicate ACK");
		cr_assert_eq(s.ack, base);
	}
	/* The first hole: in order up to 2000, the block above stays. */
	t_peer_xmit(&P, base, P.rcv_nxt, US_TH_ACK, want, 1000, NULL, 0);
	take(&s, "the ACK of the first hole");
	cr_assert_eq(s.ack, base + 2000);
	cr_assert_eq(s.nsack, 1);
	cr_assert_eq(s.sack[0][0], base + 3000);
	/* The last hole: everything, and no SACK block left. */
	memcpy(d, want + 2000, 1000);
	t_peer_xmit(&P, base + 2000, P.rcv_nxt, US_TH_ACK, d, 1000, NULL, 0);
	take(&s, "the ACK of the last hole, without delay");
	cr_assert_eq(s.flags, US_TH_ACK);
	cr_assert_eq(s.ack, base + 4000);
	cr_assert_eq(s.nsack, 0);
	t_peer_expect_none(&P, "one ACK per segment");
	cr_assert_eq(so->tcb->ooo_cc, 0);
	cr_assert_eq(so->tcb->ooo_n, 0);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 4000);
	cr_assert_eq(memcmp(b, want, 4000), 0);
	/* Reading 4000 bytes opened the window by more than two segments: say so. */
	take(&s, "a window update");
	cr_assert_eq(s.ack, base + 4000);
	cr_assert_eq(s.win, 262144 >> 3);
	t_peer_expect_none(&P, "one window update");
}

Test(tcp_state, old_duplicate_data_is_acked_at_once_and_not_delivered_twice)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t base = P.snd_nxt;
	uint8_t d[500], b[2000];

	fill(d, sizeof(d), 0);
	t_peer_send(&P, US_TH_ACK, d, 500);
	t_peer_xmit(&P, base, P.rcv_nxt, US_TH_ACK, d, 500, NULL, 0);
	take_ack(base + 500, "an immediate ACK of the duplicate");
	t_peer_expect_none(&P, "one ACK");
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 500);
	cr_assert_eq(ST->stats->tcp.rx_dupdata, 1);
}

Test(tcp_state, segment_overlapping_rcv_nxt_delivers_only_the_new_bytes)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t base = P.snd_nxt;
	uint8_t want[800], b[2000];

	fill(want, sizeof(want), 0);
	t_peer_send(&P, US_TH_ACK, want, 500);
	/* 300..799 again as 200..799. */
	t_peer_xmit(&P, base + 200, P.rcv_nxt, US_TH_ACK, want + 200, 600, NULL, 0);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 800);
	cr_assert_eq(memcmp(b, want, 800), 0);
}

/* ------------------------------------------------------------------ */
/* Closing: CLOSE_WAIT, LAST_ACK, FIN_WAIT_1/2, CLOSING, TIME_WAIT     */
/* ------------------------------------------------------------------ */

Test(tcp_state, fin_in_established_is_acked_at_once_and_moves_to_close_wait)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[10] = "0123456789", b[64];

	t_peer_send(&P, US_TH_ACK | US_TH_FIN, d, 10);
	take_ack(P.snd_nxt, "the ACK of the FIN");
	cr_assert_eq(so->tcb->state, US_TCPS_CLOSE_WAIT);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 10);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 0, "end of stream");
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 0, "end of stream stays");
	/* Data can still go the other way. */
	cr_assert_eq(us_tcp_send(ST, so, "abc", 3, 0), 3);
	{
		struct t_seg s;

		take(&s, "data in CLOSE_WAIT");
		cr_assert_eq(s.len, 3);
		cr_assert_eq(s.ack, P.snd_nxt);
	}
}

Test(tcp_state, close_in_close_wait_sends_fin_and_its_ack_ends_last_ack)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s, r;
	uint64_t t0;

	t_peer_send(&P, US_TH_ACK | US_TH_FIN, NULL, 0);
	take_ack(P.snd_nxt, "the ACK of the FIN");
	us_sock_close(ST, so);
	take(&s, "our FIN");
	cr_assert_eq(s.flags, US_TH_FIN | US_TH_ACK);
	cr_assert_eq(s.seq, P.rcv_nxt);
	cr_assert_eq(conn()->state, US_TCPS_LAST_ACK);
	/* Unacknowledged, the FIN is retransmitted at the RTO (the 200 ms floor here). */
	t0 = T.now;
	at(t0 + 200 * T_MS - 1);
	t_peer_expect_none(&P, "before the RTO");
	at(t0 + 200 * T_MS);
	take(&r, "the FIN again");
	cr_assert_eq(r.flags, US_TH_FIN | US_TH_ACK);
	cr_assert_eq(r.seq, s.seq);
	P.rcv_nxt++;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "the last ACK is not answered");
	cr_assert_null(conn(), "the connection is gone after LAST_ACK");
}

Test(tcp_state, active_close_goes_fin_wait_1_then_fin_wait_2_then_time_wait_for_60_s)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint64_t t0;

	us_sock_close(ST, so);
	take(&s, "our FIN");
	cr_assert_eq(s.flags, US_TH_FIN | US_TH_ACK);
	cr_assert_eq(conn()->state, US_TCPS_FIN_WAIT_1);
	P.rcv_nxt++;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "the ACK of our FIN is not answered");
	cr_assert_eq(conn()->state, US_TCPS_FIN_WAIT_2);
	t_peer_send(&P, US_TH_ACK | US_TH_FIN, NULL, 0);
	take_ack(P.snd_nxt, "the ACK of the peer's FIN");
	cr_assert_eq(conn()->state, US_TCPS_TIME_WAIT);
	t0 = T.now;
	at(t0 + 60 * T_S - 1);
	cr_assert_not_null(conn());
	cr_assert_eq(conn()->state, US_TCPS_TIME_WAIT);
	at(t0 + 60 * T_S);
	cr_assert_null(conn(), "TIME_WAIT ends after 2 MSL");
	t_peer_expect_none(&P, "TIME_WAIT ends quietly");
}

Test(tcp_state, fin_wait_2_of_a_closed_socket_gives_up_after_60_s)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint64_t t0;

	us_sock_close(ST, so);
	take(&s, "our FIN");
	P.rcv_nxt++;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	cr_assert_eq(conn()->state, US_TCPS_FIN_WAIT_2);
	t0 = T.now;
	at(t0 + 60 * T_S - 1);
	cr_assert_not_null(conn());
	at(t0 + 60 * T_S);
	cr_assert_null(conn());
}

Test(tcp_state, time_wait_reacks_a_retransmitted_fin_and_restarts_2msl)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint64_t t1;

	us_sock_close(ST, so);
	take(&s, "our FIN");
	P.rcv_nxt++;
	t_peer_send(&P, US_TH_ACK | US_TH_FIN, NULL, 0);
	take_ack(P.snd_nxt, "the ACK of the peer's FIN");
	cr_assert_eq(conn()->state, US_TCPS_TIME_WAIT);
	at(T.now + 30 * T_S);
	/* Our ACK was lost: the peer's FIN comes again. */
	t_peer_xmit(&P, P.snd_nxt - 1, P.rcv_nxt, US_TH_ACK | US_TH_FIN, NULL, 0, NULL, 0);
	take_ack(P.snd_nxt, "the FIN acknowledged again");
	t1 = T.now;
	at(t1 + 60 * T_S - 1);
	cr_assert_not_null(conn(), "2 MSL restarted from the retransmitted FIN");
	at(t1 + 60 * T_S);
	cr_assert_null(conn());
}

Test(tcp_state, simultaneous_close_goes_through_closing_to_time_wait)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;

	us_sock_close(ST, so);
	take(&s, "our FIN");
	cr_assert_eq(conn()->state, US_TCPS_FIN_WAIT_1);
	/* The peer's FIN crosses ours: it does not acknowledge our FIN. */
	t_peer_send(&P, US_TH_ACK | US_TH_FIN, NULL, 0);
	take(&s, "the ACK of the peer's FIN");
	cr_assert_eq(s.flags & (US_TH_ACK | US_TH_RST | US_TH_SYN), US_TH_ACK);
	cr_assert_eq(s.ack, P.snd_nxt);
	cr_assert_eq(conn()->state, US_TCPS_CLOSING);
	P.rcv_nxt++;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "the ACK of our FIN is not answered");
	cr_assert_eq(conn()->state, US_TCPS_TIME_WAIT);
	at(T.now + 60 * T_S);
	cr_assert_null(conn());
}

Test(tcp_state, shutdown_write_sends_fin_after_queued_data)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;

	cr_assert_eq(us_tcp_send(ST, so, "hello", 5, 1), 5);
	cr_assert_eq(us_tcp_shutdown(ST, so, 1), 0);
	take(&s, "data with the FIN");
	cr_assert_eq(s.len, 5);
	cr_assert(s.flags & US_TH_FIN);
	cr_assert_eq(so->tcb->state, US_TCPS_FIN_WAIT_1);
	cr_assert_eq(us_tcp_send(ST, so, "x", 1, 0), -EPIPE);
}

Test(tcp_state, close_with_unread_data_sends_rst)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint32_t nxt = so->tcb->snd_nxt;

	t_peer_send(&P, US_TH_ACK, "unread", 6);
	us_sock_close(ST, so);
	take(&s, "a RST");
	cr_assert(s.flags & US_TH_RST);
	cr_assert_eq(s.flags & (US_TH_FIN | US_TH_SYN), 0);
	cr_assert_eq(s.seq, nxt);
	t_peer_expect_none(&P, "only the RST");
	cr_assert_null(conn());
	cr_assert_eq(ST->stats->tcp.tx_rst, 1);
}

Test(tcp_state, close_with_so_linger_zero_sends_rst)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint32_t nxt = so->tcb->snd_nxt;

	so->linger = 0;
	us_sock_close(ST, so);
	take(&s, "a RST");
	cr_assert(s.flags & US_TH_RST);
	cr_assert_eq(s.flags & US_TH_FIN, 0);
	cr_assert_eq(s.seq, nxt);
	t_peer_expect_none(&P, "no FIN after the RST");
	cr_assert_null(conn());
	at(T.now + 10 * T_S);
	t_peer_expect_none(&P, "nothing later either");
}

/* ------------------------------------------------------------------ */
/* RFC 5961: blind RST, SYN and ACK injection                          */
/* ------------------------------------------------------------------ */

Test(tcp_state, rst_in_window_but_not_at_rcv_nxt_gets_challenge_ack)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;

	t_peer_xmit(&P, P.snd_nxt + 100, 0, US_TH_RST, NULL, 0, NULL, 0);
	take(&s, "a challenge ACK");
	cr_assert_eq(s.flags, US_TH_ACK);
	cr_assert_eq(s.seq, so->tcb->snd_nxt);
	cr_assert_eq(s.ack, P.snd_nxt);
	t_peer_expect_none(&P, "one challenge ACK");
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(so->so_error, 0);
	cr_assert_eq(ST->stats->tcp.rx_rst_bad, 1);
	cr_assert_eq(ST->stats->tcp.tx_challenge, 1);
}

Test(tcp_state, challenge_acks_are_limited_to_100_per_second)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	int i, n = 0;

	at((T.now / T_S + 1) * T_S);	/* at the start of a second */
	for (i = 0; i < 150; i++) {
		t_peer_xmit(&P, P.snd_nxt + 1 + (uint32_t)i, 0, US_TH_RST, NULL, 0, NULL, 0);
		while (t_peer_take(&P, &s)) {
			cr_assert_eq(s.flags, US_TH_ACK);
			n++;
		}
	}
	cr_assert_eq(n, 100);
	cr_assert_eq(ST->stats->tcp.tx_challenge, 100);
	cr_assert_eq(ST->stats->tcp.tx_challenge_limited, 50);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	/* A new second, a new allowance. */
	at(T.now + T_S);
	t_peer_xmit(&P, P.snd_nxt + 1, 0, US_TH_RST, NULL, 0, NULL, 0);
	take(&s, "a challenge ACK in the next second");
	cr_assert_eq(ST->stats->tcp.tx_challenge, 101);
}

Test(tcp_state, rst_exactly_at_rcv_nxt_resets_the_connection)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t b[16];

	t_peer_xmit(&P, P.snd_nxt, 0, US_TH_RST, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "a RST is never answered");
	cr_assert_eq(so->tcb->state, US_TCPS_CLOSED);
	cr_assert_null(conn());
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), -ECONNRESET);
	cr_assert_eq(ST->stats->tcp.rx_rst, 1);
	cr_assert_eq(ST->stats->tcp.conn_reset, 1);
}

Test(tcp_state, rst_outside_the_window_is_dropped_without_answer)
{
	struct us_sock *so = active_open(O_ALL);

	t_peer_xmit(&P, P.snd_nxt + 100000000u, 0, US_TH_RST, NULL, 0, NULL, 0);
	t_peer_xmit(&P, P.snd_nxt - 1, 0, US_TH_RST, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "no answer to an out-of-window RST");
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(ST->stats->tcp.rx_rst_bad, 2);
}

/*
 * A bare ACK outside the window gets a duplicate ACK at most every 500 ms
 * (Linux's tcp_invalid_ratelimit), so two stacks that disagree cannot
 * ping-pong ACKs; old data is answered every time (its sender lost our ACK).
 */
Test(tcp_state, acks_to_out_of_window_acks_are_rate_limited_but_not_to_old_data)
{
	struct us_sock *so = active_open(O_ALL);
	int i;

	t_peer_xmit(&P, P.snd_nxt + 100000000u, P.rcv_nxt, US_TH_ACK, NULL, 0, NULL, 0);
	take_ack(P.snd_nxt, "the first answer");
	for (i = 0; i < 5; i++)
		t_peer_xmit(&P, P.snd_nxt + 100000000u, P.rcv_nxt, US_TH_ACK, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "no more within 500 ms");
	cr_assert_eq(ST->stats->tcp.tx_oow_limited, 5);
	for (i = 0; i < 3; i++) {
		t_peer_xmit(&P, P.snd_nxt - 10, P.rcv_nxt, US_TH_ACK, "0123456789", 10, NULL, 0);
		take_ack(P.snd_nxt, "an ACK for each old data segment");
	}
	at(T.now + 499 * T_MS);
	t_peer_xmit(&P, P.snd_nxt + 100000000u, P.rcv_nxt, US_TH_ACK, NULL, 0, NULL, 0);
	t_peer_expect_none(&P, "still within 500 ms");
	at(T.now + 1 * T_MS);
	t_peer_xmit(&P, P.snd_nxt + 100000000u, P.rcv_nxt, US_TH_ACK, NULL, 0, NULL, 0);
	take_ack(P.snd_nxt, "500 ms later, one more");
	cr_assert_eq(ST->stats->tcp.tx_oow_limited, 6);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
}

Test(tcp_state, syn_in_established_gets_challenge_ack)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint8_t o[40];
	uint32_t n = syn_opts(o, O_ALL, 0);

	/* In window and exactly at rcv_nxt: RFC 5961 4.2 says challenge, whatever the sequence. */
	t_peer_xmit(&P, P.snd_nxt, 0, US_TH_SYN, NULL, 0, o, n);
	take(&s, "a challenge ACK");
	cr_assert_eq(s.flags, US_TH_ACK);
	cr_assert_eq(s.ack, P.snd_nxt);
	t_peer_xmit(&P, P.snd_nxt + 1000, 0, US_TH_SYN, NULL, 0, o, n);
	take(&s, "a challenge ACK");
	cr_assert_eq(s.flags, US_TH_ACK);
	cr_assert_eq(s.ack, P.snd_nxt);
	t_peer_expect_none(&P, "one ACK per SYN");
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(so->tcb->rcv_nxt, P.snd_nxt);
	cr_assert_eq(ST->stats->tcp.rx_syn_inwin, 2);
	cr_assert_eq(ST->stats->tcp.tx_challenge, 2);
}

Test(tcp_state, ack_for_data_never_sent_is_answered_with_ack_and_dropped)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t b[64];

	t_peer_xmit(&P, P.snd_nxt, P.rcv_nxt + 1000, US_TH_ACK, "evil", 4, NULL, 0);
	take_ack(P.snd_nxt, "an ACK that does not take the data");
	t_peer_expect_none(&P, "one ACK");
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), -EAGAIN);
	cr_assert_eq(so->tcb->snd_una, P.rcv_nxt);
	cr_assert_eq(ST->stats->tcp.rx_ackfuture, 1);
	/* The same bytes with a good ACK are taken. */
	t_peer_send(&P, US_TH_ACK, "good", 4);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 4);
	cr_assert_eq(memcmp(b, "good", 4), 0);
}

Test(tcp_state, ack_far_below_snd_una_gets_challenge_ack)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;

	(void)so;
	/* RFC 5961 5.2: below SND.UNA - MAX.SND.WND is a blind injection. */
	t_peer_xmit(&P, P.snd_nxt, P.rcv_nxt - 10000000u, US_TH_ACK, "x", 1, NULL, 0);
	take(&s, "a challenge ACK");
	cr_assert_eq(s.ack, P.snd_nxt, "the byte is not taken");
	cr_assert_eq(ST->stats->tcp.tx_challenge, 1);
}

/* ------------------------------------------------------------------ */
/* PAWS (RFC 7323 5)                                                   */
/* ------------------------------------------------------------------ */

Test(tcp_state, paws_drops_a_segment_with_an_old_timestamp)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t b[64];
	struct t_seg s;

	P.tsval = 2000;
	t_peer_send(&P, US_TH_ACK | US_TH_PSH, "new", 3);
	cr_assert_eq(so->tcb->ts_recent, 2000);
	/* An old duplicate from an earlier incarnation: TSval went back. */
	P.tsval = 1500;
	t_peer_xmit(&P, P.snd_nxt, P.rcv_nxt, US_TH_ACK, "old", 3, NULL, 0);
	take(&s, "an ACK for the PAWS drop");
	cr_assert_eq(s.flags, US_TH_ACK);
	cr_assert_eq(s.ack, P.snd_nxt, "the old segment is not taken");
	cr_assert_eq(s.tsecr, 2000);
	cr_assert_eq(ST->stats->tcp.rx_paws, 1);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 3);
	cr_assert_eq(memcmp(b, "new", 3), 0);
	/* A RST is never dropped by PAWS. */
	t_peer_xmit(&P, P.snd_nxt, 0, US_TH_RST, NULL, 0, NULL, 0);
	cr_assert_eq(so->tcb->state, US_TCPS_CLOSED);
}

/* ------------------------------------------------------------------ */
/* Zero window: persist                                                */
/* ------------------------------------------------------------------ */

Test(tcp_state, zero_window_holds_data_and_sends_persist_probes_with_backoff)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t una = so->tcb->snd_una;
	uint8_t d[100];
	struct t_seg s;
	uint64_t t, gap = 200 * T_MS;
	int i;

	fill(d, sizeof(d), 0);
	P.win = 0;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	cr_assert_eq(so->tcb->snd_wnd, 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), 100);
	t_peer_expect_none(&P, "nothing goes into a zero window");
	/* Probes after 200 ms (the RTO floor), then doubling. */
	t = T.now;
	for (i = 0; i < 8; i++) {
		t += gap;
		at(t - 1);
		t_peer_expect_none(&P, "before the probe");
		at(t);
		take(&s, "a window probe");
		cr_assert_eq(s.flags & (US_TH_SYN | US_TH_FIN | US_TH_RST), 0);
		cr_assert(s.len <= 1, "a probe carries at most one byte");
		if (s.len == 1) {
			cr_assert_eq(s.seq, una, "the probe byte is the first unacknowledged one");
			cr_assert_eq(s.data[0], d[0]);
		} else {
			cr_assert_eq(s.seq, una - 1);
		}
		t_peer_expect_none(&P, "one probe at a time");
		/* The window is still closed: the peer refuses the byte. */
		t_peer_send(&P, US_TH_ACK, NULL, 0);
		t_peer_expect_none(&P, "the answer to a probe is not a duplicate ACK");
		gap *= 2;
	}
	cr_assert_eq(ST->stats->tcp.tx_probe, 8);
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 0);
	cr_assert_eq(ST->stats->tcp.rexmt_timeout, 0);
	cr_assert_eq(so->tcb->snd_una, una);
}

Test(tcp_state, persist_backoff_is_capped_at_60_s)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint64_t last = 0;
	int i;

	P.win = 0;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	cr_assert_eq(us_tcp_send(ST, so, "z", 1, 0), 1);
	for (i = 0; i < 14; i++) {
		uint64_t d = us_tcp_timer_when(ST, so->tcb, US_TCPT_PERSIST);

		cr_assert_neq(d, 0, "the persist timer runs");
		at(d);
		take(&s, "a window probe");
		if (last != 0)
			cr_assert_leq(T.now - last, 60 * T_S);
		last = T.now;
		t_peer_send(&P, US_TH_ACK, NULL, 0);
	}
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED, "a closed window is no reason to give up");
}

Test(tcp_state, window_update_reopens_the_window_and_sends_the_held_data)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t una = so->tcb->snd_una;
	uint8_t d[3000];
	struct t_seg s;
	uint32_t got = 0;

	fill(d, sizeof(d), 0);
	P.win = 0;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), 3000);
	t_peer_expect_none(&P, "nothing goes into a zero window");
	/* Three probes, each refused. */
	at(T.now + 200 * T_MS);
	take(&s, "probe 1");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	at(T.now + 400 * T_MS);
	take(&s, "probe 2");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	at(T.now + 800 * T_MS);
	take(&s, "probe 3");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "three refused probes are no loss signal");
	/* The window opens: everything goes at once, from the first unacknowledged byte. */
	P.win = 1024;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	while (t_peer_take(&P, &s)) {
		cr_assert_eq(s.seq, una + got, "data in order from snd_una");
		cr_assert_eq(memcmp(s.data, d + got, s.len), 0);
		got += s.len;
	}
	/* Two full segments; Nagle holds the 104-byte tail until they are acknowledged. */
	cr_assert_eq(got, 2 * SMSS);
	P.rcv_nxt = una + got;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	take(&s, "the tail");
	cr_assert_eq(s.seq, una + got);
	cr_assert_eq(s.len, 3000 - 2 * SMSS);
	P.rcv_nxt = una + 3000;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	at(T.now + 10 * T_S);
	t_peer_expect_none(&P, "all acknowledged: nothing more");
	cr_assert_eq(so->tcb->snd_una, una + 3000);
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 0);
	cr_assert_eq(ST->stats->tcp.rexmt_timeout, 0);
	cr_assert_eq(us_tcp_timer_when(ST, so->tcb, US_TCPT_PERSIST), 0);
}

Test(tcp_state, window_closing_with_data_in_flight_turns_to_probes_not_to_a_timeout)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t una = so->tcb->snd_una, got = 0;
	uint8_t d[3 * SMSS];
	struct t_seg s;
	int i;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 3; i++)
		take(&s, "a data segment");
	/* The peer took the first segment, then its buffer was full: window 0. */
	P.rcv_nxt = una + SMSS;
	P.win = 0;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "nothing goes into a closed window");
	/* Far longer than the retransmission limit: probes, answered, never a timeout. */
	for (i = 0; i < 30; i++) {
		uint64_t t = us_tcp_timer_when(ST, so->tcb, US_TCPT_PERSIST);

		cr_assert_neq(t, 0, "probing, not retransmitting");
		at(t);
		take(&s, "a window probe");
		cr_assert_leq(s.len, 1);
		if (s.len == 1)
			cr_assert_eq(s.seq, una + SMSS, "the first refused byte");
		t_peer_expect_none(&P, "one probe");
		t_peer_send(&P, US_TH_ACK, NULL, 0);
		t_peer_expect_none(&P, "the answer is not a duplicate ACK");
	}
	cr_assert_geq(T.now, 1000 * T_S + 925 * T_S);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(ST->stats->tcp.conn_timeout, 0);
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 0);
	/* The window opens: segments 2 and 3 go again, from the first refused byte. */
	P.win = 1024;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	while (t_peer_take(&P, &s)) {
		cr_assert_eq(s.seq, una + SMSS + got);
		cr_assert_eq(memcmp(s.data, d + SMSS + got, s.len), 0);
		got += s.len;
	}
	cr_assert_eq(got, 2 * SMSS);
}

/* ------------------------------------------------------------------ */
/* Keepalive (RFC 1122 4.2.3.6)                                        */
/* ------------------------------------------------------------------ */

static struct us_sock *
keepalive_open(void)
{
	struct us_sock *so = new_sock();
	struct t_seg syn;

	so->tcb->t_flags |= US_TF_KEEPALIVE;
	so->tcb->t_keepidle = 10;
	so->tcb->t_keepintvl = 2;
	so->tcb->t_keepmax = 3;
	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	answer_syn(so, &syn, O_ALL);
	return so;
}

Test(tcp_state, keepalive_probes_an_idle_peer_then_times_out)
{
	struct us_sock *so = keepalive_open();
	uint32_t una = so->tcb->snd_una;
	struct t_seg s;
	uint64_t t0 = T.now;
	static const uint64_t when[] = { 10, 12, 14 };
	unsigned i;
	uint8_t b[4];

	for (i = 0; i < 3; i++) {
		at(t0 + when[i] * T_S - 1);
		t_peer_expect_none(&P, "before the keepalive");
		at(t0 + when[i] * T_S);
		take(&s, "a keepalive probe");
		cr_assert_eq(s.flags, US_TH_ACK);
		cr_assert_eq(s.seq, una - 1, "an old sequence number forces an answer");
		cr_assert_eq(s.len, 0);
		cr_assert_eq(s.ack, P.snd_nxt);
	}
	at(t0 + 16 * T_S - 1);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	at(t0 + 16 * T_S);
	while (t_peer_take(&P, &s))
		cr_assert(s.flags & US_TH_RST, "only a RST may follow the last probe");
	cr_assert_eq(so->tcb->state, US_TCPS_CLOSED);
	cr_assert_eq(so->so_error, ETIMEDOUT);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), -ETIMEDOUT);
	cr_assert_eq(ST->stats->tcp.tx_keepalive, 3);
	cr_assert_eq(ST->stats->tcp.conn_keepdrop, 1);
}

Test(tcp_state, answered_keepalive_restarts_the_idle_time)
{
	struct us_sock *so = keepalive_open();
	struct t_seg s;
	uint64_t t0 = T.now;

	at(t0 + 10 * T_S);
	take(&s, "a keepalive probe");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "the answer is not answered");
	at(t0 + 20 * T_S - 1);
	t_peer_expect_none(&P, "idle again for 10 s");
	at(t0 + 20 * T_S);
	take(&s, "the next keepalive probe");
	cr_assert_eq(so->tcb->t_keepcnt, 1);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
}

Test(tcp_state, traffic_postpones_keepalive)
{
	struct us_sock *so = keepalive_open();
	struct t_seg s;
	uint64_t t0 = T.now;

	(void)so;
	at(t0 + 7 * T_S);
	t_peer_send(&P, US_TH_ACK | US_TH_PSH, "hi", 2);
	at(t0 + 10 * T_S);
	while (t_peer_take(&P, &s))
		cr_assert_eq(s.len, 0);
	cr_assert_eq(ST->stats->tcp.tx_keepalive, 0, "the peer spoke 3 s ago");
	at(t0 + 17 * T_S);
	take(&s, "a keepalive probe 10 s after the last segment");
	cr_assert_eq(ST->stats->tcp.tx_keepalive, 1);
}

/* ------------------------------------------------------------------ */
/* Retransmission (RFC 6298), fast retransmit (RFC 5681 3.2)            */
/* ------------------------------------------------------------------ */

/* Sends len bytes from the stack and takes the segment; returns its sequence number. */
static uint32_t
stack_sends(struct us_sock *so, uint32_t len)
{
	uint8_t d[SMSS];
	struct t_seg s;

	cr_assert_leq(len, SMSS);
	fill(d, len, 0);
	cr_assert_eq(us_tcp_send(ST, so, d, len, 0), (ssize_t)len);
	take(&s, "data");
	cr_assert_eq(s.len, len);
	return s.seq;
}

/* Expects the retransmission of seq (len bytes) exactly delay from now, not before. */
static void
expect_rexmt(uint32_t seq, uint32_t len, uint64_t delay)
{
	struct t_seg s;
	uint64_t t = T.now + delay;

	at(t - 1);
	t_peer_expect_none(&P, "before the RTO");
	at(t);
	take(&s, "a retransmission");
	cr_assert_eq(s.seq, seq);
	cr_assert_eq(s.len, len);
	t_peer_expect_none(&P, "one segment per timeout");
}

/*
 * Timer deadlines are 32-bit milliseconds of stack time: they must keep
 * working when that count wraps, 49.7 days after the clock's zero.
 */
Test(tcp_state, timers_keep_working_across_the_millisecond_wrap)
{
	struct us_sock *ls, *c;
	uint32_t seq;

	at(4294967296ull * T_MS - 2500 * T_MS);
	ls = listener(8);
	c = passive_open(ls, O_MSS);
	seq = stack_sends(c, 100);
	expect_rexmt(seq, 100, 1 * T_S);
	expect_rexmt(seq, 100, 2 * T_S);	/* this deadline lies past the wrap */
	expect_rexmt(seq, 100, 4 * T_S);
	cr_assert_gt(T.now, 4294967296ull * T_MS);
}

/*
 * RFC 7323 5.4 offsets hide uptime but follow the host pair, from a secret
 * every stack of this boot shares: a second process's TSvals continue the
 * first's, so the peer's TIME_WAIT takes its SYN (RFC 6191).
 */
Test(tcp_state, timestamp_offsets_follow_the_host_pair_in_every_stack_of_a_boot)
{
	struct t_one other;

	t_one_init(&other);
	cr_assert_eq(ts_offset4(ST, T_IP_B, T_IP_A), ts_offset4(other.n.st, T_IP_B, T_IP_A));
	cr_assert_neq(ts_offset4(ST, T_IP_B, T_IP_A), ts_offset4(ST, T_IP_B, T_IP_A + 1));
	cr_assert_neq(ts_offset4(ST, T_IP_B, T_IP_A), 0);
	t_one_fini(&other);
}

Test(tcp_state, rto_is_1_s_before_any_rtt_sample)
{
	struct us_sock *ls = listener(8), *c;
	uint32_t seq;

	/* No timestamps and a passive open: nothing has been timed yet. */
	c = passive_open(ls, O_MSS);
	cr_assert_eq(c->tcb->t_srtt, 0);
	seq = stack_sends(c, 100);
	expect_rexmt(seq, 100, 1 * T_S);
	expect_rexmt(seq, 100, 2 * T_S);
	expect_rexmt(seq, 100, 4 * T_S);
	cr_assert_eq(ST->stats->tcp.rexmt_timeout, 3);
}

Test(tcp_state, rto_comes_from_the_measured_rtt)
{
	struct us_sock *ls = listener(8), *c;
	uint32_t seq;

	c = passive_open(ls, O_MSS);
	seq = stack_sends(c, 100);
	/* The peer answers after 300 ms: SRTT 300 ms, RTTVAR 150 ms, RTO 900 ms. */
	at(T.now + 300 * T_MS);
	P.rcv_nxt = seq + 100;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	cr_assert_eq(c->tcb->t_srtt, 300000);
	cr_assert_eq(c->tcb->t_rto, 900000);
	seq = stack_sends(c, 100);
	expect_rexmt(seq, 100, 900 * T_MS);
	expect_rexmt(seq, 100, 1800 * T_MS);
}

Test(tcp_state, rto_has_a_200_ms_floor)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t seq;

	/* The handshake took no time at all on the loop. */
	cr_assert_eq(so->tcb->t_rto, 200000);
	seq = stack_sends(so, 100);
	expect_rexmt(seq, 100, 200 * T_MS);
	expect_rexmt(seq, 100, 400 * T_MS);
}

Test(tcp_state, retransmissions_back_off_to_120_s_and_give_up_after_15_with_etimedout)
{
	struct us_sock *so = active_open(O_ALL);
	uint64_t d = 200 * T_MS, t0;
	uint32_t seq;
	uint8_t b[4];
	int i;

	seq = stack_sends(so, 100);
	t0 = T.now;
	for (i = 0; i < 15; i++) {
		expect_rexmt(seq, 100, d);
		d = d * 2 > 120 * T_S ? 120 * T_S : d * 2;
	}
	/* Linux's tcp_retries2 = 15 with a 200 ms RTO: 924.6 s in all. */
	at(T.now + d - 1);
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	at(T.now + 1);
	cr_assert_eq(T.now - t0, 924600 * T_MS);
	while (t_peer_take(&P, &(struct t_seg){ 0 }))
		;
	cr_assert_eq(so->tcb->state, US_TCPS_CLOSED);
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), -ETIMEDOUT);
	cr_assert_eq(ST->stats->tcp.conn_timeout, 1);
	cr_assert_eq(ST->stats->tcp.rexmt_timeout, 16);
}

Test(tcp_state, ack_of_the_retransmission_stops_the_timer)
{
	struct us_sock *so = active_open(O_ALL);
	uint32_t seq = stack_sends(so, 100);

	expect_rexmt(seq, 100, 200 * T_MS);
	P.rcv_nxt = seq + 100;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	cr_assert_eq(us_tcp_timer_when(ST, so->tcb, US_TCPT_REXMT), 0);
	at(T.now + 100 * T_S);
	t_peer_expect_none(&P, "all acknowledged");
}

Test(tcp_state, three_duplicate_acks_trigger_fast_retransmit)
{
	struct us_sock *so = active_open(O_MSS | O_TS | O_WS);	/* no SACK: NewReno alone */
	uint8_t d[5 * SMSS];
	struct t_seg s;
	uint32_t una = so->tcb->snd_una;
	int i;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 5; i++) {
		take(&s, "a data segment");
		cr_assert_eq(s.seq, una + (uint32_t)i * SMSS);
		cr_assert_eq(s.len, SMSS);
	}
	/* Segment 2 was lost: one new ACK, then a duplicate for each of 3, 4 and 5. */
	P.rcv_nxt = una + SMSS;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "nothing new to send");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "one duplicate ACK is not a loss");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "two duplicate ACKs are not a loss");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	take(&s, "the fast retransmission");
	cr_assert_eq(s.seq, una + SMSS);
	cr_assert_eq(s.len, SMSS);
	cr_assert_eq(memcmp(s.data, d + SMSS, SMSS), 0);
	t_peer_expect_none(&P, "only the lost segment");
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 1);
	cr_assert(so->tcb->t_flags & US_TF_FASTRECOVERY);
	/* The full ACK ends recovery with cwnd at ssthresh or the flight. */
	P.rcv_nxt = una + 5 * SMSS;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	cr_assert_eq(so->tcb->t_flags & US_TF_FASTRECOVERY, 0);
	cr_assert_eq(so->tcb->snd_una, una + 5 * SMSS);
	cr_assert_eq(ST->stats->tcp.rexmt_timeout, 0);
}

Test(tcp_state, with_sack_duplicate_acks_without_new_sack_blocks_are_no_loss)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[5 * SMSS];
	struct t_seg s;
	uint32_t una = so->tcb->snd_una;
	int i;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 5; i++)
		take(&s, "a data segment");
	/* Duplicated segments or ACKs: the same ACK again and again, nothing SACKed. */
	P.rcv_nxt = una + SMSS;
	for (i = 0; i < 6; i++)
		t_peer_send(&P, US_TH_ACK, NULL, 0);
	t_peer_expect_none(&P, "RFC 6675 2: no SACK news, no duplicate ACK");
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 0);
	cr_assert_eq(ST->stats->tcp.rx_dupack, 0);
}

Test(tcp_state, limited_transmit_sends_new_data_on_the_first_two_duplicate_acks)
{
	struct us_sock *so = active_open(O_MSS | O_TS | O_WS);
	uint8_t d[12 * SMSS];
	struct t_seg s;
	uint32_t una = so->tcb->snd_una;
	int i;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	/* The initial window: 10 segments. */
	for (i = 0; i < 10; i++)
		take(&s, "a data segment");
	t_peer_expect_none(&P, "cwnd is full");
	/* Segment 1 lost: each duplicate lets one new segment out (RFC 3042). */
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	take(&s, "segment 11 on the first duplicate");
	cr_assert_eq(s.seq, una + 10 * SMSS);
	t_peer_expect_none(&P, "one per duplicate");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	take(&s, "segment 12 on the second duplicate");
	cr_assert_eq(s.seq, una + 11 * SMSS);
	t_peer_expect_none(&P, "one per duplicate");
	cr_assert_eq(so->tcb->snd_cwnd, 10 * SMSS, "cwnd itself is unchanged");
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	take(&s, "the fast retransmission on the third");
	cr_assert_eq(s.seq, una);
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 1);
}

Test(tcp_state, without_sack_an_ack_that_changes_the_window_is_no_duplicate)
{
	struct us_sock *so = active_open(O_MSS | O_TS | O_WS);
	uint8_t d[5 * SMSS];
	struct t_seg s;
	int i;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 5; i++)
		take(&s, "a data segment");
	for (i = 0; i < 4; i++) {
		P.win = (uint16_t)(1023 - i);	/* RFC 5681 2 (e): a window update */
		t_peer_send(&P, US_TH_ACK, NULL, 0);
	}
	t_peer_expect_none(&P, "window updates are not duplicate ACKs");
	cr_assert_eq(ST->stats->tcp.rx_dupack, 0);
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 0);
}

Test(tcp_state, with_sack_acks_riding_on_data_count_as_duplicates)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[5 * SMSS], o[40];
	struct t_seg s;
	uint32_t una = so->tcb->snd_una, blk[1][2], n;
	int i;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 5; i++)
		take(&s, "a data segment");
	/* Segment 1 lost; the peer, sending data of its own, SACKs 2, 3, 4 on it. */
	for (i = 1; i <= 3; i++) {
		blk[0][0] = una + SMSS;
		blk[0][1] = una + (1 + (uint32_t)i) * SMSS;
		n = 0;
		t_opt_nop(o, &n);
		t_opt_nop(o, &n);
		t_opt_sack(o, &n, (const uint32_t (*)[2])blk, 1);
		t_peer_xmit(&P, P.snd_nxt, una, US_TH_ACK, "data", 4, o, n);
		P.snd_nxt += 4;
		while (t_peer_take(&P, &s) && s.len == 0)
			;
		if (i < 3)
			cr_assert_eq(ST->stats->tcp.fast_rexmt, 0);
	}
	/* RFC 6675 2: each SACKs new data, so each is a duplicate (IsLost at the third). */
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 1);
	cr_assert_eq(s.seq, una, "the fast retransmission");
	cr_assert_eq(s.len, SMSS);
}

Test(tcp_state, three_segments_sacked_above_snd_una_mean_it_is_lost)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[4 * SMSS], o[40];
	struct t_seg s;
	uint32_t una = so->tcb->snd_una, blk[1][2], n = 0;
	int i;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 4; i++)
		take(&s, "a data segment");
	/* One ACK (the others were lost) SACKs segments 2 to 4: RFC 6675 IsLost(snd_una). */
	blk[0][0] = una + SMSS;
	blk[0][1] = una + 4 * SMSS;
	t_opt_nop(o, &n);
	t_opt_nop(o, &n);
	t_opt_sack(o, &n, (const uint32_t (*)[2])blk, 1);
	t_peer_xmit(&P, P.snd_nxt, una, US_TH_ACK, NULL, 0, o, n);
	take(&s, "the fast retransmission of segment 1");
	cr_assert_eq(s.seq, una);
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 1);
	t_peer_expect_none(&P, "nothing else is missing");
}

/* Ten segments out, three duplicate ACKs: returns ssthresh after the fast retransmit. */
static uint32_t
ssthresh_after_fast_retransmit(const struct us_tcp_cc *cc)
{
	struct us_sock *so = active_open(O_MSS | O_TS | O_WS);
	uint8_t d[10 * SMSS];
	struct t_seg s;
	int i;

	us_tcp_set_cc(so->tcb, cc);
	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 10; i++)
		take(&s, "a data segment");
	for (i = 0; i < 3; i++)
		t_peer_send(&P, US_TH_ACK, NULL, 0);
	take(&s, "the fast retransmission");
	cr_assert_eq(s.seq, so->tcb->snd_una);
	cr_assert(so->tcb->t_flags & US_TF_FASTRECOVERY);
	/* RFC 5681 3.2 (3) / RFC 9438 4.6: cwnd = ssthresh + 3 SMSS on entry. */
	cr_assert_eq(so->tcb->snd_cwnd, so->tcb->snd_ssthresh + 3 * SMSS);
	return so->tcb->snd_ssthresh;
}

Test(tcp_state, newreno_fast_retransmit_halves_the_flight)
{
	/* RFC 5681 (4): ssthresh = FlightSize / 2. */
	cr_assert_eq(ssthresh_after_fast_retransmit(&us_tcp_newreno), 5 * SMSS);
}

Test(tcp_state, cubic_fast_retransmit_keeps_0_7_of_the_window)
{
	/* RFC 9438 4.6: ssthresh = cwnd * beta_cubic, beta 0.7. */
	cr_assert_eq(ssthresh_after_fast_retransmit(&us_tcp_cubic), 10 * SMSS * 7 / 10);
}

Test(tcp_state, sack_blocks_steer_the_fast_retransmission_to_the_holes)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[6 * SMSS];
	struct t_seg s;
	uint32_t una = so->tcb->snd_una, blk[1][2];
	uint8_t o[40];
	uint32_t n;
	int i;

	us_tcp_set_cc(so->tcb, &us_tcp_newreno);
	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 6; i++)
		take(&s, "a data segment");
	/* Segments 1 and 3 lost; 2, 4, 5, 6 arrive and are SACKed. */
	blk[0][0] = una + SMSS;
	blk[0][1] = una + 2 * SMSS;
	for (i = 0; i < 4; i++) {
		if (i > 0) {
			blk[0][0] = una + 3 * SMSS;
			blk[0][1] = una + (3 + (uint32_t)i) * SMSS;
		}
		n = 0;
		t_opt_nop(o, &n);
		t_opt_nop(o, &n);
		t_opt_sack(o, &n, (const uint32_t (*)[2])blk, 1);
		t_peer_xmit(&P, P.snd_nxt, una, US_TH_ACK, NULL, 0, o, n);
		if (i < 2)
			t_peer_expect_none(&P, "not yet a loss");
	}
	/* The first hole, then the second: each once. */
	take(&s, "the retransmission of the first hole");
	cr_assert_eq(s.seq, una);
	cr_assert_eq(s.len, SMSS);
	while (t_peer_take(&P, &s)) {
		cr_assert_eq(s.seq, una + 2 * SMSS, "only holes are retransmitted");
		cr_assert_eq(s.len, SMSS);
	}
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 1);
}

/* The peer acknowledges ack and SACKs the nblk ranges of segments [from, to) (0-based, SMSS each). */
static void
peer_sacks(uint32_t una, uint32_t ack, const uint32_t (*segs)[2], int nblk)
{
	uint32_t blk[4][2], n = 0;
	uint8_t o[40];
	int i;

	for (i = 0; i < nblk; i++) {
		blk[i][0] = una + segs[i][0] * SMSS;
		blk[i][1] = una + segs[i][1] * SMSS;
	}
	t_opt_nop(o, &n);
	t_opt_nop(o, &n);
	t_opt_sack(o, &n, (const uint32_t (*)[2])blk, nblk);
	t_peer_xmit(&P, P.snd_nxt, ack, US_TH_ACK, NULL, 0, o, n);
}

/* Takes the next segment and checks it is segment i (0-based) of the transfer from una. */
static void
take_seg(uint32_t una, uint32_t i, const char *what)
{
	struct t_seg s;

	take(&s, what);
	cr_assert_eq(s.seq, una + i * SMSS, "%s: segment %u, expected %u", what,
		     (s.seq - una) / SMSS, i);
	cr_assert_eq(s.len, SMSS, "%s", what);
}

/*
 * RFC 6675 5: in recovery cwnd is ssthresh and limits pipe, the data the
 * scoreboard says is still in the network: nothing new goes until pipe
 * falls below cwnd, then one segment per segment SACKed.
 */
Test(tcp_state, sack_recovery_sends_only_what_cwnd_minus_pipe_allows)
{
	struct us_sock *so = active_open(O_ALL);
	struct us_tcb *tp = so->tcb;
	static uint8_t d[30 * SMSS];
	uint32_t una = tp->snd_una, i, seg[1][2];

	us_tcp_set_cc(tp, &us_tcp_newreno);
	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 10; i++)
		take_seg(una, i, "the initial window");
	/* Segment 0 lost.  SACKs of 1 and 1-2: limited transmit sends 10 and 11. */
	for (i = 2; i <= 3; i++) {
		seg[0][0] = 1;
		seg[0][1] = i;
		peer_sacks(una, una, seg, 1);
		take_seg(una, 8 + i, "limited transmit");
		t_peer_expect_none(&P, "one per duplicate");
	}
	/* SACK of 1-3: IsLost(0); ssthresh = flight (12) / 2, cwnd = ssthresh. */
	seg[0][1] = 4;
	peer_sacks(una, una, seg, 1);
	take_seg(una, 0, "the fast retransmission");
	t_peer_expect_none(&P, "pipe 12 - 3 SACKed - 1 lost + 1 resent = 9 > cwnd 6");
	cr_assert_eq(tp->snd_cwnd, 6 * SMSS);
	cr_assert_eq(us_tcp_pipe(tp), 9 * SMSS);
	for (i = 5; i <= 7; i++) {
		seg[0][1] = i;
		peer_sacks(una, una, seg, 1);
		t_peer_expect_none(&P, "pipe still at or above cwnd");
	}
	cr_assert_eq(us_tcp_pipe(tp), 6 * SMSS);
	for (i = 8; i <= 12; i++) {
		seg[0][1] = i;
		peer_sacks(una, una, seg, 1);
		take_seg(una, i + 4, "one new segment per segment SACKed");
		t_peer_expect_none(&P, "only one");
		cr_assert_eq(us_tcp_pipe(tp), 6 * SMSS);
	}
	cr_assert_eq(ST->stats->tcp.fast_rexmt, 1);
	cr_assert_eq(ST->stats->tcp.tx_rexmt, 1, "segment 0 went again once, nothing else");
	/* The retransmission arrives: everything up to 15 is acknowledged, recovery ends. */
	seg[0][0] = 1;
	t_peer_xmit(&P, P.snd_nxt, una + 12 * SMSS, US_TH_ACK, NULL, 0, NULL, 0);
	cr_assert_eq(tp->t_flags & US_TF_FASTRECOVERY, 0);
}

/*
 * A retransmission lost again: once segments sent after it are SACKed
 * (three of them), the hole goes again at once rather than at the RTO.
 */
Test(tcp_state, a_lost_retransmission_goes_again_before_the_rto)
{
	struct us_sock *so = active_open(O_ALL);
	struct us_tcb *tp = so->tcb;
	static uint8_t d[40 * SMSS];
	uint32_t una = tp->snd_una, i, seg[1][2] = { { 1, 0 } };
	struct t_seg s;

	us_tcp_set_cc(tp, &us_tcp_newreno);
	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 10; i++)
		take_seg(una, i, "the initial window");
	for (i = 2; i <= 9; i++) {
		seg[0][1] = i;
		peer_sacks(una, una, seg, 1);
		while (t_peer_take(&P, &s))
			cr_assert(s.seq != una || i == 4, "segment 0 goes once, at IsLost");
	}
	/* Everything sent so far (0..11 plus what recovery let out) was before the mark. */
	cr_assert_eq(tp->t_rxt_mark, una + 12 * SMSS);
	for (i = 10; i <= 14; i++) {
		seg[0][1] = i;
		peer_sacks(una, una, seg, 1);
		while (t_peer_take(&P, &s))
			cr_assert_neq(s.seq, una, "not yet: %u SACKed above the mark", i - 12);
	}
	cr_assert_eq(ST->stats->tcp.rexmt_lost, 0);
	/* The third segment sent after the retransmission is SACKed: it was lost. */
	seg[0][1] = 15;
	peer_sacks(una, una, seg, 1);
	take_seg(una, 0, "the second retransmission of segment 0");
	cr_assert_eq(ST->stats->tcp.rexmt_lost, 1);
	cr_assert_eq(ST->stats->tcp.rexmt_timeout, 0);
	cr_assert_eq(us_tcp_timer_when(ST, tp, US_TCPT_REXMT) - T.now, (uint64_t)tp->t_rto * 1000,
		     "the RTO was not what sent it");
}

/*
 * After a timeout the stack goes back to snd_una but skips what the peer
 * SACKed (RFC 6675 5.1); from the second timeout on it forgets the SACKs,
 * in case the receiver reneged (RFC 2018 8).
 */
Test(tcp_state, going_back_after_a_timeout_skips_sacked_data_once)
{
	struct us_sock *so = active_open(O_ALL);
	struct us_tcb *tp = so->tcb;
	uint8_t d[5 * SMSS];
	uint32_t una = tp->snd_una, i;
	const uint32_t segs[2][2] = { { 1, 2 }, { 3, 4 } };

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	for (i = 0; i < 5; i++)
		take_seg(una, i, "the data");
	/* 1 and 3 arrive: two segments SACKed is not yet a loss. */
	peer_sacks(una, una, segs, 2);
	t_peer_expect_none(&P, "no fast retransmit, nothing new to send");
	cr_assert_eq(tp->t_nsack, 2);
	at(us_tcp_timer_when(ST, tp, US_TCPT_REXMT));
	take_seg(una, 0, "the timeout's retransmission");
	t_peer_expect_none(&P, "cwnd is one segment");
	cr_assert_eq(tp->t_nsack, 2, "the first timeout keeps the scoreboard");
	/* 0 and 1 acknowledged: cwnd 2 lets 2 and 4 go; 3 is SACKed. */
	peer_sacks(una, una + 2 * SMSS, segs + 1, 1);
	take_seg(una, 2, "the hole above the ACK");
	take_seg(una, 4, "the next hole, skipping the SACKed segment");
	t_peer_expect_none(&P, "nothing else");
	/* A second timeout forgets the scoreboard: segment 3 will go again too. */
	at(us_tcp_timer_when(ST, tp, US_TCPT_REXMT));
	take_seg(una, 2, "the first timeout of this flight");
	at(us_tcp_timer_when(ST, tp, US_TCPT_REXMT));
	take_seg(una, 2, "the second");
	cr_assert_eq(tp->t_nsack, 0, "the second timeout forgets what was SACKed");
}

/* ------------------------------------------------------------------ */
/* Nagle (RFC 1122 4.2.3.4)                                            */
/* ------------------------------------------------------------------ */

Test(tcp_state, nagle_holds_a_small_segment_while_data_is_unacknowledged)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint32_t seq = stack_sends(so, 100);

	cr_assert_eq(us_tcp_send(ST, so, "0123456789", 10, 0), 10);
	t_peer_expect_none(&P, "Nagle holds the small segment");
	cr_assert_eq(us_tcp_send(ST, so, "abcdefghij", 10, 0), 10);
	t_peer_expect_none(&P, "still held");
	P.rcv_nxt = seq + 100;
	t_peer_send(&P, US_TH_ACK, NULL, 0);
	take(&s, "the held data");
	cr_assert_eq(s.seq, seq + 100);
	cr_assert_eq(s.len, 20, "both small writes in one segment");
	cr_assert_eq(memcmp(s.data, "0123456789abcdefghij", 20), 0);
}

Test(tcp_state, nodelay_sends_small_segments_at_once)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;
	uint32_t seq;

	so->tcb->t_flags |= US_TF_NODELAY;
	seq = stack_sends(so, 100);
	cr_assert_eq(us_tcp_send(ST, so, "0123456789", 10, 0), 10);
	take(&s, "the small segment at once");
	cr_assert_eq(s.seq, seq + 100);
	cr_assert_eq(s.len, 10);
}

Test(tcp_state, nagle_lets_a_full_segment_go)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[SMSS + 10];
	struct t_seg s;
	uint32_t seq = stack_sends(so, 100);

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	take(&s, "the full segment");
	cr_assert_eq(s.seq, seq + 100);
	cr_assert_eq(s.len, SMSS);
	t_peer_expect_none(&P, "the 10-byte tail waits");
}

/* ------------------------------------------------------------------ */
/* Malformed segments: counted by reason, dropped, no answer           */
/* ------------------------------------------------------------------ */

/* Builds a segment from the peer to the listener (SYN) or connection into f. */
static uint32_t
raw_seg(uint8_t *f, uint8_t flags, const uint8_t *opt, uint32_t optlen, const void *data,
	uint32_t len)
{
	struct t_seg s;

	memset(&s, 0, sizeof(s));
	s.src = T_IP_A;
	s.dst = T_IP_B;
	s.sport = P.port;
	s.dport = P.sport;
	s.seq = P.snd_nxt;
	s.ack = (flags & US_TH_ACK) ? P.rcv_nxt : 0;
	s.flags = flags;
	s.win = P.win;
	if (optlen > 0)
		memcpy(s.opt, opt, optlen);
	s.optlen = optlen;
	if (len > 0)
		memcpy(s.data, data, len);
	s.len = len;
	return t_tcp_frame(f, &s);
}

Test(tcp_state, malformed_segments_are_counted_by_reason_and_dropped)
{
	struct us_sock *ls = listener(8), *c;
	struct us_tcp_stats *ts = &ST->stats->tcp;
	uint8_t f[256], *th = f + US_ETH_HLEN + 20, o[40];
	uint32_t n, len;
	uint8_t b[64];

	c = passive_open(ls, O_ALL);
	P.ts = 0;
	/* Data offset 4 (16 bytes): below the header. */
	len = raw_seg(f, US_TH_ACK, NULL, 0, "abcd", 4);
	th[12] = 4 << 4;
	t_tcp_fix_csum(f, len);
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badoff, 1);
	/* Data offset 15 (60 bytes) on a 24-byte segment: past the end. */
	len = raw_seg(f, US_TH_ACK, NULL, 0, "abcd", 4);
	th[12] = 15 << 4;
	t_tcp_fix_csum(f, len);
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badoff, 2);
	/* A wrong checksum. */
	len = raw_seg(f, US_TH_ACK, NULL, 0, "abcd", 4);
	th[16] ^= 0x5a;
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badsum, 1);
	/* An option of length 0 (it would loop forever). */
	n = 0;
	o[n++] = 8;
	o[n++] = 0;
	o[n++] = 1;
	o[n++] = 1;
	len = raw_seg(f, US_TH_ACK, o, n, "abcd", 4);
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badopt, 1);
	/* An option that runs past the header (timestamps claiming 10 bytes in 4). */
	n = 0;
	o[n++] = 1;
	o[n++] = 1;
	o[n++] = 8;
	o[n++] = 10;
	len = raw_seg(f, US_TH_ACK, o, n, "abcd", 4);
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badopt, 2);
	/* MSS with a wrong length. */
	n = 0;
	o[n++] = 2;
	o[n++] = 3;
	o[n++] = 5;
	o[n++] = 0;
	len = raw_seg(f, US_TH_ACK, o, n, "abcd", 4);
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badopt, 3);
	/* SYN and FIN together, to the connection and to the listener. */
	len = raw_seg(f, US_TH_SYN | US_TH_FIN | US_TH_ACK, NULL, 0, NULL, 0);
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badflags, 1);
	P.port = 40999;
	len = raw_seg(f, US_TH_SYN | US_TH_FIN, NULL, 0, NULL, 0);
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badflags, 2);
	/* SYN and RST together. */
	len = raw_seg(f, US_TH_SYN | US_TH_RST, NULL, 0, NULL, 0);
	t_one_inject(&T, f, len);
	cr_assert_eq(ts->rx_badflags, 3);
	P.port = 40000;
	/* Shorter than a header: 12 bytes of TCP. */
	len = raw_seg(f, US_TH_ACK, NULL, 0, NULL, 0);
	{
		uint8_t *ip = f + US_ETH_HLEN;

		us_put16(ip + US_IP4_LEN, 20 + 12);
		us_put16(ip + US_IP4_SUM, 0);
		us_put16(ip + US_IP4_SUM, us_cksum_fold(us_cksum_add(0, ip, 20)));
		t_one_inject(&T, f, US_ETH_HLEN + 20 + 12);
	}
	cr_assert_eq(ts->rx_short, 1);

	t_peer_expect_none(&P, "malformed segments get no answer");
	cr_assert_eq(c->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(c->tcb->rcv_nxt, P.snd_nxt, "no byte of them was taken");
	cr_assert_eq(ls->syn_len, 0, "no SYN was taken");
	cr_assert_eq(us_tcp_recv(ST, c, b, sizeof(b), 0), -EAGAIN);
	/* The connection still works. */
	t_peer_send(&P, US_TH_ACK | US_TH_PSH, "fine", 4);
	cr_assert_eq(us_tcp_recv(ST, c, b, sizeof(b), 0), 4);
}

Test(tcp_state, unknown_options_are_skipped_by_their_length)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t o[8] = { 0xfe, 6, 1, 2, 3, 4, 1, 1 }, b[8];

	t_peer_xmit(&P, P.snd_nxt, P.rcv_nxt, US_TH_ACK, "opt", 3, o, sizeof(o));
	P.snd_nxt += 3;
	cr_assert_eq(us_tcp_recv(ST, so, b, sizeof(b), 0), 3);
	cr_assert_eq(ST->stats->tcp.rx_badopt, 0);
}

/* --- SYN cookies (RFC 4987 3.6) --- */

TestSuite(tcp_syncookie, .init = setup, .fini = teardown);

/* Fills the listener's half-open queue (backlog 1: 2 x 1 + 16 = 18) from ports 41000.. */
static void
fill_syn_queue(struct us_sock *ls)
{
	struct t_seg s;
	uint16_t i;

	for (i = 0; i < 18; i++) {
		P.port = (uint16_t)(41000 + i);
		peer_syn(O_ALL, &s);
	}
	cr_assert_eq(ls->syn_len, 18);
	cr_assert_eq(ST->stats->tcp.syncookie_sent, 0);
}

Test(tcp_syncookie, syn_beyond_the_half_open_limit_gets_a_cookie_and_no_state)
{
	struct us_sock *ls = listener(1);
	uint32_t socks;
	struct t_seg s;

	fill_syn_queue(ls);
	socks = ST->nsocks;
	P.port = 42000;
	peer_syn(O_ALL, &s);
	cr_assert_eq(ST->stats->tcp.syncookie_sent, 1);
	cr_assert_eq(ST->nsocks, socks, "a cookie SYN-ACK keeps no socket");
	cr_assert_eq(ls->syn_len, 18);
	cr_assert_null(conn(), "no control block for the cookie connection yet");
	/* Its options still offer what the client asked for. */
	cr_assert_eq(s.mss, 1460);
	cr_assert(s.sack_ok);
	cr_assert(s.has_ts);
	cr_assert_eq(s.wscale, 3);
}

Test(tcp_syncookie, ack_returning_the_cookie_builds_the_connection_and_takes_its_data)
{
	struct us_sock *ls = listener(1), *c;
	struct t_seg s;
	uint8_t d[300], back[300];
	int err = 0;

	fill_syn_queue(ls);
	P.port = 42001;
	peer_syn(O_ALL, &s);
	fill(d, sizeof(d), 7);
	/* The final ACK carries data at once, as clients may. */
	t_peer_send(&P, US_TH_ACK | US_TH_PSH, d, sizeof(d));
	cr_assert_eq(ST->stats->tcp.syncookie_ok, 1);
	cr_assert_not_null(conn());
	cr_assert_eq(conn()->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(conn()->snd_wscale, 7, "the client's window scale came back from the cookie");
	cr_assert(conn()->t_flags & US_TF_SACK_PERMIT);
	cr_assert(conn()->t_flags & US_TF_RCVD_TSTMP);
	c = us_tcp_accept(ST, ls, &err);
	cr_assert_not_null(c, "accept: %d", err);
	cr_assert_eq(us_tcp_recv(ST, c, back, sizeof(back), 0), (ssize_t)sizeof(back));
	cr_assert_eq(memcmp(d, back, sizeof(d)), 0);
}

Test(tcp_syncookie, forged_or_stale_cookie_gets_a_reset)
{
	struct us_sock *ls = listener(1);
	struct t_seg s;

	fill_syn_queue(ls);
	P.port = 42002;
	peer_syn(O_ALL, &s);
	/* A wrong acknowledgment number is a guess, not a cookie. */
	t_peer_xmit(&P, P.snd_nxt, P.rcv_nxt + 12345, US_TH_ACK, NULL, 0, NULL, 0);
	take(&s, "a RST");
	cr_assert(s.flags & US_TH_RST, "flags 0x%02x seq %u ack %u", s.flags, s.seq, s.ack);
	cr_assert_eq(ST->stats->tcp.syncookie_bad, 1);
	cr_assert_null(conn());
	/* The right cookie, but 3 minutes late (the half-open ones gave up meanwhile). */
	for (int i = 0; i < 180; i++) {
		at(T.now + T_S);
		t_one_drain(&T);
	}
	cr_assert_eq(ls->syn_len, 0);
	t_peer_xmit(&P, P.snd_nxt, P.rcv_nxt, US_TH_ACK, NULL, 0, NULL, 0);
	take(&s, "a RST for the stale cookie");
	cr_assert(s.flags & US_TH_RST);
	cr_assert_eq(ST->stats->tcp.syncookie_bad, 2);
	cr_assert_eq(ST->stats->tcp.syncookie_ok, 0);
}

/* --- ICMP errors (RFC 1122 4.2.3.9, RFC 5927) --- */

/* Injects an ICMP destination unreachable quoting the stack's segment s. */
static void
icmp_about(const struct t_seg *s, uint8_t code, uint16_t mtu)
{
	uint8_t icmp[8 + 20 + 8], f[128], ip[20];
	uint32_t n;

	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	us_put16(ip + 2, 40);
	ip[8] = 64;
	ip[9] = US_IPPROTO_TCP;
	us_put32(ip + 12, T_IP_B);
	us_put32(ip + 16, T_IP_A);
	us_put16(ip + 10, us_cksum_fold(us_cksum_add(0, ip, 20)));
	memset(icmp, 0, sizeof(icmp));
	icmp[0] = US_ICMP_UNREACH;
	icmp[1] = code;
	us_put16(icmp + 6, mtu);
	memcpy(icmp + 8, ip, 20);
	us_put16(icmp + 28, s->sport);
	us_put16(icmp + 30, s->dport);
	us_put32(icmp + 32, s->seq);
	us_put16(icmp + 2, us_cksum_fold(us_cksum_add(0, icmp, sizeof(icmp))));
	n = t_build_ip4(f, T_IP_A, T_IP_B, US_IPPROTO_ICMP, 9, 0, icmp, sizeof(icmp));
	t_one_inject(&T, f, n);
}

TestSuite(tcp_icmp, .init = setup, .fini = teardown);

Test(tcp_icmp, port_unreachable_during_connect_refuses_it)
{
	struct us_sock *so = new_sock();
	struct t_seg syn;

	cr_assert_eq(us_tcp_connect(ST, so, T_IP_A, P.port), -EINPROGRESS);
	take(&syn, "a SYN");
	icmp_about(&syn, US_ICMP_UNREACH_PORT, 0);
	cr_assert_eq(so->so_error, ECONNREFUSED);
	cr_assert_eq(so->tcb->state, US_TCPS_CLOSED);
	cr_assert_eq(ST->stats->icmp.rx_err_delivered, 1);
}

Test(tcp_icmp, host_unreachable_on_an_open_connection_is_only_soft)
{
	struct us_sock *so = active_open(O_ALL);
	uint8_t d[100];
	struct t_seg s;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	take(&s, "the data");
	icmp_about(&s, US_ICMP_UNREACH_HOST, 0);
	/* RFC 1122 4.2.3.9: a soft error; the connection goes on. */
	cr_assert_eq(so->tcb->state, US_TCPS_ESTABLISHED);
	cr_assert_eq(so->so_error, 0);
	cr_assert_eq(so->tcb->t_softerror, EHOSTUNREACH);
}

Test(tcp_icmp, fragmentation_needed_lowers_the_mss_and_resends_smaller)
{
	struct us_sock *so = active_open(O_ALL);
	static uint8_t d[4000];
	struct t_seg s;

	fill(d, sizeof(d), 0);
	cr_assert_eq(us_tcp_send(ST, so, d, sizeof(d), 0), (ssize_t)sizeof(d));
	take(&s, "a full segment");
	cr_assert_eq(s.len, SMSS);
	t_one_drain(&T);
	icmp_about(&s, US_ICMP_UNREACH_NEEDFRAG, 1000);
	cr_assert_eq(ST->stats->tcp.pmtu_lowered, 1);
	cr_assert_eq(so->tcb->t_maxseg, 1000 - 40 - 12);
	take(&s, "the data again in smaller segments");
	cr_assert_eq(s.len, 1000 - 40 - 12);
}

Test(tcp_icmp, error_quoting_a_sequence_not_in_flight_is_ignored)
{
	struct us_sock *so = active_open(O_ALL);
	struct t_seg s;

	memset(&s, 0, sizeof(s));
	s.sport = so->lport;
	s.dport = P.port;
	s.seq = so->tcb->snd_una + 100000;	/* a blind guess */
	icmp_about(&s, US_ICMP_UNREACH_NEEDFRAG, 600);
	cr_assert_eq(ST->stats->tcp.pmtu_lowered, 0);
	cr_assert_eq(so->tcb->t_maxseg, SMSS);
}
