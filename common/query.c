/* SPDX-License-Identifier: MIT
 * query.c -- lists and detail views over the store. */
#include "common/query.h"

#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/cmsg.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/merge.h"
#include "common/textout.h"
#include "common/vnenum.h"
#include "common/utf8.h"

void query_today(char out[11]) {
  time_t t = (time_t)(clock_now_ms() / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(out, 11, "%Y-%m-%d", &tm);
}

bool query_date_parse(const char *s, char out[11]) {
  int d, m, y, n = 0;
  if (strlen(s) == 10 && schema_date_ok(s, 10)) {
    memcpy(out, s, 11);
    return true;
  }
  if (sscanf(s, "%2d/%2d/%4d%n", &d, &m, &y, &n) != 3 || s[n] != '\0' ||
      y < 1000 || y > 9999 || d < 1 || d > 31 || m < 1 || m > 12)
    return false;
  snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
  return schema_date_ok(out, 10);
}

int query_resolve(struct store *st, int ent, const char *text,
                  uint8_t rid[ID_LEN], char *list, size_t cap) {
  char want[2 * ID_LEN + 1];
  size_t n = strlen(text), len = 0;
  sqlite3_stmt *s;
  int found = 0;

  if (n < 6 || n > 2 * ID_LEN)
    return DS_EINVAL;
  for (size_t i = 0; i <= n; i++) {
    char c = text[i];
    if (c && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
               (c >= 'A' && c <= 'F')))
      return DS_EINVAL;
    want[i] = c >= 'A' && c <= 'F' ? (char)(c + 32) : c;
  }
  if (cap)
    list[0] = '\0';
  /* A prefix, or an end of 6+ digits (a short id is the last 8). */
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT rid FROM rec WHERE (?2 < 0 OR ent = ?2) AND"
                         " (substr(lower(hex(rid)), 1, length(?1)) = ?1 OR"
                         " substr(lower(hex(rid)), -length(?1)) = ?1)"
                         " ORDER BY rid LIMIT 6",
                         -1, &s, NULL))
    return DS_EIO;
  sqlite3_bind_text(s, 1, want, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 2, ent);
  while (sqlite3_step(s) == SQLITE_ROW) {
    char hex[2 * ID_LEN + 1];
    if (sqlite3_column_bytes(s, 0) != ID_LEN)
      continue;
    if (found++ == 0)
      memcpy(rid, sqlite3_column_blob(s, 0), ID_LEN);
    hex_encode(hex, sqlite3_column_blob(s, 0), ID_LEN);
    if (len < cap)
      len += (size_t)snprintf(list + len, cap - len, "%s%s",
                              found > 1 ? ", " : "", hex);
  }
  sqlite3_finalize(s);
  if (found == 0)
    return DS_ENOENT;
  return found > 1 ? DS_EAMBIGUOUS : 0;
}

int query_resolve_err(struct store *st, int ent, const char *text,
                      uint8_t rid[ID_LEN], char *errbuf) {
  char list[6 * (2 * ID_LEN + 2)];
  int rc = query_resolve(st, ent, text, rid, list, sizeof(list));
  if (rc == DS_EINVAL)
    return cmsg_fail(errbuf, rc, CM_NOT_RECORD_ID, text);
  if (rc == DS_ENOENT)
    return cmsg_fail(errbuf, rc, CM_NO_ID, cmsg_ent(ent), text);
  if (rc == DS_EAMBIGUOUS)
    return cmsg_fail(errbuf, rc, CM_AMBIGUOUS, text, list);
  return rc ? cmsg_fail(errbuf, rc, CM_READ_STORE) : 0;
}

void query_filter_from_args(struct query_filter *flt, const struct args *a,
                            char today[11]) {
  memset(flt, 0, sizeof(*flt));
  query_today(today);
  flt->status = args_get(a, "status");
  flt->category = args_get(a, "category");
  flt->commune = args_get(a, "commune");
  flt->search = args_get(a, "search");
  flt->overdue = args_has(a, "overdue");
  flt->today = today;
}

/* Builds an FTS5 query: each word quoted (so punctuation is literal), đ
 * folded like the indexed text, all words required. */
