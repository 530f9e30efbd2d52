/* SPDX-License-Identifier: MIT
 * What serve knows of who is speaking (daemon/guard.c): peers' keys, the
 * rate-limited refusal log, the known nodes; and the HTTP parser's stop at
 * each head (daemon/http.c). */
#include "tests/cm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/guard.h"
#include "daemon/http.h"

static void v4(struct peer *p, const char *addr) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  assert_int_equal(inet_pton(AF_INET, addr, &a.sin_addr), 1);
  peer_set(p, (struct sockaddr *)&a);
}

static void v6(struct peer *p, const char *addr) {
  struct sockaddr_in6 a = {0};
  a.sin6_family = AF_INET6;
  assert_int_equal(inet_pton(AF_INET6, addr, &a.sin6_addr), 1);
  peer_set(p, (struct sockaddr *)&a);
}

static void test_peer_keys(void **state) {
  struct peer a, b;
  (void)state;
  v4(&a, "10.1.2.3");
  v4(&b, "10.1.2.3");
  assert_string_equal(a.text, "10.1.2.3");
  assert_true(peer_same(&a, &b));
  v4(&b, "10.1.2.4");
  assert_false(peer_same(&a, &b));
  /* An IPv4 peer on a dual-stack socket counts as that IPv4 address. */
  v6(&b, "::ffff:10.1.2.3");
  assert_true(peer_same(&a, &b));
  /* IPv6: one /64 is one subscriber. */
  v6(&a, "2001:db8:1:2::1");
  v6(&b, "2001:db8:1:2:ffff::9");
  assert_true(peer_same(&a, &b));
  v6(&b, "2001:db8:1:3::1");
  assert_false(peer_same(&a, &b));
  assert_string_equal(a.text, "2001:db8:1:2::1");
  peer_set(&a, NULL);
  assert_string_equal(a.text, "?");
}

struct emitted {
  int n;
  char line[8][96];
};

static void emit(const char *peer, const char *reason, uint64_t more,
                 void *arg) {
  struct emitted *e = arg;
  assert_true(e->n < 8);
  snprintf(e->line[e->n++], sizeof(e->line[0]), "%s %s %llu", peer ? peer : "-",
           reason, (unsigned long long)more);
}

static void test_rlog_counts_a_flood(void **state) {
  static struct rlog l;
  struct peer a, b;
  struct emitted e = {0};
  (void)state;
  v4(&a, "127.0.0.2");
  v4(&b, "127.0.0.3");
  assert_true(rlog_note(&l, &a, "unknown_node")); /* the first is logged */
  for (int i = 0; i < 999; i++)
    assert_false(rlog_note(&l, &a, "unknown_node"));
  assert_true(rlog_note(&l, &a, "head_timeout")); /* another kind */
  assert_true(rlog_note(&l, &b, "unknown_node")); /* another address */
  rlog_flush(&l, emit, &e);
  assert_int_equal(e.n, 1); /* only what was counted, not logged */
  assert_string_equal(e.line[0], "127.0.0.2 unknown_node 999");
  /* A new window logs the first again. */
  assert_true(rlog_note(&l, &a, "unknown_node"));
  e.n = 0;
  rlog_flush(&l, emit, &e);
  assert_int_equal(e.n, 0);
}

static void test_rlog_full_table(void **state) {
  static struct rlog l;
  struct emitted e = {0};
  struct peer p;
  char addr[32];
  (void)state;
  for (int i = 0; i < RLOG_SLOTS + 10; i++) {
    snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 200, i % 200 + 1);
    v4(&p, addr);
    /* Past the table's size nothing more is logged at once... */
    assert_int_equal(rlog_note(&l, &p, "malformed"), i < RLOG_SLOTS);
  }
  /* ...but all of it is counted. */
  rlog_flush(&l, emit, &e);
  assert_int_equal(e.n, 1);
  assert_string_equal(e.line[0], "- any 10");
}

static void test_ncache(void **state) {
  static struct ncache c;
  uint8_t node[ID_LEN] = {1}, pk[32] = {7}, got[32];
  (void)state;
  assert_false(ncache_get(&c, node, got));
  ncache_put(&c, node, pk);
  assert_true(ncache_get(&c, node, got));
  assert_memory_equal(got, pk, 32);
  pk[0] = 8; /* a new key replaces the old */
  ncache_put(&c, node, pk);
  assert_true(ncache_get(&c, node, got));
  assert_int_equal(got[0], 8);
  assert_int_equal(c.n, 1);
  ncache_forget(&c, node);
  assert_false(ncache_get(&c, node, got));
  /* Full: further nodes are not remembered, the known ones stay. */
  for (int i = 0; i < NCACHE_MAX + 5; i++) {
    node[0] = (uint8_t)i;
    node[1] = (uint8_t)(i >> 8);
    ncache_put(&c, node, pk);
  }
  assert_int_equal(c.n, NCACHE_MAX);
  node[0] = 3;
  node[1] = 0;
  assert_true(ncache_get(&c, node, got));
}

/* The parser stops after each head with what serve judges it by, and goes
 * on to the body only when told to. */
static void test_http_stops_at_head(void **state) {
  static const char req[] =
      "POST /v1/sync HTTP/1.1\r\nDansync-Node: abcd\r\nContent-Length: 3\r\n"
      "\r\nxyzGET /v1/health HTTP/1.1\r\n\r\n";
  struct http_rp rp;
  size_t used, off = 0;
  int status = 0;
  (void)state;
  http_rp_init(&rp, NULL, NULL);
  assert_int_equal(http_rp_feed(&rp, req, sizeof(req) - 1, &used, &status),
                   HTTP_RP_HEAD);
  assert_true(rp.has_length);
  assert_false(rp.chunked);
  assert_int_equal(rp.length, 3);
  assert_int_equal(rp.method, HTTP_POST);
  assert_string_equal(rp.node, "abcd");
  assert_int_equal(rp.body.len, 0); /* nothing of the body read */
  off += used;
  http_rp_resume(&rp);
  assert_int_equal(
      http_rp_feed(&rp, req + off, sizeof(req) - 1 - off, &used, &status),
      HTTP_RP_REQUEST);
  assert_memory_equal(rp.body.data, "xyz", 3);
  off += used;
  http_rp_resume(&rp);
  /* The pipelined GET: a head without a body, then the whole request. */
  assert_int_equal(
      http_rp_feed(&rp, req + off, sizeof(req) - 1 - off, &used, &status),
      HTTP_RP_HEAD);
  assert_false(rp.has_length);
  off += used;
  http_rp_resume(&rp);
  assert_int_equal(
      http_rp_feed(&rp, req + off, sizeof(req) - 1 - off, &used, &status),
      HTTP_RP_REQUEST);
  assert_true(http_rp_path_is(&rp, "/v1/health"));
  off += used;
  assert_int_equal(off, sizeof(req) - 1);
  http_rp_cleanup(&rp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_peer_keys),
      cmocka_unit_test(test_rlog_counts_a_flood),
      cmocka_unit_test(test_rlog_full_table),
      cmocka_unit_test(test_ncache),
      cmocka_unit_test(test_http_stops_at_head),
  };
  return cmocka_run_group_tests_name("test_guard", tests, NULL, NULL);
}
