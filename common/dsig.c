/* SPDX-License-Identifier: MIT
 * dsig.c -- the district's signed statements; see dsig.h. */
#include "common/dsig.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/blake2b.h"
#include "common/schema.h"

#define CTX_LEN 16

static void answer_stmt(const uint8_t req_hash[32], const uint8_t *body,
                        size_t len, uint8_t out[CTX_LEN + 64]) {
  memcpy(out, "dansync-answer-1", CTX_LEN);
  memcpy(out + CTX_LEN, req_hash, 32);
  blake2b_hash(out + CTX_LEN + 32, 32, body, len);
}

void dsig_answer_sign_hashed(const uint8_t sk[DSIG_SK_LEN],
                             const uint8_t req_hash[32], const uint8_t *body,
                             size_t len, uint8_t sig[DSIG_LEN]) {
  uint8_t m[CTX_LEN + 64];
  answer_stmt(req_hash, body, len, m);
  crypto_sign_detached(sig, NULL, m, sizeof(m), sk);
}

void dsig_req_hash(const uint8_t *req, size_t req_len, uint8_t out[32]) {
  blake2b_hash(out, 32, req, req_len);
}

void dsig_answer_sign(const uint8_t sk[DSIG_SK_LEN], const uint8_t *req,
                      size_t req_len, const uint8_t *body, size_t len,
                      uint8_t sig[DSIG_LEN]) {
  uint8_t h[32];
  dsig_req_hash(req, req_len, h);
  dsig_answer_sign_hashed(sk, h, body, len, sig);
}

bool dsig_answer_ok_hashed(const uint8_t pk[DSIG_PK_LEN],
                           const uint8_t req_hash[32], const uint8_t *body,
                           size_t len, const uint8_t sig[DSIG_LEN]) {
  uint8_t m[CTX_LEN + 64];
  answer_stmt(req_hash, body, len, m);
  return crypto_sign_verify_detached(sig, m, sizeof(m), pk) == 0;
}

bool dsig_answer_ok(const uint8_t pk[DSIG_PK_LEN], const uint8_t *req,
                    size_t req_len, const uint8_t *body, size_t len,
                    const uint8_t sig[DSIG_LEN]) {
  uint8_t h[32];
  dsig_req_hash(req, req_len, h);
  return dsig_answer_ok_hashed(pk, h, body, len, sig);
}

static void bundle_stmt(const uint8_t digest[32], uint8_t out[CTX_LEN + 32]) {
  memcpy(out, "dansync-bundle-1", CTX_LEN);
  memcpy(out + CTX_LEN, digest, 32);
}

void dsig_bundle_sign(const uint8_t sk[DSIG_SK_LEN], const uint8_t digest[32],
                      uint8_t sig[DSIG_LEN]) {
  uint8_t m[CTX_LEN + 32];
  bundle_stmt(digest, m);
  crypto_sign_detached(sig, NULL, m, sizeof(m), sk);
}

bool dsig_bundle_ok(const uint8_t pk[DSIG_PK_LEN], const uint8_t digest[32],
                    const uint8_t sig[DSIG_LEN]) {
  uint8_t m[CTX_LEN + 32];
  bundle_stmt(digest, m);
  return crypto_sign_verify_detached(sig, m, sizeof(m), pk) == 0;
}

void dsig_b64(const uint8_t sig[DSIG_LEN], char out[DSIG_B64_MAX]) {
  sodium_bin2base64(out, DSIG_B64_MAX, sig, DSIG_LEN,
                    sodium_base64_VARIANT_ORIGINAL);
}

bool dsig_from_b64(const char *text, uint8_t sig[DSIG_LEN]) {
  size_t n = 0;
  const char *end = NULL;
  return sodium_base642bin(sig, DSIG_LEN, text, strlen(text), NULL, &n, &end,
                           sodium_base64_VARIANT_ORIGINAL) == 0 &&
         n == DSIG_LEN && *end == '\0';
}

static size_t
receipt_stmt(const uint8_t node[16], const uint8_t pk[32], const char *commune,
             size_t clen,
             uint8_t out[CTX_LEN + 16 + 32 + 1 + SCHEMA_SLUG_MAX]) {
  memcpy(out, "dansync-receipt1", CTX_LEN);
  memcpy(out + CTX_LEN, node, 16);
  memcpy(out + CTX_LEN + 16, pk, 32);
  out[CTX_LEN + 48] = (uint8_t)clen;
  memcpy(out + CTX_LEN + 49, commune, clen);
  return CTX_LEN + 49 + clen;
}

void dsig_receipt(const uint8_t sk[DSIG_SK_LEN], const uint8_t node[16],
                  const uint8_t pk[DSIG_PK_LEN], const char *commune,
                  char out[DSIG_RECEIPT_MAX]) {
  uint8_t m[CTX_LEN + 49 + SCHEMA_SLUG_MAX], sig[DSIG_LEN];
  char b64[DSIG_B64_MAX];
  size_t clen = strlen(commune);
  if (clen > SCHEMA_SLUG_MAX)
    clen = SCHEMA_SLUG_MAX;
  crypto_sign_detached(sig, NULL, m, receipt_stmt(node, pk, commune, clen, m),
                       sk);
  dsig_b64(sig, b64);
  snprintf(out, DSIG_RECEIPT_MAX, "%.*s %s", (int)clen, commune, b64);
}

bool dsig_receipt_ok(const uint8_t dpk[DSIG_PK_LEN], const uint8_t node[16],
                     const uint8_t pk[DSIG_PK_LEN], const char *text,
                     char *commune) {
  uint8_t m[CTX_LEN + 49 + SCHEMA_SLUG_MAX], sig[DSIG_LEN];
  const char *sp = strchr(text, ' ');
  size_t clen = sp ? (size_t)(sp - text) : 0;
  if (!sp || !schema_slug_ok(text, clen) || !dsig_from_b64(sp + 1, sig) ||
      crypto_sign_verify_detached(sig, m, receipt_stmt(node, pk, text, clen, m),
                                  dpk))
    return false;
  memcpy(commune, text, clen);
  commune[clen] = '\0';
  return true;
}
