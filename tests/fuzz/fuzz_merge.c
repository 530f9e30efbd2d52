/* SPDX-License-Identifier: MIT
 * libFuzzer target: the op merge path on an in-memory store, as the daemon
 * runs it: decode a request, check each op against the store and a scope,
 * merge what passes, and take the digest. The store persists across inputs
 * (so later inputs meet records earlier ones made) and is emptied now and
 * then to stay small. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "common/store.h"
#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static unsigned runs;

static void close_store(void) {
  store_close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[DS_ERRBUF_LEN], hex[65];
  struct proto_req req;

  if (!st) {
    if (store_open(&st, ":memory:", STORE_CREATE, err))
      abort();
    sqlite3_exec(store_sqlite(st),
                 "INSERT INTO commune VALUES ('hoa-an', 'Hòa An', 'xã'),"
                 " ('tan-long', 'Tân Long', 'xã')",
                 NULL, NULL, NULL);
    atexit(close_store);
  }
  if (++runs % 256 == 0)
    sqlite3_exec(store_sqlite(st),
                 "DELETE FROM rec; DELETE FROM conflict; DELETE FROM "
                 "search_dirty",
                 NULL, NULL, NULL);
  if (proto_req_decode(&req, data, size, err))
    return 0;
  if (store_begin(st) == 0) {
    for (uint32_t i = 0; i < req.nops; i++) {
      struct mresult res;
      struct op op;
      const char *scope = (i & 1) ? "hoa-an" : NULL;
      if (proto_req_op(&req, i, &op, NULL, err) == 0 &&
          store_check_op(st, &op, scope, true, NULL, err) == 0 &&
          store_apply(st, &op, &res) != 0)
        break;
    }
    if (store_commit(st))
      store_rollback(st);
  }
  if (store_digest(st, NULL, hex))
    abort(); /* a merged store must always have a digest */
  proto_req_cleanup(&req);
  return 0;
}
