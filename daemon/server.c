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
#include "daemon/guard.h"
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
  uv_timer_t sweep; /* every connection's deadlines; the refusal log */
  int port;
  uv_work_t work;
  /* The head check's read connection, shared by the pool's threads. */
  sqlite3 *keydb;
  sqlite3_stmt *keyq, *tokq;
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
  int nconns;                      /* handles open, closing ones too */
  int nlive;                       /* connections not closing */
  uint64_t body_reserved;          /* declared bodies being handled */
  uint64_t rlog_ms;                /* when the refusal log's window opened */
  bool stopping;
  struct rlog rlog;
  struct ncache known;
  uint8_t rbuf[64 * 1024]; /* every read lands here first */
  /* Metrics, touched only on the loop thread. */
  uint64_t requests[6]; /* by status class: 2xx 4xx(401,409,413,other) 5xx */
  uint64_t merged, quarantined, conflicts, shed, evicted;
  uint64_t cut[4]; /* by deadline: head, body, write, idle */
  int ncommunes;
  struct commune_stat communes[MAX_COMMUNES];
};

/* A connection's life: idle (waiting for a request's first byte), its head
 * arriving, the head being checked off the loop, its body arriving, the
 * request in the prep step, the queue or the writer, its answer being
 * written; after a refusal whose body may still come, draining. Each
 * reading state has a deadline (the sweep enforces them), so a peer that
 * trickles bytes, stops, or never reads its answer costs only its own
 * connection, and not for long. */
enum req_state {
  RS_IDLE,
  RS_HEAD,
  RS_CHECK,
  RS_BODY,
  RS_QUEUED,
  RS_WRITING,
  RS_DRAINING
};

enum { CUT_HEAD, CUT_BODY, CUT_WRITE, CUT_IDLE };

/* How often deadlines are looked at, and how long the refusal log counts
 * before it sums up. */
#define SWEEP_MS 250
#define RLOG_WINDOW_MS 10000

/* A body must keep arriving at this average rate once its first
 * BODY_GRACE_MS are over: a slowloris sending a byte a second is cut
 * within seconds, a 3G link at a few KB/s is not. */
#define BODY_MIN_RATE 1024 /* bytes per second */
#define BODY_GRACE_MS 3000

/* After refusing a request whose body may still be arriving, the answer is
 * sent, the write side shut, and what the client still sends is read and
 * dropped for up to this long, so the client gets to read the refusal
 * instead of a reset connection. */
#define DRAIN_MS 5000
#define DRAIN_MAX_BYTES (16u * 1024u * 1024u)

struct conn {
  uv_tcp_t tcp;
  uv_write_t wreq;
  uv_shutdown_t sreq;
  uv_work_t pool; /* the head check, then the prep step; never both */
  struct daemon *d;
  struct conn *next, *qnext;
  struct http_rp rp;
  struct peer peer;
  enum req_state state;
  bool closing, keep_alive, is_sync, drain;
  bool in_writer; /* in the writer's group: closed after it */
  bool in_pool;   /* in the head check or the prep step: closed after it */
  bool holds_node; /* its request is its node's one request in flight */
  bool has_pk;     /* pk: the node's key as the head check found it */
  int check;       /* the head check's verdict (enum check) */
  uint8_t pk[32];
  uint64_t since_ms;  /* when the current state began */
  uint64_t body_len;  /* the declared body, reserved in d->body_reserved */
  uint64_t wq_ms;     /* when the answer's write last made progress */
  size_t wq_left;     /* what it had left then */
  unsigned served;    /* requests answered on this connection */
  size_t drained;
  struct buf pending, out;
  struct ingest_req rq;
  struct ingest_res rs;
  uint64_t queued_ns, work_ns; /* when it was queued; the merge's time */
};

