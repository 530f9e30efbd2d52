/* SPDX-License-Identifier: MIT
 * cli_sync.c -- around a sync (client/csync.c does the exchange): exit 4
 * when the district rejected any change (DESIGN §8), remembering where the
 * pulled changes of the last sync start for 'status', and reenroll. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "client/cli_int.h"
#include "client/trust.h"
#include "client/csync.h"

/* The outbox's rejected ops and the inbox's last row, or -1s. */
static void counts(const struct args *a, int64_t *rejected, int64_t *inbox) {
  char path[4096], err[DS_ERRBUF_LEN];
  struct device dev;
  sqlite3_stmt *s;

  *rejected = *inbox = -1;
  if (local_db_path(path, sizeof(path), a->db, false) ||
      local_open(&dev, path, err))
    return;
  if (sqlite3_prepare_v2(store_sqlite(dev.st),
                         "SELECT (SELECT count(*) FROM outbox WHERE error IS "
                         "NOT NULL), (SELECT coalesce(max(id), 0) FROM inbox)",
                         -1, &s, NULL) == SQLITE_OK) {
    if (sqlite3_step(s) == SQLITE_ROW) {
      *rejected = sqlite3_column_int64(s, 0);
      *inbox = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
  }
  local_close(&dev);
}

static void mark_brought(const struct args *a, int64_t from) {
  char path[4096], err[DS_ERRBUF_LEN];
  struct device dev;
  if (local_db_path(path, sizeof(path), a->db, false) ||
      local_open(&dev, path, err))
    return;
  /* Only what 'status' shows depends on it: a failed write is harmless. */
  if (store_meta_set_int(dev.st, "brought_from", from))
    store_rollback(dev.st);
  local_close(&dev);
}

int cmd_sync(const struct args *a) {
  static const char *const allowed[] = {
      "restamp", "wait", "retries", "timeout", "batch", "pull-limit", NULL};
  int64_t rej0, in0, rej1, in1;
  int rc;

  rc = cli_only(a, "sync", allowed);
  if (rc || (rc = cli_extra(a, "sync", 1)))
    return rc;
  counts(a, &rej0, &in0);
  rc = csync_main(a);
  if (rc != EXIT_OK || rej0 < 0)
    return rc;
  counts(a, &rej1, &in1);
  if (in1 >= 0)
    mark_brought(a, in0);
  if (rej1 > rej0)
    return cli_failf(EXIT_REFUSED, MSG_SYNC_REJECTED, (long long)(rej1 - rej0));
  return rc;
}

/* A device whose token was mistyped or expired before its first sync takes
 * a new one; its key, node id and queued changes stay. */
int cmd_reenroll(const struct args *a) {
  static const char *const allowed[] = {"token", "token-file", NULL};
  char err[DS_ERRBUF_LEN];
  struct token tok;
  int64_t acked = 0, last = 0, queued = 0;
  struct device dev;
  sqlite3_stmt *s;
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
  if (store_meta_get_int(dev.st, "acked", &acked))
    acked = 0;
  if (store_meta_get_int(dev.st, "last_sync_ms", &last))
    last = 0;
  if (acked > 0 || last > 0) {
    local_close(&dev);
    return cli_fail(EXIT_ERROR, msg(MSG_REENROLL_ENROLLED));
  }
  if (sqlite3_prepare_v2(store_sqlite(dev.st), "SELECT count(*) FROM outbox",
                         -1, &s, NULL) == SQLITE_OK) {
    if (sqlite3_step(s) == SQLITE_ROW)
      queued = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
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
  msg_print(stdout, MSG_REENROLL_DONE, (long long)queued);
  return EXIT_OK;
}
