/* SPDX-License-Identifier: MIT
 * The merge engine's defining property (DESIGN §4): nodes that have applied
 * the same ops hold the same state, whatever the order of arrival.
 *
 * Per seed: three simulated devices with skewed clocks create and edit a
 * handful of records (concurrent edits of the same fields included), each
 * edit naming as base what its device's store shows, and now and then
 * receive a random subset of the others' ops in random order. Then three
 * observer stores apply every op in different random orders, some ops twice,
 * and every store -- observers and devices, once they have everything --
 * must show the same digest, the same conflicts and the same merge state.
 * DS_PROPERTY_SEEDS sets the number of seeds (default 5000). */
#include "tests/cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "common/merge.h"
#include "tests/helpers.h"

#define NDEV 3
#define NOBS 3
#define MAXOPS 48
#define MAXREC 6

struct sim {
  uint64_t rng;
  struct op ops[MAXOPS];
  int nops;
  struct store *dev[NDEV], *obs[NOBS];
  uint8_t node[NDEV][ID_LEN];
  uint64_t hlc[NDEV], skew[NDEV], seq[NDEV];
  unsigned char seen[NDEV][MAXOPS];
  uint8_t rids[MAXREC][ID_LEN];
  int rent[MAXREC], nrec;
  /* Strings ops point at must outlive them. */
  char text[MAXOPS][SCHEMA_MAX_FIELDS][24];
};

static uint32_t rnd(struct sim *s, uint32_t n) {
  /* xorshift64*: deterministic per seed. */
  s->rng ^= s->rng >> 12;
  s->rng ^= s->rng << 25;
  s->rng ^= s->rng >> 27;
  return (uint32_t)((s->rng * 2685821657736338717ull) >> 33) % n;
}

static void clear(struct store *st) {
  assert_int_equal(sqlite3_exec(store_sqlite(st),
                                "DELETE FROM rec; DELETE FROM conflict;"
                                " DELETE FROM search; DELETE FROM search_dirty;"
                                " DELETE FROM meta",
                                NULL, NULL, NULL),
                   0);
}

static void deliver(struct sim *s, int d, int i) {
  if (s->seen[d][i])
    return;
  assert_int_equal(th_apply(s->dev[d], &s->ops[i]), 0);
  s->seen[d][i] = 1;
  if (s->ops[i].hlc > s->hlc[d])
    s->hlc[d] = s->ops[i].hlc;
}

static uint64_t tick(struct sim *s, int d, uint64_t step) {
  uint64_t now = (step * 10 + s->skew[d]) << 16;
  s->hlc[d] = now > s->hlc[d] ? now : s->hlc[d] + 1;
  return s->hlc[d];
}

/* A random valid value for field |f| of entity |ent|. */
static void random_value(struct sim *s, int ent, int f, struct op_field *of,
                         char *text) {
  const struct field_def *fd = &schema_entity(ent)->fields[f];
  static const char *const words[] = {"Nguyễn", "điện", "nước", "đường", "A"};
  static const uint8_t rid[ID_LEN] = {7};
  struct value *v = &of->val;

  memset(v, 0, sizeof(*v));
  switch (fd->type) {
  case FT_TEXT:
    snprintf(text, 24, "%s %u", words[rnd(s, 5)], rnd(s, 4));
    v->type = VAL_STR, v->s = text, v->n = strlen(text);
    break;
  case FT_DATE:
    snprintf(text, 24, "2024-0%u-1%u", 1 + rnd(s, 9), rnd(s, 10));
    v->type = VAL_STR, v->s = text, v->n = strlen(text);
    break;
  case FT_INT: v->type = VAL_INT, v->i = fd->min + rnd(s, 5); break;
  case FT_BOOL: v->type = VAL_BOOL, v->i = rnd(s, 2); break;
  case FT_ENUM:
    v->type = VAL_STR, v->s = fd->enums[rnd(s, 3)], v->n = strlen(v->s);
    break;
  case FT_RID:
    v->type = VAL_BIN, v->s = (const char *)rid, v->n = ID_LEN;
    break;
  case FT_STATUS:
    v->type = VAL_STATUS, v->i = rnd(s, 2);
    v->s = schema_status_names[rnd(s, 5)], v->n = strlen(v->s);
    break;
  case FT_COMMUNE: v->type = VAL_STR, v->s = "hoa-an", v->n = 6; break;
  }
}

