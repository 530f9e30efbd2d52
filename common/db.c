/* SPDX-License-Identifier: MIT
 * db.c -- SQLite result codes translated once, and shared connection
 * helpers. */
#include "common/db.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

int db_init_process(void) {
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK ? 0
                                                                 : DS_EUNAVAIL;
}

int db_translate(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_DONE:
  case SQLITE_ROW: return 0;
  case SQLITE_BUSY:
  case SQLITE_LOCKED: return DS_EBUSY;
  case SQLITE_NOMEM: return DS_ENOMEM;
  case SQLITE_CONSTRAINT: return DS_EEXIST;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB: return DS_ECORRUPT;
  default: return DS_EUNAVAIL;
  }
}

int db_exec(struct sqlite3 *db, const char *sql) {
  return db_translate(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

int db_prepare(struct sqlite3 *db, const char *sql, sqlite3_stmt **out) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

  if (rc != SQLITE_OK || !s) {
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? DS_EINVAL : db_translate(rc);
  }
  *out = s;
  return 0;
}

int db_prepare_kept(struct sqlite3 *db, const char *const *sql, int n,
                    struct sqlite3_stmt **out) {
  int rc = SQLITE_OK;
  for (int i = 0; i < n; i++)
    out[i] = NULL;
  for (int i = 0; i < n && rc == SQLITE_OK; i++)
    rc = sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &out[i],
                            NULL);
  return db_translate(rc);
}

int db_step(sqlite3_stmt *s) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    return 1;
  return rc == SQLITE_DONE ? 0 : db_translate(rc);
}

int db_run(sqlite3_stmt *s) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_translate(rc);
}

int db_blob_open(struct sqlite3 *db, const char *table, const char *col,
                 int64_t row, sqlite3_blob **blob) {
  int rc = *blob ? sqlite3_blob_reopen(*blob, row)
                 : sqlite3_blob_open(db, "main", table, col, row, 0, blob);

  if (rc == SQLITE_OK)
    return 0;
  sqlite3_blob_close(*blob); /* a failed move leaves the handle aborted */
  *blob = NULL;
  /* SQLITE_ERROR: no such row, or no blob in it (the table and column are
   * the caller's own names). */
  return rc == SQLITE_ERROR ? DS_ENOENT : db_translate(rc);
}

int db_blob_read(sqlite3_blob *blob, void *out, int n, int off) {
  return db_translate(sqlite3_blob_read(blob, out, n, off));
}

int db_begin(struct sqlite3 *db) {
  return db_exec(db, "BEGIN IMMEDIATE");
}

int db_commit(struct sqlite3 *db) {
  int rc = db_exec(db, "COMMIT");
  if (rc)
    db_rollback(db);
  return rc;
}

void db_rollback(struct sqlite3 *db) {
  if (!sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int db_savepoint(struct sqlite3 *db) {
  return db_exec(db, "SAVEPOINT part");
}

int db_release(struct sqlite3 *db) {
  return db_exec(db, "RELEASE part");
}

void db_rollback_part(struct sqlite3 *db) {
  sqlite3_exec(db, "ROLLBACK TO part; RELEASE part", NULL, NULL, NULL);
}

/* Runs |sql| with |text| bound to ?1 (if not NULL) and stores the first
 * column of its one row in |*out| (0 when there is no row). */
static int one_int(struct sqlite3 *db, const char *sql, const char *text,
                   int *out) {
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

  if (rc != SQLITE_OK)
    return db_translate(rc);
  if (text)
    rc = sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(s);
  *out = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_translate(rc);
}

int db_user_version(struct sqlite3 *db, int *out) {
  return one_int(db, "PRAGMA user_version", NULL, out);
}

int db_has_table(struct sqlite3 *db, const char *name, bool *out) {
  int n = 0;
  int rc = one_int(db,
                   "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                   "AND name = ?1",
                   name, &n);
  *out = n > 0;
  return rc;
}

int db_table_empty(struct sqlite3 *db, const char *name, bool *out) {
  char sql[128];
  int n = 0, rc;

  if (snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 FROM \"%s\")",
               name) >= (int)sizeof(sql))
    return DS_EINVAL;
  rc = one_int(db, sql, NULL, &n);
  *out = n == 0;
  return rc;
}

int db_integrity_ok(struct sqlite3 *db, bool *out) {
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL);

  *out = false;
  if (rc != SQLITE_OK)
    return db_translate(rc);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    *out = !strcmp((const char *)sqlite3_column_text(s, 0), "ok");
  sqlite3_finalize(s);
  return rc == SQLITE_ROW ? 0 : db_translate(rc);
}
