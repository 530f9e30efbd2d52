/* SPDX-License-Identifier: MIT
 * cli_rec.c -- dansync's record changes: add, update and reopen. What was
 * typed is made canonical here (dates in both forms, enums by slug or
 * Vietnamese label) and checked for plausibility (DESIGN §8: the client's
 * alone, §6), then written by local_change as one op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli_int.h"
#include "client/lookup.h"
#include "common/hex.h"
#include "common/query.h"
#include "common/schema.h"
#include "common/vnenum.h"

/* Above this a gift is a typing mistake far more often than a gift. */
#define GIFT_VND_PLAUSIBLE 100000000LL

/* A change being typed: its flags, with values made canonical. */
struct typed {
  int ent;
  const struct entity_def *e;
  struct edit_flag flags[ARGS_MAX];
  int field[ARGS_MAX];
  char val[ARGS_MAX][ID_HEX_LEN + 1]; /* dates, slugs, ids made canonical */
  int n;
  const char *commune;
  bool force;
};

static const char *typed_get(const struct typed *t, const char *field) {
  for (int i = 0; i < t->n; i++)
    if (!strcmp(t->e->fields[t->field[i]].name, field))
      return t->flags[i].value;
  return NULL;
}

static bool has_control(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  for (; *p; p++)
    if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f ||
        (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
      return true;
  return false;
}

static bool blank(const char *s) {
  for (; *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
      return false;
  return true;
}

/* Makes flag |i|'s value canonical; EXIT_ERROR after saying why. */
static int canon(struct typed *t, struct store *st, int i, const char *flag) {
  const struct field_def *fd = &t->e->fields[t->field[i]];
  const char *v = t->flags[i].value;
  uint8_t rid[ID_LEN];
  int k;

  if (!v || !*v)
    return 0;
  switch (fd->type) {
  case FT_DATE:
    if (!query_date_parse(v, t->val[i]))
      return cli_failf(EXIT_ERROR, MSG_BAD_DATE, flag, v);
    break;
  case FT_ENUM:
  case FT_STATUS:
    k = vnenum_parse(fd->enums, v);
    if (k < 0) {
      struct buf b;
      int rc;
      buf_init(&b, 0);
      rc = vnenum_choices(&b, fd->enums);
      rc = rc || buf_cstr(&b);
      rc = cli_failf(EXIT_ERROR, MSG_BAD_CHOICE, flag, v,
                     rc ? "" : (const char *)b.data);
      buf_cleanup(&b);
      return rc;
    }
    snprintf(t->val[i], sizeof(t->val[i]), "%s", fd->enums[k]);
    break;
  case FT_RID:
    if (cli_resolve(st, ENT_MEETING, v, rid))
      return EXIT_ERROR;
    hex_encode(t->val[i], rid, ID_LEN);
    break;
  case FT_TEXT:
    if (has_control(v))
      return cli_failf(EXIT_ERROR, MSG_CONTROL_CHAR, flag);
    if (blank(v))
      return cli_failf(EXIT_ERROR, MSG_BLANK, flag);
    return 0;
  default: return 0;
  }
  t->flags[i].value = t->val[i];
  return 0;
}

/* Collects the field flags; a usage error for any other flag. */
static int collect(struct typed *t, const struct args *a, bool create,
                   const char *cmd) {
  t->n = 0;
  for (int i = 0; i < a->nflags; i++) {
    const char *name = a->flags[i].name;
    char norm[48], m[256];
    size_t len = strlen(name);
    int f = -1;
    if (!strcmp(name, "force")) {
      t->force = true;
      continue;
    }
    if (create && !strcmp(name, "commune")) {
      t->commune = a->flags[i].value;
      continue;
    }
    if (len < sizeof(norm)) {
      for (size_t k = 0; k <= len; k++)
        norm[k] = name[k] == '-' ? '_' : name[k];
      f = schema_field_find(t->e, norm, len);
    }
    if (f < 0 || f == t->e->commune_field) {
      msg_fmt(m, sizeof(m), MSG_UNKNOWN_FIELD_FLAG, cli_ent_name(t->ent), name);
      return cli_usage(cmd, m);
    }
    t->field[t->n] = f;
    t->flags[t->n].name = name;
    t->flags[t->n++].value = a->flags[i].value;
  }
  return 0;
}

static int required(const struct typed *t, const char *cmd) {
  for (int f = 0; f < t->e->nfields; f++) {
    char want[48], m[256];
    if (!(t->e->fields[f].flags & FIELD_REQUIRED) || f == t->e->commune_field ||
        typed_get(t, t->e->fields[f].name))
      continue;
    snprintf(want, sizeof(want), "%s", t->e->fields[f].name);
    for (char *p = want; *p; p++)
      *p = *p == '_' ? '-' : *p;
    msg_fmt(m, sizeof(m), MSG_NEEDS_FIELD, cli_ent_name(t->ent), want);
    return cli_usage(cmd, m);
  }
  return 0;
}

/* DESIGN §8's plausibility checks; EXIT_ERROR after saying which. */
static int plausible(struct device *dev, const struct typed *t, bool create,
                     const uint8_t rid[ID_LEN]) {
  static const char *const events[] = {"held_on",  "received_on", "resolved_on",
                                       "taken_on", "visited_on",  NULL};
  static const char *const flags[] = {"held-on", "received-on", "resolved-on",
                                      "taken-on", "visited-on"};
  char today[11], limit[32], received[11], sid[9];
  const char *v;
  int y, m, d;

  query_today(today);
  for (int i = 0; events[i]; i++)
    if ((v = typed_get(t, events[i])) && *v && strcmp(v, today) > 0)
      return cli_failf(EXIT_ERROR, MSG_FUTURE_DATE, flags[i], v, today);
  sscanf(today, "%4d-%2d-%2d", &y, &m, &d);
  snprintf(limit, sizeof(limit), "%04d-%02d-%02d", y + 2, m, d);
  if ((v = typed_get(t, "due_on")) && *v && strcmp(v, limit) > 0)
    return cli_failf(EXIT_ERROR, MSG_DUE_TOO_FAR, v);
  if (t->ent == ENT_PETITION) {
    if ((v = typed_get(t, "received_on")) && *v)
      snprintf(received, sizeof(received), "%s", v);
    else if (create)
      received[0] = '\0';
    else if (lookup_field(dev->st, ENT_PETITION, rid, "received_on", received,
                          sizeof(received)))
      return cli_fail(EXIT_ERROR, msg(MSG_STORE_READ));
    if ((v = typed_get(t, "resolved_on")) && *v && *received &&
        strcmp(v, received) < 0)
      return cli_failf(EXIT_ERROR, MSG_BEFORE_RECEIVED, "resolved-on", v,
                       received);
    if ((v = typed_get(t, "due_on")) && *v && *received &&
        strcmp(v, received) < 0)
      return cli_failf(EXIT_ERROR, MSG_BEFORE_RECEIVED, "due-on", v, received);
    if (create) {
      uint8_t dup[ID_LEN];
      int found =
          lookup_duplicate(dev->st, t->commune ? t->commune : dev->commune,
                           typed_get(t, "received_on"), typed_get(t, "citizen"),
                           typed_get(t, "content"), dup);
      if (found < 0)
        return cli_fail(EXIT_ERROR, msg(MSG_STORE_READ));
      if (found) {
        cli_short_id(sid, dup);
        return cli_failf(EXIT_ERROR, MSG_DUPLICATE, sid);
      }
    }
  }
  if ((v = typed_get(t, "gift_vnd")) && *v &&
      strtoll(v, NULL, 10) > GIFT_VND_PLAUSIBLE)
    return cli_failf(EXIT_ERROR, MSG_AMOUNT_HUGE, "gift-vnd", v, "100.000.000");
  return 0;
}

/* Setting escalated_to on a petition below escalated moves its status to
 * escalated in the same op (DESIGN §8). EXIT_ERROR after saying why when
 * the stored status cannot be read. */
static int escalate(struct typed *t, struct store *st, bool create,
                    const uint8_t rid[ID_LEN]) {
  const char *to = typed_get(t, "escalated_to");
  char status[32];
  int rank = 0;
  if (t->ent != ENT_PETITION || !to || !*to || typed_get(t, "status") ||
      t->n >= ARGS_MAX)
    return 0;
  if (!create) {
    /* The view shows a status by its name. */
    if (lookup_field(st, ENT_PETITION, rid, "status", status, sizeof(status)))
      return cli_fail(EXIT_ERROR, msg(MSG_STORE_READ));
    rank = *status ? vnenum_parse(schema_status_names, status) : 0;
  }
  if (rank >= 2)
    return 0;
  t->field[t->n] = t->e->status_field;
  t->flags[t->n].name = "status";
  t->flags[t->n++].value = "escalated";
  return 0;
}

/* A petition's status only moves up within its generation (DESIGN §4):
 * said here in the officer's words before common/edit.c would refuse it.
 * EXIT_ERROR after saying why. */
static int status_down(const struct typed *t, struct store *st,
                       const uint8_t rid[ID_LEN]) {
  const char *want = typed_get(t, "status");
  char have[32];
  int from, to;
  if (t->ent != ENT_PETITION || !want)
    return 0;
  if (lookup_field(st, ENT_PETITION, rid, "status", have, sizeof(have)))
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_READ));
  from = *have ? vnenum_parse(schema_status_names, have) : -1;
  to = vnenum_parse(schema_status_names, want);
  if (from < 0 || to < 0 || to >= from)
    return 0;
  return cli_failf(EXIT_ERROR, MSG_STATUS_DOWN,
                   msg_english() ? have : vnenum_label(have));
}

