/* SPDX-License-Identifier: MIT
 * answer.h -- the district's key on the serving side (DESIGN §11): loading
 * it, and the signature header every 200 answer carries. */
#ifndef DS_DAEMON_ANSWER_H
#define DS_DAEMON_ANSWER_H
#include <stddef.h>
#include <stdint.h>

#include "common/dsig.h"
#include "common/err.h"

struct store;

/* The district's signing key (its public half is sk + 32). */
DS_NODISCARD int answer_key_load(struct store *st, uint8_t sk[DSIG_SK_LEN],
                                 char *errbuf);

/* Appends "Dansync-Signature: BASE64\r\n" for the answer |body| to the
 * request whose body hashed to |req_hash| into |hdr| (NUL-terminated). */
void answer_sign_header(const uint8_t sk[DSIG_SK_LEN],
                        const uint8_t req_hash[32], const uint8_t *body,
                        size_t len, char *hdr, size_t cap);
/* Appends "Dansync-Receipt: COMMUNE BASE64\r\n", the receipt of the
 * enrolment this answer completes (node |node|, key |key_hex|). */
void answer_receipt_header(const uint8_t sk[DSIG_SK_LEN],
                           const uint8_t node[16], const char *key_hex,
                           const char *commune, char *hdr, size_t cap);
#endif
