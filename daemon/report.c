/* SPDX-License-Identifier: MIT
 * report.c -- printing the report's figures (daemon/repfig.h) as the
 * district writes them: Vietnamese numbers ("2.174", "99,57%", "26,5 triệu
 * đồng"), dates dd/mm/yyyy, the official document's frame. The sentences
 * are made once and shared by text and HTML; what a person typed is
 * escaped for each format (terminal, HTML, CSV cells, JSON). */
#include "daemon/report.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/schema.h"
#include "common/utf8.h"
#include "daemon/repfig.h"

int report_format_parse(const char *s) {
  static const char *const names[] = {"text", "json", "csv", "html"};
  for (int i = 0; s && i < 4; i++)
    if (!strcmp(s, names[i]))
      return i;
  return -1;
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

static void outn(struct out *o, const char *s, size_t n) {
  if (!o->rc)
    o->rc = buf_append(&o->b, s, n);
}

#define P(...) outf(b, __VA_ARGS__)

/* ---- Vietnamese numbers and dates ---- */

/* A short string made by a formatter; several fit in one printf. */
struct num {
  char s[48];
};

/* 2174 -> "2.174". */
static struct num vn_int(int64_t v) {
  struct num r;
  char d[24];
  int n = snprintf(d, sizeof(d), "%lld", (long long)(v < 0 ? -v : v));
  size_t j = 0;
  if (v < 0)
    r.s[j++] = '-';
  for (int i = 0; i < n; i++) {
    r.s[j++] = d[i];
    if ((n - i - 1) > 0 && (n - i - 1) % 3 == 0)
      r.s[j++] = '.';
  }
  r.s[j] = '\0';
  return r;
}

/* |h| hundredths -> "99,57", "26,5", "100": a decimal comma, trailing zeros
 * dropped. */
static struct num vn_dec(int64_t h) {
  struct num r = vn_int(h / 100);
  int64_t frac = (h < 0 ? -h : h) % 100;
  size_t j = strlen(r.s);
  if (frac) {
    r.s[j++] = ',';
    r.s[j++] = (char)('0' + frac / 10);
    if (frac % 10)
      r.s[j++] = (char)('0' + frac % 10);
    r.s[j] = '\0';
  }
  return r;
}

/* |part| of |whole| as a percentage: "33,33%" ("0%" of nothing). */
static struct num vn_pct_bp(int64_t bp) {
  struct num r = vn_dec(bp < 0 ? 0 : bp);
  size_t n = strlen(r.s);
  r.s[n] = '%';
  r.s[n + 1] = '\0';
  return r;
}

static struct num vn_share(int64_t part, int64_t whole) {
  return vn_pct_bp(whole > 0 ? (part * 10000 + whole / 2) / whole : 0);
}

/* 26500000 -> "26,5" (triệu đồng, rounded to hundredths). */
static struct num vn_trieu(int64_t vnd) { return vn_dec((vnd + 5000) / 10000); }

static struct num vn_mean(const struct repfig_rating *r) {
  return vn_dec(r->n > 0 ? (r->sum * 100 + r->n / 2) / r->n : 0);
}

/* "2024-05-31" -> "31/05/2024". */
static struct num vn_date(const char *d) {
  struct num r;
  if (!d || strlen(d) != 10)
    snprintf(r.s, sizeof(r.s), "%s", d ? d : "");
  else
    snprintf(r.s, sizeof(r.s), "%.2s/%.2s/%.4s", d + 8, d + 5, d);
  return r;
}

/* Unix ms -> "02/12/2026 10:30" local time, or "chưa đồng bộ". */
static struct num vn_time(int64_t ms) {
  struct num r;
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0 || !localtime_r(&t, &tm))
    snprintf(r.s, sizeof(r.s), "chưa đồng bộ");
  else
    strftime(r.s, sizeof(r.s), "%d/%m/%Y %H:%M", &tm);
  return r;
}

static struct num iso_time(int64_t ms) {
  struct num r;
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  r.s[0] = '\0';
  if (ms > 0 && gmtime_r(&t, &tm))
    strftime(r.s, sizeof(r.s), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return r;
}

/* ---- escaping what people typed ---- */

/* Calls |put| for each run of |s| that needs no change and |esc| for each
 * control character (C0, DEL, C1): what a terminal, an HTML page and a CSV
 * cell must not take as is. */
static size_t ctrl_len(const unsigned char *p) {
  if (*p < 0x20 || *p == 0x7f)
    return 1;
  if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
    return 2;
  return 0;
}

/* For the terminal: newline and tab become a space (a petition cannot
 * start a line of the report), other controls \xNN. */
static void put_text(struct out *b, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;
  for (; *p;) {
    size_t n = ctrl_len(p);
    if (!n) {
      p++;
      continue;
    }
    outn(b, (const char *)run, (size_t)(p - run));
    if (*p == '\n' || *p == '\t' || *p == '\r')
      outn(b, " ", 1);
    else
      for (size_t k = 0; k < n; k++)
        P("\\x%02x", p[k]);
    p += n;
    run = p;
  }
  outn(b, (const char *)run, (size_t)(p - run));
}

static void put_html(struct out *b, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  for (; *p; p++) {
    size_t n = ctrl_len(p);
    switch (*p) {
    case '&': P("&amp;"); break;
    case '<': P("&lt;"); break;
    case '>': P("&gt;"); break;
    case '"': P("&quot;"); break;
    case '\'': P("&#39;"); break;
    case '\n': P("<br>"); break;
    default:
      if (n == 1)
        P(" ");
      else if (n == 2) {
        P(" ");
        p++;
      } else
        outn(b, (const char *)p, 1);
    }
  }
}

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
    outn(b, p, 1);
  }
  P("\"");
}

