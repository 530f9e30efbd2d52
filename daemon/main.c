/* SPDX-License-Identifier: MIT
 * main.c -- dansyncd, the district daemon and its admin commands. */
#include <signal.h>

#include "daemon/admin.h"

int main(int argc, char **argv) {
  /* A peer that goes away makes a write fail with EPIPE, never kill us. */
  signal(SIGPIPE, SIG_IGN);
  return admin_main(argc, argv);
}
