/* SPDX-License-Identifier: MIT
 * msg.c -- the catalogue's two columns and the choice between them. */
#include "client/msg.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static const char *const texts[MSG_COUNT][2] = {
#define M(id, vi, en) [id] = {vi, en},
#include "client/msg.def"
#undef M
};

bool msg_english(void) {
  const char *l = getenv("DANSYNC_LANG");
  if (l && *l)
    return strncmp(l, "vi", 2) != 0;
  l = getenv("LANG");
  /* Unset, C and POSIX keep Vietnamese (DESIGN §8). */
  if (!l || !*l || !strcmp(l, "C") || !strncmp(l, "C.", 2) ||
      !strcmp(l, "POSIX"))
    return false;
  return strncmp(l, "vi", 2) != 0;
}

const char *msg_in(enum msg_id id, bool en) {
  if ((int)id < 0 || id >= MSG_COUNT)
    return "";
  return texts[id][en ? 1 : 0];
}

const char *msg(enum msg_id id) {
  return msg_in(id, msg_english());
}

/* A text |out| that vsnprintf cut to |cap| bytes may end inside a
 * character (Vietnamese takes 2-3 bytes for most letters): drop that
 * partial character rather than print invalid UTF-8. */
static void whole_chars(char *out, size_t cap, int n) {
  size_t len, start;
  if (n < 0 || (size_t)n < cap || cap == 0)
    return;
  len = cap - 1;
  start = len;
  while (start > 0 && ((unsigned char)out[start - 1] & 0xc0) == 0x80)
    start--;
  if (start > 0 && ((unsigned char)out[start - 1] & 0x80)) {
    unsigned char lead = (unsigned char)out[start - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (len - (start - 1) < need)
      out[start - 1] = '\0';
  }
}

/* The catalogue's texts are formats chosen at run time; test_msg checks
 * that both languages of a message have the same conversions, which is
 * what the compiler cannot see here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void msg_fmt(char *out, size_t cap, enum msg_id id, ...) {
  va_list ap;
  int n;
  va_start(ap, id);
  n = vsnprintf(out, cap, msg(id), ap);
  va_end(ap);
  whole_chars(out, cap, n);
}

void msg_print(FILE *f, enum msg_id id, ...) {
  va_list ap;
  va_start(ap, id);
  vfprintf(f, msg(id), ap);
  va_end(ap);
}

int msg_fail(char *errbuf, int rc, enum msg_id id, ...) {
  va_list ap;
  int n;
  if (!errbuf)
    return rc;
  va_start(ap, id);
  n = vsnprintf(errbuf, DS_ERRBUF_LEN, msg(id), ap);
  va_end(ap);
  whole_chars(errbuf, DS_ERRBUF_LEN, n);
  return rc;
}
#pragma GCC diagnostic pop
