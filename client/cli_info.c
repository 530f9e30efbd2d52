/* SPDX-License-Identifier: MIT
 * cli_info.c -- dansync status, digest and report: what the device holds
 * and what it has not yet sent, without changing anything. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "client/cbundle.h"
#include "client/cli_int.h"
#include "client/communes_tsv.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/query.h"
#include "common/repfig.h"
#include "common/report.h"
#include "common/textout.h"

static void meta_text(struct store *st, const char *key, char *out,
                      size_t cap) {
  struct buf b;
  buf_init(&b, 0);
  out[0] = '\0';
  if (store_meta_get(st, key, &b) == 0)
    snprintf(out, cap, "%s", (char *)b.data);
  buf_cleanup(&b);
}

static void when_text(int64_t ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0) {
    snprintf(out, cap, "%s", msg(MSG_NEVER));
    return;
  }
  localtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The records with ops not yet acked (|rejected| false) or rejected, one
 * line each: short id, entity, a title cut to fit, and the reason. */
#define TITLE_OF(o)                                                   \
  "SELECT " o ".rid, r.ent, coalesce(p.content, v.household,"         \
  " m.held_on || ' ' || coalesce(m.hamlet, ''), s.taken_on || ' ' ||" \
  " coalesce(s.service, ''))"
#define JOIN_TITLE(o)                          \
  " JOIN rec r ON r.rid = " o ".rid"           \
  " LEFT JOIN petition p ON p.rid = " o ".rid" \
  " LEFT JOIN visit v ON v.rid = " o ".rid"    \
  " LEFT JOIN meeting m ON m.rid = " o ".rid"  \
  " LEFT JOIN survey s ON s.rid = " o ".rid"
/* Columns: rid, ent, title, error, message. ?2: 0 unsynced, 1 rejected,
 * 2 pulled by the last sync (inbox rows after ?1). */
static const char records_sql[] =
    TITLE_OF("o") ", max(o.error), max(o.message) FROM outbox o" JOIN_TITLE(
        "o") " WHERE (?2 = 0 AND o.error IS NULL AND o.seq > ?1)"
             " OR (?2 = 1 AND o.error IS NOT NULL)"
             " GROUP BY o.rid ORDER BY min(o.seq)";
static const char brought_sql[] =
    TITLE_OF("i") ", NULL, NULL FROM inbox i" JOIN_TITLE(
        "i") " WHERE i.id > ?1 AND ?2 = 2 GROUP BY i.rid ORDER BY min(i.id)";

static int status_records(struct device *dev, int64_t after, int which,
                          bool json, struct buf *out) {
  bool rejected = which == 1;
  sqlite3_stmt *s;
  int rc = 0, k = 0;

  if (sqlite3_prepare_v2(store_sqlite(dev->st),
                         which == 2 ? brought_sql : records_sql, -1, &s, NULL))
    return DS_EIO;
  sqlite3_bind_int64(s, 1, after);
  sqlite3_bind_int(s, 2, which);
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    char sid[9];
    const char *title = (const char *)sqlite3_column_text(s, 2);
    const char *why = (const char *)sqlite3_column_text(s, 4);
    int ent = sqlite3_column_int(s, 1);
    if (sqlite3_column_bytes(s, 0) != ID_LEN)
      continue;
    cli_short_id(sid, sqlite3_column_blob(s, 0));
    title = title ? title : "";
    why = why ? why : "";
    if (json) {
      rc = buf_printf(out, "%s{\"id\": \"%s\", \"entity\": \"%s\", \"title\": ",
                      k++ ? ", " : "", sid, schema_entity(ent)->name);
      rc = rc || json_str(out, title, strlen(title));
      if (!rc && rejected) {
        rc = buf_printf(out, ", \"error\": ");
        rc = rc || json_str(out, (const char *)sqlite3_column_text(s, 3),
                            (size_t)sqlite3_column_bytes(s, 3));
        rc = rc || buf_printf(out, ", \"message\": ");
        rc = rc || json_str(out, why, strlen(why));
      }
      rc = rc || buf_putc(out, '}');
      continue;
    }
    rc = buf_printf(out, "  %s  ", sid);
    rc = rc ||
         textout_cell(out, cli_ent_name(ent), strlen(cli_ent_name(ent)), 14, 1);
    rc = rc || buf_printf(out, "  ");
    rc = rc || textout_cell(out, title, strlen(title), 72, 0);
    if (!rc && rejected) {
      const char *code = (const char *)sqlite3_column_text(s, 3);
      rc = buf_printf(out, "\n            %s: ", code ? code : "");
      rc = rc || textout_escaped(out, why, strlen(why));
    }
    rc = rc || buf_putc(out, '\n');
  }
  sqlite3_finalize(s);
  return rc;
}

