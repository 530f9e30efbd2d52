/* SPDX-License-Identifier: MIT
 * durable.c -- the WAL's syncs, the writer's synchronous mode and the
 * checkpointer of dansyncd serve. */
#include "daemon/durable.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "common/store.h"
#include "daemon/log.h"

/* The writer does not copy the WAL back into the database itself: past
 * CKPT_BYTES of WAL a second connection does it on another thread, so
 * merges do not stall behind it. Should that fall behind, the writer
 * checkpoints at CKPT_HARD_BYTES rather than let the WAL grow. */
#define CKPT_BYTES (16 << 20)
#define CKPT_HARD_BYTES (128 << 20)

struct durable {
  uv_loop_t *loop;
  sqlite3 *db;      /* the writer's connection */
  int walfd;        /* the WAL, for the group syncs; or -1 */
  bool sync_full;   /* a sync failed: back to FULL */
  bool writer_full; /* the writer's setting (its thread) */
  int syncing;      /* group syncs under way */
  uv_work_t ckwork; /* the checkpointer */
  sqlite3 *ckdb;    /* its connection; NULL: the writer checkpoints */
  bool ck_running;
  int wal_frames;                /* after the writer's last commit */
  int ck_frames, ck_hard_frames; /* the two bounds, in pages */
};

/* ---- the group syncs ---- */

bool durable_full(const struct durable *du) {
  return du->sync_full || du->walfd < 0;
}

void durable_writer_begin(struct durable *du, bool full) {
  if (full && !du->writer_full) {
    (void)sqlite3_exec(du->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    du->writer_full = true;
  }
}

static void sync_cb(uv_work_t *w) {
  struct durable_sync *s = w->data;
  uint64_t t0 = uv_hrtime();
  s->rc = fdatasync(s->du->walfd) ? errno : 0;
  s->ns = uv_hrtime() - t0;
}

static void after_sync(uv_work_t *w, int status) {
  struct durable_sync *s = w->data;
  struct durable *du = s->du;

  (void)status;
  du->syncing--;
  if (s->rc) {
    /* Committed but perhaps not on disk: the devices send again, and what
     * is already stored is acked without being stored twice. */
    LOG_ERROR("server",
              "cannot sync the WAL (%s); answering 503 and "
              "committing with full syncs from now on",
              strerror(s->rc));
    du->sync_full = true;
  }
  s->cb(s);
}

int durable_sync_start(struct durable *du, struct durable_sync *s,
                       durable_sync_cb cb) {
  assert(du->walfd >= 0);
  s->du = du;
  s->cb = cb;
  s->rc = 0;
  s->ns = 0;
  s->work.data = s;
  if (uv_queue_work(du->loop, &s->work, sync_cb, after_sync))
    return DS_EUNAVAIL;
  du->syncing++;
  return 0;
}

int durable_syncing(const struct durable *du) {
  return du->syncing;
}

/* ---- the checkpointer ---- */

static void ck_work(uv_work_t *w) {
  struct durable *du = w->data;
  int nlog = 0, nckpt = 0;
  if (sqlite3_wal_checkpoint_v2(du->ckdb, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                &nlog, &nckpt) != SQLITE_OK)
    LOG_WARN("server", "checkpoint: %s", sqlite3_errmsg(du->ckdb));
}

static void ck_after(uv_work_t *w, int status) {
  struct durable *du = w->data;
  (void)status;
  du->ck_running = false;
}

void durable_maybe_checkpoint(struct durable *du) {
  if (!du->ckdb || du->ck_running || du->wal_frames < du->ck_frames)
    return;
  du->wal_frames = 0;
  du->ck_running = !uv_queue_work(du->loop, &du->ckwork, ck_work, ck_after);
}

/* Runs on the writer's thread after each of its commits. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames) {
  struct durable *du = arg;
  du->wal_frames = frames;
  if (frames >= (du->ckdb ? du->ck_hard_frames : du->ck_frames))
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return SQLITE_OK;
}

/* ---- life ---- */

int durable_open(struct durable **out, uv_loop_t *loop, struct store *st) {
  struct durable *du = ds_calloc(1, sizeof(*du));
  sqlite3 *db = store_sqlite(st);
  const char *path = sqlite3_db_filename(db, "main");
  sqlite3_stmt *s;
  int page = 4096;

  if (!du)
    return DS_ENOMEM;
  du->loop = loop;
  du->db = db;
  du->ckwork.data = du;
  /* The writer has read the store, so its WAL file exists. */
  du->walfd = -1;
  if (path && *path)
    du->walfd = open(sqlite3_filename_wal(path), O_RDONLY | O_CLOEXEC);
  if (du->walfd >= 0 && sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL,
                                     NULL, NULL) != SQLITE_OK) {
    close(du->walfd);
    du->walfd = -1;
  }
  du->writer_full = du->walfd < 0;
  /* A connection that has read nothing has not opened the WAL, and its
   * checkpoints do nothing (they report -1 frames): read the schema. */
  if (path && *path &&
      (sqlite3_open_v2(path, &du->ckdb, SQLITE_OPEN_READWRITE, NULL) ||
       sqlite3_exec(du->ckdb, "SELECT count(*) FROM sqlite_master", NULL, NULL,
                    NULL))) {
    sqlite3_close(du->ckdb);
    du->ckdb = NULL;
  }
  if (!sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL) &&
      sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0)
    page = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  du->ck_frames = CKPT_BYTES / page;
  du->ck_hard_frames = CKPT_HARD_BYTES / page;
  sqlite3_wal_hook(db, wal_hook, du);
  *out = du;
  return 0;
}

void durable_close(struct durable *du) {
  if (!du)
    return;
  assert(!du->syncing && !du->ck_running);
  sqlite3_wal_hook(du->db, NULL, NULL);
  sqlite3_close(du->ckdb);
  if (du->walfd >= 0)
    close(du->walfd);
  ds_free(du);
}
