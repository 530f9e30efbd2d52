/* SPDX-License-Identifier: MIT
 * chead.c -- the district's signed head as the device keeps it; see
 * chead.h. The lost head is one meta value: the cursor (8 bytes, big
 * endian) and its chain hash (32). */
#include "client/chead.h"

#include <string.h>

#include "common/buf.h"
#include "common/meta.h"
#include "common/store.h"

#define LOST_LEN (8 + PROTO_HASH_LEN)

/* Whether |resp| shows a log without the head (|cursor|, |hash|): the
 * district says it answered the pull from 0, or (a district that does not
 * say so yet) its cursor is before the head, or at the head's position
 * with another hash. */
static bool gone(const struct proto_resp *resp, uint64_t cursor,
                 const uint8_t hash[PROTO_HASH_LEN]) {
  return resp->head_lost || resp->cursor < cursor ||
         (resp->cursor == cursor &&
          (!resp->has_cursor_hash ||
           memcmp(resp->cursor_hash, hash, PROTO_HASH_LEN) != 0));
}

int chead_check(struct store *st, const struct proto_resp *resp,
                uint64_t *lost) {
  uint8_t hash[PROTO_HASH_LEN], v[LOST_LEN];
  int64_t cursor = meta_int_or_0(st, META_CURSOR);
  struct buf b;
  int rc;

  *lost = 0;
  /* No signed head yet (a new device, or a store from before answers
   * carried one): nothing to compare. */
  if (cursor <= 0 ||
      meta_get_exact(st, META_CURSOR_HASH, hash, PROTO_HASH_LEN) != 0 ||
      !gone(resp, (uint64_t)cursor, hash))
    return 0;
  *lost = (uint64_t)cursor;
  buf_init(&b, 0);
  rc = meta_get(st, META_LOST_HEAD, &b);
  if (rc == 0 && b.len == LOST_LEN)
    rc = 1; /* an earlier lost head is still to be reported */
  buf_cleanup(&b);
  if (rc == 1)
    return 0;
  if (rc && rc != DS_ENOENT)
    return rc;
  for (int i = 0; i < 8; i++)
    v[i] = (uint8_t)((uint64_t)cursor >> (56 - 8 * i));
  memcpy(v + 8, hash, PROTO_HASH_LEN);
  return meta_set(st, META_LOST_HEAD, v, LOST_LEN);
}

void chead_pending(struct store *st, struct proto_req *req) {
  struct buf b;
  req->has_lost_head = false;
  buf_init(&b, 0);
  if (meta_get(st, META_LOST_HEAD, &b) == 0 && b.len == LOST_LEN) {
    req->lost_cursor = 0;
    for (int i = 0; i < 8; i++)
      req->lost_cursor = req->lost_cursor << 8 | b.data[i];
    memcpy(req->lost_hash, b.data + 8, PROTO_HASH_LEN);
    req->has_lost_head = true;
  }
  buf_cleanup(&b);
}

int chead_delivered(struct store *st) {
  return meta_set(st, META_LOST_HEAD, NULL, 0);
}
