/* SPDX-License-Identifier: MIT
 * ui_int.h -- what the dashboard's files share: ui.c (listener, sessions,
 * connections) hands a request with its session to ui_pages.c (routing,
 * pages and API, off the loop), which fills an answer. ui_html.c holds
 * the HTML/JSON writing helpers and the assets compiled into the binary. */
#ifndef DS_DAEMON_UI_INT_H
#define DS_DAEMON_UI_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <sqlite3.h>
#include <uv.h>

#include "common/buf.h"
#include "daemon/guard.h"
#include "daemon/http.h"
#include "daemon/users.h"

struct op;
struct repfig_facts;
struct store;

/* A session is forgotten after this long without a request. */
#define UI_IDLE_MS (12ull * 3600 * 1000)
#define UI_TOKEN_HEX 64 /* 32 random bytes */
/* Form bodies the dashboard takes; the sync endpoint's 8 MiB is not. */
#define UI_MAX_BODY (64u * 1024)

#define UI_MAX_SESSIONS 256
#define UI_THROTTLE_SLOTS 256

struct session {
  char token[UI_TOKEN_HEX + 1]; /* "" when the slot is free */
  char csrf[UI_TOKEN_HEX + 1];
  char user[USERS_NAME_MAX + 1];
  uint64_t last_ms;
};

struct throttle {
  struct peer peer;
  int fails;
  uint64_t until_ms, last_ms;
};

struct ui_sessions {
  struct session sess[UI_MAX_SESSIONS];
  struct throttle thr[UI_THROTTLE_SLOTS];
  uint64_t idle_ms; /* UI_IDLE_MS; DANSYNCD_UI_IDLE_MS for tests */
};

/* ui_session.c. The session whose cookie is |token| (renewed), or NULL
 * when there is none or it sat idle too long. */
struct session *session_find(struct ui_sessions *ss, const char *token);
/* A new session (fresh cookie and CSRF tokens) for |user|; the least
 * recently used one makes room when all are taken. */
struct session *session_new(struct ui_sessions *ss, const char *user);
/* Seconds before |p| may try a password again; 0: now. */
unsigned throttle_wait(struct ui_sessions *ss, const struct peer *p);
void throttle_fail(struct ui_sessions *ss, const struct peer *p);
void throttle_ok(struct ui_sessions *ss, const struct peer *p);

struct ui_req {
  int method; /* HTTP_GET, HTTP_POST */
  char url[HTTP_MAX_URL + 1];
  struct buf body;
  bool authed;
  char user[USERS_NAME_MAX + 1];
  char csrf[UI_TOKEN_HEX + 1];
  bool csrf_ok; /* a POST whose form carried the session's token */
  bool tls;
};

struct ui_resp {
  int status;
  const char *type;  /* Content-Type */
  char headers[640]; /* extra header lines, each ending in \r\n */
  bool inline_style; /* the printable report carries its own <style> */
  struct buf body;
};

/* The dashboard's store connections, used from the pool's threads. */
struct ui_db {
  char path[4096];
  struct store *ro; /* pages: PRAGMA query_only; under lock */
  uv_mutex_t lock;
  struct store *rw; /* edits, opened on the first; under rwlock */
  uv_mutex_t rwlock;
  /* The figures' facts of the store as |facts_st| (ro) saw it at PRAGMA
   * data_version |facts_version|; under lock (ui_facts). */
  struct repfig_facts *facts;
  const struct store *facts_st;
  int64_t facts_version;
};

/* ui_views.c: how many of the newest petitions a search matches row by
 * row before it asks the search index (docs/DECISIONS.md). */
#define UI_SCAN_ROWS 1000

/* ui_index.c: the search index refreshed on the edit connection once the
 * daemon's writer has been idle this long, this many records per
 * transaction (a sync waits for one slice at most). */
#define UI_INDEX_IDLE_MS 1000
#define UI_INDEX_SLICE 2000
struct ui_index {
  uv_loop_t *loop;
  struct ui_db *db;
  uv_timer_t timer;
  uv_work_t work;
  bool running, again, stopped;
  bool writer_busy; /* between ui_index_busy and ui_index_kick */
  bool more;        /* the last slice left records to index */
  int rc;
  int slice;        /* UI_INDEX_SLICE (tests: fewer) */
  uint64_t idle_ms; /* UI_INDEX_IDLE_MS (tests: 0) */
  int64_t version;  /* the edit connection's data_version when complete */
  uint64_t slices;  /* how many slices ran */
};
void ui_index_init(struct ui_index *x, uv_loop_t *loop, struct ui_db *db);
/* The writer has nothing left: index after |idle_ms| unless it is kicked
 * again before. */
