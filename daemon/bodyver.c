/* SPDX-License-Identifier: MIT
 * bodyver.c -- see bodyver.h. */
#include "daemon/bodyver.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

/* OpenSSL's verdict, given only signatures libsodium would not refuse
 * before its equation: the same equation (R = SB - H(R|A|M)A, compared as
 * encodings) then decides both. */
static bool fast_ok(const uint8_t sig[64], const uint8_t *body, size_t len,
                    const uint8_t pk[32]) {
  uint8_t wide[64] = {0}, reduced[32];
  EVP_PKEY *key;
  EVP_MD_CTX *ctx;
  bool ok;

  memcpy(wide, sig + 32, 32);
  crypto_core_ed25519_scalar_reduce(reduced, wide);
  if (memcmp(reduced, sig + 32, 32) != 0) /* S is not below the order */
    return false;
  if (!crypto_core_ed25519_is_valid_point(sig) ||
      !crypto_core_ed25519_is_valid_point(pk))
    return false;
  key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
  ctx = key ? EVP_MD_CTX_new() : NULL;
  ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
       EVP_DigestVerify(ctx, sig, 64, body, len) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  ERR_clear_error(); /* not left for the TLS code to report */
  return ok;
}

bool bodyver_ok(const uint8_t sig[64], const uint8_t *body, size_t len,
                const uint8_t pk[32]) {
  if (len >= BODYVER_FAST_MIN && fast_ok(sig, body, len, pk))
    return true;
  return crypto_sign_verify_detached(sig, body, len, pk) == 0;
}
