/*
 * runtime.c - the default instance: starts the stack from USOCK_* on the
 * first call, runs a service thread that sleeps on the driver's descriptor
 * until a frame or the next deadline (no periodic tick; spins only with
 * USOCK_BUSY_POLL), exports counters in /dev/shm for usock-stat, and stops
 * everything at exit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "usock.h"
#include "usock_build_config.h"
#include "../ip/dhcp.h"
#include "../ip/ip6.h"
#include "../sock/sock.h"
#include "config.h"
#include "runtime.h"
#include "table.h"

/* How long exit waits for connections the application left open to finish. */
#define BUSY_HANDOFF_NS		1000000ull	/* busy polling: an application poller holds the link this long */
#define US_EXIT_LINGER_NS (2ull * 1000000000ull)
/* Longest a start waits for IPv6 addresses to finish DAD (or, auto, for a router). */
#define US_IP6_START_WAIT_NS (4ull * 1000000000ull)
/* Longest a start waits for a DHCP lease (a DISCOVER and its first retransmission). */
#define US_DHCP_START_WAIT_NS (10ull * 1000000000ull)

struct us_runtime us_rt = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.wake_fd = -1,
	.vbase = INT_MAX,
};

static pthread_once_t cv_once = PTHREAD_ONCE_INIT;

uint64_t
us_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
cv_setup(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&us_rt.cv, &a);
	pthread_condattr_destroy(&a);
}

static void
wake_service(void)
{
	uint64_t one = 1;

	if (us_rt.wake_fd >= 0)
		(void)!us_sys_write(us_rt.wake_fd, &one, sizeof(one));
}

void
us_rt_sync_fd(struct us_sock *s)
{
	unsigned ev = us_sock_events(s) & (US_EV_ERR | US_EV_HUP | (s->want_in ? US_EV_IN : 0) |
					   (s->want_out ? US_EV_OUT : 0));
	uint64_t v = 1;

	if (s->fd < 0 || us_rt_fd_virtual(s->fd))
		return;
	if (ev != 0 && s->ev_signalled == 0) {
		(void)!us_sys_write(s->fd, &v, sizeof(v));
		s->ev_signalled = 1;
	} else if (ev == 0 && s->ev_signalled != 0) {
		(void)!us_sys_read(s->fd, &v, sizeof(v));
		s->ev_signalled = 0;
	}
}

/* Wakes every application thread asleep in us_rt_wait (lock held). */
static void
wake_waiters(void)
{
	struct us_waiter *w;
	uint64_t one = 1;

	pthread_cond_broadcast(&us_rt.cv);
	for (w = us_rt.waiters; w != NULL; w = w->next)
		(void)!us_sys_write(w->efd, &one, sizeof(one));
}

/*
 * A wait a signal interrupted: does the call go on, as the kernel restarts
 * a socket call whose signal's handler has SA_RESTART (signal(3) sets it)?
 * Which signal came is not known here, so: yes when every handler in
 * place for an asynchronous signal has SA_RESTART; one without it (a
 * server's "stop" flag) makes the call fail with EINTR, as that program
 * expects.
 */
static int
restartable(void)
{
	struct sigaction sa;
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		/*
		 * Faults are synchronous: their handlers (a sanitizer's, a crash
		 * reporter's) never interrupt a wait, whatever their flags.
		 */
		if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS ||
		    sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS ||
		    sig == SIGABRT || sigaction(sig, NULL, &sa) != 0)
			continue;
		if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN && !(sa.sa_flags & SA_RESTART))
			return 0;
	}
	return 1;
}

static pthread_key_t waiter_key;
static pthread_once_t waiter_once = PTHREAD_ONCE_INIT;

static void
waiter_free(void *p)
{
	struct us_waiter *w = p;

	us_sys_close(w->efd);
	free(w);
}

static void
waiter_setup(void)
{
	pthread_key_create(&waiter_key, waiter_free);
}

