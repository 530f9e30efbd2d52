/* SPDX-License-Identifier: MIT
 * history.c -- a record's history from the ops this device holds; see
 * history.h. */
#include "client/history.h"

#include <time.h>

#include "client/msg.h"
#include "common/device.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/json.h"
#include "common/meta.h"
#include "common/schema.h"
#include "common/store.h"
#include "proto/codec.h"

int history_write(struct store *st, const uint8_t rid[ID_LEN], bool json,
                  struct buf *b) {
  struct device_iter *it;
  struct device_row row;
  uint8_t me[ID_LEN];
  int rc, n = 0, more = 0;

  if (meta_get_exact(st, META_NODE, me, ID_LEN))
    memset(me, 0, ID_LEN);
  rc = device_iter_open(st, DEVICE_HISTORY, 0, 0, rid, &it);
  if (rc)
    return rc;
  if (json)
    rc = buf_printf(b, "\"history\": [");
  while (!rc && (more = device_iter_next(it, &row)) == 1) {
    bool pulled = row.pulled;
    char when[32], node[ID_HEX_LEN + 1];
    const struct entity_def *e;
    void *priv;
    struct op op;
    time_t t;
    struct tm tm;
    char e2[DS_ERRBUF_LEN];

    if (proto_op_decode(row.op, row.len, &op, pulled, &priv, e2))
      continue;
    if (!pulled)
      memcpy(op.node, me, ID_LEN);
    e = schema_entity(op.ent);
    t = (time_t)(HLC_MS(op.hlc) / 1000);
    gmtime_r(&t, &tm);
    hex_encode(node, op.node, ID_LEN);
    if (json) {
      strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
      rc = buf_printf(b,
                      "%s{\"at\": \"%s\", \"node\": \"%s\", \"mine\": %s, "
                      "\"set\": {",
                      n ? ", " : "", when, node, pulled ? "false" : "true");
      for (int i = 0; i < op.nset && !rc; i++) {
        rc = buf_printf(b, "%s\"%s\": ", i ? ", " : "",
                        e->fields[op.set[i].field].name);
        rc = rc || json_value(b, &op.set[i].val);
      }
      rc = rc || buf_printf(b, "}}");
    } else {
      strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
      if (n == 0)
        rc = buf_printf(b, "%s", msg(MSG_HISTORY_HEAD));
      rc = rc || buf_printf(b, "  %s UTC  %.16s%s:", when, node,
                            pulled ? "" : msg(MSG_HISTORY_MINE));
      for (int i = 0; i < op.nset && !rc; i++) {
        const struct value *v = &op.set[i].val;
        rc = buf_printf(b, " %s=", e->fields[op.set[i].field].name);
        if (rc)
          break;
        if (v->type == VAL_STR)
          rc = buf_printf(b, "%.*s", v->n > 40 ? 40 : (int)v->n, v->s);
        else if (v->type == VAL_INT || v->type == VAL_BOOL)
          rc = buf_printf(b, "%lld", (long long)v->i);
        else if (v->type == VAL_STATUS)
          rc = buf_printf(b, "%.*s", (int)v->n, v->s);
        else
          rc = buf_printf(b, "…");
      }
      rc = rc || buf_putc(b, '\n');
    }
    n++;
    proto_op_release(priv);
  }
  if (!rc && more < 0)
    rc = more;
  device_iter_close(it);
  if (!rc && json)
    rc = buf_putc(b, ']');
  if (!rc)
    rc = buf_cstr(b);
  return rc;
}
