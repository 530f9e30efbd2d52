/* SPDX-License-Identifier: MIT
 * bundle.h -- the sealed container of a sneakernet bundle (DESIGN §12,
 * docs/PROTOCOL.md "Bundles"): a magic line with the version, a kind byte,
 * the recipient's key id, a key sealed to the recipient (crypto_box_seal,
 * X25519 from its Ed25519 key), then frames encrypted with
 * crypto_secretstream under that key, the last one tagged FINAL. Frames are
 * read and written one at a time, so no bundle is ever held whole. What a
 * frame says is proto/bundle.c's business. */
#ifndef DS_COMMON_BUNDLE_H
#define DS_COMMON_BUNDLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define BUNDLE_MAGIC "DANSYNC-BUNDLE 1\n"
#define BUNDLE_KIND_EXPORT 'E' /* device -> district */
#define BUNDLE_KIND_ANSWER 'A' /* district -> device */
/* A frame's plaintext: a response may carry a 32 MiB body (the client's
 * answer cap), plus the frame's own keys. */
#define BUNDLE_FRAME_MAX (32u * 1024u * 1024u + 4096u)
#define BUNDLE_SIG_CONTEXT "dansync-bundle-1" /* 16 bytes */

struct bundle_reader;
struct bundle_writer;

/* The X25519 key pair of an Ed25519 one (|sk| 64 bytes, |pk| 32). */
DS_NODISCARD int bundle_x25519(const uint8_t ed_pk[32], const uint8_t *ed_sk,
                               uint8_t x_pk[32], uint8_t x_sk[32]);

/* Opens |path| as a bundle of |kind| sealed to |x_pk|/|x_sk| and checks its
 * header. |whose| names the recipient in messages ("this district").
 * DS_EINVAL (not a file, empty, wrong format, version or kind), DS_EPERM
 * (sealed to another key), DS_EPROTO (damaged or cut short), DS_ENOMEM;
 * |errbuf| has one sentence naming the check. */
DS_NODISCARD int bundle_reader_open(struct bundle_reader **out,
                                    const char *path, char kind,
                                    const uint8_t x_pk[32],
                                    const uint8_t x_sk[32], const char *whose,
                                    char *errbuf);
/* The next frame's plaintext into |frame| (replaced). |*last| is set on the
 * frame tagged FINAL; asking past it, or a file that ends before it, is
 * DS_EPROTO. */
DS_NODISCARD int bundle_reader_next(struct bundle_reader *r, struct buf *frame,
                                    bool *last, char *errbuf);
/* BLAKE2b-256 of every frame read so far (each as its u32 BE length and
 * plaintext): what an answer's end frame signs. */
void bundle_reader_digest(const struct bundle_reader *r, uint8_t out[32]);
void bundle_reader_free(struct bundle_reader *r);

/* Reads the bundle at |path| (as bundle_reader_open) and calls |cb| with
 * each frame in order: its plaintext, whether it is the last, and the
 * digest of the frames before it. Stops at the first error or non-zero
 * return of |cb|, which it returns. */
typedef int (*bundle_frame_cb)(void *arg, const uint8_t *frame, size_t len,
                               bool last, const uint8_t digest[32],
                               char *errbuf);
DS_NODISCARD int bundle_read_all(const char *path, char kind,
                                 const uint8_t x_pk[32], const uint8_t x_sk[32],
                                 const char *whose, bundle_frame_cb cb,
                                 void *arg, char *errbuf);

/* Creates |path| (0600, O_EXCL|O_NOFOLLOW) and writes the header of a
 * bundle of |kind| sealed to |x_pk|. */
DS_NODISCARD int bundle_writer_open(struct bundle_writer **out,
                                    const char *path, char kind,
                                    const uint8_t x_pk[32], char *errbuf);
DS_NODISCARD int bundle_writer_put(struct bundle_writer *w, const void *frame,
                                   size_t len, bool last);
void bundle_writer_digest(const struct bundle_writer *w, uint8_t out[32]);
/* Flushes and fsyncs; the file stays only if this returns 0. */
DS_NODISCARD int bundle_writer_close(struct bundle_writer *w, char *errbuf);
/* Closes and removes the file (after a failure). NULL is a no-op. */
void bundle_writer_abort(struct bundle_writer *w);
#endif
