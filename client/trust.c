/* SPDX-License-Identifier: MIT
 * trust.c -- the device's trust in its district; see trust.h. */
#include "client/trust.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "client/msg.h"
#include "client/xport.h"
#include "common/args.h"
#include "common/dsig.h"
#include "common/meta.h"
#include "common/store.h"

static int read_all(FILE *f, char *out, size_t cap) {
  size_t n = fread(out, 1, cap - 1, f);
  if (ferror(f))
    return DS_EIO;
  out[n] = '\0';
  return n == cap - 1 && fgetc(f) != EOF ? DS_ETOOBIG : 0;
}

/* Which of token_decode's refusals |text| earns, for the catalogue: the
 * same tests in the same order (common/token.c), spaces ignored. */
int trust_token_arg(const struct args *a, struct token *t, char *errbuf) {
  const char *text = args_get(a, "token"), *file = args_get(a, "token-file");
  const char *commune = args_get(a, "commune");
  char buf[4 * TOKEN_TEXT_MAX];
  int rc = 0;

  if (text && file)
    return msg_fail(errbuf, DS_EINVAL, MSG_TOKEN_BOTH);
  if (file || (text && !strcmp(text, "-"))) {
    FILE *f = file ? fopen(file, "r") : stdin;
    if (!f)
      return msg_fail(errbuf, DS_EINVAL, MSG_TOKEN_FILE_UNREADABLE, file);
    rc = read_all(f, buf, sizeof(buf));
    if (file)
      fclose(f);
    if (rc)
      return msg_fail(errbuf, DS_EINVAL,
                      file ? MSG_TOKEN_FILE_BAD : MSG_TOKEN_STDIN_BAD);
    text = buf;
  }
  rc = token_decode(text ? text : "", t, errbuf);
  sodium_memzero(buf, sizeof(buf));
  if (rc)
    return rc;
  if (commune && strcmp(commune, t->commune))
    return msg_fail(errbuf, DS_EINVAL, MSG_TOKEN_COMMUNE, commune, t->commune);
  return 0;
}

int trust_store_token(struct store *st, const struct token *t) {
  int rc = meta_set(st, META_TOKEN, t->secret, strlen(t->secret));
  if (!rc)
    rc = meta_set(st, META_DISTRICT_PK, t->district_pk, sizeof(t->district_pk));
  return rc;
}

/* Meta value |key|: text (NUL-terminated, shorter than |cap|) or, when
 * |fixed|, exactly |cap| bytes. 0, or DS_ENOENT (|out| "" for text). */
static int meta_read(struct store *st, enum meta_key key, void *out, size_t cap,
                     bool fixed) {
  struct buf b;
  int rc;
  buf_init(&b, 0);
  rc = meta_get(st, key, &b);
  if (!rc && (fixed ? b.len != cap : b.len >= cap))
    rc = DS_ENOENT;
  if (!rc)
    memcpy(out, b.data, b.len);
  if (!fixed)
    ((char *)out)[rc ? 0 : b.len] = '\0';
  buf_cleanup(&b);
  return rc;
}

void trust_token_secret(struct store *st, char *out, size_t cap) {
  (void)meta_read(st, META_TOKEN, out, cap, false);
}

int trust_enrolled(struct store *st) {
  return meta_delete(st, META_TOKEN) ? DS_EUNAVAIL : 0;
}

/* A Dansync-Key-Rotation header signed by |pk|: |pk| becomes the new key
 * (the caller still checks the answer with it). */
static int rotated(struct xport *x, uint8_t pk[DSIG_PK_LEN]) {
  uint8_t cert[DSIG_PK_LEN + DSIG_LEN], m[16 + DSIG_PK_LEN];
  char b64[200];
  size_t n = 0;
  if (xport_header(x, "Dansync-Key-Rotation", b64, sizeof(b64)) ||
      sodium_base642bin(cert, sizeof(cert), b64, strlen(b64), NULL, &n, NULL,
                        sodium_base64_VARIANT_ORIGINAL) ||
      n != sizeof(cert))
    return DS_ENOENT;
  memcpy(m, "dansync-rotate-1", 16);
  memcpy(m + 16, cert, DSIG_PK_LEN);
  if (crypto_sign_verify_detached(cert + DSIG_PK_LEN, m, sizeof(m), pk))
    return DS_EAUTH;
  memcpy(pk, cert, DSIG_PK_LEN);
  return 0;
}

int trust_check_answer(struct store *st, struct xport *x, const struct buf *req,
                       const struct buf *ans, char *errbuf) {
  uint8_t pk[DSIG_PK_LEN], sig[DSIG_LEN], req_hash[32];
  char b64[DSIG_B64_MAX + 8];

  if (meta_read(st, META_DISTRICT_PK, pk, sizeof(pk), true))
    return 0; /* a store from before answers were signed */
  if (xport_header(x, "Dansync-Signature", b64, sizeof(b64)))
    return msg_fail(errbuf, DS_EIDENTITY, MSG_ANSWER_UNSIGNED);
  if (!dsig_from_b64(b64, sig))
    return msg_fail(errbuf, DS_EIDENTITY, MSG_ANSWER_BAD_SIG);
  /* The request's hash once: a batch is hundreds of kilobytes. */
  dsig_req_hash(req->data, req->len, req_hash);
  if (dsig_answer_ok_hashed(pk, req_hash, ans->data, ans->len, sig))
    return 0;
  if (rotated(x, pk) == 0 &&
      dsig_answer_ok_hashed(pk, req_hash, ans->data, ans->len, sig)) {
    /* Signed by the key the district announced, under the old one. */
    msg_print(stderr, MSG_KEY_ROTATED);
    return meta_set(st, META_DISTRICT_PK, pk, sizeof(pk)) ? DS_EUNAVAIL : 0;
  }
  return msg_fail(errbuf, DS_EIDENTITY, MSG_ANSWER_BAD_SIG);
}

int trust_keep_receipt(struct store *st, struct xport *x) {
  uint8_t dpk[DSIG_PK_LEN], pk[DSIG_PK_LEN], node[16];
  char r[DSIG_RECEIPT_MAX], commune[SCHEMA_SLUG_MAX + 1];
  if (xport_header(x, "Dansync-Receipt", r, sizeof(r)) ||
      meta_read(st, META_DISTRICT_PK, dpk, sizeof(dpk), true) ||
      meta_read(st, META_PK, pk, sizeof(pk), true) ||
      meta_read(st, META_NODE, node, sizeof(node), true) ||
      !dsig_receipt_ok(dpk, node, pk, r, commune))
    return 0; /* none, or not ours: the one held (if any) stands */
  return meta_set(st, META_RECEIPT, r, strlen(r));
}

void trust_receipt_header(struct store *st, char *out, size_t cap) {
  char r[DSIG_RECEIPT_MAX];
  (void)meta_read(st, META_RECEIPT, r, sizeof(r), false);
  if (r[0])
    snprintf(out, cap, "Dansync-Receipt: %s", r);
  else
    out[0] = '\0';
}