static int fts_query(struct buf *q, const char *text) {
  struct buf folded;
  const char *p, *end;
  int rc;

  buf_init(&folded, 0);
  rc = utf8_fold_dd(&folded, text, strlen(text));
  p = (const char *)folded.data;
  end = p + folded.len;
  while (!rc && p < end) {
    const char *w;
    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    w = p;
    while (p < end && *p != ' ' && *p != '\t')
      p++;
    if (p == w)
      break;
    rc = buf_append(q, q->len ? " \"" : "\"", q->len ? 2 : 1);
    for (const char *c = w; c < p && !rc; c++)
      rc = *c == '"' ? buf_append(q, "\"\"", 2) : buf_putc(q, (uint8_t)*c);
    /* Each word matches as a prefix: "nguye" finds "Nguyễn". */
    if (!rc)
      rc = buf_append(q, "\"*", 2);
  }
  if (!rc)
    rc = buf_cstr(q);
  buf_cleanup(&folded);
  return rc;
}

static const char *col(sqlite3_stmt *s, int i) {
  const char *t = (const char *)sqlite3_column_text(s, i);
  return t ? t : "";
}

static void json_col(struct buf *b, sqlite3_stmt *s, int i) {
  const char *t = (const char *)sqlite3_column_text(s, i);
  int rc = t ? json_str(b, t, (size_t)sqlite3_column_bytes(s, i))
             : buf_append(b, "null", 4);
  (void)rc; /* a short buffer only truncates output */
}

/* Column widths of a petition list line: 8 + 10 + 19 + 16 + 39 and four
 * gaps of 2 make 100 characters (DESIGN §8). */
enum { W_ID = 8, W_DATE = 10, W_STATUS = 19, W_CAT = 16, W_TEXT = 39 };

static int heading(const char *const *heads, FILE *out) {
  static const int w[] = {W_ID, W_DATE, W_STATUS, W_CAT, W_TEXT};
  struct buf b;
  int rc = 0;
  buf_init(&b, 0);
  for (int i = 0; i < 5 && !rc; i++) {
    rc = textout_cell(&b, heads[i], strlen(heads[i]), w[i], i < 4);
    if (!rc)
      rc = buf_printf(&b, i < 4 ? "  " : "\n");
  }
  if (!rc)
    fwrite(b.data, 1, b.len, out);
  buf_cleanup(&b);
  return rc;
}

/* One petition as a line of aligned columns, typed text escaped. */
static int petition_line(struct buf *line, sqlite3_stmt *s) {
  const char *id = col(s, 0), *st = vnenum_label(col(s, 3));
  const char *cat = vnenum_label(col(s, 4));
  struct buf text;
  int rc;

  buf_init(&text, 0);
  rc = buf_printf(&text, "%s%s%s%s",
                  sqlite3_column_int(s, 10) ? "[xung đột] " : "", col(s, 5),
                  *col(s, 5) ? ": " : "", col(s, 6));
  rc = rc || buf_printf(line, "%s  ",
                        id + (strlen(id) > W_ID ? strlen(id) - W_ID : 0));
  rc = rc || textout_cell(line, col(s, 2), strlen(col(s, 2)), W_DATE, 1);
  rc = rc || buf_printf(line, "  ");
  rc = rc || textout_cell(line, st, strlen(st), W_STATUS, 1);
  rc = rc || buf_printf(line, "  ");
  rc = rc || textout_cell(line, cat, strlen(cat), W_CAT, 1);
  rc = rc || buf_printf(line, "  ");
  rc = rc || textout_cell(line, (const char *)text.data, text.len, W_TEXT, 0);
  rc = rc || buf_putc(line, '\n');
  buf_cleanup(&text);
  return rc;
}

