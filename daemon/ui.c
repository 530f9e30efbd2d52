/* SPDX-License-Identifier: MIT
 * ui.c -- the dashboard's listener: connections (plain or TLS), requests
 * through daemon/http.c, sessions, CSRF, the login slow-down; each request
 * is answered by ui_pages.c on the pool. */
#include "daemon/ui.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/repfig.h"
#include "common/store.h"
#include "daemon/guard.h"
#include "daemon/log.h"
#include "daemon/tls.h"
#include "daemon/ui_int.h"

#define UI_MAX_CONNS 128
#define UI_IO_TIMEOUT_MS 30000
#define UI_SWEEP_MS 1000

struct uconn {
  uv_tcp_t tcp;
  uv_write_t wreq;
  uv_work_t work;
  struct ui *ui;
  struct uconn *next;
  struct http_rp rp;
  struct peer peer;
  bool loopback, busy, writing, closing, keep_alive, login;
  uint64_t since_ms;
  struct buf pending, out, tout;
  struct tls_conn *tls;
  struct ui_req req;
  struct ui_resp resp;
  struct users_who who; /* a login's account */
  int login_rc;
  char password[USERS_PW_MAX + 1];
};

struct ui {
  uv_loop_t *loop;
  uv_tcp_t listener;
  uv_timer_t sweep, ready;
  struct ui_config cfg;
  struct tls_ctx *tls;
  int port, nconns;
  bool stopping;
  struct uconn *conns;
  struct ui_db db;
  sqlite3 *logindb;    /* users_login's, under hashlock */
  uv_mutex_t hashlock; /* one Argon2id hash at a time */
  struct ui_sessions ss;
  struct ui_index idx;
  char rbuf[64 * 1024];
};

#define UCONN_OF(ptr, member) \
  ((struct uconn *)(void *)((char *)(ptr)-offsetof(struct uconn, member)))

static void process(struct uconn *c);

/* ---- answers ---- */

static void on_close(uv_handle_t *h) {
  struct uconn *c = h->data, **pp;
  struct ui *ui = c->ui;
  for (pp = &ui->conns; *pp; pp = &(*pp)->next)
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  ui->nconns--;
  http_rp_cleanup(&c->rp);
  buf_cleanup(&c->pending);
  buf_cleanup(&c->out);
  buf_cleanup(&c->tout);
  buf_cleanup(&c->req.body);
  buf_cleanup(&c->resp.body);
  tls_conn_free(c->tls);
  sodium_memzero(c, sizeof(*c));
  ds_free(c);
}

static void uconn_close(struct uconn *c) {
  if (c->closing)
    return;
  c->closing = true;
  if (!c->busy)
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void on_write(uv_write_t *w, int status) {
  struct uconn *c = UCONN_OF(w, wreq);
  c->writing = false;
  c->since_ms = uv_now(c->ui->loop);
  if (status < 0 || !c->keep_alive || c->ui->stopping) {
    uconn_close(c);
    return;
  }
  buf_reset(&c->out);
  buf_reset(&c->tout);
  process(c);
}

static void send_resp(struct uconn *c) {
  struct ui_resp *r = &c->resp;
  uv_buf_t b;
  int rc;

  if (c->ui->stopping)
    c->keep_alive = false;
  buf_reset(&c->out);
  rc = buf_printf(
      &c->out,
      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
      "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
      "X-Frame-Options: DENY\r\nReferrer-Policy: same-origin\r\n"
      "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
      "frame-ancestors 'none'; form-action 'self'%s\r\n%s"
      "Connection: %s\r\n\r\n",
      r->status, http_status_str((enum http_status)r->status),
      r->type ? r->type : "text/plain", r->body.len, r->headers,
      r->inline_style ? "; style-src 'self' 'unsafe-inline'" : "",
      c->tls ? "Strict-Transport-Security: max-age=31536000\r\n" : "",
      c->keep_alive ? "keep-alive" : "close");
  if (!rc)
    rc = buf_append(&c->out, r->body.data, r->body.len);
  b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
  if (!rc && c->tls) {
    rc = tls_seal(c->tls, c->out.data, c->out.len, !c->keep_alive, &c->tout);
    b = uv_buf_init((char *)c->tout.data, (unsigned)c->tout.len);
  }
  c->writing = true;
  c->since_ms = uv_now(c->ui->loop);
  if (rc || uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write)) {
    c->writing = false;
    uconn_close(c);
  }
}

