/* SPDX-License-Identifier: MIT
 * The daemon's request path in process: group commit. Requests merged in one
 * transaction each run in a savepoint, so one refused midway (after its body
 * was logged and some of its ops merged) leaves no trace while the others of
 * its group are stored. Devices are enrolled with the real dansyncd. */
#include "tests/cm.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/clock.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "daemon/district.h"
#include "daemon/ingest.h"
#include "daemon/oplog.h"
#include "proto/codec.h"
#include "tests/helpers.h"
#include "tests/it_util.h"

struct fx {
  char db[512];
  struct store *st;
  struct ingest *ing;
  struct buf body;
  char key[65];
  bool predecode; /* as serve does: decoded and checked before the writer */
};

static int setup(void **state) {
  static int n;
  struct fx *f = calloc(1, sizeof(*f));
  char err[DS_ERRBUF_LEN];
  snprintf(f->db, sizeof(f->db), "%s/g%d.db", it_tmpdir(), ++n);
  assert_int_equal(district_create(&f->st, f->db, NULL, err), 0);
  assert_int_equal(ingest_open(&f->ing, f->st), 0);
  buf_init(&f->body, 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  ingest_close(f->ing);
  store_close(f->st);
  buf_cleanup(&f->body);
  free(f);
  return 0;
}

/* |n| new petitions of |commune| from |dev|, the last one |ahead_ms| in
 * the future. */
static void petitions(struct op *ops, int n, struct it_device *dev,
                      const char *commune, uint64_t ahead_ms) {
  for (int i = 0; i < n; i++) {
    uint8_t rid[ID_LEN];
    uint64_t ms = clock_now_ms() + (i == n - 1 ? ahead_ms : 0);
    id_uuidv7(rid, clock_now_ms());
    th_petition(&ops[i], rid, dev->node, HLC_FROM_MS(ms), commune);
    ops[i].seq = ++dev->seq;
  }
}

/* Signs and ingests one request as the daemon would receive it. */
static int ingest(struct fx *f, struct it_device *dev, struct op *ops, int n,
                  struct ingest_res *rs) {
  struct ingest_req rq;

  it_request(&f->body, dev, ops, n, 0);
  memset(&rq, 0, sizeof(rq));
  rq.body = f->body.data;
  rq.len = f->body.len;
  rq.has_node = rq.has_sig = true;
  memcpy(rq.node, dev->node, ID_LEN);
  crypto_sign_detached(rq.sig, NULL, rq.body, rq.len, dev->sk);
  hex_encode(f->key, dev->pk, 32);
  rq.token = dev->token;
  rq.key_hex = f->key;
  rq.received_ms = clock_now_ms();
  rq.max_skew_ms = 60000;
  ingest_res_cleanup(rs);
  ingest_res_init(rs);
  if (f->predecode)
    ingest_req_decode(&rq);
  assert_int_equal(ingest_sync(f->ing, &rq, rs), 0);
  ingest_req_release(&rq);
  assert_null(rq.pre);
  return rs->status;
}

static void test_a_refused_request_leaves_its_group_intact(void **state) {
  struct fx *f = *state;
  struct it_device a, b, c;
  struct ingest_res rs;
  struct op ops[3];
  char hex[ID_HEX_LEN + 1], sql[128];

  it_device_new(&a, f->db, "hoa-an");
  it_device_new(&b, f->db, "hoa-an");
  it_device_new(&c, f->db, "hoa-an");
  ingest_res_init(&rs);
  assert_int_equal(ingest_group_begin(f->ing), 0);
  petitions(ops, 2, &a, "hoa-an", 0);
  assert_int_equal(ingest(f, &a, ops, 2, &rs), 200);
  /* b enrols, its body is logged and two ops merge before the third is
   * found an hour ahead: the whole request is refused. */
  petitions(ops, 3, &b, "hoa-an", 3600 * 1000);
  assert_int_equal(ingest(f, &b, ops, 3, &rs), 409);
  assert_string_equal(rs.error, "clock_skew");
  petitions(ops, 1, &c, "hoa-an", 0);
  assert_int_equal(ingest(f, &c, ops, 1, &rs), 200);
  assert_int_equal(ingest_group_commit(f->ing), 0);

  assert_int_equal(th_count(f->st, "SELECT count(*) FROM rec"), 3);
  /* One oplog row per request, each op with a position. */
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM oplog"), 2);
  assert_int_equal(th_count(f->st, "SELECT sum(n) FROM oplog"), 3);
  assert_int_equal(th_count(f->st, "SELECT sum(length(rids)) FROM oplog"),
                   3 * ID_LEN);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM synclog"), 2);
  assert_int_equal(
      th_count(f->st, "SELECT count(*) FROM node WHERE commune = 'hoa-an'"), 2);
  assert_int_equal(
      th_count(f->st, "SELECT count(*) FROM token WHERE node IS NOT NULL"), 2);

  /* Outside a group, b's token still enrols it and its request stands. */
  b.seq = 0;
  petitions(ops, 2, &b, "hoa-an", 0);
  assert_int_equal(ingest(f, &b, ops, 2, &rs), 200);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM rec"), 5);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM synclog"), 3);
  hex_encode(hex, b.node, ID_LEN);
  snprintf(sql, sizeof(sql), "SELECT acked FROM node WHERE node = x'%s'", hex);
  assert_int_equal(th_count(f->st, sql), 2);
  ingest_res_cleanup(&rs);
}

