/* SPDX-License-Identifier: MIT
 * libFuzzer target: bundles (DESIGN §12) as both sides read them. The first
 * byte chooses: even, the rest is one frame (head, request with its
 * request body, response with its response body, end), as the district and
 * the device decode frames; odd, the rest is a whole bundle file, opened as
 * an export and as an answer sealed to a fixed key (the seeds, made by
 * make_seeds, are sealed to it) and read frame by frame. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "common/bundle.h"
#include "proto/bundle.h"
#include "proto/codec.h"

#define FUZZ_KEY_SEED 0x42 /* make_seeds.c seals its seeds to this key */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_frame(const uint8_t *p, size_t n) {
  char err[DS_ERRBUF_LEN];
  struct proto_bundle_frame f;
  struct op op;
  int rc = 0;

  if (proto_bundle_decode(&f, p, n, err))
    return;
  if (f.type == PROTO_BUNDLE_REQ) {
    struct proto_req req;
    if (proto_req_decode(&req, f.body, f.len, err) == 0) {
      for (uint32_t i = 0; i < req.nops; i++)
        rc |= proto_req_op(&req, i, &op, NULL, err);
      proto_req_cleanup(&req);
    }
  } else if (f.type == PROTO_BUNDLE_RESP) {
    struct proto_resp resp;
    if (proto_resp_decode(&resp, f.body, f.len, err) == 0) {
      for (uint32_t i = 0; i < resp.nops; i++)
        rc |= proto_resp_op(&resp, i, &op, err);
      proto_resp_cleanup(&resp);
    }
  }
  proto_bundle_cleanup(&f);
  (void)rc;
}

static void whole(const uint8_t *p, size_t n) {
  static char path[64];
  static uint8_t x_pk[32], x_sk[32];
  static const char kinds[] = {BUNDLE_KIND_EXPORT, BUNDLE_KIND_ANSWER};
  char err[DS_ERRBUF_LEN];
  struct buf frame;
  FILE *f;

  if (!path[0]) {
    uint8_t seed[32], pk[32], sk[64];
    int fd;
    if (sodium_init() < 0)
      abort();
    memset(seed, FUZZ_KEY_SEED, sizeof(seed));
    crypto_sign_seed_keypair(pk, sk, seed);
    if (bundle_x25519(pk, sk, x_pk, x_sk))
      abort();
    snprintf(path, sizeof(path), "/tmp/fuzz_bundle.XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
      abort();
    close(fd);
  }
  f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n)
    abort();
  fclose(f);
  buf_init(&frame, 0);
  for (size_t k = 0; k < sizeof(kinds); k++) {
    struct bundle_reader *r;
    bool last = false;
    if (bundle_reader_open(&r, path, kinds[k], x_pk, x_sk, "the fuzzer", err))
      continue;
    while (!last && bundle_reader_next(r, &frame, &last, err) == 0)
      one_frame(frame.data, frame.len);
    bundle_reader_free(r);
  }
  buf_cleanup(&frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  if (data[0] & 1)
    whole(data + 1, size - 1);
  else
    one_frame(data + 1, size - 1);
  return 0;
}
