/* SPDX-License-Identifier: MIT
 * codec_msg.c -- msgpack-c encoding and decoding of sync requests and
 * responses, and the ops' spans in a request's bytes (what the daemon
 * keeps and serves verbatim: the bytes the device signed). */
#include "proto/codec.h"

#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "common/alloc.h"
#include "common/value.h"
#include "proto/codec_int.h"
#include "proto/mpfmt.h"
#include "proto/mpwalk.h"

/* ---- requests ---- */

static const msgpack_object *req_ops(const struct proto_req *req) {
  const msgpack_object *m = &((msgpack_unpacked *)req->priv)->data;
  for (uint32_t k = 0; k < m->via.map.size; k++)
    if (key_is(&m->via.map.ptr[k].key, "ops"))
      return &m->via.map.ptr[k].val;
  return NULL;
}

static uint64_t op_seq(const msgpack_object *o, int *ok) {
  uint64_t seq = 0;
  *ok = 0;
  if (o->type != MSGPACK_OBJECT_MAP)
    return 0;
  for (uint32_t k = 0; k < o->via.map.size; k++)
    if (key_is(&o->via.map.ptr[k].key, "seq"))
      *ok = get_uint(&o->via.map.ptr[k].val, &seq) == 0;
  return seq;
}

static int op_spans(struct proto_req *req, size_t len);

/* "lost_head": {"cursor": uint, "cursor_hash": bin 32}, nothing else. */
static int get_lost_head(const msgpack_object *o, struct proto_req *req) {
  unsigned seen = 0;
  if (o->type != MSGPACK_OBJECT_MAP || o->via.map.size != 2)
    return 1;
  for (uint32_t k = 0; k < 2; k++) {
    const msgpack_object *key = &o->via.map.ptr[k].key;
    const msgpack_object *val = &o->via.map.ptr[k].val;
    if (key_is(key, "cursor") && !(seen & 1) &&
        !get_uint(val, &req->lost_cursor))
      seen |= 1;
    else if (key_is(key, "cursor_hash") && !(seen & 2) &&
             !get_bin(val, req->lost_hash, PROTO_HASH_LEN))
      seen |= 2;
    else
      return 1;
  }
  return 0;
}

int proto_req_decode(struct proto_req *req, const void *body, size_t len,
                     char *errbuf) {
  enum {
    R_V = 1,
    R_NODE = 2,
    R_TS = 4,
    R_HLC = 8,
    R_CURSOR = 16,
    R_CHASH = 32,
    R_LIMIT = 64,
    R_OPS = 128,
    R_LOST = 256
  };
  const unsigned need =
      R_V | R_NODE | R_TS | R_HLC | R_CURSOR | R_LIMIT | R_OPS;
  msgpack_unpacked *u = NULL;
  const msgpack_object *m, *ops = NULL;
  unsigned seen = 0;
  uint64_t v = 0;
  int rc;

  memset(req, 0, sizeof(*req));
  if (len > PROTO_MAX_BODY)
    return ds_fail(errbuf, DS_ETOOBIG, "the body is larger than 8 MiB");
  rc = proto__unpack(&u, body, len, errbuf);
  if (rc)
    return rc;
  m = &u->data;
  rc = 0;
  for (uint32_t k = 0; k < m->via.map.size && !rc; k++) {
    const msgpack_object *key = &m->via.map.ptr[k].key;
    const msgpack_object *val = &m->via.map.ptr[k].val;
    unsigned bit = 0;
    int bad = 0;
    if (key_is(key, "v"))
      bit = R_V, bad = get_uint(val, &v);
    else if (key_is(key, "node"))
      bit = R_NODE, bad = get_bin(val, req->node, ID_LEN);
    else if (key_is(key, "ts"))
      bit = R_TS, bad = get_uint(val, &req->ts);
    else if (key_is(key, "hlc"))
      bit = R_HLC, bad = get_uint(val, &req->hlc);
    else if (key_is(key, "cursor"))
      bit = R_CURSOR, bad = get_uint(val, &req->cursor);
    else if (key_is(key, "cursor_hash"))
      bit = R_CHASH, bad = get_bin(val, req->cursor_hash, PROTO_HASH_LEN);
    else if (key_is(key, "limit"))
      bit = R_LIMIT, bad = get_uint(val, &req->limit);
    else if (key_is(key, "ops"))
      bit = R_OPS, ops = val, bad = val->type != MSGPACK_OBJECT_ARRAY;
    else if (key_is(key, "lost_head"))
      bit = R_LOST, bad = get_lost_head(val, req);
    if (!bit)
      rc = ds_fail(errbuf, DS_EPROTO, "the request has an unknown key");
    else if (seen & bit)
      rc = ds_fail(errbuf, DS_EPROTO, "the request repeats a key");
    else if (bad)
      rc = ds_fail(errbuf, DS_EPROTO, "request key '%.*s' has the wrong type",
                   (int)key->via.str.size, key->via.str.ptr);
    seen |= bit;
  }
  if (!rc && (seen & R_V) && v != PROTO_VERSION)
    rc = ds_fail(errbuf, DS_EVERSION,
                 "protocol version %llu is not supported (this daemon speaks "
                 "version %d)",
                 (unsigned long long)v, PROTO_VERSION);
  if (!rc && (seen & need) != need)
    rc = ds_fail(errbuf, DS_EPROTO,
                 "the request needs v, node, ts, hlc, cursor, limit and ops");
  if (!rc && ops->via.array.size > PROTO_MAX_OPS)
    rc = ds_fail(errbuf, DS_ETOOBIG, "the request has %u ops; the limit is %d",
                 ops->via.array.size, PROTO_MAX_OPS);
  for (uint32_t i = 0; !rc && ops && i < ops->via.array.size; i++) {
    int ok;
    uint64_t seq = op_seq(&ops->via.array.ptr[i], &ok);
    if (!ok)
      rc = ds_fail(errbuf, DS_EPROTO, "op %u of the request has no seq", i);
    else if (i == 0)
      req->first_seq = seq;
    else if (seq != req->first_seq + i)
      rc = ds_fail(errbuf, DS_EPROTO,
                   "the request's op seqs are not consecutive at op %u", i);
  }
  if (!rc && req->first_seq == 0 && ops->via.array.size)
    rc = ds_fail(errbuf, DS_EPROTO, "op seqs start at 1");
  if (rc) {
    proto__unpacked_free(u);
    memset(req, 0, sizeof(*req));
    return rc;
  }
  req->has_cursor_hash = (seen & R_CHASH) != 0;
  req->has_lost_head = (seen & R_LOST) != 0;
  req->nops = ops->via.array.size;
  req->priv = u;
  req->body = (const uint8_t *)body;
  rc = op_spans(req, len);
  if (rc) {
    proto_req_cleanup(req);
    memset(req, 0, sizeof(*req));
  }
  return rc;
}

