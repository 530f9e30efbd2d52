/* SPDX-License-Identifier: MIT
 * The wire codec: round trips, and untrusted bytes that must be refused. */
#define _GNU_SOURCE /* memmem */
#include "tests/cm.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/value.h"
#include "proto/codec.h"
#include "proto/mpfmt.h"
#include "proto/mpwalk.h"
#include "tests/helpers.h"

static const uint8_t RID[ID_LEN] = {1, 2, 3};
static const uint8_t NA[ID_LEN] = {0xaa};

/* A request carrying |nops| copies of a valid petition creation. */
static void make_request(struct buf *out, int nops) {
  struct proto_req hdr = {0};
  struct buf ops;
  struct op op;

  buf_init(&ops, 0);
  for (int i = 0; i < nops; i++) {
    th_petition(&op, RID, NA, 1000 + (uint64_t)i, "hoa-an");
    op.seq = 1 + (uint64_t)i;
    assert_int_equal(proto_op_encode(&ops, &op, false), 0);
  }
  memcpy(hdr.node, NA, ID_LEN);
  hdr.ts = 5, hdr.hlc = 6, hdr.cursor = 7, hdr.limit = 100;
  assert_int_equal(
      proto_req_encode(out, &hdr, ops.data, ops.len, (uint32_t)nops), 0);
  buf_cleanup(&ops);
}

static void test_codec_request_roundtrip(void **state) {
  struct proto_req req;
  struct buf body;
  char err[DS_ERRBUF_LEN];
  struct op op;
  (void)state;

  buf_init(&body, 0);
  make_request(&body, 3);
  assert_int_equal(proto_req_decode(&req, body.data, body.len, err), 0);
  assert_int_equal(req.nops, 3);
  assert_int_equal(req.first_seq, 1);
  assert_int_equal(req.cursor, 7);
  assert_false(req.has_cursor_hash);
  assert_int_equal(proto_req_op(&req, 2, &op, NULL, err), 0);
  assert_int_equal(op.seq, 3);
  assert_int_equal(op.hlc, 1002);
  assert_int_equal(op.ent, ENT_PETITION);
  assert_int_equal(op.nset, 5);
  assert_memory_equal(op.node, NA, ID_LEN);
  proto_req_cleanup(&req);
  buf_cleanup(&body);
}

static void test_codec_op_with_base_roundtrip(void **state) {
  struct proto_resp hdr = {0}, resp;
  struct buf body;
  char err[DS_ERRBUF_LEN];
  struct proto_rejected rej = {9, "bad_op", 6, "op 9: no", 8}, r;
  struct op op, back;
  (void)state;

  th_op_init(&op, ENT_PETITION, RID, NA, 500, 4);
  th_set_status(&op, 1, "escalated");
  th_base(&op, 400, NA);
  th_base(&op, 300, RID);
  th_set_str(&op, "escalated_to", "Phòng Tài nguyên");
  buf_init(&body, 0);
  hdr.acked = 4, hdr.hlc = 600, hdr.cursor = 12, hdr.more = true;
  hdr.has_cursor_hash = true;
  memset(hdr.cursor_hash, 0x5a, PROTO_HASH_LEN);
  hdr.nops = 1;
  assert_int_equal(proto_resp_begin(&body, &hdr), 0);
  assert_int_equal(proto_op_encode(&body, &op, true), 0);
  assert_int_equal(proto_resp_end(&body, &rej, 1), 0);
  assert_int_equal(proto_resp_decode(&resp, body.data, body.len, err), 0);
  assert_true(resp.more);
  assert_true(resp.has_cursor_hash);
  assert_int_equal(resp.cursor_hash[31], 0x5a);
  assert_int_equal(proto_resp_op(&resp, 0, &back, err), 0);
  assert_int_equal(back.nbase, 2);
  assert_int_equal(back.set[0].nbase, 2);
  assert_int_equal(back.base[1].hlc, 300);
  assert_int_equal(back.set[0].val.type, VAL_STATUS);
  assert_int_equal(back.set[0].val.i, 1);
  assert_int_equal(proto_resp_rejected(&resp, 0, &r), 0);
  assert_int_equal(r.seq, 9);
  assert_memory_equal(r.error, "bad_op", 6);
  proto_resp_cleanup(&resp);
  buf_cleanup(&body);
}

