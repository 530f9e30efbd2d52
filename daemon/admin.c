/* SPDX-License-Identifier: MIT
 * admin.c -- dansyncd commands. Each opens the district store (WAL, so they
 * work while `serve` runs on it) and exits with a code of DESIGN §8. */
#include "daemon/admin.h"
#include "daemon/admin_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/args.h"
#include "common/edit.h"
#include "common/files.h"
#include "common/hex.h"
#include "common/meta.h"
#include "common/query.h"
#include "common/store.h"
#include "common/synclog.h"
#include "common/utf8.h"
#include "daemon/audit.h"
#include "daemon/bundle.h"
#include "daemon/district.h"
#include "daemon/dmsg.h"
#include "daemon/enrol.h"
#include "daemon/loghead.h"
#include "daemon/rotate.h"
#include "daemon/log.h"
#include "common/repfig.h"
#include "common/report.h"
#include "daemon/server.h"
#include "daemon/users.h"

/* One command's help: |what| a catalogue entry (daemon/dmsg.def). */
struct help_src {
  const char *cmd, *usage;
  enum dmsg_id what;
  const char *example;
};

static const struct help_src help_src[] = {
    {"serve",
     "serve [--listen ADDR:PORT] [--max-skew DURATION] [--communes FILE] "
     "[--max-conns N] [--max-conns-per-addr N] [--head-timeout DURATION] "
     "[--read-timeout DURATION] [--write-timeout DURATION] "
     "[--idle-timeout DURATION] [--max-body-memory MIB] "
     "[--busy-timeout DURATION] [--port-file FILE] [--config FILE] "
     "[--tls-cert FILE --tls-key FILE] [--insecure-http] "
     "[--ui-listen ADDR:PORT] [--ui-port-file FILE] [--no-ui]",
     DM_HELP_SERVE,
     "dansyncd --db /var/lib/dansync/district.db serve --listen "
     "0.0.0.0:8080"},
    {"user add", "user add NAME --role viewer|clerk|admin", DM_HELP_USER_ADD,
     "echo 'mat-khau-dai' | dansyncd user add lan --role clerk"},
    {"user list", "user list [--json]", DM_HELP_USER_LIST,
     "dansyncd user list"},
    {"user passwd", "user passwd NAME", DM_HELP_USER_PASSWD,
     "dansyncd user passwd lan"},
    {"user remove", "user remove NAME", DM_HELP_USER_REMOVE,
     "dansyncd user remove lan"},
    {"init", "init [--communes FILE] [--issuer NAME]", DM_HELP_INIT,
     "dansyncd --db /var/lib/dansync/district.db init"},
    {"tls init", "tls init --out DIR --host NAME [--host NAME...] [--days N]",
     DM_HELP_TLS_INIT,
     "dansyncd tls init --out /etc/dansync/tls --host huyen.example.vn "
     "--host 10.0.0.5"},
    {"tls pin", "tls pin --cert FILE", DM_HELP_TLS_PIN,
     "dansyncd tls pin --cert /etc/dansync/tls/district.crt"},
    {"commune list", "commune list [--json]", DM_HELP_COMMUNE_LIST,
     "dansyncd commune list"},
    {"backup", "backup --out FILE [--force]", DM_HELP_BACKUP,
     "dansyncd backup --out /var/backups/dansync/district-2024-06-01.db"},
    {"enroll",
     "enroll --commune SLUG|district [--label TEXT] [--pin PIN | --tls-cert "
     "FILE]",
     DM_HELP_ENROLL,
     "dansyncd enroll --commune hoa-an --label 'Hòa An laptop 1' --tls-cert "
     "/etc/dansync/tls/district.crt"},
    {"enroll list", "enroll list [--json]", DM_HELP_ENROLL_LIST,
     "dansyncd enroll list"},
    {"enroll cancel", "enroll cancel ID", DM_HELP_ENROLL_CANCEL,
     "dansyncd enroll cancel 3f9a0c12"},
    {"key rotate", "key rotate --out BACKUP [--force]", DM_HELP_KEY_ROTATE,
     "dansyncd key rotate --out /var/backups/dansync/after-rotation.db"},
    {"node list", "node list [--json]", DM_HELP_NODE_LIST,
     "dansyncd node list"},
    {"node revoke", "node revoke NODE --yes", DM_HELP_NODE_REVOKE,
     "dansyncd node revoke 4f2a9c01 --yes"},
    {"quarantine list", "quarantine list [--json]", DM_HELP_QUARANTINE_LIST,
     "dansyncd quarantine list"},
    {"digest", "digest [--commune C]", DM_HELP_DIGEST,
     "dansyncd digest --commune hoa-an"},
    {"petition list",
     "petition list [--status S] [--category C] [--overdue] [--search TEXT] "
     "[--commune C] [--json]",
     DM_HELP_PETITION_LIST, "dansyncd petition list --status escalated"},
    {"petition show", "petition show ID [--json]", DM_HELP_PETITION_SHOW,
     "dansyncd petition show 0193a2b4c5d6e7f8"},
    {"petition update", "petition update ID [field flags]",
     DM_HELP_PETITION_UPDATE,
     "dansyncd petition update 0193a2b4c5d6e7f8 --status answered "
     "--response 'Phòng TN-MT đã trả lời'"},
    {"petition reopen", "petition reopen ID", DM_HELP_PETITION_REOPEN,
     "dansyncd petition reopen 5e6f7a8b"},
    {"survey list", "survey list [--commune C] [--json]", DM_HELP_SURVEY_LIST,
     "dansyncd survey list --commune hoa-an"},
    {"survey void", "survey void ID", DM_HELP_SURVEY_VOID,
     "dansyncd survey void 5e6f7a8b"},
    {"report",
     "report [--from DATE] [--to DATE] [--commune C] [--as-of DATE] "
     "[--format text|json|csv|html|docx] [--number N] [--place P] [--signer S] "
     "[--position P] [--issuer NAME]",
     DM_HELP_REPORT,
     "dansyncd report --from 01/01/2024 --to 31/05/2024 --format html "
     "--number 12/BC-UBND --place 'Phụng Hiệp' --signer 'Nguyễn Văn A' "
     "--position 'CHỦ TỊCH' > bao-cao.html"},
    {"issuer", "issuer [NAME]", DM_HELP_ISSUER,
     "dansyncd issuer 'ỦY BAN NHÂN DÂN HUYỆN PHỤNG HIỆP'"},
    {"conflicts list", "conflicts list [--commune C] [--json]",
     DM_HELP_CONFLICTS_LIST, "dansyncd conflicts list --commune hoa-an"},
    {"conflicts show", "conflicts show RECORD:FIELD [--json]",
     DM_HELP_CONFLICTS_SHOW, "dansyncd conflicts show 01a2087e81d0:response"},
    {"conflicts resolve",
     "conflicts resolve RECORD:FIELD --keep winner|other|VERSION",
     DM_HELP_CONFLICTS_RESOLVE,
     "dansyncd conflicts resolve 01a2087e81d0:response --keep other"},
    {"log show",
     "log show [--node N] [--commune C] [--rid R] [--since T] [--until T] "
     "[--json]",
     DM_HELP_LOG_SHOW, "dansyncd log show --rid 01a2087e81d0"},
    {"log export", "log export --out FILE [--force]", DM_HELP_LOG_EXPORT,
     "dansyncd log export --out log-2024-05.db"},
    {"log replay",
     "log replay --from DB|FILE --into NEW.db [--until T] [--force]",
     DM_HELP_LOG_REPLAY,
     "dansyncd log replay --from district.db --into check.db"},
    {"bundle import", "bundle import FILE --answer OUT", DM_HELP_BUNDLE_IMPORT,
     "dansyncd bundle import /media/usb/hoa-an.bundle --answer "
     "/media/usb/hoa-an.answer"},
    {"log verify", "log verify [--from EXPORT]", DM_HELP_LOG_VERIFY,
     "dansyncd log verify"},
};

