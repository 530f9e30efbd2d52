/* SPDX-License-Identifier: MIT
 * it_util.c -- integration-test harness. Waits are on conditions (a file
 * appearing, a process exiting), polled at 10 ms, each bounded. */
#include "tests/it_util.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/hex.h"
#include "common/token.h"
#include "common/hlc.h"
#include "proto/codec.h"

static char tmpdir[256];

_Noreturn static void die(const char *what) {
  fprintf(stderr, "it_util: %s\n", what);
  abort();
}

const char *it_tmpdir(void) {
  if (!tmpdir[0]) {
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/dansync-it-XXXXXX");
    if (!mkdtemp(tmpdir))
      die("mkdtemp failed");
  }
  return tmpdir;
}

void it_tmp_cleanup(void) {
  if (getenv("IT_KEEP"))
    return;
  if (tmpdir[0]) {
    const char *argv[] = {"rm", "-rf", tmpdir, NULL};
    it_run(argv, NULL);
    tmpdir[0] = '\0';
  }
}

int it_run(const char *const *argv, struct buf *out) {
  int fds[2], status;
  pid_t pid;

  if (pipe(fds))
    return -1;
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  for (;;) {
    char chunk[4096];
    ssize_t n = read(fds[0], chunk, sizeof(chunk));
    if (n <= 0)
      break;
    if (out && buf_append(out, chunk, (size_t)n))
      die("out of memory");
  }
  close(fds[0]);
  if (out && buf_cstr(out))
    die("out of memory");
  if (waitpid(pid, &status, 0) != pid)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void wait_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

void it_daemon_start(struct it_daemon *d, const char *db,
                     const char *const *extra) {
  char portfile[600];
  const char *argv[32];
  int n = 0;

  snprintf(d->db, sizeof(d->db), "%s", db);
  snprintf(portfile, sizeof(portfile), "%s.port", db);
  if (access(db, F_OK) != 0) {
    const char *init[] = {DANSYNCD_BIN, "--db", db, "init", NULL};
    if (it_run(init, NULL) != 0)
      die("dansyncd init failed");
  }
  unlink(portfile);
  argv[n++] = DANSYNCD_BIN;
  argv[n++] = "--db";
  argv[n++] = d->db;
  argv[n++] = "serve";
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  argv[n++] = "--port-file";
  argv[n++] = portfile;
  for (int i = 0; extra && extra[i] && n < 30; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  d->pid = fork();
  if (d->pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    /* As a service manager starts it: an ignored SIGPIPE of the test's
     * would otherwise be inherited and hide a daemon that dies of one. */
    signal(SIGPIPE, SIG_DFL);
    if (d->log[0])
      dup2(open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600), 2);
    else if (!getenv("IT_VERBOSE"))
      dup2(null, 2);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  /* Wait for the port file: the daemon writes it once it listens. */
  for (int i = 0; i < 1000; i++) {
    FILE *f = fopen(portfile, "r");
    int status;
    if (f) {
      int ok = fscanf(f, "%d", &d->port) == 1;
      fclose(f);
      if (ok) {
        snprintf(d->url, sizeof(d->url), "%s://127.0.0.1:%d",
                 d->pin[0] ? "https" : "http", d->port);
        return;
      }
    }
    if (waitpid(d->pid, &status, WNOHANG) == d->pid)
      die("dansyncd exited at start");
    wait_ms(10);
  }
  die("dansyncd did not start listening within 10 s");
}

void it_tls_cert(struct it_daemon *d, const char *dir, char *crt, char *key,
                 size_t cap) {
  const char *init[] = {DANSYNCD_BIN, "tls",       "init",   "--out",     dir,
                        "--host",     "localhost", "--host", "127.0.0.1", NULL};
  const char *pin[] = {DANSYNCD_BIN, "tls", "pin", "--cert", crt, NULL};
  struct buf out;

  snprintf(crt, cap, "%s/district.crt", dir);
  snprintf(key, cap, "%s/district.key", dir);
  buf_init(&out, 0);
  if (it_run(init, NULL) != 0 || it_run(pin, &out) != 0 ||
      strncmp((const char *)out.data, "sha256//", 8))
    die("dansyncd tls init or tls pin failed");
  snprintf(d->pin, sizeof(d->pin), "%.*s",
           (int)strcspn((const char *)out.data, "\n"), (const char *)out.data);
  buf_cleanup(&out);
}

int it_daemon_stop(struct it_daemon *d, bool kill9) {
  int status = 0;
  kill(d->pid, kill9 ? SIGKILL : SIGTERM);
  if (waitpid(d->pid, &status, 0) != d->pid)
    return -1;
  d->pid = 0;
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

void it_device_new(struct it_device *dev, const char *db, const char *commune) {
  const char *argv[] = {DANSYNCD_BIN, "--db",  db,  "enroll",
                        "--commune",  commune, NULL};
  struct buf out;
  memset(dev, 0, sizeof(*dev));
  buf_init(&out, 0);
  struct token t;
  char err[DS_ERRBUF_LEN];
  if (it_run(argv, &out) != 0 || buf_cstr(&out) ||
      token_decode((const char *)out.data, &t, err))
    die("dansyncd enroll failed");
  memcpy(dev->token, t.secret, 65);
  memcpy(dev->district_pk, t.district_pk, 32);
  buf_cleanup(&out);
  crypto_sign_keypair(dev->pk, dev->sk);
  randombytes_buf(dev->node, ID_LEN);
  dev->send_token = true;
}

void it_request(struct buf *out, const struct it_device *dev, struct op *ops,
                int nops, uint64_t cursor) {
  struct proto_req hdr = {0};
  struct buf enc;
  buf_init(&enc, 0);
  for (int i = 0; i < nops; i++) {
    memcpy(ops[i].node, dev->node, ID_LEN);
    if (proto_op_encode(&enc, &ops[i], false))
      die("encode failed");
  }
  memcpy(hdr.node, dev->node, ID_LEN);
  hdr.ts = clock_now_ms();
  hdr.hlc = HLC_FROM_MS(clock_now_ms());
  hdr.cursor = cursor;
  hdr.limit = 1000;
  buf_reset(out);
  if (proto_req_encode(out, &hdr, enc.data, enc.len, (uint32_t)nops))
    die("encode failed");
  buf_cleanup(&enc);
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata) {
  return buf_append(userdata, p, size * n) ? 0 : size * n;
}

long it_post(const struct it_daemon *d, const struct it_device *dev,
             const void *body, size_t len, struct buf *resp) {
  char url[128], node[80], sig[160], tok[120], key[120], hex[65], b64[100];
  uint8_t s[64];
  struct curl_slist *h = NULL;
  CURL *c = curl_easy_init();
  long status = 0;

  if (d->pin[0])
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/v1/sync", d->port);
  else
    snprintf(url, sizeof(url), "%s/v1/sync", d->url);
  crypto_sign_detached(s, NULL, body, len, dev->sk);
  sodium_bin2base64(b64, sizeof(b64), s, 64, sodium_base64_VARIANT_ORIGINAL);
  hex_encode(hex, dev->node, ID_LEN);
  snprintf(node, sizeof(node), "Dansync-Node: %s", hex);
  snprintf(sig, sizeof(sig), "Dansync-Signature: %s", b64);
  h = curl_slist_append(h, "Content-Type: application/msgpack");
  h = curl_slist_append(h, "Expect:");
  h = curl_slist_append(h, node);
  h = curl_slist_append(h, sig);
  if (dev->send_token) {
    hex_encode(hex, dev->pk, 32);
    snprintf(tok, sizeof(tok), "Dansync-Token: %s", dev->token);
    snprintf(key, sizeof(key), "Dansync-Key: %s", hex);
    h = curl_slist_append(h, tok);
    h = curl_slist_append(h, key);
  }
  buf_reset(resp);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (d->pin[0]) {
    /* The district's own certificate: trusted by its pin alone. */
    curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, d->pin);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return status;
}

void it_raw(const struct it_daemon *d, const void *bytes, size_t len,
            bool half_close, int timeout_ms, struct buf *resp) {
  struct it_conn c;

  buf_reset(resp);
  if (!it_conn_open(&c, d, NULL))
    die("connect failed");
  (void)it_conn_send(&c, bytes, len);
  if (half_close)
    it_conn_shutdown(&c);
  (void)it_conn_wait_closed(&c, timeout_ms, true, resp);
  it_conn_close(&c);
  if (buf_cstr(resp))
    die("out of memory");
}

void it_digest(const char *db, const char *commune, char hex[65]) {
  const char *argv[] = {
      DANSYNCD_BIN, "--db", db, "digest", commune ? "--commune" : NULL,
      commune,      NULL};
  struct buf out;
  buf_init(&out, 0);
  if (it_run(argv, &out) != 0 || out.len < 64)
    die("dansyncd digest failed");
  memcpy(hex, out.data, 64);
  hex[64] = '\0';
  buf_cleanup(&out);
}

void it_error_code(const struct buf *body, char *code, size_t cap) {
  char msg[256];
  bool has;
  uint64_t exp;
  if (proto_error_decode(body->data, body->len, code, cap, msg, sizeof(msg),
                         &has, &exp))
    code[0] = '\0';
}

int it_connect(const struct it_daemon *d, const char *from) {
  struct sockaddr_in a = {0}, b = {0};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  if (from) {
    b.sin_family = AF_INET;
    if (inet_pton(AF_INET, from, &b.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&b, sizeof(b)))
      die("cannot bind to the test's source address");
  }
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)d->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
    close(fd);
    return -1;
  }
  return fd;
}

bool it_send_all(int fd, const void *bytes, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = send(fd, (const char *)bytes + off, len - off, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    off += (size_t)n;
  }
  return true;
}

int it_wait_closed(int fd, int timeout_ms, struct buf *got) {
  struct it_conn c = {fd, NULL};
  return it_conn_wait_closed(&c, timeout_ms, false, got);
}

/* The SHA-256 of the peer's DER public key, as "sha256//BASE64", is |pin|. */
static bool peer_pinned(SSL *ssl, const char *pin) {
  X509 *x = SSL_get1_peer_certificate(ssl);
  unsigned char *der = NULL, md[32];
  char b64[64], got[80];
  int n = x ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der) : -1;

  X509_free(x);
  if (n <= 0)
    return false;
  if (!EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL))
    n = 0;
  OPENSSL_free(der);
  if (n <= 0)
    return false;
  EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
  snprintf(got, sizeof(got), "sha256//%s", b64);
  return !strcmp(got, pin);
}

