/* SPDX-License-Identifier: MIT
 * audit.c -- the sync log looked back on: show, export, replay. The
 * conflicts are audit_conflict.c's. */
#include "daemon/audit.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <uv.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/files.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/json.h"
#include "common/merge.h"
#include "common/meta.h"
#include "common/store.h"
#include "common/synclog.h"
#include "daemon/answer.h"
#include "daemon/audit_int.h"
#include "daemon/dmsg.h"
#include "common/textout.h"
#include "daemon/district.h"
#include "daemon/ingest.h"
#include "daemon/loghead.h"
#include "daemon/oplog.h"
#include "daemon/registry.h"
#include "proto/codec.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int y, int m, int d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int audit_parse_time(const char *s, int64_t *ms) {
  struct tm tm;
  int n = 0;
  char *end;
  long long v;

  memset(&tm, 0, sizeof(tm));
  if (strlen(s) >= 10 && s[4] == '-' && s[7] == '-') {
    if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) !=
            3 ||
        !schema_date_ok(s, 10))
      return DS_EINVAL;
    if (s[n] == 'T' || s[n] == ' ') {
      int m = 0;
      if (sscanf(s + n + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &m) != 2)
        return DS_EINVAL;
      n += 1 + m;
      if (s[n] == ':') {
        if (sscanf(s + n + 1, "%2d%n", &tm.tm_sec, &m) != 1)
          return DS_EINVAL;
        n += 1 + m;
      }
      if (s[n] == 'Z')
        n++;
    }
    if (s[n] || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
      return DS_EINVAL;
    *ms = ((days_from_civil(tm.tm_year, tm.tm_mon, tm.tm_mday) * 24 +
            tm.tm_hour) *
               60 +
           tm.tm_min) *
              60000 +
          (int64_t)tm.tm_sec * 1000;
    return 0;
  }
  v = strtoll(s, &end, 10);
  if (*s == '\0' || *end || v < 0)
    return DS_EINVAL;
  *ms = v;
  return 0;
}

/* ---- log show ---- */

void audit__value_text(struct buf *b, const struct value *v) {
  char hex[2 * ID_LEN + 1];
  int rc = 0;
  switch (v->type) {
  case VAL_NIL: rc = buf_printf(b, "-"); break;
  case VAL_BOOL:
  case VAL_INT: rc = buf_printf(b, "%lld", (long long)v->i); break;
  case VAL_STR: rc = textout_escaped(b, v->s, v->n); break;
  case VAL_BIN:
    hex_encode(hex, (const uint8_t *)v->s, v->n == ID_LEN ? ID_LEN : 0);
    rc = buf_printf(b, "%s", hex);
    break;
  case VAL_STATUS:
    rc = buf_printf(b, "%.*s(gen %lld)", (int)v->n, v->s, (long long)v->i);
    break;
  }
  (void)rc;
}

/* Appends |text| (|n| bytes, escaped already) wrapped to lines of at most
 * |width| characters, breaking at a space where one is near, each line
 * after the first indented by |indent| spaces. */
static int wrap(struct buf *b, const char *text, size_t n, int width,
                int indent) {
  size_t start = 0;
  int rc = 0;
  while (!rc && start < n) {
    size_t end = start, space = 0;
    int chars = 0;
    while (end < n && chars < width) {
      if (text[end] == ' ')
        space = end;
      end++;
      while (end < n && ((unsigned char)text[end] & 0xc0) == 0x80)
        end++;
      chars++;
    }
    if (end < n && space > start + (size_t)width / 2)
      end = space + 1;
    if (start)
      rc = buf_printf(b, "\n%*s", indent, "");
    rc = rc || buf_append(b, text + start, end - start);
    start = end;
  }
  return rc;
}

