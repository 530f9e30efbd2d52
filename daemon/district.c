/* SPDX-License-Identifier: MIT
 * district.c -- district store setup, devices and admin changes. */
#include "daemon/district.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "daemon/bundle.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/meta.h"
#include "common/edit.h"
#include "common/store.h"
#include "daemon/communes_tsv.h"
#include "daemon/ingest.h"
#include "daemon/registry.h"
#include "daemon/users.h"
#include "proto/codec.h"

#define TOKEN_TTL_MS (7ull * 24 * 3600 * 1000)

static int read_file(const char *path, struct buf *out, char *errbuf) {
  FILE *f = fopen(path, "rb");
  char chunk[4096];
  size_t n;
  int rc = 0;
  if (!f)
    return ds_fail(errbuf, DS_ENOENT, "cannot read %s", path);
  while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    rc = buf_append(out, chunk, n);
  fclose(f);
  return rc ? rc : buf_cstr(out);
}

int district_open(struct store **out, const char *path, char *errbuf) {
  struct buf b;
  int rc = store_open(out, path, 0, errbuf);
  if (rc == DS_ENOENT)
    return ds_fail(errbuf, rc,
                   "there is no district store at %s; create one with: "
                   "dansyncd --db %s init",
                   path, path);
  if (rc)
    return rc;
  buf_init(&b, 0);
  rc = meta_get(*out, META_DISTRICT_NODE, &b);
  buf_cleanup(&b);
  if (!rc && users_init(*out)) { /* i19: the dashboard's accounts */
  }
  if (rc) {
    store_close(*out);
    return ds_fail(errbuf, DS_EINVAL,
                   "%s is not a district store (it has no district key)", path);
  }
  return 0;
}

int district_create(struct store **out, const char *path,
                    const char *communes_file, char *errbuf) {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t node[ID_LEN];
  struct store *st;
  struct buf b;
  int rc;

  buf_init(&b, 0);
  if (communes_file) {
    rc = read_file(communes_file, &b, errbuf);
    if (rc)
      goto done;
  }
  rc =
      store_open(&st, path, STORE_CREATE | STORE_EXCL | STORE_DISTRICT, errbuf);
  if (rc == DS_EEXIST)
    ds_fail(errbuf, rc, "a district store already exists at %s", path);
  if (rc)
    goto done;
  crypto_sign_keypair(pk, sk);
  id_random(node);
  rc = store_begin(st);
  if (!rc)
    rc = registry_communes_load(
        st, communes_file ? (char *)b.data : communes_tsv, errbuf);
  if (!rc)
    rc = meta_set(st, META_DISTRICT_NODE, node, ID_LEN);
  if (!rc)
    rc = meta_set(st, META_DISTRICT_SK, sk, sizeof(sk));
  if (!rc)
    rc =
        registry_node_add(st, node, pk, sizeof(pk), "district",
                          "district (admin commands)", (int64_t)clock_now_ms());
  sodium_memzero(sk, sizeof(sk));
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  if (rc) {
    store_close(st);
    unlink(path);
    if (rc != DS_EINVAL)
      ds_fail(errbuf, rc, "cannot set up the district store at %s", path);
    goto done;
  }
  *out = st;
done:
  buf_cleanup(&b);
  return rc;
}

int district_enroll(struct store *st, const char *commune, const char *label,
                    char token[65], char *errbuf) {
  uint8_t raw[32], hash[32];
  uint64_t now = clock_now_ms();
  bool known = true;
  int rc = strcmp(commune, "district")
               ? registry_commune_known(st, commune, &known)
               : 0;

  if (rc)
    return ds_fail(errbuf, rc, "could not read the district's communes");
  if (!known)
    return ds_fail(errbuf, DS_ENOENT,
                   "'%s' is not a commune of this district (see 'dansyncd "
                   "report' for the list)",
                   commune);
  randombytes_buf(raw, sizeof(raw));
  hex_encode(token, raw, sizeof(raw));
  crypto_generichash(hash, sizeof(hash), (const uint8_t *)token, 64, NULL, 0);
  rc = registry_token_add(st, hash, commune, label, (int64_t)now,
                          (int64_t)(now + TOKEN_TTL_MS));
  return rc ? ds_fail(errbuf, rc, "could not store the token") : 0;
}

void district_fmt_time(int64_t ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0) {
    snprintf(out, cap, "never");
    return;
  }
  gmtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The node's last sync came by USB bundle (daemon/bundle.c). */
static bool by_bundle(struct store *st, const struct registry_node *n) {
  int64_t ms = bundle_last_import(st, n->node);
  return ms > 0 && ms >= n->last_sync_ms;
}

int district_list_begin(struct district_list *l, bool json,
                        const char *header) {
  buf_init(&l->b, 0);
  l->json = json;
  l->n = 0;
  return json ? buf_putc(&l->b, '[') : buf_printf(&l->b, "%s\n", header);
}

