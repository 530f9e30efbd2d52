/* SPDX-License-Identifier: MIT
 * loghead.c -- the signed head of a log export; see loghead.h. */
#include "daemon/loghead.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/args.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/files.h"
#include "common/hex.h"
#include "common/schema.h"
#include "common/store.h"
#include "common/synclog.h"
#include "daemon/admin_int.h"
#include "daemon/answer.h"
#include "daemon/dmsg.h"
#include "daemon/registry.h"

#define STMT_LEN (16 + 8 + 32 + 32)

struct nodes_hash {
  crypto_generichash_state h;
  bool misfit; /* a row that does not fit the statement's layout */
};

/* One node's row in the statement's layout: a 16-byte id, a 32-byte key
 * and a commune slug (registry_node_keys_in gives a column of another
 * type as NULL). A row that does not fit it (an export's table edited by
 * hand) stops the hash: hashed anyway, a commune of 256 bytes or more
 * would have its length byte wrap, and the bytes past it could be
 * changed unseen. */
static int hash_node(void *arg, const uint8_t *node, size_t nlen,
                     const uint8_t *pk, size_t pklen, const char *commune,
                     size_t clen) {
  struct nodes_hash *nh = arg;
  uint8_t len = (uint8_t)clen;
  if (nlen != ID_LEN || pklen != crypto_sign_PUBLICKEYBYTES || !commune ||
      !schema_slug_ok(commune, clen)) {
    nh->misfit = true;
    return DS_ECORRUPT;
  }
  crypto_generichash_update(&nh->h, node, nlen);
  crypto_generichash_update(&nh->h, pk, pklen);
  crypto_generichash_update(&nh->h, &len, 1);
  crypto_generichash_update(&nh->h, (const uint8_t *)commune, len);
  return 0;
}

/* The statement for the log in schema |db_name| as it stands, ending at
 * entry |seq| (0: its last); |*last| is its last entry. |*misfit|: a
 * node's row does not fit the statement (then DS_ECORRUPT). */
static int statement(sqlite3 *db, const char *db_name, int64_t seq,
                     int64_t *last, uint8_t out[STMT_LEN], bool *misfit) {
  struct nodes_hash nh = {.misfit = false};
  int rc;

  *misfit = false;
  memcpy(out, "dansync-loghead1", 16);
  rc = synclog_head_in(db, db_name, seq, last, out + 24);
  if (rc)
    return rc;
  if (seq == 0)
    seq = *last;
  for (int i = 0; i < 8; i++)
    out[16 + i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
  crypto_generichash_init(&nh.h, NULL, 0, 32);
  rc = registry_node_keys_in(db, db_name, hash_node, &nh);
  crypto_generichash_final(&nh.h, out + 56, 32);
  *misfit = nh.misfit;
  return rc;
}

int loghead_info_create(sqlite3 *db, const char *schema,
                        const uint8_t *district_node) {
  char sql[200];
  sqlite3_stmt *s;
  int rc;

  snprintf(sql, sizeof(sql),
           "CREATE TABLE %s.info(k TEXT PRIMARY KEY, v);"
           "INSERT INTO %s.info VALUES ('format', 'dansync-log-export 1');",
           schema, schema);
  rc = db_exec(db, sql);
  if (rc || !district_node)
    return rc;
  snprintf(sql, sizeof(sql), "INSERT INTO %s.info VALUES ('district_node', ?1)",
           schema);
  rc = db_prepare(db, sql, &s);
  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, district_node, ID_LEN, SQLITE_STATIC);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

int loghead_sign(sqlite3 *db, const uint8_t sk[DSIG_SK_LEN], char *errbuf) {
  uint8_t m[STMT_LEN], sig[DSIG_LEN];
  sqlite3_stmt *s;
  int64_t last;
  bool misfit;
  int rc = statement(db, "x", 0, &last, m, &misfit);

  if (misfit)
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_NODES);
  if (rc)
    return dmsg_fail(errbuf, rc, DM_EXPORT_READ);
  crypto_sign_detached(sig, NULL, m, sizeof(m), sk);
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO x.info VALUES ('head_seq', ?1), "
                         "('head_hash', ?2), ('nodes_hash', ?3), "
                         "('head_sig', ?4), ('district_pk', ?5)",
                         -1, &s, NULL))
    return dmsg_fail(errbuf, DS_EIO, DM_EXPORT_SIGN);
  sqlite3_bind_int64(s, 1, last);
  sqlite3_bind_blob(s, 2, m + 24, 32, SQLITE_STATIC);
  sqlite3_bind_blob(s, 3, m + 56, 32, SQLITE_STATIC);
  sqlite3_bind_blob(s, 4, sig, sizeof(sig), SQLITE_STATIC);
  sqlite3_bind_blob(s, 5, sk + 32, 32, SQLITE_STATIC);
  rc = sqlite3_step(s) == SQLITE_DONE ? 0 : DS_EIO;
  sqlite3_finalize(s);
  return rc ? dmsg_fail(errbuf, rc, DM_EXPORT_SIGN) : 0;
}