int audit_log_show(struct store *st, const struct log_filter *f, bool json,
                   FILE *out) {
  struct oplog_filter of = {f->node_lo, f->node_hi,  f->commune, f->rid_lo,
                            f->rid_hi,  f->since_ms, f->until_ms};
  struct oplog_iter it;
  struct oplog_entry oe;
  struct buf b;
  int n = 0, step = 0, rc = oplog_iter_open(&it, store_sqlite(st), &of);

  if (rc)
    return rc;
  buf_init(&b, 0);
  if (json)
    rc = buf_putc(&b, '[');
  while (!rc && (step = oplog_iter_next(&it, &oe)) == 1) {
    const struct entity_def *e;
    char when[32], made[32], ridhex[ID_HEX_LEN + 1], e2[DS_ERRBUF_LEN];
    char nodehex[ID_HEX_LEN + 1];
    time_t t = (time_t)(oe.received_ms / 1000);
    const char *label = oe.label;
    struct tm tm;
    void *priv;
    struct op op;

    if (proto_op_decode(oe.op, oe.len, &op, false, &priv, e2))
      continue;
    hex_encode(nodehex, oe.node, ID_LEN);
    e = schema_entity(op.ent);
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    t = (time_t)(HLC_MS(op.hlc) / 1000);
    gmtime_r(&t, &tm);
    strftime(made, sizeof(made), "%Y-%m-%dT%H:%M:%SZ", &tm);
    hex_encode(ridhex, op.rid, ID_LEN);
    if (json) {
      rc = buf_printf(&b,
                      "%s\n  {\"entry\": %lld, \"received\": \"%s\", "
                      "\"made\": \"%s\", \"node\": \"%s\", \"label\": ",
                      n ? "," : "", (long long)oe.entry, when, made, nodehex);
      rc = rc || json_str(&b, label, strlen(label));
      rc = rc || buf_printf(&b,
                            ", \"commune\": \"%s\", \"seq\": %llu, \"hlc\": "
                            "%llu, \"entity\": \"%s\", \"id\": \"%s\", "
                            "\"set\": {",
                            oe.commune, (unsigned long long)op.seq,
                            (unsigned long long)op.hlc, e->name, ridhex);
      for (int i = 0; i < op.nset && !rc; i++) {
        rc = buf_printf(&b, "%s\"%s\": ", i ? ", " : "",
                        e->fields[op.set[i].field].name);
        rc = rc || json_value(&b, &op.set[i].val);
      }
      rc = rc || buf_printf(&b, "}}");
    } else {
      /* When the officer made it (the op's clock) and when the district
       * received it; then one field a line, wrapped within 100 columns. */
      char line[256];
      dmsg_fmt(line, sizeof(line), DM_LOG_ROW, made, ridhex + ID_HEX_LEN - 8,
               when, (long long)oe.entry, nodehex, *label ? " " : "");
      rc = buf_append(&b, line, strlen(line));
      rc = rc || textout_escaped(&b, label, strlen(label));
      rc = rc || buf_printf(&b, " (%s)  %s %s\n", oe.commune, e->name, ridhex);
      for (int i = 0; i < op.nset && !rc; i++) {
        struct buf v;
        buf_init(&v, 0);
        audit__value_text(&v, &op.set[i].val);
        rc = buf_printf(&b, "    %-13s ", e->fields[op.set[i].field].name);
        rc = rc || wrap(&b, (const char *)v.data, v.len, 82, 18);
        rc = rc || buf_putc(&b, '\n');
        buf_cleanup(&v);
      }
    }
    proto_op_release(priv);
    n++;
  }
  oplog_iter_close(&it);
  if (!rc && step < 0)
    rc = step;
  if (!rc && json)
    rc = buf_printf(&b, n ? "\n]\n" : "]\n");
  if (!rc)
    fwrite(b.data, 1, b.len, out);
  buf_cleanup(&b);
  return rc;
}

/* ---- export and replay ---- */

static int exec(sqlite3 *db, const char *sql, char *errbuf) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
    return 0;
  ds_fail(errbuf, DS_EIO, "%s", msg ? msg : "SQLite error");
  sqlite3_free(msg);
  return DS_EIO;
}

int audit_log_export(struct store *st, const char *path, int64_t *entries,
                     char *errbuf) {
  sqlite3 *db = store_sqlite(st);
  char *sql, plain[FILES_PATH_MAX];
  int rc;

  if (!files_plain(path, plain, sizeof(plain)))
    return dmsg_fail(errbuf, DS_EINVAL, DM_EXPORT_PATH_LONG);
  /* A new 0600 file, never an existing one or a symlink's target. */
  rc = files_create_private(path, errbuf);
  if (rc)
    return rc;
  sql = sqlite3_mprintf("ATTACH %Q AS x", plain);
  rc = exec(db, sql, errbuf);
  sqlite3_free(sql);
  if (rc)
    return rc;
  /* One read transaction: the export is a consistent cut of the log. */
  rc = exec(db, "BEGIN", errbuf);
  if (!rc) {
    uint8_t dn[ID_LEN];
    bool has_dn = meta_get_exact(st, META_DISTRICT_NODE, dn, ID_LEN) == 0;
    rc = loghead_info_create(db, "x", has_dn ? dn : NULL);
    if (!rc)
      rc = registry_copy_to(db, "x");
    if (!rc)
      rc = synclog_copy_to(db, "x");
    if (rc)
      rc = ds_fail(errbuf, rc, "%s", sqlite3_errmsg(db));
  }
  if (!rc) { /* the district's signed head (loghead.c) */
    uint8_t sk[DSIG_SK_LEN];
    rc = answer_key_load(st, sk, errbuf);
    if (!rc)
      rc = loghead_sign(db, sk, errbuf);
    sodium_memzero(sk, sizeof(sk));
  }
  if (!rc)
    rc = exec(db, "COMMIT", errbuf);
  if (rc)
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  *entries = 0;
  if (!rc && synclog_count_in(db, "x", -1, entries))
    rc = dmsg_fail(errbuf, DS_EUNAVAIL, DM_EXPORT_COUNT);
  sqlite3_exec(db, "DETACH x", NULL, NULL, NULL);
  if (rc)
    unlink(path);
  return rc;
}

