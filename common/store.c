/* SPDX-License-Identifier: MIT
 * store.c -- the store's connection and the per-op path: open (through
 * migrate.c), transactions, meta, the clock, and each record's merge state
 * loaded, checked and applied. records.c reads the records as a whole;
 * device.c owns the outbox and inbox.
 *
 * One row per record in `rec`: its merge state as a blob (merge.c), which
 * holds each value once. The views meeting, petition, survey and visit show
 * each field's winner as a typed column through ds_f(st, field), so lists
 * and reports are plain SQL. Every op is one read and one write of that
 * row. */
#include "common/store.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/cmsg.h"
#include "common/db.h"
#include "common/files.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/migrate.h"
#include "common/store_int.h"
#include "common/utf8.h"

enum stmt_id {
  S_REC_GET,
  S_REC_INSERT,
  S_REC_UPDATE,
  S_CONFLICT_ADD,
  S_CONFLICT_DEL,
  S_SEARCH_DIRTY,
  S_META_GET,
  S_META_SET,
  S_COMMUNE_GET,
  S_COUNT
};

struct store {
  sqlite3 *db;
  sqlite3_stmt *stmt[S_COUNT];
  struct mstate ms;  /* scratch for store_apply */
  struct mstate cms; /* scratch for store_check_op */
  struct mvals mv;
  struct buf blob, out, cblob;
  /* What store_check_op last loaded, so the store_apply that follows it
   * for the same record needs no second read. */
  bool cvalid;
  uint8_t crid[ID_LEN];
  int64_t cid; /* 0: the record does not exist */
  /* The last commune store_check_op found in the commune table, inside the
   * current transaction: a device's batch names its commune a thousand
   * times. Communes are only ever added, and nothing else writes in the
   * transaction, but it is forgotten at each transaction's edge anyway. */
  char known[SCHEMA_SLUG_MAX + 1];
  size_t known_n;                       /* 0: none */
  sqlite3_stmt *slot[STORE_SLOT_COUNT]; /* store__cached */
  bool device;            /* it has the device's tables (outbox, inbox) */
  bool district;          /* it has the district's (communes, nodes, logs) */
  uint32_t search_fields; /* the petition's fields the search index holds */
};

/* With 16 KiB pages rather than 4 KiB, the daemon writes in fewer, larger
 * pieces (the file format itself is migrate.h's STORE_FORMAT). */
#define STORE_PAGE_SIZE 16384
#define DS_STR_(x) #x
#define DS_STR(x) DS_STR_(x)

static void fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);
static void field_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);
static void field_node_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);

static int translate(struct store *st, int rc) {
  (void)st;
  assert(rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE);
  return db_translate(rc);
}

static const char *const stmt_sql[S_COUNT] = {
    [S_REC_GET] = "SELECT id, st FROM rec WHERE rid = ?1",
    [S_REC_INSERT] = "INSERT INTO rec(rid, ent, commune, conflicted, st) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_REC_UPDATE] = "UPDATE rec SET commune = ?3, conflicted = ?4, st = ?5 "
                     "WHERE id = ?6",
    [S_CONFLICT_ADD] =
        "INSERT OR IGNORE INTO conflict(rid, field) VALUES (?1, ?2)",
    [S_CONFLICT_DEL] = "DELETE FROM conflict WHERE rid = ?1 AND field = ?2",
    [S_SEARCH_DIRTY] = "INSERT OR IGNORE INTO search_dirty(id) VALUES (?1)",
    [S_META_GET] = "SELECT v FROM meta WHERE k = ?1",
    [S_META_SET] = "INSERT OR REPLACE INTO meta(k, v) VALUES (?1, ?2)",
    [S_COMMUNE_GET] = "SELECT 1 FROM commune WHERE slug = ?1",
};

