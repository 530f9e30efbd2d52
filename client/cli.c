/* SPDX-License-Identifier: MIT
 * cli.c -- dansync commands: init, status, digest, the record commands, and
 * sync. Every error is one sentence on stderr and an exit code of §8. */
#include "client/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "client/cbundle.h"
#include "client/csync.h"
#include "client/local.h"
#include "client/trust.h"
#include "client/xport.h"
#include "common/args.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/query.h"
#include "common/repfig.h"
#include "common/report.h"
#include "common/schema.h"
#include "client/communes_tsv.h"

static const struct args_help helps[] = {
    {"init",
     "init --server URL --token TOKEN|- | --token-file FILE [--commune SLUG] "
     "[--pin PIN | --cacert FILE] [--insecure-http]",
     "Creates this device's store and its Ed25519 key pair. The token comes "
     "from 'dansyncd enroll' (--token - reads it from standard input) and "
     "says the commune, the district's key and, usually, the pin of its "
     "certificate; a --commune that disagrees is refused. The first sync "
     "uses it, then it is forgotten. --pin (from 'dansyncd tls pin') trusts "
     "the district's key itself; --cacert trusts the CAs in FILE; with "
     "neither, the token's pin, else the system's CA store. http:// only to "
     "this machine, or with --insecure-http.",
     "dansync init --server https://10.0.0.2:8443 --token-file token.txt"},
    {"set-server",
     "set-server URL [--pin PIN | --cacert FILE] [--insecure-http]",
     "Changes the district server's address and how it is trusted; queued "
     "changes stay queued.",
     "dansync set-server https://10.0.0.3:8443 --pin sha256//YhKJ..."},
    {"bundle export", "bundle export --out FILE",
     "Writes what sync would send (every queued op, signed) to FILE, sealed "
     "to the district's key, for a USB stick; the ops stay queued.",
     "dansync bundle export --out /media/usb/hoa-an.bundle"},
    {"bundle import", "bundle import FILE",
     "Checks the district's answer bundle against the district key learned "
     "at enrolment and applies it as sync would.",
     "dansync bundle import /media/usb/hoa-an.answer"},
    {"status", "status [--json]",
     "Shows the commune, node id, server, queued and rejected ops and the "
     "last successful sync.",
     "dansync status"},
    {"report",
     "report [--from DATE] [--to DATE] [--format text|json|csv|html|docx] "
     "[--number N] [--place P] [--signer S] [--position P] [--issuer NAME]",
     "The commune's report (DESIGN §9) from this laptop's store, offline: "
     "the same figures and formats as 'dansyncd report' for this commune, "
     "as of today. It holds what this laptop has entered and pulled.",
     "dansync report --from 01/01/2024 --to 31/05/2024 --format html > "
     "bao-cao.html"},
    {"digest", "digest [--commune C]",
     "Prints the SHA-256 digest of the stored records (DESIGN §4); after a "
     "complete sync it equals the daemon's for the same commune.",
     "dansync digest --commune hoa-an"},
    {"meeting add",
     "meeting add --held-on DATE [--hamlet T] [--kind K] [--attendees N] "
     "[--note T]",
     "Records a meeting. --kind is monthly_listening (default), dialogue or "
     "citizen_reception.",
     "dansync meeting add --held-on 2024-03-15 --hamlet 'Ấp 3' --attendees "
     "42"},
    {"meeting update", "meeting update ID [field flags] [--voided]",
     "Changes a meeting; --voided marks it a mistake.",
     "dansync meeting update 0193a2b4c5d6e7f8 --attendees 45"},
    {"petition add",
     "petition add --received-on DATE --category C --content T [--citizen T] "
     "[--hamlet T] [--meeting ID] [--due-on DATE] [--status S] [--response T] "
     "[--escalated-to T] [--resolved-on DATE]",
     "Records a citizen's petition or opinion.",
     "dansync petition add --received-on 2024-03-15 --category electricity "
     "--citizen 'Nguyễn Văn A' --content 'Đường điện ấp 3 chập chờn'"},
    {"petition update", "petition update ID [field flags] [--voided]",
     "Changes a petition. A status only moves up: received, in_progress, "
     "escalated, answered, resolved.",
     "dansync petition update 0193a2b4c5d6e7f8 --status answered --response "
     "'Điện lực đã sửa'"},
    {"petition reopen", "petition reopen ID",
     "Starts the petition over as received, in a new generation that beats "
     "every earlier status.",
     "dansync petition reopen 0193a2b4c5d6e7f8"},
    {"petition list",
     "petition list [--status S] [--category C] [--overdue] [--search TEXT] "
     "[--json]",
     "Lists petitions; --search ignores Vietnamese diacritics.",
     "dansync petition list --search 'nguyen van a'"},
    {"petition show", "petition show ID [--json]",
     "Shows one petition, its history and any conflicts.",
     "dansync petition show 0193a2b4c5d6e7f8"},
    {"survey add",
     "survey add --taken-on DATE --service S --overall N [--attitude N] "
     "[--timeliness N] [--procedure N] [--comment T]",
     "Records a satisfaction survey (ratings 1..5). Surveys cannot change "
     "afterwards.",
     "dansync survey add --taken-on 2024-03-15 --service land --overall 4"},
    {"visit add",
     "visit add --visited-on DATE --household T --situation S [--gift-vnd N] "
     "[--support T] [--volunteers N]",
     "Records a visit to a household in hardship.",
     "dansync visit add --visited-on 2024-03-15 --household 'Bà Trần Thị B' "
     "--situation elderly_alone --gift-vnd 500000"},
    {"visit update", "visit update ID [field flags] [--voided]",
     "Changes a visit.", "dansync visit update 0193a2b4c5d6e7f8 --voided"},
    {"sync",
     "sync [--restamp] [--wait] [--retries N] [--timeout S] [--batch N] "
     "[--pull-limit N]",
     "Sends queued changes to the district and fetches the others'. Offline "
     "it keeps the queue and exits 3; a server whose identity cannot be "
     "verified gets nothing, exit 5. --timeout (default 30 s) bounds the "
     "connection, the wait for an answer and any stall; --retries (default "
     "3; unlimited with --wait unless given) bounds the attempts after the "
     "first. A batch that times out is halved.",
     "dansync sync --wait"},
};

