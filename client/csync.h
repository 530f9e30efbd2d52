/* SPDX-License-Identifier: MIT
 * csync.h -- dansync sync: push the outbox in signed batches, pull what the
 * others changed, merge it, until both sides are done; and a record's
 * history from the ops this device holds. */
#ifndef DS_CLIENT_CSYNC_H
#define DS_CLIENT_CSYNC_H
#include <stdbool.h>
#include <stdio.h>

#include "common/buf.h"

#include "common/args.h"
#include "common/id.h"

struct store;

/* Runs `dansync sync`; returns the process exit code. */
int csync_main(const struct args *a);
/* Every op this device holds for |rid| (its own and pulled ones), in clock
 * order: who changed which fields when. Appended to |out| as text lines, or
 * with |json| as the member "history": [{"at", "node", "mine", "set"}...]. */
DS_NODISCARD int csync_history(struct store *st, const uint8_t rid[ID_LEN],
                               bool json, struct buf *out);
#endif
