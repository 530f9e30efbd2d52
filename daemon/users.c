/* SPDX-License-Identifier: MIT
 * users.c -- dashboard accounts: the ui_user table, Argon2id hashes, each
 * account's own district node, and the `dansyncd user` commands. */
#include "daemon/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/args.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/id.h"
#include "common/json.h"
#include "common/store.h"
#include "daemon/admin_int.h"
#include "daemon/dmsg.h"

static const char *const role_names[] = {"viewer", "clerk", "admin"};
static const char *const role_labels[] = {"xem", "văn thư", "quản trị"};
static const char *const role_ascii[] = {"xem", "van thu", "quan tri"};

int users_init(struct store *st) {
  return sqlite3_exec(store_sqlite(st),
                      "CREATE TABLE IF NOT EXISTS ui_user("
                      "name TEXT PRIMARY KEY, role INTEGER NOT NULL,"
                      " hash TEXT NOT NULL, node BLOB NOT NULL,"
                      " sk BLOB NOT NULL, created_ms INTEGER NOT NULL)"
                      " WITHOUT ROWID",
                      NULL, NULL, NULL)
             ? DS_EIO
             : 0;
}

int users_role_parse(const char *s) {
  for (int i = 0; i < 3; i++)
    if (!strcmp(s, role_names[i]) || !strcmp(s, role_labels[i]) ||
        !strcmp(s, role_ascii[i]))
      return i;
  return -1;
}

const char *users_role_name(int role) {
  return role >= 0 && role < 3 ? role_names[role] : "?";
}

const char *users_role_label(int role) {
  return role >= 0 && role < 3 ? role_labels[role] : "?";
}

static bool name_ok(const char *n) {
  size_t len = strlen(n);
  if (len == 0 || len > USERS_NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') ||
          n[i] == '.' || n[i] == '_' || n[i] == '-'))
      return false;
  return true;
}

static int pw_check(const char *pw, char *errbuf) {
  size_t n = strlen(pw);
  if (n < USERS_PW_MIN || n > USERS_PW_MAX)
    return dmsg_fail(errbuf, DS_EINVAL, DM_PW_LENGTH, USERS_PW_MIN,
                     USERS_PW_MAX);
  return 0;
}

static int pw_hash(char out[crypto_pwhash_STRBYTES], const char *pw,
                   char *errbuf) {
  if (crypto_pwhash_str(out, pw, strlen(pw), USERS_PW_OPSLIMIT,
                        USERS_PW_MEMLIMIT))
    return dmsg_fail(errbuf, DS_ENOMEM, DM_PW_MEMORY);
  return 0;
}

/* Runs one statement with up to three text/blob bindings; rows changed. */
static int exec1(sqlite3 *db, const char *sql, const char *t1, const char *t2) {
  sqlite3_stmt *s;
  int n = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL))
    return -1;
  sqlite3_bind_text(s, 1, t1, -1, SQLITE_STATIC);
  if (t2)
    sqlite3_bind_text(s, 2, t2, -1, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_DONE)
    n = sqlite3_changes(db);
  sqlite3_finalize(s);
  return n;
}

