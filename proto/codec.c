/* SPDX-License-Identifier: MIT
 * codec.c -- msgpack-c encoding and decoding of the sync protocol. */
#include "proto/codec.h"

#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "common/alloc.h"
#include "proto/mpfmt.h"
#include "proto/mpwalk.h"

/* ---- helpers ---- */

static int key_is(const msgpack_object *k, const char *name) {
  size_t n = strlen(name);
  return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
         memcmp(k->via.str.ptr, name, n) == 0;
}

static int get_uint(const msgpack_object *o, uint64_t *out) {
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return -1;
  *out = o->via.u64;
  return 0;
}

static int get_bin(const msgpack_object *o, uint8_t *out, size_t n) {
  if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
    return -1;
  memcpy(out, o->via.bin.ptr, n);
  return 0;
}

/* Unpacks one msgpack object filling exactly |len| bytes of |body|. */
static int unpack(msgpack_unpacked **out, const void *body, size_t len,
                  char *errbuf) {
  msgpack_unpacked *u = NULL;
  size_t used, off = 0;
  msgpack_unpack_return r;

  if (len == 0 || mpwalk(body, len, PROTO_MAX_DEPTH, &used) || used != len)
    return ds_fail(errbuf, DS_EPROTO,
                   "the body is not one well-formed msgpack value");
  u = ds_malloc(sizeof(*u));
  if (!u)
    return DS_ENOMEM;
  msgpack_unpacked_init(u);
  r = msgpack_unpack_next(u, body, len, &off);
  if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
    msgpack_unpacked_destroy(u);
    ds_free(u);
    return r == MSGPACK_UNPACK_NOMEM_ERROR
               ? DS_ENOMEM
               : ds_fail(errbuf, DS_EPROTO,
                         "the body is not one well-formed msgpack value");
  }
  if (u->data.type != MSGPACK_OBJECT_MAP) {
    msgpack_unpacked_destroy(u);
    ds_free(u);
    return ds_fail(errbuf, DS_EPROTO, "the body is not a msgpack map");
  }
  *out = u;
  return 0;
}

static void unpacked_free(void *priv) {
  msgpack_unpacked *u = priv;
  if (!u)
    return;
  msgpack_unpacked_destroy(u);
  ds_free(u);
}

static int write_cb(void *data, const char *p, size_t n) {
  return buf_append(data, p, n) ? -1 : 0;
}

static int pack_key(msgpack_packer *pk, const char *k) {
  size_t n = strlen(k);
  return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, k, n);
}

static int pack_bin(msgpack_packer *pk, const void *p, size_t n) {
  return msgpack_pack_bin(pk, n) || msgpack_pack_bin_body(pk, p, n);
}

/* ---- ops ---- */

/* Converts a msgpack value; what has no field type becomes an empty bin,
 * which every field refuses with its own "must be ..." sentence. */
static void to_value(const msgpack_object *o, struct value *v) {
  memset(v, 0, sizeof(*v));
  v->type = VAL_BIN;
  v->s = "";
  switch (o->type) {
  case MSGPACK_OBJECT_NIL: v->type = VAL_NIL; break;
  case MSGPACK_OBJECT_BOOLEAN:
    v->type = VAL_BOOL;
    v->i = o->via.boolean;
    break;
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    if (o->via.u64 <= INT64_MAX) {
      v->type = VAL_INT;
      v->i = (int64_t)o->via.u64;
    }
    break;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    v->type = VAL_INT;
    v->i = o->via.i64;
    break;
  case MSGPACK_OBJECT_STR:
    v->type = VAL_STR;
    v->s = o->via.str.ptr;
    v->n = o->via.str.size;
    break;
  case MSGPACK_OBJECT_BIN:
    v->s = o->via.bin.ptr;
    v->n = o->via.bin.size;
    break;
  case MSGPACK_OBJECT_ARRAY:
    if (o->via.array.size == 2 &&
        o->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        o->via.array.ptr[0].via.u64 <= INT64_MAX &&
        o->via.array.ptr[1].type == MSGPACK_OBJECT_STR) {
      v->type = VAL_STATUS;
      v->i = (int64_t)o->via.array.ptr[0].via.u64;
      v->s = o->via.array.ptr[1].via.str.ptr;
      v->n = o->via.array.ptr[1].via.str.size;
    }
    break;
  default: break;
  }
}

