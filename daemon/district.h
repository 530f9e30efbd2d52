/* SPDX-License-Identifier: MIT
 * district.h -- the district's store: its communes, its own node (whose key
 * signs admin changes), enrolment tokens and devices, and admin changes
 * submitted through the same ingestion path as any device's sync. */
#ifndef DS_DAEMON_DISTRICT_H
#define DS_DAEMON_DISTRICT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/op.h"

struct store;

/* Opens the district store at |path|: DS_ENOENT (saying how to create
 * one) when there is none, DS_EINVAL when the file is not one. */
DS_NODISCARD int district_open(struct store **out, const char *path,
                               char *errbuf);
/* Creates a district store at |path| (DS_EEXIST if anything is there) with
 * the communes of |communes_file| (slug, name, kind TSV with a header line)
 * or the built-in 15 of Phụng Hiệp, and a fresh district node and key. */
DS_NODISCARD int district_create(struct store **out, const char *path,
                                 const char *communes_file, char *errbuf);
/* Makes a one-time enrolment token for |commune| (or "district"), valid for
 * 7 days, and writes it (64 hex digits) into |token|. */
DS_NODISCARD int district_enroll(struct store *st, const char *commune,
                                 const char *label, char token[65],
                                 char *errbuf);
/* The admin commands' lists (node list, enroll list): rows appended to
 * |b| as a table or a JSON array, written out whole or not at all. */
struct district_list {
  struct buf b;
  bool json;
  int n; /* rows so far */
};
/* Starts |l|: "[", or the table's header line: the |n| column names
 * |cols| (daemon/dmsg.def ids) each padded to |widths| characters (the
 * last one not padded). DS_ENOMEM. */
DS_NODISCARD int district_list_begin(struct district_list *l, bool json,
                                     const int *cols, const int *widths, int n);
/* Ends |l| after |rc|, the rows' result: when it is 0, closes the array
 * and writes the list to |out|. Frees |l|; returns |rc| or DS_ENOMEM. */
int district_list_end(struct district_list *l, int rc, FILE *out);
/* A JSON row's start: {"|key|": "|id|", "commune": ..., "label": ...
 * (the label escaped); the caller adds the rest and the closing brace. */
DS_NODISCARD int district_list_json_row(struct district_list *l,
                                        const char *key, const char *id,
                                        const char *commune, const char *label);
/* |ms| as "2024-05-01T10:30:00Z" (UTC), or "never" (in the chosen
 * language) for 0. */
void district_fmt_time(int64_t ms, char *out, size_t cap);

DS_NODISCARD int district_node_list(struct store *st, bool json, FILE *out);
DS_NODISCARD int district_node_revoke(struct store *st, const char *node_hex,
                                      char *errbuf);
DS_NODISCARD int district_quarantine_list(struct store *st, bool json,
                                          FILE *out);

/* Submits one change as the district node: |build| fills the op (its seq,
 * hlc and node already set) against the current state, and the op goes as a
 * signed request through ingest_sync, so it enters the merge and the sync
 * log like any device's change. DS_EBUSY when another admin command took the
 * same seq at the same moment (nothing stored; run it again). */
typedef int (*district_build_cb)(struct store *st, struct op *op, void *arg,
                                 char *errbuf);
DS_NODISCARD int district_submit(struct store *st, district_build_cb build,
                                 void *arg, char *errbuf);
/* As district_submit, signed by another district node |node| (a dashboard
 * user's, daemon/users.h) with its Ed25519 secret key |sk|. */
DS_NODISCARD int district_submit_as(struct store *st,
                                    const uint8_t node[ID_LEN],
                                    const uint8_t sk[64],
                                    district_build_cb build, void *arg,
                                    char *errbuf);

/* A conflict resolution as a district_build_cb: |keep| of |field| of
 * record |rid| wins (common/edit.c edit_resolve; |val| is its scratch). */
struct district_resolve {
  uint8_t rid[ID_LEN];
  int field;
  struct version keep;
  struct buf val;
};
DS_NODISCARD int district_build_resolve(struct store *st, struct op *op,
                                        void *arg, char *errbuf);
#endif
