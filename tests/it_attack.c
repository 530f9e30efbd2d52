/* SPDX-License-Identifier: MIT
 * it_attack.c -- the real daemon against what a 3G link or a stranger does
 * to it: peers that vanish at any byte, connections held idle or
 * half-sent, slowloris heads and bodies, answers never read, unenrolled
 * senders with large bodies, a second serve on the same store. Attack
 * traffic comes from 127.0.0.2 and up, the valid devices from 127.0.0.1
 * (all of 127/8 is loopback), so per-address limits act as in the field.
 * Time bounds are liveness bounds (30 s); the measured times are printed. */
#include "tests/cm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "proto/codec.h"
#include "tests/helpers.h"
#include "tests/it_util.h"

#define LIVENESS_MS 30000
#define BIG_BODY (7u * 1024u * 1024u + 900u * 1024u) /* 7.9 MiB */

static struct it_daemon d;
static char db[512];
static struct it_device pusher, puller, fresh, slow;
static struct buf pull_req; /* the puller's signed request, as bytes */

/* A whole signed HTTP request of |dev| carrying |body|. */
static void http_request(struct buf *out, const struct it_device *dev,
                         const struct buf *body) {
  char node[ID_HEX_LEN + 1], sig[100];
  uint8_t s[64];
  crypto_sign_detached(s, NULL, body->data, body->len, dev->sk);
  sodium_bin2base64(sig, sizeof(sig), s, sizeof(s),
                    sodium_base64_VARIANT_ORIGINAL);
  hex_encode(node, dev->node, ID_LEN);
  buf_reset(out);
  assert_int_equal(buf_printf(out,
                              "POST /v1/sync HTTP/1.1\r\nHost: x\r\n"
                              "Dansync-Node: %s\r\nDansync-Signature: %s\r\n"
                              "Content-Type: application/msgpack\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              node, sig, body->len),
                   0);
  assert_int_equal(buf_append(out, body->data, body->len), 0);
}

/* A head claiming |node| (random when NULL) for a body of |len| bytes,
 * with a signature that cannot verify. */
static void claim_head(struct buf *out, const uint8_t *node, size_t len) {
  uint8_t id[ID_LEN];
  char hex[ID_HEX_LEN + 1], sig[89];
  if (!node)
    randombytes_buf(id, sizeof(id));
  hex_encode(hex, node ? node : id, ID_LEN);
  memset(sig, 'A', 86);
  memcpy(sig + 86, "==", 3);
  buf_reset(out);
  assert_int_equal(buf_printf(out,
                              "POST /v1/sync HTTP/1.1\r\nHost: x\r\n"
                              "Dansync-Node: %s\r\nDansync-Signature: %s\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              hex, sig, len),
                   0);
}

static void enrol(struct it_device *dev) {
  struct buf body, resp;
  buf_init(&body, 0);
  buf_init(&resp, 0);
  it_device_new(dev, db, "hoa-an");
  it_request(&body, dev, NULL, 0, 0);
  assert_int_equal(it_post(&d, dev, body.data, body.len, &resp), 200);
  buf_cleanup(&body);
  buf_cleanup(&resp);
}

static void assert_alive(void) {
  static const char health[] =
      "GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n";
  struct buf resp;
  int status;
  assert_int_equal(waitpid(d.pid, &status, WNOHANG), 0);
  buf_init(&resp, 0);
  it_raw(&d, health, sizeof(health) - 1, false, LIVENESS_MS, &resp);
  assert_non_null(strstr((char *)resp.data, "\r\n\r\nok"));
  buf_cleanup(&resp);
}

/* Closes with a reset (SO_LINGER 0) instead of a FIN. */
static void close_rst(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

static void read_some(int fd, size_t want) {
  char chunk[4096];
  size_t got = 0;
  while (got < want) {
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n;
    if (poll(&p, 1, LIVENESS_MS) <= 0)
      break;
    n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0)
      break;
    got += (size_t)n;
  }
}

static int setup_group(void **state) {
  struct buf body;
  struct op *ops = calloc(1200, sizeof(*ops));
  (void)state;
  if (!ops)
    return -1;
  if (sodium_init() < 0)
    return -1;
  snprintf(db, sizeof(db), "%s/attack.db", it_tmpdir());
  snprintf(d.log, sizeof(d.log), "%s/daemon.log", it_tmpdir());
  {
    const char *extra[] = {"--write-timeout", "3s", NULL};
    it_daemon_start(&d, db, extra);
  }
  enrol(&pusher);
  enrol(&puller);
  enrol(&fresh);
  enrol(&slow);
  /* More than a page for the puller to pull. */
  for (int i = 0; i < 1200; i++) {
    uint8_t rid[ID_LEN];
    randombytes_buf(rid, sizeof(rid));
    th_petition(&ops[i], rid, pusher.node,
                HLC_FROM_MS(clock_now_ms()) + (uint64_t)i, "hoa-an");
    ops[i].seq = ++pusher.seq;
  }
  buf_init(&body, 0);
  it_request(&body, &pusher, ops, 1200, 0);
  {
    struct buf resp;
    buf_init(&resp, 0);
    if (it_post(&d, &pusher, body.data, body.len, &resp) != 200)
      return -1;
    buf_cleanup(&resp);
  }
  free(ops);
  it_request(&body, &puller, NULL, 0, 0);
  buf_init(&pull_req, 0);
  http_request(&pull_req, &puller, &body);
  buf_cleanup(&body);
  return 0;
}

static int teardown_group(void **state) {
  (void)state;
  assert_int_equal(it_daemon_stop(&d, false), 0);
  buf_cleanup(&pull_req);
  it_tmp_cleanup();
  return 0;
}

/* Pipelined requests, and the peer closes after the first bytes of the
 * first answer: the daemon writes the next answers into a closed socket. */
static void test_pipelined_then_close(void **state) {
  static const char metrics[] = "GET /metrics HTTP/1.1\r\n\r\n";
  struct buf many;
  (void)state;
  buf_init(&many, 0);
  for (int i = 0; i < 20; i++)
    assert_int_equal(buf_append(&many, metrics, sizeof(metrics) - 1), 0);
  assert_int_equal(buf_append(&many, pull_req.data, pull_req.len), 0);
  assert_int_equal(buf_append(&many, pull_req.data, pull_req.len), 0);
  for (int i = 0; i < 100; i++) {
    int fd = it_connect(&d, "127.0.0.2");
    assert_true(fd >= 0);
    assert_true(it_send_all(fd, many.data, many.len));
    read_some(fd, 512);
    if (i % 2)
      close_rst(fd);
    else
      close(fd);
    {
      int status;
      assert_int_equal(waitpid(d.pid, &status, WNOHANG), 0);
    }
  }
  assert_alive();
  buf_cleanup(&many);
  /* Whatever the timing, a write into a reset socket cannot kill it. */
  {
    char path[64], line[256];
    unsigned long long ign = 0;
    FILE *f;
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)d.pid);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
      if (!strncmp(line, "SigIgn:", 7))
        ign = strtoull(line + 7, NULL, 16);
    fclose(f);
    assert_true(ign & (1ull << (SIGPIPE - 1)));
  }
}

