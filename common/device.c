/* SPDX-License-Identifier: MIT
 * device.c -- the outbox and inbox rows of a device store. */
#include "common/device.h"

#include <assert.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "common/db.h"
#include "common/store.h"
#include "common/store_int.h"

struct device_iter {
  sqlite3_stmt *s;
  enum device_scan scan;
};

/* Columns: seq, hlc, rid, op, pulled. */
static const char *const scan_sql[] = {
    [DEVICE_OUTBOX_AFTER] =
        "SELECT seq, hlc, rid, op, 0 FROM outbox WHERE seq > ?1 ORDER BY seq "
        "LIMIT ?2",
    [DEVICE_RIDS_AFTER] = "SELECT DISTINCT 0, 0, rid, NULL, 0 FROM outbox "
                          "WHERE seq > ?1",
    [DEVICE_OPS_OF_RIDS_AFTER] =
        "SELECT seq, hlc, rid, op, 0 FROM outbox WHERE rid IN (SELECT rid "
        "FROM outbox WHERE seq > ?1) UNION ALL SELECT seq, hlc, rid, op, 1 "
        "FROM inbox WHERE rid IN (SELECT rid FROM outbox WHERE seq > ?1)",
    [DEVICE_HISTORY] =
        "SELECT seq, hlc, rid, op, 0 FROM outbox WHERE rid = ?3 UNION ALL "
        "SELECT seq, hlc, rid, op, 1 FROM inbox WHERE rid = ?3 ORDER BY 2",
};

/* Prepares |sql| on |st|'s connection; a district store has no outbox, and
 * its prepare fails: DS_EINVAL rather than a storage error. */
static int prepare(struct store *st, const char *sql, sqlite3_stmt **out) {
  int rc = db_prepare(store_sqlite(st), sql, out);
  return rc == DS_EUNAVAIL && !store_is_device(st) ? DS_EINVAL : rc;
}

/* A statement of the device's tables kept with the store (these run once
 * per op); a district store has neither table. */
static int kept_stmt(struct store *st, enum store_slot slot, const char *sql,
                     sqlite3_stmt **out) {
  if (!store_is_device(st))
    return DS_EINVAL;
  return store__cached(st, slot, sql, out);
}

int device_iter_open(struct store *st, enum device_scan scan, uint64_t after,
                     int64_t limit, const uint8_t *rid,
                     struct device_iter **out) {
  struct device_iter *it;
  int rc;

  if (!st || !out || (unsigned)scan > DEVICE_HISTORY ||
      (scan == DEVICE_HISTORY && !rid))
    return DS_EINVAL;
  it = ds_calloc(1, sizeof(*it));
  if (!it)
    return DS_ENOMEM;
  it->scan = scan;
  rc = prepare(st, scan_sql[scan], &it->s);
  if (rc) {
    ds_free(it);
    return rc;
  }
  if (scan == DEVICE_HISTORY)
    sqlite3_bind_blob(it->s, 3, rid, ID_LEN, SQLITE_STATIC);
  else
    sqlite3_bind_int64(it->s, 1, (int64_t)after);
  if (scan == DEVICE_OUTBOX_AFTER)
    sqlite3_bind_int64(it->s, 2, limit > 0 ? limit : -1);
  *out = it;
  return 0;
}

int device_iter_next(struct device_iter *it, struct device_row *row) {
  int rc = db_step(it->s);
  if (rc != 1)
    return rc;
  row->seq = (uint64_t)sqlite3_column_int64(it->s, 0);
  row->hlc = (uint64_t)sqlite3_column_int64(it->s, 1);
  row->rid = sqlite3_column_bytes(it->s, 2) == ID_LEN
                 ? sqlite3_column_blob(it->s, 2)
                 : NULL;
  row->op = sqlite3_column_blob(it->s, 3);
  row->len = (size_t)sqlite3_column_bytes(it->s, 3);
  row->pulled = sqlite3_column_int(it->s, 4) != 0;
  assert(it->scan == DEVICE_RIDS_AFTER || row->op || row->len == 0);
  return 1;
}

void device_iter_close(struct device_iter *it) {
  if (!it)
    return;
  sqlite3_finalize(it->s);
  ds_free(it);
}

