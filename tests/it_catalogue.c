/* SPDX-License-Identifier: MIT
 * The bad-input catalogue, against the real daemon over real sockets and
 * TLS pinned to the district's certificate, as devices speak (and under
 * ASan in the sanitized build): each case asserts the exact HTTP
 * status, the error code (whole-request, or per op in `rejected`, DESIGN
 * §6) and that the district's digest did not change. */
#include "tests/cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/clock.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/value.h"
#include "proto/codec.h"
#include "tests/helpers.h"
#include "tests/it_util.h"

static struct it_daemon d;
static struct it_device dev;
static char db[512];
static uint8_t existing[ID_LEN], survey[ID_LEN];

/* One field of a raw op: its name and its msgpack value bytes. */
struct rf {
  const char *name;
  const char *raw;
  size_t len;
};
#define RF(n, bytes) \
  { n, bytes, sizeof(bytes) - 1 }

/* A request with one raw op: {seq, hlc, ent, rid, set: {fields}}. */
static void raw_request(struct buf *out, uint64_t seq, const char *ent,
                        const uint8_t rid[ID_LEN], const struct rf *f, int n) {
  struct proto_req hdr = {0};
  struct buf op;
  buf_init(&op, 0);
  assert_int_equal(buf_putc(&op, 0x85), 0);
  assert_int_equal(mp_put_str(&op, "seq", 3) || mp_put_uint(&op, seq), 0);
  assert_int_equal(mp_put_str(&op, "hlc", 3) ||
                       mp_put_uint(&op, HLC_FROM_MS(clock_now_ms())),
                   0);
  assert_int_equal(
      mp_put_str(&op, "ent", 3) || mp_put_str(&op, ent, strlen(ent)), 0);
  assert_int_equal(mp_put_str(&op, "rid", 3) || mp_put_bin(&op, rid, ID_LEN),
                   0);
  assert_int_equal(mp_put_str(&op, "set", 3), 0);
  assert_int_equal(buf_putc(&op, (uint8_t)(0x80 | n)), 0);
  for (int i = 0; i < n; i++) {
    assert_int_equal(mp_put_str(&op, f[i].name, strlen(f[i].name)), 0);
    assert_int_equal(buf_append(&op, f[i].raw, f[i].len), 0);
  }
  memcpy(hdr.node, dev.node, ID_LEN);
  hdr.hlc = HLC_FROM_MS(clock_now_ms());
  hdr.limit = 10;
  buf_reset(out);
  assert_int_equal(proto_req_encode(out, &hdr, op.data, op.len, 1), 0);
  buf_cleanup(&op);
}

/* Posts a one-op request and expects it acked with the op rejected. */
static void expect_rejected(const char *what, const char *ent,
                            const uint8_t rid[ID_LEN], const struct rf *f,
                            int n, const char *code) {
  struct buf body, resp;
  struct proto_resp r;
  struct proto_rejected rej;
  char err[DS_ERRBUF_LEN], before[65], after[65];
  long st;

  it_digest(db, NULL, before);
  buf_init(&body, 0);
  buf_init(&resp, 0);
  raw_request(&body, ++dev.seq, ent, rid, f, n);
  st = it_post(&d, &dev, body.data, body.len, &resp);
  if (st != 200)
    fail_msg("%s: status %ld", what, st);
  assert_int_equal(proto_resp_decode(&r, resp.data, resp.len, err), 0);
  assert_int_equal(r.acked, dev.seq); /* acked, so the queue moves on */
  if (r.nrejected != 1)
    fail_msg("%s: %u rejected", what, r.nrejected);
  assert_int_equal(proto_resp_rejected(&r, 0, &rej), 0);
  if (rej.error_len != strlen(code) || memcmp(rej.error, code, rej.error_len))
    fail_msg("%s: rejected as %.*s (%.*s), expected %s", what,
             (int)rej.error_len, rej.error, (int)rej.message_len, rej.message,
             code);
  proto_resp_cleanup(&r);
  it_digest(db, NULL, after);
  if (strcmp(before, after))
    fail_msg("%s: the digest changed", what);
  buf_cleanup(&body);
  buf_cleanup(&resp);
}

