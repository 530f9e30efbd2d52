/* SPDX-License-Identifier: MIT
 * ui_session.c -- the dashboard's sessions and its login slow-down, held
 * in the serving process only (docs/DECISIONS.md, "Dashboard"): a restart
 * logs everyone out, and nothing about sessions is ever written to the
 * store, so a page never waits for the writer nor the writer for a page.
 * Loop thread only. */
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/hex.h"
#include "daemon/ui_int.h"

/* Failed logins from one address: the first UI_FREE_FAILS cost nothing
 * more than the hash; each one after doubles the wait before the next
 * attempt from that address is looked at, up to UI_MAX_WAIT_S. The account
 * is never locked: the wait is per address, and it ends. */
#define UI_FREE_FAILS 5
#define UI_MAX_WAIT_S 60
#define UI_THROTTLE_FORGET_MS (15ull * 60 * 1000)

struct session *session_find(struct ui_sessions *ss, const char *token) {
  uint64_t now = clock_now_ms();
  if (strlen(token) != UI_TOKEN_HEX)
    return NULL;
  for (int i = 0; i < UI_MAX_SESSIONS; i++) {
    struct session *s = &ss->sess[i];
    if (!s->token[0] || sodium_memcmp(s->token, token, UI_TOKEN_HEX))
      continue;
    if (now - s->last_ms > ss->idle_ms) {
      memset(s, 0, sizeof(*s));
      return NULL;
    }
    s->last_ms = now;
    return s;
  }
  return NULL;
}

static void random_hex(char out[UI_TOKEN_HEX + 1]) {
  uint8_t r[UI_TOKEN_HEX / 2];
  randombytes_buf(r, sizeof(r));
  hex_encode(out, r, sizeof(r));
}

/* A new session for |user|; the least recently used one makes room. */
struct session *session_new(struct ui_sessions *ss, const char *user) {
  struct session *s = &ss->sess[0];
  for (int i = 0; i < UI_MAX_SESSIONS; i++) {
    if (!ss->sess[i].token[0]) {
      s = &ss->sess[i];
      break;
    }
    if (ss->sess[i].last_ms < s->last_ms)
      s = &ss->sess[i];
  }
  random_hex(s->token);
  random_hex(s->csrf);
  snprintf(s->user, sizeof(s->user), "%s", user);
  s->last_ms = clock_now_ms();
  return s;
}

static struct throttle *throttle_of(struct ui_sessions *ss,
                                    const struct peer *p, bool make) {
  struct throttle *old = &ss->thr[0];
  uint64_t now = clock_now_ms();
  for (int i = 0; i < UI_THROTTLE_SLOTS; i++) {
    struct throttle *t = &ss->thr[i];
    if (t->last_ms && now - t->last_ms > UI_THROTTLE_FORGET_MS &&
        now >= t->until_ms)
      memset(t, 0, sizeof(*t));
    if (t->last_ms && peer_same(&t->peer, p))
      return t;
    if (t->last_ms < old->last_ms)
      old = t;
  }
  if (!make)
    return NULL;
  memset(old, 0, sizeof(*old));
  old->peer = *p;
  return old;
}

/* Seconds until |p| may try again, 0 when it may now. */
unsigned throttle_wait(struct ui_sessions *ss, const struct peer *p) {
  struct throttle *t = throttle_of(ss, p, false);
  uint64_t now = clock_now_ms();
  return t && t->until_ms > now ? (unsigned)((t->until_ms - now + 999) / 1000)
                                : 0;
}

void throttle_fail(struct ui_sessions *ss, const struct peer *p) {
  struct throttle *t = throttle_of(ss, p, true);
  t->fails++;
  t->last_ms = clock_now_ms();
  if (t->fails >= UI_FREE_FAILS) {
    int shift = t->fails - UI_FREE_FAILS;
    uint64_t wait = shift >= 6 ? UI_MAX_WAIT_S : (1u << shift);
    t->until_ms =
        t->last_ms + (wait > UI_MAX_WAIT_S ? UI_MAX_WAIT_S : wait) * 1000;
  }
}

void throttle_ok(struct ui_sessions *ss, const struct peer *p) {
  struct throttle *t = throttle_of(ss, p, false);
  if (t)
    memset(t, 0, sizeof(*t));
}