static const struct args_prog prog = {
    "dansync", helps, sizeof(helps) / sizeof(helps[0]),
    "The store is --db PATH, else $DANSYNC_DB, else "
    "$XDG_DATA_HOME/dansync/dansync.db."};

static const char *const bare_flags[] = {"voided",  "json", "overdue",
                                         "restamp", "wait", "insecure-http",
                                         NULL};

static int open_device(struct device *dev, const struct args *a) {
  char path[4096], err[DS_ERRBUF_LEN];
  int rc = local_db_path(path, sizeof(path), a->db, false);
  if (rc)
    return args_fail(&prog, EXIT_ERROR, "the store path is too long");
  rc = local_open(dev, path, err);
  if (rc)
    return args_fail(&prog, EXIT_ERROR, err);
  return 0;
}

static int cmd_init(const struct args *a) {
  static const char *const allowed[] = {"commune", "server", "token",
                                        "token-file", "pin", "cacert",
                                        "insecure-http", NULL};
  const char *commune, *server = args_get(a, "server");
  const char *pin = args_get(a, "pin");
  const char *cacert = args_get(a, "cacert");
  char tokpin[TOKEN_PIN_TEXT];
  struct token tok;
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t node[ID_LEN];
  char path[4096], err[DS_ERRBUF_LEN], hex[ID_HEX_LEN + 1];
  struct store *st;
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&prog, "init", err);
  if (!server || (!args_get(a, "token") && !args_get(a, "token-file")))
    return args_usage(&prog, "init", "init needs --server and --token");
  if (trust_token_arg(a, &tok, err))
    return args_fail(&prog, EXIT_ERROR, err);
  commune = tok.commune;
  /* The token's pin, unless the officer said how to trust the server. */
  if (!pin && !cacert && tok.has_pin && !strncmp(server, "https://", 8)) {
    token_pin_text(tok.pin, tokpin);
    pin = tokpin;
  }
  if (xport_check(server, pin, cacert, args_has(a, "insecure-http"), err))
    return args_fail(&prog, EXIT_ERROR, err);
  if (local_db_path(path, sizeof(path), a->db, true))
    return args_fail(&prog, EXIT_ERROR, "cannot create the directory for the store");
  rc = store_open(&st, path, STORE_CREATE | STORE_EXCL, err);
  if (rc == DS_EEXIST)
    return args_fail(&prog, EXIT_ERROR, "a store already exists there; refusing to "
                            "overwrite it (use --db for another one)");
  if (rc)
    return args_fail(&prog, EXIT_ERROR, err);
  crypto_sign_keypair(pk, sk);
  id_random(node);
  rc = store_begin(st);
  if (!rc)
    rc = store_meta_set(st, "commune", commune, strlen(commune));
  if (!rc)
    rc = store_meta_set(st, "server", server, strlen(server));
  if (!rc)
    rc = trust_store_token(st, &tok);
  if (!rc && pin)
    rc = store_meta_set(st, "pin", pin, strlen(pin));
  if (!rc && cacert)
    rc = store_meta_set(st, "cacert", cacert, strlen(cacert));
  if (!rc)
    rc = store_meta_set(st, "node", node, ID_LEN);
  if (!rc)
    rc = store_meta_set(st, "pk", pk, sizeof(pk));
  if (!rc)
    rc = store_meta_set(st, "sk", sk, sizeof(sk));
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  sodium_memzero(sk, sizeof(sk));
  sodium_memzero(&tok, sizeof(tok));
  store_close(st);
  if (rc) {
    remove(path);
    return args_fail(&prog, EXIT_ERROR, "could not write the new store");
  }
  hex_encode(hex, node, ID_LEN);
  printf("Initialised %s for commune %s, node %s.\n", path, commune, hex);
  return EXIT_OK;
}

