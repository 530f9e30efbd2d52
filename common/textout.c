/* SPDX-License-Identifier: MIT
 * textout.c -- escaping and cutting typed text for a terminal. */
#include "common/textout.h"

#include <stdint.h>
#include <string.h>

#include "common/utf8.h"

/* The length of the valid UTF-8 sequence at |p| (1..4), or 0. */
static size_t seq_len(const uint8_t *p, size_t n) {
  size_t len = p[0] < 0x80             ? 1
               : (p[0] & 0xe0) == 0xc0 ? 2
               : (p[0] & 0xf0) == 0xe0 ? 3
               : (p[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
  if (len == 0 || len > n || utf8_count((const char *)p, len) != 1)
    return 0;
  return len;
}

int textout_escaped(struct buf *out, const char *s, size_t n) {
  const uint8_t *p = (const uint8_t *)s;
  size_t i = 0;
  int rc = 0;

  while (i < n && !rc) {
    size_t len = seq_len(p + i, n - i);
    if (len == 0) {
      rc = buf_printf(out, "\\x%02x", p[i]);
      i++;
    } else if (len == 1 && p[i] == '\n') {
      rc = buf_append(out, "\xe2\x8f\x8e", 3); /* ⏎ U+23CE */
      i++;
    } else if (len == 1 && p[i] == '\t') {
      rc = buf_putc(out, ' ');
      i++;
    } else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
      rc = buf_printf(out, "\\x%02x", p[i]);
      i++;
    } else if (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
      rc = buf_printf(out, "\\u%04x", p[i + 1]); /* C1: U+0080..U+009F */
      i += 2;
    } else {
      rc = buf_append(out, p + i, len);
      i += len;
    }
  }
  return rc;
}

int textout_cell(struct buf *out, const char *s, size_t n, int width, int pad) {
  struct buf esc;
  size_t cut = 0;
  long chars, k = 0;
  int rc;

  buf_init(&esc, 0);
  rc = textout_escaped(&esc, s, n);
  if (rc)
    goto done;
  chars = utf8_count((const char *)esc.data, esc.len);
  if (chars > width) {
    /* Keep width - 1 characters and end with "…". */
    while (cut < esc.len && k < width - 1) {
      cut++;
      while (cut < esc.len && (esc.data[cut] & 0xc0) == 0x80)
        cut++;
      k++;
    }
    rc = buf_append(out, esc.data, cut);
    if (!rc)
      rc = buf_append(out, "\xe2\x80\xa6", 3); /* … U+2026 */
    chars = width;
  } else if (esc.len) {
    rc = buf_append(out, esc.data, esc.len);
  }
  for (long i = chars; !rc && pad && i < width; i++)
    rc = buf_putc(out, ' ');
done:
  buf_cleanup(&esc);
  return rc;
}
