/* SPDX-License-Identifier: MIT
 * mpwalk.c -- iterative msgpack structure check (no recursion on input). */
#include "proto/mpwalk.h"

#include "proto/mpfmt.h"

#define MPWALK_STACK 16

static uint64_t be(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

int mpwalk(const uint8_t *p, size_t n, int max_depth, size_t *used) {
  uint64_t left[MPWALK_STACK]; /* items still to read at each level */
  int depth = 0;
  size_t i = 0;

  if (max_depth > MPWALK_STACK)
    max_depth = MPWALK_STACK;
  left[0] = 1;
  while (depth >= 0) {
    uint8_t t;
    uint64_t skip = 0, items = 0;
    int hdr = 1;

    if (left[depth] == 0) {
      depth--;
      continue;
    }
    left[depth]--;
    if (i >= n)
      return DS_EPROTO;
    t = p[i];
    if (t <= MP_POSFIXINT_MAX || t >= MP_NEGFIXINT || t == MP_NIL ||
        t == MP_FALSE || t == MP_TRUE) {
      /* fixint, nil, bool */
    } else if ((t & MP_FIX4_MASK) == MP_FIXMAP) {
      items = 2u * (t & MP_FIX4_MAX);
    } else if ((t & MP_FIX4_MASK) == MP_FIXARRAY) {
      items = t & MP_FIX4_MAX;
    } else if ((t & MP_FIX5_MASK) == MP_FIXSTR) {
      skip = t & MP_FIX5_MAX;
    } else {
      switch (t) {
      case MP_UINT8:
      case MP_INT8: hdr = 2; break;
      case MP_UINT16:
      case MP_INT16: hdr = 3; break;
      case MP_FLOAT32:
      case MP_UINT32:
      case MP_INT32: hdr = 5; break;
      case MP_FLOAT64:
      case MP_UINT64:
      case MP_INT64: hdr = 9; break;
      case MP_FIXEXT1: hdr = 3; break; /* type + 1 */
      case MP_FIXEXT2: hdr = 4; break;
      case MP_FIXEXT4: hdr = 6; break;
      case MP_FIXEXT8: hdr = 10; break;
      case MP_FIXEXT16: hdr = 18; break;
      case MP_BIN8:
      case MP_STR8: hdr = 2; break;
      case MP_BIN16:
      case MP_STR16: hdr = 3; break;
      case MP_BIN32:
      case MP_STR32: hdr = 5; break;
      case MP_EXT8: hdr = 3; break; /* len, type */
      case MP_EXT16: hdr = 4; break;
      case MP_EXT32: hdr = 6; break;
      case MP_ARRAY16:
      case MP_MAP16: hdr = 3; break;
      case MP_ARRAY32:
      case MP_MAP32: hdr = 5; break;
      default: return DS_EPROTO; /* 0xc1 is never used */
      }
      if (n - i < (size_t)hdr)
        return DS_EPROTO;
      switch (t) {
      case MP_BIN8:
      case MP_STR8:
      case MP_EXT8: skip = p[i + 1]; break;
      case MP_BIN16:
      case MP_STR16:
      case MP_EXT16: skip = be(p + i + 1, 2); break;
      case MP_BIN32:
      case MP_STR32:
      case MP_EXT32: skip = be(p + i + 1, 4); break;
      case MP_ARRAY16: items = be(p + i + 1, 2); break;
      case MP_ARRAY32: items = be(p + i + 1, 4); break;
      case MP_MAP16: items = 2 * be(p + i + 1, 2); break;
      case MP_MAP32: items = 2 * be(p + i + 1, 4); break;
      default: break;
      }
    }
    if (n - i < (size_t)hdr)
      return DS_EPROTO;
    i += (size_t)hdr;
    if (skip > n - i)
      return DS_EPROTO;
    i += skip;
    if (items) {
      if (items > n - i || depth + 1 >= max_depth)
        return DS_EPROTO;
      left[++depth] = items;
    }
  }
  *used = i;
  return 0;
}

int mpwalk_container(const uint8_t *p, size_t n, bool map, uint32_t *count,
                     size_t *hlen) {
  uint8_t fix = map ? MP_FIXMAP : MP_FIXARRAY;
  uint8_t b16 = map ? MP_MAP16 : MP_ARRAY16, b32 = map ? MP_MAP32 : MP_ARRAY32;
  if (n < 1)
    return DS_EPROTO;
  if ((p[0] & MP_FIX4_MASK) == fix) {
    *count = p[0] & MP_FIX4_MAX, *hlen = 1;
  } else if (p[0] == b16 && n >= 3) {
    *count = (uint32_t)p[1] << 8 | p[2], *hlen = 3;
  } else if (p[0] == b32 && n >= 5) {
    *count = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 |
             p[4];
    *hlen = 5;
  } else {
    return DS_EPROTO;
  }
  return 0;
}
