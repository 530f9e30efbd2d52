/* SPDX-License-Identifier: MIT
 * server.c -- dansyncd serve: the libuv loop's life (listening, signals,
 * the port file), the request queue and the single writer's group commits,
 * and the answers once a group is durable. Connections are conn.c's, the
 * WAL syncs and the checkpointer durable.c's, the counters metrics.c's.
 * Everything here runs on the loop thread except the writer (ingest_sync
 * for one group of requests at a time), in the threadpool so the loop
 * never waits on disk. */
#include "daemon/server.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/store.h"
#include "daemon/answer.h"
#include "daemon/dmsg.h"
#include "daemon/log.h"
#include "daemon/rotate.h"
#include "daemon/serve.h"
#include "daemon/ui.h"
#include "proto/codec.h"

static void start_next(struct daemon *d);

/* ---- the writer ---- */

static void work_cb(uv_work_t *w) {
  struct daemon *d = container_of(w, struct daemon, work);
  struct group *g = d->group;
  int rc;

  durable_writer_begin(d->dur, g->full);
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

  assert(c->in_writer && c->state == RS_QUEUED);
  c->in_writer = false;
  hex_encode(node, c->rq.node, ID_LEN);
  if (c->rs.status == 200) {
    metrics_count_sync(&d->met, c->rs.commune, c->rq.received_ms, c->rs.merged,
                       c->rs.quarantined, c->rs.conflicts);
    LOG_INFO("sync",
             "accepted node=%.16s commune=%s merged=%u "
             "quarantined=%u conflicts=%u pulled=%u wait_ms=%.1f "
             "merge_ms=%.1f group=%d commit_ms=%.1f sync_ms=%.1f "
             "peer=%s",
             node, c->rs.commune, c->rs.merged, c->rs.quarantined,
             c->rs.conflicts, c->rs.pulled,
             (double)(uv_hrtime() - c->queued_ns - c->work_ns) / 1e6,
             (double)c->work_ns / 1e6, g->n, (double)g->commit_ns / 1e6,
             (double)g->sync.ns / 1e6, c->peer.text);
  } else if (c->rs.status == 401) {
    /* The node is not who it claimed (or no longer enrolled): a stranger's
     * refusal, rate-limited; its next head is looked up again. */
    char detail[64];
    ncache_forget(&d->known, c->rq.node);
    snprintf(detail, sizeof(detail), "claimed_node=%.16s status=401", node);
    conn_refusal(c, c->rs.error[0] ? c->rs.error : "unauthorized", detail);
  } else {
    /* A signed request of an enrolled device: each is logged. */
    LOG_WARN("sync", "refused node=%.16s status=%d error=%s peer=%s", node,
             c->rs.status, c->rs.error, c->peer.text);
  }
  if (c->closing) {
    /* The peer went away while its request was merged: the merge stands
     * (it was acked durably); only the answer is lost. */
    uv_close((uv_handle_t *)&c->tcp, conn_on_close);
  } else {
    if (c->rs.status == 200 && c->rs.enrolled)
      answer_receipt_header(d->answer_sk, c->rq.node, c->rq.key_hex,
                            c->rs.commune, c->xhdr, sizeof(c->xhdr));
    if (c->rs.status == 200 && c->rq.has_body_hash) {
      answer_sign_header(d->answer_sk, c->rq.body_hash, c->rs.body.data,
                         c->rs.body.len, c->xhdr, sizeof(c->xhdr));
      strncat(c->xhdr, d->rotation, sizeof(c->xhdr) - strlen(c->xhdr) - 1);
    }
    conn_respond(c, c->rs.status, "application/msgpack", c->rs.body.data,
                 c->rs.body.len);
  }
}

static void answer_all(struct group *g) {
  for (int i = 0; i < g->n; i++)
    answer(g->d, g, g->c[i]);
  ds_free(g);
}

