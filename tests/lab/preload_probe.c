/*
 * preload_probe.c - lab-preload-probe: a plain C program (it does not know
 * usock) that the lab runs under usock-run, to try the shim's calls one by
 * one against the kernel's echo servers at HOST:7 (TCP and UDP):
 * descriptors (dup, dup2, dup3, fcntl, ioctl), waiting (poll with a pipe,
 * select, epoll level- and edge-triggered, EPOLLONESHOT, EPOLLOUT),
 * vectors (writev/readv, sendmsg/recvmsg, sendmmsg/recvmmsg), names and
 * options, threads, signals and fork.  Its namespace's kernel has no address, so only usock can
 * reach HOST at all.  Prints "ok - what" or "FAIL - what: why" per check;
 * exits 0 only if all passed.
 *
 * usage: lab-preload-probe HOST
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failed, passed;

static void
check(int ok, const char *what, const char *why)
{
	if (ok) {
		passed++;
		printf("ok - %s\n", what);
	} else {
		failed++;
		printf("FAIL - %s: %s (errno %s)\n", what, why, strerror(errno));
	}
}

static struct sockaddr_in peer;

static int
tcp_connect(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&peer, sizeof(peer)) != 0) {
		printf("FAIL - connect to the kernel's TCP echo: %s\n", strerror(errno));
		exit(1);
	}
	return s;
}

/* Reads exactly n bytes (blocking socket), 5 s at most. */
static int
read_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got < n) {
		ssize_t r;

		if (poll(&p, 1, 5000) != 1)
			return -1;
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void
descriptors(void)
{
	char buf[64];
	int s = tcp_connect(), d, d2, fl, n;

	/* dup: the copy carries the stream; closing the original leaves it working. */
	d = dup(s);
	check(d >= 0 && d != s, "dup gives a new descriptor", "dup failed");
	check(write(d, "via-dup", 7) == 7, "write through the dup", "write failed");
	check(read_exact(s, buf, 7) == 0 && memcmp(buf, "via-dup", 7) == 0,
	      "the echo reads back through the original", "wrong echo");
	check(close(s) == 0, "closing the original", "close failed");
	check(write(d, "after-close", 11) == 11 && read_exact(d, buf, 11) == 0 &&
	      memcmp(buf, "after-close", 11) == 0, "the dup works after the original closed",
	      "no echo");
	/* dup2 onto a chosen number, dup3 with O_CLOEXEC. */
	d2 = dup2(d, 40);
	check(d2 == 40, "dup2 onto 40", "dup2 failed");
	check(write(40, "forty", 5) == 5 && read_exact(40, buf, 5) == 0, "descriptor 40 carries it",
	      "no echo");
	n = dup3(d, 41, O_CLOEXEC);
	check(n == 41 && (fcntl(41, F_GETFD) & FD_CLOEXEC), "dup3 with O_CLOEXEC", "dup3 failed");
	close(41);
	close(40);
	/* fcntl O_NONBLOCK: an empty socket then says EAGAIN. */
	fl = fcntl(d, F_GETFL);
	check(fl >= 0 && (fl & O_ACCMODE) == O_RDWR && !(fl & O_NONBLOCK), "F_GETFL: O_RDWR, blocking",
	      "wrong flags");
	check(fcntl(d, F_SETFL, fl | O_NONBLOCK) == 0, "F_SETFL O_NONBLOCK", "fcntl failed");
	errno = 0;
	check(read(d, buf, sizeof(buf)) < 0 && errno == EAGAIN, "read on an empty non-blocking socket: EAGAIN",
	      "no EAGAIN");
	check(fcntl(d, F_GETFL) & O_NONBLOCK, "F_GETFL shows O_NONBLOCK", "flag lost");
	n = 0;
	check(ioctl(d, FIONBIO, &n) == 0 && !(fcntl(d, F_GETFL) & O_NONBLOCK), "ioctl FIONBIO 0: blocking again",
	      "FIONBIO failed");
	/* FIONREAD counts what waits. */
	check(write(d, "12345", 5) == 5, "write 5 bytes", "write failed");
	{
		struct pollfd p = { .fd = d, .events = POLLIN };

		poll(&p, 1, 5000);
		usleep(50000);
	}
	n = -1;
	check(ioctl(d, FIONREAD, &n) == 0 && n == 5, "ioctl FIONREAD: 5 bytes waiting", "wrong count");
	read_exact(d, buf, 5);
	/* Names and options. */
	{
		struct sockaddr_in a;
		socklen_t len = sizeof(a);
		int v = 1, err = -1;

		check(getpeername(d, (struct sockaddr *)&a, &len) == 0 && a.sin_port == peer.sin_port,
		      "getpeername", "wrong peer");
		len = sizeof(a);
		check(getsockname(d, (struct sockaddr *)&a, &len) == 0 && a.sin_port != 0, "getsockname",
		      "no local port");
		check(setsockopt(d, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) == 0, "TCP_NODELAY",
		      "setsockopt failed");
		len = sizeof(err);
		check(getsockopt(d, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0, "SO_ERROR is 0",
		      "getsockopt failed");
	}
	close(d);
}

static void
waiting(void)
{
	char buf[64];
	int s = tcp_connect(), p[2], ep, n;
	struct epoll_event ev, out[4];
	fd_set rs;
	struct timeval tv;

	/* poll over a pipe and the socket together. */
	if (pipe(p) != 0)
		exit(1);
	{
		struct pollfd pf[2] = { { .fd = p[0], .events = POLLIN }, { .fd = s, .events = POLLIN } };

		check(poll(pf, 2, 0) == 0, "poll: nothing ready", "something ready");
		write(s, "x", 1);
		check(poll(pf, 2, 5000) == 1 && (pf[1].revents & POLLIN) && pf[0].revents == 0,
		      "poll: the echo makes the socket readable, not the pipe", "wrong revents");
		read(s, buf, 1);
		write(p[1], "y", 1);
		check(poll(pf, 2, 5000) == 1 && (pf[0].revents & POLLIN) && pf[1].revents == 0,
		      "poll: the pipe alone", "wrong revents");
		read(p[0], buf, 1);
	}
	/* select. */
	write(s, "z", 1);
	FD_ZERO(&rs);
	FD_SET(s, &rs);
	FD_SET(p[0], &rs);
	tv = (struct timeval){ 5, 0 };
	n = select((s > p[0] ? s : p[0]) + 1, &rs, NULL, NULL, &tv);
	check(n == 1 && FD_ISSET(s, &rs) && !FD_ISSET(p[0], &rs), "select: the socket readable",
	      "wrong set");
	read(s, buf, 1);
	/* epoll, level-triggered, with the caller's data. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.u64 = 0xabcdef;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0, "epoll_ctl ADD", "failed");
	ev.events = EPOLLIN;
	ev.data.u64 = 0x1234;
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	check(epoll_wait(ep, out, 4, 0) == 0, "epoll_wait: nothing yet", "spurious event");
	write(s, "e", 1);
	n = epoll_wait(ep, out, 4, 5000);
	check(n == 1 && out[0].data.u64 == 0xabcdef && (out[0].events & EPOLLIN),
	      "epoll_wait: the socket, with the caller's data", "wrong event");
	n = epoll_wait(ep, out, 4, 0);
	check(n == 1, "level-triggered: reported again while unread", "not again");
	read(s, buf, 1);
	check(epoll_wait(ep, out, 4, 100) == 0, "after the read: quiet", "still reported");
	write(p[1], "k", 1);
	n = epoll_wait(ep, out, 4, 5000);
	check(n == 1 && out[0].data.u64 == 0x1234, "epoll_wait: a kernel pipe in the same set", "wrong event");
	read(p[0], buf, 1);
	/* EPOLLOUT, then EPOLLONESHOT. */
	ev.events = EPOLLOUT;
	ev.data.u64 = 7;
	check(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev) == 0, "epoll_ctl MOD to EPOLLOUT", "failed");
	n = epoll_wait(ep, out, 4, 5000);
	check(n == 1 && out[0].data.u64 == 7 && (out[0].events & EPOLLOUT), "EPOLLOUT on a writable socket",
	      "not writable");
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 8;
	epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
	write(s, "o", 1);
	n = epoll_wait(ep, out, 4, 5000);
	check(n == 1 && out[0].data.u64 == 8, "EPOLLONESHOT: reported once", "not reported");
	check(epoll_wait(ep, out, 4, 100) == 0, "EPOLLONESHOT: then not again, though unread", "reported again");
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 9;
	epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
	n = epoll_wait(ep, out, 4, 5000);
	check(n == 1 && out[0].data.u64 == 9, "re-armed with EPOLLET: the waiting byte is reported", "not reported");
	read(s, buf, 1);
	/* Edge-triggered in and out (as nginx registers): one report, then quiet, not a spin. */
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.u64 = 10;
	epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
	n = epoll_wait(ep, out, 4, 5000);
	check(n == 1 && (out[0].events & EPOLLOUT), "EPOLLET|EPOLLOUT: writable reported", "not reported");
	n = epoll_wait(ep, out, 4, 300);
	check(n == 0, "EPOLLET|EPOLLOUT: then quiet while nothing happens", "reported again");
	write(s, "t", 1);
	/* (The ACK of what was written may come first as an edge of its own: output.) */
	for (int tries = 0; tries < 5; tries++) {
		n = epoll_wait(ep, out, 4, 5000);
		if (n != 1 || (out[0].events & EPOLLIN))
			break;
	}
	check(n == 1 && (out[0].events & EPOLLIN), "EPOLLET: new data is a new edge", "not reported");
	read(s, buf, 1);
		check(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL) == 0, "epoll_ctl DEL", "failed");
	write(s, "d", 1);
	check(epoll_wait(ep, out, 4, 200) == 0, "deleted: no more events", "still reported");
	close(ep);
	close(p[0]);
	close(p[1]);
	close(s);
}

