/* SPDX-License-Identifier: MIT
 * test_bodyver.c -- the daemon's check of a device's body signature
 * (daemon/bodyver.c) says what crypto_sign_verify_detached says, on both
 * sides of the size where OpenSSL checks first, for honest signatures,
 * changed bytes, the signatures libsodium refuses but Ed25519's equation
 * alone accepts, and one libsodium accepts that the fast path leaves to it. */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "daemon/bodyver.h"

#define BIG (BODYVER_FAST_MIN + 1000)

static bool sodium_ok(const uint8_t sig[64], const uint8_t *body, size_t len,
                      const uint8_t pk[32]) {
  return crypto_sign_verify_detached(sig, body, len, pk) == 0;
}

/* OpenSSL's verdict alone, without the checks bodyver makes first. */
static bool openssl_ok(const uint8_t sig[64], const uint8_t *body, size_t len,
                       const uint8_t pk[32]) {
  EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  bool ok = key && ctx &&
            EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
            EVP_DigestVerify(ctx, sig, 64, body, len) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

static void test_bodyver_is_libsodiums(void **state) {
  static const size_t sizes[] = {0,
                                 1,
                                 1000,
                                 BODYVER_FAST_MIN - 1,
                                 BODYVER_FAST_MIN,
                                 BODYVER_FAST_MIN + 1,
                                 506000,
                                 4u << 20};
  uint8_t pk[32], sk[64], sig[64];
  uint8_t *body = malloc(4u << 20);
  (void)state;
  assert_non_null(body);
  for (int k = 0; k < 3; k++) {
    crypto_sign_keypair(pk, sk);
    randombytes_buf(body, 4u << 20);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
      size_t n = sizes[i];
      crypto_sign_detached(sig, NULL, body, n, sk);
      assert_true(bodyver_ok(sig, body, n, pk));
      if (n) { /* a changed byte of the body */
        body[n / 2] ^= 1;
        assert_false(bodyver_ok(sig, body, n, pk));
        body[n / 2] ^= 1;
      }
      for (int b = 0; b < 64; b += 21) { /* of R, of S */
        sig[b] ^= 0x10;
        assert_int_equal(bodyver_ok(sig, body, n, pk),
                         sodium_ok(sig, body, n, pk));
        assert_false(bodyver_ok(sig, body, n, pk));
        sig[b] ^= 0x10;
      }
      pk[3] ^= 1; /* another key */
      assert_false(bodyver_ok(sig, body, n, pk));
      pk[3] ^= 1;
    }
  }
  free(body);
}

/* Ed25519's challenge: SHA-512(R | A | M) mod L. */
static void hram(uint8_t h[32], const uint8_t R[32], const uint8_t A[32],
                 const uint8_t *m, size_t n) {
  crypto_hash_sha512_state hs;
  uint8_t h64[64];
  crypto_hash_sha512_init(&hs);
  crypto_hash_sha512_update(&hs, R, 32);
  crypto_hash_sha512_update(&hs, A, 32);
  crypto_hash_sha512_update(&hs, m, n);
  crypto_hash_sha512_final(&hs, h64);
  crypto_core_ed25519_scalar_reduce(h, h64);
}

/* s mod L of a 32-byte little-endian number. */
static void reduce32(uint8_t out[32], const uint8_t in[32]) {
  uint8_t wide[64] = {0};
  memcpy(wide, in, 32);
  crypto_core_ed25519_scalar_reduce(out, wide);
}

/* Signatures whose equation holds but which libsodium refuses; OpenSSL
 * alone would take the first two. bodyver_ok must refuse them all, on a
 * body large enough for OpenSSL to be asked. */
