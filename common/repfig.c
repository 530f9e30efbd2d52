/* SPDX-License-Identifier: MIT
 * repfig.c -- the report's figures. Each entity is read in one pass: a
 * materialised scan decodes each needed field of each record once (ds_f on
 * the state blob), and FILTER clauses count the period, the same period of
 * the year before and, for visits, everything since records began. */
#include "common/repfig.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/schema.h"
#include "common/store.h"

const char *const repfig_rating_names[REPFIG_NRATINGS] = {
    "overall", "attitude", "timeliness", "procedure"};

static const char *const situation_names[] = {"policy_family",
                                              "poor_household",
                                              "elderly_alone",
                                              "student_hardship",
                                              "poor_patient",
                                              "other",
                                              NULL};
static const char *const situation_labels[] = {
    "gia đình chính sách", "hộ nghèo",        "người già neo đơn",
    "học sinh khó khăn",   "bệnh nhân nghèo", "khác"};

const char *repfig_situation_label(const char *name) {
  for (int i = 0; situation_names[i]; i++)
    if (!strcmp(situation_names[i], name))
      return situation_labels[i];
  return name;
}

const char *repfig_rating_label(int rating) {
  static const char *const labels[REPFIG_NRATINGS] = {
      "hài lòng chung", "thái độ phục vụ", "thời gian giải quyết",
      "thủ tục hành chính"};
  return rating >= 0 && rating < REPFIG_NRATINGS ? labels[rating] : "";
}

int64_t repfig_settled_bp(const struct repfig_counts *c) {
  int64_t done = c->at_commune + c->at_district + c->esc_settled;
  if (c->received <= 0)
    return -1;
  return (done * 10000 + c->received / 2) / c->received;
}

/* Vietnamese alphabetical order (a ă â b c d đ e ê ... ư v x y), tones
 * ignored but for ties: each letter's place in
 * "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz", made from Unicode's decompositions
 * of the precomposed Vietnamese letters. */
static const struct {
  uint32_t cp;
  uint8_t w;
} vn_letters[] = {
    {0x00c0, 0},  {0x00c1, 0},  {0x00c2, 2},  {0x00c3, 0},  {0x00c8, 7},
    {0x00c9, 7},  {0x00ca, 8},  {0x00cc, 12}, {0x00cd, 12}, {0x00d2, 18},
    {0x00d3, 18}, {0x00d4, 19}, {0x00d5, 18}, {0x00d9, 26}, {0x00da, 26},
    {0x00dd, 31}, {0x00e0, 0},  {0x00e1, 0},  {0x00e2, 2},  {0x00e3, 0},
    {0x00e8, 7},  {0x00e9, 7},  {0x00ea, 8},  {0x00ec, 12}, {0x00ed, 12},
    {0x00f2, 18}, {0x00f3, 18}, {0x00f4, 19}, {0x00f5, 18}, {0x00f9, 26},
    {0x00fa, 26}, {0x00fd, 31}, {0x0102, 1},  {0x0103, 1},  {0x0110, 6},
    {0x0111, 6},  {0x0128, 12}, {0x0129, 12}, {0x0168, 26}, {0x0169, 26},
    {0x01a0, 20}, {0x01a1, 20}, {0x01af, 27}, {0x01b0, 27}, {0x1e0c, 5},
    {0x1e0d, 5},  {0x1e4c, 18}, {0x1e4d, 18}, {0x1e78, 26}, {0x1e79, 26},
    {0x1ea0, 0},  {0x1ea1, 0},  {0x1ea2, 0},  {0x1ea3, 0},  {0x1ea4, 2},
    {0x1ea5, 2},  {0x1ea6, 2},  {0x1ea7, 2},  {0x1ea8, 2},  {0x1ea9, 2},
    {0x1eaa, 2},  {0x1eab, 2},  {0x1eac, 2},  {0x1ead, 2},  {0x1eae, 1},
    {0x1eaf, 1},  {0x1eb0, 1},  {0x1eb1, 1},  {0x1eb2, 1},  {0x1eb3, 1},
    {0x1eb4, 1},  {0x1eb5, 1},  {0x1eb6, 1},  {0x1eb7, 1},  {0x1eb8, 7},
    {0x1eb9, 7},  {0x1eba, 7},  {0x1ebb, 7},  {0x1ebc, 7},  {0x1ebd, 7},
    {0x1ebe, 8},  {0x1ebf, 8},  {0x1ec0, 8},  {0x1ec1, 8},  {0x1ec2, 8},
    {0x1ec3, 8},  {0x1ec4, 8},  {0x1ec5, 8},  {0x1ec6, 8},  {0x1ec7, 8},
    {0x1ec8, 12}, {0x1ec9, 12}, {0x1eca, 12}, {0x1ecb, 12}, {0x1ecc, 18},
    {0x1ecd, 18}, {0x1ece, 18}, {0x1ecf, 18}, {0x1ed0, 19}, {0x1ed1, 19},
    {0x1ed2, 19}, {0x1ed3, 19}, {0x1ed4, 19}, {0x1ed5, 19}, {0x1ed6, 19},
    {0x1ed7, 19}, {0x1ed8, 19}, {0x1ed9, 19}, {0x1eda, 20}, {0x1edb, 20},
    {0x1edc, 20}, {0x1edd, 20}, {0x1ede, 20}, {0x1edf, 20}, {0x1ee0, 20},
    {0x1ee1, 20}, {0x1ee2, 20}, {0x1ee3, 20}, {0x1ee4, 26}, {0x1ee5, 26},
    {0x1ee6, 26}, {0x1ee7, 26}, {0x1ee8, 27}, {0x1ee9, 27}, {0x1eea, 27},
    {0x1eeb, 27}, {0x1eec, 27}, {0x1eed, 27}, {0x1eee, 27}, {0x1eef, 27},
    {0x1ef0, 27}, {0x1ef1, 27}, {0x1ef2, 31}, {0x1ef3, 31}, {0x1ef4, 31},
    {0x1ef5, 31}, {0x1ef6, 31}, {0x1ef7, 31}, {0x1ef8, 31}, {0x1ef9, 31},
};