/* Changes the server and its trust; the queue, keys and cursor stay. */
static int cmd_set_server(const struct args *a) {
  static const char *const allowed[] = {"pin", "cacert", "insecure-http",
                                        NULL};
  const char *server = a->npos == 2 ? a->pos[1] : NULL;
  const char *pin = args_get(a, "pin"), *cacert = args_get(a, "cacert");
  char err[DS_ERRBUF_LEN];
  struct device dev;
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&prog, "set-server", err);
  if (!server)
    return args_usage(&prog, "set-server", "set-server needs one URL");
  if (xport_check(server, pin, cacert, args_has(a, "insecure-http"), err))
    return args_fail(&prog, EXIT_ERROR, err);
  rc = open_device(&dev, a);
  if (rc)
    return rc;
  rc = store_begin(dev.st);
  if (!rc)
    rc = store_meta_set(dev.st, "server", server, strlen(server));
  if (!rc)
    rc = pin ? store_meta_set(dev.st, "pin", pin, strlen(pin))
             : store_meta_set(dev.st, "pin", NULL, 0);
  if (!rc)
    rc = cacert ? store_meta_set(dev.st, "cacert", cacert, strlen(cacert))
                : store_meta_set(dev.st, "cacert", NULL, 0);
  if (!rc)
    rc = store_commit(dev.st);
  else
    store_rollback(dev.st);
  local_close(&dev);
  if (rc)
    return args_fail(&prog, EXIT_ERROR,
                     "could not write the store; the server is unchanged");
  printf("The district server is now %s, trusted by %s.\n", server,
         pin      ? "its pinned key"
         : cacert ? "the CA file given"
                  : "the system's CA store");
  return EXIT_OK;
}

static void meta_text(struct store *st, const char *key, char *out,
                      size_t cap) {
  struct buf b;
  buf_init(&b, 0);
  out[0] = '\0';
  if (store_meta_get(st, key, &b) == 0)
    snprintf(out, cap, "%s", (char *)b.data);
  buf_cleanup(&b);
}

