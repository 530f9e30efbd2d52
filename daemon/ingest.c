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
#include "daemon/enrol.h"
#include "daemon/log.h"
#include "daemon/oplog.h"
#include "daemon/registry.h"
#include "proto/codec.h"

/* Most ops one response carries, whatever the device asks for. */
#define PULL_CAP 2000

enum {
  Q_NODE_GET,
  Q_NODE_SET,
  Q_TOKEN_GET,
  Q_TOKEN_BIND,
  Q_OPLOG_ADD,
  Q_QUAR_ADD,
  Q_OPLOG_AT,
  Q_PULL_ALL,
  Q_PULL_COMMUNE,
  Q_OPLOG_MAX,
  Q_COUNT
};

static const char *const qsql[Q_COUNT] = {
    [Q_NODE_GET] = "SELECT pubkey, commune, revoked_ms, acked FROM node "
                   "WHERE node = ?1",
    [Q_NODE_SET] = "UPDATE node SET acked = ?2, last_sync_ms = ?3 WHERE "
                   "node = ?1",
    [Q_TOKEN_GET] = "SELECT commune, label, expires_ms, node, pubkey FROM "
                    "token WHERE hash = ?1",
    [Q_TOKEN_BIND] = "UPDATE token SET node = ?2, pubkey = ?3 WHERE hash = ?1",
    [Q_OPLOG_ADD] = "INSERT INTO oplog(entry, node, commune, rid, off, len) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_QUAR_ADD] = "INSERT INTO quarantine(entry, node, seq, error, message,"
                   " op) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_OPLOG_AT] = "SELECT l.hash FROM oplog o JOIN synclog l ON l.seq = "
                   "o.entry WHERE o.pos = ?1",
    [Q_PULL_ALL] = "SELECT pos, entry, off, len, node FROM oplog WHERE pos > "
                   "?1 AND node != ?2 ORDER BY pos LIMIT ?3",
    [Q_PULL_COMMUNE] = "SELECT pos, entry, off, len, node FROM oplog WHERE "
                       "commune = ?4 AND pos > ?1 AND node != ?2 ORDER BY "
                       "pos LIMIT ?3",
    [Q_OPLOG_MAX] = "SELECT max(pos) FROM oplog",
};

struct ingest {
  struct store *st;
  sqlite3 *db;
  sqlite3_stmt *q[Q_COUNT];
  struct buf raw, enc, msgs;
  struct opread rd;
  bool group; /* inside ingest_group_begin: each request is a savepoint */
};

int ingest_open(struct ingest **out, struct store *st) {
  struct ingest *ing = ds_calloc(1, sizeof(*ing));
  if (!ing)
    return DS_ENOMEM;
  ing->st = st;
  ing->db = store_sqlite(st);
  buf_init(&ing->raw, 0);
  buf_init(&ing->enc, 0);
  buf_init(&ing->msgs, 0);
  opread_init(&ing->rd, ing->db);
  for (int i = 0; i < Q_COUNT; i++) {
    if (sqlite3_prepare_v3(ing->db, qsql[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &ing->q[i], NULL)) {
      ingest_close(ing);
      return DS_EIO;
    }
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
  opread_cleanup(&ing->rd);
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
  rq->sig_checked = false;
  if (!pk || !rq->has_sig)
    return;
  memcpy(rq->sig_pk, pk, sizeof(rq->sig_pk));
  rq->sig_checked =
      crypto_sign_verify_detached(rq->sig, rq->body, rq->len, pk) == 0;
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

/* First sync: binds node, key and commune through a one-time token, and
 * burns the token. The same token with the same node and key is accepted
 * again (the device may have missed the first answer). Returns 0 when |w|
 * is now the enrolled node, DS_EAUTH when the token does not allow it. */
static int enroll(struct ingest *ing, const struct ingest_req *rq,
                  struct who *w, const char **why) {
  uint8_t hash[32], pk[crypto_sign_PUBLICKEYBYTES];
  sqlite3_stmt *s = ing->q[Q_TOKEN_GET];
  char commune[SCHEMA_SLUG_MAX + 1] = "", label[121] = "";
  int64_t expires = 0;
  bool bound = false, same = false;
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
    return *why = "Dansync-Key must be a 32-byte Ed25519 key in hex", DS_EAUTH;
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
    same = bound && sqlite3_column_bytes(s, 3) == ID_LEN &&
           memcmp(sqlite3_column_blob(s, 3), rq->node, ID_LEN) == 0 &&
           sqlite3_column_bytes(s, 4) == (int)sizeof(pk) &&
           memcmp(sqlite3_column_blob(s, 4), pk, sizeof(pk)) == 0;
  }
  sqlite3_reset(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return db_translate(rc);
  if (rc == SQLITE_DONE)
    return *why = "the enrolment token is not valid", DS_EAUTH;
  if (bound && !same)
    return *why = "the enrolment token has already been used", DS_EAUTH;
  if (!bound && (int64_t)rq->received_ms > expires)
    return *why = "the enrolment token has expired", DS_EAUTH;
  if (bound) /* same node and key, but the node row is gone: refuse */
    return *why = "the enrolment token has already been used", DS_EAUTH;
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

/* The chain hash of the log entry holding oplog position |pos|. */
static int hash_at_pos(struct ingest *ing, int64_t pos,
                       uint8_t hash[PROTO_HASH_LEN]) {
  sqlite3_stmt *s = ing->q[Q_OPLOG_AT];
  int rc;
  sqlite3_bind_int64(s, 1, pos);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == PROTO_HASH_LEN) {
    memcpy(hash, sqlite3_column_blob(s, 0), PROTO_HASH_LEN);
    rc = 0;
  } else {
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? DS_ENOENT : db_translate(rc);
  }
  sqlite3_reset(s);
  return rc;
}

/* Appends the pull page to |rs| after the response header. */
static int pull(struct ingest *ing, const struct proto_req *req,
                const struct who *w, struct proto_resp *hdr,
                struct ingest_res *rs, const struct proto_rejected *rej,
                uint32_t nrej) {
  bool district = strcmp(w->commune, "district") == 0;
  sqlite3_stmt *s = ing->q[district ? Q_PULL_ALL : Q_PULL_COMMUNE];
  uint64_t limit = req->limit, cursor = req->cursor;
  uint8_t have[PROTO_HASH_LEN];
  int64_t last = 0, maxpos = 0;
  uint32_t n = 0;
  int rc, step;

  if (limit == 0 || limit > PULL_CAP)
    limit = PULL_CAP;
  /* A cursor this log no longer holds with that hash (a restore from
   * backup) starts the pull over from 0: pulls are idempotent. */
  if (cursor > 0) {
    rc = hash_at_pos(ing, (int64_t)cursor, have);
    if (rc && rc != DS_ENOENT)
      return rc;
    if (rc || !req->has_cursor_hash ||
        memcmp(have, req->cursor_hash, PROTO_HASH_LEN) != 0)
      cursor = 0;
    hdr->head_lost = cursor == 0; /* said in the signed answer, DESIGN §11 */
  }
  sqlite3_bind_int64(s, 1, (int64_t)cursor);
  sqlite3_bind_blob(s, 2, req->node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(s, 3, (int64_t)limit + 1);
  if (!district)
    sqlite3_bind_text(s, 4, w->commune, -1, SQLITE_STATIC);
  buf_reset(&ing->enc);
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    if (n == limit) {
      hdr->more = true;
      break;
    }
    last = sqlite3_column_int64(s, 0);
    if (sqlite3_column_bytes(s, 4) != ID_LEN)
      rc = DS_ECORRUPT;
    else
      rc = opread_wire(&ing->rd, sqlite3_column_int64(s, 1),
                       (uint32_t)sqlite3_column_int64(s, 2),
                       (uint32_t)sqlite3_column_int64(s, 3),
                       sqlite3_column_blob(s, 4), &ing->enc);
    if (rc) {
      sqlite3_reset(s);
      opread_done(&ing->rd);
      return rc == DS_ENOMEM ? rc : DS_EUNAVAIL;
    }
    n++;
  }
  sqlite3_reset(s);
  opread_done(&ing->rd);
  if (step != SQLITE_ROW && step != SQLITE_DONE)
    return db_translate(step);
  if (!hdr->more) {
    /* Nothing more is visible to this device: its cursor can move to the
     * end of the log, so the next pull starts there. */
    s = ing->q[Q_OPLOG_MAX];
    if (sqlite3_step(s) == SQLITE_ROW)
      maxpos = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (maxpos > last)
      last = maxpos;
  }
  if (last < (int64_t)cursor)
    last = (int64_t)cursor;
  hdr->cursor = (uint64_t)last;
  hdr->has_cursor_hash = false;
  if (last > 0) {
    rc = hash_at_pos(ing, last, hdr->cursor_hash);
    if (rc && rc != DS_ENOENT)
      return rc;
    hdr->has_cursor_hash = rc == 0;
  }
  hdr->nops = n;
  rs->pulled = n;
  buf_reset(&rs->body);
  rc = proto_resp_begin(&rs->body, hdr);
  if (!rc)
    rc = buf_append(&rs->body, ing->enc.data, ing->enc.len);
  if (!rc)
    rc = proto_resp_end(&rs->body, rej, nrej);
  return rc;
}

int ingest_sync(struct ingest *ing, const struct ingest_req *rq,
                struct ingest_res *rs) {
  char err[DS_ERRBUF_LEN], msg[DS_ERRBUF_LEN + 64];
  struct proto_rejected *rej = NULL;
  struct proto_resp hdr = {0};
  struct proto_req req;
  const char *why = "the request is not authorised";
  struct who w;
  uint64_t now_hlc, limit_hlc, acked;
  uint8_t hash[SYNCLOG_HASH_LEN];
  int64_t entry = 0;
  uint32_t nrej = 0;
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
  if (rc)
    return refuse(rs, 503, PROTO_E_UNAVAILABLE,
                  "the district store is busy or failing; nothing was "
                  "stored, try again",
                  false, 0);
  rc = load_node(ing, rq->node, &w);
  if (!rc && !w.known) {
    rc = enroll(ing, rq, &w, &why);
    rs->enrolled = rc == 0;
  } else if (!rc && w.revoked) {
    rc = DS_EAUTH, why = "this device has been revoked";
  }
  /* The prep step's check stands if it used the key the node has now. */
  if (!rc &&
      !(rq->sig_checked &&
        sodium_memcmp(rq->sig_pk, w.pk, sizeof(w.pk)) == 0) &&
      crypto_sign_verify_detached(rq->sig, rq->body, rq->len, w.pk))
    rc = DS_EAUTH, why = "the request's signature does not verify";
  if (rc) {
    txn_rollback(ing);
    if (rc == DS_EAUTH)
      return refuse(rs, 401, PROTO_E_UNAUTHORIZED, why, false, 0);
    return refuse(rs, 503, PROTO_E_UNAVAILABLE,
                  "the district store is failing; nothing was stored", false,
                  0);
  }
  snprintf(rs->commune, sizeof(rs->commune), "%s", w.commune);
  rc = proto_req_decode(&req, rq->body, rq->len, err);
  if (rc) {
    txn_rollback(ing);
    if (rc == DS_EVERSION)
      return refuse(rs, 400, PROTO_E_VERSION, err, false, 0);
    if (rc == DS_ETOOBIG)
      return refuse(rs, 413, PROTO_E_TOO_LARGE, err, false, 0);
    if (rc == DS_ENOMEM)
      return refuse(rs, 503, PROTO_E_UNAVAILABLE, "out of memory", false, 0);
    return refuse(rs, 400, PROTO_E_BAD_REQUEST, err, false, 0);
  }
  if (memcmp(req.node, rq->node, ID_LEN) != 0) {
    rc = refuse(rs, 400, PROTO_E_BAD_REQUEST,
                "the body's node is not the Dansync-Node that signed it", false,
                0);
    goto out_rollback;
  }
  acked = w.acked;
  if (req.nops && req.first_seq > acked + 1) {
    snprintf(msg, sizeof(msg),
             "the batch starts at op %llu but the district has ops only "
             "through %llu; send from %llu",
             (unsigned long long)req.first_seq, (unsigned long long)acked,
             (unsigned long long)acked + 1);
    rc = refuse(rs, 409, PROTO_E_GAP, msg, true, acked + 1);
    goto out_rollback;
  }
  rc = store_hlc_get(ing->st, &now_hlc);
  if (rc)
    goto out_unavail;
  {
    uint64_t tick = hlc_tick(now_hlc, rq->received_ms);
    limit_hlc = HLC_FROM_MS(HLC_MS(tick) + rq->max_skew_ms) | 0xffff;
    now_hlc = tick;
  }
  /* Clock skew: the request's own clock here, each new op's in the loop
   * below (the transaction is rolled back if one is too far ahead). */
  if (!rq->replay && req.hlc > limit_hlc) {
    rc = skew_refusal(rs, req.hlc, now_hlc, rq->max_skew_ms);
    goto out_rollback;
  }
  /* Freshness (DESIGN §11): a request stamped more than the skew window
   * ago is a captured one. */
  if (!rq->replay && !rq->bundle &&
      fresh_stale(req.hlc, rq->received_ms, rq->max_skew_ms)) {
    rc = fresh_refusal(rs, req.hlc, rq->received_ms, rq->max_skew_ms);
    goto out_rollback;
  }
  if (req.nops && req.first_seq + req.nops - 1 > acked) {
    rc = synclog_append(ing->st, rq->node, rq->sig, rq->received_ms, rq->body,
                        rq->len, rq->has_body_hash ? rq->body_hash : NULL,
                        &entry, hash);
    if (rc)
      goto out_unavail;
    rs->logged = true;
    rej = ds_calloc(req.nops, sizeof(*rej));
    if (!rej) {
      rc = DS_ENOMEM;
      goto out_unavail;
    }
    buf_reset(&ing->msgs);
  }
  for (uint32_t i = 0; i < req.nops; i++) {
    char commune[SCHEMA_SLUG_MAX + 1];
    struct mresult res;
    struct op op;
    int orc;

    if (req.first_seq + i <= acked)
      continue; /* already stored: re-sending is harmless */
    orc = proto_req_op(&req, i, &op, NULL, err);
    if (!orc && !rq->replay && op.hlc > limit_hlc) {
      proto_req_cleanup(&req);
      ds_free(rej);
      txn_rollback(ing);
      return skew_refusal(rs, op.hlc, now_hlc, rq->max_skew_ms);
    }
    if (!orc)
      orc = store_check_op(ing->st, &op,
                           strcmp(w.commune, "district") ? w.commune : NULL,
                           true, commune, err);
    if (orc == DS_EBADOP || orc == DS_EFORBIDDEN) {
      /* One bad op never blocks a device: kept, named, and acked. */
      sqlite3_stmt *s = ing->q[Q_QUAR_ADD];
      size_t off = ing->msgs.len, mlen = strlen(err);
      struct op scratch;
      char e2[DS_ERRBUF_LEN];
      /* The op as received, for the quarantine list. */
      buf_reset(&ing->raw);
      (void)!proto_req_op(&req, i, &scratch, &ing->raw, e2);
      sqlite3_bind_int64(s, 1, entry);
      sqlite3_bind_blob(s, 2, rq->node, ID_LEN, SQLITE_STATIC);
      sqlite3_bind_int64(s, 3, (int64_t)op.seq);
      sqlite3_bind_text(s, 4, reject_code(orc), -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 5, err, -1, SQLITE_STATIC);
      sqlite3_bind_blob(s, 6, ing->raw.data, (int)ing->raw.len, SQLITE_STATIC);
      rc = db_run(s);
      if (!rc)
        rc = buf_append(&ing->msgs, err, mlen);
      if (rc)
        goto out_unavail;
      rej[nrej].seq = op.seq;
      rej[nrej].error = reject_code(orc);
      rej[nrej].error_len = strlen(rej[nrej].error);
      rej[nrej].message = (const char *)(uintptr_t)off; /* fixed up below */
      rej[nrej].message_len = mlen;
      nrej++;
      rs->quarantined++;
      continue;
    }
    if (orc) {
      rc = orc;
      goto out_unavail;
    }
    rc = store_apply(ing->st, &op, &res);
    if (rc)
      goto out_unavail;
    rs->merged++;
    rs->conflicts += res.conflicts;
    if (op.hlc > now_hlc)
      now_hlc = op.hlc;
    {
      sqlite3_stmt *s = ing->q[Q_OPLOG_ADD];
      uint32_t off, len;
      proto_req_op_span(&req, i, &off, &len);
      sqlite3_bind_int64(s, 1, entry);
      sqlite3_bind_blob(s, 2, rq->node, ID_LEN, SQLITE_STATIC);
      sqlite3_bind_text(s, 3, commune, -1, SQLITE_STATIC);
      sqlite3_bind_blob(s, 4, op.rid, ID_LEN, SQLITE_STATIC);
      sqlite3_bind_int64(s, 5, off);
      sqlite3_bind_int64(s, 6, len);
      rc = db_run(s);
    }
    if (rc)
      goto out_unavail;
  }
  for (uint32_t i = 0; i < nrej; i++)
    rej[i].message = (const char *)ing->msgs.data + (uintptr_t)rej[i].message;
  if (req.nops && req.first_seq + req.nops - 1 > acked)
    acked = req.first_seq + req.nops - 1;
  if (!rq->replay && req.hlc > now_hlc)
    now_hlc = req.hlc;
  rc = store_hlc_set(ing->st, now_hlc);
  if (!rc) {
    sqlite3_stmt *s = ing->q[Q_NODE_SET];
    sqlite3_bind_blob(s, 1, rq->node, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (int64_t)acked);
    sqlite3_bind_int64(s, 3, (int64_t)rq->received_ms);
    rc = db_run(s);
  }
  if (rc)
    goto out_unavail;
  hdr.acked = acked;
  hdr.hlc = now_hlc;
  hdr.conflicts = rs->conflicts;
  if (rq->replay) {
    /* Nobody reads a replayed request's answer: no pull. */
    buf_reset(&rs->body);
    rc = proto_resp_begin(&rs->body, &hdr);
    if (!rc)
      rc = proto_resp_end(&rs->body, rej, nrej);
  } else {
    rc = pull(ing, &req, &w, &hdr, rs, rej, nrej);
  }
  if (rc)
    goto out_unavail;
  rc = txn_commit(ing);
  if (rc)
    goto out_unavail_committed;
  rs->status = 200;
  if (req.has_lost_head && !rq->replay) {
    /* A device's report (DESIGN §11): the district no longer holds a head
     * it signed for it (a restore from an older backup, a log cut short). */
    char n[ID_HEX_LEN + 1], h[2 * PROTO_HASH_LEN + 1];
    hex_encode(n, rq->node, ID_LEN);
    hex_encode(h, req.lost_hash, PROTO_HASH_LEN);
    LOG_WARN("sync", "lost_head node=%.16s cursor=%llu cursor_hash=%.16s", n,
             (unsigned long long)req.lost_cursor, h);
  }
  proto_req_cleanup(&req);
  ds_free(rej);
  return 0;

out_unavail:
  txn_rollback(ing);
out_unavail_committed:
  proto_req_cleanup(&req);
  ds_free(rej);
  return ingest_res_unavailable(rs, rc);
out_rollback:
  txn_rollback(ing);
  proto_req_cleanup(&req);
  ds_free(rej);
  return rc;
}
