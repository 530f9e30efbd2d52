/* SPDX-License-Identifier: MIT
 * token.h -- the enrolment token's text (DESIGN §11): the secret the daemon
 * burns, the commune, the district's public key, the pin of its TLS
 * certificate (when it has one), a short public id and a checksum, so a
 * mistyped token is refused at `dansync init` and never reaches the wire.
 *
 *   dst1-IIIIIIII-PAYLOAD
 *
 * IIIIIIII is the public id: the first 4 bytes, in hex, of BLAKE2b-256 of
 * the secret's 64 hex digits (the hash the district stores, so `enroll
 * list` shows it without keeping the secret). PAYLOAD is unpadded base64url
 * of: secret (32) | district key (32) | flags (1: bit 0 a pin follows) |
 * [pin: SHA-256 of the certificate's public key (32)] | commune length (1) |
 * commune | check (4), where check is BLAKE2b-32 of everything before it in
 * the text ("dst1-IIIIIIII-" and the payload bytes). */
#ifndef DS_COMMON_TOKEN_H
#define DS_COMMON_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/schema.h"

#define TOKEN_SECRET_LEN 32
#define TOKEN_KEY_LEN 32
#define TOKEN_PIN_LEN 32
#define TOKEN_ID_HEX 8
#define TOKEN_TEXT_MAX 256 /* the longest text token_encode writes, NUL too */
#define TOKEN_PIN_TEXT 53  /* "sha256//" + 44 base64 + NUL */

struct token {
  char secret[2 * TOKEN_SECRET_LEN + 1]; /* hex: what Dansync-Token carries */
  char id[TOKEN_ID_HEX + 1];
  uint8_t district_pk[TOKEN_KEY_LEN];
  bool has_pin;
  uint8_t pin[TOKEN_PIN_LEN];
  char commune[SCHEMA_SLUG_MAX + 1];
};

/* The public id of a secret (its hash's first 4 bytes in hex). */
void token_public_id(const char *secret_hex, char id[TOKEN_ID_HEX + 1]);

/* Writes |t|'s text (|t->id| is derived from the secret). */
DS_NODISCARD int token_encode(const struct token *t, char out[TOKEN_TEXT_MAX]);

/* Parses a token's text, ignoring whitespace (a token file's newline, a
 * token wrapped by a mail program). DS_EINVAL with one sentence in
 * |errbuf| when it is not a whole, unaltered token. */
DS_NODISCARD int token_decode(const char *text, struct token *t, char *errbuf);

/* "sha256//BASE64" <-> the 32 bytes it names. */
void token_pin_text(const uint8_t pin[TOKEN_PIN_LEN], char out[TOKEN_PIN_TEXT]);
DS_NODISCARD int token_pin_parse(const char *text, uint8_t out[TOKEN_PIN_LEN]);
#endif
