/* SPDX-License-Identifier: MIT
 * enrol.c -- enrolment tokens as devices receive them; see enrol.h. */
#include "daemon/enrol.h"

#include <string.h>

#include <sodium.h>

#include "common/args.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/store.h"
#include "daemon/admin_int.h"
#include "daemon/dmsg.h"
#include "daemon/answer.h"
#include "daemon/district.h"
#include "daemon/log.h"
#include "daemon/registry.h"
#include "daemon/tls.h"

int enrol_token(struct store *st, const char *commune, const char *label,
                const char *pin, char out[TOKEN_TEXT_MAX], char *errbuf) {
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  struct token t;
  int rc;

  memset(&t, 0, sizeof(t));
  if (pin && token_pin_parse(pin, t.pin))
    return dmsg_fail(errbuf, DS_EINVAL, DM_PIN_FORM);
  t.has_pin = pin != NULL;
  rc = answer_key_load(st, sk, errbuf);
  if (rc)
    return rc;
  memcpy(t.district_pk, sk + 32, TOKEN_KEY_LEN);
  sodium_memzero(sk, sizeof(sk));
  snprintf(t.commune, sizeof(t.commune), "%s", commune);
  rc = district_enroll(st, commune, label, t.secret, errbuf);
  if (!rc && token_encode(&t, out))
    rc = dmsg_fail(errbuf, DS_EINVAL, DM_NOT_SLUG, commune);
  sodium_memzero(&t, sizeof(t));
  return rc;
}

static int token_row(void *arg, const struct registry_token *t) {
  struct district_list *l = arg;
  struct buf *b = &l->b;
  char id[2 * sizeof(t->id) + 1], made[32], ends[32];
  int rc;

  hex_encode(id, t->id, sizeof(t->id));
  district_fmt_time(t->created_ms, made, sizeof(made));
  district_fmt_time(t->expires_ms, ends, sizeof(ends));
  if (l->json) {
    rc = district_list_json_row(l, "id", id, t->commune, t->label);
    rc = rc || buf_printf(b,
                          ", \"created\": \"%s\", \"expires\": "
                          "\"%s\"}",
                          made, ends);
  } else {
    rc = buf_printf(b, "%-8s  %-16s %-20s %-20s  %s\n", id, t->commune, made,
                    ends, t->label);
  }
  l->n++;
  return rc;
}

int enrol_list(struct store *st, bool json, FILE *out) {
  static const int cols[] = {DM_COL_ID, DM_COL_COMMUNE, DM_COL_CREATED,
                             DM_COL_EXPIRES, DM_COL_LABEL};
  static const int widths[] = {10, 17, 21, 22, 0};
  struct district_list l;
  int rc;

  rc = district_list_begin(&l, json, cols, widths, 5);
  if (!rc)
    rc = registry_tokens_each(st, (int64_t)clock_now_ms(), token_row, &l);
  return district_list_end(&l, rc, out);
}

int enrol_cancel(struct store *st, const char *id, char *errbuf) {
  uint8_t want[TOKEN_ID_HEX / 2];
  int n;

  if (strlen(id) != TOKEN_ID_HEX || hex_decode(want, sizeof(want), id))
    return dmsg_fail(errbuf, DS_EINVAL, DM_NOT_TOKEN_ID, id);
  /* Unused tokens only: a used one is a device, revoked with node revoke.
   * The row goes, so the token is refused as unknown from now on. */
  if (registry_token_cancel(st, want, &n))
    return dmsg_fail(errbuf, DS_EIO, DM_TOKEN_CANCEL_FAIL);
  if (n == 0)
    return dmsg_fail(errbuf, DS_ENOENT, DM_NO_TOKEN, id);
  return 0;
}

bool enrol_receipt_check(const uint8_t *dpk, const uint8_t *node,
                         const char *key_hex, const char *receipt) {
  uint8_t pk[32];
  char commune[SCHEMA_SLUG_MAX + 1];
  return receipt && *receipt && !hex_decode(pk, sizeof(pk), key_hex) &&
         dsig_receipt_ok(dpk, node, pk, receipt, commune);
}

