/* SPDX-License-Identifier: MIT
 * cli_init.c -- dansync init and set-server: making a device's store and
 * its identity, and changing which district server it trusts. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "client/cli_int.h"
#include "client/trust.h"
#include "client/xport.h"
#include "common/hex.h"
#include "common/meta.h"
#include "common/schema.h"

/* Writes the new store's identity in one transaction. */
/* https:// in any case, as libcurl reads a scheme. */
static bool is_https(const char *url) {
  return !strncasecmp(url, "https://", 8);
}

/* The device's kept value of |k| into |buf| and |*out| (NULL when there is
 * none or it is empty); 0, or the store's error. */
static int kept(struct store *st, enum meta_key k, char *buf, size_t cap,
                const char **out) {
  int rc = meta_get_str(st, k, buf, cap);
  *out = !rc && *buf ? buf : NULL;
  return rc == DS_ENOENT ? 0 : rc;
}

static int init_write(struct store *st, const char *commune, const char *server,
                      const struct token *tok, const char *pin,
                      const char *cacert, const uint8_t node[ID_LEN]) {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  int rc;

  crypto_sign_keypair(pk, sk);
  rc = store_begin(st);
  if (!rc)
    rc = meta_set(st, META_COMMUNE, commune, strlen(commune));
  if (!rc)
    rc = meta_set(st, META_SERVER, server, strlen(server));
  if (!rc)
    rc = trust_store_token(st, tok);
  if (!rc && pin)
    rc = meta_set(st, META_PIN, pin, strlen(pin));
  if (!rc && cacert)
    rc = meta_set(st, META_CACERT, cacert, strlen(cacert));
  if (!rc)
    rc = meta_set(st, META_NODE, node, ID_LEN);
  if (!rc)
    rc = meta_set(st, META_PK, pk, sizeof(pk));
  if (!rc)
    rc = meta_set(st, META_SK, sk, sizeof(sk));
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  sodium_memzero(sk, sizeof(sk));
  return rc;
}

int cmd_init(const struct args *a) {
  static const char *const allowed[] = {"commune",       "server", "token",
                                        "token-file",    "pin",    "cacert",
                                        "insecure-http", NULL};
  const char *server = args_get(a, "server"), *pin = args_get(a, "pin");
  const char *cacert = args_get(a, "cacert");
  char tokpin[TOKEN_PIN_TEXT];
  struct token tok;
  uint8_t node[ID_LEN];
  char path[4096], err[DS_ERRBUF_LEN], hex[ID_HEX_LEN + 1];
  struct store *st;
  int rc;

  rc = cli_only(a, "init", allowed);
  if (rc)
    return rc;
  if (!server || (!args_get(a, "token") && !args_get(a, "token-file")))
    return cli_usage("init", msg(MSG_INIT_NEEDS));
  if (trust_token_arg(a, &tok, err))
    return cli_fail(EXIT_ERROR, err);
  /* The token's pin, unless the officer said how to trust the server. */
  if (!pin && !cacert && tok.has_pin && is_https(server)) {
    token_pin_text(tok.pin, tokpin);
    pin = tokpin;
  }
  if (xport_check(server, pin, cacert, args_has(a, "insecure-http"), err)) {
    sodium_memzero(&tok, sizeof(tok));
    return cli_fail(EXIT_ERROR, err);
  }
  if (local_db_path(path, sizeof(path), a->db, true))
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_DIR));
  rc = store_open(&st, path, STORE_CREATE | STORE_EXCL, err);
  if (rc == DS_EEXIST)
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_EXISTS));
  if (rc)
    return cli_fail(EXIT_ERROR, err);
  id_random(node);
  rc = init_write(st, tok.commune, server, &tok, pin, cacert, node);
  store_close(st);
  sodium_memzero(tok.secret, sizeof(tok.secret));
  if (rc) {
    remove(path);
    return cli_fail(EXIT_ERROR, msg(MSG_STORE_WRITE_NEW));
  }
  hex_encode(hex, node, ID_LEN);
  msg_print(stdout, MSG_INITIALISED, path, tok.commune, hex);
  return EXIT_OK;
}

/* Changes the server and its trust; the queue, keys and cursor stay. With
 * neither --pin, --cacert nor --system-ca, an https server is trusted as
 * before (the pin or CA file kept); http has nothing to check. */
int cmd_set_server(const struct args *a) {
  static const char *const allowed[] = {"pin", "cacert", "system-ca",
                                        "insecure-http", NULL};
  const char *server = a->npos == 2 ? a->pos[1] : NULL;
  const char *pin = args_get(a, "pin"), *cacert = args_get(a, "cacert");
  bool system_ca = args_has(a, "system-ca");
  char err[DS_ERRBUF_LEN], kept_pin[512], kept_ca[4096];
  struct device dev;
  int rc;

  rc = cli_only(a, "set-server", allowed);
  if (rc)
    return rc;
  if (a->npos > 2)
    return cli_extra(a, "set-server", 2);
  if (!server)
    return cli_usage("set-server", msg(MSG_SET_SERVER_NEEDS));
  if (system_ca && (pin || cacert))
    return cli_fail(EXIT_ERROR, msg(MSG_SYSTEM_CA_ALONE));
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  if (!pin && !cacert && !system_ca && is_https(server)) {
    /* Kept as they are; a store that cannot say changes nothing. */
    rc = kept(dev.st, META_PIN, kept_pin, sizeof(kept_pin), &pin);
    if (!rc && !pin)
      rc = kept(dev.st, META_CACERT, kept_ca, sizeof(kept_ca), &cacert);
    if (rc) {
      local_close(&dev);
      return cli_fail(EXIT_ERROR, msg(MSG_SERVER_UNCHANGED));
    }
  }
  if (xport_check(server, pin, cacert, args_has(a, "insecure-http"), err)) {
    local_close(&dev);
    return cli_fail(EXIT_ERROR, err);
  }
  rc = store_begin(dev.st);
  if (!rc)
    rc = meta_set(dev.st, META_SERVER, server, strlen(server));
  if (!rc)
    rc = pin ? meta_set(dev.st, META_PIN, pin, strlen(pin))
             : meta_set(dev.st, META_PIN, NULL, 0);
  if (!rc)
    rc = cacert ? meta_set(dev.st, META_CACERT, cacert, strlen(cacert))
                : meta_set(dev.st, META_CACERT, NULL, 0);
  if (!rc)
    rc = store_commit(dev.st);
  else
    store_rollback(dev.st);
  local_close(&dev);
  if (rc)
    return cli_fail(EXIT_ERROR, msg(MSG_SERVER_UNCHANGED));
  msg_print(stdout, MSG_SERVER_NOW, server,
            msg(pin                 ? MSG_TRUST_PIN
                : cacert            ? MSG_TRUST_CAFILE
                : !is_https(server) ? MSG_TRUST_NONE
                                    : MSG_TRUST_SYSTEM));
  return EXIT_OK;
}
