/* SPDX-License-Identifier: MIT
 * cli.c -- dansync's command line: the help of every command, dispatch to
 * the command files (cli_init.c, cli_info.c, cli_rec.c, cli_list.c, and
 * csync.c for sync), and how errors are said. */
#include "client/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/cbundle.h"
#include "client/cli_int.h"
#include "common/buf.h"
#include "common/schema.h"

/* One command's help: |what| a catalogue entry, with the entity's name
 * for %s when |ent| >= 0. An update's usage lists the entity's flags. */
struct help_src {
  const char *cmd, *usage;
  enum msg_id what;
  int ent;
  const char *example;
};

static const struct help_src help_src[] = {
    {"init",
     "init --server URL --token TOKEN|- | --token-file FILE [--commune SLUG] "
     "[--pin PIN | --cacert FILE] [--insecure-http]",
     MSG_HELP_INIT, -1,
     "dansync init --server https://10.0.0.2:8443 --token-file token.txt"},
    {"bundle export", "bundle export --out FILE", MSG_HELP_BUNDLE_EXPORT, -1,
     "dansync bundle export --out /media/usb/hoa-an.bundle"},
    {"bundle import", "bundle import FILE", MSG_HELP_BUNDLE_IMPORT, -1,
     "dansync bundle import /media/usb/hoa-an.answer"},
    {"set-server",
     "set-server URL [--pin PIN | --cacert FILE | --system-ca] "
     "[--insecure-http]",
     MSG_HELP_SET_SERVER, -1,
     "dansync set-server https://10.0.0.3:8443 --pin sha256//YhKJ..."},
    {"reenroll", "reenroll --token TOKEN", MSG_HELP_REENROLL, -1,
     "dansync reenroll --token 3f9a..."},
    {"status", "status [--json]", MSG_HELP_STATUS, -1, "dansync status"},
    {"report",
     "report [--from DATE] [--to DATE] [--format text|json|csv|html|docx] "
     "[--number N] [--place P] [--signer S] [--position P] [--issuer NAME]",
     MSG_HELP_REPORT, -1,
     "dansync report --from 1/1/2024 --to 31/5/2024 --format html > "
     "bao-cao.html"},
    {"digest", "digest [--commune C]", MSG_HELP_DIGEST, -1,
     "dansync digest --commune hoa-an"},
    {"meeting add", NULL, MSG_HELP_ADD, ENT_MEETING,
     "dansync meeting add --held-on 15/3/2024 --hamlet 'Ấp 3' --attendees 42"},
    {"meeting update", NULL, MSG_HELP_UPDATE, ENT_MEETING,
     "dansync meeting update 5e6f7a8b --attendees 45"},
    {"meeting list", "meeting list [--json]", MSG_HELP_LIST, ENT_MEETING,
     "dansync meeting list"},
    {"meeting show", "meeting show ID [--json]", MSG_HELP_SHOW, ENT_MEETING,
     "dansync meeting show 5e6f7a8b"},
    {"petition add", NULL, MSG_HELP_ADD, ENT_PETITION,
     "dansync petition add --received-on 15/3/2024 --category điện "
     "--citizen 'Nguyễn Văn A' --content 'Đường điện ấp 3 chập chờn'"},
    {"petition update", NULL, MSG_HELP_UPDATE, ENT_PETITION,
     "dansync petition update 5e6f7a8b --status 'đã trả lời' --response "
     "'Điện lực đã sửa'"},
    {"petition reopen", "petition reopen ID", MSG_HELP_REOPEN, -1,
     "dansync petition reopen 5e6f7a8b"},
    {"petition list",
     "petition list [--status S] [--category C] [--overdue] [--open] "
     "[--search TEXT] [--hamlet T] [--from DATE] [--to DATE] [--meeting ID] "
     "[--json]",
     MSG_HELP_PETITION_LIST, -1, "dansync petition list --search 'nguyen van'"},
    {"petition show", "petition show ID [--json]", MSG_HELP_SHOW, ENT_PETITION,
     "dansync petition show 5e6f7a8b"},
    {"survey add", NULL, MSG_HELP_ADD, ENT_SURVEY,
     "dansync survey add --taken-on 15/3/2024 --service 'đất đai' "
     "--overall 4"},
    {"survey update", "survey update ID --voided", MSG_HELP_SURVEY_UPDATE, -1,
     "dansync survey update 5e6f7a8b --voided"},
    {"survey list", "survey list [--json]", MSG_HELP_LIST, ENT_SURVEY,
     "dansync survey list"},
    {"survey show", "survey show ID [--json]", MSG_HELP_SHOW, ENT_SURVEY,
     "dansync survey show 5e6f7a8b"},
    {"visit add", NULL, MSG_HELP_ADD, ENT_VISIT,
     "dansync visit add --visited-on 15/3/2024 --household 'Bà Trần Thị B' "
     "--situation 'người già neo đơn' --gift-vnd 500000"},
    {"visit update", NULL, MSG_HELP_UPDATE, ENT_VISIT,
     "dansync visit update 5e6f7a8b --voided"},
    {"visit list", "visit list [--json]", MSG_HELP_LIST, ENT_VISIT,
     "dansync visit list"},
    {"visit show", "visit show ID [--json]", MSG_HELP_SHOW, ENT_VISIT,
     "dansync visit show 5e6f7a8b"},
    {"sync",
     "sync [--restamp] [--wait] [--retries N] [--timeout S] [--batch N] "
     "[--pull-limit N]",
     MSG_HELP_SYNC, -1, "dansync sync --wait"},
};

