/* SPDX-License-Identifier: MIT
 * synclog.c -- hash-chained, signed log of request bodies. */
#include "common/synclog.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/blake2b.h"
#include "common/db.h"
#include "common/hex.h"
#include "common/store.h"

static void put_be64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (56 - 8 * i));
}

void synclog_body_hash(const void *body, size_t len,
                       uint8_t out[SYNCLOG_HASH_LEN]) {
  blake2b_hash(out, SYNCLOG_HASH_LEN, body, len);
}

void synclog_link(const uint8_t prev[SYNCLOG_HASH_LEN], int64_t seq,
                  const uint8_t node[ID_LEN],
                  const uint8_t sig[SYNCLOG_SIG_LEN], uint64_t received_ms,
                  const uint8_t body_hash[SYNCLOG_HASH_LEN],
                  uint8_t out[SYNCLOG_HASH_LEN]) {
  crypto_generichash_state h;
  uint8_t b[8];

  crypto_generichash_init(&h, NULL, 0, SYNCLOG_HASH_LEN);
  crypto_generichash_update(&h, prev, SYNCLOG_HASH_LEN);
  put_be64(b, (uint64_t)seq);
  crypto_generichash_update(&h, b, 8);
  crypto_generichash_update(&h, node, ID_LEN);
  crypto_generichash_update(&h, sig, SYNCLOG_SIG_LEN);
  put_be64(b, received_ms);
  crypto_generichash_update(&h, b, 8);
  crypto_generichash_update(&h, body_hash, SYNCLOG_HASH_LEN);
  crypto_generichash_final(&h, out, SYNCLOG_HASH_LEN);
}

static int head(sqlite3 *db, int64_t *seq, uint8_t hash[SYNCLOG_HASH_LEN]) {
  sqlite3_stmt *s;
  int rc;

  /* SQLite reads this through synclog_head (common/migrate.c), not across
   * the last entry's body; without the index it is only slower. */
  if (sqlite3_prepare_v2(db,
                         "SELECT seq, hash FROM synclog ORDER BY seq DESC "
                         "LIMIT 1",
                         -1, &s, NULL))
    return DS_EUNAVAIL;
  rc = sqlite3_step(s);
  *seq = 0;
  memset(hash, 0, SYNCLOG_HASH_LEN);
  if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == SYNCLOG_HASH_LEN) {
    *seq = sqlite3_column_int64(s, 0);
    memcpy(hash, sqlite3_column_blob(s, 1), SYNCLOG_HASH_LEN);
  }
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : DS_EUNAVAIL;
}

int synclog_append(struct store *st, const uint8_t node[ID_LEN],
                   const uint8_t sig[SYNCLOG_SIG_LEN], uint64_t received_ms,
                   const void *body, size_t len, const uint8_t *body_hash,
                   int64_t *seq, uint8_t hash[SYNCLOG_HASH_LEN]) {
  sqlite3 *db = store_sqlite(st);
  uint8_t prev[SYNCLOG_HASH_LEN], bh[SYNCLOG_HASH_LEN];
  int64_t last;
  sqlite3_stmt *s;
  int rc;

  rc = head(db, &last, prev);
  if (rc)
    return rc;
  if (!body_hash) {
    synclog_body_hash(body, len, bh);
    body_hash = bh;
  }
  synclog_link(prev, last + 1, node, sig, received_ms, body_hash, hash);
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO synclog(seq, node, sig, received_ms, "
                         "body, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         -1, &s, NULL))
    return DS_EUNAVAIL;
  sqlite3_bind_int64(s, 1, last + 1);
  sqlite3_bind_blob(s, 2, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 3, sig, SYNCLOG_SIG_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, (int64_t)received_ms);
  sqlite3_bind_blob(s, 5, body, (int)len, SQLITE_STATIC);
  sqlite3_bind_blob(s, 6, hash, SYNCLOG_HASH_LEN, SQLITE_STATIC);
  rc = sqlite3_step(s) == SQLITE_DONE ? 0 : DS_EUNAVAIL;
  sqlite3_finalize(s);
  if (!rc)
    *seq = last + 1;
  return rc;
}

int synclog_hash_at(struct store *st, int64_t seq,
                    uint8_t hash[SYNCLOG_HASH_LEN]) {
  sqlite3_stmt *s;
  int rc;

  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT hash FROM synclog WHERE seq = ?1", -1, &s,
                         NULL))
    return DS_EUNAVAIL;
  sqlite3_bind_int64(s, 1, seq);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == SYNCLOG_HASH_LEN) {
    memcpy(hash, sqlite3_column_blob(s, 0), SYNCLOG_HASH_LEN);
    rc = 0;
  } else {
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? DS_ENOENT : DS_EUNAVAIL;
  }
  sqlite3_finalize(s);
  return rc;
}