static void put_json(struct out *b, const char *s) {
  if (!s)
    P("null");
  else if (!b->rc)
    b->rc = json_str(&b->b, s, strlen(s));
}

/* ---- the sentences, shared by text and HTML ---- */

static const char *scope_of(const struct repfig *f) {
  return f->scope_name ? f->scope_name : "toàn huyện";
}

static void period_line(struct out *b, const struct repfig *f) {
  if (*f->from && *f->to)
    P("từ ngày %s đến ngày %s", vn_date(f->from).s, vn_date(f->to).s);
  else if (*f->from)
    P("từ ngày %s", vn_date(f->from).s);
  else if (*f->to)
    P("đến ngày %s", vn_date(f->to).s);
  else
    P("từ khi bắt đầu ghi nhận");
}

static void s_meetings(struct out *b, const struct repfig *f) {
  const struct repfig_counts *c = &f->cur, *p = &f->prev;
  if (!f->commune)
    P("%s/%s xã, thị trấn tổ chức sinh hoạt \"nghe dân nói\"; ",
      vn_int(f->communes_met).s, vn_int(f->communes_total).s);
  P("sinh hoạt được %s cuộc, có %s người dân tham gia", vn_int(c->meetings).s,
    vn_int(c->attendees).s);
  if (f->has_prev)
    P(" (cùng kỳ năm trước: %s cuộc, %s người)", vn_int(p->meetings).s,
      vn_int(p->attendees).s);
  P(".");
}

static void s_other_meetings(struct out *b, const struct repfig *f) {
  const struct repfig_counts *c = &f->cur;
  P("Ngoài sinh hoạt \"nghe dân nói\": %s cuộc đối thoại (%s người tham "
    "dự), %s buổi tiếp công dân (%s lượt công dân).",
    vn_int(c->dialogues).s, vn_int(c->dialogue_att).s,
    vn_int(c->receptions).s, vn_int(c->reception_att).s);
}

static void s_petitions(struct out *b, const struct repfig *f) {
  const struct repfig_counts *c = &f->cur;
  P("Tiếp nhận %s ý kiến, kiến nghị", vn_int(c->received).s);
  if (f->has_prev)
    P(" (cùng kỳ năm trước: %s)", vn_int(f->prev.received).s);
  P("; đã trả lời, giải quyết tại cấp xã %s; cấp huyện trả lời, giải quyết "
    "%s; chuyển cấp huyện %s (đã có kết quả %s); đang xử lý %s (quá hạn "
    "%s).",
    vn_int(c->at_commune).s, vn_int(c->at_district).s,
    vn_int(c->escalated).s, vn_int(c->esc_settled).s, vn_int(c->open).s,
    vn_int(c->overdue).s);
}

static void s_share(struct out *b, const struct repfig *f) {
  int64_t bp = repfig_settled_bp(&f->cur), pbp = repfig_settled_bp(&f->prev);
  if (bp < 0)
    P("Không có ý kiến, kiến nghị trong kỳ.");
  else
    P("Kết quả trả lời, giải quyết đạt %s", vn_pct_bp(bp).s);
  if (bp >= 0 && f->has_prev)
    P(" (cùng kỳ năm trước: %s)", pbp < 0 ? "không có kiến nghị"
                                          : vn_pct_bp(pbp).s);
  if (bp >= 0)
    P(".");
}

static void s_visits(struct out *b, const struct repfig *f) {
  const struct repfig_counts *c = &f->cur, *p = &f->prev, *t = &f->cumul;
  P("Thăm hỏi %s hộ gia đình khó khăn, trao %s phần quà, trị giá %s triệu "
    "đồng, %s lượt tình nguyện viên tham gia",
    vn_int(c->visits).s, vn_int(c->gifts).s, vn_trieu(c->gift_vnd).s,
    vn_int(c->volunteers).s);
  if (f->has_prev)
    P(" (cùng kỳ năm trước: %s hộ, %s phần quà, %s triệu đồng)",
      vn_int(p->visits).s, vn_int(p->gifts).s, vn_trieu(p->gift_vnd).s);
  P(". Lũy kế từ khi bắt đầu ghi nhận, nâng tổng số %s hộ được thăm hỏi, "
    "%s phần quà, trị giá %s triệu đồng.",
    vn_int(t->visits).s, vn_int(t->gifts).s, vn_trieu(t->gift_vnd).s);
}

