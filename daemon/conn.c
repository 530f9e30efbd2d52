/* SPDX-License-Identifier: MIT
 * conn.c -- dansyncd's HTTP connections on the libuv loop: accepting
 * (within the limits evict.c keeps), reading and parsing (daemon/http.c),
 * the deadline of every phase, the refusal log, and answers. A request's
 * head goes to the head check (head.c), which decides whether its body is
 * read at all; whole sync requests go to the writer through srv_enqueue
 * (server.c). Pool work here: the prep step (a body's hash and
 * signature). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/hex.h"
#include "daemon/log.h"
#include "daemon/serve.h"
#include "proto/codec.h"

static void resume(struct conn *c);

/* ---- responses ---- */

static const char *reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 413: return "Payload Too Large";
  case 431: return "Request Header Fields Too Large";
  case 503: return "Service Unavailable";
  default: return "Error";
  }
}

/* Buffers that grew past this are given back after each request, so idle
 * keep-alive connections hold no megabytes. */
#define KEEP_BUF_BYTES (1024 * 1024)

static void trim(struct buf *b) {
  if (b->cap > KEEP_BUF_BYTES)
    buf_cleanup(b);
  else
    buf_reset(b);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b);

static void drain_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
  struct conn *c = s->data;
  (void)b;
  if (nread < 0) {
    conn_close(c);
    return;
  }
  c->drained += (size_t)nread; /* and dropped */
  if (c->drained > DRAIN_MAX_BYTES)
    conn_close(c);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)req;
  (void)status; /* the drain's read or deadline closes the connection */
}

static void on_write(uv_write_t *w, int status) {
  struct conn *c = container_of(w, struct conn, wreq);
  trim(&c->out);
  trim(&c->tout);
  trim(&c->rp.body);
  trim(&c->rs.body);
  if (status >= 0 && c->drain && !c->closing) {
    c->state = RS_DRAINING;
    c->since_ms = uv_now(&c->d->loop);
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) ||
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, drain_read))
      conn_close(c);
    return;
  }
  if (status < 0 || !c->keep_alive || c->d->stopping || c->closing) {
    conn_close(c);
    return;
  }
  resume(c);
}

/* What a request holds while it is handled: its node's slot, its share
 * of the memory for bodies, and its decoded body. Given back once it is
 * answered or dropped. */
static void release(struct conn *c) {
  ingest_req_release(&c->rq);
  if (c->predecode)
    c->d->predecoded -= c->rq.len;
  c->predecode = false;
  c->holds_node = false;
  c->d->body_reserved -= c->body_len;
  c->body_len = 0;
}

/* Sends a response; the connection closes after it unless kept alive. */
void conn_respond(struct conn *c, int status, const char *type,
                  const void *body, size_t len) {
  uv_buf_t b;
  int rc;

  release(c);
  c->served++;
  if (c->is_sync)
    metrics_count_status(&c->d->met, status);
  if (c->d->stopping)
    c->keep_alive = false;
  buf_reset(&c->out);
  rc = buf_printf(&c->out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: "
                  "%zu\r\n%s%sConnection: %s\r\n\r\n",
                  status, reason(status), type, len,
                  status == 503 ? "Retry-After: 1\r\n" : "", c->xhdr,
                  c->keep_alive ? "keep-alive" : "close");
  c->xhdr[0] = '\0';
  if (!rc)
    rc = buf_append(&c->out, body, len);
  if (rc) {
    conn_close(c);
    return;
  }
  c->state = RS_WRITING;
  c->since_ms = c->wq_ms = uv_now(&c->d->loop);
  c->wq_left = c->out.len;
  b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
  if (c->tls) {
    /* Encrypted, with one close_notify after the last answer. */
    if (tls_seal(c->tls, c->out.data, c->out.len, !c->keep_alive, &c->tout)) {
      conn_close(c);
      return;
    }
    c->wq_left = c->tout.len;
    b = uv_buf_init((char *)c->tout.data, (unsigned)c->tout.len);
  }
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write))
    conn_close(c);
}

void conn_respond_error(struct conn *c, int status, const char *code,
                        const char *msg) {
  struct buf b;
  buf_init(&b, 0);
  if (proto_error_encode(&b, code, msg, false, 0)) {
    buf_cleanup(&b);
    conn_close(c);
    return;
  }
  conn_respond(c, status, "application/msgpack", b.data, b.len);
  buf_cleanup(&b);
}

