/* SPDX-License-Identifier: MIT
 * ui_petition.c -- the dashboard's petitions: the filtered, paged list with
 * diacritic-insensitive prefix search; one petition with its history; a
 * clerk's edit (common/edit.c, signed by the user's node through the same
 * ingestion as the CLI). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/edit.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/json.h"
#include "common/merge.h"
#include "common/query.h"
#include "common/repfig.h"
#include "common/schema.h"
#include "common/store.h"
#include "common/utf8.h"
#include "daemon/audit.h"
#include "daemon/oplog.h"
#include "daemon/registry.h"
#include "daemon/ui_int.h"
#include "daemon/ui_views.h"
#include "proto/codec.h"

#define PAGE_ROWS 50

/* ---- the list ---- */

struct filters {
  char commune[64], status[32], category[40], hamlet[121], from[11], to[11],
      q[200], words[512];
  bool overdue;
  int page;
};

static const char *const list_cols[] = {
    "id",     "commune", "received_on", "status",       "category", "citizen",
    "hamlet", "content", "due_on",      "escalated_to", "conflicts"};

static bool filters_get(struct page *p, struct filters *fl, char *err,
                        size_t cap) {
  char v[32];
  memset(fl, 0, sizeof(*fl));
  ui_form_get(p->q, "commune", fl->commune, sizeof(fl->commune));
  ui_form_get(p->q, "status", fl->status, sizeof(fl->status));
  ui_form_get(p->q, "category", fl->category, sizeof(fl->category));
  ui_form_get(p->q, "hamlet", fl->hamlet, sizeof(fl->hamlet));
  ui_form_get(p->q, "q", fl->q, sizeof(fl->q));
  fl->overdue = ui_form_get(p->q, "overdue", v, sizeof(v)) && *v;
  fl->page =
      ui_form_get(p->q, "page", v, sizeof(v)) ? (int)strtol(v, NULL, 10) : 1;
  if (fl->page < 1 || fl->page > 100000)
    fl->page = 1;
  snprintf(fl->from, sizeof(fl->from), "0000-00-00");
  snprintf(fl->to, sizeof(fl->to), "9999-12-31");
  if (ui_form_get(p->q, "from", v, sizeof(v)) && *v &&
      !query_date_parse(v, fl->from))
    return snprintf(err, cap, "Ngày bắt đầu không hợp lệ."), false;
  if (ui_form_get(p->q, "to", v, sizeof(v)) && *v &&
      !query_date_parse(v, fl->to))
    return snprintf(err, cap, "Ngày kết thúc không hợp lệ."), false;
  if (*fl->status && schema_enum_index(schema_status_names, fl->status,
                                       strlen(fl->status)) < 0)
    return snprintf(err, cap, "Trạng thái không hợp lệ."), false;
  if (*fl->category && schema_enum_index(schema_category_names, fl->category,
                                         strlen(fl->category)) < 0)
    return snprintf(err, cap, "Lĩnh vực không hợp lệ."), false;
  if (*fl->q) {
    struct buf b;
    buf_init(&b, 0);
    if (!utf8_fold_dd(&b, fl->q, strlen(fl->q)) && !buf_cstr(&b))
      ui_fold(b.data, fl->words, sizeof(fl->words));
    buf_cleanup(&b);
  }
  return true;
}

static void select_opts(struct page *p, const char *name, const char *label,
                        const char *const *names,
                        const char *(*lab)(const char *), const char *cur) {
  ui_out(p,
         "<label>%s<select name=\"%s\"><option value=\"\">Tất cả"
         "</option>",
         label, name);
  for (int i = 0; names[i]; i++)
    ui_out(p, "<option value=\"%s\"%s>%s</option>", names[i],
           !strcmp(cur, names[i]) ? " selected" : "", lab(names[i]));
  ui_out(p, "</select></label>");
}

static const char *commune_label(const char *s) {
  return s;
}

