/* SPDX-License-Identifier: MIT
 * buf.c -- capped growable buffers. */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"

void buf_init(struct buf *b, size_t limit) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->limit = limit ? limit : SIZE_MAX;
}

void buf_cleanup(struct buf *b) {
  DS_FREE(b->data);
  b->len = 0;
  b->cap = 0;
}

void buf_reset(struct buf *b) {
  b->len = 0;
}

int buf_reserve(struct buf *b, size_t n) {
  size_t want, ncap;
  uint8_t *p;

  if (n > b->limit || b->len > b->limit - n) {
    buf_reset(b);
    return DS_ETOOBIG;
  }
  want = b->len + n + 1; /* room for buf_cstr's NUL */
  if (want <= b->cap)
    return 0;
  ncap = b->cap ? b->cap : 64;
  while (ncap < want)
    ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
  p = ds_realloc(b->data, ncap);
  if (!p)
    return DS_ENOMEM;
  b->data = p;
  b->cap = ncap;
  return 0;
}

int buf_reserve_exact(struct buf *b, size_t n) {
  uint8_t *p;
  if (n > b->limit || b->len > b->limit - n) {
    buf_reset(b);
    return DS_ETOOBIG;
  }
  if (b->len + n + 1 <= b->cap)
    return 0;
  p = ds_realloc(b->data, b->len + n + 1);
  if (!p)
    return DS_ENOMEM;
  b->data = p;
  b->cap = b->len + n + 1;
  return 0;
}

int buf_append(struct buf *b, const void *p, size_t n) {
  int rc;

  if (n == 0)
    return 0;
  rc = buf_reserve(b, n);
  if (rc)
    return rc;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

int buf_putc(struct buf *b, uint8_t c) {
  return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  int n, rc;

  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return DS_EINVAL;
  rc = buf_reserve(b, (size_t)n);
  if (rc)
    return rc;
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  int rc;

  va_start(ap, fmt);
  rc = buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

int buf_cstr(struct buf *b) {
  int rc = buf_reserve(b, 0);
  if (rc)
    return rc;
  b->data[b->len] = '\0';
  return 0;
}

uint8_t *buf_take(struct buf *b, size_t *len) {
  uint8_t *p = b->data;
  if (len)
    *len = b->len;
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  return p;
}
