/* SPDX-License-Identifier: MIT
 * admin_ops.c -- dansyncd's commands for running a district: `serve` (its
 * flags, its config file, one serve per store), `init`, `commune list` and
 * `backup`. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/args.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/files.h"
#include "common/json.h"
#include "common/meta.h"
#include "common/store.h"
#include "common/synclog.h"
#include "common/utf8.h"
#include "daemon/admin_int.h"
#include "daemon/dmsg.h"
#include "daemon/registry.h"
#include "daemon/district.h"
#include "daemon/server.h"
#include "daemon/tls.h"

/* One serve per store: a lock on DB.lock (created 0600 beside the store),
 * held until the process ends, with the holder's pid written in it. Returns
 * the lock's descriptor, -2 for a store that has no file (":memory:"), or
 * -1 with |err| naming the pid that holds it. */
static int serve_lock(const char *db, char *err) {
  char path[4096], real[PATH_MAX];
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  int fd;

  if (!strcmp(db, ":memory:") || !*db)
    return -2;
  /* Beside the store itself, however it is named (a symlink, ../): one
   * lock per store, as SQLite resolves the name for its -wal. */
  if (!realpath(db, real))
    return dmsg_fail(err, DS_EIO, DM_RESOLVE_PATH, db, strerror(errno)), -1;
  if ((size_t)snprintf(path, sizeof(path), "%s.lock", real) >= sizeof(path))
    return dmsg_fail(err, DS_EINVAL, DM_PATH_LONG), -1;
  fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return dmsg_fail(err, DS_EIO, DM_LOCK_OPEN, path, strerror(errno)), -1;
  if (fcntl(fd, F_SETLK, &fl) == 0) {
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) || write(fd, pid, (size_t)n) != n) {
      /* The lock holds without the pid in the file. */
    }
    return fd;
  }
  fl.l_type = F_WRLCK;
  if ((errno == EACCES || errno == EAGAIN) && fcntl(fd, F_GETLK, &fl) == 0 &&
      fl.l_type != F_UNLCK)
    dmsg_fail(err, DS_EBUSY, DM_SERVE_RUNNING, (long)fl.l_pid, db);
  else
    dmsg_fail(err, DS_EIO, DM_LOCK, path, strerror(errno));
  close(fd);
  return -1;
}

/* Every serve setting: a flag, and a `name = value` line of --config. */
enum kind { K_LISTEN, K_DURATION, K_COUNT, K_MIB, K_PATH, K_BOOL };

struct serve_opts {
  struct srv_config cfg;
  uint64_t busy_ms;
  char host[256], ui_host[256];
  bool per_addr_set;
};

