/* SPDX-License-Identifier: MIT
 * mpwalk.c -- iterative msgpack structure check (no recursion on input). */
#include "proto/mpwalk.h"

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
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
      /* fixint, nil, bool */
    } else if ((t & 0xf0) == 0x80) {
      items = 2u * (t & 0x0f);
    } else if ((t & 0xf0) == 0x90) {
      items = t & 0x0f;
    } else if ((t & 0xe0) == 0xa0) {
      skip = t & 0x1f;
    } else {
      switch (t) {
      case 0xcc: case 0xd0: hdr = 2; break;
      case 0xcd: case 0xd1: hdr = 3; break;
      case 0xca: case 0xce: case 0xd2: hdr = 5; break;
      case 0xcb: case 0xcf: case 0xd3: hdr = 9; break;
      case 0xd4: hdr = 3; break; /* fixext 1: type + 1 */
      case 0xd5: hdr = 4; break;
      case 0xd6: hdr = 6; break;
      case 0xd7: hdr = 10; break;
      case 0xd8: hdr = 18; break;
      case 0xc4: case 0xd9: hdr = 2; break;
      case 0xc5: case 0xda: hdr = 3; break;
      case 0xc6: case 0xdb: hdr = 5; break;
      case 0xc7: hdr = 3; break; /* ext 8: len, type */
      case 0xc8: hdr = 4; break;
      case 0xc9: hdr = 6; break;
      case 0xdc: case 0xde: hdr = 3; break;
      case 0xdd: case 0xdf: hdr = 5; break;
      default: return DS_EPROTO; /* 0xc1 is never used */
      }
      if (n - i < (size_t)hdr)
        return DS_EPROTO;
      switch (t) {
      case 0xc4: case 0xd9: case 0xc7: skip = p[i + 1]; break;
      case 0xc5: case 0xda: case 0xc8: skip = be(p + i + 1, 2); break;
      case 0xc6: case 0xdb: case 0xc9: skip = be(p + i + 1, 4); break;
      case 0xdc: items = be(p + i + 1, 2); break;
      case 0xdd: items = be(p + i + 1, 4); break;
      case 0xde: items = 2 * be(p + i + 1, 2); break;
      case 0xdf: items = 2 * be(p + i + 1, 4); break;
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
