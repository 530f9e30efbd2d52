/* SPDX-License-Identifier: MIT
 * bundle.h -- the frames inside a sneakernet bundle (DESIGN §12,
 * docs/PROTOCOL.md "Bundles"), sans I/O: msgpack encode and decode of the
 * head, request, response and end frames. The container around them
 * (magic line, sealing, framing) is common/bundle.c. Decoded views point
 * into the frame, which must outlive them until proto_bundle_cleanup. */
#ifndef DS_PROTO_BUNDLE_H
#define DS_PROTO_BUNDLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/id.h"

#define PROTO_BUNDLE_VERSION 1
#define PROTO_BUNDLE_TOKEN_MAX 128

enum proto_bundle_type {
  PROTO_BUNDLE_HEAD = 1, /* first frame: who and what */
  PROTO_BUNDLE_REQ,      /* export: one signed request body */
  PROTO_BUNDLE_RESP,     /* answer: one response to a request */
  PROTO_BUNDLE_END       /* last frame: count, and the answer's signature */
};

struct proto_bundle_frame {
  enum proto_bundle_type type;
  /* HEAD */
  bool answer;           /* "kind": "answer" (else "export") */
  uint8_t node[ID_LEN];  /* the device */
  uint8_t id[ID_LEN];    /* the export's id (an answer repeats it) */
  uint64_t made_ms, hlc; /* when made; the district's clock (answers) */
  bool has_key;          /* export before enrolment: the device's key */
  uint8_t key[32];
  char token[PROTO_BUNDLE_TOKEN_MAX + 1]; /* "" when none */
  /* REQ and RESP */
  const uint8_t *body;
  size_t len;
  uint8_t sig[64];      /* REQ: the device's; END: the district's */
  bool has_sig;         /* END only */
  uint32_t status;      /* RESP: the HTTP status ingestion gave */
  uint8_t req_hash[32]; /* RESP: BLAKE2b-256 of the request answered */
  /* END */
  uint64_t count; /* frames before this one */
  void *priv;
};

/* Each appends one frame's msgpack to |out|. */
DS_NODISCARD int proto_bundle_head_encode(struct buf *out,
                                          const struct proto_bundle_frame *f);
DS_NODISCARD int proto_bundle_req_encode(struct buf *out, const void *body,
                                         size_t len, const uint8_t sig[64]);
DS_NODISCARD int proto_bundle_resp_encode(struct buf *out, uint32_t status,
                                          const uint8_t req_hash[32],
                                          const void *body, size_t len);
DS_NODISCARD int proto_bundle_end_encode(struct buf *out, uint64_t count,
                                         const uint8_t *sig);

/* Decodes one frame (exactly |len| bytes). DS_EPROTO with |errbuf| naming
 * what is wrong, DS_ENOMEM. On failure |f| needs no cleanup. */
DS_NODISCARD int proto_bundle_decode(struct proto_bundle_frame *f,
                                     const void *frame, size_t len,
                                     char *errbuf);
void proto_bundle_cleanup(struct proto_bundle_frame *f);
#endif
