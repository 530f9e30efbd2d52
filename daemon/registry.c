/* SPDX-License-Identifier: MIT
 * registry.c -- the district's communes, tokens and nodes. */
#include "daemon/registry.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>
#include <uv.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/meta.h"
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

int registry_tokens_each(struct store *st, int64_t now_ms,
                         int (*cb)(void *arg, const struct registry_token *t),
                         void *arg) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "SELECT substr(hash, 1, 4), commune, coalesce(label, ''), "
                   "created_ms, expires_ms FROM token WHERE node IS NULL AND "
                   "expires_ms > ?1 ORDER BY created_ms",
                   &s);

  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, now_ms);
  while ((rc = db_step(s)) == 1) {
    struct registry_token t;
    const char *commune = (const char *)sqlite3_column_text(s, 1);
    const char *label = (const char *)sqlite3_column_text(s, 2);
    if (sqlite3_column_bytes(s, 0) != (int)sizeof(t.id)) {
      rc = DS_ECORRUPT;
      break;
    }
    memcpy(t.id, sqlite3_column_blob(s, 0), sizeof(t.id));
    t.commune = commune ? commune : "";
    t.label = label ? label : "";
    t.created_ms = sqlite3_column_int64(s, 3);
    t.expires_ms = sqlite3_column_int64(s, 4);
    rc = cb(arg, &t);
    if (rc)
      break;
  }
  sqlite3_finalize(s);
  return rc;
}

int registry_token_cancel(struct store *st, const uint8_t id[4], int *n) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "DELETE FROM token WHERE substr(hash, 1, 4) = ?1 AND node "
                   "IS NULL",
                   &s);

  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, id, 4, SQLITE_STATIC);
  rc = db_run(s);
  *n = rc ? 0 : sqlite3_changes(store_sqlite(st));
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
      "NOT (SELECT v FROM meta WHERE k = ?4)",
      "UPDATE node SET revoked_ms = coalesce(revoked_ms, ?3) WHERE node "
      "BETWEEN ?1 AND ?2 AND node IS NOT (SELECT v FROM meta WHERE k = ?4)"};
  const char *dn = meta_name(META_DISTRICT_NODE);
  sqlite3_stmt *s;
  int rc = prepare(st, sql[0], &s);

  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, lo, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, hi, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, dn, -1, SQLITE_STATIC);
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
  sqlite3_bind_text(s, 4, dn, -1, SQLITE_STATIC);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

int registry_district_node_revoke(struct store *st, int64_t revoke_ms) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "UPDATE node SET revoked_ms = coalesce(revoked_ms, ?1) "
                   "WHERE node = (SELECT v FROM meta WHERE k = ?2)",
                   &s);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, revoke_ms);
  sqlite3_bind_text(s, 2, meta_name(META_DISTRICT_NODE), -1, SQLITE_STATIC);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

int registry_former_district_keys(struct store *st, struct buf *keys) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "SELECT pubkey FROM node WHERE commune = 'district' AND "
                   "revoked_ms IS NOT NULL ORDER BY revoked_ms DESC",
                   &s);

  if (rc)
    return rc;
  while ((rc = db_step(s)) == 1)
    if (sqlite3_column_bytes(s, 0) == 32 &&
        (rc = buf_append(keys, sqlite3_column_blob(s, 0), 32)))
      break;
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
}

int registry_node_same(struct store *st, const uint8_t *node, size_t nlen,
                       const uint8_t *pk, size_t pklen, const char *commune,
                       size_t clen, bool *same) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "SELECT 1 FROM node WHERE node = ?1 AND pubkey = ?2 AND "
                   "commune = ?3",
                   &s);

  *same = false;
  if (rc)
    return rc;
  if (!node || !pk || !commune)
    goto done; /* a column of another type: no node of ours */
  sqlite3_bind_blob(s, 1, node, (int)nlen, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, pk, (int)pklen, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, commune, (int)clen, SQLITE_STATIC);
  rc = db_step(s);
  *same = rc == 1;
done:
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
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

