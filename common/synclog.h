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
/* The same on any database with synclog and node tables (an export). */
typedef struct sqlite3 sqlite3;
DS_NODISCARD int synclog_verify_db(sqlite3 *db, int64_t *entries, int64_t *bad,
                                   char *errbuf);
/* The last entry: its seq and chain hash as 64 hex digits, or 0 and "-"
 * for an empty log. */
DS_NODISCARD int synclog_head(struct store *st, int64_t *seq, char hash[65]);
/* When the district received its latest entry (Unix ms), 0 for an empty
 * log. */
DS_NODISCARD int synclog_last_received(struct store *st, int64_t *ms);
#endif
