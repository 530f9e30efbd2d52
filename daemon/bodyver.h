/* SPDX-License-Identifier: MIT
 * bodyver.h -- checking a device's signature of a request body (DESIGN
 * §11: Ed25519 of the exact body bytes), as libsodium's
 * crypto_sign_verify_detached decides, faster for large bodies. */
#ifndef DS_DAEMON_BODYVER_H
#define DS_DAEMON_BODYVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bodies from this size on are checked with OpenSSL first (below it the
 * point checks cost more than its faster SHA-512 saves). */
#define BODYVER_FAST_MIN (256u * 1024u)

/* True when |sig| is public key |pk|'s signature of |body|: exactly when
 * crypto_sign_verify_detached says so. From BODYVER_FAST_MIN bytes on,
 * OpenSSL checks it first (its SHA-512 is 1.5x libsodium's on the
 * daemon's machine), after libsodium's own refusals (S below the group's
 * order; R and the key points of the prime-order subgroup, never of small
 * order), so what it accepts libsodium accepts too; anything it does not
 * accept is left to libsodium. */
bool bodyver_ok(const uint8_t sig[64], const uint8_t *body, size_t len,
                const uint8_t pk[32]);

#endif
