/* SPDX-License-Identifier: MIT
 * migrate.c -- the store's tables for each format, and the upgrade from
 * each earlier one. A laptop in the field holds queued work in whatever
 * format it was written in, so a store of an earlier format is never
 * refused: it is copied beside itself and upgraded in place. */
#include "common/migrate.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/cmsg.h"
#include "common/db.h"
#include "common/files.h"
#include "common/schema.h"
#include "common/store_int.h"

/* Every merged op, in merge order, a row per request and commune: its n
 * ops hold positions pos - n + 1 .. pos, their bytes those of the logged
 * request body |entry| at the (offset, length) pairs of |spans|, their
 * records |rids| (daemon/oplog.h). */
#define OPLOG_SQL                                                       \
  "CREATE TABLE oplog(pos INTEGER PRIMARY KEY, n INTEGER NOT NULL,"     \
  " entry INTEGER NOT NULL, node BLOB NOT NULL, commune TEXT NOT NULL," \
  " spans BLOB NOT NULL, rids BLOB NOT NULL);"                          \
  "CREATE INDEX oplog_commune ON oplog(commune, pos);"

/* An entry's chain hash without its body: the hash column comes after the
 * body, whose half megabyte SQLite walks page by page to reach it (150 us
 * against 7 us through this index). The writer reads a hash for each
 * append (the head) and for each answer's pull cursor (daemon/oplog.c). */
#define SYNCLOG_HEAD_SQL \
  "CREATE INDEX IF NOT EXISTS synclog_head ON synclog(seq, hash)"

#define DS_STR_(x) #x
#define DS_STR(x) DS_STR_(x)

/* Both roles: the records with their merge state, conflicts, search. */
static const char common_sql[] =
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
    "CREATE TABLE rec(id INTEGER PRIMARY KEY, rid BLOB NOT NULL UNIQUE,"
    " ent INTEGER NOT NULL, commune TEXT, conflicted INTEGER NOT NULL,"
    " st BLOB NOT NULL);"
    "CREATE TABLE conflict(rid BLOB NOT NULL, field INTEGER NOT NULL,"
    " PRIMARY KEY(rid, field)) WITHOUT ROWID;"
    /* The search index (fts5 rowid = rec.id) over each petition's citizen,
     * content and hamlet, brought up to date by the first search after
     * changes: records created since are those above meta 'search_hw';
     * existing petitions whose text changed are marked in search_dirty
     * (store_search_refresh). */
    "CREATE VIRTUAL TABLE search USING fts5(body,"
    " tokenize = 'unicode61 remove_diacritics 2');"
    "CREATE TABLE search_dirty(id INTEGER PRIMARY KEY);";

/* A device: every local op, kept after it is acked (DESIGN §6), and every
 * op pulled from the district, for a record's history. */
static const char device_sql[] =
    "CREATE TABLE outbox(seq INTEGER PRIMARY KEY, hlc INTEGER NOT NULL,"
    " rid BLOB NOT NULL, op BLOB NOT NULL, error TEXT, message TEXT);"
    "CREATE INDEX outbox_rid ON outbox(rid);"
    "CREATE TABLE inbox(id INTEGER PRIMARY KEY, rid BLOB NOT NULL,"
    " hlc INTEGER NOT NULL, node BLOB NOT NULL, seq INTEGER NOT NULL,"
    " op BLOB NOT NULL, UNIQUE(node, seq));"
    "CREATE INDEX inbox_rid ON inbox(rid);";