static void resp_reset(struct ui_resp *r) {
  r->status = 200;
  r->type = "text/html; charset=utf-8";
  r->headers[0] = '\0';
  r->inline_style = false;
  buf_reset(&r->body);
}

static void send_error(struct uconn *c, int status, const char *msg) {
  bool api = !strncmp(c->req.url, "/api/", 5);
  resp_reset(&c->resp);
  c->resp.status = status;
  if (api) {
    c->resp.type = "application/json";
    if (buf_printf(&c->resp.body, "{\"error\": \"%s\", \"message\": ",
                   status == 401   ? "unauthorized"
                   : status == 403 ? "forbidden"
                   : status == 429 ? "slow_down"
                                   : "bad_request") ||
        json_str(&c->resp.body, msg, strlen(msg)) ||
        buf_append(&c->resp.body, "}\n", 2))
      buf_reset(&c->resp.body);
  } else if (status == 401 || status == 429) {
    ui_pages_login(&c->resp, status, msg);
  } else {
    c->resp.type = "text/plain; charset=utf-8";
    if (buf_printf(&c->resp.body, "%s\n", msg))
      buf_reset(&c->resp.body);
  }
  send_resp(c);
}

/* ---- requests ---- */

static void cookie_header(struct uconn *c, const char *token, bool clear) {
  snprintf(c->resp.headers, sizeof(c->resp.headers),
           "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Strict%s%s\r\n"
           "Location: %s\r\n",
           c->tls ? "__Host-ds_session" : "ds_session", clear ? "" : token,
           c->tls ? "; Secure" : "", clear ? "; Max-Age=0" : "",
           clear ? "/login" : "/");
}

static void work_cb(uv_work_t *w) {
  struct uconn *c = UCONN_OF(w, work);
  struct ui *ui = c->ui;

  if (c->login) {
    uv_mutex_lock(&ui->hashlock);
    if (!ui->logindb && sqlite3_open_v2(ui->db.path, &ui->logindb,
                                        SQLITE_OPEN_READONLY, NULL)) {
      sqlite3_close(ui->logindb);
      ui->logindb = NULL;
    }
    if (ui->logindb)
      sqlite3_busy_timeout(ui->logindb, 5000);
    c->login_rc = ui->logindb ? users_login(ui->logindb, c->req.user,
                                            c->password, &c->who)
                              : DS_EIO;
    uv_mutex_unlock(&ui->hashlock);
    sodium_memzero(c->password, sizeof(c->password));
    return;
  }
  uv_mutex_lock(&ui->db.lock);
  ui_pages_handle(&ui->db, &c->req, &c->resp);
  uv_mutex_unlock(&ui->db.lock);
}

static void after_work(uv_work_t *w, int status) {
  struct uconn *c = UCONN_OF(w, work);
  struct ui *ui = c->ui;

  (void)status;
  c->busy = false;
  if (c->login) {
    c->login = false;
    if (c->login_rc == 0) {
      struct session *s = session_new(&ui->ss, c->who.name);
      throttle_ok(&ui->ss, &c->peer);
      LOG_INFO("ui", "login user=%s peer=%s", c->who.name, c->peer.text);
      resp_reset(&c->resp);
      c->resp.status = 303;
      cookie_header(c, s->token, false);
    } else {
      throttle_fail(&ui->ss, &c->peer);
      LOG_WARN("ui", "login refused peer=%s", c->peer.text);
      resp_reset(&c->resp);
      ui_pages_login(&c->resp, c->login_rc == DS_EPERM ? 401 : 503,
                     c->login_rc == DS_EPERM
                         ? "Sai tên đăng nhập hoặc mật khẩu."
                         : "Không đọc được kho dữ liệu; thử lại sau.");
    }
    sodium_memzero(&c->who, sizeof(c->who));
  }
  if (c->closing) {
    uv_close((uv_handle_t *)&c->tcp, on_close);
    return;
  }
  send_resp(c);
}

