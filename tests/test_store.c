/* SPDX-License-Identifier: MIT
 * The store's modules on their own: SQLite codes translated once (db),
 * each role's tables (store), the outbox and inbox rows (device), typed
 * meta keys (meta), and upgrades from format 3 (migrate), on in-memory
 * databases or files in a mkdtemp directory. */
#include "tests/cm.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/db.h"
#include "common/device.h"
#include "common/meta.h"
#include "common/migrate.h"
#include "common/store.h"
#include "tests/helpers.h"

static struct store *open_mem(unsigned role) {
  struct store *st = NULL;
  char err[DS_ERRBUF_LEN];
  assert_int_equal(store_open(&st, ":memory:", STORE_CREATE | role, err), 0);
  return st;
}

static bool has_table(struct store *st, const char *name) {
  bool yes = false;
  assert_int_equal(db_has_table(store_sqlite(st), name, &yes), 0);
  return yes;
}

/* main()'s first call, before SQLite did anything. */
static int init_rc = -1;

/* db_init_process as the programs' main() calls it: accepted, memory not
 * counted afterwards; a second call, SQLite now running, is refused. */
static void test_store_db_init_process(void **state) {
  sqlite3 *db;
  (void)state;
  assert_int_equal(init_rc, 0);
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  assert_int_equal(db_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"),
                   0);
  assert_int_equal(sqlite3_memory_used(), 0);
  sqlite3_close(db);
  assert_int_equal(db_init_process(), DS_EUNAVAIL);
}

static void test_store_db_translate_once(void **state) {
  (void)state;
  assert_int_equal(db_translate(SQLITE_OK), 0);
  assert_int_equal(db_translate(SQLITE_ROW), 0);
  assert_int_equal(db_translate(SQLITE_DONE), 0);
  assert_int_equal(db_translate(SQLITE_BUSY), DS_EBUSY);
  assert_int_equal(db_translate(SQLITE_BUSY_SNAPSHOT), DS_EBUSY);
  assert_int_equal(db_translate(SQLITE_LOCKED), DS_EBUSY);
  assert_int_equal(db_translate(SQLITE_NOMEM), DS_ENOMEM);
  assert_int_equal(db_translate(SQLITE_CONSTRAINT_UNIQUE), DS_EEXIST);
  assert_int_equal(db_translate(SQLITE_CORRUPT), DS_ECORRUPT);
  assert_int_equal(db_translate(SQLITE_NOTADB), DS_ECORRUPT);
  assert_int_equal(db_translate(SQLITE_IOERR_FSYNC), DS_EUNAVAIL);
  assert_int_equal(db_translate(SQLITE_FULL), DS_EUNAVAIL);
}

/* A statement that does not prepare is an error, not an empty result. */
static void test_store_db_failed_prepare_is_error(void **state) {
  static int marker;
  sqlite3_stmt *const mark = (sqlite3_stmt *)(void *)&marker;
  struct store *st = open_mem(0);
  sqlite3_stmt *s = mark;
  (void)state;
  assert_int_equal(db_prepare(store_sqlite(st), "SELECT * FROM nosuch", &s),
                   DS_EUNAVAIL);
  assert_ptr_equal(s, mark); /* untouched */
  assert_int_equal(db_prepare(store_sqlite(st), "SELECT 1", &s), 0);
  assert_int_equal(db_step(s), 1);
  assert_int_equal(db_step(s), 0);
  sqlite3_finalize(s);
  store_close(st);
}

/* Blob reads: a missing row is DS_ENOENT, through the one translation. */
static void test_store_db_blob(void **state) {
  struct store *st = open_mem(0);
  sqlite3 *db = store_sqlite(st);
  sqlite3_blob *b = NULL;
  char got[4] = "";
  (void)state;
  assert_int_equal(db_exec(db,
                           "CREATE TABLE t(v BLOB);"
                           "INSERT INTO t(rowid, v) VALUES (1, x'61626364'),"
                           " (3, NULL);"),
                   0);
  assert_int_equal(db_blob_open(db, "t", "v", 2, &b), DS_ENOENT);
  assert_null(b);
  assert_int_equal(db_blob_open(db, "t", "v", 1, &b), 0);
  assert_int_equal(db_blob_read(b, got, 2, 1), 0);
  assert_memory_equal(got, "bc", 2);
  assert_int_not_equal(db_blob_read(b, got, 4, 2), 0); /* past its end */
  /* Moving the open handle to a row without one closes it. */
  assert_int_equal(db_blob_open(db, "t", "v", 3, &b), DS_ENOENT);
  assert_null(b);
  store_close(st);
}