enum {
  K_SEQ = 1,
  K_HLC = 2,
  K_ENT = 4,
  K_RID = 8,
  K_SET = 16,
  K_BASE = 32,
  K_NODE = 64
};

static int decode_base(const msgpack_object *bo, struct op *op,
                       const struct entity_def *e, char *why, size_t cap) {
  for (uint32_t k = 0; k < bo->via.map.size; k++) {
    const msgpack_object *key = &bo->via.map.ptr[k].key;
    const msgpack_object *arr = &bo->via.map.ptr[k].val;
    struct op_field *of = NULL;
    int f;

    if (key->type != MSGPACK_OBJECT_STR ||
        (f = schema_field_find(e, key->via.str.ptr, key->via.str.size)) < 0) {
      snprintf(why, cap, "base names a field that is not set");
      return -1;
    }
    for (int i = 0; i < op->nset; i++)
      if (op->set[i].field == f)
        of = &op->set[i];
    if (!of) {
      snprintf(why, cap, "base names field '%s', which the op does not set",
               e->fields[f].name);
      return -1;
    }
    if (of->nbase) {
      snprintf(why, cap, "base of field '%s' is given twice",
               e->fields[f].name);
      return -1;
    }
    if (arr->type != MSGPACK_OBJECT_ARRAY) {
      snprintf(why, cap, "base of field '%s' must be a list of versions",
               e->fields[f].name);
      return -1;
    }
    of->base_off = op->nbase;
    for (uint32_t j = 0; j < arr->via.array.size; j++) {
      const msgpack_object *ver = &arr->via.array.ptr[j];
      struct version *bv;
      if (op->nbase >= OP_MAX_BASE) {
        snprintf(why, cap, "the op names more than %d base versions",
                 OP_MAX_BASE);
        return -1;
      }
      bv = &op->base[op->nbase];
      if (ver->type != MSGPACK_OBJECT_ARRAY || ver->via.array.size != 2 ||
          get_uint(&ver->via.array.ptr[0], &bv->hlc) ||
          get_bin(&ver->via.array.ptr[1], bv->node, ID_LEN)) {
        snprintf(why, cap,
                 "base of field '%s' must hold [hlc, 16-byte node] pairs",
                 e->fields[f].name);
        return -1;
      }
      op->nbase++;
      of->nbase++;
    }
  }
  return 0;
}

