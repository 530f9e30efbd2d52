/* SPDX-License-Identifier: MIT
 * The report's Vietnamese formatting and ordering (issue 18): numbers as
 * the district's reports write them and the alphabet's order. */
#include "tests/cm.h"

#include <string.h>

#include "common/repfig.h"
#include "common/report_int.h"

static void test_report_thousands_with_dots(void **state) {
  (void)state;
  assert_string_equal(report__int(0).s, "0");
  assert_string_equal(report__int(999).s, "999");
  assert_string_equal(report__int(1000).s, "1.000");
  assert_string_equal(report__int(2174).s, "2.174");
  assert_string_equal(report__int(1234567).s, "1.234.567");
  assert_string_equal(report__int(-1146).s, "-1.146");
}

static void test_report_decimal_comma(void **state) {
  (void)state;
  assert_string_equal(report__dec(9957).s, "99,57");
  assert_string_equal(report__dec(10000).s, "100");
  assert_string_equal(report__dec(2650).s, "26,5");
  assert_string_equal(report__dec(5).s, "0,05");
  assert_string_equal(report__pct(9957).s, "99,57%");
  assert_string_equal(report__share(218, 221).s, "98,64%");
  assert_string_equal(report__share(252, 252).s, "100%");
  assert_string_equal(report__share(1, 3).s, "33,33%");
  assert_string_equal(report__share(0, 0).s, "0%");
}

static void test_report_money_in_trieu(void **state) {
  (void)state;
  assert_string_equal(report__trieu(26500000).s, "26,5");
  assert_string_equal(report__trieu(1800000).s, "1,8");
  assert_string_equal(report__trieu(1234567).s, "1,23");
  assert_string_equal(report__trieu(1235000).s, "1,24");
  assert_string_equal(report__trieu(2500000000).s, "2.500");
  assert_string_equal(report__trieu(0).s, "0");
}

static void test_report_mean_and_dates(void **state) {
  struct repfig_rating r = {.n = 3, .sum = 11};
  (void)state;
  assert_string_equal(report__mean(&r).s, "3,67");
  r.n = 0;
  assert_string_equal(report__mean(&r).s, "0");
  assert_string_equal(report__date("2024-05-31").s, "31/05/2024");
}

static void test_report_settled_share(void **state) {
  struct repfig_counts c = {.received = 221, .at_commune = 218, .escalated = 3};
  (void)state;
  assert_int_equal(repfig_settled_bp(&c), 9864);
  c.esc_settled = 3;
  assert_int_equal(repfig_settled_bp(&c), 10000);
  c.received = 0;
  assert_int_equal(repfig_settled_bp(&c), -1);
}

static void test_report_vietnamese_order(void **state) {
  (void)state;
  /* a ă â b c d đ e ê ... o ô ơ ... u ư: tones only break ties. */
  assert_true(repfig_vn_cmp("đất đai", "điện") < 0);
  assert_true(repfig_vn_cmp("đất đai", "nhà ở") < 0);
  assert_true(repfig_vn_cmp("dân", "đất") < 0);
  assert_true(repfig_vn_cmp("xã Tân Long", "xã Thạnh Hòa") < 0);
  assert_true(repfig_vn_cmp("an", "ăn") < 0);
  assert_true(repfig_vn_cmp("ăn", "ân") < 0);
  assert_true(repfig_vn_cmp("ơ", "u") < 0);
  assert_true(repfig_vn_cmp("Hòa", "hoa") != 0);
  assert_int_equal(repfig_vn_cmp("môi trường", "môi trường"), 0);
  assert_true(repfig_vn_cmp("môi", "môi trường") < 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_report_thousands_with_dots),
      cmocka_unit_test(test_report_decimal_comma),
      cmocka_unit_test(test_report_money_in_trieu),
      cmocka_unit_test(test_report_mean_and_dates),
      cmocka_unit_test(test_report_settled_share),
      cmocka_unit_test(test_report_vietnamese_order),
  };
  return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