#define NHELP (sizeof(help_src) / sizeof(help_src[0]))

static struct args_help helps[NHELP];
static struct args_words words;
struct args_prog admin_prog = {"dansyncd", helps, NHELP, "", &words};

/* The help pages and the layout's words in the chosen language. */
static void admin_prog_init(void) {
  for (size_t i = 0; i < NHELP; i++) {
    helps[i].cmd = help_src[i].cmd;
    helps[i].usage = help_src[i].usage;
    helps[i].what = dmsg(help_src[i].what);
    helps[i].example = help_src[i].example;
  }
  words.usage = dmsg(DM_W_USAGE);
  words.commands = dmsg(DM_W_COMMANDS);
  words.example = dmsg(DM_W_EXAMPLE);
  words.more = dmsg(DM_W_MORE);
  words.see = dmsg(DM_W_SEE);
  admin_prog.footer = dmsg(DM_FOOTER);
}

const char *admin_db_path(const struct args *a) {
  const char *env = getenv("DANSYNCD_DB");
  if (a->db && *a->db)
    return a->db;
  return env && *env ? env : "district.db";
}

int admin_open_store(const struct args *a, struct store **st) {
  char err[DS_ERRBUF_LEN];
  int rc = district_open(st, admin_db_path(a), err);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : 0;
}

