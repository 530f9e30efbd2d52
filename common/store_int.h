/* SPDX-License-Identifier: MIT
 * store_int.h -- common/-private access to a store's connection for the
 * modules that own some of its tables (device.c); never included from
 * outside common/. */
#ifndef DS_COMMON_STORE_INT_H
#define DS_COMMON_STORE_INT_H
#include <stdint.h>

#include "common/err.h"

struct store;
struct sqlite3;
struct sqlite3_stmt;

/* Statements prepared once per store and kept (SQLITE_PREPARE_PERSISTENT)
 * for the table modules' hot paths. */
enum store_slot {
  STORE_SLOT_INBOX_ADD,
  STORE_SLOT_OUTBOX_ADD,
  STORE_SLOT_OUTBOX_REJECT,
  STORE_SLOT_NEXT_SEQ,
  STORE_SLOT_DIGEST,
  STORE_SLOT_RESOLVE,
  STORE_SLOT_COUNT
};

/* The statement of |slot|, preparing |sql| on first use. The caller binds,
 * steps and resets it (db_run does). Returns 0 or the translated prepare
 * error. */
DS_NODISCARD int store__cached(struct store *st, enum store_slot slot,
                               const char *sql, struct sqlite3_stmt **out);
/* The bits (1 << field) of the petition's fields the search index holds:
 * citizen, content, hamlet. */
uint32_t store__search_fields(void);
/* Indexes the petitions created since the last refresh (row ids above
 * meta 'search_hw') and those marked in search_dirty (changed search
 * text), inside the caller's transaction. */
DS_NODISCARD int store__search_fill(struct sqlite3 *db);
/* Forgets what store_check_op last loaded (a record about to be
 * rebuilt). */
void store__forget_loaded(struct store *st);
#endif
