/* SPDX-License-Identifier: MIT
 * ui_bench -- how long the dashboard takes to make each page and API
 * answer on a district store (issue #19: <= 50 ms median on the
 * benchmark's 150,000-petition store). Pages are made as serve makes them
 * (ui_pages_handle on a read-only connection), without the socket; prints
 * `name value unit` lines as bench does, with `dashboard_page_ms_p50` (the
 * median over every page) and the slowest page's median; for each page made
 * from the figures' facts, its first load (the facts read anew, as after
 * any change to the store); then every page again while a writer commits
 * to the store (`dashboard_while_writing_*`, information only).
 *
 *   ui_bench --db DISTRICT.db [--rounds 9] [--only TEXT]
 *   ui_bench --db DISTRICT.db --reindex [--slice 2000]
 *
 * (--only: just the pages whose URL contains TEXT. --reindex: the search
 * index emptied and made again in the idle refresh's slices, as after a
 * large initial sync; prints each slice's time, the longest a sync can
 * wait for the write lock, and the total.)
 *
 * It adds a viewer account `ui-bench` to the store if it has none (the
 * pages are made as that user). Kept apart from bench/bench.c. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/repfig.h"
#include "common/store.h"
#include "daemon/district.h"
#include "daemon/ui_int.h"
#include "daemon/users.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* A petition id and a commune of the store, for the pages that name one,
 * and the commune of the oldest petition. */
