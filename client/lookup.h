/* SPDX-License-Identifier: MIT
 * lookup.h -- what the client's record checks read from the entity views
 * (DESIGN §8's plausibility checks, the escalation rule): one stored field
 * of a record, and an identical petition. Every statement checked: a
 * lookup that cannot run is an error, never "nothing found". */
#ifndef DS_CLIENT_LOOKUP_H
#define DS_CLIENT_LOOKUP_H
#include <stddef.h>

#include "common/err.h"
#include "common/id.h"

struct store;

/* Field |field| of record |rid| of entity |ent| as text into |out| (|cap|
 * bytes, cut to fit); "" when the record or the value is absent. Returns
 * 0, DS_EINVAL (no such field), or the store's DS_E* code. */
DS_NODISCARD int lookup_field(struct store *st, int ent,
                              const uint8_t rid[ID_LEN], const char *field,
                              char *out, size_t cap);

/* A petition of |commune| not voided with the same |received_on|, citizen
 * (NULL as "") and |content|: 1 with its id in |rid|, 0 when none, or the
 * store's DS_E* code. */
DS_NODISCARD int lookup_duplicate(struct store *st, const char *commune,
                                  const char *received_on, const char *citizen,
                                  const char *content, uint8_t rid[ID_LEN]);
#endif
