/* SPDX-License-Identifier: MIT
 * http.h -- HTTP/1.1 request parsing for the daemon, sans I/O (on
 * http-parser): bytes in; out, a whole request (method, path, the dansync
 * headers, the body) or the status to refuse the bytes with. It stops
 * after each request's head, so the caller can refuse a body unread. Caps:
 * 256-byte URL, 16 KiB of headers, the protocol's 8 MiB body (refused as soon
 * as Content-Length says so). Daemon-internal: includes http_parser.h. */
#ifndef DS_DAEMON_HTTP_H
#define DS_DAEMON_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "common/buf.h"

#define HTTP_MAX_URL 256
#define HTTP_MAX_HEADER_BYTES (16 * 1024)

struct http_rp {
  /* The request, valid after http_rp_feed returned HTTP_RP_REQUEST. */
  int method; /* HTTP_GET, HTTP_POST, ... */
  char url[HTTP_MAX_URL + 1];
  struct buf body;
  char node[64], sig[128], token[160], key[128]; /* "" when absent */
  char cookie[512];  /* the dashboard's (daemon/ui.c); "" when absent */
  char receipt[160]; /* Dansync-Receipt (enrol.c), "" when absent */
  bool keep_alive;
  /* Valid from HTTP_RP_HEAD on: the declared body, if any. */
  bool has_length, chunked;
  uint64_t length;
  /* Private. */
  http_parser parser;
  size_t url_len, header_bytes;
  struct buf field, value;
  bool header_value, too_large, started, complete, head;
  void (*on_begin)(void *arg);
  void *arg;
};

enum http_rp_status {
  HTTP_RP_MORE,    /* all bytes consumed, no whole request yet */
  HTTP_RP_HEAD,    /* the head is in (method, url, headers, length): the
                      caller decides before the body is read, then calls
                      http_rp_resume and feeds the rest */
  HTTP_RP_REQUEST, /* a whole request; http_rp_resume before feeding more */
  HTTP_RP_ERROR    /* answer *status and close the connection */
};

/* |on_begin| (may be NULL) is called when a request's first byte arrives. */
void http_rp_init(struct http_rp *rp, void (*on_begin)(void *arg), void *arg);
void http_rp_cleanup(struct http_rp *rp);
/* Parses from |data|. |*used| is how many bytes were taken; after
 * HTTP_RP_REQUEST the rest (a pipelined request) must be fed again after
 * http_rp_resume. On HTTP_RP_ERROR |*status| is 400, 413 or 431. */
enum http_rp_status http_rp_feed(struct http_rp *rp, const char *data,
                                 size_t len, size_t *used, int *status);
/* Gives back the header buffers a request grew (between requests). */
void http_rp_trim(struct http_rp *rp);
/* Ready for the next request on the same connection. */
void http_rp_resume(struct http_rp *rp);
/* True when the URL's path is |path| (a query string is ignored). */
bool http_rp_path_is(const struct http_rp *rp, const char *path);
#endif
