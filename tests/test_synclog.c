/* SPDX-License-Identifier: MIT
 * The sync log's chain and signatures. */
#include "tests/cm.h"

#include <stdbool.h>
#include <string.h>

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

static void test_synclog_verify_names_tampered_entry(void **state) {
  struct store *st = th_store();
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t node[ID_LEN] = {0x42}, h1[SYNCLOG_HASH_LEN], h2[SYNCLOG_HASH_LEN];
  char err[DS_ERRBUF_LEN];
  int64_t n, bad;
  sqlite3_stmt *s;
  (void)state;

  crypto_sign_keypair(pk, sk);
  sqlite3_prepare_v2(store_sqlite(st),
                     "INSERT INTO node(node, pubkey, commune, enrolled_ms) "
                     "VALUES (?1, ?2, 'hoa-an', 0)",
                     -1, &s, NULL);
  sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, pk, sizeof(pk), SQLITE_STATIC);
  assert_int_equal(sqlite3_step(s), SQLITE_DONE);
  sqlite3_finalize(s);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_synclog_verify_names_tampered_entry),
  };
  return cmocka_run_group_tests_name("synclog", tests, NULL, NULL);
}