static void when_text(int64_t ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0) {
    snprintf(out, cap, "never");
    return;
  }
  localtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static int cmd_status(const struct args *a) {
  static const char *const allowed[] = {"json", NULL};
  struct device dev;
  char err[DS_ERRBUF_LEN], server[512], node[ID_HEX_LEN + 1], when[32];
  char pin[512], cacert[4096], trust[4200];
  int64_t acked = 0, last = 0, queued = 0, rejected = 0, total = 0;
  bool json = args_has(a, "json");
  sqlite3_stmt *s;
  struct buf out;
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&prog, "status", err);
  rc = open_device(&dev, a);
  if (rc)
    return rc;
  meta_text(dev.st, "server", server, sizeof(server));
  meta_text(dev.st, "pin", pin, sizeof(pin));
  meta_text(dev.st, "cacert", cacert, sizeof(cacert));
  if (*pin)
    snprintf(trust, sizeof(trust), "pinned key %s", pin);
  else if (*cacert)
    snprintf(trust, sizeof(trust), "CA file %s", cacert);
  else
    snprintf(trust, sizeof(trust), "%s",
             strncmp(server, "https:", 6) ? "none (plain http)"
                                          : "the system's CA store");
  if (store_meta_get_int(dev.st, "acked", &acked))
    acked = 0;
  if (store_meta_get_int(dev.st, "last_sync_ms", &last))
    last = 0;
  hex_encode(node, dev.node, ID_LEN);
  sqlite3_prepare_v2(store_sqlite(dev.st),
                     "SELECT count(*), count(*) FILTER (WHERE error IS NULL"
                     " AND seq > ?1), count(*) FILTER (WHERE error IS NOT "
                     "NULL) FROM outbox",
                     -1, &s, NULL);
  sqlite3_bind_int64(s, 1, acked);
  if (sqlite3_step(s) == SQLITE_ROW) {
    total = sqlite3_column_int64(s, 0);
    queued = sqlite3_column_int64(s, 1);
    rejected = sqlite3_column_int64(s, 2);
  }
  sqlite3_finalize(s);
  when_text(last, when, sizeof(when));
  buf_init(&out, 0);
  if (json) {
    rc = buf_printf(&out, "{\"commune\": ");
    rc = rc || json_str(&out, dev.commune, strlen(dev.commune));
    rc = rc || buf_printf(&out, ", \"node\": \"%s\", \"server\": ", node);
    rc = rc || json_str(&out, server, strlen(server));
    rc = rc || buf_printf(&out, ", \"trust\": ");
    rc = rc || json_str(&out, trust, strlen(trust));
    rc = rc || buf_printf(&out,
                          ", \"ops\": %lld, \"acked\": %lld, \"queued\": "
                          "%lld, \"rejected\": [",
                          (long long)total, (long long)acked,
                          (long long)queued);
  } else {
    rc = buf_printf(&out,
                    "Commune:     %s\nNode:        %s\nServer:      %s\n"
                    "Trust:       %s\n"
                    "Queued ops:  %lld (of %lld recorded; %lld acked)\n"
                    "Rejected:    %lld\n",
                    dev.commune, node, server, trust, (long long)queued,
                    (long long)total, (long long)acked, (long long)rejected);
  }
  sqlite3_prepare_v2(store_sqlite(dev.st),
                     "SELECT seq, lower(hex(rid)), error, message FROM outbox "
                     "WHERE error IS NOT NULL ORDER BY seq",
                     -1, &s, NULL);
  for (int k = 0; !rc && sqlite3_step(s) == SQLITE_ROW; k++) {
    const char *msg = (const char *)sqlite3_column_text(s, 3);
    if (json) {
      rc = buf_printf(&out, "%s{\"seq\": %lld, \"record\": \"%s\", \"error\": ",
                      k ? ", " : "", (long long)sqlite3_column_int64(s, 0),
                      sqlite3_column_text(s, 1));
      rc = rc || json_str(&out, (const char *)sqlite3_column_text(s, 2),
                          (size_t)sqlite3_column_bytes(s, 2));
      rc = rc || buf_printf(&out, ", \"message\": ");
      rc = rc || json_str(&out, msg ? msg : "", msg ? strlen(msg) : 0);
      rc = rc || buf_putc(&out, '}');
    } else {
      rc = buf_printf(&out, "  op %lld (record %s): %s: %s\n",
                      (long long)sqlite3_column_int64(s, 0),
                      sqlite3_column_text(s, 1), sqlite3_column_text(s, 2),
                      msg ? msg : "");
    }
  }
  sqlite3_finalize(s);
  if (json)
    rc = rc || buf_printf(&out, "], \"last_sync\": %s%s%s",
                          last ? "\"" : "", last ? when : "null",
                          last ? "\"" : "");
  else
    rc = rc || buf_printf(&out, "Last sync:   %s\n", when);
  rc = rc || cbundle_status(dev.st, json, &out);
  if (json)
    rc = rc || buf_printf(&out, "}\n");
  if (!rc)
    fwrite(out.data, 1, out.len, stdout);
  buf_cleanup(&out);
  local_close(&dev);
  return rc ? EXIT_ERROR : EXIT_OK;
}

/* "xã Hòa An" for |slug|, from the built-in list of the district's
 * communes; the slug itself for a commune not in it. */