static void queue(struct uconn *c) {
  resp_reset(&c->resp);
  c->busy = true;
  if (uv_queue_work(c->ui->loop, &c->work, work_cb, after_work)) {
    c->busy = false;
    send_error(c, 503, "busy");
  }
}

/* The session cookie's value in |hdr|, or "". */
static void cookie_value(const char *hdr, bool tls,
                         char out[UI_TOKEN_HEX + 1]) {
  const char *name = tls ? "__Host-ds_session=" : "ds_session=";
  size_t nl = strlen(name);
  const char *p = hdr;
  out[0] = '\0';
  while (p && *p) {
    while (*p == ' ' || *p == ';')
      p++;
    if (!strncmp(p, name, nl)) {
      size_t n = strcspn(p + nl, "; ");
      if (n == UI_TOKEN_HEX) {
        memcpy(out, p + nl, n);
        out[n] = '\0';
      }
      return;
    }
    p = strchr(p, ';');
  }
}

/* A whole request is in c->req: checks its session and CSRF token here on
 * the loop; what needs the store goes to the pool. */
static void dispatch(struct uconn *c) {
  struct ui *ui = c->ui;
  struct ui_req *rq = &c->req;
  char token[UI_TOKEN_HEX + 1], csrf[UI_TOKEN_HEX + 1];
  struct session *s = NULL;
  const char *path = rq->url;
  bool post = rq->method == HTTP_POST, cookie_ok = c->tls || c->loopback;

  cookie_value(c->rp.cookie, c->tls, token);
  rq->tls = c->tls != NULL;
  rq->authed = false;
  rq->csrf_ok = false;
  rq->user[0] = rq->csrf[0] = '\0';
  if (token[0] && cookie_ok)
    s = session_find(&ui->ss, token);
  if (s) {
    rq->authed = true;
    snprintf(rq->user, sizeof(rq->user), "%s", s->user);
    memcpy(rq->csrf, s->csrf, sizeof(rq->csrf));
  }
  if (rq->method != HTTP_GET && !post) {
    send_error(c, 405, "GET or POST only");
    return;
  }
  if (!strncmp(path, "/assets/", 8) ||
      (!post && http_rp_path_is(&c->rp, "/login"))) {
    queue(c); /* no session needed */
    return;
  }
  if (post && http_rp_path_is(&c->rp, "/login")) {
    unsigned wait = throttle_wait(&ui->ss, &c->peer);
    char msg[160];
    if (!cookie_ok) {
      send_error(c, 403,
                 "Đăng nhập qua HTTP không mã hóa chỉ được phép trên chính "
                 "máy chủ; hãy dùng địa chỉ https://.");
      return;
    }
    if (wait) {
      snprintf(msg, sizeof(msg),
               "Đăng nhập sai nhiều lần từ địa chỉ này; hãy thử lại sau %u "
               "giây.",
               wait);
      resp_reset(&c->resp);
      ui_pages_login(&c->resp, 429, msg);
      snprintf(c->resp.headers, sizeof(c->resp.headers), "Retry-After: %u\r\n",
               wait);
      send_resp(c);
      return;
    }
    if (buf_cstr(&rq->body) ||
        !ui_form_get((char *)rq->body.data, "user", rq->user,
                     sizeof(rq->user)) ||
        !ui_form_get((char *)rq->body.data, "password", c->password,
                     sizeof(c->password))) {
      resp_reset(&c->resp);
      ui_pages_login(&c->resp, 400, "Hãy nhập tên đăng nhập và mật khẩu.");
      send_resp(c);
      return;
    }
    c->login = true;
    queue(c);
    return;
  }
  if (!s) {
    send_error(c, 401,
               token[0] && !cookie_ok
                   ? "Phiên đăng nhập chỉ dùng được qua https://."
                   : "Hãy đăng nhập.");
    return;
  }
  if (post) {
    if (buf_cstr(&rq->body) ||
        !ui_form_get((char *)rq->body.data, "csrf", csrf, sizeof(csrf)) ||
        strlen(csrf) != UI_TOKEN_HEX ||
        sodium_memcmp(csrf, s->csrf, UI_TOKEN_HEX)) {
      LOG_WARN("ui", "csrf refused user=%s peer=%s", s->user, c->peer.text);
      send_error(c, 403,
                 "Yêu cầu bị từ chối: thiếu hoặc sai mã chống giả mạo "
                 "(CSRF); hãy tải lại trang.");
      return;
    }
    rq->csrf_ok = true;
    if (http_rp_path_is(&c->rp, "/logout")) {
      LOG_INFO("ui", "logout user=%s", s->user);
      memset(s, 0, sizeof(*s));
      resp_reset(&c->resp);
      c->resp.status = 303;
      cookie_header(c, "", true);
      send_resp(c);
      return;
    }
  }
  queue(c);
}

