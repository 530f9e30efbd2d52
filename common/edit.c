/* SPDX-License-Identifier: MIT
 * edit.c -- ops from typed flags. */
#include "common/edit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/merge.h"
#include "common/cmsg.h"
#include "common/query.h"
#include "common/vnenum.h"

static int field_by_flag(const struct entity_def *e, const char *name) {
  char norm[48];
  size_t n = strlen(name);
  if (n >= sizeof(norm))
    return -1;
  for (size_t i = 0; i <= n; i++)
    norm[i] = name[i] == '-' ? '_' : name[i];
  return schema_field_find(e, norm, n);
}

/* The current status [gen, rank] of a loaded petition, or [0, -1]. */
static void current_status(const struct mstate *ms, int f, int64_t *gen,
                           int *rank) {
  const struct mwrite *w = mstate_winner(ms, f);
  struct value v;
  size_t used;
  *gen = 0;
  *rank = -1;
  if (w && value_decode(&v, w->val, w->len, &used) == 0 &&
      v.type == VAL_STATUS) {
    *gen = v.i;
    *rank = schema_enum_index(schema_status_names, v.s, v.n);
  }
}

static int add_field(struct op *op, int f, const struct value *v,
                     const struct mstate *ms) {
  struct op_field *of = &op->set[op->nset++];
  of->field = f;
  of->val = *v;
  of->base_off = op->nbase;
  of->nbase = 0;
  if (!ms)
    return 0;
  /* The base is every version in the field's open set: this writer has
   * seen them all, so a conflict it saw is settled by this write. */
  for (uint32_t i = 0; i < ms->f[f].nopen; i++) {
    const struct version *bv = &ms->f[f].open[i].v;
    if (op->nbase >= OP_MAX_BASE)
      return DS_EBADOP;
    op->base[op->nbase++] = *bv;
    of->nbase++;
    if (bv->hlc >= op->hlc)
      op->hlc = bv->hlc + 1;
  }
  return 0;
}

static int parse_value(struct store *st, const struct field_def *fd,
                       const char *s, struct value *v, uint8_t rid[ID_LEN],
                       char *errbuf) {
  memset(v, 0, sizeof(*v));
  if (!s) {
    if (fd->type != FT_BOOL)
      return cmsg_fail(errbuf, DS_EBADOP, CM_NEEDS_VALUE, fd->name);
    v->type = VAL_BOOL;
    v->i = 1;
    return 0;
  }
  if (*s == '\0' && fd->type != FT_BOOL) {
    v->type = VAL_NIL;
    return 0;
  }
  v->type = VAL_STR;
  v->s = s;
  v->n = strlen(s);
  switch (fd->type) {
  case FT_TEXT:
    /* Typed text refuses C0/C1 controls but newline and tab (DESIGN §8). */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
      if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f ||
          (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
        return cmsg_fail(errbuf, DS_EBADOP, CM_CONTROL_CHAR, fd->name);
    return 0;
  case FT_DATE: {
    /* D/M/YYYY as well; the arena slot (16 bytes) holds the ISO form. */
    char *iso = (char *)rid;
    if (query_date_parse(s, iso)) {
      v->s = iso;
      v->n = 10;
    }
    return 0;
  }
  case FT_ENUM:
  case FT_STATUS: {
    /* A Vietnamese label, with or without diacritics, names its slug. */
    int k = vnenum_parse(fd->enums, s);
    if (k >= 0) {
      v->s = fd->enums[k];
      v->n = strlen(v->s);
    }
    return 0;
  }
  case FT_INT: {
    char *end;
    long long i;
    errno = 0;
    i = strtoll(s, &end, 10);
    if (errno == 0 && *end == '\0' && end != s) {
      v->type = VAL_INT;
      v->i = i;
    } /* otherwise a string, which the schema refuses in its own words */
    return 0;
  }
  case FT_BOOL:
    if (*s == '\0' || !strcmp(s, "true") || !strcmp(s, "yes") ||
        !strcmp(s, "1")) {
      v->type = VAL_BOOL, v->i = 1;
    } else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0")) {
      v->type = VAL_BOOL, v->i = 0;
    }
    return 0;
  case FT_RID: {
    int rc = query_resolve_err(st, ENT_MEETING, s, rid, errbuf);
    if (rc)
      return rc == DS_ENOENT || rc == DS_EINVAL || rc == DS_EAMBIGUOUS
                 ? DS_EBADOP
                 : rc;
    v->type = VAL_BIN;
    v->s = (const char *)rid;
    v->n = ID_LEN;
    return 0;
  }
  default: return 0;
  }
}

