/* SPDX-License-Identifier: MIT
 * helpers.h -- building ops and inspecting stores in unit tests. */
#ifndef DS_TESTS_HELPERS_H
#define DS_TESTS_HELPERS_H
#include <stdint.h>

#include "common/buf.h"
#include "common/op.h"
#include "common/store.h"

void th_op_init(struct op *op, int ent, const uint8_t rid[ID_LEN],
                const uint8_t node[ID_LEN], uint64_t hlc, uint64_t seq);
/* Each setter appends one field; a base for it must be added right after. */
void th_set_str(struct op *op, const char *field, const char *s);
void th_set_int(struct op *op, const char *field, int64_t i);
void th_set_bool(struct op *op, const char *field, int b);
void th_set_status(struct op *op, int64_t gen, const char *name);
void th_base(struct op *op, uint64_t hlc, const uint8_t node[ID_LEN]);
/* A new petition of |commune| with its required fields. */
void th_petition(struct op *op, const uint8_t rid[ID_LEN],
                 const uint8_t node[ID_LEN], uint64_t hlc, const char *commune);
/* Opens an in-memory store; fails the test on error. */
struct store *th_store(void);
/* Everything that must be equal on converged nodes: digest, conflict list
 * and every record's merge state, appended to |out| as text. */
void th_state(struct store *st, struct buf *out);
/* The first column of |sql|'s first row as an integer, -1 if it has no
 * row; fails the test if |sql| does not prepare. */
int64_t th_count(struct store *st, const char *sql);
/* Applies |op| in its own transaction; returns store_apply's code. */
int th_apply(struct store *st, const struct op *op);
#endif