int query_petitions(struct store *st, const struct query_filter *flt, bool json,
                    FILE *out, char *errbuf) {
  struct buf sql, q, line;
  sqlite3_stmt *s = NULL;
  int rc = 0, n = 0, step;

  if (flt->status && schema_enum_index(schema_status_names, flt->status,
                                       strlen(flt->status)) < 0)
    return ds_fail(errbuf, DS_EBADOP,
                   "--status must be one of: received, in_progress, "
                   "escalated, answered, resolved");
  if (flt->category && schema_enum_index(schema_category_names, flt->category,
                                         strlen(flt->category)) < 0)
    return ds_fail(errbuf, DS_EBADOP,
                   "--category '%s' is not a petition category", flt->category);
  if (flt->search && *flt->search) {
    rc = store_search_refresh(st);
    if (rc)
      return ds_fail(errbuf, rc, "could not update the search index");
  }
  buf_init(&sql, 0);
  buf_init(&q, 0);
  buf_init(&line, 0);
  rc = buf_printf(&sql, "SELECT lower(hex(p.rid)), p.commune, p.received_on,"
                        " p.status, p.category, p.citizen, p.content, p.due_on,"
                        " p.escalated_to, p.response, p.conflicted"
                        " FROM petition p WHERE coalesce(p.voided, 0) = 0"
                        " AND (?1 IS NULL OR p.status = ?1)"
                        " AND (?2 IS NULL OR p.category = ?2)"
                        " AND (?3 IS NULL OR p.commune = ?3)"
                        " AND (?4 = 0 OR (p.due_on < ?5 AND coalesce(p.status,"
                        " 'received') NOT IN ('answered', 'resolved')))"
                        " AND (?7 = 0 OR coalesce(p.status, 'received') NOT IN"
                        " ('answered', 'resolved'))"
                        " AND (?8 IS NULL OR p.received_on >= ?8)"
                        " AND (?9 IS NULL OR p.received_on <= ?9)"
                        " AND (?10 IS NULL OR lower(p.hamlet) = lower(?10))"
                        " AND (?11 IS NULL OR lower(hex(p.meeting)) = ?11)");
  if (!rc && flt->search && *flt->search)
    rc = buf_printf(&sql, " AND p.id IN (SELECT rowid FROM search WHERE "
                          "search MATCH ?6)");
  if (!rc)
    rc = buf_printf(&sql, " ORDER BY p.received_on, p.rid");
  if (!rc)
    rc = buf_cstr(&sql);
  if (!rc && flt->search && *flt->search)
    rc = fts_query(&q, flt->search);
  if (rc)
    goto done;
  if (sqlite3_prepare_v2(store_sqlite(st), (char *)sql.data, -1, &s, NULL)) {
    rc = DS_EUNAVAIL;
    goto done;
  }
  sqlite3_bind_text(s, 1, flt->status, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, flt->category, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, flt->commune, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 4, flt->overdue);
  sqlite3_bind_text(s, 5, flt->today, -1, SQLITE_STATIC);
  if (flt->search && *flt->search)
    sqlite3_bind_text(s, 6, (char *)q.data, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 7, flt->open);
  sqlite3_bind_text(s, 8, flt->from, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 9, flt->to, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 10, flt->hamlet, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 11, flt->meeting, -1, SQLITE_STATIC);
  if (json)
    fputs("[", out);
  else if (flt->heads)
    rc = heading(flt->heads, out);
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    buf_reset(&line);
    if (json) {
      static const char *const keys[] = {
          "id",      "commune", "received_on", "status",       "category",
          "citizen", "content", "due_on",      "escalated_to", "response"};
      rc = buf_printf(&line, "%s\n  {", n ? "," : "");
      for (int i = 0; i < 10 && !rc; i++) {
        rc = buf_printf(&line, "%s\"%s\": ", i ? ", " : "", keys[i]);
        json_col(&line, s, i);
      }
      if (!rc)
        rc = buf_printf(&line, ", \"conflicts\": %d}",
                        sqlite3_column_int(s, 10));
    } else {
      rc = petition_line(&line, s);
    }
    if (!rc)
      fwrite(line.data, 1, line.len, out);
    n++;
  }
  if (step != SQLITE_DONE)
    rc = DS_EUNAVAIL;
  if (json)
    fputs(n ? "\n]\n" : "]\n", out);
  else if (n == 0 && !flt->heads)
    fputs("Không có kiến nghị nào. (no petitions match)\n", out);
done:
  sqlite3_finalize(s);
  buf_cleanup(&sql);
  buf_cleanup(&q);
  buf_cleanup(&line);
  return rc;
}