int edit_build(struct store *st, struct op *op, int ent,
               const uint8_t rid[ID_LEN], bool create, const char *commune,
               const struct edit_flag *flags, int nflags,
               struct edit_arena *arena, char *errbuf) {
  const struct entity_def *e = schema_entity(ent);
  struct mstate ms;
  struct buf blob;
  uint32_t seen = 0;
  int rc = 0;

  if (!e)
    return DS_EINVAL;
  mstate_init(&ms);
  buf_init(&blob, 0);
  op->ent = ent;
  memcpy(op->rid, rid, ID_LEN);
  op->nset = 0;
  op->nbase = 0;
  if (!create) {
    rc = store_load(st, rid, &ms, &blob);
    if (rc == DS_ENOENT)
      rc = cmsg_fail(errbuf, DS_ENOENT, CM_NO_SUCH, cmsg_ent(ent));
    else if (!rc && ms.ent != ent)
      rc = cmsg_fail(errbuf, DS_ENOENT, CM_NOT_A, cmsg_ent(ent));
    if (rc)
      goto done;
  } else {
    struct value c = {VAL_STR, 0, commune, commune ? strlen(commune) : 0};
    rc = schema_check(e, e->commune_field, &c, errbuf);
    if (rc)
      goto done;
    add_field(op, e->commune_field, &c, NULL);
    seen |= 1u << e->commune_field;
  }
  for (int i = 0; i < nflags && !rc; i++) {
    int f = field_by_flag(e, flags[i].name);
    struct value v;
    if (f < 0) {
      rc = cmsg_fail(errbuf, DS_EBADOP, CM_NO_FIELD, cmsg_ent(ent),
                     flags[i].name);
      break;
    }
    if (f == e->commune_field) {
      rc = cmsg_fail(errbuf, DS_EBADOP,
                     create ? CM_NEW_COMMUNE : CM_COMMUNE_FIXED);
      break;
    }
    if (seen & (1u << f)) {
      rc = cmsg_fail(errbuf, DS_EBADOP, CM_TWICE, flags[i].name);
      break;
    }
    if (!create && !schema_field_changes(e, f)) {
      rc = cmsg_fail(errbuf, DS_EBADOP, CM_UNCHANGEABLE, cmsg_ent(ent),
                     flags[i].name);
      break;
    }
    seen |= 1u << f;
    rc = parse_value(st, &e->fields[f], flags[i].value, &v, arena->rid[f],
                     errbuf);
    if (rc)
      break;
    if (f == e->status_field) {
      int64_t gen;
      int rank, want;
      if (v.type != VAL_STR)
        v.n = 0;
      want = schema_enum_index(schema_status_names, v.s ? v.s : "", v.n);
      current_status(&ms, f, &gen, &rank);
      if (want < 0) {
        v.type = VAL_STR; /* let the schema say what is allowed */
      } else {
        if (want < rank) {
          rc = cmsg_fail(errbuf, DS_EBADOP, CM_STATUS_DOWN,
                         schema_status_names[rank]);
          break;
        }
        v.type = VAL_STATUS;
        v.i = gen;
      }
    }
    rc = schema_check(e, f, &v, errbuf);
    if (!rc)
      rc = add_field(op, f, &v, create ? NULL : &ms);
  }
  if (rc)
    goto done;
  if (create) {
    /* Defaults a person expects without typing them. */
    static const struct value received = {VAL_STATUS, 0, "received", 8};
    static const struct value monthly = {VAL_STR, 0, "monthly_listening", 17};
    if (e->status_field >= 0 && !(seen & (1u << e->status_field)))
      add_field(op, e->status_field, &received, NULL);
    if (ent == ENT_MEETING) {
      int k = schema_field_find(e, "kind", 4);
      if (!(seen & (1u << k)))
        add_field(op, k, &monthly, NULL);
    }
    for (int f = 0; f < e->nfields; f++) {
      if ((e->fields[f].flags & FIELD_REQUIRED) && !(seen & (1u << f))) {
        rc = cmsg_fail(errbuf, DS_EBADOP, CM_NEW_NEEDS, cmsg_ent(ent),
                       e->fields[f].name);
        break;
      }
    }
    for (int i = 0; i < op->nset && !rc; i++)
      if (op->set[i].val.type == VAL_NIL &&
          (e->fields[op->set[i].field].flags & FIELD_REQUIRED))
        rc = cmsg_fail(errbuf, DS_EBADOP, CM_NEW_NEEDS, cmsg_ent(ent),
                       e->fields[op->set[i].field].name);
  } else if (op->nset == 0) {
    rc = cmsg_fail(errbuf, DS_EBADOP, CM_NOTHING);
  }
  if (!rc)
    rc = op_check(op, errbuf);
done:
  mstate_cleanup(&ms);
  buf_cleanup(&blob);
  return rc;
}

