/* SPDX-License-Identifier: MIT
 * head.c -- the head check: a sync request's body is read only once its
 * head says who sends it. An enrolled node (known to the loop, or looked up
 * on the pool while the connection's reads pause, so enrolments and
 * revocations made by other processes are seen), or an unknown one with an
 * enrolment token still unused and unexpired; and its declared length
 * within what is left of the memory for bodies, a quarter of it per
 * address.
 * Everything else is refused from the head, the body drained unread. The
 * writer still judges in full (token, signature, revocation): this only
 * decides what is worth reading. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/hex.h"
#include "daemon/serve.h"
#include "daemon/enrol.h"
#include "proto/codec.h"

enum check {
  CK_KNOWN,
  CK_REVOKED,
  CK_TOKEN,
  CK_BAD_TOKEN,
  CK_USED_TOKEN,
  CK_EXPIRED_TOKEN,
  CK_BAD_KEY,
  CK_UNKNOWN,
  CK_FAILED
};

/* Refuses a request from its head: the body, if one is on its way, is
 * read and dropped (draining) rather than buffered. */
static void head_refuse(struct conn *c, int status, const char *code,
                        const char *msg, const char *reason) {
  char detail[64] = "";
  if (c->rq.has_node) {
    char node[ID_HEX_LEN + 1];
    hex_encode(node, c->rq.node, ID_LEN);
    snprintf(detail, sizeof(detail), "claimed_node=%.16s status=%d", node,
             status);
  } else {
    snprintf(detail, sizeof(detail), "status=%d", status);
  }
  conn_refusal(c, reason, detail);
  c->keep_alive = false;
  c->drain = c->rp.chunked || c->rp.length > 0;
  c->pending.len = 0;
  conn_respond_error(c, status, code, msg);
}

/* The memory for bodies is shared: a body is read only if its declared
 * length fits in what is left. */
static void admit(struct conn *c) {
  struct daemon *d = c->d;
  uint64_t len = c->rp.length, mine = 0;

  /* One address may hold a quarter of it (at least one largest body): a
   * stranger needs many addresses to crowd out the devices. */
  for (const struct conn *o = d->conns; o; o = o->next)
    if (o != c && peer_same(&o->peer, &c->peer))
      mine += o->body_len;
  if (len > d->cfg->max_body_bytes - d->body_reserved ||
      mine + len > (d->cfg->max_body_bytes / 4 > PROTO_MAX_BODY
                        ? d->cfg->max_body_bytes / 4
                        : PROTO_MAX_BODY) ||
      buf_reserve_exact(&c->rp.body, len)) {
    head_refuse(c, 503, PROTO_E_UNAVAILABLE,
                "the district server is busy; nothing was stored, try again "
                "shortly",
                "busy");
    return;
  }
  d->body_reserved += len;
  c->body_len = len;
  c->state = RS_BODY;
  c->since_ms = uv_now(&d->loop);
  conn_read_on(c);
}

/* On the pool: is the node enrolled (and its key), revoked, or unknown
 * and, if so, does its token exist? The writer judges the rest. */
static void check_cb(uv_work_t *w) {
  struct conn *c = container_of(w, struct conn, pool);
  struct daemon *d = c->d;
  enum registry_node_state node;
  enum registry_token_state tok;
  uint8_t key[32], hash[32];

  if (registry_keys_node(d->keys, c->rq.node, c->pk, &node)) {
    c->check = CK_FAILED;
  } else if (node == REG_NODE_REVOKED) {
    c->check = CK_REVOKED;
  } else if (node == REG_NODE_KNOWN) {
    c->check = CK_KNOWN;
  } else if (!c->rp.token[0]) {
    /* A node the district forgot (restored from an older backup) that
     * shows its enrolment receipt: the writer re-registers it. */
    c->check = enrol_receipt_check(d->answer_sk + 32, c->rq.node, c->rp.key,
                                   c->rp.receipt)
                   ? CK_TOKEN
                   : CK_UNKNOWN;
  } else if (hex_decode(key, sizeof(key), c->rp.key)) {
    c->check = CK_BAD_KEY;
  } else {
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)c->rp.token,
                       strlen(c->rp.token), NULL, 0);
    /* As the writer judges it, so a stranger with a spent or expired token
     * is refused before its body is read. */
    c->check = registry_keys_token(d->keys, hash, clock_now_ms(), &tok)
                   ? CK_FAILED
               : tok == REG_TOKEN_BAD     ? CK_BAD_TOKEN
               : tok == REG_TOKEN_USED    ? CK_USED_TOKEN
               : tok == REG_TOKEN_EXPIRED ? CK_EXPIRED_TOKEN
                                          : CK_TOKEN;
  }
}

