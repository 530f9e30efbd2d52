/* SPDX-License-Identifier: MIT
 * device.h -- a device store's own tables: the outbox (every local op, kept
 * after it is acked, DESIGN §6) and the inbox (every op pulled from the
 * district, for a record's history). The sync code reads and writes them
 * only through here; it knows the ops' bytes, this module knows the rows.
 * Every call returns DS_EINVAL on a district store, which has neither. */
#ifndef DS_COMMON_DEVICE_H
#define DS_COMMON_DEVICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/id.h"

struct store;
struct device_iter;

/* One stored op, borrowed until the next device_iter_next or close. */
struct device_row {
  uint64_t seq; /* outbox: the local seq; inbox: the author's */
  uint64_t hlc;
  const uint8_t *rid; /* ID_LEN bytes, or NULL where not selected */
  const void *op;     /* the op's encoded bytes */
  size_t len;
  bool pulled; /* from the inbox */
};

enum device_scan {
  /* Outbox ops with seq > |after|, in seq order, at most |limit| (0: all). */
  DEVICE_OUTBOX_AFTER,
  /* The distinct rids of outbox ops with seq > |after|. */
  DEVICE_RIDS_AFTER,
  /* Every held op (outbox, then inbox) of the records that outbox ops with
   * seq > |after| touch: what rebuilds them. */
  DEVICE_OPS_OF_RIDS_AFTER,
  /* Every held op of record |rid|, outbox and inbox, in hlc order. */
  DEVICE_HISTORY
};

/* Starts a scan. |rid| is used by DEVICE_HISTORY only. On success stores
 * the scan in |*out|. Returns 0, DS_EINVAL, DS_EUNAVAIL, DS_ENOMEM. */
DS_NODISCARD int device_iter_open(struct store *st, enum device_scan scan,
                                  uint64_t after, int64_t limit,
                                  const uint8_t *rid, struct device_iter **out);
/* The next row into |*row|: 1, 0 at the end, or DS_EBUSY/DS_EUNAVAIL. */
DS_NODISCARD int device_iter_next(struct device_iter *it,
                                  struct device_row *row);
/* Ends the scan. NULL is a no-op. */
void device_iter_close(struct device_iter *it);

/* The highest hlc among outbox ops with seq <= |upto| (0 if none). */
DS_NODISCARD int device_outbox_max_hlc(struct store *st, uint64_t upto,
                                       uint64_t *out);
/* Rewrites outbox op |seq| with a new clock and bytes (a restamp). Inside a
 * transaction. */
DS_NODISCARD int device_outbox_restamp(struct store *st, uint64_t seq,
                                       uint64_t hlc, const void *op,
                                       size_t len);
/* The outbox's shape for `status`: every op, those after |acked| not
 * rejected (still to send), and the rejected ones. */
struct device_counts {
  int64_t total, queued, rejected;
};
DS_NODISCARD int device_outbox_counts(struct store *st, uint64_t acked,
                                      struct device_counts *out);
/* The inbox's last row number (0 when empty): where the ops a sync is
 * about to pull will start. */
DS_NODISCARD int device_inbox_last(struct store *st, int64_t *out);

/* The records behind outbox or inbox rows, for `status`: one per record,
 * in the order of its first row, with a title from its entity's view. */
enum device_rec_scan {
  DEVICE_REC_UNSYNCED, /* outbox ops after |after|, not rejected */
  DEVICE_REC_REJECTED, /* rejected outbox ops (|after| unused) */
  DEVICE_REC_PULLED    /* inbox rows after row |after| */
};
/* One record, borrowed until the next device_rec_next or close. */
struct device_rec {
  const uint8_t *rid; /* ID_LEN bytes */
  int ent;
  const char *title;   /* "" when the record has none */
  const char *error;   /* DEVICE_REC_REJECTED: the district's code, else "" */
  const char *message; /* and its sentence, else "" */
};
struct device_rec_iter;
/* Starts a scan. Returns 0, DS_EINVAL, DS_EUNAVAIL, DS_ENOMEM. */
DS_NODISCARD int device_rec_open(struct store *st, enum device_rec_scan scan,
                                 int64_t after, struct device_rec_iter **out);
/* The next record into |*r|: 1, 0 at the end, or DS_EBUSY/DS_EUNAVAIL. */
DS_NODISCARD int device_rec_next(struct device_rec_iter *it,
                                 struct device_rec *r);
/* Ends the scan. NULL is a no-op. */
void device_rec_close(struct device_rec_iter *it);

/* Keeps a pulled op (once per node and seq). Inside a transaction. */
DS_NODISCARD int device_inbox_add(struct store *st, const uint8_t rid[ID_LEN],
                                  uint64_t hlc, const uint8_t node[ID_LEN],
                                  uint64_t seq, const void *op, size_t len);
#endif
