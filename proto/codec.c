/* SPDX-License-Identifier: MIT
 * codec.c -- msgpack-c encoding and decoding of ops and error bodies, and
 * the unpacking every decode starts with. Requests and responses are
 * codec_msg.c's. */
#include "proto/codec.h"

#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "common/alloc.h"
#include "proto/codec_int.h"
#include "proto/mpwalk.h"

/* ---- unpacking ---- */

/* Unpacks one msgpack object filling exactly |len| bytes of |body|. */
int proto__unpack(msgpack_unpacked **out, const void *body, size_t len,
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

void proto__unpacked_free(void *priv) {
  msgpack_unpacked *u = priv;
  if (!u)
    return;
  msgpack_unpacked_destroy(u);
  ds_free(u);
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

int proto__decode_op(const msgpack_object *o, struct op *op, bool want_node,
                     bool check, char *errbuf) {
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
  if (check && op_check(op, why))
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
  int rc = proto__unpack(&u, bytes, len, errbuf);
  *priv = NULL;
  if (rc)
    return rc;
  op->seq = 0;
  rc = proto__decode_op(&u->data, op, with_node, true, errbuf);
  if (rc) {
    proto__unpacked_free(u);
    return rc;
  }
  *priv = u;
  return 0;
}

void proto_op_release(void *priv) {
  proto__unpacked_free(priv);
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
  int rc = proto__unpack(&u, body, len, NULL);

  if (rc)
    return rc;
  o = map_get(&u->data, "error");
  if (!o || o->type != MSGPACK_OBJECT_STR) {
    proto__unpacked_free(u);
    return DS_EPROTO;
  }
  copy_str(o, code, code_cap);
  copy_str(map_get(&u->data, "message"), message, message_cap);
  o = map_get(&u->data, "expected");
  *has_expected = o && get_uint(o, expected) == 0;
  proto__unpacked_free(u);
  return 0;
}