static const char vn_ascii[] = "a  bcd e fghijklmno  pqrstu vwxyz";

/* The next code point's weight: a letter's place plus 128, else the code
 * point itself below 128, else the code point (after every letter). */
static uint32_t vn_weight(const unsigned char **p) {
  const unsigned char *s = *p;
  uint32_t cp;
  int lo = 0, hi = (int)(sizeof(vn_letters) / sizeof(vn_letters[0])) - 1;
  if (s[0] < 0x80) {
    const char *at;
    int c = s[0] >= 'A' && s[0] <= 'Z' ? s[0] + 32 : s[0];
    *p = s + 1;
    at = c >= 'a' && c <= 'z' ? strchr(vn_ascii, c) : NULL;
    return at ? 128u + (uint32_t)(at - vn_ascii) : (uint32_t)c;
  }
  if ((s[0] & 0xe0) == 0xc0 && s[1]) {
    cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
    *p = s + 2;
  } else if ((s[0] & 0xf0) == 0xe0 && s[1] && s[2]) {
    cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
         (s[2] & 0x3f);
    *p = s + 3;
  } else {
    *p = s + 1;
    return 0x110000u + s[0];
  }
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (vn_letters[mid].cp == cp)
      return 128u + vn_letters[mid].w;
    if (vn_letters[mid].cp < cp)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return 256u + cp;
}

int repfig_vn_cmp(const char *a, const char *b) {
  const unsigned char *p = (const unsigned char *)a,
                      *q = (const unsigned char *)b;
  while (*p && *q) {
    uint32_t x = vn_weight(&p), y = vn_weight(&q);
    if (x != y)
      return x < y ? -1 : 1;
  }
  if (*p || *q)
    return *p ? 1 : -1;
  return strcmp(a, b);
}

/* The static name in |list| equal to |s|, so figures need not copy it. */
static const char *static_name(const char *const *list, const char *s) {
  for (int i = 0; s && list[i]; i++)
    if (!strcmp(list[i], s))
      return list[i];
  return NULL;
}

static char *dup_col(sqlite3_stmt *s, int c, int *rc) {
  const unsigned char *t = sqlite3_column_text(s, c);
  size_t n = t ? strlen((const char *)t) : 0;
  char *p;
  if (!t)
    return NULL;
  p = ds_malloc(n + 1);
  if (!p) {
    *rc = DS_ENOMEM;
    return NULL;
  }
  memcpy(p, t, n + 1);
  return p;
}

/* Grows |*arr| (of |size|-byte elements) to hold |n| + 1. */
static int grow(void *arr, int n, size_t size) {
  void **p = arr;
  void *q = ds_realloc(*p, (size_t)(n + 1) * size);
  if (!q)
    return DS_ENOMEM;
  *p = q;
  memset((char *)q + (size_t)n * size, 0, size);
  return 0;
}

/* "2024-05-31" -> "2023-05-31" (29 February -> 28). */
static void year_before(const char *d, char out[REPFIG_DATE_LEN]) {
  int y = atoi(d);
  snprintf(out, REPFIG_DATE_LEN, "%04u-%.5s", (unsigned)(y - 1) % 10000u,
           d + 5);
  if (!strcmp(out + 4, "-02-29"))
    memcpy(out + 8, "28", 2);
}

/* Field |name| of entity |ent|'s index; asserted by the schema's tests. */
static int fld(int ent, const char *name) {
  return schema_field_find(schema_entity(ent), name, strlen(name));
}

enum { E_MEETING, E_PETITION, E_SURVEY, E_VISIT };

struct ctx {
  struct store *st;
  const struct repfig_opts *o;
  struct repfig *f;
  struct buf sql;
  int64_t as_of_end_ms;
};

static int64_t day_end_ms(const char *date);

/* Prepares |ctx->sql| and binds the parameters every query shares: ?1 ?2
 * the period, ?3 the commune, ?4 ?5 the previous year's period (NULL when
 * none), ?6 the as-of date, ?7 the end of that day in Unix ms. */
static sqlite3_stmt *prep(struct ctx *c) {
  sqlite3_stmt *s;
  struct repfig *f = c->f;
  if (buf_cstr(&c->sql) ||
      sqlite3_prepare_v2(store_sqlite(c->st), (const char *)c->sql.data, -1, &s,
                         NULL))
    return NULL;
  sqlite3_bind_text(s, 1, *f->from ? f->from : NULL, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, *f->to ? f->to : NULL, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, f->commune, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, f->has_prev ? f->prev_from : NULL, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, f->has_prev ? f->prev_to : NULL, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 6, f->as_of, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 7, c->as_of_end_ms);
  return s;
}

#define CUR(d) "((?1 IS NULL OR " d " >= ?1) AND (?2 IS NULL OR " d " <= ?2))"
#define PREV(d) "(?4 IS NOT NULL AND " d " BETWEEN ?4 AND ?5)"

