/* SPDX-License-Identifier: MIT
 * The merge engine through the store: winners, the status rule, conflicts,
 * late arrivals, idempotence, the digest's exact form, and op checks. */
#include "tests/cm.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/hex.h"
#include "common/merge.h"
#include "common/store.h"
#include "tests/helpers.h"

static const uint8_t RID[ID_LEN] = {0x01, 0x93, 1, 2, 3, 4,  0x70, 5,
                                    0x80, 6,    7, 8, 9, 10, 11,   12};
static const uint8_t NA[ID_LEN] = {0xaa};
static const uint8_t NB[ID_LEN] = {0xbb};
static const uint8_t NC[ID_LEN] = {0xcc};

static int setup(void **state) {
  *state = th_store();
  return 0;
}

static int teardown(void **state) {
  store_close(*state);
  return 0;
}

static void winner_text(struct store *st, const char *sql, char *out,
                        size_t cap) {
  sqlite3_stmt *s;
  out[0] = '\0';
  assert_int_equal(sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL), 0);
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
    snprintf(out, cap, "%s", sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
}

static void test_merge_concurrent_writes_conflict_and_resolve(void **state) {
  struct store *st = *state;
  struct op op;
  char v[100];

  th_petition(&op, RID, NA, 100, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  th_op_init(&op, ENT_PETITION, RID, NA, 200, 2);
  th_set_str(&op, "response", "A");
  assert_int_equal(th_apply(st, &op), 0);
  th_op_init(&op, ENT_PETITION, RID, NB, 150, 1);
  th_set_str(&op, "response", "B");
  assert_int_equal(th_apply(st, &op), 0);
  winner_text(st, "SELECT response FROM petition", v, sizeof(v));
  assert_string_equal(v, "A");
  assert_int_equal(th_count(st, "SELECT count(*) FROM conflict"), 1);
  assert_int_equal(th_count(st, "SELECT conflicted FROM rec"), 1);
  /* An admin keeps B: a write that names both open versions. */
  th_op_init(&op, ENT_PETITION, RID, NC, 300, 1);
  th_set_str(&op, "response", "B");
  th_base(&op, 200, NA);
  th_base(&op, 150, NB);
  assert_int_equal(th_apply(st, &op), 0);
  winner_text(st, "SELECT response FROM petition", v, sizeof(v));
  assert_string_equal(v, "B");
  assert_int_equal(th_count(st, "SELECT count(*) FROM conflict"), 0);
}

static void test_merge_status_progress_beats_newer_clock(void **state) {
  struct store *st = *state;
  struct op op;
  char v[100];

  th_petition(&op, RID, NA, 100, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  th_op_init(&op, ENT_PETITION, RID, NA, 200, 2);
  th_set_status(&op, 0, "resolved");
  th_base(&op, 100, NA);
  assert_int_equal(th_apply(st, &op), 0);
  th_op_init(&op, ENT_PETITION, RID, NB, 900, 1); /* later, concurrent */
  th_set_status(&op, 0, "in_progress");
  th_base(&op, 100, NA);
  assert_int_equal(th_apply(st, &op), 0);
  winner_text(st, "SELECT status FROM petition", v, sizeof(v));
  assert_string_equal(v, "resolved");
  /* Two open statuses are not a conflict: the lattice orders them (#17). */
  assert_int_equal(th_count(st, "SELECT count(*) FROM conflict"), 0);
  assert_int_equal(th_count(st, "SELECT conflicted FROM rec"), 0);
  /* Reopening starts generation 1, which beats all of generation 0. */
  {
    char err[DS_ERRBUF_LEN];
    th_op_init(&op, ENT_PETITION, RID, NA, 300, 3);
    th_set_status(&op, 1, "received");
    th_base(&op, 200, NA);
    th_base(&op, 900, NB); /* a writer cannot have seen a later version */
    assert_int_equal(op_check(&op, err), DS_EBADOP);
  }
  th_op_init(&op, ENT_PETITION, RID, NA, 1000, 3);
  th_set_status(&op, 1, "received");
  th_base(&op, 200, NA);
  th_base(&op, 900, NB);
  assert_int_equal(th_apply(st, &op), 0);
  winner_text(st, "SELECT status FROM petition", v, sizeof(v));
  assert_string_equal(v, "received");
  assert_int_equal(th_count(st, "SELECT count(*) FROM conflict"), 0);
}

static void test_merge_late_write_never_enters(void **state) {
  struct store *st = *state, *other = th_store();
  struct op create, a, b;
  struct buf s1, s2;

  th_petition(&create, RID, NA, 100, "hoa-an");
  th_op_init(&a, ENT_PETITION, RID, NA, 200, 2);
  th_set_str(&a, "response", "first");
  th_op_init(&b, ENT_PETITION, RID, NB, 300, 1);
  th_set_str(&b, "response", "second, having seen first");
  th_base(&b, 200, NA);
  /* Order 1: create, a, b. Order 2: b, create, a, a (a repeated). */
  assert_int_equal(th_apply(st, &create), 0);
  assert_int_equal(th_apply(st, &a), 0);
  assert_int_equal(th_apply(st, &b), 0);
  assert_int_equal(th_apply(other, &b), 0);
  assert_int_equal(th_apply(other, &create), 0);
  assert_int_equal(th_apply(other, &a), 0);
  assert_int_equal(th_apply(other, &a), 0);
  buf_init(&s1, 0);
  buf_init(&s2, 0);
  th_state(st, &s1);
  th_state(other, &s2);
  assert_int_equal(buf_cstr(&s1), 0);
  assert_int_equal(buf_cstr(&s2), 0);
  assert_string_equal((char *)s1.data, (char *)s2.data);
  assert_int_equal(th_count(other, "SELECT count(*) FROM conflict"), 0);
  buf_cleanup(&s1);
  buf_cleanup(&s2);
  store_close(other);
}

static void test_merge_entity_mismatch_is_refused(void **state) {
  struct store *st = *state;
  struct op op;

  th_petition(&op, RID, NA, 100, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  th_op_init(&op, ENT_MEETING, RID, NA, 200, 2);
  th_set_str(&op, "note", "x");
  assert_int_equal(th_apply(st, &op), DS_EBADOP);
}

static void test_digest_empty_and_exact_lines(void **state) {
  struct store *st = *state;
  const char *lines;
  uint8_t h[32];
  char want[65], got[65];
  struct op op;

  assert_int_equal(store_digest(st, NULL, got), 0);
  assert_string_equal(
      got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  th_op_init(&op, ENT_MEETING, RID, NA, 0x1234, 1);
  th_set_int(&op, "attendees", 42);
  th_set_str(&op, "commune", "hoa-an");
  th_set_str(&op, "held_on", "2024-03-01");
  assert_int_equal(th_apply(st, &op), 0);
  th_petition(&op, RID, NA, 0x10, "hoa-an");
  op.rid[15] = 99;
  assert_int_equal(th_apply(st, &op), 0);
  lines = "meeting\t01930102030470058006070809"
          "0a0b0c\tattendees\t"
          "0000000000001234:aa000000000000000000000000000000\t2a\n"
          "meeting\t019301020304700580060708090a0b0c\tcommune\t"
          "0000000000001234:aa000000000000000000000000000000\ta6686f612d616e\n"
          "meeting\t019301020304700580060708090a0b0c\theld_on\t"
          "0000000000001234:aa000000000000000000000000000000\t"
          "aa323032342d30332d3031\n";
  crypto_hash_sha256(h, (const uint8_t *)lines, strlen(lines));
  hex_encode(want, h, 32);
  assert_int_equal(store_digest(st, "nope", got), 0);
  assert_string_equal(
      got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  /* The petition's status line carries gen:rank. Check the meeting alone
   * by removing the petition from the comparison: digest of commune
   * 'hoa-an' has both, so compare the meeting through a second store. */
  {
    struct store *m = th_store();
    th_op_init(&op, ENT_MEETING, RID, NA, 0x1234, 1);
    th_set_int(&op, "attendees", 42);
    th_set_str(&op, "commune", "hoa-an");
    th_set_str(&op, "held_on", "2024-03-01");
    assert_int_equal(th_apply(m, &op), 0);
    assert_int_equal(store_digest(m, "hoa-an", got), 0);
    assert_string_equal(got, want);
    store_close(m);
  }
}

static void test_digest_status_version_has_gen_and_rank(void **state) {
  struct store *st = *state;
  uint8_t h[32];
  char want[65], got[65], line[300];
  struct op op;

  th_op_init(&op, ENT_PETITION, RID, NA, 0x20, 1);
  th_set_status(&op, 2, "answered");
  assert_int_equal(th_apply(st, &op), 0);
  snprintf(line, sizeof(line),
           "petition\t019301020304700580060708090a0b0c\tstatus\t2:3:"
           "0000000000000020:aa000000000000000000000000000000\t"
           "9202a8616e737765726564\n");
  crypto_hash_sha256(h, (const uint8_t *)line, strlen(line));
  hex_encode(want, h, 32);
  assert_int_equal(store_digest(st, NULL, got), 0);
  assert_string_equal(got, want);
}

/* Rows of the district's commune table, as SQL values. */
static void add_communes(struct store *st, const char *values) {
  char sql[256];
  snprintf(sql, sizeof(sql), "INSERT INTO commune VALUES %s", values);
  assert_int_equal(sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL), 0);
}

static void test_check_op_rules(void **state) {
  struct store *st = *state;
  char err[DS_ERRBUF_LEN];
  struct op op;

  add_communes(st, "('hoa-an','Hòa An','xã'),('hoa-my','Hòa Mỹ','xã')");
  th_petition(&op, RID, NA, 100, "tan-long");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), DS_EBADOP);
  assert_non_null(strstr(err, "unknown commune"));
  th_petition(&op, RID, NA, 100, "hoa-an");
  assert_int_equal(store_check_op(st, &op, "hoa-my", true, NULL, err),
                   DS_EFORBIDDEN);
  assert_int_equal(store_check_op(st, &op, "hoa-an", true, NULL, err), 0);
  op.nset = 2; /* commune and received_on only */
  assert_int_equal(store_check_op(st, &op, "hoa-an", true, NULL, err),
                   DS_EBADOP);
  assert_non_null(strstr(err, "field 'category' is required"));
  th_petition(&op, RID, NA, 100, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  th_op_init(&op, ENT_PETITION, RID, NB, 200, 1);
  th_set_str(&op, "commune", "hoa-my");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err),
                   DS_EFORBIDDEN);
  th_op_init(&op, ENT_PETITION, RID, NB, 200, 1);
  th_set_str(&op, "response", "ok");
  assert_int_equal(store_check_op(st, &op, "hoa-my", true, NULL, err),
                   DS_EFORBIDDEN);
  assert_int_equal(store_check_op(st, &op, "hoa-an", true, NULL, err), 0);
  th_op_init(&op, ENT_MEETING, RID, NB, 200, 1);
  th_set_str(&op, "note", "x");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), DS_EBADOP);
  /* A survey cannot change after creation. */
  {
    uint8_t sid[ID_LEN] = {9};
    th_op_init(&op, ENT_SURVEY, sid, NA, 100, 1);
    th_set_str(&op, "commune", "hoa-an");
    th_set_int(&op, "overall", 4);
    th_set_str(&op, "service", "land");
    th_set_str(&op, "taken_on", "2024-03-01");
    assert_int_equal(store_check_op(st, &op, "hoa-an", true, NULL, err), 0);
    assert_int_equal(th_apply(st, &op), 0);
    th_op_init(&op, ENT_SURVEY, sid, NA, 200, 2);
    th_set_int(&op, "overall", 1);
    assert_int_equal(store_check_op(st, &op, "hoa-an", true, NULL, err),
                     DS_EBADOP);
    assert_non_null(strstr(err, "cannot be changed"));
  }
}

