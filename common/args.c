/* SPDX-License-Identifier: MIT
 * args.c -- command-line parsing. */
#include "common/args.h"

#include <string.h>

#include "common/cmsg.h"

static bool listed(const char *const *list, const char *name, size_t n) {
  for (int i = 0; list && list[i]; i++)
    if (strlen(list[i]) == n && memcmp(list[i], name, n) == 0)
      return true;
  return false;
}

int args_parse(struct args *a, int argc, char **argv, const char *const *bare,
               char *errbuf) {
  memset(a, 0, sizeof(*a));
  for (int i = 1; i < argc; i++) {
    const char *w = argv[i], *eq;
    size_t n;
    struct args_flag *f;

    if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
      a->help = true;
      continue;
    }
    if (strncmp(w, "--", 2) != 0 || w[2] == '\0') {
      if (a->npos == ARGS_MAX)
        return cmsg_fail(errbuf, DS_EINVAL, CM_TOO_MANY_ARGS);
      a->pos[a->npos++] = w;
      continue;
    }
    w += 2;
    eq = strchr(w, '=');
    n = eq ? (size_t)(eq - w) : strlen(w);
    if (a->nflags == ARGS_MAX)
      return cmsg_fail(errbuf, DS_EINVAL, CM_TOO_MANY_FLAGS);
    f = &a->flags[a->nflags];
    f->name = w;
    if (eq) {
      f->value = eq + 1;
    } else if (listed(bare, w, n)) {
      f->value = NULL;
    } else if (i + 1 < argc) {
      f->value = argv[++i];
    } else {
      a->missing = w;
      return cmsg_fail(errbuf, DS_EINVAL, CM_NEEDS_VALUE, w);
    }
    if (n == 2 && memcmp(w, "db", 2) == 0) {
      a->db = f->value;
      continue;
    }
    /* Keep the name NUL-terminated without its =VALUE. */
    if (eq) {
      if (n >= sizeof(a->names[0]))
        return cmsg_fail(errbuf, DS_EINVAL, CM_UNKNOWN_FLAG_N, (int)n, w);
      memcpy(a->names[a->nflags], w, n);
      a->names[a->nflags][n] = '\0';
      f->name = a->names[a->nflags];
    }
    a->nflags++;
  }
  return 0;
}

const char *args_get(const struct args *a, const char *name) {
  for (int i = 0; i < a->nflags; i++)
    if (strcmp(a->flags[i].name, name) == 0)
      return a->flags[i].value;
  return NULL;
}

bool args_has(const struct args *a, const char *name) {
  for (int i = 0; i < a->nflags; i++)
    if (strcmp(a->flags[i].name, name) == 0)
      return true;
  return false;
}

int args_only(const struct args *a, const char *const *allowed, char *errbuf) {
  for (int i = 0; i < a->nflags; i++)
    if (!listed(allowed, a->flags[i].name, strlen(a->flags[i].name)))
      return cmsg_fail(errbuf, DS_EINVAL, CM_UNKNOWN_FLAG, a->flags[i].name);
  return 0;
}

static const struct args_words english = {
    "usage", "Commands", "Example",
    "Run '%s COMMAND --help' for one command, with an example.", "see"};

static const struct args_words *words(const struct args_prog *p) {
  return p->words ? p->words : &english;
}

/* The catalogue's "more" sentence is a format with one %s, the program. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void args_usage_all(const struct args_prog *p, FILE *out) {
  const struct args_words *w = words(p);
  fprintf(out, "%s: %s [--db PATH] COMMAND ...\n\n%s:\n", w->usage, p->name,
          w->commands);
  for (size_t i = 0; i < p->nhelps; i++)
    fprintf(out, "  %s\n", p->helps[i].usage);
  fprintf(out, "\n%s\n", p->footer);
  fprintf(out, w->more, p->name);
  fputc('\n', out);
}
#pragma GCC diagnostic pop

int args_help_for(const struct args_prog *p, const char *cmd, FILE *out) {
  const struct args_words *w = words(p);
  for (size_t i = 0; i < p->nhelps; i++) {
    if (strcmp(p->helps[i].cmd, cmd) == 0) {
      fprintf(out, "%s: %s %s\n\n%s\n\n%s:\n  %s\n", w->usage, p->name,
              p->helps[i].usage, p->helps[i].what, w->example,
              p->helps[i].example);
      return 0;
    }
  }
  return -1;
}

int args_fail(const struct args_prog *p, int code, const char *msg) {
  fprintf(stderr, "%s: %s\n", p->name, msg);
  return code;
}

int args_usage(const struct args_prog *p, const char *cmd, const char *msg) {
  fprintf(stderr, "%s: %s (%s '%s%s%s --help')\n", p->name, msg, words(p)->see,
          p->name, cmd ? " " : "", cmd ? cmd : "");
  return 2;
}
