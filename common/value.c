/* SPDX-License-Identifier: MIT
 * value.c -- canonical msgpack for field values. */
#include "common/value.h"

#include <string.h>

#include "proto/mpfmt.h"

static int put_be(struct buf *out, uint8_t tag, uint64_t v, int bytes) {
  uint8_t b[9];
  b[0] = tag;
  for (int i = 0; i < bytes; i++)
    b[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
  return buf_append(out, b, (size_t)bytes + 1);
}

int mp_put_uint(struct buf *out, uint64_t u) {
  if (u <= MP_POSFIXINT_MAX)
    return buf_putc(out, (uint8_t)u);
  if (u <= 0xff)
    return put_be(out, MP_UINT8, u, 1);
  if (u <= 0xffff)
    return put_be(out, MP_UINT16, u, 2);
  if (u <= 0xffffffffu)
    return put_be(out, MP_UINT32, u, 4);
  return put_be(out, MP_UINT64, u, 8);
}

int mp_put_int(struct buf *out, int64_t i) {
  if (i >= 0)
    return mp_put_uint(out, (uint64_t)i);
  if (i >= -32)
    return buf_putc(out, (uint8_t)(MP_NEGFIXINT | (i + 32)));
  if (i >= INT8_MIN)
    return put_be(out, MP_INT8, (uint64_t)i, 1);
  if (i >= INT16_MIN)
    return put_be(out, MP_INT16, (uint64_t)i, 2);
  if (i >= INT32_MIN)
    return put_be(out, MP_INT32, (uint64_t)i, 4);
  return put_be(out, MP_INT64, (uint64_t)i, 8);
}

static int put_len(struct buf *out, size_t n, uint8_t t8, uint8_t t16,
                   uint8_t t32) {
  if (n <= 0xff && t8)
    return put_be(out, t8, n, 1);
  if (n <= 0xffff)
    return put_be(out, t16, n, 2);
  return put_be(out, t32, n, 4);
}

int mp_put_str(struct buf *out, const char *s, size_t n) {
  int rc = n <= MP_FIX5_MAX ? buf_putc(out, (uint8_t)(MP_FIXSTR | n))
                            : put_len(out, n, MP_STR8, MP_STR16, MP_STR32);
  return rc ? rc : buf_append(out, s, n);
}

int mp_put_bin(struct buf *out, const void *p, size_t n) {
  int rc = put_len(out, n, MP_BIN8, MP_BIN16, MP_BIN32);
  return rc ? rc : buf_append(out, p, n);
}

int mp_put_array(struct buf *out, uint32_t n) {
  if (n <= MP_FIX4_MAX)
    return buf_putc(out, (uint8_t)(MP_FIXARRAY | n));
  return put_len(out, n, 0, MP_ARRAY16, MP_ARRAY32);
}

int mp_put_map(struct buf *out, uint32_t npairs) {
  if (npairs <= MP_FIX4_MAX)
    return buf_putc(out, (uint8_t)(MP_FIXMAP | npairs));
  return put_len(out, npairs, 0, MP_MAP16, MP_MAP32);
}

int value_encode(struct buf *out, const struct value *v) {
  int rc;

  switch (v->type) {
  case VAL_NIL: return buf_putc(out, MP_NIL);
  case VAL_BOOL: return buf_putc(out, v->i ? MP_TRUE : MP_FALSE);
  case VAL_INT: return mp_put_int(out, v->i);
  case VAL_STR: return mp_put_str(out, v->s, v->n);
  case VAL_BIN: return mp_put_bin(out, v->s, v->n);
  case VAL_STATUS:
    rc = mp_put_array(out, 2);
    if (!rc)
      rc = mp_put_int(out, v->i);
    if (!rc)
      rc = mp_put_str(out, v->s, v->n);
    return rc;
  }
  return DS_EINVAL;
}

static uint64_t get_be(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v = v << 8 | p[i];
  return v;
}

/* Reads an integer in any msgpack int form; *used is its length. */
static int get_int(const uint8_t *p, size_t n, int64_t *out, size_t *used) {
  static const int ulen[] = {1, 2, 4, 8};
  uint8_t t;

  if (n < 1)
    return DS_EPROTO;
  t = p[0];
  if (t <= MP_POSFIXINT_MAX || t >= MP_NEGFIXINT) {
    *out = (int8_t)t;
    *used = 1;
    return 0;
  }
  if (t >= MP_UINT8 && t <= MP_UINT64) {
    int b = ulen[t - MP_UINT8];
    uint64_t u;
    if (n < (size_t)b + 1)
      return DS_EPROTO;
    u = get_be(p + 1, b);
    if (u > INT64_MAX)
      return DS_EPROTO;
    *out = (int64_t)u;
    *used = (size_t)b + 1;
    return 0;
  }
  if (t >= MP_INT8 && t <= MP_INT64) {
    int b = ulen[t - MP_INT8];
    uint64_t u;
    if (n < (size_t)b + 1)
      return DS_EPROTO;
    u = get_be(p + 1, b);
    /* Sign-extend from b bytes. */
    if (b < 8 && (u >> (8 * b - 1)) & 1)
      u |= ~(uint64_t)0 << (8 * b);
    *out = (int64_t)u;
    *used = (size_t)b + 1;
    return 0;
  }
  return DS_EPROTO;
}

/* Reads a str or bin header; sets *is_str, the payload and total length. */
static int get_bytes(const uint8_t *p, size_t n, int *is_str,
                     const uint8_t **data, size_t *len, size_t *used) {
  size_t hdr, l;
  uint8_t t;

  if (n < 1)
    return DS_EPROTO;
  t = p[0];
  if ((t & MP_FIX5_MASK) == MP_FIXSTR) {
    *is_str = 1, hdr = 1, l = t & MP_FIX5_MAX;
  } else if (t == MP_STR8 || t == MP_BIN8) {
    *is_str = t == MP_STR8, hdr = 2;
    if (n < hdr)
      return DS_EPROTO;
    l = p[1];
  } else if (t == MP_STR16 || t == MP_BIN16) {
    *is_str = t == MP_STR16, hdr = 3;
    if (n < hdr)
      return DS_EPROTO;
    l = (size_t)get_be(p + 1, 2);
  } else if (t == MP_STR32 || t == MP_BIN32) {
    *is_str = t == MP_STR32, hdr = 5;
    if (n < hdr)
      return DS_EPROTO;
    l = (size_t)get_be(p + 1, 4);
  } else {
    return DS_EPROTO;
  }
  if (n - hdr < l)
    return DS_EPROTO;
  *data = p + hdr;
  *len = l;
  *used = hdr + l;
  return 0;
}

int value_decode(struct value *v, const uint8_t *p, size_t n, size_t *used) {
  const uint8_t *d;
  size_t l, u1, u2;
  int is_str, rc;

  if (n < 1)
    return DS_EPROTO;
  memset(v, 0, sizeof(*v));
  switch (p[0]) {
  case MP_NIL:
    v->type = VAL_NIL;
    *used = 1;
    return 0;
  case MP_FALSE:
  case MP_TRUE:
    v->type = VAL_BOOL;
    v->i = p[0] == MP_TRUE;
    *used = 1;
    return 0;
  case MP_FIXARRAY | 2: /* [gen, name] */
    rc = get_int(p + 1, n - 1, &v->i, &u1);
    if (rc)
      return rc;
    rc = get_bytes(p + 1 + u1, n - 1 - u1, &is_str, &d, &l, &u2);
    if (rc || !is_str)
      return DS_EPROTO;
    v->type = VAL_STATUS;
    v->s = (const char *)d;
    v->n = l;
    *used = 1 + u1 + u2;
    return 0;
  default: break;
  }
  if (get_int(p, n, &v->i, used) == 0) {
    v->type = VAL_INT;
    return 0;
  }
  rc = get_bytes(p, n, &is_str, &d, &l, used);
  if (rc)
    return rc;
  v->type = is_str ? VAL_STR : VAL_BIN;
  v->s = (const char *)d;
  v->n = l;
  return 0;
}

int value_equal(const struct value *a, const struct value *b) {
  if (a->type != b->type)
    return 0;
  switch (a->type) {
  case VAL_NIL: return 1;
  case VAL_BOOL:
  case VAL_INT: return a->i == b->i;
  case VAL_STATUS:
    if (a->i != b->i)
      return 0;
    /* fall through */
  case VAL_STR:
  case VAL_BIN:
    return a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, a->n) == 0);
  }
  return 0;
}
