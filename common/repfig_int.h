/* SPDX-License-Identifier: MIT
 * repfig_int.h -- what the figures (repfig.c) and the one pass over the
 * records (repfig_facts.c) share: each record's facts that a figure, the
 * dashboard's chart or its petition filters read, decoded once from the
 * record's state blob. Dates are YYYYMMDD integers (0: none): a date field
 * always holds a real "YYYY-MM-DD" (schema_check), so they order as the
 * strings did. An enum is its index in the schema's list (-1: none). */
#ifndef DS_COMMON_REPFIG_INT_H
#define DS_COMMON_REPFIG_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/id.h"
#include "common/repfig.h"

/* Strings seen many times (communes, hamlets), each kept once. */
struct rf_names {
  char **s;
  int n, cap;
  int32_t *slot; /* open addressing: index + 1, 0 empty */
  uint32_t nslot;
};
/* The index of |s| (|n| bytes) in |t|, or -1. */
int rf_names_find(const struct rf_names *t, const char *s, size_t n);

struct rf_meeting {
  int32_t day, attendees;
  int32_t commune;
  int8_t kind; /* -1: none, counted as the programme's */
};

struct rf_petition {
  uint8_t rid[ID_LEN];
  int32_t day, due;
  int32_t commune, hamlet; /* names; hamlet -1: none */
  int32_t node;            /* who wrote the status winner; -1: nobody */
  int8_t category, status;
  bool esc; /* status escalated or an agency named */
};

struct rf_visit {
  int64_t gift, volunteers;
  int32_t day, commune;
  int8_t situation;
};

struct rf_survey {
  int32_t day, commune;
  int8_t service;
  int8_t r[REPFIG_NRATINGS]; /* 1..5; 0: not answered */
};

/* Every record but the voided ones (and petitions without a received
 * date: no figure or list counts them), in the store's scan order. */
struct repfig_facts {
  struct rf_names communes, hamlets;
  uint8_t (*node)[ID_LEN]; /* status writers; on a laptop, creators too */
  bool *creator;           /* the node created one of the records */
  int nnodes, capnodes;
  int32_t *nslot; /* nodes' open addressing */
  uint32_t nnslot;
  struct rf_meeting *m;
  struct rf_petition *p;
  struct rf_visit *v;
  struct rf_survey *s;
  int nm, np, nv, ns, capm, capp, capv, caps;
};

/* "YYYY-MM-DD" (|n| bytes) as YYYYMMDD, or 0. */
int32_t repfig__day(const char *s, size_t n);

/* One computation of the figures (repfig.c), shared with repfig_tables.c. */
struct rf_ctx {
  struct store *st;
  const struct repfig_opts *o;
  const struct repfig_facts *x;
  struct repfig *f;
  struct buf sql;
  int64_t as_of_end_ms;
  int32_t from, to, pfrom, pto, as_of; /* YYYYMMDD; 0: open or none */
  int32_t commune; /* the facts' index of o->commune; -2: every commune */
  int *row;        /* the facts' commune index -> f->communes, or -1 */
  bool *district;  /* per node of the facts: a district node */
};

/* repfig_tables.c. */
int repfig__grow(void *arr, int n, size_t size); /* |*arr| to hold n + 1 */
struct repfig_commune *repfig__commune_of(struct repfig *f, const char *slug);
int repfig__communes(struct rf_ctx *c);
int repfig__device_commune(struct rf_ctx *c);
int repfig__district_nodes(struct rf_ctx *c);
int repfig__quarantined(struct rf_ctx *c);
/* The end of day |date| (YYYY-MM-DD) in local time, in Unix ms. */
int64_t repfig__day_end_ms(const char *date);
void repfig__staleness(struct repfig *f);
#endif