static void commune_name(const char *slug, char *out, size_t cap) {
  const char *p = communes_tsv;
  size_t n = strlen(slug);
  snprintf(out, cap, "%s", slug);
  for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
    const char *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    const char *end = strchr(p, '\n');
    if (!end)
      end = p + strlen(p);
    if (t1 && t2 && t2 < end && (size_t)(t1 - p) == n &&
        !strncmp(p, slug, n)) {
      snprintf(out, cap, "%.*s %.*s", (int)(end - t2 - 1), t2 + 1,
               (int)(t2 - t1 - 1), t1 + 1);
      return;
    }
  }
}

static int cmd_report(const struct args *a) {
  static const char *const allowed[] = {"from",   "to",       "format",
                                        "as-of",  "number",   "place",
                                        "signer", "position", "issuer",
                                        NULL};
  struct repfig_opts o = {0};
  struct report_doc doc = {0};
  struct repfig *f = NULL;
  struct device dev;
  const char *v;
  char err[DS_ERRBUF_LEN], from[11], to[11], as_of[11], today[11],
      name[160];
  int64_t last = 0;
  int rc, fmt;

  if (args_only(a, allowed, err))
    return args_usage(&prog, "report", err);
  fmt = report_format_parse(args_get(a, "format") ? args_get(a, "format")
                                                   : "text");
  if (fmt < 0)
    return args_fail(&prog, EXIT_ERROR,
                     "--format is text, json, csv, html or docx");
  query_today(today);
  memcpy(as_of, today, sizeof(as_of));
  if (((v = args_get(a, "from")) && !query_date_parse(v, from)) ||
      ((v = args_get(a, "to")) && !query_date_parse(v, to)) ||
      ((v = args_get(a, "as-of")) && !query_date_parse(v, as_of)))
    return args_fail(&prog, EXIT_ERROR,
                     "--from, --to and --as-of are dates written "
                     "YYYY-MM-DD or DD/MM/YYYY");
  /* A laptop keeps no log of when it received what: only today. */
  if (strcmp(as_of, today) != 0)
    return args_fail(&prog, EXIT_ERROR,
                     "a laptop's report is as of today; for an earlier "
                     "--as-of ask the district (dansyncd report)");
  o.from = args_get(a, "from") ? from : NULL;
  o.to = args_get(a, "to") ? to : NULL;
  if (o.from && o.to && strcmp(o.from, o.to) > 0)
    return args_fail(&prog, EXIT_ERROR,
                     "the period ends (--to) before it starts (--from)");
  rc = open_device(&dev, a);
  if (rc)
    return rc;
  if (dev.district) {
    local_close(&dev);
    return args_fail(&prog, EXIT_ERROR,
                     "a district device holds no one commune's records: "
                     "the district's report is 'dansyncd report'");
  }
  if (store_meta_get_int(dev.st, "last_sync_ms", &last))
    last = 0;
  commune_name(dev.commune, name, sizeof(name));
  o.as_of = as_of;
  o.commune = dev.commune;
  o.device = true;
  o.commune_name = name;
  o.last_sync_ms = last;
  doc.issuer = args_get(a, "issuer") ? args_get(a, "issuer")
                                     : "ỦY BAN NHÂN DÂN";
  doc.number = args_get(a, "number");
  doc.place = args_get(a, "place");
  doc.signer = args_get(a, "signer");
  doc.position = args_get(a, "position");
  doc.date = as_of;
  rc = repfig_compute(dev.st, &o, &f, err);
  if (!rc)
    rc = report_write(f, &doc, (enum report_format)fmt, stdout, err);
  repfig_free(f);
  local_close(&dev);
  return rc ? args_fail(&prog, EXIT_ERROR, err) : EXIT_OK;
}

static int cmd_digest(const struct args *a) {
  static const char *const allowed[] = {"commune", NULL};
  struct device dev;
  char err[DS_ERRBUF_LEN], hex[65];
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&prog, "digest", err);
  rc = open_device(&dev, a);
  if (rc)
    return rc;
  rc = store_digest(dev.st, args_get(a, "commune"), hex);
  local_close(&dev);
  if (rc)
    return args_fail(&prog, EXIT_ERROR, "could not read the store");
  printf("%s\n", hex);
  return EXIT_OK;
}

/* Collects the field flags of a record command; usage error for any flag
 * that is not a field of |ent| (or --commune where allowed). */
