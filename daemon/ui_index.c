/* SPDX-License-Identifier: MIT
 * ui_index.c -- the search index brought up to date while the daemon's
 * writer is idle. Merging defers indexing (store_search_refresh) and the
 * dashboard's page connection only reads, so until something refreshes
 * the index its searches OR in the rows not yet indexed, a scan that grows
 * with every sync. server.c tells us when its writer has nothing left
 * (ui_writer_idle); after UI_INDEX_IDLE_MS more without another sync, the
 * dashboard's edit connection refreshes the index on a pool thread. */
#include <string.h>

#include "common/store.h"
#include "daemon/district.h"
#include "daemon/log.h"
#include "daemon/ui_int.h"

static void refresh_work(uv_work_t *w) {
  struct ui_index *x = w->data;
  struct ui_db *db = x->db;
  char err[DS_ERRBUF_LEN];
  sqlite3_stmt *s = NULL;
  int64_t v = -1;
  uv_mutex_lock(&db->rwlock);
  if (!db->rw && !district_open(&db->rw, db->path, err))
    store_set_busy_timeout(db->rw, 5000);
  /* Nothing committed by another connection since the last refresh:
   * nothing to index (and no commit that would make the dashboard read its
   * figures again). */
  if (db->rw &&
      sqlite3_prepare_v2(store_sqlite(db->rw), "PRAGMA data_version", -1, &s,
                         NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  x->rc = 0;
  if (v < 0 || v != x->version) {
    x->rc = db->rw ? store_search_refresh(db->rw) : DS_EUNAVAIL;
    if (!x->rc)
      x->version = v;
    x->refreshes += x->rc == 0;
  }
  uv_mutex_unlock(&db->rwlock);
}

static void on_idle(uv_timer_t *t);

static void refresh_done(uv_work_t *w, int status) {
  struct ui_index *x = w->data;
  (void)status;
  x->running = false;
  if (x->rc)
    LOG_WARN("ui", "could not refresh the search index (it is tried again "
                   "when the writer is next idle)");
  if (x->again && !x->stopped) {
    x->again = false;
    uv_timer_start(&x->timer, on_idle, UI_INDEX_IDLE_MS, 0);
  }
}

static void on_idle(uv_timer_t *t) {
  struct ui_index *x = t->data;
  if (x->stopped)
    return;
  if (x->running) {
    x->again = true;
    return;
  }
  x->work.data = x;
  x->running = !uv_queue_work(x->loop, &x->work, refresh_work, refresh_done);
}

void ui_index_init(struct ui_index *x, uv_loop_t *loop, struct ui_db *db) {
  memset(x, 0, sizeof(*x));
  x->loop = loop;
  x->db = db;
  x->version = -1;
  uv_timer_init(loop, &x->timer);
  x->timer.data = x;
}

void ui_index_kick(struct ui_index *x) {
  if (!x->stopped)
    uv_timer_start(&x->timer, on_idle, UI_INDEX_IDLE_MS, 0);
}

void ui_index_stop(struct ui_index *x) {
  x->stopped = true;
  uv_close((uv_handle_t *)&x->timer, NULL);
}