static const struct setting {
  const char *name;
  enum kind kind;
  size_t off; /* in struct serve_opts */
  uint64_t min, max;
  enum dmsg_id must; /* "must be ..." */
} settings[] = {
#define CFG(f) offsetof(struct serve_opts, cfg.f)
    {"listen", K_LISTEN, 0, 0, 0, DM_MUST_LISTEN},
    {"max-skew", K_DURATION, CFG(max_skew_ms), 0, 30 * 86400000ull,
     DM_MUST_SKEW},
    {"max-conns", K_COUNT, CFG(max_conns), 1, 100000, DM_MUST_CONNS},
    {"max-conns-per-addr", K_COUNT, CFG(max_conns_per_addr), 1, 100000,
     DM_MUST_CONNS},
    {"head-timeout", K_DURATION, CFG(head_timeout_ms), 1, 86400000,
     DM_MUST_HEAD},
    {"read-timeout", K_DURATION, CFG(read_timeout_ms), 1, 86400000,
     DM_MUST_60S},
    {"write-timeout", K_DURATION, CFG(write_timeout_ms), 1, 86400000,
     DM_MUST_30S},
    {"idle-timeout", K_DURATION, CFG(idle_timeout_ms), 1, 86400000,
     DM_MUST_60S},
    {"max-body-memory", K_MIB, CFG(max_body_bytes), 9, 4096, DM_MUST_MIB},
    {"busy-timeout", K_DURATION, offsetof(struct serve_opts, busy_ms), 0,
     600000, DM_MUST_BUSY},
    {"port-file", K_PATH, CFG(port_file), 0, 0, DM_MUST_FILE},
    {"tls-cert", K_PATH, CFG(tls_cert), 0, 0, DM_MUST_CERT},
    {"tls-key", K_PATH, CFG(tls_key), 0, 0, DM_MUST_KEY},
    {"insecure-http", K_BOOL, CFG(insecure_http), 0, 0, DM_MUST_YESNO},
    {"ui-listen", K_LISTEN, 1, 0, 0, DM_MUST_UI_LISTEN},
    {"ui-port-file", K_PATH, CFG(ui_port_file), 0, 0, DM_MUST_FILE},
    {"no-ui", K_BOOL, CFG(no_ui), 0, 0, DM_MUST_YESNO},
#undef CFG
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* Sets |st| from |v|; |where| ("--" for a flag, "FILE:LINE: " for the
 * config) prefixes the one-sentence error in |err|. */
static int apply(struct serve_opts *o, const struct setting *st, const char *v,
                 const char *where, char *err) {
  char *p = (char *)o + st->off, *end;
  uint64_t n = 0;
  bool ok = true;

  switch (st->kind) {
  case K_LISTEN: {
    /* off 0: --listen; 1: --ui-listen (the dashboard, daemon/ui.h). */
    char *host = st->off ? o->ui_host : o->host;
    const char *colon = strrchr(v, ':');
    long port = -1;
    size_t hl = colon ? (size_t)(colon - v) : 0;
    if (colon && hl > 0 && hl < sizeof(o->host))
      port = strtol(colon + 1, &end, 10);
    ok = port >= 0 && port <= 65535 && !*end && end != colon + 1;
    if (ok) {
      memcpy(host, v, hl);
      host[hl] = '\0';
      if (host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl);
        host[hl - 2] = '\0';
      }
      *(st->off ? &o->cfg.ui_host : &o->cfg.host) = host;
      *(st->off ? &o->cfg.ui_port : &o->cfg.port) = (int)port;
    }
    break;
  }
  case K_DURATION:
    ok = admin_parse_duration(v, &n) == 0 && n >= st->min && n <= st->max;
    if (ok)
      memcpy(p, &n, sizeof(n));
    break;
  case K_COUNT:
  case K_MIB:
    n = strtoull(v, &end, 10);
    ok = *v >= '0' && *v <= '9' && !*end && n >= st->min && n <= st->max;
    if (ok && st->kind == K_COUNT) {
      int i = (int)n;
      memcpy(p, &i, sizeof(i));
    } else if (ok) {
      n <<= 20;
      memcpy(p, &n, sizeof(n));
    }
    break;
  case K_PATH:
    ok = *v != '\0';
    if (ok)
      memcpy(p, &v, sizeof(v));
    break;
  case K_BOOL: /* a bare flag is "" */
    ok = !*v || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "no") ||
         !strcmp(v, "false");
    if (ok)
      *(bool *)(void *)p = !*v || *v == 'y' || *v == 't';
    break;
  }
  if (ok && !strcmp(st->name, "max-conns-per-addr"))
    o->per_addr_set = true;
  return ok ? 0
            : dmsg_fail(err, DS_EINVAL, DM_SETTING_MUST, where, st->name,
                        dmsg(st->must));
}

static const struct setting *setting_find(const char *name, size_t len) {
  for (size_t i = 0; i < NSETTINGS; i++)
    if (strlen(settings[i].name) == len &&
        !strncmp(settings[i].name, name, len))
      return &settings[i];
  return NULL;
}

/* Reads --config FILE into |o|: `name = value` lines, # comments, blank
 * lines; an unknown name, a duplicate or a bad value is an error naming the
 * line. |text| keeps the file (the values point into it). */
