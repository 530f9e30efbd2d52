/* SPDX-License-Identifier: MIT
 * cm.h -- cmocka 1.1 needs these four headers before its own. */
#ifndef DS_TESTS_CM_H
#define DS_TESTS_CM_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#endif
