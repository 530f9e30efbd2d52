/* SPDX-License-Identifier: MIT
 * test_bodysig.c -- the device's body signature (client/bodysig.c) is
 * libsodium's, byte for byte, and the district's check accepts it. */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/bodysig.h"

static void test_bodysig_is_libsodiums(void **state) {
  static const size_t sizes[] = {0, 1, 63, 64, 127, 128, 1000, 65536, 506000};
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t *body = malloc(506000);
  (void)state;
  assert_non_null(body);
  for (int k = 0; k < 4; k++) {
    crypto_sign_keypair(pk, sk);
    randombytes_buf(body, 506000);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
      uint8_t want[64], got[64];
      crypto_sign_detached(want, NULL, body, sizes[i], sk);
      memset(got, 0, sizeof(got));
      bodysig_sign(sk, body, sizes[i], got);
      assert_memory_equal(got, want, 64);
      assert_int_equal(crypto_sign_verify_detached(got, body, sizes[i], pk), 0);
      /* A changed byte is not covered by it. */
      if (sizes[i]) {
        body[sizes[i] / 2] ^= 1;
        assert_int_not_equal(
            crypto_sign_verify_detached(got, body, sizes[i], pk), 0);
        body[sizes[i] / 2] ^= 1;
      }
    }
  }
  free(body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bodysig_is_libsodiums),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
