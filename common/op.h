/* SPDX-License-Identifier: MIT
 * op.h -- one change to one record (DESIGN §4): the fields it sets and, per
 * field, the versions its writer saw. Values are borrowed views into the
 * bytes the op was decoded from, or built from. */
#ifndef DS_COMMON_OP_H
#define DS_COMMON_OP_H
#include <stdint.h>
#include <string.h>

#include "common/id.h"
#include "common/schema.h"
#include "common/value.h"

/* Base versions one op may name in all (a writer names one per field unless
 * it saw a conflict). An op with more is refused as malformed. */
#define OP_MAX_BASE 64

/* A version: the [hlc, node] of one write. */
struct version {
  uint64_t hlc;
  uint8_t node[ID_LEN];
};

/* Orders versions by (hlc, node bytes): last writer wins. */
static inline int version_cmp(const struct version *a,
                              const struct version *b) {
  if (a->hlc != b->hlc)
    return a->hlc < b->hlc ? -1 : 1;
  return memcmp(a->node, b->node, ID_LEN);
}

struct op_field {
  int field; /* index in the entity's fields */
  struct value val;
  uint32_t base_off, nbase; /* slice of op.base */
};

struct op {
  uint64_t seq;
  uint64_t hlc;
  uint8_t node[ID_LEN];
  int ent;
  uint8_t rid[ID_LEN];
  int nset;
  struct op_field set[SCHEMA_MAX_FIELDS];
  uint32_t nbase;
  struct version base[OP_MAX_BASE];
};
#endif

#ifndef DS_COMMON_OP_CHECK
#define DS_COMMON_OP_CHECK
/* Checks what can be checked of |op| without any store: a known entity, each
 * field set once and valid for its type and limits, every base version older
 * than the op itself (a writer can only have seen earlier writes), base
 * slices inside op->base. Returns 0 or DS_EBADOP with |errbuf| saying why. */
DS_NODISCARD int op_check(const struct op *op, char *errbuf);
#endif
