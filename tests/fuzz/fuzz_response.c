/* SPDX-License-Identifier: MIT
 * libFuzzer target: what the client decodes from the network: sync
 * responses (with their ops and rejections), error bodies, single ops. */
#include <stddef.h>
#include <stdint.h>

#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[DS_ERRBUF_LEN], code[32], msg[256];
  struct proto_resp resp;
  bool has;
  uint64_t exp;
  void *priv;
  struct op op;
  int rc;

  if (proto_resp_decode(&resp, data, size, err) == 0) {
    for (uint32_t i = 0; i < resp.nops; i++)
      rc = proto_resp_op(&resp, i, &op, err);
    for (uint32_t i = 0; i < resp.nrejected; i++) {
      struct proto_rejected r;
      rc = proto_resp_rejected(&resp, i, &r);
    }
    proto_resp_cleanup(&resp);
  }
  rc = proto_error_decode(data, size, code, sizeof(code), msg, sizeof(msg),
                          &has, &exp);
  if (proto_op_decode(data, size, &op, true, &priv, err) == 0)
    proto_op_release(priv);
  (void)rc;
  return 0;
}
