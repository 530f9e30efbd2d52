/* SPDX-License-Identifier: MIT
 * token.c -- the enrolment token's text; see token.h for the layout. */
#include "common/token.h"

#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "common/cmsg.h"
#include "common/hex.h"

#define PREFIX "dst1-"
#define PREFIX_LEN 5
#define HEAD_LEN (PREFIX_LEN + TOKEN_ID_HEX + 1) /* "dst1-IIIIIIII-" */
#define CHECK_LEN 4
/* secret, key, flags, pin, commune length, commune, check */
#define RAW_MAX                                               \
  (TOKEN_SECRET_LEN + TOKEN_KEY_LEN + 1 + TOKEN_PIN_LEN + 1 + \
   SCHEMA_SLUG_MAX + CHECK_LEN)

void token_public_id(const char *secret_hex, char id[TOKEN_ID_HEX + 1]) {
  uint8_t hash[32];
  crypto_generichash(hash, sizeof(hash), (const uint8_t *)secret_hex,
                     strlen(secret_hex), NULL, 0);
  hex_encode(id, hash, TOKEN_ID_HEX / 2);
}

static void check(const char *head, const uint8_t *raw, size_t n,
                  uint8_t out[CHECK_LEN]) {
  crypto_generichash_state h;
  crypto_generichash_init(&h, NULL, 0, CHECK_LEN);
  crypto_generichash_update(&h, (const uint8_t *)head, HEAD_LEN);
  crypto_generichash_update(&h, raw, n);
  crypto_generichash_final(&h, out, CHECK_LEN);
}

int token_encode(const struct token *t, char out[TOKEN_TEXT_MAX]) {
  uint8_t raw[RAW_MAX];
  size_t n = 0, clen = strlen(t->commune);
  char id[TOKEN_ID_HEX + 1];

  if (clen == 0 || clen > SCHEMA_SLUG_MAX ||
      hex_decode(raw, TOKEN_SECRET_LEN, t->secret))
    return DS_EINVAL;
  n = TOKEN_SECRET_LEN;
  memcpy(raw + n, t->district_pk, TOKEN_KEY_LEN);
  n += TOKEN_KEY_LEN;
  raw[n++] = t->has_pin ? 1 : 0;
  if (t->has_pin) {
    memcpy(raw + n, t->pin, TOKEN_PIN_LEN);
    n += TOKEN_PIN_LEN;
  }
  raw[n++] = (uint8_t)clen;
  memcpy(raw + n, t->commune, clen);
  n += clen;
  token_public_id(t->secret, id);
  snprintf(out, TOKEN_TEXT_MAX, PREFIX "%s-", id);
  check(out, raw, n, raw + n);
  n += CHECK_LEN;
  sodium_bin2base64(out + HEAD_LEN, TOKEN_TEXT_MAX - HEAD_LEN, raw, n,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof(raw));
  return 0;
}

int token_decode(const char *text, struct token *t, char *errbuf) {
  char s[TOKEN_TEXT_MAX + 1];
  uint8_t raw[RAW_MAX], sum[CHECK_LEN];
  size_t len = 0, n = 0, clen;
  int rc = DS_EINVAL;

  memset(t, 0, sizeof(*t));
  for (const char *p = text; *p; p++) {
    if (isspace((unsigned char)*p))
      continue;
    if (len == TOKEN_TEXT_MAX)
      return cmsg_fail(errbuf, DS_EINVAL, CM_TOKEN_LONG);
    s[len++] = *p;
  }
  s[len] = '\0';
  if (len < HEAD_LEN || memcmp(s, PREFIX, PREFIX_LEN) || s[HEAD_LEN - 1] != '-')
    return cmsg_fail(errbuf, DS_EINVAL, CM_TOKEN_PREFIX);
  if (sodium_base642bin(raw, sizeof(raw), s + HEAD_LEN, len - HEAD_LEN, NULL,
                        &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
      n < TOKEN_SECRET_LEN + TOKEN_KEY_LEN + 2 + CHECK_LEN)
    goto mistyped;
  check(s, raw, n - CHECK_LEN, sum);
  if (sodium_memcmp(sum, raw + n - CHECK_LEN, CHECK_LEN))
    goto mistyped;
  n -= CHECK_LEN;
  hex_encode(t->secret, raw, TOKEN_SECRET_LEN);
  memcpy(t->district_pk, raw + TOKEN_SECRET_LEN, TOKEN_KEY_LEN);
  {
    size_t at = TOKEN_SECRET_LEN + TOKEN_KEY_LEN;
    uint8_t flags = raw[at++];
    if (flags > 1 || (flags && at + TOKEN_PIN_LEN >= n))
      goto mistyped;
    t->has_pin = flags;
    if (flags) {
      memcpy(t->pin, raw + at, TOKEN_PIN_LEN);
      at += TOKEN_PIN_LEN;
    }
    clen = raw[at++];
    if (clen == 0 || at + clen != n ||
        !schema_slug_ok((const char *)raw + at, clen))
      goto mistyped;
    memcpy(t->commune, raw + at, clen);
    t->commune[clen] = '\0';
  }
  token_public_id(t->secret, t->id);
  if (memcmp(t->id, s + PREFIX_LEN, TOKEN_ID_HEX))
    goto mistyped;
  rc = 0;
  goto done;
mistyped:
  cmsg_fail(errbuf, DS_EINVAL, CM_TOKEN_CHECK);
  memset(t, 0, sizeof(*t));
done:
  sodium_memzero(raw, sizeof(raw));
  sodium_memzero(s, sizeof(s));
  return rc;
}

void token_pin_text(const uint8_t pin[TOKEN_PIN_LEN],
                    char out[TOKEN_PIN_TEXT]) {
  memcpy(out, "sha256//", 8);
  sodium_bin2base64(out + 8, TOKEN_PIN_TEXT - 8, pin, TOKEN_PIN_LEN,
                    sodium_base64_VARIANT_ORIGINAL);
}

int token_pin_parse(const char *text, uint8_t out[TOKEN_PIN_LEN]) {
  size_t n = 0;
  if (strncmp(text, "sha256//", 8) || strlen(text) != TOKEN_PIN_TEXT - 1 ||
      sodium_base642bin(out, TOKEN_PIN_LEN, text + 8, strlen(text + 8), NULL,
                        &n, NULL, sodium_base64_VARIANT_ORIGINAL) ||
      n != TOKEN_PIN_LEN)
    return DS_EINVAL;
  return 0;
}