/* One log entry read for replay, and what can be done with it before its
 * turn: its body's hash and its signature, on a second thread while the
 * entry before it merges (as serve's prep step does). */
struct pending {
  struct buf body;
  struct ingest_req rq;
  bool has_pk;
  uint8_t pk[32]; /* the node's key in the source store */
};

static void pending_prep(void *arg) {
  struct pending *p = arg;
  ingest_req_prep(&p->rq, p->has_pk ? p->pk : NULL);
}

/* Reads the next entry of |s| into |p|: 0, 1 when there is none, or an
 * error (|n| is the entry's number). */
static int pending_read(struct synclog_scan *s, struct pending *p, int64_t n,
                        char *errbuf) {
  struct ingest_req *rq = &p->rq;
  struct synclog_row r;
  int rc = synclog_scan_next(s, &r);

  if (rc == 0)
    return 1;
  if (rc != 1 && rc != DS_ECORRUPT)
    return dmsg_fail(errbuf, DS_EIO, DM_LOG_ENTRY_READ, (long long)n);
  if (rc == DS_ECORRUPT)
    return dmsg_fail(errbuf, DS_ECORRUPT, DM_LOG_ENTRY_BAD, (long long)n);
  memset(rq, 0, sizeof(*rq));
  memcpy(rq->node, r.node, ID_LEN);
  memcpy(rq->sig, r.sig, SYNCLOG_SIG_LEN);
  rq->has_node = rq->has_sig = true;
  rq->received_ms = r.received_ms;
  buf_reset(&p->body);
  rc = buf_append(&p->body, r.body, r.len);
  if (rc)
    return rc;
  rq->body = p->body.data;
  rq->len = p->body.len;
  rq->replay = true;
  p->has_pk = r.pk != NULL;
  if (p->has_pk)
    memcpy(p->pk, r.pk, sizeof(p->pk));
  return 0;
}

