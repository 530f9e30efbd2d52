/* SPDX-License-Identifier: MIT
 * schema.c -- DESIGN §3 as tables. */
#include "common/schema.h"

#include <stdio.h>
#include <string.h>

#include "common/id.h"
#include "common/utf8.h"

const char *const schema_status_names[] = {
    "received", "in_progress", "escalated", "answered", "resolved", NULL};

static const char *const status_labels[] = {"đã tiếp nhận", "đang xử lý",
                                            "đã chuyển cấp huyện", "đã trả lời",
                                            "đã giải quyết"};

const char *const schema_category_names[] = {"economy",
                                             "culture",
                                             "environment",
                                             "rural_transport",
                                             "irrigation",
                                             "electricity",
                                             "water",
                                             "agriculture",
                                             "merit_policy",
                                             "social_protection",
                                             "social_security",
                                             "health_insurance",
                                             "public_order",
                                             "land",
                                             "civil_servant_attitude",
                                             "administrative_procedure",
                                             "housing",
                                             "other",
                                             NULL};

static const char *const category_labels[] = {"kinh tế",
                                              "văn hóa",
                                              "môi trường",
                                              "giao thông nông thôn",
                                              "thủy lợi",
                                              "điện",
                                              "nước sinh hoạt",
                                              "sản xuất nông nghiệp",
                                              "chế độ chính sách người có công",
                                              "bảo trợ xã hội",
                                              "an sinh xã hội",
                                              "bảo hiểm y tế",
                                              "an ninh trật tự",
                                              "đất đai",
                                              "thái độ phục vụ của công chức",
                                              "thủ tục hành chính",
                                              "nhà ở",
                                              "khác"};

const char *const schema_service_names[] = {"civil_registration",
                                            "social_protection",
                                            "land",
                                            "construction",
                                            "business",
                                            "other",
                                            NULL};

static const char *const service_labels[] = {
    "hộ tịch", "bảo trợ xã hội", "đất đai", "xây dựng", "kinh doanh", "khác"};

static const char *const meeting_kinds[] = {"monthly_listening", "dialogue",
                                            "citizen_reception", NULL};

static const char *const situations[] = {"policy_family",
                                         "poor_household",
                                         "elderly_alone",
                                         "student_hardship",
                                         "poor_patient",
                                         "other",
                                         NULL};

#define REQ FIELD_REQUIRED
#define TEXT(n, max) \
  { n, FT_TEXT, 0, max, NULL, 0 }
#define DATE(n, fl) \
  { n, FT_DATE, 0, 0, NULL, fl }
#define INT(n, lo, hi, fl) \
  { n, FT_INT, lo, hi, NULL, fl }
#define ENUM(n, list, fl) \
  { n, FT_ENUM, 0, 0, list, fl }
#define COMMUNE \
  { "commune", FT_COMMUNE, 0, 0, NULL, REQ }
#define VOIDED \
  { "voided", FT_BOOL, 0, 0, NULL, 0 }

/* Each list in byte order of the names (checked by test_schema). */
static const struct field_def meeting_fields[] = {
    INT("attendees", 0, 100000, 0),
    COMMUNE,
    TEXT("hamlet", 120),
    DATE("held_on", REQ),
    ENUM("kind", meeting_kinds, 0),
    TEXT("note", 2000),
    VOIDED};

static const struct field_def petition_fields[] = {
    ENUM("category", schema_category_names, REQ),
    TEXT("citizen", 120),
    COMMUNE,
    {"content", FT_TEXT, 1, 4000, NULL, REQ},
    DATE("due_on", 0),
    TEXT("escalated_to", 200),
    TEXT("hamlet", 120),
    {"meeting", FT_RID, 0, 0, NULL, 0},
    DATE("received_on", REQ),
    DATE("resolved_on", 0),
    TEXT("response", 4000),
    {"status", FT_STATUS, 0, 0, schema_status_names, 0},
    VOIDED};

static const struct field_def survey_fields[] = {
    INT("attitude", 1, 5, 0),
    TEXT("comment", 2000),
    COMMUNE,
    INT("overall", 1, 5, REQ),
    INT("procedure", 1, 5, 0),
    ENUM("service", schema_service_names, REQ),
    DATE("taken_on", REQ),
    INT("timeliness", 1, 5, 0),
    VOIDED}; /* last: added in format 5, numbers of older fields unmoved */

static const struct field_def visit_fields[] = {
    COMMUNE,
    INT("gift_vnd", 0, INT64_MAX, 0),
    {"household", FT_TEXT, 1, 120, NULL, REQ},
    ENUM("situation", situations, REQ),
    TEXT("support", 2000),
    DATE("visited_on", REQ),
    VOIDED,
    INT("volunteers", 0, INT64_MAX, 0)};

#define NF(a) ((int)(sizeof(a) / sizeof((a)[0])))
static const struct entity_def entities[SCHEMA_NENT] = {
    {"meeting", meeting_fields, NF(meeting_fields), false, 1, -1},
    {"petition", petition_fields, NF(petition_fields), false, 2, 11},
    {"survey", survey_fields, NF(survey_fields), true, 2, -1},
    {"visit", visit_fields, NF(visit_fields), false, 0, -1}};

const struct entity_def *schema_entity(int ent) {
  if (ent < 0 || ent >= SCHEMA_NENT)
    return NULL;
  return &entities[ent];
}

/* The first byte decides most comparisons (each op's fields are looked up
 * by name on the writer), before strlen walks the name. */
static int name_is(const char *name, const char *s, size_t n) {
  if (n == 0)
    return name[0] == '\0';
  return name[0] == s[0] && strlen(name) == n && memcmp(name, s, n) == 0;
}

