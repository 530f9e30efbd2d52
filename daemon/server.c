/* SPDX-License-Identifier: MIT
 * server.c -- the libuv HTTP server. Everything here runs on the loop thread
 * except four kinds of work in the threadpool, so the loop never waits on
 * disk: a request's prep step (its body's hash and signature), the writer
 * (ingest_sync for one group of requests at a time), the sync of a group's
 * WAL frames, and the checkpointer. */
#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <uv.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/store.h"
#include "daemon/ingest.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "proto/codec.h"

#define MAX_COMMUNES 128

/* The writer does not copy the WAL back into the database itself: past
 * CKPT_BYTES of WAL a second connection does it on another thread, so
 * merges do not stall behind it. Should that fall behind, the writer
 * checkpoints at CKPT_HARD_BYTES rather than let the WAL grow. */
#define CKPT_BYTES (16 << 20)
#define CKPT_HARD_BYTES (128 << 20)

/* Group commit: the writer takes every request waiting when it starts, up
 * to these bounds, merges each in a savepoint of one transaction and
 * commits them once. One waiting request is a group of one. */
#define GROUP_MAX 16
#define GROUP_MAX_BYTES (32u << 20)

/* A group is durable once its WAL frames are on disk. The writer commits
 * without waiting for that (synchronous = NORMAL) and goes on to the next
 * group while another thread syncs the WAL file; the group's answers go out
 * after that sync. A later sync covers every earlier commit's frames, so no
 * answer, pulls included, shows what might not survive a power cut. Should
 * the WAL file not open, the writer commits with synchronous = FULL. */
struct group {
  uv_work_t sync;
  struct daemon *d;
  int n, sync_rc;
  bool full; /* committed with synchronous = FULL: synced already */
  uint64_t commit_ns, sync_ns;
  struct conn *c[GROUP_MAX];
};

#define container_of(ptr, type, member) \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct conn;

struct commune_stat {
  char slug[SCHEMA_SLUG_MAX + 1];
  uint64_t last_sync_ms;
};

struct daemon {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigterm, sigint;
  uv_timer_t ready;
  int port;
  uv_work_t work;
  /* The prep step's read connection, shared by the pool's threads. */
  sqlite3 *keydb;
  sqlite3_stmt *keyq;
  uv_mutex_t keylock;
  uv_work_t ckwork;   /* the checkpointer */
  sqlite3 *ckdb;      /* its connection; NULL: the writer checkpoints */
  bool ck_running;
  int wal_frames;     /* after the writer's last commit */
  int ck_frames, ck_hard_frames; /* the two bounds, in pages */
  const struct srv_config *cfg;
  struct store *st;
  struct ingest *ing;
  struct conn *conns;              /* every open connection */
  struct conn *queue, *queue_tail; /* waiting for the writer */
  struct group *group;             /* in the writer now */
  int walfd;                       /* the WAL, for the group syncs; or -1 */
  bool sync_full;                  /* a sync failed: back to FULL */
  bool writer_full;                /* the writer's setting (its thread) */
  int syncing;                     /* group syncs under way */
  int nconns;
  bool stopping;
  /* Metrics, touched only on the loop thread. */
  uint64_t requests[6]; /* by status class: 2xx 4xx(401,409,413,other) 5xx */
  uint64_t merged, quarantined, conflicts, shed;
  int ncommunes;
  struct commune_stat communes[MAX_COMMUNES];
};

enum req_state { RS_READING, RS_QUEUED, RS_WRITING, RS_DRAINING };

/* After refusing a request whose body is still arriving (413), the answer is
 * sent, the write side shut, and what the client still sends is read and
 * dropped for up to this long, so the client gets to read the refusal
 * instead of a reset connection. */
#define DRAIN_MS 5000
#define DRAIN_MAX_BYTES (16u * 1024u * 1024u)

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t wreq;
  struct daemon *d;
  struct conn *next, *qnext;
  struct http_rp rp;
  uv_shutdown_t sreq;
  enum req_state state;
  bool closing, keep_alive, is_sync, drain;
  bool in_writer; /* in the writer's group: closed after it */
  bool in_prep;   /* in the prep step: closed after it */
  uv_work_t prep;
  size_t drained;
  struct buf pending, out;
  struct ingest_req rq;
  struct ingest_res rs;
  uint64_t queued_ns, work_ns; /* when it was queued; the merge's time */
};