/* Inside a transaction the last known commune is remembered: an unknown one
 * after it is still refused, and a commune added and rolled back is
 * forgotten with its row. */
static void test_check_op_commune_in_txn(void **state) {
  struct store *st = *state;
  uint8_t rid2[ID_LEN];
  char err[DS_ERRBUF_LEN];
  struct op op;

  memcpy(rid2, RID, ID_LEN);
  rid2[15] = 0xee;
  add_communes(st, "('hoa-an','Hòa An','xã')");
  assert_int_equal(store_begin(st), 0);
  th_petition(&op, RID, NA, 100, "hoa-an");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), 0);
  th_petition(&op, rid2, NA, 101, "hoa-a");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), DS_EBADOP);
  assert_non_null(strstr(err, "unknown commune"));
  th_petition(&op, rid2, NA, 101, "hoa-ann");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), DS_EBADOP);
  th_petition(&op, rid2, NA, 101, "hoa-an");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), 0);
  add_communes(st, "('tan-long','Tân Long','xã')");
  th_petition(&op, rid2, NA, 101, "tan-long");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), 0);
  store_rollback(st);
  assert_int_equal(store_begin(st), 0);
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), DS_EBADOP);
  assert_non_null(strstr(err, "unknown commune"));
  /* The daemon's way: a savepoint per request, rolled back on refusal. */
  assert_int_equal(store_savepoint(st), 0);
  add_communes(st, "('tan-long','Tân Long','xã')");
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), 0);
  store_rollback_part(st);
  assert_int_equal(store_check_op(st, &op, NULL, true, NULL, err), DS_EBADOP);
  assert_non_null(strstr(err, "unknown commune"));
  store_rollback(st);
}

