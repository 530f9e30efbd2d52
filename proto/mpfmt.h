/* SPDX-License-Identifier: MIT
 * mpfmt.h -- the msgpack format's type bytes, named (msgpack spec,
 * "Formats"). Constants only: no code and no msgpack-c, so common/value.c,
 * which writes the canonical bytes the digest is made of, may name them
 * too (the one header of proto/ that common/ includes). */
#ifndef DS_PROTO_MPFMT_H
#define DS_PROTO_MPFMT_H

/* Fixed-size families: the type byte carries the value or the length. */
#define MP_POSFIXINT_MAX 0x7f /* 0x00..0x7f: 0..127 */
#define MP_FIXMAP 0x80        /* 0x80..0x8f: map of 0..15 pairs */
#define MP_FIXARRAY 0x90      /* 0x90..0x9f: array of 0..15 items */
#define MP_FIXSTR 0xa0        /* 0xa0..0xbf: str of 0..31 bytes */
#define MP_NEGFIXINT 0xe0     /* 0xe0..0xff: -32..-1 */
#define MP_FIX4_MASK 0xf0     /* family bits of fixmap, fixarray */
#define MP_FIX5_MASK 0xe0     /* family bits of fixstr, negative fixint */
#define MP_FIX4_MAX 0x0f      /* the length bits of fixmap, fixarray */
#define MP_FIX5_MAX 0x1f      /* the length bits of fixstr */

#define MP_NIL 0xc0
#define MP_FALSE 0xc2
#define MP_TRUE 0xc3
#define MP_BIN8 0xc4
#define MP_BIN16 0xc5
#define MP_BIN32 0xc6
#define MP_EXT8 0xc7
#define MP_EXT16 0xc8
#define MP_EXT32 0xc9
#define MP_FLOAT32 0xca
#define MP_FLOAT64 0xcb
#define MP_UINT8 0xcc
#define MP_UINT16 0xcd
#define MP_UINT32 0xce
#define MP_UINT64 0xcf
#define MP_INT8 0xd0
#define MP_INT16 0xd1
#define MP_INT32 0xd2
#define MP_INT64 0xd3
#define MP_FIXEXT1 0xd4
#define MP_FIXEXT2 0xd5
#define MP_FIXEXT4 0xd6
#define MP_FIXEXT8 0xd7
#define MP_FIXEXT16 0xd8
#define MP_STR8 0xd9
#define MP_STR16 0xda
#define MP_STR32 0xdb
#define MP_ARRAY16 0xdc
#define MP_ARRAY32 0xdd
#define MP_MAP16 0xde
#define MP_MAP32 0xdf
#endif
