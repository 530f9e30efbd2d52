/* SPDX-License-Identifier: MIT
 * report.c -- the district report. Every figure is one SQL query over the
 * entity views; the three formats print the same numbers. */
#include "daemon/report.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/schema.h"
#include "common/store.h"
#include "common/utf8.h"

/* The period and commune filters every query shares: ?1 from, ?2 to,
 * ?3 commune (NULL for all). */
#define IN_PERIOD(col)                                                     \
  " coalesce(voided, 0) = 0 AND (?1 IS NULL OR " col " >= ?1) AND (?2 IS " \
  "NULL OR " col " <= ?2) AND (?3 IS NULL OR commune = ?3)"

/* Petition outcomes, a partition of those received (as the district's
 * reports count them: 221 = 218 at the commune + 3 escalated):
 * escalated: sent to a district agency (status escalated, or an agency
 * named); answered at the commune: answered or resolved, never escalated;
 * open: neither. Overdue: past due_on and not answered or resolved,
 * escalated ones included. */
#define ESCALATED "(status = 'escalated' OR coalesce(escalated_to, '') != '')"
#define DONE "status IN ('answered', 'resolved')"

struct totals {
  long long meetings, attendees, petitions, done_commune, escalated, open,
      overdue, visits, gift_vnd, volunteers, surveys;
};

static sqlite3_stmt *prep(struct store *st, const char *sql,
                          const struct report_opts *o) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL))
    return NULL;
  sqlite3_bind_text(s, 1, o->from, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, o->to, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, o->commune, -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count(s) >= 4)
    sqlite3_bind_text(s, 4, o->today, -1, SQLITE_STATIC);
  return s;
}

static int totals(struct store *st, const struct report_opts *o,
                  struct totals *t) {
  static const char *const sql[] = {
      "SELECT count(*), coalesce(sum(attendees), 0) FROM meeting WHERE"
      IN_PERIOD("held_on"),
      "SELECT count(*), count(*) FILTER (WHERE " DONE " AND NOT " ESCALATED
      "), count(*) FILTER (WHERE " ESCALATED "), count(*) FILTER (WHERE NOT "
      DONE " AND NOT " ESCALATED "), count(*) FILTER (WHERE NOT " DONE " AND due_on < ?4) FROM "
      "petition WHERE" IN_PERIOD("received_on"),
      "SELECT count(*), coalesce(sum(gift_vnd), 0), coalesce(sum(volunteers),"
      " 0) FROM visit WHERE" IN_PERIOD("visited_on"),
      "SELECT count(*) FROM survey WHERE 1 = 1 AND (?1 IS NULL OR taken_on "
      ">= ?1) AND (?2 IS NULL OR taken_on <= ?2) AND (?3 IS NULL OR commune "
      "= ?3)"};
  long long *dst[][5] = {
      {&t->meetings, &t->attendees},
      {&t->petitions, &t->done_commune, &t->escalated, &t->open, &t->overdue},
      {&t->visits, &t->gift_vnd, &t->volunteers},
      {&t->surveys}};
  static const int ncol[] = {2, 5, 3, 1};

  memset(t, 0, sizeof(*t));
  for (int q = 0; q < 4; q++) {
    sqlite3_stmt *s = prep(st, sql[q], o);
    if (!s)
      return DS_EUNAVAIL;
    if (sqlite3_step(s) == SQLITE_ROW)
      for (int c = 0; c < ncol[q]; c++)
        *dst[q][c] = sqlite3_column_int64(s, c);
    sqlite3_finalize(s);
  }
  return 0;
}

/* 2174 -> "2.174", as the district's reports write numbers. */
static const char *vn(long long v, char *out, size_t cap) {
  char digits[32];
  int n = snprintf(digits, sizeof(digits), "%lld", v < 0 ? -v : v), k = 0;
  size_t j = 0;
  if (v < 0 && j + 1 < cap)
    out[j++] = '-';
  for (int i = 0; i < n && j + 2 < cap; i++) {
    out[j++] = digits[i];
    k = n - i - 1;
    if (k > 0 && k % 3 == 0)
      out[j++] = '.';
  }
  out[j] = '\0';
  return out;
}

static void when(long long ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0) {
    snprintf(out, cap, "chưa đồng bộ");
    return;
  }
  localtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
}

