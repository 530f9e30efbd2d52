/* SPDX-License-Identifier: MIT
 * xport.c -- the device's HTTP(S) through libcurl (DESIGN §2, §11): one easy
 * handle for the whole sync, so one kept-alive connection; a pinned key or
 * a CA file, and then never the system CA store; proxies from the
 * environment (HTTPS_PROXY, NO_PROXY); deadlines for connect, the first
 * byte of the answer and stalls. CURLcode never leaves this file. */
#include "client/xport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "client/msg.h"
#include "common/alloc.h"

#define PIN_PREFIX "sha256//"
#define PIN_B64_LEN 44 /* base64 of a SHA-256 digest */
#define B64_CHARS \
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

enum stop { STOP_NONE, STOP_FIRST_BYTE, STOP_STALL, STOP_NOMEM };

struct xport {
  CURL *c;
  struct curl_slist *hdrs;
  char *base;   /* the URL without a trailing '/' */
  char *url;    /* base + path of the current POST */
  char *pin;    /* NULL unless pinning */
  char *cacert; /* NULL unless --cacert */
  long timeout_ms;
  xport_progress_cb cb;
  void *arg;
  /* The POST under way. */
  struct buf *resp;
  int64_t start_ms, last_ms;
  curl_off_t last_up, last_down;
  enum stop stop;
  char presented[PIN_B64_LEN + sizeof(PIN_PREFIX) + 8];
  char cerr[CURL_ERROR_SIZE];
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool pin_ok(const char *pin) {
  const char *p = pin;
  for (;;) {
    size_t n;
    if (strncmp(p, PIN_PREFIX, strlen(PIN_PREFIX)))
      return false;
    p += strlen(PIN_PREFIX);
    n = strspn(p, B64_CHARS);
    if (n != PIN_B64_LEN || p[PIN_B64_LEN - 1] != '=' ||
        strchr(p, '=') != p + PIN_B64_LEN - 1)
      return false;
    p += n;
    if (*p == '\0')
      return true;
    if (*p++ != ';')
      return false;
  }
}

/* 127.0.0.0/8, ::1 or localhost; a name such as 127.example.org is not. */
static bool loopback(const char *host) {
  struct in_addr a;
  if (inet_pton(AF_INET, host, &a) == 1)
    return (ntohl(a.s_addr) >> 24) == 127;
  return !strcmp(host, "localhost") || !strcmp(host, "[::1]") ||
         !strcmp(host, "::1");
}

int xport_check(const char *url, const char *pin, const char *cacert,
                bool insecure_http, char *errbuf) {
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL;
  bool https;
  int rc = 0;

  if (!u)
    return DS_ENOMEM;
  if (curl_url_set(u, CURLUPART_URL, url, 0) ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) || !*host) {
    rc = msg_fail(errbuf, DS_EINVAL, MSG_URL_BAD, url);
    goto done;
  }
  https = !strcmp(scheme, "https");
  if (!https && strcmp(scheme, "http")) {
    rc = msg_fail(errbuf, DS_EINVAL, MSG_URL_SCHEME, url);
  } else if (!https && !insecure_http && !loopback(host)) {
    rc = msg_fail(errbuf, DS_EINVAL, MSG_URL_PLAIN, url);
  } else if (pin && !pin_ok(pin)) {
    rc = msg_fail(errbuf, DS_EINVAL, MSG_PIN_FORM);
  } else if (pin && cacert) {
    rc = msg_fail(errbuf, DS_EINVAL, MSG_PIN_AND_CA);
  } else if ((pin || cacert) && !https) {
    rc = msg_fail(errbuf, DS_EINVAL, MSG_PIN_NEEDS_HTTPS);
  } else if (cacert && !*cacert) {
    rc = msg_fail(errbuf, DS_EINVAL, MSG_CACERT_EMPTY);
  }
done:
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return rc;
}

/* libcurl prints the presented key's hash as it checks a pin; it is only
 * visible through the debug callback (with CURLOPT_VERBOSE). */
static int on_debug(CURL *c, curl_infotype type, char *data, size_t n,
                    void *arg) {
  static const char tag[] = "public key hash: " PIN_PREFIX;
  struct xport *x = arg;
  const char *at;
  (void)c;
  if (type != CURLINFO_TEXT || n < sizeof(tag) - 1)
    return 0;
  at = NULL;
  for (size_t i = 0; !at && i + sizeof(tag) - 1 <= n; i++)
    if (!memcmp(data + i, tag, sizeof(tag) - 1))
      at = data + i;
  if (at) {
    const char *b64 = at + sizeof(tag) - 1;
    size_t k = 0, left = n - (size_t)(b64 - data);
    while (k < left && k < PIN_B64_LEN && strchr(B64_CHARS, b64[k]) &&
           b64[k] != '\0')
      k++;
    snprintf(x->presented, sizeof(x->presented), "%s%.*s", PIN_PREFIX, (int)k,
             b64);
  }
  return 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *arg) {
  struct xport *x = arg;
  if (buf_append(x->resp, p, size * n)) {
    x->stop = STOP_NOMEM;
    return 0;
  }
  return size * n;
}

