/* SPDX-License-Identifier: MIT
 * cli_info.c -- dansync status, digest and report: what the device holds
 * and what it has not yet sent, without changing anything. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/cbundle.h"
#include "client/cli_int.h"
#include "client/communes_tsv.h"
#include "common/device.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/meta.h"
#include "common/query.h"
#include "common/repfig.h"
#include "common/report.h"
#include "common/textout.h"
#include "common/vnenum.h"

/* A text meta value, or "" when absent. */
static void meta_text(struct store *st, enum meta_key k, char *out,
                      size_t cap) {
  if (meta_get_str(st, k, out, cap))
    out[0] = '\0';
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

/* The records with ops not yet acked, rejected or pulled by the last sync,
 * one line each: short id, entity, a title cut to fit, and the reason. */
static int status_records(struct device *dev, int64_t after,
                          enum device_rec_scan which, bool json,
                          struct buf *out) {
  bool rejected = which == DEVICE_REC_REJECTED;
  struct device_rec_iter *it;
  struct device_rec r;
  int rc, more, k = 0;

  rc = device_rec_open(dev->st, which, after, &it);
  if (rc)
    return rc;
  while (!rc && (more = device_rec_next(it, &r)) == 1) {
    const char *ent = cli_ent_name(r.ent), *sp = strchr(r.title, ' ');
    char sid[9], title[160];
    cli_short_id(sid, r.rid);
    /* A survey's title is its day and service: the service by its label,
     * as lists show it. */
    if (!json && r.ent == ENT_SURVEY && sp) {
      snprintf(title, sizeof(title), "%.*s %s", (int)(sp - r.title), r.title,
               vnenum_label(sp + 1));
      r.title = title;
    }
    if (json) {
      rc = buf_printf(out, "%s{\"id\": \"%s\", \"entity\": \"%s\", \"title\": ",
                      k++ ? ", " : "", sid, schema_entity(r.ent)->name);
      rc = rc || json_str(out, r.title, strlen(r.title));
      if (!rc && rejected) {
        rc = buf_printf(out, ", \"error\": ");
        rc = rc || json_str(out, r.error, strlen(r.error));
        rc = rc || buf_printf(out, ", \"message\": ");
        rc = rc || json_str(out, r.message, strlen(r.message));
      }
      rc = rc || buf_putc(out, '}');
      continue;
    }
    rc = buf_printf(out, "  %s  ", sid);
    rc = rc || textout_cell(out, ent, strlen(ent), 14, 1);
    rc = rc || buf_printf(out, "  ");
    rc = rc || textout_cell(out, r.title, strlen(r.title), 72, 0);
    if (!rc && rejected) {
      rc = buf_printf(out, "\n            %s: ", r.error);
      rc = rc || textout_escaped(out, r.message, strlen(r.message));
    }
    rc = rc || buf_putc(out, '\n');
  }
  if (!rc && more < 0)
    rc = more;
  device_rec_close(it);
  return rc;
}

int cmd_status(const struct args *a) {
  static const char *const allowed[] = {"json", NULL};
  struct device dev;
  char server[512], node[ID_HEX_LEN + 1], when[32];
  char pin[512], cacert[4096], trust[4200];
  int64_t acked, last, brought = -1;
  struct device_counts n;
  bool json = args_has(a, "json");
  struct buf out;
  int rc;

  rc = cli_only(a, "status", allowed);
  if (rc)
    return rc;
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  meta_text(dev.st, META_SERVER, server, sizeof(server));
  meta_text(dev.st, META_PIN, pin, sizeof(pin));
  meta_text(dev.st, META_CACERT, cacert, sizeof(cacert));
  if (*pin)
    msg_fmt(trust, sizeof(trust), MSG_TRUST_PIN_IS, pin);
  else if (*cacert)
    msg_fmt(trust, sizeof(trust), MSG_TRUST_CAFILE_IS, cacert);
  else
    snprintf(
        trust, sizeof(trust), "%s",
        msg(strncmp(server, "https:", 6) ? MSG_TRUST_NONE : MSG_TRUST_SYSTEM));
  acked = meta_int_or_0(dev.st, META_ACKED);
  last = meta_int_or_0(dev.st, META_LAST_SYNC_MS);
  if (meta_get_int(dev.st, META_BROUGHT_FROM, &brought))
    brought = -1;
  hex_encode(node, dev.node, ID_LEN);
  when_text(last, when, sizeof(when));
  buf_init(&out, 0);
  rc = device_outbox_counts(dev.st, (uint64_t)acked, &n);
  if (rc) {
    /* Nothing printed: a count that cannot be read is no count of 0. */
  } else if (json) {
    rc = buf_printf(&out, "{\"commune\": ");
    rc = rc || json_str(&out, dev.commune, strlen(dev.commune));
    rc = rc || buf_printf(&out, ", \"node\": \"%s\", \"server\": ", node);
    rc = rc || json_str(&out, server, strlen(server));
    rc = rc || buf_printf(&out, ", \"trust\": ");
    rc = rc || json_str(&out, trust, strlen(trust));
    rc = rc ||
         buf_printf(&out,
                    ", \"ops\": %lld, \"acked\": %lld, \"queued\": "
                    "%lld, \"unsynced\": [",
                    (long long)n.total, (long long)acked, (long long)n.queued);
    rc = rc || status_records(&dev, acked, DEVICE_REC_UNSYNCED, true, &out);
    rc = rc || buf_printf(&out, "], \"rejected\": [");
    rc = rc || status_records(&dev, acked, DEVICE_REC_REJECTED, true, &out);
    rc = rc || buf_printf(&out, "], \"brought\": [");
    rc = rc || (brought >= 0 &&
                status_records(&dev, brought, DEVICE_REC_PULLED, true, &out));
    rc = rc || buf_printf(&out, "], \"last_sync\": %s%s%s", last ? "\"" : "",
                          last ? when : "null", last ? "\"" : "");
    rc = rc || cbundle_status(dev.st, true, &out);
    rc = rc || buf_printf(&out, "}\n");
  } else {
    char head[8192];
    msg_fmt(head, sizeof(head), MSG_STATUS_HEAD, dev.commune, node, server,
            trust, (long long)n.queued, (long long)n.total, (long long)acked,
            (long long)n.rejected);
    rc = buf_printf(&out, "%s", head);
    if (!rc && n.queued)
      rc = buf_printf(&out, "%s", msg(MSG_STATUS_UNSYNCED));
    rc = rc || (n.queued &&
                status_records(&dev, acked, DEVICE_REC_UNSYNCED, false, &out));
    if (!rc && n.rejected)
      rc = buf_printf(&out, "%s", msg(MSG_STATUS_REJECTED));
    rc = rc || (n.rejected &&
                status_records(&dev, acked, DEVICE_REC_REJECTED, false, &out));
    if (!rc) {
      char line[128];
      msg_fmt(line, sizeof(line), MSG_STATUS_LAST, when);
      rc = buf_printf(&out, "%s", line);
    }
    if (!rc && brought >= 0) {
      size_t before = out.len;
      rc = buf_printf(&out, "%s", msg(MSG_STATUS_BROUGHT));
      rc = rc || status_records(&dev, brought, DEVICE_REC_PULLED, false, &out);
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
  last = meta_int_or_0(dev.st, META_LAST_SYNC_MS);
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
