/* SPDX-License-Identifier: MIT
 * evict.c -- dansyncd serve's connection limits, per address (an IPv4
 * address or an IPv6 /64) and in all: when a new connection finds every
 * slot taken, the connection that least deserves its slot is closed to
 * make room, or the new one is shed when every slot does real work. */
#include "daemon/log.h"
#include "daemon/serve.h"

/* With every slot taken (of the daemon, or of |nc|'s address when
 * |same_peer|), the connection that least deserves its slot makes room,
 * by rank: one draining after a refusal; one whose answer has not moved
 * for a second (its peer does not read); a head trickling for a second
 * (a real one arrives in one round trip); a new connection silent for a
 * second; a kept-alive one between requests; last, a new connection that
 * has had less than a second to speak. Oldest first within a rank.
 * Bodies arriving, requests merging and answers moving are never
 * evicted. None: NULL. */
static int evict_rank(const struct conn *c, uint64_t now) {
  uint64_t age = now - c->since_ms;
  switch (c->state) {
  case RS_DRAINING: return 0;
  case RS_WRITING: return now - c->wq_ms >= 1000 ? 1 : -1;
  case RS_HEAD: return age >= 1000 ? 2 : -1;
  case RS_IDLE: return !c->served ? (age >= 1000 ? 3 : 5) : 4;
  default: return -1;
  }
}

static struct conn *victim(struct daemon *d, const struct conn *nc,
                           bool same_peer) {
  uint64_t now = uv_now(&d->loop);
  struct conn *best = NULL;
  int best_rank = 6;
  for (struct conn *c = d->conns; c; c = c->next) {
    int r;
    if (c == nc || c->closing || (same_peer && !peer_same(&c->peer, &nc->peer)))
      continue;
    r = evict_rank(c, now);
    /* The list runs newest first: <= keeps the oldest of a rank. */
    if (r >= 0 &&
        (r < best_rank || (r == best_rank && c->since_ms <= best->since_ms))) {
      best = c;
      best_rank = r;
    }
  }
  return best;
}

static int peer_conns(const struct daemon *d, const struct conn *nc) {
  int n = 0;
  for (const struct conn *c = d->conns; c; c = c->next)
    n += c != nc && !c->closing && peer_same(&c->peer, &nc->peer);
  return n;
}

/* Closes a connection to make room for |nc|, or |nc| itself when every
 * slot is busy with real work (shed). True when |nc| was closed. */
static bool make_room(struct daemon *d, struct conn *nc, bool same_peer,
                      const char *reason) {
  struct conn *v = victim(d, nc, same_peer);
  if (!v) {
    d->met.shed++;
    conn_refusal(nc, reason, NULL);
    conn_close(nc);
    return true;
  }
  d->met.evicted++;
  LOG_DEBUG("http", "evicting peer=%s to make room for peer=%s", v->peer.text,
            nc->peer.text);
  conn_close(v);
  return false;
}

bool evict_for(struct conn *c) {
  struct daemon *d = c->d;
  if (peer_conns(d, c) >= d->cfg->max_conns_per_addr &&
      make_room(d, c, true, "per_address_limit"))
    return true;
  return d->nlive > d->cfg->max_conns && make_room(d, c, false, "server_full");
}
