/* SPDX-License-Identifier: MIT
 * restamp.c -- `sync --restamp`; see restamp.h. */
#include "client/restamp.h"

#include <string.h>

#include "client/local.h"
#include "client/msg.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/device.h"
#include "common/hlc.h"
#include "common/meta.h"
#include "common/store.h"
#include "proto/codec.h"

int restamp_unsent(struct device *dev, uint64_t *count, char *err) {
  struct store *st = dev->st;
  int64_t sent = meta_int_or_0(st, META_SENT_MAX);
  /* Old version -> new version of every restamped op, for the bases of
   * later ops that name them. */
  struct version *map = NULL; /* pairs: map[2k] old, map[2k+1] new */
  size_t nmap = 0, capmap = 0;
  uint64_t clock, top = 0;
  struct device_iter *it = NULL;
  struct device_row row;
  struct buf enc;
  int rc, more = 0;

  *count = 0;
  buf_init(&enc, 0);
  rc = store_begin(st);
  if (rc)
    return msg_fail(err, rc, MSG_LOCAL_BUSY);
  /* The clock restarts from what others have shown us and what we sent. */
  clock = (uint64_t)meta_int_or_0(st, META_HLC_SEEN);
  rc = device_outbox_max_hlc(st, (uint64_t)sent, &top);
  if (!rc && top > clock)
    clock = top;
  if (!rc)
    rc =
        device_iter_open(st, DEVICE_OUTBOX_AFTER, (uint64_t)sent, 0, NULL, &it);
  while (!rc && (more = device_iter_next(it, &row)) == 1) {
    void *priv;
    struct op op;
    rc = proto_op_decode(row.op, row.len, &op, false, &priv, err);
    if (rc)
      break;
    memcpy(op.node, dev->node, ID_LEN);
    clock = hlc_tick(clock, clock_now_ms());
    if (nmap == capmap) {
      size_t ncap = capmap ? 2 * capmap : 64;
      struct version *nm = ds_realloc(map, 2 * ncap * sizeof(*map));
      if (!nm) {
        proto_op_release(priv);
        rc = DS_ENOMEM;
        break;
      }
      map = nm;
      capmap = ncap;
    }
    map[2 * nmap].hlc = op.hlc;
    memcpy(map[2 * nmap].node, dev->node, ID_LEN);
    map[2 * nmap + 1] = map[2 * nmap];
    map[2 * nmap + 1].hlc = clock;
    nmap++;
    op.hlc = clock;
    for (uint32_t b = 0; b < op.nbase; b++)
      for (size_t m = 0; m < nmap; m++)
        if (version_cmp(&op.base[b], &map[2 * m]) == 0)
          op.base[b] = map[2 * m + 1];
    buf_reset(&enc);
    rc = proto_op_encode(&enc, &op, false);
    proto_op_release(priv);
    if (!rc)
      rc = device_outbox_restamp(st, row.seq, clock, enc.data, enc.len);
    (*count)++;
  }
  if (!rc && more < 0)
    rc = more;
  device_iter_close(it);
  it = NULL;
  ds_free(map);
  if (!rc && *count) {
    /* Rebuild every record a restamped op touched, from all held ops. */
    rc = device_iter_open(st, DEVICE_RIDS_AFTER, (uint64_t)sent, 0, NULL, &it);
    while (!rc && (more = device_iter_next(it, &row)) == 1)
      rc = row.rid ? store_forget(st, row.rid) : DS_ECORRUPT;
    if (!rc && more < 0)
      rc = more;
    device_iter_close(it);
    it = NULL;
    if (!rc)
      rc = device_iter_open(st, DEVICE_OPS_OF_RIDS_AFTER, (uint64_t)sent, 0,
                            NULL, &it);
    while (!rc && (more = device_iter_next(it, &row)) == 1) {
      struct mresult res;
      void *priv;
      struct op op;
      rc = proto_op_decode(row.op, row.len, &op, row.pulled, &priv, err);
      if (rc)
        break;
      if (!row.pulled)
        memcpy(op.node, dev->node, ID_LEN);
      rc = store_apply(st, &op, &res);
      proto_op_release(priv);
    }
    if (!rc && more < 0)
      rc = more;
    device_iter_close(it);
  }
  if (!rc)
    rc = store_hlc_set(st, clock);
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  buf_cleanup(&enc);
  return rc;
}
