/* SPDX-License-Identifier: MIT
 * The bundle container (common/bundle.c) and its frames (proto/bundle.c):
 * round trips, and every cut, flip and wrong key refused. */
#include "tests/cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/alloc.h"
#include "common/bundle.h"
#include "common/dsig.h"
#include "proto/bundle.h"

struct fx {
  char dir[64], path[96], copy[96];
  uint8_t ed_pk[32], ed_sk[64], x_pk[32], x_sk[32];
};

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof(*f));
  if (!f || sodium_init() < 0)
    return -1;
  snprintf(f->dir, sizeof(f->dir), "/tmp/test_bundle.XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  snprintf(f->path, sizeof(f->path), "%s/b", f->dir);
  snprintf(f->copy, sizeof(f->copy), "%s/c", f->dir);
  crypto_sign_keypair(f->ed_pk, f->ed_sk);
  if (bundle_x25519(f->ed_pk, f->ed_sk, f->x_pk, f->x_sk))
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  unlink(f->path);
  unlink(f->copy);
  rmdir(f->dir);
  free(f);
  return 0;
}

/* Three frames: a head, a request, an end. */
static void write_three(struct fx *f) {
  struct proto_bundle_frame h;
  struct bundle_writer *w;
  uint8_t sig[64] = {7};
  struct buf b;
  memset(&h, 0, sizeof(h));
  h.node[0] = 1;
  h.made_ms = 5;
  buf_init(&b, 0);
  assert_int_equal(
      bundle_writer_open(&w, f->path, BUNDLE_KIND_EXPORT, f->x_pk, NULL), 0);
  assert_int_equal(proto_bundle_head_encode(&b, &h), 0);
  assert_int_equal(bundle_writer_put(w, b.data, b.len, false), 0);
  buf_reset(&b);
  assert_int_equal(proto_bundle_req_encode(&b, "body", 4, sig), 0);
  assert_int_equal(bundle_writer_put(w, b.data, b.len, false), 0);
  buf_reset(&b);
  assert_int_equal(proto_bundle_end_encode(&b, 2, NULL), 0);
  assert_int_equal(bundle_writer_put(w, b.data, b.len, true), 0);
  assert_int_equal(bundle_writer_close(w, NULL), 0);
  buf_cleanup(&b);
}

struct count {
  int frames, reqs;
};

static int count_frame(void *arg, const uint8_t *frame, size_t len, bool last,
                       const uint8_t digest[32], char *err) {
  struct count *c = arg;
  struct proto_bundle_frame fr;
  int rc = proto_bundle_decode(&fr, frame, len, err);
  (void)digest;
  if (rc)
    return rc;
  c->frames++;
  c->reqs += fr.type == PROTO_BUNDLE_REQ && fr.len == 4 &&
             memcmp(fr.body, "body", 4) == 0;
  assert_int_equal(last, fr.type == PROTO_BUNDLE_END);
  proto_bundle_cleanup(&fr);
  return 0;
}

static int read_back(struct fx *f, const char *path, char kind) {
  struct count c = {0, 0};
  char err[DS_ERRBUF_LEN];
  int rc = bundle_read_all(path, kind, f->x_pk, f->x_sk, "the test",
                           count_frame, &c, err);
  if (!rc) {
    assert_int_equal(c.frames, 3);
    assert_int_equal(c.reqs, 1);
  }
  return rc;
}

static void test_bundle_round_trip(void **state) {
  struct fx *f = *state;
  write_three(f);
  assert_int_equal(read_back(f, f->path, BUNDLE_KIND_EXPORT), 0);
  /* The wrong kind, and another recipient, are refused. */
  assert_int_equal(read_back(f, f->path, BUNDLE_KIND_ANSWER), DS_EINVAL);
  {
    struct fx other = *f;
    crypto_box_keypair(other.x_pk, other.x_sk);
    assert_int_equal(read_back(&other, f->path, BUNDLE_KIND_EXPORT), DS_EPERM);
  }
}

static void copy_prefix(struct fx *f, size_t n, long flip) {
  FILE *in = fopen(f->path, "rb"), *out;
  int ch;
  unlink(f->copy);
  out = fopen(f->copy, "wb");
  assert_non_null(in);
  assert_non_null(out);
  for (size_t i = 0; i < n && (ch = fgetc(in)) != EOF; i++)
    fputc((long)i == flip ? ch ^ 0x10 : ch, out);
  fclose(in);
  fclose(out);
}

