/* SPDX-License-Identifier: MIT
 * cli_sync.c -- around a sync (client/csync.c does the exchange): exit 4
 * when the district rejected any change (DESIGN §8), and reenroll. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "client/cli_int.h"
#include "client/csync.h"
#include "client/trust.h"
#include "common/device.h"
#include "common/meta.h"

int cmd_sync(const struct args *a) {
  static const char *const allowed[] = {
      "restamp", "wait", "retries", "timeout", "batch", "pull-limit", NULL};
  uint64_t rejected = 0;
  int rc;

  rc = cli_only(a, "sync", allowed);
  if (rc || (rc = cli_extra(a, "sync", 1)))
    return rc;
  /* One store connection for the whole sync (csync_main also notes where
   * the pulled ops start, for 'status'): each more open and close of the
   * store cost a WAL made, synced and checkpointed, five fsyncs. */
  rc = csync_main(a, &rejected);
  if (rc != EXIT_OK)
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