/* "250ms", "90s", "30m", "1h", "2d", or plain seconds. */
int admin_parse_duration(const char *s, uint64_t *ms) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  uint64_t mul = 1000;
  if (end == s || *s == '-')
    return -1;
  if (end[0] == 'm' && end[1] == 's')
    mul = 1, end += 2;
  else if (*end == 's')
    end++;
  else if (*end == 'm')
    mul = 60000, end++;
  else if (*end == 'h')
    mul = 3600000, end++;
  else if (*end == 'd')
    mul = 86400000, end++;
  if (*end || v > UINT64_MAX / mul)
    return -1;
  *ms = v * mul;
  return 0;
}

static int cmd_simple(const struct args *a, const char *cmd) {
  static const char *const json_only[] = {"json", NULL};
  static const char *const digest_flags[] = {"commune", NULL};
  static const char *const none[] = {NULL};
  char err[DS_ERRBUF_LEN];
  struct store *st;
  int rc, want = !strcmp(cmd, "digest") ? 1 : 2;

  if (args_only(a,
                !strcmp(cmd, "digest")       ? digest_flags
                : !strcmp(cmd, "log verify") ? none
                                             : json_only,
                err))
    return args_usage(&admin_prog, cmd, err);
  if (a->npos != want)
    return args_usage(&admin_prog, cmd, dmsg(DM_UNEXPECTED));
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  rc = admin_commune_check(st, args_get(a, "commune"));
  if (rc) {
    store_close(st);
    return rc;
  }
  if (!strcmp(cmd, "digest")) {
    char hex[65];
    rc = store_digest(st, args_get(a, "commune"), hex);
    if (!rc)
      printf("%s\n", hex);
    else
      snprintf(err, sizeof(err), "%s", dmsg(DM_READ_STORE));
  } else if (!strcmp(cmd, "node list")) {
    rc = district_node_list(st, args_has(a, "json"), stdout);
    snprintf(err, sizeof(err), "%s", dmsg(DM_READ_STORE));
  } else if (!strcmp(cmd, "quarantine list")) {
    rc = district_quarantine_list(st, args_has(a, "json"), stdout);
    snprintf(err, sizeof(err), "%s", dmsg(DM_READ_STORE));
  } else { /* log verify */
    int64_t n, bad;
    rc = synclog_verify(st, &n, &bad, err);
    if (!rc)
      dmsg_print(stdout, DM_LOG_INTACT, (long long)n);
    else if (rc != DS_ECORRUPT)
      snprintf(err, sizeof(err), "%s", dmsg(DM_READ_LOG));
  }
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

/* The store the report reads for |as_of|: the live one when the district
 * has received nothing after that day ended, else one rebuilt from the
 * sync log up to then (as `log replay --until`), in |tmpdir|. */
static int report_store(const struct args *a, struct store *live,
                        const char *as_of, char tmpdir[64], struct store **out,
                        char *err) {
  int64_t end_ms, last = 0;
  struct tm tm = {0};
  char path[96], digest[65];
  int64_t ops;
  int rc;

  tm.tm_year = atoi(as_of) - 1900;
  tm.tm_mon = atoi(as_of + 5) - 1;
  tm.tm_mday = atoi(as_of + 8) + 1;
  tm.tm_isdst = -1;
  end_ms = (int64_t)mktime(&tm) * 1000 - 1;
  if (synclog_last_received(live, &last))
    last = INT64_MAX; /* unknown: rebuild rather than trust the live store */
  if (last <= end_ms) {
    *out = live;
    return 0;
  }
  snprintf(tmpdir, 64, "%s/dansyncd-report.XXXXXX",
           getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (strlen(tmpdir) > 63 || !mkdtemp(tmpdir)) {
    tmpdir[0] = '\0';
    return dmsg_fail(err, DS_EIO, DM_TMPDIR, as_of);
  }
  snprintf(path, sizeof(path), "%s/as-of.db", tmpdir);
  rc =
      audit_log_replay(admin_db_path(a), path, end_ms, NULL, digest, &ops, err);
  if (!rc)
    rc = store_open(out, path, 0, err);
  return rc;
}

static void report_store_drop(struct store *st, struct store *live,
                              const char *tmpdir) {
  char path[96];
  if (st && st != live)
    store_close(st);
  if (!*tmpdir)
    return;
  for (int i = 0; i < 3; i++) {
    static const char *const sfx[] = {"", "-wal", "-shm"};
    snprintf(path, sizeof(path), "%s/as-of.db%s", tmpdir, sfx[i]);
    unlink(path);
  }
  rmdir(tmpdir);
}

static int cmd_report(const struct args *a) {
  static const char *const allowed[] = {"from",  "to",     "commune",  "format",
                                        "as-of", "signer", "position", "number",
                                        "place", "issuer", NULL};
  struct repfig_opts o = {0};
  struct report_doc doc = {0};
  struct repfig *f = NULL;
  const char *v;
  char err[DS_ERRBUF_LEN], from[11], to[11], as_of[11], tmpdir[64] = "";
  struct store *live, *st = NULL;
  struct buf issuer;
  int rc, fmt = report_format_parse(
              args_get(a, "format") ? args_get(a, "format") : "text");

  if (args_only(a, allowed, err))
    return args_usage(&admin_prog, "report", err);
  if (fmt < 0)
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_FORMAT));
  query_today(as_of);
  if (((v = args_get(a, "from")) && !query_date_parse(v, from)) ||
      ((v = args_get(a, "to")) && !query_date_parse(v, to)) ||
      ((v = args_get(a, "as-of")) && !query_date_parse(v, as_of)))
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_DATES));
  o.from = args_get(a, "from") ? from : NULL;
  o.to = args_get(a, "to") ? to : NULL;
  o.as_of = as_of;
  o.commune = args_get(a, "commune");
  if (o.from && o.to && strcmp(o.from, o.to) > 0)
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_PERIOD_REVERSED));
  rc = admin_open_store(a, &live);
  if (rc)
    return rc;
  if (admin_commune_check(live, o.commune)) {
    store_close(live);
    return EXIT_ERROR;
  }
  rc = report_store(a, live, as_of, tmpdir, &st, err);
  if (!rc)
    rc = repfig_compute(st, &o, &f, err);
  buf_init(&issuer, 0);
  doc.issuer = args_get(a, "issuer");
  if (!doc.issuer && meta_get(live, META_ISSUER, &issuer) == 0)
    doc.issuer = (const char *)issuer.data;
  if (!doc.issuer)
    doc.issuer = "ỦY BAN NHÂN DÂN HUYỆN";
  doc.number = args_get(a, "number");
  doc.place = args_get(a, "place");
  doc.signer = args_get(a, "signer");
  doc.position = args_get(a, "position");
  doc.date = as_of;
  if (!rc)
    rc = report_write(f, &doc, (enum report_format)fmt, stdout, err);
  repfig_free(f);
  buf_cleanup(&issuer);
  report_store_drop(st, live, tmpdir);
  store_close(live);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

