/* SPDX-License-Identifier: MIT
 * report_data.c -- the report as data: JSON for programs (the dashboard)
 * and CSV for Excel (UTF-8 with BOM, Vietnamese headers, formula cells
 * neutralised). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/schema.h"
#include "common/report_int.h"

/* A CSV cell (RFC 4180), neutralised as OWASP advises for spreadsheets: a
 * cell starting with = + - @ tab or CR is prefixed with a quote, and every
 * such cell quoted, so Excel shows text instead of running a formula. */
static void put_csv(struct out *b, const char *s) {
  const char *p = s ? s : "";
  bool formula = strchr("=+-@\t\r", *p) && *p;
  bool quote = formula || strpbrk(p, ",\"\n\r;");
  if (!quote) {
    P("%s", p);
    return;
  }
  P("\"%s", formula ? "'" : "");
  for (; *p; p++) {
    if (*p == '"')
      P("\"");
    report__outn(b, p, 1);
  }
  P("\"");
}

static void put_json(struct out *b, const char *s) {
  if (!s)
    P("null");
  else if (!b->rc)
    b->rc = json_str(&b->b, s, strlen(s));
}

/* ---- JSON ---- */

static void json_counts(struct out *b, const struct repfig_counts *c) {
  P("{\"meetings\": %lld, \"attendees\": %lld, \"dialogues\": %lld, "
    "\"dialogue_attendees\": %lld, \"receptions\": %lld, "
    "\"reception_attendees\": %lld, \"received\": %lld, \"escalated\": "
    "%lld, \"escalated_settled\": %lld, \"settled_at_district\": %lld, "
    "\"settled_at_commune\": %lld, \"open\": %lld, \"overdue\": %lld, "
    "\"visits\": %lld, \"gifts\": %lld, \"gift_vnd\": %lld, \"volunteers\": "
    "%lld, \"surveys\": %lld, \"settled_pct\": ",
    (long long)c->meetings, (long long)c->attendees, (long long)c->dialogues,
    (long long)c->dialogue_att, (long long)c->receptions,
    (long long)c->reception_att, (long long)c->received,
    (long long)c->escalated, (long long)c->esc_settled,
    (long long)c->at_district, (long long)c->at_commune, (long long)c->open,
    (long long)c->overdue, (long long)c->visits, (long long)c->gifts,
    (long long)c->gift_vnd, (long long)c->volunteers, (long long)c->surveys);
  if (repfig_settled_bp(c) < 0)
    P("null}");
  else
    P("%lld.%02lld}", (long long)repfig_settled_bp(c) / 100,
      (long long)repfig_settled_bp(c) % 100);
}