typedef void (*sentence_fn)(struct out *b, const struct repfig *f);

/* The sentence as a string (into |tmp|), for formats that escape it. */
static const char *sentence(struct out *tmp, sentence_fn fn,
                            const struct repfig *f) {
  buf_reset(&tmp->b);
  fn(tmp, f);
  if (!tmp->rc)
    tmp->rc = buf_cstr(&tmp->b);
  return tmp->rc ? "" : (const char *)tmp->b.data;
}

static const char *rating_share_keys[] = {"rất hài lòng (5)", "hài lòng (4)",
                                          "bình thường (3)",
                                          "chưa hài lòng (≤2)"};

static void s_rating(struct out *b, const struct repfig_rating *r) {
  P("rất hài lòng %s, hài lòng %s, bình thường %s, chưa hài lòng %s; điểm "
    "trung bình %s",
    vn_share(r->k5, r->n).s, vn_share(r->k4, r->n).s,
    vn_share(r->k3, r->n).s, vn_share(r->le2, r->n).s, vn_mean(r).s);
}

static const char *sat_name(const struct repfig *f,
                            const struct repfig_sat *s) {
  if (s->service)
    return schema_service_label(s->service);
  return f->commune ? "tất cả dịch vụ" : "toàn huyện, tất cả dịch vụ";
}

static const char *status_text(const struct repfig_escalation *e) {
  return schema_status_label(e->status);
}

static void doc_date(struct out *b, const struct report_doc *d) {
  const char *x = d->date;
  if (x && strlen(x) == 10)
    P("%s, ngày %.2s tháng %.2s năm %.4s", d->place ? d->place : "......",
      x + 8, x + 5, x);
  else
    P("%s, ngày ... tháng ... năm ....", d->place ? d->place : "......");
}

/* Pads with spaces to |w| code points (printf pads bytes). */
static void pad(struct out *b, const char *s, long w, bool right) {
  long n = utf8_count(s, strlen(s));
  if (!right)
    put_text(b, s);
  for (; n < w; n++)
    P(" ");
  if (right)
    put_text(b, s);
}

/* ---- text ---- */

