/* SPDX-License-Identifier: MIT
 * blake2b.h -- unkeyed BLAKE2b (RFC 7693) in one call, for hashing bulk
 * bytes: a request body for the sync log's chain and for the answer's
 * signature, on the daemon and on every device.
 *
 * The same function as libsodium's crypto_generichash with no key (the
 * tests compare the two on every length up to 1,100 bytes and on large
 * bodies). It exists because libsodium 1.0.18 hashes 0.59 GB/s on this
 * project's machines and this plain C 1.06 GB/s (docs/DECISIONS.md,
 * "Hashing bodies, SQLite's accounting"). Short inputs and the bundles'
 * streamed digest still go through libsodium. */
#ifndef DS_COMMON_BLAKE2B_H
#define DS_COMMON_BLAKE2B_H
#include <stddef.h>
#include <stdint.h>

#define BLAKE2B_OUT_MAX 64

/* The |outlen|-byte BLAKE2b of |len| bytes at |in| into |out|; an
 * |outlen| outside 1..64 aborts (libsodium returned -1, unchecked). */
void blake2b_hash(uint8_t *out, size_t outlen, const void *in, size_t len);
#endif
