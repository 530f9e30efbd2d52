/* SPDX-License-Identifier: MIT
 * oplog.c -- the district's op log and quarantine (oplog.h). Ops are read
 * from the logged bodies through SQLite's incremental blob I/O, which
 * seeks inside a body without reading it whole. */
#include "daemon/oplog.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "common/db.h"
#include "proto/codec.h"

/* An op's place in its body: offset and length, u32 big-endian each. */
#define OPLOG_SPAN 8

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
    rc = db_blob_open(r->db, "synclog", "body", entry, &r->blob);
    if (rc) {
      opread_done(r);
      /* An oplog row names the entry: its absence is damage. */
      return rc == DS_ENOENT ? DS_ECORRUPT : rc;
    }
    r->entry = entry;
  }
  if ((uint64_t)off + len > (uint64_t)sqlite3_blob_bytes(r->blob))
    return DS_ECORRUPT;
  buf_reset(&r->raw);
  rc = buf_reserve(&r->raw, len);
  if (!rc)
    rc = db_blob_read(r->blob, r->raw.data, (int)len, (int)off);
  if (rc)
    return rc;
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

/* ---- the writer's statements ---- */

enum { O_MAX, O_ADD, O_QUAR, O_AT, O_PULL_ALL, O_PULL_COMMUNE, O_COUNT };

static const char *const osql[O_COUNT] = {
    [O_MAX] = "SELECT coalesce(max(pos), 0) FROM oplog",
    [O_ADD] = "INSERT INTO oplog(pos, n, entry, node, commune, spans, rids) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [O_QUAR] = "INSERT INTO quarantine(entry, node, seq, error, message, op) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* The row holding position ?1 (rows hold pos - n + 1 .. pos), and
     * its entry's hash through synclog_head, not across the body. */
    [O_AT] = "SELECT l.hash, o.pos - o.n FROM oplog o JOIN synclog l "
             "INDEXED BY synclog_head ON l.seq = o.entry WHERE o.pos = "
             "(SELECT min(pos) FROM oplog WHERE pos >= ?1)",
    /* Each row holds an op at least: limit + 1 rows are always enough. */
    [O_PULL_ALL] = "SELECT pos, n, entry, node, spans FROM oplog WHERE pos > "
                   "?1 AND node != ?2 ORDER BY pos LIMIT ?3",
    [O_PULL_COMMUNE] = "SELECT pos, n, entry, node, spans FROM oplog WHERE "
                       "commune = ?4 AND pos > ?1 AND node != ?2 ORDER BY "
                       "pos LIMIT ?3",
};

/* One commune's ops of the request being ingested. */
struct group {
  char commune[SCHEMA_SLUG_MAX + 1];
  uint32_t n;
  struct buf spans; /* n x (offset, length), u32 big-endian each */
  struct buf rids;  /* n x ID_LEN */
};

struct oplog {
  sqlite3 *db;
  sqlite3_stmt *q[O_COUNT];
  struct group *g;
  size_t ng, cap;
  struct opread rd;
};

int oplog_open(struct oplog **out, sqlite3 *db) {
  struct oplog *ol = ds_calloc(1, sizeof(*ol));
  int rc;

  if (!ol)
    return DS_ENOMEM;
  ol->db = db;
  opread_init(&ol->rd, db);
  rc = db_prepare_kept(db, osql, O_COUNT, ol->q);
  if (rc) {
    oplog_close(ol);
    return rc;
  }
  *out = ol;
  return 0;
}

void oplog_close(struct oplog *ol) {
  if (!ol)
    return;
  for (int i = 0; i < O_COUNT; i++)
    sqlite3_finalize(ol->q[i]);
  for (size_t i = 0; i < ol->cap; i++) {
    buf_cleanup(&ol->g[i].spans);
    buf_cleanup(&ol->g[i].rids);
  }
  ds_free(ol->g);
  opread_cleanup(&ol->rd);
  ds_free(ol);
}