static void
vectors(void)
{
	char a[] = "hello, ", b[] = "vectors", back[32];
	struct iovec iov[2] = { { a, 7 }, { b, 7 } }, rio[2];
	struct msghdr m;
	int s = tcp_connect(), u;
	ssize_t n;
	char x[8], y[8];

	check(writev(s, iov, 2) == 14, "writev of two pieces", "short");
	rio[0] = (struct iovec){ x, 5 };
	rio[1] = (struct iovec){ y, 8 };
	usleep(100000);
	n = readv(s, rio, 2);
	check(n == 13 && memcmp(x, "hello", 5) == 0 && memcmp(y, ", vector", 8) == 0,
	      "readv scatters the echo", "wrong data");
	read_exact(s, back, 1);
	close(s);
	/* UDP: sendmsg/recvmsg with a name, datagrams whole. */
	u = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&m, 0, sizeof(m));
	m.msg_name = &peer;
	m.msg_namelen = sizeof(peer);
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	check(sendmsg(u, &m, 0) == 14, "sendmsg: one datagram of two pieces", "failed");
	{
		struct sockaddr_in from;
		struct pollfd p = { .fd = u, .events = POLLIN };

		poll(&p, 1, 5000);
		memset(&m, 0, sizeof(m));
		memset(back, 0, sizeof(back));
		rio[0] = (struct iovec){ back, 10 };
		rio[1] = (struct iovec){ back + 10, 10 };
		m.msg_name = &from;
		m.msg_namelen = sizeof(from);
		m.msg_iov = rio;
		m.msg_iovlen = 2;
		n = recvmsg(u, &m, 0);
		check(n == 14 && memcmp(back, "hello, vectors", 14) == 0 && from.sin_port == peer.sin_port &&
		      !(m.msg_flags & MSG_TRUNC), "recvmsg: the echo, whole, with its sender", "wrong");
	}
	{
		struct mmsghdr mm[3];
		struct iovec one[3];
		char bufs[3][8];
		int i, got = 0;

		memset(mm, 0, sizeof(mm));
		for (i = 0; i < 3; i++) {
			snprintf(bufs[i], sizeof(bufs[i]), "m%d", i);
			one[i] = (struct iovec){ bufs[i], 2 };
			mm[i].msg_hdr.msg_iov = &one[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &peer;
			mm[i].msg_hdr.msg_namelen = sizeof(peer);
		}
		check(sendmmsg(u, mm, 3, 0) == 3, "sendmmsg: three datagrams", "failed");
		for (i = 0; i < 3 && got < 3; i++) {
			struct pollfd p = { .fd = u, .events = POLLIN };
			int k;

			poll(&p, 1, 5000);
			memset(mm, 0, sizeof(mm));
			for (k = 0; k < 3; k++) {
				one[k] = (struct iovec){ bufs[k], 8 };
				mm[k].msg_hdr.msg_iov = &one[k];
				mm[k].msg_hdr.msg_iovlen = 1;
			}
			k = recvmmsg(u, mm, (unsigned)(3 - got), MSG_DONTWAIT, NULL);
			if (k > 0)
				got += k;
			usleep(20000);
		}
		check(got == 3, "recvmmsg: the three echoes", "missing");
	}
	close(u);
}

