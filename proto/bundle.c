/* SPDX-License-Identifier: MIT
 * bundle.c -- a bundle's frames in msgpack; see bundle.h. */
#include "proto/bundle.h"

#include <string.h>

#include <msgpack.h>

#include "common/alloc.h"
#include "proto/codec.h"
#include "proto/mpwalk.h"

static int write_cb(void *data, const char *p, size_t n) {
  return buf_append(data, p, n) ? -1 : 0;
}

static int pack_str(msgpack_packer *pk, const char *s) {
  size_t n = strlen(s);
  return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

static int pack_bin(msgpack_packer *pk, const void *p, size_t n) {
  return msgpack_pack_bin(pk, n) || msgpack_pack_bin_body(pk, p, n);
}

int proto_bundle_head_encode(struct buf *out,
                             const struct proto_bundle_frame *f) {
  msgpack_packer pk;
  int bad;
  msgpack_packer_init(&pk, out, write_cb);
  bad =
      msgpack_pack_map(&pk, 7 + (f->has_key ? 1 : 0) + (f->token[0] ? 1 : 0)) ||
      pack_str(&pk, "t") || pack_str(&pk, "head") || pack_str(&pk, "v") ||
      msgpack_pack_uint64(&pk, PROTO_BUNDLE_VERSION) || pack_str(&pk, "kind") ||
      pack_str(&pk, f->answer ? "answer" : "export") || pack_str(&pk, "node") ||
      pack_bin(&pk, f->node, ID_LEN) || pack_str(&pk, "id") ||
      pack_bin(&pk, f->id, ID_LEN) || pack_str(&pk, "made") ||
      msgpack_pack_uint64(&pk, f->made_ms) || pack_str(&pk, "hlc") ||
      msgpack_pack_uint64(&pk, f->hlc);
  if (f->has_key)
    bad = bad || pack_str(&pk, "key") || pack_bin(&pk, f->key, 32);
  if (f->token[0])
    bad = bad || pack_str(&pk, "token") || pack_str(&pk, f->token);
  return bad ? DS_ENOMEM : 0;
}

int proto_bundle_req_encode(struct buf *out, const void *body, size_t len,
                            const uint8_t sig[64]) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, write_cb);
  return msgpack_pack_map(&pk, 3) || pack_str(&pk, "t") ||
                 pack_str(&pk, "req") || pack_str(&pk, "body") ||
                 pack_bin(&pk, body, len) || pack_str(&pk, "sig") ||
                 pack_bin(&pk, sig, 64)
             ? DS_ENOMEM
             : 0;
}

int proto_bundle_resp_encode(struct buf *out, uint32_t status,
                             const uint8_t req_hash[32], const void *body,
                             size_t len) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, write_cb);
  return msgpack_pack_map(&pk, 4) || pack_str(&pk, "t") ||
                 pack_str(&pk, "resp") || pack_str(&pk, "status") ||
                 msgpack_pack_uint32(&pk, status) || pack_str(&pk, "req") ||
                 pack_bin(&pk, req_hash, 32) || pack_str(&pk, "body") ||
                 pack_bin(&pk, body, len)
             ? DS_ENOMEM
             : 0;
}

int proto_bundle_end_encode(struct buf *out, uint64_t count,
                            const uint8_t *sig) {
  msgpack_packer pk;
  int bad;
  msgpack_packer_init(&pk, out, write_cb);
  bad = msgpack_pack_map(&pk, sig ? 3 : 2) || pack_str(&pk, "t") ||
        pack_str(&pk, "end") || pack_str(&pk, "n") ||
        msgpack_pack_uint64(&pk, count);
  if (sig)
    bad = bad || pack_str(&pk, "sig") || pack_bin(&pk, sig, 64);
  return bad ? DS_ENOMEM : 0;
}

/* ---- decoding ---- */

static bool key_is(const msgpack_object *k, const char *s) {
  size_t n = strlen(s);
  return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
         memcmp(k->via.str.ptr, s, n) == 0;
}

static bool get_bin(const msgpack_object *o, uint8_t *out, size_t n) {
  if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
    return false;
  memcpy(out, o->via.bin.ptr, n);
  return true;
}

static bool get_uint(const msgpack_object *o, uint64_t *out) {
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return false;
  *out = o->via.u64;
  return true;
}