/* A valid petition creation's fields, with field |bad| replaced. */
static int petition_with(struct rf *out, const char *bad, const char *raw,
                         size_t len) {
  static const struct rf base[] = {RF("commune", "\xa6hoa-an"),
                                   RF("received_on", "\xaa"
                                                     "2024-03-15"),
                                   RF("category", "\xa5water"),
                                   RF("content", "\xa4xin!"),
                                   RF("status", "\x92\x00\xa8received")};
  int n = 0, replaced = 0;
  for (int i = 0; i < 5; i++) {
    out[n] = base[i];
    if (!strcmp(base[i].name, bad)) {
      out[n].raw = raw;
      out[n].len = len;
      replaced = 1;
    }
    n++;
  }
  if (!replaced) {
    out[n].name = bad;
    out[n].raw = raw;
    out[n++].len = len;
  }
  return n;
}

static int setup_group(void **state) {
  struct op op;
  struct buf body, resp;
  char dir[512], crt[600], key[600];
  /* No dashboard: its search index takes the write lock now and then,
   * and a post could outwait the 200 ms busy time-out. */
  const char *extra[] = {"--busy-timeout",
                         "200ms",
                         "--max-conns",
                         "8",
                         "--max-conns-per-addr",
                         "8",
                         "--tls-cert",
                         crt,
                         "--tls-key",
                         key,
                         "--no-ui",
                         NULL};
  (void)state;
  if (sodium_init() < 0)
    return -1;
  snprintf(db, sizeof(db), "%s/cat.db", it_tmpdir());
  /* Over TLS as devices speak, pinned to the district's certificate:
   * it_post through libcurl's pin, the raw cases through it_conn's. */
  snprintf(dir, sizeof(dir), "%s/tls", it_tmpdir());
  it_tls_cert(&d, dir, crt, key, sizeof(crt));
  it_daemon_start(&d, db, extra);
  it_device_new(&dev, db, "hoa-an");
  /* Two records to change: a petition and a survey. */
  buf_init(&body, 0);
  buf_init(&resp, 0);
  id_uuidv7(existing, clock_now_ms());
  th_petition(&op, existing, dev.node, HLC_FROM_MS(clock_now_ms()), "hoa-an");
  op.seq = ++dev.seq;
  it_request(&body, &dev, &op, 1, 0);
  if (it_post(&d, &dev, body.data, body.len, &resp) != 200)
    return -1;
  dev.send_token = false;
  id_uuidv7(survey, clock_now_ms());
  th_op_init(&op, ENT_SURVEY, survey, dev.node, HLC_FROM_MS(clock_now_ms()),
             ++dev.seq);
  th_set_str(&op, "commune", "hoa-an");
  th_set_int(&op, "overall", 4);
  th_set_str(&op, "service", "land");
  th_set_str(&op, "taken_on", "2024-03-15");
  it_request(&body, &dev, &op, 1, 0);
  if (it_post(&d, &dev, body.data, body.len, &resp) != 200)
    return -1;
  buf_cleanup(&body);
  buf_cleanup(&resp);
  return 0;
}

static int teardown_group(void **state) {
  (void)state;
  int rc = it_daemon_stop(&d, false);
  it_tmp_cleanup();
  return rc == 0 ? 0 : -1;
}

static void new_rid(uint8_t rid[ID_LEN]) {
  id_uuidv7(rid, clock_now_ms());
}