static int sqlf(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int sqlf(struct ctx *c, const char *fmt, ...) {
  va_list ap;
  int rc;
  buf_reset(&c->sql);
  va_start(ap, fmt);
  rc = buf_vprintf(&c->sql, fmt, ap);
  va_end(ap);
  return rc;
}

/* The commune row of |slug|, or NULL (a record of a commune the table does
 * not hold counts only in the district's totals). */
static struct repfig_commune *commune_of(struct repfig *f, const char *slug) {
  for (int i = 0; slug && i < f->ncommunes; i++)
    if (!strcmp(f->communes[i].slug, slug))
      return &f->communes[i];
  return NULL;
}

static void add_counts(struct repfig_counts *to,
                       const struct repfig_counts *x) {
  int64_t *a = (int64_t *)to;
  const int64_t *b = (const int64_t *)x;
  for (size_t i = 0; i < sizeof(*to) / sizeof(int64_t); i++)
    a[i] += b[i];
}

/* Runs |c->sql|, whose rows are a commune then |n| columns, adding column k
 * to the int64 at byte offset off[k] of the commune's and the district's
 * counts of the period |which[k]| (0 cur, 1 prev, 2 cumul). */
static int per_commune(struct ctx *c, int n, const size_t *off,
                       const int *which) {
  sqlite3_stmt *s = prep(c);
  int rc = 0, step;
  if (!s)
    return DS_EUNAVAIL;
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    struct repfig_commune *cm =
        commune_of(c->f, (const char *)sqlite3_column_text(s, 0));
    for (int k = 0; k < n; k++) {
      struct repfig_counts add = {0},
                           *tot[] = {&c->f->cur, &c->f->prev, &c->f->cumul};
      *(int64_t *)(void *)((char *)&add + off[k]) =
          sqlite3_column_int64(s, 1 + k);
      add_counts(tot[which[k]], &add);
      if (cm && which[k] == 0)
        add_counts(&cm->c, &add);
    }
  }
  if (step != SQLITE_DONE)
    rc = DS_EUNAVAIL;
  sqlite3_finalize(s);
  return rc;
}

#define OFF(m) offsetof(struct repfig_counts, m)

/* Towns (thị trấn) first, then xã, each in Vietnamese order. */
static int by_commune_name(const void *a, const void *b) {
  const struct repfig_commune *x = a, *y = b;
  bool tx = !strncmp(x->name, "thị trấn", strlen("thị trấn")),
       ty = !strncmp(y->name, "thị trấn", strlen("thị trấn"));
  if (tx != ty)
    return tx ? -1 : 1;
  return repfig_vn_cmp(x->name, y->name);
}

/* A laptop's one commune. */
static int device_commune(struct ctx *c) {
  struct repfig *f = c->f;
  const char *name = c->o->commune_name ? c->o->commune_name : c->o->commune;
  struct repfig_commune *cm;
  int rc = grow(&f->communes, 0, sizeof(*f->communes));
  if (rc)
    return rc;
  f->ncommunes = f->communes_total = 1;
  cm = &f->communes[0];
  cm->slug = ds_malloc(strlen(c->o->commune) + 1);
  cm->name = ds_malloc(strlen(name) + 1);
  if (!cm->slug || !cm->name)
    return DS_ENOMEM;
  memcpy(cm->slug, c->o->commune, strlen(c->o->commune) + 1);
  memcpy(cm->name, name, strlen(name) + 1);
  cm->last_sync_ms = c->o->last_sync_ms;
  return 0;
}

static int communes(struct ctx *c) {
  struct repfig *f = c->f;
  sqlite3_stmt *s;
  int rc = sqlf(c, "SELECT slug, kind || ' ' || name FROM commune WHERE "
                   "?3 IS NULL OR slug = ?3");
  int step;
  if (rc)
    return rc;
  s = prep(c);
  if (!s)
    return DS_EUNAVAIL;
  while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
    struct repfig_commune *cm;
    rc = grow(&f->communes, f->ncommunes, sizeof(*f->communes));
    if (rc)
      break;
    cm = &f->communes[f->ncommunes++];
    cm->slug = dup_col(s, 0, &rc);
    cm->name = dup_col(s, 1, &rc);
  }
  sqlite3_finalize(s);
  if (f->ncommunes)
    qsort(f->communes, (size_t)f->ncommunes, sizeof(*f->communes),
          by_commune_name);
  f->communes_total = f->ncommunes;
  /* The last sync the log recorded by the as-of day: the same on a reprint
   * (a request that only pulled is not logged, and is not counted). */
  if (!rc)
    rc = sqlf(c, "SELECT n.commune, max(l.received_ms) FROM synclog l JOIN"
                 " node n ON n.node = l.node WHERE l.received_ms <= ?7 GROUP"
                 " BY n.commune");
  if (rc)
    return rc;
  s = prep(c);
  if (!s)
    return DS_EUNAVAIL;
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    struct repfig_commune *cm =
        commune_of(f, (const char *)sqlite3_column_text(s, 0));
    if (cm)
      cm->last_sync_ms = sqlite3_column_int64(s, 1);
  }
  sqlite3_finalize(s);
  return step == SQLITE_DONE ? 0 : DS_EUNAVAIL;
}