/* The district: its communes, devices and sync log. */
static const char district_sql[] =
    "CREATE TABLE commune(slug TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " kind TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE token(hash BLOB PRIMARY KEY, commune TEXT NOT NULL,"
    " label TEXT, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
    " node BLOB, pubkey BLOB) WITHOUT ROWID;"
    "CREATE TABLE node(node BLOB PRIMARY KEY, pubkey BLOB NOT NULL,"
    " commune TEXT NOT NULL, label TEXT, enrolled_ms INTEGER NOT NULL,"
    " revoked_ms INTEGER, acked INTEGER NOT NULL DEFAULT 0,"
    " last_sync_ms INTEGER) WITHOUT ROWID;"
    "CREATE TABLE synclog(seq INTEGER PRIMARY KEY, node BLOB NOT NULL,"
    " sig BLOB NOT NULL, received_ms INTEGER NOT NULL, body BLOB NOT NULL,"
    " hash BLOB NOT NULL);" SYNCLOG_HEAD_SQL ";" OPLOG_SQL
    "CREATE TABLE quarantine(id INTEGER PRIMARY KEY, entry INTEGER NOT NULL,"
    " node BLOB NOT NULL, seq INTEGER NOT NULL, error TEXT NOT NULL,"
    " message TEXT NOT NULL, op BLOB);";

static const char *const device_tables[] = {"outbox", "inbox", NULL};
static const char *const district_tables[] = {
    "commune", "token", "node", "synclog", "oplog", "quarantine", NULL};

/* One view per entity naming the winner of each field as a column. */
static int create_views(sqlite3 *db) {
  struct buf sql;
  int rc = 0;

  buf_init(&sql, 0);
  for (int e = 0; e < SCHEMA_NENT && !rc; e++) {
    const struct entity_def *ed = schema_entity(e);
    buf_reset(&sql);
    rc = buf_printf(&sql,
                    "CREATE VIEW %s AS SELECT id, rid, commune, "
                    "conflicted",
                    ed->name);
    for (int f = 0; f < ed->nfields && !rc; f++)
      if (f != ed->commune_field)
        rc = buf_printf(&sql, ", ds_f(st, %d) AS %s", f, ed->fields[f].name);
    if (!rc)
      rc = buf_printf(&sql, " FROM rec WHERE ent = %d;", e);
    if (!rc)
      rc = buf_cstr(&sql);
    if (!rc)
      rc = db_exec(db, (char *)sql.data);
  }
  buf_cleanup(&sql);
  return rc;
}

static int create(sqlite3 *db, bool district) {
  int rc = db_exec(db, common_sql);
  if (!rc)
    rc = db_exec(db, district ? district_sql : device_sql);
  return rc ? rc : create_views(db);
}

/* Drops those of |tables| that hold no row: the other role's, which a
 * format-3 store was created with and never used. */
static int drop_empty(sqlite3 *db, const char *const *tables) {
  char sql[64];
  bool exists, empty;
  int rc = 0;

  for (int i = 0; tables[i] && !rc; i++) {
    rc = db_has_table(db, tables[i], &exists);
    if (!rc && exists)
      rc = db_table_empty(db, tables[i], &empty);
    if (rc || !exists || !empty)
      continue;
    snprintf(sql, sizeof(sql), "DROP TABLE %s", tables[i]);
    rc = db_exec(db, sql);
  }
  return rc;
}

/* 3 -> 4: each store keeps its own role's tables. A district store is the
 * one holding the district's key. */
static int from_3(sqlite3 *db) {
  sqlite3_stmt *s;
  bool district;
  int rc = sqlite3_prepare_v2(
      db, "SELECT 1 FROM meta WHERE k = 'district_node'", -1, &s, NULL);

  if (rc != SQLITE_OK)
    return db_translate(rc);
  rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return db_translate(rc);
  district = rc == SQLITE_ROW;
  return drop_empty(db, district ? device_tables : district_tables);
}

static int drop_views(sqlite3 *db) {
  char sql[64];
  int rc = 0;
  for (int e = 0; e < SCHEMA_NENT && !rc; e++) {
    snprintf(sql, sizeof(sql), "DROP VIEW IF EXISTS %s",
             schema_entity(e)->name);
    rc = db_exec(db, sql);
  }
  return rc;
}

/* A run of format-4 oplog rows that becomes one format-5 row. */
struct oprun {
  int64_t pos, n, entry; /* pos: the run's last position */
  char commune[SCHEMA_SLUG_MAX + 1];
  struct buf node, spans, rids;
};

static int oprun_write(sqlite3_stmt *ins, const struct oprun *r) {
  sqlite3_bind_int64(ins, 1, r->pos);
  sqlite3_bind_int64(ins, 2, r->n);
  sqlite3_bind_int64(ins, 3, r->entry);
  sqlite3_bind_blob(ins, 4, r->node.data, (int)r->node.len, SQLITE_STATIC);
  sqlite3_bind_text(ins, 5, r->commune, -1, SQLITE_STATIC);
  sqlite3_bind_blob(ins, 6, r->spans.data, (int)r->spans.len, SQLITE_STATIC);
  sqlite3_bind_blob(ins, 7, r->rids.data, (int)r->rids.len, SQLITE_STATIC);
  return db_run(ins);
}

/* Adds the format-4 row |rd| is on to |r|, first writing |r| out if the
 * row does not continue it (another entry, node or commune, or a gap). */
static int oprun_add(sqlite3_stmt *ins, sqlite3_stmt *rd, struct oprun *r) {
  int64_t p = sqlite3_column_int64(rd, 0), e = sqlite3_column_int64(rd, 1);
  const void *nd = sqlite3_column_blob(rd, 2);
  size_t nnd = (size_t)sqlite3_column_bytes(rd, 2);
  const char *c = (const char *)sqlite3_column_text(rd, 3);
  uint32_t off = (uint32_t)sqlite3_column_int64(rd, 4);
  uint32_t len = (uint32_t)sqlite3_column_int64(rd, 5);
  uint8_t span[8] = {(uint8_t)(off >> 24), (uint8_t)(off >> 16),
                     (uint8_t)(off >> 8),  (uint8_t)off,
                     (uint8_t)(len >> 24), (uint8_t)(len >> 16),
                     (uint8_t)(len >> 8),  (uint8_t)len};
  int rc = 0;

  c = c ? c : "";
  if (r->n && (p != r->pos + 1 || e != r->entry || strcmp(c, r->commune) ||
               nnd != r->node.len || memcmp(nd, r->node.data, nnd))) {
    rc = oprun_write(ins, r);
    r->n = 0;
  }
  if (!rc && r->n == 0) {
    buf_reset(&r->spans);
    buf_reset(&r->rids);
    buf_reset(&r->node);
    r->entry = e;
    snprintf(r->commune, sizeof(r->commune), "%s", c);
    rc = buf_append(&r->node, nd, nnd);
  }
  if (!rc)
    rc = buf_append(&r->spans, span, sizeof(span));
  if (!rc)
    rc = buf_append(&r->rids, sqlite3_column_blob(rd, 6),
                    (size_t)sqlite3_column_bytes(rd, 6));
  r->pos = p;
  r->n++;
  return rc;
}

/* The format-4 oplog (a row per op) as format 5's (a row per run of
 * consecutive positions of one request, node and commune), positions kept:
 * the devices' cursors stay valid. */
static int oplog_from_4(sqlite3 *db) {
  sqlite3_stmt *rd = NULL, *ins = NULL;
  struct oprun r = {0};
  int rc = db_exec(db, "ALTER TABLE oplog RENAME TO oplog_v4;"
                       "DROP INDEX oplog_commune;" OPLOG_SQL);

  buf_init(&r.node, 0);
  buf_init(&r.spans, 0);
  buf_init(&r.rids, 0);
  if (!rc)
    rc = db_prepare(db,
                    "SELECT pos, entry, node, commune, off, len, rid FROM "
                    "oplog_v4 ORDER BY pos",
                    &rd);
  if (!rc)
    rc = db_prepare(db,
                    "INSERT INTO oplog(pos, n, entry, node, commune, spans, "
                    "rids) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    &ins);
  while (!rc && (rc = db_step(rd)) == 1)
    rc = oprun_add(ins, rd, &r);
  if (!rc && r.n)
    rc = oprun_write(ins, &r);
  sqlite3_finalize(rd);
  sqlite3_finalize(ins);
  buf_cleanup(&r.node);
  buf_cleanup(&r.spans);
  buf_cleanup(&r.rids);
  return rc ? rc : db_exec(db, "DROP TABLE oplog_v4");
}

/* 4 -> 5: the search index made again with the petition's hamlet; the
 * views made again from the schema (a field added at the end of an entity
 * appears); the district's oplog a row per request and commune. */
static int from_4(sqlite3 *db) {
  bool oplog = false;
  int rc = drop_views(db);

  if (!rc)
    rc = db_exec(db, "DELETE FROM search; DELETE FROM search_dirty;"
                     "DELETE FROM meta WHERE k = 'search_hw';");
  if (!rc)
    rc = store__search_fill(db);
  if (!rc)
    rc = create_views(db);
  if (!rc)
    rc = db_has_table(db, "oplog", &oplog);
  return rc || !oplog ? rc : oplog_from_4(db);
}

/* The step from format i to i + 1 is steps[i - STORE_FORMAT_OLDEST]. */
static int (*const steps[STORE_FORMAT - STORE_FORMAT_OLDEST])(sqlite3 *) = {
    from_3, from_4};

/* Copies the store to |path|.v|version|, 0600, through SQLite so the
 * copy holds what the WAL holds too. */
static int keep_copy(sqlite3 *db, const char *path, int version, char *errbuf) {
  char copy[FILES_PATH_MAX], plain[FILES_PATH_MAX];
  sqlite3_stmt *s;
  int rc, gone;

  if (snprintf(copy, sizeof(copy), "%s.v%d", path, version) >=
          (int)sizeof(copy) ||
      !files_plain(copy, plain, sizeof(plain)))
    return cmsg_fail(errbuf, DS_EINVAL, CM_STORE_PATH_LONG);
  rc = files_remove(copy, errbuf);
  if (!rc)
    rc = files_create_private(copy, errbuf);
  if (rc)
    return rc;
  rc = sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &s, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(s, 1, plain, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) {
    rc = cmsg_fail(errbuf, DS_EIO, CM_STORE_KEEP_COPY, version, copy,
                   sqlite3_errmsg(db));
    sqlite3_finalize(s);
    /* The store itself is untouched; a half copy goes if it can. */
    gone = files_remove(copy, NULL);
    (void)gone;
    return rc;
  }
  sqlite3_finalize(s);
  return 0;
}

/* A district store made before the index (format 5 had none) gets it on
 * its first open: an access path, not a new format, so the file is not
 * copied and older programs read it as before. Making it reads each body
 * once, under the write lock; once there, this takes no lock. A store this
 * process cannot write (an archived copy) is read without it: only the
 * writer's pull query names it. */
static int ensure_head_index(sqlite3 *db, const char *path, char *errbuf) {
  bool district;
  int rc = db_has_table(db, "synclog", &district);

  if (!rc && (!district || sqlite3_db_readonly(db, "main") == 1))
    return 0;
  if (!rc)
    rc = db_exec(db, SYNCLOG_HEAD_SQL);
  if (!rc)
    return 0;
  if (rc == DS_EBUSY)
    return cmsg_fail(errbuf, rc, CM_STORE_INDEX_BUSY, path);
  return cmsg_fail(errbuf, DS_EIO, CM_STORE_UNUSABLE, path, sqlite3_errmsg(db));
}

int store__migrate(sqlite3 *db, const char *path, bool district, char *errbuf) {
  bool memory = strcmp(path, ":memory:") == 0;
  int version, rc = db_user_version(db, &version);

  if (rc)
    return cmsg_fail(errbuf, DS_EIO, CM_STORE_FORMAT_READ, sqlite3_errmsg(db));
  if (version == STORE_FORMAT)
    return ensure_head_index(db, path, errbuf);
  if (version > STORE_FORMAT || (version && version < STORE_FORMAT_OLDEST))
    return cmsg_fail(errbuf, DS_EVERSION, CM_STORE_FORMAT, version,
                     STORE_FORMAT_OLDEST, STORE_FORMAT);
  if (version && !memory) {
    rc = keep_copy(db, path, version, errbuf);
    if (rc)
      return rc;
  }
  rc = db_exec(db, "BEGIN IMMEDIATE");
  /* Another connection may have upgraded it while the copy was made. */
  if (!rc)
    rc = db_user_version(db, &version);
  if (!rc && version == 0)
    rc = create(db, district);
  for (int v = version ? version : STORE_FORMAT; !rc && v < STORE_FORMAT; v++)
    rc = steps[v - STORE_FORMAT_OLDEST](db);
  if (!rc)
    rc = db_exec(db, "PRAGMA user_version = " DS_STR(STORE_FORMAT) "; COMMIT");
  if (!rc)
    return ensure_head_index(db, path, errbuf);
  rc = rc == DS_EBUSY ? rc : DS_EIO;
  if (version)
    cmsg_fail(errbuf, rc, CM_STORE_UPGRADE, version, sqlite3_errmsg(db));
  else
    cmsg_fail(errbuf, rc, CM_STORE_CREATE, sqlite3_errmsg(db));
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}