/* The daemon keeps ops as the bytes the device signed: each op's span in
 * the body, wherever "ops" sits in the map, and its response form. */
static void test_codec_op_spans_and_node(void **state) {
  static const uint8_t NB[ID_LEN] = {0xbb, 1};
  struct buf body, moved, enc, wire;
  char err[DS_ERRBUF_LEN];
  struct proto_req req;
  const uint8_t *at;
  size_t k;
  (void)state;

  buf_init(&body, 0);
  buf_init(&moved, 0);
  buf_init(&enc, 0);
  buf_init(&wire, 0);
  make_request(&body, 3);
  /* The same request with "ops" as its first key. */
  at = memmem(body.data, body.len, "\xa3ops", 4);
  assert_non_null(at);
  k = (size_t)(at - body.data);
  assert_int_equal(buf_append(&moved, body.data, 1), 0);
  assert_int_equal(buf_append(&moved, at, body.len - k), 0);
  assert_int_equal(buf_append(&moved, body.data + 1, k - 1), 0);
  for (int pass = 0; pass < 2; pass++) {
    const struct buf *b = pass ? &moved : &body;
    assert_int_equal(proto_req_decode(&req, b->data, b->len, err), 0);
    for (uint32_t i = 0; i < 3; i++) {
      struct op op, back;
      uint32_t off, len;
      void *priv;
      th_petition(&op, RID, NA, 1000 + i, "hoa-an");
      op.seq = 1 + i;
      buf_reset(&enc);
      assert_int_equal(proto_op_encode(&enc, &op, false), 0);
      proto_req_op_span(&req, i, &off, &len);
      assert_int_equal(len, enc.len);
      assert_memory_equal(b->data + off, enc.data, enc.len);
      buf_reset(&wire);
      assert_int_equal(proto_op_with_node(&wire, b->data + off, len, NB), 0);
      assert_int_equal(
          proto_op_decode(wire.data, wire.len, &back, true, &priv, err), 0);
      assert_memory_equal(back.node, NB, ID_LEN);
      assert_int_equal(back.seq, 1 + i);
      assert_int_equal(back.hlc, 1000 + i);
      assert_int_equal(back.nset, 5);
      proto_op_release(priv);
    }
    proto_req_cleanup(&req);
  }
  /* Not a map: refused. */
  assert_int_equal(proto_op_with_node(&wire,
                                      (const uint8_t *)"\x93\x01\x02"
                                                       "\x03",
                                      4, NB),
                   DS_EPROTO);
  assert_int_equal(proto_op_with_node(&wire, (const uint8_t *)"", 0, NB),
                   DS_EPROTO);
  buf_cleanup(&body);
  buf_cleanup(&moved);
  buf_cleanup(&enc);
  buf_cleanup(&wire);
}

static void test_codec_truncations_are_refused(void **state) {
  struct proto_req req;
  struct buf body;
  char err[DS_ERRBUF_LEN];
  (void)state;

  buf_init(&body, 0);
  make_request(&body, 2);
  for (size_t n = 0; n < body.len; n++)
    assert_int_equal(proto_req_decode(&req, body.data, n, err), DS_EPROTO);
  buf_cleanup(&body);
}

static void test_codec_every_byte_flip_is_safe(void **state) {
  struct proto_req req;
  struct buf body;
  char err[DS_ERRBUF_LEN];
  struct op op;
  (void)state;

  buf_init(&body, 0);
  make_request(&body, 2);
  for (size_t i = 0; i < body.len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      body.data[i] ^= (uint8_t)(1 << bit);
      if (proto_req_decode(&req, body.data, body.len, err) == 0) {
        for (uint32_t k = 0; k < req.nops; k++) {
          int rc = proto_req_op(&req, k, &op, NULL, err);
          assert_true(rc == 0 || rc == DS_EBADOP);
        }
        proto_req_cleanup(&req);
      }
      body.data[i] ^= (uint8_t)(1 << bit);
    }
  }
  buf_cleanup(&body);
}

