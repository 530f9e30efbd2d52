/* SPDX-License-Identifier: MIT
 * hex.h -- lower-case hex encoding and strict decoding. */
#ifndef DS_COMMON_HEX_H
#define DS_COMMON_HEX_H
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Writes 2*|n| hex digits and a NUL into |out| (2*|n|+1 bytes). */
void hex_encode(char *out, const uint8_t *p, size_t n);
/* The value of hex digit |c| (either case), or -1. */
int hex_digit(char c);
/* Decodes exactly 2*|n| hex digits (either case) of |s| into |out|.
 * Returns 0, or DS_EINVAL when |s| is not that. */
DS_NODISCARD int hex_decode(uint8_t *out, size_t n, const char *s);
#endif
