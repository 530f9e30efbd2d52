/* SPDX-License-Identifier: MIT
 * The sync log's chain and signatures. */
#include "tests/cm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/synclog.h"
#include "tests/helpers.h"

/* With |prehash| the body's hash is made first, as the daemon does on
 * another thread; the chain must not tell the difference. */
static void append_signed(struct store *st, const uint8_t node[ID_LEN],
                          const uint8_t *sk, const char *body, bool prehash) {
  uint8_t sig[SYNCLOG_SIG_LEN], hash[SYNCLOG_HASH_LEN], bh[SYNCLOG_HASH_LEN];
  int64_t seq;
  crypto_sign_detached(sig, NULL, (const uint8_t *)body, strlen(body), sk);
  synclog_body_hash(body, strlen(body), bh);
  assert_int_equal(store_begin(st), 0);
  assert_int_equal(synclog_append(st, node, sig, 1000, body, strlen(body),
                                  prehash ? bh : NULL, &seq, hash),
                   0);
  assert_int_equal(store_commit(st), 0);
}

/* Node |node| enrolled with key |pk|, as the chain's signer. */
static void enrol(struct store *st, const uint8_t node[ID_LEN],
                  const uint8_t pk[crypto_sign_PUBLICKEYBYTES]) {
  sqlite3_stmt *s;
  sqlite3_prepare_v2(store_sqlite(st),
                     "INSERT INTO node(node, pubkey, commune, enrolled_ms) "
                     "VALUES (?1, ?2, 'hoa-an', 0)",
                     -1, &s, NULL);
  sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, pk, crypto_sign_PUBLICKEYBYTES, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(s), SQLITE_DONE);
  sqlite3_finalize(s);
}

static void test_synclog_verify_names_tampered_entry(void **state) {
  struct store *st = th_store();
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t node[ID_LEN] = {0x42}, h1[SYNCLOG_HASH_LEN], h2[SYNCLOG_HASH_LEN];
  char err[DS_ERRBUF_LEN];
  int64_t n, bad;
  (void)state;

  crypto_sign_keypair(pk, sk);
  enrol(st, node, pk);
  append_signed(st, node, sk, "first body", false);
  append_signed(st, node, sk, "second body", true);
  append_signed(st, node, sk, "third body", false);
  assert_int_equal(synclog_verify(st, &n, &bad, err), 0);
  assert_int_equal(n, 3);
  assert_int_equal(synclog_hash_at(st, 1, h1), 0);
  assert_int_equal(synclog_hash_at(st, 2, h2), 0);
  assert_memory_not_equal(h1, h2, SYNCLOG_HASH_LEN);
  assert_int_equal(synclog_hash_at(st, 4, h2), DS_ENOENT);
  /* One byte of entry 2's body changes. */
  assert_int_equal(sqlite3_exec(store_sqlite(st),
                                "UPDATE synclog SET body = "
                                "CAST('secund body' AS BLOB) WHERE seq = 2",
                                NULL, NULL, NULL),
                   0);
  assert_int_equal(synclog_verify(st, &n, &bad, err), DS_ECORRUPT);
  assert_int_equal(bad, 2);
  assert_non_null(strstr(err, "entry 2"));
  store_close(st);
}

/* Another file's log, attached as a schema: copied, counted, its head,
 * and scanned with each entry's node key (export and replay). */
