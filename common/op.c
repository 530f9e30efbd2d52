/* SPDX-License-Identifier: MIT
 * op.c -- stateless validation of an op against the schema. */
#include "common/op.h"

int op_check(const struct op *op, char *errbuf) {
  const struct entity_def *e = schema_entity(op->ent);
  uint32_t seen = 0;
  int rc;

  if (!e)
    return ds_fail(errbuf, DS_EBADOP, "unknown entity");
  if (op->nset < 1 || op->nset > e->nfields)
    return ds_fail(errbuf, DS_EBADOP, "an op must set at least one field");
  if (op->nbase > OP_MAX_BASE)
    return ds_fail(errbuf, DS_EBADOP, "too many base versions");
  for (int i = 0; i < op->nset; i++) {
    const struct op_field *of = &op->set[i];
    if (of->field < 0 || of->field >= e->nfields)
      return ds_fail(errbuf, DS_EBADOP, "unknown field");
    if (seen & (1u << of->field))
      return ds_fail(errbuf, DS_EBADOP, "field '%s' is set twice",
                     e->fields[of->field].name);
    seen |= 1u << of->field;
    rc = schema_check(e, of->field, &of->val, errbuf);
    if (rc)
      return rc;
    if (of->base_off > op->nbase || of->nbase > op->nbase - of->base_off)
      return ds_fail(errbuf, DS_EBADOP, "base of field '%s' is malformed",
                     e->fields[of->field].name);
    for (uint32_t b = 0; b < of->nbase; b++)
      if (op->base[of->base_off + b].hlc >= op->hlc)
        return ds_fail(errbuf, DS_EBADOP,
                       "base of field '%s' names a version not older than "
                       "the op",
                       e->fields[of->field].name);
  }
  return 0;
}
