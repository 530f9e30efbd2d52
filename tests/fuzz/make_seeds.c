/* SPDX-License-Identifier: MIT
 * Writes the seed corpora under tests/fuzz/corpus (checked in): real
 * requests, responses and error bodies made with the codec. Run it again
 * only when the wire format changes. */
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>
#include <sys/stat.h>

#include <sodium.h>
#include <unistd.h>

#include "common/bundle.h"
#include "common/clock.h"
#include "proto/bundle.h"
#include "proto/codec.h"
#include "tests/helpers.h"

static void save(const char *dir, const char *name, const struct buf *b) {
  char path[512];
  FILE *f;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f || fwrite(b->data, 1, b->len, f) != b->len)
    perror(path);
  if (f)
    fclose(f);
}

/* A client's first flight, as OpenSSL sends it, at most TLS |max|. */
static void client_hello(const char *dir, const char *name, int max) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL *ssl = SSL_new(ctx);
  BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
  struct buf b;
  char *p;
  long n;
  buf_init(&b, 0);
  SSL_CTX_set_max_proto_version(ctx, max);
  SSL_set_bio(ssl, r, w);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_connect(ssl); /* wants to read the ServerHello: its hello is out */
  n = BIO_get_mem_data(w, &p);
  if (n > 0) {
    uint8_t pick = 16; /* the harness's first byte: 17-byte chunks */
    if (buf_append(&b, &pick, 1) == 0 && buf_append(&b, p, (size_t)n) == 0)
      save(dir, name, &b);
  }
  buf_cleanup(&b);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
}

/* |mode| then |b|, as fuzz_bundle takes it. */
static void save_mode(const char *dir, const char *name, uint8_t mode,
                      const struct buf *b) {
  struct buf m;
  buf_init(&m, 0);
  if (buf_putc(&m, mode) == 0 && buf_append(&m, b->data, b->len) == 0)
    save(dir, name, &m);
  buf_cleanup(&m);
}

/* Bundles: single frames (mode 0) and whole files (mode 1) sealed to the
 * fuzz target's fixed key. */
