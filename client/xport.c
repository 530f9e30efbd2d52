/* SPDX-License-Identifier: MIT
 * xport.c -- HTTP/1.1 over a plain TCP socket, answers read with
 * http-parser. The client talks to one daemon with one request shape, so
 * this is all it needs; what it saves is process start-up: a general HTTP
 * library and its TLS, LDAP and SSH dependencies cost more to load than a
 * small sync takes (docs/DECISIONS.md). */
#define _POSIX_C_SOURCE 200809L
#include "client/xport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>

#include "common/alloc.h"

#define CONNECT_TIMEOUT_MS 10000

struct xport {
  char host[256], port[8];
  char *prefix; /* the URL's path, without a trailing '/' */
  int fd;       /* -1: not connected */
  long timeout_ms;
  xport_progress_cb cb;
  void *arg;
  struct buf head;
  /* The answer being read. */
  http_parser p;
  struct buf *resp;
  size_t up; /* body bytes sent, for the progress callback */
  bool done, nomem;
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* http://host[:port][/path], host may be [v6]. */
static int parse_url(struct xport *x, const char *url, char *errbuf) {
  const char *h, *end, *p;
  size_t n;

  if (strncmp(url, "http://", 7) != 0)
    return ds_fail(errbuf, DS_EINVAL,
                   "the server address %s is not an http:// address", url);
  h = url + 7;
  if (*h == '[') {
    end = strchr(h, ']');
    if (!end)
      return ds_fail(errbuf, DS_EINVAL, "the server address %s is malformed",
                     url);
    n = (size_t)(end - h - 1);
    h++;
    p = end + 1;
  } else {
    n = strcspn(h, ":/");
    p = h + n;
  }
  if (n == 0 || n >= sizeof(x->host))
    return ds_fail(errbuf, DS_EINVAL, "the server address %s has no host",
                   url);
  memcpy(x->host, h, n);
  x->host[n] = '\0';
  snprintf(x->port, sizeof(x->port), "80");
  if (*p == ':') {
    size_t k = strspn(p + 1, "0123456789");
    if (k == 0 || k > 5 || atoi(p + 1) < 1 || atoi(p + 1) > 65535 ||
        (p[1 + k] && p[1 + k] != '/'))
      return ds_fail(errbuf, DS_EINVAL, "the server address %s has a bad port",
                     url);
    memcpy(x->port, p + 1, k);
    x->port[k] = '\0';
    p += 1 + k;
  }
  n = strlen(p);
  while (n && p[n - 1] == '/')
    n--;
  x->prefix = ds_strndup(p, n);
  return x->prefix ? 0 : DS_ENOMEM;
}

int xport_open(struct xport **out, const char *base_url, long timeout_s,
               xport_progress_cb cb, void *arg, char *errbuf) {
  struct xport *x = ds_calloc(1, sizeof(*x));
  int rc;

  if (!x)
    return DS_ENOMEM;
  x->fd = -1;
  x->timeout_ms = timeout_s * 1000;
  x->cb = cb;
  x->arg = arg;
  buf_init(&x->head, 0);
  rc = parse_url(x, base_url, errbuf);
  if (rc) {
    xport_close(x);
    return rc;
  }
  *out = x;
  return 0;
}

static void disconnect(struct xport *x) {
  if (x->fd >= 0)
    close(x->fd);
  x->fd = -1;
}

void xport_close(struct xport *x) {
  if (!x)
    return;
  disconnect(x);
  buf_cleanup(&x->head);
  ds_free(x->prefix);
  ds_free(x);
}

/* Waits for |events| on the socket until |deadline|. */
static int wait_fd(struct xport *x, short events, int64_t deadline,
                   char *errbuf) {
  for (;;) {
    struct pollfd pfd = {x->fd, events, 0};
    int64_t left = deadline - now_ms();
    int n;
    if (left <= 0)
      return ds_fail(errbuf, DS_EIO, "the server did not answer within %ld s",
                     x->timeout_ms / 1000);
    n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
    if (n > 0)
      return 0;
    if (n < 0 && errno != EINTR)
      return ds_fail(errbuf, DS_EIO, "poll: %s", strerror(errno));
  }
}

static int connect_to(struct xport *x, char *errbuf) {
  struct addrinfo hints = {0}, *res = NULL, *ai;
  int64_t deadline = now_ms() + CONNECT_TIMEOUT_MS;
  int rc, err = 0, one = 1;

  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  rc = getaddrinfo(x->host, x->port, &hints, &res);
  if (rc)
    return ds_fail(errbuf, DS_EIO, "cannot resolve %s: %s", x->host,
                   gai_strerror(rc));
  for (ai = res; ai; ai = ai->ai_next) {
    socklen_t len = sizeof(err);
    x->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   ai->ai_protocol);
    if (x->fd < 0) {
      err = errno;
      continue;
    }
    if (connect(x->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      err = 0;
    } else if (errno != EINPROGRESS) {
      err = errno;
    } else if (wait_fd(x, POLLOUT, deadline, NULL)) {
      err = ETIMEDOUT;
    } else if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len)) {
      err = errno;
    }
    if (!err)
      break;
    disconnect(x);
  }
  freeaddrinfo(res);
  if (x->fd < 0)
    return ds_fail(errbuf, DS_EIO, "cannot connect to %s port %s: %s",
                   x->host, x->port, strerror(err ? err : ECONNREFUSED));
  setsockopt(x->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return 0;
}

