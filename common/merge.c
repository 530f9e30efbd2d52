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
  DS_FREE(st->vt);
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
  int rc =
      grow((void **)&fs->open, &fs->capopen, fs->nopen + 1, sizeof(*fs->open));
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

void mvals_init(struct mvals *mv) {
  buf_init(&mv->bytes, 0);
}

void mvals_cleanup(struct mvals *mv) {
  buf_cleanup(&mv->bytes);
}

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

int mstate_apply(struct mstate *st, const struct op *op, const struct mvals *mv,
                 struct mresult *res) {
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
    if (mstate_conflicted(st, of->field) && find_open(fs, &w.v) >= 0)
      res->conflicts++;
    before = mstate_winner(st, of->field);
    if (!had || !before || version_cmp(&before->v, &before_v) != 0)
      res->changed |= 1u << of->field;
  }
  return 0;
}

/* Blob: u8 ent, u8 nfields, varint nversions, the versions (u64 hlc LE,
 * 16 node) ascending and distinct; then per field with state, ascending:
 * u8 field, varint nopen, varint nnamed, the open writes (varint version
 * index, varint len, bytes) and the named versions (varint version index),
 * each ascending. Most of a record's fields share the version of the op
 * that created it, so each version is stored once. Sets are sorted, so equal
 * states have equal blobs. Varints are LEB128. */