int synclog_verify(struct store *st, int64_t *entries, int64_t *bad,
                   char *errbuf) {
  return synclog_verify_in(store_sqlite(st), "main", entries, bad, errbuf);
}

int synclog_verify_in(sqlite3 *db, const char *schema, int64_t *entries,
                      int64_t *bad, char *errbuf) {
  uint8_t prev[SYNCLOG_HASH_LEN] = {0}, h[SYNCLOG_HASH_LEN];
  char sql[200];
  sqlite3_stmt *s;
  int64_t expect = 1;
  int rc, step;

  *entries = 0;
  *bad = 0;
  if (snprintf(sql, sizeof(sql),
               "SELECT l.seq, l.node, l.sig, l.received_ms, l.body, l.hash,"
               " n.pubkey FROM %s.synclog l LEFT JOIN %s.node n"
               " ON n.node = l.node ORDER BY l.seq",
               schema, schema) >= (int)sizeof(sql) ||
      sqlite3_prepare_v2(db, sql, -1, &s, NULL))
    return ds_fail(errbuf, DS_EUNAVAIL, "cannot read the log: %s",
                   sqlite3_errmsg(db));
  rc = 0;
  while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(s, 0);
    const uint8_t *node = sqlite3_column_blob(s, 1);
    const uint8_t *sig = sqlite3_column_blob(s, 2);
    const uint8_t *body = sqlite3_column_blob(s, 4);
    const uint8_t *hash = sqlite3_column_blob(s, 5);
    const uint8_t *pk = sqlite3_column_blob(s, 6);
    size_t len = (size_t)sqlite3_column_bytes(s, 4);

    *bad = seq;
    if (seq != expect) {
      rc = ds_fail(errbuf, DS_ECORRUPT, "entry %lld is missing",
                   (long long)expect);
      *bad = expect;
      break;
    }
    if (sqlite3_column_bytes(s, 1) != ID_LEN ||
        sqlite3_column_bytes(s, 2) != SYNCLOG_SIG_LEN ||
        sqlite3_column_bytes(s, 5) != SYNCLOG_HASH_LEN) {
      rc = ds_fail(errbuf, DS_ECORRUPT, "entry %lld is malformed",
                   (long long)seq);
      break;
    }
    synclog_body_hash(body ? body : h, len, h);
    synclog_link(prev, seq, node, sig, (uint64_t)sqlite3_column_int64(s, 3), h,
                 h);
    if (sodium_memcmp(h, hash, SYNCLOG_HASH_LEN) != 0) {
      rc = ds_fail(errbuf, DS_ECORRUPT,
                   "entry %lld does not match its hash (its contents or the "
                   "chain before it were changed)",
                   (long long)seq);
      break;
    }
    if (sqlite3_column_bytes(s, 6) != crypto_sign_PUBLICKEYBYTES) {
      char hex[ID_HEX_LEN + 1];
      hex_encode(hex, node, ID_LEN);
      rc = ds_fail(errbuf, DS_ECORRUPT, "entry %lld is from unknown node %s",
                   (long long)seq, hex);
      break;
    }
    if (crypto_sign_verify_detached(sig, body ? body : h, len, pk) != 0) {
      rc = ds_fail(errbuf, DS_ECORRUPT,
                   "entry %lld has a signature that does not verify",
                   (long long)seq);
      break;
    }
    memcpy(prev, hash, SYNCLOG_HASH_LEN);
    expect++;
    (*entries)++;
  }
  if (!rc && step != SQLITE_DONE)
    rc = ds_fail(errbuf, DS_EUNAVAIL, "cannot read the log: %s",
                 sqlite3_errmsg(db));
  sqlite3_finalize(s);
  if (!rc)
    *bad = 0;
  return rc;
}

/* ---- the log of an attached file ---- */

/* Prepares the statement |...| (a format and its arguments, whose every
 * %s is a schema name) on |db| into |out|. */
#define PREPARE_IN(db, out, ...)                              \
  (snprintf(sql, sizeof(sql), __VA_ARGS__) < (int)sizeof(sql) \
       ? db_prepare(db, sql, out)                             \
       : DS_EINVAL)

