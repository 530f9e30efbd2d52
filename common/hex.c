/* SPDX-License-Identifier: MIT
 * hex.c -- hex encoding. */
#include "common/hex.h"

#include <string.h>

void hex_encode(char *out, const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = '\0';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int hex_decode(uint8_t *out, size_t n, const char *s) {
  if (strlen(s) != 2 * n)
    return DS_EINVAL;
  for (size_t i = 0; i < n; i++) {
    int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return DS_EINVAL;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}