#define NHELP (sizeof(help_src) / sizeof(help_src[0]))

/* The help pages in the chosen language, built once per run. */
struct helps {
  struct args_help h[NHELP];
  char what[NHELP][1024];
  char usage[NHELP][512];
};

/* "petition add --received-on DATE --category C ... [--force]": every
 * field of |ent| as a flag, required ones first and bare. */
static void field_usage(char *out, size_t cap, int ent, bool add) {
  const struct entity_def *e = schema_entity(ent);
  size_t len =
      (size_t)snprintf(out, cap, "%s %s", e->name, add ? "add" : "update ID");
  for (int pass = 0; pass < 2; pass++) {
    for (int f = 0; f < e->nfields && len < cap; f++) {
      const struct field_def *fd = &e->fields[f];
      bool req = add && (fd->flags & FIELD_REQUIRED);
      char flag[48];
      if (f == e->commune_field || (pass == 0) != req ||
          (add && !strcmp(fd->name, "voided")))
        continue;
      snprintf(flag, sizeof(flag), "%s", fd->name);
      for (char *p = flag; *p; p++)
        *p = *p == '_' ? '-' : *p;
      len += (size_t)snprintf(out + len, cap - len, "%s%s--%s%s%s%s",
                              len && out[len - 1] != ' ' ? " " : "",
                              req ? "" : "[", flag,
                              fd->type == FT_BOOL   ? ""
                              : fd->type == FT_DATE ? " DATE"
                              : fd->type == FT_INT  ? " N"
                              : fd->type == FT_RID  ? " ID"
                                                    : " T",
                              "", req ? "" : "]");
    }
  }
  if (len < cap)
    snprintf(out + len, cap - len, " [--force]");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void helps_build(struct helps *hs, struct args_prog *prog,
                        struct args_words *w) {
  for (size_t i = 0; i < NHELP; i++) {
    const struct help_src *s = &help_src[i];
    const char *what = msg(s->what);
    if (s->ent >= 0)
      snprintf(hs->what[i], sizeof(hs->what[i]), what, cli_ent_name(s->ent));
    else
      snprintf(hs->what[i], sizeof(hs->what[i]), "%s", what);
    if (s->usage)
      snprintf(hs->usage[i], sizeof(hs->usage[i]), "%s", s->usage);
    else
      field_usage(hs->usage[i], sizeof(hs->usage[i]), s->ent,
                  strstr(s->cmd, " add") != NULL);
    hs->h[i].cmd = s->cmd;
    hs->h[i].usage = hs->usage[i];
    hs->h[i].what = hs->what[i];
    hs->h[i].example = s->example;
  }
  w->usage = msg(MSG_W_USAGE);
  w->commands = msg(MSG_W_COMMANDS);
  w->example = msg(MSG_W_EXAMPLE);
  w->more = msg(MSG_W_MORE);
  w->see = msg(MSG_W_SEE);
  prog->name = "dansync";
  prog->helps = hs->h;
  prog->nhelps = NHELP;
  prog->footer = msg(MSG_FOOTER);
  prog->words = w;
}
#pragma GCC diagnostic pop

int cli_fail(int code, const char *m) {
  fprintf(stderr, "dansync: %s\n", m);
  return code;
}

int cli_failf(int code, enum msg_id id, ...) {
  char m[2048];
  va_list ap;
  va_start(ap, id);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  vsnprintf(m, sizeof(m), msg(id), ap);
#pragma GCC diagnostic pop
  va_end(ap);
  return cli_fail(code, m);
}

int cli_usage(const char *cmd, const char *m) {
  fprintf(stderr, "dansync: %s (%s 'dansync%s%s --help')\n", m, msg(MSG_W_SEE),
          cmd ? " " : "", cmd ? cmd : "");
  return EXIT_USAGE;
}

int cli_only(const struct args *a, const char *cmd,
             const char *const *allowed) {
  for (int i = 0; i < a->nflags; i++) {
    bool ok = false;
    for (int k = 0; allowed[k] && !ok; k++)
      ok = !strcmp(allowed[k], a->flags[i].name);
    if (!ok) {
      char m[256];
      msg_fmt(m, sizeof(m), MSG_UNKNOWN_FLAG, a->flags[i].name);
      return cli_usage(cmd, m);
    }
  }
  return 0;
}

int cli_extra(const struct args *a, const char *cmd, int want) {
  char m[512];
  if (a->npos <= want)
    return 0;
  msg_fmt(m, sizeof(m), MSG_UNEXPECTED, a->pos[want]);
  return cli_usage(cmd, m);
}

int cli_open(struct device *dev, const struct args *a) {
  char path[4096], err[DS_ERRBUF_LEN];
  if (local_db_path(path, sizeof(path), a->db, false))
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_PATH_LONG));
  if (local_open(dev, path, err))
    return cli_fail(EXIT_ERROR, err);
  return 0;
}