/* The deadlines libcurl has no option for: the answer's first byte counted
 * from the request's start, and a stall in either direction. */
static int on_xfer(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                   curl_off_t ultotal, curl_off_t ulnow) {
  struct xport *x = arg;
  int64_t now = now_ms();
  (void)dltotal;
  (void)ultotal;
  if (dlnow != x->last_down || ulnow != x->last_up) {
    x->last_ms = now;
    x->last_up = ulnow;
    x->last_down = dlnow;
    if (x->cb)
      x->cb(x->arg, (size_t)ulnow, (size_t)dlnow);
  }
  if (dlnow == 0 && now - x->start_ms >= x->timeout_ms) {
    x->stop = STOP_FIRST_BYTE;
    return 1;
  }
  if (now - x->last_ms >= x->timeout_ms) {
    x->stop = STOP_STALL;
    return 1;
  }
  return 0;
}

static int setup(struct xport *x) {
  CURL *c = x->c;
  CURLcode e = CURLE_OK;

#define SET(opt, val) \
  if (e == CURLE_OK)  \
  e = curl_easy_setopt(c, opt, val)
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_ERRORBUFFER, x->cerr);
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_WRITEDATA, x);
  SET(CURLOPT_NOPROGRESS, 0L);
  SET(CURLOPT_XFERINFOFUNCTION, on_xfer);
  SET(CURLOPT_XFERINFODATA, x);
  SET(CURLOPT_CONNECTTIMEOUT_MS, x->timeout_ms);
  /* A backstop for the progress callback's stall deadline. */
  SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
  SET(CURLOPT_LOW_SPEED_TIME, (x->timeout_ms + 999) / 1000);
  SET(CURLOPT_TCP_NODELAY, 1L);
  /* DESIGN §11: TLS 1.2 or 1.3, ALPN http/1.1 (not h2, which libcurl
   * would offer by default). */
  SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  if (x->pin) {
    /* DESIGN §11 "Pins": the key is trusted, not a CA, as SSH pins a host
     * key; no CA store is loaded (it costs tens of ms per process). */
    SET(CURLOPT_PINNEDPUBLICKEY, x->pin);
    SET(CURLOPT_SSL_VERIFYPEER, 0L);
    SET(CURLOPT_SSL_VERIFYHOST, 0L);
    SET(CURLOPT_CAINFO, (char *)NULL);
    SET(CURLOPT_CAPATH, (char *)NULL);
    SET(CURLOPT_VERBOSE, 1L);
    SET(CURLOPT_DEBUGFUNCTION, on_debug);
    SET(CURLOPT_DEBUGDATA, x);
  } else if (x->cacert) {
    SET(CURLOPT_CAINFO, x->cacert);
    SET(CURLOPT_CAPATH, (char *)NULL);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
  }
#undef SET
  return e == CURLE_OK ? 0 : DS_EIO;
}

int xport_open(struct xport **out, const struct xport_cfg *cfg, char *errbuf) {
  struct xport *x;
  size_t n;
  int rc;

  if (!cfg || !cfg->url || cfg->timeout_s < 1)
    return DS_EINVAL;
  /* The store's own address was checked at init; loopback-or-not is not
   * this function's business, so plain http is let through here. */
  rc = xport_check(cfg->url, cfg->pin, cfg->cacert, true, errbuf);
  if (rc)
    return rc;
  /* Before libcurl does it with its own flags (OpenSSL initialises once):
   * no openssl.cnf (Debian's sets nothing for TLS, and reading it is a
   * few hundred thousand instructions at every sync) and no clean-up at
   * exit (the process ends; freeing OpenSSL's tables cost as much). TLS
   * 1.2 and later and the pin are set below, not by a config file. */
  if (!OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT,
                        NULL) ||
      curl_global_init(CURL_GLOBAL_DEFAULT))
    return msg_fail(errbuf, DS_EIO, MSG_CURL_START);
  x = ds_calloc(1, sizeof(*x));
  if (!x) {
    curl_global_cleanup();
    return DS_ENOMEM;
  }
  x->timeout_ms = cfg->timeout_s * 1000;
  x->cb = cfg->cb;
  x->arg = cfg->arg;
  n = strlen(cfg->url);
  while (n && cfg->url[n - 1] == '/')
    n--;
  x->base = ds_strndup(cfg->url, n);
  x->pin = cfg->pin ? ds_strdup(cfg->pin) : NULL;
  x->cacert = cfg->cacert ? ds_strdup(cfg->cacert) : NULL;
  x->c = curl_easy_init();
  rc = !x->base || (cfg->pin && !x->pin) || (cfg->cacert && !x->cacert)
           ? DS_ENOMEM
       : !x->c ? msg_fail(errbuf, DS_EIO, MSG_CURL_START)
               : setup(x);
  if (rc == DS_EIO && x->c)
    msg_fail(errbuf, rc, MSG_CURL_FEATURE);
  if (rc) {
    xport_close(x);
    return rc;
  }
  *out = x;
  return 0;
}