int proto_req_op(const struct proto_req *req, uint32_t i, struct op *op,
                 struct buf *raw, char *errbuf) {
  return proto_req_op_checked(req, i, op, raw, true, errbuf);
}

int proto_req_op_checked(const struct proto_req *req, uint32_t i, struct op *op,
                         struct buf *raw, bool check, char *errbuf) {
  const msgpack_object *ops = req_ops(req), *o;
  int ok;

  if (!ops || i >= ops->via.array.size)
    return DS_EINVAL;
  o = &ops->via.array.ptr[i];
  memcpy(op->node, req->node, ID_LEN);
  op->seq = op_seq(o, &ok);
  if (raw) {
    msgpack_packer pk;
    msgpack_packer_init(&pk, raw, write_cb);
    if (msgpack_pack_object(&pk, *o))
      return DS_ENOMEM;
  }
  return proto__decode_op(o, op, false, check, errbuf);
}

void proto_req_cleanup(struct proto_req *req) {
  proto__unpacked_free(req->priv);
  req->priv = NULL;
  DS_FREE(req->op_off);
}

void proto_req_op_span(const struct proto_req *req, uint32_t i, uint32_t *off,
                       uint32_t *len) {
  *off = req->op_off[i];
  *len = req->op_off[i + 1] - req->op_off[i];
}

/* The request map's "ops" key, as msgpack writes it. */
static const uint8_t ops_key[] = {MP_FIXSTR | 3, 'o', 'p', 's'};

/* Finds where each op lies in the body (already checked well-formed), so
 * the daemon can keep and serve ops as the bytes that were signed. */
static int op_spans(struct proto_req *req, size_t len) {
  const uint8_t *p = req->body;
  size_t at, hlen, used;
  uint32_t npairs, nops;

  req->op_off = ds_malloc(((size_t)req->nops + 1) * sizeof(uint32_t));
  if (!req->op_off)
    return DS_ENOMEM;
  if (mpwalk_container(p, len, true, &npairs, &hlen))
    return DS_EPROTO;
  at = hlen;
  for (uint32_t k = 0; k < npairs; k++) {
    bool is_ops = len - at >= sizeof(ops_key) &&
                  memcmp(p + at, ops_key, sizeof(ops_key)) == 0;
    if (mpwalk(p + at, len - at, PROTO_MAX_DEPTH, &used))
      return DS_EPROTO;
    at += used;
    if (is_ops) {
      if (mpwalk_container(p + at, len - at, false, &nops, &hlen) ||
          nops != req->nops)
        return DS_EPROTO;
      at += hlen;
      for (uint32_t i = 0; i < nops; i++) {
        req->op_off[i] = (uint32_t)at;
        if (mpwalk(p + at, len - at, PROTO_MAX_DEPTH, &used))
          return DS_EPROTO;
        at += used;
      }
      req->op_off[nops] = (uint32_t)at;
      return 0;
    }
    if (mpwalk(p + at, len - at, PROTO_MAX_DEPTH, &used))
      return DS_EPROTO;
    at += used;
  }
  return DS_EPROTO;
}

