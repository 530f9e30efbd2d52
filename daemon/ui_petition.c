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
#include "daemon/ui_int.h"
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

static void filter_form(struct page *p, const struct filters *fl) {
  sqlite3_stmt *s;
  const char *slugs[130];
  static char names[129][64];
  int n = 0;
  if (sqlite3_prepare_v2(store_sqlite(p->st),
                         "SELECT slug FROM commune ORDER BY slug", -1, &s,
                         NULL) == SQLITE_OK)
    while (n < 128 && sqlite3_step(s) == SQLITE_ROW) {
      snprintf(names[n], sizeof(names[n]), "%s", sqlite3_column_text(s, 0));
      slugs[n] = names[n];
      n++;
    }
  sqlite3_finalize(s);
  slugs[n] = NULL;
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

static const char *col(sqlite3_stmt *s, int i) {
  const char *t = (const char *)sqlite3_column_text(s, i);
  return t ? t : "";
}

#define LIST_COLS                                                    \
  "SELECT lower(hex(rid)), commune, received_on, status, category, " \
  "citizen, hamlet, content, due_on, escalated_to, conflicted FROM " \
  "petition p"

/* Row |n| of the list, from a statement of LIST_COLS. */
static void list_row(struct page *p, sqlite3_stmt *s, int n) {
  const char *id = col(s, 0), *content = col(s, 7);
  if (p->api) {
    ui_out(p, "%s\n  {", n ? "," : "");
    for (int i = 0; i < 10; i++) {
      ui_out(p, "%s\"%s\": ", i ? ", " : "", list_cols[i]);
      ui_json(p, sqlite3_column_type(s, i) == SQLITE_NULL ? NULL : col(s, i));
    }
    ui_out(p, ", \"conflicts\": %d}", sqlite3_column_int(s, 10));
  } else {
    size_t cut = strlen(content) > 160 ? 160 : strlen(content);
    while (cut < strlen(content) &&
           ((unsigned char)content[cut] & 0xc0) == 0x80)
      cut++;
    ui_out(p,
           "<tr><td><a href=\"/petitions/%s\"><code>%s</code></a>%s"
           "</td><td>",
           id, id + 24, sqlite3_column_int(s, 10) ? " ⚠" : "");
    ui_text(p, col(s, 1));
    ui_out(p, "</td><td>");
    ui_date(p, col(s, 2));
    ui_out(p, "</td><td>%s</td><td>%s</td><td>", schema_status_label(col(s, 3)),
           schema_category_label(col(s, 4)));
    ui_text(p, col(s, 5));
    ui_out(p, "</td><td>");
    if (ui_esc_n(&p->rs->body, content, cut))
      p->oom = true;
    ui_out(p, "%s</td><td>", cut < strlen(content) ? "…" : "");
    ui_date(p, col(s, 8));
    ui_out(p, "</td></tr>");
  }
}

/* The page of a list filtered on anything but words, from the figures'
 * facts (ui_facts): a rare value no longer scans every petition's blob
 * through the views. Writes its rows; true when there is a next page. */
static bool facts_rows(struct page *p, const struct filters *fl, int *n) {
  struct repfig_filter rf = {fl->commune, fl->status, fl->category,
                             fl->hamlet,  fl->from,   fl->to,
                             p->today,    fl->overdue};
  uint8_t rid[PAGE_ROWS + 1][ID_LEN];
  const struct repfig_facts *x;
  sqlite3_stmt *s = NULL;
  int k = 0;
  if (!ui_read_begin(p))
    return false;
  if ((x = ui_facts(p)) != NULL &&
      sqlite3_prepare_v2(store_sqlite(p->st), LIST_COLS " WHERE rid = ?1", -1,
                         &s, NULL) == SQLITE_OK) {
    k = repfig_facts_list(x, &rf, (int64_t)(fl->page - 1) * PAGE_ROWS,
                          PAGE_ROWS + 1, rid);
    for (int i = 0; i < k && i < PAGE_ROWS; i++) {
      sqlite3_bind_blob(s, 1, rid[i], ID_LEN, SQLITE_STATIC);
      if (sqlite3_step(s) == SQLITE_ROW)
        list_row(p, s, (*n)++);
      sqlite3_reset(s);
    }
  }
  sqlite3_finalize(s);
  ui_read_end(p);
  return k > PAGE_ROWS;
}

static int over_time(void *arg) {
  return uv_hrtime() > *(uint64_t *)arg;
}

/* True when |s| finds its page (or its end) within 20 ms: a filter on a
 * common value does, and is answered by SQL when the facts are not loaded
 * for the store as it is (while devices sync, they seldom are); a rare
 * value is not, and the facts are loaded for it. |s| is reset.
 * DANSYNCD_UI_SQL_MS sets the 20 ms (tests: 0, the facts always). */
static bool sql_in_time(struct page *p, sqlite3_stmt *s) {
  const char *env = getenv("DANSYNCD_UI_SQL_MS");
  uint64_t ms = env && *env ? strtoull(env, NULL, 10) : 20,
           until = uv_hrtime() + ms * 1000 * 1000;
  int k = 0, step;
  sqlite3_progress_handler(store_sqlite(p->st), 1000, over_time, &until);
  while ((step = sqlite3_step(s)) == SQLITE_ROW && ++k <= PAGE_ROWS)
    ;
  sqlite3_progress_handler(store_sqlite(p->st), 0, NULL, NULL);
  sqlite3_reset(s);
  return step == SQLITE_ROW || step == SQLITE_DONE;
}

void ui_petitions(struct page *p) {
  struct filters fl;
  char err[120], fts[600];
  sqlite3_stmt *s;
  int n = 0, step = SQLITE_DONE;
  bool facts, more;

  if (!filters_get(p, &fl, err, sizeof(err))) {
    ui_fail(p, 400, err);
    return;
  }
  /* Filtered without words: from the facts when they are loaded for the
   * store as it is, or when SQL does not find the page in time (a rare
   * value: every petition looked at). The plain list and a search (the
   * index narrows it) stay in SQL, which stops at the page. */
  facts = !*fl.q && (*fl.commune || *fl.status || *fl.category || *fl.hamlet ||
                     fl.overdue || strcmp(fl.from, "0000-00-00") ||
                     strcmp(fl.to, "9999-12-31"));
  ui_fts_prefix(fl.words, fts, sizeof(fts));
  if (sqlite3_prepare_v2(
          store_sqlite(p->st),
          LIST_COLS
          " WHERE coalesce(voided, 0) = 0"
          " AND (?1 = '' OR commune = ?1) AND (?2 = '' OR status = ?2)"
          " AND (?3 = '' OR category = ?3) AND (?4 = '' OR hamlet = ?4)"
          " AND received_on BETWEEN ?5 AND ?6"
          " AND (?7 = 0 OR (due_on < ?8 AND coalesce(status, 'received')"
          " NOT IN ('answered', 'resolved')))"
          " AND (?9 = '' OR (p.id IN (SELECT rowid FROM search WHERE search"
          " MATCH ?9) AND p.id NOT IN (SELECT id FROM search_dirty)) OR"
          " ((p.id > coalesce((SELECT v FROM meta WHERE k = 'search_hw'), 0)"
          " OR p.id IN (SELECT id FROM search_dirty)) AND ui_match(coalesce("
          "citizen, '') || ' ' || coalesce(hamlet, ''), content, ?10)))"
          " ORDER BY p.id DESC LIMIT ?11 OFFSET ?12",
          -1, &s, NULL)) {
    ui_fail(p, 503, "Không đọc được danh sách kiến nghị.");
    return;
  }
  sqlite3_bind_text(s, 1, fl.commune, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, fl.status, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, fl.category, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, fl.hamlet, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, fl.from, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 6, fl.to, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 7, fl.overdue);
  sqlite3_bind_text(s, 8, p->today, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 9, fts, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 10, fl.words, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 11, PAGE_ROWS + 1);
  sqlite3_bind_int(s, 12, (fl.page - 1) * PAGE_ROWS);
  if (facts && !ui_facts_fresh(p))
    facts = !sql_in_time(p, s);
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
  if (facts) {
    more = facts_rows(p, &fl, &n);
  } else {
    while ((step = sqlite3_step(s)) == SQLITE_ROW && n < PAGE_ROWS)
      list_row(p, s, n++);
    more = step == SQLITE_ROW;
  }
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
  sqlite3_finalize(s);
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

static void edit_form(struct page *p, const char *ridhex, sqlite3_stmt *s) {
  const char *cur = col(s, 2);
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
  ui_text(p, col(s, 7));
  ui_out(p,
         "</textarea></label><label>Hạn giải quyết<input type=\"date\" "
         "name=\"due_on\" value=\"%s\"></label><label>Chuyển đến (cơ "
         "quan)<input name=\"escalated_to\" maxlength=\"200\" value=\"",
         col(s, 8));
  ui_text(p, col(s, 9));
  ui_out(p, "\"></label><p><button class=\"primary\">Lưu</button></p>"
            "</form></div>");
}

static int record_json(void *arg, FILE *f) {
  void **a = arg;
  return query_record(a[0], a[1], true, a[2], f);
}

void ui_petition(struct page *p, const char *id) {
  uint8_t rid[ID_LEN];
  char ridhex[ID_HEX_LEN + 1], msg[8];
  sqlite3_stmt *s;

  if (resolve_id(p, id, rid))
    return;
  hex_encode(ridhex, rid, ID_LEN);
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
  if (sqlite3_prepare_v2(store_sqlite(p->st),
                         "SELECT commune, received_on, status, category, "
                         "citizen, hamlet, content, response, due_on, "
                         "escalated_to, resolved_on, lower(hex(meeting)), "
                         "conflicted FROM petition WHERE rid = ?1",
                         -1, &s, NULL)) {
    ui_fail(p, 503, "Không đọc được kiến nghị.");
    return;
  }
  sqlite3_bind_blob(s, 1, rid, ID_LEN, SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_ROW) {
    sqlite3_finalize(s);
    ui_fail(p, 404, "Không có kiến nghị này.");
    return;
  }
  ui_page_begin(p, "Kiến nghị", "/petitions");
  ui_out(p, "<p class=\"muted\">Mã <code>%s</code></p>", ridhex);
  if (ui_form_get(p->q, "saved", msg, sizeof(msg)))
    ui_out(p, "<p class=\"msg ok\">Đã lưu; các thiết bị của xã nhận thay "
              "đổi ở lần đồng bộ tới.</p>");
  if (sqlite3_column_int(s, 12))
    ui_out(p, "<p class=\"msg\">Kiến nghị này có xung đột: <a "
              "href=\"/conflicts\">xem và giải quyết</a>.</p>");
  ui_out(p, "<div class=\"card\"><dl class=\"kv\">");
  for (int i = 0; i < NSHOW; i++) {
    const char *v = col(s, i);
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
    edit_form(p, ridhex, s);
  sqlite3_finalize(s);
  history(p, rid);
  ui_page_end(p);
}

struct edit_arg {
  uint8_t rid[ID_LEN];
  struct edit_flag flags[4];
  int n;
  struct edit_arena arena;
};

static int build_edit(struct store *st, struct op *op, void *arg,
                      char *errbuf) {
  struct edit_arg *e = arg;
  return edit_build(st, op, ENT_PETITION, e->rid, false, NULL, e->flags, e->n,
                    &e->arena, errbuf);
}

void ui_petition_edit(struct page *p, const char *id) {
  static const char *const fields[] = {"status", "response", "due_on",
                                       "escalated_to"};
  char vals[4][4100], err[DS_ERRBUF_LEN], ridhex[ID_HEX_LEN + 1];
  char loc[80];
  struct edit_arg *e;
  sqlite3_stmt *s;

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
  if (sqlite3_prepare_v2(store_sqlite(p->st),
                         "SELECT status, response, due_on, escalated_to "
                         "FROM petition WHERE rid = ?1",
                         -1, &s, NULL)) {
    ds_free(e);
    ui_fail(p, 503, "Không đọc được kiến nghị.");
    return;
  }
  sqlite3_bind_blob(s, 1, e->rid, ID_LEN, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW)
    for (int i = 0; i < 4; i++) {
      /* Only what the clerk changed is written: an untouched field keeps
       * its version, so the edit conflicts with nothing it did not
       * change. */
      if (!ui_form_get(p->q, fields[i], vals[i], sizeof(vals[i])) ||
          !strcmp(vals[i], col(s, i)))
        continue;
      if (i == 2 && *vals[i] && !query_date_parse(vals[i], vals[i])) {
        e->n = -1;
        break;
      }
      e->flags[e->n].name = fields[i];
      e->flags[e->n++].value = vals[i];
    }
  sqlite3_finalize(s);
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
