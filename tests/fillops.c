/* SPDX-License-Identifier: MIT
 * fillops -- queues N new petitions in an initialised device store, as N
 * `dansync petition add`s would (edit, merge, encode, queue), in one
 * transaction: thousands of ops for the weak-link tests in a second
 * instead of thousands of process starts.
 *
 * usage: fillops DB N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/local.h"
#include "common/clock.h"
#include "common/edit.h"
#include "common/id.h"
#include "common/store.h"
#include "proto/codec.h"

int main(int argc, char **argv) {
  char err[DS_ERRBUF_LEN], text[200], citizen[64];
  struct edit_arena arena;
  struct device dev;
  struct buf enc;
  uint64_t next;
  long n;
  int rc;

  if (argc != 3 || (n = strtol(argv[2], NULL, 10)) < 1 || n > 100000) {
    fprintf(stderr, "usage: fillops DB N\n");
    return 2;
  }
  if (local_open(&dev, argv[1], err)) {
    fprintf(stderr, "fillops: %s\n", err);
    return 1;
  }
  buf_init(&enc, 0);
  rc = store_begin(dev.st);
  if (!rc)
    rc = store_next_seq(dev.st, &next);
  for (long i = 0; i < n && !rc; i++) {
    struct edit_flag flags[4] = {{"received-on", "2024-03-15"},
                                 {"category", "rural_transport"},
                                 {"content", text},
                                 {"citizen", citizen}};
    struct mresult res;
    uint8_t rid[ID_LEN];
    struct op op;
    snprintf(text, sizeof(text),
             "Kiến nghị số %ld: đường liên ấp bị sạt lở, đề nghị sửa chữa "
             "trước mùa mưa",
             i);
    snprintf(citizen, sizeof(citizen), "Nguyễn Văn Dân %ld", i);
    memset(&op, 0, sizeof(op));
    memcpy(op.node, dev.node, ID_LEN);
    id_uuidv7(rid, clock_now_ms());
    op.seq = next + (uint64_t)i;
    buf_reset(&enc);
    rc = store_hlc_tick(dev.st, &op.hlc);
    if (!rc)
      rc = edit_build(dev.st, &op, ENT_PETITION, rid, true, dev.commune, flags,
                      4, &arena, err);
    if (!rc)
      rc = store_apply(dev.st, &op, &res);
    if (!rc)
      rc = proto_op_encode(&enc, &op, false);
    if (!rc)
      rc = store_outbox_add(dev.st, op.seq, op.hlc, rid, enc.data, enc.len);
  }
  if (!rc)
    rc = store_commit(dev.st);
  else
    store_rollback(dev.st);
  buf_cleanup(&enc);
  local_close(&dev);
  if (rc) {
    fprintf(stderr, "fillops: could not queue the petitions (%s)\n",
            ds_errname(rc));
    return 1;
  }
  return 0;
}