static int meetings(struct ctx *c) {
  static const size_t off[] = {
      OFF(meetings),   OFF(attendees),     OFF(dialogues),  OFF(dialogue_att),
      OFF(receptions), OFF(reception_att), OFF(meetings),   OFF(attendees),
      OFF(dialogues),  OFF(dialogue_att),  OFF(receptions), OFF(reception_att)};
  static const int which[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  int rc = sqlf(
      c,
      "WITH m AS MATERIALIZED (SELECT commune, ds_f(st, %d) AS d,"
      " coalesce(ds_f(st, %d), 'monthly_listening') AS k,"
      " coalesce(ds_f(st, %d), 0) AS a FROM rec WHERE ent = %d AND"
      " coalesce(ds_f(st, %d), 0) = 0 AND (?3 IS NULL OR commune = ?3))"
      " SELECT commune,"
      " count(*) FILTER (WHERE k = 'monthly_listening' AND " CUR(
          "d") "),"
               " total(a) FILTER (WHERE k = 'monthly_listening' AND " CUR(
                   "d") "),"
                        " count(*) FILTER (WHERE k = 'dialogue' AND " CUR(
                            "d") "),"
                                 " total(a) FILTER (WHERE k = 'dialogue' "
                                 "AND " CUR(
                                     "d") "),"
                                          " count(*) FILTER (WHERE k = "
                                          "'citizen_reception' AND " CUR(
                                              "d") "),"
                                                   " total(a) FILTER (WHERE k "
                                                   "= 'citizen_reception' "
                                                   "AND " CUR(
                                                       "d") "),"
                                                            " count(*) FILTER "
                                                            "(WHERE k = "
                                                            "'monthly_"
                                                            "listening' "
                                                            "AND " PREV(
                                                                "d") "),"
                                                                     " total(a)"
                                                                     " FILTER "
                                                                     "(WHERE k "
                                                                     "= "
                                                                     "'monthly_"
                                                                     "listening"
                                                                     "' "
                                                                     "AND"
                                                                     " " PREV(
                                                                         "d") "),"
                                                                              " count(*) FILTER (WHERE k = 'dialogue' AND " PREV(
                                                                                  "d") "),"
                                                                                       " total(a) FILTER (WHERE k = 'dialogue' AND " PREV(
                                                                                           "d") "),"
                                                                                                " count(*) FILTER (WHERE k = 'citizen_reception' AND " PREV(
                                                                                                    "d") "),"
                                                                                                         " total(a) FILTER (WHERE k = 'citizen_reception' AND " PREV(
                                                                                                             "d") ")"
                                                                                                                  " FROM m GROUP BY commune",
      fld(E_MEETING, "held_on"), fld(E_MEETING, "kind"),
      fld(E_MEETING, "attendees"), E_MEETING, fld(E_MEETING, "voided"));
  if (!rc)
    rc = per_commune(c, 12, off, which);
  for (int i = 0; !rc && i < c->f->ncommunes; i++)
    c->f->communes_met += c->f->communes[i].c.meetings > 0;
  return rc;
}

/* The nodes of the district (its own, district devices, dashboard users):
 * a status they wrote is the district's answer. */
struct nodes {
  uint8_t (*id)[16];
  int n;
  bool others; /* on a laptop: the district is every node but these */
};

static int district_nodes(struct ctx *c, struct nodes *dn) {
  sqlite3_stmt *s;
  int rc;
  dn->id = NULL;
  dn->n = 0;
  dn->others = c->o->device;
  if (!c->o->device) {
    rc = sqlf(c, "SELECT node FROM node WHERE commune = 'district'");
  } else {
    /* The commune's devices: whoever created one of its records (a
     * record's commune is written once, at its creation). */
    rc = sqlf(c, "SELECT DISTINCT ds_fnode(st, CASE ent");
    for (int e = 0; !rc && e < SCHEMA_NENT; e++)
      rc = buf_printf(&c->sql, " WHEN %d THEN %d", e,
                      schema_entity(e)->commune_field);
    if (!rc)
      rc = buf_printf(&c->sql, " END) FROM rec");
  }
  if (rc)
    return rc;
  s = prep(c);
  if (!s)
    return DS_EUNAVAIL;
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    if (sqlite3_column_bytes(s, 0) != 16)
      continue;
    rc = grow(&dn->id, dn->n, sizeof(*dn->id));
    if (!rc)
      memcpy(dn->id[dn->n++], sqlite3_column_blob(s, 0), 16);
  }
  sqlite3_finalize(s);
  return rc;
}

static bool is_district(const struct nodes *dn, const void *node, int len) {
  if (!node || len != 16)
    return false;
  for (int i = 0; i < dn->n; i++)
    if (!memcmp(dn->id[i], node, 16))
      return !dn->others;
  return dn->others;
}

/* One petition into |k|: the partition of DESIGN §9. */
static void count_petition(struct repfig_counts *k, bool esc, bool done,
                           bool by_district, bool overdue) {
  k->received++;
  if (esc) {
    k->escalated++;
    k->esc_settled += done;
  } else if (done && by_district)
    k->at_district++;
  else if (done)
    k->at_commune++;
  else
    k->open++;
  k->overdue += overdue;
}

static int add_category(struct repfig *f, const char *cat) {
  const char *n = static_name(schema_category_names, cat);
  int rc;
  if (!n)
    n = "other";
  for (int i = 0; i < f->ncategories; i++)
    if (f->categories[i].slug == n) {
      f->categories[i].n++;
      return 0;
    }
  rc = grow(&f->categories, f->ncategories, sizeof(*f->categories));
  if (rc)
    return rc;
  f->categories[f->ncategories].slug = n;
  f->categories[f->ncategories++].n = 1;
  return 0;
}

