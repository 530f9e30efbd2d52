/* SPDX-License-Identifier: MIT
 * rotate.h -- `dansyncd key rotate` (DESIGN §14): a new district key and
 * node; the old node is revoked (its log entries still verify against its
 * key); the new key is announced to devices in every answer, signed by the
 * old key:
 *   Dansync-Key-Rotation: BASE64(new key (32) | Ed25519 by the old key over
 *                                "dansync-rotate-1" | new key)
 * and a backup is taken at once. */
#ifndef DS_DAEMON_ROTATE_H
#define DS_DAEMON_ROTATE_H
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct args;
struct store;

#define ROTATE_CERT_LEN 96 /* new key | signature */

/* The "Dansync-Key-Rotation: ...\r\n" line of the last rotation, or "". */
void rotate_header(struct store *st, char *out, size_t cap);
/* `dansyncd key rotate --out BACKUP [--force]`. */
int rotate_cmd(const struct args *a);
#endif
