/* SPDX-License-Identifier: MIT
 * ui_conflict.c -- the dashboard's conflicts (DESIGN §4): every write of a
 * conflicted field side by side, and a clerk's choice of the one to keep,
 * submitted as the CLI's `conflicts resolve` is (common/edit.c), signed by
 * the clerk's node. */
#include <string.h>

#include "common/edit.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/json.h"
#include "common/merge.h"
#include "common/schema.h"
#include "common/store.h"
#include "daemon/audit.h"
#include "daemon/district.h"
#include "daemon/ui_int.h"
#include "daemon/ui_views.h"

/* ---- conflicts ---- */

static int conflicts_json(void *arg, FILE *f) {
  return audit_conflicts_list(arg, NULL, true, f);
}

static void conflict_card(struct page *p, const uint8_t rid[ID_LEN],
                          int field) {
  const struct entity_def *e;
  struct mstate ms;
  struct buf blob, v;
  const struct mwrite *win;
  char ridhex[ID_HEX_LEN + 1];

  mstate_init(&ms);
  buf_init(&blob, 0);
  buf_init(&v, 0);
  if (store_load(p->st, rid, &ms, &blob) || ms.ent < 0)
    goto done;
  e = schema_entity(ms.ent);
  win = mstate_winner(&ms, field);
  hex_encode(ridhex, rid, ID_LEN);
  ui_out(p,
         "<div class=\"card\"><h2>%s <a href=\"/petitions/%s\"><code>%s"
         "</code></a>, trường <code>%s</code></h2><div class=\"grid\">",
         ms.ent == ENT_PETITION ? "Kiến nghị" : e->name, ridhex, ridhex + 24,
         e->fields[field].name);
  for (uint32_t i = 0; i < ms.f[field].nopen; i++) {
    const struct mwrite *w = &ms.f[field].open[i];
    char node[ID_HEX_LEN + 1], when[24];
    struct value val;
    size_t used;
    if (value_decode(&val, w->val, w->len, &used))
      continue;
    buf_reset(&v);
    if (json_value(&v, &val) || buf_cstr(&v))
      p->oom = true;
    hex_encode(node, w->v.node, ID_LEN);
    ui_time(when, (int64_t)HLC_MS(w->v.hlc));
    ui_out(p,
           "<div class=\"stat\"><p class=\"muted\">%s · thiết bị <code>"
           "%.8s</code> · %s</p><p class=\"pre\">",
           w == win ? "Đang thắng" : "Giá trị khác", node, when);
    ui_text(p, v.data ? (char *)v.data : "");
    ui_out(p, "</p>");
    if (p->who.role >= USERS_CLERK)
      ui_out(p,
             "<form method=\"post\" action=\"/conflicts/resolve\">"
             "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
             "<input type=\"hidden\" name=\"id\" value=\"%s:%s\">"
             "<input type=\"hidden\" name=\"keep\" value=\"%016llx:%s\">"
             "<button class=\"primary\">Giữ giá trị này</button></form>",
             p->rq->csrf, ridhex, e->fields[field].name,
             (unsigned long long)w->v.hlc, node);
    ui_out(p, "</div>");
  }
  ui_out(p, "</div></div>");
done:
  mstate_cleanup(&ms);
  buf_cleanup(&blob);
  buf_cleanup(&v);
}

static void conflict_row(void *arg, const uint8_t rid[ID_LEN], int field) {
  struct page *p = arg;
  conflict_card(p, rid, field);
  p->rows++;
}

void ui_conflicts(struct page *p) {
  if (p->api) {
    p->rs->type = "application/json";
    if (ui_capture(p, conflicts_json, p->st))
      ui_fail(p, 503, "Không đọc được danh sách xung đột.");
    return;
  }
  ui_page_begin(p, "Xung đột", "/conflicts");
  p->rows = 0;
  if (ui_views_conflicts(p->st, 200, conflict_row, p)) {
    ui_fail(p, 503, "Không đọc được danh sách xung đột.");
    return;
  }
  if (!p->rows)
    ui_out(p, "<p class=\"msg ok\">Không có xung đột nào.</p>");
  ui_page_end(p);
}

void ui_conflict_resolve(struct page *p) {
  char id[80], keep[60], err[DS_ERRBUF_LEN];
  struct district_resolve r;
  int rc;

  if (!ui_role(p, USERS_CLERK))
    return;
  if (!ui_form_get(p->q, "id", id, sizeof(id)) ||
      !ui_form_get(p->q, "keep", keep, sizeof(keep))) {
    ui_fail(p, 400, "Thiếu xung đột hoặc giá trị cần giữ.");
    return;
  }
  buf_init(&r.val, 0);
  rc = audit_conflict_parse(p->st, id, r.rid, &r.field, err);
  if (!rc)
    rc = audit_conflict_pick(p->st, r.rid, r.field, keep, &r.keep, err);
  if (!rc)
    rc = ui_submit(p, district_build_resolve, &r, err);
  buf_cleanup(&r.val);
  if (rc) {
    ui_fail(p, rc == DS_ENOENT ? 404 : 400, err);
    return;
  }
  if (p->api) {
    p->rs->type = "application/json";
    ui_out(p, "{\"resolved\": ");
    ui_json(p, id);
    ui_out(p, "}\n");
  } else {
    ui_redirect(p, "/conflicts");
  }
}
