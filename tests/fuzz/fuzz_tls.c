/* SPDX-License-Identifier: MIT
 * libFuzzer target: the daemon's TLS layer (daemon/tls.c) as serve drives
 * it, bytes in, bytes out. The input (after its first byte, which picks
 * how the bytes arrive) is what a client sends: the seeds are recorded
 * ClientHellos, so mutations reach deep into the handshake. Whatever comes
 * out must be taken and freed; once a handshake completes, an answer is
 * written and closed as conn.c does. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tls_ctx *ctx;

static void setup(void) {
  char dir[] = "/tmp/fuzz-tls-XXXXXX", crt[64], key[64], err[DS_ERRBUF_LEN];
  const char *host[] = {"localhost"};
  if (!mkdtemp(dir) || tls_make_cert(dir, host, 1, 30, err))
    abort();
  snprintf(crt, sizeof(crt), "%s/district.crt", dir);
  snprintf(key, sizeof(key), "%s/district.key", dir);
  if (tls_ctx_new(&ctx, crt, key, err))
    abort();
  unlink(crt);
  unlink(key);
  rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char answer[] =
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
  struct tls_conn *t;
  struct buf plain, out;
  size_t off = 0, chunk;
  bool answered = false;

  if (!ctx)
    setup();
  if (size < 1 || tls_conn_new(&t, ctx))
    return 0;
  chunk = 1 + data[0] % 255;
  data++, size--;
  buf_init(&plain, 1u << 20);
  buf_init(&out, 0);
  while (off < size) {
    size_t n = size - off < chunk ? size - off : chunk;
    enum tls_status st = tls_feed(t, data + off, n, &plain);
    off += n;
    if (tls_take(t, &out))
      abort();
    buf_reset(&out);
    if (st != TLS_OK)
      break;
    if (tls_handshake_done(t) && !answered) {
      answered = true;
      if (tls_write(t, answer, sizeof(answer) - 1) == 0)
        tls_close(t);
      if (tls_take(t, &out))
        abort();
      buf_reset(&out);
    }
  }
  tls_conn_free(t);
  buf_cleanup(&plain);
  buf_cleanup(&out);
  return 0;
}
