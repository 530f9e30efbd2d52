/* SPDX-License-Identifier: MIT
 * ui_pages.c -- the dashboard's routes, layout and writing helpers, and
 * the pages of devices, users and the sync log's verification, each with
 * its JSON under /api/ (figures: ui_figures.c; petitions: ui_petition.c;
 * conflicts: ui_conflict.c). Runs on the pool, on the read-only
 * connection. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/query.h"
#include "common/repfig.h"
#include "common/report.h"
#include "common/store.h"
#include "common/synclog.h"
#include "daemon/district.h"
#include "daemon/ui_int.h"
#include "daemon/ui_views.h"

void ui_out(struct page *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (buf_vprintf(&p->rs->body, fmt, ap))
    p->oom = true;
  va_end(ap);
}

void ui_text(struct page *p, const char *s) {
  if (ui_esc(&p->rs->body, s ? s : ""))
    p->oom = true;
}

void ui_json(struct page *p, const char *s) {
  if (s ? json_str(&p->rs->body, s, strlen(s))
        : buf_append(&p->rs->body, "null", 4))
    p->oom = true;
}

void ui_date(struct page *p, const char *ymd) {
  if (ymd && strlen(ymd) == 10 && ymd[4] == '-' && ymd[7] == '-')
    ui_out(p, "%.2s/%.2s/%.4s", ymd + 8, ymd + 5, ymd);
  else
    ui_text(p, ymd);
}

void ui_time(char out[24], int64_t ms) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0 || !localtime_r(&t, &tm))
    snprintf(out, 24, "chưa bao giờ");
  else
    strftime(out, 24, "%d/%m/%Y %H:%M", &tm);
}

static const struct {
  const char *path, *label;
  int role;
} nav[] = {
    {"/", "Tổng quan", USERS_VIEWER},
    {"/petitions", "Kiến nghị", USERS_VIEWER},
    {"/conflicts", "Xung đột", USERS_VIEWER},
    {"/report", "Báo cáo", USERS_VIEWER},
    {"/devices", "Thiết bị", USERS_VIEWER},
    {"/users", "Người dùng", USERS_ADMIN},
    {"/log", "Nhật ký đồng bộ", USERS_VIEWER},
};

void ui_page_begin(struct page *p, const char *title, const char *active) {
  p->rs->type = "text/html; charset=utf-8";
  ui_out(p, "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, "
            "initial-scale=1\"><title>");
  ui_text(p, title);
  ui_out(p, " – dansync</title><link rel=\"stylesheet\" "
            "href=\"/assets/app.css\"><script src=\"/assets/app.js\" "
            "defer></script></head><body>\n");
  if (p->who.name[0]) {
    ui_out(p, "<header><a class=\"brand\" href=\"/\">Nghe dân nói – Huyện"
              "</a><nav>");
    for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
      if (p->who.role >= nav[i].role)
        ui_out(p, "<a href=\"%s\"%s>%s</a>", nav[i].path,
               active && !strcmp(active, nav[i].path) ? " class=\"on\"" : "",
               nav[i].label);
    ui_out(p, "</nav><span>");
    ui_text(p, p->who.name);
    ui_out(p,
           " (%s)</span><form method=\"post\" action=\"/logout\">"
           "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
           "<button>Đăng xuất</button></form></header>\n",
           users_role_label(p->who.role), p->rq->csrf);
  }
  ui_out(p, "<main>\n<h1>");
  ui_text(p, title);
  ui_out(p, "</h1>\n");
}

void ui_page_end(struct page *p) {
  ui_out(p, "</main></body></html>\n");
}

void ui_fail(struct page *p, int status, const char *msg) {
  buf_reset(&p->rs->body);
  p->rs->status = status;
  if (p->api) {
    p->rs->type = "application/json";
    ui_out(p, "{\"error\": \"%s\", \"message\": ",
           status == 404   ? "not_found"
           : status == 403 ? "forbidden"
           : status >= 500 ? "unavailable"
                           : "bad_request");
    ui_json(p, msg);
    ui_out(p, "}\n");
    return;
  }
  ui_page_begin(p, status == 404 ? "Không tìm thấy" : "Không thực hiện được",
                NULL);
  ui_out(p, "<p class=\"msg\">");
  ui_text(p, msg);
  ui_out(p, "</p><p><a href=\"/\">Về trang tổng quan</a></p>");
  ui_page_end(p);
}

void ui_redirect(struct page *p, const char *location) {
  p->rs->status = 303;
  snprintf(p->rs->headers, sizeof(p->rs->headers), "Location: %s\r\n",
           location);
}

bool ui_role(struct page *p, int role) {
  if (p->who.role >= role)
    return true;
  ui_fail(p, 403,
          role == USERS_ADMIN
              ? "Chỉ quản trị viên được làm việc này."
              : "Tài khoản chỉ được xem; cần quyền văn thư để sửa.");
  return false;
}

int ui_capture(struct page *p, int (*fn)(void *arg, FILE *f), void *arg) {
  char *data = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&data, &len);
  int rc;
  if (!f)
    return DS_ENOMEM;
  rc = fn(arg, f);
  if (fclose(f) && !rc)
    rc = DS_ENOMEM;
  if (!rc && buf_append(&p->rs->body, data, len))
    rc = DS_ENOMEM;
  free(data);
  return rc;
}

int ui_with_rw(struct page *p,
               int (*fn)(struct store *st, void *arg, char *errbuf), void *arg,
               char *errbuf) {
  struct ui_db *db = p->db;
  int rc = 0;
  uv_mutex_lock(&db->rwlock);
  if (!db->rw) {
    rc = district_open(&db->rw, db->path, errbuf);
    if (!rc)
      store_set_busy_timeout(db->rw, 5000);
  }
  if (!rc)
    rc = fn(db->rw, arg, errbuf);
  uv_mutex_unlock(&db->rwlock);
  return rc;
}

struct submit_arg {
  struct page *p;
  int (*build)(struct store *st, struct op *op, void *arg, char *errbuf);
  void *arg;
};

static int submit_rw(struct store *st, void *arg, char *errbuf) {
  struct submit_arg *s = arg;
  return district_submit_as(st, s->p->who.node, s->p->who.sk, s->build, s->arg,
                            errbuf);
}

int ui_submit(struct page *p,
              int (*build)(struct store *st, struct op *op, void *arg,
                           char *errbuf),
              void *arg, char *errbuf) {
  struct submit_arg s = {p, build, arg};
  return ui_with_rw(p, submit_rw, &s, errbuf);
}

/* ---- devices, users, the log ---- */

