/* SPDX-License-Identifier: MIT
 * guard.h -- what serve knows about who is speaking, kept apart from the
 * sockets so it can be tested alone (no I/O, loop thread only):
 *  - a peer's address and the key its connections are counted under (an
 *    IPv4 address; an IPv6 /64, what one subscriber is usually given);
 *  - the refusal log: the first refusal of a kind from an address in each
 *    window is logged at once, the rest are counted and summed up when the
 *    window closes, so a flood cannot fill the disk;
 *  - the nodes known to be enrolled, with their keys, so a request's head
 *    can be judged without a look-up; unknown ones are looked up off the
 *    loop (server.c) and never cached as unknown, so an enrolment made by
 *    another process is seen at once. */
#ifndef DS_DAEMON_GUARD_H
#define DS_DAEMON_GUARD_H
#include <stdbool.h>
#include <stdint.h>

#include "common/id.h"

struct sockaddr;

#define PEER_TEXT_LEN 48

struct peer {
  uint8_t key[9]; /* family, then 4 (IPv4) or 8 (IPv6 /64) bytes */
  char text[PEER_TEXT_LEN];
};

/* Fills |p| from a connected socket's address; "?" if it has none. */
void peer_set(struct peer *p, const struct sockaddr *sa);
bool peer_same(const struct peer *a, const struct peer *b);

#define RLOG_SLOTS 64
#define RLOG_REASON_LEN 32

struct rlog_slot {
  struct peer peer;
  char reason[RLOG_REASON_LEN];
  uint64_t more; /* refusals counted, not logged, this window */
};

struct rlog {
  int n;
  uint64_t others; /* refusals that found no free slot */
  struct rlog_slot slot[RLOG_SLOTS];
};

/* True when this refusal should be logged in full (the first of its
 * address and reason this window); otherwise it is counted. */
bool rlog_note(struct rlog *l, const struct peer *p, const char *reason);
/* Ends the window: calls |emit| for every slot that counted refusals
 * (|peer| NULL for those that found no slot), then forgets them all. */
void rlog_flush(struct rlog *l,
                void (*emit)(const char *peer, const char *reason,
                             uint64_t more, void *arg),
                void *arg);

#define NCACHE_MAX 1024

struct ncache_entry {
  uint8_t node[ID_LEN];
  uint8_t pk[32];
};

struct ncache {
  int n;
  struct ncache_entry e[NCACHE_MAX];
};

bool ncache_get(const struct ncache *c, const uint8_t node[ID_LEN],
                uint8_t pk[32]);
/* Remembers |node|'s key; a full cache remembers nothing more (each
 * further node is then looked up every time, which is only slower). */
void ncache_put(struct ncache *c, const uint8_t node[ID_LEN],
                const uint8_t pk[32]);
void ncache_forget(struct ncache *c, const uint8_t node[ID_LEN]);
#endif
