/* SPDX-License-Identifier: MIT
 * registry.c -- the district's communes, tokens and nodes. */
#include "daemon/registry.h"

#include <string.h>

#include <sqlite3.h>

#include "common/db.h"
#include "common/schema.h"
#include "common/store.h"

static int prepare(struct store *st, const char *sql, sqlite3_stmt **s) {
  return db_prepare(store_sqlite(st), sql, s);
}

int registry_communes_load(struct store *st, const char *tsv, char *errbuf) {
  const char *p = strchr(tsv, '\n');
  int line = 1, n = 0, rc;
  sqlite3_stmt *s;

  if (!p)
    return ds_fail(errbuf, DS_EINVAL, "the communes file is empty");
  rc = prepare(st, "INSERT INTO commune(slug, name, kind) VALUES (?1, ?2, ?3)",
               &s);
  if (rc)
    return rc;
  while (*++p && !rc) {
    const char *end = strchr(p, '\n'), *t1, *t2;
    size_t len = end ? (size_t)(end - p) : strlen(p);
    line++;
    if (len && p[len - 1] == '\r')
      len--;
    if (len == 0) {
      if (!end)
        break;
      p = end;
      continue;
    }
    t1 = memchr(p, '\t', len);
    t2 = t1 ? memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - p)) : NULL;
    if (!t1 || !t2 || !schema_slug_ok(p, (size_t)(t1 - p)) ||
        !strcmp("district", p) || t2 == t1 + 1) {
      rc = ds_fail(errbuf, DS_EINVAL,
                   "communes file line %d is not 'slug<TAB>name<TAB>kind'",
                   line);
      break;
    }
    sqlite3_bind_text(s, 1, p, (int)(t1 - p), SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, t1 + 1, (int)(t2 - t1 - 1), SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, t2 + 1, (int)(len - (size_t)(t2 + 1 - p)),
                      SQLITE_TRANSIENT);
    rc = db_run(s);
    if (rc == DS_EEXIST)
      rc = ds_fail(errbuf, DS_EINVAL, "communes file line %d repeats a commune",
                   line);
    n++;
    if (!end)
      break;
    p = end;
  }
  sqlite3_finalize(s);
  if (!rc && n == 0)
    rc = ds_fail(errbuf, DS_EINVAL, "the communes file lists no commune");
  return rc;
}

int registry_commune_known(struct store *st, const char *slug, bool *out) {
  sqlite3_stmt *s;
  int rc = prepare(st, "SELECT 1 FROM commune WHERE slug = ?1", &s);

  if (rc)
    return rc;
  sqlite3_bind_text(s, 1, slug, -1, SQLITE_STATIC);
  rc = db_step(s);
  sqlite3_finalize(s);
  if (rc < 0)
    return rc;
  *out = rc == 1;
  return 0;
}

int registry_token_add(struct store *st, const uint8_t hash[32],
                       const char *commune, const char *label,
                       int64_t created_ms, int64_t expires_ms) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "INSERT INTO token(hash, commune, label, created_ms, "
                   "expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                   &s);
  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, commune, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, label, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, created_ms);
  sqlite3_bind_int64(s, 5, expires_ms);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

int registry_node_add(struct store *st, const uint8_t node[ID_LEN],
                      const uint8_t *pk, size_t pklen, const char *commune,
                      const char *label, int64_t enrolled_ms) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "INSERT INTO node(node, pubkey, commune, label, "
                   "enrolled_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                   &s);
  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, pk, (int)pklen, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, commune, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, label, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 5, enrolled_ms);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

int registry_node_revoke(struct store *st, const uint8_t lo[ID_LEN],
                         const uint8_t hi[ID_LEN], int64_t revoke_ms, int *n) {
  /* The district's own node signs admin changes and cannot be revoked. */
  static const char *const sql[] = {
      "SELECT count(*) FROM node WHERE node BETWEEN ?1 AND ?2 AND node IS "
      "NOT (SELECT v FROM meta WHERE k = 'district_node')",
      "UPDATE node SET revoked_ms = coalesce(revoked_ms, ?3) WHERE node "
      "BETWEEN ?1 AND ?2 AND node IS NOT (SELECT v FROM meta WHERE k = "
      "'district_node')"};
  sqlite3_stmt *s;
  int rc = prepare(st, sql[0], &s);

  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, lo, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, hi, ID_LEN, SQLITE_STATIC);
  rc = db_step(s);
  *n = rc == 1 ? sqlite3_column_int(s, 0) : 0;
  sqlite3_finalize(s);
  if (rc < 0)
    return rc;
  if (revoke_ms <= 0 || *n != 1)
    return 0;
  rc = prepare(st, sql[1], &s);
  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, lo, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, hi, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 3, revoke_ms);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

int registry_node_acked(struct store *st, const uint8_t node[ID_LEN],
                        int64_t *out) {
  sqlite3_stmt *s;
  int rc = prepare(st, "SELECT acked FROM node WHERE node = ?1", &s);

  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
  rc = db_step(s);
  *out = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
}