static void test_resolve_prefixes(void **state) {
  struct store *st = *state;
  uint8_t rid2[ID_LEN], got[ID_LEN];
  char err[DS_ERRBUF_LEN];
  struct op op;

  memcpy(rid2, RID, ID_LEN);
  rid2[15] = 0xee;
  th_petition(&op, RID, NA, 100, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  th_petition(&op, rid2, NA, 101, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  assert_int_equal(store_resolve(st, -1, "01930102", got, err), DS_EAMBIGUOUS);
  assert_non_null(strstr(err, "019301020304700580060708090a0bee"));
  assert_int_equal(store_resolve(st, ENT_PETITION,
                                 "019301020304700580060708090a0bee", got, err),
                   0);
  assert_memory_equal(got, rid2, ID_LEN);
  assert_int_equal(store_resolve(st, ENT_MEETING, "01930102", got, err),
                   DS_ENOENT);
  assert_int_equal(store_resolve(st, -1, "0193", got, err), DS_EINVAL);
}

static void test_search_ignores_diacritics(void **state) {
  struct store *st = *state;
  struct op op;

  th_petition(&op, RID, NA, 100, "hoa-an");
  th_set_str(&op, "citizen", "Nguyễn Văn Ấn");
  assert_int_equal(th_apply(st, &op), 0);
  assert_int_equal(store_search_refresh(st), 0);
  assert_int_equal(th_count(st,
                            "SELECT count(*) FROM search WHERE search MATCH "
                            "'\"nguyen\" \"van\" \"an\"'"),
                   1);
  assert_int_equal(
      th_count(st, "SELECT count(*) FROM search WHERE search MATCH '\"dien\"'"),
      1);
  assert_int_equal(
      th_count(st, "SELECT count(*) FROM search WHERE search MATCH '\"nuoc\"'"),
      0);
}

/* The index follows new records without marks, changed ones (citizen,
 * content, hamlet) through search_dirty, and a forgotten record whose row
 * id comes back. */
static void test_search_follows_new_changed_and_forgotten(void **state) {
  struct store *st = *state;
  static const char q_an[] =
      "SELECT count(*) FROM search WHERE search MATCH '\"an\"'";
  static const char q_binh[] =
      "SELECT count(*) FROM search WHERE search MATCH '\"binh\"'";
  uint8_t rid2[ID_LEN];
  struct mresult res;
  struct op op;

  memcpy(rid2, RID, ID_LEN);
  rid2[15] = 0xee;
  th_petition(&op, RID, NA, 100, "hoa-an");
  th_set_str(&op, "citizen", "Văn Ấn");
  assert_int_equal(th_apply(st, &op), 0);
  assert_int_equal(store_search_refresh(st), 0);
  assert_int_equal(th_count(st, q_an), 1);
  assert_int_equal(th_count(st, "SELECT count(*) FROM search_dirty"), 0);
  /* A second record, created after the refresh: no mark, still found. */
  th_petition(&op, rid2, NA, 101, "hoa-an");
  th_set_str(&op, "citizen", "Văn Ấn");
  assert_int_equal(th_apply(st, &op), 0);
  assert_int_equal(th_count(st, "SELECT count(*) FROM search_dirty"), 0);
  assert_int_equal(store_search_refresh(st), 0);
  assert_int_equal(th_count(st, q_an), 2);
  /* Changing the text of an indexed record marks it. */
  memset(&op, 0, sizeof(op));
  op.ent = ENT_PETITION;
  memcpy(op.rid, RID, ID_LEN);
  memcpy(op.node, NA, ID_LEN);
  op.hlc = 200;
  th_set_str(&op, "citizen", "Thị Bình");
  assert_int_equal(th_apply(st, &op), 0);
  assert_int_equal(th_count(st, "SELECT count(*) FROM search_dirty"), 1);
  assert_int_equal(store_search_refresh(st), 0);
  assert_int_equal(th_count(st, q_an), 1);
  assert_int_equal(th_count(st, q_binh), 1);
  /* So does its hamlet (issue #17). */
  op.hlc = 201;
  op.nset = 0;
  th_set_str(&op, "hamlet", "Ấp Tân Long");
  assert_int_equal(th_apply(st, &op), 0);
  assert_int_equal(th_count(st, "SELECT count(*) FROM search_dirty"), 1);
  assert_int_equal(store_search_refresh(st), 0);
  assert_int_equal(th_count(st,
                            "SELECT count(*) FROM search WHERE search MATCH "
                            "'\"tan\" AND \"long\" AND \"binh\"'"),
                   1);
  /* The newest record forgotten and rebuilt gets its row id again. */
  assert_int_equal(store_begin(st), 0);
  assert_int_equal(store_forget(st, rid2), 0);
  th_petition(&op, rid2, NA, 101, "hoa-an");
  th_set_str(&op, "citizen", "Văn Ấn");
  assert_int_equal(store_apply(st, &op, &res), 0);
  assert_int_equal(store_commit(st), 0);
  assert_int_equal(store_search_refresh(st), 0);
  assert_int_equal(th_count(st, q_an), 1);
  assert_int_equal(th_count(st, q_binh), 1);
  assert_int_equal(th_count(st, "SELECT count(*) FROM search"), 2);
}

/* The state blob: a reload saves the same bytes, every field's winner read
 * straight from the blob is the loaded state's, each shared version is
 * stored once, and every truncation is refused as corrupt. */
static void test_state_blob_round_trip(void **state) {
  struct store *st = *state;
  struct mstate a, b;
  struct buf blob, again;
  struct op op;

  mstate_init(&a);
  mstate_init(&b);
  buf_init(&blob, 0);
  buf_init(&again, 0);
  th_petition(&op, RID, NA, 100, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  th_op_init(&op, ENT_PETITION, RID, NA, 200, 2);
  th_set_str(&op, "response", "A");
  th_set_status(&op, 1, "answered");
  assert_int_equal(th_apply(st, &op), 0);
  th_op_init(&op, ENT_PETITION, RID, NB, 150, 1);
  th_set_str(&op, "response", "B");
  th_base(&op, 100, NA);
  assert_int_equal(th_apply(st, &op), 0);
  assert_int_equal(store_load(st, RID, &a, &blob), 0);
  assert_int_equal(mstate_save(&a, &again), 0);
  assert_int_equal(again.len, blob.len);
  assert_memory_equal(again.data, blob.data, blob.len);
  /* Three versions in all ([100 A], [200 A], [150 B]), each stored once:
   * past the table, a write costs its value and a few bytes. */
  {
    size_t bound = 3 + 3 * (8 + ID_LEN);
    for (int f = 0; f < SCHEMA_MAX_FIELDS; f++) {
      bound += a.f[f].nopen || a.f[f].nnamed ? 3 : 0;
      for (uint32_t k = 0; k < a.f[f].nopen; k++)
        bound += 2 + a.f[f].open[k].len;
      bound += a.f[f].nnamed;
    }
    assert_true(blob.len <= bound);
  }
  for (int f = 0; f < SCHEMA_MAX_FIELDS; f++) {
    const struct mwrite *w = mstate_winner(&a, f);
    struct mwrite got;
    int rc = mstate_blob_winner(blob.data, blob.len, f, &got);
    if (!w) {
      assert_int_equal(rc, DS_ENOENT);
      continue;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(version_cmp(&got.v, &w->v), 0);
    assert_int_equal(got.len, w->len);
    assert_memory_equal(got.val, w->val, w->len);
  }
  for (size_t n = 0; n < blob.len; n++) {
    struct mwrite w;
    assert_int_equal(mstate_load(&b, blob.data, n), DS_ECORRUPT);
    (void)!mstate_blob_winner(blob.data, n, SCHEMA_MAX_FIELDS - 1, &w);
  }
  mstate_cleanup(&a);
  mstate_cleanup(&b);
  buf_cleanup(&blob);
  buf_cleanup(&again);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_merge_concurrent_writes_conflict_and_resolve),
      T(test_merge_status_progress_beats_newer_clock),
      T(test_merge_late_write_never_enters),
      T(test_merge_entity_mismatch_is_refused),
      T(test_digest_empty_and_exact_lines),
      T(test_digest_status_version_has_gen_and_rank),
      T(test_check_op_rules),
      T(test_check_op_commune_in_txn),
      T(test_resolve_prefixes),
      T(test_search_ignores_diacritics),
      T(test_search_follows_new_changed_and_forgotten),
      T(test_state_blob_round_trip),
  };
  return cmocka_run_group_tests_name("merge", tests, NULL, NULL);
}