static void on_close(uv_handle_t *h);
static void on_timeout(uv_timer_t *t);
static void conn_close(struct conn *c);
static void start_next(struct daemon *d);
static void enqueue(struct conn *c);
static void maybe_checkpoint(struct daemon *d);
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

static void count_status(struct daemon *d, int status) {
  int k = status < 300   ? 0
          : status == 401 ? 1
          : status == 409 ? 2
          : status == 413 ? 3
          : status < 500  ? 4
                          : 5;
  d->requests[k]++;
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
  c->pending.len = 0; /* dropped */
  if (nread < 0) {
    conn_close(c);
    return;
  }
  c->drained += (size_t)nread;
  if (c->drained > DRAIN_MAX_BYTES)
    conn_close(c);
}

static void on_drain_timeout(uv_timer_t *t) { conn_close(t->data); }

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)req;
  (void)status; /* the drain's read or timer closes the connection */
}

static void on_write(uv_write_t *w, int status) {
  struct conn *c = container_of(w, struct conn, wreq);
  trim(&c->out);
  trim(&c->rp.body);
  trim(&c->rs.body);
  if (status >= 0 && c->drain && !c->closing) {
    c->state = RS_DRAINING;
    uv_timer_start(&c->timer, on_drain_timeout, DRAIN_MS, 0);
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) ||
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, drain_read))
      conn_close(c);
    return;
  }
  if (status < 0 || !c->keep_alive || c->d->stopping) {
    conn_close(c);
    return;
  }
  resume(c);
}

/* Sends a response; the connection closes after it unless kept alive. */
static void respond(struct conn *c, int status, const char *type,
                    const void *body, size_t len) {
  uv_buf_t b;
  int rc;

  if (c->is_sync)
    count_status(c->d, status);
  if (c->d->stopping)
    c->keep_alive = false;
  buf_reset(&c->out);
  rc = buf_printf(&c->out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: "
                  "%zu\r\nConnection: %s\r\n\r\n",
                  status, reason(status), type, len,
                  c->keep_alive ? "keep-alive" : "close");
  if (!rc)
    rc = buf_append(&c->out, body, len);
  if (rc) {
    conn_close(c);
    return;
  }
  c->state = RS_WRITING;
  uv_timer_stop(&c->timer);
  b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write))
    conn_close(c);
}

static void respond_error(struct conn *c, int status, const char *code,
                          const char *msg) {
  struct buf b;
  buf_init(&b, 0);
  if (proto_error_encode(&b, code, msg, false, 0)) {
    buf_cleanup(&b);
    conn_close(c);
    return;
  }
  respond(c, status, "application/msgpack", b.data, b.len);
  buf_cleanup(&b);
}

/* ---- /metrics ---- */

static void metrics(struct conn *c) {
  static const char *const cls[] = {"2xx", "401", "409", "413", "4xx", "5xx"};
  struct daemon *d = c->d;
  struct buf b;
  int rc;

  buf_init(&b, 0);
  rc = buf_printf(&b, "# HELP dansync_requests_total Sync requests answered."
                      "\n# TYPE dansync_requests_total counter\n");
  for (int i = 0; i < 6 && !rc; i++)
    rc = buf_printf(&b, "dansync_requests_total{status=\"%s\"} %llu\n",
                    cls[i], (unsigned long long)d->requests[i]);
  if (!rc)
    rc = buf_printf(
        &b,
        "# TYPE dansync_ops_merged_total counter\n"
        "dansync_ops_merged_total %llu\n"
        "# TYPE dansync_ops_quarantined_total counter\n"
        "dansync_ops_quarantined_total %llu\n"
        "# TYPE dansync_conflicts_total counter\n"
        "dansync_conflicts_total %llu\n"
        "# TYPE dansync_connections gauge\ndansync_connections %d\n"
        "# TYPE dansync_connections_shed_total counter\n"
        "dansync_connections_shed_total %llu\n"
        "# HELP dansync_last_sync_timestamp_seconds Last successful sync "
        "of any device of the commune.\n"
        "# TYPE dansync_last_sync_timestamp_seconds gauge\n",
        (unsigned long long)d->merged, (unsigned long long)d->quarantined,
        (unsigned long long)d->conflicts, d->nconns,
        (unsigned long long)d->shed);
  for (int i = 0; i < d->ncommunes && !rc; i++)
    rc = buf_printf(&b,
                    "dansync_last_sync_timestamp_seconds{commune=\"%s\"} "
                    "%.3f\n",
                    d->communes[i].slug,
                    (double)d->communes[i].last_sync_ms / 1000.0);
  if (rc)
    respond_error(c, 503, PROTO_E_UNAVAILABLE, "out of memory");
  else
    respond(c, 200, "text/plain; version=0.0.4", b.data, b.len);
  buf_cleanup(&b);
}

