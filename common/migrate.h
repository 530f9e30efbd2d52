/* SPDX-License-Identifier: MIT
 * migrate.h -- the store's file format (PRAGMA user_version): the tables a
 * new store is created with, and the steps that bring a store of an
 * earlier format up to date in place (DESIGN §14). Internal to common/:
 * store.c calls it once per open. */
#ifndef DS_COMMON_MIGRATE_H
#define DS_COMMON_MIGRATE_H
#include <stdbool.h>

#include "common/err.h"

struct sqlite3;

/* 3: the format before this one: every store held both programs' tables.
 * 4: a device store holds the device's tables (outbox, inbox) and a
 * district store the district's (communes, tokens, nodes, sync log, op log,
 * quarantine); the records, conflicts, search index and meta are common.
 * 5: the district's oplog a row per request and commune (daemon/oplog.h),
 * with oprid for a record's history; the search index holds the hamlet.
 */
#define STORE_FORMAT 5
/* The oldest format that is upgraded; older ones never left development. */
#define STORE_FORMAT_OLDEST 3

/* Brings the store open on |db| to STORE_FORMAT. A new (empty) one gets
 * the common tables and the district's (|district|) or a device's. One of
 * an earlier format is first copied, consistently, to "|path|.v<format>"
 * (0600; a copy left by an earlier attempt is replaced), then upgraded in
 * one transaction. |path| is the store's plain path, or ":memory:" (no
 * copy). Returns 0; DS_EVERSION (a newer format, or one older than
 * STORE_FORMAT_OLDEST); DS_EIO, DS_EBUSY, DS_EUNAVAIL, DS_ENOMEM, with
 * |errbuf| (may be NULL) saying why. */
DS_NODISCARD int store__migrate(struct sqlite3 *db, const char *path,
                                bool district, char *errbuf);
#endif
