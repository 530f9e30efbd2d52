/* SPDX-License-Identifier: MIT
 * textout.h -- typed text made safe and tidy for a terminal (DESIGN §8):
 * control characters escaped so a petition cannot rewrite an officer's
 * screen, newlines shown as ⏎, and table cells cut at a character
 * boundary with … and padded to a column. JSON output does none of this. */
#ifndef DS_COMMON_TEXTOUT_H
#define DS_COMMON_TEXTOUT_H
#include <stddef.h>

#include "common/buf.h"

/* Appends |s| (|n| bytes) with every C0/C1 control character and DEL
 * written as \xHH (C1 as \u00HH), a newline as ⏎ and a tab as a space.
 * Bytes that are not valid UTF-8 come out as \xHH too. */
DS_NODISCARD int textout_escaped(struct buf *out, const char *s, size_t n);
/* Appends |s| escaped as above, cut to |width| characters (the last one
 * "…" when cut) and, when |pad|, padded with spaces to |width|. */
DS_NODISCARD int textout_cell(struct buf *out, const char *s, size_t n,
                              int width, int pad);
#endif
