/* SPDX-License-Identifier: MIT
 * ui.h -- the district dashboard (DESIGN §13): a second listener on serve's
 * loop, speaking HTTP (or HTTPS with serve's certificate) through the same
 * sans-I/O parser as the sync endpoint. Sessions and the per-address login
 * slow-down live here, on the loop thread; pages are made off the loop
 * (daemon/ui_pages.c) on read-only connections, so a page never holds up
 * the writer. Daemon-internal: includes uv.h. */
#ifndef DS_DAEMON_UI_H
#define DS_DAEMON_UI_H
#include <stdbool.h>

#include <uv.h>

#include "common/err.h"

struct ui;
struct store;
struct tls_ctx;

struct ui_config {
  const char *host;      /* "127.0.0.1" */
  int port;              /* 8081; 0 picks a free port */
  const char *port_file; /* if set, the bound port is written here */
  bool insecure_http;    /* plain HTTP on an address not loopback */
};

/* Starts listening on |loop| for the dashboard of the store |st| (whose
 * file the dashboard opens again, read-only). |tls| (may be NULL: plain
 * HTTP) is borrowed for the dashboard's life. DS_EIO/DS_EINVAL with
 * |errbuf| when it cannot listen. */
DS_NODISCARD int ui_start(struct ui **out, uv_loop_t *loop,
                          const struct ui_config *cfg, struct store *st,
                          struct tls_ctx *tls, char *errbuf);
/* Stops listening and closes idle connections; pages being made are
 * answered, then their connections close. NULL is a no-op. */
void ui_stop(struct ui *ui);
/* server.c: its writer has nothing left to do (NULL is a no-op). The
 * search index is refreshed if it stays so (ui_index.c). */
void ui_writer_idle(struct ui *ui);
/* The writer took work: the search index waits (ui_index.c). */
void ui_writer_busy(struct ui *ui);
/* After the loop has ended: frees what ui_start made. NULL is a no-op. */
void ui_free(struct ui *ui);
#endif