static void test_codec_huge_lengths_and_depth(void **state) {
  /* A map claiming 2^32-1 pairs, an array claiming 2^32-1 items, a str
   * claiming 4 GiB: all longer than the bytes present. */
  const uint8_t map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'v', 1};
  const uint8_t arr[] = {0x81, 0xa3, 'o',  'p',  's',
                         0xdd, 0xff, 0xff, 0xff, 0xff};
  const uint8_t str[] = {0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
  uint8_t deep[64];
  struct proto_req req;
  char err[DS_ERRBUF_LEN];
  size_t used;
  (void)state;

  assert_int_equal(proto_req_decode(&req, map, sizeof(map), err), DS_EPROTO);
  assert_int_equal(proto_req_decode(&req, arr, sizeof(arr), err), DS_EPROTO);
  assert_int_equal(proto_req_decode(&req, str, sizeof(str), err), DS_EPROTO);
  for (size_t i = 0; i < sizeof(deep) - 1; i++)
    deep[i] = 0x91; /* [[[[...]]]] */
  deep[sizeof(deep) - 1] = 0xc0;
  assert_int_equal(mpwalk(deep, sizeof(deep), PROTO_MAX_DEPTH, &used),
                   DS_EPROTO);
  deep[0] = 0x81; /* {x: [[[...]]]} with a nil key */
  deep[1] = 0xc0;
  assert_int_equal(proto_req_decode(&req, deep, sizeof(deep), err), DS_EPROTO);
}

/* DESIGN §11: a device reports a head the district's log no longer holds
 * in an optional "lost_head" {cursor, cursor_hash} of its (signed) request;
 * any other shape of it refuses the request. */
static void test_codec_lost_head(void **state) {
  static const uint8_t key[] = "\xa9lost_head\x82\xa6"
                               "cursor";
  struct proto_req hdr = {0}, req;
  char err[DS_ERRBUF_LEN];
  struct buf body;
  uint8_t *at;
  (void)state;

  buf_init(&body, 0);
  memcpy(hdr.node, NA, ID_LEN);
  hdr.cursor = 9, hdr.limit = 1;
  hdr.has_lost_head = true;
  hdr.lost_cursor = 48;
  memset(hdr.lost_hash, 0x5a, PROTO_HASH_LEN);
  assert_int_equal(proto_req_encode(&body, &hdr, NULL, 0, 0), 0);
  assert_int_equal(proto_req_decode(&req, body.data, body.len, err), 0);
  assert_true(req.has_lost_head);
  assert_int_equal(req.lost_cursor, 48);
  assert_memory_equal(req.lost_hash, hdr.lost_hash, PROTO_HASH_LEN);
  assert_int_equal(req.cursor, 9);
  proto_req_cleanup(&req);
  /* A misspelt member of it. */
  at = memmem(body.data, body.len, key, sizeof(key) - 1);
  assert_non_null(at);
  at[sizeof(key) - 2] = 's'; /* "cursos" */
  assert_int_equal(proto_req_decode(&req, body.data, body.len, err), DS_EPROTO);
  assert_non_null(strstr(err, "lost_head"));
  /* Without it, none is decoded. */
  buf_reset(&body);
  hdr.has_lost_head = false;
  assert_int_equal(proto_req_encode(&body, &hdr, NULL, 0, 0), 0);
  assert_null(memmem(body.data, body.len, "lost_head", 9));
  assert_int_equal(proto_req_decode(&req, body.data, body.len, err), 0);
  assert_false(req.has_lost_head);
  proto_req_cleanup(&req);
  buf_cleanup(&body);
}

