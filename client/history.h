/* SPDX-License-Identifier: MIT
 * history.h -- a record's history for `show`: every op this device holds
 * for it (its own from the outbox, pulled ones from the inbox), in clock
 * order: who changed which fields when. */
#ifndef DS_CLIENT_HISTORY_H
#define DS_CLIENT_HISTORY_H
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/id.h"

struct store;

/* Appends |rid|'s history to |out| as text lines (values cut at 40 bytes),
 * or with |json| as the member "history": [{"at", "node", "mine", "set"}
 * ...]. Returns 0 or a DS_E* code of the store or of |out|. */
DS_NODISCARD int history_write(struct store *st, const uint8_t rid[ID_LEN],
                               bool json, struct buf *out);
#endif
