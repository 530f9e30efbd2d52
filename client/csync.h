/* SPDX-License-Identifier: MIT
 * csync.h -- dansync sync: push the outbox in signed batches, pull what the
 * others changed, merge it, until both sides are done. */
#ifndef DS_CLIENT_CSYNC_H
#define DS_CLIENT_CSYNC_H
#include <stdbool.h>
#include <stdio.h>

#include "common/buf.h"

#include "common/args.h"
#include "common/id.h"

struct device;
struct proto_resp;
struct store;

/* Runs `dansync sync` (its flags already checked by the caller); returns
 * the process exit code, and in |rejected| how many ops the district
 * refused in this run's answers. On success it also notes where the ops
 * this run pulled start (for 'status'). */
int csync_main(const struct args *a, uint64_t *rejected);

/* For bundles (client/cbundle.c), the same requests and the same applying
 * as sync. csync_request builds into |body| the request sync would send
 * with the queued ops after |after| (at most |batch|, and 4 MiB of them),
 * asking for |pull_limit| ops back; |*nops| and |*last_seq| say what it
 * holds. */
DS_NODISCARD int csync_request(struct device *dev, uint64_t after,
                               int64_t batch, int64_t pull_limit,
                               struct buf *body, uint32_t *nops,
                               uint64_t *last_seq);
/* What applying answers did, summed. */
struct csync_totals {
  uint64_t pushed, pulled, conflicts, rejected;
};
/* Applies one checked 200 response in one transaction, as sync does;
 * |*more| says whether the district has more to send. */
DS_NODISCARD int csync_apply(struct device *dev, const struct proto_resp *resp,
                             bool *more, struct csync_totals *t, char *err);
#endif
