/* SPDX-License-Identifier: MIT
 * oplog.h -- the district's op log and quarantine: every merged op in
 * merge order, read back for pulls, `log show` and a record's history, and
 * every op refused.
 *
 * An op is stored once, as the bytes its device signed inside the logged
 * request body. The oplog table holds one row per request and commune: the
 * log entry, the node, the commune, and where each of its n ops lies in the
 * body. Its ops hold cursor positions pos - n + 1 .. pos (DESIGN §6:
 * positions count ops, so a page still honours a limit in ops and a cursor
 * may fall inside a row). A row also holds its ops' record ids, so a
 * record's history reads only its commune's rows. */
#ifndef DS_DAEMON_OPLOG_H
#define DS_DAEMON_OPLOG_H
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/id.h"
#include "common/schema.h"

struct sqlite3;
struct sqlite3_blob;
struct sqlite3_stmt;
struct oplog;

/* A reader keeps the last log body it opened, so consecutive ops of one
 * request cost one lookup. Zero-initialise, then opread_init. */
struct opread {
  struct sqlite3 *db;
  struct sqlite3_blob *blob;
  int64_t entry;
  struct buf raw;
};

void opread_init(struct opread *r, struct sqlite3 *db);
/* Closes the open body (call before the transaction ends); the reader
 * stays usable and keeps its buffer. */
void opread_done(struct opread *r);
/* opread_done, and frees the buffer. */
void opread_cleanup(struct opread *r);
/* Replaces |raw| with the bytes of the op at |off|, |len| in log entry
 * |entry|'s body (a map without "node"). Returns 0, DS_ECORRUPT (no such
 * entry or range), DS_ENOMEM, or a storage error (db.h's translation). */
DS_NODISCARD int opread_raw(struct opread *r, int64_t entry, uint32_t off,
                            uint32_t len);
/* Appends that op in its response form, carrying |node|, to |out|. */
DS_NODISCARD int opread_wire(struct opread *r, int64_t entry, uint32_t off,
                             uint32_t len, const uint8_t node[ID_LEN],
                             struct buf *out);

/* The writer's statements on the district store |db| (which it borrows).
 * Returns 0, DS_ENOMEM, or the translated prepare error. */
DS_NODISCARD int oplog_open(struct oplog **out, struct sqlite3 *db);
void oplog_close(struct oplog *ol);

/* One request's merged ops: oplog_batch_reset, oplog_batch_add for each op
 * merged (its commune, record and bytes in the request body), then
 * oplog_batch_write once the log entry is known to hold that body. */
void oplog_batch_reset(struct oplog *ol);
DS_NODISCARD int oplog_batch_add(struct oplog *ol, const char *commune,
                                 const uint8_t rid[ID_LEN], uint32_t off,
                                 uint32_t len);
/* Writes the batch: a row per commune, positions after the last one. */
DS_NODISCARD int oplog_batch_write(struct oplog *ol, int64_t entry,
                                   const uint8_t node[ID_LEN]);

/* Keeps op |seq| of |node|'s request in log entry |entry|, refused with
 * wire error |code| and |message|; |raw| is the op as received. */
DS_NODISCARD int oplog_quarantine(struct oplog *ol, int64_t entry,
                                  const uint8_t node[ID_LEN], uint64_t seq,
                                  const char *code, const char *message,
                                  const struct buf *raw);

/* A pull page (DESIGN §6). */
struct oplog_page {
  uint32_t nops;
  bool more;            /* more ops wait past |cursor| */
  uint64_t cursor;      /* the device's next cursor */
  bool has_cursor_hash; /* the hash of the log entry at |cursor| */
  uint8_t cursor_hash[32];
  /* The request's cursor with its hash is not in this log, so the page
   * starts over from 0 (said in the signed answer, DESIGN §11). */
  bool head_lost;
};

/* Appends to |ops|, in their response form, at most |limit| ops after
 * position |cursor| that nodes other than |node| wrote, of commune
 * |commune| (NULL: every commune). A cursor the log does not hold with
 * |cursor_hash| (NULL: none given; a restore from a backup) starts over
 * from 0. */
DS_NODISCARD int oplog_pull(struct oplog *ol, const uint8_t node[ID_LEN],
                            const char *commune, uint64_t cursor,
                            const uint8_t *cursor_hash, uint32_t limit,
                            struct buf *ops, struct oplog_page *page);

/* Reading the log back, op by op in position order. */
struct oplog_filter {
  const uint8_t *node_lo, *node_hi; /* a node id range, or NULL */
  const char *commune;              /* the op's commune, or NULL */
  const uint8_t *rid_lo, *rid_hi;   /* a record id range, or NULL */
  int64_t since_ms, until_ms;       /* received, -1 when not given */
};

/* One op; the pointers are borrowed until the next oplog_iter_next. */
struct oplog_entry {
  int64_t pos, entry, received_ms;
  const uint8_t *node;
  const char *commune;      /* the record's */
  const char *label;        /* the node's, "" if none */
  const char *node_commune; /* the node's, "" if unknown */
  const uint8_t *op;        /* the op's bytes (a map without "node") */
  size_t len;
};

struct oplog_iter {
  struct sqlite3_stmt *s;
  struct opread rd;
  const uint8_t *spans, *rids;
  bool by_rid;
  uint8_t rid_lo[ID_LEN], rid_hi[ID_LEN];
  int64_t first, entry, received_ms;
  uint32_t k, end;
  uint8_t node[ID_LEN];
  char commune[SCHEMA_SLUG_MAX + 1], node_commune[SCHEMA_SLUG_MAX + 1];
  struct buf label;
};

/* Opens a scan of the ops |f| selects. Returns 0 or the translated
 * error. */
DS_NODISCARD int oplog_iter_open(struct oplog_iter *it, struct sqlite3 *db,
                                 const struct oplog_filter *f);
/* 1 and the next op in |e|, 0 at the end, or an error (DS_ECORRUPT for an
 * op whose bytes are not where its row says). */
DS_NODISCARD int oplog_iter_next(struct oplog_iter *it, struct oplog_entry *e);
void oplog_iter_close(struct oplog_iter *it);
/* Record |rid|'s history: its ops, read from its commune's rows only. */
DS_NODISCARD int oplog_history_open(struct oplog_iter *it, struct sqlite3 *db,
                                    const uint8_t rid[ID_LEN]);

/* One quarantined op, as `quarantine list` shows it. */
struct oplog_quarantined {
  int64_t id, seq, received_ms; /* received_ms 0 when its entry is gone */
  const char *node_hex;         /* lower-case hex */
  const char *commune;          /* the node's, "?" if unknown */
  const char *error, *message;
};
/* Calls |cb| for each quarantined op in order; stops at its first
 * non-zero return and returns it. DS_EIO when the table cannot be read. */
DS_NODISCARD int
oplog_quarantine_each(struct sqlite3 *db,
                      int (*cb)(void *arg, const struct oplog_quarantined *q),
                      void *arg);
#endif