static void text(struct out *b, struct out *tmp, const struct repfig *f,
                 const struct report_doc *d) {
  P("%s\n", d->issuer);
  P("Số: %s\n", d->number ? d->number : "....../BC-UBND");
  P("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n");
  doc_date(b, d);
  P("\n\nBÁO CÁO\nKết quả thực hiện chương trình \"Nghe dân nói - Làm dân "
    "tin\", %s\n",
    scope_of(f));
  period_line(b, f);
  P("\n(số liệu tính đến ngày %s)\n\n", vn_date(f->as_of).s);

  P("I. SINH HOẠT \"NGHE DÂN NÓI\"\n1. %s\n",
    sentence(tmp, s_meetings, f));
  P("2. %s\n\n", sentence(tmp, s_other_meetings, f));

  P("II. TIẾP NHẬN, GIẢI QUYẾT Ý KIẾN, KIẾN NGHỊ\n1. %s\n",
    sentence(tmp, s_petitions, f));
  P("2. %s\n", sentence(tmp, s_share, f));
  P("3. Kiến nghị chuyển cấp huyện (%s):\n", vn_int(f->nesc).s);
  if (!f->nesc)
    P("   (không có)\n");
  for (int i = 0; i < f->nesc; i++) {
    const struct repfig_escalation *e = &f->esc[i];
    P("   %d) %s, ngày %s", i + 1, e->commune_name,
      vn_date(e->received_on).s);
    if (e->citizen) {
      P(", công dân ");
      put_text(b, e->citizen);
    }
    if (e->hamlet) {
      P(" (");
      put_text(b, e->hamlet);
      P(")");
    }
    P(": \"");
    put_text(b, e->content);
    P("\"\n      Chuyển: ");
    put_text(b, e->agency ? e->agency : "(chưa ghi cơ quan)");
    P(". Hiện trạng: %s%s", status_text(e),
      e->settled ? (e->by_district ? " (cấp huyện)" : " (cấp xã)") : "");
    if (e->resolved_on)
      P(", ngày %s", vn_date(e->resolved_on).s);
    P(".");
    if (e->response) {
      P(" Trả lời: \"");
      put_text(b, e->response);
      P("\"");
    }
    P("\n");
  }
  P("4. Phân loại theo lĩnh vực:\n");
  if (!f->ncategories)
    P("   (không có)\n");
  for (int i = 0; i < f->ncategories; i++)
    P("   - %s: %s (%s)\n", schema_category_label(f->categories[i].slug),
      vn_int(f->categories[i].n).s,
      vn_share(f->categories[i].n, f->cur.received).s);

  P("\nIII. KHẢO SÁT MỨC ĐỘ HÀI LÒNG (%s phiếu)\n", vn_int(f->cur.surveys).s);
  if (!f->nsat)
    P("   (không có)\n");
  for (int i = 0; i < f->nsat; i++) {
    const struct repfig_sat *s = &f->sat[i];
    P("   - %s: %s phiếu\n", sat_name(f, s), vn_int(s->forms).s);
    for (int r = 0; r < REPFIG_NRATINGS; r++) {
      if (!s->r[r].n)
        continue;
      P("     %s (%s phiếu): ", repfig_rating_label(r), vn_int(s->r[r].n).s);
      s_rating(b, &s->r[r]);
      P("\n");
    }
  }

  P("\nIV. THĂM HỎI, TẶNG QUÀ\n%s\n", sentence(tmp, s_visits, f));
  for (int i = 0; i < f->nsituations; i++) {
    const struct repfig_situation *s = &f->situations[i];
    P("   - %s: %s hộ, %s phần quà, %s triệu đồng, %s lượt tình nguyện "
      "viên\n",
      repfig_situation_label(s->slug), vn_int(s->visits).s,
      vn_int(s->gifts).s, vn_trieu(s->gift_vnd).s, vn_int(s->volunteers).s);
  }

  P("\nV. THEO TỪNG XÃ, THỊ TRẤN (* = chưa đồng bộ trong 7 ngày trước cuối "
    "kỳ)\n");
  {
    static const char *const h[] = {"Họp", "Dự", "Nhận", "Đã GQ", "Chuyển",
                                    "Đang XL", "Quá hạn", "Thăm"};
    P("    ");
    pad(b, "Xã, thị trấn", 20, false);
    for (int k = 0; k < 8; k++) {
      P(" ");
      pad(b, h[k], 7, true);
    }
    P("  Đồng bộ lần cuối\n");
  }
  for (int i = 0; i < f->ncommunes; i++) {
    const struct repfig_commune *cm = &f->communes[i];
    const struct repfig_counts *c = &cm->c;
    int64_t v[8] = {c->meetings,  c->attendees,
                    c->received,  c->at_commune + c->at_district,
                    c->escalated, c->open,
                    c->overdue,   c->visits};
    P("   %s", cm->stale ? "*" : " ");
    pad(b, cm->name, 20, false);
    for (int k = 0; k < 8; k++) {
      P(" ");
      pad(b, vn_int(v[k]).s, 7, true);
    }
    P("  %s\n", vn_time(cm->last_sync_ms).s);
  }

  P("\nVI. THAO TÁC BỊ TỪ CHỐI, CÁCH LY TRONG KỲ (%s)\n", vn_int(f->nquar).s);
  if (!f->nquar)
    P("   (không có)\n");
  for (int i = 0; i < f->nquar; i++) {
    const struct repfig_quarantined *q = &f->quar[i];
    P("   - %s, ", vn_time(q->received_ms).s);
    put_text(b, q->device);
    P(" (%s): %s: ", q->commune, q->error);
    put_text(b, q->message);
    P("\n");
  }

  P("\nNơi nhận:                                  %s\n",
    d->position ? d->position : "TM. ỦY BAN NHÂN DÂN");
  P("- Như trên;\n- Lưu: VT.                                  %s\n",
    d->signer ? d->signer : "");
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

static void json(struct out *b, const struct repfig *f,
                 const struct report_doc *d) {
  P("{\"issuer\": ");
  put_json(b, d->issuer);
  P(", \"number\": ");
  put_json(b, d->number);
  P(", \"commune\": ");
  put_json(b, f->commune);
  P(", \"scope\": ");
  put_json(b, scope_of(f));
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
    const char *k[] = {"id",      "commune", "received_on", "citizen",
                       "hamlet",  "content", "agency",      "status",
                       "response", "resolved_on"};
    const char *v[] = {e->id,      e->commune_name, e->received_on,
                       e->citizen, e->hamlet,       e->content,
                       e->agency,  e->status,       e->response,
                       e->resolved_on};
    P("%s\n  {", i ? "," : "");
    for (int j = 0; j < 10; j++) {
      P("%s\"%s\": ", j ? ", " : "", k[j]);
      put_json(b, v[j]);
    }
    P(", \"settled\": %s, \"settled_by\": %s}", e->settled ? "true" : "false",
      !e->settled ? "null" : e->by_district ? "\"district\"" : "\"commune\"");
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
    put_json(b, sat_name(f, s));
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
    put_json(b, cm->last_sync_ms > 0 ? iso_time(cm->last_sync_ms).s : NULL);
    P(", \"stale\": %s, \"figures\": ", cm->stale ? "true" : "false");
    json_counts(b, &cm->c);
    P("}");
  }
  P("],\n \"quarantined\": [");
  for (int i = 0; i < f->nquar; i++) {
    const struct repfig_quarantined *q = &f->quar[i];
    P("%s\n  {\"received\": \"%s\", \"device\": ", i ? "," : "",
      iso_time(q->received_ms).s);
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
  static const char *const names[] = {
      "Số cuộc sinh hoạt", "Số người tham gia", "Số cuộc đối thoại",
      "Số người dự đối thoại", "Số buổi tiếp công dân", "Số lượt tiếp công dân",
      "Ý kiến, kiến nghị tiếp nhận", "Chuyển cấp huyện",
      "Chuyển cấp huyện đã có kết quả", "Cấp huyện trả lời, giải quyết",
      "Trả lời, giải quyết tại cấp xã", "Đang xử lý", "Quá hạn",
      "Hộ được thăm hỏi", "Phần quà", "Giá trị quà (đồng)",
      "Lượt tình nguyện viên", "Phiếu khảo sát"};
  const int64_t *v = (const int64_t *)c;
  int64_t bp = repfig_settled_bp(c);
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    csv_int(b, part, where, names[i], v[i]);
  csv_row(b, part, where, "Tỷ lệ giải quyết", bp < 0 ? "" : vn_pct_bp(bp).s);
}

static void csv(struct out *b, const struct repfig *f) {
  char part[80];
  P("\xef\xbb\xbf"); /* UTF-8 BOM: Excel then reads Vietnamese right */
  csv_row(b, "Phần", "Xã, thị trấn", "Chỉ tiêu", "Giá trị");
  csv_counts(b, "Trong kỳ", scope_of(f), &f->cur);
  csv_int(b, "Trong kỳ", scope_of(f), "Số xã, thị trấn có sinh hoạt",
          f->communes_met);
  csv_int(b, "Trong kỳ", scope_of(f), "Tổng số xã, thị trấn",
          f->communes_total);
  if (f->has_prev)
    csv_counts(b, "Cùng kỳ năm trước", scope_of(f), &f->prev);
  csv_int(b, "Lũy kế", scope_of(f), "Hộ được thăm hỏi", f->cumul.visits);
  csv_int(b, "Lũy kế", scope_of(f), "Phần quà", f->cumul.gifts);
  csv_int(b, "Lũy kế", scope_of(f), "Giá trị quà (đồng)", f->cumul.gift_vnd);
  for (int i = 0; i < f->nesc; i++) {
    const struct repfig_escalation *e = &f->esc[i];
    snprintf(part, sizeof(part), "Chuyển cấp huyện %d", i + 1);
    csv_row(b, part, e->commune_name, "Ngày tiếp nhận", e->received_on);
    csv_row(b, part, e->commune_name, "Công dân", e->citizen);
    csv_row(b, part, e->commune_name, "Nội dung", e->content);
    csv_row(b, part, e->commune_name, "Cơ quan", e->agency);
    csv_row(b, part, e->commune_name, "Hiện trạng", status_text(e));
    csv_row(b, part, e->commune_name, "Trả lời", e->response);
  }
  for (int i = 0; i < f->ncategories; i++)
    csv_int(b, "Lĩnh vực", scope_of(f),
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
      csv_int(b, part, sat_name(f, s), "Số phiếu", x->n);
      for (int j = 0; j < 4; j++) {
        snprintf(what, sizeof(what), "Tỷ lệ %s", rating_share_keys[j]);
        csv_row(b, part, sat_name(f, s), what, vn_share(k[j], x->n).s);
      }
      csv_row(b, part, sat_name(f, s), "Điểm trung bình", vn_mean(x).s);
    }
  }
  for (int i = 0; i < f->nsituations; i++) {
    const struct repfig_situation *s = &f->situations[i];
    const char *l = repfig_situation_label(s->slug);
    csv_int(b, "Thăm hỏi theo hoàn cảnh", l, "Hộ", s->visits);
    csv_int(b, "Thăm hỏi theo hoàn cảnh", l, "Phần quà", s->gifts);
    csv_int(b, "Thăm hỏi theo hoàn cảnh", l, "Giá trị quà (đồng)",
            s->gift_vnd);
    csv_int(b, "Thăm hỏi theo hoàn cảnh", l, "Lượt tình nguyện viên",
            s->volunteers);
  }
  for (int i = 0; i < f->ncommunes; i++) {
    const struct repfig_commune *cm = &f->communes[i];
    csv_counts(b, "Theo xã, thị trấn", cm->name, &cm->c);
    csv_row(b, "Theo xã, thị trấn", cm->name, "Đồng bộ lần cuối",
            vn_time(cm->last_sync_ms).s);
    csv_row(b, "Theo xã, thị trấn", cm->name, "Chưa đồng bộ gần đây",
            cm->stale ? "có" : "không");
  }
  for (int i = 0; i < f->nquar; i++) {
    const struct repfig_quarantined *q = &f->quar[i];
    snprintf(part, sizeof(part), "Thao tác bị cách ly %d", i + 1);
    csv_row(b, part, q->commune, "Thời điểm", vn_time(q->received_ms).s);
    csv_row(b, part, q->commune, "Thiết bị", q->device);
    csv_row(b, part, q->commune, "Lỗi", q->error);
    csv_row(b, part, q->commune, "Lý do", q->message);
  }
}