static void test_store_each_role_has_its_own_tables(void **state) {
  struct store *dev = open_mem(0), *dis = open_mem(STORE_DISTRICT);
  uint8_t rid[ID_LEN] = {1};
  struct device_iter *it = NULL;
  uint64_t next;
  (void)state;

  assert_true(store_is_device(dev));
  assert_false(store_is_district(dev));
  assert_true(has_table(dev, "outbox") && has_table(dev, "inbox"));
  assert_false(has_table(dev, "synclog") || has_table(dev, "node") ||
               has_table(dev, "oplog") || has_table(dev, "commune"));
  assert_true(store_is_district(dis));
  assert_false(store_is_device(dis));
  assert_true(has_table(dis, "synclog") && has_table(dis, "quarantine"));
  assert_false(has_table(dis, "outbox") || has_table(dis, "inbox"));
  /* Both have the records. */
  assert_true(has_table(dev, "rec") && has_table(dis, "rec"));
  /* The other role's operations are refused, not storage errors. */
  assert_int_equal(store_outbox_add(dis, 1, 1, rid, "x", 1), DS_EINVAL);
  assert_int_equal(store_next_seq(dis, &next), DS_EINVAL);
  assert_int_equal(device_iter_open(dis, DEVICE_OUTBOX_AFTER, 0, 0, NULL, &it),
                   DS_EINVAL);
  assert_null(it);
  assert_int_equal(device_inbox_add(dis, rid, 1, rid, 1, "x", 1), DS_EINVAL);
  store_close(dev);
  store_close(dis);
}

static void test_store_device_scans(void **state) {
  struct store *st = open_mem(0);
  uint8_t a[ID_LEN] = {0xaa}, b[ID_LEN] = {0xbb}, other[ID_LEN] = {0x77};
  struct device_iter *it;
  struct device_row row;
  uint64_t seqs[8], hlc;
  char op[8];
  int n = 0, rc;
  (void)state;

  assert_int_equal(store_begin(st), 0);
  for (int i = 1; i <= 5; i++) {
    snprintf(op, sizeof(op), "op%d", i);
    assert_int_equal(store_outbox_add(st, (uint64_t)i, (uint64_t)(10 * i),
                                      i % 2 ? a : b, op, strlen(op)),
                     0);
  }
  /* Pulled twice: kept once. */
  assert_int_equal(device_inbox_add(st, a, 25, other, 7, "in7", 3), 0);
  assert_int_equal(device_inbox_add(st, a, 25, other, 7, "in7", 3), 0);
  assert_int_equal(store_commit(st), 0);
  assert_int_equal(th_count(st, "SELECT count(*) FROM inbox"), 1);

  /* A batch after seq 2, at most 2 ops. */
  assert_int_equal(device_iter_open(st, DEVICE_OUTBOX_AFTER, 2, 2, NULL, &it),
                   0);
  while ((rc = device_iter_next(it, &row)) == 1)
    seqs[n++] = row.seq;
  assert_int_equal(rc, 0);
  device_iter_close(it);
  assert_int_equal(n, 2);
  assert_int_equal(seqs[0], 3);
  assert_int_equal(seqs[1], 4);

  /* Record a's history: outbox 1, 3, 5 and the pulled op, by clock. */
  assert_int_equal(device_iter_open(st, DEVICE_HISTORY, 0, 0, a, &it), 0);
  n = 0;
  while ((rc = device_iter_next(it, &row)) == 1) {
    seqs[n++] = row.hlc;
    assert_true(row.pulled == (row.hlc == 25));
  }
  device_iter_close(it);
  assert_int_equal(n, 4);
  assert_int_equal(seqs[0], 10);
  assert_int_equal(seqs[1], 25);
  assert_int_equal(seqs[3], 50);

  /* Records touched after seq 3: a (5) and b (4); their held ops. */
  assert_int_equal(device_iter_open(st, DEVICE_RIDS_AFTER, 3, 0, NULL, &it), 0);
  n = 0;
  while (device_iter_next(it, &row) == 1)
    n++;
  device_iter_close(it);
  assert_int_equal(n, 2);
  assert_int_equal(
      device_iter_open(st, DEVICE_OPS_OF_RIDS_AFTER, 4, 0, NULL, &it), 0);
  n = 0;
  while (device_iter_next(it, &row) == 1)
    n++;
  device_iter_close(it);
  assert_int_equal(n, 4); /* a's three outbox ops and its pulled one */

  /* A restamp rewrites one op; the highest clock up to a seq. */
  assert_int_equal(store_begin(st), 0);
  assert_int_equal(device_outbox_restamp(st, 2, 99, "new", 3), 0);
  assert_int_equal(store_commit(st), 0);
  assert_int_equal(device_outbox_max_hlc(st, 3, &hlc), 0);
  assert_int_equal(hlc, 99);
  assert_int_equal(device_outbox_max_hlc(st, 0, &hlc), 0);
  assert_int_equal(hlc, 0);
  store_close(st);
}

