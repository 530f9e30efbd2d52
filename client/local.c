/* SPDX-License-Identifier: MIT
 * local.c -- the device store and local changes. */
#include "client/local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/msg.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/meta.h"
#include "proto/codec.h"

static int mkdirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, 0700) && errno != EEXIST) {
      *p = '/';
      return DS_ERR(errno);
    }
    *p = '/';
  }
  return 0;
}

int local_db_path(char *out, size_t cap, const char *flag, bool create) {
  const char *env = getenv("DANSYNC_DB"), *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  int n;

  if (flag && *flag)
    n = snprintf(out, cap, "%s", flag);
  else if (env && *env)
    n = snprintf(out, cap, "%s", env);
  else if (xdg && *xdg)
    n = snprintf(out, cap, "%s/dansync/dansync.db", xdg);
  else
    n = snprintf(out, cap, "%s/.local/share/dansync/dansync.db",
                 home ? home : ".");
  if (n < 0 || (size_t)n >= cap)
    return DS_EINVAL;
  return create ? mkdirs(out) : 0;
}

int local_open(struct device *dev, const char *path, char *errbuf) {
  struct buf b;
  int rc;

  memset(dev, 0, sizeof(*dev));
  rc = store_open(&dev->st, path, 0, errbuf);
  if (rc == DS_ENOENT)
    return msg_fail(errbuf, rc, MSG_NO_STORE, path);
  if (rc)
    return rc;
  buf_init(&b, 0);
  rc = meta_get(dev->st, META_COMMUNE, &b);
  if (!rc && b.len <= SCHEMA_SLUG_MAX)
    memcpy(dev->commune, b.data, b.len + 1);
  if (!rc)
    rc = meta_get(dev->st, META_NODE, &b);
  if (!rc && b.len == ID_LEN)
    memcpy(dev->node, b.data, ID_LEN);
  else if (!rc)
    rc = DS_ECORRUPT;
  buf_cleanup(&b);
  if (rc) {
    store_close(dev->st);
    dev->st = NULL;
    return msg_fail(errbuf, DS_ENOENT, MSG_NOT_DEVICE_STORE, path);
  }
  dev->district = strcmp(dev->commune, "district") == 0;
  return 0;
}

void local_close(struct device *dev) {
  store_close(dev->st);
  dev->st = NULL;
}

/* DANSYNC_FAILPOINT=NAME makes the process die at that point, as a power
 * cut would: tests use it to show a change is all or nothing. */
static void failpoint(const char *name) {
  const char *fp = getenv("DANSYNC_FAILPOINT");
  if (fp && strcmp(fp, name) == 0)
    _exit(70);
}

int local_change(struct device *dev, enum local_kind kind, int ent,
                 uint8_t rid[ID_LEN], const char *commune,
                 const struct edit_flag *flags, int nflags, char *errbuf) {
  struct edit_arena arena;
  struct mresult res;
  struct buf enc;
  struct op op;
  int rc;

  if (kind == LOCAL_CREATE) {
    if (!dev->district)
      commune = dev->commune;
    else if (!commune)
      return msg_fail(errbuf, DS_EBADOP, MSG_DISTRICT_NEEDS_COMMUNE);
    id_uuidv7(rid, clock_now_ms());
  }
  buf_init(&enc, 0);
  memset(&op, 0, sizeof(op));
  rc = store_begin(dev->st);
  if (rc)
    goto done;
  memcpy(op.node, dev->node, ID_LEN);
  rc = store_next_seq(dev->st, &op.seq);
  if (!rc)
    rc = store_hlc_tick(dev->st, &op.hlc);
  if (rc)
    goto fail;
  if (kind == LOCAL_REOPEN)
    rc = edit_reopen(dev->st, &op, rid, errbuf);
  else
    rc = edit_build(dev->st, &op, ent, rid, kind == LOCAL_CREATE, commune,
                    flags, nflags, &arena, errbuf);
  if (!rc)
    rc = store_check_op(dev->st, &op, dev->district ? NULL : dev->commune,
                        false, NULL, errbuf);
  if (!rc)
    rc = store_hlc_adopt(dev->st, op.hlc);
  if (!rc)
    rc = store_apply(dev->st, &op, &res);
  if (!rc)
    rc = proto_op_encode(&enc, &op, false);
  failpoint("after_apply");
  if (!rc)
    rc = store_outbox_add(dev->st, op.seq, op.hlc, op.rid, enc.data, enc.len);
  failpoint("before_commit");
  if (rc)
    goto fail;
  rc = store_commit(dev->st);
  goto done;
fail:
  store_rollback(dev->st);
done:
  buf_cleanup(&enc);
  return rc;
}
