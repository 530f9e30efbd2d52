/* SPDX-License-Identifier: MIT
 * bundle.c -- the sealed, framed container of a bundle; see bundle.h. */
#include "common/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/alloc.h"
#include "common/cmsg.h"
#include "common/files.h"

#define MAGIC_LEN (sizeof(BUNDLE_MAGIC) - 1)
#define MAGIC_PREFIX_LEN 15 /* "DANSYNC-BUNDLE " */
#define KEYID_LEN 8
#define SEALED_LEN \
  (crypto_box_SEALBYTES + crypto_secretstream_xchacha20poly1305_KEYBYTES)
#define SS_HDR_LEN crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define HDR_LEN (MAGIC_LEN + 1 + KEYID_LEN + SEALED_LEN + SS_HDR_LEN)
#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

struct bundle_reader {
  FILE *f;
  crypto_secretstream_xchacha20poly1305_state ss;
  crypto_generichash_state hash;
  uint8_t hdr[HDR_LEN];
  struct buf cipher;
  uint64_t frames;
  bool done;
};

struct bundle_writer {
  FILE *f;
  char path[FILES_PATH_MAX];
  crypto_secretstream_xchacha20poly1305_state ss;
  crypto_generichash_state hash;
  uint8_t hdr[HDR_LEN];
  struct buf cipher;
  uint64_t frames;
};

int bundle_x25519(const uint8_t ed_pk[32], const uint8_t *ed_sk,
                  uint8_t x_pk[32], uint8_t x_sk[32]) {
  if (crypto_sign_ed25519_pk_to_curve25519(x_pk, ed_pk))
    return DS_EINVAL;
  if (ed_sk && crypto_sign_ed25519_sk_to_curve25519(x_sk, ed_sk))
    return DS_EINVAL;
  return 0;
}

static void key_id(const uint8_t x_pk[32], uint8_t out[KEYID_LEN]) {
  crypto_generichash(out, KEYID_LEN, x_pk, 32, NULL, 0);
}

static void hash_frame(crypto_generichash_state *h, const void *p, size_t len) {
  uint8_t be[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
                   (uint8_t)(len >> 8), (uint8_t)len};
  crypto_generichash_update(h, be, 4);
  crypto_generichash_update(h, p, len);
}

static void digest(const crypto_generichash_state *h, uint8_t out[32]) {
  crypto_generichash_state copy = *h;
  crypto_generichash_final(&copy, out, 32);
}

/* ---- reading ---- */

static int check_file(const char *path, FILE **out, char *errbuf) {
  struct stat sb;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == ELOOP)
    return cmsg_fail(errbuf, DS_EINVAL, CM_BUNDLE_SYMLINK, path);
  if (fd < 0)
    return cmsg_fail(errbuf, DS_EINVAL, CM_BUNDLE_READ, path, strerror(errno));
  if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    close(fd);
    return cmsg_fail(
        errbuf, DS_EINVAL,
        S_ISDIR(sb.st_mode) ? CM_BUNDLE_DIR : CM_BUNDLE_NOT_REGULAR, path);
  }
  if (sb.st_size == 0) {
    close(fd);
    return cmsg_fail(errbuf, DS_EINVAL, CM_BUNDLE_EMPTY, path);
  }
  *out = fdopen(fd, "rb");
  if (!*out) {
    close(fd);
    return DS_ENOMEM;
  }
  return 0;
}

static int check_header(struct bundle_reader *r, const char *path, char kind,
                        const uint8_t x_pk[32], const uint8_t x_sk[32],
                        const char *whose, char *errbuf) {
  uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES], id[KEYID_LEN];
  size_t n = fread(r->hdr, 1, HDR_LEN, r->f);
  const uint8_t *p = r->hdr + MAGIC_LEN;

  if (n < MAGIC_PREFIX_LEN ||
      memcmp(r->hdr, BUNDLE_MAGIC, MAGIC_PREFIX_LEN) != 0)
    return cmsg_fail(errbuf, DS_EINVAL, CM_BUNDLE_MAGIC, path);
  if (n < MAGIC_LEN || memcmp(r->hdr, BUNDLE_MAGIC, MAGIC_LEN) != 0)
    return cmsg_fail(errbuf, DS_EINVAL, CM_BUNDLE_VERSION, path);
  if (n < HDR_LEN)
    return cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_CUT_HEADER, path);
  if (*p != BUNDLE_KIND_EXPORT && *p != BUNDLE_KIND_ANSWER)
    return cmsg_fail(errbuf, DS_EINVAL, CM_BUNDLE_KIND_BAD, path);
  if (*p != kind)
    return cmsg_fail(errbuf, DS_EINVAL,
                     *p == BUNDLE_KIND_EXPORT ? CM_BUNDLE_IS_EXPORT
                                              : CM_BUNDLE_IS_ANSWER,
                     path);
  p++;
  key_id(x_pk, id);
  if (memcmp(p, id, KEYID_LEN) != 0)
    return cmsg_fail(errbuf, DS_EPERM, CM_BUNDLE_RECIPIENT, path, whose);
  p += KEYID_LEN;
  if (crypto_box_seal_open(key, p, SEALED_LEN, x_pk, x_sk))
    return cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_SEAL, path, whose);
  p += SEALED_LEN;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&r->ss, p, key)) {
    sodium_memzero(key, sizeof(key));
    return cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_HEADER, path);
  }
  sodium_memzero(key, sizeof(key));
  return 0;
}