/* Decodes op map |o|. |want_node|: the op carries "node" (responses). */
static int decode_op(const msgpack_object *o, struct op *op, bool want_node,
                     char *errbuf) {
  const msgpack_object *set = NULL, *base = NULL;
  const struct entity_def *e = NULL;
  unsigned seen = 0, need;
  char why[DS_ERRBUF_LEN] = "";

  op->nset = 0;
  op->nbase = 0;
  op->ent = -1;
  if (o->type != MSGPACK_OBJECT_MAP)
    return ds_fail(errbuf, DS_EBADOP, "op %llu: not a map",
                   (unsigned long long)op->seq);
  for (uint32_t k = 0; k < o->via.map.size; k++) {
    const msgpack_object *key = &o->via.map.ptr[k].key;
    const msgpack_object *val = &o->via.map.ptr[k].val;
    unsigned bit;
    int bad = 0;
    if (key_is(key, "seq")) {
      bit = K_SEQ, bad = get_uint(val, &op->seq);
    } else if (key_is(key, "hlc")) {
      bit = K_HLC, bad = get_uint(val, &op->hlc);
    } else if (key_is(key, "ent")) {
      bit = K_ENT;
      bad = val->type != MSGPACK_OBJECT_STR;
      if (!bad) {
        op->ent = schema_entity_find(val->via.str.ptr, val->via.str.size);
        if (op->ent < 0) {
          snprintf(why, sizeof(why), "unknown entity '%.*s'",
                   (int)(val->via.str.size > 40 ? 40 : val->via.str.size),
                   val->via.str.ptr);
          goto fail;
        }
        e = schema_entity(op->ent);
      }
    } else if (key_is(key, "rid")) {
      bit = K_RID, bad = get_bin(val, op->rid, ID_LEN);
    } else if (key_is(key, "set")) {
      bit = K_SET, set = val, bad = val->type != MSGPACK_OBJECT_MAP;
    } else if (key_is(key, "base")) {
      bit = K_BASE, base = val, bad = val->type != MSGPACK_OBJECT_MAP;
    } else if (want_node && key_is(key, "node")) {
      bit = K_NODE, bad = get_bin(val, op->node, ID_LEN);
    } else {
      snprintf(why, sizeof(why), "unknown key in op");
      goto fail;
    }
    if (seen & bit) {
      snprintf(why, sizeof(why), "a key is given twice");
      goto fail;
    }
    if (bad) {
      snprintf(why, sizeof(why), "key '%.*s' has the wrong type",
               (int)key->via.str.size, key->via.str.ptr);
      goto fail;
    }
    seen |= bit;
  }
  need = K_SEQ | K_HLC | K_ENT | K_RID | K_SET | (want_node ? K_NODE : 0);
  if ((seen & need) != need) {
    snprintf(why, sizeof(why), "an op needs seq, hlc, ent, rid and set%s",
             want_node ? " and node" : "");
    goto fail;
  }
  if (set->via.map.size == 0 || set->via.map.size > (uint32_t)e->nfields) {
    snprintf(why, sizeof(why), "set must name 1 to %d fields of a %s",
             e->nfields, e->name);
    goto fail;
  }
  for (uint32_t k = 0; k < set->via.map.size; k++) {
    const msgpack_object *key = &set->via.map.ptr[k].key;
    struct op_field *of = &op->set[op->nset];
    int f = key->type == MSGPACK_OBJECT_STR
                ? schema_field_find(e, key->via.str.ptr, key->via.str.size)
                : -1;
    if (f < 0) {
      if (key->type == MSGPACK_OBJECT_STR)
        snprintf(why, sizeof(why), "a %s has no field '%.*s'", e->name,
                 (int)(key->via.str.size > 40 ? 40 : key->via.str.size),
                 key->via.str.ptr);
      else
        snprintf(why, sizeof(why), "field names must be strings");
      goto fail;
    }
    of->field = f;
    of->base_off = 0;
    of->nbase = 0;
    to_value(&set->via.map.ptr[k].val, &of->val);
    op->nset++;
  }
  if (base && decode_base(base, op, e, why, sizeof(why)))
    goto fail;
  if (op_check(op, why))
    goto fail;
  return 0;
fail:
  return ds_fail(errbuf, DS_EBADOP, "op %llu: %s", (unsigned long long)op->seq,
                 why);
}