static void on_close(uv_handle_t *h);
static void conn_close(struct conn *c);
static void start_next(struct daemon *d);
static void enqueue(struct conn *c);
static void maybe_checkpoint(struct daemon *d);
static void resume(struct conn *c);
static void refusal(struct conn *c, const char *reason, const char *detail);

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
  if (status < 0 || !c->keep_alive || c->d->stopping) {
    conn_close(c);
    return;
  }
  resume(c);
}

/* What a request holds while it is handled: its node's slot and its share
 * of the memory for bodies. Given back once it is answered or dropped. */
static void release(struct conn *c) {
  c->holds_node = false;
  c->d->body_reserved -= c->body_len;
  c->body_len = 0;
}

/* Sends a response; the connection closes after it unless kept alive. */
static void respond(struct conn *c, int status, const char *type,
                    const void *body, size_t len) {
  uv_buf_t b;
  int rc;

  release(c);
  c->served++;
  if (c->is_sync)
    count_status(c->d, status);
  if (c->d->stopping)
    c->keep_alive = false;
  buf_reset(&c->out);
  rc = buf_printf(&c->out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: "
                  "%zu\r\n%sConnection: %s\r\n\r\n",
                  status, reason(status), type, len,
                  status == 503 ? "Retry-After: 1\r\n" : "",
                  c->keep_alive ? "keep-alive" : "close");
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
        "# HELP dansync_connections_evicted_total Idle connections closed "
        "to make room for a new one.\n"
        "# TYPE dansync_connections_evicted_total counter\n"
        "dansync_connections_evicted_total %llu\n"
        "# HELP dansync_connections_cut_total Connections closed at a "
        "deadline.\n"
        "# TYPE dansync_connections_cut_total counter\n"
        "dansync_connections_cut_total{deadline=\"head\"} %llu\n"
        "dansync_connections_cut_total{deadline=\"body\"} %llu\n"
        "dansync_connections_cut_total{deadline=\"write\"} %llu\n"
        "dansync_connections_cut_total{deadline=\"idle\"} %llu\n"
        "# TYPE dansync_body_bytes_reserved gauge\n"
        "dansync_body_bytes_reserved %llu\n"
        "# HELP dansync_last_sync_timestamp_seconds Last successful sync "
        "of any device of the commune.\n"
        "# TYPE dansync_last_sync_timestamp_seconds gauge\n",
        (unsigned long long)d->merged, (unsigned long long)d->quarantined,
        (unsigned long long)d->conflicts, d->nlive,
        (unsigned long long)d->shed, (unsigned long long)d->evicted,
        (unsigned long long)d->cut[CUT_HEAD],
        (unsigned long long)d->cut[CUT_BODY],
        (unsigned long long)d->cut[CUT_WRITE],
        (unsigned long long)d->cut[CUT_IDLE],
        (unsigned long long)d->body_reserved);
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
    LOG_INFO("sync", "accepted peer=%s node=%.16s commune=%s merged=%u "
                     "quarantined=%u conflicts=%u pulled=%u wait_ms=%.1f "
                     "merge_ms=%.1f group=%d commit_ms=%.1f sync_ms=%.1f",
             c->peer.text, node, c->rs.commune, c->rs.merged,
             c->rs.quarantined,
             c->rs.conflicts, c->rs.pulled,
             (double)(uv_hrtime() - c->queued_ns - c->work_ns) / 1e6,
             (double)c->work_ns / 1e6, g->n, (double)g->commit_ns / 1e6,
             (double)g->sync_ns / 1e6);
  } else {
    char detail[96];
    /* A 401 means the node is not who it claimed (or no longer enrolled):
     * the next head from it is looked up again. */
    if (c->rs.status == 401)
      ncache_forget(&d->known, c->rq.node);
    snprintf(detail, sizeof(detail), "%s=%.16s status=%d",
             c->rs.status == 401 ? "claimed_node" : "node", node,
             c->rs.status);
    refusal(c, c->rs.error[0] ? c->rs.error : "error", detail);
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

/* ---- the refusal log ---- */

/* Logs a refusal (or a cut) with the peer's address; a flood of the same
 * kind from one address is counted and summed up once per window. Nothing
 * a peer sent is printed raw: |detail| holds only decoded ids and numbers. */
static void refusal(struct conn *c, const char *reason, const char *detail) {
  if (rlog_note(&c->d->rlog, &c->peer, reason))
    LOG_WARN("http", "refused peer=%s reason=%s%s%s", c->peer.text, reason,
             detail ? " " : "", detail ? detail : "");
}

static void rlog_emit(const char *peer, const char *reason, uint64_t more,
                      void *arg) {
  (void)arg;
  LOG_WARN("http", "refused peer=%s reason=%s repeated=%llu window_s=%d",
           peer ? peer : "(other addresses)", reason,
           (unsigned long long)more, RLOG_WINDOW_MS / 1000);
}

/* ---- the prep step: before the writer, on the pool ---- */

/* What needs the body but not the store's state: its hash for the sync log
 * and its signature, checked against the key the head check found (the
 * writer checks that key is still the node's and still valid). The writer,
 * one thread, then only merges. */
static void prep_cb(uv_work_t *w) {
  struct conn *c = container_of(w, struct conn, pool);
  ingest_req_prep(&c->rq, c->has_pk ? c->pk : NULL);
}

static void after_prep(uv_work_t *w, int status) {
  struct conn *c = container_of(w, struct conn, pool);
  (void)status;
  c->in_pool = false;
  if (c->closing) {
    uv_close((uv_handle_t *)&c->tcp, on_close); /* nothing was stored */
    return;
  }
  enqueue(c);
}

static void prep(struct conn *c) {
  c->state = RS_QUEUED; /* no read deadline from here on */
  c->in_pool = true;
  if (uv_queue_work(&c->d->loop, &c->pool, prep_cb, after_prep)) {
    c->in_pool = false;
    enqueue(c); /* the writer does it all */
  }
}

static void enqueue(struct conn *c) {
  struct daemon *d = c->d;
  c->state = RS_QUEUED;
  c->queued_ns = uv_hrtime();
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

/* A whole request: answered here, or (a sync) prepared for the writer. */
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
  /* Node and signature were decoded from the head (on_head). */
  c->rq.body = c->rp.body.data;
  c->rq.len = c->rp.body.len;
  c->rq.token = c->rp.token[0] ? c->rp.token : NULL;
  c->rq.key_hex = c->rp.key[0] ? c->rp.key : NULL;
  c->rq.received_ms = clock_now_ms();
  c->rq.max_skew_ms = c->d->cfg->max_skew_ms;
  ingest_res_cleanup(&c->rs);
  ingest_res_init(&c->rs);
  prep(c);
}

/* ---- the head check: who is speaking, before any body is read ---- */

enum check { CK_KNOWN, CK_REVOKED, CK_TOKEN, CK_BAD_TOKEN, CK_UNKNOWN,
             CK_FAILED };

static void read_on(struct conn *c);

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
  refusal(c, reason, detail);
  c->keep_alive = false;
  c->drain = c->rp.chunked || c->rp.length > 0;
  c->pending.len = 0;
  respond_error(c, status, code, msg);
}

