/* SPDX-License-Identifier: MIT
 * repfig_tables.c -- what the report reads from the district's own small
 * tables rather than from the records: the communes and the last sync each
 * logged, which nodes are the district's, the quarantined ops; and the
 * staleness judged from those syncs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "common/repfig_int.h"
#include "common/store.h"

static char *dup_col(sqlite3_stmt *s, int c, int *rc) {
  const unsigned char *t = sqlite3_column_text(s, c);
  char *p;
  if (!t)
    return NULL;
  p = ds_strdup((const char *)t);
  if (!p)
    *rc = DS_ENOMEM;
  return p;
}

/* Grows |*arr| (of |size|-byte elements) to hold |n| + 1. */
int repfig__grow(void *arr, int n, size_t size) {
  void **p = arr;
  void *q = ds_realloc(*p, (size_t)(n + 1) * size);
  if (!q)
    return DS_ENOMEM;
  *p = q;
  memset((char *)q + (size_t)n * size, 0, size);
  return 0;
}

/* Prepares |ctx->sql| and binds the parameters its queries share: ?1 ?2
 * the period, ?3 the commune, ?7 the end of the as-of day in Unix ms. */
static sqlite3_stmt *prep(struct rf_ctx *c) {
  sqlite3_stmt *s;
  struct repfig *f = c->f;
  if (buf_cstr(&c->sql) ||
      sqlite3_prepare_v2(store_sqlite(c->st), (const char *)c->sql.data, -1, &s,
                         NULL))
    return NULL;
  for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
    const char *n = sqlite3_bind_parameter_name(s, i);
    if (!n)
      continue;
    if (!strcmp(n, "?1"))
      sqlite3_bind_text(s, i, *f->from ? f->from : NULL, -1, SQLITE_STATIC);
    else if (!strcmp(n, "?2"))
      sqlite3_bind_text(s, i, *f->to ? f->to : NULL, -1, SQLITE_STATIC);
    else if (!strcmp(n, "?3"))
      sqlite3_bind_text(s, i, f->commune, -1, SQLITE_STATIC);
    else if (!strcmp(n, "?7"))
      sqlite3_bind_int64(s, i, c->as_of_end_ms);
  }
  return s;
}

#define CUR(d) "((?1 IS NULL OR " d " >= ?1) AND (?2 IS NULL OR " d " <= ?2))"

static int sqlf(struct rf_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int sqlf(struct rf_ctx *c, const char *fmt, ...) {
  va_list ap;
  int rc;
  buf_reset(&c->sql);
  va_start(ap, fmt);
  rc = buf_vprintf(&c->sql, fmt, ap);
  va_end(ap);
  return rc;
}

/* The commune row of |slug|, or NULL. */
struct repfig_commune *repfig__commune_of(struct repfig *f, const char *slug) {
  for (int i = 0; slug && i < f->ncommunes; i++)
    if (!strcmp(f->communes[i].slug, slug))
      return &f->communes[i];
  return NULL;
}

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
int repfig__device_commune(struct rf_ctx *c) {
  struct repfig *f = c->f;
  const char *name = c->o->commune_name ? c->o->commune_name : c->o->commune;
  struct repfig_commune *cm;
  int rc = repfig__grow(&f->communes, 0, sizeof(*f->communes));
  if (rc)
    return rc;
  f->ncommunes = f->communes_total = 1;
  cm = &f->communes[0];
  cm->slug = ds_strdup(c->o->commune);
  cm->name = ds_strdup(name);
  if (!cm->slug || !cm->name)
    return DS_ENOMEM;
  cm->last_sync_ms = c->o->last_sync_ms;
  return 0;
}

int repfig__communes(struct rf_ctx *c) {
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
    rc = repfig__grow(&f->communes, f->ncommunes, sizeof(*f->communes));
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
        repfig__commune_of(f, (const char *)sqlite3_column_text(s, 0));
    if (cm)
      cm->last_sync_ms = sqlite3_column_int64(s, 1);
  }
  sqlite3_finalize(s);
  return step == SQLITE_DONE ? 0 : DS_EUNAVAIL;
}

/* Which nodes of the facts are the district's (its own, district devices,
 * dashboard users): a status they wrote is the district's answer. On a
 * laptop, every node but those that created one of its records (a
 * record's commune is written once, at its creation). */
int repfig__district_nodes(struct rf_ctx *c) {
  const struct repfig_facts *x = c->x;
  sqlite3_stmt *s;
  int rc = 0;
  c->district = ds_calloc((size_t)x->nnodes + 1, sizeof(*c->district));
  if (!c->district)
    return DS_ENOMEM;
  if (c->o->device) {
    for (int k = 0; k < x->nnodes; k++)
      c->district[k] = !x->creator[k];
    return 0;
  }
  rc = sqlf(c, "SELECT node FROM node WHERE commune = 'district'");
  s = rc ? NULL : prep(c);
  if (!rc && !s)
    rc = DS_EUNAVAIL;
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    if (sqlite3_column_bytes(s, 0) != ID_LEN)
      continue;
    for (int k = 0; k < x->nnodes; k++)
      if (!memcmp(x->node[k], sqlite3_column_blob(s, 0), ID_LEN))
        c->district[k] = true;
  }
  sqlite3_finalize(s);
  return rc;
}

/* Ops quarantined in the period: their request's receive time, as a local
 * date, within it. */
int repfig__quarantined(struct rf_ctx *c) {
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
    rc = repfig__grow(&f->quar, f->nquar, sizeof(*f->quar));
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
int64_t repfig__day_end_ms(const char *date) {
  struct tm tm = {0};
  tm.tm_year = atoi(date) - 1900;
  tm.tm_mon = atoi(date + 5) - 1;
  tm.tm_mday = atoi(date + 8) + 1;
  tm.tm_isdst = -1;
  return (int64_t)mktime(&tm) * 1000 - 1;
}

/* Stale: never synced, or not in the 7 days before the earlier of the
 * period's end and the as-of day (what it entered since may be missing). */
void repfig__staleness(struct repfig *f) {
  const char *end = *f->to && strcmp(f->to, f->as_of) < 0 ? f->to : f->as_of;
  int64_t limit = repfig__day_end_ms(end) - 7 * 86400000LL;
  for (int i = 0; i < f->ncommunes; i++)
    f->communes[i].stale =
        f->communes[i].last_sync_ms <= 0 || f->communes[i].last_sync_ms < limit;
}
