/* SPDX-License-Identifier: MIT
 * http.c -- request parsing on http-parser callbacks. */
#include "daemon/http.h"

#include <string.h>
#include <strings.h>

#include "proto/codec.h"

static struct http_rp *of(http_parser *p) {
  return p->data;
}

/* Keeps the value of a header dansync reads; a value too long to be valid
 * is treated as absent. */
static void keep_header(struct http_rp *rp) {
  static const struct {
    const char *name;
    size_t off, cap;
  } wanted[] = {
      {"dansync-node", offsetof(struct http_rp, node),
       sizeof(((struct http_rp *)0)->node)},
      {"dansync-signature", offsetof(struct http_rp, sig),
       sizeof(((struct http_rp *)0)->sig)},
      {"dansync-token", offsetof(struct http_rp, token),
       sizeof(((struct http_rp *)0)->token)},
      {"dansync-key", offsetof(struct http_rp, key),
       sizeof(((struct http_rp *)0)->key)},
      {"cookie", offsetof(struct http_rp, cookie),
       sizeof(((struct http_rp *)0)->cookie)},
      {"dansync-receipt", offsetof(struct http_rp, receipt),
       sizeof(((struct http_rp *)0)->receipt)},
  };
  if (buf_cstr(&rp->field) || buf_cstr(&rp->value))
    return;
  for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
    if (strcasecmp((char *)rp->field.data, wanted[i].name) == 0) {
      char *dst = (char *)rp + wanted[i].off;
      if (rp->value.len < wanted[i].cap)
        memcpy(dst, rp->value.data, rp->value.len + 1);
      else
        dst[0] = '\0';
    }
  }
  buf_reset(&rp->field);
  buf_reset(&rp->value);
}

static int on_message_begin(http_parser *p) {
  struct http_rp *rp = of(p);
  rp->started = true;
  rp->url_len = 0;
  rp->url[0] = '\0';
  rp->header_bytes = 0;
  rp->header_value = false;
  rp->too_large = false;
  rp->head = false;
  rp->has_length = rp->chunked = false;
  rp->length = 0;
  rp->node[0] = rp->sig[0] = rp->token[0] = rp->key[0] = '\0';
  rp->cookie[0] = '\0';
  rp->receipt[0] = '\0';
  buf_reset(&rp->field);
  buf_reset(&rp->value);
  buf_reset(&rp->body);
  if (rp->on_begin)
    rp->on_begin(rp->arg);
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t n) {
  struct http_rp *rp = of(p);
  if (rp->url_len + n > HTTP_MAX_URL)
    return 1;
  memcpy(rp->url + rp->url_len, at, n);
  rp->url_len += n;
  rp->url[rp->url_len] = '\0';
  return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n) {
  struct http_rp *rp = of(p);
  rp->header_bytes += n;
  if (rp->header_bytes > HTTP_MAX_HEADER_BYTES)
    return 1;
  if (rp->header_value) {
    keep_header(rp);
    rp->header_value = false;
  }
  return buf_append(&rp->field, at, n) ? 1 : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n) {
  struct http_rp *rp = of(p);
  rp->header_bytes += n;
  if (rp->header_bytes > HTTP_MAX_HEADER_BYTES)
    return 1;
  rp->header_value = true;
  return buf_append(&rp->value, at, n) ? 1 : 0;
}

static int on_headers_complete(http_parser *p) {
  struct http_rp *rp = of(p);
  if (rp->header_value)
    keep_header(rp);
  /* Refuse an oversized body before reading it. */
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > PROTO_MAX_BODY) {
    rp->too_large = true;
    return -1; /* an error: 1 would mean "skip the body" to http-parser */
  }
  rp->method = (int)p->method;
  rp->has_length = (p->flags & F_CONTENTLENGTH) != 0;
  rp->chunked = (p->flags & F_CHUNKED) != 0;
  rp->length = rp->has_length ? p->content_length : 0;
  rp->head = true;
  http_parser_pause(p, 1);
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t n) {
  struct http_rp *rp = of(p);
  if (buf_append(&rp->body, at, n)) {
    rp->too_large = true;
    return 1;
  }
  return 0;
}

static int on_message_complete(http_parser *p) {
  struct http_rp *rp = of(p);
  rp->method = (int)p->method;
  rp->keep_alive = http_should_keep_alive(p) != 0;
  rp->started = false;
  rp->complete = true;
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_rp_init(struct http_rp *rp, void (*on_begin)(void *arg), void *arg) {
  memset(rp, 0, sizeof(*rp));
  buf_init(&rp->field, 1024);
  buf_init(&rp->value, 8192);
  buf_init(&rp->body, PROTO_MAX_BODY);
  http_parser_init(&rp->parser, HTTP_REQUEST);
  rp->parser.data = rp;
  rp->on_begin = on_begin;
  rp->arg = arg;
}

void http_rp_cleanup(struct http_rp *rp) {
  buf_cleanup(&rp->field);
  buf_cleanup(&rp->value);
  buf_cleanup(&rp->body);
}

enum http_rp_status http_rp_feed(struct http_rp *rp, const char *data,
                                 size_t len, size_t *used, int *status) {
  enum http_errno e;

  *used = http_parser_execute(&rp->parser, &settings, data, len);
  e = HTTP_PARSER_ERRNO(&rp->parser);
  if (rp->complete) /* paused in on_message_complete */
    return HTTP_RP_REQUEST;
  if (rp->head && e == HPE_PAUSED) /* paused in on_headers_complete */
    return HTTP_RP_HEAD;
  if (e == HPE_OK && *used == len)
    return HTTP_RP_MORE;
  *status = rp->too_large                              ? 413
            : rp->header_bytes > HTTP_MAX_HEADER_BYTES ? 431
                                                       : 400;
  return HTTP_RP_ERROR;
}

void http_rp_trim(struct http_rp *rp) {
  if (rp->value.cap > 1024)
    buf_cleanup(&rp->value);
  if (rp->field.cap > 256)
    buf_cleanup(&rp->field);
}

void http_rp_resume(struct http_rp *rp) {
  rp->complete = rp->head = false;
  http_parser_pause(&rp->parser, 0);
}

bool http_rp_path_is(const struct http_rp *rp, const char *path) {
  size_t n = strlen(path);
  return strncmp(rp->url, path, n) == 0 &&
         (rp->url[n] == '\0' || rp->url[n] == '?');
}
