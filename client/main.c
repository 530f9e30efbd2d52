/* SPDX-License-Identifier: MIT
 * main.c -- dansync, the field client. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "client/cli.h"
#include "common/db.h"

int main(int argc, char **argv) {
  /* A server that goes away makes a write fail with EPIPE, never kill us. */
  signal(SIGPIPE, SIG_IGN);
  /* Whatever it creates holds citizens' data or keys: for its owner only. */
  umask(077);
  /* Fails only if SQLite was called before it (test_store checks). */
  (void)!db_init_process();
  if (argc == 2 && !strcmp(argv[1], "--version")) {
    puts("dansync " DS_VERSION);
    return 0;
  }
  return cli_main(argc, argv);
}
