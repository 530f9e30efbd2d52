/* SPDX-License-Identifier: MIT
 * audit_conflict.c -- the conflicts the merge kept: naming one, listing,
 * showing, and picking the version an admin's resolution keeps. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/cmsg.h"
#include "common/db.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/json.h"
#include "common/merge.h"
#include "common/query.h"
#include "common/store.h"
#include "common/textout.h"
#include "daemon/audit.h"
#include "daemon/audit_int.h"
#include "daemon/district.h"
#include "daemon/dmsg.h"

int audit_conflict_parse(struct store *st, const char *id, uint8_t rid[ID_LEN],
                         int *field, char *errbuf) {
  const char *colon = strchr(id, ':');
  char prefix[ID_HEX_LEN + 1];
  struct mstate ms;
  struct buf blob;
  int rc;

  if (!colon || (size_t)(colon - id) > ID_HEX_LEN)
    return dmsg_fail(errbuf, DS_EINVAL, DM_CONFLICT_NAME);
  memcpy(prefix, id, (size_t)(colon - id));
  prefix[colon - id] = '\0';
  rc = query_resolve_err(st, -1, prefix, rid, errbuf);
  if (rc)
    return rc;
  mstate_init(&ms);
  buf_init(&blob, 0);
  rc = store_load(st, rid, &ms, &blob);
  if (!rc) {
    const struct entity_def *e = schema_entity(ms.ent);
    *field = schema_field_find(e, colon + 1, strlen(colon + 1));
    if (*field < 0)
      rc = dmsg_fail(errbuf, DS_ENOENT, DM_NO_FIELD, cmsg_ent(ms.ent),
                     colon + 1);
    else if (ms.f[*field].nopen < 2)
      rc = dmsg_fail(errbuf, DS_ENOENT, DM_NOT_CONFLICTED, colon + 1,
                     cmsg_ent(ms.ent));
  }
  mstate_cleanup(&ms);
  buf_cleanup(&blob);
  return rc;
}

int audit_conflicts_list(struct store *st, const char *commune, bool json,
                         FILE *out) {
  sqlite3_stmt *s;
  struct mstate ms;
  struct buf b, blob;
  int rc = 0, n = 0;

  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT c.rid, c.field, r.commune FROM conflict c "
                         "JOIN rec r ON r.rid = c.rid WHERE ?1 IS NULL OR "
                         "r.commune = ?1 ORDER BY r.commune, c.rid, c.field",
                         -1, &s, NULL))
    return DS_EUNAVAIL;
  sqlite3_bind_text(s, 1, commune, -1, SQLITE_STATIC);
  mstate_init(&ms);
  buf_init(&b, 0);
  buf_init(&blob, 0);
  if (json)
    rc = buf_putc(&b, '[');
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    char ridhex[ID_HEX_LEN + 1];
    const struct entity_def *e;
    const struct mwrite *w;
    struct value v;
    size_t used;
    int f = sqlite3_column_int(s, 1);
    hex_encode(ridhex, sqlite3_column_blob(s, 0), ID_LEN);
    if (store_load(st, sqlite3_column_blob(s, 0), &ms, &blob))
      continue;
    e = schema_entity(ms.ent);
    w = mstate_winner(&ms, f);
    if (!w || value_decode(&v, w->val, w->len, &used))
      continue;
    if (json) {
      rc = buf_printf(&b,
                      "%s\n  {\"id\": \"%s:%s\", \"entity\": \"%s\", "
                      "\"commune\": \"%s\", \"field\": \"%s\", \"writes\": "
                      "%u, \"winner\": ",
                      n ? "," : "", ridhex, e->fields[f].name, e->name,
                      sqlite3_column_text(s, 2), e->fields[f].name,
                      ms.f[f].nopen);
      rc = rc || json_value(&b, &v);
      rc = rc || buf_putc(&b, '}');
    } else {
      char line[256];
      dmsg_fmt(line, sizeof(line), DM_CONFLICT_ROW, ridhex, e->fields[f].name,
               (const char *)sqlite3_column_text(s, 2), cmsg_ent(ms.ent),
               ms.f[f].nopen);
      rc = buf_append(&b, line, strlen(line));
      audit__value_text(&b, &v);
      rc = rc || buf_putc(&b, '\n');
    }
    n++;
  }
  sqlite3_finalize(s);
  if (!rc && json)
    rc = buf_printf(&b, n ? "\n]\n" : "]\n");
  else if (!rc && n == 0)
    rc = buf_printf(&b, "%s", dmsg(DM_NO_CONFLICTS));
  if (!rc)
    fwrite(b.data, 1, b.len, out);
  mstate_cleanup(&ms);
  buf_cleanup(&b);
  buf_cleanup(&blob);
  return rc;
}

int audit_conflict_show(struct store *st, const uint8_t rid[ID_LEN], int field,
                        bool json, FILE *out) {
  sqlite3_stmt *q;
  struct mstate ms;
  struct buf b, blob;
  const struct mwrite *win;
  const struct entity_def *e;
  char ridhex[ID_HEX_LEN + 1];
  int rc;

  mstate_init(&ms);
  buf_init(&b, 0);
  buf_init(&blob, 0);
  rc = store_load(st, rid, &ms, &blob);
  if (rc)
    goto done;
  e = schema_entity(ms.ent);
  win = mstate_winner(&ms, field);
  hex_encode(ridhex, rid, ID_LEN);
  rc = db_prepare(store_sqlite(st),
                  "SELECT commune, coalesce(label, '') FROM node WHERE "
                  "node = ?1",
                  &q);
  if (rc)
    goto done;
  if (json) {
    rc = buf_printf(&b,
                    "{\"id\": \"%s:%s\", \"entity\": \"%s\", \"record\":"
                    " \"%s\", \"field\": \"%s\", \"writes\": [",
                    ridhex, e->fields[field].name, e->name, ridhex,
                    e->fields[field].name);
  } else {
    char line[256];
    dmsg_fmt(line, sizeof(line), DM_CONFLICT_HEAD, cmsg_ent(ms.ent), ridhex,
             e->fields[field].name, ms.f[field].nopen);
    rc = buf_append(&b, line, strlen(line));
  }
  for (uint32_t i = 0; !rc && i < ms.f[field].nopen; i++) {
    const struct mwrite *w = &ms.f[field].open[i];
    char node[ID_HEX_LEN + 1], at[32], dev[200], line[256];
    time_t t = (time_t)(HLC_MS(w->v.hlc) / 1000);
    struct value v;
    struct tm tm;
    size_t used;
    if (value_decode(&v, w->val, w->len, &used))
      continue;
    hex_encode(node, w->v.node, ID_LEN);
    snprintf(dev, sizeof(dev), "%s", dmsg(DM_UNKNOWN_DEVICE));
    gmtime_r(&t, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    sqlite3_bind_blob(q, 1, w->v.node, ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
      dmsg_fmt(dev, sizeof(dev), DM_DEVICE_COMMUNE,
               (const char *)sqlite3_column_text(q, 1),
               *sqlite3_column_text(q, 1) ? ", " : "",
               (const char *)sqlite3_column_text(q, 0));
    sqlite3_reset(q);
    if (json) {
      rc = buf_printf(&b, "%s\n  {\"version\": \"%016llx:%s\", \"value\": ",
                      i ? "," : "", (unsigned long long)w->v.hlc, node);
      rc = rc || json_value(&b, &v);
      rc = rc || buf_printf(&b, ", \"node\": \"%s\", \"device\": ", node);
      rc = rc || json_str(&b, dev, strlen(dev));
      rc = rc || buf_printf(&b, ", \"at\": \"%s\", \"winner\": %s}", at,
                            w == win ? "true" : "false");
    } else {
      dmsg_fmt(line, sizeof(line), w == win ? DM_WRITE_WINNER : DM_WRITE_OTHER,
               (unsigned long long)w->v.hlc, node);
      rc = buf_append(&b, line, strlen(line));
      audit__value_text(&b, &v);
      dmsg_fmt(line, sizeof(line), DM_WRITE_TAIL, dev, at);
      rc = rc || buf_append(&b, line, strlen(line));
    }
  }
  sqlite3_finalize(q);
  if (!rc && json)
    rc = buf_printf(&b, "\n]}\n");
  if (!rc)
    fwrite(b.data, 1, b.len, out);
done:
  mstate_cleanup(&ms);
  buf_cleanup(&b);
  buf_cleanup(&blob);
  return rc;
}

int audit_conflict_pick(struct store *st, const uint8_t rid[ID_LEN], int field,
                        const char *keep, struct version *out, char *errbuf) {
  struct mstate ms;
  struct buf blob;
  const struct mwrite *win;
  int rc;

  mstate_init(&ms);
  buf_init(&blob, 0);
  rc = store_load(st, rid, &ms, &blob);
  if (rc)
    goto done;
  win = mstate_winner(&ms, field);
  if (!strcmp(keep, "winner")) {
    *out = win->v;
  } else if (!strcmp(keep, "other")) {
    if (ms.f[field].nopen != 2) {
      rc = dmsg_fail(errbuf, DS_EINVAL, DM_KEEP_WHICH, ms.f[field].nopen);
      goto done;
    }
    *out = ms.f[field].open[0].v;
    if (version_cmp(out, &win->v) == 0)
      *out = ms.f[field].open[1].v;
  } else {
    const char *colon = strchr(keep, ':');
    char *end;
    if (!colon || colon - keep != 16 ||
        hex_decode(out->node, ID_LEN, colon + 1)) {
      rc = dmsg_fail(errbuf, DS_EINVAL, DM_KEEP_FORM);
      goto done;
    }
    out->hlc = strtoull(keep, &end, 16);
    if (end != colon) {
      rc = dmsg_fail(errbuf, DS_EINVAL, DM_KEEP_BAD);
      goto done;
    }
  }
done:
  mstate_cleanup(&ms);
  buf_cleanup(&blob);
  return rc;
}