void oplog_batch_reset(struct oplog *ol) {
  for (size_t i = 0; i < ol->ng; i++) {
    ol->g[i].n = 0;
    buf_reset(&ol->g[i].spans);
    buf_reset(&ol->g[i].rids);
  }
  ol->ng = 0;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

int oplog_batch_add(struct oplog *ol, const char *commune,
                    const uint8_t rid[ID_LEN], uint32_t off, uint32_t len) {
  struct group *g = NULL;
  uint8_t span[OPLOG_SPAN];
  int rc;

  for (size_t i = 0; i < ol->ng && !g; i++)
    if (strcmp(ol->g[i].commune, commune) == 0)
      g = &ol->g[i];
  if (!g) {
    if (ol->ng == ol->cap) {
      size_t cap = ol->cap ? 2 * ol->cap : 4;
      struct group *ng = ds_realloc(ol->g, cap * sizeof(*ng));
      if (!ng)
        return DS_ENOMEM;
      for (size_t i = ol->cap; i < cap; i++) {
        buf_init(&ng[i].spans, 0);
        buf_init(&ng[i].rids, 0);
        ng[i].n = 0;
      }
      ol->g = ng;
      ol->cap = cap;
    }
    g = &ol->g[ol->ng++];
    snprintf(g->commune, sizeof(g->commune), "%s", commune);
  }
  put32(span, off);
  put32(span + 4, len);
  rc = buf_append(&g->spans, span, sizeof(span));
  if (!rc)
    rc = buf_append(&g->rids, rid, ID_LEN);
  if (!rc)
    g->n++;
  return rc;
}

int oplog_batch_write(struct oplog *ol, int64_t entry,
                      const uint8_t node[ID_LEN]) {
  sqlite3_stmt *s = ol->q[O_MAX];
  int64_t last = 0;
  int rc = 0;

  if (!ol->ng)
    return 0;
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    last = sqlite3_column_int64(s, 0);
  sqlite3_reset(s);
  if (rc != SQLITE_ROW)
    return db_translate(rc);
  rc = 0;
  for (size_t i = 0; i < ol->ng && !rc; i++) {
    const struct group *g = &ol->g[i];
    s = ol->q[O_ADD];
    sqlite3_bind_int64(s, 1, last + g->n);
    sqlite3_bind_int64(s, 2, g->n);
    sqlite3_bind_int64(s, 3, entry);
    sqlite3_bind_blob(s, 4, node, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, g->commune, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 6, g->spans.data, (int)g->spans.len, SQLITE_STATIC);
    sqlite3_bind_blob(s, 7, g->rids.data, (int)g->rids.len, SQLITE_STATIC);
    rc = db_run(s);
    last += g->n;
  }
  return rc;
}

int oplog_quarantine(struct oplog *ol, int64_t entry,
                     const uint8_t node[ID_LEN], uint64_t seq, const char *code,
                     const char *message, const struct buf *raw) {
  sqlite3_stmt *s = ol->q[O_QUAR];
  sqlite3_bind_int64(s, 1, entry);
  sqlite3_bind_blob(s, 2, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 3, (int64_t)seq);
  sqlite3_bind_text(s, 4, code, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, message, -1, SQLITE_STATIC);
  sqlite3_bind_blob(s, 6, raw->data, (int)raw->len, SQLITE_STATIC);
  return db_run(s);
}

/* The chain hash of the log entry holding position |pos|: 0, DS_ENOENT,
 * or the translated error. */
static int hash_at(struct oplog *ol, int64_t pos, uint8_t hash[32]) {
  sqlite3_stmt *s = ol->q[O_AT];
  int rc;

  sqlite3_bind_int64(s, 1, pos);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32 &&
      sqlite3_column_int64(s, 1) < pos) {
    memcpy(hash, sqlite3_column_blob(s, 0), 32);
    rc = 0;
  } else {
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? DS_ENOENT : db_translate(rc);
  }
  sqlite3_reset(s);
  return rc;
}

/* Appends the ops of the row |s| is on that lie after |cursor|, up to
 * |limit| in all; sets *last to the position of the last one taken. */
static int pull_row(struct oplog *ol, sqlite3_stmt *s, uint64_t cursor,
                    uint32_t limit, struct buf *ops, struct oplog_page *pg,
                    int64_t *last) {
  int64_t pos = sqlite3_column_int64(s, 0), n = sqlite3_column_int64(s, 1);
  const uint8_t *spans = sqlite3_column_blob(s, 4);
  int64_t first = pos - n + 1;

  if (n <= 0 || sqlite3_column_bytes(s, 4) != n * OPLOG_SPAN ||
      sqlite3_column_bytes(s, 3) != ID_LEN)
    return DS_ECORRUPT;
  for (int64_t k = 0; k < n; k++) {
    int rc;
    if (first + k <= (int64_t)cursor)
      continue;
    if (pg->nops == limit) {
      pg->more = true;
      return 0;
    }
    rc = opread_wire(
        &ol->rd, sqlite3_column_int64(s, 2), get32(spans + k * OPLOG_SPAN),
        get32(spans + k * OPLOG_SPAN + 4), sqlite3_column_blob(s, 3), ops);
    if (rc)
      return rc;
    *last = first + k;
    pg->nops++;
  }
  return 0;
}

