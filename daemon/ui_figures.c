/* SPDX-License-Identifier: MIT
 * ui_figures.c -- the dashboard's figures: the overview of the district or
 * of one commune (with its chart by month as inline SVG) and the report
 * page with its printable, CSV, DOCX and JSON forms. Every figure comes
 * from common/repfig.c and every document from common/report*.c, the same
 * code as `dansyncd report`, so the numbers are the same. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/meta.h"
#include "common/repfig.h"
#include "common/report.h"
#include "common/query.h"
#include "common/schema.h"
#include "common/store.h"
#include "daemon/registry.h"
#include "daemon/ui_int.h"
#include "daemon/ui_views.h"

/* ---- the period and the figures ---- */

struct period {
  char from[11], to[11], commune[64];
};

/* From ?from=&to= (YYYY-MM-DD or DD/MM/YYYY); default this year so far. */
static bool period_get(struct page *p, struct period *pd) {
  char v[32];
  memset(pd, 0, sizeof(*pd));
  snprintf(pd->from, sizeof(pd->from), "%.4s-01-01", p->today);
  memcpy(pd->to, p->today, sizeof(pd->to));
  if (ui_form_get(p->q, "from", v, sizeof(v)) && *v &&
      !query_date_parse(v, pd->from))
    return false;
  if (ui_form_get(p->q, "to", v, sizeof(v)) && *v &&
      !query_date_parse(v, pd->to))
    return false;
  if (!ui_form_get(p->q, "commune", pd->commune, sizeof(pd->commune)))
    pd->commune[0] = '\0';
  return strcmp(pd->from, pd->to) <= 0;
}

static bool commune_exists(struct page *p, const char *slug) {
  bool found = false;
  return registry_commune_known(p->st, slug, &found) == 0 && found;
}

static int64_t data_version(struct page *p) {
  return ui_views_data_version(p->st);
}

bool ui_facts_fresh(struct page *p) {
  int64_t v = data_version(p);
  return p->db->facts && p->db->facts_st == p->st && v >= 0 &&
         v == p->db->facts_version;
}

const struct repfig_facts *ui_facts(struct page *p) {
  struct ui_db *db = p->db;
  char err[DS_ERRBUF_LEN];
  int64_t v = data_version(p);
  if (db->facts && db->facts_st == p->st && v >= 0 && v == db->facts_version)
    return db->facts;
  repfig_facts_free(db->facts);
  db->facts = NULL;
  if (v < 0 || repfig_facts_load(p->st, false, &db->facts, err))
    return NULL;
  db->facts_st = p->st;
  db->facts_version = v;
  return db->facts;
}

bool ui_read_begin(struct page *p) {
  return ui_views_read_begin(p->st);
}

void ui_read_end(struct page *p) {
  ui_views_read_end(p->st);
}

/* The figures of |pd|, and in |*xp| the facts they came from (kept in
 * p->db while the page runs). */
static int figures(struct page *p, const struct period *pd,
                   const struct repfig_facts **xp, struct repfig **f) {
  struct repfig_opts o = {0};
  const struct repfig_facts *x;
  char err[DS_ERRBUF_LEN];
  int rc;
  o.from = pd->from;
  o.to = pd->to;
  o.commune = pd->commune[0] ? pd->commune : NULL;
  o.as_of = p->today;
  /* One read transaction: the facts and the small tables agree. */
  if (!ui_read_begin(p))
    return DS_EUNAVAIL;
  x = ui_facts(p);
  rc = x ? repfig_compute_facts(p->st, x, &o, f, err) : DS_EUNAVAIL;
  ui_read_end(p);
  *xp = x;
  return rc;
}

/* Received petitions and programme meetings by month as an inline SVG bar
 * chart (no script, no external file). */