static int nodes_json(void *arg, FILE *f) {
  return district_node_list(arg, true, f);
}

static void device_row(void *arg, const struct ui_device *d) {
  struct page *p = arg;
  char when[24], enrolled[24];
  ui_time(enrolled, d->enrolled_ms);
  ui_time(when, d->last_sync_ms);
  ui_out(p, "<tr><td><code>%.8s</code> ", d->node);
  ui_text(p, d->label);
  ui_out(p, "</td><td>");
  ui_text(p, d->commune);
  ui_out(p,
         "</td><td>%s</td><td>%s</td><td class=\"n\">%d</td><td>%s"
         "</td>",
         enrolled, when, d->rejected, d->revoked ? "đã thu hồi" : "đang dùng");
  if (p->who.role >= USERS_ADMIN) {
    ui_out(p, "<td>");
    if (!d->revoked && !d->district)
      ui_out(p,
             "<form method=\"post\" action=\"/devices/revoke\">"
             "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
             "<input type=\"hidden\" name=\"node\" value=\"%s\">"
             "<button class=\"danger\" data-confirm=\"Thu hồi thiết "
             "bị này? Nó sẽ không đồng bộ được nữa.\">Thu hồi"
             "</button></form>",
             p->rq->csrf, d->node);
    ui_out(p, "</td>");
  }
  ui_out(p, "</tr>");
}

static void devices(struct page *p) {
  if (p->api) {
    p->rs->type = "application/json";
    if (ui_capture(p, nodes_json, p->st))
      ui_fail(p, 503, "Không đọc được danh sách thiết bị.");
    return;
  }
  ui_page_begin(p, "Thiết bị", "/devices");
  ui_out(p,
         "<div class=\"card scroll\"><table><thead><tr><th>Thiết bị</th>"
         "<th>Xã</th><th>Đăng ký</th><th>Đồng bộ lần cuối</th>"
         "<th class=\"n\">Bị từ chối</th><th>Trạng thái</th>%s</tr>"
         "</thead><tbody>",
         p->who.role >= USERS_ADMIN ? "<th></th>" : "");
  if (ui_views_devices(p->st, device_row, p)) {
    ui_fail(p, 503, "Không đọc được danh sách thiết bị.");
    return;
  }
  ui_out(p, "</tbody></table></div>");
  ui_page_end(p);
}