/* This thread's waiter (its eventfd made on its first wait), or NULL. */
static struct us_waiter *
waiter_self(void)
{
	struct us_waiter *w;

	pthread_once(&waiter_once, waiter_setup);
	w = pthread_getspecific(waiter_key);
	if (w != NULL)
		return w;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0 || pthread_setspecific(waiter_key, w) != 0) {
		if (w->efd >= 0)
			us_sys_close(w->efd);
		free(w);
		return NULL;
	}
	return w;
}

/* Socket hook: wake blocked callers, and make the descriptor readable or not for poll(2). */
static void
on_sock_event(struct us_stack *st, struct us_sock *s)
{
	(void)st;
	wake_waiters();
	/* An edge-triggered epoll set (the shim) sees each event as a new write: a new edge. */
	if (s->ep_edge)
		s->ev_signalled = 0;
	us_rt_sync_fd(s);
}

static void *
service(void *arg)
{
	struct us_stack *st;
	struct pollfd pf[2];
	sigset_t all;
	int stale = 0;	/* the driver's descriptor readable, nothing read (see below) */

	(void)arg;
	/* Signals belong to the application's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&us_rt.mu);
	st = us_rt.st;
	while (!us_rt.stop) {
		uint64_t now = us_clock_ns(), dl;
		struct timespec ts, *tsp = NULL;
		unsigned got;

		got = us_stack_poll(st, now, 64);
		if (got > 0)
			stale = 0;
		if (us_rt.shm != NULL && us_rt.shm->ip4 != st->ip4) {
			/* DHCP changed the address: usock-stat shows the one in use. */
			us_rt.shm->ip4 = st->ip4;
			us_rt.shm->plen = (uint8_t)__builtin_popcount(st->mask);
		}
		/*
		 * Busy polling: spin, unless an application thread waiting in a
		 * call polls the link itself right now (us_rt_wait); two spinners
		 * on one core would only take turns.
		 */
		if ((st->cfg.busy_poll && now > us_rt.app_polled_at + BUSY_HANDOFF_NS) || got > 0) {
			/*
			 * Traffic is flowing (or busy polling was asked for): go round
			 * without sleeping, but let application threads take the lock
			 * between bursts so they can drain what arrived.
			 */
			pthread_mutex_unlock(&us_rt.mu);
			sched_yield();
			pthread_mutex_lock(&us_rt.mu);
			continue;
		}
		dl = us_stack_next_deadline(st);
		if (st->cfg.busy_poll && dl > now + BUSY_HANDOFF_NS)
			dl = now + BUSY_HANDOFF_NS;	/* back to spinning when the thread stops */
		/*
		 * The driver's descriptor said readable and gave nothing, twice: a
		 * frame the application holds in place keeps it readable (afpacket,
		 * usock_recv_borrow).  Poll the driver every millisecond instead of
		 * spinning, and look at the descriptor again every 100 ms.
		 */
		if (stale >= 2 && stale < 100 && dl > now + 1000000)
			dl = now + 1000000;
		us_rt.sleep_until = dl;
		if (dl != UINT64_MAX) {
			uint64_t d = dl > now ? dl - now : 0;

			ts.tv_sec = (time_t)(d / 1000000000ull);
			ts.tv_nsec = (long)(d % 1000000000ull);
			tsp = &ts;
		}
		pf[0].fd = stale >= 2 && stale < 100 ? -1 : us_drv_fd(st->drv);
		pf[0].events = POLLIN;
		pf[1].fd = us_rt.wake_fd;
		pf[1].events = POLLIN;
		pf[0].revents = 0;
		pthread_mutex_unlock(&us_rt.mu);
		if (ppoll(pf, 2, tsp, NULL) > 0 && (pf[1].revents & POLLIN)) {
			uint64_t v;

			(void)!us_sys_read(us_rt.wake_fd, &v, sizeof(v));
		}
		if (pf[0].revents & POLLIN)
			stale = stale >= 100 ? 2 : stale + 1;
		else if (stale >= 2)
			stale = stale >= 100 ? 0 : stale + 1;
		pthread_mutex_lock(&us_rt.mu);
		us_rt.sleep_until = 0;
	}
	pthread_mutex_unlock(&us_rt.mu);
	return NULL;
}

