/* SPDX-License-Identifier: MIT
 * utf8.c -- UTF-8 validation and folding. */
#include "common/utf8.h"

#include <string.h>

long utf8_count(const char *s, size_t n) {
  const uint8_t *p = (const uint8_t *)s, *end = p + n;
  long count = 0;

  while (p < end) {
    uint32_t c = *p;
    size_t len;
    uint32_t min;

    /* ASCII runs eight bytes at a time. */
    while (end - p >= 8) {
      uint64_t w;
      memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull)
        break;
      p += 8;
      count += 8;
    }
    if (p == end)
      break;
    c = *p;
    if (c < 0x80) {
      p++;
      count++;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      len = 2, min = 0x80, c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, min = 0x800, c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, min = 0x10000, c &= 0x07;
    } else {
      return -1;
    }
    if ((size_t)(end - p) < len)
      return -1;
    for (size_t i = 1; i < len; i++) {
      if ((p[i] & 0xc0) != 0x80)
        return -1;
      c = c << 6 | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
      return -1;
    p += len;
    count++;
  }
  return count;
}

int utf8_fold_dd(struct buf *out, const char *s, size_t n) {
  const uint8_t *p = (const uint8_t *)s;
  int rc;

  for (size_t i = 0; i < n; i++) {
    /* U+0110 Đ is C4 90, U+0111 đ is C4 91. */
    if (p[i] == 0xc4 && i + 1 < n && (p[i + 1] == 0x90 || p[i + 1] == 0x91)) {
      rc = buf_putc(out, p[i + 1] == 0x90 ? 'D' : 'd');
      i++;
    } else {
      rc = buf_putc(out, p[i]);
    }
    if (rc)
      return rc;
  }
  return 0;
}
