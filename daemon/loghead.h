/* SPDX-License-Identifier: MIT
 * loghead.h -- the district's signed head in a log export (DESIGN §11):
 * `log export` signs where its log ends and which key each node had, so
 * `log verify --from` and `log replay --from` on the export detect a cut
 * tail and a node key swapped (with the entries re-signed by it). The
 * statement, Ed25519 by the district key:
 *   "dansync-loghead1" | last seq (u64 BE) | its chain hash (32)
 *                      | BLAKE2b-256 over the node table, by node:
 *                        node (16) | key (32) | commune length (1) | commune
 * kept in the export's info table as head_seq, head_hash, nodes_hash,
 * head_sig and district_pk. A commune is a slug of at most 64 bytes: an
 * export whose node table has a row that does not fit this layout is
 * refused as changed. */
#ifndef DS_DAEMON_LOGHEAD_H
#define DS_DAEMON_LOGHEAD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/dsig.h"
#include "common/id.h"

struct store;
struct args;
typedef struct sqlite3 sqlite3;

/* The export's info table, in the new file attached to |db| as |schema|:
 * its format, and the district's node when |district_node| is given. */
DS_NODISCARD int loghead_info_create(sqlite3 *db, const char *schema,
                                     const uint8_t *district_node);
/* The district node an export attached as |schema| names: 0, DS_ENOENT,
 * or a translated code. */
DS_NODISCARD int loghead_district_node(sqlite3 *db, const char *schema,
                                       uint8_t out[ID_LEN]);
/* Whether schema |schema| of |db| is meant as a log export: it has
 * something named info (loghead_check_in then wants it a table). */
bool loghead_is_export_in(sqlite3 *db, const char *schema);
/* Signs the head of the export attached to |db| as schema "x". */
DS_NODISCARD int loghead_sign(sqlite3 *db, const uint8_t sk[DSIG_SK_LEN],
                              char *errbuf);
/* The head an export's check verified: its last entry, that entry's
 * chain hash, and which of the keys given signed it. */
struct loghead {
  int64_t seq;
  uint8_t hash[32];
  size_t signer;
};
/* Checks export |path|: its signed head against the |nkeys| 32-byte keys
 * at |keys|, tried in order (none: the key the export names), the log
 * against that head (nothing cut, nothing added), the nodes' keys against
 * the signed ones, and the chain and every signature. The first key is
 * the district's; a head signed by a later one (a former key) counts only
 * if district store |live| holds the head's entry with its chain hash and
 * every node row of the export. Fills |*head| (if not NULL). Prints
 * nothing; DS_ECORRUPT with one sentence in |errbuf|. */
DS_NODISCARD int loghead_check(const char *path, const uint8_t *keys,
                               size_t nkeys, struct store *live,
                               struct loghead *head, int64_t *entries,
                               char *errbuf);
/* The same on the export attached to |db| as |schema| (|path| only names
 * it in messages), so that a replay checks the file it reads; the caller
 * holds the read transaction in which it then reads it. An export must
 * have info, node and synclog tables and no view or trigger. */
DS_NODISCARD int loghead_check_in(sqlite3 *db, const char *schema,
                                  const char *path, const uint8_t *keys,
                                  size_t nkeys, struct loghead *head,
                                  int64_t *entries, char *errbuf);
/* `dansyncd log verify --from EXPORT` (the district key from --db). */
int loghead_cmd_verify(const struct args *a);
#endif