/* Petitions, read once: each received in the period or last year's is
 * counted in C (a GROUP BY over a materialised scan took 3x as long on the
 * benchmark's 150,000), with its category. Escalated: status escalated or
 * an agency named, whatever came after; settled: answered or resolved; by
 * the district: that status written by a district node. */
static int petitions(struct ctx *c) {
  struct repfig *f = c->f;
  struct repfig_commune *cm = NULL;
  struct nodes dn;
  sqlite3_stmt *s;
  int stf = schema_entity(E_PETITION)->status_field, step;
  int rc = district_nodes(c, &dn);

  if (!rc)
    rc = sqlf(c,
              "SELECT commune, ds_f(st, %d), ds_f(st, %d), ds_f(st, %d),"
              " ds_f(st, %d), ds_f(st, %d), ds_fnode(st, %d) FROM rec WHERE"
              " ent = %d AND (?3 IS NULL OR commune = ?3) AND"
              " (" CUR("ds_f(st, %d)") " OR " PREV(
                  "ds_f(st, %d)") ") AND"
                                  " coalesce(ds_f(st, %d), 0) = 0",
              fld(E_PETITION, "received_on"), stf,
              fld(E_PETITION, "escalated_to"), fld(E_PETITION, "due_on"),
              fld(E_PETITION, "category"), stf, E_PETITION,
              fld(E_PETITION, "received_on"), fld(E_PETITION, "received_on"),
              fld(E_PETITION, "received_on"), fld(E_PETITION, "voided"));
  s = rc ? NULL : prep(c);
  if (!rc && !s)
    rc = DS_EUNAVAIL;
  while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
    const char *commune = (const char *)sqlite3_column_text(s, 0);
    const char *d = (const char *)sqlite3_column_text(s, 1);
    const char *st = (const char *)sqlite3_column_text(s, 2);
    const char *ag = (const char *)sqlite3_column_text(s, 3);
    const char *due = (const char *)sqlite3_column_text(s, 4);
    bool esc, done, by_d, cur;
    if (!d)
      continue;
    if (!st)
      st = "received";
    esc = !strcmp(st, "escalated") || (ag && *ag);
    done = !strcmp(st, "answered") || !strcmp(st, "resolved");
    by_d = done && is_district(&dn, sqlite3_column_blob(s, 6),
                               sqlite3_column_bytes(s, 6));
    cur = (!*f->from || strcmp(d, f->from) >= 0) &&
          (!*f->to || strcmp(d, f->to) <= 0);
    if (!cm || !commune || strcmp(cm->slug, commune))
      cm = commune_of(f, commune);
    if (cur) {
      bool od = !done && due && strcmp(due, f->as_of) < 0;
      count_petition(&f->cur, esc, done, by_d, od);
      if (cm)
        count_petition(&cm->c, esc, done, by_d, od);
      rc = add_category(f, (const char *)sqlite3_column_text(s, 5));
    }
    if (f->has_prev && strcmp(d, f->prev_from) >= 0 &&
        strcmp(d, f->prev_to) <= 0)
      count_petition(&f->prev, esc, done, by_d,
                     !done && due && strcmp(due, f->as_of) < 0);
  }
  if (!rc && s && step != SQLITE_DONE)
    rc = DS_EUNAVAIL;
  sqlite3_finalize(s);
  ds_free(dn.id);
  return rc;
}

static int visits(struct ctx *c) {
  static const size_t off[] = {OFF(visits), OFF(gifts), OFF(gift_vnd),
                               OFF(volunteers)};
  size_t offs[12];
  int which[12];
  int rc;
  for (int k = 0; k < 12; k++) {
    offs[k] = off[k % 4];
    which[k] = k / 4;
  }
  rc = sqlf(
      c,
      "WITH v AS MATERIALIZED (SELECT commune, ds_f(st, %d) AS d,"
      " coalesce(ds_f(st, %d), 0) AS g, coalesce(ds_f(st, %d), 0) AS"
      " n FROM rec WHERE ent = %d AND coalesce(ds_f(st, %d), 0) = 0"
      " AND (?3 IS NULL OR commune = ?3))"
      " SELECT commune, count(*) FILTER (WHERE " CUR(
          "d") "),"
               " count(*) FILTER (WHERE " CUR(
                   "d") " AND g > 0),"
                        " total(g) FILTER (WHERE " CUR(
                            "d") "),"
                                 " total(n) FILTER (WHERE " CUR(
                                     "d") "),"
                                          " count(*) FILTER (WHERE " PREV(
                                              "d") "),"
                                                   " count(*) FILTER "
                                                   "(WHERE " PREV(
                                                       "d") " AND g > 0),"
                                                            " total(g) FILTER "
                                                            "(WHERE " PREV(
                                                                "d") "),"
                                                                     " total(n)"
                                                                     " FILTER "
                                                                     "(WHERE"
                                                                     " " PREV(
                                                                         "d") "),"
                                                                              " count(*) FILTER (WHERE ?2 IS NULL OR d <= ?2),"
                                                                              " count(*) FILTER (WHERE (?2 IS NULL OR d <= ?2) AND g > 0),"
                                                                              " total(g) FILTER (WHERE ?2 IS NULL OR d <= ?2),"
                                                                              " total(n) FILTER (WHERE ?2 IS NULL OR d <= ?2)"
                                                                              " FROM v GROUP BY commune",
      fld(E_VISIT, "visited_on"), fld(E_VISIT, "gift_vnd"),
      fld(E_VISIT, "volunteers"), E_VISIT, fld(E_VISIT, "voided"));
  return rc ? rc : per_commune(c, 12, offs, which);
}