/* A request's head (proto_req_head) with every optional member and the
 * largest numbers fits the room the device leaves for it in front of the
 * ops it reads into the body (PROTO_REQ_HEAD_MAX), and head + ops is what
 * proto_req_encode makes. */
static void test_codec_req_head_max(void **state) {
  struct proto_req hdr = {0};
  struct buf head, whole;
  static const uint8_t ops[3] = {0x80, 0x80, 0x80}; /* three empty maps */
  (void)state;

  buf_init(&head, 0);
  buf_init(&whole, 0);
  memset(hdr.node, 0xff, ID_LEN);
  hdr.ts = hdr.hlc = hdr.cursor = hdr.limit = UINT64_MAX;
  hdr.has_cursor_hash = hdr.has_lost_head = true;
  hdr.lost_cursor = UINT64_MAX;
  assert_int_equal(proto_req_head(&head, &hdr, UINT32_MAX), 0);
  assert_true(head.len <= PROTO_REQ_HEAD_MAX);
  assert_int_equal(head.len, 211);
  buf_reset(&head);
  assert_int_equal(proto_req_head(&head, &hdr, 3), 0);
  assert_int_equal(proto_req_encode(&whole, &hdr, ops, sizeof(ops), 3), 0);
  assert_int_equal(whole.len, head.len + sizeof(ops));
  assert_memory_equal(whole.data, head.data, head.len);
  assert_memory_equal(whole.data + head.len, ops, sizeof(ops));
  buf_cleanup(&head);
  buf_cleanup(&whole);
}

/* The district says in its (signed) answer that it no longer held the
 * request's head and answered the pull from 0 (DESIGN §11); an answer
 * without the key is read as before. */
static void test_codec_head_lost_answer(void **state) {
  struct proto_resp hdr, resp;
  char err[DS_ERRBUF_LEN];
  struct buf body;
  (void)state;
  buf_init(&body, 0);
  for (int lost = 0; lost < 2; lost++) {
    memset(&hdr, 0, sizeof(hdr));
    hdr.acked = 3, hdr.cursor = 12, hdr.head_lost = lost;
    buf_reset(&body);
    assert_int_equal(proto_resp_begin(&body, &hdr), 0);
    assert_int_equal(proto_resp_end(&body, NULL, 0), 0);
    assert_int_equal(proto_resp_decode(&resp, body.data, body.len, err), 0);
    assert_int_equal(resp.head_lost, lost);
    assert_int_equal(resp.cursor, 12);
    assert_int_equal(memmem(body.data, body.len, "head_lost", 9) != NULL, lost);
    proto_resp_cleanup(&resp);
  }
  buf_cleanup(&body);
}

static void test_codec_not_a_request(void **state) {
  const uint8_t garbage[] = "GET / HTTP/1.1\r\n";
  const uint8_t not_map[] = {0x93, 1, 2, 3};
  const uint8_t v2[] = {0x81, 0xa1, 'v', 0x02};
  const uint8_t trailing[] = {0x80, 0x80};
  struct proto_req req;
  char err[DS_ERRBUF_LEN];
  (void)state;

  assert_int_equal(proto_req_decode(&req, garbage, sizeof(garbage) - 1, err),
                   DS_EPROTO);
  assert_int_equal(proto_req_decode(&req, not_map, sizeof(not_map), err),
                   DS_EPROTO);
  assert_int_equal(proto_req_decode(&req, v2, sizeof(v2), err), DS_EVERSION);
  assert_int_equal(proto_req_decode(&req, trailing, sizeof(trailing), err),
                   DS_EPROTO);
  assert_int_equal(proto_req_decode(&req, not_map, 0, err), DS_EPROTO);
}

