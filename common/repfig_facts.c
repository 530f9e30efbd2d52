/* SPDX-License-Identifier: MIT
 * repfig_facts.c -- the one pass over the records: each record's state blob
 * loaded once in C and the facts the figures read kept in small arrays
 * (repfig_int.h), instead of one SQL function call per field and row in
 * eight queries. Also what the dashboard reads from the same facts: its
 * chart by month and its petition filters. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "common/merge.h"
#include "common/repfig_int.h"
#include "common/schema.h"
#include "common/store.h"
#include "common/value.h"

int32_t repfig__day(const char *s, size_t n) {
  int32_t v = 0;
  if (!s || n != 10 || s[4] != '-' || s[7] != '-')
    return 0;
  for (int i = 0; i < 10; i++) {
    if (i == 4 || i == 7)
      continue;
    if (s[i] < '0' || s[i] > '9')
      return 0;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static uint32_t fnv(const void *p, size_t n) {
  const uint8_t *b = p;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

/* Grows |*arr| of |size|-byte elements to hold one more than |n|. */
static int more(void *arr, int n, int *cap, size_t size) {
  void **p = arr;
  void *q;
  int ncap;
  if (n < *cap)
    return 0;
  ncap = *cap ? *cap * 2 : 64;
  q = ds_realloc(*p, (size_t)ncap * size);
  if (!q)
    return DS_ENOMEM;
  *p = q;
  *cap = ncap;
  return 0;
}

static bool name_eq(const struct rf_names *t, int k, const char *s, size_t n) {
  return strlen(t->s[k]) == n && !memcmp(t->s[k], s, n);
}

int rf_names_find(const struct rf_names *t, const char *s, size_t n) {
  if (!t->nslot || !s)
    return -1;
  for (uint32_t i = fnv(s, n) & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1))
    if (!t->slot[i] || name_eq(t, t->slot[i] - 1, s, n))
      return t->slot[i] - 1;
}

static void names_put(struct rf_names *t, int k) {
  const char *s = t->s[k];
  uint32_t i = fnv(s, strlen(s)) & (t->nslot - 1);
  while (t->slot[i])
    i = (i + 1) & (t->nslot - 1);
  t->slot[i] = k + 1;
}

/* The index of |s| in |t|, added when new; -1 for NULL. */
static int names_add(struct rf_names *t, const char *s, size_t n,
                     int32_t *idx) {
  int k = rf_names_find(t, s, n);
  *idx = -1;
  if (!s)
    return 0;
  if (k >= 0 || memchr(s, '\0', n)) { /* a NUL inside: never a real name */
    *idx = k;
    return 0;
  }
  if ((uint32_t)(t->n + 1) * 2 > t->nslot) {
    uint32_t ns = t->nslot ? t->nslot * 2 : 64;
    int32_t *sl = ds_calloc(ns, sizeof(*sl));
    if (!sl)
      return DS_ENOMEM;
    ds_free(t->slot);
    t->slot = sl;
    t->nslot = ns;
    for (int i = 0; i < t->n; i++)
      names_put(t, i);
  }
  if (more(&t->s, t->n, &t->cap, sizeof(*t->s)))
    return DS_ENOMEM;
  t->s[t->n] = ds_strndup(s, n);
  if (!t->s[t->n])
    return DS_ENOMEM;
  names_put(t, t->n);
  *idx = t->n++;
  return 0;
}

static void names_free(struct rf_names *t) {
  for (int i = 0; i < t->n; i++)
    ds_free(t->s[i]);
  ds_free(t->s);
  ds_free(t->slot);
}

