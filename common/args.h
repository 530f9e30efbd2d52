/* SPDX-License-Identifier: MIT
 * args.h -- command lines of both programs: positional words, --flag VALUE,
 * --flag=VALUE, bare flags, and --db PATH accepted anywhere on the line. */
#ifndef DS_COMMON_ARGS_H
#define DS_COMMON_ARGS_H
#include <stdbool.h>

#include "common/err.h"

#define ARGS_MAX 64

struct args_flag {
  const char *name; /* without the leading dashes */
  const char *value; /* NULL for a bare flag */
};

struct args {
  int npos;
  const char *pos[ARGS_MAX];
  int nflags;
  struct args_flag flags[ARGS_MAX];
  const char *db;
  bool help;
  char names[ARGS_MAX][48]; /* names given as --name=VALUE */
};

/* Parses argv[1..]. Flags listed in |bare| (NULL-terminated) take no value;
 * every other flag takes the next word (or its =VALUE). DS_EINVAL with
 * |errbuf| saying why when a flag lacks its value or there are too many. */
DS_NODISCARD int args_parse(struct args *a, int argc, char **argv,
                            const char *const *bare, char *errbuf);
/* The value of flag |name|, or NULL. */
const char *args_get(const struct args *a, const char *name);
bool args_has(const struct args *a, const char *name);
/* DS_EINVAL naming the first flag not in |allowed| (NULL-terminated). */
DS_NODISCARD int args_only(const struct args *a, const char *const *allowed,
                           char *errbuf);
#endif
