/* SPDX-License-Identifier: MIT
 * err.h -- the project's error codes, defined once: 0 is success, a negative
 * DS_E* value a failure. System errors are -errno; project codes -1000..-1999;
 * codes <= DS_EFATAL leave only _free allowed on the object that returned them.
 */
#ifndef DS_COMMON_ERR_H
#define DS_COMMON_ERR_H
#include <errno.h>

#define DS_NODISCARD __attribute__((warn_unused_result))
#define DS_ERR(e) (-(e))
#define DS_ERRBUF_LEN 256

/* X(name, value, message) */
#define DS_ERRNO_MAP(X)                               \
  X(ENOMEM, -ENOMEM, "out of memory")                 \
  X(EINVAL, -EINVAL, "invalid argument")              \
  X(EIO, -EIO, "input/output error")                  \
  X(ENOENT, -ENOENT, "not found")                     \
  X(EEXIST, -EEXIST, "already exists")                \
  X(EPERM, -EPERM, "not private")                     \
  X(ETIMEDOUT, -ETIMEDOUT, "timed out")               \
  X(EIDENTITY, -1100, "server identity not verified") \
  X(EPROTO, -1000, "malformed message")               \
  X(ETOOBIG, -1001, "too large")                      \
  X(EBADOP, -1002, "invalid operation")               \
  X(EFORBIDDEN, -1003, "outside the node's scope")    \
  X(ECONFLICT, -1004, "conflicting state")            \
  X(EBUSY, -1005, "storage busy")                     \
  X(EAMBIGUOUS, -1006, "ambiguous id prefix")         \
  X(EVERSION, -1007, "unsupported version")           \
  X(EAUTH, -1008, "unauthorized")                     \
  X(EGAP, -1009, "sequence gap")                      \
  X(ESKEW, -1010, "clock too far ahead")              \
  X(EUNAVAIL, -1011, "storage unavailable")           \
  X(ECORRUPT, -2000, "corrupt state")

enum ds_err {
#define DS_ERR_ENUM(name, value, msg) DS_##name = (value),
  DS_ERRNO_MAP(DS_ERR_ENUM)
#undef DS_ERR_ENUM
      DS_EFATAL = -2000
};

/* The constant's name ("DS_EPROTO"), or "DS_E?" for an unknown code. */
const char *ds_errname(int rc);
/* A short lower-case description; never NULL. */
const char *ds_strerror(int rc);

/* Writes a formatted sentence into |errbuf| (DS_ERRBUF_LEN bytes) when it is
 * not NULL, and returns |rc| so callers can `return ds_fail(...)`. */
int ds_fail(char *errbuf, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#endif