/* `issuer [TEXT]`: shows or sets the issuing body's name printed at the
 * head of the report. */
static int cmd_issuer(const struct args *a) {
  static const char *const allowed[] = {NULL};
  char err[DS_ERRBUF_LEN];
  struct store *st;
  struct buf b;
  int rc;

  if (args_only(a, allowed, err) || a->npos > 2)
    return args_usage(&admin_prog, "issuer", err);
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  if (a->npos == 2) {
    const char *t = a->pos[1];
    if (!*t || strlen(t) > 200 || utf8_count(t, strlen(t)) < 0)
      rc = dmsg_fail(err, DS_EINVAL, DM_ISSUER_TEXT);
    else
      rc = meta_set(st, META_ISSUER, t, strlen(t));
    if (rc && rc != DS_EINVAL)
      snprintf(err, sizeof(err), "%s", dmsg(DM_ISSUER_STORE));
  } else {
    buf_init(&b, 0);
    if (meta_get(st, META_ISSUER, &b) == 0)
      printf("%s\n", (const char *)b.data);
    else
      printf("ỦY BAN NHÂN DÂN HUYỆN\n");
    buf_cleanup(&b);
  }
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

/* After a whole replay: the live store's (--db) digest beside the
 * replayed one. A replay of the live store itself that differs is an
 * error; from another file (an export) the difference is only told. */
static int replay_compare(const struct args *a, const char *from,
                          const char *digest) {
  const char *db = admin_db_path(a);
  char err[DS_ERRBUF_LEN], live[65];
  struct store *st;
  bool same_file = !strcmp(from, db);
  int rc;

  if (access(db, F_OK) != 0 || district_open(&st, db, err))
    return EXIT_OK; /* no live store to compare with */
  rc = store_digest(st, NULL, live);
  store_close(st);
  if (rc)
    return EXIT_OK;
  if (!strcmp(live, digest)) {
    dmsg_print(stdout, DM_REPLAY_MATCH, db);
    return EXIT_OK;
  }
  dmsg_print(stdout,
             same_file ? DM_REPLAY_DIFFERS_SAME : DM_REPLAY_DIFFERS_OTHER, db,
             live);
  return same_file ? EXIT_ERROR : EXIT_OK;
}

static int cmd_log(const struct args *a, const char *verb) {
  static const char *const show_flags[] = {"node",  "commune", "rid", "since",
                                           "until", "json",    NULL};
  static const char *const export_flags[] = {"out", "force", NULL};
  static const char *const replay_flags[] = {"from", "into", "until", "force",
                                             NULL};
  char err[DS_ERRBUF_LEN], cmd[32];
  struct store *st;
  int rc;

  snprintf(cmd, sizeof(cmd), "log %s", verb);
  if (args_only(a,
                !strcmp(verb, "show")     ? show_flags
                : !strcmp(verb, "export") ? export_flags
                                          : replay_flags,
                err))
    return args_usage(&admin_prog, cmd, err);
  if (a->npos != 2)
    return args_usage(&admin_prog, cmd, dmsg(DM_UNEXPECTED));
  if (!strcmp(verb, "replay")) {
    const char *from = args_get(a, "from"), *into = args_get(a, "into");
    const char *until = args_get(a, "until");
    int64_t until_ms = -1, ops;
    char digest[65];
    if (!from || !into)
      return args_usage(&admin_prog, cmd, dmsg(DM_REPLAY_NEEDS));
    if (until && audit_parse_time(until, &until_ms))
      return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_UNTIL_TIME));
    rc = args_has(a, "force") ? files_remove(into, err) : 0;
    if (!rc)
      rc = audit_log_replay(from, into, until_ms, stderr, digest, &ops, err);
    if (rc)
      return args_fail(&admin_prog, EXIT_ERROR, err);
    dmsg_print(stdout, DM_REPLAYED, (long long)ops, into, digest);
    return until ? EXIT_OK : replay_compare(a, from, digest);
  }
  if (!strcmp(verb, "export") && !args_get(a, "out"))
    return args_usage(&admin_prog, cmd, dmsg(DM_EXPORT_NEEDS));
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  if (!strcmp(verb, "export")) {
    int64_t n;
    rc = args_has(a, "force") ? files_remove(args_get(a, "out"), err) : 0;
    if (!rc)
      rc = audit_log_export(st, args_get(a, "out"), &n, err);
    if (!rc)
      dmsg_print(stdout, DM_EXPORTED, (long long)n, args_get(a, "out"));
  } else {
    struct log_filter f = {0};
    uint8_t nlo[ID_LEN], nhi[ID_LEN], rlo[ID_LEN], rhi[ID_LEN];
    const char *v;
    f.since_ms = f.until_ms = -1;
    f.commune = args_get(a, "commune");
    rc = 0;
    if ((v = args_get(a, "node"))) {
      rc = id_prefix_range(v, nlo, nhi);
      f.node_lo = nlo, f.node_hi = nhi;
    }
    if (!rc && (v = args_get(a, "rid"))) {
      rc = id_prefix_range(v, rlo, rhi);
      f.rid_lo = rlo, f.rid_hi = rhi;
    }
    if (rc)
      snprintf(err, sizeof(err), "%s", dmsg(DM_NODE_RID_HEX));
    if (!rc && (v = args_get(a, "since")) && audit_parse_time(v, &f.since_ms))
      rc = dmsg_fail(err, DS_EINVAL, DM_SINCE_TIME);
    if (!rc && (v = args_get(a, "until"))) {
      rc = audit_parse_time(v, &f.until_ms)
               ? dmsg_fail(err, DS_EINVAL, DM_UNTIL_TIME2)
               : 0;
      /* A bare date means the whole of that day. */
      if (!rc && strlen(v) == 10 && v[4] == '-')
        f.until_ms += 86400000 - 1;
    }
    if (!rc && f.commune && admin_commune_check(st, f.commune)) {
      store_close(st);
      return EXIT_ERROR;
    }
    if (!rc) {
      rc = audit_log_show(st, &f, args_has(a, "json"), stdout);
      if (rc)
        snprintf(err, sizeof(err), "%s", dmsg(DM_READ_LOG));
    }
  }
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

