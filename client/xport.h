/* SPDX-License-Identifier: MIT
 * xport.h -- HTTP/1.1 POSTs to the district daemon, one connection kept for
 * the whole sync (keep-alive). No retry logic here: csync decides. */
#ifndef DS_CLIENT_XPORT_H
#define DS_CLIENT_XPORT_H
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

struct xport;

/* Called during a transfer with bytes sent and received so far. */
typedef void (*xport_progress_cb)(void *arg, size_t up, size_t down);

/* |base_url| is http://host[:port][/path]; |timeout_s| bounds each POST.
 * Returns 0, DS_EINVAL (|errbuf| says what is wrong with the URL),
 * DS_ENOMEM. Connects at the first POST. */
DS_NODISCARD int xport_open(struct xport **out, const char *base_url,
                            long timeout_s, xport_progress_cb cb, void *arg,
                            char *errbuf);
void xport_close(struct xport *x);

/* POSTs |body| to base_url + |path| with the NULL-terminated |headers|
 * ("Name: value"). On an HTTP answer (any status) returns 0 with |*status|
 * and the body in |resp|. DS_EIO when the server could not be reached or
 * the connection failed (|errbuf| says how): whether it stored anything is
 * unknown. */
DS_NODISCARD int xport_post(struct xport *x, const char *path,
                            const void *body, size_t len,
                            const char *const *headers, long *status,
                            struct buf *resp, char *errbuf);
#endif
