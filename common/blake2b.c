/* SPDX-License-Identifier: MIT
 * blake2b.c -- see blake2b.h. RFC 7693 §3, with the twelve rounds written
 * out so the compiler keeps the state and the message words in registers. */
#include "common/blake2b.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK 128

static const uint64_t iv[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL,
                               0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
                               0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
                               0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static const uint8_t sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

static inline uint64_t rotr(uint64_t x, int n) {
  return x >> n | x << (64 - n);
}

/* Little-endian, whatever the host; compilers make it one load. */
static inline uint64_t load64(const uint8_t *p) {
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
         (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
         (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* The mixing function G (RFC 7693 §3.1). */
#define G(a, b, c, d, x, y) \
  do {                      \
    a = a + b + (x);        \
    d = rotr(d ^ a, 32);    \
    c = c + d;              \
    b = rotr(b ^ c, 24);    \
    a = a + b + (y);        \
    d = rotr(d ^ a, 16);    \
    c = c + d;              \
    b = rotr(b ^ c, 63);    \
  } while (0)

#define ROUND(r)                                     \
  do {                                               \
    const uint8_t *s = sigma[r];                     \
    G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);    \
    G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);    \
    G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);   \
    G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);   \
    G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);   \
    G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]); \
    G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);  \
    G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);  \
  } while (0)

/* The compression function F (RFC 7693 §3.2); |t| counts the bytes so far
 * (inputs stay below 2^64 bytes, so the counter's high word is 0). */
static void compress(uint64_t h[8], const uint8_t blk[BLOCK], uint64_t t,
                     int last) {
  uint64_t m[16], v[16];
  for (int i = 0; i < 16; i++)
    m[i] = load64(blk + 8 * i);
  for (int i = 0; i < 8; i++) {
    v[i] = h[i];
    v[i + 8] = iv[i];
  }
  v[12] ^= t;
  if (last)
    v[14] = ~v[14];
  ROUND(0);
  ROUND(1);
  ROUND(2);
  ROUND(3);
  ROUND(4);
  ROUND(5);
  ROUND(6);
  ROUND(7);
  ROUND(8);
  ROUND(9);
  ROUND(10);
  ROUND(11);
  for (int i = 0; i < 8; i++)
    h[i] ^= v[i] ^ v[i + 8];
}

void blake2b_hash(uint8_t *out, size_t outlen, const void *in, size_t len) {
  const uint8_t *p = in;
  uint8_t last[BLOCK] = {0};
  uint64_t h[8], t = 0;

  if (outlen < 1 || outlen > BLAKE2B_OUT_MAX)
    abort(); /* a caller's bug: never past h[] */
  memcpy(h, iv, sizeof(h));
  h[0] ^= 0x01010000ULL ^ (uint64_t)outlen; /* depth 1, fanout 1, no key */
  /* Every full block but the last goes through as it lies; the last one,
   * full or not (or the empty message's), is the final block. */
  for (; len > BLOCK; p += BLOCK, len -= BLOCK)
    compress(h, p, t += BLOCK, 0);
  if (len)
    memcpy(last, p, len);
  compress(h, last, t + len, 1);
  for (size_t i = 0; i < outlen; i++)
    out[i] = (uint8_t)(h[i / 8] >> (8 * (i % 8)));
}
