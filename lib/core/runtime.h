/*
 * runtime.h - the default stack instance behind the public API: its lock,
 * the service thread that runs timers and receives while the application
 * makes no call, descriptors, and the counters file usock-stat reads.
 */
#ifndef US_RUNTIME_H
#define US_RUNTIME_H

#include <pthread.h>
#include <stdint.h>

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
	struct us_stats_file *shm;	/* exported counters, NULL if not exported */
	char shm_path[64];	/* its file */
	int init_err;		/* the error of a failed implicit start (-E) */
	uint64_t app_polled_at;	/* busy polling: when a waiting application thread last polled */
};

extern struct us_runtime us_rt;

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
/* Takes the lock and starts the stack from the environment if needed: 0 or -E. */
int us_rt_enter(void);
/* Flushes output, wakes the service thread if its sleep is now too long, unlocks. */
void us_rt_leave(void);
/*
 * Waits for a socket event until deadline (monotonic ns; UINT64_MAX: none)
 * with the lock held.  Returns 0, or -ETIMEDOUT once the deadline passed.
 */
int us_rt_wait(uint64_t deadline);

#endif /* US_RUNTIME_H */
