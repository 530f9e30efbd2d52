/* SPDX-License-Identifier: MIT
 * repfig.h -- the district report's figures (DESIGN §9), computed once from
 * a store, for the report's every format and for the dashboard. Voided
 * records are left out. Knows nothing of how the figures are printed
 * (common/report.c does that). Both programs print it: the district for
 * any commune, a laptop for its own (DESIGN §9). */
#ifndef DS_COMMON_REPFIG_H
#define DS_COMMON_REPFIG_H
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct store;

#define REPFIG_DATE_LEN 11 /* "YYYY-MM-DD" and a NUL */

struct repfig_opts {
  const char *from, *to; /* YYYY-MM-DD inclusive, or NULL */
  const char *commune;   /* or NULL: the whole district */
  const char *as_of;     /* YYYY-MM-DD: "quá hạn" and staleness are judged
                            at the end of that day */
  /* A laptop's own report (dansync report): |commune| is its commune, the
   * store has no district tables. Its row is named |commune_name| and its
   * last sync is |last_sync_ms|; a status counts as the district's when
   * its writer created no record of the commune (the laptop does not know
   * the district's nodes); quarantined ops are its rejected ones. */
  bool device;
  const char *commune_name;
  int64_t last_sync_ms;
};

/* One period's counts, for one commune or the district. */
struct repfig_counts {
  /* Meetings: the programme's (monthly_listening) apart from the rest. */
  int64_t meetings, attendees, dialogues, dialogue_att, receptions,
      reception_att;
  /* Petitions received in the period, partitioned: escalated + at_district
   * + at_commune + open == received. esc_settled: escalated ones since
   * answered or resolved. overdue: past due_on at as_of, not answered or
   * resolved (escalated ones included). */
  int64_t received, escalated, esc_settled, at_district, at_commune, open,
      overdue;
  /* Household visits: gifts are visits with a gift_vnd above 0. */
  int64_t visits, gifts, gift_vnd, volunteers;
  int64_t surveys;
};

/* Settled share in hundredths of a percent (9957 = 99,57%), or -1 when
 * nothing was received. */
int64_t repfig_settled_bp(const struct repfig_counts *c);

struct repfig_commune {
  char *slug, *name; /* name as "xã Hòa An" */
  struct repfig_counts c;
  int64_t last_sync_ms; /* 0: never */
  bool stale;
};

struct repfig_escalation {
  char *id, *commune_name, *received_on, *citizen, *hamlet, *content, *agency,
      *status, *response, *resolved_on;
  bool settled;     /* answered or resolved since */
  bool by_district; /* that answer was written by a district node */
};

struct repfig_named_count {
  const char *slug; /* static: a schema enum name */
  int64_t n;
};

/* A rating's answers: 5, 4, 3, 2 or less, and their sum (for the mean). */
struct repfig_rating {
  int64_t n, k5, k4, k3, le2, sum;
};
enum {
  REPFIG_OVERALL,
  REPFIG_ATTITUDE,
  REPFIG_TIMELINESS,
  REPFIG_PROCEDURE,
  REPFIG_NRATINGS
};
extern const char *const repfig_rating_names[REPFIG_NRATINGS];

struct repfig_sat {
  const char *service; /* static schema name; NULL: every service */
  int64_t forms;
  struct repfig_rating r[REPFIG_NRATINGS];
};

struct repfig_situation {
  const char *slug; /* static */
  int64_t visits, gifts, gift_vnd, volunteers;
};

struct repfig_quarantined {
  int64_t received_ms;
  char *device, *commune, *error, *message;
};

struct repfig {
  char from[REPFIG_DATE_LEN], to[REPFIG_DATE_LEN]; /* "" when open */
  char as_of[REPFIG_DATE_LEN];
  char *commune;    /* slug, or NULL */
  char *scope_name; /* "xã Hòa An", or NULL for the district */
  struct repfig_counts cur;
  /* The same period one year earlier, when both ends are given. */
  bool has_prev;
  char prev_from[REPFIG_DATE_LEN], prev_to[REPFIG_DATE_LEN];
  struct repfig_counts prev;
  /* Visits since records began, through the period's end. */
  struct repfig_counts cumul;
  int64_t communes_met, communes_total;
  struct repfig_commune *communes;
  int ncommunes;
  struct repfig_escalation *esc;
  int nesc;
  struct repfig_named_count *categories; /* most first */
  int ncategories;
  struct repfig_sat *sat; /* by service, then the whole (service NULL) */
  int nsat;
  struct repfig_situation *situations;
  int nsituations;
  struct repfig_quarantined *quar;
  int nquar;
};

/* Computes the figures of |o| over |st|. On success stores a new object in
 * |*out| (free with repfig_free). DS_ENOENT for an unknown commune,
 * DS_EUNAVAIL when the store cannot be read, DS_ENOMEM; |errbuf| says
 * which. */
DS_NODISCARD int repfig_compute(struct store *st, const struct repfig_opts *o,
                                struct repfig **out, char *errbuf);
void repfig_free(struct repfig *f);

/* The facts of every record the figures read, from one pass over the
 * store's records (each record's state decoded once; see DECISIONS). The
 * dashboard keeps them while the store is unchanged and computes each
 * page's figures from them; repfig_compute loads them for one report. */
struct repfig_facts;
/* Loads the facts of |st|, in the caller's read transaction. |device|: a
 * laptop's store (its creators are noted: DESIGN §9's "the district").
 * DS_EUNAVAIL, DS_ENOMEM; |errbuf| says which. */
DS_NODISCARD int repfig_facts_load(struct store *st, bool device,
                                   struct repfig_facts **out, char *errbuf);
void repfig_facts_free(struct repfig_facts *x);
/* repfig_compute from facts loaded in the same read transaction. */
DS_NODISCARD int repfig_compute_facts(struct store *st,
                                      const struct repfig_facts *x,
                                      const struct repfig_opts *o,
                                      struct repfig **out, char *errbuf);
/* Adds to pet[k] the petitions received and to met[k] the programme's
 * meetings held in month k (0: the month of |from|) of |n|, from |from|
 * to |to| (YYYY-MM-DD) in |commune| ("" or NULL: every commune). */
void repfig_facts_months(const struct repfig_facts *x, const char *from,
                         const char *to, const char *commune, int64_t *pet,
                         int64_t *met, int n);
/* The dashboard's petition filters: each "" when not filtered on; from
 * and to YYYY-MM-DD, both given; overdue: past due_on at |today|, not
 * answered or resolved. */
struct repfig_filter {
  const char *commune, *status, *category, *hamlet, *from, *to, *today;
  bool overdue;
};
/* Writes to |rid| the ids of the petitions (voided ones left out) that
 * pass |fl|, newest first, after skipping |skip|; at most |want|. Returns
 * how many. */
int repfig_facts_list(const struct repfig_facts *x,
                      const struct repfig_filter *fl, int64_t skip, int want,
                      uint8_t (*rid)[16]);

/* Vietnamese labels of the enums the report prints (DESIGN §3), or the
 * name itself. */
const char *repfig_situation_label(const char *name);
const char *repfig_rating_label(int rating);
/* Compares two UTF-8 strings in Vietnamese alphabetical order (a ă â b c d
 * đ e ê ...; tones only break ties), as strcmp does. */
int repfig_vn_cmp(const char *a, const char *b);
#endif