static int commune_opt(void *arg, const char *slug, const char *name,
                       const char *kind) {
  struct {
    const char **slugs;
    char (*names)[64];
    int n;
  } *c = arg;
  (void)name;
  (void)kind;
  if (c->n >= 128)
    return 1;
  snprintf(c->names[c->n], sizeof(c->names[0]), "%s", slug);
  c->slugs[c->n] = c->names[c->n];
  c->n++;
  return 0;
}

static void filter_form(struct page *p, const struct filters *fl) {
  const char *slugs[130];
  static char names[129][64];
  struct {
    const char **slugs;
    char (*names)[64];
    int n;
  } c = {slugs, names, 0};
  if (registry_communes_each(p->st, commune_opt, &c) < 0)
    c.n = 0;
  slugs[c.n] = NULL;
  ui_out(p, "<form class=\"filters card\" method=\"get\" "
            "action=\"/petitions\">");
  select_opts(p, "commune", "Xã", slugs, commune_label, fl->commune);
  select_opts(p, "status", "Trạng thái", schema_status_names,
              schema_status_label, fl->status);
  select_opts(p, "category", "Lĩnh vực", schema_category_names,
              schema_category_label, fl->category);
  ui_out(p, "<label>Ấp<input name=\"hamlet\" value=\"");
  ui_text(p, fl->hamlet);
  ui_out(p,
         "\"></label><label>Từ ngày<input type=\"date\" name=\"from\" "
         "value=\"%s\"></label><label>Đến ngày<input type=\"date\" "
         "name=\"to\" value=\"%s\"></label><label>Tìm (tên, nội dung)"
         "<input name=\"q\" value=\"",
         strcmp(fl->from, "0000-00-00") ? fl->from : "",
         strcmp(fl->to, "9999-12-31") ? fl->to : "");
  ui_text(p, fl->q);
  ui_out(p,
         "\"></label><label>Quá hạn<input type=\"checkbox\" "
         "name=\"overdue\" value=\"1\"%s></label><button "
         "class=\"primary\">Lọc</button></form>\n",
         fl->overdue ? " checked" : "");
}

static const char *str(const char *s) {
  return s ? s : "";
}

/* One row of the list (|arg|: the page); counts in p->rows. */
static int list_row(void *arg, const struct ui_pet *r) {
  struct page *p = arg;
  const char *content = str(r->content);
  const char *const vals[] = {
      r->id,      r->commune, r->received_on, r->status, r->category,
      r->citizen, r->hamlet,  r->content,     r->due_on, r->escalated_to};
  int n = p->rows++;
  if (p->api) {
    ui_out(p, "%s\n  {", n ? "," : "");
    for (int i = 0; i < 10; i++) {
      ui_out(p, "%s\"%s\": ", i ? ", " : "", list_cols[i]);
      ui_json(p, vals[i]);
    }
    ui_out(p, ", \"conflicts\": %d}", r->conflicted);
  } else {
    size_t cut = strlen(content) > 160 ? 160 : strlen(content);
    while (cut < strlen(content) &&
           ((unsigned char)content[cut] & 0xc0) == 0x80)
      cut++;
    ui_out(p,
           "<tr><td><a href=\"/petitions/%s\"><code>%s</code></a>%s"
           "</td><td>",
           r->id, r->id + 24, r->conflicted ? " ⚠" : "");
    ui_text(p, r->commune);
    ui_out(p, "</td><td>");
    ui_date(p, str(r->received_on));
    ui_out(p, "</td><td>%s</td><td>%s</td><td>",
           schema_status_label(str(r->status)),
           schema_category_label(str(r->category)));
    ui_text(p, r->citizen);
    ui_out(p, "</td><td>");
    if (ui_esc_n(&p->rs->body, content, cut))
      p->oom = true;
    ui_out(p, "%s</td><td>", cut < strlen(content) ? "…" : "");
    ui_date(p, str(r->due_on));
    ui_out(p, "</td></tr>");
  }
  return 0;
}

/* The page of a list filtered on anything but words, from the figures'
 * facts (ui_facts): a rare value no longer scans every petition's blob
 * through the views. Writes its rows; true when there is a next page. */
