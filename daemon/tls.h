/* SPDX-License-Identifier: MIT
 * tls.h -- TLS for the daemon, sans I/O (OpenSSL 3 on memory BIOs), as
 * daemon/http.c is for HTTP: encrypted bytes in, plaintext out; plaintext
 * in, encrypted bytes out. The connection layer moves the bytes. TLS 1.2
 * and 1.3 only. Every call runs on the loop thread; a handshake costs one
 * signature of the district's certificate key (measured in bench/).
 *
 * Also the district's certificate: `dansyncd tls init` makes a self-signed
 * one for the district's host names, `dansyncd tls pin` prints the pin a
 * device checks it by (sha256// and the base64 SHA-256 of the DER public
 * key, as curl's CURLOPT_PINNEDPUBLICKEY takes it). */
#ifndef DS_DAEMON_TLS_H
#define DS_DAEMON_TLS_H
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

struct tls_ctx;
struct tls_conn;

/* The server's certificate chain (PEM) and its private key (PEM, which
 * must be private to its owner: files_check_private). */
DS_NODISCARD int tls_ctx_new(struct tls_ctx **out, const char *cert_file,
                             const char *key_file, char *errbuf);
void tls_ctx_free(struct tls_ctx *ctx);

DS_NODISCARD int tls_conn_new(struct tls_conn **out, struct tls_ctx *ctx);
void tls_conn_free(struct tls_conn *t);

enum tls_status {
  TLS_OK,     /* go on: plaintext (if any) was appended */
  TLS_CLOSED, /* the peer sent close_notify: no more plaintext */
  TLS_ERROR   /* a fatal error: drop the connection (no close_notify) */
};

/* Takes |len| encrypted bytes from the network, and appends to |plain|
 * every byte of plaintext they complete (looping until OpenSSL wants more:
 * none is left inside it). Handshake messages it must answer are queued:
 * collect them with tls_take. |plain|'s cap counts: past it, TLS_ERROR. */
enum tls_status tls_feed(struct tls_conn *t, const void *data, size_t len,
                         struct buf *plain);
/* Encrypts |len| bytes of plaintext (queued for tls_take). */
DS_NODISCARD int tls_write(struct tls_conn *t, const void *data, size_t len);
/* Queues one close_notify (once; never after a fatal error). */
void tls_close(struct tls_conn *t);
/* Moves everything queued for the network into |out| (appended). */
DS_NODISCARD int tls_take(struct tls_conn *t, struct buf *out);
/* One answer's bytes for the network in |out| (emptied first): |len|
 * bytes encrypted, then a close_notify when it is the |last| answer. */
DS_NODISCARD int tls_seal(struct tls_conn *t, const void *data, size_t len,
                          bool last, struct buf *out);
bool tls_handshake_done(const struct tls_conn *t);
/* A short description of the last fatal error, for the log. */
const char *tls_error(const struct tls_conn *t);

/* `dansyncd tls init`: a new ECDSA P-256 key (0600) and a self-signed
 * certificate valid for |nhosts| names (DNS names or IP addresses) and the
 * loopback names (localhost, 127.0.0.1, ::1: the dashboard's default
 * address) for |days| days, written as DIR/district.key and
 * DIR/district.crt. */
DS_NODISCARD int tls_make_cert(const char *dir, const char *const *hosts,
                               int nhosts, int days, char *errbuf);
/* `dansyncd tls pin`: "sha256//BASE64" of |cert_file|'s public key. */
DS_NODISCARD int tls_pin(const char *cert_file, char *pin, size_t cap,
                         char *errbuf);
#endif
