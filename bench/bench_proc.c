/* SPDX-License-Identifier: MIT
 * bench_proc.c -- see bench_proc.h. */
#define _DEFAULT_SOURCE /* timegm */
#include "bench/bench_proc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void die(const char *msg) {
  fprintf(stderr, "bench: %s\n", msg);
  exit(1);
}

static pid_t start(const char *const *argv, const char *out_path,
                   bool session) {
  pid_t parent = getpid(), pid = fork();
  if (pid == 0) {
    int fd = open(out_path ? out_path : "/dev/null",
                  O_WRONLY | O_CREAT | O_TRUNC, 0644);
    /* Out of the bench's session, a Ctrl-C no longer reaches it: it ends
     * with the bench instead (the bench forks from its one thread), or
     * does not start if the bench is already gone. */
    if (fd < 0 ||
        (session && (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) ||
                     getppid() != parent)))
      _exit(127);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2)
      close(fd);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  return pid;
}

pid_t spawn(const char *const *argv, const char *out_path) {
  return start(argv, out_path, false);
}

pid_t spawn_service(const char *const *argv, const char *out_path) {
  return start(argv, out_path, true);
}

int run(const char *const *argv, char *out, size_t cap) {
  int fds[2], status;
  ssize_t n, len = 0;
  pid_t pid;
  if (pipe(fds))
    die("pipe");
  pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(out ? fds[1] : null, 1);
    dup2(null, 2);
    close(fds[0]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  while (out && (n = read(fds[0], out + len, cap - 1 - (size_t)len)) > 0)
    len += n;
  if (out)
    out[len] = '\0';
  close(fds[0]);
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long vm_hwm_kib(pid_t pid) {
  char path[64], line[256];
  long kib = -1;
  FILE *f;
  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  f = fopen(path, "r");
  while (f && fgets(line, sizeof(line), f))
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
      break;
  if (f)
    fclose(f);
  return kib;
}

/* A process's user + system CPU time so far, in seconds (/proc/PID/stat). */
double proc_cpu_s(pid_t pid) {
  char path[64], line[1024], *p;
  unsigned long long ut = 0, st = 0;
  FILE *f;
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  f = fopen(path, "r");
  if (!f)
    return 0;
  if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) &&
      sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
             &ut, &st) != 2)
    ut = st = 0;
  fclose(f);
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double ru_cpu_s(const struct rusage *ru) {
  return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
         (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* NAME_p50 and NAME_p99 of |n| times in ms (sorted here). */
void print_percentiles(const char *name, double *ms, int n) {
  qsort(ms, (size_t)n, sizeof(double), cmp_double);
  printf("%s_p50 %.2f ms\n", name, ms[n / 2]);
  printf("%s_p99 %.2f ms\n", name,
         ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
  fflush(stdout);
}

/* daemon_request_ms: each request the daemon accepted in its log from
 * byte |from| on, from entering the writer's queue to its answer (the log
 * line's wait_ms + merge_ms: merge, commit, WAL sync, answer). */
void daemon_request_ms(const char *dir, long from) {
  char path[512], line[1024];
  double ms[4096];
  int n = 0;
  FILE *f;

  snprintf(path, sizeof(path), "%s/daemon.log", dir);
  if (!(f = fopen(path, "r")) || fseek(f, from, SEEK_SET))
    die("cannot read the daemon's log");
  while (n < (int)(sizeof(ms) / sizeof(ms[0])) &&
         fgets(line, sizeof(line), f)) {
    const char *w = strstr(line, " wait_ms="), *m = strstr(line, " merge_ms=");
    if (strstr(line, "sync: accepted") && w && m)
      ms[n++] = strtod(w + 9, NULL) + strtod(m + 10, NULL);
  }
  fclose(f);
  if (!n)
    die("the daemon logged no accepted request");
  print_percentiles("daemon_request_ms", ms, n);
}

/* A log line's UTC time ("2026-12-02T17:57:08.232Z ..."), in ms. */
static double log_time_ms(const char *line) {
  struct tm tm = {0};
  int ms = 0;
  if (sscanf(line, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon,
             &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (double)timegm(&tm) * 1000 + ms;
}

/* From the daemon's own records of the initial sync:
 * - initial_sync_writer_ms_per_1k_ops: the writer's time per 1,000 ops
 *   (merge_ms over merged) of the accepted requests of at least 100 ops,
 *   their median: the daemon's share, less noisy than the wall time on a
 *   shared machine;
 * - initial_sync_daemon_ops_per_s: the ops over the time from the first
 *   request's arrival (the sync log's received_ms) to the last answer
 *   after its group was durable (the log line): the rate at which the
 *   daemon merged and logged, without the 15 device processes' start and
 *   their last local commits;
 * - initial_sync_first_request_ms: from the devices' start (|start_ms|,
 *   the wall clock) to the first request's arrival, a time in which the
 *   daemon has nothing to merge yet. */
void daemon_side(const char *dir, const char *db, double ops, double start_ms) {
  char path[512], line[1024];
  double *ms = NULL, last = -1, first = -1;
  int n = 0, cap = 0;
  sqlite3 *h = NULL;
  sqlite3_stmt *s = NULL;
  FILE *f;

  snprintf(path, sizeof(path), "%s/daemon.log", dir);
  if (!(f = fopen(path, "r")))
    die("cannot read the daemon's log");
  while (fgets(line, sizeof(line), f)) {
    const char *g = strstr(line, " merged="), *m = strstr(line, " merge_ms=");
    double merged = g ? strtod(g + 8, NULL) : 0;
    if (!strstr(line, "sync: accepted") || !m)
      continue;
    last = log_time_ms(line);
    if (merged < 100)
      continue;
    if (n == cap &&
        !(ms = realloc(ms, sizeof(*ms) * (size_t)(cap = 2 * cap + 64))))
      die("out of memory");
    ms[n++] = strtod(m + 10, NULL) * 1000 / merged;
  }
  fclose(f);
  if (!n)
    die("the daemon logged no accepted request");
  qsort(ms, (size_t)n, sizeof(double), cmp_double);
  printf("initial_sync_writer_ms_per_1k_ops %.2f ms\n", ms[n / 2]);
  free(ms);
  if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(h, "SELECT min(received_ms) FROM synclog", -1, &s,
                         NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    first = sqlite3_column_double(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(h);
  if (first > 0 && last > first) {
    printf("initial_sync_first_request_ms %.0f ms\n", first - start_ms);
    printf("initial_sync_daemon_ops_per_s %.0f ops/s\n",
           ops * 1000 / (last - first));
  }
}

long file_size(const char *dir, const char *name) {
  char path[512];
  struct stat sb;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  return stat(path, &sb) ? 0 : (long)sb.st_size;
}

/* With BENCH_PERF_CTL=FIFO, `perf record --control=fifo:FIFO -D -1 bench`
 * samples only the initial sync's window, not the stores' filling. A
 * FIFO blocks until perf reads it. */
void perf_ctl(const char *cmd) {
  const char *fifo = getenv("BENCH_PERF_CTL");
  FILE *f = fifo ? fopen(fifo, "w") : NULL;
  if (f) {
    fprintf(f, "%s\n", cmd);
    fclose(f);
  }
}