static int revoke_rw(struct store *st, void *arg, char *errbuf) {
  return district_node_revoke(st, arg, errbuf);
}

static void device_revoke(struct page *p) {
  char node[40], err[DS_ERRBUF_LEN];
  if (!ui_role(p, USERS_ADMIN))
    return;
  if (!ui_form_get(p->q, "node", node, sizeof(node)) || strlen(node) != 32) {
    ui_fail(p, 400, "Thiếu mã thiết bị (32 chữ số hex).");
    return;
  }
  if (ui_with_rw(p, revoke_rw, node, err)) {
    ui_fail(p, 400, err);
    return;
  }
  if (p->api)
    ui_out(p, "{\"revoked\": \"%s\"}\n", node);
  else
    ui_redirect(p, "/devices");
}

static int users_json(void *arg, FILE *f) {
  return users_list(arg, true, f);
}

static void user_row(void *arg, const char *name, int role, const char *node) {
  struct page *p = arg;
  ui_out(p, "<tr><td>");
  ui_text(p, name);
  ui_out(p, "</td><td>%s</td><td><code>%.8s</code></td></tr>",
         users_role_label(role), node ? node : "");
}

static void users_page(struct page *p) {
  if (!ui_role(p, USERS_ADMIN))
    return;
  if (p->api) {
    p->rs->type = "application/json";
    if (ui_capture(p, users_json, p->st))
      ui_fail(p, 503, "Không đọc được danh sách người dùng.");
    return;
  }
  ui_page_begin(p, "Người dùng", "/users");
  ui_out(p, "<div class=\"card scroll\"><table><thead><tr><th>Tên đăng "
            "nhập</th><th>Vai trò</th><th>Nút ký</th></tr></thead><tbody>");
  if (ui_views_users(p->st, user_row, p)) {
    ui_fail(p, 503, "Không đọc được danh sách người dùng.");
    return;
  }
  ui_out(p, "</tbody></table><p class=\"muted\">Thêm, đổi mật khẩu, xóa: "
            "<code>dansyncd user add|passwd|remove</code> trên máy chủ."
            "</p></div>");
  ui_page_end(p);
}

static void log_page(struct page *p) {
  char err[DS_ERRBUF_LEN] = "";
  int64_t entries = 0, bad = 0;
  int rc = synclog_verify(p->st, &entries, &bad, err);
  if (rc && rc != DS_ECORRUPT) {
    ui_fail(p, 503, "Không đọc được nhật ký đồng bộ.");
    return;
  }
  if (p->api) {
    p->rs->type = "application/json";
    ui_out(p, "{\"entries\": %lld, \"ok\": %s, \"first_bad\": ",
           (long long)entries, rc ? "false" : "true");
    if (rc)
      ui_out(p, "%lld, \"message\": ", (long long)bad);
    else
      ui_out(p, "null, \"message\": ");
    ui_json(p, rc ? err : NULL);
    ui_out(p, "}\n");
    return;
  }
  ui_page_begin(p, "Nhật ký đồng bộ", "/log");
  if (rc) {
    ui_out(p, "<p class=\"msg\">Nhật ký có lỗi từ mục %lld: ", (long long)bad);
    ui_text(p, err);
    ui_out(p, "</p>");
  } else {
    ui_out(p,
           "<p class=\"msg ok\">Đã kiểm tra %lld mục: chuỗi băm và mọi "
           "chữ ký đều đúng.</p>",
           (long long)entries);
  }
  ui_page_end(p);
}

static void me(struct page *p) {
  p->rs->type = "application/json";
  ui_out(p, "{\"user\": ");
  ui_json(p, p->who.name);
  ui_out(p, ", \"role\": \"%s\", \"csrf\": \"%s\"}\n",
         users_role_name(p->who.role), p->rq->csrf);
}

/* ---- routing ---- */

