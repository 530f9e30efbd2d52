/* SPDX-License-Identifier: MIT
 * libFuzzer target: the daemon's HTTP request handling, bytes in, response
 * out. The input is fed to the request parser in chunks whose sizes it
 * picks (so pipelined and split requests occur); each whole request is
 * answered as serve answers it, POST /v1/sync through ingest_sync on an
 * in-memory district store. Sync bodies are signed with an enrolled
 * device's key, so inputs reach the merge rather than stopping at 401. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/store.h"
#include "daemon/http.h"
#include "daemon/ingest.h"
#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static struct ingest *ing;
static uint8_t node[ID_LEN] = {0xaa, 0x01}; /* matches the seed requests */
static uint8_t sk[crypto_sign_SECRETKEYBYTES];
static unsigned runs;

static void done(void) {
  ingest_close(ing);
  store_close(st);
}

static void setup(void) {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  char err[DS_ERRBUF_LEN];
  sqlite3_stmt *s;

  if (sodium_init() < 0 ||
      store_open(&st, ":memory:", STORE_CREATE | STORE_DISTRICT, err) ||
      ingest_open(&ing, st))
    abort();
  crypto_sign_keypair(pk, sk);
  sqlite3_exec(store_sqlite(st),
               "INSERT INTO commune VALUES ('hoa-an', 'Hòa An', 'xã'),"
               " ('tan-long', 'Tân Long', 'xã')",
               NULL, NULL, NULL);
  sqlite3_prepare_v2(store_sqlite(st),
                     "INSERT INTO node(node, pubkey, commune, enrolled_ms) "
                     "VALUES (?1, ?2, 'hoa-an', 0)",
                     -1, &s, NULL);
  sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, pk, sizeof(pk), SQLITE_STATIC);
  sqlite3_step(s);
  sqlite3_finalize(s);
  atexit(done);
}

/* Answers one request as the server's dispatch does. */
static void answer(struct http_rp *rp) {
  struct ingest_req rq = {0};
  struct ingest_res rs;

  if (http_rp_path_is(rp, "/v1/health") || http_rp_path_is(rp, "/metrics") ||
      !http_rp_path_is(rp, "/v1/sync") || rp->method != HTTP_POST ||
      rp->body.len == 0)
    return; /* fixed answers: nothing to exercise beyond routing */
  rq.body = rp->body.data;
  rq.len = rp->body.len;
  rq.has_node = rq.has_sig = true;
  memcpy(rq.node, node, ID_LEN);
  crypto_sign_detached(rq.sig, NULL, rq.body, rq.len, sk);
  rq.received_ms = 1700000000000ull;
  /* The seeds are stamped near 0: a window this wide keeps them fresh
   * (DESIGN §11), so the fuzzer reaches the merge. */
  rq.max_skew_ms = 1700000000000ull;
  ingest_res_init(&rs);
  if (ingest_sync(ing, &rq, &rs) == 0 && rs.status == 200) {
    struct proto_resp r;
    char err[DS_ERRBUF_LEN];
    /* What the server sends must decode as a response. */
    if (proto_resp_decode(&r, rs.body.data, rs.body.len, err))
      abort();
    proto_resp_cleanup(&r);
  }
  ingest_res_cleanup(&rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct http_rp rp;
  size_t off = 0, chunk;

  if (!st)
    setup();
  if (++runs % 256 == 0)
    sqlite3_exec(store_sqlite(st),
                 "DELETE FROM rec; DELETE FROM conflict; DELETE FROM oplog; "
                 "DELETE FROM oprid;"
                 " DELETE FROM synclog; DELETE FROM quarantine;"
                 " DELETE FROM search_dirty; UPDATE node SET acked = 0",
                 NULL, NULL, NULL);
  if (size < 1)
    return 0;
  chunk = 1 + data[0] % 64; /* the input picks how the bytes arrive */
  data++, size--;
  http_rp_init(&rp, NULL, NULL);
  while (off < size) {
    size_t n = size - off < chunk ? size - off : chunk, used;
    int status;
    enum http_rp_status s =
        http_rp_feed(&rp, (const char *)data + off, n, &used, &status);
    off += used;
    if (s == HTTP_RP_ERROR) {
      if (status != 400 && status != 413 && status != 431)
        abort();
      break;
    }
    if (s == HTTP_RP_HEAD) /* serve judges the head here; read on */
      http_rp_resume(&rp);
    if (s == HTTP_RP_REQUEST) {
      answer(&rp);
      http_rp_resume(&rp);
    }
  }
  http_rp_cleanup(&rp);
  return 0;
}
