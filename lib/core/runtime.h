/*
 * runtime.h - the default stack instance behind the public API: its lock,
 * the service thread that runs timers and receives while the application
 * makes no call, descriptors, and the counters file usock-stat reads.
 */
#ifndef US_RUNTIME_H
#define US_RUNTIME_H

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "stack.h"

struct usock_config;
struct us_sock;

struct us_runtime {
	pthread_mutex_t mu;	/* guards everything below and the stack */
	pthread_cond_t cv;	/* broadcast when any socket changes */
	struct us_stack *st;	/* the stack, NULL before init */
	struct us_pool *pool;	/* its packet buffers */
	pthread_t thr;		/* the service thread */
	int thr_running;	/* thr was started */
	int stop;		/* asks the service thread to end */
	int wake_fd;		/* eventfd that interrupts the service thread's sleep */
	uint64_t sleep_until;	/* when the service thread plans to wake */
	struct us_sock **fdtab;	/* descriptor -> socket */
	uint32_t nfd;		/* size of fdtab */
	/*
	 * Descriptors that are not kernel eventfds, made once the process has
	 * no eventfd left (RLIMIT_NOFILE): numbered from vbase up, vbase being
	 * fs.nr_open, the ceiling of every process's descriptor limit, so
	 * that none can equal a kernel descriptor.  Only usock_poll sees their
	 * readiness.  vbase is INT_MAX while there are none.
	 */
	struct us_sock **vtab;	/* descriptor - vbase -> socket */
	uint32_t nvt;		/* size of vtab */
	uint32_t vfree;		/* no free slot of vtab below this one */
	uint32_t nvused;	/* sockets in vtab (the table goes when none is left) */
	int vbase;
	int kernel_fds_only;	/* no such descriptors (the shim: programs hand theirs to the kernel) */
	struct us_stats_file *shm;	/* exported counters, NULL if not exported */
	char shm_path[64];	/* its file */
	int init_err;		/* the error of a failed implicit start (-E) */
	uint64_t app_polled_at;	/* busy polling: when a waiting application thread last polled */
	struct us_waiter *waiters;	/* application threads asleep in us_rt_wait */
};

/* A thread asleep in us_rt_wait: its eventfd is written to wake it. */
struct us_waiter {
	int efd;
	struct us_waiter *next;
};

extern struct us_runtime us_rt;

/* The socket behind descriptor fd, either kind, or NULL.  Lock held. */
static inline struct us_sock *
us_rt_fd_sock(int fd)
{
	if (fd < 0)
		return NULL;
	if ((uint32_t)fd < us_rt.nfd)
		return us_rt.fdtab[fd];
	if (fd >= us_rt.vbase && (uint32_t)(fd - us_rt.vbase) < us_rt.nvt)
		return us_rt.vtab[fd - us_rt.vbase];
	return NULL;
}

/* Is fd one of the descriptors that are not kernel eventfds? */
static inline int
us_rt_fd_virtual(int fd)
{
	return fd >= us_rt.vbase;
}

/*
 * The kernel calls the stack makes on its sockets' descriptors (eventfds)
 * go straight to the kernel: inside the LD_PRELOAD shim the C library's
 * read, write, poll and close are the shim's, which would take those
 * descriptors for sockets and call back into the stack.
 */
static inline ssize_t
us_sys_read(int fd, void *buf, size_t n)
{
	return (ssize_t)syscall(SYS_read, fd, buf, n);
}

static inline ssize_t
us_sys_write(int fd, const void *buf, size_t n)
{
	return (ssize_t)syscall(SYS_write, fd, buf, n);
}

static inline int
us_sys_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

static inline int
us_sys_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };

	/* ppoll: poll(2) itself is not on every architecture (arm64 has none). */
	return (int)syscall(SYS_ppoll, fds, n, timeout_ms < 0 ? NULL : &ts, NULL, (size_t)8);
}

/* Monotonic time in ns: the only clock the library reads. */
uint64_t us_clock_ns(void);

/*
 * Starts the default stack (cfg NULL: from the environment) with us_rt.mu
 * held.  Returns 0 or -E; a configuration error prints one line on stderr.
 */
int us_rt_start_locked(const struct usock_config *cfg);
/* Stops it with us_rt.mu held: closes sockets, joins the thread, frees. */
void us_rt_stop_locked(void);
/*
 * Makes s's descriptor readable exactly when s has an event its pollers
 * want (want_in/want_out), so poll(2) on it sleeps otherwise.  Lock held.
 */
void us_rt_sync_fd(struct us_sock *s);
/*
 * In a child after fork (no lock held: another thread may have held it in
 * the parent): the parent's stack, thread and descriptors are not this
 * process's; forget them without touching them, and refuse a new stack
 * (-ENETDOWN): it would take the parent's address on the same link.
 * Returns 1, or 0 when the parent had no stack (the child may start one).
 */
int us_rt_forget_after_fork(void);
/* Set while this thread starts the stack (drivers' own kernel sockets; see the shim). */
extern __thread int us_rt_starting;
/* Takes the lock and starts the stack from the environment if needed: 0 or -E. */
int us_rt_enter(void);
/* Flushes output, wakes the service thread if its sleep is now too long, unlocks. */
void us_rt_leave(void);
/*
 * Waits for a socket event until deadline (monotonic ns; UINT64_MAX: none)
 * with the lock held.  Returns 0, -ETIMEDOUT once the deadline passed, or
 * -EINTR when a signal came (the thread sleeps in ppoll, not on a
 * condition variable, so that a signal handler's return ends the wait as
 * it ends a kernel socket call).
 */
int us_rt_wait(uint64_t deadline);
/*
 * This thread's wake-up eventfd, armed: any socket event makes it readable
 * until us_rt_disarm (usock_poll sleeps on it for descriptors that are not
 * eventfds).  Returns the eventfd, or -1 when the thread has none and
 * cannot make one.  Lock held for both.
 */
int us_rt_arm(void);
void us_rt_disarm(void);
/*
 * This thread's wake-up eventfd, made on its first call (so that a thread
 * that polls has one before the process runs out of descriptors), or -1.
 */
int us_rt_waiter_fd(void);

#endif /* US_RUNTIME_H */
