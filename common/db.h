/* SPDX-License-Identifier: MIT
 * db.h -- the one place SQLite's result codes become DS_E* codes, and the
 * small connection helpers every store module shares (exec, the format
 * version, whether a table exists). Knows no table of its own. */
#ifndef DS_COMMON_DB_H
#define DS_COMMON_DB_H
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct sqlite3;
struct sqlite3_blob;
struct sqlite3_stmt;

/* Configures SQLite for the process; the first thing a program's main()
 * does, before any connection. Turns off SQLite's memory accounting, which
 * takes a process-wide mutex around every allocation of every connection
 * (the daemon's writer, checkpointer and dashboard alike) for statistics
 * nothing here reads. Returns 0, or DS_EUNAVAIL when SQLite was used
 * already (the accounting then stays on: slower, nothing else). */
DS_NODISCARD int db_init_process(void);

/* SQLite's |rc| (primary or extended) as a DS_E* code: OK, ROW and DONE
 * are 0; BUSY and LOCKED DS_EBUSY; NOMEM DS_ENOMEM; CONSTRAINT DS_EEXIST;
 * CORRUPT and NOTADB DS_ECORRUPT; anything else (I/O, full disk, a
 * statement that does not prepare) DS_EUNAVAIL. */
int db_translate(int rc);

/* Runs |sql| (one or more statements, no rows wanted). Returns 0 or the
 * translated error; sqlite3_errmsg(|db|) says why. */
DS_NODISCARD int db_exec(struct sqlite3 *db, const char *sql);

/* Prepares |sql| on |db| into |*out| (set only on success). A statement
 * that does not prepare is an error, never an empty result: the
 * translated code (DS_EUNAVAIL for a missing table). */
DS_NODISCARD int db_prepare(struct sqlite3 *db, const char *sql,
                            struct sqlite3_stmt **out);

/* Prepares the |n| statements |sql| into |out|, each kept for the
 * connection's life (SQLITE_PREPARE_PERSISTENT): 0, or the first failure's
 * translated code, the statements already prepared left in |out| for the
 * caller to finalize (the rest NULL). */
DS_NODISCARD int db_prepare_kept(struct sqlite3 *db, const char *const *sql,
                                 int n, struct sqlite3_stmt **out);

/* Steps |s|: 1 for a row, 0 when it is done, or the translated error. */
DS_NODISCARD int db_step(struct sqlite3_stmt *s);

/* Steps |s|, which returns no row, and resets it: 0 or the error. */
DS_NODISCARD int db_run(struct sqlite3_stmt *s);

/* Incremental blob I/O: opens a read-only handle on column |col| of row
 * |row| of |table| into |*blob|, or moves the handle already there (same
 * table and column) to |row|. A row that does not exist or holds no blob
 * there is DS_ENOENT; other failures are translated. On failure |*blob| is
 * closed and NULL. */
DS_NODISCARD int db_blob_open(struct sqlite3 *db, const char *table,
                              const char *col, int64_t row,
                              struct sqlite3_blob **blob);
/* Reads |n| bytes at |off| of |blob| into |out|: 0 or the translated
 * error. */
DS_NODISCARD int db_blob_read(struct sqlite3_blob *blob, void *out, int n,
                              int off);

/* BEGIN IMMEDIATE, COMMIT (rolled back if it fails), ROLLBACK (if a
 * transaction is open). DS_EBUSY past the busy timeout, DS_EUNAVAIL when
 * storage fails. */
DS_NODISCARD int db_begin(struct sqlite3 *db);
DS_NODISCARD int db_commit(struct sqlite3 *db);
void db_rollback(struct sqlite3 *db);
/* A part of the open transaction that can be undone alone: SAVEPOINT,
 * RELEASE, ROLLBACK TO (which also releases it). Parts do not nest. */
DS_NODISCARD int db_savepoint(struct sqlite3 *db);
DS_NODISCARD int db_release(struct sqlite3 *db);
void db_rollback_part(struct sqlite3 *db);

/* The file's format (PRAGMA user_version) into |*out|. */
DS_NODISCARD int db_user_version(struct sqlite3 *db, int *out);

/* Whether table |name| exists in the main schema, into |*out|. */
DS_NODISCARD int db_has_table(struct sqlite3 *db, const char *name, bool *out);

/* Whether table |name| holds no row, into |*out|. |name| is one of the
 * store's own table names, never input. */
DS_NODISCARD int db_table_empty(struct sqlite3 *db, const char *name,
                                bool *out);
/* Whether SQLite's integrity check passes (PRAGMA integrity_check says
 * "ok"), into |*out|. */
DS_NODISCARD int db_integrity_ok(struct sqlite3 *db, bool *out);
#endif
