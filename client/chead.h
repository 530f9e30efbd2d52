/* SPDX-License-Identifier: MIT
 * chead.h -- the district's signed head as the device keeps it (DESIGN
 * §11, "Answers are signed"): every answer's cursor and cursor_hash are
 * covered by the district's signature, so the device holds a signed
 * statement of the log it has seen. When a later answer shows a log that no
 * longer holds that head (a district restored from an older backup, a log
 * cut short), the device keeps it as a lost head and reports it in its
 * requests ("lost_head") until one of them enters the district's sync log.
 *
 * What an answer shows: "head_lost", which the district sets when it no
 * longer holds the request's cursor with its hash and so answers the pull
 * from 0; and, from a district that does not say so, its cursor before the
 * head's position, or at it with another hash. The answer's signature
 * covers all three. */
#ifndef DS_CLIENT_CHEAD_H
#define DS_CLIENT_CHEAD_H
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/codec.h"

struct store;

/* Compares the head the store holds with |resp| (a checked 200 answer,
 * before anything of it is applied), inside the caller's transaction. When
 * the answer shows the head is gone, |*lost| is its cursor (else 0) and it
 * is kept as the lost head unless an earlier one is still unreported.
 * Returns 0 or a DS_E* code of the store. */
DS_NODISCARD int chead_check(struct store *st, const struct proto_resp *resp,
                             uint64_t *lost);
/* The lost head still to report, into |req|'s lost_head fields (left
 * unset when there is none). */
void chead_pending(struct store *st, struct proto_req *req);
/* The report entered the district's log: forgets the lost head. Inside the
 * caller's transaction. */
DS_NODISCARD int chead_delivered(struct store *st);
#endif