int audit_log_replay(const char *from, const char *into, int64_t until_ms,
                     FILE *progress, char digest[65], int64_t *ops,
                     char *errbuf) {
  struct ingest *ing = NULL;
  struct ingest_res rs;
  struct store *st = NULL;
  sqlite3 *db;
  struct synclog_scan s = {NULL};
  sqlite3_stmt *pin = NULL;
  struct pending pend[2];
  char uri[3 * FILES_PATH_MAX + 16];
  char *sql;
  int64_t n = 0, total = 0;
  int rc, more;
  bool is_export;

  *ops = 0;
  if (access(from, R_OK) != 0)
    return dmsg_fail(errbuf, DS_ENOENT, DM_CANNOT_READ, from);
  if (access(into, F_OK) == 0)
    return dmsg_fail(errbuf, DS_EEXIST, DM_REPLAY_EXISTS, into);
  rc =
      store_open(&st, into, STORE_CREATE | STORE_EXCL | STORE_DISTRICT, errbuf);
  if (rc)
    return rc;
  db = store_sqlite(st);
  /* The new file is deleted if replay fails, so it is built without a
   * journal, and made durable once, at the end (back in WAL mode). */
  rc = exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", errbuf);
  /* As the writer has. A larger cache only grows into fresh memory, and
   * its page faults cost more than the reads it saves (256 MiB: 86k ops/s
   * on a 300k-op replay; 16 MiB: 133k). */
  store_set_cache_kib(st, 16 * 1024);
  /* Read-only: a transaction here takes a write lock on every database
   * it can write, and serve may be writing the source (a report --as-of
   * replays the live store). |uri| holds any real path (PATH_MAX), so
   * only a path that does not resolve fails here. */
  if (!rc && !files_uri_ro(from, uri, sizeof(uri)))
    rc = dmsg_fail(errbuf, DS_ENOENT, DM_CANNOT_READ, from);
  sql = rc ? NULL : sqlite3_mprintf("ATTACH %Q AS src", uri);
  if (!rc)
    rc = sql ? exec(db, sql, errbuf) : dmsg_fail(errbuf, DS_ENOMEM, DM_OOM);
  sqlite3_free(sql);
  /* One cut of the source: a statement stepped once and kept open holds
   * one read transaction on it for the whole replay. The export's check,
   * the registry, the entries and the revocations are all read in it. */
  if (!rc && (sqlite3_prepare_v2(db, "SELECT 1 FROM src.sqlite_schema", -1,
                                 &pin, NULL) != SQLITE_OK ||
              sqlite3_step(pin) != SQLITE_ROW))
    rc = dmsg_fail(errbuf, DS_EIO, DM_NO_LOG_IN, from);
  if (!rc && synclog_scan_open(&s, db, "src", until_ms))
    rc = dmsg_fail(errbuf, DS_EIO, DM_NO_LOG_IN, from);
  ingest_res_init(&rs);
  buf_init(&pend[0].body, 0);
  buf_init(&pend[1].body, 0);
  more = rc ? 1 : pending_read(&s, &pend[0], 1, errbuf);
  if (more < 0 || more > 1)
    rc = more;
  /* An export is checked against the head the district signed in it: the
   * attached file, in the read transaction the replay reads, so the file
   * checked is the file replayed even if its name is pointed elsewhere
   * meanwhile. */
  is_export = !rc && loghead_is_export_in(db, "src");
  if (is_export &&
      loghead_check_in(db, "src", from, NULL, 0, NULL, &total, errbuf))
    rc = DS_ECORRUPT;
  total = 0;
  /* The source is a district store (meta) or an export (info). */
  if (!rc)
    rc = exec(db, "BEGIN", errbuf);
  if (!rc && registry_copy_from(db, "src")) {
    rc = ds_fail(errbuf, DS_EIO, "%s", sqlite3_errmsg(db));
    db_rollback(db);
  }
  if (!rc)
    rc = exec(db, "COMMIT", errbuf);
  if (!rc) {
    uint8_t dn[ID_LEN];
    rc = is_export
             ? loghead_district_node(db, "src", dn)
             : meta_get_exact_in(db, "src", META_DISTRICT_NODE, dn, ID_LEN);
    if (!rc)
      rc = meta_set(st, META_DISTRICT_NODE, dn, ID_LEN);
    else if (rc == DS_ENOENT || rc == DS_ECORRUPT)
      rc = 0; /* none of a node's length: the district keeps none */
    else
      rc = dmsg_fail(errbuf, rc, DM_NO_KEY_IN, from);
  }
  if (!rc)
    rc = ingest_open(&ing, st);
  if (!rc && synclog_count_in(db, "src", until_ms, &total))
    rc = dmsg_fail(errbuf, DS_EIO, DM_NO_LOG_IN, from);
  /* Entry n merges while entry n + 1 is hashed and verified. */
  if (!rc && !more)
    pending_prep(&pend[0]);
  while (!rc && !more) {
    struct pending *p = &pend[n % 2], *q = &pend[(n + 1) % 2];
    uv_thread_t t;
    bool started = false;
    int next = pending_read(&s, q, n + 2, errbuf);
    if (next == 0)
      started = uv_thread_create(&t, pending_prep, q) == 0;
    rc = ingest_sync(ing, &p->rq, &rs);
    if (!rc && rs.status != 200)
      rc = dmsg_fail(errbuf, DS_ECORRUPT, DM_REPLAY_REFUSED, (long long)n + 1,
                     rs.error);
    if (started)
      uv_thread_join(&t);
    else if (next == 0)
      pending_prep(q);
    *ops += rs.merged + rs.quarantined;
    n++;
    if (progress && (n % 1000 == 0 || n == total))
      dmsg_print(progress, DM_REPLAY_PROGRESS, (long long)n, (long long)total,
                 (long long)*ops);
    if (!rc && next != 0 && next != 1)
      rc = next;
    more = next;
  }
  if (progress && n)
    fputc('\n', progress);
  buf_cleanup(&pend[0].body);
  buf_cleanup(&pend[1].body);
  ingest_res_cleanup(&rs);
  synclog_scan_close(&s);
  ingest_close(ing);
  if (!rc && registry_revocations_from(db, "src"))
    rc = ds_fail(errbuf, DS_EIO, "%s", sqlite3_errmsg(db));
  sqlite3_finalize(pin);
  sqlite3_exec(db, "DETACH src", NULL, NULL, NULL);
  if (!rc)
    rc = exec(db, "PRAGMA synchronous = FULL; PRAGMA journal_mode = WAL",
              errbuf);
  if (!rc && digest)
    rc = store_digest(st, NULL, digest);
  store_close(st);
  if (rc)
    unlink(into);
  return rc;
}
