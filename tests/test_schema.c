/* SPDX-License-Identifier: MIT */
#include "tests/cm.h"

#include <string.h>

#include "common/schema.h"

static void test_schema_names_are_in_byte_order(void **state) {
  (void)state;
  for (int e = 0; e < SCHEMA_NENT; e++) {
    const struct entity_def *ed = schema_entity(e);
    if (e > 0)
      assert_true(strcmp(schema_entity(e - 1)->name, ed->name) < 0);
    for (int f = 1; f < ed->nfields; f++)
      assert_true(strcmp(ed->fields[f - 1].name, ed->fields[f].name) < 0);
    assert_string_equal(ed->fields[ed->commune_field].name, "commune");
    assert_true(ed->nfields <= SCHEMA_MAX_FIELDS);
  }
  assert_string_equal(schema_entity(ENT_PETITION)
                          ->fields[schema_entity(ENT_PETITION)->status_field]
                          .name,
                      "status");
}

/* Every entity can be voided (DESIGN §3). A survey's voided is its last
 * field (number 8), so the numbers of the fields surveys had before stay
 * those older ops and states use; and of a survey only voided changes
 * after creation (issue #17). */
static void test_schema_surveys_carry_voided(void **state) {
  const struct entity_def *sv = schema_entity(ENT_SURVEY);
  static const char *const before[] = {"attitude", "comment",   "commune",
                                       "overall",  "procedure", "service",
                                       "taken_on", "timeliness"};
  (void)state;
  for (int e = 0; e < SCHEMA_NENT; e++)
    assert_true(schema_field_find(schema_entity(e), "voided", 6) >= 0);
  assert_int_equal(sv->nfields, 9);
  for (int f = 0; f < 8; f++)
    assert_string_equal(sv->fields[f].name, before[f]);
  assert_int_equal(schema_field_find(sv, "voided", 6), 8);
  assert_int_equal(sv->fields[8].type, FT_BOOL);
  for (int f = 0; f < sv->nfields; f++)
    assert_int_equal(schema_field_changes(sv, f), f == 8);
  /* Other entities: every field but the commune. */
  for (int e = 0; e < SCHEMA_NENT; e++) {
    const struct entity_def *ed = schema_entity(e);
    if (e == ENT_SURVEY)
      continue;
    for (int f = 0; f < ed->nfields; f++)
      assert_int_equal(schema_field_changes(ed, f), f != ed->commune_field);
  }
  assert_false(schema_field_changes(sv, -1));
  assert_false(schema_field_changes(sv, sv->nfields));
  assert_false(schema_field_changes(NULL, 0));
}

static int check_str(int ent, const char *field, const char *s, char *err) {
  const struct entity_def *e = schema_entity(ent);
  struct value v = {VAL_STR, 0, s, strlen(s)};
  return schema_check(e, schema_field_find(e, field, strlen(field)), &v, err);
}

static void test_schema_messages_name_the_field(void **state) {
  const struct entity_def *m = schema_entity(ENT_MEETING);
  struct value v = {VAL_INT, 100001, NULL, 0};
  char err[DS_ERRBUF_LEN];
  (void)state;
  assert_int_equal(
      schema_check(m, schema_field_find(m, "attendees", 9), &v, err),
      DS_EBADOP);
  assert_string_equal(err, "field 'attendees' must be an integer 0..100000");
  assert_int_equal(check_str(ENT_PETITION, "category", "roads", err),
                   DS_EBADOP);
  assert_non_null(strstr(err, "field 'category' must be one of: economy"));
}

static void test_schema_dates(void **state) {
  (void)state;
  assert_true(schema_date_ok("2024-02-29", 10));
  assert_false(schema_date_ok("2023-02-29", 10));
  assert_false(schema_date_ok("2024-13-01", 10));
  assert_false(schema_date_ok("2024-1-01", 9));
  assert_false(schema_date_ok("2024/01/01", 10));
  assert_true(schema_date_ok("2000-02-29", 10));
  assert_false(schema_date_ok("1900-02-29", 10));
}

static void test_schema_text_limits_count_code_points(void **state) {
  char s[4 * 121 + 1] = "";
  char err[DS_ERRBUF_LEN];
  (void)state;
  for (int i = 0; i < 120; i++)
    strcat(s, "ễ"); /* 3 bytes, 1 code point */
  assert_int_equal(check_str(ENT_PETITION, "citizen", s, err), 0);
  strcat(s, "a");
  assert_int_equal(check_str(ENT_PETITION, "citizen", s, err), DS_EBADOP);
  assert_int_equal(check_str(ENT_PETITION, "citizen", "\xc0\xaf", err),
                   DS_EBADOP); /* overlong '/' */
  assert_non_null(strstr(err, "UTF-8"));
  assert_int_equal(check_str(ENT_PETITION, "citizen", "\xed\xa0\x80", err),
                   DS_EBADOP); /* surrogate */
}

static void test_schema_required_and_nil(void **state) {
  const struct entity_def *p = schema_entity(ENT_PETITION);
  struct value nil = {VAL_NIL, 0, NULL, 0};
  char err[DS_ERRBUF_LEN];
  (void)state;
  assert_int_equal(
      schema_check(p, schema_field_find(p, "due_on", 6), &nil, err), 0);
  assert_int_equal(
      schema_check(p, schema_field_find(p, "content", 7), &nil, err),
      DS_EBADOP);
}

static void test_schema_labels(void **state) {
  (void)state;
  assert_string_equal(schema_category_label("electricity"), "điện");
  assert_string_equal(schema_category_label("rural_transport"),
                      "giao thông nông thôn");
  assert_string_equal(schema_service_label("land"), "đất đai");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schema_names_are_in_byte_order),
      cmocka_unit_test(test_schema_messages_name_the_field),
      cmocka_unit_test(test_schema_dates),
      cmocka_unit_test(test_schema_text_limits_count_code_points),
      cmocka_unit_test(test_schema_required_and_nil),
      cmocka_unit_test(test_schema_labels),
      cmocka_unit_test(test_schema_surveys_carry_voided),
  };
  return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
