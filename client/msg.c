/* SPDX-License-Identifier: MIT
 * msg.c -- the catalogue's two columns and the choice between them. */
#include "client/msg.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

/* The catalogue's texts are formats chosen at run time; test_msg checks
 * that both languages of a message have the same conversions, which is
 * what the compiler cannot see here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void msg_fmt(char *out, size_t cap, enum msg_id id, ...) {
  va_list ap;
  va_start(ap, id);
  vsnprintf(out, cap, msg(id), ap);
  va_end(ap);
}

void msg_print(FILE *f, enum msg_id id, ...) {
  va_list ap;
  va_start(ap, id);
  vfprintf(f, msg(id), ap);
  va_end(ap);
}
#pragma GCC diagnostic pop