/* Surveys: counts per commune, and every rating by service. */
static int surveys(struct ctx *c) {
  static const size_t off[] = {OFF(surveys), OFF(surveys)};
  static const int which[] = {0, 1};
  struct repfig *f = c->f;
  struct repfig_sat all = {0};
  sqlite3_stmt *s;
  int rc =
      sqlf(c,
           "SELECT commune, count(*) FILTER (WHERE " CUR(
               "d") "),"
                    " count(*) FILTER (WHERE " PREV(
                        "d") ") FROM (SELECT"
                             " commune, ds_f(st, %d) AS d FROM rec WHERE ent = "
                             "%d AND"
                             " (?3 IS NULL OR commune = ?3)) GROUP BY commune",
           fld(E_SURVEY, "taken_on"), E_SURVEY);
  int step;
  if (!rc)
    rc = per_commune(c, 2, off, which);
  if (!rc)
    rc = sqlf(c,
              "WITH v AS MATERIALIZED (SELECT ds_f(st, %d) AS sv,"
              " ds_f(st, %d) AS r0, ds_f(st, %d) AS r1, ds_f(st, %d) AS"
              " r2, ds_f(st, %d) AS r3 FROM rec WHERE ent = %d AND"
              " (?3 IS NULL OR commune = ?3) AND ds_f(st, %d) IS NOT NULL"
              " AND " CUR("ds_f(st, %d)") ") SELECT sv, count(*)",
              fld(E_SURVEY, "service"), fld(E_SURVEY, "overall"),
              fld(E_SURVEY, "attitude"), fld(E_SURVEY, "timeliness"),
              fld(E_SURVEY, "procedure"), E_SURVEY, fld(E_SURVEY, "taken_on"),
              fld(E_SURVEY, "taken_on"), fld(E_SURVEY, "taken_on"));
  for (int r = 0; !rc && r < REPFIG_NRATINGS; r++)
    rc = buf_printf(&c->sql,
                    ", count(r%d), count(*) FILTER (WHERE r%d = 5),"
                    " count(*) FILTER (WHERE r%d = 4), count(*) FILTER"
                    " (WHERE r%d = 3), count(*) FILTER (WHERE r%d <= 2),"
                    " total(r%d)",
                    r, r, r, r, r, r);
  if (!rc)
    rc = buf_printf(&c->sql, " FROM v GROUP BY sv ORDER BY sv");
  if (rc)
    return rc;
  s = prep(c);
  if (!s)
    return DS_EUNAVAIL;
  while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
    struct repfig_sat *x;
    rc = grow(&f->sat, f->nsat, sizeof(*f->sat));
    if (rc)
      break;
    x = &f->sat[f->nsat++];
    x->service = static_name(schema_service_names,
                             (const char *)sqlite3_column_text(s, 0));
    if (!x->service)
      x->service = "other";
    x->forms = sqlite3_column_int64(s, 1);
    all.forms += x->forms;
    for (int r = 0; r < REPFIG_NRATINGS; r++) {
      int64_t *v = &x->r[r].n, *a = &all.r[r].n;
      for (int k = 0; k < 6; k++) {
        v[k] = sqlite3_column_int64(s, 2 + 6 * r + k);
        a[k] += v[k];
      }
    }
  }
  sqlite3_finalize(s);
  if (!rc && f->nsat) {
    rc = grow(&f->sat, f->nsat, sizeof(*f->sat));
    if (!rc)
      f->sat[f->nsat++] = all;
  }
  return rc;
}

/* Most first; ties in the order of their Vietnamese labels. */
static int by_count_label(const void *a, const void *b) {
  const struct repfig_named_count *x = a, *y = b;
  if (x->n != y->n)
    return x->n > y->n ? -1 : 1;
  return repfig_vn_cmp(schema_category_label(x->slug),
                       schema_category_label(y->slug));
}

static int by_visits_label(const void *a, const void *b) {
  const struct repfig_situation *x = a, *y = b;
  if (x->visits != y->visits)
    return x->visits > y->visits ? -1 : 1;
  return repfig_vn_cmp(repfig_situation_label(x->slug),
                       repfig_situation_label(y->slug));
}

/* Categories were counted with the petitions; most first. */
static int categories(struct ctx *c) {
  if (c->f->ncategories)
    qsort(c->f->categories, (size_t)c->f->ncategories,
          sizeof(*c->f->categories), by_count_label);
  return 0;
}

static int situations(struct ctx *c) {
  struct repfig *f = c->f;
  sqlite3_stmt *s;
  int rc = sqlf(c,
                "WITH v AS MATERIALIZED (SELECT ds_f(st, %d) AS sit,"
                " coalesce(ds_f(st, %d), 0) AS g, coalesce(ds_f(st, %d), 0)"
                " AS n FROM rec WHERE ent = %d AND coalesce(ds_f(st, %d), 0)"
                " = 0 AND (?3 IS NULL OR commune = ?3) AND " CUR(
                    "ds_f(st, %d)") ") SELECT sit, count(*), count(*)"
                                    " FILTER (WHERE g > 0), total(g), total(n) "
                                    "FROM v GROUP BY"
                                    " sit ORDER BY count(*) DESC, sit",
                fld(E_VISIT, "situation"), fld(E_VISIT, "gift_vnd"),
                fld(E_VISIT, "volunteers"), E_VISIT, fld(E_VISIT, "voided"),
                fld(E_VISIT, "visited_on"), fld(E_VISIT, "visited_on"));
  if (rc)
    return rc;
  s = prep(c);
  if (!s)
    return DS_EUNAVAIL;
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    struct repfig_situation *x;
    const char *n =
        static_name(situation_names, (const char *)sqlite3_column_text(s, 0));
    rc = grow(&f->situations, f->nsituations, sizeof(*f->situations));
    if (rc)
      break;
    x = &f->situations[f->nsituations++];
    x->slug = n ? n : "other";
    x->visits = sqlite3_column_int64(s, 1);
    x->gifts = sqlite3_column_int64(s, 2);
    x->gift_vnd = sqlite3_column_int64(s, 3);
    x->volunteers = sqlite3_column_int64(s, 4);
  }
  sqlite3_finalize(s);
  if (f->nsituations)
    qsort(f->situations, (size_t)f->nsituations, sizeof(*f->situations),
          by_visits_label);
  return rc;
}

