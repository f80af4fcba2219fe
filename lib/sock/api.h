/*
 * api.h - what the LD_PRELOAD shim (lib/preload) needs of the API layer
 * beyond usock.h: descriptor bookkeeping (dup), readiness for epoll, and
 * the POSIX flavours of send and fcntl.
 */
#ifndef US_API_H
#define US_API_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Is fd a usock socket of this process? */
int us_api_is_sock(int fd);
/*
 * Makes descriptor newfd (a kernel dup of fd's eventfd the caller made)
 * name socket fd too; the socket closes with the last of its descriptors.
 */
int us_api_dup(int fd, int newfd);
/* The events ready on fd (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP); -1: not ours. */
int us_api_events(int fd);
/*
 * Marks the events an epoll set waits for on fd (in, out), so that its
 * descriptor turns readable on exactly those (in = out = 0: on none, a
 * one-shot registration that fired); us_api_interest_default gives the
 * default back (readable on input) when the set lets go of it.
 */
int us_api_interest(int fd, int in, int out);
int us_api_interest_default(int fd);
/* Bytes ready to read (FIONREAD); -1 with errno if fd is not ours. */
int us_api_nread(int fd);
/* Non-blocking? 1 or 0; -1 with errno if fd is not ours. */
int us_api_nonblocking(int fd);
/*
 * send(2) as POSIX has it: a blocking stream socket takes everything
 * (short only on a signal-free timeout); MSG_DONTWAIT or a non-blocking
 * socket takes what fits.
 */
ssize_t us_api_send(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		    socklen_t tolen);
/* Is fd a stream (TCP) socket?  -1 if not ours. */
int us_api_stream(int fd);
/* In a child after fork: the parent's stack is not ours; drop it (1), or 0 if there was none. */
int us_api_forget_after_fork(void);
/* Is this thread starting the stack (its drivers' sockets are the kernel's)? */
int us_api_starting(void);
/*
 * Every descriptor a kernel one (eventfd): the shim's programs hand their
 * descriptors to the kernel, so past the limit socket() fails with EMFILE.
 */
void us_api_kernel_fds_only(void);
/* Drops fd from the socket table without closing the kernel descriptor (dup2 replaced it). */
int us_api_forget_fd(int fd);
/* Marks fd's socket as registered edge-triggered: its descriptor is signalled on every event. */
int us_api_edge(int fd, int on);

#endif /* US_API_H */