static void note_sync(struct daemon *d, const char *commune, uint64_t ms) {
  for (int i = 0; i < d->ncommunes; i++) {
    if (strcmp(d->communes[i].slug, commune) == 0) {
      d->communes[i].last_sync_ms = ms;
      return;
    }
  }
  if (d->ncommunes < MAX_COMMUNES) {
    snprintf(d->communes[d->ncommunes].slug, SCHEMA_SLUG_MAX + 1, "%s",
             commune);
    d->communes[d->ncommunes++].last_sync_ms = ms;
  }
}

/* ---- the writer ---- */

static void work_cb(uv_work_t *w) {
  struct daemon *d = container_of(w, struct daemon, work);
  struct group *g = d->group;
  int rc;

  if (g->full && !d->writer_full) {
    sqlite3_exec(store_sqlite(d->st), "PRAGMA synchronous = FULL", NULL,
                 NULL, NULL);
    d->writer_full = true;
  }
  rc = ingest_group_begin(d->ing);
  for (int i = 0; i < g->n; i++) {
    struct conn *c = g->c[i];
    uint64_t t0 = uv_hrtime();
    if (rc)
      (void)ingest_res_unavailable(&c->rs, rc);
    else if (ingest_sync(d->ing, &c->rq, &c->rs))
      c->rs.status = 503; /* no body could be made: an empty error */
    c->work_ns = uv_hrtime() - t0;
  }
  g->commit_ns = 0;
  if (!rc) {
    uint64_t t0 = uv_hrtime();
    rc = ingest_group_commit(d->ing);
    g->commit_ns = uv_hrtime() - t0;
  }
  for (int i = 0; rc && i < g->n; i++)
    if (g->c[i]->rs.status == 200)
      (void)ingest_res_unavailable(&g->c[i]->rs, rc);
}

static void answer(struct daemon *d, struct group *g, struct conn *c) {
  char node[ID_HEX_LEN + 1];

  c->in_writer = false;
  hex_encode(node, c->rq.node, ID_LEN);
  if (c->rs.status == 200) {
    d->merged += c->rs.merged;
    d->quarantined += c->rs.quarantined;
    d->conflicts += c->rs.conflicts;
    note_sync(d, c->rs.commune, c->rq.received_ms);
    LOG_INFO("sync", "accepted node=%.16s commune=%s merged=%u "
                     "quarantined=%u conflicts=%u pulled=%u wait_ms=%.1f "
                     "merge_ms=%.1f group=%d commit_ms=%.1f sync_ms=%.1f",
             node, c->rs.commune, c->rs.merged, c->rs.quarantined,
             c->rs.conflicts, c->rs.pulled,
             (double)(uv_hrtime() - c->queued_ns - c->work_ns) / 1e6,
             (double)c->work_ns / 1e6, g->n, (double)g->commit_ns / 1e6,
             (double)g->sync_ns / 1e6);
  } else {
    LOG_WARN("sync", "refused node=%.16s status=%d error=%s", node,
             c->rs.status, c->rs.error);
  }
  if (c->closing) {
    /* The peer went away while its request was merged: the merge stands
     * (it was acked durably); only the answer is lost. */
    uv_close((uv_handle_t *)&c->tcp, on_close);
  } else {
    respond(c, c->rs.status, "application/msgpack", c->rs.body.data,
            c->rs.body.len);
  }
}

