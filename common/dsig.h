/* SPDX-License-Identifier: MIT
 * dsig.h -- what the district's key signs, defined once for the daemon that
 * signs and the device that checks (DESIGN §11, docs/PROTOCOL.md "Signed
 * answers"). Ed25519 over a fixed-size statement:
 *
 *   answer:  "dansync-answer-1" | BLAKE2b-256(request body)
 *                               | BLAKE2b-256(answer body)
 *
 *   bundle:  "dansync-bundle-1" | BLAKE2b-256(the answer bundle's frames)
 *
 * 16 ASCII bytes of context, then the two hashes: an answer is bound to the
 * request it answers, so a proxy can neither alter it nor hand a device an
 * older signed answer. */
#ifndef DS_COMMON_DSIG_H
#define DS_COMMON_DSIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DSIG_LEN 64
/* The receipt as Dansync-Receipt carries it: "COMMUNE BASE64SIG". */
#define DSIG_RECEIPT_MAX 160
#define DSIG_B64_MAX 90 /* base64 of 64 bytes, NUL too */
#define DSIG_PK_LEN 32
#define DSIG_SK_LEN 64

void dsig_answer_sign(const uint8_t sk[DSIG_SK_LEN], const uint8_t *req,
                      size_t req_len, const uint8_t *body, size_t len,
                      uint8_t sig[DSIG_LEN]);
/* As above with the request body's BLAKE2b-256 already made. */
void dsig_answer_sign_hashed(const uint8_t sk[DSIG_SK_LEN],
                             const uint8_t req_hash[32], const uint8_t *body,
                             size_t len, uint8_t sig[DSIG_LEN]);
bool dsig_answer_ok(const uint8_t pk[DSIG_PK_LEN], const uint8_t *req,
                    size_t req_len, const uint8_t *body, size_t len,
                    const uint8_t sig[DSIG_LEN]);
/* The request body's BLAKE2b-256, made once for the checks above. */
void dsig_req_hash(const uint8_t *req, size_t req_len, uint8_t out[32]);
bool dsig_answer_ok_hashed(const uint8_t pk[DSIG_PK_LEN],
                           const uint8_t req_hash[32], const uint8_t *body,
                           size_t len, const uint8_t sig[DSIG_LEN]);

/* An answer bundle's end frame (DESIGN §12): |digest| is
 * bundle_writer_digest / bundle_reader_digest of every frame before it. */
void dsig_bundle_sign(const uint8_t sk[DSIG_SK_LEN], const uint8_t digest[32],
                      uint8_t sig[DSIG_LEN]);
bool dsig_bundle_ok(const uint8_t pk[DSIG_PK_LEN], const uint8_t digest[32],
                    const uint8_t sig[DSIG_LEN]);
/* Enrolment receipt (DESIGN §11):
 *   "dansync-receipt1" | node (16) | device key (32) | commune length (1)
 *                      | commune
 * Written as text "COMMUNE BASE64SIG" (Dansync-Receipt). */
void dsig_receipt(const uint8_t sk[DSIG_SK_LEN], const uint8_t node[16],
                  const uint8_t pk[DSIG_PK_LEN], const char *commune,
                  char out[DSIG_RECEIPT_MAX]);
/* Checks receipt text |text| for |node| and |pk| against the district key
 * |dpk|; on success copies its commune (SCHEMA_SLUG_MAX + 1 bytes). */
bool dsig_receipt_ok(const uint8_t dpk[DSIG_PK_LEN], const uint8_t node[16],
                     const uint8_t pk[DSIG_PK_LEN], const char *text,
                     char *commune);

/* Base64 (standard, padded) of a signature, and back (false unless it is
 * exactly one signature's worth). */
void dsig_b64(const uint8_t sig[DSIG_LEN], char out[DSIG_B64_MAX]);
bool dsig_from_b64(const char *text, uint8_t sig[DSIG_LEN]);
#endif
