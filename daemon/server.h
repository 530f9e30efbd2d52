/* SPDX-License-Identifier: MIT
 * server.h -- dansyncd serve: HTTP/1.1 with keep-alive on a libuv loop
 * (DESIGN §6). POST /v1/sync, GET /v1/health, GET /metrics. Requests are
 * merged off the loop by the single writer connection, the ones waiting
 * together in one group commit, and answered once that is on disk. */
#ifndef DS_DAEMON_SERVER_H
#define DS_DAEMON_SERVER_H
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct store;

struct srv_config {
  const char *host; /* "127.0.0.1" */
  int port;         /* 0 picks a free port */
  uint64_t max_skew_ms;
  int max_conns;             /* beyond this, idle connections are evicted */
  int max_conns_per_addr;    /* from one IPv4 address or IPv6 /64 */
  uint64_t head_timeout_ms;  /* a request's head must arrive within this */
  uint64_t read_timeout_ms;  /* its body within this, at >= 1 KiB/s */
  uint64_t write_timeout_ms; /* an answer that stops moving this long */
  uint64_t idle_timeout_ms;  /* keep-alive connections idle past this close */
  uint64_t max_body_bytes;   /* all bodies being handled at once */
  const char *port_file;     /* if set, the bound port is written here */
  const char *tls_cert, *tls_key; /* PEM files: serve HTTPS */
  bool insecure_http;             /* plain HTTP on an address not loopback */
  /* The dashboard (daemon/ui.h): --ui-listen, --ui-port-file, --no-ui. */
  const char *ui_host;
  int ui_port;
  const char *ui_port_file;
  bool no_ui;
};

/* Serves on |st| until SIGTERM or SIGINT, then finishes and answers what it
 * accepted, and returns 0. DS_EIO (with |errbuf|) when it cannot listen. */
DS_NODISCARD int srv_run(struct store *st, const struct srv_config *cfg,
                         char *errbuf);
#endif