int proto_op_encode(struct buf *out, const struct op *op, bool with_node) {
  const struct entity_def *e = schema_entity(op->ent);
  msgpack_packer pk;
  uint32_t nb = 0;
  int bad;

  if (!e)
    return DS_EINVAL;
  for (int i = 0; i < op->nset; i++)
    nb += op->set[i].nbase > 0;
  msgpack_packer_init(&pk, out, write_cb);
  bad = msgpack_pack_map(&pk, 5 + (with_node ? 1 : 0) + (nb ? 1 : 0));
  bad = bad || pack_key(&pk, "seq") || msgpack_pack_uint64(&pk, op->seq);
  bad = bad || pack_key(&pk, "hlc") || msgpack_pack_uint64(&pk, op->hlc);
  bad = bad || pack_key(&pk, "ent") || pack_key(&pk, e->name);
  bad = bad || pack_key(&pk, "rid") || pack_bin(&pk, op->rid, ID_LEN);
  if (with_node)
    bad = bad || pack_key(&pk, "node") || pack_bin(&pk, op->node, ID_LEN);
  bad = bad || pack_key(&pk, "set") || msgpack_pack_map(&pk, (size_t)op->nset);
  for (int i = 0; i < op->nset && !bad; i++) {
    const struct value *v = &op->set[i].val;
    bad = pack_key(&pk, e->fields[op->set[i].field].name);
    if (bad)
      break;
    /* The canonical form is also valid msgpack, so values share one
     * encoder with the digest. */
    bad = value_encode(out, v) != 0;
  }
  if (nb && !bad) {
    bad = pack_key(&pk, "base") || msgpack_pack_map(&pk, nb);
    for (int i = 0; i < op->nset && !bad; i++) {
      const struct op_field *of = &op->set[i];
      if (!of->nbase)
        continue;
      bad = pack_key(&pk, e->fields[of->field].name) ||
            msgpack_pack_array(&pk, of->nbase);
      for (uint32_t b = 0; b < of->nbase && !bad; b++) {
        const struct version *bv = &op->base[of->base_off + b];
        bad = msgpack_pack_array(&pk, 2) || msgpack_pack_uint64(&pk, bv->hlc) ||
              pack_bin(&pk, bv->node, ID_LEN);
      }
    }
  }
  return bad ? DS_ENOMEM : 0;
}

int proto_op_decode(const void *bytes, size_t len, struct op *op,
                    bool with_node, void **priv, char *errbuf) {
  msgpack_unpacked *u = NULL;
  int rc = unpack(&u, bytes, len, errbuf);
  *priv = NULL;
  if (rc)
    return rc;
  op->seq = 0;
  rc = decode_op(&u->data, op, with_node, errbuf);
  if (rc) {
    unpacked_free(u);
    return rc;
  }
  *priv = u;
  return 0;
}

void proto_op_release(void *priv) {
  unpacked_free(priv);
}

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
  rc = unpack(&u, body, len, errbuf);
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
    unpacked_free(u);
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
  return decode_op(o, op, false, errbuf);
}

void proto_req_cleanup(struct proto_req *req) {
  unpacked_free(req->priv);
  req->priv = NULL;
  DS_FREE(req->op_off);
}

void proto_req_op_span(const struct proto_req *req, uint32_t i, uint32_t *off,
                       uint32_t *len) {
  *off = req->op_off[i];
  *len = req->op_off[i + 1] - req->op_off[i];
}

