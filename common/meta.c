/* SPDX-License-Identifier: MIT
 * meta.c -- typed meta keys over the store's meta table. */
#include "common/meta.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "common/db.h"
#include "common/store.h"

static const char *const names[META_COUNT] = {
    [META_COMMUNE] = "commune",
    [META_NODE] = "node",
    [META_PK] = "pk",
    [META_SK] = "sk",
    [META_SERVER] = "server",
    [META_TOKEN] = "token",
    [META_PIN] = "pin",
    [META_CACERT] = "cacert",
    [META_ACKED] = "acked",
    [META_SENT_MAX] = "sent_max",
    [META_CURSOR] = "cursor",
    [META_CURSOR_HASH] = "cursor_hash",
    [META_HLC_SEEN] = "hlc_seen",
    [META_ENROLLED] = "enrolled",
    [META_LAST_SYNC_MS] = "last_sync_ms",
    [META_DISTRICT_PK] = "district_pk",
    [META_RECEIPT] = "receipt",
    [META_LOST_HEAD] = "lost_head",
    [META_BROUGHT_FROM] = "brought_from",
    [META_BUNDLE_OUT_ID] = "bundle_out_id",
    [META_BUNDLE_OUT_MS] = "bundle_out_ms",
    [META_BUNDLE_OUT_OPS] = "bundle_out_ops",
    [META_BUNDLE_OUT_SEQ] = "bundle_out_seq",
    [META_BUNDLE_IN_HLC] = "bundle_in_hlc",
    [META_BUNDLE_IN_MS] = "bundle_in_ms",
    [META_DISTRICT_NODE] = "district_node",
    [META_DISTRICT_SK] = "district_sk",
    [META_ISSUER] = "issuer",
    [META_KEY_ROTATION] = "key_rotation",
};

const char *meta_name(enum meta_key k) {
  assert((unsigned)k < META_COUNT && names[k]);
  return names[k];
}

int meta_get_int(struct store *st, enum meta_key k, int64_t *out) {
  return store_meta_get_int(st, meta_name(k), out);
}

int meta_set_int(struct store *st, enum meta_key k, int64_t v) {
  return store_meta_set_int(st, meta_name(k), v);
}

int meta_get(struct store *st, enum meta_key k, struct buf *out) {
  return store_meta_get(st, meta_name(k), out);
}

int meta_set(struct store *st, enum meta_key k, const void *p, size_t n) {
  return store_meta_set(st, meta_name(k), p, n);
}

int meta_delete(struct store *st, enum meta_key k) {
  sqlite3_stmt *s;
  int rc = db_prepare(store_sqlite(st), "DELETE FROM meta WHERE k = ?1", &s);

  if (rc)
    return rc;
  sqlite3_bind_text(s, 1, meta_name(k), -1, SQLITE_STATIC);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

int64_t meta_int_or_0(struct store *st, enum meta_key k) {
  int64_t v = 0;
  if (meta_get_int(st, k, &v))
    v = 0;
  return v;
}

int meta_get_exact(struct store *st, enum meta_key k, void *out, size_t len) {
  struct buf b;
  int rc;

  buf_init(&b, 0);
  rc = meta_get(st, k, &b);
  if (!rc && b.len == len)
    memcpy(out, b.data, len);
  else if (!rc)
    rc = DS_ECORRUPT;
  buf_cleanup(&b);
  return rc;
}

int meta_get_str(struct store *st, enum meta_key k, char *out, size_t cap) {
  struct buf b;
  int rc;

  buf_init(&b, 0);
  rc = meta_get(st, k, &b);
  if (!rc)
    snprintf(out, cap, "%s", (char *)b.data);
  buf_cleanup(&b);
  return rc;
}

int meta_get_exact_in(struct sqlite3 *db, const char *schema, enum meta_key k,
                      void *out, size_t len) {
  char sql[80];
  sqlite3_stmt *s;
  int rc;

  snprintf(sql, sizeof(sql), "SELECT v FROM %s.meta WHERE k = ?1", schema);
  rc = db_prepare(db, sql, &s);
  if (rc)
    return rc;
  sqlite3_bind_text(s, 1, meta_name(k), -1, SQLITE_STATIC);
  rc = db_step(s);
  if (rc == 1 && (size_t)sqlite3_column_bytes(s, 0) == len) {
    memcpy(out, sqlite3_column_blob(s, 0), len);
    rc = 0;
  } else if (rc == 1) {
    rc = DS_ECORRUPT;
  } else if (rc == 0) {
    rc = DS_ENOENT;
  }
  sqlite3_finalize(s);
  return rc;
}