static void test_a_group_that_is_not_committed_stores_nothing(void **state) {
  struct fx *f = *state;
  struct it_device a;
  struct ingest_res rs;
  struct op ops[2];

  it_device_new(&a, f->db, "hoa-an");
  ingest_res_init(&rs);
  assert_int_equal(ingest_group_begin(f->ing), 0);
  petitions(ops, 2, &a, "hoa-an", 0);
  assert_int_equal(ingest(f, &a, ops, 2, &rs), 200);
  /* What the server does when the group's commit fails. */
  store_rollback(f->st);
  assert_int_equal(ingest_res_unavailable(&rs, DS_EUNAVAIL), 0);
  assert_int_equal(rs.status, 503);
  assert_int_equal(rs.merged, 0);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM rec"), 0);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM synclog"), 0);
  /* The group's transaction is gone: a request still in that group is
   * refused rather than committed on its own. */
  petitions(ops, 1, &a, "hoa-an", 0);
  assert_int_equal(ingest(f, &a, ops, 1, &rs), 503);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM rec"), 0);
  assert_int_not_equal(ingest_group_commit(f->ing), 0);
  ingest_res_cleanup(&rs);
}

/* Pulls one page of |limit| after |*cursor| as |dev|, moving the cursor;
 * returns the number of ops. */
static uint32_t page(struct oplog *ol, const struct it_device *dev,
                     uint64_t *cursor, uint8_t hash[32], uint32_t limit,
                     struct buf *ops, bool *more) {
  struct oplog_page pg;
  assert_int_equal(oplog_pull(ol, dev->node, "hoa-an", *cursor,
                              *cursor ? hash : NULL, limit, ops, &pg),
                   0);
  *cursor = pg.cursor;
  assert_true(pg.has_cursor_hash);
  memcpy(hash, pg.cursor_hash, 32);
  *more = pg.more;
  return pg.nops;
}

/* A request's five ops are one oplog row; pages of two cut it at op
 * positions, and together they are the one page of all five. A record's
 * history reads its ops back, with node and receive time, in order. */
/* A request decoded and checked before the writer merges as one decoded
 * by the writer; an op that fails its checks there is still quarantined,
 * named, and acked. */
static void test_a_request_decoded_before_the_writer(void **state) {
  struct fx *f = *state;
  const struct entity_def *e = schema_entity(ENT_PETITION);
  struct it_device a;
  struct ingest_res rs;
  struct op ops[3];
  bool bad = false;

  f->predecode = true;
  it_device_new(&a, f->db, "hoa-an");
  ingest_res_init(&rs);
  petitions(ops, 2, &a, "hoa-an", 0);
  assert_int_equal(ingest(f, &a, ops, 2, &rs), 200);
  assert_int_equal(rs.merged, 2);
  assert_int_equal(rs.quarantined, 0);
  petitions(ops, 3, &a, "hoa-an", 0);
  for (int k = 0; k < ops[1].nset && !bad; k++) {
    struct op_field *of = &ops[1].set[k];
    if (e->fields[of->field].type == FT_TEXT && of->val.type == VAL_STR) {
      of->val.s = "\xff\xfe";
      of->val.n = 2;
      bad = true;
    }
  }
  assert_true(bad);
  assert_int_equal(ingest(f, &a, ops, 3, &rs), 200);
  assert_int_equal(rs.merged, 2);
  assert_int_equal(rs.quarantined, 1);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM quarantine"), 1);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM rec"), 4);
  assert_int_equal(th_count(f->st, "SELECT max(acked) FROM node"), 5);
  ingest_res_cleanup(&rs);
}