/* One key/value of a head frame; false when it does not belong. */
static bool head_field(struct proto_bundle_frame *f, const msgpack_object *k,
                       const msgpack_object *v, unsigned *seen) {
  uint64_t u = 0;
  if (key_is(k, "v")) {
    *seen |= 1;
    return get_uint(v, &u) && u == PROTO_BUNDLE_VERSION;
  }
  if (key_is(k, "kind")) {
    *seen |= 2;
    f->answer = key_is(v, "answer");
    return f->answer || key_is(v, "export");
  }
  *seen |= key_is(k, "node")   ? 4
           : key_is(k, "id")   ? 8
           : key_is(k, "made") ? 16
           : key_is(k, "hlc")  ? 32
                               : 0;
  if (key_is(k, "node"))
    return get_bin(v, f->node, ID_LEN);
  if (key_is(k, "id"))
    return get_bin(v, f->id, ID_LEN);
  if (key_is(k, "made"))
    return get_uint(v, &f->made_ms);
  if (key_is(k, "hlc"))
    return get_uint(v, &f->hlc);
  if (key_is(k, "key")) {
    f->has_key = true;
    return get_bin(v, f->key, 32);
  }
  if (key_is(k, "token")) {
    if (v->type != MSGPACK_OBJECT_STR || v->via.str.size == 0 ||
        v->via.str.size > PROTO_BUNDLE_TOKEN_MAX ||
        memchr(v->via.str.ptr, '\0', v->via.str.size))
      return false;
    memcpy(f->token, v->via.str.ptr, v->via.str.size);
    f->token[v->via.str.size] = '\0';
    return true;
  }
  return false;
}

/* One key/value of a req, resp or end frame. */
static bool body_field(struct proto_bundle_frame *f, const msgpack_object *k,
                       const msgpack_object *v, unsigned *seen) {
  uint64_t u = 0;
  if (key_is(k, "body") && v->type == MSGPACK_OBJECT_BIN) {
    *seen |= 1;
    f->body = (const uint8_t *)v->via.bin.ptr;
    f->len = v->via.bin.size;
    return f->len > 0 && f->len <= PROTO_MAX_BODY;
  }
  if (key_is(k, "sig")) {
    *seen |= 2;
    f->has_sig = get_bin(v, f->sig, 64);
    return f->has_sig;
  }
  if (key_is(k, "status")) {
    *seen |= 4;
    if (!get_uint(v, &u) || u < 100 || u > 599)
      return false;
    f->status = (uint32_t)u;
    return true;
  }
  *seen |= key_is(k, "req") ? 8 : key_is(k, "n") ? 16 : 0;
  if (key_is(k, "req"))
    return get_bin(v, f->req_hash, 32);
  if (key_is(k, "n"))
    return get_uint(v, &f->count);
  return false;
}

int proto_bundle_decode(struct proto_bundle_frame *f, const void *frame,
                        size_t len, char *errbuf) {
  static const unsigned need[] = {0, 63, 3, 13, 16};
  msgpack_unpacked *u;
  const msgpack_object *m;
  size_t used = 0, off = 0;
  unsigned seen = 0;
  bool ok = true;

  memset(f, 0, sizeof(*f));
  if (len == 0 || mpwalk(frame, len, 3, &used) || used != len)
    return ds_fail(errbuf, DS_EPROTO, "a frame is not one msgpack value");
  u = ds_malloc(sizeof(*u));
  if (!u)
    return DS_ENOMEM;
  msgpack_unpacked_init(u);
  if (msgpack_unpack_next(u, frame, len, &off) != MSGPACK_UNPACK_SUCCESS ||
      off != len || u->data.type != MSGPACK_OBJECT_MAP ||
      u->data.via.map.size == 0)
    goto bad;
  m = &u->data;
  {
    const msgpack_object *k = &m->via.map.ptr[0].key,
                         *v = &m->via.map.ptr[0].val;
    if (!key_is(k, "t"))
      goto bad;
    f->type = key_is(v, "head")   ? PROTO_BUNDLE_HEAD
              : key_is(v, "req")  ? PROTO_BUNDLE_REQ
              : key_is(v, "resp") ? PROTO_BUNDLE_RESP
              : key_is(v, "end")  ? PROTO_BUNDLE_END
                                  : 0;
    if (!f->type)
      goto bad;
  }
  for (uint32_t i = 1; ok && i < m->via.map.size; i++) {
    const msgpack_object *k = &m->via.map.ptr[i].key,
                         *v = &m->via.map.ptr[i].val;
    ok = f->type == PROTO_BUNDLE_HEAD ? head_field(f, k, v, &seen)
                                      : body_field(f, k, v, &seen);
  }
  if (!ok || (seen & need[f->type]) != need[f->type] ||
      (f->type == PROTO_BUNDLE_REQ && !f->has_sig))
    goto bad;
  f->priv = u;
  return 0;
bad:
  msgpack_unpacked_destroy(u);
  ds_free(u);
  memset(f, 0, sizeof(*f));
  return ds_fail(errbuf, DS_EPROTO, "a frame is not a bundle frame");
}

void proto_bundle_cleanup(struct proto_bundle_frame *f) {
  msgpack_unpacked *u = f->priv;
  if (u) {
    msgpack_unpacked_destroy(u);
    ds_free(u);
  }
  f->priv = NULL;
}
