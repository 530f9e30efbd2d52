/* SPDX-License-Identifier: MIT
 * metrics.c -- dansyncd serve's counters and their /metrics page. */
#include "daemon/metrics.h"

#include <stdio.h>
#include <string.h>

#include "daemon/registry.h"

/* A device of |commune| synced at |ms|. */
static void note_sync(struct metrics *m, const char *commune, uint64_t ms) {
  for (int i = 0; i < m->ncommunes; i++) {
    if (strcmp(m->communes[i].slug, commune) == 0) {
      m->communes[i].last_sync_ms = ms;
      return;
    }
  }
  if (m->ncommunes < MAX_COMMUNES) {
    snprintf(m->communes[m->ncommunes].slug, SCHEMA_SLUG_MAX + 1, "%s",
             commune);
    m->communes[m->ncommunes++].last_sync_ms = ms;
  }
}

static void note_cb(void *arg, const char *commune, uint64_t ms) {
  note_sync(arg, commune, ms);
}

int metrics_init(struct metrics *m, struct store *st) {
  memset(m, 0, sizeof(*m));
  return registry_last_syncs(st, note_cb, m);
}

void metrics_count_status(struct metrics *m, int status) {
  int k = status < 300    ? 0
          : status == 401 ? 1
          : status == 409 ? 2
          : status == 413 ? 3
          : status < 500  ? 4
                          : 5;
  m->requests[k]++;
}

void metrics_count_sync(struct metrics *m, const char *commune, uint64_t ms,
                        uint32_t merged, uint32_t quarantined,
                        uint32_t conflicts) {
  m->merged += merged;
  m->quarantined += quarantined;
  m->conflicts += conflicts;
  note_sync(m, commune, ms);
}

int metrics_render(const struct metrics *m, int nlive, uint64_t body_reserved,
                   struct buf *out) {
  static const char *const cls[] = {"2xx", "401", "409", "413", "4xx", "5xx"};
  int rc;

  rc = buf_printf(out, "# HELP dansync_requests_total Sync requests answered."
                       "\n# TYPE dansync_requests_total counter\n");
  for (int i = 0; i < 6 && !rc; i++)
    rc = buf_printf(out, "dansync_requests_total{status=\"%s\"} %llu\n", cls[i],
                    (unsigned long long)m->requests[i]);
  if (!rc)
    rc = buf_printf(
        out,
        "# TYPE dansync_ops_merged_total counter\n"
        "dansync_ops_merged_total %llu\n"
        "# TYPE dansync_ops_quarantined_total counter\n"
        "dansync_ops_quarantined_total %llu\n"
        "# TYPE dansync_conflicts_total counter\n"
        "dansync_conflicts_total %llu\n"
        "# TYPE dansync_connections gauge\ndansync_connections %d\n"
        "# TYPE dansync_connections_shed_total counter\n"
        "dansync_connections_shed_total %llu\n"
        "# HELP dansync_connections_evicted_total Idle connections closed "
        "to make room for a new one.\n"
        "# TYPE dansync_connections_evicted_total counter\n"
        "dansync_connections_evicted_total %llu\n"
        "# HELP dansync_connections_cut_total Connections closed at a "
        "deadline.\n"
        "# TYPE dansync_connections_cut_total counter\n"
        "dansync_connections_cut_total{deadline=\"head\"} %llu\n"
        "dansync_connections_cut_total{deadline=\"body\"} %llu\n"
        "dansync_connections_cut_total{deadline=\"write\"} %llu\n"
        "dansync_connections_cut_total{deadline=\"idle\"} %llu\n"
        "# TYPE dansync_body_bytes_reserved gauge\n"
        "dansync_body_bytes_reserved %llu\n"
        "# HELP dansync_last_sync_timestamp_seconds Last successful sync "
        "of any device of the commune.\n"
        "# TYPE dansync_last_sync_timestamp_seconds gauge\n",
        (unsigned long long)m->merged, (unsigned long long)m->quarantined,
        (unsigned long long)m->conflicts, nlive, (unsigned long long)m->shed,
        (unsigned long long)m->evicted, (unsigned long long)m->cut[CUT_HEAD],
        (unsigned long long)m->cut[CUT_BODY],
        (unsigned long long)m->cut[CUT_WRITE],
        (unsigned long long)m->cut[CUT_IDLE],
        (unsigned long long)body_reserved);
  for (int i = 0; i < m->ncommunes && !rc; i++)
    rc = buf_printf(out,
                    "dansync_last_sync_timestamp_seconds{commune=\"%s\"} "
                    "%.3f\n",
                    m->communes[i].slug,
                    (double)m->communes[i].last_sync_ms / 1000.0);
  return rc;
}
