/* SPDX-License-Identifier: MIT
 * err.c -- names and descriptions of the DS_E* codes. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *ds_errname(int rc) {
  switch (rc) {
#define DS_ERR_NAME(name, value, msg) \
  case value: return "DS_" #name;
    DS_ERRNO_MAP(DS_ERR_NAME)
#undef DS_ERR_NAME
  default: return "DS_E?";
  }
}

const char *ds_strerror(int rc) {
  switch (rc) {
#define DS_ERR_MSG(name, value, msg) \
  case value: return msg;
    DS_ERRNO_MAP(DS_ERR_MSG)
#undef DS_ERR_MSG
  default: return "unknown error";
  }
}

int ds_fail(char *errbuf, int rc, const char *fmt, ...) {
  va_list ap;

  if (errbuf) {
    va_start(ap, fmt);
    vsnprintf(errbuf, DS_ERRBUF_LEN, fmt, ap);
    va_end(ap);
  }
  return rc;
}