int cmd_status(const struct args *a) {
  static const char *const allowed[] = {"json", NULL};
  struct device dev;
  char server[512], node[ID_HEX_LEN + 1], when[32];
  char pin[512], cacert[4096], trust[4200];
  int64_t acked = 0, last = 0, queued = 0, rejected = 0, total = 0,
          brought = -1;
  bool json = args_has(a, "json");
  sqlite3_stmt *s;
  struct buf out;
  int rc;

  rc = cli_only(a, "status", allowed);
  if (rc)
    return rc;
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  meta_text(dev.st, "server", server, sizeof(server));
  meta_text(dev.st, "pin", pin, sizeof(pin));
  meta_text(dev.st, "cacert", cacert, sizeof(cacert));
  if (*pin)
    msg_fmt(trust, sizeof(trust), MSG_TRUST_PIN_IS, pin);
  else if (*cacert)
    msg_fmt(trust, sizeof(trust), MSG_TRUST_CAFILE_IS, cacert);
  else
    snprintf(
        trust, sizeof(trust), "%s",
        msg(strncmp(server, "https:", 6) ? MSG_TRUST_NONE : MSG_TRUST_SYSTEM));
  if (store_meta_get_int(dev.st, "acked", &acked))
    acked = 0;
  if (store_meta_get_int(dev.st, "last_sync_ms", &last))
    last = 0;
  if (store_meta_get_int(dev.st, "brought_from", &brought))
    brought = -1;
  hex_encode(node, dev.node, ID_LEN);
  sqlite3_prepare_v2(store_sqlite(dev.st),
                     "SELECT count(*), count(*) FILTER (WHERE error IS NULL"
                     " AND seq > ?1), count(*) FILTER (WHERE error IS NOT "
                     "NULL) FROM outbox",
                     -1, &s, NULL);
  sqlite3_bind_int64(s, 1, acked);
  if (sqlite3_step(s) == SQLITE_ROW) {
    total = sqlite3_column_int64(s, 0);
    queued = sqlite3_column_int64(s, 1);
    rejected = sqlite3_column_int64(s, 2);
  }
  sqlite3_finalize(s);
  when_text(last, when, sizeof(when));
  buf_init(&out, 0);
  if (json) {
    rc = buf_printf(&out, "{\"commune\": ");
    rc = rc || json_str(&out, dev.commune, strlen(dev.commune));
    rc = rc || buf_printf(&out, ", \"node\": \"%s\", \"server\": ", node);
    rc = rc || json_str(&out, server, strlen(server));
    rc = rc || buf_printf(&out, ", \"trust\": ");
    rc = rc || json_str(&out, trust, strlen(trust));
    rc =
        rc || buf_printf(&out,
                         ", \"ops\": %lld, \"acked\": %lld, \"queued\": "
                         "%lld, \"unsynced\": [",
                         (long long)total, (long long)acked, (long long)queued);
    rc = rc || status_records(&dev, acked, 0, true, &out);
    rc = rc || buf_printf(&out, "], \"rejected\": [");
    rc = rc || status_records(&dev, acked, 1, true, &out);
    rc = rc || buf_printf(&out, "], \"brought\": [");
    rc = rc || (brought >= 0 && status_records(&dev, brought, 2, true, &out));
    rc = rc || buf_printf(&out, "], \"last_sync\": %s%s%s", last ? "\"" : "",
                          last ? when : "null", last ? "\"" : "");
    rc = rc || cbundle_status(dev.st, true, &out);
    rc = rc || buf_printf(&out, "}\n");
  } else {
    char head[8192];
    msg_fmt(head, sizeof(head), MSG_STATUS_HEAD, dev.commune, node, server,
            trust, (long long)queued, (long long)total, (long long)acked,
            (long long)rejected);
    rc = buf_printf(&out, "%s", head);
    if (!rc && queued)
      rc = buf_printf(&out, "%s", msg(MSG_STATUS_UNSYNCED));
    rc = rc || (queued && status_records(&dev, acked, 0, false, &out));
    if (!rc && rejected)
      rc = buf_printf(&out, "%s", msg(MSG_STATUS_REJECTED));
    rc = rc || (rejected && status_records(&dev, acked, 1, false, &out));
    if (!rc) {
      char line[128];
      msg_fmt(line, sizeof(line), MSG_STATUS_LAST, when);
      rc = buf_printf(&out, "%s", line);
    }
    if (!rc && brought >= 0) {
      size_t before = out.len;
      rc = buf_printf(&out, "%s", msg(MSG_STATUS_BROUGHT));
      rc = rc || status_records(&dev, brought, 2, false, &out);
      if (!rc && out.len == before + strlen(msg(MSG_STATUS_BROUGHT)))
        out.len = before; /* nothing came: no heading */
    }
    rc = rc || cbundle_status(dev.st, false, &out);
  }
  if (!rc)
    fwrite(out.data, 1, out.len, stdout);
  buf_cleanup(&out);
  local_close(&dev);
  return rc ? cli_fail(EXIT_ERROR, msg(MSG_STORE_READ)) : EXIT_OK;
}

