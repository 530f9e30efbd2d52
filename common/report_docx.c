/* SPDX-License-Identifier: MIT
 * report_docx.c -- the report as a Word document (.docx): the same pages
 * as the HTML one, as WordprocessingML in a zip container made with libzip,
 * editable in Word and LibreOffice. Charts are left to the HTML page. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <zip.h>

#include "common/schema.h"
#include "common/report_int.h"

/* Text inside <w:t>: XML-escaped; a typed newline is a line break, a tab a
 * tab, other control characters (which XML 1.0 cannot hold) a space. */
static void x_text(struct out *b, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  for (; *p; p++) {
    size_t n = report__ctrl_len(p);
    switch (*p) {
    case '&': P("&amp;"); break;
    case '<': P("&lt;"); break;
    case '>': P("&gt;"); break;
    case '"': P("&quot;"); break;
    case '\n': P("</w:t><w:br/><w:t xml:space=\"preserve\">"); break;
    case '\t': P("</w:t><w:tab/><w:t xml:space=\"preserve\">"); break;
    default:
      if (n) {
        P(" ");
        p += n - 1;
      } else
        report__outn(b, (const char *)p, 1);
    }
  }
}

enum {
  B = 1,
  I = 2,
  U = 4,
  CENTER = 8,
  INDENT = 16,
  RIGHT = 32,
  SMALL = 64,
  LEFT = 128
};

static void run(struct out *b, const char *s, unsigned fl) {
  P("<w:r>");
  if (fl & (B | I | U | SMALL))
    P("<w:rPr>%s%s%s%s</w:rPr>", fl & B ? "<w:b/>" : "", fl & I ? "<w:i/>" : "",
      fl & U ? "<w:u w:val=\"single\"/>" : "",
      fl & SMALL ? "<w:sz w:val=\"22\"/>" : "");
  P("<w:t xml:space=\"preserve\">");
  x_text(b, s);
  P("</w:t></w:r>");
}

static void ppr(struct out *b, unsigned fl) {
  P("<w:pPr><w:spacing w:before=\"0\" w:after=\"60\"/>%s%s</w:pPr>",
    fl & CENTER  ? "<w:jc w:val=\"center\"/>"
    : fl & RIGHT ? "<w:jc w:val=\"right\"/>"
    : fl & LEFT  ? "<w:jc w:val=\"left\"/>"
                 : "<w:jc w:val=\"both\"/>",
    fl & INDENT ? "<w:ind w:firstLine=\"567\"/>" : "");
}

static void para(struct out *b, const char *s, unsigned fl) {
  P("<w:p>");
  ppr(b, fl);
  run(b, s, fl);
  P("</w:p>");
}

static void sentence_para(struct out *b, struct out *tmp, report_sentence_fn fn,
                          const struct repfig *f) {
  para(b, report__sentence(tmp, fn, f), INDENT);
}

/* A table with borders; |w| column widths in twentieths of a point. */
static void tbl_begin(struct out *b, const int *w, int n, bool borders) {
  static const char *const sides[] = {"top",   "left",    "bottom",
                                      "right", "insideH", "insideV"};
  P("<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/>");
  P("<w:tblBorders>");
  for (int i = 0; i < 6; i++)
    P("<w:%s w:val=\"%s\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>",
      sides[i], borders ? "single" : "nil");
  P("</w:tblBorders><w:tblLayout w:type=\"fixed\"/></w:tblPr><w:tblGrid>");
  for (int i = 0; i < n; i++)
    P("<w:gridCol w:w=\"%d\"/>", w[i]);
  P("</w:tblGrid>");
}

static void cell(struct out *b, int w, const char *s, unsigned fl) {
  P("<w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/></w:tcPr><w:p>", w);
  ppr(b, (fl & (CENTER | RIGHT)) | LEFT);
  run(b, s, fl);
  P("</w:p></w:tc>");
}