int district_list_end(struct district_list *l, int rc, FILE *out) {
  if (!rc && l->json)
    rc = buf_printf(&l->b, l->n ? "\n]\n" : "]\n");
  if (!rc)
    fwrite(l->b.data, 1, l->b.len, out);
  buf_cleanup(&l->b);
  return rc;
}

struct node_list {
  struct district_list l;
  struct store *st;
};

static int node_row(void *arg, const struct registry_node *nd) {
  struct node_list *nl = arg;
  struct district_list *l = &nl->l;
  struct buf *b = &l->b;
  char node[ID_HEX_LEN + 1], enrolled[32], last[32];
  int rc;

  hex_encode(node, nd->node, ID_LEN);
  district_fmt_time(nd->enrolled_ms, enrolled, sizeof(enrolled));
  district_fmt_time(nd->last_sync_ms, last, sizeof(last));
  if (l->json) {
    rc = buf_printf(b,
                    "%s\n  {\"node\": \"%s\", \"commune\": \"%s\", "
                    "\"label\": ",
                    l->n ? "," : "", node, nd->commune);
    rc = rc || json_str(b, nd->label, strlen(nd->label));
    rc = rc || buf_printf(b,
                          ", \"enrolled\": \"%s\", \"last_sync\": %s%s%s, "
                          "\"acked\": %lld, \"revoked\": %s, "
                          "\"last_sync_by\": \"%s\"}",
                          enrolled, nd->last_sync_ms ? "\"" : "",
                          nd->last_sync_ms ? last : "null",
                          nd->last_sync_ms ? "\"" : "", (long long)nd->acked,
                          nd->revoked_ms ? "true" : "false",
                          by_bundle(nl->st, nd) ? "bundle" : "network");
  } else {
    rc = buf_printf(b, "%-32s  %-16s %-20s %-20s %6lld  %s%s%s\n", node,
                    nd->commune, enrolled, last, (long long)nd->acked,
                    nd->label, nd->revoked_ms ? " [revoked]" : "",
                    by_bundle(nl->st, nd) ? " [synced by bundle]" : "");
  }
  l->n++;
  return rc;
}

int district_node_list(struct store *st, bool json, FILE *out) {
  char head[128];
  struct node_list nl = {.st = st};
  int rc;

  snprintf(head, sizeof(head), "%-32s  %-16s %-20s %-20s %6s  %s", "node",
           "commune", "enrolled", "last sync", "acked", "label");
  rc = district_list_begin(&nl.l, json, head);
  if (!rc)
    rc = registry_nodes_each(st, NULL, NULL, node_row, &nl);
  return district_list_end(&nl.l, rc, out);
}

int district_node_revoke(struct store *st, const char *node_hex, char *errbuf) {
  uint8_t lo[ID_LEN], hi[ID_LEN];
  int n, rc;

  if (id_prefix_range(node_hex, lo, hi))
    return ds_fail(errbuf, DS_EINVAL,
                   "'%s' is not a node id (give 8 to 32 hex digits)", node_hex);
  rc = registry_node_revoke(st, lo, hi, (int64_t)clock_now_ms(), &n);
  if (rc)
    return ds_fail(errbuf, rc, "could not revoke the device");
  if (n == 0)
    return ds_fail(errbuf, DS_ENOENT, "no device has node id %s", node_hex);
  if (n > 1)
    return ds_fail(errbuf, DS_EAMBIGUOUS,
                   "node id %s matches %d devices; give more digits", node_hex,
                   n);
  return 0;
}

int district_quarantine_list(struct store *st, bool json, FILE *out) {
  sqlite3_stmt *s;
  struct buf b;
  int rc = 0, n = 0;

  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT q.id, lower(hex(q.node)), coalesce(n.commune,"
                         " '?'), q.seq, q.error, q.message, l.received_ms "
                         "FROM quarantine q LEFT JOIN node n ON n.node = "
                         "q.node LEFT JOIN synclog l ON l.seq = q.entry "
                         "ORDER BY q.id",
                         -1, &s, NULL))
    return DS_EIO;
  buf_init(&b, 0);
  if (json)
    rc = buf_putc(&b, '[');
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    char when[32];
    const char *msg = (const char *)sqlite3_column_text(s, 5);
    district_fmt_time(sqlite3_column_int64(s, 6), when, sizeof(when));
    if (json) {
      rc = buf_printf(&b,
                      "%s\n  {\"id\": %lld, \"node\": \"%s\", \"commune\": "
                      "\"%s\", \"seq\": %lld, \"error\": \"%s\", "
                      "\"message\": ",
                      n ? "," : "", (long long)sqlite3_column_int64(s, 0),
                      sqlite3_column_text(s, 1), sqlite3_column_text(s, 2),
                      (long long)sqlite3_column_int64(s, 3),
                      sqlite3_column_text(s, 4));
      rc = rc || json_str(&b, msg, strlen(msg));
      rc = rc || buf_printf(&b, ", \"received\": \"%s\"}", when);
    } else {
      rc = buf_printf(&b, "%lld  %s  %s  node %.16s  op %lld  %s: %s\n",
                      (long long)sqlite3_column_int64(s, 0), when,
                      sqlite3_column_text(s, 2), sqlite3_column_text(s, 1),
                      (long long)sqlite3_column_int64(s, 3),
                      sqlite3_column_text(s, 4), msg);
    }
    n++;
  }
  if (!rc && json)
    rc = buf_printf(&b, n ? "\n]\n" : "]\n");
  else if (!rc && n == 0)
    rc = buf_printf(&b, "No quarantined ops.\n");
  sqlite3_finalize(s);
  if (!rc)
    fwrite(b.data, 1, b.len, out);
  buf_cleanup(&b);
  return rc;
}

