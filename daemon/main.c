/* SPDX-License-Identifier: MIT
 * main.c -- dansyncd, the district daemon and its admin commands. */
#include "daemon/admin.h"

int main(int argc, char **argv) { return admin_main(argc, argv); }