/* Builds a request with one op whose "set" is {field: <raw value bytes>}. */
static void one_field_request(struct buf *out, const char *ent,
                              const char *field, const uint8_t *raw,
                              size_t rawlen) {
  struct buf op;
  struct proto_req hdr = {0};
  buf_init(&op, 0);
  assert_int_equal(buf_putc(&op, 0x85), 0);
  assert_int_equal(mp_put_str(&op, "seq", 3) || mp_put_uint(&op, 3), 0);
  assert_int_equal(mp_put_str(&op, "hlc", 3) || mp_put_uint(&op, 77), 0);
  assert_int_equal(
      mp_put_str(&op, "ent", 3) || mp_put_str(&op, ent, strlen(ent)), 0);
  assert_int_equal(mp_put_str(&op, "rid", 3) || mp_put_bin(&op, RID, ID_LEN),
                   0);
  assert_int_equal(mp_put_str(&op, "set", 3) || buf_putc(&op, 0x81) ||
                       mp_put_str(&op, field, strlen(field)) ||
                       buf_append(&op, raw, rawlen),
                   0);
  hdr.limit = 10;
  assert_int_equal(proto_req_encode(out, &hdr, op.data, op.len, 1), 0);
  buf_cleanup(&op);
}

static void expect_bad_op(const char *ent, const char *field,
                          const uint8_t *raw, size_t rawlen, const char *want) {
  struct proto_req req;
  struct buf body;
  char err[DS_ERRBUF_LEN];
  struct op op;

  buf_init(&body, 0);
  one_field_request(&body, ent, field, raw, rawlen);
  assert_int_equal(proto_req_decode(&req, body.data, body.len, err), 0);
  assert_int_equal(proto_req_op(&req, 0, &op, NULL, err), DS_EBADOP);
  assert_int_equal(op.seq, 3);
  if (!strstr(err, want))
    fail_msg("'%s' does not contain '%s'", err, want);
  proto_req_cleanup(&req);
  buf_cleanup(&body);
}

static void test_codec_bad_values_name_op_and_field(void **state) {
  const uint8_t big[] = {0xce, 0x00, 0x01, 0x86, 0xa1}; /* 100001 */
  const uint8_t str5[] = {0xa1, '5'};
  const uint8_t flt[] = {0xcb, 0x40, 0x45, 0, 0, 0, 0, 0, 0};
  const uint8_t badutf[] = {0xa2, 0xc3, 0x28};
  const uint8_t nul[] = {0xa3, 'a', 0, 'b'};
  const uint8_t date[] = {0xaa, '2', '0', '2', '4', '-',
                          '0',  '2', '-', '3', '0'};
  const uint8_t status[] = {0x92, 0x00, 0xa4, 'd', 'o', 'n', 'e'};
  const uint8_t neg[] = {0xff};
  (void)state;

  expect_bad_op("meeting", "attendees", big, sizeof(big),
                "op 3: field 'attendees' must be an integer 0..100000");
  expect_bad_op("meeting", "attendees", str5, sizeof(str5),
                "must be an integer");
  expect_bad_op("meeting", "attendees", flt, sizeof(flt), "must be an integer");
  expect_bad_op("petition", "citizen", badutf, sizeof(badutf), "UTF-8");
  expect_bad_op("petition", "citizen", nul, sizeof(nul), "NUL");
  expect_bad_op("petition", "due_on", date, sizeof(date), "YYYY-MM-DD");
  expect_bad_op("petition", "status", status, sizeof(status), "one of");
  expect_bad_op("visit", "gift_vnd", neg, sizeof(neg), "at least 0");
  expect_bad_op("petition", "colour", neg, sizeof(neg),
                "a petition has no field 'colour'");
  expect_bad_op("vote", "x", neg, sizeof(neg), "unknown entity 'vote'");
}

static void test_codec_error_body_roundtrip(void **state) {
  struct buf b;
  char code[32], msg[128];
  bool has;
  uint64_t exp = 0;
  (void)state;

  buf_init(&b, 0);
  assert_int_equal(proto_error_encode(&b, PROTO_E_GAP, "send from 5", true, 5),
                   0);
  assert_int_equal(proto_error_decode(b.data, b.len, code, sizeof(code), msg,
                                      sizeof(msg), &has, &exp),
                   0);
  assert_string_equal(code, "gap");
  assert_string_equal(msg, "send from 5");
  assert_true(has);
  assert_int_equal(exp, 5);
  buf_cleanup(&b);
}