/* The index of node |id| in |x|, added when new. */
static int node_add(struct repfig_facts *x, const uint8_t *id, int32_t *idx) {
  uint32_t i;
  if ((uint32_t)(x->nnodes + 1) * 2 > x->nnslot) {
    uint32_t ns = x->nnslot ? x->nnslot * 2 : 64;
    int32_t *sl = ds_calloc(ns, sizeof(*sl));
    if (!sl)
      return DS_ENOMEM;
    ds_free(x->nslot);
    x->nslot = sl;
    x->nnslot = ns;
    for (int k = 0; k < x->nnodes; k++) {
      for (i = fnv(x->node[k], ID_LEN) & (ns - 1); sl[i];
           i = (i + 1) & (ns - 1))
        ;
      sl[i] = k + 1;
    }
  }
  for (i = fnv(id, ID_LEN) & (x->nnslot - 1); x->nslot[i];
       i = (i + 1) & (x->nnslot - 1))
    if (!memcmp(x->node[x->nslot[i] - 1], id, ID_LEN)) {
      *idx = x->nslot[i] - 1;
      return 0;
    }
  if (more(&x->node, x->nnodes, &x->capnodes, sizeof(*x->node)))
    return DS_ENOMEM;
  {
    bool *c = ds_realloc(x->creator, (size_t)x->capnodes * sizeof(*c));
    if (!c)
      return DS_ENOMEM;
    x->creator = c;
  }
  memcpy(x->node[x->nnodes], id, ID_LEN);
  x->creator[x->nnodes] = false;
  x->nslot[i] = x->nnodes + 1;
  *idx = x->nnodes++;
  return 0;
}

void repfig_facts_free(struct repfig_facts *x) {
  if (!x)
    return;
  names_free(&x->communes);
  names_free(&x->hamlets);
  ds_free(x->node);
  ds_free(x->creator);
  ds_free(x->nslot);
  ds_free(x->m);
  ds_free(x->p);
  ds_free(x->v);
  ds_free(x->s);
  ds_free(x);
}

/* ---- one record's winners ---- */

/* The winner of field |f|, decoded; false when none (or nil). */
static bool win(const struct mstate *ms, int f, struct value *v) {
  const struct mwrite *w = f >= 0 ? mstate_winner(ms, f) : NULL;
  size_t used;
  return w && !value_decode(v, w->val, w->len, &used) && v->type != VAL_NIL;
}

static int64_t win_int(const struct mstate *ms, int f) {
  struct value v;
  return win(ms, f, &v) && (v.type == VAL_INT || v.type == VAL_BOOL) ? v.i : 0;
}

static int32_t win_day(const struct mstate *ms, int f) {
  struct value v;
  return win(ms, f, &v) && v.type == VAL_STR ? repfig__day(v.s, v.n) : 0;
}

static int8_t win_enum(const struct mstate *ms, int f) {
  struct value v;
  const char *const *list;
  if (f < 0 || !win(ms, f, &v) || (v.type != VAL_STR && v.type != VAL_STATUS))
    return -1;
  list = schema_entity(ms->ent)->fields[f].enums;
  return (int8_t)(list ? schema_enum_index(list, v.s, v.n) : -1);
}

static int fld(int ent, const char *name) {
  return schema_field_find(schema_entity(ent), name, strlen(name));
}

/* Field indexes, looked up once per load (a field the schema lacks, as
 * "voided" of surveys, is -1 and reads as none). */
struct fields {
  int voided[SCHEMA_NENT];
  int m_day, m_kind, m_att;
  int p_day, p_due, p_cat, p_agency, p_hamlet;
  int v_day, v_gift, v_vol, v_sit;
  int s_day, s_service, s_r[REPFIG_NRATINGS];
};

static void fields_init(struct fields *f) {
  for (int e = 0; e < SCHEMA_NENT; e++)
    f->voided[e] = fld(e, "voided");
  f->m_day = fld(ENT_MEETING, "held_on");
  f->m_kind = fld(ENT_MEETING, "kind");
  f->m_att = fld(ENT_MEETING, "attendees");
  f->p_day = fld(ENT_PETITION, "received_on");
  f->p_due = fld(ENT_PETITION, "due_on");
  f->p_cat = fld(ENT_PETITION, "category");
  f->p_agency = fld(ENT_PETITION, "escalated_to");
  f->p_hamlet = fld(ENT_PETITION, "hamlet");
  f->v_day = fld(ENT_VISIT, "visited_on");
  f->v_gift = fld(ENT_VISIT, "gift_vnd");
  f->v_vol = fld(ENT_VISIT, "volunteers");
  f->v_sit = fld(ENT_VISIT, "situation");
  f->s_day = fld(ENT_SURVEY, "taken_on");
  f->s_service = fld(ENT_SURVEY, "service");
  for (int r = 0; r < REPFIG_NRATINGS; r++)
    f->s_r[r] = fld(ENT_SURVEY, repfig_rating_names[r]);
}

