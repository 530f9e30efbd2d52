/* SPDX-License-Identifier: MIT
 * report.c -- printing the report's figures (daemon/repfig.h) as the
 * district writes them: Vietnamese numbers ("2.174", "99,57%", "26,5 triệu
 * đồng"), dates dd/mm/yyyy, the official document's frame. The sentences
 * are made once and shared by text and HTML; what a person typed is
 * escaped for each format (terminal, HTML, CSV cells, JSON). */
#include "common/report.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/schema.h"
#include "common/utf8.h"
#include "common/repfig.h"
#include "common/report_int.h"

int report_format_parse(const char *s) {
  static const char *const names[] = {"text", "json", "csv", "html", "docx"};
  for (int i = 0; s && i < 5; i++)
    if (!strcmp(s, names[i]))
      return i;
  return -1;
}

void report__outf(struct out *o, const char *fmt, ...) {
  va_list ap;
  if (o->rc)
    return;
  va_start(ap, fmt);
  o->rc = buf_vprintf(&o->b, fmt, ap);
  va_end(ap);
}

void report__outn(struct out *o, const char *s, size_t n) {
  if (!o->rc)
    o->rc = buf_append(&o->b, s, n);
}

/* ---- Vietnamese numbers and dates ---- */

/* 2174 -> "2.174". */
struct num report__int(int64_t v) {
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
struct num report__dec(int64_t h) {
  struct num r = report__int(h / 100);
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
struct num report__pct(int64_t bp) {
  struct num r = report__dec(bp < 0 ? 0 : bp);
  size_t n = strlen(r.s);
  r.s[n] = '%';
  r.s[n + 1] = '\0';
  return r;
}

struct num report__share(int64_t part, int64_t whole) {
  return report__pct(whole > 0 ? (part * 10000 + whole / 2) / whole : 0);
}

/* 26500000 -> "26,5" (triệu đồng, rounded to hundredths). */
struct num report__trieu(int64_t vnd) {
  return report__dec((vnd + 5000) / 10000);
}

struct num report__mean(const struct repfig_rating *r) {
  return report__dec(r->n > 0 ? (r->sum * 100 + r->n / 2) / r->n : 0);
}

/* "2024-05-31" -> "31/05/2024". */
struct num report__date(const char *d) {
  struct num r;
  if (!d || strlen(d) != 10)
    snprintf(r.s, sizeof(r.s), "%s", d ? d : "");
  else
    snprintf(r.s, sizeof(r.s), "%.2s/%.2s/%.4s", d + 8, d + 5, d);
  return r;
}

/* Unix ms -> "02/12/2026 10:30" local time, or "chưa đồng bộ". */
struct num report__time(int64_t ms) {
  struct num r;
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0 || !localtime_r(&t, &tm))
    snprintf(r.s, sizeof(r.s), "chưa đồng bộ");
  else
    strftime(r.s, sizeof(r.s), "%d/%m/%Y %H:%M", &tm);
  return r;
}

struct num report__iso_time(int64_t ms) {
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
size_t report__ctrl_len(const unsigned char *p) {
  if (*p < 0x20 || *p == 0x7f)
    return 1;
  if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
    return 2;
  return 0;
}

/* For the terminal: newline and tab become a space (a petition cannot
 * start a line of the report), other controls \xNN. */
void report__put_text(struct out *b, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;
  for (; *p;) {
    size_t n = report__ctrl_len(p);
    if (!n) {
      p++;
      continue;
    }
    report__outn(b, (const char *)run, (size_t)(p - run));
    if (*p == '\n' || *p == '\t' || *p == '\r')
      report__outn(b, " ", 1);
    else
      for (size_t k = 0; k < n; k++)
        P("\\x%02x", p[k]);
    p += n;
    run = p;
  }
  report__outn(b, (const char *)run, (size_t)(p - run));
}

/* ---- the sentences, shared by text and HTML ---- */

const char *report__scope(const struct repfig *f) {
  return f->scope_name ? f->scope_name : "toàn huyện";
}

void report__period(struct out *b, const struct repfig *f) {
  if (*f->from && *f->to)
    P("từ ngày %s đến ngày %s", report__date(f->from).s, report__date(f->to).s);
  else if (*f->from)
    P("từ ngày %s", report__date(f->from).s);
  else if (*f->to)
    P("đến ngày %s", report__date(f->to).s);
  else
    P("từ khi bắt đầu ghi nhận");
}

void report__s_meetings(struct out *b, const struct repfig *f) {
  const struct repfig_counts *c = &f->cur, *p = &f->prev;
  if (!f->commune)
    P("%s/%s xã, thị trấn tổ chức sinh hoạt \"nghe dân nói\"; ",
      report__int(f->communes_met).s, report__int(f->communes_total).s);
  P("sinh hoạt được %s cuộc, có %s người dân tham gia",
    report__int(c->meetings).s, report__int(c->attendees).s);
  if (f->has_prev)
    P(" (cùng kỳ năm trước: %s cuộc, %s người)", report__int(p->meetings).s,
      report__int(p->attendees).s);
  P(".");
}

void report__s_other_meetings(struct out *b, const struct repfig *f) {
  const struct repfig_counts *c = &f->cur;
  P("Ngoài sinh hoạt \"nghe dân nói\": %s cuộc đối thoại (%s người tham "
    "dự), %s buổi tiếp công dân (%s lượt công dân).",
    report__int(c->dialogues).s, report__int(c->dialogue_att).s,
    report__int(c->receptions).s, report__int(c->reception_att).s);
}

void report__s_petitions(struct out *b, const struct repfig *f) {
  const struct repfig_counts *c = &f->cur;
  P("Tiếp nhận %s ý kiến, kiến nghị", report__int(c->received).s);
  if (f->has_prev)
    P(" (cùng kỳ năm trước: %s)", report__int(f->prev.received).s);
  P("; đã trả lời, giải quyết tại cấp xã %s; cấp huyện trả lời, giải quyết "
    "%s; chuyển cấp huyện %s (đã có kết quả %s); đang xử lý %s (quá hạn "
    "%s).",
    report__int(c->at_commune).s, report__int(c->at_district).s,
    report__int(c->escalated).s, report__int(c->esc_settled).s,
    report__int(c->open).s, report__int(c->overdue).s);
}

void report__s_share(struct out *b, const struct repfig *f) {
  int64_t bp = repfig_settled_bp(&f->cur), pbp = repfig_settled_bp(&f->prev);
  if (bp < 0)
    P("Không có ý kiến, kiến nghị trong kỳ.");
  else
    P("Kết quả trả lời, giải quyết đạt %s", report__pct(bp).s);
  if (bp >= 0 && f->has_prev)
    P(" (cùng kỳ năm trước: %s)",
      pbp < 0 ? "không có kiến nghị" : report__pct(pbp).s);
  if (bp >= 0)
    P(".");
}

void report__s_visits(struct out *b, const struct repfig *f) {
  const struct repfig_counts *c = &f->cur, *p = &f->prev, *t = &f->cumul;
  P("Thăm hỏi %s hộ gia đình khó khăn, trao %s phần quà, trị giá %s triệu "
    "đồng, %s lượt tình nguyện viên tham gia",
    report__int(c->visits).s, report__int(c->gifts).s,
    report__trieu(c->gift_vnd).s, report__int(c->volunteers).s);
  if (f->has_prev)
    P(" (cùng kỳ năm trước: %s hộ, %s phần quà, %s triệu đồng)",
      report__int(p->visits).s, report__int(p->gifts).s,
      report__trieu(p->gift_vnd).s);
  P(". Lũy kế từ khi bắt đầu ghi nhận, nâng tổng số %s hộ được thăm hỏi, "
    "%s phần quà, trị giá %s triệu đồng.",
    report__int(t->visits).s, report__int(t->gifts).s,
    report__trieu(t->gift_vnd).s);
}

/* The sentence as a string (into |tmp|), for formats that escape it. */
const char *report__sentence(struct out *tmp, report_sentence_fn fn,
                             const struct repfig *f) {
  buf_reset(&tmp->b);
  fn(tmp, f);
  if (!tmp->rc)
    tmp->rc = buf_cstr(&tmp->b);
  return tmp->rc ? "" : (const char *)tmp->b.data;
}

const char *const report__share_keys[4] = {"rất hài lòng (5)", "hài lòng (4)",
                                           "bình thường (3)",
                                           "chưa hài lòng (≤2)"};

static void s_rating(struct out *b, const struct repfig_rating *r) {
  P("rất hài lòng %s, hài lòng %s, bình thường %s, chưa hài lòng %s; điểm "
    "trung bình %s",
    report__share(r->k5, r->n).s, report__share(r->k4, r->n).s,
    report__share(r->k3, r->n).s, report__share(r->le2, r->n).s,
    report__mean(r).s);
}

const char *report__sat_name(const struct repfig *f,
                             const struct repfig_sat *s) {
  if (s->service)
    return schema_service_label(s->service);
  return f->commune ? "tất cả dịch vụ" : "toàn huyện, tất cả dịch vụ";
}

const char *report__status_text(const struct repfig_escalation *e) {
  return schema_status_label(e->status);
}

void report__doc_date(struct out *b, const struct report_doc *d) {
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
    report__put_text(b, s);
  for (; n < w; n++)
    P(" ");
  if (right)
    report__put_text(b, s);
}

/* ---- text ---- */

static void text(struct out *b, struct out *tmp, const struct repfig *f,
                 const struct report_doc *d) {
  P("%s\n", d->issuer);
  P("Số: %s\n", d->number ? d->number : "....../BC-UBND");
  P("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n");
  report__doc_date(b, d);
  P("\n\nBÁO CÁO\nKết quả thực hiện chương trình \"Nghe dân nói - Làm dân "
    "tin\", %s\n",
    report__scope(f));
  report__period(b, f);
  P("\n(số liệu tính đến ngày %s)\n\n", report__date(f->as_of).s);

  P("I. SINH HOẠT \"NGHE DÂN NÓI\"\n1. %s\n",
    report__sentence(tmp, report__s_meetings, f));
  P("2. %s\n\n", report__sentence(tmp, report__s_other_meetings, f));

  P("II. TIẾP NHẬN, GIẢI QUYẾT Ý KIẾN, KIẾN NGHỊ\n1. %s\n",
    report__sentence(tmp, report__s_petitions, f));
  P("2. %s\n", report__sentence(tmp, report__s_share, f));
  P("3. Kiến nghị chuyển cấp huyện (%s):\n", report__int(f->nesc).s);
  if (!f->nesc)
    P("   (không có)\n");
  for (int i = 0; i < f->nesc; i++) {
    const struct repfig_escalation *e = &f->esc[i];
    P("   %d) %s, ngày %s", i + 1, e->commune_name,
      report__date(e->received_on).s);
    if (e->citizen) {
      P(", công dân ");
      report__put_text(b, e->citizen);
    }
    if (e->hamlet) {
      P(" (");
      report__put_text(b, e->hamlet);
      P(")");
    }
    P(": \"");
    report__put_text(b, e->content);
    P("\"\n      Chuyển: ");
    report__put_text(b, e->agency ? e->agency : "(chưa ghi cơ quan)");
    P(". Hiện trạng: %s%s", report__status_text(e),
      e->settled ? (e->by_district ? " (cấp huyện)" : " (cấp xã)") : "");
    if (e->resolved_on)
      P(", ngày %s", report__date(e->resolved_on).s);
    P(".");
    if (e->response) {
      P(" Trả lời: \"");
      report__put_text(b, e->response);
      P("\"");
    }
    P("\n");
  }
  P("4. Phân loại theo lĩnh vực:\n");
  if (!f->ncategories)
    P("   (không có)\n");
  for (int i = 0; i < f->ncategories; i++)
    P("   - %s: %s (%s)\n", schema_category_label(f->categories[i].slug),
      report__int(f->categories[i].n).s,
      report__share(f->categories[i].n, f->cur.received).s);

  P("\nIII. KHẢO SÁT MỨC ĐỘ HÀI LÒNG (%s phiếu)\n",
    report__int(f->cur.surveys).s);
  if (!f->nsat)
    P("   (không có)\n");
  for (int i = 0; i < f->nsat; i++) {
    const struct repfig_sat *s = &f->sat[i];
    P("   - %s: %s phiếu\n", report__sat_name(f, s), report__int(s->forms).s);
    for (int r = 0; r < REPFIG_NRATINGS; r++) {
      if (!s->r[r].n)
        continue;
      P("     %s (%s phiếu): ", repfig_rating_label(r),
        report__int(s->r[r].n).s);
      s_rating(b, &s->r[r]);
      P("\n");
    }
  }

  P("\nIV. THĂM HỎI, TẶNG QUÀ\n%s\n",
    report__sentence(tmp, report__s_visits, f));
  for (int i = 0; i < f->nsituations; i++) {
    const struct repfig_situation *s = &f->situations[i];
    P("   - %s: %s hộ, %s phần quà, %s triệu đồng, %s lượt tình nguyện "
      "viên\n",
      repfig_situation_label(s->slug), report__int(s->visits).s,
      report__int(s->gifts).s, report__trieu(s->gift_vnd).s,
      report__int(s->volunteers).s);
  }

  P("\nV. THEO TỪNG XÃ, THỊ TRẤN (* = chưa đồng bộ trong 7 ngày trước cuối "
    "kỳ)\n");
  {
    static const char *const h[] = {"Họp",    "Dự",      "Nhận",    "Đã GQ",
                                    "Chuyển", "Đang XL", "Quá hạn", "Thăm"};
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
    int64_t v[8] = {
        c->meetings,  c->attendees, c->received, c->at_commune + c->at_district,
        c->escalated, c->open,      c->overdue,  c->visits};
    P("   %s", cm->stale ? "*" : " ");
    pad(b, cm->name, 20, false);
    for (int k = 0; k < 8; k++) {
      P(" ");
      pad(b, report__int(v[k]).s, 7, true);
    }
    P("  %s\n", report__time(cm->last_sync_ms).s);
  }

  P("\nVI. THAO TÁC BỊ TỪ CHỐI, CÁCH LY TRONG KỲ (%s)\n",
    report__int(f->nquar).s);
  if (!f->nquar)
    P("   (không có)\n");
  for (int i = 0; i < f->nquar; i++) {
    const struct repfig_quarantined *q = &f->quar[i];
    P("   - %s, ", report__time(q->received_ms).s);
    report__put_text(b, q->device);
    P(" (%s): %s: ", q->commune, q->error);
    report__put_text(b, q->message);
    P("\n");
  }

  P("\nNơi nhận:                                  %s\n",
    d->position ? d->position : "TM. ỦY BAN NHÂN DÂN");
  P("- Như trên;\n- Lưu: VT.                                  %s\n",
    d->signer ? d->signer : "");
}

int report_write(const struct repfig *f, const struct report_doc *doc,
                 enum report_format format, FILE *out, char *errbuf) {
  struct out b_ = {{0}, 0}, *b = &b_, tmp = {{0}, 0};
  int rc;

  buf_init(&b->b, 0);
  buf_init(&tmp.b, 0);
  switch (format) {
  case REPORT_TEXT: text(b, &tmp, f, doc); break;
  case REPORT_JSON: report__json(b, f, doc); break;
  case REPORT_CSV: report__csv(b, f); break;
  case REPORT_HTML: report__html(b, &tmp, f, doc); break;
  case REPORT_DOCX: report__docx(b, &tmp, f, doc); break;
  }
  rc = b->rc ? b->rc : tmp.rc;
  if (!rc && fwrite(b->b.data, 1, b->b.len, out) != b->b.len)
    rc = DS_EIO;
  buf_cleanup(&b->b);
  buf_cleanup(&tmp.b);
  return rc ? ds_fail(errbuf, rc, "could not write the report") : 0;
}