static int put_varint(struct buf *b, uint32_t v) {
  uint8_t x[5];
  int n = 0;
  do {
    x[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return buf_append(b, x, (size_t)n);
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

/* The index of |v| in the sorted table; it is there. */
static uint32_t version_index(const struct version *t, uint32_t n,
                              const struct version *v) {
  uint32_t lo = 0, hi = n;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (version_cmp(&t[mid], v) <= 0)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

int mstate_save(struct mstate *st, struct buf *out) {
  uint32_t nv = 0, k;
  uint8_t n = 0;
  int rc = 0;

  for (int i = 0; i < SCHEMA_MAX_FIELDS && !rc; i++) {
    struct mfield *fs = &st->f[i];
    n += fs->nopen || fs->nnamed;
    rc = grow((void **)&st->vt, &st->capvt, nv + fs->nopen + fs->nnamed,
              sizeof(*st->vt));
    for (uint32_t j = 0; j < fs->nopen + fs->nnamed && !rc; j++) {
      const struct version *v =
          j < fs->nopen ? &fs->open[j].v : &fs->named[j - fs->nopen];
      /* Sorted insertion without repeats; most fields repeat the version
       * just added (one op wrote them all), which costs one compare. */
      if (nv && version_cmp(&st->vt[nv - 1], v) == 0)
        continue;
      if (nv && version_cmp(&st->vt[nv - 1], v) > 0) {
        uint32_t at = version_index(st->vt, nv, v);
        if (version_cmp(&st->vt[at], v) == 0)
          continue;
        if (version_cmp(&st->vt[at], v) < 0)
          at++;
        memmove(&st->vt[at + 1], &st->vt[at], (nv - at) * sizeof(*st->vt));
        st->vt[at] = *v;
        nv++;
        continue;
      }
      st->vt[nv++] = *v;
    }
  }
  if (rc)
    return rc;
  rc = buf_putc(out, (uint8_t)st->ent);
  if (!rc)
    rc = buf_putc(out, n);
  if (!rc)
    rc = put_varint(out, nv);
  for (k = 0; k < nv && !rc; k++)
    rc = put_version(out, &st->vt[k]);
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
      rc = put_varint(out, fs->nopen);
    if (!rc)
      rc = put_varint(out, fs->nnamed);
    for (uint32_t j = 0; j < fs->nopen && !rc; j++) {
      rc = put_varint(out, version_index(st->vt, nv, &fs->open[j].v));
      if (!rc)
        rc = put_varint(out, fs->open[j].len);
      if (!rc)
        rc = buf_append(out, fs->open[j].val, fs->open[j].len);
    }
    for (uint32_t j = 0; j < fs->nnamed && !rc; j++)
      rc = put_varint(out, version_index(st->vt, nv, &fs->named[j]));
  }
  return rc;
}

struct reader {
  const uint8_t *p, *end;
  const uint8_t *vt; /* the version table */
  uint32_t nv;
};

static int get_varint(struct reader *r, uint32_t *v) {
  uint32_t x = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    uint8_t b;
    if (r->p >= r->end)
      return DS_ECORRUPT;
    b = *r->p++;
    if (shift == 28 && b > 0x0f)
      return DS_ECORRUPT;
    x |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return DS_ECORRUPT;
}

/* Reads a version index and the version it names. */
static int get_version(struct reader *r, struct version *v) {
  const uint8_t *p;
  uint32_t i;
  int rc = get_varint(r, &i);
  if (rc)
    return rc;
  if (i >= r->nv)
    return DS_ECORRUPT;
  p = r->vt + (size_t)i * (8 + ID_LEN);
  v->hlc = 0;
  for (int k = 7; k >= 0; k--)
    v->hlc = v->hlc << 8 | p[k];
  memcpy(v->node, p + 8, ID_LEN);
  return 0;
}

/* Reads the header and the version table; the entity in |*ent|, the count
 * of fields with state in |*nf|. */
static int get_head(struct reader *r, int *ent, uint8_t *nf) {
  int rc;
  if (r->end - r->p < 2 || r->p[0] >= SCHEMA_NENT)
    return DS_ECORRUPT;
  *ent = r->p[0];
  *nf = r->p[1];
  r->p += 2;
  rc = get_varint(r, &r->nv);
  if (rc)
    return rc;
  if ((size_t)(r->end - r->p) / (8 + ID_LEN) < r->nv)
    return DS_ECORRUPT;
  r->vt = r->p;
  r->p += (size_t)r->nv * (8 + ID_LEN);
  return 0;
}

/* Reads a field's header: its index (one of entity |ent|'s fields) and the
 * counts of its open writes and named versions. */
static int get_field(struct reader *r, int ent, int *field, uint32_t *nopen,
                     uint32_t *nnamed) {
  int rc;
  if (r->p >= r->end || *r->p >= schema_entity(ent)->nfields)
    return DS_ECORRUPT;
  *field = *r->p++;
  rc = get_varint(r, nopen);
  if (!rc)
    rc = get_varint(r, nnamed);
  return rc;
}

/* Reads one open write; its value bytes stay in the blob. */
static int get_write(struct reader *r, struct mwrite *w) {
  int rc = get_version(r, &w->v);
  if (!rc)
    rc = get_varint(r, &w->len);
  if (rc)
    return rc;
  if ((size_t)(r->end - r->p) < w->len)
    return DS_ECORRUPT;
  w->val = r->p;
  r->p += w->len;
  return 0;
}

int mstate_load(struct mstate *st, const uint8_t *blob, size_t n) {
  struct reader r = {blob, blob + n, NULL, 0};
  uint8_t nf;
  int ent, rc;

  mstate_reset(st);
  rc = get_head(&r, &ent, &nf);
  if (rc)
    return rc;
  st->ent = ent;
  for (int k = 0; k < nf; k++) {
    struct mfield *fs;
    uint32_t nopen, nnamed;
    int field;
    rc = get_field(&r, ent, &field, &nopen, &nnamed);
    if (rc)
      return rc;
    fs = &st->f[field];
    for (uint32_t i = 0; i < nopen; i++) {
      struct mwrite w;
      rc = get_write(&r, &w);
      if (!rc)
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

int mstate_blob_winner(const uint8_t *blob, size_t n, int f,
                       struct mwrite *out) {
  struct reader r = {blob, blob + n, NULL, 0};
  uint8_t nf;
  int ent, rc;

  rc = get_head(&r, &ent, &nf);
  if (rc)
    return rc;
  for (int k = 0; k < nf; k++) {
    uint32_t nopen, nnamed, skip;
    int field;
    rc = get_field(&r, ent, &field, &nopen, &nnamed);
    if (rc)
      return rc;
    for (uint32_t i = 0; i < nopen; i++) {
      struct mwrite w;
      rc = get_write(&r, &w);
      if (rc)
        return rc;
      if (field == f && (i == 0 || merge_cmp(ent, f, &w, out) > 0))
        *out = w;
    }
    if (field == f)
      return nopen ? 0 : DS_ENOENT;
    for (uint32_t i = 0; i < nnamed; i++)
      if (get_varint(&r, &skip))
        return DS_ECORRUPT;
  }
  return DS_ENOENT;
}
