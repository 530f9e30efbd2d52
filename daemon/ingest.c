/* SPDX-License-Identifier: MIT
 * ingest.c -- the daemon's request path: one transaction per request, or one
 * savepoint per request inside a group's transaction (group commit). */
#include "daemon/ingest.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/merge.h"
#include "common/store.h"
#include "daemon/bodyver.h"
#include "daemon/enrol.h"
#include "daemon/log.h"
#include "daemon/oplog.h"
#include "daemon/registry.h"
#include "proto/codec.h"

/* Most ops one response carries, whatever the device asks for. */
#define PULL_CAP 2000

/* The node and token look-ups of every request (registry.c owns those
 * tables; these two hot statements stay prepared here). */
enum { Q_NODE_GET, Q_NODE_SET, Q_TOKEN_GET, Q_TOKEN_BIND, Q_COUNT };

static const char *const qsql[Q_COUNT] = {
    [Q_NODE_GET] = "SELECT pubkey, commune, revoked_ms, acked FROM node "
                   "WHERE node = ?1",
    [Q_NODE_SET] = "UPDATE node SET acked = ?2, last_sync_ms = ?3 WHERE "
                   "node = ?1",
    [Q_TOKEN_GET] = "SELECT commune, label, expires_ms, node, pubkey FROM "
                    "token WHERE hash = ?1",
    [Q_TOKEN_BIND] = "UPDATE token SET node = ?2, pubkey = ?3 WHERE hash = ?1",
};

struct ingest {
  struct store *st;
  sqlite3 *db;
  sqlite3_stmt *q[Q_COUNT];
  struct oplog *ol;
  struct buf raw, enc, msgs;
  bool group; /* inside ingest_group_begin: each request is a savepoint */
};

int ingest_open(struct ingest **out, struct store *st) {
  struct ingest *ing = ds_calloc(1, sizeof(*ing));
  int rc;

  if (!ing)
    return DS_ENOMEM;
  ing->st = st;
  ing->db = store_sqlite(st);
  buf_init(&ing->raw, 0);
  buf_init(&ing->enc, 0);
  buf_init(&ing->msgs, 0);
  rc = oplog_open(&ing->ol, ing->db);
  if (!rc)
    rc = db_prepare_kept(ing->db, qsql, Q_COUNT, ing->q);
  if (rc) {
    ingest_close(ing);
    return rc;
  }
  *out = ing;
  return 0;
}

void ingest_close(struct ingest *ing) {
  if (!ing)
    return;
  for (int i = 0; i < Q_COUNT; i++)
    sqlite3_finalize(ing->q[i]);
  buf_cleanup(&ing->raw);
  buf_cleanup(&ing->enc);
  buf_cleanup(&ing->msgs);
  oplog_close(ing->ol);
  ds_free(ing);
}

void ingest_res_init(struct ingest_res *rs) {
  memset(rs, 0, sizeof(*rs));
  buf_init(&rs->body, 0);
}

void ingest_res_cleanup(struct ingest_res *rs) {
  buf_cleanup(&rs->body);
}

/* Fills |rs| with a whole-request error. */
static int refuse(struct ingest_res *rs, int status, const char *code,
                  const char *msg, bool has_expected, uint64_t expected) {
  rs->status = status;
  snprintf(rs->error, sizeof(rs->error), "%s", code);
  buf_reset(&rs->body);
  return proto_error_encode(&rs->body, code, msg, has_expected, expected);
}

/* One request's transaction: its own, or its part of the group's. */
static int txn_begin(struct ingest *ing) {
  if (!ing->group)
    return store_begin(ing->st);
  /* SQLite rolls a transaction back by itself on some failures (I/O, full
   * disk); a savepoint then would open a transaction of its own and commit
   * at its release, outside the group. */
  if (sqlite3_get_autocommit(ing->db))
    return DS_EUNAVAIL;
  return store_savepoint(ing->st);
}

static int txn_commit(struct ingest *ing) {
  int rc;

  if (!ing->group)
    return store_commit(ing->st); /* rolls back when it fails */
  rc = store_release(ing->st);
  if (rc)
    store_rollback_part(ing->st);
  return rc;
}

static void txn_rollback(struct ingest *ing) {
  if (ing->group)
    store_rollback_part(ing->st);
  else
    store_rollback(ing->st);
}