static void pick(const char *db, char id[33], char commune[64],
                 char first[64]) {
  sqlite3 *h;
  sqlite3_stmt *s;
  id[0] = commune[0] = first[0] = '\0';
  if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(h,
                         "SELECT lower(hex(rid)), commune FROM rec WHERE ent "
                         "= 1 ORDER BY id DESC LIMIT 1",
                         -1, &s, NULL) == SQLITE_OK) {
    if (sqlite3_step(s) == SQLITE_ROW) {
      snprintf(id, 33, "%s", (const char *)sqlite3_column_text(s, 0));
      snprintf(commune, 64, "%s", (const char *)sqlite3_column_text(s, 1));
    }
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(h,
                           "SELECT commune FROM rec WHERE ent = 1 ORDER BY id "
                           "LIMIT 1",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      snprintf(first, 64, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
  }
  sqlite3_close(h);
}

/* The writer of the second pass: each page is made after one of its
 * commits, as a page asked for while devices sync finds the store changed
 * since the page before. */
struct writer {
  const char *db;
  atomic_int stop, commits;
};
static struct writer *writing;

/* Makes the page of |rq| 1 + |rounds| times into |t|, the first (which
 * warms the page cache) then the rest sorted; |fresh|: the figures' facts
 * dropped before each, as after a change to the store. Returns 0, or -1
 * when the page did not answer 200. */
static int pages(struct ui_db *udb, struct ui_req *rq, struct ui_resp *rs,
                 int rounds, bool fresh, double *t) {
  for (int r = 0; r <= rounds; r++) {
    double t0;
    if (fresh || r == 0) {
      repfig_facts_free(udb->facts);
      udb->facts = NULL;
    }
    if (writing) {
      struct timespec tick = {0, 2 * 1000 * 1000};
      int c0 = atomic_load(&writing->commits);
      while (atomic_load(&writing->commits) == c0 &&
             !atomic_load(&writing->stop))
        nanosleep(&tick, NULL);
    }
    t0 = now_ms();
    buf_reset(&rs->body);
    rs->headers[0] = '\0';
    rs->status = 200;
    ui_pages_handle(udb, rq, rs);
    t[r] = now_ms() - t0;
    if (rs->status != 200)
      return -1;
  }
  qsort(t + 1, (size_t)rounds, sizeof(double), cmp_double);
  return 0;
}

/* Makes every page of |urls| (those containing |only|) and prints its
 * median; |busy|: while the writer commits, the lines named so. Returns 0,
 * or 1 when a page did not answer 200. */
static int run(struct ui_db *udb, struct ui_req *rq, struct ui_resp *rs,
               char (*urls)[HTTP_MAX_URL + 1], int nurl, int rounds,
               const char *only, bool busy) {
  static double all[24 * 101];
  double worst = 0, cold_worst = 0;
  const char *tag = busy ? "_while_writing" : "";
  int nall = 0, slowest = 0;
  for (int u = 0; u < nurl; u++) {
    double t[101], med;
    if (only && !strstr(urls[u], only))
      continue;
    snprintf(rq->url, sizeof(rq->url), "%s", urls[u]);
    if (pages(udb, rq, rs, rounds, false, t)) {
      fprintf(stderr, "ui_bench: %s answered %d\n", urls[u], rs->status);
      return 1;
    }
    med = t[1 + rounds / 2];
    memcpy(all + nall, t + 1, (size_t)rounds * sizeof(double));
    nall += rounds;
    if (med > worst) {
      worst = med;
      slowest = u;
    }
    printf("dashboard%s_ms_p50 %.2f ms %s\n", tag, med, urls[u]);
    /* A page made from the figures' facts, again with the facts loaded
     * anew each time: its first load after the store changed. */
    if (!busy && udb->facts && pages(udb, rq, rs, rounds, true, t) == 0) {
      printf("dashboard_first_load_ms_p50 %.2f ms %s\n", t[1 + rounds / 2],
             urls[u]);
      if (t[1 + rounds / 2] > cold_worst)
        cold_worst = t[1 + rounds / 2];
    }
  }
  if (cold_worst > 0)
    printf("dashboard_first_load_slowest_ms_p50 %.2f ms\n", cold_worst);
  if (nall == 0)
    return 0;
  qsort(all, (size_t)nall, sizeof(double), cmp_double);
  printf("dashboard%s_page_ms_p50 %.2f ms\n", tag, all[nall / 2]);
  printf("dashboard%s_slowest_page_ms_p50 %.2f ms %s\n", tag, worst,
         urls[slowest]);
  return 0;
}

/* Commits every 100 ms a transaction writing 500 KB (what a sync of 1,000
 * petitions logs) under a key of its own in meta, deleted at the end: the
 * records stay as they were, the store's version moves at every commit. */
static void writer_main(void *arg) {
  struct writer *w = arg;
  sqlite3 *h = NULL;
  if (sqlite3_open_v2(w->db, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 10000);
    while (!atomic_load(&w->stop)) {
      struct timespec pace = {0, 100 * 1000 * 1000};
      if (sqlite3_exec(h,
                       "INSERT OR REPLACE INTO meta(k, v) VALUES "
                       "('ui-bench-writer', randomblob(500000))",
                       NULL, NULL, NULL) == SQLITE_OK)
        atomic_fetch_add(&w->commits, 1);
      nanosleep(&pace, NULL);
    }
    sqlite3_exec(h, "DELETE FROM meta WHERE k = 'ui-bench-writer'", NULL, NULL,
                 NULL);
  }
  sqlite3_close(h);
}

/* --reindex: the index emptied, then refreshed UI_INDEX_SLICE records a
 * transaction until complete. */
static int reindex(const char *db, int slice) {
  static double t[4096];
  char err[DS_ERRBUF_LEN];
  struct store *st;
  bool done = false;
  double all = 0, t0;
  int n = 0;
  if (district_open(&st, db, err)) {
    fprintf(stderr, "ui_bench: %s\n", err);
    return 1;
  }
  if (sqlite3_exec(store_sqlite(st),
                   "DELETE FROM search; DELETE FROM search_dirty; DELETE "
                   "FROM meta WHERE k = 'search_hw'",
                   NULL, NULL, NULL)) {
    store_close(st);
    return 1;
  }
  while (!done && n < 4096) {
    t0 = now_ms();
    if (store_search_refresh_some(st, slice, &done)) {
      store_close(st);
      return 1;
    }
    t[n] = now_ms() - t0;
    all += t[n++];
  }
  store_close(st);
  printf("search_refresh_slice_first_last_ms %.2f %.2f ms\n", t[0], t[n - 1]);
  qsort(t, (size_t)n, sizeof(double), cmp_double);
  printf("search_refresh_slices %d slices of %d records\n", n, slice);
  printf("search_refresh_slice_ms_p50 %.2f ms\n", t[n / 2]);
  printf("search_refresh_slice_ms_max %.2f ms\n", t[n - 1]);
  printf("search_refresh_total_ms %.1f ms\n", all);
  return 0;
}

int main(int argc, char **argv) {
  const char *db = NULL, *only = NULL;
  int rounds = 9;
  char err[DS_ERRBUF_LEN], id[33], commune[64], first[64];
  char urls[24][HTTP_MAX_URL + 1];
  struct store *st;
  struct ui_db udb;
  struct ui_req rq;
  struct ui_resp rs;
  int nurl = 0, rc;
  bool reindexing = false;
  int slice = UI_INDEX_SLICE;

  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--reindex"))
      reindexing = true;
    else if (i + 1 == argc)
      break;
    else if (!strcmp(argv[i], "--db"))
      db = argv[++i];
    else if (!strcmp(argv[i], "--only"))
      only = argv[++i];
    else if (!strcmp(argv[i], "--slice"))
      slice = (int)strtol(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--rounds"))
      rounds = (int)strtol(argv[++i], NULL, 10);
  }
  if (!db || rounds < 1 || rounds > 100) {
    fprintf(stderr, "usage: ui_bench --db DISTRICT.db [--rounds 1..100] "
                    "[--only TEXT] [--reindex [--slice N]]\n");
    return 2;
  }
  if (db && reindexing)
    return reindex(db, slice);
  if (sodium_init() < 0 || district_open(&st, db, err)) {
    fprintf(stderr, "ui_bench: %s\n", err);
    return 1;
  }
  if (users_add(st, "ui-bench", USERS_VIEWER, "ui-bench-password", err) &&
      strstr(err, "already") == NULL && strstr(err, "đã có") == NULL) {
    fprintf(stderr, "ui_bench: %s\n", err);
    store_close(st);
    return 1;
  }
  store_close(st);
  pick(db, id, commune, first);
  {
    const char *fixed[] = {"/",
                           "/?from=2024-01-01&to=2024-12-31",
                           "/petitions",
                           "/petitions?q=nguyen+van",
                           "/petitions?status=received&overdue=1",
                           "/petitions?category=water&page=3",
                           "/conflicts",
                           "/devices",
                           "/report?from=2024-01-01&to=2024-12-31",
                           "/api/overview",
                           "/api/petitions?q=kien+nghi",
                           "/api/petitions?q=9999",
                           "/api/petitions?q=kien+nghi&commune=FIRST",
                           "/api/report",
                           "/api/devices",
                           "/api/conflicts"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
      const char *at = strstr(fixed[i], "FIRST");
      /* FIRST: the commune of the oldest petition, the search's page
       * the furthest from the newest. */
      snprintf(urls[nurl++], sizeof(urls[0]), "%.*s%s",
               at ? (int)(at - fixed[i]) : (int)strlen(fixed[i]), fixed[i],
               at ? first : "");
    }
    if (id[0]) { /* an empty district has none */
      snprintf(urls[nurl++], sizeof(urls[0]), "/petitions/%s", id);
      snprintf(urls[nurl++], sizeof(urls[0]), "/api/petitions/%s", id);
      snprintf(urls[nurl++], sizeof(urls[0]), "/communes/%s", commune);
    }
  }
  memset(&udb, 0, sizeof(udb));
  snprintf(udb.path, sizeof(udb.path), "%s", db);
  uv_mutex_init(&udb.lock);
  uv_mutex_init(&udb.rwlock);
  memset(&rq, 0, sizeof(rq));
  buf_init(&rq.body, UI_MAX_BODY);
  buf_init(&rs.body, 0);
  rq.method = HTTP_GET;
  rq.authed = true;
  snprintf(rq.user, sizeof(rq.user), "ui-bench");
  memset(rq.csrf, 'a', UI_TOKEN_HEX);
  printf("# ui_bench: %d pages x %d rounds on %s\n", nurl, rounds, db);
  if (run(&udb, &rq, &rs, urls, nurl, rounds, only, false))
    return 1;
  /* The same while the store changes under the pages, as when devices
   * sync: a writer on its own connection commits 500 KB every 100 ms
   * (writer_main), and each page is made just after a commit, so every
   * figure page finds its facts out of date. */
  {
    struct writer w = {db, 0, 0};
    uv_thread_t th;
    if (uv_thread_create(&th, writer_main, &w))
      return 1;
    writing = &w;
    rc = run(&udb, &rq, &rs, urls, nurl, rounds, only, true);
    atomic_store(&w.stop, 1);
    uv_thread_join(&th);
    writing = NULL;
    printf("dashboard_while_writing_commits %d commits\n",
           atomic_load(&w.commits));
    if (rc)
      return 1;
  }
  store_close(udb.ro);
  store_close(udb.rw);
  repfig_facts_free(udb.facts);
  uv_mutex_destroy(&udb.lock);
  uv_mutex_destroy(&udb.rwlock);
  buf_cleanup(&rq.body);
  buf_cleanup(&rs.body);
  return 0;
}
