/*
 * sockopt.c - usock_setsockopt/usock_getsockopt.  Options are accepted at
 * the seed's numbers (level USOCK_SOL_SOCKET = 0xfff, lwIP's values) and at
 * the host's (SOL_SOCKET), so code written for either works unchanged.
 */
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>

#include "usock.h"
#include "../core/runtime.h"
#include "../ip/ip4.h"
#include "../ip/ip6.h"
#include "../tcp/tcp.h"
#include "sock.h"

/* lwIP's option numbers at level 0xfff, which the seed's SO_REUSEADDR = 4 comes from. */
#define LW_SO_REUSEADDR	0x0004
#define LW_SO_KEEPALIVE	0x0008
#define LW_SO_BROADCAST	0x0020
#define LW_SO_LINGER	0x0080
#define LW_SO_SNDBUF	0x1001
#define LW_SO_RCVBUF	0x1002
#define LW_SO_ERROR	0x1007
#define LW_SO_TYPE	0x1008

enum opt {
	OPT_NONE,
	OPT_REUSEADDR,
	OPT_REUSEPORT,
	OPT_BROADCAST,
	OPT_SNDBUF,
	OPT_RCVBUF,
	OPT_ERROR,
	OPT_TYPE,
	OPT_TTL,
	OPT_TOS,
	OPT_KEEPALIVE,
	OPT_LINGER,
	OPT_NODELAY,
	OPT_KEEPIDLE,
	OPT_KEEPINTVL,
	OPT_KEEPCNT,
	OPT_CONGESTION,
	OPT_HDRINCL,
	OPT_V6ONLY,
	OPT_HOPS,
	OPT_TCLASS,
};

static enum opt
which(int level, int name)
{
	if (level == USOCK_SOL_SOCKET) {
		switch (name) {
		case LW_SO_REUSEADDR: return OPT_REUSEADDR;
		case LW_SO_BROADCAST: return OPT_BROADCAST;
		case LW_SO_SNDBUF: return OPT_SNDBUF;
		case LW_SO_RCVBUF: return OPT_RCVBUF;
		case LW_SO_ERROR: return OPT_ERROR;
		case LW_SO_TYPE: return OPT_TYPE;
		case LW_SO_KEEPALIVE: return OPT_KEEPALIVE;
		case LW_SO_LINGER: return OPT_LINGER;
		}
	} else if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: return OPT_REUSEADDR;
		case SO_REUSEPORT: return OPT_REUSEPORT;
		case SO_BROADCAST: return OPT_BROADCAST;
		case SO_SNDBUF: return OPT_SNDBUF;
		case SO_RCVBUF: return OPT_RCVBUF;
		case SO_ERROR: return OPT_ERROR;
		case SO_TYPE: return OPT_TYPE;
		case SO_KEEPALIVE: return OPT_KEEPALIVE;
		case SO_LINGER: return OPT_LINGER;
		}
	} else if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY: return OPT_NODELAY;
		case TCP_KEEPIDLE: return OPT_KEEPIDLE;
		case TCP_KEEPINTVL: return OPT_KEEPINTVL;
		case TCP_KEEPCNT: return OPT_KEEPCNT;
		case TCP_CONGESTION: return OPT_CONGESTION;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL: return OPT_TTL;
		case IP_TOS: return OPT_TOS;
		case IP_HDRINCL: return OPT_HDRINCL;
		}
	} else if (level == IPPROTO_IPV6) {
		switch (name) {
		case IPV6_V6ONLY: return OPT_V6ONLY;
		case IPV6_UNICAST_HOPS: return OPT_HOPS;
		case IPV6_TCLASS: return OPT_TCLASS;
		}
	}
	return OPT_NONE;
}

static int
get_int(const void *v, socklen_t len, int level, int *out)
{
	if (v == NULL)
		return -EINVAL;
	/*
	 * An int, or a one-byte buffer (the seed lets value be bytes).  A longer
	 * value is read for its first int, as Linux does (e.g. a long).
	 */
	if (len >= sizeof(int))
		memcpy(out, v, sizeof(int));
	else if (len == 1 || (level == IPPROTO_IP && len > 0))
		*out = *(const unsigned char *)v;	/* Linux reads IP options' short values as a byte */
	else
		return -EINVAL;
	return 0;
}

