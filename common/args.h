/* SPDX-License-Identifier: MIT
 * args.h -- command lines of both programs: positional words, --flag VALUE,
 * --flag=VALUE, bare flags, and --db PATH accepted anywhere on the line. */
#ifndef DS_COMMON_ARGS_H
#define DS_COMMON_ARGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

#define ARGS_MAX 64

struct args_flag {
  const char *name;  /* without the leading dashes */
  const char *value; /* NULL for a bare flag */
};

struct args {
  int npos;
  const char *pos[ARGS_MAX];
  int nflags;
  struct args_flag flags[ARGS_MAX];
  const char *db;
  bool help;
  const char *missing; /* after DS_EINVAL: the flag that lacked its value */
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

/* A program's command help, shared by dansync and dansyncd. */
struct args_help {
  const char *cmd, *usage, *what, *example;
};

/* The words of the help layout in a program's language; NULL: English. */
struct args_words {
  const char *usage;    /* "usage" */
  const char *commands; /* "Commands" */
  const char *example;  /* "Example" */
  const char *more;     /* "Run '%s COMMAND --help' ...", %s the program */
  const char *see;      /* "see", as in "(see 'dansync init --help')" */
};

struct args_prog {
  const char *name; /* "dansync" */
  const struct args_help *helps;
  size_t nhelps;
  const char *footer;             /* printed after the list of commands */
  const struct args_words *words; /* may be NULL */
};

/* The list of commands, then the footer. */
void args_usage_all(const struct args_prog *p, FILE *out);
/* One command's usage, description and example; -1 when |cmd| has none. */
int args_help_for(const struct args_prog *p, const char *cmd, FILE *out);
/* "name: msg" on stderr; returns |code|. */
int args_fail(const struct args_prog *p, int code, const char *msg);
/* "name: msg (see 'name cmd --help')" on stderr; returns 2, the usage exit
 * code of DESIGN §8. |cmd| may be NULL. */
int args_usage(const struct args_prog *p, const char *cmd, const char *msg);
#endif