/* "xã Hòa An" for |slug|, from the built-in list of the district's
 * communes; the slug itself for a commune not in it. */
static void commune_name(const char *slug, char *out, size_t cap) {
  const char *p = communes_tsv;
  size_t n = strlen(slug);
  snprintf(out, cap, "%s", slug);
  for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
    const char *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    const char *end = strchr(p, '\n');
    if (!end)
      end = p + strlen(p);
    if (t1 && t2 && t2 < end && (size_t)(t1 - p) == n && !strncmp(p, slug, n)) {
      snprintf(out, cap, "%.*s %.*s", (int)(end - t2 - 1), t2 + 1,
               (int)(t2 - t1 - 1), t1 + 1);
      return;
    }
  }
}

int cmd_report(const struct args *a) {
  static const char *const allowed[] = {"from",   "to",    "format", "as-of",
                                        "number", "place", "signer", "position",
                                        "issuer", NULL};
  struct repfig_opts o = {0};
  struct report_doc doc = {0};
  struct repfig *f = NULL;
  struct device dev;
  const char *v;
  char err[DS_ERRBUF_LEN], from[11], to[11], as_of[11], today[11], name[160];
  int64_t last = 0;
  int rc, fmt;

  rc = cli_only(a, "report", allowed);
  if (rc)
    return rc;
  fmt = report_format_parse(args_get(a, "format") ? args_get(a, "format")
                                                  : "text");
  if (fmt < 0)
    return cli_fail(EXIT_ERROR, msg(MSG_BAD_FORMAT));
  query_today(today);
  memcpy(as_of, today, sizeof(as_of));
  if (((v = args_get(a, "from")) && !query_date_parse(v, from)) ||
      ((v = args_get(a, "to")) && !query_date_parse(v, to)) ||
      ((v = args_get(a, "as-of")) && !query_date_parse(v, as_of)))
    return cli_fail(EXIT_ERROR, msg(MSG_BAD_PERIOD_DATE));
  /* A laptop keeps no log of when it received what: only today. */
  if (strcmp(as_of, today) != 0)
    return cli_fail(EXIT_ERROR, msg(MSG_AS_OF_TODAY));
  o.from = args_get(a, "from") ? from : NULL;
  o.to = args_get(a, "to") ? to : NULL;
  if (o.from && o.to && strcmp(o.from, o.to) > 0)
    return cli_fail(EXIT_ERROR, msg(MSG_REVERSED_PERIOD));
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  if (dev.district) {
    local_close(&dev);
    return cli_fail(EXIT_ERROR, msg(MSG_DISTRICT_REPORT));
  }
  if (store_meta_get_int(dev.st, "last_sync_ms", &last))
    last = 0;
  commune_name(dev.commune, name, sizeof(name));
  o.as_of = as_of;
  o.commune = dev.commune;
  o.device = true;
  o.commune_name = name;
  o.last_sync_ms = last;
  doc.issuer =
      args_get(a, "issuer") ? args_get(a, "issuer") : "ỦY BAN NHÂN DÂN";
  doc.number = args_get(a, "number");
  doc.place = args_get(a, "place");
  doc.signer = args_get(a, "signer");
  doc.position = args_get(a, "position");
  doc.date = as_of;
  rc = repfig_compute(dev.st, &o, &f, err);
  if (!rc)
    rc = report_write(f, &doc, (enum report_format)fmt, stdout, err);
  repfig_free(f);
  local_close(&dev);
  return rc ? cli_fail(EXIT_ERROR, err) : EXIT_OK;
}

int cmd_digest(const struct args *a) {
  static const char *const allowed[] = {"commune", NULL};
  struct device dev;
  char hex[65];
  int rc;

  rc = cli_only(a, "digest", allowed);
  if (rc)
    return rc;
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  rc = store_digest(dev.st, args_get(a, "commune"), hex);
  local_close(&dev);
  if (rc)
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_READ));
  printf("%s\n", hex);
  return EXIT_OK;
}