static void test_cat_wrong_types_for_every_field(void **state) {
  /* For each entity and field, a value of a type the field never takes. */
  static const char *const ents[] = {"meeting", "petition", "survey", "visit"};
  struct rf f[8];
  uint8_t rid[ID_LEN];
  (void)state;
  for (int e = 0; e < SCHEMA_NENT; e++) {
    const struct entity_def *ed = schema_entity(e);
    for (int k = 0; k < ed->nfields; k++) {
      const struct field_def *fd = &ed->fields[k];
      /* An int for text-like fields, a str for the others. */
      static const char int7[] = "\x07";
      static const char strx[] = "\xa1x";
      static const char flt[] = "\xcb\x40\x45\0\0\0\0\0\0";
      const char *raw = int7;
      size_t len = 1;
      char what[80];
      int n;
      if (fd->type == FT_INT || fd->type == FT_BOOL || fd->type == FT_RID ||
          fd->type == FT_STATUS)
        raw = strx, len = 2;
      if (fd->type == FT_INT)
        raw = flt, len = 9; /* a float is not an integer either */
      new_rid(rid);
      f[0].name = fd->name;
      f[0].raw = raw;
      f[0].len = len;
      n = 1;
      if (strcmp(fd->name, "commune")) {
        f[n].name = "commune";
        f[n].raw = "\xa6hoa-an";
        f[n++].len = 7;
      }
      snprintf(what, sizeof(what), "%s.%s of the wrong type", ents[e],
               fd->name);
      expect_rejected(what, ents[e], rid, f, n, "bad_op");
    }
  }
}

static void test_cat_values_out_of_range(void **state) {
  struct rf f[8];
  uint8_t rid[ID_LEN];
  int n;
  static const struct {
    const char *ent, *field, *raw;
    size_t len;
  } cases[] = {
      {"meeting", "attendees", "\xff", 1},                 /* -1 */
      {"meeting", "attendees", "\xce\x00\x01\x86\xa1", 5}, /* 100001 */
      {"survey", "overall", "\x00", 1},
      {"survey", "overall", "\x06", 1},
      {"visit", "gift_vnd", "\xd0\x80", 2}, /* -128 */
      {"visit", "volunteers", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
       9}, /* 2^64-1 */
      {"petition", "status", "\x92\x00\xa4open", 7},
      {"petition", "status", "\x92\xff\xa8received", 11}, /* gen -1 */
      {"petition", "category", "\xa5roads", 6},
      {"petition", "received_on",
       "\xaa"
       "2024-02-30",
       11},
      {"petition", "citizen",
       "\xa3"
       "a\0b",
       4},                                                /* NUL */
      {"petition", "citizen", "\xa2\xc0\xaf", 3},         /* overlong '/' */
      {"petition", "citizen", "\xa3\xed\xa0\x80", 4},     /* surrogate */
      {"petition", "citizen", "\xa2\xc3\x28", 3},         /* invalid */
      {"petition", "meeting", "\xc4\x03\x01\x02\x03", 5}, /* short id */
      {"petition", "colour", "\xa3red", 4},               /* unknown field */
  };
  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char what[80];
    new_rid(rid);
    if (!strcmp(cases[i].ent, "petition")) {
      n = petition_with(f, cases[i].field, cases[i].raw, cases[i].len);
    } else {
      f[0].name = "commune", f[0].raw = "\xa6hoa-an", f[0].len = 7;
      f[1].name = cases[i].field, f[1].raw = cases[i].raw;
      f[1].len = cases[i].len;
      n = 2;
    }
    snprintf(what, sizeof(what), "%s.%s case %zu", cases[i].ent, cases[i].field,
             i);
    expect_rejected(what, cases[i].ent, rid, f, n, "bad_op");
  }
}

static void test_cat_huge_strings(void **state) {
  /* A 7 MiB content fits the body cap but not the field's 4000 chars. */
  size_t big = 7u << 20;
  char *raw = malloc(big + 5);
  struct rf f[8];
  uint8_t rid[ID_LEN];
  (void)state;
  raw[0] = (char)0xdb;
  raw[1] = (char)(big >> 24), raw[2] = (char)(big >> 16);
  raw[3] = (char)(big >> 8), raw[4] = (char)big;
  memset(raw + 5, 'a', big);
  new_rid(rid);
  expect_rejected("7 MiB content", "petition", rid, f,
                  petition_with(f, "content", raw, big + 5), "bad_op");
  free(raw);
}

