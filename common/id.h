/* SPDX-License-Identifier: MIT
 * id.h -- 16-byte ids: UUIDv7 record ids, random node ids, and parsing of the
 * hex forms users type (full, or a prefix of 8 or more digits). */
#ifndef DS_COMMON_ID_H
#define DS_COMMON_ID_H
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define ID_LEN 16
#define ID_HEX_LEN 32
#define ID_MIN_PREFIX 8

/* A UUIDv7 for time |now_ms| (RFC 9562: 48-bit ms, version 7, variant 10,
 * random rest). */
void id_uuidv7(uint8_t out[ID_LEN], uint64_t now_ms);
/* 16 random bytes. */
void id_random(uint8_t out[ID_LEN]);
/* Parses a hex id prefix of ID_MIN_PREFIX..ID_HEX_LEN digits into |lo| and
 * |hi|, the smallest and largest ids it covers. DS_EINVAL if |s| is not such
 * a prefix. A full id gives lo == hi. */
DS_NODISCARD int id_prefix_range(const char *s, uint8_t lo[ID_LEN],
                                 uint8_t hi[ID_LEN]);
#endif
