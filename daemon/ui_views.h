/* SPDX-License-Identifier: MIT
 * ui_views.h -- every read the dashboard's pages make of the store, on the
 * page connection (read-only) through the entity views: the petition list
 * with its filters and search, one petition, the conflicts, devices and
 * accounts. The page files hold no SQL (issue #14's rule); the rows they
 * get live until the callback returns. */
#ifndef DS_DAEMON_UI_VIEWS_H
#define DS_DAEMON_UI_VIEWS_H
#include <stdbool.h>
#include <stdint.h>

#include "common/id.h"

struct store;

/* A petition as the pages show it; NULL for a field not set. */
struct ui_pet {
  const char *id; /* 32 hex digits */
  const char *commune, *received_on, *status, *category, *citizen, *hamlet,
      *content, *due_on, *escalated_to, *response, *resolved_on, *meeting;
  int conflicted;
};
typedef int (*ui_pet_fn)(void *arg, const struct ui_pet *p);

/* The petition list's filters; "" for one not given. |words| are the
 * folded search words ("" none), |fts| their index query (ui_fts_prefix). */
struct ui_list_filter {
  const char *commune, *status, *category, *hamlet, *from, *to, *today;
  const char *words, *fts;
  bool overdue;
  int offset, limit;
};

/* The page connection: read-only, with ui_match registered, |*out| NULL on
 * failure. */
bool ui_views_open_ro(struct store **out, const char *path);
/* PRAGMA data_version of |st|'s connection, or -1. */
int64_t ui_views_data_version(struct store *st);
/* One read transaction, so what a page reads agrees. */
bool ui_views_read_begin(struct store *st);
void ui_views_read_end(struct store *st);

/* The petitions of |f| newest first, from |f->offset|: |cb| is called for
 * up to |f->limit| of them. Returns how many there were up to limit + 1
 * (more than |f->limit|: there is a next page), or -1 when the store
 * cannot be read. With words, the newest UI_SCAN_ROWS petitions are
 * matched row by row first (ui_match), and the search index is asked only
 * when they do not hold the page (docs/DECISIONS.md). */
int ui_views_list(struct store *st, const struct ui_list_filter *f,
                  ui_pet_fn cb, void *arg);
/* True when the list of |f| (no words) finds its page within |ms|. */
bool ui_views_list_in_time(struct store *st, const struct ui_list_filter *f,
                           uint64_t ms);
/* Calls |cb| for each petition of |rids| (|n| ids) that exists, in order.
 * Returns 0, or -1 when the store cannot be read. */
int ui_views_petitions(struct store *st, const uint8_t (*rids)[ID_LEN], int n,
                       ui_pet_fn cb, void *arg);

/* Calls |cb| for each conflicted field (at most |max|), by commune. */
int ui_views_conflicts(struct store *st, int max,
                       void (*cb)(void *arg, const uint8_t rid[ID_LEN],
                                  int field),
                       void *arg);

struct ui_device {
  const char *node, *commune, *label; /* node: 32 hex digits */
  int64_t enrolled_ms, last_sync_ms;
  bool revoked, district; /* district: the district's own node */
  int rejected;           /* ops quarantined from it */
};
int ui_views_devices(struct store *st,
                     void (*cb)(void *arg, const struct ui_device *d),
                     void *arg);
/* Each account: name, role, node (hex), by name. */
int ui_views_users(struct store *st,
                   void (*cb)(void *arg, const char *name, int role,
                              const char *node),
                   void *arg);
#endif