void ui_pages_login(struct ui_resp *rs, int status, const char *msg) {
  struct page p;
  memset(&p, 0, sizeof(p));
  p.rs = rs;
  buf_reset(&rs->body);
  rs->status = status;
  ui_page_begin(&p, "Đăng nhập", NULL);
  ui_out(&p, "<div class=\"login card\">");
  if (msg) {
    ui_out(&p, "<p class=\"msg\">");
    ui_text(&p, msg);
    ui_out(&p, "</p>");
  }
  ui_out(&p, "<form method=\"post\" action=\"/login\"><label>Tên đăng nhập"
             "<input name=\"user\" autocomplete=\"username\" required "
             "autofocus></label><label>Mật khẩu<input type=\"password\" "
             "name=\"password\" autocomplete=\"current-password\" required>"
             "</label><button class=\"primary\">Đăng nhập</button></form>"
             "</div>");
  ui_page_end(&p);
}

static bool open_ro(struct ui_db *db) {
  return db->ro || ui_views_open_ro(&db->ro, db->path);
}

static void route(struct page *p) {
  const char *path = p->path + (p->api ? 4 : 0);
  bool post = p->post;

  if (!strcmp(path, "/") && !post)
    ui_overview(p, NULL);
  else if (!strcmp(p->path, "/api/overview") && !post)
    ui_overview(p, NULL);
  else if (!strncmp(path, "/communes/", 10) && !post)
    ui_overview(p, path + 10);
  else if (!strcmp(path, "/petitions") && !post)
    ui_petitions(p);
  else if (!strncmp(path, "/petitions/", 11) && !post)
    ui_petition(p, path + 11);
  else if (!strncmp(path, "/petitions/", 11))
    ui_petition_edit(p, path + 11);
  else if (!strcmp(path, "/conflicts") && !post)
    ui_conflicts(p);
  else if (!strcmp(path, "/conflicts/resolve") && post)
    ui_conflict_resolve(p);
  else if (!strcmp(path, "/report") && !post)
    ui_report(p, NULL);
  else if (!p->api && !post &&
           (!strcmp(path, "/report/html") || !strcmp(path, "/report/csv") ||
            !strcmp(path, "/report/docx")))
    ui_report(p, path + 8);
  else if (!strcmp(path, "/devices") && !post)
    devices(p);
  else if (!strcmp(path, "/devices/revoke") && post)
    device_revoke(p);
  else if (!strcmp(path, "/users") && !post)
    users_page(p);
  else if (!strcmp(path, "/log") && !post)
    log_page(p);
  else if (!strcmp(p->path, "/api/me") && !post)
    me(p);
  else
    ui_fail(p, 404, "Không có trang này.");
}

void ui_pages_handle(struct ui_db *db, const struct ui_req *rq,
                     struct ui_resp *rs) {
  struct page p;
  size_t n = strcspn(rq->url, "?");
  const char *type;
  size_t len;
  const char *asset;

  memset(&p, 0, sizeof(p));
  p.db = db;
  p.rq = rq;
  p.rs = rs;
  memcpy(p.path, rq->url, n);
  p.path[n] = '\0';
  p.post = rq->method == HTTP_POST;
  p.q = p.post ? (const char *)rq->body.data : ui_query(rq->url);
  p.api = !strncmp(p.path, "/api/", 5);
  if (!strncmp(p.path, "/assets/", 8)) {
    asset = ui_asset(p.path, &len, &type);
    if (!asset) {
      rs->status = 404;
      rs->type = "text/plain; charset=utf-8";
      if (buf_printf(&rs->body, "Không có tệp này.\n"))
        buf_reset(&rs->body);
      return;
    }
    rs->type = type;
    if (buf_append(&rs->body, asset, len))
      rs->status = 503;
    return;
  }
  if (!rq->authed) { /* only GET /login comes here without a session */
    ui_pages_login(rs, 200, NULL);
    return;
  }
  if (!open_ro(db)) {
    ui_fail(&p, 503, "Không mở được kho dữ liệu; thử lại sau.");
    return;
  }
  p.st = db->ro;
  if (users_get(store_sqlite(db->ro), rq->user, &p.who)) {
    ui_pages_login(rs, 401, "Tài khoản không còn; hãy đăng nhập lại.");
    return;
  }
  if (p.post && !rq->csrf_ok) { /* ui.c refuses these; checked twice */
    ui_fail(&p, 403, "Thiếu mã chống giả mạo (CSRF).");
    return;
  }
  if (!strcmp(p.path, "/login")) {
    ui_redirect(&p, "/");
    return;
  }
  query_today(p.today);
  route(&p);
  sodium_memzero(&p.who, sizeof(p.who));
  if (p.oom) {
    buf_reset(&rs->body);
    rs->status = 503;
  }
}
