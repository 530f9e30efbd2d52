/* SPDX-License-Identifier: MIT
 * alloc.c -- malloc wrappers with a failure-injection counter for tests.
 * The counter counts only once a test has called ds_alloc_fail_after (tests
 * are single-threaded when they use it). The programs never call it, so in
 * the daemon's threads the allocators only read |armed|, never write a
 * shared global. */
#include "common/alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool armed; /* a test has called ds_alloc_fail_after */
static unsigned long fail_at;
static unsigned long count;

static bool should_fail(void) {
  if (!armed)
    return false;
  count++;
  return fail_at != 0 && count == fail_at;
}

unsigned long ds_alloc_fail_after(unsigned long n) {
  unsigned long seen = count;
  armed = true;
  count = 0;
  fail_at = n;
  return seen;
}

void *ds_malloc(size_t n) {
  if (should_fail())
    return NULL;
  return malloc(n ? n : 1);
}

void *ds_calloc(size_t count_, size_t n) {
  if (should_fail())
    return NULL;
  return calloc(count_ ? count_ : 1, n ? n : 1);
}

void *ds_realloc(void *p, size_t n) {
  if (should_fail())
    return NULL;
  return realloc(p, n ? n : 1);
}

void ds_free(void *p) {
  free(p);
}

char *ds_strndup(const char *s, size_t n) {
  char *d = ds_malloc(n + 1);
  if (!d)
    return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *ds_strdup(const char *s) {
  return ds_strndup(s, strlen(s));
}
