/* SPDX-License-Identifier: MIT
 * main.c -- dansync, the field client. */
#include "client/cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }
