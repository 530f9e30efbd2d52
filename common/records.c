/* SPDX-License-Identifier: MIT
 * records.c -- reading the records as a whole: an id prefix resolved, the
 * digest of DESIGN §4, the deferred search index, and a record forgotten
 * to be rebuilt. store.c keeps the per-op path (load, check, apply). */
#include "common/store.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/db.h"
#include "common/hex.h"
#include "common/store_int.h"

int store_resolve(struct store *st, int ent, const char *prefix,
                  uint8_t rid[ID_LEN], char *errbuf) {
  uint8_t lo[ID_LEN], hi[ID_LEN];
  char list[6 * (ID_HEX_LEN + 2)] = "";
  size_t len = 0;
  sqlite3_stmt *s;
  int n = 0, rc = store__cached(st, STORE_SLOT_RESOLVE,
                                "SELECT rid FROM rec WHERE rid BETWEEN ?1 AND "
                                "?2 AND (?3 < 0 OR ent = ?3) ORDER BY rid "
                                "LIMIT 6",
                                &s);

  if (rc)
    return rc;
  if (id_prefix_range(prefix, lo, hi))
    return ds_fail(errbuf, DS_EINVAL,
                   "'%s' is not a record id (give 8 to 32 hex digits)", prefix);
  sqlite3_bind_blob(s, 1, lo, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, hi, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int(s, 3, ent);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    char hex[ID_HEX_LEN + 1];
    const void *p = sqlite3_column_blob(s, 0);
    if (sqlite3_column_bytes(s, 0) != ID_LEN)
      continue;
    if (n == 0)
      memcpy(rid, p, ID_LEN);
    hex_encode(hex, p, ID_LEN);
    len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
                            n ? ", " : "", hex);
    n++;
  }
  sqlite3_reset(s);
  if (rc != SQLITE_DONE)
    return db_translate(rc);
  if (n == 0)
    return ds_fail(errbuf, DS_ENOENT, "no %s has id %s",
                   ent >= 0 ? schema_entity(ent)->name : "record", prefix);
  if (n > 1)
    return ds_fail(errbuf, DS_EAMBIGUOUS,
                   "id prefix %s is ambiguous; it matches %s%s", prefix, list,
                   n > 5 ? " and more" : "");
  return 0;
}

/* Appends one digest line for field |f|'s winner |w|:
 * ent \t rid \t field \t version \t value-hex \n, built with plain copies
 * (this runs for every field of every record). */
static int digest_line(struct buf *line, const struct entity_def *e,
                       const char *ridhex, int f, const struct mwrite *w) {
  const char *ent = e->name, *field = e->fields[f].name;
  size_t ne = strlen(ent), nf = strlen(field), need;
  char ver[64];
  size_t nv = 0;
  uint8_t hb[8];
  char *p;
  int rc;

  if (f == e->status_field) {
    struct value v;
    size_t used;
    if (value_decode(&v, w->val, w->len, &used) || v.type != VAL_STATUS)
      return DS_ECORRUPT;
    nv = (size_t)snprintf(ver, sizeof(ver), "%lld:%d:", (long long)v.i,
                          schema_enum_index(schema_status_names, v.s, v.n));
  }
  for (int i = 0; i < 8; i++)
    hb[i] = (uint8_t)(w->v.hlc >> (56 - 8 * i));
  need = ne + 1 + ID_HEX_LEN + 1 + nf + 1 + nv + 16 + 1 + ID_HEX_LEN + 1 +
         2 * (size_t)w->len + 1;
  rc = buf_reserve(line, need + 1);
  if (rc)
    return rc;
  p = (char *)line->data + line->len;
  memcpy(p, ent, ne), p += ne, *p++ = '\t';
  memcpy(p, ridhex, ID_HEX_LEN), p += ID_HEX_LEN, *p++ = '\t';
  memcpy(p, field, nf), p += nf, *p++ = '\t';
  memcpy(p, ver, nv), p += nv;
  hex_encode(p, hb, 8), p += 16, *p++ = ':';
  hex_encode(p, w->v.node, ID_LEN), p += ID_HEX_LEN, *p++ = '\t';
  hex_encode(p, w->val, w->len), p += 2 * (size_t)w->len, *p++ = '\n';
  line->len += need;
  return 0;
}

int store_digest(struct store *st, const char *commune, char hex[65]) {
  crypto_hash_sha256_state h;
  uint8_t out[crypto_hash_sha256_BYTES];
  struct mstate ms;
  struct buf line;
  sqlite3_stmt *s;
  int step = SQLITE_DONE;
  int rc = store__cached(
      st, STORE_SLOT_DIGEST,
      "SELECT rid, st, commune FROM rec WHERE ent = ?1 ORDER BY rid", &s);

  if (rc)
    return rc;
  mstate_init(&ms);
  buf_init(&line, 0);
  crypto_hash_sha256_init(&h);
  /* Entities, rids and field names are each walked in byte order, so the
   * lines come out sorted without being collected. */
  for (int e = 0; e < SCHEMA_NENT && !rc; e++) {
    const struct entity_def *ed = schema_entity(e);
    sqlite3_bind_int(s, 1, e);
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
      const char *c = (const char *)sqlite3_column_text(s, 2);
      char ridhex[ID_HEX_LEN + 1];
      if (commune && (!c || strcmp(c, commune) != 0))
        continue;
      if (sqlite3_column_bytes(s, 0) != ID_LEN) {
        rc = DS_ECORRUPT;
        break;
      }
      hex_encode(ridhex, sqlite3_column_blob(s, 0), ID_LEN);
      rc = mstate_load(&ms, sqlite3_column_blob(s, 1),
                       (size_t)sqlite3_column_bytes(s, 1));
      for (int f = 0; f < ed->nfields && !rc; f++) {
        const struct mwrite *w = mstate_winner(&ms, f);
        if (!w)
          continue;
        buf_reset(&line);
        rc = digest_line(&line, ed, ridhex, f, w);
        if (!rc)
          crypto_hash_sha256_update(&h, line.data, line.len);
      }
    }
    if (!rc && step != SQLITE_DONE)
      rc = db_translate(step);
    sqlite3_reset(s);
  }
  mstate_cleanup(&ms);
  buf_cleanup(&line);
  if (rc)
    return rc;
  crypto_hash_sha256_final(&h, out);
  hex_encode(hex, out, sizeof(out));
  return 0;
}

/* The petition's fields the search index holds, in its text's order. */
static const char *const search_names[] = {"citizen", "content", "hamlet"};
#define NSEARCH (sizeof(search_names) / sizeof(search_names[0]))

uint32_t store__search_fields(void) {
  const struct entity_def *e = schema_entity(ENT_PETITION);
  uint32_t m = 0;
  for (size_t i = 0; i < NSEARCH; i++)
    m |= 1u << schema_field_find(e, search_names[i], strlen(search_names[i]));
  return m;
}

int store__search_fill(struct sqlite3 *db) {
  const struct entity_def *e = schema_entity(ENT_PETITION);
  int f[NSEARCH];
  char sql[1400];

  for (size_t i = 0; i < NSEARCH; i++)
    f[i] = schema_field_find(e, search_names[i], strlen(search_names[i]));
    /* hw: every record up to this row id is indexed, except those marked
     * in search_dirty. */
#define HW "coalesce((SELECT v FROM meta WHERE k = 'search_hw'), 0)"
  snprintf(sql, sizeof(sql),
           "DELETE FROM search WHERE rowid > " HW " OR rowid IN (SELECT id "
           "FROM search_dirty);"
           "INSERT INTO search(rowid, body) SELECT r.id, ds_fold("
           "coalesce(ds_f(r.st, %d), '') || char(10) || coalesce(ds_f(r.st, "
           "%d), '') || char(10) || coalesce(ds_f(r.st, %d), '')) FROM rec r "
           "WHERE r.ent = %d AND (r.id > " HW " OR r.id IN (SELECT id FROM "
           "search_dirty));"
           "DELETE FROM search_dirty;"
           "INSERT OR REPLACE INTO meta(k, v) SELECT 'search_hw', "
           "coalesce(max(id), 0) FROM rec;",
           f[0], f[1], f[2], ENT_PETITION);
#undef HW
  return db_exec(db, sql);
}

int store_search_refresh(struct store *st) {
  int rc = store_begin(st);
  if (!rc)
    rc = store__search_fill(store_sqlite(st));
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  return rc;
}

/* One step of store_search_refresh_some: |sql| with ?1 and ?2 bound (a
 * parameter |sql| does not have is left: binding it only fails). */
static int slice_run(sqlite3 *db, const char *sql, int64_t a, int64_t b) {
  sqlite3_stmt *s;
  int rc = db_prepare(db, sql, &s);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, a);
  sqlite3_bind_int64(s, 2, b);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

/* The first column of |sql|'s row (?1 bound, if it has one) into |*out|,
 * left as it was when there is no row. */
static int slice_int(sqlite3 *db, const char *sql, int64_t a, int64_t *out) {
  sqlite3_stmt *s;
  int rc = db_prepare(db, sql, &s);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, a);
  rc = db_step(s);
  if (rc == 1)
    *out = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
}

/* The records whose text changed (the first |max| of search_dirty), then
 * those above the mark (up to |max| in all), in one transaction. */