static void test_cat_scope_and_immutability(void **state) {
  struct rf f[8];
  uint8_t rid[ID_LEN];
  int n;
  (void)state;
  new_rid(rid);
  n = petition_with(f, "commune", "\xa8tan-long", 9);
  expect_rejected("another commune's record", "petition", rid, f, n,
                  "forbidden");
  f[0].name = "commune", f[0].raw = "\xa8tan-long", f[0].len = 9;
  expect_rejected("a record moved to another commune", "petition", existing, f,
                  1, "forbidden");
  f[0].name = "overall", f[0].raw = "\x01", f[0].len = 1;
  expect_rejected("a survey changed after creation", "survey", survey, f, 1,
                  "bad_op");
  f[0].name = "note", f[0].raw = "\xa1x", f[0].len = 2;
  expect_rejected("a petition's id used as a meeting", "meeting", existing, f,
                  1, "bad_op");
  new_rid(rid);
  f[0].name = "response", f[0].raw = "\xa1x", f[0].len = 2;
  expect_rejected("an update of a record that does not exist", "petition", rid,
                  f, 1, "bad_op");
  new_rid(rid);
  expect_rejected("an unknown entity", "vote", rid, f, 1, "bad_op");
  new_rid(rid);
  n = petition_with(f, "content", "\xa1x", 2);
  f[n] = f[n - 1]; /* the same field twice in one set */
  expect_rejected("a field set twice", "petition", rid, f, n + 1, "bad_op");
  new_rid(rid);
  n = petition_with(f, "commune", "\xa7nowhere", 8);
  expect_rejected("a commune not in the district", "petition", rid, f, n,
                  "forbidden");
}

static void test_cat_base_naming_unknown_node(void **state) {
  /* Accepted: a base only closes the versions it names; naming one nobody
   * wrote closes nothing. The op merges. */
  struct buf body, resp;
  struct proto_resp r;
  char err[DS_ERRBUF_LEN], before[65], after[65];
  uint8_t ghost[ID_LEN] = {0xde, 0xad};
  struct op op;
  (void)state;
  th_op_init(&op, ENT_PETITION, existing, dev.node, HLC_FROM_MS(clock_now_ms()),
             ++dev.seq);
  th_set_str(&op, "response", "đã nhận");
  th_base(&op, 5, ghost);
  buf_init(&body, 0);
  buf_init(&resp, 0);
  it_digest(db, NULL, before);
  it_request(&body, &dev, &op, 1, 0);
  assert_int_equal(it_post(&d, &dev, body.data, body.len, &resp), 200);
  assert_int_equal(proto_resp_decode(&r, resp.data, resp.len, err), 0);
  assert_int_equal(r.nrejected, 0);
  /* Merged, not only not rejected: the district's state changed. */
  it_digest(db, NULL, after);
  assert_string_not_equal(before, after);
  proto_resp_cleanup(&r);
  buf_cleanup(&body);
  buf_cleanup(&resp);
}

/* Whole-request refusals: status, code, digest unchanged. */
static void expect_refused(const char *what, const void *body, size_t len,
                           long want, const char *code) {
  struct buf resp;
  char before[65], after[65], got[40];
  long st;
  it_digest(db, NULL, before);
  buf_init(&resp, 0);
  st = it_post(&d, &dev, body, len, &resp);
  it_error_code(&resp, got, sizeof(got));
  if (st != want || strcmp(got, code))
    fail_msg("%s: %ld %s, expected %ld %s", what, st, got, want, code);
  it_digest(db, NULL, after);
  if (strcmp(before, after))
    fail_msg("%s: the digest changed", what);
  buf_cleanup(&resp);
}

