/* SPDX-License-Identifier: MIT
 * ui_search.c -- the dashboard's search: folding text as the search index
 * does (lower case, Vietnamese marks taken off), the prefix query for the
 * index, the match for records the index has not taken in yet. */
#include <stdio.h>
#include <string.h>

#include "daemon/ui_int.h"

/* Latin-1 letters U+00C0..U+00FF without their marks. */
static const char latin1[] =
    "aaaaaaaceeeeiiiidnooooo*ouuuuypsaaaaaaaceeeeiiiidnooooo/ouuuuypy";

/* The base letter of a Vietnamese letter, 0 for a combining mark, or the
 * code point itself when it has no mark to take off. */
static uint32_t fold_cp(uint32_t c) {
  if (c < 0x80)
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
  if (c >= 0xc0 && c <= 0xff)
    return (uint32_t)latin1[c - 0xc0];
  if (c >= 0x300 && c <= 0x36f)
    return 0;
  switch (c) {
  case 0x102:
  case 0x103: return 'a';
  case 0x110:
  case 0x111: return 'd';
  case 0x128:
  case 0x129: return 'i';
  case 0x168:
  case 0x169: return 'u';
  case 0x1a0:
  case 0x1a1: return 'o';
  case 0x1af:
  case 0x1b0: return 'u';
  default: break;
  }
  if (c >= 0x1ea0 && c <= 0x1eb7)
    return 'a';
  if (c >= 0x1eb8 && c <= 0x1ec7)
    return 'e';
  if (c >= 0x1ec8 && c <= 0x1ecb)
    return 'i';
  if (c >= 0x1ecc && c <= 0x1ee3)
    return 'o';
  if (c >= 0x1ee4 && c <= 0x1ef1)
    return 'u';
  if (c >= 0x1ef2 && c <= 0x1ef9)
    return 'y';
  return c;
}

void ui_fold(const unsigned char *s, char *out, size_t cap) {
  size_t o = 0;
  while (s && *s && o + 4 < cap) {
    uint32_t c = *s;
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    c &= extra == 3 ? 0x07 : extra == 2 ? 0x0f : extra == 1 ? 0x1f : 0x7f;
    s++;
    for (int i = 0; i < extra && (*s & 0xc0) == 0x80; i++, s++)
      c = (c << 6) | (*s & 0x3f);
    c = fold_cp(c);
    if (c == 0)
      continue;
    if (c < 0x80) {
      out[o++] = (char)c;
    } else if (c < 0x800) {
      out[o++] = (char)(0xc0 | (c >> 6));
      out[o++] = (char)(0x80 | (c & 0x3f));
    } else {
      out[o++] = (char)(0xe0 | (c >> 12));
      out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
      out[o++] = (char)(0x80 | (c & 0x3f));
    }
  }
  out[o] = '\0';
}

/* ui_match(citizen, content, words): 1 when every word of |words| (folded
 * already) begins a word of the folded citizen or content. For records the
 * search index has not taken in yet: indexing them is a write, and the
 * dashboard's connection only reads. */
static void match_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static char text[16384], words[512];
  char *t = text, *w, *save = NULL;
  int ok = 1;
  (void)argc;
  ui_fold(sqlite3_value_text(argv[0]), text, sizeof(text) / 4);
  t = text + strlen(text);
  *t++ = ' ';
  ui_fold(sqlite3_value_text(argv[1]), t, sizeof(text) - (size_t)(t - text));
  snprintf(words, sizeof(words), "%s",
           (const char *)sqlite3_value_text(argv[2]));
  for (w = strtok_r(words, " ", &save); w && ok;
       w = strtok_r(NULL, " ", &save)) {
    size_t n = strlen(w);
    const char *p = text;
    ok = 0;
    while ((p = strstr(p, w)) != NULL) {
      if (p == text ||
          !((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= '0' && p[-1] <= '9') ||
            (unsigned char)p[-1] >= 0x80)) {
        ok = 1;
        break;
      }
      p += n;
    }
  }
  sqlite3_result_int(ctx, ok);
}

int ui_fold_register(sqlite3 *db) {
  /* The scratch buffers are per call site: SQLite calls it from the one
   * thread holding the connection, and the dashboard serialises pages on
   * it (ui.c's lock). */
  return sqlite3_create_function(db, "ui_match", 3,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                 match_fn, NULL, NULL)
             ? DS_EIO
             : 0;
}

void ui_fts_prefix(const char *words, char *out, size_t cap) {
  char copy[512], *w, *save = NULL;
  size_t o = 0;
  snprintf(copy, sizeof(copy), "%s", words);
  out[0] = '\0';
  for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
    int n = snprintf(out + o, cap - o, "%s\"", o ? " " : "");
    for (; *w && n > 0 && o + (size_t)n + 4 < cap; w++)
      if (*w != '"')
        out[o + (size_t)n++] = *w;
    if (n <= 0 || o + (size_t)n + 3 >= cap)
      break;
    memcpy(out + o + n, "\"*", 3);
    o += (size_t)n + 2;
  }
}
