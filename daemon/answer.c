/* SPDX-License-Identifier: MIT
 * answer.c -- the district's key on the serving side; see answer.h. */
#include "daemon/answer.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/hex.h"
#include "common/meta.h"
#include "common/store.h"

int answer_key_load(struct store *st, uint8_t sk[DSIG_SK_LEN], char *errbuf) {
  struct buf b;
  int rc;
  buf_init(&b, 0);
  rc = meta_get(st, META_DISTRICT_SK, &b);
  if (!rc && b.len == DSIG_SK_LEN)
    memcpy(sk, b.data, DSIG_SK_LEN);
  else if (!rc)
    rc = DS_ECORRUPT;
  if (b.data)
    sodium_memzero(b.data, b.len);
  buf_cleanup(&b);
  return rc ? ds_fail(errbuf, rc, "the district store has no district key") : 0;
}

void answer_sign_header(const uint8_t sk[DSIG_SK_LEN],
                        const uint8_t req_hash[32], const uint8_t *body,
                        size_t len, char *hdr, size_t cap) {
  uint8_t sig[DSIG_LEN];
  char b64[DSIG_B64_MAX];
  size_t at = strlen(hdr);
  dsig_answer_sign_hashed(sk, req_hash, body, len, sig);
  dsig_b64(sig, b64);
  if (at < cap)
    snprintf(hdr + at, cap - at, "Dansync-Signature: %s\r\n", b64);
}

void answer_receipt_header(const uint8_t sk[DSIG_SK_LEN],
                           const uint8_t node[16], const char *key_hex,
                           const char *commune, char *hdr, size_t cap) {
  uint8_t pk[DSIG_PK_LEN];
  char r[DSIG_RECEIPT_MAX];
  size_t at = strlen(hdr);
  if (!key_hex || hex_decode(pk, sizeof(pk), key_hex))
    return;
  dsig_receipt(sk, node, pk, commune, r);
  if (at < cap)
    snprintf(hdr + at, cap - at, "Dansync-Receipt: %s\r\n", r);
}
