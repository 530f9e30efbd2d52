/* SPDX-License-Identifier: MIT
 * report.h -- the district report (DESIGN §9) over the merged store, voided
 * records left out: meetings, petitions and what became of them, escalations,
 * categories, satisfaction, visits and, per commune, its last sync. */
#ifndef DS_DAEMON_REPORT_H
#define DS_DAEMON_REPORT_H
#include <stdio.h>

#include "common/err.h"

struct store;

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_CSV };

struct report_opts {
  const char *from, *to; /* YYYY-MM-DD inclusive, or NULL */
  const char *commune;   /* or NULL: the whole district */
  const char *today;     /* for "past due": YYYY-MM-DD */
  enum report_format format;
};

/* Writes the report. DS_ENOENT for an unknown commune (|errbuf| says so). */
DS_NODISCARD int report_write(struct store *st, const struct report_opts *o,
                              FILE *out, char *errbuf);
#endif