static void test_cat_request_codes(void **state) {
  struct buf body;
  struct rf f[8];
  uint8_t rid[ID_LEN];
  (void)state;
  buf_init(&body, 0);
  expect_refused("not msgpack", "{\"v\":1}", 7, 400, "bad_request");
  expect_refused("an array, not a map", "\x93\x01\x02\x03", 4, 400,
                 "bad_request");
  expect_refused("version 2", "\x81\xa1v\x02", 4, 400, "unsupported_version");
  /* A request map repeating a key. */
  new_rid(rid);
  raw_request(&body, dev.seq + 1, "petition", rid, f,
              petition_with(f, "content", "\xa1x", 2));
  body.data[0]++; /* one more pair ... */
  assert_int_equal(mp_put_str(&body, "v", 1) || mp_put_uint(&body, 1), 0);
  expect_refused("a repeated request key", body.data, body.len, 400,
                 "bad_request");
  /* A gap. */
  raw_request(&body, dev.seq + 5, "petition", rid, f,
              petition_with(f, "content", "\xa1x", 2));
  expect_refused("a gap", body.data, body.len, 409, "gap");
  /* Too far ahead. */
  {
    struct op op;
    th_petition(&op, rid, dev.node, HLC_FROM_MS(clock_now_ms() + 7200 * 1000),
                "hoa-an");
    op.seq = dev.seq + 1;
    it_request(&body, &dev, &op, 1, 0);
    expect_refused("an op two hours ahead", body.data, body.len, 409,
                   "clock_skew");
  }
  /* Over 5000 ops, and over 8 MiB. */
  {
    struct op *ops = calloc(5001, sizeof(*ops));
    for (int i = 0; i < 5001; i++) {
      new_rid(rid);
      th_petition(&ops[i], rid, dev.node, HLC_FROM_MS(clock_now_ms()),
                  "hoa-an");
      ops[i].seq = dev.seq + 1 + (uint64_t)i;
    }
    it_request(&body, &dev, ops, 5001, 0);
    expect_refused("5001 ops", body.data, body.len, 413, "too_large");
    free(ops);
    buf_reset(&body);
    assert_int_equal(buf_reserve(&body, 9u << 20), 0);
    memset(body.data, 0xc0, 9u << 20);
    body.len = 9u << 20;
    expect_refused("a 9 MiB body", body.data, body.len, 413, "too_large");
  }
  /* Wrongly signed. */
  {
    struct it_device other = dev;
    crypto_sign_keypair(other.pk, other.sk);
    new_rid(rid);
    raw_request(&body, dev.seq + 1, "petition", rid, f,
                petition_with(f, "content", "\xa1x", 2));
    {
      struct buf resp;
      char code[40];
      buf_init(&resp, 0);
      assert_int_equal(it_post(&d, &other, body.data, body.len, &resp), 401);
      it_error_code(&resp, code, sizeof(code));
      assert_string_equal(code, "unauthorized");
      buf_cleanup(&resp);
    }
  }
  /* Storage failing: another connection holds the write lock past the
   * daemon's busy timeout (200 ms here). */
  {
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), 0);
    /* The daemon may be writing as we ask: wait for it, then hold. */
    sqlite3_busy_timeout(h, 30000);
    assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), 0);
    new_rid(rid);
    raw_request(&body, dev.seq + 1, "petition", rid, f,
                petition_with(f, "content", "\xa1x", 2));
    {
      struct buf resp;
      char code[40];
      buf_init(&resp, 0);
      assert_int_equal(it_post(&d, &dev, body.data, body.len, &resp), 503);
      it_error_code(&resp, code, sizeof(code));
      assert_string_equal(code, "unavailable");
      buf_cleanup(&resp);
    }
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(h);
    /* Nothing was acked: the same op goes through now. */
    {
      struct buf resp;
      buf_init(&resp, 0);
      assert_int_equal(it_post(&d, &dev, body.data, body.len, &resp), 200);
      dev.seq++;
      buf_cleanup(&resp);
    }
  }
  buf_cleanup(&body);
}

static void test_cat_http_shapes(void **state) {
  static const char two_cl[] =
      "POST /v1/sync HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 5\r\n"
      "\r\nabcde";
  static const char bad_chunk[] =
      "POST /v1/sync HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab"
      "\r\n0\r\n\r\n";
  static const char te_identity[] =
      "POST /v1/sync HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n"
      "Content-Length: 4\r\n\r\nabcd";
  static const char bad_method[] = "DELETE /v1/sync HTTP/1.1\r\n\r\n";
  struct buf resp;
  char before[65], after[65];
  (void)state;
  buf_init(&resp, 0);
  it_digest(db, NULL, before);
  it_raw(&d, two_cl, sizeof(two_cl) - 1, false, 10000, &resp);
  assert_non_null(strstr((char *)resp.data, "HTTP/1.1 400"));
  it_raw(&d, bad_chunk, sizeof(bad_chunk) - 1, false, 10000, &resp);
  assert_non_null(strstr((char *)resp.data, "HTTP/1.1 400"));
  it_raw(&d, te_identity, sizeof(te_identity) - 1, false, 10000, &resp);
  assert_non_null(strstr((char *)resp.data, "HTTP/1.1 400"));
  it_raw(&d, bad_method, sizeof(bad_method) - 1, false, 10000, &resp);
  assert_non_null(strstr((char *)resp.data, "HTTP/1.1 405"));
  it_digest(db, NULL, after);
  assert_string_equal(before, after);
  buf_cleanup(&resp);
}