static int refresh_slice(sqlite3 *db, int64_t max, bool *done) {
  const struct entity_def *e = schema_entity(ENT_PETITION);
  int f[NSEARCH];
  char ins[600];
  int64_t hw = 0, top = 0, to = 0, ndirty = 0;
  int rc;

  for (size_t i = 0; i < NSEARCH; i++)
    f[i] = schema_field_find(e, search_names[i], strlen(search_names[i]));
  snprintf(ins, sizeof(ins),
           "INSERT INTO search(rowid, body) SELECT r.id, ds_fold("
           "coalesce(ds_f(r.st, %d), '') || char(10) || coalesce(ds_f(r.st, "
           "%d), '') || char(10) || coalesce(ds_f(r.st, %d), '')) FROM rec r "
           "WHERE r.ent = %d AND r.id > ?1 AND r.id <= ?2",
           f[0], f[1], f[2], ENT_PETITION);
  rc = slice_int(db,
                 "SELECT count(*) FROM (SELECT id FROM search_dirty ORDER BY "
                 "id LIMIT ?1)",
                 max, &ndirty);
  /* The dirty ones, as the range up to the |max|-th of them. */
  if (!rc && ndirty)
    rc = slice_int(db,
                   "SELECT max(id) FROM (SELECT id FROM search_dirty ORDER BY "
                   "id LIMIT ?1)",
                   max, &to);
  if (!rc && ndirty) {
    static const char *const d[] = {
        "DELETE FROM search WHERE rowid IN (SELECT id FROM search_dirty "
        "WHERE id <= ?2)",
        NULL, "DELETE FROM search_dirty WHERE id <= ?2"};
    /* The INSERT takes the dirty ids only: the range ?1..?2 is narrowed by
     * the IN below. */
    char insd[700];
    snprintf(insd, sizeof(insd),
             "%s AND r.id IN (SELECT id FROM search_dirty WHERE id <= ?2)",
             ins);
    for (int i = 0; i < 3 && !rc; i++)
      rc = slice_run(db, d[i] ? d[i] : insd, INT64_MIN, to);
  }
  if (!rc)
    rc = slice_int(db,
                   "SELECT coalesce((SELECT v FROM meta WHERE k = "
                   "'search_hw'), 0)",
                   0, &hw);
  if (!rc)
    rc = slice_int(db, "SELECT coalesce(max(id), 0) FROM rec", 0, &top);
  to = top;
  if (!rc && max - ndirty > 0)
    rc = slice_int(db,
                   "SELECT id FROM rec WHERE id > (SELECT coalesce((SELECT v "
                   "FROM meta WHERE k = 'search_hw'), 0)) ORDER BY id LIMIT 1 "
                   "OFFSET ?1",
                   max - ndirty - 1, &to);
  else
    to = hw; /* the dirty ones took the whole slice */
  if (!rc && to > hw) {
    /* Entries above the mark are stale (a forgotten record's id given
     * again); the last slice takes those beyond every record too. */
    rc = slice_run(db, "DELETE FROM search WHERE rowid > ?1 AND rowid <= ?2",
                   hw, to == top ? INT64_MAX : to);
    if (!rc)
      rc = slice_run(db, ins, hw, to);
    if (!rc)
      rc = slice_run(db, "DELETE FROM search_dirty WHERE id > ?1 AND id <= ?2",
                     hw, to);
    if (!rc)
      rc = slice_run(db,
                     "INSERT OR REPLACE INTO meta(k, v) VALUES ('search_hw', "
                     "?2)",
                     0, to);
  }
  if (!rc)
    rc = slice_int(db,
                   "SELECT (SELECT count(*) FROM search_dirty) = 0 AND "
                   "coalesce((SELECT v FROM meta WHERE k = 'search_hw'), 0) "
                   ">= (SELECT coalesce(max(id), 0) FROM rec)",
                   0, &hw);
  *done = !rc && hw;
  return rc;
}

int store_search_refresh_some(struct store *st, int max, bool *done) {
  int rc = store_begin(st);
  *done = false;
  if (!rc)
    rc = refresh_slice(store_sqlite(st), max > 0 ? max : 1, done);
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  return rc;
}

int store_forget(struct store *st, const uint8_t rid[ID_LEN]) {
  static const char *const sql[] = {
      "DELETE FROM search WHERE rowid = (SELECT id FROM rec WHERE rid = ?1)",
      /* Its row id may be given again: the index must not take it as done. */
      ("UPDATE meta SET v = min(v, (SELECT id - 1 FROM rec WHERE rid = ?1)) "
       "WHERE k = 'search_hw' AND EXISTS (SELECT 1 FROM rec WHERE rid = ?1)"),
      ("DELETE FROM search_dirty WHERE id = (SELECT id FROM rec WHERE "
       "rid = ?1)"),
      "DELETE FROM conflict WHERE rid = ?1", "DELETE FROM rec WHERE rid = ?1"};
  int rc = 0;
  store__forget_loaded(st);
  for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && !rc; i++) {
    sqlite3_stmt *s;
    rc = db_prepare(store_sqlite(st), sql[i], &s);
    if (rc)
      return rc;
    sqlite3_bind_blob(s, 1, rid, ID_LEN, SQLITE_STATIC);
    rc = db_run(s);
    sqlite3_finalize(s);
  }
  return rc;
}