static void test_bodyver_refuses_what_libsodium_refuses(void **state) {
  static const uint8_t identity[32] = {1}; /* the neutral point: order 1 */
  uint8_t *body = malloc(BIG), pk[32], sk[64], sig[64], az[64], a[32];
  /* 2^252 + 27742317777372353535851937790883648493, little-endian */
  static const uint8_t L[32] = {
      0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, /* bytes 0-7 */
      0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, /* 8-15 */
      0,    0,    0,    0,    0,    0,    0,    0,    /* 16-23 */
      0,    0,    0,    0,    0,    0,    0,    0x10};
  uint8_t h[32], s[32];
  (void)state;
  assert_non_null(body);
  randombytes_buf(body, BIG);

  /* 1. The neutral point as the key: R = sB signs every message. */
  randombytes_buf(az, 32);
  reduce32(s, az);
  assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, s), 0);
  memcpy(sig + 32, s, 32);
  assert_true(openssl_ok(sig, body, BIG, identity));
  assert_false(sodium_ok(sig, body, BIG, identity));
  assert_false(bodyver_ok(sig, body, BIG, identity));

  /* 2. The neutral point as R, by the key's holder: S = H(R|A|M) a. */
  crypto_sign_keypair(pk, sk);
  crypto_hash_sha512(az, sk, 32);
  az[0] &= 248, az[31] &= 127, az[31] |= 64;
  reduce32(a, az);
  hram(h, identity, pk, body, BIG);
  memcpy(sig, identity, 32);
  crypto_core_ed25519_scalar_mul(sig + 32, h, a);
  assert_true(openssl_ok(sig, body, BIG, pk));
  assert_false(sodium_ok(sig, body, BIG, pk));
  assert_false(bodyver_ok(sig, body, BIG, pk));

  /* 3. An honest signature with S + L for S (L the group's order): the
   * same point, in a form libsodium refuses. */
  crypto_sign_detached(sig, NULL, body, BIG, sk);
  assert_true(bodyver_ok(sig, body, BIG, pk));
  for (unsigned i = 0, carry = 0; i < 32; i++, carry >>= 8) {
    carry += (unsigned)sig[32 + i] + L[i]; /* S + L < 2^254: no overflow */
    sig[32 + i] = (uint8_t)carry;
  }
  assert_false(sodium_ok(sig, body, BIG, pk));
  assert_false(bodyver_ok(sig, body, BIG, pk));
  free(body);
}

/* A key with a small-order part, A = aB + T (T of order 8), and a
 * signature libsodium accepts: R = rB + U with U = -hT, so that
 * R = SB - hA for S = r + ha. The key is not a point of the prime-order
 * subgroup, so OpenSSL is not asked and libsodium must decide: true. */
static void test_bodyver_leaves_the_rest_to_libsodium(void **state) {
  static const uint8_t T8[32] = {
      0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, /* bytes 0-7 */
      0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, /* 8-15 */
      0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, /* 16-23 */
      0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a};
  uint8_t *body = malloc(BIG), pk[32], sk[64], az[64], a[32], A[32];
  uint8_t tk[8][32], r[32], R[32], h[32], sig[64];
  bool made = false;
  (void)state;
  assert_non_null(body);
  randombytes_buf(body, BIG);
  memset(tk[0], 0, 32);
  tk[0][0] = 1; /* kT for k = 0..7: the neutral point, T, 2T, ... */
  for (int k = 1; k < 8; k++)
    assert_int_equal(crypto_core_ed25519_add(tk[k], tk[k - 1], T8), 0);
  crypto_sign_keypair(pk, sk);
  crypto_hash_sha512(az, sk, 32);
  az[0] &= 248, az[31] &= 127, az[31] |= 64;
  reduce32(a, az);
  assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(A, a), 0);
  assert_int_equal(crypto_core_ed25519_add(A, A, T8), 0);
  assert_false(crypto_core_ed25519_is_valid_point(A));
  /* U = -hT = ((8 - h mod 8) mod 8) T needs h, which needs R: try each
   * U until the h it gives asks for that U (one in eight). */
  for (int tries = 0; tries < 400 && !made; tries++) {
    int k = tries % 8;
    crypto_core_ed25519_scalar_random(r);
    assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(R, r), 0);
    assert_int_equal(crypto_core_ed25519_add(R, R, tk[k]), 0);
    hram(h, R, A, body, BIG);
    if ((8 - (h[0] & 7)) % 8 != k)
      continue;
    memcpy(sig, R, 32);
    crypto_core_ed25519_scalar_mul(sig + 32, h, a);
    crypto_core_ed25519_scalar_add(sig + 32, sig + 32, r);
    made = true;
  }
  assert_true(made);
  assert_true(sodium_ok(sig, body, BIG, A));
  assert_true(bodyver_ok(sig, body, BIG, A));
  body[7] ^= 1;
  assert_false(bodyver_ok(sig, body, BIG, A));
  free(body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bodyver_is_libsodiums),
      cmocka_unit_test(test_bodyver_refuses_what_libsodium_refuses),
      cmocka_unit_test(test_bodyver_leaves_the_rest_to_libsodium),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