static void chart(struct page *p, const struct period *pd,
                  const struct repfig_facts *x) {
  char months[24][8];
  int64_t pet[24] = {0}, met[24] = {0}, max = 1;
  int n = 0, y = (int)strtol(pd->from, NULL, 10),
      m = (int)strtol(pd->from + 5, NULL, 10);

  while (n < 24) {
    snprintf(months[n], sizeof(months[n]), "%04d-%02d", y, m);
    if (strncmp(months[n], pd->to, 7) > 0)
      break;
    n++;
    if (++m > 12)
      m = 1, y++;
  }
  if (n == 0)
    return;
  repfig_facts_months(x, pd->from, pd->to, pd->commune, pet, met, n);
  for (int i = 0; i < n; i++) {
    if (pet[i] > max)
      max = pet[i];
    if (met[i] > max)
      max = met[i];
  }
  ui_out(p,
         "<div class=\"card\"><h2>Theo tháng</h2><svg class=\"chart\" "
         "viewBox=\"0 0 %d 170\" role=\"img\" aria-label=\"Kiến nghị và "
         "cuộc sinh hoạt theo tháng\">",
         n * 40 + 20);
  for (int i = 0; i < n; i++) {
    int h1 = (int)(pet[i] * 110 / max), h2 = (int)(met[i] * 110 / max);
    ui_out(p,
           "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"%d\" "
           "fill=\"#0b5cad\"><title>%s: %lld kiến nghị</title></rect>"
           "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"%d\" "
           "fill=\"#e0912b\"><title>%s: %lld cuộc sinh hoạt</title>"
           "</rect><text x=\"%d\" y=\"150\" font-size=\"10\" "
           "text-anchor=\"middle\">%.2s/%.2s</text>",
           20 + i * 40, 135 - h1, h1, months[i], (long long)pet[i], 34 + i * 40,
           135 - h2, h2, months[i], (long long)met[i], 34 + i * 40,
           months[i] + 5, months[i] + 2);
    /* The counts over the bars: the chart has no axis to read them off. */
    if (pet[i])
      ui_out(p,
             "<text x=\"%d\" y=\"%d\" font-size=\"9\" "
             "text-anchor=\"middle\">%lld</text>",
             27 + i * 40, 132 - h1, (long long)pet[i]);
    if (met[i])
      ui_out(p,
             "<text x=\"%d\" y=\"%d\" font-size=\"9\" "
             "text-anchor=\"middle\">%lld</text>",
             41 + i * 40, 132 - h2, (long long)met[i]);
  }
  ui_out(p, "<rect x=\"20\" y=\"158\" width=\"10\" height=\"10\" "
            "fill=\"#0b5cad\"/><text x=\"34\" y=\"167\" font-size=\"10\">"
            "kiến nghị</text><rect x=\"110\" y=\"158\" width=\"10\" "
            "height=\"10\" fill=\"#e0912b\"/><text x=\"124\" y=\"167\" "
            "font-size=\"10\">cuộc sinh hoạt</text></svg></div>\n");
}

struct commune_opts {
  struct page *p;
  const char *cur;
};

static int commune_opt(void *arg, const char *slug, const char *name,
                       const char *kind) {
  struct commune_opts *c = arg;
  (void)kind;
  ui_out(c->p, "<option value=\"");
  ui_text(c->p, slug);
  ui_out(c->p, "\"%s>", !strcmp(slug, c->cur) ? " selected" : "");
  ui_text(c->p, name);
  ui_out(c->p, "</option>");
  return 0;
}

static void period_form(struct page *p, const struct period *pd,
                        const char *action, bool with_commune) {
  ui_out(p,
         "<form class=\"filters card\" method=\"get\" action=\"%s\">"
         "<label>Từ ngày<input type=\"date\" name=\"from\" value=\"%s\">"
         "</label><label>Đến ngày<input type=\"date\" name=\"to\" "
         "value=\"%s\"></label>",
         action, pd->from, pd->to);
  if (with_commune) {
    struct commune_opts c = {p, pd->commune};
    ui_out(p, "<label>Xã<select name=\"commune\"><option value=\"\">Toàn "
              "huyện</option>");
    if (registry_communes_each(p->st, commune_opt, &c) < 0)
      p->oom = true;
    ui_out(p, "</select></label>");
  }
  ui_out(p, "<button class=\"primary\">Xem</button></form>\n");
}

struct report_arg {
  const struct repfig *f;
  struct report_doc doc;
  enum report_format fmt;
};

static int report_to(void *arg, FILE *out) {
  struct report_arg *r = arg;
  char err[DS_ERRBUF_LEN];
  return report_write(r->f, &r->doc, r->fmt, out, err);
}

