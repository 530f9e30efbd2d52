/* SPDX-License-Identifier: MIT
 * main.c -- dansync, the field client. */
#include <signal.h>

#include "client/cli.h"

int main(int argc, char **argv) {
  /* A server that goes away makes a write fail with EPIPE, never kill us. */
  signal(SIGPIPE, SIG_IGN);
  return cli_main(argc, argv);
}