static void answer_all(struct group *g) {
  for (int i = 0; i < g->n; i++)
    answer(g->d, g, g->c[i]);
  ds_free(g);
}

static void sync_cb(uv_work_t *w) {
  struct group *g = container_of(w, struct group, sync);
  uint64_t t0 = uv_hrtime();
  g->sync_rc = fdatasync(g->d->walfd) ? errno : 0;
  g->sync_ns = uv_hrtime() - t0;
}

static void after_sync(uv_work_t *w, int status) {
  struct group *g = container_of(w, struct group, sync);
  struct daemon *d = g->d;

  (void)status;
  d->syncing--;
  if (g->sync_rc) {
    /* Committed but perhaps not on disk: the devices send again, and what
     * is already stored is acked without being stored twice. */
    LOG_ERROR("server", "cannot sync the WAL (%s); answering 503 and "
                        "committing with full syncs from now on",
              strerror(g->sync_rc));
    d->sync_full = true;
    for (int i = 0; i < g->n; i++)
      if (g->c[i]->rs.status == 200)
        (void)ingest_res_unavailable(&g->c[i]->rs, DS_EUNAVAIL);
  }
  answer_all(g);
}

static void after_work(uv_work_t *w, int status) {
  struct daemon *d = container_of(w, struct daemon, work);
  struct group *g = d->group;
  bool stored = false;

  (void)status;
  d->group = NULL;
  for (int i = 0; i < g->n; i++)
    stored |= g->c[i]->rs.status == 200 &&
              (g->c[i]->rs.logged || g->c[i]->rs.enrolled);
  /* A group that stored nothing still waits for the syncs under way: its
   * pulls may show what they are making durable. */
  if ((!stored && !d->syncing) || g->full ||
      uv_queue_work(&d->loop, &g->sync, sync_cb, after_sync))
    answer_all(g); /* nothing to sync, or FULL commits synced already */
  else
    d->syncing++;
  maybe_checkpoint(d);
  start_next(d);
}

static void ck_work(uv_work_t *w) {
  struct daemon *d = container_of(w, struct daemon, ckwork);
  int nlog = 0, nckpt = 0;
  if (sqlite3_wal_checkpoint_v2(d->ckdb, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                &nlog, &nckpt) != SQLITE_OK)
    LOG_WARN("server", "checkpoint: %s", sqlite3_errmsg(d->ckdb));

}

static void ck_after(uv_work_t *w, int status) {
  struct daemon *d = container_of(w, struct daemon, ckwork);
  (void)status;
  d->ck_running = false;
}

static void maybe_checkpoint(struct daemon *d) {
  if (!d->ckdb || d->ck_running || d->wal_frames < d->ck_frames)
    return;
  d->wal_frames = 0;
  d->ck_running = !uv_queue_work(&d->loop, &d->ckwork, ck_work, ck_after);
}

/* Runs on the writer's thread after each of its commits. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames) {
  struct daemon *d = arg;
  d->wal_frames = frames;
  if (frames >= (d->ckdb ? d->ck_hard_frames : d->ck_frames))
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
                              NULL);
  return SQLITE_OK;
}

static void start_next(struct daemon *d) {
  struct group *g;
  size_t bytes = 0;

  if (d->group || !d->queue)
    return;
  g = ds_calloc(1, sizeof(*g));
  if (!g)
    return; /* tried again when the next request comes */
  g->d = d;
  g->full = d->sync_full || d->walfd < 0;
  while (d->queue && g->n < GROUP_MAX &&
         (!g->n || bytes + d->queue->rq.len <= GROUP_MAX_BYTES)) {
    struct conn *c = d->queue;
    d->queue = c->qnext;
    if (!d->queue)
      d->queue_tail = NULL;
    c->qnext = NULL;
    c->in_writer = true;
    bytes += c->rq.len;
    g->c[g->n++] = c;
  }
  d->group = g;
  if (uv_queue_work(&d->loop, &d->work, work_cb, after_work)) {
    d->group = NULL;
    for (int i = 0; i < g->n; i++)
      (void)ingest_res_unavailable(&g->c[i]->rs, DS_EUNAVAIL);
    answer_all(g);
  }
}

