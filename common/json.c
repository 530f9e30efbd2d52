/* SPDX-License-Identifier: MIT
 * json.c -- JSON string escaping. */
#include "common/json.h"

#include "common/hex.h"
#include "common/id.h"

int json_str(struct buf *out, const char *s, size_t n) {
  int rc = buf_putc(out, '"');
  for (size_t i = 0; i < n && !rc; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      rc = buf_putc(out, '\\') || buf_putc(out, c);
    else if (c == '\n')
      rc = buf_append(out, "\\n", 2);
    else if (c == '\t')
      rc = buf_append(out, "\\t", 2);
    else if (c < 0x20)
      rc = buf_printf(out, "\\u%04x", c);
    else
      rc = buf_putc(out, c);
  }
  return rc ? DS_ENOMEM : buf_putc(out, '"');
}

int json_value(struct buf *out, const struct value *v) {
  char hex[2 * ID_LEN + 1];
  switch (v->type) {
  case VAL_NIL: return buf_append(out, "null", 4);
  case VAL_BOOL:
    return v->i ? buf_append(out, "true", 4) : buf_append(out, "false", 5);
  case VAL_INT: return buf_printf(out, "%lld", (long long)v->i);
  case VAL_STR: return json_str(out, v->s, v->n);
  case VAL_BIN:
    if (v->n != ID_LEN)
      return buf_append(out, "null", 4);
    hex_encode(hex, (const uint8_t *)v->s, ID_LEN);
    return json_str(out, hex, 2 * ID_LEN);
  case VAL_STATUS:
    if (buf_printf(out, "[%lld, ", (long long)v->i))
      return DS_ENOMEM;
    return json_str(out, v->s, v->n) ? DS_ENOMEM : buf_putc(out, ']');
  }
  return DS_EINVAL;
}