static int petition(struct repfig_facts *x, const struct fields *fd,
                    const struct mstate *ms, int32_t commune,
                    const uint8_t *rid, int ridlen) {
  int stf = schema_entity(ENT_PETITION)->status_field;
  const struct mwrite *sw = mstate_winner(ms, stf);
  struct rf_petition *p;
  struct value v;
  int32_t day = win_day(ms, fd->p_day);
  int rc;
  if (!day)
    return 0;
  if (more(&x->p, x->np, &x->capp, sizeof(*x->p)))
    return DS_ENOMEM;
  p = &x->p[x->np];
  memset(p, 0, sizeof(*p));
  if (ridlen == ID_LEN)
    memcpy(p->rid, rid, ID_LEN);
  p->day = day;
  p->due = win_day(ms, fd->p_due);
  p->commune = commune;
  p->category = win_enum(ms, fd->p_cat);
  p->status = win_enum(ms, stf);
  p->esc = p->status == schema_enum_index(schema_status_names, "escalated",
                                          strlen("escalated")) ||
           (win(ms, fd->p_agency, &v) && v.type == VAL_STR && v.n > 0);
  p->hamlet = -1;
  if (win(ms, fd->p_hamlet, &v) && v.type == VAL_STR &&
      (rc = names_add(&x->hamlets, v.s, v.n, &p->hamlet)))
    return rc;
  p->node = -1;
  if (sw && (rc = node_add(x, sw->v.node, &p->node)))
    return rc;
  x->np++;
  return 0;
}

static int other(struct repfig_facts *x, const struct fields *fd,
                 const struct mstate *ms, int32_t commune) {
  switch (ms->ent) {
  case ENT_MEETING:
    if (more(&x->m, x->nm, &x->capm, sizeof(*x->m)))
      return DS_ENOMEM;
    x->m[x->nm++] = (struct rf_meeting){win_day(ms, fd->m_day),
                                        (int32_t)win_int(ms, fd->m_att),
                                        commune, win_enum(ms, fd->m_kind)};
    return 0;
  case ENT_VISIT:
    if (more(&x->v, x->nv, &x->capv, sizeof(*x->v)))
      return DS_ENOMEM;
    x->v[x->nv++] = (struct rf_visit){
        win_int(ms, fd->v_gift), win_int(ms, fd->v_vol), win_day(ms, fd->v_day),
        commune, win_enum(ms, fd->v_sit)};
    return 0;
  case ENT_SURVEY: {
    struct rf_survey *s;
    if (more(&x->s, x->ns, &x->caps, sizeof(*x->s)))
      return DS_ENOMEM;
    s = &x->s[x->ns++];
    s->day = win_day(ms, fd->s_day);
    s->commune = commune;
    s->service = win_enum(ms, fd->s_service);
    for (int r = 0; r < REPFIG_NRATINGS; r++)
      s->r[r] = (int8_t)win_int(ms, fd->s_r[r]);
    return 0;
  }
  default: return 0;
  }
}