static int read_config(const char *path, struct serve_opts *o, char **text,
                       char *err) {
  int line[NSETTINGS] = {0}, no = 0;
  FILE *f = fopen(path, "r");
  size_t len;
  char *at, *nl;

  if (!f)
    return dmsg_fail(err, DS_EINVAL, DM_CONFIG_READ, path, strerror(errno));
  *text = calloc(1, 65537);
  len = *text ? fread(*text, 1, 65536, f) : 0;
  if (*text && !ferror(f) && fgetc(f) != EOF)
    len = 65537;
  fclose(f);
  if (!*text || len > 65536)
    return dmsg_fail(err, DS_EINVAL, DM_CONFIG_BIG, path);
  for (at = *text; at && *at; at = nl) {
    char *eq, *k, *v, *e, where[300];
    const struct setting *st;
    nl = strchr(at, '\n');
    if (nl)
      *nl++ = '\0';
    no++;
    snprintf(where, sizeof(where), "%s:%d: ", path, no);
    for (k = at; *k == ' ' || *k == '\t'; k++)
      ;
    for (e = k + strlen(k); e > k && strchr(" \t\r", e[-1]); e--)
      ;
    *e = '\0';
    if (!*k || *k == '#')
      continue;
    eq = strchr(k, '=');
    if (!eq)
      return dmsg_fail(err, DS_EINVAL, DM_CONFIG_EQ, where);
    for (e = eq; e > k && strchr(" \t", e[-1]); e--)
      ;
    for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
      ;
    st = setting_find(k, (size_t)(e - k));
    if (!st) {
      *e = '\0';
      return dmsg_fail(err, DS_EINVAL, DM_CONFIG_UNKNOWN, where, k);
    }
    if (line[st - settings])
      return dmsg_fail(err, DS_EINVAL, DM_CONFIG_TWICE, where, st->name,
                       line[st - settings]);
    line[st - settings] = no;
    if (apply(o, st, v, where, err))
      return -1;
  }
  return 0;
}

int cmd_serve(const struct args *a) {
  const char *allowed[NSETTINGS + 2];
  struct serve_opts o = {
      .cfg =
          {
              .host = "127.0.0.1",
              .port = 8080,
              .max_skew_ms = 3600000,
              .max_conns = 256,
              .head_timeout_ms = 10000,
              .read_timeout_ms = 60000,
              .write_timeout_ms = 30000,
              .idle_timeout_ms = 60000,
              .max_body_bytes = 32u << 20,
              .ui_port = 8081,
          },
      .busy_ms = 10000,
  };
  char err[DS_ERRBUF_LEN], *text = NULL;
  const char *v;
  struct store *st;
  int rc, lockfd;

  for (size_t i = 0; i < NSETTINGS; i++)
    allowed[i] = settings[i].name;
  allowed[NSETTINGS] = "config";
  allowed[NSETTINGS + 1] = NULL;
  if (args_only(a, allowed, err))
    return args_usage(&admin_prog, "serve", err);
  /* The config first; the command line wins. */
  if ((v = args_get(a, "config")) && read_config(v, &o, &text, err)) {
    free(text);
    return args_fail(&admin_prog, EXIT_ERROR, err);
  }
  for (size_t i = 0; i < NSETTINGS; i++) {
    if (settings[i].kind == K_BOOL && args_has(a, settings[i].name))
      v = "";
    else
      v = args_get(a, settings[i].name);
    if (v && apply(&o, &settings[i], v, "--", err)) {
      free(text);
      return args_fail(&admin_prog, EXIT_ERROR, err);
    }
  }
  /* A daemon on a free port (tests, several on one machine) gets its
   * dashboard on a free port too, unless told where. */
  if (!o.cfg.ui_host && o.cfg.port == 0)
    o.cfg.ui_port = 0;
  if (!o.cfg.tls_cert != !o.cfg.tls_key) {
    free(text);
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_TLS_PAIR));
  }
  if (!o.per_addr_set)
    o.cfg.max_conns_per_addr =
        o.cfg.max_conns / 4 > 0 ? o.cfg.max_conns / 4 : 1;
  /* The lock sits beside a store that exists: a mistyped --db leaves
   * nothing behind. */
  if (access(admin_db_path(a), F_OK) != 0) {
    free(text);
    return admin_open_store(a, &st); /* says how to create one */
  }
  lockfd = serve_lock(admin_db_path(a), err);
  if (lockfd == -1) {
    free(text);
    return args_fail(&admin_prog, EXIT_ERROR, err);
  }
  rc = admin_open_store(a, &st);
  if (rc) {
    if (lockfd >= 0)
      close(lockfd);
    free(text);
    return rc;
  }
  store_set_busy_timeout(st, (int)o.busy_ms);
  store_set_cache_kib(st, 16 * 1024);
  rc = srv_run(st, &o.cfg, err);
  store_close(st);
  if (lockfd >= 0)
    close(lockfd);
  free(text);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