/* A value as text for people: labels for enums, hex for ids. */
static int human_value(struct buf *b, int ent, int f, const struct value *v) {
  const struct field_def *fd = &schema_entity(ent)->fields[f];
  char hex[2 * ID_LEN + 1], name[64];
  switch (v->type) {
  case VAL_NIL: return buf_printf(b, "-");
  case VAL_BOOL: return buf_printf(b, "%s", v->i ? "có" : "không");
  case VAL_INT: return buf_printf(b, "%lld", (long long)v->i);
  case VAL_BIN:
    hex_encode(hex, (const uint8_t *)v->s, v->n == ID_LEN ? ID_LEN : 0);
    return buf_printf(b, "%s", hex);
  case VAL_STATUS:
    snprintf(name, sizeof(name), "%.*s", (int)v->n, v->s);
    return buf_printf(b, "%s (%s%s)", vnenum_label(name), name,
                      v->i ? (v->i == 1 ? ", reopened" : ", reopened again")
                           : "");
  case VAL_STR:
    if (fd->enums) {
      snprintf(name, sizeof(name), "%.*s", (int)v->n, v->s);
      return buf_printf(b, "%s (%s)", vnenum_label(name), name);
    }
    return textout_escaped(b, v->s, v->n);
  }
  return 0;
}