void ingest_req_prep(struct ingest_req *rq, const uint8_t *pk) {
  synclog_body_hash(rq->body, rq->len, rq->body_hash);
  rq->has_body_hash = true;
  rq->sig_tried = rq->sig_checked = false;
  if (!pk || !rq->has_sig)
    return;
  memcpy(rq->sig_pk, pk, sizeof(rq->sig_pk));
  rq->sig_checked = bodyver_ok(rq->sig, rq->body, rq->len, pk);
  rq->sig_tried = true;
}

/* A body decoded before the writer: decoding's result, and whether each op
 * passed its own checks (the writer then skips them). */
struct ingest_pre {
  int rc;
  bool ops_ok;
  struct proto_req req; /* when rc is 0 */
  char err[DS_ERRBUF_LEN];
};

void ingest_req_decode(struct ingest_req *rq) {
  struct ingest_pre *p;
  struct op op;

  ingest_req_release(rq);
  p = ds_calloc(1, sizeof(*p));
  if (!p)
    return;
  p->rc = proto_req_decode(&p->req, rq->body, rq->len, p->err);
  if (p->rc == DS_ENOMEM) { /* out of memory here: the writer decodes */
    ds_free(p);
    return;
  }
  p->ops_ok = p->rc == 0;
  for (uint32_t i = 0; p->ops_ok && i < p->req.nops; i++)
    p->ops_ok = proto_req_op(&p->req, i, &op, NULL, p->err) == 0;
  rq->pre = p;
}

void ingest_req_release(struct ingest_req *rq) {
  if (!rq->pre)
    return;
  if (rq->pre->rc == 0)
    proto_req_cleanup(&rq->pre->req);
  ds_free(rq->pre);
  rq->pre = NULL;
}

int ingest_group_begin(struct ingest *ing) {
  int rc = store_begin(ing->st);
  ing->group = rc == 0;
  return rc;
}

int ingest_group_commit(struct ingest *ing) {
  ing->group = false;
  return store_commit(ing->st);
}

int ingest_res_unavailable(struct ingest_res *rs, int rc) {
  rs->merged = rs->conflicts = rs->quarantined = rs->pulled = 0;
  rs->logged = rs->enrolled = false;
  return refuse(rs, 503, PROTO_E_UNAVAILABLE,
                rc == DS_EBUSY
                    ? "the district store is busy; nothing was stored, try "
                      "again"
                    : "the district store is failing; nothing was stored, "
                      "try again",
                false, 0);
}

struct who {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  char commune[SCHEMA_SLUG_MAX + 1];
  uint64_t acked;
  bool known, revoked;
};

static int load_node(struct ingest *ing, const uint8_t node[ID_LEN],
                     struct who *w) {
  sqlite3_stmt *s = ing->q[Q_NODE_GET];
  int rc;
  memset(w, 0, sizeof(*w));
  sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == sizeof(w->pk)) {
    w->known = true;
    memcpy(w->pk, sqlite3_column_blob(s, 0), sizeof(w->pk));
    snprintf(w->commune, sizeof(w->commune), "%s",
             (const char *)sqlite3_column_text(s, 1));
    w->revoked = sqlite3_column_type(s, 2) != SQLITE_NULL;
    w->acked = (uint64_t)sqlite3_column_int64(s, 3);
    rc = 0;
  } else {
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_translate(rc);
  }
  sqlite3_reset(s);
  return rc;
}

/* Sets the reason an authentication failed: DS_EAUTH. */
static int deny(const char **why, const char *reason) {
  *why = reason;
  return DS_EAUTH;
}

/* First sync: binds node, key and commune through a one-time token, and
 * burns the token. A device that missed the first answer is known by its
 * node by then and never comes here; a bound token is refused. Returns 0
 * when |w| is now the enrolled node, DS_EAUTH when the token does not
 * allow it. */