static void row(struct out *b, const int *w, const char *const *v, int n,
                const unsigned *fl) {
  P("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
  for (int i = 0; i < n; i++)
    cell(b, w[i], v[i] ? v[i] : "", fl[i] | SMALL);
  P("</w:tr>");
}

static void head(struct out *b, const struct repfig *f,
                 const struct report_doc *d, struct out *tmp) {
  static const int w[] = {3900, 5455};
  P("<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:tblLayout "
    "w:type=\"fixed\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"%d\"/>"
    "<w:gridCol w:w=\"%d\"/></w:tblGrid><w:tr>",
    w[0], w[1]);
  P("<w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/></w:tcPr>", w[0]);
  para(b, d->issuer, B | CENTER);
  buf_reset(&tmp->b);
  report__outf(tmp, "Số: %s", d->number ? d->number : "....../BC-UBND");
  if (!tmp->rc)
    tmp->rc = buf_cstr(&tmp->b);
  para(b, tmp->rc ? "" : (const char *)tmp->b.data, CENTER);
  P("</w:tc><w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/></w:tcPr>", w[1]);
  para(b, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", B | CENTER);
  para(b, "Độc lập - Tự do - Hạnh phúc", B | U | CENTER);
  buf_reset(&tmp->b);
  report__doc_date(tmp, d);
  if (!tmp->rc)
    tmp->rc = buf_cstr(&tmp->b);
  para(b, tmp->rc ? "" : (const char *)tmp->b.data, I | CENTER);
  P("</w:tc></w:tr></w:tbl>");
  para(b, "", 0);
  para(b, "BÁO CÁO", B | CENTER);
  buf_reset(&tmp->b);
  report__outf(tmp,
               "Kết quả thực hiện chương trình \"Nghe dân nói - Làm dân "
               "tin\", %s",
               report__scope(f));
  if (!tmp->rc)
    tmp->rc = buf_cstr(&tmp->b);
  para(b, tmp->rc ? "" : (const char *)tmp->b.data, B | CENTER);
  para(b, report__sentence(tmp, report__period, f), B | CENTER);
  buf_reset(&tmp->b);
  report__outf(tmp, "(số liệu tính đến ngày %s)", report__date(f->as_of).s);
  if (!tmp->rc)
    tmp->rc = buf_cstr(&tmp->b);
  para(b, tmp->rc ? "" : (const char *)tmp->b.data, I | CENTER);
}

static void escalations(struct out *b, const struct repfig *f) {
  static const int w[] = {500, 1200, 1150, 1250, 2255, 1400, 1600};
  static const unsigned hf[] = {B | CENTER, B | CENTER, B | CENTER, B | CENTER,
                                B | CENTER, B | CENTER, B | CENTER};
  static const unsigned rf[] = {CENTER, 0, CENTER, 0, 0, 0, 0};
  static const char *const h[] = {
      "TT",      "Xã, thị trấn",       "Ngày", "Công dân", "Nội dung",
      "Cơ quan", "Hiện trạng, trả lời"};
  if (!f->nesc)
    return;
  tbl_begin(b, w, 7, true);
  row(b, w, h, 7, hf);
  for (int i = 0; i < f->nesc; i++) {
    const struct repfig_escalation *e = &f->esc[i];
    char tt[16], st[4200];
    const char *v[7];
    snprintf(tt, sizeof(tt), "%d", i + 1);
    snprintf(st, sizeof(st), "%s%s%s%s", report__status_text(e),
             e->settled ? (e->by_district ? " (cấp huyện)" : " (cấp xã)") : "",
             e->response ? ": " : "", e->response ? e->response : "");
    v[0] = tt;
    v[1] = e->commune_name;
    v[3] = e->citizen;
    v[4] = e->content;
    v[5] = e->agency;
    v[6] = st;
    {
      struct num d = report__date(e->received_on);
      v[2] = d.s;
      row(b, w, v, 7, rf);
    }
  }
  P("</w:tbl>");
}

static void satisfaction(struct out *b, const struct repfig *f) {
  static const int w[] = {1700, 1600, 750, 1100, 1000, 1100, 1100, 1005};
  static const unsigned hf[] = {B | CENTER, B | CENTER, B | CENTER, B | CENTER,
                                B | CENTER, B | CENTER, B | CENTER, B | CENTER};
  static const unsigned rf[] = {0, 0, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT};
  static const char *const h[] = {"Dịch vụ",       "Tiêu chí", "Phiếu",
                                  "Rất hài lòng",  "Hài lòng", "Bình thường",
                                  "Chưa hài lòng", "Điểm TB"};
  if (!f->nsat)
    return;
  tbl_begin(b, w, 8, true);
  row(b, w, h, 8, hf);
  for (int i = 0; i < f->nsat; i++)
    for (int r = 0; r < REPFIG_NRATINGS; r++) {
      const struct repfig_rating *x = &f->sat[i].r[r];
      struct num n = report__int(x->n), k5 = report__share(x->k5, x->n),
                 k4 = report__share(x->k4, x->n),
                 k3 = report__share(x->k3, x->n),
                 le = report__share(x->le2, x->n), m = report__mean(x);
      const char *v[8] = {report__sat_name(f, &f->sat[i]),
                          repfig_rating_label(r),
                          n.s,
                          k5.s,
                          k4.s,
                          k3.s,
                          le.s,
                          m.s};
      if (x->n)
        row(b, w, v, 8, rf);
    }
  P("</w:tbl>");
}

static void communes(struct out *b, const struct repfig *f) {
  static const int w[] = {1800, 800, 850, 900, 1000, 1000, 900, 800, 1305};
  static const unsigned hf[] = {B | CENTER, B | CENTER, B | CENTER,
                                B | CENTER, B | CENTER, B | CENTER,
                                B | CENTER, B | CENTER, B | CENTER};
  static const unsigned rf[] = {0,     RIGHT, RIGHT, RIGHT, RIGHT,
                                RIGHT, RIGHT, RIGHT, 0};
  static const char *const h[] = {
      "Xã, thị trấn", "Sinh hoạt",     "Người dự",
      "Tiếp nhận",    "Đã giải quyết", "Chuyển cấp huyện",
      "Đang xử lý",   "Quá hạn",       "Đồng bộ lần cuối"};
  tbl_begin(b, w, 9, true);
  row(b, w, h, 9, hf);
  for (int i = 0; i < f->ncommunes; i++) {
    const struct repfig_commune *cm = &f->communes[i];
    const struct repfig_counts *c = &cm->c;
    struct num n[7] = {
        report__int(c->meetings),  report__int(c->attendees),
        report__int(c->received),  report__int(c->at_commune + c->at_district),
        report__int(c->escalated), report__int(c->open),
        report__int(c->overdue)};
    char last[64];
    const char *v[9];
    snprintf(last, sizeof(last), "%s%s", report__time(cm->last_sync_ms).s,
             cm->stale ? " (*)" : "");
    v[0] = cm->name;
    for (int k = 0; k < 7; k++)
      v[1 + k] = n[k].s;
    v[8] = last;
    row(b, w, v, 9, rf);
  }
  P("</w:tbl>");
}

static void document(struct out *b, struct out *tmp, const struct repfig *f,
                     const struct report_doc *d) {
  char line[512];
  P("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:document xmlns:w=\"http://schemas.openxmlformats.org/"
    "wordprocessingml/2006/main\"><w:body>");
  head(b, f, d, tmp);
  para(b, "I. SINH HOẠT \"NGHE DÂN NÓI\"", B);
  sentence_para(b, tmp, report__s_meetings, f);
  sentence_para(b, tmp, report__s_other_meetings, f);
  para(b, "II. TIẾP NHẬN, GIẢI QUYẾT Ý KIẾN, KIẾN NGHỊ", B);
  sentence_para(b, tmp, report__s_petitions, f);
  sentence_para(b, tmp, report__s_share, f);
  snprintf(line, sizeof(line), "Kiến nghị chuyển cấp huyện: %s.",
           report__int(f->nesc).s);
  para(b, line, INDENT);
  escalations(b, f);
  para(b, "Phân loại theo lĩnh vực:", INDENT);
  for (int i = 0; i < f->ncategories; i++) {
    snprintf(line, sizeof(line), "- %s: %s (%s)",
             schema_category_label(f->categories[i].slug),
             report__int(f->categories[i].n).s,
             report__share(f->categories[i].n, f->cur.received).s);
    para(b, line, INDENT);
  }
  snprintf(line, sizeof(line), "III. KHẢO SÁT MỨC ĐỘ HÀI LÒNG (%s phiếu)",
           report__int(f->cur.surveys).s);
  para(b, line, B);
  satisfaction(b, f);
  para(b, "IV. THĂM HỎI, TẶNG QUÀ", B);
  sentence_para(b, tmp, report__s_visits, f);
  for (int i = 0; i < f->nsituations; i++) {
    const struct repfig_situation *s = &f->situations[i];
    struct num v = report__int(s->visits), g = report__int(s->gifts),
               t = report__trieu(s->gift_vnd), n = report__int(s->volunteers);
    snprintf(line, sizeof(line),
             "- %s: %s hộ, %s phần quà, %s triệu đồng, %s lượt tình nguyện "
             "viên",
             repfig_situation_label(s->slug), v.s, g.s, t.s, n.s);
    para(b, line, INDENT);
  }
  para(b, "V. THEO TỪNG XÃ, THỊ TRẤN", B);
  communes(b, f);
  para(b, "(*) chưa đồng bộ trong 7 ngày trước cuối kỳ.", I);
  snprintf(line, sizeof(line), "VI. THAO TÁC BỊ TỪ CHỐI, CÁCH LY TRONG KỲ (%s)",
           report__int(f->nquar).s);
  para(b, line, B);
  if (!f->nquar)
    para(b, "Không có.", INDENT);
  for (int i = 0; i < f->nquar; i++) {
    const struct repfig_quarantined *q = &f->quar[i];
    P("<w:p>");
    ppr(b, INDENT);
    run(b, report__time(q->received_ms).s, 0);
    run(b, ", ", 0);
    run(b, q->device, 0);
    run(b, " (", 0);
    run(b, q->commune, 0);
    run(b, "): ", 0);
    run(b, q->error, 0);
    run(b, ": ", 0);
    run(b, q->message, 0);
    P("</w:p>");
  }
  /* Nơi nhận and the signature block, side by side. */
  {
    static const int w[] = {4000, 5355};
    P("<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:tblLayout "
      "w:type=\"fixed\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"%d\"/>"
      "<w:gridCol w:w=\"%d\"/></w:tblGrid><w:tr><w:tc><w:tcPr><w:tcW "
      "w:w=\"%d\" w:type=\"dxa\"/></w:tcPr>",
      w[0], w[1], w[0]);
    para(b, "Nơi nhận:", B | I | SMALL);
    para(b, "- Như trên;", SMALL);
    para(b, "- Lưu: VT.", SMALL);
    P("</w:tc><w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/></w:tcPr>", w[1]);
    para(b, d->position ? d->position : "TM. ỦY BAN NHÂN DÂN", B | CENTER);
    para(b, "(Ký, ghi rõ họ tên, đóng dấu)", I | CENTER);
    para(b, "", CENTER);
    para(b, "", CENTER);
    para(b, "", CENTER);
    para(b, d->signer ? d->signer : "", B | CENTER);
    P("</w:tc></w:tr></w:tbl>");
  }
  /* A4, margins of Decree 30/2020: top 20, bottom 20, left 30, right 15 mm
   * (in twentieths of a point). */
  P("<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" "
    "w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\" w:header=\"567\" "
    "w:footer=\"567\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>");
}

static const char content_types[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "content-types\"><Default Extension=\"rels\" ContentType=\"application/"
    "vnd.openxmlformats-package.relationships+xml\"/><Default "
    "Extension=\"xml\" ContentType=\"application/xml\"/><Override "
    "PartName=\"/word/document.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
    "<Override PartName=\"/word/styles.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
    "</Types>";

static const char rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\"><Relationship Id=\"rId1\" Type=\"http://"
    "schemas.openxmlformats.org/officeDocument/2006/relationships/"
    "officeDocument\" Target=\"word/document.xml\"/></Relationships>";

static const char doc_rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\"><Relationship Id=\"rId1\" Type=\"http://"
    "schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" "
    "Target=\"styles.xml\"/></Relationships>";

/* Times New Roman 13 pt, as official documents are typed. */
static const char styles[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:styles xmlns:w=\"http://schemas.openxmlformats.org/"
    "wordprocessingml/2006/main\"><w:docDefaults><w:rPrDefault><w:rPr>"
    "<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" "
    "w:cs=\"Times New Roman\" w:eastAsia=\"Times New Roman\"/>"
    "<w:sz w:val=\"26\"/><w:szCs w:val=\"26\"/><w:lang w:val=\"vi-VN\"/>"
    "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"60\" "
    "w:line=\"276\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault>"
    "</w:docDefaults><w:style w:type=\"paragraph\" w:default=\"1\" "
    "w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style></w:styles>";

/* Adds |n| bytes at |p| (not copied: they must outlive zip_close) as
 * |name|. */
static int add(zip_t *za, const char *name, const void *p, size_t n) {
  zip_source_t *s = zip_source_buffer(za, p, n, 0);
  zip_int64_t i;
  if (!s)
    return DS_ENOMEM;
  i = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);
  if (i < 0) {
    zip_source_free(s);
    return DS_EIO;
  }
  /* A fixed time (1 January 2020), so the same figures give the same
   * bytes: a reprint is identical. */
  return zip_file_set_mtime(za, (zip_uint64_t)i, (time_t)1577836800, 0) < 0
             ? DS_EIO
             : 0;
}

/* The zip, built in memory, appended to |out|. */
static int container(const struct buf *docxml, struct buf *out) {
  zip_error_t ze;
  zip_source_t *src;
  zip_t *za;
  zip_stat_t zst;
  int rc = 0;

  zip_error_init(&ze);
  src = zip_source_buffer_create(NULL, 0, 0, &ze);
  if (!src) {
    zip_error_fini(&ze);
    return DS_ENOMEM;
  }
  za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
  if (!za) {
    zip_source_free(src);
    zip_error_fini(&ze);
    return DS_EIO;
  }
  zip_source_keep(src);
  /* [Content_Types].xml first, as Word expects. */
  rc = add(za, "[Content_Types].xml", content_types, sizeof(content_types) - 1);
  if (!rc)
    rc = add(za, "_rels/.rels", rels, sizeof(rels) - 1);
  if (!rc)
    rc =
        add(za, "word/_rels/document.xml.rels", doc_rels, sizeof(doc_rels) - 1);
  if (!rc)
    rc = add(za, "word/styles.xml", styles, sizeof(styles) - 1);
  if (!rc)
    rc = add(za, "word/document.xml", docxml->data, docxml->len);
  if (rc) {
    zip_discard(za);
    zip_source_free(src);
    zip_error_fini(&ze);
    return rc;
  }
  if (zip_close(za) < 0) {
    zip_discard(za);
    rc = DS_EIO;
  }
  if (!rc && (zip_source_stat(src, &zst) < 0 || zip_source_open(src) < 0))
    rc = DS_EIO;
  if (!rc) {
    rc = buf_reserve(out, (size_t)zst.size);
    if (!rc && zip_source_read(src, out->data + out->len, zst.size) !=
                   (zip_int64_t)zst.size)
      rc = DS_EIO;
    if (!rc)
      out->len += (size_t)zst.size;
    zip_source_close(src);
  }
  zip_source_free(src);
  zip_error_fini(&ze);
  return rc;
}

void report__docx(struct out *b, struct out *tmp, const struct repfig *f,
                  const struct report_doc *d) {
  struct out x = {{0}, 0};
  buf_init(&x.b, 0);
  document(&x, tmp, f, d);
  if (x.rc)
    b->rc = x.rc;
  else if (!b->rc)
    b->rc = container(&x.b, &b->b);
  buf_cleanup(&x.b);
}
