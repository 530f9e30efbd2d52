/* SPDX-License-Identifier: MIT
 * log.c -- the daemon's log lines. The level is the one write-once global
 * (set in main before uv_run). */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static enum log_level level = LOG_LVL_INFO;

void log_set_level(enum log_level lvl) {
  level = lvl;
}

enum log_level log_level(void) {
  return level;
}

void log_write(enum log_level lvl, const char *module, const char *fmt, ...) {
  static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
  char line[1024], when[32];
  struct timeval tv;
  struct tm tm;
  va_list ap;
  int n;

  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  n = snprintf(line, sizeof(line), "%s.%03dZ %s %s: ", when,
               (int)(tv.tv_usec / 1000), names[lvl], module);
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof(line))
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s\n", line);
}