/* ---- the prep step: before the writer, on the pool ---- */

/* The enrolled, unrevoked key of |node|; DS_ENOENT if there is none. */
static int node_key(struct daemon *d, const uint8_t node[ID_LEN],
                    uint8_t pk[32]) {
  int rc = DS_ENOENT;

  uv_mutex_lock(&d->keylock);
  sqlite3_bind_blob(d->keyq, 1, node, ID_LEN, SQLITE_STATIC);
  if (sqlite3_step(d->keyq) == SQLITE_ROW &&
      sqlite3_column_bytes(d->keyq, 0) == 32) {
    memcpy(pk, sqlite3_column_blob(d->keyq, 0), 32);
    rc = 0;
  }
  sqlite3_reset(d->keyq);
  uv_mutex_unlock(&d->keylock);
  return rc;
}

/* What needs the body but not the store's state: its hash for the sync log
 * and its signature, checked against the key the node had a moment ago (the
 * writer checks that key is still the node's and still valid). The writer,
 * one thread, then only merges. */
static void prep_cb(uv_work_t *w) {
  struct conn *c = container_of(w, struct conn, prep);
  uint8_t pk[32];
  bool has_pk = c->rq.has_node && c->d->keydb &&
                node_key(c->d, c->rq.node, pk) == 0;
  ingest_req_prep(&c->rq, has_pk ? pk : NULL);
}

static void after_prep(uv_work_t *w, int status) {
  struct conn *c = container_of(w, struct conn, prep);
  (void)status;
  c->in_prep = false;
  if (c->closing) {
    uv_close((uv_handle_t *)&c->tcp, on_close); /* nothing was stored */
    return;
  }
  enqueue(c);
}

static void prep(struct conn *c) {
  c->state = RS_QUEUED; /* no read deadline from here on */
  uv_timer_stop(&c->timer);
  c->in_prep = true;
  if (uv_queue_work(&c->d->loop, &c->prep, prep_cb, after_prep)) {
    c->in_prep = false;
    enqueue(c); /* the writer does it all */
  }
}

static void enqueue(struct conn *c) {
  struct daemon *d = c->d;
  c->state = RS_QUEUED;
  c->queued_ns = uv_hrtime();
  uv_timer_stop(&c->timer);
  if (d->queue_tail)
    d->queue_tail->qnext = c;
  else
    d->queue = c;
  d->queue_tail = c;
  start_next(d);
}

static bool path_is(const struct conn *c, const char *path) {
  return http_rp_path_is(&c->rp, path);
}

static void dispatch(struct conn *c) {
  int method = c->rp.method;

  uv_read_stop((uv_stream_t *)&c->tcp);
  if (path_is(c, "/v1/health")) {
    if (method != HTTP_GET)
      respond_error(c, 405, PROTO_E_BAD_REQUEST, "use GET");
    else
      respond(c, 200, "text/plain", "ok\n", 3);
    return;
  }
  if (path_is(c, "/metrics")) {
    if (method != HTTP_GET)
      respond_error(c, 405, PROTO_E_BAD_REQUEST, "use GET");
    else
      metrics(c);
    return;
  }
  if (!path_is(c, "/v1/sync")) {
    respond_error(c, 404, PROTO_E_NOT_FOUND, "no such endpoint");
    return;
  }
  c->is_sync = true;
  if (method != HTTP_POST) {
    respond_error(c, 405, PROTO_E_BAD_REQUEST, "use POST");
    return;
  }
  memset(&c->rq, 0, sizeof(c->rq));
  c->rq.body = c->rp.body.data;
  c->rq.len = c->rp.body.len;
  c->rq.has_node = hex_decode(c->rq.node, ID_LEN, c->rp.node) == 0;
  {
    size_t n = 0;
    c->rq.has_sig =
        sodium_base642bin(c->rq.sig, sizeof(c->rq.sig), c->rp.sig,
                          strlen(c->rp.sig), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0 &&
        n == sizeof(c->rq.sig);
  }
  c->rq.token = c->rp.token[0] ? c->rp.token : NULL;
  c->rq.key_hex = c->rp.key[0] ? c->rp.key : NULL;
  c->rq.received_ms = clock_now_ms();
  c->rq.max_skew_ms = c->d->cfg->max_skew_ms;
  if (c->rp.body.len == 0) {
    respond_error(c, 400, PROTO_E_BAD_REQUEST, "the request has no body");
    return;
  }
  ingest_res_cleanup(&c->rs);
  ingest_res_init(&c->rs);
  prep(c);
}

/* ---- connections ---- */

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  struct conn *c = h->data;
  (void)hint;
  if (buf_reserve(&c->pending, 64 * 1024)) {
    b->base = NULL;
    b->len = 0;
    return;
  }
  b->base = (char *)c->pending.data + c->pending.len;
  b->len = 64 * 1024;
}

