/* SPDX-License-Identifier: MIT
 * admin_int.h -- what dansyncd's command files share (admin.c: the
 * records, the log, the report; admin_ops.c: serve, init, backup). */
#ifndef DS_DAEMON_ADMIN_INT_H
#define DS_DAEMON_ADMIN_INT_H
#include <stdint.h>

#include "common/args.h"
#include "common/exitcode.h"

struct store;

extern struct args_prog admin_prog;

/* --db, else $DANSYNCD_DB, else ./district.db. */
const char *admin_db_path(const struct args *a);
/* Opens the existing district store, or prints why not and returns the
 * exit code. */
int admin_open_store(const struct args *a, struct store **st);
/* "250ms", "90s", "30m", "1h", "2d", or plain seconds. */
int admin_parse_duration(const char *s, uint64_t *ms);

/* 0 when |slug| is NULL or one of the district's communes (or
 * "district"); else says so on stderr and returns EXIT_ERROR (§8). */
int admin_commune_check(struct store *st, const char *slug);

/* admin_rec.c: petitions, surveys, conflicts and devices. */
int cmd_petition(const struct args *a, const char *verb);
int cmd_survey(const struct args *a, const char *verb);
int cmd_conflicts(const struct args *a, const char *verb);
int cmd_node_revoke(const struct args *a);

int cmd_serve(const struct args *a);
int cmd_init(const struct args *a);
int cmd_commune_list(const struct args *a);
int cmd_backup(const struct args *a);
int cmd_tls(const struct args *a, const char *verb);
#endif