static int enroll(struct ingest *ing, const struct ingest_req *rq,
                  struct who *w, const char **why) {
  uint8_t hash[32], pk[crypto_sign_PUBLICKEYBYTES];
  sqlite3_stmt *s = ing->q[Q_TOKEN_GET];
  char commune[SCHEMA_SLUG_MAX + 1] = "", label[121] = "";
  int64_t expires = 0;
  bool bound = false;
  int rc;

  *why = "unknown device: present a valid enrolment token";
  if (!rq->token && rq->receipt && rq->key_hex && !rq->replay) {
    /* Restored from a backup older than the device's enrolment. */
    *why = "the enrolment receipt is not the district's";
    rc = enrol_from_receipt(ing->st, rq->node, rq->key_hex, rq->receipt,
                            rq->received_ms, pk, commune);
    if (!rc) {
      memset(w, 0, sizeof(*w));
      w->known = true;
      memcpy(w->pk, pk, sizeof(pk));
      snprintf(w->commune, sizeof(w->commune), "%s", commune);
    }
    return rc;
  }
  if (!rq->token || !rq->key_hex || rq->replay)
    return DS_EAUTH;
  if (hex_decode(pk, sizeof(pk), rq->key_hex))
    return deny(why, "Dansync-Key must be a 32-byte Ed25519 key in hex");
  crypto_generichash(hash, sizeof(hash), (const uint8_t *)rq->token,
                     strlen(rq->token), NULL, 0);
  sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    snprintf(commune, sizeof(commune), "%s", sqlite3_column_text(s, 0));
    if (sqlite3_column_text(s, 1))
      snprintf(label, sizeof(label), "%s", sqlite3_column_text(s, 1));
    expires = sqlite3_column_int64(s, 2);
    bound = sqlite3_column_type(s, 3) != SQLITE_NULL;
  }
  sqlite3_reset(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return db_translate(rc);
  if (rc == SQLITE_DONE)
    return deny(why, "the enrolment token is not valid");
  if (bound)
    return deny(why, "the enrolment token has already been used");
  if ((int64_t)rq->received_ms > expires)
    return deny(why, "the enrolment token has expired");
  s = ing->q[Q_TOKEN_BIND];
  sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, rq->node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 3, pk, sizeof(pk), SQLITE_STATIC);
  rc = db_run(s);
  if (rc)
    return rc;
  rc = registry_node_add(ing->st, rq->node, pk, sizeof(pk), commune, label,
                         (int64_t)rq->received_ms);
  if (rc)
    return rc;
  memset(w, 0, sizeof(*w));
  w->known = true;
  memcpy(w->pk, pk, sizeof(pk));
  snprintf(w->commune, sizeof(w->commune), "%s", commune);
  return 0;
}

static int skew_refusal(struct ingest_res *rs, uint64_t worst, uint64_t now_hlc,
                        uint64_t max_skew_ms) {
  char msg[DS_ERRBUF_LEN];
  snprintf(msg, sizeof(msg),
           "the device's clock is %llu s ahead of the district's (the limit "
           "is %llu s); set the device's date and time, then run 'dansync "
           "sync --restamp'",
           (unsigned long long)((HLC_MS(worst) - HLC_MS(now_hlc)) / 1000),
           (unsigned long long)(max_skew_ms / 1000));
  return refuse(rs, 409, PROTO_E_SKEW, msg, false, 0);
}

static bool fresh_stale(uint64_t hlc, uint64_t now_ms, uint64_t window_ms) {
  return HLC_MS(hlc) + window_ms < now_ms;
}

static int fresh_refusal(struct ingest_res *rs, uint64_t hlc, uint64_t now_ms,
                         uint64_t window_ms) {
  char msg[DS_ERRBUF_LEN];
  snprintf(msg, sizeof(msg),
           "the request was stamped %llu s before the district's clock (the "
           "limit is %llu s): it is an old, captured request, or the "
           "device's clock is behind; nothing was stored",
           (unsigned long long)((now_ms - HLC_MS(hlc)) / 1000),
           (unsigned long long)(window_ms / 1000));
  return refuse(rs, 409, PROTO_E_STALE, msg, false, 0);
}

static const char *reject_code(int rc) {
  return rc == DS_EFORBIDDEN ? PROTO_E_FORBIDDEN : PROTO_E_BAD_OP;
}

/* A step's answer is in the response already (a refusal): nothing more to
 * do but roll back. Storage errors are negative DS_E* codes. */
#define REFUSED 1

/* One request on its way through ingest_sync's steps. */
struct sync {
  const struct ingest_req *rq;
  struct ingest_res *rs;
  struct proto_req req;
  bool decoded;
  struct who w;
  uint64_t now_hlc, limit_hlc, acked;
  int64_t entry;
  bool new_ops; /* the batch holds ops the district has not stored */
  struct proto_rejected *rej;
  size_t *msg_off; /* each rejection's message in ingest.msgs */
  uint32_t nrej;
  char err[DS_ERRBUF_LEN];
};

/* A refusal written into the response (encoding result |rc|): REFUSED,
 * or the encoding's error. */
