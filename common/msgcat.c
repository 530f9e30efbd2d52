/* SPDX-License-Identifier: MIT
 * msgcat.c -- the choice between a catalogue's two columns, and printf
 * with a catalogue's text. */
#include "common/msgcat.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

bool msgcat_english(void) {
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

const char *msgcat_in(const struct msgcat *c, int id, bool en) {
  if (id < 0 || id >= c->count)
    return "";
  return c->texts[id][en ? 1 : 0];
}

const char *msgcat_get(const struct msgcat *c, int id) {
  return msgcat_in(c, id, msgcat_english());
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
static void vfmt(char *out, size_t cap, const char *f, va_list ap) {
  whole_chars(out, cap, vsnprintf(out, cap, f, ap));
}

void msgcat_fmt(const struct msgcat *c, char *out, size_t cap, int id, ...) {
  va_list ap;
  va_start(ap, id);
  vfmt(out, cap, msgcat_get(c, id), ap);
  va_end(ap);
}

void msgcat_print(const struct msgcat *c, FILE *f, int id, ...) {
  va_list ap;
  va_start(ap, id);
  vfprintf(f, msgcat_get(c, id), ap);
  va_end(ap);
}

int msgcat_fail(const struct msgcat *c, char *errbuf, int rc, int id, ...) {
  va_list ap;
  if (!errbuf)
    return rc;
  va_start(ap, id);
  vfmt(errbuf, DS_ERRBUF_LEN, msgcat_get(c, id), ap);
  va_end(ap);
  return rc;
}

int msgcat_fail_in(const struct msgcat *c, bool en, char *errbuf, int rc,
                   int id, ...) {
  va_list ap;
  if (!errbuf)
    return rc;
  va_start(ap, id);
  vfmt(errbuf, DS_ERRBUF_LEN, msgcat_in(c, id, en), ap);
  va_end(ap);
  return rc;
}
#pragma GCC diagnostic pop
