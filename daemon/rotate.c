/* SPDX-License-Identifier: MIT
 * rotate.c -- `dansyncd key rotate`; see rotate.h. */
#include "daemon/rotate.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/args.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/dsig.h"
#include "common/hex.h"
#include "common/id.h"
#include "common/meta.h"
#include "common/store.h"
#include "daemon/admin_int.h"
#include "daemon/answer.h"
#include "daemon/dmsg.h"
#include "daemon/log.h"
#include "daemon/registry.h"

void rotate_header(struct store *st, char *out, size_t cap) {
  char b64[sodium_base64_ENCODED_LEN(ROTATE_CERT_LEN,
                                     sodium_base64_VARIANT_ORIGINAL)];
  struct buf b;
  buf_init(&b, 0);
  out[0] = '\0';
  if (meta_get(st, META_KEY_ROTATION, &b) == 0 && b.len == ROTATE_CERT_LEN) {
    sodium_bin2base64(b64, sizeof(b64), b.data, b.len,
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, cap, "Dansync-Key-Rotation: %s\r\n", b64);
  }
  buf_cleanup(&b);
}

static int rotate(struct store *st, char new_hex[ID_HEX_LEN + 1],
                  char *errbuf) {
  uint8_t old_sk[DSIG_SK_LEN], sk[DSIG_SK_LEN], pk[DSIG_PK_LEN];
  uint8_t cert[ROTATE_CERT_LEN], m[16 + DSIG_PK_LEN], node[ID_LEN];
  uint64_t now = clock_now_ms();
  int rc = answer_key_load(st, old_sk, errbuf);

  if (rc)
    return rc;
  crypto_sign_keypair(pk, sk);
  id_random(node);
  memcpy(m, "dansync-rotate-1", 16);
  memcpy(m + 16, pk, DSIG_PK_LEN);
  memcpy(cert, pk, DSIG_PK_LEN);
  crypto_sign_detached(cert + DSIG_PK_LEN, NULL, m, sizeof(m), old_sk);
  rc = store_begin(st);
  /* The old district node is revoked, not changed: the log entries it
   * signed still verify against its key. */
  if (!rc)
    rc = registry_district_node_revoke(st, (int64_t)now);
  if (!rc)
    rc = registry_node_add(st, node, pk, sizeof(pk), "district",
                           "district (admin commands)", (int64_t)now);
  if (!rc)
    rc = meta_set(st, META_DISTRICT_NODE, node, ID_LEN);
  if (!rc)
    rc = meta_set(st, META_DISTRICT_SK, sk, sizeof(sk));
  if (!rc)
    rc = meta_set(st, META_KEY_ROTATION, cert, sizeof(cert));
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  sodium_memzero(old_sk, sizeof(old_sk));
  sodium_memzero(sk, sizeof(sk));
  hex_encode(new_hex, node, ID_LEN);
  return rc ? dmsg_fail(errbuf, rc, DM_ROTATE_FAILED) : 0;
}

int rotate_cmd(const struct args *a) {
  static const char *const allowed[] = {"out", "force", NULL};
  char err[DS_ERRBUF_LEN], node[ID_HEX_LEN + 1];
  struct store *st;
  int rc;

  if (args_only(a, allowed, err) || a->npos != 2)
    return args_usage(&admin_prog, "key rotate",
                      a->npos != 2 ? dmsg(DM_UNEXPECTED) : err);
  if (!args_get(a, "out") || !*args_get(a, "out"))
    return args_usage(&admin_prog, "key rotate", dmsg(DM_ROTATE_NEEDS_OUT));
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  rc = rotate(st, node, err);
  store_close(st);
  if (rc)
    return args_fail(&admin_prog, EXIT_ERROR, err);
  LOG_WARN("key",
           "rotated the district key: new district node=%.16s; the "
           "old one is revoked",
           node);
  dmsg_print(stdout, DM_ROTATED, node);
  /* A backup from before the rotation cannot be served after it. */
  return cmd_backup(a);
}
