/* SPDX-License-Identifier: MIT
 * cli_int.h -- what the files of dansync's command line share: how errors
 * are said (one sentence from the catalogue, an exit code of §8), opening
 * the device, finding a record by id, and one entry point per command. */
#ifndef DS_CLIENT_CLI_INT_H
#define DS_CLIENT_CLI_INT_H
#include <stdbool.h>

#include "client/local.h"
#include "client/msg.h"
#include "common/args.h"

/* "dansync: MSG" on stderr; returns |code|. */
int cli_fail(int code, const char *msg);
/* As cli_fail, the message made from catalogue entry |id|. */
int cli_failf(int code, enum msg_id id, ...);
/* "dansync: MSG (see 'dansync CMD --help')"; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *msg);
/* Usage error naming the first flag not in |allowed|, or 0. */
int cli_only(const struct args *a, const char *cmd, const char *const *allowed);
/* Usage error naming the first positional word past the first |want|. */
int cli_extra(const struct args *a, const char *cmd, int want);
/* Opens the device's store; on failure says why and returns EXIT_ERROR. */
int cli_open(struct device *dev, const struct args *a);
/* An entity's name in a sentence ("kiến nghị"). */
const char *cli_ent_name(int ent);
/* Finds the record of entity |ent| (-1: any) that |text| names: its full
 * id, a unique prefix, or a unique end of 6 or more hex digits (a short id
 * is the last 8). On failure says why and returns EXIT_ERROR. */
int cli_resolve(struct store *st, int ent, const char *text,
                uint8_t rid[ID_LEN]);
/* The short id of |rid|: its last 8 hex digits, in |out| (9 bytes). */
void cli_short_id(char out[9], const uint8_t rid[ID_LEN]);

int cmd_init(const struct args *a);
int cmd_set_server(const struct args *a);
int cmd_status(const struct args *a);
int cmd_digest(const struct args *a);
int cmd_report(const struct args *a);
int cmd_sync(const struct args *a);
int cmd_reenroll(const struct args *a);
/* add, update, reopen of entity |ent|; |cmd| is "petition add". */
int cmd_record(const struct args *a, int ent, const char *verb,
               const char *cmd);
int cmd_list(const struct args *a, int ent, const char *cmd);
int cmd_show(const struct args *a, int ent, const char *cmd);
#endif