int bundle_reader_open(struct bundle_reader **out, const char *path, char kind,
                       const uint8_t x_pk[32], const uint8_t x_sk[32],
                       const char *whose, char *errbuf) {
  struct bundle_reader *r = ds_calloc(1, sizeof(*r));
  int rc;
  if (!r)
    return DS_ENOMEM;
  buf_init(&r->cipher, BUNDLE_FRAME_MAX + SS_ABYTES);
  crypto_generichash_init(&r->hash, NULL, 0, 32);
  rc = check_file(path, &r->f, errbuf);
  if (!rc)
    rc = check_header(r, path, kind, x_pk, x_sk, whose, errbuf);
  if (rc) {
    bundle_reader_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

int bundle_reader_next(struct bundle_reader *r, struct buf *frame, bool *last,
                       char *errbuf) {
  uint8_t be[4];
  unsigned long long plen = 0;
  unsigned char tag = 0;
  size_t len, n;
  int rc;

  *last = false;
  n = fread(be, 1, 4, r->f);
  if (r->done)
    return n ? cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_TRAILING) : DS_EPROTO;
  if (n == 0)
    return cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_NO_LAST,
                     (unsigned long long)r->frames);
  len = (size_t)be[0] << 24 | (size_t)be[1] << 16 | (size_t)be[2] << 8 | be[3];
  if (n < 4 || len < SS_ABYTES || len > BUNDLE_FRAME_MAX + SS_ABYTES)
    return cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_FRAME_LEN,
                     (unsigned long long)r->frames + 1);
  buf_reset(&r->cipher);
  rc = buf_reserve_exact(&r->cipher, len);
  if (rc)
    return rc;
  if (fread(r->cipher.data, 1, len, r->f) != len)
    return cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_CUT_FRAME,
                     (unsigned long long)r->frames + 1);
  buf_reset(frame);
  rc = buf_reserve_exact(frame, len - SS_ABYTES + 1);
  if (rc)
    return rc;
  if (crypto_secretstream_xchacha20poly1305_pull(
          &r->ss, frame->data, &plen, &tag, r->cipher.data, len,
          r->frames == 0 ? r->hdr : NULL, r->frames == 0 ? HDR_LEN : 0))
    return cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_FRAME_AUTH,
                     (unsigned long long)r->frames + 1);
  frame->len = (size_t)plen;
  r->frames++;
  *last = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  if (*last) {
    r->done = true;
    if (fgetc(r->f) != EOF)
      return cmsg_fail(errbuf, DS_EPROTO, CM_BUNDLE_TRAILING);
  } else {
    hash_frame(&r->hash, frame->data, frame->len);
  }
  return 0;
}

void bundle_reader_digest(const struct bundle_reader *r, uint8_t out[32]) {
  digest(&r->hash, out);
}

void bundle_reader_free(struct bundle_reader *r) {
  if (!r)
    return;
  if (r->f)
    fclose(r->f);
  buf_cleanup(&r->cipher);
  sodium_memzero(&r->ss, sizeof(r->ss));
  ds_free(r);
}

int bundle_read_all(const char *path, char kind, const uint8_t x_pk[32],
                    const uint8_t x_sk[32], const char *whose,
                    bundle_frame_cb cb, void *arg, char *errbuf) {
  struct bundle_reader *r = NULL;
  uint8_t before[32];
  struct buf frame;
  bool last = false;
  int rc;

  buf_init(&frame, 0);
  rc = bundle_reader_open(&r, path, kind, x_pk, x_sk, whose, errbuf);
  while (!rc && !last) {
    bundle_reader_digest(r, before);
    rc = bundle_reader_next(r, &frame, &last, errbuf);
    if (!rc)
      rc = cb(arg, frame.data, frame.len, last, before, errbuf);
  }
  bundle_reader_free(r);
  buf_cleanup(&frame);
  return rc;
}