/* Threads: one blocks in read while the other writes on the same socket. */
static int thr_fd;
static char thr_buf[64];
static ssize_t thr_got;

static void *
thr_reader(void *arg)
{
	(void)arg;
	thr_got = read_exact(thr_fd, thr_buf, 12) == 0 ? 12 : -1;
	return NULL;
}

static void
threads(void)
{
	pthread_t t;

	thr_fd = tcp_connect();
	pthread_create(&t, NULL, thr_reader, NULL);
	usleep(100000);	/* the reader is blocked by now */
	check(write(thr_fd, "from-another", 12) == 12, "threads: write while another thread reads",
	      "write failed");
	pthread_join(t, NULL);
	check(thr_got == 12 && memcmp(thr_buf, "from-another", 12) == 0,
	      "threads: the blocked reader gets the echo", "no echo");
	close(thr_fd);
}

/* Signals: a handler without SA_RESTART interrupts a blocking read (EINTR); with it, not. */
static void
on_alarm(int sig)
{
	(void)sig;
}

static void *
late_write(void *arg)
{
	usleep(600000);
	(void)!write(*(int *)arg, "late", 4);
	return NULL;
}

static void
signals(void)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 0 }, { 0, 200000 } };
	char buf[8];
	int s = tcp_connect();
	pthread_t t;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	errno = 0;
	n = read(s, buf, sizeof(buf));
	check(n == -1 && errno == EINTR, "a signal (no SA_RESTART) interrupts a blocking read: EINTR",
	      "not interrupted");
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	pthread_create(&t, NULL, late_write, &s);
	setitimer(ITIMER_REAL, &it, NULL);
	n = read(s, buf, sizeof(buf));
	check(n == 4 && memcmp(buf, "late", 4) == 0,
	      "with SA_RESTART the read goes on and gets the data that came later", "interrupted");
	pthread_join(t, NULL);
	signal(SIGALRM, SIG_DFL);
	close(s);
}