int admin_main(int argc, char **argv) {
  static const char *const bare[] = {
      "json",          "overdue", "voided", "force",
      "insecure-http", "no-ui",   "yes",    NULL};
  char err[DS_ERRBUF_LEN], cmd[64];
  const char *w0, *w1;
  struct args a;

  admin_prog_init();
  if (sodium_init() < 0)
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_SODIUM));
  if (getenv("DANSYNCD_LOG") && !strcmp(getenv("DANSYNCD_LOG"), "debug"))
    log_set_level(LOG_LVL_DEBUG);
  if (args_parse(&a, argc, argv, bare, err))
    return args_usage(&admin_prog, NULL, err);
  w0 = a.npos > 0 ? a.pos[0] : NULL;
  w1 = a.npos > 1 ? a.pos[1] : NULL;
  if (!w0) {
    args_usage_all(&admin_prog, a.help ? stdout : stderr);
    return a.help ? EXIT_OK : EXIT_USAGE;
  }
  snprintf(cmd, sizeof(cmd), "%s%s%s", w0, w1 ? " " : "", w1 ? w1 : "");
  if (a.help) {
    if (args_help_for(&admin_prog, cmd, stdout) &&
        args_help_for(&admin_prog, w0, stdout))
      args_usage_all(&admin_prog, stdout);
    return EXIT_OK;
  }
  if (!strcmp(w0, "serve"))
    return a.npos == 1 ? cmd_serve(&a)
                       : args_usage(&admin_prog, "serve", dmsg(DM_UNEXPECTED));
  if (!strcmp(w0, "init"))
    return a.npos == 1 ? cmd_init(&a)
                       : args_usage(&admin_prog, "init", dmsg(DM_UNEXPECTED));
  if (w1 && !strcmp(w0, "tls") && (!strcmp(w1, "init") || !strcmp(w1, "pin")))
    return a.npos == 2 ? cmd_tls(&a, w1)
                       : args_usage(&admin_prog, cmd, dmsg(DM_UNEXPECTED));
  if (!strcmp(w0, "backup"))
    return a.npos == 1 ? cmd_backup(&a)
                       : args_usage(&admin_prog, "backup", dmsg(DM_UNEXPECTED));
  if (!strcmp(cmd, "commune list"))
    return a.npos == 2 ? cmd_commune_list(&a)
                       : args_usage(&admin_prog, cmd, dmsg(DM_UNEXPECTED));
  if (!strcmp(w0, "enroll"))
    return enrol_cmd(&a, w1);
  if (!strcmp(w0, "bundle"))
    return bundle_cmd(&a, w1);
  if (!strcmp(w0, "digest"))
    return cmd_simple(&a, "digest");
  if (!strcmp(cmd, "key rotate"))
    return rotate_cmd(&a);
  if (!strcmp(cmd, "log verify") && args_get(&a, "from"))
    return loghead_cmd_verify(&a);
  if (w1 && (!strcmp(cmd, "node list") || !strcmp(cmd, "quarantine list") ||
             !strcmp(cmd, "log verify")))
    return cmd_simple(&a, cmd);
  if (!strcmp(cmd, "node revoke"))
    return cmd_node_revoke(&a);
  if (w1 && !strcmp(w0, "user") &&
      (!strcmp(w1, "add") || !strcmp(w1, "list") || !strcmp(w1, "passwd") ||
       !strcmp(w1, "remove")))
    return users_cmd(&a, w1); /* i19: the dashboard's accounts */
  if (!strcmp(w0, "issuer"))
    return cmd_issuer(&a);
  if (!strcmp(w0, "report"))
    return a.npos == 1 ? cmd_report(&a)
                       : args_usage(&admin_prog, "report", dmsg(DM_UNEXPECTED));
  if (w1 && !strcmp(w0, "conflicts") &&
      (!strcmp(w1, "list") || !strcmp(w1, "show") || !strcmp(w1, "resolve")))
    return cmd_conflicts(&a, w1);
  if (w1 && !strcmp(w0, "log") &&
      (!strcmp(w1, "show") || !strcmp(w1, "export") || !strcmp(w1, "replay")))
    return cmd_log(&a, w1);
  if (w1 && !strcmp(w0, "petition") &&
      (!strcmp(w1, "list") || !strcmp(w1, "show") || !strcmp(w1, "update") ||
       !strcmp(w1, "reopen")))
    return cmd_petition(&a, w1);
  if (w1 && !strcmp(w0, "survey") &&
      (!strcmp(w1, "list") || !strcmp(w1, "void")))
    return cmd_survey(&a, w1);
  return args_usage(&admin_prog, NULL, dmsg(DM_UNKNOWN_COMMAND));
}