static int change_exit(int rc, const char *err) {
  if (rc == DS_EBADOP || rc == DS_ENOENT || rc == DS_EFORBIDDEN ||
      rc == DS_EINVAL)
    return cli_fail(EXIT_ERROR, err);
  if (rc == DS_EBUSY)
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_BUSY));
  return cli_fail(EXIT_ERROR, msg(MSG_STORE_WRITE));
}

int cmd_record(const struct args *a, int ent, const char *verb,
               const char *cmd) {
  enum local_kind kind = !strcmp(verb, "add")      ? LOCAL_CREATE
                         : !strcmp(verb, "reopen") ? LOCAL_REOPEN
                                                   : LOCAL_UPDATE;
  bool create = kind == LOCAL_CREATE;
  struct typed t = {.ent = ent, .e = schema_entity(ent)};
  char err[DS_ERRBUF_LEN] = "", hex[ID_HEX_LEN + 1], sid[9], m[256];
  uint8_t rid[ID_LEN];
  struct device dev;
  int rc;

  if (kind == LOCAL_REOPEN && a->nflags)
    return cli_usage(cmd, msg(MSG_REOPEN_ONLY_ID));
  rc = collect(&t, a, create, cmd);
  if (rc)
    return rc;
  /* Of a survey only voided changes (DESIGN §3). */
  for (int i = 0; i < t.n && !create; i++)
    if (!schema_field_changes(t.e, t.field[i]))
      return cli_usage(cmd, msg(MSG_SURVEY_IMMUTABLE));
  if (a->npos > (create ? 2 : 3))
    return cli_extra(a, cmd, create ? 2 : 3);
  if (!create && a->npos != 3) {
    msg_fmt(m, sizeof(m), MSG_NEEDS_ID, cli_ent_name(ent));
    return cli_usage(cmd, m);
  }
  if (kind == LOCAL_UPDATE && t.n == 0)
    return cli_usage(cmd, msg(MSG_NOTHING_TO_CHANGE));
  rc = create ? required(&t, cmd) : 0;
  if (rc)
    return rc;
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  if (!create)
    rc = cli_resolve(dev.st, ent, a->pos[2], rid);
  for (int i = 0; i < t.n && !rc; i++)
    rc = canon(&t, dev.st, i, t.flags[i].name);
  if (!rc && !create)
    rc = status_down(&t, dev.st, rid);
  if (!rc)
    rc = escalate(&t, dev.st, create, rid);
  if (!rc && !t.force)
    rc = plausible(&dev, &t, create, rid);
  if (!rc) {
    rc = local_change(&dev, kind, ent, rid, t.commune, t.flags, t.n, err);
    if (rc)
      rc = change_exit(rc, err);
  }
  local_close(&dev);
  if (rc)
    return rc;
  if (create) {
    hex_encode(hex, rid, ID_LEN);
    cli_short_id(sid, rid);
    /* The full id alone on stdout, for scripts; the sentence on stderr. */
    printf("%s\n", hex);
    msg_print(stderr, MSG_ADDED, cli_ent_name(ent), sid);
  }
  return EXIT_OK;
}
