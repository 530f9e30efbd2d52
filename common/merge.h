/* SPDX-License-Identifier: MIT
 * merge.h -- the merge engine (DESIGN §4), pure and I/O-free: a record's
 * per-field state, applying an op to it, choosing each field's winner, and
 * the compact blob the store keeps it in. Applying is a set union on writes
 * and on named versions, so it is commutative, associative and idempotent. */
#ifndef DS_COMMON_MERGE_H
#define DS_COMMON_MERGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/op.h"

/* One write in a field's open set; |val| is its canonical encoding. */
struct mwrite {
  struct version v;
  const uint8_t *val;
  uint32_t len;
};

struct mfield {
  uint32_t nopen, capopen;
  struct mwrite *open;
  uint32_t nnamed, capnamed;
  struct version *named;
};

/* A record's merge state. Value bytes are borrowed: from the blob given to
 * mstate_load and from the |vals| given to mstate_apply, which must outlive
 * the state's use. */
struct mstate {
  int ent; /* -1 until known */
  struct mfield f[SCHEMA_MAX_FIELDS];
  uint32_t capvt;
  struct version *vt; /* mstate_save's scratch */
};

/* Caller-storage lifecycle; _reset keeps capacity for reuse. */
void mstate_init(struct mstate *st);
void mstate_reset(struct mstate *st);
void mstate_cleanup(struct mstate *st);

/* Loads a state from |blob| (|n| bytes) as written by mstate_save. Returns 0,
 * DS_ECORRUPT if the blob is malformed, DS_ENOMEM. */
DS_NODISCARD int mstate_load(struct mstate *st, const uint8_t *blob, size_t n);
/* Appends the blob form of |st| to |out|, sorting its sets first (which
 * changes no meaning: they are sets) so equal states give equal blobs. */
DS_NODISCARD int mstate_save(struct mstate *st, struct buf *out);

/* Canonical encodings of an op's values, made once and shared by apply and
 * the store's typed columns. */
struct mvals {
  struct buf bytes;
  uint32_t off[SCHEMA_MAX_FIELDS];
  uint32_t len[SCHEMA_MAX_FIELDS];
};
void mvals_init(struct mvals *mv);
void mvals_cleanup(struct mvals *mv);
/* Fills |mv| from |op| (reusing its storage). */
DS_NODISCARD int mvals_encode(struct mvals *mv, const struct op *op);

struct mresult {
  uint32_t changed;   /* bit per field whose winner changed */
  uint32_t conflicts; /* writes that entered an open set holding another */
};

/* Applies |op| (whose values are encoded in |mv|) to |st|. |st|->ent must be
 * op->ent or -1. Returns 0, DS_EBADOP (entity mismatch), DS_ENOMEM. */
DS_NODISCARD int mstate_apply(struct mstate *st, const struct op *op,
                              const struct mvals *mv, struct mresult *res);

/* The winning write of field |f|, or NULL when the field has no write. */
const struct mwrite *mstate_winner(const struct mstate *st, int f);
/* True when field |f| has more than one open write. */
static inline bool mstate_conflicted(const struct mstate *st, int f) {
  /* A petition's status never conflicts: its lattice order already says
   * which write is later progress (DESIGN §4). */
  return st->f[f].nopen > 1 &&
         (st->ent < 0 || f != schema_entity(st->ent)->status_field);
}
/* The winning write of field |f| read straight from a saved state's blob,
 * without loading it (what the store's views show). Returns 0, DS_ENOENT
 * when the field has no write, DS_ECORRUPT. */
DS_NODISCARD int mstate_blob_winner(const uint8_t *blob, size_t n, int f,
                                    struct mwrite *out);
/* Compares two writes of field |f| of entity |ent| by the winner rule:
 * (hlc, node) for ordinary fields, (gen, rank, hlc, node) for a status. */
int merge_cmp(int ent, int f, const struct mwrite *a, const struct mwrite *b);
#endif