/* The memory for bodies is shared: a body is read only if its declared
 * length fits in what is left. */
static void admit(struct conn *c) {
  struct daemon *d = c->d;
  uint64_t len = c->rp.length;

  if (len > d->cfg->max_body_bytes - d->body_reserved) {
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
  read_on(c);
}

/* On the pool: is the node enrolled (and its key), revoked, or unknown
 * and, if so, does its token exist? The writer judges the rest. */
static void check_cb(uv_work_t *w) {
  struct conn *c = container_of(w, struct conn, pool);
  struct daemon *d = c->d;
  int rc;

  uv_mutex_lock(&d->keylock);
  sqlite3_bind_blob(d->keyq, 1, c->rq.node, ID_LEN, SQLITE_STATIC);
  rc = sqlite3_step(d->keyq);
  if (rc == SQLITE_ROW && sqlite3_column_type(d->keyq, 1) != SQLITE_NULL) {
    c->check = CK_REVOKED;
  } else if (rc == SQLITE_ROW && sqlite3_column_bytes(d->keyq, 0) == 32) {
    memcpy(c->pk, sqlite3_column_blob(d->keyq, 0), 32);
    c->check = CK_KNOWN;
  } else if (rc != SQLITE_DONE) {
    c->check = CK_FAILED;
  } else if (!c->rp.token[0]) {
    c->check = CK_UNKNOWN;
  } else {
    uint8_t hash[32];
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)c->rp.token,
                       strlen(c->rp.token), NULL, 0);
    sqlite3_bind_blob(d->tokq, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
    rc = sqlite3_step(d->tokq);
    c->check = rc == SQLITE_ROW    ? CK_TOKEN
               : rc == SQLITE_DONE ? CK_BAD_TOKEN
                                   : CK_FAILED;
    sqlite3_reset(d->tokq);
  }
  sqlite3_reset(d->keyq);
  uv_mutex_unlock(&d->keylock);
}

