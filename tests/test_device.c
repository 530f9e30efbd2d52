/* SPDX-License-Identifier: MIT
 * The device's own tables as `status` and `sync` read them (common/device.c):
 * the outbox's counts, the inbox's last row, and the records behind the
 * unsynced, rejected and pulled rows with their titles. A scan that cannot
 * run is an error, never an empty list (issue #17). */
#include "tests/cm.h"

#include <stdio.h>
#include <string.h>

#include "common/device.h"
#include "common/store.h"
#include "tests/helpers.h"

static struct store *open_mem(unsigned role) {
  struct store *st = NULL;
  char err[DS_ERRBUF_LEN];
  assert_int_equal(store_open(&st, ":memory:", STORE_CREATE | role, err), 0);
  return st;
}

/* Petitions a and b made here (ops 1..4: a, b, a, b), a rejected (op 2 of
 * b), and one op of c pulled from another node. */
static struct store *fixture(uint8_t a[ID_LEN], uint8_t b[ID_LEN],
                             uint8_t c[ID_LEN]) {
  static const uint8_t me[ID_LEN] = {1}, other[ID_LEN] = {2};
  struct store *st = open_mem(0);
  struct op op;
  memset(a, 0xaa, ID_LEN);
  memset(b, 0xbb, ID_LEN);
  memset(c, 0xcc, ID_LEN);
  th_petition(&op, a, me, 10, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  th_petition(&op, b, me, 11, "hoa-an");
  th_set_str(&op, "citizen", "x"); /* the title is the content */
  assert_int_equal(th_apply(st, &op), 0);
  th_petition(&op, c, other, 12, "hoa-an");
  assert_int_equal(th_apply(st, &op), 0);
  assert_int_equal(store_begin(st), 0);
  for (int i = 1; i <= 4; i++)
    assert_int_equal(store_outbox_add(st, (uint64_t)i, (uint64_t)(10 + i),
                                      i % 2 ? a : b, "op", 2),
                     0);
  assert_int_equal(store_outbox_reject(st, 2, "forbidden", "not yours"), 0);
  assert_int_equal(device_inbox_add(st, c, 12, other, 1, "in", 2), 0);
  assert_int_equal(store_commit(st), 0);
  return st;
}

static void test_device_counts(void **state) {
  uint8_t a[ID_LEN], b[ID_LEN], c[ID_LEN];
  struct store *st = fixture(a, b, c);
  struct device_counts n;
  int64_t last = -1;
  (void)state;
  assert_int_equal(device_outbox_counts(st, 1, &n), 0);
  assert_int_equal(n.total, 4);
  assert_int_equal(n.queued, 2); /* 3 and 4: 2 is rejected */
  assert_int_equal(n.rejected, 1);
  assert_int_equal(device_outbox_counts(st, 4, &n), 0);
  assert_int_equal(n.queued, 0);
  assert_int_equal(device_inbox_last(st, &last), 0);
  assert_int_equal(last, 1);
  store_close(st);
}

/* The records of |scan|, as "ab:title|" per record (first rid byte). */
static void records(struct store *st, enum device_rec_scan scan, int64_t after,
                    char *out, size_t cap) {
  struct device_rec_iter *it = NULL;
  struct device_rec r;
  size_t len = 0;
  int rc;
  out[0] = '\0';
  assert_int_equal(device_rec_open(st, scan, after, &it), 0);
  while ((rc = device_rec_next(it, &r)) == 1)
    len += (size_t)snprintf(out + len, cap - len, "%02x:%s%s%s|", r.rid[0],
                            r.title, *r.error ? ":" : "", r.error);
  assert_int_equal(rc, 0);
  device_rec_close(it);
}

static void test_device_records_behind_rows(void **state) {
  uint8_t a[ID_LEN], b[ID_LEN], c[ID_LEN];
  struct store *st = fixture(a, b, c);
  char got[512];
  (void)state;
  /* After acked 1: op 3 (a) and op 4 (b); b's op 2 is rejected, not
   * unsynced, but its op 4 still is. One line per record. */
  records(st, DEVICE_REC_UNSYNCED, 1, got, sizeof(got));
  assert_string_equal(got, "aa:Đường điện ấp 3 chập chờn|"
                           "bb:Đường điện ấp 3 chập chờn|");
  records(st, DEVICE_REC_UNSYNCED, 3, got, sizeof(got));
  assert_string_equal(got, "bb:Đường điện ấp 3 chập chờn|");
  records(st, DEVICE_REC_REJECTED, 0, got, sizeof(got));
  assert_string_equal(got, "bb:Đường điện ấp 3 chập chờn:forbidden|");
  records(st, DEVICE_REC_PULLED, 0, got, sizeof(got));
  assert_string_equal(got, "cc:Đường điện ấp 3 chập chờn|");
  records(st, DEVICE_REC_PULLED, 1, got, sizeof(got));
  assert_string_equal(got, "");
  store_close(st);
}

/* A district store has no outbox or inbox: every call is refused, and
 * nothing is reported as an empty list. */
static void test_device_refused_not_empty(void **state) {
  struct store *dis = open_mem(STORE_DISTRICT);
  struct device_rec_iter *it = NULL;
  struct device_counts n;
  int64_t last = -1;
  (void)state;
  assert_int_equal(device_outbox_counts(dis, 0, &n), DS_EINVAL);
  assert_int_equal(device_inbox_last(dis, &last), DS_EINVAL);
  assert_int_equal(last, -1);
  for (int s = DEVICE_REC_UNSYNCED; s <= DEVICE_REC_PULLED; s++) {
    assert_int_equal(device_rec_open(dis, (enum device_rec_scan)s, 0, &it),
                     DS_EINVAL);
    assert_null(it);
  }
  assert_int_equal(device_rec_open(dis, (enum device_rec_scan)7, 0, &it),
                   DS_EINVAL);
  store_close(dis);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_device_counts),
      cmocka_unit_test(test_device_records_behind_rows),
      cmocka_unit_test(test_device_refused_not_empty),
  };
  return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