/* The escalated petitions of the period, each in full. The WHERE decodes
 * two fields of every petition; the rest only for the few listed. */
static int escalations(struct ctx *c) {
  struct repfig *f = c->f;
  struct nodes dn;
  sqlite3_stmt *s;
  int stf = schema_entity(E_PETITION)->status_field;
  int rc = district_nodes(c, &dn);
  if (!rc)
    rc = sqlf(c,
              "SELECT lower(hex(rid)), %s, ds_f(st, %d),"
              " ds_f(st, %d), ds_f(st, %d), ds_f(st, %d), ds_f(st, %d),"
              " coalesce(ds_f(st, %d), 'received'), ds_f(st, %d), ds_f(st, %d),"
              " ds_fnode(st, %d) FROM rec WHERE ent = %d AND (?3 IS NULL OR"
              " commune = ?3) AND (ds_f(st, %d) = 'escalated' OR"
              " coalesce(ds_f(st, %d), '') != '') AND " CUR(
                  "ds_f(st, %d)") " AND coalesce(ds_f(st, %d), 0) = 0 ORDER BY "
                                  "3, 2, 1",
              /* A laptop's store has no commune table: the slug it is. */
              c->o->device ? "commune"
                           : "coalesce((SELECT kind || ' ' || name FROM commune"
                             " WHERE slug = rec.commune), commune)",
              fld(E_PETITION, "received_on"), fld(E_PETITION, "citizen"),
              fld(E_PETITION, "hamlet"), fld(E_PETITION, "content"),
              fld(E_PETITION, "escalated_to"), stf, fld(E_PETITION, "response"),
              fld(E_PETITION, "resolved_on"), stf, E_PETITION, stf,
              fld(E_PETITION, "escalated_to"), fld(E_PETITION, "received_on"),
              fld(E_PETITION, "received_on"), fld(E_PETITION, "voided"));
  s = rc ? NULL : prep(c);
  if (!rc && !s)
    rc = DS_EUNAVAIL;
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    struct repfig_escalation *x;
    rc = grow(&f->esc, f->nesc, sizeof(*f->esc));
    if (rc)
      break;
    x = &f->esc[f->nesc++];
    x->id = dup_col(s, 0, &rc);
    x->commune_name = dup_col(s, 1, &rc);
    /* A store without the commune table (a laptop's) gave the slug. */
    if (x->commune_name && commune_of(f, x->commune_name)) {
      const char *nm = commune_of(f, x->commune_name)->name;
      char *p = ds_malloc(strlen(nm) + 1);
      if (p)
        memcpy(p, nm, strlen(nm) + 1);
      else
        rc = DS_ENOMEM;
      ds_free(x->commune_name);
      x->commune_name = p;
    }
    x->received_on = dup_col(s, 2, &rc);
    x->citizen = dup_col(s, 3, &rc);
    x->hamlet = dup_col(s, 4, &rc);
    x->content = dup_col(s, 5, &rc);
    x->agency = dup_col(s, 6, &rc);
    x->status = dup_col(s, 7, &rc);
    x->response = dup_col(s, 8, &rc);
    x->resolved_on = dup_col(s, 9, &rc);
    x->settled = x->status && (!strcmp(x->status, "answered") ||
                               !strcmp(x->status, "resolved"));
    x->by_district = x->settled && is_district(&dn, sqlite3_column_blob(s, 10),
                                               sqlite3_column_bytes(s, 10));
  }
  sqlite3_finalize(s);
  ds_free(dn.id);
  return rc;
}

/* Ops quarantined in the period: their request's receive time, as a local
 * date, within it. */
static int quarantined(struct ctx *c) {
  struct repfig *f = c->f;
  sqlite3_stmt *s;
  /* A laptop's: the ops the district rejected, by when they were made. */
  int rc =
      c->o->device
          ? sqlf(c, "SELECT hlc >> 16, 'thiết bị này', ?3, error, message "
                    "FROM outbox"
                    " WHERE error IS NOT NULL AND " CUR(
                        "date((hlc >> 16) / 1000, 'unixepoch', "
                        "'localtime')") " ORDER BY seq")
          : sqlf(c, "SELECT l.received_ms, coalesce(nullif(n.label, ''), "
                    "lower(hex(q.node))),"
                    " coalesce(n.commune, ''), q.error, q.message FROM "
                    "quarantine q"
                    " JOIN synclog l ON l.seq = q.entry LEFT JOIN node n ON "
                    "n.node ="
                    " q.node WHERE (?3 IS NULL OR n.commune = ?3) AND " CUR(
                        "date(l.received_ms / 1000, 'unixepoch', "
                        "'localtime')") " ORDER BY l.seq, q.seq");
  if (rc)
    return rc;
  s = prep(c);
  if (!s)
    return DS_EUNAVAIL;
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    struct repfig_quarantined *x;
    rc = grow(&f->quar, f->nquar, sizeof(*f->quar));
    if (rc)
      break;
    x = &f->quar[f->nquar++];
    x->received_ms = sqlite3_column_int64(s, 0);
    x->device = dup_col(s, 1, &rc);
    x->commune = dup_col(s, 2, &rc);
    x->error = dup_col(s, 3, &rc);
    x->message = dup_col(s, 4, &rc);
  }
  sqlite3_finalize(s);
  return rc;
}