/* Info key |k| of schema |schema|: an integer (|len| 0) or a blob of
 * exactly |len| bytes into |out|; DS_ENOENT when absent or not so. */
static int info_blob(sqlite3 *db, const char *schema, const char *k,
                     uint8_t *out, size_t len) {
  char sql[80];
  sqlite3_stmt *s;
  int rc;

  snprintf(sql, sizeof(sql), "SELECT v FROM %s.info WHERE k = ?1", schema);
  rc = db_prepare(db, sql, &s);
  if (rc)
    return rc;
  sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
  rc = DS_ENOENT;
  if (sqlite3_step(s) == SQLITE_ROW) {
    if (len == 0) {
      *(int64_t *)(void *)out = sqlite3_column_int64(s, 0);
      rc = 0;
    } else if ((size_t)sqlite3_column_bytes(s, 0) == len) {
      memcpy(out, sqlite3_column_blob(s, 0), len);
      rc = 0;
    }
  }
  sqlite3_finalize(s);
  return rc;
}

int loghead_district_node(sqlite3 *db, const char *schema,
                          uint8_t out[ID_LEN]) {
  return info_blob(db, schema, "district_node", out, ID_LEN);
}

/* An export as log export makes it: info, node and synclog are tables,
 * nothing is a view or a trigger, and no index is there but info's key's
 * own. A view could show the check one thing and the replay another; so
 * could an index left stale by editing the schema, which the check's
 * ordered scan of node would read instead of the table. */
static bool export_shape_ok(sqlite3 *db, const char *schema) {
  char sql[320];
  sqlite3_stmt *s;
  bool ok = false;
  if (snprintf(
          sql, sizeof(sql),
          "SELECT sum(type IN ('view', 'trigger') OR (type = 'index' AND"
          " NOT (tbl_name = 'info' AND sql IS NULL))), sum(type = 'table'"
          " AND name IN ('info', 'node', 'synclog')) FROM %s.sqlite_schema",
          schema) < (int)sizeof(sql) &&
      !sqlite3_prepare_v2(db, sql, -1, &s, NULL)) {
    ok = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0 &&
         sqlite3_column_int(s, 1) == 3;
    sqlite3_finalize(s);
  }
  return ok;
}

bool loghead_is_export_in(sqlite3 *db, const char *schema) {
  char sql[100];
  sqlite3_stmt *s;
  bool yes = false;
  /* Anything named info: a view that fails to read is one too. */
  if (snprintf(sql, sizeof(sql),
               "SELECT 1 FROM %s.sqlite_schema WHERE name = 'info'",
               schema) < (int)sizeof(sql) &&
      !sqlite3_prepare_v2(db, sql, -1, &s, NULL)) {
    yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
  }
  return yes;
}

int loghead_check_in(sqlite3 *db, const char *schema, const char *path,
                     const uint8_t *keys, size_t nkeys, struct loghead *head,
                     int64_t *entries, char *errbuf) {
  uint8_t m[STMT_LEN], hash[32], nodes[32], sig[DSIG_LEN], epk[32];
  int64_t seq = 0, last = 0, bad;
  size_t signer = 0;
  bool misfit;
  int rc;

  if (!loghead_is_export_in(db, schema))
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_NO_HEAD, path);
  if (!export_shape_ok(db, schema))
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_SHAPE, path);
  if (info_blob(db, schema, "head_seq", (uint8_t *)&seq, 0) ||
      info_blob(db, schema, "head_hash", hash, 32) ||
      info_blob(db, schema, "nodes_hash", nodes, 32) ||
      info_blob(db, schema, "head_sig", sig, sizeof(sig)) ||
      info_blob(db, schema, "district_pk", epk, 32))
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_NO_HEAD, path);
  memcpy(m, "dansync-loghead1", 16);
  for (int i = 0; i < 8; i++)
    m[16 + i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
  memcpy(m + 24, hash, 32);
  memcpy(m + 56, nodes, 32);
  if (!nkeys) {
    keys = epk;
    nkeys = 1;
  }
  while (signer < nkeys &&
         crypto_sign_verify_detached(sig, m, sizeof(m), keys + 32 * signer))
    signer++;
  if (signer == nkeys)
    return dmsg_fail(errbuf, DS_ECORRUPT,
                     keys != epk ? DM_EXPORT_HEAD_NOT_THIS
                                 : DM_EXPORT_HEAD_NOT_ITS);
  if (head) {
    head->seq = seq;
    memcpy(head->hash, hash, 32);
    head->signer = signer;
  }
  rc = statement(db, schema, seq, &last, m, &misfit);
  if (misfit)
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_NODES);
  if (rc)
    return dmsg_fail(errbuf, rc, DM_EXPORT_LOG_READ, path);
  if (last < seq)
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_CUT, (long long)last,
                     (long long)seq);
  if (last > seq)
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_ADDED, (long long)seq);
  if (sodium_memcmp(m + 24, hash, 32))
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_CHANGED, (long long)seq);
  if (sodium_memcmp(m + 56, nodes, 32))
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_NODES);
  return synclog_verify_in(db, schema, entries, &bad, errbuf);
}

