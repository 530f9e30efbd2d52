/* SPDX-License-Identifier: MIT
 * ui_index.c -- the search index brought up to date while the daemon's
 * writer is idle. Merging defers indexing (store_search_refresh) and the
 * dashboard's page connection only reads, so until something refreshes
 * the index its searches OR in the rows not yet indexed, a scan that grows
 * with every sync. server.c tells us when its writer has nothing left
 * (ui_writer_idle) and when it takes work (ui_writer_busy); after
 * UI_INDEX_IDLE_MS idle, the dashboard's edit connection indexes on a pool
 * thread, UI_INDEX_SLICE records per transaction, one slice after another
 * while the writer stays idle. A slice under way when the writer takes
 * work is the last until the writer is idle again, so a sync waits for at
 * most one slice, not for the whole index. */
#include <string.h>

#include "common/store.h"
#include "daemon/district.h"
#include "daemon/log.h"
#include "daemon/ui_int.h"
#include "daemon/ui_views.h"

static void refresh_work(uv_work_t *w) {
  struct ui_index *x = w->data;
  struct ui_db *db = x->db;
  char err[DS_ERRBUF_LEN];
  int64_t v = -1;
  bool done = false;
  uv_mutex_lock(&db->rwlock);
  if (!db->rw && !district_open(&db->rw, db->path, err))
    store_set_busy_timeout(db->rw, 5000);
  /* Nothing committed by another connection since the index was last
   * complete: nothing to index (and no commit that would make the
   * dashboard read its figures again). The connection's own commits do
   * not move its data_version. */
  if (db->rw)
    v = ui_views_data_version(db->rw);
  x->rc = 0;
  if (v < 0 || v != x->version || x->more) {
    x->rc = db->rw ? store_search_refresh_some(db->rw, x->slice, &done)
                   : DS_EUNAVAIL;
    x->more = !x->rc && !done;
    if (!x->rc && done)
      x->version = v;
    x->slices += x->rc == 0;
  }
  uv_mutex_unlock(&db->rwlock);
}

static void on_idle(uv_timer_t *t);
static void refresh_done(uv_work_t *w, int status);

static void slice_start(struct ui_index *x) {
  x->work.data = x;
  x->running = !uv_queue_work(x->loop, &x->work, refresh_work, refresh_done);
}

static void refresh_done(uv_work_t *w, int status) {
  struct ui_index *x = w->data;
  (void)status;
  x->running = false;
  if (x->rc)
    LOG_WARN("ui", "could not refresh the search index (it is tried again "
                   "when the writer is next idle)");
  if (x->stopped)
    return;
  if (x->again) {
    x->again = false;
    uv_timer_start(&x->timer, on_idle, x->idle_ms, 0);
  } else if (x->more && !x->writer_busy) {
    slice_start(x); /* the next slice: the writer has nothing to do */
  }
  /* The writer took work: the rest waits for ui_index_kick. */
}

static void on_idle(uv_timer_t *t) {
  struct ui_index *x = t->data;
  if (x->stopped || x->writer_busy)
    return;
  if (x->running) {
    x->again = true;
    return;
  }
  slice_start(x);
}

void ui_index_init(struct ui_index *x, uv_loop_t *loop, struct ui_db *db) {
  memset(x, 0, sizeof(*x));
  x->loop = loop;
  x->db = db;
  x->version = -1;
  x->slice = UI_INDEX_SLICE;
  x->idle_ms = UI_INDEX_IDLE_MS;
  uv_timer_init(loop, &x->timer);
  x->timer.data = x;
}

void ui_index_kick(struct ui_index *x) {
  x->writer_busy = false;
  if (!x->stopped)
    uv_timer_start(&x->timer, on_idle, x->idle_ms, 0);
}

void ui_index_busy(struct ui_index *x) {
  x->writer_busy = true;
  if (!x->stopped)
    uv_timer_stop(&x->timer);
}

void ui_index_stop(struct ui_index *x) {
  x->stopped = true;
  uv_close((uv_handle_t *)&x->timer, NULL);
}