/* ---- the refusal log ---- */

/* Logs a conn_refusal (or a cut) with the peer's address; a flood of the same
 * kind from one address is counted and summed up once per window. Nothing
 * a peer sent is printed raw: |detail| holds only decoded ids and numbers. */
void conn_refusal(struct conn *c, const char *reason, const char *detail) {
  if (rlog_note(&c->d->rlog, &c->peer, reason))
    LOG_WARN("http", "refused peer=%s reason=%s%s%s", c->peer.text, reason,
             detail ? " " : "", detail ? detail : "");
}

static void rlog_emit(const char *peer, const char *reason, uint64_t more,
                      void *arg) {
  (void)arg;
  LOG_WARN("http", "refused peer=%s reason=%s repeated=%llu window_s=%d",
           peer ? peer : "(other addresses)", reason, (unsigned long long)more,
           RLOG_WINDOW_MS / 1000);
}

/* ---- the prep step: before the writer, on the pool ---- */

/* What needs the body but not the store's state: its hash for the sync log
 * and its signature, checked against the key the head check found (the
 * writer checks that key is still the node's and still valid), then, for a
 * body that node signed, its decoding and each op's own checks. The
 * writer, one thread, then only merges. */
static void prep_cb(uv_work_t *w) {
  struct conn *c = container_of(w, struct conn, pool);
  ingest_req_prep(&c->rq, c->has_pk ? c->pk : NULL);
  if (c->rq.sig_checked && c->predecode)
    ingest_req_decode(&c->rq);
}

/* True when another connection has a request of |c|'s node in flight. */
static bool node_busy(const struct conn *c) {
  for (const struct conn *o = c->d->conns; o; o = o->next)
    if (o != c && o->holds_node && memcmp(o->rq.node, c->rq.node, ID_LEN) == 0)
      return true;
  return false;
}

static void after_prep(uv_work_t *w, int status) {
  struct conn *c = container_of(w, struct conn, pool);
  (void)status;
  c->in_pool = false;
  if (c->closing) {
    uv_close((uv_handle_t *)&c->tcp, conn_on_close); /* nothing was stored */
    return;
  }
  /* One request per node in flight, counted once its signature shows the
   * node sent it: a stranger who claims a device's id cannot hold the
   * device's slot. */
  if (c->rq.sig_checked) {
    if (node_busy(c)) {
      conn_refusal(c, "node_busy", NULL);
      c->keep_alive = false;
      conn_respond_error(c, 503, PROTO_E_UNAVAILABLE,
                         "another request from this device is still being "
                         "handled; try again");
      return;
    }
    c->holds_node = true;
  }
  srv_enqueue(c);
}

static void prep(struct conn *c) {
  c->state = RS_QUEUED; /* no read deadline from here on */
  /* Only a body whose signature can be checked here is decoded here. */
  c->predecode =
      c->has_pk && c->d->predecoded + c->rq.len <= PREDECODE_MAX_BYTES;
  if (c->predecode)
    c->d->predecoded += c->rq.len;
  c->in_pool = true;
  if (uv_queue_work(&c->d->loop, &c->pool, prep_cb, after_prep)) {
    c->in_pool = false;
    srv_enqueue(c); /* the writer does it all */
  }
}

/* GET /metrics (daemon/metrics.c). */
static void metrics_page(struct conn *c) {
  struct buf b;

  buf_init(&b, 0);
  if (metrics_render(&c->d->met, c->d->nlive, c->d->body_reserved, &b))
    conn_respond_error(c, 503, PROTO_E_UNAVAILABLE, "out of memory");
  else
    conn_respond(c, 200, "text/plain; version=0.0.4", b.data, b.len);
  buf_cleanup(&b);
}

bool conn_path_is(const struct conn *c, const char *path) {
  return http_rp_path_is(&c->rp, path);
}

