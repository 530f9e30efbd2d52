/* SPDX-License-Identifier: MIT
 * value.h -- a field value and its canonical msgpack encoding (DESIGN §4,
 * digest): the smallest msgpack form of each value, so that the same value
 * always has the same bytes on every node. Only the subset fields use:
 * nil, bool, int, str, bin, and a status [gen, name]. No msgpack-c here. */
#ifndef DS_COMMON_VALUE_H
#define DS_COMMON_VALUE_H
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

enum value_type { VAL_NIL, VAL_BOOL, VAL_INT, VAL_STR, VAL_BIN, VAL_STATUS };

/* A borrowed view: |s| points into someone else's bytes. */
struct value {
  enum value_type type;
  int64_t i;     /* BOOL (0/1), INT, STATUS generation */
  const char *s; /* STR, BIN bytes, STATUS name */
  size_t n;
};

/* Appends the canonical encoding of |v| to |out|. DS_ENOMEM or DS_ETOOBIG. */
DS_NODISCARD int value_encode(struct buf *out, const struct value *v);
/* Decodes one canonical-subset value from |p| (|n| bytes) into |v| (pointing
 * into |p|) and its encoded length into |*used|. DS_EPROTO if malformed. */
DS_NODISCARD int value_decode(struct value *v, const uint8_t *p, size_t n,
                              size_t *used);
/* True when |a| and |b| are the same value. */
int value_equal(const struct value *a, const struct value *b);

/* The canonical writers (the smallest form of each, type bytes named in
 * proto/mpfmt.h), shared with proto/codec_msg.c, which patches a map's
 * header, and with the wire's tests. */
DS_NODISCARD int mp_put_uint(struct buf *out, uint64_t u);
DS_NODISCARD int mp_put_int(struct buf *out, int64_t i);
DS_NODISCARD int mp_put_str(struct buf *out, const char *s, size_t n);
DS_NODISCARD int mp_put_bin(struct buf *out, const void *p, size_t n);
DS_NODISCARD int mp_put_array(struct buf *out, uint32_t n);
DS_NODISCARD int mp_put_map(struct buf *out, uint32_t npairs);
#endif
