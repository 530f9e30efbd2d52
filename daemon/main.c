/* SPDX-License-Identifier: MIT
 * main.c -- dansyncd, the district daemon and its admin commands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/db.h"
#include "daemon/admin.h"

int main(int argc, char **argv) {
  /* A peer that goes away makes a write fail with EPIPE, never kill us. */
  signal(SIGPIPE, SIG_IGN);
  /* Whatever it creates holds citizens' data or keys: for its owner only. */
  umask(077);
  /* Fails only if SQLite was called before it (test_store checks). */
  (void)!db_init_process();
  if (argc == 2 && !strcmp(argv[1], "--version")) {
    puts("dansyncd " DS_VERSION);
    return 0;
  }
  return admin_main(argc, argv);
}
