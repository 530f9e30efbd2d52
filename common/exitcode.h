/* SPDX-License-Identifier: MIT
 * exitcode.h -- the exit codes of both programs (DESIGN §8), defined once:
 * dansync uses them all; dansyncd 0 to 2, and 4 for a refused bundle. */
#ifndef DS_COMMON_EXITCODE_H
#define DS_COMMON_EXITCODE_H

enum {
  EXIT_OK = 0,      /* done */
  EXIT_ERROR = 1,   /* a bad value or a failure: nothing changed */
  EXIT_USAGE = 2,   /* the command line is wrong */
  EXIT_OFFLINE = 3, /* the server could not be reached: nothing lost */
  EXIT_REFUSED = 4, /* the server refused the request */
  EXIT_IDENTITY = 5 /* the server's identity could not be verified */
};
#endif