/* Feeds c->pending to the parser; what follows a whole request (a
 * pipelined next one) stays in pending until the answer is written. */
static void feed(struct conn *c) {
  size_t used;
  int status = 400;
  enum http_rp_status st;

  if (c->pending.len == 0)
    return;
  st = http_rp_feed(&c->rp, (const char *)c->pending.data, c->pending.len,
                    &used, &status);
  memmove(c->pending.data, c->pending.data + used, c->pending.len - used);
  c->pending.len -= used;
  if (st == HTTP_RP_MORE)
    return;
  if (st == HTTP_RP_REQUEST) {
    c->keep_alive = c->rp.keep_alive;
    dispatch(c);
    return;
  }
  c->pending.len = 0;
  c->keep_alive = false;
  c->drain = status == 413; /* the body may still be on its way */
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->is_sync = strncmp(c->rp.url, "/v1/sync", 8) == 0;
  respond_error(c, status,
                status == 413 ? PROTO_E_TOO_LARGE : PROTO_E_BAD_REQUEST,
                status == 413   ? "the body is larger than 8 MiB"
                : status == 431 ? "the headers are too large"
                                : "malformed HTTP request");
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
  struct conn *c = s->data;
  (void)b;
  if (nread < 0) {
    /* EOF or error: a half request is dropped; nothing was stored. */
    conn_close(c);
    return;
  }
  if (nread == 0)
    return;
  c->pending.len += (size_t)nread;
  feed(c);
}

static void resume(struct conn *c) {
  c->state = RS_READING;
  http_rp_resume(&c->rp);
  /* Idle until the next request starts; then the read deadline (the timer's
   * repeat, restarted by on_message_begin) applies to the whole request,
   * however slowly its bytes trickle in. */
  uv_timer_start(&c->timer, on_timeout, c->d->cfg->idle_timeout_ms,
                 c->d->cfg->read_timeout_ms);
  if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb)) {
    conn_close(c);
    return;
  }
  feed(c);
}

static void on_timer_close(uv_handle_t *h) {
  struct conn *c = h->data;
  http_rp_cleanup(&c->rp);
  buf_cleanup(&c->pending);
  buf_cleanup(&c->out);
  ingest_res_cleanup(&c->rs);
  ds_free(c);
}