void report__json(struct out *b, const struct repfig *f,
                  const struct report_doc *d) {
  P("{\"issuer\": ");
  put_json(b, d->issuer);
  P(", \"number\": ");
  put_json(b, d->number);
  P(", \"commune\": ");
  put_json(b, f->commune);
  P(", \"scope\": ");
  put_json(b, report__scope(f));
  P(",\n \"from\": ");
  put_json(b, *f->from ? f->from : NULL);
  P(", \"to\": ");
  put_json(b, *f->to ? f->to : NULL);
  P(", \"as_of\": ");
  put_json(b, f->as_of);
  P(",\n \"communes_met\": %lld, \"communes_total\": %lld,\n \"period\": ",
    (long long)f->communes_met, (long long)f->communes_total);
  json_counts(b, &f->cur);
  P(",\n \"previous_year\": ");
  if (f->has_prev) {
    P("{\"from\": \"%s\", \"to\": \"%s\", \"figures\": ", f->prev_from,
      f->prev_to);
    json_counts(b, &f->prev);
    P("}");
  } else
    P("null");
  P(",\n \"cumulative\": {\"visits\": %lld, \"gifts\": %lld, \"gift_vnd\": "
    "%lld, \"volunteers\": %lld},\n \"escalations\": [",
    (long long)f->cumul.visits, (long long)f->cumul.gifts,
    (long long)f->cumul.gift_vnd, (long long)f->cumul.volunteers);
  for (int i = 0; i < f->nesc; i++) {
    const struct repfig_escalation *e = &f->esc[i];
    const char *k[] = {"id",       "commune",    "received_on", "citizen",
                       "hamlet",   "content",    "agency",      "status",
                       "response", "resolved_on"};
    const char *v[] = {e->id,       e->commune_name, e->received_on, e->citizen,
                       e->hamlet,   e->content,      e->agency,      e->status,
                       e->response, e->resolved_on};
    P("%s\n  {", i ? "," : "");
    for (int j = 0; j < 10; j++) {
      P("%s\"%s\": ", j ? ", " : "", k[j]);
      put_json(b, v[j]);
    }
    P(", \"settled\": %s, \"settled_by\": %s}", e->settled ? "true" : "false",
      !e->settled      ? "null"
      : e->by_district ? "\"district\""
                       : "\"commune\"");
  }
  P("],\n \"categories\": [");
  for (int i = 0; i < f->ncategories; i++) {
    P("%s{\"category\": \"%s\", \"label\": ", i ? ", " : "",
      f->categories[i].slug);
    put_json(b, schema_category_label(f->categories[i].slug));
    P(", \"count\": %lld}", (long long)f->categories[i].n);
  }
  P("],\n \"satisfaction\": [");
  for (int i = 0; i < f->nsat; i++) {
    const struct repfig_sat *s = &f->sat[i];
    P("%s\n  {\"service\": ", i ? "," : "");
    put_json(b, s->service);
    P(", \"label\": ");
    put_json(b, report__sat_name(f, s));
    P(", \"forms\": %lld", (long long)s->forms);
    for (int r = 0; r < REPFIG_NRATINGS; r++) {
      const struct repfig_rating *x = &s->r[r];
      int64_t mean = x->n ? (x->sum * 100 + x->n / 2) / x->n : 0;
      P(", \"%s\": {\"count\": %lld, \"5\": %lld, \"4\": %lld, \"3\": %lld, "
        "\"le2\": %lld, \"mean\": ",
        repfig_rating_names[r], (long long)x->n, (long long)x->k5,
        (long long)x->k4, (long long)x->k3, (long long)x->le2);
      if (x->n) /* to 2 decimals, as printed */
        P("%lld.%02lld}", (long long)mean / 100, (long long)mean % 100);
      else
        P("null}");
    }
    P("}");
  }
  P("],\n \"visits_by_situation\": [");
  for (int i = 0; i < f->nsituations; i++) {
    const struct repfig_situation *s = &f->situations[i];
    P("%s{\"situation\": \"%s\", \"label\": ", i ? ", " : "", s->slug);
    put_json(b, repfig_situation_label(s->slug));
    P(", \"visits\": %lld, \"gifts\": %lld, \"gift_vnd\": %lld, "
      "\"volunteers\": %lld}",
      (long long)s->visits, (long long)s->gifts, (long long)s->gift_vnd,
      (long long)s->volunteers);
  }
  P("],\n \"communes\": [");
  for (int i = 0; i < f->ncommunes; i++) {
    const struct repfig_commune *cm = &f->communes[i];
    P("%s\n  {\"commune\": ", i ? "," : "");
    put_json(b, cm->slug);
    P(", \"name\": ");
    put_json(b, cm->name);
    P(", \"last_sync\": ");
    put_json(b, cm->last_sync_ms > 0 ? report__iso_time(cm->last_sync_ms).s
                                     : NULL);
    P(", \"stale\": %s, \"figures\": ", cm->stale ? "true" : "false");
    json_counts(b, &cm->c);
    P("}");
  }
  P("],\n \"quarantined\": [");
  for (int i = 0; i < f->nquar; i++) {
    const struct repfig_quarantined *q = &f->quar[i];
    P("%s\n  {\"received\": \"%s\", \"device\": ", i ? "," : "",
      report__iso_time(q->received_ms).s);
    put_json(b, q->device);
    P(", \"commune\": ");
    put_json(b, q->commune);
    P(", \"error\": ");
    put_json(b, q->error);
    P(", \"message\": ");
    put_json(b, q->message);
    P("}");
  }
  P("]}\n");
}

/* ---- CSV: one figure a row, Vietnamese headers ---- */

static void csv_row(struct out *b, const char *part, const char *where,
                    const char *what, const char *value) {
  put_csv(b, part);
  P(",");
  put_csv(b, where);
  P(",");
  put_csv(b, what);
  P(",");
  put_csv(b, value);
  P("\r\n");
}

static void csv_int(struct out *b, const char *part, const char *where,
                    const char *what, int64_t v) {
  char n[24];
  snprintf(n, sizeof(n), "%lld", (long long)v);
  csv_row(b, part, where, what, n);
}

static void csv_counts(struct out *b, const char *part, const char *where,
                       const struct repfig_counts *c) {
  static const char *const names[] = {"Số cuộc sinh hoạt",
                                      "Số người tham gia",
                                      "Số cuộc đối thoại",
                                      "Số người dự đối thoại",
                                      "Số buổi tiếp công dân",
                                      "Số lượt tiếp công dân",
                                      "Ý kiến, kiến nghị tiếp nhận",
                                      "Chuyển cấp huyện",
                                      "Chuyển cấp huyện đã có kết quả",
                                      "Cấp huyện trả lời, giải quyết",
                                      "Trả lời, giải quyết tại cấp xã",
                                      "Đang xử lý",
                                      "Quá hạn",
                                      "Hộ được thăm hỏi",
                                      "Phần quà",
                                      "Giá trị quà (đồng)",
                                      "Lượt tình nguyện viên",
                                      "Phiếu khảo sát"};
  const int64_t *v = (const int64_t *)c;
  int64_t bp = repfig_settled_bp(c);
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    csv_int(b, part, where, names[i], v[i]);
  csv_row(b, part, where, "Tỷ lệ giải quyết", bp < 0 ? "" : report__pct(bp).s);
}