int proto_op_with_node(struct buf *out, const uint8_t *raw, size_t len,
                       const uint8_t node[ID_LEN]) {
  uint32_t n;
  size_t hlen;
  int rc;

  /* The map's header counts one pair more; its pairs stay as they were
   * (the bytes the device signed) and "node" follows them. */
  if (mpwalk_container(raw, len, true, &n, &hlen) || n >= 0xffff)
    return DS_EPROTO;
  rc = buf_reserve(out, len + 3 + 5 + 2 + ID_LEN);
  if (!rc)
    rc = mp_put_map(out, n + 1);
  if (!rc)
    rc = buf_append(out, raw + hlen, len - hlen);
  if (!rc)
    rc = mp_put_str(out, "node", 4);
  if (!rc)
    rc = mp_put_bin(out, node, ID_LEN);
  return rc;
}

int proto_req_encode(struct buf *out, const struct proto_req *hdr,
                     const void *ops, size_t ops_len, uint32_t nops) {
  int rc = proto_req_head(out, hdr, nops);
  return rc ? rc : buf_append(out, ops, ops_len);
}

int proto_req_head(struct buf *out, const struct proto_req *hdr,
                   uint32_t nops) {
  msgpack_packer pk;
  int bad;

  msgpack_packer_init(&pk, out, write_cb);
  bad = msgpack_pack_map(&pk, 7 + (hdr->has_cursor_hash ? 1 : 0) +
                                  (hdr->has_lost_head ? 1 : 0));
  bad = bad || pack_key(&pk, "v") || msgpack_pack_uint64(&pk, PROTO_VERSION);
  bad = bad || pack_key(&pk, "node") || pack_bin(&pk, hdr->node, ID_LEN);
  bad = bad || pack_key(&pk, "ts") || msgpack_pack_uint64(&pk, hdr->ts);
  if (hdr->has_lost_head)
    bad = bad || pack_key(&pk, "lost_head") || msgpack_pack_map(&pk, 2) ||
          pack_key(&pk, "cursor") ||
          msgpack_pack_uint64(&pk, hdr->lost_cursor) ||
          pack_key(&pk, "cursor_hash") ||
          pack_bin(&pk, hdr->lost_hash, PROTO_HASH_LEN);
  bad = bad || pack_key(&pk, "hlc") || msgpack_pack_uint64(&pk, hdr->hlc);
  bad = bad || pack_key(&pk, "cursor") || msgpack_pack_uint64(&pk, hdr->cursor);
  if (hdr->has_cursor_hash)
    bad = bad || pack_key(&pk, "cursor_hash") ||
          pack_bin(&pk, hdr->cursor_hash, PROTO_HASH_LEN);
  bad = bad || pack_key(&pk, "limit") || msgpack_pack_uint64(&pk, hdr->limit);
  bad = bad || pack_key(&pk, "ops") || msgpack_pack_array(&pk, nops);
  return bad ? DS_ENOMEM : 0;
}

/* ---- responses ---- */

int proto_resp_begin(struct buf *out, const struct proto_resp *hdr) {
  msgpack_packer pk;
  int bad;

  msgpack_packer_init(&pk, out, write_cb);
  bad = msgpack_pack_map(&pk, 8 + (hdr->has_cursor_hash ? 1 : 0) +
                                  (hdr->head_lost ? 1 : 0));
  bad = bad || pack_key(&pk, "v") || msgpack_pack_uint64(&pk, PROTO_VERSION);
  bad = bad || pack_key(&pk, "acked") || msgpack_pack_uint64(&pk, hdr->acked);
  if (hdr->head_lost)
    bad = bad || pack_key(&pk, "head_lost") || msgpack_pack_true(&pk);
  bad = bad || pack_key(&pk, "hlc") || msgpack_pack_uint64(&pk, hdr->hlc);
  bad = bad || pack_key(&pk, "cursor") || msgpack_pack_uint64(&pk, hdr->cursor);
  if (hdr->has_cursor_hash)
    bad = bad || pack_key(&pk, "cursor_hash") ||
          pack_bin(&pk, hdr->cursor_hash, PROTO_HASH_LEN);
  bad = bad || pack_key(&pk, "more") ||
        (hdr->more ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk));
  bad = bad || pack_key(&pk, "conflicts") ||
        msgpack_pack_uint64(&pk, hdr->conflicts);
  bad = bad || pack_key(&pk, "ops") || msgpack_pack_array(&pk, hdr->nops);
  return bad ? DS_ENOMEM : 0;
}