/* Feeds what is pending to the parser, one request at a time. */
static void process(struct uconn *c) {
  while (!c->busy && !c->writing && !c->closing && c->pending.len) {
    size_t used = 0;
    int status = 400;
    enum http_rp_status st = http_rp_feed(&c->rp, (char *)c->pending.data,
                                          c->pending.len, &used, &status);
    memmove(c->pending.data, c->pending.data + used, c->pending.len - used);
    c->pending.len -= used;
    c->since_ms = uv_now(c->ui->loop);
    if (st == HTTP_RP_MORE)
      return;
    if (st == HTTP_RP_HEAD) {
      if (c->rp.chunked || c->rp.length > UI_MAX_BODY) {
        c->keep_alive = false;
        snprintf(c->req.url, sizeof(c->req.url), "%s", c->rp.url);
        send_error(c, c->rp.chunked ? 411 : 413, "Dữ liệu gửi lên quá lớn.");
        return;
      }
      http_rp_resume(&c->rp);
      continue;
    }
    if (st == HTTP_RP_ERROR) {
      c->keep_alive = false;
      c->req.url[0] = '\0';
      send_error(c, status, "Yêu cầu HTTP không hợp lệ.");
      return;
    }
    /* A whole request. */
    c->keep_alive = c->rp.keep_alive;
    c->req.method = c->rp.method;
    memcpy(c->req.url, c->rp.url, sizeof(c->req.url));
    buf_reset(&c->req.body);
    if (buf_append(&c->req.body, c->rp.body.data, c->rp.body.len)) {
      uconn_close(c);
      return;
    }
    dispatch(c);
    http_rp_resume(&c->rp);
    http_rp_trim(&c->rp);
  }
}

/* ---- connections ---- */

struct ctl_write {
  uv_write_t req;
  struct buf b;
};

static void on_ctl_write(uv_write_t *w, int status) {
  struct ctl_write *cw = (struct ctl_write *)(void *)w;
  (void)status;
  buf_cleanup(&cw->b);
  ds_free(cw);
}

/* Sends what TLS queued (handshake messages) while no answer is going. */
static void tls_flush(struct uconn *c) {
  struct ctl_write *cw = ds_calloc(1, sizeof(*cw));
  uv_buf_t ub;
  if (!cw) {
    uconn_close(c);
    return;
  }
  buf_init(&cw->b, 0);
  if (tls_take(c->tls, &cw->b) || !cw->b.len) {
    buf_cleanup(&cw->b);
    ds_free(cw);
    return;
  }
  ub = uv_buf_init((char *)cw->b.data, (unsigned)cw->b.len);
  if (uv_write(&cw->req, (uv_stream_t *)&c->tcp, &ub, 1, on_ctl_write)) {
    buf_cleanup(&cw->b);
    ds_free(cw);
    uconn_close(c);
  }
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  struct uconn *c = h->data;
  (void)hint;
  b->base = c->ui->rbuf;
  b->len = sizeof(c->ui->rbuf);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
  struct uconn *c = s->data;
  if (nread < 0) {
    uconn_close(c);
    return;
  }
  if (nread == 0 || c->closing)
    return;
  c->since_ms = uv_now(c->ui->loop);
  if (c->tls) {
    enum tls_status st = tls_feed(c->tls, b->base, (size_t)nread, &c->pending);
    tls_flush(c);
    if (st != TLS_OK) {
      uconn_close(c);
      return;
    }
  } else if (buf_append(&c->pending, b->base, (size_t)nread)) {
    uconn_close(c);
    return;
  }
  process(c);
}

