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
#include "common/textout.h"
#include "daemon/communes_tsv.h"
#include "daemon/dmsg.h"
#include "daemon/ingest.h"
#include "daemon/oplog.h"
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
    return dmsg_fail(errbuf, DS_ENOENT, DM_CANNOT_READ, path);
  while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    rc = buf_append(out, chunk, n);
  fclose(f);
  return rc ? rc : buf_cstr(out);
}

int district_open(struct store **out, const char *path, char *errbuf) {
  struct buf b;
  int rc = store_open(out, path, 0, errbuf);
  if (rc == DS_ENOENT)
    return dmsg_fail(errbuf, rc, DM_NO_DISTRICT_STORE, path, path);
  if (rc)
    return rc;
  buf_init(&b, 0);
  rc = meta_get(*out, META_DISTRICT_NODE, &b);
  buf_cleanup(&b);
  if (!rc && users_init(*out)) { /* i19: the dashboard's accounts */
  }
  if (rc) {
    store_close(*out);
    return dmsg_fail(errbuf, DS_EINVAL, DM_NOT_DISTRICT_STORE, path);
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
    dmsg_fail(errbuf, rc, DM_STORE_EXISTS, path);
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
      dmsg_fail(errbuf, rc, DM_STORE_SETUP, path);
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
    return dmsg_fail(errbuf, rc, DM_READ_COMMUNES);
  if (!known)
    return dmsg_fail(errbuf, DS_ENOENT, DM_NOT_COMMUNE, commune);
  randombytes_buf(raw, sizeof(raw));
  hex_encode(token, raw, sizeof(raw));
  crypto_generichash(hash, sizeof(hash), (const uint8_t *)token, 64, NULL, 0);
  rc = registry_token_add(st, hash, commune, label, (int64_t)now,
                          (int64_t)(now + TOKEN_TTL_MS));
  return rc ? dmsg_fail(errbuf, rc, DM_TOKEN_STORE) : 0;
}

void district_fmt_time(int64_t ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0) {
    snprintf(out, cap, "%s", dmsg(DM_NEVER));
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

int district_list_begin(struct district_list *l, bool json, const int *cols,
                        const int *widths, int n) {
  int rc = 0;
  buf_init(&l->b, 0);
  l->json = json;
  l->n = 0;
  if (json)
    return buf_putc(&l->b, '[');
  for (int i = 0; i < n && !rc; i++) {
    const char *c = dmsg(cols[i]);
    rc = i + 1 < n ? textout_cell(&l->b, c, strlen(c), widths[i], 1)
                   : buf_printf(&l->b, "%s\n", c);
  }
  return rc;
}

int district_list_end(struct district_list *l, int rc, FILE *out) {
  if (!rc && l->json)
    rc = buf_printf(&l->b, l->n ? "\n]\n" : "]\n");
  if (!rc)
    fwrite(l->b.data, 1, l->b.len, out);
  buf_cleanup(&l->b);
  return rc;
}

int district_list_json_row(struct district_list *l, const char *key,
                           const char *id, const char *commune,
                           const char *label) {
  int rc = buf_printf(&l->b,
                      "%s\n  {\"%s\": \"%s\", \"commune\": \"%s\", "
                      "\"label\": ",
                      l->n ? "," : "", key, id, commune);
  return rc || json_str(&l->b, label, strlen(label));
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
    rc = district_list_json_row(l, "node", node, nd->commune, nd->label);
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
    rc = buf_printf(b, "%-32s  %-16s %-20s %-20s %-8lld %s%s%s\n", node,
                    nd->commune, enrolled, last, (long long)nd->acked,
                    nd->label, nd->revoked_ms ? dmsg(DM_TAG_REVOKED) : "",
                    by_bundle(nl->st, nd) ? dmsg(DM_TAG_BUNDLE) : "");
  }
  l->n++;
  return rc;
}

int district_node_list(struct store *st, bool json, FILE *out) {
  static const int cols[] = {DM_COL_NODE,      DM_COL_COMMUNE, DM_COL_ENROLLED,
                             DM_COL_LAST_SYNC, DM_COL_ACKED,   DM_COL_LABEL};
  static const int widths[] = {34, 17, 21, 21, 9, 0};
  struct node_list nl = {.st = st};
  int rc;

  rc = district_list_begin(&nl.l, json, cols, widths, 6);
  if (!rc)
    rc = registry_nodes_each(st, NULL, NULL, node_row, &nl);
  return district_list_end(&nl.l, rc, out);
}

int district_node_revoke(struct store *st, const char *node_hex, char *errbuf) {
  uint8_t lo[ID_LEN], hi[ID_LEN];
  int n, rc;

  if (id_prefix_range(node_hex, lo, hi))
    return dmsg_fail(errbuf, DS_EINVAL, DM_NOT_NODE_ID, node_hex);
  rc = registry_node_revoke(st, lo, hi, (int64_t)clock_now_ms(), &n);
  if (rc)
    return dmsg_fail(errbuf, rc, DM_REVOKE_FAIL);
  if (n == 0)
    return dmsg_fail(errbuf, DS_ENOENT, DM_NO_DEVICE, node_hex);
  if (n > 1)
    return dmsg_fail(errbuf, DS_EAMBIGUOUS, DM_NODE_AMBIGUOUS, node_hex, n);
  return 0;
}

static int quarantine_row(void *arg, const struct oplog_quarantined *q) {
  struct district_list *l = arg;
  char when[32], line[512];
  int rc;

  district_fmt_time(q->received_ms, when, sizeof(when));
  if (l->json) {
    rc = buf_printf(&l->b,
                    "%s\n  {\"id\": %lld, \"node\": \"%s\", \"commune\": "
                    "\"%s\", \"seq\": %lld, \"error\": \"%s\", "
                    "\"message\": ",
                    l->n ? "," : "", (long long)q->id, q->node_hex, q->commune,
                    (long long)q->seq, q->error);
    rc = rc || json_str(&l->b, q->message, strlen(q->message));
    rc = rc || buf_printf(&l->b, ", \"received\": \"%s\"}", when);
  } else {
    dmsg_fmt(line, sizeof(line), DM_QUAR_ROW, (long long)q->id, when,
             q->commune, q->node_hex, (long long)q->seq, q->error);
    /* The reason may quote typed text from a device: escaped, whole. */
    rc = buf_append(&l->b, line, strlen(line));
    rc = rc || textout_escaped(&l->b, q->message, strlen(q->message));
    rc = rc || buf_putc(&l->b, '\n');
  }
  l->n++;
  return rc;
}

int district_quarantine_list(struct store *st, bool json, FILE *out) {
  struct district_list l;
  int rc;

  rc = district_list_begin(&l, json, NULL, NULL, 0);
  if (!rc)
    rc = oplog_quarantine_each(store_sqlite(st), quarantine_row, &l);
  if (!rc && !json && l.n == 0)
    rc = buf_printf(&l.b, "%s", dmsg(DM_QUAR_NONE));
  return district_list_end(&l, rc, out);
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
    return dmsg_fail(errbuf, rc, DM_NO_DISTRICT_KEY);
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
    rc = dmsg_fail(errbuf, DS_EUNAVAIL, DM_NOT_STORED, msg);
  } else if (!rc && rs.merged + rs.quarantined == 0) {
    rc = dmsg_fail(errbuf, DS_EBUSY, DM_RACE);
  } else if (!rc && rs.quarantined) {
    struct proto_resp resp;
    struct proto_rejected r;
    char e2[DS_ERRBUF_LEN];
    rc = DS_EBADOP;
    if (proto_resp_decode(&resp, rs.body.data, rs.body.len, e2) == 0) {
      if (proto_resp_rejected(&resp, 0, &r) == 0)
        dmsg_fail(errbuf, rc, DM_REFUSED, (int)r.message_len, r.message);
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
