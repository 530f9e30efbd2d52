/* SPDX-License-Identifier: MIT
 * it_tls.c -- the real daemon serving HTTPS with a certificate made by
 * `dansyncd tls init`, against libcurl clients (pinned, as devices are) and
 * raw sockets: a sync over TLS, a wrong pin, plain HTTP to the TLS port,
 * TLS 1.1, a stalled handshake, garbage and a truncated record after the
 * handshake, plain HTTP refused off loopback, a key others can read. After
 * each bad case the daemon still serves and the district is unchanged. */
#include "tests/cm.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/hlc.h"
#include "proto/codec.h"
#include "tests/helpers.h"
#include "tests/it_util.h"

#define LIVENESS_MS 30000

static struct it_daemon d;
static char db[512], dir[512], crt[600], key[600];
static struct it_device dev;

static int run(const char *cmd, char *out, size_t cap) {
  FILE *p = popen(cmd, "r");
  size_t n;
  if (!p)
    return -1;
  n = fread(out, 1, cap - 1, p);
  out[n] = '\0';
  return WEXITSTATUS(pclose(p));
}

/* GET /v1/health over HTTPS with |pin| (and at most TLS |maxver|, 0 for
 * any); the curl result, the body in |body|. */
static CURLcode health(const char *pin, long maxver, char *body, size_t cap) {
  char url[64];
  CURL *c = curl_easy_init();
  CURLcode rc;
  FILE *f = fmemopen(body, cap, "w");
  snprintf(url, sizeof(url), "https://127.0.0.1:%d/v1/health", d.port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, pin);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (maxver)
    curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1 | maxver);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
  rc = curl_easy_perform(c);
  fclose(f);
  curl_easy_cleanup(c);
  return rc;
}

static void assert_alive(void) {
  char body[64] = "";
  int status;
  assert_int_equal(waitpid(d.pid, &status, WNOHANG), 0);
  assert_int_equal(health(d.pin, 0, body, sizeof(body)), CURLE_OK);
  assert_string_equal(body, "ok\n");
}

static int setup_group(void **state) {
  struct buf body, resp;
  (void)state;
  if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT))
    return -1;
  snprintf(db, sizeof(db), "%s/tls.db", it_tmpdir());
  snprintf(dir, sizeof(dir), "%s/tls", it_tmpdir());
  it_tls_cert(&d, dir, crt, key, sizeof(crt));
  {
    const char *extra[] = {"--tls-cert",     crt,  "--tls-key", key,
                           "--head-timeout", "2s", NULL};
    it_daemon_start(&d, db, extra);
  }
  it_device_new(&dev, db, "hoa-an");
  buf_init(&body, 0);
  buf_init(&resp, 0);
  it_request(&body, &dev, NULL, 0, 0);
  if (it_post(&d, &dev, body.data, body.len, &resp) != 200)
    return -1;
  dev.send_token = false;
  buf_cleanup(&body);
  buf_cleanup(&resp);
  return 0;
}

static int teardown_group(void **state) {
  (void)state;
  assert_int_equal(it_daemon_stop(&d, false), 0);
  it_tmp_cleanup();
  curl_global_cleanup();
  return 0;
}

static void test_sync_over_tls(void **state) {
  struct buf body, resp;
  struct op ops[3];
  char before[65], after[65];
  (void)state;
  buf_init(&body, 0);
  buf_init(&resp, 0);
  it_digest(db, NULL, before);
  for (int i = 0; i < 3; i++) {
    uint8_t rid[ID_LEN];
    randombytes_buf(rid, sizeof(rid));
    th_petition(&ops[i], rid, dev.node,
                HLC_FROM_MS(clock_now_ms()) + (uint64_t)i, "hoa-an");
    ops[i].seq = ++dev.seq;
  }
  it_request(&body, &dev, ops, 3, 0);
  assert_int_equal(it_post(&d, &dev, body.data, body.len, &resp), 200);
  it_digest(db, NULL, after);
  assert_string_not_equal(before, after);
  buf_cleanup(&body);
  buf_cleanup(&resp);
}

static void test_wrong_pin(void **state) {
  char body[64] = "", before[65], after[65];
  struct it_daemon other = d;
  struct buf req, resp;
  (void)state;
  assert_int_equal(
      health("sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0, body,
             sizeof(body)),
      CURLE_SSL_PINNEDPUBKEYNOTMATCH);
  /* A device pinned to another key sends nothing: the district is as it
   * was. */
  buf_init(&req, 0);
  buf_init(&resp, 0);
  snprintf(other.pin, sizeof(other.pin),
           "sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=");
  it_digest(db, NULL, before);
  {
    struct op op;
    uint8_t rid[ID_LEN];
    randombytes_buf(rid, sizeof(rid));
    th_petition(&op, rid, dev.node, HLC_FROM_MS(clock_now_ms()), "hoa-an");
    op.seq = dev.seq + 1;
    it_request(&req, &dev, &op, 1, 0);
  }
  assert_int_equal(it_post(&other, &dev, req.data, req.len, &resp), 0);
  {
    struct it_conn c; /* the tests' own OpenSSL client checks pins too */
    assert_false(it_conn_open(&c, &other, NULL));
  }
  it_digest(db, NULL, after);
  assert_string_equal(before, after);
  buf_cleanup(&req);
  buf_cleanup(&resp);
  assert_alive();
}

