/* SPDX-License-Identifier: MIT
 * libFuzzer target: the daemon's request decoder and validator. Any bytes:
 * decode the request, then every op (with its raw copy, as quarantine
 * takes it). Nothing may crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[DS_ERRBUF_LEN];
  struct proto_req req;
  struct buf raw;

  if (proto_req_decode(&req, data, size, err))
    return 0;
  buf_init(&raw, 0);
  for (uint32_t i = 0; i < req.nops; i++) {
    struct op op;
    buf_reset(&raw);
    if (proto_req_op(&req, i, &op, &raw, err) == 0 && op.nset < 1)
      __builtin_trap(); /* a decoded op always sets a field */
  }
  buf_cleanup(&raw);
  proto_req_cleanup(&req);
  return 0;
}