void xport_close(struct xport *x) {
  if (!x)
    return;
  if (x->c)
    curl_easy_cleanup(x->c);
  curl_slist_free_all(x->hdrs);
  ds_free(x->base);
  ds_free(x->url);
  ds_free(x->pin);
  ds_free(x->cacert);
  ds_free(x);
  curl_global_cleanup();
}

static int set_headers(struct xport *x, const char *const *headers) {
  struct curl_slist *l = NULL;
  for (int i = 0; headers[i]; i++) {
    struct curl_slist *t = curl_slist_append(l, headers[i]);
    if (!t) {
      curl_slist_free_all(l);
      return DS_ENOMEM;
    }
    l = t;
  }
  curl_slist_free_all(x->hdrs);
  x->hdrs = l;
  return curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, l) ? DS_EIO : 0;
}

/* libcurl's reason for a failed connection in the officer's words: its
 * own (English) text is kept for DANSYNC_LANG=en, and for failures no
 * officer can act on differently. */
static const char *net_words(CURLcode e, const char *why) {
  if (msg_english())
    return why;
  switch (e) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY: return msg(MSG_NET_RESOLVE);
  case CURLE_COULDNT_CONNECT: return msg(MSG_NET_CONNECT);
  case CURLE_SSL_CONNECT_ERROR: return msg(MSG_NET_TLS_BROKEN);
  case CURLE_GOT_NOTHING: return msg(MSG_NET_NOTHING);
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR: return msg(MSG_NET_BROKEN);
  default: return why;
  }
}

/* A failed transfer as one of xport_post's codes, with its sentence. */
static int failure(struct xport *x, CURLcode e, char *errbuf) {
  const char *why = x->cerr[0] ? x->cerr : curl_easy_strerror(e);
  long secs = x->timeout_ms / 1000;

  if (x->stop == STOP_NOMEM)
    return DS_ENOMEM;
  if (x->stop == STOP_FIRST_BYTE)
    return msg_fail(errbuf, DS_ETIMEDOUT, MSG_NO_ANSWER, secs);
  if (x->stop == STOP_STALL || e == CURLE_OPERATION_TIMEDOUT)
    return msg_fail(errbuf, DS_ETIMEDOUT, MSG_STALLED, secs, why);
  switch (e) {
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    if (x->presented[0])
      return msg_fail(errbuf, DS_EIDENTITY, MSG_PIN_PRESENTED, x->base,
                      x->presented, x->pin);
    return msg_fail(errbuf, DS_EIDENTITY, MSG_PIN_MISMATCH, x->base, x->pin);
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_INVALIDCERTSTATUS:
    return msg_fail(errbuf, DS_EIDENTITY, MSG_CERT_UNVERIFIED, x->base,
                    x->cacert ? x->cacert : msg(MSG_TRUST_SYSTEM), why);
  default: return ds_fail(errbuf, DS_EIO, "%s", net_words(e, why));
  }
}

int xport_post(struct xport *x, const char *path, const void *body, size_t len,
               const char *const *headers, long *status, struct buf *resp,
               char *errbuf) {
  size_t n = strlen(x->base) + strlen(path) + 1;
  CURLcode e;
  int rc;

  ds_free(x->url);
  x->url = ds_malloc(n);
  if (!x->url)
    return DS_ENOMEM;
  snprintf(x->url, n, "%s%s", x->base, path);
  rc = set_headers(x, headers);
  if (rc)
    return rc;
  if (curl_easy_setopt(x->c, CURLOPT_URL, x->url) ||
      curl_easy_setopt(x->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) ||
      curl_easy_setopt(x->c, CURLOPT_POSTFIELDS, body))
    return msg_fail(errbuf, DS_EIO, MSG_CURL_REFUSED);
  buf_reset(resp);
  x->resp = resp;
  x->start_ms = x->last_ms = now_ms();
  x->last_up = x->last_down = 0;
  x->stop = STOP_NONE;
  x->presented[0] = '\0';
  x->cerr[0] = '\0';
  e = curl_easy_perform(x->c);
  x->resp = NULL;
  if (e != CURLE_OK)
    return failure(x, e, errbuf);
  if (curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, status))
    return msg_fail(errbuf, DS_EIO, MSG_CURL_STATUS);
  return 0;
}

int xport_header(struct xport *x, const char *name, char *out, size_t cap) {
  struct curl_header *h = NULL;
  if (curl_easy_header(x->c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
      !h || strlen(h->value) >= cap)
    return DS_ENOENT;
  snprintf(out, cap, "%s", h->value);
  return 0;
}
