/* SPDX-License-Identifier: MIT
 * files.c -- private files, plain paths and read-only URIs (files.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "common/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cmsg.h"

int files_create_private(const char *path, char *errbuf) {
  int fd =
      open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    return cmsg_fail(errbuf, DS_EEXIST, CM_FILE_EXISTS, path);
  if (fd < 0)
    return cmsg_fail(errbuf, DS_EIO, CM_FILE_CREATE, path, strerror(errno));
  /* Whatever the umask let through at creation. */
  if (fchmod(fd, 0600)) {
    int e = errno;
    close(fd);
    unlink(path);
    return cmsg_fail(errbuf, DS_EIO, CM_FILE_PRIVATE, path, strerror(e));
  }
  close(fd);
  return 0;
}

int files_remove(const char *path, char *errbuf) {
  struct stat sb;
  if (lstat(path, &sb))
    return errno == ENOENT
               ? 0
               : cmsg_fail(errbuf, DS_EIO, CM_FILE_STAT, path, strerror(errno));
  if (!S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode))
    return cmsg_fail(errbuf, DS_EIO, CM_FILE_NOT_FILE, path);
  if (unlink(path))
    return cmsg_fail(errbuf, DS_EIO, CM_FILE_REMOVE, path, strerror(errno));
  return 0;
}

int files_check_private(const char *path, char *errbuf) {
  struct stat sb;
  if (stat(path, &sb))
    return 0;
  if (!(sb.st_mode & 077))
    return 0;
  return cmsg_fail(errbuf, DS_EPERM,
                   (sb.st_mode & 022) ? CM_FILE_OPEN_CHANGED
                                      : CM_FILE_OPEN_READ,
                   path, path);
}

int files_check_store(const char *path, char *errbuf) {
  static const char *const ext[] = {"", "-wal", "-shm"};
  char p[FILES_PATH_MAX + 8];
  int rc = 0;
  for (int i = 0; i < 3 && !rc; i++) {
    snprintf(p, sizeof(p), "%s%s", path, ext[i]);
    rc = files_check_private(p, errbuf);
  }
  return rc;
}

const char *files_plain(const char *path, char *out, size_t cap) {
  const char *pre = strncmp(path, "file:", 5) == 0 ? "./" : "";
  if ((size_t)snprintf(out, cap, "%s%s", pre, path) >= cap)
    return NULL;
  return out;
}

const char *files_uri_ro(const char *path, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  char *abs = realpath(path, NULL);
  size_t n = 0;
  int w = snprintf(out, cap, "file://");

  if (!abs || w < 0 || (size_t)w >= cap) {
    free(abs);
    return NULL;
  }
  n = (size_t)w;
  for (const unsigned char *c = (const unsigned char *)abs; *c; c++) {
    bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                 (*c >= '0' && *c <= '9') || strchr("/._-~", *c);
    if (n + (plain ? 1 : 3) >= cap) {
      free(abs);
      return NULL;
    }
    if (plain) {
      out[n++] = (char)*c;
    } else {
      out[n++] = '%';
      out[n++] = hex[*c >> 4];
      out[n++] = hex[*c & 15];
    }
  }
  free(abs);
  if (snprintf(out + n, cap - n, "?mode=ro") >= (int)(cap - n))
    return NULL;
  return out;
}