/* The JSON of the figures, as `dansyncd report --format json` prints. */
static void figures_json(struct page *p, const struct repfig *f) {
  struct report_arg r = {f, {0}, REPORT_JSON};
  r.doc.date = p->today;
  p->rs->type = "application/json";
  if (ui_capture(p, report_to, &r))
    ui_fail(p, 503, "Không viết được số liệu.");
}

/* Overview of the district (|slug| NULL) or of one commune. */
void ui_overview(struct page *p, const char *slug) {
  const struct repfig_facts *x = NULL;
  struct period pd;
  struct repfig *f = NULL;
  char when[24];

  if (!period_get(p, &pd)) {
    ui_fail(p, 400,
            "Khoảng thời gian không hợp lệ (ngày viết YYYY-MM-DD "
            "hoặc DD/MM/YYYY, ngày đầu trước ngày cuối).");
    return;
  }
  if (slug && !commune_exists(p, slug)) {
    ui_fail(p, 404, "Không có xã này.");
    return;
  }
  snprintf(pd.commune, sizeof(pd.commune), "%s", slug ? slug : "");
  if (figures(p, &pd, &x, &f)) {
    ui_fail(p, 503, "Không đọc được số liệu; thử lại sau.");
    return;
  }
  if (p->api) {
    figures_json(p, f);
    repfig_free(f);
    return;
  }
  ui_page_begin(p, slug ? f->scope_name : "Tổng quan toàn huyện", "/");
  period_form(p, &pd, p->path, false);
  ui_out(p,
         "<div class=\"grid\"><div class=\"stat\"><b>%lld</b>cuộc sinh "
         "hoạt</div><div class=\"stat\"><b>%lld</b>người dân tham gia"
         "</div><div class=\"stat\"><b>%lld</b>kiến nghị tiếp nhận</div>"
         "<div class=\"stat\"><b>%lld</b>đang mở</div><div class=\"stat\">"
         "<b>%lld</b>quá hạn</div><div class=\"stat\"><b>%lld</b>chuyển "
         "cấp trên</div></div>\n",
         (long long)f->cur.meetings, (long long)f->cur.attendees,
         (long long)f->cur.received, (long long)f->cur.open,
         (long long)f->cur.overdue, (long long)f->cur.escalated);
  chart(p, &pd, x);
  ui_out(p, "<div class=\"card scroll\"><h2>Theo xã</h2><table><thead><tr>"
            "<th>Xã, thị trấn</th><th>Đồng bộ lần cuối</th><th class=\"n\">"
            "Sinh hoạt</th><th class=\"n\">Người dự</th><th class=\"n\">"
            "Tiếp nhận</th><th class=\"n\">Đang mở</th><th class=\"n\">Quá "
            "hạn</th><th class=\"n\">Chuyển cấp trên</th></tr></thead>"
            "<tbody>");
  for (int i = 0; i < f->ncommunes; i++) {
    const struct repfig_commune *c = &f->communes[i];
    if (slug && strcmp(c->slug, slug))
      continue;
    ui_time(when, c->last_sync_ms);
    ui_out(p, "<tr><td><a href=\"/communes/");
    ui_text(p, c->slug);
    ui_out(p, "\">");
    ui_text(p, c->name);
    ui_out(p,
           "</a></td><td%s>%s%s</td><td class=\"n\">%lld</td>"
           "<td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
           "<td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
           "<td class=\"n\">%lld</td></tr>",
           c->stale ? " class=\"stale\"" : "",
           c->last_sync_ms ? when : "chưa đồng bộ lần nào",
           c->stale && c->last_sync_ms ? " (lâu chưa đồng bộ)" : "",
           (long long)c->c.meetings, (long long)c->c.attendees,
           (long long)c->c.received, (long long)c->c.open,
           (long long)c->c.overdue, (long long)c->c.escalated);
  }
  ui_out(p, "</tbody></table></div>\n");
  repfig_free(f);
  ui_page_end(p);
}