static int field_flags(const struct args *a, int ent, bool allow_commune,
                       struct edit_flag *out, int *n, const char **commune,
                       char *err) {
  const struct entity_def *e = schema_entity(ent);
  *n = 0;
  *commune = NULL;
  for (int i = 0; i < a->nflags; i++) {
    const char *name = a->flags[i].name;
    char norm[48];
    size_t len = strlen(name);
    if (allow_commune && strcmp(name, "commune") == 0) {
      *commune = a->flags[i].value;
      continue;
    }
    if (len >= sizeof(norm))
      return ds_fail(err, DS_EINVAL, "unknown flag --%s", name);
    for (size_t k = 0; k <= len; k++)
      norm[k] = name[k] == '-' ? '_' : name[k];
    if (schema_field_find(e, norm, len) < 0 || strcmp(norm, "commune") == 0)
      return ds_fail(err, DS_EINVAL, "unknown flag --%s for a %s", name,
                     e->name);
    out[*n].name = name;
    out[(*n)++].value = a->flags[i].value;
  }
  return 0;
}

static int change_exit(int rc, const char *err) {
  if (rc == DS_EBADOP || rc == DS_ENOENT || rc == DS_EFORBIDDEN ||
      rc == DS_EINVAL)
    return args_fail(&prog, EXIT_ERROR, err);
  if (rc == DS_EBUSY)
    return args_fail(&prog, EXIT_ERROR, "the store is busy (another dansync is writing); "
                            "nothing was changed, try again");
  return args_fail(&prog, EXIT_ERROR, "could not write the store; nothing was changed");
}

static int cmd_record(const struct args *a, int ent, const char *verb,
                      const char *cmd) {
  struct edit_flag flags[ARGS_MAX];
  const char *commune;
  char err[DS_ERRBUF_LEN] = "", hex[ID_HEX_LEN + 1];
  uint8_t rid[ID_LEN];
  struct device dev;
  int n, rc;
  enum local_kind kind = !strcmp(verb, "add")      ? LOCAL_CREATE
                         : !strcmp(verb, "reopen") ? LOCAL_REOPEN
                                                   : LOCAL_UPDATE;

  if (kind == LOCAL_REOPEN && a->nflags)
    return args_usage(&prog, cmd, "petition reopen takes only the petition's id");
  if (field_flags(a, ent, kind == LOCAL_CREATE, flags, &n, &commune, err))
    return args_usage(&prog, cmd, err);
  if (kind == LOCAL_CREATE && a->npos != 2)
    return args_usage(&prog, cmd, "unexpected argument");
  if (kind != LOCAL_CREATE && a->npos != 3)
    return args_usage(&prog, cmd, "give the record's id (8 or more hex digits)");
  if (kind == LOCAL_UPDATE && n == 0)
    return args_usage(&prog, cmd, "nothing to change: give at least one field flag");
  if (kind == LOCAL_CREATE) {
    /* A missing required flag is a usage error (DESIGN §8: exit 2). */
    const struct entity_def *e = schema_entity(ent);
    for (int f = 0; f < e->nfields; f++) {
      bool given = f == e->commune_field;
      char want[48];
      if (!(e->fields[f].flags & FIELD_REQUIRED))
        continue;
      snprintf(want, sizeof(want), "%s", e->fields[f].name);
      for (char *p = want; *p; p++)
        *p = *p == '_' ? '-' : *p;
      for (int i = 0; i < n && !given; i++)
        given = !strcmp(flags[i].name, want) ||
                !strcmp(flags[i].name, e->fields[f].name);
      if (!given) {
        snprintf(err, sizeof(err), "a new %s needs --%s", e->name, want);
        return args_usage(&prog, cmd, err);
      }
    }
  }
  rc = open_device(&dev, a);
  if (rc)
    return rc;
  if (kind != LOCAL_CREATE) {
    rc = store_resolve(dev.st, ent, a->pos[2], rid, err);
    if (rc) {
      local_close(&dev);
      return args_fail(&prog, EXIT_ERROR, err);
    }
  }
  rc = local_change(&dev, kind, ent, rid, commune, flags, n, err);
  local_close(&dev);
  if (rc)
    return change_exit(rc, err);
  hex_encode(hex, rid, ID_LEN);
  if (kind == LOCAL_CREATE)
    printf("%s\n", hex);
  return EXIT_OK;
}

