/* SPDX-License-Identifier: MIT
 * repfig.c -- the report's figures for a period, counted in C from the
 * records' facts (repfig_facts.c: one pass over the store, decoding each
 * record's state once); the communes, their last syncs and the quarantined
 * ops from their own small tables; the escalated petitions read in full by
 * their ids. */
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
#include "common/hex.h"
#include "common/merge.h"
#include "common/repfig_int.h"
#include "common/schema.h"
#include "common/store.h"

int64_t repfig_settled_bp(const struct repfig_counts *c) {
  int64_t done = c->at_commune + c->at_district + c->esc_settled;
  if (c->received <= 0)
    return -1;
  return (done * 10000 + c->received / 2) / c->received;
}

/* "2024-05-31" -> "2023-05-31" (29 February -> 28). */
static void year_before(const char *d, char out[REPFIG_DATE_LEN]) {
  int y = atoi(d);
  snprintf(out, REPFIG_DATE_LEN, "%04u-%.5s", (unsigned)(y - 1) % 10000u,
           d + 5);
  if (!strcmp(out + 4, "-02-29"))
    memcpy(out + 8, "28", 2);
}

/* As SQL's (?1 IS NULL OR d >= ?1) AND (?2 IS NULL OR d <= ?2) did: a
 * record without the date is in an open period only. */
static bool in_cur(const struct rf_ctx *c, int32_t d) {
  return (!c->from || (d && d >= c->from)) && (!c->to || (d && d <= c->to));
}

static bool in_prev(const struct rf_ctx *c, int32_t d) {
  return c->pfrom && d && d >= c->pfrom && d <= c->pto;
}

/* In the report's scope (its commune, or the whole district). */
static bool mine(const struct rf_ctx *c, int32_t commune) {
  return c->commune == -2 || commune == c->commune;
}

/* The commune row a record of the facts' commune |k| counts in, or NULL (a
 * record of a commune the table does not hold counts only in the
 * district's totals). */
static struct repfig_counts *row_of(const struct rf_ctx *c, int32_t k) {
  return k >= 0 && c->row[k] >= 0 ? &c->f->communes[c->row[k]].c : NULL;
}

static void add_counts(struct repfig_counts *to,
                       const struct repfig_counts *x) {
  int64_t *a = (int64_t *)to;
  const int64_t *b = (const int64_t *)x;
  for (size_t i = 0; i < sizeof(*to) / sizeof(int64_t); i++)
    a[i] += b[i];
}

/* |k| into the period's district total and, for the current period, the
 * commune's row. */
static void add(struct rf_ctx *c, struct repfig_counts *total, int32_t commune,
                const struct repfig_counts *k) {
  struct repfig_counts *r = total == &c->f->cur ? row_of(c, commune) : NULL;
  add_counts(total, k);
  if (r)
    add_counts(r, k);
}

/* Meetings: the programme's (kind monthly_listening, or none) apart from
 * dialogues and receptions. */