/* A whole request: answered here, or (a sync) prepared for the writer. */
static void dispatch(struct conn *c) {
  int method = c->rp.method;

  uv_read_stop((uv_stream_t *)&c->tcp);
  if (conn_path_is(c, "/v1/health")) {
    if (method != HTTP_GET)
      conn_respond_error(c, 405, PROTO_E_BAD_REQUEST, "use GET");
    else
      conn_respond(c, 200, "text/plain", "ok\n", 3);
    return;
  }
  if (conn_path_is(c, "/metrics")) {
    if (method != HTTP_GET)
      conn_respond_error(c, 405, PROTO_E_BAD_REQUEST, "use GET");
    else
      metrics_page(c);
    return;
  }
  if (!conn_path_is(c, "/v1/sync")) {
    conn_respond_error(c, 404, PROTO_E_NOT_FOUND, "no such endpoint");
    return;
  }
  c->is_sync = true;
  if (method != HTTP_POST) {
    conn_respond_error(c, 405, PROTO_E_BAD_REQUEST, "use POST");
    return;
  }
  /* Node and signature were decoded from the head (on_head). */
  c->rq.body = c->rp.body.data;
  c->rq.len = c->rp.body.len;
  c->rq.token = c->rp.token[0] ? c->rp.token : NULL;
  c->rq.key_hex = c->rp.key[0] ? c->rp.key : NULL;
  c->rq.receipt = c->rp.receipt[0] ? c->rp.receipt : NULL;
  c->rq.received_ms = clock_now_ms();
  c->rq.max_skew_ms = c->d->cfg->max_skew_ms;
  ingest_res_cleanup(&c->rs);
  ingest_res_init(&c->rs);
  prep(c);
}

/* ---- connections ---- */

/* Every read lands in the daemon's one buffer and is parsed at once (the
 * loop runs one callback at a time); only what the parser leaves -- it
 * stops at each head and each whole request -- is copied into the
 * connection, so an idle connection holds no read buffer. */
static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  struct conn *c = h->data;
  (void)hint;
  b->base = (char *)c->d->rbuf;
  b->len = sizeof(c->d->rbuf);
}

/* Parses |data| (the daemon's read buffer, or c->pending itself). */
static void feed(struct conn *c, const uint8_t *data, size_t len) {
  size_t used, rest;
  int status = 400;
  enum http_rp_status st;

  if (len == 0)
    return;
  st = http_rp_feed(&c->rp, (const char *)data, len, &used, &status);
  rest = len - used;
  if (data == c->pending.data) {
    memmove(c->pending.data, data + used, rest);
    c->pending.len = rest;
  } else if (rest && buf_append(&c->pending, data + used, rest)) {
    conn_close(c);
    return;
  }
  switch (st) {
  case HTTP_RP_MORE: return;
  case HTTP_RP_HEAD: conn_head(c); return;
  case HTTP_RP_REQUEST:
    c->keep_alive = c->rp.keep_alive;
    dispatch(c);
    return;
  case HTTP_RP_ERROR: break;
  }
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->pending.len = 0;
  c->keep_alive = false;
  c->drain = status == 413; /* the body may still be on its way */
  c->is_sync = strncmp(c->rp.url, "/v1/sync", 8) == 0;
  conn_refusal(c,
               status == 413   ? "too_large"
               : status == 431 ? "headers_too_large"
                               : "malformed",
               NULL);
  conn_respond_error(c, status,
                     status == 413 ? PROTO_E_TOO_LARGE : PROTO_E_BAD_REQUEST,
                     status == 413   ? "the body is larger than 8 MiB"
                     : status == 431 ? "the headers are too large"
                                     : "malformed HTTP request");
}

/* A TLS message the engine must send on its own (the handshake's, a
 * session ticket): written beside the answers, in order. */
struct ctl_write {
  uv_write_t req;
  struct conn *c;
  uint8_t *data;
};

static void on_ctl_write(uv_write_t *w, int status) {
  struct ctl_write *cw = container_of(w, struct ctl_write, req);
  if (status < 0 && status != UV_ECANCELED)
    conn_close(cw->c);
  ds_free(cw->data);
  ds_free(cw);
}

static void tls_flush(struct conn *c) {
  struct buf b;
  struct ctl_write *cw;
  uv_buf_t ub;
  size_t len;

  buf_init(&b, 0);
  if (tls_take(c->tls, &b) || !b.len) {
    buf_cleanup(&b);
    return;
  }
  cw = ds_calloc(1, sizeof(*cw));
  if (!cw) {
    buf_cleanup(&b);
    conn_close(c);
    return;
  }
  cw->c = c;
  cw->data = buf_take(&b, &len);
  ub = uv_buf_init((char *)cw->data, (unsigned)len);
  if (uv_write(&cw->req, (uv_stream_t *)&c->tcp, &ub, 1, on_ctl_write)) {
    ds_free(cw->data);
    ds_free(cw);
    conn_close(c);
  }
}