int oplog_pull(struct oplog *ol, const uint8_t node[ID_LEN],
               const char *commune, uint64_t cursor, const uint8_t *cursor_hash,
               uint32_t limit, struct buf *ops, struct oplog_page *pg) {
  sqlite3_stmt *s = ol->q[commune ? O_PULL_COMMUNE : O_PULL_ALL];
  uint8_t have[32];
  int64_t last = 0, maxpos = 0;
  int rc = 0, step = SQLITE_DONE;

  memset(pg, 0, sizeof(*pg));
  /* A cursor this log no longer holds with that hash (a restore from
   * backup) starts the pull over from 0: pulls are idempotent. */
  if (cursor > 0) {
    rc = hash_at(ol, (int64_t)cursor, have);
    if (rc && rc != DS_ENOENT)
      return rc;
    if (rc || !cursor_hash || memcmp(have, cursor_hash, sizeof(have)) != 0)
      cursor = 0;
    pg->head_lost = cursor == 0;
  }
  sqlite3_bind_int64(s, 1, (int64_t)cursor);
  sqlite3_bind_blob(s, 2, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 3, (int64_t)limit + 1);
  if (commune)
    sqlite3_bind_text(s, 4, commune, -1, SQLITE_STATIC);
  rc = 0;
  while (!rc && !pg->more && (step = sqlite3_step(s)) == SQLITE_ROW)
    rc = pull_row(ol, s, cursor, limit, ops, pg, &last);
  if (!rc && !pg->more && step != SQLITE_DONE)
    rc = db_translate(step);
  sqlite3_reset(s);
  opread_done(&ol->rd);
  if (rc)
    return rc == DS_ENOMEM ? rc : DS_EUNAVAIL;
  if (!pg->more) {
    /* Nothing more is visible to this device: its cursor can move to the
     * end of the log, so the next pull starts there. */
    s = ol->q[O_MAX];
    if (sqlite3_step(s) == SQLITE_ROW)
      maxpos = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (maxpos > last)
      last = maxpos;
  }
  if (last < (int64_t)cursor)
    last = (int64_t)cursor;
  pg->cursor = (uint64_t)last;
  if (last > 0) {
    rc = hash_at(ol, last, pg->cursor_hash);
    if (rc && rc != DS_ENOENT)
      return rc;
    pg->has_cursor_hash = rc == 0;
  }
  return 0;
}

/* ---- reading back ---- */

#define ITER_SELECT                                                         \
  "SELECT o.rids, o.pos, o.n, o.entry, o.node, o.commune, l.received_ms, "  \
  "coalesce(nd.label, ''), coalesce(nd.commune, ''), o.spans FROM oplog o " \
  "JOIN synclog l ON l.seq = o.entry LEFT JOIN node nd ON nd.node = "       \
  "o.node WHERE "
#define ITER_WHERE                                                           \
  "(?1 IS NULL OR o.node BETWEEN ?1 AND ?2) AND (?3 IS NULL OR o.commune = " \
  "?3) AND (?6 < 0 OR l.received_ms >= ?6) AND (?7 < 0 OR l.received_ms <= " \
  "?7) ORDER BY o.pos"

/* Opens |sql| with |f|'s bindings; a record id range is checked op by op
 * against the rows' ids. */