static int version_text(struct buf *b, const struct version *v, bool json) {
  char node[2 * ID_LEN + 1], when[32];
  time_t t = (time_t)(v->hlc >> 16) / 1000;
  struct tm tm;
  hex_encode(node, v->node, ID_LEN);
  gmtime_r(&t, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (json)
    return buf_printf(b, "\"hlc\": %llu, \"node\": \"%s\", \"at\": \"%s\"",
                      (unsigned long long)v->hlc, node, when);
  return buf_printf(b, "%s by %.16s, version %016llx:%s", when, node,
                    (unsigned long long)v->hlc, node);
}

int query_record(struct store *st, const uint8_t rid[ID_LEN], bool json,
                 const char *extra, FILE *out) {
  const struct entity_def *e;
  struct mstate ms;
  struct buf blob, b;
  char hex[2 * ID_LEN + 1];
  int rc, nconf = 0;

  mstate_init(&ms);
  buf_init(&blob, 0);
  buf_init(&b, 0);
  rc = store_load(st, rid, &ms, &blob);
  if (rc)
    goto done;
  e = schema_entity(ms.ent);
  hex_encode(hex, rid, ID_LEN);
  if (json)
    rc = buf_printf(&b, "{\"id\": \"%s\", \"entity\": \"%s\", \"fields\": {",
                    hex, e->name);
  else
    rc = buf_printf(&b, "%s %s\n", e->name, hex);
  for (int f = 0, k = 0; f < e->nfields && !rc; f++) {
    const struct mwrite *w = mstate_winner(&ms, f);
    struct value v;
    size_t used;
    if (!w || value_decode(&v, w->val, w->len, &used))
      continue;
    nconf += mstate_conflicted(&ms, f);
    if (json) {
      rc = buf_printf(&b, "%s\"%s\": ", k++ ? ", " : "", e->fields[f].name);
      if (!rc)
        rc = json_value(&b, &v);
    } else {
      rc = buf_printf(&b, "  %-13s ", e->fields[f].name);
      if (!rc)
        rc = human_value(&b, ms.ent, f, &v);
      if (!rc)
        rc = buf_printf(&b, "%s\n",
                        mstate_conflicted(&ms, f) ? "  [xung đột]" : "");
    }
  }
  if (!rc && json)
    rc = buf_printf(&b, "}, \"conflicts\": [");
  else if (!rc && nconf)
    rc = buf_printf(&b, "Xung đột (conflicts): %d\n", nconf);
  for (int f = 0, k = 0; f < e->nfields && !rc; f++) {
    const struct mwrite *win = mstate_winner(&ms, f);
    if (!mstate_conflicted(&ms, f))
      continue;
    if (json)
      rc = buf_printf(&b, "%s{\"field\": \"%s\", \"writes\": [",
                      k++ ? ", " : "", e->fields[f].name);
    else
      rc = buf_printf(&b, "  %s:\n", e->fields[f].name);
    for (uint32_t i = 0; i < ms.f[f].nopen && !rc; i++) {
      const struct mwrite *w = &ms.f[f].open[i];
      struct value v;
      size_t used;
      if (value_decode(&v, w->val, w->len, &used))
        continue;
      if (json) {
        rc = buf_printf(&b, "%s{\"value\": ", i ? ", " : "");
        if (!rc)
          rc = json_value(&b, &v);
        if (!rc)
          rc = buf_printf(&b, ", ");
        if (!rc)
          rc = version_text(&b, &w->v, true);
        if (!rc)
          rc = buf_printf(&b, ", \"winner\": %s}", w == win ? "true" : "false");
      } else {
        rc = buf_printf(&b, "    %s ", w == win ? "*" : " ");
        if (!rc)
          rc = human_value(&b, ms.ent, f, &v);
        if (!rc)
          rc = buf_printf(&b, "\n      ");
        if (!rc)
          rc = version_text(&b, &w->v, false);
        if (!rc)
          rc = buf_putc(&b, '\n');
      }
    }
    if (!rc && json)
      rc = buf_printf(&b, "]}");
  }
  if (!rc && json)
    rc = buf_printf(&b, "]%s%s}\n", extra ? ", " : "", extra ? extra : "");
  if (!rc)
    fwrite(b.data, 1, b.len, out);
done:
  mstate_cleanup(&ms);
  buf_cleanup(&blob);
  buf_cleanup(&b);
  return rc;
}

int query_surveys(struct store *st, const char *commune, bool json,
                  const char *const heads[5], FILE *out) {
  static const char *const keys[] = {"id",        "commune",    "taken_on",
                                     "service",   "overall",    "attitude",
                                     "procedure", "timeliness", "comment"};
  static const int w[] = {W_ID, W_DATE, 16, 24, 0};
  sqlite3_stmt *s = NULL;
  struct buf b;
  int rc = 0, n = 0, step = SQLITE_DONE;

  rc = db_prepare(store_sqlite(st),
                  "SELECT lower(hex(rid)), commune, taken_on, service, overall,"
                  " attitude, procedure, timeliness, comment FROM survey"
                  " WHERE coalesce(voided, 0) = 0 AND (?1 IS NULL OR"
                  " commune = ?1) ORDER BY taken_on, rid",
                  &s);
  if (rc)
    return rc;
  sqlite3_bind_text(s, 1, commune, -1, SQLITE_STATIC);
  buf_init(&b, 0);
  rc = json ? buf_putc(&b, '[') : 0;
  for (int i = 0; i < 5 && !rc && !json; i++)
    rc = i < 4 ? textout_cell(&b, heads[i], strlen(heads[i]), w[i], 1) ||
                     buf_printf(&b, "  ")
               : buf_printf(&b, "%s\n", heads[i]);
  while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
    const char *id = col(s, 0);
    if (json) {
      rc = buf_printf(&b, "%s\n  {", n ? "," : "");
      for (int i = 0; i < 9 && !rc; i++) {
        rc = buf_printf(&b, "%s\"%s\": ", i ? ", " : "", keys[i]);
        json_col(&b, s, i);
      }
      rc = rc || buf_putc(&b, '}');
    } else {
      const char *svc = vnenum_label(col(s, 3));
      rc = buf_printf(&b, "%s  %-10s  %-16s  ",
                      id + (strlen(id) > W_ID ? strlen(id) - W_ID : 0),
                      col(s, 2), col(s, 1));
      rc = rc || textout_cell(&b, svc, strlen(svc), w[3], 1);
      rc = rc || buf_printf(&b, "  %s\n", col(s, 4));
    }
    n++;
  }
  if (!rc && step != SQLITE_DONE)
    rc = DS_EUNAVAIL;
  if (!rc && json)
    rc = buf_printf(&b, n ? "\n]\n" : "]\n");
  if (!rc)
    fwrite(b.data, 1, b.len, out);
  sqlite3_finalize(s);
  buf_cleanup(&b);
  return rc;
}