static void iso(long long ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0) {
    snprintf(out, cap, "null");
    return;
  }
  gmtime_r(&t, &tm);
  strftime(out, cap, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
}

/* Output with a sticky error: the first failure is kept and reported once,
 * so the many small writes need no check each. */
struct out {
  struct buf b;
  int rc;
};

static void outf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...) {
  va_list ap;
  if (o->rc)
    return;
  va_start(ap, fmt);
  o->rc = buf_vprintf(&o->b, fmt, ap);
  va_end(ap);
}

static void outc(struct out *o, char c) {
  if (!o->rc)
    o->rc = buf_putc(&o->b, (uint8_t)c);
}

/* CSV field: quoted when it holds a comma, quote or newline. */
static void csv(struct out *b, const char *s) {
  if (!s)
    s = "";
  if (!strpbrk(s, ",\"\n\r")) {
    outf(b, "%s", s);
    return;
  }
  outc(b, '"');
  for (const char *p = s; *p; p++) {
    if (*p == '"')
      outc(b, '"');
    outc(b, *p);
  }
  outc(b, '"');
}

static void csv_row(struct out *b, const char *figure, const char *commune,
                    const char *key, const char *value) {
  csv(b, figure);
  outc(b, ',');
  csv(b, commune);
  outc(b, ',');
  csv(b, key);
  outc(b, ',');
  csv(b, value);
  outc(b, '\n');
}

static void csv_num(struct out *b, const char *figure, const char *commune,
                    const char *key, long long v) {
  char n[32];
  snprintf(n, sizeof(n), "%lld", v);
  csv_row(b, figure, commune, key, n);
}

/* Appends |s| padded with spaces to |width| code points (printf pads by
 * bytes, which misaligns Vietnamese). */
static void pad(struct out *b, const char *s, long width) {
  long n = utf8_count(s, strlen(s));
  outf(b, "%s", s);
  for (; n >= 0 && n < width; n++)
    outc(b, ' ');
}

static void jstr(struct out *b, const char *s) {
  if (!s)
    outf(b, "null");
  else if (!b->rc)
    b->rc = json_str(&b->b, s, strlen(s));
}

#define P(...) outf(b, __VA_ARGS__)

