/* SPDX-License-Identifier: MIT
 * merge.c -- open sets, named versions and winners. */
#include "common/merge.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

void mstate_init(struct mstate *st) {
  memset(st, 0, sizeof(*st));
  st->ent = -1;
}

void mstate_reset(struct mstate *st) {
  st->ent = -1;
  for (int i = 0; i < SCHEMA_MAX_FIELDS; i++)
    st->f[i].nopen = st->f[i].nnamed = 0;
}

void mstate_cleanup(struct mstate *st) {
  for (int i = 0; i < SCHEMA_MAX_FIELDS; i++) {
    DS_FREE(st->f[i].open);
    DS_FREE(st->f[i].named);
  }
  mstate_init(st);
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem) {
  uint32_t ncap;
  void *np;

  if (need <= *cap)
    return 0;
  ncap = *cap ? *cap : 2;
  while (ncap < need)
    ncap *= 2;
  np = ds_realloc(*p, (size_t)ncap * elem);
  if (!np)
    return DS_ENOMEM;
  *p = np;
  *cap = ncap;
  return 0;
}

static int add_open(struct mfield *fs, const struct mwrite *w) {
  int rc = grow((void **)&fs->open, &fs->capopen, fs->nopen + 1,
                sizeof(*fs->open));
  if (rc)
    return rc;
  fs->open[fs->nopen++] = *w;
  return 0;
}

static int add_named(struct mfield *fs, const struct version *v) {
  int rc = grow((void **)&fs->named, &fs->capnamed, fs->nnamed + 1,
                sizeof(*fs->named));
  if (rc)
    return rc;
  fs->named[fs->nnamed++] = *v;
  return 0;
}

static bool is_named(const struct mfield *fs, const struct version *v) {
  for (uint32_t i = 0; i < fs->nnamed; i++)
    if (version_cmp(&fs->named[i], v) == 0)
      return true;
  return false;
}

static int find_open(const struct mfield *fs, const struct version *v) {
  for (uint32_t i = 0; i < fs->nopen; i++)
    if (version_cmp(&fs->open[i].v, v) == 0)
      return (int)i;
  return -1;
}

/* Reads the [gen, rank] of a status write; unknown names rank -1. */
static void status_key(const struct mwrite *w, int64_t *gen, int *rank) {
  struct value v;
  size_t used;

  *gen = -1;
  *rank = -1;
  if (value_decode(&v, w->val, w->len, &used) == 0 && v.type == VAL_STATUS) {
    *gen = v.i;
    *rank = schema_enum_index(schema_status_names, v.s, v.n);
  }
}

int merge_cmp(int ent, int f, const struct mwrite *a, const struct mwrite *b) {
  const struct entity_def *e = schema_entity(ent);

  if (e && f == e->status_field) {
    int64_t ga, gb;
    int ra, rb;
    status_key(a, &ga, &ra);
    status_key(b, &gb, &rb);
    if (ga != gb)
      return ga < gb ? -1 : 1;
    if (ra != rb)
      return ra < rb ? -1 : 1;
  }
  return version_cmp(&a->v, &b->v);
}

const struct mwrite *mstate_winner(const struct mstate *st, int f) {
  const struct mfield *fs = &st->f[f];
  const struct mwrite *best = NULL;

  for (uint32_t i = 0; i < fs->nopen; i++)
    if (!best || merge_cmp(st->ent, f, &fs->open[i], best) > 0)
      best = &fs->open[i];
  return best;
}

void mvals_init(struct mvals *mv) { buf_init(&mv->bytes, 0); }

void mvals_cleanup(struct mvals *mv) { buf_cleanup(&mv->bytes); }

int mvals_encode(struct mvals *mv, const struct op *op) {
  int rc;

  buf_reset(&mv->bytes);
  for (int i = 0; i < op->nset; i++) {
    size_t start = mv->bytes.len;
    rc = value_encode(&mv->bytes, &op->set[i].val);
    if (rc)
      return rc;
    mv->off[i] = (uint32_t)start;
    mv->len[i] = (uint32_t)(mv->bytes.len - start);
  }
  return 0;
}

int mstate_apply(struct mstate *st, const struct op *op,
                 const struct mvals *mv, struct mresult *res) {
  struct mwrite w;
  int rc;

  memset(res, 0, sizeof(*res));
  if (st->ent >= 0 && st->ent != op->ent)
    return DS_EBADOP;
  st->ent = op->ent;
  w.v.hlc = op->hlc;
  memcpy(w.v.node, op->node, ID_LEN);
  for (int i = 0; i < op->nset; i++) {
    const struct op_field *of = &op->set[i];
    struct mfield *fs = &st->f[of->field];
    const struct mwrite *before = mstate_winner(st, of->field);
    struct version before_v;
    int had = before != NULL, pos;

    if (had)
      before_v = before->v;
    w.val = mv->bytes.data + mv->off[i];
    w.len = mv->len[i];
    /* A write some applied write has already seen never enters the set. */
    if (!is_named(fs, &w.v) && find_open(fs, &w.v) < 0) {
      rc = add_open(fs, &w);
      if (rc)
        return rc;
    }
    for (uint32_t b = 0; b < of->nbase; b++) {
      const struct version *bv = &op->base[of->base_off + b];
      if (is_named(fs, bv))
        continue;
      rc = add_named(fs, bv);
      if (rc)
        return rc;
      pos = find_open(fs, bv);
      if (pos >= 0)
        fs->open[pos] = fs->open[--fs->nopen];
    }
    if (fs->nopen > 1 && find_open(fs, &w.v) >= 0)
      res->conflicts++;
    before = mstate_winner(st, of->field);
    if (!had || !before || version_cmp(&before->v, &before_v) != 0)
      res->changed |= 1u << of->field;
  }
  return 0;
}