int edit_reopen(struct store *st, struct op *op, const uint8_t rid[ID_LEN],
                char *errbuf) {
  const struct entity_def *e = schema_entity(ENT_PETITION);
  struct value v = {VAL_STATUS, 0, "received", 8};
  struct mstate ms;
  struct buf blob;
  int64_t gen;
  int rank, rc;

  mstate_init(&ms);
  buf_init(&blob, 0);
  op->ent = ENT_PETITION;
  memcpy(op->rid, rid, ID_LEN);
  op->nset = 0;
  op->nbase = 0;
  rc = store_load(st, rid, &ms, &blob);
  if (rc == DS_ENOENT || (!rc && ms.ent != ENT_PETITION))
    rc = cmsg_fail(errbuf, DS_ENOENT, CM_NO_SUCH, cmsg_ent(ENT_PETITION));
  if (!rc) {
    current_status(&ms, e->status_field, &gen, &rank);
    v.i = gen + 1;
    rc = add_field(op, e->status_field, &v, &ms);
  }
  if (!rc)
    rc = op_check(op, errbuf);
  mstate_cleanup(&ms);
  buf_cleanup(&blob);
  return rc;
}

int edit_resolve(struct store *st, struct op *op, const uint8_t rid[ID_LEN],
                 int field, const struct version *keep, struct buf *val,
                 char *errbuf) {
  struct mstate ms;
  struct buf blob;
  struct value v;
  size_t used;
  int rc, found = -1;

  mstate_init(&ms);
  buf_init(&blob, 0);
  rc = store_load(st, rid, &ms, &blob);
  if (rc == DS_ENOENT)
    rc = cmsg_fail(errbuf, DS_ENOENT, CM_NO_SUCH, cmsg_ent(-1));
  if (!rc && (field < 0 || field >= schema_entity(ms.ent)->nfields ||
              ms.f[field].nopen < 2))
    rc = cmsg_fail(errbuf, DS_ENOENT, CM_NOT_CONFLICTED);
  for (uint32_t i = 0; !rc && i < ms.f[field].nopen; i++)
    if (version_cmp(&ms.f[field].open[i].v, keep) == 0)
      found = (int)i;
  if (!rc && found < 0)
    rc = cmsg_fail(errbuf, DS_ENOENT, CM_NOT_OPEN_VERSION);
  if (!rc) {
    /* The kept value outlives |ms|: copy its bytes into |val|. */
    const struct mwrite *w = &ms.f[field].open[found];
    buf_reset(val);
    rc = buf_append(val, w->val, w->len);
    if (!rc && value_decode(&v, val->data, val->len, &used))
      rc = DS_ECORRUPT;
  }
  if (!rc) {
    op->ent = ms.ent;
    memcpy(op->rid, rid, ID_LEN);
    op->nset = 0;
    op->nbase = 0;
    rc = add_field(op, field, &v, &ms);
  }
  if (!rc)
    rc = op_check(op, errbuf);
  mstate_cleanup(&ms);
  buf_cleanup(&blob);
  return rc;
}
