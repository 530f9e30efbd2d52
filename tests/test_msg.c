/* SPDX-License-Identifier: MIT
 * test_msg.c -- dansync's message catalogue (client/msg.def): every message
 * exists in both languages with the same printf conversions, the language
 * follows DANSYNC_LANG and LANG (DESIGN §8), and the text folding that
 * enum labels are typed by. Issue #17. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "client/msg.h"
#include "common/schema.h"
#include "common/textout.h"
#include "common/vnenum.h"

/* The conversions of printf format |f| ("%s%lld..."), in order. */
static void conversions(const char *f, char *out, size_t cap) {
  size_t n = 0;
  for (; *f && n + 8 < cap; f++) {
    if (*f != '%')
      continue;
    f++;
    if (*f == '%')
      continue;
    out[n++] = '%';
    while (*f && strchr("-+ #0123456789.*l", *f))
      out[n++] = *f++;
    if (*f)
      out[n++] = *f;
    else
      break;
  }
  out[n] = '\0';
}

static void test_msg_every_message_in_both_languages(void **state) {
  (void)state;
  for (int i = 0; i < MSG_COUNT; i++) {
    const char *vi = msg_in((enum msg_id)i, false);
    const char *en = msg_in((enum msg_id)i, true);
    char cv[64], ce[64];
    assert_non_null(vi);
    assert_non_null(en);
    assert_true(strlen(vi) > 0);
    assert_true(strlen(en) > 0);
    conversions(vi, cv, sizeof(cv));
    conversions(en, ce, sizeof(ce));
    if (strcmp(cv, ce))
      fail_msg("message %d: conversions [%s] in Vietnamese, [%s] in English", i,
               cv, ce);
  }
}

static void test_msg_vietnamese_by_default(void **state) {
  (void)state;
  unsetenv("DANSYNC_LANG");
  unsetenv("LANG");
  assert_false(msg_english());
  setenv("LANG", "C", 1);
  assert_false(msg_english());
  setenv("LANG", "C.UTF-8", 1);
  assert_false(msg_english());
  setenv("LANG", "vi_VN.UTF-8", 1);
  assert_false(msg_english());
  setenv("LANG", "en_US.UTF-8", 1);
  assert_true(msg_english());
  setenv("DANSYNC_LANG", "vi", 1);
  assert_false(msg_english());
  setenv("DANSYNC_LANG", "en", 1);
  assert_true(msg_english());
  assert_string_equal(msg(MSG_W_EXAMPLE), "Example");
  setenv("DANSYNC_LANG", "vi", 1);
  assert_string_equal(msg(MSG_W_EXAMPLE), "Ví dụ");
}

static void test_msg_enum_by_label_without_diacritics(void **state) {
  (void)state;
  assert_int_equal(vnenum_parse(schema_category_names, "điện"), 5);
  assert_int_equal(vnenum_parse(schema_category_names, "dien"), 5);
  assert_int_equal(vnenum_parse(schema_category_names, "ĐIỆN"), 5);
  assert_int_equal(vnenum_parse(schema_category_names, "electricity"), 5);
  assert_int_equal(vnenum_parse(schema_category_names, "Thủ tục hành chính"),
                   15);
  assert_int_equal(vnenum_parse(schema_status_names, "dang xu ly"), 1);
  assert_int_equal(vnenum_parse(schema_status_names, "in progress"), 1);
  assert_int_equal(vnenum_parse(schema_status_names, "đã chuyển cấp trên"), 2);
  assert_int_equal(vnenum_parse(schema_category_names, "điệ"), -1);
  assert_int_equal(vnenum_parse(schema_category_names, ""), -1);
}

static void test_msg_cells_cut_at_a_character(void **state) {
  struct buf b;
  (void)state;
  buf_init(&b, 0);
  /* 5 characters of 2-3 bytes each, cut to 4: 3 kept and "…". */
  assert_int_equal(textout_cell(&b, "ễễễễễ", strlen("ễễễễễ"), 4, 1), 0);
  assert_int_equal(buf_cstr(&b), 0);
  assert_string_equal((char *)b.data, "ễễễ…");
  buf_reset(&b);
  assert_int_equal(textout_cell(&b, "a\nb\x1b[2J\x07", 8, 20, 0), 0);
  assert_int_equal(buf_cstr(&b), 0);
  assert_string_equal((char *)b.data, "a⏎b\\x1b[2J\\x07");
  buf_reset(&b);
  assert_int_equal(textout_cell(&b, "ab", 2, 4, 1), 0);
  assert_int_equal(buf_cstr(&b), 0);
  assert_string_equal((char *)b.data, "ab  ");
  buf_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_msg_every_message_in_both_languages),
      cmocka_unit_test(test_msg_vietnamese_by_default),
      cmocka_unit_test(test_msg_enum_by_label_without_diacritics),
      cmocka_unit_test(test_msg_cells_cut_at_a_character),
  };
  return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
