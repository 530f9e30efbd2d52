/* SPDX-License-Identifier: MIT
 * helpers.c -- unit-test helpers. */
#include "tests/helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/hex.h"
#include "tests/cm.h"

void th_op_init(struct op *op, int ent, const uint8_t rid[ID_LEN],
                const uint8_t node[ID_LEN], uint64_t hlc, uint64_t seq) {
  memset(op, 0, sizeof(*op));
  op->ent = ent;
  memcpy(op->rid, rid, ID_LEN);
  memcpy(op->node, node, ID_LEN);
  op->hlc = hlc;
  op->seq = seq;
}

static struct op_field *add(struct op *op, const char *field) {
  const struct entity_def *e = schema_entity(op->ent);
  struct op_field *of = &op->set[op->nset++];
  of->field = schema_field_find(e, field, strlen(field));
  if (of->field < 0) {
    fprintf(stderr, "helpers: no field %s\n", field);
    abort();
  }
  of->base_off = op->nbase;
  of->nbase = 0;
  return of;
}

void th_set_str(struct op *op, const char *field, const char *s) {
  struct op_field *of = add(op, field);
  of->val.type = VAL_STR;
  of->val.s = s;
  of->val.n = strlen(s);
}

void th_set_int(struct op *op, const char *field, int64_t i) {
  struct op_field *of = add(op, field);
  of->val.type = VAL_INT;
  of->val.i = i;
}

void th_set_bool(struct op *op, const char *field, int b) {
  struct op_field *of = add(op, field);
  of->val.type = VAL_BOOL;
  of->val.i = b;
}

void th_set_status(struct op *op, int64_t gen, const char *name) {
  struct op_field *of = add(op, "status");
  of->val.type = VAL_STATUS;
  of->val.i = gen;
  of->val.s = name;
  of->val.n = strlen(name);
}

void th_base(struct op *op, uint64_t hlc, const uint8_t node[ID_LEN]) {
  struct version *v = &op->base[op->nbase++];
  v->hlc = hlc;
  memcpy(v->node, node, ID_LEN);
  op->set[op->nset - 1].nbase++;
}

void th_petition(struct op *op, const uint8_t rid[ID_LEN],
                 const uint8_t node[ID_LEN], uint64_t hlc,
                 const char *commune) {
  th_op_init(op, ENT_PETITION, rid, node, hlc, 1);
  th_set_str(op, "commune", commune);
  th_set_str(op, "received_on", "2024-03-15");
  th_set_str(op, "category", "electricity");
  th_set_str(op, "content", "Đường điện ấp 3 chập chờn");
  th_set_status(op, 0, "received");
}

struct store *th_store(void) {
  struct store *st = NULL;
  char err[DS_ERRBUF_LEN];
  if (store_open(&st, ":memory:", STORE_CREATE | STORE_DISTRICT, err)) {
    fprintf(stderr, "helpers: %s\n", err);
    abort();
  }
  return st;
}

int th_apply(struct store *st, const struct op *op) {
  struct mresult res;
  int rc = store_begin(st);
  if (rc)
    return rc;
  rc = store_apply(st, op, &res);
  if (rc) {
    store_rollback(st);
    return rc;
  }
  return store_commit(st);
}

void th_state(struct store *st, struct buf *out) {
  sqlite3 *db = store_sqlite(st);
  sqlite3_stmt *s;
  char hex[65];
  int rc;

  if (store_digest(st, NULL, hex))
    abort();
  if (buf_printf(out, "digest %s\n", hex))
    abort();
  if (sqlite3_prepare_v2(db,
                         "SELECT hex(rid) || '/' || field FROM conflict "
                         "ORDER BY rid, field",
                         -1, &s, NULL) != SQLITE_OK)
    abort();
  while ((rc = sqlite3_step(s)) == SQLITE_ROW)
    if (buf_printf(out, "conflict %s\n", sqlite3_column_text(s, 0)))
      abort();
  if (rc != SQLITE_DONE)
    abort();
  sqlite3_finalize(s);
  if (sqlite3_prepare_v2(db, "SELECT hex(rid), hex(st) FROM rec ORDER BY rid",
                         -1, &s, NULL) != SQLITE_OK)
    abort();
  while ((rc = sqlite3_step(s)) == SQLITE_ROW)
    if (buf_printf(out, "rec %s %s\n", sqlite3_column_text(s, 0),
                   sqlite3_column_text(s, 1)))
      abort();
  if (rc != SQLITE_DONE)
    abort();
  sqlite3_finalize(s);
}

int64_t th_count(struct store *st, const char *sql) {
  sqlite3_stmt *s;
  int64_t n = -1;
  assert_int_equal(sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL),
                   SQLITE_OK);
  if (sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return n;
}
