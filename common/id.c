/* SPDX-License-Identifier: MIT
 * id.c -- id generation (libsodium's CSPRNG) and prefix parsing. */
#include "common/id.h"

#include <string.h>

#include <sodium.h>

#include "common/hex.h"

void id_random(uint8_t out[ID_LEN]) {
  randombytes_buf(out, ID_LEN);
}

void id_uuidv7(uint8_t out[ID_LEN], uint64_t now_ms) {
  randombytes_buf(out, ID_LEN);
  for (int i = 0; i < 6; i++)
    out[i] = (uint8_t)(now_ms >> (40 - 8 * i));
  out[6] = (uint8_t)(0x70 | (out[6] & 0x0f));
  out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}

int id_prefix_range(const char *s, uint8_t lo[ID_LEN], uint8_t hi[ID_LEN]) {
  size_t n = strlen(s);

  if (n < ID_MIN_PREFIX || n > ID_HEX_LEN)
    return DS_EINVAL;
  memset(lo, 0x00, ID_LEN);
  memset(hi, 0xff, ID_LEN);
  for (size_t i = 0; i < n; i++) {
    int v = hex_digit(s[i]);
    if (v < 0)
      return DS_EINVAL;
    if (i % 2 == 0) {
      lo[i / 2] = (uint8_t)(v << 4);
      hi[i / 2] = (uint8_t)(v << 4 | 0x0f);
    } else {
      lo[i / 2] = (uint8_t)(lo[i / 2] | v);
      hi[i / 2] = (uint8_t)((hi[i / 2] & 0xf0) | v);
    }
  }
  return 0;
}