int repfig_facts_load(struct store *st, bool device, struct repfig_facts **out,
                      char *errbuf) {
  struct repfig_facts *x = ds_calloc(1, sizeof(*x));
  struct mstate ms;
  struct fields fd;
  sqlite3_stmt *s = NULL;
  int rc = 0, step = SQLITE_DONE, last = -1;

  if (!x)
    return DS_ENOMEM;
  mstate_init(&ms);
  fields_init(&fd);
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT ent, commune, st, rid FROM rec", -1, &s, NULL))
    rc = DS_EUNAVAIL;
  while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
    const char *cm = (const char *)sqlite3_column_text(s, 1);
    size_t cn = (size_t)sqlite3_column_bytes(s, 1);
    int32_t commune = -1;
    /* A record that does not load counts nowhere, as its fields read as
     * NULL through ds_f. */
    if (mstate_load(&ms, sqlite3_column_blob(s, 2),
                    (size_t)sqlite3_column_bytes(s, 2)) ||
        ms.ent != sqlite3_column_int(s, 0))
      continue;
    if (device) {
      const struct mwrite *w =
          mstate_winner(&ms, schema_entity(ms.ent)->commune_field);
      int32_t k;
      if (w && (rc = node_add(x, w->v.node, &k)))
        break;
      if (w)
        x->creator[k] = true;
    }
    if (win_int(&ms, fd.voided[ms.ent]))
      continue;
    /* Records come commune by commune, mostly: the last one first. */
    if (last >= 0 && cm && name_eq(&x->communes, last, cm, cn))
      commune = last;
    else if ((rc = names_add(&x->communes, cm, cn, &commune)))
      break;
    last = commune;
    rc = ms.ent == ENT_PETITION
             ? petition(x, &fd, &ms, commune, sqlite3_column_blob(s, 3),
                        sqlite3_column_bytes(s, 3))
             : other(x, &fd, &ms, commune);
  }
  if (!rc && step != SQLITE_DONE)
    rc = DS_EUNAVAIL;
  sqlite3_finalize(s);
  mstate_cleanup(&ms);
  if (rc) {
    repfig_facts_free(x);
    return ds_fail(errbuf, rc, "could not read the records: %s",
                   store_errmsg(st));
  }
  *out = x;
  return 0;
}

/* ---- the dashboard's reads ---- */

void repfig_facts_months(const struct repfig_facts *x, const char *from,
                         const char *to, const char *commune, int64_t *pet,
                         int64_t *met, int n) {
  int32_t lo = repfig__day(from, strlen(from)),
          hi = repfig__day(to, strlen(to));
  int32_t c = commune && *commune
                  ? rf_names_find(&x->communes, commune, strlen(commune))
                  : -2;
  int base = lo / 10000 * 12 + lo / 100 % 100;
  if (c == -1)
    return; /* no record of that commune */
  for (int i = 0; i < x->np; i++) {
    const struct rf_petition *p = &x->p[i];
    int k = p->day / 10000 * 12 + p->day / 100 % 100 - base;
    if (p->day >= lo && p->day <= hi && (c < 0 || p->commune == c) && k >= 0 &&
        k < n)
      pet[k]++;
  }
  for (int i = 0; i < x->nm; i++) {
    const struct rf_meeting *m = &x->m[i];
    int k = m->day / 10000 * 12 + m->day / 100 % 100 - base;
    if (m->kind <= 0 && m->day && m->day >= lo && m->day <= hi &&
        (c < 0 || m->commune == c) && k >= 0 && k < n)
      met[k]++;
  }
}

int repfig_facts_list(const struct repfig_facts *x,
                      const struct repfig_filter *fl, int64_t skip, int want,
                      uint8_t (*rid)[ID_LEN]) {
  int32_t lo = repfig__day(fl->from, strlen(fl->from)),
          hi = repfig__day(fl->to, strlen(fl->to)),
          today = repfig__day(fl->today, strlen(fl->today));
  int c = *fl->commune
              ? rf_names_find(&x->communes, fl->commune, strlen(fl->commune))
              : -2,
      h = *fl->hamlet
              ? rf_names_find(&x->hamlets, fl->hamlet, strlen(fl->hamlet))
              : -2,
      st = *fl->status ? schema_enum_index(schema_status_names, fl->status,
                                           strlen(fl->status))
                       : -2,
      cat = *fl->category
                ? schema_enum_index(schema_category_names, fl->category,
                                    strlen(fl->category))
                : -2,
      answered = schema_enum_index(schema_status_names, "answered", 8),
      resolved = schema_enum_index(schema_status_names, "resolved", 8), n = 0;
  if (c == -1 || h == -1 || st == -1 || cat == -1)
    return 0;
  /* Newest first: the store's order, backwards. */
  for (int i = x->np - 1; i >= 0 && n < want; i--) {
    const struct rf_petition *p = &x->p[i];
    if ((c >= 0 && p->commune != c) || (h >= 0 && p->hamlet != h) ||
        (st >= 0 && p->status != st) || (cat >= 0 && p->category != cat) ||
        p->day < lo || p->day > hi ||
        (fl->overdue && (!p->due || p->due >= today || p->status == answered ||
                         p->status == resolved)))
      continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    memcpy(rid[n++], p->rid, ID_LEN);
  }
  return n;
}
