/* SPDX-License-Identifier: MIT
 * json.h -- writing JSON text: escaped strings, for --json output. */
#ifndef DS_COMMON_JSON_H
#define DS_COMMON_JSON_H
#include <stddef.h>

#include "common/buf.h"
#include "common/value.h"

/* Appends |s| (|n| bytes of valid UTF-8) as a JSON string with quotes. */
DS_NODISCARD int json_str(struct buf *out, const char *s, size_t n);
/* Appends a field value as JSON: null, true/false, a number, a string, a
 * hex string for an id, and [gen, "name"] for a status. */
DS_NODISCARD int json_value(struct buf *out, const struct value *v);
#endif
