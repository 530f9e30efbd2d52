/* SPDX-License-Identifier: MIT
 * cli_sync.c -- around a sync (client/csync.c does the exchange): exit 4
 * when the district rejected any change (DESIGN §8), remembering where the
 * pulled changes of the last sync start for 'status', and reenroll. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "client/cli_int.h"
#include "client/csync.h"
#include "client/trust.h"
#include "common/device.h"
#include "common/meta.h"

/* The inbox's last row; with |brought_from| >= 0, also notes where the
 * last sync's pulled ops start (for 'status'). EXIT_ERROR after saying why
 * when the store cannot be read. (No count of the outbox here: it holds
 * every op ever made, and counting it read half a 10,000-op store.) */
static int counts(const struct args *a, int64_t brought_from, int64_t *inbox) {
  struct device dev;
  int rc;

  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  rc = device_inbox_last(dev.st, inbox);
  /* Only what 'status' shows depends on the note: a failed write is
   * harmless. */
  if (!rc && brought_from >= 0 &&
      meta_set_int(dev.st, META_BROUGHT_FROM, brought_from))
    store_rollback(dev.st);
  local_close(&dev);
  return rc ? cli_fail(EXIT_ERROR, msg(MSG_STORE_READ)) : 0;
}

int cmd_sync(const struct args *a) {
  static const char *const allowed[] = {
      "restamp", "wait", "retries", "timeout", "batch", "pull-limit", NULL};
  int64_t in0 = 0, in1 = 0;
  uint64_t rejected = 0;
  int rc;

  rc = cli_only(a, "sync", allowed);
  if (rc || (rc = cli_extra(a, "sync", 1)))
    return rc;
  rc = counts(a, -1, &in0);
  if (rc)
    return rc;
  rc = csync_main(a, &rejected);
  if (rc != EXIT_OK)
    return rc;
  rc = counts(a, in0, &in1);
  if (rc)
    return rc;
  if (rejected)
    return cli_failf(EXIT_REFUSED, MSG_SYNC_REJECTED, (long long)rejected);
  return EXIT_OK;
}

/* A device whose token was mistyped or expired before its first sync takes
 * a new one; its key, node id and queued changes stay. */
int cmd_reenroll(const struct args *a) {
  static const char *const allowed[] = {"token", "token-file", NULL};
  char err[DS_ERRBUF_LEN];
  struct token tok;
  struct device_counts n;
  struct device dev;
  int rc;

  rc = cli_only(a, "reenroll", allowed);
  if (rc || (rc = cli_extra(a, "reenroll", 1)))
    return rc;
  if (!args_get(a, "token") && !args_get(a, "token-file"))
    return cli_usage("reenroll", msg(MSG_REENROLL_NEEDS));
  if (trust_token_arg(a, &tok, err))
    return cli_fail(EXIT_ERROR, err);
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  if (strcmp(tok.commune, dev.commune)) {
    local_close(&dev);
    msg_fmt(err, sizeof(err), MSG_REENROLL_COMMUNE, tok.commune, dev.commune);
    return cli_fail(EXIT_ERROR, err);
  }
  if (meta_int_or_0(dev.st, META_ACKED) > 0 ||
      meta_int_or_0(dev.st, META_LAST_SYNC_MS) > 0) {
    local_close(&dev);
    return cli_fail(EXIT_ERROR, msg(MSG_REENROLL_ENROLLED));
  }
  if (device_outbox_counts(dev.st, 0, &n)) {
    local_close(&dev);
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_READ));
  }
  rc = store_begin(dev.st);
  if (!rc)
    rc = trust_store_token(dev.st, &tok);
  if (!rc)
    rc = store_commit(dev.st);
  else
    store_rollback(dev.st);
  sodium_memzero(tok.secret, sizeof(tok.secret));
  local_close(&dev);
  if (rc)
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_WRITE));
  msg_print(stdout, MSG_REENROLL_DONE, (long long)n.total);
  return EXIT_OK;
}