/* ---- HTML: one printable A4 page ---- */

static const char css[] =
    "@page{size:A4;margin:20mm 15mm 20mm 25mm}"
    "body{font-family:'Times New Roman',Times,'Liberation Serif',serif;"
    "font-size:13pt;line-height:1.35;color:#000;max-width:170mm;"
    "margin:0 auto}"
    "table.head{width:100%;border-collapse:collapse}"
    "table.head td{text-align:center;vertical-align:top;font-size:12pt}"
    "table.head td.l{width:42%}table.head td.r{width:58%}"
    ".b{font-weight:bold}.i{font-style:italic}.u{text-decoration:underline}"
    "h1{font-size:14pt;text-align:center;margin:18pt 0 0}"
    ".sub{text-align:center;font-weight:bold}.c{text-align:center}"
    "h2{font-size:13pt;margin:12pt 0 4pt}"
    "p{text-align:justify;text-indent:10mm;margin:3pt 0}"
    "table.t{border-collapse:collapse;width:100%;font-size:10.5pt}"
    "table.t th,table.t td{border:1px solid #000;padding:1pt 3pt}"
    "table.t td.n{text-align:right}"
    "table.sign{width:100%;margin-top:14pt}"
    "table.sign td{vertical-align:top;width:50%}"
    "svg{display:block;margin:4pt auto}"
    "@media print{h2{break-after:avoid}tr{break-inside:avoid}}";