static void test_plain_http_to_tls_port(void **state) {
  static const char get[] = "GET /v1/health HTTP/1.1\r\n\r\n";
  struct it_daemon plain = d; /* deliberately no TLS */
  struct buf resp;
  (void)state;
  plain.pin[0] = '\0';
  buf_init(&resp, 0);
  it_raw(&plain, get, sizeof(get) - 1, false, LIVENESS_MS, &resp);
  assert_null(strstr((char *)resp.data, "ok")); /* never served in clear */
  buf_cleanup(&resp);
  assert_alive();
}

static void test_old_tls_refused(void **state) {
  char body[64] = "";
  (void)state;
  assert_int_not_equal(
      health(d.pin, CURL_SSLVERSION_MAX_TLSv1_1, body, sizeof(body)), CURLE_OK);
  assert_string_equal(body, "");
  assert_alive();
}

/* Half a ClientHello, then nothing: cut at the head deadline (2 s here). */
static void test_stalled_handshake(void **state) {
  static const uint8_t half_hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
  int fd, ms;
  (void)state;
  fd = it_connect(&d, "127.0.0.2");
  assert_true(fd >= 0);
  assert_true(it_send_all(fd, half_hello, sizeof(half_hello)));
  ms = it_wait_closed(fd, LIVENESS_MS, NULL);
  print_message("a stalled handshake was cut after %d ms\n", ms);
  assert_true(ms >= 0);
  close(fd);
  assert_alive();
}

/* A real handshake from OpenSSL, then bytes that are not TLS records, or a
 * record cut short: the daemon drops that connection and nothing else. */
static void after_handshake(const void *junk, size_t len, bool half_close) {
  struct it_conn c;
  int ms;
  assert_true(it_conn_open(&c, &d, "127.0.0.3"));
  assert_true(it_send_all(c.fd, junk, len)); /* beside OpenSSL, raw */
  if (half_close)
    shutdown(c.fd, SHUT_WR);
  ms = it_wait_closed(c.fd, LIVENESS_MS, NULL);
  assert_true(ms >= 0);
  it_conn_close(&c);
  assert_alive();
}

static void test_garbage_after_handshake(void **state) {
  static const char junk[] = "GET /v1/health HTTP/1.1\r\n\r\n";
  (void)state;
  after_handshake(junk, sizeof(junk) - 1, false);
}

static void test_truncated_record(void **state) {
  /* Application data, 16 KiB announced, 5 bytes sent, then end of file. */
  static const uint8_t rec[] = {0x17, 0x03, 0x03, 0x40, 0x00, 1, 2, 3, 4, 5};
  (void)state;
  after_handshake(rec, sizeof(rec), true);
}

static void test_plain_http_refused_off_loopback(void **state) {
  char cmd[2048], out[1024];
  (void)state;
  snprintf(cmd, sizeof(cmd),
           "%s --db '%s/plain.db' init >/dev/null && %s --db '%s/plain.db' "
           "serve --listen 0.0.0.0:0 2>&1",
           DANSYNCD_BIN, it_tmpdir(), DANSYNCD_BIN, it_tmpdir());
  assert_int_equal(run(cmd, out, sizeof(out)), 1);
  assert_non_null(strstr(out, "--tls-cert"));
  assert_non_null(strstr(out, "--insecure-http"));
}

static void test_key_readable_by_others(void **state) {
  char cmd[2048], out[1024];
  (void)state;
  assert_int_equal(chmod(key, 0644), 0);
  snprintf(cmd, sizeof(cmd),
           "%s --db '%s/plain.db' serve --listen 127.0.0.1:0 --tls-cert '%s' "
           "--tls-key '%s' 2>&1",
           DANSYNCD_BIN, it_tmpdir(), crt, key);
  assert_int_equal(run(cmd, out, sizeof(out)), 1);
  assert_non_null(strstr(out, "chmod 600"));
  assert_int_equal(chmod(key, 0600), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sync_over_tls),
      cmocka_unit_test(test_wrong_pin),
      cmocka_unit_test(test_plain_http_to_tls_port),
      cmocka_unit_test(test_old_tls_refused),
      cmocka_unit_test(test_stalled_handshake),
      cmocka_unit_test(test_garbage_after_handshake),
      cmocka_unit_test(test_truncated_record),
      cmocka_unit_test(test_plain_http_refused_off_loopback),
      cmocka_unit_test(test_key_readable_by_others),
  };
  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests_name("it_tls", tests, setup_group,
                                     teardown_group);
}
