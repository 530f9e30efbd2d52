/* SPDX-License-Identifier: MIT
 * alloc.h -- the allocator every module uses, so tests can make the Nth
 * allocation fail and check that each caller returns DS_ENOMEM cleanly. */
#ifndef DS_COMMON_ALLOC_H
#define DS_COMMON_ALLOC_H
#include <stddef.h>

void *ds_malloc(size_t n);
void *ds_calloc(size_t count, size_t n);
void *ds_realloc(void *p, size_t n);
void ds_free(void *p);
/* A copy of |n| bytes of |s| plus a NUL, or NULL when out of memory. */
char *ds_strndup(const char *s, size_t n);
char *ds_strdup(const char *s);

#define DS_FREE(p) \
  do {             \
    ds_free(p);    \
    (p) = NULL;    \
  } while (0)

/* Test hook: makes the |n|th allocation from now fail (0 disables), and
 * returns how many allocations have been made since the last call (none
 * are counted before the first call). */
unsigned long ds_alloc_fail_after(unsigned long n);
#endif