static bool facts_rows(struct page *p, const struct filters *fl) {
  struct repfig_filter rf = {fl->commune, fl->status, fl->category,
                             fl->hamlet,  fl->from,   fl->to,
                             p->today,    fl->overdue};
  uint8_t rid[PAGE_ROWS + 1][ID_LEN];
  const struct repfig_facts *x;
  int k = 0;
  if (!ui_read_begin(p))
    return false;
  if ((x = ui_facts(p)) != NULL) {
    k = repfig_facts_list(x, &rf, (int64_t)(fl->page - 1) * PAGE_ROWS,
                          PAGE_ROWS + 1, rid);
    if (ui_views_petitions(p->st, (const uint8_t(*)[ID_LEN])rid,
                           k < PAGE_ROWS ? k : PAGE_ROWS, list_row, p))
      p->oom = true;
  }
  ui_read_end(p);
  return k > PAGE_ROWS;
}

void ui_petitions(struct page *p) {
  struct filters fl;
  char err[120], fts[600];
  const char *env = getenv("DANSYNCD_UI_SQL_MS");
  struct ui_list_filter lf;
  int n = 0;
  bool facts, more;

  if (!filters_get(p, &fl, err, sizeof(err))) {
    ui_fail(p, 400, err);
    return;
  }
  ui_fts_prefix(fl.words, fts, sizeof(fts));
  lf = (struct ui_list_filter){fl.commune,
                               fl.status,
                               fl.category,
                               fl.hamlet,
                               fl.from,
                               fl.to,
                               p->today,
                               fl.words,
                               fts,
                               fl.overdue,
                               (fl.page - 1) * PAGE_ROWS,
                               PAGE_ROWS};
  /* Filtered without words: from the facts when they are loaded for the
   * store as it is, or when SQL does not find the page within 20 ms (a
   * rare value: every petition looked at; DANSYNCD_UI_SQL_MS for tests).
   * The plain list and a search stay in SQL, which stops at the page. */
  facts = !*fl.q && (*fl.commune || *fl.status || *fl.category || *fl.hamlet ||
                     fl.overdue || strcmp(fl.from, "0000-00-00") ||
                     strcmp(fl.to, "9999-12-31"));
  if (facts && !ui_facts_fresh(p))
    facts = !ui_views_list_in_time(p->st, &lf,
                                   env && *env ? strtoull(env, NULL, 10) : 20);
  if (p->api) {
    p->rs->type = "application/json";
    ui_out(p, "{\"page\": %d, \"petitions\": [", fl.page);
  } else {
    ui_page_begin(p, "Kiến nghị", "/petitions");
    filter_form(p, &fl);
    ui_out(p, "<div class=\"card scroll\"><table><thead><tr><th>Mã</th>"
              "<th>Xã</th><th>Ngày nhận</th><th>Trạng thái</th><th>Lĩnh "
              "vực</th><th>Người dân</th><th>Nội dung</th><th>Hạn</th></tr>"
              "</thead><tbody>");
  }
  p->rows = 0;
  if (facts) {
    more = facts_rows(p, &fl);
  } else {
    int k = ui_views_list(p->st, &lf, list_row, p);
    more = k > PAGE_ROWS;
    if (k < 0) {
      ui_fail(p, 503, "Không đọc được danh sách kiến nghị.");
      return;
    }
  }
  n = p->rows;
  if (p->api) {
    ui_out(p, "%s], \"more\": %s}\n", n ? "\n" : "", more ? "true" : "false");
  } else {
    char qs[HTTP_MAX_URL + 1];
    const char *q = ui_query(p->rq->url), *pg = strstr(q, "page=");
    snprintf(qs, sizeof(qs), "%.*s", pg ? (int)(pg - q) : (int)strlen(q), q);
    if (*qs && qs[strlen(qs) - 1] != '&')
      strncat(qs, "&", sizeof(qs) - strlen(qs) - 1);
    ui_out(p, "</tbody></table>%s</div><div class=\"pager\">",
           n ? "" : "<p>Không có kiến nghị nào.</p>");
    if (fl.page > 1) {
      ui_out(p, "<a href=\"/petitions?");
      ui_text(p, qs);
      ui_out(p, "page=%d\">← Trang trước</a>", fl.page - 1);
    }
    ui_out(p, "<span>Trang %d</span>", fl.page);
    if (more) {
      ui_out(p, "<a href=\"/petitions?");
      ui_text(p, qs);
      ui_out(p, "page=%d\">Trang sau →</a>", fl.page + 1);
    }
    ui_out(p, "</div>");
    ui_page_end(p);
  }
}