bool schema_field_changes(const struct entity_def *e, int f) {
  if (!e || f < 0 || f >= e->nfields || f == e->commune_field)
    return false;
  return !e->immutable || !strcmp(e->fields[f].name, "voided");
}

int schema_entity_find(const char *name, size_t n) {
  for (int i = 0; i < SCHEMA_NENT; i++)
    if (name_is(entities[i].name, name, n))
      return i;
  return -1;
}

int schema_field_find(const struct entity_def *e, const char *name, size_t n) {
  for (int i = 0; i < e->nfields; i++)
    if (name_is(e->fields[i].name, name, n))
      return i;
  return -1;
}

int schema_enum_index(const char *const *list, const char *name, size_t n) {
  for (int i = 0; list[i]; i++)
    if (name_is(list[i], name, n))
      return i;
  return -1;
}

static const char *label_of(const char *const *names, const char *const *labels,
                            const char *name) {
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0)
      return labels[i];
  return name;
}

const char *schema_category_label(const char *name) {
  return label_of(schema_category_names, category_labels, name);
}

const char *schema_status_label(const char *name) {
  return label_of(schema_status_names, status_labels, name);
}

const char *schema_service_label(const char *name) {
  return label_of(schema_service_names, service_labels, name);
}

bool schema_date_ok(const char *s, size_t n) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y = 0, m, d;

  if (n != 10 || s[4] != '-' || s[7] != '-')
    return false;
  for (size_t i = 0; i < n; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
      return false;
  for (int i = 0; i < 4; i++)
    y = y * 10 + (s[i] - '0');
  m = (s[5] - '0') * 10 + (s[6] - '0');
  d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
    return false;
  if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return false;
  return true;
}

bool schema_slug_ok(const char *s, size_t n) {
  if (n < 1 || n > SCHEMA_SLUG_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '-'))
      return false;
  return true;
}

static int list_sentence(char *out, size_t cap, const char *const *list) {
  size_t len = 0;
  out[0] = '\0';
  for (int i = 0; list[i] && len < cap; i++)
    len +=
        (size_t)snprintf(out + len, cap - len, "%s%s", i ? ", " : "", list[i]);
  return 0;
}

int schema_check(const struct entity_def *e, int f, const struct value *v,
                 char *errbuf) {
  const struct field_def *fd = &e->fields[f];
  char opts[200];
  long chars;

  if (v->type == VAL_NIL) {
    if (fd->flags & FIELD_REQUIRED)
      return ds_fail(errbuf, DS_EBADOP, "field '%s' is required", fd->name);
    return 0;
  }
  switch (fd->type) {
  case FT_TEXT:
    if (v->type != VAL_STR)
      return ds_fail(errbuf, DS_EBADOP, "field '%s' must be text", fd->name);
    if (memchr(v->s, '\0', v->n))
      return ds_fail(errbuf, DS_EBADOP,
                     "field '%s' must not contain NUL characters", fd->name);
    chars = utf8_count(v->s, v->n);
    if (chars < 0)
      return ds_fail(errbuf, DS_EBADOP, "field '%s' is not valid UTF-8",
                     fd->name);
    if (chars > fd->max || chars < fd->min)
      return ds_fail(errbuf, DS_EBADOP,
                     "field '%s' must be %lld to %lld characters long (it has "
                     "%ld)",
                     fd->name, (long long)fd->min, (long long)fd->max, chars);
    return 0;
  case FT_DATE:
    if (v->type != VAL_STR || !schema_date_ok(v->s, v->n))
      return ds_fail(errbuf, DS_EBADOP,
                     "field '%s' must be a date written YYYY-MM-DD", fd->name);
    return 0;
  case FT_INT:
    if (v->type != VAL_INT || v->i < fd->min || v->i > fd->max) {
      if (fd->max == INT64_MAX)
        return ds_fail(errbuf, DS_EBADOP,
                       "field '%s' must be a whole number of at least %lld",
                       fd->name, (long long)fd->min);
      return ds_fail(errbuf, DS_EBADOP,
                     "field '%s' must be an integer %lld..%lld", fd->name,
                     (long long)fd->min, (long long)fd->max);
    }
    return 0;
  case FT_BOOL:
    if (v->type != VAL_BOOL)
      return ds_fail(errbuf, DS_EBADOP, "field '%s' must be true or false",
                     fd->name);
    return 0;
  case FT_ENUM:
    if (v->type != VAL_STR || schema_enum_index(fd->enums, v->s, v->n) < 0) {
      list_sentence(opts, sizeof(opts), fd->enums);
      return ds_fail(errbuf, DS_EBADOP, "field '%s' must be one of: %s",
                     fd->name, opts);
    }
    return 0;
  case FT_RID:
    if (v->type != VAL_BIN || v->n != ID_LEN)
      return ds_fail(errbuf, DS_EBADOP,
                     "field '%s' must be a 16-byte record id", fd->name);
    return 0;
  case FT_STATUS:
    if (v->type != VAL_STATUS || v->i < 0 || v->i > INT32_MAX ||
        schema_enum_index(fd->enums, v->s, v->n) < 0) {
      list_sentence(opts, sizeof(opts), fd->enums);
      return ds_fail(errbuf, DS_EBADOP,
                     "field '%s' must be [generation, name] with name one "
                     "of: %s",
                     fd->name, opts);
    }
    return 0;
  case FT_COMMUNE:
    if (v->type != VAL_STR || !schema_slug_ok(v->s, v->n))
      return ds_fail(errbuf, DS_EBADOP,
                     "field '%s' must be a commune slug such as hoa-an",
                     fd->name);
    return 0;
  }
  return DS_EINVAL;
}
