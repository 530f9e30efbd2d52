/* SPDX-License-Identifier: MIT
 * daemon/registry.c: the district's communes, tokens and nodes, on an
 * in-memory district store, and the head check's look-ups on a file. */
#include "tests/cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/meta.h"
#include "common/store.h"
#include "daemon/district.h"
#include "daemon/registry.h"
#include "tests/it_util.h"

static const char tsv[] = "slug\tname\tkind\n"
                          "hoa-an\tHòa An\txã\n"
                          "long-thanh\tLong Thạnh\txã\n";
static const uint8_t NA[ID_LEN] = {0x10, 1};
static const uint8_t NB[ID_LEN] = {0x20, 2};
static const uint8_t PK[32] = {7, 7, 7};

static struct store *memory_district(void) {
  struct store *st;
  char err[DS_ERRBUF_LEN];
  assert_int_equal(
      store_open(&st, ":memory:", STORE_CREATE | STORE_DISTRICT, err), 0);
  assert_int_equal(registry_communes_load(st, tsv, err), 0);
  return st;
}

struct seen {
  int n, stop_at;
  char first[64];
  struct registry_node node;
  struct registry_token token;
};

static int on_commune(void *arg, const char *slug, const char *name,
                      const char *kind) {
  struct seen *s = arg;
  (void)kind;
  if (!s->n++)
    snprintf(s->first, sizeof(s->first), "%s %s", slug, name);
  return s->n == s->stop_at ? 7 : 0;
}

static int on_node(void *arg, const struct registry_node *n) {
  struct seen *s = arg;
  s->node = *n;
  s->node.commune = s->node.label = NULL; /* valid in the call only */
  snprintf(s->first, sizeof(s->first), "%s|%s", n->commune, n->label);
  s->n++;
  return 0;
}

static int on_token(void *arg, const struct registry_token *t) {
  struct seen *s = arg;
  s->token = *t;
  s->n++;
  return 0;
}