/* Options of the TCP control block; -ENOPROTOOPT on a socket without one. */
static int
set_tcp(struct us_sock *s, enum opt o, int v, const char *ccname)
{
	struct us_tcb *tp = s->tcb;
	const struct us_tcp_cc *cc;

	if (tp == NULL)
		return o == OPT_KEEPALIVE ? 0 : -ENOPROTOOPT;
	switch (o) {
	case OPT_KEEPALIVE:
		tp->t_flags = v ? tp->t_flags | US_TF_KEEPALIVE : tp->t_flags & ~US_TF_KEEPALIVE;
		if (v && tp->state >= US_TCPS_ESTABLISHED)
			us_tcp_timer_set(us_rt.st, tp, US_TCPT_KEEP,
					 us_rt.st->now + (uint64_t)tp->t_keepidle * 1000000000ull);
		else if (!v)
			us_tcp_timer_set(us_rt.st, tp, US_TCPT_KEEP, 0);
		return 0;
	case OPT_NODELAY:
		tp->t_flags = v ? tp->t_flags | US_TF_NODELAY : tp->t_flags & ~US_TF_NODELAY;
		if (v)
			us_tcp_output(us_rt.st, tp);
		return 0;
	case OPT_KEEPIDLE:
	case OPT_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		if (o == OPT_KEEPIDLE)
			tp->t_keepidle = (uint16_t)v;
		else
			tp->t_keepintvl = (uint16_t)v;
		return 0;
	case OPT_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		tp->t_keepmax = (uint8_t)v;
		return 0;
	case OPT_CONGESTION:
		cc = us_tcp_cc_find(ccname);
		if (cc == NULL)
			return -ENOENT;	/* as Linux for an unknown algorithm */
		us_tcp_set_cc(tp, cc);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int
usock_setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	struct us_sock *s;
	enum opt o = which(level, name);
	int v = 0, rc;

	struct linger lg = { 0, 0 };
	char ccname[16] = "";

	if (o == OPT_NONE) {
		rc = -ENOPROTOOPT;
	} else if (o == OPT_LINGER) {
		rc = value == NULL || len < (socklen_t)sizeof(lg) ? -EINVAL : 0;
		if (rc == 0)
			memcpy(&lg, value, sizeof(lg));
	} else if (o == OPT_CONGESTION) {
		rc = value == NULL || len == 0 || len >= sizeof(ccname) ? -EINVAL : 0;
		if (rc == 0)
			memcpy(ccname, value, len);
	} else {
		rc = get_int(value, len, level, &v);
	}
	if ((rc = rc != 0 ? rc : us_rt_enter()) != 0)
		return errno = -rc, -1;
	if ((s = us_rt_fd_sock(fd)) == NULL) {
		us_rt_leave();
		return errno = EBADF, -1;
	}
	if (level == IPPROTO_IPV6 && s->family != USOCK_AF_INET6)
		o = OPT_NONE;	/* IPv6 options belong to AF_INET6 sockets (Linux: ENOPROTOOPT) */
	switch (o) {
	case OPT_REUSEADDR:
		s->flags = v ? s->flags | US_SO_REUSEADDR : s->flags & ~US_SO_REUSEADDR;
		break;
	case OPT_V6ONLY:
		/* Fixed once bound: the port's owners were decided by it (as Linux). */
		if (s->flags & US_SO_BOUND)
			rc = -EINVAL;
		else
			s->flags = v ? s->flags | US_SO_V6ONLY : s->flags & ~US_SO_V6ONLY;
		break;
	case OPT_HOPS:
		/* -1: the default again (a router's Cur Hop Limit, else 64), as Linux. */
		if (v < -1 || v > 255)
			rc = -EINVAL;
		else
			s->hlim = (uint8_t)(v == -1 ? 0 : v);
		break;
	case OPT_TCLASS:
		if (v < -1 || v > 255)
			rc = -EINVAL;
		else
			s->tos = (uint8_t)(v == -1 ? 0 : v);
		break;
	case OPT_REUSEPORT:
		/*
		 * Kept so that programs which ask for it run (nc, servers); one
		 * socket per port still, so a second bind is refused as without it.
		 */
		s->flags = v ? s->flags | US_SO_REUSEPORT : s->flags & ~US_SO_REUSEPORT;
		break;
	case OPT_BROADCAST:
		s->flags = v ? s->flags | US_SO_BROADCAST : s->flags & ~US_SO_BROADCAST;
		break;
	case OPT_SNDBUF:
	case OPT_RCVBUF:
		if (v < 0) {
			rc = -EINVAL;
			break;
		}
		/*
		 * As Linux: the value is doubled for bookkeeping, with a floor of
		 * SOCK_MIN_SNDBUF (4608) or SOCK_MIN_RCVBUF (2304).
		 */
		v = v > (1 << 29) ? (1 << 30) : v * 2;
		if (v < (o == OPT_SNDBUF ? 4608 : 2304))
			v = o == OPT_SNDBUF ? 4608 : 2304;
		if (o == OPT_SNDBUF)
			s->sndbuf = (uint32_t)v;
		else
			s->rcvbuf = (uint32_t)v;
		break;
	case OPT_TTL:
		if (v < -1 || v == 0 || v > 255)
			rc = -EINVAL;
		else
			s->ttl = (uint8_t)(v == -1 ? 64 : v);
		break;
	case OPT_TOS:
		s->tos = (uint8_t)v;
		break;
	case OPT_LINGER:
		s->linger = lg.l_onoff ? (lg.l_linger < 0 ? 0 : lg.l_linger) : -1;
		break;
	case OPT_HDRINCL:
		/* Raw sockets only; protocol 255 always carries its own header (raw(7)). */
		if (s->type != USOCK_SOCK_RAW)
			rc = -ENOPROTOOPT;
		else if (s->proto != 255)
			s->flags = v ? s->flags | US_SO_HDRINCL : s->flags & ~US_SO_HDRINCL;
		break;
	case OPT_KEEPALIVE:
	case OPT_NODELAY:
	case OPT_KEEPIDLE:
	case OPT_KEEPINTVL:
	case OPT_KEEPCNT:
	case OPT_CONGESTION:
		rc = set_tcp(s, o, v, ccname);
		break;
	case OPT_ERROR:
	case OPT_TYPE:
		rc = -ENOPROTOOPT;	/* read-only */
		break;
	default:
		rc = -ENOPROTOOPT;
		break;
	}
	us_rt_leave();
	if (rc != 0)
		return errno = -rc, -1;
	return 0;
}

int
usock_getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	struct us_sock *s;
	enum opt o = which(level, name);
	int v = 0, rc = 0;

	if (o == OPT_NONE)
		return errno = ENOPROTOOPT, -1;
	if (value == NULL || len == NULL || (int)*len < 0)
		return errno = EINVAL, -1;
	if ((rc = us_rt_enter()) != 0)
		return errno = -rc, -1;
	if ((s = us_rt_fd_sock(fd)) == NULL) {
		us_rt_leave();
		return errno = EBADF, -1;
	}
	if (level == IPPROTO_IPV6 && s->family != USOCK_AF_INET6)
		o = OPT_NONE;
	switch (o) {
	case OPT_REUSEADDR:
		v = (s->flags & US_SO_REUSEADDR) != 0;
		break;
	case OPT_V6ONLY:
		v = (s->flags & US_SO_V6ONLY) != 0;
		break;
	case OPT_HOPS:
		v = s->hlim != 0 ? s->hlim : us_ip6_hlim(us_rt.st);
		break;
	case OPT_TCLASS:
		v = s->tos;
		break;
	case OPT_REUSEPORT:
		v = (s->flags & US_SO_REUSEPORT) != 0;
		break;
	case OPT_BROADCAST:
		v = (s->flags & US_SO_BROADCAST) != 0;
		break;
	case OPT_SNDBUF:
		v = (int)s->sndbuf;
		break;
	case OPT_RCVBUF:
		v = (int)s->rcvbuf;
		break;
	case OPT_ERROR:
		v = s->so_error;
		s->so_error = 0;
		us_sock_wakeup(us_rt.st, s);
		break;
	case OPT_TYPE:
		v = s->type;
		break;
	case OPT_TTL:
		v = s->ttl;
		break;
	case OPT_TOS:
		v = s->tos;
		break;
	case OPT_HDRINCL:
		if (s->type != USOCK_SOCK_RAW)
			rc = -ENOPROTOOPT;
		v = (s->flags & US_SO_HDRINCL) != 0;
		break;
	case OPT_KEEPALIVE:
		v = s->tcb != NULL && (s->tcb->t_flags & US_TF_KEEPALIVE) != 0;
		break;
	case OPT_NODELAY:
	case OPT_KEEPIDLE:
	case OPT_KEEPINTVL:
	case OPT_KEEPCNT:
		if (s->tcb == NULL)
			rc = -ENOPROTOOPT;
		else
			v = o == OPT_NODELAY ? (s->tcb->t_flags & US_TF_NODELAY) != 0
			    : o == OPT_KEEPIDLE ? (int)s->tcb->t_keepidle
			    : o == OPT_KEEPINTVL ? (int)s->tcb->t_keepintvl
						 : (int)s->tcb->t_keepmax;
		break;
	case OPT_LINGER: {
		struct linger lg = { s->linger >= 0, s->linger >= 0 ? s->linger : 0 };

		us_rt_leave();
		if (*len > sizeof(lg))
			*len = sizeof(lg);
		memcpy(value, &lg, *len);
		return 0;
	}
	case OPT_CONGESTION: {
		const char *n = s->tcb != NULL ? s->tcb->cc->name : NULL;
		size_t l;

		us_rt_leave();
		if (n == NULL)
			return errno = ENOPROTOOPT, -1;
		l = strlen(n) + 1;
		if (*len > l)
			*len = (socklen_t)l;
		memcpy(value, n, *len);
		return 0;
	}
	default:
		rc = -ENOPROTOOPT;
		break;
	}
	us_rt_leave();
	if (rc != 0)
		return errno = -rc, -1;
	/* As getsockopt(2): a short buffer gets the first bytes, *len says how many. */
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(value, &v, *len);
	return 0;
}