int report_write(struct store *st, const struct report_opts *o, FILE *out,
                 char *errbuf) {
  const char *scope = o->commune ? o->commune : NULL;
  char name[200] = "huyện Phụng Hiệp", n1[32], n2[32], n3[32], n4[32];
  struct totals t;
  sqlite3_stmt *s;
  struct out b_, *b = &b_;
  int rc, k;

  if (o->commune) {
    s = prep(st, "SELECT kind || ' ' || name FROM commune WHERE slug = ?3",
             o);
    rc = s && sqlite3_step(s) == SQLITE_ROW;
    if (rc)
      snprintf(name, sizeof(name), "%s", sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (!rc)
      return ds_fail(errbuf, DS_ENOENT, "'%s' is not a commune of this "
                                        "district", o->commune);
  }
  rc = totals(st, o, &t);
  if (rc)
    return ds_fail(errbuf, rc, "could not read the store");
  buf_init(&b->b, 0);
  b->rc = 0;

  /* Headline figures. */
  if (o->format == REPORT_TEXT) {
    P("BÁO CÁO KẾT QUẢ TIẾP XÚC, ĐỐI THOẠI VÀ GIẢI QUYẾT KIẾN NGHỊ CỦA "
      "NHÂN DÂN\n%s, từ %s đến %s\n\n",
      name, o->from ? o->from : "đầu kỳ", o->to ? o->to : "nay");
    P("1. Tổ chức %s cuộc họp, %s lượt người dân tham dự.\n",
      vn(t.meetings, n1, sizeof(n1)), vn(t.attendees, n2, sizeof(n2)));
    P("2. Tiếp nhận %s ý kiến, kiến nghị; đã trả lời, giải quyết tại cấp xã "
      "%s; chuyển cấp huyện %s; còn đang xử lý %s",
      vn(t.petitions, n1, sizeof(n1)), vn(t.done_commune, n2, sizeof(n2)),
      vn(t.escalated, n3, sizeof(n3)), vn(t.open, n4, sizeof(n4)));
    P(" (quá hạn %s).\n", vn(t.overdue, n1, sizeof(n1)));
  } else if (o->format == REPORT_JSON) {
    P("{\"scope\": ");
    jstr(b, scope ? scope : "district");
    P(", \"name\": ");
    jstr(b, name);
    P(", \"from\": ");
    jstr(b, o->from);
    P(", \"to\": ");
    jstr(b, o->to);
    P(",\n \"meetings\": %lld, \"attendees\": %lld,\n \"petitions\": "
      "{\"received\": %lld, \"answered_at_commune\": %lld, \"escalated\": "
      "%lld, \"open\": %lld, \"overdue\": %lld},\n",
      t.meetings, t.attendees, t.petitions, t.done_commune, t.escalated,
      t.open, t.overdue);
  } else {
    P("figure,commune,key,value\n");
    csv_num(b, "meetings", scope, "held", t.meetings);
    csv_num(b, "meetings", scope, "attendees", t.attendees);
    csv_num(b, "petitions", scope, "received", t.petitions);
    csv_num(b, "petitions", scope, "answered_at_commune", t.done_commune);
    csv_num(b, "petitions", scope, "escalated", t.escalated);
    csv_num(b, "petitions", scope, "open", t.open);
    csv_num(b, "petitions", scope, "overdue", t.overdue);
  }

  /* Escalated petitions, each listed. */
  s = prep(st,
           "SELECT commune, received_on, content, coalesce(escalated_to, ''),"
           " status, lower(hex(rid)) FROM petition WHERE" IN_PERIOD(
               "received_on") " AND " ESCALATED " ORDER BY received_on, rid",
           o);
  if (o->format == REPORT_TEXT && t.escalated)
    P("   Các kiến nghị chuyển cấp huyện:\n");
  if (o->format == REPORT_JSON)
    P(" \"escalated\": [");
  for (k = 0; s && sqlite3_step(s) == SQLITE_ROW; k++) {
    const char *c = (const char *)sqlite3_column_text(s, 0);
    const char *d = (const char *)sqlite3_column_text(s, 1);
    const char *txt = (const char *)sqlite3_column_text(s, 2);
    const char *ag = (const char *)sqlite3_column_text(s, 3);
    if (o->format == REPORT_TEXT) {
      P("   - %s, %s: %s → %s\n", c, d, txt, *ag ? ag : "(chưa ghi cơ quan)");
    } else if (o->format == REPORT_JSON) {
      P("%s\n  {\"id\": \"%s\", \"commune\": ", k ? "," : "",
        sqlite3_column_text(s, 5));
      jstr(b, c);
      P(", \"received_on\": ");
      jstr(b, d);
      P(", \"content\": ");
      jstr(b, txt);
      P(", \"agency\": ");
      jstr(b, ag);
      P(", \"status\": ");
      jstr(b, (const char *)sqlite3_column_text(s, 4));
      P("}");
    } else {
      char key[80];
      snprintf(key, sizeof(key), "%s %s", d, sqlite3_column_text(s, 5));
      csv_row(b, "escalated", c, key, txt);
      csv_row(b, "escalated_agency", c, key, ag);
    }
  }
  sqlite3_finalize(s);
  if (o->format == REPORT_JSON)
    P("%s],\n \"categories\": [", k ? "\n " : "");

  /* By category. */
  if (o->format == REPORT_TEXT)
    P("3. Phân loại ý kiến, kiến nghị theo lĩnh vực:\n");
  s = prep(st,
           "SELECT category, count(*) FROM petition WHERE" IN_PERIOD(
               "received_on") " GROUP BY category ORDER BY count(*) DESC, "
                              "category",
           o);
  for (k = 0; s && sqlite3_step(s) == SQLITE_ROW; k++) {
    const char *cat = (const char *)sqlite3_column_text(s, 0);
    long long n = sqlite3_column_int64(s, 1);
    if (o->format == REPORT_TEXT)
      P("   - %s: %s\n", schema_category_label(cat), vn(n, n1, sizeof(n1)));
    else if (o->format == REPORT_JSON) {
      P("%s{\"category\": ", k ? ", " : "");
      jstr(b, cat);
      P(", \"label\": ");
      jstr(b, schema_category_label(cat));
      P(", \"count\": %lld}", n);
    } else
      csv_num(b, "category", scope, cat, n);
  }
  sqlite3_finalize(s);
  if (o->format == REPORT_TEXT && k == 0)
    P("   (không có)\n");
  if (o->format == REPORT_JSON)
    P("],\n \"satisfaction\": [");

  /* Satisfaction by service: shares of 5, 4, 3 and <= 2, and the mean. */
  if (o->format == REPORT_TEXT)
    P("4. Khảo sát mức độ hài lòng (%s phiếu):\n",
      vn(t.surveys, n1, sizeof(n1)));
  s = prep(st,
           "SELECT service, count(*), count(*) FILTER (WHERE overall = 5), "
           "count(*) FILTER (WHERE overall = 4), count(*) FILTER (WHERE "
           "overall = 3), count(*) FILTER (WHERE overall <= 2), avg(overall) "
           "FROM survey WHERE (?1 IS NULL OR taken_on >= ?1) AND (?2 IS NULL "
           "OR taken_on <= ?2) AND (?3 IS NULL OR commune = ?3) GROUP BY "
           "service ORDER BY service",
           o);
  for (k = 0; s && sqlite3_step(s) == SQLITE_ROW; k++) {
    const char *svc = (const char *)sqlite3_column_text(s, 0);
    double n = (double)sqlite3_column_int64(s, 1), sh[4];
    double mean = sqlite3_column_double(s, 6);
    for (int i = 0; i < 4; i++)
      sh[i] = 100.0 * (double)sqlite3_column_int64(s, 2 + i) / n;
    if (o->format == REPORT_TEXT) {
      P("   - %s: %s phiếu; rất hài lòng (5) %.1f%%, hài lòng (4) %.1f%%, "
        "bình thường (3) %.1f%%, chưa hài lòng (≤2) %.1f%%; điểm trung "
        "bình %.2f\n",
        schema_service_label(svc), vn((long long)n, n1, sizeof(n1)), sh[0],
        sh[1], sh[2], sh[3], mean);
    } else if (o->format == REPORT_JSON) {
      P("%s\n  {\"service\": ", k ? "," : "");
      jstr(b, svc);
      P(", \"label\": ");
      jstr(b, schema_service_label(svc));
      P(", \"count\": %lld, \"share_5\": %.4f, \"share_4\": %.4f, "
        "\"share_3\": %.4f, \"share_le2\": %.4f, \"mean\": %.4f}",
        (long long)n, sh[0] / 100, sh[1] / 100, sh[2] / 100, sh[3] / 100,
        mean);
    } else {
      char v[32];
      static const char *const keys[] = {"share_5", "share_4", "share_3",
                                         "share_le2"};
      csv_num(b, "satisfaction_count", scope, svc, (long long)n);
      for (int i = 0; i < 4; i++) {
        char f[40];
        snprintf(v, sizeof(v), "%.4f", sh[i] / 100);
        snprintf(f, sizeof(f), "satisfaction_%s", keys[i]);
        csv_row(b, f, scope, svc, v);
      }
      snprintf(v, sizeof(v), "%.4f", mean);
      csv_row(b, "satisfaction_mean", scope, svc, v);
    }
  }
  sqlite3_finalize(s);
  if (o->format == REPORT_TEXT && k == 0)
    P("   (không có)\n");

  /* Visits. */
  if (o->format == REPORT_TEXT)
    P("5. Thăm hỏi %s hộ gia đình khó khăn, tổng giá trị hỗ trợ %s đồng, "
      "%s lượt tình nguyện viên.\n",
      vn(t.visits, n1, sizeof(n1)), vn(t.gift_vnd, n2, sizeof(n2)),
      vn(t.volunteers, n3, sizeof(n3)));
  else if (o->format == REPORT_JSON)
    P("%s],\n \"visits\": {\"count\": %lld, \"gift_vnd\": %lld, "
      "\"volunteers\": %lld, \"surveys\": %lld},\n \"communes\": [",
      k ? "\n " : "", t.visits, t.gift_vnd, t.volunteers, t.surveys);
  else {
    csv_num(b, "visits", scope, "count", t.visits);
    csv_num(b, "visits", scope, "gift_vnd", t.gift_vnd);
    csv_num(b, "visits", scope, "volunteers", t.volunteers);
    csv_num(b, "surveys", scope, "count", t.surveys);
  }

  /* Per commune: its figures and when it last synced. */
  if (o->format == REPORT_TEXT)
  {
    P("6. Theo từng xã, thị trấn (* = chưa đồng bộ trong kỳ):\n    ");
    pad(b, "xã/thị trấn", 21);
    P(" %7s %9s %9s %7s  %s\n", "họp", "dự họp", "kiến nghị", "thăm",
      "đồng bộ lần cuối");
  }
  s = prep(st,
           "SELECT c.slug, c.kind || ' ' || c.name,"
           " (SELECT count(*) FROM meeting m WHERE m.commune = c.slug AND"
           "  coalesce(m.voided, 0) = 0 AND (?1 IS NULL OR m.held_on >= ?1)"
           "  AND (?2 IS NULL OR m.held_on <= ?2)),"
           " (SELECT coalesce(sum(attendees), 0) FROM meeting m WHERE"
           "  m.commune = c.slug AND coalesce(m.voided, 0) = 0 AND (?1 IS NULL"
           "  OR m.held_on >= ?1) AND (?2 IS NULL OR m.held_on <= ?2)),"
           " (SELECT count(*) FROM petition p WHERE p.commune = c.slug AND"
           "  coalesce(p.voided, 0) = 0 AND (?1 IS NULL OR p.received_on >= ?1)"
           "  AND (?2 IS NULL OR p.received_on <= ?2)),"
           " (SELECT count(*) FROM visit v WHERE v.commune = c.slug AND"
           "  coalesce(v.voided, 0) = 0 AND (?1 IS NULL OR v.visited_on >= ?1)"
           "  AND (?2 IS NULL OR v.visited_on <= ?2)),"
           " (SELECT coalesce(max(last_sync_ms), 0) FROM node n WHERE"
           "  n.commune = c.slug)"
           " FROM commune c WHERE ?3 IS NULL OR c.slug = ?3 ORDER BY c.slug",
           o);
  for (k = 0; s && sqlite3_step(s) == SQLITE_ROW; k++) {
    const char *slug = (const char *)sqlite3_column_text(s, 0);
    const char *cname = (const char *)sqlite3_column_text(s, 1);
    long long v[5];
    char last[40];
    bool stale;
    for (int i = 0; i < 5; i++)
      v[i] = sqlite3_column_int64(s, 2 + i);
    /* Stale: no sync at all, or none since the period began. */
    {
      char day[11] = "";
      time_t tt = (time_t)(v[4] / 1000);
      struct tm tm;
      localtime_r(&tt, &tm);
      strftime(day, sizeof(day), "%Y-%m-%d", &tm);
      stale = v[4] <= 0 || (o->from && strcmp(day, o->from) < 0);
    }
    if (o->format == REPORT_TEXT) {
      when(v[4], last, sizeof(last));
      P("   %s", stale ? "*" : " ");
      pad(b, cname, 21);
      P(" %7s %9s %9s %7s  %s\n", vn(v[0], n1, sizeof(n1)),
        vn(v[1], n2, sizeof(n2)), vn(v[2], n3, sizeof(n3)),
        vn(v[3], n4, sizeof(n4)), last);
    } else if (o->format == REPORT_JSON) {
      iso(v[4], last, sizeof(last));
      P("%s\n  {\"commune\": ", k ? "," : "");
      jstr(b, slug);
      P(", \"name\": ");
      jstr(b, cname);
      P(", \"meetings\": %lld, \"attendees\": %lld, \"petitions\": %lld, "
        "\"visits\": %lld, \"last_sync\": %s, \"stale\": %s}",
        v[0], v[1], v[2], v[3], last, stale ? "true" : "false");
    } else {
      iso(v[4], last, sizeof(last));
      csv_num(b, "commune_meetings", slug, "held", v[0]);
      csv_num(b, "commune_meetings", slug, "attendees", v[1]);
      csv_num(b, "commune_petitions", slug, "received", v[2]);
      csv_num(b, "commune_visits", slug, "count", v[3]);
      if (v[4] > 0) /* drop the JSON quotes */
        last[strlen(last) - 1] = '\0';
      csv_row(b, "commune_last_sync", slug, "at", v[4] > 0 ? last + 1 : "");
      csv_row(b, "commune_stale", slug, "stale", stale ? "1" : "0");
    }
  }
  sqlite3_finalize(s);
  if (o->format == REPORT_JSON)
    P("\n ]\n}\n");
  rc = b->rc;
  if (!rc)
    fwrite(b->b.data, 1, b->b.len, out);
  buf_cleanup(&b->b);
  return rc ? ds_fail(errbuf, rc, "out of memory writing the report") : 0;
}