int cmd_init(const struct args *a) {
  static const char *const allowed[] = {"communes", "issuer", NULL};
  const char *path = admin_db_path(a), *issuer = args_get(a, "issuer");
  char err[DS_ERRBUF_LEN];
  struct store *st;
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&admin_prog, "init", err);
  if (issuer && (!*issuer || strlen(issuer) > 200 ||
                 utf8_count(issuer, strlen(issuer)) < 0))
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_ISSUER_FLAG));
  rc = district_create(&st, path, args_get(a, "communes"), err);
  if (rc)
    return args_fail(&admin_prog, EXIT_ERROR, err);
  if (issuer && meta_set(st, META_ISSUER, issuer, strlen(issuer))) {
    store_close(st);
    unlink(path);
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_WRITE_NEW_STORE));
  }
  {
    int n = 0;
    if (registry_commune_count(st, &n))
      n = 0;
    dmsg_print(stdout, DM_CREATED, path, n);
  }
  store_close(st);
  return EXIT_OK;
}

struct commune_list {
  struct buf *b;
  bool json;
  int n;
};

static int commune_row(void *arg, const char *slug, const char *name,
                       const char *kind) {
  struct commune_list *l = arg;
  struct buf *b = l->b;
  int rc;

  if (l->json) {
    rc = buf_printf(b, "%s\n  {\"slug\": ", l->n ? "," : "");
    if (!rc)
      rc = json_str(b, slug, strlen(slug));
    if (!rc)
      rc = buf_printf(b, ", \"name\": ");
    if (!rc)
      rc = json_str(b, name, strlen(name));
    if (!rc)
      rc = buf_printf(b, ", \"kind\": ");
    if (!rc)
      rc = json_str(b, kind, strlen(kind));
    if (!rc)
      rc = buf_printf(b, "}");
  } else {
    rc = buf_printf(b, "%-16s %s %s\n", slug, kind, name);
  }
  l->n++;
  return rc;
}

int cmd_commune_list(const struct args *a) {
  static const char *const allowed[] = {"json", NULL};
  char err[DS_ERRBUF_LEN];
  struct store *st;
  struct buf b;
  struct commune_list l = {&b, args_has(a, "json"), 0};
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&admin_prog, "commune list", err);
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  buf_init(&b, 0);
  if (l.json)
    rc = buf_printf(&b, "[");
  if (!rc)
    rc = registry_communes_each(st, commune_row, &l);
  if (!rc && l.json)
    rc = buf_printf(&b, "%s]\n", l.n ? "\n" : "");
  store_close(st);
  if (!rc)
    fwrite(b.data, 1, b.len, stdout);
  buf_cleanup(&b);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_READ_COMMUNE_LIST))
            : EXIT_OK;
}

/* ---- backup ---- */

/* Copies the live store into the new file |out| with SQLite's online backup
 * API in one step: one read transaction, so the copy is one consistent
 * moment of the store, and (WAL) the writer of a running serve is never
 * blocked by it. */
static int backup_copy(struct store *st, const char *out, char *err) {
  char plain[FILES_PATH_MAX];
  sqlite3 *dst = NULL;
  sqlite3_backup *bk;
  int rc;

  if (!files_plain(out, plain, sizeof(plain)))
    return dmsg_fail(err, DS_EINVAL, DM_BACKUP_PATH_LONG);
  if (sqlite3_open_v2(plain, &dst, SQLITE_OPEN_READWRITE, NULL)) {
    rc = dmsg_fail(err, DS_EIO, DM_OPEN_FILE, out,
                   dst ? sqlite3_errmsg(dst) : "out of memory");
    sqlite3_close(dst);
    return rc;
  }
  bk = sqlite3_backup_init(dst, "main", store_sqlite(st), "main");
  if (!bk) {
    rc = dmsg_fail(err, DS_EIO, DM_BACKUP_START, sqlite3_errmsg(dst));
    sqlite3_close(dst);
    return rc;
  }
  rc = sqlite3_backup_step(bk, -1);
  sqlite3_backup_finish(bk);
  if (rc != SQLITE_DONE) {
    rc = dmsg_fail(err,
                   rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? DS_EBUSY : DS_EIO,
                   DM_BACKUP_WRITE, sqlite3_errstr(rc));
    sqlite3_close(dst);
    return rc;
  }
  return sqlite3_close(dst) == SQLITE_OK
             ? 0
             : dmsg_fail(err, DS_EIO, DM_CLOSE_FILE, out);
}

