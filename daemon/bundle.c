/* SPDX-License-Identifier: MIT
 * bundle.c -- importing a device's bundle at the district; see bundle.h.
 * The bundle is read twice: once to check every frame (seal, order, shape)
 * before anything is stored, once to ingest, request by request, writing
 * each answer as it is made, so no more than one request and one answer
 * are held at a time. */
#include "daemon/bundle.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/args.h"
#include "common/bundle.h"
#include "common/clock.h"
#include "common/cmsg.h"
#include "common/dsig.h"
#include "common/hex.h"
#include "common/store.h"
#include "daemon/admin_int.h"
#include "daemon/dmsg.h"
#include "daemon/answer.h"
#include "daemon/ingest.h"
#include "daemon/log.h"
#include "proto/bundle.h"
#include "proto/codec.h"

#define MAX_SKEW_MS (3600u * 1000u) /* serve's default --max-skew */
#define PULL_LIMIT 1000
#define MAX_PAGES 100000 /* a runaway pull would be a bug: stop, say so */

struct import {
  struct store *st;
  struct ingest *ing;
  uint8_t sk[DSIG_SK_LEN];
  struct proto_bundle_frame head;
  uint8_t device_pk[32];
  char key_hex[65];
  uint32_t nreq, answered;
  uint64_t merged, quarantined, pulled, acked;
  bool refused;           /* a request was refused: the rest are not ingested */
  bool more;              /* the last answer said more */
  struct proto_resp last; /* its cursor, for the pages after it */
  uint64_t last_hlc;
};

static int note_table(struct store *st) {
  return sqlite3_exec(store_sqlite(st),
                      "CREATE TABLE IF NOT EXISTS bundle_import(node BLOB "
                      "NOT NULL, id BLOB NOT NULL, imported_ms INTEGER NOT "
                      "NULL, requests INTEGER NOT NULL, acked INTEGER NOT "
                      "NULL)",
                      NULL, NULL, NULL)
             ? DS_EUNAVAIL
             : 0;
}

int64_t bundle_last_import(struct store *st, const uint8_t node[ID_LEN]) {
  sqlite3_stmt *s;
  int64_t ms = 0;
  /* A store no bundle ever reached has no table: never. */
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT max(imported_ms) FROM bundle_import WHERE "
                         "node = ?1",
                         -1, &s, NULL))
    return 0;
  sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW)
    ms = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return ms;
}

/* The first pass: every frame opens and parses, in the order head,
 * requests, end (which counts them). */
struct check {
  struct import *im;
  const char *path;
  uint64_t n;
};

static int check_frame(void *arg, const uint8_t *frame, size_t len, bool last,
                       const uint8_t digest[32], char *err) {
  struct check *c = arg;
  struct proto_bundle_frame f;
  uint64_t at = ++c->n;
  bool ok;

  (void)digest;
  if (proto_bundle_decode(&f, frame, len, NULL) == DS_ENOMEM)
    return dmsg_fail(err, DS_ENOMEM, DM_OOM);
  if (at == 1)
    ok = f.type == PROTO_BUNDLE_HEAD && !f.answer && !last;
  else if (last)
    ok = f.type == PROTO_BUNDLE_END && f.count == at - 1;
  else
    ok = f.type == PROTO_BUNDLE_REQ;
  if (ok && at == 1)
    c->im->head = f; /* its scalars: priv is released below */
  proto_bundle_cleanup(&f);
  c->im->head.priv = NULL;
  return ok ? 0
            : dmsg_fail(err, DS_EPROTO, DM_BUNDLE_FRAME, c->path,
                        (unsigned long long)at);
}

static int check_export(struct import *im, const char *path,
                        const uint8_t x_pk[32], const uint8_t x_sk[32],
                        char *err) {
  struct check c = {im, path, 0};
  int rc = bundle_read_all(path, BUNDLE_KIND_EXPORT, x_pk, x_sk,
                           cmsg(CM_THIS_DISTRICT), check_frame, &c, err);
  if (!rc)
    im->nreq = (uint32_t)(c.n - 2);
  return rc;
}

/* The device: enrolled and not revoked, or enrolling with the token and
 * key the bundle carries. Its key is what the answer is sealed to. */
