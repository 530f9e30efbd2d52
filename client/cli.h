/* SPDX-License-Identifier: MIT
 * cli.h -- the dansync command line (DESIGN §8). */
#ifndef DS_CLIENT_CLI_H
#define DS_CLIENT_CLI_H

/* Runs one dansync command; returns the process exit code. */
int cli_main(int argc, char **argv);
#endif