static void test_store_meta_typed_keys(void **state) {
  struct store *st = open_mem(0);
  uint8_t node[ID_LEN] = {9}, back[ID_LEN], small[4];
  char text[8];
  int64_t v = 0;
  (void)state;

  assert_string_equal(meta_name(META_ACKED), "acked");
  assert_string_equal(meta_name(META_DISTRICT_NODE), "district_node");
  assert_int_equal(meta_get_int(st, META_ACKED, &v), DS_ENOENT);
  assert_int_equal(meta_int_or_0(st, META_ACKED), 0);
  assert_int_equal(meta_set_int(st, META_ACKED, 42), 0);
  assert_int_equal(meta_int_or_0(st, META_ACKED), 42);
  assert_int_equal(th_count(st, "SELECT v FROM meta WHERE k = 'acked'"), 42);
  assert_int_equal(meta_set(st, META_NODE, node, ID_LEN), 0);
  assert_int_equal(meta_get_exact(st, META_NODE, back, ID_LEN), 0);
  assert_memory_equal(back, node, ID_LEN);
  assert_int_equal(meta_get_exact(st, META_NODE, small, sizeof(small)),
                   DS_ECORRUPT);
  /* The same through a schema name (another store a replay attached). */
  memset(back, 0, sizeof(back));
  assert_int_equal(
      meta_get_exact_in(store_sqlite(st), "main", META_NODE, back, ID_LEN), 0);
  assert_memory_equal(back, node, ID_LEN);
  assert_int_equal(meta_get_exact_in(store_sqlite(st), "main", META_NODE, small,
                                     sizeof(small)),
                   DS_ECORRUPT);
  assert_int_equal(
      meta_get_exact_in(store_sqlite(st), "main", META_PK, back, ID_LEN),
      DS_ENOENT);
  assert_int_equal(meta_set(st, META_SERVER, "https://quan", 12), 0);
  assert_int_equal(meta_get_str(st, META_SERVER, text, sizeof(text)), 0);
  assert_string_equal(text, "https:/"); /* cut to fit */
  store_close(st);
}

/* Fixture: a directory, and a format-3 store built from the checked-in
 * schema. */
struct fx {
  char dir[64], path[96], copy[104];
};

static void build_v3(const char *path, const char *extra) {
  FILE *f = fopen(DS_SOURCE_DIR "/tests/store_v3.sql", "r");
  char sql[16384];
  size_t n;
  sqlite3 *db;

  assert_non_null(f);
  n = fread(sql, 1, sizeof(sql) - 1, f);
  fclose(f);
  assert_true(n > 0 && n < sizeof(sql) - 1);
  sql[n] = '\0';
  close(creat(path, 0600)); /* private before SQLite opens it */
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, extra, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
}

static int fx_setup(void **state) {
  struct fx *fx = calloc(1, sizeof(*fx));
  if (!fx)
    return -1;
  snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_store.XXXXXX");
  if (!mkdtemp(fx->dir))
    return -1;
  snprintf(fx->path, sizeof(fx->path), "%s/s.db", fx->dir);
  snprintf(fx->copy, sizeof(fx->copy), "%s.v3", fx->path);
  *state = fx;
  return 0;
}

static int fx_teardown(void **state) {
  struct fx *fx = *state;
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
  if (system(cmd) != 0)
    return -1;
  free(fx);
  return 0;
}