bool it_conn_open(struct it_conn *c, const struct it_daemon *d,
                  const char *from) {
  SSL_CTX *ctx;

  c->ssl = NULL;
  c->fd = it_connect(d, from);
  if (c->fd < 0 || !d->pin[0])
    return c->fd >= 0;
  /* As a device trusts its district: by the pin alone, no chain. */
  ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
    die("cannot set up a TLS client");
  c->ssl = SSL_new(ctx);
  SSL_CTX_free(ctx); /* the SSL holds its own reference */
  if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
    die("cannot set up a TLS client");
  if (SSL_connect(c->ssl) != 1 || !peer_pinned(c->ssl, d->pin)) {
    it_conn_close(c);
    return false;
  }
  return true;
}

bool it_conn_send(struct it_conn *c, const void *bytes, size_t len) {
  if (!c->ssl)
    return it_send_all(c->fd, bytes, len);
  while (len > 0) {
    int n = SSL_write(c->ssl, bytes, len > INT_MAX ? INT_MAX : (int)len);
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    bytes = (const char *)bytes + n;
    len -= (size_t)n;
  }
  return true;
}

void it_conn_shutdown(struct it_conn *c) {
  if (c->ssl)
    (void)SSL_shutdown(c->ssl);
  shutdown(c->fd, SHUT_WR);
}