static size_t file_size(const char *path) {
  FILE *in = fopen(path, "rb");
  long n;
  assert_non_null(in);
  fseek(in, 0, SEEK_END);
  n = ftell(in);
  fclose(in);
  return (size_t)n;
}

/* Every truncation and every single flipped byte fails a check. */
static void test_bundle_every_cut_and_flip_refused(void **state) {
  struct fx *f = *state;
  size_t n;
  write_three(f);
  n = file_size(f->path);
  for (size_t cut = 0; cut < n; cut++) {
    copy_prefix(f, cut, -1);
    assert_int_not_equal(read_back(f, f->copy, BUNDLE_KIND_EXPORT), 0);
  }
  for (size_t at = 0; at < n; at++) {
    copy_prefix(f, n, (long)at);
    assert_int_not_equal(read_back(f, f->copy, BUNDLE_KIND_EXPORT), 0);
  }
  /* And bytes after the end. */
  copy_prefix(f, n, -1);
  {
    FILE *out = fopen(f->copy, "ab");
    fputc('x', out);
    fclose(out);
  }
  assert_int_equal(read_back(f, f->copy, BUNDLE_KIND_EXPORT), DS_EPROTO);
}

static void test_bundle_writer_refuses_existing(void **state) {
  struct fx *f = *state;
  struct bundle_writer *w;
  write_three(f);
  assert_int_equal(
      bundle_writer_open(&w, f->path, BUNDLE_KIND_EXPORT, f->x_pk, NULL),
      DS_EEXIST);
  assert_int_equal(read_back(f, f->path, BUNDLE_KIND_EXPORT), 0);
}

/* The answer's statement: the signature covers the frames' digest. */
static void test_bundle_signature_binds_digest(void **state) {
  struct fx *f = *state;
  uint8_t d[32] = {1}, sig[64];
  dsig_bundle_sign(f->ed_sk, d, sig);
  assert_true(dsig_bundle_ok(f->ed_pk, d, sig));
  d[31] ^= 1;
  assert_false(dsig_bundle_ok(f->ed_pk, d, sig));
}

/* Frames that are not frames. */
static void test_bundle_frame_decode_refuses(void **state) {
  static const uint8_t not_map[] = {0x91, 0x01};
  static const uint8_t no_t[] = {0x81, 0xa1, 'v', 0x01};
  static const uint8_t bad_t[] = {0x81, 0xa1, 't', 0xa1, 'x'};
  static const uint8_t req_no_sig[] = {0x82, 0xa1, 't',  0xa3, 'r',
                                       'e',  'q',  0xa4, 'b',  'o',
                                       'd',  'y',  0xc4, 0x01, 0x00};
  struct proto_bundle_frame fr;
  (void)state;
  assert_int_equal(proto_bundle_decode(&fr, not_map, sizeof(not_map), NULL),
                   DS_EPROTO);
  assert_int_equal(proto_bundle_decode(&fr, no_t, sizeof(no_t), NULL),
                   DS_EPROTO);
  assert_int_equal(proto_bundle_decode(&fr, bad_t, sizeof(bad_t), NULL),
                   DS_EPROTO);
  assert_int_equal(
      proto_bundle_decode(&fr, req_no_sig, sizeof(req_no_sig), NULL),
      DS_EPROTO);
  assert_null(fr.priv);
}

/* Failing each allocation of a read in turn: an error, never a leak. */
static void test_bundle_read_alloc_failures(void **state) {
  struct fx *f = *state;
  write_three(f);
  for (unsigned long n = 1; n < 64; n++) {
    int rc;
    ds_alloc_fail_after(n);
    rc = read_back(f, f->path, BUNDLE_KIND_EXPORT);
    ds_alloc_fail_after(0);
    if (rc == 0)
      break;
    assert_int_equal(rc, DS_ENOMEM);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_bundle_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bundle_every_cut_and_flip_refused,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_bundle_writer_refuses_existing,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_bundle_signature_binds_digest, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bundle_frame_decode_refuses, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bundle_read_alloc_failures, setup,
                                      teardown),
  };
  return cmocka_run_group_tests_name("bundle", tests, NULL, NULL);
}