static void after_check(uv_work_t *w, int status) {
  struct conn *c = container_of(w, struct conn, pool);
  (void)status;
  c->in_pool = false;
  if (c->closing) {
    uv_close((uv_handle_t *)&c->tcp, on_close);
    return;
  }
  switch (c->check) {
  case CK_KNOWN:
    ncache_put(&c->d->known, c->rq.node, c->pk);
    c->has_pk = true;
    admit(c);
    break;
  case CK_TOKEN: /* an enrolment: the writer checks the token in full */
    admit(c);
    break;
  case CK_REVOKED:
    head_refuse(c, 401, PROTO_E_UNAUTHORIZED, "this device has been revoked",
                "revoked");
    break;
  case CK_BAD_TOKEN:
    head_refuse(c, 401, PROTO_E_UNAUTHORIZED,
                "the enrolment token is not valid", "bad_token");
    break;
  case CK_UNKNOWN:
    head_refuse(c, 401, PROTO_E_UNAUTHORIZED,
                "unknown device: present a valid enrolment token",
                "unknown_node");
    break;
  default:
    head_refuse(c, 503, PROTO_E_UNAVAILABLE,
                "the district store is busy; nothing was stored, try again",
                "store_busy");
    break;
  }
}

/* True when another connection has a request of |c|'s node in flight. */
static bool node_busy(const struct conn *c) {
  for (const struct conn *o = c->d->conns; o; o = o->next)
    if (o != c && o->holds_node &&
        memcmp(o->rq.node, c->rq.node, ID_LEN) == 0)
      return true;
  return false;
}

/* A request's head is in. Only a sync carries a body, and its body is read
 * only once the head says who sends it: an enrolled node (known to the
 * loop, or looked up off it while this connection's reads pause) or an
 * unknown one with an existing enrolment token. */
