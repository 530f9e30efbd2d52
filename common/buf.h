/* SPDX-License-Identifier: MIT
 * buf.h -- a growable byte buffer with a hard cap, for anything fed by
 * outside input (bodies, headers, batches) and for encoders. */
#ifndef DS_COMMON_BUF_H
#define DS_COMMON_BUF_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct buf {
  uint8_t *data;
  size_t len;
  size_t cap;   /* allocated */
  size_t limit; /* hard cap; 0 means SIZE_MAX */
};

/* Initialises |b| empty with a hard cap of |limit| bytes (0: no cap). */
void buf_init(struct buf *b, size_t limit);
/* Frees the storage; |b| is empty and reusable afterwards. Idempotent. */
void buf_cleanup(struct buf *b);
/* Empties |b| but keeps its storage. */
void buf_reset(struct buf *b);
/* Makes room for |n| more bytes. DS_ETOOBIG (and |b| reset) past the cap. */
DS_NODISCARD int buf_reserve(struct buf *b, size_t n);
/* As buf_reserve, but grows to exactly what |n| more bytes need (and a
 * NUL), not to the next power of two: for a body of known length. */
DS_NODISCARD int buf_reserve_exact(struct buf *b, size_t n);
/* Appends |n| bytes. DS_ENOMEM, or DS_ETOOBIG (and |b| reset) past the cap. */
DS_NODISCARD int buf_append(struct buf *b, const void *p, size_t n);
DS_NODISCARD int buf_putc(struct buf *b, uint8_t c);
DS_NODISCARD int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
DS_NODISCARD int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends a NUL without counting it, so data can be used as a C string. */
DS_NODISCARD int buf_cstr(struct buf *b);
/* Hands the storage to the caller (free with ds_free); |b| is left empty. */
uint8_t *buf_take(struct buf *b, size_t *len);
static inline size_t buf_len(const struct buf *b) {
  return b->len;
}
#endif
