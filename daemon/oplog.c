/* SPDX-License-Identifier: MIT
 * oplog.c -- ops read from the logged bodies through SQLite's incremental
 * blob I/O, which seeks inside a body without reading it whole. */
#include "daemon/oplog.h"

#include <sqlite3.h>

#include "proto/codec.h"

void opread_init(struct opread *r, struct sqlite3 *db) {
  r->db = db;
  r->blob = NULL;
  r->entry = 0;
  buf_init(&r->raw, 0);
}

void opread_done(struct opread *r) {
  if (r->blob)
    sqlite3_blob_close(r->blob);
  r->blob = NULL;
  r->entry = 0;
}

void opread_cleanup(struct opread *r) {
  opread_done(r);
  buf_cleanup(&r->raw);
}

int opread_raw(struct opread *r, int64_t entry, uint32_t off, uint32_t len) {
  int rc;

  if (!r->blob || r->entry != entry) {
    rc = r->blob ? sqlite3_blob_reopen(r->blob, entry)
                 : sqlite3_blob_open(r->db, "main", "synclog", "body", entry, 0,
                                     &r->blob);
    if (rc) {
      opread_done(r);
      return rc == SQLITE_ERROR ? DS_ECORRUPT : DS_EUNAVAIL;
    }
    r->entry = entry;
  }
  if ((uint64_t)off + len > (uint64_t)sqlite3_blob_bytes(r->blob))
    return DS_ECORRUPT;
  buf_reset(&r->raw);
  rc = buf_reserve(&r->raw, len);
  if (rc)
    return rc;
  if (sqlite3_blob_read(r->blob, r->raw.data, (int)len, (int)off))
    return DS_EUNAVAIL;
  r->raw.len = len;
  return 0;
}

int opread_wire(struct opread *r, int64_t entry, uint32_t off, uint32_t len,
                const uint8_t node[ID_LEN], struct buf *out) {
  int rc = opread_raw(r, entry, off, len);
  if (!rc)
    rc = proto_op_with_node(out, r->raw.data, r->raw.len, node) ? DS_ECORRUPT
                                                                : 0;
  return rc;
}