int registry_nodes_each(struct store *st, const uint8_t *lo, const uint8_t *hi,
                        int (*cb)(void *arg, const struct registry_node *n),
                        void *arg) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "SELECT node, commune, coalesce(label, ''), enrolled_ms, "
                   "coalesce(last_sync_ms, 0), acked, coalesce(revoked_ms, 0) "
                   "FROM node WHERE ?1 IS NULL OR node BETWEEN ?1 AND ?2 "
                   "ORDER BY commune, enrolled_ms",
                   &s);

  if (rc)
    return rc;
  assert(!lo == !hi);
  if (lo) {
    sqlite3_bind_blob(s, 1, lo, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, hi, ID_LEN, SQLITE_STATIC);
  }
  while ((rc = db_step(s)) == 1) {
    struct registry_node n;
    const char *commune = (const char *)sqlite3_column_text(s, 1);
    const char *label = (const char *)sqlite3_column_text(s, 2);
    if (sqlite3_column_bytes(s, 0) != ID_LEN) {
      rc = DS_ECORRUPT;
      break;
    }
    memcpy(n.node, sqlite3_column_blob(s, 0), ID_LEN);
    n.commune = commune ? commune : "";
    n.label = label ? label : "";
    n.enrolled_ms = sqlite3_column_int64(s, 3);
    n.last_sync_ms = sqlite3_column_int64(s, 4);
    n.acked = sqlite3_column_int64(s, 5);
    n.revoked_ms = sqlite3_column_int64(s, 6);
    rc = cb(arg, &n);
    if (rc)
      break;
  }
  sqlite3_finalize(s);
  return rc;
}

int registry_commune_count(struct store *st, int *n) {
  sqlite3_stmt *s;
  int rc = prepare(st, "SELECT count(*) FROM commune", &s);

  if (rc)
    return rc;
  rc = db_step(s);
  *n = rc == 1 ? sqlite3_column_int(s, 0) : 0;
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
}

int registry_communes_each(struct store *st,
                           int (*cb)(void *arg, const char *slug,
                                     const char *name, const char *kind),
                           void *arg) {
  sqlite3_stmt *s;
  int rc =
      prepare(st, "SELECT slug, name, kind FROM commune ORDER BY slug", &s);

  if (rc)
    return rc;
  while ((rc = db_step(s)) == 1) {
    const char *f[3];
    for (int i = 0; i < 3; i++)
      f[i] = (const char *)sqlite3_column_text(s, i);
    rc = f[0] && f[1] && f[2] ? cb(arg, f[0], f[1], f[2]) : 0;
    if (rc)
      break;
  }
  sqlite3_finalize(s);
  return rc;
}

int registry_last_syncs(struct store *st,
                        void (*cb)(void *arg, const char *commune,
                                   uint64_t last_sync_ms),
                        void *arg) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "SELECT c.slug, coalesce(max(n.last_sync_ms), 0) FROM "
                   "commune c LEFT JOIN node n ON n.commune = c.slug GROUP BY "
                   "c.slug ORDER BY c.slug",
                   &s);

  if (rc)
    return rc;
  while ((rc = db_step(s)) == 1)
    cb(arg, (const char *)sqlite3_column_text(s, 0),
       (uint64_t)sqlite3_column_int64(s, 1));
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
}

/* ---- the head check's look-ups ---- */

/* ---- another file's communes and nodes ---- */

/* Runs the statements |...| (a format and its arguments, whose every %s
 * is a schema name) on |db|. */
#define EXEC_IN(db, ...)                                      \
  (snprintf(sql, sizeof(sql), __VA_ARGS__) < (int)sizeof(sql) \
       ? db_exec(db, sql)                                     \
       : DS_EINVAL)

int registry_copy_to(sqlite3 *db, const char *to) {
  char sql[300];
  return EXEC_IN(db,
                 "CREATE TABLE %s.commune AS SELECT * FROM main.commune;"
                 "CREATE TABLE %s.node AS SELECT node, pubkey, commune, "
                 "label, enrolled_ms, revoked_ms FROM main.node;",
                 to, to);
}

int registry_copy_from(sqlite3 *db, const char *from) {
  char sql[300];
  return EXEC_IN(db,
                 "INSERT INTO commune SELECT slug, name, kind FROM "
                 "%s.commune;"
                 "INSERT INTO node(node, pubkey, commune, label, enrolled_ms) "
                 "SELECT node, pubkey, commune, label, enrolled_ms FROM "
                 "%s.node;",
                 from, from);
}

int registry_revocations_from(sqlite3 *db, const char *from) {
  char sql[200];
  return EXEC_IN(db,
                 "UPDATE node SET revoked_ms = (SELECT revoked_ms FROM "
                 "%s.node s WHERE s.node = node.node)",
                 from);
}