void report__csv(struct out *b, const struct repfig *f) {
  char part[80];
  P("\xef\xbb\xbf"); /* UTF-8 BOM: Excel then reads Vietnamese right */
  csv_row(b, "Phần", "Xã, thị trấn", "Chỉ tiêu", "Giá trị");
  csv_counts(b, "Trong kỳ", report__scope(f), &f->cur);
  csv_int(b, "Trong kỳ", report__scope(f), "Số xã, thị trấn có sinh hoạt",
          f->communes_met);
  csv_int(b, "Trong kỳ", report__scope(f), "Tổng số xã, thị trấn",
          f->communes_total);
  if (f->has_prev)
    csv_counts(b, "Cùng kỳ năm trước", report__scope(f), &f->prev);
  csv_int(b, "Lũy kế", report__scope(f), "Hộ được thăm hỏi", f->cumul.visits);
  csv_int(b, "Lũy kế", report__scope(f), "Phần quà", f->cumul.gifts);
  csv_int(b, "Lũy kế", report__scope(f), "Giá trị quà (đồng)",
          f->cumul.gift_vnd);
  for (int i = 0; i < f->nesc; i++) {
    const struct repfig_escalation *e = &f->esc[i];
    snprintf(part, sizeof(part), "Chuyển cấp huyện %d", i + 1);
    csv_row(b, part, e->commune_name, "Ngày tiếp nhận", e->received_on);
    csv_row(b, part, e->commune_name, "Công dân", e->citizen);
    csv_row(b, part, e->commune_name, "Nội dung", e->content);
    csv_row(b, part, e->commune_name, "Cơ quan", e->agency);
    csv_row(b, part, e->commune_name, "Hiện trạng", report__status_text(e));
    csv_row(b, part, e->commune_name, "Trả lời", e->response);
  }
  for (int i = 0; i < f->ncategories; i++)
    csv_int(b, "Lĩnh vực", report__scope(f),
            schema_category_label(f->categories[i].slug), f->categories[i].n);
  for (int i = 0; i < f->nsat; i++) {
    const struct repfig_sat *s = &f->sat[i];
    for (int r = 0; r < REPFIG_NRATINGS; r++) {
      const struct repfig_rating *x = &s->r[r];
      int64_t k[4] = {x->k5, x->k4, x->k3, x->le2};
      char what[160];
      if (!x->n)
        continue;
      snprintf(part, sizeof(part), "Hài lòng: %s", repfig_rating_label(r));
      csv_int(b, part, report__sat_name(f, s), "Số phiếu", x->n);
      for (int j = 0; j < 4; j++) {
        snprintf(what, sizeof(what), "Tỷ lệ %s", report__share_keys[j]);
        csv_row(b, part, report__sat_name(f, s), what,
                report__share(k[j], x->n).s);
      }
      csv_row(b, part, report__sat_name(f, s), "Điểm trung bình",
              report__mean(x).s);
    }
  }
  for (int i = 0; i < f->nsituations; i++) {
    const struct repfig_situation *s = &f->situations[i];
    const char *l = repfig_situation_label(s->slug);
    csv_int(b, "Thăm hỏi theo hoàn cảnh", l, "Hộ", s->visits);
    csv_int(b, "Thăm hỏi theo hoàn cảnh", l, "Phần quà", s->gifts);
    csv_int(b, "Thăm hỏi theo hoàn cảnh", l, "Giá trị quà (đồng)", s->gift_vnd);
    csv_int(b, "Thăm hỏi theo hoàn cảnh", l, "Lượt tình nguyện viên",
            s->volunteers);
  }
  for (int i = 0; i < f->ncommunes; i++) {
    const struct repfig_commune *cm = &f->communes[i];
    csv_counts(b, "Theo xã, thị trấn", cm->name, &cm->c);
    csv_row(b, "Theo xã, thị trấn", cm->name, "Đồng bộ lần cuối",
            report__time(cm->last_sync_ms).s);
    csv_row(b, "Theo xã, thị trấn", cm->name, "Chưa đồng bộ gần đây",
            cm->stale ? "có" : "không");
  }
  for (int i = 0; i < f->nquar; i++) {
    const struct repfig_quarantined *q = &f->quar[i];
    snprintf(part, sizeof(part), "Thao tác bị cách ly %d", i + 1);
    csv_row(b, part, q->commune, "Thời điểm", report__time(q->received_ms).s);
    csv_row(b, part, q->commune, "Thiết bị", q->device);
    csv_row(b, part, q->commune, "Lỗi", q->error);
    csv_row(b, part, q->commune, "Lý do", q->message);
  }
}