/* Blob: u8 ent, u8 nfields; per field with state: u8 field, u32 nopen,
 * u32 nnamed, open writes (u64 hlc, 16 node, u32 len, bytes), named
 * (u64 hlc, 16 node). Integers little-endian. Field order is canonical so
 * equal states have equal blobs. */
static int put_u32(struct buf *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                  (uint8_t)(v >> 24)};
  return buf_append(b, x, 4);
}

static int put_version(struct buf *b, const struct version *v) {
  uint8_t x[8 + ID_LEN];
  for (int i = 0; i < 8; i++)
    x[i] = (uint8_t)(v->hlc >> (8 * i));
  memcpy(x + 8, v->node, ID_LEN);
  return buf_append(b, x, sizeof(x));
}

static int cmp_version_p(const void *a, const void *b) {
  return version_cmp(a, b);
}

static int cmp_write_p(const void *a, const void *b) {
  return version_cmp(&((const struct mwrite *)a)->v,
                     &((const struct mwrite *)b)->v);
}

int mstate_save(struct mstate *st, struct buf *out) {
  uint8_t n = 0;
  int rc;

  for (int i = 0; i < SCHEMA_MAX_FIELDS; i++)
    n += st->f[i].nopen || st->f[i].nnamed;
  rc = buf_putc(out, (uint8_t)st->ent);
  if (!rc)
    rc = buf_putc(out, n);
  for (int i = 0; i < SCHEMA_MAX_FIELDS && !rc; i++) {
    struct mfield *fs = &st->f[i];
    if (!fs->nopen && !fs->nnamed)
      continue;
    if (fs->nopen > 1)
      qsort(fs->open, fs->nopen, sizeof(*fs->open), cmp_write_p);
    if (fs->nnamed > 1)
      qsort(fs->named, fs->nnamed, sizeof(*fs->named), cmp_version_p);
    rc = buf_putc(out, (uint8_t)i);
    if (!rc)
      rc = put_u32(out, fs->nopen);
    if (!rc)
      rc = put_u32(out, fs->nnamed);
    for (uint32_t k = 0; k < fs->nopen && !rc; k++) {
      rc = put_version(out, &fs->open[k].v);
      if (!rc)
        rc = put_u32(out, fs->open[k].len);
      if (!rc)
        rc = buf_append(out, fs->open[k].val, fs->open[k].len);
    }
    for (uint32_t k = 0; k < fs->nnamed && !rc; k++)
      rc = put_version(out, &fs->named[k]);
  }
  return rc;
}

struct reader {
  const uint8_t *p, *end;
};

static int get_u32(struct reader *r, uint32_t *v) {
  if (r->end - r->p < 4)
    return DS_ECORRUPT;
  *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
       (uint32_t)r->p[3] << 24;
  r->p += 4;
  return 0;
}

static int get_version(struct reader *r, struct version *v) {
  if (r->end - r->p < 8 + ID_LEN)
    return DS_ECORRUPT;
  v->hlc = 0;
  for (int i = 7; i >= 0; i--)
    v->hlc = v->hlc << 8 | r->p[i];
  memcpy(v->node, r->p + 8, ID_LEN);
  r->p += 8 + ID_LEN;
  return 0;
}

int mstate_load(struct mstate *st, const uint8_t *blob, size_t n) {
  struct reader r = {blob, blob + n};
  uint8_t nf;
  int rc;

  mstate_reset(st);
  if (n < 2 || blob[0] >= SCHEMA_NENT)
    return DS_ECORRUPT;
  st->ent = blob[0];
  nf = blob[1];
  r.p += 2;
  for (int k = 0; k < nf; k++) {
    struct mfield *fs;
    uint32_t nopen, nnamed;
    if (r.p >= r.end || *r.p >= schema_entity(st->ent)->nfields)
      return DS_ECORRUPT;
    fs = &st->f[*r.p++];
    rc = get_u32(&r, &nopen);
    if (!rc)
      rc = get_u32(&r, &nnamed);
    if (rc)
      return rc;
    for (uint32_t i = 0; i < nopen; i++) {
      struct mwrite w;
      rc = get_version(&r, &w.v);
      if (!rc)
        rc = get_u32(&r, &w.len);
      if (rc)
        return rc;
      if ((size_t)(r.end - r.p) < w.len)
        return DS_ECORRUPT;
      w.val = r.p;
      r.p += w.len;
      rc = add_open(fs, &w);
      if (rc)
        return rc;
    }
    for (uint32_t i = 0; i < nnamed; i++) {
      struct version v;
      rc = get_version(&r, &v);
      if (!rc)
        rc = add_named(fs, &v);
      if (rc)
        return rc;
    }
  }
  return r.p == r.end ? 0 : DS_ECORRUPT;
}