static void test_codec_too_many_ops(void **state) {
  struct proto_req req;
  struct buf body;
  char err[DS_ERRBUF_LEN];
  (void)state;
  buf_init(&body, 0);
  make_request(&body, PROTO_MAX_OPS + 1);
  assert_int_equal(proto_req_decode(&req, body.data, body.len, err),
                   DS_ETOOBIG);
  buf_cleanup(&body);
}

static void test_codec_alloc_failures_leak_nothing(void **state) {
  struct proto_req req;
  struct buf body;
  char err[DS_ERRBUF_LEN];
  unsigned long n;
  (void)state;

  buf_init(&body, 0);
  make_request(&body, 2);
  ds_alloc_fail_after(0);
  assert_int_equal(proto_req_decode(&req, body.data, body.len, err), 0);
  proto_req_cleanup(&req);
  n = ds_alloc_fail_after(0);
  assert_true(n >= 1);
  for (unsigned long i = 1; i <= n; i++) {
    ds_alloc_fail_after(i);
    assert_int_equal(proto_req_decode(&req, body.data, body.len, err),
                     DS_ENOMEM);
  }
  ds_alloc_fail_after(0);
  buf_cleanup(&body);
}

/* The container headers the codec writes (mp_put_map, mp_put_array) and
 * reads back (mpwalk_container): the smallest form of each count, and a
 * map's header never read as an array's. */
static void test_codec_container_headers(void **state) {
  static const struct {
    uint32_t n;
    uint8_t map_tag, array_tag;
    size_t hlen;
  } cases[] = {{0, MP_FIXMAP, MP_FIXARRAY, 1},
               {15, MP_FIXMAP | 15, MP_FIXARRAY | 15, 1},
               {16, MP_MAP16, MP_ARRAY16, 3},
               {65535, MP_MAP16, MP_ARRAY16, 3},
               {65536, MP_MAP32, MP_ARRAY32, 5}};
  struct buf b;
  (void)state;

  buf_init(&b, 0);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    for (int map = 0; map < 2; map++) {
      uint32_t count = 0;
      size_t hlen = 0;
      buf_reset(&b);
      assert_int_equal(
          map ? mp_put_map(&b, cases[i].n) : mp_put_array(&b, cases[i].n), 0);
      assert_int_equal(b.len, cases[i].hlen);
      assert_int_equal(b.data[0], map ? cases[i].map_tag : cases[i].array_tag);
      assert_int_equal(mpwalk_container(b.data, b.len, map, &count, &hlen), 0);
      assert_int_equal(count, cases[i].n);
      assert_int_equal(hlen, cases[i].hlen);
      assert_int_equal(mpwalk_container(b.data, b.len, !map, &count, &hlen),
                       DS_EPROTO);
      /* A header cut short is not one. */
      assert_int_equal(mpwalk_container(b.data, b.len - 1, map, &count, &hlen),
                       DS_EPROTO);
    }
  }
  buf_cleanup(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_codec_request_roundtrip),
      cmocka_unit_test(test_codec_op_with_base_roundtrip),
      cmocka_unit_test(test_codec_op_spans_and_node),
      cmocka_unit_test(test_codec_container_headers),
      cmocka_unit_test(test_codec_truncations_are_refused),
      cmocka_unit_test(test_codec_every_byte_flip_is_safe),
      cmocka_unit_test(test_codec_huge_lengths_and_depth),
      cmocka_unit_test(test_codec_not_a_request),
      cmocka_unit_test(test_codec_lost_head),
      cmocka_unit_test(test_codec_head_lost_answer),
      cmocka_unit_test(test_codec_bad_values_name_op_and_field),
      cmocka_unit_test(test_codec_error_body_roundtrip),
      cmocka_unit_test(test_codec_too_many_ops),
      cmocka_unit_test(test_codec_req_head_max),
      cmocka_unit_test(test_codec_alloc_failures_leak_nothing),
  };
  return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