static int done(int rc) {
  return rc ? rc : REFUSED;
}

static int refused(struct sync *c, int status, const char *code,
                   const char *msg, bool has_expected, uint64_t expected) {
  return done(refuse(c->rs, status, code, msg, has_expected, expected));
}

/* The node, known or enrolling now, not revoked, and its signature. */
static int authenticate(struct ingest *ing, struct sync *c) {
  const struct ingest_req *rq = c->rq;
  const char *why = "the request is not authorised";
  int rc = load_node(ing, rq->node, &c->w);

  if (!rc && !c->w.known) {
    rc = enroll(ing, rq, &c->w, &why);
    c->rs->enrolled = rc == 0;
  } else if (!rc && c->w.revoked) {
    rc = deny(&why, "this device has been revoked");
  }
  /* The prep step's verdict stands, either way, if it used the key the
   * node has now: a forged body is not hashed again on the writer. */
  if (!rc) {
    bool same = rq->sig_tried &&
                sodium_memcmp(rq->sig_pk, c->w.pk, sizeof(c->w.pk)) == 0;
    if (!(same ? rq->sig_checked
               : bodyver_ok(rq->sig, rq->body, rq->len, c->w.pk)))
      rc = deny(&why, "the request's signature does not verify");
  }
  if (rc == DS_EAUTH)
    return refused(c, 401, PROTO_E_UNAUTHORIZED, why, false, 0);
  if (!rc)
    snprintf(c->rs->commune, sizeof(c->rs->commune), "%s", c->w.commune);
  return rc;
}

/* A device's report (DESIGN §11): the district no longer holds a head it
 * signed for it (a restore from an older backup, a log cut short). The
 * request that carries it is in the sync log too. */
static void log_lost_head(const struct sync *c) {
  char n[ID_HEX_LEN + 1], h[2 * PROTO_HASH_LEN + 1];

  if (!c->req.has_lost_head || c->rq->replay)
    return;
  hex_encode(n, c->rq->node, ID_LEN);
  hex_encode(h, c->req.lost_hash, PROTO_HASH_LEN);
  LOG_WARN("sync", "lost_head node=%.16s cursor=%llu cursor_hash=%.16s", n,
           (unsigned long long)c->req.lost_cursor, h);
}

static int decode(struct sync *c) {
  const struct ingest_pre *p = c->rq->pre;
  int rc;

  if (p) { /* decoded before the writer: borrowed, not freed here */
    rc = p->rc;
    if (rc)
      snprintf(c->err, sizeof(c->err), "%s", p->err);
    else
      c->req = p->req;
  } else {
    rc = proto_req_decode(&c->req, c->rq->body, c->rq->len, c->err);
  }

  if (rc == DS_EVERSION)
    return refused(c, 400, PROTO_E_VERSION, c->err, false, 0);
  if (rc == DS_ETOOBIG)
    return refused(c, 413, PROTO_E_TOO_LARGE, c->err, false, 0);
  if (rc == DS_ENOMEM)
    return refused(c, 503, PROTO_E_UNAVAILABLE, "out of memory", false, 0);
  if (rc)
    return refused(c, 400, PROTO_E_BAD_REQUEST, c->err, false, 0);
  c->decoded = !p;
  if (memcmp(c->req.node, c->rq->node, ID_LEN) != 0)
    return refused(c, 400, PROTO_E_BAD_REQUEST,
                   "the body's node is not the Dansync-Node that signed it",
                   false, 0);
  return 0;
}

/* The batch follows what the district holds (no gap), and its clock is
 * neither too far ahead nor too old. */
