/* SPDX-License-Identifier: MIT */
#include "tests/cm.h"

#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"

static void test_buf_append_over_cap_resets(void **state) {
  struct buf b;
  (void)state;
  buf_init(&b, 8);
  assert_int_equal(buf_append(&b, "abcdef", 6), 0);
  assert_int_equal(buf_append(&b, "ghij", 4), DS_ETOOBIG);
  assert_int_equal(buf_len(&b), 0);
  buf_cleanup(&b);
  buf_cleanup(&b); /* idempotent */
}

static void test_buf_printf_and_take(void **state) {
  struct buf b;
  uint8_t *p;
  size_t n;
  (void)state;
  buf_init(&b, 0);
  assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
  assert_int_equal(buf_cstr(&b), 0);
  assert_string_equal((char *)b.data, "42-x");
  p = buf_take(&b, &n);
  assert_int_equal(n, 4);
  assert_null(b.data);
  ds_free(p);
}

static void test_buf_alloc_failure_is_enomem(void **state) {
  struct buf b;
  (void)state;
  buf_init(&b, 0);
  ds_alloc_fail_after(1);
  assert_int_equal(buf_append(&b, "x", 1), DS_ENOMEM);
  ds_alloc_fail_after(0);
  assert_int_equal(buf_append(&b, "x", 1), 0);
  buf_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buf_append_over_cap_resets),
      cmocka_unit_test(test_buf_printf_and_take),
      cmocka_unit_test(test_buf_alloc_failure_is_enomem),
  };
  return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
