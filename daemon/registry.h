/* SPDX-License-Identifier: MIT
 * registry.h -- the district store's communes, enrolment tokens and nodes:
 * the writes and look-ups of the admin commands. Every SQLite failure is
 * a translated DS_E* code (common/db.h); a statement that does not
 * prepare is an error, never "not found". */
#ifndef DS_DAEMON_REGISTRY_H
#define DS_DAEMON_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/id.h"

struct buf;
struct sqlite3;
struct store;

/* Adds the communes of |tsv| (a header line, then slug<TAB>name<TAB>kind
 * lines). DS_EINVAL with |errbuf| naming the line that is not one, or
 * that repeats a commune. Inside a transaction. */
DS_NODISCARD int registry_communes_load(struct store *st, const char *tsv,
                                        char *errbuf);
/* Whether commune |slug| is one of the district's, into |*out|. */
DS_NODISCARD int registry_commune_known(struct store *st, const char *slug,
                                        bool *out);
/* Stores an enrolment token by its hash, for |commune|, valid from
 * |created_ms| until |expires_ms|. */
DS_NODISCARD int registry_token_add(struct store *st, const uint8_t hash[32],
                                    const char *commune, const char *label,
                                    int64_t created_ms, int64_t expires_ms);
/* An unused enrolment token, as registry_tokens_each hands it over. */
struct registry_token {
  uint8_t id[4];               /* the first bytes of its hash: its public id */
  const char *commune, *label; /* label "" when none */
  int64_t created_ms, expires_ms;
};
/* Calls |cb| for each token neither used nor expired at |now_ms|, oldest
 * first, until it returns non-zero, which is then returned. Else 0 or a
 * translated code. */
DS_NODISCARD int registry_tokens_each(struct store *st, int64_t now_ms,
                                      int (*cb)(void *arg,
                                                const struct registry_token *t),
                                      void *arg);
/* Deletes the unused tokens whose public id is |id|; how many into |*n|. */
DS_NODISCARD int registry_token_cancel(struct store *st, const uint8_t id[4],
                                       int *n);
/* Registers node |node| with its signing key |pk| (|pklen| bytes). */
DS_NODISCARD int registry_node_add(struct store *st, const uint8_t node[ID_LEN],
                                   const uint8_t *pk, size_t pklen,
                                   const char *commune, const char *label,
                                   int64_t enrolled_ms);
/* The devices whose node id lies in [|lo|, |hi|], the district's own node
 * left out, into |*n|; with |revoke_ms| > 0 and exactly one of them, it is
 * revoked at that time (a revoked one keeps its first revocation time). */
DS_NODISCARD int registry_node_revoke(struct store *st,
                                      const uint8_t lo[ID_LEN],
                                      const uint8_t hi[ID_LEN],
                                      int64_t revoke_ms, int *n);
/* A row of the node table, as registry_nodes_each hands it over (the
 * strings live until the callback returns). */
struct registry_node {
  uint8_t node[ID_LEN];
  const char *commune, *label;                          /* label "" when none */
  int64_t enrolled_ms, last_sync_ms, acked, revoked_ms; /* 0: never */
};
/* Calls |cb| for each node whose id lies in [|lo|, |hi|] (both NULL:
 * every node), by commune then enrolment time, until it returns non-zero,
 * which is then returned. Else 0 or a translated code. */
DS_NODISCARD int
registry_nodes_each(struct store *st, const uint8_t *lo, const uint8_t *hi,
                    int (*cb)(void *arg, const struct registry_node *n),
                    void *arg);
/* The number of communes, into |*n|. */
DS_NODISCARD int registry_commune_count(struct store *st, int *n);
/* Calls |cb| for each commune by slug until it returns non-zero, which is
 * then returned. Else 0 or a translated code. */
DS_NODISCARD int registry_communes_each(struct store *st,
                                        int (*cb)(void *arg, const char *slug,
                                                  const char *name,
                                                  const char *kind),
                                        void *arg);
/* Revokes the district's own node (the one its meta names) at
 * |revoke_ms|, unless it is revoked already: a key rotation. */
