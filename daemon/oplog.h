/* SPDX-License-Identifier: MIT
 * oplog.h -- reading merged ops back out of the sync log. The oplog table
 * indexes every merged op (its position, node, commune and record) and
 * points at its bytes inside the logged request body, so each op is stored
 * once: as the bytes its device signed. */
#ifndef DS_DAEMON_OPLOG_H
#define DS_DAEMON_OPLOG_H
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/id.h"

struct sqlite3;
struct sqlite3_blob;

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
 * entry or range), DS_ENOMEM, DS_EUNAVAIL. */
DS_NODISCARD int opread_raw(struct opread *r, int64_t entry, uint32_t off,
                            uint32_t len);
/* Appends that op in its response form, carrying |node|, to |out|. */
DS_NODISCARD int opread_wire(struct opread *r, int64_t entry, uint32_t off,
                             uint32_t len, const uint8_t node[ID_LEN],
                             struct buf *out);
#endif
