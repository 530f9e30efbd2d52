/* SPDX-License-Identifier: MIT
 * bench_proc.h -- what the benchmark needs of the processes it runs:
 * starting them, their CPU time and peak memory, and the figures it reads
 * from the daemon's log and sync log. */
#ifndef DS_BENCH_PROC_H
#define DS_BENCH_PROC_H
#include <sys/resource.h>
#include <sys/types.h>

double now_s(void);
/* Prints "bench: MSG" and exits 1. */
__attribute__((noreturn)) void die(const char *msg);
/* Starts argv[0] with stdout and stderr to |out_path| (NULL: /dev/null). */
pid_t spawn(const char *const *argv, const char *out_path);
/* As spawn, in a session of its own, as systemd starts a service (setsid):
 * for the daemon, which the kernel then schedules as one group against the
 * devices' processes (autogroup), as on a district's server. */
pid_t spawn_service(const char *const *argv, const char *out_path);
/* Runs argv[0] to its end, its stdout in |out| (|cap| bytes, NUL ended;
 * NULL: dropped); its exit status, or -1. */
int run(const char *const *argv, char *out, size_t cap);
/* A live process's peak RSS (VmHWM), in KiB; -1 when unknown. */
long vm_hwm_kib(pid_t pid);
/* A process's user + system CPU time so far, in seconds (/proc/PID/stat). */
double proc_cpu_s(pid_t pid);
/* A waited-for child's user + system CPU time, in seconds. */
double ru_cpu_s(const struct rusage *ru);
int cmp_double(const void *a, const void *b);
/* NAME_p50 and NAME_p99 of |n| times in ms (sorted here). */
void print_percentiles(const char *name, double *ms, int n);
/* daemon_request_ms_p50/_p99 from DIR/daemon.log, from byte |from| on. */
void daemon_request_ms(const char *dir, long from);
/* The initial sync's figures from the daemon's own records (below). */
void daemon_side(const char *dir, const char *db, double ops, double start_ms);
/* DIR/NAME's size in bytes; 0 when it is not there. */
long file_size(const char *dir, const char *name);
/* Writes |cmd| ("enable", "disable") to perf's control FIFO named by
 * BENCH_PERF_CTL, if set. */
void perf_ctl(const char *cmd);

#endif