struct same_nodes {
  struct store *live;
  char hex[ID_HEX_LEN + 1]; /* the first node that is not the district's */
  bool foreign;
};

static int node_is_ours(void *arg, const uint8_t *node, size_t nlen,
                        const uint8_t *pk, size_t pklen, const char *commune,
                        size_t clen) {
  struct same_nodes *sn = arg;
  bool same;
  int rc =
      registry_node_same(sn->live, node, nlen, pk, pklen, commune, clen, &same);
  if (!rc && !same) {
    if (node && nlen == ID_LEN)
      hex_encode(sn->hex, node, ID_LEN); /* the row goes with the scan */
    sn->foreign = true;
    rc = DS_ECORRUPT;
  }
  return rc;
}

/* A head signed by a former key (one the district has revoked, maybe
 * because it was stolen) counts only for what the district itself holds:
 * the entry it ends at, with that chain hash, in |live|'s log (the chain
 * then vouches for every entry up to it), and each node row of the
 * export, id, key and commune, in |live|'s node table. */
static int former_key_vouched(sqlite3 *db, const char *schema,
                              struct store *live, const struct loghead *h,
                              char *errbuf) {
  struct same_nodes sn = {.live = live, .hex = "?"};
  uint8_t hash[32];
  int rc;

  if (h->seq < 1)
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_FORMER_KEY_EMPTY);
  rc = synclog_hash_at(live, h->seq, hash);
  if (rc == DS_ENOENT || (!rc && sodium_memcmp(hash, h->hash, 32)))
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_FORMER_KEY_FORK,
                     (long long)h->seq);
  if (rc)
    return dmsg_fail(errbuf, rc, DM_READ_LOG);
  rc = registry_node_keys_in(db, schema, node_is_ours, &sn);
  if (sn.foreign)
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_FORMER_KEY_NODE, sn.hex);
  return rc ? dmsg_fail(errbuf, rc, DM_READ_NODES) : 0;
}

/* |path| is a file name, never a URI ("file:x" is ./file:x, as an ATTACH
 * of it resolves). */
int loghead_check(const char *path, const uint8_t *keys, size_t nkeys,
                  struct store *live, struct loghead *head, int64_t *entries,
                  char *errbuf) {
  char plain[FILES_PATH_MAX];
  struct loghead h = {0};
  sqlite3 *db = NULL;
  int rc;

  if (!files_plain(path, plain, sizeof(plain)) ||
      sqlite3_open_v2(plain, &db, SQLITE_OPEN_READONLY, NULL)) {
    sqlite3_close(db);
    return dmsg_fail(errbuf, DS_ENOENT, DM_CANNOT_OPEN, path);
  }
  /* One read transaction: the head, the nodes and every entry are
   * checked in the same state of the file. */
  rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL)
           ? dmsg_fail(errbuf, DS_EIO, DM_EXPORT_LOG_READ, path)
           : loghead_check_in(db, "main", path, keys, nkeys, &h, entries,
                              errbuf);
  if (!rc && h.signer > 0 && nkeys > 0)
    rc = live ? former_key_vouched(db, "main", live, &h, errbuf)
              : dmsg_fail(errbuf, DS_ECORRUPT, DM_EXPORT_HEAD_NOT_THIS);
  sqlite3_close(db);
  if (head)
    *head = h;
  return rc;
}

int loghead_cmd_verify(const struct args *a) {
  static const char *const flags[] = {"from", NULL};
  uint8_t sk[DSIG_SK_LEN];
  char err[DS_ERRBUF_LEN];
  struct loghead head = {0};
  struct store *st;
  struct buf keys;
  int64_t n = 0;
  int rc;

  if (args_only(a, flags, err) || a->npos != 2)
    return args_usage(&admin_prog, "log verify",
                      a->npos != 2 ? dmsg(DM_UNEXPECTED) : err);
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  buf_init(&keys, 0);
  rc = answer_key_load(st, sk, err);
  if (!rc && buf_append(&keys, sk + 32, 32))
    rc = dmsg_fail(err, DS_ENOMEM, DM_OOM);
  if (!rc && registry_former_district_keys(st, &keys))
    rc = dmsg_fail(err, DS_EIO, DM_READ_NODES);
  sodium_memzero(sk, sizeof(sk));
  if (!rc)
    rc = loghead_check(args_get(a, "from"), keys.data, keys.len / 32, st, &head,
                       &n, err);
  store_close(st);
  buf_cleanup(&keys);
  if (rc)
    return args_fail(&admin_prog, EXIT_ERROR, err);
  if (head.signer > 0)
    dmsg_print(stdout, DM_EXPORT_INTACT_FORMER_KEY, (long long)n,
               (long long)head.seq);
  else
    dmsg_print(stdout, DM_EXPORT_INTACT, (long long)n);
  return EXIT_OK;
}
