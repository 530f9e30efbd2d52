/* SPDX-License-Identifier: MIT
 * admin.h -- the dansyncd command line (DESIGN §8). */
#ifndef DS_DAEMON_ADMIN_H
#define DS_DAEMON_ADMIN_H

/* Runs one dansyncd command; returns the process exit code. */
int admin_main(int argc, char **argv);
#endif