/* ---- writing ---- */

int bundle_writer_open(struct bundle_writer **out, const char *path, char kind,
                       const uint8_t x_pk[32], char *errbuf) {
  uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
  struct bundle_writer *w;
  uint8_t *p;
  int fd, rc;

  if (strlen(path) >= FILES_PATH_MAX)
    return cmsg_fail(errbuf, DS_EINVAL, CM_BUNDLE_PATH_LONG, path);
  rc = files_create_private(path, errbuf);
  if (rc)
    return rc;
  w = ds_calloc(1, sizeof(*w));
  if (!w) {
    unlink(path);
    return DS_ENOMEM;
  }
  snprintf(w->path, sizeof(w->path), "%s", path);
  buf_init(&w->cipher, 0);
  crypto_generichash_init(&w->hash, NULL, 0, 32);
  fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  w->f = fd < 0 ? NULL : fdopen(fd, "wb");
  if (!w->f) {
    if (fd >= 0)
      close(fd);
    bundle_writer_abort(w);
    return cmsg_fail(errbuf, DS_EIO, CM_BUNDLE_WRITE, path);
  }
  memcpy(w->hdr, BUNDLE_MAGIC, MAGIC_LEN);
  p = w->hdr + MAGIC_LEN;
  *p++ = (uint8_t)kind;
  key_id(x_pk, p);
  p += KEYID_LEN;
  crypto_secretstream_xchacha20poly1305_keygen(key);
  rc = crypto_box_seal(p, key, sizeof(key), x_pk) ? DS_EINVAL : 0;
  p += SEALED_LEN;
  if (!rc)
    rc = crypto_secretstream_xchacha20poly1305_init_push(&w->ss, p, key)
             ? DS_EINVAL
             : 0;
  sodium_memzero(key, sizeof(key));
  if (!rc && fwrite(w->hdr, 1, HDR_LEN, w->f) != HDR_LEN)
    rc = DS_EIO;
  if (rc) {
    bundle_writer_abort(w);
    return cmsg_fail(errbuf, rc, CM_BUNDLE_WRITE_HEADER, path);
  }
  *out = w;
  return 0;
}

int bundle_writer_put(struct bundle_writer *w, const void *frame, size_t len,
                      bool last) {
  size_t clen = len + SS_ABYTES;
  uint8_t be[4] = {(uint8_t)(clen >> 24), (uint8_t)(clen >> 16),
                   (uint8_t)(clen >> 8), (uint8_t)clen};
  bool first = w->frames == 0;
  int rc;

  if (len > BUNDLE_FRAME_MAX)
    return DS_ETOOBIG;
  buf_reset(&w->cipher);
  rc = buf_reserve_exact(&w->cipher, clen);
  if (rc)
    return rc;
  crypto_secretstream_xchacha20poly1305_push(
      &w->ss, w->cipher.data, NULL, frame, len, first ? w->hdr : NULL,
      first ? HDR_LEN : 0,
      last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
  if (fwrite(be, 1, 4, w->f) != 4 ||
      fwrite(w->cipher.data, 1, clen, w->f) != clen)
    return DS_EIO;
  if (!last)
    hash_frame(&w->hash, frame, len);
  w->frames++;
  return 0;
}

void bundle_writer_digest(const struct bundle_writer *w, uint8_t out[32]) {
  digest(&w->hash, out);
}

int bundle_writer_close(struct bundle_writer *w, char *errbuf) {
  int rc = 0;
  if (fflush(w->f) || fsync(fileno(w->f)))
    rc = cmsg_fail(errbuf, DS_EIO, CM_BUNDLE_WRITE_ERR, w->path,
                   strerror(errno));
  if (fclose(w->f) && !rc)
    rc = cmsg_fail(errbuf, DS_EIO, CM_BUNDLE_WRITE, w->path);
  w->f = NULL;
  if (rc) {
    bundle_writer_abort(w);
    return rc;
  }
  buf_cleanup(&w->cipher);
  sodium_memzero(&w->ss, sizeof(w->ss));
  ds_free(w);
  return 0;
}

void bundle_writer_abort(struct bundle_writer *w) {
  if (!w)
    return;
  if (w->f)
    fclose(w->f);
  unlink(w->path);
  buf_cleanup(&w->cipher);
  sodium_memzero(&w->ss, sizeof(w->ss));
  ds_free(w);
}