static void on_close(uv_handle_t *h) {
  struct conn *c = h->data, **pp;
  struct daemon *d = c->d;
  for (pp = &d->conns; *pp; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  d->nconns--;
  uv_close((uv_handle_t *)&c->timer, on_timer_close);
}

static void conn_close(struct conn *c) {
  if (c->closing)
    return;
  c->closing = true;
  uv_timer_stop(&c->timer);
  if (c->in_prep)
    return; /* closed when its prep finishes (after_prep) */
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
  uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void on_timeout(uv_timer_t *t) {
  struct conn *c = t->data;
  if (c->state != RS_READING)
    return; /* queued or writing: the answer decides */
  LOG_DEBUG("http", "closing a connection idle or stalled for %llu ms",
            (unsigned long long)(c->rp.started ? c->d->cfg->read_timeout_ms
                                            : c->d->cfg->idle_timeout_ms));
  conn_close(c);
}

/* A request's first byte: its read deadline starts now. */
static void on_begin(void *arg) {
  struct conn *c = arg;
  uv_timer_again(&c->timer);
}

static void on_connection(uv_stream_t *server, int status) {
  struct daemon *d = container_of(server, struct daemon, listener);
  struct conn *c;

  if (status < 0)
    return;
  c = ds_calloc(1, sizeof(*c));
  if (!c)
    return;
  c->d = d;
  uv_tcp_init(&d->loop, &c->tcp);
  uv_timer_init(&d->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  http_rp_init(&c->rp, on_begin, c);
  buf_init(&c->pending, 0);
  buf_init(&c->out, 0);
  ingest_res_init(&c->rs);
  c->next = d->conns;
  d->conns = c;
  d->nconns++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
    conn_close(c);
    return;
  }
  if (d->nconns > d->cfg->max_conns || d->stopping) {
    /* Shed the excess so the daemon keeps serving the others. */
    d->shed++;
    conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_timer_start(&c->timer, on_timeout, d->cfg->read_timeout_ms,
                 d->cfg->read_timeout_ms);
  c->state = RS_READING;
  if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb))
    conn_close(c);
}

/* ---- lifecycle ---- */

static void on_signal(uv_signal_t *s, int signum) {
  struct daemon *d = s->data;
  struct conn *c, *next;

  if (d->stopping)
    return;
  LOG_INFO("server", "signal %d: finishing accepted requests, then exiting",
           signum);
  d->stopping = true;
  uv_close((uv_handle_t *)&d->listener, NULL);
  uv_close((uv_handle_t *)&d->sigterm, NULL);
  uv_close((uv_handle_t *)&d->sigint, NULL);
  /* Idle or half-read connections close now; queued and in-flight requests
   * are merged and answered, then their connections close. */
  for (c = d->conns; c; c = next) {
    next = c->next;
    if (c->state == RS_READING)
      conn_close(c);
  }
}

static void on_ready(uv_timer_t *t) {
  struct daemon *d = t->data;
  char tmp[4096];
  FILE *f;

  uv_close((uv_handle_t *)&d->ready, NULL);
  if (!d->cfg->port_file)
    return;
  /* Renamed into place: a reader sees nothing or the whole number. */
  snprintf(tmp, sizeof(tmp), "%s.tmp", d->cfg->port_file);
  f = fopen(tmp, "w");
  if (!f) {
    LOG_ERROR("server", "cannot write the port file %s", d->cfg->port_file);
    return;
  }
  fprintf(f, "%d\n", d->port);
  fclose(f);
  rename(tmp, d->cfg->port_file);
}

static void load_last_syncs(struct daemon *d) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(store_sqlite(d->st),
                         "SELECT c.slug, coalesce(max(n.last_sync_ms), 0) "
                         "FROM commune c LEFT JOIN node n ON n.commune = "
                         "c.slug GROUP BY c.slug ORDER BY c.slug",
                         -1, &s, NULL))
    return;
  while (sqlite3_step(s) == SQLITE_ROW)
    note_sync(d, (const char *)sqlite3_column_text(s, 0),
              (uint64_t)sqlite3_column_int64(s, 1));
  sqlite3_finalize(s);
}

/* The checkpointer's and the prep step's connections. Either may fail to
 * open (an in-memory store has no file): the writer then does that work. */
static void open_helpers(struct daemon *d) {
  sqlite3 *db = store_sqlite(d->st);
  const char *path = sqlite3_db_filename(db, "main");
  sqlite3_stmt *s;
  int page = 4096;

  /* The writer has read the store, so its WAL file exists. */
  d->walfd = -1;
  if (path && *path)
    d->walfd = open(sqlite3_filename_wal(path), O_RDONLY | O_CLOEXEC);
  if (d->walfd >= 0 && sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL,
                                    NULL, NULL) != SQLITE_OK) {
    close(d->walfd);
    d->walfd = -1;
  }
  d->writer_full = d->walfd < 0;
  /* A connection that has read nothing has not opened the WAL, and its
   * checkpoints do nothing (they report -1 frames): read the schema. */
  if (path && *path &&
      (sqlite3_open_v2(path, &d->ckdb, SQLITE_OPEN_READWRITE, NULL) ||
       sqlite3_exec(d->ckdb, "SELECT count(*) FROM sqlite_master", NULL,
                    NULL, NULL))) {
    sqlite3_close(d->ckdb);
    d->ckdb = NULL;
  }
  if (path && *path &&
      (sqlite3_open_v2(path, &d->keydb, SQLITE_OPEN_READONLY, NULL) ||
       sqlite3_prepare_v3(d->keydb,
                          "SELECT pubkey FROM node WHERE node = ?1 AND "
                          "revoked_ms IS NULL",
                          -1, SQLITE_PREPARE_PERSISTENT, &d->keyq, NULL))) {
    sqlite3_close(d->keydb);
    d->keydb = NULL;
  }
  if (d->keydb)
    sqlite3_busy_timeout(d->keydb, 1000);
  uv_mutex_init(&d->keylock);
  if (!sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL) &&
      sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0)
    page = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  d->ck_frames = CKPT_BYTES / page;
  d->ck_hard_frames = CKPT_HARD_BYTES / page;
  sqlite3_wal_hook(db, wal_hook, d);
}