int synclog_copy_to(sqlite3 *db, const char *to) {
  char sql[120];
  snprintf(sql, sizeof(sql),
           "CREATE TABLE %s.synclog AS SELECT * FROM main.synclog ORDER BY "
           "seq",
           to);
  return db_exec(db, sql);
}

int synclog_count_in(sqlite3 *db, const char *schema, int64_t until_ms,
                     int64_t *n) {
  char sql[160];
  sqlite3_stmt *s;
  int rc = PREPARE_IN(db, &s,
                      "SELECT count(*) FROM %s.synclog WHERE ?1 < 0 OR "
                      "received_ms <= ?1",
                      schema);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, until_ms);
  rc = db_step(s);
  *n = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
}

int synclog_head_in(sqlite3 *db, const char *schema, int64_t seq, int64_t *last,
                    uint8_t hash[SYNCLOG_HASH_LEN]) {
  char sql[160];
  sqlite3_stmt *s;
  int rc = PREPARE_IN(db, &s, "SELECT coalesce(max(seq), 0) FROM %s.synclog",
                      schema);
  if (rc)
    return rc;
  rc = db_step(s);
  *last = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  if (rc < 0)
    return rc;
  memset(hash, 0, SYNCLOG_HASH_LEN);
  rc = PREPARE_IN(db, &s, "SELECT hash FROM %s.synclog WHERE seq = ?1", schema);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, seq ? seq : *last);
  rc = db_step(s);
  if (rc == 1 && sqlite3_column_bytes(s, 0) == SYNCLOG_HASH_LEN)
    memcpy(hash, sqlite3_column_blob(s, 0), SYNCLOG_HASH_LEN);
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
}

int synclog_scan_open(struct synclog_scan *sc, sqlite3 *db, const char *schema,
                      int64_t until_ms) {
  char sql[300];
  int rc = PREPARE_IN(db, &sc->s,
                      "SELECT l.seq, l.node, l.sig, l.received_ms, l.body, "
                      "k.pubkey FROM %s.synclog l LEFT JOIN %s.node k ON "
                      "k.node = l.node WHERE ?1 < 0 OR l.received_ms <= ?1 "
                      "ORDER BY l.seq",
                      schema, schema);
  if (rc) {
    sc->s = NULL;
    return rc;
  }
  sqlite3_bind_int64(sc->s, 1, until_ms);
  return 0;
}

int synclog_scan_next(struct synclog_scan *sc, struct synclog_row *r) {
  sqlite3_stmt *s = sc->s;
  int rc = db_step(s);

  if (rc != 1)
    return rc;
  r->seq = sqlite3_column_int64(s, 0);
  if (sqlite3_column_bytes(s, 1) != ID_LEN ||
      sqlite3_column_bytes(s, 2) != SYNCLOG_SIG_LEN)
    return DS_ECORRUPT;
  r->node = sqlite3_column_blob(s, 1);
  r->sig = sqlite3_column_blob(s, 2);
  r->received_ms = (uint64_t)sqlite3_column_int64(s, 3);
  r->body = sqlite3_column_blob(s, 4);
  r->len = (size_t)sqlite3_column_bytes(s, 4);
  r->pk = sqlite3_column_bytes(s, 5) == crypto_sign_PUBLICKEYBYTES
              ? sqlite3_column_blob(s, 5)
              : NULL;
  return 1;
}

void synclog_scan_close(struct synclog_scan *sc) {
  sqlite3_finalize(sc->s);
  sc->s = NULL;
}

int synclog_head(struct store *st, int64_t *seq, char hash[65]) {
  sqlite3_stmt *s;
  int rc;

  *seq = 0;
  strcpy(hash, "-");
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT seq, hash FROM synclog ORDER BY seq DESC "
                         "LIMIT 1",
                         -1, &s, NULL))
    return DS_EUNAVAIL;
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == SYNCLOG_HASH_LEN) {
    *seq = sqlite3_column_int64(s, 0);
    hex_encode(hash, sqlite3_column_blob(s, 1), SYNCLOG_HASH_LEN);
  }
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : DS_EUNAVAIL;
}

int synclog_last_received(struct store *st, int64_t *ms) {
  sqlite3_stmt *s;
  int rc;

  *ms = 0;
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT coalesce(max(received_ms), 0) FROM synclog",
                         -1, &s, NULL))
    return DS_EUNAVAIL;
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    *ms = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return rc == SQLITE_ROW ? 0 : DS_EUNAVAIL;
}