static bool sockaddr_loopback(const struct sockaddr_storage *sa) {
  if (sa->ss_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)(const void *)sa)
                      ->sin_addr.s_addr) >>
            24) == 127;
  if (sa->ss_family == AF_INET6) {
    const uint8_t *a =
        ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    static const uint8_t one[16] = {[15] = 1};
    static const uint8_t v4[12] = {[10] = 0xff, [11] = 0xff};
    return !memcmp(a, one, 16) || (!memcmp(a, v4, 12) && a[12] == 127);
  }
  return false;
}

static void on_connection(uv_stream_t *server, int status) {
  struct ui *ui = server->data;
  struct sockaddr_storage sa;
  int len = sizeof(sa);
  struct uconn *c;

  if (status < 0 || ui->stopping)
    return;
  c = ds_calloc(1, sizeof(*c));
  if (!c)
    return;
  c->ui = ui;
  uv_tcp_init(ui->loop, &c->tcp);
  c->tcp.data = c;
  c->next = ui->conns;
  ui->conns = c;
  ui->nconns++;
  http_rp_init(&c->rp, NULL, NULL);
  buf_init(&c->pending, UI_MAX_BODY + HTTP_MAX_HEADER_BYTES + 4096);
  buf_init(&c->out, 0);
  buf_init(&c->tout, 0);
  buf_init(&c->req.body, UI_MAX_BODY + 1);
  buf_init(&c->resp.body, 0);
  c->since_ms = uv_now(ui->loop);
  if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
    uconn_close(c);
    return;
  }
  memset(&sa, 0, sizeof(sa));
  uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len);
  peer_set(&c->peer, (struct sockaddr *)&sa);
  c->loopback = sockaddr_loopback(&sa);
  if (ui->nconns > UI_MAX_CONNS ||
      (ui->tls && tls_conn_new(&c->tls, ui->tls)) ||
      uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb))
    uconn_close(c);
}

/* Drops connections that stopped moving: a head or body trickling in, an
 * idle keep-alive, an answer not read. A page being made is not cut. */
static void on_sweep(uv_timer_t *t) {
  struct ui *ui = t->data;
  uint64_t now = uv_now(ui->loop);
  for (struct uconn *c = ui->conns; c; c = c->next)
    if (!c->busy && !c->closing && now - c->since_ms > UI_IO_TIMEOUT_MS)
      uconn_close(c);
}

static void on_ready(uv_timer_t *t) {
  struct ui *ui = t->data;
  char tmp[4096], num[32];
  int fd, n;

  uv_close((uv_handle_t *)&ui->ready, NULL);
  if (!ui->cfg.port_file)
    return;
  snprintf(tmp, sizeof(tmp), "%s.tmp", ui->cfg.port_file);
  unlink(tmp);
  n = snprintf(num, sizeof(num), "%d\n", ui->port);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, num, (size_t)n) != n || close(fd) ||
      rename(tmp, ui->cfg.port_file))
    LOG_ERROR("ui", "cannot write the dashboard's port file %s",
              ui->cfg.port_file);
}

static bool host_loopback(const char *host) {
  return !strncmp(host, "127.", 4) || !strcmp(host, "::1") ||
         !strcmp(host, "localhost");
}