static int cmd_petition_list(const struct args *a) {
  static const char *const allowed[] = {"status", "category", "overdue",
                                        "search", "json", "commune", NULL};
  struct query_filter flt;
  char err[DS_ERRBUF_LEN], today[11];
  struct device dev;
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&prog, "petition list", err);
  if (a->npos != 2)
    return args_usage(&prog, "petition list", "unexpected argument");
  rc = open_device(&dev, a);
  if (rc)
    return rc;
  query_filter_from_args(&flt, a, today);
  rc = query_petitions(dev.st, &flt, args_has(a, "json"), stdout, err);
  local_close(&dev);
  if (rc == DS_EBADOP)
    return args_fail(&prog, EXIT_ERROR, err);
  return rc ? args_fail(&prog, EXIT_ERROR, "could not read the store") : EXIT_OK;
}

static int cmd_petition_show(const struct args *a) {
  static const char *const allowed[] = {"json", NULL};
  char err[DS_ERRBUF_LEN];
  struct device dev;
  uint8_t rid[ID_LEN];
  bool json = args_has(a, "json");
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&prog, "petition show", err);
  if (a->npos != 3)
    return args_usage(&prog, "petition show", "give the petition's id");
  rc = open_device(&dev, a);
  if (rc)
    return rc;
  rc = store_resolve(dev.st, ENT_PETITION, a->pos[2], rid, err);
  if (rc) {
    local_close(&dev);
    return args_fail(&prog, EXIT_ERROR, err);
  }
  {
    struct buf hist;
    buf_init(&hist, 0);
    rc = csync_history(dev.st, rid, json, &hist);
    if (!rc)
      rc = query_record(dev.st, rid, json, json ? (char *)hist.data : NULL,
                        stdout);
    if (!rc && !json)
      fputs((char *)hist.data, stdout);
    buf_cleanup(&hist);
  }
  local_close(&dev);
  return rc ? args_fail(&prog, EXIT_ERROR, "could not read the store") : EXIT_OK;
}

int cli_main(int argc, char **argv) {
  char err[DS_ERRBUF_LEN], cmd[64] = "";
  const char *w0, *w1;
  struct args a;
  int ent;

  if (sodium_init() < 0)
    return args_fail(&prog, EXIT_ERROR, "libsodium could not start");
  if (args_parse(&a, argc, argv, bare_flags, err))
    return args_usage(&prog, NULL, err);
  w0 = a.npos > 0 ? a.pos[0] : NULL;
  w1 = a.npos > 1 ? a.pos[1] : NULL;
  if (!w0) {
    args_usage_all(&prog, a.help ? stdout : stderr);
    return a.help ? EXIT_OK : EXIT_USAGE;
  }
  ent = schema_entity_find(w0, strlen(w0));
  snprintf(cmd, sizeof(cmd), "%s%s%s", w0,
           (ent >= 0 || !strcmp(w0, "bundle")) && w1 ? " " : "",
           (ent >= 0 || !strcmp(w0, "bundle")) && w1 ? w1 : "");
  if (a.help) {
    if (args_help_for(&prog, cmd, stdout) == 0)
      return EXIT_OK;
    args_usage_all(&prog, stdout);
    return EXIT_OK;
  }
  if (!strcmp(w0, "init"))
    return a.npos == 1 ? cmd_init(&a) : args_usage(&prog, "init", "unexpected argument");
  if (!strcmp(w0, "set-server"))
    return cmd_set_server(&a);
  if (!strcmp(w0, "status"))
    return cmd_status(&a);
  if (!strcmp(w0, "digest"))
    return cmd_digest(&a);
  if (!strcmp(w0, "report"))
    return a.npos == 1 ? cmd_report(&a)
                       : args_usage(&prog, "report", "unexpected argument");
  if (!strcmp(w0, "sync"))
    return csync_main(&a);
  if (!strcmp(w0, "bundle"))
    return cbundle_main(&a, w1);
  if (ent >= 0 && w1) {
    bool ok = !strcmp(w1, "add") ||
              (ent != ENT_SURVEY && !strcmp(w1, "update")) ||
              (ent == ENT_PETITION && !strcmp(w1, "reopen"));
    if (ent == ENT_PETITION && !strcmp(w1, "list"))
      return cmd_petition_list(&a);
    if (ent == ENT_PETITION && !strcmp(w1, "show"))
      return cmd_petition_show(&a);
    if (ok)
      return cmd_record(&a, ent, w1, cmd);
  }
  return args_usage(&prog, NULL, "unknown command");
}
