/* SPDX-License-Identifier: MIT
 * durable.h -- when dansyncd serve's commits are on disk (DESIGN §6): the
 * writer commits with synchronous = NORMAL and the WAL file is synced on a
 * pool thread while the writer goes on to its next group; a failed sync
 * (or no WAL file to sync) puts the writer back on synchronous = FULL.
 * And the checkpointer: past CKPT_BYTES of WAL a connection of its own
 * copies the WAL back into the database on the pool, so merges do not
 * stall behind it. Loop thread only, except durable_writer_begin (the
 * writer's thread). */
#ifndef DS_DAEMON_DURABLE_H
#define DS_DAEMON_DURABLE_H
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "common/err.h"

struct durable; /* opaque */
struct store;

/* The sync of one group's commit: caller storage, alive until |cb| ran. */
struct durable_sync;
typedef void (*durable_sync_cb)(struct durable_sync *s);
struct durable_sync {
  uv_work_t work;
  struct durable *du;
  durable_sync_cb cb;
  int rc;      /* read-only in |cb|: 0, or the errno of the failed sync */
  uint64_t ns; /* read-only in |cb|: how long the sync took */
};

/* Sets up |st|'s writer connection for group syncs on |loop|: its WAL file
 * opened for fdatasync, synchronous = NORMAL, the checkpointer's
 * connection. A store with no file (in memory) or a WAL that does not
 * open gets FULL commits and checkpoints by the writer. DS_ENOMEM. */
DS_NODISCARD int durable_open(struct durable **out, uv_loop_t *loop,
                              struct store *st);
/* Undoes durable_open once the loop has stopped. NULL is a no-op. */
void durable_close(struct durable *du);
/* Whether the next group must commit with synchronous = FULL (no WAL
 * file to sync, or a sync failed): it is then durable at its commit. */
bool durable_full(const struct durable *du);
/* On the writer's thread, before a group of |full| commits: switches the
 * writer to synchronous = FULL, once and for good. */
void durable_writer_begin(struct durable *du, bool full);
/* Syncs the WAL on the pool; |cb| runs on the loop once it is done (every
 * commit before the call is then on disk). DS_EUNAVAIL: not queued, |cb|
 * never runs. */
DS_NODISCARD int durable_sync_start(struct durable *du, struct durable_sync *s,
                                    durable_sync_cb cb);
/* How many syncs are under way. */
int durable_syncing(const struct durable *du);
/* After a commit: starts the checkpointer when the WAL has grown past its
 * bound and it is not running already. */
void durable_maybe_checkpoint(struct durable *du);
#endif
