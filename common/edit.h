/* SPDX-License-Identifier: MIT
 * edit.h -- turning what a person typed (--field value pairs) into one op,
 * the same way on a device and at the district: values parsed by the field's
 * type and checked against the schema, defaults on creation, each field's
 * base taken from the store's open set, and the status rules of DESIGN §4. */
#ifndef DS_COMMON_EDIT_H
#define DS_COMMON_EDIT_H
#include <stdbool.h>

#include "common/op.h"
#include "common/store.h"

struct edit_flag {
  const char *name;  /* field name; '-' and '_' are the same */
  const char *value; /* "" clears an optional field; NULL for a bare flag */
};

/* Storage the built op's values point into; keep it as long as the op. */
struct edit_arena {
  uint8_t rid[SCHEMA_MAX_FIELDS][ID_LEN];
};

/* Builds in |op| (hlc, node and seq already set by the caller) a change of
 * entity |ent| record |rid|: a new record of |commune| when |create|, else an
 * update of the stored one. op->hlc is raised past any base version it
 * names (the caller then adopts it into the node's clock). Returns 0; DS_EBADOP
 * (a value is wrong, a field unknown or not settable, a required field missing,
 * a status lower than the current one), DS_ENOENT (no such record), or a store
 * error; |errbuf| says why in one sentence. */
DS_NODISCARD int edit_build(struct store *st, struct op *op, int ent,
                            const uint8_t rid[ID_LEN], bool create,
                            const char *commune, const struct edit_flag *flags,
                            int nflags, struct edit_arena *arena, char *errbuf);
/* Builds the op that reopens petition |rid|: status [gen + 1, received]. */
DS_NODISCARD int edit_reopen(struct store *st, struct op *op,
                             const uint8_t rid[ID_LEN], char *errbuf);
/* Builds the op that keeps |keep| (one of field |field|'s open writes) as
 * the value of a conflicted field, naming the whole open set as base. */
DS_NODISCARD int edit_resolve(struct store *st, struct op *op,
                              const uint8_t rid[ID_LEN], int field,
                              const struct version *keep, struct buf *val,
                              char *errbuf);
#endif