int enrol_from_receipt(struct store *st, const uint8_t *node,
                       const char *key_hex, const char *receipt,
                       uint64_t now_ms, uint8_t pk[32], char *commune) {
  uint8_t sk[DSIG_SK_LEN];
  char node_hex[2 * ID_LEN + 1];
  bool ok, known;
  int rc;

  if (answer_key_load(st, sk, NULL))
    return DS_EUNAVAIL;
  ok = !hex_decode(pk, 32, key_hex) &&
       dsig_receipt_ok(sk + 32, node, pk, receipt, commune);
  sodium_memzero(sk, sizeof(sk));
  if (!ok)
    return DS_EAUTH;
  /* The receipt's commune must still be one of the district's. */
  known = !strcmp(commune, "district");
  if (!known && registry_commune_known(st, commune, &known))
    return DS_EUNAVAIL;
  rc = !known ? DS_EAUTH
       : registry_node_add(st, node, pk, 32, commune,
                           "re-registered from its enrolment receipt",
                           (int64_t)now_ms)
           ? DS_EUNAVAIL
           : 0;
  hex_encode(node_hex, node, ID_LEN);
  if (!rc)
    LOG_WARN("enrol",
             "re-registered node=%.16s commune=%s from its "
             "enrolment receipt (the store is older than its "
             "enrolment)",
             node_hex, commune);
  return rc;
}

static int cmd_make(const struct args *a) {
  static const char *const allowed[] = {"commune", "label", "pin", "tls-cert",
                                        NULL};
  const char *commune = args_get(a, "commune"), *label = args_get(a, "label");
  const char *pin = args_get(a, "pin"), *cert = args_get(a, "tls-cert");
  char err[DS_ERRBUF_LEN], token[TOKEN_TEXT_MAX], certpin[80];
  struct store *st;
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&admin_prog, "enroll", err);
  if (!commune)
    return args_usage(&admin_prog, "enroll", dmsg(DM_ENROLL_NEEDS));
  if (pin && cert)
    return args_usage(&admin_prog, "enroll", dmsg(DM_PIN_OR_CERT));
  if (cert) {
    if (tls_pin(cert, certpin, sizeof(certpin), err))
      return args_fail(&admin_prog, EXIT_ERROR, err);
    pin = certpin;
  }
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  rc = enrol_token(st, commune, label ? label : "", pin, token, err);
  store_close(st);
  if (rc)
    return args_fail(&admin_prog, EXIT_ERROR, err);
  printf("%s\n", token);
  return EXIT_OK;
}

int enrol_cmd(const struct args *a, const char *verb) {
  static const char *const list_flags[] = {"json", NULL};
  static const char *const no_flags[] = {NULL};
  char err[DS_ERRBUF_LEN];
  struct store *st;
  int rc;

  if (!verb)
    return a->npos == 1
               ? cmd_make(a)
               : args_usage(&admin_prog, "enroll", dmsg(DM_UNEXPECTED));
  if (!strcmp(verb, "list")) {
    if (args_only(a, list_flags, err) || a->npos != 2)
      return args_usage(&admin_prog, "enroll list",
                        a->npos != 2 ? dmsg(DM_UNEXPECTED) : err);
  } else if (!strcmp(verb, "cancel")) {
    if (args_only(a, no_flags, err) || a->npos != 3)
      return args_usage(&admin_prog, "enroll cancel",
                        a->npos != 3 ? dmsg(DM_CANCEL_NEEDS) : err);
  } else {
    return args_usage(&admin_prog, "enroll", dmsg(DM_UNEXPECTED));
  }
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  if (!strcmp(verb, "list")) {
    rc = enrol_list(st, args_has(a, "json"), stdout);
    snprintf(err, sizeof(err), "%s", dmsg(DM_READ_TOKENS));
  } else {
    rc = enrol_cancel(st, a->pos[2], err);
    if (!rc)
      dmsg_print(stdout, DM_TOKEN_CANCELLED, a->pos[2]);
  }
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}