/*
 * Removes counters files left by usock processes that died without their
 * exit handler (killed, or ended with _exit), so /dev/shm does not fill.
 */
static void
remove_stale_stats(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[300], *end;
		long pid;

		if (strncmp(e->d_name, "usock.", 6) != 0)
			continue;
		pid = strtol(e->d_name + 6, &end, 10);
		if (*end != '\0' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "/dev/shm/%s", e->d_name);
		unlink(path);
	}
	closedir(d);
}

/* Exports the counters as /dev/shm/usock.<pid>; failure only means no usock-stat. */
static void
export_stats(struct us_stack *st)
{
	struct us_stats_file *f;
	int fd;

	remove_stale_stats();

	snprintf(us_rt.shm_path, sizeof(us_rt.shm_path), "/dev/shm/usock.%d", (int)getpid());
	fd = open(us_rt.shm_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (ftruncate(fd, sizeof(*f)) != 0) {
		close(fd);
		unlink(us_rt.shm_path);
		return;
	}
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (f == MAP_FAILED) {
		unlink(us_rt.shm_path);
		return;
	}
	f->magic = US_STATS_MAGIC;
	f->version = US_STATS_VERSION;
	f->size = sizeof(*f);
	f->pid = (int32_t)getpid();
	snprintf(f->iface, sizeof(f->iface), "%s", st->cfg.iface);
	snprintf(f->driver, sizeof(f->driver), "%s", st->cfg.driver);
	f->ip4 = st->ip4;
	f->plen = (uint8_t)__builtin_popcount(st->mask);
	memcpy(f->mac, st->mac, 6);
	f->s = *st->stats;
	us_stack_set_stats(st, &f->s);
	us_rt.shm = f;
}

static void
at_exit(void)
{
	usock_fini();
	/* A destructor or a thread still running after exit must not start a new stack. */
	pthread_mutex_lock(&us_rt.mu);
	us_rt.init_err = -ESHUTDOWN;
	pthread_mutex_unlock(&us_rt.mu);
}

/*
 * Where descriptors past the process's limit are numbered from: fs.nr_open,
 * the ceiling of every process's RLIMIT_NOFILE, so no kernel descriptor
 * reaches it.  Read at the start, while a descriptor is surely free;
 * INT_MAX (none such) when it cannot be read or leaves no room.
 */
static int
read_nr_open(void)
{
	char buf[32];
	ssize_t n;
	long v;
	int fd = open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return INT_MAX;
	n = us_sys_read(fd, buf, sizeof(buf) - 1);
	us_sys_close(fd);
	if (n <= 0)
		return INT_MAX;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v > 0 && v <= INT_MAX / 2 ? (int)v : INT_MAX;
}

static int
start_locked(const struct usock_config *cfg)
{
	static int atexit_done;
	char err[512], why[256];
	struct us_config c;
	struct us_drv_opts opts;
	struct us_drv *drv, *w;
	uint32_t bufsize;
	int rc;

	pthread_once(&cv_once, cv_setup);
	if (us_rt.st != NULL)
		return -EALREADY;
	if (us_rt.vbase == INT_MAX && !us_rt.kernel_fds_only)
		us_rt.vbase = read_nr_open();
	rc = us_config_load(&c, cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return rc;
	}
	memset(&opts, 0, sizeof(opts));
	opts.iface = c.iface;
	opts.promisc = c.have_mac;
	/* IPv6 needs the all-nodes and solicited-node groups (RFC 4861 7.2.1, RFC 4291 2.8). */
	opts.allmulti = c.ip6_mode != US_CFG_IP6_OFF;
	opts.dpdk_args = c.dpdk_args;
	opts.dpdk_port = c.dpdk_port;
	opts.dpdk_queue = c.dpdk_queue;
	opts.dpdk_mbufs = c.dpdk_mbufs;
	opts.ring_frames = c.ring_frames;
	drv = us_drv_open(c.driver, &opts, NULL, why, sizeof(why));
	if (drv == NULL) {
		if (strcmp(c.driver, "dpdk") == 0)
			fprintf(stderr, "usock: USOCK_DRIVER=dpdk: %s\n", why);
		else
			fprintf(stderr, "usock: USOCK_DRIVER=%s on USOCK_IFACE=%s: %s\n", c.driver,
				c.iface, why);
		return -ENODEV;
	}
	/* Buffers hold the largest frame the link passes, after the headroom. */
	bufsize = US_HEADROOM + (drv->mtu + 18 > 2048 ? drv->mtu + 18 : 2048);
	bufsize = (bufsize + 63) & ~63u;
	us_rt.pool = us_pool_create(c.pool_size, bufsize, US_HEADROOM);
	if (us_rt.pool == NULL) {
		fprintf(stderr, "usock: USOCK_POOL=%u: cannot allocate %u buffers of %u bytes; "
			"lower USOCK_POOL\n", c.pool_size, c.pool_size, bufsize);
		us_drv_close(drv);
		return -ENOMEM;
	}
	drv->pool = us_rt.pool;
	if (drv->ops->set_pool != NULL && drv->ops->set_pool(drv, us_rt.pool) != 0)
		goto nomem;
	if (c.have_fault) {
		w = us_fault_wrap(drv, &c.fault);
		if (w == NULL)
			goto nomem;
		drv = w;
	}
	if (c.pcap_file[0] != '\0') {
		w = us_capture_wrap(drv, c.pcap_file, why, sizeof(why));
		if (w == NULL) {
			fprintf(stderr, "usock: USOCK_PCAP=%s: %s\n", c.pcap_file, why);
			us_drv_close(drv);
			us_pool_destroy(us_rt.pool);
			us_rt.pool = NULL;
			return -EINVAL;
		}
		drv = w;
	}
	us_rt.st = us_stack_create(&c, drv, us_rt.pool, us_clock_ns());
	if (us_rt.st == NULL)
		goto nomem;
	us_rt.st->hooks.sock_event = on_sock_event;
	us_rt.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	export_stats(us_rt.st);
	us_stack_announce(us_rt.st);
#if US_HAVE_IPV6
	us_ip6_start(us_rt.st);
#endif
	us_rt.stop = 0;
	if ((rc = pthread_create(&us_rt.thr, NULL, service, NULL)) != 0) {
		fprintf(stderr, "usock: cannot start the service thread: %s; raise the thread "
			"limit (ulimit -u)\n", strerror(rc));
		us_rt_stop_locked();
		return -EAGAIN;
	}
	us_rt.thr_running = 1;
	if (!atexit_done) {
		atexit_done = 1;
		atexit(at_exit);
	}
	return 0;
nomem:
	fprintf(stderr, "usock: out of memory starting the stack; lower USOCK_POOL\n");
	us_drv_close(drv);
	us_pool_destroy(us_rt.pool);
	us_rt.pool = NULL;
	return -ENOMEM;
}

/* Is IPv6 still coming up: an address in DAD, or (auto) no address from a router yet? */
static int
ip6_coming_up(const struct us_stack *st)
{
	int i, have_auto = 0;

	if (!st->ip6.enabled)
		return 0;
	for (i = 0; i < US_IP6_NADDR; i++) {
		if (st->ip6.addr[i].state == US_IP6A_TENTATIVE)
			return 1;
		have_auto |= st->ip6.addr[i].state == US_IP6A_PREFERRED && st->ip6.addr[i].autoconf;
	}
	return st->ip6.slaac && !have_auto && st->nd.rs_timer != 0;
}

/* Is the IPv4 address still to come from DHCP? */
static int
dhcp_coming_up(const struct us_stack *st)
{
	return st->cfg.dhcp && !us_dhcp_has_lease(st);
}

/*
 * Addresses are not there at once: IPv6 addresses stay tentative through
 * duplicate address detection (about a second, RFC 4862 5.4), with
 * USOCK_IPV6=auto the address comes with a router's answer, and with
 * USOCK_IPV4=dhcp with a server's.  A program that connects right after
 * starting would have no source address yet.  So the start waits for
 * them, as a system waits for its network, but never longer than
 * US_IP6_START_WAIT_NS (IPv6) or US_DHCP_START_WAIT_NS (DHCP); a lease
 * that is late is said in one line, and still taken when it comes.
 */
static void
wait_addresses(void)
{
	uint64_t t0 = us_clock_ns(), end6 = t0 + US_IP6_START_WAIT_NS;
	uint64_t end4 = t0 + US_DHCP_START_WAIT_NS;

	while (us_rt.st != NULL) {
		uint64_t now = us_clock_ns(), end = 0;

		if (ip6_coming_up(us_rt.st) && now < end6)
			end = end6;
		if (dhcp_coming_up(us_rt.st) && now < end4 && end4 > end)
			end = end4;
		if (end == 0)
			break;
		wake_service();
		/* Nothing signals the end of DAD or DHCP to application threads: look every 20 ms. */
		(void)us_rt_wait(now + 20000000ull < end ? now + 20000000ull : end);
	}
	if (us_rt.st != NULL && dhcp_coming_up(us_rt.st))
		fprintf(stderr, "usock: USOCK_IPV4=dhcp: no DHCP lease on %s after %llu s; still "
			"asking (IPv4 needs an address until then)\n", us_rt.st->cfg.iface,
			US_DHCP_START_WAIT_NS / 1000000000ull);
}

int
us_rt_start_locked(const struct usock_config *cfg)
{
	int rc;

	/*
	 * Drivers open kernel sockets of their own while starting (pcap's
	 * interface ioctls, DPDK's tap PMD): inside the LD_PRELOAD shim those
	 * must stay the kernel's, not become usock sockets of a stack that is
	 * not up yet (and whose lock this thread holds).
	 */
	us_rt_starting = 1;
	rc = start_locked(cfg);
	us_rt_starting = 0;
	if (rc == 0)
		wait_addresses();
	return rc;
}

void
us_rt_stop_locked(void)
{
	struct us_leak leak;
	uint32_t i;

	if (us_rt.st == NULL)
		return;
	/* Close what the application left open the way usock_close does (queued data, then FIN). */
	for (i = 0; i < us_rt.nfd; i++) {
		struct us_sock *s = us_rt.fdtab[i];

		if (s == NULL)
			continue;
		us_rt.fdtab[i] = NULL;
		if (s->fd_extra > 0) {
			/* One of several descriptors of the socket (dup): only it goes. */
			s->fd_extra--;
			us_sock_unref(us_rt.st, s);
			us_sys_close((int)i);
			continue;
		}
		s->fd = -1;
		us_sock_close(us_rt.st, s);
		us_sys_close((int)i);
	}
	for (i = 0; i < us_rt.nvt; i++) {
		struct us_sock *s = us_rt.vtab[i];

		if (s == NULL)
			continue;
		us_rt.vtab[i] = NULL;
		s->fd = -1;
		us_sock_close(us_rt.st, s);
	}
	us_stack_flush(us_rt.st);
	if (us_rt.thr_running) {
		/* Give those connections a bounded time to finish while the service thread runs. */
		uint64_t deadline = us_clock_ns() + US_EXIT_LINGER_NS;

		wake_service();
		while (us_tcp_active(us_rt.st) > 0 && us_rt_wait(deadline) == 0)
			;
	}
	if (us_rt.thr_running) {
		us_rt.stop = 1;
		wake_service();
		pthread_mutex_unlock(&us_rt.mu);
		pthread_join(us_rt.thr, NULL);
		pthread_mutex_lock(&us_rt.mu);
		us_rt.thr_running = 0;
	}
	us_table_resize(us_rt.fdtab, us_rt.nfd * sizeof(*us_rt.fdtab), 0);
	us_rt.fdtab = NULL;
	us_rt.nfd = 0;
	us_table_resize(us_rt.vtab, us_rt.nvt * sizeof(*us_rt.vtab), 0);
	us_rt.vtab = NULL;
	us_rt.nvt = 0;
	us_rt.vfree = 0;
	us_rt.nvused = 0;
	us_stack_flush(us_rt.st);
	us_stack_set_stats(us_rt.st, &us_rt.st->own_stats);
	if (us_stack_destroy(us_rt.st, &leak) != 0)
		fprintf(stderr, "usock: at exit %u packet buffers, %u TCP control blocks, %u sockets "
			"and %u ring-frame charges were never given back: a leak in usock, unless a "
			"thread was still inside a usock call\n", leak.bufs, leak.tcbs, leak.socks,
			leak.charges);
	us_rt.st = NULL;
	/* Buffers an application thread still holds keep the pool; it is small next to exit. */
	if (us_pool_destroy(us_rt.pool) == 0)
		us_rt.pool = NULL;
	if (us_rt.shm != NULL) {
		munmap(us_rt.shm, sizeof(*us_rt.shm));
		unlink(us_rt.shm_path);
		us_rt.shm = NULL;
	}
	if (us_rt.wake_fd >= 0)
		us_sys_close(us_rt.wake_fd);
	us_rt.wake_fd = -1;
	wake_waiters();
}

__thread int us_rt_starting;

int
us_rt_forget_after_fork(void)
{
	if (us_rt.st == NULL)
		return 0;	/* no stack yet: the child may start its own */
	pthread_mutex_init(&us_rt.mu, NULL);
	pthread_cond_init(&us_rt.cv, NULL);
	us_rt.st = NULL;	/* the parent's, a copy here: left as it is */
	us_rt.pool = NULL;
	us_rt.thr_running = 0;
	us_rt.wake_fd = -1;
	us_rt.fdtab = NULL;
	us_rt.nfd = 0;
	us_rt.vtab = NULL;
	us_rt.nvt = 0;
	us_rt.vfree = 0;
	us_rt.nvused = 0;
	us_rt.shm = NULL;	/* the counters file is the parent's to remove */
	us_rt.waiters = NULL;	/* the parent's threads */
	us_rt.init_err = -ENETDOWN;
	return 1;
}

int
us_rt_enter(void)
{
	int rc = 0;

	pthread_mutex_lock(&us_rt.mu);
	if (us_rt.st == NULL) {
		/* One implicit start per process: a bad setting is reported once, not per call. */
		if (us_rt.init_err != 0) {
			rc = us_rt.init_err;
		} else {
			rc = us_rt_start_locked(NULL);
			if (rc != 0)
				us_rt.init_err = rc == -ENODEV || rc == -EINVAL ? -ENETDOWN : rc;
			rc = us_rt.init_err;
		}
		if (rc != 0)
			pthread_mutex_unlock(&us_rt.mu);
	}
	return rc;
}

/*
 * Before an application thread lets go of the stack: send what the call
 * queued, and wake the service thread if the call armed a timer earlier
 * than the one it sleeps towards.
 */
static void
hand_back(void)
{
	struct us_stack *st = us_rt.st;

	if (st != NULL) {
		us_stack_flush(st);
		if (us_rt.sleep_until != 0 && us_stack_next_deadline(st) < us_rt.sleep_until)
			wake_service();
	}
}

void
us_rt_leave(void)
{
	hand_back();
	pthread_mutex_unlock(&us_rt.mu);
}

int
us_rt_wait(uint64_t deadline)
{
	struct us_waiter *w, **pp;
	struct timespec ts;
	uint64_t now, v;
	int rc, err;

	/* Waiting lets go of the stack as leaving does: a SYN left unsent would wait with us. */
	hand_back();
	if (us_rt.st != NULL && us_rt.st->cfg.busy_poll) {
		/*
		 * Busy polling (as the kernel's SO_BUSY_POLL): the waiting thread
		 * polls the link itself instead of sleeping until the service
		 * thread hands it the event, so a reply is seen the moment it lands.
		 */
		now = us_clock_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		us_rt.app_polled_at = now;
		if (us_stack_poll(us_rt.st, now, 64) == 0) {
			pthread_mutex_unlock(&us_rt.mu);
			sched_yield();
			pthread_mutex_lock(&us_rt.mu);
		}
		hand_back();
		return 0;
	}
	now = us_clock_ns();
	if (deadline != UINT64_MAX && now >= deadline)
		return -ETIMEDOUT;
	w = waiter_self();
	if (w == NULL) {
		/* No eventfd to spare: the condition variable (not interruptible). */
		if (deadline == UINT64_MAX) {
			pthread_cond_wait(&us_rt.cv, &us_rt.mu);
			return 0;
		}
		ts.tv_sec = (time_t)(deadline / 1000000000ull);
		ts.tv_nsec = (long)(deadline % 1000000000ull);
		pthread_cond_timedwait(&us_rt.cv, &us_rt.mu, &ts);
		return 0;
	}
	/* On the list before the lock goes: an event meanwhile writes the eventfd, not lost. */
	w->next = us_rt.waiters;
	us_rt.waiters = w;
	pthread_mutex_unlock(&us_rt.mu);
	{
		struct pollfd pf = { .fd = w->efd, .events = POLLIN };
		uint64_t d = deadline == UINT64_MAX ? 0 : deadline - now;

		ts.tv_sec = (time_t)(d / 1000000000ull);
		ts.tv_nsec = (long)(d % 1000000000ull);
		rc = (int)syscall(SYS_ppoll, &pf, 1, deadline == UINT64_MAX ? NULL : &ts, NULL,
				  (size_t)8);
		err = errno;
	}
	pthread_mutex_lock(&us_rt.mu);
	for (pp = &us_rt.waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	(void)!us_sys_read(w->efd, &v, sizeof(v));
	return rc < 0 && err == EINTR && !restartable() ? -EINTR : 0;
}

int
us_rt_waiter_fd(void)
{
	struct us_waiter *w = waiter_self();

	return w != NULL ? w->efd : -1;
}

int
us_rt_arm(void)
{
	struct us_waiter *w = waiter_self();
	uint64_t v;

	if (w == NULL)
		return -1;
	(void)!us_sys_read(w->efd, &v, sizeof(v));
	w->next = us_rt.waiters;
	us_rt.waiters = w;
	return w->efd;
}

void
us_rt_disarm(void)
{
	struct us_waiter *w = pthread_getspecific(waiter_key), **pp;

	if (w == NULL)
		return;
	for (pp = &us_rt.waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
}

int
usock_init(const struct usock_config *cfg)
{
	int rc;

	pthread_mutex_lock(&us_rt.mu);
	rc = us_rt_start_locked(cfg);
	if (rc == 0)
		us_rt.init_err = 0;
	pthread_mutex_unlock(&us_rt.mu);
	if (rc != 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

void
usock_fini(void)
{
	pthread_mutex_lock(&us_rt.mu);
	us_rt_stop_locked();
	us_rt.init_err = 0;
	pthread_mutex_unlock(&us_rt.mu);
}
