/* SPDX-License-Identifier: MIT
 * ingest.h -- one sync request, from authenticated bytes to response bytes
 * (DESIGN §5-§7): trust (enrolment, signature, revocation), exactly-once
 * acks, clock skew, validation and scope with quarantine, the merge, the
 * oplog for pulls, the sync log, and the pull page -- all in one SQLite
 * transaction on the caller's (the single writer's) store. `serve` runs it on
 * a worker thread; admin commands and `log replay` run it directly. */
#ifndef DS_DAEMON_INGEST_H
#define DS_DAEMON_INGEST_H
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/id.h"
#include "common/schema.h"
#include "common/synclog.h"

struct store;
struct ingest;
struct ingest_pre;

struct ingest_req {
  const uint8_t *body;
  size_t len;
  bool has_node, has_sig;
  uint8_t node[ID_LEN];
  uint8_t sig[SYNCLOG_SIG_LEN];
  const char *token;   /* Dansync-Token, or NULL */
  const char *key_hex; /* Dansync-Key, or NULL */
  const char *receipt; /* Dansync-Receipt, or NULL (enrol.c) */
  uint64_t received_ms;
  uint64_t max_skew_ms;
  bool replay; /* re-ingesting the log: no skew check, no enrolment */
  bool bundle; /* carried on a USB stick (DESIGN §12): no freshness check */
  /* Work done before the writer, off its thread (serve), or not at all:
   * the signature checked against key |sig_pk| (|sig_tried|) and found
   * good (|sig_checked|); the writer checks again only should the node's
   * key in the store not be that one. And the body's synclog_body_hash. */
  bool sig_tried, sig_checked, has_body_hash;
  uint8_t sig_pk[32];
  uint8_t body_hash[SYNCLOG_HASH_LEN];
  /* The body decoded and its ops checked off the writer too
   * (ingest_req_decode), or NULL: ingest_sync decodes it. Freed by
   * ingest_req_release. */
  struct ingest_pre *pre;
};

struct ingest_res {
  int status;      /* HTTP status */
  struct buf body; /* msgpack response or error body */
  /* For metrics and logs. */
  uint32_t merged, conflicts, quarantined, pulled;
  bool logged;   /* the body entered the sync log */
  bool enrolled; /* the request enrolled its node */
  char commune[SCHEMA_SLUG_MAX + 1];
  char error[32];
};

DS_NODISCARD int ingest_open(struct ingest **out, struct store *st);
void ingest_close(struct ingest *ing);
void ingest_res_init(struct ingest_res *rs);
void ingest_res_cleanup(struct ingest_res *rs);

/* Handles one request; always fills |rs| with a status and body. Returns 0,
 * or DS_ENOMEM when even the error body could not be made. */
DS_NODISCARD int ingest_sync(struct ingest *ing, const struct ingest_req *rq,
                             struct ingest_res *rs);

/* The work on a request that needs no store, safe on any thread: its
 * body's hash for the sync log and, when |pk| is given, its signature
 * checked against that key (ingest_sync trusts the check only if |pk| is
 * still the node's key). */
void ingest_req_prep(struct ingest_req *rq, const uint8_t *pk);

/* More of the work that needs no store, for a request whose signature
 * ingest_req_prep checked: decodes the body and checks each op on its own
 * (proto_req_op), so the writer only merges. Safe on any thread; on
 * failure to allocate, ingest_sync does it all as before. */
void ingest_req_decode(struct ingest_req *rq);
/* Frees what ingest_req_decode made (once the request is answered).
 * Accepts a request without any. */
void ingest_req_release(struct ingest_req *rq);

/* Group commit: requests handled between these two share one transaction
 * and so one durable commit, each in a savepoint of it, so a refused request
 * still changes nothing. Should the commit fail, every request of the group
 * answered 200 must be answered with ingest_res_unavailable instead: nothing
 * of the group was stored. */
DS_NODISCARD int ingest_group_begin(struct ingest *ing);
DS_NODISCARD int ingest_group_commit(struct ingest *ing);
/* Fills |rs| with the 503 for storage error |rc| (DS_EBUSY or another). */
int ingest_res_unavailable(struct ingest_res *rs, int rc);
#endif
