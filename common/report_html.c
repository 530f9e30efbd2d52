/* SPDX-License-Identifier: MIT
 * report_html.c -- the report as one self-contained printable HTML page:
 * the official layout on A4, charts as inline SVG, nothing fetched. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/schema.h"
#include "common/report_int.h"

static void put_html(struct out *b, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  for (; *p; p++) {
    size_t n = report__ctrl_len(p);
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
        report__outn(b, (const char *)p, 1);
    }
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
    P("<text x=\"215\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">", y + 12);
    put_html(b, labels[i]);
    P("</text><rect x=\"220\" y=\"%d\" width=\"%d\" height=\"13\" "
      "fill=\"#4a6fa5\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
      y + 1, w, 224 + w, y + 12, report__int(v[i]).s);
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
    P("<text x=\"215\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">", y + 12);
    put_html(b, f->communes[i].name);
    P("</text>");
    for (int k = 0; k < 3; k++) {
      int w = (int)(part[k] * 330 / max);
      if (w > 0)
        P("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"13\" fill=\"%s\"/>", x,
          y + 1, w, fill[k]);
      x += w;
    }
    P("<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", x + 4, y + 12,
      report__int(c->received).s);
  }
  P("</svg>\n");
}

static void html_p(struct out *b, struct out *tmp, report_sentence_fn fn,
                   const struct repfig *f) {
  P("<p>");
  put_html(b, report__sentence(tmp, fn, f));
  P("</p>\n");
}

void report__html(struct out *b, struct out *tmp, const struct repfig *f,
                  const struct report_doc *d) {
  P("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
    "<title>Báo cáo nghe dân nói - ");
  put_html(b, report__scope(f));
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
    report__doc_date(&t2, d);
    if (!t2.rc)
      t2.rc = buf_cstr(&t2.b);
    put_html(b, t2.rc ? "" : (const char *)t2.b.data);
    if (t2.rc)
      b->rc = t2.rc;
    buf_cleanup(&t2.b);
  }
  P("</td></tr></table>\n<h1>BÁO CÁO</h1>\n<div class=\"sub\">Kết quả thực "
    "hiện chương trình \"Nghe dân nói - Làm dân tin\", ");
  put_html(b, report__scope(f));
  P("<br>");
  {
    struct out t2 = {{0}, 0};
    buf_init(&t2.b, 0);
    report__period(&t2, f);
    if (!t2.rc)
      t2.rc = buf_cstr(&t2.b);
    put_html(b, t2.rc ? "" : (const char *)t2.b.data);
    buf_cleanup(&t2.b);
  }
  P("</div>\n<div class=\"c i\">(số liệu tính đến ngày %s)</div>\n",
    report__date(f->as_of).s);

  P("<h2>I. SINH HOẠT \"NGHE DÂN NÓI\"</h2>\n");
  html_p(b, tmp, report__s_meetings, f);
  html_p(b, tmp, report__s_other_meetings, f);
  P("<h2>II. TIẾP NHẬN, GIẢI QUYẾT Ý KIẾN, KIẾN NGHỊ</h2>\n");
  html_p(b, tmp, report__s_petitions, f);
  html_p(b, tmp, report__s_share, f);
  P("<p>Kiến nghị chuyển cấp huyện: %s.</p>\n", report__int(f->nesc).s);
  if (f->nesc) {
    P("<table class=\"t\"><tr><th>TT</th><th>Xã, thị trấn</th><th>Ngày</th>"
      "<th>Công dân</th><th>Nội dung</th><th>Cơ quan</th><th>Hiện trạng, "
      "trả lời</th></tr>\n");
    for (int i = 0; i < f->nesc; i++) {
      const struct repfig_escalation *e = &f->esc[i];
      P("<tr><td>%d</td><td>", i + 1);
      put_html(b, e->commune_name);
      P("</td><td>%s</td><td>", report__date(e->received_on).s);
      put_html(b, e->citizen);
      P("</td><td>");
      put_html(b, e->content);
      P("</td><td>");
      put_html(b, e->agency);
      P("</td><td>%s%s", report__status_text(e),
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
    report__int(f->cur.surveys).s);
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
        put_html(b, report__sat_name(f, &f->sat[i]));
        P("</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
          "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">"
          "%s</td><td class=\"n\">%s</td></tr>\n",
          repfig_rating_label(r), report__int(x->n).s,
          report__share(x->k5, x->n).s, report__share(x->k4, x->n).s,
          report__share(x->k3, x->n).s, report__share(x->le2, x->n).s,
          report__mean(x).s);
      }
    P("</table>\n");
  }
  P("<h2>IV. THĂM HỎI, TẶNG QUÀ</h2>\n");
  html_p(b, tmp, report__s_visits, f);
  if (f->nsituations) {
    P("<table class=\"t\"><tr><th>Hoàn cảnh</th><th>Hộ</th><th>Phần quà"
      "</th><th>Trị giá (triệu đồng)</th><th>Tình nguyện viên</th></tr>\n");
    for (int i = 0; i < f->nsituations; i++) {
      const struct repfig_situation *s = &f->situations[i];
      P("<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
        "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
        repfig_situation_label(s->slug), report__int(s->visits).s,
        report__int(s->gifts).s, report__trieu(s->gift_vnd).s,
        report__int(s->volunteers).s);
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
      report__int(c->meetings).s, report__int(c->attendees).s,
      report__int(c->received).s, report__int(c->at_commune + c->at_district).s,
      report__int(c->escalated).s, report__int(c->open).s,
      report__int(c->overdue).s, report__time(cm->last_sync_ms).s,
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
    P("<p>%s, ", report__time(q->received_ms).s);
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