static void meetings(struct rf_ctx *c) {
  for (int i = 0; i < c->x->nm; i++) {
    const struct rf_meeting *m = &c->x->m[i];
    struct repfig_counts k = {0};
    if (!mine(c, m->commune))
      continue;
    if (m->kind <= 0)
      k.meetings = 1, k.attendees = m->attendees;
    else if (m->kind == 1)
      k.dialogues = 1, k.dialogue_att = m->attendees;
    else if (m->kind == 2)
      k.receptions = 1, k.reception_att = m->attendees;
    if (in_cur(c, m->day))
      add(c, &c->f->cur, m->commune, &k);
    if (in_prev(c, m->day))
      add(c, &c->f->prev, m->commune, &k);
  }
  for (int i = 0; i < c->f->ncommunes; i++)
    c->f->communes_met += c->f->communes[i].c.meetings > 0;
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

static bool settled(int status) {
  static int answered = -2, resolved = -2;
  if (answered == -2) {
    answered = schema_enum_index(schema_status_names, "answered", 8);
    resolved = schema_enum_index(schema_status_names, "resolved", 8);
  }
  return status >= 0 && (status == answered || status == resolved);
}

/* Most first; ties in the order of their Vietnamese labels. */
static int by_count_label(const void *a, const void *b) {
  const struct repfig_named_count *x = a, *y = b;
  if (x->n != y->n)
    return x->n > y->n ? -1 : 1;
  return repfig_vn_cmp(schema_category_label(x->slug),
                       schema_category_label(y->slug));
}

/* Petitions received in the period or last year's, with the period's
 * categories. Escalated: status escalated or an agency named, whatever
 * came after; settled: answered or resolved; by the district: that status
 * written by a district node. */
static int petitions(struct rf_ctx *c) {
  struct repfig *f = c->f;
  int64_t cats[64] = {0};
  int ncat = 0, other = -1;
  while (schema_category_names[ncat] && ncat < 63)
    ncat++;
  other = schema_enum_index(schema_category_names, "other", 5);
  for (int i = 0; i < c->x->np; i++) {
    const struct rf_petition *p = &c->x->p[i];
    bool done = settled(p->status), od;
    bool by_d = done && p->node >= 0 && c->district[p->node];
    struct repfig_counts *r;
    if (!mine(c, p->commune))
      continue;
    od = !done && p->due && p->due < c->as_of;
    if (in_cur(c, p->day)) {
      count_petition(&f->cur, p->esc, done, by_d, od);
      if ((r = row_of(c, p->commune)) != NULL)
        count_petition(r, p->esc, done, by_d, od);
      cats[p->category >= 0 && p->category < ncat ? p->category
           : other >= 0                           ? other
                                                  : ncat]++;
    }
    if (in_prev(c, p->day))
      count_petition(&f->prev, p->esc, done, by_d, od);
  }
  for (int k = 0; k <= ncat; k++) {
    if (!cats[k])
      continue;
    if (repfig__grow(&f->categories, f->ncategories, sizeof(*f->categories)))
      return DS_ENOMEM;
    f->categories[f->ncategories].slug =
        k < ncat ? schema_category_names[k] : "other";
    f->categories[f->ncategories++].n = cats[k];
  }
  if (f->ncategories)
    qsort(f->categories, (size_t)f->ncategories, sizeof(*f->categories),
          by_count_label);
  return 0;
}

static int by_visits_label(const void *a, const void *b) {
  const struct repfig_situation *x = a, *y = b;
  if (x->visits != y->visits)
    return x->visits > y->visits ? -1 : 1;
  return repfig_vn_cmp(repfig_situation_label(x->slug),
                       repfig_situation_label(y->slug));
}

/* Household visits: per commune in the period, last year's, and since
 * records began through the period's end; the period's by situation. */
static int visits(struct rf_ctx *c) {
  const char *const *sits =
      schema_entity(ENT_VISIT)
          ->fields[schema_field_find(schema_entity(ENT_VISIT), "situation", 9)]
          .enums;
  struct repfig_situation by[32] = {{0}};
  struct repfig *f = c->f;
  int nsit = 0;
  while (sits[nsit] && nsit < 31)
    nsit++;
  for (int i = 0; i < c->x->nv; i++) {
    const struct rf_visit *v = &c->x->v[i];
    struct repfig_counts k = {0};
    if (!mine(c, v->commune))
      continue;
    k.visits = 1;
    k.gifts = v->gift > 0;
    k.gift_vnd = v->gift;
    k.volunteers = v->volunteers;
    if (in_cur(c, v->day)) {
      struct repfig_situation *s =
          &by[v->situation >= 0 && v->situation < nsit ? v->situation : nsit];
      add(c, &f->cur, v->commune, &k);
      s->visits++;
      s->gifts += v->gift > 0;
      s->gift_vnd += v->gift;
      s->volunteers += v->volunteers;
    }
    if (in_prev(c, v->day))
      add(c, &f->prev, v->commune, &k);
    if (!c->to || (v->day && v->day <= c->to))
      add(c, &f->cumul, v->commune, &k);
  }
  for (int k = 0; k <= nsit; k++) {
    if (!by[k].visits)
      continue;
    if (repfig__grow(&f->situations, f->nsituations, sizeof(*f->situations)))
      return DS_ENOMEM;
    by[k].slug = k < nsit ? sits[k] : "other";
    f->situations[f->nsituations++] = by[k];
  }
  if (f->nsituations)
    qsort(f->situations, (size_t)f->nsituations, sizeof(*f->situations),
          by_visits_label);
  return 0;
}

/* Surveys: counts per commune, and every rating by service (services in
 * the byte order of their names, then the whole). */
static int surveys(struct rf_ctx *c) {
  struct repfig *f = c->f;
  struct repfig_sat by[32] = {{0}}, all = {0};
  int order[32], nsv = 0;
  while (schema_service_names[nsv] && nsv < 32)
    order[nsv] = nsv, nsv++;
  for (int i = 1; i < nsv; i++) /* a handful: insertion sort */
    for (int j = i; j > 0 && strcmp(schema_service_names[order[j - 1]],
                                    schema_service_names[order[j]]) > 0;
         j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  for (int i = 0; i < c->x->ns; i++) {
    const struct rf_survey *s = &c->x->s[i];
    struct repfig_counts k = {0};
    struct repfig_sat *x;
    if (!mine(c, s->commune))
      continue;
    k.surveys = 1;
    if (in_prev(c, s->day))
      add(c, &f->prev, s->commune, &k);
    if (!in_cur(c, s->day))
      continue;
    add(c, &f->cur, s->commune, &k);
    if (s->service < 0 || s->service >= nsv)
      continue;
    x = &by[s->service];
    x->forms++;
    for (int r = 0; r < REPFIG_NRATINGS; r++) {
      int v = s->r[r];
      struct repfig_rating *g = &x->r[r];
      if (!v)
        continue;
      g->n++;
      g->k5 += v == 5;
      g->k4 += v == 4;
      g->k3 += v == 3;
      g->le2 += v <= 2;
      g->sum += v;
    }
  }
  for (int i = 0; i < nsv; i++) {
    struct repfig_sat *x = &by[order[i]];
    if (!x->forms)
      continue;
    if (repfig__grow(&f->sat, f->nsat, sizeof(*f->sat)))
      return DS_ENOMEM;
    x->service = schema_service_names[order[i]];
    f->sat[f->nsat++] = *x;
    all.forms += x->forms;
    for (int r = 0; r < REPFIG_NRATINGS; r++) {
      int64_t *v = &x->r[r].n, *a = &all.r[r].n;
      for (int k = 0; k < 6; k++)
        a[k] += v[k];
    }
  }
  if (f->nsat) {
    if (repfig__grow(&f->sat, f->nsat, sizeof(*f->sat)))
      return DS_ENOMEM;
    f->sat[f->nsat++] = all;
  }
  return 0;
}

/* The text of field |f|'s winner, or NULL (|*rc| set when out of memory). */
static char *win_text(const struct mstate *ms, int f, const char *dflt,
                      int *rc) {
  const struct mwrite *w = f >= 0 ? mstate_winner(ms, f) : NULL;
  struct value v;
  size_t used;
  char *p = NULL;
  if (w && !value_decode(&v, w->val, w->len, &used) &&
      (v.type == VAL_STR || v.type == VAL_STATUS))
    p = ds_strndup(v.s, v.n);
  else if (dflt)
    p = ds_strdup(dflt);
  else
    return NULL;
  if (!p)
    *rc = DS_ENOMEM;
  return p;
}

static int by_date_commune_id(const void *a, const void *b) {
  const struct repfig_escalation *x = a, *y = b;
  int d = strcmp(x->received_on ? x->received_on : "",
                 y->received_on ? y->received_on : "");
  if (!d)
    d = strcmp(x->commune_name ? x->commune_name : "",
               y->commune_name ? y->commune_name : "");
  return d ? d : strcmp(x->id, y->id);
}

/* The escalated petitions of the period, each read in full by its id. */
static int escalations(struct rf_ctx *c) {
  const struct entity_def *pe = schema_entity(ENT_PETITION);
  static const char *const names[] = {"received_on", "citizen",      "hamlet",
                                      "content",     "escalated_to", "status",
                                      "response",    "resolved_on"};
  struct repfig *f = c->f;
  struct mstate ms;
  sqlite3_stmt *s = NULL;
  int fi[8], rc = 0;

  for (int k = 0; k < 8; k++)
    fi[k] = schema_field_find(pe, names[k], strlen(names[k]));
  mstate_init(&ms);
  for (int i = 0; !rc && i < c->x->np; i++) {
    const struct rf_petition *p = &c->x->p[i];
    struct repfig_escalation *x;
    struct repfig_commune *cm;
    const char *slug;
    if (!p->esc || !mine(c, p->commune) || !in_cur(c, p->day))
      continue;
    if (!s && sqlite3_prepare_v2(store_sqlite(c->st),
                                 "SELECT commune, st FROM rec WHERE rid = ?1",
                                 -1, &s, NULL)) {
      rc = DS_EUNAVAIL;
      break;
    }
    sqlite3_reset(s);
    sqlite3_bind_blob(s, 1, p->rid, ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW ||
        mstate_load(&ms, sqlite3_column_blob(s, 1),
                    (size_t)sqlite3_column_bytes(s, 1))) {
      rc = DS_EUNAVAIL;
      break;
    }
    rc = repfig__grow(&f->esc, f->nesc, sizeof(*f->esc));
    if (rc)
      break;
    x = &f->esc[f->nesc++];
    x->id = ds_malloc(2 * ID_LEN + 1);
    if (!x->id) {
      rc = DS_ENOMEM;
      break;
    }
    hex_encode(x->id, p->rid, ID_LEN);
    /* The commune's name, or its slug when the table lacks it (as on a
     * laptop for another commune). */
    slug = (const char *)sqlite3_column_text(s, 0);
    cm = repfig__commune_of(f, slug);
    x->commune_name = cm ? ds_strdup(cm->name) : slug ? ds_strdup(slug) : NULL;
    if (!x->commune_name && (cm || slug))
      rc = DS_ENOMEM;
    x->received_on = win_text(&ms, fi[0], NULL, &rc);
    x->citizen = win_text(&ms, fi[1], NULL, &rc);
    x->hamlet = win_text(&ms, fi[2], NULL, &rc);
    x->content = win_text(&ms, fi[3], NULL, &rc);
    x->agency = win_text(&ms, fi[4], NULL, &rc);
    x->status = win_text(&ms, fi[5], "received", &rc);
    x->response = win_text(&ms, fi[6], NULL, &rc);
    x->resolved_on = win_text(&ms, fi[7], NULL, &rc);
    x->settled = settled(p->status);
    x->by_district = x->settled && p->node >= 0 && c->district[p->node];
  }
  sqlite3_finalize(s);
  mstate_cleanup(&ms);
  if (!rc && f->nesc)
    qsort(f->esc, (size_t)f->nesc, sizeof(*f->esc), by_date_commune_id);
  return rc;
}

int repfig_compute_facts(struct store *st, const struct repfig_facts *x,
                         const struct repfig_opts *o, struct repfig **out,
                         char *errbuf) {
  struct repfig *f;
  struct rf_ctx c;
  int rc = 0;

  if (!st || !x || !o || !out || !o->as_of || !schema_date_ok(o->as_of, 10))
    return DS_EINVAL;
  f = ds_calloc(1, sizeof(*f));
  if (!f)
    return DS_ENOMEM;
  memset(&c, 0, sizeof(c));
  snprintf(f->from, sizeof(f->from), "%s", o->from ? o->from : "");
  snprintf(f->to, sizeof(f->to), "%s", o->to ? o->to : "");
  snprintf(f->as_of, sizeof(f->as_of), "%s", o->as_of);
  if (o->from && o->to) {
    f->has_prev = true;
    year_before(o->from, f->prev_from);
    year_before(o->to, f->prev_to);
    c.pfrom = repfig__day(f->prev_from, strlen(f->prev_from));
    c.pto = repfig__day(f->prev_to, strlen(f->prev_to));
  }
  if (o->commune && !(f->commune = ds_strdup(o->commune))) {
    repfig_free(f);
    return DS_ENOMEM;
  }
  c.st = st;
  c.o = o;
  c.x = x;
  c.f = f;
  c.as_of_end_ms = repfig__day_end_ms(f->as_of);
  c.from = repfig__day(f->from, strlen(f->from));
  c.to = repfig__day(f->to, strlen(f->to));
  c.as_of = repfig__day(f->as_of, strlen(f->as_of));
  c.commune = o->commune
                  ? rf_names_find(&x->communes, o->commune, strlen(o->commune))
                  : -2;
  buf_init(&c.sql, 0);
  rc = o->device ? repfig__device_commune(&c) : repfig__communes(&c);
  if (!rc && o->commune && f->ncommunes == 0)
    rc = ds_fail(errbuf, DS_ENOENT, "'%s' is not a commune of this district",
                 o->commune);
  else if (!rc && o->commune &&
           !(f->scope_name = ds_strdup(f->communes[0].name)))
    rc = DS_ENOMEM;
  if (!rc && !(c.row = ds_malloc(((size_t)x->communes.n + 1) * sizeof(int))))
    rc = DS_ENOMEM;
  for (int k = 0; !rc && k < x->communes.n; k++) {
    struct repfig_commune *cm = repfig__commune_of(f, x->communes.s[k]);
    c.row[k] = cm ? (int)(cm - f->communes) : -1;
  }
  if (!rc)
    rc = repfig__district_nodes(&c);
  if (!rc)
    meetings(&c);
  if (!rc)
    rc = petitions(&c);
  if (!rc)
    rc = visits(&c);
  if (!rc)
    rc = surveys(&c);
  if (!rc)
    rc = escalations(&c);
  if (!rc)
    rc = repfig__quarantined(&c);
  buf_cleanup(&c.sql);
  ds_free(c.row);
  ds_free(c.district);
  if (rc) {
    if (rc != DS_ENOENT)
      ds_fail(errbuf, rc, "could not read the report's figures: %s",
              store_errmsg(st));
    repfig_free(f);
    return rc;
  }
  repfig__staleness(f);
  *out = f;
  return 0;
}

int repfig_compute(struct store *st, const struct repfig_opts *o,
                   struct repfig **out, char *errbuf) {
  struct repfig_facts *x = NULL;
  int rc;
  if (!st || !o || !out || !o->as_of || !schema_date_ok(o->as_of, 10))
    return DS_EINVAL;
  /* One read transaction: every figure sees the same state. */
  if (sqlite3_exec(store_sqlite(st), "BEGIN", NULL, NULL, NULL))
    return ds_fail(errbuf, DS_EUNAVAIL, "could not read the store: %s",
                   store_errmsg(st));
  rc = repfig_facts_load(st, o->device, &x, errbuf);
  if (!rc)
    rc = repfig_compute_facts(st, x, o, out, errbuf);
  sqlite3_exec(store_sqlite(st), "COMMIT", NULL, NULL, NULL);
  repfig_facts_free(x);
  return rc;
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