/* ---- one petition ---- */

/* Who changed what, when typed (the op's clock) and when received (the
 * sync log's), from the oplog. */
static void history(struct page *p, const uint8_t rid[ID_LEN]) {
  const struct entity_def *e = schema_entity(ENT_PETITION);
  struct oplog_iter it;
  struct oplog_entry oe;
  int n = 0;
  if (oplog_history_open(&it, store_sqlite(p->st), rid))
    return;
  ui_out(p, p->api ? ", \"history\": ["
                   : "<div class=\"card scroll\"><h2>"
                     "Lịch sử</h2><table><thead><tr>"
                     "<th>Người/thiết bị</th><th>Lúc "
                     "nhập</th><th>Lúc nhận</th><th>"
                     "Thay đổi</th></tr></thead><tbody>");
  while (oplog_iter_next(&it, &oe) == 1) {
    struct op op;
    void *priv = NULL;
    char typed[24], recv[24], node[ID_HEX_LEN + 1], err[DS_ERRBUF_LEN];
    struct buf vals;
    if (proto_op_decode(oe.op, oe.len, &op, false, &priv, err))
      continue;
    hex_encode(node, oe.node, ID_LEN);
    ui_time(typed, (int64_t)HLC_MS(op.hlc));
    ui_time(recv, oe.received_ms);
    buf_init(&vals, 0);
    for (int i = 0; i < op.nset; i++) {
      int rc = buf_printf(&vals, "%s\"%s\": ", i ? ", " : "",
                          e->fields[op.set[i].field].name);
      if (rc || json_value(&vals, &op.set[i].val))
        p->oom = true;
    }
    if (buf_cstr(&vals))
      p->oom = true;
    if (p->api) {
      ui_out(p, "%s\n  {\"node\": \"%s\", \"device\": ", n ? "," : "", node);
      ui_json(p, oe.label);
      ui_out(p, ", \"typed_ms\": %llu, \"received_ms\": %lld, \"set\": {%s}}",
             (unsigned long long)HLC_MS(op.hlc), (long long)oe.received_ms,
             vals.data ? (char *)vals.data : "");
    } else {
      ui_out(p, "<tr><td>");
      ui_text(p, *oe.label ? oe.label : "thiết bị");
      ui_out(p, " <span class=\"muted\">(");
      ui_text(p, oe.node_commune);
      ui_out(p,
             ", <code>%.8s</code>)</span></td><td>%s</td><td>%s</td>"
             "<td class=\"pre\">",
             node, typed, recv);
      ui_text(p, vals.data ? (char *)vals.data : "");
      ui_out(p, "</td></tr>");
    }
    buf_cleanup(&vals);
    proto_op_release(priv);
    n++;
  }
  oplog_iter_close(&it);
  ui_out(p, p->api ? "%s]" : "%s</tbody></table></div>", "");
}

/* The petition's fields in the order the show query selects them:
 * commune, received_on, status, category, citizen, hamlet, content,
 * response, due_on, escalated_to, resolved_on, meeting. */
static const char *const show_labels[] = {
    "Xã",         "Ngày nhận",       "Trạng thái",
    "Lĩnh vực",   "Người dân",       "Ấp",
    "Nội dung",   "Trả lời",         "Hạn giải quyết",
    "Chuyển đến", "Ngày giải quyết", "Cuộc họp"};
#define NSHOW (int)(sizeof(show_labels) / sizeof(show_labels[0]))