/*
 * fork: a child that leaves the parent's socket alone runs (here: a shell
 * command); one that uses it gets EBADF, and its new AF_INET sockets
 * ENETDOWN; the parent's socket still works afterwards.
 */
static void
forking(void)
{
	char buf[16];
	int s = tcp_connect(), st;
	pid_t c;

	fflush(stdout);
	c = fork();
	if (c == 0) {
		int ok = 1;

		errno = 0;
		if (write(s, "child", 5) != -1 || errno != EBADF)
			ok = 0;
		errno = 0;
		if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != ENETDOWN)
			ok = 0;
		if (close(s) != 0)	/* its copy of the descriptor closes quietly */
			ok = 0;
		_exit(ok ? 0 : 1);
	}
	st = -1;
	waitpid(c, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "fork: the child's use of the parent's socket is EBADF, a new one ENETDOWN",
	      "the child saw otherwise");
	check(system("exit 3") != -1, "fork+exec (system) runs a command", "system failed");
	check(write(s, "parent", 6) == 6 && read_exact(s, buf, 6) == 0 && memcmp(buf, "parent", 6) == 0,
	      "the parent's socket still carries the stream after the fork", "no echo");
	close(s);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lab-preload-probe HOST\n");
		return 2;
	}
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons(7);
	if (inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1) {
		fprintf(stderr, "lab-preload-probe: %s is not an IPv4 address\n", argv[1]);
		return 2;
	}
	descriptors();
	waiting();
	vectors();
	threads();
	signals();
	forking();
	printf("lab-preload-probe: %d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
