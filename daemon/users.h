/* SPDX-License-Identifier: MIT
 * users.h -- the dashboard's accounts (DESIGN §13): a name, a role, an
 * Argon2id password hash (libsodium crypto_pwhash_str) and a node of the
 * user's own, enrolled as a district node, whose key signs the user's
 * changes so the sync log names the person. Owns the ui_user table, made in
 * district stores only (users_init). Sessions are not stored: they live in
 * the serving process (daemon/ui.c). */
#ifndef DS_DAEMON_USERS_H
#define DS_DAEMON_USERS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

struct store;
struct sqlite3;
struct args;

enum users_role { USERS_VIEWER = 0, USERS_CLERK = 1, USERS_ADMIN = 2 };

#define USERS_NAME_MAX 32
#define USERS_PW_MIN 8
#define USERS_PW_MAX 128

/* Argon2id cost. One hash takes USERS_PW_MEMLIMIT bytes while it runs and
 * the daemon runs one at a time (docs/DECISIONS.md, "Dashboard"). */
#define USERS_PW_MEMLIMIT (32u << 20)
#define USERS_PW_OPSLIMIT 3

struct users_who {
  char name[USERS_NAME_MAX + 1];
  int role; /* enum users_role */
  uint8_t node[16];
  uint8_t sk[64]; /* the node's Ed25519 secret key */
};

/* Creates the accounts table if the store has none. */
DS_NODISCARD int users_init(struct store *st);

/* "viewer", "clerk", "admin" (or Vietnamese labels): the role, or -1. */
int users_role_parse(const char *s);
const char *users_role_name(int role);
const char *users_role_label(int role); /* Vietnamese */

DS_NODISCARD int users_add(struct store *st, const char *name, int role,
                           const char *password, char *errbuf);
DS_NODISCARD int users_passwd(struct store *st, const char *name,
                              const char *password, char *errbuf);
/* Removes the account and revokes its node (its past changes stay in the
 * log under its name). */
DS_NODISCARD int users_remove(struct store *st, const char *name, char *errbuf);
DS_NODISCARD int users_list(struct store *st, bool json, FILE *out);

/* Checks |password| for |name| on |db| (read-only is enough). 0 and |*who|
 * filled when it matches; DS_EPERM when the name or password is wrong (the
 * same work is done for an unknown name); DS_EIO. Runs Argon2id: call it
 * off the loop, one at a time. */
DS_NODISCARD int users_login(struct sqlite3 *db, const char *name,
                             const char *password, struct users_who *who);
/* Reads |name|'s current role and node into |who|: DS_ENOENT once the
 * account is gone. */
DS_NODISCARD int users_get(struct sqlite3 *db, const char *name,
                           struct users_who *who);

/* `dansyncd user add|list|passwd|remove`: returns the exit code. */
int users_cmd(const struct args *a, const char *verb);
#endif
