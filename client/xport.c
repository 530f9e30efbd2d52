/* SPDX-License-Identifier: MIT
 * xport.c -- libcurl transport. */
#include "client/xport.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "common/alloc.h"

struct xport {
  CURL *curl;
  char *base;
  xport_progress_cb cb;
  void *arg;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata) {
  struct buf *b = userdata;
  return buf_append(b, p, size * n) ? 0 : size * n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
  struct xport *x = arg;
  (void)dltotal;
  (void)ultotal;
  if (x->cb)
    x->cb(x->arg, (size_t)ulnow, (size_t)dlnow);
  return 0;
}

int xport_open(struct xport **out, const char *base_url, long timeout_s,
               xport_progress_cb cb, void *arg) {
  struct xport *x;
  size_t n = strlen(base_url);

  if (curl_global_init(CURL_GLOBAL_DEFAULT))
    return DS_EIO;
  x = ds_calloc(1, sizeof(*x));
  if (!x)
    return DS_ENOMEM;
  while (n && base_url[n - 1] == '/')
    n--;
  x->base = ds_strndup(base_url, n);
  x->curl = curl_easy_init();
  if (!x->base || !x->curl) {
    xport_close(x);
    return DS_ENOMEM;
  }
  x->cb = cb;
  x->arg = arg;
  curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(x->curl, CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(x->curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(x->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(x->curl, CURLOPT_XFERINFODATA, x);
  curl_easy_setopt(x->curl, CURLOPT_NOPROGRESS, cb ? 0L : 1L);
  /* Ignore proxies from the environment: the district server is direct. */
  curl_easy_setopt(x->curl, CURLOPT_NOPROXY, "*");
  *out = x;
  return 0;
}

void xport_close(struct xport *x) {
  if (!x)
    return;
  if (x->curl)
    curl_easy_cleanup(x->curl);
  ds_free(x->base);
  ds_free(x);
  curl_global_cleanup();
}

int xport_post(struct xport *x, const char *path, const void *body,
               size_t len, const char *const *headers, long *status,
               struct buf *resp, char *errbuf) {
  struct curl_slist *hl = NULL, *t;
  char url[2048];
  CURLcode cc;

  snprintf(url, sizeof(url), "%s%s", x->base, path);
  for (int i = 0; headers[i]; i++) {
    t = curl_slist_append(hl, headers[i]);
    if (!t) {
      curl_slist_free_all(hl);
      return DS_ENOMEM;
    }
    hl = t;
  }
  buf_reset(resp);
  curl_easy_setopt(x->curl, CURLOPT_URL, url);
  curl_easy_setopt(x->curl, CURLOPT_POST, 1L);
  curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, resp);
  cc = curl_easy_perform(x->curl);
  curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(hl);
  if (cc != CURLE_OK)
    return ds_fail(errbuf, DS_EIO, "%s", curl_easy_strerror(cc));
  curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, status);
  return 0;
}