static int check_device(struct import *im, char *err) {
  char hex[ID_HEX_LEN + 1];
  sqlite3_stmt *s;
  int found, rc = 0;

  hex_encode(hex, im->head.node, ID_LEN);
  if (sqlite3_prepare_v2(store_sqlite(im->st),
                         "SELECT pubkey, revoked_ms FROM node WHERE node = "
                         "?1",
                         -1, &s, NULL))
    return dmsg_fail(err, DS_EUNAVAIL, DM_STORE_UNREADABLE);
  sqlite3_bind_blob(s, 1, im->head.node, ID_LEN, SQLITE_STATIC);
  found = sqlite3_step(s) == SQLITE_ROW;
  if (found && sqlite3_column_type(s, 1) != SQLITE_NULL)
    rc = dmsg_fail(err, DS_EAUTH, DM_BUNDLE_REVOKED, hex);
  else if (found && sqlite3_column_bytes(s, 0) == 32)
    memcpy(im->device_pk, sqlite3_column_blob(s, 0), 32);
  else if (!found && (!im->head.has_key || !im->head.token[0]))
    rc = dmsg_fail(err, DS_EAUTH, DM_BUNDLE_UNKNOWN, hex);
  else if (!found)
    memcpy(im->device_pk, im->head.key, 32);
  sqlite3_finalize(s);
  if (im->head.has_key)
    hex_encode(im->key_hex, im->head.key, 32);
  return rc;
}

/* One request through the ingestion a network request takes; its answer
 * becomes a response frame. |pk| given: a page the district asks for on
 * the device's behalf (no body of the device's, nothing logged). */
static int ingest_one(struct import *im, struct bundle_writer *w,
                      const uint8_t *body, size_t len, const uint8_t *sig,
                      const uint8_t *pk, char *err) {
  struct ingest_req rq;
  struct ingest_res rs;
  struct buf frame;
  int rc;

  memset(&rq, 0, sizeof(rq));
  rq.body = body;
  rq.len = len;
  /* Hashed once, as serve's prep step does: for the log and the answer. */
  synclog_body_hash(body, len, rq.body_hash);
  rq.has_body_hash = true;
  rq.has_node = rq.has_sig = true;
  memcpy(rq.node, im->head.node, ID_LEN);
  if (sig)
    memcpy(rq.sig, sig, 64);
  if (pk) {
    rq.sig_tried = rq.sig_checked = true;
    memcpy(rq.sig_pk, pk, 32);
  }
  rq.token = im->head.token[0] ? im->head.token : NULL;
  rq.key_hex = im->key_hex[0] ? im->key_hex : NULL;
  rq.received_ms = clock_now_ms();
  rq.max_skew_ms = MAX_SKEW_MS;
  rq.bundle = true;
  ingest_res_init(&rs);
  buf_init(&frame, 0);
  rc = ingest_sync(im->ing, &rq, &rs);
  if (!rc && rs.status == 401) {
    char code[32], msg[200];
    bool has;
    uint64_t exp;
    if (proto_error_decode(rs.body.data, rs.body.len, code, sizeof(code), msg,
                           sizeof(msg), &has, &exp))
      snprintf(msg, sizeof(msg), "unauthorized");
    rc = dmsg_fail(err, DS_EAUTH, DM_BUNDLE_DEVICE_REFUSED, msg);
  } else if (!rc && rs.status == 503) {
    rc = dmsg_fail(err, DS_EUNAVAIL, DM_BUNDLE_BUSY);
  }
  if (!rc) {
    rc = proto_bundle_resp_encode(&frame, (uint32_t)rs.status, rq.body_hash,
                                  rs.body.data, rs.body.len);
    rc = rc || bundle_writer_put(w, frame.data, frame.len, false);
    if (rc)
      rc = dmsg_fail(err, DS_EIO, DM_ANSWER_WRITE);
  }
  if (!rc) {
    im->answered++;
    im->merged += rs.merged;
    im->quarantined += rs.quarantined;
    im->pulled += rs.pulled;
    im->refused = rs.status != 200;
    proto_resp_cleanup(&im->last);
    im->more = false;
    if (rs.status == 200 &&
        proto_resp_decode(&im->last, rs.body.data, rs.body.len, NULL) == 0) {
      im->more = im->last.more;
      im->acked = im->last.acked;
      im->last_hlc = im->last.hlc;
    }
  }
  buf_cleanup(&frame);
  ingest_res_cleanup(&rs);
  return rc;
}