static int iter_open(struct oplog_iter *it, sqlite3 *db, const char *sql,
                     const struct oplog_filter *f) {
  int rc;

  memset(it, 0, sizeof(*it));
  buf_init(&it->label, 0);
  opread_init(&it->rd, db);
  rc = db_prepare(db, sql, &it->s);
  if (rc)
    return rc;
  if (f->node_lo) {
    sqlite3_bind_blob(it->s, 1, f->node_lo, ID_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(it->s, 2, f->node_hi, ID_LEN, SQLITE_TRANSIENT);
  }
  sqlite3_bind_text(it->s, 3, f->commune, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(it->s, 6, f->since_ms);
  sqlite3_bind_int64(it->s, 7, f->until_ms);
  it->by_rid = f->rid_lo != NULL;
  if (it->by_rid) {
    memcpy(it->rid_lo, f->rid_lo, ID_LEN);
    memcpy(it->rid_hi, f->rid_hi, ID_LEN);
    sqlite3_bind_blob(it->s, 8, f->rid_lo, ID_LEN, SQLITE_TRANSIENT);
  }
  return 0;
}

int oplog_iter_open(struct oplog_iter *it, sqlite3 *db,
                    const struct oplog_filter *f) {
  return iter_open(it, db, ITER_SELECT ITER_WHERE, f);
}

int oplog_history_open(struct oplog_iter *it, sqlite3 *db,
                       const uint8_t rid[ID_LEN]) {
  /* A record's ops are all in its commune's rows: those only. */
  static const char sql[] = ITER_SELECT
      "o.commune = (SELECT commune FROM rec WHERE rid = ?8) AND " ITER_WHERE;
  struct oplog_filter f = {
      .rid_lo = rid, .rid_hi = rid, .since_ms = -1, .until_ms = -1};
  return iter_open(it, db, sql, &f);
}

/* Takes the row |it->s| is on: which of its ops to give. */
static int iter_row(struct oplog_iter *it) {
  sqlite3_stmt *s = it->s;
  int64_t pos = sqlite3_column_int64(s, 1), n = sqlite3_column_int64(s, 2);
  const char *t;

  if (n <= 0 || sqlite3_column_bytes(s, 9) != n * OPLOG_SPAN ||
      sqlite3_column_bytes(s, 0) != n * ID_LEN ||
      sqlite3_column_bytes(s, 4) != ID_LEN)
    return DS_ECORRUPT;
  it->first = pos - n + 1;
  it->spans = sqlite3_column_blob(s, 9);
  it->rids = sqlite3_column_blob(s, 0);
  it->k = 0;
  it->end = (uint32_t)n;
  it->entry = sqlite3_column_int64(s, 3);
  memcpy(it->node, sqlite3_column_blob(s, 4), ID_LEN);
  t = (const char *)sqlite3_column_text(s, 5);
  snprintf(it->commune, sizeof(it->commune), "%s", t ? t : "");
  it->received_ms = sqlite3_column_int64(s, 6);
  t = (const char *)sqlite3_column_text(s, 7);
  buf_reset(&it->label);
  if (buf_append(&it->label, t ? t : "", t ? strlen(t) : 0) ||
      buf_cstr(&it->label))
    return DS_ENOMEM;
  t = (const char *)sqlite3_column_text(s, 8);
  snprintf(it->node_commune, sizeof(it->node_commune), "%s", t ? t : "");
  return 0;
}

int oplog_iter_next(struct oplog_iter *it, struct oplog_entry *e) {
  const uint8_t *sp;
  int rc;

  for (;;) {
    const uint8_t *rid;
    while (it->k == it->end) {
      rc = db_step(it->s);
      if (rc <= 0)
        return rc;
      rc = iter_row(it);
      if (rc)
        return rc;
    }
    rid = it->rids + (size_t)it->k * ID_LEN;
    if (!it->by_rid || (memcmp(rid, it->rid_lo, ID_LEN) >= 0 &&
                        memcmp(rid, it->rid_hi, ID_LEN) <= 0))
      break;
    it->k++;
  }
  sp = it->spans + (size_t)it->k * OPLOG_SPAN;
  rc = opread_raw(&it->rd, it->entry, get32(sp), get32(sp + 4));
  if (rc)
    return rc;
  e->pos = it->first + it->k++;
  e->entry = it->entry;
  e->received_ms = it->received_ms;
  e->node = it->node;
  e->commune = it->commune;
  e->label = (const char *)it->label.data;
  e->node_commune = it->node_commune;
  e->op = it->rd.raw.data;
  e->len = it->rd.raw.len;
  return 1;
}

void oplog_iter_close(struct oplog_iter *it) {
  sqlite3_finalize(it->s);
  it->s = NULL;
  opread_cleanup(&it->rd);
  buf_cleanup(&it->label);
}

int oplog_quarantine_each(struct sqlite3 *db,
                          int (*cb)(void *arg,
                                    const struct oplog_quarantined *q),
                          void *arg) {
  sqlite3_stmt *s;
  int rc = 0, step;

  if (sqlite3_prepare_v2(db,
                         "SELECT q.id, lower(hex(q.node)), coalesce(n.commune,"
                         " '?'), q.seq, q.error, q.message, l.received_ms "
                         "FROM quarantine q LEFT JOIN node n ON n.node = "
                         "q.node LEFT JOIN synclog l ON l.seq = q.entry "
                         "ORDER BY q.id",
                         -1, &s, NULL))
    return DS_EIO;
  while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
    struct oplog_quarantined q;
    q.id = sqlite3_column_int64(s, 0);
    q.node_hex = (const char *)sqlite3_column_text(s, 1);
    q.commune = (const char *)sqlite3_column_text(s, 2);
    q.seq = sqlite3_column_int64(s, 3);
    q.error = (const char *)sqlite3_column_text(s, 4);
    q.message = (const char *)sqlite3_column_text(s, 5);
    q.received_ms = sqlite3_column_int64(s, 6);
    if (!q.message)
      q.message = "";
    rc = cb(arg, &q);
  }
  if (!rc && step != SQLITE_DONE)
    rc = DS_EIO;
  sqlite3_finalize(s);
  return rc;
}