int store_open(struct store **out, const char *path, unsigned flags,
               char *errbuf) {
  struct store *st;
  char plain[FILES_PATH_MAX];
  bool memory = strcmp(path ? path : "", ":memory:") == 0;
  int exists, rc;

  if (!out || !path)
    return DS_EINVAL;
  if (!files_plain(path, plain, sizeof(plain)))
    return cmsg_fail(errbuf, DS_EINVAL, CM_STORE_PATH_LONG);
  exists = !memory && access(path, F_OK) == 0;
  if (exists && (flags & STORE_EXCL))
    return cmsg_fail(errbuf, DS_EEXIST, CM_STORE_EXISTS, path);
  if (!exists && !(flags & STORE_CREATE) && !memory)
    return cmsg_fail(errbuf, DS_ENOENT, CM_STORE_NONE, path);
  /* Created 0600 before SQLite opens it: its -wal and -shm take the
   * store's mode. An existing store others can read is refused. */
  rc = memory   ? 0
       : exists ? files_check_store(path, errbuf)
                : files_create_private(path, errbuf);
  if (rc)
    return rc;
  st = ds_calloc(1, sizeof(*st));
  if (!st)
    return DS_ENOMEM;
  mstate_init(&st->ms);
  mstate_init(&st->cms);
  mvals_init(&st->mv);
  buf_init(&st->blob, 0);
  buf_init(&st->out, 0);
  buf_init(&st->cblob, 0);
  /* URIs are taken for an ATTACH that must be read-only (files_uri_ro);
   * the store's own path is plain. */
  if (sqlite3_open_v2(memory ? path : plain, &st->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                      NULL)) {
    rc = cmsg_fail(errbuf, DS_EIO, CM_STORE_OPEN, path,
                   st->db ? sqlite3_errmsg(st->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_timeout(st->db, 10000);
  sqlite3_create_function(st->db, "ds_f", 2,
                          SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                          NULL, field_fn, NULL, NULL);
  sqlite3_create_function(st->db, "ds_fnode", 2,
                          SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                          NULL, field_node_fn, NULL, NULL);
  sqlite3_create_function(st->db, "ds_fold", 1,
                          SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fold_fn,
                          NULL, NULL);
  sqlite3_extended_result_codes(st->db, 1);
  /* The page size takes only for a new file, before WAL mode is set. With
   * 16 KiB pages rather than 4 KiB, the daemon writes in fewer, larger
   * pieces: initial sync ran ~25% faster in the benchmark. */
  if (sqlite3_exec(st->db,
                   "PRAGMA page_size = " DS_STR(
                       STORE_PAGE_SIZE) ";"
                                        " PRAGMA journal_mode = WAL; PRAGMA "
                                        "synchronous = FULL;"
                                        " PRAGMA foreign_keys = OFF; PRAGMA "
                                        "cache_size = -2048;"
                                        " PRAGMA wal_autocheckpoint = 4096;",
                   NULL, NULL, NULL)) {
    rc = cmsg_fail(errbuf, DS_EIO, CM_STORE_UNUSABLE, path,
                   sqlite3_errmsg(st->db));
    goto fail;
  }
  rc = store__migrate(st->db, memory ? ":memory:" : path,
                      (flags & STORE_DISTRICT) != 0, errbuf);
  /* The migration's own words stand for a format it does not know and
   * for a store another program is writing; anything else is said with
   * the store's path. */
  if (rc == DS_EVERSION || rc == DS_EBUSY)
    goto fail;
  if (!rc)
    rc = db_has_table(st->db, "outbox", &st->device);
  if (!rc)
    rc = db_has_table(st->db, "commune", &st->district);
  if (rc) {
    cmsg_fail(errbuf, rc, CM_STORE_UNUSABLE, path, sqlite3_errmsg(st->db));
    goto fail;
  }
  for (int i = 0; i < S_COUNT; i++) {
    /* A device store has no commune table. */
    if (i == S_COMMUNE_GET && !st->district)
      continue;
    if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &st->stmt[i], NULL)) {
      rc = cmsg_fail(errbuf, DS_EIO, CM_STORE_UNUSABLE, path,
                     sqlite3_errmsg(st->db));
      goto fail;
    }
  }
  st->search_fields = store__search_fields();
  *out = st;
  return 0;
fail:
  store_close(st);
  if (!exists && !memory) { /* what this call created goes again */
    char p[FILES_PATH_MAX + 8];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
  }
  return rc;
}

void store_close(struct store *st) {
  if (!st)
    return;
  for (int i = 0; i < S_COUNT; i++)
    sqlite3_finalize(st->stmt[i]);
  for (int i = 0; i < STORE_SLOT_COUNT; i++)
    sqlite3_finalize(st->slot[i]);
  sqlite3_close(st->db);
  mstate_cleanup(&st->ms);
  mstate_cleanup(&st->cms);
  mvals_cleanup(&st->mv);
  buf_cleanup(&st->blob);
  buf_cleanup(&st->out);
  buf_cleanup(&st->cblob);
  ds_free(st);
}

struct sqlite3 *store_sqlite(struct store *st) {
  return st->db;
}

bool store_is_device(const struct store *st) {
  return st->device;
}

bool store_is_district(const struct store *st) {
  return st->district;
}

void store__forget_loaded(struct store *st) {
  st->cvalid = false;
}

int store__cached(struct store *st, enum store_slot slot, const char *sql,
                  sqlite3_stmt **out) {
  int rc;

  assert((unsigned)slot < STORE_SLOT_COUNT);
  if (!st->slot[slot]) {
    rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                            &st->slot[slot], NULL);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(st->slot[slot]);
      st->slot[slot] = NULL;
      return db_translate(rc);
    }
  }
  *out = st->slot[slot];
  return 0;
}