static int resolve_id(struct page *p, const char *id, uint8_t rid[ID_LEN]) {
  char err[DS_ERRBUF_LEN];
  if (strlen(id) < 6 || strlen(id) > 32 ||
      store_resolve(p->st, ENT_PETITION, id, rid, err)) {
    ui_fail(p, 404, "Không có kiến nghị này.");
    return -1;
  }
  return 0;
}

static void edit_form(struct page *p, const char *ridhex,
                      const struct ui_pet *r) {
  const char *cur = str(r->status);
  int rank = schema_enum_index(schema_status_names, cur, strlen(cur));
  ui_out(p,
         "<div class=\"card\"><h2>Cập nhật</h2><form method=\"post\" "
         "action=\"/petitions/%s\"><input type=\"hidden\" name=\"csrf\" "
         "value=\"%s\"><label>Trạng thái<select name=\"status\">",
         ridhex, p->rq->csrf);
  for (int i = rank < 0 ? 0 : rank; schema_status_names[i]; i++)
    ui_out(p, "<option value=\"%s\"%s>%s</option>", schema_status_names[i],
           i == rank ? " selected" : "",
           schema_status_label(schema_status_names[i]));
  ui_out(p, "</select></label><label>Trả lời<textarea name=\"response\" "
            "maxlength=\"4000\">");
  ui_text(p, r->response);
  ui_out(p,
         "</textarea></label><label>Hạn giải quyết<input type=\"date\" "
         "name=\"due_on\" value=\"%s\"></label><label>Chuyển đến (cơ "
         "quan)<input name=\"escalated_to\" maxlength=\"200\" value=\"",
         str(r->due_on));
  ui_text(p, r->escalated_to);
  ui_out(p, "\"></label><p><button class=\"primary\">Lưu</button></p>"
            "</form></div>");
}

static int record_json(void *arg, FILE *f) {
  void **a = arg;
  return query_record(a[0], a[1], true, a[2], f);
}

/* The petition page's fields and edit form (|arg|: the page). */
static int show(void *arg, const struct ui_pet *r) {
  struct page *p = arg;
  const char *const vals[NSHOW] = {r->commune,      r->received_on, r->status,
                                   r->category,     r->citizen,     r->hamlet,
                                   r->content,      r->response,    r->due_on,
                                   r->escalated_to, r->resolved_on, r->meeting};
  char ridhex[ID_HEX_LEN + 1], msg[8];
  p->rows++;
  snprintf(ridhex, sizeof(ridhex), "%s", r->id);
  ui_page_begin(p, "Kiến nghị", "/petitions");
  ui_out(p, "<p class=\"muted\">Mã <code>%s</code></p>", ridhex);
  if (ui_form_get(p->q, "saved", msg, sizeof(msg)))
    ui_out(p, "<p class=\"msg ok\">Đã lưu; các thiết bị của xã nhận thay "
              "đổi ở lần đồng bộ tới.</p>");
  if (r->conflicted)
    ui_out(p, "<p class=\"msg\">Kiến nghị này có xung đột: <a "
              "href=\"/conflicts\">xem và giải quyết</a>.</p>");
  ui_out(p, "<div class=\"card\"><dl class=\"kv\">");
  for (int i = 0; i < NSHOW; i++) {
    const char *v = str(vals[i]);
    ui_out(p, "<dt>%s</dt><dd class=\"pre\">", show_labels[i]);
    if (i == 1 || i == 8 || i == 10)
      ui_date(p, v);
    else if (i == 2)
      ui_text(p, *v ? schema_status_label(v) : "");
    else if (i == 3)
      ui_text(p, schema_category_label(v));
    else
      ui_text(p, v);
    ui_out(p, "</dd>");
  }
  ui_out(p, "</dl></div>");
  if (p->who.role >= USERS_CLERK)
    edit_form(p, ridhex, r);
  return 0;
}

