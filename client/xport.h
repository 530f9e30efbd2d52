/* SPDX-License-Identifier: MIT
 * xport.h -- POSTs to the district daemon through libcurl: one easy handle,
 * so one connection kept for the whole sync (keep-alive); TLS with a pinned
 * key or a CA file (DESIGN §11); per-round deadlines. No retry logic here:
 * csync decides. */
#ifndef DS_CLIENT_XPORT_H
#define DS_CLIENT_XPORT_H
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

struct xport;

/* Called during a transfer with the request's bytes sent and the answer's
 * bytes received so far. */
typedef void (*xport_progress_cb)(void *arg, size_t up, size_t down);

/* How the device reaches and trusts its district. */
struct xport_cfg {
  const char *url;    /* http[s]://host[:port][/path] */
  const char *pin;    /* "sha256//BASE64[;sha256//...]", or NULL */
  const char *cacert; /* a PEM file of CA certificates, or NULL */
  /* Connect, the answer's first byte (counted from the request's start)
   * and any stall between bytes each get at most this long. */
  long timeout_s;
  xport_progress_cb cb; /* may be NULL */
  void *arg;
};

/* Checks a server address and its trust settings as `init` and `set-server`
 * take them: an http:// or https:// URL with a host and a valid port; http://
 * only to a loopback address unless |insecure_http|; a pin in libcurl's
 * sha256//BASE64 form, only with https:// and not together with |cacert|.
 * Returns 0 or DS_EINVAL with |errbuf| saying what is wrong. */
DS_NODISCARD int xport_check(const char *url, const char *pin,
                             const char *cacert, bool insecure_http,
                             char *errbuf);

/* Sets up a transport for |cfg| (strings copied). Returns 0, DS_EINVAL
 * (|errbuf| says what is wrong with the URL), DS_ENOMEM, DS_EIO (libcurl
 * could not start). Connects at the first POST. */
DS_NODISCARD int xport_open(struct xport **out, const struct xport_cfg *cfg,
                            char *errbuf);
/* Closes the connection and frees |x|. NULL is a no-op. */
void xport_close(struct xport *x);

/* POSTs |body| to the URL + |path| with the NULL-terminated |headers|
 * ("Name: value"). On an HTTP answer (any status) returns 0 with |*status|
 * and the body in |resp|. Otherwise, with |errbuf| saying what happened:
 * DS_EIDENTITY: the server's certificate did not match the pin or did not
 *   verify; nothing but the TLS handshake left the device;
 * DS_ETIMEDOUT: a deadline of |timeout_s| passed (connect, first byte or a
 *   stall): whether the server stored anything is unknown;
 * DS_EIO: the server could not be reached or the connection failed: whether
 *   it stored anything is unknown;
 * DS_ENOMEM. */
DS_NODISCARD int xport_post(struct xport *x, const char *path, const void *body,
                            size_t len, const char *const *headers,
                            long *status, struct buf *resp, char *errbuf);
/* The value of header |name| in the last answer (its last occurrence), or
 * DS_ENOENT when absent or longer than |cap| - 1. */
DS_NODISCARD int xport_header(struct xport *x, const char *name, char *out,
                              size_t cap);
#endif