const char *cli_ent_name(int ent) {
  static const enum msg_id names[] = {[ENT_MEETING] = MSG_ENT_MEETING,
                                      [ENT_PETITION] = MSG_ENT_PETITION,
                                      [ENT_SURVEY] = MSG_ENT_SURVEY,
                                      [ENT_VISIT] = MSG_ENT_VISIT};
  if (ent < 0 || ent >= SCHEMA_NENT)
    return "";
  return msg(names[ent]);
}

static const char *const bare_flags[] = {
    "voided", "json", "overdue",       "restamp",   "wait",
    "force",  "open", "insecure-http", "system-ca", NULL};

static int dispatch_record(const struct args *a, int ent, const char *w1,
                           const char *cmd) {
  if (!strcmp(w1, "list"))
    return cmd_list(a, ent, cmd);
  if (!strcmp(w1, "show"))
    return cmd_show(a, ent, cmd);
  if (!strcmp(w1, "add") || !strcmp(w1, "update") ||
      (ent == ENT_PETITION && !strcmp(w1, "reopen")))
    return cmd_record(a, ent, w1, cmd);
  return -1;
}

int cli_main(int argc, char **argv) {
  char err[DS_ERRBUF_LEN], cmd[64] = "", m[256];
  struct args_words words;
  struct args_prog prog;
  struct helps hs;
  const char *w0, *w1;
  struct args a;
  int ent, rc = -1;
  bool two;

  if (sodium_init() < 0)
    return cli_fail(EXIT_ERROR, msg(MSG_SODIUM));
  if (args_parse(&a, argc, argv, bare_flags, err)) {
    if (a.missing) {
      char name[48];
      snprintf(name, sizeof(name), "%s", a.missing);
      msg_fmt(m, sizeof(m), MSG_NEEDS_VALUE, name);
    } else {
      msg_fmt(m, sizeof(m), MSG_TOO_MANY);
    }
    return cli_usage(NULL, m);
  }
  w0 = a.npos > 0 ? a.pos[0] : NULL;
  w1 = a.npos > 1 ? a.pos[1] : NULL;
  ent = w0 ? schema_entity_find(w0, strlen(w0)) : -1;
  two = (ent >= 0 || (w0 && !strcmp(w0, "bundle"))) && w1;
  snprintf(cmd, sizeof(cmd), "%s%s%s", w0 ? w0 : "", two ? " " : "",
           two ? w1 : "");
  if (!w0 || a.help) {
    helps_build(&hs, &prog, &words);
    if (!w0 || args_help_for(&prog, cmd, stdout))
      args_usage_all(&prog, a.help ? stdout : stderr);
    return a.help ? EXIT_OK : EXIT_USAGE;
  }
  if (!strcmp(w0, "init"))
    return a.npos == 1 ? cmd_init(&a) : cli_extra(&a, "init", 1);
  if (!strcmp(w0, "set-server"))
    return cmd_set_server(&a);
  if (!strcmp(w0, "status"))
    return a.npos == 1 ? cmd_status(&a) : cli_extra(&a, "status", 1);
  if (!strcmp(w0, "digest"))
    return a.npos == 1 ? cmd_digest(&a) : cli_extra(&a, "digest", 1);
  if (!strcmp(w0, "report"))
    return a.npos == 1 ? cmd_report(&a) : cli_extra(&a, "report", 1);
  if (!strcmp(w0, "sync"))
    return cmd_sync(&a);
  if (!strcmp(w0, "reenroll"))
    return cmd_reenroll(&a);
  if (!strcmp(w0, "bundle"))
    return cbundle_main(&a, w1);
  if (ent >= 0 && w1)
    rc = dispatch_record(&a, ent, w1, cmd);
  if (rc >= 0)
    return rc;
  msg_fmt(m, sizeof(m), MSG_UNKNOWN_COMMAND, cmd);
  return cli_usage(NULL, m);
}
