/* SPDX-License-Identifier: MIT
 * Our BLAKE2b against RFC 7693's vector and against libsodium's, which
 * hashed every body before it: a log written by either verifies with the
 * other only if the two agree on every length. */
#include "tests/cm.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/blake2b.h"
#include "common/hex.h"

static void test_blake2b_rfc7693_vector(void **state) {
  uint8_t out[64];
  char hex[129];
  (void)state;
  /* RFC 7693 Appendix A: BLAKE2b-512("abc"). */
  blake2b_hash(out, 64, "abc", 3);
  hex_encode(hex, out, 64);
  assert_string_equal(hex, "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b7"
                           "4b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc95"
                           "18d38aa8dbf1925ab92386edd4009923");
  /* BLAKE2b-256 of nothing, as the sync log would hash an empty body. */
  blake2b_hash(out, 32, NULL, 0);
  hex_encode(hex, out, 32);
  assert_string_equal(
      hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

static void same_as_sodium(const uint8_t *p, size_t len, size_t outlen) {
  uint8_t want[64], got[64];
  assert_int_equal(crypto_generichash(want, outlen, p, len, NULL, 0), 0);
  blake2b_hash(got, outlen, p, len);
  assert_memory_equal(got, want, outlen);
}

/* Every length up to past eight blocks, each output size the project uses
 * and the extremes, from an odd address; then bodies of the sizes a sync
 * sends, around block boundaries. */
static void test_blake2b_matches_libsodium(void **state) {
  const size_t outs[] = {1, 16, 20, 32, 63, 64};
  const size_t big[] = {128 * 1024, 128 * 1024 + 1, 128 * 1024 - 1,
                        506 * 1024 + 7, 4 * 1024 * 1024};
  size_t cap = 4 * 1024 * 1024 + 1;
  uint8_t *buf = malloc(cap);
  (void)state;
  assert_non_null(buf);
  randombytes_buf(buf, cap);
  for (size_t len = 0; len <= 1100; len++)
    for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
      same_as_sodium(buf + 1, len, outs[i]);
  for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
    same_as_sodium(buf + (i & 1), big[i], 32);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_blake2b_rfc7693_vector),
      cmocka_unit_test(test_blake2b_matches_libsodium),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
