/* SPDX-License-Identifier: MIT
 * vnenum.h -- enum values as people type them: the slug or the Vietnamese
 * label (DESIGN §3), with or without diacritics, and the full list of
 * choices for an error message. Folding is also what search matches by. */
#ifndef DS_COMMON_VNENUM_H
#define DS_COMMON_VNENUM_H
#include <stddef.h>

#include "common/buf.h"

/* Appends |s| (|n| bytes of UTF-8) folded for matching: Latin letters
 * without diacritics (đ is d), ASCII lower case, '_' and '-' as spaces,
 * runs of spaces as one, no leading or trailing space. */
DS_NODISCARD int vnenum_fold(struct buf *out, const char *s, size_t n);
/* The index in |names| (NULL-terminated slugs) of what was typed: a slug
 * or its Vietnamese label, folded as above. -1 when none matches. */
int vnenum_parse(const char *const *names, const char *typed);
/* The Vietnamese label of slug |name|, or |name| itself. */
const char *vnenum_label(const char *name);
/* Appends every choice of |names| as "slug (label)", comma-separated. */
DS_NODISCARD int vnenum_choices(struct buf *out, const char *const *names);
#endif