int device_outbox_max_hlc(struct store *st, uint64_t upto, uint64_t *out) {
  sqlite3_stmt *s;
  int rc = prepare(
      st, "SELECT coalesce(max(hlc), 0) FROM outbox WHERE seq <= ?1", &s);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, (int64_t)upto);
  rc = db_step(s);
  if (rc == 1) {
    *out = (uint64_t)sqlite3_column_int64(s, 0);
    rc = 0;
  } else if (rc == 0) {
    rc = DS_EUNAVAIL; /* an aggregate always has its row */
  }
  sqlite3_finalize(s);
  return rc;
}

int device_outbox_restamp(struct store *st, uint64_t seq, uint64_t hlc,
                          const void *op, size_t len) {
  sqlite3_stmt *s;
  int rc =
      prepare(st, "UPDATE outbox SET hlc = ?2, op = ?3 WHERE seq = ?1", &s);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, (int64_t)seq);
  sqlite3_bind_int64(s, 2, (int64_t)hlc);
  sqlite3_bind_blob(s, 3, op, (int)len, SQLITE_STATIC);
  rc = db_run(s);
  sqlite3_finalize(s);
  return rc;
}

int device_outbox_counts(struct store *st, uint64_t acked,
                         struct device_counts *out) {
  sqlite3_stmt *s;
  int rc = prepare(st,
                   "SELECT count(*), count(*) FILTER (WHERE error IS NULL AND "
                   "seq > ?1), count(*) FILTER (WHERE error IS NOT NULL) "
                   "FROM outbox",
                   &s);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, (int64_t)acked);
  rc = db_step(s);
  if (rc == 1) {
    out->total = sqlite3_column_int64(s, 0);
    out->queued = sqlite3_column_int64(s, 1);
    out->rejected = sqlite3_column_int64(s, 2);
    rc = 0;
  } else if (rc == 0) {
    rc = DS_EUNAVAIL; /* an aggregate always has its row */
  }
  sqlite3_finalize(s);
  return rc;
}

int device_inbox_last(struct store *st, int64_t *out) {
  sqlite3_stmt *s;
  int rc = prepare(st, "SELECT coalesce(max(id), 0) FROM inbox", &s);
  if (rc)
    return rc;
  rc = db_step(s);
  if (rc == 1) {
    *out = sqlite3_column_int64(s, 0);
    rc = 0;
  } else if (rc == 0) {
    rc = DS_EUNAVAIL;
  }
  sqlite3_finalize(s);
  return rc;
}

/* A record's title for `status`: a petition's content, a visit's
 * household, a meeting's day and hamlet, a survey's day and service. */
#define TITLE_OF(o)                                                   \
  "SELECT " o ".rid, r.ent, coalesce(p.content, v.household,"         \
  " m.held_on || ' ' || coalesce(m.hamlet, ''), s.taken_on || ' ' ||" \
  " coalesce(s.service, ''), ''),"
#define JOIN_TITLE(o)                          \
  " JOIN rec r ON r.rid = " o ".rid"           \
  " LEFT JOIN petition p ON p.rid = " o ".rid" \
  " LEFT JOIN visit v ON v.rid = " o ".rid"    \
  " LEFT JOIN meeting m ON m.rid = " o ".rid"  \
  " LEFT JOIN survey s ON s.rid = " o ".rid"
/* Columns: rid, ent, title, error, message. */
static const char *const rec_sql[] = {
    [DEVICE_REC_UNSYNCED] = TITLE_OF("o") " '', '' FROM outbox o" JOIN_TITLE(
        "o") " WHERE o.error IS NULL AND o.seq > ?1"
             " GROUP BY o.rid ORDER BY min(o.seq)",
    [DEVICE_REC_REJECTED] =
        TITLE_OF("o") " coalesce(max(o.error), ''),"
                      " coalesce(max(o.message), '') FROM outbox o" JOIN_TITLE(
                          "o") " WHERE o.error IS NOT NULL"
                               " GROUP BY o.rid ORDER BY min(o.seq)",
    [DEVICE_REC_PULLED] = TITLE_OF("i") " '', '' FROM inbox i" JOIN_TITLE(
        "i") " WHERE i.id > ?1 GROUP BY i.rid ORDER BY min(i.id)",
};