ssize_t it_conn_recv(struct it_conn *c, void *b, size_t cap) {
  int n;
  if (!c->ssl)
    return recv(c->fd, b, cap, 0);
  n = SSL_read(c->ssl, b, (int)cap);
  if (n > 0)
    return n;
  ERR_clear_error();
  return 0;
}

int it_conn_wait_closed(struct it_conn *c, int timeout_ms, bool idle,
                        struct buf *got) {
  uint64_t start = clock_now_ms(), from = start;
  for (;;) {
    uint64_t spent = clock_now_ms() - from;
    struct pollfd p = {c->fd, POLLIN, 0};
    char chunk[4096];
    ssize_t n;
    /* Bytes OpenSSL already holds raise no event on the socket. */
    if (!(c->ssl && SSL_has_pending(c->ssl)) &&
        (spent >= (uint64_t)timeout_ms ||
         poll(&p, 1, (int)((uint64_t)timeout_ms - spent)) <= 0))
      return -1;
    n = it_conn_recv(c, chunk, sizeof(chunk));
    if (n <= 0)
      return (int)(clock_now_ms() - start);
    if (got && buf_append(got, chunk, (size_t)n))
      die("out of memory");
    if (idle)
      from = clock_now_ms();
  }
}

void it_conn_close(struct it_conn *c) {
  SSL_free(c->ssl);
  c->ssl = NULL;
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
}

long it_metric(const struct it_daemon *d, const char *name) {
  static const char get[] =
      "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n";
  struct buf resp;
  const char *at;
  long v = -1;
  size_t n = strlen(name);

  buf_init(&resp, 0);
  it_raw(d, get, sizeof(get) - 1, false, 5000, &resp);
  for (at = (const char *)resp.data; at && (at = strstr(at, name)); at += n) {
    if ((at == (const char *)resp.data || at[-1] == '\n') && at[n] == ' ') {
      v = strtol(at + n + 1, NULL, 10);
      break;
    }
  }
  buf_cleanup(&resp);
  return v;
}

long it_rss_kib(pid_t pid, const char *field) {
  char path[64], line[256];
  long v = -1;
  size_t n = strlen(field);
  FILE *f;
  snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
  f = fopen(path, "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof(line), f))
    if (!strncmp(line, field, n) && line[n] == ':')
      v = strtol(line + n + 1, NULL, 10);
  fclose(f);
  return v;
}
