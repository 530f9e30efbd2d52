/* SPDX-License-Identifier: MIT
 * files.h -- files the programs create or trust. Stores, key material,
 * exports and backups hold citizens' data and the district's secret key:
 * they are created 0600 (and never over an existing file or through a
 * symlink), and an existing one that other users can read or write is
 * refused, as OpenSSH refuses a private key and PostgreSQL a data
 * directory. Paths are plain paths: SQLite is never handed a "file:" URI. */
#ifndef DS_COMMON_FILES_H
#define DS_COMMON_FILES_H
#include <stddef.h>

#include "common/err.h"

#define FILES_PATH_MAX 4096

/* Creates |path| empty, 0600, failing if anything (a file, a symlink) is
 * there already (DS_EEXIST, saying --force replaces it), or DS_EIO. */
DS_NODISCARD int files_create_private(const char *path, char *errbuf);
/* Removes |path| if it is a regular file or a symlink (the link itself):
 * what --force does before files_create_private. DS_EIO for anything else
 * (a directory, say). A missing path is fine. */
DS_NODISCARD int files_remove(const char *path, char *errbuf);
/* DS_EPERM (and a sentence with the chmod that fixes it) when |path|
 * exists and other users may read or write it; 0 when it is private or
 * does not exist. */
DS_NODISCARD int files_check_private(const char *path, char *errbuf);
/* A store's file and its -wal and -shm companions, each checked. */
DS_NODISCARD int files_check_store(const char *path, char *errbuf);
/* |path| as SQLite must see it to take it as a file name: "./file:x"
 * for "file:x". Returns |out| (|cap| bytes) or NULL if too long. */
const char *files_plain(const char *path, char *out, size_t cap);
/* |path| as a read-only SQLite URI ("file:///abs%20path?mode=ro"), for an
 * ATTACH that must never lock or write the file (a store's connection
 * takes URIs; its own paths go through files_plain). Returns |out| or NULL
 * if the path cannot be resolved or is too long. */
const char *files_uri_ro(const char *path, char *out, size_t cap);
#endif