int srv_run(struct store *st, const struct srv_config *cfg, char *errbuf) {
  struct daemon *d = ds_calloc(1, sizeof(*d));
  struct sockaddr_storage addr;
  struct sockaddr_storage bound;
  int len = sizeof(bound), rc, port;

  if (!d)
    return DS_ENOMEM;
  d->cfg = cfg;
  d->st = st;
  rc = ingest_open(&d->ing, st);
  if (rc) {
    ds_free(d);
    return ds_fail(errbuf, rc, "cannot prepare the store for syncing");
  }
  load_last_syncs(d);
  open_helpers(d);
  uv_loop_init(&d->loop);
  uv_tcp_init(&d->loop, &d->listener);
  if (uv_ip4_addr(cfg->host, cfg->port, (struct sockaddr_in *)&addr) &&
      uv_ip6_addr(cfg->host, cfg->port, (struct sockaddr_in6 *)&addr)) {
    rc = ds_fail(errbuf, DS_EINVAL, "'%s' is not an IP address", cfg->host);
    goto fail;
  }
  rc = uv_tcp_bind(&d->listener, (struct sockaddr *)&addr, 0);
  if (!rc)
    rc = uv_listen((uv_stream_t *)&d->listener, 511, on_connection);
  if (rc) {
    rc = ds_fail(errbuf, DS_EIO, "cannot listen on %s:%d: %s", cfg->host,
                 cfg->port, uv_strerror(rc));
    goto fail;
  }
  uv_tcp_getsockname(&d->listener, (struct sockaddr *)&bound, &len);
  port = ntohs(bound.ss_family == AF_INET6
                   ? ((struct sockaddr_in6 *)&bound)->sin6_port
                   : ((struct sockaddr_in *)&bound)->sin_port);
  uv_signal_init(&d->loop, &d->sigterm);
  uv_signal_init(&d->loop, &d->sigint);
  d->sigterm.data = d->sigint.data = d;
  uv_signal_start(&d->sigterm, on_signal, SIGTERM);
  uv_signal_start(&d->sigint, on_signal, SIGINT);
  /* The port file is written from inside the running loop, so whoever waits
   * for it knows the daemon is serving and handling signals. */
  d->port = port;
  uv_timer_init(&d->loop, &d->ready);
  d->ready.data = d;
  uv_timer_start(&d->ready, on_ready, 0, 0);
  LOG_INFO("server", "listening on %s:%d max_skew=%llus", cfg->host, port,
           (unsigned long long)(cfg->max_skew_ms / 1000));
  uv_run(&d->loop, UV_RUN_DEFAULT);
  rc = 0;
  LOG_INFO("server", "stopped cleanly");
  goto done;
fail:
  uv_close((uv_handle_t *)&d->listener, NULL);
  uv_run(&d->loop, UV_RUN_DEFAULT);
done:
  if (uv_loop_close(&d->loop))
    LOG_WARN("server", "the loop still had handles at exit");
  sqlite3_wal_hook(store_sqlite(st), NULL, NULL);
  sqlite3_close(d->ckdb);
  if (d->walfd >= 0)
    close(d->walfd);
  sqlite3_finalize(d->keyq);
  sqlite3_close(d->keydb);
  uv_mutex_destroy(&d->keylock);
  ingest_close(d->ing);
  ds_free(d);
  return rc;
}