/* What a backup holds, read back from the copy itself. */
static int backup_check(const char *out, int64_t *pos, char hash[65],
                        char digest[65], int64_t *entries, char *err) {
  struct store *bst;
  int64_t bad = 0;
  bool ok = false;
  int rc = store_open(&bst, out, 0, err);

  if (rc)
    return rc;
  if (db_integrity_ok(store_sqlite(bst), &ok) || !ok) {
    rc = dmsg_fail(err, DS_ECORRUPT, DM_BACKUP_INTEGRITY);
    goto done;
  }
  rc = synclog_verify(bst, entries, &bad, err);
  if (rc)
    goto done;
  rc = synclog_head(bst, pos, hash);
  if (!rc)
    rc = store_digest(bst, NULL, digest);
  if (rc)
    dmsg_fail(err, rc, DM_BACKUP_RECORDS);
done:
  store_close(bst);
  return rc;
}

int cmd_backup(const struct args *a) {
  static const char *const allowed[] = {"out", "force", NULL};
  const char *out = args_get(a, "out");
  char err[DS_ERRBUF_LEN], hash[65], digest[65];
  int64_t pos = 0, entries = 0;
  struct store *st;
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&admin_prog, "backup", err);
  if (!out || !*out)
    return args_usage(&admin_prog, "backup", dmsg(DM_BACKUP_NEEDS));
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  rc = args_has(a, "force") ? files_remove(out, err) : 0;
  if (!rc)
    rc = files_create_private(out, err);
  if (rc) {
    store_close(st);
    return args_fail(&admin_prog, EXIT_ERROR, err);
  }
  rc = backup_copy(st, out, err);
  store_close(st);
  if (!rc)
    rc = backup_check(out, &pos, hash, digest, &entries, err);
  if (rc) {
    unlink(out);
    return args_fail(&admin_prog, EXIT_ERROR, err);
  }
  dmsg_print(stdout, DM_BACKED_UP, out, (long long)pos, hash,
             (long long)entries);
  printf("digest %s\n", digest); /* one form in both languages: tools read it */
  return EXIT_OK;
}

/* ---- tls ---- */

int cmd_tls(const struct args *a, const char *verb) {
  static const char *const init_flags[] = {"out", "host", "days", NULL};
  static const char *const pin_flags[] = {"cert", NULL};
  const char *hosts[16];
  char err[DS_ERRBUF_LEN], pin[80], cmd[16];
  int nhosts = 0, days = 825, rc;

  snprintf(cmd, sizeof(cmd), "tls %s", verb);
  if (args_only(a, !strcmp(verb, "init") ? init_flags : pin_flags, err))
    return args_usage(&admin_prog, cmd, err);
  if (!strcmp(verb, "pin")) {
    if (!args_get(a, "cert"))
      return args_usage(&admin_prog, cmd, dmsg(DM_TLS_PIN_NEEDS));
    rc = tls_pin(args_get(a, "cert"), pin, sizeof(pin), err);
    if (rc)
      return args_fail(&admin_prog, EXIT_ERROR, err);
    printf("%s\n", pin);
    return EXIT_OK;
  }
  for (int i = 0; i < a->nflags && nhosts < 16; i++)
    if (!strcmp(a->flags[i].name, "host") && a->flags[i].value &&
        *a->flags[i].value)
      hosts[nhosts++] = a->flags[i].value;
  if (!args_get(a, "out") || !nhosts)
    return args_usage(&admin_prog, cmd, dmsg(DM_TLS_INIT_NEEDS));
  if (args_get(a, "days")) {
    char *end;
    long n = strtol(args_get(a, "days"), &end, 10);
    if (*end || n < 1 || n > 3650)
      return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_TLS_DAYS));
    days = (int)n;
  }
  if (mkdir(args_get(a, "out"), 0700) && errno != EEXIST)
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_TLS_MKDIR));
  rc = tls_make_cert(args_get(a, "out"), hosts, nhosts, days, err);
  if (!rc) {
    char crt[FILES_PATH_MAX + 16];
    snprintf(crt, sizeof(crt), "%s/district.crt", args_get(a, "out"));
    rc = tls_pin(crt, pin, sizeof(pin), err);
  }
  if (rc)
    return args_fail(&admin_prog, EXIT_ERROR, err);
  dmsg_print(stdout, DM_TLS_WROTE, args_get(a, "out"), args_get(a, "out"), days,
             pin);
  return EXIT_OK;
}