void ui_report(struct page *p, const char *kind) {
  const struct repfig_facts *x = NULL;
  struct period pd;
  struct repfig *f = NULL;
  struct report_arg r = {NULL, {0}, REPORT_HTML};
  struct buf issuer;
  int64_t bp;

  if (!period_get(p, &pd)) {
    ui_fail(p, 400, "Khoảng thời gian không hợp lệ.");
    return;
  }
  if (pd.commune[0] && !commune_exists(p, pd.commune)) {
    ui_fail(p, 404, "Không có xã này.");
    return;
  }
  if (figures(p, &pd, &x, &f)) {
    ui_fail(p, 503, "Không đọc được số liệu; thử lại sau.");
    return;
  }
  buf_init(&issuer, 0);
  r.f = f;
  r.doc.date = p->today;
  r.doc.issuer =
      meta_get(p->st, META_ISSUER, &issuer) == 0 && !buf_cstr(&issuer)
          ? (const char *)issuer.data
          : "ỦY BAN NHÂN DÂN HUYỆN";
  if (p->api || kind) {
    r.fmt = p->api                  ? REPORT_JSON
            : !strcmp(kind, "csv")  ? REPORT_CSV
            : !strcmp(kind, "docx") ? REPORT_DOCX
                                    : REPORT_HTML;
    p->rs->type = r.fmt == REPORT_JSON   ? "application/json"
                  : r.fmt == REPORT_CSV  ? "text/csv; charset=utf-8"
                  : r.fmt == REPORT_DOCX ? "application/vnd.openxmlformats-"
                                           "officedocument.wordprocessingml."
                                           "document"
                                         : "text/html; charset=utf-8";
    p->rs->inline_style = r.fmt == REPORT_HTML;
    if (r.fmt == REPORT_CSV || r.fmt == REPORT_DOCX)
      snprintf(p->rs->headers, sizeof(p->rs->headers),
               "Content-Disposition: attachment; filename=\"bao-cao-%s-%s."
               "%s\"\r\n",
               pd.from, pd.to, kind);
    if (ui_capture(p, report_to, &r))
      ui_fail(p, 503, "Không viết được báo cáo.");
  } else {
    char qs[200];
    snprintf(qs, sizeof(qs), "from=%s&amp;to=%s&amp;commune=%s", pd.from, pd.to,
             pd.commune);
    ui_page_begin(p, "Báo cáo", "/report");
    period_form(p, &pd, "/report", true);
    bp = repfig_settled_bp(&f->cur);
    ui_out(p,
           "<div class=\"card\"><p>Sinh hoạt được <b>%lld</b> cuộc, có "
           "<b>%lld</b> người dân tham gia; tiếp nhận <b>%lld</b> ý kiến, "
           "kiến nghị: giải quyết tại xã <b>%lld</b>, tại huyện <b>%lld"
           "</b>, chuyển cấp trên <b>%lld</b>, đang mở <b>%lld</b>",
           (long long)f->cur.meetings, (long long)f->cur.attendees,
           (long long)f->cur.received, (long long)f->cur.at_commune,
           (long long)f->cur.at_district, (long long)f->cur.escalated,
           (long long)f->cur.open);
    if (bp >= 0)
      ui_out(p, "; đạt %lld,%02lld%%", (long long)(bp / 100),
             (long long)(bp % 100));
    ui_out(p,
           ". %lld/%lld xã, thị trấn tổ chức sinh hoạt.</p>"
           "<p class=\"noprint\"><a class=\"button\" href=\"/report/html?"
           "%s\">Bản in</a> <a href=\"/report/csv?%s\">Tải CSV</a> · "
           "<a href=\"/report/docx?%s\">Tải DOCX</a> · <a href=\"/api/"
           "report?%s\">JSON</a> · <button id=\"print\" type=\"button\">"
           "In trang này</button></p></div>",
           (long long)f->communes_met, (long long)f->communes_total, qs, qs, qs,
           qs);
    ui_out(p, "<div class=\"card scroll\"><h2>Theo lĩnh vực</h2><table>"
              "<tbody>");
    for (int i = 0; i < f->ncategories; i++)
      ui_out(p, "<tr><td>%s</td><td class=\"n\">%lld</td></tr>",
             schema_category_label(f->categories[i].slug),
             (long long)f->categories[i].n);
    ui_out(p, "</tbody></table></div>");
    ui_page_end(p);
  }
  buf_cleanup(&issuer);
  repfig_free(f);
}
