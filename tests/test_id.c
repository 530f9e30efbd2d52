/* SPDX-License-Identifier: MIT
 * Ids, hex, the HLC and UTF-8 helpers. */
#include "tests/cm.h"

#include <string.h>

#include "common/buf.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/id.h"
#include "common/utf8.h"

static void test_id_uuidv7_layout(void **state) {
  uint8_t id[ID_LEN];
  (void)state;
  id_uuidv7(id, 0x0123456789abull);
  assert_int_equal(id[0], 0x01);
  assert_int_equal(id[5], 0xab);
  assert_int_equal(id[6] >> 4, 7);
  assert_int_equal(id[8] >> 6, 2);
}

static void test_id_prefix_range(void **state) {
  uint8_t lo[ID_LEN], hi[ID_LEN];
  (void)state;
  assert_int_equal(id_prefix_range("0123abcd9", lo, hi), 0);
  assert_int_equal(lo[4], 0x90);
  assert_int_equal(hi[4], 0x9f);
  assert_int_equal(hi[5], 0xff);
  assert_int_equal(id_prefix_range("0123abc", lo, hi), DS_EINVAL);
  assert_int_equal(id_prefix_range("0123abcz", lo, hi), DS_EINVAL);
}

static void test_hex_roundtrip(void **state) {
  uint8_t in[3] = {0x00, 0xab, 0xff}, out[3];
  char hex[7];
  (void)state;
  hex_encode(hex, in, 3);
  assert_string_equal(hex, "00abff");
  assert_int_equal(hex_decode(out, 3, "00ABff"), 0);
  assert_memory_equal(in, out, 3);
  assert_int_equal(hex_decode(out, 3, "00abf"), DS_EINVAL);
}

static void test_hlc_tick_and_adopt(void **state) {
  uint64_t h;
  (void)state;
  h = hlc_tick(0, 1000);
  assert_true(h == HLC_FROM_MS(1000));
  assert_true(hlc_tick(h, 1000) == h + 1);
  assert_true(hlc_tick(h + 5, 999) == h + 6); /* the clock went back */
  assert_true(hlc_adopt(h, h + 9) == h + 9);
  assert_true(hlc_adopt(h + 9, h) == h + 9);
}

static void test_utf8_count_and_fold(void **state) {
  struct buf b;
  (void)state;
  assert_int_equal(utf8_count("Nguyễn", strlen("Nguyễn")), 6);
  assert_int_equal(utf8_count("\xf4\x90\x80\x80", 4), -1); /* > U+10FFFF */
  assert_int_equal(utf8_count("\xe2\x82", 2), -1);         /* truncated */
  /* ASCII runs are counted a word at a time: runs longer than a word, at
   * every offset around multi-byte characters, and a bad byte after one. */
  {
    const char *t = "abcdefghijklmnopq Nguyễn Văn Dân rstuvwxyz0123456789";
    for (size_t off = 0; off < 20; off++)
      assert_int_equal(utf8_count(t + off, strlen(t + off)), 52 - (long)off);
    assert_int_equal(utf8_count("abcdefghijklmnop\xff", 17), -1);
    assert_int_equal(utf8_count("abcdefghijklmnop\xc4", 17), -1);
    assert_int_equal(utf8_count("abcdefgh", 8), 8);
    assert_int_equal(utf8_count("", 0), 0);
  }
  buf_init(&b, 0);
  assert_int_equal(utf8_fold_dd(&b, "Đường điện", strlen("Đường điện")), 0);
  assert_int_equal(buf_cstr(&b), 0);
  assert_string_equal((char *)b.data, "Dường diện");
  buf_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_id_uuidv7_layout),
      cmocka_unit_test(test_id_prefix_range),
      cmocka_unit_test(test_hex_roundtrip),
      cmocka_unit_test(test_hlc_tick_and_adopt),
      cmocka_unit_test(test_utf8_count_and_fold),
  };
  return cmocka_run_group_tests_name("id", tests, NULL, NULL);
}
