/* SPDX-License-Identifier: MIT
 * codec_int.h -- what proto/codec.c (ops, errors) and proto/codec_msg.c
 * (requests, responses) share: msgpack-c helpers. proto/ only. */
#ifndef DS_PROTO_CODEC_INT_H
#define DS_PROTO_CODEC_INT_H
#include <stdbool.h>
#include <string.h>

#include <msgpack.h>

#include "common/buf.h"
#include "common/op.h"

static inline int key_is(const msgpack_object *k, const char *name) {
  size_t n = strlen(name);
  return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
         memcmp(k->via.str.ptr, name, n) == 0;
}

static inline int get_uint(const msgpack_object *o, uint64_t *out) {
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return -1;
  *out = o->via.u64;
  return 0;
}

static inline int get_bin(const msgpack_object *o, uint8_t *out, size_t n) {
  if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
    return -1;
  memcpy(out, o->via.bin.ptr, n);
  return 0;
}

static inline const msgpack_object *map_get(const msgpack_object *m,
                                            const char *name) {
  for (uint32_t k = 0; k < m->via.map.size; k++)
    if (key_is(&m->via.map.ptr[k].key, name))
      return &m->via.map.ptr[k].val;
  return NULL;
}

static inline int write_cb(void *data, const char *p, size_t n) {
  return buf_append(data, p, n) ? -1 : 0;
}

static inline int pack_key(msgpack_packer *pk, const char *k) {
  size_t n = strlen(k);
  return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, k, n);
}

static inline int pack_bin(msgpack_packer *pk, const void *p, size_t n) {
  return msgpack_pack_bin(pk, n) || msgpack_pack_bin_body(pk, p, n);
}

/* Checks |body| with mpwalk, then unpacks it: one msgpack map filling
 * exactly |len| bytes. DS_EPROTO (|errbuf| says why), DS_ENOMEM. */
int proto__unpack(msgpack_unpacked **out, const void *body, size_t len,
                  char *errbuf);
/* Frees what proto__unpack made. NULL is a no-op. */
void proto__unpacked_free(void *priv);
/* Decodes op map |o| into |op|; |want_node|: it carries "node" (the form
 * in responses); |check|: op_check it (false only for bytes that passed
 * it already). DS_EBADOP with |errbuf| naming the op and the field. */
int proto__decode_op(const msgpack_object *o, struct op *op, bool want_node,
                     bool check, char *errbuf);
#endif
