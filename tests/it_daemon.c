/* SPDX-License-Identifier: MIT
 * The real dansyncd on a loopback port, driven over real sockets: enrolment,
 * push, pull, re-push, gap, signatures, revocation, clock skew, oversized
 * and garbage input, half requests, quarantine, pull scope, SIGTERM. Every
 * refusal also checks that the district's digest did not change. */
#include "tests/cm.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "proto/codec.h"
#include "tests/helpers.h"
#include "tests/it_util.h"

struct fx {
  struct it_daemon d;
  char db[512];
  struct buf body, resp;
};

static int setup(void **state) {
  static int n;
  struct fx *f = calloc(1, sizeof(*f));
  snprintf(f->db, sizeof(f->db), "%s/d%d.db", it_tmpdir(), ++n);
  it_daemon_start(&f->d, f->db, NULL);
  buf_init(&f->body, 0);
  buf_init(&f->resp, 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  int rc = f->d.pid ? it_daemon_stop(&f->d, false) : 0;
  buf_cleanup(&f->body);
  buf_cleanup(&f->resp);
  free(f);
  assert_int_equal(rc, 0); /* SIGTERM: a clean exit */
  return 0;
}

/* A petition creation of |commune| from |dev| with the next seq. */
static void petition(struct op *op, struct it_device *dev,
                     const char *commune) {
  uint8_t rid[ID_LEN];
  id_uuidv7(rid, clock_now_ms());
  th_petition(op, rid, dev->node, HLC_FROM_MS(clock_now_ms()), commune);
  op->seq = ++dev->seq;
}

static uint64_t acked_of(const struct buf *resp) {
  struct proto_resp r;
  char err[DS_ERRBUF_LEN];
  uint64_t a;
  assert_int_equal(proto_resp_decode(&r, resp->data, resp->len, err), 0);
  a = r.acked;
  proto_resp_cleanup(&r);
  return a;
}

static void expect_refusal(struct fx *f, long want_status, const char *code,
                           long got) {
  char c[40];
  assert_int_equal(got, want_status);
  it_error_code(&f->resp, c, sizeof(c));
  assert_string_equal(c, code);
}

static void test_it_push_repush_and_pull(void **state) {
  struct fx *f = *state;
  struct it_device a, b;
  struct op ops[3];
  char d1[65], d2[65];
  struct proto_resp r;
  char err[DS_ERRBUF_LEN];

  it_device_new(&a, f->db, "hoa-an");
  it_device_new(&b, f->db, "hoa-an");
  for (int i = 0; i < 3; i++)
    petition(&ops[i], &a, "hoa-an");
  it_request(&f->body, &a, ops, 3, 0);
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  assert_int_equal(acked_of(&f->resp), 3);
  it_digest(f->db, "hoa-an", d1);
  /* The same batch again: acked, nothing doubles. */
  a.send_token = false;
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  assert_int_equal(acked_of(&f->resp), 3);
  it_digest(f->db, "hoa-an", d2);
  assert_string_equal(d1, d2);
  /* Device b pulls a's three ops, not its own. */
  it_request(&f->body, &b, NULL, 0, 0);
  assert_int_equal(it_post(&f->d, &b, f->body.data, f->body.len, &f->resp),
                   200);
  assert_int_equal(proto_resp_decode(&r, f->resp.data, f->resp.len, err), 0);
  assert_int_equal(r.nops, 3);
  assert_false(r.more);
  assert_true(r.has_cursor_hash);
  assert_true(r.cursor >= 3);
  proto_resp_cleanup(&r);
  /* And a pulls nothing: the ops are its own. */
  it_request(&f->body, &a, NULL, 0, 0);
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  assert_int_equal(proto_resp_decode(&r, f->resp.data, f->resp.len, err), 0);
  assert_int_equal(r.nops, 0);
  proto_resp_cleanup(&r);
}

static void test_it_refusals_change_nothing(void **state) {
  struct fx *f = *state;
  struct it_device a, intruder;
  struct op ops[2];
  char before[65], after[65];
  long st;

  it_device_new(&a, f->db, "hoa-an");
  petition(&ops[0], &a, "hoa-an");
  it_request(&f->body, &a, ops, 1, 0);
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  a.send_token = false;
  it_digest(f->db, NULL, before);

  /* Gap: the batch starts at seq 5 while the district has 1. */
  a.seq = 4;
  petition(&ops[0], &a, "hoa-an");
  it_request(&f->body, &a, ops, 1, 0);
  st = it_post(&f->d, &a, f->body.data, f->body.len, &f->resp);
  expect_refusal(f, 409, "gap", st);
  {
    char code[32], msg[256];
    bool has;
    uint64_t exp;
    assert_int_equal(proto_error_decode(f->resp.data, f->resp.len, code,
                                        sizeof(code), msg, sizeof(msg), &has,
                                        &exp),
                     0);
    assert_true(has);
    assert_int_equal(exp, 2);
  }
  a.seq = 1;

  /* A wrong signature: signed by another key. */
  petition(&ops[0], &a, "hoa-an");
  it_request(&f->body, &a, ops, 1, 0);
  intruder = a;
  crypto_sign_keypair(intruder.pk, intruder.sk);
  st = it_post(&f->d, &intruder, f->body.data, f->body.len, &f->resp);
  expect_refusal(f, 401, "unauthorized", st);

  /* The device's clock two hours ahead (max skew is 1 h). */
  ops[0].hlc = HLC_FROM_MS(clock_now_ms() + 2 * 3600 * 1000);
  it_request(&f->body, &a, ops, 1, 0);
  st = it_post(&f->d, &a, f->body.data, f->body.len, &f->resp);
  expect_refusal(f, 409, "clock_skew", st);
  assert_non_null(strstr((char *)f->resp.data, "restamp"));

  /* Not msgpack at all, signed. */
  st = it_post(&f->d, &a, "hello", 5, &f->resp);
  expect_refusal(f, 400, "bad_request", st);

  /* Version 2. */
  {
    const uint8_t v2[] = {0x81, 0xa1, 'v', 0x02};
    st = it_post(&f->d, &a, v2, sizeof(v2), &f->resp);
    expect_refusal(f, 400, "unsupported_version", st);
  }

  /* More than 5000 ops. */
  {
    struct op *many = calloc(5001, sizeof(*many));
    for (int i = 0; i < 5001; i++) {
      petition(&many[i], &a, "hoa-an");
      many[i].seq = 2 + (uint64_t)i;
    }
    a.seq = 1;
    it_request(&f->body, &a, many, 5001, 0);
    st = it_post(&f->d, &a, f->body.data, f->body.len, &f->resp);
    expect_refusal(f, 413, "too_large", st);
    free(many);
  }

  /* A node that was never enrolled, with no token. */
  {
    struct it_device ghost;
    memset(&ghost, 0, sizeof(ghost));
    crypto_sign_keypair(ghost.pk, ghost.sk);
    randombytes_buf(ghost.node, ID_LEN);
    petition(&ops[0], &ghost, "hoa-an");
    it_request(&f->body, &ghost, ops, 1, 0);
    st = it_post(&f->d, &ghost, f->body.data, f->body.len, &f->resp);
    expect_refusal(f, 401, "unauthorized", st);
  }

  it_digest(f->db, NULL, after);
  assert_string_equal(before, after);
}

static void test_it_token_rules_and_revocation(void **state) {
  struct fx *f = *state;
  struct it_device a, thief;
  struct op op;
  long st;

  it_device_new(&a, f->db, "hoa-an");
  it_request(&f->body, &a, NULL, 0, 0);
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  /* The same token, node and key again: accepted (a lost first answer). */
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  /* The burnt token with another key and node: refused. */
  thief = a;
  crypto_sign_keypair(thief.pk, thief.sk);
  randombytes_buf(thief.node, ID_LEN);
  it_request(&f->body, &thief, NULL, 0, 0);
  expect_refusal(f, 401, "unauthorized",
                 it_post(&f->d, &thief, f->body.data, f->body.len, &f->resp));
  /* Revoked: refused from now on. */
  {
    char hex[ID_HEX_LEN + 1];
    const char *ask[] = {DANSYNCD_BIN, "--db", f->db, "node",
                         "revoke",     hex,    NULL};
    const char *argv[] = {DANSYNCD_BIN, "--db", f->db,   "node",
                          "revoke",     hex,    "--yes", NULL};
    hex_encode(hex, a.node, ID_LEN);
    hex[12] = '\0'; /* a prefix is enough */
    /* Without --yes it only says what would be stranded (#17). */
    assert_int_equal(it_run(ask, NULL), 1);
    assert_int_equal(it_run(argv, NULL), 0);
  }
  a.send_token = false;
  petition(&op, &a, "hoa-an");
  it_request(&f->body, &a, &op, 1, 0);
  st = it_post(&f->d, &a, f->body.data, f->body.len, &f->resp);
  expect_refusal(f, 401, "unauthorized", st);
}

static void test_it_bad_ops_are_quarantined_not_blocking(void **state) {
  struct fx *f = *state;
  struct it_device a;
  struct op ops[4];
  struct proto_resp r;
  struct proto_rejected rej;
  char err[DS_ERRBUF_LEN];
  struct buf out;

  it_device_new(&a, f->db, "hoa-an");
  petition(&ops[0], &a, "hoa-an");
  petition(&ops[1], &a, "hoa-my"); /* another commune's record */
  petition(&ops[2], &a, "hoa-an");
  ops[2].set[3].val.n = 0; /* content "" : too short */
  petition(&ops[3], &a, "hoa-an");
  it_request(&f->body, &a, ops, 4, 0);
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  assert_int_equal(proto_resp_decode(&r, f->resp.data, f->resp.len, err), 0);
  assert_int_equal(r.acked, 4);
  assert_int_equal(r.nrejected, 2);
  assert_int_equal(proto_resp_rejected(&r, 0, &rej), 0);
  assert_int_equal(rej.seq, 2);
  assert_memory_equal(rej.error, "forbidden", 9);
  assert_int_equal(proto_resp_rejected(&r, 1, &rej), 0);
  assert_int_equal(rej.seq, 3);
  assert_memory_equal(rej.error, "bad_op", 6);
  proto_resp_cleanup(&r);
  /* The quarantine lists both; the next batch flows. */
  {
    const char *argv[] = {DANSYNCD_BIN, "--db",   f->db, "quarantine",
                          "list",       "--json", NULL};
    buf_init(&out, 0);
    assert_int_equal(it_run(argv, &out), 0);
    assert_non_null(strstr((char *)out.data, "\"seq\": 2, \"error\": "
                                             "\"forbidden\""));
    assert_non_null(strstr((char *)out.data, "\"seq\": 3, \"error\": "
                                             "\"bad_op\""));
    buf_cleanup(&out);
  }
  a.send_token = false;
  petition(&ops[0], &a, "hoa-an");
  it_request(&f->body, &a, ops, 1, 0);
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  assert_int_equal(acked_of(&f->resp), 5);
  {
    const char *argv[] = {DANSYNCD_BIN, "--db",   f->db, "petition",
                          "list",       "--json", NULL};
    buf_init(&out, 0);
    assert_int_equal(it_run(argv, &out), 0);
    /* Three good petitions: seqs 1, 4, 5. */
    int n = 0;
    for (char *p = (char *)out.data; (p = strstr(p, "\"id\"")); p++)
      n++;
    assert_int_equal(n, 3);
    buf_cleanup(&out);
  }
}

static void test_it_pull_scope(void **state) {
  struct fx *f = *state;
  struct it_device a, b, dist;
  struct op op;
  struct proto_resp r;
  char err[DS_ERRBUF_LEN];

  it_device_new(&a, f->db, "hoa-an");
  it_device_new(&b, f->db, "tan-long");
  it_device_new(&dist, f->db, "district");
  petition(&op, &a, "hoa-an");
  it_request(&f->body, &a, &op, 1, 0);
  assert_int_equal(it_post(&f->d, &a, f->body.data, f->body.len, &f->resp),
                   200);
  it_request(&f->body, &b, NULL, 0, 0);
  assert_int_equal(it_post(&f->d, &b, f->body.data, f->body.len, &f->resp),
                   200);
  assert_int_equal(proto_resp_decode(&r, f->resp.data, f->resp.len, err), 0);
  assert_int_equal(r.nops, 0); /* tan-long sees nothing of hoa-an */
  proto_resp_cleanup(&r);
  it_request(&f->body, &dist, NULL, 0, 0);
  assert_int_equal(it_post(&f->d, &dist, f->body.data, f->body.len, &f->resp),
                   200);
  assert_int_equal(proto_resp_decode(&r, f->resp.data, f->resp.len, err), 0);
  assert_int_equal(r.nops, 1); /* the district sees every commune */
  proto_resp_cleanup(&r);
}

static void test_it_garbage_and_half_requests(void **state) {
  struct fx *f = *state;
  static const char big[] =
      "POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 9437184\r\n\r\n";
  static const char half[] =
      "POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc";
  static const char smuggle[] =
      "POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  char before[65], after[65];
  struct buf flood;

  it_digest(f->db, NULL, before);
  /* Not HTTP. */
  it_raw(&f->d, "\x00\x01\x02garbage\r\n\r\n", 14, false, 10000, &f->resp);
  assert_non_null(strstr((char *)f->resp.data, "HTTP/1.1 400"));
  /* An 9 MiB Content-Length: refused before any body is read. */
  it_raw(&f->d, big, sizeof(big) - 1, false, 10000, &f->resp);
  assert_non_null(strstr((char *)f->resp.data, "HTTP/1.1 413"));
  /* Content-Length and Transfer-Encoding together. */
  it_raw(&f->d, smuggle, sizeof(smuggle) - 1, false, 10000, &f->resp);
  assert_non_null(strstr((char *)f->resp.data, "HTTP/1.1 400"));
  /* Half a request from nobody in particular: refused from its head. */
  it_raw(&f->d, half, sizeof(half) - 1, true, 10000, &f->resp);
  assert_non_null(strstr((char *)f->resp.data, "HTTP/1.1 401"));
  /* Half a request from an enrolled device, then the socket closes: no
   * answer, nothing stored. */
  {
    struct it_device dev;
    char node[ID_HEX_LEN + 1], req[512], sig[89];
    int n;
    memset(sig, 'A', 86); /* 64 zero bytes in base64 */
    memcpy(sig + 86, "==", 3);
    it_device_new(&dev, f->db, "hoa-an");
    it_request(&f->body, &dev, NULL, 0, 0);
    assert_int_equal(it_post(&f->d, &dev, f->body.data, f->body.len, &f->resp),
                     200);
    hex_encode(node, dev.node, ID_LEN);
    n = snprintf(req, sizeof(req),
                 "POST /v1/sync HTTP/1.1\r\nHost: x\r\nDansync-Node: %s\r\n"
                 "Dansync-Signature: %s\r\nContent-Length: 100\r\n\r\nabc",
                 node, sig);
    it_raw(&f->d, req, (size_t)n, true, 10000, &f->resp);
    assert_int_equal(f->resp.len, 0);
  }
  /* A header flood. */
  buf_init(&flood, 0);
  assert_int_equal(buf_printf(&flood, "GET /v1/health HTTP/1.1\r\n"), 0);
  for (int i = 0; i < 2000; i++)
    assert_int_equal(buf_printf(&flood, "X-Flood-%d: aaaaaaaaaaaaaaaa\r\n", i),
                     0);
  assert_int_equal(buf_printf(&flood, "\r\n"), 0);
  it_raw(&f->d, flood.data, flood.len, false, 10000, &f->resp);
  assert_non_null(strstr((char *)f->resp.data, "HTTP/1.1 431"));
  buf_cleanup(&flood);
  /* Still serving. */
  it_raw(&f->d, "GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n", 47,
         false, 10000, &f->resp);
  assert_non_null(strstr((char *)f->resp.data, "\r\n\r\nok"));
  it_digest(f->db, NULL, after);
  assert_string_equal(before, after);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_it_push_repush_and_pull),
      T(test_it_refusals_change_nothing),
      T(test_it_token_rules_and_revocation),
      T(test_it_bad_ops_are_quarantined_not_blocking),
      T(test_it_pull_scope),
      T(test_it_garbage_and_half_requests),
  };
  int rc;
  if (sodium_init() < 0)
    return 1;
  rc = cmocka_run_group_tests_name("it_daemon", tests, NULL, NULL);
  it_tmp_cleanup();
  return rc;
}