void ui_index_kick(struct ui_index *x);
/* The writer took work: no slice starts until the next kick. */
void ui_index_busy(struct ui_index *x);
void ui_index_stop(struct ui_index *x); /* closes its timer */

/* ui_pages.c: answers |rq| (its session already checked by ui.c; the
 * account is read again here, so a removed or demoted user loses access
 * at once). Runs on a pool thread. */
void ui_pages_handle(struct ui_db *db, const struct ui_req *rq,
                     struct ui_resp *rs);
/* The login page, with |msg| (may be NULL) shown above the form. */
void ui_pages_login(struct ui_resp *rs, int status, const char *msg);

/* One request being answered (pool thread). */
struct page {
  struct ui_db *db;
  const struct ui_req *rq;
  struct ui_resp *rs;
  struct store *st; /* db->ro */
  struct users_who who;
  char path[HTTP_MAX_URL + 1]; /* the URL without its query */
  const char *q;               /* the query string; for a POST, the form */
  bool api, post, oom;
  char today[11];
  int rows; /* rows a page's callbacks wrote */
};

/* ui_pages.c: writing an answer. */
void ui_out(struct page *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ui_text(struct page *p, const char *s);   /* HTML-escaped */
void ui_json(struct page *p, const char *s);   /* a JSON string, or null */
void ui_date(struct page *p, const char *ymd); /* as DD/MM/YYYY */
/* |ms| as local DD/MM/YYYY HH:MM, or "chưa bao giờ" for 0. */
void ui_time(char out[24], int64_t ms);
void ui_page_begin(struct page *p, const char *title, const char *active);
void ui_page_end(struct page *p);
/* An error page (or JSON error under /api/) with |status|. */
void ui_fail(struct page *p, int status, const char *msg);
void ui_redirect(struct page *p, const char *location);
/* False, after answering 403, when the user's role is below |role|. */
bool ui_role(struct page *p, int role);
/* Runs |fn| writing to a FILE and appends what it wrote to the answer
 * (JSON writers shared with the command line). */
int ui_capture(struct page *p, int (*fn)(void *arg, FILE *f), void *arg);
/* Submits one change signed by the user's node, on the edit connection
 * (district_submit_as). */
int ui_submit(struct page *p,
              int (*build)(struct store *st, struct op *op, void *arg,
                           char *errbuf),
              void *arg, char *errbuf);
/* Runs |fn| on the edit connection (opened on first use). */
int ui_with_rw(struct page *p,
               int (*fn)(struct store *st, void *arg, char *errbuf), void *arg,
               char *errbuf);

/* ui_figures.c: the facts of the store as the read transaction begun by
 * ui_read_begin sees it (common/repfig.h), kept in p->db while the store
 * is unchanged; NULL when it cannot be read. */
const struct repfig_facts *ui_facts(struct page *p);
/* True when ui_facts would not load them again. */
bool ui_facts_fresh(struct page *p);
bool ui_read_begin(struct page *p);
void ui_read_end(struct page *p);
/* ui_figures.c: the overview (|slug| NULL: the district) and the report
 * (|kind| NULL: the page; "html", "csv", "docx": the document). */
void ui_overview(struct page *p, const char *slug);
void ui_report(struct page *p, const char *kind);

/* ui_petition.c, ui_conflict.c */
void ui_petitions(struct page *p);
void ui_petition(struct page *p, const char *id);
void ui_petition_edit(struct page *p, const char *id);
void ui_conflicts(struct page *p);
void ui_conflict_resolve(struct page *p);

/* ui_search.c. Registers ui_match(citizen, content, words) on |db|. */
int ui_fold_register(sqlite3 *db);
/* Folds |s| into |out| (NUL-terminated, cut at |cap|): lower case, the
 * Vietnamese marks taken off, as the search index folds. */
void ui_fold(const unsigned char *s, char *out, size_t cap);
/* The FTS5 query of folded |words|: each a quoted prefix ("dien"*). */
void ui_fts_prefix(const char *words, char *out, size_t cap);

/* ui_html.c */
DS_NODISCARD int ui_esc(struct buf *b, const char *s); /* HTML text/attr */
DS_NODISCARD int ui_esc_n(struct buf *b, const char *s, size_t n);
/* Decodes form field |name| of |q| (application/x-www-form-urlencoded or a
 * URL's query string) into |out|; false when absent or too long. */
bool ui_form_get(const char *q, const char *name, char *out, size_t cap);
/* The query string of |url| ("" when none). */
const char *ui_query(const char *url);
/* An asset by path ("/assets/app.css"): its bytes and type, or NULL. */
const char *ui_asset(const char *path, size_t *len, const char **type);
#endif