static void on_head(struct conn *c) {
  struct http_rp *rp = &c->rp;
  struct daemon *d = c->d;
  size_t n = 0;

  uv_read_stop((uv_stream_t *)&c->tcp);
  if (!path_is(c, "/v1/sync") || rp->method != HTTP_POST) {
    if (rp->chunked || rp->length > 0) {
      head_refuse(c, 400, PROTO_E_BAD_REQUEST,
                  "only POST /v1/sync takes a body", "unexpected_body");
      return;
    }
    read_on(c); /* no body: the request is whole at once */
    return;
  }
  c->is_sync = true;
  memset(&c->rq, 0, sizeof(c->rq));
  c->has_pk = false;
  if (!rp->has_length) {
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
  c->rq.has_sig = sodium_base642bin(c->rq.sig, sizeof(c->rq.sig), rp->sig,
                                    strlen(rp->sig), NULL, &n, NULL,
                                    sodium_base64_VARIANT_ORIGINAL) == 0 &&
                  n == sizeof(c->rq.sig);
  if (!c->rq.has_node || !c->rq.has_sig) {
    head_refuse(c, 401, PROTO_E_UNAUTHORIZED,
                "requests must carry Dansync-Node and Dansync-Signature",
                "no_identity");
    return;
  }
  if (node_busy(c)) {
    head_refuse(c, 503, PROTO_E_UNAVAILABLE,
                "another request from this device is still being handled; "
                "try again",
                "node_busy");
    return;
  }
  c->holds_node = true;
  if (ncache_get(&d->known, c->rq.node, c->pk)) {
    c->has_pk = true;
    admit(c);
    return;
  }
  if (!d->keydb) { /* no second connection (a store in memory) */
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
  case HTTP_RP_MORE:
    return;
  case HTTP_RP_HEAD:
    on_head(c);
    return;
  case HTTP_RP_REQUEST:
    c->keep_alive = c->rp.keep_alive;
    dispatch(c);
    return;
  case HTTP_RP_ERROR:
    break;
  }
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->pending.len = 0;
  c->keep_alive = false;
  c->drain = status == 413; /* the body may still be on its way */
  c->is_sync = strncmp(c->rp.url, "/v1/sync", 8) == 0;
  refusal(c, status == 413   ? "too_large"
             : status == 431 ? "headers_too_large"
                             : "malformed",
          NULL);
  respond_error(c, status,
                status == 413 ? PROTO_E_TOO_LARGE : PROTO_E_BAD_REQUEST,
                status == 413   ? "the body is larger than 8 MiB"
                : status == 431 ? "the headers are too large"
                                : "malformed HTTP request");
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
static void read_on(struct conn *c) {
  http_rp_resume(&c->rp);
  if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb)) {
    conn_close(c);
    return;
  }
  feed(c, c->pending.data, c->pending.len);
}

/* After an answer: idle until the next request's first byte. */
static void resume(struct conn *c) {
  c->state = RS_IDLE;
  c->since_ms = uv_now(&c->d->loop);
  c->is_sync = c->drain = false;
  read_on(c);
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
  release(c);
  http_rp_cleanup(&c->rp);
  buf_cleanup(&c->pending);
  buf_cleanup(&c->out);
  ingest_res_cleanup(&c->rs);
  ds_free(c);
}

static void conn_close(struct conn *c) {
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
  uv_close((uv_handle_t *)&c->tcp, on_close);
}

/* A request's first byte: its head's deadline starts now. */
static void on_begin(void *arg) {
  struct conn *c = arg;
  c->state = RS_HEAD;
  c->since_ms = uv_now(&c->d->loop);
}

static void cut(struct conn *c, int which) {
  static const char *const name[] = {"head_timeout", "body_timeout",
                                     "write_timeout", "idle"};
  c->d->cut[which]++;
  if (which == CUT_IDLE)
    LOG_DEBUG("http", "closing an idle connection peer=%s", c->peer.text);
  else
    refusal(c, name[which], NULL);
  conn_close(c);
}

/* The deadlines, looked at every SWEEP_MS: a connection waiting for the
 * daemon (its head checked, its request queued or merged) has none. */
static void on_sweep(uv_timer_t *t) {
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
    case RS_BODY:
      if (age >= cfg->read_timeout_ms ||
          (age > BODY_GRACE_MS && c->rp.body.len * 1000 <
                                      (age - BODY_GRACE_MS) * BODY_MIN_RATE))
        cut(c, CUT_BODY);
      break;
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
    case RS_QUEUED:
      break;
    }
  }
  if (now - d->rlog_ms >= RLOG_WINDOW_MS) {
    rlog_flush(&d->rlog, rlog_emit, NULL);
    d->rlog_ms = now;
  }
}

/* With every slot taken (of the daemon, or of |nc|'s address when
 * |same_peer|), the connection that least deserves its slot makes room:
 * the longest idle, else a head that has been trickling in for a second or
 * more (a real one arrives in one round trip). None: NULL. */