/* The end of day |date| in local time, in Unix ms. */
static int64_t day_end_ms(const char *date) {
  struct tm tm = {0};
  tm.tm_year = atoi(date) - 1900;
  tm.tm_mon = atoi(date + 5) - 1;
  tm.tm_mday = atoi(date + 8) + 1;
  tm.tm_isdst = -1;
  return (int64_t)mktime(&tm) * 1000 - 1;
}

/* Stale: never synced, or not in the 7 days before the earlier of the
 * period's end and the as-of day (what it entered since may be missing). */
static void staleness(struct repfig *f) {
  const char *end = *f->to && strcmp(f->to, f->as_of) < 0 ? f->to : f->as_of;
  int64_t limit = day_end_ms(end) - 7 * 86400000LL;
  for (int i = 0; i < f->ncommunes; i++)
    f->communes[i].stale =
        f->communes[i].last_sync_ms <= 0 || f->communes[i].last_sync_ms < limit;
}

int repfig_compute(struct store *st, const struct repfig_opts *o,
                   struct repfig **out, char *errbuf) {
  struct repfig *f;
  struct ctx c;
  int rc = 0;

  if (!st || !o || !out || !o->as_of || !schema_date_ok(o->as_of, 10))
    return DS_EINVAL;
  f = ds_calloc(1, sizeof(*f));
  if (!f)
    return DS_ENOMEM;
  snprintf(f->from, sizeof(f->from), "%s", o->from ? o->from : "");
  snprintf(f->to, sizeof(f->to), "%s", o->to ? o->to : "");
  snprintf(f->as_of, sizeof(f->as_of), "%s", o->as_of);
  if (o->from && o->to) {
    f->has_prev = true;
    year_before(o->from, f->prev_from);
    year_before(o->to, f->prev_to);
  }
  if (o->commune) {
    size_t n = strlen(o->commune);
    f->commune = ds_malloc(n + 1);
    if (!f->commune) {
      repfig_free(f);
      return DS_ENOMEM;
    }
    memcpy(f->commune, o->commune, n + 1);
  }
  c.st = st;
  c.o = o;
  c.f = f;
  c.as_of_end_ms = day_end_ms(f->as_of);
  buf_init(&c.sql, 0);
  /* One read transaction: every figure sees the same state. */
  if (sqlite3_exec(store_sqlite(st), "BEGIN", NULL, NULL, NULL))
    rc = DS_EUNAVAIL;
  if (!rc)
    rc = o->device ? device_commune(&c) : communes(&c);
  if (!rc && o->commune && f->ncommunes == 0)
    rc = ds_fail(errbuf, DS_ENOENT, "'%s' is not a commune of this district",
                 o->commune);
  else if (!rc && o->commune)
    f->scope_name = ds_malloc(strlen(f->communes[0].name) + 1);
  if (!rc && o->commune) {
    if (!f->scope_name)
      rc = DS_ENOMEM;
    else
      memcpy(f->scope_name, f->communes[0].name,
             strlen(f->communes[0].name) + 1);
  }
  if (!rc)
    rc = meetings(&c);
  if (!rc)
    rc = petitions(&c);
  if (!rc)
    rc = visits(&c);
  if (!rc)
    rc = surveys(&c);
  if (!rc)
    rc = categories(&c);
  if (!rc)
    rc = situations(&c);
  if (!rc)
    rc = escalations(&c);
  if (!rc)
    rc = quarantined(&c);
  sqlite3_exec(store_sqlite(st), "COMMIT", NULL, NULL, NULL);
  buf_cleanup(&c.sql);
  if (rc) {
    if (rc != DS_ENOENT)
      ds_fail(errbuf, rc, "could not read the report's figures: %s",
              store_errmsg(st));
    repfig_free(f);
    return rc;
  }
  staleness(f);
  *out = f;
  return 0;
}

void repfig_free(struct repfig *f) {
  if (!f)
    return;
  for (int i = 0; i < f->ncommunes; i++) {
    ds_free(f->communes[i].slug);
    ds_free(f->communes[i].name);
  }
  for (int i = 0; i < f->nesc; i++) {
    struct repfig_escalation *x = &f->esc[i];
    char *p[] = {x->id,       x->commune_name, x->received_on, x->citizen,
                 x->hamlet,   x->content,      x->agency,      x->status,
                 x->response, x->resolved_on};
    for (size_t k = 0; k < sizeof(p) / sizeof(p[0]); k++)
      ds_free(p[k]);
  }
  for (int i = 0; i < f->nquar; i++) {
    ds_free(f->quar[i].device);
    ds_free(f->quar[i].commune);
    ds_free(f->quar[i].error);
    ds_free(f->quar[i].message);
  }
  ds_free(f->communes);
  ds_free(f->esc);
  ds_free(f->categories);
  ds_free(f->sat);
  ds_free(f->situations);
  ds_free(f->quar);
  ds_free(f->commune);
  ds_free(f->scope_name);
  ds_free(f);
}
