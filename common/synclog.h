/* SPDX-License-Identifier: MIT
 * synclog.h -- the daemon's append-only sync log (DESIGN §7): every accepted
 * request body byte for byte, with its node, signature, receive time and
 * sequence number, chained by hash = BLAKE2b-256(prev_hash || entry) where
 * entry = seq (u64 BE) || node (16) || signature (64) || received_ms (u64 BE)
 * || BLAKE2b-256(body). The first entry's prev_hash is 32 zero bytes. The
 * body enters through its own hash so that the daemon can hash a body on
 * another thread before the entry's place in the chain is known. */
#ifndef DS_COMMON_SYNCLOG_H
#define DS_COMMON_SYNCLOG_H
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/id.h"

struct store;

#define SYNCLOG_HASH_LEN 32
#define SYNCLOG_SIG_LEN 64

/* BLAKE2b-256 of a body, as the chain takes it. */
void synclog_body_hash(const void *body, size_t len,
                       uint8_t out[SYNCLOG_HASH_LEN]);
/* Appends an entry inside the caller's transaction; its sequence number in
 * |*seq| and chain hash in |hash|. |body_hash| is synclog_body_hash of the
 * body, or NULL to have it computed here. */
DS_NODISCARD int synclog_append(struct store *st, const uint8_t node[ID_LEN],
                                const uint8_t sig[SYNCLOG_SIG_LEN],
                                uint64_t received_ms, const void *body,
                                size_t len, const uint8_t *body_hash,
                                int64_t *seq, uint8_t hash[SYNCLOG_HASH_LEN]);
/* The chain hash of entry |seq|; DS_ENOENT if there is none. */
DS_NODISCARD int synclog_hash_at(struct store *st, int64_t seq,
                                 uint8_t hash[SYNCLOG_HASH_LEN]);
/* Computes one chain link. */
void synclog_link(const uint8_t prev[SYNCLOG_HASH_LEN], int64_t seq,
                  const uint8_t node[ID_LEN],
                  const uint8_t sig[SYNCLOG_SIG_LEN], uint64_t received_ms,
                  const uint8_t body_hash[SYNCLOG_HASH_LEN],
                  uint8_t out[SYNCLOG_HASH_LEN]);
/* Walks the whole log checking the chain and every signature against the
 * node's enrolled key. Returns 0 and the entry count in |*entries|, or
 * DS_ECORRUPT with |*bad| the first bad entry and |errbuf| saying what is
 * wrong with it. */
DS_NODISCARD int synclog_verify(struct store *st, int64_t *entries,
                                int64_t *bad, char *errbuf);
/* The same on the synclog and node tables of schema |schema| of |db|
 * ("main", or an export attached to it; a name of the program's). */
typedef struct sqlite3 sqlite3;
DS_NODISCARD int synclog_verify_in(sqlite3 *db, const char *schema,
                                   int64_t *entries, int64_t *bad,
                                   char *errbuf);

/* The log of another file attached to |db| as schema |schema| (an export,
 * or the store a replay reads; "main" for |db|'s own). Schema names are
 * the program's, never input. Each returns 0 or a translated code. */

/* Copies the whole log, in order, into a new table of schema |to|. */
DS_NODISCARD int synclog_copy_to(sqlite3 *db, const char *to);
/* The number of entries received at or before |until_ms| (-1: all). */
DS_NODISCARD int synclog_count_in(sqlite3 *db, const char *schema,
                                  int64_t until_ms, int64_t *n);
/* The last entry's seq into |*last|, and the chain hash of entry |seq|
 * (0: the last) into |hash|, zeros if there is no such entry. */
DS_NODISCARD int synclog_head_in(sqlite3 *db, const char *schema, int64_t seq,
                                 int64_t *last, uint8_t hash[SYNCLOG_HASH_LEN]);

/* The entries received at or before |until_ms| (-1: all) in order, each
 * with its node's key in that schema's node table. */
struct synclog_scan {
  struct sqlite3_stmt *s;
};
struct synclog_row {
  int64_t seq;
  const uint8_t *node, *sig; /* ID_LEN, SYNCLOG_SIG_LEN bytes */
  uint64_t received_ms;
  const uint8_t *body; /* |len| bytes; may be NULL when |len| is 0 */
  size_t len;
  const uint8_t *pk; /* the node's 32-byte key, or NULL: none known */
};
DS_NODISCARD int synclog_scan_open(struct synclog_scan *sc, sqlite3 *db,
                                   const char *schema, int64_t until_ms);
/* 1 and the next entry in |r| (valid until the next call), 0 at the end,
 * DS_ECORRUPT for an entry whose node or signature is not of its length,
 * or a translated code. */
DS_NODISCARD int synclog_scan_next(struct synclog_scan *sc,
                                   struct synclog_row *r);
void synclog_scan_close(struct synclog_scan *sc);
/* The last entry: its seq and chain hash as 64 hex digits, or 0 and "-"
 * for an empty log. */
DS_NODISCARD int synclog_head(struct store *st, int64_t *seq, char hash[65]);
/* When the district received its latest entry (Unix ms), 0 for an empty
 * log. */
DS_NODISCARD int synclog_last_received(struct store *st, int64_t *ms);
#endif