static void test_registry_communes(void **state) {
  struct store *st = memory_district();
  struct seen s = {0};
  char err[DS_ERRBUF_LEN];
  bool known;
  int n;
  (void)state;

  assert_int_equal(registry_commune_count(st, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(registry_communes_each(st, on_commune, &s), 0);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.first, "hoa-an Hòa An");
  /* A callback's non-zero ends the scan and is returned. */
  memset(&s, 0, sizeof(s));
  s.stop_at = 1;
  assert_int_equal(registry_communes_each(st, on_commune, &s), 7);
  assert_int_equal(s.n, 1);
  assert_int_equal(registry_commune_known(st, "long-thanh", &known), 0);
  assert_true(known);
  assert_int_equal(registry_commune_known(st, "nowhere", &known), 0);
  assert_false(known);
  /* A repeated commune names its line; nothing is added. */
  assert_int_equal(registry_communes_load(st, tsv, err), DS_EINVAL);
  assert_non_null(strstr(err, "line 2"));
  store_close(st);
}

static void test_registry_nodes(void **state) {
  struct store *st = memory_district();
  struct seen s = {0};
  int n;
  (void)state;

  assert_int_equal(registry_node_add(st, NA, PK, 32, "hoa-an", "máy 1", 100),
                   0);
  assert_int_equal(registry_node_add(st, NB, PK, 32, "long-thanh", "", 200), 0);
  assert_int_equal(registry_node_add(st, NA, PK, 32, "hoa-an", "again", 300),
                   DS_EEXIST);
  assert_int_equal(registry_nodes_each(st, NULL, NULL, on_node, &s), 0);
  assert_int_equal(s.n, 2);
  /* One node by its id range: every column as stored. */
  memset(&s, 0, sizeof(s));
  assert_int_equal(registry_nodes_each(st, NA, NA, on_node, &s), 0);
  assert_int_equal(s.n, 1);
  assert_memory_equal(s.node.node, NA, ID_LEN);
  assert_string_equal(s.first, "hoa-an|máy 1");
  assert_int_equal(s.node.enrolled_ms, 100);
  assert_int_equal(s.node.last_sync_ms, 0);
  assert_int_equal(s.node.revoked_ms, 0);
  /* Revoked once: the first time stays. */
  assert_int_equal(registry_node_revoke(st, NA, NA, 1234, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(registry_node_revoke(st, NA, NA, 5678, &n), 0);
  memset(&s, 0, sizeof(s));
  assert_int_equal(registry_nodes_each(st, NA, NA, on_node, &s), 0);
  assert_int_equal(s.node.revoked_ms, 1234);
  /* The district's own node (named by its meta key) is revoked only by a
   * key rotation, never by node revoke. */
  assert_int_equal(meta_set(st, META_DISTRICT_NODE, NB, ID_LEN), 0);
  assert_int_equal(registry_node_revoke(st, NB, NB, 99, &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(registry_district_node_revoke(st, 4321), 0);
  memset(&s, 0, sizeof(s));
  assert_int_equal(registry_nodes_each(st, NB, NB, on_node, &s), 0);
  assert_int_equal(s.node.revoked_ms, 4321);
  store_close(st);
}

/* The keys of the district's revoked nodes, the latest revoked first: its
 * own node's before each rotation and a device enrolled for the district
 * itself, never a commune device's key. */
static void test_registry_former_district_keys(void **state) {
  static const uint8_t N1[ID_LEN] = {0x31}, N2[ID_LEN] = {0x32},
                       N3[ID_LEN] = {0x33}, N4[ID_LEN] = {0x34}, K1[32] = {1},
                       K2[32] = {2}, K3[32] = {3}, K4[32] = {4};
  struct store *st = memory_district();
  struct buf keys;
  int n;
  (void)state;

  buf_init(&keys, 0);
  assert_int_equal(registry_former_district_keys(st, &keys), 0);
  assert_int_equal(keys.len, 0);
  assert_int_equal(registry_node_add(st, NA, PK, 32, "hoa-an", "", 10), 0);
  assert_int_equal(registry_node_revoke(st, NA, NA, 20, &n), 0);
  assert_int_equal(registry_node_add(st, N1, K1, 32, "district", "", 10), 0);
  assert_int_equal(meta_set(st, META_DISTRICT_NODE, N1, ID_LEN), 0);
  assert_int_equal(registry_district_node_revoke(st, 100), 0);
  assert_int_equal(registry_node_add(st, N2, K2, 32, "district", "", 100), 0);
  assert_int_equal(meta_set(st, META_DISTRICT_NODE, N2, ID_LEN), 0);
  assert_int_equal(registry_district_node_revoke(st, 200), 0);
  assert_int_equal(registry_node_add(st, N3, K3, 32, "district", "", 200), 0);
  assert_int_equal(meta_set(st, META_DISTRICT_NODE, N3, ID_LEN), 0);
  assert_int_equal(registry_node_add(st, N4, K4, 32, "district", "", 120), 0);
  assert_int_equal(registry_node_revoke(st, N4, N4, 150, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(registry_former_district_keys(st, &keys), 0);
  assert_int_equal(keys.len, 96);
  assert_memory_equal(keys.data, K2, 32);
  assert_memory_equal(keys.data + 32, K4, 32);
  assert_memory_equal(keys.data + 64, K1, 32);
  buf_cleanup(&keys);
  store_close(st);
}

/* A node as an export holds it, against the store's: id, key and commune
 * all the same, or not ours. */
static void test_registry_node_same(void **state) {
  static const uint8_t K2[32] = {2};
  struct store *st = memory_district();
  bool same;
  (void)state;

  assert_int_equal(registry_node_add(st, NA, PK, 32, "hoa-an", "", 10), 0);
  assert_int_equal(
      registry_node_same(st, NA, ID_LEN, PK, 32, "hoa-an", 6, &same), 0);
  assert_true(same);
  assert_int_equal(
      registry_node_same(st, NA, ID_LEN, PK, 32, "tan-long", 8, &same), 0);
  assert_false(same);
  assert_int_equal(
      registry_node_same(st, NA, ID_LEN, K2, 32, "hoa-an", 6, &same), 0);
  assert_false(same);
  assert_int_equal(
      registry_node_same(st, NA, ID_LEN, PK, 31, "hoa-an", 6, &same), 0);
  assert_false(same);
  assert_int_equal(
      registry_node_same(st, NB, ID_LEN, PK, 32, "hoa-an", 6, &same), 0);
  assert_false(same);
  /* A column an export held as another type comes as NULL. */
  assert_int_equal(
      registry_node_same(st, NA, ID_LEN, NULL, 0, "hoa-an", 6, &same), 0);
  assert_false(same);
  store_close(st);
}

static void test_registry_tokens(void **state) {
  struct store *st = memory_district();
  uint8_t live[32] = {0xab, 0xcd, 0xef, 0x01, 9}, old[32] = {0x11, 2};
  struct seen s = {0};
  int n;
  (void)state;

  assert_int_equal(registry_token_add(st, live, "hoa-an", "a", 100, 1000), 0);
  assert_int_equal(registry_token_add(st, old, "hoa-an", "b", 10, 50), 0);
  /* At 500 only the unexpired one is listed, by its public id. */
  assert_int_equal(registry_tokens_each(st, 500, on_token, &s), 0);
  assert_int_equal(s.n, 1);
  assert_memory_equal(s.token.id, live, 4);
  assert_int_equal(s.token.expires_ms, 1000);
  assert_int_equal(registry_token_cancel(st, live, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(registry_token_cancel(st, live, &n), 0);
  assert_int_equal(n, 0);
  memset(&s, 0, sizeof(s));
  assert_int_equal(registry_tokens_each(st, 0, on_token, &s), 0);
  assert_int_equal(s.n, 1); /* the expired one, still there */
  store_close(st);
}

/* The head check's look-ups need a file; a store in memory has none. */
static void test_registry_keys(void **state) {
  struct store *st = memory_district(), *fst;
  struct registry_keys *k = NULL;
  enum registry_node_state ns;
  enum registry_token_state ts;
  uint8_t tok[32] = {0x5a}, pk[32] = {0};
  char path[512], err[DS_ERRBUF_LEN];
  int n;
  (void)state;

  assert_int_equal(registry_keys_open(&k, st), DS_EINVAL);
  assert_null(k);
  store_close(st);
  snprintf(path, sizeof(path), "%s/keys.db", it_tmpdir());
  assert_int_equal(district_create(&fst, path, NULL, err), 0);
  assert_int_equal(registry_node_add(fst, NA, PK, 32, "hoa-an", "", 1), 0);
  assert_int_equal(registry_node_add(fst, NB, PK, 31, "hoa-an", "", 1), 0);
  assert_int_equal(registry_token_add(fst, tok, "hoa-an", "", 1, 1000), 0);
  assert_int_equal(registry_keys_open(&k, fst), 0);
  assert_int_equal(registry_keys_node(k, NA, pk, &ns), 0);
  assert_int_equal(ns, REG_NODE_KNOWN);
  assert_memory_equal(pk, PK, 32);
  /* A key of the wrong length is a broken store, not a stranger. */
  assert_int_equal(registry_keys_node(k, NB, pk, &ns), DS_ECORRUPT);
  assert_int_equal(registry_keys_node(k, tok, pk, &ns), 0);
  assert_int_equal(ns, REG_NODE_UNKNOWN);
  /* Another connection's revocation is seen at once. */
  assert_int_equal(registry_node_revoke(fst, NA, NA, 5, &n), 0);
  assert_int_equal(registry_keys_node(k, NA, pk, &ns), 0);
  assert_int_equal(ns, REG_NODE_REVOKED);
  assert_int_equal(registry_keys_token(k, tok, 500, &ts), 0);
  assert_int_equal(ts, REG_TOKEN_OK);
  assert_int_equal(registry_keys_token(k, tok, 2000, &ts), 0);
  assert_int_equal(ts, REG_TOKEN_EXPIRED);
  assert_int_equal(registry_keys_token(k, PK, 500, &ts), 0);
  assert_int_equal(ts, REG_TOKEN_BAD);
  registry_keys_close(k);
  store_close(fst);
}

static int count_key(void *arg, const uint8_t *node, size_t nlen,
                     const uint8_t *pk, size_t pklen, const char *commune,
                     size_t clen) {
  struct seen *sn = arg;
  assert_int_equal(nlen, ID_LEN);
  assert_int_equal(pklen, sizeof(PK));
  assert_memory_equal(pk, PK, sizeof(PK));
  if (sn->n++ == 0) {
    memcpy(sn->node.node, node, ID_LEN);
    snprintf(sn->first, sizeof(sn->first), "%.*s", (int)clen, commune);
  }
  return sn->n == sn->stop_at ? 42 : 0;
}

/* Another store's communes and nodes, attached as a schema: copied out (a
 * log export), in (a replay, revocations last), and the keys in order. */
static void test_registry_attached(void **state) {
  struct store *st = memory_district(), *dst = NULL;
  char err[DS_ERRBUF_LEN];
  struct seen sn = {0};
  sqlite3 *db = store_sqlite(st);
  int n = 0;
  (void)state;

  assert_int_equal(
      registry_node_add(st, NB, PK, sizeof(PK), "long-thanh", "b", 2000), 0);
  assert_int_equal(
      registry_node_add(st, NA, PK, sizeof(PK), "hoa-an", "a", 1000), 0);
  assert_int_equal(registry_node_revoke(st, NB, NB, 5000, &n), 0);
  assert_int_equal(sqlite3_exec(db, "ATTACH ':memory:' AS x", NULL, NULL, NULL),
                   SQLITE_OK);
  assert_int_equal(registry_copy_to(db, "x"), 0);
  assert_int_equal(registry_node_keys_in(db, "x", count_key, &sn), 0);
  assert_int_equal(sn.n, 2);
  assert_memory_equal(sn.node.node, NA, ID_LEN); /* in node order */
  assert_string_equal(sn.first, "hoa-an");
  sn.n = 0;
  sn.stop_at = 1;
  assert_int_equal(registry_node_keys_in(db, "x", count_key, &sn), 42);
  assert_int_equal(sn.n, 1);
  /* Into a new district: nobody revoked until the revocations come. */
  assert_int_equal(
      store_open(&dst, ":memory:", STORE_CREATE | STORE_DISTRICT, err), 0);
  assert_int_equal(sqlite3_exec(db, "DETACH x", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(store_sqlite(dst), "ATTACH ':memory:' AS src",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_exec(store_sqlite(dst),
                                "CREATE TABLE src.commune AS SELECT 'hoa-an' "
                                "AS slug, 'Hòa An' AS name, 'xã' AS kind;"
                                "CREATE TABLE src.node(node, pubkey, commune, "
                                "label, enrolled_ms, revoked_ms);",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  {
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(store_sqlite(dst),
                                        "INSERT INTO src.node VALUES (?1, ?2, "
                                        "'hoa-an', 'a', 1000, 7000)",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(q, 1, NA, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(q, 2, PK, sizeof(PK), SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
  }
  assert_int_equal(registry_copy_from(store_sqlite(dst), "src"), 0);
  memset(&sn, 0, sizeof(sn));
  assert_int_equal(registry_nodes_each(dst, NULL, NULL, on_node, &sn), 0);
  assert_int_equal(sn.n, 1);
  assert_int_equal(sn.node.revoked_ms, 0);
  assert_int_equal(registry_revocations_from(store_sqlite(dst), "src"), 0);
  memset(&sn, 0, sizeof(sn));
  assert_int_equal(registry_nodes_each(dst, NULL, NULL, on_node, &sn), 0);
  assert_int_equal(sn.node.revoked_ms, 7000);
  store_close(dst);
  store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry_communes),
      cmocka_unit_test(test_registry_nodes),
      cmocka_unit_test(test_registry_former_district_keys),
      cmocka_unit_test(test_registry_node_same),
      cmocka_unit_test(test_registry_tokens),
      cmocka_unit_test(test_registry_keys),
      cmocka_unit_test(test_registry_attached),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