static void test_pages_cut_a_request_by_ops(void **state) {
  struct fx *f = *state;
  struct it_device a, b;
  struct ingest_res rs;
  struct op ops[5];
  struct oplog *ol;
  struct oplog_iter it;
  struct oplog_entry e;
  struct buf one, paged;
  uint8_t hash[32], rid[ID_LEN];
  uint64_t cursor = 0;
  bool more = true;
  uint32_t n = 0;

  it_device_new(&a, f->db, "hoa-an");
  it_device_new(&b, f->db, "hoa-an");
  ingest_res_init(&rs);
  buf_init(&one, 0);
  buf_init(&paged, 0);
  petitions(ops, 5, &a, "hoa-an", 0);
  memcpy(rid, ops[2].rid, ID_LEN);
  assert_int_equal(ingest(f, &a, ops, 5, &rs), 200);
  assert_int_equal(th_count(f->st, "SELECT count(*) FROM oplog"), 1);
  assert_int_equal(oplog_open(&ol, store_sqlite(f->st)), 0);

  assert_int_equal(page(ol, &b, &cursor, hash, 10, &one, &more), 5);
  assert_false(more);
  assert_int_equal(cursor, 5);
  cursor = 0;
  for (int i = 0; i < 3; i++) {
    uint32_t got = page(ol, &b, &cursor, hash, 2, &paged, &more);
    assert_int_equal(got, i < 2 ? 2 : 1);
    assert_int_equal(more, i < 2);
    assert_int_equal(cursor, i < 2 ? 2 * (i + 1) : 5);
    n += got;
  }
  assert_int_equal(n, 5);
  assert_int_equal(paged.len, one.len);
  assert_memory_equal(paged.data, one.data, one.len);
  /* A cursor with a hash the log does not hold starts over. */
  hash[0] ^= 1;
  cursor = 3;
  assert_int_equal(page(ol, &b, &cursor, hash, 10, &paged, &more), 5);
  /* The writer pulls nothing of its own. */
  cursor = 0;
  assert_int_equal(page(ol, &a, &cursor, hash, 10, &paged, &more), 0);
  assert_int_equal(cursor, 5);

  /* b edits the third petition: its history is the creation, then b's. */
  memset(&ops[0], 0, sizeof(ops[0]));
  ops[0].ent = ENT_PETITION;
  memcpy(ops[0].rid, rid, ID_LEN);
  memcpy(ops[0].node, b.node, ID_LEN);
  ops[0].hlc = HLC_FROM_MS(clock_now_ms());
  ops[0].seq = ++b.seq;
  th_set_str(&ops[0], "citizen", "Lê Văn Tám");
  assert_int_equal(ingest(f, &b, ops, 1, &rs), 200);
  assert_int_equal(oplog_history_open(&it, store_sqlite(f->st), rid), 0);
  assert_int_equal(oplog_iter_next(&it, &e), 1);
  assert_int_equal(e.pos, 3);
  assert_memory_equal(e.node, a.node, ID_LEN);
  assert_string_equal(e.commune, "hoa-an");
  assert_true(e.received_ms > 0 && e.len > 0);
  assert_int_equal(oplog_iter_next(&it, &e), 1);
  assert_int_equal(e.pos, 6);
  assert_memory_equal(e.node, b.node, ID_LEN);
  assert_int_equal(oplog_iter_next(&it, &e), 0);
  oplog_iter_close(&it);

  oplog_close(ol);
  buf_cleanup(&one);
  buf_cleanup(&paged);
  ingest_res_cleanup(&rs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_a_refused_request_leaves_its_group_intact, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_a_group_that_is_not_committed_stores_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_request_decoded_before_the_writer,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_pages_cut_a_request_by_ops, setup,
                                      teardown),
  };
  int rc;
  if (sodium_init() < 0)
    return 1;
  rc = cmocka_run_group_tests_name("test_ingest", tests, NULL, NULL);
  it_tmp_cleanup();
  return rc;
}