int district_submit(struct store *st, district_build_cb build, void *arg,
                    char *errbuf) {
  uint8_t sk[crypto_sign_SECRETKEYBYTES], node[ID_LEN];
  struct buf b;
  int rc;

  buf_init(&b, 0);
  rc = meta_get(st, META_DISTRICT_NODE, &b);
  if (!rc && b.len == ID_LEN)
    memcpy(node, b.data, ID_LEN);
  if (!rc)
    rc = meta_get(st, META_DISTRICT_SK, &b);
  if (!rc && b.len == sizeof(sk))
    memcpy(sk, b.data, sizeof(sk));
  else if (!rc)
    rc = DS_ECORRUPT;
  sodium_memzero(b.data, b.len);
  buf_cleanup(&b);
  if (rc)
    return ds_fail(errbuf, rc, "the district store has no district key");
  rc = district_submit_as(st, node, sk, build, arg, errbuf);
  sodium_memzero(sk, sizeof(sk));
  return rc;
}

int district_submit_as(struct store *st, const uint8_t node[ID_LEN],
                       const uint8_t sk[64], district_build_cb build, void *arg,
                       char *errbuf) {
  struct ingest_req rq = {0};
  struct proto_req hdr = {0};
  struct ingest_res rs;
  struct ingest *ing = NULL;
  struct buf b, ops;
  struct op op;
  int64_t acked = 0;
  int rc;

  buf_init(&b, 0);
  buf_init(&ops, 0);
  ingest_res_init(&rs);
  memset(&op, 0, sizeof(op));
  memcpy(op.node, node, ID_LEN);
  rc = registry_node_acked(st, op.node, &acked);
  op.seq = (uint64_t)acked + 1;
  if (!rc)
    rc = store_hlc_tick(st, &op.hlc);
  if (!rc)
    rc = build(st, &op, arg, errbuf);
  if (rc)
    goto done;
  rc = proto_op_encode(&ops, &op, false);
  memcpy(hdr.node, op.node, ID_LEN);
  hdr.ts = clock_now_ms();
  hdr.hlc = op.hlc;
  hdr.limit = 1;
  buf_reset(&b);
  if (!rc)
    rc = proto_req_encode(&b, &hdr, ops.data, ops.len, 1);
  if (rc)
    goto done;
  rq.body = b.data;
  rq.len = b.len;
  rq.has_node = rq.has_sig = true;
  memcpy(rq.node, op.node, ID_LEN);
  crypto_sign_detached(rq.sig, NULL, b.data, b.len, sk);
  rq.received_ms = clock_now_ms();
  rq.max_skew_ms = 3600 * 1000;
  rc = ingest_open(&ing, st);
  if (!rc)
    rc = ingest_sync(ing, &rq, &rs);
  if (!rc && rs.status != 200) {
    char code[32], msg[256];
    bool has;
    uint64_t exp;
    if (proto_error_decode(rs.body.data, rs.body.len, code, sizeof(code), msg,
                           sizeof(msg), &has, &exp))
      snprintf(msg, sizeof(msg), "status %d", rs.status);
    rc = ds_fail(errbuf, DS_EUNAVAIL, "the change was not stored: %s", msg);
  } else if (!rc && rs.merged + rs.quarantined == 0) {
    rc = ds_fail(errbuf, DS_EBUSY,
                 "another admin command changed the store at the same "
                 "moment; nothing was stored, run the command again");
  } else if (!rc && rs.quarantined) {
    struct proto_resp resp;
    struct proto_rejected r;
    char e2[DS_ERRBUF_LEN];
    rc = DS_EBADOP;
    if (proto_resp_decode(&resp, rs.body.data, rs.body.len, e2) == 0) {
      if (proto_resp_rejected(&resp, 0, &r) == 0)
        ds_fail(errbuf, rc, "the change was refused: %.*s", (int)r.message_len,
                r.message);
      proto_resp_cleanup(&resp);
    }
  }
done:
  ingest_close(ing);
  ingest_res_cleanup(&rs);
  buf_cleanup(&b);
  buf_cleanup(&ops);
  return rc;
}

int district_build_resolve(struct store *st, struct op *op, void *arg,
                           char *errbuf) {
  struct district_resolve *r = arg;
  return edit_resolve(st, op, r->rid, r->field, &r->keep, &r->val, errbuf);
}
