/* SPDX-License-Identifier: MIT
 * audit.h -- looking back: the sync log (show, export, replay) and the
 * conflicts the merge kept (list, show, and the op that resolves one). */
#ifndef DS_DAEMON_AUDIT_H
#define DS_DAEMON_AUDIT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/id.h"
#include "common/op.h"

struct store;

struct log_filter {
  const uint8_t *node_lo, *node_hi; /* id prefix range, or NULL */
  const char *commune;
  const uint8_t *rid_lo, *rid_hi;
  int64_t since_ms, until_ms; /* -1 when not given */
};

/* "2024-05-01", "2024-05-01T10:30[:00][Z]" (UTC) or Unix milliseconds. */
DS_NODISCARD int audit_parse_time(const char *s, int64_t *ms);

DS_NODISCARD int audit_log_show(struct store *st, const struct log_filter *f,
                                bool json, FILE *out);
/* Writes the log, the devices and communes to a new SQLite file |path|
 * (without the district's secret key). */
DS_NODISCARD int audit_log_export(struct store *st, const char *path,
                                  int64_t *entries, char *errbuf);
/* Rebuilds a new store |into| by ingesting the bodies of log |from| (a
 * district store or an export) in log order, through the same path as
 * serve, up to |until_ms| (-1: all). Prints progress to |progress| and the
 * resulting digest into |digest| (NULL: not computed). */
DS_NODISCARD int audit_log_replay(const char *from, const char *into,
                                  int64_t until_ms, FILE *progress,
                                  char digest[65], int64_t *ops, char *errbuf);

/* A conflict is named RID:FIELD (the rid may be a unique prefix). */
DS_NODISCARD int audit_conflict_parse(struct store *st, const char *id,
                                      uint8_t rid[ID_LEN], int *field,
                                      char *errbuf);
DS_NODISCARD int audit_conflicts_list(struct store *st, const char *commune,
                                      bool json, FILE *out);
DS_NODISCARD int audit_conflict_show(struct store *st,
                                     const uint8_t rid[ID_LEN], int field,
                                     bool json, FILE *out);
/* Which write to keep: "winner", "other" (when exactly one other is listed)
 * or a version "HLC-HEX:NODE-HEX". */
DS_NODISCARD int audit_conflict_pick(struct store *st,
                                     const uint8_t rid[ID_LEN], int field,
                                     const char *keep, struct version *out,
                                     char *errbuf);
#endif
