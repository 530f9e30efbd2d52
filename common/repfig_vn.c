/* SPDX-License-Identifier: MIT
 * repfig_vn.c -- the report's Vietnamese words and order: the labels of
 * the enums it prints and the alphabet's order of names (a ă â b c d đ
 * ...), which the commune table and the category list are sorted by. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/repfig.h"
#include "common/vnenum.h"

const char *const repfig_rating_names[REPFIG_NRATINGS] = {
    "overall", "attitude", "timeliness", "procedure"};

/* DESIGN §3's label of a visit's situation (common/vnenum.c's table). */
const char *repfig_situation_label(const char *name) {
  return vnenum_label(name);
}

const char *repfig_rating_label(int rating) {
  static const char *const labels[REPFIG_NRATINGS] = {
      "hài lòng chung", "thái độ phục vụ", "thời gian giải quyết",
      "thủ tục hành chính"};
  return rating >= 0 && rating < REPFIG_NRATINGS ? labels[rating] : "";
}

/* Vietnamese alphabetical order (a ă â b c d đ e ê ... ư v x y), tones
 * ignored but for ties: each letter's place in
 * "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz", made from Unicode's decompositions
 * of the precomposed Vietnamese letters. */
static const struct {
  uint32_t cp;
  uint8_t w;
} vn_letters[] = {
    {0x00c0, 0},  {0x00c1, 0},  {0x00c2, 2},  {0x00c3, 0},  {0x00c8, 7},
    {0x00c9, 7},  {0x00ca, 8},  {0x00cc, 12}, {0x00cd, 12}, {0x00d2, 18},
    {0x00d3, 18}, {0x00d4, 19}, {0x00d5, 18}, {0x00d9, 26}, {0x00da, 26},
    {0x00dd, 31}, {0x00e0, 0},  {0x00e1, 0},  {0x00e2, 2},  {0x00e3, 0},
    {0x00e8, 7},  {0x00e9, 7},  {0x00ea, 8},  {0x00ec, 12}, {0x00ed, 12},
    {0x00f2, 18}, {0x00f3, 18}, {0x00f4, 19}, {0x00f5, 18}, {0x00f9, 26},
    {0x00fa, 26}, {0x00fd, 31}, {0x0102, 1},  {0x0103, 1},  {0x0110, 6},
    {0x0111, 6},  {0x0128, 12}, {0x0129, 12}, {0x0168, 26}, {0x0169, 26},
    {0x01a0, 20}, {0x01a1, 20}, {0x01af, 27}, {0x01b0, 27}, {0x1e0c, 5},
    {0x1e0d, 5},  {0x1e4c, 18}, {0x1e4d, 18}, {0x1e78, 26}, {0x1e79, 26},
    {0x1ea0, 0},  {0x1ea1, 0},  {0x1ea2, 0},  {0x1ea3, 0},  {0x1ea4, 2},
    {0x1ea5, 2},  {0x1ea6, 2},  {0x1ea7, 2},  {0x1ea8, 2},  {0x1ea9, 2},
    {0x1eaa, 2},  {0x1eab, 2},  {0x1eac, 2},  {0x1ead, 2},  {0x1eae, 1},
    {0x1eaf, 1},  {0x1eb0, 1},  {0x1eb1, 1},  {0x1eb2, 1},  {0x1eb3, 1},
    {0x1eb4, 1},  {0x1eb5, 1},  {0x1eb6, 1},  {0x1eb7, 1},  {0x1eb8, 7},
    {0x1eb9, 7},  {0x1eba, 7},  {0x1ebb, 7},  {0x1ebc, 7},  {0x1ebd, 7},
    {0x1ebe, 8},  {0x1ebf, 8},  {0x1ec0, 8},  {0x1ec1, 8},  {0x1ec2, 8},
    {0x1ec3, 8},  {0x1ec4, 8},  {0x1ec5, 8},  {0x1ec6, 8},  {0x1ec7, 8},
    {0x1ec8, 12}, {0x1ec9, 12}, {0x1eca, 12}, {0x1ecb, 12}, {0x1ecc, 18},
    {0x1ecd, 18}, {0x1ece, 18}, {0x1ecf, 18}, {0x1ed0, 19}, {0x1ed1, 19},
    {0x1ed2, 19}, {0x1ed3, 19}, {0x1ed4, 19}, {0x1ed5, 19}, {0x1ed6, 19},
    {0x1ed7, 19}, {0x1ed8, 19}, {0x1ed9, 19}, {0x1eda, 20}, {0x1edb, 20},
    {0x1edc, 20}, {0x1edd, 20}, {0x1ede, 20}, {0x1edf, 20}, {0x1ee0, 20},
    {0x1ee1, 20}, {0x1ee2, 20}, {0x1ee3, 20}, {0x1ee4, 26}, {0x1ee5, 26},
    {0x1ee6, 26}, {0x1ee7, 26}, {0x1ee8, 27}, {0x1ee9, 27}, {0x1eea, 27},
    {0x1eeb, 27}, {0x1eec, 27}, {0x1eed, 27}, {0x1eee, 27}, {0x1eef, 27},
    {0x1ef0, 27}, {0x1ef1, 27}, {0x1ef2, 31}, {0x1ef3, 31}, {0x1ef4, 31},
    {0x1ef5, 31}, {0x1ef6, 31}, {0x1ef7, 31}, {0x1ef8, 31}, {0x1ef9, 31},
};

static const char vn_ascii[] = "a  bcd e fghijklmno  pqrstu vwxyz";

/* The next code point's weight: a letter's place plus 128, else the code
 * point itself below 128, else the code point (after every letter). */
static uint32_t vn_weight(const unsigned char **p) {
  const unsigned char *s = *p;
  uint32_t cp;
  int lo = 0, hi = (int)(sizeof(vn_letters) / sizeof(vn_letters[0])) - 1;
  if (s[0] < 0x80) {
    const char *at;
    int c = s[0] >= 'A' && s[0] <= 'Z' ? s[0] + 32 : s[0];
    *p = s + 1;
    at = c >= 'a' && c <= 'z' ? strchr(vn_ascii, c) : NULL;
    return at ? 128u + (uint32_t)(at - vn_ascii) : (uint32_t)c;
  }
  if ((s[0] & 0xe0) == 0xc0 && s[1]) {
    cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
    *p = s + 2;
  } else if ((s[0] & 0xf0) == 0xe0 && s[1] && s[2]) {
    cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
         (s[2] & 0x3f);
    *p = s + 3;
  } else {
    *p = s + 1;
    return 0x110000u + s[0];
  }
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (vn_letters[mid].cp == cp)
      return 128u + vn_letters[mid].w;
    if (vn_letters[mid].cp < cp)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return 256u + cp;
}

int repfig_vn_cmp(const char *a, const char *b) {
  const unsigned char *p = (const unsigned char *)a,
                      *q = (const unsigned char *)b;
  while (*p && *q) {
    uint32_t x = vn_weight(&p), y = vn_weight(&q);
    if (x != y)
      return x < y ? -1 : 1;
  }
  if (*p || *q)
    return *p ? 1 : -1;
  return strcmp(a, b);
}