/* What the head check refuses, and how. */
static const struct {
  int status;
  const char *code, *msg, *reason;
} refusals[] = {
    [CK_REVOKED] = {401, PROTO_E_UNAUTHORIZED, "this device has been revoked",
                    "revoked"},
    [CK_BAD_TOKEN] = {401, PROTO_E_UNAUTHORIZED,
                      "the enrolment token is not valid", "bad_token"},
    [CK_USED_TOKEN] = {401, PROTO_E_UNAUTHORIZED,
                       "the enrolment token has already been used",
                       "used_token"},
    [CK_EXPIRED_TOKEN] = {401, PROTO_E_UNAUTHORIZED,
                          "the enrolment token has expired", "expired_token"},
    [CK_BAD_KEY] = {401, PROTO_E_UNAUTHORIZED,
                    "Dansync-Key must be a 32-byte Ed25519 key in hex",
                    "bad_key"},
    [CK_UNKNOWN] = {401, PROTO_E_UNAUTHORIZED,
                    "unknown device: present a valid enrolment token",
                    "unknown_node"},
    [CK_FAILED] = {503, PROTO_E_UNAVAILABLE,
                   "the district store is busy; nothing was stored, try "
                   "again",
                   "store_busy"},
};

static void after_check(uv_work_t *w, int status) {
  struct conn *c = container_of(w, struct conn, pool);
  (void)status;
  c->in_pool = false;
  if (c->closing) {
    uv_close((uv_handle_t *)&c->tcp, conn_on_close);
    return;
  }
  if (c->check == CK_KNOWN) {
    ncache_put(&c->d->known, c->rq.node, c->pk);
    c->has_pk = true;
    admit(c);
  } else if (c->check == CK_TOKEN) {
    admit(c); /* an enrolment: the writer checks the token in full */
  } else {
    head_refuse(c, refusals[c->check].status, refusals[c->check].code,
                refusals[c->check].msg, refusals[c->check].reason);
  }
}

/* A request's head is in. Only a sync carries a body, and its body is read
 * only once the head says who sends it: an enrolled node (known to the
 * loop, or looked up off it while this connection's reads pause) or an
 * unknown one with an existing enrolment token. */
void conn_head(struct conn *c) {
  struct http_rp *rp = &c->rp;
  struct daemon *d = c->d;
  size_t n = 0;

  uv_read_stop((uv_stream_t *)&c->tcp);
  if (!conn_path_is(c, "/v1/sync") || rp->method != HTTP_POST) {
    if (rp->chunked || rp->length > 0) {
      head_refuse(c, 400, PROTO_E_BAD_REQUEST,
                  "only POST /v1/sync takes a body", "unexpected_body");
      return;
    }
    conn_read_on(c); /* no body: the request is whole at once */
    return;
  }
  c->is_sync = true;
  memset(&c->rq, 0, sizeof(c->rq));
  c->has_pk = false;
  if (!rp->has_length || rp->chunked) {
    head_refuse(c, 400, PROTO_E_BAD_REQUEST,
                "a sync request must give its Content-Length", "no_length");
    return;
  }
  if (rp->length == 0) {
    head_refuse(c, 400, PROTO_E_BAD_REQUEST, "the request has no body",
                "no_body");
    return;
  }
  c->rq.has_node = hex_decode(c->rq.node, ID_LEN, rp->node) == 0;
  c->rq.has_sig =
      sodium_base642bin(c->rq.sig, sizeof(c->rq.sig), rp->sig, strlen(rp->sig),
                        NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
      n == sizeof(c->rq.sig);
  if (!c->rq.has_node || !c->rq.has_sig) {
    head_refuse(c, 401, PROTO_E_UNAUTHORIZED,
                "requests must carry Dansync-Node and Dansync-Signature",
                "no_identity");
    return;
  }
  if (ncache_get(&d->known, c->rq.node, c->pk)) {
    c->has_pk = true;
    admit(c);
    return;
  }
  if (!d->keys) { /* no second connection (a store in memory) */
    admit(c);
    return;
  }
  c->state = RS_CHECK;
  c->in_pool = true;
  if (uv_queue_work(&d->loop, &c->pool, check_cb, after_check)) {
    c->in_pool = false;
    admit(c); /* the writer judges it all */
  }
}
