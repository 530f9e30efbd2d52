/* SPDX-License-Identifier: MIT
 * trust.h -- what the device believes about its district (DESIGN §11): the
 * enrolment token read at init (commune, district key, pin), kept until
 * enrolment is confirmed and then forgotten; and the district's signature
 * on every 200 answer, checked before anything in it is applied. */
#ifndef DS_CLIENT_TRUST_H
#define DS_CLIENT_TRUST_H
#include <stdbool.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/token.h"

struct args;
struct store;
struct xport;

/* init's token, from --token TEXT, --token - (standard input) or
 * --token-file FILE, parsed and checked; a --commune that disagrees with it
 * is refused. DS_EINVAL with one sentence in |errbuf|. */
DS_NODISCARD int trust_token_arg(const struct args *a, struct token *t,
                                 char *errbuf);
/* Records the token's secret (until enrolment is confirmed) and the
 * district's key in a new store, inside the caller's transaction. */
DS_NODISCARD int trust_store_token(struct store *st, const struct token *t);
/* The secret to present (Dansync-Token), or "" once enrolment is
 * confirmed. */
void trust_token_secret(struct store *st, char *out, size_t cap);
/* Enrolment is confirmed (a signed answer was applied): the token is
 * forgotten. Inside the caller's transaction. */
DS_NODISCARD int trust_enrolled(struct store *st);

/* Enrolment receipts (DESIGN §11): keeps the one an applied answer
 * carries, if it is the district's for this device; and writes the
 * "Dansync-Receipt: ..." header line presenting it ("" if none held). */
DS_NODISCARD int trust_keep_receipt(struct store *st, struct xport *x);
void trust_receipt_header(struct store *st, char *out, size_t cap);

/* Checks the answer |ans| to the request |req| just received through |x|
 * against the district key of the store: 0, or DS_EIDENTITY with one
 * sentence in |errbuf| (missing or wrong signature). A store made before
 * devices learned the district key (no key) is not checked. */
DS_NODISCARD int trust_check_answer(struct store *st, struct xport *x,
                                    const struct buf *req,
                                    const struct buf *ans, char *errbuf);
#endif