static int file_version(const char *path) {
  sqlite3 *db;
  int v = -1;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                   SQLITE_OK);
  assert_int_equal(db_user_version(db, &v), 0);
  sqlite3_close(db);
  return v;
}

static void test_store_migrate_device_from_3(void **state) {
  struct fx *fx = *state;
  char err[DS_ERRBUF_LEN];
  struct store *st = NULL;
  struct stat sb;
  uint64_t next;

  build_v3(fx->path,
           "INSERT INTO meta VALUES ('node', x'0102');"
           "INSERT INTO outbox(seq, hlc, rid, op) VALUES (1, 5, x'aa', x'01'),"
           " (2, 6, x'aa', x'02');"
           "UPDATE outbox SET error = 'bad_op' WHERE seq = 2;"
           /* A row where a device never writes one: kept, not dropped. */
           "INSERT INTO commune VALUES ('hoa-an', 'Hòa An', 'xã');");
  assert_int_equal(file_version(fx->path), 3);
  assert_int_equal(store_open(&st, fx->path, 0, err), 0);
  assert_int_equal(file_version(fx->path), STORE_FORMAT);
  /* The copy: private, the old format, the old rows. */
  assert_int_equal(stat(fx->copy, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  assert_int_equal(file_version(fx->copy), 3);
  /* The device's tables and rows stay; the district's empty ones go. */
  assert_int_equal(th_count(st, "SELECT count(*) FROM outbox"), 2);
  assert_int_equal(
      th_count(st, "SELECT count(*) FROM outbox WHERE error = 'bad_op'"), 1);
  assert_int_equal(store_next_seq(st, &next), 0);
  assert_int_equal(next, 3);
  assert_false(has_table(st, "synclog") || has_table(st, "oplog") ||
               has_table(st, "node") || has_table(st, "token"));
  assert_true(has_table(st, "commune"));
  store_close(st);
  /* A second open changes nothing and copies nothing. */
  assert_int_equal(unlink(fx->copy), 0);
  assert_int_equal(store_open(&st, fx->path, 0, err), 0);
  store_close(st);
  assert_int_not_equal(access(fx->copy, F_OK), 0);
}

static void test_store_migrate_district_from_3(void **state) {
  struct fx *fx = *state;
  char err[DS_ERRBUF_LEN];
  struct store *st = NULL;

  build_v3(fx->path, "INSERT INTO meta VALUES ('district_node', x'0102');"
                     "INSERT INTO commune VALUES ('hoa-an', 'Hòa An', 'xã');");
  assert_int_equal(store_open(&st, fx->path, 0, err), 0);
  assert_true(store_is_district(st));
  assert_false(store_is_device(st));
  assert_false(has_table(st, "outbox") || has_table(st, "inbox"));
  assert_int_equal(th_count(st, "SELECT count(*) FROM commune"), 1);
  store_close(st);
  assert_int_equal(file_version(fx->copy), 3);
}

static void test_store_migrate_refuses_newer(void **state) {
  struct fx *fx = *state;
  char err[DS_ERRBUF_LEN];
  struct store *st = NULL;

  build_v3(fx->path, "PRAGMA user_version = 9");
  assert_int_equal(store_open(&st, fx->path, 0, err), DS_EVERSION);
  assert_null(st);
  /* Said in the chosen language (Vietnamese by default). */
  assert_non_null(
      strstr(err, getenv("DANSYNC_LANG") ? "format version 9" : "định dạng 9"));
  assert_int_equal(file_version(fx->path), 9);
  assert_int_not_equal(access(fx->copy, F_OK), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_store_db_init_process),
      cmocka_unit_test(test_store_db_translate_once),
      cmocka_unit_test(test_store_db_failed_prepare_is_error),
      cmocka_unit_test(test_store_db_blob),
      cmocka_unit_test(test_store_each_role_has_its_own_tables),
      cmocka_unit_test(test_store_device_scans),
      cmocka_unit_test(test_store_meta_typed_keys),
      cmocka_unit_test_setup_teardown(test_store_migrate_device_from_3,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_store_migrate_district_from_3,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_store_migrate_refuses_newer,
                                      fx_setup, fx_teardown),
  };
  init_rc = db_init_process();
  return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