int proto_resp_end(struct buf *out, const struct proto_rejected *rej,
                   uint32_t nrej) {
  msgpack_packer pk;
  int bad;

  msgpack_packer_init(&pk, out, write_cb);
  bad = pack_key(&pk, "rejected") || msgpack_pack_array(&pk, nrej);
  for (uint32_t i = 0; i < nrej && !bad; i++) {
    bad = msgpack_pack_map(&pk, 3) || pack_key(&pk, "seq") ||
          msgpack_pack_uint64(&pk, rej[i].seq) || pack_key(&pk, "error") ||
          msgpack_pack_str(&pk, rej[i].error_len) ||
          msgpack_pack_str_body(&pk, rej[i].error, rej[i].error_len) ||
          pack_key(&pk, "message") ||
          msgpack_pack_str(&pk, rej[i].message_len) ||
          msgpack_pack_str_body(&pk, rej[i].message, rej[i].message_len);
  }
  return bad ? DS_ENOMEM : 0;
}

int proto_resp_decode(struct proto_resp *resp, const void *body, size_t len,
                      char *errbuf) {
  const msgpack_object *m, *o, *ops, *rej;
  msgpack_unpacked *u = NULL;
  uint64_t v;
  int rc;

  memset(resp, 0, sizeof(*resp));
  rc = proto__unpack(&u, body, len, errbuf);
  if (rc)
    return rc;
  m = &u->data;
  ops = map_get(m, "ops");
  rej = map_get(m, "rejected");
  rc = DS_EPROTO;
  if (!(o = map_get(m, "v")) || get_uint(o, &v) || v != PROTO_VERSION)
    goto fail;
  if (!(o = map_get(m, "acked")) || get_uint(o, &resp->acked))
    goto fail;
  if (!(o = map_get(m, "hlc")) || get_uint(o, &resp->hlc))
    goto fail;
  if (!(o = map_get(m, "cursor")) || get_uint(o, &resp->cursor))
    goto fail;
  if ((o = map_get(m, "cursor_hash"))) {
    if (get_bin(o, resp->cursor_hash, PROTO_HASH_LEN))
      goto fail;
    resp->has_cursor_hash = true;
  }
  if (!(o = map_get(m, "more")) || o->type != MSGPACK_OBJECT_BOOLEAN)
    goto fail;
  resp->more = o->via.boolean;
  if ((o = map_get(m, "head_lost"))) {
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
      goto fail;
    resp->head_lost = o->via.boolean;
  }
  if ((o = map_get(m, "conflicts")) && get_uint(o, &resp->conflicts))
    goto fail;
  if (!ops || ops->type != MSGPACK_OBJECT_ARRAY || !rej ||
      rej->type != MSGPACK_OBJECT_ARRAY)
    goto fail;
  resp->nops = ops->via.array.size;
  resp->nrejected = rej->via.array.size;
  resp->priv = u;
  return 0;
fail:
  proto__unpacked_free(u);
  memset(resp, 0, sizeof(*resp));
  return ds_fail(errbuf, rc, "the server's response is not a sync response");
}

int proto_resp_op(const struct proto_resp *resp, uint32_t i, struct op *op,
                  char *errbuf) {
  const msgpack_object *ops =
      map_get(&((msgpack_unpacked *)resp->priv)->data, "ops");
  int ok;
  if (!ops || i >= ops->via.array.size)
    return DS_EINVAL;
  op->seq = op_seq(&ops->via.array.ptr[i], &ok);
  return proto__decode_op(&ops->via.array.ptr[i], op, true, true, errbuf);
}

int proto_resp_rejected(const struct proto_resp *resp, uint32_t i,
                        struct proto_rejected *out) {
  const msgpack_object *rej =
      map_get(&((msgpack_unpacked *)resp->priv)->data, "rejected");
  const msgpack_object *r, *o;

  if (!rej || i >= rej->via.array.size)
    return DS_EINVAL;
  r = &rej->via.array.ptr[i];
  memset(out, 0, sizeof(*out));
  if (r->type != MSGPACK_OBJECT_MAP || !(o = map_get(r, "seq")) ||
      get_uint(o, &out->seq))
    return DS_EPROTO;
  if ((o = map_get(r, "error")) && o->type == MSGPACK_OBJECT_STR) {
    out->error = o->via.str.ptr;
    out->error_len = o->via.str.size;
  }
  if ((o = map_get(r, "message")) && o->type == MSGPACK_OBJECT_STR) {
    out->message = o->via.str.ptr;
    out->message_len = o->via.str.size;
  }
  return 0;
}

void proto_resp_cleanup(struct proto_resp *resp) {
  proto__unpacked_free(resp->priv);
  resp->priv = NULL;
}
