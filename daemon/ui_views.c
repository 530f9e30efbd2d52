/* SPDX-License-Identifier: MIT
 * ui_views.c -- the dashboard's reads of the store (ui_views.h): the one
 * file of the dashboard holding SQL. */
#include "daemon/ui_views.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/schema.h"
#include "common/store.h"
#include "daemon/ui_int.h"

bool ui_views_open_ro(struct store **out, const char *path) {
  char err[DS_ERRBUF_LEN];
  *out = NULL;
  if (store_open(out, path, 0, err))
    return false;
  store_set_busy_timeout(*out, 5000);
  if (sqlite3_exec(store_sqlite(*out), "PRAGMA query_only = 1", NULL, NULL,
                   NULL) ||
      ui_fold_register(store_sqlite(*out))) {
    store_close(*out);
    *out = NULL;
  }
  return *out != NULL;
}

int64_t ui_views_data_version(struct store *st) {
  sqlite3_stmt *s;
  int64_t v = -1;
  if (sqlite3_prepare_v2(store_sqlite(st), "PRAGMA data_version", -1, &s,
                         NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

bool ui_views_read_begin(struct store *st) {
  return sqlite3_exec(store_sqlite(st), "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

void ui_views_read_end(struct store *st) {
  sqlite3_exec(store_sqlite(st), "COMMIT", NULL, NULL, NULL);
}

/* ---- petitions ---- */

#define PET_COLS                                                     \
  "SELECT lower(hex(rid)), commune, received_on, status, category, " \
  "citizen, hamlet, content, due_on, escalated_to, response, "       \
  "resolved_on, lower(hex(meeting)), conflicted FROM petition p"

static const char *text(sqlite3_stmt *s, int i) {
  return (const char *)sqlite3_column_text(s, i);
}

static int pet_row(sqlite3_stmt *s, ui_pet_fn cb, void *arg) {
  struct ui_pet p = {text(s, 0),  text(s, 1),
                     text(s, 2),  text(s, 3),
                     text(s, 4),  text(s, 5),
                     text(s, 6),  text(s, 7),
                     text(s, 8),  text(s, 9),
                     text(s, 10), text(s, 11),
                     text(s, 12), sqlite3_column_int(s, 13)};
  return cb(arg, &p);
}

/* The list's filters, ?1 to ?10; then ?11 limit, ?12 offset. */
#define FILTERS                                                   \
  " WHERE (?1 = '' OR commune = ?1) AND coalesce(voided, 0) = 0"  \
  " AND (?2 = '' OR status = ?2)"                                 \
  " AND (?3 = '' OR category = ?3) AND (?4 = '' OR hamlet = ?4)"  \
  " AND received_on BETWEEN ?5 AND ?6"                            \
  " AND (?7 = 0 OR (due_on < ?8 AND coalesce(status, 'received')" \
  " NOT IN ('answered', 'resolved')))"
#define MATCH                                                       \
  "ui_match(coalesce(citizen, '') || ' ' || coalesce(hamlet, ''), " \
  "content, ?10)"
#define PAGE " ORDER BY p.id DESC LIMIT ?11 OFFSET ?12"

/* The ways of listing: without words; with words, the petitions from row
 * id ?13 matched row by row; one petition, ?13, with the filters (for the
 * search index's matches) and with the filters and the words (for those
 * the index has not taken in yet). */
static const char *const list_sql[] = {
    PET_COLS FILTERS PAGE,
    "SELECT p.id FROM petition p" FILTERS " AND p.id >= ?13 AND " MATCH PAGE,
    PET_COLS FILTERS " AND p.id = ?13 AND ?11 AND ?12 >= 0",
    PET_COLS FILTERS " AND p.id = ?13 AND " MATCH " AND ?11 AND ?12 >= 0"};
enum { L_PLAIN, L_SCAN, L_ONE, L_ONE_MATCH };

static sqlite3_stmt *list_prepare(struct store *st, int how,
                                  const struct ui_list_filter *f,
                                  int64_t from_id) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(store_sqlite(st), list_sql[how], -1, &s, NULL))
    return NULL;
  sqlite3_bind_text(s, 1, f->commune, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, f->status, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, f->category, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, f->hamlet, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, f->from, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 6, f->to, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 7, f->overdue);
  sqlite3_bind_text(s, 8, f->today, -1, SQLITE_STATIC);
  if (how != L_PLAIN)
    sqlite3_bind_text(s, 10, f->words, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 11, f->limit + 1);
  sqlite3_bind_int(s, 12, f->offset);
  sqlite3_bind_int64(s, 13, from_id);
  return s;
}

/* The row id from which the newest |n| petitions of |commune| ("": all)
 * are (0: there are not that many), or -1. */
static int64_t newest_from(struct store *st, int n, const char *commune) {
  sqlite3_stmt *s;
  int64_t id = -1;
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT coalesce((SELECT id FROM rec WHERE ent = ?1 "
                         "AND (?3 = '' OR commune = ?3) ORDER BY id DESC "
                         "LIMIT 1 OFFSET ?2), 0)",
                         -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_int(s, 1, ENT_PETITION);
    sqlite3_bind_int(s, 2, n - 1);
    sqlite3_bind_text(s, 3, commune, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
      id = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  return id;
}

/* Steps |s| to its end or past a full page: the rows found (up to limit +
 * 1), handing the first |limit| to |cb| when it is not NULL; -1 on error. */
static int list_run(sqlite3_stmt *s, int limit, ui_pet_fn cb, void *arg) {
  int n = 0, step;
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    if (n < limit && cb && pet_row(s, cb, arg))
      return -1;
    if (++n > limit)
      return n;
  }
  return step == SQLITE_DONE ? n : -1;
}

/* How many of the newest petitions a search matches row by row before it
 * asks the index (DANSYNCD_UI_SCAN_ROWS for tests: 0, the index always). */
static int scan_rows(void) {
  const char *env = getenv("DANSYNCD_UI_SCAN_ROWS");
  return env && *env ? (int)strtol(env, NULL, 10) : UI_SCAN_ROWS;
}

/* The ids of the rows of |s| (up to limit + 1) into |ids|: how many, or
 * -1. */
static int scan_ids(sqlite3_stmt *s, int limit, int64_t *ids) {
  int n = 0, step = SQLITE_DONE;
  while (n <= limit && (step = sqlite3_step(s)) == SQLITE_ROW)
    ids[n++] = sqlite3_column_int64(s, 0);
  return n > limit || step == SQLITE_DONE ? n : -1;
}

/* Hands the petitions of |ids| (the first |n|, at most the limit) to
 * |cb|; returns |n|, or -1. */
static int rows_by_id(struct store *st, const struct ui_list_filter *f,
                      const int64_t *ids, int n, ui_pet_fn cb, void *arg) {
  sqlite3_stmt *s = list_prepare(st, L_ONE, f, 0);
  int rc = s ? 0 : -1;
  for (int i = 0; i < n && i < f->limit && !rc && cb; i++) {
    sqlite3_bind_int64(s, 13, ids[i]);
    rc = sqlite3_step(s) == SQLITE_ROW && pet_row(s, cb, arg) ? -1 : 0;
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  return rc ? -1 : n;
}

/* The ids of a search's candidates, newest first: the index's matches
 * (not those whose text changed since: search_dirty), and the petitions
 * it has not taken in yet (above the mark, or in search_dirty), which
 * are matched by ui_match. */
enum { C_INDEX, C_TAIL, C_DIRTY, C_N };
static const char *const cand_sql[C_N] = {
    "SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY rowid DESC",
    ("SELECT id FROM rec WHERE ent = ?2 AND id > coalesce((SELECT v FROM "
     "meta WHERE k = 'search_hw'), 0) ORDER BY id DESC"),
    "SELECT id FROM search_dirty ORDER BY id DESC"};

/* The head of stream |s| into |*id| (-1 at its end); false on error. */
static bool cand_next(sqlite3_stmt *s, int64_t *id) {
  int step = sqlite3_step(s);
  *id = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  return step == SQLITE_ROW || step == SQLITE_DONE;
}

/* The search by the index: its candidates merged newest first, each
 * looked up with the filters, until the page and one more are found. */
static int list_index(struct store *st, const struct ui_list_filter *f,
                      ui_pet_fn cb, void *arg) {
  sqlite3_stmt *c[C_N] = {NULL}, *one[2] = {NULL};
  int64_t head[C_N];
  int n = 0, skip = f->offset, rc = 0;

  for (int i = 0; i < C_N && !rc; i++) {
    if (sqlite3_prepare_v2(store_sqlite(st), cand_sql[i], -1, &c[i], NULL)) {
      rc = -1;
      break;
    }
    sqlite3_bind_text(c[i], 1, f->fts, -1, SQLITE_STATIC);
    sqlite3_bind_int(c[i], 2, ENT_PETITION);
    rc = cand_next(c[i], &head[i]) ? 0 : -1;
  }
  for (int i = 0; i < 2 && !rc; i++)
    if (!(one[i] = list_prepare(st, L_ONE + i, f, 0)))
      rc = -1;
  while (!rc && n <= f->limit) {
    int64_t id = head[C_INDEX];
    bool in[C_N];
    sqlite3_stmt *s;
    int step;
    for (int i = 1; i < C_N; i++)
      id = head[i] > id ? head[i] : id;
    if (id < 0)
      break;
    for (int i = 0; i < C_N && !rc; i++)
      if ((in[i] = head[i] == id))
        rc = cand_next(c[i], &head[i]) ? 0 : -1;
    /* The index's match counts unless the text changed since; then, and
     * above the mark, the words are matched on the petition itself. */
    s = in[C_INDEX] && !in[C_DIRTY] ? one[0]
        : in[C_TAIL] || in[C_DIRTY] ? one[1]
                                    : NULL;
    if (rc || !s)
      continue;
    sqlite3_bind_int64(s, 13, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW && skip > 0)
      skip--;
    else if (step == SQLITE_ROW && n++ < f->limit && cb)
      rc = pet_row(s, cb, arg) ? -1 : 0;
    else if (step != SQLITE_ROW && step != SQLITE_DONE)
      rc = -1;
    sqlite3_reset(s);
  }
  for (int i = 0; i < C_N; i++)
    sqlite3_finalize(c[i]);
  sqlite3_finalize(one[0]);
  sqlite3_finalize(one[1]);
  return rc ? -1 : n;
}

static int list_once(struct store *st, const struct ui_list_filter *f,
                     ui_pet_fn cb, void *arg) {
  sqlite3_stmt *s = NULL;
  int n = -1, k = scan_rows();
  int64_t from = -1;

  if (*f->words) {
    /* A common word's index matches are all collected (the prefix query
     * merges every term it begins) before the newest page is taken; the
     * newest petitions matched one by one hold that page at once. */
    if (k > 0 && (from = newest_from(st, k, f->commune)) >= 0 &&
        (s = list_prepare(st, L_SCAN, f, from)) != NULL) {
      int64_t *ids = malloc(((size_t)f->limit + 1) * sizeof(*ids));
      n = ids ? scan_ids(s, f->limit, ids) : -1;
      sqlite3_finalize(s);
      /* The page (and whether one follows) lies among them, or they are
       * all the petitions there are: read its rows by id. */
      if (n > f->limit || (n >= 0 && from == 0))
        n = rows_by_id(st, f, ids, n, cb, arg);
      else
        n = -2;
      free(ids);
      if (n != -2)
        return n;
    }
    return list_index(st, f, cb, arg);
  }
  s = list_prepare(st, L_PLAIN, f, 0);
  n = s ? list_run(s, f->limit, cb, arg) : -1;
  sqlite3_finalize(s);
  return n;
}

/* One snapshot for the whole page: the index's matches, the rows above
 * its mark and the re-worded ones are read by three statements, and a
 * slice or a sync committing between them would drop a petition. */
int ui_views_list(struct store *st, const struct ui_list_filter *f,
                  ui_pet_fn cb, void *arg) {
  bool began = ui_views_read_begin(st);
  int n = list_once(st, f, cb, arg);
  if (began)
    ui_views_read_end(st);
  return n;
}

static int over_time(void *arg) {
  return uv_hrtime() > *(uint64_t *)arg;
}

bool ui_views_list_in_time(struct store *st, const struct ui_list_filter *f,
                           uint64_t ms) {
  sqlite3_stmt *s = list_prepare(st, L_PLAIN, f, 0);
  uint64_t until = uv_hrtime() + ms * 1000 * 1000;
  int n;
  if (!s)
    return false;
  sqlite3_progress_handler(store_sqlite(st), 1000, over_time, &until);
  n = list_run(s, f->limit, NULL, NULL);
  sqlite3_progress_handler(store_sqlite(st), 0, NULL, NULL);
  sqlite3_finalize(s);
  return n >= 0;
}

int ui_views_petitions(struct store *st, const uint8_t (*rids)[ID_LEN], int n,
                       ui_pet_fn cb, void *arg) {
  sqlite3_stmt *s;
  int rc = 0;
  if (sqlite3_prepare_v2(store_sqlite(st), PET_COLS " WHERE rid = ?1", -1, &s,
                         NULL))
    return -1;
  for (int i = 0; i < n && !rc; i++) {
    int step;
    sqlite3_bind_blob(s, 1, rids[i], ID_LEN, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
      rc = pet_row(s, cb, arg) ? -1 : 0;
    else if (step != SQLITE_DONE)
      rc = -1;
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  return rc;
}

/* ---- conflicts, devices, accounts ---- */

int ui_views_conflicts(struct store *st, int max,
                       void (*cb)(void *arg, const uint8_t rid[ID_LEN],
                                  int field),
                       void *arg) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT c.rid, c.field FROM conflict c JOIN rec r "
                         "ON r.rid = c.rid ORDER BY r.commune, c.rid LIMIT ?1",
                         -1, &s, NULL))
    return -1;
  sqlite3_bind_int(s, 1, max);
  while (sqlite3_step(s) == SQLITE_ROW)
    if (sqlite3_column_bytes(s, 0) == ID_LEN)
      cb(arg, sqlite3_column_blob(s, 0), sqlite3_column_int(s, 1));
  sqlite3_finalize(s);
  return 0;
}

int ui_views_devices(struct store *st,
                     void (*cb)(void *arg, const struct ui_device *d),
                     void *arg) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(
          store_sqlite(st),
          "SELECT lower(hex(n.node)), n.commune, n.label, n.enrolled_ms, "
          "coalesce(n.last_sync_ms, 0), n.revoked_ms IS NOT NULL, (SELECT "
          "count(*) FROM quarantine q WHERE q.node = n.node), n.node = "
          "(SELECT v FROM meta WHERE k = 'district_node') FROM node n ORDER "
          "BY n.commune, n.enrolled_ms",
          -1, &s, NULL))
    return -1;
  while (sqlite3_step(s) == SQLITE_ROW) {
    struct ui_device d = {text(s, 0),
                          text(s, 1),
                          text(s, 2),
                          sqlite3_column_int64(s, 3),
                          sqlite3_column_int64(s, 4),
                          sqlite3_column_int(s, 5),
                          sqlite3_column_int(s, 7),
                          sqlite3_column_int(s, 6)};
    cb(arg, &d);
  }
  sqlite3_finalize(s);
  return 0;
}

int ui_views_users(struct store *st,
                   void (*cb)(void *arg, const char *name, int role,
                              const char *node),
                   void *arg) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT name, role, lower(hex(node)) FROM ui_user "
                         "ORDER BY name",
                         -1, &s, NULL))
    return -1;
  while (sqlite3_step(s) == SQLITE_ROW)
    cb(arg, text(s, 0), sqlite3_column_int(s, 1), text(s, 2));
  sqlite3_finalize(s);
  return 0;
}
