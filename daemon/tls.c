/* SPDX-License-Identifier: MIT
 * tls.c -- TLS on memory BIOs (tls.h). */
#include "daemon/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/alloc.h"
#include "common/files.h"
#include "daemon/dmsg.h"

struct tls_ctx {
  SSL_CTX *ctx;
};

struct tls_conn {
  SSL *ssl;
  BIO *rbio, *wbio; /* the network side: bytes in, bytes out */
  bool fatal, closed;
  char err[160];
};

/* OpenSSL's first queued error as a sentence fragment; the queue cleared. */
static const char *ossl_err(char *out, size_t cap) {
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, out, cap);
  else
    snprintf(out, cap, "unknown error");
  ERR_clear_error();
  return out;
}

int tls_ctx_new(struct tls_ctx **out, const char *cert_file,
                const char *key_file, char *errbuf) {
  struct tls_ctx *t;
  char e[160];
  int rc = files_check_private(key_file, errbuf);

  if (rc)
    return rc;
  if (access(cert_file, R_OK) || access(key_file, R_OK))
    return dmsg_fail(errbuf, DS_ENOENT, DM_TLS_UNREADABLE, cert_file, key_file);
  t = ds_calloc(1, sizeof(*t));
  if (!t)
    return DS_ENOMEM;
  t->ctx = SSL_CTX_new(TLS_server_method());
  if (!t->ctx) {
    ds_free(t);
    return dmsg_fail(errbuf, DS_ENOMEM, DM_TLS_SETUP, ossl_err(e, sizeof(e)));
  }
  SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  /* Idle connections give their record buffers back. */
  SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
    rc = dmsg_fail(errbuf, DS_EINVAL, DM_TLS_BAD_CERT, cert_file,
                   ossl_err(e, sizeof(e)));
  } else if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) !=
                 1 ||
             SSL_CTX_check_private_key(t->ctx) != 1) {
    rc = dmsg_fail(errbuf, DS_EINVAL, DM_TLS_NOT_KEY, key_file, cert_file,
                   ossl_err(e, sizeof(e)));
  }
  if (rc) {
    tls_ctx_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

void tls_ctx_free(struct tls_ctx *t) {
  if (!t)
    return;
  SSL_CTX_free(t->ctx);
  ds_free(t);
}

int tls_conn_new(struct tls_conn **out, struct tls_ctx *ctx) {
  struct tls_conn *t = ds_calloc(1, sizeof(*t));
  if (!t)
    return DS_ENOMEM;
  t->ssl = SSL_new(ctx->ctx);
  t->rbio = BIO_new(BIO_s_mem());
  t->wbio = BIO_new(BIO_s_mem());
  if (!t->ssl || !t->rbio || !t->wbio) {
    BIO_free(t->rbio);
    BIO_free(t->wbio);
    SSL_free(t->ssl);
    ds_free(t);
    ERR_clear_error();
    return DS_ENOMEM;
  }
  /* An empty read BIO means "more to come", not end of file. */
  BIO_set_mem_eof_return(t->rbio, -1);
  BIO_set_mem_eof_return(t->wbio, -1);
  SSL_set_bio(t->ssl, t->rbio, t->wbio); /* the SSL owns both now */
  SSL_set_accept_state(t->ssl);
  *out = t;
  return 0;
}

void tls_conn_free(struct tls_conn *t) {
  if (!t)
    return;
  SSL_free(t->ssl);
  ds_free(t);
}

static enum tls_status fail(struct tls_conn *t, const char *what) {
  char e[120];
  t->fatal = true;
  snprintf(t->err, sizeof(t->err), "%s: %s", what, ossl_err(e, sizeof(e)));
  return TLS_ERROR;
}

enum tls_status tls_feed(struct tls_conn *t, const void *data, size_t len,
                         struct buf *plain) {
  uint8_t tmp[16384];

  if (t->fatal)
    return TLS_ERROR;
  if (len && BIO_write(t->rbio, data, (int)len) != (int)len)
    return fail(t, "out of memory");
  /* Until OpenSSL wants more: plaintext left inside it would raise no new
   * read event. */
  for (;;) {
    int n = SSL_read(t->ssl, tmp, sizeof(tmp)), e;
    if (n > 0) {
      if (buf_append(plain, tmp, (size_t)n))
        return fail(t, "too much plaintext at once");
      continue;
    }
    e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return TLS_OK; /* writes go to memory: never really blocked */
    if (e == SSL_ERROR_ZERO_RETURN) {
      t->closed = true;
      return TLS_CLOSED;
    }
    return fail(t, tls_handshake_done(t) ? "TLS error" : "TLS handshake");
  }
}

int tls_write(struct tls_conn *t, const void *data, size_t len) {
  size_t off = 0;
  if (t->fatal)
    return DS_EIO;
  while (off < len) {
    int chunk = len - off > (1u << 30) ? 1 << 30 : (int)(len - off);
    int n = SSL_write(t->ssl, (const uint8_t *)data + off, chunk);
    if (n <= 0) {
      fail(t, "TLS write");
      return DS_EIO;
    }
    off += (size_t)n;
  }
  return 0;
}

void tls_close(struct tls_conn *t) {
  if (t->fatal || t->closed || !SSL_is_init_finished(t->ssl))
    return;
  t->closed = true;
  if (SSL_shutdown(t->ssl) < 0)
    ERR_clear_error();
}

int tls_take(struct tls_conn *t, struct buf *out) {
  size_t n = BIO_ctrl_pending(t->wbio);
  int got;
  if (!n)
    return 0;
  if (buf_reserve(out, n))
    return DS_ENOMEM;
  got = BIO_read(t->wbio, out->data + out->len, (int)n);
  if (got > 0)
    out->len += (size_t)got;
  return 0;
}

int tls_seal(struct tls_conn *t, const void *data, size_t len, bool last,
             struct buf *out) {
  int rc;
  buf_reset(out);
  rc = tls_write(t, data, len);
  if (!rc && last)
    tls_close(t);
  return rc ? rc : tls_take(t, out);
}

bool tls_handshake_done(const struct tls_conn *t) {
  return SSL_is_init_finished(t->ssl);
}

const char *tls_error(const struct tls_conn *t) {
  return t->err[0] ? t->err : "no error";
}

/* ---- the district's certificate ---- */

/* Writes |len| bytes of PEM to the new private file |path|. */
static int write_new(const char *path, const void *data, size_t len,
                     char *errbuf) {
  int rc = files_create_private(path, errbuf), fd;
  ssize_t n;
  if (rc)
    return rc;
  fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  n = fd >= 0 ? write(fd, data, len) : -1;
  if (fd < 0 || n != (ssize_t)len || fsync(fd) || close(fd)) {
    if (fd >= 0)
      close(fd);
    unlink(path);
    return dmsg_fail(errbuf, DS_EIO, DM_WRITE_FILE, path);
  }
  return 0;
}

static int pem_of(int (*w)(BIO *, void *), void *obj, struct buf *out) {
  BIO *b = BIO_new(BIO_s_mem());
  char *p;
  long n;
  int rc = DS_ENOMEM;
  if (b && w(b, obj) == 1 && (n = BIO_get_mem_data(b, &p)) > 0)
    rc = buf_append(out, p, (size_t)n);
  BIO_free(b);
  return rc;
}

static int w_key(BIO *b, void *k) {
  return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}
static int w_crt(BIO *b, void *x) {
  return PEM_write_bio_X509(b, x);
}

static bool is_ip(const char *h) {
  unsigned char a[16];
  return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

#define NLOOPBACK 3
static const char *const loopback[NLOOPBACK] = {"localhost", "127.0.0.1",
                                                "::1"};

/* |h| is one of |hosts| (the same address however written). */
static bool given(const char *const *hosts, int n, const char *h) {
  unsigned char a[16], b[16];
  int fa = strchr(h, ':') ? AF_INET6 : AF_INET;
  bool ip = inet_pton(fa, h, a) == 1;
  for (int i = 0; i < n; i++) {
    if (!strcasecmp(hosts[i], h))
      return true;
    memset(b, 0, sizeof(b));
    if (ip && inet_pton(fa, hosts[i], b) == 1 &&
        !memcmp(a, b, fa == AF_INET ? 4 : 16))
      return true;
  }
  return false;
}

int tls_make_cert(const char *dir, const char *const *hosts, int nhosts,
                  int days, char *errbuf) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  X509_NAME *name;
  X509V3_CTX v3;
  X509_EXTENSION *ext;
  struct buf san, kpem, cpem;
  char kpath[FILES_PATH_MAX], cpath[FILES_PATH_MAX], e[160];
  uint8_t serial[16];
  BIGNUM *bn = NULL;
  int rc = DS_EIO;

  buf_init(&san, 0);
  buf_init(&kpem, 0);
  buf_init(&cpem, 0);
  if (!key || !x)
    goto done;
  for (int i = 0; i < nhosts + NLOOPBACK; i++) {
    const char *h = i < nhosts ? hosts[i] : loopback[i - nhosts];
    /* The loopback names too, unless given: the dashboard listens on
     * 127.0.0.1 by default, and a browser there checks the name. */
    if (i >= nhosts && given(hosts, nhosts, h))
      continue;
    /* An IP address in SAN must be an IP entry, or clients ignore it. */
    if (buf_printf(&san, "%s%s:%s", san.len ? "," : "", is_ip(h) ? "IP" : "DNS",
                   h) ||
        buf_cstr(&san))
      goto done;
  }
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  bn = BN_bin2bn(serial, sizeof(serial), NULL);
  if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
      !X509_set_version(x, 2) ||
      !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ||
      !X509_set_pubkey(x, key))
    goto done;
  name = X509_get_subject_name(x);
  if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  (const unsigned char *)hosts[0], -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                  (const unsigned char *)"dansync district", -1,
                                  -1, 0) ||
      !X509_set_issuer_name(x, name))
    goto done;
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  {
    const char *exts[][2] = {
        {"subjectAltName", (const char *)san.data},
        {"basicConstraints", "critical,CA:FALSE"},
        {"keyUsage", "critical,digitalSignature"},
        {"extendedKeyUsage", "serverAuth"},
    };
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
      ext = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
      if (!ext || !X509_add_ext(x, ext, -1)) {
        X509_EXTENSION_free(ext);
        rc = dmsg_fail(errbuf, DS_EINVAL, DM_TLS_HOST, (const char *)san.data);
        goto done;
      }
      X509_EXTENSION_free(ext);
    }
  }
  if (!X509_sign(x, key, EVP_sha256()) || pem_of(w_key, key, &kpem) ||
      pem_of(w_crt, x, &cpem))
    goto done;
  snprintf(kpath, sizeof(kpath), "%s/district.key", dir);
  snprintf(cpath, sizeof(cpath), "%s/district.crt", dir);
  rc = write_new(kpath, kpem.data, kpem.len, errbuf);
  if (!rc) {
    rc = write_new(cpath, cpem.data, cpem.len, errbuf);
    if (rc)
      unlink(kpath);
  }
