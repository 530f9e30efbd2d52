/* SPDX-License-Identifier: MIT
 * codec.h -- the wire format of DESIGN §6, sans I/O: msgpack encode and
 * decode of sync requests, responses, ops and error bodies, with validation
 * against the schema. Decoded views point into the caller's body bytes,
 * which must outlive them. */
#ifndef DS_PROTO_CODEC_H
#define DS_PROTO_CODEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/op.h"

/* Wire constants (DESIGN §6). */
#define PROTO_VERSION 1
#define PROTO_MAX_BODY (8u * 1024u * 1024u)
#define PROTO_MAX_OPS 5000
#define PROTO_HASH_LEN 32
#define PROTO_MAX_DEPTH 8

/* Whole-request error codes (DESIGN §6) and per-op rejection codes. */
#define PROTO_E_BAD_REQUEST "bad_request"
#define PROTO_E_VERSION "unsupported_version"
#define PROTO_E_UNAUTHORIZED "unauthorized"
#define PROTO_E_GAP "gap"
#define PROTO_E_SKEW "clock_skew"
#define PROTO_E_STALE "stale" /* DESIGN §11: older than --max-skew */
#define PROTO_E_TOO_LARGE "too_large"
#define PROTO_E_UNAVAILABLE "unavailable"
#define PROTO_E_BAD_OP "bad_op"
#define PROTO_E_FORBIDDEN "forbidden"
#define PROTO_E_NOT_FOUND "not_found"

/* A request's header fields. */
struct proto_req {
  uint64_t ts, hlc, cursor, limit;
  uint8_t node[ID_LEN];
  bool has_cursor_hash;
  uint8_t cursor_hash[PROTO_HASH_LEN];
  /* Optional "lost_head" (DESIGN §11): a signed head the device held that
   * a later answer showed the district's log no longer holds. */
  bool has_lost_head;
  uint64_t lost_cursor;
  uint8_t lost_hash[PROTO_HASH_LEN];
  uint32_t nops;
  uint64_t first_seq; /* seq of ops[0]; the ops are first_seq, +1, ... */
  void *priv;         /* the unpacked tree */
  const uint8_t *body;
  uint32_t *op_off; /* op i is body[op_off[i] .. op_off[i + 1]) */
};

/* Decodes a request body. Checks its shape: a map with exactly the keys of
 * §6, "v" 1, at most PROTO_MAX_OPS ops, each a map with a uint "seq", the
 * seqs consecutive. The ops themselves are decoded one by one with
 * proto_req_op. Returns 0; DS_EPROTO (bad_request), DS_EVERSION, DS_ETOOBIG
 * (too many ops), DS_ENOMEM; |errbuf| says why. On failure |req| needs no
 * cleanup. */
DS_NODISCARD int proto_req_decode(struct proto_req *req, const void *body,
                                  size_t len, char *errbuf);
/* Decodes and validates op |i| into |op| (with op->node = the request's
 * node). op->seq is always set. Returns 0 or DS_EBADOP with |errbuf| saying
 * "op 3: field 'attendees' must be an integer 0..100000". When |raw| is not
 * NULL the op's msgpack is appended to it, also on DS_EBADOP. */
DS_NODISCARD int proto_req_op(const struct proto_req *req, uint32_t i,
                              struct op *op, struct buf *raw, char *errbuf);
/* proto_req_op, with op_check only if |check|: false only for an op
 * proto_req_op already decoded without error from these same bytes (the
 * daemon checks a request's ops before its writer, which then only
 * merges). */
DS_NODISCARD int proto_req_op_checked(const struct proto_req *req, uint32_t i,
                                      struct op *op, struct buf *raw,
                                      bool check, char *errbuf);
void proto_req_cleanup(struct proto_req *req);

/* Op |i|'s bytes as they are in the request body: its offset and length. */
void proto_req_op_span(const struct proto_req *req, uint32_t i, uint32_t *off,
                       uint32_t *len);
/* Appends the response form of an op given as the bytes a request carried
 * it in (a map without "node"): the same map with "node" added. Returns 0,
 * DS_EPROTO (not such a map), DS_ENOMEM. */
DS_NODISCARD int proto_op_with_node(struct buf *out, const uint8_t *raw,
                                    size_t len, const uint8_t node[ID_LEN]);

/* Encodes a request whose ops are the concatenated encodings in |ops|
 * (|nops| of them, each from proto_op_encode without node). */
DS_NODISCARD int proto_req_encode(struct buf *out, const struct proto_req *hdr,
                                  const void *ops, size_t ops_len,
                                  uint32_t nops);
/* The same request's head alone, up to the ops array's header: the ops'
 * encodings follow it. It is never longer than PROTO_REQ_HEAD_MAX bytes:
 * 211 with every optional member and the largest numbers (test_codec). */
#define PROTO_REQ_HEAD_MAX 256
DS_NODISCARD int proto_req_head(struct buf *out, const struct proto_req *hdr,
                                uint32_t nops);

/* Encodes one op as a msgpack map; with |with_node| it carries "node" (the
 * form in responses). */
DS_NODISCARD int proto_op_encode(struct buf *out, const struct op *op,
                                 bool with_node);

/* Decodes one op map (as stored in an outbox, inbox or oplog). */
DS_NODISCARD int proto_op_decode(const void *bytes, size_t len, struct op *op,
                                 bool with_node, void **priv, char *errbuf);
/* Frees what proto_op_decode kept for the op's values (*priv). */
void proto_op_release(void *priv);

struct proto_rejected {
  uint64_t seq;
  const char *error;
  size_t error_len;
  const char *message;
  size_t message_len;
};

/* A response's header fields. */
struct proto_resp {
  uint64_t acked, hlc, cursor, conflicts;
  bool has_cursor_hash;
  uint8_t cursor_hash[PROTO_HASH_LEN];
  /* Optional "head_lost" (DESIGN §11): the request's cursor with its hash
   * is not in this log, so the pull started over from 0. */
  bool head_lost;
  bool more;
  uint32_t nops, nrejected;
  void *priv;
};

/* Writes a response's map header and scalar fields, then "ops" with an array
 * header of |hdr->nops|: the caller appends that many encoded ops (with
 * node), then calls proto_resp_end with the rejected list. */
DS_NODISCARD int proto_resp_begin(struct buf *out,
                                  const struct proto_resp *hdr);
DS_NODISCARD int proto_resp_end(struct buf *out,
                                const struct proto_rejected *rej,
                                uint32_t nrej);
/* Decodes a response body; ops and rejections are then read by index. */
DS_NODISCARD int proto_resp_decode(struct proto_resp *resp, const void *body,
                                   size_t len, char *errbuf);
DS_NODISCARD int proto_resp_op(const struct proto_resp *resp, uint32_t i,
                               struct op *op, char *errbuf);
DS_NODISCARD int proto_resp_rejected(const struct proto_resp *resp, uint32_t i,
                                     struct proto_rejected *out);
void proto_resp_cleanup(struct proto_resp *resp);

/* Error bodies: {"error": code, "message": text[, "expected": uint]}. */
DS_NODISCARD int proto_error_encode(struct buf *out, const char *code,
                                    const char *message, bool has_expected,
                                    uint64_t expected);
/* Decodes an error body into NUL-terminated |code| and |message| (truncated
 * to their sizes). */
DS_NODISCARD int proto_error_decode(const void *body, size_t len, char *code,
                                    size_t code_cap, char *message,
                                    size_t message_cap, bool *has_expected,
                                    uint64_t *expected);
#endif