int registry_node_keys_in(sqlite3 *db, const char *schema,
                          int (*cb)(void *arg, const uint8_t *node, size_t nlen,
                                    const uint8_t *pk, size_t pklen,
                                    const char *commune, size_t clen),
                          void *arg) {
  char sql[200];
  sqlite3_stmt *s;
  int rc;

  /* A column of another type than a node's reads as NULL. */
  if (snprintf(sql, sizeof(sql),
               "SELECT iif(typeof(node) = 'blob', node, NULL),"
               " iif(typeof(pubkey) = 'blob', pubkey, NULL),"
               " iif(typeof(commune) = 'text', commune, NULL)"
               " FROM %s.node ORDER BY node",
               schema) >= (int)sizeof(sql))
    return DS_EINVAL;
  rc = db_prepare(db, sql, &s);
  if (rc)
    return rc;
  while ((rc = db_step(s)) == 1) {
    /* Each value before its length, as SQLite asks. */
    const uint8_t *node = sqlite3_column_blob(s, 0);
    size_t nlen = (size_t)sqlite3_column_bytes(s, 0);
    const uint8_t *pk = sqlite3_column_blob(s, 1);
    size_t pklen = (size_t)sqlite3_column_bytes(s, 1);
    const char *commune = (const char *)sqlite3_column_text(s, 2);
    size_t clen = (size_t)sqlite3_column_bytes(s, 2);
    rc = cb(arg, node, nlen, pk, pklen, commune, clen);
    if (rc)
      break;
  }
  sqlite3_finalize(s);
  return rc;
}

struct registry_keys {
  sqlite3 *db;
  sqlite3_stmt *node, *token;
  uv_mutex_t lock; /* the pool's threads take turns on the connection */
};

void registry_keys_close(struct registry_keys *k) {
  if (!k)
    return;
  sqlite3_finalize(k->node);
  sqlite3_finalize(k->token);
  sqlite3_close(k->db);
  uv_mutex_destroy(&k->lock);
  ds_free(k);
}

int registry_keys_open(struct registry_keys **out, struct store *st) {
  const char *path = sqlite3_db_filename(store_sqlite(st), "main");
  struct registry_keys *k;
  int rc;

  if (!path || !*path)
    return DS_EINVAL;
  k = ds_calloc(1, sizeof(*k));
  if (!k)
    return DS_ENOMEM;
  if (uv_mutex_init(&k->lock)) {
    ds_free(k);
    return DS_ENOMEM;
  }
  rc = db_translate(sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READONLY, NULL));
  if (!rc)
    rc = db_translate(sqlite3_prepare_v3(
        k->db, "SELECT pubkey, revoked_ms FROM node WHERE node = ?1", -1,
        SQLITE_PREPARE_PERSISTENT, &k->node, NULL));
  if (!rc)
    rc = db_translate(sqlite3_prepare_v3(
        k->db, "SELECT node IS NOT NULL, expires_ms FROM token WHERE hash = ?1",
        -1, SQLITE_PREPARE_PERSISTENT, &k->token, NULL));
  if (rc) {
    registry_keys_close(k);
    return rc;
  }
  sqlite3_busy_timeout(k->db, 1000);
  *out = k;
  return 0;
}

int registry_keys_node(struct registry_keys *k, const uint8_t node[ID_LEN],
                       uint8_t pk[32], enum registry_node_state *state) {
  int rc;

  uv_mutex_lock(&k->lock);
  sqlite3_bind_blob(k->node, 1, node, ID_LEN, SQLITE_STATIC);
  rc = db_step(k->node);
  if (rc == 0) {
    *state = REG_NODE_UNKNOWN;
  } else if (rc == 1 && sqlite3_column_type(k->node, 1) != SQLITE_NULL) {
    *state = REG_NODE_REVOKED;
    rc = 0;
  } else if (rc == 1 && sqlite3_column_bytes(k->node, 0) == 32) {
    memcpy(pk, sqlite3_column_blob(k->node, 0), 32);
    *state = REG_NODE_KNOWN;
    rc = 0;
  } else if (rc == 1) {
    rc = DS_ECORRUPT;
  }
  sqlite3_reset(k->node);
  uv_mutex_unlock(&k->lock);
  return rc;
}

int registry_keys_token(struct registry_keys *k, const uint8_t hash[32],
                        uint64_t now_ms, enum registry_token_state *state) {
  int rc;

  uv_mutex_lock(&k->lock);
  sqlite3_bind_blob(k->token, 1, hash, 32, SQLITE_TRANSIENT);
  rc = db_step(k->token);
  if (rc == 0)
    *state = REG_TOKEN_BAD;
  else if (rc == 1)
    *state = sqlite3_column_int(k->token, 0) ? REG_TOKEN_USED
             : (uint64_t)sqlite3_column_int64(k->token, 1) < now_ms
                 ? REG_TOKEN_EXPIRED
                 : REG_TOKEN_OK;
  sqlite3_reset(k->token);
  uv_mutex_unlock(&k->lock);
  return rc < 0 ? rc : 0;
}