/* A map or array header at |p|: its element count and header length. */
static int container_hdr(const uint8_t *p, size_t n, bool map, uint32_t *count,
                         size_t *hlen) {
  uint8_t fix = map ? MP_FIXMAP : MP_FIXARRAY;
  uint8_t b16 = map ? MP_MAP16 : MP_ARRAY16, b32 = map ? MP_MAP32 : MP_ARRAY32;
  if (n < 1)
    return DS_EPROTO;
  if ((p[0] & MP_FIX4_MASK) == fix) {
    *count = p[0] & MP_FIX4_MAX, *hlen = 1;
  } else if (p[0] == b16 && n >= 3) {
    *count = (uint32_t)p[1] << 8 | p[2], *hlen = 3;
  } else if (p[0] == b32 && n >= 5) {
    *count = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 |
             p[4];
    *hlen = 5;
  } else {
    return DS_EPROTO;
  }
  return 0;
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
  if (container_hdr(p, len, true, &npairs, &hlen))
    return DS_EPROTO;
  at = hlen;
  for (uint32_t k = 0; k < npairs; k++) {
    bool is_ops = len - at >= sizeof(ops_key) &&
                  memcmp(p + at, ops_key, sizeof(ops_key)) == 0;
    if (mpwalk(p + at, len - at, PROTO_MAX_DEPTH, &used))
      return DS_EPROTO;
    at += used;
    if (is_ops) {
      if (container_hdr(p + at, len - at, false, &nops, &hlen) ||
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
  /* The "node" key, then the header of its 16-byte bin value. */
  uint8_t hdr[5],
      tail[7 + ID_LEN] = {MP_FIXSTR | 4, 'n', 'o', 'd', 'e', MP_BIN8, ID_LEN};
  uint32_t n;
  size_t hlen, nh;
  int rc;

  if (container_hdr(raw, len, true, &n, &hlen) || n >= 0xffff)
    return DS_EPROTO;
  n++;
  if (n <= MP_FIX4_MAX) {
    hdr[0] = (uint8_t)(MP_FIXMAP | n), nh = 1;
  } else {
    hdr[0] = MP_MAP16, hdr[1] = (uint8_t)(n >> 8), hdr[2] = (uint8_t)n;
    nh = 3;
  }
  memcpy(tail + 7, node, ID_LEN);
  rc = buf_reserve(out, nh + (len - hlen) + 7 + ID_LEN);
  if (!rc)
    rc = buf_append(out, hdr, nh);
  if (!rc)
    rc = buf_append(out, raw + hlen, len - hlen);
  if (!rc)
    rc = buf_append(out, tail, 7 + ID_LEN);
  return rc;
}

int proto_req_encode(struct buf *out, const struct proto_req *hdr,
                     const void *ops, size_t ops_len, uint32_t nops) {
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
  if (bad)
    return DS_ENOMEM;
  return buf_append(out, ops, ops_len);
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

static const msgpack_object *map_get(const msgpack_object *m,
                                     const char *name) {
  for (uint32_t k = 0; k < m->via.map.size; k++)
    if (key_is(&m->via.map.ptr[k].key, name))
      return &m->via.map.ptr[k].val;
  return NULL;
}

int proto_resp_decode(struct proto_resp *resp, const void *body, size_t len,
                      char *errbuf) {
  const msgpack_object *m, *o, *ops, *rej;
  msgpack_unpacked *u = NULL;
  uint64_t v;
  int rc;

  memset(resp, 0, sizeof(*resp));
  rc = unpack(&u, body, len, errbuf);
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
  unpacked_free(u);
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
  return decode_op(&ops->via.array.ptr[i], op, true, errbuf);
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
  unpacked_free(resp->priv);
  resp->priv = NULL;
}

/* ---- errors ---- */

int proto_error_encode(struct buf *out, const char *code, const char *message,
                       bool has_expected, uint64_t expected) {
  msgpack_packer pk;
  size_t n = strlen(message);
  int bad;

  msgpack_packer_init(&pk, out, write_cb);
  bad = msgpack_pack_map(&pk, has_expected ? 3 : 2) || pack_key(&pk, "error") ||
        pack_key(&pk, code) || pack_key(&pk, "message") ||
        msgpack_pack_str(&pk, n) || msgpack_pack_str_body(&pk, message, n);
  if (has_expected)
    bad =
        bad || pack_key(&pk, "expected") || msgpack_pack_uint64(&pk, expected);
  return bad ? DS_ENOMEM : 0;
}

static void copy_str(const msgpack_object *o, char *out, size_t cap) {
  size_t n;
  if (!cap)
    return;
  out[0] = '\0';
  if (!o || o->type != MSGPACK_OBJECT_STR)
    return;
  n = o->via.str.size < cap - 1 ? o->via.str.size : cap - 1;
  memcpy(out, o->via.str.ptr, n);
  out[n] = '\0';
}

int proto_error_decode(const void *body, size_t len, char *code,
                       size_t code_cap, char *message, size_t message_cap,
                       bool *has_expected, uint64_t *expected) {
  msgpack_unpacked *u = NULL;
  const msgpack_object *o;
  int rc = unpack(&u, body, len, NULL);

  if (rc)
    return rc;
  o = map_get(&u->data, "error");
  if (!o || o->type != MSGPACK_OBJECT_STR) {
    unpacked_free(u);
    return DS_EPROTO;
  }
  copy_str(o, code, code_cap);
  copy_str(map_get(&u->data, "message"), message, message_cap);
  o = map_get(&u->data, "expected");
  *has_expected = o && get_uint(o, expected) == 0;
  unpacked_free(u);
  return 0;
}