DS_NODISCARD int registry_district_node_revoke(struct store *st,
                                               int64_t revoke_ms);
/* Appends to |keys| the 32-byte keys of the district's revoked nodes
 * (commune "district"), the latest revoked first: its own node's key
 * before each `key rotate`, and any device enrolled for the district
 * itself and since revoked. */
DS_NODISCARD int registry_former_district_keys(struct store *st,
                                               struct buf *keys);
/* Whether the store has node |node| with key |pk| and commune |commune|
 * exactly (the lengths in bytes; a NULL is no node of ours), into
 * |*same|. */
DS_NODISCARD int registry_node_same(struct store *st, const uint8_t *node,
                                    size_t nlen, const uint8_t *pk,
                                    size_t pklen, const char *commune,
                                    size_t clen, bool *same);
/* The highest seq the district holds from |node| (0 for an unknown one). */
DS_NODISCARD int registry_node_acked(struct store *st,
                                     const uint8_t node[ID_LEN], int64_t *out);
/* Calls |cb| for each commune, in slug order, with the last sync time of
 * any of its devices (0: none yet). */
DS_NODISCARD int registry_last_syncs(struct store *st,
                                     void (*cb)(void *arg, const char *commune,
                                                uint64_t last_sync_ms),
                                     void *arg);

/* The communes and nodes of a file attached to a connection as schema
 * |schema| (a log export, the store a replay reads; "main" for the
 * connection's own): the schema names are the program's, never input.
 * Each returns 0 or a translated code. */

/* Copies the communes, and the nodes with their keys, communes, labels,
 * enrolment and revocation times, into new tables of schema |to|. */
DS_NODISCARD int registry_copy_to(struct sqlite3 *db, const char *to);
/* Adds the communes and nodes of schema |from| to the connection's own,
 * none of the nodes revoked (a replay revokes them at its end). */
DS_NODISCARD int registry_copy_from(struct sqlite3 *db, const char *from);
/* Gives each node the revocation time it has in schema |from|. */
DS_NODISCARD int registry_revocations_from(struct sqlite3 *db,
                                           const char *from);
/* Calls |cb| for each node of |schema| in node id order, with the bytes
 * its row holds (not checked; a column that is not the blob, blob and
 * text of a node's row comes as NULL), until it returns non-zero, which
 * is then returned. */
DS_NODISCARD int registry_node_keys_in(
    struct sqlite3 *db, const char *schema,
    int (*cb)(void *arg, const uint8_t *node, size_t nlen, const uint8_t *pk,
              size_t pklen, const char *commune, size_t clen),
    void *arg);

/* The head check's look-ups (daemon/head.c), on a read-only connection of
 * their own so the pool's threads never touch the writer's: one look-up
 * at a time, any thread. */
struct registry_keys;

enum registry_node_state { REG_NODE_KNOWN, REG_NODE_REVOKED, REG_NODE_UNKNOWN };
enum registry_token_state {
  REG_TOKEN_OK,
  REG_TOKEN_BAD,
  REG_TOKEN_USED,
  REG_TOKEN_EXPIRED
};

/* Opens the look-ups on |st|'s file. DS_EINVAL for a store with no file
 * (in memory), else a translated code; |*out| is untouched then. */
DS_NODISCARD int registry_keys_open(struct registry_keys **out,
                                    struct store *st);
/* Closes |k|. NULL is a no-op. */
void registry_keys_close(struct registry_keys *k);
/* Node |node|: its state, and for REG_NODE_KNOWN its 32-byte key in |pk|.
 * DS_ECORRUPT for a key of another length, or a translated code. */
DS_NODISCARD int registry_keys_node(struct registry_keys *k,
                                    const uint8_t node[ID_LEN], uint8_t pk[32],
                                    enum registry_node_state *state);
/* The enrolment token of hash |hash| at time |now_ms|: unknown (BAD),
 * spent (USED), EXPIRED or OK, as the writer would judge it. */
DS_NODISCARD int registry_keys_token(struct registry_keys *k,
                                     const uint8_t hash[32], uint64_t now_ms,
                                     enum registry_token_state *state);
#endif
