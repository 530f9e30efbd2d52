/* SPDX-License-Identifier: MIT
 * local.h -- the device's own state: where its store lives, its identity
 * (commune, node id, keys, server), and writing one change: the record and
 * its op in the outbox in one transaction. */
#ifndef DS_CLIENT_LOCAL_H
#define DS_CLIENT_LOCAL_H
#include <stdbool.h>
#include <stdint.h>

#include "common/edit.h"
#include "common/exitcode.h"
#include "common/store.h"

struct device {
  struct store *st;
  char commune[SCHEMA_SLUG_MAX + 1];
  uint8_t node[ID_LEN];
  bool district;
};

/* The store path: |flag| (--db), else DANSYNC_DB, else
 * $XDG_DATA_HOME/dansync/dansync.db (~/.local/share when unset), creating
 * that directory when |create|. Writes into |out| (|cap| bytes). */
DS_NODISCARD int local_db_path(char *out, size_t cap, const char *flag,
                               bool create);
/* Opens an initialised device store. */
DS_NODISCARD int local_open(struct device *dev, const char *path, char *errbuf);
void local_close(struct device *dev);

enum local_kind { LOCAL_CREATE, LOCAL_UPDATE, LOCAL_REOPEN };

/* Records one change made on this device: builds the op from |flags|, merges
 * it and queues it, all in one transaction. For LOCAL_CREATE a new UUIDv7 is
 * made and written to |rid|. |commune| is the record's commune for a district
 * device's creation (else the device's own). */
DS_NODISCARD int local_change(struct device *dev, enum local_kind kind, int ent,
                              uint8_t rid[ID_LEN], const char *commune,
                              const struct edit_flag *flags, int nflags,
                              char *errbuf);
#endif
