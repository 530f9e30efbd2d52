/* SPDX-License-Identifier: MIT
 * utf8.h -- strict UTF-8 validation (no overlong forms, no surrogates, no
 * code points past U+10FFFF), code-point counting and the search fold. */
#ifndef DS_COMMON_UTF8_H
#define DS_COMMON_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Returns the number of code points in |s| (|n| bytes), or -1 when |s| is not
 * valid UTF-8. */
long utf8_count(const char *s, size_t n);
/* Appends |s| to |out| with đ/Đ folded to d/D, the one Vietnamese letter
 * SQLite's unicode61 tokenizer does not strip to ASCII (it is a letter of its
 * own, not a base letter with a diacritic). Returns 0 or DS_ENOMEM. */
DS_NODISCARD int utf8_fold_dd(struct buf *out, const char *s, size_t n);
#endif