int users_add(struct store *st, const char *name, int role,
              const char *password, char *errbuf) {
  char hash[crypto_pwhash_STRBYTES], label[64];
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t node[ID_LEN];
  sqlite3 *db = store_sqlite(st);
  sqlite3_stmt *s = NULL;
  int rc;

  if (!name_ok(name))
    return dmsg_fail(errbuf, DS_EINVAL, DM_USER_NAME, USERS_NAME_MAX);
  if (role < 0)
    return dmsg_fail(errbuf, DS_EINVAL, DM_USER_ROLE);
  rc = pw_check(password, errbuf);
  if (!rc)
    rc = pw_hash(hash, password, errbuf);
  if (rc)
    return rc;
  crypto_sign_keypair(pk, sk);
  id_random(node);
  snprintf(label, sizeof(label), "user %s", name);
  rc = store_begin(st);
  if (rc)
    return dmsg_fail(errbuf, rc, DM_WRITE_STORE);
  if (sqlite3_prepare_v2(db,
                         "INSERT OR IGNORE INTO ui_user(name, role, hash, "
                         "node, sk, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, "
                         "?6)",
                         -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, role);
    sqlite3_bind_text(s, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, node, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(s, 5, sk, sizeof(sk), SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, (int64_t)clock_now_ms());
    rc = sqlite3_step(s) == SQLITE_DONE ? 0 : DS_EIO;
    if (!rc && sqlite3_changes(db) == 0)
      rc = dmsg_fail(errbuf, DS_EEXIST, DM_USER_EXISTS, name);
  } else {
    rc = DS_EIO;
  }
  sqlite3_finalize(s);
  s = NULL;
  /* The account's node: a district node, so its changes count as the
   * district's in the report (DESIGN §9) and the log names the person. */
  if (!rc && sqlite3_prepare_v2(db,
                                "INSERT INTO node(node, pubkey, commune, "
                                "label, enrolled_ms) VALUES (?1, ?2, "
                                "'district', ?3, ?4)",
                                -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_blob(s, 1, node, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, pk, sizeof(pk), SQLITE_STATIC);
    sqlite3_bind_text(s, 3, label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, (int64_t)clock_now_ms());
    rc = sqlite3_step(s) == SQLITE_DONE ? 0 : DS_EIO;
  } else if (!rc) {
    rc = DS_EIO;
  }
  sqlite3_finalize(s);
  sodium_memzero(sk, sizeof(sk));
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  if (rc && rc != DS_EEXIST)
    dmsg_fail(errbuf, rc, DM_WRITE_STORE);
  return rc;
}

int users_passwd(struct store *st, const char *name, const char *password,
                 char *errbuf) {
  char hash[crypto_pwhash_STRBYTES];
  int rc = pw_check(password, errbuf), n;
  if (!rc)
    rc = pw_hash(hash, password, errbuf);
  if (rc)
    return rc;
  n = exec1(store_sqlite(st), "UPDATE ui_user SET hash = ?2 WHERE name = ?1",
            name, hash);
  if (n < 0)
    return dmsg_fail(errbuf, DS_EIO, DM_WRITE_STORE);
  return n ? 0 : dmsg_fail(errbuf, DS_ENOENT, DM_NO_USER, name);
}

int users_remove(struct store *st, const char *name, char *errbuf) {
  sqlite3 *db = store_sqlite(st);
  char now[24];
  int rc = store_begin(st), n = -1;
  if (rc)
    return dmsg_fail(errbuf, rc, DM_WRITE_STORE);
  /* The time from our clock, as every revocation takes it (SQLite's
   * unixepoch('subsec') is NULL before 3.42: Debian 12 has 3.40). */
  snprintf(now, sizeof(now), "%lld", (long long)clock_now_ms());
  if (exec1(db,
            "UPDATE node SET revoked_ms = coalesce(revoked_ms, "
            "CAST(?2 AS INTEGER)) WHERE node = "
            "(SELECT node FROM ui_user WHERE name = ?1)",
            name, now) >= 0)
    n = exec1(db, "DELETE FROM ui_user WHERE name = ?1", name, NULL);
  if (n > 0)
    rc = store_commit(st);
  else
    store_rollback(st);
  if (n == 0)
    return dmsg_fail(errbuf, DS_ENOENT, DM_NO_USER, name);
  return n < 0 || rc ? dmsg_fail(errbuf, DS_EIO, DM_WRITE_STORE) : 0;
}

int users_list(struct store *st, bool json, FILE *out) {
  sqlite3_stmt *s;
  struct buf b;
  int rc = 0, n = 0;

  if (sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT name, role, lower(hex(node)), created_ms "
                         "FROM ui_user ORDER BY name",
                         -1, &s, NULL))
    return DS_EIO;
  buf_init(&b, 0);
  if (json)
    rc = buf_printf(&b, "[");
  while (!rc && sqlite3_step(s) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(s, 0);
    const char *node = (const char *)sqlite3_column_text(s, 2);
    int role = sqlite3_column_int(s, 1);
    if (json) {
      rc = buf_printf(&b, "%s\n  {\"name\": ", n ? "," : "");
      if (!rc)
        rc = json_str(&b, name, strlen(name));
      if (!rc)
        rc = buf_printf(&b,
                        ", \"role\": \"%s\", \"node\": \"%s\", "
                        "\"created_ms\": %lld}",
                        users_role_name(role), node,
                        (long long)sqlite3_column_int64(s, 3));
    } else {
      rc = buf_printf(&b, "%-20s %-7s %s\n", name, users_role_name(role), node);
    }
    n++;
  }
  sqlite3_finalize(s);
  if (!rc && json)
    rc = buf_printf(&b, "%s]\n", n ? "\n" : "");
  else if (!rc && n == 0)
    rc = buf_printf(&b, "%s", dmsg(DM_NO_USERS));
  if (!rc)
    fwrite(b.data, 1, b.len, out);
  buf_cleanup(&b);
  return rc;
}

static int read_who(sqlite3 *db, const char *name, struct users_who *who,
                    char hash[crypto_pwhash_STRBYTES]) {
  sqlite3_stmt *s;
  int rc = DS_ENOENT;
  if (sqlite3_prepare_v2(db,
                         "SELECT role, hash, node, sk FROM ui_user WHERE "
                         "name = ?1",
                         -1, &s, NULL))
    return DS_EIO;
  sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 2) == ID_LEN &&
      sqlite3_column_bytes(s, 3) == (int)sizeof(who->sk) &&
      (size_t)sqlite3_column_bytes(s, 1) < crypto_pwhash_STRBYTES) {
    snprintf(who->name, sizeof(who->name), "%s", name);
    who->role = sqlite3_column_int(s, 0);
    memcpy(who->node, sqlite3_column_blob(s, 2), ID_LEN);
    memcpy(who->sk, sqlite3_column_blob(s, 3), sizeof(who->sk));
    if (hash)
      snprintf(hash, crypto_pwhash_STRBYTES, "%s",
               (const char *)sqlite3_column_text(s, 1));
    rc = 0;
  }
  sqlite3_finalize(s);
  return rc;
}