const char *store_errmsg(struct store *st) {
  return sqlite3_errmsg(st->db);
}

void store_set_busy_timeout(struct store *st, int ms) {
  sqlite3_busy_timeout(st->db, ms);
}

void store_set_cache_kib(struct store *st, int kib) {
  char sql[64];
  snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
  sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

int store_begin(struct store *st) {
  st->known_n = 0;
  return db_begin(st->db);
}

int store_commit(struct store *st) {
  int rc = db_commit(st->db);
  st->known_n = 0;
  if (rc)
    st->cvalid = false;
  return rc;
}

void store_rollback(struct store *st) {
  st->cvalid = false;
  st->known_n = 0;
  db_rollback(st->db);
}

int store_savepoint(struct store *st) {
  return db_savepoint(st->db);
}

int store_release(struct store *st) {
  return db_release(st->db);
}

void store_rollback_part(struct store *st) {
  st->cvalid = false;
  st->known_n = 0;
  db_rollback_part(st->db);
}

static int run(struct store *st, sqlite3_stmt *s) {
  (void)st;
  return db_run(s);
}

int store_meta_get(struct store *st, const char *key, struct buf *out) {
  sqlite3_stmt *s = st->stmt[S_META_GET];
  int rc;

  sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(s);
  buf_reset(out);
  if (rc == SQLITE_ROW) {
    rc = buf_append(out, sqlite3_column_blob(s, 0),
                    (size_t)sqlite3_column_bytes(s, 0));
    if (!rc)
      rc = buf_cstr(out);
  } else {
    rc = rc == SQLITE_DONE ? DS_ENOENT : translate(st, rc);
  }
  sqlite3_reset(s);
  return rc;
}

int store_meta_set(struct store *st, const char *key, const void *p, size_t n) {
  sqlite3_stmt *s = st->stmt[S_META_SET];
  sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, p ? p : "", (int)n, SQLITE_STATIC);
  return run(st, s);
}

int store_meta_get_int(struct store *st, const char *key, int64_t *out) {
  sqlite3_stmt *s = st->stmt[S_META_GET];
  int rc;

  sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(s, 0);
    rc = 0;
  } else {
    rc = rc == SQLITE_DONE ? DS_ENOENT : translate(st, rc);
  }
  sqlite3_reset(s);
  return rc;
}

int store_meta_set_int(struct store *st, const char *key, int64_t v) {
  sqlite3_stmt *s = st->stmt[S_META_SET];
  sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, v);
  return run(st, s);
}

int store_hlc_get(struct store *st, uint64_t *out) {
  int64_t v = 0;
  int rc = store_meta_get_int(st, "hlc", &v);
  if (rc && rc != DS_ENOENT)
    return rc;
  *out = (uint64_t)v;
  return 0;
}

int store_hlc_set(struct store *st, uint64_t v) {
  return store_meta_set_int(st, "hlc", (int64_t)v);
}

int store_hlc_tick(struct store *st, uint64_t *out) {
  uint64_t last, next;
  int rc = store_hlc_get(st, &last);
  if (rc)
    return rc;
  next = hlc_tick(last, clock_now_ms());
  rc = store_meta_set_int(st, "hlc", (int64_t)next);
  if (!rc)
    *out = next;
  return rc;
}

