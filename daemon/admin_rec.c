/* SPDX-License-Identifier: MIT
 * admin_rec.c -- dansyncd's commands on records and devices: petition
 * list/show/update/reopen as the district node, survey list/void,
 * conflicts list/show/resolve, and node revoke (which asks for --yes). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/edit.h"
#include "common/hex.h"
#include "common/query.h"
#include "common/store.h"
#include "daemon/admin_int.h"
#include "daemon/dmsg.h"
#include "daemon/audit.h"
#include "daemon/district.h"
#include "daemon/registry.h"

int admin_commune_check(struct store *st, const char *slug) {
  char m[DS_ERRBUF_LEN];
  bool found = false;
  if (!slug || !strcmp(slug, "district"))
    return 0;
  if (registry_commune_known(st, slug, &found))
    return args_fail(&admin_prog, EXIT_ERROR, dmsg(DM_READ_COMMUNES));
  if (found)
    return 0;
  dmsg_fmt(m, sizeof(m), DM_NOT_COMMUNE, slug);
  return args_fail(&admin_prog, EXIT_ERROR, m);
}

struct petition_edit {
  const uint8_t *rid;
  bool reopen;
  struct edit_flag flags[ARGS_MAX];
  int n;
  struct edit_arena arena;
};

static int build_petition(struct store *st, struct op *op, void *arg,
                          char *errbuf) {
  struct petition_edit *pe = arg;
  if (pe->reopen)
    return edit_reopen(st, op, pe->rid, errbuf);
  return edit_build(st, op, ENT_PETITION, pe->rid, false, NULL, pe->flags,
                    pe->n, &pe->arena, errbuf);
}

static int petition_list(const struct args *a, const char *cmd) {
  static const char *const list_flags[] = {
      "status", "category", "overdue", "search", "json", "commune", NULL};
  char err[DS_ERRBUF_LEN], today[11];
  struct query_filter flt;
  struct store *st;
  int rc;

  if (args_only(a, list_flags, err))
    return args_usage(&admin_prog, cmd, err);
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  query_filter_from_args(&flt, a, today);
  if (admin_commune_check(st, flt.commune)) {
    store_close(st);
    return EXIT_ERROR;
  }
  rc = query_petitions(st, &flt, args_has(a, "json"), stdout, err);
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

int cmd_petition(const struct args *a, const char *verb) {
  static const char *const show_flags[] = {"json", NULL};
  static const char *const none[] = {NULL};
  char err[DS_ERRBUF_LEN], cmd[32];
  uint8_t rid[ID_LEN];
  struct store *st;
  int rc;

  snprintf(cmd, sizeof(cmd), "petition %s", verb);
  if (!strcmp(verb, "list"))
    return petition_list(a, cmd);
  if (a->npos != 3)
    return args_usage(&admin_prog, cmd, dmsg(DM_GIVE_PETITION_ID));
  if ((!strcmp(verb, "show") && args_only(a, show_flags, err)) ||
      (!strcmp(verb, "reopen") && args_only(a, none, err)))
    return args_usage(&admin_prog, cmd, err);
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  rc = query_resolve_err(st, ENT_PETITION, a->pos[2], rid, err);
  if (!rc && !strcmp(verb, "show")) {
    rc = query_record(st, rid, args_has(a, "json"), NULL, stdout);
    if (rc)
      snprintf(err, sizeof(err), "%s", dmsg(DM_READ_STORE));
  } else if (!rc) {
    struct petition_edit pe;
    pe.rid = rid;
    pe.reopen = !strcmp(verb, "reopen");
    pe.n = 0;
    for (int i = 0; i < a->nflags; i++) {
      pe.flags[pe.n].name = a->flags[i].name;
      pe.flags[pe.n++].value = a->flags[i].value;
    }
    if (pe.n == 0 && !pe.reopen)
      rc = dmsg_fail(err, DS_EINVAL, DM_NOTHING_TO_CHANGE);
    else
      rc = district_submit(st, build_petition, &pe, err);
    if (!rc)
      dmsg_print(stdout, pe.reopen ? DM_REOPENED : DM_UPDATED, a->pos[2]);
  }
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

static int build_survey_void(struct store *st, struct op *op, void *arg,
                             char *errbuf) {
  static const struct edit_flag voided = {"voided", NULL};
  struct edit_arena arena;
  return edit_build(st, op, ENT_SURVEY, arg, false, NULL, &voided, 1, &arena,
                    errbuf);
}

/* `survey list [--commune C]`, `survey void ID`: the district's view of
 * the surveys, and voiding one as the district node (devices receive it
 * by sync, the report leaves it out). */
