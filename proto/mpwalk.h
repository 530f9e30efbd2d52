/* SPDX-License-Identifier: MIT
 * mpwalk.h -- a cheap pass over untrusted msgpack before msgpack-c unpacks
 * it: every length inside the buffer, every container no longer than the
 * bytes left (each element takes at least one), nesting no deeper than a cap.
 * Unpacking what passes allocates at most a small multiple of its size. */
#ifndef DS_PROTO_MPWALK_H
#define DS_PROTO_MPWALK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Walks one object at the start of |p| (|n| bytes). Returns 0 and its length
 * in |*used|, or DS_EPROTO (malformed, truncated, too deep). */
DS_NODISCARD int mpwalk(const uint8_t *p, size_t n, int max_depth,
                        size_t *used);
/* The header of a map (|map|) or an array at the start of |p| (|n|
 * bytes): its element count (pairs, for a map) in |*count| and the
 * header's length in |*hlen|. DS_EPROTO when |p| starts with no such
 * header. */
DS_NODISCARD int mpwalk_container(const uint8_t *p, size_t n, bool map,
                                  uint32_t *count, size_t *hlen);
#endif