static int bundle_seeds(const char *root, const struct buf *req,
                        const struct buf *resp) {
  uint8_t seed[32], pk[32], sk[64], x_pk[32], x_sk[32], sig[64] = {0};
  struct proto_bundle_frame head;
  char dir[512], path[600];
  struct buf f[3], whole;
  int rc = 0;

  if (sodium_init() < 0)
    return 1;
  memset(seed, 0x42, sizeof(seed)); /* FUZZ_KEY_SEED in fuzz_bundle.c */
  crypto_sign_seed_keypair(pk, sk, seed);
  if (bundle_x25519(pk, sk, x_pk, x_sk))
    return 1;
  snprintf(dir, sizeof(dir), "%s/bundle", root);
  mkdir(dir, 0755);
  memset(&head, 0, sizeof(head));
  head.node[0] = 0xaa;
  head.id[0] = 1;
  head.made_ms = 1700000000000ull;
  head.has_key = true;
  memcpy(head.key, pk, 32);
  snprintf(head.token, sizeof(head.token), "%064d", 7);
  for (int i = 0; i < 3; i++)
    buf_init(&f[i], 0);
  buf_init(&whole, 0);
  rc |= proto_bundle_head_encode(&f[0], &head);
  rc |= proto_bundle_req_encode(&f[1], req->data, req->len, sig);
  rc |= proto_bundle_end_encode(&f[2], 2, sig);
  save_mode(dir, "frame-head", 0, &f[0]);
  save_mode(dir, "frame-req", 0, &f[1]);
  save_mode(dir, "frame-end", 0, &f[2]);
  for (int kind = 0; kind < 2 && !rc; kind++) {
    struct bundle_writer *w;
    FILE *in;
    long n;
    snprintf(path, sizeof(path), "%s/.seed.tmp", dir);
    unlink(path);
    if (kind == 1) { /* an answer: head, a response, end */
      head.answer = true;
      head.has_key = false;
      head.token[0] = '\0';
      buf_reset(&f[0]);
      buf_reset(&f[1]);
      rc |= proto_bundle_head_encode(&f[0], &head);
      rc |= proto_bundle_resp_encode(&f[1], 200, seed, resp->data, resp->len);
      save_mode(dir, "frame-resp", 0, &f[1]);
    }
    rc |= bundle_writer_open(
        &w, path, kind ? BUNDLE_KIND_ANSWER : BUNDLE_KIND_EXPORT, x_pk, NULL);
    for (int i = 0; i < 3 && !rc; i++)
      rc |= bundle_writer_put(w, f[i].data, f[i].len, i == 2);
    rc |= bundle_writer_close(w, NULL);
    in = fopen(path, "rb");
    buf_reset(&whole);
    while (in && (n = fgetc(in)) != EOF)
      rc |= buf_putc(&whole, (uint8_t)n);
    if (in)
      fclose(in);
    unlink(path);
    save_mode(dir, kind ? "whole-answer" : "whole-export", 1, &whole);
  }
  for (int i = 0; i < 3; i++)
    buf_cleanup(&f[i]);
  buf_cleanup(&whole);
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  const char *root = argc > 1 ? argv[1] : "tests/fuzz/corpus";
  uint8_t node[ID_LEN] = {0xaa, 1}, rid[ID_LEN] = {1, 2, 3};
  struct proto_req hdr = {0};
  struct proto_resp rh = {0};
  struct proto_rejected rej = {2, "forbidden", 9, "op 2: not yours", 15};
  struct buf ops, b;
  char dir[512];
  struct op op[4];

  buf_init(&ops, 0);
  buf_init(&b, 0);
  th_petition(&op[0], rid, node, 1000, "hoa-an");
  th_op_init(&op[1], ENT_PETITION, rid, node, 2000, 2);
  th_set_status(&op[1], 0, "escalated");
  th_base(&op[1], 1000, node);
  th_set_str(&op[1], "escalated_to", "Phòng Tài nguyên và Môi trường");
  rid[0] = 9;
  th_op_init(&op[2], ENT_MEETING, rid, node, 3000, 3);
  th_set_int(&op[2], "attendees", 42);
  th_set_str(&op[2], "commune", "tan-long");
  th_set_str(&op[2], "held_on", "2024-03-15");
  th_set_bool(&op[2], "voided", 0);
  rid[0] = 10;
  th_op_init(&op[3], ENT_SURVEY, rid, node, 4000, 4);
  th_set_str(&op[3], "commune", "hoa-an");
  th_set_int(&op[3], "overall", 5);
  th_set_str(&op[3], "service", "land");
  th_set_str(&op[3], "taken_on", "2024-03-15");
  memcpy(hdr.node, node, ID_LEN);
  hdr.hlc = 5000, hdr.limit = 100;
  for (int k = 1; k <= 4; k++) {
    char name[32];
    buf_reset(&ops);
    for (int i = 0; i < k; i++)
      if (proto_op_encode(&ops, &op[i], false))
        return 1;
    buf_reset(&b);
    if (proto_req_encode(&b, &hdr, ops.data, ops.len, (uint32_t)k))
      return 1;
    snprintf(name, sizeof(name), "request-%d", k);
    snprintf(dir, sizeof(dir), "%s/request", root);
    save(dir, name, &b);
    snprintf(dir, sizeof(dir), "%s/merge", root);
    save(dir, name, &b);
  }
  /* HTTP: the first byte picks the chunk size the bytes arrive in. */
  snprintf(dir, sizeof(dir), "%s/http", root);
  {
    struct buf req;
    buf_init(&req, 0);
    if (buf_printf(&req,
                   "%cPOST /v1/sync HTTP/1.1\r\nHost: d\r\n"
                   "Content-Type: application/msgpack\r\n"
                   "Content-Length: %zu\r\n\r\n",
                   7, b.len) ||
        buf_append(&req, b.data, b.len) ||
        buf_printf(&req, "GET /v1/health HTTP/1.1\r\n\r\n"))
      return 1;
    save(dir, "sync-then-health", &req);
    buf_reset(&req);
    if (buf_printf(&req,
                   "%cPOST /v1/sync HTTP/1.1\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n%zx\r\n",
                   30, b.len) ||
        buf_append(&req, b.data, b.len) || buf_printf(&req, "\r\n0\r\n\r\n"))
      return 1;
    save(dir, "sync-chunked", &req);
    buf_cleanup(&req);
  }
  snprintf(dir, sizeof(dir), "%s/response", root);
  rh.acked = 4, rh.hlc = 6000, rh.cursor = 9, rh.more = true, rh.nops = 2;
  rh.has_cursor_hash = true;
  memset(rh.cursor_hash, 7, sizeof(rh.cursor_hash));
  buf_reset(&b);
  if (proto_resp_begin(&b, &rh) || proto_op_encode(&b, &op[0], true) ||
      proto_op_encode(&b, &op[1], true) || proto_resp_end(&b, &rej, 1))
    return 1;
  save(dir, "response-ops", &b);
  buf_reset(&b);
  if (proto_error_encode(&b, "gap", "send from 5", true, 5))
    return 1;
  save(dir, "error-gap", &b);
  buf_reset(&b);
  if (proto_op_encode(&b, &op[2], true))
    return 1;
  save(dir, "op-meeting", &b);
  {
    struct buf req, resp;
    buf_init(&req, 0);
    buf_init(&resp, 0);
    buf_reset(&ops);
    if (proto_resp_begin(&resp, &rh) || proto_op_encode(&resp, &op[0], true) ||
        proto_op_encode(&resp, &op[1], true) ||
        proto_resp_end(&resp, &rej, 1) ||
        proto_op_encode(&ops, &op[0], false) ||
        proto_req_encode(&req, &hdr, ops.data, ops.len, 1))
      return 1;
    if (bundle_seeds(root, &req, &resp))
      return 1;
    buf_cleanup(&req);
    buf_cleanup(&resp);
  }
  snprintf(dir, sizeof(dir), "%s/tls", root);
  mkdir(dir, 0755);
  client_hello(dir, "clienthello-tls13", TLS1_3_VERSION);
  client_hello(dir, "clienthello-tls12", TLS1_2_VERSION);
  client_hello(dir, "clienthello-tls10", TLS1_VERSION);
  buf_cleanup(&ops);
  buf_cleanup(&b);
  return 0;
}