static struct conn *victim(struct daemon *d, const struct conn *nc,
                           bool same_peer) {
  uint64_t now = uv_now(&d->loop);
  struct conn *best = NULL;
  for (int pass = 0; pass < 2 && !best; pass++) {
    for (struct conn *c = d->conns; c; c = c->next) {
      if (c == nc || c->closing ||
          (same_peer && !peer_same(&c->peer, &nc->peer)))
        continue;
      if (pass == 0 ? c->state != RS_IDLE
                    : c->state != RS_HEAD || now - c->since_ms < 1000)
        continue;
      if (!best || c->since_ms <= best->since_ms) /* list: newest first */
        best = c;
    }
  }
  return best;
}

static int peer_conns(const struct daemon *d, const struct conn *nc) {
  int n = 0;
  for (const struct conn *c = d->conns; c; c = c->next)
    n += c != nc && !c->closing && peer_same(&c->peer, &nc->peer);
  return n;
}

/* Closes a connection to make room for |nc|, or |nc| itself when every
 * slot is busy with real work (shed). True when |nc| was closed. */
static bool make_room(struct daemon *d, struct conn *nc, bool same_peer,
                      const char *reason) {
  struct conn *v = victim(d, nc, same_peer);
  if (!v) {
    d->shed++;
    refusal(nc, reason, NULL);
    conn_close(nc);
    return true;
  }
  d->evicted++;
  LOG_DEBUG("http", "evicting peer=%s to make room for peer=%s", v->peer.text,
            nc->peer.text);
  conn_close(v);
  return false;
}

static void on_connection(uv_stream_t *server, int status) {
  struct daemon *d = container_of(server, struct daemon, listener);
  struct sockaddr_storage sa;
  int salen = sizeof(sa);
  struct conn *c;

  if (status < 0)
    return;
  c = ds_calloc(1, sizeof(*c));
  if (!c)
    return;
  c->d = d;
  uv_tcp_init(&d->loop, &c->tcp);
  c->tcp.data = c;
  http_rp_init(&c->rp, on_begin, c);
  buf_init(&c->pending, 0);
  buf_init(&c->out, 0);
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
  peer_set(&c->peer, uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa,
                                        &salen)
                         ? NULL
                         : (struct sockaddr *)&sa);
  if (d->stopping) {
    conn_close(c);
    return;
  }
  if (peer_conns(d, c) >= d->cfg->max_conns_per_addr &&
      make_room(d, c, true, "per_address_limit"))
    return;
  if (d->nlive > d->cfg->max_conns && make_room(d, c, false, "server_full"))
    return;
  uv_tcp_nodelay(&c->tcp, 1);
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
    if (c->state == RS_IDLE || c->state == RS_HEAD || c->state == RS_BODY ||
        c->state == RS_CHECK)
      conn_close(c);
  }
  /* The deadlines still apply to the answers going out, but no longer keep
   * the loop running. */
  uv_unref((uv_handle_t *)&d->sweep);
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
                          "SELECT pubkey, revoked_ms FROM node WHERE node = "
                          "?1",
                          -1, SQLITE_PREPARE_PERSISTENT, &d->keyq, NULL) ||
       sqlite3_prepare_v3(d->keydb, "SELECT 1 FROM token WHERE hash = ?1",
                          -1, SQLITE_PREPARE_PERSISTENT, &d->tokq, NULL))) {
    sqlite3_finalize(d->keyq);
  sqlite3_finalize(d->tokq);
    sqlite3_finalize(d->tokq);
    d->keyq = d->tokq = NULL;
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
  uv_timer_init(&d->loop, &d->sweep);
  d->sweep.data = d;
  uv_timer_start(&d->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
  LOG_INFO("server", "listening on %s:%d max_skew=%llus", cfg->host, port,
           (unsigned long long)(cfg->max_skew_ms / 1000));
  uv_run(&d->loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&d->sweep, NULL);
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
  sqlite3_finalize(d->tokq);
  sqlite3_close(d->keydb);
  uv_mutex_destroy(&d->keylock);
  ingest_close(d->ing);
  ds_free(d);
  return rc;
}
