/* SPDX-License-Identifier: MIT
 * cbundle.h -- the device's side of sneakernet bundles (DESIGN §12):
 * `dansync bundle export --out FILE` writes what sync would send, sealed
 * to the district; `dansync bundle import FILE` checks the district's
 * answer against the key learned at enrolment and applies it as sync
 * applies answers. */
#ifndef DS_CLIENT_CBUNDLE_H
#define DS_CLIENT_CBUNDLE_H
#include <stdbool.h>

#include "common/buf.h"
#include "common/err.h"

struct args;
struct store;

/* Runs `dansync bundle VERB`; returns the process exit code. */
int cbundle_main(const struct args *a, const char *verb);
/* For `dansync status`: a line (or, with |json|, the member
 * "bundle_unanswered": {...} or null, preceded by ", ") saying what was
 * exported and not yet answered. */
DS_NODISCARD int cbundle_status(struct store *st, bool json, struct buf *out);
#endif