int store_hlc_adopt(struct store *st, uint64_t remote) {
  uint64_t last;
  int rc = store_hlc_get(st, &last);
  if (rc || hlc_adopt(last, remote) == last)
    return rc;
  return store_meta_set_int(st, "hlc", (int64_t)remote);
}

/* ds_f(st, field): the winner of |field| in state blob |st| as a typed
 * value (a status as its name), or NULL. */
static void field_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const uint8_t *blob = sqlite3_value_blob(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  struct mwrite w;
  struct value v;
  size_t used;

  (void)argc;
  if (!blob ||
      mstate_blob_winner(blob, (size_t)n, sqlite3_value_int(argv[1]), &w) ||
      value_decode(&v, w.val, w.len, &used)) {
    sqlite3_result_null(ctx);
    return;
  }
  switch (v.type) {
  case VAL_NIL: sqlite3_result_null(ctx); break;
  case VAL_BOOL:
  case VAL_INT: sqlite3_result_int64(ctx, v.i); break;
  case VAL_STR:
  case VAL_STATUS:
    sqlite3_result_text(ctx, v.s, (int)v.n, SQLITE_TRANSIENT);
    break;
  case VAL_BIN:
    sqlite3_result_blob(ctx, v.s, (int)v.n, SQLITE_TRANSIENT);
    break;
  }
}

/* ds_fnode(st, field): the node (16 bytes) that wrote the winner of |field|
 * in state blob |st|, or NULL. The report tells a district's answer from a
 * commune's by it (DESIGN §9). */
