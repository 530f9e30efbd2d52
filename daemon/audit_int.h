/* SPDX-License-Identifier: MIT
 * audit_int.h -- what daemon/audit.c (the sync log) and
 * daemon/audit_conflict.c (conflicts) share. */
#ifndef DS_DAEMON_AUDIT_INT_H
#define DS_DAEMON_AUDIT_INT_H
#include "common/buf.h"
#include "common/value.h"

/* Appends |v| as the admin commands print it: text escaped for a
 * terminal, a 16-byte bin as hex, a status with its generation. Out of
 * memory leaves |b| short. */
void audit__value_text(struct buf *b, const struct value *v);
#endif