/* Device |d| writes: a new record, or an edit of one it knows. */
static void write_op(struct sim *s, int d, uint64_t step) {
  struct op *op = &s->ops[s->nops];
  struct mstate ms;
  struct buf blob;
  int r, ent, known, fields;

  if (s->nrec < MAXREC && (s->nrec == 0 || rnd(s, 3) == 0)) {
    r = s->nrec++;
    memset(s->rids[r], 0, ID_LEN);
    s->rids[r][0] = (uint8_t)r;
    s->rids[r][1] = (uint8_t)(s->rng >> 8);
    s->rent[r] = (int)rnd(s, SCHEMA_NENT);
  } else {
    r = (int)rnd(s, (uint32_t)s->nrec);
  }
  ent = s->rent[r];
  th_op_init(op, ent, s->rids[r], s->node[d], tick(s, d, step), ++s->seq[d]);
  mstate_init(&ms);
  buf_init(&blob, 0);
  known = store_load(s->dev[d], s->rids[r], &ms, &blob) == 0;
  fields = 1 + (int)rnd(s, 3);
  for (int k = 0; k < fields; k++) {
    int f = (int)rnd(s, (uint32_t)schema_entity(ent)->nfields);
    struct op_field *of;
    int dup = 0;
    for (int j = 0; j < op->nset; j++)
      dup |= op->set[j].field == f;
    if (dup)
      continue;
    of = &op->set[op->nset];
    of->field = f;
    of->base_off = op->nbase;
    of->nbase = 0;
    random_value(s, ent, f, of, s->text[s->nops][op->nset]);
    op->nset++;
    /* The base is the field's open set as this device sees it; sometimes
     * the writer names only part of it, as a device that saw the conflict
     * half-way would. */
    if (known) {
      for (uint32_t w = 0; w < ms.f[f].nopen && op->nbase < OP_MAX_BASE; w++) {
        if (w > 0 && rnd(s, 4) == 0)
          continue;
        op->base[op->nbase++] = ms.f[f].open[w].v;
        of->nbase++;
      }
    }
  }
  mstate_cleanup(&ms);
  buf_cleanup(&blob);
  {
    char err[DS_ERRBUF_LEN];
    if (op_check(op, err))
      fail_msg("generated op is invalid: %s", err);
  }
  s->seen[d][s->nops] = 0;
  s->nops++;
  deliver(s, d, s->nops - 1);
}

static void state_of(struct store *st, struct buf *out) {
  buf_reset(out);
  th_state(st, out);
  assert_int_equal(buf_cstr(out), 0);
}

static void run_seed(struct sim *s, uint64_t seed) {
  struct buf want, got;
  int order[MAXOPS * 2], n;

  s->rng = seed * 0x9e3779b97f4a7c15ull + 1;
  s->nops = 0;
  s->nrec = 0;
  memset(s->seen, 0, sizeof(s->seen));
  for (int d = 0; d < NDEV; d++) {
    clear(s->dev[d]);
    memset(s->node[d], 0, ID_LEN);
    s->node[d][0] = (uint8_t)(0x10 * (d + 1));
    s->node[d][15] = (uint8_t)rnd(s, 256);
    s->hlc[d] = 0;
    s->seq[d] = 0;
    s->skew[d] = rnd(s, 40); /* clocks up to 4 steps apart */
  }
  for (uint64_t step = 1; s->nops < MAXOPS - 2; step++) {
    int d = (int)rnd(s, NDEV);
    if (rnd(s, 2) == 0) {
      /* Device d receives a random subset of what exists, in random order. */
      for (int k = 0; k < 2 * s->nops; k++)
        deliver(s, d, (int)rnd(s, (uint32_t)s->nops));
    } else {
      write_op(s, d, step);
    }
  }
  buf_init(&want, 0);
  buf_init(&got, 0);
  for (int o = 0; o < NOBS; o++) {
    clear(s->obs[o]);
    n = 0;
    for (int i = 0; i < s->nops; i++) {
      order[n++] = i;
      if (rnd(s, 5) == 0)
        order[n++] = i; /* duplicates are harmless */
    }
    for (int i = n - 1; i > 0; i--) {
      int j = (int)rnd(s, (uint32_t)i + 1), t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (int i = 0; i < n; i++)
      assert_int_equal(th_apply(s->obs[o], &s->ops[order[i]]), 0);
    state_of(s->obs[o], o == 0 ? &want : &got);
    if (o > 0 && strcmp((char *)want.data, (char *)got.data) != 0)
      fail_msg("seed %llu: observer %d differs from observer 0:\n%s\n--\n%s",
               (unsigned long long)seed, o, (char *)want.data,
               (char *)got.data);
  }
  for (int d = 0; d < NDEV; d++) {
    for (int i = 0; i < s->nops; i++)
      deliver(s, d, i);
    state_of(s->dev[d], &got);
    if (strcmp((char *)want.data, (char *)got.data) != 0)
      fail_msg("seed %llu: device %d differs from the observers",
               (unsigned long long)seed, d);
  }
  buf_cleanup(&want);
  buf_cleanup(&got);
}

static void test_property_merge_order_does_not_matter(void **state) {
  struct sim *s = ds_calloc(1, sizeof(*s));
  const char *env = getenv("DS_PROPERTY_SEEDS");
  long seeds = env ? strtol(env, NULL, 10) : 5000;
  long conflicted = 0;
  (void)state;

  assert_non_null(s);
  for (int i = 0; i < NDEV; i++)
    s->dev[i] = th_store();
  for (int i = 0; i < NOBS; i++)
    s->obs[i] = th_store();
  for (long seed = 1; seed <= seeds; seed++) {
    sqlite3_stmt *q;
    run_seed(s, (uint64_t)seed);
    sqlite3_prepare_v2(store_sqlite(s->obs[0]), "SELECT count(*) FROM conflict",
                       -1, &q, NULL);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) > 0)
      conflicted++;
    sqlite3_finalize(q);
  }
  /* The generator must really produce concurrent edits, and edits that
   * resolve them. */
  assert_true(conflicted > seeds / 10);
  assert_true(conflicted < seeds);
  printf("property: %ld seeds passed, %ld of them ended with conflicts\n",
         seeds, conflicted);
  for (int i = 0; i < NDEV; i++)
    store_close(s->dev[i]);
  for (int i = 0; i < NOBS; i++)
    store_close(s->obs[i]);
  ds_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_property_merge_order_does_not_matter),
  };
  return cmocka_run_group_tests_name("property", tests, NULL, NULL);
}