static int check_batch(struct ingest *ing, struct sync *c) {
  const struct ingest_req *rq = c->rq;
  const struct proto_req *req = &c->req;
  char msg[DS_ERRBUF_LEN + 64];
  uint64_t tick;
  int rc;

  c->acked = c->w.acked;
  if (req->nops && req->first_seq > c->acked + 1) {
    snprintf(msg, sizeof(msg),
             "the batch starts at op %llu but the district has ops only "
             "through %llu; send from %llu",
             (unsigned long long)req->first_seq, (unsigned long long)c->acked,
             (unsigned long long)c->acked + 1);
    return refused(c, 409, PROTO_E_GAP, msg, true, c->acked + 1);
  }
  c->new_ops = req->nops && req->first_seq + req->nops - 1 > c->acked;
  rc = store_hlc_get(ing->st, &c->now_hlc);
  if (rc)
    return rc;
  tick = hlc_tick(c->now_hlc, rq->received_ms);
  c->limit_hlc = HLC_FROM_MS(HLC_MS(tick) + rq->max_skew_ms) | 0xffff;
  c->now_hlc = tick;
  /* Clock skew: the request's own clock here, each new op's in
   * apply_ops. */
  if (!rq->replay && req->hlc > c->limit_hlc)
    return done(skew_refusal(c->rs, req->hlc, c->now_hlc, rq->max_skew_ms));
  /* Freshness (DESIGN §11): a request stamped more than the skew window
   * ago is a captured one. */
  if (!rq->replay && !rq->bundle &&
      fresh_stale(req->hlc, rq->received_ms, rq->max_skew_ms))
    return done(
        fresh_refusal(c->rs, req->hlc, rq->received_ms, rq->max_skew_ms));
  return 0;
}

/* A batch with new ops enters the sync log; its ops' rows will point
 * into it. */
static int log_append(struct ingest *ing, struct sync *c) {
  const struct ingest_req *rq = c->rq;
  uint8_t hash[SYNCLOG_HASH_LEN];
  int rc;

  if (!c->new_ops)
    return 0;
  rc = synclog_append(ing->st, rq->node, rq->sig, rq->received_ms, rq->body,
                      rq->len, rq->has_body_hash ? rq->body_hash : NULL,
                      &c->entry, hash);
  if (rc)
    return rc;
  c->rs->logged = true;
  c->rej = ds_calloc(c->req.nops, sizeof(*c->rej));
  c->msg_off = ds_calloc(c->req.nops, sizeof(*c->msg_off));
  if (!c->rej || !c->msg_off)
    return DS_ENOMEM;
  buf_reset(&ing->msgs);
  oplog_batch_reset(ing->ol);
  return 0;
}

/* One bad op never blocks a device: kept, named, and acked. */
static int quarantine(struct ingest *ing, struct sync *c, uint32_t i,
                      const struct op *op, int why) {
  struct proto_rejected *r = &c->rej[c->nrej];
  char e2[DS_ERRBUF_LEN];
  struct op scratch;
  int rc;

  /* The op as received, for the quarantine list. */
  buf_reset(&ing->raw);
  (void)!proto_req_op(&c->req, i, &scratch, &ing->raw, e2);
  rc = oplog_quarantine(ing->ol, c->entry, c->rq->node, op->seq,
                        reject_code(why), c->err, &ing->raw);
  c->msg_off[c->nrej] = ing->msgs.len;
  if (!rc)
    rc = buf_append(&ing->msgs, c->err, strlen(c->err));
  if (rc)
    return rc;
  r->seq = op->seq;
  r->error = reject_code(why);
  r->error_len = strlen(r->error);
  r->message_len = strlen(c->err);
  c->nrej++;
  c->rs->quarantined++;
  return 0;
}

static int merge(struct ingest *ing, struct sync *c, uint32_t i,
                 const struct op *op, const char *commune) {
  struct mresult res;
  uint32_t off, len;
  int rc = store_apply(ing->st, op, &res);

  if (rc)
    return rc;
  c->rs->merged++;
  c->rs->conflicts += res.conflicts;
  if (op->hlc > c->now_hlc)
    c->now_hlc = op->hlc;
  proto_req_op_span(&c->req, i, &off, &len);
  return oplog_batch_add(ing->ol, commune, op->rid, off, len);
}

/* Each op the district does not hold yet: merged, or quarantined. */
static int apply_ops(struct ingest *ing, struct sync *c) {
  const char *scope = strcmp(c->w.commune, "district") ? c->w.commune : NULL;
  bool checked = c->rq->pre && c->rq->pre->ops_ok;
  int rc = 0;

  for (uint32_t i = 0; i < c->req.nops && !rc; i++) {
    char commune[SCHEMA_SLUG_MAX + 1];
    struct op op;

    if (c->req.first_seq + i <= c->acked)
      continue; /* already stored: re-sending is harmless */
    rc = proto_req_op_checked(&c->req, i, &op, NULL, !checked, c->err);
    if (!rc && !c->rq->replay && op.hlc > c->limit_hlc)
      return done(skew_refusal(c->rs, op.hlc, c->now_hlc, c->rq->max_skew_ms));
    if (!rc)
      rc = store_check_op(ing->st, &op, scope, true, commune, c->err);
    if (rc == DS_EBADOP || rc == DS_EFORBIDDEN)
      rc = quarantine(ing, c, i, &op, rc);
    else if (!rc)
      rc = merge(ing, c, i, &op, commune);
  }
  if (!rc && c->new_ops)
    rc = oplog_batch_write(ing->ol, c->entry, c->rq->node);
  for (uint32_t k = 0; !rc && k < c->nrej; k++)
    c->rej[k].message = (const char *)ing->msgs.data + c->msg_off[k];
  return rc;
}

