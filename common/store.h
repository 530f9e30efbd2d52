/* SPDX-License-Identifier: MIT
 * store.h -- a node's durable state in SQLite (WAL, synchronous=FULL):
 * records with their merge state (views show each field's winner), the
 * conflict list and the search index in every store; a device store adds
 * the outbox and inbox, a district store the district's tables. Knows
 * nothing about HTTP or the wire format. */
#ifndef DS_COMMON_STORE_H
#define DS_COMMON_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/merge.h"
#include "common/op.h"

struct store;
struct sqlite3;

#define STORE_CREATE 1u /* create the file if it does not exist */
#define STORE_EXCL 2u   /* fail with DS_EEXIST if it exists */
/* Create the district's tables (communes, tokens, nodes, sync log, op log,
 * quarantine) rather than a device's (outbox, inbox). */
#define STORE_DISTRICT 4u

/* Opens (creating if allowed) the database at |path| and upgrades a store
 * of an earlier format in place, keeping a copy of the old file beside it
 * (migrate.h). On success stores a new handle in |*out|; on failure |*out|
 * is untouched and |errbuf| (may be NULL) says why. Returns 0, DS_ENOENT
 * (no such store and STORE_CREATE not given), DS_EEXIST, DS_EVERSION (a
 * format newer than this program's), DS_EIO, DS_ENOMEM. */
DS_NODISCARD int store_open(struct store **out, const char *path,
                            unsigned flags, char *errbuf);
/* Closes |st| and frees it. NULL is a no-op. */
void store_close(struct store *st);
/* The connection, for read-only queries in the programs' report and list
 * code. Writes go through this module. */
struct sqlite3 *store_sqlite(struct store *st);
/* Whether |st| has the device's tables (outbox, inbox) or the
 * district's (communes, nodes, logs). */
bool store_is_device(const struct store *st);
bool store_is_district(const struct store *st);
/* The last SQLite error message of |st|. */
const char *store_errmsg(struct store *st);

/* How long a write waits for another connection's lock before giving up
 * with DS_EBUSY (default 10 s). */
void store_set_busy_timeout(struct store *st, int ms);

/* SQLite's page cache for this connection (default 2 MiB, which keeps a
 * device small; the daemon's writer takes more). */
void store_set_cache_kib(struct store *st, int kib);

/* db_begin, db_commit, db_rollback, db_savepoint, db_release and
 * db_rollback_part (common/db.h) on |st|'s connection; each also drops
 * what store_check_op had loaded when the transaction or part ends
 * without being kept. */
DS_NODISCARD int store_begin(struct store *st);
DS_NODISCARD int store_commit(struct store *st);
void store_rollback(struct store *st);
DS_NODISCARD int store_savepoint(struct store *st);
DS_NODISCARD int store_release(struct store *st);
void store_rollback_part(struct store *st);

/* Key/value metadata. Getters return DS_ENOENT when the key is absent. */
DS_NODISCARD int store_meta_get_int(struct store *st, const char *key,
                                    int64_t *out);
DS_NODISCARD int store_meta_set_int(struct store *st, const char *key,
                                    int64_t v);
/* Replaces |out|'s contents with the value, NUL-terminated past its length. */
DS_NODISCARD int store_meta_get(struct store *st, const char *key,
                                struct buf *out);
DS_NODISCARD int store_meta_set(struct store *st, const char *key,
                                const void *p, size_t n);

/* The node's clock: a tick for a local event (persisted), and adopting a
 * clock received from a peer. */
DS_NODISCARD int store_hlc_tick(struct store *st, uint64_t *out);
DS_NODISCARD int store_hlc_adopt(struct store *st, uint64_t remote);
DS_NODISCARD int store_hlc_get(struct store *st, uint64_t *out);
/* Sets the clock outright (a restamp, the daemon's merge clock). */
DS_NODISCARD int store_hlc_set(struct store *st, uint64_t v);

/* Merges |op| into the record it names (creating the row if new). Must run
 * inside a transaction. Returns 0, DS_EBADOP (the rid belongs to another
 * entity), DS_ECORRUPT, DS_EUNAVAIL, DS_ENOMEM. */
DS_NODISCARD int store_apply(struct store *st, const struct op *op,
                             struct mresult *res);

/* Loads the merge state of |rid| into |ms| (value bytes kept in |blob|,
 * which must outlive |ms|'s use). DS_ENOENT when the record is unknown. */
DS_NODISCARD int store_load(struct store *st, const uint8_t rid[ID_LEN],
                            struct mstate *ms, struct buf *blob);

/* The stateful part of validating an incoming op (DESIGN §3, §5, §6): the
 * record's entity, a survey changed after creation, the commune fixed at
 * creation, required fields on creation, and scope: with |scope| non-NULL
 * only records of that commune may be created or changed; with
 * |known_communes| the created record's commune must be in the commune
 * table. On success |commune| (SCHEMA_SLUG_MAX + 1 bytes, may be NULL)
 * holds the record's commune. Returns 0, DS_EBADOP or DS_EFORBIDDEN with
 * |errbuf| saying why. */
DS_NODISCARD int store_check_op(struct store *st, const struct op *op,
                                const char *scope, bool known_communes,
                                char *commune, char *errbuf);

/* Resolves an id or an id prefix of 8+ hex digits to the one record it
 * names, of entity |ent| (or any, with -1). DS_EINVAL (not an id), DS_ENOENT,
 * DS_EAMBIGUOUS (|errbuf| lists candidates). */
DS_NODISCARD int store_resolve(struct store *st, int ent, const char *prefix,
                               uint8_t rid[ID_LEN], char *errbuf);

/* The digest of DESIGN §4, as 64 hex digits and a NUL, over every record or
 * those of |commune| (may be NULL). */
DS_NODISCARD int store_digest(struct store *st, const char *commune,
                              char hex[65]);

/* Brings the search index up to date with the petitions changed since the
 * last refresh (indexing is deferred off the merge path). Runs its own
 * transaction. */
DS_NODISCARD int store_search_refresh(struct store *st);
/* As store_search_refresh, in slices: one transaction indexing up to |max|
 * records; |*done| says whether the index is complete. */
DS_NODISCARD int store_search_refresh_some(struct store *st, int max,
                                           bool *done);

/* Removes record |rid|'s merged state (row, conflicts, search entry) so it
 * can be rebuilt by applying its ops again. Inside a transaction. */
DS_NODISCARD int store_forget(struct store *st, const uint8_t rid[ID_LEN]);

/* Client outbox (DS_EINVAL on a district store). */
DS_NODISCARD int store_outbox_add(struct store *st, uint64_t seq, uint64_t hlc,
                                  const uint8_t rid[ID_LEN], const void *op,
                                  size_t len);
/* Marks op |seq| rejected by the server with |code| and |message|. */
DS_NODISCARD int store_outbox_reject(struct store *st, uint64_t seq,
                                     const char *code, const char *message);
/* The next local seq (1 for an empty outbox). */
DS_NODISCARD int store_next_seq(struct store *st, uint64_t *out);
#endif