/* Encrypted bytes: decrypted into pending, answered if the handshake
 * needs it, then parsed as any plaintext is. */
static void tls_read(struct conn *c, const uint8_t *data, size_t len) {
  enum tls_status st = tls_feed(c->tls, data, len, &c->pending);
  tls_flush(c);
  if (st == TLS_ERROR) {
    char detail[200];
    snprintf(detail, sizeof(detail), "error=\"%s\"", tls_error(c->tls));
    conn_refusal(c, tls_handshake_done(c->tls) ? "tls" : "tls_handshake",
                 detail);
    conn_close(c);
    return;
  }
  if (c->pending.len)
    feed(c, c->pending.data, c->pending.len);
  if (st == TLS_CLOSED && !c->closing &&
      (c->state == RS_IDLE || c->state == RS_HEAD || c->state == RS_BODY))
    conn_close(c); /* close_notify: nothing more will come */
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
  struct conn *c = s->data;
  if (nread < 0) {
    /* EOF or error: a half request is dropped; nothing was stored. */
    conn_close(c);
    return;
  }
  if (nread == 0)
    return;
  if (c->tls) {
    tls_read(c, (const uint8_t *)b->base, (size_t)nread);
    return;
  }
  if (c->pending.len == 0) {
    feed(c, (const uint8_t *)b->base, (size_t)nread);
    return;
  }
  if (buf_append(&c->pending, b->base, (size_t)nread)) {
    conn_close(c);
    return;
  }
  feed(c, c->pending.data, c->pending.len);
}

/* Reads again where the parser stopped (after a head or a request). */
void conn_read_on(struct conn *c) {
  http_rp_resume(&c->rp);
  if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb)) {
    conn_close(c);
    return;
  }
  feed(c, c->pending.data, c->pending.len);
}

/* After an answer: idle until the next request's first byte. */
static void resume(struct conn *c) {
  /* A connection between requests keeps no buffer a request grew. */
  if (!c->pending.len && c->pending.cap > 16 * 1024)
    buf_cleanup(&c->pending);
  http_rp_trim(&c->rp);
  c->state = RS_IDLE;
  c->since_ms = uv_now(&c->d->loop);
  c->is_sync = c->drain = false;
  conn_read_on(c);
}