/* The node's acked seq and the district's clock. */
static int advance(struct ingest *ing, struct sync *c) {
  sqlite3_stmt *s = ing->q[Q_NODE_SET];
  int rc;

  if (c->new_ops)
    c->acked = c->req.first_seq + c->req.nops - 1;
  if (!c->rq->replay && c->req.hlc > c->now_hlc)
    c->now_hlc = c->req.hlc;
  rc = store_hlc_set(ing->st, c->now_hlc);
  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, c->rq->node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, (int64_t)c->acked);
  sqlite3_bind_int64(s, 3, (int64_t)c->rq->received_ms);
  return db_run(s);
}

/* The answer: what was stored and refused, and the pull page (none for a
 * replayed request, whose answer nobody reads). */
static int answer(struct ingest *ing, struct sync *c) {
  struct proto_resp hdr = {0};
  struct oplog_page pg = {0};
  uint64_t limit = c->req.limit;
  int rc = 0;

  hdr.acked = c->acked;
  hdr.hlc = c->now_hlc;
  hdr.conflicts = c->rs->conflicts;
  buf_reset(&ing->enc);
  if (!c->rq->replay) {
    if (limit == 0 || limit > PULL_CAP)
      limit = PULL_CAP;
    rc = oplog_pull(ing->ol, c->req.node,
                    strcmp(c->w.commune, "district") ? c->w.commune : NULL,
                    c->req.cursor,
                    c->req.has_cursor_hash ? c->req.cursor_hash : NULL,
                    (uint32_t)limit, &ing->enc, &pg);
    hdr.more = pg.more;
    hdr.cursor = pg.cursor;
    hdr.has_cursor_hash = pg.has_cursor_hash;
    hdr.head_lost = pg.head_lost;
    memcpy(hdr.cursor_hash, pg.cursor_hash, sizeof(hdr.cursor_hash));
    hdr.nops = pg.nops;
    c->rs->pulled = pg.nops;
  }
  buf_reset(&c->rs->body);
  if (!rc)
    rc = proto_resp_begin(&c->rs->body, &hdr);
  if (!rc)
    rc = buf_append(&c->rs->body, ing->enc.data, ing->enc.len);
  if (!rc)
    rc = proto_resp_end(&c->rs->body, c->rej, c->nrej);
  return rc;
}

int ingest_sync(struct ingest *ing, const struct ingest_req *rq,
                struct ingest_res *rs) {
  struct sync c = {.rq = rq, .rs = rs};
  bool open = false;
  int rc;

  rs->status = 500;
  rs->merged = rs->conflicts = rs->quarantined = rs->pulled = 0;
  rs->logged = rs->enrolled = false;
  rs->commune[0] = rs->error[0] = '\0';
  buf_reset(&rs->body);
  if (!rq->has_node || !rq->has_sig)
    return refuse(rs, 401, PROTO_E_UNAUTHORIZED,
                  "requests must carry Dansync-Node and Dansync-Signature",
                  false, 0);
  rc = txn_begin(ing);
  open = rc == 0;
  if (!rc)
    rc = authenticate(ing, &c);
  if (!rc)
    rc = decode(&c);
  if (!rc)
    rc = check_batch(ing, &c);
  if (!rc)
    rc = log_append(ing, &c);
  if (!rc)
    rc = apply_ops(ing, &c);
  if (!rc)
    rc = advance(ing, &c);
  if (!rc)
    rc = answer(ing, &c);
  if (!rc) {
    open = false; /* a failed commit rolls back itself */
    rc = txn_commit(ing);
  }
  if (open)
    txn_rollback(ing);
  if (!rc)
    log_lost_head(&c);
  if (c.decoded)
    proto_req_cleanup(&c.req);
  ds_free(c.rej);
  ds_free(c.msg_off);
  if (rc == REFUSED)
    return 0;
  if (rc)
    return ingest_res_unavailable(rs, rc);
  rs->status = 200;
  return 0;
}