static void test_synclog_attached_log(void **state) {
  struct store *st = th_store();
  sqlite3 *db = store_sqlite(st);
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t node[ID_LEN] = {0x42}, other[ID_LEN] = {0x43};
  uint8_t h2[SYNCLOG_HASH_LEN], got[SYNCLOG_HASH_LEN];
  struct synclog_scan sc;
  struct synclog_row r;
  int64_t n, last;
  (void)state;

  crypto_sign_keypair(pk, sk);
  enrol(st, node, pk);
  append_signed(st, node, sk, "first body", false);
  append_signed(st, node, sk, "second body", true);
  append_signed(st, other, sk, "a stranger's", false);
  assert_int_equal(sqlite3_exec(db,
                                "ATTACH ':memory:' AS x; CREATE TABLE x.node "
                                "AS SELECT * FROM main.node",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  assert_int_equal(synclog_copy_to(db, "x"), 0);
  assert_int_equal(synclog_count_in(db, "x", -1, &n), 0);
  assert_int_equal(n, 3);
  assert_int_equal(synclog_count_in(db, "x", 999, &n), 0);
  assert_int_equal(n, 0); /* every entry was received at 1000 */
  assert_int_equal(synclog_hash_at(st, 2, h2), 0);
  assert_int_equal(synclog_head_in(db, "x", 2, &last, got), 0);
  assert_int_equal(last, 3);
  assert_memory_equal(got, h2, SYNCLOG_HASH_LEN);
  assert_int_equal(synclog_scan_open(&sc, db, "x", -1), 0);
  assert_int_equal(synclog_scan_next(&sc, &r), 1);
  assert_int_equal(r.seq, 1);
  assert_memory_equal(r.node, node, ID_LEN);
  assert_int_equal(r.received_ms, 1000);
  assert_int_equal(r.len, strlen("first body"));
  assert_memory_equal(r.body, "first body", r.len);
  assert_non_null(r.pk);
  assert_memory_equal(r.pk, pk, sizeof(pk));
  assert_int_equal(synclog_scan_next(&sc, &r), 1);
  assert_int_equal(synclog_scan_next(&sc, &r), 1);
  assert_int_equal(r.seq, 3);
  assert_null(r.pk); /* not enrolled */
  assert_int_equal(synclog_scan_next(&sc, &r), 0);
  synclog_scan_close(&sc);
  /* A malformed entry is said as such. */
  assert_int_equal(
      sqlite3_exec(db, "UPDATE x.synclog SET sig = x'00'", NULL, NULL, NULL),
      SQLITE_OK);
  assert_int_equal(synclog_scan_open(&sc, db, "x", -1), 0);
  assert_int_equal(synclog_scan_next(&sc, &r), DS_ECORRUPT);
  synclog_scan_close(&sc);
  assert_int_not_equal(synclog_count_in(db, "nosuch", -1, &n), 0);
  store_close(st);
}

static int64_t head_indexes(struct store *st) {
  return th_count(st, "SELECT count(*) FROM sqlite_schema WHERE type = "
                      "'index' AND name = 'synclog_head'");
}

/* A district store of format 5 had no synclog_head: its first open adds
 * it, without a copy of the file (an access path, not a format), and the
 * chain goes on through it. A device store gets none. */
static void test_synclog_head_index_on_open(void **state) {
  char dir[] = "/tmp/test_synclog.XXXXXX", path[64], copy[80], err[256];
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t node[ID_LEN] = {0x42};
  struct store *st;
  int64_t n, bad;
  (void)state;

  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/district.db", dir);
  snprintf(copy, sizeof(copy), "%s.v5", path);
  assert_int_equal(store_open(&st, path, STORE_CREATE | STORE_DISTRICT, err),
                   0);
  assert_int_equal(head_indexes(st), 1);
  crypto_sign_keypair(pk, sk);
  enrol(st, node, pk);
  append_signed(st, node, sk, "first body", false);
  assert_int_equal(sqlite3_exec(store_sqlite(st), "DROP INDEX synclog_head",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  store_close(st);

  assert_int_equal(store_open(&st, path, 0, err), 0);
  assert_int_equal(head_indexes(st), 1);
  assert_int_not_equal(access(copy, F_OK), 0);
  append_signed(st, node, sk, "second body", true);
  assert_int_equal(synclog_verify(st, &n, &bad, err), 0);
  assert_int_equal(n, 2);
  store_close(st);

  snprintf(path, sizeof(path), "%s/device.db", dir);
  assert_int_equal(store_open(&st, path, STORE_CREATE, err), 0);
  assert_int_equal(head_indexes(st), 0);
  store_close(st);
  snprintf(copy, sizeof(copy), "rm -r %s", dir);
  assert_int_equal(system(copy), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_synclog_verify_names_tampered_entry),
      cmocka_unit_test(test_synclog_attached_log),
      cmocka_unit_test(test_synclog_head_index_on_open),
  };
  return cmocka_run_group_tests_name("synclog", tests, NULL, NULL);
}