int users_get(sqlite3 *db, const char *name, struct users_who *who) {
  return read_who(db, name, who, NULL);
}

int users_login(sqlite3 *db, const char *name, const char *password,
                struct users_who *who) {
  /* A hash of nothing anyone types, verified for unknown names so that a
   * guess at a name costs as long as a guess at a password. */
  static char dummy[crypto_pwhash_STRBYTES];
  char hash[crypto_pwhash_STRBYTES];
  struct users_who w;
  int rc;

  if (!dummy[0] &&
      crypto_pwhash_str(dummy, "\x01", 1, USERS_PW_OPSLIMIT, USERS_PW_MEMLIMIT))
    return DS_ENOMEM;
  rc =
      strlen(name) <= USERS_NAME_MAX ? read_who(db, name, &w, hash) : DS_ENOENT;
  if (rc && rc != DS_ENOENT)
    return rc;
  if (crypto_pwhash_str_verify(rc ? dummy : hash, password, strlen(password)) ||
      rc) {
    sodium_memzero(&w, sizeof(w));
    return DS_EPERM;
  }
  *who = w;
  sodium_memzero(&w, sizeof(w));
  return 0;
}

/* ---- dansyncd user ---- */

/* One line from stdin; on a terminal, asked for twice without echo. */
static int read_password(char *pw, size_t cap, char *errbuf) {
  bool tty = isatty(0);
  struct termios old, quiet;
  char again[USERS_PW_MAX + 2];
  int rc = 0;

  for (int round = 0; round < (tty ? 2 : 1) && !rc; round++) {
    char *dst = round ? again : pw;
    size_t dcap = round ? sizeof(again) : cap, n;
    if (tty) {
      fputs(dmsg(round ? DM_PW_AGAIN : DM_PW_PROMPT), stderr);
      tcgetattr(0, &old);
      quiet = old;
      quiet.c_lflag &= ~(tcflag_t)ECHO;
      tcsetattr(0, TCSAFLUSH, &quiet);
    }
    if (!fgets(dst, (int)dcap, stdin))
      dst[0] = '\0';
    if (tty) {
      tcsetattr(0, TCSAFLUSH, &old);
      fputs("\n", stderr);
    }
    n = strlen(dst);
    if (n && dst[n - 1] == '\n')
      dst[--n] = '\0';
    if (n && dst[n - 1] == '\r')
      dst[--n] = '\0';
    if (n == 0)
      rc = dmsg_fail(errbuf, DS_EINVAL, DM_PW_NONE);
  }
  if (!rc && tty && strcmp(pw, again))
    rc = dmsg_fail(errbuf, DS_EINVAL, DM_PW_DIFFER);
  sodium_memzero(again, sizeof(again));
  return rc;
}

int users_cmd(const struct args *a, const char *verb) {
  static const char *const add_flags[] = {"role", NULL};
  static const char *const list_flags[] = {"json", NULL};
  static const char *const no_flags[] = {NULL};
  char err[DS_ERRBUF_LEN], cmd[32], pw[USERS_PW_MAX + 2];
  bool list = !strcmp(verb, "list"), add = !strcmp(verb, "add");
  const char *name = a->npos > 2 ? a->pos[2] : NULL;
  struct store *st;
  int rc, role = -1;

  snprintf(cmd, sizeof(cmd), "user %s", verb);
  if (args_only(a, add ? add_flags : list ? list_flags : no_flags, err))
    return args_usage(&admin_prog, cmd, err);
  if (a->npos != (list ? 2 : 3))
    return args_usage(&admin_prog, cmd,
                      dmsg(list ? DM_UNEXPECTED : DM_GIVE_USER));
  if (add && !args_get(a, "role"))
    return args_usage(&admin_prog, cmd, dmsg(DM_USER_ADD_ROLE));
  if (add && (role = users_role_parse(args_get(a, "role"))) < 0)
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_USER_ROLE));
  if (add && !name_ok(name)) {
    dmsg_fmt(err, sizeof(err), DM_USER_NAME, USERS_NAME_MAX);
    return args_fail(&admin_prog, EXIT_ERROR, err);
  }
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  if ((add || !strcmp(verb, "passwd")) && read_password(pw, sizeof(pw), err))
    rc = DS_EINVAL;
  else if (add)
    rc = users_add(st, name, role, pw, err);
  else if (!strcmp(verb, "passwd"))
    rc = users_passwd(st, name, pw, err);
  else if (!strcmp(verb, "remove"))
    rc = users_remove(st, name, err);
  else
    rc = users_list(st, args_has(a, "json"), stdout)
             ? dmsg_fail(err, DS_EIO, DM_READ_USERS)
             : 0;
  sodium_memzero(pw, sizeof(pw));
  store_close(st);
  if (rc)
    return args_fail(&admin_prog, EXIT_ERROR, err);
  if (add)
    dmsg_print(stdout, DM_USER_ADDED, name, users_role_label(role));
  else if (!list)
    dmsg_print(stdout,
               !strcmp(verb, "passwd") ? DM_USER_PASSWD : DM_USER_REMOVED,
               name);
  return EXIT_OK;
}