/* The group's commit is on disk, or its sync failed. */
static void after_sync(struct durable_sync *s) {
  struct group *g = container_of(s, struct group, sync);

  if (s->rc) {
    /* Committed but perhaps not on disk: the devices send again, and what
     * is already stored is acked without being stored twice. */
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
  assert(g && g->n > 0);
  d->group = NULL;
  for (int i = 0; i < g->n; i++)
    stored |= g->c[i]->rs.status == 200 &&
              (g->c[i]->rs.logged || g->c[i]->rs.enrolled);
  /* A group that stored nothing still waits for the syncs under way: its
   * pulls may show what they are making durable. */
  if ((!stored && !durable_syncing(d->dur)) || g->full ||
      durable_sync_start(d->dur, &g->sync, after_sync))
    answer_all(g); /* nothing to sync, or FULL commits synced already */
  durable_maybe_checkpoint(d->dur);
  start_next(d);
  if (!d->group)
    ui_writer_idle(d->ui); /* the writer is idle: index what it merged */
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
  g->full = durable_full(d->dur);
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
  ui_writer_busy(d->ui); /* the index waits between its slices */
  if (uv_queue_work(&d->loop, &d->work, work_cb, after_work)) {
    d->group = NULL;
    for (int i = 0; i < g->n; i++)
      (void)ingest_res_unavailable(&g->c[i]->rs, DS_EUNAVAIL);
    answer_all(g);
  }
}

void srv_enqueue(struct conn *c) {
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
  ui_stop(d->ui);
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
  char tmp[4096], num[32];
  int fd, n;
  bool ok;

  uv_close((uv_handle_t *)&d->ready, NULL);
  if (!d->cfg->port_file)
    return;
  /* Written to a new file (never through a symlink) renamed into place: a
   * reader sees nothing or the whole number, and rename replaces a link at
   * the name rather than writing where it points. */
  snprintf(tmp, sizeof(tmp), "%s.tmp", d->cfg->port_file);
  unlink(tmp);
  n = snprintf(num, sizeof(num), "%d\n", d->port);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  ok = fd >= 0 && write(fd, num, (size_t)n) == n;
  if (fd >= 0 && close(fd))
    ok = false;
  if (!ok || rename(tmp, d->cfg->port_file)) {
    LOG_ERROR("server", "cannot write the port file %s: %s", d->cfg->port_file,
              strerror(errno));
    unlink(tmp);
  }
}

/* 127.0.0.0/8, ::1 and localhost: nothing leaves the machine. */
static bool is_loopback(const char *host) {
  return !strncmp(host, "127.", 4) || !strcmp(host, "::1") ||
         !strcmp(host, "localhost");
}

/* The dashboard's listener, on the same loop and certificate. */
static int start_ui(struct daemon *d, char *errbuf) {
  struct ui_config uc = {d->cfg->ui_host ? d->cfg->ui_host : "127.0.0.1",
                         d->cfg->ui_port, d->cfg->ui_port_file,
                         d->cfg->insecure_http};
  return ui_start(&d->ui, &d->loop, &uc, d->st, d->tls, errbuf);
}

/* glibc's malloc, for a daemon whose requests are half-megabyte bodies,
 * their decoded trees and SQLite's record for the log: one arena (the
 * request moves between the loop and the pool's threads, and each thread's
 * own arena kept its own copy of that working set), and memory freed is
 * kept rather than handed back and faulted in again for the next request:
 * up to 64 MiB free at the top, and any block up to 32 MiB (so every body,
 * at most PROTO_MAX_BODY) from the heap, not a fresh mapping each time. On
 * the benchmark's initial sync 17,500 page faults became 9,700, the
 * daemon's CPU went from 1.47 to 1.30 s and its peak RSS from 52.7 to
 * 49.2 MiB (docs/DECISIONS.md). A failed mallopt leaves glibc's defaults,
 * which work. */
static void malloc_tune(void) {
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

int srv_run(struct store *st, const struct srv_config *cfg, char *errbuf) {
  struct daemon *d = ds_calloc(1, sizeof(*d));
  struct sockaddr_storage addr;
  struct sockaddr_storage bound;
  int len = sizeof(bound), rc, port;

  if (!d)
    return DS_ENOMEM;
  malloc_tune();
  d->cfg = cfg;
  d->st = st;
  rc = ingest_open(&d->ing, st);
  if (rc) {
    ds_free(d);
    return dmsg_fail(errbuf, rc, DM_SERVE_PREPARE);
  }
  rc = answer_key_load(st, d->answer_sk, errbuf);
  rotate_header(st, d->rotation, sizeof(d->rotation));
  if (rc) {
    ingest_close(d->ing);
    ds_free(d);
    return rc;
  }
  if (cfg->tls_cert) {
    rc = tls_ctx_new(&d->tls, cfg->tls_cert, cfg->tls_key, errbuf);
    if (rc) {
      ingest_close(d->ing);
      ds_free(d);
      return rc;
    }
  } else if (!cfg->insecure_http && !is_loopback(cfg->host)) {
    ingest_close(d->ing);
    ds_free(d);
    return dmsg_fail(errbuf, DS_EINVAL, DM_SERVE_CLEAR, cfg->host);
  }
  rc = metrics_init(&d->met, st);
  if (rc) /* the next syncs fill the times in */
    LOG_WARN("server", "cannot read the communes' last syncs: %s",
             ds_strerror(rc));
  uv_loop_init(&d->loop);
  uv_tcp_init(&d->loop, &d->listener);
  /* Either may be missing (a store in memory has no file): the writer then
   * does that work. */
  if (registry_keys_open(&d->keys, st))
    d->keys = NULL;
  rc = durable_open(&d->dur, &d->loop, st);
  if (rc) {
    rc = dmsg_fail(errbuf, rc, DM_SERVE_WAL);
    goto fail;
  }
  if (uv_ip4_addr(cfg->host, cfg->port, (struct sockaddr_in *)&addr) &&
      uv_ip6_addr(cfg->host, cfg->port, (struct sockaddr_in6 *)&addr)) {
    rc = dmsg_fail(errbuf, DS_EINVAL, DM_NOT_IP, cfg->host);
    goto fail;
  }
  rc = uv_tcp_bind(&d->listener, (struct sockaddr *)&addr, 0);
  if (!rc)
    rc = uv_listen((uv_stream_t *)&d->listener, 511, conn_on_connection);
  if (rc) {
    rc = dmsg_fail(errbuf, DS_EIO, DM_LISTEN, cfg->host, cfg->port,
                   uv_strerror(rc));
    goto fail;
  }
  uv_tcp_getsockname(&d->listener, (struct sockaddr *)&bound, &len);
  port = ntohs(bound.ss_family == AF_INET6
                   ? ((struct sockaddr_in6 *)&bound)->sin6_port
                   : ((struct sockaddr_in *)&bound)->sin_port);
  rc = cfg->no_ui ? 0 : start_ui(d, errbuf);
  if (rc && rc != DS_EIO)
    goto fail;
  if (rc) /* devices' syncs matter more than the dashboard */
    LOG_ERROR("ui", "%s; serving syncs without the dashboard", errbuf);
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
  uv_timer_start(&d->sweep, conn_on_sweep, SWEEP_MS, SWEEP_MS);
  LOG_INFO("server", "listening on %s:%d %s max_skew=%llus", cfg->host, port,
           d->tls ? "https" : "http",
           (unsigned long long)(cfg->max_skew_ms / 1000));
  uv_run(&d->loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&d->sweep, NULL);
  uv_run(&d->loop, UV_RUN_DEFAULT);
  rc = 0;
  LOG_INFO("server", "stopped cleanly");
  goto done;
fail:
  uv_close((uv_handle_t *)&d->listener, NULL);
  ui_stop(d->ui);
  uv_run(&d->loop, UV_RUN_DEFAULT);
done:
  if (uv_loop_close(&d->loop))
    LOG_WARN("server", "the loop still had handles at exit");
  durable_close(d->dur);
  registry_keys_close(d->keys);
  ingest_close(d->ing);
  ui_free(d->ui);
  tls_ctx_free(d->tls);
  sodium_memzero(d->answer_sk, sizeof(d->answer_sk));
  ds_free(d);
  return rc;
}
