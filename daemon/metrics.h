/* SPDX-License-Identifier: MIT
 * metrics.h -- dansyncd serve's counters and GET /metrics (Prometheus's
 * text format): sync answers by status, ops merged, connections shed,
 * evicted and cut, each commune's last sync. Plain counters touched on
 * the loop thread only; no libuv, no SQLite. */
#ifndef DS_DAEMON_METRICS_H
#define DS_DAEMON_METRICS_H
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/schema.h"

#define MAX_COMMUNES 128

/* The deadlines a connection is cut at (metrics.cut[]). */
enum { CUT_HEAD, CUT_BODY, CUT_WRITE, CUT_IDLE, CUT_COUNT };

struct commune_stat {
  char slug[SCHEMA_SLUG_MAX + 1];
  uint64_t last_sync_ms;
};

struct metrics {
  uint64_t requests[6]; /* by status class: 2xx 4xx(401,409,413,other) 5xx */
  uint64_t merged, quarantined, conflicts, shed, evicted;
  uint64_t cut[CUT_COUNT];
  int ncommunes;
  struct commune_stat communes[MAX_COMMUNES];
};

struct store;

/* Zeroes |m| and reads each commune's last sync from |st|. On a store
 * that cannot be read (a translated code) the times stay 0 and the next
 * syncs fill them in. */
DS_NODISCARD int metrics_init(struct metrics *m, struct store *st);
/* Counts one sync answer of HTTP status |status|. */
void metrics_count_status(struct metrics *m, int status);
/* A sync of a device of |commune| at |ms| was accepted: its ops merged,
 * quarantined and the conflicts they made are counted. */
void metrics_count_sync(struct metrics *m, const char *commune, uint64_t ms,
                        uint32_t merged, uint32_t quarantined,
                        uint32_t conflicts);
/* Appends the page of GET /metrics to |out|, with the gauges the caller
 * holds: |nlive| connections open, |body_reserved| bytes of bodies
 * reserved. DS_ENOMEM. */
DS_NODISCARD int metrics_render(const struct metrics *m, int nlive,
                                uint64_t body_reserved, struct buf *out);
#endif