static void field_node_fn(sqlite3_context *ctx, int argc,
                          sqlite3_value **argv) {
  const uint8_t *blob = sqlite3_value_blob(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  struct mwrite w;

  (void)argc;
  if (!blob ||
      mstate_blob_winner(blob, (size_t)n, sqlite3_value_int(argv[1]), &w)) {
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_result_blob(ctx, w.v.node, ID_LEN, SQLITE_TRANSIENT);
}

/* The winner of field |f| as a string view, if it is one. */
static int winner_str(const struct mstate *ms, int f, struct value *v) {
  const struct mwrite *w = mstate_winner(ms, f);
  size_t used;
  if (!w || value_decode(v, w->val, w->len, &used) || v->type != VAL_STR)
    return DS_ENOENT;
  return 0;
}

/* Reads record |rid|'s row id and state blob; *id = 0 when absent. */
static int load_row(struct store *st, const uint8_t rid[ID_LEN], int64_t *id,
                    struct buf *blob) {
  sqlite3_stmt *s = st->stmt[S_REC_GET];
  int rc;

  *id = 0;
  sqlite3_bind_blob(s, 1, rid, ID_LEN, SQLITE_STATIC);
  rc = sqlite3_step(s);
  buf_reset(blob);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(s, 0);
    rc = buf_append(blob, sqlite3_column_blob(s, 1),
                    (size_t)sqlite3_column_bytes(s, 1));
  } else {
    rc = rc == SQLITE_DONE ? 0 : translate(st, rc);
  }
  sqlite3_reset(s);
  return rc;
}

int store_load(struct store *st, const uint8_t rid[ID_LEN], struct mstate *ms,
               struct buf *blob) {
  int64_t id;
  int rc = load_row(st, rid, &id, blob);
  if (!rc && !id)
    rc = DS_ENOENT;
  if (!rc)
    rc = mstate_load(ms, blob->data, blob->len);
  return rc;
}

int store_apply(struct store *st, const struct op *op, struct mresult *res) {
  const struct entity_def *e = schema_entity(op->ent);
  sqlite3_stmt *s;
  uint32_t was_conflicted = 0;
  int64_t id = 0;
  int conflicted = 0, rc, f;
  bool existed;
  struct value commune;

  if (!e)
    return DS_EBADOP;
  if (st->cvalid && memcmp(st->crid, op->rid, ID_LEN) == 0) {
    /* store_check_op just read this record: take its bytes. */
    struct buf t = st->blob;
    st->blob = st->cblob;
    st->cblob = t;
    id = st->cid;
    rc = 0;
  } else {
    rc = load_row(st, op->rid, &id, &st->blob);
  }
  st->cvalid = false;
  if (rc)
    return rc;
  existed = id != 0;
  if (id) {
    rc = mstate_load(&st->ms, st->blob.data, st->blob.len);
    if (rc)
      return rc;
  } else {
    mstate_reset(&st->ms);
  }
  for (f = 0; f < e->nfields; f++)
    if (mstate_conflicted(&st->ms, f))
      was_conflicted |= 1u << f;
  rc = mvals_encode(&st->mv, op);
  if (!rc)
    rc = mstate_apply(&st->ms, op, &st->mv, res);
  if (rc)
    return rc;
  buf_reset(&st->out);
  rc = mstate_save(&st->ms, &st->out);
  if (rc)
    return rc;

  s = st->stmt[id ? S_REC_UPDATE : S_REC_INSERT];
  sqlite3_bind_blob(s, 1, op->rid, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int(s, 2, op->ent);
  if (winner_str(&st->ms, e->commune_field, &commune) == 0)
    sqlite3_bind_text(s, 3, commune.s, (int)commune.n, SQLITE_STATIC);
  else
    sqlite3_bind_null(s, 3);
  for (f = 0; f < e->nfields; f++)
    conflicted += mstate_conflicted(&st->ms, f);
  sqlite3_bind_int(s, 4, conflicted);
  sqlite3_bind_blob(s, 5, st->out.data, (int)st->out.len, SQLITE_STATIC);
  if (id)
    sqlite3_bind_int64(s, 6, id);
  rc = run(st, s);
  sqlite3_clear_bindings(s);
  if (rc)
    return rc;
  if (!id)
    id = sqlite3_last_insert_rowid(st->db);

  for (int i = 0; i < op->nset && !rc; i++) {
    int fi = op->set[i].field;
    int now = mstate_conflicted(&st->ms, fi);
    if (now == !!(was_conflicted & (1u << fi)))
      continue;
    s = st->stmt[now ? S_CONFLICT_ADD : S_CONFLICT_DEL];
    sqlite3_bind_blob(s, 1, op->rid, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, fi);
    rc = run(st, s);
  }
  /* A new record is indexed by the next refresh without a mark: it has a
   * row id above the last one indexed (store_search_refresh). */
  if (!rc && existed && op->ent == ENT_PETITION &&
      (res->changed & st->search_fields)) {
    sqlite3_bind_int64(st->stmt[S_SEARCH_DIRTY], 1, id);
    rc = run(st, st->stmt[S_SEARCH_DIRTY]);
  }
  return rc;
}

static int value_of(const struct mstate *ms, int f, struct value *v) {
  const struct mwrite *w = mstate_winner(ms, f);
  size_t used;
  if (!w)
    return DS_ENOENT;
  return value_decode(v, w->val, w->len, &used) ? DS_ECORRUPT : 0;
}

static void copy_slug(char *out, const struct value *v) {
  size_t n = v->n > SCHEMA_SLUG_MAX ? SCHEMA_SLUG_MAX : v->n;
  if (!out)
    return;
  memcpy(out, v->s, n);
  out[n] = '\0';
}

/* Whether the district knows commune |v| (a string): from the commune
 * table, or from st->known inside a transaction. */
static int commune_known(struct store *st, const struct value *v, bool *known) {
  sqlite3_stmt *s = st->stmt[S_COMMUNE_GET];
  bool in_txn = !sqlite3_get_autocommit(st->db);
  int rc;

  if (!s) /* a device store has no commune table */
    return DS_EINVAL;
  if (in_txn && st->known_n && st->known_n == v->n &&
      memcmp(st->known, v->s, v->n) == 0) {
    *known = true;
    return 0;
  }
  sqlite3_bind_text(s, 1, v->s, (int)v->n, SQLITE_STATIC);
  rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return translate(st, rc);
  *known = rc == SQLITE_ROW;
  if (*known && in_txn && v->n <= SCHEMA_SLUG_MAX) {
    memcpy(st->known, v->s, v->n);
    st->known_n = v->n;
  }
  return 0;
}

/* One of store_check_op's refusals, in English when |en|. */
#define REFUSE(rc, ...) msgcat_fail_in(&cmsg_cat, en, errbuf, rc, __VA_ARGS__)

int store_check_op(struct store *st, const struct op *op, const char *scope,
                   bool known_communes, char *commune, char *errbuf) {
  const struct entity_def *e = schema_entity(op->ent);
  const struct value *set_commune = NULL;
  struct value have;
  char rid[ID_HEX_LEN + 1];
  /* A district store keeps its refusals in the quarantine and sends them
   * to devices: one English form there; a device says them in its
   * officer's language (common/cmsg.def). */
  bool en = st->district || msgcat_english();
  int rc;

  if (!e)
    return REFUSE(DS_EBADOP, CM_OP_ENTITY);
  for (int i = 0; i < op->nset; i++)
    if (op->set[i].field == e->commune_field)
      set_commune = &op->set[i].val;
  st->cvalid = false;
  rc = load_row(st, op->rid, &st->cid, &st->cblob);
  if (!rc && st->cid)
    rc = mstate_load(&st->cms, st->cblob.data, st->cblob.len);
  if (rc)
    return rc;
  /* mstate_load keeps pointers into cblob; store_apply swaps the buffer in
   * whole, so those bytes stay where the state will look for them. */
  memcpy(st->crid, op->rid, ID_LEN);
  st->cvalid = true;
  if (st->cid) {
    hex_encode(rid, op->rid, ID_LEN); /* for a refusal: only they name it */
    if (st->cms.ent != op->ent)
      return REFUSE(DS_EBADOP, CM_OP_WRONG_ENT, rid,
                    cmsg_ent_in(st->cms.ent, en), cmsg_ent_in(op->ent, en));
    if (value_of(&st->cms, e->commune_field, &have) || have.type != VAL_STR)
      return REFUSE(DS_EBADOP, CM_OP_NO_COMMUNE, rid);
    if (set_commune) {
      if (!value_equal(set_commune, &have))
        return REFUSE(DS_EFORBIDDEN, CM_OP_MOVE, rid);
      return REFUSE(DS_EBADOP, CM_OP_COMMUNE_FIXED, rid);
    }
    for (int i = 0; i < op->nset; i++)
      if (!schema_field_changes(e, op->set[i].field))
        return REFUSE(DS_EBADOP, CM_OP_FIXED, cmsg_ent_in(op->ent, en), rid);
    if (scope && (strlen(scope) != have.n || memcmp(scope, have.s, have.n)))
      return REFUSE(DS_EFORBIDDEN, CM_OP_SCOPE, rid, (int)have.n, have.s,
                    scope);
    copy_slug(commune, &have);
    return 0;
  }
  if (!set_commune) {
    hex_encode(rid, op->rid, ID_LEN);
    return REFUSE(DS_EBADOP, CM_OP_MISSING, rid);
  }
  for (int f = 0; f < e->nfields; f++) {
    int found = 0;
    if (!(e->fields[f].flags & FIELD_REQUIRED))
      continue;
    for (int i = 0; i < op->nset; i++)
      found |= op->set[i].field == f && op->set[i].val.type != VAL_NIL;
    if (!found)
      return REFUSE(DS_EBADOP, CM_OP_REQUIRED, e->fields[f].name,
                    cmsg_ent_in(op->ent, en));
  }
  if (set_commune->type != VAL_STR)
    return REFUSE(DS_EBADOP, CM_OP_COMMUNE_TEXT);
  if (scope && (strlen(scope) != set_commune->n ||
                memcmp(scope, set_commune->s, set_commune->n)))
    return REFUSE(DS_EFORBIDDEN, CM_OP_OTHER_COMMUNE, scope,
                  (int)set_commune->n, set_commune->s);
  if (known_communes) {
    bool known = false;
    rc = commune_known(st, set_commune, &known);
    if (rc)
      return rc;
    if (!known)
      return REFUSE(DS_EBADOP, CM_OP_UNKNOWN_COMMUNE, (int)set_commune->n,
                    set_commune->s);
  }
  copy_slug(commune, set_commune);
  return 0;
}
#undef REFUSE

/* ds_fold(text): the text with đ/Đ folded, as the search index holds it. */
static void fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  struct buf b;
  const char *t = (const char *)sqlite3_value_text(argv[0]);
  (void)argc;
  if (!t) {
    sqlite3_result_null(ctx);
    return;
  }
  buf_init(&b, 0);
  if (utf8_fold_dd(&b, t, (size_t)sqlite3_value_bytes(argv[0]))) {
    buf_cleanup(&b);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, b.data ? (char *)b.data : "", (int)b.len,
                      SQLITE_TRANSIENT);
  buf_cleanup(&b);
}
