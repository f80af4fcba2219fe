#!/usr/bin/env bash
# test_stale_stats: a usock process killed without its exit handler leaves
# /dev/shm/usock.<pid> behind; the next usock process removes such files
# (and only those), and its own goes away when it exits.
. "$(dirname "$0")/lib.sh"
lab_init "${1:-}"
lab_make

# A PID no process has: the highest one below pid_max that is free.
dead=$(($(cat /proc/sys/kernel/pid_max) - 1))
while kill -0 "$dead" 2>/dev/null; do dead=$((dead - 1)); done
printf 'stale' >"/dev/shm/usock.$dead"
# A file of a live process (this shell) must stay.
printf 'live' >"/dev/shm/usock.$$"
srv_start
check "the stale counters file of dead pid $dead was removed" test ! -e "/dev/shm/usock.$dead"
check "a live process's file was kept" test -e "/dev/shm/usock.$$"
rm -f "/dev/shm/usock.$$"
srv_stop
lab_finish