static void test_cat_idle_connections_over_the_cap(void **state) {
  /* The daemon was started with --max-conns 8: with 8 idle connections
   * held, a new one with a real request is served, and an idle one is
   * evicted to make room for it. */
  static const char health[] =
      "GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n";
  static const char ka_health[] = "GET /v1/health HTTP/1.1\r\n\r\n";
  struct buf resp;
  long evicted = it_metric(&d, "dansync_connections_evicted_total");
  struct it_conn kept;
  int fds[7], closed = 0, gone = -1;
  uint64_t t0 = clock_now_ms();
  bool young;
  (void)state;
  buf_init(&resp, 0);
  assert_true(evicted >= 0);
  /* Seven silent ones (not even a ClientHello), and an eighth that has
   * had a request answered over TLS and is kept alive. */
  for (int i = 0; i < 7; i++) {
    fds[i] = it_connect(&d, NULL);
    assert_true(fds[i] >= 0);
  }
  assert_true(it_conn_open(&kept, &d, NULL));
  /* An answer on the 8th proves the daemon accepted all 8. */
  assert_true(it_conn_send(&kept, ka_health, sizeof(ka_health) - 1));
  {
    char b[256];
    ssize_t n = it_conn_recv(&kept, b, sizeof(b) - 1);
    assert_true(n > 0);
  }
  /* The 9th is served all the same. */
  it_raw(&d, health, sizeof(health) - 1, false, 5000, &resp);
  /* Less than a second since the first connect: no silent one has had
   * its second to speak when the 9th came. */
  young = clock_now_ms() - t0 < 1000;
  assert_non_null(strstr((char *)resp.data, "\r\n\r\nok"));
  assert_int_equal(it_metric(&d, "dansync_connections_evicted_total"),
                   evicted + 1);
  /* The kept-alive one between requests made room, and only it. A machine
   * stalled past that second may have let the oldest silent one rank
   * first instead (it has had its second; the kept one was served). */
  for (uint64_t t1 = clock_now_ms(); gone < 0 && clock_now_ms() - t1 < 5000;) {
    if (it_conn_wait_closed(&kept, 20, false, NULL) >= 0)
      gone = 7;
    else if (!young && it_wait_closed(fds[0], 20, NULL) >= 0)
      gone = 0;
  }
  assert_true(young ? gone == 7 : gone >= 0);
  if (gone != 7)
    assert_true(it_conn_wait_closed(&kept, 50, false, NULL) < 0);
  for (int i = 0; i < 7; i++)
    if (i != gone)
      closed += it_wait_closed(fds[i], 50, NULL) >= 0;
  assert_int_equal(closed, 0);
  for (int i = 0; i < 7; i++)
    close(fds[i]);
  it_conn_close(&kept);
  buf_cleanup(&resp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cat_wrong_types_for_every_field),
      cmocka_unit_test(test_cat_values_out_of_range),
      cmocka_unit_test(test_cat_huge_strings),
      cmocka_unit_test(test_cat_scope_and_immutability),
      cmocka_unit_test(test_cat_base_naming_unknown_node),
      cmocka_unit_test(test_cat_request_codes),
      cmocka_unit_test(test_cat_http_shapes),
      cmocka_unit_test(test_cat_idle_connections_over_the_cap),
  };
  return cmocka_run_group_tests_name("it_catalogue", tests, setup_group,
                                     teardown_group);
}