done:
  if (rc == DS_EIO && errbuf && !errbuf[0])
    dmsg_fail(errbuf, rc, DM_TLS_MAKE, ossl_err(e, sizeof(e)));
  if (kpem.data)
    OPENSSL_cleanse(kpem.data, kpem.cap);
  buf_cleanup(&kpem);
  buf_cleanup(&cpem);
  buf_cleanup(&san);
  BN_free(bn);
  X509_free(x);
  EVP_PKEY_free(key);
  return rc;
}

int tls_pin(const char *cert_file, char *pin, size_t cap, char *errbuf) {
  FILE *f = fopen(cert_file, "r");
  X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
  unsigned char *der = NULL, md[32];
  char b64[64];
  int n;

  if (f)
    fclose(f);
  if (!x) {
    ERR_clear_error();
    return dmsg_fail(errbuf, DS_EINVAL, DM_TLS_NOT_PEM, cert_file);
  }
  n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
  X509_free(x);
  if (n <= 0)
    return dmsg_fail(errbuf, DS_EIO, DM_TLS_KEY_READ, cert_file);
  EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL);
  OPENSSL_free(der);
  EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
  if ((size_t)snprintf(pin, cap, "sha256//%s", b64) >= cap)
    return dmsg_fail(errbuf, DS_EINVAL, DM_TLS_PIN_ROOM);
  return 0;
}
