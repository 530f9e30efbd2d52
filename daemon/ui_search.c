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
    } else if (c < 0x10000) {
      out[o++] = (char)(0xe0 | (c >> 12));
      out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
      out[o++] = (char)(0x80 | (c & 0x3f));
    } else { /* emoji and the other planes: four bytes, as they came */
      out[o++] = (char)(0xf0 | (c >> 18));
      out[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
      out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
      out[o++] = (char)(0x80 | (c & 0x3f));
    }
  }
  out[o] = '\0';
}

/* True when the character ending just before |p| (|text| is where the
 * text begins) joins a word: a letter or digit, as the search index's
 * tokenizer takes them. Folded text holds the Vietnamese letters as ASCII;
 * of the rest, the punctuation and symbols of Latin-1 and of U+2000 to
 * U+2BFF (curly quotes, dashes, the ellipsis...), CJK's, the full-width
 * forms', the variation selectors and the emoji separate words, any other
 * character is taken as a letter. */
static bool joins_word(const char *text, const char *p) {
  const unsigned char *q = (const unsigned char *)p - 1;
  uint32_t c;
  if (p == text)
    return false;
  if (*q < 0x80)
    return (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9');
  while (q > (const unsigned char *)text && (*q & 0xc0) == 0x80)
    q--;
  c = *q >= 0xf0 ? *q & 0x07u : *q >= 0xe0 ? *q & 0x0fu : *q & 0x1fu;
  for (q++; q < (const unsigned char *)p; q++)
    c = (c << 6) | (*q & 0x3fu);
  /* Latin-1's letters and digits among its symbols (ª µ º ² ³ ¹ ¼ ½ ¾)
   * are letters to the index too. */
  if (c == 0xaa || c == 0xb5 || c == 0xba || c == 0xb2 || c == 0xb3 ||
      c == 0xb9 || (c >= 0xbc && c <= 0xbe))
    return true;
  return !((c >= 0x80 && c <= 0xbf) || c == 0xd7 || c == 0xf7 ||
           (c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
           (c >= 0xfe00 && c <= 0xfe0f) || /* variation selectors (❤️) */
           (c >= 0xff00 && c <= 0xff65 && !(c >= 0xff10 && c <= 0xff19) &&
            !(c >= 0xff21 && c <= 0xff3a) && !(c >= 0xff41 && c <= 0xff5a)) ||
           (c >= 0x1f000 && c <= 0x1faff)); /* emoji and pictographs */
}

/* ui_match(citizen, content, words): 1 when every word of |words| (folded
 * already) begins a word of the folded citizen or content. For records the
 * search index has not taken in yet (indexing them is a write, and the
 * dashboard's connection only reads), and for the newest petitions a
 * search matches one by one (ui_views.c). */
static void match_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const unsigned char *a = sqlite3_value_text(argv[0]),
                      *b = sqlite3_value_text(argv[1]),
                      *ws = sqlite3_value_text(argv[2]);
  /* Folding never makes text longer. */
  size_t na = a ? strlen((const char *)a) : 0,
         nb = b ? strlen((const char *)b) : 0,
         nw = ws ? strlen((const char *)ws) : 0;
  char *text = sqlite3_malloc64(na + nb + 8), *words = sqlite3_malloc64(nw + 1);
  char *w, *save = NULL;
  int ok = 1;
  (void)argc;
  if (!text || !words) {
    sqlite3_free(text);
    sqlite3_free(words);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  ui_fold(a, text, na + 5);
  w = text + strlen(text);
  *w++ = ' ';
  ui_fold(b, w, nb + 5);
  memcpy(words, ws ? (const char *)ws : "", nw + 1);
  for (w = strtok_r(words, " ", &save); w && ok;
       w = strtok_r(NULL, " ", &save)) {
    size_t n = strlen(w);
    const char *p = text;
    ok = 0;
    while ((p = strstr(p, w)) != NULL) {
      if (!joins_word(text, p)) {
        ok = 1;
        break;
      }
      p += n;
    }
  }
  sqlite3_free(text);
  sqlite3_free(words);
  sqlite3_result_int(ctx, ok);
}

int ui_fold_register(sqlite3 *db) {
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
