/* SPDX-License-Identifier: MIT
 * serve.h -- what the parts of `dansyncd serve` share, inside the daemon
 * only: server.c (the loop's life, the request queue, the single writer
 * and its group commits) and conn.c (HTTP connections: reading, the head
 * check, deadlines, eviction, answers), beside durable.c (WAL syncs, the
 * checkpointer), metrics.c and registry.c's key look-ups. Loop thread
 * only, except the pool work each names. */
#ifndef DS_DAEMON_SERVE_H
#define DS_DAEMON_SERVE_H
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "common/buf.h"
#include "common/schema.h"
#include "daemon/durable.h"
#include "daemon/guard.h"
#include "daemon/http.h"
#include "daemon/ingest.h"
#include "daemon/metrics.h"
#include "daemon/registry.h"
#include "daemon/server.h"
#include "daemon/tls.h"

/* Group commit: the writer takes every request waiting when it starts, up
 * to these bounds, merges each in a savepoint of one transaction and
 * commits them once. One waiting request is a group of one. */
#define GROUP_MAX 16
#define GROUP_MAX_BYTES (32u << 20)

/* A group is durable once its WAL frames are on disk (daemon/durable.h):
 * its answers go out after the sync that follows its commit. A later sync
 * covers every earlier commit's frames, so no answer, pulls included,
 * shows what might not survive a power cut. */
struct group {
  struct durable_sync sync;
  struct daemon *d;
  int n;
  bool full; /* committed with synchronous = FULL: synced already */
  uint64_t commit_ns;
  struct conn *c[GROUP_MAX];
};

#define container_of(ptr, type, member) \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct conn;

struct daemon {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigterm, sigint;
  uv_timer_t ready;
  uv_timer_t sweep; /* every connection's deadlines; the refusal log */
  int port;
  uv_work_t work; /* the writer */
  /* The head check's look-ups (registry.c); NULL: the writer judges. */
  struct registry_keys *keys;
  struct durable *dur; /* WAL syncs and the checkpointer */
  const struct srv_config *cfg;
  struct store *st;
  struct ingest *ing;
  struct conn *conns;              /* every open connection */
  struct conn *queue, *queue_tail; /* waiting for the writer */
  struct group *group;             /* in the writer now */
  int nconns;                      /* handles open, closing ones too */
  int nlive;                       /* connections not closing */
  uint64_t body_reserved;          /* declared bodies being handled */
  uint64_t predecoded;             /* bodies decoded before the writer */
  uint64_t rlog_ms;                /* when the refusal log's window opened */
  bool stopping;
  struct rlog rlog;
  struct ncache known;
  struct tls_ctx *tls;   /* NULL: plain HTTP (loopback or --insecure-http) */
  struct ui *ui;         /* the dashboard (daemon/ui.c), or NULL */
  uint8_t answer_sk[64]; /* the district key: signs 200 answers (answer.c) */
  char rotation[200];    /* its announcement after a rotation (rotate.c) */
  uv_tcp_t spare;        /* accepts and drops a connection when out of memory */
  bool spare_busy;
  uint8_t rbuf[64 * 1024]; /* every read lands here first */
  struct metrics met;      /* loop thread only */
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
/* The bodies whose decoded form may wait for the writer at once (the
 * decoded tree takes about 1.5 times its body): past it, the writer
 * decodes the next ones itself. */
#define PREDECODE_MAX_BYTES (8u * 1024u * 1024u)

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
  bool in_writer;  /* in the writer's group: closed after it */
  bool in_pool;    /* in the head check or the prep step: closed after it */
  bool holds_node; /* its request is its node's one request in flight */
  bool predecode;  /* its body counts in d->predecoded: decoded in prep */
  bool has_pk;     /* pk: the node's key as the head check found it */
  int check;       /* the head check's verdict (enum check) */
  uint8_t pk[32];
  uint64_t since_ms; /* when the current state began */
  uint64_t body_len; /* the declared body, reserved in d->body_reserved */
  uint64_t wq_ms;    /* when the answer's write last made progress */
  size_t wq_left;    /* what it had left then */
  unsigned served;   /* requests answered on this connection */
  size_t drained;
  struct buf pending, out;
  struct tls_conn *tls; /* with d->tls */
  struct buf tout;      /* the answer, encrypted */
  struct ingest_req rq;
  struct ingest_res rs;
  char xhdr[512]; /* extra header lines of the next answer (answer.c) */
  uint64_t queued_ns, work_ns; /* when it was queued; the merge's time */
};

/* conn.c */
void conn_on_connection(uv_stream_t *server, int status);
void conn_on_sweep(uv_timer_t *t);
/* Closes |c| (later, if the pool or the writer holds it). */
void conn_close(struct conn *c);
/* The handle's close callback: frees the connection. */
void conn_on_close(uv_handle_t *h);
void conn_respond(struct conn *c, int status, const char *type,
                  const void *body, size_t len);
void conn_respond_error(struct conn *c, int status, const char *code,
                        const char *msg);
/* Reads on where the parser stopped (after a head or a request). */
void conn_read_on(struct conn *c);
bool conn_path_is(const struct conn *c, const char *path);
/* Logs a refusal with its peer, rate-limited per address and reason. */
void conn_refusal(struct conn *c, const char *reason, const char *detail);

/* evict.c: makes room for the new connection |c| when its address or the
 * daemon has every slot taken; true when |c| itself was closed (shed). */
bool evict_for(struct conn *c);

/* head.c: a request's head is in; decides whether its body is read. */
void conn_head(struct conn *c);

/* server.c */
/* Queues a whole, prepared sync request for the writer. */
void srv_enqueue(struct conn *c);
#endif