struct device_rec_iter {
  sqlite3_stmt *s;
};

int device_rec_open(struct store *st, enum device_rec_scan scan, int64_t after,
                    struct device_rec_iter **out) {
  struct device_rec_iter *it;
  int rc;

  if (!st || !out || (unsigned)scan > DEVICE_REC_PULLED)
    return DS_EINVAL;
  it = ds_calloc(1, sizeof(*it));
  if (!it)
    return DS_ENOMEM;
  rc = prepare(st, rec_sql[scan], &it->s);
  if (rc) {
    ds_free(it);
    return rc;
  }
  if (scan != DEVICE_REC_REJECTED)
    sqlite3_bind_int64(it->s, 1, after);
  *out = it;
  return 0;
}

static const char *text_col(sqlite3_stmt *s, int col) {
  const char *t = (const char *)sqlite3_column_text(s, col);
  return t ? t : "";
}

int device_rec_next(struct device_rec_iter *it, struct device_rec *r) {
  int rc = db_step(it->s);
  if (rc != 1)
    return rc;
  if (sqlite3_column_bytes(it->s, 0) != ID_LEN)
    return DS_ECORRUPT;
  r->rid = sqlite3_column_blob(it->s, 0);
  r->ent = sqlite3_column_int(it->s, 1);
  r->title = text_col(it->s, 2);
  r->error = text_col(it->s, 3);
  r->message = text_col(it->s, 4);
  return 1;
}

void device_rec_close(struct device_rec_iter *it) {
  if (!it)
    return;
  sqlite3_finalize(it->s);
  ds_free(it);
}

int device_inbox_add(struct store *st, const uint8_t rid[ID_LEN], uint64_t hlc,
                     const uint8_t node[ID_LEN], uint64_t seq, const void *op,
                     size_t len) {
  sqlite3_stmt *s;
  int rc = kept_stmt(st, STORE_SLOT_INBOX_ADD,
                     "INSERT OR IGNORE INTO inbox(rid, hlc, node, seq, op) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
                     &s);
  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, rid, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, (int64_t)hlc);
  sqlite3_bind_blob(s, 3, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, (int64_t)seq);
  sqlite3_bind_blob(s, 5, op, (int)len, SQLITE_STATIC);
  return db_run(s);
}

int store_outbox_add(struct store *st, uint64_t seq, uint64_t hlc,
                     const uint8_t rid[ID_LEN], const void *op, size_t len) {
  sqlite3_stmt *s;
  int rc = kept_stmt(st, STORE_SLOT_OUTBOX_ADD,
                     "INSERT INTO outbox(seq, hlc, rid, op) VALUES (?1, ?2, "
                     "?3, ?4)",
                     &s);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, (int64_t)seq);
  sqlite3_bind_int64(s, 2, (int64_t)hlc);
  sqlite3_bind_blob(s, 3, rid, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 4, op, (int)len, SQLITE_STATIC);
  return db_run(s);
}

int store_outbox_reject(struct store *st, uint64_t seq, const char *code,
                        const char *message) {
  sqlite3_stmt *s;
  int rc = kept_stmt(st, STORE_SLOT_OUTBOX_REJECT,
                     "UPDATE outbox SET error = ?2, message = ?3 WHERE "
                     "seq = ?1",
                     &s);
  if (rc)
    return rc;
  sqlite3_bind_int64(s, 1, (int64_t)seq);
  sqlite3_bind_text(s, 2, code, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, message, -1, SQLITE_STATIC);
  return db_run(s);
}

int store_next_seq(struct store *st, uint64_t *out) {
  sqlite3_stmt *s;
  int rc = kept_stmt(st, STORE_SLOT_NEXT_SEQ,
                     "SELECT coalesce(max(seq), 0) + 1 FROM outbox", &s);
  if (rc)
    return rc;
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *out = (uint64_t)sqlite3_column_int64(s, 0);
    rc = 0;
  } else {
    rc = db_translate(rc);
  }
  sqlite3_reset(s);
  return rc;
}