/* A horizontal bar chart: |n| labelled values, drawn to scale. */
static void svg_bars(struct out *b, const char *title, const char **labels,
                     const int64_t *v, int n) {
  int64_t max = 1;
  int h = 18 * n + 24;
  for (int i = 0; i < n; i++)
    if (v[i] > max)
      max = v[i];
  P("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"%d\" "
    "viewBox=\"0 0 600 %d\" role=\"img\" aria-label=\"",
    h, h);
  put_html(b, title);
  P("\"><text x=\"300\" y=\"14\" text-anchor=\"middle\" font-size=\"12\" "
    "font-weight=\"bold\">");
  put_html(b, title);
  P("</text>");
  for (int i = 0; i < n; i++) {
    int w = (int)(v[i] * 330 / max), y = 22 + 18 * i;
    P("<text x=\"215\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">",
      y + 12);
    put_html(b, labels[i]);
    P("</text><rect x=\"220\" y=\"%d\" width=\"%d\" height=\"13\" "
      "fill=\"#4a6fa5\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
      y + 1, w, 224 + w, y + 12, vn_int(v[i]).s);
  }
  P("</svg>\n");
}

/* Per commune: settled, escalated and open as one stacked bar each. */
static void svg_communes(struct out *b, const struct repfig *f) {
  int64_t max = 1;
  int h = 18 * f->ncommunes + 40;
  static const char *const fill[] = {"#3c8d5a", "#d08c2b", "#b23b3b"};
  static const char *const key[] = {"đã giải quyết", "chuyển cấp huyện",
                                    "đang xử lý"};
  for (int i = 0; i < f->ncommunes; i++)
    if (f->communes[i].c.received > max)
      max = f->communes[i].c.received;
  P("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"%d\" "
    "viewBox=\"0 0 600 %d\" role=\"img\" aria-label=\"Kiến nghị theo xã\">"
    "<text x=\"300\" y=\"14\" text-anchor=\"middle\" font-size=\"12\" "
    "font-weight=\"bold\">Ý kiến, kiến nghị theo xã, thị trấn</text>",
    h, h);
  for (int k = 0; k < 3; k++)
    P("<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
      "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>",
      150 + 140 * k, h - 12, fill[k], 164 + 140 * k, h - 3, key[k]);
  for (int i = 0; i < f->ncommunes; i++) {
    const struct repfig_counts *c = &f->communes[i].c;
    int64_t part[3] = {c->at_commune + c->at_district, c->escalated, c->open};
    int x = 220, y = 22 + 18 * i;
    P("<text x=\"215\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">",
      y + 12);
    put_html(b, f->communes[i].name);
    P("</text>");
    for (int k = 0; k < 3; k++) {
      int w = (int)(part[k] * 330 / max);
      if (w > 0)
        P("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"13\" fill=\"%s\"/>",
          x, y + 1, w, fill[k]);
      x += w;
    }
    P("<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", x + 4, y + 12,
      vn_int(c->received).s);
  }
  P("</svg>\n");
}

