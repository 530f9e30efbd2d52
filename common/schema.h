/* SPDX-License-Identifier: MIT
 * schema.h -- the four entities of DESIGN §3 as data: their fields, types and
 * limits, and the one validator both programs run. Entities and each entity's
 * fields are listed in byte order of their names, so an index order is also
 * the digest's line order. */
#ifndef DS_COMMON_SCHEMA_H
#define DS_COMMON_SCHEMA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/value.h"

#define SCHEMA_MAX_FIELDS 13
#define SCHEMA_NENT 4
#define SCHEMA_SLUG_MAX 64

enum schema_ent { ENT_MEETING, ENT_PETITION, ENT_SURVEY, ENT_VISIT };

enum field_type {
  FT_TEXT, /* UTF-8, at most |max| code points */
  FT_DATE, /* "YYYY-MM-DD", a real calendar date */
  FT_INT,  /* |min|..|max| */
  FT_BOOL,
  FT_ENUM,   /* one of |enums| */
  FT_RID,    /* 16-byte record id */
  FT_STATUS, /* [gen, name], name one of |enums| (ranked by position) */
  FT_COMMUNE /* a slug: [a-z0-9-], 1..SCHEMA_SLUG_MAX */
};

#define FIELD_REQUIRED 1u /* must be set when the record is created */

struct field_def {
  const char *name;
  enum field_type type;
  int64_t min, max;
  const char *const *enums; /* NULL-terminated */
  unsigned flags;
};

struct entity_def {
  const char *name;
  const struct field_def *fields;
  int nfields;
  bool immutable;    /* surveys: nothing but voided changes after creation */
  int commune_field; /* index of "commune" */
  int status_field;  /* index of "status", or -1 */
};

const struct entity_def *schema_entity(int ent);
/* Whether field |f| of |e| may change after the record's creation: not
 * its commune, and of a survey only voided (DESIGN §3: a wrong form is
 * voided and entered again). */
bool schema_field_changes(const struct entity_def *e, int f);
/* The entity index for |name| (|n| bytes), or -1. */
int schema_entity_find(const char *name, size_t n);
/* The field index for |name| in |e|, or -1. */
int schema_field_find(const struct entity_def *e, const char *name, size_t n);
/* The position of |name| in a NULL-terminated list, or -1. */
int schema_enum_index(const char *const *list, const char *name, size_t n);
/* Checks |v| against field |f| of |e|. nil is accepted for fields that are not
 * required. On failure fills |errbuf| with "field 'x' must be ..." and returns
 * DS_EBADOP. */
DS_NODISCARD int schema_check(const struct entity_def *e, int f,
                              const struct value *v, char *errbuf);
/* True when |s| is a valid YYYY-MM-DD calendar date. */
bool schema_date_ok(const char *s, size_t n);
/* True when |s| is a valid commune slug. */
bool schema_slug_ok(const char *s, size_t n);

extern const char *const schema_status_names[]; /* by rank */
/* The Vietnamese label of a petition status, or the name itself. */
const char *schema_status_label(const char *name);
extern const char *const schema_category_names[];
/* The Vietnamese report label of a petition category, or the name itself. */
const char *schema_category_label(const char *name);
extern const char *const schema_service_names[];
const char *schema_service_label(const char *name);
#endif
