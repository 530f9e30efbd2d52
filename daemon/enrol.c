/* SPDX-License-Identifier: MIT
 * enrol.c -- enrolment tokens as devices receive them; see enrol.h. */
#include "daemon/enrol.h"

#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/args.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/store.h"
#include "daemon/admin_int.h"
#include "daemon/answer.h"
#include "daemon/district.h"
#include "daemon/log.h"
#include "daemon/tls.h"

int enrol_token(struct store *st, const char *commune, const char *label,
                const char *pin, char out[TOKEN_TEXT_MAX], char *errbuf) {
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  struct token t;
  int rc;

  memset(&t, 0, sizeof(t));
  if (pin && token_pin_parse(pin, t.pin))
    return ds_fail(errbuf, DS_EINVAL,
                   "--pin must look like sha256//<44 base64 characters>, as "
                   "'dansyncd tls pin' prints it");
  t.has_pin = pin != NULL;
  rc = answer_key_load(st, sk, errbuf);
  if (rc)
    return rc;
  memcpy(t.district_pk, sk + 32, TOKEN_KEY_LEN);
  sodium_memzero(sk, sizeof(sk));
  snprintf(t.commune, sizeof(t.commune), "%s", commune);
  rc = district_enroll(st, commune, label, t.secret, errbuf);
  if (!rc && token_encode(&t, out))
    rc = ds_fail(errbuf, DS_EINVAL, "'%s' is not a commune slug", commune);
  sodium_memzero(&t, sizeof(t));
  return rc;
}

static void fmt_time(int64_t ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int enrol_list(struct store *st, bool json, FILE *out) {
  sqlite3_stmt *s;
  struct buf b;
  int rc, n = 0;

  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT lower(hex(substr(hash, 1, 4))), commune, "
                         "coalesce(label, ''), created_ms, expires_ms FROM "
                         "token WHERE node IS NULL AND expires_ms > ?1 "
                         "ORDER BY created_ms",
                         -1, &s, NULL))
    return DS_EIO;
  sqlite3_bind_int64(s, 1, (int64_t)clock_now_ms());
  buf_init(&b, 0);
  rc = json ? buf_putc(&b, '[')
            : buf_printf(&b, "%-8s  %-16s %-20s %-20s  %s\n", "id", "commune",
                         "created", "expires", "label");
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    char made[32], ends[32];
    const char *label = (const char *)sqlite3_column_text(s, 2);
    fmt_time(sqlite3_column_int64(s, 3), made, sizeof(made));
    fmt_time(sqlite3_column_int64(s, 4), ends, sizeof(ends));
    if (json) {
      rc = buf_printf(&b,
                      "%s\n  {\"id\": \"%s\", \"commune\": \"%s\", "
                      "\"label\": ",
                      n ? "," : "", sqlite3_column_text(s, 0),
                      sqlite3_column_text(s, 1));
      rc = rc || json_str(&b, label, strlen(label));
      rc = rc || buf_printf(&b,
                            ", \"created\": \"%s\", \"expires\": "
                            "\"%s\"}",
                            made, ends);
    } else {
      rc = buf_printf(&b, "%-8s  %-16s %-20s %-20s  %s\n",
                      sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
                      made, ends, label);
    }
    n++;
  }
  sqlite3_finalize(s);
  if (!rc && json)
    rc = buf_printf(&b, n ? "\n]\n" : "]\n");
  if (!rc)
    fwrite(b.data, 1, b.len, out);
  buf_cleanup(&b);
  return rc;
}

int enrol_cancel(struct store *st, const char *id, char *errbuf) {
  uint8_t want[TOKEN_ID_HEX / 2];
  sqlite3_stmt *s;
  int n;

  if (strlen(id) != TOKEN_ID_HEX || hex_decode(want, sizeof(want), id))
    return ds_fail(errbuf, DS_EINVAL,
                   "'%s' is not a token id (8 hex digits, as 'dansyncd "
                   "enroll list' shows them)",
                   id);
  /* Unused tokens only: a used one is a device, revoked with node revoke.
   * The row goes, so the token is refused as unknown from now on. */
  sqlite3_prepare_v2(store_sqlite(st),
                     "DELETE FROM token WHERE substr(hash, 1, 4) = ?1 AND "
                     "node IS NULL",
                     -1, &s, NULL);
  sqlite3_bind_blob(s, 1, want, sizeof(want), SQLITE_STATIC);
  n = sqlite3_step(s) == SQLITE_DONE ? sqlite3_changes(store_sqlite(st)) : -1;
  sqlite3_finalize(s);
  if (n < 0)
    return ds_fail(errbuf, DS_EIO, "could not cancel the token");
  if (n == 0)
    return ds_fail(errbuf, DS_ENOENT,
                   "no unused enrolment token has id %s (see 'dansyncd "
                   "enroll list')",
                   id);
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
  sqlite3_stmt *s;
  bool ok;
  int rc;

  if (answer_key_load(st, sk, NULL))
    return DS_EUNAVAIL;
  ok = !hex_decode(pk, 32, key_hex) &&
       dsig_receipt_ok(sk + 32, node, pk, receipt, commune);
  sodium_memzero(sk, sizeof(sk));
  if (!ok)
    return DS_EAUTH;
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "INSERT INTO node(node, pubkey, commune, label, "
                         "enrolled_ms) SELECT ?1, ?2, ?3, 're-registered "
                         "from its enrolment receipt', ?4 WHERE ?3 = "
                         "'district' OR EXISTS (SELECT 1 FROM commune WHERE "
                         "slug = ?3)",
                         -1, &s, NULL))
    return DS_EUNAVAIL;
  sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, pk, 32, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, commune, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, (int64_t)now_ms);
  rc = sqlite3_step(s) != SQLITE_DONE           ? DS_EUNAVAIL
       : sqlite3_changes(store_sqlite(st)) == 1 ? 0
                                                : DS_EAUTH;
  sqlite3_finalize(s);
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
    return args_usage(&admin_prog, "enroll", "enroll needs --commune");
  if (pin && cert)
    return args_usage(&admin_prog, "enroll",
                      "give --pin or --tls-cert, not both");
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
               : args_usage(&admin_prog, "enroll", "unexpected argument");
  if (!strcmp(verb, "list")) {
    if (args_only(a, list_flags, err) || a->npos != 2)
      return args_usage(&admin_prog, "enroll list",
                        a->npos != 2 ? "unexpected argument" : err);
  } else if (!strcmp(verb, "cancel")) {
    if (args_only(a, no_flags, err) || a->npos != 3)
      return args_usage(&admin_prog, "enroll cancel",
                        a->npos != 3 ? "enroll cancel needs one token id"
                                     : err);
  } else {
    return args_usage(&admin_prog, "enroll", "unexpected argument");
  }
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  if (!strcmp(verb, "list")) {
    rc = enrol_list(st, args_has(a, "json"), stdout);
    snprintf(err, sizeof(err), "could not read the tokens");
  } else {
    rc = enrol_cancel(st, a->pos[2], err);
    if (!rc)
      printf("Cancelled enrolment token %s; a device presenting it is "
             "refused.\n",
             a->pos[2]);
  }
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}
