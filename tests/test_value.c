/* SPDX-License-Identifier: MIT */
#include "tests/cm.h"

#include <string.h>

#include "common/buf.h"
#include "common/hex.h"
#include "common/value.h"

static void check(const struct value *v, const char *want_hex) {
  struct buf b;
  char hex[200];
  struct value back;
  size_t used;

  buf_init(&b, 0);
  assert_int_equal(value_encode(&b, v), 0);
  hex_encode(hex, b.data, b.len);
  assert_string_equal(hex, want_hex);
  assert_int_equal(value_decode(&back, b.data, b.len, &used), 0);
  assert_int_equal(used, b.len);
  assert_true(value_equal(v, &back));
  buf_cleanup(&b);
}

static void test_value_canonical_forms(void **state) {
  struct value v = {0};
  (void)state;
  v.type = VAL_NIL;
  check(&v, "c0");
  v.type = VAL_BOOL, v.i = 1;
  check(&v, "c3");
  v.type = VAL_INT, v.i = 0;
  check(&v, "00");
  v.i = 127;
  check(&v, "7f");
  v.i = 128;
  check(&v, "cc80");
  v.i = 65536;
  check(&v, "ce00010000");
  v.i = -1;
  check(&v, "ff");
  v.i = -33;
  check(&v, "d0df");
  v.i = 5000000000;
  check(&v, "cf000000012a05f200");
  v.type = VAL_STR, v.s = "điện", v.n = strlen("điện");
  check(&v, "a7c49169e1bb876e");
  v.type = VAL_STATUS, v.i = 1, v.s = "received", v.n = 8;
  check(&v, "9201a87265636569766564");
}

static void test_value_str_lengths_use_smallest_header(void **state) {
  char s[300];
  struct value v = {VAL_STR, 0, s, 31};
  struct buf b;
  (void)state;
  memset(s, 'x', sizeof(s));
  buf_init(&b, 0);
  assert_int_equal(value_encode(&b, &v), 0);
  assert_int_equal(b.data[0], 0xbf);
  buf_reset(&b);
  v.n = 32;
  assert_int_equal(value_encode(&b, &v), 0);
  assert_int_equal(b.data[0], 0xd9);
  buf_reset(&b);
  v.n = 256;
  assert_int_equal(value_encode(&b, &v), 0);
  assert_int_equal(b.data[0], 0xda);
  buf_cleanup(&b);
}

static void test_value_decode_rejects_truncation(void **state) {
  const uint8_t trunc[] = {0xa5, 'a', 'b'};
  const uint8_t bad[] = {0xc1};
  struct value v;
  size_t used;
  (void)state;
  assert_int_equal(value_decode(&v, trunc, sizeof(trunc), &used), DS_EPROTO);
  assert_int_equal(value_decode(&v, bad, sizeof(bad), &used), DS_EPROTO);
  assert_int_equal(value_decode(&v, bad, 0, &used), DS_EPROTO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_value_canonical_forms),
      cmocka_unit_test(test_value_str_lengths_use_smallest_header),
      cmocka_unit_test(test_value_decode_rejects_truncation),
  };
  return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
