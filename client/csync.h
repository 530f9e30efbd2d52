/* SPDX-License-Identifier: MIT
 * csync.h -- dansync sync: push the outbox in signed batches, pull what the
 * others changed, merge it, until both sides are done; and a record's
 * history from the ops this device holds. */
#ifndef DS_CLIENT_CSYNC_H
#define DS_CLIENT_CSYNC_H
#include <stdio.h>

#include "common/args.h"
#include "common/id.h"

struct store;

/* Runs `dansync sync`; returns the process exit code. */
int csync_main(const struct args *a);
/* Prints every op this device holds for |rid| (its own and pulled ones), in
 * clock order: who changed which fields when. */
DS_NODISCARD int csync_history(struct store *st, const uint8_t rid[ID_LEN],
                               FILE *out);
#endif
