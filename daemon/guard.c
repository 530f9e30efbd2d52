/* SPDX-License-Identifier: MIT
 * guard.c -- peers, the refusal log and the known nodes (guard.h). */
#include "daemon/guard.h"

#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

void peer_set(struct peer *p, const struct sockaddr *sa) {
  memset(p, 0, sizeof(*p));
  snprintf(p->text, sizeof(p->text), "?");
  if (sa && sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    p->key[0] = 4;
    memcpy(p->key + 1, &in->sin_addr, 4);
    uv_ip4_name(in, p->text, sizeof(p->text));
  } else if (sa && sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 =
        (const struct sockaddr_in6 *)(const void *)sa;
    const uint8_t *a = in6->sin6_addr.s6_addr;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, sizeof(mapped)) == 0) {
      p->key[0] = 4; /* an IPv4 peer on a dual-stack socket */
      memcpy(p->key + 1, a + 12, 4);
    } else {
      p->key[0] = 6;
      memcpy(p->key + 1, a, 8);
    }
    uv_ip6_name(in6, p->text, sizeof(p->text));
  }
}

bool peer_same(const struct peer *a, const struct peer *b) {
  return memcmp(a->key, b->key, sizeof(a->key)) == 0;
}

bool rlog_note(struct rlog *l, const struct peer *p, const char *reason) {
  struct rlog_slot *s;
  for (int i = 0; i < l->n; i++) {
    s = &l->slot[i];
    if (peer_same(&s->peer, p) && strcmp(s->reason, reason) == 0) {
      s->more++;
      return false;
    }
  }
  if (l->n == RLOG_SLOTS) {
    l->others++;
    return false;
  }
  s = &l->slot[l->n++];
  s->peer = *p;
  snprintf(s->reason, sizeof(s->reason), "%s", reason);
  s->more = 0;
  return true;
}

void rlog_flush(struct rlog *l,
                void (*emit)(const char *peer, const char *reason,
                             uint64_t more, void *arg),
                void *arg) {
  for (int i = 0; i < l->n; i++)
    if (l->slot[i].more)
      emit(l->slot[i].peer.text, l->slot[i].reason, l->slot[i].more, arg);
  if (l->others)
    emit(NULL, "any", l->others, arg);
  l->n = 0;
  l->others = 0;
}

static int ncache_find(const struct ncache *c, const uint8_t node[ID_LEN]) {
  for (int i = 0; i < c->n; i++)
    if (memcmp(c->e[i].node, node, ID_LEN) == 0)
      return i;
  return -1;
}

bool ncache_get(const struct ncache *c, const uint8_t node[ID_LEN],
                uint8_t pk[32]) {
  int i = ncache_find(c, node);
  if (i < 0)
    return false;
  memcpy(pk, c->e[i].pk, 32);
  return true;
}

void ncache_put(struct ncache *c, const uint8_t node[ID_LEN],
                const uint8_t pk[32]) {
  int i = ncache_find(c, node);
  if (i < 0) {
    if (c->n == NCACHE_MAX)
      return;
    i = c->n++;
    memcpy(c->e[i].node, node, ID_LEN);
  }
  memcpy(c->e[i].pk, pk, 32);
}

void ncache_forget(struct ncache *c, const uint8_t node[ID_LEN]) {
  int i = ncache_find(c, node);
  if (i >= 0)
    c->e[i] = c->e[--c->n];
}