/* The pages after the device's last request, until the pull is done. */
static int pull_rest(struct import *im, struct bundle_writer *w, char *err) {
  struct proto_req hdr;
  struct buf body;
  int rc = 0;

  buf_init(&body, 0);
  for (int page = 0; !rc && im->more && !im->refused; page++) {
    if (page == MAX_PAGES) {
      rc = dmsg_fail(err, DS_EPROTO, DM_PULL_ENDLESS);
      break;
    }
    memset(&hdr, 0, sizeof(hdr));
    memcpy(hdr.node, im->head.node, ID_LEN);
    hdr.ts = clock_now_ms();
    hdr.hlc = im->last_hlc;
    hdr.cursor = im->last.cursor;
    hdr.has_cursor_hash = im->last.has_cursor_hash;
    memcpy(hdr.cursor_hash, im->last.cursor_hash, PROTO_HASH_LEN);
    hdr.limit = PULL_LIMIT;
    buf_reset(&body);
    rc = proto_req_encode(&body, &hdr, NULL, 0, 0);
    if (!rc)
      rc = ingest_one(im, w, body.data, body.len, NULL, im->device_pk, err);
  }
  buf_cleanup(&body);
  return rc;
}

struct ingest_pass {
  struct import *im;
  struct bundle_writer *w;
};

static int ingest_frame(void *arg, const uint8_t *frame, size_t len, bool last,
                        const uint8_t digest[32], char *err) {
  struct ingest_pass *p = arg;
  struct proto_bundle_frame f;
  int rc = 0;

  (void)last;
  (void)digest;
  /* The first pass read it whole: a failure is a file changed since. */
  if (proto_bundle_decode(&f, frame, len, err))
    return DS_EPROTO;
  if (f.type == PROTO_BUNDLE_REQ && !p->im->refused)
    rc = ingest_one(p->im, p->w, f.body, f.len, f.sig, NULL, err);
  proto_bundle_cleanup(&f);
  return rc;
}

static int ingest_all(struct import *im, const char *path,
                      struct bundle_writer *w, const uint8_t x_pk[32],
                      const uint8_t x_sk[32], char *err) {
  struct ingest_pass p = {im, w};
  int rc = bundle_read_all(path, BUNDLE_KIND_EXPORT, x_pk, x_sk,
                           cmsg(CM_THIS_DISTRICT), ingest_frame, &p, err);
  if (!rc)
    rc = pull_rest(im, w, err);
  return rc;
}

static int write_answer(struct import *im, const char *path, const char *out,
                        const uint8_t x_pk[32], const uint8_t x_sk[32],
                        char *err) {
  struct proto_bundle_frame head;
  struct bundle_writer *w = NULL;
  uint8_t x_dev[32], digest[32], sig[DSIG_LEN];
  struct buf frame;
  int rc;

  if (bundle_x25519(im->device_pk, NULL, x_dev, NULL))
    return dmsg_fail(err, DS_EINVAL, DM_DEVICE_KEY);
  rc = bundle_writer_open(&w, out, BUNDLE_KIND_ANSWER, x_dev, err);
  if (rc)
    return rc;
  buf_init(&frame, 0);
  memset(&head, 0, sizeof(head));
  head.answer = true;
  memcpy(head.node, im->head.node, ID_LEN);
  memcpy(head.id, im->head.id, ID_LEN);
  head.made_ms = clock_now_ms();
  rc = store_hlc_tick(im->st, &head.hlc);
  rc = rc || proto_bundle_head_encode(&frame, &head);
  rc = rc || bundle_writer_put(w, frame.data, frame.len, false);
  if (rc)
    rc = dmsg_fail(err, DS_EIO, DM_ANSWER_WRITE);
  if (!rc)
    rc = ingest_all(im, path, w, x_pk, x_sk, err);
  if (!rc) {
    bundle_writer_digest(w, digest);
    dsig_bundle_sign(im->sk, digest, sig);
    buf_reset(&frame);
    rc = proto_bundle_end_encode(&frame, im->answered + 1, sig) ||
                 bundle_writer_put(w, frame.data, frame.len, true)
             ? dmsg_fail(err, DS_EIO, DM_ANSWER_WRITE)
             : 0;
  }
  buf_cleanup(&frame);
  if (rc) {
    bundle_writer_abort(w);
    return rc;
  }
  return bundle_writer_close(w, err);
}

