/* SPDX-License-Identifier: MIT
 * enrol.h -- enrolment tokens as devices receive them (DESIGN §11): the
 * token text carrying commune, district key and pin; the list of unused
 * tokens by public id; cancelling one. The secret and its row in the token
 * table are district_enroll's. */
#ifndef DS_DAEMON_ENROL_H
#define DS_DAEMON_ENROL_H
#include <stdbool.h>
#include <stdint.h>
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
DS_NODISCARD int enrol_cancel(struct store *st, const char *id, char *errbuf);

/* Enrolment receipts (DESIGN §11). The head check's test, off the writer:
 * is |receipt| the district's (key |dpk|) for |node| and |key_hex|? */
bool enrol_receipt_check(const uint8_t *dpk, const uint8_t *node,
                         const char *key_hex, const char *receipt);
/* The writer's: re-registers |node| (unknown to this store) from its
 * receipt, filling its key and commune (SCHEMA_SLUG_MAX + 1). DS_EAUTH when
 * the receipt is not the district's or names no commune of it. */
DS_NODISCARD int enrol_from_receipt(struct store *st, const uint8_t *node,
                                    const char *key_hex, const char *receipt,
                                    uint64_t now_ms, uint8_t pk[32],
                                    char *commune);

/* `dansyncd enroll [list | cancel ID]`. */
int enrol_cmd(const struct args *a, const char *verb);
#endif