static void html_p(struct out *b, struct out *tmp, sentence_fn fn,
                   const struct repfig *f) {
  P("<p>");
  put_html(b, sentence(tmp, fn, f));
  P("</p>\n");
}

static void html(struct out *b, struct out *tmp, const struct repfig *f,
                 const struct report_doc *d) {
  P("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
    "<title>Báo cáo nghe dân nói - ");
  put_html(b, scope_of(f));
  P("</title><style>%s</style></head><body>\n", css);
  P("<table class=\"head\"><tr><td class=\"l\"><span class=\"b\">");
  put_html(b, d->issuer);
  P("</span><br>Số: ");
  put_html(b, d->number ? d->number : "....../BC-UBND");
  P("</td><td class=\"r\"><span class=\"b\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT "
    "NAM</span>"
    "<br><span class=\"b u\">Độc lập - Tự do - Hạnh phúc</span></td></tr>"
    "<tr><td></td><td class=\"i\">");
  {
    struct out t2 = {{0}, 0};
    buf_init(&t2.b, 0);
    doc_date(&t2, d);
    if (!t2.rc)
      t2.rc = buf_cstr(&t2.b);
    put_html(b, t2.rc ? "" : (const char *)t2.b.data);
    if (t2.rc)
      b->rc = t2.rc;
    buf_cleanup(&t2.b);
  }
  P("</td></tr></table>\n<h1>BÁO CÁO</h1>\n<div class=\"sub\">Kết quả thực "
    "hiện chương trình \"Nghe dân nói - Làm dân tin\", ");
  put_html(b, scope_of(f));
  P("<br>");
  {
    struct out t2 = {{0}, 0};
    buf_init(&t2.b, 0);
    period_line(&t2, f);
    if (!t2.rc)
      t2.rc = buf_cstr(&t2.b);
    put_html(b, t2.rc ? "" : (const char *)t2.b.data);
    buf_cleanup(&t2.b);
  }
  P("</div>\n<div class=\"c i\">(số liệu tính đến ngày %s)</div>\n",
    vn_date(f->as_of).s);

  P("<h2>I. SINH HOẠT \"NGHE DÂN NÓI\"</h2>\n");
  html_p(b, tmp, s_meetings, f);
  html_p(b, tmp, s_other_meetings, f);
  P("<h2>II. TIẾP NHẬN, GIẢI QUYẾT Ý KIẾN, KIẾN NGHỊ</h2>\n");
  html_p(b, tmp, s_petitions, f);
  html_p(b, tmp, s_share, f);
  P("<p>Kiến nghị chuyển cấp huyện: %s.</p>\n", vn_int(f->nesc).s);
  if (f->nesc) {
    P("<table class=\"t\"><tr><th>TT</th><th>Xã, thị trấn</th><th>Ngày</th>"
      "<th>Công dân</th><th>Nội dung</th><th>Cơ quan</th><th>Hiện trạng, "
      "trả lời</th></tr>\n");
    for (int i = 0; i < f->nesc; i++) {
      const struct repfig_escalation *e = &f->esc[i];
      P("<tr><td>%d</td><td>", i + 1);
      put_html(b, e->commune_name);
      P("</td><td>%s</td><td>", vn_date(e->received_on).s);
      put_html(b, e->citizen);
      P("</td><td>");
      put_html(b, e->content);
      P("</td><td>");
      put_html(b, e->agency);
      P("</td><td>%s%s", status_text(e),
        e->settled ? (e->by_district ? " (cấp huyện)" : " (cấp xã)") : "");
      if (e->response) {
        P(": ");
        put_html(b, e->response);
      }
      P("</td></tr>\n");
    }
    P("</table>\n");
  }
  if (f->ncategories) {
    const char *labels[32];
    int64_t v[32];
    int n = f->ncategories < 32 ? f->ncategories : 32;
    for (int i = 0; i < n; i++) {
      labels[i] = schema_category_label(f->categories[i].slug);
      v[i] = f->categories[i].n;
    }
    svg_bars(b, "Ý kiến, kiến nghị theo lĩnh vực", labels, v, n);
  }
  P("<h2>III. KHẢO SÁT MỨC ĐỘ HÀI LÒNG</h2>\n<p>Tổng số %s phiếu.</p>\n",
    vn_int(f->cur.surveys).s);
  if (f->nsat) {
    P("<table class=\"t\"><tr><th>Dịch vụ</th><th>Tiêu chí</th><th>Phiếu"
      "</th><th>Rất hài lòng</th><th>Hài lòng</th><th>Bình thường</th>"
      "<th>Chưa hài lòng</th><th>Điểm TB</th></tr>\n");
    for (int i = 0; i < f->nsat; i++)
      for (int r = 0; r < REPFIG_NRATINGS; r++) {
        const struct repfig_rating *x = &f->sat[i].r[r];
        if (!x->n)
          continue;
        P("<tr><td>");
        put_html(b, sat_name(f, &f->sat[i]));
        P("</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
          "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">"
          "%s</td><td class=\"n\">%s</td></tr>\n",
          repfig_rating_label(r), vn_int(x->n).s, vn_share(x->k5, x->n).s,
          vn_share(x->k4, x->n).s, vn_share(x->k3, x->n).s,
          vn_share(x->le2, x->n).s, vn_mean(x).s);
      }
    P("</table>\n");
  }
  P("<h2>IV. THĂM HỎI, TẶNG QUÀ</h2>\n");
  html_p(b, tmp, s_visits, f);
  if (f->nsituations) {
    P("<table class=\"t\"><tr><th>Hoàn cảnh</th><th>Hộ</th><th>Phần quà"
      "</th><th>Trị giá (triệu đồng)</th><th>Tình nguyện viên</th></tr>\n");
    for (int i = 0; i < f->nsituations; i++) {
      const struct repfig_situation *s = &f->situations[i];
      P("<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
        "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
        repfig_situation_label(s->slug), vn_int(s->visits).s,
        vn_int(s->gifts).s, vn_trieu(s->gift_vnd).s,
        vn_int(s->volunteers).s);
    }
    P("</table>\n");
  }
  P("<h2>V. THEO TỪNG XÃ, THỊ TRẤN</h2>\n<table class=\"t\"><tr><th>Xã, thị "
    "trấn</th><th>Sinh hoạt</th><th>Người dự</th><th>Tiếp nhận</th><th>Đã "
    "giải quyết</th><th>Chuyển cấp huyện</th><th>Đang xử lý</th><th>Quá "
    "hạn</th><th>Đồng bộ lần cuối</th></tr>\n");
  for (int i = 0; i < f->ncommunes; i++) {
    const struct repfig_commune *cm = &f->communes[i];
    const struct repfig_counts *c = &cm->c;
    P("<tr><td>");
    put_html(b, cm->name);
    P("</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">"
      "%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td "
      "class=\"n\">%s</td><td class=\"n\">%s</td><td>%s%s</td></tr>\n",
      vn_int(c->meetings).s, vn_int(c->attendees).s, vn_int(c->received).s,
      vn_int(c->at_commune + c->at_district).s, vn_int(c->escalated).s,
      vn_int(c->open).s, vn_int(c->overdue).s, vn_time(cm->last_sync_ms).s,
      cm->stale ? " (*)" : "");
  }
  P("</table>\n<p class=\"i\">(*) chưa đồng bộ trong 7 ngày trước cuối kỳ."
    "</p>\n");
  if (f->ncommunes > 1)
    svg_communes(b, f);
  P("<h2>VI. THAO TÁC BỊ CÁCH LY TRONG KỲ</h2>\n");
  if (!f->nquar)
    P("<p>Không có.</p>\n");
  for (int i = 0; i < f->nquar; i++) {
    const struct repfig_quarantined *q = &f->quar[i];
    P("<p>%s, ", vn_time(q->received_ms).s);
    put_html(b, q->device);
    P(" (");
    put_html(b, q->commune);
    P("): ");
    put_html(b, q->error);
    P(": ");
    put_html(b, q->message);
    P("</p>\n");
  }
  P("<table class=\"sign\"><tr><td><span class=\"b i\">Nơi nhận:</span><br>"
    "- Như trên;<br>- Lưu: VT.</td><td class=\"c\"><span class=\"b\">");
  put_html(b, d->position ? d->position : "TM. ỦY BAN NHÂN DÂN");
  P("</span><br><span class=\"i\">(Ký, ghi rõ họ tên, đóng dấu)</span>"
    "<br><br><br><br><span class=\"b\">");
  put_html(b, d->signer);
  P("</span></td></tr></table>\n</body></html>\n");
}

int report_write(const struct repfig *f, const struct report_doc *doc,
                 enum report_format format, FILE *out, char *errbuf) {
  struct out b_ = {{0}, 0}, *b = &b_, tmp = {{0}, 0};
  int rc;

  buf_init(&b->b, 0);
  buf_init(&tmp.b, 0);
  switch (format) {
  case REPORT_TEXT:
    text(b, &tmp, f, doc);
    break;
  case REPORT_JSON:
    json(b, f, doc);
    break;
  case REPORT_CSV:
    csv(b, f);
    break;
  case REPORT_HTML:
    html(b, &tmp, f, doc);
    break;
  }
  rc = b->rc ? b->rc : tmp.rc;
  if (!rc && fwrite(b->b.data, 1, b->b.len, out) != b->b.len)
    rc = DS_EIO;
  buf_cleanup(&b->b);
  buf_cleanup(&tmp.b);
  return rc ? ds_fail(errbuf, rc, "could not write the report") : 0;
}
