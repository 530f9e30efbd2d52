/* SPDX-License-Identifier: MIT
 * syncshim.c -- a test seam preloaded into dansyncd (LD_PRELOAD) by
 * it_durable.sh: it records, in order, each sync request read from a socket,
 * each fdatasync/fsync of a WAL file (begin and end) and each HTTP answer
 * about to be written, fails WAL syncs with EIO while a switch file exists
 * (SYNCSHIM_FAIL), and holds each WAL sync for as long as another one does
 * (SYNCSHIM_HOLD: a disk as slow as the test needs it to be).
 * Not part of any program. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

typedef ssize_t (*rw_fn)(int, void *, size_t);
typedef ssize_t (*w_fn)(int, const void *, size_t);
typedef ssize_t (*wv_fn)(int, const struct iovec *, int);
typedef int (*sync_fn)(int);

static void *next(const char *name) {
  return dlsym(RTLD_NEXT, name);
}

/* One line per event, in one write(2) to an O_APPEND file: the lines of
 * the daemon's threads never interleave. */
static void note(const char *what) {
  static w_fn real;
  const char *path = getenv("SYNCSHIM_LOG");
  char line[64];
  int fd, n;

  if (!path)
    return;
  if (!real)
    real = (w_fn)next("write");
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  n = snprintf(line, sizeof(line), "%s\n", what);
  if (real(fd, line, (size_t)n) < 0)
    (void)0;
  close(fd);
}

static int is_sock(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int is_wal(int fd) {
  char link[64], path[4096];
  ssize_t n;
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  n = readlink(link, path, sizeof(path) - 1);
  return n > 4 && memcmp(path + n - 4, "-wal", 4) == 0;
}

static int wal_sync(int fd, const char *name, sync_fn *real) {
  const char *fail = getenv("SYNCSHIM_FAIL");
  const char *hold = getenv("SYNCSHIM_HOLD");
  int rc;

  if (!*real)
    *real = (sync_fn)next(name);
  if (!is_wal(fd))
    return (*real)(fd);
  note("sync-begin");
  if (fail && access(fail, F_OK) == 0) {
    note("sync-fail");
    errno = EIO;
    return -1;
  }
  if (hold) {
    struct timespec ts = {0, 5 * 1000000L};
    while (access(hold, F_OK) == 0)
      nanosleep(&ts, NULL);
  }
  rc = (*real)(fd);
  note(rc ? "sync-fail" : "sync-end");
  return rc;
}

int fdatasync(int fd) {
  static sync_fn real;
  return wal_sync(fd, "fdatasync", &real);
}

int fsync(int fd) {
  static sync_fn real;
  return wal_sync(fd, "fsync", &real);
}

static void answer(int fd, const void *p, size_t n) {
  char what[32];
  if (n >= 12 && memcmp(p, "HTTP/1.1 ", 9) == 0 && is_sock(fd)) {
    snprintf(what, sizeof(what), "answer %.3s", (const char *)p + 9);
    note(what);
  }
}

ssize_t read(int fd, void *buf, size_t n) {
  static rw_fn real;
  ssize_t rc;
  if (!real)
    real = (rw_fn)next("read");
  rc = real(fd, buf, n);
  if (rc >= 13 && memcmp(buf, "POST /v1/sync", 13) == 0 && is_sock(fd))
    note("request");
  return rc;
}

ssize_t write(int fd, const void *buf, size_t n) {
  static w_fn real;
  if (!real)
    real = (w_fn)next("write");
  answer(fd, buf, n);
  return real(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  static wv_fn real;
  if (!real)
    real = (wv_fn)next("writev");
  if (cnt > 0)
    answer(fd, iov[0].iov_base, iov[0].iov_len);
  return real(fd, iov, cnt);
}