int ui_start(struct ui **out, uv_loop_t *loop, const struct ui_config *cfg,
             struct store *st, struct tls_ctx *tls, char *errbuf) {
  const char *path = sqlite3_db_filename(store_sqlite(st), "main");
  struct sockaddr_storage addr, bound;
  int len = sizeof(bound), rc;
  struct ui *ui;

  if (!tls && !cfg->insecure_http && !host_loopback(cfg->host))
    return ds_fail(errbuf, DS_EINVAL,
                   "refusing to serve the dashboard in clear on %s: give "
                   "--tls-cert and --tls-key, or --no-ui",
                   cfg->host);
  if (!path || !*path)
    return ds_fail(errbuf, DS_EINVAL, "the dashboard needs a store file");
  memset(&addr, 0, sizeof(addr));
  if (uv_ip4_addr(cfg->host, cfg->port, (struct sockaddr_in *)&addr) &&
      uv_ip6_addr(cfg->host, cfg->port, (struct sockaddr_in6 *)&addr))
    return ds_fail(errbuf, DS_EINVAL,
                   "--ui-listen: '%s' is not an IP "
                   "address",
                   cfg->host);
  ui = ds_calloc(1, sizeof(*ui));
  if (!ui)
    return DS_ENOMEM;
  ui->loop = loop;
  ui->cfg = *cfg;
  ui->ss.idle_ms = UI_IDLE_MS;
  if (getenv("DANSYNCD_UI_IDLE_MS") &&
      strtoull(getenv("DANSYNCD_UI_IDLE_MS"), NULL, 10) > 0)
    ui->ss.idle_ms = strtoull(getenv("DANSYNCD_UI_IDLE_MS"), NULL, 10);
  ui->tls = tls;
  snprintf(ui->db.path, sizeof(ui->db.path), "%s", path);
  uv_mutex_init(&ui->db.lock);
  uv_mutex_init(&ui->db.rwlock);
  uv_mutex_init(&ui->hashlock);
  uv_tcp_init(loop, &ui->listener);
  ui->listener.data = ui;
  rc = uv_tcp_bind(&ui->listener, (struct sockaddr *)&addr, 0);
  if (!rc)
    rc = uv_listen((uv_stream_t *)&ui->listener, 128, on_connection);
  if (rc) {
    ds_fail(errbuf, DS_EIO, "cannot listen for the dashboard on %s:%d: %s",
            cfg->host, cfg->port, uv_strerror(rc));
    uv_close((uv_handle_t *)&ui->listener, NULL);
    ui->stopping = true;
    *out = ui; /* freed by ui_free once the loop has closed the handle */
    return DS_EIO;
  }
  uv_tcp_getsockname(&ui->listener, (struct sockaddr *)&bound, &len);
  ui->port = ntohs(bound.ss_family == AF_INET6
                       ? ((struct sockaddr_in6 *)&bound)->sin6_port
                       : ((struct sockaddr_in *)&bound)->sin_port);
  uv_timer_init(loop, &ui->sweep);
  ui->sweep.data = ui;
  uv_timer_start(&ui->sweep, on_sweep, UI_SWEEP_MS, UI_SWEEP_MS);
  uv_timer_init(loop, &ui->ready);
  ui->ready.data = ui;
  uv_timer_start(&ui->ready, on_ready, 0, 0);
  ui_index_init(&ui->idx, loop, &ui->db);
  LOG_INFO("ui", "dashboard on %s:%d %s", cfg->host, ui->port,
           tls ? "https" : "http");
  *out = ui;
  return 0;
}

void ui_stop(struct ui *ui) {
  if (!ui || ui->stopping)
    return;
  ui->stopping = true;
  uv_close((uv_handle_t *)&ui->listener, NULL);
  uv_close((uv_handle_t *)&ui->sweep, NULL);
  ui_index_stop(&ui->idx);
  for (struct uconn *c = ui->conns; c; c = c->next)
    if (!c->busy && !c->writing)
      uconn_close(c);
}

void ui_writer_idle(struct ui *ui) {
  if (ui && !ui->stopping)
    ui_index_kick(&ui->idx);
}

void ui_writer_busy(struct ui *ui) {
  if (ui && !ui->stopping)
    ui_index_busy(&ui->idx);
}

void ui_free(struct ui *ui) {
  if (!ui)
    return;
  store_close(ui->db.ro);
  repfig_facts_free(ui->db.facts);
  sqlite3_close(ui->logindb);
  store_close(ui->db.rw);
  uv_mutex_destroy(&ui->db.lock);
  uv_mutex_destroy(&ui->db.rwlock);
  uv_mutex_destroy(&ui->hashlock);
  sodium_memzero(&ui->ss, sizeof(ui->ss));
  ds_free(ui);
}