int cmd_survey(const struct args *a, const char *verb) {
  static const char *const list_flags[] = {"commune", "json", NULL};
  static const char *const none[] = {NULL};
  static const int heads_id[] = {DM_COL_ID, DM_COL_DATE, DM_COL_COMMUNE,
                                 DM_COL_SERVICE, DM_COL_OVERALL};
  bool list = !strcmp(verb, "list");
  char err[DS_ERRBUF_LEN], cmd[32];
  const char *heads[5];
  uint8_t rid[ID_LEN];
  struct store *st;
  int rc;

  snprintf(cmd, sizeof(cmd), "survey %s", verb);
  if (args_only(a, list ? list_flags : none, err))
    return args_usage(&admin_prog, cmd, err);
  if (a->npos != (list ? 2 : 3))
    return args_usage(&admin_prog, cmd,
                      dmsg(list ? DM_UNEXPECTED : DM_GIVE_SURVEY_ID));
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  if (list) {
    rc = admin_commune_check(st, args_get(a, "commune"));
    if (rc) {
      store_close(st);
      return rc;
    }
    for (int i = 0; i < 5; i++)
      heads[i] = dmsg(heads_id[i]);
    rc = query_surveys(st, args_get(a, "commune"), args_has(a, "json"), heads,
                       stdout);
    snprintf(err, sizeof(err), "%s", dmsg(DM_READ_STORE));
  } else {
    rc = query_resolve_err(st, ENT_SURVEY, a->pos[2], rid, err);
    if (!rc)
      rc = district_submit(st, build_survey_void, rid, err);
    if (!rc)
      dmsg_print(stdout, DM_VOIDED, a->pos[2]);
  }
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

static int conflict_resolve(struct store *st, const struct args *a,
                            const uint8_t rid[ID_LEN], int field, char *err) {
  struct district_resolve r;
  int rc;
  memcpy(r.rid, rid, ID_LEN);
  r.field = field;
  buf_init(&r.val, 0);
  rc = audit_conflict_pick(st, rid, field, args_get(a, "keep"), &r.keep, err);
  if (!rc)
    rc = district_submit(st, district_build_resolve, &r, err);
  if (!rc)
    dmsg_print(stdout, DM_RESOLVED, a->pos[2]);
  buf_cleanup(&r.val);
  return rc;
}

int cmd_conflicts(const struct args *a, const char *verb) {
  static const char *const list_flags[] = {"commune", "json", NULL};
  static const char *const show_flags[] = {"json", NULL};
  static const char *const resolve_flags[] = {"keep", NULL};
  char err[DS_ERRBUF_LEN], cmd[40];
  uint8_t rid[ID_LEN];
  struct store *st;
  int rc, field;

  snprintf(cmd, sizeof(cmd), "conflicts %s", verb);
  if (args_only(a,
                !strcmp(verb, "list")   ? list_flags
                : !strcmp(verb, "show") ? show_flags
                                        : resolve_flags,
                err))
    return args_usage(&admin_prog, cmd, err);
  if (a->npos != (!strcmp(verb, "list") ? 2 : 3))
    return args_usage(
        &admin_prog, cmd,
        dmsg(!strcmp(verb, "list") ? DM_UNEXPECTED : DM_GIVE_CONFLICT_ID));
  if (!strcmp(verb, "resolve") && !args_get(a, "keep"))
    return args_usage(&admin_prog, cmd, dmsg(DM_RESOLVE_NEEDS_KEEP));
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  if (!strcmp(verb, "list")) {
    if (admin_commune_check(st, args_get(a, "commune"))) {
      store_close(st);
      return EXIT_ERROR;
    }
    rc = audit_conflicts_list(st, args_get(a, "commune"), args_has(a, "json"),
                              stdout);
    snprintf(err, sizeof(err), "%s", dmsg(DM_READ_STORE));
  } else {
    rc = audit_conflict_parse(st, a->pos[2], rid, &field, err);
    if (!rc && !strcmp(verb, "show")) {
      rc = audit_conflict_show(st, rid, field, args_has(a, "json"), stdout);
      snprintf(err, sizeof(err), "%s", dmsg(DM_READ_STORE));
    } else if (!rc) {
      rc = conflict_resolve(st, a, rid, field, err);
    }
  }
  store_close(st);
  return rc ? args_fail(&admin_prog, EXIT_ERROR, err) : EXIT_OK;
}

struct node_facts {
  const char *node_hex;
  char *out;
  size_t cap;
  int n;
};

static int node_fact(void *arg, const struct registry_node *nd) {
  struct node_facts *f = arg;
  time_t t = (time_t)(nd->last_sync_ms / 1000);
  char when[32];
  struct tm tm;

  if (f->n++)
    return 0;
  snprintf(when, sizeof(when), "%s", dmsg(DM_NEVER));
  if (nd->last_sync_ms > 0) {
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  dmsg_fmt(f->out, f->cap, DM_NODE_FACTS, f->node_hex, nd->commune,
           *nd->label ? ", " : "", nd->label, (long long)nd->acked, when);
  return 0;
}

/* What the district knows of device |node_hex|: its commune, label, the
 * highest seq received from it and its last sync. 0, or -1 when it is not
 * exactly one device. The device's own queue is not known here. */
static int node_facts(struct store *st, const char *node_hex, char *out,
                      size_t cap) {
  uint8_t lo[ID_LEN], hi[ID_LEN];
  struct node_facts f = {node_hex, out, cap, 0};

  if (id_prefix_range(node_hex, lo, hi) ||
      registry_nodes_each(st, lo, hi, node_fact, &f))
    return -1;
  return f.n == 1 ? 0 : -1;
}

int cmd_node_revoke(const struct args *a) {
  static const char *const allowed[] = {"yes", NULL};
  char err[DS_ERRBUF_LEN], facts[512] = "";
  struct store *st;
  int rc;

  if (args_only(a, allowed, err))
    return args_usage(&admin_prog, "node revoke", err);
  if (a->npos != 3)
    return args_usage(&admin_prog, "node revoke", dmsg(DM_GIVE_NODE_ID));
  rc = admin_open_store(a, &st);
  if (rc)
    return rc;
  (void)node_facts(st, a->pos[2], facts, sizeof(facts));
  if (!args_has(a, "yes")) {
    store_close(st);
    if (!*facts)
      dmsg_fmt(facts, sizeof(facts), DM_NO_ONE_DEVICE, a->pos[2]);
    char m[sizeof(facts) + 128];
    dmsg_fmt(m, sizeof(m), DM_REVOKE_ASK, facts);
    return args_fail(&admin_prog, EXIT_ERROR, m);
  }
  rc = district_node_revoke(st, a->pos[2], err);
  store_close(st);
  if (rc)
    return args_fail(&admin_prog, EXIT_ERROR, err);
  dmsg_print(stdout, DM_REVOKED, a->pos[2], facts);
  return EXIT_OK;
}