void ui_petition(struct page *p, const char *id) {
  uint8_t rid[ID_LEN];

  if (resolve_id(p, id, rid))
    return;
  if (p->api) {
    /* The record as `petition show --json` prints it, then its history. */
    void *a[3] = {p->st, rid, NULL};
    size_t at;
    p->rs->type = "application/json";
    if (ui_capture(p, record_json, a)) {
      ui_fail(p, 503, "Không đọc được kiến nghị.");
      return;
    }
    at = p->rs->body.len;
    while (at > 0 && p->rs->body.data[at - 1] != '}')
      at--;
    if (at == 0) {
      ui_fail(p, 503, "Không đọc được kiến nghị.");
      return;
    }
    p->rs->body.len = at - 1;
    history(p, rid);
    ui_out(p, "}\n");
    return;
  }
  p->rows = 0;
  if (ui_views_petitions(p->st, (const uint8_t(*)[ID_LEN])rid, 1, show, p)) {
    ui_fail(p, 503, "Không đọc được kiến nghị.");
    return;
  }
  if (!p->rows) {
    ui_fail(p, 404, "Không có kiến nghị này.");
    return;
  }
  history(p, rid);
  ui_page_end(p);
}

struct edit_arg {
  uint8_t rid[ID_LEN];
  struct edit_flag flags[4];
  char vals[4][4100];
  int n;
  struct edit_arena arena;
};

static int build_edit(struct store *st, struct op *op, void *arg,
                      char *errbuf) {
  struct edit_arg *e = arg;
  return edit_build(st, op, ENT_PETITION, e->rid, false, NULL, e->flags, e->n,
                    &e->arena, errbuf);
}

/* What the clerk changed of the petition's current values (|arg|: the
 * page and the edit). */
static int edit_pick(void *arg, const struct ui_pet *r) {
  static const char *const fields[] = {"status", "response", "due_on",
                                       "escalated_to"};
  struct page *p = ((void **)arg)[0];
  struct edit_arg *e = ((void **)arg)[1];
  const char *cur[] = {r->status, r->response, r->due_on, r->escalated_to};
  for (int i = 0; i < 4; i++) {
    /* Only what the clerk changed is written: an untouched field keeps
     * its version, so the edit conflicts with nothing it did not
     * change. */
    if (!ui_form_get(p->q, fields[i], e->vals[i], sizeof(e->vals[i])) ||
        !strcmp(e->vals[i], str(cur[i])))
      continue;
    if (i == 2 && *e->vals[i] && !query_date_parse(e->vals[i], e->vals[i])) {
      e->n = -1;
      break;
    }
    e->flags[e->n].name = fields[i];
    e->flags[e->n++].value = e->vals[i];
  }
  return 0;
}

void ui_petition_edit(struct page *p, const char *id) {
  char err[DS_ERRBUF_LEN], ridhex[ID_HEX_LEN + 1], loc[80];
  struct edit_arg *e;

  if (!ui_role(p, USERS_CLERK))
    return;
  e = ds_calloc(1, sizeof(*e));
  if (!e) {
    ui_fail(p, 503, "Không đủ bộ nhớ.");
    return;
  }
  if (resolve_id(p, id, e->rid)) {
    ds_free(e);
    return;
  }
  if (ui_views_petitions(p->st, (const uint8_t(*)[ID_LEN])e->rid, 1, edit_pick,
                         (void *[]){p, e})) {
    ds_free(e);
    ui_fail(p, 503, "Không đọc được kiến nghị.");
    return;
  }
  hex_encode(ridhex, e->rid, ID_LEN);
  if (e->n < 0) {
    snprintf(err, sizeof(err),
             "Hạn giải quyết phải là một ngày (YYYY-MM-DD "
             "hoặc DD/MM/YYYY).");
  } else if (e->n == 0) {
    snprintf(err, sizeof(err), "Không có gì thay đổi.");
  } else if (ui_submit(p, build_edit, e, err) == 0) {
    ds_free(e);
    if (p->api) {
      ui_out(p, "{\"saved\": \"%s\"}\n", ridhex);
      p->rs->type = "application/json";
    } else {
      snprintf(loc, sizeof(loc), "/petitions/%s?saved=1", ridhex);
      ui_redirect(p, loc);
    }
    return;
  }
  ds_free(e);
  ui_fail(p, 400, err);
}
