/* SPDX-License-Identifier: MIT
 * bodysig.c -- see bodysig.h. */
#include "client/bodysig.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

void bodysig_sign(const uint8_t sk[64], const uint8_t *body, size_t len,
                  uint8_t sig[64]) {
  /* As xport_open starts it (no openssl.cnf, no clean-up at exit), for a
   * bundle export, which signs without opening a connection. */
  int init = OPENSSL_init_crypto(
      OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
  EVP_PKEY *key =
      init ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32)
           : NULL;
  EVP_MD_CTX *ctx = key ? EVP_MD_CTX_new() : NULL;
  size_t n = 64;
  int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
           EVP_DigestSign(ctx, sig, &n, body, len) == 1 && n == 64;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok) {
    ERR_clear_error(); /* not left for the TLS code to report */
    crypto_sign_detached(sig, NULL, body, len, sk);
  }
}