/* Sends |n| bytes; |body| says whether they count for progress. */
static int send_bytes(struct xport *x, const char *p, size_t n, int flags,
                      bool body, int64_t deadline, char *errbuf) {
  while (n) {
    ssize_t k = send(x->fd, p, n, flags | MSG_NOSIGNAL);
    if (k > 0) {
      p += k;
      n -= (size_t)k;
      if (body) {
        x->up += (size_t)k;
        if (x->cb)
          x->cb(x->arg, x->up, 0);
      }
    } else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (wait_fd(x, POLLOUT, deadline, errbuf))
        return DS_EIO;
    } else {
      return ds_fail(errbuf, DS_EIO, "sending to %s failed: %s", x->host,
                     strerror(errno));
    }
  }
  return 0;
}

/* The head goes with MSG_MORE, so head and body leave in full packets. */
static int send_all(struct xport *x, const void *body, size_t len,
                    int64_t deadline, char *errbuf) {
  x->up = 0;
  if (send_bytes(x, (const char *)x->head.data, x->head.len,
                 len ? MSG_MORE : 0, false, deadline, errbuf))
    return DS_EIO;
  return send_bytes(x, body, len, 0, true, deadline, errbuf);
}

static int on_body(http_parser *p, const char *at, size_t n) {
  struct xport *x = p->data;
  if (buf_append(x->resp, at, n)) {
    x->nomem = true;
    return 1;
  }
  if (x->cb)
    x->cb(x->arg, x->up, x->resp->len);
  return 0;
}

static int on_complete(http_parser *p) {
  struct xport *x = p->data;
  x->done = true;
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings settings = {
    .on_body = on_body,
    .on_message_complete = on_complete,
};

/* Reads one answer. Sets |*got| when any byte came. */
static int read_answer(struct xport *x, int64_t deadline, bool *got,
                       char *errbuf) {
  char chunk[65536];

  http_parser_init(&x->p, HTTP_RESPONSE);
  x->p.data = x;
  x->done = x->nomem = false;
  *got = false;
  while (!x->done) {
    ssize_t n = recv(x->fd, chunk, sizeof(chunk), 0);
    size_t used;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (wait_fd(x, POLLIN, deadline, errbuf))
        return DS_EIO;
      continue;
    }
    if (n < 0)
      return ds_fail(errbuf, DS_EIO, "reading from %s failed: %s", x->host,
                     strerror(errno));
    if (n > 0)
      *got = true;
    used = http_parser_execute(&x->p, &settings, chunk, (size_t)n);
    if (x->nomem)
      return DS_ENOMEM;
    if (!x->done && (HTTP_PARSER_ERRNO(&x->p) != HPE_OK || used != (size_t)n))
      return ds_fail(errbuf, DS_EIO, "the server's answer is not valid HTTP");
    if (n == 0 && !x->done)
      return ds_fail(errbuf, DS_EIO,
                     "the server closed the connection before answering");
  }
  return 0;
}

int xport_post(struct xport *x, const char *path, const void *body,
               size_t len, const char *const *headers, long *status,
               struct buf *resp, char *errbuf) {
  int64_t deadline = now_ms() + x->timeout_ms;
  int rc;

  buf_reset(&x->head);
  rc = buf_printf(&x->head,
                  "POST %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\nContent-Length: "
                  "%zu\r\n",
                  x->prefix, path, strchr(x->host, ':') ? "[" : "", x->host,
                  strchr(x->host, ':') ? "]" : "", x->port, len);
  for (int i = 0; headers[i] && !rc; i++) {
    const char *colon = strchr(headers[i], ':');
    if (colon && colon[1 + strspn(colon + 1, " ")] != '\0')
      rc = buf_printf(&x->head, "%s\r\n", headers[i]);
  }
  if (!rc)
    rc = buf_printf(&x->head, "\r\n");
  if (rc)
    return rc;
  x->resp = resp;
  /* A kept-alive connection the server has since closed fails before any
   * answer: that one is retried once on a new connection. */
  for (int attempt = 0;; attempt++) {
    bool reused = x->fd >= 0, got = false;
    buf_reset(resp);
    rc = reused ? 0 : connect_to(x, errbuf);
    if (!rc)
      rc = send_all(x, body, len, deadline, errbuf);
    if (!rc)
      rc = read_answer(x, deadline, &got, errbuf);
    if (!rc)
      break;
    disconnect(x);
    if (rc != DS_EIO || !reused || got || attempt > 0)
      return rc;
  }
  *status = x->p.status_code;
  if (!http_should_keep_alive(&x->p))
    disconnect(x);
  return 0;
}
