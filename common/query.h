/* SPDX-License-Identifier: MIT
 * query.h -- reading records for people: petition lists with filters and
 * diacritic-insensitive search, and one record in full with its conflicts,
 * as text (Vietnamese labels) or stable JSON. Shared by both programs. */
#ifndef DS_COMMON_QUERY_H
#define DS_COMMON_QUERY_H
#include <stdbool.h>
#include <stdio.h>

#include "common/args.h"
#include "common/store.h"

struct query_filter {
  const char *status;    /* a status name, or NULL */
  const char *category;  /* a category name, or NULL */
  const char *commune;   /* or NULL */
  const char *search;    /* words matched in citizen and content, or NULL */
  bool overdue;          /* due_on before |today| and not answered/resolved */
  const char *today;     /* YYYY-MM-DD */
  bool open;             /* not yet answered or resolved */
  const char *from, *to; /* received_on within, YYYY-MM-DD, or NULL */
  const char *hamlet;    /* hamlet equal ignoring case, or NULL */
  const char *meeting;   /* the meeting's id as 32 hex digits, or NULL */
  /* Text output: the five column headings (id, date, status, category,
   * content), or NULL for none. */
  const char *const *heads;
};

/* Fills |flt| from a petition list's flags (--status, --category, --commune,
 * --search, --overdue), with |today| (11 bytes) as today's date. */
void query_filter_from_args(struct query_filter *flt, const struct args *a,
                            char today[11]);

/* Today's date as YYYY-MM-DD in local time (DANSYNC_FAKE_NOW_MS honoured). */
void query_today(char out[11]);
/* A date typed as YYYY-MM-DD, DD/MM/YYYY or D/M/YYYY, written into |out|
 * as YYYY-MM-DD. False when it is not a calendar date. */
bool query_date_parse(const char *s, char out[11]);

/* Finds the record of entity |ent| (-1: any) that |text| names: its full
 * id, a unique prefix, or a unique end of 6 or more hex digits (a short id
 * is the last 8, DESIGN §8). Returns 0 with |rid| set; DS_EINVAL (not 6 to
 * 32 hex digits), DS_ENOENT, DS_EAMBIGUOUS (|list|, |cap| bytes, names up
 * to six candidates), DS_EIO. */
DS_NODISCARD int query_resolve(struct store *st, int ent, const char *text,
                               uint8_t rid[ID_LEN], char *list, size_t cap);
/* As query_resolve, with |errbuf| saying why in one sentence
 * (common/cmsg.def, in the chosen language). */
DS_NODISCARD int query_resolve_err(struct store *st, int ent, const char *text,
                                   uint8_t rid[ID_LEN], char *errbuf);

/* Writes the matching petitions to |out|. DS_EBADOP for a bad filter value
 * (|errbuf| says which). */
DS_NODISCARD int query_petitions(struct store *st,
                                 const struct query_filter *flt, bool json,
                                 FILE *out, char *errbuf);
/* Writes the surveys not voided, of |commune| or (NULL) all, by date: in
 * JSON, or as a table under |heads| (id, date, commune, service, overall:
 * the caller's words). DS_EUNAVAIL when the store cannot be read. */
DS_NODISCARD int query_surveys(struct store *st, const char *commune, bool json,
                               const char *const heads[5], FILE *out);
/* Writes record |rid| in full: every field, and each conflicted field's
 * competing writes with their versions and devices. In JSON, |extra| (may
 * be NULL) is one more member, such as "history": [...], added last. */
DS_NODISCARD int query_record(struct store *st, const uint8_t rid[ID_LEN],
                              bool json, const char *extra, FILE *out);
#endif
