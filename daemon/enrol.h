/* SPDX-License-Identifier: MIT
 * enrol.h -- enrolment tokens as devices receive them (DESIGN §11): the
 * token text carrying commune, district key and pin; the list of unused
 * tokens by public id; cancelling one. The secret and its row in the token
 * table are district_enroll's. */
#ifndef DS_DAEMON_ENROL_H
#define DS_DAEMON_ENROL_H
#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"
#include "common/token.h"

struct store;
struct args;

/* Makes a token for |commune| with |pin| ("sha256//...", or NULL) and
 * writes its text into |out|. */
DS_NODISCARD int enrol_token(struct store *st, const char *commune,
                             const char *label, const char *pin,
                             char out[TOKEN_TEXT_MAX], char *errbuf);
/* Tokens neither used nor expired, by public id. */
DS_NODISCARD int enrol_list(struct store *st, bool json, FILE *out);
/* Burns the unused token whose public id is |id|. */
DS_NODISCARD int enrol_cancel(struct store *st, const char *id,
                              char *errbuf);

/* `dansyncd enroll [list | cancel ID]`. */
int enrol_cmd(const struct args *a, const char *verb);
#endif