void conn_on_close(uv_handle_t *h) {
  struct conn *c = h->data, **pp;
  struct daemon *d = c->d;
  for (pp = &d->conns; *pp; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  d->nconns--;
  release(c);
  http_rp_cleanup(&c->rp);
  buf_cleanup(&c->pending);
  buf_cleanup(&c->out);
  buf_cleanup(&c->tout);
  tls_conn_free(c->tls);
  ingest_res_cleanup(&c->rs);
  ds_free(c);
}

void conn_close(struct conn *c) {
  if (c->closing)
    return;
  c->closing = true;
  c->d->nlive--;
  if (c->in_pool)
    return; /* closed when its head check or prep finishes */
  if (c->state == RS_QUEUED) {
    struct daemon *d = c->d;
    struct conn **pp, *prev = NULL;
    if (c->in_writer)
      return; /* closed when its merge finishes (after_work) */
    /* Not started: drop it from the queue; nothing was stored. */
    for (pp = &d->queue; *pp; prev = *pp, pp = &(*pp)->qnext) {
      if (*pp == c) {
        *pp = c->qnext;
        if (d->queue_tail == c)
          d->queue_tail = prev;
        break;
      }
    }
  }
  uv_close((uv_handle_t *)&c->tcp, conn_on_close);
}

/* A request's first byte: its head's deadline starts now. */
static void on_begin(void *arg) {
  struct conn *c = arg;
  c->state = RS_HEAD;
  /* A new connection's first head counts from the accept. */
  if (c->served)
    c->since_ms = uv_now(&c->d->loop);
}

static void cut(struct conn *c, int which) {
  static const char *const name[] = {"head_timeout", "body_timeout",
                                     "write_timeout", "idle"};
  c->d->met.cut[which]++;
  if (which == CUT_IDLE)
    LOG_DEBUG("http", "closing an idle connection peer=%s", c->peer.text);
  else
    conn_refusal(c, name[which], NULL);
  conn_close(c);
}

/* The deadlines, looked at every SWEEP_MS: a connection waiting for the
 * daemon (its head checked, its request queued or merged) has none. */
void conn_on_sweep(uv_timer_t *t) {
  struct daemon *d = t->data;
  const struct srv_config *cfg = d->cfg;
  uint64_t now = uv_now(&d->loop);
  struct conn *c, *next;

  for (c = d->conns; c; c = next) {
    uint64_t age = now - c->since_ms;
    next = c->next;
    if (c->closing)
      continue;
    switch (c->state) {
    case RS_IDLE:
      /* A new connection owes its first request a head; a kept-alive one
       * may wait longer for its next. */
      if (!c->served && age >= cfg->head_timeout_ms)
        cut(c, CUT_HEAD);
      else if (c->served && age >= cfg->idle_timeout_ms)
        cut(c, CUT_IDLE);
      break;
    case RS_HEAD:
      if (age >= cfg->head_timeout_ms)
        cut(c, CUT_HEAD);
      break;
    case RS_BODY: {
      /* At least 1 KiB/s, and fast enough to finish in the deadline: a
       * large body announced and trickled cannot hold its memory long. */
      uint64_t rate = c->body_len * 1000 / cfg->read_timeout_ms;
      if (rate < BODY_MIN_RATE)
        rate = BODY_MIN_RATE;
      if (age >= cfg->read_timeout_ms ||
          (age > BODY_GRACE_MS &&
           c->rp.body.len * 1000 < (age - BODY_GRACE_MS) * rate))
        cut(c, CUT_BODY);
      break;
    }
    case RS_WRITING: {
      size_t left = c->tcp.write_queue_size;
      if (left != c->wq_left) {
        c->wq_left = left;
        c->wq_ms = now;
      } else if (now - c->wq_ms >= cfg->write_timeout_ms) {
        cut(c, CUT_WRITE);
      }
      break;
    }
    case RS_DRAINING:
      if (age >= DRAIN_MS)
        conn_close(c);
      break;
    case RS_CHECK:
    case RS_QUEUED: break;
    }
  }
  if (now - d->rlog_ms >= RLOG_WINDOW_MS) {
    rlog_flush(&d->rlog, rlog_emit, NULL);
    d->rlog_ms = now;
  }
}

static void on_spare_close(uv_handle_t *h) {
  struct daemon *d = container_of(h, struct daemon, spare);
  d->spare_busy = false;
}

void conn_on_connection(uv_stream_t *server, int status) {
  struct daemon *d = container_of(server, struct daemon, listener);
  struct sockaddr_storage sa;
  int salen = sizeof(sa);
  struct conn *c;

  if (status < 0)
    return;
  c = ds_calloc(1, sizeof(*c));
  if (!c) {
    /* Accept and drop it: a listener whose connection is not accepted is
     * not polled again. */
    if (!d->spare_busy && !uv_tcp_init(&d->loop, &d->spare)) {
      d->spare_busy = true;
      (void)uv_accept(server, (uv_stream_t *)&d->spare);
      uv_close((uv_handle_t *)&d->spare, on_spare_close);
    }
    d->met.shed++;
    return;
  }
  c->d = d;
  uv_tcp_init(&d->loop, &c->tcp);
  c->tcp.data = c;
  http_rp_init(&c->rp, on_begin, c);
  buf_init(&c->pending, 0);
  buf_init(&c->out, 0);
  buf_init(&c->tout, 0);
  ingest_res_init(&c->rs);
  c->next = d->conns;
  d->conns = c;
  d->nconns++;
  d->nlive++;
  c->state = RS_IDLE;
  c->since_ms = uv_now(&d->loop);
  if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
    conn_close(c);
    return;
  }
  peer_set(&c->peer, uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &salen)
                         ? NULL
                         : (struct sockaddr *)&sa);
  if (d->stopping) {
    conn_close(c);
    return;
  }
  if (evict_for(c))
    return;
  if (d->tls && tls_conn_new(&c->tls, d->tls)) {
    conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb))
    conn_close(c);
}
