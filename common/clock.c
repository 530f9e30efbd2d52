/* SPDX-License-Identifier: MIT
 * clock.c -- wall clock with a test override. */
#include "common/clock.h"

#include <stdlib.h>
#include <time.h>

uint64_t clock_now_ms(void) {
  struct timespec ts;
  const char *fake = getenv("DANSYNC_FAKE_NOW_MS");
  uint64_t now;

  clock_gettime(CLOCK_REALTIME, &ts);
  now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  if (fake && *fake) {
    char *end;
    long long v = strtoll(fake, &end, 10);
    if (*end == '\0') {
      if (fake[0] == '+' || fake[0] == '-')
        return (uint64_t)((long long)now + v);
      return (uint64_t)v;
    }
  }
  return now;
}