/* A pull of a full page; the peer half-closes after sending, reads a
 * little of the answer and goes. */
static void test_half_close_during_pull(void **state) {
  (void)state;
  for (int i = 0; i < 100; i++) {
    int fd = it_connect(&d, NULL);
    assert_true(fd >= 0);
    assert_true(it_send_all(fd, pull_req.data, pull_req.len));
    shutdown(fd, SHUT_WR);
    read_some(fd, 8192);
    close(fd);
  }
  assert_alive();
}

/* The same, reset in the middle of the answer. */
static void test_reset_mid_answer(void **state) {
  (void)state;
  for (int i = 0; i < 100; i++) {
    int fd = it_connect(&d, NULL);
    assert_true(fd >= 0);
    assert_true(it_send_all(fd, pull_req.data, pull_req.len));
    read_some(fd, 8192);
    close_rst(fd);
  }
  assert_alive();
}

/* From eight addresses, so the whole table (256) fills: 300 idle
 * connections, 100 half-sent requests, 40 refused with a body still
 * coming (draining), 10 pipelining answers they never read. A device on
 * another address syncs, and /v1/health answers. */
static void test_idle_and_half_sent_flood(void **state) {
  static const char half_head[] = "POST /v1/sync HTTP/1.1\r\nHost: x\r\nCont";
  static const char refused[] =
      "POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab";
  static const char metrics[] = "GET /metrics HTTP/1.1\r\n\r\n";
  int fds[450], n = 0;
  struct buf head, body, resp, many;
  uint64_t t0;
  (void)state;
  buf_init(&head, 0);
  buf_init(&body, 0);
  buf_init(&resp, 0);
  buf_init(&many, 0);
  for (int i = 0; i < 2000; i++)
    assert_int_equal(buf_append(&many, metrics, sizeof(metrics) - 1), 0);
  for (int i = 0; i < 450; i++) {
    char from[16];
    int fd;
    snprintf(from, sizeof(from), "127.0.0.%d", 2 + i % 8);
    fd = fds[n++] = it_connect(&d, from);
    if (fd < 0 || i < 300)
      continue; /* idle */
    if (i < 350) {
      (void)it_send_all(fd, half_head, sizeof(half_head) - 1);
    } else if (i < 400) {
      /* Half a body: from nobody, or claiming the pusher's node. */
      claim_head(&head, i % 4 ? NULL : pusher.node, 100000);
      (void)it_send_all(fd, head.data, head.len);
      (void)it_send_all(fd, "\x83", 1);
    } else if (i < 440) {
      (void)it_send_all(fd, refused, sizeof(refused) - 1);
    } else {
      int flags = fcntl(fd, F_GETFL);
      fcntl(fd, F_SETFL, flags | O_NONBLOCK);
      (void)send(fd, many.data, many.len, MSG_NOSIGNAL);
    }
  }
  t0 = clock_now_ms();
  it_request(&body, &fresh, NULL, 0, 0);
  assert_int_equal(it_post(&d, &fresh, body.data, body.len, &resp), 200);
  print_message("flood: a device synced in %llu ms\n",
                (unsigned long long)(clock_now_ms() - t0));
  assert_true(clock_now_ms() - t0 < LIVENESS_MS);
  t0 = clock_now_ms();
  assert_alive();
  print_message("flood: /v1/health answered in %llu ms\n",
                (unsigned long long)(clock_now_ms() - t0));
  print_message("flood: evicted %ld, shed %ld\n",
                it_metric(&d, "dansync_connections_evicted_total"),
                it_metric(&d, "dansync_connections_shed_total"));
  assert_true(it_metric(&d, "dansync_connections_evicted_total") > 0);
  for (int i = 0; i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  /* The daemon sees them go (draining ones at their deadline). */
  t0 = clock_now_ms();
  while (it_metric(&d, "dansync_connections") > 1 &&
         clock_now_ms() - t0 < LIVENESS_MS) {
    struct pollfd p = {-1, 0, 0};
    (void)poll(&p, 1, 100);
  }
  assert_true(it_metric(&d, "dansync_connections") <= 1);
  buf_cleanup(&head);
  buf_cleanup(&body);
  buf_cleanup(&resp);
  buf_cleanup(&many);
}

/* A byte a second, on a head and on a body: both are cut, well before a
 * minute. */
static void test_slowloris(void **state) {
  static const char head[] =
      "POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
  struct buf claim;
  int fd[2], cut_ms[2] = {-1, -1};
  size_t sent[2] = {0, 0};
  uint64_t t0 = clock_now_ms();
  long before =
      it_metric(&d, "dansync_connections_cut_total{deadline=\"head\"}");
  long before_body =
      it_metric(&d, "dansync_connections_cut_total{deadline=\"body\"}");
  (void)state;
  buf_init(&claim, 0);
  claim_head(&claim, slow.node, 100000);
  fd[0] = it_connect(&d, "127.0.1.4");
  fd[1] = it_connect(&d, "127.0.1.4");
  assert_true(fd[0] >= 0 && fd[1] >= 0);
  assert_true(it_send_all(fd[1], claim.data, claim.len)); /* body next */
  while ((cut_ms[0] < 0 || cut_ms[1] < 0) &&
         clock_now_ms() - t0 < LIVENESS_MS) {
    for (int i = 0; i < 2; i++) {
      const char *src = i == 0 ? head : "\x83";
      char b[512];
      if (cut_ms[i] >= 0)
        continue;
      if (send(fd[i], src + (i == 0 ? sent[0] % (sizeof(head) - 1) : 0), 1,
               MSG_NOSIGNAL) != 1 ||
          recv(fd[i], b, sizeof(b), MSG_DONTWAIT) == 0) {
        cut_ms[i] = (int)(clock_now_ms() - t0);
        continue;
      }
      sent[i]++;
    }
    {
      /* The attacker's pace; wakes early when a connection closes. */
      struct pollfd p[2] = {{cut_ms[0] < 0 ? fd[0] : -1, POLLIN, 0},
                            {cut_ms[1] < 0 ? fd[1] : -1, POLLIN, 0}};
      (void)poll(p, 2, 1000);
    }
  }
  print_message("slowloris: head cut after %d ms, body after %d ms\n",
                cut_ms[0], cut_ms[1]);
  assert_true(cut_ms[0] >= 0 && cut_ms[0] < LIVENESS_MS);
  assert_true(cut_ms[1] >= 0 && cut_ms[1] < LIVENESS_MS);
  assert_true(
      it_metric(&d, "dansync_connections_cut_total{deadline=\"head\"}") >
      before);
  assert_true(
      it_metric(&d, "dansync_connections_cut_total{deadline=\"body\"}") >
      before_body);
  close(fd[0]);
  close(fd[1]);
  buf_cleanup(&claim);
  assert_alive();
}

/* Pipelined pulls from a peer that never reads: once its buffers are full
 * the answer stops moving, and the connection is dropped after the write
 * timeout (3 s here). */
static void test_unread_answers_dropped(void **state) {
  long before =
      it_metric(&d, "dansync_connections_cut_total{deadline=\"write\"}");
  int fd, flags;
  uint64_t t0;
  (void)state;
  fd = it_connect(&d, "127.0.1.5");
  assert_true(fd >= 0);
  flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  for (int i = 0; i < 40; i++) /* 20 MB of answers: more than buffers hold */
    if (send(fd, pull_req.data, pull_req.len, MSG_NOSIGNAL) < 0)
      break;
  t0 = clock_now_ms();
  while (it_metric(&d, "dansync_connections_cut_total{deadline=\"write\"}") <=
             before &&
         clock_now_ms() - t0 < LIVENESS_MS) {
    struct pollfd p = {fd, 0, 0};
    (void)poll(&p, 1, 100);
  }
  print_message("unread answers: dropped %llu ms after the last send\n",
                (unsigned long long)(clock_now_ms() - t0));
  assert_true(
      it_metric(&d, "dansync_connections_cut_total{deadline=\"write\"}") >
      before);
  close(fd);
  assert_alive();
}

/* How long the refusals of test_unauthenticated_bodies_memory took to
 * come: the refusal log's windows they may span. */
static uint64_t flood_ms;
#define RLOG_WINDOW_MS 10000 /* the daemon's, daemon/serve.h */

/* 100 unauthenticated senders of 7.9 MiB bodies, and 20 more claiming one
 * enrolled node, from four addresses: nothing is buffered for the first;
 * of the others, one body per address (a quarter of the 32 MiB for
 * bodies), the rest refused from their heads; and the daemon's peak RSS
 * stays under its 64 MiB budget. */
static void test_unauthenticated_bodies_memory(void **state) {
  static uint8_t junk[64 * 1024];
  struct buf head, resp;
  int fds[120];
  bool answered[120] = {false};
  int refused = 0;
  uint64_t began = clock_now_ms();
  (void)state;
  buf_init(&head, 0);
  buf_init(&resp, 0);
  memset(junk, 0x83, sizeof(junk));
  for (int i = 0; i < 120; i++) {
    struct timeval tv = {2, 0};
    size_t sent = 0;
    char from[16];
    snprintf(from, sizeof(from), "127.0.3.%d", 1 + i % 4);
    fds[i] = it_connect(&d, from);
    if (fds[i] < 0)
      continue;
    setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    claim_head(&head, i < 100 ? NULL : pusher.node, BIG_BODY);
    if (!it_send_all(fds[i], head.data, head.len))
      continue;
    while (sent + sizeof(junk) < BIG_BODY) {
      ssize_t n = send(fds[i], junk, sizeof(junk), MSG_NOSIGNAL);
      if (n <= 0)
        break;
      sent += (size_t)n;
    }
  }
  /* The refusals, as they come: a sender that gave up at its 2 s send
   * time-out (a stalled machine) may still have its answer on the way.
   * Once 116 are in, one more look counts any beyond them. */
  for (uint64_t t0 = clock_now_ms(), last = 0; !last;) {
    struct pollfd p[120];
    last = refused >= 116 || clock_now_ms() - t0 >= LIVENESS_MS;
    for (int i = 0; i < 120; i++)
      p[i] = (struct pollfd){answered[i] ? -1 : fds[i], POLLIN, 0};
    if (!last)
      poll(p, 120, 100);
    for (int i = 0; i < 120; i++) {
      char b[64];
      if (p[i].fd < 0 || (!last && !p[i].revents))
        continue;
      answered[i] = true;
      if (recv(fds[i], b, sizeof(b) - 1, MSG_DONTWAIT) > 12 &&
          (!memcmp(b, "HTTP/1.1 401", 12) || !memcmp(b, "HTTP/1.1 503", 12)))
        refused++;
    }
  }
  flood_ms = clock_now_ms() - began;
  {
    long hwm = it_rss_kib(d.pid, "VmHWM");
    print_message("100 + 20 large bodies: %d refused from their heads; "
                  "daemon peak RSS %ld KiB\n",
                  refused, hwm);
    assert_true(hwm > 0);
#if !defined(__SANITIZE_ADDRESS__)
    /* ASan's shadow memory makes RSS meaningless; the plain build asserts. */
    assert_true(hwm < 64 * 1024);
#endif
  }
  assert_int_equal(refused, 116); /* one claim per address is read */
  for (int i = 0; i < 120; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  buf_cleanup(&head);
  buf_cleanup(&resp);
  assert_alive();
}

static void test_second_serve_refused(void **state) {
  char cmd[2048], out[1024] = "", want[64];
  size_t n;
  FILE *p;
  (void)state;
  snprintf(cmd, sizeof(cmd), "%s --db '%s' serve --listen 127.0.0.1:0 2>&1",
           DANSYNCD_BIN, db);
  p = popen(cmd, "r");
  assert_non_null(p);
  n = fread(out, 1, sizeof(out) - 1, p);
  out[n] = '\0';
  assert_int_equal(WEXITSTATUS(pclose(p)), 1);
  snprintf(want, sizeof(want), "(pid %ld)", (long)d.pid);
  assert_non_null(strstr(out, want));
  /* The same store by another name. */
  snprintf(cmd, sizeof(cmd),
           "ln -s '%s' '%s.link' && %s --db '%s.link' serve --listen "
           "127.0.0.1:0 2>&1",
           db, db, DANSYNCD_BIN, db);
  p = popen(cmd, "r");
  assert_non_null(p);
  n = fread(out, 1, sizeof(out) - 1, p);
  out[n] = '\0';
  assert_int_equal(WEXITSTATUS(pclose(p)), 1);
  assert_non_null(strstr(out, want));
  assert_alive();
}

/* The log names the peer and the reason, counts a flood instead of
 * writing it, and calls an unauthenticated node id a claim. */
static void test_log_lines(void **state) {
  char path[600];
  struct buf log;
  uint64_t t0 = clock_now_ms();
  int lines = 0;
  (void)state;
  snprintf(path, sizeof(path), "%s", d.log);
  buf_init(&log, 0);
  for (;;) {
    FILE *f = fopen(path, "r");
    char chunk[4096];
    size_t n;
    assert_non_null(f);
    buf_reset(&log);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
      assert_int_equal(buf_append(&log, chunk, n), 0);
    fclose(f);
    assert_int_equal(buf_cstr(&log), 0);
    if (strstr((char *)log.data,
               "peer=127.0.3.1 reason=unknown_node repeated=") ||
        clock_now_ms() - t0 > LIVENESS_MS)
      break;
    {
      struct pollfd p = {-1, 0, 0};
      (void)poll(&p, 1, 200);
    }
  }
  assert_non_null(
      strstr((char *)log.data, "peer=127.0.3.1 reason=unknown_node repeated="));
  assert_non_null(
      strstr((char *)log.data, "reason=unknown_node claimed_node="));
  assert_non_null(
      strstr((char *)log.data, "peer=127.0.1.4 reason=head_timeout"));
  assert_non_null(
      strstr((char *)log.data, "peer=127.0.1.5 reason=write_timeout"));
  assert_non_null(strstr((char *)log.data, "reason=busy"));
  /* 25 refusals from 127.0.3.1, a handful of lines: two a window (the
   * first refusal, then the count), over the windows the flood spanned
   * (one, or two at a boundary, when the machine is not stalled). */
  for (const char *at = (char *)log.data;
       (at = strstr(at, "peer=127.0.3.1 reason=unknown_node")); at++)
    lines++;
  print_message("log: %d lines for the unknown_node refusals from 127.0.3.1\n",
                lines);
  assert_true(lines >= 1 &&
              (uint64_t)lines <= 2 * (flood_ms / RLOG_WINDOW_MS + 2));
  buf_cleanup(&log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipelined_then_close),
      cmocka_unit_test(test_half_close_during_pull),
      cmocka_unit_test(test_reset_mid_answer),
      cmocka_unit_test(test_idle_and_half_sent_flood),
      cmocka_unit_test(test_slowloris),
      cmocka_unit_test(test_unread_answers_dropped),
      cmocka_unit_test(test_unauthenticated_bodies_memory),
      cmocka_unit_test(test_second_serve_refused),
      cmocka_unit_test(test_log_lines),
  };
  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests_name("it_attack", tests, setup_group,
                                     teardown_group);
}