static int note_import(struct import *im) {
  sqlite3_stmt *s;
  int rc = note_table(im->st);
  if (rc || sqlite3_prepare_v2(store_sqlite(im->st),
                               "INSERT INTO bundle_import VALUES (?1, ?2, ?3,"
                               " ?4, ?5)",
                               -1, &s, NULL))
    return DS_EUNAVAIL;
  sqlite3_bind_blob(s, 1, im->head.node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, im->head.id, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 3, (int64_t)clock_now_ms());
  sqlite3_bind_int64(s, 4, im->nreq);
  sqlite3_bind_int64(s, 5, (int64_t)im->acked);
  rc = sqlite3_step(s) == SQLITE_DONE ? 0 : DS_EUNAVAIL;
  sqlite3_finalize(s);
  return rc;
}

static int cmd_import(const struct args *a) {
  static const char *const allowed[] = {"answer", NULL};
  const char *path = a->npos == 3 ? a->pos[2] : NULL;
  const char *out = args_get(a, "answer");
  uint8_t x_pk[32], x_sk[32];
  char err[DS_ERRBUF_LEN], hex[ID_HEX_LEN + 1];
  struct import im;
  int rc;

  if (args_only(a, allowed, err) || !path || !out)
    return args_usage(&admin_prog, "bundle import",
                      !path  ? dmsg(DM_BUNDLE_FILE_NEEDED)
                      : !out ? dmsg(DM_ANSWER_NEEDED)
                             : err);
  memset(&im, 0, sizeof(im));
  if ((rc = admin_open_store(a, &im.st)))
    return rc;
  rc = answer_key_load(im.st, im.sk, err);
  if (!rc && bundle_x25519(im.sk + 32, im.sk, x_pk, x_sk))
    rc = dmsg_fail(err, DS_EINVAL, DM_DISTRICT_KEY_BAD);
  if (!rc)
    rc = check_export(&im, path, x_pk, x_sk, err);
  if (!rc)
    rc = check_device(&im, err);
  if (!rc)
    rc = ingest_open(&im.ing, im.st)
             ? dmsg_fail(err, DS_EUNAVAIL, DM_STORE_UNWRITABLE)
             : 0;
  if (!rc)
    rc = write_answer(&im, path, out, x_pk, x_sk, err);
  if (!rc && note_import(&im))
    LOG_WARN("bundle", "could not note the import in bundle_import");
  hex_encode(hex, im.head.node, ID_LEN);
  if (!rc) {
    LOG_INFO("bundle",
             "imported node=%.16s requests=%u merged=%llu "
             "quarantined=%llu pulled=%llu acked=%llu",
             hex, im.nreq, (unsigned long long)im.merged,
             (unsigned long long)im.quarantined, (unsigned long long)im.pulled,
             (unsigned long long)im.acked);
    dmsg_print(stdout, DM_BUNDLE_IMPORTED, hex, im.nreq,
               (unsigned long long)im.merged,
               (unsigned long long)im.quarantined, (unsigned long long)im.acked,
               (unsigned long long)im.pulled, out);
  }
  proto_resp_cleanup(&im.last);
  ingest_close(im.ing);
  store_close(im.st);
  sodium_memzero(im.sk, sizeof(im.sk));
  sodium_memzero(x_sk, sizeof(x_sk));
  if (rc)
    return args_fail(&admin_prog, rc == DS_EAUTH ? EXIT_REFUSED : EXIT_ERROR,
                     err);
  return EXIT_OK;
}

int bundle_cmd(const struct args *a, const char *verb) {
  if (verb && !strcmp(verb, "import"))
    return cmd_import(a);
  return args_usage(&admin_prog, NULL, dmsg(DM_BUNDLE_UNKNOWN_CMD));
}
